/* A growable byte buffer. The buffer owns data; buf_free releases it. data is always
 * NUL-terminated after any append (the NUL is not counted in len), so buf_cstr is free. */
#ifndef BT_UTIL_BUF_H
#define BT_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

typedef struct buf {
    char *data;  /* the bytes; NULL until the first append */
    size_t len;  /* bytes in use */
    size_t cap;  /* bytes allocated (len + 1 <= cap once allocated) */
} buf_t;

#define BUF_INIT {NULL, 0, 0}

/* Make room for extra more bytes (plus the terminating NUL). */
void buf_grow(buf_t *b, size_t extra);
/* Append len bytes. */
static inline void buf_append(buf_t *b, const void *bytes, size_t len) {
    if (b->len + len + 1 > b->cap) buf_grow(b, len);
    if (len) memcpy(b->data + b->len, bytes, len);
    b->len += len;
    b->data[b->len] = '\0';
}
/* Append one byte. */
static inline void buf_putc(buf_t *b, char c) {
    if (b->len + 2 > b->cap) buf_grow(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}
/* Append a NUL-terminated string. */
static inline void buf_puts(buf_t *b, const char *s) { buf_append(b, s, strlen(s)); }
/* Append printf-formatted text. */
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(buf_t *b, const char *fmt, va_list ap);
/* Forget the contents, keep the allocation. */
static inline void buf_clear(buf_t *b) {
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}
/* The contents as a C string (never NULL). Borrowed: valid until the next append. */
static inline const char *buf_cstr(const buf_t *b) { return b->data ? b->data : ""; }
/* Take ownership of the data (never NULL); the buffer is left empty. */
char *buf_detach(buf_t *b);
/* Release the allocation. */
void buf_free(buf_t *b);

#endif
