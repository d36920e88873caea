#include "sync.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "http.h"
#include "ladder/checkpoint.h"
#include "ladder/db.h"
#include "ladder/err.h"
#include "ladder/jsonbuf.h"
#include "ladder/record.h"
#include "ladder/uuid.h"
#include "store.h"

/* ---- requests with retries ---------------------------------------------- */

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Exponential backoff with jitter: 200 ms, 400 ms, ... capped at 5 s. */
static long backoff_ms(int attempt)
{
    long base = 200L << (attempt < 5 ? attempt : 5);
    unsigned char r = 0;

    if (base > 5000)
        base = 5000;
    arc4random_buf(&r, 1);
    return base / 2 + (base / 2) * r / 255;
}

/* sync_request of a body packed already. */
static int send_retried(struct http *c, const struct sync_opts *o,
                        const char *method, const char *path,
                        const struct http_body *body, struct http_reply *reply,
                        struct ldr_err *err)
{
    int attempts = o->attempts > 0 ? o->attempts : SYNC_ATTEMPTS, rc = 0;

    for (int i = 0; i < attempts; i++) {
        if (i > 0)
            pause_ms(backoff_ms(i - 1));
        rc = http_send(c, method, path, body, reply, err);
        if (rc == 0 && reply->status < 500)
            return 0;
        if (rc == 0) {
            ldr_err_set(err, LDR_EIO, "the hub answered %ld: %.200s",
                        reply->status, reply->body);
            http_reply_release(reply);
            rc = LDR_EIO;
        }
    }
    return ldr_err_prefix(err, "gave up after %d tries: ", attempts);
}

int sync_request(struct http *c, const struct sync_opts *o, const char *method,
                 const char *path, const char *body, size_t len,
                 struct http_reply *reply, struct ldr_err *err)
{
    struct http_body b;
    int rc = http_pack(&b, body ? body : "", body ? len : 0, err);

    if (rc == 0)
        rc = send_retried(c, o, method, path, &b, reply, err);
    http_body_release(&b);
    return rc;
}

/* The hub's error message in an error answer, or the body itself. */
static void answer_error(const struct http_reply *r, char *out, size_t cap)
{
    json_t *doc = json_loads(r->body, 0, NULL);
    const char *msg = json_string_value(
        json_object_get(json_object_get(doc, "error"), "message"));

    snprintf(out, cap, "%s", msg ? msg : r->body);
    json_decref(doc);
}

int sync_refused(const struct http_reply *r, const char *what,
                 struct ldr_err *err)
{
    char msg[LDR_ERR_MSG_MAX - 128];

    answer_error(r, msg, sizeof msg);
    if (r->status == 401)
        return ldr_err_set(err, LDR_EINVAL,
                           "the hub refused the token: %s; ask for a new "
                           "one and run 'ladder remote set --token TOKEN'",
                           msg);
    return ldr_err_set(err, LDR_EINVAL, "%s: the hub answered %ld: %s", what,
                       r->status, msg);
}

/* ---- record rows --------------------------------------------------------- */

struct row {
    struct ldr_record confirmed, view;
    bool exists, has_confirmed;
    /* the confirmed state is the view (no row yet, or a row whose
     * confirmed column is NULL beside a revision): `confirmed` is not
     * filled (fill_confirmed) and the row is saved from the view alone */
    bool same;
    uint64_t rev;
};

static int load_state(struct ldr_record *rec, sqlite3_stmt *st, int col,
                      struct ldr_err *err)
{
    const char *text = (const char *)sqlite3_column_text(st, col);

    if (!text)
        return ldr_err_set(err, LDR_EDB, "record %s/%s: damaged state",
                           rec->kind, rec->id);
    return ldr_record_parse(rec, text, (size_t)sqlite3_column_bytes(st, col),
                            NULL, err);
}

static int load_row(struct store *s, struct row *r, const char *kind,
                    const char *id, struct ldr_err *err)
{
    sqlite3_stmt *st = store_stmt(s, "SELECT confirmed, state, rev FROM "
                                     "records WHERE kind = ? AND id = ?");
    int rc = 0;

    memset(r, 0, sizeof *r);
    r->same = true;
    ldr_record_init(&r->confirmed, kind, id);
    ldr_record_init(&r->view, kind, id);
    if (!st)
        return ldr_err_set(err, LDR_EDB, "reading a record: %s",
                           sqlite3_errmsg(s->db));
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        bool same = sqlite3_column_type(st, 0) == SQLITE_NULL;

        r->exists = true;
        r->rev = (uint64_t)sqlite3_column_int64(st, 2);
        /* no confirmed text but a revision: it is the state's (save_states) */
        r->has_confirmed = !same || r->rev > 0;
        r->same = same && r->has_confirmed;
        if (!same)
            rc = load_state(&r->confirmed, st, 0, err);
        if (rc == 0)
            rc = load_state(&r->view, st, 1, err);
    }
    sqlite3_reset(st);
    return rc;
}

/* A row's confirmed state spelled out, for a caller that makes the view
 * differ from it. */
static int fill_confirmed(struct row *r, struct ldr_err *err)
{
    int rc = r->same && r->has_confirmed
                 ? ldr_record_merge(&r->confirmed, &r->view, err)
                 : 0;

    r->same = false;
    return rc;
}

static void release_row(struct row *r)
{
    ldr_record_release(&r->confirmed);
    ldr_record_release(&r->view);
}

static const char SAVE_ROW[] =
    "INSERT INTO records (kind, id, rev, confirmed, state, value, subject, "
    "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (kind, "
    "id) DO UPDATE "
    "SET rev = ?3, confirmed = ?4, state = ?5, value = ?6, subject = ?7, "
    "updated_at = ?8";

/* A pulled record pinning a model version this laptop lacks notes it. */
static const char WANT_MODEL[] =
    "INSERT OR IGNORE INTO model_wants (id, version) SELECT ?1, ?2 "
    "WHERE NOT EXISTS (SELECT 1 FROM models WHERE id = ?1 AND version = ?2)";

static const char *field_text(const struct ldr_record *rec, const char *path)
{
    const struct ldr_field *f = ldr_record_field(rec, path);

    return f ? json_string_value(f->value) : NULL;
}

