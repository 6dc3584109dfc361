/* The SQLite store (see store.h): one database file in WAL mode, so a flush can read while
 * a collect spools; a busy timeout, so two processes wait for each other instead of
 * failing; a schema versioned by PRAGMA user_version and brought up to date by the ordered
 * list of migrations below. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "store/backend.h"
#include "store/marks.h"
#include "util/alloc.h"
#include "util/fault.h"
#include "util/timeutil.h"

/* How long a statement waits for another process's lock before failing. */
enum { STORE_BUSY_TIMEOUT_MS = 10000 };
#define STORE_BUSY_TIMEOUT_TEXT "10 s" /* the same, for messages */

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
    /* 2: the lifecycle (docs/design.md, "Lifecycle"). keys holds the signing key of context
     * tokens; batches one row per started (or bound, or collected with a token) batch, its
     * identity as hex text; batch_inputs the zlib stream of its inputs, in parts; exported
     * the custom_ids whose item spans a collect delivered or spooled. */
    "CREATE TABLE keys ("
    "  name TEXT PRIMARY KEY,"
    "  key BLOB NOT NULL,"
    "  created_ns INTEGER NOT NULL"
    ");"
    "CREATE TABLE batches ("
    "  nonce TEXT PRIMARY KEY,"
    "  provider TEXT NOT NULL,"
    "  trace_id TEXT NOT NULL,"
    "  parent_span_id TEXT,"
    "  trace_flags INTEGER NOT NULL,"
    "  start_ns INTEGER NOT NULL,"
    "  request_count INTEGER NOT NULL,"
    "  input_digest TEXT NOT NULL,"
    "  context TEXT NOT NULL,"
    "  batch_id TEXT UNIQUE,"
    "  endpoint TEXT,"
    "  models TEXT,"
    "  inputs_kept INTEGER NOT NULL DEFAULT 0,"
    "  created_ns INTEGER NOT NULL,"
    "  batch_status TEXT,"
    "  task_exported INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE batch_inputs ("
    "  nonce TEXT NOT NULL,"
    "  part INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  PRIMARY KEY (nonce, part)"
    ");"
    "CREATE TABLE exported ("
    "  nonce TEXT NOT NULL,"
    "  custom_id BLOB NOT NULL,"
    "  PRIMARY KEY (nonce, custom_id)"
    ") WITHOUT ROWID;",
    /* 3: claims are leases (docs/design.md, "Crash safety"). runs names each process that
     * holds claims: host, boot id, pid and the process's start time (clock ticks since
     * boot, /proc/PID/stat field 22) tell on this machine whether it is alive; on another
     * machine lease_until_ns does. An exported row whose owner is NULL is delivered (rows
     * of older versions were "delivered or spooled": delivered), else claimed by that run;
     * so is the task (task_owner while task_exported is 0), and a spool row under flush. */
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  host TEXT NOT NULL,"
    "  boot_id TEXT NOT NULL,"
    "  pid INTEGER NOT NULL,"
    "  start_ticks INTEGER NOT NULL,"
    "  lease_until_ns INTEGER NOT NULL,"
    "  created_ns INTEGER NOT NULL"
    ");"
    "ALTER TABLE exported ADD COLUMN owner INTEGER;"
    "ALTER TABLE batches ADD COLUMN task_owner INTEGER;"
    "ALTER TABLE spool ADD COLUMN owner INTEGER;",
    /* 4: a task span exported without the batch object is provisional: a collect with the
     * batch object claims and sends it once more (docs/design.md "Outcomes"). */
    "ALTER TABLE batches ADD COLUMN task_provisional INTEGER NOT NULL DEFAULT 0;",
    /* 5: the report the last collect of a batch made (`batchtrace report --batch-id`): the
     * JSON object `batchtrace report --json` prints, a few kilobytes whatever the batch's
     * size. */
    "CREATE TABLE batch_reports ("
    "  nonce TEXT PRIMARY KEY,"
    "  report TEXT NOT NULL"
    ");",
    /* 6: item marks as rows of many ids (docs/design.md, "Item marks"; store/marks.h): one
     * row per claim transaction (owner: the run) and per delivered transaction (owner
     * NULL), ids packed by marks_pack, seq never reused (a reader's cursor). exported is
     * read, never written, for the marks of stores made before; batches counts its
     * delivered items. */
    "CREATE TABLE item_marks ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  nonce TEXT NOT NULL,"
    "  owner INTEGER,"
    "  ids BLOB NOT NULL"
    ");"
    "CREATE INDEX item_marks_by_batch ON item_marks (nonce, seq);"
    "ALTER TABLE batches ADD COLUMN items_delivered INTEGER NOT NULL DEFAULT 0;"
    "UPDATE batches SET items_delivered = (SELECT count(*) FROM exported e"
    "  WHERE e.nonce = batches.nonce AND e.owner IS NULL);",
};

#define MIGRATION_COUNT ((int)(sizeof migrations / sizeof migrations[0]))

/* A SQLite store's handle (store.c sees only its first member). */
typedef struct sqlite_store {
    store_t base;                     /* the backend's table: must come first */
    sqlite3 *db;                      /* the connection */
    char *url;                        /* "sqlite:PATH", for messages; owned */
    char *path;                       /* the database file; owned */
    bool immutable;                   /* read as immutable (no -wal existed): see
                                         store_read_stable */
    struct stat opened;               /* the file as an immutable reader opened it */
    int (*cancelled)(void);           /* store_set_cancel's check, or NULL */
    int64_t busy_since_ms;            /* when the current wait for a lock began */
    bool busy_cancelled;              /* the last wait was cut short by cancelled() */
    bool busy_timed_out;              /* the last wait lasted STORE_BUSY_TIMEOUT_MS */
    int64_t run_id; /* this handle's row in runs; 0 until its first claim */
    bool run_uncommitted;             /* run_id's row was made in the open transaction */
    run_identity me;                  /* this process (read with the first claim) */
    int64_t run_renewed_ns;           /* when its lease was last renewed */
    run_cache runs;                   /* other runs' liveness, as last checked */
    claimed_batches claimed;          /* the batches this run claimed items of */
    mark_views marks;                 /* the item marks of batches, as read (marks.h) */
    bool held;                        /* counted in open_files (file_dev, file_ino) */
    dev_t file_dev;
    ino_t file_ino;
} sqlite_store;

static const store_ops sqlite_ops;
static void sqlite_close(store_t *handle);
static void sqlite_rollback(store_t *handle);
static int sqlite_run_release(store_t *handle, char *reason);

/* The monotonic clock in milliseconds, for the busy handler. */
static int64_t monotonic_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* The pid holding a POSIX write lock over [start, start + len) of the file at path, as
 * /proc/locks lists it, or 0. The file is never opened: closing a descriptor of it would
 * drop every lock this process holds on it (see open_files). */
static pid_t write_lock_holder(const char *path, off_t start, off_t len) {
    struct stat st;
    if (stat(path, &st) != 0) return 0;
    FILE *locks = fopen("/proc/locks", "re");
    if (!locks) return 0;
    pid_t holder = 0;
    char line[256];
    while (!holder && fgets(line, sizeof line, locks)) {
        char kind[16], mode[16], access[16], end_text[32];
        long pid;
        unsigned major, minor;
        unsigned long long inode;
        long long first;
        /* "1: POSIX  ADVISORY  WRITE 1234 fd:01:5678 120 120" (an end of EOF: to the end) */
        const char *at = strchr(line, ':');
        if (!at || sscanf(at + 1, "%15s %15s %15s %ld %x:%x:%llu %lld %31s", kind, mode, access,
                          &pid, &major, &minor, &inode, &first, end_text) != 9)
            continue;
        if (strcmp(kind, "POSIX") != 0 || strcmp(access, "WRITE") != 0 || pid <= 0) continue;
        if (inode != (unsigned long long)st.st_ino || major != major(st.st_dev) ||
            minor != minor(st.st_dev))
            continue;
        long long last = strcmp(end_text, "EOF") == 0 ? -1 : atoll(end_text);
        if (first < (long long)(start + len) && (last < 0 || last >= (long long)start))
            holder = (pid_t)pid;
    }
    fclose(locks);
    return holder;
}

/* The process holding a write lock on the store (the -shm file's WAL write lock, else the
 * database file's lock bytes), or 0 when none can be seen. */
static pid_t lock_holder(const sqlite_store *store) {
    static const char *const suffixes[] = {"-shm", ""};
    static const off_t starts[] = {120, 0x40000000}; /* WAL_WRITE_LOCK; PENDING_BYTE */
    static const off_t lengths[] = {1, 512};
    pid_t pid = 0;
    for (int i = 0; i < 2 && !pid; i++) {
        buf_t name = BUF_INIT;
        buf_printf(&name, "%s%s", store->path, suffixes[i]);
        pid = write_lock_holder(buf_cstr(&name), starts[i], lengths[i]);
        buf_free(&name);
    }
    return pid == getpid() ? 0 : pid;
}

/* The page cache of the stores opened from now on (store_set_sqlite_cache_kib). */
static atomic_uint cache_kib = 32768;

/* See store.h. */
void store_set_sqlite_cache_kib(unsigned kib) { cache_kib = kib; }

/* ---- the store files this process has open --------------------------------------------
 * Closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
 * included (in WAL mode each connection keeps a shared lock on the database file while it
 * is open; without it, another process closing its last connection checkpoints and removes
 * the WAL under this one, and what it commits afterwards is lost when the process is
 * killed). So a store file another handle of this process has open is never opened outside
 * SQLite again: open_files counts the handles per file, and an open of a counted file skips
 * the checks that read it (it was judged when the first handle opened it). The mutex is
 * held from the first look at the file until the handle is counted, and while a handle
 * closes: two threads opening one store cannot interleave. */
