#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ladder/db.h"
#include "ladder/err.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Every test gets a fresh directory under /tmp and a database path in it. */
struct fixture {
    char dir[64];
    char path[128];
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/ldr-test-db-XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/test.db", fx->dir);
    *state = fx;
    return 0;
}

/* Removes the directory and whatever the test left in it (-wal, -shm). */
static int teardown(void **state)
{
    struct fixture *fx = *state;
    char file[512];
    struct dirent *ent;
    DIR *d = opendir(fx->dir);

    while (d && (ent = readdir(d))) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        snprintf(file, sizeof file, "%s/%s", fx->dir, ent->d_name);
        if (unlink(file) != 0)
            rmdir(file);
    }
    if (d)
        closedir(d);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static int latest(enum ldr_db_app app)
{
    return app == LDR_DB_HUB ? ldr_hub_migration_count
                             : ldr_agent_migration_count;
}

/* A plain connection, as another program or a second process has. */
static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK)
        fail_msg("open '%s': %s", path, sqlite3_errmsg(db));
    sqlite3_busy_timeout(db, LDR_DB_BUSY_TIMEOUT_MS);
    return db;
}

static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = raw_open(path);

    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* The first column of the first row of `sql` as text, "" if none. */
static void query(sqlite3 *db, const char *sql, char *out, size_t size)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    snprintf(out, size, "%s",
             rc == SQLITE_ROW && sqlite3_column_text(st, 0)
                 ? (const char *)sqlite3_column_text(st, 0)
                 : "");
    sqlite3_finalize(st);
}

static int query_int(sqlite3 *db, const char *sql)
{
    char text[32];

    query(db, sql, text, sizeof text);
    return atoi(text);
}

static int path_int(const char *path, const char *sql)
{
    sqlite3 *db = raw_open(path);
    int n = query_int(db, sql);

    sqlite3_close(db);
    return n;
}

static bool has_column(sqlite3 *db, const char *table, const char *column)
{
    char sql[256];

    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'",
             table, column);
    return query_int(db, sql) == 1;
}

static bool has_table(sqlite3 *db, const char *table)
{
    char sql[256];

    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
             "AND name = '%s'",
             table);
    return query_int(db, sql) == 1;
}

static void assert_mode(const char *path, mode_t want)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    if ((st.st_mode & 0777) != want)
        fail_msg("'%s' has mode %03o, want %03o", path,
                 (unsigned)(st.st_mode & 0777), (unsigned)want);
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("\"%s\" does not contain \"%s\"", text, part);
}

/* Columns the other modules rely on, per program. */
static const struct {
    enum ldr_db_app app;
    const char *table;
    const char *column;
} expected_columns[] = {
    {LDR_DB_AGENT, "meta", "value"},
    {LDR_DB_AGENT, "records", "rev"},
    {LDR_DB_AGENT, "records", "confirmed"},
    {LDR_DB_AGENT, "records", "state"},
    {LDR_DB_AGENT, "records", "value"},
    {LDR_DB_AGENT, "records", "subject"},
    {LDR_DB_AGENT, "outbox", "seq"},
    {LDR_DB_AGENT, "outbox", "change"},
    {LDR_DB_AGENT, "outbox", "status"},
    {LDR_DB_AGENT, "outbox", "changeset"},
    {LDR_DB_AGENT, "outbox", "reject_code"},
    {LDR_DB_AGENT, "outbox", "reject_message"},
    {LDR_DB_AGENT, "conflicts", "winner_value"},
    {LDR_DB_AGENT, "conflicts", "loser_author"},
    {LDR_DB_AGENT, "conflicts", "resolved_at"},
    {LDR_DB_HUB, "meta", "value"},
    {LDR_DB_HUB, "records", "rev"},
    {LDR_DB_HUB, "records", "state"},
    {LDR_DB_HUB, "records", "unit"},
    {LDR_DB_HUB, "records", "subject"},
    {LDR_DB_HUB, "records", "private"},
    {LDR_DB_HUB, "changes", "seq"},
    {LDR_DB_HUB, "changes", "base"},
    {LDR_DB_HUB, "changes", "body"},
    {LDR_DB_HUB, "changes", "changeset"},
    {LDR_DB_HUB, "changesets", "digest"},
    {LDR_DB_HUB, "changesets", "answer"},
    {LDR_DB_HUB, "changesets", "principal"},
    {LDR_DB_HUB, "conflicts", "seq"},
    {LDR_DB_HUB, "conflicts", "loser_value"},
    {LDR_DB_HUB, "rejections", "change_index"},
    {LDR_DB_HUB, "rejections", "code"},
    {LDR_DB_HUB, "rejections", "body"},
};

