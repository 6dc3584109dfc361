/* `batchtrace flush`: send the spool's requests again through the OTLP sender and delete
 * those the server accepts. api.c wraps flush_run as batchtrace_flush. */
#ifndef BT_EXPORT_FLUSH_H
#define BT_EXPORT_FLUSH_H

#include "batchtrace.h"

/* Run a flush (see batchtrace_flush). *out is always set (release with
 * batchtrace_flush_summary_free). BATCHTRACE_OK, or BATCHTRACE_EUSAGE / BATCHTRACE_EFATAL
 * with reason. */
int flush_run(batchtrace_flush_summary **out, const batchtrace_flush_options *options,
              char *reason);

#endif
