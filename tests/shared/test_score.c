#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/err.h"
#include "ladder/model.h"
#include "ladder/score.h"

/*
 * tests/data/model-score.json, which every hand computation below uses:
 *
 *   scale N = 5 levels, so a level L scores L / 5 x 100 = 20 L
 *   competency (model order)  weight  core  required am1  required am2
 *   key-person                0.4     yes   2             3
 *   solution-selling          0.3     no    2             3
 *   negotiation               0.2     no    2             3
 *   reporting                 0.1     no    1             2
 *   questions: q-kp-1 (key-person, answer b, 1 point),
 *              q-kp-2 (key-person, answer a, 2 points),
 *              q-ss-1 (solution-selling, answer c, 1 point),
 *              q-ng-1 (negotiation, answer a, 1 point)
 *   evaluation: ratings 0.6, tests 0.4, ability 0.7, performance 0.3
 *   am1: overall >= 60, ability >= 55, performance >= 60, max_gaps 1,
 *        must_meet key-person, 24 months
 *   am2: overall >= 65, ability >= 70, performance >= 70, max_gaps 0,
 *        must_meet key-person, 12 months
 *   learning: one activity per level, "<kp|ss|ng|rp>-<level>", except
 *   key-person level 3, which has two: kp-3a and kp-3b.
 */

#define KP 0 /* model order of the competencies */
#define SS 1
#define NG 2
#define RP 3
#define EPS 1e-9

static struct ldr_model *model;