/* Whether "model\nversion" is the pin noted last in this transaction. */
static bool pin_noted(const struct store *s, const char *model,
                      const char *version)
{
    size_t n = strlen(model);

    return strncmp(s->pin_noted, model, n) == 0 && s->pin_noted[n] == '\n' &&
           strcmp(s->pin_noted + n + 1, version) == 0;
}

static int note_pin(struct store *s, const struct ldr_record *rec)
{
    const char *model = field_text(rec, "/model");
    const char *version = field_text(rec, "/version");
    sqlite3_stmt *st;
    size_t n;
    int rc;

    if ((strcmp(rec->kind, "assessment") != 0 &&
         strcmp(rec->kind, "pilot") != 0) ||
        !model || !version || strlen(version) != 40)
        return SQLITE_DONE;
    if (pin_noted(s, model, version))
        return SQLITE_DONE;
    if (!(st = store_stmt(s, WANT_MODEL)))
        return SQLITE_ERROR;
    sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    n = strlen(model);
    if (rc == SQLITE_DONE && n + 42 <= sizeof s->pin_noted) {
        memcpy(s->pin_noted, model, n);
        s->pin_noted[n] = '\n';
        memcpy(s->pin_noted + n + 1, version, 41);
    }
    return rc;
}

static char *value_text(const struct ldr_record *rec)
{
    struct ldr_jsonbuf b;

    ldr_jsonbuf_init(&b);
    ldr_record_write_value(&b, rec);
    return ldr_jsonbuf_detach(&b, NULL);
}

/* The row of `view` with its state text (`len` bytes) and value; `conf`
 * the confirmed state's text, or NULL. */
static int save_texts(struct store *s, const struct ldr_record *view,
                      uint64_t rev, const char *conf, const char *state,
                      size_t len, struct ldr_err *err)
{
    char *value = value_text(view);
    sqlite3_stmt *st = store_stmt(s, SAVE_ROW);
    int rc = SQLITE_NOMEM;

    if (st && state && value) {
        sqlite3_bind_text(st, 1, view->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, view->id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)rev);
        if (conf)
            sqlite3_bind_text(st, 4, conf, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, state, (int)len, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, value, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, field_text(view, "/subject"), -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(st, 8, store_tx_time(s), -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
    }
    free(value);
    if (rc == SQLITE_DONE)
        rc = note_pin(s, view);
    if (rc == SQLITE_DONE)
        return 0;
    return ldr_err_set(err, rc == SQLITE_NOMEM ? LDR_ENOMEM : LDR_EDB,
                       "saving record %s/%s: %s", view->kind, view->id,
                       sqlite3_errmsg(s->db));
}

/*
 * Saves `confirmed` (may be NULL) and `view` of one record with its value.
 * A confirmed state equal to the view (a record pulled and not changed
 * here) is not written twice: its column stays NULL beside a revision
 * above 0, which a record never confirmed (revision 0) cannot have.
 */
static int save_states(struct store *s, uint64_t rev,
                       const struct ldr_record *confirmed,
                       const struct ldr_record *view, struct ldr_err *err)
{
    size_t len = 0;
    char *state = ldr_record_dump(view, &len);
    char *other = confirmed && confirmed != view
                      ? ldr_record_dump(confirmed, NULL)
                      : NULL;
    const char *conf = confirmed == view ? state : other;
    /* the view's, as load_row reads it */
    bool same = conf && state && rev > 0 && strcmp(conf, state) == 0;
    int rc = confirmed && !conf ? ldr_err_set(err, LDR_ENOMEM, "out of memory")
                                : save_texts(s, view, rev, same ? NULL : conf,
                                             state, len, err);
    free(other);
    free(state);
    return rc;
}

/* A record new here, as a state page gave it (`text`, `len` bytes, as the
 * hub wrote it): stored as it came, confirmed being the same. */
static int save_pulled(struct store *s, const struct ldr_record *hub,
                       const char *text, size_t len, struct ldr_err *err)
{
    if (hub->rev == 0) /* not confirmed after all: spell both out */
        return save_states(s, hub->rev, hub, hub, err);
    return save_texts(s, hub, hub->rev, NULL, text, len, err);
}

static int save_row(struct store *s, struct row *r, struct ldr_err *err)
{
    const struct ldr_record *confirmed = !r->has_confirmed ? NULL
                                         : r->same         ? &r->view
                                                           : &r->confirmed;

    return save_states(s, r->rev, confirmed, &r->view, err);
}

/* ---- conflicts found while merging pulled changes ----------------------- */

static const char ADD_CONFLICT[] =
    "INSERT OR IGNORE INTO conflicts (kind, record, path, winner_value, "
    "winner_hlc, winner_device, winner_author, winner_rev, loser_value, "
    "loser_hlc, loser_device, loser_author, loser_rev) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

struct conflict_ctx {
    struct store *s;
    size_t *count;
};

static void bind_side(sqlite3_stmt *st, int at, const json_t *value,
                      const struct ldr_write *w, char **text)
{
    char hlc[LDR_HLC_TEXT_LEN + 1];

    ldr_hlc_format(hlc, w->hlc);
    *text = value ? json_dumps(value,
                               JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
                  : NULL;
    if (*text)
        sqlite3_bind_text(st, at, *text, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, at + 1, hlc, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, at + 2, w->device, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, at + 3, w->author, -1, SQLITE_STATIC);
    if (w->rev != LDR_REV_PENDING)
        sqlite3_bind_int64(st, at + 4, (sqlite3_int64)w->rev);
}

static int on_conflict(void *ctx, const struct ldr_conflict *c)
{
    struct conflict_ctx *cc = ctx;
    sqlite3_stmt *st = store_stmt(cc->s, ADD_CONFLICT);
    char *winner = NULL, *loser = NULL;
    int rc;

    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, c->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c->record, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->path, -1, SQLITE_STATIC);
    bind_side(st, 4, c->winner_value, c->winner, &winner);
    bind_side(st, 9, c->loser_value, c->loser, &loser);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE && sqlite3_changes(cc->s->db) > 0)
        (*cc->count)++;
    sqlite3_reset(st);
    free(winner);
    free(loser);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- rebuilding a view after a rejection -------------------------------- */

static int reapply_outbox(struct store *s, struct row *r, struct ldr_err *err)
{
    sqlite3_stmt *st = store_stmt(
        s, "SELECT change, status, rev FROM outbox WHERE kind = ? AND "
           "record = ? AND status IN ('pending', 'sent', 'accepted') "
           "ORDER BY seq");
    int rc = 0, step;

    if (!st)
        return ldr_err_set(err, LDR_EDB, "reading the outbox: %s",
                           sqlite3_errmsg(s->db));
    sqlite3_bind_text(st, 1, r->view.kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->view.id, -1, SQLITE_STATIC);
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 0);
        bool accepted =
            strcmp((const char *)sqlite3_column_text(st, 1), "accepted") == 0;
        uint64_t rev =
            accepted ? (uint64_t)sqlite3_column_int64(st, 2) : LDR_REV_PENDING;
        struct ldr_change ch = {0};

        rc = ldr_change_parse(&ch, text, strlen(text), 0, NULL, err);
        if (rc == 0)
            rc = ldr_record_apply(&r->view, &ch, rev, NULL, NULL, err);
        ldr_change_release(&ch);
    }
    sqlite3_reset(st);
    return rc;
}

