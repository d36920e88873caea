/*
 * One change of a change set, inside the set's transaction: the clock
 * bound, who may write it, its identity, the merge, the domain rules, and
 * then either the accepted change (log, record, conflicts) or its
 * rejection. A rejected change leaves nothing behind but its rejection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "gitstore.h"
#include "ladder/domain.h"
#include "ladder/model.h"
#include "ladder/record.h"
#include "ladder/utf8.h"

static const char *const sql[HUB_ST_COUNT] = {
    [HUB_ST_FIND_CHANGE] = "SELECT seq, body FROM changes WHERE kind = ? AND "
                           "record = ? AND device = ? AND hlc = ?",
    [HUB_ST_GET_RECORD] = "SELECT state FROM records WHERE kind = ? AND id = ?",
    [HUB_ST_PUT_RECORD] =
        "INSERT INTO records (kind, id, rev, state, unit, subject, author, "
        "private, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON "
        "CONFLICT (kind, id) DO UPDATE SET rev = ?3, state = ?4, unit = ?5, "
        "subject = ?6, author = ?7, private = ?8, updated_at = ?9",
    [HUB_ST_ADD_CHANGE] =
        "INSERT INTO changes (seq, kind, record, device, author, hlc, base, "
        "body, changeset, change_index, received_at) VALUES (?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?)",
    [HUB_ST_ADD_CONFLICT] =
        "INSERT OR IGNORE INTO conflicts (seq, kind, record, path, "
        "winner_value, winner_hlc, winner_device, winner_author, winner_rev, "
        "loser_value, loser_hlc, loser_device, loser_author, loser_rev) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [HUB_ST_ADD_REJECTION] =
        "INSERT INTO rejections (changeset, change_index, kind, record, "
        "device, author, hlc, code, message, body) VALUES (?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?)",
    [HUB_ST_GET_MODEL] = "SELECT body FROM models WHERE id = ? AND version = ?",
    [HUB_ST_GET_PERSON] = "SELECT unit FROM records WHERE kind = 'person' AND "
                          "id = ?",
    [HUB_ST_GET_CLOCK] = "SELECT value FROM meta WHERE key = 'clock'",
    [HUB_ST_PUT_CLOCK] = "INSERT INTO meta (key, value) VALUES ('clock', ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = "
                         "excluded.value",
    [HUB_ST_NEXT_SEQ] =
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = "
        "'changes'), 0), coalesce((SELECT max(seq) FROM changes), 0))",
    [HUB_ST_FIND_SET] = "SELECT digest, answer FROM changesets WHERE id = ?",
    [HUB_ST_DATA_VERSION] = "PRAGMA data_version",
    [HUB_ST_KEEP_SET] = "INSERT INTO changesets (id, digest, principal, "
                        "answer) VALUES (?, ?, ?, ?)",
};

static int db_error(sqlite3 *db, const char *what, struct ldr_err *err)
{
    int code = sqlite3_errcode(db);

    if (code == SQLITE_NOMEM)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory %s", what);
    return ldr_err_set(
        err, code == SQLITE_BUSY || code == SQLITE_LOCKED ? LDR_EBUSY : LDR_EDB,
        "%s: %s", what, sqlite3_errmsg(db));
}

/* ---- the set's context --------------------------------------------------- */

static int load_clock(struct hub_apply *a, struct ldr_err *err)
{
    sqlite3_stmt *st = a->st[HUB_ST_GET_CLOCK];
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW &&
        ldr_hlc_parse(&a->clock.last, (const char *)sqlite3_column_text(st, 0),
                      err) != 0) {
        sqlite3_reset(st);
        return ldr_err_prefix(err, "the hub's saved clock is damaged: ");
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(a->db, "reading the clock", err);
    return 0;
}

/* The units the writer keeps stand while only it writes: another
 * connection's commit (data_version moves) may have moved a person. */
