/* The JSON reader (see json.h). json_parse tokenizes one document in a single pass that also
 * checks it strictly (RFC 8259 grammar, UTF-8 inside strings, nesting depth, the token
 * limit) and links each container to the token after its subtree, so json_next is O(1).
 * That pass only says yes or no: when it says no, the document is checked again by the
 * slower two-step path that words the reason (utf8_valid over the whole text, then
 * validate(), one strict grammar pass), so a document with several faults is always
 * described by the same one. Byte offsets in reasons count from 0. */
#include "json/json.h"
#include "json/swar.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/reason.h"
#include "util/utf8.h"

/* Deeper documents are rejected: no LLM request or response nests anywhere near this. */
enum { JSON_MAX_DEPTH = 256 };
/* The smallest token buffer allocated. */
enum { JSON_MIN_TOKENS = 64 };
/* More values are rejected: tokens cost 20 bytes each, ten times a value as short as "0,",
 * so a hostile line of small values would otherwise take ten times its size in memory.
 * The largest real records (OpenAI embedding results of 2048 inputs of 3072 dimensions)
 * hold about 6.3 million values; this bounds the token buffer to 160 MiB. */
enum { JSON_MAX_TOKENS = 1 << 23 };
/* Token buffers grow by doubling up to this many tokens (1.25 MiB), and past it to the exact
 * count of the document (see room_for_token). */
enum { JSON_COUNTED_TOKENS = 1 << 16 };

/* One token. Its kind is the json_type of its value, found once while tokenizing. */
struct json_token {
    int start;              /* offset of its first byte (a string's: after the quote) */
    int end;                /* offset after its last byte (a string's: the closing quote) */
    int size;               /* containers: members or elements; unset for anything else */
    int next;               /* containers: the token after the subtree; unset otherwise */
    unsigned char kind;     /* a json_type, never JSON_NONE */
    unsigned char escaped;  /* strings: ESCAPED_ANY when the body holds a backslash, with
                               ESCAPED_OTHER_FORM when one of its escapes is not the form
                               the JSON writer writes (a \/, or a \uXXXX but a control
                               character's \u00xx in lowercase) */
};

/* The bits of json_token.escaped. */
#define ESCAPED_ANY 1u
#define ESCAPED_OTHER_FORM 2u

/* ---- the worded check, for documents the tokenizer refused ---- */

/* The state of one validate() pass over text[0..len). */
typedef struct validator {
    const char *text;  /* the document */
    size_t len;        /* its length */
    size_t pos;        /* the next byte to read */
    int token_count;   /* tokens the document holds in what was read so far */
    char *reason;      /* where a failure is described */
} validator;

/* Fail with "invalid JSON at byte OFFSET: WHAT", or "unexpected end of input" when the
 * offset is the end of the text (the expectation matters less than the truncation). */
static int syntax_error(const validator *v, size_t offset, const char *what) {
    if (offset >= v->len) what = "unexpected end of input";
    return fail(v->reason, "invalid JSON at byte %zu: %s", offset, what);
}

/* Advance past JSON whitespace (space, tab, LF, CR). */
static void skip_whitespace(validator *v) {
    while (v->pos < v->len) {
        char c = v->text[v->pos];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return;
        v->pos++;
    }
}

