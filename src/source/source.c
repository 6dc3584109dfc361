/* See source.h. A spool is written once, sequentially, by the thread that opens the
 * source; from then on the source is only read, with pread, so passes and threads never
 * share a file offset. */
#define _GNU_SOURCE /* O_TMPFILE, mkostemp */
#include "source/source.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "batchtrace.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/lines.h"

enum {
    COPY_BLOCK = 1 << 20,   /* bytes read from a stream (and inflated) at a time */
    SPOOL_RESERVE = 16 << 20, /* disk space a spool allocates ahead of its end at a time */
};

/* The directory spools go to: $TMPDIR, else /tmp. */
static const char *spool_dir(void) {
    const char *dir = getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

bool source_is_stdin(const char *path) {
    return strcmp(path, "-") == 0 || strcmp(path, "/dev/stdin") == 0 ||
           strcmp(path, "/dev/fd/0") == 0;
}

/* Whether name ends in ".gz". */
static bool named_gzip(const char *name) {
    size_t len = strlen(name);
    return len > 3 && strcmp(name + len - 3, ".gz") == 0;
}

int source_spool_new(source_t *src, const char *name, char *reason) {
    memset(src, 0, sizeof *src);
    src->name = xstrdup(name);
    src->kind = SOURCE_SPOOLED;
    const char *dir = spool_dir();
#ifdef O_TMPFILE
    /* A file with no name at all: nothing to remove, whatever ends the process. */
    src->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (src->fd >= 0) return 0;
#endif
    /* The file system has no O_TMPFILE: a named file, unlinked before anything is written. */
    buf_t path = BUF_INIT;
    buf_printf(&path, "%s/batchtrace-spool-XXXXXX", dir);
    src->fd = mkostemp(path.data, O_CLOEXEC);
    int err = errno;
    if (src->fd >= 0) unlink(path.data);
    buf_free(&path);
    if (src->fd < 0)
        return fail(reason, "%s: cannot make a temporary file in %s: %s", name, dir,
                    strerror(err));
    return 0;
}

/* The limits source_open and source_open_callback hold a copy to. */
static const source_limits default_limits = {LINES_DEFAULT_MAX, 0};

/* Check that len more bytes keep a spool within src->limits, counting its lines as they
 * pass (see source_limits). 0, or -1 with reason; nothing is written then. */
static int spool_within_limits(source_t *src, const char *bytes, size_t len, char *reason) {
    const source_limits *limits = &src->limits;
    if (limits->max_size && len > limits->max_size - src->size) {
        src->over_limit = true;
        return fail(reason, "%s: over %llu bytes, the most it may hold; the copy stops there",
                    src->name, (unsigned long long)limits->max_size);
    }
    if (!limits->max_line) return 0;
    const char *at = bytes, *end = bytes + len;
    while (at < end) {
        const char *newline = memchr(at, '\n', (size_t)(end - at));
        src->line_bytes += (uint64_t)((newline ? newline : end) - at);
        /* One byte over is left to the line reader: a CR before the LF is no line byte. */
        if (src->line_bytes > limits->max_line && src->line_bytes - limits->max_line > 1)
            return fail(reason, "%s:%llu: line exceeds the line-length limit (%llu bytes, see "
                                "--max-line-bytes); this input is copied before it is read "
                                "(it is no regular file, or gzip data), so the copy stops here",
                        src->name, (unsigned long long)src->lines + 1,
                        (unsigned long long)limits->max_line);
        if (!newline) break;
        src->lines++;
        src->line_bytes = 0;
        at = newline + 1;
    }
    return 0;
}

/* Allocate a spool's disk blocks ahead of its end, up to the SPOOL_RESERVE multiple past
 * end (fallocate, its size unchanged): appends then fill blocks that exist, which costs the
 * kernel less per byte than allocating them write by write (bench/README.md, "The proxy").
 * Only a hint: on a file system without it, or a full disk, the spool stops reserving and
 * its appends go on as before (a full disk fails them with their own error). */
static void spool_reserve(source_t *src, uint64_t end) {
    if (end <= src->reserved) return;
#ifdef FALLOC_FL_KEEP_SIZE
    uint64_t from = src->reserved > src->size ? src->reserved : src->size;
    uint64_t to = (end + SPOOL_RESERVE - 1) / SPOOL_RESERVE * SPOOL_RESERVE;
    if (fallocate(src->fd, FALLOC_FL_KEEP_SIZE, (off_t)from, (off_t)(to - from)) == 0) {
        src->reserved = to;
        return;
    }
#endif
    src->reserved = UINT64_MAX;
}

int source_spool_write(source_t *src, const void *bytes, size_t len, char *reason) {
    if (spool_within_limits(src, bytes, len, reason) != 0) return -1;
    spool_reserve(src, src->size + len);
    const char *at = bytes;
    while (len) {
        ssize_t n = pwrite(src->fd, at, len, (off_t)src->size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return fail(reason, "%s: cannot copy it to a temporary file in %s: %s", src->name,
                        spool_dir(), strerror(errno));
        at += n;
        len -= (size_t)n;
        src->size += (uint64_t)n;
    }
    return 0;
}

/* Read up to len bytes of a stream (a pipe, a FIFO, a device, or a regular file read from
 * its start) into buf, retrying on EINTR: the bytes read, 0 at its end, -1 with reason. */
static ssize_t read_stream(const source_t *src, int fd, char *buf, size_t len, char *reason) {
    for (;;) {
        ssize_t n = read(fd, buf, len);
        if (n >= 0) return n;
        if (errno != EINTR) return fail(reason, "%s: read failed: %s", src->name, strerror(errno));
    }
}

/* Inflate gzip data from in (starting with the head bytes already read) into the spool.
 * Concatenated gzip members are read one after the other, as gunzip does. 0, or -1 with
 * reason (damaged or truncated data). */
static int inflate_into(source_t *src, int in, char *block, size_t head, char *reason) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK) /* 15-bit window, gzip framing only */
        return fail(reason, "%s: cannot decompress: zlib failed to start", src->name);
    char *out = xmalloc(COPY_BLOCK);
    int rc = -1;
    bool member_ended = false; /* the last member read ended: the data may end here */
    size_t avail = head;
    for (;;) {
        if (avail == 0) {
            ssize_t n = read_stream(src, in, block, COPY_BLOCK, reason);
            if (n < 0) goto done;
            if (n == 0) break;
            avail = (size_t)n;
        }
        z.next_in = (Bytef *)block;
        z.avail_in = (uInt)avail;
        while (z.avail_in > 0) {
            if (member_ended) { /* more bytes after a member: the next member */
                inflateReset(&z);
                member_ended = false;
            }
            z.next_out = (Bytef *)out;
            z.avail_out = COPY_BLOCK;
            int status = inflate(&z, Z_NO_FLUSH);
            if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) {
                fail(reason, "%s: not valid gzip data (zlib: %s)", src->name,
                     z.msg ? z.msg : "error");
                goto done;
            }
            if (source_spool_write(src, out, COPY_BLOCK - z.avail_out, reason) != 0) goto done;
            member_ended = status == Z_STREAM_END;
            if (status == Z_BUF_ERROR && z.avail_in > 0) {
                fail(reason, "%s: not valid gzip data (zlib made no progress)", src->name);
                goto done;
            }
        }
        avail = 0;
    }
    if (!member_ended) {
        fail(reason, "%s: the gzip data is truncated (the file ends inside the compressed "
                     "stream)", src->name);
        goto done;
    }
    rc = 0;