static int delete_row(struct store *s, const char *kind, const char *id,
                      struct ldr_err *err)
{
    sqlite3_stmt *st =
        store_stmt(s, "DELETE FROM records WHERE kind = ? AND id = ?");
    int rc = SQLITE_ERROR;

    if (st) {
        sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
    }
    return rc == SQLITE_DONE ? 0
                             : ldr_err_set(err, LDR_EDB, "deleting %s/%s: %s",
                                           kind, id, sqlite3_errmsg(s->db));
}

int sync_rebuild(struct store *s, const char *kind, const char *id,
                 struct ldr_err *err)
{
    struct row r;
    int rc = load_row(s, &r, kind, id, err);

    if (rc == 0)
        rc = fill_confirmed(&r, err);
    if (rc == 0) {
        ldr_record_release(&r.view);
        ldr_record_init(&r.view, kind, id);
        if (r.has_confirmed)
            rc = ldr_record_merge(&r.view, &r.confirmed, err);
    }
    if (rc == 0)
        rc = reapply_outbox(s, &r, err);
    /* a record made here whose only changes were refused goes away */
    if (rc == 0 && !r.has_confirmed && r.view.nwrites == 0)
        rc = delete_row(s, kind, id, err);
    else if (rc == 0)
        rc = save_row(s, &r, err);
    release_row(&r);
    return rc;
}

/* ---- push ------------------------------------------------------------------
 */

/* The changes of one set, in outbox order, its body as sent and the
 * hub's answer. */
struct set {
    char id[LDR_UUID_LEN + 1];
    sqlite3_int64 *seqs;
    char (*kinds)[LDR_KIND_MAX + 1];
    char (*records)[LDR_UUID_LEN + 1];
    size_t count;
    struct http_body wire;
    struct http_reply reply;
    json_t *answer; /* the parsed reply of a 200 */
};

static void release_set(struct set *set)
{
    free(set->seqs);
    free(set->kinds);
    free(set->records);
    http_body_release(&set->wire);
    http_reply_release(&set->reply);
    json_decref(set->answer);
    memset(set, 0, sizeof *set);
}

/* The oldest set sent without an answer (to send again) whose changes
 * come after seq `after` (the set in flight), or a new one made of
 * pending changes; set->id empty when there is nothing to send. */
static int next_set(struct store *s, size_t batch, sqlite3_int64 after,
                    struct set *set, struct ldr_err *err)
{
    sqlite3_stmt *st = store_stmt(s, "SELECT changeset FROM outbox WHERE "
                                     "status = 'sent' AND seq > ? ORDER BY "
                                     "seq LIMIT 1");
    int rc;

