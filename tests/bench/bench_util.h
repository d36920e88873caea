#ifndef TESTS_BENCH_UTIL_H
#define TESTS_BENCH_UTIL_H

/* What bench_hub and bench_sync share. */
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>
#include <sqlite3.h>

/* The first `n` records of an ndjson file (the peer's workload); NULL if
 * it has fewer. */
json_t *bench_read_ndjson(const char *path, size_t n);

/* A memory line (VmRSS, VmHWM, ...) of /proc/PID/status, MiB; pid 0 is
 * this process; 0 if unknown. */
double bench_status_mib(pid_t pid, const char *field);

/* Peak RSS (VmHWM) of process `pid`, MiB; 0 if unknown. */
double bench_peak_rss_mib(pid_t pid);

/* CPU seconds (user and system) process `pid` has used so far: steadier
 * than wall time on a busy machine; 0 if unknown. */
double bench_cpu_s(pid_t pid);

/* Seconds on a monotonic clock. */
double bench_now_s(void);

/* Texts with their lengths, e.g. a pull's pages or an outbox's changes. */
struct bench_texts {
    char **text;
    size_t *len, n, bytes;
};

/* Appends `text` of `len` bytes, taking it (malloc'd); exits when out of
 * memory. */
void bench_texts_add(struct bench_texts *t, char *text, size_t len);
void bench_texts_free(struct bench_texts *t);

/* The floor of storing changes: a fresh database at `path` with one plain
 * table of them (WAL, synchronous=NORMAL); NULL on failure. */
sqlite3 *bench_floor_db(const char *path);

/*
 * Seconds to parse the texts `t` with Jansson and insert a row for each
 * change object of the array `changes` (its key fields and compact text,
 * made beforehand) in one transaction: what storing those bytes costs at
 * the least. -1 on failure.
 */
double bench_floor_store(sqlite3 *db, const struct bench_texts *t,
                         json_t *changes);

#endif
