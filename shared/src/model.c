#include "ladder/model.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/err.h"
#include "ladder/jsonptr.h"
#include "ladder/utf8.h"

/* Values are quoted in messages up to this many bytes. */
#define QUOTE_MAX 64
#define QFMT "'%.*s%s'"
#define QARG(s) clip(s), (s), more(s)

/* Weights and evaluation shares must sum to 1 within this. */
#define SUM_EPS 0.0001

/* Lists in messages ("known: a, b, ...") name at most this many items. */
#define LIST_MAX 12

static const char *const activity_kinds[] = {"course", "practice", "coaching",
                                             "reading", "project"};

static int clip(const char *s)
{
    return (int)ldr_utf8_cut(s, strlen(s), QUOTE_MAX);
}

static const char *more(const char *s)
{
    return s[clip(s)] ? "..." : "";
}

/* "a, b, c" of at most LIST_MAX items, then how many more. */
struct list {
    char s[1024];
    size_t n, count;
};

static void list_add(struct list *l, const char *item)
{
    size_t room = sizeof l->s - l->n;
    int w;

    if (l->count++ >= LIST_MAX)
        return;
    w = snprintf(l->s + l->n, room, "%s%.*s%s", l->count > 1 ? ", " : "",
                 QARG(item));
    if (w > 0)
        l->n += (size_t)w < room ? (size_t)w : room - 1;
}

static const char *list_end(struct list *l)
{
    if (l->count == 0)
        return "none";
    if (l->count > LIST_MAX)
        snprintf(l->s + l->n, sizeof l->s - l->n, ", ... (%zu more)",
                 l->count - LIST_MAX);
    return l->s;
}

/* ---- problems ---------------------------------------------------------- */

static struct ldr_problem *problems_next(struct ldr_problems *p)
{
    if (p->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        struct ldr_problem *items = realloc(p->items, cap * sizeof *items);

        if (!items)
            return NULL;
        p->items = items;
        p->cap = cap;
    }
    return &p->items[p->count++];
}

