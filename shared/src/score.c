#include "ladder/score.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/err.h"

/*
 * Scores are sums of products of decimal weights, so two values that are
 * equal on paper can differ in the last bits (3 x 0.2 > 2 x 0.3). Thresholds
 * and the gap order treat values closer than this as equal.
 */
#define SCORE_EPS 1e-9
#define REASON_MAX 4096 /* longer reasons are cut; the list stays readable */

static const char *model_name(const struct ldr_model *m)
{
    return m->id ? m->id : "";
}

/* Index of a competency or question in the model, -1 when unknown. */
static long find_competency(const struct ldr_model *m, const char *id)
{
    const struct ldr_competency *c = ldr_model_competency(m, id);

    return c ? (long)(c - m->competencies) : -1;
}

static long find_question(const struct ldr_model *m, const char *id)
{
    const struct ldr_question *q = ldr_model_question(m, id);

    return q ? (long)(q - m->questions) : -1;
}

static bool has_choice(const struct ldr_question *q, const char *choice)
{
    for (size_t i = 0; choice && i < q->nchoices; i++)
        if (strcmp(q->choices[i].id, choice) == 0)
            return true;
    return false;
}

static int check_rating(const struct ldr_model *m, size_t i,
                        const struct ldr_rating *r, struct ldr_err *err)
{
    if (!r->competency)
        return ldr_err_set(err, LDR_EINVAL, "rating %zu names no competency",
                           i);
    if (find_competency(m, r->competency) < 0)
        return ldr_err_set(err, LDR_EINVAL,
                           "rating %zu: unknown competency '%s' in model '%s'",
                           i, r->competency, model_name(m));
    if (r->level < 1 || (size_t)r->level > m->nlevels)
        return ldr_err_set(err, LDR_EINVAL,
                           "rating %zu: level %d of competency '%s' is off "
                           "the scale 1..%zu",
                           i, r->level, r->competency, m->nlevels);
    if (!r->assessor)
        return ldr_err_set(err, LDR_EINVAL,
                           "rating %zu of competency '%s' names no assessor", i,
                           r->competency);
    return 0;
}

static int check_answer(const struct ldr_model *m, size_t i,
                        const struct ldr_answer *a, struct ldr_err *err)
{
    long q = find_question(m, a->question);
    const struct ldr_question *qq;

    if (q < 0)
        return ldr_err_set(err, LDR_EINVAL,
                           "answer %zu: unknown question '%s' in model '%s'", i,
                           a->question ? a->question : "", model_name(m));
    qq = &m->questions[q];
    if (!has_choice(qq, a->choice))
        return ldr_err_set(err, LDR_EINVAL,
                           "answer %zu: choice '%s' is not among the choices "
                           "%s..%s of question '%s'",
                           i, a->choice ? a->choice : "",
                           qq->nchoices ? qq->choices[0].id : "",
                           qq->nchoices ? qq->choices[qq->nchoices - 1].id : "",
                           qq->id);
    return 0;
}

static int check_test(const struct ldr_model *m, size_t i,
                      const struct ldr_test *t, struct ldr_err *err)
{
    if (find_competency(m, t->competency) < 0)
        return ldr_err_set(err, LDR_EINVAL,
                           "test %zu: unknown competency '%s' in model '%s'", i,
                           t->competency ? t->competency : "", model_name(m));
    if (!(t->score >= 0 && t->score <= 100)) /* NaN fails too */
        return ldr_err_set(err, LDR_EINVAL,
                           "test %zu: score %g of competency '%s' is outside "
                           "0..100",
                           i, t->score, t->competency);
    return 0;
}

/* Everything is checked before anything is counted: bad evidence is refused
 * whole, never scored in part. */
static int check_evidence(const struct ldr_model *m,
                          const struct ldr_evidence *ev, struct ldr_err *err)
{
    int rc = 0;

    for (size_t i = 0; !rc && i < ev->nratings; i++)
        rc = check_rating(m, i, &ev->ratings[i], err);
    for (size_t i = 0; !rc && i < ev->nanswers; i++)
        rc = check_answer(m, i, &ev->answers[i], err);
    for (size_t i = 0; !rc && i < ev->ntests; i++)
        rc = check_test(m, i, &ev->tests[i], err);
    if (!rc && ev->has_performance &&
        !(ev->performance >= 0 && ev->performance <= 100))
        rc = ldr_err_set(err, LDR_EINVAL, "performance %g is outside 0..100",
                         ev->performance);
    return rc;
}

