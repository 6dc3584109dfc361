/* batchtrace_collect and batchtrace_start read buffers and callbacks as they read files:
 * the same spans, the same summary, diagnostics named by the source's role
 * ("<requests>:LINE"), and a caller's buffer left as it was. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "batchtrace.h"
#include "test.h"
#include "util/buf.h"

#define FIXTURE "tests/fixtures/openai-chat-all-outcomes/"
#define MALFORMED "tests/fixtures/openai-malformed-lines/"

static char temp_dir[256];

/* A path under this test's temporary directory (the caller frees it). */
static char *temp_path(const char *name) {
    buf_t path = BUF_INIT;
    buf_printf(&path, "%s/%s", temp_dir, name);
    return buf_detach(&path);
}

/* The whole file at path, NUL-terminated (aborts when it cannot be read). */
static void read_whole(const char *path, buf_t *out) {
    buf_clear(out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot read %s\n", path);
        abort();
    }
    char block[1 << 14];
    size_t n;
    while ((n = fread(block, 1, sizeof block, f)) > 0) buf_append(out, block, n);
    fclose(f);
}

/* Run a collect with options, spans to the file output (emptied first), a fresh store named
 * store_name; the summary's JSON into summary_json (when not NULL). Returns the summary. */
static batchtrace_summary *collect_into(batchtrace_collect_options *options, const char *output,
                                        const char *store_name) {
    char *store_path = temp_path(store_name);
    buf_t store = BUF_INIT;
    buf_printf(&store, "sqlite:%s", store_path);
    options->exporter = "file";
    options->output_path = output;
    options->truncate_output = 1;
    options->store = buf_cstr(&store);
    batchtrace_summary *summary = NULL;
    int rc = batchtrace_collect(&summary, options);
    if (rc != 0) fprintf(stderr, "collect: %s\n", batchtrace_last_error());
    buf_free(&store);
    free(store_path);
    return summary;
}

/* A callback source's state: the lines of a text, one per call. */
typedef struct line_feed {
    const char *next;    /* the rest of the text */
    const char *end;
    unsigned calls;      /* how many lines were handed out */
} line_feed;

/* batchtrace_read_fn: the next line of the feed, without its newline. */
static int feed_line(void *ctx, const char **bytes, size_t *len) {
    line_feed *feed = ctx;
    if (feed->next >= feed->end) return 0;
    const char *newline = memchr(feed->next, '\n', (size_t)(feed->end - feed->next));
    const char *stop = newline ? newline : feed->end;
    *bytes = feed->next;
    *len = (size_t)(stop - feed->next);
    feed->next = newline ? newline + 1 : feed->end;
    feed->calls++;
    return 1;
}

/* The lines of jsonl as one JSON array, pretty-printed over several lines. */
static void as_json_array(const buf_t *jsonl, buf_t *out) {
    buf_clear(out);
    buf_append(out, "[\n", 2);
    const char *at = jsonl->data, *end = jsonl->data + jsonl->len;
    bool first = true;
    while (at < end) {
        const char *newline = memchr(at, '\n', (size_t)(end - at));
        const char *stop = newline ? newline : end;
        if (stop > at) {
            if (!first) buf_append(out, ",\n", 2);
            buf_append(out, "  ", 2);
            buf_append(out, at, (size_t)(stop - at));
            first = false;
        }
        at = newline ? newline + 1 : end;
    }
    buf_append(out, "\n]\n", 3);
}

