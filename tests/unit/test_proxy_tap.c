/* The proxy's taps: which calls are traced (tap_classify) and how an upload's file part is
 * found (tap_multipart_file), including the bodies a client cuts short or gets wrong; the
 * tee's writer keeps every byte of a download in order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy/tap.h"
#include "proxy/tee.h"
#include "test.h"
#include "util/alloc.h"
#include "util/reason.h"

TEST(the_batch_calls_are_tapped_and_nothing_else) {
    CHECK_INT(tap_classify("POST", "/v1/files"), TAP_OPENAI_UPLOAD);
    CHECK_INT(tap_classify("POST", "/v1/batches"), TAP_OPENAI_CREATE);
    CHECK_INT(tap_classify("GET", "/v1/batches/batch_abc"), TAP_OPENAI_BATCH);
    CHECK_INT(tap_classify("POST", "/v1/batches/batch_abc/cancel"), TAP_OPENAI_BATCH);
    CHECK_INT(tap_classify("GET", "/v1/files/file-abc/content"), TAP_OPENAI_CONTENT);
    CHECK_INT(tap_classify("POST", "/v1/messages/batches"), TAP_ANTHROPIC_CREATE);
    CHECK_INT(tap_classify("GET", "/v1/messages/batches/msgbatch_1"), TAP_ANTHROPIC_BATCH);
    CHECK_INT(tap_classify("POST", "/v1/messages/batches/msgbatch_1/cancel"), TAP_ANTHROPIC_BATCH);
    CHECK_INT(tap_classify("GET", "/v1/messages/batches/msgbatch_1/results"), TAP_ANTHROPIC_RESULTS);
    /* lists, other methods, other files' paths and anything else: forwarded only */
    CHECK_INT(tap_classify("GET", "/v1/batches"), TAP_NONE);
    CHECK_INT(tap_classify("GET", "/v1/messages/batches"), TAP_NONE);
    CHECK_INT(tap_classify("DELETE", "/v1/files/file-abc"), TAP_NONE);
    CHECK_INT(tap_classify("GET", "/v1/files/file-abc"), TAP_NONE);
    CHECK_INT(tap_classify("GET", "/v1/batches/"), TAP_NONE);
    CHECK_INT(tap_classify("GET", "/v1/batches/a/b"), TAP_NONE);
    CHECK_INT(tap_classify("POST", "/v1/chat/completions"), TAP_NONE);
    CHECK_INT(tap_classify("GET", "/v1/files/file-abc/content/x"), TAP_NONE);
}

static const char upload[] =
    "--b0undary\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
    "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\n"
    "Content-Type: application/jsonl\r\n\r\n{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\"}\n"
    "\r\n--b0undary--\r\n";

TEST(the_file_part_of_an_upload_is_found) {
    char purpose[32], reason[REASON_MAX];
    uint64_t offset = 0, len = 0;
    CHECK_INT(tap_multipart_file("multipart/form-data; boundary=b0undary", upload,
                                 sizeof upload - 1, purpose, sizeof purpose, &offset, &len,
                                 reason), 0);
    CHECK_STR(purpose, "batch");
    CHECK_STRN(upload + offset, (size_t)len, "{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\"}\n");
    /* a quoted boundary, the type in capitals */
    CHECK_INT(tap_multipart_file("Multipart/Form-Data; boundary=\"b0undary\"", upload,
                                 sizeof upload - 1, purpose, sizeof purpose, &offset, &len,
                                 reason), 0);
}

TEST(a_broken_upload_says_why) {
    char purpose[32], reason[REASON_MAX];
    uint64_t offset = 0, len = 0;
    /* cut before the closing boundary */
    size_t cut = strstr(upload, "\r\n--b0undary--") - upload;
    CHECK_INT(tap_multipart_file("multipart/form-data; boundary=b0undary", upload, cut, purpose,
                                 sizeof purpose, &offset, &len, reason), -1);
    CHECK_STR(reason, "the multipart body is cut short (no closing boundary)");
    CHECK_INT(tap_multipart_file("application/json", upload, sizeof upload - 1, purpose,
                                 sizeof purpose, &offset, &len, reason), -1);
    CHECK_STR(reason, "not multipart/form-data with a boundary");
    static const char no_file[] =
        "--x\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--x--\r\n";
    CHECK_INT(tap_multipart_file("multipart/form-data; boundary=x", no_file, sizeof no_file - 1,
                                 purpose, sizeof purpose, &offset, &len, reason), -1);
    CHECK_STR(reason, "the multipart body has no \"file\" part");
}

TEST(the_tee_keeps_every_byte_in_order_whatever_the_pieces) {
    /* Pieces of 1 byte to more than the whole buffer, ending off any unit boundary. */
    static const size_t pieces[] = {1, 16384, 1000000, 3, TEE_BUFFER_BYTES + 12345, 65536,
                                    (1u << 20) - 7, 2 * TEE_BUFFER_BYTES, 517, 16384, 9};
    size_t total = 0;
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) total += pieces[i];
    unsigned char *bytes = xmalloc(total);
    uint32_t state = 12345;
    for (size_t i = 0; i < total; i++) {
        state = state * 1103515245u + 12345u;
        bytes[i] = (unsigned char)(state >> 24);
    }
    source_t file;
    char reason[REASON_MAX];
    CHECK_INT(source_spool_new(&file, "tee", reason), 0);
    tee_writer *w = tee_writer_start(&file, reason);
    CHECK(w != NULL);
    size_t at = 0;
    for (size_t i = 0; w && i < sizeof pieces / sizeof pieces[0]; i++) {
        CHECK(tee_writer_put(w, bytes + at, pieces[i]));
        at += pieces[i];
    }
    CHECK_INT(tee_writer_finish(w, reason), 0);
    CHECK_INT(file.size, total);
    unsigned char *back = xmalloc(total);
    CHECK_INT(pread(file.fd, back, total, 0), (long long)total);
    CHECK(memcmp(back, bytes, total) == 0);
    free(back);
    free(bytes);
    source_close(&file);
}

int main(void) {
    RUN(the_batch_calls_are_tapped_and_nothing_else);
    RUN(the_file_part_of_an_upload_is_found);
    RUN(a_broken_upload_says_why);
    RUN(the_tee_keeps_every_byte_in_order_whatever_the_pieces);
    TEST_MAIN_END();
}
