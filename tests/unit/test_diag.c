/* Diagnostics: control characters in a reason (quoted from hostile input) are escaped. */
#include "batch/diag.h"
#include "test.h"

TEST(control_characters_in_reasons_are_escaped) {
    diag_sink sink;
    memset(&sink, 0, sizeof sink);
    diag_reject(&sink, "results.jsonl", 7, "custom_id \"%s\"",
                "evil\x1b[31mRED\x07\x7f\xc2\x9b" "2J é");
    CHECK_INT(sink.rejected.total, 1);
    CHECK_STR(sink.rejected.entries[0].reason,
              "custom_id \"evil\\x1b[31mRED\\x07\\x7f\\u009b2J é\"");
    CHECK_STR(sink.rejected.entries[0].file, "results.jsonl");
    diag_warn(&sink, "", 0, "%s", "tab\tand newline\n");
    CHECK_STR(sink.warnings.entries[0].reason, "tab\\x09and newline\\x0a");
    diag_sink_free(&sink);
}

/* What the callback saw: the last severity and how many calls. */
typedef struct seen {
    batchtrace_severity severity;
    int calls;
} seen;

static void remember(void *ctx, batchtrace_severity severity, const char *file, uint64_t line,
                     const char *reason) {
    seen *s = ctx;
    s->severity = severity;
    s->calls++;
}

TEST(a_loss_is_an_error_kept_with_the_warnings) {
    seen calls = {0, 0};
    diag_sink sink;
    memset(&sink, 0, sizeof sink);
    sink.callback = remember;
    sink.callback_ctx = &calls;
    diag_error(&sink, "", 0, "%d spans could not be spooled and are lost", 3);
    CHECK_INT(calls.severity, BATCHTRACE_ERROR);
    CHECK_INT(sink.warnings.total, 1);
    CHECK_STR(sink.warnings.entries[0].reason, "3 spans could not be spooled and are lost");
    diag_report(&sink, BATCHTRACE_WARNING, "", 0, "%s", "spooled");
    CHECK_INT(calls.severity, BATCHTRACE_WARNING);
    diag_report(&sink, BATCHTRACE_REJECTED, "x.jsonl", 2, "%s", "bad");
    CHECK_INT(calls.severity, BATCHTRACE_REJECTED);
    CHECK_INT(calls.calls, 3);
    CHECK_INT(sink.warnings.total, 2);
    CHECK_INT(sink.rejected.total, 1);
    diag_sink_free(&sink);
}

int main(void) {
    RUN(control_characters_in_reasons_are_escaped);
    RUN(a_loss_is_an_error_kept_with_the_warnings);
    TEST_MAIN_END();
}
