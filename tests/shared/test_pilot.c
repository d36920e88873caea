#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ladder/err.h"
#include "ladder/model.h"
#include "pilot.h"

/*
 * tests/data/model-demo.json: scale 1..3, grades g1 and g2, competencies
 * relationship-maintenance and value-selling. The roster below holds
 * E1001 .. E1006.
 */

#define RM "relationship-maintenance"
#define VS "value-selling"

static struct ldr_model *model;

static int load_model(void **state)
{
    struct ldr_err err = {0};

    (void)state;
    if (ldr_model_load(&model, LADDER_TEST_DATA "/model-demo.json", NULL, &err))
        fprintf(stderr, "model-demo.json: %s\n", err.msg);
    return model ? 0 : -1;
}

static int free_model(void **state)
{
    (void)state;
    ldr_model_free(model);
    return 0;
}

static bool on_roster(void *ctx, const char *id)
{
    static const char *const roster[] = {"E1001", "E1002", "E1003",
                                         "E1004", "E1005", "E1006"};

    if (ctx)
        ++*(size_t *)ctx;
    for (size_t i = 0; i < sizeof roster / sizeof *roster; i++)
        if (strcmp(roster[i], id) == 0)
            return true;
    return false;
}

static bool everyone(void *ctx, const char *id)
{
    (void)ctx;
    (void)id;
    return true;
}

static int parse(struct pilot_file *f, const char *csv, struct ldr_err *err)
{
    return pilot_parse(f, "test.csv", csv, strlen(csv), model, on_roster, NULL,
                       err);
}

/* Fails unless the problems are exactly `want` (NULL-terminated). */
static void assert_problems(const struct pilot_file *f, const char *const *want)
{
    char text[1200];
    size_t n = 0;
    bool same = true;

    while (want[n])
        n++;
    for (size_t i = 0; i < n && i < f->nproblems; i++)
        same = same &&
               strcmp(pilot_problem_text(&f->problems[i], text, sizeof text),
                      want[i]) == 0;
    if (same && n == f->nproblems)
        return;
    for (size_t i = 0; i < f->nproblems; i++)
        fprintf(stderr, "got:  %s\n",
                pilot_problem_text(&f->problems[i], text, sizeof text));
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "want: %s\n", want[i]);
    fail_msg("%zu problems, want %zu (see above)", f->nproblems, n);
}

/* Parses `csv`, which must fail with exactly the problems `want`. */
static void assert_refused(const char *csv, const char *const *want)
{
    struct pilot_file f;
    struct ldr_err err = {0};

    assert_int_equal(parse(&f, csv, &err), LDR_EINVAL);
    assert_problems(&f, want);
    pilot_release(&f);
}

