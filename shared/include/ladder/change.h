#ifndef LADDER_CHANGE_H
#define LADDER_CHANGE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder/hlc.h"
#include "ladder/uuid.h"

struct ldr_err;
struct ldr_jsonbuf;

/*
 * A change is one author's atomic write to one record (docs/protocol.md):
 *
 *   {"kind": "assessment", "record": "<uuidv7>", "hlc": "1795711458123-00000",
 *    "device": "<uuid>", "author": "li.wei", "base": 12,
 *    "set": {"/ratings/negotiation/level": 3}, "unset": ["/draft_note"]}
 *
 * A change set is {"id": "<uuidv7>", "changes": [change, ...]}.
 */

#define LDR_KIND_MAX 32
#define LDR_AUTHOR_MAX 128
#define LDR_PATH_MAX 1024 /* hard ceiling for ldr_limits.max_path */

/* Limits on what the codec accepts; ldr_limits_default() fills them. */
struct ldr_limits {
    size_t max_body;    /* bytes of one change-set document */
    size_t max_changes; /* changes in one set */
    size_t max_fields;  /* set + unset paths in one change */
    size_t max_depth;   /* nesting of arrays/objects inside one value */
    size_t max_string;  /* bytes of one string value */
    size_t max_path;    /* bytes of one JSON Pointer */
};

void ldr_limits_default(struct ldr_limits *out);

/*
 * One field written by a change: `value` is an owned leaf value (string,
 * number, boolean, null or array), or NULL when the change removes the
 * field ("unset").
 */
struct ldr_op {
    char *path; /* owned JSON Pointer */
    json_t *value;
};

/* One change. Its ops are sorted by path (strcmp), paths distinct. */
struct ldr_change {
    char kind[LDR_KIND_MAX + 1];
    char record[LDR_UUID_LEN + 1];
    char device[LDR_UUID_LEN + 1];
    char author[LDR_AUTHOR_MAX + 1];
    struct ldr_hlc hlc;
    uint64_t base; /* hub revision of the record the author had seen */
    struct ldr_op *ops;
    size_t nops, cap_ops;
};

struct ldr_changeset {
    char id[LDR_UUID_LEN + 1];
    struct ldr_change *changes;
    size_t count;
};

/*
 * Parses and validates a change-set document of `len` bytes in one pass
 * (a streaming parser: no document tree is built). On error nothing is
 * kept and `err` says what and where, e.g.
 * "change 3: /set/~1ratings~1x: expected a leaf value ..., got an object".
 * `limits` may be NULL for the defaults. The caller releases `out` with
 * ldr_changeset_release().
 */
int ldr_changeset_parse(struct ldr_changeset *out, const char *buf, size_t len,
                        const struct ldr_limits *limits, struct ldr_err *err);

void ldr_changeset_release(struct ldr_changeset *set);

/*
 * Parses and validates one change document (the form inside "changes");
 * `index` is used only in messages. Release with ldr_change_release().
 */
int ldr_change_parse(struct ldr_change *out, const char *buf, size_t len,
                     size_t index, const struct ldr_limits *limits,
                     struct ldr_err *err);

/*
 * The same for the change document at the start of `buf`, where more text
 * may follow (a page of changes): *used is the document's length; what
 * follows it is not read.
 */
int ldr_change_parse_prefix(struct ldr_change *out, const char *buf, size_t len,
                            size_t *used, const struct ldr_limits *limits,
                            struct ldr_err *err);

/* The same for a change held as a Jansson object (takes no reference). */
int ldr_change_from_json(struct ldr_change *out, const json_t *obj,
                         size_t index, const struct ldr_limits *limits,
                         struct ldr_err *err);

void ldr_change_release(struct ldr_change *change);

/* The op for `path`, or NULL. Borrowed. */
const struct ldr_op *ldr_change_op(const struct ldr_change *change,
                                   const char *path);

/* A new JSON object for the change; "unset" only when it removes fields. */
json_t *ldr_change_to_json(const struct ldr_change *change);

/*
 * The change in canonical form (docs/protocol.md section 1): the bytes
 * json_dumps(ldr_change_to_json(c), JSON_COMPACT | JSON_SORT_KEYS) gives,
 * written without building the tree. Returns a malloc'd string (free())
 * with its length in *len_out (may be NULL), or NULL on OOM.
 */
char *ldr_change_dump(const struct ldr_change *change, size_t *len_out);

/* The same canonical form appended to `b` (out of memory: b->oom). */
void ldr_change_write(struct ldr_jsonbuf *b, const struct ldr_change *change);

/*
 * Serialises a change set compactly with sorted keys: the same set always
 * gives the same bytes. Returns a malloc'd string (free()) or NULL on OOM.
 */
char *ldr_changeset_dump(const struct ldr_changeset *set, size_t *len_out);

#endif
