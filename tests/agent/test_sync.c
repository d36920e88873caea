/*
 * `ladder sync` end to end, with the real binaries over verified HTTPS: a
 * hub made by `ladder-hub init`, tokens for an HR officer, a manager and a
 * trainer, and one agent database per laptop.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define MODEL "schema/models/account-manager.json"

struct world {
    char dir[200];       /* the test's temporary directory */
    char hub[256];       /* the hub's data directory */
    char ca[300];        /* its CA file */
    char url[128];       /* where it listens */
    int pid;             /* the server */
    char tokens[3][160]; /* hr.zhou, li.wei, zhang.min */
};

static struct world w;

enum { HR, MANAGER, TRAINER };
static const char *const users[] = {"hr.zhou", "li.wei", "zhang.min"};

/* The token printed by `ladder-hub token add`: the word starting "ldr_". */
static void token_of(const char *out, char token[160])
{
    const char *t = strstr(out, "ldr_");

    assert_non_null(t);
    snprintf(token, 160, "%.*s", (int)strcspn(t, " \t\r\n\"'"), t);
}

static void add_token(struct run *r, int who, const char *role,
                      const char *scope)
{
    run_hub(r, NULL, "token", "add", w.hub, "--principal", users[who], "--role",
            role, "--scope", scope, NULL);
    assert_int_equal(r->code, 0);
    token_of(r->out, w.tokens[who]);
}

static int setup(void **state)
{
    struct run r = {0};

    (void)state;
    snprintf(w.dir, sizeof w.dir, "%s", harness_tmpdir());
    snprintf(w.hub, sizeof w.hub, "%s/hub", w.dir);
    run_hub(&r, NULL, "init", w.hub, "--json", NULL);
    assert_int_equal(r.code, 0);
    snprintf(w.ca, sizeof w.ca, "%s",
             json_string_value(json_object_get(r.json, "ca")));
    add_token(&r, HR, "hr", "north,south");
    add_token(&r, MANAGER, "assessor", "north");
    add_token(&r, TRAINER, "trainer", "north");
    run_hub(&r, NULL, "model", "publish", w.hub, harness_source(MODEL),
            "--author", "Zhou HR <hr.zhou@example.com>", "--message",
            "The account-manager model", NULL);
    assert_int_equal(r.code, 0);
    w.pid = harness_hub_start(w.hub, w.url);
    run_release(&r);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    harness_hub_stop(w.pid);
    harness_cleanup();
    return 0;
}

/* The database path of laptop `name`. */
static const char *db_of(const char *name)
{
    static char path[4][320];
    static int next;
    char *p = path[next++ % 4];

    snprintf(p, 320, "%s/%s.db", w.dir, name);
    return p;
}

/* `ladder --db <laptop> ARGS...` */
static void on(struct run *r, const char *laptop, const char *input, ...)
{
    const char *argv[40] = {"--db", db_of(laptop)};
    size_t n = 2;
    va_list ap;

    va_start(ap, input);
    while ((argv[n] = va_arg(ap, const char *)) != NULL && n < 38)
        n++;
    va_end(ap);
    run_ladderv(r, input, argv);
}

/* A laptop for `who`, connected to the hub, with the model. */
static void laptop(struct run *r, const char *name, int who)
{
    on(r, name, w.tokens[who], "init", "--user", users[who], "--hub", w.url,
       "--token", "-", "--cacert", w.ca, NULL);
    assert_int_equal(r->code, 0);
    on(r, name, NULL, "model", "import", harness_source(MODEL), NULL);
    assert_int_equal(r->code, 0);
}

static void sync_ok(struct run *r, const char *name)
{
    on(r, name, NULL, "sync", "--json", NULL);
    if (r->code != 0)
        fprintf(stderr, "sync on %s: %s\n", name, r->err);
    assert_int_equal(r->code, 0);
}

static char *export_of(struct run *r, const char *name)
{
    on(r, name, NULL, "export", NULL);
    assert_int_equal(r->code, 0);
    return strdup(r->out);
}

