/*
 * A manager's whole offline day with the real `ladder` binary: set up,
 * assess a person (interactive ratings, question-bank answers,
 * performance), submit, coach, take in a trainer's pilot results (a bad
 * file refused whole, then a good one), and read the gap report and the
 * certification verdict, all checked through --json.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define MODEL "schema/models/account-manager.json"

/* The am2 required level of each competency, in model order: the manager
 * rates E1001 exactly at the grade. */
static const int am2_levels[14] = {3, 3, 3, 3, 2, 2, 2, 1, 1, 1, 2, 1, 2, 3};

static double number(const json_t *obj, const char *key)
{
    return json_number_value(json_object_get(obj, key));
}

static json_int_t pending(struct run *r)
{
    run_ladder(r, NULL, "status", "--json", NULL);
    return json_integer_value(
        json_object_get(json_object_get(r->json, "outbox"), "pending"));
}

static void morning_setup(struct run *r)
{
    run_ladder(r, NULL, "init", "--user", "li.wei", NULL);
    assert_int_equal(r->code, 0);
    run_ladder(r, NULL, "model", "import", harness_source(MODEL), NULL);
    assert_int_equal(r->code, 0);
    run_ladder(r, NULL, "person", "add", "--id", "E1001", "--name", "王芳",
               "--unit", "north", "--grade", "am2", NULL);
    assert_int_equal(r->code, 0);
    run_ladder(r, NULL, "person", "add", "--id", "E1002", "--name", "张伟",
               "--unit", "north", "--grade", "am1", NULL);
    assert_int_equal(r->code, 0);
}

/* Rates all 14 competencies through the interactive walk, answers two
 * questions (one right, one wrong), gives performance and submits. */
static void assess_e1001(struct run *r, char id[64])
{
    char input[512] = "";

    run_ladder(r, NULL, "assess", "new", "--subject", "E1001", "--model",
               "account-manager", NULL);
    assert_int_equal(r->code, 0);
    snprintf(id, 64, "%.*s", (int)strcspn(r->out, "\n"), r->out);
    for (int i = 0; i < 14; i++)
        snprintf(input + strlen(input), sizeof input - strlen(input),
                 "%d\n%s\n", am2_levels[i], i == 0 ? "季度回访记录完整" : "");
    run_ladder(r, input, "assess", "interactive", id, NULL);
    assert_int_equal(r->code, 0);
    run_ladder(r, NULL, "assess", "answer", id, "q-rm-01", "c", NULL);
    assert_int_equal(r->code, 0);
    run_ladder(r, NULL, "assess", "answer", id, "q-rm-02", "b", NULL);
    assert_int_equal(r->code, 0);
    run_ladder(r, NULL, "assess", "perf", id, "80", NULL);
    assert_int_equal(r->code, 0);
    run_ladder(r, NULL, "assess", "submit", id, "--json", NULL);
    assert_int_equal(r->code, 0);
    assert_string_equal(json_string_value(json_object_get(r->json, "state")),
                        "submitted");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(r->json, "ratings"),
                                            "relationship-maintenance"),
                            "evidence")),
                        "季度回访记录完整");
}

/* Edits after submit and bad values are refused and change nothing. */
static void refusals(struct run *r, const char *id)
{
    static const char *const cases[][6] = {
        {"assess", "rate", "", "relationship-maintenance", "4", NULL},
        {"assess", "rate", "", "negotiation", "3", NULL},
        {"assess", "new", "--subject", "E9999", "--model", "account-manager"},
    };
    static const char *const why[] = {"submitted", "negotiation", "E9999"};
    json_int_t before = pending(r);

    for (size_t i = 0; i < 3; i++) {
        const char *argv[7];
        memcpy(argv, cases[i], sizeof cases[i]);
        argv[6] = NULL;
        if (argv[2][0] == '\0')
            argv[2] = id;
        run_ladderv(r, NULL, argv);
        assert_int_equal(r->code, 1);
        assert_non_null(strstr(r->err, why[i]));
    }
    assert_int_equal(pending(r), before);
}

