/* See url.h. A URL is cut into scheme, userinfo, the host and path, the query and the
 * fragment without any validation: what libcurl accepts is libcurl's business, this only
 * decides what may be shown. */
#include "export/url.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

#define REDACTED "<redacted>"
/* A secret shorter than this is not replaced inside a message (see url_scrub). */
enum { SCRUB_MIN_SECRET = 4 };

/* The parts of a URL, as offsets into it. */
typedef struct url_parts {
    size_t after_scheme;   /* where the authority starts (after "://", or 0 without one) */
    size_t userinfo_end;   /* the '@' ending the userinfo, or after_scheme when there is none */
    bool has_userinfo;
    bool all_hidden;       /* a '?' or '#' precedes the userinfo's '@': hide everything */
    size_t query;          /* the '?' (or the '#', or the end): where host and path end */
} url_parts;

/* Cut url into its parts (see url.h for the userinfo rule). */
static url_parts url_split(const char *url) {
    url_parts parts;
    memset(&parts, 0, sizeof parts);
    const char *scheme_end = strstr(url, "://");
    parts.after_scheme = scheme_end ? (size_t)(scheme_end + 3 - url) : 0;
    const char *rest = url + parts.after_scheme;
    const char *at = strrchr(rest, '@');
    parts.userinfo_end = parts.after_scheme;
    if (at) {
        parts.has_userinfo = true;
        parts.userinfo_end = (size_t)(at - url);
        size_t before = strcspn(rest, "?#");
        if (rest + before < at) parts.all_hidden = true;
    }
    const char *host = parts.has_userinfo ? url + parts.userinfo_end + 1 : rest;
    parts.query = (size_t)(host - url) + strcspn(host, "?#");
    return parts;
}

/* See url.h. */
char *url_redact(const char *url) {
    url_parts parts = url_split(url);
    buf_t shown = BUF_INIT;
    buf_append(&shown, url, parts.after_scheme);
    if (parts.all_hidden) {
        buf_puts(&shown, REDACTED);
        return buf_detach(&shown);
    }
    size_t host = parts.after_scheme;
    if (parts.has_userinfo) {
        buf_puts(&shown, REDACTED "@");
        host = parts.userinfo_end + 1;
    }
    buf_append(&shown, url + host, parts.query - host);
    /* The query: each name=value keeps its name; a bare item is hidden whole. */
    const char *at = url + parts.query;
    if (*at == '?') {
        buf_putc(&shown, '?');
        at++;
        while (*at && *at != '#') {
            size_t item = strcspn(at, "&#");
            const char *eq = memchr(at, '=', item);
            if (eq) buf_append(&shown, at, (size_t)(eq - at) + 1);
            if (item) buf_puts(&shown, REDACTED);
            at += item;
            if (*at == '&') buf_putc(&shown, *at++);
        }
    }
    if (*at == '#') buf_puts(&shown, "#" REDACTED);
    return buf_detach(&shown);
}

/* The secrets of a URL: spans of it. */
typedef struct secret_list {
    const char **starts;   /* owned array; the spans lie in the URL */
    size_t *lens;          /* owned array */
    size_t count;
} secret_list;

/* Add the secret of len bytes at start to the list, skipping empty ones. */
static void add_secret(secret_list *list, const char *start, size_t len) {
    if (len == 0) return;
    list->starts = xreallocarray(list->starts, list->count + 1, sizeof *list->starts);
    list->lens = xreallocarray(list->lens, list->count + 1, sizeof *list->lens);
    list->starts[list->count] = start;
    list->lens[list->count++] = len;
}

/* The secrets of url, longest first (so the whole userinfo is replaced before its
 * pieces). */
static void collect_secrets(const char *url, secret_list *list) {
    url_parts parts = url_split(url);
    const char *rest = url + parts.after_scheme;
    if (parts.all_hidden) {
        add_secret(list, rest, strlen(rest));
    } else {
        if (parts.has_userinfo) {
            size_t len = parts.userinfo_end - parts.after_scheme;
            add_secret(list, rest, len);
            for (size_t at = 0; at < len;) {
                size_t piece = strcspn(rest + at, ":@/");
                if (piece > len - at) piece = len - at;
                if (piece < len) add_secret(list, rest + at, piece);
                at += piece + 1;
            }
        }
        const char *at = url + parts.query;
        while (*at) {
            at++; /* the '?', '&', '#' or '=' before a value */
            size_t item = strcspn(at, "&#");
            const char *eq = memchr(at, '=', item);
            const char *value = eq ? eq + 1 : at;
            add_secret(list, value, (size_t)(at + item - value));
            at += item;
        }
    }
    /* longest first: a few entries, insertion sort */
    for (size_t i = 1; i < list->count; i++)
        for (size_t j = i; j > 0 && list->lens[j] > list->lens[j - 1]; j--) {
            const char *start = list->starts[j];
            size_t len = list->lens[j];
            list->starts[j] = list->starts[j - 1];
            list->lens[j] = list->lens[j - 1];
            list->starts[j - 1] = start;
            list->lens[j - 1] = len;
        }
}

/* The first secret of list that starts at text, or -1. */
static long secret_at(const secret_list *list, const char *text) {
    for (size_t i = 0; i < list->count; i++)
        if (strncmp(text, list->starts[i], list->lens[i]) == 0) return (long)i;
    return -1;
}

/* See url.h. */
void url_scrub(const char *url, const char *text, const char *fallback, buf_t *out) {
    secret_list list = {NULL, NULL, 0};
    collect_secrets(url, &list);
    size_t start = out->len;
    for (const char *at = text; *at;) {
        long found = secret_at(&list, at);
        if (found < 0) {
            buf_putc(out, *at++);
            continue;
        }
        if (list.lens[found] < SCRUB_MIN_SECRET) {
            out->len = start;
            if (out->data) out->data[start] = '\0';
            buf_puts(out, fallback);
            break;
        }
        buf_puts(out, REDACTED);
        at += list.lens[found];
    }
    free(list.starts);
    free(list.lens);
}

/* See url.h. */
char *url_append_path(const char *base, const char *path) {
    size_t path_end = strcspn(base, "?#");
    size_t keep = path_end;
    while (keep > 0 && base[keep - 1] == '/') keep--;
    buf_t url = BUF_INIT;
    buf_append(&url, base, keep);
    buf_puts(&url, path);
    buf_puts(&url, base + path_end);
    return buf_detach(&url);
}
