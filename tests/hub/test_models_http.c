/*
 * The model routes as a client meets them: the real `ladder-hub serve`
 * on 127.0.0.1 with the CA `ladder-hub init` made, spoken to with libcurl
 * and verification on. The cases run in order on one hub: publish, read
 * back, diff, then a version pushed with plain git that sync accepts.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>

#include "harness.h"
#include "hub.h"
#include "ladder/domain.h"
#include "ladder/hlc.h"
#include "ladder/uuid.h"

#define MODEL_FILE LADDER_SOURCE_DIR "/schema/models/account-manager.json"
#define MODEL "account-manager"
#define CREATED "2026-11-26T09:12:00.000Z"
#define NO_VERSION "ffffffffffffffffffffffffffffffffffffffff"

/* ---- the hub under test ---- */

static struct {
    char dir[128], ca[256];
    struct server server;
    char hr[HUB_TOKEN_MAX + 1], assessor[HUB_TOKEN_MAX + 1],
        admin[HUB_TOKEN_MAX + 1];
    /* what the cases published, for the later ones */
    char v1[41], c1[41], v2[41], c2[41];
} hub;

/* The first line a shell command prints, or "". */
static void capture(char *out, size_t max, const char *cmd)
{
    FILE *p = popen(cmd, "r");

    out[0] = '\0';
    if (p && fgets(out, (int)max, p))
        out[strcspn(out, "\n")] = '\0';
    if (p)
        pclose(p);
}

/* How many commits main has. */
static int commits(void)
{
    char cmd[512], line[64];

    snprintf(cmd, sizeof cmd,
             "git --git-dir='%s/models.git' rev-list --count main 2>/dev/null",
             hub.dir);
    capture(line, sizeof line, cmd);
    return line[0] ? atoi(line) : 0;
}

static int setup_hub(void **state)
{
    const char *init[] = {"init", hub.dir, NULL};
    char text[4096];

    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(hub.dir, sizeof hub.dir, "/tmp/ladder-test-models-XXXXXX");
    if (!mkdtemp(hub.dir))
        return -1;
    strcat(hub.dir, "/hub");
    snprintf(hub.ca, sizeof hub.ca, "%s/" HUB_CA_FILE, hub.dir);
    if (run_hub(text, sizeof text, init) != 0 ||
        add_token(hub.hr, hub.dir, "hr.north", "hr") != 0 ||
        add_token(hub.assessor, hub.dir, "li.wei", "assessor") != 0 ||
        add_token(hub.admin, hub.dir, "root", "admin") != 0)
        return -1;
    return server_start(&hub.server, hub.dir, NULL);
}

static int teardown_hub(void **state)
{
    (void)state;
    server_stop(&hub.server);
    *strrchr(hub.dir, '/') = '\0';
    if (strncmp(hub.dir, "/tmp/ladder-test-models-", 24) == 0)
        run("rm -rf '%s'", hub.dir);
    curl_global_cleanup();
    return 0;
}

/* ---- requests ---- */

/* `method` `path` with `token` and a JSON `body` (NULL: none). */
static void ask(struct reply *r, const char *method, const char *path,
                const char *token, const char *body)
{
    CURL *h = curl_easy_init();
    struct curl_slist *l = NULL;
    char url[1024], auth[HUB_TOKEN_MAX + 32];

    memset(r, 0, sizeof *r);
    snprintf(url, sizeof url, "%s%s", hub.server.url, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    l = curl_slist_append(l, auth);
    l = curl_slist_append(l, "Content-Type: application/json");
    /* a refusal on the headers closes the connection: send no body then */
    l = curl_slist_append(l, "Expect: 100-continue");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CAINFO, hub.ca);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)WAIT_MS);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    if (body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(l);
    curl_easy_cleanup(h);
}

/* GET `path` as hr; the answer must have `status`. */
static void get(struct reply *r, const char *path, long status)
{
    ask(r, "GET", path, hub.hr, NULL);
    if (r->status != status)
        fail_msg("GET %s: %ld %s, want %ld", path, r->status, r->body, status);
}

