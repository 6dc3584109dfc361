/* The attribute size limit (see limit.h). */
#include "span/limit.h"

#include "json/json.h"
#include "json/writer.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/reason.h"

/* Bytes of the UTF-8 sequence that starts with lead (1 for ASCII and stray bytes). */
static size_t sequence_length(unsigned char lead) {
    if (lead >= 0xF0) return 4;
    if (lead >= 0xE0) return 3;
    if (lead >= 0xC0) return 2;
    return 1;
}

/* True when value is a JSON object or array (the only JSON documents conventions write). */
static bool is_json_document(bt_str value) {
    if (value.len < 2 || (value.ptr[0] != '{' && value.ptr[0] != '[')) return false;
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    bool parsed = json_parse(&doc, value.ptr, value.len, reason) == 0;
    json_doc_free(&doc);
    return parsed;
}

/* value (a JSON document) as a JSON string of at most max_bytes, in arena: the document's
 * text is escaped whole, then cut before the first escape sequence or UTF-8 character that
 * would not fit with the closing quote. */
static bt_str cut_json(arena_t *arena, bt_str value, size_t max_bytes) {
    buf_t escaped = BUF_INIT;
    json_escape_string(&escaped, value.ptr, value.len);
    size_t end = 1; /* after the opening quote */
    while (end < escaped.len - 1) {
        unsigned char c = (unsigned char)escaped.data[end];
        size_t step = c == '\\' ? (escaped.data[end + 1] == 'u' ? 6 : 2) : sequence_length(c);
        if (end + step + 1 > max_bytes) break;
        end += step;
    }
    escaped.data[end] = '"';
    bt_str cut = arena_strndup(arena, escaped.data, end + 1);
    buf_free(&escaped);
    return cut;
}

/* value cut to at most max_bytes, at a UTF-8 character boundary (borrowing value's bytes). */
static bt_str cut_text(bt_str value, size_t max_bytes) {
    size_t end = max_bytes;
    while (end > 0 && ((unsigned char)value.ptr[end] & 0xC0) == 0x80) end--;
    return (bt_str){value.ptr, end};
}

/* value within max_bytes: itself when short enough, else cut as limit.h says. */
static bt_str limited(arena_t *arena, bt_str value, size_t max_bytes) {
    if (value.len <= max_bytes) return value;
    return is_json_document(value) ? cut_json(arena, value, max_bytes)
                                   : cut_text(value, max_bytes);
}

/* Bound the values of attrs[0..count) (strings and string-array elements) to max_bytes;
 * true when any was cut. */
static bool limit_attrs(arena_t *arena, span_attr *attrs, size_t count, size_t max_bytes) {
    bool cut = false;
    for (size_t i = 0; i < count; i++) {
        span_attr *attr = &attrs[i];
        if (attr->type == ATTR_STRING && attr->s.len > max_bytes) {
            attr->s = limited(arena, attr->s, max_bytes);
            attr->utf8_known_valid = false; /* a cut value is not what was vouched for */
            cut = true;
        } else if (attr->type == ATTR_STRING_ARRAY) {
            bt_str *copy = NULL;
            for (size_t j = 0; j < attr->array_len; j++) {
                if (attr->array[j].len <= max_bytes) continue;
                if (!copy) {
                    copy = arena_calloc(arena, attr->array_len, sizeof *copy);
                    for (size_t k = 0; k < attr->array_len; k++) copy[k] = attr->array[k];
                }
                copy[j] = limited(arena, attr->array[j], max_bytes);
            }
            if (copy) {
                attr->array = copy;
                cut = true;
            }
        }
    }
    return cut;
}

/* See limit.h. Event attributes (an exception's message) are bounded as the span's are. */
bool span_limit_values(span_t *span, size_t max_bytes) {
    bool cut = limit_attrs(span->arena, span->attrs, span->attr_count, max_bytes);
    for (size_t i = 0; i < span->event_count; i++)
        cut = limit_attrs(span->arena, span->events[i].attrs, span->events[i].attr_count,
                          max_bytes) || cut;
    if (cut) span_attr_bool(span, "batchtrace.truncated", true);
    return cut;
}