static void problem_fill(struct ldr_problem *pr, const char *path,
                         const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void problem_fill(struct ldr_problem *pr, const char *path,
                         const char *fmt, va_list ap)
{
    if (snprintf(pr->path, sizeof pr->path, "%s", path) >= (int)sizeof pr->path)
        ldr_utf8_trim(pr->path);
    if (vsnprintf(pr->message, sizeof pr->message, fmt, ap) >=
        (int)sizeof pr->message)
        ldr_utf8_trim(pr->message);
}

void ldr_problems_release(struct ldr_problems *p)
{
    if (!p)
        return;
    free(p->items);
    p->items = NULL;
    p->count = p->cap = 0;
}

int ldr_problems_add(struct ldr_problems *p, const char *path, const char *fmt,
                     ...)
{
    struct ldr_problem *pr = problems_next(p);
    va_list ap;

    if (!pr)
        return LDR_ENOMEM;
    va_start(ap, fmt);
    problem_fill(pr, path, fmt, ap);
    va_end(ap);
    return 0;
}

/* ---- validation context ------------------------------------------------ */

/* Where validation is, what it found, and what cross-references need. */
struct ctx {
    struct ldr_problems *out; /* NULL: count only */
    size_t total;             /* problems found */
    size_t stored;            /* of them, kept in out */
    bool oom;
    char path[256]; /* the JSON Pointer of the value being checked */
    size_t len;     /* of path; sizeof path when it was cut */
    size_t nlevels; /* 0: the scale is unusable, levels are not checked */
    /* NULL while the section they come from is unusable */
    json_t *grades;         /* unique grade ids, lowest first */
    json_t *grade_set;      /* grade id -> index */
    json_t *category_set;   /* category id -> index */
    json_t *competencies;   /* borrowed /competencies */
    json_t *competency_set; /* competency id -> index */
    json_t *activity_set;   /* activity id -> its path */
    json_t *question_set;   /* question id -> index */
};

static void ctx_release(struct ctx *c)
{
    json_decref(c->grades);
    json_decref(c->grade_set);
    json_decref(c->category_set);
    json_decref(c->competency_set);
    json_decref(c->activity_set);
    json_decref(c->question_set);
}

static json_t *new_set(struct ctx *c)
{
    json_t *set = json_object();

    if (!set)
        c->oom = true;
    return set;
}

static void set_add(struct ctx *c, json_t *set, const char *key, json_t *v)
{
    if (json_object_set_new(set, key, v))
        c->oom = true;
}

/* Appends "/key" (escaped) to the path; returns what pop() restores. */
static size_t push(struct ctx *c, const char *key)
{
    char seg[sizeof c->path];
    size_t old = c->len, need, cut;

    if (old >= sizeof c->path - 5)
        return old;
    need = ldr_jsonptr_escape(seg, sizeof seg, key);
    if (need < sizeof seg && old + 1 + need < sizeof c->path) {
        c->path[old] = '/';
        memcpy(c->path + old + 1, seg, need + 1);
        c->len = old + 1 + need;
        return old;
    }
    /* Too long to show whole: cut it, mark it, and add nothing after. */
    cut = ldr_utf8_cut(seg, strnlen(seg, sizeof seg - 1),
                       sizeof c->path - old - 5);
    c->path[old] = '/';
    memcpy(c->path + old + 1, seg, cut);
    memcpy(c->path + old + 1 + cut, "...", 4);
    c->len = sizeof c->path;
    return old;
}

static size_t push_index(struct ctx *c, size_t i)
{
    char key[24];

    snprintf(key, sizeof key, "%zu", i);
    return push(c, key);
}

static void pop(struct ctx *c, size_t old)
{
    c->len = old;
    if (old < sizeof c->path) /* else the cut path stays as it is */
        c->path[old] = '\0';
}

/* The length of the path of the parent of the current value. */
static int parent_len(const struct ctx *c)
{
    const char *slash = strrchr(c->path, '/');

    return slash ? (int)(slash - c->path) : 0;
}

static void vproblem(struct ctx *c, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void vproblem(struct ctx *c, const char *fmt, va_list ap)
{
    struct ldr_problem *pr;

    c->total++;
    if (!c->out || c->oom || c->stored >= LDR_MODEL_MAX_PROBLEMS)
        return;
    pr = problems_next(c->out);
    if (!pr) {
        c->oom = true;
        return;
    }
    problem_fill(pr, c->path, fmt, ap);
    c->stored++;
}

/* A problem at the current path. */
static void problem(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(struct ctx *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vproblem(c, fmt, ap);
    va_end(ap);
}

/* A problem at the member `key` of the current value. */
static void problem_at(struct ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem_at(struct ctx *c, const char *key, const char *fmt, ...)
{
    size_t old = push(c, key);
    va_list ap;

    va_start(ap, fmt);
    vproblem(c, fmt, ap);
    va_end(ap);
    pop(c, old);
}

/* ---- value checks ------------------------------------------------------ */

/* A value as a message shows it after "got". */
struct shown {
    char s[QUOTE_MAX + 32];
};

static struct shown show(const json_t *v)
{
    struct shown r;

    switch (json_typeof(v)) {
    case JSON_STRING:
        snprintf(r.s, sizeof r.s, QFMT, QARG(json_string_value(v)));
        break;
    case JSON_INTEGER:
        snprintf(r.s, sizeof r.s, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        break;
    case JSON_REAL:
        snprintf(r.s, sizeof r.s, "%g", json_real_value(v));
        break;
    case JSON_OBJECT:
        return (struct shown){"an object"};
    case JSON_ARRAY:
        return (struct shown){"an array"};
    case JSON_TRUE:
        return (struct shown){"true"};
    case JSON_FALSE:
        return (struct shown){"false"};
    case JSON_NULL:
        return (struct shown){"null"};
    }
    return r;
}

static bool is_text(const json_t *v)
{
    return json_is_string(v) && json_string_length(v) > 0;
}

bool ldr_model_is_slug(const char *s)
{
    size_t n = 0;

    if (!s || *s < 'a' || *s > 'z')
        return false;
    for (; s[n]; n++)
        if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') ||
              s[n] == '-'))
            return false;
    return n <= LDR_MODEL_SLUG_MAX;
}

static bool is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* BCP 47 in outline: a language of 2-3 or 5-8 letters, then subtags of
 * 1-8 letters or digits ("zh-CN", "zh-Hans-CN", "en"). */
static bool is_language_tag(const char *s)
{
    size_t n = 0;
    bool first = true;

    for (;; s++) {
        if (*s == '-' || *s == '\0') {
            if (n == 0 || n > 8 || (first && (n < 2 || n == 4)))
                return false;
            if (!*s)
                return true;
            first = false;
            n = 0;
        } else if (is_alpha(*s) || (!first && *s >= '0' && *s <= '9')) {
            n++;
        } else {
            return false;
        }
    }
}

static bool is_activity_kind(const char *s)
{
    for (size_t i = 0; i < sizeof activity_kinds / sizeof *activity_kinds; i++)
        if (strcmp(s, activity_kinds[i]) == 0)
            return true;
    return false;
}

/* The level a key such as "3" names; -1 if it is not a decimal number
 * without leading zeros. */
static long level_of(const char *key)
{
    long v = 0;
    size_t n = strlen(key);

    if (n == 0 || n > 6 || (key[0] == '0' && n > 1))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (key[i] < '0' || key[i] > '9')
            return -1;
        v = v * 10 + (key[i] - '0');
    }
    return v;
}

static json_t *level_member(json_t *obj, size_t level)
{
    char key[24];

    snprintf(key, sizeof key, "%zu", level);
    return json_object_get(obj, key);
}

/* ---- members of an object ---------------------------------------------- */

enum kind { TEXT, SLUG, BOOLEAN, NUMBER, INTEGER, ARRAY, OBJECT };

/* A member of an object and what its value must be. */
struct field {
    const char *key;
    enum kind kind;
    bool optional;
    double lo, hi; /* NUMBER, INTEGER: the range */
    bool lo_open;  /* NUMBER: lo itself is outside */
};

#define F(key, kind)                                                           \
    {                                                                          \
        key, kind, false, 0, 0, false                                          \
    }
#define OPTIONAL(key, kind)                                                    \
    {                                                                          \
        key, kind, true, 0, 0, false                                           \
    }
#define NUM(key, lo, hi, open)                                                 \
    {                                                                          \
        key, NUMBER, false, lo, hi, open                                       \
    }
#define OPTIONAL_NUM(key, lo, hi)                                              \
    {                                                                          \
        key, NUMBER, true, lo, hi, false                                       \
    }
#define INT(key, lo, hi)                                                       \
    {                                                                          \
        key, INTEGER, false, lo, hi, false                                     \
    }
#define FIELDS(a) a, sizeof a / sizeof *a

static bool in_range(const struct field *f, double v)
{
    return (f->lo_open ? v > f->lo : v >= f->lo) && v <= f->hi;
}

static bool value_ok(const struct field *f, const json_t *v)
{
    switch (f->kind) {
    case TEXT:
        return is_text(v);
    case SLUG:
        return ldr_model_is_slug(json_string_value(v));
    case BOOLEAN:
        return json_is_boolean(v);
    case NUMBER:
        return json_is_number(v) && in_range(f, json_number_value(v));
    case INTEGER:
        return json_is_integer(v) && in_range(f, (double)json_integer_value(v));
    case ARRAY:
        return json_is_array(v);
    case OBJECT:
        return json_is_object(v);
    }
    return false;
}

/* What a field expects, e.g. "a number in (0, 1]". */
static const char *expectation(const struct field *f, char *buf, size_t cap)
{
    static const char *const names[] = {
        [TEXT] = "a non-empty string",
        [SLUG] = ("a slug (a lowercase letter, then up to 63 lowercase "
                  "letters, digits or '-')"),
        [BOOLEAN] = "true or false",
        [NUMBER] = "a number",
        [INTEGER] = "an integer",
        [ARRAY] = "an array",
        [OBJECT] = "an object",
    };
    const char *name = names[f->kind];

    if (f->kind != NUMBER && f->kind != INTEGER)
        return name;
    if (f->hi == HUGE_VAL && f->lo == -HUGE_VAL)
        snprintf(buf, cap, "%s", name);
    else if (f->hi == HUGE_VAL)
        snprintf(buf, cap, "%s %s %g", name, f->lo_open ? ">" : ">=", f->lo);
    else if (f->lo_open)
        snprintf(buf, cap, "%s in (%g, %g]", name, f->lo, f->hi);
    else
        snprintf(buf, cap, "%s %g..%g", name, f->lo, f->hi);
    return buf;
}

static const struct field *find_field(const struct field *f, size_t n,
                                      const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].key, key) == 0)
            return &f[i];
    return NULL;
}

/* Unknown members, missing members, and values of the wrong type or out
 * of range. What needs more than the table is checked by the caller. */
static void check_object(struct ctx *c, json_t *obj, const struct field *f,
                         size_t n)
{
    const char *key;
    json_t *v;
    char want[96];

    json_object_foreach(obj, key, v)
    {
        struct list names = {.n = 0};

        if (find_field(f, n, key))
            continue;
        for (size_t i = 0; i < n; i++)
            list_add(&names, f[i].key);
        problem_at(c, key, "unknown member " QFMT "; expected one of %s",
                   QARG(key), list_end(&names));
    }
    for (size_t i = 0; i < n; i++) {
        v = json_object_get(obj, f[i].key);
        if (!v && !f[i].optional)
            problem(c, "missing member '%s': expected %s", f[i].key,
                    expectation(&f[i], want, sizeof want));
        else if (v && !value_ok(&f[i], v))
            problem_at(c, f[i].key, "expected %s, got %s",
                       expectation(&f[i], want, sizeof want), show(v).s);
    }
}

