#include "evidence.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/change.h"
#include "ladder/err.h"
#include "ladder/record.h"
#include "store.h"

/* An answer or test with its stamp, so the latest can be put last. */
struct piece {
    struct ldr_hlc at;
    size_t seq; /* ties keep the order of discovery */
    const char *key;
    const char *choice;
    double score;
};

struct pieces {
    struct piece *items;
    size_t count, cap;
};

static int oom(struct ldr_err *err)
{
    return ldr_err_set(err, LDR_ENOMEM, "out of memory gathering evidence");
}

/* Makes room for one more element of `size` bytes in `*items`. */
static int grow(void **items, size_t *cap, size_t count, size_t size)
{
    size_t n = *cap ? 2 * *cap : 8;
    void *grown;

    if (count < *cap)
        return 0;
    grown = realloc(*items, n * size);
    if (!grown)
        return LDR_ENOMEM;
    *items = grown;
    *cap = n;
    return 0;
}

static const char *text(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));

    return s ? s : "";
}

/* The stamp of the write that set `path`; zero if the field is missing. */
static struct ldr_hlc stamp_of(const struct ldr_record *rec, const char *path)
{
    const struct ldr_field *f = ldr_record_field(rec, path);
    struct ldr_hlc none = {0, 0};

    return f ? rec->writes[f->write].hlc : none;
}

/* ---- loading the submitted assessments --------------------------------- */

static void item_release(struct evidence_assessment *a)
{
    json_decref(a->value);
    if (a->state) {
        ldr_record_release(a->state);
        free(a->state);
    }
    memset(a, 0, sizeof *a);
}

static int load_row(struct evidence_assessment *a, sqlite3_stmt *st,
                    struct ldr_err *err)
{
    const char *id = (const char *)sqlite3_column_text(st, 0);
    json_t *state =
        json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
    int rc;

    memset(a, 0, sizeof *a);
    snprintf(a->id, sizeof a->id, "%s", id);
    a->value = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
    a->state = malloc(sizeof *a->state);
    if (a->state)
        ldr_record_init(a->state, "assessment", a->id);
    if (!a->value || !state || !a->state) {
        json_decref(state);
        return ldr_err_set(err, LDR_EDB, "assessment %s: damaged record", id);
    }
    rc = ldr_record_from_json(a->state, state, err);
    json_decref(state);
    if (rc)
        return ldr_err_prefix(err, "assessment %s: ", a->id);
    a->version = text(a->value, "version");
    a->kind = text(a->value, "kind");
    a->assessor = text(a->value, "assessor");
    a->submitted = text(a->value, "submitted");
    a->at = stamp_of(a->state, "/state");
    return 0;
}

/* Reads the records_subject index: a subject's submitted assessments of
 * `model`, or of every model when NULL. */
static int load_submitted(struct evidence *e, struct store *s,
                          const char *subject, const char *model,
                          struct ldr_err *err)
{
    static const char sql[] =
        "SELECT id, value, state FROM records WHERE kind = 'assessment' "
        "AND subject = ?1 "
        "AND json_extract(value, '$.state') = 'submitted' "
        "AND (?2 IS NULL OR json_extract(value, '$.model') = ?2)";
    size_t cap = 0;
    sqlite3_stmt *st;
    int rc = 0, step;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return ldr_err_set(err, LDR_EDB, "reading assessments: %s",
                           sqlite3_errmsg(s->db));
    sqlite3_bind_text(st, 1, subject, -1, SQLITE_STATIC);
    if (model)
        sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC);
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)&e->items, &cap, e->count, sizeof *e->items))
            rc = oom(err);
        else
            rc = load_row(&e->items[e->count++], st, err);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = ldr_err_set(err, LDR_EDB, "reading assessments: %s",
                         sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return rc;
}

