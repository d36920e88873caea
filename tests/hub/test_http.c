/*
 * The hub's HTTP layer as a client meets it: the real `ladder-hub serve`
 * on 127.0.0.1 with the CA `ladder-hub init` made, spoken to with libcurl
 * and verification on. One server serves most cases; the cases that need
 * other flags start their own. Servers are always killed in teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <zlib.h>

#include "harness.h"
#include "http.h"
#include "ladder/domain.h"
#include "ladder/err.h"
#include "ladder/hlc.h"
#include "ladder/uuid.h"

/* ---- the hub under test ---- */

struct hub {
    char dir[128];
    char ca[256];
    char hr[HUB_TOKEN_MAX + 1], admin[HUB_TOKEN_MAX + 1];
    struct server main;  /* default flags */
    struct server other; /* a case's own server */
};

static struct hub hub;

static int setup_hub(void **state)
{
    const char *init[] = {"init", hub.dir, NULL};
    char text[4096];

    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(hub.dir, sizeof hub.dir, "/tmp/ladder-test-http-XXXXXX");
    if (!mkdtemp(hub.dir))
        return -1;
    strcat(hub.dir, "/hub"); /* init makes the directory itself */
    snprintf(hub.ca, sizeof hub.ca, "%s/" HUB_CA_FILE, hub.dir);
    if (run_hub(text, sizeof text, init) != 0) {
        fprintf(stderr, "ladder-hub init failed: %s\n", text);
        return -1;
    }
    if (add_token(hub.hr, hub.dir, "hr.north", "hr") != 0 ||
        add_token(hub.admin, hub.dir, "root", "admin") != 0) {
        fprintf(stderr, "ladder-hub token add failed\n");
        return -1;
    }
    return server_start(&hub.main, hub.dir, NULL);
}

static int teardown_hub(void **state)
{
    char cmd[300];

    (void)state;
    if (hub.main.pid > 0)
        server_stop(&hub.main);
    if (hub.other.pid > 0)
        server_stop(&hub.other);
    *strrchr(hub.dir, '/') = '\0';
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", hub.dir);
    if (strncmp(hub.dir, "/tmp/ladder-test-http-", 22) == 0 && system(cmd)) {
    }
    curl_global_cleanup();
    return 0;
}

/* Stops a case's own server even when the case failed. */
static int teardown_other(void **state)
{
    (void)state;
    if (hub.other.pid > 0)
        server_stop(&hub.other);
    return 0;
}

/* ---- requests ---- */

/* What a request sends; NULL members are left out. */
struct ask {
    const char *method, *path, *token, *body;
    size_t len;
    const char *headers[6];
    const char *ca; /* default: the hub's CA */
    bool raw;       /* do not ask for or undo gzip */
};

static CURL *handle_new(void)
{
    CURL *h = curl_easy_init();

    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)WAIT_MS);
    return h;
}

static struct curl_slist *ask_headers(const struct ask *a)
{
    struct curl_slist *l = NULL;
    char auth[HUB_TOKEN_MAX + 32];

    if (a->token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", a->token);
        l = curl_slist_append(l, auth);
    }
    for (size_t i = 0; i < 6 && a->headers[i]; i++)
        l = curl_slist_append(l, a->headers[i]);
    return l;
}

/* Sends `a` to `base` on handle `h` (kept for keep-alive). */
static void fetch_on(CURL *h, const char *base, const struct ask *a,
                     struct reply *r)
{
    char url[1024];
    struct curl_slist *l = ask_headers(a);

    memset(r, 0, sizeof *r);
    snprintf(url, sizeof url, "%s%s", base, a->path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CAINFO, a->ca ? a->ca : hub.ca);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, a->method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, a->raw ? NULL : "gzip");
    curl_easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, a->raw ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    if (a->body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, a->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)a->len);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, a->method);
    }
    r->rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r->connects);
    curl_slist_free_all(l);
}

static void fetch(const char *base, const struct ask *a, struct reply *r)
{
    CURL *h = handle_new();

    fetch_on(h, base, a, r);
    curl_easy_cleanup(h);
}

