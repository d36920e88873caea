/* `ladder model check` as a user runs it: output, exit codes, usage. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#define DEMO LADDER_TEST_DATA "/model-demo.json"
#define DEMO_CANONICAL LADDER_TEST_DATA "/model-demo.canonical.json"
#define AM LADDER_MODELS "/account-manager.json"
#define AM_CASE LADDER_MODELS "/account-manager.case.json"

/* Runs `ladder args` (`redirect` as given to the shell, e.g. "2>&1");
 * stdout goes to `out`. Returns the exit code. */
static int run(const char *args, const char *redirect, char *out, size_t cap)
{
    char cmd[2048];
    size_t n = 0;
    FILE *p;
    int status;

    snprintf(cmd, sizeof cmd, "'%s' %s %s </dev/null", LADDER_BIN, args,
             redirect);
    p = popen(cmd, "r");
    assert_non_null(p);
    while (n + 1 < cap) {
        size_t got = fread(out + n, 1, cap - n - 1, p);
        if (got == 0)
            break;
        n += got;
    }
    out[n] = '\0';
    status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A model with two problems, in a temporary file named in `path`. */
static void write_bad_model(char *path)
{
    json_t *doc = json_load_file(DEMO, 0, NULL);
    int fd = mkstemp(path);

    assert_non_null(doc);
    assert_true(fd >= 0);
    close(fd);
    json_object_set_new(doc, "id", json_string("Demo"));
    json_object_set_new(json_object_get(doc, "evaluation"), "tests",
                        json_real(0.5));
    assert_int_equal(json_dump_file(doc, path, 0), 0);
    json_decref(doc);
}

static void test_cmd_model__valid_model_prints_ok(void **state)
{
    static char out[65536];

    (void)state;
    assert_int_equal(run("model check " DEMO, "2>&1", out, sizeof out), 0);
    assert_string_equal(out, "ok\n");
}

static void test_cmd_model__canonical_prints_the_canonical_text(void **state)
{
    static char out[65536], want[65536];
    FILE *f = fopen(DEMO_CANONICAL, "rb");
    size_t n;

    (void)state;
    assert_non_null(f);
    n = fread(want, 1, sizeof want - 1, f);
    want[n] = '\0';
    fclose(f);
    assert_int_equal(
        run("model check --canonical " DEMO, "2>/dev/null", out, sizeof out),
        0);
    assert_string_equal(out, want);
}

static void test_cmd_model__problems_are_one_a_line(void **state)
{
    static char out[65536];
    char path[] = "/tmp/ladder-cmd-model-XXXXXX", args[256];

    (void)state;
    write_bad_model(path);
    snprintf(args, sizeof args, "model check %s", path);
    assert_int_equal(run(args, "2>/dev/null", out, sizeof out), 1);
    assert_non_null(strstr(out, "/id: expected a slug"));
    assert_non_null(
        strstr(out, "\n/evaluation: ratings + tests sum to 1.1, expected 1\n"));
    snprintf(args, sizeof args, "model check --canonical %s", path);
    assert_int_equal(run(args, "2>&1", out, sizeof out), 1);
    assert_non_null(strstr(out, "model has 2 problems"));
    unlink(path);
}

static void test_cmd_model__json_lists_problems(void **state)
{
    static char out[65536];
    char path[] = "/tmp/ladder-cmd-model-XXXXXX", args[256];
    json_t *doc, *first;

    (void)state;
    write_bad_model(path);
    snprintf(args, sizeof args, "model check --json %s", path);
    assert_int_equal(run(args, "2>/dev/null", out, sizeof out), 1);
    doc = json_loads(out, 0, NULL);
    assert_non_null(doc);
    assert_true(json_is_false(json_object_get(doc, "ok")));
    assert_int_equal(json_array_size(json_object_get(doc, "problems")), 2);
    first = json_array_get(json_object_get(doc, "problems"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "path")),
                        "/id");
    assert_non_null(json_object_get(first, "message"));
    json_decref(doc);
    assert_int_equal(
        run("model check --json " DEMO, "2>/dev/null", out, sizeof out), 0);
    assert_string_equal(out, "{\n  \"ok\": true,\n  \"problems\": []\n}\n");
    unlink(path);
}