/* The answer as JSON; freed by the caller. */
static json_t *json_of(const struct reply *r)
{
    json_t *doc = json_loadb(r->body ? r->body : "", r->len, 0, NULL);

    if (!doc)
        fail_msg("not JSON: %s", r->body ? r->body : "");
    return doc;
}

/* An error answer with `status`, `code` and `fragment` in its message. */
static void assert_error(const struct reply *r, long status, const char *code,
                         const char *fragment)
{
    json_t *doc = json_of(r);
    json_t *e = json_object_get(doc, "error");
    const char *c = json_string_value(json_object_get(e, "code"));
    const char *m = json_string_value(json_object_get(e, "message"));

    if (r->status != status || !c || strcmp(c, code) != 0 || !m ||
        !strstr(m, fragment))
        fail_msg("got %ld %s, want %ld %s '%s'", r->status, r->body, status,
                 code, fragment);
    json_decref(doc);
}

/* The value of header `name` ("X-Ladder-Version"), or "". */
static void header_value(char *out, size_t max, const struct reply *r,
                         const char *name)
{
    const char *h = strcasestr(r->headers, name);

    out[0] = '\0';
    if (h && h[strlen(name)] == ':') {
        h += strlen(name) + 1;
        h += strspn(h, " ");
        snprintf(out, max, "%.*s", (int)strcspn(h, "\r\n"), h);
    }
}

static const char *member(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));

    return s ? s : "";
}

/* ---- models ---- */

static json_t *model_doc(void)
{
    json_error_t jerr;
    json_t *m = json_load_file(MODEL_FILE, 0, &jerr);

    if (!m)
        fail_msg("%s: %s", MODEL_FILE, jerr.text);
    return m;
}

/* The model with its first competency's title ending in `suffix`. */
static json_t *edited(const char *suffix)
{
    json_t *m = model_doc();
    json_t *c = json_array_get(json_object_get(m, "competencies"), 0);
    char title[512];

    snprintf(title, sizeof title, "%s%s", member(c, "title"), suffix);
    json_object_set_new(c, "title", json_string(title));
    return m;
}