static int load_model(void **state)
{
    const char *path = LADDER_TEST_DATA "/model-score.json";
    struct ldr_problems problems = {0};
    struct ldr_err err = {0};
    char *buf;
    long len;
    FILE *f;

    (void)state;
    f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    rewind(f);
    buf = malloc((size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        free(buf);
        return -1;
    }
    fclose(f);
    if (ldr_model_parse(&model, buf, (size_t)len, &problems, &err)) {
        fprintf(stderr, "%s: %s\n", path, err.msg);
        for (size_t i = 0; i < problems.count; i++)
            fprintf(stderr, "  %s: %s\n", problems.items[i].path,
                    problems.items[i].message);
    }
    ldr_problems_release(&problems);
    free(buf);
    return model ? 0 : -1;
}

static int free_model(void **state)
{
    (void)state;
    ldr_model_free(model);
    return 0;
}

static struct ldr_hlc at(uint64_t ms, uint32_t counter)
{
    return (struct ldr_hlc){ms, counter};
}

static void assert_near(double got, double want)
{
    if (fabs(got - want) > 1e-6)
        fail_msg("got %.9f, want %.9f", got, want);
}

/* Scores `ev`, which must be valid. */
static void score(struct ldr_score *out, const struct ldr_evidence *ev)
{
    struct ldr_err err = {0};

    if (ldr_score_compute(out, model, ev, &err))
        fail_msg("scoring failed: %s", err.msg);
}

static void test_score__model_order_and_no_evidence(void **state)
{
    struct ldr_score s;

    (void)state;
    score(&s, NULL);
    assert_int_equal(s.count, 4);
    for (size_t i = 0; i < s.count; i++) {
        assert_ptr_equal(s.per[i].competency, &model->competencies[i]);
        assert_int_equal(s.per[i].assessors, 0);
        assert_int_equal(s.per[i].level, 0);
        assert_false(s.per[i].tested);
    }
    assert_false(s.has_rating);
    assert_false(s.has_test);
    assert_false(s.has_ability);
    assert_false(s.has_overall);
    ldr_score_release(&s);
    ldr_score_release(&s); /* released twice is harmless */
}

static void test_score__latest_rating_per_assessor_counts(void **state)
{
    /*
     * key-person: alice rated 1 at ms 100 and 4 at ms 200; bob rated 3 at
     * ms 300 and 5 at ms 150, the older listed last, so the array order
     * does not decide. Latest: alice 4, bob 3.
     *   mean_level = (4 + 3) / 2 = 3.5, level = 3.5 rounded half up = 4
     *   rating = 0.4 x 3.5 / 5 x 100 / 0.4 = 70 (only key-person rated)
     */
    const struct ldr_rating r[] = {
        {"key-person", "alice", 1, {100, 0}},
        {"key-person", "alice", 4, {200, 0}},
        {"key-person", "bob", 3, {300, 0}},
        {"key-person", "bob", 5, {150, 0}},
    };
    struct ldr_evidence ev = {.ratings = r, .nratings = 4};
    struct ldr_score s;

    (void)state;
    score(&s, &ev);
    assert_int_equal(s.per[KP].assessors, 2);
    assert_near(s.per[KP].mean_level, 3.5);
    assert_int_equal(s.per[KP].level, 4);
    assert_int_equal(s.per[SS].assessors, 0);
    assert_true(s.has_rating);
    assert_near(s.rating, 70);
    ldr_score_release(&s);
}

static void test_score__clock_counter_then_array_order_break_ties(void **state)
{
    /*
     * alice: level 5 at (500, 1) beats level 2 at (500, 0) by the counter.
     * bob: level 1 then level 3, both at (500, 0): the later in the array
     * counts. mean = (5 + 3) / 2 = 4, level 4.
     */
    const struct ldr_rating r[] = {
        {"negotiation", "alice", 5, {500, 1}},
        {"negotiation", "bob", 1, {500, 0}},
        {"negotiation", "alice", 2, {500, 0}},
        {"negotiation", "bob", 3, {500, 0}},
    };
    struct ldr_evidence ev = {.ratings = r, .nratings = 4};
    struct ldr_score s;

    (void)state;
    score(&s, &ev);
    assert_int_equal(s.per[NG].assessors, 2);
    assert_near(s.per[NG].mean_level, 4);
    assert_int_equal(s.per[NG].level, 4);
    ldr_score_release(&s);
}

static void test_score__mean_rounds_half_up(void **state)
{
    static const struct {
        int levels[4];
        size_t n;
        double mean;
        int level;
    } cases[] = {
        {{2, 3}, 2, 2.5, 3},        /* (2+3)/2 = 2.5 -> 3 */
        {{1, 2, 3, 4}, 4, 2.5, 3},  /* 10/4 = 2.5 -> 3 */
        {{1, 1, 2}, 3, 4.0 / 3, 1}, /* 1.333 -> 1 */
        {{2, 3, 3}, 3, 8.0 / 3, 3}, /* 2.667 -> 3 */
        {{4, 5}, 2, 4.5, 5},        /* 4.5 -> 5 */
        {{1, 1, 1, 2}, 4, 1.25, 1}, /* 1.25 -> 1 */
        {{3}, 1, 3, 3},             /* one assessor: their level */
    };
    static const char *who[] = {"a", "b", "c", "d"};

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ldr_rating r[4];
        struct ldr_evidence ev = {.ratings = r, .nratings = cases[i].n};
        struct ldr_score s;

        for (size_t j = 0; j < cases[i].n; j++)
            r[j] = (struct ldr_rating){"reporting", who[j], cases[i].levels[j],
                                       at(1000, 0)};
        score(&s, &ev);
        assert_near(s.per[RP].mean_level, cases[i].mean);
        if (s.per[RP].level != cases[i].level)
            fail_msg("case %zu: level %d, want %d", i, s.per[RP].level,
                     cases[i].level);
        ldr_score_release(&s);
    }
}

/* One assessor rating key-person, solution-selling, negotiation, reporting. */
static void rate_all(struct ldr_rating r[4], int kp, int ss, int ng, int rp)
{
    r[0] = (struct ldr_rating){"key-person", "alice", kp, at(1000, 0)};
    r[1] = (struct ldr_rating){"solution-selling", "alice", ss, at(1000, 1)};
    r[2] = (struct ldr_rating){"negotiation", "alice", ng, at(1000, 2)};
    r[3] = (struct ldr_rating){"reporting", "alice", rp, at(1000, 3)};
}

static void test_score__rating_only(void **state)
{
    /*
     * levels 4, 3, 2, 5 score 80, 60, 40, 100:
     *   rating = 0.4 x 80 + 0.3 x 60 + 0.2 x 40 + 0.1 x 100
     *          = 32 + 18 + 8 + 10 = 68 (weights sum to 1)
     *   no tests: ability = rating = 68; no performance: no overall
     */
    struct ldr_rating r[4];
    struct ldr_evidence ev = {.ratings = r, .nratings = 4};
    struct ldr_score s;

    (void)state;
    rate_all(r, 4, 3, 2, 5);
    score(&s, &ev);
    assert_true(s.has_rating);
    assert_near(s.rating, 68);
    assert_false(s.has_test);
    assert_true(s.has_ability);
    assert_near(s.ability, 68);
    assert_false(s.has_overall);
    ldr_score_release(&s);
}

