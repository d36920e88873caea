#include "ladder/db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ladder/err.h"

#define MEMORY_PATH ":memory:"
/* A hub row holds a change or a record's state, about 2 KB: on 4 KiB
 * pages one fits per page and a third of the file stayed empty. */
#define PAGE_SIZE_HUB "16384"
/* An agent row holds a record's state, its confirmed state and its value,
 * about 6 KB: on 4 KiB pages each took an overflow page, and a full pull
 * ran a fifth slower than on 8 KiB pages. */
#define PAGE_SIZE_AGENT "8192"

/* What messages call a database of `app`: "an agent", "a hub". */
static const char *app_name(int app)
{
    return app == LDR_DB_HUB ? "hub" : "agent";
}

static const char *app_article(int app)
{
    return app == LDR_DB_HUB ? "a" : "an";
}

/* The program that owns a database of `app`, for "upgrade ..." hints. */
static const char *app_program(enum ldr_db_app app)
{
    return app == LDR_DB_HUB ? "ladder-hub" : "ladder";
}

static int other_app(enum ldr_db_app app)
{
    return app == LDR_DB_HUB ? LDR_DB_AGENT : LDR_DB_HUB;
}

/* The file name SQLite resolved, for messages; never NULL. */
static const char *db_path(sqlite3 *db)
{
    const char *p = sqlite3_db_filename(db, "main");
    return p && *p ? p : MEMORY_PATH;
}

/*
 * Turns a failed SQLite call into an ldr_err. A lock that outlived the
 * busy timeout is LDR_EBUSY, because the caller can retry; a file that is
 * no database at all is LDR_EINVAL, because the path is wrong.
 */
static int sqlite_fail(sqlite3 *db, int rc, const char *what,
                       struct ldr_err *err)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
        return ldr_err_set(err, LDR_EBUSY,
                           "%s: database '%s' stayed locked past the busy "
                           "timeout; try again when the other ladder "
                           "process is done",
                           what, db_path(db));
    case SQLITE_NOMEM:
        return ldr_err_set(err, LDR_ENOMEM, "%s: out of memory", what);
    case SQLITE_NOTADB:
        return ldr_err_set(err, LDR_EINVAL,
                           "'%s' is not a ladder database (%s)", db_path(db),
                           sqlite3_errmsg(db));
    default:
        return ldr_err_set(err, LDR_EDB, "%s: %s", what, sqlite3_errmsg(db));
    }
}

int ldr_db_exec(sqlite3 *db, const char *sql, const char *what,
                struct ldr_err *err)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? 0 : sqlite_fail(db, rc, what, err);
}

/* Runs `sql` and leaves the statement on its first row in `*out`. */
static int first_row(sqlite3_stmt **out, sqlite3 *db, const char *sql,
                     const char *what, struct ldr_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = st;
        return 0;
    }
    if (rc == SQLITE_DONE)
        rc = ldr_err_set(err, LDR_EDB, "%s of '%s': no result", what,
                         db_path(db));
    else
        rc = sqlite_fail(db, rc, what, err);
    sqlite3_finalize(st);
    *out = NULL;
    return rc;
}

static int query_text(sqlite3 *db, const char *sql, const char *what, char *out,
                      size_t size, struct ldr_err *err)
{
    sqlite3_stmt *st;
    const unsigned char *text;
    int rc = first_row(&st, db, sql, what, err);

    if (rc == 0) {
        text = sqlite3_column_text(st, 0);
        snprintf(out, size, "%s", text ? (const char *)text : "");
        sqlite3_finalize(st);
    }
    return rc;
}

struct header {
    int app_id;
    int version; /* PRAGMA user_version */
    int objects; /* tables, indexes, ... */
};

/*
 * Reads the header in one statement, so that the values come from one
 * snapshot even while another process commits a migration.
 */
