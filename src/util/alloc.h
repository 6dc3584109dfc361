/* All allocation goes through here. On exhaustion these print one line and abort:
 * batchtrace never continues with a NULL it did not expect. Sizes are overflow-checked. */
#ifndef BT_UTIL_ALLOC_H
#define BT_UTIL_ALLOC_H

#include <stddef.h>

/* malloc that never returns NULL. The caller frees with free(). */
void *xmalloc(size_t size);
/* calloc of count*size bytes, overflow-checked. */
void *xcalloc(size_t count, size_t size);
/* realloc of count*size bytes, overflow-checked. */
void *xreallocarray(void *ptr, size_t count, size_t size);
/* A NUL-terminated copy of s (NULL gives NULL). */
char *xstrdup(const char *s);
/* A NUL-terminated copy of the first len bytes of s. */
char *xstrndup(const char *s, size_t len);

#endif
