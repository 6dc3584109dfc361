/* Reading OTLP/HTTP answers: ExportTraceServiceResponse partial_success (protobuf and
 * JSON) and the message of an error answer. */
#include <string.h>

#include "export/otlp_response.h"
#include "test.h"
#include "util/reason.h"

/* Parse a protobuf body given as a byte array. */
#define PARSE_PB(bytes, out, reason) \
    otlp_response_parse((const char *)(bytes), sizeof(bytes), OTLP_HTTP_PROTOBUF, (out), (reason))

TEST(empty_protobuf_body_has_no_partial_success) {
    otlp_response r;
    char reason[REASON_MAX] = "";
    CHECK_INT(otlp_response_parse("", 0, OTLP_HTTP_PROTOBUF, &r, reason), 0);
    CHECK_INT(r.rejected_spans, 0);
    CHECK_STR(r.error_message, "");
}

TEST(protobuf_partial_success_is_read) {
    /* partial_success(1) { rejected_spans(1): 5, error_message(2): "bad" } */
    static const unsigned char body[] = {0x0A, 0x07, 0x08, 0x05, 0x12, 0x03, 'b', 'a', 'd'};
    otlp_response r;
    char reason[REASON_MAX] = "";
    CHECK_INT(PARSE_PB(body, &r, reason), 0);
    CHECK_INT(r.rejected_spans, 5);
    CHECK_STR(r.error_message, "bad");
}

TEST(protobuf_unknown_fields_are_skipped_and_messages_merge) {
    static const unsigned char body[] = {
        0x78, 0x96, 0x01,                               /* field 15, varint 150 */
        0x19, 1, 2, 3, 4, 5, 6, 7, 8,                   /* field 3, fixed64 */
        0x0A, 0x02, 0x08, 0x07,                         /* partial_success { rejected 7 } */
        0x25, 1, 2, 3, 4,                               /* field 4, fixed32 */
        0x0A, 0x06, 0x1A, 0x00, 0x12, 0x02, 'o', 'k',   /* { field 3 "", message "ok" } */
    };
    otlp_response r;
    char reason[REASON_MAX] = "";
    CHECK_INT(PARSE_PB(body, &r, reason), 0);
    CHECK_INT(r.rejected_spans, 7);
    CHECK_STR(r.error_message, "ok");
}

