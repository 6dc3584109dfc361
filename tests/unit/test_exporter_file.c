/* The file exporter (chunking into OTLP/JSON lines, write errors) and the console
 * exporter's line format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "export/exporter.h"
#include "export/exporter_internal.h"
#include "json/json.h"
#include "span/resource.h"
#include "test.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/reason.h"

/* A fresh path in the temporary directory (the caller unlinks and frees it). */
static char *temp_path(const char *name) {
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    buf_t path = BUF_INIT;
    buf_printf(&path, "%s/batchtrace-test-%ld-%s", dir, (long)getpid(), name);
    return buf_detach(&path);
}

/* The whole file at path (NUL-terminated; the caller frees it), *len its length. */
static char *read_file(const char *path, size_t *len) {
    buf_t contents = BUF_INIT;
    FILE *f = fopen(path, "rb");
    if (f) {
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&contents, chunk, n);
        fclose(f);
    }
    *len = contents.len;
    return buf_detach(&contents);
}

/* Span number i: distinct ids, one attribute; big_len > 0 adds a string of that many bytes. */
static void make_span(span_t *span, arena_t *arena, unsigned i, const char *big,
                      size_t big_len) {
    span_init(span, arena);
    span->trace_id[0] = 0xAB;
    span->span_id[6] = (uint8_t)(i >> 8);
    span->span_id[7] = (uint8_t)i;
    span->name = STR_LIT("chat gpt-4o-mini");
    span->kind = SPAN_KIND_CLIENT;
    span->start_ns = 1767225600000000000u;
    span->end_ns = 1767225600000000000u + i;
    span_attr_int(span, "index", i);
    if (big_len) span_attr_str(span, "big", (bt_str){big, big_len});
}

/* Spans in each line of the file at path, checking each line is one complete request
 * with our resource. Returns the number of lines (at most max_lines are recorded). */
static int count_spans_per_line(const char *path, int *spans, int max_lines) {
    size_t len = 0;
    char *text = read_file(path, &len);
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    int lines = 0;
    CHECK(len > 0 && text[len - 1] == '\n');
    for (char *line = text; line < text + len;) {
        char *end = memchr(line, '\n', (size_t)(text + len - line));
        if (!end) end = text + len;
        int ok = json_parse(&doc, line, (size_t)(end - line), reason);
        CHECK_INT(ok, 0);
        int count = -1;
        if (ok == 0) {
            int resource_spans = json_first(&doc, json_get(&doc, 0, "resourceSpans"));
            int resource = json_get(&doc, resource_spans, "resource");
            int service = json_first(&doc, json_get(&doc, resource, "attributes"));
            CHECK(json_string_eq(&doc, json_get(&doc, service, "key"), "service.name"));
            int scope_spans = json_first(&doc, json_get(&doc, resource_spans, "scopeSpans"));
            int scope = json_get(&doc, scope_spans, "scope");
            CHECK(json_string_eq(&doc, json_get(&doc, scope, "name"), "batchtrace"));
            int span_array = json_get(&doc, scope_spans, "spans");
            if (json_type_of(&doc, span_array) == JSON_ARRAY) count = json_count(&doc, span_array);
        }
        if (lines < max_lines) spans[lines] = count;
        lines++;
        line = end + 1;
    }
    json_doc_free(&doc);
    free(text);
    return lines;
}

TEST(spans_fill_requests_up_to_the_span_limit) {
    char *path = temp_path("span-limit.jsonl");
    span_resource resource;
    char reason[REASON_MAX] = "";
    resource_build(&resource, "svc", NULL, reason);
    exporter_t *exporter = exporter_file_new(path, false, &resource, reason);
    CHECK(exporter != NULL);
    if (!exporter) goto done;
    arena_t arena = ARENA_INIT;
    /* Small spans: 4096 of them stay under the 1 MiB byte limit, the span limit decides. */
    const unsigned total = 2 * EXPORT_CHUNK_MAX_SPANS + 276;
    for (unsigned i = 0; i < total; i++) {
        span_t span;
        make_span(&span, &arena, i, NULL, 0);
        CHECK_INT(exporter_add(exporter, &span, reason), 0);
        arena_reset(&arena);
    }
    arena_free(&arena);
    export_report report = {99, 99};
    CHECK_INT(exporter_finish(exporter, &report, reason), 0);
    CHECK_INT(report.spans_exported, total);
    CHECK_INT(report.spans_failed, 0);
    exporter_free(exporter);

    int spans[8] = {0};
    CHECK_INT(count_spans_per_line(path, spans, 8), 3);
    CHECK_INT(spans[0], 4096);
    CHECK_INT(spans[1], 4096);
    CHECK_INT(spans[2], 276);
done:
    resource_free(&resource);
    unlink(path);
    free(path);
}