/* The body of a publish; `tag` may be NULL. */
static char *publish_body(json_t *model, const char *message, const char *tag)
{
    json_t *doc = json_pack("{s:o, s:s}", "model", model, "message", message);
    char *text;

    if (tag)
        json_object_set_new(doc, "tag", json_string(tag));
    text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

/* POSTs `model` as hr; the answer must have `status`; fills version and
 * commit from it. */
static void publish(json_t *model, const char *message, const char *tag,
                    long status, char version[41], char commit[41])
{
    char *body = publish_body(model, message, tag);
    struct reply r;
    json_t *doc;

    ask(&r, "POST", "/v1/models/" MODEL, hub.hr, body);
    if (r.status != status)
        fail_msg("publish: %ld %s, want %ld", r.status, r.body, status);
    doc = json_of(&r);
    snprintf(version, 41, "%s", member(doc, "version"));
    snprintf(commit, 41, "%s", member(doc, "commit"));
    assert_string_equal(member(doc, "id"), MODEL);
    assert_int_equal(strlen(version), 40);
    assert_int_equal(strlen(commit), 40);
    json_decref(doc);
    reply_release(&r);
    free(body);
}

/* Whether the hub database's models table holds the version. */
static bool in_table(const char *version)
{
    char path[256];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    bool yes = false;

    snprintf(path, sizeof path, "%s/" HUB_DB_FILE, hub.dir);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db,
                           "SELECT 1 FROM models WHERE id = ? AND version = ?",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, MODEL, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
        yes = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return yes;
}

/* ---- the cases, in order ---- */

static void test_models_http__hr_publishes(void **state)
{
    char author[256], cmd[512];
    json_t *m = model_doc();

    (void)state;
    publish(m, "First release", "2025-q1", 201, hub.v1, hub.c1);
    assert_int_equal(commits(), 1);
    assert_true(in_table(hub.v1)); /* sync validates pins there */
    snprintf(cmd, sizeof cmd,
             "git --git-dir='%s/models.git' log -1 --format='%%an <%%ae> %%s'",
             hub.dir);
    capture(author, sizeof author, cmd);
    assert_string_equal(author,
                        "hr.north <hr.north@ladder.invalid> First release");
}

static void test_models_http__only_hr_publishes(void **state)
{
    char *body = publish_body(edited(" (x)"), "Not mine", NULL);
    struct reply r;

    (void)state;
    ask(&r, "POST", "/v1/models/" MODEL, hub.assessor, body);
    assert_error(&r, 403, "forbidden", "only an hr token");
    reply_release(&r);
    ask(&r, "POST", "/v1/models/" MODEL, hub.admin, body);
    assert_error(&r, 403, "forbidden", "yours is admin");
    reply_release(&r);
    ask(&r, "POST", "/v1/models/" MODEL, "ldr_nobody_nothing", body);
    assert_error(&r, 401, "unauthorized", "token");
    reply_release(&r);
    assert_int_equal(commits(), 1);
    free(body);
}

static void test_models_http__invalid_model_lists_every_problem(void **state)
{
    json_t *m = model_doc(), *doc, *problems;
    json_t *c = json_array_get(json_object_get(m, "competencies"), 0);
    struct reply r;
    char *body;
    bool weight = false, title = false;
    size_t i;
    json_t *p;

    (void)state;
    json_object_del(m, "title");
    json_object_set_new(c, "weight", json_integer(-1));
    body = publish_body(m, "Broken", "broken");
    ask(&r, "POST", "/v1/models/" MODEL, hub.hr, body);
    assert_error(&r, 400, "invalid", "nothing published");
    doc = json_of(&r);
    problems = json_object_get(json_object_get(doc, "error"), "problems");
    assert_true(json_array_size(problems) >= 2);
    json_array_foreach(problems, i, p)
    {
        weight |= strcmp(member(p, "path"), "/competencies/0/weight") == 0;
        title |= strstr(member(p, "message"), "'title'") != NULL;
    }
    assert_true(weight && title);
    assert_int_equal(commits(), 1); /* nothing committed, no tag */
    assert_int_not_equal(run("git --git-dir='%s/models.git' rev-parse -q "
                             "--verify refs/tags/broken >/dev/null",
                             hub.dir),
                         0);
    json_decref(doc);
    reply_release(&r);
    free(body);
}

static void test_models_http__bad_requests_are_refused(void **state)
{
    static const struct {
        const char *path, *body, *fragment;
    } cases[] = {
        {"/v1/models/Account", "{\"model\": {}, \"message\": \"x\"}",
         "not a model id"},
        {"/v1/models/" MODEL, "{\"model\": {}}", "/message is missing"},
        {"/v1/models/" MODEL, "{\"model\": 1, \"message\": \"x\"}", "/model"},
        {"/v1/models/" MODEL, "{\"model\": {}, \"message\": \"x\", \"x\": 1}",
         "/x"},
        {"/v1/models/" MODEL, "[", "no JSON"},
    };
    char *other = publish_body(edited(""), "Wrong file", NULL);
    struct reply r;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ask(&r, "POST", cases[i].path, hub.hr, cases[i].body);
        assert_error(&r, 400, "invalid", cases[i].fragment);
        reply_release(&r);
    }
    /* the body's model id must be the path's */
    ask(&r, "POST", "/v1/models/sales-lead", hub.hr, other);
    assert_error(&r, 400, "invalid", "nothing published");
    assert_non_null(strstr(r.body, "\"/id\""));
    reply_release(&r);
    assert_int_equal(commits(), 1);
    free(other);
}

static void test_models_http__identical_publish_is_unchanged(void **state)
{
    char version[41], commit[41];
    char *body = publish_body(model_doc(), "Again", "2025-q1");
    struct reply r;
    json_t *doc;

    (void)state;
    /* a retry with the same tag: the tag holds this version already */
    ask(&r, "POST", "/v1/models/" MODEL, hub.hr, body);
    assert_int_equal(r.status, 200);
    doc = json_of(&r);
    assert_true(json_is_true(json_object_get(doc, "unchanged")));
    assert_true(json_is_null(json_object_get(doc, "tag")));
    assert_string_equal(member(doc, "commit"), hub.c1);
    assert_string_equal(member(doc, "version"), hub.v1);
    json_decref(doc);
    reply_release(&r);
    publish(model_doc(), "Again", NULL, 200, version, commit);
    assert_string_equal(commit, hub.c1);
    assert_int_equal(commits(), 1);
    free(body);
}

