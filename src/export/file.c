/* The file transport: OTLP/JSON lines, one ExportTraceServiceRequest per line, as the
 * OpenTelemetry file exporter writes them (readable by the Collector's otlpjsonfile
 * receiver). The file is appended to (O_APPEND), so every run's spans stay in it, and it
 * is opened (created) only when the first request is written: a run that exports nothing
 * or fails early leaves no file behind. With truncate, that first open empties it.
 *
 * Several processes may append to one file at once: each request goes out as one
 * writev(2) of the request and its newline, under an exclusive flock(2) of the file, so
 * no line is ever interleaved with another process's (O_APPEND alone makes one write
 * atomic on a local file; the lock also covers the writes that finish a short write, and
 * the newline added after a partial line an earlier run left). Every error is reported,
 * none is ignored. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "export/exporter_internal.h"
#include "util/alloc.h"

typedef struct file_state {
    char *path;                      /* the output path, for messages; owned */
    int fd;                          /* open for appending; -1 until the first request and
                                        once closed */
    bool truncate;                   /* empty the file when it is first opened */
    char broken[REASON_MAX];         /* the write error that ended output ("" until one) */
    pthread_t syncer;                /* the background fdatasync (file_sync_start) */
    bool syncing;                    /* syncer runs or ran and was not joined */
    int sync_errno;                  /* fdatasync's errno (0: it succeeded), set by the
                                        syncer (or by file_sync_start when no thread) */
} file_state;

/* Write all len bytes to fd, retrying after interruptions and short writes. 0, or -1
 * with errno set. */
static int write_all(int fd, const char *bytes, size_t len) {
    while (len > 0) {
        ssize_t written = write(fd, bytes, len);
        if (written < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        bytes += written;
        len -= (size_t)written;
    }
    return 0;
}

/* Write bytes and a '\n' to fd: one writev, then plain writes for whatever a short write
 * left. 0, or -1 with errno set. */
static int write_line(int fd, const char *bytes, size_t len) {
    struct iovec parts[2] = {{(void *)bytes, len}, {(void *)"\n", 1}};
    ssize_t written;
    do {
        written = writev(fd, parts, 2);
    } while (written < 0 && errno == EINTR);
    if (written < 0) return -1;
    size_t done = (size_t)written;
    if (done < len && write_all(fd, bytes + done, len - done) != 0) return -1;
    if (done <= len && write_all(fd, "\n", 1) != 0) return -1;
    return 0;
}

/* True when the regular file behind fd is not empty and does not end in a newline (an
 * earlier run stopped mid-line, e.g. on a full disk). Call it holding the lock. */
static bool ends_mid_line(int fd) {
    struct stat info;
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_size == 0) return false;
    char last;
    return pread(fd, &last, 1, info.st_size - 1) == 1 && last != '\n';
}

/* Open the file for appending (creating it; emptying it when asked): for reading too, so
 * ends_mid_line can look at the last byte, else (a file we may only write) write-only.
 * 0, or -1 with errno set. */