/* A rating with what it is sorted by: competency, assessor, clock, place. */
struct stamped {
    size_t competency;
    const char *assessor;
    struct ldr_hlc at;
    size_t pos;
    int level;
};

static int cmp_stamped(const void *pa, const void *pb)
{
    const struct stamped *a = pa, *b = pb;
    int c;

    if (a->competency != b->competency)
        return a->competency < b->competency ? -1 : 1;
    c = strcmp(a->assessor, b->assessor);
    if (c)
        return c;
    c = ldr_hlc_cmp(a->at, b->at);
    if (c)
        return c;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Level = mean rounded half up, in integers so 2.5 is exactly 3:
 * floor(sum / n + 1/2) = floor((2 sum + n) / 2n). */
static void settle_levels(struct ldr_score *s, const long *sums)
{
    for (size_t c = 0; c < s->count; c++) {
        struct ldr_competency_score *p = &s->per[c];
        long n = (long)p->assessors;

        if (!n)
            continue;
        p->mean_level = (double)sums[c] / (double)n;
        p->level = (int)((2 * sums[c] + n) / (2 * n));
    }
}

/* Each assessor's latest rating of a competency counts once: after sorting,
 * the last of each (competency, assessor) run is the latest by clock, and
 * of equal stamps the one later in the evidence. */
static int rate(struct ldr_score *s, const struct ldr_model *m,
                const struct ldr_evidence *ev, struct ldr_err *err)
{
    size_t n = ev->nratings;
    struct stamped *v;
    long *sums;

    if (!n)
        return 0;
    v = calloc(n, sizeof *v);
    sums = calloc(s->count, sizeof *sums);
    if (!v || !sums) {
        free(v);
        free(sums);
        return ldr_err_set(err, LDR_ENOMEM,
                           "out of memory scoring %zu "
                           "ratings",
                           n);
    }
    for (size_t i = 0; i < n; i++) {
        const struct ldr_rating *r = &ev->ratings[i];
        v[i] = (struct stamped){(size_t)find_competency(m, r->competency),
                                r->assessor, r->at, i, r->level};
    }
    qsort(v, n, sizeof *v, cmp_stamped);
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && v[i + 1].competency == v[i].competency &&
            strcmp(v[i + 1].assessor, v[i].assessor) == 0)
            continue;
        s->per[v[i].competency].assessors++;
        sums[v[i].competency] += v[i].level;
    }
    settle_levels(s, sums);
    free(v);
    free(sums);
    return 0;
}

/* Answers carry no clock: of two answers to one question the later in the
 * evidence counts. */
static bool superseded(const struct ldr_evidence *ev, size_t i)
{
    for (size_t j = i + 1; j < ev->nanswers; j++)
        if (strcmp(ev->answers[j].question, ev->answers[i].question) == 0)
            return true;
    return false;
}

/* Per competency: points of right answers / points of all answers x 100. */
static int test_answers(struct ldr_score *s, const struct ldr_model *m,
                        const struct ldr_evidence *ev, struct ldr_err *err)
{
    double *asked, *right;

    if (!ev->nanswers)
        return 0;
    asked = calloc(s->count, sizeof *asked);
    right = calloc(s->count, sizeof *right);
    if (!asked || !right) {
        free(asked);
        free(right);
        return ldr_err_set(err, LDR_ENOMEM, "out of memory scoring answers");
    }
    for (size_t i = 0; i < ev->nanswers; i++) {
        const struct ldr_answer *a = &ev->answers[i];
        const struct ldr_question *q =
            &m->questions[find_question(m, a->question)];
        long c = find_competency(m, q->competency);

        if (c < 0 || superseded(ev, i))
            continue;
        asked[c] += q->points;
        if (strcmp(a->choice, q->answer) == 0)
            right[c] += q->points;
    }
    for (size_t c = 0; c < s->count; c++) {
        if (asked[c] > 0) {
            s->per[c].tested = true;
            s->per[c].test = right[c] / asked[c] * 100;
        }
    }
    free(asked);
    free(right);
    return 0;
}

/* A score given directly replaces the question bank; of two for one
 * competency the later in the evidence counts. */
static void test_direct(struct ldr_score *s, const struct ldr_model *m,
                        const struct ldr_evidence *ev)
{
    for (size_t i = 0; i < ev->ntests; i++) {
        long c = find_competency(m, ev->tests[i].competency);

        s->per[c].tested = true;
        s->per[c].test = ev->tests[i].score;
    }
}

