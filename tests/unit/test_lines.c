/* The line reader: endings, BOM, blank lines, missing final newline, long lines, offsets. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "source/source.h"
#include "test.h"
#include "util/lines.h"

/* The source the reader of the current test reads (closed by the next open_path). */
static source_t opened;

/* Open path as a source and start a line reader on it: 0, or -1 with reason. */
static int open_path(line_reader *reader, const char *path, size_t max_line, char *reason) {
    source_close(&opened);
    if (source_open(&opened, path, reason) != 0) return -1;
    lines_open(reader, &opened, max_line);
    return 0;
}

/* Write bytes to a fresh temporary file; returns its path (static buffer). */
static const char *temp_file(const char *bytes, size_t len) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/bt-lines-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, bytes, len) != (ssize_t)len) abort();
    close(fd);
    return path;
}

TEST(crlf_bom_blank_lines_and_no_final_newline) {
    static const char bytes[] = "\xEF\xBB\xBF{\"a\":1}\r\n\r\n{\"b\":2}\n{\"c\":3}";
    const char *path = temp_file(bytes, sizeof bytes - 1);
    line_reader reader;
    char reason[REASON_MAX];
    CHECK_INT(open_path(&reader, path, 0, reason), 0);
    line ln;
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK_STRN(ln.ptr, ln.len, "{\"a\":1}");
    CHECK_INT(ln.number, 1);
    CHECK_INT(ln.offset, 3); /* after the BOM */
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK_INT(ln.len, 0);
    CHECK_INT(ln.number, 2);
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK_STRN(ln.ptr, ln.len, "{\"b\":2}");
    CHECK_INT(ln.number, 3);
    CHECK_INT(ln.offset, 14);
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK_STRN(ln.ptr, ln.len, "{\"c\":3}");
    CHECK_INT(ln.number, 4);
    CHECK_INT(lines_next(&reader, &ln, reason), 0);
    lines_close(&reader);
    unlink(path);
}

TEST(empty_file_has_no_lines) {
    const char *path = temp_file("", 0);
    line_reader reader;
    char reason[REASON_MAX];
    CHECK_INT(open_path(&reader, path, 0, reason), 0);
    line ln;
    CHECK_INT(lines_next(&reader, &ln, reason), 0);
    lines_close(&reader);
    unlink(path);
}

TEST(line_longer_than_a_block_is_returned_whole) {
    size_t big = 3u << 20; /* three read blocks */
    char *bytes = malloc(big + 8);
    memset(bytes, 'x', big);
    memcpy(bytes + big, "\nshort\n", 7);
    const char *path = temp_file(bytes, big + 7);
    line_reader reader;
    char reason[REASON_MAX];
    CHECK_INT(open_path(&reader, path, 0, reason), 0);
    line ln;
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK_INT(ln.len, big);
    CHECK(!ln.too_long);
    CHECK(ln.ptr && ln.ptr[0] == 'x' && ln.ptr[big - 1] == 'x' && ln.ptr[big] == '\0');
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK_STRN(ln.ptr, ln.len, "short");
    CHECK_INT(ln.number, 2);
    CHECK_INT(ln.offset, big + 1);
    lines_close(&reader);
    unlink(path);
    free(bytes);
}

TEST(line_over_the_limit_is_reported_and_skipped) {
    size_t big = 5u << 20;
    char *bytes = malloc(big + 8);
    memset(bytes, 'y', big);
    memcpy(bytes + big, "\nnext\n", 6);
    const char *path = temp_file(bytes, big + 6);
    line_reader reader;
    char reason[REASON_MAX];
    CHECK_INT(open_path(&reader, path, 1u << 20, reason), 0);
    line ln;
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK(ln.too_long);
    CHECK(ln.ptr == NULL);
    CHECK_INT(ln.number, 1);
    CHECK_INT(ln.len, big); /* the full length, not what was buffered */
    CHECK(reader.cap <= (1u << 20) + 2); /* never grown past the limit */
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK(!ln.too_long);
    CHECK_STRN(ln.ptr, ln.len, "next");
    CHECK_INT(ln.number, 2);
    CHECK_INT(lines_next(&reader, &ln, reason), 0);
    lines_close(&reader);
    unlink(path);
    free(bytes);
}

/* A line over a limit much larger than the reader's block is found over-long by reading
 * ahead, without the buffer growing towards the limit; a line within the limit that is
 * larger than a block is still returned whole, and so is the line after each. */
