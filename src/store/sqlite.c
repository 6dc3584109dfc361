/* The SQLite store (see store.h): one database file in WAL mode, so a flush can read while
 * a collect spools; a busy timeout, so two processes wait for each other instead of
 * failing; a schema versioned by PRAGMA user_version and brought up to date by the ordered
 * list of migrations below. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "util/alloc.h"
#include "util/timeutil.h"

/* How long a statement waits for another process's lock before failing. */
enum { STORE_BUSY_TIMEOUT_MS = 10000 };

/* The schema, one step per version: step i takes the database from version i to i + 1.
 * Append new steps at the end (never edit a released one): every process that opens the
 * store runs the steps its file lacks, in one transaction. */
static const char *const migrations[] = {
    /* 1: the spool. body is an encoded ExportTraceServiceRequest (never compressed, no
     * header values); lease_until_ns is when a flush's hold on the row runs out. */
    "CREATE TABLE spool ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  created_ns INTEGER NOT NULL,"
    "  protocol TEXT NOT NULL CHECK (protocol IN ('http/protobuf', 'http/json')),"
    "  span_count INTEGER NOT NULL CHECK (span_count >= 0),"
    "  body BLOB NOT NULL,"
    "  destination TEXT NOT NULL,"
    "  braintrust_parent TEXT,"
    "  reason TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  lease_until_ns INTEGER NOT NULL DEFAULT 0"
    ");",
};

#define MIGRATION_COUNT ((int)(sizeof migrations / sizeof migrations[0]))

struct store {
    sqlite3 *db;    /* the connection */
    char *url;      /* "sqlite:PATH", for messages; owned */
    char *path;     /* the database file; owned */
};

/* fail() with "PATH: what: SQLite's message". */
static int db_fail(store_t *store, const char *what, char *reason) {
    return fail(reason, "%s: %s: %s", store->path, what, sqlite3_errmsg(store->db));
}

/* Run SQL without results. 0, or -1 with reason. */
static int exec_sql(store_t *store, const char *sql, const char *what, char *reason) {
    if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(store, what, reason);
    return 0;
}

/* Create the directories above path that do not exist yet, mode 0700. 0, or -1 with
 * reason. */
static int make_parent_dirs(const char *path, char *reason) {
    char *dirs = xstrdup(path);
    int rc = -1;
    char *slash = strrchr(dirs, '/');
    if (!slash || slash == dirs) { /* in the current directory, or in / */
        rc = 0;
        goto done;
    }
    *slash = '\0';
    for (char *at = dirs + 1;; at++) {
        bool last = *at == '\0';
        if (*at != '/' && !last) continue;
        *at = '\0';
        if (mkdir(dirs, 0700) != 0 && errno != EEXIST) {
            fail(reason, "cannot create %s: %s", dirs, strerror(errno));
            goto done;
        }
        if (last) break;
        *at = '/';
    }
    rc = 0;
done:
    free(dirs);
    return rc;
}

/* Bring the schema to MIGRATION_COUNT inside one write transaction, so that two processes
 * opening a fresh store migrate it once. 0, or -1 with reason. */
