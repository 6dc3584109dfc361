/* The OTLP protobuf encoder. Field numbers and wire types are those of the
 * opentelemetry-proto files trace.proto, common.proto, resource.proto and
 * trace_service.proto (restated here, not copied).
 *
 * How lengths are known before the bytes they prefix: every nested message below the Span
 * (KeyValue, AnyValue, ArrayValue, Status) has its size computed first from the lengths
 * of its strings, then is written straight into the output; a string's length is its
 * length after UTF-8 repair, measured once (a valid string, the usual case, is then copied
 * with memcpy). The Span message itself is written into a scratch buffer by the caller
 * and copied once into the request behind its tag and length, and the request's wrapper
 * (ResourceSpans, ScopeSpans) is written at the end into room reserved in front of the
 * first span, so the spans are never moved again. No heap allocation per attribute. */
#include "export/otlp_proto.h"

#include <string.h>

#include "export/pb_wire.h"
#include "json/json.h"
#include "util/utf8.h"

/* Protobuf wire types. */
enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LEN = 2, WIRE_FIXED32 = 5 };

/* Field numbers, by message. */
enum {
    REQUEST_RESOURCE_SPANS = 1,     /* ExportTraceServiceRequest */
    RESOURCE_SPANS_RESOURCE = 1,    /* ResourceSpans */
    RESOURCE_SPANS_SCOPE_SPANS = 2,
    RESOURCE_ATTRIBUTES = 1,        /* Resource */
    SCOPE_SPANS_SCOPE = 1,          /* ScopeSpans */
    SCOPE_SPANS_SPANS = 2,
    SCOPE_NAME = 1,                 /* InstrumentationScope */
    SCOPE_VERSION = 2,
    SPAN_TRACE_ID = 1,              /* Span */
    SPAN_SPAN_ID = 2,
    SPAN_PARENT_SPAN_ID = 4,
    SPAN_NAME = 5,
    SPAN_KIND = 6,
    SPAN_START_TIME = 7,
    SPAN_END_TIME = 8,
    SPAN_ATTRIBUTES = 9,
    SPAN_EVENTS = 11,
    SPAN_STATUS = 15,
    SPAN_FLAGS = 16,
    EVENT_TIME = 1,                 /* Span.Event */
    EVENT_NAME = 2,
    EVENT_ATTRIBUTES = 3,
    STATUS_MESSAGE = 2,             /* Status */
    STATUS_CODE = 3,
    KEY_VALUE_KEY = 1,              /* KeyValue */
    KEY_VALUE_VALUE = 2,
    ANY_STRING = 1,                 /* AnyValue */
    ANY_BOOL = 2,
    ANY_INT = 3,
    ANY_DOUBLE = 4,
    ANY_ARRAY = 5,
    ARRAY_VALUES = 1,               /* ArrayValue */
};

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
static const char utf8_replacement[3] = {(char)0xEF, (char)0xBF, (char)0xBD};

/* Append a field key (field number and wire type). */
static void put_tag(buf_t *out, unsigned field, unsigned wire) {
    pb_put_varint(out, ((uint64_t)field << 3) | wire);
}

/* Bytes a field key takes. */
static size_t tag_size(unsigned field) { return pb_varint_size((uint64_t)field << 3); }

/* Append v as 8 little-endian bytes (fixed64, double). */
static void put_fixed64(buf_t *out, uint64_t v) {
    char bytes[8];
    for (int i = 0; i < 8; i++) bytes[i] = (char)(v >> (8 * i));
    buf_append(out, bytes, 8);
}

/* Append v as 4 little-endian bytes (fixed32). */
static void put_fixed32(buf_t *out, uint32_t v) {
    char bytes[4];
    for (int i = 0; i < 4; i++) bytes[i] = (char)(v >> (8 * i));
    buf_append(out, bytes, 4);
}

/* Length of the valid UTF-8 sequence at s[0..avail): 1 for ASCII, else the rule shared with
 * utf8_valid and the JSON writer (util/utf8.h), so a byte is replaced here exactly when the
 * JSON writer replaces it; 0 when the byte at s starts no valid sequence. */
