/* The protobuf wire format's varints, shared by the OTLP encoder (otlp_proto.c), the
 * request splitter (otlp_split.c) and the response reader (otlp_response.c): one writer,
 * one reader, so the three cannot disagree. Header-only: every function is small and on
 * the encoder's hot path. */
#ifndef BT_EXPORT_PB_WIRE_H
#define BT_EXPORT_PB_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Bytes the largest varint (a 64-bit value) takes. */
enum { PB_VARINT_MAX = 10 };

/* How many bytes the varint encoding of v takes (1 to 10). */
static inline size_t pb_varint_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Write v as a base-128 varint at p, which has room for it; returns the byte after it. */
static inline char *pb_raw_varint(char *p, uint64_t v) {
    while (v >= 0x80) {
        *p++ = (char)((v & 0x7F) | 0x80);
        v >>= 7;
    }
    *p++ = (char)v;
    return p;
}

/* Append v to out as a base-128 varint. */
static inline void pb_put_varint(buf_t *out, uint64_t v) {
    char bytes[PB_VARINT_MAX];
    buf_append(out, bytes, (size_t)(pb_raw_varint(bytes, v) - bytes));
}

/* Read a varint at *at (before end) into *value, moving *at past it. false when it runs
 * past end or is not a 64-bit varint (over 10 bytes, or a 10th byte above 1). */
static inline bool pb_read_varint(const uint8_t **at, const uint8_t *end, uint64_t *value) {
    uint64_t result = 0;
    for (unsigned shift = 0; shift < 70 && *at < end; shift += 7) {
        uint8_t byte = *(*at)++;
        if (shift == 63 && byte > 1) return false; /* the 10th byte holds only bit 63 */
        result |= (uint64_t)(byte & 0x7F) << shift;
        if (!(byte & 0x80)) {
            *value = result;
            return true;
        }
    }
    return false;
}

#endif