static int open_output(file_state *state) {
    int flags = O_CREAT | O_APPEND | O_CLOEXEC | (state->truncate ? O_TRUNC : 0);
    int fd;
    do {
        fd = open(state->path, flags | O_RDWR, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0 && errno == EACCES) {
        do {
            fd = open(state->path, flags | O_WRONLY, 0644);
        } while (fd < 0 && errno == EINTR);
    }
    if (fd < 0) return -1;
    state->fd = fd;
    return 0;
}

/* Deliver one request as one line, appended under the file's lock (see the header). After
 * a failed write the file may end in a partial line, so every later request fails too,
 * with the first error. */
static int file_deliver(void *opaque, bt_str request, buf_t *storage, size_t span_count,
                        const uint64_t *tags, size_t tag_count, char *reason) {
    (void)storage; /* written from where it is */
    (void)span_count;
    (void)tags; /* the exporter reports them once file_sync succeeded */
    (void)tag_count;
    file_state *state = opaque;
    if (state->broken[0]) return fail(reason, "%s", state->broken);
    if (state->fd < 0 && open_output(state) != 0) {
        fail(state->broken, "cannot open %s: %s", state->path, strerror(errno));
        return fail(reason, "%s", state->broken);
    }
    /* A file system without flock (some network ones) still gets O_APPEND's atomic write. */
    int locked;
    do {
        locked = flock(state->fd, LOCK_EX);
    } while (locked != 0 && errno == EINTR);
    int rc = 0;
    if (ends_mid_line(state->fd) && write_all(state->fd, "\n", 1) != 0) rc = -1;
    if (rc == 0) rc = write_line(state->fd, request.ptr, request.len);
    int saved_errno = errno;
    if (locked == 0) flock(state->fd, LOCK_UN);
    if (rc != 0) {
        fail(state->broken, "write %s: %s", state->path, strerror(saved_errno));
        return fail(reason, "%s", state->broken);
    }
    return 0;
}

/* What an fdatasync that ended with err (0: success) means: a file that cannot be synced
 * (a pipe, a terminal: EINVAL, EROFS) is fine as it is, what was written went where it
 * goes; any other error ends output. 0, or -1 with reason. */
static int sync_verdict(file_state *state, int err, char *reason) {
    if (err == 0 || err == EINVAL || err == EROFS) return 0;
    fail(state->broken, "sync %s: %s", state->path, strerror(err));
    return fail(reason, "%s", state->broken);
}

/* Put what was written on the disk (fdatasync), so spans reported delivered survive a
 * crash of the machine too. */
static int file_sync(void *opaque, char *reason) {
    file_state *state = opaque;
    if (state->broken[0]) return fail(reason, "%s", state->broken);
    if (state->fd < 0) return 0; /* nothing written yet */
    return sync_verdict(state, fdatasync(state->fd) == 0 ? 0 : errno, reason);
}

/* The background sync's thread: fdatasync of the file, its errno kept. The file stays
 * open until file_sync_wait joined the thread; only the thread writes sync_errno. */
static void *sync_in_background(void *opaque) {
    file_state *state = opaque;
    state->sync_errno = fdatasync(state->fd) == 0 ? 0 : errno;
    return NULL;
}

/* Start file_sync's fdatasync on a thread of its own (in this thread when none can be
 * made): what was written so far reaches the disk while later requests are written. */
static void file_sync_start(void *opaque) {
    file_state *state = opaque;
    state->sync_errno = 0;
    state->syncing = false;
    if (state->broken[0] || state->fd < 0) return; /* file_sync_wait says what stands */
    state->syncing = pthread_create(&state->syncer, NULL, sync_in_background, state) == 0;
    if (!state->syncing) sync_in_background(state);
}

/* Wait for file_sync_start's fdatasync: what file_sync would have said. */
static int file_sync_wait(void *opaque, char *reason) {
    file_state *state = opaque;
    if (state->syncing) pthread_join(state->syncer, NULL);
    state->syncing = false;
    if (state->broken[0]) return fail(reason, "%s", state->broken);
    int err = state->sync_errno;
    state->sync_errno = 0;
    return sync_verdict(state, err, reason);
}

/* Close the file, reporting a close error (data that never reached the disk). */
static int file_close(void *opaque, char *reason) {
    file_state *state = opaque;
    if (state->syncing) pthread_join(state->syncer, NULL); /* never close under its sync */
    state->syncing = false;
    if (state->fd < 0) return 0;
    int rc = close(state->fd);
    state->fd = -1;
    if (rc != 0) return fail(reason, "close %s: %s", state->path, strerror(errno));
    return 0;
}

/* Release the state, closing the file if exporter_finish never did. */
static void file_free(void *opaque) {
    file_state *state = opaque;
    if (state->syncing) pthread_join(state->syncer, NULL);
    if (state->fd >= 0) close(state->fd);
    free(state->path);
    free(state);
}

static const exporter_ops file_ops = {
    .deliver = file_deliver,
    .format_span = NULL,
    .write_text = NULL,
    .sync = file_sync,
    .sync_start = file_sync_start,
    .sync_wait = file_sync_wait,
    .close = file_close,
    .free = file_free,
};

/* Whether path could be opened for appending, without creating or changing anything:
 * an existing file must be writable (and no directory), an absent one needs a writable
 * directory. 0, or -1 with reason. */
static int check_writable(const char *path, char *reason) {
    struct stat info;
    if (stat(path, &info) == 0) {
        if (S_ISDIR(info.st_mode)) return fail(reason, "cannot open %s: Is a directory", path);
        if (access(path, W_OK) != 0)
            return fail(reason, "cannot open %s: %s", path, strerror(errno));
        return 0;
    }
    if (errno != ENOENT) return fail(reason, "cannot open %s: %s", path, strerror(errno));
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
    int rc = access(dir, W_OK | X_OK) == 0 ? 0 : -1;
    if (rc != 0) fail(reason, "cannot open %s: %s", path, strerror(errno));
    free(dir);
    return rc;
}

/* See exporter.h: checks now that path can be written, so a bad path fails before any
 * work; opens it at the first request. */
exporter_t *exporter_file_new(const char *path, bool truncate, const span_resource *resource,
                              char *reason) {
    if (check_writable(path, reason) != 0) return NULL;
    file_state *state = xcalloc(1, sizeof *state);
    state->path = xstrdup(path);
    state->fd = -1;
    state->truncate = truncate;
    return exporter_create(&file_ops, state, EXPORT_ENCODING_JSON, resource);
}