/* The error code of an error answer, "" if it has none. */
static void assert_error(const struct reply *r, long status, const char *code)
{
    json_t *doc = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
    const char *got = json_string_value(
        json_object_get(json_object_get(doc, "error"), "code"));
    const char *message = json_string_value(
        json_object_get(json_object_get(doc, "error"), "message"));

    assert_int_equal(r->rc, CURLE_OK);
    assert_int_equal(r->status, status);
    assert_non_null(got);
    assert_string_equal(got, code);
    assert_non_null(message);
    assert_true(strlen(message) > 10);
    json_decref(doc);
}

static bool has_header(const struct reply *r, const char *line)
{
    return strcasestr(r->headers, line) != NULL;
}

/* `text` as gzip in a malloc'd buffer. */
static char *gzip_text(const char *text, size_t len, size_t *out_len)
{
    z_stream z = {0};
    size_t cap = len + 1024;
    char *out = malloc(cap);

    assert_int_equal(
        deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
        Z_OK);
    z.next_in = (Bytef *)text;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = z.total_out;
    deflateEnd(&z);
    return out;
}

/* ---- the cases ---- */

static void test_http__healthz_is_open(void **state)
{
    struct ask a = {.method = "GET", .path = "/healthz"};
    struct reply r;

    (void)state;
    fetch(hub.main.url, &a, &r);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"ok\": true}");
    assert_true(has_header(&r, "Content-Type: application/json"));
    reply_release(&r);
}

static void test_http__missing_token_is_401(void **state)
{
    const char *paths[] = {"/v1/changes", "/v1/conflicts", "/metrics"};

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        struct ask a = {.method = "GET", .path = paths[i]};
        struct reply r;
        fetch(hub.main.url, &a, &r);
        assert_error(&r, 401, "unauthorized");
        assert_true(has_header(&r, "WWW-Authenticate: Bearer"));
        assert_non_null(strstr(r.body, "Bearer"));
        reply_release(&r);
    }
}

static void test_http__unknown_token_is_401(void **state)
{
    struct ask a = {.method = "GET",
                    .path = "/v1/changes",
                    .token = "ldr_nosuch_0000000000000000"};
    struct ask basic = {.method = "GET",
                        .path = "/v1/changes",
                        .headers = {"Authorization: Basic eDp5"}};
    struct reply r;

    (void)state;
    fetch(hub.main.url, &a, &r);
    assert_error(&r, 401, "unauthorized");
    assert_true(has_header(&r, "WWW-Authenticate: Bearer"));
    reply_release(&r);
    fetch(hub.main.url, &basic, &r);
    assert_error(&r, 401, "unauthorized");
    reply_release(&r);
}

/* POSTs the main server answered 401, from its log; each must show
 * "in": 0, no body byte taken. */
static int logged_401_posts(void)
{
    FILE *f = fopen(hub.main.log, "r");
    char line[2048];
    int n = 0;

    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        json_t *doc = json_loads(line, 0, NULL);
        const char *m = json_string_value(json_object_get(doc, "method"));
        if (m && strcmp(m, "POST") == 0 &&
            json_integer_value(json_object_get(doc, "status")) == 401) {
            assert_int_equal(json_integer_value(json_object_get(doc, "in")), 0);
            n++;
        }
        json_decref(doc);
    }
    fclose(f);
    return n;
}

static void test_http__unauthenticated_body_is_not_read(void **state)
{
    size_t len = 4 << 20;
    char *body = malloc(len);
    struct ask a = {
        .method = "POST",
        .path = "/v1/changesets",
        .body = body,
        .len = len,
        .headers = {"Content-Type: application/json", "Expect: 100-continue"}};
    struct reply r;

    (void)state;
    memset(body, ' ', len);
    fetch(hub.main.url, &a, &r);
    assert_error(&r, 401, "unauthorized");
    reply_release(&r);
    /* sent anyway: still refused unread. Kept small, as a client still
     * sending when the answer comes may see the connection reset */
    a.headers[1] = "Expect:";
    a.len = 5000;
    fetch(hub.main.url, &a, &r);
    assert_error(&r, 401, "unauthorized");
    reply_release(&r);
    free(body);
    usleep(100000);
    assert_int_equal(logged_401_posts(), 2);
}