static long count_drafts(struct store *s, const char *subject,
                         const char *model)
{
    static const char sql[] =
        "SELECT count(*) FROM records WHERE kind = 'assessment' "
        "AND subject = ?1 "
        "AND json_extract(value, '$.state') = 'draft' "
        "AND (?2 IS NULL OR json_extract(value, '$.model') = ?2)";
    sqlite3_stmt *st;
    long n = 0;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, subject, -1, SQLITE_STATIC);
    if (model)
        sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static int none_submitted(struct store *s, const char *subject,
                          const char *model, struct ldr_err *err)
{
    long drafts = count_drafts(s, subject, model);
    char also[64] = "";

    if (drafts)
        snprintf(also, sizeof also, " (%ld draft%s, which do%s not count)",
                 drafts, drafts == 1 ? "" : "s", drafts == 1 ? "es" : "");
    return ldr_err_set(err, LDR_ENOTFOUND,
                       "no submitted assessment of %s%s%s%s: submit one "
                       "with 'ladder assess submit ID'",
                       subject, model ? " for model " : "", model ? model : "",
                       also);
}

/* Oldest submission first; equal stamps by id, so the order is stable. */
static int cmp_items(const void *pa, const void *pb)
{
    const struct evidence_assessment *a = pa, *b = pb;
    int c = ldr_hlc_cmp(a->at, b->at);

    return c ? c : strcmp(a->id, b->id);
}

/* Drops the assessments of other models, keeping the order. */
static void keep_model(struct evidence *e, const char *model)
{
    size_t kept = 0;

    for (size_t i = 0; i < e->count; i++) {
        if (strcmp(text(e->items[i].value, "model"), model) == 0)
            e->items[kept++] = e->items[i];
        else
            item_release(&e->items[i]);
    }
    e->count = kept;
}

/* "ID" or "ID@VERSION" into its parts; version "" when not given. */
static int split_model(struct evidence *e, const char *arg, char *version,
                       size_t size, struct ldr_err *err)
{
    const char *at = strchr(arg, '@');
    size_t idlen = at ? (size_t)(at - arg) : strlen(arg);

    if (idlen == 0 || idlen >= sizeof e->model_id || (at && !at[1]) ||
        (at && strlen(at + 1) >= size))
        return ldr_err_set(err, LDR_EINVAL,
                           "model '%s': expected ID or ID@VERSION", arg);
    memcpy(e->model_id, arg, idlen);
    e->model_id[idlen] = '\0';
    snprintf(version, size, "%s", at ? at + 1 : "");
    return 0;
}

/* The submitted assessments of the chosen model, and the chosen version
 * loaded: the one asked for, else that of the latest submission. */
static int choose(struct evidence *e, struct store *s, const char *subject,
                  const char *model, struct ldr_err *err)
{
    char asked[41] = "";
    const char *version;
    int rc = model ? split_model(e, model, asked, sizeof asked, err) : 0;

    if (rc == 0)
        rc = load_submitted(e, s, subject, model ? e->model_id : NULL, err);
    if (rc)
        return rc;
    if (e->count == 0)
        return none_submitted(s, subject, model ? e->model_id : NULL, err);
    qsort(e->items, e->count, sizeof *e->items, cmp_items);
    if (!model) {
        snprintf(e->model_id, sizeof e->model_id, "%s",
                 text(e->items[e->count - 1].value, "model"));
        keep_model(e, e->model_id);
    }
    version = asked[0] ? asked : e->items[e->count - 1].version;
    return store_model_get(s, e->model_id, version, &e->model, e->version, err);
}

/* ---- what each assessment contributes ----------------------------------- */