static void test_score__test_only_from_the_question_bank(void **state)
{
    /*
     * key-person: q-kp-1 right (1 point), q-kp-2 wrong (2 points)
     *   test = 1 / (1 + 2) x 100 = 33.333...
     * solution-selling: q-ss-1 right: 1 / 1 x 100 = 100
     * negotiation, reporting: no answers, not tested
     *   test = (0.4 x 33.333 + 0.3 x 100) / (0.4 + 0.3)
     *        = (13.333 + 30) / 0.7 = 43.333 / 0.7 = 61.9047619...
     *   no ratings: ability = test
     */
    const struct ldr_answer a[] = {
        {"q-kp-1", "b"}, {"q-kp-2", "c"}, {"q-ss-1", "c"}};
    struct ldr_evidence ev = {.answers = a, .nanswers = 3};
    struct ldr_score s;

    (void)state;
    score(&s, &ev);
    assert_true(s.per[KP].tested);
    assert_near(s.per[KP].test, 100.0 / 3);
    assert_true(s.per[SS].tested);
    assert_near(s.per[SS].test, 100);
    assert_false(s.per[NG].tested);
    assert_false(s.per[RP].tested);
    assert_false(s.has_rating);
    assert_true(s.has_test);
    assert_near(s.test, (0.4 * 100.0 / 3 + 0.3 * 100) / 0.7);
    assert_near(s.test, 61.904761905);
    assert_true(s.has_ability);
    assert_near(s.ability, s.test);
    ldr_score_release(&s);
}

static void test_score__later_answer_to_a_question_counts(void **state)
{
    /* q-ng-1 answered wrong (b), then right (a): 1 / 1 x 100 = 100, not
     * 1 / 2 x 100 = 50. */
    const struct ldr_answer a[] = {{"q-ng-1", "b"}, {"q-ng-1", "a"}};
    struct ldr_evidence ev = {.answers = a, .nanswers = 2};
    struct ldr_score s;

    (void)state;
    score(&s, &ev);
    assert_near(s.per[NG].test, 100);
    assert_near(s.test, 100);
    ldr_score_release(&s);
}

static void test_score__ratings_and_tests_combine(void **state)
{
    /*
     * ratings 4, 3, 2, 5: rating = 68 (as in rating_only)
     * direct tests 50, 80, 70, 90:
     *   test = 0.4 x 50 + 0.3 x 80 + 0.2 x 70 + 0.1 x 90
     *        = 20 + 24 + 14 + 9 = 67
     *   ability = 0.6 x 68 + 0.4 x 67 = 40.8 + 26.8 = 67.6
     */
    struct ldr_rating r[4];
    const struct ldr_test t[] = {{"key-person", 50},
                                 {"solution-selling", 80},
                                 {"negotiation", 70},
                                 {"reporting", 90}};
    struct ldr_evidence ev = {
        .ratings = r, .nratings = 4, .tests = t, .ntests = 4};
    struct ldr_score s;

    (void)state;
    rate_all(r, 4, 3, 2, 5);
    score(&s, &ev);
    assert_near(s.rating, 68);
    assert_near(s.test, 67);
    assert_near(s.ability, 67.6);
    ldr_score_release(&s);
}

static void test_score__direct_test_replaces_question_bank(void **state)
{
    /*
     * key-person: q-kp-1 and q-kp-2 both right would be 3 / 3 x 100 = 100,
     * but a direct test of 40 replaces it: 40.
     * solution-selling: q-ss-1 right: 100
     *   test = (0.4 x 40 + 0.3 x 100) / (0.4 + 0.3) = (16 + 30) / 0.7
     *        = 65.714285714...
     */
    const struct ldr_answer a[] = {
        {"q-kp-1", "b"}, {"q-kp-2", "a"}, {"q-ss-1", "c"}};
    const struct ldr_test t[] = {{"key-person", 40}};
    struct ldr_evidence ev = {
        .answers = a, .nanswers = 3, .tests = t, .ntests = 1};
    struct ldr_score s;

    (void)state;
    score(&s, &ev);
    assert_near(s.per[KP].test, 40);
    assert_near(s.per[SS].test, 100);
    assert_near(s.test, 46 / 0.7);
    assert_near(s.test, 65.714285714);
    ldr_score_release(&s);
}

