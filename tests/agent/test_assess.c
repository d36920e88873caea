/* ladder assess: new, rate, answer, test, perf, submit, show, list and
 * interactive, run as a user runs them against the real account-manager
 * model; every refusal leaves the database as it was. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define MODEL "schema/models/account-manager.json"

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* init, the model, and two people: E1001 (grade am2, in the model) and
 * E1002 (grade trainee, not in it). */
static void start_day(struct run *r)
{
    run_ladder(r, NULL, "init", "--user", "li.wei", NULL);
    assert_int_equal(r->code, 0);
    run_ladder(r, NULL, "model", "import", harness_source(MODEL), NULL);
    assert_int_equal(r->code, 0);
    run_ladder(r, NULL, "person", "add", "--id", "E1001", "--name", "王芳",
               "--unit", "north", "--grade", "am2", NULL);
    assert_int_equal(r->code, 0);
    run_ladder(r, NULL, "person", "add", "--id", "E1002", "--name", "Zhou Jie",
               "--unit", "south", "--grade", "trainee", NULL);
    assert_int_equal(r->code, 0);
}

/* A new draft of E1001; its id in `id`. */
static void new_draft(struct run *r, char id[64])
{
    run_ladder(r, NULL, "assess", "new", "--subject", "E1001", "--model",
               "account-manager", NULL);
    assert_int_equal(r->code, 0);
    assert_int_equal(strlen(r->out), 37); /* the id and a newline */
    snprintf(id, 64, "%.36s", r->out);
}

static json_int_t pending(struct run *r)
{
    run_ladder(r, NULL, "status", "--json", NULL);
    assert_int_equal(r->code, 0);
    return json_integer_value(
        json_object_get(json_object_get(r->json, "outbox"), "pending"));
}

/* What a refusal must not change: the assessment as shown, the list of
 * assessments and the outbox. malloc'd. */
static char *snapshot(struct run *r, const char *id)
{
    char *text = NULL, *show;
    json_int_t n = pending(r);

    run_ladder(r, NULL, "assess", "show", id, "--json", NULL);
    assert_int_equal(r->code, 0);
    show = strdup(r->out);
    run_ladder(r, NULL, "assess", "list", "--json", NULL);
    assert_int_equal(r->code, 0);
    assert_true(asprintf(&text, "%s\n%s\npending %lld", show, r->out,
                         (long long)n) > 0);
    free(show);
    return text;
}

/* Runs ladder with `argv`, expects exit `code` with `message` on stderr,
 * and checks that nothing changed. */
static void refused(struct run *r, const char *id, int code,
                    const char *message, const char *input,
                    const char *const *argv)
{
    char *before = snapshot(r, id), *after;

    run_ladderv(r, input, argv);
    if (r->code != code || !strstr(r->err, message))
        fail_msg("exit %d, stderr '%s'; expected exit %d with '%s'", r->code,
                 r->err, code, message);
    after = snapshot(r, id);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

#define REFUSED(r, id, code, message, ...)                                     \
    refused(r, id, code, message, NULL,                                        \
            (const char *const[]){__VA_ARGS__, NULL})

static void test_assess__new_pins_model_version_and_grade(void **state)
{
    struct run r = {0};
    char version[41], prefix[16];

    (void)state;
    start_day(&r);
    run_ladder(&r, NULL, "model", "list", "--json", NULL);
    snprintf(version, sizeof version, "%s",
             str(json_array_get(r.json, 0), "latest"));

    run_ladder(&r, NULL, "assess", "new", "--subject", "E1001", "--model",
               "account-manager", "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(strlen(str(r.json, "id")), 36);
    assert_string_equal(str(r.json, "subject"), "E1001");
    assert_string_equal(str(r.json, "model"), "account-manager");
    assert_string_equal(str(r.json, "version"), version);
    assert_string_equal(str(r.json, "grade"), "am2"); /* from the roster */
    assert_string_equal(str(r.json, "kind"), "manager");
    assert_string_equal(str(r.json, "assessor"), "li.wei");
    assert_string_equal(str(r.json, "state"), "draft");
    assert_int_equal(strlen(str(r.json, "created")), 24);
    assert_int_equal(str(r.json, "created")[23], 'Z');
    assert_null(json_object_get(r.json, "submitted"));

    /* a version prefix, another grade and kind */
    snprintf(prefix, sizeof prefix, "%.6s", version);
    run_ladder(&r, NULL, "assess", "new", "--subject", "E1002", "--model",
               "account-manager", "--version", prefix, "--grade", "am1",
               "--kind", "self", "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_string_equal(str(r.json, "version"), version);
    assert_string_equal(str(r.json, "grade"), "am1");
    assert_string_equal(str(r.json, "kind"), "self");

    /* E1002's roster grade is not one of the model: --grade is needed */
    run_ladder(&r, NULL, "assess", "new", "--subject", "E1002", "--model",
               "account-manager", NULL);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "give --grade, one of am1, am2"));
    run_ladder(&r, NULL, "assess", "new", "--subject", "E1001", "--model",
               "account-manager", "--grade", "am9", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "/grade: grade 'am9' is not defined"));
    run_ladder(&r, NULL, "assess", "new", "--subject", "E1001", "--model",
               "sales-director", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "ladder model import"));
    run_ladder(&r, NULL, "assess", "new", "--subject", "E1001", "--model",
               "account-manager", "--version", "ffff", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "not on this laptop"));
    run_ladder(&r, NULL, "assess", "new", "--subject", "E1001", "--model",
               "account-manager", "--kind", "pilot", NULL);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "ladder pilot import"));
    run_ladder(&r, NULL, "assess", "new", "--subject", "E1001", "--model",
               "account-manager", "--kind", "boss", NULL);
    assert_int_equal(r.code, 2);
    run_ladder(&r, NULL, "assess", "new", "--model", "account-manager", NULL);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "--subject ID and --model ID"));

    run_ladder(&r, NULL, "assess", "list", "--json", NULL);
    assert_int_equal(json_array_size(r.json), 2);
    run_release(&r);
}