static size_t utf8_sequence_len(const unsigned char *s, size_t avail) {
    return s[0] < 0x80 ? 1 : utf8_sequence_length(s, avail);
}

/* Length of s once every byte that starts no valid sequence is replaced by U+FFFD. Equal
 * to len exactly when s is valid (a replacement always adds two bytes). */
static size_t utf8_repaired_len(const char *s, size_t len) {
    if (len == 0) return 0; /* an empty string may have no bytes at all (a NULL pointer) */
    size_t valid = len;
    if (utf8_valid(s, len, &valid)) return len; /* the usual case: one fast scan */
    const unsigned char *p = (const unsigned char *)s;
    size_t out_len = valid;
    for (size_t i = valid; i < len;) {
        size_t n = utf8_sequence_len(p + i, len - i);
        if (n == 0) {
            out_len += sizeof utf8_replacement;
            i++;
        } else {
            out_len += n;
            i += n;
        }
    }
    return out_len;
}

/* Append s repaired (see utf8_repaired_len); repaired_len is what that returned. */
static void put_utf8(buf_t *out, const char *s, size_t len, size_t repaired_len) {
    if (repaired_len == len) {
        buf_append(out, s, len);
        return;
    }
    buf_grow(out, repaired_len);
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_sequence_len(p + i, len - i);
        if (n == 0) {
            buf_append(out, utf8_replacement, sizeof utf8_replacement);
            i++;
        } else {
            buf_append(out, s + i, n);
            i += n;
        }
    }
}

/* Append a length-delimited string field; repaired_len from utf8_repaired_len. */
static void put_string_field(buf_t *out, unsigned field, const char *s, size_t len,
                             size_t repaired_len) {
    put_tag(out, field, WIRE_LEN);
    pb_put_varint(out, repaired_len);
    put_utf8(out, s, len, repaired_len);
}

/* Bytes of a length-delimited field whose payload is payload_len bytes. */
static size_t len_field_size(unsigned field, size_t payload_len) {
    return tag_size(field) + pb_varint_size(payload_len) + payload_len;
}

/* Size of the ArrayValue message of a string array (its values(1) AnyValues). */
static size_t array_value_size(const bt_str *values, size_t count) {
    size_t size = 0;
    for (size_t i = 0; i < count; i++) {
        size_t any_size = len_field_size(ANY_STRING, utf8_repaired_len(values[i].ptr,
                                                                       values[i].len));
        size += len_field_size(ARRAY_VALUES, any_size);
    }
    return size;
}

/* Size of the AnyValue message of attr. For a string, *string_len receives its repaired
 * length so it is measured only once. A oneof member is always written, even when it
 * holds its type's default (0, false, ""), so the value's type is never lost. */
static size_t any_value_size(const span_attr *attr, size_t *string_len) {
    switch (attr->type) {
    case ATTR_STRING:
        /* A value the convention vouched for (JSON the writer made) is copied as it is. */
        *string_len = attr->utf8_known_valid ? attr->s.len
                                             : utf8_repaired_len(attr->s.ptr, attr->s.len);
        return len_field_size(ANY_STRING, *string_len);
    case ATTR_INT:
        return tag_size(ANY_INT) + pb_varint_size((uint64_t)attr->i);
    case ATTR_DOUBLE:
        return tag_size(ANY_DOUBLE) + 8;
    case ATTR_BOOL:
        return tag_size(ANY_BOOL) + 1;
    case ATTR_STRING_ARRAY:
        return len_field_size(ANY_ARRAY, array_value_size(attr->array, attr->array_len));
    }
    return 0;
}

