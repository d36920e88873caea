/*
 * The hub under load: a real `ladder-hub serve` on 127.0.0.1, HTTPS with
 * verification, one keep-alive connection. Pushes N assessment changes
 * (the peer benchmark's records) in change sets of 1,000, then pulls them
 * back page by page. Beside each figure, the floor measured in the same
 * run: Jansson parsing the same bytes plus a plain SQLite insert of the
 * same rows in one transaction (push), or a plain SQLite select of them
 * plus Jansson parsing the pulled bytes (pull). Then the hub's peak RSS.
 * Runs twice: as `ladder sync` sends (gzip, Expect: 100-continue) and as
 * plain JSON, each on a fresh hub.
 *
 *   bench_hub HUB_BIN MODEL_FILE DOCS.ndjson [N]
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <zlib.h>

#include "bench_util.h"
#include "ladder/domain.h"
#include "ladder/hlc.h"
#include "ladder/uuid.h"

#define SET_SIZE 1000
#define PEOPLE 1000 /* the roster, as bench_agent has it */
#define DEVICE "0193a5b2-0000-7000-8000-00000000000b"
#define ASSESSOR "bench.assessor"
#define HR "bench.hr"
#define UNIT "north"

static const char *hub_bin;

static pid_t serving; /* the hub to stop when the bench fails */

static void die(const char *what)
{
    fprintf(stderr, "bench_hub: %s\n", what);
    if (serving > 0)
        kill(serving, SIGTERM);
    exit(1);
}

/* ---- the hub process ---- */

/* Runs the hub with `args`; its stdout in `out` (malloc'd). */
static char *hub_run(const char *const *args)
{
    char *argv[16] = {(char *)hub_bin}, *out = malloc(1 << 16);
    int fd[2], status, i = 0;
    size_t n = 0;
    ssize_t got;
    pid_t pid;

    while (args[i] && i < 14) {
        argv[i + 1] = (char *)args[i];
        i++;
    }
    if (!out || pipe(fd) != 0 || (pid = fork()) < 0)
        die("cannot start the hub");
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(fd[1], 1);
        dup2(null, 2); /* the token notices */
        close(fd[0]);
        execv(hub_bin, argv);
        _exit(127);
    }
    close(fd[1]);
    while (n + 1 < (1 << 16) && (got = read(fd[0], out + n, 65535 - n)) > 0)
        n += (size_t)got;
    out[n] = '\0';
    close(fd[0]);
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_hub: ladder-hub %s %s failed\n", args[0],
                args[1] ? args[1] : "");
        die("stopped");
    }
    return out;
}

struct hub {
    char dir[256], ca[300], url[256], log[300];
    char hr[200], assessor[200];
    char version[41], model[128];
    pid_t pid;
};

static void token(char *out, size_t max, struct hub *h, const char *who,
                  const char *role)
{
    const char *args[] = {"token",  "add", h->dir,    "--principal", who,
                          "--role", role,  "--scope", UNIT,          NULL};
    char *text = hub_run(args);

    text[strcspn(text, " \r\n")] = '\0';
    snprintf(out, max, "%s", text);
    free(text);
}

static void hub_model(struct hub *h, const char *model_file)
{
    const char *args[] = {"model", "add", h->dir, model_file, "--json", NULL};
    char *text = hub_run(args);
    json_t *doc = json_loads(text, 0, NULL);
    const char *v = json_string_value(json_object_get(doc, "version"));
    const char *id = json_string_value(json_object_get(doc, "id"));

    if (!v || !id)
        die("ladder-hub model add gave no version");
    snprintf(h->version, sizeof h->version, "%s", v);
    snprintf(h->model, sizeof h->model, "%s", id);
    json_decref(doc);
    free(text);
}

