/*
 * Property test of the merge. Each seed makes a random history: devices
 * write a few records offline, sometimes syncing (which advances their
 * clock past what they saw and sets the base of their next writes); the
 * hub numbers the changes in arrival order. Then:
 *  - replicas applying the changes in random orders, with duplicates, and
 *    a replica merged from two halves, end byte-identical to the hub;
 *  - on the hub, every reported conflict is between concurrent writes and
 *    names the right loser, and every write that lost to a concurrent one
 *    (and was not knowingly overwritten) is reported, unless its value
 *    survives anyway (two writers agreeing are no conflict).
 *
 * LADDER_PROPERTY_SEEDS=N runs N seeds (default 1000);
 * LADDER_PROPERTY_SEED=S replays one seed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/err.h"
#include "ladder/hlc.h"
#include "ladder/record.h"

#define NDEVICES 4
#define NRECORDS 3
#define NCHANGES 40
#define NREPLICAS 4
#define MAXREPORTS 512

static const char *const devices[NDEVICES] = {
    "0193a5b2-0000-7000-8000-000000000001",
    "0193a5b2-0000-7000-8000-000000000002",
    "0193a5b2-0000-7000-8000-000000000003",
    "0193a5b2-0000-7000-8000-000000000004",
};
static const char *const records[NRECORDS] = {
    "0193a5b2-1111-7000-8000-000000000001",
    "0193a5b2-1111-7000-8000-000000000002",
    "0193a5b2-1111-7000-8000-000000000003",
};
/* Paths overlap on purpose: "/r" and "/r/x" exercise nesting. */
static const char *const paths[] = {"/status", "/r/x", "/r/y", "/r", "/n"};
#define NPATHS (sizeof paths / sizeof paths[0])

static uint64_t rng_state;

static uint64_t next(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t pick(size_t n)
{
    return (size_t)(next() % n);
}

struct device {
    struct ldr_clock clock;
    uint64_t wall; /* this device's wall clock, often wrong */
    size_t synced; /* hub changes it has pulled: a prefix of the hub log */
    size_t outbox[NCHANGES]; /* made offline, not pushed yet */
    size_t pending;
};

/* Changes as the devices made them, and the hub's log of arrival. */
struct history {
    struct ldr_change made[NCHANGES];
    size_t record_of[NCHANGES];
    size_t hub[NCHANGES]; /* hub[rev - 1] = index into made */
    uint64_t rev_of[NCHANGES];
    size_t nmade, nhub;
};

static uint64_t device_wall(void *ctx)
{
    return ((struct device *)ctx)->wall;
}

/* The revision of record `r` in the first `n` entries of the hub log. */
static uint64_t record_rev(const struct history *h, size_t n, size_t r)
{
    uint64_t rev = 0;
    for (size_t i = 0; i < n; i++)
        if (h->record_of[h->hub[i]] == r)
            rev = i + 1;
    return rev;
}

/* Push the outbox in order, then pull everything: the clock passes it. */
static void sync_device(struct device *d, struct history *h)
{
    for (size_t i = 0; i < d->pending; i++) {
        h->hub[h->nhub] = d->outbox[i];
        h->rev_of[d->outbox[i]] = ++h->nhub;
    }
    d->pending = 0;
    for (size_t i = d->synced; i < h->nhub; i++)
        assert_int_equal(
            ldr_clock_recv(&d->clock, h->made[h->hub[i]].hlc, NULL, NULL), 0);
    d->synced = h->nhub;
}

static json_t *random_value(void)
{
    switch (pick(4)) {
    case 0:
        return json_integer((json_int_t)pick(5));
    case 1:
        return json_sprintf("v%zu", pick(100));
    case 2:
        return json_null();
    default:
        return json_pack("[i, s]", (int)pick(3), "x");
    }
}

/* Paths chosen for one change must not nest inside each other. */
static bool nests(const char *a, const char *b)
{
    size_t n = strlen(a);
    return strncmp(a, b, n) == 0 && b[n] == '/';
}

static bool clashes(json_t *set, json_t *unset, const char *p)
{
    const char *key;
    json_t *v;
    size_t i;
    bool clash = false;

    json_object_foreach(set, key, v)
    {
        clash |= !strcmp(key, p) || nests(key, p) || nests(p, key);
    }
    json_array_foreach(unset, i, v)
    {
        const char *u = json_string_value(v);
        clash |= !strcmp(u, p) || nests(u, p) || nests(p, u);
    }
    return clash;
}

static json_t *random_fields(json_t **unset)
{
    json_t *set = json_object();
    size_t want = 1 + pick(3);

    *unset = json_array();
    for (size_t k = 0; k < want; k++) {
        const char *p = paths[pick(NPATHS)];
        if (clashes(set, *unset, p))
            continue;
        if (pick(5) == 0)
            json_array_append_new(*unset, json_string(p));
        else
            json_object_set_new(set, p, random_value());
    }
    return set;
}

static void make_change(struct history *h, struct device *devs, size_t d)
{
    size_t r = pick(NRECORDS);
    char hlc_text[LDR_HLC_TEXT_LEN + 1], author[16];
    struct ldr_hlc hlc;
    struct ldr_err err;
    json_t *unset, *set, *obj;

    assert_int_equal(ldr_clock_send(&hlc, &devs[d].clock, NULL), 0);
    ldr_hlc_format(hlc_text, hlc);
    snprintf(author, sizeof author, "author-%zu", d);
    set = random_fields(&unset);
    obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o}", "kind",
                    "assessment", "record", records[r], "hlc", hlc_text,
                    "device", devices[d], "author", author, "base",
                    (json_int_t)record_rev(h, devs[d].synced, r), "set", set,
                    "unset", unset);
    if (ldr_change_from_json(&h->made[h->nmade], obj, h->nmade, NULL, &err) !=
        0)
        fail_msg("%s", err.msg);
    json_decref(obj);
    h->record_of[h->nmade] = r;
    devs[d].outbox[devs[d].pending++] = h->nmade++;
}

