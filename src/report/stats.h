/* What `batchtrace report` shows of a batch, gathered one item at a time by the collect
 * engine (in file order, on the caller's thread): items by outcome, tokens, cost and
 * savings per model, errors grouped by type and message (counts and the first custom_ids),
 * the latency of items that carry their own end time, and the slowest and most expensive
 * items. Memory is bounded: at most STATS_GROUPS_MAX groups, STATS_TOP items per ranking. */
#ifndef BT_REPORT_STATS_H
#define BT_REPORT_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/writer.h"
#include "providers/item.h"
#include "report/cost.h"

#define STATS_TOP 5              /* items in each ranking (slowest, most expensive) */
#define STATS_GROUPS_MAX 64      /* error groups kept; the rest are counted together */
#define STATS_GROUP_IDS 3        /* custom_ids kept per error group */
#define STATS_LATENCY_BUCKETS 11 /* <1m, 1-5m, ..., 12-24h, >24h */

/* What one item adds (strings borrowed for the call). */
typedef struct stats_item {
    item_result result;
    bt_str custom_id;
    bt_str model;                /* the request's model, else the response's */
    bt_str error_type;           /* empty on success */
    bt_str error_message;
    opt_i64 input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens,
        reasoning_tokens;
    item_cost cost;
    bool unpriced;               /* it has tokens but its model has no price */
    bool has_latency;            /* the item carries its own end time */
    int64_t latency_ns;          /* the task's start to the item's end */
} stats_item;

typedef struct stats_model {
    char *name;                  /* owned; "" when no model was named */
    uint64_t items;
    int64_t input, output, cache_read, cache_creation, reasoning;
    double cost_usd, saved_usd;
    uint64_t priced_items;       /* items with a cost */
    uint64_t unpriced_items;     /* items with tokens and no price */
} stats_model;

typedef struct stats_group {
    char *type;                  /* owned */
    char *message;               /* owned */
    uint64_t count;
    char *custom_ids[STATS_GROUP_IDS]; /* the first ones, owned */
    size_t id_count;
} stats_group;

typedef struct stats_ranked {
    char *custom_id;             /* owned */
    char *model;                 /* owned */
    double value;                /* seconds, or USD */
} stats_ranked;

typedef struct report_stats {
    uint64_t items, succeeded, errored, canceled, expired, missing;
    int64_t input, output, cache_read, cache_creation, reasoning;
    double cost_usd, saved_usd;
    uint64_t priced_items, unpriced_items;
    stats_model *models;         /* in order of first appearance; owned */
    size_t model_count;
    stats_group *groups;         /* owned */
    size_t group_count;
    uint64_t other_errors;       /* failed items past STATS_GROUPS_MAX groups */
    stats_ranked slowest[STATS_TOP];   /* longest latency first */
    size_t slowest_count;
    stats_ranked costliest[STATS_TOP]; /* highest cost first */
    size_t costliest_count;
    uint64_t latency[STATS_LATENCY_BUCKETS];
    uint64_t latency_items;      /* items in the histogram */
} report_stats;

/* The batch around the items, for the report's header. Strings borrowed. */
typedef struct stats_batch {
    const char *provider;
    const char *batch_id;
    const char *batch_status;
    int64_t start_ns;            /* the task's start; 0 unknown */
    int64_t end_ns;              /* the task's end; 0 unknown */
} stats_batch;

/* The label of latency bucket i ("<1m", "1-5m", ...). */
const char *stats_latency_label(size_t i);
/* Count one item. */
void stats_add(report_stats *stats, const stats_item *item);
/* The error groups, most frequent first (ties: first seen first). */
void stats_sort_groups(report_stats *stats);
/* Write the report as one JSON object (docs/design.md, "Report"). */
void stats_write_json(const report_stats *stats, const stats_batch *batch, jw_t *w);
/* Release what stats holds (the struct can be reused once zeroed). */
void stats_free(report_stats *stats);

#endif
