#include "ladder/domain.h"

#include <nettle/sha1.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/err.h"
#include "ladder/jsonptr.h"
#include "ladder/record.h"
#include "ladder/utf8.h"

/* Values are quoted in messages up to this many bytes. */
#define QUOTE_MAX 64
#define QFMT "'%.*s%s'"
#define QARG(s) clip(s), (s), more(s)

/* Room for a value as messages show it, and for a JSON Pointer. */
#define SHOW_MAX 96
#define PTR_MAX 200

#define NAME_MAX_BYTES 200  /* a person's or a pilot's name */
#define TEXT_MAX_BYTES 4000 /* a note, the evidence of a rating */
#define FILE_MAX_BYTES 255  /* the name of an imported file */
#define AUTHOR_MAX_BYTES 128
#define SLUG_MAX 64
#define ID_MAX 64

static int clip(const char *s)
{
    return (int)ldr_utf8_cut(s, strlen(s), QUOTE_MAX);
}

static const char *more(const char *s)
{
    return s[clip(s)] ? "..." : "";
}

/* ---- what a check carries ------------------------------------------------ */

struct kind;

/*
 * Where a value is: a chain of member names up to the record's root. The
 * JSON Pointer text is built only for a message (at_text), so a check
 * that passes formats nothing.
 */
struct at {
    const struct at *up; /* NULL for a member of the record itself */
    const char *key;
};

/* Everything one ldr_domain_check() call needs, passed down as one. */
struct check {
    const struct ldr_domain_env *env;
    const struct kind *kind;
    const json_t *before; /* NULL for a new record */
    const json_t *after;
    const struct ldr_model *model; /* the pinned version, once found */
    const char *version;
    struct ldr_err *err;
};

typedef int (*check_fn)(struct check *c, const struct at *at, const json_t *v);

enum {
    REQUIRED = 1, /* present once the record exists */
    FIXED = 2,    /* never changes once set */
    MODEL = 4,    /* checked against the pinned model version */
};

struct field {
    const char *name;
    check_fn check;
    unsigned flags;
};

struct kind {
    const char *name;
    const char *a; /* the name with its article: "an assessment" */
    const struct field *fields;
    size_t nfields;
    int (*locked)(struct check *c); /* before anything else; may be NULL */
    int (*rules)(struct check *c);  /* across fields; may be NULL */
};

/* ---- messages ------------------------------------------------------------ */

/* A value as messages quote it: text in quotes and cut, containers named. */
static const char *show(char buf[SHOW_MAX], const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        snprintf(buf, SHOW_MAX, QFMT, QARG(json_string_value(v)));
        return buf;
    case JSON_INTEGER:
        snprintf(buf, SHOW_MAX, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    case JSON_REAL:
        snprintf(buf, SHOW_MAX, "%g", json_real_value(v));
        return buf;
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    default:
        return "null";
    }
}

/* `base` + "/" + `key` escaped; cut (for messages only) when too long. */
static void ptr_join(char out[PTR_MAX], const char *base, const char *key)
{
    size_t n = (size_t)snprintf(out, PTR_MAX, "%s/", base);

    if (n >= PTR_MAX) {
        ldr_utf8_trim(out);
        return;
    }
    if (ldr_jsonptr_escape(out + n, PTR_MAX - n, key) >= PTR_MAX - n)
        ldr_utf8_trim(out);
}

/* The JSON Pointer of `at`, joined from the root as the message shows it. */
static const char *at_text(char out[PTR_MAX], const struct at *at)
{
    char base[PTR_MAX];

    if (!at) {
        out[0] = '\0';
        return out;
    }
    ptr_join(out, at_text(base, at->up), at->key);
    return out;
}

/* "<ptr>: expected <what>, got <value>": the shape of most refusals. */
static int expected(struct check *c, const struct at *at, const char *what,
                    const json_t *v)
{
    char buf[SHOW_MAX], ptr[PTR_MAX];

    return ldr_err_set(c->err, LDR_EINVAL, "%s: expected %s, got %s",
                       at_text(ptr, at), what, show(buf, v));
}