/* True for '0'..'9'. */
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* True for a hexadecimal digit of either case. */
static bool is_hex_digit(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* True when a byte that may continue a number or literal follows it (so "01", "1.",
 * "truex" are rejected as a whole rather than split into two values). */
static bool continues_word(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
           c == '+' || c == '-';
}

/* True when one of the 8 bytes at p is a '"', a '\\' or a control character (< 0x20):
 * the bytes a string scan must look at one by one. */
static inline bool word_needs_attention(const char *p) {
    return swar_string_specials(swar_load(p)) != 0;
}

/* Check the string whose opening quote is at v->pos and move past its closing quote.
 * Allowed escapes: \" \\ \/ \b \f \n \r \t \uXXXX; raw control characters are not. */
static int scan_string(validator *v) {
    const char *text = v->text;
    size_t i = v->pos + 1;
    for (;;) {
        while (v->len - i >= 8 && !word_needs_attention(text + i)) i += 8;
        if (i >= v->len) return syntax_error(v, v->pos, "unterminated string");
        unsigned char c = (unsigned char)text[i];
        if (c == '"') break;
        if (c < 0x20) return syntax_error(v, i, "control character in string (must be escaped)");
        if (c != '\\') {
            i++;
            continue;
        }
        if (i + 1 >= v->len) return syntax_error(v, v->pos, "unterminated string");
        switch (text[i + 1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            i += 2;
            break;
        case 'u':
            for (size_t digit = 2; digit < 6; digit++) {
                if (i + digit >= v->len) return syntax_error(v, v->pos, "unterminated string");
                if (!is_hex_digit(text[i + digit]))
                    return syntax_error(v, i, "invalid \\u escape (needs 4 hex digits)");
            }
            i += 6;
            break;
        default:
            return syntax_error(v, i, "invalid escape in string");
        }
    }
    v->pos = i + 1;
    v->token_count++;
    return 0;
}

/* Check the number at v->pos: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int scan_number(validator *v) {
    const char *text = v->text;
    size_t start = v->pos, i = v->pos, len = v->len;
    if (text[i] == '-') i++;
    if (i < len && text[i] == '0') {
        i++;
    } else if (i < len && text[i] >= '1' && text[i] <= '9') {
        while (i < len && is_digit(text[i])) i++;
    } else {
        return syntax_error(v, start, "invalid number");
    }
    if (i < len && text[i] == '.') {
        i++;
        if (i >= len || !is_digit(text[i])) return syntax_error(v, start, "invalid number");
        while (i < len && is_digit(text[i])) i++;
    }
    if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        i++;
        if (i < len && (text[i] == '+' || text[i] == '-')) i++;
        if (i >= len || !is_digit(text[i])) return syntax_error(v, start, "invalid number");
        while (i < len && is_digit(text[i])) i++;
    }
    if (i < len && continues_word(text[i])) return syntax_error(v, start, "invalid number");
    v->pos = i;
    v->token_count++;
    return 0;
}

/* Check the literal true, false or null at v->pos. */
static int scan_literal(validator *v) {
    const char *word = v->text[v->pos] == 't' ? "true" : v->text[v->pos] == 'f' ? "false" : "null";
    size_t word_len = strlen(word), end = v->pos + word_len;
    if (end > v->len || memcmp(v->text + v->pos, word, word_len) != 0 ||
        (end < v->len && continues_word(v->text[end])))
        return syntax_error(v, v->pos, "invalid literal (expected true, false or null)");
    v->pos = end;
    v->token_count++;
    return 0;
}

/* Check an object key and its colon at v->pos, leaving v->pos at the value. */
static int scan_key(validator *v) {
    if (v->pos >= v->len || v->text[v->pos] != '"')
        return syntax_error(v, v->pos, "expected a string key");
    if (scan_string(v) < 0) return -1;
    skip_whitespace(v);
    if (v->pos >= v->len || v->text[v->pos] != ':') return syntax_error(v, v->pos, "expected ':'");
    v->pos++;
    skip_whitespace(v);
    return 0;
}

/* Check that text[0..len) is exactly one JSON value with optional surrounding whitespace.
 * On success *token_count is the number of tokens the document holds. Iterative, with the
 * open containers on a bounded stack. */
static int validate(const char *text, size_t len, int *token_count, char *reason) {
    validator v = {text, len, 0, 0, reason};
    bool open_is_object[JSON_MAX_DEPTH]; /* the open containers, outermost first */
    int depth = 0;
    skip_whitespace(&v);
    for (;;) {
        /* A value starts at v.pos. */
        if (v.pos >= len) return syntax_error(&v, v.pos, "unexpected end of input");
        char c = text[v.pos];
        if (c == '{' || c == '[') {
            if (depth == JSON_MAX_DEPTH)
                return fail(reason, "JSON nested deeper than %d levels at byte %zu", JSON_MAX_DEPTH,
                            v.pos);
            open_is_object[depth++] = c == '{';
            v.token_count++;
            v.pos++;
            skip_whitespace(&v);
            if (v.pos < len && text[v.pos] == (c == '{' ? '}' : ']')) {
                depth--;
                v.pos++;
            } else {
                if (c == '{' && scan_key(&v) < 0) return -1;
                continue;
            }
        } else if (c == '"') {
            if (scan_string(&v) < 0) return -1;
        } else if (c == '-' || is_digit(c)) {
            if (scan_number(&v) < 0) return -1;
        } else if (c == 't' || c == 'f' || c == 'n') {
            if (scan_literal(&v) < 0) return -1;
        } else {
            return syntax_error(&v, v.pos, "expected a value");
        }
        /* A value ended: close containers until one continues with ','. */
        for (;;) {
            skip_whitespace(&v);
            if (depth == 0) {
                if (v.pos != len) return syntax_error(&v, v.pos, "unexpected data after the value");
                *token_count = v.token_count;
                return 0;
            }
            bool in_object = open_is_object[depth - 1];
            if (v.pos < len && text[v.pos] == (in_object ? '}' : ']')) {
                depth--;
                v.pos++;
                continue;
            }
            if (v.pos >= len || text[v.pos] != ',')
                return syntax_error(&v, v.pos,
                                    in_object ? "expected ',' or '}'" : "expected ',' or ']'");
            v.pos++;
            skip_whitespace(&v);
            if (in_object && scan_key(&v) < 0) return -1;
            break;
        }
    }
}

/* ---- the tokenizer ---- */

/* The first offset from i on that is not JSON whitespace. */
static inline size_t skip_space(const unsigned char *bytes, size_t len, size_t i) {
    while (i < len && bytes[i] <= ' ' &&
           (bytes[i] == ' ' || bytes[i] == '\n' || bytes[i] == '\r' || bytes[i] == '\t'))
        i++;
    return i;
}

/* Non-ASCII characters the string scan checks one by one before it validates the rest of
 * the string at once, a block at a time (tokenize_string): a name or a word with an accent
 * costs no block check, longer text with several goes at the block check's speed, whether
 * they are dense (another script) or a few in a long answer. (A scan that kept checking
 * sparse characters one by one, as the writer's escaper does, ran 1% more instructions on
 * the bench's prose and more on its long answers.) */
#define DENSE_UTF8_AFTER 4

/* ---- the string scan, 32 bytes a step where the processor has AVX2 ---- */

#if defined(__x86_64__) && defined(__GNUC__) && defined(__SSE2__)
#define JSON_SCAN_HAVE_AVX2 1
#include <immintrin.h>

/* swar_find_special 32 bytes a step: the offset of the first '"', '\\', control character
 * or non-ASCII byte of p[0..len), or len (the last bytes, under 32, by swar_find_special). */
__attribute__((target("avx2"))) static size_t find_special_avx2(const char *p, size_t len) {
    const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\');
    const __m256i space = _mm256_set1_epi8(0x20);
    size_t i = 0;
    for (; len - i >= 32; i += 32) {
        __m256i bytes = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
        /* signed: bytes >= 0x80 are negative, so "below 0x20" catches them too */
        __m256i special = _mm256_or_si256(_mm256_cmpgt_epi8(space, bytes),
                                          _mm256_or_si256(_mm256_cmpeq_epi8(bytes, quote),
                                                          _mm256_cmpeq_epi8(bytes, backslash)));
        unsigned mask = (unsigned)_mm256_movemask_epi8(special);
        if (mask) return i + (unsigned)__builtin_ctz(mask);
    }
    return i + swar_find_special(p + i, len - i);
}

/* swar_find_string_stop 32 bytes a step: the offset of the first '"', '\\' or control
 * character of p[0..len), or len; *high set when a byte looked at may be non-ASCII. */
__attribute__((target("avx2"))) static size_t find_string_stop_avx2(const char *p, size_t len,
                                                                    bool *high) {
    const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\');
    const __m256i last_control = _mm256_set1_epi8(0x1F);
    __m256i seen = _mm256_setzero_si256();
    size_t i = 0;
    for (; len - i >= 32; i += 32) {
        __m256i bytes = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
        seen = _mm256_or_si256(seen, bytes);
        /* unsigned bytes <= 0x1F: the minimum with 0x1F is the byte itself */
        __m256i special = _mm256_or_si256(
            _mm256_cmpeq_epi8(_mm256_min_epu8(bytes, last_control), bytes),
            _mm256_or_si256(_mm256_cmpeq_epi8(bytes, quote), _mm256_cmpeq_epi8(bytes, backslash)));
        unsigned mask = (unsigned)_mm256_movemask_epi8(special);
        if (mask) {
            if (_mm256_movemask_epi8(seen)) *high = true;
            return i + (unsigned)__builtin_ctz(mask);
        }
    }
    if (_mm256_movemask_epi8(seen)) *high = true;
    return i + swar_find_string_stop(p + i, len - i, high);
}
#endif

/* The string scan tokenize_string uses: the widest the processor has, chosen before main
 * runs (so no thread races on it); tests change it with json_scan_impl_set. */
static json_scan_impl chosen_scan_impl = JSON_SCAN_NARROW;

/* See json.h. */
json_scan_impl json_scan_impl_widest(void) {
#ifdef JSON_SCAN_HAVE_AVX2
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) return JSON_SCAN_AVX2;
#endif
    return JSON_SCAN_NARROW;
}

/* Pick the widest string scan, once, before main runs. */
__attribute__((constructor)) static void json_scan_choose(void) {
    chosen_scan_impl = json_scan_impl_widest();
}

/* See json.h. */
bool json_scan_impl_set(json_scan_impl impl) {
    if (impl > json_scan_impl_widest()) return false;
    chosen_scan_impl = impl;
    return true;
}

/* The bytes scanned inline before the AVX2 functions (out of line) take over: a stop
 * found there, as in most keys, values and text dense with escapes, costs no call. */
#define SCAN_INLINE (2 * SWAR_CHUNK)
/* Scans of fewer bytes than this stay inline. */
#define SCAN_WIDE_FROM (SCAN_INLINE + 32)

/* swar_find_special over p[0..len) (see swar.h), 32 bytes a step past the first chunk
 * when the chosen scan is AVX2: the same stops for every caller. */
static inline size_t find_special(const char *p, size_t len) {
#ifdef JSON_SCAN_HAVE_AVX2
    if (chosen_scan_impl == JSON_SCAN_AVX2 && len >= SCAN_WIDE_FROM) {
        size_t first = swar_find_special(p, SCAN_INLINE);
        if (first < SCAN_INLINE) return first;
        return SCAN_INLINE + find_special_avx2(p + SCAN_INLINE, len - SCAN_INLINE);
    }
#endif
    return swar_find_special(p, len);
}

/* swar_find_string_stop over p[0..len), as find_special. */
static inline size_t find_string_stop(const char *p, size_t len, bool *high) {
#ifdef JSON_SCAN_HAVE_AVX2
    if (chosen_scan_impl == JSON_SCAN_AVX2 && len >= SCAN_WIDE_FROM) {
        size_t first = swar_find_string_stop(p, SCAN_INLINE, high);
        if (first < SCAN_INLINE) return first;
        return SCAN_INLINE + find_string_stop_avx2(p + SCAN_INLINE, len - SCAN_INLINE, high);
    }
#endif
    return swar_find_string_stop(p, len, high);
}

/* True when the four hex digits at u are how the JSON writer escapes a control character
 * (\u00XX, lowercase, for the controls without a two-character escape). */
static inline bool control_escape_in_writer_form(const unsigned char *u) {
    if (u[0] != '0' || u[1] != '0' || (u[2] != '0' && u[2] != '1')) return false;
    unsigned low;
    if (u[3] >= '0' && u[3] <= '9') low = (unsigned)(u[3] - '0');
    else if (u[3] >= 'a' && u[3] <= 'f') low = (unsigned)(u[3] - 'a' + 10);
    else return false;
    unsigned c = (unsigned)(u[2] - '0') * 16 + low;
    return c != '\b' && c != '\t' && c != '\n' && c != '\f' && c != '\r';
}

/* Find the end of the string body starting at *pos (after the opening quote): on success
 * *pos is the closing quote's offset and *escaped holds ESCAPED_ANY when a backslash occurred,
 * with ESCAPED_OTHER_FORM when an escape was not in the writer's form (\/, or a \uXXXX
 * other than a control character's \u00xx). False
 * on anything validate() would reject: a raw control character, a bad escape, ill-formed
 * UTF-8, no closing quote. Plain bytes are skipped by swar_find_special and the first
 * non-ASCII characters checked one by one; after DENSE_UTF8_AFTER of them, only quotes,
 * backslashes and control characters stop the scan (swar_find_string_stop), and the UTF-8
 * of the rest of the body is validated at once at its end (utf8_valid: a block at a time). */
static inline __attribute__((always_inline)) bool tokenize_string(const unsigned char *bytes, size_t len, size_t *pos,
                                   unsigned char *escaped) {
    size_t i = *pos, validate_from = 0;
    unsigned non_ascii = 0; /* non-ASCII characters checked one by one */
    bool validate_at_end = false; /* from validate_from on: the UTF-8 is checked at the end */
    bool high = false;      /* non-ASCII bytes after validate_from */
    for (;;) {
        if (!validate_at_end)
            i += find_special((const char *)bytes + i, len - i);
        else
            i += find_string_stop((const char *)bytes + i, len - i, &high);
        if (i >= len) return false;
        unsigned char c = bytes[i];
        if (c == '"') {
            if (high && !utf8_valid((const char *)bytes + validate_from, i - validate_from, NULL))
                return false;
            *pos = i;
            return true;
        }
        if (c == '\\') {
            if (len - i < 2) return false;
            *escaped |= ESCAPED_ANY;
            switch (bytes[i + 1]) {
            case '/':
                *escaped |= ESCAPED_OTHER_FORM;
                i += 2;
                break;
            case '"': case '\\': case 'b': case 'f': case 'n': case 'r': case 't':
                i += 2;
                break;
            case 'u':
                if (len - i < 6) return false;
                for (size_t digit = 2; digit < 6; digit++)
                    if (!is_hex_digit((char)bytes[i + digit])) return false;
                if (!control_escape_in_writer_form(bytes + i + 2)) *escaped |= ESCAPED_OTHER_FORM;
                i += 6;
                break;
            default:
                return false;
            }
        } else if (c >= 0x80 && !validate_at_end) {
            size_t length = utf8_sequence_length(bytes + i, len - i);
            if (length == 0) return false;
            i += length;
            if (++non_ascii >= DENSE_UTF8_AFTER) {
                validate_at_end = true;
                validate_from = i;
            }
        } else if (c < 0x20) {
            return false;
        } else {
            high |= c >= 0x80;
            i++; /* a plain or non-ASCII byte flagged next to a special one */
        }
    }
}

/* Move *pos past the number starting there: the grammar of scan_number. */
static inline bool tokenize_number(const unsigned char *bytes, size_t len, size_t *pos) {
    size_t i = *pos;
    if (bytes[i] == '-') i++;
    if (i < len && bytes[i] == '0') {
        i++;
    } else if (i < len && bytes[i] >= '1' && bytes[i] <= '9') {
        while (i < len && is_digit((char)bytes[i])) i++;
    } else {
        return false;
    }
    if (i < len && bytes[i] == '.') {
        i++;
        if (i >= len || !is_digit((char)bytes[i])) return false;
        while (i < len && is_digit((char)bytes[i])) i++;
    }
    if (i < len && (bytes[i] == 'e' || bytes[i] == 'E')) {
        i++;
        if (i < len && (bytes[i] == '+' || bytes[i] == '-')) i++;
        if (i >= len || !is_digit((char)bytes[i])) return false;
        while (i < len && is_digit((char)bytes[i])) i++;
    }
    if (i < len && continues_word((char)bytes[i])) return false;
    *pos = i;
    return true;
}

/* Move *pos past the literal word (true, false, null) starting there. */
static inline bool tokenize_literal(const unsigned char *bytes, size_t len, size_t *pos,
                                    const char *word, size_t word_len) {
    size_t i = *pos;
    if (len - i < word_len || memcmp(bytes + i, word, word_len) != 0) return false;
    i += word_len;
    if (i < len && continues_word((char)bytes[i])) return false;
    *pos = i;
    return true;
}

/* Make room for one more token after count: false past JSON_MAX_TOKENS. The tokens
 * already written are kept. The buffer doubles up to JSON_COUNTED_TOKENS; a document with
 * more tokens is counted first by validate(), so the buffer grows once to its exact size
 * and a hostile document is refused before its tokens take any memory. */
static bool room_for_token(json_doc *doc, int count) {
    if ((unsigned)count < doc->tok_cap) return true;
    unsigned cap = doc->tok_cap >= JSON_MIN_TOKENS ? doc->tok_cap * 2 : JSON_MIN_TOKENS;
    if (cap > JSON_COUNTED_TOKENS) {
        char ignored[REASON_MAX];
        int token_count = 0;
        if (validate(doc->text, doc->len, &token_count, ignored) < 0 ||
            token_count > JSON_MAX_TOKENS || token_count <= count)
            return false;
        cap = (unsigned)token_count;
    }
    doc->toks = xreallocarray(doc->toks, cap, sizeof *doc->toks);
    doc->tok_cap = cap;
    return true;
}

/* Tokenize text[0..len) into doc in one pass, checking everything validate() checks. True
 * when the document is valid (doc->tok_count set); false, with no reason, when it is not.
 * Iterative: the open containers are on a bounded stack, and the innermost one's token, kind
 * and value count are kept in locals (written to its token when it closes). */
static bool tokenize(json_doc *doc, const char *text, size_t len) {
    const unsigned char *bytes = (const unsigned char *)text;
    int open[JSON_MAX_DEPTH];           /* token numbers of the open containers, outermost first */
    int enclosing_values[JSON_MAX_DEPTH]; /* open[d]'s parent's value count while open[d] is */
    int depth = 0, count = 0;
    int parent = -1;        /* the innermost open container (open[depth - 1]) */
    bool in_object = false; /* whether parent is an object */
    int values = 0;         /* the values parent holds so far (an object's: one per member) */
    struct json_token *toks = doc->toks, *tok;
    unsigned cap = doc->tok_cap;
    size_t i = skip_space(bytes, len, 0);

value: /* a value starts at i */
    if (i >= len) return false;
    if ((unsigned)count >= cap) {
        if (!room_for_token(doc, count)) return false;
        toks = doc->toks;
        cap = doc->tok_cap;
    }
    tok = &toks[count];
    tok->start = (int)i;
    tok->escaped = 0;
    values++;
    switch (bytes[i]) {
    case '{':
    case '[': {
        bool is_object = bytes[i] == '{';
        if (depth == JSON_MAX_DEPTH) return false;
        tok->kind = is_object ? JSON_OBJECT : JSON_ARRAY;
        enclosing_values[depth] = values;
        open[depth++] = count;
        parent = count++;
        in_object = is_object;
        values = 0;
        i = skip_space(bytes, len, i + 1);
        if (i < len && bytes[i] == (is_object ? '}' : ']')) goto close;
        if (is_object) goto key;
        goto value;
    }
    case '"': {
        unsigned char escaped = 0;
        i++;
        tok->start = (int)i;
        if (!tokenize_string(bytes, len, &i, &escaped)) return false;
        tok->kind = JSON_STRING;
        tok->escaped = escaped;
        tok->end = (int)i++;
        break;
    }
    case 't':
        if (!tokenize_literal(bytes, len, &i, "true", 4)) return false;
        tok->kind = JSON_TRUE;
        tok->end = (int)i;
        break;
    case 'f':
        if (!tokenize_literal(bytes, len, &i, "false", 5)) return false;
        tok->kind = JSON_FALSE;
        tok->end = (int)i;
        break;
    case 'n':
        if (!tokenize_literal(bytes, len, &i, "null", 4)) return false;
        tok->kind = JSON_NULL;
        tok->end = (int)i;
        break;
    default:
        if (bytes[i] != '-' && !is_digit((char)bytes[i])) return false;
        if (!tokenize_number(bytes, len, &i)) return false;
        tok->kind = JSON_NUMBER;
        tok->end = (int)i;
        break;
    }
    count++;

after_value: /* a value ended before i */
    i = skip_space(bytes, len, i);
    if (depth == 0) {
        doc->tok_count = count;
        return i == len;
    }
    if (i >= len) return false;
    if (bytes[i] == ',') {
        i = skip_space(bytes, len, i + 1);
        if (in_object) goto key;
        goto value;
    }
    if (bytes[i] != (in_object ? '}' : ']')) return false;

close: /* the innermost container closes at i */
    tok = &toks[parent];
    tok->end = (int)i + 1;
    tok->size = values;
    tok->next = count;
    values = enclosing_values[--depth];
    if (depth > 0) {
        parent = open[depth - 1];
        in_object = toks[parent].kind == JSON_OBJECT;
    }
    i++;
    goto after_value;

key: /* an object member starts at i */
    if (i >= len || bytes[i] != '"') return false;
    if ((unsigned)count >= cap) {
        if (!room_for_token(doc, count)) return false;
        toks = doc->toks;
        cap = doc->tok_cap;
    }
    tok = &toks[count];
    {
        unsigned char escaped = 0;
        i++;
        tok->start = (int)i;
        if (!tokenize_string(bytes, len, &i, &escaped)) return false;
        tok->kind = JSON_STRING;
        tok->escaped = escaped;
        tok->end = (int)i;
    }
    count++;
    i = skip_space(bytes, len, i + 1);
    if (i >= len || bytes[i] != ':') return false;
    i = skip_space(bytes, len, i + 1);
    goto value;
}

/* See json.h. */
int json_parse(json_doc *doc, const char *text, size_t len, char *reason) {
    doc->text = text;
    doc->len = len;
    doc->tok_count = 0;
    if (len >= INT_MAX) return fail(reason, "JSON document too large (%zu bytes)", len);
    if (tokenize(doc, text, len)) return 0;
    doc->tok_count = 0;
    size_t bad_offset = 0;
    if (!utf8_valid(text, len, &bad_offset))
        return fail(reason, "invalid UTF-8 at byte %zu", bad_offset);
    int token_count = 0;
    if (validate(text, len, &token_count, reason) < 0) return -1;
    if (token_count > JSON_MAX_TOKENS)
        return fail(reason, "JSON document of %d values, over the limit of %d", token_count,
                    JSON_MAX_TOKENS);
    return fail(reason, "invalid JSON: tokenizer disagrees with validator");
}

/* See json.h. */
void json_doc_free(json_doc *doc) {
    free(doc->toks);
    doc->toks = NULL;
    doc->tok_count = 0;
    doc->tok_cap = 0;
}

/* ---- lookups ---- */

/* True when tok indexes a token of the last parse. */
static bool token_exists(const json_doc *doc, int tok) { return tok >= 0 && tok < doc->tok_count; }

/* See json.h. */
json_type json_type_of(const json_doc *doc, int tok) {
    return token_exists(doc, tok) ? (json_type)doc->toks[tok].kind : JSON_NONE;
}

/* True for objects and arrays. */
static bool is_container(const json_doc *doc, int tok) {
    unsigned char kind = doc->toks[tok].kind;
    return kind == JSON_OBJECT || kind == JSON_ARRAY;
}

/* See json.h. */
int json_count(const json_doc *doc, int tok) {
    if (!token_exists(doc, tok) || !is_container(doc, tok)) return 0;
    return doc->toks[tok].size;
}

/* See json.h. */
int json_first(const json_doc *doc, int tok) { return json_count(doc, tok) > 0 ? tok + 1 : -1; }

/* See json.h. A key's subtree holds its value, but json_next on a key returns the value. */
int json_next(const json_doc *doc, int tok) {
    if (!token_exists(doc, tok)) return -1;
    return is_container(doc, tok) ? doc->toks[tok].next : tok + 1;
}

/* The bytes between a string token's quotes (the whole text of any other token). */
static bt_str token_text(const json_doc *doc, int tok) {
    const struct json_token *t = &doc->toks[tok];
    return (bt_str){doc->text + t->start, (size_t)(t->end - t->start)};
}

/* See json.h. */
bt_str json_raw(const json_doc *doc, int tok) {
    if (!token_exists(doc, tok)) return STR_NULL;
    bt_str text = token_text(doc, tok);
    if (doc->toks[tok].kind == JSON_STRING) {
        text.ptr--;
        text.len += 2;
    }
    return text;
}

/* ---- strings ---- */

/* The value of the 4 hex digits at p (validated by the parse). */
static unsigned hex4(const char *p) {
    unsigned value = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned digit = c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
        value = value << 4 | digit;
    }
    return value;
}

