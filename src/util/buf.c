#include "util/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/alloc.h"

void buf_grow(buf_t *b, size_t extra) {
    if (extra > SIZE_MAX / 2 - b->len) {
        fprintf(stderr, "batchtrace: buffer size overflow\n");
        abort();
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    b->data = xreallocarray(b->data, cap, 1);
    b->cap = cap;
}

void buf_vprintf(buf_t *b, const char *fmt, va_list ap) {
    va_list copy;
    va_copy(copy, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, copy);
    va_end(copy);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        buf_append(b, small, (size_t)n);
        return;
    }
    buf_grow(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void buf_printf(buf_t *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *buf_detach(buf_t *b) {
    char *data = b->data ? b->data : xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return data;
}

void buf_free(buf_t *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