/* Appends to the message already in err, cut on a character. */
static void err_append(struct ldr_err *err, const char *text)
{
    size_t n;

    if (!err)
        return;
    n = strlen(err->msg);
    if ((size_t)snprintf(err->msg + n, sizeof err->msg - n, "%s", text) >=
        sizeof err->msg - n)
        ldr_utf8_trim(err->msg);
}

/* A refusal from the model's own checks, placed at `at` and told which
 * version said so (a competency may exist only in a newer one). */
static int model_refused(struct check *c, const struct at *at)
{
    char tail[64], ptr[PTR_MAX];

    ldr_err_prefix(c->err, "%s: ", at_text(ptr, at));
    snprintf(tail, sizeof tail, "; pinned version %.7s", c->version);
    err_append(c->err, tail);
    return LDR_EINVAL;
}

/* "a, b and c": the names of the fields of a kind with all of `flags`,
 * the last joined with `last` (" and ", " or "). */
static const char *field_list(char *buf, size_t cap, const struct kind *k,
                              unsigned flags, const char *last)
{
    size_t n = 0, count = 0, total = 0;

    for (size_t i = 0; i < k->nfields; i++)
        total += (k->fields[i].flags & flags) == flags;
    buf[0] = '\0';
    for (size_t i = 0; i < k->nfields && n < cap; i++) {
        if ((k->fields[i].flags & flags) != flags)
            continue;
        count++;
        n += (size_t)snprintf(buf + n, cap - n, "%s%s",
                              count == 1       ? ""
                              : count == total ? last
                                               : ", ",
                              k->fields[i].name);
    }
    return buf;
}

/* ---- plain values -------------------------------------------------------- */

/* The text of a string without NUL bytes (they would cut it short in C),
 * else NULL. */
static const char *text_of(const json_t *v)
{
    const char *s = json_string_value(v);

    return s && strlen(s) == json_string_length(v) ? s : NULL;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* Text of `min`..`max` bytes; one line unless `lines`. */
static int text_rule(struct check *c, const struct at *at, const json_t *v,
                     size_t min, size_t max, bool lines)
{
    const char *s = text_of(v);
    size_t n = s ? strlen(s) : 0;
    bool bad = !s || (!lines && has_control(s)) || n < min;
    char what[96], ptr[PTR_MAX];

    if (!bad && n <= max)
        return 0;
    snprintf(what, sizeof what, "%s%s of at most %zu bytes",
             min ? "non-empty " : "", lines ? "text" : "one line of text", max);
    if (bad)
        return expected(c, at, what, v);
    /* the text itself would be cut: say how long it is */
    return ldr_err_set(c->err, LDR_EINVAL, "%s: expected %s, got %zu bytes",
                       at_text(ptr, at), what, n);
}

static int check_name(struct check *c, const struct at *at, const json_t *v)
{
    return text_rule(c, at, v, 1, NAME_MAX_BYTES, false);
}

static int check_text(struct check *c, const struct at *at, const json_t *v)
{
    return text_rule(c, at, v, 1, TEXT_MAX_BYTES, true);
}

static int check_evidence(struct check *c, const struct at *at, const json_t *v)
{
    return text_rule(c, at, v, 0, TEXT_MAX_BYTES, true);
}

static int check_file(struct check *c, const struct at *at, const json_t *v)
{
    return text_rule(c, at, v, 1, FILE_MAX_BYTES, false);
}

/* A user id, as the change format has authors. */
static int check_author(struct check *c, const struct at *at, const json_t *v)
{
    const char *s = text_of(v);

    if (!s || !*s || strlen(s) > AUTHOR_MAX_BYTES || has_control(s))
        return expected(c, at,
                        "a user id of 1 to 128 bytes without control "
                        "characters",
                        v);
    return 0;
}

static int check_id(struct check *c, const struct at *at, const json_t *v)
{
    if (!ldr_domain_id_valid(text_of(v)))
        return expected(c, at, "an id of 1 to 64 characters A-Z a-z 0-9 . _ -",
                        v);
    return 0;
}

/* A model-format slug: [a-z][a-z0-9-]{0,63}. */
static int check_slug(struct check *c, const struct at *at, const json_t *v)
{
    const char *s = text_of(v);
    size_t n = s ? strlen(s) : 0;
    bool ok = n >= 1 && n <= SLUG_MAX && s[0] >= 'a' && s[0] <= 'z';

    for (size_t i = 1; ok && i < n; i++)
        ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
             s[i] == '-';
    if (!ok)
        return expected(c, at,
                        "an id of a lowercase letter, then up to 63 "
                        "lowercase letters, digits or '-'",
                        v);
    return 0;
}

static int check_version(struct check *c, const struct at *at, const json_t *v)
{
    const char *s = text_of(v);

    if (!s || strlen(s) != 40 || strspn(s, "0123456789abcdef") != 40)
        return expected(c, at,
                        "a model version (git blob id, 40 lowercase hex "
                        "digits)",
                        v);
    return 0;
}

static int check_uuid(struct check *c, const struct at *at, const json_t *v)
{
    if (!ldr_uuid_valid(text_of(v)))
        return expected(c, at, "a record id (lowercase UUID)", v);
    return 0;
}

static int check_bool(struct check *c, const struct at *at, const json_t *v)
{
    return json_is_boolean(v) ? 0 : expected(c, at, "true or false", v);
}

static int check_count(struct check *c, const struct at *at, const json_t *v)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return expected(c, at, "a whole number of 0 or more", v);
    return 0;
}

