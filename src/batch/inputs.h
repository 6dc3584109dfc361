/* The batch's request records: indexing them by custom_id (offsets only) and reading one
 * back when its result arrives. Two shapes, told apart by content: JSONL (one record per
 * line: OpenAI input files, Anthropic {custom_id, params} lines) and Anthropic's create body
 * {"requests": [...]} (one JSON document, scanned element by element, never loaded whole). */
#ifndef BT_BATCH_INPUTS_H
#define BT_BATCH_INPUTS_H

#include <stdbool.h>
#include <stdint.h>

#include "batch/diag.h"
#include "batch/index.h"
#include "json/json.h"
#include "providers/provider.h"
#include "source/source.h"
#include "util/buf.h"

typedef struct input_file {
    const source_t *source;          /* the requests (borrowed: the caller's, open while the
                                        records are read back) */
    const char *name;                /* its name, for messages (borrowed from it) */
    bool create_body;                /* the {"requests": [...]} shape */
    const provider_ops *provider;    /* forced, or detected from the first good record */
    uint64_t record_count;           /* records indexed */
} input_file;

/* Index every record of src into index (input borrows src, which must stay open while
 * records are read back). Bad records are rejected through diags (and skipped); a
 * duplicate custom_id is rejected and the first record kept. -1 with reason ("NAME: why")
 * when the source cannot be read at all. provider may be NULL (detect). */
int inputs_index(input_file *input, const source_t *src, const provider_ops *provider,
                 custom_id_index *index, diag_sink *diags, char *reason);
/* inputs_index with a line-length limit: a record (line or create-body request) longer
 * than max_line bytes (0: LINES_DEFAULT_MAX) is rejected without being held in memory. */
int inputs_index_limited(input_file *input, const source_t *src, const provider_ops *provider,
                         custom_id_index *index, diag_sink *diags, size_t max_line,
                         char *reason);
/* Read the record of entry back into out (replacing its contents). -1 with reason. */
int inputs_read(const input_file *input, const index_entry *entry, buf_t *out, char *reason);

#endif
