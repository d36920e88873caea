#ifndef TESTS_BENCH_UTIL_H
#define TESTS_BENCH_UTIL_H

/* What bench_hub and bench_sync share. */
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

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

#endif
