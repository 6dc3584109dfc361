/* Sources: a regular file is read in place, its size fixed at open (a file replaced or
 * grown afterwards changes nothing a pass reads); pipes and gzip data are spooled into a
 * temporary file that has no name; errors name the source. */
#define _GNU_SOURCE /* O_TMPFILE, fallocate */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "batchtrace.h"
#include "source/source.h"
#include "test.h"
#include "util/buf.h"
#include "util/lines.h"

/* A fresh path in the temporary directory (the caller unlinks and frees it). */
static char *temp_path(const char *name) {
    const char *dir = getenv("TMPDIR");
    buf_t path = BUF_INIT;
    buf_printf(&path, "%s/batchtrace-source-%ld-%s", dir && *dir ? dir : "/tmp", (long)getpid(),
               name);
    return buf_detach(&path);
}

/* Write len bytes to path (replacing it). */
static void write_file(const char *path, const char *bytes, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (len && fwrite(bytes, 1, len, f) != len) abort();
    fclose(f);
}

/* All of src's bytes, read with a line reader, lines joined with '\n'. */
static void read_lines(const source_t *src, buf_t *out) {
    line_reader reader;
    lines_open(&reader, src, 0);
    line ln;
    char reason[REASON_MAX];
    while (lines_next(&reader, &ln, reason) == 1) {
        buf_append(out, ln.ptr, ln.len);
        buf_putc(out, '\n');
    }
    lines_close(&reader);
}

TEST(a_regular_file_is_read_in_place_with_its_size_fixed_at_open) {
    char *path = temp_path("fixed"), *other = temp_path("other");
    write_file(path, "one\ntwo\n", 8);
    source_t src;
    char reason[REASON_MAX];
    CHECK_INT(source_open(&src, path, reason), 0);
    CHECK_INT(src.kind, SOURCE_FILE);
    CHECK_INT(src.size, 8);
    CHECK_STR(src.name, path);
    /* The file grows, then another file replaces it: a pass still reads what was opened. */
    FILE *f = fopen(path, "ab");
    if (f) {
        fputs("three\n", f);
        fclose(f);
    }
    buf_t first = BUF_INIT, second = BUF_INIT;
    read_lines(&src, &first);
    write_file(other, "replaced\n", 9);
    CHECK_INT(rename(other, path), 0);
    read_lines(&src, &second);
    CHECK_STR(buf_cstr(&first), "one\ntwo\n");
    CHECK_STR(buf_cstr(&second), "one\ntwo\n");
    const char *mapped = source_map(&src);
    CHECK(mapped && memcmp(mapped, "one\ntwo\n", 8) == 0);
    source_unmap(&src, mapped);
    source_close(&src);
    source_close(&src); /* twice is fine */
    buf_free(&first);
    buf_free(&second);
    unlink(path);
    free(path);
    free(other);
}

/* A source opened from the read end of a pipe a child fills with len bytes. */
static int open_pipe(source_t *src, const char *bytes, size_t len, char *reason) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
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
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    int rc = source_open(src, path, reason);
    close(fds[0]);
    waitpid(child, NULL, 0);
    return rc;
}

TEST(a_pipe_is_spooled_into_a_file_with_no_name) {
    source_t src;
    char reason[REASON_MAX];
    CHECK_INT(open_pipe(&src, "a\nb\n", 4, reason), 0);
    CHECK_INT(src.kind, SOURCE_SPOOLED);
    CHECK_INT(src.size, 4);
    struct stat st;
    CHECK(fstat(src.fd, &st) == 0 && S_ISREG(st.st_mode));
    CHECK_INT(st.st_nlink, 0);
    buf_t once = BUF_INIT, twice = BUF_INIT;
    read_lines(&src, &once);
    read_lines(&src, &twice); /* a second pass reads the same bytes */
    CHECK_STR(buf_cstr(&once), "a\nb\n");
    CHECK_STR(buf_cstr(&twice), "a\nb\n");
    source_close(&src);
    buf_free(&once);
    buf_free(&twice);
}