/* Write code point cp as UTF-8 to out; returns the byte count (1..4). */
static size_t encode_utf8(unsigned cp, char out[4]) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decode the escape at p (p[0] is a backslash) of a validated string ending at end. Writes
 * its UTF-8 bytes to out and returns their count; *consumed is the escape's length. A
 * \uXXXX high surrogate followed by a \uXXXX low one is one code point; any other
 * surrogate becomes U+FFFD. */
static size_t decode_escape(const char *p, const char *end, char out[4], size_t *consumed) {
    *consumed = 2;
    switch (p[1]) {
    case 'b': out[0] = '\b'; return 1;
    case 'f': out[0] = '\f'; return 1;
    case 'n': out[0] = '\n'; return 1;
    case 'r': out[0] = '\r'; return 1;
    case 't': out[0] = '\t'; return 1;
    case 'u': break;
    default: out[0] = p[1]; return 1; /* \" \\ \/ */
    }
    *consumed = 6;
    unsigned cp = hex4(p + 2);
    if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 12 && p[6] == '\\' && p[7] == 'u') {
        unsigned low = hex4(p + 8);
        if (low >= 0xDC00 && low <= 0xDFFF) {
            *consumed = 12;
            return encode_utf8(0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00), out);
        }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
    return encode_utf8(cp, out);
}

