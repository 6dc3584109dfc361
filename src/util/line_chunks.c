/* The chunked line runner (see line_chunks.h). Chunk n of a run sits in slot n modulo the
 * slot count: the caller's thread fills slots in order, workers take filled chunks in
 * order (each one whole), and the caller's thread settles them in order, reusing a slot
 * once its chunk is settled. A chunk of a mapped file is only a byte range when it is
 * filled; the worker that takes it finds its lines, numbered from the chunk's start, and
 * the caller's thread makes the numbers count from the file's start before settling it. */
#include "util/line_chunks.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/map_guard.h"

enum {
    CHUNK_BYTES = 512 << 10,  /* a chunk is closed once its bytes reach this */
    SCAN_WINDOW = 1 << 20,    /* an over-long line is searched for its end this far at a
                                 time, the pages behind dropped */
    CHUNK_MAX_LINES = 4096,   /* or once it holds this many lines (read files) */
    SLOTS_PER_WORKER = 2,     /* chunks in flight per worker: one worked, one waiting */
    WORKERS_MAX = 8,          /* more threads than this gain nothing on chunks this size */
};

/* Where a slot's chunk is in its life. */
typedef enum slot_state {
    SLOT_FREE,      /* settled (or never used): the reader may fill it */
    SLOT_FILLED,    /* filled, waiting for a worker */
    SLOT_WORKING,   /* a worker runs work on it */
    SLOT_WORKED,    /* work is done: waiting to be settled */
} slot_state;

/* A chunk and what the runner knows of it. */
typedef struct chunk_slot {
    line_chunk chunk;         /* the lines and the client's output; reused */
    slot_state state;         /* guarded by the run's lock */
    buf_t copy;               /* the lines' bytes, for a source that is read, not mapped */
    bool mapped;              /* a range of a mapped source, its lines numbered from its start */
    size_t from, to;          /* mapped: the worker finds the lines of these bytes */
    size_t max_line;          /* the run's limit, for too_long */
    bool long_tail;           /* mapped: after them comes a line longer than max_line */
    size_t tail_len;          /* its length (line ending excluded); it starts at to */
} chunk_slot;

/* One source of the run: mapped, or read through a line reader. */
typedef struct file_map {
    const source_t *source;   /* borrowed */
    const char *bytes;        /* the mapping (read-only), or NULL: the source is read */
    size_t size;              /* its length */
    int guard;                /* its map_guard handle (-1: none) */
    size_t next;              /* the first byte not yet in a chunk */
    uint64_t lines_settled;   /* lines of the chunks settled so far */
    line_reader reader;       /* when it is not mapped */
} file_map;

/* One run: the slots and the threads working on them. */
typedef struct chunk_run {
    const line_chunk_ops *ops;  /* the client's functions */
    void *ctx;                  /* the client's context */
    pthread_mutex_t lock;       /* guards the counters, the slots' states and stopping */
    pthread_cond_t filled_cond; /* signalled when a chunk is filled or stopping is set */
    pthread_cond_t worked_cond; /* signalled when a chunk is worked */
    chunk_slot *slots;          /* slot_count slots, owned */
    size_t slot_count;
    uint64_t filled;            /* chunks filled so far */
    uint64_t claimed;           /* chunks a worker has taken so far */
    uint64_t settled;           /* chunks settled so far */
    bool stopping;              /* workers end (unclaimed chunks are dropped) */
    pthread_t *threads;         /* the workers, owned */
    unsigned thread_count;      /* workers started */
    file_map *maps;             /* one per source, owned (the mappings and readers too) */
    size_t map_count;
    size_t max_line;            /* the line-length limit (lines_limit) */
} chunk_run;

/* See line_chunks.h. */
unsigned line_chunks_default_workers(void) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (online <= 1) return 0;
    return online > WORKERS_MAX ? WORKERS_MAX : (unsigned)online;
}

/* Room for one more line in chunk; the new line, zeroed. */
static chunk_line *next_line(line_chunk *chunk) {
    if (chunk->count == chunk->cap) {
        chunk->cap = chunk->cap ? chunk->cap * 2 : 256;
        chunk->lines = xreallocarray(chunk->lines, chunk->cap, sizeof *chunk->lines);
    }
    chunk_line *added = &chunk->lines[chunk->count++];
    memset(added, 0, sizeof *added);
    return added;
}