static void check_new_database(const char *path, enum ldr_db_app app)
{
    struct ldr_err err = {0};
    char text[64], wal[200];
    sqlite3 *db = NULL;
    mode_t old = umask(0); /* 0600 must come from ldr_db_open, not umask */
    int rc = ldr_db_open(&db, path, app, &err);

    umask(old);
    if (rc)
        fail_msg("open: %s", err.msg);
    assert_int_equal(query_int(db, "PRAGMA user_version"), latest(app));
    assert_int_equal(query_int(db, "PRAGMA application_id"), (int)app);
    query(db, "PRAGMA journal_mode", text, sizeof text);
    assert_string_equal(text, "wal");
    assert_int_equal(query_int(db, "PRAGMA foreign_keys"), 1);
    assert_int_equal(query_int(db, "PRAGMA synchronous"), 1); /* NORMAL */
    assert_int_equal(query_int(db, "PRAGMA page_size"),
                     app == LDR_DB_HUB ? 16384 : 8192);
    assert_mode(path, 0600);
    snprintf(wal, sizeof wal, "%s-wal", path);
    assert_mode(wal, 0600);
    for (size_t i = 0; i < ARRAY_SIZE(expected_columns); i++)
        if (expected_columns[i].app == app &&
            !has_column(db, expected_columns[i].table,
                        expected_columns[i].column))
            fail_msg("no column %s.%s", expected_columns[i].table,
                     expected_columns[i].column);
    assert_int_equal(query_int(db,
                               "SELECT count(*) FROM pragma_table_list "
                               "WHERE schema = 'main' AND type = 'table' "
                               "AND name NOT LIKE 'sqlite%' AND NOT strict"),
                     0);
    sqlite3_close(db);
}

static void test_db__new_database_is_latest(void **state)
{
    struct fixture *fx = *state;
    static const enum ldr_db_app apps[] = {LDR_DB_AGENT, LDR_DB_HUB};
    char path[160];

    for (size_t i = 0; i < ARRAY_SIZE(apps); i++) {
        snprintf(path, sizeof path, "%s/new%zu.db", fx->dir, i);
        check_new_database(path, apps[i]);
    }
}

static void test_db__memory_database_is_migrated(void **state)
{
    struct ldr_err err = {0};
    sqlite3 *db = NULL;
    char mode[16];

    (void)state;
    assert_int_equal(ldr_db_open(&db, ":memory:", LDR_DB_HUB, &err), 0);
    assert_int_equal(query_int(db, "PRAGMA user_version"), latest(LDR_DB_HUB));
    query(db, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "memory");
    assert_true(has_table(db, "changes"));
    sqlite3_close(db);
}

static void test_db__reopen_changes_nothing(void **state)
{
    struct fixture *fx = *state;
    struct ldr_err err = {0};
    sqlite3 *db = NULL;
    char wal[200];
    struct stat st;
    int schema, version = -1;

    assert_int_equal(ldr_db_open(&db, fx->path, LDR_DB_AGENT, &err), 0);
    schema = query_int(db, "PRAGMA schema_version");
    sqlite3_close(db); /* the last close checkpoints and removes the WAL */

    assert_int_equal(ldr_db_open(&db, fx->path, LDR_DB_AGENT, &err), 0);
    assert_int_equal(query_int(db, "PRAGMA schema_version"), schema);
    assert_int_equal(ldr_db_migrate(db, LDR_DB_AGENT, ldr_agent_migrations,
                                    ldr_agent_migration_count, &version, &err),
                     0);
    assert_int_equal(version, ldr_agent_migration_count);
    /* Nothing was written: the WAL the reopen started is still empty. */
    snprintf(wal, sizeof wal, "%s-wal", fx->path);
    assert_true(stat(wal, &st) != 0 || st.st_size == 0);
    sqlite3_close(db);
}

static void test_db__existing_file_keeps_its_mode(void **state)
{
    struct fixture *fx = *state;
    struct ldr_err err = {0};
    sqlite3 *db = NULL;
    int fd = open(fx->path, O_CREAT | O_WRONLY, 0600);

    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, 0640), 0);
    close(fd);
    assert_int_equal(ldr_db_open(&db, fx->path, LDR_DB_AGENT, &err), 0);
    assert_int_equal(query_int(db, "PRAGMA user_version"),
                     ldr_agent_migration_count);
    sqlite3_close(db);
    assert_mode(fx->path, 0640);
}

static void test_db__missing_directory_is_io_error(void **state)
{
    struct fixture *fx = *state;
    struct ldr_err err = {0};
    sqlite3 *db = (sqlite3 *)&err; /* must be reset to NULL */
    char path[160];

    snprintf(path, sizeof path, "%s/missing/test.db", fx->dir);
    assert_int_equal(ldr_db_open(&db, path, LDR_DB_AGENT, &err), LDR_EIO);
    assert_null(db);
    assert_contains(err.msg, "cannot create database");
    assert_contains(err.msg, "create its directory first");
}

