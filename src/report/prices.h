/* The price table: what a provider charges per million tokens of each class for a model,
 * and what its batch API takes off. Read from data/prices.json (compiled into the library
 * at build time) or from a file the user gives (--prices FILE), which replaces it whole.
 * Owned by src/report; the collect engine asks it for the cost of each item. */
#ifndef BT_REPORT_PRICES_H
#define BT_REPORT_PRICES_H

#include <stdbool.h>
#include <stddef.h>

#include "util/reason.h"
#include "util/str.h"

/* One entry: a provider's model (and its dated snapshots) or a model prefix. */
typedef struct price {
    char *provider;          /* "openai", "anthropic"; owned */
    char *model;             /* the model, or the prefix when is_prefix; owned */
    bool is_prefix;          /* matches every model starting with model */
    double input;            /* USD per million uncached input tokens, synchronous */
    double cache_read;       /* USD per million cache-read input tokens */
    double cache_write;      /* USD per million cache-write (creation) input tokens */
    double output;           /* USD per million output tokens (reasoning included) */
    double batch_discount;   /* share taken off every class in a batch (0.5: half price) */
} price;

typedef struct price_table {
    price *entries;          /* owned */
    size_t count;
} price_table;

/* Read a price table from JSON text ({"prices": [{provider, model or prefix, input,
 * cache_read, cache_write, output, batch_discount, ...}]}); name is for messages. 0, or -1
 * with reason (nothing kept). */
int prices_parse(price_table *table, const char *text, size_t len, const char *name,
                 char *reason);
/* Read the table from path, or the built-in one (data/prices.json as built) when path is
 * NULL. 0, or -1 with reason. */
int prices_load(price_table *table, const char *path, char *reason);
/* The entry for model of provider: an exact entry, or the entry whose model is model
 * without a date suffix (-YYYY-MM-DD or -YYYYMMDD), else the longest matching prefix
 * entry; NULL when none (no cost: never a guess). */
const price *prices_find(const price_table *table, const char *provider, bt_str model);
/* Release the table (NULL-safe; the struct can be reused). */
void prices_free(price_table *table);

/* The text of data/prices.json as this library was built with (generated at build time). */
extern const char prices_builtin_json[];
extern const size_t prices_builtin_json_len;

#endif