static int read_header(sqlite3 *db, struct header *out, struct ldr_err *err)
{
    sqlite3_stmt *st;
    int rc = first_row(&st, db,
                       "SELECT a.application_id, v.user_version, "
                       "(SELECT count(*) FROM sqlite_schema) "
                       "FROM pragma_application_id AS a, "
                       "pragma_user_version AS v",
                       "reading the database header", err);

    if (rc == 0) {
        out->app_id = sqlite3_column_int(st, 0);
        out->version = sqlite3_column_int(st, 1);
        out->objects = sqlite3_column_int(st, 2);
        sqlite3_finalize(st);
    }
    return rc;
}

/*
 * Checks that the database belongs to `app`, or is still empty, and gives
 * its schema version. A file with a schema but no application_id belongs
 * to someone else: migrating it would mix our tables into theirs.
 */
static int check_identity(sqlite3 *db, enum ldr_db_app app, int *version,
                          struct ldr_err *err)
{
    struct header h;
    int rc = read_header(db, &h, err);

    if (rc)
        return rc;
    *version = h.version;
    if (h.app_id == (int)app)
        return 0;
    if (h.app_id == other_app(app))
        return ldr_err_set(
            err, LDR_EINVAL, "'%s' is a ladder %s database, not %s %s database",
            db_path(db), app_name(h.app_id), app_article(app), app_name(app));
    if (h.app_id != 0)
        return ldr_err_set(err, LDR_EINVAL,
                           "'%s' is not a ladder database (application_id "
                           "0x%08x); check the path",
                           db_path(db), (unsigned)h.app_id);
    if (h.version != 0 || h.objects != 0)
        return ldr_err_set(err, LDR_EINVAL,
                           "'%s' is not a ladder database (it has a schema "
                           "but no ladder application_id); check the path",
                           db_path(db));
    return 0;
}

static int check_version(sqlite3 *db, enum ldr_db_app app, int version,
                         int count, struct ldr_err *err)
{
    if (version > count)
        return ldr_err_set(err, LDR_EVERSION,
                           "database '%s' has schema version %d but this %s "
                           "knows only up to %d; upgrade %s",
                           db_path(db), version, app_program(app), count,
                           app_program(app));
    if (version < 0)
        return ldr_err_set(err, LDR_EINVAL,
                           "database '%s' has schema version %d, which no "
                           "ladder writes",
                           db_path(db), version);
    return 0;
}

/* Steps must be numbered 1..count, so that user_version indexes them. */
static int check_steps(enum ldr_db_app app, const struct ldr_migration *steps,
                       int count, struct ldr_err *err)
{
    if (app != LDR_DB_AGENT && app != LDR_DB_HUB)
        return ldr_err_set(err, LDR_EINVAL, "unknown database kind 0x%08x",
                           (unsigned)app);
    if (count < 0 || (count > 0 && !steps))
        return ldr_err_set(err, LDR_EINVAL, "invalid migration list (%d)",
                           count);
    for (int i = 0; i < count; i++) {
        if (!steps[i].name || !steps[i].sql)
            return ldr_err_set(err, LDR_EINVAL,
                               "migration %d has no name or no SQL", i + 1);
        if (steps[i].version != i + 1)
            return ldr_err_set(err, LDR_EINVAL,
                               "migration '%s' has version %d, expected %d",
                               steps[i].name, steps[i].version, i + 1);
    }
    return 0;
}

/*
 * A step must not leave rows pointing nowhere. Foreign keys are off on a
 * connection ldr_db_open() did not make, and a table rebuilt the way
 * SQLite's ALTER TABLE page describes is not checked row by row; this
 * catches both before COMMIT.
 */
static int check_foreign_keys(sqlite3 *db, const char *what,
                              struct ldr_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        rc = ldr_err_set(err, LDR_EDB,
                         "%s: leaves a row of '%s' pointing to a missing "
                         "row of '%s'",
                         what, (const char *)sqlite3_column_text(st, 0),
                         (const char *)sqlite3_column_text(st, 2));
    else if (rc == SQLITE_DONE)
        rc = 0;
    else
        rc = sqlite_fail(db, rc, what, err);
    sqlite3_finalize(st);
    return rc;
}