static void hub_start(struct hub *h, const char *top, const char *model_file)
{
    const char *init[] = {"init", h->dir, NULL};
    char *argv[] = {(char *)hub_bin, "serve",       h->dir,
                    "--listen",      "127.0.0.1:0", NULL};
    char line[256];
    int fd[2], logfd;
    size_t n = 0;
    static int runs;

    snprintf(h->dir, sizeof h->dir, "%s/hub-%d", top, ++runs);
    snprintf(h->ca, sizeof h->ca, "%s/tls/ca.pem", h->dir);
    snprintf(h->log, sizeof h->log, "%s.log", h->dir);
    free(hub_run(init));
    hub_model(h, model_file);
    token(h->hr, sizeof h->hr, h, HR, "hr");
    token(h->assessor, sizeof h->assessor, h, ASSESSOR, "assessor");
    logfd = open(h->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (logfd < 0 || pipe(fd) != 0 || (h->pid = fork()) < 0)
        die("cannot start ladder-hub serve");
    if (h->pid == 0) {
        dup2(fd[1], 1);
        dup2(logfd, 2);
        execv(hub_bin, argv);
        _exit(127);
    }
    serving = h->pid;
    close(fd[1]);
    close(logfd);
    while (n + 1 < sizeof line && read(fd[0], line + n, 1) == 1 &&
           line[n] != '\n')
        n++;
    line[n] = '\0';
    close(fd[0]);
    if (strncmp(line, "listening on ", 13) != 0)
        die("ladder-hub serve did not start");
    snprintf(h->url, sizeof h->url, "%s", line + 13);
}

static double hub_cpu(const struct hub *h)
{
    return bench_cpu_s(h->pid);
}

static void hub_stop(struct hub *h)
{
    int status;

    kill(h->pid, SIGTERM);
    waitpid(h->pid, &status, 0);
    serving = 0;
}

/* ---- the workload as change sets ---- */

struct sets {
    char **text;
    size_t *len, *count;
    size_t n, changes, bytes;
};

static void sets_add(struct sets *s, json_t *changes)
{
    char id[LDR_UUID_LEN + 1];
    json_t *doc;

    ldr_uuid_v7(id, NULL);
    doc = json_pack("{s:s, s:O}", "id", id, "changes", changes);
    s->text = realloc(s->text, (s->n + 1) * sizeof *s->text);
    s->len = realloc(s->len, (s->n + 1) * sizeof *s->len);
    s->count = realloc(s->count, (s->n + 1) * sizeof *s->count);
    s->text[s->n] = json_dumps(doc, JSON_COMPACT);
    s->len[s->n] = strlen(s->text[s->n]);
    s->count[s->n] = json_array_size(changes);
    s->changes += s->count[s->n];
    s->bytes += s->len[s->n];
    s->n++;
    json_decref(doc);
    json_array_clear(changes);
}

static void sets_free(struct sets *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->text[i]);
    free(s->text);
    free(s->len);
    free(s->count);
    memset(s, 0, sizeof *s);
}

static json_t *change(const char *kind, const char *record, uint64_t ms,
                      const char *author, json_t *set)
{
    char hlc[LDR_HLC_TEXT_LEN + 1];

    ldr_hlc_format(hlc, (struct ldr_hlc){ms, 0});
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:o}", "kind", kind,
                     "record", record, "hlc", hlc, "device", DEVICE, "author",
                     author, "base", 0, "set", set);
}

static json_t *person(const char *id, uint64_t ms)
{
    char record[LDR_UUID_LEN + 1];

    ldr_domain_person_record(record, id);
    return change("person", record, ms, HR,
                  json_pack("{s:s, s:s, s:s, s:s}", "/id", id, "/name",
                            "测试员工", "/unit", UNIT, "/grade", "am2"));
}

struct model_ids {
    const char *ids[64];
    size_t n;
};

