/* A convention maps one normalized item (or the batch totals) to span attributes in one
 * backend's dialect. `linkage` (batchtrace.*) and `genai` (gen_ai.*, error.type) are always
 * on; others are chosen with --convention. Conventions add attributes: the collector sets
 * names, kinds, ids, timestamps and status, except that a backend dialect may rename an item
 * span as its backend's own SDK names the same call (braintrust). Strings they create go into
 * span->arena. */
#ifndef BT_CONVENTIONS_CONVENTION_H
#define BT_CONVENTIONS_CONVENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "providers/item.h"
#include "span/span.h"

/* What every convention may read besides the item. */
typedef struct convention_ctx {
    bt_str batch_id;         /* the provider's batch id, empty when unknown */
    bool no_content;         /* --no-content: drop message, tool and output content */
} convention_ctx;

/* Summed token usage; has_* says whether any item reported the field. */
typedef struct token_totals {
    int64_t input, output, cache_read, cache_creation, reasoning;
    bool has_input, has_output, has_cache_read, has_cache_creation, has_reasoning;
} token_totals;

/* What the task span describes: the batch as a whole. Never item content. */
typedef struct task_totals {
    const char *provider;    /* static */
    bt_str batch_id;         /* empty when unknown */
    bt_str endpoint;         /* empty when unknown */
    bt_str batch_status;     /* provider's raw status; empty when no batch object */
    uint64_t total, succeeded, errored, canceled, expired, missing; /* item counts */
    const bt_str *models;    /* distinct request (else response) models, sorted */
    size_t model_count;
    token_totals tokens;
    bool provisional;        /* no batch object: a later collect with it sends the task again */
    bt_str input_file_id;    /* OpenAI file ids of the batch object; empty when unknown */
    bt_str output_file_id;
    bt_str error_file_id;
    bt_str metadata;         /* the batch's metadata (compact JSON, no batchtrace_ctx) or empty */
    const batch_error *errors; /* a failed batch's errors.data */
    size_t error_count;
    bool has_cost;           /* at least one item was priced */
    double cost_usd;         /* the priced items' cost at the batch price, summed */
    double cost_saved_usd;   /* and their savings against the synchronous price */
    const batch_info *batch; /* the batch object (its own model and usage), or NULL */
} task_totals;

/* What the submit span describes: the batch's requests as `start` read them. Strings are
 * borrowed from the caller. The lists are bounded (see docs/conventions.md, "A batch too large
 * to carry whole"): custom_ids and requests hold the first ones, in custom_id order, that fit
 * in the budget; the counts say how many there are in all. */
typedef struct submit_totals {
    const char *provider;    /* static */
    bt_str batch_id;         /* empty when not known yet */
    bt_str endpoint;         /* empty when unknown */
    uint64_t request_count;  /* every request of the batch */
    const bt_str *models;    /* distinct request models, sorted */
    size_t model_count;
    const bt_str *custom_ids;/* the first custom_ids that fit */
    size_t custom_id_count;
    bt_str requests_json;    /* a JSON array of the first request records that fit, compacted,
                                each in the provider's shape; "[]" when none fits */
    uint64_t requests_shown; /* how many records requests_json holds */
} submit_totals;

typedef struct convention {
    const char *name;        /* as given to --convention */
    /* Attributes of one item's LLM span. */
    void (*item)(span_t *span, const bt_item *item, const convention_ctx *ctx);
    /* Attributes of the task span. */
    void (*task)(span_t *span, const task_totals *totals, const convention_ctx *ctx);
    /* Attributes of the submit span `start` exports; NULL when the dialect adds none. */
    void (*submit)(span_t *span, const submit_totals *totals);
} convention;

extern const convention convention_linkage;  /* batchtrace.*: always on */
extern const convention convention_genai;    /* gen_ai.*: always on */
extern const convention convention_braintrust;    /* braintrust.*: Braintrust's own shape */
extern const convention convention_openinference; /* openinference.*, llm.*: Arize Phoenix */
extern const convention convention_traceloop;     /* OpenLLMetry gen_ai.prompt.N.*: Respan */

/* The convention --convention NAME names (genai, braintrust, openinference, traceloop), or
 * NULL. The returned convention is static. */
const convention *convention_by_name(const char *name);

/* The conventions a run applies: linkage and genai (always on), then each named one in the
 * order given, once ("genai" twice or at all adds nothing). On success *out is a malloc'd
 * array the caller frees and returns 0; an unknown name returns -1 with a reason that lists
 * the valid names. */
int convention_list_build(const char *const *names, size_t name_count,
                          const convention ***out, size_t *out_count, char *reason);

#endif
