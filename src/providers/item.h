/* The normalized batch item: what every provider parser produces and every convention and
 * exporter-facing module reads. Provider-neutral: roles, typed message parts, usage and
 * outcome. Every array in an item lives in the arena the parser was given; every bt_str
 * either borrows the parsed record's text (strings without escapes, raw JSON bodies) or
 * lives in that arena. The item dies with the first of the two (one item at a time: the
 * collector resets the arena and reuses the line buffers per item). */
#ifndef BT_PROVIDERS_ITEM_H
#define BT_PROVIDERS_ITEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/str.h"

/* An optional integer / double: has says whether the provider gave it. */
typedef struct opt_i64 { bool has; int64_t value; } opt_i64;
typedef struct opt_f64 { bool has; double value; } opt_f64;

/* The kinds of message part of the GenAI semantic conventions' message schema. */
typedef enum part_type {
    PART_TEXT,               /* content: the text */
    PART_TOOL_CALL,          /* id, name, arguments */
    PART_TOOL_CALL_RESPONSE, /* id, content (the tool's result) */
    PART_REASONING,          /* content: thinking / reasoning text */
    PART_URI,                /* modality, mime_type, uri (e.g. an image by URL) */
    PART_BLOB,               /* modality, mime_type, content: base64 data */
} part_type;

typedef struct msg_part {
    part_type type;
    bt_str content;          /* text, reasoning, tool result, or base64 data */
    bool content_is_json;    /* content is raw JSON (written as a value, not a string) */
    bt_str content_literal;  /* content as a JSON string literal, quotes included, when the
                              * provider's text is exactly what the JSON writer would write
                              * for it (json_string_literal), else empty: copied as it is
                              * into JSON documents instead of escaping content again */
    bt_str id;               /* tool call id */
    bt_str name;             /* tool (function) name */
    bt_str arguments;        /* tool call arguments */
    bool arguments_is_json;  /* arguments is raw JSON text (else a plain string) */
    bt_str modality;         /* "image", "audio", ... for uri/blob */
    bt_str mime_type;        /* for uri/blob, when known */
    bt_str uri;              /* for uri */
    bool redacted;           /* reasoning the provider gives only encrypted (Anthropic
                              * redacted_thinking): no content, marked as redacted */
} msg_part;

typedef struct msg {
    bt_str role;             /* "system", "user", "assistant", "tool", ... */
    msg_part *parts;         /* the parts, in order */
    size_t part_count;
    bt_str finish_reason;    /* output messages: the provider's raw stop/finish reason */
} msg;

/* A tool the model was offered (GenAI `gen_ai.tool.definitions`). */
typedef struct tool_def {
    bt_str type;             /* "function" (or the provider's type, e.g. "web_search") */
    bt_str name;
    bt_str description;
    bt_str parameters;       /* raw JSON schema, or empty */
} tool_def;

/* How an item ended (SPEC section 5, `batchtrace.result`). */
typedef enum item_result {
    RESULT_SUCCEEDED,
    RESULT_ERRORED,
    RESULT_CANCELED,
    RESULT_EXPIRED,
    RESULT_MISSING,
} item_result;

