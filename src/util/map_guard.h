/* A guard for file mappings. A mapped file that another process cuts shorter leaves the
 * mapping's pages past its new end unreadable: touching one raises SIGBUS, which would end
 * the process without a word. While a mapping is guarded, a SIGBUS inside it prints
 * "batchtrace: error: PATH: the file was cut shorter while it was being read; ..." and
 * exits with status 1 (the thread that touched it is mid-line: the run cannot go on). A
 * SIGBUS anywhere else goes to the disposition there was before the first guard. */
#ifndef BT_UTIL_MAP_GUARD_H
#define BT_UTIL_MAP_GUARD_H

#include <stddef.h>

/* Guard [start, start + size), the mapping of path (borrowed until map_guard_remove).
 * Returns the guard's handle, or -1 when every guard is in use (the mapping then goes
 * unguarded). */
int map_guard_add(const void *start, size_t size, const char *path);
/* Stop guarding (before the mapping is unmapped); -1 is ignored. */
void map_guard_remove(int handle);

#endif