static json_int_t outbox(struct run *r, const char *name, const char *status)
{
    on(r, name, NULL, "status", "--json", NULL);
    return json_integer_value(
        json_object_get(json_object_get(r->json, "outbox"), status));
}

/* The HR laptop puts two people of unit north on the roster. */
static void roster(struct run *r)
{
    laptop(r, "hr", HR);
    on(r, "hr", NULL, "person", "add", "--id", "E1001", "--name", "王芳",
       "--unit", "north", "--grade", "am2", NULL);
    assert_int_equal(r->code, 0);
    on(r, "hr", NULL, "person", "add", "--id", "E1002", "--name", "张伟",
       "--unit", "north", "--grade", "am1", NULL);
    assert_int_equal(r->code, 0);
    sync_ok(r, "hr");
}

static void manager_day(struct run *r)
{
    char id[64];

    on(r, "manager", NULL, "assess", "new", "--subject", "E1001", "--model",
       "account-manager", NULL);
    assert_int_equal(r->code, 0);
    snprintf(id, sizeof id, "%.*s", (int)strcspn(r->out, "\n"), r->out);
    on(r, "manager", NULL, "assess", "rate", id, "relationship-maintenance",
       "3", "--evidence", "季度回访记录完整", NULL);
    assert_int_equal(r->code, 0);
    on(r, "manager", NULL, "assess", "perf", id, "80", NULL);
    on(r, "manager", NULL, "assess", "submit", id, NULL);
    assert_int_equal(r->code, 0);
    on(r, "manager", NULL, "note", "add", "--subject", "E1001",
       "下周陪访重点客户", NULL);
    assert_int_equal(r->code, 0);
}

static void trainer_day(struct run *r)
{
    static const char csv[] = "subject,assessor,performance,"
                              "relationship-maintenance\n"
                              "E1002,zhang.min,70,2\n";

    on(r, "trainer", NULL, "pilot", "import", harness_file("p.csv", csv),
       "--pilot", "试点", NULL);
    assert_int_equal(r->code, 0);
}

static void test_sync__three_laptops_converge(void **state)
{
    static const char *const laptops[] = {"hr", "manager", "trainer"};
    struct run r = {0};
    char *exports[3];

    (void)state;
    roster(&r);
    laptop(&r, "manager", MANAGER);
    laptop(&r, "trainer", TRAINER);
    sync_ok(&r, "manager");
    sync_ok(&r, "trainer");
    /* offline: everyone works at once */
    manager_day(&r);
    trainer_day(&r);
    on(&r, "hr", NULL, "person", "set", "E1001", "--grade", "am3", NULL);
    assert_int_equal(r.code, 0);
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < 3; i++) {
            sync_ok(&r, laptops[i]);
            /* the manager's draft, its rating, perf and submission travel
             * as one change, the note as another */
            if (round == 0 && i == 1)
                assert_int_equal(
                    json_integer_value(json_object_get(r.json, "accepted")), 2);
        }
    for (size_t i = 0; i < 3; i++) {
        exports[i] = export_of(&r, laptops[i]);
        assert_int_equal(outbox(&r, laptops[i], "pending"), 0);
        assert_int_equal(outbox(&r, laptops[i], "rejected"), 0);
    }
    assert_string_equal(exports[0], exports[1]);
    assert_string_equal(exports[0], exports[2]);
    assert_non_null(strstr(exports[0], "\"grade\":\"am3\""));
    assert_non_null(strstr(exports[0], "季度回访记录完整"));
    /* the merged result reads the same everywhere */
    on(&r, "hr", NULL, "gap", "E1001", "--json", NULL);
    assert_int_equal(r.code, 0);
    for (size_t i = 0; i < 3; i++)
        free(exports[i]);
    run_release(&r);
}

/* Two HR laptops rename one person offline: both converge on one name and
 * the losing write is journalled, not lost. */