static void pilot_results(struct run *r)
{
    static const char bad[] = "subject,assessor,relationship-maintenance\n"
                              "E1002,zhang.min,2\n"
                              "E1003,zhang.min,2\n"
                              "E1001,zhang.min,7\n";
    static const char good[] = "\xef\xbb\xbfsubject,assessor,performance,"
                               "relationship-maintenance\r\n"
                               "E1002,zhang.min,70,2\r\n";
    json_int_t before = pending(r);

    run_ladder(r, NULL, "pilot", "import", harness_file("bad.csv", bad),
               "--pilot", "试点", NULL);
    assert_int_equal(r->code, 1);
    assert_non_null(strstr(r->out, "line 3: subject 'E1003'"));
    assert_non_null(
        strstr(r->out, "line 4: column 'relationship-maintenance'"));
    assert_int_equal(pending(r), before);
    run_ladder(r, NULL, "pilot", "import", harness_file("good.csv", good),
               "--pilot", "试点", NULL);
    assert_int_equal(r->code, 0);
    assert_int_equal(pending(r), before + 2);
}

/*
 * By hand, from the model: E1001 is rated exactly at am2, so no gaps.
 * Rating score = sum(weight x level) / 5 x 100 = 2.04 / 5 x 100 = 40.8.
 * Test of relationship-maintenance: q-rm-01 right (1 point), q-rm-02
 * wrong (1 point) = 50; the only tested competency, so tests = 50.
 * Ability = 0.6 x 40.8 + 0.4 x 50 = 44.48.
 * Overall = 0.6 x 44.48 + 0.4 x 80 = 58.688.
 * am2 needs overall 55 (met), ability 50 (missed), performance 65 (met).
 */
static void evening_reports(struct run *r)
{
    const json_t *scores;

    run_ladder(r, NULL, "gap", "E1001", "--json", NULL);
    assert_int_equal(r->code, 0);
    scores = json_object_get(r->json, "scores");
    assert_true(fabs(number(scores, "rating") - 40.8) < 1e-9);
    assert_true(fabs(number(scores, "ability") - 44.48) < 1e-9);
    assert_true(fabs(number(scores, "overall") - 58.688) < 1e-9);
    assert_int_equal(
        json_integer_value(json_object_get(
            json_array_get(json_object_get(r->json, "gaps"), 0), "gap")),
        0);

    run_ladder(r, NULL, "certify", "E1001", "--grade", "am2", "--json", NULL);
    assert_int_equal(r->code, 0);
    assert_false(json_is_true(json_object_get(r->json, "eligible")));
    assert_int_equal(json_array_size(json_object_get(r->json, "reasons")), 1);
    assert_non_null(strstr(json_string_value(json_array_get(
                               json_object_get(r->json, "reasons"), 0)),
                           "ability"));

    /* a grade up, the gaps open and the learning map fills */
    run_ladder(r, NULL, "gap", "E1001", "--grade", "am3", "--json", NULL);
    assert_int_equal(r->code, 0);
    assert_true(
        json_integer_value(json_object_get(
            json_array_get(json_object_get(r->json, "gaps"), 0), "gap")) > 0);
    assert_true(json_array_size(json_object_get(
                    json_array_get(json_object_get(r->json, "gaps"), 0),
                    "activities")) > 0);
}

static void test_offline_day__from_setup_to_certification(void **state)
{
    struct run r = {0};
    char id[64];

    (void)state;
    harness_tmpdir();
    morning_setup(&r);
    assess_e1001(&r, id);
    refusals(&r, id);
    run_ladder(&r, NULL, "note", "add", "--subject", "E1001", "--due",
               "2026-12-03", "下周陪访重点客户, 复盘价值销售", NULL);
    assert_int_equal(r.code, 0);
    pilot_results(&r);
    evening_reports(&r);

    /* everything written today waits in the outbox for the hub */
    run_ladder(&r, NULL, "status", "--json", NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "records")),
                     6); /* 2 people, assessment, note, pilot + its row */
    run_release(&r);
    harness_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offline_day__from_setup_to_certification),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
