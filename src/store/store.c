/* Which store to use (see store.h): the URL from the caller, BATCHTRACE_STORE or the
 * default path under the XDG state directory; the backend its scheme names (sqlite.c,
 * postgres.c), to which every store_* call is forwarded through the handle's table
 * (backend.h). Backend-neutral. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "store/backend.h"
#include "util/alloc.h"
#include "util/buf.h"

/* The variable's value when set and non-empty, else NULL. */
static const char *env(const char *name) {
    const char *value = getenv(name);
    return value && *value ? value : NULL;
}

/* Which backend a URL names. */
typedef enum store_scheme {
    SCHEME_NONE,      /* not a URL batchtrace can open */
    SCHEME_SQLITE,    /* sqlite:PATH */
    SCHEME_POSTGRES,  /* postgres://..., postgresql://..., postgres:KEY=VALUE ... */
} store_scheme;

/* The backend url names (no check of what follows the scheme). */
static store_scheme scheme_of(const char *url) {
    if (strncmp(url, "sqlite:", 7) == 0) return SCHEME_SQLITE;
    if (strncmp(url, "postgresql:", 11) == 0 || strncmp(url, "postgres:", 9) == 0)
        return SCHEME_POSTGRES;
    return SCHEME_NONE;
}

/* Check that url names a store batchtrace can open; source names where it came from. A
 * URL may carry a password (postgresql://user:secret@...), so messages show its scheme
 * only. */
static int check_url(const char *url, const char *source, char *reason) {
    switch (scheme_of(url)) {
    case SCHEME_SQLITE:
        if (url[7] == '\0') return fail(reason, "%s: sqlite: needs a path (sqlite:PATH)", source);
        return 0;
    case SCHEME_POSTGRES:
        if (strchr(url, ':')[1] == '\0')
            return fail(reason, "%s: postgres: needs a server (postgres://USER@HOST/DATABASE)",
                        source);
        return 0;
    case SCHEME_NONE:
        break;
    }
    size_t scheme_len = strcspn(url, ":/");
    if (url[scheme_len] != ':')
        return fail(reason, "%s must be a URL: sqlite:PATH or postgres://HOST/DATABASE", source);
    if (scheme_len > 20) scheme_len = 20;
    return fail(reason, "%s: unknown store type \"%.*s:\" (use sqlite:PATH or "
                        "postgres://HOST/DATABASE)", source, (int)scheme_len, url);
}

/* See store.h. */
bool store_url_named(const char *url) { return url || env("BATCHTRACE_STORE"); }

/* See store.h. */
int store_check_named_url(const char *url, char *reason) {
    if (url) return check_url(url, "--store", reason);
    const char *from_env = env("BATCHTRACE_STORE");
    return from_env ? check_url(from_env, "BATCHTRACE_STORE", reason) : 0;
}

/* See store.h. */
char *store_resolve_url(const char *url, char *reason) {
    if (url) return check_url(url, "--store", reason) == 0 ? xstrdup(url) : NULL;
    const char *from_env = env("BATCHTRACE_STORE");
    if (from_env) return check_url(from_env, "BATCHTRACE_STORE", reason) == 0 ? xstrdup(from_env)
                                                                           : NULL;
    buf_t made = BUF_INIT;
    /* XDG: a relative XDG_STATE_HOME is invalid and must be ignored. */
    const char *state_home = env("XDG_STATE_HOME");
    const char *home = env("HOME");
    if (state_home && state_home[0] == '/') {
        buf_printf(&made, "sqlite:%s/batchtrace/state.db", state_home);
    } else if (home) {
        buf_printf(&made, "sqlite:%s/.local/state/batchtrace/state.db", home);
    } else {
        fail(reason, "no place for the store: set HOME or XDG_STATE_HOME, or give --store "
                     "sqlite:PATH");
        return NULL;
    }
    return buf_detach(&made);
}

/* ---- dispatch ------------------------------------------------------------------------- */

/* See store.h. */
store_t *store_open(const char *url, bool create, char *reason) {
    switch (scheme_of(url)) {
    case SCHEME_SQLITE: return sqlite_store_open(url, create, reason);
    case SCHEME_POSTGRES: return pg_store_open(url, create, reason);
    case SCHEME_NONE: break;
    }
    fail(reason, "not a store URL batchtrace can open (use sqlite:PATH or postgres://HOST/DATABASE)");
    return NULL;
}

/* See store.h. */
store_t *store_open_readonly(const char *url, bool *older, char *reason) {
    *older = false;
    switch (scheme_of(url)) {
    case SCHEME_SQLITE: return sqlite_store_open_readonly(url, older, reason);
    case SCHEME_POSTGRES: return pg_store_open_readonly(url, older, reason);
    case SCHEME_NONE: break;
    }
    fail(reason, "not a store URL batchtrace can open (use sqlite:PATH or postgres://HOST/DATABASE)");
    return NULL;
}

