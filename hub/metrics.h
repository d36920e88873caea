#ifndef LADDER_HUB_METRICS_H
#define LADDER_HUB_METRICS_H

/*
 * The counters behind GET /metrics (Prometheus text format 0.0.4). Every
 * counter is an atomic, so pool threads count without a lock; a scrape
 * reads them one by one (a scrape is not a snapshot).
 */

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* The route label of a request; unknown paths share HUB_ROUTE_OTHER so a
 * scanner cannot grow the label set. */
enum hub_route_id {
    HUB_ROUTE_HEALTHZ,
    HUB_ROUTE_METRICS,
    HUB_ROUTE_CHANGESETS,
    HUB_ROUTE_CHANGES,
    HUB_ROUTE_CONFLICTS,
    HUB_ROUTE_MODELS, /* GET /v1/models */
    HUB_ROUTE_MODEL,  /* GET, POST /v1/models/{id} */
    HUB_ROUTE_MODEL_VERSIONS,
    HUB_ROUTE_MODEL_DIFF,
    HUB_ROUTE_MODEL_FILE, /* GET /v1/models/{id}/{rev} */
    HUB_ROUTE_OTHER,
    HUB_ROUTE_COUNT
};

#define HUB_METRICS_BUCKETS 14 /* latency buckets, the last is +Inf */
#define HUB_STATUS_MAX 600     /* statuses 100..599 are counted */

struct hub_metrics {
    atomic_uint_fast64_t requests[HUB_ROUTE_COUNT][HUB_STATUS_MAX];
    atomic_uint_fast64_t latency[HUB_ROUTE_COUNT][HUB_METRICS_BUCKETS];
    atomic_uint_fast64_t latency_sum_us[HUB_ROUTE_COUNT];
    atomic_uint_fast64_t changesets, accepted, rejected, conflicts;
};

/* The label of `route` ("/v1/changes", "other"). */
const char *hub_route_label(enum hub_route_id route);

/* Zeroes all counters. */
void hub_metrics_init(struct hub_metrics *m);

/* Counts one answered request: its route, status and duration. */
void hub_metrics_request(struct hub_metrics *m, enum hub_route_id route,
                         int status, uint64_t usec);

/*
 * Counts what a 200 answer of POST /v1/changesets reports: one change
 * set, and the lengths of its "accepted", "rejected" and "conflicts"
 * arrays (a number is taken as a count). An answer that does not parse
 * counts the set only.
 */
void hub_metrics_changeset(struct hub_metrics *m, const char *answer,
                           size_t len);

/*
 * The Prometheus text of all counters, plus ladder_db_size_bytes =
 * `db_bytes` (left out when negative). `*out` is malloc'd, freed by the
 * caller; -1 when out of memory.
 */
int hub_metrics_render(char **out, size_t *len, struct hub_metrics *m,
                       int64_t db_bytes);

#endif