TEST(buffers_callbacks_and_arrays_give_the_spans_and_summary_of_files) {
    char *from_files = temp_path("files.jsonl"), *from_memory = temp_path("memory.jsonl");
    const char *results_paths[] = {FIXTURE "output.jsonl", FIXTURE "errors.jsonl"};
    batchtrace_collect_options options = BATCHTRACE_COLLECT_OPTIONS_INIT;
    options.results_paths = results_paths;
    options.results_count = 2;
    options.input_path = FIXTURE "input.jsonl";
    options.batch_path = FIXTURE "batch.json";
    batchtrace_summary *files = collect_into(&options, from_files, "files.db");
    char *files_json = batchtrace_summary_json(files);

    buf_t input = BUF_INIT, output = BUF_INIT, errors = BUF_INIT, batch = BUF_INIT;
    buf_t input_array = BUF_INIT, spans_files = BUF_INIT, spans_memory = BUF_INIT;
    read_whole(FIXTURE "input.jsonl", &input);
    read_whole(FIXTURE "output.jsonl", &output);
    read_whole(FIXTURE "errors.jsonl", &errors);
    read_whole(FIXTURE "batch.json", &batch);
    as_json_array(&input, &input_array);
    read_whole(from_files, &spans_files);
    CHECK(spans_files.len > 0);

    line_feed feed = {output.data, output.data + output.len, 0};
    batchtrace_source results[] = {
        {.kind = BATCHTRACE_SOURCE_CALLBACK, .read = feed_line, .read_ctx = &feed},
        {.kind = BATCHTRACE_SOURCE_BUFFER, .bytes = errors.data, .len = errors.len},
    };
    batchtrace_source inputs = {.kind = BATCHTRACE_SOURCE_BUFFER, .bytes = input_array.data,
                                .len = input_array.len};
    batchtrace_source batch_object = {.kind = BATCHTRACE_SOURCE_BUFFER, .bytes = batch.data,
                                      .len = batch.len};
    batchtrace_collect_options memory = BATCHTRACE_COLLECT_OPTIONS_INIT;
    memory.results_sources = results;
    memory.results_source_count = 2;
    memory.input_source = &inputs;
    memory.batch_source = &batch_object;
    batchtrace_summary *in_memory = collect_into(&memory, from_memory, "memory.db");
    char *memory_json = batchtrace_summary_json(in_memory);
    read_whole(from_memory, &spans_memory);
    CHECK(feed.calls > 1);
    CHECK_INT(in_memory->exit_code, files->exit_code);
    CHECK_INT(in_memory->items.total, files->items.total);
    CHECK(spans_memory.len == spans_files.len &&
          memcmp(spans_memory.data, spans_files.data, spans_files.len) == 0);
    /* The summaries differ only in where the spans went. */
    const char *dest_files = strstr(files_json, "\"destination\"");
    const char *dest_memory = strstr(memory_json, "\"destination\"");
    CHECK(dest_files && dest_memory);
    if (dest_files && dest_memory) {
        char *expected = strndup(files_json, (size_t)(dest_files - files_json));
        CHECK_STRN(memory_json, (size_t)(dest_memory - memory_json), expected);
        free(expected);
    }

    free(files_json);
    free(memory_json);
    batchtrace_summary_free(files);
    batchtrace_summary_free(in_memory);
    buf_free(&input), buf_free(&output), buf_free(&errors), buf_free(&batch);
    buf_free(&input_array), buf_free(&spans_files), buf_free(&spans_memory);
    unlink(from_files), unlink(from_memory);
    free(from_files), free(from_memory);
}

TEST(rejected_lines_of_a_buffer_are_named_by_its_role_with_the_file_line_numbers) {
    char *spans = temp_path("malformed.jsonl");
    const char *results_paths[] = {MALFORMED "output.jsonl"};
    batchtrace_collect_options options = BATCHTRACE_COLLECT_OPTIONS_INIT;
    options.results_paths = results_paths;
    options.results_count = 1;
    options.input_path = MALFORMED "input.jsonl";
    batchtrace_summary *files = collect_into(&options, spans, "malformed-files.db");

    buf_t input = BUF_INIT, output = BUF_INIT;
    read_whole(MALFORMED "input.jsonl", &input);
    read_whole(MALFORMED "output.jsonl", &output);
    /* Exactly their bytes, with no NUL or slack after them (AddressSanitizer sees any read
     * past the end). */
    char *input_bytes = malloc(input.len), *output_bytes = malloc(output.len);
    if (!input_bytes || !output_bytes) abort();
    memcpy(input_bytes, input.data, input.len);
    memcpy(output_bytes, output.data, output.len);
    size_t output_len = output.len; /* without its final newline: the last line ends the buffer */
    if (output_len && output.data[output_len - 1] == '\n') output_len--;
    batchtrace_source results = {.kind = BATCHTRACE_SOURCE_BUFFER, .bytes = output_bytes,
                                 .len = output_len};
    batchtrace_source inputs = {.kind = BATCHTRACE_SOURCE_BUFFER, .bytes = input_bytes,
                                .len = input.len};
    batchtrace_collect_options memory = BATCHTRACE_COLLECT_OPTIONS_INIT;
    memory.results_sources = &results;
    memory.results_source_count = 1;
    memory.input_source = &inputs;
    batchtrace_summary *in_memory = collect_into(&memory, spans, "malformed-memory.db");
    CHECK_INT(in_memory->exit_code, BATCHTRACE_EXIT_REJECTED);
    CHECK(files->rejected_kept > 0);
    CHECK_INT(in_memory->rejected_kept, files->rejected_kept);
    for (size_t i = 0; i < files->rejected_kept && i < in_memory->rejected_kept; i++) {
        const batchtrace_diagnostic *f = &files->rejected[i], *m = &in_memory->rejected[i];
        CHECK_INT(m->line, f->line);
        buf_t expected = BUF_INIT; /* the file's reason, naming the buffer where it named it */
        const char *named = strstr(f->reason, MALFORMED "output.jsonl");
        if (named) {
            buf_append(&expected, f->reason, (size_t)(named - f->reason));
            buf_printf(&expected, "<results>%s", named + strlen(MALFORMED "output.jsonl"));
        } else {
            buf_printf(&expected, "%s", f->reason);
        }
        CHECK_STR(m->reason, buf_cstr(&expected));
        buf_free(&expected);
        CHECK_STR(m->file, strcmp(f->file, MALFORMED "input.jsonl") == 0 ? "<requests>"
                                                                          : "<results>");
    }
    batchtrace_summary_free(files);
    batchtrace_summary_free(in_memory);
    buf_free(&input), buf_free(&output);
    free(input_bytes), free(output_bytes);
    unlink(spans);
    free(spans);
}