/* Weighted means over what was assessed, then ability and overall. */
static void combine(struct ldr_score *s, const struct ldr_model *m,
                    const struct ldr_evidence *ev)
{
    double rw = 0, rsum = 0, tw = 0, tsum = 0;
    double top = (double)m->nlevels;

    for (size_t c = 0; c < s->count; c++) {
        const struct ldr_competency_score *p = &s->per[c];
        double w = m->competencies[c].weight;

        if (p->assessors) {
            rw += w;
            rsum += w * p->mean_level / top * 100;
        }
        if (p->tested) {
            tw += w;
            tsum += w * p->test;
        }
    }
    s->has_rating = rw > 0;
    s->rating = s->has_rating ? rsum / rw : 0;
    s->has_test = tw > 0;
    s->test = s->has_test ? tsum / tw : 0;
    s->has_ability = s->has_rating || s->has_test;
    if (s->has_rating && s->has_test)
        s->ability = m->eval.ratings * s->rating + m->eval.tests * s->test;
    else
        s->ability = s->has_rating ? s->rating : s->test;
    s->has_performance = ev->has_performance;
    s->performance = ev->has_performance ? ev->performance : 0;
    s->has_overall = s->has_ability && ev->has_performance;
    if (s->has_overall)
        s->overall = m->eval.ability * s->ability +
                     m->eval.performance * ev->performance;
}

int ldr_score_compute(struct ldr_score *out, const struct ldr_model *model,
                      const struct ldr_evidence *evidence, struct ldr_err *err)
{
    static const struct ldr_evidence none;
    const struct ldr_evidence *ev = evidence ? evidence : &none;
    int rc;

    memset(out, 0, sizeof *out);
    if (!model->nlevels)
        return ldr_err_set(err, LDR_EINVAL, "model '%s' has no scale",
                           model_name(model));
    rc = check_evidence(model, ev, err);
    if (rc)
        return rc;
    out->per = calloc(model->ncompetencies ? model->ncompetencies : 1,
                      sizeof *out->per);
    if (!out->per)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory scoring model '%s'",
                           model_name(model));
    out->count = model->ncompetencies;
    for (size_t c = 0; c < out->count; c++)
        out->per[c].competency = &model->competencies[c];
    rc = rate(out, model, ev, err);
    if (!rc)
        rc = test_answers(out, model, ev, err);
    if (rc) {
        ldr_score_release(out);
        return rc;
    }
    test_direct(out, model, ev);
    combine(out, model, ev);
    return 0;
}

void ldr_score_release(struct ldr_score *score)
{
    if (!score)
        return;
    free(score->per);
    memset(score, 0, sizeof *score);
}

/* A score from ldr_score_compute() on this very model. */
static int check_score(const struct ldr_model *m, const struct ldr_score *s,
                       struct ldr_err *err)
{
    if (s->count != m->ncompetencies ||
        (s->count && (!s->per || s->per[0].competency != m->competencies)))
        return ldr_err_set(err, LDR_EINVAL,
                           "the score was not computed on model '%s'; compute "
                           "it again with this model",
                           model_name(m));
    return 0;
}

static int check_grade(long *out, const struct ldr_model *m, const char *grade,
                       struct ldr_err *err)
{
    *out = ldr_model_grade_index(m, grade);
    if (*out < 0)
        return ldr_err_set(err, LDR_EINVAL, "unknown grade '%s' in model '%s'",
                           grade ? grade : "", model_name(m));
    return 0;
}

/* The activities of levels current+1 .. required, pointers into the model. */
static int learning_map(struct ldr_gap *g, const struct ldr_model *m,
                        struct ldr_err *err)
{
    const struct ldr_competency *c = g->competency;
    int top = g->required < (int)m->nlevels ? g->required : (int)m->nlevels;
    size_t n = 0;

    for (int k = g->current + 1; k <= top; k++)
        n += c->learning[k - 1].count;
    if (!n)
        return 0;
    g->activities = calloc(n, sizeof *g->activities);
    if (!g->activities)
        return ldr_err_set(err, LDR_ENOMEM,
                           "out of memory mapping the learning of '%s'", c->id);
    for (int k = g->current + 1; k <= top; k++)
        for (size_t j = 0; j < c->learning[k - 1].count; j++)
            g->activities[g->nactivities++] = &c->learning[k - 1].items[j];
    return 0;
}