/* bytes gzip-compressed into out (one member). */
static void gzip_bytes(const char *bytes, size_t len, buf_t *out) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    buf_grow(out, deflateBound(&z, len) + 32);
    z.next_in = (Bytef *)bytes;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out->data + out->len;
    z.avail_out = (uInt)(out->cap - out->len - 1);
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
    out->len += z.total_out;
    deflateEnd(&z);
}

TEST(gzip_is_read_by_name_or_by_magic_and_damage_is_named) {
    char reason[REASON_MAX];
    buf_t gz = BUF_INIT;
    gzip_bytes("x\n", 2, &gz);
    gzip_bytes("y\n", 2, &gz); /* a second member */
    char *path = temp_path("data.bin"); /* not named .gz: told by its magic bytes */
    write_file(path, gz.data, gz.len);
    source_t src;
    CHECK_INT(source_open(&src, path, reason), 0);
    CHECK(src.gzip);
    CHECK_INT(src.kind, SOURCE_SPOOLED);
    buf_t text = BUF_INIT;
    read_lines(&src, &text);
    CHECK_STR(buf_cstr(&text), "x\ny\n");
    source_close(&src);
    CHECK_INT(open_pipe(&src, gz.data, gz.len, reason), 0);
    CHECK_INT(src.size, 4);
    source_close(&src);

    char *cut = temp_path("cut.jsonl.gz");
    write_file(cut, gz.data, gz.len - 30);
    CHECK_INT(source_open(&src, cut, reason), -1);
    buf_t want = BUF_INIT;
    buf_printf(&want, "%s: the gzip data is truncated (the file ends inside the compressed "
                      "stream)", cut);
    CHECK_STR(reason, buf_cstr(&want));
    source_close(&src);
    write_file(cut, "plain\n", 6);
    CHECK_INT(source_open(&src, cut, reason), -1);
    buf_clear(&want);
    buf_printf(&want, "%s: named .gz but not gzip data", cut);
    CHECK_STR(reason, buf_cstr(&want));
    source_close(&src);
    unlink(path);
    unlink(cut);
    free(path);
    free(cut);
    buf_free(&gz);
    buf_free(&text);
    buf_free(&want);
}

TEST(directories_missing_files_and_stdin_are_named) {
    source_t src;
    char reason[REASON_MAX];
    CHECK_INT(source_open(&src, "/", reason), -1);
    CHECK_STR(reason, "/: is a directory");
    source_close(&src);
    CHECK_INT(source_open(&src, "/nonexistent/batchtrace", reason), -1);
    CHECK_STR(reason, "/nonexistent/batchtrace: No such file or directory");
    source_close(&src);
    CHECK(source_is_stdin("-") && source_is_stdin("/dev/stdin") && source_is_stdin("/dev/fd/0"));
    CHECK(!source_is_stdin("./-") && !source_is_stdin("/dev/fd/3"));
    /* "-" is stdin, named <stdin> in messages. */
    int saved = dup(STDIN_FILENO);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, STDIN_FILENO);
    CHECK_INT(source_open(&src, "-", reason), 0);
    CHECK_STR(src.name, SOURCE_STDIN_NAME);
    CHECK_INT(src.size, 0);
    source_close(&src);
    dup2(saved, STDIN_FILENO);
    close(saved);
    close(null);
}

