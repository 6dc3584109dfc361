/* Ordered parallel work over the lines of sources. The caller's thread cuts them into
 * chunks of whole lines (a few hundred KiB each); worker threads run `work` on whole
 * chunks, several at once and in any order; the caller's thread then runs `settle` on each
 * chunk in file and line order. So whatever must happen in order (counting, deciding
 * duplicates, printing diagnostics, writing output) happens in settle, exactly as a single
 * thread reading line after line would do it, while the costly part runs on every core.
 *
 * Sources are mapped, not read (source_map): a chunk is a range of the mapping, its lines
 * are found by the worker, and its pages are dropped from the process once it is settled,
 * so memory stays bounded by the chunks in flight (a few per worker), whatever the size of
 * the sources. A mapped file cut shorter during the run ends the process with a message
 * naming it (util/map_guard.h) instead of a bare SIGBUS. A source that cannot be mapped is
 * read through the line reader and copied into chunks.
 * Lines follow util/lines.h: LF or CRLF endings, a UTF-8 BOM skipped, a line longer than
 * the run's max_line reported too_long and never read. */
#ifndef BT_UTIL_LINE_CHUNKS_H
#define BT_UTIL_LINE_CHUNKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "source/source.h"
#include "util/buf.h"
#include "util/lines.h"
#include "util/reason.h"

/* One line of a chunk. */
typedef struct chunk_line {
    size_t at;              /* where its bytes start in the chunk's data (not NUL-terminated) */
    size_t len;             /* its length, line ending excluded; for a too_long line, its
                               full length */
    uint64_t number;        /* 1-based line number in its source: final in settle, but in
                               work it may count from the chunk's start */
    uint64_t offset;        /* source offset of its first byte */
    bool too_long;          /* longer than the run's max_line: not to be read */
} chunk_line;

/* Consecutive lines of one source, and what the client made of them. */
typedef struct line_chunk {
    size_t file;            /* which of the run's sources the lines come from */
    const char *data;       /* the lines' bytes (a mapping of the source, or a copy) */
    chunk_line *lines;      /* the lines, in order; owned */
    size_t count;           /* lines in use */
    size_t cap;             /* lines allocated */
    uint64_t bytes_read;    /* bytes of the source read once the chunk's last line was read */
    void *output;           /* the client's per-chunk output: set by work (kept and handed
                               back with the chunk when it is reused), freed by
                               output_free */
} line_chunk;

/* What the client does with chunks. ctx is the run's client context. */
typedef struct line_chunk_ops {
    /* Per-thread state for work (parsers, scratch buffers); NULL is allowed. */
    void *(*worker_new)(void *ctx);
    /* Release worker_new's state. */
    void (*worker_free)(void *ctx, void *worker);
    /* Process every line of chunk into chunk->output, on a worker thread: it may run at
     * the same time as other chunks' work and as settle, so it only reads what the run
     * shares, or takes the client's own locks. */
    void (*work)(void *ctx, void *worker, line_chunk *chunk);
    /* Take a worked chunk in order, on the caller's thread. 0 to go on, or -1 with reason
     * to stop the run (chunks read after it are dropped). */
    int (*settle)(void *ctx, line_chunk *chunk, char *reason);
    /* Release a chunk's output (NULL-safe not required: only called on set outputs). */
    void (*output_free)(void *ctx, void *output);
} line_chunk_ops;

/* How many worker threads a run should use on this machine: the processors online,
 * at most 8; 0 on a single processor (work then runs on the caller's thread). */
unsigned line_chunks_default_workers(void);

/* Read every line of sources[0..source_count) in order, from their first byte, in chunks,
 * with lines longer than max_line (see lines_limit) reported too_long, and run ops over
 * them with `workers` threads (0: everything on the caller's thread, chunk by chunk). 0
 * when every line was settled; -1 with reason when settle stopped the run (its reason) or
 * a read failed ("NAME: why", the source's name; the lines before the failure are settled
 * first). The sources stay the caller's. */
int line_chunks_run(const source_t *sources, size_t source_count, size_t max_line,
                    unsigned workers, const line_chunk_ops *ops, void *ctx, char *reason);

#endif
