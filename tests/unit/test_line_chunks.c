/* The chunked line runner: whatever the source (a regular file mapped in place, or a pipe
 * spooled by source_open) and the number of workers, settle sees exactly the lines the line
 * reader returns (numbers, offsets, lengths, bytes, too_long), in order, each once; the
 * run's memory does not hold an over-long line; every pass reads the bytes the source held
 * when it was opened. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "source/source.h"
#include "test.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/line_chunks.h"
#include "util/lines.h"

/* One line as settle saw it (or as the line reader returned it). */
typedef struct seen_line {
    uint64_t number, offset;
    size_t len;
    bool too_long;
    uint64_t checksum;   /* FNV-1a of the bytes (0 for too_long) */
} seen_line;

/* What a run recorded, in settle order. */
typedef struct recording {
    seen_line *lines;
    size_t count, cap;
    size_t worked;       /* lines work saw (under lock: workers run at once) */
    pthread_mutex_t lock;
} recording;

/* FNV-1a of len bytes. */
static uint64_t checksum(const char *bytes, size_t len) {
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)bytes[i]) * 1099511628211u;
    return h;
}

/* Append a line to a recording. */
static void record(recording *r, seen_line seen) {
    if (r->count == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->lines = xreallocarray(r->lines, r->cap, sizeof *r->lines);
    }
    r->lines[r->count++] = seen;
}

/* work: checksum each line into the chunk's output (an array of uint64_t). */
static void work(void *ctx, void *worker, line_chunk *chunk) {
    recording *r = ctx;
    (void)worker;
    uint64_t *sums = xreallocarray(chunk->output, chunk->count ? chunk->count : 1, sizeof *sums);
    chunk->output = sums;
    for (size_t i = 0; i < chunk->count; i++) {
        const chunk_line *ln = &chunk->lines[i];
        sums[i] = ln->too_long ? 0 : checksum(chunk->data + ln->at, ln->len);
    }
    pthread_mutex_lock(&r->lock);
    r->worked += chunk->count;
    pthread_mutex_unlock(&r->lock);
}

/* settle: record every line in order. */
static int settle(void *ctx, line_chunk *chunk, char *reason) {
    (void)reason;
    recording *r = ctx;
    const uint64_t *sums = chunk->output;
    for (size_t i = 0; i < chunk->count; i++) {
        const chunk_line *ln = &chunk->lines[i];
        record(r, (seen_line){ln->number, ln->offset, ln->len, ln->too_long, sums[i]});
    }
    return 0;
}

/* output_free: the checksums. */
static void output_free(void *ctx, void *output) {
    (void)ctx;
    free(output);
}

static const line_chunk_ops recording_ops = {NULL, NULL, work, settle, output_free};

/* A fresh path in the temporary directory holding bytes (the caller unlinks and frees). */
static char *write_temp(const char *name, const char *bytes, size_t len) {
    const char *dir = getenv("TMPDIR");
    buf_t path = BUF_INIT;
    buf_printf(&path, "%s/batchtrace-test-%ld-%s", dir && *dir ? dir : "/tmp", (long)getpid(),
               name);
    FILE *f = fopen(path.data, "wb");
    if (f) {
        if (len) fwrite(bytes, 1, len, f);
        fclose(f);
    }
    return buf_detach(&path);
}

/* The lines the line reader returns for src, read directly. */
static recording source_lines(const source_t *src, size_t max_line) {
    recording r = {0};
    line_reader reader;
    char reason[REASON_MAX];
    lines_open(&reader, src, max_line);
    line ln;
    while (lines_next(&reader, &ln, reason) == 1)
        record(&r, (seen_line){ln.number, ln.offset, ln.len, ln.too_long,
                               ln.too_long ? 0 : checksum(ln.ptr, ln.len)});
    lines_close(&reader);
    return r;
}

/* The lines the line reader returns for path, read directly. */
static recording expected_lines(const char *path, size_t max_line) {
    source_t src;
    char reason[REASON_MAX];
    recording r = {0};
    if (source_open(&src, path, reason) == 0) r = source_lines(&src, max_line);
    source_close(&src);
    return r;
}

