/* Reading what an OTLP/HTTP server answers (see otlp_response.h). The protobuf side is a
 * small bounds-checked wire reader for the two messages involved:
 *
 *   ExportTraceServiceResponse { partial_success(1): ExportTracePartialSuccess {
 *                                  rejected_spans(1): int64, error_message(2): string } }
 *   google.rpc.Status { code(1): int32, message(2): string, details(3): Any... }
 *
 * Unknown fields are skipped by wire type, as protobuf requires; a repeated embedded
 * message merges into the earlier one and a repeated scalar replaces it. */
#include "export/otlp_response.h"

#include <stdbool.h>
#include <string.h>

#include "export/pb_wire.h"
#include "json/json.h"
#include "util/arena.h"
#include "util/reason.h"

/* True for the blanks trimmed around a body. */
static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Protobuf wire types. */
enum { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5 };

/* Bytes still to read: [at, end). */
typedef struct pb_reader {
    const unsigned char *at;   /* next byte */
    const unsigned char *end;  /* one past the last byte */
} pb_reader;

/* Read a base-128 varint (pb_read_varint). 0, or -1 when truncated or too long. */
static int read_varint(pb_reader *r, uint64_t *out) {
    return pb_read_varint(&r->at, r->end, out) ? 0 : -1;
}

/* Read a field key into its number and wire type. 0, or -1 with reason. */
static int read_key(pb_reader *r, uint64_t *field, unsigned *wire, char *reason) {
    uint64_t key;
    if (read_varint(r, &key) != 0) return fail(reason, "truncated protobuf field key");
    *field = key >> 3;
    *wire = (unsigned)(key & 7);
    if (*field == 0) return fail(reason, "protobuf field number 0");
    return 0;
}

/* Read a length-delimited payload into *payload (bounded by what is left). */
static int read_len(pb_reader *r, pb_reader *payload, char *reason) {
    uint64_t len;
    if (read_varint(r, &len) != 0) return fail(reason, "truncated protobuf length");
    if (len > (uint64_t)(r->end - r->at)) return fail(reason, "protobuf length past the end");
    payload->at = r->at;
    payload->end = r->at + len;
    r->at += len;
    return 0;
}

/* Skip a field's value of wire type wire. 0, or -1 with reason (groups are refused: no
 * OTLP message uses them). */
static int skip_value(pb_reader *r, unsigned wire, char *reason) {
    uint64_t ignored;
    pb_reader payload;
    switch (wire) {
    case WIRE_VARINT:
        return read_varint(r, &ignored) == 0 ? 0 : fail(reason, "truncated protobuf varint");
    case WIRE_I64:
    case WIRE_I32: {
        size_t width = wire == WIRE_I64 ? 8 : 4;
        if ((size_t)(r->end - r->at) < width) return fail(reason, "truncated protobuf fixed field");
        r->at += width;
        return 0;
    }
    case WIRE_LEN:
        return read_len(r, &payload, reason);
    default:
        return fail(reason, "unsupported protobuf wire type %u", wire);
    }
}

/* Copy text[0..len) into out (out_size bytes, NUL-terminated): control bytes become ' ',
 * and a cut never leaves half a UTF-8 sequence at the end. */
static void copy_text(char *out, size_t out_size, const char *text, size_t len) {
    if (out_size == 0) return;
    size_t n = len < out_size - 1 ? len : out_size - 1;
    if (n < len) {
        /* Back up to the start of the sequence the cut falls in, then keep it only when
         * it is complete before the cut. */
        size_t start = n;
        while (start > 0 && ((unsigned char)text[start] & 0xC0) == 0x80) start--;
        n = start;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        out[i] = (c < 0x20 || c == 0x7F) ? ' ' : (char)c;
    }
    out[n] = '\0';
}

