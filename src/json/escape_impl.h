/* One implementation of the JSON writer's string escaper, included by writer.c once per
 * width (no include guard): ESCAPE_WIDTH is ESCAPE_PORTABLE (eight-byte words, every
 * machine), ESCAPE_SSE2 (sixteen-byte chunks) or ESCAPE_AVX2 (sixteen-byte chunks, with
 * plain runs copied 32 bytes a step), ESCAPE_SUFFIX names the functions and ESCAPE_TARGET
 * is the target attribute they are compiled for. writer.c picks one at run time (see
 * json_escape_impl_set in writer.h); all write the same bytes. */

#define ESCAPE_CONCAT_(a, b) a##b
#define ESCAPE_CONCAT(a, b) ESCAPE_CONCAT_(a, b)
#define ESCAPE_CHUNKS ESCAPE_CONCAT(escape_chunks_, ESCAPE_SUFFIX)
#define ESCAPE_BYTES ESCAPE_CONCAT(escape_bytes_, ESCAPE_SUFFIX)
#if ESCAPE_WIDTH == ESCAPE_PORTABLE
#define ESCAPE_CHUNK 8
#else
#define ESCAPE_CHUNK 16
#endif
/* Copy the run of n plain bytes at src to dst (n < the chunk's width), avail bytes of the
 * string being readable at src: a whole chunk where the string has one, else exactly n. */
#if ESCAPE_WIDTH == ESCAPE_AVX2
#define ESCAPE_COPY_RUN(dst, src, n, avail)                                                 \
    do {                                                                                    \
        if ((avail) >= 32) memcpy((dst), (src), 32);                                        \
        else copy_upto32((unsigned char *)(dst), (src), (n));                               \
    } while (0)
#else
#define ESCAPE_COPY_RUN(dst, src, n, avail)                                                 \
    do {                                                                                    \
        if ((avail) >= ESCAPE_CHUNK) memcpy((dst), (src), ESCAPE_CHUNK);                    \
        else copy_short((unsigned char *)(dst), (src), (n));                                \
    } while (0)
#endif

/* Escape src from *pos on, while *pos < stop, writing at o; return the new output position
 * and leave *pos after the last byte consumed (up to ESCAPE_ROOM_CHUNK bytes past stop). Each step copies a
 * whole chunk to o and then writes its special bytes again, if any: an ASCII byte from
 * ASCII_ESCAPES, a run of non-ASCII bytes sequence by sequence (well-formed ones as they
 * are, each other byte as U+FFFD). With SSE2 or AVX2, a run of non-ASCII bytes after the
 * first DENSE_UTF8_AFTER, when they came one per DENSE_UTF8_SPAN bytes or closer, makes it
 * validate the rest of the string at once (utf8_valid, a block at a time; *state keeps the
 * answer across calls): when it is well-formed, from then on only quotes, backslashes and
 * control characters stop a chunk, and text dense with multibyte characters is copied a
 * chunk at a time. With AVX2, a chunk is 32 bytes where the string has that many. src must be readable for ESCAPE_CHUNK bytes from every position before stop;
 * src_len is the string's length (how far a UTF-8 sequence or a copy may reach); o must
 * have escape_room(stop - *pos) bytes of room. */
static inline __attribute__((always_inline)) ESCAPE_TARGET char *
ESCAPE_CHUNKS(char *o, const unsigned char *src, size_t *pos, size_t stop, size_t src_len,
              escape_state *state) {
    size_t i = *pos;
    while (i < stop) {
#if ESCAPE_WIDTH != ESCAPE_PORTABLE
        /* Every special byte of a chunk from one load: text dense with quotes (JSON inside a
         * string) has several per chunk, and reloading after each one cost more in branch
         * misses than it saved (about 2.8 times slower on GenAI message JSON). The plain
         * bytes before each special are copied again, as the escapes before them moved the
         * output; a non-ASCII byte ends the visit and goes to the sequence check below. */
        size_t chunk_start = i, width = ESCAPE_CHUNK;
        unsigned mask;
#if ESCAPE_WIDTH == ESCAPE_AVX2
        if (src_len - i >= 32) { /* a 32-byte chunk where the string has one */
            width = 32;
            __m256i bytes = _mm256_loadu_si256((const __m256i *)(const void *)(src + i));
            _mm256_storeu_si256((__m256i *)(void *)o, bytes);
            unsigned quotes = (unsigned)_mm256_movemask_epi8(
                _mm256_or_si256(_mm256_cmpeq_epi8(bytes, _mm256_set1_epi8('"')),
                                _mm256_cmpeq_epi8(bytes, _mm256_set1_epi8('\\'))));
            unsigned others = (unsigned)_mm256_movemask_epi8(
                state->rest == UTF8_REST_VALID
                    /* unsigned bytes <= 0x1F */
                    ? _mm256_cmpeq_epi8(_mm256_min_epu8(bytes, _mm256_set1_epi8(0x1F)), bytes)
                    /* signed: bytes >= 0x80 are negative, so "below 0x20" catches them too */
                    : _mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), bytes));
            if (quotes && !others) {
                /* quotes and backslashes, nothing else to look at (JSON inside a string,
                 * text with line breaks escaped): each gets its backslash, no branch */
                o = escape_quotes_avx2(o, src + i, quotes);
                i += 32;
                continue;
            }
            mask = quotes | others;
        } else {
            mask = state->rest == UTF8_REST_VALID
                       ? swar_copy_escape_mask(o, (const char *)src + i)
                       : swar_copy_special_mask(o, (const char *)src + i);
        }
