/*
 * The agent as a user feels it: whole `ladder` processes, timed.
 *
 *   bench_agent LADDER_BIN MODEL_FILE [ASSESSMENTS] [RATES]
 *
 * Builds a database with 1,000 people and ASSESSMENTS (default 10,000)
 * pilot assessments, imported 1,000 rows at a time (each import timed),
 * then times RATES runs of `ladder assess rate` on a draft. Beside each
 * figure it prints the floor: `ladder version`, a process that starts and
 * exits, measured in the same run.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PEOPLE 1000
#define ROWS 1000

static const char *bin;
static char dir[] = "/tmp/ladder-bench-XXXXXX";

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Runs ladder with the NULL-terminated arguments, stdout to `out` (or
 * /dev/null); exits on failure. Returns the milliseconds it took. */
static double run(char *out, size_t cap, ...)
{
    const char *argv[32] = {bin};
    int fds[2], status, n = 1;
    double start = now_ms();
    char sink[256];
    size_t got = 0;
    ssize_t r;
    va_list ap;
    pid_t pid;

    va_start(ap, cap);
    while (n < 31 && (argv[n] = va_arg(ap, const char *)) != NULL)
        n++;
    va_end(ap);
    if (pipe(fds) != 0 || (pid = fork()) < 0) {
        perror("bench_agent");
        exit(1);
    }
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    /* keep what fits of stdout when asked, drain the rest */
    while ((r = out && got + 1 < cap ? read(fds[0], out + got, cap - 1 - got)
                                     : read(fds[0], sink, sizeof sink)) > 0)
        if (out && got + 1 < cap)
            got += (size_t)r;
    close(fds[0]);
    if (out)
        out[got] = '\0';
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_agent: ladder %s %s failed\n", argv[1],
                argv[2] ? argv[2] : "");
        exit(1);
    }
    return now_ms() - start;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double percentile(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, cmp_double);
    return v[(size_t)(p * (double)(n - 1) + 0.5)];
}

/* 1,000 rows, one per person, every competency rated and tested. */
static void write_csv(const char *path, const char *const *comps, size_t ncomps,
                      int seed)
{
    FILE *f = fopen(path, "w");

    if (!f) {
        perror(path);
        exit(1);
    }
    fputs("subject,assessor,performance", f);
    for (size_t c = 0; c < ncomps; c++)
        fprintf(f, ",%s,test:%s,evidence:%s", comps[c], comps[c], comps[c]);
    fputc('\n', f);
    for (int p = 0; p < ROWS; p++) {
        fprintf(f, "P%04d,trainer.%d,%d", p, seed, 50 + (p + seed) % 50);
        for (size_t c = 0; c < ncomps; c++)
            fprintf(f, ",%d,%d,\"第%d批 观察记录, 行为达标\"",
                    1 + (int)((p + c + (size_t)seed) % 5),
                    40 + (int)((p * 7 + c) % 60), seed);
        fputc('\n', f);
    }
    fclose(f);
}

static size_t competencies(const char *model_file, char ***out)
{
    char cmd[4200], line[256];
    size_t n = 0;
    FILE *p;

    /* the ids, from the model the agent shows */
    snprintf(cmd, sizeof cmd, "'%s' model show account-manager", bin);
    p = popen(cmd, "r");
    *out = calloc(64, sizeof **out);
    (void)model_file;
    while (p && fgets(line, sizeof line, p)) {
        char id[128];
        if (n < 64 && sscanf(line, "%127s", id) == 1 && strchr(id, '-') &&
            !strchr(id, '@') && strcmp(id, "COMPETENCY") != 0)
            (*out)[n++] = strdup(id);
    }
    if (p)
        pclose(p);
    return n;
}

static void setup(const char *model_file)
{
    char db[256], id[16];

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(db, sizeof db, "%s/ladder.db", dir);
    setenv("LADDER_DB", db, 1);
    run(NULL, 0, "init", "--user", "bench", NULL);
    run(NULL, 0, "model", "import", model_file, NULL);
    for (int p = 0; p < PEOPLE; p++) {
        snprintf(id, sizeof id, "P%04d", p);
        run(NULL, 0, "person", "add", "--id", id, "--name", "测试员工",
            "--unit", p % 2 ? "north" : "south", "--grade", "am2", NULL);
    }
}

static void bench_imports(size_t imports, const char *const *comps,
                          size_t ncomps, double floor_ms)
{
    double *t = calloc(imports, sizeof *t);
    char csv[300], name[32];

    for (size_t i = 0; i < imports; i++) {
        snprintf(csv, sizeof csv, "%s/pilot-%zu.csv", dir, i);
        snprintf(name, sizeof name, "bench-%zu", i);
        write_csv(csv, comps, ncomps, (int)i);
        t[i] = run(NULL, 0, "pilot", "import", csv, "--pilot", name, NULL);
    }
    printf("pilot import of %d rows (%zu imports): median %.1f ms, max %.1f "
           "ms (%.1fx the process floor)\n",
           ROWS, imports, percentile(t, imports, 0.5),
           percentile(t, imports, 1.0), percentile(t, imports, 0.5) / floor_ms);
    free(t);
}

static void bench_rates(size_t rates, const char *const *comps, size_t ncomps,
                        double floor_ms)
{
    double *t = calloc(rates, sizeof *t);
    char id[128] = "", level[8];

    run(id, sizeof id, "assess", "new", "--subject", "P0001", "--model",
        "account-manager", NULL);
    id[strcspn(id, "\n")] = '\0';
    for (size_t i = 0; i < rates; i++) {
        snprintf(level, sizeof level, "%zu", 1 + i % 5);
        t[i] =
            run(NULL, 0, "assess", "rate", id, comps[i % ncomps], level, NULL);
    }
    printf("assess rate: median %.2f ms, p90 %.2f ms (%.1fx the process "
           "floor)\n",
           percentile(t, rates, 0.5), percentile(t, rates, 0.9),
           percentile(t, rates, 0.5) / floor_ms);
    free(t);
}

static double bench_floor(size_t n)
{
    double *t = calloc(n, sizeof *t), median;

    for (size_t i = 0; i < n; i++)
        t[i] = run(NULL, 0, "version", NULL);
    median = percentile(t, n, 0.5);
    printf("floor, 'ladder version': median %.2f ms\n", median);
    free(t);
    return median;
}

int main(int argc, char **argv)
{
    size_t assessments = argc > 3 ? strtoul(argv[3], NULL, 10) : 10000;
    size_t rates = argc > 4 ? strtoul(argv[4], NULL, 10) : 200;
    char **comps, cmd[300];
    size_t ncomps;
    double floor_ms, start;

    if (argc < 3) {
        fputs("usage: bench_agent LADDER_BIN MODEL_FILE [ASSESSMENTS] "
              "[RATES]\n",
              stderr);
        return 2;
    }
    bin = argv[1];
    start = now_ms();
    setup(argv[2]);
    printf("setup: %d people added one process each in %.1f s\n", PEOPLE,
           (now_ms() - start) / 1e3);
    ncomps = competencies(argv[2], &comps);
    if (ncomps == 0) {
        fputs("bench_agent: no competencies found\n", stderr);
        return 1;
    }
    floor_ms = bench_floor(rates);
    bench_imports((assessments + ROWS - 1) / ROWS, (const char *const *)comps,
                  ncomps, floor_ms);
    bench_rates(rates, (const char *const *)comps, ncomps, floor_ms);
    bench_floor(rates);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
