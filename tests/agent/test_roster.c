/* ladder init, model import|list|show, person, note and status, run as a
 * user runs them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define MODEL "schema/models/account-manager.json"

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static void init_and_import(struct run *r)
{
    run_ladder(r, NULL, "init", "--user", "li.wei", NULL);
    assert_int_equal(r->code, 0);
    run_ladder(r, NULL, "model", "import", harness_source(MODEL), NULL);
    assert_int_equal(r->code, 0);
}

static void test_roster__init_makes_a_private_database(void **state)
{
    struct run r = {0};
    struct stat st;
    char db[512];

    (void)state;
    snprintf(db, sizeof db, "%s/deep/er/ladder.db", harness_tmpdir());
    run_ladder(&r, NULL, "--db", db, "init", "--user", "li.wei", "--json",
               NULL);
    assert_int_equal(r.code, 0);
    assert_string_equal(str(r.json, "user"), "li.wei");
    assert_int_equal(strlen(str(r.json, "device")), 36);
    assert_int_equal(stat(db, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    *strrchr(db, '/') = '\0';
    assert_int_equal(stat(db, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    /* again for the same user: fine; for another: refused */
    snprintf(db + strlen(db), sizeof db - strlen(db), "/ladder.db");
    run_ladder(&r, NULL, "--db", db, "init", "--user", "li.wei", NULL);
    assert_int_equal(r.code, 0);
    run_ladder(&r, NULL, "--db", db, "init", "--user", "wang.fang", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "already set up for user 'li.wei'"));
    run_release(&r);
}

static void test_roster__commands_need_init_first(void **state)
{
    struct run r = {0};

    (void)state;
    run_ladder(&r, NULL, "person", "list", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "run 'ladder init --user ID' first"));
    run_ladder(&r, NULL, "init", NULL);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "--user ID is required"));
    run_ladder(&r, NULL, "init", "--user", "bad user", NULL);
    assert_int_equal(r.code, 2);
    run_release(&r);
}

static void test_roster__model_import_list_show(void **state)
{
    struct run r = {0};
    char version[41];

    (void)state;
    init_and_import(&r);
    run_ladder(&r, NULL, "model", "import", harness_source(MODEL), "--json",
               NULL);
    assert_int_equal(r.code, 0);
    assert_false(json_is_true(json_object_get(r.json, "added")));
    assert_int_equal(strlen(str(r.json, "version")), 40);
    strcpy(version, str(r.json, "version"));

    run_ladder(&r, NULL, "model", "list", "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(json_array_size(r.json), 1);
    assert_string_equal(str(json_array_get(r.json, 0), "latest"), version);

    run_ladder(&r, NULL, "model", "show", "account-manager", NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "relationship-maintenance"));
    version[8] = '\0';
    {
        char ref[64];
        snprintf(ref, sizeof ref, "account-manager@%s", version);
        run_ladder(&r, NULL, "model", "show", ref, "--json", NULL);
    }
    assert_int_equal(r.code, 0);
    assert_string_equal(str(json_object_get(r.json, "model"), "id"),
                        "account-manager");
    run_ladder(&r, NULL, "model", "show", "account-manager@ffff", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "not on this laptop"));
    run_release(&r);
}

static void test_roster__bad_model_is_not_imported(void **state)
{
    struct run r = {0};
    const char *bad;

    (void)state;
    run_ladder(&r, NULL, "init", "--user", "li.wei", NULL);
    bad = harness_file("bad.json", "{\"format\": \"ladder-model/1\"}");
    run_ladder(&r, NULL, "model", "import", bad, NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.out, "missing member 'id'"));
    assert_non_null(strstr(r.err, "nothing imported"));
    run_ladder(&r, NULL, "model", "list", "--json", NULL);
    assert_int_equal(json_array_size(r.json), 0);
    run_release(&r);
}

static void test_roster__people_add_set_list_show(void **state)
{
    struct run r = {0};

    (void)state;
    init_and_import(&r);
    run_ladder(&r, NULL, "person", "add", "--id", "E1001", "--name", "王芳",
               "--unit", "north", "--grade", "am2", "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_string_equal(str(r.json, "name"), "王芳");
    run_ladder(&r, NULL, "person", "add", "--id", "E1002", "--name", "Zhou Jie",
               "--unit", "south", "--grade", "am1", NULL);
    assert_int_equal(r.code, 0);

    /* adding twice is refused and says how to change */
    run_ladder(&r, NULL, "person", "add", "--id", "E1001", "--name", "x",
               "--unit", "north", "--grade", "am2", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "ladder person set E1001"));

    run_ladder(&r, NULL, "person", "set", "E1001", "--grade", "am3", "--json",
               NULL);
    assert_int_equal(r.code, 0);
    assert_string_equal(str(r.json, "grade"), "am3");
    assert_string_equal(str(r.json, "name"), "王芳");
    run_ladder(&r, NULL, "person", "set", "E9999", "--grade", "am3", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "not on the roster"));

    run_ladder(&r, NULL, "person", "list", "--json", NULL);
    assert_int_equal(json_array_size(r.json), 2);
    run_ladder(&r, NULL, "person", "list", "--unit", "south", "--json", NULL);
    assert_int_equal(json_array_size(r.json), 1);
    assert_string_equal(str(json_array_get(r.json, 0), "id"), "E1002");

    /* the table aligns by display width: 王芳 takes four columns */
    run_ladder(&r, NULL, "person", "list", NULL);
    assert_non_null(strstr(r.out, "E1001  王芳      north  am3"));
    assert_non_null(strstr(r.out, "E1002  Zhou Jie  south  am1"));

    run_ladder(&r, NULL, "person", "add", "--id", "bad id", "--name", "x",
               "--unit", "north", "--grade", "am2", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "/id"));
    run_release(&r);
}