done:
    inflateEnd(&z);
    free(out);
    return rc;
}

/* Copy the stream in into a new spool of src held to limits, decompressing it when it is
 * gzip data (by its first two bytes, or when the source is named .gz). 0, or -1 with
 * reason. */
static int spool_stream(source_t *src, int in, const source_limits *limits, char *reason) {
    char *name = src->name;
    src->name = NULL;
    int rc = source_spool_new(src, name, reason);
    free(name);
    if (rc != 0) return -1;
    src->limits = *limits;
    char *block = xmalloc(COPY_BLOCK);
    size_t head = 0; /* bytes read before deciding whether they are gzip data */
    rc = -1;
    while (head < 2) {
        ssize_t n = read_stream(src, in, block + head, COPY_BLOCK - head, reason);
        if (n < 0) goto done;
        if (n == 0) break;
        head += (size_t)n;
    }
    bool magic = head >= 2 && (unsigned char)block[0] == 0x1f && (unsigned char)block[1] == 0x8b;
    if (named_gzip(src->name) && !magic) {
        fail(reason, "%s: named .gz but not gzip data", src->name);
        goto done;
    }
    if (magic) {
        src->gzip = true;
        rc = inflate_into(src, in, block, head, reason);
        goto done;
    }
    if (source_spool_write(src, block, head, reason) != 0) goto done;
    for (;;) {
        ssize_t n = read_stream(src, in, block, COPY_BLOCK, reason);
        if (n < 0) goto done;
        if (n == 0) break;
        if (source_spool_write(src, block, (size_t)n, reason) != 0) goto done;
    }
    rc = 0;
done:
    free(block);
    return rc;
}

int source_open(source_t *src, const char *path, char *reason) {
    return source_open_limited(src, path, &default_limits, reason);
}

int source_stat(const char *path, struct stat *st) {
    return strcmp(path, "-") == 0 ? fstat(STDIN_FILENO, st) : stat(path, st);
}

