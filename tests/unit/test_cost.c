/* The price table and the cost of an item: which entry a model takes (exact, dated
 * snapshot, prefix, never a near name), and costs to the cent on token counts of the
 * fixtures, against a table computed by hand here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/cost.h"
#include "report/prices.h"
#include "report/stats.h"
#include "test.h"

/* Whole cents of usd. */
static long long cents(double usd) { return llround(usd * 100); }
/* Whole millionths of a dollar of usd. */
static long long micros(double usd) { return llround(usd * 1e6); }

/* An item of provider and model with these token counts (-1: not given). */
static bt_item item_with(const char *provider, const char *model, int64_t input,
                         int64_t cache_read, int64_t cache_write, int64_t output) {
    bt_item item;
    memset(&item, 0, sizeof item);
    item.provider = provider;
    item.request_model = str_c(model);
    item.input_tokens = (opt_i64){input >= 0, input};
    item.cache_read_tokens = (opt_i64){cache_read >= 0, cache_read};
    item.cache_creation_tokens = (opt_i64){cache_write >= 0, cache_write};
    item.output_tokens = (opt_i64){output >= 0, output};
    return item;
}

/* The cost of item under the built-in table. */
static item_cost builtin_cost(const bt_item *item) {
    price_table table;
    char reason[REASON_MAX];
    CHECK_INT(prices_load(&table, NULL, reason), 0);
    item_cost cost = cost_of_item(prices_find(&table, item->provider, item->request_model), item);
    prices_free(&table);
    return cost;
}

TEST(a_model_takes_its_entry_its_dated_snapshots_and_no_near_name) {
    price_table table;
    char reason[REASON_MAX];
    CHECK_INT(prices_load(&table, NULL, reason), 0);
    const price *p = prices_find(&table, "openai", str_c("gpt-4o-mini-2024-07-18"));
    CHECK(p && strcmp(p->model, "gpt-4o-mini") == 0);
    p = prices_find(&table, "anthropic", str_c("claude-haiku-4-5-20251001"));
    CHECK(p && strcmp(p->model, "claude-haiku-4-5") == 0);
    p = prices_find(&table, "openai", str_c("gpt-4.1-2025-04-14"));
    CHECK(p && strcmp(p->model, "gpt-4.1") == 0);
    p = prices_find(&table, "openai", str_c("gpt-4.1-mini"));
    CHECK(p && strcmp(p->model, "gpt-4.1-mini") == 0);
    /* Not listed: never the price of a near name. */
    CHECK(prices_find(&table, "openai", str_c("gpt-4.1-nano")) == NULL);
    CHECK(prices_find(&table, "openai", str_c("gpt-4o-mini-audio-preview")) == NULL);
    CHECK(prices_find(&table, "openai", str_c("o3-mini")) == NULL);
    CHECK(prices_find(&table, "anthropic", str_c("gpt-4o-mini")) == NULL);
    prices_free(&table);
}

TEST(a_prefix_entry_matches_the_longest_prefix) {
    static const char json[] =
        "{\"prices\":[{\"provider\":\"openai\",\"prefix\":\"ft:\",\"input\":1,\"output\":2},"
        "{\"provider\":\"openai\",\"prefix\":\"ft:gpt-4o\",\"input\":3,\"output\":4,"
        "\"batch_discount\":0.5}]}";
    price_table table;
    char reason[REASON_MAX];
    CHECK_INT(prices_parse(&table, json, sizeof json - 1, "test", reason), 0);
    const price *p = prices_find(&table, "openai", str_c("ft:gpt-4o:acme::abc"));
    CHECK(p && p->input == 3 && p->batch_discount == 0.5);
    p = prices_find(&table, "openai", str_c("ft:davinci"));
    CHECK(p && p->input == 1 && p->batch_discount == 0);
    prices_free(&table);
}

TEST(a_broken_table_is_refused_with_its_reason) {
    price_table table;
    char reason[REASON_MAX];
    CHECK_INT(prices_parse(&table, "{}", 2, "p.json", reason), -1);
    CHECK_STR(reason, "p.json: not a price table (no \"prices\" array)");
    static const char negative[] = "{\"prices\":[{\"provider\":\"openai\",\"model\":\"m\","
                                   "\"input\":-1}]}";
    CHECK_INT(prices_parse(&table, negative, sizeof negative - 1, "p.json", reason), -1);
    CHECK_STR(reason, "p.json: prices[0].input must be a non-negative number");
    static const char discount[] = "{\"prices\":[{\"provider\":\"openai\",\"model\":\"m\","
                                   "\"batch_discount\":2}]}";
    CHECK_INT(prices_parse(&table, discount, sizeof discount - 1, "p.json", reason), -1);
    CHECK_STR(reason, "p.json: prices[0].batch_discount must be between 0 and 1");
    CHECK_INT(prices_load(&table, "/nonexistent/prices.json", reason), -1);
}

