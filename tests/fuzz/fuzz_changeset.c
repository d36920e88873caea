/*
 * libFuzzer target for the change-set codec and the record merge. The input
 * is a change-set document, parsed with small limits. A rejection must carry
 * a code and a message that fits in JSON, and leave nothing behind. An
 * accepted set must dump to bytes that parse again and dump the same; every
 * change must survive ldr_change_to_json -> ldr_change_from_json; and the
 * changes of each record, merged in either order, must give one state whose
 * stored form reads back to the same bytes. Read as one change with more
 * text after it, what the parse says it used parses alone to the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/change.h"
#include "ladder/err.h"
#include "ladder/record.h"

/* Not assert(): the invariants must hold in NDEBUG builds too. */
#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small, so the fuzzer reaches every limit quickly. */
static const struct ldr_limits limits = {
    .max_body = 1 << 16,
    .max_changes = 8,
    .max_fields = 8,
    .max_depth = 4,
    .max_string = 64,
    .max_path = 48,
};

/* A failure must carry its code and a message that fits in JSON. */
static void check_err(int rc, const struct ldr_err *err)
{
    json_t *msg;

    CHECK(rc == LDR_EINVAL || rc == LDR_ETOOBIG || rc == LDR_ENOMEM);
    CHECK(err->code == rc);
    CHECK(err->msg[0] != '\0');
    msg = json_string(err->msg);
    CHECK(msg != NULL);
    json_decref(msg);
}

static int same_ops(const struct ldr_change *a, const struct ldr_change *b)
{
    if (a->nops != b->nops || strcmp(a->kind, b->kind) != 0 ||
        strcmp(a->record, b->record) != 0 ||
        strcmp(a->device, b->device) != 0 ||
        strcmp(a->author, b->author) != 0 || ldr_hlc_cmp(a->hlc, b->hlc) != 0 ||
        a->base != b->base)
        return 0;
    for (size_t i = 0; i < a->nops; i++) {
        if (strcmp(a->ops[i].path, b->ops[i].path) != 0)
            return 0;
        if (!a->ops[i].value != !b->ops[i].value)
            return 0;
        if (a->ops[i].value && !json_equal(a->ops[i].value, b->ops[i].value))
            return 0;
    }
    return 1;
}

/* Each change alone: to JSON and back gives the same change. */
static void fuzz_single(const struct ldr_change *c)
{
    json_t *obj = ldr_change_to_json(c);
    struct ldr_change back;
    struct ldr_err err;

    CHECK(obj != NULL);
    CHECK(!json_object_get(obj, "unset") ||
          json_array_size(json_object_get(obj, "unset")) > 0);
    CHECK(ldr_change_from_json(&back, obj, 0, &limits, &err) == 0);
    CHECK(same_ops(c, &back));
    ldr_change_release(&back);
    json_decref(obj);
}

/*
 * The input read as a change with more text after it (a page's item):
 * what it says it used parses alone to the same change.
 */
static void fuzz_prefix(const char *data, size_t size)
{
    struct ldr_change c, alone;
    struct ldr_err err;
    size_t used;
    int rc = ldr_change_parse_prefix(&c, data, size, &used, &limits, &err);

    if (rc != 0) {
        check_err(rc, &err);
        return;
    }
    CHECK(used > 0 && used <= size);
    CHECK(ldr_change_parse(&alone, data, used, 0, &limits, &err) == 0);
    CHECK(same_ops(&c, &alone));
    ldr_change_release(&alone);
    ldr_change_release(&c);
}

/* A conflict names two different writes to one field of the record. */
static int on_conflict(void *ctx, const struct ldr_conflict *c)
{
    const struct ldr_record *rec = ctx;

    CHECK(strcmp(c->kind, rec->kind) == 0 && strcmp(c->record, rec->id) == 0);
    CHECK(c->path && c->path[0] == '/');
    CHECK(c->winner && c->loser && c->winner != c->loser);
    CHECK(strcmp(c->winner->device, c->loser->device) != 0);
    CHECK(ldr_hlc_cmp(c->winner->hlc, c->loser->hlc) >= 0);
    return 0;
}

/*
 * True if no two changes of the record share (hlc, device): the merge
 * takes that pair as the identity of a write, so two different changes
 * with one identity are not a case it orders.
 */
static int identities_unique(const struct ldr_changeset *cs, const char *kind,
                             const char *id)
{
    for (size_t i = 0; i < cs->count; i++)
        for (size_t j = i + 1; j < cs->count; j++) {
            const struct ldr_change *a = &cs->changes[i], *b = &cs->changes[j];
            if (strcmp(a->kind, kind) == 0 && strcmp(a->record, id) == 0 &&
                strcmp(b->kind, kind) == 0 && strcmp(b->record, id) == 0 &&
                ldr_hlc_cmp(a->hlc, b->hlc) == 0 &&
                strcmp(a->device, b->device) == 0)
                return 0;
        }
    return 1;
}

/*
 * Change i gets revision i + 1, or stays pending when i is odd and the
 * set's first change has an odd base: both kinds of write are merged.
 */
static uint64_t rev_of(const struct ldr_changeset *cs, size_t i)
{
    return (cs->changes[0].base & 1) && (i & 1) ? LDR_REV_PENDING : i + 1;
}