/* Append text[0..len) to out with the value of every "password=" in it hidden (a value
 * ends at end, or at a stop byte: '&' in a URI's query, a space in a conninfo; a quoted
 * conninfo value ends at its closing quote). */
static void hide_password_values(buf_t *out, const char *text, size_t len, char stop) {
    size_t at = 0;
    while (at < len) {
        bool starts_item = at == 0 || text[at - 1] == stop || text[at - 1] == '?';
        if (starts_item && len - at >= 9 && strncmp(text + at, "password=", 9) == 0) {
            buf_puts(out, "password=<redacted>");
            at += 9;
            if (at < len && text[at] == '\'') {
                for (at++; at < len && text[at] != '\''; at++)
                    if (text[at] == '\\' && at + 1 < len) at++;
                if (at < len) at++;
            } else {
                while (at < len && text[at] != stop) at++;
            }
            continue;
        }
        buf_putc(out, text[at++]);
    }
}

/* See store.h. */
char *store_shown_url(const char *url) {
    if (scheme_of(url) != SCHEME_POSTGRES) return xstrdup(url);
    buf_t shown = BUF_INIT;
    const char *rest = strstr(url, "://");
    if (!rest) { /* postgres:KEY=VALUE ...: a libpq conninfo */
        const char *conninfo = strchr(url, ':') + 1;
        buf_append(&shown, url, (size_t)(conninfo - url));
        hide_password_values(&shown, conninfo, strlen(conninfo), ' ');
        return buf_detach(&shown);
    }
    rest += 3;
    buf_append(&shown, url, (size_t)(rest - url));
    const char *at = strrchr(rest, '@');
    size_t before_query = strcspn(rest, "?#");
    if (at && rest + before_query < at) { /* an '@' in the query: hide all but the scheme */
        buf_puts(&shown, "<redacted>");
        return buf_detach(&shown);
    }
    if (at) {
        const char *colon = memchr(rest, ':', (size_t)(at - rest));
        if (colon) {
            buf_append(&shown, rest, (size_t)(colon - rest));
            buf_puts(&shown, ":<redacted>");
        } else {
            buf_append(&shown, rest, (size_t)(at - rest));
        }
        rest = at;
    }
    hide_password_values(&shown, rest, strlen(rest), '&');
    return buf_detach(&shown);
}

/* See store.h (NULL-safe). */
void store_close(store_t *store) {
    if (store) store->ops->close(store);
}

/* See store.h. */
const char *store_url(const store_t *store) { return store->ops->url(store); }
/* See store.h. */
bool store_read_stable(const store_t *store) { return store->ops->read_stable(store); }
/* See store.h. */
void store_set_cancel(store_t *store, int (*cancelled)(void)) {
    store->ops->set_cancel(store, cancelled);
}
/* See store.h. */
int store_begin(store_t *store, char *reason) { return store->ops->begin(store, reason); }
/* See store.h. */
int store_commit(store_t *store, char *reason) { return store->ops->commit(store, reason); }
/* See store.h. */
void store_rollback(store_t *store) { store->ops->rollback(store); }
/* See store.h. */
int store_schema_version(store_t *store, int64_t *version, char *reason) {
    return store->ops->schema_version(store, version, reason);
}
/* See store.h. */
int64_t store_opened_version(const store_t *store) { return store->opened_version; }

/* See store.h. */
int store_spool_put(store_t *store, spool_chunk *chunk, char *reason) {
    return store->ops->spool_put(store, chunk, reason);
}
/* See store.h. */
int store_spool_count(store_t *store, uint64_t *chunks, uint64_t *spans, char *reason) {
    return store->ops->spool_count(store, chunks, spans, reason);
}
/* See store.h. */
int store_spool_tally(store_t *store, uint64_t *waiting_spans, uint64_t *held_spans,
                      char *reason) {
    return store->ops->spool_tally(store, waiting_spans, held_spans, reason);
}
/* See store.h. */
int store_spool_claim(store_t *store, int64_t after_id, spool_claim *claim, char *reason) {
    return store->ops->spool_claim(store, after_id, claim, reason);
}
/* See store.h. */
int store_spool_delete(store_t *store, int64_t id, char *reason) {
    return store->ops->spool_delete(store, id, reason);
}
/* See store.h. */
int store_spool_replace(store_t *store, int64_t id, spool_chunk *chunks, size_t count,
                        char *reason) {
    return store->ops->spool_replace(store, id, chunks, count, reason);
}
/* See store.h. */
int store_spool_release(store_t *store, int64_t id, const char *why, char *reason) {
    return store->ops->spool_release(store, id, why, reason);
}
/* See store.h. */
void spool_claim_free(spool_claim *claim) {
    buf_free(&claim->storage);
    memset(&claim->chunk, 0, sizeof claim->chunk);
}