TEST(requests_stay_within_one_mebibyte_of_spans_and_a_huge_span_goes_alone) {
    char *path = temp_path("big.jsonl");
    span_resource resource;
    char reason[REASON_MAX] = "";
    resource_build(&resource, "svc", NULL, reason);
    exporter_t *exporter = exporter_file_new(path, false, &resource, reason);
    CHECK(exporter != NULL);
    if (!exporter) goto done;
    size_t big_len = 2 * 1024 * 1024;
    char *big = xmalloc(big_len);
    memset(big, 'z', big_len);
    arena_t arena = ARENA_INIT;
    /* Spans of 400 000, 400 000, 400 000, 400 000, 2 MiB and 400 000 bytes: two of
     * 400 000 fit in 1 MiB, a third would not, so the lines hold 2, 2, then the 2 MiB span
     * alone, then the last one. */
    size_t sizes[5] = {400000, 400000, 400000, 400000, big_len};
    unsigned order[6] = {0, 1, 2, 3, 4, 0};
    for (unsigned k = 0; k < 6; k++) {
        span_t span;
        make_span(&span, &arena, k, big, sizes[order[k]]);
        CHECK_INT(exporter_add(exporter, &span, reason), 0);
        arena_reset(&arena);
    }
    arena_free(&arena);
    export_report report;
    CHECK_INT(exporter_finish(exporter, &report, reason), 0);
    CHECK_INT(report.spans_exported, 6);
    exporter_free(exporter);
    free(big);

    int spans[8] = {0};
    CHECK_INT(count_spans_per_line(path, spans, 8), 4);
    CHECK_INT(spans[0], 2);
    CHECK_INT(spans[1], 2);
    CHECK_INT(spans[2], 1);
    CHECK_INT(spans[3], 1);
done:
    resource_free(&resource);
    unlink(path);
    free(path);
}

/* Spans are copied when handed over (the caller may scribble over its arena at once) and
 * come out in the order they went in, though a second thread encodes them. */
TEST(spans_are_copied_and_keep_their_order_through_the_encoding_thread) {
    char *path = temp_path("order.jsonl");
    span_resource resource;
    char reason[REASON_MAX] = "";
    resource_build(&resource, "svc", NULL, reason);
    exporter_t *exporter = exporter_file_new(path, false, &resource, reason);
    CHECK(exporter != NULL);
    if (!exporter) goto done;
    arena_t arena = ARENA_INIT;
    enum { SPANS = 1300 };
    for (unsigned i = 0; i < SPANS; i++) {
        span_t span;
        make_span(&span, &arena, i, NULL, 0);
        char text[32];
        snprintf(text, sizeof text, "name-%u", i);
        span.name = arena_strndup(&arena, text, strlen(text));
        char *key = (char *)arena_strndup(&arena, "key.copied", 10).ptr;
        span_attr_str(&span, key, span.name);
        CHECK_INT(exporter_add(exporter, &span, reason), 0);
        memset((char *)span.name.ptr, 'x', span.name.len);
        memset(key, 'x', 10);
        arena_reset(&arena);
    }
    arena_free(&arena);
    export_report report;
    CHECK_INT(exporter_finish(exporter, &report, reason), 0);
    CHECK_INT(report.spans_exported, SPANS);
    exporter_free(exporter);
    size_t len = 0;
    char *text = read_file(path, &len);
    const char *at = text;
    unsigned in_order = 0;
    for (unsigned i = 0; i < SPANS; i++) {
        char expected[96];
        snprintf(expected, sizeof expected,
                 "\"name\":\"name-%u\",\"kind\":3,", i);
        const char *found = strstr(at, expected);
        if (!found) break;
        snprintf(expected, sizeof expected,
                 "{\"key\":\"key.copied\",\"value\":{\"stringValue\":\"name-%u\"}}", i);
        if (!strstr(found, expected)) break;
        at = found + 1;
        in_order++;
    }
    CHECK_INT(in_order, SPANS);
    free(text);
done:
    resource_free(&resource);
    unlink(path);
    free(path);
}