/* Run the chunk runner over sources with max_line and workers. */
static recording run_chunks(const source_t *sources, size_t count, size_t max_line,
                            unsigned workers, int *rc) {
    recording r = {0};
    pthread_mutex_init(&r.lock, NULL);
    char reason[REASON_MAX] = "";
    *rc = line_chunks_run(sources, count, max_line, workers, &recording_ops, &r, reason);
    pthread_mutex_destroy(&r.lock);
    return r;
}

/* Run the chunk runner over the files at paths (opened as sources) with workers. */
static recording chunked_lines(const char *const *paths, size_t count, size_t max_line,
                               unsigned workers, int *rc) {
    source_t *sources = xcalloc(count, sizeof *sources);
    char reason[REASON_MAX] = "";
    recording r = {0};
    *rc = 0;
    for (size_t i = 0; i < count; i++)
        if (source_open(&sources[i], paths[i], reason) != 0) *rc = -1;
    if (*rc == 0) r = run_chunks(sources, count, max_line, workers, rc);
    for (size_t i = 0; i < count; i++) source_close(&sources[i]);
    free(sources);
    return r;
}

/* Check that got holds exactly the lines of want; *matched counts the runs that did. */
static void check_same(const recording *got, const recording *want, const char *what) {
    int mismatches = 0;
    if (got->count != want->count) {
        fprintf(stderr, "%s: %zu lines, expected %zu\n", what, got->count, want->count);
        mismatches++;
    }
    for (size_t i = 0; i < got->count && i < want->count && mismatches < 5; i++) {
        const seen_line *g = &got->lines[i], *w = &want->lines[i];
        if (g->number != w->number || g->offset != w->offset || g->len != w->len ||
            g->too_long != w->too_long || g->checksum != w->checksum) {
            fprintf(stderr,
                    "%s: line %zu is number %llu offset %llu len %zu too_long %d, expected "
                    "%llu %llu %zu %d%s\n",
                    what, i, (unsigned long long)g->number, (unsigned long long)g->offset,
                    g->len, g->too_long, (unsigned long long)w->number,
                    (unsigned long long)w->offset, w->len, w->too_long,
                    g->checksum != w->checksum ? " (other bytes)" : "");
            mismatches++;
        }
    }
    CHECK_INT(mismatches, 0);
    CHECK_INT(got->worked, got->count);
}

/* Compare the runner with the line reader on bytes, mapped in place (0 and 3 workers) and
 * through a pipe (a path under /dev/fd, spooled when it is opened). */
static void compare_on(const char *name, const char *bytes, size_t len, size_t max_line) {
    char *path = write_temp(name, bytes, len);
    recording want = expected_lines(path, max_line);
    for (unsigned workers = 0; workers <= 3; workers += 3) {
        int rc;
        recording got = chunked_lines((const char *const *)&path, 1, max_line, workers, &rc);
        CHECK_INT(rc, 0);
        char what[128];
        snprintf(what, sizeof what, "%s, mapped, %u workers", name, workers);
        check_same(&got, &want, what);
        free(got.lines);

        int fds[2];
        if (pipe(fds) != 0) continue;
        pid_t child = fork();
        if (child == 0) {
            close(fds[0]);
            size_t done = 0;
            while (done < len) {
                ssize_t n = write(fds[1], bytes + done, len - done);
                if (n <= 0) break;
                done += (size_t)n;
            }
            _exit(0);
        }
        close(fds[1]);
        char pipe_path[64];
        snprintf(pipe_path, sizeof pipe_path, "/dev/fd/%d", fds[0]);
        const char *pipe_paths[1] = {pipe_path};
        got = chunked_lines(pipe_paths, 1, max_line, workers, &rc);
        close(fds[0]);
        waitpid(child, NULL, 0);
        CHECK_INT(rc, 0);
        snprintf(what, sizeof what, "%s, piped, %u workers", name, workers);
        check_same(&got, &want, what);
        free(got.lines);
    }
    free(want.lines);
    unlink(path);
    free(path);
}

TEST(small_files_with_every_kind_of_line_ending) {
    static const char *const cases[] = {
        "",
        "\xEF\xBB\xBF",
        "\xEF\xBB",
        "\xEF\xBB\xBF{\"a\":1}\n",
        "one\ntwo\n",
        "one\r\ntwo\r\n\r\n\n",
        "no final newline",
        "last is a lone CR\n\r",
        "\n\n\n",
        "blank then text\n\n   \nx",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "small-%zu", i);
        compare_on(name, cases[i], strlen(cases[i]), 0);
    }
}

