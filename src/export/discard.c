/* The discard transport: spans are formatted as nothing and written nowhere. `batchtrace
 * report` runs the collect engine with it, to read a batch without exporting it. */
#include <string.h>

#include "export/exporter_internal.h"
#include "span/resource.h"

/* Nothing stands for a span. */
static void format_nothing(buf_t *out, const span_t *span) {
    (void)out;
    (void)span;
}

/* Take the (empty) text of a span and drop it. */
static int drop_text(void *state, bt_str text, char *reason) {
    (void)state;
    (void)text;
    (void)reason;
    return 0;
}

/* No state to release. */
static void free_nothing(void *state) { (void)state; }

static const exporter_ops discard_ops = {
    .format_span = format_nothing,
    .write_text = drop_text,
    .free = free_nothing,
};

/* See exporter.h. */
exporter_t *exporter_discard_new(void) {
    span_resource resource;
    memset(&resource, 0, sizeof resource);
    return exporter_create(&discard_ops, NULL, EXPORT_ENCODING_NONE, &resource);
}