static void test_db__newer_schema_is_refused(void **state)
{
    struct fixture *fx = *state;
    static const enum ldr_db_app apps[] = {LDR_DB_AGENT, LDR_DB_HUB};
    static const char *const programs[] = {"ladder", "ladder-hub"};
    struct ldr_err err = {0};
    char path[160], sql[160], want[LDR_ERR_MSG_MAX];
    sqlite3 *db = NULL;

    for (size_t i = 0; i < ARRAY_SIZE(apps); i++) {
        int newer = latest(apps[i]) + 6;

        snprintf(path, sizeof path, "%s/newer%zu.db", fx->dir, i);
        snprintf(sql, sizeof sql,
                 "PRAGMA application_id = %d; PRAGMA user_version = %d; "
                 "CREATE TABLE later(a INTEGER) STRICT;",
                 (int)apps[i], newer);
        raw_exec(path, sql);
        assert_int_equal(ldr_db_open(&db, path, apps[i], &err), LDR_EVERSION);
        assert_null(db);
        snprintf(want, sizeof want,
                 "database '%s' has schema version %d but this %s knows only "
                 "up to %d; upgrade %s",
                 path, newer, programs[i], latest(apps[i]), programs[i]);
        assert_string_equal(err.msg, want);
        assert_int_equal(path_int(path, "PRAGMA user_version"), newer);
    }
}

static void test_db__other_program_database_is_refused(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        enum ldr_db_app made_by, opened_by;
        const char *want;
    } cases[] = {
        {LDR_DB_AGENT, LDR_DB_HUB,
         "is a ladder agent database, not a hub database"},
        {LDR_DB_HUB, LDR_DB_AGENT,
         "is a ladder hub database, not an agent database"},
    };
    struct ldr_err err = {0};
    char path[160], want[LDR_ERR_MSG_MAX];
    sqlite3 *db = NULL;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        snprintf(path, sizeof path, "%s/other%zu.db", fx->dir, i);
        assert_int_equal(ldr_db_open(&db, path, cases[i].made_by, &err), 0);
        sqlite3_close(db);
        assert_int_equal(ldr_db_open(&db, path, cases[i].opened_by, &err),
                         LDR_EINVAL);
        assert_null(db);
        snprintf(want, sizeof want, "'%s' %s", path, cases[i].want);
        assert_string_equal(err.msg, want);
    }
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_db__foreign_file_is_refused(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        const char *sql;  /* makes another program's SQLite file, or */
        const char *text; /* a file that is no database at all */
        const char *want;
    } cases[] = {
        {"PRAGMA application_id = 305419896; CREATE TABLE t(a);", NULL,
         "is not a ladder database (application_id 0x12345678)"},
        {"CREATE TABLE t(a);", NULL,
         "is not a ladder database (it has a schema"},
        {"PRAGMA user_version = 2;", NULL,
         "is not a ladder database (it has a schema"},
        {NULL, "name,level\nli.wei,3\nwang.fang,4\n",
         "is not a ladder database (file is not a database)"},
    };
    struct ldr_err err = {0};
    char path[160], mode[16];
    sqlite3 *db = NULL;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        snprintf(path, sizeof path, "%s/foreign%zu.db", fx->dir, i);
        if (cases[i].sql)
            raw_exec(path, cases[i].sql);
        else
            write_file(path, cases[i].text);
        assert_int_equal(ldr_db_open(&db, path, LDR_DB_AGENT, &err),
                         LDR_EINVAL);
        assert_null(db);
        assert_contains(err.msg, path);
        assert_contains(err.msg, cases[i].want);
        if (!cases[i].sql)
            continue;
        /* Refused before anything was changed: still not in WAL mode. */
        db = raw_open(path);
        query(db, "PRAGMA journal_mode", mode, sizeof mode);
        assert_string_equal(mode, "delete");
        sqlite3_close(db);
    }
}

