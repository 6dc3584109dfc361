/* A borrowed byte string: a pointer and a length, not NUL-terminated. Whoever made it says
 * how long it lives (usually: as long as the arena or line buffer it points into). */
#ifndef BT_UTIL_STR_H
#define BT_UTIL_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct bt_str {
    const char *ptr;  /* the bytes (may be NULL when len is 0) */
    size_t len;       /* how many */
} bt_str;

#define STR_NULL ((bt_str){NULL, 0})
#define STR_LIT(s) ((bt_str){(s), sizeof(s) - 1})

/* A bt_str over a C string (NULL gives the empty string). */
static inline bt_str str_c(const char *s) { return (bt_str){s, s ? strlen(s) : 0}; }
/* True when the string is present and non-empty. */
static inline bool str_some(bt_str s) { return s.len > 0; }
/* Byte equality with a C string. */
static inline bool str_eq_c(bt_str s, const char *c) {
    size_t n = strlen(c);
    return s.len == n && (n == 0 || memcmp(s.ptr, c, n) == 0);
}
/* Byte equality of two strings. */
static inline bool str_eq(bt_str a, bt_str b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

#endif
