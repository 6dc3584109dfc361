/* What one item cost: its token counts priced with the price table's entry for its model
 * (batchtrace.cost.usd at the batch price, batchtrace.cost.saved_usd against the
 * synchronous price). Owned by src/report; the collect engine fills each item's cost
 * before the conventions map it. */
#ifndef BT_REPORT_COST_H
#define BT_REPORT_COST_H

#include <stdbool.h>

#include "providers/item.h"
#include "report/prices.h"

/* An item's cost. has is false when the item reports no tokens or its model has no price. */
typedef struct item_cost {
    bool has;
    double usd;              /* at the batch price */
    double saved_usd;        /* the synchronous price minus usd */
} item_cost;

/* Price the tokens of item with entry p: uncached input (input_tokens less cache reads and
 * cache writes, both providers' input counting them; see docs/conventions.md), cache
 * reads, cache writes and output (reasoning is part of the output count), each at its
 * rate, less the batch discount. An item without any token count costs nothing known. */
item_cost cost_of_item(const price *p, const bt_item *item);
/* usd rounded to a billionth of a dollar: what a span carries, without the binary noise
 * of sums (0.000003375, not 0.0000033749999999999995). */
double cost_round(double usd);

#endif
