/*
 * Record state and the merge: per-field last-writer-wins by (HLC, device),
 * with tombstones for removals and a report of every concurrent write that
 * loses. Fields live in an array sorted by path; a write (one change's
 * stamp, author, revision and base) is stored once and shared by every
 * field that change holds; writes that hold no field are dropped after
 * each merge.
 */
#include "ladder/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/err.h"
#include "ladder/jsonbuf.h"
#include "ladder/jsonptr.h"
#include "ladder/utf8.h"

/* snprintf("%s") without its cost: one record per change on the hub. */
static void copy_cut(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

void ldr_record_init(struct ldr_record *rec, const char *kind, const char *id)
{
    memset(rec, 0, sizeof *rec);
    copy_cut(rec->kind, sizeof rec->kind, kind);
    copy_cut(rec->id, sizeof rec->id, id);
}

/* Frees fields and writes, keeping the record's kind and id. */
static void clear(struct ldr_record *rec)
{
    for (size_t i = 0; i < rec->nfields; i++) {
        free(rec->fields[i].path);
        json_decref(rec->fields[i].value);
    }
    free(rec->fields);
    free(rec->writes);
    rec->fields = NULL;
    rec->writes = NULL;
    rec->nfields = rec->cap_fields = rec->nwrites = rec->cap_writes = 0;
    rec->rev = 0;
}

void ldr_record_release(struct ldr_record *rec)
{
    clear(rec);
    memset(rec, 0, sizeof *rec);
}

static int write_cmp(const struct ldr_write *a, const struct ldr_write *b)
{
    int c = ldr_hlc_cmp(a->hlc, b->hlc);
    return c ? c : strcmp(a->device, b->device);
}

/*
 * Two writes are concurrent when they come from different devices and
 * neither author had seen the other: each was numbered after the revision
 * the other's author had seen. A pending write (no revision yet) counts
 * as after everything.
 */
static bool concurrent(const struct ldr_write *a, const struct ldr_write *b)
{
    return strcmp(a->device, b->device) != 0 && a->rev > b->base &&
           b->rev > a->base;
}

/* Index of the first field whose path is >= `path`. */
static size_t field_pos(const struct ldr_record *rec, const char *path)
{
    size_t lo = 0, hi = rec->nfields;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(rec->fields[mid].path, path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct ldr_field *ldr_record_field(const struct ldr_record *rec,
                                         const char *path)
{
    size_t i = field_pos(rec, path);
    if (i < rec->nfields && strcmp(rec->fields[i].path, path) == 0)
        return &rec->fields[i];
    return NULL;
}

bool ldr_record_may_hold(const struct ldr_record *rec,
                         const struct ldr_change *change)
{
    struct ldr_write w = {.hlc = change->hlc};

    memcpy(w.device, change->device, sizeof w.device);
    for (size_t i = 0; i < change->nops; i++) {
        const struct ldr_field *f = ldr_record_field(rec, change->ops[i].path);

        if (!f || write_cmp(&rec->writes[f->write], &w) < 0)
            return false;
    }
    return true;
}

static int grow(void **items, size_t *cap, size_t need, size_t size)
{
    size_t n = *cap ? *cap : 8;
    void *p;

    if (need <= *cap)
        return 0;
    while (n < need)
        n *= 2;
    p = realloc(*items, n * size);
    if (!p)
        return LDR_ENOMEM;
    *items = p;
    *cap = n;
    return 0;
}

/*
 * The slot of write `w`: the same change applied before (keeping the lower
 * known revision, so the result does not depend on order), or a new one.
 */
static int add_write(struct ldr_record *rec, const struct ldr_write *w,
                     size_t *out)
{
    for (size_t i = 0; i < rec->nwrites; i++) {
        if (write_cmp(&rec->writes[i], w) == 0) {
            if (w->rev < rec->writes[i].rev)
                rec->writes[i].rev = w->rev;
            *out = i;
            return 0;
        }
    }
    if (grow((void **)&rec->writes, &rec->cap_writes, rec->nwrites + 1,
             sizeof *rec->writes) < 0)
        return LDR_ENOMEM;
    rec->writes[rec->nwrites] = *w;
    *out = rec->nwrites++;
    return 0;
}

/* Drops writes no field points at any more and renumbers the rest. */
static void compact_writes(struct ldr_record *rec)
{
    size_t stack[64], *remap = stack, n = 0;

    if (rec->nwrites > 64 && !(remap = malloc(rec->nwrites * sizeof *remap)))
        return; /* keeping unused writes is harmless */
    for (size_t i = 0; i < rec->nwrites; i++)
        remap[i] = SIZE_MAX;
    for (size_t i = 0; i < rec->nfields; i++)
        remap[rec->fields[i].write] = 0;
    for (size_t i = 0; i < rec->nwrites; i++) {
        if (remap[i] == SIZE_MAX)
            continue;
        remap[i] = n;
        rec->writes[n++] = rec->writes[i];
    }
    for (size_t i = 0; i < rec->nfields; i++)
        rec->fields[i].write = remap[rec->fields[i].write];
    rec->nwrites = n;
    if (remap != stack)
        free(remap);
}

static bool same_value(const json_t *a, const json_t *b)
{
    return a == b || (a && b && json_equal(a, b));
}

static int report(const struct ldr_record *rec, const char *path,
                  const json_t *incoming, const struct ldr_write *w,
                  const struct ldr_field *f, ldr_conflict_fn cb, void *ctx)
{
    const struct ldr_write *old = &rec->writes[f->write];
    bool incoming_wins = write_cmp(w, old) > 0;
    struct ldr_conflict c = {
        .kind = rec->kind,
        .record = rec->id,
        .path = path,
        .winner_value = incoming_wins ? incoming : f->value,
        .winner = incoming_wins ? w : old,
        .loser_value = incoming_wins ? f->value : incoming,
        .loser = incoming_wins ? old : w,
    };
    return cb ? cb(ctx, &c) : 0;
}

/*
 * First pass: reports every concurrent loss and counts new fields, before
 * anything changes, so a refusing callback leaves the record as it was.
 */
static int plan_field(const struct ldr_record *rec, const char *path,
                      const json_t *value, const struct ldr_write *w,
                      size_t *nnew, ldr_conflict_fn cb, void *ctx)
{
    const struct ldr_field *f = ldr_record_field(rec, path);
    const struct ldr_write *old;

    if (!f) {
        (*nnew)++;
        return 0;
    }
    old = &rec->writes[f->write];
    /* two writers agreeing on a value lose nothing: no conflict */
    if (write_cmp(w, old) != 0 && concurrent(w, old) &&
        !same_value(value, f->value))
        return report(rec, path, value, w, f, cb, ctx);
    return 0;
}

/* A new field at index `i` (room for it is reserved); takes `path` and
 * the reference to `value`. */
static void insert_field(struct ldr_record *rec, size_t i, char *path,
                         json_t *value, size_t wi)
{
    struct ldr_field *f = &rec->fields[i];

    memmove(f + 1, f, (rec->nfields - i) * sizeof *f);
    f->path = path;
    f->value = value;
    f->write = wi;
    rec->nfields++;
}

/* Second pass: takes the field if the write is newer. */
static int put_field(struct ldr_record *rec, const char *path, json_t *value,
                     size_t wi)
{
    size_t i = field_pos(rec, path);
    struct ldr_field *f = &rec->fields[i];
    char *copy;

    if (i < rec->nfields && strcmp(f->path, path) == 0) {
        if (write_cmp(&rec->writes[wi], &rec->writes[f->write]) <= 0)
            return 0;
        json_decref(f->value);
        f->value = json_incref(value);
        f->write = wi;
        return 0;
    }
    if (!(copy = strdup(path)))
        return LDR_ENOMEM;
    insert_field(rec, i, copy, json_incref(value), wi);
    return 0;
}

static int plan_change(const struct ldr_record *rec, const struct ldr_change *c,
                       const struct ldr_write *w, size_t *nnew,
                       ldr_conflict_fn cb, void *ctx)
{
    for (size_t i = 0; i < c->nops; i++) {
        int rc =
            plan_field(rec, c->ops[i].path, c->ops[i].value, w, nnew, cb, ctx);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int put_change(struct ldr_record *rec, const struct ldr_change *c,
                      size_t wi)
{
    for (size_t i = 0; i < c->nops; i++)
        if (put_field(rec, c->ops[i].path, c->ops[i].value, wi) < 0)
            return LDR_ENOMEM;
    return 0;
}

static void write_of(struct ldr_write *w, const struct ldr_change *c,
                     uint64_t rev)
{
    w->hlc = c->hlc;
    memcpy(w->device, c->device, sizeof w->device);
    memcpy(w->author, c->author, sizeof w->author);
    w->rev = rev;
    w->base = c->base;
}

int ldr_record_apply(struct ldr_record *rec, const struct ldr_change *change,
                     uint64_t rev, ldr_conflict_fn on_conflict, void *ctx,
                     struct ldr_err *err)
{
    struct ldr_write w;
    size_t nnew = 0, wi;
    int rc;

    if (strcmp(change->kind, rec->kind) != 0 ||
        strcmp(change->record, rec->id) != 0)
        return ldr_err_set(err, LDR_EINVAL,
                           "change for %s '%s' applied to %s '%s'",
                           change->kind, change->record, rec->kind, rec->id);
    write_of(&w, change, rev);
    rc = plan_change(rec, change, &w, &nnew, on_conflict, ctx);
    if (rc != 0)
        return ldr_err_set(err, rc < 0 ? rc : LDR_EINVAL,
                           "conflict handler stopped the merge of %s '%s'",
                           rec->kind, rec->id);
    if (grow((void **)&rec->fields, &rec->cap_fields, rec->nfields + nnew,
             sizeof *rec->fields) < 0 ||
        add_write(rec, &w, &wi) < 0 || put_change(rec, change, wi) < 0)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory merging %s '%s'",
                           rec->kind, rec->id);
    if (rev != LDR_REV_PENDING && (rec->rev < rev))
        rec->rev = rev;
    compact_writes(rec);
    return 0;
}

int ldr_record_merge(struct ldr_record *dst, const struct ldr_record *src,
                     struct ldr_err *err)
{
    size_t wi;

    if (strcmp(dst->kind, src->kind) != 0 || strcmp(dst->id, src->id) != 0)
        return ldr_err_set(err, LDR_EINVAL, "cannot merge %s '%s' into %s '%s'",
                           src->kind, src->id, dst->kind, dst->id);
    if (grow((void **)&dst->fields, &dst->cap_fields,
             dst->nfields + src->nfields, sizeof *dst->fields) < 0)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory merging %s '%s'",
                           dst->kind, dst->id);
    for (size_t i = 0; i < src->nfields; i++) {
        const struct ldr_field *f = &src->fields[i];
        if (add_write(dst, &src->writes[f->write], &wi) < 0 ||
            put_field(dst, f->path, f->value, wi) < 0)
            return ldr_err_set(err, LDR_ENOMEM, "out of memory merging %s '%s'",
                               dst->kind, dst->id);
    }
    if (dst->rev < src->rev)
        dst->rev = src->rev;
    compact_writes(dst);
    return 0;
}

static int write_index_cmp(const void *a, const void *b, void *ctx);

/*
 * The fields' indexes in stamp order (their writes' order, then by path):
 * writes are few and distinct and the fields are sorted by path already,
 * so a counting sort by write rank gives the order without comparing
 * fields. Returns a malloc'd array, or NULL.
 */
static size_t *stamp_order(const struct ldr_record *rec)
{
    size_t nw = rec->nwrites, *order, *byrank, *rank, *start;

    order = malloc((rec->nfields + 3 * nw + 2) * sizeof *order);
    if (!order)
        return NULL;
    byrank = order + rec->nfields;
    rank = byrank + nw;
    start = rank + nw; /* nw + 1 slots */
    for (size_t i = 0; i < nw; i++)
        byrank[i] = i;
    qsort_r(byrank, nw, sizeof *byrank, write_index_cmp, rec->writes);
    for (size_t i = 0; i <= nw; i++)
        start[i] = 0;
    for (size_t i = 0; i < nw; i++)
        rank[byrank[i]] = i;
    for (size_t i = 0; i < rec->nfields; i++)
        start[rank[rec->fields[i].write] + 1]++;
    for (size_t i = 1; i <= nw; i++)
        start[i] += start[i - 1];
    for (size_t i = 0; i < rec->nfields; i++)
        order[start[rank[rec->fields[i].write]]++] = i;
    return order;
}

/*
 * Fields go in stamp order so that a later removal or scalar at "/a" hides
 * an older "/a/b", and a later "/a/b" shows again. A field that cannot be
 * placed (a path into an array leaf past its end) stays in the state but
 * is not shown.
 */
static json_t *stamped_value(const struct ldr_record *rec)
{
    size_t *order = stamp_order(rec);
    json_t *doc = json_object();
    struct ldr_err err;

    if (!order || !doc)
        goto fail;
    for (size_t i = 0; i < rec->nfields; i++) {
        const struct ldr_field *f = &rec->fields[order[i]];
        /* Arrays are copied: a later "/a/0/b" writes inside the array at
         * "/a", which must not change the stored value (shared with the
         * change). Scalars are only ever replaced, never written into. */
        json_t *copy = json_is_array(f->value) ? json_deep_copy(f->value)
                                               : json_incref(f->value);
        int rc;

        if (f->value && !copy)
            goto fail;
        rc = copy ? ldr_jsonptr_set_new(doc, f->path, copy, &err)
                  : ldr_jsonptr_remove(doc, f->path, &err);
        if (rc == LDR_ENOMEM)
            goto fail;
    }
    free(order);
    return doc;
fail:
    free(order);
    json_decref(doc);
    return NULL;
}

static json_t *write_to_json(const struct ldr_write *w)
{
    char hlc[LDR_HLC_TEXT_LEN + 1];

    ldr_hlc_format(hlc, w->hlc);
    return json_pack("[s, s, s, o, I]", hlc, w->device, w->author,
                     w->rev == LDR_REV_PENDING
                         ? json_null()
                         : json_integer((json_int_t)w->rev),
                     (json_int_t)w->base);
}

static int write_index_cmp(const void *a, const void *b, void *ctx)
{
    const struct ldr_write *writes = ctx;
    return write_cmp(&writes[*(const size_t *)a], &writes[*(const size_t *)b]);
}

/*
 * {"rev": 7, "writes": [[hlc, device, author, rev|null, base], ...],
 *  "fields": {"/path": [write, value] or [write] for a removal}}
 * Writes in stamp order, so equal states serialise to equal bytes.
 */
json_t *ldr_record_to_json(const struct ldr_record *rec)
{
    size_t *order = malloc((rec->nwrites + 1) * 2 * sizeof *order);
    size_t *rank = order + rec->nwrites;
    json_t *writes = json_array(), *fields = json_object();
    json_t *doc = json_pack("{s:I, s:o, s:o}", "rev", (json_int_t)rec->rev,
                            "writes", writes, "fields", fields);
    bool ok = order && doc;

    for (size_t i = 0; ok && i < rec->nwrites; i++)
        order[i] = i;
    if (ok)
        qsort_r(order, rec->nwrites, sizeof *order, write_index_cmp,
                rec->writes);
    for (size_t i = 0; ok && i < rec->nwrites; i++) {
        rank[order[i]] = i;
        ok = json_array_append_new(writes,
                                   write_to_json(&rec->writes[order[i]])) == 0;
    }
    for (size_t i = 0; ok && i < rec->nfields; i++) {
        const struct ldr_field *f = &rec->fields[i];
        json_t *entry =
            f->value ? json_pack("[I, O]", (json_int_t)rank[f->write], f->value)
                     : json_pack("[I]", (json_int_t)rank[f->write]);
        ok = json_object_set_new(fields, f->path, entry) == 0;
    }
    free(order);
    if (!ok) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static void put_write(struct ldr_jsonbuf *b, const struct ldr_write *w)
{
    char hlc[LDR_HLC_TEXT_LEN + 1];

    ldr_hlc_format(hlc, w->hlc);
    ldr_jsonbuf_add(b, "[", 1);
    ldr_jsonbuf_strings(b, hlc);
    ldr_jsonbuf_add(b, ",", 1);
    ldr_jsonbuf_strings(b, w->device);
    ldr_jsonbuf_add(b, ",", 1);
    ldr_jsonbuf_strings(b, w->author);
    ldr_jsonbuf_add(b, ",", 1);
    if (w->rev == LDR_REV_PENDING)
        ldr_jsonbuf_adds(b, "null");
    else
        ldr_jsonbuf_int(b, (int64_t)w->rev);
    ldr_jsonbuf_add(b, ",", 1);
    ldr_jsonbuf_int(b, (int64_t)w->base);
    ldr_jsonbuf_add(b, "]", 1);
}

/* "fields" comes first in sorted order; fields are sorted by path already,
 * as Jansson sorts keys (bytes, then length). */
static void put_fields(struct ldr_jsonbuf *b, const struct ldr_record *rec,
                       const size_t *rank)
{
    ldr_jsonbuf_adds(b, "{\"fields\":{");
    for (size_t i = 0; i < rec->nfields; i++) {
        const struct ldr_field *f = &rec->fields[i];

        ldr_jsonbuf_adds(b, i ? "," : "");
        ldr_jsonbuf_strings(b, f->path);
        ldr_jsonbuf_add(b, ":[", 2);
        ldr_jsonbuf_uint(b, rank[f->write]);
        if (f->value) {
            ldr_jsonbuf_add(b, ",", 1);
            ldr_jsonbuf_value(b, f->value, true);
        }
        ldr_jsonbuf_add(b, "]", 1);
    }
}

/* ---- the value as text, without a tree ---------------------------------- */

/* One key of a field's path, unescaped ("~1" is "/", "~0" is "~"). */
struct vkey {
    const char *s;
    size_t n;
};

/* A field with its path split into keys. */
struct vpath {
    const struct ldr_field *f;
    const struct vkey *keys;
    size_t n;
};

/* The order of sorted keys (ldr_jsonbuf_value's): bytes, then length. */
static int vkey_cmp(const struct vkey *a, const struct vkey *b)
{
    int r = memcmp(a->s, b->s, a->n < b->n ? a->n : b->n);

    return r ? r : (a->n > b->n) - (a->n < b->n);
}

/* Key by key; a path before the paths inside it. */
static int vpath_cmp(const void *x, const void *y)
{
    const struct vpath *a = x, *b = y;

    for (size_t i = 0; i < a->n && i < b->n; i++) {
        int r = vkey_cmp(&a->keys[i], &b->keys[i]);
        if (r)
            return r;
    }
    return (a->n > b->n) - (a->n < b->n);
}

/* Keys a and b share from the start, at most `limit`. */
static size_t shared_keys(const struct vpath *a, const struct vpath *b,
                          size_t limit)
{
    size_t i = 0;

    while (i < limit && i < a->n && i < b->n &&
           vkey_cmp(&a->keys[i], &b->keys[i]) == 0)
        i++;
    return i;
}

/* Splits each path into keys: a key points into its path, or into
 * `chars` where it had to be unescaped; false for a path that is not
 * plain "/key/key" with "~0" and "~1". */
static bool split_paths(const struct ldr_record *rec, struct vpath *p,
                        struct vkey *keys, char *chars)
{
    for (size_t i = 0; i < rec->nfields; i++) {
        const char *s = rec->fields[i].path;

        p[i] = (struct vpath){&rec->fields[i], keys, 0};
        while (*s == '/') {
            size_t n = strcspn(++s, "/~");

            keys->s = s;
            keys->n = n;
            s += n;
            if (*s == '~') { /* the whole key again, unescaped */
                keys->s = chars;
                for (s -= n; *s && *s != '/'; s++) {
                    if (*s == '~' && s[1] != '0' && s[1] != '1')
                        return false;
                    *chars++ = *s != '~' ? *s : *++s == '1' ? '/' : '~';
                }
                keys->n = (size_t)(chars - keys->s);
            }
            keys++;
            p[i].n++;
        }
        if (*s)
            return false;
    }
    return true;
}

/* True when no path lies inside another (tombstones count): then every
 * field is a leaf of plain nested objects, in any stamp order. */
static bool flat_paths(const struct vpath *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i].n == 0 ||
            (i > 0 && shared_keys(&p[i - 1], &p[i], p[i - 1].n) == p[i - 1].n))
            return false;
    return true;
}

/* The sorted fields as nested objects: each field closes the objects the
 * one before opened beyond the keys they share, opens its own. */
static void write_flat(struct ldr_jsonbuf *b, const struct vpath *p, size_t n)
{
    const struct vpath *prev = NULL;
    size_t open = 0; /* objects open below the top one */

    ldr_jsonbuf_add(b, "{", 1);
    for (size_t i = 0; i < n; i++) {
        const struct vpath *cur = &p[i];
        size_t common;

        if (!cur->f->value)
            continue; /* a removal: nothing to show */
        common = prev ? shared_keys(prev, cur,
                                    (prev->n < cur->n ? prev->n : cur->n) - 1)
                      : 0;
        for (; open > common; open--)
            ldr_jsonbuf_add(b, "}", 1);
        if (prev)
            ldr_jsonbuf_add(b, ",", 1);
        for (; open < cur->n - 1; open++) {
            ldr_jsonbuf_string(b, cur->keys[open].s, cur->keys[open].n);
            ldr_jsonbuf_add(b, ":{", 2);
        }
        ldr_jsonbuf_string(b, cur->keys[open].s, cur->keys[open].n);
        ldr_jsonbuf_add(b, ":", 1);
        ldr_jsonbuf_value(b, cur->f->value, true);
        prev = cur;
    }
    for (; open > 0; open--)
        ldr_jsonbuf_add(b, "}", 1);
    ldr_jsonbuf_add(b, "}", 1);
}

/* A record's paths split into keys, sorted key by key. */
struct vpaths {
    struct vpath *p;
    struct vkey *keys;
    char *chars;
};

static void vpaths_free(struct vpaths *v)
{
    free(v->p);
    free(v->keys);
    free(v->chars);
}

/* Splits and sorts the record's paths; true when none lies inside
 * another. False as well when out of memory: the tree way then copes or
 * fails. */
static bool flat_fields(const struct ldr_record *rec, struct vpaths *v)
{
    size_t nchars = 0; /* bounds the keys too: each starts with a '/' */

    for (size_t i = 0; i < rec->nfields; i++)
        nchars += strlen(rec->fields[i].path);
    v->p = malloc((rec->nfields + 1) * sizeof *v->p);
    v->keys = malloc((nchars + 1) * sizeof *v->keys);
    v->chars = malloc(nchars + 1);
    if (!v->p || !v->keys || !v->chars ||
        !split_paths(rec, v->p, v->keys, v->chars))
        return false;
    /* fields are sorted by path, which is key by key but where a key
     * holds a byte below '/' ("a-b" before "a/..."): sort only then */
    for (size_t i = 1; i < rec->nfields; i++)
        if (vpath_cmp(&v->p[i - 1], &v->p[i]) > 0) {
            qsort(v->p, rec->nfields, sizeof *v->p, vpath_cmp);
            break;
        }
    return flat_paths(v->p, rec->nfields);
}

/* Sets `key` of `obj` to `v` (a new reference, taken even on failure). */
static bool put_key(json_t *obj, const struct vkey *key, json_t *v)
{
    return v && json_object_setn_new_nocheck(obj, key->s, key->n, v) == 0;
}

/* The sorted fields as nested objects, opened and left as write_flat()
 * writes them; `open` holds the objects below the top one. */
static json_t *build_flat(const struct vpath *p, size_t n, json_t **open)
{
    json_t *doc = json_object();
    const struct vpath *prev = NULL;
    size_t depth = 0;

    open[0] = doc;
    for (size_t i = 0; doc && i < n; i++) {
        const struct vpath *cur = &p[i];
        const json_t *v = cur->f->value;
        size_t common;

        if (!v)
            continue;
        common = prev ? shared_keys(prev, cur,
                                    (prev->n < cur->n ? prev->n : cur->n) - 1)
                      : 0;
        if (depth > common)
            depth = common;
        for (; depth < cur->n - 1; depth++)
            if (!put_key(open[depth], &cur->keys[depth],
                         open[depth + 1] = json_object()))
                goto fail;
        /* an array is copied, as stamped_value() does */
        if (!put_key(open[depth], &cur->keys[depth],
                     json_is_array(v) ? json_deep_copy(v)
                                      : json_incref((json_t *)v)))
            goto fail;
        prev = cur;
    }
    return doc;
fail:
    json_decref(doc);
    return NULL;
}

/* When no path lies inside another (tombstones count), every field is a
 * leaf of plain nested objects in any stamp order: built from the sorted
 * paths, without parsing each as a pointer from the top. */
json_t *ldr_record_value(const struct ldr_record *rec)
{
    struct vpaths v;
    json_t *doc = NULL, *small[16], **open = small;
    size_t depth = 0;
    bool flat = flat_fields(rec, &v);

    for (size_t i = 0; flat && i < rec->nfields; i++)
        if (v.p[i].n > depth)
            depth = v.p[i].n;
    if (flat && (depth <= 16 || (open = malloc(depth * sizeof *open))))
        doc = build_flat(v.p, rec->nfields, open);
    if (open != small)
        free(open);
    vpaths_free(&v);
    return flat ? doc : stamped_value(rec);
}

json_t *ldr_record_head(const struct ldr_record *rec)
{
    struct vpaths v;
    json_t *doc = NULL;
    bool flat = flat_fields(rec, &v);

    if (flat)
        doc = json_object();
    for (size_t i = 0; flat && doc && i < rec->nfields; i++) {
        const json_t *val = v.p[i].f->value;

        if (v.p[i].n != 1 || !val)
            continue;
        /* an array is copied, as in ldr_record_value() */
        if (!put_key(doc, &v.p[i].keys[0],
                     json_is_array(val) ? json_deep_copy(val)
                                        : json_incref((json_t *)val))) {
            json_decref(doc);
            doc = NULL;
        }
    }
    vpaths_free(&v);
    return flat ? doc : stamped_value(rec);
}

void ldr_record_write_value(struct ldr_jsonbuf *b, const struct ldr_record *rec)
{
    struct vpaths v;
    json_t *doc;

    if (flat_fields(rec, &v)) {
        write_flat(b, v.p, rec->nfields);
        vpaths_free(&v);
        return;
    }
    vpaths_free(&v);
    /* nested paths (or no memory for the fast way): through a tree */
    doc = stamped_value(rec);
    ldr_jsonbuf_value(b, doc, true);
    json_decref(doc);
}

int ldr_record_write(struct ldr_jsonbuf *b, const struct ldr_record *rec)
{
    size_t stack[2 * 32], *order = stack, *rank;

    if (rec->nwrites > 32 &&
        !(order = malloc(rec->nwrites * 2 * sizeof *order))) {
        b->oom = true;
        return LDR_ENOMEM;
    }
    rank = order + rec->nwrites;
    for (size_t i = 0; i < rec->nwrites; i++)
        order[i] = i;
    qsort_r(order, rec->nwrites, sizeof *order, write_index_cmp, rec->writes);
    for (size_t i = 0; i < rec->nwrites; i++)
        rank[order[i]] = i;
    put_fields(b, rec, rank);
    ldr_jsonbuf_adds(b, "},\"rev\":");
    ldr_jsonbuf_int(b, (int64_t)rec->rev);
    ldr_jsonbuf_adds(b, ",\"writes\":[");
    for (size_t i = 0; i < rec->nwrites; i++) {
        ldr_jsonbuf_adds(b, i ? "," : "");
        put_write(b, &rec->writes[order[i]]);
    }
    ldr_jsonbuf_adds(b, "]}");
    if (order != stack)
        free(order);
    return b->oom ? LDR_ENOMEM : 0;
}

char *ldr_record_dump(const struct ldr_record *rec, size_t *len_out)
{
    struct ldr_jsonbuf b;

    ldr_jsonbuf_init(&b);
    ldr_record_write(&b, rec);
    return ldr_jsonbuf_detach(&b, len_out);
}

static int load_write(struct ldr_write *w, json_t *item, size_t i,
                      struct ldr_err *err)
{
    const char *hlc, *device, *author;
    json_t *rev;
    json_int_t base;

    if (json_unpack(item, "[s, s, s, o, I!]", &hlc, &device, &author, &rev,
                    &base) < 0 ||
        !(json_is_null(rev) ||
          (json_is_integer(rev) && json_integer_value(rev) >= 0)) ||
        base < 0)
        return ldr_err_set(err, LDR_EINVAL,
                           "/writes/%zu: expected [hlc, device, author, "
                           "rev or null, base]",
                           i);
    if (ldr_hlc_parse(&w->hlc, hlc, err) < 0)
        return ldr_err_prefix(err, "/writes/%zu/0: ", i);
    if (!ldr_uuid_valid(device) || strlen(author) > LDR_AUTHOR_MAX)
        return ldr_err_set(err, LDR_EINVAL,
                           "/writes/%zu: bad device '%s' or author", i, device);
    memcpy(w->device, device, sizeof w->device);
    snprintf(w->author, sizeof w->author, "%s", author);
    w->rev =
        json_is_null(rev) ? LDR_REV_PENDING : (uint64_t)json_integer_value(rev);
    w->base = (uint64_t)base;
    return 0;
}

static int load_field(struct ldr_record *rec, const char *path, json_t *item,
                      struct ldr_err *err)
{
    json_t *idx = json_array_get(item, 0);
    size_t n = json_array_size(item);
    char where[LDR_ERR_MSG_MAX / 2];

    ldr_jsonptr_escape(where, sizeof where, path);
    if (!json_is_array(item) || n < 1 || n > 2 || !json_is_integer(idx) ||
        json_integer_value(idx) < 0 ||
        (size_t)json_integer_value(idx) >= rec->nwrites)
        return ldr_err_set(err, LDR_EINVAL,
                           "/fields/%s: expected [write index, value] or "
                           "[write index]",
                           where);
    if (path[0] == '\0' || ldr_jsonptr_check(path, err) < 0)
        return ldr_err_set(err, LDR_EINVAL, "/fields/%s: not a field path",
                           where);
    if (ldr_record_field(rec, path))
        return ldr_err_set(err, LDR_EINVAL, "/fields/%s: listed twice", where);
    if (grow((void **)&rec->fields, &rec->cap_fields, rec->nfields + 1,
             sizeof *rec->fields) < 0 ||
        put_field(rec, path, json_array_get(item, 1),
                  (size_t)json_integer_value(idx)) < 0)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    return 0;
}

static int load_state(struct ldr_record *rec, json_t *state,
                      struct ldr_err *err)
{
    json_t *writes, *fields, *item;
    json_int_t rev;
    const char *path;
    size_t i;
    int rc;

    if (json_unpack(state, "{s:I, s:o, s:o!}", "rev", &rev, "writes", &writes,
                    "fields", &fields) < 0 ||
        rev < 0 || !json_is_array(writes) || !json_is_object(fields))
        return ldr_err_set(err, LDR_EINVAL,
                           "expected {\"rev\", \"writes\", \"fields\"}");
    rec->rev = (uint64_t)rev;
    if (grow((void **)&rec->writes, &rec->cap_writes, json_array_size(writes),
             sizeof *rec->writes) < 0)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    json_array_foreach(writes, i, item)
    {
        if ((rc = load_write(&rec->writes[i], item, i, err)) < 0)
            return rc;
        rec->nwrites++;
    }
    json_object_foreach(fields, path, item)
    {
        if ((rc = load_field(rec, path, item, err)) < 0)
            return rc;
    }
    return 0;
}

int ldr_record_from_json(struct ldr_record *rec, json_t *state,
                         struct ldr_err *err)
{
    int rc = load_state(rec, state, err);

    if (rc < 0) {
        ldr_err_prefix(err, "state of %s '%s': ", rec->kind, rec->id);
        clear(rec);
    }
    return rc;
}

/* ---- a state read straight from its text --------------------------------
 *
 * Pulling builds no Jansson tree of a page: converting one cost most of a
 * pull. Plain strings and small integers are made here; any other value
 * is left to Jansson, so values come out as json_loads() makes them.
 */

struct text {
    const char *p, *end;
};

static void skip_space(struct text *t)
{
    while (t->p < t->end &&
           (*t->p == ' ' || *t->p == '\n' || *t->p == '\r' || *t->p == '\t'))
        t->p++;
}

static bool eat(struct text *t, char c)
{
    skip_space(t);
    if (t->p == t->end || *t->p != c)
        return false;
    t->p++;
    return true;
}

/* Any JSON value, by Jansson, which says how far it read. */
static json_t *jansson_value(struct text *t)
{
    json_error_t e;
    json_t *v = json_loadb(t->p, (size_t)(t->end - t->p),
                           JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &e);

    if (v)
        t->p += e.position;
    return v;
}

/* A string without escapes: its bytes, in the text. False leaves the rest
 * (escapes, control characters, bad UTF-8) to Jansson. */
static bool plain_string(struct text *t, const char **s, size_t *n)
{
    const char *q = t->p + 1;

    if (t->p == t->end || *t->p != '"')
        return false;
    q += ldr_json_plain_len(q, (size_t)(t->end - q));
    if (q == t->end || *q != '"' ||
        ldr_utf8_check(t->p + 1, (size_t)(q - t->p - 1)) !=
            (size_t)(q - t->p - 1))
        return false;
    *s = t->p + 1;
    *n = (size_t)(q - t->p - 1);
    t->p = q + 1;
    return true;
}

static bool is_digit(const struct text *t, const char *q)
{
    return q < t->end && *q >= '0' && *q <= '9';
}

/* An integer of at most 18 digits; anything else is left to Jansson. */
static bool small_int(struct text *t, json_int_t *out)
{
    const char *q = t->p + (t->p < t->end && *t->p == '-');
    json_int_t n = 0;
    int digits = 0;

    if (!is_digit(t, q) || (*q == '0' && is_digit(t, q + 1)))
        return false;
    while (is_digit(t, q) && digits++ < 18)
        n = n * 10 + (*q++ - '0');
    if (q == t->end || is_digit(t, q) || *q == '.' || *q == 'e' || *q == 'E')
        return false;
    *out = *t->p == '-' ? -n : n;
    t->p = q;
    return true;
}

static json_t *read_value(struct text *t)
{
    const char *s;
    size_t n;
    json_int_t i;

    skip_space(t);
    if (plain_string(t, &s, &n))
        return json_stringn_nocheck(s, n);
    if (small_int(t, &i))
        return json_integer(i);
    return jansson_value(t);
}

static bool read_int(struct text *t, json_int_t *out)
{
    json_t *v;
    bool ok;

    skip_space(t);
    if (small_int(t, out))
        return true;
    v = jansson_value(t);
    ok = json_is_integer(v);
    if (ok)
        *out = json_integer_value(v);
    json_decref(v);
    return ok;
}

static bool read_null(struct text *t)
{
    skip_space(t);
    if (t->end - t->p < 4 || memcmp(t->p, "null", 4) != 0)
        return false;
    t->p += 4;
    return true;
}

/* A string of fewer than `cap` bytes, copied into `out`. */
static bool read_text(struct text *t, char *out, size_t cap)
{
    json_t *v;
    const char *s;
    size_t n;
    bool ok;

    skip_space(t);
    if (plain_string(t, &s, &n)) {
        if (n >= cap)
            return false;
        memcpy(out, s, n);
        out[n] = '\0';
        return true;
    }
    if (t->p == t->end || *t->p != '"' || !(v = jansson_value(t)))
        return false;
    ok = json_is_string(v) && json_string_length(v) < cap;
    if (ok)
        memcpy(out, json_string_value(v), json_string_length(v) + 1);
    json_decref(v);
    return ok;
}

/* A string as a new NUL-terminated copy; NULL if there is none. */
static char *read_string(struct text *t)
{
    json_t *v;
    const char *s;
    size_t n;
    char *copy = NULL;

    skip_space(t);
    if (plain_string(t, &s, &n))
        return strndup(s, n);
    if (t->p == t->end || *t->p != '"' || !(v = jansson_value(t)))
        return NULL;
    if (json_is_string(v))
        copy = strdup(json_string_value(v));
    json_decref(v);
    return copy;
}

static int not_a_state(const struct text *t, const char *start,
                       struct ldr_err *err)
{
    return ldr_err_set(err, LDR_EINVAL,
                       "expected {\"rev\", \"writes\", \"fields\"} (at byte "
                       "%zu)",
                       (size_t)(t->p - start));
}

static int parse_write(struct ldr_write *w, struct text *t, size_t i,
                       struct ldr_err *err)
{
    char hlc[64], device[64], author[LDR_AUTHOR_MAX + 2];
    json_int_t rev = -1, base = -1;

    if (!eat(t, '[') || !read_text(t, hlc, sizeof hlc) || !eat(t, ',') ||
        !read_text(t, device, sizeof device) || !eat(t, ',') ||
        !read_text(t, author, sizeof author) || !eat(t, ',') ||
        !(read_null(t) || (read_int(t, &rev) && rev >= 0)) || !eat(t, ',') ||
        !read_int(t, &base) || base < 0 || !eat(t, ']'))
        return ldr_err_set(err, LDR_EINVAL,
                           "/writes/%zu: expected [hlc, device, author, "
                           "rev or null, base]",
                           i);
    if (ldr_hlc_parse(&w->hlc, hlc, err) < 0)
        return ldr_err_prefix(err, "/writes/%zu/0: ", i);
    if (!ldr_uuid_valid(device) || strlen(author) > LDR_AUTHOR_MAX)
        return ldr_err_set(err, LDR_EINVAL,
                           "/writes/%zu: bad device '%s' or author", i, device);
    memcpy(w->device, device, sizeof w->device);
    memcpy(w->author, author, strlen(author) + 1);
    w->rev = rev < 0 ? LDR_REV_PENDING : (uint64_t)rev;
    w->base = (uint64_t)base;
    return 0;
}

static int parse_writes(struct ldr_record *rec, struct text *t,
                        const char *start, struct ldr_err *err)
{
    int rc;

    if (!eat(t, '['))
        return not_a_state(t, start, err);
    if (eat(t, ']'))
        return 0;
    do {
        if (grow((void **)&rec->writes, &rec->cap_writes, rec->nwrites + 1,
                 sizeof *rec->writes) < 0)
            return ldr_err_set(err, LDR_ENOMEM, "out of memory");
        rc = parse_write(&rec->writes[rec->nwrites], t, rec->nwrites, err);
        if (rc)
            return rc;
        rec->nwrites++;
    } while (eat(t, ','));
    return eat(t, ']') ? 0 : not_a_state(t, start, err);
}

static int bad_field(const char *path, const char *what, struct ldr_err *err)
{
    char where[LDR_ERR_MSG_MAX / 2];

    ldr_jsonptr_escape(where, sizeof where, path);
    return ldr_err_set(err, LDR_EINVAL, "/fields/%s: %s", where, what);
}

/* [write, value] or [write]; the write index is checked once the writes
 * are read, as "fields" comes first. Takes `path`. */
static int parse_field(struct ldr_record *rec, struct text *t, char *path,
                       struct ldr_err *err)
{
    json_int_t wi = -1;
    json_t *value = NULL;
    size_t i = rec->nfields;
    int rc = 0;

    if (!eat(t, '[') || !read_int(t, &wi) || wi < 0 ||
        !(eat(t, ']') ||
          (eat(t, ',') && (value = read_value(t)) && eat(t, ']'))))
        rc = bad_field(path, "expected [write index, value] or [write index]",
                       err);
    else if (path[0] == '\0' || ldr_jsonptr_check(path, err) < 0)
        rc = bad_field(path, "not a field path", err);
    else if (i > 0 && strcmp(rec->fields[i - 1].path, path) >= 0 &&
             ldr_record_field(rec, path))
        rc = bad_field(path, "listed twice", err);
    else if (grow((void **)&rec->fields, &rec->cap_fields, rec->nfields + 1,
                  sizeof *rec->fields) < 0)
        rc = ldr_err_set(err, LDR_ENOMEM, "out of memory");
    if (rc) {
        json_decref(value);
        free(path);
        return rc;
    }
    /* paths come sorted in the canonical form: then this appends */
    if (i > 0 && strcmp(rec->fields[i - 1].path, path) > 0)
        i = field_pos(rec, path);
    insert_field(rec, i, path, value, (size_t)wi);
    return 0;
}

static int parse_fields(struct ldr_record *rec, struct text *t,
                        const char *start, struct ldr_err *err)
{
    int rc;

    if (!eat(t, '{'))
        return not_a_state(t, start, err);
    if (eat(t, '}'))
        return 0;
    do {
        char *path = read_string(t);

        if (!path || !eat(t, ':')) {
            free(path);
            return not_a_state(t, start, err);
        }
        if ((rc = parse_field(rec, t, path, err)) != 0)
            return rc;
    } while (eat(t, ','));
    return eat(t, '}') ? 0 : not_a_state(t, start, err);
}

static int check_field_writes(const struct ldr_record *rec, struct ldr_err *err)
{
    for (size_t i = 0; i < rec->nfields; i++)
        if (rec->fields[i].write >= rec->nwrites)
            return bad_field(rec->fields[i].path,
                             "expected [write index, value] or [write index]",
                             err);
    return 0;
}

/* {"rev", "writes", "fields"} in any order, each once, nothing else. */
static int parse_state(struct ldr_record *rec, struct text *t,
                       struct ldr_err *err)
{
    const char *start = t->p;
    bool rev_seen = false, writes_seen = false, fields_seen = false;
    json_int_t rev = -1;
    char key[8];
    int rc = 0;

    if (!eat(t, '{'))
        return not_a_state(t, start, err);
    do {
        if (!read_text(t, key, sizeof key) || !eat(t, ':'))
            return not_a_state(t, start, err);
        if (strcmp(key, "rev") == 0 && !rev_seen) {
            rev_seen = read_int(t, &rev) && rev >= 0;
            rc = rev_seen ? 0 : not_a_state(t, start, err);
        } else if (strcmp(key, "writes") == 0 && !writes_seen) {
            writes_seen = true;
            rc = parse_writes(rec, t, start, err);
        } else if (strcmp(key, "fields") == 0 && !fields_seen) {
            fields_seen = true;
            rc = parse_fields(rec, t, start, err);
        } else {
            rc = not_a_state(t, start, err);
        }
    } while (rc == 0 && eat(t, ','));
    if (rc == 0 && (!eat(t, '}') || !rev_seen || !writes_seen || !fields_seen))
        rc = not_a_state(t, start, err);
    rec->rev = (uint64_t)rev;
    return rc ? rc : check_field_writes(rec, err);
}

int ldr_record_parse(struct ldr_record *rec, const char *text, size_t len,
                     size_t *used, struct ldr_err *err)
{
    struct text t = {text, text + len};
    int rc = parse_state(rec, &t, err);

    if (rc == 0 && !used) {
        skip_space(&t);
        if (t.p != t.end)
            rc = not_a_state(&t, text, err);
    }
    if (rc < 0) {
        ldr_err_prefix(err, "state of %s '%s': ", rec->kind, rec->id);
        clear(rec);
        return rc;
    }
    if (used)
        *used = (size_t)(t.p - text);
    return 0;
}