/* See backend.h. */
void spool_claim_fill(spool_claim *claim, int64_t id, const char *protocol,
                      uint64_t span_count, const void *body, size_t body_len,
                      const char *parent) {
    buf_clear(&claim->storage);
    /* One buffer holds body, then protocol, then the parent; offsets first, since the
     * buffer may move while it grows. */
    buf_append(&claim->storage, body ? body : "", body_len);
    size_t protocol_at = claim->storage.len;
    buf_puts(&claim->storage, protocol ? protocol : "");
    buf_putc(&claim->storage, '\0');
    size_t parent_at = claim->storage.len;
    if (parent) buf_puts(&claim->storage, parent);
    memset(&claim->chunk, 0, sizeof claim->chunk);
    claim->chunk.id = id;
    claim->chunk.span_count = span_count;
    claim->chunk.body = claim->storage.data;
    claim->chunk.body_len = body_len;
    claim->chunk.protocol = claim->storage.data + protocol_at;
    claim->chunk.braintrust_parent = parent ? claim->storage.data + parent_at : NULL;
}

/* See store.h. */
int store_signing_key(store_t *store, uint8_t key[STORE_KEY_LEN], char *reason) {
    return store->ops->signing_key(store, key, reason);
}
/* See store.h. */
void store_batch_free(store_batch *batch) {
    free(batch->context);
    free(batch->batch_id);
    free(batch->endpoint);
    free(batch->models);
    free(batch->batch_status);
    memset(batch, 0, sizeof *batch);
}
/* See store.h. */
int store_batch_put(store_t *store, const store_batch *batch, char *reason) {
    return store->ops->batch_put(store, batch, reason);
}
/* See store.h. */
int store_batch_put_ahead(store_t *store, const store_batch *batch, spool_chunk *chunk,
                          char *reason) {
    return store->ops->batch_put_ahead(store, batch, chunk, reason);
}
/* See store.h. */
int store_batch_find(store_t *store, const char *nonce, const char *batch_id, store_batch *out,
                     char *reason) {
    return store->ops->batch_find(store, nonce, batch_id, out, reason);
}
/* See store.h. */
int store_batch_bind(store_t *store, const char *nonce, const char *batch_id, char *reason) {
    return store->ops->batch_bind(store, nonce, batch_id, reason);
}
/* See store.h. */
int store_batch_set_status(store_t *store, const char *nonce, const char *status, char *reason) {
    return store->ops->batch_set_status(store, nonce, status, reason);
}
/* See store.h. */
int store_batch_list(store_t *store, const char *batch_id, store_batch **out, size_t *count,
                     char *reason) {
    return store->ops->batch_list(store, batch_id, out, count, reason);
}
/* See store.h. */
int store_report_put(store_t *store, const char *nonce, const char *report, char *reason) {
    return store->ops->report_put(store, nonce, report, reason);
}
/* See store.h. */
int store_report_get(store_t *store, const char *batch_id, char **report, char *reason) {
    return store->ops->report_get(store, batch_id, report, reason);
}
/* See store.h. */
int store_inputs_put(store_t *store, const char *nonce, int64_t part, const void *data,
                     size_t len, char *reason) {
    return store->ops->inputs_put(store, nonce, part, data, len, reason);
}
/* See store.h. */
int store_inputs_read(store_t *store, const char *nonce,
                      int (*each)(void *ctx, const void *data, size_t len, char *reason),
                      void *ctx, char *reason) {
    return store->ops->inputs_read(store, nonce, each, ctx, reason);
}

/* See store.h. */
int store_items_claim(store_t *store, const char *nonce, const bt_str *ids, size_t count,
                      claim_outcome *outcomes, char *reason) {
    return store->ops->items_claim(store, nonce, ids, count, outcomes, reason);
}
/* See store.h. */
int store_items_delivered(store_t *store, const char *nonce, const bt_str *ids, size_t count,
                          char *reason) {
    return store->ops->items_delivered(store, nonce, ids, count, reason);
}
/* See store.h. */
int store_task_claim(store_t *store, const char *nonce, bool provisional,
                     claim_outcome *outcome, char *reason) {
    return store->ops->task_claim(store, nonce, provisional, outcome, reason);
}
/* See store.h. */
int store_task_delivered(store_t *store, const char *nonce, bool provisional, char *reason) {
    return store->ops->task_delivered(store, nonce, provisional, reason);
}
/* See store.h. */
int store_run_release(store_t *store, char *reason) {
    return store->ops->run_release(store, reason);
}
/* See store.h. */
int store_exported_count(store_t *store, const char *nonce, uint64_t *count, char *reason) {
    return store->ops->exported_count(store, nonce, count, reason);
}