typedef void item_fn(struct ctx *c, json_t *item, size_t i);

/* Checks every item of `arr` as an object with `f`, then with `fn`. */
static void each_object(struct ctx *c, json_t *arr, const struct field *f,
                        size_t n, item_fn *fn)
{
    size_t i;
    json_t *item;

    json_array_foreach(arr, i, item)
    {
        size_t old = push_index(c, i);

        if (!json_is_object(item)) {
            problem(c, "expected an object, got %s", show(item).s);
        } else {
            check_object(c, item, f, n);
            if (fn)
                fn(c, item, i);
        }
        pop(c, old);
    }
}

/* Records the "id" of item `i` in `set`; false (and a problem) if an
 * earlier item of the same array has it. */
static bool unique_id(struct ctx *c, json_t *set, const char *id, size_t i)
{
    json_t *prev;
    char also[sizeof c->path + 24];

    if (!set || !id)
        return false;
    prev = json_object_get(set, id);
    if (!prev) {
        set_add(c, set, id, json_integer((json_int_t)i));
        return true;
    }
    snprintf(also, sizeof also, "%.*s/%" JSON_INTEGER_FORMAT, parent_len(c),
             c->path, json_integer_value(prev));
    problem_at(c, "id", "duplicate id " QFMT " (also %s)", QARG(id), also);
    return false;
}

/* ---- the sections ------------------------------------------------------ */

static const struct field root_fields[] = {
    F("format", TEXT),        F("id", SLUG),
    F("title", TEXT),         OPTIONAL("description", TEXT),
    F("language", TEXT),      F("scale", ARRAY),
    F("grades", ARRAY),       F("categories", ARRAY),
    F("competencies", ARRAY), F("questions", ARRAY),
    F("evaluation", OBJECT),  F("certification", OBJECT),
};

static const struct field level_fields[] = {
    INT("level", -HUGE_VAL, HUGE_VAL),
    F("label", TEXT),
    F("description", TEXT),
};

static const struct field grade_fields[] = {
    F("id", SLUG),
    F("title", TEXT),
    F("description", TEXT),
};

static const struct field category_fields[] = {
    F("id", SLUG),
    F("title", TEXT),
};

static void check_header(struct ctx *c, json_t *root)
{
    const char *format = json_string_value(json_object_get(root, "format"));
    const char *lang = json_string_value(json_object_get(root, "language"));

    if (format && *format && strcmp(format, LDR_MODEL_FORMAT) != 0)
        problem_at(c, "format", "expected \"%s\", got " QFMT, LDR_MODEL_FORMAT,
                   QARG(format));
    if (lang && *lang && !is_language_tag(lang))
        problem_at(c, "language",
                   "expected a BCP 47 language tag such as 'zh-CN', "
                   "got " QFMT,
                   QARG(lang));
}

static void scale_item(struct ctx *c, json_t *item, size_t i)
{
    json_t *v = json_object_get(item, "level");

    if (json_is_integer(v) && json_integer_value(v) != (json_int_t)i + 1)
        problem_at(c, "level",
                   "expected %zu: levels are numbered 1, 2, 3 ... in order",
                   i + 1);
}

static void check_scale(struct ctx *c, json_t *root)
{
    json_t *scale = json_object_get(root, "scale");
    size_t n, old;

    if (!json_is_array(scale))
        return;
    n = json_array_size(scale);
    old = push(c, "scale");
    if (n < 2 || n > 10)
        problem(c, "expected 2 to 10 levels, got %zu", n);
    else
        c->nlevels = n;
    each_object(c, scale, FIELDS(level_fields), scale_item);
    pop(c, old);
}

static void grade_item(struct ctx *c, json_t *item, size_t i)
{
    const char *id = json_string_value(json_object_get(item, "id"));

    if (unique_id(c, c->grade_set, id, i) &&
        json_array_append_new(c->grades, json_string(id)))
        c->oom = true;
}

static void check_grades(struct ctx *c, json_t *root)
{
    json_t *grades = json_object_get(root, "grades");
    size_t n, old;

    if (!json_is_array(grades))
        return;
    n = json_array_size(grades);
    old = push(c, "grades");
    if (n < 1 || n > 20)
        problem(c, "expected 1 to 20 grades, got %zu", n);
    c->grades = json_array();
    c->grade_set = new_set(c);
    if (!c->grades || !c->grade_set) {
        c->oom = true;
        json_decref(c->grades);
        c->grades = NULL;
    }
    each_object(c, grades, FIELDS(grade_fields), grade_item);
    pop(c, old);
}

static void category_item(struct ctx *c, json_t *item, size_t i)
{
    unique_id(c, c->category_set,
              json_string_value(json_object_get(item, "id")), i);
}

static void check_categories(struct ctx *c, json_t *root)
{
    json_t *categories = json_object_get(root, "categories");
    size_t old;

    if (!json_is_array(categories))
        return;
    old = push(c, "categories");
    if (json_array_size(categories) == 0)
        problem(c, "expected at least 1 category");
    c->category_set = new_set(c);
    each_object(c, categories, FIELDS(category_fields), category_item);
    pop(c, old);
}

/* ---- competencies ------------------------------------------------------ */

static const struct field competency_fields[] = {
    F("id", SLUG),           F("title", TEXT),          F("description", TEXT),
    F("category", TEXT),     NUM("weight", 0, 1, true), F("core", BOOLEAN),
    F("behaviours", OBJECT), F("required", OBJECT),     F("learning", OBJECT),
};

static const struct field activity_fields[] = {
    F("id", SLUG),
    F("kind", TEXT),
    F("title", TEXT),
    OPTIONAL_NUM("hours", 0, HUGE_VAL),
};

/* False (and a problem) if `key` of an object keyed by level is not a
 * level on the scale. */
static bool level_key_ok(struct ctx *c, const char *key)
{
    long level = level_of(key);

    if (level < 0 && c->nlevels)
        problem_at(c, key, "unknown key " QFMT "; expected a level 1..%zu",
                   QARG(key), c->nlevels);
    else if (level < 0)
        problem_at(c, key, "unknown key " QFMT "; expected a level number",
                   QARG(key));
    else if (level == 0 || (c->nlevels && (size_t)level > c->nlevels))
        problem_at(c, key, "level %ld is not on the scale 1..%zu", level,
                   c->nlevels);
    else
        return true;
    return false;
}

static void check_behaviours(struct ctx *c, json_t *comp)
{
    json_t *obj = json_object_get(comp, "behaviours"), *v;
    const char *key;
    size_t old;

    if (!json_is_object(obj))
        return;
    old = push(c, "behaviours");
    json_object_foreach(obj, key, v)
    {
        if (level_key_ok(c, key) && !is_text(v))
            problem_at(c, key, "expected a non-empty description, got %s",
                       show(v).s);
    }
    for (size_t k = 1; k <= c->nlevels; k++)
        if (!level_member(obj, k))
            problem(c, "missing the description of level %zu", k);
    pop(c, old);
}