static int check_roster(struct hub_apply *a, struct ldr_err *err)
{
    sqlite3_stmt *st = a->st[HUB_ST_DATA_VERSION];
    int64_t version;
    int rc = sqlite3_step(st);

    version = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return db_error(a->db, "reading the data version", err);
    if (version != a->w->data_version)
        hub_units_forget(a->w);
    a->w->data_version = version;
    return 0;
}

/* The seq AUTOINCREMENT would give next: past every seq ever used. */
static int load_next_seq(struct hub_apply *a, struct ldr_err *err)
{
    sqlite3_stmt *st = a->st[HUB_ST_NEXT_SEQ];
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW)
        a->next_seq = (uint64_t)sqlite3_column_int64(st, 0) + 1;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : db_error(a->db, "reading the sequence", err);
}

static bool same_record(const struct ldr_change *x, const struct ldr_change *y)
{
    return strcmp(x->record, y->record) == 0 && strcmp(x->kind, y->kind) == 0;
}

/* Orders change indexes by record, then by their place in the set. */
static int by_record(const void *x, const void *y, void *ctx)
{
    const struct ldr_change *ch = ctx;
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    int d = strcmp(ch[i].kind, ch[j].kind);

    if (d == 0)
        d = strcmp(ch[i].record, ch[j].record);
    return d ? d : (i > j) - (i < j);
}

/* For each change, the next one of the set to the same record: its
 * record is held for that one rather than written. */
static int plan(struct hub_apply *a, const struct ldr_changeset *set,
                struct ldr_err *err)
{
    size_t n = set->count, *order = malloc((n + 1) * sizeof *order);

    a->next = malloc((n + 1) * sizeof *a->next);
    a->held = calloc(n + 1, sizeof *a->held);
    if (!order || !a->next || !a->held) {
        free(order);
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    }
    a->nchanges = n;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof *order, by_record, set->changes);
    for (size_t k = 0; k < n; k++)
        a->next[order[k]] =
            k + 1 < n && same_record(&set->changes[order[k]],
                                     &set->changes[order[k + 1]])
                ? order[k + 1]
                : HUB_NO_NEXT;
    free(order);
    return 0;
}

int hub_writer_open(struct hub_writer **out, const char *dir,
                    struct ldr_err *err)
{
    struct hub_writer *w = calloc(1, sizeof *w);

    *out = NULL;
    if (!w)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    pthread_mutex_init(&w->lock, NULL);
    if (hub_db_open(&w->db, dir, err) != 0) {
        hub_writer_close(w);
        return err->code;
    }
    for (int i = 0; i < HUB_ST_COUNT; i++)
        if (sqlite3_prepare_v3(w->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                               &w->st[i], NULL) != SQLITE_OK) {
            db_error(w->db, "preparing the writer's statements", err);
            hub_writer_close(w);
            return err->code;
        }
    *out = w;
    return 0;
}