static void test_assess__rate_answer_test_perf(void **state)
{
    struct run r = {0};
    char id[64], head[16], tail[16];
    json_t *rating;

    (void)state;
    start_day(&r);
    new_draft(&r, id);
    snprintf(head, sizeof head, "%.13s", id);
    snprintf(tail, sizeof tail, "%.8s", id + 28);

    run_ladder(&r, NULL, "assess", "rate", head, "relationship-maintenance",
               "3", "--evidence", "季度回访记录完整", "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_string_equal(str(r.json, "id"), id);
    rating = json_object_get(json_object_get(r.json, "ratings"),
                             "relationship-maintenance");
    assert_int_equal(json_integer_value(json_object_get(rating, "level")), 3);
    assert_string_equal(str(rating, "evidence"), "季度回访记录完整");

    /* the last 8 characters name it too; a new level keeps the evidence */
    run_ladder(&r, NULL, "assess", "rate", tail, "relationship-maintenance",
               "4", "--json", NULL);
    assert_int_equal(r.code, 0);
    rating = json_object_get(json_object_get(r.json, "ratings"),
                             "relationship-maintenance");
    assert_int_equal(json_integer_value(json_object_get(rating, "level")), 4);
    assert_string_equal(str(rating, "evidence"), "季度回访记录完整");
    run_ladder(&r, NULL, "assess", "rate", id, "value-selling", "2", NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "value-selling rated 2"));

    run_ladder(&r, NULL, "assess", "answer", id, "q-rm-01", "c", "--json",
               NULL);
    assert_int_equal(r.code, 0);
    assert_string_equal(str(json_object_get(r.json, "answers"), "q-rm-01"),
                        "c");
    run_ladder(&r, NULL, "assess", "test", id, "solution-selling", "85",
               "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_true(json_is_integer(
        json_object_get(json_object_get(r.json, "tests"), "solution-selling")));
    run_ladder(&r, NULL, "assess", "test", id, "needs-insight", "72.5",
               "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_true(
        json_number_value(json_object_get(json_object_get(r.json, "tests"),
                                          "needs-insight")) == 72.5);
    run_ladder(&r, NULL, "assess", "perf", id, "78", "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(json_integer_value(json_object_get(r.json, "performance")),
                     78);
    /* the 2 people, and the draft with its 3 rates, answer, 2 tests and
     * perf as one change: they came in a row, unsent */
    assert_int_equal(pending(&r), 3);
    run_release(&r);
}

/* A draft of E1001 with two ratings, an answer, a test and performance. */
static void filled_draft(struct run *r, char id[64])
{
    new_draft(r, id);
    run_ladder(r, NULL, "assess", "rate", id, "relationship-maintenance", "4",
               "--evidence", "季度回访记录完整", NULL);
    assert_int_equal(r->code, 0);
    run_ladder(r, NULL, "assess", "rate", id, "value-selling", "2", NULL);
    assert_int_equal(r->code, 0);
    run_ladder(r, NULL, "assess", "answer", id, "q-rm-01", "c", NULL);
    assert_int_equal(r->code, 0);
    run_ladder(r, NULL, "assess", "test", id, "solution-selling", "85", NULL);
    assert_int_equal(r->code, 0);
    run_ladder(r, NULL, "assess", "perf", id, "78", NULL);
    assert_int_equal(r->code, 0);
}