int source_open_limited(source_t *src, const char *path, const source_limits *limits,
                        char *reason) {
    memset(src, 0, sizeof *src);
    bool from_stdin = strcmp(path, "-") == 0;
    src->name = xstrdup(from_stdin ? SOURCE_STDIN_NAME : path);
    src->kind = SOURCE_FILE;
    int fd = from_stdin ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0) : open(path, O_RDONLY | O_CLOEXEC);
    src->fd = -1;
    if (fd < 0) return fail(reason, "%s: %s", src->name, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return fail(reason, "%s: %s", src->name, strerror(err));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return fail(reason, "%s: is a directory", src->name);
    }
    if (!S_ISREG(st.st_mode)) { /* a pipe, a FIFO, a device, a socket: read it once */
        int rc = spool_stream(src, fd, limits, reason);
        close(fd);
        return rc;
    }
    /* A regular file: its first bytes tell gzip data, or a size that is not its size
     * (files of /proc say 0). */
    unsigned char head[2];
    ssize_t got;
    do got = pread(fd, head, sizeof head, 0);
    while (got < 0 && errno == EINTR);
    if (got < 0) {
        int err = errno;
        close(fd);
        return fail(reason, "%s: read failed: %s", src->name, strerror(err));
    }
    bool magic = got == 2 && head[0] == 0x1f && head[1] == 0x8b;
    if (magic || named_gzip(src->name) || (st.st_size == 0 && got > 0)) {
        int rc = spool_stream(src, fd, limits, reason);
        close(fd);
        return rc;
    }
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    src->fd = fd;
    src->size = (uint64_t)st.st_size;
    return 0;
}

/* The JSON-array-to-JSONL copier's state: where it is in the array's bytes. */
typedef struct array_copy {
    source_t *src;       /* the spool written */
    buf_t out;           /* bytes waiting to be written */
    int depth;           /* nesting inside the current element (0: between elements) */
    bool in_string;      /* inside a JSON string */
    bool escaped;        /* the byte before was a backslash inside a string */
    bool in_element;     /* some bytes of the current element were copied */
} array_copy;

/* Write what out holds to the spool once it is large (or when flush). 0, or -1 with reason. */
static int array_copy_drain(array_copy *copy, bool flush, char *reason) {
    if (!flush && copy->out.len < COPY_BLOCK) return 0;
    int rc = source_spool_write(copy->src, copy->out.data, copy->out.len, reason);
    buf_clear(&copy->out);
    return rc;
}

/* End the current element's line (an empty element, as in "[1,,2]", is a blank line). */
static void array_copy_end_element(array_copy *copy) {
    buf_putc(&copy->out, '\n');
    copy->in_element = false;
}

/* Copy the elements of the JSON array at bytes[0..len) (its '[' at start) into the spool
 * as JSONL: a line per element, newlines between its tokens turned into spaces. The
 * elements themselves are not checked: a broken one is a rejected line, as in a file.
 * 0, or -1 with reason naming the source. */
static int spool_json_array(source_t *src, const char *bytes, size_t len, size_t start,
                            char *reason) {
    array_copy copy = {.src = src, .out = BUF_INIT};
    int rc = -1;
    size_t at = start + 1;
    bool closed = false;
    for (; at < len && !closed; at++) {
        char c = bytes[at];
        if (copy.in_string) {
            buf_putc(&copy.out, c);
            if (copy.escaped) copy.escaped = false;
            else if (c == '\\') copy.escaped = true;
            else if (c == '"') copy.in_string = false;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (copy.depth > 0) buf_putc(&copy.out, ' ');
        } else if (copy.depth == 0 && c == ',') {
            array_copy_end_element(&copy);
        } else if (copy.depth == 0 && c == ']') {
            if (copy.in_element) array_copy_end_element(&copy);
            closed = true;
        } else {
            if (c == '{' || c == '[') copy.depth++;
            else if ((c == '}' || c == ']') && copy.depth > 0) copy.depth--;
            else if (c == '"') copy.in_string = true;
            buf_putc(&copy.out, c);
            copy.in_element = true;
        }
        if (array_copy_drain(&copy, false, reason) != 0) goto done;
    }
    if (!closed) {
        fail(reason, "%s: the JSON array is not closed (no ] at its end)", src->name);
        goto done;
    }
    for (; at < len; at++)
        if (bytes[at] != ' ' && bytes[at] != '\t' && bytes[at] != '\n' && bytes[at] != '\r') {
            fail(reason, "%s: bytes after the JSON array's closing ] (at byte %zu)", src->name,
                 at);
            goto done;
        }
    rc = array_copy_drain(&copy, true, reason);
done:
    buf_free(&copy.out);
    return rc;
}

