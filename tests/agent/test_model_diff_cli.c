/*
 * ladder model diff, run as a user runs it: two files (an HR draft beside
 * the real model), two versions kept in the database (shortened, or the
 * latest), identical versions, and the refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define REAL_MODEL "schema/models/account-manager.json"

static json_t *by_id(json_t *arr, const char *id)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *v = json_array_get(arr, i);

        if (strcmp(json_string_value(json_object_get(v, "id")), id) == 0)
            return v;
    }
    fail_msg("no item '%s'", id);
    return NULL;
}

/* The real model with value-selling's weight 0.07 -> 0.08 (fast-response
 * 0.05 -> 0.04, so weights still sum to 1) and q-rm-02's answer a -> b,
 * written to draft.json; its path in `path`. */
static void write_draft(char path[512])
{
    json_t *doc = json_load_file(harness_source(REAL_MODEL), 0, NULL);
    json_t *comps = json_object_get(doc, "competencies");
    char *text;

    assert_non_null(doc);
    json_object_set_new(by_id(comps, "value-selling"), "weight",
                        json_real(0.08));
    json_object_set_new(by_id(comps, "fast-response"), "weight",
                        json_real(0.04));
    json_object_set_new(by_id(json_object_get(doc, "questions"), "q-rm-02"),
                        "answer", json_string("b"));
    text = json_dumps(doc, JSON_INDENT(2));
    assert_non_null(text);
    snprintf(path, 512, "%s", harness_file("draft.json", text));
    free(text);
    json_decref(doc);
}

static const char expected_lines[] =
    "competency value-selling: weight 0.07 -> 0.08\n"
    "competency fast-response: weight 0.05 -> 0.04\n"
    "question q-rm-02: answer a -> b\n";

static void assert_draft_changes(const json_t *doc)
{
    const json_t *changes = json_object_get(doc, "changes");
    const json_t *c = json_array_get(changes, 2);

    assert_string_equal(json_string_value(json_object_get(doc, "model")),
                        "account-manager");
    assert_int_equal(json_integer_value(json_object_get(doc, "count")), 3);
    assert_int_equal(json_array_size(changes), 3);
    assert_string_equal(json_string_value(json_object_get(c, "kind")),
                        "question");
    assert_string_equal(json_string_value(json_object_get(c, "id")), "q-rm-02");
    assert_string_equal(json_string_value(json_object_get(c, "field")),
                        "answer");
    assert_string_equal(json_string_value(json_object_get(c, "to")), "b");
}

static void test_model_diff_cli__two_files(void **state)
{
    char real[1024], draft[512];
    struct run r = {0};

    (void)state;
    snprintf(real, sizeof real, "%s", harness_source(REAL_MODEL));
    write_draft(draft);
    run_ladder(&r, NULL, "model", "diff", real, draft, "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(r.json);
    assert_draft_changes(r.json);
    assert_int_equal(strlen(json_string_value(json_object_get(r.json, "from"))),
                     40);
    assert_int_equal(strlen(json_string_value(json_object_get(r.json, "to"))),
                     40);

    run_ladder(&r, NULL, "model", "diff", real, draft, NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, expected_lines));
    assert_non_null(strstr(r.out, "draft.json (account-manager@"));

    /* files need no database, and none was made */
    assert_int_not_equal(access(getenv("LADDER_DB"), F_OK), 0);
    run_release(&r);
}

/* `ladder model import FILE --json`: the version it kept, in `out`. */
static void import(struct run *r, const char *file, char out[41])
{
    run_ladder(r, NULL, "model", "import", file, "--json", NULL);
    assert_int_equal(r->code, 0);
    snprintf(out, 41, "%s",
             json_string_value(json_object_get(r->json, "version")));
}

static void test_model_diff_cli__stored_versions(void **state)
{
    char draft[512], v1[41], v2[41], ref[64];
    struct run r = {0};

    (void)state;
    write_draft(draft);
    run_ladder(&r, NULL, "init", "--user", "li.wei", NULL);
    assert_int_equal(r.code, 0);
    import(&r, harness_source(REAL_MODEL), v1);
    import(&r, draft, v2);
    /* a version shortened to 6 digits; without one, the latest */
    snprintf(ref, sizeof ref, "account-manager@%.6s", v1);
    run_ladder(&r, NULL, "model", "diff", ref, "account-manager", "--json",
               NULL);
    assert_int_equal(r.code, 0);
    assert_draft_changes(r.json);
    assert_string_equal(json_string_value(json_object_get(r.json, "from")), v1);
    assert_string_equal(json_string_value(json_object_get(r.json, "to")), v2);

    run_ladder(&r, NULL, "model", "diff", ref, "account-manager", NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, expected_lines));

    /* a file against a stored version: the draft is the latest */
    run_ladder(&r, NULL, "model", "diff", draft, "account-manager", NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "\nno changes\n"));
    run_release(&r);
}

static void test_model_diff_cli__refusals(void **state)
{
    char real[1024];
    const char *bad;
    struct run r = {0};

    (void)state;
    snprintf(real, sizeof real, "%s", harness_source(REAL_MODEL));
    run_ladder(&r, NULL, "model", "diff", real, NULL);
    assert_int_equal(r.code, 2);
    run_ladder(&r, NULL, "model", "diff", real, real, real, NULL);
    assert_int_equal(r.code, 2);
    run_ladder(&r, NULL, "model", "diff", real, real, "--color", NULL);
    assert_int_equal(r.code, 2);

    /* an invalid draft: every problem on stderr, nothing on stdout */
    bad = harness_file("bad.json", "{\"id\": \"x\"}");
    run_ladder(&r, NULL, "model", "diff", real, bad, "--json", NULL);
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "missing member 'format'"));
    assert_non_null(strstr(r.err, "ladder model diff: "));

    /* a version this laptop does not have */
    run_ladder(&r, NULL, "init", "--user", "li.wei", NULL);
    assert_int_equal(r.code, 0);
    run_ladder(&r, NULL, "model", "import", real, NULL);
    assert_int_equal(r.code, 0);
    run_ladder(&r, NULL, "model", "diff", "account-manager@0000",
               "account-manager", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "not on this laptop"));
    run_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_model_diff_cli__two_files,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_model_diff_cli__stored_versions,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_model_diff_cli__refusals,
                                        harness_setup, harness_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
