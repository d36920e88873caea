/*
 * `ladder sync` as a user runs it, on the peer benchmark's records
 * (../shared/bench/pouchdb/bench.js): a real `ladder-hub serve` on
 * 127.0.0.1 over HTTPS with its own CA, agents made with the real CLI, and
 * every sync timed as a whole process, from fork to wait4.
 *
 *   a) initial push of N assessments: N-100 rows of `pilot import` and 100
 *      drafts made with `assess new` and `assess interactive`; beside it
 *      the floor of storing those changes at all (bench_floor_store)
 *   b) incremental: the 100 drafts get 12 new levels and are submitted
 *   c) full pull into a fresh agent
 *   d) no-op sync, median of NOOP_REPEATS (5), beside bench_get (one
 *      HTTPS GET from a fresh process that loads libcurl: the floor)
 *   e) CLIENTS (20) fresh agents with CLIENT_DOCS (200) new records each,
 *      their syncs started at once
 *
 * then the agent's peak RSS (largest ru_maxrss of the timed syncs) and the
 * hub's (VmHWM). One 'name value unit' line per figure, as the peer
 * prints them; lines starting with '#' are notes.
 *
 *   bench_sync LADDER HUB MODEL DOCS.ndjson CONC.ndjson [N]
 *
 * env: CLIENTS, CLIENT_DOCS, NOOP_REPEATS; LADDER_BENCH_KEEP keeps the
 * data directory (hub, agents, request log) for a look afterwards;
 * CONCURRENT_ONLY runs the roster and e) alone.
 */
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "bench_util.h"

#define PEOPLE 1000   /* the north roster, as bench_agent and bench_hub */
#define DRAFTS 100    /* records changed in b), as the peer's 100 */
#define PER_FILE 1000 /* pilot rows per import: one per person */
#define MAX_ARGS 24