static void test_models_http__second_version(void **state)
{
    (void)state;
    publish(edited(" (revised)"), "Rename the first competency", "release/v2",
            201, hub.v2, hub.c2);
    assert_string_not_equal(hub.v2, hub.v1);
    assert_int_equal(commits(), 2);
    assert_true(in_table(hub.v2));
}

static void test_models_http__list_gives_the_latest(void **state)
{
    struct reply r;
    json_t *doc, *m;

    (void)state;
    get(&r, "/v1/models", 200);
    doc = json_of(&r);
    assert_int_equal(json_array_size(json_object_get(doc, "models")), 1);
    m = json_array_get(json_object_get(doc, "models"), 0);
    assert_string_equal(member(m, "id"), MODEL);
    assert_string_equal(member(m, "version"), hub.v2);
    assert_string_equal(member(m, "commit"), hub.c2);
    assert_int_equal(strlen(member(m, "date")), 20);
    assert_true(strlen(member(m, "title")) > 0);
    json_decref(doc);
    reply_release(&r);
    /* the last page of changes names main's commit: an agent lists the
     * models again only when it moved */
    get(&r, "/v1/changes?since=0", 200);
    doc = json_of(&r);
    assert_true(json_is_false(json_object_get(doc, "more")));
    assert_string_equal(member(doc, "models"), hub.c2);
    json_decref(doc);
    reply_release(&r);
    /* every token reads models, admin too */
    ask(&r, "GET", "/v1/models", hub.admin, NULL);
    assert_int_equal(r.status, 200);
    reply_release(&r);
}

static void test_models_http__versions_newest_first(void **state)
{
    struct reply r;
    json_t *doc, *v, *first, *second;

    (void)state;
    ask(&r, "GET", "/v1/models/" MODEL "/versions", hub.assessor, NULL);
    assert_int_equal(r.status, 200);
    doc = json_of(&r);
    assert_string_equal(member(doc, "id"), MODEL);
    v = json_object_get(doc, "versions");
    assert_int_equal(json_array_size(v), 2);
    first = json_array_get(v, 0);
    second = json_array_get(v, 1);
    assert_string_equal(member(first, "version"), hub.v2);
    assert_string_equal(member(first, "commit"), hub.c2);
    assert_string_equal(member(first, "message"),
                        "Rename the first competency");
    assert_string_equal(member(first, "author"), "hr.north");
    assert_string_equal(member(first, "email"), "hr.north@ladder.invalid");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(first, "tags"), 0)),
        "release/v2");
    assert_string_equal(member(second, "version"), hub.v1);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(second, "tags"), 0)),
        "2025-q1");
    json_decref(doc);
    reply_release(&r);
}

/* GET the file at `rev`: it must be version `version`, canonical. */
static void assert_file(const char *rev, const char *version)
{
    char path[256], got[64], computed[41];
    struct reply r;

    snprintf(path, sizeof path, "/v1/models/" MODEL "/%s", rev);
    get(&r, path, 200);
    header_value(got, sizeof got, &r, "X-Ladder-Version");
    if (strcmp(got, version) != 0)
        fail_msg("%s: version %s, want %s", rev, got, version);
    assert_non_null(strcasestr(r.headers, "Content-Type: application/json"));
    ldr_model_version(computed, r.body, r.len); /* the bytes are the blob */
    assert_string_equal(computed, version);
    reply_release(&r);
}

static void test_models_http__get_by_any_rev(void **state)
{
    char prefix[8];

    (void)state;
    assert_file(hub.c1, hub.v1);
    snprintf(prefix, sizeof prefix, "%.7s", hub.c1);
    assert_file(prefix, hub.v1);
    assert_file("2025-q1", hub.v1);
    assert_file("release/v2", hub.v2); /* a tag with a '/' */
    assert_file(hub.v1, hub.v1);       /* agents ask by version */
    assert_file(hub.v2, hub.v2);
    assert_file("latest", hub.v2);
    assert_file(hub.c2, hub.v2);
}