static bool is_level(const struct ctx *c, const json_t *v)
{
    json_int_t level = json_integer_value(v);

    return json_is_integer(v) && level >= 1 &&
           (!c->nlevels || level <= (json_int_t)c->nlevels);
}

/* Every grade has a required level, and it never falls as grades rise. */
static void check_required_order(struct ctx *c, json_t *obj)
{
    const char *below = NULL;
    json_int_t prev = 0;
    json_t *id;
    size_t g;

    json_array_foreach(c->grades, g, id)
    {
        const char *grade = json_string_value(id);
        json_t *v = json_object_get(obj, grade);

        if (!v) {
            problem(c, "missing the required level of grade " QFMT,
                    QARG(grade));
            continue;
        }
        if (!is_level(c, v))
            continue;
        if (below && json_integer_value(v) < prev)
            problem_at(c, grade,
                       "level %" JSON_INTEGER_FORMAT " is below the level "
                       "%" JSON_INTEGER_FORMAT " of the lower grade " QFMT
                       ": a required level never falls as the grade rises",
                       json_integer_value(v), prev, QARG(below));
        prev = json_integer_value(v);
        below = grade;
    }
}

static void check_required(struct ctx *c, json_t *comp)
{
    json_t *obj = json_object_get(comp, "required"), *v;
    const char *key;
    size_t old;

    if (!json_is_object(obj))
        return;
    old = push(c, "required");
    json_object_foreach(obj, key, v)
    {
        if (c->grade_set && !json_object_get(c->grade_set, key))
            problem_at(c, key, "grade " QFMT " is not defined in /grades",
                       QARG(key));
        else if (!is_level(c, v) && c->nlevels)
            problem_at(c, key,
                       "expected an integer level on the scale 1..%zu, "
                       "got %s",
                       c->nlevels, show(v).s);
        else if (!is_level(c, v))
            problem_at(c, key, "expected an integer level >= 1, got %s",
                       show(v).s);
    }
    if (c->grades)
        check_required_order(c, obj);
    pop(c, old);
}

static void activity_item(struct ctx *c, json_t *item, size_t i)
{
    const char *id = json_string_value(json_object_get(item, "id"));
    const char *kind = json_string_value(json_object_get(item, "kind"));
    json_t *prev;

    (void)i;
    if (kind && *kind && !is_activity_kind(kind))
        problem_at(c, "kind",
                   "expected one of course, practice, coaching, reading, "
                   "project, got " QFMT,
                   QARG(kind));
    if (!id || !c->activity_set)
        return;
    prev = json_object_get(c->activity_set, id);
    if (prev)
        problem_at(c, "id", "duplicate activity id " QFMT " (also %s)",
                   QARG(id), json_string_value(prev));
    else
        set_add(c, c->activity_set, id,
                json_stringn_nocheck(c->path, strlen(c->path)));
}

static void check_learning(struct ctx *c, json_t *comp)
{
    json_t *obj = json_object_get(comp, "learning"), *v;
    const char *key;
    size_t old;

    if (!json_is_object(obj))
        return;
    old = push(c, "learning");
    json_object_foreach(obj, key, v)
    {
        size_t at;

        if (!level_key_ok(c, key))
            continue;
        at = push(c, key);
        if (!json_is_array(v))
            problem(c, "expected an array of activities, got %s", show(v).s);
        else if (json_array_size(v) == 0)
            problem(c,
                    "expected at least one activity that leads to "
                    "level %s",
                    key);
        else
            each_object(c, v, FIELDS(activity_fields), activity_item);
        pop(c, at);
    }
    for (size_t k = 1; k <= c->nlevels; k++)
        if (!level_member(obj, k))
            problem(c, "missing the activities that lead to level %zu", k);
    pop(c, old);
}

static void competency_item(struct ctx *c, json_t *item, size_t i)
{
    const char *id = json_string_value(json_object_get(item, "id"));
    const char *category = json_string_value(json_object_get(item, "category"));

    unique_id(c, c->competency_set, id, i);
    if (category && *category && c->category_set &&
        !json_object_get(c->category_set, category))
        problem_at(c, "category",
                   "category " QFMT " is not defined in /categories",
                   QARG(category));
    check_behaviours(c, item);
    check_required(c, item);
    check_learning(c, item);
}

static void check_competencies(struct ctx *c, json_t *root)
{
    json_t *arr = json_object_get(root, "competencies"), *item;
    size_t i, old, nweights = 0;
    double sum = 0;

    if (!json_is_array(arr))
        return;
    old = push(c, "competencies");
    if (json_array_size(arr) == 0)
        problem(c, "expected at least 1 competency");
    c->competencies = arr;
    c->competency_set = new_set(c);
    c->activity_set = new_set(c);
    each_object(c, arr, FIELDS(competency_fields), competency_item);
    json_array_foreach(arr, i, item)
    {
        json_t *w = json_object_get(item, "weight");

        if (json_is_number(w)) {
            sum += json_number_value(w);
            nweights++;
        }
    }
    if (nweights && nweights == json_array_size(arr) && fabs(sum - 1) > SUM_EPS)
        problem(c, "weights sum to %g, expected 1", sum);
    pop(c, old);
}

/* ---- questions --------------------------------------------------------- */

static const struct field question_fields[] = {
    F("id", SLUG),     F("competency", TEXT),
    F("stem", TEXT),   F("choices", OBJECT),
    F("answer", TEXT), NUM("points", 0, HUGE_VAL, true),
};

static void check_choices(struct ctx *c, json_t *obj)
{
    size_t n = json_object_size(obj), old;
    const char *key;
    char last;
    json_t *v;

    old = push(c, "choices");
    if (n < 2 || n > 8)
        problem(c, "expected 2 to 8 choices, got %zu", n);
    last = (char)('a' + (n < 2 ? 8 : n > 8 ? 8 : n) - 1);
    json_object_foreach(obj, key, v)
    {
        if (strlen(key) != 1 || key[0] < 'a' || key[0] > last)
            problem_at(c, key,
                       "unknown choice " QFMT "; choices are keyed a, b, "
                       "c ... in order, here a to %c",
                       QARG(key), last);
        else if (!is_text(v))
            problem_at(c, key, "expected a non-empty string, got %s",
                       show(v).s);
    }
    pop(c, old);
}

static void check_answer_key(struct ctx *c, json_t *choices, const char *ans)
{
    struct list keys = {.n = 0};
    const char *key;
    json_t *v;

    if (json_object_get(choices, ans))
        return;
    json_object_foreach(choices, key, v)
    {
        (void)v;
        list_add(&keys, key);
    }
    problem_at(c, "answer", QFMT " is not among the choices %s", QARG(ans),
               list_end(&keys));
}

