#include "store/marks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/hash.h"

/* A view keeps each id once, as a record in its pool: the id's length and its owner's
 * place in the view's owners (below), then its bytes, padded to 8 bytes; the table holds
 * 8 bytes per slot: the record's offset in 8-byte units and 32 bits of the id's hash. So a
 * batch of 330,000 ids costs about 10 MB, not the 30 a slot holding the id's pointer,
 * length, hash and owner would. */
typedef struct mark_record {
    uint32_t len;
    uint32_t owner;           /* index into the view's owners */
} mark_record;

typedef struct mark_slot {
    uint32_t unit;            /* the record's offset / 8, plus 1 (0: the slot is empty) */
    uint32_t hash;
} mark_slot;

/* The owners a view has seen: a run id, MARK_DELIVERED or MARK_FREE each; ids refer to
 * them by index (few per batch: the runs that worked on it). */
enum { OWNER_FREE = 0, OWNER_DELIVERED = 1 };

struct mark_view {
    char nonce[33];
    int64_t cursor;           /* the seq of the last row applied */
    bool legacy_read;
    mark_slot *slots;         /* open addressing, slot_count a power of two; owned */
    size_t slot_count;
    size_t used;
    unsigned char *pool;      /* the records; owned */
    size_t pool_len, pool_cap;
    int64_t *owners;          /* owners[OWNER_FREE], owners[OWNER_DELIVERED], then runs */
    size_t owner_count;
};

/* FNV-1a, 32 bits, as the custom_id index hashes. */
static uint32_t hash_id(bt_str id) { return fnv1a32(id.ptr, id.len); }

/* The record at a slot's unit. */
static mark_record *record_at(const mark_view *view, uint32_t unit) {
    return (mark_record *)(view->pool + (size_t)(unit - 1) * 8);
}

/* The slot holding id, or the empty slot where it would go. */
static mark_slot *probe(const mark_view *view, bt_str id, uint32_t hash) {
    size_t mask = view->slot_count - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        mark_slot *slot = &view->slots[i];
        if (slot->unit == 0) return slot;
        if (slot->hash != hash) continue;
        const mark_record *record = record_at(view, slot->unit);
        if (record->len == id.len &&
            (id.len == 0 || memcmp(record + 1, id.ptr, id.len) == 0))
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
        if (old[i].unit == 0) continue;
        size_t at = old[i].hash & mask;
        while (view->slots[at].unit != 0) at = (at + 1) & mask;
        view->slots[at] = old[i];
    }
    free(old);
}

/* owner's index in the view's owners, added when new. */
static uint32_t owner_ref(mark_view *view, int64_t owner) {
    for (size_t i = view->owner_count; i-- > 0;)
        if (view->owners[i] == owner) return (uint32_t)i;
    view->owners = xreallocarray(view->owners, view->owner_count + 1, sizeof *view->owners);
    view->owners[view->owner_count] = owner;
    return (uint32_t)view->owner_count++;
}

/* A new record of id in the pool, owned by ref; its slot unit. */
static uint32_t add_record(mark_view *view, bt_str id, uint32_t ref) {
    size_t size = (sizeof(mark_record) + id.len + 7) & ~(size_t)7;
    if (view->pool_len + size > view->pool_cap) {
        size_t cap = view->pool_cap ? view->pool_cap * 2 : 64 * 1024;
        while (cap < view->pool_len + size) cap *= 2;
        view->pool = xreallocarray(view->pool, cap, 1);
        view->pool_cap = cap;
    }
    size_t unit = view->pool_len / 8 + 1;
    if (unit > UINT32_MAX) { /* 32 GiB of custom_ids in one batch */
        fprintf(stderr, "batchtrace: out of memory (item marks of one batch past 32 GiB)\n");
        abort();
    }
    mark_record *record = (mark_record *)(view->pool + view->pool_len);
    record->len = (uint32_t)id.len;
    record->owner = ref;
    if (id.len) memcpy(record + 1, id.ptr, id.len);
    view->pool_len += size;
    return (uint32_t)unit;
}

/* See marks.h. */
mark_view *mark_views_get(mark_views *views, const char *nonce) {
    for (size_t i = 0; i < views->count; i++)
        if (strcmp(views->items[i]->nonce, nonce) == 0) return views->items[i];
    mark_view *view = xcalloc(1, sizeof *view);
    snprintf(view->nonce, sizeof view->nonce, "%s", nonce);
    owner_ref(view, MARK_FREE);      /* OWNER_FREE */
    owner_ref(view, MARK_DELIVERED); /* OWNER_DELIVERED */
    views->items = xreallocarray(views->items, views->count + 1, sizeof *views->items);
    views->items[views->count++] = view;
    return view;
}

/* Release one view. */
static void view_free(mark_view *view) {
    free(view->slots);
    free(view->pool);
    free(view->owners);
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
    uint32_t hash = hash_id(id);
    mark_slot *slot = probe(view, id, hash);
    uint32_t ref = owner_ref(view, owner);
    if (slot->unit == 0) {
        slot->unit = add_record(view, id, ref);
        slot->hash = hash;
        view->used++;
        return;
    }
    mark_record *record = record_at(view, slot->unit);
    if (record->owner != OWNER_DELIVERED) record->owner = ref;
}

/* See marks.h. */
int64_t mark_view_owner(const mark_view *view, bt_str id) {
    if (view->used == 0) return MARK_FREE;
    const mark_slot *slot = probe(view, id, hash_id(id));
    return slot->unit ? view->owners[record_at(view, slot->unit)->owner] : MARK_FREE;
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
        uint32_t ref = owner_ref(view, owner);
        for (size_t offset = 0; offset < view->pool_len;) {
            mark_record *record = (mark_record *)(view->pool + offset);
            if (record->owner == ref) record->owner = OWNER_FREE;
            offset += (sizeof *record + record->len + 7) & ~(size_t)7;
        }
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
int marks_decide_claim(mark_view *view, int64_t run, const bt_str *ids, size_t count,
                       mark_run_dead_fn is_dead, void *ctx, claim_outcome *outcomes,
                       bt_str *take, size_t *take_count, char *reason) {
    *take_count = 0;
    for (size_t i = 0; i < count; i++) {
        int64_t owner = mark_view_owner(view, ids[i]);
        outcomes[i] = CLAIM_WON;
        if (owner == MARK_DELIVERED) {
            outcomes[i] = CLAIM_DELIVERED;
            continue;
        }
        if (owner == run) continue;
        if (owner != MARK_FREE) {
            bool dead = false;
            if (is_dead(ctx, owner, &dead, reason) != 0) return -1;
            if (!dead) {
                outcomes[i] = CLAIM_HELD;
                continue;
            }
        }
        mark_view_set(view, ids[i], run);
        take[(*take_count)++] = ids[i];
    }
    return 0;
}

/* See marks.h. */
size_t marks_decide_delivered(mark_view *view, const bt_str *ids, size_t count, bt_str *fresh) {
    size_t fresh_count = 0;
    for (size_t i = 0; i < count; i++) {
        if (mark_view_owner(view, ids[i]) == MARK_DELIVERED) continue;
        mark_view_set(view, ids[i], MARK_DELIVERED);
        fresh[fresh_count++] = ids[i];
    }
    return fresh_count;
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
