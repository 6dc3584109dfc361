/* The entry point every fuzz target defines: libFuzzer's. The same target file links either
 * with libFuzzer (-fsanitize=fuzzer, `make fuzz`) or with replay.c, which feeds it the seed
 * corpus and the regression inputs as a plain test (`make test`, any compiler). A target
 * must not leak, must not keep state between calls that changes its behaviour, and aborts
 * (through FUZZ_CHECK) when an invariant of the code under test breaks. */
#ifndef BT_FUZZ_TARGET_H
#define BT_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Run the code under test on one input. Always returns 0 (libFuzzer's convention). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort with the failed condition when an invariant does not hold: the fuzzer reports it as
 * a crash and saves the input. */
#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

#endif