void hub_writer_close(struct hub_writer *w)
{
    if (!w)
        return;
    for (int i = 0; i < HUB_ST_COUNT; i++)
        sqlite3_finalize(w->st[i]);
    for (size_t i = 0; i < w->nmodels; i++)
        ldr_model_free(w->models[i].model);
    free(w->models);
    hub_units_forget(w);
    sqlite3_close(w->db);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

sqlite3 *hub_writer_db(struct hub_writer *w)
{
    return w->db;
}

pthread_mutex_t *hub_writer_lock(struct hub_writer *w)
{
    return &w->lock;
}

static void models_trim(struct hub_writer *w);

int hub_apply_init(struct hub_apply *a, struct hub_writer *w,
                   const struct hub_config *cfg, const struct hub_principal *p,
                   const struct ldr_changeset *set, struct ldr_err *err)
{
    memset(a, 0, sizeof *a);
    a->w = w;
    a->db = w->db;
    a->st = w->st;
    a->p = p;
    a->set_id = set->id;
    /* the set's rows are stamped with its time, formatted once */
    ldr_time_format(a->now, ldr_wall_ms());
    models_trim(w);
    w->sets++;
    ldr_clock_init(&a->clock);
    a->clock.max_ahead_ms = cfg->max_ahead_ms;
    ldr_jsonbuf_init(&a->accepted);
    ldr_jsonbuf_init(&a->rejected);
    ldr_jsonbuf_init(&a->body);
    ldr_jsonbuf_init(&a->state);
    if (plan(a, set, err) != 0 || load_clock(a, err) != 0 ||
        check_roster(a, err) != 0)
        return err->code;
    return load_next_seq(a, err);
}

static void held_free(struct hub_held *h);

void hub_apply_release(struct hub_apply *a)
{
    for (int i = 0; a->st && i < HUB_ST_COUNT; i++)
        sqlite3_reset(a->st[i]); /* none left holding a read open */
    for (size_t i = 0; a->held && i < a->nchanges; i++)
        held_free(a->held[i]); /* left by a set that failed */
    free(a->held);
    free(a->next);
    ldr_jsonbuf_release(&a->accepted);
    ldr_jsonbuf_release(&a->rejected);
    ldr_jsonbuf_release(&a->body);
    ldr_jsonbuf_release(&a->state);
    memset(a, 0, sizeof *a);
}

int hub_apply_save_clock(struct hub_apply *a, struct ldr_err *err)
{
    char text[LDR_HLC_TEXT_LEN + 1];
    sqlite3_stmt *st = a->st[HUB_ST_PUT_CLOCK];
    int rc;

    ldr_hlc_format(text, a->clock.last);
    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_error(a->db, "saving the clock", err);
}

/* ---- lookups for the domain rules ---------------------------------------- */

static struct ldr_model *load_model(struct hub_apply *a, const char *id,
                                    const char *version)
{
    sqlite3_stmt *st = a->st[HUB_ST_GET_MODEL];
    struct ldr_model *m = NULL;

    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, version, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
        ldr_model_parse(&m, (const char *)sqlite3_column_text(st, 0),
                        (size_t)sqlite3_column_bytes(st, 0), NULL, NULL);
    sqlite3_reset(st);
    if (!m) /* pushed with plain git: read it there, keep it in the table */
        hub_model_from_git(&m, a->db, id, version, NULL);
    return m;
}

/* The writer's slot for a model version, or NULL. */
static struct hub_model_slot *model_find(struct hub_writer *w, const char *id,
                                         const char *version)
{
    for (size_t i = 0; i < w->nmodels; i++)
        if (strcmp(w->models[i].id, id) == 0 &&
            strcmp(w->models[i].version, version) == 0)
            return &w->models[i];
    return NULL;
}

/* A slot for a new version: the least recently used one when no set but
 * an earlier one used it, else a new one (a model handed out during a set
 * stays valid until the set ends). NULL when out of memory. */
static struct hub_model_slot *model_slot(struct hub_writer *w)
{
    struct hub_model_slot *old = NULL, *grown;

    for (size_t i = 0; i < w->nmodels; i++)
        if (!old || w->models[i].used < old->used)
            old = &w->models[i];
    if (old && w->nmodels >= HUB_MODELS_KEPT && old->used < w->sets) {
        ldr_model_free(old->model);
        memset(old, 0, sizeof *old);
        return old;
    }
    grown = realloc(w->models, (w->nmodels + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    w->models = grown;
    memset(&grown[w->nmodels], 0, sizeof *grown);
    return &grown[w->nmodels++];
}

/* Back to HUB_MODELS_KEPT versions between sets, the least used going. */
static void models_trim(struct hub_writer *w)
{
    while (w->nmodels > HUB_MODELS_KEPT) {
        size_t old = 0;

        for (size_t i = 1; i < w->nmodels; i++)
            if (w->models[i].used < w->models[old].used)
                old = i;
        ldr_model_free(w->models[old].model);
        w->models[old] = w->models[--w->nmodels];
    }
}

/* A model version, parsed once and kept by the writer; one the hub lacks
 * is looked up again by the next set (it may be published meanwhile). */
static const struct ldr_model *find_model(void *ctx, const char *id,
                                          const char *version)
{
    struct hub_apply *a = ctx;
    struct hub_model_slot *m;

    if (!id || !version || strlen(id) >= sizeof m->id || strlen(version) != 40)
        return NULL;
    m = model_find(a->w, id, version);
    if (m && (m->model || m->used == a->w->sets)) {
        m->used = a->w->sets;
        return m->model;
    }
    if (!m && !(m = model_slot(a->w)))
        return NULL;
    snprintf(m->id, sizeof m->id, "%s", id);
    snprintf(m->version, sizeof m->version, "%s", version);
    m->model = load_model(a, id, version);
    m->used = a->w->sets;
    return m->model;
}

static bool on_roster(void *ctx, const char *person)
{
    char unit[HUB_UNIT_MAX + 1];

    return person && hub_person_unit(ctx, person, unit) == 1;
}

/* ---- one change ---------------------------------------------------------- */

/* A conflict the merge found, copied until the change is accepted. */
struct found {
    char *path;
    char *value[2]; /* winner, loser: JSON text, NULL for a removal */
    struct ldr_write side[2];
};

/* A record between changes of the set, as its accepted changes so far
 * left it. */
struct hub_held {
    struct ldr_record rec;
    json_t *value; /* as read, ldr_domain_before(); after a change, its
                      ldr_record_value(); NULL while there is no record */
    bool dirty;    /* changed since read or written */
};

static void held_free(struct hub_held *h)
{
    if (!h)
        return;
    ldr_record_release(&h->rec);
    json_decref(h->value);
    free(h);
}

/* What happens to one change while it is worked on. */
struct work {
    const struct ldr_change *ch;
    size_t index;
    const char *body;      /* canonical text, in a->body */
    struct hub_held *held; /* the record before the change, once read */
    struct ldr_record rec; /* a copy of it with the change merged */
    const json_t *before;  /* held->value: NULL for a new record */
    json_t *after;
    struct found *found;
    size_t nfound;
    bool oom;
};

static char *dump_value(const json_t *v, bool *oom)
{
    struct ldr_jsonbuf b;
    char *text;

    if (!v)
        return NULL;
    ldr_jsonbuf_init(&b);
    ldr_jsonbuf_value(&b, v, true);
    text = ldr_jsonbuf_detach(&b, NULL);
    *oom = *oom || !text;
    return text;
}

static int collect_conflict(void *ctx, const struct ldr_conflict *c)
{
    struct work *w = ctx;
    struct found *grown = realloc(w->found, (w->nfound + 1) * sizeof *grown);
    struct found *f;

    if (!grown)
        return LDR_ENOMEM;
    w->found = grown;
    f = &grown[w->nfound++];
    memset(f, 0, sizeof *f);
    f->path = strdup(c->path);
    f->value[0] = dump_value(c->winner_value, &w->oom);
    f->value[1] = dump_value(c->loser_value, &w->oom);
    f->side[0] = *c->winner;
    f->side[1] = *c->loser;
    return f->path && !w->oom ? 0 : LDR_ENOMEM;
}

static void work_release(struct work *w)
{
    for (size_t i = 0; i < w->nfound; i++) {
        free(w->found[i].path);
        free(w->found[i].value[0]);
        free(w->found[i].value[1]);
    }
    free(w->found);
    json_decref(w->after);
    ldr_record_release(&w->rec);
}

static void bind_change_key(sqlite3_stmt *st, int at,
                            const struct ldr_change *ch, const char *hlc)
{
    sqlite3_bind_text(st, at, ch->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, at + 1, ch->record, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, at + 2, ch->device, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, at + 3, ch->author, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, at + 4, hlc, -1, SQLITE_TRANSIENT);
}

/* The answer's entry for a rejected change; the first "forbidden" is
 * kept for a 403. */
static int answer_rejection(struct hub_apply *a, size_t index, const char *code,
                            const char *message, struct ldr_err *err)
{
    struct ldr_jsonbuf *b = &a->rejected;
    size_t n = strlen(message);

    ldr_jsonbuf_adds(b, b->len ? ",{\"code\":" : "{\"code\":");
    ldr_jsonbuf_strings(b, code);
    ldr_jsonbuf_adds(b, ",\"index\":");
    ldr_jsonbuf_uint(b, index);
    ldr_jsonbuf_adds(b, ",\"message\":");
    /* a message cut inside a character keeps only what is whole */
    ldr_jsonbuf_string(b, message, ldr_utf8_check(message, n));
    ldr_jsonbuf_adds(b, "}");
    if (b->oom)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    if (strcmp(code, "forbidden") == 0 && a->nforbidden++ == 0)
        snprintf(a->forbidden, sizeof a->forbidden, "change %zu: %s", index,
                 message);
    return 0;
}

/* A rejected change, kept whole with its reason (DESIGN.md section 3). */
static int reject(struct hub_apply *a, struct work *w, const char *code,
                  const char *message, struct ldr_err *err)
{
    sqlite3_stmt *st = a->st[HUB_ST_ADD_REJECTION];
    char hlc[LDR_HLC_TEXT_LEN + 1];
    int rc;

    ldr_hlc_format(hlc, w->ch->hlc);
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, a->set_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)w->index);
    bind_change_key(st, 3, w->ch, hlc);
    sqlite3_bind_text(st, 8, code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, message, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, w->body, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_error(a->db, "keeping a rejection", err);
    return answer_rejection(a, w->index, code, message, err);
}

/*
 * A change its sender may not write under its author's name: answered,
 * but not kept in the rejections table, where it would stand in the
 * rejected list of the author it names.
 */
static int refuse_sender(struct hub_apply *a, struct work *w, const char *why,
                         struct ldr_err *err)
{
    return answer_rejection(a, w->index, "forbidden", why, err);
}

static int accept(struct hub_apply *a, size_t index, uint64_t seq,
                  struct ldr_err *err)
{
    struct ldr_jsonbuf *b = &a->accepted;

    ldr_jsonbuf_adds(b, b->len ? ",{\"index\":" : "{\"index\":");
    ldr_jsonbuf_uint(b, index);
    ldr_jsonbuf_adds(b, ",\"seq\":");
    ldr_jsonbuf_uint(b, seq);
    ldr_jsonbuf_adds(b, "}");
    return b->oom ? ldr_err_set(err, LDR_ENOMEM, "out of memory") : 0;
}

/*
 * A change with this one's (kind, record, device, hlc) already in the
 * log: the same change sent again is answered with its seq; another
 * change under the same stamp is refused (the merge would depend on the
 * order). *done is true when the change is answered.
 */
static int identity(struct hub_apply *a, struct work *w, bool *done,
                    struct ldr_err *err)
{
    sqlite3_stmt *st = a->st[HUB_ST_FIND_CHANGE];
    char hlc[LDR_HLC_TEXT_LEN + 1];
    sqlite3_int64 seq = 0;
    bool same = false;
    int rc;

    ldr_hlc_format(hlc, w->ch->hlc);
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, w->ch->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, w->ch->record, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, w->ch->device, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, hlc, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        seq = sqlite3_column_int64(st, 0);
        same = strcmp((const char *)sqlite3_column_text(st, 1), w->body) == 0;
    }
    sqlite3_reset(st);
    *done = rc == SQLITE_ROW;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(a->db, "looking up the change", err);
    if (rc == SQLITE_DONE)
        return 0;
    if (same)
        return accept(a, w->index, (uint64_t)seq, err);
    snprintf(err->msg, sizeof err->msg,
             "device %s already sent another change to %s %s stamped %s "
             "(seq %lld); a device must never reuse a stamp",
             w->ch->device, w->ch->kind, w->ch->record, hlc, (long long)seq);
    return reject(a, w, "duplicate_stamp", err->msg, err);
}

/* Reads the change's record (none for a new one) and holds it. */
static int load_held(struct hub_apply *a, struct work *w, struct ldr_err *err)
{
    sqlite3_stmt *st = a->st[HUB_ST_GET_RECORD];
    struct hub_held *h = calloc(1, sizeof *h);
    int rc;

    if (!h)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    ldr_record_init(&h->rec, w->ch->kind, w->ch->record);
    w->held = h;
    a->nheld++;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, w->ch->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, w->ch->record, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 0);

        rc = text ? ldr_record_parse(&h->rec, text,
                                     (size_t)sqlite3_column_bytes(st, 0), NULL,
                                     err)
                  : LDR_EINVAL;
        if (rc == LDR_EINVAL)
            rc = ldr_err_set(err, LDR_EDB, "record %s %s: damaged state",
                             w->ch->kind, w->ch->record);
    } else if (rc == SQLITE_DONE) {
        rc = 1; /* a new record */
    } else {
        rc = db_error(a->db, "reading the record", err);
    }
    sqlite3_reset(st);
    if (rc == 1)
        return 0;
    if (rc == 0 && !(h->value = ldr_domain_before(h->rec.kind, &h->rec)))
        rc = ldr_err_set(err, LDR_ENOMEM, "out of memory");
    return rc;
}