static char *write_temp(const char *data, size_t len)
{
    static char path[64];
    FILE *fp;
    int fd;

    strcpy(path, "/tmp/test_pilot.XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    fp = fdopen(fd, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    return path;
}

static const struct pilot_rating *rating(const struct pilot_row *row, size_t i,
                                         const char *competency)
{
    assert_true(i < row->nratings);
    assert_string_equal(row->ratings[i].competency, competency);
    return &row->ratings[i];
}

static void test_pilot__excel_file_with_bom_crlf_and_quoted_newline(void **s)
{
    /* Excel's "CSV UTF-8": a BOM, CRLF, a quoted cell with a comma and a
     * line break; a blank line; "70%" as a percentage cell shows it. */
    const char csv[] =
        "\xef\xbb\xbfsubject,\" assessor \",grade,performance," RM
        ",evidence:" RM ",test:" VS "," VS "\r\n"
        "E1001,zhang.min,g2,78,3,\"按计划拜访客户，并记录, 要点\r\n"
        "第二行 \"\"重点\"\"\",85,2\r\n"
        "E1002,zhang.min,,,2,,,\r\n"
        "\r\n"
        ",,,,,,,\r\n"
        "E1003, li.wei ,g1,90.5,,,70%,\r\n";
    struct ldr_err err = {0};
    const struct pilot_rating *g;
    struct pilot_file f;
    size_t calls = 0;
    char *path = write_temp(csv, sizeof csv - 1);
    int rc = pilot_read(&f, path, model, on_roster, &calls, &err);

    (void)s;
    unlink(path);
    assert_problems(&f, (const char *const[]){NULL});
    assert_int_equal(rc, 0);
    assert_int_equal(f.nrows, 3);
    assert_int_equal(calls, 3);

    assert_int_equal(f.rows[0].line, 2);
    assert_string_equal(f.rows[0].subject, "E1001");
    assert_string_equal(f.rows[0].assessor, "zhang.min");
    assert_string_equal(f.rows[0].grade, "g2");
    assert_true(f.rows[0].has_performance);
    assert_true(f.rows[0].performance == 78);
    assert_int_equal(f.rows[0].nratings, 2);
    g = rating(&f.rows[0], 0, RM);
    assert_true(g->has_level);
    assert_int_equal(g->level, 3);
    assert_false(g->has_test);
    assert_string_equal(g->evidence,
                        "按计划拜访客户，并记录, 要点\n第二行 \"重点\"");
    g = rating(&f.rows[0], 1, VS);
    assert_int_equal(g->level, 2);
    assert_true(g->has_test);
    assert_true(g->test == 85);
    assert_null(g->evidence);

    assert_int_equal(f.rows[1].line, 4);
    assert_null(f.rows[1].grade);
    assert_false(f.rows[1].has_performance);
    assert_int_equal(f.rows[1].nratings, 1);
    assert_int_equal(rating(&f.rows[1], 0, RM)->level, 2);

    assert_int_equal(f.rows[2].line, 7);
    assert_string_equal(f.rows[2].assessor, "li.wei");
    assert_true(f.rows[2].performance == 90.5);
    assert_int_equal(f.rows[2].nratings, 1);
    g = rating(&f.rows[2], 0, VS);
    assert_false(g->has_level);
    assert_true(g->has_test);
    assert_true(g->test == 70);
    pilot_release(&f);
    pilot_release(&f); /* twice is harmless */
}

static void test_pilot__lf_cr_and_no_final_newline(void **s)
{
    struct ldr_err err = {0};
    struct pilot_file f;

    (void)s;
    assert_int_equal(
        parse(&f, "SUBJECT,Assessor," RM "\rE1001,a,1\n\nE1002,a,2.0", &err),
        0);
    assert_int_equal(f.nrows, 2);
    assert_int_equal(f.rows[0].line, 2);
    assert_int_equal(f.rows[1].line, 4);
    assert_string_equal(f.rows[1].subject, "E1002");
    assert_int_equal(rating(&f.rows[1], 0, RM)->level, 2);
    pilot_release(&f);
}

static void test_pilot__fixture_files(void **s)
{
    struct ldr_err err = {0};
    struct pilot_file f;

    (void)s;
    assert_int_equal(pilot_read(&f, LADDER_TEST_DATA "/pilot-good.csv", model,
                                on_roster, NULL, &err),
                     0);
    assert_int_equal(f.nrows, 3);
    assert_int_equal(f.rows[2].line, 4);
    assert_string_equal(f.rows[2].subject, "E1003");
    assert_false(f.rows[2].has_performance);
    assert_string_equal(rating(&f.rows[2], 0, RM)->evidence,
                        "陪访三次：\n能按计划拜访");
    assert_true(rating(&f.rows[2], 1, VS)->test == 60);
    pilot_release(&f);
    assert_int_equal(pilot_read(&f, LADDER_TEST_DATA "/pilot-bad.csv", model,
                                on_roster, NULL, &err),
                     LDR_EINVAL);
    assert_problems(
        &f,
        (const char *const[]){
            "line 1: unknown column 'negotiation'; the columns are subject, "
            "assessor, grade, performance and, for each competency C of "
            "model demo, C, test:C and evidence:C; its competencies: " RM
            ", " VS,
            "line 3: column '" RM "': level 4 is not on the scale 1..3 of "
            "model demo",
            "line 4: subject 'E9999' is not on the roster; add them with "
            "'ladder person add' first",
            "line 5: subject 'E1001' is already on line 2; one row per person",
            "line 6: no subject; give the person's id in column 'subject'",
            "line 7: column 'performance': performance 171 is outside 0..100",
            "line 7: column 'grade': grade 'g3' is not defined; grades: g1, g2",
            NULL});
    pilot_release(&f);
}

static void test_pilot__every_bad_row_listed(void **s)
{
    const char csv[] =
        "subject,assessor,grade,performance," RM ",test:" VS ",negotiation\n"
        "E1001,zhang.min,g1,80,2,75,\n"
        "E1002,zhang.min,g1,80,6,75,\n"
        "E9999,zhang.min,g1,80,2,75,\n"
        "E1001,zhang.min,g1,80,2,75,\n"
        "E1003,zhang.min,g1,80,2,120,\n"
        ",zhang.min,g1,80,2,75,\n"
        "E1004,zhang.min,g1,80,\"bad \xff\",75,\n"
        "E1005,zhang.min,g9,abc,x,75,\n"
        "E1006,li wei,g1,80,1,50,,5\n";
    struct ldr_err err = {0};
    struct pilot_file f;

    (void)s;
    assert_int_equal(parse(&f, csv, &err), LDR_EINVAL);
    assert_string_equal(err.msg,
                        "'test.csv': 12 problems; nothing was imported");
    assert_int_equal(f.problems_total, 12);
    assert_problems(
        &f,
        (const char *const[]){
            "line 1: unknown column 'negotiation'; the columns are subject, "
            "assessor, grade, performance and, for each competency C of "
            "model demo, C, test:C and evidence:C; its competencies: " RM
            ", " VS,
            "line 3: column '" RM "': level 6 is not on the scale 1..3 of "
            "model demo",
            "line 4: subject 'E9999' is not on the roster; add them with "
            "'ladder person add' first",
            "line 5: subject 'E1001' is already on line 2; one row per person",
            "line 6: column 'test:" VS "': test score 120 is outside 0..100",
            "line 7: no subject; give the person's id in column 'subject'",
            "line 8: invalid UTF-8 at byte 28 of the line; save the file as "
            "'CSV UTF-8 (comma delimited)'",
            "line 9: column 'performance': 'abc' is not a number; give "
            "performance 0..100",
            "line 9: column '" RM "': 'x' is not a level; give a whole number "
            "1..3",
            "line 9: column 'grade': grade 'g9' is not defined; grades: g1, g2",
            "line 10: 8 cells, but the header names 7 columns; quote a value "
            "that contains a comma",
            "line 10: assessor 'li wei' is not a user id (1..64 of A-Z a-z "
            "0-9 . _ -)",
            NULL});
    pilot_release(&f);
}

static void test_pilot__header_problems(void **s)
{
    (void)s;
    assert_refused(
        "subject,assessor," RM ",test:" VS ",test:nope,evidence:" VS ", " RM
        " ,,\n"
        "E1001,a,1,50,,,,\n",
        (const char *const[]){
            "line 1: unknown column 'test:nope'; the columns are subject, "
            "assessor, grade, performance and, for each competency C of "
            "model demo, C, test:C and evidence:C; its competencies: " RM
            ", " VS,
            "line 1: column '" RM "' is repeated: it is column 3 (C) and "
            "again column 7 (G)",
            NULL});
    assert_refused("name,assessor," RM "\nE1001,a,1\n",
                   (const char *const[]){
                       "line 1: unknown column 'name'; the columns are "
                       "subject, assessor, grade, performance and, for each "
                       "competency C of model demo, C, test:C and "
                       "evidence:C; its competencies: " RM ", " VS,
                       "line 1: no 'subject' column; the first row must name "
                       "the columns, e.g. "
                       "subject,assessor,grade,performance," RM,
                       NULL});
}

static void test_pilot__cell_problems(void **s)
{
    static const struct {
        const char *row;
        const char *problem;
    } cases[] = {
        {"E1001,,1,,,", "line 2: no assessor; give the user id in column "
                        "'assessor'"},
        {"bad id,a,1,,,", "line 2: subject 'bad id' is not a person id "
                          "(1..64 of A-Z a-z 0-9 . _ -)"},
        {"E1001,a,2.5,,,", "line 2: column '" RM "': '2.5' is not a level; "
                           "give a whole number 1..3"},
        {"E1001,a,0,,,",
         "line 2: column '" RM "': level 0 is not on the scale 1..3 of model "
         "demo"},
        {"E1001,a,,,,", "line 2: no results for 'E1001'; give a level, a test "
                        "score or performance"},
        {"E1001,a,,50,ok,",
         "line 2: column 'evidence:" RM "': evidence without "
         "a level in column '" RM "'"},
        {"E1001,a,1,1e3,,", "line 2: column 'test:" VS "': '1e3' is not a "
                            "number; give a test score 0..100"},
        {"E1001,a,1,-1,,", "line 2: column 'test:" VS "': test score -1 is "
                           "outside 0..100"},
        {"E1001,a,1,,,7", "line 2: a value in column 6 (F), which has no name "
                          "in the header"},
        {"E1001,a,1,\"x\"y,,",
         "line 2: not valid CSV: a quote inside a field that does not start "
         "with one, or text after a closing quote; quote the whole field and "
         "double the quotes inside it"},
        {"E1001,a,1,,\"never\nclosed",
         "line 2: a quoted field that starts on this row never ends; add the "
         "closing quote"},
    };
    char csv[256];

    (void)s;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(csv, sizeof csv,
                 "subject,assessor,%s,test:%s,evidence:%s,\n%s\n", RM, VS, RM,
                 cases[i].row);
        assert_refused(csv, (const char *const[]){cases[i].problem, NULL});
    }
}