/* A test result or a performance score. */
static int check_score(struct check *c, const struct at *at, const json_t *v)
{
    double x = json_number_value(v);

    if (!json_is_number(v) || !(x >= 0 && x <= 100))
        return expected(c, at, "a number 0..100", v);
    return 0;
}

static int one_of(struct check *c, const struct at *at, const json_t *v,
                  const char *const *names, size_t n, const char *what)
{
    const char *s = text_of(v);

    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return 0;
    return expected(c, at, what, v);
}

static const char *const states[] = {"draft", "submitted", "withdrawn"};
static const char *const assessment_kinds[] = {"manager", "self", "peer",
                                               "pilot"};

static int check_state(struct check *c, const struct at *at, const json_t *v)
{
    return one_of(c, at, v, states, 3, "'draft', 'submitted' or 'withdrawn'");
}

static int check_assessment_kind(struct check *c, const struct at *at,
                                 const json_t *v)
{
    return one_of(c, at, v, assessment_kinds, 4,
                  "'manager', 'self', 'peer' or 'pilot'");
}

/* ---- dates and times ----------------------------------------------------- */

/* True if `s` has digits where `pattern` has 'd' and the same byte
 * elsewhere, and is as long. */
static bool shaped(const char *s, const char *pattern)
{
    for (; *pattern; s++, pattern++) {
        if (*pattern == 'd' ? !(*s >= '0' && *s <= '9') : *s != *pattern)
            return false;
    }
    return *s == '\0';
}

static int digits(const char *s, int n)
{
    int x = 0;

    while (n-- > 0)
        x = x * 10 + (*s++ - '0');
    return x;
}

/* YYYY-MM-DD at the start of `s` names a day of the calendar. */
static bool real_date(const char *s)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    if (m < 1 || m > 12 || d < 1)
        return false;
    return d <= days[m - 1] + (m == 2 && leap);
}

static int check_date(struct check *c, const struct at *at, const json_t *v)
{
    const char *s = text_of(v);

    if (!s || !shaped(s, "dddd-dd-dd") || !real_date(s))
        return expected(c, at, "a date YYYY-MM-DD of the calendar", v);
    return 0;
}

/* RFC 3339 in UTC with milliseconds, the one form Ladder writes, so times
 * compare as text. */