static const char *text_of(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));

    return s ? s : "?";
}

/* The domain rules against the hub's roster and models. *code is set
 * when they refuse; the message is in err. */
static int check_domain(struct hub_apply *a, struct work *w, const char **code,
                        struct ldr_err *err)
{
    struct ldr_domain_env env = {find_model, on_roster, a,
                                 a->p->role == HUB_HR};
    int rc = ldr_domain_check(&env, w->ch->kind, w->before, w->after, err);

    *code = NULL;
    if (rc == LDR_ENOTFOUND) {
        *code = "model_unknown";
        ldr_err_set(err, rc,
                    "model %.64s@%.40s is not on the hub; HR publishes it "
                    "('ladder-hub model publish' or a git push)",
                    text_of(w->after, "model"), text_of(w->after, "version"));
        return 0;
    }
    if (rc == LDR_EINVAL)
        *code = "invalid";
    return rc == LDR_EINVAL ? 0 : rc;
}

static void bind_side(sqlite3_stmt *st, int at, const char *value,
                      const struct ldr_write *w)
{
    char hlc[LDR_HLC_TEXT_LEN + 1];

    ldr_hlc_format(hlc, w->hlc);
    if (value)
        sqlite3_bind_text(st, at, value, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, at);
    sqlite3_bind_text(st, at + 1, hlc, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, at + 2, w->device, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, at + 3, w->author, -1, SQLITE_STATIC);
    if (w->rev == LDR_REV_PENDING)
        sqlite3_bind_null(st, at + 4);
    else
        sqlite3_bind_int64(st, at + 4, (sqlite3_int64)w->rev);
}

