/* The file transport: OTLP/JSON lines, one ExportTraceServiceRequest per line, as the
 * OpenTelemetry file exporter writes them (readable by the Collector's otlpjsonfile
 * receiver). Each request goes out with one writev(2) of the request and its newline, so
 * output is never split into small writes; every error is reported, none is ignored. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "export/exporter_internal.h"
#include "util/alloc.h"

typedef struct file_state {
    char *path;                      /* the output path, for messages; owned */
    int fd;                          /* open for writing, -1 once closed */
    char broken[REASON_MAX];         /* the write error that ended output ("" until one) */
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

/* Deliver one request as one line. After a failed write the file may end in a partial
 * line, so every later request fails too, with the first error. */
static int file_deliver(void *opaque, bt_str request, buf_t *storage, size_t span_count,
                        char *reason) {
    (void)storage; /* written from where it is */
    file_state *state = opaque;
    if (state->broken[0]) return fail(reason, "%s", state->broken);
    if (write_line(state->fd, request.ptr, request.len) != 0) {
        fail(state->broken, "write %s: %s", state->path, strerror(errno));
        return fail(reason, "%s", state->broken);
    }
    return 0;
}

/* Close the file, reporting a close error (data that never reached the disk). */
static int file_close(void *opaque, char *reason) {
    file_state *state = opaque;
    if (state->fd < 0) return 0;
    int rc = close(state->fd);
    state->fd = -1;
    if (rc != 0) return fail(reason, "close %s: %s", state->path, strerror(errno));
    return 0;
}

/* Release the state, closing the file if exporter_finish never did. */
static void file_free(void *opaque) {
    file_state *state = opaque;
    if (state->fd >= 0) close(state->fd);
    free(state->path);
    free(state);
}

static const exporter_ops file_ops = {
    .deliver = file_deliver,
    .format_span = NULL,
    .write_text = NULL,
    .close = file_close,
    .free = file_free,
};

/* See exporter.h: opens (truncating) path now, so a bad path fails before any work. */
exporter_t *exporter_file_new(const char *path, const span_resource *resource, char *reason) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fail(reason, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    file_state *state = xcalloc(1, sizeof *state);
    state->path = xstrdup(path);
    state->fd = fd;
    return exporter_create(&file_ops, state, EXPORT_ENCODING_JSON, resource);
}
