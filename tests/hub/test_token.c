/*
 * Bearer tokens: `ladder-hub token add|list|revoke` as an operator runs
 * them (HUB_BIN), and hub_auth() on what they made: the right token, a
 * wrong secret, a revoked one, a malformed one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "hub.h"
#include "ladder/err.h"

static char dir[64];

/* What a run of ladder-hub left: exit code, stdout, stderr. */
struct run {
    int code;
    char out[16384];
    char err[16384];
};

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;

    buf[n] = '\0';
    if (f)
        fclose(f);
}

/* Runs ladder-hub with the NULL-terminated arguments. */
static void hub(struct run *r, ...)
{
    const char *argv[32] = {HUB_BIN};
    char out[128], err[128];
    size_t n = 1;
    va_list ap;
    int status;
    pid_t pid;

    va_start(ap, r);
    while (n < 31 && (argv[n] = va_arg(ap, const char *)))
        n++;
    va_end(ap);
    argv[n] = NULL;
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(err, sizeof err, "%s/err", dir);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        dup2(o, 1);
        dup2(e, 2);
        execv(HUB_BIN, (char *const *)argv);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    slurp(out, r->out, sizeof r->out);
    slurp(err, r->err, sizeof r->err);
}

static sqlite3 *open_db(void)
{
    struct ldr_err err = {0};
    sqlite3 *db;

    if (hub_db_open(&db, dir, &err))
        fail_msg("%s", err.msg);
    return db;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hub-token-XXXXXX");
    assert_non_null(mkdtemp(dir));
    sqlite3_close(open_db()); /* the database 'ladder-hub init' makes */
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* Adds a token with the binary; returns its text (static storage). */
static const char *add(const char *principal, const char *role,
                       const char *scope)
{
    static char token[HUB_TOKEN_MAX + 1];
    struct run r;

    hub(&r, "token", "add", dir, "--principal", principal, "--role", role,
        "--scope", scope, (char *)NULL);
    if (r.code != 0)
        fail_msg("token add: %d %s", r.code, r.err);
    /* stdout is the token alone, so that scripts can take it */
    assert_int_equal(sscanf(r.out, "%128s", token), 1);
    assert_int_equal(strlen(r.out), strlen(token) + 1);
    assert_non_null(strstr(r.err, "shown only this once"));
    return token;
}

static void test_token__add_then_auth(void **state)
{
    const char *token = add("li.wei", "assessor", "north,south");
    struct hub_principal p;
    struct ldr_err err = {0};
    sqlite3 *db = open_db();

    (void)state;
    assert_int_equal(strncmp(token, "ldr_", 4), 0);
    assert_int_equal(strlen(token), 4 + 16 + 1 + 64);
    if (hub_auth(db, token, &p, &err))
        fail_msg("%s", err.msg);
    assert_string_equal(p.id, "li.wei");
    assert_int_equal(p.role, HUB_ASSESSOR);
    assert_int_equal(p.nunits, 2);
    assert_string_equal(p.units[0], "north");
    assert_string_equal(p.units[1], "south");
    assert_true(hub_in_scope(&p, "south"));
    assert_false(hub_in_scope(&p, "east"));
    sqlite3_close(db);
}

static void test_token__wrong_or_malformed_tokens_are_refused(void **state)
{
    char token[HUB_TOKEN_MAX + 1];
    struct hub_principal p;
    struct ldr_err err = {0};
    sqlite3 *db = open_db();
    static const char *const malformed[] = {
        "",
        "ldr_",
        "Bearer ldr_0123456789abcdef_00",
        "ldr_0123456789ABCDEF_"
        "0000000000000000000000000000000000000000000000000000000000000000",
        "ldr_0123456789abcdef-"
        "0000000000000000000000000000000000000000000000000000000000000000",
        "ldr_0123456789abcdef_"
        "00000000000000000000000000000000000000000000000000000000000000000",
    };

    (void)state;
    snprintf(token, sizeof token, "%s", add("zhang.min", "trainer", "north"));
    token[strlen(token) - 1] = token[strlen(token) - 1] == '0' ? '1' : '0';
    assert_int_equal(hub_auth(db, token, &p, &err), LDR_ENOTFOUND);
    assert_non_null(strstr(err.msg, "unknown token or wrong secret"));
    assert_string_equal(p.id, ""); /* nothing of the principal leaks out */
    memcpy(token + 4, "ffffffffffffffff", 16); /* an id nobody has */
    assert_int_equal(hub_auth(db, token, &p, &err), LDR_ENOTFOUND);
    assert_non_null(strstr(err.msg, "unknown token or wrong secret"));
    for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++) {
        assert_int_equal(hub_auth(db, malformed[i], &p, &err), LDR_ENOTFOUND);
        assert_non_null(strstr(err.msg, "malformed token"));
    }
    assert_int_equal(hub_auth(db, NULL, &p, &err), LDR_ENOTFOUND);
    sqlite3_close(db);
}