/* Runs one step and stamps the header, inside the caller's transaction. */
static int run_step(sqlite3 *db, enum ldr_db_app app,
                    const struct ldr_migration *step, struct ldr_err *err)
{
    char what[LDR_ERR_MSG_MAX];
    char header[96];
    int rc;

    snprintf(what, sizeof what, "migration '%s' of '%s'", step->name,
             db_path(db));
    snprintf(header, sizeof header,
             "PRAGMA user_version = %d; PRAGMA application_id = %d",
             step->version, (int)app);
    rc = ldr_db_exec(db, step->sql, what, err);
    /* Stamping the version outside the step's transaction would lie. */
    if (rc == 0 && sqlite3_get_autocommit(db))
        rc = ldr_err_set(err, LDR_EINVAL,
                         "%s: ends the transaction it runs in; remove its "
                         "BEGIN/COMMIT",
                         what);
    if (rc == 0)
        rc = ldr_db_exec(db, header, what, err);
    if (rc == 0)
        rc = check_foreign_keys(db, what, err);
    return rc;
}

static void rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * Applies the step after the version found inside BEGIN IMMEDIATE: of two
 * processes migrating at once, the second waits for the write lock and
 * then sees the first one's work instead of applying the step again.
 * `*version` is the database's version when this returns.
 */
static int apply_next(sqlite3 *db, enum ldr_db_app app,
                      const struct ldr_migration *steps, int count,
                      int *version, struct ldr_err *err)
{
    const struct ldr_migration *step = NULL;
    int rc = ldr_db_exec(db, "BEGIN IMMEDIATE", "starting a migration", err);

    if (rc)
        return rc;
    rc = check_identity(db, app, version, err);
    if (rc == 0)
        rc = check_version(db, app, *version, count, err);
    if (rc == 0 && *version < count) {
        step = &steps[*version];
        rc = run_step(db, app, step, err);
    }
    if (rc == 0)
        rc = ldr_db_exec(db, "COMMIT", "committing a migration", err);
    if (rc) {
        rollback(db);
        return rc;
    }
    if (step)
        *version = step->version;
    return 0;
}

/*
 * Foreign keys are off while the steps run, as SQLite's ALTER TABLE page
 * asks for a rebuilt table that others point to (the setting cannot
 * change inside a transaction); check_foreign_keys() still checks every
 * row before each COMMIT. The connection's setting is put back after.
 */
static int apply_steps(sqlite3 *db, enum ldr_db_app app,
                       const struct ldr_migration *steps, int count,
                       int *version, struct ldr_err *err)
{
    int on = 0, rc = 0;

    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, -1, &on); /* read */
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, 0, NULL);
    while (rc == 0 && *version < count)
        rc = apply_next(db, app, steps, count, version, err);
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, on, NULL);
    return rc;
}

int ldr_db_migrate(sqlite3 *db, enum ldr_db_app app,
                   const struct ldr_migration *steps, int count,
                   int *version_out, struct ldr_err *err)
{
    int version = 0;
    int rc = check_steps(app, steps, count, err);

    if (rc == 0)
        rc = check_identity(db, app, &version, err);
    if (rc == 0)
        rc = check_version(db, app, version, count, err);
    if (rc == 0 && version < count)
        rc = apply_steps(db, app, steps, count, &version, err);
    if (version_out)
        *version_out = version;
    return rc;
}

/*
 * Creates the file private to its user before SQLite sees it: SQLite
 * would create it 0644 under the usual umask, and the WAL and shared
 * memory files copy the mode of the database. An existing file keeps its
 * mode and is not opened: closing any descriptor of it would drop the
 * POSIX locks of this process's other connections, and another process
 * closing its connection would then delete the WAL they still write.
 * Missing directories are not created.
 */
static int create_private(const char *path, struct ldr_err *err)
{
    int fd;

    if (strcmp(path, MEMORY_PATH) == 0)
        return 0;
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST)
        return 0;
    if (fd < 0)
        return ldr_err_set(err, LDR_EIO, "cannot create database '%s': %s%s",
                           path, strerror(errno),
                           errno == ENOENT ? "; create its directory first"
                                           : "");
    close(fd);
    return 0;
}