static void test_score__partial_assessment_renormalises(void **state)
{
    /*
     * only key-person (level 3 = 60) and negotiation (level 4 = 80) rated:
     *   rating = (0.4 x 60 + 0.2 x 80) / (0.4 + 0.2) = (24 + 16) / 0.6
     *          = 66.666...
     * (not 40 / 1 = 40: what was not assessed does not count as zero)
     */
    const struct ldr_rating r[] = {
        {"key-person", "alice", 3, {1000, 0}},
        {"negotiation", "alice", 4, {1000, 1}},
    };
    struct ldr_evidence ev = {.ratings = r, .nratings = 2};
    struct ldr_score s;

    (void)state;
    score(&s, &ev);
    assert_near(s.rating, 200.0 / 3);
    assert_near(s.rating, 66.666666667);
    ldr_score_release(&s);
}

static void test_score__overall_needs_ability_and_performance(void **state)
{
    /*
     * ratings 4, 3, 2, 5: ability = rating = 68; performance 50:
     *   overall = 0.7 x 68 + 0.3 x 50 = 47.6 + 15 = 62.6
     * without performance: no overall; performance alone: no ability,
     * so no overall either.
     */
    struct ldr_rating r[4];
    struct ldr_evidence ev = {.ratings = r,
                              .nratings = 4,
                              .has_performance = true,
                              .performance = 50};
    struct ldr_evidence perf_only = {.has_performance = true,
                                     .performance = 50};
    struct ldr_score s;

    (void)state;
    rate_all(r, 4, 3, 2, 5);
    score(&s, &ev);
    assert_true(s.has_overall);
    assert_near(s.overall, 62.6);
    assert_true(s.has_performance);
    assert_near(s.performance, 50);
    ldr_score_release(&s);

    ev.has_performance = false;
    score(&s, &ev);
    assert_true(s.has_ability);
    assert_false(s.has_overall);
    assert_false(s.has_performance);
    ldr_score_release(&s);

    score(&s, &perf_only);
    assert_false(s.has_ability);
    assert_true(s.has_performance);
    assert_false(s.has_overall);
    ldr_score_release(&s);
}

static void assert_activities(const struct ldr_gap *g, const char **ids,
                              size_t n)
{
    assert_int_equal(g->nactivities, n);
    for (size_t i = 0; i < n; i++) {
        const struct ldr_activity *a = g->activities[i];
        const struct ldr_competency *c = g->competency;
        bool in_model = false;

        assert_string_equal(a->id, ids[i]);
        for (size_t k = 0; k < model->nlevels; k++)
            for (size_t j = 0; j < c->learning[k].count; j++)
                in_model |= a == &c->learning[k].items[j];
        assert_true(in_model); /* a pointer into the model, not a copy */
    }
}