/* Hand-computed, USD per million tokens from data/prices.json, batch discount 50%:
 *
 * provider  model              uncached  cache rd  cache wr   output   synchronous   batch
 * anthropic claude-sonnet-4-5  700,000   200,000   100,000   500,000  2.1+0.06+0.375+7.5
 *                                                                      = 10.035      5.0175
 * anthropic claude-haiku-4-5        41         0         0        78   0.000431      0.0002155
 *   (examples/anthropic, item faq-001: 41 in, 78 out)
 * openai    o4-mini              2,087     2,048         0     1,953   0.0022957+0.0005632
 *   (examples/openai, all 10 items)                                    +0.0085932 = 0.0114521
 *                                                                                    0.00572605
 * openai    gpt-4o-mini     1,000,000*   0         0     1,000,000   0.15+0.60=0.75  0.375
 *   (* 1,250,000 input of which 250,000 cache read: 0.15+0.01875+0.60=0.76875, 0.384375)
 */
TEST(costs_to_the_cent_match_the_hand_computed_table) {
    bt_item sonnet = item_with("anthropic", "claude-sonnet-4-5", 1000000, 200000, 100000, 500000);
    item_cost cost = builtin_cost(&sonnet);
    CHECK(cost.has);
    CHECK_INT(cents(cost.usd), 502);        /* $5.0175 */
    CHECK_INT(micros(cost.usd), 5017500);
    CHECK_INT(micros(cost.saved_usd), 5017500);

    bt_item haiku = item_with("anthropic", "claude-haiku-4-5-20251001", 41, -1, -1, 78);
    cost = builtin_cost(&haiku);
    CHECK_INT(llround(cost.usd * 1e7), 2155); /* $0.0002155 */

    bt_item o4 = item_with("openai", "o4-mini-2025-04-16", 4135, 2048, -1, 1953);
    cost = builtin_cost(&o4);
    CHECK_INT(llround(cost.usd * 1e8), 572605); /* $0.00572605 */
    CHECK_INT(llround(cost.saved_usd * 1e8), 572605);

    bt_item mini = item_with("openai", "gpt-4o-mini", 1250000, 250000, -1, 1000000);
    cost = builtin_cost(&mini);
    CHECK_INT(cents(cost.usd), 38);         /* $0.384375 */
    CHECK_INT(micros(cost.usd), 384375);
}

TEST(an_item_without_tokens_or_price_costs_nothing_known) {
    bt_item none = item_with("openai", "gpt-4o-mini", -1, -1, -1, -1);
    CHECK(!builtin_cost(&none).has);
    bt_item unknown = item_with("openai", "o3-mini", 10, -1, -1, 10);
    CHECK(!builtin_cost(&unknown).has);
}

TEST(the_report_groups_errors_and_sums_cost_per_model) {
    report_stats stats;
    memset(&stats, 0, sizeof stats);
    stats_item failed = {.result = RESULT_ERRORED, .custom_id = str_c("a"),
                         .model = str_c("m"), .error_type = str_c("invalid_request_error"),
                         .error_message = str_c("too long")};
    stats_add(&stats, &failed);
    failed.custom_id = str_c("b");
    stats_add(&stats, &failed);
    stats_item expired = {.result = RESULT_EXPIRED, .custom_id = str_c("c"), .model = str_c("m")};
    stats_add(&stats, &expired);
    failed.custom_id = str_c("d");
    stats_add(&stats, &failed);
    stats_item priced = {.result = RESULT_SUCCEEDED, .custom_id = str_c("e"), .model = str_c("n"),
                         .cost = {true, 0.25, 0.25}};
    stats_add(&stats, &priced);
    stats_sort_groups(&stats);
    CHECK_INT(stats.group_count, 2);
    CHECK_STR(stats.groups[0].type, "invalid_request_error");
    CHECK_INT(stats.groups[0].count, 3);
    CHECK_INT(stats.groups[0].id_count, 3);
    CHECK_STR(stats.groups[0].custom_ids[2], "d");
    CHECK_STR(stats.groups[1].type, "expired");
    CHECK_INT(stats.model_count, 2);
    CHECK_INT(cents(stats.models[1].cost_usd), 25);
    CHECK_INT(stats.costliest_count, 1);
    CHECK_STR(stats.costliest[0].custom_id, "e");
    stats_free(&stats);
}

int main(void) {
    RUN(a_model_takes_its_entry_its_dated_snapshots_and_no_near_name);
    RUN(a_prefix_entry_matches_the_longest_prefix);
    RUN(a_broken_table_is_refused_with_its_reason);
    RUN(costs_to_the_cent_match_the_hand_computed_table);
    RUN(an_item_without_tokens_or_price_costs_nothing_known);
    RUN(the_report_groups_errors_and_sums_cost_per_model);
    TEST_MAIN_END();
}
