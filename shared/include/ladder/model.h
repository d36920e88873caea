#ifndef LADDER_MODEL_H
#define LADDER_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct ldr_err;

/*
 * A competency model (docs/model-format.md): the proficiency scale, the
 * grades of the job model, competencies with behaviour descriptions,
 * required levels and learning activities, a question bank, the
 * evaluation rule and a certification rule per grade.
 *
 * All strings are borrowed from `doc`, the parsed document the model owns;
 * arrays are owned by the model. Release with ldr_model_free().
 */

#define LDR_MODEL_FORMAT "ladder-model/1"
#define LDR_MODEL_MAX_BYTES (4u << 20) /* a bigger model file is refused */

struct ldr_level {
    int level; /* 1 .. nlevels, in order */
    const char *label;
    const char *description;
};

struct ldr_grade {
    const char *id; /* plain slug, e.g. "am1" */
    const char *title;
    const char *description;
};

struct ldr_category {
    const char *id;
    const char *title;
};

struct ldr_activity {
    const char *id;
    const char *kind; /* course, practice, coaching, reading, project */
    const char *title;
    double hours; /* 0 when not given */
};

/* Activities that take a person to one level of one competency. */
struct ldr_learning {
    const struct ldr_activity *items;
    size_t count;
};

struct ldr_competency {
    const char *id;
    const char *title;
    const char *description;
    const char *category; /* id of a category */
    double weight;        /* all weights sum to 1 */
    bool core;
    const char **behaviours;       /* [nlevels]: level k at index k - 1 */
    int *required;                 /* [ngrades]: in grade order */
    struct ldr_learning *learning; /* [nlevels]: to reach level k */
};

struct ldr_choice {
    const char *id; /* "a", "b", ... */
    const char *text;
};

struct ldr_question {
    const char *id;
    const char *competency;
    const char *stem;
    const struct ldr_choice *choices;
    size_t nchoices;
    const char *answer; /* id of the right choice */
    double points;      /* > 0 */
};

/* How scores combine: each pair sums to 1. */
struct ldr_eval_rule {
    double ratings;     /* share of behaviour ratings in ability */
    double tests;       /* share of question-bank tests in ability */
    double ability;     /* share of ability in the overall score */
    double performance; /* share of performance in the overall score */
};

struct ldr_cert_rule {
    const char *grade;
    double min_overall;     /* 0 .. 100 */
    double min_ability;     /* 0 .. 100 */
    double min_performance; /* 0 .. 100 */
    size_t max_gaps; /* competencies allowed below required, core excluded */
    const char **must_meet; /* core competencies never below required */
    size_t nmust_meet;
    int validity_months;
};

struct ldr_model {
    json_t *doc; /* owns every string */
    const char *id;
    const char *title;
    const char *language;
    const char *description;
    struct ldr_level *levels;
    size_t nlevels;
    struct ldr_grade *grades; /* lowest first */
    size_t ngrades;
    struct ldr_category *categories;
    size_t ncategories;
    struct ldr_competency *competencies;
    size_t ncompetencies;
    struct ldr_question *questions;
    size_t nquestions;
    struct ldr_eval_rule eval;
    struct ldr_cert_rule *certs; /* one per grade, in grade order */
    size_t ncerts;
};

/* One problem found in a model: where (a JSON Pointer) and what. */
struct ldr_problem {
    char path[256];
    char message[384];
};

/* Every problem found: section by section in canonical member order (the
 * document order of a canonical model). Start from all zeroes. */
struct ldr_problems {
    struct ldr_problem *items;
    size_t count, cap;
};

/* One parse keeps at most this many problems (it counts them all). */
#define LDR_MODEL_MAX_PROBLEMS 1000

/* Frees the items and leaves `p` empty (all zeroes). */
void ldr_problems_release(struct ldr_problems *p);

/*
 * Appends a problem at JSON Pointer `path` ("" is the whole document);
 * path and message are cut on a UTF-8 boundary to fit. For readers of
 * other formats (CASE import) that report as ldr_model_parse does.
 * Returns 0 or LDR_ENOMEM.
 */
int ldr_problems_add(struct ldr_problems *p, const char *path, const char *fmt,
                     ...) __attribute__((format(printf, 3, 4)));

/*
 * Parses and validates a model document of `len` bytes. Every problem is
 * appended to `problems` (may be NULL) with its JSON Pointer, e.g.
 * "/competencies/3/behaviours": "missing the description of level 4"
 * (a JSON syntax error is one problem at "" naming line and column);
 * if there is any, the result is LDR_EINVAL and `err` says how many.
 * A document over LDR_MODEL_MAX_BYTES is refused with LDR_ETOOBIG.
 * On success `*out` is the model, freed with ldr_model_free(); on
 * failure `*out` is NULL.
 */
int ldr_model_parse(struct ldr_model **out, const char *buf, size_t len,
                    struct ldr_problems *problems, struct ldr_err *err);

/* The rule for a model's id and every other slug of a model file:
 * [a-z][a-z0-9-]{0,63}, so no "..", "/" or dots (safe in a file name). */
#define LDR_MODEL_SLUG_MAX 64
bool ldr_model_is_slug(const char *s);

/* The same from a file; a missing or unreadable file is LDR_EIO. */
int ldr_model_load(struct ldr_model **out, const char *path,
                   struct ldr_problems *problems, struct ldr_err *err);

void ldr_model_free(struct ldr_model *model);

/*
 * The canonical text of a model: keys in the documented order, two-space
 * indent, UTF-8 unescaped, a final newline. Equal models give equal bytes,
 * so its git blob id names the version. Numbers with an integral value
 * are written as integers, others with 15 significant digits; an activity
 * with 0 hours has no "hours". malloc'd; NULL on OOM. `len_out` may be NULL.
 */
char *ldr_model_dump(const struct ldr_model *model, size_t *len_out);

/* Lookups; NULL or -1 when absent. */
const struct ldr_competency *ldr_model_competency(const struct ldr_model *m,
                                                  const char *id);
const struct ldr_question *ldr_model_question(const struct ldr_model *m,
                                              const char *id);
int ldr_model_grade_index(const struct ldr_model *m, const char *grade);

/*
 * Checks of one piece of an assessment against this model version: the
 * competency exists and the level is on the scale; the question exists
 * and the choice is one of its choices; a test score is within 0..100;
 * the grade is defined. LDR_EINVAL with a message naming the value and
 * what is allowed.
 */
int ldr_model_check_rating(const struct ldr_model *m, const char *competency,
                           int level, struct ldr_err *err);
int ldr_model_check_answer(const struct ldr_model *m, const char *question,
                           const char *choice, struct ldr_err *err);
int ldr_model_check_test(const struct ldr_model *m, const char *competency,
                         double score, struct ldr_err *err);
int ldr_model_check_grade(const struct ldr_model *m, const char *grade,
                          struct ldr_err *err);

#endif