    memset(set, 0, sizeof *set);
    if (!st)
        return ldr_err_set(err, LDR_EDB, "reading the outbox: %s",
                           sqlite3_errmsg(s->db));
    sqlite3_bind_int64(st, 1, after);
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(set->id, sizeof set->id, "%s", sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (set->id[0])
        return 0;
    st = store_stmt(s, "SELECT seq, length(change) FROM outbox WHERE status "
                       "= 'pending' ORDER BY seq LIMIT ?");
    if (!st)
        return ldr_err_set(err, LDR_EDB, "reading the outbox: %s",
                           sqlite3_errmsg(s->db));
    sqlite3_bind_int64(st, 1, (sqlite3_int64)batch);
    {
        sqlite3_int64 last = 0;
        size_t bytes = 0, n = 0;

        while (sqlite3_step(st) == SQLITE_ROW && bytes < SYNC_SET_BYTES) {
            last = sqlite3_column_int64(st, 0);
            bytes += (size_t)sqlite3_column_int64(st, 1);
            n++;
        }
        sqlite3_reset(st);
        if (n == 0)
            return 0;
        rc = ldr_uuid_v7(set->id, err);
        st = rc ? NULL
                : store_stmt(s, "UPDATE outbox SET status = 'sent', "
                                "changeset = ?, sent_at = strftime('%Y-%m-%d"
                                "T%H:%M:%fZ', 'now') WHERE status = "
                                "'pending' AND seq <= ?");
        if (rc)
            return rc;
        if (!st)
            return ldr_err_set(err, LDR_EDB, "marking changes sent: %s",
                               sqlite3_errmsg(s->db));
        sqlite3_bind_text(st, 1, set->id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, last);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
    }
    return rc == SQLITE_DONE
               ? 0
               : ldr_err_set(err, LDR_EDB, "marking changes sent: %s",
                             sqlite3_errmsg(s->db));
}

static int grow_set(struct set *set, size_t cap)
{
    sqlite3_int64 *seqs = realloc(set->seqs, cap * sizeof *seqs);
    char(*kinds)[LDR_KIND_MAX + 1];
    char(*records)[LDR_UUID_LEN + 1];

    if (seqs)
        set->seqs = seqs;
    kinds = realloc(set->kinds, cap * sizeof *kinds);
    if (kinds)
        set->kinds = kinds;
    records = realloc(set->records, cap * sizeof *records);
    if (records)
        set->records = records;
    return seqs && kinds && records ? 0 : -1;
}

/* The set's rows and its body {"changes": [...], "id": "..."}: the stored
 * change texts are canonical JSON already, so they are joined as they
 * are, and packed as they come (a set holds up to SYNC_SET_BYTES). */
static int load_set(struct store *s, struct set *set, struct ldr_err *err)
{
    /* through the status index: a set's rows are the ones sent */
    sqlite3_stmt *st = store_stmt(s, "SELECT seq, kind, record, change FROM "
                                     "outbox WHERE status = 'sent' AND "
                                     "changeset = ? ORDER BY seq");
    struct http_packer p;
    char tail[64];
    size_t cap = 0;

    if (!st)
        return ldr_err_set(err, LDR_EDB, "reading the outbox: %s",
                           sqlite3_errmsg(s->db));
    http_packer_init(&p);
    sqlite3_bind_text(st, 1, set->id, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (set->count == cap && grow_set(set, cap = cap ? 2 * cap : 64)) {
            p.failed = true;
            break;
        }
        set->seqs[set->count] = sqlite3_column_int64(st, 0);
        snprintf(set->kinds[set->count], LDR_KIND_MAX + 1, "%s",
                 sqlite3_column_text(st, 1));
        snprintf(set->records[set->count], LDR_UUID_LEN + 1, "%s",
                 sqlite3_column_text(st, 2));
        http_packer_add(&p, set->count ? "," : "{\"changes\":[",
                        set->count ? 1 : 12);
        http_packer_add(&p, (const char *)sqlite3_column_text(st, 3),
                        (size_t)sqlite3_column_bytes(st, 3));
        set->count++;
    }
    sqlite3_reset(st);
    snprintf(tail, sizeof tail, "],\"id\":\"%s\"}", set->id);
    http_packer_add(&p, tail, strlen(tail));
    if (http_packer_finish(&p, &set->wire, err) != 0)
        return LDR_ENOMEM;
    if (set->count == 0)
        return ldr_err_set(err, LDR_EDB, "change set %s has no changes",
                           set->id);
    return 0;
}

static int mark(struct store *s, sqlite3_int64 seq, const char *status,
                json_int_t rev, const char *code, const char *message)
{
    sqlite3_stmt *st = store_stmt(
        s, "UPDATE outbox SET status = ?2, rev = ?3, reject_code = ?4, "
           "reject_message = ?5, answered_at = ?6 WHERE seq = ?1");
    int rc;

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
    if (rev > 0)
        sqlite3_bind_int64(st, 3, rev);
    if (code) {
        sqlite3_bind_text(st, 4, code, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, message, -1, SQLITE_STATIC);
    }
    sqlite3_bind_text(st, 6, store_tx_time(s), -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int reject_one(struct store *s, const struct set *set, size_t i,
                      const char *code, const char *message,
                      struct sync_stats *st, struct ldr_err *err)
{
    if (mark(s, set->seqs[i], "rejected", 0, code, message) != 0)
        return ldr_err_set(err, LDR_EDB, "saving a rejection: %s",
                           sqlite3_errmsg(s->db));
    st->rejected++;
    return sync_rebuild(s, set->kinds[i], set->records[i], err);
}

/* Applies the hub's answer to a set, in one transaction. */
static int apply_answer(struct store *s, const struct set *set,
                        const json_t *answer, struct sync_stats *st,
                        struct ldr_err *err)
{
    const json_t *item;
    size_t k;
    int rc = 0;

    json_array_foreach(json_object_get(answer, "accepted"), k, item)
    {
        json_int_t i = json_integer_value(json_object_get(item, "index"));
        json_int_t seq = json_integer_value(json_object_get(item, "seq"));

        if (i < 0 || (size_t)i >= set->count || seq <= 0)
            return ldr_err_set(err, LDR_EINVAL,
                               "the hub's answer names change %lld of a set "
                               "of %zu",
                               (long long)i, set->count);
        if (mark(s, set->seqs[i], "accepted", seq, NULL, NULL) != 0)
            return ldr_err_set(err, LDR_EDB, "saving an answer: %s",
                               sqlite3_errmsg(s->db));
        st->accepted++;
    }
    json_array_foreach(json_object_get(answer, "rejected"), k, item)
    {
        json_int_t i = json_integer_value(json_object_get(item, "index"));
        const char *code = json_string_value(json_object_get(item, "code"));
        const char *msg = json_string_value(json_object_get(item, "message"));

        if (i < 0 || (size_t)i >= set->count)
            return ldr_err_set(err, LDR_EINVAL,
                               "the hub's answer names change %lld of a set "
                               "of %zu",
                               (long long)i, set->count);
        rc = reject_one(s, set, (size_t)i, code ? code : "rejected",
                        msg ? msg : "refused by the hub", st, err);
        if (rc)
            return rc;
    }
    if (json_integer_value(json_object_get(answer, "conflicts")) > 0)
        return sync_journal_due(s, err);
    return 0;
}

/* A whole set refused (400, 403, 413): each change is marked rejected
 * with the hub's reason, never resent blindly. */
static int reject_set(struct store *s, const struct set *set,
                      const struct http_reply *r, struct sync_stats *st,
                      struct ldr_err *err)
{
    char code[32], msg[LDR_ERR_MSG_MAX - 64];
    int rc = 0;

    snprintf(code, sizeof code, "http_%ld", r->status);
    answer_error(r, msg, sizeof msg);
    for (size_t i = 0; rc == 0 && i < set->count; i++)
        rc = reject_one(s, set, i, code, msg, st, err);
    return rc;
}

/* Stores the hub's answer to a set sent, in one transaction. */
static int store_answer(struct store *s, const struct set *set,
                        struct sync_stats *st, struct ldr_err *err)
{
    int rc = store_begin(s, err);

    if (rc)
        return rc;
    rc = set->answer ? apply_answer(s, set, set->answer, st, err)
                     : reject_set(s, set, &set->reply, st, err);
    rc = rc ? rc : store_commit(s, err);
    if (rc)
        store_rollback(s);
    return rc;
}

static size_t count_pending(struct store *s)
{
    sqlite3_stmt *st = store_stmt(s, "SELECT count(*) FROM outbox WHERE "
                                     "status IN ('pending', 'sent')");
    size_t n = 0;

    if (st && sqlite3_step(st) == SQLITE_ROW)
        n = (size_t)sqlite3_column_int64(st, 0);
    if (st)
        sqlite3_reset(st);
    return n;
}

/* Progress after a set or page; st's traffic is as of the last request
 * that landed (the client may be busy with the next one). */
static void report(struct store *s, const struct sync_opts *o,
                   const struct sync_stats *st)
{
    if (o->progress)
        o->progress(o->progress_ctx, st, count_pending(s));
}

/* Marks the next set sent (one transaction), loads it and packs its body
 * for the wire; set->id empty when there is nothing more to send. */
static int take_set(struct store *s, const struct sync_opts *o,
                    sqlite3_int64 after, struct set *set, struct ldr_err *err)
{
    int rc = store_begin(s, err);

    if (rc == 0)
        rc = next_set(s, o->batch ? o->batch : SYNC_BATCH, after, set, err);
    rc = rc ? rc : store_commit(s, err);
    if (rc) {
        store_rollback(s);
        return rc;
    }
    if (!set->id[0])
        return 0;
    return load_set(s, set, err);
}

/* ---- a request in flight -------------------------------------------------
 *
 * A request runs on a thread of its own while this one works on: the next
 * change set is made while the hub applies the current one, the next page
 * is fetched while the current one is merged. The store is used by this
 * thread only; the client by the request's thread until it lands.
 */

struct flight {
    pthread_t thread;
    bool threaded;
    struct http *c;
    const struct sync_opts *o;
    const char *method;
    char path[192];
    const struct http_body *body;
    struct http_reply reply;
    struct ldr_err err;
    int rc;
};

static void *fly(void *arg)
{
    struct flight *f = arg;

    f->rc = send_retried(f->c, f->o, f->method, f->path, f->body, &f->reply,
                         &f->err);
    return NULL;
}

/* Starts the request; without a thread it runs here and now. */
static void take_off(struct flight *f)
{
    f->threaded = pthread_create(&f->thread, NULL, fly, f) == 0;
    if (!f->threaded)
        fly(f);
}

/* Waits for the request and hands over its reply; its error goes to
 * `err`. */
static int land(struct flight *f, struct http_reply *reply, struct ldr_err *err)
{
    if (f->threaded)
        pthread_join(f->thread, NULL);
    f->threaded = false;
    *reply = f->reply;
    memset(&f->reply, 0, sizeof f->reply);
    if (f->rc)
        *err = f->err;
    return f->rc;
}

/* ---- push, one set in flight ------------------------------------------- */

/* Sends `set`; meanwhile stores the answer to `done` (the set before, if
 * any) and takes the set after this one into `next`. The hub has a set's
 * answer before the next set leaves, so it applies sets in order. */
static int send_set(struct store *s, struct http *c, const struct sync_opts *o,
                    struct set *set, struct set *done, struct set *next,
                    struct sync_stats *st, struct ldr_err *err)
{
    struct flight f = {.c = c, .o = o, .method = "POST", .body = &set->wire};
    struct ldr_err ignored = {0};
    int rc = 0, sent;

    snprintf(f.path, sizeof f.path, "/v1/changesets");
    take_off(&f);
    if (done->id[0] && (rc = store_answer(s, done, st, err)) == 0)
        report(s, o, st);
    if (rc == 0)
        rc = take_set(s, o, set->seqs[set->count - 1], next, err);
    sent = land(&f, &set->reply, rc ? &ignored : err);
    http_traffic(c, &st->sent, &st->received);
    http_body_release(&set->wire);
    return rc ? rc : sent;
}

/* What the hub answered to `set`: a 200's answer parsed, a whole set
 * refused kept as it is (reject_set); what stops the sync is an error. */
static int read_answer(struct set *set, struct sync_stats *st,
                       struct ldr_err *err)
{
    const struct http_reply *r = &set->reply;

    st->pushed += set->count;
    if (r->status == 200 && !(set->answer = json_loads(r->body, 0, NULL)))
        return ldr_err_set(err, LDR_EINVAL, "the hub's answer is not JSON");
    if (r->status == 401 || r->status == 409 || r->status == 404)
        return sync_refused(r, "sending changes", err);
    return 0;
}

static int push(struct store *s, struct http *c, const struct sync_opts *o,
                struct sync_stats *st, struct ldr_err *err)
{
    struct set sets[3] = {0};
    struct set *done = &sets[0], *cur = &sets[1], *next = &sets[2], *t;
    int rc = take_set(s, o, 0, cur, err);

    while (rc == 0 && cur->id[0]) {
        rc = send_set(s, c, o, cur, done, next, st, err);
        if (rc == 0)
            rc = read_answer(cur, st, err);
        release_set(done);
        t = done;
        done = cur;
        cur = next;
        next = t;
    }
    if (rc == 0 && done->id[0] && (rc = store_answer(s, done, st, err)) == 0)
        report(s, o, st);
    for (size_t i = 0; i < 3; i++)
        release_set(&sets[i]);
    return rc;
}

/* ---- pull ------------------------------------------------------------------
 */

/* A page item in state form: the record's whole state at the hub. A
 * record new here takes it as both its confirmed state and its view. */
static int merge_state(struct store *s, struct ldr_record *hub,
                       const char *text, size_t len, struct ldr_err *err)
{
    struct row r;
    int rc = load_row(s, &r, hub->kind, hub->id, err);

    if (rc == 0 && !r.exists)
        rc = save_pulled(s, hub, text, len, err);
    else if (rc == 0) {
        if (!r.same)
            rc = ldr_record_merge(&r.confirmed, hub, err);
        if (rc == 0)
            rc = ldr_record_merge(&r.view, hub, err);
        r.has_confirmed = true;
        if (hub->rev > r.rev)
            r.rev = hub->rev;
        if (rc == 0)
            rc = save_row(s, &r, err);
    }
    release_row(&r);
    return rc;
}

/* ---- a page, read from its text ------------------------------------------
 *
 * {"items": [...], "more", "next", "models"}, in any order; an item is
 * {"kind", "record", "state"} in state form, {"seq", "change"} in changes
 * form. Each state or change is parsed straight from the page's text
 * (ldr_record_parse, ldr_change_parse), as a Jansson tree of the whole
 * page cost more than the merge.
 */

struct scan {
    const char *p, *end;
};

static bool scan_eat(struct scan *sc, char c)
{
    while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\n' ||
                               *sc->p == '\r' || *sc->p == '\t'))
        sc->p++;
    if (sc->p == sc->end || *sc->p != c)
        return false;
    sc->p++;
    return true;
}

/* Any value, by Jansson, which says how far it read; NULL if none. */
static json_t *scan_value(struct scan *sc)
{
    json_error_t e;
    json_t *v;

    scan_eat(sc, ' ');
    v = json_loadb(sc->p, (size_t)(sc->end - sc->p),
                   JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &e);
    if (v)
        sc->p += e.position;
    return v;
}

/* Skips an array or object without building it. */
static bool scan_skip(struct scan *sc)
{
    int depth = 0;

    scan_eat(sc, ' ');
    if (sc->p == sc->end || (*sc->p != '[' && *sc->p != '{'))
        return false;
    for (; sc->p < sc->end; sc->p++) {
        if (*sc->p == '"') {
            while (++sc->p < sc->end && *sc->p != '"')
                if (*sc->p == '\\' && sc->p + 1 < sc->end)
                    sc->p++;
            if (sc->p == sc->end)
                return false;
        } else if (*sc->p == '[' || *sc->p == '{')
            depth++;
        else if ((*sc->p == ']' || *sc->p == '}') && --depth == 0) {
            sc->p++;
            return true;
        }
    }
    return false;
}

/* A string of fewer than `cap` bytes into `out`: plain ASCII directly,
 * anything else through Jansson. */
static bool scan_text(struct scan *sc, char *out, size_t cap)
{
    const char *q;
    json_t *v;
    bool ok;

    if (!scan_eat(sc, '"'))
        return false;
    for (q = sc->p; q < sc->end && *q != '"' && *q != '\\' &&
                    (unsigned char)*q >= 0x20 && (unsigned char)*q < 0x80;
         q++)
        ;
    if (q < sc->end && *q == '"' && (size_t)(q - sc->p) < cap) {
        memcpy(out, sc->p, (size_t)(q - sc->p));
        out[q - sc->p] = '\0';
        sc->p = q + 1;
        return true;
    }
    sc->p--;
    v = scan_value(sc);
    ok = json_is_string(v) && json_string_length(v) < cap;
    if (ok)
        memcpy(out, json_string_value(v), json_string_length(v) + 1);
    json_decref(v);
    return ok;
}

static int not_a_page(struct ldr_err *err)
{
    return ldr_err_set(err, LDR_EINVAL,
                       "the hub sent a page that is not a change page");
}

/* One item into `hub`: kind, record and state, in any order. */
static int scan_item(struct scan *sc, struct ldr_record *hub, const char **text,
                     size_t *len, struct ldr_err *err)
{
    char key[16], kind[LDR_KIND_MAX + 1] = "", id[LDR_UUID_LEN + 1] = "";
    bool has_state = false;
    size_t used;
    int rc = 0;

    ldr_record_init(hub, "", "");
    if (!scan_eat(sc, '{'))
        return not_a_page(err);
    do {
        json_t *skip = NULL;

        if (!scan_text(sc, key, sizeof key) || !scan_eat(sc, ':'))
            return not_a_page(err);
        if (strcmp(key, "kind") == 0)
            rc = scan_text(sc, kind, sizeof kind) ? 0 : not_a_page(err);
        else if (strcmp(key, "record") == 0)
            rc = scan_text(sc, id, sizeof id) ? 0 : not_a_page(err);
        else if (strcmp(key, "state") == 0 && !has_state) {
            has_state = true;
            /* named in messages, when the hub sent them first */
            memcpy(hub->kind, kind, sizeof kind);
            memcpy(hub->id, id, sizeof id);
            scan_eat(sc, ' ');
            rc = ldr_record_parse(hub, sc->p, (size_t)(sc->end - sc->p), &used,
                                  err);
            *text = sc->p;
            *len = rc ? 0 : used;
            sc->p += *len;
        } else
            rc = (skip = scan_value(sc)) ? 0 : not_a_page(err);
        json_decref(skip);
    } while (rc == 0 && scan_eat(sc, ','));
    if (rc == 0 && (!scan_eat(sc, '}') || !kind[0] || !id[0] || !has_state))
        rc = ldr_err_set(err, LDR_EINVAL,
                         "the hub sent a record without kind, id or state");
    memcpy(hub->kind, kind, sizeof kind);
    memcpy(hub->id, id, sizeof id);
    return rc;
}

/* The hub's seq of this laptop's change to `kind`/`record` stamped `hlc`;
 * 0 if the hub has not accepted it. */
static sqlite3_int64 own_seq(struct store *s, const char *kind,
                             const char *record, struct ldr_hlc hlc)
{
    sqlite3_stmt *st = store_stmt(
        s, "SELECT rev FROM outbox WHERE kind = ? AND record = ? AND "
           "hlc = ? AND status = 'accepted'");
    char text[LDR_HLC_TEXT_LEN + 1];
    sqlite3_int64 seq = 0;

    if (!st)
        return 0;
    ldr_hlc_format(text, hlc);
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, record, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        seq = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return seq;
}

/*
 * This laptop's writes that the view still holds as pending take the seq
 * the hub gave them, so a pulled write is judged concurrent with them or
 * not as the hub judged it. (Pulled copies of our own changes are skipped,
 * so this is where their numbers come in.)
 */
static void number_own_writes(struct store *s, struct ldr_record *view)
{
    for (size_t i = 0; i < view->nwrites; i++) {
        struct ldr_write *w = &view->writes[i];
        sqlite3_int64 seq;

        if (w->rev != LDR_REV_PENDING || strcmp(w->device, s->device) != 0)
            continue;
        seq = own_seq(s, view->kind, view->id, w->hlc);
        if (seq > 0)
            w->rev = (uint64_t)seq;
    }
}

/* A page item in changes form: one accepted change and its seq. */
static int merge_change(struct store *s, json_int_t seq,
                        const struct ldr_change *ch, size_t *conflicts,
                        struct ldr_err *err)
{
    struct conflict_ctx cc = {s, conflicts};
    struct ldr_err ignored = {0};
    struct row r;
    int rc;