static void test_db__failed_step_keeps_earlier_steps(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        int fail_at;
        const char *sql;
        const char *want;
    } cases[] = {
        {1, "CREATE TABLE partial(a INTEGER) STRICT; SELEC 1;",
         "near \"SELEC\": syntax error"},
        {2, "CREATE TABLE partial(a INTEGER) STRICT; SELEC 1;",
         "near \"SELEC\": syntax error"},
        {3,
         "CREATE TABLE partial(a INTEGER) STRICT; INSERT INTO nowhere "
         "VALUES (1);",
         "no such table: nowhere"},
    };
    static const struct ldr_migration good[] = {
        {1, "0001_one.sql", "CREATE TABLE one(a INTEGER) STRICT;"},
        {2, "0002_two.sql", "CREATE TABLE two(a INTEGER) STRICT;"},
        {3, "0003_three.sql", "CREATE TABLE three(a INTEGER) STRICT;"},
    };
    static const char *const tables[] = {"one", "two", "three"};
    struct ldr_migration steps[ARRAY_SIZE(good)];
    struct ldr_err err = {0};
    char path[160], name[32];
    sqlite3 *db;
    int version;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int at = cases[i].fail_at;

        memcpy(steps, good, sizeof steps);
        snprintf(name, sizeof name, "%04d_bad.sql", at);
        steps[at - 1].name = name;
        steps[at - 1].sql = cases[i].sql;
        snprintf(path, sizeof path, "%s/fail%d.db", fx->dir, at);
        db = raw_open(path);
        assert_int_equal(
            ldr_db_migrate(db, LDR_DB_AGENT, steps, 3, &version, &err),
            LDR_EDB);
        assert_int_equal(version, at - 1);
        assert_int_equal(query_int(db, "PRAGMA user_version"), at - 1);
        assert_int_equal(query_int(db, "PRAGMA application_id"),
                         at == 1 ? 0 : (int)LDR_DB_AGENT);
        assert_contains(err.msg, name);
        assert_contains(err.msg, cases[i].want);
        assert_false(has_table(db, "partial"));
        for (int t = 0; t < 3; t++)
            assert_int_equal(has_table(db, tables[t]), t < at - 1);
        /* The fixed list carries on from where the failure stopped. */
        assert_int_equal(
            ldr_db_migrate(db, LDR_DB_AGENT, good, 3, &version, &err), 0);
        assert_int_equal(version, 3);
        sqlite3_close(db);
    }
}

static void test_db__step_that_commits_is_refused(void **state)
{
    struct fixture *fx = *state;
    static const struct ldr_migration steps[] = {
        {1, "0001_one.sql", "CREATE TABLE one(a INTEGER) STRICT;"},
        {2, "0002_commits.sql", "CREATE TABLE two(a INTEGER) STRICT; COMMIT;"},
    };
    struct ldr_err err = {0};
    sqlite3 *db = raw_open(fx->path);
    int version = -1;

    assert_int_equal(ldr_db_migrate(db, LDR_DB_AGENT, steps, 2, &version, &err),
                     LDR_EINVAL);
    assert_contains(err.msg, "0002_commits.sql");
    assert_contains(err.msg, "ends the transaction it runs in");
    assert_int_equal(version, 1);
    assert_int_equal(query_int(db, "PRAGMA user_version"), 1);
    sqlite3_close(db);
}

static void test_db__misnumbered_steps_are_refused(void **state)
{
    struct fixture *fx = *state;
    static const struct ldr_migration steps[] = {
        {1, "0001_one.sql", "CREATE TABLE one(a INTEGER) STRICT;"},
        {3, "0003_three.sql", "CREATE TABLE three(a INTEGER) STRICT;"},
    };
    struct ldr_err err = {0};
    sqlite3 *db = raw_open(fx->path);
    int version = -1;

    assert_int_equal(ldr_db_migrate(db, LDR_DB_HUB, steps, 2, &version, &err),
                     LDR_EINVAL);
    assert_string_equal(err.msg,
                        "migration '0003_three.sql' has version 3, expected 2");
    assert_int_equal(version, 0);
    assert_false(has_table(db, "one"));
    sqlite3_close(db);
}

static void test_db__locked_database_is_busy(void **state)
{
    struct fixture *fx = *state;
    int n = ldr_agent_migration_count;
    struct ldr_migration *steps = calloc((size_t)n + 1, sizeof *steps);
    struct ldr_err err = {0};
    sqlite3 *db = NULL, *holder;
    int version;

    assert_non_null(steps);
    memcpy(steps, ldr_agent_migrations, (size_t)n * sizeof *steps);
    steps[n] = (struct ldr_migration){n + 1, "9999_extra.sql",
                                      "CREATE TABLE extra(a INTEGER) STRICT;"};
    assert_int_equal(ldr_db_open(&db, fx->path, LDR_DB_AGENT, &err), 0);
    sqlite3_busy_timeout(db, 50); /* keep the test fast */
    holder = raw_open(fx->path);
    assert_int_equal(sqlite3_exec(holder, "BEGIN IMMEDIATE", 0, 0, 0), 0);

    assert_int_equal(
        ldr_db_migrate(db, LDR_DB_AGENT, steps, n + 1, &version, &err),
        LDR_EBUSY);
    assert_int_equal(version, n);
    assert_contains(err.msg, "stayed locked past the busy timeout");
    assert_int_equal(ldr_db_exec(db, "INSERT INTO meta VALUES ('user', 'x')",
                                 "saving the user", &err),
                     LDR_EBUSY);
    assert_contains(err.msg, "saving the user: database '");

    assert_int_equal(sqlite3_exec(holder, "ROLLBACK", 0, 0, 0), 0);
    assert_int_equal(
        ldr_db_migrate(db, LDR_DB_AGENT, steps, n + 1, &version, &err), 0);
    assert_int_equal(version, n + 1);
    sqlite3_close(holder);
    sqlite3_close(db);
    free(steps);
}

