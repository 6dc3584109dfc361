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
 *   nothing is left behind whatever ends the process, then read like a regular file;
 * - a caller's buffer of JSONL (the bindings, the proxy, sync) is read in place, borrowed
 *   for as long as the source is open; a buffer that is one JSON array of records is
 *   spooled as JSONL, one element per line (so element N is line N in messages);
 * - a callback yielding lines (a Python generator, a Ruby stream, a proxy tee) is drained
 *   once into a spool, since the engine reads the results and the inputs more than once.
 * The public shape of the three is batchtrace_source (include/batchtrace.h):
 * source_open_public turns one into a source. */
#ifndef BT_SOURCE_SOURCE_H
#define BT_SOURCE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util/reason.h"

/* How messages name stdin ("-"). */
#define SOURCE_STDIN_NAME "<stdin>"

/* Where a source's bytes are. */
typedef enum source_kind {
    SOURCE_FILE,      /* a regular file, read in place */
    SOURCE_SPOOLED,   /* a copy in an anonymous temporary file */
    SOURCE_MEMORY,    /* a caller's buffer, read in place (fd is -1) */
} source_kind;

/* What a copy (a spool) of a stream may hold: a stream can be endless (/dev/zero) and gzip
 * data can expand a thousandfold, so the copy stops at these and the source fails to open.
 * 0: no limit. */
typedef struct source_limits {
    uint64_t max_line;    /* longest line, line ending excluded (--max-line-bytes) */
    uint64_t max_size;    /* the most bytes in all (the batch object's cap) */
} source_limits;

typedef struct source {
    char *name;           /* for messages: the path as given, SOURCE_STDIN_NAME for "-",
                             or what the builder called it; owned */
    source_kind kind;
    int fd;               /* the file the bytes are read from; owned, -1 once closed (and
                             for SOURCE_MEMORY) */
    const char *bytes;    /* SOURCE_MEMORY: the caller's bytes, borrowed; else NULL */
    uint64_t size;        /* its bytes, fixed at open: no pass reads past them */
    bool gzip;            /* the bytes were gzip data, decompressed into the spool */
    source_limits limits; /* while spooling: what source_spool_write lets in */
    uint64_t line_bytes;  /* while spooling with limits.max_line: bytes of the last line */
    uint64_t lines;       /* while spooling with limits.max_line: newlines written */
    bool over_limit;      /* the copy stopped at limits.max_size */
    uint64_t reserved;    /* a spool: disk blocks allocated ahead of its end up to here
                             (source_spool_write); UINT64_MAX once that failed */
} source_t;

/* Whether path names stdin: "-", "/dev/stdin" or "/dev/fd/0". */
bool source_is_stdin(const char *path);

/* Open path ("-": stdin) as a source (see the top of this file). 0, or -1 with reason,
 * which names the source ("NAME: No such file or directory", "NAME: is a directory", "NAME:
 * the gzip data is truncated ..."). Close it with source_close either way. */
int source_open(source_t *src, const char *path, char *reason);
/* source_open, with the copy of a stream held to limits (source_open uses the default
 * line-length limit, LINES_DEFAULT_MAX, and no size limit). A line over limits->max_line is
 * "NAME:LINE: line exceeds the line-length limit (N bytes, see --max-line-bytes) ...", more
 * than limits->max_size bytes "NAME: over N bytes ..." with src->over_limit set: either
 * way nothing past the limit was written to disk. */
int source_open_limited(source_t *src, const char *path, const source_limits *limits,
                        char *reason);

/* Stat what source_open opens for path: stdin's file for "-" (which stat cannot see), else
 * the file path names, links followed. 0, or -1 (errno set). */
int source_stat(const char *path, struct stat *st);

/* An empty spool named name (for messages) to fill with source_spool_write: the caller
 * makes its own bytes a source (the inputs kept in the store). 0, or -1 with reason. */
int source_spool_new(source_t *src, const char *name, char *reason);
/* Append len bytes to a spool made by source_spool_new (its size grows with them). 0, or
 * -1 with reason (e.g. the temporary directory is full). */
int source_spool_write(source_t *src, const void *bytes, size_t len, char *reason);

/* The caller's len bytes as a source named name, borrowed (they must outlive the source):
 * JSONL (or anything line-based) is read in place; bytes that are one JSON array (the first
 * byte after a UTF-8 BOM and whitespace is '[') are spooled as JSONL, one element per line.
 * 0, or -1 with reason naming the source ("NAME: the JSON array is not closed", ...).
 * Close it with source_close either way. */
int source_open_buffer(source_t *src, const char *name, const void *bytes, size_t len,
                       char *reason);

/* Yields the next piece of a callback source: see batchtrace_read_fn. */
typedef int (*source_read_fn)(void *ctx, const char **bytes, size_t *len);
/* Drain read(ctx, ...) into a spool named name: each piece is one or more whole lines, a
 * newline is added after one that does not end in one. 0, or -1 with reason ("NAME: the
 * callback failed" when it returned a negative value). Close it with source_close. */
int source_open_callback(source_t *src, const char *name, source_read_fn read, void *ctx,
                         char *reason);

struct batchtrace_source;
/* Open what a public batchtrace_source describes: its path with source_open, its buffer
 * with source_open_buffer, its callback with source_open_callback; named by its name, else
 * by its path, else by default_name ("<requests>", "<results>", "<batch>"). 0, or -1 with
 * reason; close it with source_close either way. */
int source_open_public(source_t *src, const struct batchtrace_source *spec,
                       const char *default_name, char *reason);
/* source_open_public with a copy (a path that is no regular file, gzip data, a callback)
 * held to limits: see source_open_limited. */
int source_open_public_limited(source_t *src, const struct batchtrace_source *spec,
                               const char *default_name, const source_limits *limits,
                               char *reason);
/* The name source_open_public gives spec. */
const char *source_public_name(const struct batchtrace_source *spec, const char *default_name);

/* Read up to len bytes at offset, never past the source's size: the bytes read (0 at or
 * past the end), or -1 with reason ("read failed: ...", or the file was cut shorter than
 * its size by another process). The reason does not name the source: callers do. Safe
 * from several threads at once. */
ssize_t source_read_at(const source_t *src, void *buf, size_t len, uint64_t offset,
                       char *reason);

/* The source's size bytes mapped read-only (a private mapping), or NULL when they cannot
 * be (an empty source, or a file the system will not map): then read it with
 * source_read_at. Unmap with source_unmap. A SOURCE_MEMORY source gives its caller's
 * bytes: never madvise them away (source_can_drop). */
const char *source_map(const source_t *src);
/* Release a mapping source_map made (NULL is ignored). */
void source_unmap(const source_t *src, const char *bytes);
/* Whether pages of source_map's bytes may be dropped (MADV_DONTNEED) once read: a file's
 * mapping, yes; a caller's buffer, never (it would be zeroed). */
bool source_can_drop(const source_t *src);

/* Close the file and free the name; a zeroed or closed source is fine. */
void source_close(source_t *src);

#endif
