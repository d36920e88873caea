/*
 * Benchmark of the models in git: N successive publishes of one model,
 * each with a small edit, into a fresh bare repository, then the reads
 * HR does on that history: the list of models, the history of the model,
 * two versions read (by commit and by version id) and their semantic
 * diff. Targets (issue 6): history under 50 ms, diff under 20 ms.
 *
 * usage: bench_models MODEL.json [N] [REPEATS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

#include "gitstore.h"
#include "ladder/err.h"
#include "ladder/model.h"
#include "ladder/model_diff.h"

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const struct ldr_err *err)
{
    fprintf(stderr, "bench_models: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

static void make_repo(const char *git)
{
    git_repository_init_options opts;
    git_repository *repo = NULL;

    git_repository_init_options_init(&opts,
                                     GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
    opts.initial_head = "main";
    if (git_repository_init_ext(&repo, git, &opts) != 0)
        die("cannot create the repository", NULL);
    git_repository_free(repo);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Publishes edition `i`: the description with " (edition i)". */
static void publish(struct hub_git *g, json_t *doc, const char *description,
                    int i)
{
    char text[4096], message[64];
    struct hub_publish in = {0};
    struct hub_published out;
    struct ldr_err err = {0};
    char *file;

    snprintf(text, sizeof text, "%s (edition %d)", description, i);
    snprintf(message, sizeof message, "Edition %d", i);
    json_object_set_new(doc, "description", json_string(text));
    if (!(file = json_dumps(doc, JSON_PRESERVE_ORDER)))
        die("out of memory", NULL);
    in = (struct hub_publish){
        file, strlen(file), NULL, "Bench", "bench@example.org", message, NULL};
    if (hub_git_publish(&out, g, &in, NULL, &err) != 0 || out.unchanged)
        die("publish", &err);
    free(file);
}

/* Publishes `n` editions; prints the mean, median and slowest. */
static void publishes(struct hub_git *g, json_t *doc, const char *description,
                      int n)
{
    double *ms = calloc((size_t)n, sizeof *ms), total = 0;

    if (!ms)
        die("out of memory", NULL);
    for (int i = 0; i < n; i++) {
        double t0 = now_ms();

        publish(g, doc, description, i + 1);
        ms[i] = now_ms() - t0;
        total += ms[i];
    }
    qsort(ms, (size_t)n, sizeof *ms, by_value);
    printf("%d publishes (fsync on): %.0f ms; each: mean %.2f ms, median "
           "%.2f ms, slowest %.0f ms (with a pack)\n",
           n, total, total / n, ms[n / 2], ms[n - 1]);
    free(ms);
}

/* What the timed operations read and what they found. */
struct bench {
    const char *dir;
    const char *id;
    const char *from, *to; /* revisions to read and diff */
    size_t count;          /* versions in the history */
    size_t changes;        /* changes in the diff */
    json_t *other;         /* another model, published to move main */
    const char *description;
    int edition;
};

typedef void (*op_fn)(struct hub_git *g, struct bench *b);

static void op_history(struct hub_git *g, struct bench *b)
{
    struct hub_versions v;
    struct ldr_err err = {0};

    if (hub_git_versions(&v, g, b->id, &err) != 0)
        die("versions", &err);
    b->count = v.count;
    hub_versions_release(&v);
}

static void op_list(struct hub_git *g, struct bench *b)
{
    struct hub_model_list list;
    struct ldr_err err = {0};

    (void)b;
    if (hub_git_list(&list, g, &err) != 0)
        die("list", &err);
    hub_model_list_release(&list);
}

/* Reads model `id` at `rev` and parses it. */
static struct ldr_model *read_model(struct hub_git *g, const char *id,
                                    const char *rev)
{
    struct hub_model_file file;
    struct ldr_model *m = NULL;
    struct ldr_err err = {0};

    if (hub_git_show(&file, g, id, rev, &err) != 0)
        die("show", &err);
    if (ldr_model_parse(&m, file.text, file.len, NULL, &err) != 0)
        die("parse", &err);
    hub_model_file_release(&file);
    return m;
}

/* Two versions read and parsed, without the semantic diff. */
static void op_read(struct hub_git *g, struct bench *b)
{
    ldr_model_free(read_model(g, b->id, b->from));
    ldr_model_free(read_model(g, b->id, b->to));
}

/* Two versions read and parsed, and their semantic diff. */
static void op_diff(struct hub_git *g, struct bench *b)
{
    struct ldr_model *from = read_model(g, b->id, b->from);
    struct ldr_model *to = read_model(g, b->id, b->to);
    json_t *diff = ldr_model_diff(from, to);

    if (!diff)
        die("diff", NULL);
    b->changes = json_array_size(json_object_get(diff, "changes"));
    json_decref(diff);
    ldr_model_free(from);
    ldr_model_free(to);
}