/* Append the AnyValue fields of attr; string_len as any_value_size gave it. */
static void put_any_value(buf_t *out, const span_attr *attr, size_t string_len) {
    switch (attr->type) {
    case ATTR_STRING:
        put_string_field(out, ANY_STRING, attr->s.ptr, attr->s.len, string_len);
        break;
    case ATTR_INT:
        put_tag(out, ANY_INT, WIRE_VARINT);
        pb_put_varint(out, (uint64_t)attr->i); /* negative: 10-byte two's complement */
        break;
    case ATTR_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &attr->d, sizeof bits);
        put_tag(out, ANY_DOUBLE, WIRE_FIXED64);
        put_fixed64(out, bits);
        break;
    }
    case ATTR_BOOL:
        put_tag(out, ANY_BOOL, WIRE_VARINT);
        buf_putc(out, attr->b ? 1 : 0);
        break;
    case ATTR_STRING_ARRAY:
        put_tag(out, ANY_ARRAY, WIRE_LEN);
        pb_put_varint(out, array_value_size(attr->array, attr->array_len));
        for (size_t i = 0; i < attr->array_len; i++) {
            const bt_str *value = &attr->array[i];
            size_t value_len = utf8_repaired_len(value->ptr, value->len);
            put_tag(out, ARRAY_VALUES, WIRE_LEN);
            pb_put_varint(out, len_field_size(ANY_STRING, value_len));
            put_string_field(out, ANY_STRING, value->ptr, value->len, value_len);
        }
        break;
    }
}

/* Write a length-delimited field of field number `field` holding len bytes at p, which
 * has room for it (len_field_size); returns the byte after it. bytes may be NULL when len
 * is 0 (an empty attribute value, e.g. the text of a message holding only a tool call). */
static char *raw_len_field(char *p, unsigned field, const char *bytes, size_t len) {
    p = pb_raw_varint(p, ((uint64_t)field << 3) | WIRE_LEN);
    p = pb_raw_varint(p, len);
    if (len) memcpy(p, bytes, len); /* an empty string may have a NULL pointer */
    return p + len;
}

/* Append attr as a KeyValue message in field `field` of the enclosing message. */
static void put_key_value(buf_t *out, unsigned field, const span_attr *attr) {
    size_t key_len = strlen(attr->key);
    size_t key_repaired = utf8_repaired_len(attr->key, key_len);
    size_t string_len = 0;
    size_t any_size = any_value_size(attr, &string_len);
    size_t kv_size = len_field_size(KEY_VALUE_KEY, key_repaired) +
                     len_field_size(KEY_VALUE_VALUE, any_size);
    if (attr->type == ATTR_STRING && key_repaired == key_len && string_len == attr->s.len) {
        /* The usual case, valid UTF-8 key and string: one reservation, then plain stores. */
        buf_grow(out, len_field_size(field, kv_size));
        char *p = out->data + out->len;
        p = pb_raw_varint(p, ((uint64_t)field << 3) | WIRE_LEN);
        p = pb_raw_varint(p, kv_size);
        p = raw_len_field(p, KEY_VALUE_KEY, attr->key, key_len);
        p = pb_raw_varint(p, ((uint64_t)KEY_VALUE_VALUE << 3) | WIRE_LEN);
        p = pb_raw_varint(p, any_size);
        p = raw_len_field(p, ANY_STRING, attr->s.ptr, attr->s.len);
        out->len = (size_t)(p - out->data);
        out->data[out->len] = '\0';
        return;
    }
    put_tag(out, field, WIRE_LEN);
    pb_put_varint(out, kv_size);
    put_string_field(out, KEY_VALUE_KEY, attr->key, key_len, key_repaired);
    put_tag(out, KEY_VALUE_VALUE, WIRE_LEN);
    pb_put_varint(out, any_size);
    put_any_value(out, attr, string_len);
}

/* Size of the KeyValue message of attr (without its own tag and length). */
static size_t key_value_size(const span_attr *attr) {
    size_t key_len = strlen(attr->key);
    size_t string_len = 0;
    size_t any_size = any_value_size(attr, &string_len);
    return len_field_size(KEY_VALUE_KEY, utf8_repaired_len(attr->key, key_len)) +
           len_field_size(KEY_VALUE_VALUE, any_size);
}