/* An integer key keeps the order total while treating near-equal weighted
 * gaps as equal, so ties fall back to model order. */
static long long gap_key(double weighted)
{
    return llround(weighted / SCORE_EPS);
}

static int cmp_gap(const void *pa, const void *pb)
{
    const struct ldr_gap *a = pa, *b = pb;
    long long ka = gap_key(a->weighted), kb = gap_key(b->weighted);

    if (ka != kb)
        return ka > kb ? -1 : 1;
    /* competencies lie in one model array: pointer order is model order */
    return a->competency < b->competency ? -1 : a->competency > b->competency;
}

int ldr_gaps_compute(struct ldr_gaps *out, const struct ldr_model *model,
                     const struct ldr_score *score, const char *grade,
                     struct ldr_err *err)
{
    long g;
    int rc;

    memset(out, 0, sizeof *out);
    rc = check_grade(&g, model, grade, err);
    if (!rc)
        rc = check_score(model, score, err);
    if (rc)
        return rc;
    out->items = calloc(score->count ? score->count : 1, sizeof *out->items);
    if (!out->items)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory analysing gaps");
    for (size_t c = 0; c < score->count; c++) {
        struct ldr_gap *gap = &out->items[out->count++];

        gap->competency = &model->competencies[c];
        gap->required = gap->competency->required[g];
        gap->current = score->per[c].level;
        gap->gap =
            gap->required > gap->current ? gap->required - gap->current : 0;
        gap->weighted = gap->gap * gap->competency->weight;
        out->open += gap->gap > 0;
        rc = learning_map(gap, model, err);
        if (rc) {
            ldr_gaps_release(out);
            return rc;
        }
    }
    qsort(out->items, out->count, sizeof *out->items, cmp_gap);
    return 0;
}

void ldr_gaps_release(struct ldr_gaps *gaps)
{
    if (!gaps)
        return;
    for (size_t i = 0; i < gaps->count; i++)
        free(gaps->items[i].activities);
    free(gaps->items);
    memset(gaps, 0, sizeof *gaps);
}

/* A growing reason text; sticky: does nothing once *rc != 0. */
struct reason {
    char *text;
    size_t len;
};