typedef struct open_file {
    dev_t dev;
    ino_t ino;
    size_t handles;
} open_file;

static pthread_mutex_t open_files_lock = PTHREAD_MUTEX_INITIALIZER;
static open_file *open_files;
static size_t open_file_count, open_file_capacity;

/* The entry for st's file, or NULL (open_files_lock held). */
static open_file *open_file_of(const struct stat *st) {
    for (size_t i = 0; i < open_file_count; i++)
        if (open_files[i].dev == st->st_dev && open_files[i].ino == st->st_ino)
            return &open_files[i];
    return NULL;
}

/* Count store as a handle open on st's file (open_files_lock held). */
static void open_file_hold(sqlite_store *store, const struct stat *st) {
    open_file *entry = open_file_of(st);
    if (!entry) {
        if (open_file_count == open_file_capacity) {
            open_file_capacity = open_file_capacity ? open_file_capacity * 2 : 4;
            open_files = xreallocarray(open_files, open_file_capacity, sizeof *open_files);
        }
        entry = &open_files[open_file_count++];
        entry->dev = st->st_dev;
        entry->ino = st->st_ino;
        entry->handles = 0;
    }
    entry->handles++;
    store->held = true;
    store->file_dev = st->st_dev;
    store->file_ino = st->st_ino;
}

/* Stop counting store (open_files_lock held); the last handle of a file removes its entry. */
static void open_file_release(sqlite_store *store) {
    if (!store->held) return;
    struct stat st;
    memset(&st, 0, sizeof st);
    st.st_dev = store->file_dev;
    st.st_ino = store->file_ino;
    open_file *entry = open_file_of(&st);
    if (entry && --entry->handles == 0) *entry = open_files[--open_file_count];
    store->held = false;
}

/* fail() with "PATH: what: SQLite's message"; a lock another process holds says who holds
 * it and how the wait for it ended. Returns STORE_LOCKED for a lock, else -1. */
static int db_fail(sqlite_store *store, const char *what, char *reason) {
    if ((sqlite3_extended_errcode(store->db) & 0xff) != SQLITE_BUSY)
        return fail(reason, "%s: %s: %s", store->path, what, sqlite3_errmsg(store->db));
    char holder[48] = "another process";
    pid_t pid = lock_holder(store);
    if (pid > 0) snprintf(holder, sizeof holder, "another process (pid %ld)", (long)pid);
    const char *wait = store->busy_cancelled ? "; the wait for it was cut short"
                       : store->busy_timed_out ? ", still after " STORE_BUSY_TIMEOUT_TEXT
                                               : "";
    fail(reason, "%s: %s: the store is locked by %s%s", store->path, what, holder, wait);
    store->busy_cancelled = store->busy_timed_out = false;
    return STORE_LOCKED;
}

/* Run SQL without results. 0, or -1 (STORE_LOCKED) with reason. */
static int exec_sql(sqlite_store *store, const char *sql, const char *what, char *reason) {
    if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(store, what, reason);
    return 0;
}

/* Prepare sql. 0, or -1 with reason ("PATH: what: message"). */
static int prepare(sqlite_store *store, const char *sql, sqlite3_stmt **stmt, const char *what,
                   char *reason) {
    if (sqlite3_prepare_v2(store->db, sql, -1, stmt, NULL) != SQLITE_OK) {
        *stmt = NULL;
        return db_fail(store, what, reason);
    }
    return 0;
}

/* Bind text, or NULL when text is NULL. */
static void bind_text_or_null(sqlite3_stmt *stmt, int index, const char *text) {
    if (text) sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
    else sqlite3_bind_null(stmt, index);
}

/* Commit when ok, else roll back; returns ok ? 0 : -1 (reason set by the caller, or here
 * when the commit fails). */
