/* The SQLite store: where it lives, its permissions, the versioned schema, and the spool
 * (atomic puts, claims two processes never share, delete and release). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "test.h"
#include "util/alloc.h"
#include "util/buf.h"

/* A fresh directory name under TMPDIR (not created; the caller frees it). */
static char *temp_dir(const char *name) {
    const char *tmp = getenv("TMPDIR");
    buf_t path = BUF_INIT;
    buf_printf(&path, "%s/batchtrace-store-%ld-%s", tmp && *tmp ? tmp : "/tmp", (long)getpid(),
               name);
    return buf_detach(&path);
}

/* Remove a test directory and what the tests put in it. */
static void remove_tree(const char *dir) {
    buf_t command = BUF_INIT;
    buf_printf(&command, "rm -rf '%s'", dir);
    if (system(buf_cstr(&command)) != 0) fprintf(stderr, "could not remove %s\n", dir);
    buf_free(&command);
}

/* The permission bits of path (-1 when it does not exist). */
static int mode_of(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

TEST(url_comes_from_the_flag_then_the_variable_then_xdg_then_home) {
    char reason[REASON_MAX] = "";
    setenv("BATCHTRACE_STORE", "sqlite:/from/env.db", 1);
    setenv("XDG_STATE_HOME", "/xdg", 1);
    setenv("HOME", "/home/me", 1);
    char *url = store_resolve_url("sqlite:/flag.db", reason);
    CHECK_STR(url, "sqlite:/flag.db");
    free(url);
    url = store_resolve_url(NULL, reason);
    CHECK_STR(url, "sqlite:/from/env.db");
    free(url);
    unsetenv("BATCHTRACE_STORE");
    url = store_resolve_url(NULL, reason);
    CHECK_STR(url, "sqlite:/xdg/batchtrace/state.db");
    free(url);
    setenv("XDG_STATE_HOME", "relative/ignored", 1);
    url = store_resolve_url(NULL, reason);
    CHECK_STR(url, "sqlite:/home/me/.local/state/batchtrace/state.db");
    free(url);
    unsetenv("XDG_STATE_HOME");
    unsetenv("HOME");
    CHECK(store_resolve_url(NULL, reason) == NULL);
    CHECK_STR(reason, "no place for the store: set HOME or XDG_STATE_HOME, or give --store "
                      "sqlite:PATH");
}

TEST(unusable_urls_are_refused_without_showing_credentials) {
    char reason[REASON_MAX] = "";
    CHECK(store_resolve_url("sqlite:", reason) == NULL);
    CHECK_STR(reason, "--store: sqlite: needs a path (sqlite:PATH)");
    CHECK(store_resolve_url("postgresql://me:secret@db/x", reason) == NULL);
    CHECK_STR(reason, "--store: PostgreSQL stores are not supported yet (use sqlite:PATH)");
    CHECK(store_resolve_url("redis://me:secret@cache", reason) == NULL);
    CHECK_STR(reason, "--store: unknown store type \"redis:\" (use sqlite:PATH)");
    CHECK(store_resolve_url("state.db", reason) == NULL);
    CHECK_STR(reason, "--store must be a URL: sqlite:PATH");
}

TEST(open_creates_private_directories_and_file_with_the_schema) {
    char *dir = temp_dir("create");
    buf_t url = BUF_INIT;
    buf_printf(&url, "sqlite:%s/a/b/state.db", dir);
    char reason[REASON_MAX] = "";
    mode_t old_mask = umask(022);
    CHECK(store_open(buf_cstr(&url), false, reason) == NULL);
    CHECK_STR(reason, ""); /* nothing there yet, and not an error */
    store_t *store = store_open(buf_cstr(&url), true, reason);
    umask(old_mask);
    CHECK(store != NULL);
    if (store) {
        CHECK_STR(store_url(store), buf_cstr(&url));
        buf_t path = BUF_INIT;
        buf_printf(&path, "%s/a", dir);
        CHECK_INT(mode_of(buf_cstr(&path)), 0700);
        buf_printf(&path, "/b");
        CHECK_INT(mode_of(buf_cstr(&path)), 0700);
        buf_printf(&path, "/state.db");
        CHECK_INT(mode_of(buf_cstr(&path)), 0600);
        sqlite3 *db = NULL;
        sqlite3_stmt *stmt = NULL;
        int version = -1;
        if (sqlite3_open(buf_cstr(&path), &db) == SQLITE_OK &&
            sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW)
            version = sqlite3_column_int(stmt, 0);
        sqlite3_finalize(stmt);
        sqlite3_close(db);
        CHECK_INT(version, 1);
        store_close(store);
        store = store_open(buf_cstr(&url), false, reason); /* a second open migrates nothing */
        CHECK(store != NULL);
        store_close(store);
        buf_free(&path);
    }
    buf_free(&url);
    remove_tree(dir);
    free(dir);
}

TEST(a_store_from_a_newer_batchtrace_is_refused) {
    char *dir = temp_dir("newer");
    buf_t url = BUF_INIT;
    buf_printf(&url, "sqlite:%s/state.db", dir);
    char reason[REASON_MAX] = "";
    store_close(store_open(buf_cstr(&url), true, reason));
    sqlite3 *db = NULL;
    if (sqlite3_open(buf_cstr(&url) + 7, &db) == SQLITE_OK)
        sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK(store_open(buf_cstr(&url), true, reason) == NULL);
    CHECK(strstr(reason, "schema version 99 is newer than this batchtrace knows (1)") != NULL);
    buf_free(&url);
    remove_tree(dir);
    free(dir);
}

TEST(spool_puts_counts_claims_releases_and_deletes) {
    char *dir = temp_dir("spool");
    buf_t url = BUF_INIT;
    buf_printf(&url, "sqlite:%s/state.db", dir);
    char reason[REASON_MAX] = "";
    store_t *first = store_open(buf_cstr(&url), true, reason);
    store_t *second = store_open(buf_cstr(&url), true, reason); /* as another process would */
    CHECK(first != NULL && second != NULL);
    if (!first || !second) goto done;
    static const char body[] = {'\x0a', '\0', '\x01', '\xff'}; /* binary, with a NUL */
    spool_chunk chunks[3] = {
        {0, "http/protobuf", 3, body, sizeof body, "http://collector/v1/traces", NULL, "HTTP 503"},
        {0, "http/json", 5, "{}", 2, "http://collector/v1/traces", "project_name:p", "HTTP 400"},
        {0, "http/protobuf", 1, body, 1, "http://collector/v1/traces", NULL, "too large"},
    };
    for (int i = 0; i < 3; i++) CHECK_INT(store_spool_put(first, &chunks[i], reason), 0);
    CHECK(chunks[0].id > 0 && chunks[1].id > chunks[0].id && chunks[2].id > chunks[1].id);
    uint64_t count = 0, spans = 0;
    CHECK_INT(store_spool_count(second, &count, &spans, reason), 0);
    CHECK_INT(count, 3);
    CHECK_INT(spans, 9);

    spool_claim a = SPOOL_CLAIM_INIT, b = SPOOL_CLAIM_INIT;
    CHECK_INT(store_spool_claim(first, 0, 60000, &a, reason), 1);
    CHECK_INT(a.chunk.id, chunks[0].id);
    CHECK_STR(a.chunk.protocol, "http/protobuf");
    CHECK_INT(a.chunk.span_count, 3);
    CHECK_INT(a.chunk.body_len, sizeof body);
    CHECK(memcmp(a.chunk.body, body, sizeof body) == 0);
    CHECK(a.chunk.braintrust_parent == NULL);
    /* The other process skips the held chunk. */
    CHECK_INT(store_spool_claim(second, 0, 60000, &b, reason), 1);
    CHECK_INT(b.chunk.id, chunks[1].id);
    CHECK_STR(b.chunk.protocol, "http/json");
    CHECK_STRN((const char *)b.chunk.body, b.chunk.body_len, "{}");
    CHECK_STR(b.chunk.braintrust_parent, "project_name:p");
    /* Given back, a chunk can be taken again; delivered, it is gone. */
    CHECK_INT(store_spool_release(second, b.chunk.id, "HTTP 503 again", reason), 0);
    CHECK_INT(store_spool_delete(first, a.chunk.id, reason), 0);
    CHECK_INT(store_spool_claim(second, 0, 60000, &b, reason), 1);
    CHECK_INT(b.chunk.id, chunks[1].id);
    CHECK_INT(store_spool_claim(second, b.chunk.id, 60000, &b, reason), 1);
    CHECK_INT(b.chunk.id, chunks[2].id);
    CHECK_INT(store_spool_claim(second, b.chunk.id, 60000, &b, reason), 0);
    /* A lease that ran out (a holder that died) frees the chunk. */
    CHECK_INT(store_spool_claim(first, 0, 60000, &a, reason), 0);
    CHECK_INT(store_spool_release(first, chunks[1].id, "x", reason), 0);
    CHECK_INT(store_spool_claim(first, 0, 0, &a, reason), 1);
    CHECK_INT(store_spool_claim(second, 0, 60000, &b, reason), 1);
    CHECK_INT(a.chunk.id, b.chunk.id);
    CHECK_INT(store_spool_count(first, &count, &spans, reason), 0);
    CHECK_INT(count, 2);
    CHECK_INT(spans, 6);
    spool_claim_free(&a);
    spool_claim_free(&b);
done:
    store_close(first);
    store_close(second);
    buf_free(&url);
    remove_tree(dir);
    free(dir);
}

int main(void) {
    RUN(url_comes_from_the_flag_then_the_variable_then_xdg_then_home);
    RUN(unusable_urls_are_refused_without_showing_credentials);
    RUN(open_creates_private_directories_and_file_with_the_schema);
    RUN(a_store_from_a_newer_batchtrace_is_refused);
    RUN(spool_puts_counts_claims_releases_and_deletes);
    TEST_MAIN_END();
}
