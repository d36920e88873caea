#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
