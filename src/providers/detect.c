/* The provider registry (registry.def) and detection: which provider wrote a record, judged
 * from its content alone (SPEC section 4: never from file names), and providers by name.
 * Each provider's is_* functions read a few keys of the root object; this file only asks
 * them, in registry order, and knows no provider by name. */
#include <stdio.h>
#include <string.h>

#include "providers/provider.h"

/* Every registered provider, in registry.def's order. */
static const provider_ops *const registry[] = {
#define PROVIDER(variable) &provider_##variable,
#include "providers/registry.def"
#undef PROVIDER
};

enum { REGISTRY_SIZE = sizeof registry / sizeof registry[0] };

size_t provider_count(void) { return REGISTRY_SIZE; }

const provider_ops *provider_at(size_t index) {
    return index < REGISTRY_SIZE ? registry[index] : NULL;
}

const provider_ops *provider_by_name(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < REGISTRY_SIZE; i++) {
        if (strcmp(name, registry[i]->name) == 0) return registry[i];
        if (registry[i]->alias && strcmp(name, registry[i]->alias) == 0) return registry[i];
    }
    return NULL;
}

/* Built once: the registry's names, comma-separated. */
const char *provider_names(void) {
    static char names[512];
    if (names[0]) return names;
    size_t used = 0;
    for (size_t i = 0; i < REGISTRY_SIZE && used < sizeof names; i++)
        used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                                 registry[i]->name);
    return names;
}

bool provider_same_format(const provider_ops *a, const provider_ops *b) {
    return a && b && strcmp(a->format, b->format) == 0;
}

int provider_parse_request(const provider_ops *p, const json_doc *doc, int root, arena_t *a,
                           bt_item *item, char *reason) {
    int rc = p->parse_request(doc, root, a, item, reason);
    item->provider = p->name;
    return rc;
}

int provider_parse_result(const provider_ops *p, const json_doc *doc, int root, arena_t *a,
                          bt_item *item, char *reason) {
    int rc = p->parse_result(doc, root, a, item, reason);
    item->provider = p->name;
    return rc;
}

int provider_parse_batch(const provider_ops *p, const json_doc *doc, int root, arena_t *a,
                         batch_info *batch, char *reason) {
    int rc = p->parse_batch(doc, root, a, batch, reason);
    batch->provider = p->name;
    return rc;
}

/* See provider.h. */
int provider_batch_records(const provider_ops *p, const json_doc *doc, int root, arena_t *a,
                           buf_t *requests, buf_t *results, char *reason) {
    return p->batch_records ? p->batch_records(doc, root, a, requests, results, reason) : 0;
}

/* The kinds of record a provider recognises. */
typedef enum record_kind { RECORD_REQUEST, RECORD_RESULT, RECORD_BATCH } record_kind;

/* Whether p recognises the record as one of kind (false when p is never detected). */
static bool recognises(const provider_ops *p, record_kind kind, const json_doc *doc, int root) {
    bool (*is)(const json_doc *, int) = kind == RECORD_REQUEST  ? p->is_request
                                        : kind == RECORD_RESULT ? p->is_result
                                                                : p->is_batch;
    return is && is(doc, root);
}

/* Which provider recognises the record: the first in registry order, except that a
 * provider writing another's format (Azure OpenAI writes OpenAI's) and recognised by its
 * own marks wins over the provider whose format it writes, which matches too. */
static const provider_ops *detect(record_kind kind, const json_doc *doc, int root) {
    if (json_type_of(doc, root) != JSON_OBJECT) return NULL;
    const provider_ops *found = NULL;
    for (size_t i = 0; i < REGISTRY_SIZE; i++) {
        if (!recognises(registry[i], kind, doc, root)) continue;
        if (!found) found = registry[i];
        else if (strcmp(registry[i]->format, found->name) == 0) return registry[i];
    }
    return found;
}

const provider_ops *provider_detect_request(const json_doc *doc, int root) {
    return detect(RECORD_REQUEST, doc, root);
}

const provider_ops *provider_detect_result(const json_doc *doc, int root) {
    return detect(RECORD_RESULT, doc, root);
}

const provider_ops *provider_detect_batch(const json_doc *doc, int root) {
    return detect(RECORD_BATCH, doc, root);
}