static void test_pilot__nul_byte_refused(void **s)
{
    const char csv[] = "subject,assessor," RM "\nE1001,a\0b,1\n";
    struct ldr_err err = {0};
    struct pilot_file f;

    (void)s;
    assert_int_equal(pilot_parse(&f, "nul.csv", csv, sizeof csv - 1, model,
                                 on_roster, NULL, &err),
                     LDR_EINVAL);
    assert_problems(&f, (const char *const[]){"line 2: a NUL byte; this is "
                                              "not a CSV text file",
                                              NULL});
    pilot_release(&f);
}

static void test_pilot__long_evidence_refused(void **s)
{
    size_t n = PILOT_MAX_EVIDENCE + 1;
    char *csv = malloc(n + 100), want[200];
    int k = sprintf(csv, "subject,assessor,%s,evidence:%s\nE1001,a,1,", RM, RM);

    (void)s;
    memset(csv + k, 'x', n);
    strcpy(csv + k + n, "\n");
    snprintf(want, sizeof want,
             "line 2: column 'evidence:%s': the evidence is %zu bytes; at "
             "most %d fit",
             RM, n, PILOT_MAX_EVIDENCE);
    assert_refused(csv, (const char *const[]){want, NULL});
    free(csv);
}

static void test_pilot__empty_and_header_only(void **s)
{
    static const char *const empty[] = {"", "\xef\xbb\xbf", "\r\n\n  \n"};
    static const char *const no_rows[] = {"subject,assessor," RM "\r\n",
                                          "\xef\xbb\xbfsubject,assessor\n,,\n"};

    (void)s;
    for (size_t i = 0; i < 3; i++)
        assert_refused(empty[i],
                       (const char *const[]){
                           "the file is empty; the first row must name the "
                           "columns (subject, assessor, ...) and each further "
                           "row holds one person's results",
                           NULL});
    for (size_t i = 0; i < 2; i++)
        assert_refused(no_rows[i],
                       (const char *const[]){"line 1: no rows below the "
                                             "header; add one row per person",
                                             NULL});
    assert_refused("\xff\xfes\0u\0",
                   (const char *const[]){"the file is UTF-16; save it as 'CSV "
                                         "UTF-8 (comma delimited)'",
                                         NULL});
}