static json_t *list(void)
{
    struct run r;
    json_t *doc;

    hub(&r, "token", "list", dir, "--json", (char *)NULL);
    assert_int_equal(r.code, 0);
    doc = json_loads(r.out, 0, NULL);
    assert_non_null(doc);
    return doc;
}

/* The listed token `id`, or NULL. */
static const json_t *find(const json_t *rows, const char *id)
{
    const json_t *row;
    size_t i;

    json_array_foreach(rows, i, row)
    {
        if (strcmp(json_string_value(json_object_get(row, "id")), id) == 0)
            return row;
    }
    return NULL;
}

static void test_token__list_and_revoke(void **state)
{
    char token[HUB_TOKEN_MAX + 1], id[17];
    const json_t *row;
    struct hub_principal p;
    struct ldr_err err = {0};
    json_t *rows;
    struct run r;
    sqlite3 *db;

    (void)state;
    snprintf(token, sizeof token, "%s", add("wang.hr", "hr", "north"));
    snprintf(id, sizeof id, "%.16s", token + 4);
    rows = list();
    row = find(rows, id);
    assert_non_null(row);
    assert_string_equal(json_string_value(json_object_get(row, "principal")),
                        "wang.hr");
    assert_string_equal(json_string_value(json_object_get(row, "role")), "hr");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(row, "scope"), 0)),
        "north");
    assert_true(json_is_null(json_object_get(row, "revoked")));
    assert_null(json_object_get(row, "hash"));
    json_decref(rows);

    /* neither the secret nor its hash is ever shown again */
    hub(&r, "token", "list", dir, (char *)NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, id));
    assert_null(strstr(r.out, token + 21));
    assert_non_null(strstr(r.out, "PRINCIPAL"));

    hub(&r, "token", "revoke", dir, id, (char *)NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "revoked on"));
    hub(&r, "token", "revoke", dir, id, (char *)NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "was already revoked on"));
    hub(&r, "token", "revoke", dir, "0000000000000000", (char *)NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "no token with id '0000000000000000'"));

    rows = list();
    assert_true(json_is_string(json_object_get(find(rows, id), "revoked")));
    json_decref(rows);
    db = open_db();
    assert_int_equal(hub_auth(db, token, &p, &err), LDR_ENOTFOUND);
    assert_non_null(strstr(err.msg, "was revoked on 20"));
    assert_non_null(strstr(err.msg, id));
    sqlite3_close(db);
}

static void test_token__add_checks_its_arguments(void **state)
{
    static const struct {
        const char *principal, *role, *scope, *message;
    } cases[] = {
        {"li wei", "assessor", "north", "--principal 'li wei'"},
        {"li.wei", "boss", "north", "--role 'boss'"},
        {"li.wei", "assessor", "", "needs --scope"},
        {"li.wei", "assessor", "north,,south", "unit ''"},
        {"li.wei", "assessor", "north,", "a unit is missing"},
        {"li.wei", "assessor", "north,north", "'north' is given twice"},
        {"li.wei", "assessor", "北区", "unit '北区'"},
    };
    struct run r;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        hub(&r, "token", "add", dir, "--principal", cases[i].principal,
            "--role", cases[i].role, "--scope", cases[i].scope, (char *)NULL);
        if (r.code != 2 || !strstr(r.err, cases[i].message))
            fail_msg("case %zu: %d %s", i, r.code, r.err);
    }
    hub(&r, "token", "add", "/nonexistent", "--principal", "x", "--role",
        "admin", (char *)NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "run 'ladder-hub init /nonexistent' first"));
    /* an admin needs no scope */
    hub(&r, "token", "add", dir, "--principal", "root", "--role", "admin",
        "--json", (char *)NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "\"role\": \"admin\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token__add_then_auth),
        cmocka_unit_test(test_token__wrong_or_malformed_tokens_are_refused),
        cmocka_unit_test(test_token__list_and_revoke),
        cmocka_unit_test(test_token__add_checks_its_arguments),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