static json_t *assessment(const struct hub *h, json_t *doc, json_t *subject,
                          size_t i, uint64_t ms, const struct model_ids *comps)
{
    char record[LDR_UUID_LEN + 1], path[160], when[32];
    uint8_t bytes[10] = {0};
    json_t *set;
    size_t k;

    for (k = 0; k < 10; k++)
        bytes[k] = (uint8_t)(i >> (8 * (k % 8)));
    ldr_uuid_v7_from(record, ms, bytes);
    snprintf(when, sizeof when, "2026-11-20T09:00:%02zu.000Z", i % 60);
    set =
        json_pack("{s:O, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "/subject",
                  subject, "/model", h->model, "/version", h->version, "/grade",
                  "am2", "/kind", "manager", "/assessor", ASSESSOR, "/state",
                  "submitted", "/created", when, "/submitted", when);
    for (k = 0; k < json_array_size(json_object_get(doc, "ratings")); k++) {
        const char *comp = comps->ids[k % comps->n];
        json_t *rating = json_array_get(json_object_get(doc, "ratings"), k);
        snprintf(path, sizeof path, "/ratings/%s/level", comp);
        json_object_set(set, path, json_object_get(rating, "level"));
        snprintf(path, sizeof path, "/ratings/%s/evidence", comp);
        json_object_set(set, path, json_object_get(rating, "evidence"));
    }
    return change("assessment", record, ms, ASSESSOR, set);
}

static void model_competencies(struct model_ids *out, json_t *model)
{
    json_t *list = json_object_get(model, "competencies");

    out->n = 0;
    for (size_t i = 0; i < json_array_size(list) && out->n < 64; i++)
        out->ids[out->n++] =
            json_string_value(json_object_get(json_array_get(list, i), "id"));
    if (!out->n)
        die("the model has no competencies");
}

/* The subject of assessment `i`: one of the first PEOPLE documents' */
static json_t *subject_of(json_t *docs, size_t i)
{
    return json_object_get(json_array_get(docs, i % PEOPLE), "subject");
}

/* The roster (PEOPLE people) and the assessments, as change sets. */
static void make_sets(struct sets *roster, struct sets *work,
                      const struct hub *h, json_t *docs, json_t *model)
{
    uint64_t ms = ldr_wall_ms() - 3600 * 1000;
    json_t *list = json_array();
    struct model_ids comps;
    size_t i, n = json_array_size(docs);

    model_competencies(&comps, model);
    for (i = 0; i < PEOPLE && i < n; i++)
        json_array_append_new(
            list, person(json_string_value(subject_of(docs, i)), ms + i));
    sets_add(roster, list);
    for (i = 0; i < n; i++) {
        json_array_append_new(list, assessment(h, json_array_get(docs, i),
                                               subject_of(docs, i), i, ms + i,
                                               &comps));
        if (json_array_size(list) == SET_SIZE || i + 1 == n)
            sets_add(work, list);
    }
    json_decref(list);
}

/* ---- HTTP ---- */

struct buf {
    char *p;
    size_t len, cap;
};

static size_t on_data(char *data, size_t size, size_t n, void *ctx)
{
    struct buf *b = ctx;

    if (b->len + size * n + 1 > b->cap) {
        b->cap = (b->len + size * n + 1) * 2;
        if (!(b->p = realloc(b->p, b->cap)))
            die("out of memory");
    }
    memcpy(b->p + b->len, data, size * n);
    b->len += size * n;
    b->p[b->len] = '\0';
    return size * n;
}

static CURL *client(const struct hub *h, bool gzip)
{
    CURL *c = curl_easy_init();

    curl_easy_setopt(c, CURLOPT_CAINFO, h->ca);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    if (gzip)
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
    return c;
}

static char *gzip_text(const char *text, size_t len, size_t *out_len)
{
    z_stream z = {0};
    uLong cap;
    char *out;

    /* level 1, as the agent compresses its change sets (agent/http.c) */
    deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8,
                 Z_DEFAULT_STRATEGY);
    cap = deflateBound(&z, (uLong)len);
    out = malloc(cap);
    z.next_in = (Bytef *)text;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    *out_len = z.total_out;
    deflateEnd(&z);
    return out;
}

