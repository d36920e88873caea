/*
 * Micro-benchmark: parse, validate and merge assessment-sized changes into
 * in-memory record state, beside the floor of Jansson parsing the same
 * bytes. Input: the peer benchmark's records, one JSON document a line
 * (node ../shared/bench/pouchdb/workload.js 10000), turned into one change
 * per record with ~30 fields.
 *
 * usage: bench_merge DOCS.ndjson [REPEATS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ladder/err.h"
#include "ladder/jsonptr.h"
#include "ladder/record.h"

#define SET_SIZE 1000 /* changes per change set, as agents send them */
#define DEVICE "0193a5b2-0000-7000-8000-00000000000a"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A stable UUIDv7 for a workload id such as "asmt-0a1b2c3d4e5f6a7b". */
static void record_id(char out[LDR_UUID_LEN + 1], const char *id, size_t n)
{
    uint8_t bytes[10] = {0};
    for (size_t i = 0; id[i] && i < 40; i++)
        bytes[i % 10] = (uint8_t)(bytes[i % 10] * 31 + (uint8_t)id[i]);
    ldr_uuid_v7_from(out, 1795711458000ULL + n, bytes);
}

static void set_rating(json_t *set, json_t *rating)
{
    const char *comp = json_string_value(json_object_get(rating, "competency"));
    char path[256];

    snprintf(path, sizeof path, "/ratings/%s/level", comp);
    json_object_set(set, path, json_object_get(rating, "level"));
    snprintf(path, sizeof path, "/ratings/%s/evidence", comp);
    json_object_set(set, path, json_object_get(rating, "evidence"));
}

/* One workload document as a change: every leaf a field. */
static json_t *doc_to_change(json_t *doc, size_t n)
{
    static const char *const plain[] = {"subject", "assessor", "model",
                                        "model_rev", "status"};
    char id[LDR_UUID_LEN + 1], hlc[LDR_HLC_TEXT_LEN + 1], path[64];
    json_t *set = json_object(), *rating;
    size_t i;

    record_id(id, json_string_value(json_object_get(doc, "_id")), n);
    ldr_hlc_format(hlc, (struct ldr_hlc){1795711458000ULL + n, 0});
    for (i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "/%s", plain[i]);
        json_object_set(set, path, json_object_get(doc, plain[i]));
    }
    json_array_foreach(json_object_get(doc, "ratings"), i, rating)
        set_rating(set, rating);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:o}", "kind",
                     "assessment", "record", id, "hlc", hlc, "device", DEVICE,
                     "author",
                     json_string_value(json_object_get(doc, "assessor")),
                     "base", 0, "set", set);
}

struct sets {
    char **text;
    size_t *len;
    size_t count, changes, bytes;
};

static void add_set(struct sets *s, json_t *list, size_t n)
{
    char id[LDR_UUID_LEN + 1];
    json_t *doc;

    ldr_uuid_v7(id, NULL);
    doc = json_pack("{s:s, s:O}", "id", id, "changes", list);
    s->text = realloc(s->text, (s->count + 1) * sizeof *s->text);
    s->len = realloc(s->len, (s->count + 1) * sizeof *s->len);
    s->text[s->count] = json_dumps(doc, JSON_COMPACT);
    s->len[s->count] = strlen(s->text[s->count]);
    s->bytes += s->len[s->count];
    s->changes += n;
    s->count++;
    json_decref(doc);
    json_array_clear(list);
}

static int load(struct sets *s, const char *file)
{
    FILE *f = fopen(file, "r");
    char *line = NULL;
    size_t cap = 0, n = 0;
    json_t *list = json_array();

    if (!f) {
        perror(file);
        return -1;
    }
    while (getline(&line, &cap, f) > 0) {
        json_t *doc = json_loads(line, 0, NULL);
        if (!doc) {
            fprintf(stderr, "%s: line %zu is not JSON\n", file, n + 1);
            return -1;
        }
        json_array_append_new(list, doc_to_change(doc, n++));
        json_decref(doc);
        if (json_array_size(list) == SET_SIZE)
            add_set(s, list, SET_SIZE);
    }
    if (json_array_size(list) > 0)
        add_set(s, list, json_array_size(list));
    free(line);
    json_decref(list);
    fclose(f);
    return n ? 0 : -1;
}

static double run_floor(const struct sets *s)
{
    double t0 = now_s();
    for (size_t i = 0; i < s->count; i++) {
        json_t *doc =
            json_loadb(s->text[i], s->len[i], JSON_REJECT_DUPLICATES, NULL);
        if (!doc)
            abort();
        json_decref(doc);
    }
    return now_s() - t0;
}

/* Parse, validate and merge every set into fresh in-memory records. */
static double run_merge(const struct sets *s, size_t *fields_out)
{
    struct ldr_record *recs = calloc(s->changes, sizeof *recs);
    size_t nrec = 0, fields = 0;
    struct ldr_err err;
    double t0 = now_s(), dt;

    for (size_t i = 0; i < s->count; i++) {
        struct ldr_changeset set;
        if (ldr_changeset_parse(&set, s->text[i], s->len[i], NULL, &err) < 0) {
            fprintf(stderr, "bench: %s\n", err.msg);
            exit(1);
        }
        for (size_t c = 0; c < set.count; c++) {
            struct ldr_record *rec = &recs[nrec++];
            ldr_record_init(rec, set.changes[c].kind, set.changes[c].record);
            if (ldr_record_apply(rec, &set.changes[c], nrec, NULL, NULL, &err) <
                0) {
                fprintf(stderr, "bench: %s\n", err.msg);
                exit(1);
            }
        }
        ldr_changeset_release(&set);
    }
    dt = now_s() - t0;
    for (size_t i = 0; i < nrec; i++) {
        fields += recs[i].nfields;
        ldr_record_release(&recs[i]);
    }
    free(recs);
    *fields_out = fields;
    return dt;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    struct sets s = {0};
    int repeats = argc > 2 ? atoi(argv[2]) : 5;
    double floor_t[64], merge_t[64], f, m;
    size_t fields = 0;

    if (argc < 2 || repeats < 1 || repeats > 64) {
        fprintf(stderr, "usage: bench_merge DOCS.ndjson [REPEATS 1-64]\n");
        return 2;
    }
    if (load(&s, argv[1]) < 0)
        return 1;
    for (int r = 0; r < repeats; r++) {
        floor_t[r] = run_floor(&s);
        merge_t[r] = run_merge(&s, &fields);
    }
    qsort(floor_t, (size_t)repeats, sizeof *floor_t, by_value);
    qsort(merge_t, (size_t)repeats, sizeof *merge_t, by_value);
    f = floor_t[repeats / 2];
    m = merge_t[repeats / 2];
    printf("changes %zu\nfields_per_change %.1f\nbytes_per_change %.0f\n",
           s.changes, (double)fields / (double)s.changes,
           (double)s.bytes / (double)s.changes);
    printf("floor_jansson_parse %.3f s %.0f changes/s %.1f MB/s\n", f,
           (double)s.changes / f, (double)s.bytes / f / 1e6);
    printf("parse_validate_merge %.3f s %.0f changes/s %.1f MB/s\n", m,
           (double)s.changes / m, (double)s.bytes / m / 1e6);
    printf("ratio_to_floor %.2f (median of %d)\n", m / f, repeats);
    for (size_t i = 0; i < s.count; i++)
        free(s.text[i]);
    free(s.text);
    free(s.len);
    return 0;
}
