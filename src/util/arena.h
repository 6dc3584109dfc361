/* A bump allocator for data that dies together (one item's strings, one span's attributes).
 * The arena owns every block; arena_reset makes them reusable, arena_free releases them. */
#ifndef BT_UTIL_ARENA_H
#define BT_UTIL_ARENA_H

#include <stddef.h>

#include "util/str.h"

typedef struct arena_block arena_block;

typedef struct arena {
    arena_block *head;   /* block being filled; older blocks follow */
    arena_block *spare;  /* blocks kept by arena_reset for reuse */
} arena_t;

#define ARENA_INIT {NULL, NULL}

/* size bytes aligned for any type; never NULL. Lives until arena_reset/arena_free. */
void *arena_alloc(arena_t *a, size_t size);
/* count*size zeroed bytes, overflow-checked. */
void *arena_calloc(arena_t *a, size_t count, size_t size);
/* Grow an array held in the arena: returns a copy with room for new_count elements
 * (old contents kept; the old copy is simply abandoned in the arena). */
void *arena_grow(arena_t *a, void *old, size_t old_count, size_t new_count, size_t size);
/* A copy of len bytes, NUL-terminated in the arena (the NUL not counted). */
bt_str arena_strndup(arena_t *a, const char *s, size_t len);
/* A NUL-terminated copy of a bt_str, as a C string. */
char *arena_cstr(arena_t *a, bt_str s);
/* Forget every allocation; keep the memory for reuse. */
void arena_reset(arena_t *a);
/* Release all memory. */
void arena_free(arena_t *a);

#endif