static void test_score__gaps_ordered_by_weighted_gap(void **state)
{
    /*
     * against am2 (required 3, 3, 3, 2), rated key-person 2,
     * solution-selling 1, negotiation not rated (0), reporting 2:
     *   solution-selling  gap 3 - 1 = 2, weighted 2 x 0.3 = 0.6
     *   negotiation       gap 3 - 0 = 3, weighted 3 x 0.2 = 0.6
     *   key-person        gap 3 - 2 = 1, weighted 1 x 0.4 = 0.4
     *   reporting         gap 2 - 2 = 0, weighted 0
     * 0.6 and 0.6 tie, so model order: solution-selling, then negotiation
     * (in doubles 3 x 0.2 > 2 x 0.3; the tie must hold anyway).
     * learning map, levels current+1 .. required:
     *   solution-selling 2..3: ss-2, ss-3
     *   negotiation      1..3: ng-1, ng-2, ng-3
     *   key-person       3..3: kp-3a, kp-3b
     *   reporting        none
     */
    const struct ldr_rating r[] = {
        {"key-person", "alice", 2, {1000, 0}},
        {"solution-selling", "alice", 1, {1000, 1}},
        {"reporting", "alice", 2, {1000, 2}},
    };
    struct ldr_evidence ev = {.ratings = r, .nratings = 3};
    static const char *ss[] = {"ss-2", "ss-3"};
    static const char *ng[] = {"ng-1", "ng-2", "ng-3"};
    static const char *kp[] = {"kp-3a", "kp-3b"};
    struct ldr_score s;
    struct ldr_gaps g;

    (void)state;
    score(&s, &ev);
    assert_int_equal(ldr_gaps_compute(&g, model, &s, "am2", NULL), 0);
    assert_int_equal(g.count, 4);
    assert_int_equal(g.open, 3);
    assert_ptr_equal(g.items[0].competency, &model->competencies[SS]);
    assert_ptr_equal(g.items[1].competency, &model->competencies[NG]);
    assert_ptr_equal(g.items[2].competency, &model->competencies[KP]);
    assert_ptr_equal(g.items[3].competency, &model->competencies[RP]);
    assert_int_equal(g.items[0].required, 3);
    assert_int_equal(g.items[0].current, 1);
    assert_int_equal(g.items[0].gap, 2);
    assert_near(g.items[0].weighted, 0.6);
    assert_int_equal(g.items[1].current, 0);
    assert_int_equal(g.items[1].gap, 3);
    assert_near(g.items[1].weighted, 0.6);
    assert_int_equal(g.items[2].gap, 1);
    assert_near(g.items[2].weighted, 0.4);
    assert_int_equal(g.items[3].required, 2);
    assert_int_equal(g.items[3].current, 2);
    assert_int_equal(g.items[3].gap, 0);
    assert_activities(&g.items[0], ss, 2);
    assert_activities(&g.items[1], ng, 3);
    assert_activities(&g.items[2], kp, 2);
    assert_activities(&g.items[3], NULL, 0);
    ldr_gaps_release(&g);
    ldr_score_release(&s);
}

static void test_score__gaps_above_required_are_zero(void **state)
{
    /* all rated 5 against am1: every gap max(0, required - 5) = 0, list in
     * model order, nothing to learn. */
    struct ldr_rating r[4];
    struct ldr_evidence ev = {.ratings = r, .nratings = 4};
    struct ldr_score s;
    struct ldr_gaps g;

    (void)state;
    rate_all(r, 5, 5, 5, 5);
    score(&s, &ev);
    assert_int_equal(ldr_gaps_compute(&g, model, &s, "am1", NULL), 0);
    assert_int_equal(g.open, 0);
    for (size_t i = 0; i < g.count; i++) {
        assert_ptr_equal(g.items[i].competency, &model->competencies[i]);
        assert_int_equal(g.items[i].gap, 0);
        assert_int_equal(g.items[i].nactivities, 0);
    }
    ldr_gaps_release(&g);
    ldr_score_release(&s);
}

static void test_score__gaps_unknown_grade_refused(void **state)
{
    struct ldr_err err = {0};
    struct ldr_score s;
    struct ldr_gaps g;
    struct ldr_certification c;

    (void)state;
    score(&s, NULL);
    assert_int_equal(ldr_gaps_compute(&g, model, &s, "am9", &err), LDR_EINVAL);
    assert_non_null(strstr(err.msg, "'am9'"));
    assert_null(g.items);
    assert_int_equal(ldr_certify(&c, model, &s, "am9", &err), LDR_EINVAL);
    assert_non_null(strstr(err.msg, "'am9'"));
    assert_int_equal(c.nreasons, 0);
    ldr_score_release(&s);
}

static void assert_reasons(const struct ldr_certification *c, const char **want,
                           size_t n)
{
    bool same = c->nreasons == n;

    for (size_t i = 0; same && i < n; i++)
        same = strcmp(c->reasons[i], want[i]) == 0;
    if (same)
        return;
    for (size_t i = 0; i < c->nreasons; i++)
        print_message("reason %zu: %s\n", i, c->reasons[i]);
    fail_msg("%zu reasons, want %zu as listed in the test", c->nreasons, n);
}