static void test_http__admin_has_no_data_routes(void **state)
{
    struct ask a = {.method = "GET", .path = "/v1/changes", .token = hub.admin};
    struct ask m = {.method = "GET", .path = "/metrics", .token = hub.admin};
    struct reply r;

    (void)state;
    fetch(hub.main.url, &a, &r);
    assert_error(&r, 403, "forbidden");
    reply_release(&r);
    fetch(hub.main.url, &m, &r);
    assert_int_equal(r.status, 200);
    reply_release(&r);
}

static void test_http__unknown_path_is_404(void **state)
{
    struct ask a = {.method = "GET", .path = "/v1/nothing", .token = hub.hr};
    struct reply r;

    (void)state;
    fetch(hub.main.url, &a, &r);
    assert_error(&r, 404, "not_found");
    reply_release(&r);
}

static void test_http__wrong_method_is_405_with_allow(void **state)
{
    struct ask del = {
        .method = "DELETE", .path = "/v1/changes", .token = hub.hr};
    struct ask get = {
        .method = "GET", .path = "/v1/changesets", .token = hub.hr};
    struct reply r;

    (void)state;
    fetch(hub.main.url, &del, &r);
    assert_error(&r, 405, "method_not_allowed");
    assert_true(has_header(&r, "Allow: GET"));
    reply_release(&r);
    fetch(hub.main.url, &get, &r);
    assert_error(&r, 405, "method_not_allowed");
    assert_true(has_header(&r, "Allow: POST"));
    reply_release(&r);
}

