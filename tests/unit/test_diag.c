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

int main(void) {
    RUN(control_characters_in_reasons_are_escaped);
    TEST_MAIN_END();
}