/* POSTs one set; its answer must accept every change. */
static void post(CURL *c, const struct hub *h, const char *token,
                 const char *body, size_t len, size_t count, bool gzip)
{
    char url[512], auth[300];
    struct curl_slist *l = NULL;
    struct buf b = {0};
    size_t zlen = len;
    char *packed = gzip ? gzip_text(body, len, &zlen) : NULL;
    json_t *answer;
    long status = 0;

    snprintf(url, sizeof url, "%s/v1/changesets", h->url);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    l = curl_slist_append(l, auth);
    l = curl_slist_append(l, "Content-Type: application/json");
    l = curl_slist_append(l, gzip ? "Expect: 100-continue" : "Expect:");
    if (gzip)
        l = curl_slist_append(l, "Content-Encoding: gzip");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, l);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, packed ? packed : body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)zlen);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (curl_easy_perform(c) != CURLE_OK)
        die("a push failed");
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    answer = json_loadb(b.p, b.len, 0, NULL);
    if (status != 200 ||
        json_array_size(json_object_get(answer, "accepted")) != count) {
        fprintf(stderr, "bench_hub: push answered %ld: %.600s\n", status, b.p);
        die("a push was not accepted whole");
    }
    json_decref(answer);
    curl_slist_free_all(l);
    free(packed);
    free(b.p);
}

/* GETs pages from 0 until the hub says no more, keeping their texts in
 * `pages`; the items. */
static size_t pull(CURL *c, const struct hub *h, struct bench_texts *pages)
{
    char url[512], auth[300];
    struct curl_slist *l = NULL;
    long long next = 0;
    size_t items = 0;
    bool more = true;

    snprintf(auth, sizeof auth, "Authorization: Bearer %s", h->assessor);
    l = curl_slist_append(l, auth);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, l);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    while (more) {
        struct buf b = {0};
        json_t *page;
        snprintf(url, sizeof url,
                 "%s/v1/changes?since=%lld&limit=%d&form=state", h->url, next,
                 SET_SIZE);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        if (curl_easy_perform(c) != CURLE_OK)
            die("a pull failed");
        page = json_loadb(b.p, b.len, 0, NULL);
        if (!json_is_array(json_object_get(page, "items")))
            die("a pull page has no items");
        items += json_array_size(json_object_get(page, "items"));
        next = json_integer_value(json_object_get(page, "next"));
        more = json_is_true(json_object_get(page, "more"));
        json_decref(page);
        bench_texts_add(pages, b.p, b.len);
    }
    curl_slist_free_all(l);
    return items;
}

/* ---- the floor ---- */

static sqlite3 *floor_db(const char *top)
{
    char path[300];
    sqlite3 *db;

    snprintf(path, sizeof path, "%s/floor.db", top);
    if (!(db = bench_floor_db(path)))
        die("cannot make the floor database");
    return db;
}

/* Jansson parsing the sets' bytes plus a plain insert of their changes'
 * rows in one transaction; the seconds it took. */
static double floor_push(sqlite3 *db, const struct sets *s)
{
    json_t *changes = json_array();
    double t;

    for (size_t i = 0; i < s->n; i++) {
        json_t *doc = json_loadb(s->text[i], s->len[i], 0, NULL);
        json_array_extend(changes, json_object_get(doc, "changes"));
        json_decref(doc);
    }
    t = bench_floor_store(
        db, &(struct bench_texts){s->text, s->len, s->n, s->bytes}, changes);
    json_decref(changes);
    if (t < 0)
        die("the floor's insert failed");
    return t;
}

/* Selects all rows back in pages of SET_SIZE, then parses the bytes the
 * pull received (states with their stamps, not the pushed change rows). */
