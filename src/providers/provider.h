/* A provider turns its raw records into normalized items (providers/item.h). One file per
 * provider (openai.c, anthropic.c); detect.c tells which provider wrote a record. A provider
 * knows nothing of spans or OTLP. All functions fill `reason` and return -1 when the record
 * is malformed (a required field missing or of the wrong type). Strings borrow the record's
 * text (the json_doc's text, which must outlive the item or batch_info) or go into the
 * arena when they had to be unescaped. */
#ifndef BT_PROVIDERS_PROVIDER_H
#define BT_PROVIDERS_PROVIDER_H

#include "json/json.h"
#include "providers/item.h"
#include "util/arena.h"
#include "util/reason.h"

typedef struct provider_ops {
    const char *name;  /* "openai", "anthropic" */

    /* custom_id of one request record (an OpenAI input line, an Anthropic JSONL line or an
     * element of a create body's "requests"). Cheap: used to build the index. */
    int (*request_custom_id)(const json_doc *doc, int root, arena_t *a, bt_str *custom_id,
                             char *reason);
    /* Fill the request side of item (custom_id, endpoint, operation, has_request, model,
     * parameters, input messages, system instructions, tools, request_body). */
    int (*parse_request)(const json_doc *doc, int root, arena_t *a, bt_item *item,
                         char *reason);
    /* Fill the response side of item from one result line (custom_id, has_response, result,
     * response fields, usage, error_type/error_message, end_time_ns; and endpoint/operation
     * when the result reveals them). */
    int (*parse_result)(const json_doc *doc, int root, arena_t *a, bt_item *item,
                        char *reason);
    /* Read a batch object. */
    int (*parse_batch)(const json_doc *doc, int root, arena_t *a, batch_info *batch,
                       char *reason);
} provider_ops;

extern const provider_ops provider_openai;
extern const provider_ops provider_anthropic;

/* The provider named name ("openai", "anthropic"), or NULL. */
const provider_ops *provider_by_name(const char *name);
/* Which provider wrote this record, judged from its content alone; NULL when neither. */
const provider_ops *provider_detect_request(const json_doc *doc, int root);
const provider_ops *provider_detect_result(const json_doc *doc, int root);
const provider_ops *provider_detect_batch(const json_doc *doc, int root);

#endif