/* Unescape the validated string body raw[0..len) into out (room for len bytes: unescaping
 * never lengthens, so a 16-byte step, which reads raw[i, i + 16), writes no further than
 * out[i + 16)); returns the unescaped length. With SSE2, the 16 bytes after each escape are
 * copied and searched inline, so text dense with escapes (code, markdown) costs no call
 * per escape; a longer run goes to memchr and memcpy. */
static size_t unescape(const char *raw, size_t len, char *out) {
    size_t i = 0, written = 0;
    while (i < len) {
#ifdef __SSE2__
        if (len - i >= 16) {
            __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)(raw + i));
            _mm_storeu_si128((__m128i *)(void *)(out + written), bytes);
            unsigned backslashes =
                (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\')));
            if (backslashes) { /* an escape close by: no call */
                unsigned run = (unsigned)__builtin_ctz(backslashes);
                i += run;
                written += run;
                size_t consumed;
                written += decode_escape(raw + i, raw + len, out + written, &consumed);
                i += consumed;
                continue;
            }
            i += 16; /* a longer run: memchr's wider steps below */
            written += 16;
            if (i >= len) break;
        }
#endif
        {
            const char *backslash = memchr(raw + i, '\\', len - i);
            size_t run = (size_t)((backslash ? backslash : raw + len) - (raw + i));
            memcpy(out + written, raw + i, run);
            written += run;
            i += run;
            if (!backslash) break;
        }
        size_t consumed;
        written += decode_escape(raw + i, raw + len, out + written, &consumed);
        i += consumed;
    }
    return written;
}