TEST(protobuf_faults_are_reported) {
    static const unsigned char truncated_length[] = {0x0A, 0x05, 0x08};
    static const unsigned char truncated_varint[] = {0x0A, 0x01, 0x08};
    static const unsigned char wrong_wire_type[] = {0x08, 0x01};
    static const unsigned char group[] = {0x13}; /* field 2, start group */
    static const unsigned char field_zero[] = {0x00, 0x01};
    static const unsigned char overlong_varint[] = {0x0A, 0x0B, 0x08, 0xFF, 0xFF, 0xFF, 0xFF,
                                                    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
    static const unsigned char negative[] = {0x0A, 0x0B, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                             0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    otlp_response r;
    char reason[REASON_MAX] = "";
    CHECK_INT(PARSE_PB(truncated_length, &r, reason), -1);
    CHECK_STR(reason, "protobuf length past the end");
    CHECK_INT(PARSE_PB(truncated_varint, &r, reason), -1);
    CHECK_STR(reason, "truncated rejected_spans");
    CHECK_INT(PARSE_PB(wrong_wire_type, &r, reason), -1);
    CHECK_STR(reason, "partial_success has wire type 0");
    CHECK_INT(PARSE_PB(group, &r, reason), -1);
    CHECK_STR(reason, "unsupported protobuf wire type 3");
    CHECK_INT(PARSE_PB(field_zero, &r, reason), -1);
    CHECK_STR(reason, "protobuf field number 0");
    CHECK_INT(PARSE_PB(overlong_varint, &r, reason), -1);
    CHECK_INT(PARSE_PB(negative, &r, reason), -1);
    CHECK_STR(reason, "negative rejected_spans -1");
}

TEST(json_partial_success_in_every_spelling) {
    otlp_response r;
    char reason[REASON_MAX] = "";
    const char *camel =
        "{\"partialSuccess\":{\"rejectedSpans\":\"3\",\"errorMessage\":\"no name\"}}";
    CHECK_INT(otlp_response_parse(camel, strlen(camel), OTLP_HTTP_JSON, &r, reason), 0);
    CHECK_INT(r.rejected_spans, 3);
    CHECK_STR(r.error_message, "no name");
    const char *number = "{\"partialSuccess\":{\"rejectedSpans\":4}}";
    CHECK_INT(otlp_response_parse(number, strlen(number), OTLP_HTTP_JSON, &r, reason), 0);
    CHECK_INT(r.rejected_spans, 4);
    CHECK_STR(r.error_message, "");
    const char *snake = "{\"partial_success\":{\"rejected_spans\":\"9\",\"error_message\":\"s\"}}";
    CHECK_INT(otlp_response_parse(snake, strlen(snake), OTLP_HTTP_JSON, &r, reason), 0);
    CHECK_INT(r.rejected_spans, 9);
    CHECK_STR(r.error_message, "s");
    const char *none[] = {"", " \r\n", "{}", "{\"partialSuccess\":{}}",
                          "{\"partialSuccess\":null}"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        CHECK_INT(otlp_response_parse(none[i], strlen(none[i]), OTLP_HTTP_JSON, &r, reason), 0);
        CHECK_INT(r.rejected_spans, 0);
    }
}

TEST(json_faults_are_reported) {
    otlp_response r;
    char reason[REASON_MAX] = "";
    const char *bad[][2] = {
        {"{", "response is not JSON: "},
        {"[]", "response is not a JSON object"},
        {"{\"partialSuccess\":1}", "partialSuccess is not an object"},
        {"{\"partialSuccess\":{\"rejectedSpans\":\"x\"}}",
         "partialSuccess.rejectedSpans is not an integer"},
        {"{\"partialSuccess\":{\"rejectedSpans\":1.5}}",
         "partialSuccess.rejectedSpans is not an integer"},
        {"{\"partialSuccess\":{\"errorMessage\":7}}",
         "partialSuccess.errorMessage is not a string"},
        {"{\"partialSuccess\":{\"rejectedSpans\":-2}}", "negative rejected_spans -2"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(otlp_response_parse(bad[i][0], strlen(bad[i][0]), OTLP_HTTP_JSON, &r, reason),
                  -1);
        CHECK(strncmp(reason, bad[i][1], strlen(bad[i][1])) == 0);
    }
}

TEST(messages_are_cut_on_a_character_boundary_and_control_bytes_blanked) {
    char text[600];
    size_t len = 0;
    text[len++] = 'a';
    text[len++] = '\n';
    while (len + 2 <= 400) { /* "é" is 2 bytes: the cut at 255 falls inside one */
        text[len++] = (char)0xC3;
        text[len++] = (char)0xA9;
    }
    unsigned char body[700];
    size_t at = 0;
    body[at++] = 0x0A;
    body[at++] = (unsigned char)(0x80 | ((len + 3) & 0x7F));
    body[at++] = (unsigned char)((len + 3) >> 7);
    body[at++] = 0x12;
    body[at++] = (unsigned char)(0x80 | (len & 0x7F));
    body[at++] = (unsigned char)(len >> 7);
    memcpy(body + at, text, len);
    at += len;
    otlp_response r;
    char reason[REASON_MAX] = "";
    CHECK_INT(otlp_response_parse((const char *)body, at, OTLP_HTTP_PROTOBUF, &r, reason), 0);
    CHECK_INT(strlen(r.error_message), 254); /* "a", " ", then 126 whole "é" */
    CHECK(strncmp(r.error_message, "a \xC3\xA9", 4) == 0);
    CHECK(((unsigned char)r.error_message[253] & 0xC0) == 0x80);
}

TEST(error_message_from_status_json_or_text) {
    char out[OTLP_MESSAGE_MAX];
    /* google.rpc.Status { code(1): 3, message(2): "bad span" } */
    static const char status[] = {0x08, 0x03, 0x12, 0x08, 'b', 'a', 'd', ' ', 's', 'p', 'a', 'n'};
    otlp_error_message(status, sizeof status, "application/x-protobuf", out, sizeof out);
    CHECK_STR(out, "bad span");
    const char *json = "{\"code\":3,\"message\":\"invalid trace id\"}";
    otlp_error_message(json, strlen(json), "application/json; charset=utf-8", out, sizeof out);
    CHECK_STR(out, "invalid trace id");
    const char *nested = "{\"error\":{\"message\":\"quota exceeded\"}}";
    otlp_error_message(nested, strlen(nested), "application/json", out, sizeof out);
    CHECK_STR(out, "quota exceeded");
    const char *flat = "{\"error\":\"Unauthorized\"}";
    otlp_error_message(flat, strlen(flat), "application/json", out, sizeof out);
    CHECK_STR(out, "Unauthorized");
    const char *text = "  request entity too large\r\n";
    otlp_error_message(text, strlen(text), "text/plain", out, sizeof out);
    CHECK_STR(out, "request entity too large");
    otlp_error_message("not json", 8, "application/json", out, sizeof out);
    CHECK_STR(out, "not json");
    otlp_error_message("", 0, NULL, out, sizeof out);
    CHECK_STR(out, "");
    otlp_error_message("abcdef", 6, NULL, out, 4);
    CHECK_STR(out, "abc");
}

int main(void) {
    RUN(empty_protobuf_body_has_no_partial_success);
    RUN(protobuf_partial_success_is_read);
    RUN(protobuf_unknown_fields_are_skipped_and_messages_merge);
    RUN(protobuf_faults_are_reported);
    RUN(json_partial_success_in_every_spelling);
    RUN(json_faults_are_reported);
    RUN(messages_are_cut_on_a_character_boundary_and_control_bytes_blanked);
    RUN(error_message_from_status_json_or_text);
    TEST_MAIN_END();
}