static const char *ladder_bin, *hub_bin;
static char get_bin[300]; /* bench_get, beside this program */
static char top[] = "/tmp/ladder-bench-sync-XXXXXX";
static pid_t serving;     /* the hub to stop when the bench fails */
static long sync_rss_kib; /* largest ru_maxrss of a timed `ladder sync` */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Removes the data directory unless LADDER_BENCH_KEEP is set. */
static int clean_up(void)
{
    char cmd[128];

    if (getenv("LADDER_BENCH_KEEP")) {
        fprintf(stderr, "bench_sync: kept %s\n", top);
        return 0;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    return system(cmd) == 0 ? 0 : 1;
}

static void die(const char *fmt, ...)
{
    va_list ap;

    fputs("bench_sync: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (serving > 0 && kill(serving, SIGTERM) == 0)
        waitpid(serving, NULL, 0);
    if (top[strlen(top) - 1] != 'X')
        clean_up();
    exit(1);
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static size_t env_size(const char *name, size_t fallback)
{
    const char *v = getenv(name);

    return v && *v ? strtoul(v, NULL, 10) : fallback;
}

/* ---- processes ---------------------------------------------------------- */

struct proc {
    pid_t pid;
    int out;    /* its stdout */
    double t0;  /* when it was started */
    double ms;  /* how long it ran, fork to wait4 */
    long rss;   /* its ru_maxrss, KiB */
    double cpu; /* its user and system seconds */
    char *text; /* its stdout, malloc'd */
    int status;
};

/* Starts argv with stdin from `in` (NULL: /dev/null), stdout to a pipe and
 * stderr to `err` (NULL: inherited). */
static void start(struct proc *p, char *const *argv, const char *in,
                  const char *err)
{
    int fd[2];

    memset(p, 0, sizeof *p);
    if (pipe(fd) != 0)
        die("pipe failed");
    p->t0 = now_ms();
    if ((p->pid = fork()) < 0)
        die("fork failed");
    if (p->pid == 0) {
        int i = open(in ? in : "/dev/null", O_RDONLY);
        if (err)
            dup2(open(err, O_WRONLY | O_CREAT | O_APPEND, 0600), 2);
        dup2(i, 0);
        dup2(fd[1], 1);
        close(fd[0]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fd[1]);
    p->out = fd[0];
}

/* Reads its stdout to the end and waits for it. */
static void finish(struct proc *p)
{
    size_t len = 0, cap = 4096;
    struct rusage ru;
    ssize_t got;

    p->text = malloc(cap);
    while (p->text && (got = read(p->out, p->text + len, cap - len - 1)) > 0)
        if ((len += (size_t)got) + 1 == cap)
            p->text = realloc(p->text, cap *= 2);
    if (!p->text)
        die("out of memory");
    p->text[len] = '\0';
    close(p->out);
    if (wait4(p->pid, &p->status, 0, &ru) != p->pid)
        die("wait4 failed");
    p->ms = now_ms() - p->t0;
    p->rss = ru.ru_maxrss;
    p->cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
             (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int failed(const struct proc *p)
{
    return !WIFEXITED(p->status) || WEXITSTATUS(p->status) != 0;
}

/* argv of `ladder --db DB` and the NULL-terminated arguments in `ap`. */
static void ladder_argv(char **argv, const char *db, va_list ap)
{
    int n = 3;

    argv[0] = (char *)ladder_bin;
    argv[1] = "--db";
    argv[2] = (char *)db;
    while (n < MAX_ARGS - 1 && (argv[n] = va_arg(ap, char *)) != NULL)
        n++;
    argv[n] = NULL;
}

/* Runs ladder on `db` with stdin from `in`; its stdout (malloc'd). */
static char *ladder(const char *db, const char *in, ...)
{
    char *argv[MAX_ARGS];
    struct proc p;
    va_list ap;

    va_start(ap, in);
    ladder_argv(argv, db, ap);
    va_end(ap);
    start(&p, argv, in, NULL);
    finish(&p);
    if (failed(&p))
        die("ladder --db %s %s %s failed", db, argv[3], argv[4] ? argv[4] : "");
    return p.text;
}

/* `text` in a file for a process's stdin; the file's path. */
static const char *stdin_file(const char *text)
{
    static char path[300];
    FILE *f;

    snprintf(path, sizeof path, "%s/stdin.txt", top);
    if (!(f = fopen(path, "w")) || fputs(text, f) < 0 || fclose(f) != 0)
        die("cannot write %s", path);
    return path;
}

/* ---- timed syncs -------------------------------------------------------- */

static void sync_start(struct proc *p, const char *db)
{
    char *argv[] = {(char *)ladder_bin, "--db", (char *)db, "sync",
                    "--json",           NULL};

    start(p, argv, NULL, NULL);
}

/* Waits for a sync; its summary, refused when anything was rejected. */
static json_t *sync_finish(struct proc *p, const char *db)
{
    json_t *sum;

    finish(p);
    sum = json_loads(p->text, 0, NULL);
    if (failed(p) || !sum ||
        json_integer_value(json_object_get(sum, "rejected")) != 0)
        die("ladder --db %s sync: %s", db, p->text);
    if (p->rss > sync_rss_kib)
        sync_rss_kib = p->rss;
    free(p->text);
    return sum;
}

/* One sync, timed; its summary. */
static json_t *sync_timed(const char *db, double *ms, long *rss)
{
    struct proc p;
    json_t *sum;

    sync_start(&p, db);
    sum = sync_finish(&p, db);
    *ms = p.ms;
    if (rss)
        *rss = p.rss;
    return sum;
}

static long long num(const json_t *sum, const char *key)
{
    return (long long)json_integer_value(json_object_get(sum, key));
}

static void note_sync(const char *what, const json_t *sum, long rss)
{
    printf("# %s: pushed %lld, accepted %lld, pulled %lld, %.1f KB up, "
           "%.1f KB down, agent RSS %.1f MiB\n",
           what, num(sum, "pushed"), num(sum, "accepted"), num(sum, "pulled"),
           (double)num(sum, "sent_bytes") / 1e3,
           (double)num(sum, "received_bytes") / 1e3, (double)rss / 1024);
}

/* ---- the hub ------------------------------------------------------------ */

struct hub {
    char dir[300], ca[400], url[300], log[320];
    pid_t pid;
};

static struct hub hub;

/* Runs ladder-hub with the NULL-terminated `args`; its stdout (malloc'd). */
static char *hub_cmd(const char *const *args)
{
    char *argv[MAX_ARGS] = {(char *)hub_bin};
    struct proc p;
    int n = 0;

    while (n < MAX_ARGS - 2 && args[n]) {
        argv[n + 1] = (char *)args[n];
        n++;
    }
    argv[n + 1] = NULL;
    start(&p, argv, NULL, "/dev/null"); /* the token notices */
    finish(&p);
    if (failed(&p))
        die("ladder-hub %s %s failed", args[0], args[1]);
    return p.text;
}

/* A new token "ldr_..." for `who`. */
static char *hub_token(const char *who, const char *role, const char *scope)
{
    const char *args[] = {"token",  "add", hub.dir,   "--principal", who,
                          "--role", role,  "--scope", scope,         NULL};
    char *t = hub_cmd(args);

    t[strcspn(t, " \r\n")] = '\0';
    if (strncmp(t, "ldr_", 4) != 0)
        die("ladder-hub token add printed '%s'", t);
    return t;
}

static void hub_init(const char *model_file)
{
    const char *init[] = {"init", hub.dir, "--json", NULL};
    const char *add[] = {"model", "add", hub.dir, model_file, NULL};
    const char *ca;
    json_t *doc;
    char *out;

    snprintf(hub.dir, sizeof hub.dir, "%s/hub", top);
    snprintf(hub.log, sizeof hub.log, "%s/hub.log", top);
    out = hub_cmd(init);
    doc = json_loads(out, 0, NULL);
    if (!(ca = json_string_value(json_object_get(doc, "ca"))))
        die("ladder-hub init --json printed no ca: %s", out);
    snprintf(hub.ca, sizeof hub.ca, "%s", ca);
    json_decref(doc);
    free(out);
    free(hub_cmd(add));
}

/* Reads the "listening on URL" line the hub prints once it serves. */
static void hub_serve(void)
{
    char *argv[] = {(char *)hub_bin, "serve",       hub.dir,
                    "--listen",      "127.0.0.1:0", NULL};
    char line[300];
    struct proc p;
    size_t n = 0;

    start(&p, argv, NULL, hub.log);
    hub.pid = serving = p.pid;
    while (n + 1 < sizeof line && read(p.out, line + n, 1) == 1 &&
           line[n] != '\n')
        n++;
    line[n] = '\0';
    if (strncmp(line, "listening on https://", 21) != 0)
        die("ladder-hub serve printed '%s'; see %s", line, hub.log);
    snprintf(hub.url, sizeof hub.url, "%s", line + 13);
}

static void hub_stop(void)
{
    int status;

    kill(hub.pid, SIGTERM);
    waitpid(hub.pid, &status, 0);
    serving = 0;
}

/* Where the request log ends now. */
static long log_mark(void)
{
    struct stat st;

    return stat(hub.log, &st) == 0 ? (long)st.st_size : 0;
}

/* Seconds the hub spent answering requests logged after `mark`. */
static double hub_busy_s(long mark)
{
    FILE *f = fopen(hub.log, "r");
    char line[2048];
    double ms = 0;

    if (f && fseek(f, mark, SEEK_SET) == 0)
        while (fgets(line, sizeof line, f)) {
            json_t *doc = json_loads(line, 0, NULL);
            ms += json_number_value(json_object_get(doc, "ms"));
            json_decref(doc);
        }
    if (f)
        fclose(f);
    return ms / 1e3;
}

/* ---- the workload, written to files before anything runs ---------------- */

static json_t *read_ndjson(const char *path, size_t n)
{
    json_t *docs = bench_read_ndjson(path, n);

    if (!docs)
        die("%s: fewer than %zu records", path, n);
    return docs;
}

static const char *field(const json_t *doc, const char *key)
{
    return json_string_value(json_object_get(doc, key));
}

/* The subject of record `i`: one of the first `people` records' */
static const char *subject(const json_t *docs, size_t i, size_t people)
{
    return field(json_array_get(docs, i % people), "subject");
}

static const json_t *rating(const json_t *doc, size_t k)
{
    return json_array_get(json_object_get(doc, "ratings"), k);
}

static int level(const json_t *doc, size_t k)
{
    return (int)json_integer_value(json_object_get(rating(doc, k), "level"));
}

static const char *evidence(const json_t *doc, size_t k)
{
    return field(rating(doc, k), "evidence");
}

/* The model's competency ids in its order: the peer's 12 ratings map to
 * the first 12. */
struct comps {
    char *id[64];
    size_t n;
};

static void read_comps(struct comps *c, const char *model_file)
{
    json_t *model = json_load_file(model_file, 0, NULL);
    const json_t *list = json_object_get(model, "competencies");

    c->n = 0;
    for (size_t i = 0; i < json_array_size(list) && c->n < 64; i++)
        c->id[c->n++] = strdup(field(json_array_get(list, i), "id"));
    if (c->n < 12)
        die("%s: %zu competencies; the records rate 12", model_file, c->n);
    json_decref(model);
}

static void csv_text(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Records [from, to) of `docs` as a pilot CSV: level and evidence of 12
 * competencies per row. */
static void write_csv(const char *path, const json_t *docs, size_t from,
                      size_t to, size_t people, const struct comps *c)
{
    FILE *f = fopen(path, "w");

    if (!f)
        die("cannot write %s", path);
    fputs("subject,assessor", f);
    for (size_t k = 0; k < 12; k++)
        fprintf(f, ",%s,evidence:%s", c->id[k], c->id[k]);
    fputc('\n', f);
    for (size_t i = from; i < to; i++) {
        const json_t *doc = json_array_get(docs, i);
        fprintf(f, "%s,%s", subject(docs, i, people), field(doc, "assessor"));
        for (size_t k = 0; k < 12; k++) {
            fprintf(f, ",%d,", level(doc, k));
            csv_text(f, evidence(doc, k));
        }
        fputc('\n', f);
    }
    if (fclose(f) != 0)
        die("cannot write %s", path);
}

/* Answers for `assess interactive`: 12 levels, each with its evidence
 * (or none: the level only), then the end of input. */
static void write_answers(const char *path, const json_t *doc, int shift,
                          int with_evidence)
{
    FILE *f = fopen(path, "w");

    if (!f)
        die("cannot write %s", path);
    for (size_t k = 0; k < 12; k++)
        fprintf(f, "%d\n%s\n", 1 + (level(doc, k) - 1 + shift) % 5,
                with_evidence ? evidence(doc, k) : "");
    if (fclose(f) != 0)
        die("cannot write %s", path);
}

static char **subjects(const json_t *docs, size_t from, size_t n, size_t people)
{
    char **ids = calloc(n, sizeof *ids);

    for (size_t i = 0; ids && i < n; i++)
        ids[i] = strdup(subject(docs, from + i, people));
    if (!ids)
        die("out of memory");
    return ids;
}

/* ---- the run ------------------------------------------------------------ */

struct run {
    const char *model_file;
    size_t n, clients, client_docs, noops;
    char **north, **south, **drafts; /* subjects */
    char *hr_token, *trainer_token, *reader_token, **conc_tokens;
    char hr[300], pusher[300], puller[300];
    char ids[DRAFTS][64];
};

/* The files: the pusher's pilot CSVs (main-FROM.csv), the drafts' answers
 * (rate-I.txt, then edit-I.txt: the peer's edit, every level moved by one
 * as 1 + level % 5, evidence kept), the concurrent agents' CSVs
 * (conc-K.csv). */
static void prepare(struct run *r, const char *docs_file, const char *conc_file)
{
    json_t *docs = read_ndjson(docs_file, r->n);
    json_t *conc = read_ndjson(conc_file, r->clients * r->client_docs);
    size_t rows = r->n - DRAFTS, cd = r->client_docs;
    struct comps c;
    char path[400];

    read_comps(&c, r->model_file);
    r->north = subjects(docs, 0, PEOPLE, PEOPLE);
    r->south = subjects(conc, 0, cd, cd);
    r->drafts = subjects(docs, rows, DRAFTS, PEOPLE);
    for (size_t i = 0; i < rows; i += PER_FILE) {
        snprintf(path, sizeof path, "%s/main-%zu.csv", top, i);
        write_csv(path, docs, i, i + PER_FILE < rows ? i + PER_FILE : rows,
                  PEOPLE, &c);
    }
    for (size_t i = 0; i < DRAFTS; i++) {
        snprintf(path, sizeof path, "%s/rate-%zu.txt", top, i);
        write_answers(path, json_array_get(docs, rows + i), 0, 1);
        snprintf(path, sizeof path, "%s/edit-%zu.txt", top, i);
        write_answers(path, json_array_get(docs, rows + i), 1, 0);
    }
    for (size_t k = 0; k < r->clients; k++) {
        snprintf(path, sizeof path, "%s/conc-%zu.csv", top, k);
        write_csv(path, conc, k * cd, (k + 1) * cd, cd, &c);
    }
    json_decref(docs);
    json_decref(conc);
    for (size_t k = 0; k < c.n; k++)
        free(c.id[k]);
}

/* Every token, made by the admin before the hub serves: a token added
 * while `serve` runs may stay unknown to it (see docs/benchmarks.md). */
static void tokens(struct run *r)
{
    char user[32];

    r->hr_token = hub_token("bench.hr", "hr", "north,south");
    r->trainer_token = hub_token("bench.trainer", "trainer", "north");
    r->reader_token = hub_token("bench.reader", "assessor", "north");
    r->conc_tokens = calloc(r->clients, sizeof *r->conc_tokens);
    for (size_t k = 0; k < r->clients; k++) {
        snprintf(user, sizeof user, "bench.c%02zu", k);
        r->conc_tokens[k] = hub_token(user, "trainer", "south");
    }
}

/* ---- agents ------------------------------------------------------------- */

/* A fresh agent: `ladder init` with the token on stdin, the model. */
static void agent_new(char *db, size_t cap, const char *user, const char *token,
                      const char *model_file)
{
    char line[600];

    snprintf(db, cap, "%s/%s.db", top, user);
    snprintf(line, sizeof line, "%s\n", token);
    free(ladder(db, stdin_file(line), "init", "--user", user, "--hub", hub.url,
                "--token", "-", "--cacert", hub.ca, NULL));
    free(ladder(db, NULL, "model", "import", model_file, NULL));
}

/* A sync that is setup: everything must be accepted. */
static void sync_setup(const char *db)
{
    double ms;

    json_decref(sync_timed(db, &ms, NULL));
}

static void add_people(const char *db, char **ids, size_t n, const char *unit)
{
    for (size_t i = 0; i < n; i++)
        free(ladder(db, NULL, "person", "add", "--id", ids[i], "--name",
                    "测试员工", "--unit", unit, "--grade", "am2", NULL));
}

static void import_file(const char *db, const char *csv, const char *name)
{
    free(ladder(db, NULL, "pilot", "import", csv, "--pilot", name, NULL));
}

/* The drafts: `assess new`, then 12 levels with evidence answered in
 * `assess interactive`. */
static void make_drafts(struct run *r)
{
    char path[400];

    for (size_t i = 0; i < DRAFTS; i++) {
        char *id = ladder(r->pusher, NULL, "assess", "new", "--subject",
                          r->drafts[i], "--model", "account-manager", NULL);
        snprintf(r->ids[i], sizeof r->ids[i], "%.*s", (int)strcspn(id, "\r\n"),
                 id);
        free(id);
        snprintf(path, sizeof path, "%s/rate-%zu.txt", top, i);
        free(ladder(r->pusher, path, "assess", "interactive", r->ids[i], NULL));
    }
}

/* The peer's edit: new levels, and the draft submitted (the peer sets
 * its status). */
static void edit_drafts(struct run *r)
{
    char path[400];

    for (size_t i = 0; i < DRAFTS; i++) {
        snprintf(path, sizeof path, "%s/edit-%zu.txt", top, i);
        free(ladder(r->pusher, path, "assess", "interactive", r->ids[i], NULL));
        free(ladder(r->pusher, NULL, "assess", "submit", r->ids[i], NULL));
    }
}

/* Average bytes the agent keeps per assessment: its value (the record as
 * the user sees it, like the peer's doc), its state with the per-field
 * stamps, and its outbox change texts. */
static void record_sizes(const char *db)
{
    static const char *const sql[] = {
        "SELECT avg(length(value)), avg(length(state)) FROM records WHERE "
        "kind = 'assessment'",
        "SELECT avg(length(change)), count(*) FROM outbox WHERE kind = "
        "'assessment'"};
    double v[2][2] = {{0}};
    sqlite3_stmt *st;
    sqlite3 *h;

    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        die("cannot open %s", db);
    for (int q = 0; q < 2; q++)
        if (sqlite3_prepare_v2(h, sql[q], -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW)
                for (int c = 0; c < 2; c++)
                    v[q][c] = sqlite3_column_double(st, c);
            sqlite3_finalize(st);
        }
    sqlite3_close(h);
    printf("doc_json_bytes_avg %.0f bytes\n", v[0][0]);
    printf("# per assessment: value %.0f bytes, state with stamps %.0f "
           "bytes; %.0f outbox changes of %.0f bytes on average\n",
           v[0][0], v[0][1], v[1][1], v[1][0]);
}

/* ---- the phases --------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* The roster: PEOPLE people in north (the main records' subjects) and
 * CLIENT_DOCS in south (the concurrent agents'), added by hr, synced. */
static void roster(struct run *r)
{
    double start = now_ms();

    agent_new(r->hr, sizeof r->hr, "bench.hr", r->hr_token, r->model_file);
    add_people(r->hr, r->north, PEOPLE, "north");
    add_people(r->hr, r->south, r->client_docs, "south");
    sync_setup(r->hr);
    printf("# setup: roster of %d + %zu people, one 'person add' each, "
           "synced by hr: %.1f s\n",
           PEOPLE, r->client_docs, (now_ms() - start) / 1e3);
}

/* The pusher: a trainer with N-100 pilot rows and 100 drafts. */
static void pusher(struct run *r)
{
    double start = now_ms();
    char csv[400], name[64];
    size_t rows = r->n - DRAFTS;

    agent_new(r->pusher, sizeof r->pusher, "bench.trainer", r->trainer_token,
              r->model_file);
    sync_setup(r->pusher); /* the roster, for pilot import's checks */
    for (size_t i = 0; i < rows; i += PER_FILE) {
        snprintf(csv, sizeof csv, "%s/main-%zu.csv", top, i);
        snprintf(name, sizeof name, "bench %zu", i / PER_FILE + 1);
        import_file(r->pusher, csv, name);
    }
    make_drafts(r);
    printf("# setup: %zu pilot rows in %zu imports and %d drafts rated in "
           "'assess interactive': %.1f s\n",
           rows, (rows + PER_FILE - 1) / PER_FILE, DRAFTS,
           (now_ms() - start) / 1e3);
    record_sizes(r->pusher);
}

/* One timed sync of `db`: its notes; the milliseconds. */
static double timed(const char *what, const char *db)
{
    long mark = log_mark(), rss;
    double ms;
    json_t *sum = sync_timed(db, &ms, &rss);

    note_sync(what, sum, rss);
    printf("# %s: %.3f s in 'ladder sync', %.3f s of it answering in the "
           "hub\n",
           what, ms / 1e3, hub_busy_s(mark));
    json_decref(sum);
    return ms;
}

/* The texts of the changes waiting in `db`'s outbox. */
static void outbox_texts(struct bench_texts *t, const char *db)
{
    sqlite3_stmt *st = NULL;
    sqlite3 *h;

    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(h,
                           "SELECT change FROM outbox WHERE status = "
                           "'pending' ORDER BY seq",
                           -1, &st, NULL) != SQLITE_OK)
        die("cannot read the outbox of %s", db);
    while (sqlite3_step(st) == SQLITE_ROW)
        bench_texts_add(t, strdup((const char *)sqlite3_column_text(st, 0)),
                        (size_t)sqlite3_column_bytes(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
}

/*
 * The floor under storing the pushed changes at all (as bench_hub's):
 * Jansson parsing their texts plus a plain insert of a row each. Run in a
 * child process: the parent's size at fork counts in the ru_maxrss of
 * the syncs it starts later.
 */
static void push_floor(const char *db)
{
    char path[320];
    json_t *changes = json_array();
    struct bench_texts t = {0};
    sqlite3 *h;
    double s;
    pid_t pid = fork();
    int status;

    if (pid < 0)
        die("fork failed");
    if (pid > 0) {
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            die("the floor's process failed");
        return;
    }
    outbox_texts(&t, db);
    for (size_t i = 0; i < t.n; i++)
        json_array_append_new(changes,
                              json_loadb(t.text[i], t.len[i], 0, NULL));
    snprintf(path, sizeof path, "%s/floor.db", top);
    if (!(h = bench_floor_db(path))) {
        fprintf(stderr, "bench_sync: cannot make %s\n", path);
        _exit(1);
    }
    s = bench_floor_store(h, &t, changes);
    printf("push_floor_store %.2f s\n", s);
    printf("# push_floor_store: Jansson parsing the %zu changes to push "
           "plus a plain SQLite insert of a row each\n",
           t.n);
    fflush(stdout);
    _exit(s < 0);
}

/* a) the pusher's N records to the hub, beside the floor. */
static void push_initial(struct run *r)
{
    double ms;

    push_floor(r->pusher);
    ms = timed("push_initial", r->pusher);
    printf("push_initial %.2f s\n", ms / 1e3);
    printf("push_initial_rate %.0f docs/s\n", (double)r->n / (ms / 1e3));
}

/* b) 100 of those records changed, then synced. */
static void push_incremental(struct run *r)
{
    double ms;

    edit_drafts(r);
    ms = timed("push_incremental_100", r->pusher);
    printf("push_incremental_100 %.1f ms\n", ms);
}

/* c) a fresh agent with the same scope pulls everything. */
static void pull_full(struct run *r)
{
    double ms;

    agent_new(r->puller, sizeof r->puller, "bench.reader", r->reader_token,
              r->model_file);
    ms = timed("pull_full", r->puller);
    printf("pull_full %.2f s\n", ms / 1e3);
    printf("pull_full_rate %.0f docs/s\n", (double)r->n / (ms / 1e3));
}

/* d) syncs with nothing to do: median of NOOP_REPEATS. */
static double noop(const struct run *r, const char *db)
{
    double *t = calloc(r->noops, sizeof *t), m;

    for (size_t i = 0; i < r->noops; i++) {
        json_t *sum = sync_timed(db, &t[i], NULL);
        if (num(sum, "pushed") || num(sum, "pulled"))
            die("a no-op sync moved records");
        json_decref(sum);
    }
    m = median(t, r->noops);
    free(t);
    return m;
}

/* The floor: `ladder version`, a process that starts and exits; its
 * median time and its ru_maxrss. */
static double floor_ms(const char *db, long *rss)
{
    char *argv[] = {(char *)ladder_bin, "--db", (char *)db, "version", NULL};
    double t[15];
    struct proc p;

    for (int i = 0; i < 15; i++) {
        start(&p, argv, NULL, NULL);
        finish(&p);
        free(p.text);
        t[i] = p.ms;
        *rss = p.rss;
    }
    return median(t, 15);
}

/* The floor under any sync run as a command: bench_get, a process that
 * loads libcurl as ladder does and makes one HTTPS GET of the hub's
 * /healthz; its median time over 3 * NOOP_REPEATS runs. */
static double https_floor_ms(const struct run *r)
{
    char url[320];
    char *argv[] = {get_bin, url, hub.ca, NULL};
    size_t n = 3 * r->noops;
    double *t = calloc(n, sizeof *t), m;
    struct proc p;

    snprintf(url, sizeof url, "%s/healthz", hub.url);
    for (size_t i = 0; i < n; i++) {
        start(&p, argv, NULL, NULL);
        finish(&p);
        free(p.text);
        if (failed(&p))
            die("%s %s failed", get_bin, url);
        t[i] = p.ms;
    }
    m = median(t, n);
    free(t);
    return m;
}

static void noops(struct run *r)
{
    long rss;

    printf("noop_sync_2way %.1f ms\n", noop(r, r->puller));
    printf("noop_sync_pusher %.1f ms\n", noop(r, r->pusher));
    printf("noop_floor_https_get %.1f ms\n", https_floor_ms(r));
    printf("# noop: the agent that pulled, then the one that pushed; the "
           "floor: one HTTPS GET from a fresh process that loads libcurl; "
           "'ladder version' takes %.1f ms",
           floor_ms(r->puller, &rss));
    printf(" and %.1f MiB\n", (double)rss / 1024);
}

/* A concurrent agent: its roster pulled, CLIENT_DOCS records imported. */
static void conc_agent(struct run *r, size_t k, char *db, size_t cap)
{
    char user[32], csv[400], name[48];

    snprintf(user, sizeof user, "bench.c%02zu", k);
    agent_new(db, cap, user, r->conc_tokens[k], r->model_file);
    sync_setup(db);
    snprintf(csv, sizeof csv, "%s/conc-%zu.csv", top, k);
    snprintf(name, sizeof name, "bench %s", user);
    import_file(db, csv, name);
}

/* e) CLIENTS agents sync at once. */
static void concurrent(struct run *r)
{
    char(*dbs)[300] = calloc(r->clients, sizeof *dbs);
    struct proc *p = calloc(r->clients, sizeof *p);
    double start, wall, slowest = 0, cpu = 0, hub_cpu;
    long long pulled = 0;
    long mark;

    for (size_t k = 0; k < r->clients; k++)
        conc_agent(r, k, dbs[k], sizeof dbs[k]);
    mark = log_mark();
    hub_cpu = bench_cpu_s(hub.pid);
    start = now_ms();
    for (size_t k = 0; k < r->clients; k++)
        sync_start(&p[k], dbs[k]);
    for (size_t k = 0; k < r->clients; k++) {
        json_t *sum = sync_finish(&p[k], dbs[k]);
        if (num(sum, "accepted") != (long long)r->client_docs + 1)
            die("concurrent agent %zu: %lld accepted", k, num(sum, "accepted"));
        pulled += num(sum, "pulled");
        slowest = p[k].ms > slowest ? p[k].ms : slowest;
        cpu += p[k].cpu;
        json_decref(sum);
    }
    wall = now_ms() - start;
    hub_cpu = bench_cpu_s(hub.pid) - hub_cpu;
    printf("concurrent_push %.2f s\n", wall / 1e3);
    printf("concurrent_push_rate %.0f docs/s\n",
           (double)(r->clients * r->client_docs) / (wall / 1e3));
    printf("# concurrent: %zu syncs of %zu assessments + 1 pilot record "
           "each; slowest %.2f s; they pulled %lld items in all; the hub "
           "answered for %.2f s in all\n",
           r->clients, r->client_docs, slowest / 1e3, pulled, hub_busy_s(mark));
    printf("# concurrent: CPU %.2f s in the syncs, %.2f s in the hub, over "
           "%.2f s of wall time on %ld cpus\n",
           cpu, hub_cpu, wall / 1e3, sysconf(_SC_NPROCESSORS_ONLN));
    free(dbs);
    free(p);
}

static void bench(struct run *r)
{
    hub_init(r->model_file);
    tokens(r);
    hub_serve();
    printf("# ladder sync against ladder-hub serve on %s; N=%zu, "
           "%zux%zu concurrent, %ld cpus, data in %s; bench_sync RSS "
           "%.1f MiB\n",
           hub.url, r->n, r->clients, r->client_docs,
           sysconf(_SC_NPROCESSORS_ONLN), top, bench_status_mib(0, "VmRSS"));
    roster(r);
    if (!getenv("CONCURRENT_ONLY")) {
        pusher(r);
        push_initial(r);
        push_incremental(r);
        pull_full(r);
        noops(r);
    }
    concurrent(r);
    printf("server_peak_rss %.1f MiB\n", bench_peak_rss_mib(hub.pid));
    printf("client_peak_rss %.1f MiB\n", (double)sync_rss_kib / 1024);
    hub_stop();
}

/* The path of program `name` in the directory of `self` (argv[0]). */
static void beside(char *out, size_t cap, const char *self, const char *name)
{
    const char *slash = strrchr(self, '/');

    if (slash)
        snprintf(out, cap, "%.*s/%s", (int)(slash - self), self, name);
    else
        snprintf(out, cap, "./%s", name);
}

int main(int argc, char **argv)
{
    struct run r = {0};

    if (argc < 6)
        die("usage: bench_sync LADDER HUB MODEL DOCS.ndjson CONC.ndjson "
            "[N]");
    setvbuf(stdout, NULL, _IOLBF, 0);
    ladder_bin = argv[1];
    hub_bin = argv[2];
    beside(get_bin, sizeof get_bin, argv[0], "bench_get");
    r.model_file = argv[3];
    r.n = argc > 6 ? strtoul(argv[6], NULL, 10) : 10000;
    r.clients = env_size("CLIENTS", 20);
    r.client_docs = env_size("CLIENT_DOCS", 200);
    r.noops = env_size("NOOP_REPEATS", 5);
    if (r.n < PEOPLE + DRAFTS || !r.clients || !r.client_docs || !r.noops)
        die("N must be at least %d; CLIENTS, CLIENT_DOCS and NOOP_REPEATS "
            "at least 1",
            PEOPLE + DRAFTS);
    if (!mkdtemp(top))
        die("cannot make %s", top);
    prepare(&r, argv[4], argv[5]);
    malloc_trim(0); /* the records are in files now: stay small */
    bench(&r);
    return clean_up();
}