static void test_http__bad_query_is_400_naming_it(void **state)
{
    static const struct {
        const char *path, *names;
    } cases[] = {
        {"/v1/changes?since=abc", "'since'"},
        {"/v1/changes?since=-1", "'since'"},
        {"/v1/changes?since=99999999999999999999", "'since'"},
        {"/v1/changes?limit=0", "'limit'"},
        {"/v1/changes?limit=10001", "'limit'"},
        {"/v1/changes?limit=5x", "'limit'"},
        {"/v1/changes?form=all", "'form'"},
        {"/v1/changes?sinse=1", "'sinse'"},
        {"/v1/changes?since=1&since=2", "'since'"},
        {"/v1/conflicts?since=x", "'since'"},
        {"/v1/conflicts?limit=1", "'limit'"},
        {"/v1/changes?skip_device=abc", "'skip_device'"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct ask a = {
            .method = "GET", .path = cases[i].path, .token = hub.hr};
        struct reply r;
        fetch(hub.main.url, &a, &r);
        assert_error(&r, 400, "invalid");
        if (!strstr(r.body, cases[i].names))
            fail_msg("%s: %s does not name %s", cases[i].path, r.body,
                     cases[i].names);
        reply_release(&r);
    }
}

static void test_http__get_with_a_body_is_400(void **state)
{
    struct ask a = {.method = "GET",
                    .path = "/v1/changes",
                    .token = hub.hr,
                    .body = "{}",
                    .len = 2,
                    .headers = {"Content-Type: application/json"}};
    struct reply r;

    (void)state;
    fetch(hub.main.url, &a, &r);
    assert_error(&r, 400, "invalid");
    assert_non_null(strstr(r.body, "no request body"));
    reply_release(&r);
}

static void test_http__other_content_type_is_415(void **state)
{
    struct ask a = {.method = "POST",
                    .path = "/v1/changesets",
                    .token = hub.hr,
                    .body = "x=1",
                    .len = 3,
                    .headers = {"Content-Type: application/x-www-form-"
                                "urlencoded"}};
    struct ask enc = {
        .method = "POST",
        .path = "/v1/changesets",
        .token = hub.hr,
        .body = "{}",
        .len = 2,
        .headers = {"Content-Type: application/json", "Content-Encoding: br"}};
    struct reply r;

    (void)state;
    fetch(hub.main.url, &a, &r);
    assert_error(&r, 415, "unsupported_media_type");
    reply_release(&r);
    fetch(hub.main.url, &enc, &r);
    assert_error(&r, 415, "unsupported_media_type");
    reply_release(&r);
}

static void test_http__corrupt_gzip_is_400(void **state)
{
    static const char bad[] = "\x1f\x8b\x08\x00garbage, not deflate data";
    size_t zlen;
    char *cut = gzip_text("{\"id\": \"x\"}", 11, &zlen), *twice;
    struct ask a = {.method = "POST",
                    .path = "/v1/changesets",
                    .token = hub.hr,
                    .body = bad,
                    .len = sizeof bad - 1,
                    .headers = {"Content-Type: application/json",
                                "Content-Encoding: gzip"}};
    struct reply r;

    (void)state;
    fetch(hub.main.url, &a, &r);
    assert_error(&r, 400, "invalid");
    assert_non_null(strstr(r.body, "gzip"));
    reply_release(&r);
    a.body = cut; /* cut short: no trailer */
    a.len = zlen - 6;
    fetch(hub.main.url, &a, &r);
    assert_error(&r, 400, "invalid");
    reply_release(&r);

    /* whole, then a second member after it */
    twice = malloc(2 * zlen);
    memcpy(twice, cut, zlen);
    memcpy(twice + zlen, cut, zlen);
    a.body = twice;
    a.len = 2 * zlen;
    fetch(hub.main.url, &a, &r);
    assert_error(&r, 400, "invalid");
    reply_release(&r);

    /* whole, its trailer naming a smaller size than it inflates to */
    twice[zlen - 4] = 3;
    a.len = zlen;
    fetch(hub.main.url, &a, &r);
    assert_error(&r, 400, "invalid");
    reply_release(&r);
    free(twice);
    free(cut);
}

static void test_http__malformed_body_is_400(void **state)
{
    static const char *const bodies[] = {"", "{", "[]", "{\"id\": 1}",
                                         "\xff\xfe"};

    (void)state;
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        struct ask a = {.method = "POST",
                        .path = "/v1/changesets",
                        .token = hub.hr,
                        .body = bodies[i],
                        .len = strlen(bodies[i]),
                        .headers = {"Content-Type: application/json"}};
        struct reply r;
        fetch(hub.main.url, &a, &r);
        assert_error(&r, 400, "invalid");
        reply_release(&r);
    }
}

/* A set in which hr.north writes persons <prefix><first>... of unit north,
 * named `name`. */
static char *roster_changeset(const char *prefix, int first, int count,
                              const char *name)
{
    char set_id[LDR_UUID_LEN + 1], device[LDR_UUID_LEN + 1];
    char record[LDR_UUID_LEN + 1], hlc[32], id[32];
    json_t *doc = json_object(), *changes = json_array();
    char *text;

    assert_int_equal(ldr_uuid_v7(set_id, NULL), 0);
    assert_int_equal(ldr_uuid_v7(device, NULL), 0);
    for (int i = first; i < first + count; i++) {
        snprintf(id, sizeof id, "%s%d", prefix, i);
        ldr_domain_person_record(record, id);
        snprintf(hlc, sizeof hlc, "%013llu-00000",
                 (unsigned long long)ldr_wall_ms());
        json_array_append_new(
            changes,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:{s:s, s:s, s:s, s:s}}",
                      "kind", "person", "record", record, "hlc", hlc, "device",
                      device, "author", "hr.north", "base", 0, "set", "/id", id,
                      "/name", name, "/unit", "north", "/grade", "am1"));
    }
    json_object_set_new(doc, "id", json_string(set_id));
    json_object_set_new(doc, "changes", changes);
    text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

