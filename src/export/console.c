/* The console transport: one short readable line per span, for a person at a terminal:
 *   chat gpt-4o-mini  trace=<32 hex> span=<16 hex> parent=<16 hex> 2026-01-01T00:00:00.000Z
 *   +1.234s ERROR "message"  gen_ai.request.model=gpt-4o-mini gen_ai.usage.input_tokens=12
 * (one line; parent= only for a child, status only when set, then a few key attributes
 * when present). The resource is not shown. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "export/exporter_internal.h"
#include "json/writer.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/timeutil.h"

/* The attributes a line shows, in this order, when the span has them. */
static const char *const console_keys[] = {
    "gen_ai.request.model",    "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
    "batchtrace.custom_id",    "batchtrace.result",
};

typedef struct console_state {
    FILE *out;   /* borrowed stream */
} console_state;

/* True when s can be shown bare: not empty, no quote, backslash or control character,
 * and no space unless spaces_ok. */
static bool is_bare(bt_str s, bool spaces_ok) {
    if (s.len == 0) return false;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c < ' ' || c == '"' || c == '\\' || c == 0x7F || (c == ' ' && !spaces_ok))
            return false;
    }
    return true;
}

/* Append s bare when it can be, else quoted and escaped as a JSON string. */
static void put_text(buf_t *line, bt_str s, bool spaces_ok) {
    if (is_bare(s, spaces_ok)) buf_append(line, s.ptr, s.len);
    else json_escape_string(line, s.ptr, s.len);
}

/* Append " key=value" for attr (arrays as [a,b]). */
static void put_attr(buf_t *line, const span_attr *attr) {
    buf_printf(line, " %s=", attr->key);
    switch (attr->type) {
    case ATTR_STRING: put_text(line, attr->s, false); break;
    case ATTR_INT: buf_printf(line, "%" PRId64, attr->i); break;
    case ATTR_DOUBLE: buf_printf(line, "%g", attr->d); break;
    case ATTR_BOOL: buf_puts(line, attr->b ? "true" : "false"); break;
    case ATTR_STRING_ARRAY:
        buf_putc(line, '[');
        for (size_t i = 0; i < attr->array_len; i++) {
            if (i) buf_putc(line, ',');
            put_text(line, attr->array[i], false);
        }
        buf_putc(line, ']');
        break;
    }
}

/* Append the line describing span, '\n' included. */
static void format_span(buf_t *line, const span_t *span) {
    char trace_hex[33], span_hex[17], parent_hex[17], start[40];
    put_text(line, span->name, true); /* names have spaces: "chat gpt-4o" */
    hex_encode(span->trace_id, sizeof span->trace_id, trace_hex);
    hex_encode(span->span_id, sizeof span->span_id, span_hex);
    buf_printf(line, "  trace=%s span=%s", trace_hex, span_hex);
    if (span->has_parent) {
        hex_encode(span->parent_span_id, sizeof span->parent_span_id, parent_hex);
        buf_printf(line, " parent=%s", parent_hex);
    }
    time_format_rfc3339((int64_t)span->start_ns, start, sizeof start);
    uint64_t duration_ns = span->end_ns > span->start_ns ? span->end_ns - span->start_ns : 0;
    buf_printf(line, " %s +%" PRIu64 ".%03" PRIu64 "s", start, duration_ns / 1000000000u,
               duration_ns / 1000000u % 1000u);
    if (span->status == SPAN_STATUS_OK) buf_puts(line, " OK");
    if (span->status == SPAN_STATUS_ERROR) buf_puts(line, " ERROR");
    if (span->status_message.len) {
        buf_putc(line, ' ');
        json_escape_string(line, span->status_message.ptr, span->status_message.len);
    }
    bool first = true;
    for (size_t k = 0; k < sizeof console_keys / sizeof console_keys[0]; k++) {
        const span_attr *attr = span_attr_find(span, console_keys[k]);
        if (!attr) continue;
        if (first) buf_putc(line, ' '); /* two spaces before the attributes */
        first = false;
        put_attr(line, attr);
    }
    buf_putc(line, '\n');
}

/* Write one span's line (from format_span). -1 with reason when the stream reports an
 * error. */
static int console_write_text(void *opaque, bt_str text, char *reason) {
    console_state *state = opaque;
    errno = 0;
    if (fwrite(text.ptr, 1, text.len, state->out) != text.len)
        return fail(reason, "write to console: %s", errno ? strerror(errno) : "write error");
    return 0;
}

/* Flush the stream, so what was written is out of the process. -1 with reason when the
 * stream reports an error. */
static int console_sync(void *opaque, char *reason) {
    console_state *state = opaque;
    errno = 0;
    if (fflush(state->out) != 0 || ferror(state->out))
        return fail(reason, "write to console: %s", errno ? strerror(errno) : "write error");
    return 0;
}

/* Flush the stream (it stays open: it is borrowed). */
static int console_close(void *opaque, char *reason) { return console_sync(opaque, reason); }

/* Release the state (not the stream). */
static void console_free(void *opaque) { free(opaque); }

static const exporter_ops console_ops = {
    .deliver = NULL,
    .format_span = format_span,
    .write_text = console_write_text,
    .sync = console_sync,
    .close = console_close,
    .free = console_free,
};

/* See exporter.h: the stream stays the caller's; finish only flushes it. */
exporter_t *exporter_console_new(FILE *out, const span_resource *resource) {
    console_state *state = xcalloc(1, sizeof *state);
    state->out = out;
    return exporter_create(&console_ops, state, EXPORT_ENCODING_NONE, resource);
}
