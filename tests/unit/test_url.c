/* Endpoint URLs: what is shown of them (no userinfo byte, no query value), what is left of
 * libcurl's words, and where /v1/traces goes. */
#include <stdlib.h>
#include <string.h>

#include "export/url.h"
#include "test.h"
#include "util/buf.h"

/* Check url_redact(url) is expected. */
static void check_redact(const char *url, const char *expected) {
    char *shown = url_redact(url);
    CHECK_STR(shown, expected);
    free(shown);
}

TEST(userinfo_is_hidden_up_to_the_last_at_sign) {
    check_redact("http://127.0.0.1:4318/v1/traces", "http://127.0.0.1:4318/v1/traces");
    check_redact("https://user:pw@host/v1/traces", "https://<redacted>@host/v1/traces");
    check_redact("http://user:p@SECRET@host/v1/traces", "http://<redacted>@host/v1/traces");
    check_redact("http://user:top/SECRET@host/v1/traces", "http://<redacted>@host/v1/traces");
    check_redact("http://token@host", "http://<redacted>@host");
    check_redact("user:pw@host:4318/v1/traces", "<redacted>@host:4318/v1/traces");
}

TEST(query_values_and_fragments_are_hidden) {
    check_redact("http://host/v1/traces?key=SECRET", "http://host/v1/traces?key=<redacted>");
    check_redact("http://host/v1/traces?a=1&b=&SECRET#frag",
                 "http://host/v1/traces?a=<redacted>&b=<redacted>&<redacted>#<redacted>");
    check_redact("http://u:SECRET@host/v1/traces?key=SECRET2",
                 "http://<redacted>@host/v1/traces?key=<redacted>");
    /* an '@' after a '?' may be in the query or in a password: nothing is shown */
    check_redact("http://host/v1/traces?mail=a@SECRET", "http://<redacted>");
    check_redact("http://user:p?SECRET@host", "http://<redacted>");
}

/* Check url_scrub(url, text) is expected. */
static void check_scrub(const char *url, const char *text, const char *expected) {
    buf_t out = BUF_INIT;
    buf_puts(&out, ">");
    url_scrub(url, text, "fallback", &out);
    CHECK_STR(buf_cstr(&out), expected);
    buf_free(&out);
}

TEST(libcurl_words_lose_every_secret) {
    check_scrub("http://127.0.0.1:1/v1/traces", "Failed to connect to 127.0.0.1 port 1",
                ">Failed to connect to 127.0.0.1 port 1");
    check_scrub("http://user:top/SECRET@host/v1/traces", "Could not resolve host: user:top/SECRET@host",
                ">Could not resolve host: <redacted>@host");
    check_scrub("http://user:p@SECRET@host/v1/traces", "Could not resolve host: SECRET@host",
                ">Could not resolve host: <redacted>@host");
    check_scrub("http://host/v1/traces?key=SECRETKEY", "bad URL /v1/traces?key=SECRETKEY",
                ">bad URL /v1/traces?key=<redacted>");
    /* a short secret cannot be cut out of words without garbling them: the fallback */
    check_scrub("http://user:p@host/v1/traces", "Could not resolve host: p", ">fallback");
}

TEST(the_path_goes_before_the_query) {
    const char *cases[][2] = {
        {"http://host:4318", "http://host:4318/v1/traces"},
        {"http://host:4318/", "http://host:4318/v1/traces"},
        {"http://host/base//", "http://host/base/v1/traces"},
        {"http://host/?key=K", "http://host/v1/traces?key=K"},
        {"http://host?key=K#f", "http://host/v1/traces?key=K#f"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *url = url_append_path(cases[i][0], "/v1/traces");
        CHECK_STR(url, cases[i][1]);
        free(url);
    }
}

int main(void) {
    RUN(userinfo_is_hidden_up_to_the_last_at_sign);
    RUN(query_values_and_fragments_are_hidden);
    RUN(libcurl_words_lose_every_secret);
    RUN(the_path_goes_before_the_query);
    TEST_MAIN_END();
}