    if (seq <= 0)
        return ldr_err_set(err, LDR_EINVAL,
                           "the hub sent a change without seq");
    /* our own change, whose answer is stored: the view has it already,
     * and the outbox keeps it for rebuilding (sync_rebuild) */
    if (strcmp(ch->device, s->device) == 0 &&
        own_seq(s, ch->kind, ch->record, ch->hlc) == seq)
        return 0;
    /* later local stamps sort after what was seen; the hub has checked
     * the future bound already */
    ldr_clock_recv(&s->clock, ch->hlc, NULL, &ignored);
    rc = load_row(s, &r, ch->kind, ch->record, err);
    /* with nothing of ours pending, confirmed and view take it alike */
    if (rc == 0 && !r.same) {
        number_own_writes(s, &r.view);
        rc = ldr_record_apply(&r.confirmed, ch, (uint64_t)seq, NULL, NULL, err);
    }
    if (rc == 0)
        rc =
            ldr_record_apply(&r.view, ch, (uint64_t)seq, on_conflict, &cc, err);
    if (rc == 0) {
        r.has_confirmed = true;
        if ((uint64_t)seq > r.rev)
            r.rev = (uint64_t)seq;
        rc = save_row(s, &r, err);
    }
    release_row(&r);
    return rc;
}

/* One item of a change page, {"seq", "change"} in any order: the change
 * is parsed from its text where it lies in the page
 * (ldr_change_parse_prefix), without a tree of the page. The caller
 * releases `ch`. */
static int scan_change_item(struct scan *sc, json_int_t *seq,
                            struct ldr_change *ch, struct ldr_err *err)
{
    bool has_change = false;
    char key[16];
    int rc = 0;