static void question_item(struct ctx *c, json_t *item, size_t i)
{
    const char *comp = json_string_value(json_object_get(item, "competency"));
    const char *answer = json_string_value(json_object_get(item, "answer"));
    json_t *choices = json_object_get(item, "choices");

    unique_id(c, c->question_set,
              json_string_value(json_object_get(item, "id")), i);
    if (comp && *comp && c->competency_set &&
        !json_object_get(c->competency_set, comp))
        problem_at(c, "competency",
                   "competency " QFMT " is not defined in /competencies",
                   QARG(comp));
    if (!json_is_object(choices))
        return;
    check_choices(c, choices);
    if (answer && *answer)
        check_answer_key(c, choices, answer);
}

static void check_questions(struct ctx *c, json_t *root)
{
    json_t *arr = json_object_get(root, "questions");
    size_t old;

    if (!json_is_array(arr))
        return;
    old = push(c, "questions");
    c->question_set = new_set(c);
    each_object(c, arr, FIELDS(question_fields), question_item);
    pop(c, old);
}

/* ---- evaluation and certification ------------------------------------- */

static const struct field eval_fields[] = {
    NUM("ratings", 0, 1, false),
    NUM("tests", 0, 1, false),
    NUM("ability", 0, 1, false),
    NUM("performance", 0, 1, false),
};

static const struct field cert_fields[] = {
    NUM("min_overall", 0, 100, false),
    NUM("min_ability", 0, 100, false),
    NUM("min_performance", 0, 100, false),
    INT("max_gaps", 0, HUGE_VAL),
    F("must_meet", ARRAY),
    INT("validity_months", 1, 120),
};

static void check_pair(struct ctx *c, json_t *obj, const char *a, const char *b)
{
    json_t *x = json_object_get(obj, a), *y = json_object_get(obj, b);
    double sum;

    if (!json_is_number(x) || !json_is_number(y))
        return;
    sum = json_number_value(x) + json_number_value(y);
    if (fabs(sum - 1) > SUM_EPS)
        problem(c, "%s + %s sum to %g, expected 1", a, b, sum);
}

static void check_evaluation(struct ctx *c, json_t *root)
{
    json_t *obj = json_object_get(root, "evaluation");
    size_t old;

    if (!json_is_object(obj))
        return;
    old = push(c, "evaluation");
    check_object(c, obj, FIELDS(eval_fields));
    check_pair(c, obj, "ratings", "tests");
    check_pair(c, obj, "ability", "performance");
    pop(c, old);
}

static void must_meet_item(struct ctx *c, json_t *seen, json_t *v, size_t i)
{
    const char *id = json_string_value(v);
    json_t *prev, *index, *comp;

    if (!is_text(v)) {
        problem(c, "expected a competency id, got %s", show(v).s);
        return;
    }
    prev = json_object_get(seen, id);
    if (prev) {
        problem(c, "duplicate " QFMT " (also %.*s/%" JSON_INTEGER_FORMAT ")",
                QARG(id), parent_len(c), c->path, json_integer_value(prev));
        return;
    }
    set_add(c, seen, id, json_integer((json_int_t)i));
    if (!c->competency_set)
        return;
    index = json_object_get(c->competency_set, id);
    if (!index) {
        problem(c, "competency " QFMT " is not defined in /competencies",
                QARG(id));
        return;
    }
    comp = json_array_get(c->competencies, (size_t)json_integer_value(index));
    /* a "core" that is not a boolean is a problem of its own */
    if (json_is_false(json_object_get(comp, "core")))
        problem(c,
                "competency " QFMT " is not core; must_meet lists core "
                "competencies only",
                QARG(id));
}

static void check_must_meet(struct ctx *c, json_t *arr)
{
    json_t *seen, *v;
    size_t i, old;

    if (!json_is_array(arr))
        return;
    seen = new_set(c);
    old = push(c, "must_meet");
    json_array_foreach(arr, i, v)
    {
        size_t at = push_index(c, i);

        if (seen)
            must_meet_item(c, seen, v, i);
        pop(c, at);
    }
    pop(c, old);
    json_decref(seen);
}

static void check_certification(struct ctx *c, json_t *root)
{
    json_t *obj = json_object_get(root, "certification"), *rule, *id;
    const char *key;
    size_t old, g;

    if (!json_is_object(obj))
        return;
    old = push(c, "certification");
    json_object_foreach(obj, key, rule)
    {
        size_t at = push(c, key);

        if (c->grade_set && !json_object_get(c->grade_set, key))
            problem(c, "grade " QFMT " is not defined in /grades", QARG(key));
        if (!json_is_object(rule)) {
            problem(c, "expected an object (a certification rule), got %s",
                    show(rule).s);
        } else {
            check_object(c, rule, FIELDS(cert_fields));
            check_must_meet(c, json_object_get(rule, "must_meet"));
        }
        pop(c, at);
    }
    json_array_foreach(c->grades, g, id)
    {
        if (!json_object_get(obj, json_string_value(id)))
            problem(c, "missing the rule of grade " QFMT,
                    QARG(json_string_value(id)));
    }
    pop(c, old);
}

static void check_root(struct ctx *c, json_t *root)
{
    if (!json_is_object(root)) {
        problem(c, "expected an object (a %s document), got %s",
                LDR_MODEL_FORMAT, show(root).s);
        return;
    }
    check_object(c, root, FIELDS(root_fields));
    check_header(c, root);
    check_scale(c, root);
    check_grades(c, root);
    check_categories(c, root);
    check_competencies(c, root);
    check_questions(c, root);
    check_evaluation(c, root);
    check_certification(c, root);
}

/* ---- building the struct from a valid document ------------------------- */

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* calloc, where an empty array is NULL and not a failure. */
static bool alloc(void *out, size_t n, size_t size)
{
    void *p = n ? calloc(n, size) : NULL;

    memcpy(out, &p, sizeof p);
    return !n || p;
}

static int build_learning(struct ldr_learning *out, const json_t *arr)
{
    struct ldr_activity *items;
    json_t *v;
    size_t i;

    if (!alloc(&items, json_array_size(arr), sizeof *items))
        return LDR_ENOMEM;
    json_array_foreach(arr, i, v)
    {
        items[i].id = str(v, "id");
        items[i].kind = str(v, "kind");
        items[i].title = str(v, "title");
        items[i].hours = json_number_value(json_object_get(v, "hours"));
    }
    out->items = items;
    out->count = json_array_size(arr);
    return 0;
}

static int build_competency(const struct ldr_model *m,
                            struct ldr_competency *out, const json_t *v)
{
    const json_t *behaviours = json_object_get(v, "behaviours");
    const json_t *required = json_object_get(v, "required");
    json_t *learning = json_object_get(v, "learning");
    struct ldr_learning *paths;