TEST(line_over_a_large_limit_is_rejected_without_growing_the_buffer) {
    size_t limit = 6u << 20, over = 9u << 20, within = 3u << 20;
    char *bytes = malloc(over + within + 16);
    memset(bytes, 'z', over + within + 16);
    size_t at = over;
    memcpy(bytes + at, "\r\nok\n", 5);
    at += 5;
    at += within;
    memcpy(bytes + at, "\nend", 4);
    at += 4;
    const char *path = temp_file(bytes, at);
    line_reader reader;
    char reason[REASON_MAX];
    CHECK_INT(open_path(&reader, path, limit, reason), 0);
    line ln;
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK(ln.too_long);
    CHECK_INT(ln.len, over);
    CHECK(reader.cap <= (1u << 20)); /* one block: the limit was never allocated */
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK(!ln.too_long);
    CHECK_STRN(ln.ptr, ln.len, "ok");
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK(!ln.too_long);
    CHECK_INT(ln.len, within);
    CHECK_INT(ln.ptr[0], 'z');
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK_STRN(ln.ptr, ln.len, "end");
    CHECK_INT(ln.number, 4);
    CHECK_INT(lines_next(&reader, &ln, reason), 0);
    lines_close(&reader);
    unlink(path);
    free(bytes);
}

TEST(over_long_lines_without_newline_or_with_crlf_are_measured_whole) {
    size_t big = (3u << 20) + 5;
    char *bytes = malloc(2 * big + 16);
    memset(bytes, 'z', 2 * big + 16);
    memcpy(bytes, "ok\r\n", 4);
    memcpy(bytes + 4 + big, "\r\n", 2); /* line 2: big bytes, CRLF */
    const char *path = temp_file(bytes, 4 + big + 2 + big); /* line 3: big bytes, no LF */
    line_reader reader;
    char reason[REASON_MAX];
    CHECK_INT(open_path(&reader, path, 100, reason), 0);
    line ln;
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK_STRN(ln.ptr, ln.len, "ok");
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK(ln.too_long);
    CHECK_INT(ln.len, big);
    CHECK_INT(ln.number, 2);
    CHECK_INT(ln.offset, 4);
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK(ln.too_long);
    CHECK_INT(ln.len, big);
    CHECK_INT(ln.number, 3);
    CHECK_INT(ln.offset, 4 + big + 2);
    CHECK_INT(lines_next(&reader, &ln, reason), 0);
    CHECK(reader.cap == 1u << 20); /* one block: a small limit never grows the buffer */
    lines_close(&reader);
    unlink(path);
    free(bytes);
}

TEST(short_lines_over_a_small_limit_are_skipped_and_huge_limits_clamped) {
    const char *path = temp_file("12345\n123456\r\n1234567", 21);
    line_reader reader;
    char reason[REASON_MAX];
    CHECK_INT(open_path(&reader, path, 6, reason), 0);
    line ln;
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK_STRN(ln.ptr, ln.len, "12345");
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK_STRN(ln.ptr, ln.len, "123456"); /* the CR does not count */
    CHECK_INT(lines_next(&reader, &ln, reason), 1);
    CHECK(ln.too_long && ln.ptr == NULL);
    CHECK_INT(ln.len, 7);
    CHECK_INT(lines_next(&reader, &ln, reason), 0);
    lines_close(&reader);
    CHECK_INT(open_path(&reader, path, SIZE_MAX, reason), 0);
    CHECK(reader.max_line == LINES_LIMIT_MAX);
    lines_close(&reader);
    CHECK_INT(open_path(&reader, path, 0, reason), 0);
    CHECK(reader.max_line == LINES_DEFAULT_MAX);
    lines_close(&reader);
    unlink(path);
}

int main(void) {
    RUN(crlf_bom_blank_lines_and_no_final_newline);
    RUN(empty_file_has_no_lines);
    RUN(line_longer_than_a_block_is_returned_whole);
    RUN(over_long_lines_without_newline_or_with_crlf_are_measured_whole);
    RUN(short_lines_over_a_small_limit_are_skipped_and_huge_limits_clamped);
    RUN(line_over_the_limit_is_reported_and_skipped);
    RUN(line_over_a_large_limit_is_rejected_without_growing_the_buffer);
    source_close(&opened);
    TEST_MAIN_END();
}
