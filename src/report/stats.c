/* See stats.h. */
#include "report/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/timeutil.h"

/* Upper bounds of the latency buckets, in seconds (the last one is open). */
static const double bucket_bounds[STATS_LATENCY_BUCKETS - 1] = {
    60, 300, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400};
static const char *const bucket_labels[STATS_LATENCY_BUCKETS] = {
    "<1m", "1-5m", "5-15m", "15-30m", "30m-1h", "1-2h", "2-4h", "4-8h", "8-12h", "12-24h",
    ">24h"};

/* See stats.h. */
const char *stats_latency_label(size_t i) {
    return i < STATS_LATENCY_BUCKETS ? bucket_labels[i] : "";
}

/* Add an optional count to a total. */
static void add_count(int64_t *total, opt_i64 value) {
    if (value.has && value.value > 0 && *total <= INT64_MAX - value.value) *total += value.value;
}

/* The model entry called name (added on first use). */
static stats_model *model_entry(report_stats *stats, bt_str name) {
    for (size_t i = 0; i < stats->model_count; i++)
        if (str_eq_c(name, stats->models[i].name)) return &stats->models[i];
    stats->models = xreallocarray(stats->models, stats->model_count + 1, sizeof *stats->models);
    stats_model *added = &stats->models[stats->model_count++];
    memset(added, 0, sizeof *added);
    added->name = xstrndup(name.ptr ? name.ptr : "", name.len);
    return added;
}

/* Count a failed item in its error group (type and message alike). */
static void group_error(report_stats *stats, const stats_item *item) {
    bt_str type = item->error_type.len ? item->error_type : str_c(item_result_name(item->result));
    stats_group *group = NULL;
    for (size_t i = 0; i < stats->group_count && !group; i++)
        if (str_eq_c(type, stats->groups[i].type) &&
            str_eq_c(item->error_message, stats->groups[i].message))
            group = &stats->groups[i];
    if (!group) {
        if (stats->group_count == STATS_GROUPS_MAX) {
            stats->other_errors++;
            return;
        }
        stats->groups = xreallocarray(stats->groups, stats->group_count + 1, sizeof *stats->groups);
        group = &stats->groups[stats->group_count++];
        memset(group, 0, sizeof *group);
        group->type = xstrndup(type.ptr, type.len);
        group->message = xstrndup(item->error_message.ptr ? item->error_message.ptr : "",
                                  item->error_message.len);
    }
    group->count++;
    if (group->id_count < STATS_GROUP_IDS)
        group->custom_ids[group->id_count++] = xstrndup(item->custom_id.ptr, item->custom_id.len);
}

/* Keep item in ranking (highest value first, at most STATS_TOP; ties: first seen first). */
static void rank(stats_ranked *ranking, size_t *count, const stats_item *item, double value) {
    size_t at = *count;
    while (at > 0 && ranking[at - 1].value < value) at--;
    if (at >= STATS_TOP) return;
    if (*count == STATS_TOP) {
        free(ranking[STATS_TOP - 1].custom_id);
        free(ranking[STATS_TOP - 1].model);
    } else {
        (*count)++;
    }
    memmove(&ranking[at + 1], &ranking[at], (*count - 1 - at) * sizeof *ranking);
    ranking[at].custom_id = xstrndup(item->custom_id.ptr, item->custom_id.len);
    ranking[at].model = xstrndup(item->model.ptr ? item->model.ptr : "", item->model.len);
    ranking[at].value = value;
}