    out->id = str(v, "id");
    out->title = str(v, "title");
    out->description = str(v, "description");
    out->category = str(v, "category");
    out->weight = json_number_value(json_object_get(v, "weight"));
    out->core = json_is_true(json_object_get(v, "core"));
    if (!alloc(&out->behaviours, m->nlevels, sizeof *out->behaviours) ||
        !alloc(&out->required, m->ngrades, sizeof *out->required) ||
        !alloc(&paths, m->nlevels, sizeof *paths))
        return LDR_ENOMEM;
    out->learning = paths;
    for (size_t k = 0; k < m->nlevels; k++) {
        out->behaviours[k] =
            json_string_value(level_member((json_t *)behaviours, k + 1));
        if (build_learning(&paths[k], level_member(learning, k + 1)))
            return LDR_ENOMEM;
    }
    for (size_t g = 0; g < m->ngrades; g++)
        out->required[g] =
            (int)json_integer_value(json_object_get(required, m->grades[g].id));
    return 0;
}

static int build_question(struct ldr_question *out, json_t *v)
{
    json_t *choices = json_object_get(v, "choices");
    struct ldr_choice *items;
    size_t n = json_object_size(choices);

    out->id = str(v, "id");
    out->competency = str(v, "competency");
    out->stem = str(v, "stem");
    out->answer = str(v, "answer");
    out->points = json_number_value(json_object_get(v, "points"));
    if (!alloc(&items, n, sizeof *items))
        return LDR_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        char key[2] = {(char)('a' + k), '\0'};
        void *it = json_object_iter_at(choices, key);

        items[k].id = json_object_iter_key(it); /* owned by the document */
        items[k].text = json_string_value(json_object_iter_value(it));
    }
    out->choices = items;
    out->nchoices = n;
    return 0;
}

static int build_cert(struct ldr_cert_rule *out, const char *grade,
                      const json_t *v)
{
    json_t *must = json_object_get(v, "must_meet"), *id;
    const char **ids;
    size_t i;

    out->grade = grade;
    out->min_overall = json_number_value(json_object_get(v, "min_overall"));
    out->min_ability = json_number_value(json_object_get(v, "min_ability"));
    out->min_performance =
        json_number_value(json_object_get(v, "min_performance"));
    out->max_gaps = (size_t)json_integer_value(json_object_get(v, "max_gaps"));
    out->validity_months =
        (int)json_integer_value(json_object_get(v, "validity_months"));
    if (!alloc(&ids, json_array_size(must), sizeof *ids))
        return LDR_ENOMEM;
    json_array_foreach(must, i, id) ids[i] = json_string_value(id);
    out->must_meet = ids;
    out->nmust_meet = json_array_size(must);
    return 0;
}

static int build_lists(struct ldr_model *m, const json_t *root)
{
    const json_t *scale = json_object_get(root, "scale");
    const json_t *grades = json_object_get(root, "grades");
    const json_t *categories = json_object_get(root, "categories");
    json_t *v;
    size_t i;

    m->nlevels = json_array_size(scale);
    m->ngrades = json_array_size(grades);
    m->ncategories = json_array_size(categories);
    if (!alloc(&m->levels, m->nlevels, sizeof *m->levels) ||
        !alloc(&m->grades, m->ngrades, sizeof *m->grades) ||
        !alloc(&m->categories, m->ncategories, sizeof *m->categories))
        return LDR_ENOMEM;
    json_array_foreach(scale, i, v)
    {
        m->levels[i].level = (int)i + 1;
        m->levels[i].label = str(v, "label");
        m->levels[i].description = str(v, "description");
    }
    json_array_foreach(grades, i, v)
    {
        m->grades[i].id = str(v, "id");
        m->grades[i].title = str(v, "title");
        m->grades[i].description = str(v, "description");
    }
    json_array_foreach(categories, i, v)
    {
        m->categories[i].id = str(v, "id");
        m->categories[i].title = str(v, "title");
    }
    return 0;
}

static void build_eval(struct ldr_eval_rule *out, const json_t *v)
{
    out->ratings = json_number_value(json_object_get(v, "ratings"));
    out->tests = json_number_value(json_object_get(v, "tests"));
    out->ability = json_number_value(json_object_get(v, "ability"));
    out->performance = json_number_value(json_object_get(v, "performance"));
}

static int build(struct ldr_model *m)
{
    const json_t *root = m->doc;
    json_t *comps = json_object_get(root, "competencies");
    json_t *questions = json_object_get(root, "questions");
    json_t *certs = json_object_get(root, "certification");
    int rc = 0;

    m->id = str(root, "id");
    m->title = str(root, "title");
    m->language = str(root, "language");
    m->description = str(root, "description");
    build_eval(&m->eval, json_object_get(root, "evaluation"));
    if (build_lists(m, root) ||
        !alloc(&m->competencies, json_array_size(comps),
               sizeof *m->competencies) ||
        !alloc(&m->questions, json_array_size(questions),
               sizeof *m->questions) ||
        !alloc(&m->certs, m->ngrades, sizeof *m->certs))
        return LDR_ENOMEM;
    m->ncompetencies = json_array_size(comps);
    m->nquestions = json_array_size(questions);
    m->ncerts = m->ngrades;
    for (size_t i = 0; !rc && i < m->ncompetencies; i++)
        rc = build_competency(m, &m->competencies[i], json_array_get(comps, i));
    for (size_t i = 0; !rc && i < m->nquestions; i++)
        rc = build_question(&m->questions[i], json_array_get(questions, i));
    for (size_t i = 0; !rc && i < m->ncerts; i++)
        rc = build_cert(&m->certs[i], m->grades[i].id,
                        json_object_get(certs, m->grades[i].id));
    return rc;
}

void ldr_model_free(struct ldr_model *m)
{
    if (!m)
        return;
    /* Arrays are calloc'd whole before their items are built, so an item
     * a failed build did not reach holds NULLs. */
    for (size_t i = 0; m->competencies && i < m->ncompetencies; i++) {
        struct ldr_competency *c = &m->competencies[i];

        for (size_t k = 0; c->learning && k < m->nlevels; k++)
            free((void *)c->learning[k].items);
        free(c->behaviours);
        free(c->required);
        free(c->learning);
    }
    for (size_t i = 0; m->questions && i < m->nquestions; i++)
        free((void *)m->questions[i].choices);
    for (size_t i = 0; m->certs && i < m->ncerts; i++)
        free((void *)m->certs[i].must_meet);
    free(m->levels);
    free(m->grades);
    free(m->categories);
    free(m->competencies);
    free(m->questions);
    free(m->certs);
    json_decref(m->doc);
    free(m);
}

/* ---- parse and load ---------------------------------------------------- */

static int finish(struct ctx *c, struct ldr_err *err)
{
    if (c->oom)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory checking a model");
    if (c->total == 0)
        return 0;
    if (c->out && c->stored < c->total)
        return ldr_err_set(err, LDR_EINVAL,
                           "model has %zu problems; the first %zu are listed",
                           c->total, c->stored);
    return ldr_err_set(err, LDR_EINVAL, "model has %zu problem%s", c->total,
                       c->total == 1 ? "" : "s");
}