static void test_pilot__size_limit(void **s)
{
    size_t n = PILOT_MAX_BYTES + 1;
    char *data = malloc(n), *path;
    struct ldr_err err = {0};
    struct pilot_file f;

    (void)s;
    memset(data, '\n', n);
    path = write_temp(data, n);
    assert_int_equal(pilot_read(&f, path, model, on_roster, NULL, &err),
                     LDR_ETOOBIG);
    assert_non_null(strstr(err.msg, "is over 16 MiB"));
    assert_int_equal(
        pilot_parse(&f, "big.csv", data, n, model, on_roster, NULL, &err),
        LDR_ETOOBIG);
    pilot_release(&f);
    unlink(path);
    free(data);
    assert_int_equal(
        pilot_read(&f, "/nonexistent/pilot.csv", model, on_roster, NULL, &err),
        LDR_EIO);
    assert_non_null(strstr(err.msg, "cannot open '/nonexistent/pilot.csv'"));
}

/* `rows` distinct subjects, each `bad` one with level 9. */
static char *many_rows(size_t rows, bool bad, size_t *len)
{
    char *csv = malloc(rows * 32 + 64);
    size_t n = (size_t)sprintf(csv, "subject,assessor,%s\n", RM);

    for (size_t i = 0; i < rows; i++)
        n += (size_t)sprintf(csv + n, "P%zu,a,%d\n", i, bad ? 9 : 1);
    *len = n;
    return csv;
}