static void test_models_http__get_the_case_export(void **state)
{
    char path[128], version[64], *text;
    struct reply r;
    json_t *doc;
    FILE *cli;
    size_t n;

    (void)state;
    snprintf(path, sizeof path, "/v1/models/" MODEL "/%s?format=case", hub.v1);
    get(&r, path, 200);
    header_value(version, sizeof version, &r, "X-Ladder-Version");
    assert_string_equal(version, hub.v1);
    doc = json_of(&r);
    assert_string_equal(member(json_object_get(doc, "CFDocument"), "uri"),
                        "urn:ladder:model:" MODEL);
    assert_true(json_array_size(json_object_get(doc, "CFItems")) > 10);
    json_decref(doc);
    /* the same bytes as the agent's export of the same file */
    cli = popen(LADDER_BIN " model case-export '" MODEL_FILE "'", "r");
    assert_non_null(cli);
    text = malloc(r.len + 2);
    n = fread(text, 1, r.len + 2, cli);
    assert_int_equal(pclose(cli), 0);
    assert_int_equal(n, r.len + 1); /* and its final newline */
    assert_memory_equal(text, r.body, r.len);
    free(text);
    reply_release(&r);
    get(&r, "/v1/models/" MODEL "/latest?format=xml", 400);
    assert_error(&r, 400, "invalid", "'format'");
    reply_release(&r);
}

static void test_models_http__diff_of_two_versions(void **state)
{
    char path[256];
    struct reply r;
    json_t *doc, *change;

    (void)state;
    snprintf(path, sizeof path, "/v1/models/" MODEL "/diff?from=%s&to=%s",
             hub.v1, hub.c2);
    get(&r, path, 200);
    doc = json_of(&r);
    assert_string_equal(member(doc, "from"), hub.v1);
    assert_string_equal(member(doc, "to"), hub.v2);
    assert_string_equal(member(doc, "model"), MODEL);
    assert_int_equal(json_integer_value(json_object_get(doc, "count")), 1);
    change = json_array_get(json_object_get(doc, "changes"), 0);
    assert_string_equal(member(change, "kind"), "competency");
    assert_string_equal(member(change, "field"), "title");
    assert_string_equal(member(change, "op"), "changed");
    assert_non_null(strstr(member(change, "to"), " (revised)"));
    json_decref(doc);
    reply_release(&r);
    /* `to` defaults to latest; a missing `from` is refused */
    get(&r, "/v1/models/" MODEL "/diff?from=2025-q1", 200);
    assert_non_null(strstr(r.body, "\"count\":1"));
    reply_release(&r);
    get(&r, "/v1/models/" MODEL "/diff?to=latest", 400);
    assert_error(&r, 400, "invalid", "'from'");
    reply_release(&r);
}

static void test_models_http__unknown_model_or_rev_is_404(void **state)
{
    static const char *const paths[] = {
        "/v1/models/nobody/latest",
        "/v1/models/nobody/versions",
        "/v1/models/Nobody/latest",
        "/v1/models/" MODEL "/no-such-tag",
        "/v1/models/" MODEL "/" NO_VERSION,
        "/v1/models/" MODEL "/diff?from=" NO_VERSION,
        "/v1/models/nobody",
    };
    struct reply r;

    (void)state;
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        get(&r, paths[i], 404);
        assert_error(&r, 404, "not_found", "");
        reply_release(&r);
    }
    ask(&r, "DELETE", "/v1/models/" MODEL, hub.hr, NULL);
    assert_error(&r, 405, "method_not_allowed", "GET, POST");
    reply_release(&r);
}

/* A version only in the models table ('ladder-hub model add') is served
 * by version id too, without a commit. */
