/* Tests of file_kind_guess: what kind of batch file a source holds, judged from its content,
 * for the hints collect gives when a file is given to the wrong option. */
#include <stdlib.h>
#include <unistd.h>

#include "batch/file_kind.h"
#include "test.h"

/* A temporary file under TMPDIR holding text; the caller unlinks and frees its path. */
static char *temp_file(const char *text) {
    const char *tmp = getenv("TMPDIR");
    char *path = malloc(4096);
    if (path) snprintf(path, 4096, "%s/bt-file-kind-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = path ? mkstemp(path) : -1;
    if (fd < 0) {
        free(path);
        return NULL;
    }
    size_t len = strlen(text);
    ssize_t written = write(fd, text, len);
    close(fd);
    if (written != (ssize_t)len) {
        unlink(path);
        free(path);
        return NULL;
    }
    return path;
}

/* Guess the kind and provider of a file holding text. */
static file_guess guess_text(const char *text, bool whole_document) {
    file_guess guess = {FILE_KIND_UNKNOWN, NULL};
    char *path = temp_file(text);
    CHECK(path != NULL);
    if (!path) return guess;
    source_t src;
    char reason[REASON_MAX];
    CHECK_INT(source_open(&src, path, reason), 0);
    guess = file_kind_guess(&src, 0, whole_document);
    source_close(&src);
    unlink(path);
    free(path);
    return guess;
}

TEST(json_lines_are_told_apart_by_their_first_record) {
    file_guess g = guess_text("\n{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                              "\"body\":{}}\n{\"broken\n", true);
    CHECK_INT(g.kind, FILE_KIND_REQUESTS);
    CHECK(g.provider == &provider_openai);
    g = guess_text("{\"id\":\"batch_req_1\",\"custom_id\":\"a\",\"response\":null,\"error\":"
                   "{\"code\":\"batch_expired\"}}\n", true);
    CHECK_INT(g.kind, FILE_KIND_RESULTS);
    CHECK(g.provider == &provider_openai);
    g = guess_text("{\"custom_id\":\"a\",\"result\":{\"type\":\"expired\"}}\n", true);
    CHECK_INT(g.kind, FILE_KIND_RESULTS);
    CHECK(g.provider == &provider_anthropic);
    g = guess_text("{\"custom_id\":\"a\",\"params\":{\"model\":\"m\"}}\n", true);
    CHECK_INT(g.kind, FILE_KIND_REQUESTS);
    CHECK(g.provider == &provider_anthropic);
}

TEST(pretty_documents_are_read_whole_only_when_asked) {
    const char *batch = "{\n  \"id\": \"msgbatch_1\",\n  \"type\": \"message_batch\",\n"
                        "  \"processing_status\": \"ended\"\n}\n";
    file_guess g = guess_text(batch, true);
    CHECK_INT(g.kind, FILE_KIND_BATCH);
    CHECK(g.provider == &provider_anthropic);
    g = guess_text(batch, false);
    CHECK_INT(g.kind, FILE_KIND_UNKNOWN);
    g = guess_text("{\n \"requests\": [\n  {\"custom_id\": \"a\", \"params\": {}}\n ]\n}\n", true);
    CHECK_INT(g.kind, FILE_KIND_REQUESTS);
    CHECK(g.provider == &provider_anthropic);
    g = guess_text("{\"id\":\"batch_1\",\"object\":\"batch\",\"status\":\"completed\"}", true);
    CHECK_INT(g.kind, FILE_KIND_BATCH);
    CHECK(g.provider == &provider_openai);
}

TEST(anything_else_is_unknown_and_names_nothing) {
    CHECK_INT(guess_text("", true).kind, FILE_KIND_UNKNOWN);
    CHECK_INT(guess_text("not json\nat all\n", true).kind, FILE_KIND_UNKNOWN);
    CHECK_INT(guess_text("{\"hello\":\"world\"}\n", true).kind, FILE_KIND_UNKNOWN);
    CHECK_STR(file_kind_name(FILE_KIND_RESULTS), "a results file");
    CHECK_STR(file_kind_option(FILE_KIND_RESULTS), "--results");
    CHECK_STR(file_kind_option(FILE_KIND_REQUESTS), "--input");
    CHECK_STR(file_kind_option(FILE_KIND_BATCH), "--batch");
    CHECK_STR(file_kind_name(FILE_KIND_UNKNOWN), "");
}

int main(void) {
    RUN(json_lines_are_told_apart_by_their_first_record);
    RUN(pretty_documents_are_read_whole_only_when_asked);
    RUN(anything_else_is_unknown_and_names_nothing);
    TEST_MAIN_END();
}