/* True when the validated string body raw[0..raw_len), unescaped, equals s[0..s_len). */
static bool unescaped_equals(const char *raw, size_t raw_len, const char *s, size_t s_len) {
    const char *p = raw, *end = raw + raw_len;
    size_t matched = 0;
    while (p < end) {
        const char *backslash = memchr(p, '\\', (size_t)(end - p));
        size_t run = (size_t)((backslash ? backslash : end) - p);
        if (run > s_len - matched || memcmp(p, s + matched, run) != 0) return false;
        matched += run;
        if (!backslash) break;
        char bytes[4];
        size_t consumed, count = decode_escape(backslash, end, bytes, &consumed);
        if (count > s_len - matched || memcmp(bytes, s + matched, count) != 0) return false;
        matched += count;
        p = backslash + consumed;
    }
    return matched == s_len;
}

/* True when the first and the last width bytes of a[0..len) and b[0..len) are equal
 * (width <= 8 and <= len; a constant at each call, so each copy is one load). */
static inline bool ends_equal(const char *a, const char *b, size_t len, size_t width) {
    uint64_t a_head = 0, b_head = 0, a_tail = 0, b_tail = 0;
    memcpy(&a_head, a, width);
    memcpy(&b_head, b, width);
    memcpy(&a_tail, a + len - width, width);
    memcpy(&b_tail, b + len - width, width);
    return ((a_head ^ b_head) | (a_tail ^ b_tail)) == 0;
}