static void test_db__exec_names_what_failed(void **state)
{
    static const struct {
        const char *sql, *what;
        int rc;
        const char *want;
    } cases[] = {
        {"SELECT 1", "counting", 0, ""},
        {"SELEC 1", "counting ratings", LDR_EDB,
         "counting ratings: near \"SELEC\": syntax error"},
        {"INSERT INTO meta (key, value) VALUES ('device', NULL)",
         "saving the device id", LDR_EDB,
         "saving the device id: NOT NULL constraint failed: meta.value"},
    };
    struct ldr_err err;
    sqlite3 *db = NULL;

    (void)state;
    assert_int_equal(ldr_db_open(&db, ":memory:", LDR_DB_AGENT, NULL), 0);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        ldr_err_clear(&err);
        assert_int_equal(ldr_db_exec(db, cases[i].sql, cases[i].what, &err),
                         cases[i].rc);
        assert_string_equal(err.msg, cases[i].want);
    }
    assert_int_equal(ldr_db_exec(db, "SELEC", "no err", NULL), LDR_EDB);
    sqlite3_close(db);
}

#define HLC "'1795711458123-00000'"
#define DIGEST                                                                 \
    "'" /* 64 hex digits */                                                    \
    "0123456789abcdef0123456789abcdef"                                         \
    "0123456789abcdef0123456789abcdef'"
#define CHANGE(set, i, hlc)                                                    \
    "INSERT INTO changes (kind, record, device, author, hlc, base, body, "     \
    "changeset, change_index) VALUES ('note', 'n1', 'd1', 'li.wei', " hlc      \
    ", 0, '{}', '" set "', " #i ");"
#define CHANGESET(set)                                                         \
    "INSERT INTO changesets (id, digest, principal, answer) VALUES ('" set     \
    "', " DIGEST ", 'li.wei', '{}');"
#define OUTBOX(cols, vals)                                                     \
    "INSERT INTO outbox (kind, record, hlc, change" cols ") VALUES ('note', "  \
    "'n1', " HLC ", '{}'" vals ");"
#define CONFLICT(cols, vals)                                                   \
    "INSERT INTO conflicts (" cols "kind, record, path, winner_value, "        \
    "winner_hlc, winner_device, winner_author, loser_value, loser_hlc, "       \
    "loser_device, loser_author) VALUES (" vals "'note', 'n1', '/text', "      \
    "'\"b\"', " HLC ", 'd2', 'wang.fang', NULL, " HLC ", 'd1', 'li.wei');"

/* Statements run in order on one fresh database of each program. */
static const struct {
    enum ldr_db_app app;
    const char *sql;
    int rc;
} schema_cases[] = {
    {LDR_DB_AGENT,
     "INSERT INTO records (kind, id, state, value) "
     "VALUES ('note', 'n1', '{}', '{}');",
     0},
    {LDR_DB_AGENT,
     "INSERT INTO records (kind, id, rev, state, value) "
     "VALUES ('note', 'n2', -1, '{}', '{}');",
     LDR_EDB},
    {LDR_DB_AGENT, "INSERT INTO meta VALUES ('cursor', 'x', 1);", LDR_EDB},
    {LDR_DB_AGENT, "INSERT INTO meta VALUES ('cursor', 42);", 0},
    {LDR_DB_AGENT, OUTBOX("", ""), 0},
    {LDR_DB_AGENT, OUTBOX(", status", ", 'lost'"), LDR_EDB},
    {LDR_DB_AGENT, OUTBOX(", status", ", 'sent'"), LDR_EDB},
    {LDR_DB_AGENT, OUTBOX(", status, changeset", ", 'sent', 'cs1'"), 0},
    {LDR_DB_AGENT, OUTBOX(", status, changeset", ", 'rejected', 'cs1'"),
     LDR_EDB},
    {LDR_DB_AGENT,
     OUTBOX(", status, changeset, reject_code, reject_message",
            ", 'rejected', 'cs1', 'scope', 'not your team'"),
     0},
    {LDR_DB_AGENT, CONFLICT("", ""), 0},
    {LDR_DB_AGENT, CONFLICT("", ""), LDR_EDB}, /* recorded once */
    {LDR_DB_HUB, "BEGIN; " CHANGE("cs1", 0, HLC) CHANGESET("cs1") "COMMIT;", 0},
    {LDR_DB_HUB, "BEGIN; " CHANGE("nowhere", 0, "'x'") "COMMIT;", LDR_EDB},
    {LDR_DB_HUB, "BEGIN; " CHANGE("nowhere", 0, HLC) "COMMIT;", LDR_EDB},
    {LDR_DB_HUB, "BEGIN; " CHANGE("cs2", 0, HLC) CHANGESET("cs2") "COMMIT;",
     LDR_EDB}, /* the same change logged twice */
    {LDR_DB_HUB, CONFLICT("seq, ", "99, "), LDR_EDB}, /* no change 99 */
    {LDR_DB_HUB, CONFLICT("seq, ", "1, "), 0},
};

