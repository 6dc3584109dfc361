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
#include "util/buf.h"
#include "util/reason.h"

typedef struct provider_ops {
    const char *name;    /* gen_ai.provider.name, and what --provider takes: "openai",
                          * "anthropic", "gcp.gemini", ... */
    const char *alias;   /* a shorter name --provider also takes ("gemini"), or NULL */
    const char *format;  /* the name of the provider whose record format this one writes:
                          * its own name, or e.g. "openai" for OpenAI-compatible servers */

    /* Whether a record has this provider's shape, from a few keys of the root object. NULL:
     * never detected (a provider that writes another's format, named by --provider). */
    bool (*is_request)(const json_doc *doc, int root);
    bool (*is_result)(const json_doc *doc, int root);
    bool (*is_batch)(const json_doc *doc, int root);

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
    /* The records a batch object carries inline (Gemini's inlined requests and responses),
     * appended as JSONL lines of this provider's own formats: input lines to requests,
     * result lines to results (both left as they were when it carries none). The engine
     * reads them as one more input and results source: they enter by the records' door.
     * NULL: this provider's batch object never carries records. */
    int (*batch_records)(const json_doc *doc, int root, arena_t *a, buf_t *requests,
                         buf_t *results, char *reason);
} provider_ops;

/* The registered providers (registry.def), declared for tests and the shared bodies. */
#define PROVIDER(variable) extern const provider_ops provider_##variable;
#include "providers/registry.def"
#undef PROVIDER

/* The provider named name or alias ("openai", "gcp.gemini", "gemini"), or NULL. */
const provider_ops *provider_by_name(const char *name);
/* The registered providers in registry order: provider_at(0 .. provider_count() - 1). */
size_t provider_count(void);
const provider_ops *provider_at(size_t index);
/* The names --provider takes, "openai, anthropic, ...", for messages (static). */
const char *provider_names(void);

/* The provider's parsers, with the item's (or batch's) provider set to the provider's own
 * name: a provider that writes another's format (an OpenAI-compatible server) names
 * itself. Every caller goes through these rather than the ops' function pointers. */
int provider_parse_request(const provider_ops *p, const json_doc *doc, int root, arena_t *a,
                           bt_item *item, char *reason);
int provider_parse_result(const provider_ops *p, const json_doc *doc, int root, arena_t *a,
                          bt_item *item, char *reason);
int provider_parse_batch(const provider_ops *p, const json_doc *doc, int root, arena_t *a,
                         batch_info *batch, char *reason);
/* The records the batch object carries inline, as provider_ops.batch_records (nothing for a
 * provider without it). */
int provider_batch_records(const provider_ops *p, const json_doc *doc, int root, arena_t *a,
                           buf_t *requests, buf_t *results, char *reason);
/* Whether two providers write the same record format. */
bool provider_same_format(const provider_ops *a, const provider_ops *b);

/* Which provider wrote this record, judged from its content alone; NULL when none. */
const provider_ops *provider_detect_request(const json_doc *doc, int root);
const provider_ops *provider_detect_result(const json_doc *doc, int root);
const provider_ops *provider_detect_batch(const json_doc *doc, int root);

#endif