    *seq = 0;
    if (!scan_eat(sc, '{'))
        return not_a_page(err);
    do {
        const char *start;
        json_t *v = NULL;

        if (!scan_text(sc, key, sizeof key) || !scan_eat(sc, ':'))
            return not_a_page(err);
        scan_eat(sc, ' ');
        start = sc->p;
        if (strcmp(key, "change") == 0 && !has_change) {
            size_t used;

            has_change = true;
            rc = ldr_change_parse_prefix(ch, start, (size_t)(sc->end - start),
                                         &used, NULL, err)
                     ? ldr_err_prefix(err, "the hub sent a bad change: ")
                     : 0;
            sc->p = start + used;
        } else if (!(v = scan_value(sc))) {
            rc = not_a_page(err);
        } else if (strcmp(key, "seq") == 0) {
            *seq = json_is_integer(v) ? json_integer_value(v) : 0;
        }
        json_decref(v);
    } while (rc == 0 && scan_eat(sc, ','));
    if (rc == 0 && (!scan_eat(sc, '}') || !has_change))
        rc = not_a_page(err);
    return rc;
}

static int merge_change_item(struct store *s, struct scan *sc,
                             struct sync_stats *st, struct ldr_err *err)
{
    struct ldr_change ch = {0};
    json_int_t seq;
    int rc = scan_change_item(sc, &seq, &ch, err);

