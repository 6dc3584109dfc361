/* Guessing the kind of a batch file from its content (see file_kind.h). */
#include "batch/file_kind.h"

#include <string.h>

#include "util/buf.h"
#include "util/lines.h"

enum { WHOLE_DOCUMENT_MAX = 64 << 20 }; /* a batch object or create body read whole */

/* The kind and provider of one parsed document (a line, or a whole file). */
static file_guess classify(const json_doc *doc) {
    file_guess guess = {FILE_KIND_UNKNOWN, NULL};
    if (json_type_of(doc, json_get(doc, 0, "requests")) == JSON_ARRAY) {
        guess.kind = FILE_KIND_REQUESTS; /* an Anthropic create body */
        guess.provider = &provider_anthropic;
    } else if ((guess.provider = provider_detect_batch(doc, 0)) != NULL) {
        guess.kind = FILE_KIND_BATCH;
    } else if ((guess.provider = provider_detect_result(doc, 0)) != NULL) {
        guess.kind = FILE_KIND_RESULTS;
    } else if ((guess.provider = provider_detect_request(doc, 0)) != NULL) {
        guess.kind = FILE_KIND_REQUESTS;
    }
    return guess;
}

/* Read the whole of src, when it is at most WHOLE_DOCUMENT_MAX bytes, into out. -1 when it
 * cannot. */
static int read_whole(const source_t *src, buf_t *out) {
    if (src->size > WHOLE_DOCUMENT_MAX) return -1;
    char reason[REASON_MAX];
    buf_grow(out, (size_t)src->size + 1);
    ssize_t n = source_read_at(src, out->data, (size_t)src->size, 0, reason);
    if (n < 0) return -1;
    out->len = (size_t)n;
    return 0;
}

/* See file_kind.h. */
file_guess file_kind_guess(const source_t *src, size_t max_line, bool whole_document) {
    file_guess guess = {FILE_KIND_UNKNOWN, NULL};
    json_doc doc = JSON_DOC_INIT;
    buf_t whole = BUF_INIT;
    line_reader reader;
    char reason[REASON_MAX];
    lines_open(&reader, src, max_line);
    line ln;
    bool first_is_json = false, seen = false;
    while (!seen && lines_next(&reader, &ln, reason) == 1) {
        if (ln.too_long) break;
        size_t start = 0;
        while (start < ln.len && strchr(" \t", ln.ptr[start])) start++;
        if (start == ln.len) continue;
        seen = true;
        first_is_json = json_parse(&doc, ln.ptr, ln.len, reason) == 0;
        if (first_is_json) guess = classify(&doc);
    }
    lines_close(&reader);
    if (whole_document && seen && !first_is_json && read_whole(src, &whole) == 0) {
        const char *text = whole.data ? whole.data : "";
        size_t len = whole.len;
        if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) text += 3, len -= 3;
        if (json_parse(&doc, text, len, reason) == 0) guess = classify(&doc);
    }
    json_doc_free(&doc);
    buf_free(&whole);
    return guess;
}

/* See file_kind.h. */
const char *file_kind_name(file_kind kind) {
    switch (kind) {
    case FILE_KIND_REQUESTS: return "an input file";
    case FILE_KIND_RESULTS: return "a results file";
    case FILE_KIND_BATCH: return "a batch object";
    case FILE_KIND_UNKNOWN: break;
    }
    return "";
}

/* See file_kind.h. */
const char *file_kind_option(file_kind kind) {
    switch (kind) {
    case FILE_KIND_REQUESTS: return "--input";
    case FILE_KIND_RESULTS: return "--results";
    case FILE_KIND_BATCH: return "--batch";
    case FILE_KIND_UNKNOWN: break;
    }
    return "";
}
