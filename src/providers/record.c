/* Small readers over one provider record (see record.h). */
#include "providers/record.h"

#include <string.h>

#include "util/timeutil.h"

/* The longest piece of a raw value quoted in a reason. */
enum { QUOTE_MAX = 40 };

bool rec_present(const record_ctx *c, int tok) {
    json_type type = json_type_of(c->doc, tok);
    return type != JSON_NONE && type != JSON_NULL;
}

bool rec_is(const record_ctx *c, int tok, json_type type) {
    return json_type_of(c->doc, tok) == type;
}

int rec_get(const record_ctx *c, int obj, const char *key, const char *alt) {
    int tok = json_get(c->doc, obj, key);
    if (rec_present(c, tok) || !alt) return tok;
    return json_get(c->doc, obj, alt);
}

int rec_get_typed(const record_ctx *c, int obj, const char *key, const char *alt,
                  json_type type) {
    int tok = rec_get(c, obj, key, alt);
    return rec_is(c, tok, type) ? tok : -1;
}

bt_str rec_str(const record_ctx *c, int tok) {
    bt_str s = STR_NULL;
    if (json_string_borrowed(c->doc, tok, c->arena, &s) < 0) return STR_NULL;
    return s;
}

bt_str rec_str_field(const record_ctx *c, int obj, const char *key, const char *alt) {
    return rec_str(c, rec_get(c, obj, key, alt));
}

bt_str rec_raw(const record_ctx *c, int tok) {
    return rec_present(c, tok) ? json_raw(c->doc, tok) : STR_NULL;
}

/* Parse text as a strict decimal int64 ("-12", no sign-only, no spaces). */
static bool parse_decimal(bt_str text, int64_t *out) {
    size_t i = text.len && text.ptr[0] == '-' ? 1 : 0;
    if (i == text.len || text.len - i > 19) return false;
    uint64_t value = 0;
    for (; i < text.len; i++) {
        if (text.ptr[i] < '0' || text.ptr[i] > '9') return false;
        value = value * 10 + (uint64_t)(text.ptr[i] - '0');
    }
    bool negative = text.ptr[0] == '-';
    if (value > (uint64_t)INT64_MAX + (negative ? 1u : 0u)) return false;
    *out = negative ? (int64_t)(0 - value) : (int64_t)value;
    return true;
}

int rec_int(const record_ctx *c, int tok, const char *label, opt_i64 *out) {
    if (!rec_present(c, tok)) return 0;
    int64_t value;
    bool ok = rec_is(c, tok, JSON_STRING) ? parse_decimal(rec_str(c, tok), &value)
                                         : json_int64(c->doc, tok, &value) == 0;
    if (!ok) {
        bt_str raw = json_raw(c->doc, tok);
        int quoted = raw.len > QUOTE_MAX ? QUOTE_MAX : (int)raw.len;
        return fail(c->reason, "\"%s\" is not an integer in int64 range: %.*s%s", label,
                    quoted, raw.ptr, raw.len > QUOTE_MAX ? "..." : "");
    }
    out->has = true;
    out->value = value;
    return 0;
}

void rec_double(const record_ctx *c, int tok, opt_f64 *out) {
    double value;
    if (!rec_is(c, tok, JSON_NUMBER) || json_double(c->doc, tok, &value) < 0) return;
    out->has = true;
    out->value = value;
}

int rec_time(const record_ctx *c, int tok, const char *label, int64_t *out_ns) {
    if (!rec_is(c, tok, JSON_STRING)) return 0;
    bt_str text = rec_str(c, tok);
    if (time_parse_rfc3339(text.ptr, text.len, out_ns) != 0) {
        int quoted = text.len > QUOTE_MAX ? QUOTE_MAX : (int)text.len;
        return fail(c->reason, "\"%s\" is not an RFC 3339 timestamp: \"%.*s\"", label, quoted,
                    text.ptr);
    }
    return 0;
}

void rec_strings(const record_ctx *c, int tok, bt_str **out, size_t *count) {
    int total = rec_is(c, tok, JSON_ARRAY) ? json_count(c->doc, tok) : 0;
    if (total <= 0) return;
    *out = arena_calloc(c->arena, (size_t)total, sizeof **out);
    *count = 0;
    for (int entry = json_first(c->doc, tok), i = 0; i < total;
         entry = json_next(c->doc, entry), i++)
        if (rec_is(c, entry, JSON_STRING)) (*out)[(*count)++] = rec_str(c, entry);
}

bool rec_starts_with(const record_ctx *c, int tok, const char *prefix) {
    if (!rec_is(c, tok, JSON_STRING)) return false;
    bt_str raw = json_raw(c->doc, tok); /* with its quotes; a prefix has no escapes */
    size_t len = strlen(prefix);
    return raw.len >= len + 2 && memcmp(raw.ptr + 1, prefix, len) == 0;
}

void msg_builder_init(const record_ctx *c, msg_builder *b, bt_str role, size_t part_hint) {
    memset(b, 0, sizeof *b);
    b->m.role = role;
    if (part_hint) {
        b->m.parts = arena_calloc(c->arena, part_hint, sizeof(msg_part));
        b->part_cap = part_hint;
    }
}

msg_part *msg_builder_add(const record_ctx *c, msg_builder *b, part_type type) {
    if (b->m.part_count == b->part_cap) {
        size_t new_cap = b->part_cap ? b->part_cap * 2 : 4;
        b->m.parts = arena_grow(c->arena, b->m.parts, b->m.part_count, new_cap,
                                sizeof(msg_part));
        b->part_cap = new_cap;
    }
    msg_part *part = &b->m.parts[b->m.part_count++];
    memset(part, 0, sizeof *part);
    part->type = type;
    return part;
}

void msg_builder_text(const record_ctx *c, msg_builder *b, part_type type, bt_str text) {
    msg_builder_add(c, b, type)->content = text;
}

void msg_builder_string(const record_ctx *c, msg_builder *b, part_type type, int tok) {
    msg_part_set_string(msg_builder_add(c, b, type), c->doc, tok, c->arena);
}

void msg_part_set_string(msg_part *part, const json_doc *doc, int tok, arena_t *a) {
    if (json_string_borrowed(doc, tok, a, &part->content) < 0) {
        part->content = STR_NULL;
        return;
    }
    if (!json_string_literal(doc, tok, &part->content_literal)) part->content_literal = STR_NULL;
}

bt_str mime_modality(bt_str mime_type) {
    static const char *const kinds[] = {"image", "audio", "video"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t len = strlen(kinds[i]);
        if (mime_type.len > len && memcmp(mime_type.ptr, kinds[i], len) == 0 &&
            mime_type.ptr[len] == '/')
            return str_c(kinds[i]);
    }
    return STR_LIT("file");
}

void item_set_output(const record_ctx *c, bt_item *item, msg m) {
    item->output_messages = arena_calloc(c->arena, 1, sizeof(msg));
    item->output_messages[0] = m;
    item->output_message_count = 1;
    if (m.finish_reason.len) {
        item->finish_reasons = &item->output_messages[0].finish_reason;
        item->finish_reason_count = 1;
    }
}

bool opt_add(opt_i64 *total, opt_i64 value) {
    if (!value.has) return true;
    int64_t base = total->has ? total->value : 0;
    if ((value.value > 0 && base > INT64_MAX - value.value) ||
        (value.value < 0 && base < INT64_MIN - value.value))
        return false;
    total->has = true;
    total->value = base + value.value;
    return true;
}