/* True when a[0..len) equals b[0..len): inline, with two overlapping loads of each for keys
 * of 4 to 16 bytes (the names providers look up); memcmp beyond. Reads nothing outside the
 * two ranges. */
static inline bool bytes_equal(const char *a, const char *b, size_t len) {
    if (len > 16) return memcmp(a, b, len) == 0;
    if (len >= 8) return ends_equal(a, b, len, 8);
    if (len >= 4) return ends_equal(a, b, len, 4);
    for (size_t i = 0; i < len; i++)
        if (a[i] != b[i]) return false;
    return true;
}

/* True when string token tok, unescaped, equals s[0..s_len). Fast path: a body with no
 * backslash is compared as bytes. */
static bool string_token_equals(const json_doc *doc, int tok, const char *s, size_t s_len) {
    bt_str body = token_text(doc, tok);
    if (!doc->toks[tok].escaped) return body.len == s_len && bytes_equal(body.ptr, s, s_len);
    if (body.len < s_len) return false; /* unescaping never lengthens */
    return unescaped_equals(body.ptr, body.len, s, s_len);
}

/* See json.h. Keys without escapes (nearly all) are told apart by length before any
 * comparison. */
int json_get(const json_doc *doc, int obj, const char *key) {
    if (json_type_of(doc, obj) != JSON_OBJECT) return -1;
    size_t key_len = strlen(key);
    const struct json_token *toks = doc->toks;
    int member_count = toks[obj].size, found = -1, member_key = obj + 1;
    for (int m = 0; m < member_count; m++) {
        const struct json_token *k = &toks[member_key];
        int value = member_key + 1;
        if (k->escaped) {
            if (string_token_equals(doc, member_key, key, key_len)) found = value;
        } else if ((size_t)(k->end - k->start) == key_len &&
                   bytes_equal(doc->text + k->start, key, key_len)) {
            found = value;
        }
        member_key = is_container(doc, value) ? toks[value].next : value + 1;
    }
    return found;
}

