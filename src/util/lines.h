/* A streaming line reader: reads a source (source/source.h) in large blocks, from its
 * start to the size fixed when it was opened, and hands out one line at a time without
 * copying when it can. Each reader has its own position, so several passes (and threads)
 * can read one source. Lines end in LF or CRLF (both stripped); a UTF-8 BOM at the
 * start of the file is skipped; a missing final newline is fine. Memory is one block plus
 * the longest line accepted, and never more than max_line + 2 bytes however long a line is:
 * a line longer than max_line is reported (too_long, with its full length) and skipped
 * whole, its end found by reading ahead a block at a time before the buffer would grow for
 * it, its bytes read through the one buffer and dropped, never kept. So rejecting a line
 * costs two blocks, whatever the limit. */
#ifndef BT_UTIL_LINES_H
#define BT_UTIL_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "source/source.h"
#include "util/reason.h"

typedef struct line_reader {
    const source_t *source; /* what is read (borrowed: it outlives the reader) */
    char *buf;              /* block buffer, owned */
    size_t cap;             /* its size */
    size_t start;           /* first unread byte in buf */
    size_t end;             /* one past the last valid byte in buf */
    uint64_t buf_offset;    /* source offset of buf[0] */
    uint64_t line_number;   /* number of the line last returned (1-based) */
    uint64_t bytes_read;    /* bytes read from the source so far */
    size_t max_line;        /* longest line accepted */
    bool eof;               /* the source's bytes are all read */
    bool at_start;          /* nothing returned yet: check for a BOM */
    uint64_t checked_line;  /* source offset of the last line line_fits looked ahead on
                               (UINT64_MAX: none) */
} line_reader;

/* One line, borrowed from the reader: valid until the next lines_next. */
typedef struct line {
    const char *ptr;        /* the bytes, without the line ending; NUL-terminated */
    size_t len;
    uint64_t number;        /* 1-based line number */
    uint64_t offset;        /* file offset of the first byte */
    bool too_long;          /* longer than max_line: ptr is NULL, len is its full length
                               (line ending excluded), the line was skipped */
} line;

/* The default line-length limit (--max-line-bytes): 256 MiB. The largest real batch records
 * are OpenAI embedding results, about 130 MB for 2048 inputs of 3072 dimensions; the JSON
 * reader's token limit (json.h) bounds what a line under this limit can cost on top. */
#define LINES_DEFAULT_MAX ((size_t)256 << 20)
/* The largest limit accepted; larger values are clamped to it (so max_line + 2 cannot
 * overflow). */
#define LINES_LIMIT_MAX ((size_t)SIZE_MAX / 4)

/* The line-length limit max_line stands for: 0 is LINES_DEFAULT_MAX, and limits over
 * LINES_LIMIT_MAX are LINES_LIMIT_MAX. */
size_t lines_limit(size_t max_line);
/* Start reading src from its first byte, with lines longer than max_line bytes reported
 * and skipped (see lines_limit). */
void lines_open(line_reader *reader, const source_t *src, size_t max_line);
/* The next line: 1 and *out filled; 0 at the end of the source; -1 with reason on a read
 * error (the reason does not name the source). */
int lines_next(line_reader *reader, line *out, char *reason);
/* Free the buffer (the source stays open). */
void lines_close(line_reader *reader);

#endif
