#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ladder/db.h"
#include "ladder/domain.h"
#include "ladder/err.h"
#include "ladder/record.h"

/* ---- where the database is -------------------------------------------- */

static int join(char out[STORE_PATH_MAX], const char *a, const char *b,
                struct ldr_err *err)
{
    int n = snprintf(out, STORE_PATH_MAX, "%s%s", a, b);

    if (n < 0 || n >= STORE_PATH_MAX)
        return ldr_err_set(err, LDR_EINVAL, "database path too long: %s%s", a,
                           b);
    return 0;
}

int store_path(char out[STORE_PATH_MAX], const char *opt, struct ldr_err *err)
{
    const char *env = getenv("LADDER_DB");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");

    if (opt && *opt)
        return join(out, opt, "", err);
    if (env && *env)
        return join(out, env, "", err);
    if (xdg && *xdg == '/')
        return join(out, xdg, "/ladder/ladder.db", err);
    if (home && *home)
        return join(out, home, "/.local/share/ladder/ladder.db", err);
    return ldr_err_set(err, LDR_EINVAL,
                       "no database path: give --db PATH or set LADDER_DB "
                       "(HOME is not set)");
}

/* Creates the missing directories above `path`; the last one 0700, since
 * the database holds personal data about employees. */
static int make_parent(const char *path, struct ldr_err *err)
{
    char dir[STORE_PATH_MAX];
    char *slash;

    snprintf(dir, sizeof dir, "%s", path);
    slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            return ldr_err_set(err, LDR_EIO, "cannot create directory %s: %s",
                               dir, strerror(errno));
        *p = '/';
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return ldr_err_set(err, LDR_EIO, "cannot create directory %s: %s", dir,
                           strerror(errno));
    return 0;
}

/* ---- meta ---------------------------------------------------------------- */

char *store_meta(struct store *s, const char *key)
{
    sqlite3_stmt *st = store_stmt(s, "SELECT value FROM meta WHERE key = ?");
    char *value = NULL;

    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        value = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return value;
}

static int db_fail(struct store *s, const char *what, struct ldr_err *err)
{
    int code = sqlite3_errcode(s->db);

    return ldr_err_set(
        err, code == SQLITE_BUSY || code == SQLITE_LOCKED ? LDR_EBUSY : LDR_EDB,
        "%s: %s", what, sqlite3_errmsg(s->db));
}

sqlite3_stmt *store_stmt(struct store *s, const char *sql)
{
    size_t i;

    for (i = 0; i < STORE_STMTS && s->stmts[i].sql; i++)
        if (s->stmts[i].sql == sql) {
            sqlite3_reset(s->stmts[i].st);
            sqlite3_clear_bindings(s->stmts[i].st);
            return s->stmts[i].st;
        }
    if (i == STORE_STMTS)
        return NULL; /* a new statement here wants a bigger cache */
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                           &s->stmts[i].st, NULL) != SQLITE_OK)
        return NULL;
    s->stmts[i].sql = sql;
    return s->stmts[i].st;
}

int store_set_meta(struct store *s, const char *key, const char *value,
                   struct ldr_err *err)
{
    sqlite3_stmt *st = store_stmt(s, "INSERT INTO meta (key, value) VALUES "
                                     "(?, ?) ON CONFLICT (key) DO UPDATE SET "
                                     "value = excluded.value");
    int rc;

    if (!st)
        return db_fail(s, "saving settings", err);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_fail(s, "saving settings", err);
}

/* ---- open, create, close ---------------------------------------------- */

static int load_identity(struct store *s, struct ldr_err *err)
{
    char *device = store_meta(s, "device"), *user = store_meta(s, "user");
    int rc = 0;

    if (!device || !user || !ldr_uuid_valid(device) ||
        strlen(user) > LDR_AUTHOR_MAX)
        rc = ldr_err_set(err, LDR_EINVAL,
                         "%s has no device id or user: it was not made by "
                         "'ladder init'",
                         s->path);
    else {
        snprintf(s->device, sizeof s->device, "%s", device);
        snprintf(s->user, sizeof s->user, "%s", user);
    }
    free(device);
    free(user);
    return rc;
}

static int open_db(struct store *s, const char *path, struct ldr_err *err)
{
    int rc;

    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    ldr_clock_init(&s->clock);
    rc = ldr_db_open(&s->db, path, LDR_DB_AGENT, err);
    return rc;
}