static int save_conflicts(struct hub_apply *a, struct work *w, uint64_t seq,
                          struct ldr_err *err)
{
    sqlite3_stmt *st = a->st[HUB_ST_ADD_CONFLICT];

    for (size_t i = 0; i < w->nfound; i++) {
        int rc;

        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
        sqlite3_bind_text(st, 2, w->ch->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, w->ch->record, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, w->found[i].path, -1, SQLITE_STATIC);
        bind_side(st, 5, w->found[i].value[0], &w->found[i].side[0]);
        bind_side(st, 10, w->found[i].value[1], &w->found[i].side[1]);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return db_error(a->db, "keeping a conflict", err);
        a->nconflicts += (size_t)sqlite3_changes(a->db);
    }
    return 0;
}

static int save_change(struct hub_apply *a, struct work *w, uint64_t seq,
                       struct ldr_err *err)
{
    sqlite3_stmt *st = a->st[HUB_ST_ADD_CHANGE];
    char hlc[LDR_HLC_TEXT_LEN + 1];
    int rc;

    ldr_hlc_format(hlc, w->ch->hlc);
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
    bind_change_key(st, 2, w->ch, hlc);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)w->ch->base);
    sqlite3_bind_text(st, 8, w->body, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, a->set_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)w->index);
    sqlite3_bind_text(st, 11, a->now, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE &&
        sqlite3_extended_errcode(a->db) == SQLITE_CONSTRAINT_UNIQUE) {
        sqlite3_reset(st);
        return 1; /* its stamp is logged already */
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_error(a->db, "logging the change", err);
}