TEST(many_chunks_of_mixed_lines_keep_numbers_and_offsets) {
    /* About 3 MB: lines of 0 to 3000 bytes, CRLF on some, so chunk ends fall everywhere. */
    buf_t bytes = BUF_INIT;
    uint64_t state = 42;
    for (unsigned n = 0; bytes.len < 3u << 20; n++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        size_t len = (size_t)(state >> 33) % 3000;
        for (size_t i = 0; i < len; i++) buf_putc(&bytes, (char)('a' + (n + i) % 26));
        if (n % 7 == 0) buf_putc(&bytes, '\r');
        buf_putc(&bytes, '\n');
    }
    compare_on("mixed", bytes.data, bytes.len, 0);
    buf_free(&bytes);
}

TEST(over_long_lines_across_chunk_ends_are_reported_not_read) {
    /* max_line 1000: lines of 600 KiB and 2 MiB (longer than a chunk), with CR and without,
     * at the start, in the middle and at the very end without a newline. */
    buf_t bytes = BUF_INIT;
    const size_t lengths[] = {700 * 1024, 10, 1000, 1001, 2 << 20, 5, 600 * 1024, 999};
    for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++) {
        for (size_t i = 0; i < lengths[k]; i++) buf_putc(&bytes, 'x');
        if (k % 2) buf_putc(&bytes, '\r');
        buf_putc(&bytes, '\n');
    }
    for (size_t i = 0; i < (3u << 20); i++) buf_putc(&bytes, 'y'); /* no final newline */
    compare_on("long", bytes.data, bytes.len, 1000);
    buf_free(&bytes);
}

TEST(a_source_the_system_will_not_map_is_read_through_the_line_reader) {
    /* Files of /proc cannot be mapped but can be read with pread: a source over one, of the
     * size counted here, takes the runner's read path. */
    source_t src = {.name = "/proc/self/mountinfo", .kind = SOURCE_FILE};
    src.fd = open(src.name, O_RDONLY | O_CLOEXEC);
    CHECK(src.fd >= 0);
    if (src.fd < 0) return;
    char block[4096];
    ssize_t n;
    while ((n = pread(src.fd, block, sizeof block, (off_t)src.size)) > 0) src.size += (uint64_t)n;
    CHECK(src.size > 0);
    CHECK(source_map(&src) == NULL);
    recording want = source_lines(&src, 0);
    CHECK(want.count > 0);
    for (unsigned workers = 0; workers <= 3; workers += 3) {
        int rc;
        recording got = run_chunks(&src, 1, 0, workers, &rc);
        CHECK_INT(rc, 0);
        check_same(&got, &want, workers ? "unmapped, 3 workers" : "unmapped, 0 workers");
        free(got.lines);
    }
    free(want.lines);
    src.name = NULL; /* not the source's own copy: close only the file */
    close(src.fd);
}

TEST(several_files_are_numbered_each_from_one) {
    char *a = write_temp("first", "a1\na2\n", 6);
    char *b = write_temp("empty", "", 0);
    char *c = write_temp("third", "c1\r\nc2", 6);
    const char *paths[3] = {a, b, c};
    int rc;
    recording got = chunked_lines(paths, 3, 0, 2, &rc);
    CHECK_INT(rc, 0);
    CHECK_INT(got.count, 4);
    if (got.count == 4) {
        CHECK_INT(got.lines[0].number, 1);
        CHECK_INT(got.lines[1].number, 2);
        CHECK_INT(got.lines[2].number, 1);
        CHECK_INT(got.lines[2].offset, 0);
        CHECK_INT(got.lines[2].len, 2);
        CHECK_INT(got.lines[3].number, 2);
        CHECK_INT(got.lines[3].offset, 4);
    }
    free(got.lines);
    unlink(a);
    unlink(b);
    unlink(c);
    free(a);
    free(b);
    free(c);
}

/* settle that stops the run at the second chunk. */
static int settle_then_stop(void *ctx, line_chunk *chunk, char *reason) {
    int *calls = ctx;
    (void)chunk;
    if (++*calls == 2) return fail(reason, "stopped by the client");
    return 0;
}

