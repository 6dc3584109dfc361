/* utf8_valid's implementations (util/utf8.h): each one this processor has (SSSE3, AVX2)
 * must give the scalar check's answer and bad offset on every input: all short sequences,
 * every ill-formed pattern at every position around the 16- and 32-byte block edges, and
 * random text made of well-formed sequences with random damage. */
#include <stdint.h>
#include <stdlib.h>

#include "json/json.h"
#include "test.h"
#include "util/utf8.h"

/* A splitmix64 stream: the same inputs on every run. */
static uint64_t random_state = 0x5eed;
static uint64_t next_random(void) {
    uint64_t z = (random_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int mismatches;

/* Check bytes[0..len) with every implementation against the scalar one. */
static void compare(const unsigned char *bytes, size_t len) {
    size_t want_bad = 0;
    utf8_impl_set(UTF8_IMPL_SCALAR);
    bool want = utf8_valid((const char *)bytes, len, &want_bad);
    for (utf8_impl impl = UTF8_IMPL_SSSE3; impl <= utf8_impl_widest(); impl++) {
        utf8_impl_set(impl);
        size_t bad = 0;
        bool got = utf8_valid((const char *)bytes, len, &bad);
        if (got != want || (!got && bad != want_bad)) {
            if (mismatches++ < 5) {
                fprintf(stderr, "implementation %d: valid %d (scalar %d), bad %zu (scalar %zu), "
                                "length %zu:", (int)impl, got, want, bad, want_bad, len);
                for (size_t i = 0; i < len && i < 80; i++) fprintf(stderr, " %02x", bytes[i]);
                fputc('\n', stderr);
            }
        }
    }
    utf8_impl_set(utf8_impl_widest());
}

/* Sequences worth placing everywhere: well-formed ones at each edge of table 3-7 and the
 * ill-formed neighbours of each. */
static const char *const PATTERNS[] = {
    "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80", "\xEF\xBF\xBF",
    "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF", "\xF3\xBF\xBF\xBF", "\xE4\xB8\xAD",
    "\xC0\xAF", "\xC1\xBF", "\xE0\x9F\xBF", "\xED\xA0\x80", "\xED\xBF\xBF", "\xF0\x8F\xBF\xBF",
    "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\x80", "\xBF", "\xC2", "\xE4\xB8",
    "\xF0\x90\x80", "\xC2\x80\x80", "\xE4\xB8\xAD\x80", "\xF8\x88\x80\x80\x80", "\xC2\x41",
    "\xE4\x41\xAD", "\xF0\x90\x41\x80",
};
#define PATTERN_COUNT (sizeof PATTERNS / sizeof PATTERNS[0])

TEST(every_implementation_this_processor_has_is_tested) {
    /* the implementations are there to be compared; on x86-64 at least SSSE3 is expected */
#if defined(__x86_64__)
    CHECK(utf8_impl_widest() >= UTF8_IMPL_SSSE3);
#endif
    CHECK(utf8_impl_set(UTF8_IMPL_SCALAR));
    CHECK(utf8_impl_set(utf8_impl_widest()));
}

TEST(all_sequences_of_up_to_two_bytes_and_patterns_at_every_block_position) {
    unsigned char buf[200];
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            buf[0] = (unsigned char)a;
            buf[1] = (unsigned char)b;
            compare(buf, 2);
            compare(buf, 1);
        }
    }
    for (size_t k = 0; k < PATTERN_COUNT; k++) {
        size_t plen = strlen(PATTERNS[k]);
        for (size_t at = 0; at + plen <= 100; at++) {
            for (size_t len = at + plen; len <= at + plen + 2 && len <= 100; len++) {
                /* ASCII around, and multibyte text around (well-formed 3-byte characters) */
                memset(buf, 'a', sizeof buf);
                memcpy(buf + at, PATTERNS[k], plen);
                compare(buf, len);
                for (size_t i = 0; i + 3 <= sizeof buf; i += 3) memcpy(buf + i, "\xE4\xB8\xAD", 3);
                memcpy(buf + at, PATTERNS[k], plen);
                compare(buf, len);
            }
        }
    }
    CHECK_INT(mismatches, 0);
}

TEST(random_well_formed_text_with_random_damage) {
    static const char *const PIECES[] = {"a", " ", "\xC3\xA9", "\xD0\xB6", "\xE4\xB8\xAD",
                                         "\xE3\x80\x81", "\xF0\x9F\x98\x80", "\xEF\xBF\xBD",
                                         "\xCC\x81", "\xF4\x8F\xBF\xBF"};
    unsigned char buf[600];
    for (int round = 0; round < 20000; round++) {
        size_t len = 0, target = (size_t)(next_random() % 520);
        while (len < target) {
            const char *piece = PIECES[next_random() % (sizeof PIECES / sizeof PIECES[0])];
            size_t plen = strlen(piece);
            memcpy(buf + len, piece, plen);
            len += plen;
        }
        int damage = (int)(next_random() % 4); /* 0: none; else that many bytes changed */
        for (int d = 0; d < damage && len > 0; d++) {
            size_t at = (size_t)(next_random() % len);
            uint64_t how = next_random();
            buf[at] = how & 1 ? (unsigned char)(how >> 8) : (unsigned char)(0x80 | (how >> 8 & 0x3F));
        }
        compare(buf, len);
        if (len > 0) compare(buf, len - (size_t)(next_random() % (len < 5 ? len : 5)));
    }
    CHECK_INT(mismatches, 0);
}

int main(void) {
    RUN(every_implementation_this_processor_has_is_tested);
    RUN(all_sequences_of_up_to_two_bytes_and_patterns_at_every_block_position);
    RUN(random_well_formed_text_with_random_damage);
    TEST_MAIN_END();
}
