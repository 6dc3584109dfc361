/* See otlp_split.h. Protobuf is walked field by field (the wire format: a varint key of
 * field number and wire type, then a varint, 8 bytes, 4 bytes or a varint length and that
 * many bytes); JSON is read with the project's JSON reader. */
#include "export/otlp_split.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "export/pb_wire.h"
#include "json/json.h"
#include "util/alloc.h"
#include "util/reason.h"

/* One protobuf field read from a message. */
typedef struct pb_field {
    uint32_t number;     /* the field number */
    unsigned wire_type;  /* 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit */
    bt_str value;        /* wire type 2: the payload */
    bt_str whole;        /* the field's bytes, key included */
} pb_field;

/* Read the field at *at (before end) into field, moving *at past it. false when the bytes
 * are not a well-formed field. */
static bool read_field(const uint8_t **at, const uint8_t *end, pb_field *field) {
    const uint8_t *start = *at;
    uint64_t key, value;
    if (!pb_read_varint(at, end, &key) || (key >> 3) == 0 || (key >> 3) > UINT32_MAX) return false;
    field->number = (uint32_t)(key >> 3);
    field->wire_type = (unsigned)(key & 7);
    field->value = STR_NULL;
    switch (field->wire_type) {
    case 0:
        if (!pb_read_varint(at, end, &value)) return false;
        break;
    case 1:
    case 5: {
        size_t size = field->wire_type == 1 ? 8 : 4;
        if ((size_t)(end - *at) < size) return false;
        *at += size;
        break;
    }
    case 2:
        if (!pb_read_varint(at, end, &value) || value > (uint64_t)(end - *at)) return false;
        field->value = (bt_str){(const char *)*at, (size_t)value};
        *at += value;
        break;
    default:
        return false;
    }
    field->whole = (bt_str){(const char *)start, (size_t)(*at - start)};
    return true;
}

/* The single length-delimited field number of message (other fields are appended to
 * others, when given, else refused). -1 when the message is malformed or holds the field
 * other than once. */
static int single_field(bt_str message, uint32_t number, buf_t *others, bt_str *found) {
    const uint8_t *at = (const uint8_t *)message.ptr, *end = at + message.len;
    int seen = 0;
    pb_field field;
    while (at < end) {
        if (!read_field(&at, end, &field)) return -1;
        if (field.number == number && field.wire_type == 2) {
            *found = field.value;
            seen++;
        } else if (others) {
            buf_append(others, field.whole.ptr, field.whole.len);
        } else {
            return -1;
        }
    }
    return seen == 1 ? 0 : -1;
}

/* Cut a protobuf request. */
static int parse_proto(bt_str body, otlp_spans *out, buf_t *fixed, char *reason) {
    bt_str resource_spans, scope_spans;
    buf_t between = BUF_INIT;
    int rc = -1;
    if (single_field(body, 1, NULL, &resource_spans) != 0 ||
        single_field(resource_spans, 2, fixed, &scope_spans) != 0) {
        fail(reason, "not a request of one ResourceSpans with one ScopeSpans");
        goto done;
    }
    size_t before_len = fixed->len;
    const uint8_t *at = (const uint8_t *)scope_spans.ptr, *end = at + scope_spans.len;
    pb_field field;
    while (at < end) {
        if (!read_field(&at, end, &field)) {
            fail(reason, "a malformed ScopeSpans");
            goto done;
        }
        if (field.number == 2 && field.wire_type == 2) {
            out->spans = xreallocarray(out->spans, out->span_count + 1, sizeof *out->spans);
            out->spans[out->span_count++] = field.value;
        } else {
            buf_append(&between, field.whole.ptr, field.whole.len);
        }
    }
    buf_append(fixed, between.data, between.len);
    out->before = (bt_str){fixed->data, before_len};
    out->between = (bt_str){fixed->data + before_len, between.len};
    rc = 0;
done:
    buf_free(&between);
    return rc;
}

