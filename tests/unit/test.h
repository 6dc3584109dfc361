/* A small unit-test harness: TEST(name) defines a test, RUN(name) runs it, CHECK* record
 * failures with file:line and keep going, and TEST_MAIN_END prints "N passed, N failed"
 * and returns the exit status. */
#ifndef BT_TEST_H
#define BT_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int test_failures_in_current;
static int tests_passed;
static int tests_failed;

#define TEST(name) static void name(void)

#define RUN(name)                                                          \
    do {                                                                   \
        test_failures_in_current = 0;                                      \
        name();                                                            \
        if (test_failures_in_current) {                                    \
            tests_failed++;                                                \
            fprintf(stderr, "FAIL %s\n", #name);                           \
        } else {                                                           \
            tests_passed++;                                                \
        }                                                                  \
    } while (0)

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            test_failures_in_current++;                                            \
        }                                                                          \
    } while (0)

#define CHECK_INT(actual, expected)                                                  \
    do {                                                                             \
        long long a_ = (long long)(actual), e_ = (long long)(expected);              \
        if (a_ != e_) {                                                              \
            fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__, \
                    #actual, a_, e_);                                                \
            test_failures_in_current++;                                              \
        }                                                                            \
    } while (0)

/* Compare a (ptr,len) or C string with an expected C string. */
#define CHECK_STRN(ptr, len, expected)                                                  \
    do {                                                                                \
        const char *p_ = (ptr);                                                         \
        size_t l_ = (len);                                                              \
        const char *e_ = (expected);                                                    \
        if (l_ != strlen(e_) || (l_ && memcmp(p_, e_, l_) != 0)) {                      \
            fprintf(stderr, "%s:%d: %s is \"%.*s\", expected \"%s\"\n", __FILE__,       \
                    __LINE__, #ptr, (int)l_, p_ ? p_ : "", e_);                         \
            test_failures_in_current++;                                                 \
        }                                                                               \
    } while (0)
#define CHECK_STR(actual, expected) CHECK_STRN((actual), strlen(actual), (expected))
#define CHECK_BTSTR(s, expected) CHECK_STRN((s).ptr, (s).len, (expected))

#define TEST_MAIN_END()                                                   \
    do {                                                                  \
        printf("%d passed, %d failed\n", tests_passed, tests_failed);     \
        return tests_failed ? 1 : 0;                                      \
    } while (0)

#endif
