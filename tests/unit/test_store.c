/* The store: where it lives, its permissions, the versioned schema, the spool (atomic puts,
 * claims two processes never share, delete and release), and the lifecycle (the signing
 * key, batch records and binding, item and task claims, compressed inputs).
 *
 * With BATCHTRACE_TEST_PG set to a PostgreSQL URL (tests/pg/server.sh makes one), the
 * backend-neutral tests run against PostgreSQL instead, each in a schema of its own,
 * followed by the PostgreSQL store's own tests; else against SQLite. */
#include <libpq-fe.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "batch/resume.h"
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

/* The PostgreSQL URL the tests run against (BATCHTRACE_TEST_PG), or NULL for SQLite. */
static const char *pg_base(void) {
    const char *base = getenv("BATCHTRACE_TEST_PG");
    return base && *base ? base : NULL;
}

/* Set url to a fresh store for a test: dir/state.db, or a new schema of the PostgreSQL
 * database under test. */
static void fresh_store_url(buf_t *url, const char *dir) {
    static int made;
    buf_clear(url);
    if (pg_base()) {
        buf_printf(url, "%s%cschema=t%ld_%d", pg_base(), strchr(pg_base(), '?') ? '&' : '?',
                   (long)getpid(), ++made);
        if (dir) mkdir(dir, 0700); /* for the files a test writes beside its store */
    } else
        buf_printf(url, "sqlite:%s/state.db", dir);
}

/* store_open_readonly's answer to "is it batchtrace's store at an older schema?". */
static bool older;

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
    CHECK(store_resolve_url("postgres:", reason) == NULL);
    CHECK_STR(reason, "--store: postgres: needs a server (postgres://USER@HOST/DATABASE)");
    CHECK(store_resolve_url("redis://me:secret@cache", reason) == NULL);
    CHECK_STR(reason, "--store: unknown store type \"redis:\" (use sqlite:PATH or "
                      "postgres://HOST/DATABASE)");
    CHECK(store_resolve_url("state.db", reason) == NULL);
    CHECK_STR(reason, "--store must be a URL: sqlite:PATH or postgres://HOST/DATABASE");
}

TEST(postgres_urls_are_accepted_and_shown_without_their_password) {
    char reason[REASON_MAX] = "";
    static const char *const accepted[] = {"postgresql://me:secret@db/x", "postgres://db/x",
                                           "postgres:dbname=x host=/run/postgresql"};
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        char *url = store_resolve_url(accepted[i], reason);
        CHECK_STR(url, accepted[i]);
        free(url);
    }
    static const char *const shown[][2] = {
        {"postgresql://me:s3cret@db:5432/x?schema=bt", "postgresql://me:<redacted>@db:5432/x?schema=bt"},
        {"postgres://me@db/x", "postgres://me@db/x"},
        {"postgres://db/x?password=s3cret&schema=bt", "postgres://db/x?password=<redacted>&schema=bt"},
        {"postgres://me:p@ss@db/x", "postgres://me:<redacted>@db/x"},
        {"postgres://db/x?a=@b", "postgres://<redacted>"},
        {"postgres:dbname=x password='s3 cret' user=me", "postgres:dbname=x password=<redacted> user=me"},
        {"postgres:password=s3cret", "postgres:password=<redacted>"},
        {"sqlite:/a:b@c.db", "sqlite:/a:b@c.db"},
    };
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
        char *url = store_shown_url(shown[i][0]);
        CHECK_STR(url, shown[i][1]);
        free(url);
    }
}

TEST(a_named_store_is_checked_without_the_default_path) {
    char reason[REASON_MAX] = "";
    unsetenv("BATCHTRACE_STORE");
    unsetenv("XDG_STATE_HOME");
    unsetenv("HOME");
    CHECK(!store_url_named(NULL));
    CHECK_INT(store_check_named_url(NULL, reason), 0); /* no default path: not its concern */
    CHECK(store_url_named("sqlite:/x.db"));
    CHECK_INT(store_check_named_url("sqlite:/x.db", reason), 0);
    CHECK_INT(store_check_named_url("postgres://x", reason), 0);
    CHECK_INT(store_check_named_url("postgres:", reason), -1);
    CHECK_STR(reason, "--store: postgres: needs a server (postgres://USER@HOST/DATABASE)");
    setenv("BATCHTRACE_STORE", "state.db", 1);
    CHECK(store_url_named(NULL));
    CHECK_INT(store_check_named_url(NULL, reason), -1);
    CHECK_STR(reason, "BATCHTRACE_STORE must be a URL: sqlite:PATH or postgres://HOST/DATABASE");
    CHECK_INT(store_check_named_url("sqlite:/flag/wins.db", reason), 0);
    unsetenv("BATCHTRACE_STORE");
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
        CHECK_INT(version, 6);
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
    CHECK(strstr(reason, "schema version 99 is newer than this batchtrace knows (6)") != NULL);
    buf_free(&url);
    remove_tree(dir);
    free(dir);
}