/* Find the lines of a mapped chunk's bytes, as util/lines.c would return them: LF ends a
 * line and a CR before it is dropped, a last line without LF counts when not empty (the
 * BOM was skipped by map_file), then the over-long line fill_mapped found, if any.
 * Numbers count from the chunk's first line. */
static void split_lines(chunk_slot *slot) {
    line_chunk *chunk = &slot->chunk;
    const char *data = chunk->data;
    size_t at = slot->from, end = slot->to;
    chunk->count = 0;
    uint64_t number = 0;
    while (at < end) {
        const char *newline = memchr(data + at, '\n', end - at);
        size_t line_end = newline ? (size_t)(newline - data) : end;
        size_t len = line_end - at;
        if (len > 0 && data[line_end - 1] == '\r') len--;
        chunk_line *found = next_line(chunk);
        found->at = at;
        found->len = len;
        found->number = ++number;
        found->offset = at;
        found->too_long = len > slot->max_line;
        at = newline ? line_end + 1 : end;
    }
    if (slot->long_tail) {
        chunk_line *tail = next_line(chunk);
        tail->at = end;
        tail->len = slot->tail_len;
        tail->number = ++number;
        tail->offset = end;
        tail->too_long = true;
    }
}

/* Work one chunk: find its lines when it is a mapped range, then the client's work. */
static void work_chunk(chunk_run *run, void *worker, chunk_slot *slot) {
    if (slot->mapped) split_lines(slot);
    run->ops->work(run->ctx, worker, &slot->chunk);
}

/* A worker: take filled chunks in order and work them until the run stops. */
static void *worker_main(void *opaque) {
    chunk_run *run = opaque;
    void *worker = run->ops->worker_new ? run->ops->worker_new(run->ctx) : NULL;
    pthread_mutex_lock(&run->lock);
    for (;;) {
        while (run->claimed == run->filled && !run->stopping)
            pthread_cond_wait(&run->filled_cond, &run->lock);
        if (run->stopping) break;
        chunk_slot *slot = &run->slots[run->claimed % run->slot_count];
        run->claimed++;
        slot->state = SLOT_WORKING;
        pthread_mutex_unlock(&run->lock);
        work_chunk(run, worker, slot);
        pthread_mutex_lock(&run->lock);
        slot->state = SLOT_WORKED;
        pthread_cond_signal(&run->worked_cond);
    }
    pthread_mutex_unlock(&run->lock);
    if (run->ops->worker_free) run->ops->worker_free(run->ctx, worker);
    return NULL;
}

/* Start up to count workers with every asynchronous signal blocked in them (handlers of
 * SIGINT and the like run on the caller's thread); the faults a thread raises itself
 * (SIGBUS, SIGSEGV, SIGFPE, SIGILL) stay open, as a blocked fault kills the process
 * without its handler (util/map_guard.h). thread_count says how many started. */