/* An exporter freed without exporter_finish stops its encoding thread and loses what was
 * queued, without writing it. */
TEST(freeing_without_finish_stops_the_encoding_thread) {
    char *path = temp_path("unfinished.jsonl");
    span_resource resource;
    char reason[REASON_MAX] = "";
    resource_build(&resource, "svc", NULL, reason);
    exporter_t *exporter = exporter_file_new(path, false, &resource, reason);
    CHECK(exporter != NULL);
    if (exporter) {
        arena_t arena = ARENA_INIT;
        for (unsigned i = 0; i < 100; i++) {
            span_t span;
            make_span(&span, &arena, i, NULL, 0);
            CHECK_INT(exporter_add(exporter, &span, reason), 0);
            arena_reset(&arena);
        }
        arena_free(&arena);
        exporter_free(exporter);
        size_t len = 99;
        free(read_file(path, &len));
        CHECK_INT(len, 0);
    }
    resource_free(&resource);
    unlink(path);
    free(path);
}

TEST(empty_run_creates_no_file) {
    char *path = temp_path("empty.jsonl");
    unlink(path);
    span_resource resource;
    char reason[REASON_MAX] = "";
    resource_build(&resource, "svc", NULL, reason);
    exporter_t *exporter = exporter_file_new(path, true, &resource, reason);
    CHECK(exporter != NULL);
    if (exporter) {
        export_report report;
        CHECK_INT(exporter_finish(exporter, &report, reason), 0);
        CHECK_INT(report.spans_exported, 0);
        exporter_free(exporter);
        CHECK(access(path, F_OK) != 0);
    }
    resource_free(&resource);
    unlink(path);
    free(path);
}

/* Export count spans (ids from first) to path through a new file exporter. */
static void export_spans(const char *path, bool truncate, unsigned first, unsigned count) {
    span_resource resource;
    char reason[REASON_MAX] = "";
    resource_build(&resource, "svc", NULL, reason);
    exporter_t *exporter = exporter_file_new(path, truncate, &resource, reason);
    CHECK(exporter != NULL);
    if (exporter) {
        arena_t arena = ARENA_INIT;
        for (unsigned i = first; i < first + count; i++) {
            span_t span;
            make_span(&span, &arena, i, NULL, 0);
            CHECK_INT(exporter_add(exporter, &span, reason), 0);
            arena_reset(&arena);
        }
        arena_free(&arena);
        export_report report;
        CHECK_INT(exporter_finish(exporter, &report, reason), 0);
        CHECK_INT(report.spans_exported, count);
        exporter_free(exporter);
    }
    resource_free(&resource);
}

TEST(runs_append_and_truncate_empties_at_the_first_write) {
    char *path = temp_path("append.jsonl");
    unlink(path);
    export_spans(path, false, 0, 3);
    export_spans(path, false, 3, 2);
    int spans[8] = {0};
    CHECK_INT(count_spans_per_line(path, spans, 8), 2);
    CHECK_INT(spans[0], 3);
    CHECK_INT(spans[1], 2);
    export_spans(path, true, 5, 4);
    CHECK_INT(count_spans_per_line(path, spans, 8), 1);
    CHECK_INT(spans[0], 4);
    unlink(path);
    free(path);
}