/* Append event as a Span.Event message in field SPAN_EVENTS. */
static void put_event(buf_t *out, const span_event *event) {
    size_t name_len = strlen(event->name);
    size_t name_repaired = utf8_repaired_len(event->name, name_len);
    size_t size = tag_size(EVENT_TIME) + 8 + len_field_size(EVENT_NAME, name_repaired);
    for (size_t i = 0; i < event->attr_count; i++)
        size += len_field_size(EVENT_ATTRIBUTES, key_value_size(&event->attrs[i]));
    put_tag(out, SPAN_EVENTS, WIRE_LEN);
    pb_put_varint(out, size);
    put_tag(out, EVENT_TIME, WIRE_FIXED64);
    put_fixed64(out, event->time_ns);
    put_string_field(out, EVENT_NAME, event->name, name_len, name_repaired);
    for (size_t i = 0; i < event->attr_count; i++)
        put_key_value(out, EVENT_ATTRIBUTES, &event->attrs[i]);
}

/* Append a bytes field holding len raw bytes. */
static void put_bytes_field(buf_t *out, unsigned field, const uint8_t *bytes, size_t len) {
    put_tag(out, field, WIRE_LEN);
    pb_put_varint(out, len);
    buf_append(out, bytes, len);
}

/* See otlp_proto.h. */
void otlp_proto_encode_span(buf_t *out, const span_t *span) {
    /* Fields in field-number order, as protobuf serializers write them; proto3 defaults
     * (empty name, kind 0, zero flags, unset status) are left out. */
    put_bytes_field(out, SPAN_TRACE_ID, span->trace_id, sizeof span->trace_id);
    put_bytes_field(out, SPAN_SPAN_ID, span->span_id, sizeof span->span_id);
    if (span->has_parent)
        put_bytes_field(out, SPAN_PARENT_SPAN_ID, span->parent_span_id,
                        sizeof span->parent_span_id);
    if (span->name.len)
        put_string_field(out, SPAN_NAME, span->name.ptr, span->name.len,
                         utf8_repaired_len(span->name.ptr, span->name.len));
    if (span->kind != SPAN_KIND_UNSPECIFIED) {
        put_tag(out, SPAN_KIND, WIRE_VARINT);
        pb_put_varint(out, (uint64_t)span->kind);
    }
    put_tag(out, SPAN_START_TIME, WIRE_FIXED64);
    put_fixed64(out, span->start_ns);
    put_tag(out, SPAN_END_TIME, WIRE_FIXED64);
    put_fixed64(out, span->end_ns);
    for (size_t i = 0; i < span->attr_count; i++)
        put_key_value(out, SPAN_ATTRIBUTES, &span->attrs[i]);
    for (size_t i = 0; i < span->event_count; i++) put_event(out, &span->events[i]);
    if (span->status != SPAN_STATUS_UNSET || span->status_message.len) {
        const bt_str *message = &span->status_message;
        size_t message_len = utf8_repaired_len(message->ptr, message->len);
        size_t status_size = 0;
        if (message->len) status_size += len_field_size(STATUS_MESSAGE, message_len);
        if (span->status != SPAN_STATUS_UNSET)
            status_size += tag_size(STATUS_CODE) + pb_varint_size((uint64_t)span->status);
        put_tag(out, SPAN_STATUS, WIRE_LEN);
        pb_put_varint(out, status_size);
        if (message->len)
            put_string_field(out, STATUS_MESSAGE, message->ptr, message->len, message_len);
        if (span->status != SPAN_STATUS_UNSET) {
            put_tag(out, STATUS_CODE, WIRE_VARINT);
            pb_put_varint(out, (uint64_t)span->status);
        }
    }
    if (span->flags) {
        put_tag(out, SPAN_FLAGS, WIRE_FIXED32);
        put_fixed32(out, span->flags);
    }
}

/* Most bytes the wrapper around the spans can take: the two outer tags and lengths (each
 * at most 1 + PB_VARINT_MAX bytes) plus the resource and scope fields. */
static size_t wrapper_room(size_t fixed_len) { return 2 * (1 + PB_VARINT_MAX) + fixed_len; }