static void test_score__certify_eligible(void **state)
{
    /*
     * am1, ratings 4, 3, 2, 2:
     *   rating = 0.4 x 80 + 0.3 x 60 + 0.2 x 40 + 0.1 x 40
     *          = 32 + 18 + 8 + 4 = 62 = ability (>= 55)
     *   performance 60 (= 60, a threshold met exactly passes)
     *   overall = 0.7 x 62 + 0.3 x 60 = 43.4 + 18 = 61.4 (>= 60)
     *   key-person 4 >= 2; others 3 >= 2, 2 >= 2, 2 >= 1: no gaps
     */
    struct ldr_rating r[4];
    struct ldr_evidence ev = {.ratings = r,
                              .nratings = 4,
                              .has_performance = true,
                              .performance = 60};
    struct ldr_certification c;
    struct ldr_score s;

    (void)state;
    rate_all(r, 4, 3, 2, 2);
    score(&s, &ev);
    assert_near(s.overall, 61.4);
    assert_int_equal(ldr_certify(&c, model, &s, "am1", NULL), 0);
    assert_reasons(&c, NULL, 0);
    assert_true(c.eligible);
    assert_int_equal(c.validity_months, 24);
    ldr_certification_release(&c);
    ldr_score_release(&s);
}

static void test_score__certify_scores_below_thresholds(void **state)
{
    /*
     * am1, ratings 2, 2, 2, 1:
     *   rating = 0.4 x 40 + 0.3 x 40 + 0.2 x 40 + 0.1 x 20
     *          = 16 + 12 + 8 + 2 = 38 = ability (< 55)
     *   performance 50 (< 60)
     *   overall = 0.7 x 38 + 0.3 x 50 = 26.6 + 15 = 41.6 (< 60)
     *   key-person 2 >= 2; others 2 >= 2, 2 >= 2, 1 >= 1: no gaps
     */
    static const char *want[] = {
        "overall 41.6 is below 60",
        "ability 38.0 is below 55",
        "performance 50.0 is below 60",
    };
    struct ldr_rating r[4];
    struct ldr_evidence ev = {.ratings = r,
                              .nratings = 4,
                              .has_performance = true,
                              .performance = 50};
    struct ldr_certification c;
    struct ldr_score s;

    (void)state;
    rate_all(r, 2, 2, 2, 1);
    score(&s, &ev);
    assert_int_equal(ldr_certify(&c, model, &s, "am1", NULL), 0);
    assert_false(c.eligible);
    assert_reasons(&c, want, 3);
    assert_int_equal(c.validity_months, 24);
    ldr_certification_release(&c);
    ldr_score_release(&s);
}

static void test_score__certify_lists_every_failing_reason(void **state)
{
    /*
     * am2 (overall >= 65, ability >= 70, performance >= 70, max_gaps 0,
     * key-person >= 3), ratings key-person 2, solution-selling 2,
     * negotiation not rated, reporting 2, no tests, no performance:
     *   rating = (0.4 x 40 + 0.3 x 40 + 0.1 x 40) / (0.4 + 0.3 + 0.1)
     *          = (16 + 12 + 4) / 0.8 = 40 = ability (< 70)
     *   no performance, hence no overall
     *   key-person 2 < 3
     *   others: solution-selling 2 < 3, negotiation 0 < 3, reporting
     *   2 >= 2: 2 gaps > 0 allowed
     */
    static const char *want[] = {
        "no overall score (it needs ability and performance)",
        "ability 40.0 is below 70",
        "no performance score",
        "core competency 'key-person' at level 2, needs 3",
        "2 competencies below the required level, at most 0 allowed: "
        "solution-selling (2 < 3), negotiation (not rated, needs 3)",
    };
    const struct ldr_rating r[] = {
        {"key-person", "alice", 2, {1000, 0}},
        {"solution-selling", "alice", 2, {1000, 1}},
        {"reporting", "alice", 2, {1000, 2}},
    };
    struct ldr_evidence ev = {.ratings = r, .nratings = 3};
    struct ldr_certification c;
    struct ldr_score s;

    (void)state;
    score(&s, &ev);
    assert_near(s.ability, 40);
    assert_int_equal(ldr_certify(&c, model, &s, "am2", NULL), 0);
    assert_false(c.eligible);
    assert_reasons(&c, want, 5);
    assert_int_equal(c.validity_months, 12);
    ldr_certification_release(&c);
    ldr_score_release(&s);
}