static void test_sync__concurrent_edits_converge_with_a_conflict(void **state)
{
    struct run r = {0};
    char *a, *b;

    (void)state;
    roster(&r);
    laptop(&r, "hr2", HR);
    sync_ok(&r, "hr2");
    on(&r, "hr", NULL, "person", "set", "E1001", "--name", "王芳芳", NULL);
    on(&r, "hr2", NULL, "person", "set", "E1001", "--name", "王小芳", NULL);
    sync_ok(&r, "hr");
    sync_ok(&r, "hr2");
    sync_ok(&r, "hr");
    a = export_of(&r, "hr");
    b = export_of(&r, "hr2");
    assert_string_equal(a, b);
    on(&r, "hr2", NULL, "conflicts", "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_true(json_array_size(r.json) >= 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(r.json, 0), "path")),
        "/name");
    free(a);
    free(b);
    run_release(&r);
}

/* A laptop that never imported a model file gets the hub's latest, and
 * every version its records pin, from sync; a conflict the hub found
 * between two others reaches it through the hub's journal. */
/* How many requests for `path` by `who` the hub's log shows so far. */
static int requests_to(const char *path, const char *who)
{
    char log[512], line[2048], want[128], by[160];
    int n = 0;
    FILE *f;

    snprintf(log, sizeof log, "%s/serve.log", w.hub);
    snprintf(want, sizeof want, "\"path\":\"%s\"", path);
    snprintf(by, sizeof by, "\"principal\":\"%s\"", who);
    f = fopen(log, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f))
        n += strstr(line, want) && strstr(line, by);
    fclose(f);
    return n;
}

static void test_sync__models_and_the_hub_journal_come_down(void **state)
{
    struct run r = {0};
    json_t *models;
    int asked, listed;

    (void)state;
    roster(&r);
    laptop(&r, "hr2", HR);
    sync_ok(&r, "hr2");
    on(&r, "hr", NULL, "person", "set", "E1002", "--grade", "am2", NULL);
    on(&r, "hr2", NULL, "person", "set", "E1002", "--grade", "am3", NULL);
    sync_ok(&r, "hr");
    sync_ok(&r, "hr2");
    on(&r, "fresh", w.tokens[MANAGER], "init", "--user", users[MANAGER],
       "--hub", w.url, "--token", "-", "--cacert", w.ca, NULL);
    assert_int_equal(r.code, 0);
    sync_ok(&r, "fresh");
    assert_int_equal(json_integer_value(json_object_get(r.json, "models")), 1);
    on(&r, "fresh", NULL, "model", "list", "--json", NULL);
    assert_int_equal(r.code, 0);
    models = r.json;
    assert_int_equal(json_array_size(models), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(models, 0), "id")),
        "account-manager");
    on(&r, "fresh", NULL, "assess", "new", "--subject", "E1001", "--model",
       "account-manager", NULL);
    assert_int_equal(r.code, 0);
    /* the grade conflict was found at the hub, not on this laptop */
    on(&r, "fresh", NULL, "conflicts", "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(json_array_size(r.json), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(r.json, 0), "path")),
        "/grade");
    /* nothing new the second time, and neither the journal nor the model
     * list is even asked for: no page brought anything, main did not move */
    asked = requests_to("/v1/conflicts", users[MANAGER]);
    listed = requests_to("/v1/models", users[MANAGER]);
    sync_ok(&r, "fresh");
    assert_int_equal(json_integer_value(json_object_get(r.json, "models")), 0);
    assert_int_equal(json_integer_value(json_object_get(r.json, "conflicts")),
                     0);
    assert_int_equal(requests_to("/v1/conflicts", users[MANAGER]), asked);
    assert_int_equal(requests_to("/v1/models", users[MANAGER]), listed);
    /* new conflicts at the hub (hr had not seen hr2's write, nor hr2
     * hr's) come down with the changes that made them */
    on(&r, "hr", NULL, "person", "set", "E1002", "--grade", "am1", NULL);
    on(&r, "hr2", NULL, "person", "set", "E1002", "--grade", "am4", NULL);
    sync_ok(&r, "hr");
    sync_ok(&r, "hr2");
    sync_ok(&r, "fresh");
    assert_true(json_integer_value(json_object_get(r.json, "conflicts")) >= 1);
    assert_int_equal(requests_to("/v1/conflicts", users[MANAGER]), asked + 1);
    on(&r, "fresh", NULL, "model", "pull", "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(json_integer_value(json_object_get(r.json, "downloaded")),
                     0);
    assert_int_equal(json_integer_value(json_object_get(r.json, "missing")), 0);
    run_release(&r);
}