/* work that does nothing. */
static void work_nothing(void *ctx, void *worker, line_chunk *chunk) {
    (void)ctx;
    (void)worker;
    (void)chunk;
}

TEST(a_settle_failure_stops_the_run_with_its_reason) {
    buf_t bytes = BUF_INIT;
    for (unsigned i = 0; i < 200000; i++) buf_printf(&bytes, "line %u\n", i);
    char *path = write_temp("stop", bytes.data, bytes.len);
    buf_free(&bytes);
    static const line_chunk_ops stopping_ops = {NULL, NULL, work_nothing, settle_then_stop,
                                                output_free};
    source_t src;
    char reason[REASON_MAX] = "";
    CHECK_INT(source_open(&src, path, reason), 0);
    int calls = 0;
    CHECK_INT(line_chunks_run(&src, 1, 0, 2, &stopping_ops, &calls, reason), -1);
    CHECK_STR(reason, "stopped by the client");
    CHECK_INT(calls, 2);
    source_close(&src);
    unlink(path);
    free(path);
}

/* work that cuts its file (ctx: the path) to nothing, then reads its lines' bytes. */
static void work_truncating(void *ctx, void *worker, line_chunk *chunk) {
    (void)worker;
    if (truncate(ctx, 0) != 0) _exit(3);
    uint64_t sum = 0;
    for (size_t i = 0; i < chunk->count; i++)
        sum += checksum(chunk->data + chunk->lines[i].at, chunk->lines[i].len);
    uint64_t *out = xreallocarray(chunk->output, 1, sizeof *out); /* reached only if the */
    *out = sum;                                                  /* bytes could be read */
    chunk->output = out;
}

/* settle that accepts every chunk. */
static int settle_all(void *ctx, line_chunk *chunk, char *reason) {
    (void)ctx;
    (void)chunk;
    (void)reason;
    return 0;
}

TEST(a_file_cut_shorter_while_mapped_is_named_not_a_bare_sigbus) {
    buf_t bytes = BUF_INIT;
    for (unsigned i = 0; i < 200000; i++) buf_printf(&bytes, "line %u\n", i);
    char *path = write_temp("cut", bytes.data, bytes.len);
    char *err_path = write_temp("cut-stderr", "", 0);
    buf_free(&bytes);
    struct sigaction before, after;
    sigaction(SIGBUS, NULL, &before);
    pid_t child = fork();
    if (child == 0) {
        if (!freopen(err_path, "w", stderr)) _exit(4);
        static const line_chunk_ops cutting_ops = {NULL, NULL, work_truncating, settle_all,
                                                   output_free};
        source_t src;
        char reason[REASON_MAX] = "";
        if (source_open(&src, path, reason) != 0) _exit(5);
        line_chunks_run(&src, 1, 0, 2, &cutting_ops, path, reason);
        _exit(0); /* reached only when nothing faulted */
    }
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), 1);
    FILE *f = fopen(err_path, "rb");
    char said[512] = "";
    if (f) {
        size_t n = fread(said, 1, sizeof said - 1, f);
        said[n] = '\0';
        fclose(f);
    }
    buf_t want = BUF_INIT;
    buf_printf(&want, "batchtrace: error: %s: the file was cut shorter while it was being "
                      "read; run again once nothing writes to it\n", path);
    CHECK_STR(said, want.data);
    buf_free(&want);
    /* A run that ends puts the previous SIGBUS disposition back. */
    sigaction(SIGBUS, NULL, &after);
    CHECK(after.sa_handler == before.sa_handler);
    unlink(path);
    unlink(err_path);
    free(path);
    free(err_path);
}

int main(void) {
    RUN(small_files_with_every_kind_of_line_ending);
    RUN(many_chunks_of_mixed_lines_keep_numbers_and_offsets);
    RUN(over_long_lines_across_chunk_ends_are_reported_not_read);
    RUN(a_source_the_system_will_not_map_is_read_through_the_line_reader);
    RUN(several_files_are_numbered_each_from_one);
    RUN(a_settle_failure_stops_the_run_with_its_reason);
    RUN(a_file_cut_shorter_while_mapped_is_named_not_a_bare_sigbus);
    TEST_MAIN_END();
}