static void test_assess__show_list_submit(void **state)
{
    struct run r = {0};
    char id[64];

    (void)state;
    start_day(&r);
    filled_draft(&r, id);
    /* show: header, one row per competency of the model, the rest */
    run_ladder(&r, NULL, "assess", "show", id, NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "subject      E1001 王芳"));
    assert_non_null(strstr(r.out, "model        account-manager@"));
    assert_non_null(strstr(r.out, "grade        am2 二级客户经理"));
    assert_non_null(strstr(r.out, "客户关系维系"));
    assert_non_null(strstr(r.out, "精通"));
    assert_non_null(strstr(r.out, "季度回访记录完整"));
    assert_non_null(strstr(r.out, "fast-response"));
    assert_non_null(strstr(r.out, "answers      1 of 48 questions"));
    assert_non_null(strstr(r.out, "solution-selling 85"));
    assert_non_null(strstr(r.out, "performance  78"));

    run_ladder(&r, NULL, "assess", "list", "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(json_array_size(r.json), 1);
    assert_string_equal(str(json_array_get(r.json, 0), "name"), "王芳");
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(r.json, 0), "rated")),
        2);
    assert_true(
        json_is_null(json_object_get(json_array_get(r.json, 0), "submitted")));

    run_ladder(&r, NULL, "assess", "submit", id, "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_string_equal(str(r.json, "state"), "submitted");
    assert_int_equal(strlen(str(r.json, "submitted")), 24);

    run_ladder(&r, NULL, "assess", "list", "--state", "submitted", "--json",
               NULL);
    assert_int_equal(json_array_size(r.json), 1);
    run_ladder(&r, NULL, "assess", "list", "--state", "draft", "--json", NULL);
    assert_int_equal(json_array_size(r.json), 0);
    run_ladder(&r, NULL, "assess", "list", "--subject", "E1002", "--json",
               NULL);
    assert_int_equal(json_array_size(r.json), 0);

    /* the table lines up by display width: 王芳 takes four columns */
    run_ladder(&r, NULL, "assess", "list", NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(
        strstr(r.out, "E1001    王芳  manager  am2    submitted  2"));
    run_release(&r);
}

static void test_assess__refusals_change_nothing(void **state)
{
    struct run r = {0};
    char id[64];

    (void)state;
    start_day(&r);
    new_draft(&r, id);
    REFUSED(&r, id, 1, "nothing entered yet", "assess", "submit", id);
    REFUSED(&r, id, 1, "/ratings/negotiation: unknown competency 'negotiation'",
            "assess", "rate", id, "negotiation", "3");
    REFUSED(&r, id, 1,
            "/ratings/relationship-maintenance/level: level 7 is not on the "
            "scale 1..5",
            "assess", "rate", id, "relationship-maintenance", "7");
    REFUSED(&r, id, 1, "level 0 is not on the scale", "assess", "rate", id,
            "relationship-maintenance", "0");
    REFUSED(&r, id, 2, "expected a whole number", "assess", "rate", id,
            "relationship-maintenance", "3.5");
    REFUSED(&r, id, 1, "/answers/q-zz-99: unknown question 'q-zz-99'", "assess",
            "answer", id, "q-zz-99", "a");
    REFUSED(&r, id, 1, "/answers/q-rm-01: choice 'e' is not among", "assess",
            "answer", id, "q-rm-01", "e");
    REFUSED(&r, id, 1, "/tests/solution-selling", "assess", "test", id,
            "solution-selling", "101");
    REFUSED(&r, id, 1, "unknown competency 'typing'", "assess", "test", id,
            "typing", "50");
    REFUSED(&r, id, 1, "/performance: expected a number 0..100", "assess",
            "perf", id, "--", "-5");
    REFUSED(&r, id, 2, "SCORE '12abc'", "assess", "perf", id, "12abc");
    REFUSED(&r, id, 2, "SCORE 'nan'", "assess", "perf", id, "nan");
    REFUSED(&r, id, 2, "SCORE 'inf'", "assess", "test", id, "solution-selling",
            "inf");
    REFUSED(&r, id, 2, "SCORE '0x10'", "assess", "perf", id, "0x10");
    REFUSED(&r, id, 1,
            "no assessment 'ffffffff' on this laptop: list them with 'ladder "
            "assess list'",
            "assess", "rate", "ffffffff", "relationship-maintenance", "3");
    REFUSED(&r, id, 2, "at least its first or last 8", "assess", "show", "abc");
    REFUSED(&r, id, 1,
            "E9999 is not on the roster: add them first with 'ladder person "
            "add --id E9999",
            "assess", "new", "--subject", "E9999", "--model",
            "account-manager");
    REFUSED(&r, id, 2, "option '--evidence' does not apply", "assess", "answer",
            id, "q-rm-01", "a", "--evidence", "x");

    /* once submitted, nothing more is taken */
    run_ladder(&r, NULL, "assess", "perf", id, "60", NULL);
    assert_int_equal(r.code, 0);
    run_ladder(&r, NULL, "assess", "submit", id, NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "0 of 14 competencies rated"));
    REFUSED(&r, id, 1, "it can no longer be edited", "assess", "rate", id,
            "relationship-maintenance", "3");
    REFUSED(&r, id, 1, "HR can reopen it at the hub", "assess", "rate", id,
            "value-selling", "2", "--evidence", "x");
    REFUSED(&r, id, 1, "/answers: assessment was submitted", "assess", "answer",
            id, "q-rm-01", "c");
    REFUSED(&r, id, 1, "/performance: assessment was submitted", "assess",
            "perf", id, "90");
    REFUSED(&r, id, 1, "already submitted", "assess", "submit", id);
    REFUSED(&r, id, 1, "was submitted", "assess", "interactive", id);
    run_release(&r);
}

