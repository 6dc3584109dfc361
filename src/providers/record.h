/* Small readers over one provider record, shared by the provider files that came after
 * OpenAI and Anthropic (gemini.c, bedrock.c, ...): null counts as absent, optional fields
 * of the wrong type are ignored, integers are strict (a number, or the decimal string that
 * Google's JSON mapping of int64 writes) and a bad one rejects the record. Strings borrow
 * the record's text or are unescaped into the arena, as provider.h says. */
#ifndef BT_PROVIDERS_RECORD_H
#define BT_PROVIDERS_RECORD_H

#include "json/json.h"
#include "providers/item.h"
#include "util/arena.h"
#include "util/reason.h"

/* What every reader needs while reading one record. */
typedef struct record_ctx {
    const json_doc *doc;  /* the parsed record (borrowed) */
    arena_t *arena;       /* where unescaped strings and arrays go */
    char *reason;         /* REASON_MAX bytes, filled when the record is rejected */
} record_ctx;

/* A message being built: parts are appended into an arena array that grows as needed. */
typedef struct msg_builder {
    msg m;                /* the message; its parts live in the arena */
    size_t part_cap;      /* parts allocated in m.parts */
} msg_builder;

/* True when tok exists and is not null. */
bool rec_present(const record_ctx *c, int tok);
/* True when tok is of type. */
bool rec_is(const record_ctx *c, int tok, json_type type);
/* The member key of obj, else the member alt (a second spelling: "systemInstruction" and
 * "system_instruction"; NULL for none), else -1. */
int rec_get(const record_ctx *c, int obj, const char *key, const char *alt);
/* The member as rec_get when it is of type, else -1. */
int rec_get_typed(const record_ctx *c, int obj, const char *key, const char *alt,
                  json_type type);
/* The string at tok (borrowed or unescaped); empty when not a string. */
bt_str rec_str(const record_ctx *c, int tok);
/* The string member (as rec_get); empty when absent or not a string. */
bt_str rec_str_field(const record_ctx *c, int obj, const char *key, const char *alt);
/* The raw JSON text of tok; empty when absent or null. */
bt_str rec_raw(const record_ctx *c, int tok);
/* Read the optional integer at tok (a number, or a string of decimal digits) into out;
 * absent or null leaves out alone. Anything else, or out of int64, rejects the record:
 * -1 with reason naming label. */
int rec_int(const record_ctx *c, int tok, const char *label, opt_i64 *out);
/* Read the optional number at tok into out; anything but a number is ignored. */
void rec_double(const record_ctx *c, int tok, opt_f64 *out);
/* Read the optional RFC 3339 string at tok into *out_ns (left alone when absent); a
 * string that is not RFC 3339 rejects the record. */
int rec_time(const record_ctx *c, int tok, const char *label, int64_t *out_ns);
/* Read an array of strings at tok into *out / *count (non-strings skipped). */
void rec_strings(const record_ctx *c, int tok, bt_str **out, size_t *count);
/* Whether the string at tok starts with prefix. */
bool rec_starts_with(const record_ctx *c, int tok, const char *prefix);

/* Start a message with role and room for about part_hint parts. */
void msg_builder_init(const record_ctx *c, msg_builder *b, bt_str role, size_t part_hint);
/* Append a zeroed part of type and return it. */
msg_part *msg_builder_add(const record_ctx *c, msg_builder *b, part_type type);
/* Append a part of type whose content is text. */
void msg_builder_text(const record_ctx *c, msg_builder *b, part_type type, bt_str text);
/* Append a part of type whose content is the string at tok (as rec_str), with its literal
 * (msg_part.content_literal) when the provider wrote it as the writer would. */
void msg_builder_string(const record_ctx *c, msg_builder *b, part_type type, int tok);
/* Set part's content to the string at tok of doc (borrowed, or unescaped into a; empty
 * when tok is not a string) and its content_literal when json_string_literal allows. */
void msg_part_set_string(msg_part *part, const json_doc *doc, int tok, arena_t *a);
/* The modality of a MIME type: "image", "audio", "video", else "file". */
bt_str mime_modality(bt_str mime_type);

/* Set item's single output message (and its finish reason, listed when not empty). */
void item_set_output(const record_ctx *c, bt_item *item, msg m);
/* Add to *total the optional value; false when the sum overflows int64. */
bool opt_add(opt_i64 *total, opt_i64 value);

#endif