static int check_time(struct check *c, const struct at *at, const json_t *v)
{
    const char *s = text_of(v);

    if (!s || !shaped(s, "dddd-dd-ddTdd:dd:dd.dddZ") || !real_date(s) ||
        digits(s + 11, 2) > 23 || digits(s + 14, 2) > 59 ||
        digits(s + 17, 2) > 59)
        return expected(c, at, "a UTC time like 2026-11-26T09:12:00.000Z", v);
    return 0;
}

/* ---- values checked against the pinned model version --------------------- */

static int check_grade(struct check *c, const struct at *at, const json_t *v)
{
    const char *s = text_of(v);

    if (!s)
        return expected(c, at, "a grade id", v);
    if (ldr_model_check_grade(c->model, s, c->err))
        return model_refused(c, at);
    return 0;
}

static int check_level(struct check *c, const struct at *at, const char *comp,
                       const json_t *v)
{
    json_int_t level = json_integer_value(v);
    char ptr[PTR_MAX];

    if (!json_is_integer(v))
        return expected(c, at, "a whole number level", v);
    if (level < INT_MIN || level > INT_MAX) /* past what the model takes */
        return ldr_err_set(c->err, LDR_EINVAL,
                           "%s: level %" JSON_INTEGER_FORMAT
                           " is not on the scale 1..%zu of model %s",
                           at_text(ptr, at), level, c->model->nlevels,
                           c->model->id);
    if (ldr_model_check_rating(c->model, comp, (int)level, c->err))
        return model_refused(c, at);
    return 0;
}

/* One member of `ratings`: {"level": n, "evidence": "..."}, both optional. */
static int check_rating(struct check *c, const struct at *at, const char *comp,
                        const json_t *v)
{
    char ptr[PTR_MAX];
    const char *key;
    json_t *member;
    int rc = 0;

    if (!json_is_object(v))
        return expected(c, at, "an object with 'level' and 'evidence'", v);
    json_object_foreach((json_t *)v, key, member)
    {
        struct at sub = {at, key};

        if (strcmp(key, "level") == 0)
            rc = check_level(c, &sub, comp, member);
        else if (strcmp(key, "evidence") == 0)
            rc = check_evidence(c, &sub, member);
        else
            rc = ldr_err_set(c->err, LDR_EINVAL,
                             "%s: unknown field of a rating; expected level "
                             "or evidence",
                             at_text(ptr, &sub));
        if (rc)
            return rc;
    }
    return 0;
}

static int check_ratings(struct check *c, const struct at *at, const json_t *v)
{
    const char *comp;
    json_t *rating;
    int rc;

    if (!json_is_object(v))
        return expected(c, at, "an object keyed by competency id", v);
    json_object_foreach((json_t *)v, comp, rating)
    {
        struct at sub = {at, comp};

        /* level 1 is on every scale: this only asks about the competency */
        if (ldr_model_check_rating(c->model, comp, 1, c->err))
            return model_refused(c, &sub);
        if ((rc = check_rating(c, &sub, comp, rating)))
            return rc;
    }
    return 0;
}

static int check_answers(struct check *c, const struct at *at, const json_t *v)
{
    const char *question;
    json_t *choice;

    if (!json_is_object(v))
        return expected(c, at, "an object keyed by question id", v);
    json_object_foreach((json_t *)v, question, choice)
    {
        struct at sub = {at, question};

        if (!text_of(choice))
            return expected(c, &sub, "a choice id", choice);
        if (ldr_model_check_answer(c->model, question, text_of(choice), c->err))
            return model_refused(c, &sub);
    }
    return 0;
}

static int check_tests(struct check *c, const struct at *at, const json_t *v)
{
    const char *comp;
    json_t *score;

    if (!json_is_object(v))
        return expected(c, at, "an object keyed by competency id", v);
    json_object_foreach((json_t *)v, comp, score)
    {
        struct at sub = {at, comp};

        if (!json_is_number(score))
            return expected(c, &sub, "a test score 0..100", score);
        if (ldr_model_check_test(c->model, comp, json_number_value(score),
                                 c->err))
            return model_refused(c, &sub);
    }
    return 0;
}

/* ---- rules across fields ------------------------------------------------- */