/* A text field of a record's value for a scope column, or NULL. */
static void bind_field(sqlite3_stmt *st, int at, const json_t *value,
                       const char *key)
{
    const char *s = json_string_value(json_object_get(value, key));

    if (s)
        sqlite3_bind_text(st, at, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, at);
}

/* The state, and the fields of the value that scope checks read
 * (schema/hub/0004_scope_columns.sql). */
static int save_record(struct hub_apply *a, struct hub_held *h,
                       struct ldr_err *err)
{
    sqlite3_stmt *st = a->st[HUB_ST_PUT_RECORD];
    const char *kind = h->rec.kind;
    bool note = strcmp(kind, "note") == 0;
    bool about = note || strcmp(kind, "assessment") == 0;
    int rc;

    ldr_jsonbuf_reset(&a->state);
    ldr_record_write(&a->state, &h->rec);
    if (a->state.oom)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, h->rec.id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)h->rec.rev);
    sqlite3_bind_text64(st, 4, a->state.data, a->state.len, SQLITE_STATIC,
                        SQLITE_UTF8);
    if (strcmp(kind, "person") == 0)
        bind_field(st, 5, h->value, "unit");
    if (about)
        bind_field(st, 6, h->value, "subject");
    if (note)
        bind_field(st, 7, h->value, "author");
    sqlite3_bind_int(
        st, 8, note && json_is_true(json_object_get(h->value, "private")));
    sqlite3_bind_text(st, 9, a->now, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_error(a->db, "saving the record", err);
}