    if (rc == 0)
        rc = merge_change(s, seq, &ch, &st->conflicts, err);
    ldr_change_release(&ch);
    return rc;
}

static int merge_state_item(struct store *s, struct scan *sc,
                            struct ldr_err *err)
{
    struct ldr_record hub;
    const char *text = NULL;
    size_t len = 0;
    int rc = scan_item(sc, &hub, &text, &len, err);

    if (rc == 0)
        rc = merge_state(s, &hub, text, len, err);
    ldr_record_release(&hub);
    return rc;
}

static uint64_t meta_uint(struct store *s, const char *key)
{
    char *v = store_meta(s, key);
    uint64_t n = v ? strtoull(v, NULL, 10) : 0;

    free(v);
    return n;
}

static int merge_items(struct store *s, struct scan *sc, bool state_form,
                       struct sync_stats *st, struct ldr_err *err)
{
    int rc = 0;

    if (!scan_eat(sc, '['))
        return not_a_page(err);
    if (scan_eat(sc, ']'))
        return 0;
    do {
        rc = state_form ? merge_state_item(s, sc, err)
                        : merge_change_item(s, sc, st, err);
        st->pulled++;
    } while (rc == 0 && scan_eat(sc, ','));
    return rc ? rc : scan_eat(sc, ']') ? 0 : not_a_page(err);
}

/* The hub's "models" (the commit its model list is at), as a page ends. */
static void take_models(char models[SYNC_MODELS_TAG], const json_t *v)
{
    const char *tag = json_string_value(v);

    if (tag && strlen(tag) < SYNC_MODELS_TAG)
        memcpy(models, tag, strlen(tag) + 1);
}

/* A page's members; items are merged as they come. */
static int scan_page(struct store *s, struct scan *sc, bool state_form,
                     bool *more, json_int_t *next, char models[SYNC_MODELS_TAG],
                     struct sync_stats *st, struct ldr_err *err)
{
    bool has_items = false;
    char key[16];
    int rc = 0;

    if (!scan_eat(sc, '{'))
        return not_a_page(err);
    do {
        json_t *v = NULL;

        if (!scan_text(sc, key, sizeof key) || !scan_eat(sc, ':'))
            return not_a_page(err);
        if (strcmp(key, "items") == 0 && !has_items) {
            has_items = true;
            rc = merge_items(s, sc, state_form, st, err);
            continue;
        }
        if (!(v = scan_value(sc)))
            return not_a_page(err);
        if (strcmp(key, "more") == 0)
            *more = json_is_true(v);
        else if (strcmp(key, "next") == 0)
            *next = json_integer_value(v);
        else if (strcmp(key, "models") == 0)
            take_models(models, v);
        json_decref(v);
    } while (rc == 0 && scan_eat(sc, ','));
    if (rc == 0 && (!scan_eat(sc, '}') || !has_items))
        rc = not_a_page(err);
    return rc;
}

/* A page of states or of changes, merged item by item as it is read. */
static int merge_page(struct store *s, const struct http_reply *r,
                      bool state_form, bool *more, json_int_t *next,
                      char models[SYNC_MODELS_TAG], struct sync_stats *st,
                      struct ldr_err *err)
{
    struct scan sc = {r->body, r->body + r->len};

    return scan_page(s, &sc, state_form, more, next, models, st, err);
}

/* Merges one page and saves the cursor after it (`*next`), in one
 * transaction. */
static int apply_page(struct store *s, const struct http_reply *r,
                      bool state_form, bool *more, json_int_t *next,
                      struct sync_stats *st, struct ldr_err *err)
{
    /* "?" unless the page says where the hub's model list is */
    char text[32], models[SYNC_MODELS_TAG] = "?";
    size_t pulled = st->pulled;
    int rc = store_begin(s, err);