TEST(a_jsonl_buffer_is_read_in_place_and_named_by_its_role) {
    static const char text[] = "{\"a\":1}\n{\"b\":2}";
    batchtrace_source spec = {.kind = BATCHTRACE_SOURCE_BUFFER, .bytes = text,
                              .len = sizeof text - 1};
    source_t src;
    char reason[REASON_MAX];
    CHECK_INT(source_open_public(&src, &spec, "<results>", reason), 0);
    CHECK_INT(src.kind, SOURCE_MEMORY);
    CHECK_STR(src.name, "<results>");
    CHECK_INT(src.size, sizeof text - 1);
    const char *mapped = source_map(&src);
    CHECK(mapped == text); /* the caller's bytes, not a copy */
    CHECK(!source_can_drop(&src));
    source_unmap(&src, mapped);
    buf_t got = BUF_INIT;
    read_lines(&src, &got);
    CHECK_STR(buf_cstr(&got), "{\"a\":1}\n{\"b\":2}\n");
    buf_free(&got);
    source_close(&src);
    spec.name = "mine";
    CHECK_INT(source_open_public(&src, &spec, "<results>", reason), 0);
    CHECK_STR(src.name, "mine");
    source_close(&src);
}

TEST(a_json_array_buffer_becomes_one_line_per_element) {
    static const char text[] = "\xEF\xBB\xBF [\n  {\"s\": \"a, ]\\\" [\",\n   \"n\": [1,\n 2]},\n"
                               "  {\"x\": {}} ,\n  7\n]\n";
    source_t src;
    char reason[REASON_MAX];
    CHECK_INT(source_open_buffer(&src, "<requests>", text, sizeof text - 1, reason), 0);
    CHECK_INT(src.kind, SOURCE_SPOOLED);
    buf_t got = BUF_INIT;
    read_lines(&src, &got);
    CHECK_STR(buf_cstr(&got), "{\"s\": \"a, ]\\\" [\",    \"n\": [1,  2]}\n{\"x\": {}}\n7\n");
    buf_free(&got);
    source_close(&src);
    CHECK_INT(source_open_buffer(&src, "<requests>", "[]", 2, reason), 0);
    CHECK_INT(src.size, 0);
    source_close(&src);
    CHECK_INT(source_open_buffer(&src, "<requests>", "[{\"a\":1}", 8, reason), -1);
    CHECK_STR(reason, "<requests>: the JSON array is not closed (no ] at its end)");
    source_close(&src);
    CHECK_INT(source_open_buffer(&src, "<requests>", "[1] x", 5, reason), -1);
    CHECK_STR(reason, "<requests>: bytes after the JSON array's closing ] (at byte 4)");
    source_close(&src);
}

/* A callback's pieces: "one" (no newline), "" (skipped), "two\nthree\n", then the end,
 * or -1 when fail_at is reached. */
typedef struct pieces {
    int next;
    int fail_at;
} pieces;

/* batchtrace_read_fn over a pieces. */
static int read_piece(void *ctx, const char **bytes, size_t *len) {
    pieces *p = ctx;
    static const char *const texts[] = {"one", "", "two\nthree\n"};
    if (p->next == p->fail_at) return -1;
    if (p->next == 3) return 0;
    *bytes = texts[p->next];
    *len = strlen(texts[p->next]);
    p->next++;
    return 1;
}

TEST(a_callback_is_drained_into_a_spool_with_a_newline_after_each_piece) {
    pieces state = {0, -1};
    batchtrace_source spec = {.kind = BATCHTRACE_SOURCE_CALLBACK, .read = read_piece,
                              .read_ctx = &state};
    source_t src;
    char reason[REASON_MAX];
    CHECK_INT(source_open_public(&src, &spec, "<results>", reason), 0);
    CHECK_INT(src.kind, SOURCE_SPOOLED);
    CHECK_INT(src.size, 14);
    buf_t got = BUF_INIT;
    read_lines(&src, &got);
    CHECK_STR(buf_cstr(&got), "one\ntwo\nthree\n");
    buf_free(&got);
    source_close(&src);
    pieces failing = {0, 2};
    spec.read_ctx = &failing;
    CHECK_INT(source_open_public(&src, &spec, "<results>", reason), -1);
    CHECK_STR(reason, "<results>: the callback failed");
    source_close(&src);
    spec.read = NULL;
    CHECK_INT(source_open_public(&src, &spec, "<results>", reason), -1);
    CHECK_STR(reason, "<results>: a callback source without a callback");
    source_close(&src);
}

