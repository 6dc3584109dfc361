/* The report a person reads, from the JSON object stats_write_json wrote (the one
 * `batchtrace report --json` prints): a terminal table and a self-contained HTML page. Both
 * read only that JSON, so a report from files and one kept in the store look the same. */
#ifndef BT_REPORT_RENDER_H
#define BT_REPORT_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/reason.h"

/* How the terminal table is drawn. */
typedef struct render_style {
    int width;               /* columns: long text is cut to fit (at least 60) */
    bool colour;             /* ANSI colours and bold (a terminal, NO_COLOR unset) */
} render_style;

/* Append a dollar amount for a person: cents from $1 up, four decimals from a cent,
 * else six ($12.34, $0.0114, $0.000009). */
void render_money(buf_t *out, double usd);
/* Append the terminal table of the report json[0..len) to out. 0, or -1 with reason when
 * json is not a report. */
int render_terminal(buf_t *out, const char *json, size_t len, const render_style *style,
                    char *reason);
/* Append the HTML page of the report json[0..len) to out: one file, no script, inline CSS
 * and SVG charts (outcomes, tokens and cost per model, latency histogram), readable on a
 * phone and in print. 0, or -1 with reason. */
int render_html(buf_t *out, const char *json, size_t len, char *reason);

#endif
