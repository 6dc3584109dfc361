/* The PostgreSQL store (see store.h): one schema of a database that many machines share,
 * through libpq. The same tables and the same claims as the SQLite store (sqlite.c): row
 * locks where SQLite has its one write lock. A claim or delivered transaction locks the
 * batch's row (SELECT ... FOR UPDATE), reads the item marks appended since it last looked
 * and appends one row of its own (store/marks.h); a spool claim takes rows FOR UPDATE SKIP
 * LOCKED. A delivered mark is committed only by store_items_delivered, which collect calls
 * once the exporter accepted the spans (docs/design.md, "The PostgreSQL store").
 *
 * The schema is versioned by the table schema_version and brought up to date by the ordered
 * list of migrations below, under an advisory lock so two processes migrate it once. Every
 * message shows the URL as store_shown_url does: never a password. */
#include <libpq-fe.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/backend.h"
#include "store/marks.h"
#include "util/alloc.h"
#include "util/fault.h"
#include "util/timeutil.h"

/* The schema when the URL names none. */
#define PG_DEFAULT_SCHEMA "batchtrace"
/* How long a statement waits for another run's row lock before failing with STORE_LOCKED
 * (as the SQLite store's busy timeout). */
#define PG_LOCK_TIMEOUT "10s"

/* The schema, one step per version: step i takes it from version i to i + 1. Append new
 * steps at the end (never edit a released one). Version 1 is the SQLite store's schema 4
 * at once (the same tables and columns; docs/design.md, "Lifecycle", "Crash safety"). */
static const char *const migrations[] = {
    "CREATE TABLE spool ("
    "  id BIGSERIAL PRIMARY KEY,"
    "  created_ns BIGINT NOT NULL,"
    "  protocol TEXT NOT NULL CHECK (protocol IN ('http/protobuf', 'http/json')),"
    "  span_count BIGINT NOT NULL CHECK (span_count >= 0),"
    "  body BYTEA NOT NULL,"
    "  destination TEXT NOT NULL,"
    "  braintrust_parent TEXT,"
    "  reason TEXT NOT NULL,"
    "  attempts BIGINT NOT NULL DEFAULT 0,"
    "  lease_until_ns BIGINT NOT NULL DEFAULT 0,"
    "  owner BIGINT"
    ");"
    "CREATE TABLE keys ("
    "  name TEXT PRIMARY KEY,"
    "  key BYTEA NOT NULL,"
    "  created_ns BIGINT NOT NULL"
    ");"
    "CREATE TABLE batches ("
    "  nonce TEXT PRIMARY KEY,"
    "  provider TEXT NOT NULL,"
    "  trace_id TEXT NOT NULL,"
    "  parent_span_id TEXT,"
    "  trace_flags BIGINT NOT NULL,"
    "  start_ns BIGINT NOT NULL,"
    "  request_count BIGINT NOT NULL,"
    "  input_digest TEXT NOT NULL,"
    "  context TEXT NOT NULL,"
    "  batch_id TEXT UNIQUE,"
    "  endpoint TEXT,"
    "  models TEXT,"
    "  inputs_kept BOOLEAN NOT NULL DEFAULT false,"
    "  created_ns BIGINT NOT NULL,"
    "  batch_status TEXT,"
    "  task_exported BOOLEAN NOT NULL DEFAULT false,"
    "  task_owner BIGINT,"
    "  task_provisional BOOLEAN NOT NULL DEFAULT false"
    ");"
    "CREATE TABLE batch_inputs ("
    "  nonce TEXT NOT NULL,"
    "  part BIGINT NOT NULL,"
    "  data BYTEA NOT NULL,"
    "  PRIMARY KEY (nonce, part)"
    ");"
    "CREATE TABLE exported ("
    "  nonce TEXT NOT NULL,"
    "  custom_id BYTEA NOT NULL,"
    "  owner BIGINT,"
    "  PRIMARY KEY (nonce, custom_id)"
    ") WITH (fillfactor = 70);" /* room on each page: a delivered mark is a HOT update */
    "CREATE TABLE batch_reports ("
    "  nonce TEXT PRIMARY KEY,"
    "  report TEXT NOT NULL"
    ");"
    "CREATE TABLE runs ("
    "  id BIGSERIAL PRIMARY KEY,"
    "  host TEXT NOT NULL,"
    "  boot_id TEXT NOT NULL,"
    "  pid BIGINT NOT NULL,"
    "  start_ticks BIGINT NOT NULL,"
    "  lease_until_ns BIGINT NOT NULL,"
    "  created_ns BIGINT NOT NULL"
    ");",
    /* 2: item marks as rows of many ids (the SQLite store's schema 6; docs/design.md, "Item
     * marks"): written under the batch's row lock, so seq grows in commit order per batch. */
    "CREATE TABLE item_marks ("
    "  seq BIGSERIAL PRIMARY KEY,"
    "  nonce TEXT NOT NULL,"
    "  owner BIGINT,"
    "  ids BYTEA NOT NULL"
    ");"
    "CREATE INDEX item_marks_by_batch ON item_marks (nonce, seq);"
    "ALTER TABLE batches ADD COLUMN items_delivered BIGINT NOT NULL DEFAULT 0;"
    "UPDATE batches b SET items_delivered = (SELECT count(*) FROM exported e"
    "  WHERE e.nonce = b.nonce AND e.owner IS NULL);",
};

#define MIGRATION_COUNT ((int64_t)(sizeof migrations / sizeof migrations[0]))

/* SQLSTATEs the store tells apart. */
#define SQLSTATE_UNIQUE "23505"
#define SQLSTATE_LOCK_TIMEOUT "55P03"
#define SQLSTATE_DEADLOCK "40P01"
#define SQLSTATE_SERIALIZATION "40001"

/* A PostgreSQL store's handle (store.c sees only its first member). */
typedef struct pg_store {
    store_t base;                     /* the backend's table: must come first */
    PGconn *conn;                     /* the connection */
    char *url;                        /* the URL as shown (store_shown_url); owned */
    char schema[64];                  /* the schema the tables live in */
    char sqlstate[6];                 /* the last failed statement's SQLSTATE, or "" */
    int (*cancelled)(void);           /* store_set_cancel's check (lock waits end at
                                         PG_LOCK_TIMEOUT instead) */
    int64_t run_id;                   /* this handle's row in runs; 0 until its first claim */
    bool run_uncommitted;             /* run_id's row was made in the open transaction */
    run_identity me;                  /* this process (read with the first claim) */
    int64_t run_renewed_ns;           /* when its lease was last renewed */
    run_cache runs;                   /* other runs' liveness, as last checked */
    claimed_batches claimed;          /* the batches this run claimed items of */
    mark_views marks;                 /* the item marks of batches, as read (marks.h) */
} pg_store;

static const store_ops pg_ops;
static void pg_close(store_t *handle);

/* ---- statements ------------------------------------------------------------------------- */

/* The parameters of one statement: text (or NULL) and binary values. */
enum { PG_PARAMS_MAX = 16 };
typedef struct pg_params {
    const char *values[PG_PARAMS_MAX];
    int lengths[PG_PARAMS_MAX];
    int formats[PG_PARAMS_MAX];
    char numbers[PG_PARAMS_MAX][24];  /* the text of integer parameters */
    int count;
} pg_params;

/* Add a text parameter (NULL: SQL NULL). */
static void param_text(pg_params *params, const char *text) {
    params->values[params->count] = text;
    params->lengths[params->count] = 0;
    params->formats[params->count++] = 0;
}

/* Add an integer parameter. */
static void param_int(pg_params *params, int64_t value) {
    snprintf(params->numbers[params->count], sizeof params->numbers[0], "%lld",
             (long long)value);
    param_text(params, params->numbers[params->count]);
}

/* Add a binary parameter (a bytea, or an array in its binary form). */
static void param_bytes(pg_params *params, const void *data, size_t len) {
    params->values[params->count] = len ? data : "";
    params->lengths[params->count] = (int)len;
    params->formats[params->count++] = 1;
}

/* The first line of a libpq or server message, with the connection's password (when one
 * is in it) not shown. */
static void message_line(const pg_store *store, const char *message, char *out, size_t size) {
    const char *password = store->conn ? PQpass(store->conn) : NULL;
    if (!message || !*message) message = "no message from the server";
    if (password && *password && strstr(message, password)) {
        snprintf(out, size, "(a message that quotes the password; not shown)");
        return;
    }
    size_t len = strcspn(message, "\n");
    snprintf(out, size, "%.*s", (int)len, message);
}