/* Where a timed run starts. */
enum start {
    MOVED, /* main just moved: a new handle, no cache of its history */
    NEW,   /* a new handle, as a request opens one */
    SAME,  /* the handle of the run before */
};

/* The best of `repeats` runs of `fn` from `start`. */
static double best_of(op_fn fn, struct bench *b, struct hub_git *g,
                      enum start start, int repeats)
{
    double best = 1e9;

    for (int r = 0; r < repeats; r++) {
        struct hub_git *own = NULL;
        struct ldr_err err = {0};
        double t0;

        if (start == MOVED)
            publish(g, b->other, b->description, ++b->edition);
        t0 = now_ms();
        if (start != SAME && hub_git_open(&own, b->dir, &err) != 0)
            die("open", &err);
        fn(own ? own : g, b);
        hub_git_free(own);
        t0 = now_ms() - t0;
        best = t0 < best ? t0 : best;
    }
    return best;
}

static void row(const char *name, op_fn fn, struct bench *b, struct hub_git *g,
                int repeats, double target)
{
    double moved = best_of(fn, b, g, MOVED, repeats);
    double fresh = best_of(fn, b, g, NEW, repeats);
    double warm = best_of(fn, b, g, SAME, repeats);

    printf("%-32s %8.2f ms %8.2f ms %8.2f ms", name, moved, fresh, warm);
    if (target > 0)
        printf("  %3.0f ms %s", target, moved < target ? "ok" : "OVER");
    putchar('\n');
}

/* Times the reads on the repository `dir` holding `n` editions of `id`. */
static void reads(struct hub_git *g, struct bench *b, int repeats)
{
    struct hub_versions v;
    struct ldr_err err = {0};
    char name[64];
    double t0 = now_ms();

    /* the first read in this process: the cache is empty */
    if (hub_git_versions(&v, g, b->id, &err) != 0 || v.count < 2)
        die("versions", &err);
    t0 = now_ms() - t0;
    if (!b->count) /* only the first time */
        printf("first history read in the process: %.2f ms\n", t0);
    printf("%-32s %11s %11s %11s %7s\n", "", "main moved", "new handle",
           "same handle", "target");
    snprintf(name, sizeof name, "history (%zu versions)", v.count);
    row(name, op_history, b, g, repeats, 50);
    row("list of models", op_list, b, g, repeats, 0);
    b->from = v.items[v.count - 1].commit;
    b->to = v.items[0].commit;
    row("read first, last by commit id", op_read, b, g, repeats, 0);
    row("diff first..last by commit id", op_diff, b, g, repeats, 20);
    b->from = v.items[v.count - 1].version;
    b->to = v.items[0].version;
    row("read first, last by version id", op_read, b, g, repeats, 0);
    row("diff first..last by version id", op_diff, b, g, repeats, 20);
    printf("  (first..last: %zu change(s), the edited description)\n",
           b->changes);
    b->from = v.items[v.count / 2].version;
    row("diff middle..last by version id", op_diff, b, g, repeats, 20);
    b->from = "main~1";
    b->to = "main";
    row("diff main~1..main", op_diff, b, g, repeats, 20);
    hub_versions_release(&v);
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/ladder-bench-models-XXXXXX", git[64], cmd[128];
    int n = argc > 2 ? atoi(argv[2]) : 1000;
    int repeats = argc > 3 ? atoi(argv[3]) : 5;
    json_error_t jerr;
    json_t *doc;
    char *description;
    struct hub_git *g = NULL;
    struct ldr_err err = {0};
    struct bench b = {0};
    double t0;

    if (argc < 2 || n < 2 || repeats < 1) {
        fprintf(stderr, "usage: bench_models MODEL.json [N] [REPEATS]\n");
        return 2;
    }
    if (!(doc = json_load_file(argv[1], 0, &jerr)))
        die(jerr.text, NULL);
    description =
        strdup(json_string_value(json_object_get(doc, "description")));
    if (!mkdtemp(dir))
        die("mkdtemp", NULL);
    snprintf(git, sizeof git, "%s/models.git", dir);
    git_libgit2_init();
    make_repo(git);
    if (hub_git_open(&g, dir, &err) != 0)
        die("open", &err);
    publishes(g, doc, description, n);
    b.dir = dir;
    b.id = json_string_value(json_object_get(doc, "id"));
    b.other = json_deep_copy(doc);
    json_object_set_new(b.other, "id", json_string("bench-other"));
    b.description = description;
    printf("\n== as published (packed now and then by publish itself)\n");
    reads(g, &b, repeats);
    t0 = now_ms();
    if (hub_git_pack(g, &err) != 0)
        die("pack", &err);
    printf("\n== after hub_git_pack (%.0f ms)\n", now_ms() - t0);
    reads(g, &b, repeats);
    hub_git_free(g);
    git_libgit2_shutdown();
    json_decref(b.other);
    json_decref(doc);
    free(description);
    if (getenv("BENCH_KEEP")) { /* to look at it with git */
        printf("repository kept in %s\n", git);
        return 0;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