static int finish_transaction(sqlite_store *store, bool ok, char *reason) {
    if (ok && exec_sql(store, "COMMIT", "cannot commit", reason) == 0) return 0;
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* SQLite's busy handler: wait for another process's lock in short naps, up to
 * STORE_BUSY_TIMEOUT_MS in all, and give up at once when the caller's cancel check says so
 * (a SIGTERM never waits out the timeout). */
static int on_busy(void *ctx, int attempt) {
    sqlite_store *store = ctx;
    int64_t now = monotonic_ms();
    if (attempt == 0) {
        store->busy_since_ms = now;
        store->busy_cancelled = store->busy_timed_out = false;
    }
    if (store->cancelled && store->cancelled()) {
        store->busy_cancelled = true;
        return 0;
    }
    int64_t left = store->busy_since_ms + STORE_BUSY_TIMEOUT_MS - now;
    if (left <= 0) {
        store->busy_timed_out = true;
        return 0;
    }
    int64_t nap = attempt < 4 ? (int64_t)5 << attempt : 50; /* 5, 10, 20, 40, then 50 ms */
    if (nap > left) nap = left;
    struct timespec pause = {0, (long)nap * 1000000L};
    nanosleep(&pause, NULL);
    return 1;
}

/* See store.h. */
static void sqlite_set_cancel(store_t *handle, int (*cancelled)(void)) {
    ((sqlite_store *)handle)->cancelled = cancelled;
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

/* Refuse a file other users may read or write: it holds the key that signs context tokens
 * and every prompt a start keeps. 0, or -1 with reason. */
static int check_private(const char *path, const struct stat *st, char *reason) {
    if (!S_ISREG(st->st_mode)) return fail(reason, "%s is not a regular file", path);
    if (st->st_mode & 077)
        return fail(reason, "%s can be read or written by other users (mode %04o), and a store "
                            "holds the signing key and the prompts: run chmod 600 %s",
                    path, (unsigned)(st->st_mode & 07777), path);
    return 0;
}

/* Check SQLite's side files (-wal, -shm) when they exist: never a symbolic link, and as
 * private as the store. SQLite creates missing ones itself with O_NOFOLLOW and the
 * database file's mode (0600, checked before). 0, or -1 with reason. */
static int check_side_files(const char *path, char *reason) {
    static const char *const suffixes[] = {"-wal", "-shm"};
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++) {
        buf_t name = BUF_INIT;
        buf_printf(&name, "%s%s", path, suffixes[i]);
        struct stat st;
        if (lstat(buf_cstr(&name), &st) != 0) {
            if (errno != ENOENT) rc = fail(reason, "%s: %s", buf_cstr(&name), strerror(errno));
        } else if (S_ISLNK(st.st_mode)) {
            rc = fail(reason, "%s is a symbolic link; batchtrace does not follow one beside its "
                              "store: remove it", buf_cstr(&name));
        } else {
            rc = check_private(buf_cstr(&name), &st, reason);
        }
        buf_free(&name);
    }
    return rc;
}

/* Open the store's file before SQLite does, never through a symbolic link: created 0600
 * when create is set and it does not exist (O_EXCL: a file that appears meanwhile is
 * judged like any other), refused when it is not private. 1 with *fd and *st, 0 when it
 * does not exist and create is false, -1 with reason. */
static int open_store_file(const char *path, bool create, bool writable, int *fd, struct stat *st,
                           char *reason) {
    int flags = O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
    *fd = -1;
    if (create) {
        *fd = open(path, O_RDWR | O_CREAT | O_EXCL | flags, 0600);
        if (*fd < 0 && errno != EEXIST)
            return fail(reason, "cannot create %s: %s", path, strerror(errno));
    }
    if (*fd < 0) {
        *fd = open(path, (writable ? O_RDWR : O_RDONLY) | flags);
        if (*fd < 0 && errno == ENOENT && !create) return 0;
        if (*fd < 0 && errno == ELOOP)
            return fail(reason, "%s is a symbolic link; batchtrace does not follow one to its "
                                "store: give the file's own path", path);
        if (*fd < 0) return fail(reason, "cannot open %s: %s", path, strerror(errno));
    }
    int rc = 1;
    if (fstat(*fd, st) != 0) rc = fail(reason, "%s: %s", path, strerror(errno));
    else if (check_private(path, st, reason) != 0 || check_side_files(path, reason) != 0) rc = -1;
    if (rc < 0) {
        close(*fd);
        *fd = -1;
    }
    return rc;
}

/* The SQLite header fields batchtrace judges a file by. */
typedef struct db_header {
    bool empty;                /* no byte yet */
    bool wal;                  /* in WAL mode */
    uint32_t application_id;   /* PRAGMA application_id as the file holds it */
} db_header;

/* A big-endian 32-bit number. */
static uint32_t be32(const unsigned char *bytes) {
    return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 | bytes[3];
}

/* Read the file's header (its first 100 bytes). 0, or -1 with reason when it is not a SQLite
 * database. */
static int read_header(int fd, const char *path, db_header *header, char *reason) {
    unsigned char bytes[100];
    memset(header, 0, sizeof *header);
    ssize_t got = pread(fd, bytes, sizeof bytes, 0);
    if (got < 0) return fail(reason, "%s: read failed: %s", path, strerror(errno));
    if (got == 0) {
        header->empty = true;
        return 0;
    }
    if ((size_t)got < sizeof bytes || memcmp(bytes, "SQLite format 3", 16) != 0)
        return fail(reason, "%s is not a SQLite database; batchtrace leaves it untouched (give "
                            "--store a path of its own)", path);
    header->wal = bytes[18] == 2 && bytes[19] == 2;
    header->application_id = be32(bytes + 68);
    return 0;
}

/* The refusal for another application's database. */
static int refuse_foreign(const char *path, const char *why, char *reason) {
    return fail(reason, "%s is not a batchtrace store (%s); batchtrace leaves it untouched "
                        "(give --store a path of its own)", path, why);
}

/* Percent-encode path for a file: URI. */
static void uri_path(buf_t *out, const char *path) {
    for (const unsigned char *at = (const unsigned char *)path; *at; at++) {
        if ((*at >= 'A' && *at <= 'Z') || (*at >= 'a' && *at <= 'z') ||
            (*at >= '0' && *at <= '9') || strchr("/-._~", *at))
            buf_putc(out, (char)*at);
        else
            buf_printf(out, "%%%02X", *at);
    }
}

/* Open a read-only connection that creates nothing beside the file: through the existing
 * -wal and -shm when there is a -wal (a process has the store open, or one died with it),
 * else, for a WAL database, as immutable (every commit is in the file then; see
 * store_read_stable for a writer that starts meanwhile). 0, or -1 with reason. */
static int open_reader(sqlite_store *store, const db_header *header, const struct stat *st,
                       char *reason) {
    buf_t wal = BUF_INIT, uri = BUF_INIT;
    buf_printf(&wal, "%s-wal", store->path);
    store->immutable = header->wal && access(buf_cstr(&wal), F_OK) != 0;
    store->opened = *st;
    buf_puts(&uri, "file:");
    uri_path(&uri, store->path);
    buf_puts(&uri, store->immutable ? "?mode=ro&immutable=1" : "?mode=ro");
    int rc = sqlite3_open_v2(buf_cstr(&uri), &store->db,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX, NULL);
    buf_free(&wal);
    buf_free(&uri);
    if (rc != SQLITE_OK) {
        if (store->db) return db_fail(store, "cannot open", reason);
        return fail(reason, "%s: cannot open: out of memory", store->path);
    }
    sqlite3_busy_handler(store->db, on_busy, store);
    sqlite3_extended_result_codes(store->db, 1);
    return 0;
}

/* Read an integer PRAGMA. 0, or -1 with reason. */
static int read_pragma(sqlite_store *store, const char *pragma, int64_t *value, char *reason) {
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(store->db, pragma, -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
        *value = sqlite3_column_int64(stmt, 0);
        rc = 0;
    } else {
        db_fail(store, "cannot read the schema", reason);
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* The names of db's own tables, views, indexes and triggers (SQLite's internal ones left
 * out), sorted and joined with commas into out. 0, or -1. */
static int schema_names(sqlite3 *db, buf_t *out) {
    sqlite3_stmt *stmt = NULL;
    buf_clear(out);
    if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%'"
                               " ESCAPE '\\' ORDER BY name", -1, &stmt, NULL) != SQLITE_OK)
        return -1;
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
        buf_printf(out, "%s%s", out->len ? "," : "", (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return step == SQLITE_DONE ? 0 : -1;
}

/* The names an earlier batchtrace's store at schema version holds: what migrations 1 to
 * version make, replayed in memory. 0, or -1. */
static int names_of_version(int64_t version, buf_t *out) {
    sqlite3 *db = NULL;
    int rc = -1;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) goto done;
    for (int64_t step = 0; step < version; step++)
        if (sqlite3_exec(db, migrations[step], NULL, NULL, NULL) != SQLITE_OK) goto done;
    rc = schema_names(db, out);
done:
    sqlite3_close(db);
    return rc;
}

/* How an existing database was judged. */
typedef enum store_kind {
    STORE_KIND_EMPTY,  /* no table and no mark: nothing stored yet, free to become a store */
    STORE_KIND_OURS,   /* batchtrace's store: marked, or an earlier batchtrace's (unmarked,
                          holding exactly the tables its schema version makes) */
} store_kind;

/* Judge the database an open connection reads: batchtrace's store, an empty one, or
 * another application's (refused). *version gets its schema version. The kind, or -1
 * with reason. */
static int judge(sqlite_store *store, int64_t *version, char *reason) {
    int64_t application_id = 0;
    if (read_pragma(store, "PRAGMA application_id", &application_id, reason) != 0 ||
        read_pragma(store, "PRAGMA user_version", version, reason) != 0)
        return -1;
    if (application_id == STORE_SQLITE_APPLICATION_ID) return STORE_KIND_OURS;
    char why[REASON_MAX];
    if (application_id != 0) {
        fail(why, "application_id %lld", (long long)application_id);
        return refuse_foreign(store->path, why, reason);
    }
    buf_t names = BUF_INIT, expected = BUF_INIT;
    int kind = -1;
    if (schema_names(store->db, &names) != 0) {
        db_fail(store, "cannot read the schema", reason);
        goto done;
    }
    if (*version == 0 && names.len == 0) {
        kind = STORE_KIND_EMPTY;
        goto done;
    }
    if (*version >= 1 && *version <= MIGRATION_COUNT && names_of_version(*version, &expected) == 0 &&
        strcmp(buf_cstr(&names), buf_cstr(&expected)) == 0) {
        kind = STORE_KIND_OURS; /* an earlier batchtrace's, from before the mark */
        goto done;
    }
    if (names.len) fail(why, "it holds tables batchtrace did not make: %.120s", buf_cstr(&names));
    else fail(why, "user_version %lld", (long long)*version);
    refuse_foreign(store->path, why, reason);
done:
    buf_free(&names);
    buf_free(&expected);
    return kind;
}

/* Bring the schema to MIGRATION_COUNT and mark the file as batchtrace's, one migration per
 * write transaction (a kill between two leaves the earlier version whole); each re-reads
 * the version under the lock, so two processes opening a fresh store migrate it once. A
 * store already up to date takes no lock at all. 0, or -1 with reason. */
static int migrate(sqlite_store *store, char *reason) {
    for (bool first = true;; first = false) {
        int64_t version = 0, application_id = 0;
        if (read_pragma(store, "PRAGMA user_version", &version, reason) != 0 ||
            read_pragma(store, "PRAGMA application_id", &application_id, reason) != 0)
            return -1;
        if (first) store->base.opened_version = version;
        if (version > MIGRATION_COUNT)
            return fail(reason, "%s: schema version %lld is newer than this batchtrace knows "
                                "(%d): upgrade batchtrace", store->path, (long long)version,
                        MIGRATION_COUNT);
        if (version == MIGRATION_COUNT && application_id == STORE_SQLITE_APPLICATION_ID)
            return 0;
        if (exec_sql(store, "BEGIN IMMEDIATE", "cannot lock the store", reason) != 0) return -1;
        int64_t locked_version = -1;
        if (read_pragma(store, "PRAGMA user_version", &locked_version, reason) != 0)
            goto rollback;
        if (locked_version != version) { /* another process moved it: look again */
            sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
            continue;
        }
        char what[64], marks[96];
        snprintf(what, sizeof what, "schema migration %lld", (long long)version + 1);
        if (version < MIGRATION_COUNT && exec_sql(store, migrations[version], what, reason) != 0)
            goto rollback;
        snprintf(marks, sizeof marks, "PRAGMA user_version = %lld; PRAGMA application_id = %d",
                 (long long)(version < MIGRATION_COUNT ? version + 1 : version),
                 STORE_SQLITE_APPLICATION_ID);
        if (exec_sql(store, marks, "cannot mark the schema version", reason) != 0 ||
            exec_sql(store, "COMMIT", "cannot commit the schema", reason) != 0)
            goto rollback;
    }
rollback:
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* A new handle for url (not opened yet); NULL with reason when url is not sqlite:PATH. */
static sqlite_store *store_new(const char *url, char *reason) {
    if (strncmp(url, "sqlite:", 7) != 0 || url[7] == '\0') {
        fail(reason, "not a store URL batchtrace can open (use sqlite:PATH)");
        return NULL;
    }
    const char *path = url + 7;
    if (strncmp(path, "//", 2) == 0) path += 2; /* sqlite:///abs/path */
    sqlite_store *store = xcalloc(1, sizeof *store);
    store->base.ops = &sqlite_ops;
    store->url = xstrdup(url);
    store->path = xstrdup(path);
    return store;
}

/* Look at the store's file before SQLite opens it (open_files_lock held): a file another
 * handle of this process has open is only checked by name (see open_files); any other is
 * opened by open_store_file, its header read, and closed again before SQLite opens it (the
 * identity check after sqlite3_open_v2 compares with st, not a descriptor). 1 with *st and
 * *header, 0 when it does not exist and create is false (reason empty), -1 with reason. */
static int look_at_file(const char *path, bool create, bool writable, struct stat *st,
                        db_header *header, char *reason) {
    if (lstat(path, st) == 0 && S_ISREG(st->st_mode) && open_file_of(st)) {
        if (check_private(path, st, reason) != 0 || check_side_files(path, reason) != 0)
            return -1;
        memset(header, 0, sizeof *header);
        header->wal = true; /* judged and migrated when the first handle opened it */
        header->application_id = STORE_SQLITE_APPLICATION_ID;
        return 1;
    }
    int fd = -1;
    int found = open_store_file(path, create, writable, &fd, st, reason);
    if (found <= 0) {
        if (found == 0) fail(reason, "%s", "");
        return found;
    }
    int rc = read_header(fd, path, header, reason) == 0 ? 1 : -1;
    close(fd);
    return rc;
}

/* See store.h: the file is opened and judged here before SQLite writes a byte to it. */
store_t *sqlite_store_open(const char *url, bool create, char *reason) {
    sqlite_store *store = store_new(url, reason);
    if (!store) return NULL;
    struct stat st;
    db_header header;
    pthread_mutex_lock(&open_files_lock);
    if (create && make_parent_dirs(store->path, reason) != 0) goto failed;
    if (look_at_file(store->path, create, true, &st, &header, reason) <= 0) goto failed;
    if (header.application_id != 0 && header.application_id != STORE_SQLITE_APPLICATION_ID) {
        char why[REASON_MAX];
        fail(why, "application_id %lu", (unsigned long)header.application_id);
        refuse_foreign(store->path, why, reason);
        goto failed;
    }
    if (!header.empty && header.application_id == 0) { /* judged before anything is written */
        int64_t version = 0;
        if (open_reader(store, &header, &st, reason) != 0 || judge(store, &version, reason) < 0)
            goto failed;
        sqlite3_close(store->db);
        store->db = NULL;
        store->immutable = false;
    }
    if (sqlite3_open_v2(store->path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        if (store->db) db_fail(store, "cannot open", reason);
        else fail(reason, "%s: cannot open: out of memory", store->path);
        goto failed;
    }
    struct stat now;
    if (lstat(store->path, &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
        fail(reason, "%s was replaced while it was opened; try again", store->path);
        goto failed;
    }
    sqlite3_busy_handler(store->db, on_busy, store);
    sqlite3_extended_result_codes(store->db, 1);
    /* synchronous FULL by default: every write that keeps data (the spool, a batch, its
     * inputs, the key) is on the disk once committed. Claims and delivered marks lower it
     * to NORMAL for their own transactions (see begin_claims). */
    char pragmas[160];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA cache_size = -%u; PRAGMA wal_autocheckpoint = 8192;"
             " PRAGMA journal_size_limit = 4194304", (unsigned)cache_kib);
    if ((!header.wal &&
         exec_sql(store, "PRAGMA journal_mode = WAL", "cannot use WAL", reason) != 0) ||
        exec_sql(store, "PRAGMA synchronous = FULL", "cannot set synchronous", reason) != 0 ||
        exec_sql(store, pragmas, "cannot size the cache", reason) != 0 ||
        migrate(store, reason) != 0)
        goto failed;
    open_file_hold(store, &st);
    pthread_mutex_unlock(&open_files_lock);
    return &store->base;
failed:
    pthread_mutex_unlock(&open_files_lock);
    sqlite_close(&store->base);
    return NULL;
}

/* See store.h. */
store_t *sqlite_store_open_readonly(const char *url, bool *older, char *reason) {
    *older = false;
    sqlite_store *store = store_new(url, reason);
    if (!store) return NULL;
    struct stat st;
    db_header header;
    pthread_mutex_lock(&open_files_lock);
    if (look_at_file(store->path, false, false, &st, &header, reason) <= 0) goto failed;
    if (header.empty) { /* nothing stored yet */
        fail(reason, "%s", "");
        goto failed;
    }
    int64_t version = 0;
    if (open_reader(store, &header, &st, reason) != 0) goto failed;
    int kind = judge(store, &version, reason);
    if (kind < 0) goto failed;
    if (kind == STORE_KIND_EMPTY) {
        fail(reason, "%s", "");
        goto failed;
    }
    if (version > MIGRATION_COUNT) {
        fail(reason, "%s: schema version %lld is newer than this batchtrace knows (%d): upgrade "
                     "batchtrace", store->path, (long long)version, MIGRATION_COUNT);
        goto failed;
    }
    if (version < MIGRATION_COUNT) {
        *older = true;
        fail(reason, "%s: schema version %lld is older than this batchtrace's (%d), and reading "
                     "does not upgrade it: the next start, bind, collect or flush does",
             store->path, (long long)version, MIGRATION_COUNT);
        goto failed;
    }
    open_file_hold(store, &st);
    pthread_mutex_unlock(&open_files_lock);
    return &store->base;
failed:
    pthread_mutex_unlock(&open_files_lock);
    sqlite_close(&store->base);
    return NULL;
}

/* See store.h. */
static bool sqlite_read_stable(const store_t *handle) {
    const sqlite_store *store = (const sqlite_store *)handle;
    if (!store->immutable) return true;
    struct stat now;
    buf_t wal = BUF_INIT;
    buf_printf(&wal, "%s-wal", store->path);
    bool wal_absent = access(buf_cstr(&wal), F_OK) != 0;
    buf_free(&wal);
    return wal_absent && stat(store->path, &now) == 0 && now.st_ino == store->opened.st_ino &&
           now.st_size == store->opened.st_size &&
           now.st_mtim.tv_sec == store->opened.st_mtim.tv_sec &&
           now.st_mtim.tv_nsec == store->opened.st_mtim.tv_nsec;
}

/* See store.h: what the run still holds is given back first. */
static void sqlite_close(store_t *handle) {
    sqlite_store *store = (sqlite_store *)handle;
    if (!store) return;
    char reason[REASON_MAX];
    if (store->db && store->run_id) sqlite_run_release(handle, reason);
    pthread_mutex_lock(&open_files_lock);
    sqlite3_close(store->db);
    open_file_release(store);
    pthread_mutex_unlock(&open_files_lock);
    free(store->claimed.nonces);
    mark_views_free(&store->marks);
    free(store->url);
    free(store->path);
    free(store);
}

/* See store.h. */
static const char *sqlite_url(const store_t *handle) {
    return ((const sqlite_store *)handle)->url;
}

/* ---- runs: who holds a claim, and whether it is alive ----------------------------------- */

/* Inside a write transaction: make sure this handle is a run of the store (its row made at
 * the first need, lease renewed when due). 0, or -1 with reason. */
static int hold_run(sqlite_store *store, char *reason) {
    int64_t now = time_now_ns();
    if (store->run_id && now - store->run_renewed_ns < (int64_t)STORE_RUN_RENEW_MS * 1000000)
        return 0;
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (store->run_id) {
        if (prepare(store, "UPDATE runs SET lease_until_ns = ? WHERE id = ?", &stmt,
                    "cannot renew the run's lease", reason) != 0)
            goto done;
        sqlite3_bind_int64(stmt, 1, now + (int64_t)STORE_RUN_LEASE_MS * 1000000);
        sqlite3_bind_int64(stmt, 2, store->run_id);
    } else {
        if (!store->me.pid) run_identity_of_self(&store->me);
        const run_identity *me = &store->me;
        if (prepare(store, "INSERT INTO runs (host, boot_id, pid, start_ticks, lease_until_ns,"
                           " created_ns) VALUES (?, ?, ?, ?, ?, ?)",
                    &stmt, "cannot record the run", reason) != 0)
            goto done;
        sqlite3_bind_text(stmt, 1, me->host, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, me->boot_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 3, me->pid);
        sqlite3_bind_int64(stmt, 4, me->start_ticks);
        sqlite3_bind_int64(stmt, 5, now + (int64_t)STORE_RUN_LEASE_MS * 1000000);
        sqlite3_bind_int64(stmt, 6, now);
    }
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        db_fail(store, "cannot record the run", reason);
        goto done;
    }
    if (!store->run_id) {
        store->run_id = sqlite3_last_insert_rowid(store->db);
        store->run_uncommitted = true;
    }
    store->run_renewed_ns = now;
    rc = 0;
done:
    sqlite3_finalize(stmt);
    return rc;
}

/* Whether the run of run_id is dead, from its row (read in the caller's transaction): no row
 * (it ended); on this host and boot, no process with its pid and start time (the lease does
 * not matter: a live process keeps its claims however long it waits); elsewhere, or when
 * the process cannot be looked at, its lease ran out. Another run of this process is alive
 * (it gives back its claims itself). 0 with *dead, or -1 with reason. */
static int run_is_dead(sqlite_store *store, int64_t run_id, bool *dead, char *reason) {
    *dead = false;
    if (run_id == store->run_id) return 0;
    int64_t now = time_now_ns();
    if (run_cache_lookup(&store->runs, run_id, now, dead)) return 0;
    sqlite3_stmt *stmt = NULL;
    if (prepare(store, "SELECT host, boot_id, pid, start_ticks, lease_until_ns FROM runs"
                       " WHERE id = ?", &stmt, "cannot read the runs", reason) != 0)
        return -1;
    sqlite3_bind_int64(stmt, 1, run_id);
    int step = sqlite3_step(stmt);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        sqlite3_finalize(stmt);
        return db_fail(store, "cannot read the runs", reason);
    }
    if (step == SQLITE_DONE) {
        *dead = true;
    } else {
        if (!store->me.pid) run_identity_of_self(&store->me);
        run_row row = {(const char *)sqlite3_column_text(stmt, 0),
                       (const char *)sqlite3_column_text(stmt, 1), sqlite3_column_int64(stmt, 2),
                       sqlite3_column_int64(stmt, 3), sqlite3_column_int64(stmt, 4)};
        *dead = run_row_dead(&store->me, &row, now);
    }
    sqlite3_finalize(stmt);
    run_cache_note(&store->runs, run_id, *dead, now);
    return 0;
}

/* Start a write transaction of claims or marks: synchronous NORMAL for it (a kill never
 * loses a committed transaction with WAL; a power cut may lose the last few, in order,
 * which only makes a later run send again), and this handle's run held. 0, or -1 with
 * reason (nothing begun). */
static int begin_claims(sqlite_store *store, char *reason) {
    if (exec_sql(store, "PRAGMA synchronous = NORMAL", "cannot set synchronous", reason) != 0)
        return -1;
    if (exec_sql(store, "BEGIN IMMEDIATE", "cannot lock the store", reason) != 0) {
        sqlite3_exec(store->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
        return -1;
    }
    if (hold_run(store, reason) != 0) {
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_exec(store->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

/* End what begin_claims began: commit when ok, else roll back; synchronous back to FULL.
 * A run row made in a transaction rolled back is gone with it (and, with AUTOINCREMENT
 * rolled back too, its id goes to the next run that registers): the handle forgets it and
 * registers again at its next claim, so it never claims under an id it does not own. 0,
 * or -1 (reason set by the caller, or here when the commit fails). */
static int end_claims(sqlite_store *store, bool ok, char *reason) {
    int rc = finish_transaction(store, ok, reason);
    sqlite3_exec(store->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
    if (rc != 0) {
        if (store->run_uncommitted) store->run_id = 0;
        store->run_renewed_ns = 0; /* a renewal rolled back too: renew at the next claim */
    }
    store->run_uncommitted = false;
    return rc;
}

/* Run sql binding this run's id as ?1, and text (when not NULL) as ?2 and number as ?3. 0,
 * or -1 with reason. */
static int exec_for_run(sqlite_store *store, const char *sql, const char *text, int64_t number,
                        char *reason) {
    sqlite3_stmt *stmt = NULL;
    if (prepare(store, sql, &stmt, "cannot give back the run's claims", reason) != 0) return -1;
    sqlite3_bind_int64(stmt, 1, store->run_id);
    if (text) sqlite3_bind_text(stmt, 2, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, number);
    int rc = sqlite3_step(stmt) == SQLITE_DONE ? 0
                                               : db_fail(store, "cannot give back the run's claims",
                                                         reason);
    sqlite3_finalize(stmt);
    return rc;
}

/* See store.h: one transaction. The run's claim rows are found by batch (item_marks_by_batch),
 * so no index on owner slows every claim and mark. The run's row goes too, with the rows of
 * runs whose lease ran out a day ago: any claim still naming one is taken over as a run
 * without a row (dead), exactly as its expired lease would have it, but for a process of
 * this host stalled a whole day, which then sends some items a second time. */
static int sqlite_run_release(store_t *handle, char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    if (!store->run_id) return 0;
    if (begin_claims(store, reason) != 0) return -1;
    int rc = 0;
    for (size_t i = 0; i < store->claimed.count && rc == 0; i++) {
        /* its claim rows go, and a row without ids tells handles that read them (marks.h) */
        rc = exec_for_run(store, "DELETE FROM item_marks WHERE nonce = ?2 AND owner = ?1",
                          store->claimed.nonces[i], 0, reason);
        if (rc == 0)
            rc = exec_for_run(store, "INSERT INTO item_marks (nonce, owner, ids)"
                                     " VALUES (?2, ?1, X'')",
                              store->claimed.nonces[i], 0, reason);
    }
    if (rc == 0)
        rc = exec_for_run(store, "UPDATE batches SET task_owner = NULL WHERE task_owner = ?1",
                          NULL, 0, reason);
    if (rc == 0)
        rc = exec_for_run(store, "UPDATE spool SET owner = NULL WHERE owner = ?1", NULL, 0,
                          reason);
    if (rc == 0)
        rc = exec_for_run(store, "DELETE FROM runs WHERE id = ?1 OR lease_until_ns < ?3", NULL,
                          time_now_ns() - INT64_C(86400) * 1000000000, reason);
    mark_views_free(&store->marks); /* they name this run, which ends here */
    if (end_claims(store, rc == 0, reason) != 0) return -1;
    store->run_id = 0;
    store->claimed.count = 0;
    return 0;
}


static int insert_spool(sqlite_store *store, spool_chunk *chunk, int64_t owner, char *reason);

/* See store.h. */
static int sqlite_begin(store_t *handle, char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    return exec_sql(store, "BEGIN IMMEDIATE", "cannot lock the store", reason) == 0 ? 0 : -1;
}

/* See store.h. */
static int sqlite_commit(store_t *handle, char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    if (exec_sql(store, "COMMIT", "cannot commit", reason) == 0) return 0;
    sqlite_rollback(handle);
    return -1;
}

/* See store.h. */
static void sqlite_rollback(store_t *handle) {
    sqlite3_exec(((sqlite_store *)handle)->db, "ROLLBACK", NULL, NULL, NULL);
}

/* See store.h: one INSERT is one transaction. */
static int sqlite_spool_put(store_t *handle, spool_chunk *chunk, char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    fault_point("store.spool");
    return insert_spool(store, chunk, 0, reason);
}

/* Insert chunk into the spool, held by run owner (0: by none); chunk->id gets its key. 0, or
 * -1 with reason. */
static int insert_spool(sqlite_store *store, spool_chunk *chunk, int64_t owner, char *reason) {
    static const char sql[] =
        "INSERT INTO spool (created_ns, protocol, span_count, body, destination,"
        " braintrust_parent, reason, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
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
    if (owner) sqlite3_bind_int64(stmt, 8, owner);
    else sqlite3_bind_null(stmt, 8);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        rc = db_fail(store, "cannot spool", reason);
        goto done;
    }
    chunk->id = sqlite3_last_insert_rowid(store->db);
    rc = 0;
done:
    sqlite3_finalize(stmt);
    return rc;
}

/* See store.h. */
static int sqlite_spool_count(store_t *handle, uint64_t *chunks, uint64_t *spans, char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
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

/* See store.h: in one read transaction, so both counts are of one instant. A row is held
 * while its lease runs or its owner is another run that is alive (rows this handle's run
 * still holds wait: they are free once it ends). */
static int sqlite_spool_tally(store_t *handle, uint64_t *waiting_spans, uint64_t *held_spans,
                      char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    *waiting_spans = *held_spans = 0;
    if (exec_sql(store, "BEGIN", "cannot read the spool", reason) != 0) return -1;
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (prepare(store, "SELECT owner, span_count, lease_until_ns > ? FROM spool", &stmt,
                "cannot count the spool", reason) != 0)
        goto done;
    sqlite3_bind_int64(stmt, 1, time_now_ns());
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        bool held = sqlite3_column_int(stmt, 2) != 0;
        int64_t owner = sqlite3_column_int64(stmt, 0);
        if (!held && sqlite3_column_type(stmt, 0) != SQLITE_NULL && owner != store->run_id) {
            bool dead = false;
            if (run_is_dead(store, owner, &dead, reason) != 0) goto done;
            held = !dead;
        }
        *(held ? held_spans : waiting_spans) += (uint64_t)sqlite3_column_int64(stmt, 1);
    }
    if (step != SQLITE_DONE) {
        db_fail(store, "cannot count the spool", reason);
        goto done;
    }
    rc = 0;
done:
    sqlite3_finalize(stmt);
    sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL); /* a read: nothing to keep */
    return rc;
}

/* Point claim at a copy of the claimed row's columns (id, protocol, span_count, body,
 * braintrust_parent). */
static void fill_claim(sqlite3_stmt *stmt, spool_claim *claim) {
    spool_claim_fill(claim, sqlite3_column_int64(stmt, 0),
                     (const char *)sqlite3_column_text(stmt, 1),
                     (uint64_t)sqlite3_column_int64(stmt, 2), sqlite3_column_blob(stmt, 3),
                     (size_t)sqlite3_column_bytes(stmt, 3),
                     (const char *)sqlite3_column_text(stmt, 4));
}

/* See store.h: chosen and held in one write transaction, so no two runs take the same
 * row. A row leased by a version without runs (lease_until_ns) waits for its lease. */
static int sqlite_spool_claim(store_t *handle, int64_t after_id, spool_claim *claim, char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    static const char candidates_sql[] =
        "SELECT id, owner FROM spool WHERE id > ? AND lease_until_ns <= ? ORDER BY id";
    static const char row_sql[] =
        "SELECT id, protocol, span_count, body, braintrust_parent FROM spool WHERE id = ?";
    static const char hold_sql[] = "UPDATE spool SET owner = ? WHERE id = ?";
    if (begin_claims(store, reason) != 0) return -1;
    sqlite3_stmt *candidates = NULL, *row = NULL, *hold = NULL;
    int rc = -1;
    if (prepare(store, candidates_sql, &candidates, "cannot read the spool", reason) != 0 ||
        prepare(store, row_sql, &row, "cannot read the spool", reason) != 0 ||
        prepare(store, hold_sql, &hold, "cannot hold a spooled request", reason) != 0)
        goto done;
    sqlite3_bind_int64(candidates, 1, after_id);
    sqlite3_bind_int64(candidates, 2, time_now_ns());
    int64_t chosen = 0;
    int step;
    while (!chosen && (step = sqlite3_step(candidates)) == SQLITE_ROW) {
        bool free_row = sqlite3_column_type(candidates, 1) == SQLITE_NULL;
        if (!free_row && run_is_dead(store, sqlite3_column_int64(candidates, 1), &free_row,
                                     reason) != 0)
            goto done;
        if (free_row) chosen = sqlite3_column_int64(candidates, 0);
    }
    if (!chosen && step != SQLITE_DONE) {
        db_fail(store, "cannot read the spool", reason);
        goto done;
    }
    if (!chosen) {
        rc = 0;
        goto done;
    }
    sqlite3_bind_int64(row, 1, chosen);
    if (sqlite3_step(row) != SQLITE_ROW) {
        db_fail(store, "cannot read the spool", reason);
        goto done;
    }
    fill_claim(row, claim);
    sqlite3_bind_int64(hold, 1, store->run_id);
    sqlite3_bind_int64(hold, 2, chosen);
    if (sqlite3_step(hold) != SQLITE_DONE) {
        db_fail(store, "cannot hold a spooled request", reason);
        goto done;
    }
    rc = 1;
    fault_point("store.spool_claim");
done:
    sqlite3_finalize(candidates);
    sqlite3_finalize(row);
    sqlite3_finalize(hold);
    if (end_claims(store, rc >= 0, reason) != 0) return -1;
    return rc;
}

/* Run a statement binding id (and text when non-NULL, as the first parameter). 0, or -1
 * (STORE_LOCKED) with reason. */
static int exec_on_row(sqlite_store *store, const char *sql, const char *text, int64_t id,
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
        rc = db_fail(store, what, reason);
        goto done;
    }
    rc = 0;
done:
    sqlite3_finalize(stmt);
    return rc;
}

/* See store.h. */
static int sqlite_spool_delete(store_t *handle, int64_t id, char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    fault_point("store.spool_delete");
    return exec_on_row(store, "DELETE FROM spool WHERE id = ?", NULL, id,
                       "cannot delete a delivered request", reason);
}

/* See store.h: the new rows and the deletion in one BEGIN IMMEDIATE transaction. */
static int sqlite_spool_replace(store_t *handle, int64_t id, spool_chunk *chunks, size_t count,
                        char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    if (exec_sql(store, "BEGIN IMMEDIATE", "cannot lock the spool", reason) != 0) return -1;
    for (size_t i = 0; i < count; i++)
        if (sqlite_spool_put(handle, &chunks[i], reason) != 0) goto failed;
    if (sqlite_spool_delete(handle, id, reason) != 0) goto failed;
    if (exec_sql(store, "COMMIT", "cannot replace a spooled request", reason) != 0) goto failed;
    return 0;
failed:
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* See store.h. */
static int sqlite_spool_release(store_t *handle, int64_t id, const char *why, char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    return exec_on_row(store,
                       "UPDATE spool SET owner = NULL, lease_until_ns = 0,"
                       " attempts = attempts + 1, reason = ? WHERE id = ?",
                       why ? why : "", id, "cannot release a spooled request", reason);
}

/* ---- the lifecycle ---------------------------------------------------------------------- */

/* See store.h: INSERT OR IGNORE makes the first process's key the only one. */
static int sqlite_signing_key(store_t *handle, uint8_t key[STORE_KEY_LEN], char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    uint8_t fresh[STORE_KEY_LEN];
    if (RAND_bytes(fresh, sizeof fresh) != 1)
        return fail(reason, "cannot generate a signing key: no randomness from libcrypto");
    sqlite3_stmt *insert = NULL, *select = NULL;
    int rc = -1;
    if (prepare(store, "INSERT OR IGNORE INTO keys (name, key, created_ns) VALUES ('context', ?, ?)",
                &insert, "cannot keep the signing key", reason) != 0 ||
        prepare(store, "SELECT key FROM keys WHERE name = 'context'", &select,
                "cannot read the signing key", reason) != 0)
        goto done;
    sqlite3_bind_blob(insert, 1, fresh, sizeof fresh, SQLITE_STATIC);
    sqlite3_bind_int64(insert, 2, time_now_ns());
    if (sqlite3_step(insert) != SQLITE_DONE) {
        db_fail(store, "cannot keep the signing key", reason);
        goto done;
    }
    if (sqlite3_step(select) != SQLITE_ROW || sqlite3_column_bytes(select, 0) != STORE_KEY_LEN) {
        db_fail(store, "cannot read the signing key", reason);
        goto done;
    }
    memcpy(key, sqlite3_column_blob(select, 0), STORE_KEY_LEN);
    rc = 0;
done:
    sqlite3_finalize(insert);
    sqlite3_finalize(select);
    memset(fresh, 0, sizeof fresh);
    return rc;
}

static int insert_batch(sqlite_store *store, const store_batch *batch, char *reason);

/* See store.h: a batch_id bound elsewhere is a UNIQUE violation, told apart from a nonce
 * that exists (DO NOTHING) by the upsert. */
static int sqlite_batch_put(store_t *handle, const store_batch *batch, char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    return insert_batch(store, batch, reason);
}

/* See store.h: the batch, the run and the spool row in one durable transaction. */
static int sqlite_batch_put_ahead(store_t *handle, const store_batch *batch, spool_chunk *chunk,
                          char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    bool own = sqlite3_get_autocommit(store->db) != 0; /* else inside store_begin's */
    if (own && exec_sql(store, "BEGIN IMMEDIATE", "cannot lock the store", reason) != 0)
        return -1;
    int rc = hold_run(store, reason);
    if (rc == 0) rc = insert_batch(store, batch, reason);
    if (rc == 1 && insert_spool(store, chunk, store->run_id, reason) != 0) rc = -1;
    if (!own) return rc; /* the caller commits or rolls back */
    if (rc == 1 && finish_transaction(store, true, reason) == 0) return 1;
    if (rc != 1) sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return rc == 1 ? -1 : rc;
}

/* Insert the batch's row: 1, 0 when its nonce is there already, STORE_CONFLICT or -1 with
 * reason (see store_batch_put). */
static int insert_batch(sqlite_store *store, const store_batch *batch, char *reason) {
    static const char sql[] =
        "INSERT INTO batches (nonce, provider, trace_id, parent_span_id, trace_flags, start_ns,"
        " request_count, input_digest, context, batch_id, endpoint, models, inputs_kept,"
        " created_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (nonce) DO NOTHING";
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (prepare(store, sql, &stmt, "cannot record the batch", reason) != 0) goto done;
    sqlite3_bind_text(stmt, 1, batch->nonce, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, batch->provider, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, batch->trace_id, -1, SQLITE_STATIC);
    bind_text_or_null(stmt, 4, batch->parent_span_id[0] ? batch->parent_span_id : NULL);
    sqlite3_bind_int(stmt, 5, (int)batch->trace_flags);
    sqlite3_bind_int64(stmt, 6, batch->start_ns);
    sqlite3_bind_int64(stmt, 7, (sqlite3_int64)batch->request_count);
    sqlite3_bind_text(stmt, 8, batch->input_digest, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 9, batch->context ? batch->context : "", -1, SQLITE_STATIC);
    bind_text_or_null(stmt, 10, batch->batch_id);
    bind_text_or_null(stmt, 11, batch->endpoint);
    bind_text_or_null(stmt, 12, batch->models);
    sqlite3_bind_int(stmt, 13, batch->inputs_kept);
    sqlite3_bind_int64(stmt, 14, batch->created_ns ? batch->created_ns : time_now_ns());
    int step = sqlite3_step(stmt);
    if (step == SQLITE_CONSTRAINT_UNIQUE) {
        rc = STORE_CONFLICT;
        fail(reason, "batch id \"%.100s\" is already bound to another batch", batch->batch_id);
        goto done;
    }
    if (step != SQLITE_DONE) {
        db_fail(store, "cannot record the batch", reason);
        goto done;
    }
    rc = sqlite3_changes(store->db) == 1 ? 1 : 0;
done:
    sqlite3_finalize(stmt);
    return rc;
}

/* A malloc'd copy of a text column, or NULL when it is NULL. */
static char *column_strdup(sqlite3_stmt *stmt, int column) {
    const char *text = (const char *)sqlite3_column_text(stmt, column);
    return text ? xstrdup(text) : NULL;
}

/* Copy a text column into a fixed array of size bytes ("" when NULL). */
static void column_copy(sqlite3_stmt *stmt, int column, char *out, size_t size) {
    const char *text = (const char *)sqlite3_column_text(stmt, column);
    snprintf(out, size, "%s", text ? text : "");
}


/* Fill out from a row of STORE_BATCH_COLUMNS. */
static void read_batch_row(sqlite3_stmt *stmt, store_batch *out) {
    memset(out, 0, sizeof *out);
    column_copy(stmt, 0, out->nonce, sizeof out->nonce);
    column_copy(stmt, 1, out->provider, sizeof out->provider);
    column_copy(stmt, 2, out->trace_id, sizeof out->trace_id);
    column_copy(stmt, 3, out->parent_span_id, sizeof out->parent_span_id);
    out->trace_flags = (unsigned)sqlite3_column_int(stmt, 4);
    out->start_ns = sqlite3_column_int64(stmt, 5);
    out->request_count = (uint64_t)sqlite3_column_int64(stmt, 6);
    column_copy(stmt, 7, out->input_digest, sizeof out->input_digest);
    out->context = column_strdup(stmt, 8);
    out->batch_id = column_strdup(stmt, 9);
    out->endpoint = column_strdup(stmt, 10);
    out->models = column_strdup(stmt, 11);
    out->inputs_kept = sqlite3_column_int(stmt, 12) != 0;
    out->created_ns = sqlite3_column_int64(stmt, 13);
    out->batch_status = column_strdup(stmt, 14);
    out->task_exported = sqlite3_column_int(stmt, 15) != 0;
    out->items_exported = (uint64_t)sqlite3_column_int64(stmt, 16);
    out->task_provisional = sqlite3_column_int(stmt, 17) != 0;
}

/* See store.h. */
static int sqlite_batch_find(store_t *handle, const char *nonce, const char *batch_id, store_batch *out,
                     char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    const char *sql = nonce ? "SELECT " STORE_BATCH_COLUMNS " FROM batches b WHERE b.nonce = ?"
                            : "SELECT " STORE_BATCH_COLUMNS " FROM batches b WHERE b.batch_id = ?";
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (prepare(store, sql, &stmt, "cannot read the batches", reason) != 0) goto done;
    sqlite3_bind_text(stmt, 1, nonce ? nonce : batch_id, -1, SQLITE_STATIC);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        read_batch_row(stmt, out);
        rc = 1;
    } else if (step == SQLITE_DONE) {
        rc = 0;
    } else {
        db_fail(store, "cannot read the batches", reason);
    }
done:
    sqlite3_finalize(stmt);
    return rc;
}

/* See store.h: checked and bound in one write transaction, so two binds cannot both win. */
static int sqlite_batch_bind(store_t *handle, const char *nonce, const char *batch_id, char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    if (exec_sql(store, "BEGIN IMMEDIATE", "cannot lock the store", reason) != 0) return -1;
    sqlite3_stmt *owner = NULL, *current = NULL, *update = NULL;
    int rc = -1;
    if (prepare(store, "SELECT nonce FROM batches WHERE batch_id = ?", &owner,
                "cannot read the batches", reason) != 0 ||
        prepare(store, "SELECT batch_id FROM batches WHERE nonce = ?", &current,
                "cannot read the batches", reason) != 0 ||
        prepare(store, "UPDATE batches SET batch_id = ? WHERE nonce = ?", &update,
                "cannot bind the batch id", reason) != 0)
        goto done;
    sqlite3_bind_text(owner, 1, batch_id, -1, SQLITE_STATIC);
    int step = sqlite3_step(owner);
    if (step == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(owner, 0), nonce) != 0) {
        rc = STORE_CONFLICT;
        fail(reason, "batch id \"%.100s\" is already bound to another context; refusing to "
                     "rebind it", batch_id);
        goto done;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        db_fail(store, "cannot read the batches", reason);
        goto done;
    }
    sqlite3_bind_text(current, 1, nonce, -1, SQLITE_STATIC);
    step = sqlite3_step(current);
    if (step != SQLITE_ROW) {
        if (step == SQLITE_DONE) fail(reason, "no batch with nonce %s in the store", nonce);
        else db_fail(store, "cannot read the batches", reason);
        goto done;
    }
    const char *bound = (const char *)sqlite3_column_text(current, 0);
    if (bound && strcmp(bound, batch_id) != 0) {
        rc = STORE_CONFLICT;
        fail(reason, "this context is already bound to batch \"%.100s\"; refusing to bind it "
                     "to \"%.100s\" too", bound, batch_id);
        goto done;
    }
    sqlite3_bind_text(update, 1, batch_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(update, 2, nonce, -1, SQLITE_STATIC);
    if (sqlite3_step(update) != SQLITE_DONE) {
        db_fail(store, "cannot bind the batch id", reason);
        goto done;
    }
    rc = 0;
done:
    sqlite3_finalize(owner);
    sqlite3_finalize(current);
    sqlite3_finalize(update);
    if (rc == 0) return finish_transaction(store, true, reason);
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Run sql binding text1 and text2 (each may be NULL: then not bound). 0, or -1. */
static int exec_texts(sqlite_store *store, const char *sql, const char *text1, const char *text2,
                      const char *what, char *reason) {
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (prepare(store, sql, &stmt, what, reason) != 0) goto done;
    if (text1) sqlite3_bind_text(stmt, 1, text1, -1, SQLITE_STATIC);
    if (text2) sqlite3_bind_text(stmt, 2, text2, -1, SQLITE_STATIC);
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
static int sqlite_batch_set_status(store_t *handle, const char *nonce, const char *status, char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    return exec_texts(store, "UPDATE batches SET batch_status = ? WHERE nonce = ?", status, nonce,
                      "cannot note the batch status", reason);
}

/* See store.h. */
static int sqlite_report_put(store_t *handle, const char *nonce, const char *report,
                             char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    return exec_texts(store, "INSERT OR REPLACE INTO batch_reports (nonce, report) VALUES (?, ?)",
                      nonce, report, "cannot keep the batch's report", reason);
}

/* See store.h. */
static int sqlite_report_get(store_t *handle, const char *batch_id, char **report,
                             char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    sqlite3_stmt *stmt = NULL;
    *report = NULL;
    if (prepare(store, "SELECT r.report FROM batch_reports r JOIN batches b ON b.nonce = r.nonce"
                       " WHERE b.batch_id = ?",
                &stmt, "cannot read the batch's report", reason) != 0)
        return -1;
    sqlite3_bind_text(stmt, 1, batch_id, -1, SQLITE_STATIC);
    int step = sqlite3_step(stmt);
    int rc = 0;
    if (step == SQLITE_ROW) {
        *report = xstrdup((const char *)sqlite3_column_text(stmt, 0));
        rc = 1;
    } else if (step != SQLITE_DONE) {
        rc = db_fail(store, "cannot read the batch's report", reason);
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* See store.h. */
static int sqlite_batch_list(store_t *handle, const char *batch_id, store_batch **out, size_t *count,
                     char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    const char *sql = batch_id ? "SELECT " STORE_BATCH_COLUMNS " FROM batches b WHERE b.batch_id = ?"
                               : "SELECT " STORE_BATCH_COLUMNS " FROM batches b"
                                 " ORDER BY b.created_ns, b.nonce";
    sqlite3_stmt *stmt = NULL;
    *out = NULL;
    *count = 0;
    if (prepare(store, sql, &stmt, "cannot read the batches", reason) != 0) return -1;
    if (batch_id) sqlite3_bind_text(stmt, 1, batch_id, -1, SQLITE_STATIC);
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        *out = xreallocarray(*out, *count + 1, sizeof **out);
        read_batch_row(stmt, &(*out)[(*count)++]);
    }
    int rc = 0;
    if (step != SQLITE_DONE) {
        rc = db_fail(store, "cannot read the batches", reason);
        for (size_t i = 0; i < *count; i++) store_batch_free(&(*out)[i]);
        free(*out);
        *out = NULL;
        *count = 0;
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* See store.h. */
static int sqlite_inputs_put(store_t *handle, const char *nonce, int64_t part, const void *data,
                     size_t len, char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (prepare(store, "INSERT OR REPLACE INTO batch_inputs (nonce, part, data) VALUES (?, ?, ?)",
                &stmt, "cannot keep the inputs", reason) != 0)
        goto done;
    sqlite3_bind_text(stmt, 1, nonce, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, part);
    sqlite3_bind_blob64(stmt, 3, len ? data : "", len, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        db_fail(store, "cannot keep the inputs", reason);
        goto done;
    }
    rc = 0;
done:
    sqlite3_finalize(stmt);
    return rc;
}

/* See store.h. */
static int sqlite_inputs_read(store_t *handle, const char *nonce,
                      int (*each)(void *ctx, const void *data, size_t len, char *reason),
                      void *ctx, char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (prepare(store, "SELECT data FROM batch_inputs WHERE nonce = ? ORDER BY part", &stmt,
                "cannot read the inputs", reason) != 0)
        goto done;
    sqlite3_bind_text(stmt, 1, nonce, -1, SQLITE_STATIC);
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (each(ctx, sqlite3_column_blob(stmt, 0), (size_t)sqlite3_column_bytes(stmt, 0),
                 reason) != 0)
            goto done;
    }
    if (step != SQLITE_DONE) {
        db_fail(store, "cannot read the inputs", reason);
        goto done;
    }
    rc = 0;
done:
    sqlite3_finalize(stmt);
    return rc;
}

/* mark_run_dead_fn over run_is_dead (ctx: the store). */
static int holder_dead(void *ctx, int64_t run_id, bool *dead, char *reason) {
    return run_is_dead(ctx, run_id, dead, reason);
}

/* nonce's marks as this handle knows them, brought up to date inside the caller's write
 * transaction: the per-id rows of stores made before item_marks once, then every item_marks
 * row after the view's cursor. The batch must be in the store. 0 with *out, or -1 with
 * reason. */
static int read_marks(sqlite_store *store, const char *nonce, mark_view **out, char *reason) {
    mark_view *view = mark_views_get(&store->marks, nonce);
    sqlite3_stmt *stmt = NULL;
    int rc = -1, step;
    if (!mark_view_legacy_read(view)) {
        if (prepare(store, "SELECT count(*) FROM batches WHERE nonce = ?", &stmt,
                    "cannot read the item marks", reason) != 0)
            goto done;
        sqlite3_bind_text(stmt, 1, nonce, -1, SQLITE_STATIC);
        if (sqlite3_step(stmt) != SQLITE_ROW) {
            db_fail(store, "cannot read the item marks", reason);
            goto done;
        }
        if (sqlite3_column_int64(stmt, 0) == 0) {
            fail(reason, "no batch with nonce %s in the store", nonce);
            goto done;
        }
        sqlite3_finalize(stmt);
        if (prepare(store, "SELECT custom_id, owner FROM exported WHERE nonce = ?", &stmt,
                    "cannot read the item marks", reason) != 0)
            goto done;
        sqlite3_bind_text(stmt, 1, nonce, -1, SQLITE_STATIC);
        while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
            bt_str id = {sqlite3_column_blob(stmt, 0), (size_t)sqlite3_column_bytes(stmt, 0)};
            mark_view_set(view, id, sqlite3_column_type(stmt, 1) == SQLITE_NULL
                                        ? MARK_DELIVERED
                                        : sqlite3_column_int64(stmt, 1));
        }
        if (step != SQLITE_DONE) {
            db_fail(store, "cannot read the item marks", reason);
            goto done;
        }
        sqlite3_finalize(stmt);
        mark_view_set_legacy_read(view);
    }
    if (prepare(store, "SELECT seq, owner, ids FROM item_marks WHERE nonce = ? AND seq > ?"
                       " ORDER BY seq",
                &stmt, "cannot read the item marks", reason) != 0)
        goto done;
    sqlite3_bind_text(stmt, 1, nonce, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, mark_view_cursor(view));
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t owner = sqlite3_column_type(stmt, 1) == SQLITE_NULL
                            ? MARK_DELIVERED
                            : sqlite3_column_int64(stmt, 1);
        if (mark_view_apply(view, sqlite3_column_int64(stmt, 0), owner,
                            sqlite3_column_blob(stmt, 2),
                            (size_t)sqlite3_column_bytes(stmt, 2)) != 0) {
            fail(reason, "%s: item_marks row %lld of batch %s is damaged", store->url,
                 (long long)sqlite3_column_int64(stmt, 0), nonce);
            goto done;
        }
    }
    if (step != SQLITE_DONE) {
        db_fail(store, "cannot read the item marks", reason);
        goto done;
    }
    *out = view;
    rc = 0;
done:
    sqlite3_finalize(stmt);
    return rc;
}

/* Append one item_marks row of nonce: ids (count of them) claimed by owner, or delivered
 * when owner is MARK_DELIVERED; view's cursor moves past it (this handle made it). 0, or -1
 * with reason. */
static int append_marks(sqlite_store *store, const char *nonce, int64_t owner,
                        const bt_str *ids, size_t count, mark_view *view, const char *what,
                        char *reason) {
    buf_t packed = BUF_INIT;
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    marks_pack(&packed, ids, count);
    if (prepare(store, "INSERT INTO item_marks (nonce, owner, ids) VALUES (?, ?, ?)", &stmt,
                what, reason) != 0)
        goto done;
    sqlite3_bind_text(stmt, 1, nonce, -1, SQLITE_STATIC);
    if (owner == MARK_DELIVERED) sqlite3_bind_null(stmt, 2);
    else sqlite3_bind_int64(stmt, 2, owner);
    sqlite3_bind_blob64(stmt, 3, packed.len ? packed.data : "", packed.len, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        db_fail(store, what, reason);
        goto done;
    }
    mark_view_advance(view, sqlite3_last_insert_rowid(store->db));
    rc = 0;
done:
    sqlite3_finalize(stmt);
    buf_free(&packed);
    return rc;
}

/* See store.h: decided on the batch's marks (read_marks) under the store's write lock: an
 * id is delivered, ours, held by a run that is taken over when dead, or free; what this run
 * takes is one item_marks row. */
static int sqlite_items_claim(store_t *handle, const char *nonce, const bt_str *ids, size_t count,
                      claim_outcome *outcomes, char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
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
    if (take_count &&
        append_marks(store, nonce, store->run_id, take, take_count, view, "cannot claim items",
                     reason) != 0)
        goto done;
    ok = true;
    fault_point("store.claim");
done:
    free(take);
    if (end_claims(store, ok, reason) == 0) return 0;
    mark_views_forget(&store->marks, nonce); /* ahead of what the store kept */
    return -1;
}

/* See store.h: one item_marks row of the ids not delivered before, and the batch's count. */
static int sqlite_items_delivered(store_t *handle, const char *nonce, const bt_str *ids, size_t count,
                          char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    if (begin_claims(store, reason) != 0) return -1;
    bt_str *fresh = xcalloc(count ? count : 1, sizeof *fresh);
    size_t fresh_count = 0;
    mark_view *view = NULL;
    sqlite3_stmt *stmt = NULL;
    bool ok = false;
    if (read_marks(store, nonce, &view, reason) != 0) goto done;
    fresh_count = marks_decide_delivered(view, ids, count, fresh);
    if (fresh_count) {
        if (append_marks(store, nonce, MARK_DELIVERED, fresh, fresh_count, view,
                         "cannot record delivered items", reason) != 0 ||
            prepare(store, "UPDATE batches SET items_delivered = items_delivered + ?"
                           " WHERE nonce = ?",
                    &stmt, "cannot record delivered items", reason) != 0)
            goto done;
        sqlite3_bind_int64(stmt, 1, (int64_t)fresh_count);
        sqlite3_bind_text(stmt, 2, nonce, -1, SQLITE_STATIC);
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            db_fail(store, "cannot record delivered items", reason);
            goto done;
        }
    }
    ok = true;
    fault_point("store.mark");
done:
    sqlite3_finalize(stmt);
    free(fresh);
    if (end_claims(store, ok, reason) == 0) return 0;
    mark_views_forget(&store->marks, nonce);
    return -1;
}

/* See store.h: the batch's row says delivered (task_exported) or who holds it. */
static int sqlite_task_claim(store_t *handle, const char *nonce, bool provisional,
                     claim_outcome *outcome, char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    if (begin_claims(store, reason) != 0) return -1;
    sqlite3_stmt *select = NULL, *take = NULL;
    bool ok = false;
    if (prepare(store, "SELECT task_exported, task_owner, task_provisional FROM batches"
                       " WHERE nonce = ?", &select,
                "cannot claim the task", reason) != 0 ||
        prepare(store, "UPDATE batches SET task_owner = ? WHERE nonce = ?", &take,
                "cannot claim the task", reason) != 0)
        goto done;
    sqlite3_bind_text(select, 1, nonce, -1, SQLITE_STATIC);
    int step = sqlite3_step(select);
    if (step != SQLITE_ROW) {
        if (step == SQLITE_DONE) fail(reason, "no batch with nonce %s in the store", nonce);
        else db_fail(store, "cannot claim the task", reason);
        goto done;
    }
    *outcome = CLAIM_WON;
    if (sqlite3_column_int(select, 0) != 0 &&
        (provisional || sqlite3_column_int(select, 2) == 0)) {
        *outcome = CLAIM_DELIVERED;
    } else if (sqlite3_column_type(select, 1) != SQLITE_NULL &&
               sqlite3_column_int64(select, 1) != store->run_id) {
        bool dead = false;
        if (run_is_dead(store, sqlite3_column_int64(select, 1), &dead, reason) != 0) goto done;
        if (!dead) *outcome = CLAIM_HELD;
    }
    if (*outcome == CLAIM_WON) {
        sqlite3_bind_int64(take, 1, store->run_id);
        sqlite3_bind_text(take, 2, nonce, -1, SQLITE_STATIC);
        if (sqlite3_step(take) != SQLITE_DONE) {
            db_fail(store, "cannot claim the task", reason);
            goto done;
        }
    }
    ok = true;
done:
    sqlite3_finalize(select);
    sqlite3_finalize(take);
    return end_claims(store, ok, reason);
}

/* See store.h. */
static int sqlite_task_delivered(store_t *handle, const char *nonce, bool provisional, char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    if (begin_claims(store, reason) != 0) return -1;
    bool ok = exec_texts(store, provisional
                                    ? "UPDATE batches SET task_exported = 1, task_owner = NULL,"
                                      " task_provisional = 1 WHERE nonce = ?"
                                    : "UPDATE batches SET task_exported = 1, task_owner = NULL,"
                                      " task_provisional = 0 WHERE nonce = ?",
                         nonce, NULL, "cannot record the delivered task", reason) == 0;
    return end_claims(store, ok, reason);
}

/* See store.h. */
static int sqlite_exported_count(store_t *handle, const char *nonce, uint64_t *count, char *reason) {
    sqlite_store *store = (sqlite_store *)handle;
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (prepare(store, "SELECT items_delivered FROM batches WHERE nonce = ?", &stmt,
                "cannot count exported items", reason) != 0)
        goto done;
    sqlite3_bind_text(stmt, 1, nonce, -1, SQLITE_STATIC);
    int step = sqlite3_step(stmt);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        db_fail(store, "cannot count exported items", reason);
        goto done;
    }
    *count = step == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(stmt, 0) : 0;
    rc = 0;
done:
    sqlite3_finalize(stmt);
    return rc;
}

/* See store.h. */
static int sqlite_schema_version(store_t *handle, int64_t *version, char *reason) {
    return read_pragma((sqlite_store *)handle, "PRAGMA user_version", version, reason);
}

/* The SQLite backend's table (backend.h). */
static const store_ops sqlite_ops = {
    .close = sqlite_close,
    .url = sqlite_url,
    .read_stable = sqlite_read_stable,
    .set_cancel = sqlite_set_cancel,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .spool_put = sqlite_spool_put,
    .spool_count = sqlite_spool_count,
    .spool_tally = sqlite_spool_tally,
    .spool_claim = sqlite_spool_claim,
    .spool_delete = sqlite_spool_delete,
    .spool_replace = sqlite_spool_replace,
    .spool_release = sqlite_spool_release,
    .signing_key = sqlite_signing_key,
    .batch_put = sqlite_batch_put,
    .batch_put_ahead = sqlite_batch_put_ahead,
    .batch_find = sqlite_batch_find,
    .batch_bind = sqlite_batch_bind,
    .batch_set_status = sqlite_batch_set_status,
    .batch_list = sqlite_batch_list,
    .report_put = sqlite_report_put,
    .report_get = sqlite_report_get,
    .inputs_put = sqlite_inputs_put,
    .inputs_read = sqlite_inputs_read,
    .items_claim = sqlite_items_claim,
    .items_delivered = sqlite_items_delivered,
    .task_claim = sqlite_task_claim,
    .task_delivered = sqlite_task_delivered,
    .run_release = sqlite_run_release,
    .exported_count = sqlite_exported_count,
    .schema_version = sqlite_schema_version,
};