static int migrate(store_t *store, char *reason) {
    if (exec_sql(store, "BEGIN IMMEDIATE", "cannot lock the store", reason) != 0) return -1;
    sqlite3_stmt *stmt = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    if (version < 0) {
        db_fail(store, "cannot read the schema version", reason);
        goto rollback;
    }
    if (version > MIGRATION_COUNT) {
        fail(reason, "%s: schema version %d is newer than this batchtrace knows (%d): "
                     "upgrade batchtrace", store->path, version, MIGRATION_COUNT);
        goto rollback;
    }
    for (int step = version; step < MIGRATION_COUNT; step++) {
        char what[64];
        snprintf(what, sizeof what, "schema migration %d", step + 1);
        if (exec_sql(store, migrations[step], what, reason) != 0) goto rollback;
    }
    if (version < MIGRATION_COUNT) {
        char set_version[48];
        snprintf(set_version, sizeof set_version, "PRAGMA user_version = %d", MIGRATION_COUNT);
        if (exec_sql(store, set_version, "cannot set the schema version", reason) != 0)
            goto rollback;
    }
    return exec_sql(store, "COMMIT", "cannot commit the schema", reason);
rollback:
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* See store.h. */
store_t *store_open(const char *url, bool create, char *reason) {
    if (strncmp(url, "sqlite:", 7) != 0 || url[7] == '\0') {
        fail(reason, "not a store URL batchtrace can open (use sqlite:PATH)");
        return NULL;
    }
    const char *path = url + 7;
    if (strncmp(path, "//", 2) == 0) path += 2; /* sqlite:///abs/path */
    store_t *store = xcalloc(1, sizeof *store);
    store->url = xstrdup(url);
    store->path = xstrdup(path);

    if (!create && access(path, F_OK) != 0 && errno == ENOENT) {
        fail(reason, "%s", "");
        goto failed;
    }
    if (create) {
        if (make_parent_dirs(path, reason) != 0) goto failed;
        /* Made here, not by SQLite, so that it is 0600 whatever the umask; SQLite gives the
         * -wal and -shm files the database file's mode. */
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            fail(reason, "cannot create %s: %s", path, strerror(errno));
            goto failed;
        }
        close(fd);
    }
    if (sqlite3_open_v2(path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        if (store->db) db_fail(store, "cannot open", reason);
        else fail(reason, "%s: cannot open: out of memory", path);
        goto failed;
    }
    sqlite3_busy_timeout(store->db, STORE_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(store->db, 1);
    if (exec_sql(store, "PRAGMA journal_mode = WAL", "cannot use WAL", reason) != 0 ||
        exec_sql(store, "PRAGMA synchronous = FULL", "cannot set synchronous", reason) != 0 ||
        migrate(store, reason) != 0)
        goto failed;
    return store;
failed:
    store_close(store);
    return NULL;
}

/* See store.h. */
void store_close(store_t *store) {
    if (!store) return;
    sqlite3_close(store->db);
    free(store->url);
    free(store->path);
    free(store);
}

/* See store.h. */
const char *store_url(const store_t *store) { return store->url; }

/* See store.h: one INSERT is one transaction. */
int store_spool_put(store_t *store, spool_chunk *chunk, char *reason) {
    static const char sql[] =
        "INSERT INTO spool (created_ns, protocol, span_count, body, destination,"
        " braintrust_parent, reason) VALUES (?, ?, ?, ?, ?, ?, ?)";
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        db_fail(store, "cannot spool", reason);
        goto done;
    }
    sqlite3_bind_int64(stmt, 1, time_now_ns());
    sqlite3_bind_text(stmt, 2, chunk->protocol, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64)chunk->span_count);
    sqlite3_bind_blob64(stmt, 4, chunk->body ? chunk->body : "", chunk->body_len, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, chunk->destination ? chunk->destination : "", -1, SQLITE_STATIC);
    if (chunk->braintrust_parent)
        sqlite3_bind_text(stmt, 6, chunk->braintrust_parent, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, 6);
    sqlite3_bind_text(stmt, 7, chunk->reason ? chunk->reason : "", -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        db_fail(store, "cannot spool", reason);
        goto done;
    }
    chunk->id = sqlite3_last_insert_rowid(store->db);
    rc = 0;
done:
    sqlite3_finalize(stmt);
    return rc;
}

/* See store.h. */
int store_spool_count(store_t *store, uint64_t *chunks, uint64_t *spans, char *reason) {
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(store->db, "SELECT count(*), coalesce(sum(span_count), 0) FROM spool",
                           -1, &stmt, NULL) != SQLITE_OK ||
        sqlite3_step(stmt) != SQLITE_ROW) {
        db_fail(store, "cannot count the spool", reason);
        goto done;
    }
    *chunks = (uint64_t)sqlite3_column_int64(stmt, 0);
    *spans = (uint64_t)sqlite3_column_int64(stmt, 1);
    rc = 0;
done:
    sqlite3_finalize(stmt);
    return rc;
}

