/* The resource: parse OTEL_RESOURCE_ATTRIBUTES, add service.name and telemetry.sdk.*, and
 * pack everything into one allocation (attribute array followed by the strings), so
 * resource_free is a single free. */
#include "span/resource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/reason.h"

#define RESOURCE_DEFAULT_SERVICE "batchtrace"
#define RESOURCE_SDK_PREFIX "telemetry.sdk."

/* One key=value pair while parsing: offsets of NUL-terminated strings in the scratch buf. */
typedef struct parsed_pair {
    size_t key_off;    /* offset of the key in the scratch buffer */
    size_t value_off;  /* offset of the decoded value */
    size_t value_len;  /* its length in bytes (it may hold a decoded %00) */
} parsed_pair;

/* The pairs parsed so far and the bytes they point into. */
typedef struct pair_list {
    buf_t text;           /* keys and values, each NUL-terminated */
    parsed_pair *pairs;   /* xmalloc'ed */
    size_t count;         /* pairs in use */
    size_t cap;           /* pairs allocated */
    int skipped;          /* malformed pairs */
    char *reason;         /* caller's reason buffer (first problem), may be NULL */
} pair_list;

/* Record a malformed pair: count it, and describe it when it is the first. */
static void pair_skip(pair_list *list, const char *fmt, const char *what, size_t what_len) {
    if (list->skipped++ == 0) {
        char shown[64];
        size_t n = what_len < sizeof shown - 1 ? what_len : sizeof shown - 1;
        memcpy(shown, what, n);
        shown[n] = '\0';
        fail(list->reason, fmt, shown);
    }
}

/* The value of a hex digit, or -1. */
static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* True for the optional whitespace W3C Baggage allows around keys and values. */
static bool is_ows(char c) { return c == ' ' || c == '\t'; }

/* Trim OWS from both ends of [*start, *end). */
static void trim(const char **start, const char **end) {
    while (*start < *end && is_ows(**start)) (*start)++;
    while (*end > *start && is_ows((*end)[-1])) (*end)--;
}

/* Parse one list member "key=value" in [start, end) into the list, or skip it. */
static void parse_member(pair_list *list, const char *start, const char *end) {
    trim(&start, &end);
    if (start == end) return; /* an empty member (",," or a trailing comma): nothing to say */
    const char *eq = memchr(start, '=', (size_t)(end - start));
    if (!eq) {
        pair_skip(list, "OTEL_RESOURCE_ATTRIBUTES: \"%s\" is not key=value, skipped",
                  start, (size_t)(end - start));
        return;
    }
    const char *key_end = eq, *value_start = eq + 1;
    trim(&start, &key_end);
    trim(&value_start, &end);
    if (start == key_end) {
        pair_skip(list, "OTEL_RESOURCE_ATTRIBUTES: \"%s\" has an empty key, skipped", start,
                  (size_t)(end - start));
        return;
    }
    size_t key_len = (size_t)(key_end - start);
    if (key_len > strlen(RESOURCE_SDK_PREFIX) &&
        memcmp(start, RESOURCE_SDK_PREFIX, strlen(RESOURCE_SDK_PREFIX)) == 0) {
        pair_skip(list, "OTEL_RESOURCE_ATTRIBUTES: %s is set by batchtrace, skipped", start,
                  key_len);
        return;
    }
    size_t mark = list->text.len;
    buf_append(&list->text, start, key_len);
    buf_putc(&list->text, '\0');
    size_t value_off = list->text.len;
    for (const char *p = value_start; p < end; p++) {
        if (*p != '%') {
            buf_putc(&list->text, *p);
            continue;
        }
        int high = p + 1 < end ? hex_digit(p[1]) : -1;
        int low = p + 2 < end ? hex_digit(p[2]) : -1;
        if (high < 0 || low < 0) {
            list->text.len = mark; /* forget the partial pair */
            pair_skip(list, "OTEL_RESOURCE_ATTRIBUTES: bad percent-encoding in the value of %s,"
                      " skipped", start, key_len);
            return;
        }
        buf_putc(&list->text, (char)(high * 16 + low));
        p += 2;
    }
    size_t value_len = list->text.len - value_off;
    buf_putc(&list->text, '\0');

    const char *key = list->text.data + mark;
    for (size_t i = 0; i < list->count; i++) {
        if (strcmp(list->text.data + list->pairs[i].key_off, key) == 0) {
            list->pairs[i].value_off = value_off; /* the last value wins, in place */
            list->pairs[i].value_len = value_len;
            return;
        }
    }
    if (list->count == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 8;
        list->pairs = xreallocarray(list->pairs, list->cap, sizeof *list->pairs);
    }
    list->pairs[list->count++] = (parsed_pair){mark, value_off, value_len};
}

