/* Counters for GET /metrics, rendered in Prometheus text format. */
#include "metrics.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

static const char *const route_labels[HUB_ROUTE_COUNT] = {
    [HUB_ROUTE_HEALTHZ] = "/healthz",
    [HUB_ROUTE_METRICS] = "/metrics",
    [HUB_ROUTE_CHANGESETS] = "/v1/changesets",
    [HUB_ROUTE_CHANGES] = "/v1/changes",
    [HUB_ROUTE_CONFLICTS] = "/v1/conflicts",
    [HUB_ROUTE_MODELS] = "/v1/models",
    [HUB_ROUTE_MODEL] = "/v1/models/{id}",
    [HUB_ROUTE_MODEL_VERSIONS] = "/v1/models/{id}/versions",
    [HUB_ROUTE_MODEL_DIFF] = "/v1/models/{id}/diff",
    [HUB_ROUTE_MODEL_FILE] = "/v1/models/{id}/{rev}",
    [HUB_ROUTE_OTHER] = "other",
};

/* Upper bounds in microseconds; the last bucket (+Inf) has none. */
static const uint64_t bucket_us[HUB_METRICS_BUCKETS - 1] = {
    1000,   2500,   5000,    10000,   25000,   50000,   100000,
    250000, 500000, 1000000, 2500000, 5000000, 10000000};

const char *hub_route_label(enum hub_route_id route)
{
    return (unsigned)route < HUB_ROUTE_COUNT ? route_labels[route] : "other";
}

void hub_metrics_init(struct hub_metrics *m)
{
    for (int r = 0; r < HUB_ROUTE_COUNT; r++) {
        for (int s = 0; s < HUB_STATUS_MAX; s++)
            atomic_init(&m->requests[r][s], 0);
        for (int b = 0; b < HUB_METRICS_BUCKETS; b++)
            atomic_init(&m->latency[r][b], 0);
        atomic_init(&m->latency_sum_us[r], 0);
    }
    atomic_init(&m->changesets, 0);
    atomic_init(&m->accepted, 0);
    atomic_init(&m->rejected, 0);
    atomic_init(&m->conflicts, 0);
}

void hub_metrics_request(struct hub_metrics *m, enum hub_route_id route,
                         int status, uint64_t usec)
{
    int b = 0;

    if ((unsigned)route >= HUB_ROUTE_COUNT)
        route = HUB_ROUTE_OTHER;
    if (status >= 100 && status < HUB_STATUS_MAX)
        atomic_fetch_add(&m->requests[route][status], 1);
    while (b < HUB_METRICS_BUCKETS - 1 && usec > bucket_us[b])
        b++;
    /* Buckets are stored apart and summed when rendered. */
    atomic_fetch_add(&m->latency[route][b], 1);
    atomic_fetch_add(&m->latency_sum_us[route], usec);
}

static uint64_t count_of(json_t *doc, const char *key)
{
    json_t *v = json_object_get(doc, key);

    if (json_is_array(v))
        return json_array_size(v);
    if (json_is_integer(v) && json_integer_value(v) > 0)
        return (uint64_t)json_integer_value(v);
    return 0;
}

void hub_metrics_changeset(struct hub_metrics *m, const char *answer,
                           size_t len)
{
    json_t *doc = json_loadb(answer, len, 0, NULL);

    atomic_fetch_add(&m->changesets, 1);
    atomic_fetch_add(&m->accepted, count_of(doc, "accepted"));
    atomic_fetch_add(&m->rejected, count_of(doc, "rejected"));
    atomic_fetch_add(&m->conflicts, count_of(doc, "conflicts"));
    json_decref(doc);
}

static void render_requests(FILE *f, struct hub_metrics *m)
{
    fputs("# HELP ladder_http_requests_total HTTP requests answered, by "
          "route and status.\n"
          "# TYPE ladder_http_requests_total counter\n",
          f);
    for (int r = 0; r < HUB_ROUTE_COUNT; r++)
        for (int s = 100; s < HUB_STATUS_MAX; s++) {
            uint64_t n = atomic_load(&m->requests[r][s]);
            if (n)
                fprintf(f,
                        "ladder_http_requests_total{route=\"%s\","
                        "status=\"%d\"} %llu\n",
                        route_labels[r], s, (unsigned long long)n);
        }
}

static void render_latency(FILE *f, struct hub_metrics *m)
{
    fputs("# HELP ladder_http_request_duration_seconds Time from a "
          "request's headers to its answer.\n"
          "# TYPE ladder_http_request_duration_seconds histogram\n",
          f);
    for (int r = 0; r < HUB_ROUTE_COUNT; r++) {
        const char *route = route_labels[r];
        uint64_t total = 0;

        for (int b = 0; b < HUB_METRICS_BUCKETS; b++) {
            total += atomic_load(&m->latency[r][b]);
            if (b < HUB_METRICS_BUCKETS - 1)
                fprintf(f,
                        "ladder_http_request_duration_seconds_bucket{route="
                        "\"%s\",le=\"%g\"} %llu\n",
                        route, (double)bucket_us[b] / 1e6,
                        (unsigned long long)total);
        }
        fprintf(f,
                "ladder_http_request_duration_seconds_bucket{route=\"%s\","
                "le=\"+Inf\"} %llu\n"
                "ladder_http_request_duration_seconds_sum{route=\"%s\"} "
                "%.6f\n"
                "ladder_http_request_duration_seconds_count{route=\"%s\"} "
                "%llu\n",
                route, (unsigned long long)total, route,
                (double)atomic_load(&m->latency_sum_us[r]) / 1e6, route,
                (unsigned long long)total);
    }
}

static void render_counter(FILE *f, const char *name, const char *help,
                           atomic_uint_fast64_t *v)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name,
            name, (unsigned long long)atomic_load(v));
}

int hub_metrics_render(char **out, size_t *len, struct hub_metrics *m,
                       int64_t db_bytes)
{
    FILE *f = open_memstream(out, len);

    if (!f)
        return -1;
    render_requests(f, m);
    render_latency(f, m);
    render_counter(f, "ladder_changesets_applied_total",
                   "Change sets answered with 200 (a retry counts again).",
                   &m->changesets);
    render_counter(f, "ladder_changes_accepted_total",
                   "Changes the hub accepted.", &m->accepted);
    render_counter(f, "ladder_changes_rejected_total",
                   "Changes the hub rejected with a reason.", &m->rejected);
    render_counter(f, "ladder_conflicts_total",
                   "Concurrent writes that lost and went to the journal.",
                   &m->conflicts);
    if (db_bytes >= 0)
        fprintf(f,
                "# HELP ladder_db_size_bytes Size of hub.db (page_count * "
                "page_size).\n# TYPE ladder_db_size_bytes gauge\n"
                "ladder_db_size_bytes %lld\n",
                (long long)db_bytes);
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}
