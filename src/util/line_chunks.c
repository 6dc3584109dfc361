/* The chunked line runner (see line_chunks.h). Chunk n of a run sits in slot n modulo the
 * slot count: the caller's thread fills slots in order, workers take filled chunks in
 * order (each one whole), and the caller's thread settles them in order, reusing a slot
 * once its chunk is settled. */
#include "util/line_chunks.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/alloc.h"

enum {
    CHUNK_TEXT_BYTES = 512 << 10, /* a chunk is closed once its text reaches this */
    CHUNK_MAX_LINES = 4096,       /* or once it holds this many lines */
    SLOTS_PER_WORKER = 2,         /* chunks in flight per worker: one worked, one waiting */
    WORKERS_MAX = 8,              /* more threads than this gain nothing on chunks this size */
};

/* Where a slot's chunk is in its life. */
typedef enum slot_state {
    SLOT_FREE,      /* settled (or never used): the reader may fill it */
    SLOT_FILLED,    /* read, waiting for a worker */
    SLOT_WORKING,   /* a worker runs work on it */
    SLOT_WORKED,    /* work is done: waiting to be settled */
} slot_state;

typedef struct chunk_slot {
    line_chunk chunk;           /* the lines and the client's output; reused */
    slot_state state;           /* guarded by the run's lock */
} chunk_slot;

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
} chunk_run;

/* See line_chunks.h. */
unsigned line_chunks_default_workers(void) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (online <= 1) return 0;
    return online > WORKERS_MAX ? WORKERS_MAX : (unsigned)online;
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
        run->ops->work(run->ctx, worker, &slot->chunk);
        pthread_mutex_lock(&run->lock);
        slot->state = SLOT_WORKED;
        pthread_cond_signal(&run->worked_cond);
    }
    pthread_mutex_unlock(&run->lock);
    if (run->ops->worker_free) run->ops->worker_free(run->ctx, worker);
    return NULL;
}

/* Start up to count workers with every signal blocked in them (handlers run on the
 * caller's thread); thread_count says how many started. */
static void start_workers(chunk_run *run, unsigned count) {
    run->threads = xcalloc(count ? count : 1, sizeof *run->threads);
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    for (unsigned i = 0; i < count; i++) {
        if (pthread_create(&run->threads[i], NULL, worker_main, run) != 0) break;
        run->thread_count++;
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
}

/* Tell the workers to end, wait for them, and release the slots. */
static void stop_workers(chunk_run *run) {
    pthread_mutex_lock(&run->lock);
    run->stopping = true;
    pthread_cond_broadcast(&run->filled_cond);
    pthread_mutex_unlock(&run->lock);
    for (unsigned i = 0; i < run->thread_count; i++) pthread_join(run->threads[i], NULL);
    free(run->threads);
}

/* Append one line to chunk. */
static void chunk_add_line(line_chunk *chunk, const line *ln) {
    if (chunk->count == chunk->cap) {
        chunk->cap = chunk->cap ? chunk->cap * 2 : 256;
        chunk->lines = xreallocarray(chunk->lines, chunk->cap, sizeof *chunk->lines);
    }
    chunk_line *out = &chunk->lines[chunk->count++];
    out->at = chunk->text.len;
    out->len = ln->len;
    out->number = ln->number;
    out->offset = ln->offset;
    out->too_long = ln->too_long;
    if (!ln->too_long) buf_append(&chunk->text, ln->ptr, ln->len);
    buf_putc(&chunk->text, '\0');
}

/* Fill chunk with the next lines of the files from *file on, stopping at a chunk's size
 * or the end of a file (a chunk never mixes files). Moves *file past finished files. -1
 * with reason on a read error (the lines read before it stay in the chunk). */
static int fill_chunk(line_reader *readers, const char *const *paths, size_t reader_count,
                      size_t *file, line_chunk *chunk, char *reason) {
    chunk->count = 0;
    buf_clear(&chunk->text);
    while (*file < reader_count) {
        line_reader *reader = &readers[*file];
        chunk->file = *file;
        line ln;
        int got;
        char detail[REASON_MAX];
        while ((got = lines_next(reader, &ln, detail)) == 1) {
            chunk_add_line(chunk, &ln);
            chunk->bytes_read = reader->bytes_read;
            if (chunk->text.len >= CHUNK_TEXT_BYTES || chunk->count >= CHUNK_MAX_LINES)
                return 0;
        }
        chunk->bytes_read = reader->bytes_read;
        if (got < 0) return paths ? fail(reason, "%s: %s", paths[*file], detail)
                                  : fail(reason, "%s", detail);
        if (chunk->count > 0) {
            (*file)++;
            return 0;
        }
        (*file)++;
    }
    return 0;
}

/* The oldest unsettled chunk, once worked: by a worker (waiting for it), or here when the
 * run has none. */
static line_chunk *oldest_worked(chunk_run *run, void *inline_worker) {
    chunk_slot *slot = &run->slots[run->settled % run->slot_count];
    if (run->thread_count == 0) {
        run->ops->work(run->ctx, inline_worker, &slot->chunk);
        return &slot->chunk;
    }
    pthread_mutex_lock(&run->lock);
    while (slot->state != SLOT_WORKED) pthread_cond_wait(&run->worked_cond, &run->lock);
    pthread_mutex_unlock(&run->lock);
    return &slot->chunk;
}

/* See line_chunks.h. */
int line_chunks_run(line_reader *readers, const char *const *paths, size_t reader_count,
                    unsigned workers, const line_chunk_ops *ops, void *ctx, char *reason) {
    chunk_run run = {.ops = ops, .ctx = ctx};
    pthread_mutex_init(&run.lock, NULL);
    pthread_cond_init(&run.filled_cond, NULL);
    pthread_cond_init(&run.worked_cond, NULL);
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
            if (fill_chunk(readers, paths, reader_count, &file, &slot->chunk, read_failure) != 0 ||
                file == reader_count)
                reading = false;
            if (slot->chunk.count == 0) break;
            pthread_mutex_lock(&run.lock);
            slot->state = SLOT_FILLED;
            run.filled++;
            pthread_cond_signal(&run.filled_cond);
            pthread_mutex_unlock(&run.lock);
        }
        if (run.settled == run.filled) break;
        line_chunk *chunk = oldest_worked(&run, inline_worker);
        if (ops->settle(ctx, chunk, reason) != 0) {
            rc = -1;
            break;
        }
        run.slots[run.settled % run.slot_count].state = SLOT_FREE;
        run.settled++;
    }
    if (rc == 0 && read_failure[0]) rc = fail(reason, "%s", read_failure);

    stop_workers(&run);
    if (inline_worker && ops->worker_free) ops->worker_free(ctx, inline_worker);
    for (size_t i = 0; i < run.slot_count; i++) {
        line_chunk *chunk = &run.slots[i].chunk;
        if (chunk->output) ops->output_free(ctx, chunk->output);
        free(chunk->lines);
        buf_free(&chunk->text);
    }
    free(run.slots);
    pthread_cond_destroy(&run.worked_cond);
    pthread_cond_destroy(&run.filled_cond);
    pthread_mutex_destroy(&run.lock);
    return rc;
}
