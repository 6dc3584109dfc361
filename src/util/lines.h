/* A streaming line reader: reads a file in large blocks and hands out one line at a time
 * without copying when it can. Lines end in LF or CRLF (both stripped); a UTF-8 BOM at the
 * start of the file is skipped; a missing final newline is fine. Memory is one block plus
 * the longest line, and never more than max_line + 2 bytes however long a line is: a line
 * longer than max_line is reported (too_long, with its full length) and skipped whole,
 * its bytes read through the one buffer and dropped, never kept. */
#ifndef BT_UTIL_LINES_H
#define BT_UTIL_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/reason.h"

typedef struct line_reader {
    int fd;                 /* owned; closed by lines_close */
    const char *path;       /* what was opened, for messages (borrowed: the caller's
                               string outlives the reader) */
    char *buf;              /* block buffer, owned */
    size_t cap;             /* its size */
    size_t start;           /* first unread byte in buf */
    size_t end;             /* one past the last valid byte in buf */
    uint64_t buf_offset;    /* file offset of buf[0] */
    uint64_t line_number;   /* number of the line last returned (1-based) */
    uint64_t bytes_read;    /* bytes consumed from the file so far */
    uint64_t file_size;     /* size at open (0 for pipes), for progress */
    size_t max_line;        /* longest line accepted */
    bool eof;               /* read() returned 0 */
    bool at_start;          /* nothing returned yet: check for a BOM */
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

/* Open path for reading, with lines longer than max_line bytes reported and skipped (0: the
 * default, LINES_DEFAULT_MAX). -1 with reason (e.g. "No such file or directory", "is a
 * directory") on failure. */
int lines_open(line_reader *reader, const char *path, size_t max_line, char *reason);
/* The next line: 1 and *out filled; 0 at end of file; -1 with reason on a read error. */
int lines_next(line_reader *reader, line *out, char *reason);
/* Close the file and free the buffer. */
void lines_close(line_reader *reader);

#endif