static void make_history(struct history *h, struct device *devs)
{
    memset(h, 0, sizeof *h);
    for (size_t d = 0; d < NDEVICES; d++) {
        ldr_clock_init(&devs[d].clock);
        devs[d].clock.now_ms = device_wall;
        devs[d].clock.now_ctx = &devs[d];
        devs[d].wall = 1795711458000ULL + pick(5000) - 2500;
        devs[d].synced = devs[d].pending = 0;
    }
    while (h->nmade < NCHANGES) {
        size_t d = pick(NDEVICES);
        devs[d].wall += pick(3) == 0 ? 0 : pick(2000);
        if (pick(4) == 0)
            sync_device(&devs[d], h);
        else
            make_change(h, devs, d);
    }
    for (size_t d = 0; d < NDEVICES; d++)
        sync_device(&devs[d], h);
}
struct report {
    size_t record;
    char path[16];
    struct ldr_hlc loser, winner;
    char loser_device[LDR_UUID_LEN + 1];
    char winner_device[LDR_UUID_LEN + 1];
    json_t *loser_value;
};

struct reports {
    size_t n;
    size_t record;
    struct report items[MAXREPORTS];
};

static int collect(void *ctx, const struct ldr_conflict *c)
{
    struct reports *rs = ctx;
    struct report *r = &rs->items[rs->n++];

    assert_true(rs->n <= MAXREPORTS);
    r->record = rs->record;
    snprintf(r->path, sizeof r->path, "%s", c->path);
    r->loser = c->loser->hlc;
    r->winner = c->winner->hlc;
    strcpy(r->loser_device, c->loser->device);
    strcpy(r->winner_device, c->winner->device);
    r->loser_value = c->loser_value ? json_deep_copy(c->loser_value) : NULL;
    return 0;
}

static void apply_one(struct ldr_record *recs, const struct history *h,
                      size_t m, struct reports *rs)
{
    struct ldr_err err;
    size_t r = h->record_of[m];

    if (rs)
        rs->record = r;
    if (ldr_record_apply(&recs[r], &h->made[m], h->rev_of[m],
                         rs ? collect : NULL, rs, &err) != 0)
        fail_msg("apply: %s", err.msg);
}

static void init_records(struct ldr_record *recs)
{
    for (size_t r = 0; r < NRECORDS; r++)
        ldr_record_init(&recs[r], "assessment", records[r]);
}

static void release_records(struct ldr_record *recs)
{
    for (size_t r = 0; r < NRECORDS; r++)
        ldr_record_release(&recs[r]);
}

static void assert_same(struct ldr_record *a, struct ldr_record *b,
                        uint64_t seed, const char *what)
{
    for (size_t r = 0; r < NRECORDS; r++) {
        char *x = ldr_record_dump(&a[r], NULL);
        char *y = ldr_record_dump(&b[r], NULL);
        if (strcmp(x, y) != 0)
            fail_msg("seed %" PRIu64 ": %s differs on record %zu:\n"
                     "hub:     %s\nreplica: %s\nreplay with "
                     "LADDER_PROPERTY_SEED=%" PRIu64,
                     seed, what, r, x, y, seed);
        free(x);
        free(y);
    }
}