static void test_cmd_model__missing_file_is_named_on_stderr(void **state)
{
    char out[4096];

    (void)state;
    assert_int_equal(run("model check /nonexistent/model.json", "2>/dev/null",
                         out, sizeof out),
                     1);
    assert_string_equal(out, "");
    assert_int_equal(
        run("model check /nonexistent/model.json", "2>&1", out, sizeof out), 1);
    assert_non_null(strstr(out, "'/nonexistent/model.json'"));
}

static void test_cmd_model__bad_usage_exits_2(void **state)
{
    static const char *const args[] = {
        "model",
        "model frob",
        "model check",
        "model check --frob " DEMO,
        "model check " DEMO " " DEMO,
        "model case-export",
        "model case-import --frob",
        "model case-import " AM " " AM,
    };
    char out[4096];

    (void)state;
    for (size_t i = 0; i < sizeof args / sizeof *args; i++) {
        assert_int_equal(run(args[i], "2>/dev/null", out, sizeof out), 2);
        assert_string_equal(out, "");
        assert_int_equal(run(args[i], "2>&1", out, sizeof out), 2);
        assert_non_null(strstr(out, "usage: ladder model check FILE"));
    }
}

static void test_cmd_model__help_shows_usage(void **state)
{
    char out[4096];

    (void)state;
    assert_int_equal(run("help model", "2>/dev/null", out, sizeof out), 0);
    assert_non_null(strstr(out, "check FILE [--json] [--canonical]"));
    assert_int_equal(run("--help", "2>/dev/null", out, sizeof out), 0);
    assert_non_null(strstr(out, "model"));
}

static void read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, cap - 1, f);
    assert_true(n < cap - 1); /* the buffer held all of it */
    buf[n] = '\0';
    fclose(f);
}

/* The CASE file in the repository is what case-export writes today. */
static void test_cmd_model__case_file_is_current(void **state)
{
    static char out[1 << 20], want[1 << 20];

    (void)state;
    read_file(AM_CASE, want, sizeof want);
    assert_int_equal(
        run("model case-export " AM, "2>/dev/null", out, sizeof out), 0);
    assert_string_equal(out, want);
}

static void test_cmd_model__case_import_gives_back_the_model(void **state)
{
    static char out[1 << 20], want[1 << 20];

    (void)state;
    read_file(AM, want, sizeof want);
    assert_int_equal(
        run("model case-import " AM_CASE, "2>/dev/null", out, sizeof out), 0);
    assert_string_equal(out, want);
}

/* A CASE package without its CFDocument: the problem is printed with its
 * path into the package, and the exit code is 1. */
static void test_cmd_model__case_import_reports_problems(void **state)
{
    char path[] = "/tmp/ladder-case-XXXXXX", args[512], out[8192];
    json_t *pkg = json_load_file(AM_CASE, 0, NULL);
    int fd = mkstemp(path);

    (void)state;
    assert_non_null(pkg);
    assert_true(fd >= 0);
    close(fd);
    json_object_del(pkg, "CFDocument");
    assert_int_equal(json_dump_file(pkg, path, 0), 0);
    json_decref(pkg);
    snprintf(args, sizeof args, "model case-import %s", path);
    assert_int_equal(run(args, "2>/dev/null", out, sizeof out), 1);
    assert_non_null(strstr(out, "CFDocument"));
    assert_null(strstr(out, "\"title\""));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmd_model__valid_model_prints_ok),
        cmocka_unit_test(test_cmd_model__canonical_prints_the_canonical_text),
        cmocka_unit_test(test_cmd_model__problems_are_one_a_line),
        cmocka_unit_test(test_cmd_model__json_lists_problems),
        cmocka_unit_test(test_cmd_model__missing_file_is_named_on_stderr),
        cmocka_unit_test(test_cmd_model__bad_usage_exits_2),
        cmocka_unit_test(test_cmd_model__help_shows_usage),
        cmocka_unit_test(test_cmd_model__case_file_is_current),
        cmocka_unit_test(test_cmd_model__case_import_gives_back_the_model),
        cmocka_unit_test(test_cmd_model__case_import_reports_problems),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
