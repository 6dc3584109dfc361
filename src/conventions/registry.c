/* The conventions by the names --convention takes, and the list a run applies. */
#include <stdio.h>
#include <string.h>

#include "conventions/convention.h"
#include "util/alloc.h"
#include "util/reason.h"

/* Every convention a user can name, in the order the usage error lists them. */
static const convention *const named[] = {
    &convention_genai,
    &convention_braintrust,
    &convention_openinference,
    &convention_traceloop,
};

enum { NAMED_COUNT = sizeof named / sizeof named[0] };

/* See convention.h. */
const convention *convention_by_name(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < NAMED_COUNT; i++)
        if (strcmp(named[i]->name, name) == 0) return named[i];
    return NULL;
}

/* See convention.h. */
int convention_list_build(const char *const *names, size_t name_count,
                          const convention ***out, size_t *out_count, char *reason) {
    *out = NULL;
    *out_count = 0;
    for (size_t i = 0; i < name_count; i++) {
        if (convention_by_name(names[i])) continue;
        char valid[128] = "";
        for (size_t n = 0; n < NAMED_COUNT; n++) {
            const char *separator = n == 0 ? "" : n + 1 == NAMED_COUNT ? " or " : ", ";
            size_t used = strlen(valid);
            snprintf(valid + used, sizeof valid - used, "%s%s", separator, named[n]->name);
        }
        return fail(reason, "unknown convention \"%.60s\" (use %s)", names[i] ? names[i] : "",
                    valid);
    }
    const convention **list = xcalloc(name_count + 2, sizeof *list);
    size_t count = 0;
    list[count++] = &convention_linkage;
    list[count++] = &convention_genai;
    for (size_t i = 0; i < name_count; i++) {
        const convention *wanted = convention_by_name(names[i]);
        bool already = false;
        for (size_t j = 0; j < count; j++) already = already || list[j] == wanted;
        if (!already) list[count++] = wanted;
    }
    *out = list;
    *out_count = count;
    return 0;
}
