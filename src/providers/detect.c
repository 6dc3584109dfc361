/* Which provider wrote a record, judged from its content alone (SPEC section 4: never
 * from file names), and providers by name. Each detector reads a few keys of the root
 * object and answers NULL when the record fits neither provider's shape. */
#include <string.h>

#include "providers/provider.h"

/* True when obj has member key (of any value, null included). */
static bool has_key(const json_doc *doc, int obj, const char *key) {
    return json_get(doc, obj, key) >= 0;
}

/* True when obj has member key holding an object. */
static bool has_object(const json_doc *doc, int obj, const char *key) {
    return json_type_of(doc, json_get(doc, obj, key)) == JSON_OBJECT;
}

const provider_ops *provider_by_name(const char *name) {
    if (!name) return NULL;
    if (strcmp(name, provider_openai.name) == 0) return &provider_openai;
    if (strcmp(name, provider_anthropic.name) == 0) return &provider_anthropic;
    return NULL;
}

/* Anthropic: {custom_id, params:{...}}. OpenAI: {custom_id, method, url, body}; a body
 * object alone, or custom_id with url or method, is enough. */
const provider_ops *provider_detect_request(const json_doc *doc, int root) {
    if (json_type_of(doc, root) != JSON_OBJECT) return NULL;
    if (has_object(doc, root, "params")) return &provider_anthropic;
    if (has_key(doc, root, "body")) return &provider_openai;
    if (has_key(doc, root, "custom_id") &&
        (has_key(doc, root, "url") || has_key(doc, root, "method")))
        return &provider_openai;
    return NULL;
}

/* Anthropic: {custom_id, result:{type, ...}}. OpenAI: {id, custom_id, response, error},
 * where response or error may be null. */
const provider_ops *provider_detect_result(const json_doc *doc, int root) {
    if (json_type_of(doc, root) != JSON_OBJECT) return NULL;
    if (has_object(doc, root, "result")) return &provider_anthropic;
    if (has_key(doc, root, "custom_id") &&
        (has_key(doc, root, "response") || has_key(doc, root, "error")))
        return &provider_openai;
    return NULL;
}

/* OpenAI: {object:"batch", endpoint, request_counts{total, ...}}. Anthropic:
 * {type:"message_batch", processing_status, ...}. */
const provider_ops *provider_detect_batch(const json_doc *doc, int root) {
    if (json_type_of(doc, root) != JSON_OBJECT) return NULL;
    if (json_string_eq(doc, json_get(doc, root, "object"), "batch")) return &provider_openai;
    if (has_key(doc, root, "endpoint") &&
        has_key(doc, json_get(doc, root, "request_counts"), "total"))
        return &provider_openai;
    if (json_string_eq(doc, json_get(doc, root, "type"), "message_batch") ||
        has_key(doc, root, "processing_status"))
        return &provider_anthropic;
    return NULL;
}