int ldr_model_parse(struct ldr_model **out, const char *buf, size_t len,
                    struct ldr_problems *problems, struct ldr_err *err)
{
    struct ctx c = {.out = problems};
    struct ldr_model *m;
    json_error_t jerr;
    json_t *doc;
    int rc;

    *out = NULL;
    if (len > LDR_MODEL_MAX_BYTES)
        return ldr_err_set(err, LDR_ETOOBIG,
                           "model is %zu bytes; the limit is %u (4 MiB)", len,
                           LDR_MODEL_MAX_BYTES);
    doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        problem(&c, "invalid JSON at line %d, column %d: %s", jerr.line,
                jerr.column, jerr.text);
        return finish(&c, err);
    }
    check_root(&c, doc);
    ctx_release(&c);
    if ((rc = finish(&c, err)) != 0) {
        json_decref(doc);
        return rc;
    }
    m = calloc(1, sizeof *m);
    if (!m) {
        json_decref(doc);
        return ldr_err_set(err, LDR_ENOMEM, "out of memory loading a model");
    }
    m->doc = doc;
    if (build(m)) {
        ldr_model_free(m);
        return ldr_err_set(err, LDR_ENOMEM, "out of memory loading a model");
    }
    *out = m;
    return 0;
}

/* Reads at most LDR_MODEL_MAX_BYTES + 1 bytes of `f`. */
static int read_all(FILE *f, char **out, size_t *len)
{
    size_t cap = 0, n = 0;
    char *buf = NULL;

    for (;;) {
        if (n == cap) {
            char *grown;

            if (cap > LDR_MODEL_MAX_BYTES)
                break;
            cap = cap ? cap * 2 : 65536;
            if (cap > LDR_MODEL_MAX_BYTES + 1)
                cap = LDR_MODEL_MAX_BYTES + 1;
            if (!(grown = realloc(buf, cap))) {
                free(buf);
                return LDR_ENOMEM;
            }
            buf = grown;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    *out = buf;
    *len = n;
    return ferror(f) ? LDR_EIO : 0;
}

int ldr_model_load(struct ldr_model **out, const char *path,
                   struct ldr_problems *problems, struct ldr_err *err)
{
    FILE *f;
    char *buf = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    if (!(f = fopen(path, "rb")))
        return ldr_err_set(err, LDR_EIO, "cannot open model " QFMT ": %s",
                           QARG(path), strerror(errno));
    rc = read_all(f, &buf, &len);
    if (rc == LDR_EIO)
        ldr_err_set(err, rc, "cannot read model " QFMT ": %s", QARG(path),
                    strerror(errno));
    else if (rc)
        ldr_err_set(err, rc, "out of memory reading model " QFMT, QARG(path));
    else if (len > LDR_MODEL_MAX_BYTES)
        rc = ldr_err_set(err, LDR_ETOOBIG,
                         "model " QFMT " is over the limit of %u bytes (4 MiB)",
                         QARG(path), LDR_MODEL_MAX_BYTES);
    else
        rc = ldr_model_parse(out, buf, len, problems, err);
    free(buf);
    fclose(f);
    return rc;
}

/* ---- canonical dump ---------------------------------------------------- */

/* Integral values as integers, so 1 and 1.0 are the same model. */
static json_t *num(double v)
{
    if (fabs(v) < 1e15 && v == floor(v))
        return json_integer((json_int_t)v);
    return json_real(v);
}

static void put(json_t *obj, const char *key, json_t *v, bool *ok)
{
    if (json_object_set_new(obj, key, v))
        *ok = false;
}

static void add(json_t *arr, json_t *v, bool *ok)
{
    if (json_array_append_new(arr, v))
        *ok = false;
}

static json_t *dump_scale(const struct ldr_model *m, bool *ok)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < m->nlevels; i++) {
        json_t *v = json_object();

        put(v, "level", json_integer(m->levels[i].level), ok);
        put(v, "label", json_string(m->levels[i].label), ok);
        put(v, "description", json_string(m->levels[i].description), ok);
        add(arr, v, ok);
    }
    return arr;
}

static json_t *dump_grades(const struct ldr_model *m, bool *ok)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < m->ngrades; i++) {
        json_t *v = json_object();

        put(v, "id", json_string(m->grades[i].id), ok);
        put(v, "title", json_string(m->grades[i].title), ok);
        put(v, "description", json_string(m->grades[i].description), ok);
        add(arr, v, ok);
    }
    return arr;
}

static json_t *dump_categories(const struct ldr_model *m, bool *ok)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < m->ncategories; i++) {
        json_t *v = json_object();

        put(v, "id", json_string(m->categories[i].id), ok);
        put(v, "title", json_string(m->categories[i].title), ok);
        add(arr, v, ok);
    }
    return arr;
}

static json_t *dump_learning(const struct ldr_learning *l, bool *ok)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < l->count; i++) {
        const struct ldr_activity *a = &l->items[i];
        json_t *v = json_object();

        put(v, "id", json_string(a->id), ok);
        put(v, "kind", json_string(a->kind), ok);
        put(v, "title", json_string(a->title), ok);
        if (a->hours != 0)
            put(v, "hours", num(a->hours), ok);
        add(arr, v, ok);
    }
    return arr;
}

/* behaviours, required and learning, keyed by level or grade in order */
static void dump_levels(const struct ldr_model *m,
                        const struct ldr_competency *c, json_t *v, bool *ok)
{
    json_t *behaviours = json_object(), *required = json_object();
    json_t *learning = json_object();

    for (size_t k = 0; k < m->nlevels; k++) {
        char key[24];

        snprintf(key, sizeof key, "%zu", k + 1);
        put(behaviours, key, json_string(c->behaviours[k]), ok);
        put(learning, key, dump_learning(&c->learning[k], ok), ok);
    }
    for (size_t g = 0; g < m->ngrades; g++)
        put(required, m->grades[g].id, json_integer(c->required[g]), ok);
    put(v, "behaviours", behaviours, ok);
    put(v, "required", required, ok);
    put(v, "learning", learning, ok);
}

static json_t *dump_competencies(const struct ldr_model *m, bool *ok)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < m->ncompetencies; i++) {
        const struct ldr_competency *c = &m->competencies[i];
        json_t *v = json_object();

        put(v, "id", json_string(c->id), ok);
        put(v, "title", json_string(c->title), ok);
        put(v, "description", json_string(c->description), ok);
        put(v, "category", json_string(c->category), ok);
        put(v, "weight", num(c->weight), ok);
        put(v, "core", json_boolean(c->core), ok);
        dump_levels(m, c, v, ok);
        add(arr, v, ok);
    }
    return arr;
}