static void test_db__schema_keeps_invariants(void **state)
{
    struct ldr_err err;
    sqlite3 *db[2] = {NULL, NULL};

    (void)state;
    assert_int_equal(ldr_db_open(&db[0], ":memory:", LDR_DB_AGENT, NULL), 0);
    assert_int_equal(ldr_db_open(&db[1], ":memory:", LDR_DB_HUB, NULL), 0);
    for (size_t i = 0; i < ARRAY_SIZE(schema_cases); i++) {
        sqlite3 *d = db[schema_cases[i].app == LDR_DB_HUB];
        int rc = ldr_db_exec(d, schema_cases[i].sql, "case", &err);

        if (rc != schema_cases[i].rc)
            fail_msg("case %zu: got %d (%s), want %d", i, rc,
                     rc ? err.msg : "ok", schema_cases[i].rc);
        if (!sqlite3_get_autocommit(d))
            sqlite3_exec(d, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_close(db[0]);
    sqlite3_close(db[1]);
}

/*
 * Forks `n` children that wait on a pipe, so that they all start at once,
 * then run `child(path, arg)`, whose result is their exit status.
 */
static void run_together(int n, int (*child)(const char *, int),
                         const char *path, int arg)
{
    int gate[2], status;
    pid_t pids[8];
    char c;

    assert_true(n <= (int)ARRAY_SIZE(pids));
    assert_int_equal(pipe(gate), 0);
    for (int i = 0; i < n; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            close(gate[1]);
            while (read(gate[0], &c, 1) > 0)
                ;
            _exit(child(path, arg));
        }
    }
    close(gate[0]);
    close(gate[1]); /* opens the gate: every child's read returns 0 */
    for (int i = 0; i < n; i++) {
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
}

static int child_open(const char *path, int app)
{
    struct ldr_err err = {0};
    sqlite3 *db = NULL;

    if (ldr_db_open(&db, path, (enum ldr_db_app)app, &err) != 0) {
        fprintf(stderr, "child %d: %s\n", (int)getpid(), err.msg);
        return 1;
    }
    sqlite3_close(db);
    return 0;
}

static void test_db__concurrent_opens_agree(void **state)
{
    struct fixture *fx = *state;
    static const enum ldr_db_app apps[] = {LDR_DB_AGENT, LDR_DB_HUB};
    struct ldr_err err = {0};
    char path[160], ok[16];
    sqlite3 *db = NULL;

    for (size_t i = 0; i < ARRAY_SIZE(apps); i++) {
        snprintf(path, sizeof path, "%s/together%zu.db", fx->dir, i);
        run_together(4, child_open, path, (int)apps[i]);
        assert_int_equal(ldr_db_open(&db, path, apps[i], &err), 0);
        assert_int_equal(query_int(db, "PRAGMA user_version"), latest(apps[i]));
        query(db, "PRAGMA integrity_check", ok, sizeof ok);
        assert_string_equal(ok, "ok");
        sqlite3_close(db);
        assert_mode(path, 0600);
    }
}

/*
 * Many small steps, each of which fails if applied twice (CREATE TABLE)
 * and logs itself, so that interleaved migrators are caught.
 */
#define MANY_STEPS 40

struct many_steps {
    struct ldr_migration steps[MANY_STEPS];
    char names[MANY_STEPS][32];
    char sql[MANY_STEPS][192];
};

static void many_steps_init(struct many_steps *m)
{
    for (int i = 0; i < MANY_STEPS; i++) {
        snprintf(m->names[i], sizeof m->names[i], "%04d_t%d.sql", i + 1, i);
        snprintf(m->sql[i], sizeof m->sql[i],
                 "%sCREATE TABLE t%d (a INTEGER) STRICT; "
                 "INSERT INTO log VALUES (%d, %d);",
                 i == 0 ? "CREATE TABLE log (step INTEGER, pid INTEGER);" : "",
                 i, i + 1, (int)getpid());
        m->steps[i] = (struct ldr_migration){i + 1, m->names[i], m->sql[i]};
    }
}

static int child_migrate(const char *path, int wal)
{
    struct ldr_err err = {0};
    struct many_steps m;
    sqlite3 *db = NULL;
    int rc, version = 0;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK)
        return 2;
    sqlite3_busy_timeout(db, LDR_DB_BUSY_TIMEOUT_MS);
    if (wal)
        sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
    many_steps_init(&m);
    rc = ldr_db_migrate(db, LDR_DB_HUB, m.steps, MANY_STEPS, &version, &err);
    if (rc || version != MANY_STEPS)
        fprintf(stderr, "child %d: version %d: %s\n", (int)getpid(), version,
                err.msg);
    sqlite3_close(db);
    return rc ? 1 : 0;
}

static void test_db__concurrent_migrations_apply_each_step_once(void **state)
{
    struct fixture *fx = *state;
    char path[160];
    sqlite3 *db;

    for (int wal = 0; wal <= 1; wal++) {
        snprintf(path, sizeof path, "%s/steps%d.db", fx->dir, wal);
        run_together(3, child_migrate, path, wal);
        db = raw_open(path);
        assert_int_equal(query_int(db, "PRAGMA user_version"), MANY_STEPS);
        assert_int_equal(query_int(db, "PRAGMA application_id"),
                         (int)LDR_DB_HUB);
        assert_int_equal(query_int(db, "SELECT count(*) FROM log"), MANY_STEPS);
        assert_int_equal(query_int(db, "SELECT count(DISTINCT step) FROM log"),
                         MANY_STEPS);
        sqlite3_close(db);
    }
}

/*
 * A new in-memory database of `app` migrated to `version`, with `rows`
 * (SQL) run on it, then migrated to the latest version: the way a step
 * meets data written before it. Foreign keys are on, as ldr_db_open()
 * sets them.
 */
static sqlite3 *migrated_with(enum ldr_db_app app, int version,
                              const char *rows)
{
    const struct ldr_migration *steps =
        app == LDR_DB_HUB ? ldr_hub_migrations : ldr_agent_migrations;
    struct ldr_err err = {0};
    sqlite3 *db = NULL;
    int at = 0;

    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL),
        SQLITE_OK);
    if (ldr_db_migrate(db, app, steps, version, &at, &err) != 0 ||
        ldr_db_exec(db, rows, "rows written before the step", &err) != 0 ||
        ldr_db_migrate(db, app, steps, latest(app), &at, &err) != 0)
        fail_msg("%s", err.msg);
    return db;
}