/* Every change once to three times, in a random order. */
static size_t shuffled(const struct history *h, size_t *order)
{
    size_t n = 0;

    for (size_t m = 0; m < h->nmade; m++)
        for (size_t k = 1 + pick(3); k > 0; k--)
            order[n++] = m;
    for (size_t i = n; i > 1; i--) {
        size_t j = pick(i), t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    return n;
}

static void check_replicas(const struct history *h, struct ldr_record *hub,
                           uint64_t seed)
{
    size_t order[NCHANGES * 3];
    struct ldr_record rep[NRECORDS], half[NRECORDS];
    struct ldr_err err;

    for (int k = 0; k < NREPLICAS; k++) {
        size_t n = shuffled(h, order);
        init_records(rep);
        for (size_t i = 0; i < n; i++)
            apply_one(rep, h, order[i], NULL);
        assert_same(hub, rep, seed, "a shuffled replica");
        release_records(rep);
    }
    init_records(rep);
    init_records(half);
    for (size_t m = 0; m < h->nmade; m++) {
        size_t side = pick(3); /* left, right or both */
        if (side != 1)
            apply_one(rep, h, m, NULL);
        if (side != 0)
            apply_one(half, h, m, NULL);
    }
    for (size_t r = 0; r < NRECORDS; r++)
        assert_int_equal(ldr_record_merge(&rep[r], &half[r], &err), 0);
    assert_same(hub, rep, seed, "a replica merged from two halves");
    release_records(rep);
    release_records(half);
}

static const json_t *written(const struct ldr_change *c, const char *path,
                             bool *writes)
{
    const struct ldr_op *op = ldr_change_op(c, path);

    *writes = op != NULL;
    return op ? op->value : NULL;
}

static bool same_write(struct ldr_hlc hlc, const char *device,
                       const struct ldr_change *c)
{
    return ldr_hlc_cmp(hlc, c->hlc) == 0 && !strcmp(device, c->device);
}

static int stamp_cmp(const struct ldr_change *a, const struct ldr_change *b)
{
    int c = ldr_hlc_cmp(a->hlc, b->hlc);
    return c ? c : strcmp(a->device, b->device);
}

/* A report is sound: both writes exist, were concurrent, loser older. */
static void check_report(const struct history *h, const struct report *r,
                         uint64_t seed)
{
    const struct ldr_change *loser = NULL, *winner = NULL;
    bool w;

    for (size_t m = 0; m < h->nmade; m++) {
        if (same_write(r->loser, r->loser_device, &h->made[m]))
            loser = &h->made[m];
        if (same_write(r->winner, r->winner_device, &h->made[m]))
            winner = &h->made[m];
    }
    if (!loser || !winner || stamp_cmp(loser, winner) >= 0 ||
        !strcmp(loser->device, winner->device) ||
        h->rev_of[loser - h->made] <= winner->base ||
        h->rev_of[winner - h->made] <= loser->base)
        fail_msg("seed %" PRIu64 ": unsound conflict report on %s", seed,
                 r->path);
    const json_t *v = written(loser, r->path, &w);
    if (!w || !((v == NULL && r->loser_value == NULL) ||
                (v && r->loser_value && json_equal(v, r->loser_value))))
        fail_msg("seed %" PRIu64 ": wrong losing value on %s", seed, r->path);
}

static bool superseded(const struct history *h, size_t x, const char *path)
{
    const struct ldr_change *cx = &h->made[x];
    bool w;

    for (size_t y = 0; y < h->nmade; y++) {
        const struct ldr_change *cy = &h->made[y];
        written(cy, path, &w);
        if (w && h->record_of[y] == h->record_of[x] && stamp_cmp(cy, cx) > 0 &&
            (cy->base >= h->rev_of[x] || !strcmp(cy->device, cx->device)))
            return true;
    }
    return false;
}

static bool same_value(const json_t *a, const json_t *b)
{
    return a == b || (a && b && json_equal(a, b));
}

/* Reported as a loser, or its value survives (as the winner or in the
 * journal): a concurrent write of an equal value loses nothing. */
static bool reported(const struct reports *rs, size_t r, const char *path,
                     const struct ldr_change *c, const json_t *kept)
{
    bool w;
    const json_t *mine = written(c, path, &w);

    if (same_value(mine, kept))
        return true;
    for (size_t i = 0; i < rs->n; i++) {
        const struct report *it = &rs->items[i];
        if (it->record != r || strcmp(it->path, path) != 0)
            continue;
        if (same_write(it->loser, it->loser_device, c) ||
            same_value(it->loser_value, mine))
            return true;
    }
    return false;
}

/* Another write agreed with x's value and was knowingly overwritten: the
 * value was seen by its overwriter, so x lost nothing unseen. */
static bool agreed_and_superseded(const struct history *h, size_t x,
                                  const char *path)
{
    bool wx, wy;
    const json_t *mine = written(&h->made[x], path, &wx);

    for (size_t y = 0; y < h->nmade; y++) {
        const json_t *theirs = written(&h->made[y], path, &wy);
        if (y != x && wy && h->record_of[y] == h->record_of[x] &&
            same_value(mine, theirs) && superseded(h, y, path))
            return true;
    }
    return false;
}

/* Every write that lost, unless its loss was seen by its overwriter. */
static void check_complete(const struct history *h, struct ldr_record *hub,
                           const struct reports *rs, uint64_t seed)
{
    for (size_t x = 0; x < h->nmade; x++) {
        size_t r = h->record_of[x];
        for (size_t p = 0; p < NPATHS; p++) {
            const struct ldr_field *f = ldr_record_field(&hub[r], paths[p]);
            bool w;
            written(&h->made[x], paths[p], &w);
            if (!w || !f)
                continue;
            if (same_write(hub[r].writes[f->write].hlc,
                           hub[r].writes[f->write].device, &h->made[x]))
                continue;
            if (!superseded(h, x, paths[p]) &&
                !agreed_and_superseded(h, x, paths[p]) &&
                !reported(rs, r, paths[p], &h->made[x], f->value))
                fail_msg("seed %" PRIu64 ": change %zu lost %s without a "
                         "report; replay with LADDER_PROPERTY_SEED=%" PRIu64,
                         seed, x, paths[p], seed);
        }
    }
}

static size_t run_seed(uint64_t seed)
{
    static struct history h;
    static struct reports rs;
    struct device devs[NDEVICES];
    struct ldr_record hub[NRECORDS];
    size_t conflicts;

    rng_state = seed;
    make_history(&h, devs);
    init_records(hub);
    rs.n = 0;
    for (size_t i = 0; i < h.nhub; i++)
        apply_one(hub, &h, h.hub[i], &rs);
    check_replicas(&h, hub, seed);
    for (size_t i = 0; i < rs.n; i++)
        check_report(&h, &rs.items[i], seed);
    check_complete(&h, hub, &rs, seed);
    conflicts = rs.n;
    for (size_t i = 0; i < rs.n; i++)
        json_decref(rs.items[i].loser_value);
    release_records(hub);
    for (size_t m = 0; m < h.nmade; m++)
        ldr_change_release(&h.made[m]);
    return conflicts;
}

static uint64_t env_number(const char *name, uint64_t fallback)
{
    const char *s = getenv(name);
    return s && *s ? strtoull(s, NULL, 10) : fallback;
}

static void
test_merge_property__replicas_converge_and_losses_are_reported(void **state)
{
    uint64_t one = env_number("LADDER_PROPERTY_SEED", 0);
    uint64_t seeds = env_number("LADDER_PROPERTY_SEEDS", 1000);
    size_t conflicts = 0;

    (void)state;
    if (one) {
        conflicts = run_seed(one);
        printf("seed %" PRIu64 ": %zu conflicts reported\n", one, conflicts);
        return;
    }
    for (uint64_t s = 1; s <= seeds; s++)
        conflicts += run_seed(s);
    printf("%" PRIu64 " seeds, %zu conflicts reported and checked\n", seeds,
           conflicts);
    assert_true(conflicts > seeds); /* the histories do collide */
}

/* Each author saw everything before writing: nothing is a conflict. */
static void
test_merge_property__sequential_history_reports_nothing(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        static struct history h;
        static struct reports rs;
        struct device devs[NDEVICES];
        struct ldr_record hub[NRECORDS];

        rng_state = seed;
        memset(&h, 0, sizeof h);
        for (size_t d = 0; d < NDEVICES; d++) {
            ldr_clock_init(&devs[d].clock);
            devs[d].clock.now_ms = device_wall;
            devs[d].clock.now_ctx = &devs[d];
            devs[d].wall = 1795711458000ULL + pick(5000);
            devs[d].synced = devs[d].pending = 0;
        }
        while (h.nmade < NCHANGES) {
            size_t d = pick(NDEVICES);
            sync_device(&devs[d], &h);
            make_change(&h, devs, d);
            sync_device(&devs[d], &h);
        }
        init_records(hub);
        rs.n = 0;
        for (size_t i = 0; i < h.nhub; i++)
            apply_one(hub, &h, h.hub[i], &rs);
        if (rs.n != 0)
            fail_msg("seed %" PRIu64 ": %zu conflicts in a sequential "
                     "history",
                     seed, rs.n);
        release_records(hub);
        for (size_t m = 0; m < h.nmade; m++)
            ldr_change_release(&h.made[m]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_merge_property__replicas_converge_and_losses_are_reported),
        cmocka_unit_test(
            test_merge_property__sequential_history_reports_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