int store_open(struct store *s, const char *path, struct ldr_err *err)
{
    int rc;

    if (access(path, F_OK) != 0) {
        memset(s, 0, sizeof *s);
        return ldr_err_set(err, LDR_ENOTFOUND,
                           "no ladder database at %s: run 'ladder init --user "
                           "ID' first (or point --db or LADDER_DB at yours)",
                           path);
    }
    rc = open_db(s, path, err);
    if (rc == 0)
        rc = load_identity(s, err);
    if (rc)
        store_close(s);
    return rc;
}

static int first_init(struct store *s, const char *user, struct ldr_err *err)
{
    char device[LDR_UUID_LEN + 1];
    int rc = ldr_uuid_v7(device, err);

    if (rc == 0)
        rc = store_begin(s, err);
    if (rc)
        return rc;
    rc = store_set_meta(s, "device", device, err);
    if (rc == 0)
        rc = store_set_meta(s, "user", user, err);
    if (rc == 0)
        rc = store_commit(s, err);
    if (rc)
        store_rollback(s);
    return rc;
}

int store_create(struct store *s, const char *path, const char *user,
                 struct ldr_err *err)
{
    char *existing;
    int rc = make_parent(path, err);

    if (rc == 0)
        rc = open_db(s, path, err);
    if (rc)
        return rc;
    existing = store_meta(s, "user");
    if (!existing)
        rc = first_init(s, user, err);
    else if (strcmp(existing, user) != 0)
        rc = ldr_err_set(err, LDR_EINVAL,
                         "%s is already set up for user '%s': use another "
                         "--db for '%s'",
                         path, existing, user);
    free(existing);
    if (rc == 0)
        rc = load_identity(s, err);
    if (rc)
        store_close(s);
    return rc;
}

struct cached_model {
    char id[128];
    char version[41];
    struct ldr_model *model;
};

void store_close(struct store *s)
{
    struct cached_model *cache = s->models;

    for (size_t i = 0; i < s->nmodels; i++)
        ldr_model_free(cache[i].model);
    free(cache);
    if (s->in_tx)
        store_rollback(s);
    for (size_t i = 0; i < STORE_STMTS; i++)
        sqlite3_finalize(s->stmts[i].st);
    sqlite3_close(s->db);
    memset(s, 0, sizeof *s);
}

/* ---- transactions -------------------------------------------------------- */

int store_begin(struct store *s, struct ldr_err *err)
{
    char *clock;
    int rc = ldr_db_exec(s->db, "BEGIN IMMEDIATE", "starting a write", err);

    if (rc)
        return rc;
    s->in_tx = true;
    s->pin_noted[0] = '\0';
    store_now(s->tx_time);
    clock = store_meta(s, "clock");
    if (clock && ldr_hlc_parse(&s->clock.last, clock, err) != 0) {
        free(clock);
        store_rollback(s);
        return ldr_err_set(err, LDR_EINVAL,
                           "the saved clock of %s is damaged: %s", s->path,
                           err->msg);
    }
    free(clock);
    return 0;
}

int store_commit(struct store *s, struct ldr_err *err)
{
    char text[LDR_HLC_TEXT_LEN + 1];
    int rc;

    ldr_hlc_format(text, s->clock.last);
    rc = store_set_meta(s, "clock", text, err);
    if (rc == 0)
        rc = ldr_db_exec(s->db, "COMMIT", "saving", err);
    if (rc == 0)
        s->in_tx = false;
    return rc;
}

void store_rollback(struct store *s)
{
    struct ldr_err ignored = {0};

    if (s->in_tx)
        ldr_db_exec(s->db, "ROLLBACK", "undoing", &ignored);
    s->in_tx = false;
    s->pin_noted[0] = '\0';
}

/* ---- models -------------------------------------------------------------- */

int store_model_put(struct store *s, const struct ldr_model *model,
                    char version[41], bool *added, struct ldr_err *err)
{
    return store_model_save(s, model, false, version, added, err);
}

/*
 * The latest version of a model is its newest row, so the hub's latest is
 * moved to the end: a version fetched for old records never becomes the
 * default for new assessments.
 */
