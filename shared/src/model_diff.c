#include "ladder/model_diff.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The changes found so far; `oom` is sticky, so once an allocation fails
 * every helper does nothing and the caller sees NULL. */
struct diff {
    json_t *changes;
    bool oom;
};

/* Where a change is: the item and, for a member keyed by level, grade or
 * choice, that key. Unused members are NULL or 0. */
struct at {
    const char *kind;
    const char *id;
    const char *competency; /* of an activity */
    int level;
    const char *grade;
    const char *choice;
};

/* ---- values -------------------------------------------------------------- */

static json_t *text(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Integral values as integers, as the canonical text writes them. */
static json_t *number(double v)
{
    if (fabs(v) < 1e15 && v == floor(v))
        return json_integer((json_int_t)v);
    return json_real(v);
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static void put(struct diff *d, json_t *obj, const char *key, json_t *v)
{
    if (json_object_set_new(obj, key, v) != 0)
        d->oom = true;
}

/* ---- change entries ------------------------------------------------------ */

/* A new entry {"kind", "op", where ...} at the end of the list; borrowed,
 * NULL once out of memory. */
static json_t *entry(struct diff *d, const struct at *at, const char *op)
{
    json_t *e;

    if (d->oom)
        return NULL;
    e = json_object();
    if (!e || json_array_append_new(d->changes, e) != 0) {
        d->oom = true;
        return NULL;
    }
    put(d, e, "kind", json_string(at->kind));
    put(d, e, "op", json_string(op));
    if (at->id)
        put(d, e, "id", json_string(at->id));
    if (at->competency)
        put(d, e, "competency", json_string(at->competency));
    if (at->level)
        put(d, e, "level", json_integer(at->level));
    if (at->grade)
        put(d, e, "grade", json_string(at->grade));
    if (at->choice)
        put(d, e, "choice", json_string(at->choice));
    return d->oom ? NULL : e;
}

/* An item added or removed, with its whole value. */
static void item(struct diff *d, const struct at *at, const char *op,
                 const json_t *value)
{
    json_t *e = entry(d, at, op);

    if (e)
        put(d, e, "value", value ? json_deep_copy(value) : json_null());
}

/* A member changed; takes `from` and `to`. */
static void changed(struct diff *d, const struct at *at, const char *field,
                    json_t *from, json_t *to)
{
    json_t *e = entry(d, at, "changed");

    if (!e) {
        json_decref(from);
        json_decref(to);
        return;
    }
    put(d, e, "field", json_string(field));
    put(d, e, "from", from);
    put(d, e, "to", to);
}

static void text_field(struct diff *d, const struct at *at, const char *field,
                       const char *from, const char *to)
{
    if (!same_text(from, to))
        changed(d, at, field, text(from), text(to));
}

static void number_field(struct diff *d, const struct at *at, const char *field,
                         double from, double to)
{
    if (from != to)
        changed(d, at, field, number(from), number(to));
}

/* ---- the model, the scale, the evaluation rule --------------------------- */

static void diff_meta(struct diff *d, const struct ldr_model *a,
                      const struct ldr_model *b)
{
    const struct at at = {.kind = "model"};

    text_field(d, &at, "id", a->id, b->id);
    text_field(d, &at, "title", a->title, b->title);
    text_field(d, &at, "description", a->description, b->description);
    text_field(d, &at, "language", a->language, b->language);
}

static const json_t *doc_item(const struct ldr_model *m, const char *member,
                              size_t i)
{
    return json_array_get(json_object_get(m->doc, member), i);
}

/* Levels are matched by number: the scale only grows or shrinks at the top. */
static void diff_scale(struct diff *d, const struct ldr_model *a,
                       const struct ldr_model *b)
{
    size_t n = a->nlevels > b->nlevels ? a->nlevels : b->nlevels;

    for (size_t k = 0; k < n; k++) {
        const struct at at = {.kind = "level", .level = (int)k + 1};

        if (k >= b->nlevels) {
            item(d, &at, "removed", doc_item(a, "scale", k));
        } else if (k >= a->nlevels) {
            item(d, &at, "added", doc_item(b, "scale", k));
        } else {
            text_field(d, &at, "label", a->levels[k].label, b->levels[k].label);
            text_field(d, &at, "description", a->levels[k].description,
                       b->levels[k].description);
        }
    }
}

static void diff_eval(struct diff *d, const struct ldr_model *a,
                      const struct ldr_model *b)
{
    const struct at at = {.kind = "evaluation"};

    number_field(d, &at, "ratings", a->eval.ratings, b->eval.ratings);
    number_field(d, &at, "tests", a->eval.tests, b->eval.tests);
    number_field(d, &at, "ability", a->eval.ability, b->eval.ability);
    number_field(d, &at, "performance", a->eval.performance,
                 b->eval.performance);
}

/* ---- competencies -------------------------------------------------------- */

/* Behaviours of the levels of `to`; a level the scale lost is reported
 * once, with the scale. */
static void diff_behaviours(struct diff *d, struct at at,
                            const struct ldr_model *a,
                            const struct ldr_competency *x,
                            const struct ldr_model *b,
                            const struct ldr_competency *y)
{
    for (size_t k = 0; k < b->nlevels; k++) {
        at.level = (int)k + 1;
        text_field(d, &at, "behaviours",
                   k < a->nlevels ? x->behaviours[k] : NULL, y->behaviours[k]);
    }
}

/* Required levels of the grades of `to`; a new grade's are new (from
 * null), a removed grade is reported once, with the grades. */
static void diff_required(struct diff *d, struct at at,
                          const struct ldr_model *a,
                          const struct ldr_competency *x,
                          const struct ldr_model *b,
                          const struct ldr_competency *y)
{
    for (size_t g = 0; g < b->ngrades; g++) {
        int old = ldr_model_grade_index(a, b->grades[g].id);

        if (old >= 0 && x->required[old] == y->required[g])
            continue;
        at.grade = b->grades[g].id;
        changed(d, &at, "required",
                old >= 0 ? json_integer(x->required[old]) : json_null(),
                json_integer(y->required[g]));
    }
}

static json_t *activity_value(const struct ldr_activity *act)
{
    json_t *v = json_pack("{s:s, s:s, s:s}", "id", act->id, "kind", act->kind,
                          "title", act->title);

    if (v && act->hours != 0 &&
        json_object_set_new(v, "hours", number(act->hours)) != 0) {
        json_decref(v);
        return NULL;
    }
    return v;
}

static void activity_item(struct diff *d, const struct at *at, const char *op,
                          const struct ldr_activity *act)
{
    json_t *v = activity_value(act);

    if (!v)
        d->oom = true;
    item(d, at, op, v);
    json_decref(v);
}

/* The activity `id` of competency `c` (levels 1..nlevels), and its level. */
static const struct ldr_activity *find_activity(const struct ldr_competency *c,
                                                size_t nlevels, const char *id,
                                                int *level)
{
    for (size_t k = 0; k < nlevels; k++)
        for (size_t i = 0; i < c->learning[k].count; i++)
            if (strcmp(c->learning[k].items[i].id, id) == 0) {
                *level = (int)k + 1;
                return &c->learning[k].items[i];
            }
    return NULL;
}

static void diff_activity(struct diff *d, const struct at *at, int old_level,
                          const struct ldr_activity *x,
                          const struct ldr_activity *y)
{
    number_field(d, at, "level", old_level, at->level);
    text_field(d, at, "kind", x->kind, y->kind);
    text_field(d, at, "title", x->title, y->title);
    number_field(d, at, "hours", x->hours, y->hours);
}

/* Activities are matched by id within the competency, so one that moves to
 * another level is changed (its "level"), not removed and added. */
static void diff_learning(struct diff *d, const struct ldr_model *a,
                          const struct ldr_competency *x,
                          const struct ldr_model *b,
                          const struct ldr_competency *y)
{
    struct at at = {.kind = "activity", .competency = y->id};
    int level;

    for (size_t k = 0; k < a->nlevels; k++)
        for (size_t i = 0; i < x->learning[k].count; i++) {
            const struct ldr_activity *act = &x->learning[k].items[i];

            at.id = act->id;
            at.level = (int)k + 1;
            if (!find_activity(y, b->nlevels, act->id, &level))
                activity_item(d, &at, "removed", act);
        }
    for (size_t k = 0; k < b->nlevels; k++)
        for (size_t i = 0; i < y->learning[k].count; i++) {
            const struct ldr_activity *act = &y->learning[k].items[i];
            const struct ldr_activity *old =
                find_activity(x, a->nlevels, act->id, &level);

            at.id = act->id;
            at.level = (int)k + 1;
            if (old)
                diff_activity(d, &at, level, old, act);
            else
                activity_item(d, &at, "added", act);
        }
}

static void compare_competency(struct diff *d, const struct ldr_model *a,
                               size_t i, const struct ldr_model *b, size_t j)
{
    const struct ldr_competency *x = &a->competencies[i];
    const struct ldr_competency *y = &b->competencies[j];
    const struct at at = {.kind = "competency", .id = y->id};

    text_field(d, &at, "title", x->title, y->title);
    text_field(d, &at, "description", x->description, y->description);
    text_field(d, &at, "category", x->category, y->category);
    number_field(d, &at, "weight", x->weight, y->weight);
    if (x->core != y->core)
        changed(d, &at, "core", json_boolean(x->core), json_boolean(y->core));
    diff_behaviours(d, at, a, x, b, y);
    diff_required(d, at, a, x, b, y);
    diff_learning(d, a, x, b, y);
}

/* ---- grades, categories, questions, certification rules ------------------ */

static void compare_grade(struct diff *d, const struct ldr_model *a, size_t i,
                          const struct ldr_model *b, size_t j)
{
    const struct at at = {.kind = "grade", .id = b->grades[j].id};

    text_field(d, &at, "title", a->grades[i].title, b->grades[j].title);
    text_field(d, &at, "description", a->grades[i].description,
               b->grades[j].description);
}

static void compare_category(struct diff *d, const struct ldr_model *a,
                             size_t i, const struct ldr_model *b, size_t j)
{
    const struct at at = {.kind = "category", .id = b->categories[j].id};

    text_field(d, &at, "title", a->categories[i].title, b->categories[j].title);
}

static const char *choice_text(const struct ldr_question *q, size_t k)
{
    return k < q->nchoices ? q->choices[k].text : NULL;
}

/* Choices are keyed a, b, c ... without gaps: compare them key by key. */
static void diff_choices(struct diff *d, struct at at,
                         const struct ldr_question *x,
                         const struct ldr_question *y)
{
    size_t n = x->nchoices > y->nchoices ? x->nchoices : y->nchoices;

    for (size_t k = 0; k < n; k++) {
        at.choice = k < y->nchoices ? y->choices[k].id : x->choices[k].id;
        text_field(d, &at, "choices", choice_text(x, k), choice_text(y, k));
    }
}

static void compare_question(struct diff *d, const struct ldr_model *a,
                             size_t i, const struct ldr_model *b, size_t j)
{
    const struct ldr_question *x = &a->questions[i], *y = &b->questions[j];
    const struct at at = {.kind = "question", .id = y->id};

    text_field(d, &at, "competency", x->competency, y->competency);
    text_field(d, &at, "stem", x->stem, y->stem);
    diff_choices(d, at, x, y);
    text_field(d, &at, "answer", x->answer, y->answer);
    number_field(d, &at, "points", x->points, y->points);
}

static bool has_id(const char *const *ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return true;
    return false;
}

/* The ids of `ids` that are not in `other`, as a JSON array. */
static json_t *ids_missing(const char *const *ids, size_t n,
                           const char *const *other, size_t nother)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr && i < n; i++)
        if (!has_id(other, nother, ids[i]) &&
            json_array_append_new(arr, json_string(ids[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

static json_t *ids_array(const char *const *ids, size_t n)
{
    return ids_missing(ids, n, NULL, 0);
}

/* must_meet is a set: its order means nothing, so only membership counts. */
static void diff_must_meet(struct diff *d, const struct at *at,
                           const struct ldr_cert_rule *x,
                           const struct ldr_cert_rule *y)
{
    json_t *added =
        ids_missing(y->must_meet, y->nmust_meet, x->must_meet, x->nmust_meet);
    json_t *removed =
        ids_missing(x->must_meet, x->nmust_meet, y->must_meet, y->nmust_meet);
    json_t *e = NULL;

    if (json_array_size(added) || json_array_size(removed))
        e = entry(d, at, "changed");
    if (e) {
        put(d, e, "field", json_string("must_meet"));
        put(d, e, "from", ids_array(x->must_meet, x->nmust_meet));
        put(d, e, "to", ids_array(y->must_meet, y->nmust_meet));
        put(d, e, "added", json_incref(added));
        put(d, e, "removed", json_incref(removed));
    }
    if (!added || !removed)
        d->oom = true;
    json_decref(added);
    json_decref(removed);
}

static void compare_cert(struct diff *d, const struct ldr_model *a, size_t i,
                         const struct ldr_model *b, size_t j)
{
    const struct ldr_cert_rule *x = &a->certs[i], *y = &b->certs[j];
    const struct at at = {.kind = "certification", .id = y->grade};

    number_field(d, &at, "min_overall", x->min_overall, y->min_overall);
    number_field(d, &at, "min_ability", x->min_ability, y->min_ability);
    number_field(d, &at, "min_performance", x->min_performance,
                 y->min_performance);
    number_field(d, &at, "max_gaps", (double)x->max_gaps, (double)y->max_gaps);
    diff_must_meet(d, &at, x, y);
    number_field(d, &at, "validity_months", x->validity_months,
                 y->validity_months);
}

/* ---- lists of items with ids --------------------------------------------- */

enum list { GRADES, CATEGORIES, COMPETENCIES, QUESTIONS, CERTIFICATION };

typedef void compare_fn(struct diff *d, const struct ldr_model *a, size_t i,
                        const struct ldr_model *b, size_t j);

static const struct list_kind {
    const char *kind;   /* of a change */
    const char *member; /* in the document */
    compare_fn *compare;
    bool ordered; /* a new order of the same items is a change */
} lists[] = {
    [GRADES] = {"grade", "grades", compare_grade, true},
    [CATEGORIES] = {"category", "categories", compare_category, true},
    [COMPETENCIES] = {"competency", "competencies", compare_competency, true},
    [QUESTIONS] = {"question", "questions", compare_question, true},
    /* rules follow the grades, whose order is reported already */
    [CERTIFICATION] = {"certification", "certification", compare_cert, false},
};

static size_t list_count(const struct ldr_model *m, enum list l)
{
    switch (l) {
    case GRADES:
        return m->ngrades;
    case CATEGORIES:
        return m->ncategories;
    case COMPETENCIES:
        return m->ncompetencies;
    case QUESTIONS:
        return m->nquestions;
    case CERTIFICATION:
        return m->ncerts;
    }
    return 0;
}

static const char *list_id(const struct ldr_model *m, enum list l, size_t i)
{
    switch (l) {
    case GRADES:
        return m->grades[i].id;
    case CATEGORIES:
        return m->categories[i].id;
    case COMPETENCIES:
        return m->competencies[i].id;
    case QUESTIONS:
        return m->questions[i].id;
    case CERTIFICATION:
        return m->certs[i].grade;
    }
    return NULL;
}

/* The document value of item `i`, as added or removed. */
static const json_t *list_value(const struct ldr_model *m, enum list l,
                                size_t i)
{
    const json_t *member = json_object_get(m->doc, lists[l].member);

    if (l == CERTIFICATION)
        return json_object_get(member, m->certs[i].grade);
    return json_array_get(member, i);
}

/* Index of `id` in the list, -1 when absent. Lists mostly keep their
 * order, so the search starts at `hint` (where the next match likely is)
 * and wraps around. */
static long find(const struct ldr_model *m, enum list l, const char *id,
                 size_t hint)
{
    size_t n = list_count(m, l);

    for (size_t k = 0; k < n; k++) {
        size_t i = (hint + k) % n;

        if (strcmp(list_id(m, l, i), id) == 0)
            return (long)i;
    }
    return -1;
}

static void removed_items(struct diff *d, const struct ldr_model *a,
                          const struct ldr_model *b, enum list l)
{
    size_t hint = 0;

    for (size_t i = 0; i < list_count(a, l); i++) {
        const char *id = list_id(a, l, i);
        long j = find(b, l, id, hint);

        if (j >= 0) {
            hint = (size_t)j + 1;
            continue;
        }
        item(d, &(struct at){.kind = lists[l].kind, .id = id}, "removed",
             list_value(a, l, i));
    }
}

/* The ids of `m` that `other` has too, in the order of `m`. */
static json_t *common_ids(const struct ldr_model *m,
                          const struct ldr_model *other, enum list l)
{
    json_t *arr = json_array();
    size_t hint = 0;

    for (size_t i = 0; arr && i < list_count(m, l); i++) {
        long j = find(other, l, list_id(m, l, i), hint);

        if (j < 0)
            continue;
        hint = (size_t)j + 1;
        if (json_array_append_new(arr, json_string(list_id(m, l, i))) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static void reordered(struct diff *d, const struct ldr_model *a,
                      const struct ldr_model *b, enum list l)
{
    json_t *e = entry(d, &(struct at){.kind = lists[l].kind}, "reordered");

    if (e) {
        put(d, e, "from", common_ids(a, b, l));
        put(d, e, "to", common_ids(b, a, l));
    }
}

/* Removed items (old order), then added or changed ones (new order), then
 * whether the items both have moved. */
static void diff_list(struct diff *d, const struct ldr_model *a,
                      const struct ldr_model *b, enum list l)
{
    size_t hint = 0;
    long last = -1;
    bool moved = false;

    removed_items(d, a, b, l);
    for (size_t j = 0; j < list_count(b, l); j++) {
        const char *id = list_id(b, l, j);
        long i = find(a, l, id, hint);

        if (i < 0) {
            item(d, &(struct at){.kind = lists[l].kind, .id = id}, "added",
                 list_value(b, l, j));
            continue;
        }
        lists[l].compare(d, a, (size_t)i, b, j);
        moved = moved || i < last;
        last = i;
        hint = (size_t)i + 1;
    }
    if (moved && lists[l].ordered)
        reordered(d, a, b, l);
}

json_t *ldr_model_diff(const struct ldr_model *from, const struct ldr_model *to)
{
    struct diff d = {.changes = json_array()};
    json_t *out;

    if (!d.changes)
        return NULL;
    diff_meta(&d, from, to);
    diff_scale(&d, from, to);
    diff_list(&d, from, to, GRADES);
    diff_list(&d, from, to, CATEGORIES);
    diff_list(&d, from, to, COMPETENCIES);
    diff_list(&d, from, to, QUESTIONS);
    diff_eval(&d, from, to);
    diff_list(&d, from, to, CERTIFICATION);
    out = json_object();
    if (out) {
        put(&d, out, "model", text(to->id));
        put(&d, out, "count",
            json_integer((json_int_t)json_array_size(d.changes)));
        put(&d, out, "changes", json_incref(d.changes));
    }
    json_decref(d.changes);
    if (d.oom || !out) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* ---- text ---------------------------------------------------------------- */

static const char *member_text(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));

    return s ? s : "?";
}

/* Model text on one line: control characters (C0, DEL and, in UTF-8, C1)
 * would break the line or drive the terminal, so they show as '?'. */
static void put_inline(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            fputc('?', f);
            p++;
        } else {
            fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
        }
    }
}

/* A long text under its change line, one "      - " or "+ " line a line. */
static void put_block(FILE *f, char sign, const char *s)
{
    const char *nl;

    for (;;) {
        char *line;

        nl = strchr(s, '\n');
        line = strndup(s, nl ? (size_t)(nl - s) : strlen(s));
        fprintf(f, "      %c ", sign);
        if (line)
            put_inline(f, line);
        else
            fputc('?', f);
        fputc('\n', f);
        free(line);
        if (!nl)
            return;
        s = nl + 1;
    }
}

/* A value on one line; "?" when missing. */
static void put_value(FILE *f, const json_t *v)
{
    char num[64];
    const json_t *x;
    size_t i;

    if (!v) {
        fputc('?', f);
        return;
    }
    switch (json_typeof(v)) {
    case JSON_STRING:
        put_inline(f, json_string_value(v));
        return;
    case JSON_INTEGER:
        fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return;
    case JSON_REAL:
        snprintf(num, sizeof num, "%.15g", json_real_value(v));
        fputs(num, f);
        return;
    case JSON_TRUE:
    case JSON_FALSE:
        fputs(json_is_true(v) ? "yes" : "no", f);
        return;
    case JSON_ARRAY:
        json_array_foreach(v, i, x)
        {
            fputs(i ? ", " : "", f);
            put_value(f, x);
        }
        return;
    case JSON_NULL:
        fputs("(none)", f);
        return;
    default:
        fputc('?', f);
    }
}

static void put_member(FILE *f, const json_t *obj, const char *key)
{
    put_value(f, json_object_get(obj, key));
}

static bool is(const char *s, const char *t)
{
    return strcmp(s, t) == 0;
}

/* "competency value-selling", "level 4", "competency c: activity a" ... */
static void put_subject(FILE *f, const json_t *c)
{
    const char *kind = member_text(c, "kind");

    if (is(kind, "model") || is(kind, "evaluation")) {
        fputs(kind, f);
    } else if (is(kind, "level")) {
        fputs("level ", f);
        put_member(f, c, "level");
    } else if (is(kind, "activity")) {
        fputs("competency ", f);
        put_inline(f, member_text(c, "competency"));
        fputs(": activity ", f);
        put_inline(f, member_text(c, "id"));
    } else {
        put_inline(f, kind);
        fputc(' ', f);
        put_inline(f, member_text(c, "id"));
    }
}

/* `keys` of `v` as "key value, key value" (NULL-terminated). */
static void put_fields(FILE *f, const json_t *v, const char *const *keys)
{
    for (size_t i = 0; keys[i]; i++) {
        fprintf(f, "%s%s ", i ? ", " : "", keys[i]);
        put_member(f, v, keys[i]);
    }
}

/* "course, level 2, 4 hours" of an activity `v` at the level in `c`. */
static void put_activity(FILE *f, const json_t *c, const json_t *v)
{
    put_member(f, v, "kind");
    fputs(", level ", f);
    put_member(f, c, "level");
    if (json_object_get(v, "hours")) {
        fputs(", ", f);
        put_member(f, v, "hours");
        fputs(" hours", f);
    }
}

/* What an added or removed item is, after "added: ". */
static void put_summary(FILE *f, const json_t *c, const char *kind)
{
    static const char *const competency[] = {"category", "weight", NULL};
    static const char *const rule[] = {
        "min_overall", "min_ability",     "min_performance",
        "max_gaps",    "validity_months", "must_meet",
        NULL};
    const json_t *v = json_object_get(c, "value");

    if (is(kind, "level")) {
        put_member(f, v, "label");
    } else if (is(kind, "certification")) {
        put_fields(f, v, rule);
    } else if (is(kind, "question")) {
        put_member(f, v, "stem");
        fputs(" (competency ", f);
        put_member(f, v, "competency");
        fputc(')', f);
    } else {
        put_member(f, v, "title");
        if (is(kind, "competency") || is(kind, "activity")) {
            fputs(" (", f);
            if (is(kind, "competency"))
                put_fields(f, v, competency);
            else
                put_activity(f, c, v);
            fputc(')', f);
        }
    }
}

/* Long texts, shown as "- old" and "+ new" lines under the change. */
static const char *block_label(const char *field)
{
    static const char *const labels[][2] = {
        {"description", "description"},
        {"behaviours", "behaviour of level"},
        {"stem", "stem"},
        {"choices", "choice"},
    };

    for (size_t i = 0; i < sizeof labels / sizeof *labels; i++)
        if (is(field, labels[i][0]))
            return labels[i][1];
    return NULL;
}

static void put_text_change(FILE *f, const json_t *c, const char *label)
{
    const char *from = json_string_value(json_object_get(c, "from"));
    const char *to = json_string_value(json_object_get(c, "to"));

    fprintf(f, ": %s", label);
    if (is(member_text(c, "field"), "behaviours")) {
        fputc(' ', f);
        put_member(f, c, "level");
    } else if (is(member_text(c, "field"), "choices")) {
        fputc(' ', f);
        put_member(f, c, "choice");
    }
    fputs(!from ? " added\n" : !to ? " removed\n" : " changed\n", f);
    if (from)
        put_block(f, '-', from);
    if (to)
        put_block(f, '+', to);
}

static void put_from_to(FILE *f, const json_t *c)
{
    put_member(f, c, "from");
    fputs(" -> ", f);
    put_member(f, c, "to");
    fputc('\n', f);
}

static void put_must_meet(FILE *f, const json_t *c)
{
    const json_t *added = json_object_get(c, "added");
    const json_t *removed = json_object_get(c, "removed");

    if (json_array_size(added)) {
        fputs(": must_meet added ", f);
        put_value(f, added);
        fputc('\n', f);
    }
    if (json_array_size(removed)) {
        if (json_array_size(added))
            put_subject(f, c);
        fputs(": must_meet removed ", f);
        put_value(f, removed);
        fputc('\n', f);
    }
    if (!json_array_size(added) && !json_array_size(removed)) {
        fputs(": must_meet ", f);
        put_from_to(f, c);
    }
}

/* The rest of a "changed" line, after the subject. */
static void put_field(FILE *f, const json_t *c)
{
    const char *field = member_text(c, "field");
    const char *label = block_label(field);

    if (label) {
        put_text_change(f, c, label);
    } else if (is(field, "title")) {
        fputs(" renamed: ", f);
        put_from_to(f, c);
    } else if (is(field, "must_meet")) {
        put_must_meet(f, c);
    } else if (is(field, "required")) {
        fputs(": required level for ", f);
        put_member(f, c, "grade");
        fputc(' ', f);
        put_from_to(f, c);
    } else {
        fputs(": ", f);
        put_inline(f, field);
        fputc(' ', f);
        put_from_to(f, c);
    }
}

static void put_change(FILE *f, const json_t *c)
{
    const char *op = member_text(c, "op");

    if (is(op, "reordered")) {
        put_inline(f, member_text(c, "kind"));
        fputs(" order: ", f);
        put_from_to(f, c);
        return;
    }
    put_subject(f, c);
    if (is(op, "changed")) {
        put_field(f, c);
        return;
    }
    fputc(' ', f);
    put_inline(f, op);
    if (is(op, "added") || is(op, "removed")) {
        fputs(": ", f);
        put_summary(f, c, member_text(c, "kind"));
    }
    fputc('\n', f);
}

char *ldr_model_diff_text(const json_t *diff)
{
    const json_t *changes = json_object_get(diff, "changes"), *c;
    char *buf = NULL;
    size_t len = 0, i;
    FILE *f = open_memstream(&buf, &len);
    bool bad;

    if (!f)
        return NULL;
    if (json_array_size(changes) == 0)
        fputs("no changes\n", f);
    json_array_foreach(changes, i, c) put_change(f, c);
    bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad) {
        free(buf);
        return NULL;
    }
    return buf;
}