/*
 * Applies every change of the set to the record of change `first`,
 * forwards or backwards: those of other records must be refused.
 */
static void apply_all(struct ldr_record *rec, const struct ldr_changeset *cs,
                      size_t first, int backwards)
{
    struct ldr_err err;

    ldr_record_init(rec, cs->changes[first].kind, cs->changes[first].record);
    for (size_t k = 0; k < cs->count; k++) {
        size_t i = backwards ? cs->count - 1 - k : k;
        const struct ldr_change *c = &cs->changes[i];
        int rc =
            ldr_record_apply(rec, c, rev_of(cs, i), on_conflict, rec, &err);
        if (strcmp(c->kind, rec->kind) == 0 &&
            strcmp(c->record, rec->id) == 0) {
            CHECK(rc == 0);
        } else {
            CHECK(rc == LDR_EINVAL);
            check_err(rc, &err);
        }
    }
}

/* The changes of the record once more, with the same revisions. */
static void apply_again(struct ldr_record *rec, const struct ldr_changeset *cs)
{
    for (size_t i = 0; i < cs->count; i++) {
        const struct ldr_change *c = &cs->changes[i];
        if (strcmp(c->kind, rec->kind) == 0 && strcmp(c->record, rec->id) == 0)
            CHECK(ldr_record_apply(rec, c, rev_of(cs, i), on_conflict, rec,
                                   NULL) == 0);
    }
}

/* dump -> ldr_record_from_json -> dump gives the same bytes. */
static void check_stored_form(const struct ldr_record *rec, const char *dump)
{
    json_t *state = json_loads(dump, 0, NULL);
    struct ldr_record back;
    struct ldr_err err;
    char *again;

    CHECK(state != NULL);
    ldr_record_init(&back, rec->kind, rec->id);
    CHECK(ldr_record_from_json(&back, state, &err) == 0);
    again = ldr_record_dump(&back, NULL);
    CHECK(again && strcmp(dump, again) == 0);
    free(again);
    ldr_record_release(&back);
    json_decref(state);
}

static void fuzz_record(const struct ldr_changeset *cs, size_t first)
{
    struct ldr_record fwd, back, copy;
    struct ldr_err err;
    char *one, *two;
    json_t *value;

    apply_all(&fwd, cs, first, 0);
    one = ldr_record_dump(&fwd, NULL);
    CHECK(one != NULL);
    /* Showing the value changes nothing in the state. */
    value = ldr_record_value(&fwd);
    CHECK(json_is_object(value));
    json_decref(value);
    two = ldr_record_dump(&fwd, NULL);
    CHECK(two && strcmp(one, two) == 0);
    free(two);
    check_stored_form(&fwd, one);

    /* Merging the whole state into an empty record copies it. */
    ldr_record_init(&copy, fwd.kind, fwd.id);
    CHECK(ldr_record_merge(&copy, &fwd, &err) == 0);
    two = ldr_record_dump(&copy, NULL);
    CHECK(two && strcmp(one, two) == 0);
    free(two);
    ldr_record_release(&copy);

    /*
     * The other order gives the same state, and applying everything again
     * changes nothing.
     */
    if (identities_unique(cs, fwd.kind, fwd.id)) {
        apply_all(&back, cs, first, 1);
        two = ldr_record_dump(&back, NULL);
        CHECK(two && strcmp(one, two) == 0);
        free(two);
        ldr_record_release(&back);
        apply_again(&fwd, cs);
        two = ldr_record_dump(&fwd, NULL);
        CHECK(two && strcmp(one, two) == 0);
        free(two);
    }
    free(one);
    ldr_record_release(&fwd);
}

/* True if change `i` is the first of its record in the set. */
static int first_of_record(const struct ldr_changeset *cs, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(cs->changes[j].kind, cs->changes[i].kind) == 0 &&
            strcmp(cs->changes[j].record, cs->changes[i].record) == 0)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ldr_changeset cs, again;
    struct ldr_err err;
    size_t len1, len2;
    char *one, *two;
    int rc;

    fuzz_prefix((const char *)data, size);
    ldr_err_clear(&err);
    rc = ldr_changeset_parse(&cs, (const char *)data, size, &limits, &err);
    if (rc != 0) {
        check_err(rc, &err);
        CHECK(cs.changes == NULL && cs.count == 0);
        return 0;
    }
    CHECK(cs.count > 0 && cs.count <= limits.max_changes);
    one = ldr_changeset_dump(&cs, &len1);
    CHECK(one != NULL && len1 == strlen(one));
    rc = ldr_changeset_parse(&again, one, len1, &limits, &err);
    if (rc != 0) {
        fprintf(stderr, "dump does not parse: %s\n%s\n", err.msg, one);
        abort();
    }
    two = ldr_changeset_dump(&again, &len2);
    CHECK(two != NULL && len1 == len2 && memcmp(one, two, len1) == 0);
    for (size_t i = 0; i < cs.count; i++)
        fuzz_single(&cs.changes[i]);
    for (size_t i = 0; i < cs.count; i++)
        if (first_of_record(&cs, i))
            fuzz_record(&cs, i);
    free(one);
    free(two);
    ldr_changeset_release(&again);
    ldr_changeset_release(&cs);
    return 0;
}