static json_t *dump_questions(const struct ldr_model *m, bool *ok)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < m->nquestions; i++) {
        const struct ldr_question *q = &m->questions[i];
        json_t *v = json_object(), *choices = json_object();

        for (size_t k = 0; k < q->nchoices; k++)
            put(choices, q->choices[k].id, json_string(q->choices[k].text), ok);
        put(v, "id", json_string(q->id), ok);
        put(v, "competency", json_string(q->competency), ok);
        put(v, "stem", json_string(q->stem), ok);
        put(v, "choices", choices, ok);
        put(v, "answer", json_string(q->answer), ok);
        put(v, "points", num(q->points), ok);
        add(arr, v, ok);
    }
    return arr;
}

static json_t *dump_eval(const struct ldr_eval_rule *e, bool *ok)
{
    json_t *v = json_object();

    put(v, "ratings", num(e->ratings), ok);
    put(v, "tests", num(e->tests), ok);
    put(v, "ability", num(e->ability), ok);
    put(v, "performance", num(e->performance), ok);
    return v;
}

static json_t *dump_certs(const struct ldr_model *m, bool *ok)
{
    json_t *obj = json_object();

    for (size_t i = 0; i < m->ncerts; i++) {
        const struct ldr_cert_rule *r = &m->certs[i];
        json_t *v = json_object(), *must = json_array();

        for (size_t k = 0; k < r->nmust_meet; k++)
            add(must, json_string(r->must_meet[k]), ok);
        put(v, "min_overall", num(r->min_overall), ok);
        put(v, "min_ability", num(r->min_ability), ok);
        put(v, "min_performance", num(r->min_performance), ok);
        put(v, "max_gaps", json_integer((json_int_t)r->max_gaps), ok);
        put(v, "must_meet", must, ok);
        put(v, "validity_months", json_integer(r->validity_months), ok);
        put(obj, r->grade, v, ok);
    }
    return obj;
}

static json_t *dump_model(const struct ldr_model *m, bool *ok)
{
    json_t *root = json_object();

    put(root, "format", json_string(LDR_MODEL_FORMAT), ok);
    put(root, "id", json_string(m->id), ok);
    put(root, "title", json_string(m->title), ok);
    if (m->description)
        put(root, "description", json_string(m->description), ok);
    put(root, "language", json_string(m->language), ok);
    put(root, "scale", dump_scale(m, ok), ok);
    put(root, "grades", dump_grades(m, ok), ok);
    put(root, "categories", dump_categories(m, ok), ok);
    put(root, "competencies", dump_competencies(m, ok), ok);
    put(root, "questions", dump_questions(m, ok), ok);
    put(root, "evaluation", dump_eval(&m->eval, ok), ok);
    put(root, "certification", dump_certs(m, ok), ok);
    return root;
}

char *ldr_model_dump(const struct ldr_model *model, size_t *len_out)
{
    bool ok = true;
    json_t *root = dump_model(model, &ok);
    char *text = NULL, *out;
    size_t n;

    if (ok && root)
        text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    json_decref(root);
    if (!text)
        return NULL;
    n = strlen(text);
    out = realloc(text, n + 2);
    if (!out) {
        free(text);
        return NULL;
    }
    memcpy(out + n, "\n", 2);
    if (len_out)
        *len_out = n + 1;
    return out;
}

/* ---- lookups and checks ------------------------------------------------ */

const struct ldr_competency *ldr_model_competency(const struct ldr_model *m,
                                                  const char *id)
{
    for (size_t i = 0; id && i < m->ncompetencies; i++)
        if (strcmp(m->competencies[i].id, id) == 0)
            return &m->competencies[i];
    return NULL;
}

const struct ldr_question *ldr_model_question(const struct ldr_model *m,
                                              const char *id)
{
    for (size_t i = 0; id && i < m->nquestions; i++)
        if (strcmp(m->questions[i].id, id) == 0)
            return &m->questions[i];
    return NULL;
}

int ldr_model_grade_index(const struct ldr_model *m, const char *grade)
{
    for (size_t i = 0; grade && i < m->ngrades; i++)
        if (strcmp(m->grades[i].id, grade) == 0)
            return (int)i;
    return -1;
}

static int need_competency(const struct ldr_model *m, const char *id,
                           struct ldr_err *err)
{
    struct list known = {.n = 0};

    if (ldr_model_competency(m, id))
        return 0;
    for (size_t i = 0; i < m->ncompetencies; i++)
        list_add(&known, m->competencies[i].id);
    return ldr_err_set(err, LDR_EINVAL,
                       "unknown competency " QFMT " in model %s; known: %s",
                       QARG(id ? id : ""), m->id, list_end(&known));
}

int ldr_model_check_rating(const struct ldr_model *m, const char *competency,
                           int level, struct ldr_err *err)
{
    int rc = need_competency(m, competency, err);

    if (rc)
        return rc;
    if (level < 1 || (size_t)level > m->nlevels)
        return ldr_err_set(err, LDR_EINVAL,
                           "level %d is not on the scale 1..%zu of model %s",
                           level, m->nlevels, m->id);
    return 0;
}

int ldr_model_check_answer(const struct ldr_model *m, const char *question,
                           const char *choice, struct ldr_err *err)
{
    const struct ldr_question *q = ldr_model_question(m, question);
    struct list keys = {.n = 0};

    if (!q) {
        for (size_t i = 0; i < m->nquestions; i++)
            list_add(&keys, m->questions[i].id);
        return ldr_err_set(
            err, LDR_EINVAL, "unknown question " QFMT " in model %s; known: %s",
            QARG(question ? question : ""), m->id, list_end(&keys));
    }
    for (size_t k = 0; k < q->nchoices; k++) {
        if (choice && strcmp(q->choices[k].id, choice) == 0)
            return 0;
        list_add(&keys, q->choices[k].id);
    }
    return ldr_err_set(err, LDR_EINVAL,
                       "choice " QFMT " is not among %s of question %s",
                       QARG(choice ? choice : ""), list_end(&keys), q->id);
}

int ldr_model_check_test(const struct ldr_model *m, const char *competency,
                         double score, struct ldr_err *err)
{
    int rc = need_competency(m, competency, err);

    if (rc)
        return rc;
    if (!(score >= 0 && score <= 100)) /* NaN too */
        return ldr_err_set(err, LDR_EINVAL, "test score %g is outside 0..100",
                           score);
    return 0;
}

int ldr_model_check_grade(const struct ldr_model *m, const char *grade,
                          struct ldr_err *err)
{
    struct list known = {.n = 0};

    if (ldr_model_grade_index(m, grade) >= 0)
        return 0;
    for (size_t i = 0; i < m->ngrades; i++)
        list_add(&known, m->grades[i].id);
    return ldr_err_set(err, LDR_EINVAL,
                       "grade " QFMT " is not defined; grades: %s",
                       QARG(grade ? grade : ""), list_end(&known));
}