static void test_score__certify_nothing_assessed(void **state)
{
    /* am1 with no evidence: no scores at all, key-person not rated, and
     * solution-selling, negotiation, reporting all below: 3 > 1. */
    static const char *want[] = {
        "no overall score (it needs ability and performance)",
        "no ability score (no ratings and no tests)",
        "no performance score",
        "core competency 'key-person' is not rated, needs level 2",
        "3 competencies below the required level, at most 1 allowed: "
        "solution-selling (not rated, needs 2), negotiation (not rated, "
        "needs 2), reporting (not rated, needs 1)",
    };
    struct ldr_certification c;
    struct ldr_score s;

    (void)state;
    score(&s, NULL);
    assert_int_equal(ldr_certify(&c, model, &s, "am1", NULL), 0);
    assert_false(c.eligible);
    assert_reasons(&c, want, 5);
    ldr_certification_release(&c);
    ldr_score_release(&s);
}

static void test_score__certify_allows_max_gaps(void **state)
{
    /*
     * am1 allows 1 gap outside must_meet. Direct tests of 100 everywhere:
     * test = 100. Performance 80.
     * ratings 3, 1, 2, 1:
     *   rating = 0.4 x 60 + 0.3 x 20 + 0.2 x 40 + 0.1 x 20
     *          = 24 + 6 + 8 + 2 = 40
     *   ability = 0.6 x 40 + 0.4 x 100 = 24 + 40 = 64 (>= 55)
     *   overall = 0.7 x 64 + 0.3 x 80 = 44.8 + 24 = 68.8 (>= 60)
     *   solution-selling 1 < 2: 1 gap, allowed -> eligible
     * ratings 3, 1, 1, 1:
     *   rating = 24 + 6 + 4 + 2 = 36
     *   ability = 0.6 x 36 + 40 = 21.6 + 40 = 61.6 (>= 55)
     *   overall = 0.7 x 61.6 + 24 = 43.12 + 24 = 67.12 (>= 60)
     *   solution-selling 1 < 2, negotiation 1 < 2: 2 gaps > 1
     */
    static const char *want[] = {
        "2 competencies below the required level, at most 1 allowed: "
        "solution-selling (1 < 2), negotiation (1 < 2)",
    };
    const struct ldr_test t[] = {{"key-person", 100},
                                 {"solution-selling", 100},
                                 {"negotiation", 100},
                                 {"reporting", 100}};
    struct ldr_rating r[4];
    struct ldr_evidence ev = {.ratings = r,
                              .nratings = 4,
                              .tests = t,
                              .ntests = 4,
                              .has_performance = true,
                              .performance = 80};
    struct ldr_certification c;
    struct ldr_score s;

    (void)state;
    rate_all(r, 3, 1, 2, 1);
    score(&s, &ev);
    assert_near(s.ability, 64);
    assert_near(s.overall, 68.8);
    assert_int_equal(ldr_certify(&c, model, &s, "am1", NULL), 0);
    assert_reasons(&c, NULL, 0);
    assert_true(c.eligible);
    ldr_certification_release(&c);
    ldr_score_release(&s);

    rate_all(r, 3, 1, 1, 1);
    score(&s, &ev);
    assert_near(s.ability, 61.6);
    assert_near(s.overall, 67.12);
    assert_int_equal(ldr_certify(&c, model, &s, "am1", NULL), 0);
    assert_false(c.eligible);
    assert_reasons(&c, want, 1);
    ldr_certification_release(&c);
    ldr_score_release(&s);
}

static void test_score__certify_shows_enough_decimals(void **state)
{
    /*
     * am1, direct test of key-person 54.96 only: test = 54.96 = ability
     * (< 55), which "%.1f" would print as 55.0; "55.0 is below 55" would
     * be nonsense, so the reason shows 54.96. Performance 100:
     *   overall = 0.7 x 54.96 + 0.3 x 100 = 38.472 + 30 = 68.472 (>= 60)
     * so the first reason is the ability (then key-person and the gaps,
     * nothing being rated).
     */
    const struct ldr_test t[] = {{"key-person", 54.96}};
    struct ldr_evidence ev = {
        .tests = t, .ntests = 1, .has_performance = true, .performance = 100};
    struct ldr_certification c;
    struct ldr_score s;

    (void)state;
    score(&s, &ev);
    assert_int_equal(ldr_certify(&c, model, &s, "am1", NULL), 0);
    assert_near(s.overall, 68.472);
    assert_int_equal(c.nreasons, 3);
    assert_string_equal(c.reasons[0], "ability 54.96 is below 55");
    ldr_certification_release(&c);
    ldr_score_release(&s);
}