/* Finds the pinned model version; the values that depend on it wait. */
static int find_model(struct check *c)
{
    const char *id = json_string_value(json_object_get(c->after, "model"));
    const char *version =
        json_string_value(json_object_get(c->after, "version"));

    if (c->env && c->env->model)
        c->model = c->env->model(c->env->ctx, id, version);
    c->version = version;
    if (!c->model)
        return ldr_err_set(c->err, LDR_ENOTFOUND,
                           "/version: model %s@%s is not on this device; "
                           "import it with 'ladder model import' or pull it "
                           "from the hub with 'ladder sync'",
                           id, version);
    return 0;
}

/* The subject must be on the roster when it is set; once set it never
 * changes, so an old record of someone who left stays editable. */
static int subject_on_roster(struct check *c)
{
    const json_t *v = json_object_get(c->after, "subject");
    const char *subject = json_string_value(v);
    char buf[SHOW_MAX];

    if (json_object_get(c->before, "subject"))
        return 0;
    if (c->env && c->env->person && c->env->person(c->env->ctx, subject))
        return 0;
    return ldr_err_set(c->err, LDR_EINVAL,
                       "/subject: %s is not on the roster; add the person "
                       "first ('ladder person add')",
                       show(buf, v));
}

/* `pilot` links the assessments a pilot import made to it, and only those. */
static int pilot_link(struct check *c)
{
    const char *kind = json_string_value(json_object_get(c->after, "kind"));
    const json_t *pilot = json_object_get(c->after, "pilot");
    char buf[SHOW_MAX];

    if (strcmp(kind, "pilot") == 0 && !pilot)
        return ldr_err_set(c->err, LDR_EINVAL,
                           "/pilot: missing; an assessment of kind 'pilot' "
                           "names the pilot record it came from");
    if (strcmp(kind, "pilot") != 0 && pilot)
        return ldr_err_set(c->err, LDR_EINVAL,
                           "/pilot: %s given, but only an assessment of kind "
                           "'pilot' comes from a pilot; this one is '%s'",
                           show(buf, pilot), kind);
    return 0;
}

static const char *state_of(const json_t *v)
{
    return json_string_value(json_object_get(v, "state"));
}

static bool is(const char *s, const char *name)
{
    return s && strcmp(s, name) == 0;
}

/* Only HR withdraws, and only an assessment that exists. */
static int withdrawal(struct check *c)
{
    const char *was = state_of(c->before);

    if (!is(state_of(c->after), "withdrawn") || is(was, "withdrawn"))
        return 0;
    if (!was)
        return ldr_err_set(c->err, LDR_EINVAL,
                           "/state: a new assessment starts as 'draft' or "
                           "'submitted', not 'withdrawn'");
    if (!c->env || !c->env->may_reopen)
        return ldr_err_set(c->err, LDR_EINVAL,
                           "/state: only HR withdraws an assessment, at the "
                           "hub");
    return 0;
}

static int assessment_rules(struct check *c)
{
    const char *state = json_string_value(json_object_get(c->after, "state"));
    int rc = pilot_link(c);

    if (rc == 0 && strcmp(state, "submitted") == 0 &&
        !json_object_get(c->after, "submitted"))
        rc = ldr_err_set(c->err, LDR_EINVAL,
                         "/submitted: missing; a submitted assessment says "
                         "when it was submitted");
    if (rc == 0)
        rc = withdrawal(c);
    if (rc == 0)
        rc = subject_on_roster(c);
    if (rc == 0)
        rc = find_model(c);
    return rc;
}

static int note_rules(struct check *c)
{
    return subject_on_roster(c);
}

static int pilot_rules(struct check *c)
{
    return find_model(c);
}

/*
 * The first place where `a` and `b` differ, as a pointer below `ptr`, and
 * the values there (NULL where absent). False if they are equal.
 */