int store_model_promote(struct store *s, const char *id, const char *version,
                        bool *have, struct ldr_err *err)
{
    sqlite3_stmt *st = store_stmt(
        s, "UPDATE models SET rowid = (SELECT max(rowid) + 1 FROM models) "
           "WHERE id = ?1 AND version = ?2 AND rowid < (SELECT max(rowid) "
           "FROM models WHERE id = ?1) RETURNING 1");
    int rc;

    if (!st)
        return db_fail(s, "reading the models", err);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_fail(s, "saving the model", err);
    st = store_stmt(s, "SELECT 1 FROM models WHERE id = ? AND version = ?");
    if (!st)
        return db_fail(s, "reading the models", err);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    *have = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return 0;
}

int store_model_save(struct store *s, const struct ldr_model *model,
                     bool from_hub, char version[41], bool *added,
                     struct ldr_err *err)
{
    size_t len = 0;
    char *text = ldr_model_dump(model, &len);
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (!text)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    ldr_model_version(version, text, len);
    st = store_stmt(s, "INSERT OR IGNORE INTO models (id, version, title, "
                       "body, source) VALUES (?, ?, ?, ?, ?)");
    if (st) {
        sqlite3_bind_text(st, 1, model->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, model->title, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, text, (int)len, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, from_hub ? "hub" : "file", -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
    }
    free(text);
    if (!st || rc != SQLITE_DONE)
        return db_fail(s, "saving the model", err);
    *added = sqlite3_changes(s->db) > 0;
    return 0;
}

/* The body and full version of `id` at `version` (a full id or a prefix of
 * at least 4 hex digits), or of its latest version when NULL. */
static int find_model_row(struct store *s, const char *id, const char *version,
                          char **body, char version_out[41],
                          struct ldr_err *err)
{
    sqlite3_stmt *st;
    int rc, rows = 0;