static void test_http__push_then_pull(void **state)
{
    char *body = roster_changeset("E", 1, 1, "x");
    size_t zlen;
    char *packed = gzip_text(body, strlen(body), &zlen);
    struct ask push = {.method = "POST",
                       .path = "/v1/changesets",
                       .token = hub.hr,
                       .body = packed,
                       .len = zlen,
                       .headers = {"Content-Type: application/json",
                                   "Content-Encoding: gzip",
                                   "Expect: 100-continue"}};
    struct ask pull = {.method = "GET",
                       .path = "/v1/changes?since=0&limit=10&form=state",
                       .token = hub.hr};
    struct ask metrics = {.method = "GET", .path = "/metrics", .token = hub.hr};
    struct reply r;

    (void)state;
    fetch(hub.main.url, &push, &r);
    if (r.status != 200)
        fail_msg("push: %ld %s", r.status, r.body);
    assert_non_null(strstr(r.body, "accepted"));
    reply_release(&r);
    fetch(hub.main.url, &pull, &r);
    if (r.status != 200)
        fail_msg("pull: %ld %s", r.status, r.body);
    assert_non_null(strstr(r.body, "E1"));
    reply_release(&r);
    fetch(hub.main.url, &metrics, &r);
    assert_non_null(strstr(r.body, "\nladder_changesets_applied_total 1\n"));
    assert_non_null(strstr(r.body, "\nladder_changes_accepted_total 1\n"));
    assert_non_null(strstr(r.body, "\nladder_changes_rejected_total 0\n"));
    reply_release(&r);
    free(packed);
    free(body);
}

static long long file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* While the hub serves, its WAL is copied into the database (by the
 * checkpoint thread, the commits no longer doing it), not left to grow
 * until the hub stops. */
static void test_http__wal_is_checkpointed_while_serving(void **state)
{
    char db[300], wal[300], name[201];
    long long start;
    int waited = 0;

    (void)state;
    snprintf(db, sizeof db, "%s/hub.db", hub.dir);
    snprintf(wal, sizeof wal, "%s/hub.db-wal", hub.dir);
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    start = file_size(db);
    for (int set = 0; file_size(wal) < (24 << 20) && set < 40; set++) {
        char *body = roster_changeset("P", 1000 * set, 1000, name);
        struct ask a = {.method = "POST",
                        .path = "/v1/changesets",
                        .token = hub.hr,
                        .body = body,
                        .len = strlen(body),
                        .headers = {"Content-Type: application/json"}};
        struct reply r;
        fetch(hub.main.url, &a, &r);
        if (r.status != 200 || strstr(r.body, "\"rejected\":[{"))
            fail_msg("push: %ld %.300s", r.status, r.body);
        reply_release(&r);
        free(body);
    }
    assert_true(file_size(wal) >= (16 << 20));
    while (file_size(db) < start + (8 << 20) && waited < WAIT_MS) {
        usleep(20000);
        waited += 20;
    }
    if (file_size(db) < start + (8 << 20))
        fail_msg("hub.db stayed at %lld bytes beside a WAL of %lld",
                 file_size(db), file_size(wal));
}

static void test_http__large_answer_is_gzipped(void **state)
{
    struct ask a = {.method = "GET",
                    .path = "/metrics",
                    .token = hub.hr,
                    .raw = true,
                    .headers = {"Accept-Encoding: gzip"}};
    struct ask plain = {
        .method = "GET", .path = "/metrics", .token = hub.hr, .raw = true};
    struct reply r;

    (void)state;
    fetch(hub.main.url, &a, &r);
    assert_int_equal(r.status, 200);
    assert_true(has_header(&r, "Content-Encoding: gzip"));
    assert_true(has_header(&r, "Vary: Accept-Encoding"));
    assert_true(r.len > 2 && (unsigned char)r.body[0] == 0x1f);
    reply_release(&r);
    fetch(hub.main.url, &plain, &r);
    assert_int_equal(r.status, 200);
    assert_false(has_header(&r, "Content-Encoding"));
    assert_non_null(strstr(r.body, "ladder_http_requests_total"));
    reply_release(&r);
}