/* See otlp_proto.h. */
void otlp_proto_request_init(otlp_proto_request *req, const span_resource *resource) {
    memset(req, 0, sizeof *req);
    /* resource(1) of ResourceSpans: Resource { attributes(1): KeyValue... } */
    buf_t attrs = BUF_INIT;
    for (size_t i = 0; i < resource->attr_count; i++)
        put_key_value(&attrs, RESOURCE_ATTRIBUTES, &resource->attrs[i]);
    put_tag(&req->fixed, RESOURCE_SPANS_RESOURCE, WIRE_LEN);
    pb_put_varint(&req->fixed, attrs.len);
    buf_append(&req->fixed, attrs.data, attrs.len);
    buf_free(&attrs);
    req->resource_len = req->fixed.len;

    /* scope(1) of ScopeSpans: InstrumentationScope { name(1), version(2) } */
    const char *name = resource->scope_name ? resource->scope_name : "";
    const char *version = resource->scope_version ? resource->scope_version : "";
    size_t name_len = strlen(name), version_len = strlen(version);
    size_t name_repaired = utf8_repaired_len(name, name_len);
    size_t version_repaired = utf8_repaired_len(version, version_len);
    size_t scope_size = (name_len ? len_field_size(SCOPE_NAME, name_repaired) : 0) +
                        (version_len ? len_field_size(SCOPE_VERSION, version_repaired) : 0);
    put_tag(&req->fixed, SCOPE_SPANS_SCOPE, WIRE_LEN);
    pb_put_varint(&req->fixed, scope_size);
    if (name_len) put_string_field(&req->fixed, SCOPE_NAME, name, name_len, name_repaired);
    if (version_len)
        put_string_field(&req->fixed, SCOPE_VERSION, version, version_len, version_repaired);

    req->header_room = wrapper_room(req->fixed.len);
    buf_grow(&req->data, req->header_room);
    memset(req->data.data, 0, req->header_room);
    req->data.len = req->header_room;
}

/* See otlp_proto.h. */
void otlp_proto_request_add(otlp_proto_request *req, bt_str span_message) {
    put_tag(&req->data, SCOPE_SPANS_SPANS, WIRE_LEN);
    pb_put_varint(&req->data, span_message.len);
    buf_append(&req->data, span_message.ptr, span_message.len);
    req->span_count++;
}

/* See otlp_proto.h. */
size_t otlp_proto_request_span_bytes(const otlp_proto_request *req) {
    return req->data.len - req->header_room;
}

/* See otlp_proto.h: the room reserved in front of the records holds the whole wrapper. */
size_t otlp_proto_request_overhead(const otlp_proto_request *req) { return req->header_room; }

/* See otlp_proto.h: the wrapper's lengths follow from the span bytes, so it is encoded
 * last and placed right before the first span record. */
bt_str otlp_proto_request_finish(otlp_proto_request *req) {
    size_t spans_len = otlp_proto_request_span_bytes(req);
    size_t scope_field_len = req->fixed.len - req->resource_len;
    size_t scope_spans_size = scope_field_len + spans_len;
    size_t resource_spans_size = req->resource_len +
                                 len_field_size(RESOURCE_SPANS_SCOPE_SPANS, scope_spans_size);
    /* The wrapper, written into a small buffer and then right before the first span. */
    buf_t head = BUF_INIT;
    put_tag(&head, REQUEST_RESOURCE_SPANS, WIRE_LEN);
    pb_put_varint(&head, resource_spans_size);
    buf_append(&head, req->fixed.data, req->resource_len);
    put_tag(&head, RESOURCE_SPANS_SCOPE_SPANS, WIRE_LEN);
    pb_put_varint(&head, scope_spans_size);
    buf_append(&head, req->fixed.data + req->resource_len, scope_field_len);
    size_t start = req->header_room - head.len; /* head.len <= header_room by wrapper_room */
    memcpy(req->data.data + start, head.data, head.len);
    buf_free(&head);
    return (bt_str){req->data.data + start, req->data.len - start};
}

/* See otlp_proto.h. */
void otlp_proto_request_reset(otlp_proto_request *req) {
    req->data.len = 0; /* data may be another buffer now (a transport took the request's) */
    buf_grow(&req->data, req->header_room);
    req->data.len = req->header_room;
    req->span_count = 0;
}

/* See otlp_proto.h. */
void otlp_proto_request_free(otlp_proto_request *req) {
    buf_free(&req->data);
    buf_free(&req->fixed);
    memset(req, 0, sizeof *req);
}