/* See stats.h. */
void stats_add(report_stats *stats, const stats_item *item) {
    stats->items++;
    switch (item->result) {
    case RESULT_SUCCEEDED: stats->succeeded++; break;
    case RESULT_ERRORED: stats->errored++; break;
    case RESULT_CANCELED: stats->canceled++; break;
    case RESULT_EXPIRED: stats->expired++; break;
    case RESULT_MISSING: stats->missing++; break;
    }
    stats_model *model = model_entry(stats, item->model);
    model->items++;
    int64_t *totals[2][5] = {
        {&stats->input, &stats->output, &stats->cache_read, &stats->cache_creation,
         &stats->reasoning},
        {&model->input, &model->output, &model->cache_read, &model->cache_creation,
         &model->reasoning}};
    for (int k = 0; k < 2; k++) {
        add_count(totals[k][0], item->input_tokens);
        add_count(totals[k][1], item->output_tokens);
        add_count(totals[k][2], item->cache_read_tokens);
        add_count(totals[k][3], item->cache_creation_tokens);
        add_count(totals[k][4], item->reasoning_tokens);
    }
    if (item->cost.has) {
        stats->cost_usd += item->cost.usd;
        stats->saved_usd += item->cost.saved_usd;
        stats->priced_items++;
        model->cost_usd += item->cost.usd;
        model->saved_usd += item->cost.saved_usd;
        model->priced_items++;
        if (item->cost.usd > 0)
            rank(stats->costliest, &stats->costliest_count, item, item->cost.usd);
    } else if (item->unpriced) {
        stats->unpriced_items++;
        model->unpriced_items++;
    }
    if (item->result != RESULT_SUCCEEDED) group_error(stats, item);
    if (item->has_latency) {
        double seconds = (double)item->latency_ns / 1e9;
        size_t bucket = 0;
        while (bucket < STATS_LATENCY_BUCKETS - 1 && seconds >= bucket_bounds[bucket]) bucket++;
        stats->latency[bucket]++;
        stats->latency_items++;
        rank(stats->slowest, &stats->slowest_count, item, seconds);
    }
}

/* See stats.h. */
void stats_sort_groups(report_stats *stats) {
    /* Insertion sort: stable, and the groups are few. */
    for (size_t i = 1; i < stats->group_count; i++) {
        stats_group moving = stats->groups[i];
        size_t j = i;
        while (j > 0 && stats->groups[j - 1].count < moving.count) {
            stats->groups[j] = stats->groups[j - 1];
            j--;
        }
        stats->groups[j] = moving;
    }
}

/* A dollar amount as written in the JSON: rounded to a millionth of a dollar. */
static double dollars(double usd) { return round(usd * 1e6) / 1e6; }

/* Write key: an RFC 3339 time, or null when unknown. */
static void write_time(jw_t *w, const char *key, int64_t ns) {
    jw_key(w, key);
    if (ns <= 0) {
        jw_null(w);
        return;
    }
    char text[40];
    time_format_rfc3339(ns, text, sizeof text);
    jw_cstring(w, text);
}

/* Write the five token counts as an object. */
static void write_tokens(jw_t *w, int64_t input, int64_t output, int64_t cache_read,
                         int64_t cache_creation, int64_t reasoning) {
    jw_object_open(w);
    jw_key(w, "input");
    jw_int(w, input);
    jw_key(w, "output");
    jw_int(w, output);
    jw_key(w, "cache_read");
    jw_int(w, cache_read);
    jw_key(w, "cache_creation");
    jw_int(w, cache_creation);
    jw_key(w, "reasoning");
    jw_int(w, reasoning);
    jw_object_close(w);
}

/* Write a ranking as an array of {custom_id, model, value_key: value}. */
static void write_ranking(jw_t *w, const stats_ranked *ranking, size_t count,
                          const char *value_key, bool money) {
    jw_array_open(w);
    for (size_t i = 0; i < count; i++) {
        jw_object_open(w);
        jw_key(w, "custom_id");
        jw_cstring(w, ranking[i].custom_id);
        jw_key(w, "model");
        jw_cstring(w, ranking[i].model);
        jw_key(w, value_key);
        jw_double(w, money ? dollars(ranking[i].value) : round(ranking[i].value * 1e3) / 1e3);
        jw_object_close(w);
    }
    jw_array_close(w);
}