static void test_http__metrics_count_requests(void **state)
{
    struct ask a = {.method = "GET", .path = "/metrics", .token = hub.hr};
    struct reply r;

    (void)state;
    fetch(hub.main.url, &a, &r);
    assert_int_equal(r.status, 200);
    assert_true(has_header(&r, "Content-Type: text/plain"));
    assert_non_null(strstr(
        r.body,
        "ladder_http_requests_total{route=\"/healthz\",status=\"200\"}"));
    assert_non_null(strstr(r.body,
                           "ladder_http_request_duration_seconds_"
                           "bucket{route=\"/v1/changes\",le=\"+Inf\"}"));
    assert_non_null(strstr(r.body, "ladder_changesets_applied_total "));
    assert_non_null(strstr(r.body, "ladder_db_size_bytes "));
    reply_release(&r);
}

static void test_http__keeps_the_connection(void **state)
{
    CURL *h = handle_new();
    struct ask a = {.method = "GET", .path = "/healthz"};
    struct ask denied = {.method = "GET", .path = "/v1/changes"};
    struct reply r;

    (void)state;
    fetch_on(h, hub.main.url, &a, &r);
    assert_int_equal(r.connects, 1);
    reply_release(&r);
    fetch_on(h, hub.main.url, &denied, &r);
    assert_int_equal(r.status, 401);
    assert_int_equal(r.connects, 0);
    reply_release(&r);
    fetch_on(h, hub.main.url, &a, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.connects, 0);
    reply_release(&r);
    curl_easy_cleanup(h);
}

static void test_http__wrong_ca_fails_verification(void **state)
{
    char dir[300], ca[320], out[4096];
    const char *init[] = {"init", dir, NULL};
    struct ask a = {.method = "GET", .path = "/healthz", .ca = ca};
    struct reply r;

    (void)state;
    /* another hub's CA: a valid CA, just not the one that signed */
    snprintf(dir, sizeof dir, "%s-other", hub.dir);
    snprintf(ca, sizeof ca, "%s/" HUB_CA_FILE, dir);
    assert_int_equal(run_hub(out, sizeof out, init), 0);
    fetch(hub.main.url, &a, &r);
    assert_int_equal(r.rc, CURLE_PEER_FAILED_VERIFICATION);
    assert_int_equal(r.status, 0);
    reply_release(&r);
}

static void test_http__logs_one_json_line_per_request(void **state)
{
    struct ask a = {.method = "GET", .path = "/healthz?probe=log-check"};
    struct reply r;
    char line[2048];
    bool found = false;
    FILE *f;

    (void)state;
    fetch(hub.main.url, &a, &r);
    reply_release(&r);
    usleep(100000);
    f = fopen(hub.main.log, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        json_t *doc = json_loads(line, 0, NULL);
        json_t *path = json_object_get(doc, "path");
        if (path && strcmp(json_string_value(path), "/healthz") == 0) {
            assert_int_equal(json_integer_value(json_object_get(doc, "status")),
                             200);
            assert_non_null(json_object_get(doc, "time"));
            assert_non_null(json_object_get(doc, "method"));
            assert_non_null(json_object_get(doc, "bytes"));
            assert_non_null(json_object_get(doc, "ms"));
            assert_non_null(json_object_get(doc, "principal"));
            found = true;
        }
        json_decref(doc);
    }
    fclose(f);
    assert_true(found);
}

/* ---- cases with their own server ---- */

static void test_http__over_max_body_is_413(void **state)
{
    const char *flags[] = {"--max-body", "1000", NULL};
    char body[5000];
    struct ask a = {
        .method = "POST",
        .path = "/v1/changesets",
        .token = hub.hr,
        .body = body,
        .len = sizeof body,
        .headers = {"Content-Type: application/json", "Expect: 100-continue"}};
    struct reply r;

    (void)state;
    memset(body, ' ', sizeof body);
    assert_int_equal(server_start(&hub.other, hub.dir, flags), 0);
    fetch(hub.other.url, &a, &r); /* refused before 100 Continue */
    assert_error(&r, 413, "too_big");
    assert_non_null(strstr(r.body, "1000"));
    reply_release(&r);
    a.headers[1] = "Expect:"; /* the body comes anyway */
    fetch(hub.other.url, &a, &r);
    assert_error(&r, 413, "too_big");
    reply_release(&r);
    a.headers[1] = "Transfer-Encoding: chunked"; /* no length: read, refuse */
    a.len = 1500; /* past the limit, not past twice the limit */
    fetch(hub.other.url, &a, &r);
    assert_error(&r, 413, "too_big");
    reply_release(&r);
}