/* Copy the claimed row's columns into claim->storage and point claim->chunk at them. */
static void fill_claim(sqlite3_stmt *stmt, spool_claim *claim) {
    buf_clear(&claim->storage);
    const char *protocol = (const char *)sqlite3_column_text(stmt, 1);
    const void *body = sqlite3_column_blob(stmt, 3);
    size_t body_len = (size_t)sqlite3_column_bytes(stmt, 3);
    const char *parent = (const char *)sqlite3_column_text(stmt, 4);
    /* One buffer holds body, then protocol, then the parent; offsets first, since the
     * buffer may move while it grows. */
    buf_append(&claim->storage, body ? body : "", body_len);
    size_t protocol_at = claim->storage.len;
    buf_puts(&claim->storage, protocol ? protocol : "");
    buf_putc(&claim->storage, '\0');
    size_t parent_at = claim->storage.len;
    if (parent) buf_puts(&claim->storage, parent);
    memset(&claim->chunk, 0, sizeof claim->chunk);
    claim->chunk.id = sqlite3_column_int64(stmt, 0);
    claim->chunk.span_count = (uint64_t)sqlite3_column_int64(stmt, 2);
    claim->chunk.body = claim->storage.data;
    claim->chunk.body_len = body_len;
    claim->chunk.protocol = claim->storage.data + protocol_at;
    claim->chunk.braintrust_parent = parent ? claim->storage.data + parent_at : NULL;
}

/* See store.h: select and mark in one write transaction, so no two processes take the
 * same row. */
int store_spool_claim(store_t *store, int64_t after_id, int64_t lease_ms, spool_claim *claim,
                      char *reason) {
    static const char select_sql[] =
        "SELECT id, protocol, span_count, body, braintrust_parent FROM spool"
        " WHERE id > ? AND lease_until_ns <= ? ORDER BY id LIMIT 1";
    static const char lease_sql[] = "UPDATE spool SET lease_until_ns = ? WHERE id = ?";
    if (exec_sql(store, "BEGIN IMMEDIATE", "cannot lock the spool", reason) != 0) return -1;
    sqlite3_stmt *select = NULL, *lease = NULL;
    int rc = -1;
    int64_t now = time_now_ns();
    if (sqlite3_prepare_v2(store->db, select_sql, -1, &select, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(store->db, lease_sql, -1, &lease, NULL) != SQLITE_OK) {
        db_fail(store, "cannot read the spool", reason);
        goto done;
    }
    sqlite3_bind_int64(select, 1, after_id);
    sqlite3_bind_int64(select, 2, now);
    int step = sqlite3_step(select);
    if (step == SQLITE_DONE) {
        rc = 0;
        goto done;
    }
    if (step != SQLITE_ROW) {
        db_fail(store, "cannot read the spool", reason);
        goto done;
    }
    fill_claim(select, claim);
    sqlite3_bind_int64(lease, 1, now + lease_ms * 1000000);
    sqlite3_bind_int64(lease, 2, claim->chunk.id);
    if (sqlite3_step(lease) != SQLITE_DONE) {
        db_fail(store, "cannot hold a spooled request", reason);
        goto done;
    }
    rc = 1;
done:
    sqlite3_finalize(select);
    sqlite3_finalize(lease);
    if (rc >= 0 && exec_sql(store, "COMMIT", "cannot commit", reason) == 0) return rc;
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* Run a statement binding id (and text when non-NULL, as the first parameter). */
static int exec_on_row(store_t *store, const char *sql, const char *text, int64_t id,
                       const char *what, char *reason) {
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        db_fail(store, what, reason);
        goto done;
    }
    int index = 1;
    if (text) sqlite3_bind_text(stmt, index++, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, index, id);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        db_fail(store, what, reason);
        goto done;
    }
    rc = 0;
done:
    sqlite3_finalize(stmt);
    return rc;
}

/* See store.h. */
int store_spool_delete(store_t *store, int64_t id, char *reason) {
    return exec_on_row(store, "DELETE FROM spool WHERE id = ?", NULL, id,
                       "cannot delete a delivered request", reason);
}

/* See store.h. */
int store_spool_release(store_t *store, int64_t id, const char *why, char *reason) {
    return exec_on_row(store,
                       "UPDATE spool SET lease_until_ns = 0, attempts = attempts + 1,"
                       " reason = ? WHERE id = ?",
                       why ? why : "", id, "cannot release a spooled request", reason);
}

/* See store.h. */
void spool_claim_free(spool_claim *claim) {
    buf_free(&claim->storage);
    memset(&claim->chunk, 0, sizeof claim->chunk);
}