TEST(spool_puts_counts_claims_releases_and_deletes) {
    char *dir = temp_dir("spool");
    buf_t url = BUF_INIT;
    fresh_store_url(&url, dir);
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
    CHECK_INT(store_spool_claim(first, 0, &a, reason), 1);
    CHECK_INT(a.chunk.id, chunks[0].id);
    CHECK_STR(a.chunk.protocol, "http/protobuf");
    CHECK_INT(a.chunk.span_count, 3);
    CHECK_INT(a.chunk.body_len, sizeof body);
    CHECK(memcmp(a.chunk.body, body, sizeof body) == 0);
    CHECK(a.chunk.braintrust_parent == NULL);
    /* The other run (alive: it is this process) skips the held chunk. */
    CHECK_INT(store_spool_claim(second, 0, &b, reason), 1);
    CHECK_INT(b.chunk.id, chunks[1].id);
    CHECK_STR(b.chunk.protocol, "http/json");
    CHECK_STRN((const char *)b.chunk.body, b.chunk.body_len, "{}");
    CHECK_STR(b.chunk.braintrust_parent, "project_name:p");
    /* Given back, a chunk can be taken again; delivered, it is gone. */
    CHECK_INT(store_spool_release(second, b.chunk.id, "HTTP 503 again", reason), 0);
    CHECK_INT(store_spool_delete(first, a.chunk.id, reason), 0);
    CHECK_INT(store_spool_claim(second, 0, &b, reason), 1);
    CHECK_INT(b.chunk.id, chunks[1].id);
    CHECK_INT(store_spool_claim(second, b.chunk.id, &b, reason), 1);
    CHECK_INT(b.chunk.id, chunks[2].id);
    CHECK_INT(store_spool_claim(second, b.chunk.id, &b, reason), 0);
    CHECK_INT(store_spool_claim(first, 0, &a, reason), 0);
    /* A run that ends gives back what it holds. */
    store_close(second);
    second = store_open(buf_cstr(&url), true, reason);
    CHECK_INT(store_spool_claim(first, 0, &a, reason), 1);
    CHECK_INT(a.chunk.id, chunks[1].id);
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

TEST(a_split_spooled_chunk_is_replaced_by_its_parts_in_one_step) {
    char *dir = temp_dir("spool-replace");
    buf_t url = BUF_INIT;
    fresh_store_url(&url, dir);
    char reason[REASON_MAX] = "";
    store_t *store = store_open(buf_cstr(&url), true, reason);
    CHECK(store != NULL);
    if (!store) goto done;
    spool_chunk whole = {0, "http/json", 4, "{1234}", 6, "http://c/v1/traces", NULL, "HTTP 413"};
    CHECK_INT(store_spool_put(store, &whole, reason), 0);
    spool_chunk parts[2] = {
        {0, "http/json", 1, "{1}", 3, "http://c/v1/traces", NULL, "HTTP 413: one span"},
        {0, "http/json", 1, "{4}", 3, "http://c/v1/traces", "project_id:p", "HTTP 400"},
    };
    CHECK_INT(store_spool_replace(store, whole.id, parts, 2, reason), 0);
    CHECK(parts[0].id > whole.id && parts[1].id > parts[0].id);
    uint64_t count = 0, spans = 0;
    CHECK_INT(store_spool_count(store, &count, &spans, reason), 0);
    CHECK_INT(count, 2);
    CHECK_INT(spans, 2);
    spool_claim claim = SPOOL_CLAIM_INIT;
    CHECK_INT(store_spool_claim(store, 0, &claim, reason), 1);
    CHECK_INT(claim.chunk.id, parts[0].id);
    CHECK_STRN((const char *)claim.chunk.body, claim.chunk.body_len, "{1}");
    spool_claim_free(&claim);
    /* every part delivered: a plain delete */
    CHECK_INT(store_spool_replace(store, parts[0].id, NULL, 0, reason), 0);
    CHECK_INT(store_spool_count(store, &count, &spans, reason), 0);
    CHECK_INT(count, 1);
    store_close(store);
done:
    buf_free(&url);
    remove_tree(dir);
    free(dir);
}

/* Open a fresh store at dir/state.db twice, as two processes would. */
static void open_two(const char *dir, buf_t *url, store_t **first, store_t **second) {
    fresh_store_url(url, dir);
    char reason[REASON_MAX] = "";
    *first = store_open(buf_cstr(url), true, reason);
    *second = store_open(buf_cstr(url), true, reason);
}

/* A record with recognizable fields (the caller frees it). */
static store_batch sample_batch(const char *nonce, const char *batch_id) {
    store_batch b;
    memset(&b, 0, sizeof b);
    snprintf(b.nonce, sizeof b.nonce, "%s", nonce);
    snprintf(b.provider, sizeof b.provider, "anthropic");
    snprintf(b.trace_id, sizeof b.trace_id, "0af7651916cd43dd8448eb211c80319c");
    snprintf(b.parent_span_id, sizeof b.parent_span_id, "b7ad6b7169203331");
    b.trace_flags = 1;
    b.start_ns = INT64_C(1767225600000000000);
    b.request_count = 3;
    memset(b.input_digest, 'a', 64);
    b.context = xstrdup("btx1.token");
    b.batch_id = batch_id ? xstrdup(batch_id) : NULL;
    b.endpoint = xstrdup("/v1/messages");
    b.models = xstrdup("claude-haiku-4-5");
    b.created_ns = 42;
    return b;
}

TEST(the_signing_key_is_made_once_and_kept) {
    char *dir = temp_dir("key");
    buf_t url = BUF_INIT;
    store_t *first = NULL, *second = NULL;
    open_two(dir, &url, &first, &second);
    CHECK(first != NULL && second != NULL);
    if (!first || !second) goto done;
    char reason[REASON_MAX] = "";
    uint8_t a[STORE_KEY_LEN], b[STORE_KEY_LEN], zero[STORE_KEY_LEN] = {0};
    CHECK_INT(store_signing_key(first, a, reason), 0);
    CHECK_INT(store_signing_key(second, b, reason), 0);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(memcmp(a, zero, sizeof a) != 0);
    store_close(first);
    first = store_open(buf_cstr(&url), false, reason);
    CHECK_INT(store_signing_key(first, b, reason), 0);
    CHECK(memcmp(a, b, sizeof a) == 0);
    /* BATCHTRACE_SIGNING_KEY wins over the stored key. */
    setenv("BATCHTRACE_SIGNING_KEY", "from the environment", 1);
    signing_key key;
    CHECK_INT(resume_signing_key(first, &key, reason), 0);
    CHECK_STRN((const char *)key.bytes, key.len, "from the environment");
    unsetenv("BATCHTRACE_SIGNING_KEY");
    CHECK_INT(resume_signing_key(first, &key, reason), 0);
    CHECK(key.len == STORE_KEY_LEN && memcmp(key.bytes, a, STORE_KEY_LEN) == 0);
done:
    store_close(first);
    store_close(second);
    buf_free(&url);
    remove_tree(dir);
    free(dir);
}

TEST(batches_are_recorded_found_bound_and_listed) {
    char *dir = temp_dir("batches");
    buf_t url = BUF_INIT;
    store_t *first = NULL, *second = NULL;
    open_two(dir, &url, &first, &second);
    CHECK(first != NULL && second != NULL);
    if (!first || !second) goto done;
    char reason[REASON_MAX] = "";
    store_batch one = sample_batch("00000000000000000000000000000001", NULL);
    store_batch two = sample_batch("00000000000000000000000000000002", "msgbatch_two");
    two.parent_span_id[0] = '\0';
    two.created_ns = 43;
    CHECK_INT(store_batch_put(first, &one, reason), 1);
    CHECK_INT(store_batch_put(second, &one, reason), 0); /* the same nonce: left as it is */
    CHECK_INT(store_batch_put(first, &two, reason), 1);
    store_batch three = sample_batch("00000000000000000000000000000003", "msgbatch_two");
    CHECK_INT(store_batch_put(first, &three, reason), STORE_CONFLICT);
    CHECK_STR(reason, "batch id \"msgbatch_two\" is already bound to another batch");

    store_batch found;
    CHECK_INT(store_batch_find(second, one.nonce, NULL, &found, reason), 1);
    CHECK_STR(found.provider, "anthropic");
    CHECK_STR(found.parent_span_id, "b7ad6b7169203331");
    CHECK_INT(found.start_ns, INT64_C(1767225600000000000));
    CHECK_STR(found.context, "btx1.token");
    CHECK(found.batch_id == NULL);
    CHECK_STR(found.models, "claude-haiku-4-5");
    CHECK(!found.task_exported);
    store_batch_free(&found);
    CHECK_INT(store_batch_find(second, NULL, "msgbatch_two", &found, reason), 1);
    CHECK_STR(found.nonce, two.nonce);
    CHECK_STR(found.parent_span_id, "");
    store_batch_free(&found);
    CHECK_INT(store_batch_find(second, NULL, "msgbatch_none", &found, reason), 0);

    CHECK_INT(store_batch_bind(first, one.nonce, "msgbatch_one", reason), 0);
    CHECK_INT(store_batch_bind(second, one.nonce, "msgbatch_one", reason), 0); /* again: fine */
    CHECK_INT(store_batch_bind(second, one.nonce, "msgbatch_two", reason), STORE_CONFLICT);
    CHECK_STR(reason, "batch id \"msgbatch_two\" is already bound to another context; "
                      "refusing to rebind it");
    CHECK_INT(store_batch_bind(second, one.nonce, "msgbatch_new", reason), STORE_CONFLICT);
    CHECK_STR(reason, "this context is already bound to batch \"msgbatch_one\"; refusing to "
                      "bind it to \"msgbatch_new\" too");
    CHECK_INT(store_batch_set_status(first, one.nonce, "ended", reason), 0);

    store_batch *list = NULL;
    size_t count = 0;
    CHECK_INT(store_batch_list(second, NULL, &list, &count, reason), 0);
    CHECK_INT(count, 2);
    if (count == 2) {
        CHECK_STR(list[0].batch_id, "msgbatch_one");
        CHECK_STR(list[0].batch_status, "ended");
        CHECK_STR(list[1].batch_id, "msgbatch_two");
    }
    for (size_t i = 0; i < count; i++) store_batch_free(&list[i]);
    free(list);
    CHECK_INT(store_batch_list(second, "msgbatch_two", &list, &count, reason), 0);
    CHECK_INT(count, 1);
    for (size_t i = 0; i < count; i++) store_batch_free(&list[i]);
    free(list);
    store_batch_free(&one);
    store_batch_free(&two);
    store_batch_free(&three);
done:
    store_close(first);
    store_close(second);
    buf_free(&url);
    remove_tree(dir);
    free(dir);
}

TEST(items_and_the_task_are_claimed_once_across_processes) {
    char *dir = temp_dir("claims");
    buf_t url = BUF_INIT;
    store_t *first = NULL, *second = NULL;
    open_two(dir, &url, &first, &second);
    CHECK(first != NULL && second != NULL);
    if (!first || !second) goto done;
    char reason[REASON_MAX] = "";
    const char *nonce = "00000000000000000000000000000009";
    store_batch batch = sample_batch(nonce, NULL);
    CHECK_INT(store_batch_put(first, &batch, reason), 1);
    store_batch_free(&batch);
    bt_str ids[4] = {STR_LIT("a"), STR_LIT("b"), STR_LIT("a"), {"n\0ul", 4}};
    claim_outcome won[4];
    CHECK_INT(store_items_claim(first, nonce, ids, 3, won, reason), 0);
    CHECK(won[0] == CLAIM_WON && won[1] == CLAIM_WON && won[2] == CLAIM_WON); /* a twice */
    CHECK_INT(store_items_claim(second, nonce, ids + 1, 3, won, reason), 0);
    /* b and a are held by the first run, alive; the id with a NUL is new */
    CHECK(won[0] == CLAIM_HELD && won[1] == CLAIM_HELD && won[2] == CLAIM_WON);
    uint64_t count = 0;
    CHECK_INT(store_exported_count(second, nonce, &count, reason), 0);
    CHECK_INT(count, 0); /* claimed is not delivered */
    CHECK_INT(store_items_delivered(first, nonce, ids, 1, reason), 0);
    CHECK_INT(store_exported_count(second, nonce, &count, reason), 0);
    CHECK_INT(count, 1);
    CHECK_INT(store_exported_count(second, "00000000000000000000000000000008", &count, reason), 0);
    CHECK_INT(count, 0);
    CHECK_INT(store_items_claim(second, nonce, ids, 2, won, reason), 0);
    CHECK(won[0] == CLAIM_DELIVERED && won[1] == CLAIM_HELD);

    claim_outcome task = CLAIM_HELD;
    CHECK_INT(store_task_claim(first, nonce, false, &task, reason), 0);
    CHECK(task == CLAIM_WON);
    CHECK_INT(store_task_claim(first, nonce, false, &task, reason), 0);
    CHECK(task == CLAIM_WON); /* still its own */
    CHECK_INT(store_task_claim(second, nonce, false, &task, reason), 0);
    CHECK(task == CLAIM_HELD);
    store_batch found;
    CHECK_INT(store_batch_find(second, nonce, NULL, &found, reason), 1);
    CHECK(!found.task_exported);
    CHECK_INT(found.items_exported, 1);
    store_batch_free(&found);
    /* The first run ends: what it did not deliver (b, the task) is free again. */
    CHECK_INT(store_run_release(first, reason), 0);
    CHECK_INT(store_items_claim(second, nonce, ids, 2, won, reason), 0);
    CHECK(won[0] == CLAIM_DELIVERED && won[1] == CLAIM_WON);
    CHECK_INT(store_task_claim(second, nonce, false, &task, reason), 0);
    CHECK(task == CLAIM_WON);
    CHECK_INT(store_task_delivered(second, nonce, false, reason), 0);
    CHECK_INT(store_task_claim(first, nonce, false, &task, reason), 0);
    CHECK(task == CLAIM_DELIVERED);
    CHECK_INT(store_batch_find(first, nonce, NULL, &found, reason), 1);
    CHECK(found.task_exported && !found.task_provisional);
    store_batch_free(&found);

    /* A provisional task (sent without the batch object) is claimed once more by a final
     * claim, never by another provisional one; a final one by neither. */
    const char *later = "0000000000000000000000000000000b";
    batch = sample_batch(later, NULL);
    CHECK_INT(store_batch_put(first, &batch, reason), 1);
    store_batch_free(&batch);
    CHECK_INT(store_task_claim(first, later, true, &task, reason), 0);
    CHECK(task == CLAIM_WON);
    CHECK_INT(store_task_delivered(first, later, true, reason), 0);
    CHECK_INT(store_batch_find(second, later, NULL, &found, reason), 1);
    CHECK(found.task_exported && found.task_provisional);
    store_batch_free(&found);
    CHECK_INT(store_task_claim(second, later, true, &task, reason), 0);
    CHECK(task == CLAIM_DELIVERED);
    CHECK_INT(store_task_claim(second, later, false, &task, reason), 0);
    CHECK(task == CLAIM_WON);
    CHECK_INT(store_task_delivered(second, later, false, reason), 0);
    CHECK_INT(store_task_claim(first, later, false, &task, reason), 0);
    CHECK(task == CLAIM_DELIVERED);
    CHECK_INT(store_task_claim(first, later, true, &task, reason), 0);
    CHECK(task == CLAIM_DELIVERED);
done:
    store_close(first);
    store_close(second);
    buf_free(&url);
    remove_tree(dir);
    free(dir);
}

/* Run sql on the store file of url, as another process would. */
static void poke(const buf_t *url, const char *sql) {
    sqlite3 *db = NULL;
    if (sqlite3_open(buf_cstr(url) + 7, &db) != SQLITE_OK ||
        sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fprintf(stderr, "poke: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
}

TEST(claims_of_a_dead_run_are_taken_over_at_once) {
    char *dir = temp_dir("dead");
    buf_t url = BUF_INIT;
    store_t *first = NULL, *second = NULL;
    open_two(dir, &url, &first, &second);
    CHECK(first != NULL && second != NULL);
    if (!first || !second) goto done;
    char reason[REASON_MAX] = "";
    const char *nonce = "0000000000000000000000000000000a";
    store_batch batch = sample_batch(nonce, NULL);
    CHECK_INT(store_batch_put(first, &batch, reason), 1);
    store_batch_free(&batch);
    static const char body[] = "{}";
    spool_chunk chunk = {0, "http/json", 1, body, 2, "http://collector/v1/traces", NULL, "x"};
    CHECK_INT(store_spool_put(first, &chunk, reason), 0);
    bt_str ids[2] = {STR_LIT("a"), STR_LIT("b")};
    claim_outcome won[2];
    claim_outcome task;
    spool_claim held = SPOOL_CLAIM_INIT;
    CHECK_INT(store_items_claim(first, nonce, ids, 2, won, reason), 0);
    CHECK_INT(store_task_claim(first, nonce, false, &task, reason), 0);
    CHECK_INT(store_spool_claim(first, 0, &held, reason), 1);
    CHECK_INT(store_items_claim(second, nonce, ids, 2, won, reason), 0);
    CHECK(won[0] == CLAIM_HELD && won[1] == CLAIM_HELD);
    /* On this host a live holder keeps its claims even with its lease run out (a minute
     * ago: runs whose lease ran out a day ago lose their rows). */
    poke(&url, "UPDATE runs SET lease_until_ns ="
               " (CAST(strftime('%s', 'now') AS INTEGER) - 60) * 1000000000");
    store_t *third = store_open(buf_cstr(&url), true, reason);
    CHECK_INT(store_items_claim(third, nonce, ids, 2, won, reason), 0);
    CHECK(won[0] == CLAIM_HELD && won[1] == CLAIM_HELD);
    store_close(third);
    /* On another host with a lease that still runs, the holder counts as alive. */
    poke(&url, "UPDATE runs SET host = 'elsewhere', lease_until_ns = 9000000000000000000");
    third = store_open(buf_cstr(&url), true, reason); /* knows nothing of them yet */
    CHECK_INT(store_items_claim(third, nonce, ids, 1, won, reason), 0);
    CHECK(won[0] == CLAIM_HELD);
    store_close(third);
    /* Its lease ran out: dead, taken over. */
    poke(&url, "UPDATE runs SET lease_until_ns = 1 WHERE host = 'elsewhere'");
    third = store_open(buf_cstr(&url), true, reason);
    CHECK_INT(store_items_claim(third, nonce, ids, 1, won, reason), 0);
    CHECK(won[0] == CLAIM_WON);
    store_close(third);
    /* On this host, a process with the pid but another start time is not the holder
     * (the runs back on this host, their leases running, their start times off). */
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    buf_t sql = BUF_INIT;
    buf_printf(&sql, "UPDATE runs SET host = '%s', lease_until_ns = 9000000000000000000,"
                     " start_ticks = start_ticks + 1", host);
    poke(&url, buf_cstr(&sql));
    buf_free(&sql);
    third = store_open(buf_cstr(&url), true, reason);
    CHECK_INT(store_items_claim(third, nonce, ids, 2, won, reason), 0);
    CHECK(won[0] == CLAIM_WON && won[1] == CLAIM_WON);
    CHECK_INT(store_task_claim(third, nonce, false, &task, reason), 0);
    CHECK(task == CLAIM_WON);
    spool_claim taken = SPOOL_CLAIM_INIT;
    CHECK_INT(store_spool_claim(third, 0, &taken, reason), 1);
    CHECK_INT(taken.chunk.id, chunk.id);
    spool_claim_free(&taken);
    store_close(third);
    spool_claim_free(&held);
done:
    store_close(first);
    store_close(second);
    buf_free(&url);
    remove_tree(dir);
    free(dir);
}

/* Store.inputs callback: append the part to the buf_t ctx. */
static int collect_part(void *ctx, const void *data, size_t len, char *reason) {
    (void)reason;
    buf_append(ctx, data, len);
    return 0;
}

TEST(inputs_are_kept_compressed_in_parts_and_restored_whole) {
    char *dir = temp_dir("inputs");
    buf_t url = BUF_INIT;
    store_t *first = NULL, *second = NULL;
    open_two(dir, &url, &first, &second);
    CHECK(first != NULL && second != NULL);
    if (!first || !second) goto done;
    char reason[REASON_MAX] = "";
    /* 3 MiB of bytes that compress badly, so the copy takes several parts. */
    buf_t original = BUF_INIT, path = BUF_INIT;
    uint32_t state = 12345;
    for (size_t i = 0; i < (size_t)3 << 20; i++) {
        state = state * 1103515245u + 12345u;
        buf_putc(&original, (char)(state >> 24));
    }
    buf_printf(&path, "%s/input.jsonl", dir);
    FILE *file = fopen(buf_cstr(&path), "wb");
    CHECK(file && fwrite(original.data, 1, original.len, file) == original.len);
    if (file) fclose(file);
    const char *nonce = "0000000000000000000000000000000a";
    source_t kept;
    CHECK_INT(source_open(&kept, buf_cstr(&path), reason), 0);
    CHECK_INT(resume_keep_inputs(first, nonce, &kept, reason), 0);
    source_close(&kept);
    buf_t parts = BUF_INIT;
    CHECK_INT(store_inputs_read(second, nonce, collect_part, &parts, reason), 0);
    CHECK(parts.len > (size_t)3 << 20); /* random bytes do not shrink */
    source_t restored;
    CHECK_INT(resume_restore_inputs(second, nonce, "the inputs kept in the store", &restored,
                                    reason), 0);
    struct stat st;
    CHECK(fstat(restored.fd, &st) == 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    CHECK_INT(st.st_nlink, 0); /* no name anywhere: nothing left whatever ends the process */
    buf_t back = BUF_INIT;
    buf_grow(&back, original.len);
    CHECK_INT(source_read_at(&restored, back.data, original.len + 1, 0, reason), original.len);
    CHECK(memcmp(back.data, original.data, original.len) == 0);
    CHECK_STR(restored.name, "the inputs kept in the store");
    source_close(&restored);
    buf_free(&back);
    /* Nothing kept: an empty stream is not a valid copy. */
    CHECK_INT(resume_restore_inputs(second, "0000000000000000000000000000000b", "stored",
                                    &restored, reason), -1);
    CHECK_STR(reason, "the inputs kept in the store are incomplete");
    source_close(&restored);
    buf_free(&parts);
    buf_free(&original);
    buf_free(&path);
done:
    store_close(first);
    store_close(second);
    buf_free(&url);
    remove_tree(dir);
    free(dir);
}

/* Run SQL on the database at path with SQLite itself (as another application would). */
static void sql_on(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fprintf(stderr, "sql_on %s: %s\n", sql, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
}

/* An integer the database at path answers to sql (-1 on failure). */
static long long sql_int(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    long long value = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
        value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
}

/* The file's bytes and modification time, to tell that nothing wrote to it. */
typedef struct file_print {
    buf_t bytes;              /* the whole content */
    struct timespec mtime;    /* st_mtim */
} file_print;

/* Take path's print (the caller frees print.bytes, or unchanged() does). */
static file_print print_of(const char *path) {
    file_print print = {BUF_INIT, {0, 0}};
    FILE *file = fopen(path, "rb");
    char block[4096];
    size_t n;
    while (file && (n = fread(block, 1, sizeof block, file)) > 0) buf_append(&print.bytes, block, n);
    if (file) fclose(file);
    struct stat st;
    if (stat(path, &st) == 0) print.mtime = st.st_mtim;
    return print;
}

/* Whether path's bytes and mtime are still those of print (and print is freed). */
static bool unchanged(const char *path, file_print *print) {
    file_print now = print_of(path);
    bool same = now.bytes.len == print->bytes.len &&
                memcmp(now.bytes.data, print->bytes.data, now.bytes.len) == 0 &&
                now.mtime.tv_sec == print->mtime.tv_sec && now.mtime.tv_nsec == print->mtime.tv_nsec;
    buf_free(&now.bytes);
    buf_free(&print->bytes);
    return same;
}

/* Whether path + suffix exists. */
static bool exists_with(const char *path, const char *suffix) {
    buf_t name = BUF_INIT;
    buf_printf(&name, "%s%s", path, suffix);
    bool there = access(buf_cstr(&name), F_OK) == 0;
    buf_free(&name);
    return there;
}

/* Check that neither store_open nor store_open_readonly takes the database at path, that
 * the reason contains expected, and that nothing was written or created beside it. */
static void check_refused(const char *path, const char *expected) {
    buf_t url = BUF_INIT;
    buf_printf(&url, "sqlite:%s", path);
    file_print print = print_of(path);
    char reason[REASON_MAX] = "";
    CHECK(store_open(buf_cstr(&url), true, reason) == NULL);
    if (!strstr(reason, expected)) fprintf(stderr, "  reason: %s\n", reason);
    CHECK(strstr(reason, expected) != NULL);
    reason[0] = '\0';
    CHECK(store_open_readonly(buf_cstr(&url), &older, reason) == NULL);
    CHECK(strstr(reason, expected) != NULL);
    CHECK(!older); /* another application's file is never upgraded */
    CHECK(unchanged(path, &print));
    CHECK(!exists_with(path, "-wal") && !exists_with(path, "-shm") && !exists_with(path, "-journal"));
    buf_free(&url);
}

TEST(another_applications_database_is_refused_without_a_byte_written) {
    char *dir = temp_dir("foreign");
    mkdir(dir, 0700);
    buf_t path = BUF_INIT;
    buf_printf(&path, "%s/notes.db", dir);
    sql_on(buf_cstr(&path), "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')");
    chmod(buf_cstr(&path), 0600);
    check_refused(buf_cstr(&path), "notes.db is not a batchtrace store (it holds tables "
                                   "batchtrace did not make: notes); batchtrace leaves it "
                                   "untouched (give --store a path of its own)");
    /* At user_version 1, with a table called spool among its own. */
    sql_on(buf_cstr(&path), "CREATE TABLE spool (id INTEGER); PRAGMA user_version = 1");
    check_refused(buf_cstr(&path), "(it holds tables batchtrace did not make: notes,spool)");
    /* In WAL mode (no -wal once closed), as many applications keep theirs. */
    sql_on(buf_cstr(&path), "PRAGMA journal_mode = WAL");
    check_refused(buf_cstr(&path), "(it holds tables batchtrace did not make: notes,spool)");
    /* Marked by another application, with no table yet; and a version with no table. */
    buf_clear(&path);
    buf_printf(&path, "%s/marked.db", dir);
    sql_on(buf_cstr(&path), "PRAGMA application_id = 7; PRAGMA user_version = 0");
    chmod(buf_cstr(&path), 0600);
    check_refused(buf_cstr(&path), "marked.db is not a batchtrace store (application_id 7)");
    buf_clear(&path);
    buf_printf(&path, "%s/versioned.db", dir);
    sql_on(buf_cstr(&path), "PRAGMA user_version = 5");
    chmod(buf_cstr(&path), 0600);
    check_refused(buf_cstr(&path), "versioned.db is not a batchtrace store (user_version 5)");
    /* Not SQLite at all. */
    buf_clear(&path);
    buf_printf(&path, "%s/notes.txt", dir);
    FILE *text = fopen(buf_cstr(&path), "w");
    if (text) {
        fputs("just some notes, longer than a SQLite header would be, so that the check is on "
              "the magic string rather than on the length of the file\n", text);
        fclose(text);
    }
    chmod(buf_cstr(&path), 0600);
    check_refused(buf_cstr(&path), "notes.txt is not a SQLite database; batchtrace leaves it "
                                   "untouched");
    buf_free(&path);
    remove_tree(dir);
    free(dir);
}

TEST(a_store_an_earlier_batchtrace_made_is_adopted_and_marked) {
    char *dir = temp_dir("adopt");
    buf_t url = BUF_INIT;
    buf_printf(&url, "sqlite:%s/state.db", dir);
    const char *path = buf_cstr(&url) + 7;
    char reason[REASON_MAX] = "";
    store_close(store_open(buf_cstr(&url), true, reason));
    CHECK_INT(sql_int(path, "PRAGMA application_id"), STORE_SQLITE_APPLICATION_ID);
    long long current = sql_int(path, "PRAGMA user_version"); /* this batchtrace's version */
    /* As an earlier batchtrace left it: unmarked, at the current version. */
    sql_on(path, "PRAGMA application_id = 0");
    store_t *store = store_open_readonly(buf_cstr(&url), &older, reason);
    CHECK(store != NULL); /* reading takes it as it is */
    store_close(store);
    CHECK_INT(sql_int(path, "PRAGMA application_id"), 0);
    store = store_open(buf_cstr(&url), false, reason);
    CHECK(store != NULL);
    store_close(store);
    CHECK_INT(sql_int(path, "PRAGMA application_id"), STORE_SQLITE_APPLICATION_ID);
    /* At version 1 (the spool alone): adopted and migrated. */
    unlink(path);
    sql_on(path, "CREATE TABLE spool (id INTEGER PRIMARY KEY AUTOINCREMENT, created_ns INTEGER NOT "
                 "NULL, protocol TEXT NOT NULL CHECK (protocol IN ('http/protobuf', 'http/json')),"
                 " span_count INTEGER NOT NULL CHECK (span_count >= 0), body BLOB NOT NULL,"
                 " destination TEXT NOT NULL, braintrust_parent TEXT, reason TEXT NOT NULL,"
                 " attempts INTEGER NOT NULL DEFAULT 0, lease_until_ns INTEGER NOT NULL DEFAULT 0);"
                 "PRAGMA user_version = 1; PRAGMA journal_mode = WAL");
    chmod(path, 0600);
    store = store_open_readonly(buf_cstr(&url), &older, reason);
    CHECK(store == NULL);
    char older_message[96];
    snprintf(older_message, sizeof older_message, "schema version 1 is older than this batchtrace's (%lld), and "
             "reading does not upgrade it", current);
    CHECK(strstr(reason, older_message) != NULL);
    CHECK(older); /* status upgrades it with store_open */
    store = store_open(buf_cstr(&url), true, reason);
    CHECK(store != NULL);
    store_close(store);
    CHECK_INT(sql_int(path, "PRAGMA user_version"), current);
    CHECK_INT(sql_int(path, "PRAGMA application_id"), STORE_SQLITE_APPLICATION_ID);
    buf_free(&url);
    remove_tree(dir);
    free(dir);
}

TEST(marks_of_a_store_made_before_item_marks_still_count) {
    char *dir = temp_dir("legacy");
    buf_t url = BUF_INIT;
    buf_printf(&url, "sqlite:%s/state.db", dir);
    const char *path = buf_cstr(&url) + 7;
    char reason[REASON_MAX] = "";
    const char *nonce = "0000000000000000000000000000000e";
    store_t *store = store_open(buf_cstr(&url), true, reason);
    CHECK(store != NULL);
    if (!store) goto done;
    store_batch batch = sample_batch(nonce, NULL);
    CHECK_INT(store_batch_put(store, &batch, reason), 1);
    store_batch_free(&batch);
    store_close(store);
    /* As schema 5 left it: one exported row per id, delivered (no owner) or claimed by a
     * run that has no row any more. */
    sql_on(path, "DROP TABLE item_marks; ALTER TABLE batches DROP COLUMN items_delivered;"
                 "PRAGMA user_version = 5;"
                 "INSERT INTO exported (nonce, custom_id, owner) VALUES"
                 " ('0000000000000000000000000000000e', CAST('old' AS BLOB), NULL),"
                 " ('0000000000000000000000000000000e', CAST('held' AS BLOB), 999999)");
    store = store_open(buf_cstr(&url), true, reason);
    CHECK(store != NULL);
    if (!store) goto done;
    CHECK_INT(sql_int(path, "PRAGMA user_version"), 6);
    uint64_t count = 0;
    CHECK_INT(store_exported_count(store, nonce, &count, reason), 0);
    CHECK_INT(count, 1);
    bt_str ids[3] = {STR_LIT("old"), STR_LIT("held"), STR_LIT("new")};
    claim_outcome won[3];
    CHECK_INT(store_items_claim(store, nonce, ids, 3, won, reason), 0);
    CHECK(won[0] == CLAIM_DELIVERED && won[1] == CLAIM_WON && won[2] == CLAIM_WON);
    CHECK_INT(store_items_delivered(store, nonce, ids, 3, reason), 0); /* old counts once */
    CHECK_INT(store_exported_count(store, nonce, &count, reason), 0);
    CHECK_INT(count, 3);
    store_close(store);
done:
    buf_free(&url);
    remove_tree(dir);
    free(dir);
}

TEST(reading_a_store_writes_and_creates_nothing) {
    char *dir = temp_dir("readonly");
    buf_t url = BUF_INIT;
    buf_printf(&url, "sqlite:%s/state/batchtrace.db", dir);
    const char *path = buf_cstr(&url) + 7;
    char reason[REASON_MAX] = "x";
    CHECK(store_open_readonly(buf_cstr(&url), &older, reason) == NULL);
    CHECK_STR(reason, ""); /* nothing there: not an error */
    CHECK(access(dir, F_OK) != 0); /* and no directory made */
    store_t *store = store_open(buf_cstr(&url), true, reason);
    store_batch batch = sample_batch("0000000000000000000000000000000c", "batch_c");
    CHECK(store && store_batch_put(store, &batch, reason) == 1);
    store_batch_free(&batch);
    store_close(store);
    CHECK(!exists_with(path, "-wal"));
    file_print print = print_of(path);
    store = store_open_readonly(buf_cstr(&url), &older, reason);
    CHECK(store != NULL);
    if (store) {
        store_batch *list = NULL;
        size_t count = 0;
        CHECK_INT(store_batch_list(store, NULL, &list, &count, reason), 0);
        CHECK_INT(count, 1);
        for (size_t i = 0; i < count; i++) store_batch_free(&list[i]);
        free(list);
        uint8_t key[STORE_KEY_LEN];
        CHECK_INT(store_signing_key(store, key, reason), -1); /* no key made by a reader */
        CHECK(store_read_stable(store));
        CHECK(!exists_with(path, "-wal") && !exists_with(path, "-shm"));
        store_close(store);
    }
    CHECK(unchanged(path, &print));
    /* A writer that starts meanwhile makes the immutable read unstable. */
    store = store_open_readonly(buf_cstr(&url), &older, reason);
    store_t *writer = store_open(buf_cstr(&url), false, reason);
    spool_chunk chunk = {0, "http/json", 1, "{}", 2, "d", NULL, "r"};
    CHECK(writer && store_spool_put(writer, &chunk, reason) == 0);
    CHECK(store && !store_read_stable(store));
    store_close(writer);
    store_close(store);
    /* An empty file is nothing stored yet. */
    unlink(path);
    FILE *empty = fopen(path, "w");
    if (empty) fclose(empty);
    chmod(path, 0600);
    CHECK(store_open_readonly(buf_cstr(&url), &older, reason) == NULL);
    CHECK_STR(reason, "");
    CHECK_INT(mode_of(path), 0600);
    CHECK(!exists_with(path, "-wal") && !exists_with(path, "-shm"));
    buf_free(&url);
    remove_tree(dir);
    free(dir);
}

TEST(a_store_other_users_may_read_is_refused) {
    char *dir = temp_dir("modes");
    buf_t url = BUF_INIT, side = BUF_INIT, expected = BUF_INIT;
    buf_printf(&url, "sqlite:%s/state.db", dir);
    const char *path = buf_cstr(&url) + 7;
    char reason[REASON_MAX] = "";
    store_close(store_open(buf_cstr(&url), true, reason));
    chmod(path, 0644);
    buf_printf(&expected, "%s can be read or written by other users (mode 0644), and a store holds "
                          "the signing key and the prompts: run chmod 600 %s", path, path);
    CHECK(store_open(buf_cstr(&url), true, reason) == NULL);
    CHECK_STR(reason, buf_cstr(&expected));
    CHECK(store_open_readonly(buf_cstr(&url), &older, reason) == NULL);
    CHECK_STR(reason, buf_cstr(&expected));
    CHECK_INT(mode_of(path), 0644); /* refused, not changed behind the user's back */
    chmod(path, 0600);
    buf_printf(&side, "%s-wal", path);
    FILE *wal = fopen(buf_cstr(&side), "w");
    if (wal) fclose(wal);
    chmod(buf_cstr(&side), 0640);
    CHECK(store_open(buf_cstr(&url), true, reason) == NULL);
    CHECK(strstr(reason, "state.db-wal can be read or written by other users (mode 0640)") != NULL);
    unlink(buf_cstr(&side));
    /* Whatever the umask, the -wal and -shm SQLite makes are as private as the store. */
    mode_t old_mask = umask(0);
    store_t *store = store_open(buf_cstr(&url), true, reason);
    spool_chunk chunk = {0, "http/json", 1, "{}", 2, "d", NULL, "r"};
    CHECK(store && store_spool_put(store, &chunk, reason) == 0);
    umask(old_mask);
    CHECK_INT(mode_of(buf_cstr(&side)), 0600);
    buf_clear(&side);
    buf_printf(&side, "%s-shm", path);
    CHECK_INT(mode_of(buf_cstr(&side)), 0600);
    store_close(store);
    buf_free(&url);
    buf_free(&side);
    buf_free(&expected);
    remove_tree(dir);
    free(dir);
}

TEST(symbolic_links_to_or_beside_the_store_are_not_followed) {
    char *dir = temp_dir("links");
    mkdir(dir, 0700);
    buf_t url = BUF_INIT, target = BUF_INIT, side = BUF_INIT;
    buf_printf(&url, "sqlite:%s/state.db", dir);
    buf_printf(&target, "%s/elsewhere.db", dir);
    const char *path = buf_cstr(&url) + 7;
    char reason[REASON_MAX] = "";
    CHECK_INT(symlink(buf_cstr(&target), path), 0);
    CHECK(store_open(buf_cstr(&url), true, reason) == NULL);
    CHECK(strstr(reason, "state.db is a symbolic link; batchtrace does not follow one to its "
                         "store: give the file's own path") != NULL);
    CHECK(access(buf_cstr(&target), F_OK) != 0); /* nothing created at the far end */
    CHECK(store_open_readonly(buf_cstr(&url), &older, reason) == NULL);
    CHECK(strstr(reason, "is a symbolic link") != NULL);
    unlink(path);
    buf_printf(&side, "%s-wal", path);
    CHECK_INT(symlink(buf_cstr(&target), buf_cstr(&side)), 0);
    CHECK(store_open(buf_cstr(&url), true, reason) == NULL);
    CHECK(strstr(reason, "state.db-wal is a symbolic link; batchtrace does not follow one beside "
                         "its store: remove it") != NULL);
    CHECK(access(buf_cstr(&target), F_OK) != 0);
    buf_free(&url);
    buf_free(&target);
    buf_free(&side);
    remove_tree(dir);
    free(dir);
}

/* store_set_cancel's check for the test: always "stop waiting". */
static int always_cancelled(void) { return 1; }

TEST(a_store_locked_by_another_process_names_the_holder) {
    char *dir = temp_dir("locked");
    buf_t url = BUF_INIT;
    buf_printf(&url, "sqlite:%s/state.db", dir);
    char reason[REASON_MAX] = "";
    store_t *store = store_open(buf_cstr(&url), true, reason);
    CHECK(store != NULL);
    int ready[2], release[2];
    if (!store || pipe(ready) != 0 || pipe(release) != 0) goto done;
    pid_t child = fork();
    if (child == 0) { /* the lock holder: BEGIN IMMEDIATE until the parent says */
        close(ready[0]);
        close(release[1]);
        sqlite3 *db = NULL;
        char byte = 'x';
        if (sqlite3_open(buf_cstr(&url) + 7, &db) != SQLITE_OK ||
            sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            byte = 'n';
        if (write(ready[1], &byte, 1) != 1) _exit(1);
        if (read(release[0], &byte, 1) < 0) _exit(1);
        _exit(0);
    }
    close(ready[1]);
    close(release[0]);
    char byte = 0;
    CHECK(read(ready[0], &byte, 1) == 1 && byte == 'x');
    store_set_cancel(store, always_cancelled);
    spool_chunk chunk = {0, "http/json", 1, "{}", 2, "d", NULL, "r"};
    CHECK_INT(store_spool_put(store, &chunk, reason), STORE_LOCKED);
    char expected[128];
    snprintf(expected, sizeof expected, "state.db: cannot spool: the store is locked by another "
             "process (pid %ld); the wait for it was cut short", (long)child);
    if (!strstr(reason, expected)) fprintf(stderr, "  reason: %s\n", reason);
    CHECK(strstr(reason, expected) != NULL);
    close(release[1]);
    close(ready[0]);
    waitpid(child, NULL, 0);
    store_set_cancel(store, NULL);
    CHECK_INT(store_spool_put(store, &chunk, reason), 0);
done:
    store_close(store);
    buf_free(&url);
    remove_tree(dir);
    free(dir);
}

/* One byte over fd (the test's processes wait for each other with these). */
static bool signal_fd(int fd) { return write(fd, "x", 1) == 1; }
static bool wait_fd(int fd) {
    char byte;
    return read(fd, &byte, 1) == 1;
}

/* Closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
 * shared lock on the database included. A second handle opened in the process (a collect's
 * spool beside its context), or the look for a lock's holder, must not drop the first
 * handle's: else another process closing its last connection checkpoints and removes the
 * WAL under it, and what it commits afterwards is gone when the process is killed. */
TEST(a_second_handle_in_one_process_keeps_the_first_ones_commits) {
    char *dir = temp_dir("twohandles");
    buf_t url = BUF_INIT;
    fresh_store_url(&url, dir);
    int opened[2], closed[2];
    if (pipe(opened) != 0 || pipe(closed) != 0) goto done;
    pid_t child = fork();
    if (child == 0) { /* the run: two handles, a commit after the other process came and went */
        char reason[REASON_MAX] = "";
        store_t *first = store_open(buf_cstr(&url), true, reason);
        store_batch one = sample_batch("00000000000000000000000000000001", "batch_one");
        if (!first || store_batch_put(first, &one, reason) != 1) _exit(2);
        store_t *second = store_open(buf_cstr(&url), true, reason);
        if (!second || !signal_fd(opened[1]) || !wait_fd(closed[0])) _exit(3);
        store_batch two = sample_batch("00000000000000000000000000000002", "batch_two");
        if (store_batch_put(first, &two, reason) != 1) _exit(4);
        _exit(0); /* as a kill would end it: no handle closed, no checkpoint */
    }
    CHECK(wait_fd(opened[0]));
    sqlite3 *db = NULL; /* another process opens the store and closes its connection */
    CHECK(sqlite3_open(buf_cstr(&url) + 7, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "SELECT count(*) FROM batches", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK(signal_fd(closed[1]));
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char reason[REASON_MAX] = "";
    store_t *store = store_open(buf_cstr(&url), true, reason);
    CHECK(store != NULL);
    if (store) {
        store_batch found;
        memset(&found, 0, sizeof found);
        CHECK_INT(store_batch_find(store, "00000000000000000000000000000002", NULL, &found, reason), 1);
        store_batch_free(&found);
        store_close(store);
    }
done:
    buf_free(&url);
    remove_tree(dir);
    free(dir);
}

TEST(a_batch_keeps_its_last_report_read_by_its_batch_id) {
    char *dir = temp_dir("report");
    buf_t url = BUF_INIT;
    fresh_store_url(&url, dir);
    char reason[REASON_MAX] = "";
    store_t *store = store_open(buf_cstr(&url), true, reason);
    CHECK(store != NULL);
    if (store) {
        store_batch batch = sample_batch("0000000000000000000000000000000d", "batch_d");
        CHECK_INT(store_batch_put(store, &batch, reason), 1);
        store_batch_free(&batch);
        char *report = NULL;
        CHECK_INT(store_report_get(store, "batch_d", &report, reason), 0);
        CHECK(report == NULL);
        CHECK_INT(store_report_put(store, "0000000000000000000000000000000d", "{\"a\":1}", reason), 0);
        CHECK_INT(store_report_put(store, "0000000000000000000000000000000d", "{\"a\":2}", reason), 0);
        CHECK_INT(store_report_get(store, "batch_d", &report, reason), 1);
        if (report) CHECK_STR(report, "{\"a\":2}");
        free(report);
        CHECK_INT(store_report_get(store, "batch_other", &report, reason), 0);
        store_close(store);
    }
    buf_free(&url);
    remove_tree(dir);
    free(dir);
}

/* A connection to the database under test with search_path at url's schema, for a test that
 * plays another process (or another batchtrace version); NULL when it fails. */
static PGconn *pg_poke_connection(const char *url) {
    char *conninfo = xstrdup(strchr(url, ':') + 1);
    char *schema = strstr(conninfo, "schema=");
    buf_t set = BUF_INIT;
    buf_printf(&set, "SET search_path TO %s", schema + 7);
    schema[-1] = '\0'; /* the '?' or '&' before it */
    buf_t uri = BUF_INIT;
    buf_printf(&uri, "postgres:%s", conninfo);
    PGconn *conn = PQconnectdb(buf_cstr(&uri));
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "poke: %s", PQerrorMessage(conn));
        PQfinish(conn);
        conn = NULL;
    } else {
        PQclear(PQexec(conn, buf_cstr(&set)));
    }
    free(conninfo);
    buf_free(&set);
    buf_free(&uri);
    return conn;
}

/* Run sql in url's schema as another process would. */
static void pg_poke(const char *url, const char *sql) {
    PGconn *conn = pg_poke_connection(url);
    if (!conn) return;
    PGresult *result = PQexec(conn, sql);
    if (PQresultStatus(result) != PGRES_COMMAND_OK && PQresultStatus(result) != PGRES_TUPLES_OK)
        fprintf(stderr, "poke: %s", PQresultErrorMessage(result));
    PQclear(result);
    PQfinish(conn);
}

/* A claim transaction that fails after registering the run (a trigger refuses the custom_id
 * "boom") takes the run's row with it: the handle must not go on claiming under that id.
 * Else SQLite hands the same id (AUTOINCREMENT rolled back too) to the next run, which
 * then takes the first run's claims for its own, and PostgreSQL's other runs take claims
 * naming a run without a row for a dead run's: both send the item. */
TEST(a_run_registered_in_a_failed_claim_registers_again) {
    char *dir = temp_dir("rolled-back-run");
    buf_t url = BUF_INIT;
    fresh_store_url(&url, dir);
    char reason[REASON_MAX] = "";
    store_t *first = store_open(buf_cstr(&url), true, reason), *second = NULL;
    CHECK(first != NULL);
    if (!first) goto done;
    const char *nonce = "0000000000000000000000000000000c";
    store_batch batch = sample_batch(nonce, NULL);
    CHECK_INT(store_batch_put(first, &batch, reason), 1);
    store_batch_free(&batch);
    if (pg_base())
        pg_poke(buf_cstr(&url),
                "CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                " IF position('boom'::bytea IN NEW.ids) > 0 THEN RAISE EXCEPTION 'boom refused';"
                " END IF; RETURN NEW; END $$; CREATE TRIGGER refuse_boom BEFORE INSERT ON item_marks"
                " FOR EACH ROW EXECUTE FUNCTION refuse_boom()");
    else
        poke(&url, "CREATE TRIGGER refuse_boom BEFORE INSERT ON item_marks"
                   " WHEN instr(NEW.ids, CAST('boom' AS BLOB)) > 0"
                   " BEGIN SELECT RAISE(ABORT, 'boom refused'); END");
    bt_str boom = STR_LIT("boom"), item = STR_LIT("x");
    claim_outcome won = CLAIM_HELD;
    CHECK_INT(store_items_claim(first, nonce, &boom, 1, &won, reason), -1);
    CHECK(strstr(reason, "boom refused") != NULL);
    CHECK_INT(store_items_claim(first, nonce, &item, 1, &won, reason), 0);
    CHECK(won == CLAIM_WON);
    second = store_open(buf_cstr(&url), true, reason);
    CHECK(second != NULL);
    if (!second) goto done;
    /* the first run is alive and holds x */
    CHECK_INT(store_items_claim(second, nonce, &item, 1, &won, reason), 0);
    CHECK(won == CLAIM_HELD);
    CHECK_INT(store_run_release(first, reason), 0);
    CHECK_INT(store_items_claim(second, nonce, &item, 1, &won, reason), 0);
    CHECK(won == CLAIM_WON);
done:
    store_close(first);
    store_close(second);
    buf_free(&url);
    remove_tree(dir);
    free(dir);
}

TEST(a_postgres_store_is_made_in_its_schema_and_migrated_once) {
    buf_t url = BUF_INIT;
    fresh_store_url(&url, NULL);
    char reason[REASON_MAX] = "";
    CHECK(store_open(buf_cstr(&url), false, reason) == NULL);
    CHECK_STR(reason, ""); /* nothing there yet, and not an error */
    CHECK(store_open_readonly(buf_cstr(&url), &older, reason) == NULL);
    CHECK_STR(reason, "");
    store_t *store = store_open(buf_cstr(&url), true, reason);
    CHECK(store != NULL);
    if (!store) goto done;
    int64_t version = 0;
    CHECK_INT(store_schema_version(store, &version, reason), 0);
    CHECK_INT(version, 2);
    store_t *reader = store_open_readonly(buf_cstr(&url), &older, reason);
    CHECK(reader != NULL);
    uint64_t chunks = 1, spans = 1;
    if (reader) CHECK_INT(store_spool_count(reader, &chunks, &spans, reason), 0);
    CHECK_INT(chunks, 0);
    spool_chunk chunk = {0, "http/json", 1, "{}", 2, "d", NULL, "r"};
    if (reader) CHECK_INT(store_spool_put(reader, &chunk, reason), -1); /* reading only */
    store_close(reader);
    store_close(store);
    /* a schema a newer batchtrace migrated is refused, reading or writing */
    pg_poke(buf_cstr(&url), "INSERT INTO schema_version VALUES (99, 0)");
    CHECK(store_open(buf_cstr(&url), true, reason) == NULL);
    CHECK(strstr(reason, ": schema version 99 is newer than this batchtrace knows (2): "
                         "upgrade batchtrace") != NULL);
    CHECK(store_open_readonly(buf_cstr(&url), &older, reason) == NULL);
    CHECK(strstr(reason, "schema version 99 is newer") != NULL);
done:
    buf_free(&url);
}

TEST(a_schema_of_another_application_is_refused) {
    buf_t url = BUF_INIT;
    fresh_store_url(&url, NULL);
    char reason[REASON_MAX] = "";
    store_close(store_open(buf_cstr(&url), true, reason));
    pg_poke(buf_cstr(&url), "DROP TABLE schema_version; CREATE TABLE notes (x int)");
    CHECK(store_open(buf_cstr(&url), true, reason) == NULL);
    CHECK(strstr(reason, "is not a batchtrace store (it holds tables batchtrace did not make)") !=
          NULL);
    buf_free(&url);
}

TEST(a_bad_schema_name_or_a_missing_database_says_what_to_do) {
    char reason[REASON_MAX] = "";
    buf_t url = BUF_INIT;
    buf_printf(&url, "%s%cschema=Bad-Name", pg_base(), strchr(pg_base(), '?') ? '&' : '?');
    CHECK(store_open(buf_cstr(&url), true, reason) == NULL);
    CHECK_STR(reason, "the store URL's schema must be lower-case letters, digits and _ (not "
                      "starting with a digit), at most 63");
    /* the same server, a database that is not there */
    buf_clear(&url);
    const char *query = strchr(pg_base(), '?');
    buf_printf(&url, "postgres:///no_such_database%s", query ? query : "");
    CHECK(store_open(buf_cstr(&url), true, reason) == NULL);
    CHECK(strstr(reason, ": the database does not exist: create it (createdb NAME) or name "
                         "another one in the URL") != NULL);
    buf_free(&url);
}

int main(void) {
    if (pg_base()) { /* the backend-neutral tests, then PostgreSQL's own */
        RUN(spool_puts_counts_claims_releases_and_deletes);
        RUN(a_split_spooled_chunk_is_replaced_by_its_parts_in_one_step);
        RUN(the_signing_key_is_made_once_and_kept);
        RUN(batches_are_recorded_found_bound_and_listed);
        RUN(items_and_the_task_are_claimed_once_across_processes);
        RUN(inputs_are_kept_compressed_in_parts_and_restored_whole);
        RUN(a_batch_keeps_its_last_report_read_by_its_batch_id);
        RUN(a_run_registered_in_a_failed_claim_registers_again);
        RUN(a_postgres_store_is_made_in_its_schema_and_migrated_once);
        RUN(a_schema_of_another_application_is_refused);
        RUN(a_bad_schema_name_or_a_missing_database_says_what_to_do);
        TEST_MAIN_END();
    }
    RUN(url_comes_from_the_flag_then_the_variable_then_xdg_then_home);
    RUN(unusable_urls_are_refused_without_showing_credentials);
    RUN(a_named_store_is_checked_without_the_default_path);
    RUN(postgres_urls_are_accepted_and_shown_without_their_password);
    RUN(open_creates_private_directories_and_file_with_the_schema);
    RUN(a_store_from_a_newer_batchtrace_is_refused);
    RUN(spool_puts_counts_claims_releases_and_deletes);
    RUN(a_split_spooled_chunk_is_replaced_by_its_parts_in_one_step);
    RUN(the_signing_key_is_made_once_and_kept);
    RUN(batches_are_recorded_found_bound_and_listed);
    RUN(items_and_the_task_are_claimed_once_across_processes);
    RUN(claims_of_a_dead_run_are_taken_over_at_once);
    RUN(inputs_are_kept_compressed_in_parts_and_restored_whole);
    RUN(another_applications_database_is_refused_without_a_byte_written);
    RUN(a_store_an_earlier_batchtrace_made_is_adopted_and_marked);
    RUN(marks_of_a_store_made_before_item_marks_still_count);
    RUN(reading_a_store_writes_and_creates_nothing);
    RUN(a_store_other_users_may_read_is_refused);
    RUN(symbolic_links_to_or_beside_the_store_are_not_followed);
    RUN(a_store_locked_by_another_process_names_the_holder);
    RUN(a_second_handle_in_one_process_keeps_the_first_ones_commits);
    RUN(a_batch_keeps_its_last_report_read_by_its_batch_id);
    RUN(a_run_registered_in_a_failed_claim_registers_again);
    TEST_MAIN_END();
}