/* Hub migration 4 keeps of each record's value the fields scope checks
 * read, for the kinds they apply to, and drops the value. */
static void test_db__hub_scope_columns_from_values(void **state)
{
    sqlite3 *db =
        migrated_with(LDR_DB_HUB, 3,
                      "INSERT INTO records (kind, id, rev, state, value) VALUES"
                      " ('person', 'p', 1, '{}', '{\"unit\":\"north\"}'),"
                      " ('assessment', 'a', 2, '{}', '{\"subject\":\"e1\","
                      "\"unit\":\"x\"}'),"
                      " ('note', 'n', 3, '{}', '{\"subject\":\"e1\","
                      "\"author\":\"m1\",\"private\":true}'),"
                      " ('note', 'o', 4, '{}', '{\"subject\":\"e2\","
                      "\"private\":false}'),"
                      " ('pilot', 'q', 5, '{}', '{\"subject\":\"e3\"}')");
    char text[128];

    (void)state;
    assert_false(has_column(db, "records", "value"));
    query(db,
          "SELECT group_concat(kind || ':' || ifnull(unit, '-') || ':' || "
          "ifnull(subject, '-') || ':' || ifnull(author, '-') || ':' || "
          "private, ' ') FROM (SELECT * FROM records ORDER BY rev)",
          text, sizeof text);
    assert_string_equal(text, "person:north:-:-:0 assessment:-:e1:-:0 "
                              "note:-:e1:m1:1 note:-:e2:-:0 pilot:-:-:-:0");
    sqlite3_close(db);
}

/* Agent migration 4: a confirmed state equal to the state is dropped
 * (NULL beside a revision); a different one, or a record never
 * confirmed, stays as it was. */
static void test_db__agent_confirmed_equal_to_state_is_dropped(void **state)
{
    sqlite3 *db = migrated_with(
        LDR_DB_AGENT, 3,
        "INSERT INTO records (kind, id, rev, confirmed, state, value) VALUES"
        " ('note', 'a', 4, '{\"x\":1}', '{\"x\":1}', '{}'),"
        " ('note', 'b', 5, '{\"x\":1}', '{\"x\":2}', '{}'),"
        " ('note', 'c', 0, NULL, '{\"x\":3}', '{}')");
    char text[128];

    (void)state;
    query(db,
          "SELECT group_concat(id || ':' || rev || ':' || "
          "ifnull(confirmed, '-'), ' ') FROM (SELECT * FROM records ORDER BY "
          "id)",
          text, sizeof text);
    assert_string_equal(text, "a:4:- b:5:{\"x\":1} c:0:-");
    sqlite3_close(db);
}

/* Hub migration 6 rebuilds the log and the records, which the conflict
 * journal points to, on a connection with foreign keys on: every row, the
 * log's sequence and the journal's link stay, and foreign keys are on
 * again afterwards. */
