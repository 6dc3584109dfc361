#include "util/lines.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

enum { LINES_BLOCK = 1 << 20 };

size_t lines_limit(size_t max_line) {
    return max_line == 0 ? LINES_DEFAULT_MAX : max_line > LINES_LIMIT_MAX ? LINES_LIMIT_MAX : max_line;
}

void lines_open(line_reader *reader, const source_t *src, size_t max_line) {
    memset(reader, 0, sizeof *reader);
    reader->source = src;
    reader->cap = LINES_BLOCK;
    reader->buf = xmalloc(reader->cap + 1);
    reader->max_line = lines_limit(max_line);
    reader->at_start = true;
    reader->checked_line = UINT64_MAX;
}

/* Read more bytes after end, first moving the unread tail to the front (growing the buffer
 * when the tail fills it, doubling but never past max_line + 2: a longest line with its CR
 * and LF; lines_next grows it only for a line line_fits found within the limit). Returns
 * bytes read, 0 at EOF, -1 with reason. */
static ssize_t fill(line_reader *r, char *reason) {
    if (r->start > 0) {
        size_t tail = r->end - r->start;
        memmove(r->buf, r->buf + r->start, tail);
        r->buf_offset += r->start;
        r->start = 0;
        r->end = tail;
    }
    if (r->end == r->cap) {
        /* lines_next calls fill only while the tail (end) is at most max_line + 1 bytes, so
         * the capped size still leaves room to read. */
        size_t grown = r->cap * 2;
        r->cap = grown < r->max_line + 2 ? grown : r->max_line + 2;
        r->buf = xreallocarray(r->buf, r->cap + 1, 1);
    }
    ssize_t n = source_read_at(r->source, r->buf + r->end, r->cap - r->end, r->bytes_read,
                               reason);
    if (n < 0) return -1;
    if (n == 0) r->eof = true;
    r->end += (size_t)n;
    r->bytes_read += (uint64_t)n;
    return n;
}

/* Skip the rest of an over-long line: discard bytes up to and including the next LF (or to
 * the end of the file), adding the bytes of the line to *skipped; a CR before the LF is not
 * counted, as it is not for lines that fit. */
static int skip_to_newline(line_reader *r, size_t *skipped, char *reason) {
    char last = '\0'; /* the last byte of the line seen so far */
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        size_t end = nl ? (size_t)(nl - r->buf) : r->end;
        if (end > r->start) last = r->buf[end - 1];
        *skipped += end - r->start;
        if (nl) {
            r->start = end + 1;
            break;
        }
        r->buf_offset += r->end;
        r->start = r->end = 0;
        if (r->eof) break;
        if (fill(r, reason) < 0) return -1;
    }
    if (last == '\r') (*skipped)--;
    return 0;
}

/* Whether the line at the start of the buffer, which fills it without an LF, ends within
 * the limit: 1 when its LF (or the end of the source) comes within max_line + 2 bytes of its
 * start, 0 when not, -1 with reason. The bytes after the buffer are read a block at a time
 * into a scratch block and not kept, so an over-long line is rejected without the buffer
 * ever growing to the limit (a 300 MB line under the 256 MiB default costs one block). */
static int line_fits(line_reader *r, char *reason) {
    size_t budget = r->max_line + 2 - (r->end - r->start); /* bytes that may still come */
    uint64_t offset = r->bytes_read;
    char *block = xmalloc(LINES_BLOCK);
    int fits = 0;
    while (budget > 0) {
        size_t want = budget < LINES_BLOCK ? budget : LINES_BLOCK;
        ssize_t n = source_read_at(r->source, block, want, offset, reason);
        if (n < 0) {
            fits = -1;
            break;
        }
        if (n == 0 || memchr(block, '\n', (size_t)n)) {
            fits = 1;
            break;
        }
        offset += (uint64_t)n;
        budget -= (size_t)n;
    }
    free(block);
    return fits;
}

int lines_next(line_reader *r, line *out, char *reason) {
    size_t scanned = 0; /* bytes after start already known to hold no LF */
    for (;;) {
        if (r->at_start && r->end - r->start >= 3) {
            if (memcmp(r->buf + r->start, "\xEF\xBB\xBF", 3) == 0) r->start += 3;
            r->at_start = false;
        }
        char *nl = memchr(r->buf + r->start + scanned, '\n', r->end - r->start - scanned);
        size_t avail = r->end - r->start;
        if (nl || (r->eof && avail > 0)) {
            if (r->at_start) r->at_start = false;
            size_t len = nl ? (size_t)(nl - (r->buf + r->start)) : avail;
            char *ptr = r->buf + r->start;
            out->number = ++r->line_number;
            out->offset = r->buf_offset + r->start;
            r->start += len + (nl ? 1 : 0);
            if (len > 0 && ptr[len - 1] == '\r') len--;
            if (len > r->max_line) {
                out->ptr = NULL;
                out->len = len;
                out->too_long = true;
                return 1;
            }
            ptr[len] = '\0'; /* the LF, CR or the spare byte after end */
            out->ptr = ptr;
            out->len = len;
            out->too_long = false;
            return 1;
        }
        if (r->eof) {
            /* A file holding only a BOM (or nothing) ends here. */
            return 0;
        }
        int fits = 1;
        if (avail == r->cap && r->checked_line != r->buf_offset + r->start) {
            /* The buffer would grow for this line: first make sure it ends within the limit. */
            r->checked_line = r->buf_offset + r->start;
            fits = line_fits(r, reason);
            if (fits < 0) return -1;
        }
        if (avail > r->max_line + 1 || !fits) {
            /* An over-long line: report it once and drop it without keeping it in memory. */
            out->number = ++r->line_number;
            out->offset = r->buf_offset + r->start;
            out->ptr = NULL;
            out->len = 0;
            out->too_long = true;
            r->at_start = false;
            if (skip_to_newline(r, &out->len, reason) < 0) return -1;
            return 1;
        }
        scanned = avail;
        if (fill(r, reason) < 0) return -1;
    }
}

void lines_close(line_reader *reader) {
    free(reader->buf);
    reader->buf = NULL;
}
