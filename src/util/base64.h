/* base64url without padding (RFC 4648 section 5): the alphabet of context tokens, safe in
 * URLs, JSON and OpenAI metadata values. */
#ifndef BT_UTIL_BASE64_H
#define BT_UTIL_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Characters base64url_encode writes for len bytes (without the NUL). */
size_t base64url_encoded_len(size_t len);
/* Encode len bytes into out (base64url_encoded_len(len) + 1 bytes, NUL-terminated). */
void base64url_encode(const uint8_t *bytes, size_t len, char *out);
/* Decode text[0..text_len) into out (room for out_cap bytes); *out_len gets the count.
 * False on a character outside the alphabet, padding, a length no encoding has, or
 * non-zero unused bits (so every byte string has exactly one encoding). */
bool base64url_decode(const char *text, size_t text_len, uint8_t *out, size_t out_cap,
                      size_t *out_len);

#endif
