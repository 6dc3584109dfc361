/* Shared helpers of the provider tests written after the registry (test_gemini.c,
 * test_bedrock.c, ...): JSON with single quotes (turned into double quotes), parsed into
 * one shared doc, then handed to the provider under test through the registry's parse
 * functions, so the item's provider is the one a collect would set. */
#ifndef BT_TEST_PROVIDER_TEST_H
#define BT_TEST_PROVIDER_TEST_H

#include <stdio.h>
#include <string.h>

#include "providers/provider.h"
#include "test.h"

static json_doc doc = JSON_DOC_INIT;
static arena_t arena = ARENA_INIT;
static char reason[REASON_MAX];
static const provider_ops *tested; /* set by each test file's main */

/* Parse the single-quoted JSON text into the shared doc and clear the arena and reason.
 * 0 when the JSON parsed. */
static int load(const char *text) {
    static char json[16384]; /* the doc borrows its text */
    arena_reset(&arena);
    reason[0] = '\0';
    size_t i = 0;
    for (; text[i] && i + 1 < sizeof json; i++) json[i] = text[i] == '\'' ? '"' : text[i];
    json[i] = '\0';
    if (json_parse(&doc, json, i, reason) != 0) {
        fprintf(stderr, "test JSON does not parse (%s): %s\n", reason, json);
        return -1;
    }
    return 0;
}

/* The tested provider's parse_request on text into *item (zeroed first); -2 on bad JSON. */
static int parse_request(const char *text, bt_item *item) {
    memset(item, 0, sizeof *item);
    if (load(text) != 0) return -2;
    return provider_parse_request(tested, &doc, 0, &arena, item, reason);
}

/* The tested provider's parse_result on text into *item (zeroed first). */
static int parse_result(const char *text, bt_item *item) {
    memset(item, 0, sizeof *item);
    if (load(text) != 0) return -2;
    return provider_parse_result(tested, &doc, 0, &arena, item, reason);
}

/* The tested provider's parse_batch on text into *batch (zeroed first). */
static int parse_batch(const char *text, batch_info *batch) {
    memset(batch, 0, sizeof *batch);
    if (load(text) != 0) return -2;
    return provider_parse_batch(tested, &doc, 0, &arena, batch, reason);
}

/* The name of the provider detect() finds for text, or "none". */
static const char *detected(const provider_ops *(*detect)(const json_doc *, int),
                            const char *text) {
    if (load(text) != 0) return "bad json";
    const provider_ops *ops = detect(&doc, 0);
    return ops ? ops->name : "none";
}

#endif
