/*
 * Change and change-set codec. Parsing streams through yajl straight into
 * struct ldr_change: building a Jansson tree first cost ~9x more than the
 * tokenising itself, and change sets are the bulk of every sync. Only leaf
 * values become Jansson values. Every rejection names the change and the
 * JSON Pointer of the offending member inside it.
 */
#include "ladder/change.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "ladder/err.h"
#include "ladder/jsonbuf.h"
#include "ladder/jsonptr.h"
#include "ladder/utf8.h"

void ldr_limits_default(struct ldr_limits *out)
{
    out->max_body = 32u << 20;
    out->max_changes = 10000;
    out->max_fields = 1000;
    out->max_depth = 16;
    out->max_string = 64u << 10;
    out->max_path = 512;
}

/* Where the parser is: what the next token may be. */
enum state {
    IN_TOP,     /* before the document */
    IN_SET_DOC, /* inside {"id", "changes"} */
    IN_CHANGES, /* inside "changes": [...] */
    IN_CHANGE,  /* inside one change object */
    IN_FIELDS,  /* inside "set": {...} */
    IN_UNSET,   /* inside "unset": [...] */
    IN_VALUE,   /* inside an array (or object in it) that is a leaf value */
    IN_DONE,
};

/* Members of a change set and of a change; bit positions for "seen". */
enum member {
    M_NONE = -1,
    M_ID,
    M_CHANGES,
    M_KIND = 0,
    M_RECORD,
    M_HLC,
    M_DEVICE,
    M_AUTHOR,
    M_BASE,
    M_SET,
    M_UNSET,
};

static const char *const set_members[] = {"id", "changes", NULL};
static const char *const change_members[] = {
    "kind", "record", "hlc", "device", "author", "base", "set", "unset", NULL};
#define SET_REQUIRED ((1u << M_ID) | (1u << M_CHANGES))
#define CHANGE_REQUIRED                                                        \
    ((1u << M_KIND) | (1u << M_RECORD) | (1u << M_HLC) | (1u << M_DEVICE) |    \
     (1u << M_AUTHOR) | (1u << M_BASE))

/* A container being built inside a leaf value. */
struct frame {
    json_t *node;
    char *key; /* pending member name when node is an object */
};

struct parser {
    const struct ldr_limits *lim;
    struct ldr_err *err;
    enum state state;
    int member;        /* member whose value comes next, or M_NONE */
    unsigned seen;     /* members seen in the current object */
    unsigned set_seen; /* the change set's, while its changes are read */
    bool single;       /* parsing one change, not a set */
    size_t index;      /* index of the current change, for messages */
    struct ldr_changeset *set;
    struct ldr_change *change;
    char *path;      /* the "set" key whose value comes next */
    size_t unset_at; /* index inside "unset", for messages */
    struct frame *stack;
    size_t depth;
};

/* ---- messages ---------------------------------------------------------- */

/* The JSON Pointer, inside the current change, of what is being read. */
static const char *where(struct parser *p, char *buf, size_t cap)
{
    size_t n;

    if (p->state == IN_FIELDS || p->state == IN_VALUE) {
        n = (size_t)snprintf(buf, cap, "/set/");
        ldr_jsonptr_escape(buf + n, cap - n, p->path ? p->path : "");
        ldr_utf8_trim(buf);
    } else if (p->state == IN_UNSET) {
        snprintf(buf, cap, "/unset/%zu", p->unset_at);
    } else if (p->member >= 0) {
        const char *const *names =
            p->state == IN_CHANGE ? change_members : set_members;
        snprintf(buf, cap, "/%s", names[p->member]);
    } else {
        buf[0] = '\0';
    }
    return buf;
}

/* Records an error at the current place; returns 0 to stop yajl. */
static int fail(struct parser *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, int code, const char *fmt, ...)
{
    char at[LDR_ERR_MSG_MAX / 2], msg[LDR_ERR_MSG_MAX];
    bool in_change = p->state >= IN_CHANGES && p->state <= IN_VALUE;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ldr_utf8_trim(msg);
    if (p->state == IN_CHANGES || (p->single && p->state == IN_TOP))
        at[0] = '\0';
    else
        where(p, at, sizeof at);
    in_change |= p->single;
    if (in_change && at[0])
        ldr_err_set(p->err, code, "change %zu: %s: %s", p->index, at, msg);
    else if (in_change)
        ldr_err_set(p->err, code, "change %zu: %s", p->index, msg);
    else
        ldr_err_set(p->err, code, "%s: %s", at[0] ? at : "change set", msg);
    return 0;
}

static int expected(struct parser *p, const char *what, const char *got)
{
    return fail(p, LDR_EINVAL, "expected %s, got %s", what, got);
}

