/* The OTLP/JSON encoder, written with the JSON writer straight into the output buffer.
 * Field order follows the protobuf field numbers, as in otlp_proto.c; proto3 defaults
 * (kind 0, an unset status code, an empty status message, zero flags) are left out, as
 * the protobuf JSON mapping does. */
#include "export/otlp_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json/writer.h"
#include "util/alloc.h"
#include "util/hash.h"

/* What closes a request after its last span: spans, scopeSpans[0], scopeSpans,
 * resourceSpans[0], resourceSpans, the request object. */
static const char request_suffix[] = "]}]}]}";

/* The decimal digits of v, after a '-' when negative, written at the end of text (the
 * mapping of 64-bit integers: a JSON string of them); returns them. */
static bt_str int64_digits(int64_t v, char text[24]) {
    char *end = text + 24, *p = end;
    uint64_t magnitude = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (v < 0) *--p = '-';
    return (bt_str){p, (size_t)(end - p)};
}

/* Write an unsigned 64-bit value as a JSON string of decimal digits. */
static void write_uint64_string(jw_t *w, uint64_t v) {
    char text[24];
    char *end = text + sizeof text, *p = end;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    jw_string(w, (bt_str){p, (size_t)(end - p)});
}

/* Write len id bytes as lowercase hex. */
static void write_hex_id(jw_t *w, const uint8_t *bytes, size_t len) {
    char hex[2 * 16 + 1];
    hex_encode(bytes, len, hex);
    jw_string(w, (bt_str){hex, 2 * len});
}

/* Write a double: a JSON number, or the protobuf JSON mapping's strings when not finite. */
static void write_double(jw_t *w, double v) {
    if (isnan(v)) jw_cstring(w, "NaN");
    else if (isinf(v)) jw_cstring(w, v > 0 ? "Infinity" : "-Infinity");
    else jw_double(w, v);
}

/* Write attr, a double, a bool or a string array, as a KeyValue object
 * {"key":...,"value":{AnyValue}} through the JSON writer (append_key_value's other kinds). */
static void write_other_key_value(jw_t *w, const span_attr *attr) {
    jw_object_open(w);
    jw_key(w, "key");
    jw_cstring(w, attr->key);
    jw_key(w, "value");
    jw_object_open(w);
    if (attr->type == ATTR_DOUBLE) {
        jw_key(w, "doubleValue");
        write_double(w, attr->d);
    } else if (attr->type == ATTR_BOOL) {
        jw_key(w, "boolValue");
        jw_bool(w, attr->b);
    } else {
        jw_key(w, "arrayValue");
        jw_object_open(w);
        jw_key(w, "values");
        jw_array_open(w);
        for (size_t i = 0; i < attr->array_len; i++) {
            jw_object_open(w);
            jw_key(w, "stringValue");
            jw_string(w, attr->array[i]);
            jw_object_close(w);
        }
        jw_array_close(w);
        jw_object_close(w);
    }
    jw_object_close(w);
    jw_object_close(w);
}

/* Append a string attribute as {"key":...,"value":{"stringValue":...}}, from fixed pieces
 * (the most frequent attribute, kept cheap). */
static void append_string_key_value(buf_t *out, const span_attr *attr) {
    static const char key_open[] = "{\"key\":", value_open[] = ",\"value\":{\"stringValue\":";
    buf_append(out, key_open, sizeof key_open - 1);
    json_escape_string(out, attr->key, strlen(attr->key));
    buf_append(out, value_open, sizeof value_open - 1);
    if (attr->utf8_known_valid) json_escape_valid_utf8(out, attr->s.ptr, attr->s.len);
    else json_escape_string(out, attr->s.ptr, attr->s.len);
    buf_append(out, "}}", 2);
}

/* Append an integer attribute as {"key":...,"value":{"intValue":"digits"}}, from fixed
 * pieces (digits need no escape). */
static void append_int_key_value(buf_t *out, const span_attr *attr) {
    static const char key_open[] = "{\"key\":", value_open[] = ",\"value\":{\"intValue\":\"";
    char text[24];
    bt_str digits = int64_digits(attr->i, text);
    buf_append(out, key_open, sizeof key_open - 1);
    json_escape_string(out, attr->key, strlen(attr->key));
    buf_append(out, value_open, sizeof value_open - 1);
    buf_append(out, digits.ptr, digits.len);
    buf_append(out, "\"}}", 3);
}

/* Append attr as a KeyValue object {"key":...,"value":{AnyValue}}, whatever its kind. */
static void append_key_value(buf_t *out, const span_attr *attr) {
    switch (attr->type) {
    case ATTR_STRING: append_string_key_value(out, attr); break;
    case ATTR_INT: append_int_key_value(out, attr); break;
    case ATTR_DOUBLE:
    case ATTR_BOOL:
    case ATTR_STRING_ARRAY: {
        jw_t element;
        jw_init(&element, out);
        write_other_key_value(&element, attr);
        break;
    }
    }
}

/* Write "attributes":[KeyValue...] as the next member of the open object. The elements
 * are appended here, commas included, each as a value of its own (the array's writer sees
 * none of them, so it adds no comma of its own). */