/* The accepted change's record becomes the one held. A person is
 * written at once: the roster is read from the table. */
static int hold(struct hub_apply *a, struct work *w, struct ldr_err *err)
{
    struct hub_held *h = w->held;

    ldr_record_release(&h->rec);
    h->rec = w->rec; /* moved */
    ldr_record_init(&w->rec, w->ch->kind, w->ch->record);
    json_decref(h->value);
    h->value = w->after;
    w->after = NULL;
    w->before = NULL;
    h->dirty = true;
    if (strcmp(h->rec.kind, "person") != 0)
        return 0;
    hub_units_forget(a->w);
    h->dirty = false;
    return save_record(a, h, err);
}

/* The accepted change: logged first (conflicts point at its seq), then
 * its conflicts; its record is written after the set's last change to
 * it (pass_on). */
static int commit_change(struct hub_apply *a, struct work *w,
                         struct ldr_err *err)
{
    uint64_t seq = a->next_seq;
    bool done;
    int rc = save_change(a, w, seq, err);

    if (rc == 1) /* a stamp ldr_record_may_hold could not place */
        return identity(a, w, &done, err);
    if (rc == 0)
        rc = save_conflicts(a, w, seq, err);
    if (rc == 0)
        rc = accept(a, w->index, seq, err);
    if (rc == 0)
        rc = ldr_clock_recv(&a->clock, w->ch->hlc, NULL, err);
    if (rc == 0)
        a->next_seq++;
    return rc == 0 ? hold(a, w, err) : rc;
}

/* Merges the change into a copy of the held record, with the seq it will
 * get; the conflicts found wait in `w` until the change is accepted. */