    if (version && (strlen(version) < 4 || strlen(version) > 40 ||
                    strspn(version, "0123456789abcdef") != strlen(version)))
        return ldr_err_set(err, LDR_EINVAL,
                           "model version '%s': expected 4 to 40 lowercase "
                           "hex digits of a version id",
                           version);
    rc = sqlite3_prepare_v2(
        s->db,
        version ? "SELECT body, version FROM models WHERE id = ?1 AND "
                  "substr(version, 1, length(?2)) = ?2 LIMIT 2"
                : "SELECT body, version FROM models WHERE id = ?1 "
                  "ORDER BY rowid DESC LIMIT 1",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, "reading models", err);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (version)
        sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && ++rows == 1) {
        *body = strdup((const char *)sqlite3_column_text(st, 0));
        snprintf(version_out, 41, "%s", sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    if (rows == 0)
        return ldr_err_set(
            err, LDR_ENOTFOUND,
            version ? "model '%s' version %s is not on this laptop: import "
                      "it with 'ladder model import FILE'"
                    : "model '%s' is not on this laptop: import it with "
                      "'ladder model import FILE'%s",
            id, version ? version : "");
    if (rows > 1) {
        free(*body);
        *body = NULL;
        return ldr_err_set(err, LDR_EINVAL,
                           "model '%s' version '%s' is ambiguous: give more "
                           "digits",
                           id, version);
    }
    return *body ? 0 : ldr_err_set(err, LDR_ENOMEM, "out of memory");
}

int store_model_get(struct store *s, const char *id, const char *version,
                    struct ldr_model **out, char version_out[41],
                    struct ldr_err *err)
{
    char *body = NULL;
    int rc = find_model_row(s, id, version, &body, version_out, err);

    *out = NULL;
    if (rc)
        return rc;
    rc = ldr_model_parse(out, body, strlen(body), NULL, err);
    free(body);
    if (rc)
        return ldr_err_set(err, rc,
                           "stored model '%s' version %s does not load: %s", id,
                           version_out, err->msg);
    return 0;
}

/* A model version kept open for the rest of the process: domain checks
 * look the same version up once per write. */
static const struct ldr_model *cached_model(void *ctx, const char *id,
                                            const char *version)
{
    struct store *s = ctx;
    struct cached_model *cache = s->models, *grown;
    struct ldr_model *model;
    struct ldr_err ignored = {0};
    char full[41];

    for (size_t i = 0; i < s->nmodels; i++)
        if (strcmp(cache[i].id, id) == 0 &&
            strcmp(cache[i].version, version) == 0)
            return cache[i].model;
    if (strlen(version) != 40 || strlen(id) >= sizeof cache->id ||
        store_model_get(s, id, version, &model, full, &ignored) != 0)
        return NULL;
    grown = realloc(cache, (s->nmodels + 1) * sizeof *grown);
    if (!grown) {
        ldr_model_free(model);
        return NULL;
    }
    s->models = grown;
    snprintf(grown[s->nmodels].id, sizeof grown->id, "%s", id);
    snprintf(grown[s->nmodels].version, sizeof grown->version, "%s", full);
    grown[s->nmodels].model = model;
    return grown[s->nmodels++].model;
}

const struct ldr_model *store_model_cached(struct store *s, const char *id,
                                           const char *version)
{
    return cached_model(s, id, version);
}

/* ---- records ------------------------------------------------------------- */

static bool person_on_roster(void *ctx, const char *person)
{
    struct store *s = ctx;
    char id[LDR_UUID_LEN + 1];

    ldr_domain_person_record(id, person);
    return store_get(s, "person", id, NULL, NULL, NULL) == 0;
}

int store_get(struct store *s, const char *kind, const char *id, json_t **value,
              struct ldr_record *state, struct ldr_err *err)
{
    struct ldr_err local = {0};
    sqlite3_stmt *st = store_stmt(s, "SELECT value, state FROM records "
                                     "WHERE kind = ? AND id = ?");
    int rc;

    if (!err)
        err = &local;
    if (state)
        ldr_record_init(state, kind, id);
    if (!st)
        return db_fail(s, "reading a record", err);
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? LDR_ENOTFOUND
                                 : db_fail(s, "reading a record", err);
    }
    rc = 0;
    if (value && !(*value = json_loads((const char *)sqlite3_column_text(st, 0),
                                       0, NULL)))
        rc = ldr_err_set(err, LDR_EDB, "record %s/%s: damaged value", kind, id);
    if (rc == 0 && state &&
        ldr_record_parse(state, (const char *)sqlite3_column_text(st, 1),
                         (size_t)sqlite3_column_bytes(st, 1), NULL, err) != 0)
        rc = ldr_err_set(err, LDR_EDB, "record %s/%s: damaged state", kind, id);
    sqlite3_reset(st);
    if (rc && value) {
        json_decref(*value);
        *value = NULL;
    }
    return rc;
}

/* The change document for `set` and `unset`, parsed back through the
 * codec so that it meets every limit the hub will apply. */
static int make_change(struct ldr_change *out, const struct store *s,
                       const char *kind, const char *id, struct ldr_hlc stamp,
                       uint64_t base, json_t *set, const char *const *unset,
                       size_t nunset, struct ldr_err *err)
{
    char hlc[LDR_HLC_TEXT_LEN + 1];
    json_t *doc, *gone = json_array();
    int rc;

    ldr_hlc_format(hlc, stamp);
    for (size_t i = 0; i < nunset; i++)
        json_array_append_new(gone, json_string(unset[i]));
    doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o}", "kind", kind,
                    "record", id, "hlc", hlc, "device", s->device, "author",
                    s->user, "base", (json_int_t)base, "set",
                    set ? json_incref(set) : json_object(), "unset", gone);
    if (!doc)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    if (nunset == 0)
        json_object_del(doc, "unset");
    rc = ldr_change_from_json(out, doc, 0, NULL, err);
    json_decref(doc);
    return rc;
}

/* A confirmed state kept as the state's (NULL beside a revision, see
 * agent/sync.c) is written out before the state moves on. */
static const char UPDATE_RECORD[] =
    "UPDATE records SET confirmed = CASE WHEN confirmed IS NULL AND rev > 0 "
    "THEN state ELSE confirmed END, state = ?3, value = ?4, subject = ?5, "
    "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE kind = ?1 AND "
    "id = ?2";
static const char INSERT_RECORD[] = "INSERT INTO records (kind, id, state, "
                                    "value, subject) VALUES (?1, ?2, ?3, ?4, "
                                    "?5)";

static int save_record(struct store *s, const struct ldr_record *rec,
                       const json_t *value, bool exists, struct ldr_err *err)
{
    char *state = ldr_record_dump(rec, NULL);
    char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
    sqlite3_stmt *st = NULL;
    int rc = SQLITE_NOMEM;

    if (state && text)
        st = store_stmt(s, exists ? UPDATE_RECORD : INSERT_RECORD);
    if (state && text)
        rc = st ? SQLITE_OK : SQLITE_ERROR;
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, rec->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, rec->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5,
                          json_string_value(json_object_get(value, "subject")),
                          -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
    }
    free(state);
    free(text);
    if (rc == SQLITE_NOMEM)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    return rc == SQLITE_DONE ? 0 : db_fail(s, "saving a record", err);
}