/* See resource.h. */
int resource_from_env(span_resource *out, char *reason) {
    return resource_build(out, getenv("OTEL_SERVICE_NAME"), getenv("OTEL_RESOURCE_ATTRIBUTES"),
                          reason);
}

/* See resource.h. */
int resource_build(span_resource *out, const char *service_name,
                   const char *resource_attributes, char *reason) {
    pair_list list = {BUF_INIT, NULL, 0, 0, 0, reason};
    if (resource_attributes) {
        const char *p = resource_attributes, *end = p + strlen(p);
        while (p <= end) {
            const char *comma = memchr(p, ',', (size_t)(end - p));
            const char *member_end = comma ? comma : end;
            parse_member(&list, p, member_end);
            p = member_end + 1;
        }
    }
    if (list.skipped > 1 && reason) {
        size_t used = strlen(reason);
        snprintf(reason + used, REASON_MAX - used, " (and %d more)", list.skipped - 1);
    }

    /* service.name: the variable, else the pair, else the default. */
    bt_str service = STR_NULL;
    bool service_from_pair = false;
    size_t service_pair = 0;
    for (size_t i = 0; i < list.count; i++) {
        if (strcmp(list.text.data + list.pairs[i].key_off, "service.name") == 0) {
            service_from_pair = true;
            service_pair = i;
        }
    }
    if (service_name && *service_name) {
        service = str_c(service_name);
    } else if (service_from_pair) {
        service = (bt_str){list.text.data + list.pairs[service_pair].value_off,
                           list.pairs[service_pair].value_len};
    } else {
        service = STR_LIT(RESOURCE_DEFAULT_SERVICE);
    }

    static const char *const sdk_keys[3] = {"telemetry.sdk.name", "telemetry.sdk.language",
                                            "telemetry.sdk.version"};
    const bt_str sdk_values[3] = {STR_LIT("batchtrace"), STR_LIT("c"),
                                  STR_LIT(BATCHTRACE_VERSION)};
    size_t attr_count = 1 + list.count - (service_from_pair ? 1 : 0) + 3;

    /* One block: the attributes, then service.name's value, then the parsed text. */
    size_t attrs_bytes = attr_count * sizeof(span_attr);
    size_t total = attrs_bytes + service.len + 1 + list.text.len;
    char *block = xmalloc(total);
    span_attr *attrs = (span_attr *)(void *)block;
    char *service_copy = block + attrs_bytes;
    if (service.len) memcpy(service_copy, service.ptr, service.len);
    service_copy[service.len] = '\0';
    char *text = service_copy + service.len + 1;
    if (list.text.len) memcpy(text, list.text.data, list.text.len);

    size_t n = 0;
    memset(attrs, 0, attrs_bytes);
    attrs[n].key = "service.name";
    attrs[n].type = ATTR_STRING;
    attrs[n++].s = (bt_str){service_copy, service.len};
    for (size_t i = 0; i < list.count; i++) {
        if (service_from_pair && i == service_pair) continue;
        attrs[n].key = text + list.pairs[i].key_off;
        attrs[n].type = ATTR_STRING;
        attrs[n++].s = (bt_str){text + list.pairs[i].value_off, list.pairs[i].value_len};
    }
    for (size_t i = 0; i < 3; i++) {
        attrs[n].key = sdk_keys[i];
        attrs[n].type = ATTR_STRING;
        attrs[n++].s = sdk_values[i];
    }

    out->attrs = attrs;
    out->attr_count = n;
    out->scope_name = "batchtrace";
    out->scope_version = BATCHTRACE_VERSION;
    int skipped = list.skipped;
    buf_free(&list.text);
    free(list.pairs);
    return skipped;
}

/* See resource.h. */
void resource_free(span_resource *res) {
    if (!res) return;
    free(res->attrs);
    memset(res, 0, sizeof *res);
}
