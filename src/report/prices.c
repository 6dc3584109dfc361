/* See prices.h. */
#include "report/prices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/buf.h"

/* A non-negative number at key of entry e into *out (0 when absent). -1 with reason when
 * it is there and not a non-negative number. */
static int read_rate(const json_doc *doc, int e, const char *key, const char *name,
                     size_t index, double *out, char *reason) {
    int tok = json_get(doc, e, key);
    *out = 0;
    if (tok < 0) return 0;
    if (json_double(doc, tok, out) != 0 || *out < 0)
        return fail(reason, "%s: prices[%zu].%s must be a non-negative number", name, index,
                    key);
    return 0;
}

/* A string at key of entry e, malloc'd, or NULL when absent or not a string. */
static char *read_text(const json_doc *doc, int e, const char *key, arena_t *arena) {
    bt_str s;
    if (json_get_string(doc, e, key, arena, &s) != 0 || s.len == 0) return NULL;
    return xstrndup(s.ptr, s.len);
}

/* See prices.h. */
int prices_parse(price_table *table, const char *text, size_t len, const char *name,
                 char *reason) {
    memset(table, 0, sizeof *table);
    json_doc doc = JSON_DOC_INIT;
    arena_t arena = ARENA_INIT;
    price_table built = {NULL, 0};
    int rc = -1;
    char detail[REASON_MAX];
    if (json_parse(&doc, text, len, detail) != 0) {
        fail(reason, "%s: %s", name, detail);
        goto done;
    }
    int list = json_get(&doc, 0, "prices");
    if (json_type_of(&doc, list) != JSON_ARRAY) {
        fail(reason, "%s: not a price table (no \"prices\" array)", name);
        goto done;
    }
    built.entries = xcalloc((size_t)json_count(&doc, list) + 1, sizeof *built.entries);
    size_t index = 0;
    for (int e = json_first(&doc, list); e >= 0 && e < doc.tok_count;
         e = json_next(&doc, e), index++) {
        price *p = &built.entries[built.count++];
        if (json_type_of(&doc, e) != JSON_OBJECT) {
            fail(reason, "%s: prices[%zu] must be an object", name, index);
            goto done;
        }
        p->provider = read_text(&doc, e, "provider", &arena);
        p->model = read_text(&doc, e, "model", &arena);
        if (!p->model) {
            p->model = read_text(&doc, e, "prefix", &arena);
            p->is_prefix = p->model != NULL;
        }
        if (!p->provider || !p->model) {
            fail(reason, "%s: prices[%zu] needs \"provider\" and \"model\" (or \"prefix\")",
                 name, index);
            goto done;
        }
        if (read_rate(&doc, e, "input", name, index, &p->input, reason) != 0 ||
            read_rate(&doc, e, "cache_read", name, index, &p->cache_read, reason) != 0 ||
            read_rate(&doc, e, "cache_write", name, index, &p->cache_write, reason) != 0 ||
            read_rate(&doc, e, "output", name, index, &p->output, reason) != 0 ||
            read_rate(&doc, e, "batch_discount", name, index, &p->batch_discount, reason) != 0)
            goto done;
        if (p->batch_discount > 1) {
            fail(reason, "%s: prices[%zu].batch_discount must be between 0 and 1", name, index);
            goto done;
        }
    }
    *table = built;
    built = (price_table){NULL, 0};
    rc = 0;
done:
    prices_free(&built);
    json_doc_free(&doc);
    arena_free(&arena);
    return rc;
}

/* See prices.h. */
int prices_load(price_table *table, const char *path, char *reason) {
    if (!path) return prices_parse(table, prices_builtin_json, prices_builtin_json_len,
                                   "the built-in price table", reason);
    memset(table, 0, sizeof *table);
    FILE *file = fopen(path, "rb");
    if (!file) return fail(reason, "--prices %s: cannot be read", path);
    buf_t text = BUF_INIT;
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, file)) > 0) buf_append(&text, chunk, got);
    bool failed = ferror(file) != 0;
    fclose(file);
    int rc = failed ? fail(reason, "--prices %s: cannot be read", path)
                    : prices_parse(table, buf_cstr(&text), text.len, path, reason);
    buf_free(&text);
    return rc;
}

/* True when rest (what follows a model name) is a date suffix: -YYYY-MM-DD or -YYYYMMDD. */
static bool is_date_suffix(const char *rest, size_t len) {
    static const char dashed[] = "-dddd-dd-dd", compact[] = "-dddddddd";
    const char *shape = len == sizeof dashed - 1 ? dashed : len == sizeof compact - 1 ? compact
                                                                                   : NULL;
    if (!shape) return false;
    for (size_t i = 0; i < len; i++) {
        bool digit = rest[i] >= '0' && rest[i] <= '9';
        if (shape[i] == 'd' ? !digit : rest[i] != '-') return false;
    }
    return true;
}

/* See prices.h. */
const price *prices_find(const price_table *table, const char *provider, bt_str model) {
    const price *best_prefix = NULL;
    if (!table || !model.len) return NULL;
    for (size_t i = 0; i < table->count; i++) {
        const price *p = &table->entries[i];
        if (provider && strcmp(p->provider, provider) != 0) continue;
        size_t len = strlen(p->model);
        if (len > model.len || memcmp(p->model, model.ptr, len) != 0) continue;
        if (p->is_prefix) {
            if (!best_prefix || len > strlen(best_prefix->model)) best_prefix = p;
        } else if (len == model.len || is_date_suffix(model.ptr + len, model.len - len)) {
            return p;
        }
    }
    return best_prefix;
}

/* See prices.h. */
void prices_free(price_table *table) {
    if (!table) return;
    for (size_t i = 0; i < table->count; i++) {
        free(table->entries[i].provider);
        free(table->entries[i].model);
    }
    free(table->entries);
    table->entries = NULL;
    table->count = 0;
}
