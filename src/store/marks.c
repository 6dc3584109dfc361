#include "store/marks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

/* One id of a view: where its bytes are in the pool, and its owner. */
typedef struct mark_slot {
    uint64_t hash;            /* 0: the slot is empty (hashes are never 0) */
    size_t offset;            /* into the view's pool */
    size_t len;
    int64_t owner;            /* a run id or MARK_DELIVERED */
} mark_slot;

struct mark_view {
    char nonce[33];
    int64_t cursor;           /* the seq of the last row applied */
    bool legacy_read;
    mark_slot *slots;         /* open addressing, slot_count a power of two; owned */
    size_t slot_count;
    size_t used;
    buf_t pool;               /* the ids' bytes */
};

/* FNV-1a, 64 bits, never 0 (0 marks an empty slot). */
static uint64_t hash_id(bt_str id) {
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < id.len; i++) {
        h ^= (unsigned char)id.ptr[i];
        h *= UINT64_C(1099511628211);
    }
    return h ? h : 1;
}

/* The slot holding id, or the empty slot where it would go. */
static mark_slot *probe(const mark_view *view, bt_str id, uint64_t hash) {
    size_t mask = view->slot_count - 1;
    for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
        mark_slot *slot = &view->slots[i];
        if (slot->hash == 0) return slot;
        if (slot->hash == hash && slot->len == id.len &&
            (id.len == 0 || memcmp(view->pool.data + slot->offset, id.ptr, id.len) == 0))
            return slot;
    }
}

/* Double the table (or make the first one), placing every id again. */
static void grow(mark_view *view) {
    size_t old_count = view->slot_count;
    mark_slot *old = view->slots;
    view->slot_count = old_count ? old_count * 2 : 1024;
    view->slots = xcalloc(view->slot_count, sizeof *view->slots);
    size_t mask = view->slot_count - 1;
    for (size_t i = 0; i < old_count; i++) {
        if (old[i].hash == 0) continue;
        size_t at = (size_t)old[i].hash & mask;
        while (view->slots[at].hash != 0) at = (at + 1) & mask;
        view->slots[at] = old[i];
    }
    free(old);
}

/* See marks.h. */
mark_view *mark_views_get(mark_views *views, const char *nonce) {
    for (size_t i = 0; i < views->count; i++)
        if (strcmp(views->items[i]->nonce, nonce) == 0) return views->items[i];
    mark_view *view = xcalloc(1, sizeof *view);
    snprintf(view->nonce, sizeof view->nonce, "%s", nonce);
    views->items = xreallocarray(views->items, views->count + 1, sizeof *views->items);
    views->items[views->count++] = view;
    return view;
}

/* Release one view. */
static void view_free(mark_view *view) {
    free(view->slots);
    buf_free(&view->pool);
    free(view);
}

/* See marks.h. */
void mark_views_forget(mark_views *views, const char *nonce) {
    for (size_t i = 0; i < views->count; i++) {
        if (strcmp(views->items[i]->nonce, nonce) != 0) continue;
        view_free(views->items[i]);
        views->items[i] = views->items[--views->count];
        return;
    }
}

/* See marks.h. */
void mark_views_free(mark_views *views) {
    for (size_t i = 0; i < views->count; i++) view_free(views->items[i]);
    free(views->items);
    views->items = NULL;
    views->count = 0;
}

/* See marks.h. */
int64_t mark_view_cursor(const mark_view *view) { return view->cursor; }

/* See marks.h. */
bool mark_view_legacy_read(const mark_view *view) { return view->legacy_read; }

/* See marks.h. */
void mark_view_set_legacy_read(mark_view *view) { view->legacy_read = true; }

/* See marks.h. */
void mark_view_set(mark_view *view, bt_str id, int64_t owner) {
    if ((view->used + 1) * 4 > view->slot_count * 3) grow(view);
    uint64_t hash = hash_id(id);
    mark_slot *slot = probe(view, id, hash);
    if (slot->hash == 0) {
        slot->hash = hash;
        slot->offset = view->pool.len;
        slot->len = id.len;
        slot->owner = owner;
        buf_append(&view->pool, id.len ? id.ptr : "", id.len);
        view->used++;
        return;
    }
    if (slot->owner != MARK_DELIVERED) slot->owner = owner;
}

/* See marks.h. */
int64_t mark_view_owner(const mark_view *view, bt_str id) {
    if (view->used == 0) return MARK_FREE;
    const mark_slot *slot = probe(view, id, hash_id(id));
    return slot->hash ? slot->owner : MARK_FREE;
}

/* Read a varint at *at of bytes (len in all): 0 with *value, -1 when cut short or too long. */
static int read_varint(const unsigned char *bytes, size_t len, size_t *at, uint64_t *value) {
    *value = 0;
    for (int shift = 0; shift < 64 && *at < len; shift += 7) {
        unsigned char byte = bytes[(*at)++];
        *value |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return 0;
    }
    return -1;
}

/* See marks.h. */
int mark_view_apply(mark_view *view, int64_t seq, int64_t owner, const void *ids, size_t len) {
    const unsigned char *bytes = ids;
    size_t at = 0;
    if (len == 0 && owner != MARK_DELIVERED) { /* the run gave back what it held */
        for (size_t i = 0; i < view->slot_count; i++)
            if (view->slots[i].hash && view->slots[i].owner == owner)
                view->slots[i].owner = MARK_FREE;
    }
    while (at < len) {
        uint64_t id_len = 0;
        if (read_varint(bytes, len, &at, &id_len) != 0 || id_len > len - at) return -1;
        mark_view_set(view, (bt_str){(const char *)bytes + at, (size_t)id_len}, owner);
        at += (size_t)id_len;
    }
    if (seq > view->cursor) view->cursor = seq;
    return 0;
}

/* See marks.h. */
void mark_view_advance(mark_view *view, int64_t seq) {
    if (seq > view->cursor) view->cursor = seq;
}

/* See marks.h. */
void marks_pack(buf_t *out, const bt_str *ids, size_t count) {
    for (size_t i = 0; i < count; i++) {
        uint64_t len = ids[i].len;
        unsigned char varint[10];
        size_t n = 0;
        do {
            varint[n] = (unsigned char)(len & 0x7f);
            len >>= 7;
            if (len) varint[n] |= 0x80;
            n++;
        } while (len);
        buf_append(out, varint, n);
        buf_append(out, ids[i].len ? ids[i].ptr : "", ids[i].len);
    }
}
