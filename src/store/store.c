/* Which store to use (see store.h): the URL from the caller, BATCHTRACE_STORE or the
 * default path under the XDG state directory. Backend-neutral; the backends open what
 * this names. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"

/* The variable's value when set and non-empty, else NULL. */
static const char *env(const char *name) {
    const char *value = getenv(name);
    return value && *value ? value : NULL;
}

/* Check that url names a store batchtrace can open; source names where it came from. A
 * URL may carry a password (postgresql://user:secret@...), so messages show its scheme
 * only. */
static int check_url(const char *url, const char *source, char *reason) {
    if (strncmp(url, "sqlite:", 7) == 0) {
        if (url[7] == '\0') return fail(reason, "%s: sqlite: needs a path (sqlite:PATH)", source);
        return 0;
    }
    if (strncmp(url, "postgresql:", 11) == 0 || strncmp(url, "postgres:", 9) == 0)
        return fail(reason, "%s: PostgreSQL stores are not supported yet (use sqlite:PATH)",
                    source);
    size_t scheme_len = strcspn(url, ":/");
    if (url[scheme_len] != ':') return fail(reason, "%s must be a URL: sqlite:PATH", source);
    if (scheme_len > 20) scheme_len = 20;
    return fail(reason, "%s: unknown store type \"%.*s:\" (use sqlite:PATH)", source,
                (int)scheme_len, url);
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