static const char ADD_OUTBOX[] =
    "INSERT INTO outbox (kind, record, hlc, change) VALUES (?1, ?2, ?3, ?4)";
static const char JOIN_OUTBOX[] = "UPDATE outbox SET hlc = ?3, change = ?4 "
                                  "WHERE seq = ?5 AND status = 'pending'";

/* `ch` as a new outbox row, or in place of pending row `joined`. */
static int save_outbox(struct store *s, sqlite3_int64 joined,
                       const struct ldr_change *ch, struct ldr_err *err)
{
    char *text = ldr_change_dump(ch, NULL);
    char hlc[LDR_HLC_TEXT_LEN + 1];
    sqlite3_stmt *st =
        text ? store_stmt(s, joined ? JOIN_OUTBOX : ADD_OUTBOX) : NULL;
    int rc = !text ? SQLITE_NOMEM : st ? SQLITE_OK : SQLITE_ERROR;

    ldr_hlc_format(hlc, ch->hlc);
    if (rc == SQLITE_OK) {
        if (!joined) {
            sqlite3_bind_text(st, 1, ch->kind, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, ch->record, -1, SQLITE_STATIC);
        }
        sqlite3_bind_text(st, 3, hlc, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
        if (joined)
            sqlite3_bind_int64(st, 5, joined);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
    }
    free(text);
    if (rc == SQLITE_NOMEM)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    if (rc == SQLITE_DONE && (!joined || sqlite3_changes(s->db) == 1))
        return 0;
    return db_fail(
        s, joined ? "joining a change to the outbox" : "adding to the outbox",
        err);
}

/*
 * The outbox's last change, when it is still pending, for the same record
 * by the same author from the same base: a later write of the same session
 * joins it (docs/sync.md, "One change per record and sitting").
 * Returns its seq with the change in *tail, or 0 when there is none.
 */
static sqlite3_int64 pending_tail(struct store *s, const struct ldr_change *ch,
                                  struct ldr_change *tail)
{
    sqlite3_stmt *st = store_stmt(s, "SELECT seq, change FROM outbox WHERE "
                                     "status = 'pending' AND seq = (SELECT "
                                     "max(seq) FROM outbox) AND kind = ? AND "
                                     "record = ?");
    sqlite3_int64 seq = 0;
    struct ldr_err ignored = {0};

    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, ch->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ch->record, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW &&
        ldr_change_parse(tail, (const char *)sqlite3_column_text(st, 1),
                         (size_t)sqlite3_column_bytes(st, 1), 0, NULL,
                         &ignored) == 0)
        seq = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (seq &&
        (strcmp(tail->author, ch->author) != 0 ||
         strcmp(tail->device, ch->device) != 0 || tail->base != ch->base)) {
        ldr_change_release(tail);
        seq = 0;
    }
    return seq;
}

static bool add_op(json_t *set, json_t *unset, const struct ldr_op *op)
{
    if (op->value)
        return json_object_set(set, op->path, op->value) == 0;
    return json_array_append_new(unset, json_string(op->path)) == 0;
}

/*
 * `ch` laid over `tail`: the fields of both, ch's value where both write
 * one, under ch's stamp. False when they cannot be one change (a path of
 * one inside a path of the other, or past the codec's limits).
 */
static bool join_changes(struct ldr_change *out, const struct ldr_change *tail,
                         const struct ldr_change *ch)
{
    json_t *doc = ldr_change_to_json(ch), *set = json_object(),
           *unset = json_array();
    struct ldr_err ignored = {0};
    bool ok = doc && set && unset;

    for (size_t i = 0; ok && i < ch->nops; i++)
        ok = add_op(set, unset, &ch->ops[i]);
    for (size_t i = 0; ok && i < tail->nops; i++)
        if (!ldr_change_op(ch, tail->ops[i].path))
            ok = add_op(set, unset, &tail->ops[i]);
    if (ok)
        ok = json_object_set(doc, "set", set) == 0 &&
             (json_array_size(unset) == 0 ||
              json_object_set(doc, "unset", unset) == 0);
    ok = ok && ldr_change_from_json(out, doc, 0, NULL, &ignored) == 0;
    json_decref(set);
    json_decref(unset);
    json_decref(doc);
    return ok;
}