static void test_models_http__version_added_to_the_table(void **state)
{
    char file[256], out[1024], path[128], commit[64], version[41];
    const char *add[] = {"model", "add", hub.dir, file, NULL};
    json_t *m = edited(" (table only)");
    char *text = json_dumps(m, JSON_INDENT(2));
    struct ldr_model *parsed = NULL;
    struct reply r;
    char *canonical;
    size_t len;
    FILE *f;

    (void)state;
    snprintf(file, sizeof file, "%s/table-only.json", hub.dir);
    f = fopen(file, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(run_hub(out, sizeof out, add), 0);
    assert_int_equal(ldr_model_parse(&parsed, text, strlen(text), NULL, NULL),
                     0);
    canonical = ldr_model_dump(parsed, &len);
    ldr_model_version(version, canonical, len);
    assert_file(version, version);
    snprintf(path, sizeof path, "/v1/models/" MODEL "/%s", version);
    get(&r, path, 200);
    header_value(commit, sizeof commit, &r, "X-Ladder-Commit");
    assert_string_equal(commit, ""); /* no commit holds it */
    reply_release(&r);
    get(&r, "/v1/models/" MODEL "/latest", 200); /* git's latest still */
    header_value(commit, sizeof commit, &r, "X-Ladder-Commit");
    assert_string_equal(commit, hub.c2);
    reply_release(&r);
    free(canonical);
    ldr_model_free(parsed);
    free(text);
    json_decref(m);
}

/* ---- a version pushed with plain git, then pinned by sync ---- */

/* A change set of one change; the caller frees it. */
static char *changeset(const char *kind, const char *record, const char *author,
                       const char *set)
{
    char id[LDR_UUID_LEN + 1], device[LDR_UUID_LEN + 1];
    char hlc[LDR_HLC_TEXT_LEN + 1];
    static uint64_t tick;
    json_t *doc;
    char *text;

    assert_int_equal(ldr_uuid_v7(id, NULL), 0);
    assert_int_equal(ldr_uuid_v7(device, NULL), 0);
    ldr_hlc_format(hlc, (struct ldr_hlc){ldr_wall_ms(), (uint32_t)tick++});
    doc = json_pack("{s:s, s:[{s:s, s:s, s:s, s:s, s:s, s:i, s:o}]}", "id", id,
                    "changes", "kind", kind, "record", record, "hlc", hlc,
                    "device", device, "author", author, "base", 0, "set",
                    json_loads(set, 0, NULL));
    text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

/* li.wei's new assessment of E1 pinned to `version`: the push answer. */
static json_t *assess(const char *version)
{
    char rec[LDR_UUID_LEN + 1], set[1024];
    struct reply r;
    json_t *doc;
    char *body;

    assert_int_equal(ldr_uuid_v7(rec, NULL), 0);
    snprintf(set, sizeof set,
             "{\"/subject\": \"E1\", \"/model\": \"" MODEL "\", "
             "\"/version\": \"%s\", \"/grade\": \"am2\", \"/kind\": "
             "\"manager\", \"/assessor\": \"li.wei\", \"/state\": \"draft\", "
             "\"/created\": \"" CREATED "\", "
             "\"/ratings/relationship-maintenance/level\": 3}",
             version);
    body = changeset("assessment", rec, "li.wei", set);
    ask(&r, "POST", "/v1/changesets", hub.assessor, body);
    assert_int_equal(r.status, 200);
    doc = json_of(&r);
    reply_release(&r);
    free(body);
    return doc;
}

/* Commits `text` as the model in the clone and pushes it with plain git,
 * ladder-hub off the PATH: the hook init installed must find it. */
static int push(const char *work, const char *text, const char *log)
{
    char file[600];
    FILE *f;

    snprintf(file, sizeof file, "%s/models/" MODEL ".json", work);
    f = fopen(file, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(run("cd '%s' && git -c user.name='Grace Hopper' -c "
                         "user.email=grace@example.org commit -qam 'By git'",
                         work),
                     0);
    return run("cd '%s' && env -u LADDER_HUB PATH=/usr/bin:/bin git push -q "
               "origin main >'%s' 2>&1",
               work, log);
}

/* The latest file with its first competency renamed in place (still
 * canonical), and its version. */
static char *plain_edit(char version[41])
{
    struct reply r;
    char *text, *at;

    get(&r, "/v1/models/" MODEL "/latest", 200);
    at = strstr(r.body, " (revised)");
    assert_non_null(at);
    *at = '\0';
    assert_true(asprintf(&text, "%s (by git)%s", r.body,
                         at + strlen(" (revised)")) > 0);
    ldr_model_version(version, text, strlen(text));
    reply_release(&r);
    return text;
}

static void test_models_http__version_only_in_git_is_accepted(void **state)
{
    char work[256], log[256], person[LDR_UUID_LEN + 1], v3[41];
    char *text = plain_edit(v3), *set;
    struct reply r;
    json_t *answer;

    (void)state;
    if (!have_git())
        skip();
    snprintf(work, sizeof work, "%s/work", hub.dir);
    snprintf(log, sizeof log, "%s/push.log", hub.dir);
    setenv("HOME", hub.dir, 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    assert_int_equal(run("git clone -q '%s/models.git' '%s'", hub.dir, work),
                     0);
    /* the hook runs: a file not in canonical form is refused */
    assert_int_not_equal(push(work, "{\"id\": \"" MODEL "\"}\n", log), 0);
    assert_int_equal(run("grep -q 'push refused' '%s'", log), 0);
    assert_int_equal(run("cd '%s' && git reset -q --hard origin/main", work),
                     0);
    if (push(work, text, log) != 0)
        fail_msg("plain git push refused: see %s", log);
    assert_int_equal(commits(), 3);
    assert_false(in_table(v3));

    /* E1 on the roster, then an assessment pinned to the git-only version */
    ldr_domain_person_record(person, "E1");
    set = changeset("person", person, "hr.north",
                    "{\"/id\": \"E1\", \"/name\": \"x\", \"/unit\": \"north\", "
                    "\"/grade\": \"am2\"}");
    ask(&r, "POST", "/v1/changesets", hub.hr, set);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"accepted\":[{"));
    reply_release(&r);
    answer = assess(v3);
    if (json_array_size(json_object_get(answer, "accepted")) != 1)
        fail_msg("not accepted: %s", json_dumps(answer, JSON_COMPACT));
    json_decref(answer);
    assert_true(in_table(v3)); /* read from git once, kept */

    /* a version the hub has nowhere stays model_unknown */
    answer = assess(NO_VERSION);
    assert_int_equal(json_array_size(json_object_get(answer, "rejected")), 1);
    assert_string_equal(
        member(json_array_get(json_object_get(answer, "rejected"), 0), "code"),
        "model_unknown");
    json_decref(answer);
    free(set);
    free(text);
}

/* Last: SIGTERM ends the hub with status 0 (under the sanitizers, also
 * no leak or error in what the cases above made it do). */
static void test_models_http__server_stops_cleanly(void **state)
{
    int status;

    (void)state;
    assert_true(hub.server.pid > 0);
    status = server_stop(&hub.server);
    if (status != 0)
        fail_msg("ladder-hub serve ended with status %d; see its log", status);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_models_http__hr_publishes),
        cmocka_unit_test(test_models_http__only_hr_publishes),
        cmocka_unit_test(test_models_http__invalid_model_lists_every_problem),
        cmocka_unit_test(test_models_http__bad_requests_are_refused),
        cmocka_unit_test(test_models_http__identical_publish_is_unchanged),
        cmocka_unit_test(test_models_http__second_version),
        cmocka_unit_test(test_models_http__list_gives_the_latest),
        cmocka_unit_test(test_models_http__versions_newest_first),
        cmocka_unit_test(test_models_http__get_by_any_rev),
        cmocka_unit_test(test_models_http__get_the_case_export),
        cmocka_unit_test(test_models_http__diff_of_two_versions),
        cmocka_unit_test(test_models_http__unknown_model_or_rev_is_404),
        cmocka_unit_test(test_models_http__version_added_to_the_table),
        cmocka_unit_test(test_models_http__version_only_in_git_is_accepted),
        cmocka_unit_test(test_models_http__server_stops_cleanly),
    };

    return cmocka_run_group_tests(tests, setup_hub, teardown_hub);
}