static int open_connection(sqlite3 **out, const char *path, struct ldr_err *err)
{
    int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, out, flags, NULL);

    if (rc != SQLITE_OK) {
        if (!*out)
            return ldr_err_set(err, LDR_ENOMEM,
                               "cannot open database '%s': out of memory",
                               path);
        return ldr_err_set(err, LDR_EDB, "cannot open database '%s': %s", path,
                           sqlite3_errmsg(*out));
    }
    sqlite3_busy_timeout(*out, LDR_DB_BUSY_TIMEOUT_MS);
    return 0;
}

static long long monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * WAL lets readers (the hub's requests, the agent's queries) go on while
 * one writer commits; synchronous=NORMAL is durable across crashes of the
 * process and cheap in WAL mode. journal_mode answers with the mode it
 * got, which stays the old one where WAL cannot work (some network file
 * systems): that is an error, not a silent fallback.
 */
static int configure(sqlite3 *db, enum ldr_db_app app, struct ldr_err *err)
{
    char mode[16];
    int memory = strcmp(db_path(db), MEMORY_PATH) == 0;
    int rc =
        ldr_db_exec(db,
                    app == LDR_DB_HUB ? "PRAGMA page_size = " PAGE_SIZE_HUB
                                      : "PRAGMA page_size = " PAGE_SIZE_AGENT,
                    "setting the page size", err);

    if (rc == 0)
        rc = query_text(db, "PRAGMA journal_mode = WAL",
                        "switching to write-ahead logging", mode, sizeof mode,
                        err);
    if (rc)
        return rc;
    if (strcmp(mode, memory ? "memory" : "wal") != 0)
        return ldr_err_set(err, LDR_EDB,
                           "cannot use write-ahead logging on '%s' (journal "
                           "mode stays '%s'); put the database on a local "
                           "disk",
                           db_path(db), mode);
    rc = ldr_db_exec(db, "PRAGMA synchronous = NORMAL", "setting synchronous",
                     err);
    /* 1 MiB of page cache rather than 2: a pull of 12,000 records peaks 1
     * MiB lower for the same time (the OS keeps the file in its cache) */
    if (rc == 0 && app == LDR_DB_AGENT)
        rc = ldr_db_exec(db, "PRAGMA cache_size = -1024", "setting the cache",
                         err);
    if (rc == 0)
        rc = ldr_db_exec(db, "PRAGMA foreign_keys = ON",
                         "enabling foreign keys", err);
    return rc;
}

/*
 * The first statements of a new connection can get SQLITE_BUSY without
 * the busy handler being called: SQLite's WAL documentation names the
 * moment the last connection of another process cleans up the WAL as it
 * closes, and recovery after a crash; several processes opening one new
 * database while it turns to WAL meet it too (test_db.c). So these first
 * steps are retried for up to the busy timeout. Identity comes first: a
 * foreign file must not be switched to WAL.
 */
static int first_contact(sqlite3 *db, enum ldr_db_app app, struct ldr_err *err)
{
    long long start = monotonic_ms();
    int rc, version;

    for (;;) {
        rc = check_identity(db, app, &version, err);
        if (rc == 0)
            rc = configure(db, app, err);
        if (rc != LDR_EBUSY || monotonic_ms() - start >= LDR_DB_BUSY_TIMEOUT_MS)
            return rc;
        sqlite3_sleep(5);
    }
}

int ldr_db_open(sqlite3 **out, const char *path, enum ldr_db_app app,
                struct ldr_err *err)
{
    sqlite3 *db = NULL;
    int rc;

    *out = NULL;
    if (app != LDR_DB_AGENT && app != LDR_DB_HUB)
        return ldr_err_set(err, LDR_EINVAL, "unknown database kind 0x%08x",
                           (unsigned)app);
    rc = create_private(path, err);
    if (rc == 0)
        rc = open_connection(&db, path, err);
    if (rc == 0)
        rc = first_contact(db, app, err);
    if (rc == 0 && app == LDR_DB_AGENT)
        rc = ldr_db_migrate(db, app, ldr_agent_migrations,
                            ldr_agent_migration_count, NULL, err);
    else if (rc == 0)
        rc = ldr_db_migrate(db, app, ldr_hub_migrations,
                            ldr_hub_migration_count, NULL, err);
    if (rc) {
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return 0;
}