static int merge(struct hub_apply *a, struct work *w, struct ldr_err *err)
{
    int rc = ldr_record_merge(&w->rec, &w->held->rec, err);

    if (rc == 0)
        rc = ldr_record_apply(&w->rec, w->ch, a->next_seq, collect_conflict, w,
                              err);
    if (rc == 0 && !(w->after = ldr_record_value(&w->rec)))
        rc = ldr_err_set(err, LDR_ENOMEM, "out of memory");
    w->before = w->held->value;
    return w->oom ? ldr_err_set(err, LDR_ENOMEM, "out of memory") : rc;
}

/* The change's record, then whether the log has the change already: it
 * cannot when there is no record yet (a set's first change to a new one,
 * as most of a first push's are), which saves a lookup. */
static int known(struct hub_apply *a, struct work *w, bool *done,
                 struct ldr_err *err)
{
    int rc = w->held ? 0 : load_held(a, w, err);

    *done = false;
    if (rc == 0 && w->held->value && ldr_record_may_hold(&w->held->rec, w->ch))
        rc = identity(a, w, done, err);
    return rc;
}

/* Steps after the identity check: scope, merge, rules, then keep it. */
static int settle(struct hub_apply *a, struct work *w, struct ldr_err *err)
{
    char why[HUB_WHY_MAX];
    const char *code;
    int rc;

    if (!ldr_domain_kind_known(w->ch->kind)) {
        ldr_domain_check(NULL, w->ch->kind, NULL, NULL, err);
        return reject(a, w, "invalid", err->msg, err);
    }
    if ((rc = merge(a, w, err)) != 0)
        return rc;
    if (!hub_may_write(a, w->ch->kind, w->before, w->after, why))
        return reject(a, w, "forbidden", why, err);
    if ((rc = check_domain(a, w, &code, err)) != 0)
        return rc;
    if (code)
        return reject(a, w, code, err->msg, err);
    return commit_change(a, w, err);
}

/*
 * After change `index`, its record (if read) is held for the set's next
 * change to it, or else written if changed, and let go. A set that
 * touches more than HUB_HELD_MAX records at once writes some early; a
 * later change reads them back.
 */
static int pass_on(struct hub_apply *a, size_t index, struct hub_held *h,
                   struct ldr_err *err)
{
    size_t next = a->next[index];
    int rc = 0;

    if (!h)
        return 0;
    if (next != HUB_NO_NEXT && a->nheld <= HUB_HELD_MAX) {
        a->held[next] = h;
        return 0;
    }
    if (h->dirty)
        rc = save_record(a, h, err);
    held_free(h);
    a->nheld--;
    return rc;
}

int hub_apply_change(struct hub_apply *a, size_t index,
                     const struct ldr_change *ch, struct ldr_err *err)
{
    struct work w = {.ch = ch, .index = index, .held = a->held[index]};
    char who[LDR_UUID_LEN + LDR_AUTHOR_MAX + 32], why[HUB_WHY_MAX];
    bool done = false;
    int rc = 0;

    a->held[index] = NULL;
    ldr_record_init(&w.rec, ch->kind, ch->record);
    ldr_jsonbuf_reset(&a->body);
    ldr_change_write(&a->body, ch);
    w.body = a->body.data;
    snprintf(who, sizeof who, "device %s of '%s'", ch->device, ch->author);
    if (a->body.oom)
        rc = ldr_err_set(err, LDR_ENOMEM, "out of memory");
    else if (!hub_may_write_as(a->p, ch, why))
        rc = refuse_sender(a, &w, why, err);
    else if (ldr_clock_check(&a->clock, ch->hlc, who, err) != 0)
        rc = reject(a, &w, "clock_ahead", err->msg, err);
    else if ((rc = known(a, &w, &done, err)) == 0 && !done)
        rc = settle(a, &w, err);
    work_release(&w);
    if (rc == 0)
        return pass_on(a, index, w.held, err);
    a->held[index] = w.held; /* freed with the set, which is undone */
    return rc;
}
