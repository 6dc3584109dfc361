/* The Gemini body readers, shared with Vertex AI batch prediction (vertex.c), whose
 * records carry the same GenerateContentRequest and GenerateContentResponse bodies and
 * whose jobs have the same JOB_STATE_* states. */
#ifndef BT_PROVIDERS_GEMINI_H
#define BT_PROVIDERS_GEMINI_H

#include "providers/record.h"

/* The request side of item from a GenerateContentRequest or EmbedContentRequest (the
 * token request). -1 with reason when it is absent or malformed. */
int gemini_read_request(const record_ctx *c, int request, bt_item *item);
/* The response side of item from a GenerateContentResponse (or EmbedContentResponse). */
int gemini_read_response(const record_ctx *c, int response, bt_item *item);
/* An errored item from a google.rpc.Status {code, message, status}. */
int gemini_read_status(const record_ctx *c, int error, bt_item *item);
/* The batch_state of a BATCH_STATE_* or JOB_STATE_* state; -1 for an unknown one. */
int gemini_classify_state(bt_str state, batch_state *out);

#endif