int source_open_buffer(source_t *src, const char *name, const void *bytes, size_t len,
                       char *reason) {
    const char *text = bytes;
    size_t first = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (first < len && (text[first] == ' ' || text[first] == '\t' || text[first] == '\n' ||
                           text[first] == '\r'))
        first++;
    if (first < len && text[first] == '[') {
        if (source_spool_new(src, name, reason) != 0) return -1;
        return spool_json_array(src, text, len, first, reason);
    }
    memset(src, 0, sizeof *src);
    src->name = xstrdup(name);
    src->kind = SOURCE_MEMORY;
    src->fd = -1;
    src->bytes = len ? text : NULL;
    src->size = len;
    return 0;
}

/* source_open_callback with the spool held to limits. */
static int open_callback_limited(source_t *src, const char *name, source_read_fn read,
                                 void *ctx, const source_limits *limits, char *reason) {
    if (source_spool_new(src, name, reason) != 0) return -1;
    src->limits = *limits;
    for (;;) {
        const char *piece = NULL;
        size_t len = 0;
        int got = read(ctx, &piece, &len);
        if (got < 0) return fail(reason, "%s: the callback failed", src->name);
        if (got == 0) return 0;
        if (len == 0) continue;
        if (source_spool_write(src, piece, len, reason) != 0) return -1;
        if (piece[len - 1] != '\n' && source_spool_write(src, "\n", 1, reason) != 0) return -1;
    }
}

int source_open_callback(source_t *src, const char *name, source_read_fn read, void *ctx,
                         char *reason) {
    return open_callback_limited(src, name, read, ctx, &default_limits, reason);
}

const char *source_public_name(const batchtrace_source *spec, const char *default_name) {
    if (spec->name && *spec->name) return spec->name;
    if (spec->kind == BATCHTRACE_SOURCE_PATH && spec->path)
        return strcmp(spec->path, "-") == 0 ? SOURCE_STDIN_NAME : spec->path;
    return default_name;
}

int source_open_public(source_t *src, const batchtrace_source *spec, const char *default_name,
                       char *reason) {
    return source_open_public_limited(src, spec, default_name, &default_limits, reason);
}

int source_open_public_limited(source_t *src, const batchtrace_source *spec,
                               const char *default_name, const source_limits *limits,
                               char *reason) {
    memset(src, 0, sizeof *src);
    src->fd = -1;
    const char *name = source_public_name(spec, default_name);
    switch (spec->kind) {
    case BATCHTRACE_SOURCE_PATH:
        if (!spec->path) return fail(reason, "%s: a path source without a path", name);
        if (source_open_limited(src, spec->path, limits, reason) != 0) return -1;
        if (spec->name && *spec->name) { /* the caller's name for it in messages */
            free(src->name);
            src->name = xstrdup(spec->name);
        }
        return 0;
    case BATCHTRACE_SOURCE_BUFFER:
        if (!spec->bytes && spec->len) return fail(reason, "%s: a buffer source without bytes", name);
        return source_open_buffer(src, name, spec->bytes, spec->len, reason);
    case BATCHTRACE_SOURCE_CALLBACK:
        if (!spec->read) return fail(reason, "%s: a callback source without a callback", name);
        return open_callback_limited(src, name, spec->read, spec->read_ctx, limits, reason);
    }
    return fail(reason, "%s: unknown source kind %d", name, (int)spec->kind);
}

ssize_t source_read_at(const source_t *src, void *buf, size_t len, uint64_t offset,
                       char *reason) {
    if (offset >= src->size) return 0;
    if (len > src->size - offset) len = (size_t)(src->size - offset);
    if (len > (size_t)SSIZE_MAX) len = (size_t)SSIZE_MAX;
    if (src->kind == SOURCE_MEMORY) {
        memcpy(buf, src->bytes + offset, len);
        return (ssize_t)len;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(src->fd, (char *)buf + done, len - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(reason, "read failed: %s", strerror(errno));
        if (n == 0)
            return fail(reason, "the file was cut shorter while it was being read; run again "
                                "once nothing writes to it");
        done += (size_t)n;
    }
    return (ssize_t)done;
}

const char *source_map(const source_t *src) {
    if (src->size == 0 || src->size > SIZE_MAX) return NULL;
    if (src->kind == SOURCE_MEMORY) return src->bytes;
    void *bytes = mmap(NULL, (size_t)src->size, PROT_READ, MAP_PRIVATE, src->fd, 0);
    if (bytes == MAP_FAILED) return NULL;
    madvise(bytes, (size_t)src->size, MADV_SEQUENTIAL);
    return bytes;
}

void source_unmap(const source_t *src, const char *bytes) {
    if (bytes && src->kind != SOURCE_MEMORY) munmap((void *)bytes, (size_t)src->size);
}

bool source_can_drop(const source_t *src) { return src->kind != SOURCE_MEMORY; }

void source_close(source_t *src) {
    if (!src->name) return; /* zeroed, or closed already */
    if (src->fd >= 0) close(src->fd);
    free(src->name);
    memset(src, 0, sizeof *src);
    src->fd = -1;
}