static int skip(struct evidence *e, size_t item, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int skip(struct evidence *e, size_t item, const char *field,
                const char *fmt, ...)
{
    struct evidence_skip *k;
    va_list ap;
    int n;

    if (grow((void **)&e->skipped, &e->cap_skipped, e->nskipped,
             sizeof *e->skipped))
        return LDR_ENOMEM;
    k = &e->skipped[e->nskipped];
    k->assessment = item;
    k->field = strdup(field);
    va_start(ap, fmt);
    n = vasprintf(&k->reason, fmt, ap);
    va_end(ap);
    if (n < 0)
        k->reason = NULL;
    e->nskipped++;
    return k->field && k->reason ? 0 : LDR_ENOMEM;
}

/* A rating counts when the chosen version has its competency and the level
 * is on its scale, whichever version the assessment pinned. */
static int take_rating(struct evidence *e, size_t item, const char *c,
                       const json_t *r)
{
    const struct evidence_assessment *a = &e->items[item];
    json_t *x = json_object_get(r, "level");
    json_int_t level = json_integer_value(x);
    char field[LDR_PATH_MAX], v[13];

    snprintf(field, sizeof field, "/ratings/%s/level", c);
    snprintf(v, sizeof v, "%.12s", e->version);
    if (!x)
        return 0; /* evidence text without a level is not a rating */
    if (!json_is_integer(x))
        return skip(e, item, field, "the level is not a whole number");
    if (!ldr_model_competency(e->model, c))
        return skip(e, item, field, "competency '%s' is not in version %s", c,
                    v);
    if (level < 1 || level > (json_int_t)e->model->nlevels)
        return skip(e, item, field,
                    "level %lld is not on the scale 1..%zu of version %s",
                    (long long)level, e->model->nlevels, v);
    if (grow((void **)&e->ratings, &e->cap_ratings, e->ev.nratings,
             sizeof *e->ratings))
        return LDR_ENOMEM;
    e->ratings[e->ev.nratings++] = (struct ldr_rating){
        c, a->assessor, (int)level, stamp_of(a->state, field)};
    return 0;
}

static int take_ratings(struct evidence *e, size_t item)
{
    json_t *ratings = json_object_get(e->items[item].value, "ratings");
    const char *c;
    json_t *r;
    int rc = 0;

    json_object_foreach(ratings, c, r)
    {
        if (rc == 0)
            rc = take_rating(e, item, c, r);
    }
    return rc;
}

/* Answers, tests and performance of another version: listed, not used. */
static int skip_other(struct evidence *e, size_t item)
{
    const struct evidence_assessment *a = &e->items[item];
    static const char *const members[] = {"answers", "tests"};
    static const char across[] = "only ratings count across versions";
    char field[LDR_PATH_MAX];
    const char *key;
    json_t *x;
    int rc = 0;

    for (size_t m = 0; m < 2; m++) {
        json_object_foreach(json_object_get(a->value, members[m]), key, x)
        {
            snprintf(field, sizeof field, "/%s/%s", members[m], key);
            if (rc == 0)
                rc = skip(e, item, field, "%s", across);
        }
    }
    if (rc == 0 && json_object_get(a->value, "performance"))
        rc = skip(e, item, "/performance", "%s", across);
    return rc;
}

static int add_piece(struct pieces *p, struct ldr_hlc at, const char *key,
                     const char *choice, double score)
{
    if (grow((void **)&p->items, &p->cap, p->count, sizeof *p->items))
        return LDR_ENOMEM;
    p->items[p->count] = (struct piece){at, p->count, key, choice, score};
    p->count++;
    return 0;
}

static int take_answers(struct evidence *e, size_t item, struct pieces *p)
{
    const struct evidence_assessment *a = &e->items[item];
    char field[LDR_PATH_MAX];
    struct ldr_err why = {0};
    const char *q;
    json_t *x;
    int rc = 0;

    json_object_foreach(json_object_get(a->value, "answers"), q, x)
    {
        snprintf(field, sizeof field, "/answers/%s", q);
        if (rc)
            break;
        if (ldr_model_check_answer(e->model, q, json_string_value(x), &why))
            rc = skip(e, item, field, "%s", why.msg);
        else
            rc = add_piece(p, stamp_of(a->state, field), q,
                           json_string_value(x), 0);
    }
    return rc;
}

static int take_tests(struct evidence *e, size_t item, struct pieces *p)
{
    const struct evidence_assessment *a = &e->items[item];
    char field[LDR_PATH_MAX];
    struct ldr_err why = {0};
    const char *c;
    json_t *x;
    int rc = 0;

    json_object_foreach(json_object_get(a->value, "tests"), c, x)
    {
        snprintf(field, sizeof field, "/tests/%s", c);
        if (rc)
            break;
        if (!json_is_number(x))
            rc = skip(e, item, field, "the score is not a number");
        else if (ldr_model_check_test(e->model, c, json_number_value(x), &why))
            rc = skip(e, item, field, "%s", why.msg);
        else
            rc = add_piece(p, stamp_of(a->state, field), c, NULL,
                           json_number_value(x));
    }
    return rc;
}

/* The latest performance by stamp wins; `*best` is its stamp so far. */
static int take_performance(struct evidence *e, size_t item,
                            struct ldr_hlc *best)
{
    const struct evidence_assessment *a = &e->items[item];
    json_t *x = json_object_get(a->value, "performance");
    struct ldr_hlc at = stamp_of(a->state, "/performance");
    double v = json_number_value(x);

    if (!x)
        return 0;
    if (!json_is_number(x) || !(v >= 0 && v <= 100))
        return skip(e, item, "/performance", "not a score 0..100");
    if (e->ev.has_performance && ldr_hlc_cmp(at, *best) < 0)
        return 0;
    e->ev.has_performance = true;
    e->ev.performance = v;
    *best = at;
    return 0;
}

static int cmp_pieces(const void *pa, const void *pb)
{
    const struct piece *a = pa, *b = pb;
    int c = ldr_hlc_cmp(a->at, b->at);

    return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

/* qsort() must not be given NULL, even for no items. */
static void sort_pieces(struct pieces *p)
{
    if (p->count)
        qsort(p->items, p->count, sizeof *p->items, cmp_pieces);
}

/* Answers and tests in stamp order: the core counts the later one. */
static int settle(struct evidence *e, struct pieces *answers,
                  struct pieces *tests)
{
    sort_pieces(answers);
    sort_pieces(tests);
    e->answers = calloc(answers->count + 1, sizeof *e->answers);
    e->tests = calloc(tests->count + 1, sizeof *e->tests);
    if (!e->answers || !e->tests)
        return LDR_ENOMEM;
    for (size_t i = 0; i < answers->count; i++)
        e->answers[i] = (struct ldr_answer){answers->items[i].key,
                                            answers->items[i].choice};
    for (size_t i = 0; i < tests->count; i++)
        e->tests[i] =
            (struct ldr_test){tests->items[i].key, tests->items[i].score};
    e->ev.answers = e->answers;
    e->ev.nanswers = answers->count;
    e->ev.tests = e->tests;
    e->ev.ntests = tests->count;
    e->ev.ratings = e->ratings;
    return 0;
}

static int gather(struct evidence *e)
{
    struct pieces answers = {0}, tests = {0};
    struct ldr_hlc best = {0, 0};
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < e->count; i++) {
        bool same = strcmp(e->items[i].version, e->version) == 0;

        rc = take_ratings(e, i);
        if (rc == 0 && !same)
            rc = skip_other(e, i);
        if (rc == 0 && same)
            rc = take_answers(e, i, &answers);
        if (rc == 0 && same)
            rc = take_tests(e, i, &tests);
        if (rc == 0 && same)
            rc = take_performance(e, i, &best);
    }
    if (rc == 0)
        rc = settle(e, &answers, &tests);
    free(answers.items);
    free(tests.items);
    return rc;
}

int evidence_collect(struct evidence *out, struct store *s, const char *subject,
                     const char *model, struct ldr_err *err)
{
    int rc;

    memset(out, 0, sizeof *out);
    rc = choose(out, s, subject, model, err);
    if (rc == 0 && gather(out) != 0)
        rc = oom(err);
    if (rc)
        evidence_release(out);
    return rc;
}

void evidence_release(struct evidence *e)
{
    for (size_t i = 0; i < e->count; i++)
        item_release(&e->items[i]);
    for (size_t i = 0; i < e->nskipped; i++) {
        free(e->skipped[i].field);
        free(e->skipped[i].reason);
    }
    free(e->items);
    free(e->skipped);
    free(e->ratings);
    free(e->answers);
    free(e->tests);
    ldr_model_free(e->model);
    memset(e, 0, sizeof *e);
}