static void test_http__gzip_bomb_is_413(void **state)
{
    const char *flags[] = {"--max-body", "1000", NULL};
    char body[100000];
    size_t zlen;
    char *packed;
    struct ask a = {.method = "POST",
                    .path = "/v1/changesets",
                    .token = hub.hr,
                    .headers = {"Content-Type: application/json",
                                "Content-Encoding: gzip"}};
    struct reply r;

    (void)state;
    memset(body, ' ', sizeof body);
    packed = gzip_text(body, sizeof body, &zlen);
    assert_true(zlen < 1000);
    a.body = packed;
    a.len = zlen;
    assert_int_equal(server_start(&hub.other, hub.dir, flags), 0);
    fetch(hub.other.url, &a, &r);
    assert_error(&r, 413, "too_big");
    assert_non_null(strstr(r.body, "inflated"));
    reply_release(&r);
    free(packed);
}

static void test_http__sigterm_exits_0(void **state)
{
    (void)state;
    assert_int_equal(server_start(&hub.other, hub.dir, NULL), 0);
    assert_int_equal(server_stop(&hub.other), 0);
}

static void test_http__insecure_http_only_on_loopback(void **state)
{
    const char *args[] = {"serve",     hub.dir,           "--listen",
                          "0.0.0.0:0", "--insecure-http", NULL};
    const char *flags[] = {"--insecure-http", NULL};
    struct ask a = {.method = "GET", .path = "/healthz"};
    char out[256];
    struct reply r;

    (void)state;
    assert_int_not_equal(run_hub(out, sizeof out, args), 0);
    assert_int_equal(server_start(&hub.other, hub.dir, flags), 0);
    assert_int_equal(strncmp(hub.other.url, "http://127.0.0.1:", 17), 0);
    fetch(hub.other.url, &a, &r);
    assert_int_equal(r.status, 200);
    reply_release(&r);
}

static void test_http__bad_flags_are_refused(void **state)
{
    static const char *const cases[][6] = {
        {"serve", NULL},
        {"serve", "DIR", "--threads", "0", NULL},
        {"serve", "DIR", "--threads", "65", NULL},
        {"serve", "DIR", "--max-body", "x", NULL},
        {"serve", "DIR", "--listen", "localhost:80", NULL},
        {"serve", "DIR", "--listen", "127.0.0.1:70000", NULL},
        {"serve", "/nonexistent/dir", NULL},
    };
    char out[256];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *args[6];
        for (size_t j = 0; j < 6; j++)
            args[j] = cases[i][j] && strcmp(cases[i][j], "DIR") == 0
                          ? hub.dir
                          : cases[i][j];
        assert_int_not_equal(run_hub(out, sizeof out, args), 0);
    }
}

/* Last: the server that took every request stops with 0 and nothing in
 * its log from a sanitizer (a leak under ASan makes the exit non-zero). */
static void test_http__main_server_stops_cleanly(void **state)
{
    char line[2048];
    FILE *f;

    (void)state;
    assert_int_equal(server_stop(&hub.main), 0);
    f = fopen(hub.main.log, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f))
        if (strstr(line, "Sanitizer") || strstr(line, "runtime error"))
            fail_msg("%s", line);
    fclose(f);
}

/* ---- the parts, without a server ---- */

