/* batchtrace-bench-baseline: the benchmark's parse-only floor. Reads each file line by line
 * with batchtrace's line reader and parses every non-blank line once with its JSON reader
 * (tokenize, validate the grammar and UTF-8), and does nothing else: no lookup, no span, no
 * output. What collect does on top of this is what the benchmark's second ratio measures.
 *
 *   batchtrace-bench-baseline FILE...
 *
 * Prints one line: "lines L bytes B invalid I". Exit 0, or 1 when a file cannot be read. */
#include <stdio.h>

#include "json/json.h"
#include "source/source.h"
#include "util/lines.h"
#include "util/reason.h"

/* Parse every line of path (opened as collect opens it); add to the counters. -1 with
 * reason ("PATH: why") when it cannot be read. */
static int parse_file(const char *path, json_doc *doc, unsigned long long *lines,
                      unsigned long long *bytes, unsigned long long *invalid, char *reason) {
    source_t src;
    if (source_open(&src, path, reason) != 0) {
        source_close(&src);
        return -1;
    }
    line_reader reader;
    lines_open(&reader, &src, LINES_DEFAULT_MAX);
    int rc;
    line current;
    char parse_reason[REASON_MAX], detail[REASON_MAX];
    while ((rc = lines_next(&reader, &current, detail)) == 1) {
        if (current.too_long || current.len == 0) continue;
        (*lines)++;
        *bytes += current.len;
        if (json_parse(doc, current.ptr, current.len, parse_reason) != 0) (*invalid)++;
    }
    if (rc < 0) fail(reason, "%s: %s", src.name, detail);
    lines_close(&reader);
    source_close(&src);
    return rc;
}

/* Parse every file named on the command line and print the counts. */
int main(int argc, char **argv) {
    if (argc < 2) {
        fputs("usage: batchtrace-bench-baseline FILE...\n", stderr);
        return 2;
    }
    json_doc doc = JSON_DOC_INIT;
    unsigned long long lines = 0, bytes = 0, invalid = 0;
    int status = 0;
    char reason[REASON_MAX];
    for (int i = 1; i < argc; i++) {
        if (parse_file(argv[i], &doc, &lines, &bytes, &invalid, reason) != 0) {
            fprintf(stderr, "batchtrace-bench-baseline: %s\n", reason);
            status = 1;
            goto done;
        }
    }
    printf("lines %llu bytes %llu invalid %llu\n", lines, bytes, invalid);
done:
    json_doc_free(&doc);
    return status;
}