static void test_roster__notes_add_list_done(void **state)
{
    struct run r = {0};
    char id[64];

    (void)state;
    init_and_import(&r);
    run_ladder(&r, NULL, "person", "add", "--id", "E1001", "--name", "王芳",
               "--unit", "north", "--grade", "am2", NULL);
    run_ladder(&r, NULL, "note", "add", "--subject", "E1001", "--due",
               "2026-12-03", "--competency", "key-person-relationships",
               "下周陪访重点客户", "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_string_equal(str(r.json, "text"), "下周陪访重点客户");
    assert_string_equal(str(r.json, "author"), "li.wei");
    snprintf(id, sizeof id, "%s", str(r.json, "id"));
    run_ladder(&r, NULL, "note", "add", "--subject", "E1001", "--private",
               "private thought", NULL);
    assert_int_equal(r.code, 0);

    run_ladder(&r, NULL, "note", "add", "--subject", "E9999", "x", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "E9999"));
    run_ladder(&r, NULL, "note", "add", "--subject", "E1001", "--due",
               "2026-02-30", "x", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "/due"));

    run_ladder(&r, NULL, "note", "list", "--json", NULL);
    assert_int_equal(json_array_size(r.json), 2);
    assert_string_equal(str(json_array_get(r.json, 0), "id"), id);

    /* the last characters are enough (the first ones are a time stamp,
     * shared by notes made close together) */
    run_ladder(&r, NULL, "note", "done", id + strlen(id) - 8, "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(str(r.json, "done"));
    run_ladder(&r, NULL, "note", "list", "--open", "--json", NULL);
    assert_int_equal(json_array_size(r.json), 1);
    assert_string_equal(str(json_array_get(r.json, 0), "text"),
                        "private thought");
    run_release(&r);
}

static void test_roster__status_counts_the_outbox(void **state)
{
    struct run r = {0};

    (void)state;
    init_and_import(&r);
    run_ladder(&r, NULL, "person", "add", "--id", "E1001", "--name", "王芳",
               "--unit", "north", "--grade", "am2", NULL);
    run_ladder(&r, NULL, "person", "set", "E1001", "--unit", "east", NULL);
    run_ladder(&r, NULL, "person", "add", "--id", "E1001", "--name", "x",
               "--unit", "north", "--grade", "am2", NULL); /* refused */
    run_ladder(&r, NULL, "status", "--json", NULL);
    assert_int_equal(r.code, 0);
    /* the set joins the add: one change, both written in a row, unsent */
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(r.json, "outbox"), "pending")),
                     1);
    assert_int_equal(json_integer_value(json_object_get(r.json, "records")), 1);
    assert_true(json_is_null(json_object_get(r.json, "last_sync")));
    run_ladder(&r, NULL, "status", NULL);
    assert_non_null(strstr(r.out, "1 pending"));
    run_release(&r);
}

/* Two processes writing one database at once: every write lands once. */
static void test_roster__two_writers_lose_nothing(void **state)
{
    enum { WRITERS = 2, EACH = 25 };
    struct run r = {0};
    pid_t pids[WRITERS];

    (void)state;
    init_and_import(&r);
    run_ladder(&r, NULL, "person", "add", "--id", "E1001", "--name", "王芳",
               "--unit", "north", "--grade", "am2", NULL);
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0) {
            struct run mine = {0};
            for (int i = 0; i < EACH; i++) {
                char text[32];
                snprintf(text, sizeof text, "writer %d note %d", w, i);
                run_ladder(&mine, NULL, "note", "add", "--subject", "E1001",
                           text, NULL);
                if (mine.code != 0)
                    _exit(1);
            }
            _exit(0);
        }
    }
    for (int w = 0; w < WRITERS; w++) {
        int status;
        assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    run_ladder(&r, NULL, "note", "list", "--json", NULL);
    assert_int_equal(json_array_size(r.json), WRITERS * EACH);
    run_ladder(&r, NULL, "status", "--json", NULL);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(r.json, "outbox"), "pending")),
                     WRITERS * EACH + 1);
    run_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_roster__init_makes_a_private_database, harness_setup,
            harness_teardown),
        cmocka_unit_test_setup_teardown(test_roster__commands_need_init_first,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_roster__model_import_list_show,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_roster__bad_model_is_not_imported,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_roster__people_add_set_list_show,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_roster__notes_add_list_done,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_roster__status_counts_the_outbox,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_roster__two_writers_lose_nothing,
                                        harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
