/* See cost.h. */
#include "report/cost.h"

#include <math.h>

/* A token count, 0 when the provider gave none. */
static double count_of(opt_i64 value) { return value.has && value.value > 0 ? (double)value.value : 0; }

/* See cost.h. */
double cost_round(double usd) { return round(usd * 1e9) / 1e9; }

/* See cost.h. */
item_cost cost_of_item(const price *p, const bt_item *item) {
    item_cost cost = {false, 0, 0};
    if (!p || !(item->input_tokens.has || item->output_tokens.has)) return cost;
    double cache_read = count_of(item->cache_read_tokens);
    double cache_write = count_of(item->cache_creation_tokens);
    double uncached = count_of(item->input_tokens) - cache_read - cache_write;
    if (uncached < 0) uncached = 0;
    double synchronous = (uncached * p->input + cache_read * p->cache_read +
                          cache_write * p->cache_write + count_of(item->output_tokens) * p->output) /
                         1e6;
    cost.has = true;
    cost.usd = cost_round(synchronous * (1 - p->batch_discount));
    cost.saved_usd = cost_round(synchronous - cost.usd);
    return cost;
}
