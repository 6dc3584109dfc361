/* Fuzz target: sources (src/source/source.c: gzip data is told by its magic bytes and
 * decompressed), the line reader (src/util/lines.c) and the request-file indexer
 * (src/batch/inputs.c: JSONL records and the create-body scanner), over a real file opened
 * as collect opens it. The input is the file; it is read twice, with the default
 * line-length limit and with a small one (1 to 97 bytes, from the input's size) for the
 * over-long paths. A source that cannot be opened (damaged gzip data) must say why; every
 * line must come back within bounds and NUL-terminated; every indexed record must read back
 * and be found again by its custom_id. */
#include <string.h>
#include <unistd.h>

#include "batch/index.h"
#include "batch/inputs.h"
#include "fuzz_target.h"
#include "source/source.h"
#include "util/buf.h"
#include "util/lines.h"

/* The scratch file every input is written to (created once, rewritten per input). */
static char scratch_path[64];

/* Remove the scratch file when the process ends. */
static void remove_scratch(void) { unlink(scratch_path); }

/* Replace the scratch file's contents with bytes[0..size). */
static void write_scratch(const uint8_t *bytes, size_t size) {
    if (!scratch_path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(scratch_path, sizeof scratch_path, "%s/bt-fuzz-inputs-XXXXXX",
                 dir && strlen(dir) < 32 ? dir : "/tmp");
        int fd = mkstemp(scratch_path);
        FUZZ_CHECK(fd >= 0);
        close(fd);
        atexit(remove_scratch);
    }
    FILE *file = fopen(scratch_path, "wb");
    FUZZ_CHECK(file != NULL);
    FUZZ_CHECK(fwrite(bytes, 1, size, file) == size);
    FUZZ_CHECK(fclose(file) == 0);
}

/* Read every line back and check each is within the source and the limit. */
static void read_lines(const source_t *src, size_t max_line) {
    line_reader reader;
    char reason[REASON_MAX];
    lines_open(&reader, src, max_line);
    uint64_t file_size = src->size;
    line ln;
    uint64_t previous_end = 0, number = 0;
    int got;
    while ((got = lines_next(&reader, &ln, reason)) == 1) {
        FUZZ_CHECK(ln.number == ++number);
        FUZZ_CHECK(ln.offset >= previous_end && ln.offset + ln.len <= file_size);
        if (ln.too_long) {
            FUZZ_CHECK(ln.ptr == NULL && ln.len > reader.max_line);
        } else {
            FUZZ_CHECK(ln.len <= reader.max_line && ln.ptr[ln.len] == '\0');
            FUZZ_CHECK(memchr(ln.ptr, '\n', ln.len) == NULL);
        }
        previous_end = ln.offset + ln.len;
    }
    FUZZ_CHECK(got == 0);
    lines_close(&reader);
}

/* Index the source as a request file and read every record back. */
static void index_requests(const source_t *src, size_t max_line) {
    input_file input;
    custom_id_index index = CUSTOM_ID_INDEX_INIT;
    diag_sink diags;
    memset(&diags, 0, sizeof diags);
    char reason[REASON_MAX];
    buf_t record = BUF_INIT;
    if (inputs_index_limited(&input, src, NULL, &index, &diags, max_line, reason) == 0) {
        FUZZ_CHECK(input.record_count <= index.count);
        for (size_t i = 0; i < index.count; i++) {
            index_entry *entry = &index.entries[i];
            FUZZ_CHECK(index_find(&index, index_custom_id(&index, entry)) == entry);
            if (!(entry->flags & INDEX_HAS_INPUT)) continue;
            FUZZ_CHECK(inputs_read(&input, entry, &record, reason) == 0);
            FUZZ_CHECK(record.len == entry->record_len);
        }
    } else {
        FUZZ_CHECK(reason[0] != '\0');
    }
    index_free(&index);
    diag_sink_free(&diags);
    buf_free(&record);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    write_scratch(data, size);
    source_t src;
    char reason[REASON_MAX];
    if (source_open(&src, scratch_path, reason) != 0) {
        FUZZ_CHECK(reason[0] != '\0');
        source_close(&src);
        return 0;
    }
    FUZZ_CHECK(src.gzip || src.size == size);
    read_lines(&src, 0);
    index_requests(&src, 0);
    size_t small_limit = 1 + size % 97;
    read_lines(&src, small_limit);
    index_requests(&src, small_limit);
    source_close(&src);
    return 0;
}