static void reason_add(struct reason *r, int *rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reason_add(struct reason *r, int *rc, const char *fmt, ...)
{
    va_list ap;
    char *grown;
    int n;

    if (*rc || r->len >= REASON_MAX)
        return;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || r->len + (size_t)n >= REASON_MAX)
        return;
    grown = realloc(r->text, r->len + (size_t)n + 1);
    if (!grown) {
        *rc = LDR_ENOMEM;
        return;
    }
    r->text = grown;
    va_start(ap, fmt);
    vsnprintf(r->text + r->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    r->len += (size_t)n;
}

/* Moves a finished reason into the list (or frees it on failure). */
static void reason_push(struct ldr_certification *c, int *rc, struct reason *r)
{
    char **grown;

    if (!*rc && r->text) {
        grown = realloc(c->reasons, (c->nreasons + 1) * sizeof *grown);
        if (grown) {
            c->reasons = grown;
            c->reasons[c->nreasons++] = r->text;
            r->text = NULL;
        } else {
            *rc = LDR_ENOMEM;
        }
    }
    free(r->text);
    r->text = NULL;
    r->len = 0;
}

/* The value with as few decimals (at least one) as keep it visibly below
 * `min`: 64.96 against 65 reads "64.96", never "65.0". */
static void format_below(char *out, size_t size, double v, double min)
{
    for (int prec = 1; prec <= 12; prec++) {
        snprintf(out, size, "%.*f", prec, v);
        if (strtod(out, NULL) < min)
            return;
    }
}

/* `what` >= `min`; a missing score fails, `why` (may be "") says why. */
static void check_min(struct ldr_certification *c, int *rc, const char *what,
                      const char *why, bool has, double v, double min)
{
    struct reason r = {0};
    char num[64];

    if (!has) {
        reason_add(&r, rc, "no %s score%s", what, why);
    } else if (v < min - SCORE_EPS) {
        format_below(num, sizeof num, v, min);
        reason_add(&r, rc, "%s %s is below %g", what, num, min);
    }
    reason_push(c, rc, &r);
}

static bool must_meet(const struct ldr_cert_rule *rule, const char *id)
{
    for (size_t i = 0; i < rule->nmust_meet; i++)
        if (strcmp(rule->must_meet[i], id) == 0)
            return true;
    return false;
}

static int check_core(struct ldr_certification *c, int *rc,
                      const struct ldr_model *m, const struct ldr_score *s,
                      const struct ldr_cert_rule *rule, long g,
                      struct ldr_err *err)
{
    for (size_t i = 0; !*rc && i < rule->nmust_meet; i++) {
        long k = find_competency(m, rule->must_meet[i]);
        struct reason r = {0};
        int need, level;

        if (k < 0)
            return ldr_err_set(err, LDR_EINVAL,
                               "the certification rule of grade '%s' names "
                               "unknown competency '%s'",
                               rule->grade, rule->must_meet[i]);
        need = m->competencies[k].required[g];
        level = s->per[k].level;
        if (level == 0)
            reason_add(&r, rc,
                       "core competency '%s' is not rated, needs "
                       "level %d",
                       rule->must_meet[i], need);
        else if (level < need)
            reason_add(&r, rc, "core competency '%s' at level %d, needs %d",
                       rule->must_meet[i], level, need);
        reason_push(c, rc, &r);
    }
    return 0;
}

/* Competencies outside must_meet below their level: at most max_gaps. */
static void check_gaps(struct ldr_certification *c, int *rc,
                       const struct ldr_model *m, const struct ldr_score *s,
                       const struct ldr_cert_rule *rule, long g)
{
    struct reason r = {0};
    size_t below = 0, listed = 0;

    for (size_t k = 0; k < s->count; k++)
        if (!must_meet(rule, m->competencies[k].id) &&
            s->per[k].level < m->competencies[k].required[g])
            below++;
    if (below <= rule->max_gaps)
        return;
    reason_add(&r, rc,
               "%zu %s below the required level, at most %zu allowed:", below,
               below == 1 ? "competency" : "competencies", rule->max_gaps);
    for (size_t k = 0; k < s->count; k++) {
        const struct ldr_competency *comp = &m->competencies[k];
        int need = comp->required[g], level = s->per[k].level;

        if (must_meet(rule, comp->id) || level >= need)
            continue;
        reason_add(&r, rc, "%s ", listed++ ? "," : "");
        if (level == 0)
            reason_add(&r, rc, "%s (not rated, needs %d)", comp->id, need);
        else
            reason_add(&r, rc, "%s (%d < %d)", comp->id, level, need);
    }
    reason_push(c, rc, &r);
}

static const struct ldr_cert_rule *find_rule(const struct ldr_model *m,
                                             const char *grade)
{
    for (size_t i = 0; i < m->ncerts; i++)
        if (m->certs[i].grade && strcmp(m->certs[i].grade, grade) == 0)
            return &m->certs[i];
    return NULL;
}

int ldr_certify(struct ldr_certification *out, const struct ldr_model *model,
                const struct ldr_score *score, const char *grade,
                struct ldr_err *err)
{
    const struct ldr_cert_rule *rule;
    long g;
    int rc, oom = 0;

    memset(out, 0, sizeof *out);
    rc = check_grade(&g, model, grade, err);
    if (!rc)
        rc = check_score(model, score, err);
    if (rc)
        return rc;
    rule = find_rule(model, grade);
    if (!rule)
        return ldr_err_set(err, LDR_EINVAL,
                           "model '%s' has no certification rule for grade "
                           "'%s'",
                           model_name(model), grade);
    check_min(out, &oom, "overall", " (it needs ability and performance)",
              score->has_overall, score->overall, rule->min_overall);
    check_min(out, &oom, "ability", " (no ratings and no tests)",
              score->has_ability, score->ability, rule->min_ability);
    check_min(out, &oom, "performance", "", score->has_performance,
              score->performance, rule->min_performance);
    rc = check_core(out, &oom, model, score, rule, g, err);
    check_gaps(out, &oom, model, score, rule, g);
    if (!rc && oom)
        rc = ldr_err_set(err, LDR_ENOMEM, "out of memory certifying '%s'",
                         grade);
    if (rc) {
        ldr_certification_release(out);
        return rc;
    }
    out->eligible = out->nreasons == 0;
    out->validity_months = rule->validity_months;
    return 0;
}

void ldr_certification_release(struct ldr_certification *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nreasons; i++)
        free(c->reasons[i]);
    free(c->reasons);
    memset(c, 0, sizeof *c);
}
