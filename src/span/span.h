/* The span model: what the collector builds and the exporters encode. A span's strings and
 * attribute array live in the arena given to span_init (the exporter must encode or copy
 * before the arena is reset). Attribute keys are borrowed C strings (usually literals). */
#ifndef BT_SPAN_SPAN_H
#define BT_SPAN_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/str.h"

/* OTLP span kinds and status codes, with OTLP's numbering. */
typedef enum span_kind {
    SPAN_KIND_UNSPECIFIED = 0,
    SPAN_KIND_INTERNAL = 1,
    SPAN_KIND_SERVER = 2,
    SPAN_KIND_CLIENT = 3,
    SPAN_KIND_PRODUCER = 4,
    SPAN_KIND_CONSUMER = 5,
} span_kind;

typedef enum span_status {
    SPAN_STATUS_UNSET = 0,
    SPAN_STATUS_OK = 1,
    SPAN_STATUS_ERROR = 2,
} span_status;

typedef enum attr_type {
    ATTR_STRING,
    ATTR_INT,
    ATTR_DOUBLE,
    ATTR_BOOL,
    ATTR_STRING_ARRAY,
} attr_type;

typedef struct span_attr {
    const char *key;         /* borrowed, NUL-terminated */
    attr_type type;
    bt_str s;                /* ATTR_STRING */
    int64_t i;               /* ATTR_INT */
    double d;                /* ATTR_DOUBLE */
    bool b;                  /* ATTR_BOOL */
    bool utf8_known_valid;   /* ATTR_STRING: s is well-formed UTF-8 by construction (JSON
                                the writer made), so an encoder need not check it again */
    const bt_str *array;     /* ATTR_STRING_ARRAY: the strings */
    size_t array_len;        /* ATTR_STRING_ARRAY: how many */
} span_attr;

/* A timestamped event of a span (OTLP Span.Event), e.g. the "exception" a failed call
 * records. Its attributes are borrowed as a span's are. */
typedef struct span_event {
    const char *name;        /* borrowed, NUL-terminated */
    uint64_t time_ns;        /* unix nanoseconds */
    span_attr *attrs;        /* in the span's arena */
    size_t attr_count;
} span_event;

typedef struct span {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t parent_span_id[8];
    bool has_parent;         /* parent_span_id is meaningful */
    uint32_t flags;          /* W3C trace flags (sampled = 1) */
    bt_str name;
    span_kind kind;
    uint64_t start_ns;       /* unix nanoseconds */
    uint64_t end_ns;
    span_status status;
    bt_str status_message;
    span_attr *attrs;        /* in the arena */
    size_t attr_count;
    size_t attr_cap;
    span_event *events;      /* in the arena */
    size_t event_count;
    arena_t *arena;          /* borrowed: where attrs and copies live */
} span_t;

/* A zeroed span whose allocations go to arena. */
void span_init(span_t *span, arena_t *arena);
/* Add attributes. Values are borrowed (not copied): they must outlive the span's use. */
void span_attr_str(span_t *span, const char *key, bt_str value);
/* A string attribute whose value is well-formed UTF-8 by construction (JSON text the JSON
 * writer made, whose strings it escaped): the OTLP/JSON encoder escapes it without checking
 * its UTF-8 again. Borrowed, as span_attr_str. */
void span_attr_str_valid_utf8(span_t *span, const char *key, bt_str value);
void span_attr_cstr(span_t *span, const char *key, const char *value);
void span_attr_int(span_t *span, const char *key, int64_t value);
void span_attr_double(span_t *span, const char *key, double value);
void span_attr_bool(span_t *span, const char *key, bool value);
void span_attr_strs(span_t *span, const char *key, const bt_str *values, size_t count);
/* Add an event named name at time_ns with a copy (in the arena) of attrs[0..count); the
 * attributes' keys and values stay borrowed. */
void span_add_event(span_t *span, const char *name, uint64_t time_ns, const span_attr *attrs,
                    size_t count);
/* The attribute named key, or NULL. */
const span_attr *span_attr_find(const span_t *span, const char *key);

/* The resource and scope every exported span shares (SPEC section 5). */
typedef struct span_resource {
    span_attr *attrs;        /* owned by whoever built it (see resource.h) */
    size_t attr_count;
    const char *scope_name;  /* "batchtrace" */
    const char *scope_version;
} span_resource;

#endif