    *next = 0;
    if (rc == 0)
        rc = merge_page(s, r, state_form, more, next, models, st, err);
    snprintf(text, sizeof text, "%lld", (long long)*next);
    if (rc == 0)
        rc = store_set_meta(s, "cursor", text, err);
    /* where the hub's model list is: sync_models asks for it when moved */
    if (rc == 0 && !*more)
        rc = store_set_meta(s, "hub_models", models, err);
    if (rc == 0 && st->pulled > pulled)
        rc = sync_journal_due(s, err);
    /* the state pages end where history takes over */
    if (rc == 0 && state_form && !*more)
        rc = store_set_meta(s, "pull_form", "changes", err);
    if (rc == 0)
        rc = store_commit(s, err);
    if (rc)
        store_rollback(s);
    return rc;
}

/* ---- pull, the next page fetched while one is merged -------------------- */

/* The cursor after a page, read from its "more" and "next" without its
 * items, so that the next page is asked for before this one is merged;
 * false when there is no more or the page does not read so. Only a
 * guess: merging the page says where the pull really goes on. */
static bool peek_next(const struct http_reply *r, json_int_t *next)
{
    struct scan sc = {r->body, r->body + r->len};
    bool ok = scan_eat(&sc, '{'), more = false, seen_more = false;
    char key[16];

    *next = 0;
    while (ok) {
        json_t *v = NULL;

        ok = scan_text(&sc, key, sizeof key) && scan_eat(&sc, ':');
        /* the hub puts them before the items; another server may not */
        if (ok && strcmp(key, "items") == 0 && seen_more && *next > 0)
            break;
        if (ok && strcmp(key, "items") == 0)
            ok = scan_skip(&sc);
        else if (ok && (ok = (v = scan_value(&sc)) != NULL)) {
            if (strcmp(key, "more") == 0) {
                more = json_is_true(v);
                seen_more = true;
            } else if (strcmp(key, "next") == 0)
                *next = json_integer_value(v);
        }
        json_decref(v);
        if (ok && !scan_eat(&sc, ','))
            break;
    }
    return ok && more && *next > 0;
}

/* Asks for the page after `cursor`: states while the first pull pages
 * through current records, else changes without our own (we have them,
 * with their answers). */
static void ask_page(struct flight *f, struct store *s, json_int_t cursor,
                     bool state_form)
{
    snprintf(f->path, sizeof f->path, "/v1/changes?since=%lld&limit=%d%s%s",
             (long long)cursor, SYNC_PAGE,
             state_form ? "&form=state" : "&skip_device=",
             state_form ? "" : s->device);
    take_off(f);
}

/* Waits for a page asked for and drops it. */
static void drop_page(struct flight *f)
{
    struct http_reply r;
    struct ldr_err ignored = {0};

    land(f, &r, &ignored);
    http_reply_release(&r);
}

/* Merges the page in `f` and asks for the next one meanwhile; *more says
 * whether a next page is on its way in `f`. */
static int take_page(struct store *s, struct flight *f, bool state_form,
                     bool *more, struct sync_stats *st, struct ldr_err *err)
{
    struct http_reply r;
    json_int_t guess = 0, next = 0;
    bool ahead;
    int rc = land(f, &r, err);

    *more = false;
    http_traffic(f->c, &st->sent, &st->received);
    if (rc)
        return rc;
    if (r.status != 200) {
        rc = sync_refused(&r, "pulling changes", err);
        http_reply_release(&r);
        return rc;
    }
    if ((ahead = peek_next(&r, &guess)))
        ask_page(f, s, guess, state_form);
    rc = apply_page(s, &r, state_form, more, &next, st, err);
    http_reply_release(&r);
    if (ahead && (rc || !*more || next != guess))
        drop_page(f);
    if (rc == 0 && *more && (!ahead || next != guess))
        ask_page(f, s, next, state_form);
    return rc;
}

/*
 * A pull of more than a page writes megabytes: its WAL is copied into the
 * database by a thread of its own meanwhile, rather than by the merge's
 * commits. Without it (no thread or connection), the commits do it.
 */
static struct ldr_checkpointer *start_checkpoints(struct store *s)
{
    struct ldr_checkpointer *k = NULL;
    struct ldr_err ignored = {0};
    sqlite3 *db;

    if (ldr_db_open(&db, s->path, LDR_DB_AGENT, &ignored) == 0 &&
        ldr_checkpointer_start(&k, db, SYNC_CHECKPOINT_BYTES, &ignored) == 0)
        ldr_checkpointer_watch(k, s->db);
    return k;
}

static void stop_checkpoints(struct store *s, struct ldr_checkpointer *k)
{
    if (!k)
        return;
    ldr_checkpointer_unwatch(s->db);
    ldr_checkpointer_stop(k);
}

static int pull(struct store *s, struct http *c, const struct sync_opts *o,
                struct sync_stats *st, struct ldr_err *err)
{
    struct flight f = {.c = c, .o = o, .method = "GET"};
    uint64_t cursor = meta_uint(s, "cursor");
    char *form = store_meta(s, "pull_form");
    bool state_form = cursor == 0 || (form && strcmp(form, "state") == 0);
    struct ldr_checkpointer *k = NULL;
    bool more = true;
    int rc = 0;

    free(form);
    if (state_form && cursor == 0 &&
        (rc = store_set_meta(s, "pull_form", "state", err)) != 0)
        return rc;
    ask_page(&f, s, (json_int_t)cursor, state_form);
    while (rc == 0 && more) {
        rc = take_page(s, &f, state_form, &more, st, err);
        if (rc == 0 && more && !k)
            k = start_checkpoints(s);
        if (rc == 0)
            report(s, o, st);
    }
    stop_checkpoints(s, k);
    return rc;
}

int sync_run(struct store *s, struct http *c, const struct sync_opts *o,
             struct sync_stats *st, struct ldr_err *err)
{
    char now[25];
    int rc;

    memset(st, 0, sizeof *st);
    /* Replies and set bodies stay in their own mappings, given back when
     * freed: with two alive at once (one in flight), glibc's rising
     * threshold would leave them in a heap that only grows (peak RSS). */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    rc = push(s, c, o, st, err);
    if (rc == 0)
        rc = pull(s, c, o, st, err);
    if (rc == 0)
        rc = sync_models(s, c, o, false, st, err);
    if (rc == 0)
        rc = sync_journal(s, c, o, st, err);
    if (rc == 0) {
        store_now(now);
        rc = store_begin(s, err);
        rc = rc ? rc : store_set_meta(s, "last_sync", now, err);
        rc = rc ? rc : store_commit(s, err);
        if (rc)
            store_rollback(s);
    }
    http_traffic(c, &st->sent, &st->received);
    return rc;
}