/*
 * Joins `ch` to the pending change before it when it can (its seq, or 0), so
 * that a sitting's many small writes travel and merge as one change.
 * `ch` becomes the joined change: the caller applies and stores that.
 */
static sqlite3_int64 try_join(struct store *s, struct ldr_change *ch)
{
    struct ldr_change tail = {0}, both = {0};
    sqlite3_int64 seq = pending_tail(s, ch, &tail);

    if (seq && join_changes(&both, &tail, ch)) {
        ldr_change_release(ch);
        *ch = both;
    } else {
        seq = 0;
    }
    ldr_change_release(&tail);
    return seq;
}

int store_write(struct store *s, const char *kind, const char *id, json_t *set,
                const char *const *unset, size_t nunset,
                struct ldr_hlc *hlc_out, struct ldr_err *err)
{
    struct ldr_domain_env env = {cached_model, person_on_roster, s, false};
    struct ldr_record rec;
    struct ldr_change ch = {0};
    json_t *before = NULL, *after = NULL;
    struct ldr_hlc stamp;
    sqlite3_int64 joined = 0;
    int rc = store_get(s, kind, id, &before, &rec, err);
    bool exists = rc == 0;

    if (rc == LDR_ENOTFOUND)
        rc = 0; /* a new record: rec is empty */
    if (rc == 0)
        rc = ldr_clock_send(&stamp, &s->clock, err);
    if (rc == 0)
        rc = make_change(&ch, s, kind, id, stamp, rec.rev, set, unset, nunset,
                         err);
    if (rc == 0)
        joined = try_join(s, &ch);
    if (rc == 0)
        rc = ldr_record_apply(&rec, &ch, LDR_REV_PENDING, NULL, NULL, err);
    if (rc == 0 && !(after = ldr_record_value(&rec)))
        rc = ldr_err_set(err, LDR_ENOMEM, "out of memory");
    if (rc == 0)
        rc = ldr_domain_check(&env, kind, before, after, err);
    if (rc == 0)
        rc = save_record(s, &rec, after, exists, err);
    if (rc == 0)
        rc = save_outbox(s, joined, &ch, err);
    if (rc == 0 && hlc_out)
        *hlc_out = stamp;
    json_decref(before);
    json_decref(after);
    ldr_change_release(&ch);
    ldr_record_release(&rec);
    return rc;
}

void store_now(char out[25])
{
    ldr_time_format(out, ldr_wall_ms());
}

const char *store_tx_time(struct store *s)
{
    if (!s->in_tx)
        store_now(s->tx_time);
    return s->tx_time;
}

int store_resolve(struct store *s, const char *kind, const char *ref,
                  char out[LDR_UUID_LEN + 1], struct ldr_err *err)
{
    sqlite3_stmt *st;
    int rows = 0, rc;

    if (strlen(ref) == LDR_UUID_LEN &&
        store_get(s, kind, ref, NULL, NULL, NULL) == 0) {
        memcpy(out, ref, LDR_UUID_LEN + 1); /* the common case: a whole id */
        return 0;
    }
    if (strlen(ref) < 8 || strlen(ref) > LDR_UUID_LEN)
        return ldr_err_set(err, LDR_EINVAL,
                           "%s id '%s': give the id, or at least its first or "
                           "last 8 characters",
                           kind, ref);
    /* UUIDv7s made close together share their leading (time) digits, so
     * the random trailing digits identify a record as well */
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id FROM records WHERE kind = ?1 AND "
                           "(substr(id, 1, length(?2)) = ?2 OR "
                           "substr(id, -length(?2)) = ?2) LIMIT 2",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, "looking up an id", err);
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (++rows == 1)
            snprintf(out, LDR_UUID_LEN + 1, "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(s, "looking up an id", err);
    if (rows == 0)
        return ldr_err_set(err, LDR_ENOTFOUND,
                           "no %s with id '%s' on this laptop", kind, ref);
    if (rows > 1)
        return ldr_err_set(err, LDR_EINVAL,
                           "%s id '%s' is ambiguous: give more characters",
                           kind, ref);
    return 0;
}