TEST(a_partial_line_left_by_an_earlier_run_is_ended_before_appending) {
    char *path = temp_path("partial.jsonl");
    FILE *out = fopen(path, "w");
    CHECK(out != NULL);
    if (!out) goto done;
    fputs("{\"resourceSpans\":[", out); /* a run cut short on a full disk */
    fclose(out);
    export_spans(path, false, 0, 2);
    size_t len = 0;
    char *text = read_file(path, &len);
    const char *second = strchr(text, '\n');
    CHECK(second != NULL && strncmp(text, "{\"resourceSpans\":[\n", 19) == 0);
    /* the line after the cut one is whole */
    CHECK(second != NULL && strncmp(second + 1, "{\"resourceSpans\"", 16) == 0);
    CHECK(len > 0 && text[len - 1] == '\n');
    free(text);
done:
    unlink(path);
    free(path);
}

TEST(two_processes_appending_at_once_never_mix_lines) {
    char *path = temp_path("concurrent.jsonl");
    unlink(path);
    enum { WRITERS = 3, ROUNDS = 40 };
    pid_t children[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        children[w] = fork();
        if (children[w] == 0) {
            /* Requests of 4096 spans, about 1 MiB: far beyond what one pipe or page holds. */
            for (int round = 0; round < ROUNDS / 10; round++)
                export_spans(path, false, (unsigned)(w * 100000 + round * 10000),
                             EXPORT_CHUNK_MAX_SPANS + 100);
            _exit(test_failures_in_current ? 1 : 0);
        }
        CHECK(children[w] > 0);
    }
    for (int w = 0; w < WRITERS; w++) {
        int status = 0;
        if (children[w] > 0) waitpid(children[w], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    int spans[64] = {0};
    /* each writer's run is two requests: 4096 spans and 100 */
    CHECK_INT(count_spans_per_line(path, spans, 64), WRITERS * (ROUNDS / 10) * 2);
    unlink(path);
    free(path);
}

TEST(writing_to_a_full_device_fails_with_the_reason) {
    span_resource resource;
    char reason[REASON_MAX] = "";
    resource_build(&resource, "svc", NULL, reason);
    exporter_t *exporter = exporter_file_new("/dev/full", false, &resource, reason);
    CHECK(exporter != NULL);
    if (exporter) {
        arena_t arena = ARENA_INIT;
        int failures = 0;
        /* the 4096th span fills a first request, which is written then */
        for (unsigned i = 0; i < EXPORT_CHUNK_MAX_SPANS + 88; i++) {
            span_t span;
            make_span(&span, &arena, i, NULL, 0);
            if (exporter_add(exporter, &span, reason) != 0) {
                failures++;
                CHECK_STR(reason, "write /dev/full: No space left on device");
            }
            arena_reset(&arena);
        }
        arena_free(&arena);
        CHECK_INT(failures, 1);
        export_report report;
        CHECK_INT(exporter_finish(exporter, &report, reason), -1);
        CHECK_INT(report.spans_exported, 0);
        CHECK_INT(report.spans_failed, 4184);
        CHECK_STR(reason, "4184 of 4184 spans not delivered: write /dev/full: No space left on "
                          "device");
        exporter_free(exporter);
    }
    resource_free(&resource);
}

/* What an outcome callback was told: tags summed and counted per outcome. */
typedef struct outcomes_seen {
    uint64_t count[3];            /* spans per export_outcome */
    uint64_t tag_sum[3];
    unsigned calls;
} outcomes_seen;

/* export_outcome_fn: note what came. */
static void note_outcome(void *ctx, const uint64_t *tags, size_t count, export_outcome outcome) {
    outcomes_seen *seen = ctx;
    seen->calls++;
    seen->count[outcome] += count;
    for (size_t i = 0; i < count; i++) seen->tag_sum[outcome] += tags[i];
}

TEST(the_outcome_callback_hears_each_request_once_written_or_lost) {
    span_resource resource;
    char reason[REASON_MAX] = "";
    resource_build(&resource, "svc", NULL, reason);
    char *path = temp_path("outcomes.jsonl");
    const char *targets[2] = {path, "/dev/full"};
    for (int t = 0; t < 2; t++) {
        exporter_t *exporter = exporter_file_new(targets[t], true, &resource, reason);
        CHECK(exporter != NULL);
        if (!exporter) continue;
        outcomes_seen seen;
        memset(&seen, 0, sizeof seen);
        exporter_on_outcome(exporter, note_outcome, &seen);
        arena_t arena = ARENA_INIT;
        uint64_t sum = 0;
        for (unsigned i = 0; i < EXPORT_CHUNK_MAX_SPANS + 10; i++) {
            span_t span;
            make_span(&span, &arena, i, NULL, 0);
            exporter_add_tagged(exporter, &span, 1000 + i, reason);
            sum += 1000 + i;
            arena_reset(&arena);
        }
        /* the first request is written during the adds, its sync runs in the background
         * and is reported at finish, with the last request; a request that could not be
         * written is lost at once */
        CHECK_INT(seen.calls, t == 0 ? 0 : 1);
        export_report report;
        exporter_finish(exporter, &report, reason);
        arena_free(&arena);
        CHECK_INT(seen.calls, 2);
        export_outcome expected = t == 0 ? EXPORT_DELIVERED : EXPORT_LOST;
        CHECK_INT(seen.count[expected], EXPORT_CHUNK_MAX_SPANS + 10);
        CHECK_INT(seen.tag_sum[expected], sum);
        CHECK_INT(seen.count[EXPORT_SPOOLED], 0);
        exporter_free(exporter);
    }
    unlink(path);
    free(path);
    resource_free(&resource);
}

/* With outcomes followed, the file is synced and its spans reported once 4096 spans wait
 * (whole requests), not once per request: one fdatasync and one store transaction of
 * marks for many small requests. The sync of a group runs in the background while the
 * next group is written, and the group is reported when the next one is handed to the
 * disk (or at finish). Spans of 2 KiB fill requests of about 500 spans. */
TEST(written_requests_are_reported_together_once_4096_spans_wait) {
    span_resource resource;
    char reason[REASON_MAX] = "";
    resource_build(&resource, "svc", NULL, reason);
    char *path = temp_path("grouped.jsonl");
    exporter_t *exporter = exporter_file_new(path, true, &resource, reason);
    CHECK(exporter != NULL);
    if (!exporter) goto done;
    outcomes_seen seen;
    memset(&seen, 0, sizeof seen);
    exporter_on_outcome(exporter, note_outcome, &seen);
    char big[2048];
    memset(big, 'x', sizeof big);
    arena_t arena = ARENA_INIT;
    unsigned added = 0;
    while (seen.calls == 0 && added < 3 * EXPORT_SYNC_SPANS) {
        span_t span;
        make_span(&span, &arena, added, big, sizeof big);
        CHECK_INT(exporter_add_tagged(exporter, &span, added++, reason), 0);
        arena_reset(&arena);
    }
    /* the first report came with the request that brought the second group to 4096: the
     * first group alone */
    CHECK_INT(seen.calls, 1);
    CHECK(seen.count[EXPORT_DELIVERED] >= EXPORT_SYNC_SPANS);
    CHECK(seen.count[EXPORT_DELIVERED] < EXPORT_SYNC_SPANS + 600);
    int spans[64];
    CHECK(count_spans_per_line(path, spans, 64) > 1);
    for (unsigned i = 0; i < 100; i++) {
        span_t span;
        make_span(&span, &arena, added, big, sizeof big);
        exporter_add_tagged(exporter, &span, added++, reason);
        arena_reset(&arena);
    }
    export_report report;
    CHECK_INT(exporter_finish(exporter, &report, reason), 0);
    arena_free(&arena);
    /* the second group (synced in the background) and the rest at finish, delivered */
    CHECK_INT(seen.calls, 3);
    CHECK_INT(seen.count[EXPORT_DELIVERED], added);
    CHECK_INT(seen.tag_sum[EXPORT_DELIVERED], (uint64_t)added * (added - 1) / 2);
    CHECK_INT(report.spans_exported, added);
    exporter_free(exporter);
    unlink(path);
done:
    free(path);
    resource_free(&resource);
}

TEST(unopenable_path_fails_with_the_reason) {
    span_resource resource;
    char reason[REASON_MAX] = "";
    resource_build(&resource, "svc", NULL, reason);
    char *path = temp_path("no-such-dir/spans.jsonl");
    exporter_t *exporter = exporter_file_new(path, false, &resource, reason);
    CHECK(exporter == NULL);
    buf_t expected = BUF_INIT;
    buf_printf(&expected, "cannot open %s: No such file or directory", path);
    CHECK_STR(reason, expected.data);
    buf_free(&expected);
    free(path);
    resource_free(&resource);
}

TEST(console_prints_one_readable_line_per_span) {
    span_resource resource;
    char reason[REASON_MAX] = "";
    resource_build(&resource, "svc", NULL, reason);
    char *path = temp_path("console.txt");
    FILE *out = fopen(path, "w");
    CHECK(out != NULL);
    if (!out) goto done;
    exporter_t *exporter = exporter_console_new(out, &resource);
    arena_t arena = ARENA_INIT;
    span_t span;
    span_init(&span, &arena);
    for (int i = 0; i < 16; i++) span.trace_id[i] = (uint8_t)(0x10 + i);
    for (int i = 0; i < 8; i++) span.span_id[i] = (uint8_t)(0xA0 + i);
    for (int i = 0; i < 8; i++) span.parent_span_id[i] = (uint8_t)(0xB0 + i);
    span.has_parent = true;
    span.name = STR_LIT("chat gpt-4o-mini");
    span.start_ns = 1767225600000000000u;
    span.end_ns = 1767225601234567890u;
    span.status = SPAN_STATUS_ERROR;
    span.status_message = STR_LIT("context too \"long\"");
    span_attr_cstr(&span, "batchtrace.custom_id", "req 7");
    span_attr_int(&span, "gen_ai.usage.input_tokens", 12);
    span_attr_cstr(&span, "gen_ai.request.model", "gpt-4o-mini");
    span_attr_cstr(&span, "gen_ai.input.messages", "not shown");
    span_attr_cstr(&span, "batchtrace.result", "errored");
    CHECK_INT(exporter_add(exporter, &span, reason), 0);

    span_t root;
    span_init(&root, &arena);
    root.name = STR_LIT("openai.batch");
    root.start_ns = 1767225600000000000u;
    root.end_ns = 1767225600000000000u;
    CHECK_INT(exporter_add(exporter, &root, reason), 0);
    export_report report;
    CHECK_INT(exporter_finish(exporter, &report, reason), 0);
    CHECK_INT(report.spans_exported, 2);
    exporter_free(exporter);
    arena_free(&arena);
    fclose(out);

    size_t len = 0;
    char *text = read_file(path, &len);
    CHECK_STR(text,
              "chat gpt-4o-mini  trace=101112131415161718191a1b1c1d1e1f span=a0a1a2a3a4a5a6a7"
              " parent=b0b1b2b3b4b5b6b7 2026-01-01T00:00:00.000Z +1.234s ERROR"
              " \"context too \\\"long\\\"\"  gen_ai.request.model=gpt-4o-mini"
              " gen_ai.usage.input_tokens=12 batchtrace.custom_id=\"req 7\""
              " batchtrace.result=errored\n"
              "openai.batch  trace=00000000000000000000000000000000 span=0000000000000000"
              " 2026-01-01T00:00:00.000Z +0.000s\n");
    free(text);
    unlink(path);
done:
    free(path);
    resource_free(&resource);
}

int main(void) {
    RUN(spans_fill_requests_up_to_the_span_limit);
    RUN(requests_stay_within_one_mebibyte_of_spans_and_a_huge_span_goes_alone);
    RUN(empty_run_creates_no_file);
    RUN(runs_append_and_truncate_empties_at_the_first_write);
    RUN(a_partial_line_left_by_an_earlier_run_is_ended_before_appending);
    RUN(two_processes_appending_at_once_never_mix_lines);
    RUN(spans_are_copied_and_keep_their_order_through_the_encoding_thread);
    RUN(freeing_without_finish_stops_the_encoding_thread);
    RUN(writing_to_a_full_device_fails_with_the_reason);
    RUN(the_outcome_callback_hears_each_request_once_written_or_lost);
    RUN(written_requests_are_reported_together_once_4096_spans_wait);
    RUN(unopenable_path_fails_with_the_reason);
    RUN(console_prints_one_readable_line_per_span);
    TEST_MAIN_END();
}