/* See stats.h. */
void stats_write_json(const report_stats *stats, const stats_batch *batch, jw_t *w) {
    jw_object_open(w);
    jw_key(w, "provider");
    jw_cstring(w, batch->provider ? batch->provider : "");
    jw_key(w, "batch_id");
    jw_cstring(w, batch->batch_id ? batch->batch_id : "");
    jw_key(w, "batch_status");
    jw_cstring(w, batch->batch_status ? batch->batch_status : "");
    write_time(w, "started", batch->start_ns);
    write_time(w, "ended", batch->end_ns);
    jw_key(w, "duration_seconds");
    if (batch->start_ns > 0 && batch->end_ns >= batch->start_ns)
        jw_double(w, round((double)(batch->end_ns - batch->start_ns) / 1e6) / 1e3);
    else
        jw_null(w);
    jw_key(w, "items");
    jw_object_open(w);
    const char *names[] = {"total", "succeeded", "errored", "canceled", "expired", "missing"};
    uint64_t counts[] = {stats->items,   stats->succeeded, stats->errored,
                         stats->canceled, stats->expired,  stats->missing};
    for (int i = 0; i < 6; i++) {
        jw_key(w, names[i]);
        jw_uint(w, counts[i]);
    }
    jw_object_close(w);
    jw_key(w, "tokens");
    write_tokens(w, stats->input, stats->output, stats->cache_read, stats->cache_creation,
                 stats->reasoning);
    jw_key(w, "cost");
    jw_object_open(w);
    jw_key(w, "usd");
    jw_double(w, dollars(stats->cost_usd));
    jw_key(w, "saved_usd");
    jw_double(w, dollars(stats->saved_usd));
    jw_key(w, "priced_items");
    jw_uint(w, stats->priced_items);
    jw_key(w, "unpriced_items");
    jw_uint(w, stats->unpriced_items);
    jw_object_close(w);
    jw_key(w, "models");
    jw_array_open(w);
    for (size_t i = 0; i < stats->model_count; i++) {
        const stats_model *m = &stats->models[i];
        jw_object_open(w);
        jw_key(w, "model");
        jw_cstring(w, m->name);
        jw_key(w, "items");
        jw_uint(w, m->items);
        jw_key(w, "tokens");
        write_tokens(w, m->input, m->output, m->cache_read, m->cache_creation, m->reasoning);
        jw_key(w, "cost_usd");
        if (m->priced_items) jw_double(w, dollars(m->cost_usd));
        else jw_null(w);
        jw_key(w, "saved_usd");
        if (m->priced_items) jw_double(w, dollars(m->saved_usd));
        else jw_null(w);
        jw_key(w, "unpriced_items");
        jw_uint(w, m->unpriced_items);
        jw_object_close(w);
    }
    jw_array_close(w);
    jw_key(w, "errors");
    jw_array_open(w);
    for (size_t i = 0; i < stats->group_count; i++) {
        const stats_group *g = &stats->groups[i];
        jw_object_open(w);
        jw_key(w, "type");
        jw_cstring(w, g->type);
        jw_key(w, "message");
        jw_cstring(w, g->message);
        jw_key(w, "count");
        jw_uint(w, g->count);
        jw_key(w, "custom_ids");
        jw_array_open(w);
        for (size_t k = 0; k < g->id_count; k++) jw_cstring(w, g->custom_ids[k]);
        jw_array_close(w);
        jw_object_close(w);
    }
    jw_array_close(w);
    jw_key(w, "other_errors");
    jw_uint(w, stats->other_errors);
    jw_key(w, "latency");
    jw_object_open(w);
    jw_key(w, "items");
    jw_uint(w, stats->latency_items);
    jw_key(w, "histogram");
    jw_array_open(w);
    for (size_t i = 0; i < STATS_LATENCY_BUCKETS; i++) {
        jw_object_open(w);
        jw_key(w, "label");
        jw_cstring(w, bucket_labels[i]);
        jw_key(w, "count");
        jw_uint(w, stats->latency[i]);
        jw_object_close(w);
    }
    jw_array_close(w);
    jw_object_close(w);
    jw_key(w, "slowest");
    write_ranking(w, stats->slowest, stats->slowest_count, "seconds", false);
    jw_key(w, "most_expensive");
    write_ranking(w, stats->costliest, stats->costliest_count, "usd", true);
    jw_object_close(w);
}

/* See stats.h. */
void stats_free(report_stats *stats) {
    for (size_t i = 0; i < stats->model_count; i++) free(stats->models[i].name);
    free(stats->models);
    for (size_t i = 0; i < stats->group_count; i++) {
        free(stats->groups[i].type);
        free(stats->groups[i].message);
        for (size_t k = 0; k < stats->groups[i].id_count; k++) free(stats->groups[i].custom_ids[k]);
    }
    free(stats->groups);
    for (size_t i = 0; i < stats->slowest_count; i++) {
        free(stats->slowest[i].custom_id);
        free(stats->slowest[i].model);
    }
    for (size_t i = 0; i < stats->costliest_count; i++) {
        free(stats->costliest[i].custom_id);
        free(stats->costliest[i].model);
    }
    memset(stats, 0, sizeof *stats);
}