static bool first_difference(char ptr[PTR_MAX], const json_t *a,
                             const json_t *b, const json_t **va,
                             const json_t **vb)
{
    const char *key;
    json_t *x;
    char base[PTR_MAX];

    if (json_equal((json_t *)a, (json_t *)b))
        return false;
    *va = a;
    *vb = b;
    if (!json_is_object(a) || !json_is_object(b))
        return true;
    memcpy(base, ptr, PTR_MAX);
    json_object_foreach((json_t *)a, key, x)
    {
        ptr_join(ptr, base, key);
        if (first_difference(ptr, x, json_object_get(b, key), va, vb))
            return true;
    }
    json_object_foreach((json_t *)b, key, x)
    {
        ptr_join(ptr, base, key);
        if (!json_object_get(a, key) && first_difference(ptr, NULL, x, va, vb))
            return true;
    }
    memcpy(ptr, base, PTR_MAX); /* not reached: unequal objects differ in
                                   some member */
    return true;
}

/* A shallow copy of `v` without the members in `drop` (NULL-ended). */
static json_t *without(const json_t *v, const char *const *drop)
{
    json_t *copy = json_copy((json_t *)v);

    for (size_t i = 0; copy && drop && drop[i]; i++)
        json_object_del(copy, drop[i]);
    return copy;
}

/*
 * Refuses any difference between before and after outside the members in
 * `allowed`: the record is `what` ("submitted", "withdrawn") and locked.
 */
static int locked_edit(struct check *c, const char *what,
                       const char *const *allowed)
{
    const char *when =
        is(what, "submitted")
            ? json_string_value(json_object_get(c->before, "submitted"))
            : NULL;
    const char *hint = is(what, "withdrawn") ? ""
                       : c->env && c->env->may_reopen
                           ? "; reopen it first, in a change of /state and "
                             "/submitted only"
                           : "; HR can reopen it at the hub";
    json_t *a = without(c->before, allowed), *b = without(c->after, allowed);
    const json_t *was = NULL, *now = NULL;
    char ptr[PTR_MAX] = "", x[SHOW_MAX], y[SHOW_MAX];
    int rc = 0;

    if (!a || !b)
        rc = ldr_err_set(c->err, LDR_ENOMEM, "out of memory");
    else if (first_difference(ptr, a, b, &was, &now))
        rc = ldr_err_set(
            c->err, LDR_EINVAL,
            "%s: assessment was %s%s%s: it can no longer be edited (was %s, "
            "now %s)%s",
            ptr, what, when ? " on " : "", when ? when : "",
            was ? show(x, was) : "absent", now ? show(y, now) : "absent", hint);
    json_decref(a);
    json_decref(b);
    return rc;
}

/*
 * A submitted or withdrawn assessment takes no change. Only with
 * may_reopen (HR at the hub) may a submitted one go back to draft (its
 * /submitted removed, nothing else changed) or be withdrawn (only /state
 * changed); a withdrawn one is final.
 */
static int assessment_locked(struct check *c)
{
    static const char *const reopen[] = {"state", "submitted", NULL};
    static const char *const withdraw[] = {"state", NULL};
    const char *was = state_of(c->before), *now = state_of(c->after);
    bool may = c->env && c->env->may_reopen;

    if (is(was, "withdrawn"))
        return locked_edit(c, "withdrawn", NULL);
    if (!is(was, "submitted"))
        return 0;
    if (may && is(now, "draft") && json_object_get(c->after, "submitted"))
        return ldr_err_set(c->err, LDR_EINVAL,
                           "/submitted: reopening an assessment removes its "
                           "submission time; unset /submitted with /state");
    if (may && is(now, "draft"))
        return locked_edit(c, "submitted", reopen);
    if (may && is(now, "withdrawn"))
        return locked_edit(c, "submitted", withdraw);
    return locked_edit(c, "submitted", NULL);
}

/* Whether the checks compare the whole values before and after: only
 * for a locked assessment (assessment_locked, locked_edit). */
static bool compares_whole(const char *kind, const json_t *head)
{
    const char *state = state_of(head);

    return is(kind, "assessment") &&
           (is(state, "submitted") || is(state, "withdrawn"));
}

