#ifndef LADDER_SCORE_H
#define LADDER_SCORE_H

#include <stdbool.h>
#include <stddef.h>

#include "ladder/hlc.h"
#include "ladder/model.h"

struct ldr_err;

/*
 * Scoring, gap analysis and certification (docs/model-format.md, "How
 * scores are computed"): pure functions of a model version and a person's
 * submitted evidence, so the agent offline and the hub agree.
 */

/* One behaviour rating from one submitted assessment. */
struct ldr_rating {
    const char *competency;
    const char *assessor;
    int level;
    struct ldr_hlc at; /* when it was given: the latest per assessor counts */
};

/* One question-bank answer. */
struct ldr_answer {
    const char *question;
    const char *choice;
};

/* A test score for a competency given directly, 0..100; it replaces the
 * question-bank score of that competency. */
struct ldr_test {
    const char *competency;
    double score;
};

struct ldr_evidence {
    const struct ldr_rating *ratings;
    size_t nratings;
    const struct ldr_answer *answers;
    size_t nanswers;
    const struct ldr_test *tests;
    size_t ntests;
    bool has_performance;
    double performance; /* 0..100 */
};

/* What the evidence says of one competency. */
struct ldr_competency_score {
    const struct ldr_competency *competency;
    size_t assessors;  /* how many assessors rated it; 0: not rated */
    double mean_level; /* mean of each assessor's latest rating */
    int level;         /* mean_level rounded half up; 0 if not rated */
    bool tested;
    double test; /* 0..100 */
};

struct ldr_score {
    struct ldr_competency_score *per; /* [ncompetencies], model order */
    size_t count;
    bool has_rating, has_test, has_ability, has_overall;
    double rating;        /* 0..100 */
    double test;          /* 0..100 */
    double ability;       /* 0..100 */
    double overall;       /* 0..100; needs ability and performance */
    bool has_performance; /* copied from the evidence for certification */
    double performance;   /* 0..100 */
};

/*
 * Computes the score. Evidence naming a competency, question or choice the
 * model lacks, a level off the scale, a test or performance score outside
 * 0..100 is LDR_EINVAL with a message naming it, and nothing is scored.
 * Of two answers to one question, or two direct tests of one competency,
 * the later in the evidence counts. `evidence` NULL: no evidence.
 * `*out` is always initialised; release with ldr_score_release().
 */
int ldr_score_compute(struct ldr_score *out, const struct ldr_model *model,
                      const struct ldr_evidence *evidence, struct ldr_err *err);
void ldr_score_release(struct ldr_score *score);

/* One competency against a grade's required level. */
struct ldr_gap {
    const struct ldr_competency *competency;
    int required;
    int current;     /* 0 if not rated */
    int gap;         /* required - current, 0 if met */
    double weighted; /* gap * weight: the order of the list */
    const struct ldr_activity **activities; /* current+1 .. required */
    size_t nactivities;
};

struct ldr_gaps {
    struct ldr_gap *items; /* every competency; gaps first, largest first */
    size_t count;
    size_t open; /* how many have gap > 0 */
};

/* Gap analysis and learning map for `grade`. Unknown grade, or a score
 * computed on another model: LDR_EINVAL. Release with ldr_gaps_release(). */
int ldr_gaps_compute(struct ldr_gaps *out, const struct ldr_model *model,
                     const struct ldr_score *score, const char *grade,
                     struct ldr_err *err);
void ldr_gaps_release(struct ldr_gaps *gaps);

/* Certification for `grade`: eligible or not, and every reason why not. */
struct ldr_certification {
    bool eligible;
    char **reasons; /* owned; e.g. "core competency 'x' at level 2, needs 3" */
    size_t nreasons;
    int validity_months;
};

/* Checks every condition of the grade's rule and collects a sentence for
 * each that fails, e.g. "overall 58.3 is below 65". Unknown grade, a grade
 * without a rule, or a score computed on another model: LDR_EINVAL.
 * Release with ldr_certification_release(). */
int ldr_certify(struct ldr_certification *out, const struct ldr_model *model,
                const struct ldr_score *score, const char *grade,
                struct ldr_err *err);
void ldr_certification_release(struct ldr_certification *c);

#endif
