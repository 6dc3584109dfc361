/* The span model: a span's attributes are appended into an array grown in the span's arena.
 * Nothing here copies attribute values: keys and values are borrowed (see span.h). */
#include "span/span.h"

#include <string.h>

/* Room for the first attributes of a span: an LLM span with the always-on conventions has
 * 10 to 25, so it never grows; with the backend dialects too it grows once or twice. */
enum { SPAN_ATTR_FIRST_CAP = 32 };

/* See span.h. */
void span_init(span_t *span, arena_t *arena) {
    memset(span, 0, sizeof *span);
    span->arena = arena;
}

/* A new zeroed attribute slot at the end of span->attrs with the given key and type,
 * doubling the array in the arena when it is full (the old copy is abandoned there). The
 * array's unused tail is never read, so it is not zeroed: each slot is when handed out. */
static span_attr *attr_append(span_t *span, const char *key, attr_type type) {
    if (span->attr_count == span->attr_cap) {
        size_t new_cap = span->attr_cap ? span->attr_cap * 2 : SPAN_ATTR_FIRST_CAP;
        /* no overflow: twice an array that already fits in memory */
        span_attr *grown = arena_alloc(span->arena, new_cap * sizeof *grown);
        if (span->attr_count) memcpy(grown, span->attrs, span->attr_count * sizeof *grown);
        span->attrs = grown;
        span->attr_cap = new_cap;
    }
    span_attr *attr = &span->attrs[span->attr_count++];
    *attr = (span_attr){.key = key, .type = type};
    return attr;
}

/* A string attribute; the bytes are borrowed. */
void span_attr_str(span_t *span, const char *key, bt_str value) {
    attr_append(span, key, ATTR_STRING)->s = value;
}

/* See span.h. */
void span_attr_str_valid_utf8(span_t *span, const char *key, bt_str value) {
    span_attr *attr = attr_append(span, key, ATTR_STRING);
    attr->s = value;
    attr->utf8_known_valid = true;
}

/* A string attribute from a C string (NULL gives ""); borrowed. */
void span_attr_cstr(span_t *span, const char *key, const char *value) {
    attr_append(span, key, ATTR_STRING)->s = str_c(value);
}

/* A 64-bit integer attribute. */
void span_attr_int(span_t *span, const char *key, int64_t value) {
    attr_append(span, key, ATTR_INT)->i = value;
}

/* A double attribute. */
void span_attr_double(span_t *span, const char *key, double value) {
    attr_append(span, key, ATTR_DOUBLE)->d = value;
}

/* A boolean attribute. */
void span_attr_bool(span_t *span, const char *key, bool value) {
    attr_append(span, key, ATTR_BOOL)->b = value;
}

/* A string-array attribute; the array and its strings are borrowed. */
void span_attr_strs(span_t *span, const char *key, const bt_str *values, size_t count) {
    span_attr *attr = attr_append(span, key, ATTR_STRING_ARRAY);
    attr->array = values;
    attr->array_len = count;
}

/* See span.h. The events array is grown by one in the arena (spans have one event at most
 * in practice; the old copy is abandoned there). */
void span_add_event(span_t *span, const char *name, uint64_t time_ns, const span_attr *attrs,
                    size_t count) {
    span_event *grown = arena_alloc(span->arena, (span->event_count + 1) * sizeof *grown);
    if (span->event_count) memcpy(grown, span->events, span->event_count * sizeof *grown);
    span_attr *copy = NULL;
    if (count) {
        copy = arena_alloc(span->arena, count * sizeof *copy);
        memcpy(copy, attrs, count * sizeof *copy);
    }
    grown[span->event_count++] = (span_event){name, time_ns, copy, count};
    span->events = grown;
}

/* The first attribute named key (a linear scan: spans have a few dozen), or NULL. */
const span_attr *span_attr_find(const span_t *span, const char *key) {
    for (size_t i = 0; i < span->attr_count; i++)
        if (strcmp(span->attrs[i].key, key) == 0) return &span->attrs[i];
    return NULL;
}