/* What an expected member should hold, for messages. */
static const char *want(const struct parser *p)
{
    static const char *const change_wants[] = {
        ("a record kind such as \"assessment\" (lowercase letters, digits, "
         "'_' or '-')"),
        "a lowercase UUID string",
        "a clock stamp string",
        "a lowercase UUID string",
        "an author id of 1 to 128 bytes without control characters",
        "a non-negative integer revision",
        "an object of path: value",
        "an array of paths",
    };
    if (p->state == IN_CHANGE)
        return change_wants[p->member];
    if (p->state == IN_SET_DOC)
        return p->member == M_ID ? "a lowercase UUID string"
                                 : "an array of changes";
    if (p->state == IN_UNSET)
        return "a JSON Pointer string";
    return p->single || p->state == IN_CHANGES ? "a change object"
                                               : "a change set object";
}

/* "a string \"abc\"" and the like, for messages. */
static const char *describe_string(const unsigned char *s, size_t len,
                                   char *buf, size_t cap)
{
    size_t n = ldr_utf8_cut((const char *)s, len, 40);

    snprintf(buf, cap, "\"%.*s%s\"", (int)n, (const char *)s,
             n < len ? "..." : "");
    return buf;
}

/* ---- member checks ----------------------------------------------------- */

static bool is_kind(const char *s, size_t n)
{
    if (n == 0 || n > LDR_KIND_MAX || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

static bool is_author(const char *s, size_t n)
{
    if (n == 0 || n > LDR_AUTHOR_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

static bool is_uuid(const char *s, size_t n)
{
    char buf[LDR_UUID_LEN + 1];

    if (n != LDR_UUID_LEN)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return ldr_uuid_valid(buf);
}

/* A field path (NUL-terminated, `n` bytes): a JSON Pointer below the root
 * with no empty segment. */
static int check_path(struct parser *p, const char *path, size_t n)
{
    struct ldr_err perr;

    if (n > p->lim->max_path || n > LDR_PATH_MAX)
        return fail(p, LDR_ETOOBIG,
                    "path of %zu bytes is over the limit of %zu", n,
                    p->lim->max_path);
    if (n == 0)
        return fail(p, LDR_EINVAL,
                    "the empty path names the whole record; name a field "
                    "such as '/status'");
    if (memchr(path, '\0', n))
        return fail(p, LDR_EINVAL, "path contains a NUL character");
    if (ldr_jsonptr_check(path, &perr) < 0)
        return fail(p, LDR_EINVAL, "%s", perr.msg);
    if (strstr(path, "//") || path[n - 1] == '/')
        return fail(p, LDR_EINVAL, "path '%s' has an empty segment", path);
    return 1;
}

static int take_hlc(struct parser *p, const char *s, size_t n)
{
    char text[LDR_HLC_TEXT_LEN + 1];
    struct ldr_err herr;

    if (n > LDR_HLC_TEXT_LEN)
        return fail(p, LDR_EINVAL,
                    "expected a clock stamp like '1795711458123-00042', got "
                    "%zu characters",
                    n);
    memcpy(text, s, n);
    text[n] = '\0';
    if (ldr_hlc_parse(&p->change->hlc, text, &herr) < 0)
        return fail(p, LDR_EINVAL, "%s", herr.msg);
    return 1;
}

/* Copies a string member of a change into its fixed-size slot. */
static int take_string(struct parser *p, const char *s, size_t n)
{
    struct ldr_change *c = p->change;
    char *dst = NULL, got[64];
    bool ok = false;

    switch (p->member) {
    case M_KIND:
        dst = c->kind, ok = is_kind(s, n);
        break;
    case M_RECORD:
        dst = c->record, ok = is_uuid(s, n);
        break;
    case M_DEVICE:
        dst = c->device, ok = is_uuid(s, n);
        break;
    case M_AUTHOR:
        dst = c->author, ok = is_author(s, n);
        break;
    case M_HLC:
        return take_hlc(p, s, n);
    default:
        break;
    }
    if (!ok)
        return expected(
            p, want(p),
            describe_string((const unsigned char *)s, n, got, sizeof got));
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 1;
}

/* ---- fields and leaf values -------------------------------------------- */

static int add_op(struct parser *p, char *path, json_t *value)
{
    struct ldr_change *c = p->change;

    if (c->nops >= p->lim->max_fields) {
        free(path);
        json_decref(value);
        return fail(p, LDR_ETOOBIG,
                    "more than %zu fields in one change; split it",
                    p->lim->max_fields);
    }
    if (c->nops == c->cap_ops) {
        size_t cap = c->cap_ops ? 2 * c->cap_ops : 32;
        struct ldr_op *ops = realloc(c->ops, cap * sizeof *ops);
        if (!ops) {
            free(path);
            json_decref(value);
            return fail(p, LDR_ENOMEM, "out of memory");
        }
        c->ops = ops;
        c->cap_ops = cap;
    }
    c->ops[c->nops].path = path;
    c->ops[c->nops].value = value;
    c->nops++;
    return 1;
}

/* Adds a finished value to the container on top of the stack. */
static int add_to_frame(struct parser *p, json_t *v)
{
    struct frame *f = &p->stack[p->depth - 1];
    int rc;

    if (json_is_array(f->node))
        rc = json_array_append_new(f->node, v);
    else if (json_object_get(f->node, f->key)) {
        json_decref(v);
        return fail(p, LDR_EINVAL, "duplicate member '%s' inside the value",
                    f->key);
    } else
        rc = json_object_set_new_nocheck(f->node, f->key, v);
    free(f->key);
    f->key = NULL;
    return rc == 0 ? 1 : fail(p, LDR_ENOMEM, "out of memory");
}

/* A complete leaf value: the field's value, or a part of a bigger one. */
static int on_value(struct parser *p, json_t *v)
{
    char *path = p->path;

    if (!v)
        return fail(p, LDR_ENOMEM, "out of memory");
    if (p->state == IN_VALUE)
        return add_to_frame(p, v);
    p->path = NULL;
    return add_op(p, path, v);
}

static int push(struct parser *p, json_t *node)
{
    if (!node)
        return fail(p, LDR_ENOMEM, "out of memory");
    if (p->depth >= p->lim->max_depth) {
        json_decref(node);
        return fail(p, LDR_ETOOBIG, "value nested deeper than %zu levels",
                    p->lim->max_depth);
    }
    if (!p->stack &&
        !(p->stack = calloc(p->lim->max_depth + 1, sizeof *p->stack))) {
        json_decref(node);
        return fail(p, LDR_ENOMEM, "out of memory");
    }
    p->stack[p->depth++] = (struct frame){node, NULL};
    p->state = IN_VALUE;
    return 1;
}

static int pop(struct parser *p)
{
    json_t *node = p->stack[--p->depth].node;

    if (p->depth > 0)
        return add_to_frame(p, node);
    p->state = IN_FIELDS;
    return on_value(p, node);
}

static void drop_stack(struct parser *p)
{
    while (p->depth > 0) {
        p->depth--;
        json_decref(p->stack[p->depth].node);
        free(p->stack[p->depth].key);
    }
    free(p->stack);
    p->stack = NULL;
}

/* ---- end of a change: order, duplicates, nesting ------------------------ */

static int op_cmp(const void *a, const void *b)
{
    return strcmp(((const struct ldr_op *)a)->path,
                  ((const struct ldr_op *)b)->path);
}

/* Sorts the ops by path; those ldr_change_write() wrote are sorted. */
static void sort_ops(struct ldr_change *c)
{
    for (size_t i = 1; i < c->nops; i++)
        if (op_cmp(&c->ops[i - 1], &c->ops[i]) > 0) {
            qsort(c->ops, c->nops, sizeof *c->ops, op_cmp);
            return;
        }
}

const struct ldr_op *ldr_change_op(const struct ldr_change *c, const char *path)
{
    struct ldr_op key = {(char *)path, NULL};
    return c->nops ? bsearch(&key, c->ops, c->nops, sizeof key, op_cmp) : NULL;
}

static int duplicate(struct parser *p, const struct ldr_op *a,
                     const struct ldr_op *b)
{
    char esc[LDR_ERR_MSG_MAX / 2];

    ldr_jsonptr_escape(esc, sizeof esc, a->path);
    ldr_utf8_trim(esc);
    if (a->value && b->value)
        ldr_err_set(p->err, LDR_EINVAL, "change %zu: /set/%s: duplicate member",
                    p->index, esc);
    else if (a->value || b->value)
        ldr_err_set(p->err, LDR_EINVAL,
                    "change %zu: /unset: '%s' is both set and unset", p->index,
                    a->path);
    else
        ldr_err_set(p->err, LDR_EINVAL,
                    "change %zu: /unset: '%s' is listed twice", p->index,
                    a->path);
    return 0;
}

static int nested(struct parser *p, const struct ldr_op *op, const char *outer)
{
    char esc[LDR_ERR_MSG_MAX / 2];

    ldr_jsonptr_escape(esc, sizeof esc, op->path);
    ldr_utf8_trim(esc);
    ldr_err_set(p->err, LDR_EINVAL,
                "change %zu: %s%s: '%s' lies inside '%s', which this change "
                "also writes; write one of them",
                p->index, op->value ? "/set/" : "/unset", op->value ? esc : "",
                op->path, outer);
    return 0;
}

/*
 * Refuses a path inside another path of the same change ("/a" and "/a/b"):
 * the result would depend on the order they are applied in. In sorted
 * order the paths that start with a given one follow it in a run, so the
 * paths that are prefixes of the current one are a stack: one pass.
 */
static int check_nesting(struct parser *p)
{
    const struct ldr_change *c = p->change;
    size_t open[LDR_PATH_MAX + 1], len[LDR_PATH_MAX + 1], n = 0;

    for (size_t i = 0; i < c->nops; i++) {
        const char *path = c->ops[i].path;

        while (n > 0 &&
               strncmp(path, c->ops[open[n - 1]].path, len[n - 1]) != 0)
            n--;
        for (size_t k = 0; k < n; k++)
            if (path[len[k]] == '/')
                return nested(p, &c->ops[i], c->ops[open[k]].path);
        if (n <= LDR_PATH_MAX) { /* each entry is longer than the last */
            open[n] = i;
            len[n++] = strlen(path);
        }
    }
    return 1;
}

static int missing(struct parser *p, unsigned required,
                   const char *const *names)
{
    for (int m = 0; names[m]; m++) {
        if ((required & (1u << m)) && !(p->seen & (1u << m))) {
            p->member = m;
            return fail(p, LDR_EINVAL, "missing; expected %s", want(p));
        }
    }
    return 1;
}

static int finish_change(struct parser *p)
{
    struct ldr_change *c = p->change;

    if (!missing(p, CHANGE_REQUIRED, change_members))
        return 0;
    if (c->nops == 0) {
        p->member = M_SET;
        return fail(p, LDR_EINVAL,
                    "a change must set or unset at least one field");
    }
    sort_ops(c);
    for (size_t i = 1; i < c->nops; i++)
        if (strcmp(c->ops[i - 1].path, c->ops[i].path) == 0)
            return duplicate(p, &c->ops[i - 1], &c->ops[i]);
    if (!check_nesting(p))
        return 0;
    p->state = p->single ? IN_DONE : IN_CHANGES;
    p->member = M_NONE;
    p->index++;
    return 1;
}

/* ---- yajl callbacks ----------------------------------------------------- */

static int begin_change(struct parser *p)
{
    struct ldr_changeset *set = p->set;

    if (!p->single) {
        if (set->count >= p->lim->max_changes) {
            ldr_err_set(p->err, LDR_ETOOBIG,
                        "/changes: more than %zu changes in one change set; "
                        "send them in smaller sets",
                        p->lim->max_changes);
            return 0;
        }
        if ((set->count & (set->count - 1)) == 0) { /* 0, 1, 2, 4, ... */
            size_t cap = set->count ? 2 * set->count : 16;
            struct ldr_change *c = realloc(set->changes, cap * sizeof *c);
            if (!c)
                return fail(p, LDR_ENOMEM, "out of memory");
            set->changes = c;
        }
        p->change = &set->changes[set->count++];
        memset(p->change, 0, sizeof *p->change);
    }
    p->state = IN_CHANGE;
    p->seen = 0;
    p->member = M_NONE;
    return 1;
}

/* A member name of a change set or a change. */
static int on_member(struct parser *p, const char *key, size_t n)
{
    const char *const *names =
        p->state == IN_CHANGE ? change_members : set_members;
    char esc[LDR_ERR_MSG_MAX / 2], name[64];

    for (int m = 0; names[m]; m++) {
        if (strlen(names[m]) != n || memcmp(names[m], key, n) != 0)
            continue;
        p->member = m;
        if (p->seen & (1u << m))
            return fail(p, LDR_EINVAL, "duplicate member");
        p->seen |= 1u << m;
        return 1;
    }
    snprintf(name, sizeof name, "%.*s", (int)ldr_utf8_cut(key, n, 60), key);
    ldr_jsonptr_escape(esc, sizeof esc, name);
    p->member = M_NONE;
    if (p->state == IN_CHANGE)
        ldr_err_set(p->err, LDR_EINVAL, "change %zu: /%s: unknown member",
                    p->index, esc);
    else
        ldr_err_set(p->err, LDR_EINVAL, "/%s: unknown member", esc);
    return 0;
}

static int cb_map_key(void *ctx, const unsigned char *key, size_t n)
{
    struct parser *p = ctx;
    const char *k = (const char *)key;

    if (p->state == IN_SET_DOC || p->state == IN_CHANGE)
        return on_member(p, k, n);
    if (p->state == IN_FIELDS) {
        free(p->path);
        if (!(p->path = strndup(k, n)))
            return fail(p, LDR_ENOMEM, "out of memory");
        if (p->change->nops >= p->lim->max_fields)
            return fail(p, LDR_ETOOBIG,
                        "more than %zu fields in one change; split it",
                        p->lim->max_fields);
        return check_path(p, p->path, n);
    }
    if (memchr(k, '\0', n))
        return fail(p, LDR_EINVAL, "member name contains a NUL character");
    if (!(p->stack[p->depth - 1].key = strndup(k, n)))
        return fail(p, LDR_ENOMEM, "out of memory");
    return 1;
}

static int cb_start_map(void *ctx)
{
    struct parser *p = ctx;

    switch (p->state) {
    case IN_TOP:
        if (p->single)
            return begin_change(p);
        p->state = IN_SET_DOC;
        p->seen = 0;
        return 1;
    case IN_CHANGES:
        return begin_change(p);
    case IN_CHANGE:
        if (p->member != M_SET)
            break;
        p->state = IN_FIELDS;
        return 1;
    case IN_FIELDS:
        return fail(p, LDR_EINVAL,
                    "expected a leaf value (string, number, boolean, null "
                    "or array), got an object; set each member by its own "
                    "path");
    case IN_VALUE:
        return push(p, json_object());
    default:
        break;
    }
    return expected(p, want(p), "an object");
}

static int cb_end_map(void *ctx)
{
    struct parser *p = ctx;

    switch (p->state) {
    case IN_SET_DOC:
        if (!missing(p, SET_REQUIRED, set_members))
            return 0;
        p->state = IN_DONE;
        return 1;
    case IN_CHANGE:
        return finish_change(p);
    case IN_FIELDS:
        p->state = IN_CHANGE;
        p->member = M_NONE;
        return 1;
    default:
        return pop(p);
    }
}

static int cb_start_array(void *ctx)
{
    struct parser *p = ctx;

    if (p->state == IN_SET_DOC && p->member == M_CHANGES) {
        p->state = IN_CHANGES;
        p->set_seen = p->seen;
        return 1;
    }
    if (p->state == IN_CHANGE && p->member == M_UNSET) {
        p->state = IN_UNSET;
        p->unset_at = 0;
        return 1;
    }
    if (p->state == IN_FIELDS || p->state == IN_VALUE)
        return push(p, json_array());
    return expected(p, want(p), "an array");
}

static int cb_end_array(void *ctx)
{
    struct parser *p = ctx;

    if (p->state == IN_CHANGES) {
        p->state = IN_SET_DOC;
        p->seen = p->set_seen;
        p->member = M_CHANGES;
        if (p->set->count == 0)
            return fail(p, LDR_EINVAL,
                        "a change set needs at least one change");
        p->member = M_NONE;
        return 1;
    }
    if (p->state == IN_UNSET) {
        p->state = IN_CHANGE;
        p->member = M_NONE;
        return 1;
    }
    return pop(p);
}

/* A scalar token where a leaf value may stand, or where a member is. */
static int on_scalar(struct parser *p, json_t *v, const char *got)
{
    if (p->state == IN_FIELDS || p->state == IN_VALUE)
        return on_value(p, v);
    if (p->state == IN_CHANGE && p->member == M_BASE && json_is_integer(v) &&
        json_integer_value(v) >= 0) {
        p->change->base = (uint64_t)json_integer_value(v);
        json_decref(v);
        return 1;
    }
    json_decref(v);
    return expected(p, want(p), got);
}

static int cb_null(void *ctx)
{
    return on_scalar(ctx, json_null(), "null");
}

static int cb_boolean(void *ctx, int b)
{
    return on_scalar(ctx, json_boolean(b), b ? "true" : "false");
}

/* Integers stay exact; anything with a fraction or exponent is a real. */
static int cb_number(void *ctx, const char *s, size_t n)
{
    struct parser *p = ctx;
    char text[64], *end;
    json_t *v;

    if (n >= sizeof text)
        return fail(p, LDR_EINVAL, "number of %zu digits is too long", n);
    memcpy(text, s, n);
    text[n] = '\0';
    errno = 0;
    if (strpbrk(text, ".eE")) {
        double d = strtod(text, &end);
        if (errno == ERANGE || !isfinite(d))
            return fail(p, LDR_EINVAL, "number %s is out of range", text);
        v = json_real(d);
    } else {
        long long i = strtoll(text, &end, 10);
        if (errno == ERANGE)
            return fail(p, LDR_EINVAL, "integer %s is out of range", text);
        v = json_integer(i);
    }
    if (!v)
        return fail(p, LDR_ENOMEM, "out of memory");
    return on_scalar(p, v, text);
}

static int on_unset_path(struct parser *p, const char *s, size_t n)
{
    char *path = strndup(s, n);

    if (!path)
        return fail(p, LDR_ENOMEM, "out of memory");
    if (!check_path(p, path, n)) {
        free(path);
        return 0;
    }
    if (!add_op(p, path, NULL))
        return 0;
    p->unset_at++;
    return 1;
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
    struct parser *p = ctx;
    const char *str = (const char *)s;
    char got[64];

    switch (p->state) {
    case IN_FIELDS:
    case IN_VALUE:
        if (n > p->lim->max_string)
            return fail(p, LDR_ETOOBIG,
                        "string of %zu bytes is over the limit of %zu", n,
                        p->lim->max_string);
        if (memchr(str, '\0', n))
            return fail(p, LDR_EINVAL, "string contains a NUL character");
        return on_value(p, json_stringn_nocheck(str, n));
    case IN_UNSET:
        return on_unset_path(p, str, n);
    case IN_CHANGE:
        if (p->member <= M_AUTHOR)
            return take_string(p, str, n);
        break;
    case IN_SET_DOC:
        if (p->member == M_ID && is_uuid(str, n)) {
            memcpy(p->set->id, str, n);
            p->set->id[n] = '\0';
            return 1;
        }
        break;
    default:
        break;
    }
    return expected(p, want(p), describe_string(s, n, got, sizeof got));
}

static const yajl_callbacks callbacks = {
    cb_null,    cb_boolean,     NULL,         NULL,
    cb_number,  cb_string,      cb_start_map, cb_map_key,
    cb_end_map, cb_start_array, cb_end_array,
};

/* ---- driver ------------------------------------------------------------- */

static int hex4(const char *s, const char *end)
{
    int v = 0;

    if (end - s < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v << 4 | d;
    }
    return v;
}

/*
 * yajl decodes a lone or unpaired UTF-16 surrogate escape ("\udc00",
 * "\ud800\u0041") into invalid UTF-8, '?' or another character instead
 * of failing. Returns the offset of the first such escape, or `len`.
 * Backslashes stand only in strings, so no string tracking is needed.
 */
static size_t bad_surrogate(const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len;

    while (p < end && (p = memchr(p, '\\', (size_t)(end - p))) &&
           end - p >= 2) {
        int hi = p[1] == 'u' ? hex4(p + 2, end) : -1, lo = -1;
        if (hi >= 0xD800 && hi <= 0xDBFF) {
            if (end - p >= 12 && p[6] == '\\' && p[7] == 'u')
                lo = hex4(p + 8, end);
            if (lo < 0xDC00 || lo > 0xDFFF)
                return (size_t)(p - buf);
            p += 12;
        } else if (hi >= 0xDC00 && hi <= 0xDFFF) {
            return (size_t)(p - buf);
        } else {
            p += 2;
        }
    }
    return len;
}

/*
 * yajl checks only the shape of UTF-8 sequences and lets overlong forms,
 * encoded surrogates and code points past U+10FFFF through, which Jansson
 * then cannot dump; and it takes vertical tab and form feed for
 * whitespace. Returns the offset of the first such byte (and says what it
 * is in `why`), or `len`.
 */
static size_t bad_byte(const char *buf, size_t len, const char **why)
{
    size_t at = ldr_utf8_check(buf, len);
    const char *vt = memchr(buf, '\v', at), *ff = memchr(buf, '\f', at);
    const char *first = vt && (!ff || vt < ff) ? vt : ff;

    if (first) {
        *why = "a vertical tab or form feed, which JSON does not allow";
        return (size_t)(first - buf);
    }
    *why = "invalid UTF-8";
    return at;
}

static void line_col(const char *buf, size_t at, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < at; i++, (*col)++)
        if (buf[i] == '\n')
            (*line)++, *col = 0;
}

static void syntax_error(struct parser *p, yajl_handle h, const char *buf,
                         size_t at)
{
    unsigned char *text = yajl_get_error(h, 0, NULL, 0);
    const char *msg = (const char *)text;
    size_t line, col, n;

    line_col(buf, at, &line, &col);
    if (msg && strstr(msg, "UTF8"))
        msg = "invalid UTF-8";
    n = msg ? strcspn(msg, "\n") : 0;
    ldr_err_set(p->err, LDR_EINVAL,
                "%s is not valid JSON: line %zu, column %zu: %.*s",
                p->single ? "change" : "change set", line, col, (int)n,
                msg ? msg : "syntax error");
    yajl_free_error(h, text);
}

/* Refuses the bytes yajl would let through (bad_byte, bad_surrogate). */
static int check_bytes(struct parser *p, const char *buf, size_t len)
{
    const char *why = NULL;
    size_t at = bad_byte(buf, len, &why), line, col;

    if (at == len) {
        at = bad_surrogate(buf, len);
        why = "a UTF-16 surrogate escape without its pair";
    }
    if (at == len)
        return 0;
    line_col(buf, at, &line, &col);
    return ldr_err_set(p->err, LDR_EINVAL,
                       "%s is not valid JSON: line %zu, column %zu: %s",
                       p->single ? "change" : "change set", line, col, why);
}

/*
 * Parses `buf` whole, or with `used` only the JSON value at its start,
 * whose length goes to *used. The bytes yajl lets through are refused
 * before the parse of a whole text; for a value at the start of a longer
 * text its end is not known before, so its bytes are checked after: as
 * far as the parse read when it failed (a message may quote them), as
 * far as the value went when it did not.
 */
static int run(struct parser *p, const char *buf, size_t len, size_t *used)
{
    yajl_handle h;
    yajl_status st;
    size_t at = len, read; /* where a premature end is reported */
    bool done;

    if (!used && check_bytes(p, buf, len) != 0)
        return p->err->code;
    if (!(h = yajl_alloc(&callbacks, NULL, p)))
        return ldr_err_set(p->err, LDR_ENOMEM, "out of memory");
    if (used)
        yajl_config(h, yajl_allow_trailing_garbage, 1);
    st = yajl_parse(h, (const unsigned char *)buf, len);
    read = yajl_get_bytes_consumed(h);
    if (st == yajl_status_error)
        at = read;
    else if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    if (st == yajl_status_error)
        syntax_error(p, h, buf, at);
    else if (st == yajl_status_ok && p->state != IN_DONE)
        expected(p, want(p), "a bare value"); /* e.g. the text "5" */
    yajl_free(h);
    drop_stack(p);
    free(p->path);
    p->path = NULL;
    done = st == yajl_status_ok && p->state == IN_DONE;
    if (used && check_bytes(p, buf, read < len ? read : len) != 0)
        return p->err->code;
    if (used && done)
        *used = read;
    return done ? 0 : p->err ? p->err->code : LDR_EINVAL;
}

static void parser_init(struct parser *p, const struct ldr_limits *limits,
                        struct ldr_limits *def, struct ldr_err *err)
{
    if (!limits) {
        ldr_limits_default(def);
        limits = def;
    }
    memset(p, 0, sizeof *p);
    p->lim = limits;
    p->err = err;
    p->member = M_NONE;
}

int ldr_changeset_parse(struct ldr_changeset *out, const char *buf, size_t len,
                        const struct ldr_limits *limits, struct ldr_err *err)
{
    struct ldr_err local;
    struct ldr_limits def;
    struct parser p;
    int rc;

    parser_init(&p, limits, &def, err ? err : &local);
    memset(out, 0, sizeof *out);
    if (len > p.lim->max_body)
        return ldr_err_set(p.err, LDR_ETOOBIG,
                           "change set of %zu bytes is over the limit of %zu",
                           len, p.lim->max_body);
    p.set = out;
    rc = run(&p, buf, len, NULL);
    if (rc < 0)
        ldr_changeset_release(out);
    return rc;
}

static int parse_one(struct ldr_change *out, const char *buf, size_t len,
                     size_t *used, size_t index,
                     const struct ldr_limits *limits, struct ldr_err *err)
{
    struct ldr_err local;
    struct ldr_limits def;
    struct parser p;
    int rc;

    parser_init(&p, limits, &def, err ? err : &local);
    memset(out, 0, sizeof *out);
    p.single = true;
    p.index = index;
    p.change = out;
    rc = run(&p, buf, len, used);
    if (rc < 0)
        ldr_change_release(out);
    return rc;
}

int ldr_change_parse(struct ldr_change *out, const char *buf, size_t len,
                     size_t index, const struct ldr_limits *limits,
                     struct ldr_err *err)
{
    return parse_one(out, buf, len, NULL, index, limits, err);
}

int ldr_change_parse_prefix(struct ldr_change *out, const char *buf, size_t len,
                            size_t *used, const struct ldr_limits *limits,
                            struct ldr_err *err)
{
    *used = 0;
    return parse_one(out, buf, len, used, 0, limits, err);
}

int ldr_change_from_json(struct ldr_change *out, const json_t *obj,
                         size_t index, const struct ldr_limits *limits,
                         struct ldr_err *err)
{
    char *text = json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY);
    int rc;

    memset(out, 0, sizeof *out);
    if (!text)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    rc = ldr_change_parse(out, text, strlen(text), index, limits, err);
    free(text);
    return rc;
}

void ldr_change_release(struct ldr_change *change)
{
    for (size_t i = 0; i < change->nops; i++) {
        free(change->ops[i].path);
        json_decref(change->ops[i].value);
    }
    free(change->ops);
    change->ops = NULL;
    change->nops = change->cap_ops = 0;
}

void ldr_changeset_release(struct ldr_changeset *set)
{
    for (size_t i = 0; i < set->count; i++)
        ldr_change_release(&set->changes[i]);
    free(set->changes);
    set->changes = NULL;
    set->count = 0;
}

/* ---- serialising -------------------------------------------------------- */

static json_t *fields_to_json(const struct ldr_change *c, json_t **unset_out)
{
    json_t *set = json_object(), *unset = json_array();
    bool ok = set && unset;

    for (size_t i = 0; ok && i < c->nops; i++) {
        const struct ldr_op *op = &c->ops[i];
        ok = (op->value
                  ? json_object_set(set, op->path, op->value)
                  : json_array_append_new(unset, json_string(op->path))) == 0;
    }
    if (ok) {
        *unset_out = unset;
        return set;
    }
    json_decref(set);
    json_decref(unset);
    return NULL;
}

json_t *ldr_change_to_json(const struct ldr_change *c)
{
    char hlc[LDR_HLC_TEXT_LEN + 1];
    json_t *unset = NULL, *set = fields_to_json(c, &unset), *obj;

    if (!set)
        return NULL;
    ldr_hlc_format(hlc, c->hlc);
    obj =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o}", "kind", c->kind,
                  "record", c->record, "hlc", hlc, "device", c->device,
                  "author", c->author, "base", (json_int_t)c->base, "set", set);
    if (obj && json_array_size(unset) > 0 &&
        json_object_set(obj, "unset", unset) < 0) {
        json_decref(obj);
        obj = NULL;
    }
    json_decref(unset);
    return obj;
}

