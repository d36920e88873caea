#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

json_t *bench_read_ndjson(const char *path, size_t n)
{
    FILE *f = fopen(path, "r");
    json_t *docs = json_array();
    char *line = NULL;
    size_t cap = 0;

    while (f && json_array_size(docs) < n && getline(&line, &cap, f) > 0)
        json_array_append_new(docs, json_loads(line, 0, NULL));
    if (f)
        fclose(f);
    free(line);
    if (json_array_size(docs) < n) {
        json_decref(docs);
        return NULL;
    }
    return docs;
}

double bench_status_mib(pid_t pid, const char *field)
{
    char path[64], line[256];
    size_t n = strlen(field);
    double kib = 0;
    FILE *f;

    if (pid)
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':' &&
            sscanf(line + n + 1, "%lf", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib / 1024;
}

double bench_peak_rss_mib(pid_t pid)
{
    return bench_status_mib(pid, "VmHWM");
}

double bench_cpu_s(pid_t pid)
{
    char path[64], text[1024], *p;
    unsigned long user = 0, sys = 0;
    size_t n = 0;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if ((f = fopen(path, "r"))) {
        n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
    }
    text[n] = '\0';
    /* after "(comm)": state is field 3, utime and stime fields 14, 15 */
    p = strrchr(text, ')');
    if (!p ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &user, &sys) != 2)
        return 0;
    return (double)(user + sys) / (double)sysconf(_SC_CLK_TCK);
}

double bench_now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_texts_add(struct bench_texts *t, char *text, size_t len)
{
    char **texts = realloc(t->text, (t->n + 1) * sizeof *t->text);
    size_t *lens = texts ? realloc(t->len, (t->n + 1) * sizeof *t->len) : NULL;

    if (texts)
        t->text = texts;
    if (!text || !lens) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    t->len = lens;
    t->text[t->n] = text;
    t->len[t->n++] = len;
    t->bytes += len;
}

void bench_texts_free(struct bench_texts *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->text[i]);
    free(t->text);
    free(t->len);
    memset(t, 0, sizeof *t);
}

sqlite3 *bench_floor_db(const char *path)
{
    sqlite3 *db = NULL;

    unlink(path);
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     "CREATE TABLE changes (seq INTEGER PRIMARY KEY, kind "
                     "TEXT, record TEXT, hlc TEXT, device TEXT, author TEXT, "
                     "change TEXT)",
                     NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static int insert_rows(sqlite3 *db, json_t *changes, char *const *text)
{
    static const char *const keys[] = {"kind", "record", "hlc", "device",
                                       "author"};
    sqlite3_stmt *st;
    int rc = SQLITE_DONE;

    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO changes (kind, record, hlc, device, "
                           "author, change) VALUES (?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    for (size_t i = 0; rc == SQLITE_DONE && i < json_array_size(changes); i++) {
        json_t *ch = json_array_get(changes, i);
        for (int k = 0; k < 5; k++)
            sqlite3_bind_text(st, k + 1,
                              json_string_value(json_object_get(ch, keys[k])),
                              -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, text[i], -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    return 0;
}

double bench_floor_store(sqlite3 *db, const struct bench_texts *t,
                         json_t *changes)
{
    size_t rows = json_array_size(changes);
    char **row = calloc(rows + 1, sizeof *row);
    double s = -1;

    for (size_t i = 0; row && i < rows; i++)
        row[i] = json_dumps(json_array_get(changes, i), JSON_COMPACT);
    if (row) {
        s = bench_now_s();
        for (size_t i = 0; i < t->n; i++)
            json_decref(json_loadb(t->text[i], t->len[i], 0, NULL));
        s = insert_rows(db, changes, row) == 0 ? bench_now_s() - s : -1;
    }
    for (size_t i = 0; row && i < rows; i++)
        free(row[i]);
    free(row);
    return s;
}
