/* The Anthropic Messages body readers, shared with the providers that carry Messages
 * bodies in their own records (Claude on Amazon Bedrock, on Vertex AI). They fill an item
 * as anthropic.c does for a Message Batches record (endpoint /v1/messages, which the
 * caller may overwrite), reasons naming "params" and "result.message". */
#ifndef BT_PROVIDERS_ANTHROPIC_H
#define BT_PROVIDERS_ANTHROPIC_H

#include "json/json.h"
#include "providers/item.h"
#include "util/arena.h"

/* The request side of item from a Messages request body (the token params). -1 with
 * reason when it is not an object or a number is not a strict integer. */
int anthropic_read_params(const json_doc *doc, int params, arena_t *a, bt_item *item,
                          char *reason);
/* The response side of item from a Message (the token message): result succeeded,
 * output message, finish reason, usage (input includes the cache reads and writes). */
int anthropic_read_message(const json_doc *doc, int message, arena_t *a, bt_item *item,
                           char *reason);

#endif