/* Parse an ExportTracePartialSuccess payload into out. */
static int parse_partial_success_pb(pb_reader *r, otlp_response *out, char *reason) {
    while (r->at < r->end) {
        uint64_t field = 0;
        unsigned wire = 0;
        if (read_key(r, &field, &wire, reason) != 0) return -1;
        if (field == 1 && wire == WIRE_VARINT) {
            uint64_t value;
            if (read_varint(r, &value) != 0) return fail(reason, "truncated rejected_spans");
            out->rejected_spans = (int64_t)value;
        } else if (field == 2 && wire == WIRE_LEN) {
            pb_reader text;
            if (read_len(r, &text, reason) != 0) return -1;
            copy_text(out->error_message, sizeof out->error_message, (const char *)text.at,
                      (size_t)(text.end - text.at));
        } else if (field == 1 || field == 2) {
            return fail(reason, "partial_success field %u has wire type %u", (unsigned)field,
                        wire);
        } else if (skip_value(r, wire, reason) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Parse a protobuf ExportTraceServiceResponse. */
static int parse_response_pb(pb_reader *r, otlp_response *out, char *reason) {
    while (r->at < r->end) {
        uint64_t field = 0;
        unsigned wire = 0;
        if (read_key(r, &field, &wire, reason) != 0) return -1;
        if (field == 1) {
            if (wire != WIRE_LEN) return fail(reason, "partial_success has wire type %u", wire);
            pb_reader payload;
            if (read_len(r, &payload, reason) != 0) return -1;
            if (parse_partial_success_pb(&payload, out, reason) != 0) return -1;
        } else if (skip_value(r, wire, reason) != 0) {
            return -1;
        }
    }
    return 0;
}

/* The member of obj named camel or, as some servers write it, snake; -1 when absent. */
static int get_either(const json_doc *doc, int obj, const char *camel, const char *snake) {
    int tok = json_get(doc, obj, camel);
    return tok >= 0 ? tok : json_get(doc, obj, snake);
}

/* An OTLP/JSON int64: a JSON integer or a string holding one. 0, or -1. */
static int json_otlp_int64(const json_doc *doc, int tok, arena_t *arena, int64_t *out) {
    if (json_type_of(doc, tok) == JSON_NUMBER) return json_int64(doc, tok, out);
    bt_str text;
    if (json_string(doc, tok, arena, &text) != 0 || text.len == 0 || text.len > 20) return -1;
    json_doc number = JSON_DOC_INIT;
    int rc = json_parse(&number, text.ptr, text.len, NULL) == 0 &&
                     json_type_of(&number, 0) == JSON_NUMBER
                 ? json_int64(&number, 0, out)
                 : -1;
    json_doc_free(&number);
    return rc;
}

/* Parse an OTLP/JSON ExportTraceServiceResponse. */
static int parse_response_json(const char *body, size_t len, otlp_response *out,
                               char *reason) {
    size_t start = 0;
    while (start < len && is_blank(body[start])) start++;
    if (start == len) return 0; /* an empty answer: no partial success */
    json_doc doc = JSON_DOC_INIT;
    arena_t arena = ARENA_INIT;
    int rc = -1;
    char why[REASON_MAX];
    if (json_parse(&doc, body, len, why) != 0) {
        fail(reason, "response is not JSON: %s", why);
        goto done;
    }
    if (json_type_of(&doc, 0) != JSON_OBJECT) {
        fail(reason, "response is not a JSON object");
        goto done;
    }
    int partial = get_either(&doc, 0, "partialSuccess", "partial_success");
    json_type partial_type = json_type_of(&doc, partial);
    if (partial_type != JSON_NONE && partial_type != JSON_NULL) {
        if (partial_type != JSON_OBJECT) {
            fail(reason, "partialSuccess is not an object");
            goto done;
        }
        int rejected = get_either(&doc, partial, "rejectedSpans", "rejected_spans");
        if (rejected >= 0 && json_type_of(&doc, rejected) != JSON_NULL &&
            json_otlp_int64(&doc, rejected, &arena, &out->rejected_spans) != 0) {
            fail(reason, "partialSuccess.rejectedSpans is not an integer");
            goto done;
        }
        int message = get_either(&doc, partial, "errorMessage", "error_message");
        if (message >= 0 && json_type_of(&doc, message) != JSON_NULL) {
            bt_str text;
            if (json_string(&doc, message, &arena, &text) != 0) {
                fail(reason, "partialSuccess.errorMessage is not a string");
                goto done;
            }
            copy_text(out->error_message, sizeof out->error_message, text.ptr, text.len);
        }
    }
    rc = 0;
done:
    json_doc_free(&doc);
    arena_free(&arena);
    return rc;
}

/* See otlp_response.h. */
int otlp_response_parse(const char *body, size_t len, otlp_protocol protocol,
                        otlp_response *out, char *reason) {
    out->rejected_spans = 0;
    out->error_message[0] = '\0';
    if (len == 0) return 0; /* no partial_success (and body may be NULL) */
    int rc;
    if (protocol == OTLP_HTTP_JSON) {
        rc = parse_response_json(body, len, out, reason);
    } else {
        pb_reader r = {(const unsigned char *)body, (const unsigned char *)body + len};
        rc = parse_response_pb(&r, out, reason);
    }
    if (rc == 0 && out->rejected_spans < 0)
        return fail(reason, "negative rejected_spans %lld", (long long)out->rejected_spans);
    return rc;
}

/* The message(2) of a protobuf google.rpc.Status; false when body is not one or has none. */
static bool status_message_pb(const char *body, size_t len, char *out, size_t out_size) {
    pb_reader r = {(const unsigned char *)body, (const unsigned char *)body + len};
    bool found = false;
    while (r.at < r.end) {
        uint64_t field = 0;
        unsigned wire = 0;
        if (read_key(&r, &field, &wire, NULL) != 0) return false;
        if (field == 2 && wire == WIRE_LEN) {
            pb_reader text;
            if (read_len(&r, &text, NULL) != 0) return false;
            copy_text(out, out_size, (const char *)text.at, (size_t)(text.end - text.at));
            found = true;
        } else if (skip_value(&r, wire, NULL) != 0) {
            return false;
        }
    }
    return found && out[0];
}

/* The "message" (or, failing that, "error" as a string or {"message"}) of a JSON error
 * body; false when there is none. */
static bool status_message_json(const char *body, size_t len, char *out, size_t out_size) {
    json_doc doc = JSON_DOC_INIT;
    arena_t arena = ARENA_INIT;
    bool found = false;
    if (json_parse(&doc, body, len, NULL) == 0 && json_type_of(&doc, 0) == JSON_OBJECT) {
        int message = json_get(&doc, 0, "message");
        int error = json_get(&doc, 0, "error");
        if (message < 0 && json_type_of(&doc, error) == JSON_OBJECT)
            message = json_get(&doc, error, "message");
        else if (message < 0)
            message = error;
        bt_str text;
        if (json_string(&doc, message, &arena, &text) == 0 && text.len > 0) {
            copy_text(out, out_size, text.ptr, text.len);
            found = true;
        }
    }
    json_doc_free(&doc);
    arena_free(&arena);
    return found;
}

/* See otlp_response.h. */
void otlp_error_message(const char *body, size_t len, const char *content_type, char *out,
                        size_t out_size) {
    if (out_size == 0) return;
    out[0] = '\0';
    if (len == 0) return;
    size_t type_len = content_type ? strcspn(content_type, "; ") : 0;
    if (type_len == strlen("application/x-protobuf") &&
        strncmp(content_type, "application/x-protobuf", type_len) == 0 &&
        status_message_pb(body, len, out, out_size))
        return;
    if (type_len == strlen("application/json") &&
        strncmp(content_type, "application/json", type_len) == 0 &&
        status_message_json(body, len, out, out_size))
        return;
    /* Text as is, blanks at either end trimmed; other bodies (binary) as text too, since
     * a person reads it and control bytes are blanked. */
    while (len && is_blank(body[len - 1])) len--;
    while (len && is_blank(body[0])) body++, len--;
    copy_text(out, out_size, body, len);
}