json_t *ldr_domain_before(const char *kind, const struct ldr_record *rec)
{
    json_t *head = ldr_record_head(rec);

    if (!head || !compares_whole(kind, head))
        return head;
    json_decref(head);
    return ldr_record_value(rec);
}

/* ---- the kinds ----------------------------------------------------------- */

static const struct field person_fields[] = {
    {"id", check_id, REQUIRED | FIXED},
    {"name", check_name, REQUIRED},
    {"unit", check_id, REQUIRED},
    {"grade", check_slug, REQUIRED},
};

static const struct field assessment_fields[] = {
    {"subject", check_id, REQUIRED | FIXED},
    {"model", check_slug, REQUIRED | FIXED},
    {"version", check_version, REQUIRED | FIXED},
    {"grade", check_grade, REQUIRED | MODEL},
    {"kind", check_assessment_kind, REQUIRED | FIXED},
    {"assessor", check_author, REQUIRED | FIXED},
    {"state", check_state, REQUIRED},
    {"created", check_time, REQUIRED | FIXED},
    {"submitted", check_time, 0},
    {"pilot", check_uuid, FIXED},
    {"ratings", check_ratings, MODEL},
    {"answers", check_answers, MODEL},
    {"tests", check_tests, MODEL},
    {"performance", check_score, 0},
};

/* The author and subject stay: a private note is seen by its author. */
static const struct field note_fields[] = {
    {"subject", check_id, REQUIRED | FIXED},
    {"author", check_author, REQUIRED | FIXED},
    {"text", check_text, REQUIRED},
    {"competency", check_slug, 0},
    {"due", check_date, 0},
    {"private", check_bool, REQUIRED},
    {"created", check_time, REQUIRED | FIXED},
    {"done", check_time, 0},
};

static const struct field pilot_fields[] = {
    {"name", check_name, REQUIRED},
    {"model", check_slug, REQUIRED | FIXED},
    {"version", check_version, REQUIRED | FIXED},
    {"file", check_file, REQUIRED},
    {"rows", check_count, REQUIRED},
    {"by", check_author, REQUIRED | FIXED},
    {"imported", check_time, REQUIRED | FIXED},
};

#define FIELDS(a) a, sizeof(a) / sizeof((a)[0])

static const struct kind kinds[] = {
    {"person", "a person", FIELDS(person_fields), NULL, NULL},
    {"assessment", "an assessment", FIELDS(assessment_fields),
     assessment_locked, assessment_rules},
    {"note", "a note", FIELDS(note_fields), NULL, note_rules},
    {"pilot", "a pilot", FIELDS(pilot_fields), NULL, pilot_rules},
};