/* The real model with a new description: a second version. */
static const char *model_v2(void)
{
    json_t *m = json_load_file(harness_source(MODEL), 0, NULL);
    char *text;
    const char *path;

    assert_non_null(m);
    json_object_set_new(m, "description", json_string("第二版"));
    text = json_dumps(m, JSON_INDENT(1));
    path = harness_file("model-v2.json", text);
    free(text);
    json_decref(m);
    return path;
}

/* HR publishes a second version after an assessment pinned the first: the
 * assessment stays valid and keeps its version, a fresh laptop downloads
 * both, and new assessments pin the second. */
static void test_sync__records_keep_their_version_across_a_publish(void **state)
{
    struct run r = {0};
    char old_id[64], old_version[48];

    (void)state;
    roster(&r);
    laptop(&r, "manager", MANAGER);
    sync_ok(&r, "manager");
    on(&r, "manager", NULL, "assess", "new", "--subject", "E1001", "--model",
       "account-manager", NULL);
    assert_int_equal(r.code, 0);
    snprintf(old_id, sizeof old_id, "%.*s", (int)strcspn(r.out, "\n"), r.out);
    on(&r, "manager", NULL, "assess", "rate", old_id,
       "relationship-maintenance", "3", NULL);
    on(&r, "manager", NULL, "assess", "submit", old_id, NULL);
    assert_int_equal(r.code, 0);
    sync_ok(&r, "manager");
    run_hub(&r, NULL, "model", "publish", w.hub, model_v2(), "--author",
            "Zhou HR <hr.zhou@example.com>", "--message", "weight", NULL);
    assert_int_equal(r.code, 0);
    on(&r, "fresh", w.tokens[MANAGER], "init", "--user", users[MANAGER],
       "--hub", w.url, "--token", "-", "--cacert", w.ca, NULL);
    sync_ok(&r, "fresh");
    assert_int_equal(json_integer_value(json_object_get(r.json, "models")), 2);
    on(&r, "fresh", NULL, "assess", "show", old_id, "--json", NULL);
    assert_int_equal(r.code, 0);
    snprintf(old_version, sizeof old_version, "%s",
             json_string_value(json_object_get(r.json, "version")));
    on(&r, "fresh", NULL, "gap", "E1001", "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_string_equal(json_string_value(json_object_get(r.json, "version")),
                        old_version);
    on(&r, "fresh", NULL, "assess", "new", "--subject", "E1002", "--model",
       "account-manager", "--json", NULL);
    assert_int_equal(r.code, 0);
    assert_string_not_equal(
        json_string_value(json_object_get(r.json, "version")), old_version);
    /* the manager's laptop gets the new latest on its next sync */
    sync_ok(&r, "manager");
    assert_int_equal(json_integer_value(json_object_get(r.json, "models")), 1);
    run_release(&r);
}

/* A token made while the hub serves works at once: the CLI's connection
 * to the hub's database must not disturb the server's. */
static void test_sync__token_added_while_serving_works(void **state)
{
    struct run r = {0};

    (void)state;
    roster(&r);
    for (int i = 0; i < 8; i++) /* let every server thread open the db */
        sync_ok(&r, "hr");
    add_token(&r, TRAINER, "trainer", "north");
    laptop(&r, "trainer", TRAINER);
    sync_ok(&r, "trainer");
    on(&r, "trainer", NULL, "person", "show", "E1001", NULL);
    assert_int_equal(r.code, 0);
    run_release(&r);
}

/* An assessor may not edit the roster: the hub refuses, the change stays
 * in the outbox marked rejected with the reason, and is not sent again. */