/* fail() with "URL: what: the server's message"; a lost connection, a lock wait that ran
 * out and a deadlock say so. Returns STORE_LOCKED for a lock, else -1. */
static int pg_fail(pg_store *store, const PGresult *result, const char *what, char *reason) {
    const char *state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
    snprintf(store->sqlstate, sizeof store->sqlstate, "%s", state ? state : "");
    char line[200];
    message_line(store, result && PQresultErrorMessage(result)[0] ? PQresultErrorMessage(result)
                                                                 : PQerrorMessage(store->conn),
                 line, sizeof line);
    if (PQstatus(store->conn) == CONNECTION_BAD)
        return fail(reason, "%s: %s: the connection to the server was lost (%s): check the "
                            "server, then run again", store->url, what, line);
    if (strcmp(store->sqlstate, SQLSTATE_LOCK_TIMEOUT) == 0) {
        fail(reason, "%s: %s: the store is locked by another run, still after %s", store->url,
             what, PG_LOCK_TIMEOUT);
        return STORE_LOCKED;
    }
    return fail(reason, "%s: %s: %s", store->url, what, line);
}

/* Run sql with params; binary results. The result (PQclear it), or NULL with reason (and
 * store->sqlstate) when it failed; *rc gets -1 or STORE_LOCKED then. */
static PGresult *run_sql(pg_store *store, const char *sql, const pg_params *params,
                         const char *what, int *rc, char *reason) {
    store->sqlstate[0] = '\0';
    PGresult *result = PQexecParams(store->conn, sql, params ? params->count : 0, NULL,
                                    params ? params->values : NULL,
                                    params ? params->lengths : NULL,
                                    params ? params->formats : NULL, 1);
    ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    int code = pg_fail(store, result, what, reason);
    if (rc) *rc = code;
    PQclear(result);
    return NULL;
}

/* Run sql (with params, or none) for its effect only. 0, or -1 / STORE_LOCKED with reason. */
static int exec_sql(pg_store *store, const char *sql, const pg_params *params, const char *what,
                    char *reason) {
    int rc = -1;
    PGresult *result = run_sql(store, sql, params, what, &rc, reason);
    if (!result) return rc;
    PQclear(result);
    return 0;
}

/* Run several statements without parameters (simple protocol). 0, or -1 with reason. */
static int exec_script(pg_store *store, const char *sql, const char *what, char *reason) {
    PGresult *result = PQexec(store->conn, sql);
    ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    int rc = 0;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        rc = pg_fail(store, result, what, reason);
    PQclear(result);
    return rc;
}

/* A big-endian integer of len bytes. */
static int64_t be_int(const unsigned char *bytes, int len) {
    uint64_t value = 0;
    for (int i = 0; i < len; i++) value = value << 8 | bytes[i];
    if (len == 4) return (int32_t)(uint32_t)value;
    if (len == 2) return (int16_t)(uint16_t)value;
    return (int64_t)value;
}

/* An integer or boolean column of a binary result (0 when NULL). */
static int64_t get_int(const PGresult *result, int row, int column) {
    if (PQgetisnull(result, row, column)) return 0;
    return be_int((const unsigned char *)PQgetvalue(result, row, column),
                  PQgetlength(result, row, column));
}

/* A text column, or NULL when it is NULL (libpq ends every value with a NUL). */
static const char *get_text(const PGresult *result, int row, int column) {
    return PQgetisnull(result, row, column) ? NULL : PQgetvalue(result, row, column);
}

/* Whether a commit's result says the transaction was rolled back instead (it had failed). */
static bool commit_rolled_back(const PGresult *result) {
    return strcmp(PQcmdStatus((PGresult *)result), "ROLLBACK") == 0;
}

/* After a transaction that did not last: a run row made in it is gone with it, so the
 * handle forgets the id and registers again at its next claim (never claiming under the id
 * of a row that does not exist, which any other run takes for a dead one's); a lease
 * renewal in it is gone too, so the next claim renews. */
static void forget_rolled_back_run(pg_store *store) {
    if (store->run_uncommitted) store->run_id = 0;
    store->run_uncommitted = false;
    store->run_renewed_ns = 0;
}

/* COMMIT. 0, or -1 with reason (the transaction is over either way). */
static int commit(pg_store *store, char *reason) {
    int rc = -1;
    PGresult *result = run_sql(store, "COMMIT", NULL, "cannot commit", &rc, reason);
    if (!result) {
        forget_rolled_back_run(store);
        return rc;
    }
    bool rolled_back = commit_rolled_back(result);
    PQclear(result);
    if (rolled_back) {
        forget_rolled_back_run(store);
        return fail(reason, "%s: cannot commit: the transaction had failed", store->url);
    }
    store->run_uncommitted = false;
    return 0;
}

/* ROLLBACK, whatever state the transaction is in. */
static void rollback(pg_store *store) {
    PQclear(PQexec(store->conn, "ROLLBACK"));
    forget_rolled_back_run(store);
}

/* Commit when ok, else roll back; ok ? 0 : -1 (reason set by the caller, or here when the
 * commit fails). */
static int finish_transaction(pg_store *store, bool ok, char *reason) {
    if (ok) return commit(store, reason);
    rollback(store);
    return -1;
}

/* ---- the URL and the connection ------------------------------------------------------ */

/* Whether name is a schema name batchtrace accepts: [a-z_][a-z0-9_]*, at most 63 bytes
 * (so it is never quoted and never folded). */
static bool schema_name_ok(const char *name, size_t len) {
    if (len == 0 || len > 63 || (name[0] >= '0' && name[0] <= '9')) return false;
    for (size_t i = 0; i < len; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '_'))
            return false;
    return true;
}

/* Split url into what libpq reads (a URI without batchtrace's schema= query item, or a
 * conninfo without its schema= word; malloc'd into *conninfo) and the schema. 0, or -1
 * with reason. */
static int split_url(const char *url, char **conninfo, char *schema, size_t schema_size,
                     char *reason) {
    bool uri = strstr(url, "://") != NULL;
    const char *text = uri ? url : strchr(url, ':') + 1;
    char stop = uri ? '&' : ' ';
    const char *query = uri ? strchr(text, '?') : text;
    buf_t kept = BUF_INIT;
    snprintf(schema, schema_size, "%s", PG_DEFAULT_SCHEMA);
    if (!query) {
        *conninfo = xstrdup(text);
        return 0;
    }
    buf_append(&kept, text, (size_t)(query - text));
    const char *at = uri ? query + 1 : query;
    bool first = true;
    while (*at) {
        while (!uri && *at == ' ') at++;
        if (!*at) break;
        size_t item = strcspn(at, uri ? "&#" : " ");
        if (item > 7 && strncmp(at, "schema=", 7) == 0) {
            if (!schema_name_ok(at + 7, item - 7)) {
                buf_free(&kept);
                return fail(reason, "the store URL's schema must be lower-case letters, digits "
                                    "and _ (not starting with a digit), at most 63");
            }
            snprintf(schema, schema_size, "%.*s", (int)(item - 7), at + 7);
        } else {
            if (uri) buf_putc(&kept, first ? '?' : '&');
            else if (!first) buf_putc(&kept, ' ');
            buf_append(&kept, at, item);
            first = false;
        }
        at += item;
        if (*at == stop) at++;
        else if (*at == '#') break;
    }
    *conninfo = buf_detach(&kept);
    return 0;
}

/* Why a connection failed, in words that say what to do, from libpq's message. */
static const char *connect_advice(const char *message) {
    if (strstr(message, "password authentication failed") ||
        strstr(message, "no password supplied") || strstr(message, "authentication failed") ||
        strstr(message, "role \"") )
        return "authentication failed: check the user and its password (in the URL, "
               "PGPASSWORD or ~/.pgpass)";
    if (strstr(message, "database \"") && strstr(message, "does not exist"))
        return "the database does not exist: create it (createdb NAME) or name another one in "
               "the URL";
    if (strstr(message, "Connection refused") || strstr(message, "No such file or directory") ||
        strstr(message, "timeout expired") || strstr(message, "could not translate host name") ||
        strstr(message, "Is the server running"))
        return "the server does not answer: start it, or check the host and port in the URL";
    return "cannot connect";
}

/* Set the session for the store's schema: search_path, the lock timeout, and
 * synchronous_commit off: claims and delivered marks, the hot path, commit without waiting
 * for the server's disk (a kill of this process never loses a committed transaction; a
 * crash of the server may lose the last few, in order, which only makes a later run send
 * again, as SQLite's synchronous NORMAL for the same transactions). What keeps data (the
 * spool, batches, their inputs, the key, a bind) commits durably (begin_durable). 0, or -1
 * with reason. */
