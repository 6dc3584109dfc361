/* What the public API's files (api.c: collect and flush; lifecycle.c: start, bind, status)
 * share: the thread-local last error and the public shape of kept diagnostics. */
#ifndef BT_BATCH_API_H
#define BT_BATCH_API_H

#include "batch/diag.h"
#include "batchtrace.h"
#include "json/writer.h"

/* Remember reason as batchtrace_last_error() and return code. */
int api_set_error(int code, const char *reason);
/* Views of a diagnostic list in the public shape (a malloc'd array of list->kept, at least
 * one element; the strings stay the list's). */
batchtrace_diagnostic *api_diagnostic_views(const diag_list *list);
/* Write count diagnostics as a JSON array of {file, line, reason} (the --json summaries). */
void api_write_diagnostics(jw_t *w, const batchtrace_diagnostic *list, size_t count);

#endif
