#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