TEST(a_callers_buffer_is_left_intact_by_a_collect_that_maps_it) {
    /* Results of several chunks, in whole pages of their own, so that dropping the pages of
     * a settled chunk (as a file's mapping is) would zero them. */
    buf_t line = BUF_INIT;
    read_whole(MALFORMED "output.jsonl", &line);
    size_t size = 8u << 20;
    char *bytes = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (bytes == MAP_FAILED) abort();
    size_t len = 0;
    while (len + line.len <= size) memcpy(bytes + len, line.data, line.len), len += line.len;
    char *copy = malloc(len);
    if (!copy) abort();
    memcpy(copy, bytes, len);
    char *spans = temp_path("intact.jsonl");
    batchtrace_source results = {.kind = BATCHTRACE_SOURCE_BUFFER, .bytes = bytes, .len = len};
    batchtrace_collect_options options = BATCHTRACE_COLLECT_OPTIONS_INIT;
    options.results_sources = &results;
    options.results_source_count = 1;
    batchtrace_summary *summary = collect_into(&options, spans, "intact.db");
    CHECK(summary->items.total > 0);
    CHECK(memcmp(bytes, copy, len) == 0);
    batchtrace_summary_free(summary);
    munmap(bytes, size);
    free(copy);
    buf_free(&line);
    unlink(spans);
    free(spans);
}

TEST(start_reads_its_requests_from_a_buffer_and_both_sources_is_a_usage_error) {
    buf_t input = BUF_INIT;
    read_whole(FIXTURE "input.jsonl", &input);
    char *store_path = temp_path("start.db"), *spans = temp_path("start.jsonl");
    buf_t store = BUF_INIT;
    buf_printf(&store, "sqlite:%s", store_path);
    batchtrace_source requests = {.kind = BATCHTRACE_SOURCE_BUFFER, .bytes = input.data,
                                  .len = input.len};
    batchtrace_start_options options = BATCHTRACE_START_OPTIONS_INIT;
    options.input_source = &requests;
    options.store = buf_cstr(&store);
    options.exporter = "file";
    options.output_path = spans;
    batchtrace_start_summary *summary = NULL;
    CHECK_INT(batchtrace_start(&summary, &options), 0);
    CHECK_INT(summary->exit_code, 0);
    CHECK_STR(summary->provider, "openai");
    CHECK(summary->request_count > 0);
    CHECK(strlen(summary->context) > 0);
    batchtrace_start_summary_free(summary);

    options.input_path = FIXTURE "input.jsonl";
    CHECK_INT(batchtrace_start(&summary, &options), BATCHTRACE_EUSAGE);
    CHECK_STR(batchtrace_last_error(), "give either input_path or input_source, not both");
    batchtrace_start_summary_free(summary);

    batchtrace_collect_options collect = BATCHTRACE_COLLECT_OPTIONS_INIT;
    batchtrace_source batch = {.kind = BATCHTRACE_SOURCE_PATH, .path = FIXTURE "batch.json"};
    collect.batch_source = &batch;
    collect.batch_path = FIXTURE "batch.json";
    batchtrace_summary *collected = NULL;
    CHECK_INT(batchtrace_collect(&collected, &collect), BATCHTRACE_EUSAGE);
    CHECK_STR(batchtrace_last_error(), "give either batch_path or batch_source, not both");
    batchtrace_summary_free(collected);
    buf_free(&input);
    buf_free(&store);
    unlink(spans);
    free(spans);
    free(store_path);
}

int main(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(temp_dir, sizeof temp_dir, "%s/batchtrace-api-sources-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(temp_dir)) return 1;
    setenv("BATCHTRACE_NOW", "2026-01-02T03:04:05Z", 1);
    unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
    unsetenv("TRACEPARENT");
    RUN(buffers_callbacks_and_arrays_give_the_spans_and_summary_of_files);
    RUN(rejected_lines_of_a_buffer_are_named_by_its_role_with_the_file_line_numbers);
    RUN(a_callers_buffer_is_left_intact_by_a_collect_that_maps_it);
    RUN(start_reads_its_requests_from_a_buffer_and_both_sources_is_a_usage_error);
    buf_t cleanup = BUF_INIT;
    buf_printf(&cleanup, "rm -rf '%s'", temp_dir);
    if (system(buf_cstr(&cleanup)) != 0) fprintf(stderr, "cannot remove %s\n", temp_dir);
    buf_free(&cleanup);
    TEST_MAIN_END();
}