/* Cut a JSON request: the spans are resourceSpans[0].scopeSpans[0].spans[*]. */
static int parse_json(bt_str body, otlp_spans *out, char *reason) {
    json_doc doc = JSON_DOC_INIT;
    int rc = -1;
    if (json_parse(&doc, body.ptr, body.len, reason) != 0) goto done;
    int resource_spans = json_get(&doc, 0, "resourceSpans");
    int scope_spans = resource_spans >= 0 && json_type_of(&doc, resource_spans) == JSON_ARRAY &&
                              json_count(&doc, resource_spans) == 1
                          ? json_get(&doc, json_first(&doc, resource_spans), "scopeSpans")
                          : -1;
    int span_array = scope_spans >= 0 && json_type_of(&doc, scope_spans) == JSON_ARRAY &&
                             json_count(&doc, scope_spans) == 1
                         ? json_get(&doc, json_first(&doc, scope_spans), "spans")
                         : -1;
    if (span_array < 0 || json_type_of(&doc, span_array) != JSON_ARRAY) {
        fail(reason, "not a request of one resourceSpans with one scopeSpans");
        goto done;
    }
    bt_str array = json_raw(&doc, span_array);
    out->before = (bt_str){body.ptr, (size_t)(array.ptr + 1 - body.ptr)};
    out->after = (bt_str){array.ptr + array.len - 1,
                          (size_t)(body.ptr + body.len - (array.ptr + array.len - 1))};
    int count = json_count(&doc, span_array);
    out->spans = xcalloc(count ? (size_t)count : 1, sizeof *out->spans);
    for (int i = 0, span = json_first(&doc, span_array); i < count; i++, span = json_next(&doc, span))
        out->spans[out->span_count++] = json_raw(&doc, span);
    rc = 0;
done:
    json_doc_free(&doc);
    return rc;
}

/* See otlp_split.h. */
int otlp_spans_parse(bt_str body, otlp_protocol protocol, otlp_spans *out, char *reason) {
    memset(out, 0, sizeof *out);
    out->protocol = protocol;
    int rc = protocol == OTLP_HTTP_JSON ? parse_json(body, out, reason)
                                        : parse_proto(body, out, &out->fixed, reason);
    if (rc != 0) otlp_spans_free(out);
    return rc;
}

/* See otlp_split.h. Protobuf: field 1 { before, field 2 { between, field 2 {span}... } }. */
void otlp_spans_build(const otlp_spans *spans, size_t first, size_t count, buf_t *out) {
    buf_clear(out);
    if (spans->protocol == OTLP_HTTP_JSON) {
        buf_append(out, spans->before.ptr, spans->before.len);
        for (size_t i = first; i < first + count; i++) {
            if (i > first) buf_putc(out, ',');
            buf_append(out, spans->spans[i].ptr, spans->spans[i].len);
        }
        buf_append(out, spans->after.ptr, spans->after.len);
        return;
    }
    size_t scope_len = spans->between.len;
    for (size_t i = first; i < first + count; i++)
        scope_len += 1 + pb_varint_size(spans->spans[i].len) + spans->spans[i].len;
    size_t resource_len = spans->before.len + 1 + pb_varint_size(scope_len) + scope_len;
    buf_putc(out, 0x0A); /* ExportTraceServiceRequest.resource_spans (1) */
    pb_put_varint(out, resource_len);
    buf_append(out, spans->before.ptr, spans->before.len);
    buf_putc(out, 0x12); /* ResourceSpans.scope_spans (2) */
    pb_put_varint(out, scope_len);
    buf_append(out, spans->between.ptr, spans->between.len);
    for (size_t i = first; i < first + count; i++) {
        buf_putc(out, 0x12); /* ScopeSpans.spans (2) */
        pb_put_varint(out, spans->spans[i].len);
        buf_append(out, spans->spans[i].ptr, spans->spans[i].len);
    }
}

/* See otlp_split.h. */
void otlp_spans_free(otlp_spans *spans) {
    free(spans->spans);
    buf_free(&spans->fixed);
    memset(spans, 0, sizeof *spans);
}