/* batchtrace_read_fn that never ends: a line "x\n", then lines of 200,000 'x' forever (a
 * callback's piece is whole lines; a newline is added after each). */
static int read_endless(void *ctx, const char **bytes, size_t *len) {
    static char long_line[200000];
    int *calls = ctx;
    if ((*calls)++ == 0) {
        *bytes = "x\n";
        *len = 2;
        return 1;
    }
    memset(long_line, 'x', sizeof long_line);
    *bytes = long_line;
    *len = sizeof long_line;
    return 1;
}

TEST(a_copy_stops_at_its_limits_however_long_the_stream) {
    int calls = 0;
    batchtrace_source spec = {.kind = BATCHTRACE_SOURCE_CALLBACK, .read = read_endless,
                              .read_ctx = &calls};
    source_t src;
    char reason[REASON_MAX];
    const source_limits lines = {100000, 0};
    CHECK_INT(source_open_public_limited(&src, &spec, "<results>", &lines, reason), -1);
    CHECK_STR(reason, "<results>:2: line exceeds the line-length limit (100000 bytes, see "
                      "--max-line-bytes); this input is copied before it is read (it is no "
                      "regular file, or gzip data), so the copy stops here");
    CHECK_INT(calls, 2);
    CHECK_INT(src.size, 2); /* nothing of the long line was written */
    CHECK_INT(src.over_limit, 0);
    source_close(&src);
    calls = 0;
    const source_limits size = {0, 300000};
    CHECK_INT(source_open_public_limited(&src, &spec, "<batch>", &size, reason), -1);
    CHECK_STR(reason, "<batch>: over 300000 bytes, the most it may hold; the copy stops there");
    CHECK_INT(calls, 3);
    CHECK_INT(src.size, 200003); /* "x\n", the first long line and its added newline */
    CHECK_INT(src.over_limit, 1);
    source_close(&src);
}

/* Whether fallocate works in dir (tmpfs and ext4 have it; some file systems do not). */
static bool directory_reserves(const char *dir) {
    int fd = open(dir, O_TMPFILE | O_RDWR, 0600);
    if (fd < 0) return false;
    bool works = fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4096) == 0;
    close(fd);
    return works;
}

TEST(a_spool_reserves_its_blocks_ahead_and_its_size_is_what_was_written) {
    source_t src;
    char reason[REASON_MAX];
    CHECK_INT(source_spool_new(&src, "reserved", reason), 0);
    CHECK_INT(source_spool_write(&src, "abc\n", 4, reason), 0);
    struct stat st;
    CHECK(fstat(src.fd, &st) == 0);
    CHECK_INT(st.st_size, 4);
    CHECK_INT(src.size, 4);
    const char *dir = getenv("TMPDIR");
    /* 16 MiB of blocks (SPOOL_RESERVE) where the file system can allocate them ahead */
    if (directory_reserves(dir && *dir ? dir : "/tmp"))
        CHECK((uint64_t)st.st_blocks * 512 >= (16u << 20));
    buf_t lines = BUF_INIT;
    read_lines(&src, &lines);
    CHECK_STR(buf_cstr(&lines), "abc\n");
    buf_free(&lines);
    source_close(&src);
}

int main(void) {
    RUN(a_regular_file_is_read_in_place_with_its_size_fixed_at_open);
    RUN(a_pipe_is_spooled_into_a_file_with_no_name);
    RUN(gzip_is_read_by_name_or_by_magic_and_damage_is_named);
    RUN(directories_missing_files_and_stdin_are_named);
    RUN(a_jsonl_buffer_is_read_in_place_and_named_by_its_role);
    RUN(a_json_array_buffer_becomes_one_line_per_element);
    RUN(a_callback_is_drained_into_a_spool_with_a_newline_after_each_piece);
    RUN(a_copy_stops_at_its_limits_however_long_the_stream);
    RUN(a_spool_reserves_its_blocks_ahead_and_its_size_is_what_was_written);
    TEST_MAIN_END();
}