typedef struct bt_item {
    const char *provider;    /* static: "openai", "anthropic" */
    bt_str custom_id;
    bt_str endpoint;         /* "/v1/chat/completions", ..., "/v1/messages" */
    const char *operation;   /* static: "chat", "embeddings", "text_completion" */

    /* The request, when the input is known (has_request). */
    bool has_request;
    bt_str request_model;
    opt_i64 max_tokens;      /* max_tokens, max_completion_tokens, max_output_tokens */
    opt_f64 temperature;
    opt_f64 top_p;
    opt_i64 top_k;
    opt_i64 seed;
    opt_f64 frequency_penalty;
    opt_f64 presence_penalty;
    opt_i64 choice_count;    /* OpenAI n */
    opt_i64 embedding_dimensions; /* embeddings: the dimensions asked for */
    opt_i64 input_count;     /* embeddings, moderations: how many inputs the request holds */
    bt_str *stop_sequences;  /* stop / stop_sequences, as strings */
    size_t stop_sequence_count;
    msg *input_messages;     /* chat history without the system prompt of Anthropic */
    size_t input_message_count;
    msg_part *system_instructions; /* Anthropic system, OpenAI Responses instructions */
    size_t system_instruction_count;
    tool_def *tools;
    size_t tool_count;
    bt_str request_body;     /* raw provider-native request body JSON (for other conventions) */
    bt_str tool_choice;      /* request tool_choice: a string as is, an object as raw JSON */
    bool tool_choice_is_json;

    /* The response, when a result line was seen (has_response, even for errors). */
    bool has_response;
    bt_str response_id;
    bt_str response_model;
    bt_str *finish_reasons;  /* raw provider values, one per choice/message */
    size_t finish_reason_count;
    msg *output_messages;
    size_t output_message_count;
    bt_str response_body;    /* raw provider-native response body JSON, or empty */
    opt_i64 input_tokens;    /* SPEC 5: Anthropic includes cache read + creation */
    opt_i64 output_tokens;
    opt_i64 cache_read_tokens;
    opt_i64 cache_creation_tokens;
    opt_i64 reasoning_tokens;
    int64_t end_time_ns;     /* the provider's own timestamp for this item, 0 if none */
    bt_str line_id;          /* OpenAI: the result line's own id ("batch_req_...") */
    bt_str request_id;       /* OpenAI: response.request_id (the x-request-id) */
    int64_t http_status;     /* OpenAI: response.status_code of a non-2xx line; 0 otherwise */
    bt_str service_tier;     /* OpenAI: the response body's service_tier */
    bt_str system_fingerprint; /* OpenAI: the response body's system_fingerprint */
    bt_str prompt_filter;    /* Azure OpenAI: prompt_filter_results (raw JSON), or the
                              * content_filter_result of a request it refused */
    bt_str output_filter;    /* Azure OpenAI: the first choice's content_filter_results */
    const struct batch_error *batch_error; /* a failed batch's error naming this item's
                                            * input line (borrowed from batch_info) */

    item_result result;
    bt_str error_type;       /* provider error code or result type; empty on success */
    bt_str error_message;    /* provider message; empty on success */
    bool input_missing;      /* a result whose custom_id had no input */

    /* Filled by the collect engine from the price table (src/report/cost.h), not by the
     * provider: what the item cost at the batch price, and saved against the synchronous
     * one; has is false when it has no tokens or its model no price. */
    opt_f64 cost_usd;
    opt_f64 cost_saved_usd;
} bt_item;

/* The lifecycle state of a batch, normalized across providers. */
typedef enum batch_state {
    BATCH_UNKNOWN,           /* no batch object */
    BATCH_RUNNING,           /* OpenAI validating|in_progress|finalizing|cancelling; Anthropic in_progress|canceling */
    BATCH_COMPLETED,         /* OpenAI completed; Anthropic ended */
    BATCH_FAILED,
    BATCH_EXPIRED,
    BATCH_CANCELLED,
} batch_state;

/* One entry of a failed batch's errors (OpenAI errors.data[]): why the batch, or one line of
 * its input file, was refused. */
typedef struct batch_error {
    bt_str code;             /* e.g. "token_limit_exceeded", "invalid_json_line" */
    bt_str message;
    bt_str param;            /* the parameter at fault, when named */
    opt_i64 line;            /* the input file's line (1-based), when the error names one */
} batch_error;

/* What a provider's batch object says. Strings borrow the object's text or live in the
 * parser's arena (as an item's do). */
typedef struct batch_info {
    const char *provider;    /* static */
    bt_str id;
    bt_str status;           /* the provider's raw status string */
    batch_state state;
    bt_str endpoint;         /* OpenAI endpoint; Anthropic "/v1/messages" */
    int64_t created_ns;      /* 0 if absent */
    int64_t terminal_ns;     /* completed/failed/expired/cancelled/ended time, 0 if absent */
    opt_i64 count_total;     /* OpenAI total; Anthropic sum of all counts */
    opt_i64 count_succeeded; /* OpenAI completed; Anthropic succeeded */
    opt_i64 count_errored;   /* OpenAI failed; Anthropic errored */
    opt_i64 count_canceled;  /* Anthropic canceled */
    opt_i64 count_expired;   /* Anthropic expired */
    opt_i64 count_processing;/* Anthropic processing */
    opt_i64 count_with_line; /* requests the provider wrote a result line for, by its own
                              * counts: OpenAI completed + failed; Anthropic succeeded +
                              * errored + canceled + expired (docs/design.md "Outcomes") */
    bt_str context_token;    /* OpenAI metadata.batchtrace_ctx, if present */
    bt_str metadata;         /* OpenAI metadata as a compact JSON object without
                              * batchtrace_ctx; empty when none is left */
    bt_str input_file_id;    /* OpenAI input_file_id, output_file_id, error_file_id */
    bt_str output_file_id;
    bt_str error_file_id;
    batch_error *errors;     /* OpenAI errors.data, in order */
    size_t error_count;
    bt_str model;            /* the batch's own model (OpenAI model, Bedrock modelId), or
                              * empty: the request model of items whose record names none */
    opt_i64 usage_input_tokens;   /* the batch's own token totals (OpenAI usage, Bedrock */
    opt_i64 usage_output_tokens;  /* manifest), as the provider counts them */
    opt_i64 usage_cache_read_tokens;
    opt_i64 usage_reasoning_tokens;
} batch_info;

/* Name of a result ("succeeded", ...). */
const char *item_result_name(item_result r);

#endif
