/* Sources: the one door every input enters by. A source is a stream of bytes with a name
 * for diagnostics; the line reader (util/lines.h), the chunked readers of the workers
 * (util/line_chunks.h) and the record reads of batch/inputs.h take sources, never paths,
 * and the commands only build them.
 *
 * Whatever it came from, a source is read as a file of a size fixed when it was opened, so
 * that every pass over it (a prescan, the claims, the stream, a record read back) reads
 * exactly the same bytes, even if the file is replaced or grows meanwhile:
 * - a regular, uncompressed file is used in place: mapped, or read with pread, never copied;
 * - anything else (stdin, a pipe, a FIFO, a character device, gzip data, told by its
 *   ".gz" name or its magic bytes 1f 8b) is copied once, decompressed, into an anonymous
 *   temporary file in $TMPDIR (O_TMPFILE, else a file unlinked as soon as it is made), so
 *   nothing is left behind whatever ends the process, then read like a regular file.
 * A caller's buffer or a callback yielding lines (the bindings, the proxy, sync) will be
 * further kinds of the same struct; none is needed yet. */
#ifndef BT_SOURCE_SOURCE_H
#define BT_SOURCE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/reason.h"

/* How messages name stdin ("-"). */
#define SOURCE_STDIN_NAME "<stdin>"

/* Where a source's bytes are. */
typedef enum source_kind {
    SOURCE_FILE,      /* a regular file, read in place */
    SOURCE_SPOOLED,   /* a copy in an anonymous temporary file */
} source_kind;

typedef struct source {
    char *name;           /* for messages: the path as given, SOURCE_STDIN_NAME for "-",
                             or what the builder called it; owned */
    source_kind kind;
    int fd;               /* the file the bytes are read from; owned, -1 once closed */
    uint64_t size;        /* its bytes, fixed at open: no pass reads past them */
    bool gzip;            /* the bytes were gzip data, decompressed into the spool */
} source_t;

/* Whether path names stdin: "-", "/dev/stdin" or "/dev/fd/0". */
bool source_is_stdin(const char *path);

/* Open path ("-": stdin) as a source (see the top of this file). 0, or -1 with reason,
 * which names the source ("NAME: No such file or directory", "NAME: is a directory", "NAME:
 * the gzip data is truncated ..."). Close it with source_close either way. */
int source_open(source_t *src, const char *path, char *reason);

/* An empty spool named name (for messages) to fill with source_spool_write: the caller
 * makes its own bytes a source (the inputs kept in the store). 0, or -1 with reason. */
int source_spool_new(source_t *src, const char *name, char *reason);
/* Append len bytes to a spool made by source_spool_new (its size grows with them). 0, or
 * -1 with reason (e.g. the temporary directory is full). */
int source_spool_write(source_t *src, const void *bytes, size_t len, char *reason);

/* Read up to len bytes at offset, never past the source's size: the bytes read (0 at or
 * past the end), or -1 with reason ("read failed: ...", or the file was cut shorter than
 * its size by another process). The reason does not name the source: callers do. Safe
 * from several threads at once. */
ssize_t source_read_at(const source_t *src, void *buf, size_t len, uint64_t offset,
                       char *reason);

/* The source's size bytes mapped read-only (a private mapping), or NULL when they cannot
 * be (an empty source, or a file the system will not map): then read it with
 * source_read_at. Unmap with source_unmap. */
const char *source_map(const source_t *src);
/* Release a mapping source_map made (NULL is ignored). */
void source_unmap(const source_t *src, const char *bytes);

/* Close the file and free the name; a zeroed or closed source is fine. */
void source_close(source_t *src);

#endif