/* See json.h. Each member's key is compared with each key by length, then bytes_equal, so a
 * scan costs about members x keys small comparisons; an escaped member key (rare) is
 * compared unescaped. */
void json_get_fields(const json_doc *doc, int obj, const json_key *keys, int key_count,
                     int *values) {
    for (int i = 0; i < key_count; i++) values[i] = -1;
    if (json_type_of(doc, obj) != JSON_OBJECT) return;
    const struct json_token *toks = doc->toks;
    int member_count = toks[obj].size, member_key = obj + 1;
    for (int m = 0; m < member_count; m++) {
        const struct json_token *k = &toks[member_key];
        int value = member_key + 1;
        if (k->escaped) {
            for (int i = 0; i < key_count; i++)
                if (string_token_equals(doc, member_key, keys[i].name, keys[i].len))
                    values[i] = value;
        } else {
            const char *name = doc->text + k->start;
            size_t name_len = (size_t)(k->end - k->start);
            for (int i = 0; i < key_count; i++) {
                if (keys[i].len == name_len && bytes_equal(name, keys[i].name, name_len)) {
                    values[i] = value; /* a later duplicate overwrites it */
                    break;             /* the keys are distinct: no other can match */
                }
            }
        }
        member_key = is_container(doc, value) ? toks[value].next : value + 1;
    }
}