static void test_assess__ambiguous_prefix_is_refused(void **state)
{
    struct run r = {0};
    char a[64], b[64], prefix[16];

    (void)state;
    start_day(&r);
    new_draft(&r, a);
    new_draft(&r, b);
    /* the leading digits are a time stamp: made close together, the two
     * share them unless a 65-second boundary fell between */
    snprintf(prefix, sizeof prefix, "%.8s", a);
    if (strncmp(a, b, 8) == 0) {
        run_ladder(&r, NULL, "assess", "show", prefix, NULL);
        assert_int_equal(r.code, 1);
        assert_non_null(strstr(r.err, "ambiguous"));
    }
    run_ladder(&r, NULL, "assess", "show", b + 28, "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_string_equal(str(r.json, "id"), b);
    run_release(&r);
}

static const json_t *rating_of(const json_t *a, const char *competency)
{
    return json_object_get(json_object_get(a, "ratings"), competency);
}

static void test_assess__interactive_piped(void **state)
{
    struct run r = {0};
    char id[64];
    json_int_t before;
    const json_t *x;

    (void)state;
    start_day(&r);
    new_draft(&r, id);
    before = pending(&r);
    /* rate the first with evidence, skip the second, rate the third
     * without evidence, stop at the fourth */
    run_ladder(&r, "3\n季度回访记录完整\n\n5\n\nq\n", "assess", "interactive",
               id, NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "[1/14] 客户关系维系"));
    assert_non_null(strstr(r.out, "  1 入门: 在指导下按拜访计划走访客户"));
    assert_non_null(strstr(r.out, "  5 专家: "));
    assert_non_null(strstr(r.out, "level (1-5, Enter to skip, q to stop): "));
    assert_non_null(strstr(r.out, "evidence (optional): "));
    assert_non_null(strstr(r.out, "[4/14]"));
    assert_null(strstr(r.out, "[5/14]"));
    assert_non_null(strstr(r.out, "saved 2 ratings, skipped 1"));
    assert_int_equal(pending(&r), before); /* joined to the new draft's */

    run_ladder(&r, NULL, "assess", "show", id, "--json", NULL);
    x = rating_of(r.json, "relationship-maintenance");
    assert_int_equal(json_integer_value(json_object_get(x, "level")), 3);
    assert_string_equal(str(x, "evidence"), "季度回访记录完整");
    assert_null(rating_of(r.json, "key-person-relationship"));
    x = rating_of(r.json, "proactive-care");
    assert_int_equal(json_integer_value(json_object_get(x, "level")), 5);
    assert_null(json_object_get(x, "evidence"));
    assert_null(rating_of(r.json, "customer-retention"));

    /* the end of input stops too, keeping a level given just before it;
     * CRLF line ends are fine; the current rating is shown */
    run_ladder(&r, "\r\n2", "assess", "interactive", id, NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "now: 3 胜任 - 季度回访记录完整"));
    assert_non_null(strstr(r.out, "saved 1 rating, skipped 1"));
    run_ladder(&r, NULL, "assess", "show", id, "--json", NULL);
    x = rating_of(r.json, "key-person-relationship");
    assert_int_equal(json_integer_value(json_object_get(x, "level")), 2);
    x = rating_of(r.json, "relationship-maintenance");
    assert_int_equal(json_integer_value(json_object_get(x, "level")), 3);

    /* no input at all: nothing saved, no error */
    run_ladder(&r, "", "assess", "interactive", id, NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "saved 0 ratings"));
    run_release(&r);
}