static void test_sync__rejected_change_is_shown_and_kept(void **state)
{
    struct run r = {0};
    const char *answered;

    (void)state;
    roster(&r);
    laptop(&r, "manager", MANAGER);
    on(&r, "manager", NULL, "person", "add", "--id", "E3001", "--name", "x",
       "--unit", "north", "--grade", "am1", NULL);
    assert_int_equal(r.code, 0);
    sync_ok(&r, "manager");
    assert_int_equal(json_integer_value(json_object_get(r.json, "rejected")),
                     1);
    on(&r, "manager", NULL, "rejected", "--json", NULL);
    assert_int_equal(json_array_size(r.json), 1);
    assert_non_null(json_string_value(
        json_object_get(json_array_get(r.json, 0), "message")));
    answered = json_string_value(
        json_object_get(json_array_get(r.json, 0), "answered"));
    /* when the answer came, as times are written: 2026-11-27T09:12:00.123Z */
    assert_non_null(answered);
    assert_int_equal(strlen(answered), 24);
    assert_true(answered[4] == '-' && answered[10] == 'T' &&
                answered[19] == '.' && answered[23] == 'Z');
    assert_int_equal(outbox(&r, "manager", "rejected"), 1);
    /* the view shows what the hub has: no E3001 */
    on(&r, "manager", NULL, "person", "show", "E3001", NULL);
    assert_int_equal(r.code, 1);
    sync_ok(&r, "manager");
    assert_int_equal(json_integer_value(json_object_get(r.json, "pushed")), 0);
    run_release(&r);
}

/* A record pulled into a fresh laptop, edited there, the edit refused:
 * the view goes back to what was pulled, and the laptop's export equals
 * the hub side's. */
static void test_sync__refused_edit_of_a_pulled_record_rolls_back(void **state)
{
    struct run r = {0};
    char *hr, *manager;

    (void)state;
    roster(&r);
    laptop(&r, "manager", MANAGER);
    sync_ok(&r, "manager");
    on(&r, "manager", NULL, "person", "set", "E1001", "--unit", "east", NULL);
    assert_int_equal(r.code, 0);
    on(&r, "manager", NULL, "person", "show", "E1001", "--json", NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "unit")),
                        "east");
    sync_ok(&r, "manager");
    assert_int_equal(json_integer_value(json_object_get(r.json, "rejected")),
                     1);
    on(&r, "manager", NULL, "person", "show", "E1001", "--json", NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "unit")),
                        "north");
    sync_ok(&r, "hr");
    hr = export_of(&r, "hr");
    manager = export_of(&r, "manager");
    assert_string_equal(hr, manager);
    free(hr);
    free(manager);
    run_release(&r);
}

/* Many changes, synced in small sets, the sync killed at random moments:
 * the next sync finishes with every change at the hub exactly once. */
