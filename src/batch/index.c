#include "batch/index.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/hash.h"

/* FNV-1a, 32 bits: custom_ids are short, and this keeps the entry small. */
static uint32_t hash_id(bt_str id) { return fnv1a32(id.ptr, id.len); }

bt_str index_custom_id(const custom_id_index *index, const index_entry *entry) {
    return (bt_str){index->pool + entry->id_offset, entry->id_len};
}

/* The slot holding id, or the empty slot where it would go. */
static uint32_t *probe(const custom_id_index *index, bt_str id, uint32_t hash) {
    size_t mask = index->slot_count - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        uint32_t *slot = &index->slots[i];
        if (*slot == 0) return slot;
        const index_entry *e = &index->entries[*slot - 1];
        if (e->hash == hash && e->id_len == id.len &&
            memcmp(index->pool + e->id_offset, id.ptr, id.len) == 0)
            return slot;
    }
}

index_entry *index_find(const custom_id_index *index, bt_str custom_id) {
    if (!index->slot_count || custom_id.len == 0 || custom_id.len > UINT16_MAX) return NULL;
    uint32_t *slot = probe(index, custom_id, hash_id(custom_id));
    return *slot ? &index->entries[*slot - 1] : NULL;
}

/* Double the table and re-place every entry. */
static void grow_table(custom_id_index *index) {
    free(index->slots);
    index->slot_count = index->slot_count ? index->slot_count * 2 : 1024;
    index->slots = xcalloc(index->slot_count, sizeof *index->slots);
    size_t mask = index->slot_count - 1;
    for (size_t n = 0; n < index->count; n++) {
        size_t j = index->entries[n].hash & mask;
        while (index->slots[j]) j = (j + 1) & mask;
        index->slots[j] = (uint32_t)(n + 1);
    }
}

index_entry *index_insert(custom_id_index *index, bt_str custom_id, bool *existed) {
    *existed = false;
    if (index->count >= UINT32_MAX - 1 || index->pool_len + custom_id.len > UINT32_MAX)
        return NULL;
    if ((index->count + 1) * 4 > index->slot_count * 3) grow_table(index);
    uint32_t hash = hash_id(custom_id);
    uint32_t *slot = probe(index, custom_id, hash);
    if (*slot) {
        *existed = true;
        return &index->entries[*slot - 1];
    }
    if (index->count == index->capacity) {
        index->capacity = index->capacity ? index->capacity + index->capacity / 2 : 1024;
        index->entries = xreallocarray(index->entries, index->capacity, sizeof *index->entries);
    }
    if (index->pool_len + custom_id.len > index->pool_cap) {
        size_t cap = index->pool_cap ? index->pool_cap : 16384;
        while (cap < index->pool_len + custom_id.len) cap *= 2;
        index->pool = xreallocarray(index->pool, cap, 1);
        index->pool_cap = cap;
    }
    memcpy(index->pool + index->pool_len, custom_id.ptr, custom_id.len);
    index_entry *entry = &index->entries[index->count];
    memset(entry, 0, sizeof *entry);
    entry->id_offset = (uint32_t)index->pool_len;
    entry->id_len = (uint16_t)custom_id.len;
    entry->hash = hash;
    index->pool_len += custom_id.len;
    *slot = (uint32_t)(++index->count);
    return entry;
}

/* qsort comparator: bytewise custom_id order. The pool is passed through a file-scope
 * pointer because qsort has no context argument (qsort_r is not C11). */
static const char *sort_pool;
static int compare_entries(const void *a, const void *b) {
    const index_entry *x = *(index_entry *const *)a, *y = *(index_entry *const *)b;
    size_t n = x->id_len < y->id_len ? x->id_len : y->id_len;
    int c = memcmp(sort_pool + x->id_offset, sort_pool + y->id_offset, n);
    if (c) return c;
    return (x->id_len > y->id_len) - (x->id_len < y->id_len);
}

index_entry **index_sorted_where(const custom_id_index *index, uint8_t set, uint8_t clear,
                                 size_t *count) {
    index_entry **sorted = xcalloc(index->count ? index->count : 1, sizeof *sorted);
    size_t n = 0;
    for (size_t i = 0; i < index->count; i++) {
        uint8_t flags = index->entries[i].flags;
        if ((flags & set) == set && !(flags & clear)) sorted[n++] = &index->entries[i];
    }
    sort_pool = index->pool;
    qsort(sorted, n, sizeof *sorted, compare_entries);
    sort_pool = NULL;
    *count = n;
    return sorted;
}

index_entry **index_sorted(const custom_id_index *index) {
    size_t count;
    return index_sorted_where(index, 0, 0, &count);
}

void index_digest(const custom_id_index *index, uint8_t out[SHA256_LEN]) {
    index_entry **sorted = index_sorted(index);
    sha256_ctx ctx;
    sha256_begin(&ctx);
    for (size_t i = 0; i < index->count; i++) {
        sha256_update(&ctx, index->pool + sorted[i]->id_offset, sorted[i]->id_len);
        sha256_update(&ctx, "\n", 1);
    }
    sha256_end(&ctx, out);
    free(sorted);
}

void index_free(custom_id_index *index) {
    free(index->entries);
    free(index->slots);
    free(index->pool);
    memset(index, 0, sizeof *index);
}
