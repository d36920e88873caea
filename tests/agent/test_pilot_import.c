/* ladder pilot import|list as a trainer runs it: all or nothing, every bad
 * row listed with its line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "harness.h"

#define MODEL "schema/models/account-manager.json"

static json_int_t pending(struct run *r)
{
    run_ladder(r, NULL, "status", "--json", NULL);
    return json_integer_value(
        json_object_get(json_object_get(r->json, "outbox"), "pending"));
}

static int setup(void **state)
{
    static const char *const people[][4] = {{"E1001", "王芳", "north", "am2"},
                                            {"E1002", "张伟", "north", "am1"},
                                            {"E1003", "Li Na", "south", "am3"}};
    struct run r = {0};

    (void)state;
    harness_tmpdir();
    run_ladder(&r, NULL, "init", "--user", "zhang.min", NULL);
    run_ladder(&r, NULL, "model", "import", harness_source(MODEL), NULL);
    for (size_t i = 0; i < 3; i++) {
        run_ladder(&r, NULL, "person", "add", "--id", people[i][0], "--name",
                   people[i][1], "--unit", people[i][2], "--grade",
                   people[i][3], NULL);
        assert_int_equal(r.code, 0);
    }
    run_release(&r);
    return 0;
}

/* As Excel writes "CSV UTF-8": a BOM and CRLF; quoted evidence with a
 * comma and a line break. */
static const char good[] =
    "\xef\xbb\xbfsubject,assessor,grade,performance,relationship-maintenance,"
    "evidence:relationship-maintenance,test:customer-retention\r\n"
    "E1001,zhang.min,am2,82,3,\"季度回访记录完整, 客户满意度高\",90\r\n"
    "E1002,zhang.min,,71,2,\"陪访三次：\r\n能按计划拜访\",\r\n"
    "E1003,li.wei,am3,,4,,65\r\n";

static void
test_pilot_import__good_file_becomes_submitted_assessments(void **state)
{
    struct run r = {0};
    json_int_t before;
    const json_t *a;
    size_t i;

    (void)state;
    before = pending(&r);
    run_ladder(&r, NULL, "pilot", "import", harness_file("good.csv", good),
               "--pilot", "2026-Q4 北区试点", "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(json_integer_value(json_object_get(r.json, "rows")), 3);
    assert_int_equal(json_array_size(json_object_get(r.json, "assessments")),
                     3);
    assert_int_equal(pending(&r), before + 4); /* the pilot and 3 rows */

    run_ladder(&r, NULL, "pilot", "list", "--json", NULL);
    assert_int_equal(json_array_size(r.json), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(r.json, 0), "name")),
        "2026-Q4 北区试点");

    /* E1002's row has no grade: the roster's am1 is used */
    run_ladder(&r, NULL, "person", "show", "E1002", "--json", NULL);
    json_array_foreach(json_object_get(r.json, "assessments"), i, a)
    {
        assert_string_equal(json_string_value(json_object_get(a, "kind")),
                            "pilot");
        assert_string_equal(json_string_value(json_object_get(a, "state")),
                            "submitted");
        assert_string_equal(json_string_value(json_object_get(a, "grade")),
                            "am1");
    }
    assert_int_equal(json_array_size(json_object_get(r.json, "assessments")),
                     1);
    run_release(&r);
}

static void
test_pilot_import__bad_file_lists_every_row_and_imports_nothing(void **state)
{
    static const char bad[] =
        "subject,assessor,relationship-maintenance,test:value-selling\n"
        "E1001,zhang.min,3,80\n"
        "E1002,zhang.min,6,\n"
        "E9999,zhang.min,2,\n"
        "E1003,zhang.min,2,101\n"
        "E1001,zhang.min,1,\n";
    struct run r = {0};
    json_int_t before;

    (void)state;
    before = pending(&r);
    run_ladder(&r, NULL, "pilot", "import", harness_file("bad.csv", bad),
               "--pilot", "q4", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.out, "line 3: column 'relationship-maintenance'"));
    assert_non_null(strstr(r.out, "line 4: subject 'E9999' is not on the "
                                  "roster"));
    assert_non_null(strstr(r.out, "line 5: column 'test:value-selling'"));
    assert_non_null(strstr(r.out, "line 6:"));
    assert_null(strstr(r.out, "line 2:"));
    assert_non_null(strstr(r.err, "nothing was imported"));
    assert_int_equal(pending(&r), before);

    run_ladder(&r, NULL, "pilot", "import", harness_file("bad.csv", bad),
               "--pilot", "q4", "--json", NULL);
    assert_int_equal(r.code, 1);
    assert_false(json_is_true(json_object_get(r.json, "ok")));
    assert_int_equal(json_array_size(json_object_get(r.json, "problems")), 4);
    assert_int_equal(
        json_integer_value(json_object_get(
            json_array_get(json_object_get(r.json, "problems"), 0), "line")),
        3);
    run_ladder(&r, NULL, "pilot", "list", "--json", NULL);
    assert_int_equal(json_array_size(r.json), 0);
    run_release(&r);
}

static void test_pilot_import__usage_and_missing_file(void **state)
{
    struct run r = {0};

    (void)state;
    run_ladder(&r, NULL, "pilot", "import", "x.csv", NULL);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "--pilot NAME is required"));
    run_ladder(&r, NULL, "pilot", "import", "/nonexistent/x.csv", "--pilot",
               "q4", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "/nonexistent/x.csv"));
    run_ladder(&r, NULL, "pilot", "import", "x.csv", "--pilot", "q4", "--model",
               "nope", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "model 'nope' is not on this laptop"));
    run_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_pilot_import__good_file_becomes_submitted_assessments, setup,
            harness_teardown),
        cmocka_unit_test_setup_teardown(
            test_pilot_import__bad_file_lists_every_row_and_imports_nothing,
            setup, harness_teardown),
        cmocka_unit_test_setup_teardown(
            test_pilot_import__usage_and_missing_file, setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
