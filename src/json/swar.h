/* Eight bytes at a time: the word tricks the JSON reader and writer share to skip runs of
 * bytes that need no attention inside strings. */
#ifndef BT_JSON_SWAR_H
#define BT_JSON_SWAR_H

#include <stdint.h>
#include <string.h>

#define SWAR_ONES UINT64_C(0x0101010101010101)
#define SWAR_HIGHS UINT64_C(0x8080808080808080)

/* The 8 bytes at p as one word (any alignment). */
static inline uint64_t swar_load(const char *p) {
    uint64_t word;
    memcpy(&word, p, sizeof word);
    return word;
}

/* A word whose byte i has its high bit set when byte i of word is a '"', a '\\' or a control
 * character (< 0x20): the bytes a JSON string must escape or a scanner must look at. (Bytes
 * >= 0x80 may set stray bits too; callers treat them as "look closer", never as "safe".) */
static inline uint64_t swar_string_specials(uint64_t word) {
    uint64_t quotes = word ^ (SWAR_ONES * '"'), backslashes = word ^ (SWAR_ONES * '\\');
    uint64_t below_space = (word - SWAR_ONES * 0x20) & ~word;
    uint64_t quote_bytes = (quotes - SWAR_ONES) & ~quotes;
    uint64_t backslash_bytes = (backslashes - SWAR_ONES) & ~backslashes;
    return (below_space | quote_bytes | backslash_bytes) & SWAR_HIGHS;
}

#endif