/* The canonical form written directly: keys in sorted order, "set"
 * always, "unset" only when the change removes something. */
void ldr_change_write(struct ldr_jsonbuf *b, const struct ldr_change *c)
{
    char hlc[LDR_HLC_TEXT_LEN + 1];
    bool first = true, removes = false;

    ldr_hlc_format(hlc, c->hlc);
    ldr_jsonbuf_adds(b, "{\"author\":");
    ldr_jsonbuf_strings(b, c->author);
    ldr_jsonbuf_adds(b, ",\"base\":");
    ldr_jsonbuf_uint(b, c->base);
    ldr_jsonbuf_adds(b, ",\"device\":");
    ldr_jsonbuf_strings(b, c->device);
    ldr_jsonbuf_adds(b, ",\"hlc\":");
    ldr_jsonbuf_strings(b, hlc);
    ldr_jsonbuf_adds(b, ",\"kind\":");
    ldr_jsonbuf_strings(b, c->kind);
    ldr_jsonbuf_adds(b, ",\"record\":");
    ldr_jsonbuf_strings(b, c->record);
    ldr_jsonbuf_adds(b, ",\"set\":{");
    for (size_t i = 0; i < c->nops; i++) {
        removes |= !c->ops[i].value;
        if (!c->ops[i].value)
            continue;
        ldr_jsonbuf_adds(b, first ? "" : ",");
        ldr_jsonbuf_strings(b, c->ops[i].path);
        ldr_jsonbuf_add(b, ":", 1);
        ldr_jsonbuf_value(b, c->ops[i].value, true);
        first = false;
    }
    ldr_jsonbuf_adds(b, removes ? "},\"unset\":[" : "}");
    for (size_t i = 0, n = 0; removes && i < c->nops; i++) {
        if (c->ops[i].value)
            continue;
        ldr_jsonbuf_adds(b, n++ ? "," : "");
        ldr_jsonbuf_strings(b, c->ops[i].path);
    }
    ldr_jsonbuf_adds(b, removes ? "]}" : "}");
}

char *ldr_change_dump(const struct ldr_change *c, size_t *len_out)
{
    struct ldr_jsonbuf b;

    ldr_jsonbuf_init(&b);
    ldr_change_write(&b, c);
    return ldr_jsonbuf_detach(&b, len_out);
}

char *ldr_changeset_dump(const struct ldr_changeset *set, size_t *len_out)
{
    struct ldr_jsonbuf b;

    ldr_jsonbuf_init(&b);
    ldr_jsonbuf_adds(&b, "{\"changes\":[");
    for (size_t i = 0; i < set->count; i++) {
        ldr_jsonbuf_adds(&b, i ? "," : "");
        ldr_change_write(&b, &set->changes[i]);
    }
    ldr_jsonbuf_adds(&b, "],\"id\":");
    ldr_jsonbuf_strings(&b, set->id);
    ldr_jsonbuf_adds(&b, "}");
    return ldr_jsonbuf_detach(&b, len_out);
}
