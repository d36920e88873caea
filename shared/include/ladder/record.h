#ifndef LADDER_RECORD_H
#define LADDER_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder/change.h"

struct ldr_err;
struct ldr_jsonbuf;

/*
 * The state of one record: every field (JSON Pointer path) holds its latest
 * value or a tombstone, plus the write that put it there. Merge is per-field
 * last-writer-wins by (HLC, device): commutative, associative, idempotent.
 */

/* Who wrote, when, and what they had seen. One entry per change. */
struct ldr_write {
    struct ldr_hlc hlc;
    char device[LDR_UUID_LEN + 1];
    char author[LDR_AUTHOR_MAX + 1];
    uint64_t rev;  /* hub sequence of the change; LDR_REV_PENDING if none */
    uint64_t base; /* hub revision of the record its author had seen */
};

#define LDR_REV_PENDING UINT64_MAX

struct ldr_field {
    char *path;    /* owned */
    json_t *value; /* owned; NULL is a tombstone */
    size_t write;  /* index into ldr_record.writes */
};

struct ldr_record {
    char kind[LDR_KIND_MAX + 1];
    char id[LDR_UUID_LEN + 1];
    uint64_t rev; /* highest revision of any change applied */
    struct ldr_write *writes;
    size_t nwrites, cap_writes;
    struct ldr_field *fields; /* sorted by path (strcmp) */
    size_t nfields, cap_fields;
};

/*
 * A concurrent write that lost: the author of `loser` had not seen the
 * write of `winner`, or the other way round, and the values differ (two
 * writers agreeing lose nothing). Values are borrowed and NULL
 * for a removal.
 */
struct ldr_conflict {
    const char *kind;
    const char *record;
    const char *path;
    const json_t *winner_value;
    const struct ldr_write *winner;
    const json_t *loser_value;
    const struct ldr_write *loser;
};

/* Called once per conflict; a non-zero return stops the merge with it. */
typedef int (*ldr_conflict_fn)(void *ctx, const struct ldr_conflict *c);

/* An empty record of `kind` and `id`. */
void ldr_record_init(struct ldr_record *rec, const char *kind, const char *id);
void ldr_record_release(struct ldr_record *rec);

/*
 * Merges `change`, numbered `rev` by the hub (LDR_REV_PENDING if not yet),
 * into `rec`. Every field where a concurrent write loses is reported to
 * `on_conflict` (may be NULL). A change for another record is LDR_EINVAL.
 * On failure `rec` is unchanged except after LDR_ENOMEM or a callback stop.
 */
int ldr_record_apply(struct ldr_record *rec, const struct ldr_change *change,
                     uint64_t rev, ldr_conflict_fn on_conflict, void *ctx,
                     struct ldr_err *err);

/* Merges the whole state of `src` into `dst` (same record), no reports. */
int ldr_record_merge(struct ldr_record *dst, const struct ldr_record *src,
                     struct ldr_err *err);

/* The field at `path`, or NULL. Borrowed. */
const struct ldr_field *ldr_record_field(const struct ldr_record *rec,
                                         const char *path);

/*
 * False when `rec` certainly has not merged `change`: a field it writes is
 * missing or holds an older write. (Fields are never dropped and only
 * take newer writes, so a merged change's fields hold it or newer.) True
 * when it may have: ask the change log.
 */
bool ldr_record_may_hold(const struct ldr_record *rec,
                         const struct ldr_change *change);

/*
 * The record's value as a user sees it: fields applied in stamp order, so
 * a later removal of "/a" hides an older "/a/b". New reference.
 */
json_t *ldr_record_value(const struct ldr_record *rec);

/*
 * The members of ldr_record_value() that are fields themselves, with no
 * path below them (the record's plain top-level fields, not the objects
 * built of deeper ones), or the whole value when paths nest. Cheaper
 * than the value when most fields lie deeper. New reference.
 */
json_t *ldr_record_head(const struct ldr_record *rec);

/*
 * ldr_record_value()'s text with sorted keys, as ldr_jsonbuf_value(b, v,
 * true) writes it, appended to `b` (out of memory: b->oom). Records whose
 * paths do not nest are written straight from their fields, without a
 * tree.
 */
void ldr_record_write_value(struct ldr_jsonbuf *b,
                            const struct ldr_record *rec);

/*
 * The canonical stored form (docs/protocol.md): equal states give equal
 * bytes. ldr_record_dump returns a malloc'd string (free()).
 */
json_t *ldr_record_to_json(const struct ldr_record *rec);
char *ldr_record_dump(const struct ldr_record *rec, size_t *len_out);

/*
 * The same bytes appended to `b`, written directly rather than through
 * ldr_record_to_json(). 0, or LDR_ENOMEM (and b->oom).
 */
int ldr_record_write(struct ldr_jsonbuf *b, const struct ldr_record *rec);

/* Loads a stored state, validating it; `rec` must be freshly initialised. */
int ldr_record_from_json(struct ldr_record *rec, json_t *state,
                         struct ldr_err *err);

/*
 * Loads a state from JSON text, as ldr_record_from_json() loads the parsed
 * document, without building a Jansson tree of it. `text` holds `len`
 * bytes (no NUL needed). With `used` NULL the state must be all of them
 * but white space; otherwise more may follow and `*used` says how many
 * bytes the state took. `rec` must be freshly initialised; on an error it
 * is left empty (LDR_EINVAL names the place, or LDR_ENOMEM).
 */
int ldr_record_parse(struct ldr_record *rec, const char *text, size_t len,
                     size_t *used, struct ldr_err *err);

#endif