static void test_http__listen_addresses(void **state)
{
    static const struct {
        const char *text;
        int ok;
        bool loopback;
    } cases[] = {
        {"127.0.0.1:8443", 1, true},
        {"127.1.2.3:0", 1, true},
        {"0.0.0.0:8443", 1, false},
        {"10.0.0.1:1", 1, false},
        {"[::1]:8443", 1, true},
        {"[::]:8443", 1, false},
        {"[::ffff:127.0.0.1]:1", 1, true},
        {"127.0.0.1", 0, false},
        {"127.0.0.1:", 0, false},
        {"127.0.0.1:65536", 0, false},
        {"localhost:80", 0, false},
        {"::1:80", 0, false},
        {"[::1:80", 0, false},
        {"127.0.0.1:-1", 0, false},
        {":80", 0, false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct sockaddr_storage addr;
        socklen_t len;
        struct ldr_err err = {0};
        int rc = hub_listen_parse(&addr, &len, cases[i].text, &err);
        if ((rc == 0) != cases[i].ok)
            fail_msg("%s: rc %d", cases[i].text, rc);
        if (rc == 0 && hub_addr_is_loopback(&addr) != cases[i].loopback)
            fail_msg("%s: loopback is wrong", cases[i].text);
        if (rc != 0)
            assert_non_null(strstr(err.msg, cases[i].text));
    }
}

static void test_http__accept_encoding(void **state)
{
    static const struct {
        const char *value;
        bool gzip;
    } cases[] = {
        {"gzip", true},     {"deflate, gzip", true},
        {"GZIP", true},     {"gzip;q=0.5", true},
        {"*", true},        {"gzip;q=0", false},
        {"deflate", false}, {"", false},
        {"gzipx", false},   {"br, gzip ;q=0.1", true},
        {"x-gzip", false},  {"identity, *;q=0", false},
    };

    (void)state;
    assert_false(hub_accepts_gzip(NULL));
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (hub_accepts_gzip(cases[i].value) != cases[i].gzip)
            fail_msg("'%s'", cases[i].value);
}

int main(void)
{
    const struct CMUnitTest parts[] = {
        cmocka_unit_test(test_http__listen_addresses),
        cmocka_unit_test(test_http__accept_encoding),
    };
    const struct CMUnitTest served[] = {
        cmocka_unit_test(test_http__healthz_is_open),
        cmocka_unit_test(test_http__missing_token_is_401),
        cmocka_unit_test(test_http__unknown_token_is_401),
        cmocka_unit_test(test_http__unauthenticated_body_is_not_read),
        cmocka_unit_test(test_http__admin_has_no_data_routes),
        cmocka_unit_test(test_http__unknown_path_is_404),
        cmocka_unit_test(test_http__wrong_method_is_405_with_allow),
        cmocka_unit_test(test_http__bad_query_is_400_naming_it),
        cmocka_unit_test(test_http__get_with_a_body_is_400),
        cmocka_unit_test(test_http__other_content_type_is_415),
        cmocka_unit_test(test_http__corrupt_gzip_is_400),
        cmocka_unit_test(test_http__malformed_body_is_400),
        cmocka_unit_test(test_http__push_then_pull),
        cmocka_unit_test(test_http__large_answer_is_gzipped),
        cmocka_unit_test(test_http__wal_is_checkpointed_while_serving),
        cmocka_unit_test(test_http__metrics_count_requests),
        cmocka_unit_test(test_http__keeps_the_connection),
        cmocka_unit_test(test_http__wrong_ca_fails_verification),
        cmocka_unit_test(test_http__logs_one_json_line_per_request),
        cmocka_unit_test_teardown(test_http__over_max_body_is_413,
                                  teardown_other),
        cmocka_unit_test_teardown(test_http__gzip_bomb_is_413, teardown_other),
        cmocka_unit_test_teardown(test_http__sigterm_exits_0, teardown_other),
        cmocka_unit_test_teardown(test_http__insecure_http_only_on_loopback,
                                  teardown_other),
        cmocka_unit_test(test_http__bad_flags_are_refused),
        cmocka_unit_test(test_http__main_server_stops_cleanly),
    };
    int failed = cmocka_run_group_tests(parts, NULL, NULL);

    return failed + cmocka_run_group_tests(served, setup_hub, teardown_hub);
}
