#include "util/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

struct arena_block {
    arena_block *next;  /* the next (older) block */
    size_t used;        /* bytes handed out from data */
    size_t size;        /* bytes in data */
    _Alignas(max_align_t) unsigned char data[];
};

enum { ARENA_BLOCK_SIZE = 64 * 1024, ARENA_ALIGN = _Alignof(max_align_t) };

/* A new block with at least size bytes of room. */
static arena_block *block_new(size_t size) {
    if (size < ARENA_BLOCK_SIZE) size = ARENA_BLOCK_SIZE;
    if (size > SIZE_MAX - sizeof(arena_block)) size = SIZE_MAX - sizeof(arena_block);
    arena_block *b = xmalloc(sizeof(arena_block) + size);
    b->next = NULL;
    b->used = 0;
    b->size = size;
    return b;
}

void *arena_alloc(arena_t *a, size_t size) {
    size_t rounded = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (rounded < size) rounded = SIZE_MAX; /* overflow: block_new will fail loudly */
    arena_block *b = a->head;
    if (!b || b->size - b->used < rounded) {
        if (a->spare && a->spare->size >= rounded) {
            b = a->spare;
            a->spare = b->next;
            b->used = 0;
        } else {
            b = block_new(rounded);
        }
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += rounded;
    return p;
}

void *arena_calloc(arena_t *a, size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) count = SIZE_MAX / size + 1, size = 1;
    void *p = arena_alloc(a, count * size);
    memset(p, 0, count * size);
    return p;
}

void *arena_grow(arena_t *a, void *old, size_t old_count, size_t new_count, size_t size) {
    void *p = arena_calloc(a, new_count, size);
    if (old && old_count) memcpy(p, old, old_count * size);
    return p;
}

bt_str arena_strndup(arena_t *a, const char *s, size_t len) {
    char *p = arena_alloc(a, len + 1);
    if (len) memcpy(p, s, len);
    p[len] = '\0';
    return (bt_str){p, len};
}

char *arena_cstr(arena_t *a, bt_str s) {
    return (char *)arena_strndup(a, s.ptr, s.len).ptr;
}

void arena_reset(arena_t *a) {
    while (a->head) {
        arena_block *b = a->head;
        a->head = b->next;
        if (b->size > ARENA_BLOCK_SIZE * 16) { /* do not hoard huge one-off blocks */
            free(b);
            continue;
        }
        b->next = a->spare;
        a->spare = b;
    }
}

void arena_free(arena_t *a) {
    arena_reset(a);
    while (a->spare) {
        arena_block *b = a->spare;
        a->spare = b->next;
        free(b);
    }
}
