#define _GNU_SOURCE /* gettid */
#include "proxy/tee.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/reason.h"

struct tee_writer {
    source_t *file;               /* the spool written to (borrowed) */
    pthread_t thread;
    pthread_mutex_t lock;         /* guards head, used, closing, failed */
    pthread_cond_t wake;          /* bytes came, or closing */
    pthread_cond_t room;          /* bytes were written: room in the buffer */
    char *buffer;                 /* TEE_BUFFER_BYTES, circular */
    size_t head;                  /* where the bytes not yet written start */
    size_t used;                  /* bytes not yet written */
    size_t want;                  /* what the writer waits for: used >= want, or closing */
    bool closing;                 /* no more bytes will come */
    bool failed;                  /* the copy is incomplete */
    char reason[REASON_MAX];      /* why, once failed */
};

/* How much lower the writer thread runs than the forwarding one (nice steps): on a busy
 * machine the forwarding wins the CPU, the writer catching up while it waits on sockets. */
#define TEE_NICE 10

/* The writer's unit: it writes the file in pieces that end at multiples of TEE_WRITE_BYTES
 * (the last one aside). Writes of that size and alignment cost the kernel the least per
 * byte: a piece of whatever had come (a few KiB to the whole buffer) cost it up to several
 * times more (bench/README.md, "The proxy's CPU per byte"), and the writer is woken once per
 * unit, not per piece of the download. The buffer holds whole units, so a unit never
 * wraps around it. */
#define TEE_WRITE_BYTES (1u << 20)
_Static_assert(TEE_BUFFER_BYTES % TEE_WRITE_BYTES == 0, "the tee buffer holds whole units");

/* The writer thread: write what comes, in order, a unit at a time, until closing and
 * empty. The buffer's head is the file's size modulo TEE_BUFFER_BYTES, so the bytes up to
 * the next unit boundary of the buffer end at one of the file. */
static void *write_loop(void *arg) {
    tee_writer *w = arg;
    /* Linux gives each thread its own nice value; a failure only leaves it at the default. */
    (void)setpriority(PRIO_PROCESS, (id_t)gettid(), TEE_NICE);
    pthread_mutex_lock(&w->lock);
    for (;;) {
        w->want = TEE_WRITE_BYTES - w->head % TEE_WRITE_BYTES;
        while (w->used < w->want && !w->closing) pthread_cond_wait(&w->wake, &w->lock);
        if (!w->used) break;
        size_t chunk = w->used < w->want ? w->used : w->want;
        const char *at = w->buffer + w->head;
        bool failed = w->failed;
        pthread_mutex_unlock(&w->lock);
        char reason[REASON_MAX];
        int rc = failed ? 0 : source_spool_write(w->file, at, chunk, reason);
        pthread_mutex_lock(&w->lock);
        if (rc != 0 && !w->failed) {
            w->failed = true;
            snprintf(w->reason, sizeof w->reason, "%s", reason);
        }
        w->head = (w->head + chunk) % TEE_BUFFER_BYTES;
        w->used -= chunk;
        pthread_cond_signal(&w->room);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* See tee.h. */
tee_writer *tee_writer_start(source_t *file, char *reason) {
    tee_writer *w = xcalloc(1, sizeof *w);
    w->file = file;
    w->buffer = xmalloc(TEE_BUFFER_BYTES);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->room, NULL);
    if (pthread_create(&w->thread, NULL, write_loop, w) != 0) {
        fail(reason, "cannot start the thread that keeps the copy");
        pthread_cond_destroy(&w->room);
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        free(w->buffer);
        free(w);
        return NULL;
    }
    return w;
}

/* See tee.h. The bytes go in past the writer's part without the lock held: this thread
 * alone adds bytes, and the writer reads only what was added before. What fits goes in at
 * once; only a full buffer waits for the writer to make room (a disk slower than the
 * download). (Waiting for room for a whole piece could wait forever: the writer keeps the
 * last part of a unit until the unit is complete or the tee closes.) */
bool tee_writer_put(tee_writer *w, const void *bytes, size_t len) {
    const char *at = bytes;
    while (len) {
        pthread_mutex_lock(&w->lock);
        while (!w->failed && w->used == TEE_BUFFER_BYTES) pthread_cond_wait(&w->room, &w->lock);
        bool failed = w->failed;
        size_t room = TEE_BUFFER_BYTES - w->used;
        size_t tail = (w->head + w->used) % TEE_BUFFER_BYTES;
        pthread_mutex_unlock(&w->lock);
        if (failed) return false;
        size_t piece = len < room ? len : room;
        size_t first = piece < TEE_BUFFER_BYTES - tail ? piece : TEE_BUFFER_BYTES - tail;
        memcpy(w->buffer + tail, at, first);
        memcpy(w->buffer, at + first, piece - first);
        pthread_mutex_lock(&w->lock);
        w->used += piece;
        if (w->used >= w->want) pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
        at += piece;
        len -= piece;
    }
    return true;
}

/* See tee.h. */
int tee_writer_finish(tee_writer *w, char *reason) {
    if (!w) return 0;
    pthread_mutex_lock(&w->lock);
    w->closing = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    int rc = w->failed ? fail(reason, "%s", w->reason) : 0;
    pthread_cond_destroy(&w->room);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w->buffer);
    free(w);
    return rc;
}