static double floor_pull(sqlite3 *db, const struct bench_texts *pages)
{
    double start = bench_now_s();
    sqlite3_stmt *st;
    long long next = 0;
    size_t read = 0;
    int rows = 1;

    sqlite3_prepare_v2(db,
                       "SELECT seq, change FROM changes WHERE seq > ? ORDER "
                       "BY seq LIMIT 1000",
                       -1, &st, NULL);
    while (rows) {
        rows = 0;
        sqlite3_bind_int64(st, 1, next);
        while (sqlite3_step(st) == SQLITE_ROW) {
            read += (size_t)sqlite3_column_bytes(st, 1);
            next = sqlite3_column_int64(st, 0);
            rows++;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    for (size_t i = 0; i < pages->n; i++)
        json_decref(json_loadb(pages->text[i], pages->len[i], 0, NULL));
    if (!read)
        die("the floor read no rows");
    return bench_now_s() - start;
}

/* ---- the run ---- */

/* Seconds the hub spent on `path` requests of `who`, from headers to
 * answer, summed from its request log. */
static double hub_seconds(const struct hub *h, const char *path,
                          const char *who)
{
    FILE *f = fopen(h->log, "r");
    char line[1024];
    double ms = 0;

    while (f && fgets(line, sizeof line, f)) {
        json_t *doc = json_loads(line, 0, NULL);
        const char *p = json_string_value(json_object_get(doc, "path"));
        const char *by = json_string_value(json_object_get(doc, "principal"));
        if (p && by && strcmp(p, path) == 0 && strcmp(by, who) == 0)
            ms += json_number_value(json_object_get(doc, "ms"));
        json_decref(doc);
    }
    if (f)
        fclose(f);
    return ms / 1000;
}

static void report(const char *what, size_t n, double s, double floor_s,
                   double hub_s, double cpu_s)
{
    printf("%-26s %6zu changes %7.3f s %8.0f changes/s   floor %6.3f s   "
           "%.2fx the floor   (in the hub %.3f s, hub CPU %.2f s)\n",
           what, n, s, (double)n / s, floor_s, s / floor_s, hub_s, cpu_s);
}

static void bench(const char *top, json_t *docs, json_t *model,
                  const char *model_file, bool gzip)
{
    struct hub h = {0};
    struct sets roster = {0}, work = {0};
    sqlite3 *db;
    double t, push_s, pull_s, cpu0, push_cpu, pull_cpu;
    struct bench_texts pages = {0};
    size_t items;
    CURL *c;

    hub_start(&h, top, model_file);
    make_sets(&roster, &work, &h, docs, model);
    c = client(&h, gzip);
    for (size_t i = 0; i < roster.n; i++)
        post(c, &h, h.hr, roster.text[i], roster.len[i], roster.count[i], gzip);
    cpu0 = hub_cpu(&h);
    t = bench_now_s();
    for (size_t i = 0; i < work.n; i++)
        post(c, &h, h.assessor, work.text[i], work.len[i], work.count[i], gzip);
    push_s = bench_now_s() - t;
    push_cpu = hub_cpu(&h) - cpu0;
    cpu0 = hub_cpu(&h);
    t = bench_now_s();
    items = pull(c, &h, &pages);
    pull_s = bench_now_s() - t;
    pull_cpu = hub_cpu(&h) - cpu0;
    curl_easy_cleanup(c);
    db = floor_db(top);
    printf("-- %s: %zu sets, %.1f MB of JSON; pulled %zu items, %.1f MB%s\n",
           gzip ? "gzip, as ladder sync" : "plain JSON", work.n,
           (double)work.bytes / 1e6, items, (double)pages.bytes / 1e6,
           gzip ? " (after gunzip)" : "");
    floor_push(db, &roster); /* so the pull floor reads as many rows */
    report("push", work.changes, push_s, floor_push(db, &work),
           hub_seconds(&h, "/v1/changesets", ASSESSOR), push_cpu);
    report("pull (first sync, states)", items, pull_s, floor_pull(db, &pages),
           hub_seconds(&h, "/v1/changes", ASSESSOR), pull_cpu);
    printf("hub peak RSS %.1f MiB\n", bench_peak_rss_mib(h.pid));
    sqlite3_close(db);
    hub_stop(&h);
    sets_free(&roster);
    sets_free(&work);
    bench_texts_free(&pages);
}

int main(int argc, char **argv)
{
    char top[] = "/tmp/ladder-bench-hub-XXXXXX", cmd[64];
    size_t n = argc > 4 ? strtoul(argv[4], NULL, 10) : 10000;
    json_t *docs, *model;

    if (argc < 4)
        die("usage: bench_hub HUB_BIN MODEL_FILE DOCS.ndjson [N]");
    hub_bin = argv[1];
    if (!mkdtemp(top) || !(model = json_load_file(argv[2], 0, NULL)))
        die("cannot make a directory or read the model");
    if (!(docs = bench_read_ndjson(argv[3], n)))
        die("not enough documents in the workload file");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    bench(top, docs, model, argv[2], true);
    bench(top, docs, model, argv[2], false);
    curl_global_cleanup();
    json_decref(docs);
    json_decref(model);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    return system(cmd) == 0 ? 0 : 1;
}