static const struct kind *find_kind(const char *name)
{
    for (size_t i = 0; name && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}

bool ldr_domain_kind_known(const char *kind)
{
    return find_kind(kind) != NULL;
}

/* ---- the check ----------------------------------------------------------- */

static const struct field *find_field(const struct kind *k, const char *name)
{
    for (size_t i = 0; i < k->nfields; i++)
        if (strcmp(k->fields[i].name, name) == 0)
            return &k->fields[i];
    return NULL;
}

/* Every member of `after` is a field of the kind; with `model` false the
 * plain ones are checked, with it true those that need the model. */
static int check_fields(struct check *c, bool model)
{
    char ptr[PTR_MAX], names[256];
    const struct field *f;
    const char *key;
    json_t *v;
    int rc;

    json_object_foreach((json_t *)c->after, key, v)
    {
        struct at at = {NULL, key};

        if (!(f = find_field(c->kind, key)))
            return ldr_err_set(
                c->err, LDR_EINVAL, "%s: unknown field of %s; expected %s",
                at_text(ptr, &at), c->kind->a,
                field_list(names, sizeof names, c->kind, 0, " or "));
        if (!(f->flags & MODEL) == !model && (rc = f->check(c, &at, v)))
            return rc;
    }
    return 0;
}

static int check_required(struct check *c)
{
    char names[256];

    for (size_t i = 0; i < c->kind->nfields; i++) {
        const struct field *f = &c->kind->fields[i];

        if ((f->flags & REQUIRED) && !json_object_get(c->after, f->name))
            return ldr_err_set(
                c->err, LDR_EINVAL, "/%s: missing; %s needs %s", f->name,
                c->kind->a,
                field_list(names, sizeof names, c->kind, REQUIRED, " and "));
    }
    return 0;
}

static int check_fixed(struct check *c)
{
    char a[SHOW_MAX], b[SHOW_MAX];

    for (size_t i = 0; i < c->kind->nfields; i++) {
        const struct field *f = &c->kind->fields[i];
        const json_t *was = json_object_get(c->before, f->name);
        const json_t *now = json_object_get(c->after, f->name);

        if (!(f->flags & FIXED) || !was ||
            json_equal((json_t *)was, (json_t *)now))
            continue;
        return ldr_err_set(
            c->err, LDR_EINVAL, "/%s: cannot change once set: was %s, now %s",
            f->name, show(a, was), now ? show(b, now) : "absent");
    }
    return 0;
}

int ldr_domain_check(const struct ldr_domain_env *env, const char *kind,
                     const json_t *before, const json_t *after,
                     struct ldr_err *err)
{
    struct check c = {.env = env, .before = before, .after = after, .err = err};
    char buf[SHOW_MAX];
    int rc = 0;

    if (!(c.kind = find_kind(kind)))
        return ldr_err_set(err, LDR_EINVAL,
                           "unknown record kind " QFMT
                           "; expected person, assessment, note or pilot",
                           QARG(kind ? kind : ""));
    if (before && !json_is_object(before))
        return ldr_err_set(err, LDR_EINVAL,
                           "the %s before the change is %s, not an object",
                           kind, show(buf, before));
    if (!json_is_object(after))
        return ldr_err_set(err, LDR_EINVAL, "expected %s as an object, got %s",
                           c.kind->a, after ? show(buf, after) : "nothing");
    if (c.kind->locked)
        rc = c.kind->locked(&c);
    if (rc == 0)
        rc = check_fields(&c, false);
    if (rc == 0)
        rc = check_required(&c);
    if (rc == 0)
        rc = check_fixed(&c);
    if (rc == 0 && c.kind->rules)
        rc = c.kind->rules(&c);
    if (rc == 0)
        rc = check_fields(&c, true);
    return rc;
}

/* ---- ids ----------------------------------------------------------------- */

bool ldr_domain_id_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n < 1 || n > ID_MAX)
        return false;
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789._-") == n;
}

#define PERSON_NAME "ladder-person/1\n"

void ldr_domain_person_record(char out[LDR_UUID_LEN + 1], const char *person)
{
    char local[sizeof PERSON_NAME + ID_MAX];
    size_t n = strlen(PERSON_NAME) + strlen(person);
    char *name = n < sizeof local ? local : malloc(n + 1);

    if (!name) { /* no id to give: the nil UUID matches no record */
        snprintf(out, LDR_UUID_LEN + 1, "%s",
                 "00000000-0000-0000-0000-000000000000");
        return;
    }
    snprintf(name, n + 1, "%s%s", PERSON_NAME, person);
    ldr_uuid_v8_name(out, name, n);
    if (name != local)
        free(name);
}

/*
 * git's blob id: SHA-1 of "blob <len>", a NUL, then the text. Nettle's
 * SHA-1 rather than GnuTLS's: linking GnuTLS would add its start-up work
 * to every `ladder` command.
 */
void ldr_model_version(char out[41], const char *text, size_t len)
{
    uint8_t sha[SHA1_DIGEST_SIZE];
    char head[32];
    int n = snprintf(head, sizeof head, "blob %zu", len);
    struct sha1_ctx h;

    sha1_init(&h);
    sha1_update(&h, (size_t)n + 1, (const uint8_t *)head); /* with the NUL */
    sha1_update(&h, len, (const uint8_t *)text);
    sha1_digest(&h, sizeof sha, sha);
    for (size_t i = 0; i < sizeof sha; i++)
        snprintf(out + 2 * i, 3, "%02x", sha[i]);
}
