/* What kind of batch file a path holds (an input file, results, a batch object), guessed from
 * its content, so that a file given to the wrong option gets a hint ("this looks like a
 * results file: did you mean --results?") rather than only a rejection per line. */
#ifndef BT_BATCH_FILE_KIND_H
#define BT_BATCH_FILE_KIND_H

#include <stddef.h>

#include "providers/provider.h"
#include "source/source.h"

typedef enum file_kind {
    FILE_KIND_UNKNOWN,   /* none of the below, or not a regular file (never read twice) */
    FILE_KIND_REQUESTS,  /* request records (OpenAI input lines, Anthropic JSONL or create body) */
    FILE_KIND_RESULTS,   /* result lines (OpenAI output/error lines, Anthropic results) */
    FILE_KIND_BATCH,     /* a batch object */
} file_kind;

/* A guess: the kind and the provider whose shape it has (NULL when UNKNOWN). */
typedef struct file_guess {
    file_kind kind;
    const provider_ops *provider;
} file_guess;

/* Guess what src holds from its first non-blank line (a JSON lines record) or, when that
 * line is not JSON alone and whole_document is set, from the whole source as one document
 * (a pretty-printed batch object or create body) when it is at most 64 MiB (the caller
 * leaves it unset where such a document is expected, not to parse every create body
 * twice). A source reads the same bytes on every pass (a pipe was spooled), so this costs
 * one more read of a line. Any failure is UNKNOWN: the reader that follows reports it. */
file_guess file_kind_guess(const source_t *src, size_t max_line, bool whole_document);

/* "an input file", "a results file", "a batch object" ("" for UNKNOWN). */
const char *file_kind_name(file_kind kind);
/* The collect option that takes the kind: "--input", "--results", "--batch". */
const char *file_kind_option(file_kind kind);

#endif