static void test_db__hub_rebuilt_log_keeps_rows_and_links(void **state)
{
    static const char rows[] = "BEGIN; " CHANGE("cs1", 0, HLC) CHANGESET("cs1")
        CONFLICT("seq, ", "1, ") "COMMIT; UPDATE sqlite_sequence SET seq = 40 "
                                 "WHERE name = 'changes'; "
                                 "INSERT INTO records (kind, id, rev, state, "
                                 "unit) VALUES ('person', "
                                 "'p1', 1, '{\"unit\":\"north\"}', 'north')";
    sqlite3 *db = migrated_with(LDR_DB_HUB, 5, rows);
    struct ldr_err err = {0};
    char text[160];

    (void)state;
    query(db,
          "SELECT group_concat(x, ' ') FROM (SELECT seq || ':' || record || "
          "':' || changeset AS x FROM changes UNION ALL SELECT id || ':' || "
          "unit || ':' || state FROM records UNION ALL SELECT seq || ':' || "
          "path FROM conflicts)",
          text, sizeof text);
    assert_string_equal(text, "1:n1:cs1 p1:north:{\"unit\":\"north\"} 1:/text");
    assert_int_equal(query_int(db, "PRAGMA foreign_keys"), 1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE "
                                   "name LIKE '%_new'"),
                     0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE "
                                   "name = 'records_rev'"),
                     1);
    assert_int_equal(ldr_db_exec(db, "BEGIN; " CHANGE("cs2", 0, "'2'") "COMMIT",
                                 "a change after", &err),
                     LDR_EDB); /* hlc checked still */
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    assert_int_equal(ldr_db_exec(db,
                                 "INSERT INTO changes (kind, record, device, "
                                 "author, hlc, base, body, changeset, "
                                 "change_index) VALUES ('note', 'n2', 'd1', "
                                 "'li.wei', " HLC ", 0, '{}', 'cs1', 1)",
                                 "a change after", &err),
                     0);
    assert_int_equal(query_int(db, "SELECT max(seq) FROM changes"), 41);
    assert_int_equal(
        ldr_db_exec(db, "DELETE FROM conflicts; " CONFLICT("seq, ", "99, "),
                    "a conflict", &err),
        LDR_EDB); /* the journal still points at the log */
    assert_non_null(strstr(err.msg, "FOREIGN KEY"));
    sqlite3_close(db);
}

/* Agent migration 5 keeps every record and fills its subject column from
 * the value's /subject when that is text; the index by subject reads it. */
static void test_db__agent_subject_column_from_values(void **state)
{
    sqlite3 *db = migrated_with(
        LDR_DB_AGENT, 4,
        "INSERT INTO records (kind, id, rev, confirmed, state, value) VALUES"
        " ('assessment', 'a', 4, NULL, '{\"x\":1}', "
        "'{\"subject\":\"e1\"}'),"
        " ('note', 'b', 0, '{}', '{\"x\":2}', '{\"subject\":7}'),"
        " ('person', 'c', 5, NULL, '{\"x\":3}', '{\"unit\":\"north\"}')");
    char text[160];

    (void)state;
    query(db,
          "SELECT group_concat(id || ':' || rev || ':' || ifnull(confirmed, "
          "'-') || ':' || state || ':' || ifnull(subject, '-'), ' ') FROM "
          "(SELECT * FROM records ORDER BY id)",
          text, sizeof text);
    assert_string_equal(text, "a:4:-:{\"x\":1}:e1 b:0:{}:{\"x\":2}:- "
                              "c:5:-:{\"x\":3}:-");
    query(db, "SELECT sql FROM sqlite_master WHERE name = 'records_subject'",
          text, sizeof text);
    assert_string_equal(text, "CREATE INDEX records_subject ON records (kind, "
                              "subject)");
    sqlite3_close(db);
}

#define DB_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        DB_TEST(test_db__new_database_is_latest),
        DB_TEST(test_db__memory_database_is_migrated),
        DB_TEST(test_db__reopen_changes_nothing),
        DB_TEST(test_db__existing_file_keeps_its_mode),
        DB_TEST(test_db__missing_directory_is_io_error),
        DB_TEST(test_db__newer_schema_is_refused),
        DB_TEST(test_db__other_program_database_is_refused),
        DB_TEST(test_db__foreign_file_is_refused),
        DB_TEST(test_db__failed_step_keeps_earlier_steps),
        DB_TEST(test_db__step_that_commits_is_refused),
        DB_TEST(test_db__misnumbered_steps_are_refused),
        DB_TEST(test_db__locked_database_is_busy),
        DB_TEST(test_db__exec_names_what_failed),
        DB_TEST(test_db__schema_keeps_invariants),
        DB_TEST(test_db__concurrent_opens_agree),
        DB_TEST(test_db__concurrent_migrations_apply_each_step_once),
        DB_TEST(test_db__hub_scope_columns_from_values),
        DB_TEST(test_db__agent_confirmed_equal_to_state_is_dropped),
        DB_TEST(test_db__hub_rebuilt_log_keeps_rows_and_links),
        DB_TEST(test_db__agent_subject_column_from_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