static void test_pilot__row_limit(void **s)
{
    struct ldr_err err = {0};
    struct pilot_file f;
    size_t len;
    char *csv = many_rows(PILOT_MAX_ROWS, false, &len);

    (void)s;
    assert_int_equal(
        pilot_parse(&f, "many.csv", csv, len, model, everyone, NULL, &err), 0);
    assert_int_equal(f.nrows, PILOT_MAX_ROWS);
    assert_int_equal(f.rows[PILOT_MAX_ROWS - 1].line, PILOT_MAX_ROWS + 1);
    pilot_release(&f);
    free(csv);
    csv = many_rows(PILOT_MAX_ROWS + 1, false, &len);
    assert_int_equal(
        pilot_parse(&f, "many.csv", csv, len, model, everyone, NULL, &err),
        LDR_ETOOBIG);
    assert_string_equal(err.msg, "'many.csv' has more than 100000 rows; split "
                                 "it into files of at most 100000 rows");
    pilot_release(&f);
    free(csv);
}

static void test_pilot__problems_capped(void **s)
{
    struct ldr_err err = {0};
    struct pilot_file f;
    size_t len;
    char *csv = many_rows(1500, true, &len);

    (void)s;
    assert_int_equal(
        pilot_parse(&f, "bad.csv", csv, len, model, everyone, NULL, &err),
        LDR_EINVAL);
    assert_int_equal(f.problems_total, 1500);
    assert_int_equal(f.nproblems, PILOT_MAX_PROBLEMS + 1);
    assert_int_equal(f.problems[PILOT_MAX_PROBLEMS - 1].line,
                     PILOT_MAX_PROBLEMS + 1);
    assert_int_equal(f.problems[PILOT_MAX_PROBLEMS].line, 0);
    assert_string_equal(f.problems[PILOT_MAX_PROBLEMS].message,
                        "... and 500 more problems");
    assert_string_equal(err.msg, "'bad.csv': 1500 problems; nothing was "
                                 "imported");
    pilot_release(&f);
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_pilot__excel_file_with_bom_crlf_and_quoted_newline),
        cmocka_unit_test(test_pilot__lf_cr_and_no_final_newline),
        cmocka_unit_test(test_pilot__fixture_files),
        cmocka_unit_test(test_pilot__every_bad_row_listed),
        cmocka_unit_test(test_pilot__header_problems),
        cmocka_unit_test(test_pilot__cell_problems),
        cmocka_unit_test(test_pilot__nul_byte_refused),
        cmocka_unit_test(test_pilot__long_evidence_refused),
        cmocka_unit_test(test_pilot__empty_and_header_only),
        cmocka_unit_test(test_pilot__size_limit),
        cmocka_unit_test(test_pilot__row_limit),
        cmocka_unit_test(test_pilot__problems_capped),
    };

    return cmocka_run_group_tests(tests, load_model, free_model);
}