static void start_workers(chunk_run *run, unsigned count) {
    run->threads = xcalloc(count ? count : 1, sizeof *run->threads);
    sigset_t all, previous;
    sigfillset(&all);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    for (unsigned i = 0; i < count; i++) {
        if (pthread_create(&run->threads[i], NULL, worker_main, run) != 0) break;
        run->thread_count++;
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
}

/* Tell the workers to end and wait for them. */
static void stop_workers(chunk_run *run) {
    pthread_mutex_lock(&run->lock);
    run->stopping = true;
    pthread_cond_broadcast(&run->filled_cond);
    pthread_mutex_unlock(&run->lock);
    for (unsigned i = 0; i < run->thread_count; i++) pthread_join(run->threads[i], NULL);
    free(run->threads);
}

/* Map src when it can be (a BOM at its start is stepped over); else open a line reader on
 * it. */
static void map_file(const source_t *src, size_t max_line, file_map *map) {
    map->source = src;
    map->guard = -1;
    map->bytes = source_map(src);
    if (!map->bytes) {
        lines_open(&map->reader, src, max_line);
        return;
    }
    map->size = (size_t)src->size;
    /* A caller's buffer cannot be cut shorter under us: only files need the guard. */
    if (source_can_drop(src)) map->guard = map_guard_add(map->bytes, map->size, src->name);
    if (map->size >= 3 && memcmp(map->bytes, "\xEF\xBB\xBF", 3) == 0) map->next = 3;
}

/* Drop the whole pages of map's bytes [from, to) from the process (the page cache keeps
 * them; touching them again maps them again). */
static void drop_range(const file_map *map, size_t from, size_t to) {
    if (!source_can_drop(map->source)) return; /* a caller's buffer: dropping zeroes it */
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t first = ((uintptr_t)map->bytes + from + page - 1) & ~(page - 1);
    uintptr_t last = ((uintptr_t)map->bytes + to) & ~(page - 1);
    if (last > first) madvise((void *)first, last - first, MADV_DONTNEED);
}

/* The end of the line that starts at line_start and holds byte at: the offset of its LF,
 * or the file's size. Searched a window at a time, and once the line is longer than a
 * window (or than max_line: it will be reported, never read), the pages searched are
 * dropped as the search goes: finding the end of a hostile 300 MB line then costs a window
 * of memory, not the limit's worth. A line that turns out within the limit is faulted in
 * again from the page cache when it is worked. */
static size_t line_end_from(const file_map *map, size_t line_start, size_t at,
                            size_t max_line) {
    while (at < map->size) {
        size_t window = map->size - at < SCAN_WINDOW ? map->size - at : SCAN_WINDOW;
        const char *newline = memchr(map->bytes + at, '\n', window);
        if (newline) return (size_t)(newline - map->bytes);
        at += window;
        if (at - line_start > SCAN_WINDOW || at - line_start > max_line + 1)
            drop_range(map, line_start, at);
    }
    return map->size;
}

/* Fill slot with the next bytes of a mapped source: CHUNK_BYTES, then up to the end of the
 * line they stop in. When that line is longer than max_line, the chunk ends before it and
 * carries it as its long tail, so its bytes are never held. */
static void fill_mapped(file_map *map, size_t max_line, chunk_slot *slot) {
    size_t from = map->next, to = map->size, next = map->size;
    slot->long_tail = false;
    if (map->size - from > CHUNK_BYTES) {
        size_t at = from + CHUNK_BYTES;
        size_t line_start = at; /* lines start at from and after each LF */
        while (line_start > from && map->bytes[line_start - 1] != '\n') line_start--;
        size_t line_end = line_end_from(map, line_start, at, max_line);
        next = line_end < map->size ? line_end + 1 : map->size;
        size_t len = line_end - line_start;
        if (len > 0 && map->bytes[line_end - 1] == '\r') len--;
        to = next;
        if (len > max_line) {
            to = line_start;
            slot->long_tail = true;
            slot->tail_len = len;
        }
    }
    map->next = next;
    slot->chunk.data = map->bytes;
    slot->chunk.bytes_read = next;
    slot->mapped = true;
    slot->from = from;
    slot->to = to;
    slot->max_line = max_line;
}

/* Append one line from the reader to a read (not mapped) chunk. */
static void copy_line(chunk_slot *slot, const line *ln) {
    chunk_line *out = next_line(&slot->chunk);
    out->at = slot->copy.len;
    out->len = ln->len;
    out->number = ln->number;
    out->offset = ln->offset;
    out->too_long = ln->too_long;
    if (!ln->too_long) buf_append(&slot->copy, ln->ptr, ln->len);
}

/* Fill slot with the next lines of the sources from *file on, stopping at a chunk's size
 * or the end of a source (a chunk never mixes sources); *file moves past finished ones. 1
 * when the slot holds a chunk, 0 when every source is done, -1 with reason ("NAME: why")
 * on a read error (the lines read before it stay in the chunk, which *filled then says). */
static int fill_slot(chunk_run *run, size_t *file, chunk_slot *slot, bool *filled,
                     char *reason) {
    line_chunk *chunk = &slot->chunk;
    chunk->count = 0;
    slot->mapped = false;
    buf_clear(&slot->copy);
    *filled = false;
    for (; *file < run->map_count; (*file)++) {
        file_map *map = &run->maps[*file];
        line_reader *reader = &map->reader;
        chunk->file = *file;
        if (map->bytes) {
            if (map->next == map->size) continue;
            fill_mapped(map, run->max_line, slot);
            if (map->next == map->size) (*file)++;
            *filled = true;
            return 1;
        }
        line ln;
        int got;
        char detail[REASON_MAX];
        while ((got = lines_next(reader, &ln, detail)) == 1) {
            copy_line(slot, &ln);
            chunk->data = slot->copy.data;
            chunk->bytes_read = reader->bytes_read;
            *filled = true;
            if (slot->copy.len >= CHUNK_BYTES || chunk->count >= CHUNK_MAX_LINES) return 1;
        }
        chunk->bytes_read = reader->bytes_read;
        if (got < 0) return fail(reason, "%s: %s", map->source->name, detail);
        if (*filled) {
            (*file)++;
            return 1;
        }
    }
    return 0;
}

/* The oldest unsettled slot, once worked: by a worker (waiting for it), or here when the
 * run has none. */
static chunk_slot *oldest_worked(chunk_run *run, void *inline_worker) {
    chunk_slot *slot = &run->slots[run->settled % run->slot_count];
    if (run->thread_count == 0) {
        work_chunk(run, inline_worker, slot);
        return slot;
    }
    pthread_mutex_lock(&run->lock);
    while (slot->state != SLOT_WORKED) pthread_cond_wait(&run->worked_cond, &run->lock);
    pthread_mutex_unlock(&run->lock);
    return slot;
}

/* Before settling a mapped chunk: number its lines from the file's start. */
static void number_lines(chunk_run *run, chunk_slot *slot) {
    if (!slot->mapped) return;
    file_map *map = &run->maps[slot->chunk.file];
    for (size_t i = 0; i < slot->chunk.count; i++)
        slot->chunk.lines[i].number += map->lines_settled;
    map->lines_settled += slot->chunk.count;
}

/* Once a mapped chunk is settled: drop its whole pages from the process, so that a long
 * file costs no more memory than the chunks in flight. */
static void drop_pages(const chunk_run *run, const chunk_slot *slot) {
    if (slot->mapped) drop_range(&run->maps[slot->chunk.file], slot->from, slot->chunk.bytes_read);
}

/* See line_chunks.h. */
int line_chunks_run(const source_t *sources, size_t source_count, size_t max_line,
                    unsigned workers, const line_chunk_ops *ops, void *ctx, char *reason) {
    chunk_run run = {.ops = ops, .ctx = ctx, .map_count = source_count,
                     .max_line = lines_limit(max_line)};
    pthread_mutex_init(&run.lock, NULL);
    pthread_cond_init(&run.filled_cond, NULL);
    pthread_cond_init(&run.worked_cond, NULL);
    run.maps = xcalloc(source_count ? source_count : 1, sizeof *run.maps);
    for (size_t f = 0; f < source_count; f++) map_file(&sources[f], run.max_line, &run.maps[f]);
    if (workers > WORKERS_MAX) workers = WORKERS_MAX;
    start_workers(&run, workers);
    run.slot_count = run.thread_count ? (size_t)run.thread_count * SLOTS_PER_WORKER : 1;
    run.slots = xcalloc(run.slot_count, sizeof *run.slots);
    void *inline_worker =
        run.thread_count == 0 && ops->worker_new ? ops->worker_new(ctx) : NULL;

    int rc = 0;
    bool reading = true;
    size_t file = 0;
    char read_failure[REASON_MAX] = "";
    for (;;) {
        while (reading && run.filled - run.settled < run.slot_count) {
            chunk_slot *slot = &run.slots[run.filled % run.slot_count];
            bool filled;
            int got = fill_slot(&run, &file, slot, &filled, read_failure);
            if (got <= 0) reading = false;
            if (!filled) break;
            pthread_mutex_lock(&run.lock);
            slot->state = SLOT_FILLED;
            run.filled++;
            pthread_cond_signal(&run.filled_cond);
            pthread_mutex_unlock(&run.lock);
        }
        if (run.settled == run.filled) break;
        chunk_slot *slot = oldest_worked(&run, inline_worker);
        number_lines(&run, slot);
        if (ops->settle(ctx, &slot->chunk, reason) != 0) {
            rc = -1;
            break;
        }
        drop_pages(&run, slot);
        slot->state = SLOT_FREE;
        run.settled++;
    }
    if (rc == 0 && read_failure[0]) rc = fail(reason, "%s", read_failure);

    stop_workers(&run);
    if (inline_worker && ops->worker_free) ops->worker_free(ctx, inline_worker);
    for (size_t i = 0; i < run.slot_count; i++) {
        chunk_slot *slot = &run.slots[i];
        if (slot->chunk.output) ops->output_free(ctx, slot->chunk.output);
        free(slot->chunk.lines);
        buf_free(&slot->copy);
    }
    free(run.slots);
    for (size_t f = 0; f < source_count; f++) {
        file_map *map = &run.maps[f];
        if (!map->bytes) {
            lines_close(&map->reader);
            continue;
        }
        map_guard_remove(map->guard);
        source_unmap(map->source, map->bytes);
    }
    free(run.maps);
    pthread_cond_destroy(&run.worked_cond);
    pthread_cond_destroy(&run.filled_cond);
    pthread_mutex_destroy(&run.lock);
    return rc;
}