/* See json.h. The result lives in the arena. */
int json_string(const json_doc *doc, int tok, arena_t *a, bt_str *out) {
    if (json_type_of(doc, tok) != JSON_STRING) return -1;
    bt_str body = token_text(doc, tok);
    if (!doc->toks[tok].escaped) {
        *out = arena_strndup(a, body.ptr, body.len);
        return 0;
    }
    char *bytes = arena_alloc(a, body.len + 1);
    size_t len = unescape(body.ptr, body.len, bytes);
    bytes[len] = '\0';
    *out = (bt_str){bytes, len};
    return 0;
}

/* See json.h. */
int json_string_borrowed(const json_doc *doc, int tok, arena_t *a, bt_str *out) {
    if (json_type_of(doc, tok) != JSON_STRING) return -1;
    if (doc->toks[tok].escaped) return json_string(doc, tok, a, out);
    *out = token_text(doc, tok);
    return 0;
}

/* See json.h. The tokenizer took the body apart already: it holds no raw control character,
 * is well-formed UTF-8 and ends at its closing quote, so what remains is its escapes. */
bool json_string_literal(const json_doc *doc, int tok, bt_str *literal) {
    if (json_type_of(doc, tok) != JSON_STRING || doc->toks[tok].escaped & ESCAPED_OTHER_FORM)
        return false;
    *literal = json_raw(doc, tok);
    return true;
}

/* See json.h. */
bool json_string_eq(const json_doc *doc, int tok, const char *s) {
    return json_type_of(doc, tok) == JSON_STRING && string_token_equals(doc, tok, s, strlen(s));
}

/* ---- numbers and booleans ---- */

/* See json.h. The grammar was checked by the parse: only the digits remain to be read. */
int json_int64(const json_doc *doc, int tok, int64_t *out) {
    if (json_type_of(doc, tok) != JSON_NUMBER) return -1;
    bt_str text = token_text(doc, tok);
    const char *p = text.ptr, *end = text.ptr + text.len;
    bool negative = *p == '-';
    if (negative) p++;
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t magnitude = 0;
    for (; p < end; p++) {
        if (!is_digit(*p)) return -1; /* a fraction or an exponent */
        unsigned digit = (unsigned)(*p - '0');
        if (magnitude > (limit - digit) / 10) return -1;
        magnitude = magnitude * 10 + digit;
    }
    if (!negative) *out = (int64_t)magnitude;
    else if (magnitude == limit) *out = INT64_MIN;
    else *out = -(int64_t)magnitude;
    return 0;
}

/* Read a validated number of at most 15 digits and no exponent ("-0.75", "1", "0.2") as
 * the double nearest to it: its digits form an integer below 2^53 and its fraction digits a
 * power of ten up to 10^15, both exact doubles, so one correctly rounded division gives
 * what strtod gives. False for any other number (and where doubles are evaluated with
 * excess precision), which strtod then reads. */
static bool short_decimal(bt_str text, double *out) {
#if FLT_EVAL_METHOD == 0
    static const double powers_of_ten[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                           1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    const char *p = text.ptr, *end = text.ptr + text.len;
    bool negative = *p == '-';
    if (negative) p++;
    uint64_t digits = 0;
    int digit_count = 0, fraction_digits = 0;
    bool in_fraction = false;
    for (; p < end; p++) {
        if (*p == '.') {
            in_fraction = true;
            continue;
        }
        if (!is_digit(*p) || ++digit_count > 15) return false; /* an exponent, or too long */
        digits = digits * 10 + (uint64_t)(*p - '0');
        fraction_digits += in_fraction;
    }
    double value = (double)digits / powers_of_ten[fraction_digits];
    *out = negative ? -value : value;
    return true;
#else
    (void)text;
    (void)out;
    return false;
#endif
}

/* See json.h. Numbers beyond the range of a double (1e400) are errors too. Short decimals
 * are read by short_decimal; others are copied (NUL-terminated) for strtod, which would
 * otherwise read past the token. */
int json_double(const json_doc *doc, int tok, double *out) {
    if (json_type_of(doc, tok) != JSON_NUMBER) return -1;
    bt_str text = token_text(doc, tok);
    if (short_decimal(text, out)) return 0;
    char small[64];
    char *copy = text.len < sizeof small ? small : xmalloc(text.len + 1);
    memcpy(copy, text.ptr, text.len);
    copy[text.len] = '\0';
    errno = 0;
    double value = strtod(copy, NULL);
    bool overflow = errno == ERANGE && isinf(value);
    if (copy != small) free(copy);
    if (overflow) return -1;
    *out = value;
    return 0;
}

/* See json.h. */
int json_bool(const json_doc *doc, int tok, bool *out) {
    json_type type = json_type_of(doc, tok);
    if (type != JSON_TRUE && type != JSON_FALSE) return -1;
    *out = type == JSON_TRUE;
    return 0;
}

/* See json.h. */
int json_get_string(const json_doc *doc, int obj, const char *key, arena_t *a, bt_str *out) {
    return json_string(doc, json_get(doc, obj, key), a, out);
}

/* See json.h. */
int json_get_int64(const json_doc *doc, int obj, const char *key, int64_t *out) {
    return json_int64(doc, json_get(doc, obj, key), out);
}