#else
        mask = state->rest == UTF8_REST_VALID ? swar_copy_escape_mask(o, (const char *)src + i)
                                              : swar_copy_special_mask(o, (const char *)src + i);
#endif
        if (!mask) {
            i += width;
            o += width;
            continue;
        }
        for (;;) {
            size_t at = chunk_start + (unsigned)__builtin_ctz(mask);
            if (at > i) { /* read a whole chunk only where the string has one */
                ESCAPE_COPY_RUN(o, src + i, at - i, src_len - i);
                o += at - i;
                i = at;
            }
            if (src[i] >= 0x80) break;
            const ascii_escape *escape = &ASCII_ESCAPES[src[i]];
            memcpy(o, escape, sizeof *escape);
            o += escape->length;
            i++;
            mask &= mask - 1;
            if (!mask) { /* the rest of the chunk is plain */
                size_t end = chunk_start + width;
                if (end > i) {
                    ESCAPE_COPY_RUN(o, src + i, end - i, src_len - i);
                    o += end - i;
                    i = end;
                }
                break;
            }
        }
        if (i >= stop || src[i] < 0x80 || state->rest == UTF8_REST_VALID) continue;
        if (state->rest == UTF8_REST_UNKNOWN && ++state->high_runs > DENSE_UTF8_AFTER &&
            i < DENSE_UTF8_SPAN * state->high_runs) {
            state->rest = utf8_valid((const char *)src + i, src_len - i, NULL)
                              ? UTF8_REST_VALID
                              : UTF8_REST_INVALID;
            if (state->rest == UTF8_REST_VALID) continue;
        }
#else
        (void)state;
        unsigned plain = swar_copy_find_special_word(o, (const char *)src + i);
        i += plain;
        o += plain;
        if (plain == ESCAPE_CHUNK) continue;
        unsigned char c = src[i];
        if (c < 0x80) {
            const ascii_escape *escape = &ASCII_ESCAPES[c];
            memcpy(o, escape, sizeof *escape);
            o += escape->length;
            i++;
            continue;
        }
#endif
        do {
            size_t length = utf8_sequence_length(src + i, src_len - i);
            if (length) { /* 2 to 4 bytes as two overlapping 2-byte copies, within the string */
                memcpy(o, src + i, 2);
                memcpy(o + length - 2, src + i + length - 2, 2);
                o += length;
                i += length;
            } else {
                memcpy(o, REPLACEMENT_CHARACTER, sizeof REPLACEMENT_CHARACTER - 1);
                o += sizeof REPLACEMENT_CHARACTER - 1;
                i++;
            }
        } while (i < stop && src[i] >= 0x80);
    }
    *pos = i;
    return o;
}

/* Write the escaped bytes of s[0..len) (no quotes) at o, which has room for the first
 * block (escape_room(min(len, ESCAPE_BLOCK))), reserving more in out as later blocks need;
 * return the output position after them; rest is what is known of the string's UTF-8
 * (UTF8_REST_VALID: vouched for by the caller; the portable implementation checks anyway).
 * The string is read a chunk at a time straight into
 * the output; the last bytes, fewer than a chunk, are copied into a buffer padded with
 * spaces (which need no escape) and read the same way, the padding's copies then dropped. */
static ESCAPE_TARGET char *ESCAPE_BYTES(buf_t *out, char *o, const unsigned char *s,
                                        size_t len, utf8_rest rest) {
    size_t i = 0;
    escape_state state = {rest, 0};
    if (len >= ESCAPE_CHUNK) {
        size_t stop = len - ESCAPE_CHUNK + 1; /* a whole chunk can be read before this */
        for (;;) {
            size_t block_stop = stop - i > ESCAPE_BLOCK ? i + ESCAPE_BLOCK : stop;
            o = ESCAPE_CHUNKS(o, s, &i, block_stop, len, &state);
            if (i >= stop) break;
            o = reserve(out, (size_t)(o - out->data), escape_room(ESCAPE_BLOCK));
        }
        if (len > ESCAPE_BLOCK)
            o = reserve(out, (size_t)(o - out->data), escape_room(ESCAPE_CHUNK));
    }
    if (i < len) {
        unsigned char padded[2 * ESCAPE_CHUNK];
        size_t tail_len = len - i, tail_pos = 0;
        memset(padded, ' ', sizeof padded);
        copy_short(padded, s + i, tail_len);
        o = ESCAPE_CHUNKS(o, padded, &tail_pos, tail_len, tail_len, &state);
        o -= tail_pos - tail_len; /* the padding spaces copied past the end */
    }
    return o;
}

#undef ESCAPE_COPY_RUN
#undef ESCAPE_CHUNK
#undef ESCAPE_BYTES
#undef ESCAPE_CHUNKS
#undef ESCAPE_CONCAT
#undef ESCAPE_CONCAT_