static void test_assess__interactive_bad_line_is_an_error(void **state)
{
    struct run r = {0};
    char id[64];
    json_int_t before;

    (void)state;
    start_day(&r);
    new_draft(&r, id);
    before = pending(&r);
    run_ladder(&r, "4\nok\n\nsix\n", "assess", "interactive", id, NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "line 4: 'six' is not a level 1..5"));
    assert_non_null(strstr(r.err, "1 rating before it was saved"));
    assert_int_equal(pending(&r), before); /* joined to the new draft's */
    run_ladder(&r, NULL, "assess", "show", id, "--json", NULL);
    assert_int_equal(
        json_integer_value(json_object_get(
            rating_of(r.json, "relationship-maintenance"), "level")),
        4);
    run_ladder(&r, "9\n", "assess", "interactive", id, NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "line 1: '9'"));
    assert_int_equal(pending(&r), before);
    run_release(&r);
}

static void test_assess__usage_and_help(void **state)
{
    struct run r = {0};

    (void)state;
    run_ladder(&r, NULL, "help", "assess", NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "ladder assess interactive ID"));
    assert_non_null(strstr(r.out, "ladder assess list [--subject ID]"));
    assert_non_null(strstr(r.out, "\"rated\""));
    run_ladder(&r, NULL, "assess", "rate", "--help", NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "ladder assess answer ID QUESTION CHOICE"));
    run_ladder(&r, NULL, "assess", NULL);
    assert_int_equal(r.code, 2);
    run_ladder(&r, NULL, "assess", "grade", NULL);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "unknown subcommand 'grade'"));
    run_ladder(&r, NULL, "assess", "rate", "0123456789", "x", NULL);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "expected 3 arguments, got 2"));
    assert_non_null(strstr(r.err, "usage: ladder assess rate ID COMPETENCY"));
    run_ladder(&r, NULL, "assess", "list", "--state", "open", NULL);
    assert_int_equal(r.code, 2);
    run_ladder(&r, NULL, "assess", "show", "--frob", NULL);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "unknown option '--frob'"));
    /* usage is checked before the database is needed */
    run_ladder(&r, NULL, "assess", "list", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "ladder init"));
    run_release(&r);
}

/*
 * Unsent writes to one record in a row join one change (the outbox's
 * last); a write to another record in between starts a new one, and each
 * write is kept at once either way.
 */
static void test_assess__a_sitting_is_one_change(void **state)
{
    struct run r = {0};
    char id[64];
    json_int_t before;
    const json_t *x;

    (void)state;
    start_day(&r);
    before = pending(&r);
    new_draft(&r, id);
    run_ladder(&r, NULL, "assess", "rate", id, "value-selling", "2", NULL);
    run_ladder(&r, NULL, "assess", "rate", id, "value-selling", "3",
               "--evidence", "续约谈判", NULL);
    run_ladder(&r, NULL, "assess", "perf", id, "81", NULL);
    assert_int_equal(pending(&r), before + 1);
    run_ladder(&r, NULL, "note", "add", "--subject", "E1001", "复盘", NULL);
    assert_int_equal(r.code, 0);
    run_ladder(&r, NULL, "assess", "rate", id, "proactive-care", "4", NULL);
    assert_int_equal(pending(&r), before + 3);
    run_ladder(&r, NULL, "assess", "show", id, "--json", NULL);
    x = rating_of(r.json, "value-selling");
    assert_int_equal(json_integer_value(json_object_get(x, "level")), 3);
    assert_string_equal(str(x, "evidence"), "续约谈判");
    x = rating_of(r.json, "proactive-care");
    assert_int_equal(json_integer_value(json_object_get(x, "level")), 4);
    assert_int_equal(json_integer_value(json_object_get(r.json, "performance")),
                     81);
    run_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_assess__new_pins_model_version_and_grade, harness_setup,
            harness_teardown),
        cmocka_unit_test_setup_teardown(test_assess__rate_answer_test_perf,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_assess__show_list_submit,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_assess__refusals_change_nothing,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(
            test_assess__ambiguous_prefix_is_refused, harness_setup,
            harness_teardown),
        cmocka_unit_test_setup_teardown(test_assess__interactive_piped,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(
            test_assess__interactive_bad_line_is_an_error, harness_setup,
            harness_teardown),
        cmocka_unit_test_setup_teardown(test_assess__usage_and_help,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_assess__a_sitting_is_one_change,
                                        harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
