#ifndef LADDER_DB_H
#define LADDER_DB_H

#include <sqlite3.h>

struct ldr_err;

/*
 * SQLite databases of the agent and the hub: opened with WAL, a busy
 * timeout and foreign keys, and brought up to date by numbered migrations
 * kept in schema/agent/ and schema/hub/ and embedded at build time.
 */

struct ldr_migration {
    int version;      /* 1, 2, 3 ... the value PRAGMA user_version takes */
    const char *name; /* file name, for messages */
    const char *sql;
};

/* Which program owns a database: stored in PRAGMA application_id. */
enum ldr_db_app {
    LDR_DB_AGENT = 0x4c445241, /* "LDRA" */
    LDR_DB_HUB = 0x4c445248,   /* "LDRH" */
};

extern const struct ldr_migration ldr_agent_migrations[];
extern const int ldr_agent_migration_count;
extern const struct ldr_migration ldr_hub_migrations[];
extern const int ldr_hub_migration_count;

#define LDR_DB_BUSY_TIMEOUT_MS 5000

/*
 * Opens (creating if needed, mode 0600) the database at `path` for `app`
 * and applies the migrations it lacks, each in its own transaction.
 * Refuses a database of the other program or a file that is no ladder
 * database (LDR_EINVAL), one newer than this program (LDR_EVERSION).
 * A file that cannot be created (e.g. its directory is missing) is
 * LDR_EIO; a lock held past LDR_DB_BUSY_TIMEOUT_MS is LDR_EBUSY. The
 * connection uses WAL, synchronous=NORMAL and foreign keys, and is for one
 * thread at a time. ":memory:" opens a private in-memory database (no
 * WAL), for tests. `*out` is NULL on failure, else closed by the caller
 * with sqlite3_close().
 */
int ldr_db_open(sqlite3 **out, const char *path, enum ldr_db_app app,
                struct ldr_err *err);

/*
 * Applies `count` migrations to an open database. `steps[i].version` must
 * be i + 1. Each missing step runs in its own BEGIN IMMEDIATE transaction
 * that also sets user_version and application_id, so several processes
 * may migrate one file at once; a step's SQL must not begin or commit a
 * transaction itself. A failing step is rolled back, earlier steps stay,
 * and the message names the step's file and SQLite's error (LDR_EDB).
 * Refuses what ldr_db_open() refuses. Returns the schema version the
 * database has afterwards through `version_out` (may be NULL), also after
 * a failure (0 if the version could not be read).
 */
int ldr_db_migrate(sqlite3 *db, enum ldr_db_app app,
                   const struct ldr_migration *steps, int count,
                   int *version_out, struct ldr_err *err);

/*
 * Runs SQL with no results; a failure names `what` and SQLite's message,
 * "what: near \"x\": syntax error". LDR_EBUSY if the database stayed
 * locked past the busy timeout, LDR_EDB for other SQLite failures.
 */
int ldr_db_exec(sqlite3 *db, const char *sql, const char *what,
                struct ldr_err *err);

#endif