static void test_sync__killed_sync_resumes_without_loss(void **state)
{
    struct run r = {0};
    char *mine, *fresh;
    json_int_t total;

    (void)state;
    roster(&r);
    laptop(&r, "manager", MANAGER);
    sync_ok(&r, "manager");
    for (int i = 0; i < 120; i++) {
        char text[64];
        snprintf(text, sizeof text, "跟进事项 %d", i);
        on(&r, "manager", NULL, "note", "add", "--subject", "E1002", text,
           NULL);
        assert_int_equal(r.code, 0);
    }
    total = outbox(&r, "manager", "pending");
    srand((unsigned)time(NULL));
    for (int k = 0; k < 5; k++) {
        pid_t pid = fork();
        struct timespec nap = {0, (10 + rand() % 120) * 1000000L};

        assert_true(pid >= 0);
        if (pid == 0) {
            execl(LADDER_BIN, LADDER_BIN, "--db", db_of("manager"), "sync",
                  "--batch", "5", (char *)NULL);
            _exit(127);
        }
        nanosleep(&nap, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    sync_ok(&r, "manager");
    sync_ok(&r, "manager");
    assert_int_equal(outbox(&r, "manager", "accepted"), total);
    assert_int_equal(outbox(&r, "manager", "pending"), 0);
    assert_int_equal(outbox(&r, "manager", "sent"), 0);
    /* a fresh laptop pulls exactly the same records */
    laptop(&r, "manager2", MANAGER);
    sync_ok(&r, "manager2");
    mine = export_of(&r, "manager");
    fresh = export_of(&r, "manager2");
    assert_string_equal(mine, fresh);
    free(mine);
    free(fresh);
    run_release(&r);
}

/* More records than a page of the pull: a fresh laptop fetches the next
 * page while it merges one; its first sync killed at random moments, the
 * next sync ends with exactly the records the hub has. */
static void test_sync__killed_pull_resumes_without_loss(void **state)
{
    struct run r = {0};
    char *mine, *fresh;

    (void)state;
    roster(&r);
    laptop(&r, "manager", MANAGER);
    sync_ok(&r, "manager");
    for (int i = 0; i < 260; i++) {
        char text[64];
        snprintf(text, sizeof text, "陪访记录 %d", i);
        on(&r, "manager", NULL, "note", "add", "--subject", "E1002", text,
           NULL);
        assert_int_equal(r.code, 0);
    }
    sync_ok(&r, "manager");
    laptop(&r, "reader", MANAGER);
    srand((unsigned)time(NULL));
    for (int k = 0; k < 4; k++) {
        pid_t pid = fork();
        struct timespec nap = {0, (5 + rand() % 80) * 1000000L};

        assert_true(pid >= 0);
        if (pid == 0) {
            execl(LADDER_BIN, LADDER_BIN, "--db", db_of("reader"), "sync",
                  (char *)NULL);
            _exit(127);
        }
        nanosleep(&nap, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    sync_ok(&r, "reader");
    sync_ok(&r, "reader");
    mine = export_of(&r, "manager");
    fresh = export_of(&r, "reader");
    assert_string_equal(mine, fresh);
    free(mine);
    free(fresh);
    run_release(&r);
}

static void test_sync__revoked_token_stops_sync(void **state)
{
    struct run r = {0};
    char id[64];

    (void)state;
    roster(&r);
    laptop(&r, "manager", MANAGER);
    /* the token's id is the part between "ldr_" and the next "_" */
    snprintf(id, sizeof id, "%.*s", (int)strcspn(w.tokens[MANAGER] + 4, "_"),
             w.tokens[MANAGER] + 4);
    run_hub(&r, NULL, "token", "revoke", w.hub, id, NULL);
    assert_int_equal(r.code, 0);
    on(&r, "manager", NULL, "sync", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "token"));
    run_release(&r);
}

static void test_sync__wrong_ca_refuses_to_connect(void **state)
{
    struct run r = {0};
    char other[300], ca[400];

    (void)state;
    roster(&r);
    laptop(&r, "manager", MANAGER);
    on(&r, "manager", NULL, "note", "add", "--subject", "E1001", "x", NULL);
    snprintf(other, sizeof other, "%s/other-hub", w.dir);
    run_hub(&r, NULL, "init", other, "--json", NULL);
    assert_int_equal(r.code, 0);
    snprintf(ca, sizeof ca, "%s",
             json_string_value(json_object_get(r.json, "ca")));
    on(&r, "manager", NULL, "remote", "set", "--cacert", ca, NULL);
    assert_int_equal(r.code, 0);
    on(&r, "manager", NULL, "sync", NULL);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "certificate"));
    assert_int_equal(outbox(&r, "manager", "accepted"), 0);
    run_release(&r);
}

/*
 * A stand-in for a hub that sends whatever is on its disk: `openssl
 * s_server -WWW` serving the files under `dir` with the hub's own
 * certificate, so the laptop's CA still trusts it. Returns its pid.
 */
static pid_t fake_hub_start(const char *dir, char url[128])
{
    char cert[320], key[320], line[256];
    int out[2];
    pid_t pid;
    FILE *f;

    snprintf(cert, sizeof cert, "%s/tls/server.pem", w.hub);
    snprintf(key, sizeof key, "%s/tls/server-key.pem", w.hub);
    assert_int_equal(pipe(out), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        if (chdir(dir) == 0)
            execlp("openssl", "openssl", "s_server", "-accept", "127.0.0.1:0",
                   "-cert", cert, "-key", key, "-WWW", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    f = fdopen(out[0], "r");
    url[0] = '\0';
    while (f && !url[0] && fgets(line, sizeof line, f))
        if (strncmp(line, "ACCEPT 127.0.0.1:", 17) == 0)
            snprintf(url, 128, "https://127.0.0.1:%d", atoi(line + 17));
    if (f)
        fclose(f);
    if (!url[0])
        fail_msg("openssl s_server did not start (is openssl installed?)");
    return pid;
}

/*
 * A page of changes the hub should never send is refused whole: its good
 * first change is not kept either, the cursor does not move (the next
 * real sync brings exactly what came after), and the laptop's records stay
 * as they were.
 */
static void test_sync__a_bad_page_changes_nothing(void **state)
{
    static const char change[] =
        "{\"kind\":\"note\",\"record\":\"01a21c58-a63f-72f1-98ad-"
        "0a8605a1e5f1\",\"device\":\"01a21c58-a63f-72f1-98ad-0a8605a1e5f2\","
        "\"author\":\"li.wei\",\"hlc\":\"1795711458123-00000\",\"base\":0,"
        "\"set\":{%s}}";
    char fake[256], v1[300], name[400], url[128], good[512], bad[512];
    char page[1200], *before, *after;
    struct run r = {0};
    pid_t pid;

    (void)state;
    roster(&r); /* two people: the hub's log ends at seq 2 */
    laptop(&r, "manager", MANAGER);
    sync_ok(&r, "manager");
    before = export_of(&r, "manager");
    on(&r, "manager", NULL, "status", "--json", NULL);
    snprintf(fake, sizeof fake, "%s/fake", w.dir);
    snprintf(v1, sizeof v1, "%s/v1", fake);
    assert_int_equal(mkdir(fake, 0700) | mkdir(v1, 0700), 0);
    /* the request `ladder sync` makes, as a file name */
    snprintf(name, sizeof name,
             "fake/v1/changes?since=2&limit=250&skip_device=%s",
             json_string_value(json_object_get(r.json, "device")));
    snprintf(good, sizeof good, change, "\"/subject\":\"E1001\"");
    snprintf(bad, sizeof bad, change, "\"subject\":\"E1001\"");
    snprintf(page, sizeof page,
             "{\"form\":\"changes\",\"more\":false,\"next\":4,\"items\":["
             "{\"seq\":3,\"change\":%s},{\"seq\":4,\"change\":%s}]}",
             good, bad);
    harness_file(name, page);
    pid = fake_hub_start(fake, url);
    on(&r, "manager", NULL, "remote", "set", "--hub", url, NULL);
    assert_int_equal(r.code, 0);
    on(&r, "manager", NULL, "sync", NULL);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "the hub sent a bad change"));
    after = export_of(&r, "manager");
    assert_string_equal(before, after);

    on(&r, "manager", NULL, "remote", "set", "--hub", w.url, NULL);
    on(&r, "hr", NULL, "person", "add", "--id", "E1003", "--name", "李娜",
       "--unit", "north", "--grade", "am1", NULL);
    sync_ok(&r, "hr");
    sync_ok(&r, "manager");
    assert_int_equal(json_integer_value(json_object_get(r.json, "pulled")), 1);
    free(before);
    free(after);
    run_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sync__three_laptops_converge,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_sync__concurrent_edits_converge_with_a_conflict, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_sync__models_and_the_hub_journal_come_down, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_sync__records_keep_their_version_across_a_publish, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_sync__token_added_while_serving_works, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_sync__rejected_change_is_shown_and_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_sync__refused_edit_of_a_pulled_record_rolls_back, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_sync__killed_sync_resumes_without_loss, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_sync__killed_pull_resumes_without_loss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync__revoked_token_stops_sync,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync__wrong_ca_refuses_to_connect,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync__a_bad_page_changes_nothing,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