static void write_attributes(jw_t *w, const span_attr *attrs, size_t count) {
    jw_key(w, "attributes");
    jw_array_open(w);
    for (size_t i = 0; i < count; i++) {
        if (i) buf_putc(w->out, ',');
        append_key_value(w->out, &attrs[i]);
    }
    jw_array_close(w);
}

/* See otlp_json.h. */
void otlp_json_encode_span(buf_t *out, const span_t *span) {
    jw_t w;
    jw_init(&w, out);
    jw_object_open(&w);
    jw_key(&w, "traceId");
    write_hex_id(&w, span->trace_id, sizeof span->trace_id);
    jw_key(&w, "spanId");
    write_hex_id(&w, span->span_id, sizeof span->span_id);
    if (span->has_parent) {
        jw_key(&w, "parentSpanId");
        write_hex_id(&w, span->parent_span_id, sizeof span->parent_span_id);
    }
    jw_key(&w, "name");
    jw_string(&w, span->name);
    if (span->kind != SPAN_KIND_UNSPECIFIED) {
        jw_key(&w, "kind");
        jw_int(&w, span->kind);
    }
    jw_key(&w, "startTimeUnixNano");
    write_uint64_string(&w, span->start_ns);
    jw_key(&w, "endTimeUnixNano");
    write_uint64_string(&w, span->end_ns);
    write_attributes(&w, span->attrs, span->attr_count);
    if (span->event_count) {
        jw_key(&w, "events");
        jw_array_open(&w);
        for (size_t i = 0; i < span->event_count; i++) {
            const span_event *event = &span->events[i];
            jw_object_open(&w);
            jw_key(&w, "timeUnixNano");
            write_uint64_string(&w, event->time_ns);
            jw_key(&w, "name");
            jw_cstring(&w, event->name);
            write_attributes(&w, event->attrs, event->attr_count);
            jw_object_close(&w);
        }
        jw_array_close(&w);
    }
    if (span->status != SPAN_STATUS_UNSET || span->status_message.len) {
        jw_key(&w, "status");
        jw_object_open(&w);
        if (span->status_message.len) {
            jw_key(&w, "message");
            jw_string(&w, span->status_message);
        }
        if (span->status != SPAN_STATUS_UNSET) {
            jw_key(&w, "code");
            jw_int(&w, span->status);
        }
        jw_object_close(&w);
    }
    if (span->flags) {
        jw_key(&w, "flags");
        jw_uint(&w, span->flags);
    }
    jw_object_close(&w);
}

/* See otlp_json.h. */
void otlp_json_request_init(otlp_json_request *req, const span_resource *resource) {
    memset(req, 0, sizeof *req);
    /* Everything up to the spans' opening bracket; the writer's open containers are then
     * simply abandoned, and request_suffix closes them. */
    jw_t w;
    jw_init(&w, &req->data);
    jw_object_open(&w);
    jw_key(&w, "resourceSpans");
    jw_array_open(&w);
    jw_object_open(&w);
    jw_key(&w, "resource");
    jw_object_open(&w);
    write_attributes(&w, resource->attrs, resource->attr_count);
    jw_object_close(&w);
    jw_key(&w, "scopeSpans");
    jw_array_open(&w);
    jw_object_open(&w);
    jw_key(&w, "scope");
    jw_object_open(&w);
    jw_key(&w, "name");
    jw_cstring(&w, resource->scope_name);
    jw_key(&w, "version");
    jw_cstring(&w, resource->scope_version);
    jw_object_close(&w);
    jw_key(&w, "spans");
    jw_array_open(&w);
    req->prefix_len = req->data.len;
    req->prefix = xmalloc(req->prefix_len);
    memcpy(req->prefix, req->data.data, req->prefix_len);
}

/* See otlp_json.h. */
void otlp_json_request_add(otlp_json_request *req, bt_str span_object) {
    if (req->span_count) buf_putc(&req->data, ',');
    buf_append(&req->data, span_object.ptr, span_object.len);
    req->span_count++;
}

/* See otlp_json.h. */
size_t otlp_json_request_span_bytes(const otlp_json_request *req) {
    return req->data.len - req->prefix_len;
}

/* See otlp_json.h. */
size_t otlp_json_request_overhead(const otlp_json_request *req) {
    return req->prefix_len + sizeof request_suffix - 1;
}

/* See otlp_json.h. */
bt_str otlp_json_request_finish(otlp_json_request *req) {
    buf_append(&req->data, request_suffix, sizeof request_suffix - 1);
    return (bt_str){req->data.data, req->data.len};
}

/* See otlp_json.h. */
void otlp_json_request_reset(otlp_json_request *req) {
    req->data.len = 0; /* data may be another buffer now (a transport took the request's) */
    buf_append(&req->data, req->prefix, req->prefix_len);
    req->span_count = 0;
}

/* See otlp_json.h. */
void otlp_json_request_free(otlp_json_request *req) {
    buf_free(&req->data);
    free(req->prefix);
    memset(req, 0, sizeof *req);
}