static int set_session(pg_store *store, char *reason) {
    pg_params params = {.count = 0};
    param_text(&params, store->schema);
    return exec_sql(store, "SELECT set_config('search_path', $1, false),"
                           " set_config('lock_timeout', '" PG_LOCK_TIMEOUT "', false),"
                           " set_config('synchronous_commit', 'off', false)",
                    &params, "cannot set the session", reason);
}

/* After a claim or mark transaction failed: when the connection to the server was lost
 * (a restart, a dropped connection) and attempt is the first, connect again (the run and
 * what it holds stay its own: they are rows) and say to try the transaction again. A
 * transaction that was lost committed nothing, or (a commit whose answer was lost) all of
 * it, and each of them is safe to run twice. */
static bool reconnected(pg_store *store, int attempt) {
    if (attempt > 0 || PQstatus(store->conn) != CONNECTION_BAD) return false;
    char reason[REASON_MAX];
    PQreset(store->conn);
    return PQstatus(store->conn) == CONNECTION_OK && set_session(store, reason) == 0;
}

/* A new handle connected to the server url names, its session set for the store's schema
 * (search_path, the lock timeout). NULL with reason. */
static pg_store *pg_connect(const char *url, char *reason) {
    pg_store *store = xcalloc(1, sizeof *store);
    store->base.ops = &pg_ops;
    store->url = store_shown_url(url);
    char *conninfo = NULL;
    if (split_url(url, &conninfo, store->schema, sizeof store->schema, reason) != 0) goto failed;
    static const char *const keywords[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *values[] = {"10", "batchtrace", conninfo, NULL};
    store->conn = PQconnectdbParams(keywords, values, 1);
    free(conninfo);
    if (!store->conn) {
        fail(reason, "%s: cannot connect: out of memory", store->url);
        goto failed;
    }
    if (PQstatus(store->conn) != CONNECTION_OK) {
        char line[200];
        const char *message = PQerrorMessage(store->conn);
        message_line(store, message, line, sizeof line);
        fail(reason, "%s: %s (%s)", store->url, connect_advice(message), line);
        goto failed;
    }
    if (set_session(store, reason) != 0) goto failed;
    return store;
failed:
    pg_close(&store->base);
    return NULL;
}

/* ---- the schema ------------------------------------------------------------------------ */

/* What the named schema holds. */
typedef enum schema_state {
    SCHEMA_ABSENT,     /* no such schema, or an empty one: nothing stored yet */
    SCHEMA_OURS,       /* batchtrace's: *version is its version */
    SCHEMA_FOREIGN,    /* tables, but not batchtrace's (reason says which) */
} schema_state;

/* Read what the store's schema holds and its version. The state, or -1 with reason. */
static int read_schema(pg_store *store, int64_t *version, char *reason) {
    pg_params params = {.count = 0};
    param_text(&params, store->schema);
    int rc = -1;
    PGresult *tables = run_sql(store, "SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = $1),"
                                      " (SELECT count(*) FROM pg_tables WHERE schemaname = $1"
                                      "  AND tablename = 'schema_version')",
                               &params, "cannot read the schema", &rc, reason);
    if (!tables) return -1;
    int64_t table_count = get_int(tables, 0, 0), marked = get_int(tables, 0, 1);
    PQclear(tables);
    *version = 0;
    if (table_count == 0) return SCHEMA_ABSENT;
    if (!marked) {
        fail(reason, "%s: schema %s is not a batchtrace store (it holds tables batchtrace did "
                     "not make); batchtrace leaves it untouched (name another: ?schema=NAME)",
             store->url, store->schema);
        return SCHEMA_FOREIGN;
    }
    PGresult *row = run_sql(store, "SELECT max(version) FROM schema_version", NULL,
                            "cannot read the schema version", &rc, reason);
    if (!row) return -1;
    *version = get_int(row, 0, 0);
    PQclear(row);
    return SCHEMA_OURS;
}

/* The refusal of a schema a newer batchtrace made. */
static int refuse_newer(const pg_store *store, int64_t version, char *reason) {
    return fail(reason, "%s: schema version %lld is newer than this batchtrace knows (%lld): "
                        "upgrade batchtrace", store->url, (long long)version,
                (long long)MIGRATION_COUNT);
}

/* Create the schema when create is set and it is absent, and bring it to MIGRATION_COUNT,
 * in one transaction under an advisory lock on the schema's name (two processes opening a
 * fresh store migrate it once). A store already up to date takes no lock. 1 when the
 * store is there and current, 0 when absent and create is false, -1 with reason. */
static int migrate(pg_store *store, bool create, char *reason) {
    int64_t version = 0;
    int state = read_schema(store, &version, reason);
    if (state < 0 || state == SCHEMA_FOREIGN) return -1;
    store->base.opened_version = version;
    if (state == SCHEMA_OURS && version == MIGRATION_COUNT) return 1;
    if (state == SCHEMA_OURS && version > MIGRATION_COUNT) return refuse_newer(store, version, reason);
    if (state == SCHEMA_ABSENT && !create) return 0;
    if (exec_sql(store, "BEGIN", NULL, "cannot begin the migration", reason) != 0) return -1;
    pg_params params = {.count = 0};
    param_text(&params, store->schema);
    buf_t sql = BUF_INIT;
    int rc = -1;
    if (exec_sql(store, "SELECT pg_advisory_xact_lock(hashtext('batchtrace schema ' || $1))",
                 &params, "cannot lock the schema", reason) != 0)
        goto done;
    state = read_schema(store, &version, reason); /* again, under the lock */
    if (state < 0 || state == SCHEMA_FOREIGN) goto done;
    if (version > MIGRATION_COUNT) {
        refuse_newer(store, version, reason);
        goto done;
    }
    if (state == SCHEMA_ABSENT) {
        buf_printf(&sql, "CREATE SCHEMA IF NOT EXISTS %s;"
                         " CREATE TABLE schema_version (version BIGINT NOT NULL,"
                         " migrated_ns BIGINT NOT NULL)", store->schema);
        if (exec_script(store, buf_cstr(&sql), "cannot create the schema", reason) != 0)
            goto done;
    }
    for (int64_t step = version; step < MIGRATION_COUNT; step++) {
        char what[64];
        snprintf(what, sizeof what, "schema migration %lld", (long long)step + 1);
        if (exec_script(store, migrations[step], what, reason) != 0) goto done;
        pg_params mark = {.count = 0};
        param_int(&mark, step + 1);
        param_int(&mark, time_now_ns());
        if (exec_sql(store, "INSERT INTO schema_version (version, migrated_ns) VALUES ($1, $2)",
                     &mark, "cannot mark the schema version", reason) != 0)
            goto done;
    }
    rc = 1;
done:
    buf_free(&sql);
    if (finish_transaction(store, rc == 1, reason) != 0) return -1;
    return rc;
}

/* See store.h (store_open for postgres URLs). */
store_t *pg_store_open(const char *url, bool create, char *reason) {
    pg_store *store = pg_connect(url, reason);
    if (!store) return NULL;
    int found = migrate(store, create, reason);
    if (found == 1) return &store->base;
    if (found == 0) fail(reason, "%s", "");
    pg_close(&store->base);
    return NULL;
}

/* See store.h (store_open_readonly): every transaction of the session read-only. */
store_t *pg_store_open_readonly(const char *url, bool *older, char *reason) {
    *older = false;
    pg_store *store = pg_connect(url, reason);
    if (!store) return NULL;
    int64_t version = 0;
    int state = exec_sql(store, "SET default_transaction_read_only = on", NULL,
                         "cannot set the session", reason) == 0 ? read_schema(store, &version, reason)
                                                                : -1;
    if (state == SCHEMA_OURS && version == MIGRATION_COUNT) return &store->base;
    if (state == SCHEMA_ABSENT) {
        fail(reason, "%s", "");
    } else if (state == SCHEMA_OURS && version > MIGRATION_COUNT) {
        refuse_newer(store, version, reason);
    } else if (state == SCHEMA_OURS) {
        *older = true;
        fail(reason, "%s: schema version %lld is older than this batchtrace's (%lld), and "
                     "reading does not upgrade it: the next start, bind, collect or flush does",
             store->url, (long long)version, (long long)MIGRATION_COUNT);
    }
    pg_close(&store->base);
    return NULL;
}

/* See store.h. */
static int pg_schema_version(store_t *handle, int64_t *version, char *reason) {
    return read_schema((pg_store *)handle, version, reason) == SCHEMA_OURS ? 0 : -1;
}

static int pg_run_release(store_t *handle, char *reason);

/* See store.h: what the run still holds is given back first. */
static void pg_close(store_t *handle) {
    pg_store *store = (pg_store *)handle;
    if (!store) return;
    char reason[REASON_MAX];
    if (store->conn && store->run_id && PQstatus(store->conn) == CONNECTION_OK)
        pg_run_release(handle, reason);
    PQfinish(store->conn);
    free(store->claimed.nonces);
    mark_views_free(&store->marks);
    free(store->url);
    free(store);
}

/* See store.h. */
static const char *pg_url(const store_t *handle) { return ((const pg_store *)handle)->url; }

/* See store.h: a server's snapshot is always consistent. */
static bool pg_read_stable(const store_t *handle) { return true; }

/* See store.h: kept, but a lock wait ends at PG_LOCK_TIMEOUT (libpq waits in the server). */
static void pg_set_cancel(store_t *handle, int (*cancelled)(void)) {
    ((pg_store *)handle)->cancelled = cancelled;
}

/* ---- runs: who holds a claim, and whether it is alive --------------------------------- */

/* Inside a transaction: make sure this handle is a run of the store (its row made at the
 * first need, lease renewed when due). 0, or -1 with reason. */
static int hold_run(pg_store *store, char *reason) {
    int64_t now = time_now_ns();
    if (store->run_id && now - store->run_renewed_ns < (int64_t)STORE_RUN_RENEW_MS * 1000000)
        return 0;
    pg_params params = {.count = 0};
    int rc = -1;
    if (store->run_id) {
        param_int(&params, now + (int64_t)STORE_RUN_LEASE_MS * 1000000);
        param_int(&params, store->run_id);
        if (exec_sql(store, "UPDATE runs SET lease_until_ns = $1 WHERE id = $2", &params,
                     "cannot renew the run's lease", reason) != 0)
            return -1;
    } else {
        if (!store->me.pid) run_identity_of_self(&store->me);
        const run_identity *me = &store->me;
        param_text(&params, me->host);
        param_text(&params, me->boot_id);
        param_int(&params, me->pid);
        param_int(&params, me->start_ticks);
        param_int(&params, now + (int64_t)STORE_RUN_LEASE_MS * 1000000);
        param_int(&params, now);
        PGresult *row = run_sql(store, "INSERT INTO runs (host, boot_id, pid, start_ticks,"
                                       " lease_until_ns, created_ns) VALUES ($1, $2, $3, $4,"
                                       " $5, $6) RETURNING id",
                                &params, "cannot record the run", &rc, reason);
        if (!row) return rc;
        store->run_id = get_int(row, 0, 0);
        store->run_uncommitted = PQtransactionStatus(store->conn) != PQTRANS_IDLE;
        PQclear(row);
    }
    store->run_renewed_ns = now;
    return 0;
}

/* Whether the run of run_id is dead (see run_row_dead), read in the caller's transaction;
 * no row means it ended. This handle's own run is alive. 0 with *dead, or -1 with reason. */
static int run_is_dead(pg_store *store, int64_t run_id, bool *dead, char *reason) {
    *dead = false;
    if (run_id == store->run_id) return 0;
    int64_t now = time_now_ns();
    if (run_cache_lookup(&store->runs, run_id, now, dead)) return 0;
    pg_params params = {.count = 0};
    param_int(&params, run_id);
    int rc = -1;
    PGresult *result = run_sql(store, "SELECT host, boot_id, pid, start_ticks, lease_until_ns"
                                      " FROM runs WHERE id = $1",
                               &params, "cannot read the runs", &rc, reason);
    if (!result) return rc;
    if (PQntuples(result) == 0) {
        *dead = true;
    } else {
        if (!store->me.pid) run_identity_of_self(&store->me);
        run_row row = {get_text(result, 0, 0), get_text(result, 0, 1), get_int(result, 0, 2),
                       get_int(result, 0, 3), get_int(result, 0, 4)};
        *dead = run_row_dead(&store->me, &row, now);
    }
    PQclear(result);
    run_cache_note(&store->runs, run_id, *dead, now);
    return 0;
}

/* Start a transaction of claims or marks (synchronous_commit off, the session's default:
 * see set_session) with this handle's run held. 0, or -1 with reason (nothing begun). */
static int begin_claims(pg_store *store, char *reason) {
    if (exec_sql(store, "BEGIN", NULL, "cannot begin", reason) != 0) {
        rollback(store);
        return -1;
    }
    if (hold_run(store, reason) != 0) {
        rollback(store);
        return -1;
    }
    return 0;
}

/* Start a transaction that keeps data: committed only once on the server's disk. 0, or -1
 * with reason. */
static int begin_durable(pg_store *store, char *reason) {
    if (exec_script(store, "BEGIN; SET LOCAL synchronous_commit = on", "cannot begin",
                    reason) == 0)
        return 0;
    rollback(store);
    return -1;
}


/* Order two nonces (qsort). */
static int compare_nonces(const void *left, const void *right) {
    return strcmp((const char *)left, (const char *)right);
}

/* See store.h: one transaction, as the SQLite store's (runs whose lease ran out a day ago
 * go with this run's row). */
static int pg_run_release(store_t *handle, char *reason) {
    pg_store *store = (pg_store *)handle;
    if (!store->run_id) return 0;
    if (begin_claims(store, reason) != 0) return -1;
    int rc = 0;
    /* Per batch, under its row lock (in nonce order: two runs never wait on each other in a
     * cycle): the run's claim rows go, and a row without ids tells handles that read them
     * (marks.h). */
    if (store->claimed.count > 1)
        qsort(store->claimed.nonces, store->claimed.count, sizeof *store->claimed.nonces,
              compare_nonces);
    for (size_t i = 0; i < store->claimed.count && rc == 0; i++) {
        pg_params lock = {.count = 0}, params = {.count = 0};
        param_text(&lock, store->claimed.nonces[i]);
        param_int(&params, store->run_id);
        param_text(&params, store->claimed.nonces[i]);
        rc = exec_sql(store, "SELECT nonce FROM batches WHERE nonce = $1 FOR UPDATE", &lock,
                      "cannot give back the run's claims", reason);
        if (rc == 0)
            rc = exec_sql(store, "DELETE FROM item_marks WHERE nonce = $2 AND owner = $1",
                          &params, "cannot give back the run's claims", reason);
        if (rc == 0)
            rc = exec_sql(store, "INSERT INTO item_marks (nonce, owner, ids)"
                                 " VALUES ($2, $1, ''::bytea)",
                          &params, "cannot give back the run's claims", reason);
    }
    pg_params params = {.count = 0};
    param_int(&params, store->run_id);
    if (rc == 0)
        rc = exec_sql(store, "UPDATE batches SET task_owner = NULL WHERE task_owner = $1",
                      &params, "cannot give back the run's claims", reason);
    if (rc == 0)
        rc = exec_sql(store, "UPDATE spool SET owner = NULL WHERE owner = $1", &params,
                      "cannot give back the run's claims", reason);
    param_int(&params, time_now_ns() - INT64_C(86400) * 1000000000);
    if (rc == 0)
        rc = exec_sql(store, "DELETE FROM runs WHERE id = $1 OR lease_until_ns < $2", &params,
                      "cannot give back the run's claims", reason);
    mark_views_free(&store->marks); /* they name this run, which ends here */
    if (finish_transaction(store, rc == 0, reason) != 0) return -1;
    store->run_id = 0;
    store->claimed.count = 0;
    return 0;
}

/* ---- transactions the caller groups ----------------------------------------------------- */

/* See store.h. */
static int pg_begin(store_t *handle, char *reason) {
    return begin_durable((pg_store *)handle, reason);
}

/* See store.h. */
static int pg_commit(store_t *handle, char *reason) { return commit((pg_store *)handle, reason); }

/* See store.h. */
static void pg_rollback(store_t *handle) { rollback((pg_store *)handle); }

/* Whether a transaction is open on the connection (store_begin's, or a claim's). */
static bool in_transaction(const pg_store *store) {
    PGTransactionStatusType status = PQtransactionStatus(store->conn);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

/* ---- the spool -------------------------------------------------------------------------- */

/* Insert chunk into the spool, held by run owner (0: by none); chunk->id gets its key. 0,
 * or -1 with reason. */
static int insert_spool(pg_store *store, spool_chunk *chunk, int64_t owner, char *reason) {
    pg_params params = {.count = 0};
    param_int(&params, time_now_ns());
    param_text(&params, chunk->protocol);
    param_int(&params, (int64_t)chunk->span_count);
    param_bytes(&params, chunk->body, chunk->body_len);
    param_text(&params, chunk->destination ? chunk->destination : "");
    param_text(&params, chunk->braintrust_parent);
    param_text(&params, chunk->reason ? chunk->reason : "");
    if (owner) param_int(&params, owner);
    else param_text(&params, NULL);
    int rc = -1;
    PGresult *row = run_sql(store, "INSERT INTO spool (created_ns, protocol, span_count, body,"
                                   " destination, braintrust_parent, reason, owner)"
                                   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                            &params, "cannot spool", &rc, reason);
    if (!row) return rc;
    chunk->id = get_int(row, 0, 0);
    PQclear(row);
    return 0;
}

/* See store.h: one durable transaction (or the caller's). */
static int pg_spool_put(store_t *handle, spool_chunk *chunk, char *reason) {
    pg_store *store = (pg_store *)handle;
    fault_point("store.spool");
    if (in_transaction(store)) return insert_spool(store, chunk, 0, reason);
    if (begin_durable(store, reason) != 0) return -1;
    int rc = insert_spool(store, chunk, 0, reason);
    return rc == 0 ? commit(store, reason) : (rollback(store), rc);
}

/* See store.h. */
static int pg_spool_count(store_t *handle, uint64_t *chunks, uint64_t *spans, char *reason) {
    pg_store *store = (pg_store *)handle;
    int rc = -1;
    PGresult *row = run_sql(store, "SELECT count(*), coalesce(sum(span_count), 0)::bigint FROM spool",
                            NULL, "cannot count the spool", &rc, reason);
    if (!row) return rc;
    *chunks = (uint64_t)get_int(row, 0, 0);
    *spans = (uint64_t)get_int(row, 0, 1);
    PQclear(row);
    return 0;
}

/* See store.h: one statement reads one snapshot. A row is held while its lease runs or its
 * owner is another run that is alive. */
static int pg_spool_tally(store_t *handle, uint64_t *waiting_spans, uint64_t *held_spans,
                          char *reason) {
    pg_store *store = (pg_store *)handle;
    *waiting_spans = *held_spans = 0;
    pg_params params = {.count = 0};
    param_int(&params, time_now_ns());
    int rc = -1;
    PGresult *rows = run_sql(store, "SELECT owner, span_count, lease_until_ns > $1 FROM spool",
                             &params, "cannot count the spool", &rc, reason);
    if (!rows) return rc;
    rc = 0;
    for (int i = 0; i < PQntuples(rows) && rc == 0; i++) {
        bool held = get_int(rows, i, 2) != 0;
        if (!held && !PQgetisnull(rows, i, 0) && get_int(rows, i, 0) != store->run_id) {
            bool dead = false;
            rc = run_is_dead(store, get_int(rows, i, 0), &dead, reason);
            held = !dead;
        }
        *(held ? held_spans : waiting_spans) += (uint64_t)get_int(rows, i, 1);
    }
    PQclear(rows);
    return rc;
}

/* Point claim at a copy of the claimed row's columns (id, protocol, span_count, body,
 * braintrust_parent). */
static void fill_claim(const PGresult *row, spool_claim *claim) {
    spool_claim_fill(claim, get_int(row, 0, 0), get_text(row, 0, 1),
                     (uint64_t)get_int(row, 0, 2), PQgetvalue(row, 0, 3),
                     (size_t)PQgetlength(row, 0, 3), get_text(row, 0, 4));
}

/* See store.h: candidates locked FOR UPDATE SKIP LOCKED (a row another flush is claiming
 * right now is passed over, never waited for), the first free one held, in one
 * transaction. */
static int pg_spool_claim(store_t *handle, int64_t after_id, spool_claim *claim, char *reason) {
    pg_store *store = (pg_store *)handle;
    if (begin_claims(store, reason) != 0) return -1;
    int rc = -1;
    int64_t chosen = 0, from = after_id;
    PGresult *rows = NULL, *row = NULL;
    for (;;) {
        pg_params params = {.count = 0};
        param_int(&params, from);
        param_int(&params, time_now_ns());
        param_int(&params, store->run_id);
        rows = run_sql(store, "SELECT id, owner FROM spool WHERE id > $1 AND lease_until_ns <= $2"
                              " AND (owner IS NULL OR owner <> $3) ORDER BY id LIMIT 32"
                              " FOR UPDATE SKIP LOCKED",
                       &params, "cannot read the spool", &rc, reason);
        if (!rows) goto done;
        int count = PQntuples(rows);
        for (int i = 0; i < count && !chosen; i++) {
            bool free_row = PQgetisnull(rows, i, 1);
            if (!free_row && run_is_dead(store, get_int(rows, i, 1), &free_row, reason) != 0)
                goto done;
            if (free_row) chosen = get_int(rows, i, 0);
        }
        if (chosen || count < 32) break;
        from = get_int(rows, count - 1, 0);
        PQclear(rows);
        rows = NULL;
    }
    if (!chosen) {
        rc = 0;
        goto done;
    }
    pg_params params = {.count = 0};
    param_int(&params, chosen);
    param_int(&params, store->run_id);
    row = run_sql(store, "UPDATE spool SET owner = $2 WHERE id = $1"
                         " RETURNING id, protocol, span_count, body, braintrust_parent",
                  &params, "cannot hold a spooled request", &rc, reason);
    if (!row) goto done;
    fill_claim(row, claim);
    rc = 1;
    fault_point("store.spool_claim");
done:
    PQclear(rows);
    PQclear(row);
    if (finish_transaction(store, rc >= 0, reason) != 0) return -1;
    return rc;
}

/* See store.h. */
static int pg_spool_delete(store_t *handle, int64_t id, char *reason) {
    fault_point("store.spool_delete");
    pg_params params = {.count = 0};
    param_int(&params, id);
    return exec_sql((pg_store *)handle, "DELETE FROM spool WHERE id = $1", &params,
                    "cannot delete a delivered request", reason);
}

/* See store.h: the new rows and the deletion in one transaction. */
static int pg_spool_replace(store_t *handle, int64_t id, spool_chunk *chunks, size_t count,
                            char *reason) {
    pg_store *store = (pg_store *)handle;
    if (begin_durable(store, reason) != 0) return -1;
    bool ok = true;
    for (size_t i = 0; i < count && ok; i++) ok = pg_spool_put(handle, &chunks[i], reason) == 0;
    if (ok) ok = pg_spool_delete(handle, id, reason) == 0;
    return finish_transaction(store, ok, reason);
}

/* See store.h. */
static int pg_spool_release(store_t *handle, int64_t id, const char *why, char *reason) {
    pg_params params = {.count = 0};
    param_text(&params, why ? why : "");
    param_int(&params, id);
    return exec_sql((pg_store *)handle,
                    "UPDATE spool SET owner = NULL, lease_until_ns = 0, attempts = attempts + 1,"
                    " reason = $1 WHERE id = $2",
                    &params, "cannot release a spooled request", reason);
}

/* ---- the lifecycle ---------------------------------------------------------------------- */

/* See store.h: ON CONFLICT DO NOTHING makes the first process's key the only one. */
static int pg_signing_key(store_t *handle, uint8_t key[STORE_KEY_LEN], char *reason) {
    pg_store *store = (pg_store *)handle;
    uint8_t fresh[STORE_KEY_LEN];
    if (RAND_bytes(fresh, sizeof fresh) != 1)
        return fail(reason, "cannot generate a signing key: no randomness from libcrypto");
    pg_params params = {.count = 0};
    param_bytes(&params, fresh, sizeof fresh);
    param_int(&params, time_now_ns());
    bool own = !in_transaction(store);
    int rc = own ? begin_durable(store, reason) : 0;
    if (rc == 0)
        rc = exec_sql(store, "INSERT INTO keys (name, key, created_ns) VALUES ('context', $1, $2)"
                             " ON CONFLICT (name) DO NOTHING",
                      &params, "cannot keep the signing key", reason);
    if (own && rc == 0) rc = commit(store, reason);
    else if (own) rollback(store);
    memset(fresh, 0, sizeof fresh);
    if (rc != 0) return -1;
    PGresult *row = run_sql(store, "SELECT key FROM keys WHERE name = 'context'", NULL,
                            "cannot read the signing key", &rc, reason);
    if (!row) return -1;
    rc = 0;
    if (PQntuples(row) != 1 || PQgetlength(row, 0, 0) != STORE_KEY_LEN)
        rc = fail(reason, "%s: cannot read the signing key: it is not %d bytes", store->url,
                  STORE_KEY_LEN);
    else
        memcpy(key, PQgetvalue(row, 0, 0), STORE_KEY_LEN);
    PQclear(row);
    return rc;
}

/* Insert the batch's row: 1, 0 when its nonce is there already, STORE_CONFLICT or -1 with
 * reason (see store_batch_put). Inside a transaction, under a savepoint, so a refused
 * batch leaves the caller's transaction usable (as SQLite's does). */
static int insert_batch(pg_store *store, const store_batch *batch, char *reason) {
    bool nested = in_transaction(store);
    if (nested && exec_sql(store, "SAVEPOINT batch_put", NULL, "cannot record the batch",
                           reason) != 0)
        return -1;
    pg_params params = {.count = 0};
    param_text(&params, batch->nonce);
    param_text(&params, batch->provider);
    param_text(&params, batch->trace_id);
    param_text(&params, batch->parent_span_id[0] ? batch->parent_span_id : NULL);
    param_int(&params, batch->trace_flags);
    param_int(&params, batch->start_ns);
    param_int(&params, (int64_t)batch->request_count);
    param_text(&params, batch->input_digest);
    param_text(&params, batch->context ? batch->context : "");
    param_text(&params, batch->batch_id);
    param_text(&params, batch->endpoint);
    param_text(&params, batch->models);
    param_text(&params, batch->inputs_kept ? "true" : "false");
    param_int(&params, batch->created_ns ? batch->created_ns : time_now_ns());
    int rc = -1;
    PGresult *result = run_sql(
        store,
        "INSERT INTO batches (nonce, provider, trace_id, parent_span_id, trace_flags, start_ns,"
        " request_count, input_digest, context, batch_id, endpoint, models, inputs_kept,"
        " created_ns) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        " ON CONFLICT (nonce) DO NOTHING",
        &params, "cannot record the batch", &rc, reason);
    if (result) {
        rc = strcmp(PQcmdTuples(result), "1") == 0 ? 1 : 0;
        PQclear(result);
    } else if (strcmp(store->sqlstate, SQLSTATE_UNIQUE) == 0) {
        rc = STORE_CONFLICT;
        fail(reason, "batch id \"%.100s\" is already bound to another batch", batch->batch_id);
    }
    if (nested)
        PQclear(PQexec(store->conn, rc >= 0 ? "RELEASE SAVEPOINT batch_put"
                                            : "ROLLBACK TO SAVEPOINT batch_put"));
    return rc;
}

/* See store.h. */
static int pg_batch_put(store_t *handle, const store_batch *batch, char *reason) {
    pg_store *store = (pg_store *)handle;
    if (in_transaction(store)) return insert_batch(store, batch, reason);
    if (begin_durable(store, reason) != 0) return -1;
    int rc = insert_batch(store, batch, reason);
    if (rc >= 0) return commit(store, reason) == 0 ? rc : -1;
    rollback(store);
    return rc;
}

/* See store.h: the batch, the run and the spool row in one transaction. */
static int pg_batch_put_ahead(store_t *handle, const store_batch *batch, spool_chunk *chunk,
                              char *reason) {
    pg_store *store = (pg_store *)handle;
    bool own = !in_transaction(store); /* else inside store_begin's */
    if (own && begin_durable(store, reason) != 0) return -1;
    int rc = hold_run(store, reason);
    if (rc == 0) rc = insert_batch(store, batch, reason);
    if (rc == 1 && insert_spool(store, chunk, store->run_id, reason) != 0) rc = -1;
    if (!own) return rc; /* the caller commits or rolls back */
    if (rc == 1) return commit(store, reason) == 0 ? 1 : -1;
    rollback(store);
    return rc;
}


/* A malloc'd copy of a text column, or NULL when it is NULL. */
static char *column_strdup(const PGresult *result, int row, int column) {
    const char *text = get_text(result, row, column);
    return text ? xstrdup(text) : NULL;
}

/* Copy a text column into a fixed array of size bytes ("" when NULL). */
static void column_copy(const PGresult *result, int row, int column, char *out, size_t size) {
    const char *text = get_text(result, row, column);
    snprintf(out, size, "%s", text ? text : "");
}

/* Fill out from row of a result of STORE_BATCH_COLUMNS. */
static void read_batch_row(const PGresult *result, int row, store_batch *out) {
    memset(out, 0, sizeof *out);
    column_copy(result, row, 0, out->nonce, sizeof out->nonce);
    column_copy(result, row, 1, out->provider, sizeof out->provider);
    column_copy(result, row, 2, out->trace_id, sizeof out->trace_id);
    column_copy(result, row, 3, out->parent_span_id, sizeof out->parent_span_id);
    out->trace_flags = (unsigned)get_int(result, row, 4);
    out->start_ns = get_int(result, row, 5);
    out->request_count = (uint64_t)get_int(result, row, 6);
    column_copy(result, row, 7, out->input_digest, sizeof out->input_digest);
    out->context = column_strdup(result, row, 8);
    out->batch_id = column_strdup(result, row, 9);
    out->endpoint = column_strdup(result, row, 10);
    out->models = column_strdup(result, row, 11);
    out->inputs_kept = get_int(result, row, 12) != 0;
    out->created_ns = get_int(result, row, 13);
    out->batch_status = column_strdup(result, row, 14);
    out->task_exported = get_int(result, row, 15) != 0;
    out->items_exported = (uint64_t)get_int(result, row, 16);
    out->task_provisional = get_int(result, row, 17) != 0;
}

/* See store.h. */
static int pg_batch_find(store_t *handle, const char *nonce, const char *batch_id,
                         store_batch *out, char *reason) {
    pg_params params = {.count = 0};
    param_text(&params, nonce ? nonce : batch_id);
    int rc = -1;
    PGresult *rows = run_sql((pg_store *)handle,
                             nonce ? "SELECT " STORE_BATCH_COLUMNS " FROM batches b WHERE b.nonce = $1"
                                   : "SELECT " STORE_BATCH_COLUMNS " FROM batches b WHERE b.batch_id = $1",
                             &params, "cannot read the batches", &rc, reason);
    if (!rows) return rc;
    rc = PQntuples(rows) > 0 ? 1 : 0;
    if (rc == 1) read_batch_row(rows, 0, out);
    PQclear(rows);
    return rc;
}

/* See store.h: the batch's row locked, then checked and bound in one transaction; a batch
 * id another row took meanwhile is the UNIQUE violation. */
static int pg_batch_bind(store_t *handle, const char *nonce, const char *batch_id,
                         char *reason) {
    pg_store *store = (pg_store *)handle;
    if (begin_durable(store, reason) != 0) return -1;
    pg_params by_id = {.count = 0}, by_nonce = {.count = 0}, update = {.count = 0};
    param_text(&by_id, batch_id);
    param_text(&by_nonce, nonce);
    param_text(&update, batch_id);
    param_text(&update, nonce);
    int rc = -1;
    PGresult *owner = NULL, *current = NULL;
    current = run_sql(store, "SELECT batch_id FROM batches WHERE nonce = $1 FOR UPDATE",
                      &by_nonce, "cannot read the batches", &rc, reason);
    if (!current) goto done;
    rc = -1;
    if (PQntuples(current) == 0) {
        fail(reason, "no batch with nonce %s in the store", nonce);
        goto done;
    }
    owner = run_sql(store, "SELECT nonce FROM batches WHERE batch_id = $1", &by_id,
                    "cannot read the batches", &rc, reason);
    if (!owner) goto done;
    rc = -1;
    if (PQntuples(owner) > 0 && strcmp(get_text(owner, 0, 0), nonce) != 0) {
        rc = STORE_CONFLICT;
        fail(reason, "batch id \"%.100s\" is already bound to another context; refusing to "
                     "rebind it", batch_id);
        goto done;
    }
    const char *bound = get_text(current, 0, 0);
    if (bound && strcmp(bound, batch_id) != 0) {
        rc = STORE_CONFLICT;
        fail(reason, "this context is already bound to batch \"%.100s\"; refusing to bind it "
                     "to \"%.100s\" too", bound, batch_id);
        goto done;
    }
    rc = exec_sql(store, "UPDATE batches SET batch_id = $1 WHERE nonce = $2", &update,
                  "cannot bind the batch id", reason);
    if (rc != 0 && strcmp(store->sqlstate, SQLSTATE_UNIQUE) == 0) {
        rc = STORE_CONFLICT;
        fail(reason, "batch id \"%.100s\" is already bound to another context; refusing to "
                     "rebind it", batch_id);
    }
done:
    PQclear(owner);
    PQclear(current);
    if (rc == 0) return commit(store, reason);
    rollback(store);
    return rc;
}

/* See store.h. */
static int pg_batch_set_status(store_t *handle, const char *nonce, const char *status,
                               char *reason) {
    pg_params params = {.count = 0};
    param_text(&params, status);
    param_text(&params, nonce);
    return exec_sql((pg_store *)handle, "UPDATE batches SET batch_status = $1 WHERE nonce = $2",
                    &params, "cannot note the batch status", reason);
}

/* See store.h. */
static int pg_batch_list(store_t *handle, const char *batch_id, store_batch **out,
                         size_t *count, char *reason) {
    *out = NULL;
    *count = 0;
    pg_params params = {.count = 0};
    if (batch_id) param_text(&params, batch_id);
    int rc = -1;
    PGresult *rows = run_sql((pg_store *)handle,
                             batch_id ? "SELECT " STORE_BATCH_COLUMNS " FROM batches b WHERE b.batch_id = $1"
                                      : "SELECT " STORE_BATCH_COLUMNS " FROM batches b"
                                        " ORDER BY b.created_ns, b.nonce",
                             &params, "cannot read the batches", &rc, reason);
    if (!rows) return rc;
    int found = PQntuples(rows);
    if (found > 0) *out = xcalloc((size_t)found, sizeof **out);
    for (int i = 0; i < found; i++) read_batch_row(rows, i, &(*out)[i]);
    *count = (size_t)found;
    PQclear(rows);
    return 0;
}

/* See store.h: the batch's last report replaces the one before. */
static int pg_report_put(store_t *handle, const char *nonce, const char *report, char *reason) {
    pg_params params = {.count = 0};
    param_text(&params, nonce);
    param_text(&params, report);
    return exec_sql((pg_store *)handle,
                    "INSERT INTO batch_reports (nonce, report) VALUES ($1, $2)"
                    " ON CONFLICT (nonce) DO UPDATE SET report = EXCLUDED.report",
                    &params, "cannot keep the batch's report", reason) == 0 ? 0 : -1;
}

/* See store.h. */
static int pg_report_get(store_t *handle, const char *batch_id, char **report, char *reason) {
    *report = NULL;
    pg_params params = {.count = 0};
    param_text(&params, batch_id);
    int rc = -1;
    PGresult *row = run_sql((pg_store *)handle,
                            "SELECT r.report FROM batch_reports r JOIN batches b"
                            " ON b.nonce = r.nonce WHERE b.batch_id = $1",
                            &params, "cannot read the batch's report", &rc, reason);
    if (!row) return rc;
    rc = PQntuples(row) > 0 ? 1 : 0;
    if (rc == 1) *report = xstrdup(get_text(row, 0, 0));
    PQclear(row);
    return rc;
}

/* See store.h. */
static int pg_inputs_put(store_t *handle, const char *nonce, int64_t part, const void *data,
                         size_t len, char *reason) {
    pg_params params = {.count = 0};
    param_text(&params, nonce);
    param_int(&params, part);
    param_bytes(&params, data, len);
    pg_store *store = (pg_store *)handle;
    bool own = !in_transaction(store); /* else inside store_begin's (durable) */
    if (own && begin_durable(store, reason) != 0) return -1;
    int rc = exec_sql(store, "INSERT INTO batch_inputs (nonce, part, data) VALUES ($1, $2, $3)"
                             " ON CONFLICT (nonce, part) DO UPDATE SET data = EXCLUDED.data",
                      &params, "cannot keep the inputs", reason);
    if (own) return finish_transaction(store, rc == 0, reason);
    return rc == 0 ? 0 : -1;
}

/* See store.h: part by part, so a large batch's inputs never sit in memory whole. */
static int pg_inputs_read(store_t *handle, const char *nonce,
                          int (*each)(void *ctx, const void *data, size_t len, char *reason),
                          void *ctx, char *reason) {
    pg_store *store = (pg_store *)handle;
    pg_params params = {.count = 0};
    param_text(&params, nonce);
    int rc = -1;
    PGresult *parts = run_sql(store, "SELECT part FROM batch_inputs WHERE nonce = $1 ORDER BY part",
                              &params, "cannot read the inputs", &rc, reason);
    if (!parts) return -1;
    rc = 0;
    for (int i = 0; i < PQntuples(parts) && rc == 0; i++) {
        pg_params one = {.count = 0};
        param_text(&one, nonce);
        param_int(&one, get_int(parts, i, 0));
        PGresult *row = run_sql(store, "SELECT data FROM batch_inputs WHERE nonce = $1 AND part = $2",
                                &one, "cannot read the inputs", &rc, reason);
        if (!row) break;
        if (PQntuples(row) == 1)
            rc = each(ctx, PQgetvalue(row, 0, 0), (size_t)PQgetlength(row, 0, 0), reason);
        PQclear(row);
    }
    PQclear(parts);
    return rc == 0 ? 0 : -1;
}

/* ---- claims ---------------------------------------------------------------------------- */

/* mark_run_dead_fn over run_is_dead (ctx: the store). */
static int holder_dead(void *ctx, int64_t run_id, bool *dead, char *reason) {
    return run_is_dead(ctx, run_id, dead, reason);
}

/* nonce's marks as this handle knows them, brought up to date under the batch's row lock,
 * which the caller's transaction then holds (every item_marks row of a batch is written
 * under it, so no row below the cursor can still appear): the per-id rows of stores made
 * before item_marks once, then every item_marks row after the view's cursor. 0 with *out,
 * or -1 with reason. */
static int read_marks(pg_store *store, const char *nonce, mark_view **out, char *reason) {
    mark_view *view = mark_views_get(&store->marks, nonce);
    pg_params params = {.count = 0};
    param_text(&params, nonce);
    int rc = -1;
    PGresult *rows = run_sql(store, "SELECT 1 FROM batches WHERE nonce = $1 FOR UPDATE",
                             &params, "cannot lock the batch", &rc, reason);
    if (!rows) return rc;
    bool found = PQntuples(rows) == 1;
    PQclear(rows);
    if (!found) return fail(reason, "no batch with nonce %s in the store", nonce);
    if (!mark_view_legacy_read(view)) {
        rows = run_sql(store, "SELECT custom_id, owner FROM exported WHERE nonce = $1", &params,
                       "cannot read the item marks", &rc, reason);
        if (!rows) return rc;
        for (int i = 0; i < PQntuples(rows); i++)
            mark_view_set(view, (bt_str){PQgetvalue(rows, i, 0), (size_t)PQgetlength(rows, i, 0)},
                          PQgetisnull(rows, i, 1) ? MARK_DELIVERED : get_int(rows, i, 1));
        PQclear(rows);
        mark_view_set_legacy_read(view);
    }
    param_int(&params, mark_view_cursor(view));
    rows = run_sql(store, "SELECT seq, owner, ids FROM item_marks WHERE nonce = $1 AND seq > $2"
                          " ORDER BY seq",
                   &params, "cannot read the item marks", &rc, reason);
    if (!rows) return rc;
    for (int i = 0; i < PQntuples(rows); i++) {
        if (mark_view_apply(view, get_int(rows, i, 0),
                            PQgetisnull(rows, i, 1) ? MARK_DELIVERED : get_int(rows, i, 1),
                            PQgetvalue(rows, i, 2), (size_t)PQgetlength(rows, i, 2)) != 0) {
            fail(reason, "%s: item_marks row %lld of batch %s is damaged", store->url,
                 (long long)get_int(rows, i, 0), nonce);
            PQclear(rows);
            return -1;
        }
    }
    PQclear(rows);
    *out = view;
    return 0;
}

/* Append one item_marks row of nonce: ids (count of them) claimed by owner, or delivered
 * when owner is MARK_DELIVERED; view's cursor moves past it (this handle made it). 0, or -1
 * with reason. */
static int append_marks(pg_store *store, const char *nonce, int64_t owner, const bt_str *ids,
                        size_t count, mark_view *view, const char *what, char *reason) {
    buf_t packed = BUF_INIT;
    marks_pack(&packed, ids, count);
    pg_params params = {.count = 0};
    param_text(&params, nonce);
    if (owner == MARK_DELIVERED) param_text(&params, NULL);
    else param_int(&params, owner);
    param_bytes(&params, packed.data, packed.len);
    int rc = -1;
    PGresult *row = run_sql(store, "INSERT INTO item_marks (nonce, owner, ids) VALUES ($1, $2, $3)"
                                   " RETURNING seq",
                            &params, what, &rc, reason);
    buf_free(&packed);
    if (!row) return rc;
    mark_view_advance(view, get_int(row, 0, 0));
    PQclear(row);
    return 0;
}

/* Claim ids in one transaction (see pg_items_claim). 0, or -1 with reason; the SQLSTATE of
 * a failure is in store->sqlstate. */
static int claim_once(pg_store *store, const char *nonce, const bt_str *ids, size_t count,
                      claim_outcome *outcomes, char *reason) {
    if (begin_claims(store, reason) != 0) return -1;
    claimed_batches_note(&store->claimed, nonce);
    bt_str *take = xcalloc(count ? count : 1, sizeof *take);
    size_t take_count = 0;
    mark_view *view = NULL;
    bool ok = false;
    if (read_marks(store, nonce, &view, reason) != 0) goto done;
    if (marks_decide_claim(view, store->run_id, ids, count, holder_dead, store, outcomes, take,
                           &take_count, reason) != 0)
        goto done;
    if (take_count && append_marks(store, nonce, store->run_id, take, take_count, view,
                                   "cannot claim items", reason) != 0)
        goto done;
    ok = true;
    fault_point("store.claim");
done:
    free(take);
    if (finish_transaction(store, ok, reason) == 0) return 0;
    mark_views_forget(&store->marks, nonce); /* ahead of what the store kept */
    return -1;
}

/* See store.h: decided on the batch's marks (read_marks) under its row lock: an id is
 * delivered, ours, held by a run that is taken over when dead, or free; what this run takes
 * is one item_marks row. A lost connection or a serialization failure is tried again. */
static int pg_items_claim(store_t *handle, const char *nonce, const bt_str *ids, size_t count,
                          claim_outcome *outcomes, char *reason) {
    pg_store *store = (pg_store *)handle;
    for (int attempt = 0, lost = 0;; attempt++) {
        int rc = claim_once(store, nonce, ids, count, outcomes, reason);
        if (rc == 0 || attempt == 4) return rc;
        if (reconnected(store, lost)) {
            lost++;
            continue;
        }
        if (strcmp(store->sqlstate, SQLSTATE_DEADLOCK) != 0 &&
            strcmp(store->sqlstate, SQLSTATE_SERIALIZATION) != 0)
            return rc;
    }
}

/* Record ids delivered in one transaction (see pg_items_delivered): one item_marks row of
 * the ids not delivered before, and the batch's count. 0, or -1 with reason. */
static int deliver_once(pg_store *store, const char *nonce, const bt_str *ids, size_t count,
                        char *reason) {
    if (begin_claims(store, reason) != 0) return -1;
    bt_str *fresh = xcalloc(count ? count : 1, sizeof *fresh);
    size_t fresh_count = 0;
    mark_view *view = NULL;
    bool ok = false;
    if (read_marks(store, nonce, &view, reason) != 0) goto done;
    fresh_count = marks_decide_delivered(view, ids, count, fresh);
    if (fresh_count) {
        if (append_marks(store, nonce, MARK_DELIVERED, fresh, fresh_count, view,
                         "cannot record delivered items", reason) != 0)
            goto done;
        pg_params params = {.count = 0};
        param_int(&params, (int64_t)fresh_count);
        param_text(&params, nonce);
        if (exec_sql(store, "UPDATE batches SET items_delivered = items_delivered + $1"
                            " WHERE nonce = $2",
                     &params, "cannot record delivered items", reason) != 0)
            goto done;
    }
    ok = true;
    fault_point("store.mark"); /* killed here: nothing of the mark was committed */
done:
    free(fresh);
    if (finish_transaction(store, ok, reason) == 0) return 0;
    mark_views_forget(&store->marks, nonce);
    return -1;
}

/* See store.h: tried again once on a new connection when the server's was lost. */
static int pg_items_delivered(store_t *handle, const char *nonce, const bt_str *ids,
                              size_t count, char *reason) {
    pg_store *store = (pg_store *)handle;
    int rc = deliver_once(store, nonce, ids, count, reason);
    if (rc != 0 && reconnected(store, 0)) rc = deliver_once(store, nonce, ids, count, reason);
    return rc;
}

/* See store.h: the batch's row, locked, says delivered (task_exported) or who holds it. */
static int pg_task_claim(store_t *handle, const char *nonce, bool provisional,
                         claim_outcome *outcome, char *reason) {
    pg_store *store = (pg_store *)handle;
    if (begin_claims(store, reason) != 0) return -1;
    pg_params params = {.count = 0};
    param_text(&params, nonce);
    int rc = -1;
    bool ok = false;
    PGresult *row = run_sql(store, "SELECT task_exported, task_owner, task_provisional"
                                   " FROM batches WHERE nonce = $1 FOR UPDATE",
                            &params, "cannot claim the task", &rc, reason);
    if (!row) goto done;
    if (PQntuples(row) == 0) {
        fail(reason, "no batch with nonce %s in the store", nonce);
        goto done;
    }
    *outcome = CLAIM_WON;
    if (get_int(row, 0, 0) != 0 && (provisional || get_int(row, 0, 2) == 0)) {
        *outcome = CLAIM_DELIVERED;
    } else if (!PQgetisnull(row, 0, 1) && get_int(row, 0, 1) != store->run_id) {
        bool dead = false;
        if (run_is_dead(store, get_int(row, 0, 1), &dead, reason) != 0) goto done;
        if (!dead) *outcome = CLAIM_HELD;
    }
    if (*outcome == CLAIM_WON) {
        pg_params take = {.count = 0};
        param_int(&take, store->run_id);
        param_text(&take, nonce);
        if (exec_sql(store, "UPDATE batches SET task_owner = $1 WHERE nonce = $2", &take,
                     "cannot claim the task", reason) != 0)
            goto done;
    }
    ok = true;
done:
    PQclear(row);
    return finish_transaction(store, ok, reason);
}

/* See store.h. */
static int pg_task_delivered(store_t *handle, const char *nonce, bool provisional,
                             char *reason) {
    pg_store *store = (pg_store *)handle;
    if (begin_claims(store, reason) != 0) return -1;
    pg_params params = {.count = 0};
    param_text(&params, nonce);
    param_text(&params, provisional ? "true" : "false");
    bool ok = exec_sql(store, "UPDATE batches SET task_exported = true, task_owner = NULL,"
                              " task_provisional = $2 WHERE nonce = $1",
                       &params, "cannot record the delivered task", reason) == 0;
    return finish_transaction(store, ok, reason);
}

/* See store.h. */
static int pg_exported_count(store_t *handle, const char *nonce, uint64_t *count,
                             char *reason) {
    pg_params params = {.count = 0};
    param_text(&params, nonce);
    int rc = -1;
    PGresult *row = run_sql((pg_store *)handle,
                            "SELECT items_delivered FROM batches WHERE nonce = $1",
                            &params, "cannot count exported items", &rc, reason);
    if (!row) return rc;
    *count = PQntuples(row) == 1 ? (uint64_t)get_int(row, 0, 0) : 0;
    PQclear(row);
    return 0;
}

/* The PostgreSQL backend's table (backend.h). */
static const store_ops pg_ops = {
    .close = pg_close,
    .url = pg_url,
    .read_stable = pg_read_stable,
    .set_cancel = pg_set_cancel,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .spool_put = pg_spool_put,
    .spool_count = pg_spool_count,
    .spool_tally = pg_spool_tally,
    .spool_claim = pg_spool_claim,
    .spool_delete = pg_spool_delete,
    .spool_replace = pg_spool_replace,
    .spool_release = pg_spool_release,
    .signing_key = pg_signing_key,
    .batch_put = pg_batch_put,
    .batch_put_ahead = pg_batch_put_ahead,
    .batch_find = pg_batch_find,
    .batch_bind = pg_batch_bind,
    .batch_set_status = pg_batch_set_status,
    .batch_list = pg_batch_list,
    .report_put = pg_report_put,
    .report_get = pg_report_get,
    .inputs_put = pg_inputs_put,
    .inputs_read = pg_inputs_read,
    .items_claim = pg_items_claim,
    .items_delivered = pg_items_delivered,
    .task_claim = pg_task_claim,
    .task_delivered = pg_task_delivered,
    .run_release = pg_run_release,
    .exported_count = pg_exported_count,
    .schema_version = pg_schema_version,
};