static void test_score__invalid_evidence_refused(void **state)
{
    static const struct {
        struct ldr_rating rating;
        struct ldr_answer answer;
        struct ldr_test test;
        double performance;
        const char *names; /* the message must name this */
    } cases[] = {
        {.rating = {"key-persons", "alice", 3, {1, 0}},
         .names = "'key-persons'"},
        {.rating = {"key-person", "alice", 0, {1, 0}}, .names = "level 0"},
        {.rating = {"key-person", "alice", 6, {1, 0}}, .names = "level 6"},
        {.rating = {"key-person", NULL, 3, {1, 0}}, .names = "no assessor"},
        {.answer = {"q-kp-9", "a"}, .names = "'q-kp-9'"},
        {.answer = {"q-kp-1", "z"}, .names = "'z'"},
        {.test = {"closing", 50}, .names = "'closing'"},
        {.test = {"key-person", 100.5}, .names = "100.5"},
        {.test = {"key-person", -1}, .names = "-1"},
        {.test = {"key-person", NAN}, .names = "nan"},
        {.performance = 101, .names = "performance 101"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ldr_evidence ev = {0};
        struct ldr_err err = {0};
        struct ldr_score s;

        if (cases[i].rating.competency) {
            ev.ratings = &cases[i].rating;
            ev.nratings = 1;
        }
        if (cases[i].answer.question) {
            ev.answers = &cases[i].answer;
            ev.nanswers = 1;
        }
        if (cases[i].test.competency) {
            ev.tests = &cases[i].test;
            ev.ntests = 1;
        }
        if (cases[i].performance) {
            ev.has_performance = true;
            ev.performance = cases[i].performance;
        }
        assert_int_equal(ldr_score_compute(&s, model, &ev, &err), LDR_EINVAL);
        if (!strstr(err.msg, cases[i].names))
            fail_msg("case %zu: '%s' does not name %s", i, err.msg,
                     cases[i].names);
        assert_null(s.per);
    }
}

static void test_score__score_of_another_model_refused(void **state)
{
    /* a score whose competencies are not this model's: its levels would
     * be read against the wrong required levels. */
    struct ldr_competency_score per[4] = {{0}};
    struct ldr_score foreign = {.per = per, .count = 4};
    struct ldr_err err = {0};
    struct ldr_gaps g;
    struct ldr_certification c;

    (void)state;
    assert_int_equal(ldr_gaps_compute(&g, model, &foreign, "am1", &err),
                     LDR_EINVAL);
    assert_non_null(strstr(err.msg, "'score-test'"));
    assert_int_equal(ldr_certify(&c, model, &foreign, "am1", &err), LDR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score__model_order_and_no_evidence),
        cmocka_unit_test(test_score__latest_rating_per_assessor_counts),
        cmocka_unit_test(test_score__clock_counter_then_array_order_break_ties),
        cmocka_unit_test(test_score__mean_rounds_half_up),
        cmocka_unit_test(test_score__rating_only),
        cmocka_unit_test(test_score__test_only_from_the_question_bank),
        cmocka_unit_test(test_score__later_answer_to_a_question_counts),
        cmocka_unit_test(test_score__ratings_and_tests_combine),
        cmocka_unit_test(test_score__direct_test_replaces_question_bank),
        cmocka_unit_test(test_score__partial_assessment_renormalises),
        cmocka_unit_test(test_score__overall_needs_ability_and_performance),
        cmocka_unit_test(test_score__gaps_ordered_by_weighted_gap),
        cmocka_unit_test(test_score__gaps_above_required_are_zero),
        cmocka_unit_test(test_score__gaps_unknown_grade_refused),
        cmocka_unit_test(test_score__certify_eligible),
        cmocka_unit_test(test_score__certify_scores_below_thresholds),
        cmocka_unit_test(test_score__certify_lists_every_failing_reason),
        cmocka_unit_test(test_score__certify_nothing_assessed),
        cmocka_unit_test(test_score__certify_allows_max_gaps),
        cmocka_unit_test(test_score__certify_shows_enough_decimals),
        cmocka_unit_test(test_score__invalid_evidence_refused),
        cmocka_unit_test(test_score__score_of_another_model_refused),
    };

    return cmocka_run_group_tests(tests, load_model, free_model);
}
