#include "ladder/jsonptr.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/err.h"
#include "ladder/utf8.h"

/*
 * Pointers and keys are quoted in messages up to this many bytes, so that a
 * long pointer still leaves room for the segment and the reason in
 * LDR_ERR_MSG_MAX.
 */
#define QUOTE_MAX 120

#define NOT_AN_INDEX                                                           \
    "is not an array index (use 0, a number without leading zeros, or '-')"

/* One pass over a checked pointer, one decoded segment at a time. */
struct walk {
    const char *ptr;  /* the whole pointer, quoted in messages */
    const char *rest; /* the "/" of the next segment, or the final NUL */
    char *key;        /* the current segment, unescaped */
    char room[128];   /* key's memory for short pointers: no malloc */
};

enum index_kind { INDEX_OK, INDEX_END, INDEX_BAD };

/*
 * How many of the `len` bytes at `s` to quote. Cut on a character boundary:
 * messages end up in JSON responses, and half a UTF-8 sequence would make
 * them invalid.
 */
static int clip(const char *s, size_t len)
{
    return (int)ldr_utf8_cut(s, len, QUOTE_MAX);
}

static int quote_len(const char *s)
{
    return clip(s, strlen(s));
}

static const char *quote_more(const char *s)
{
    return s[quote_len(s)] ? "..." : "";
}

/* A failure in the current segment: "pointer '/a/b': 'b' <what>". */
static int seg_err(struct ldr_err *err, int code, const struct walk *w,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int seg_err(struct ldr_err *err, int code, const struct walk *w,
                   const char *fmt, ...)
{
    char what[LDR_ERR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return ldr_err_set(err, code, "pointer '%.*s%s': '%.*s%s' %s",
                       quote_len(w->ptr), w->ptr, quote_more(w->ptr),
                       quote_len(w->key), w->key, quote_more(w->key), what);
}

static int check_utf8(const char *ptr, struct ldr_err *err)
{
    size_t n = strlen(ptr), at = ldr_utf8_check(ptr, n);

    if (at == n)
        return 0;
    /* Only the valid prefix is safe to quote. */
    return ldr_err_set(err, LDR_EINVAL,
                       "pointer '%.*s...' is not valid UTF-8 at offset %zu",
                       clip(ptr, at), ptr, at);
}

#define ONES 0x0101010101010101u
#define HIGHS 0x8080808080808080u

/* Whether one of the 8 bytes in `w` is non-ASCII or '~'. */
static bool word_not_plain(uint64_t w)
{
    uint64_t tilde = w ^ (ONES * '~');

    return ((w | ((tilde - ONES) & ~tilde)) & HIGHS) != 0;
}

/*
 * The common pointer, ASCII without '~', eight bytes at a time; anything
 * else takes the checks below, which say what is wrong. A pointer that
 * short cannot hold too many segments.
 */
static bool plain_pointer(const char *p)
{
    size_t n = strlen(p), i = 0;
    uint64_t w;

    if (n > LDR_JSONPTR_MAX_SEGMENTS || (n > 0 && p[0] != '/'))
        return false;
    for (; n - i >= 8; i += 8) {
        memcpy(&w, p + i, sizeof w);
        if (word_not_plain(w))
            return false;
    }
    for (; i < n; i++)
        if ((unsigned char)p[i] >= 0x80 || p[i] == '~')
            return false;
    return true;
}

int ldr_jsonptr_check(const char *ptr, struct ldr_err *err)
{
    size_t segments = 0;
    int rc;

    if (!ptr)
        return ldr_err_set(err, LDR_EINVAL, "pointer is missing (NULL)");
    if (plain_pointer(ptr))
        return 0;
    rc = check_utf8(ptr, err);
    if (rc)
        return rc;
    if (*ptr != '\0' && *ptr != '/')
        return ldr_err_set(err, LDR_EINVAL,
                           "pointer '%.*s%s': must be empty or start with '/'",
                           quote_len(ptr), ptr, quote_more(ptr));
    for (const char *p = ptr; *p; p++) {
        if (*p == '/' && ++segments > LDR_JSONPTR_MAX_SEGMENTS)
            return ldr_err_set(
                err, LDR_ETOOBIG, "pointer '%.*s%s': more than %d segments",
                quote_len(ptr), ptr, quote_more(ptr), LDR_JSONPTR_MAX_SEGMENTS);
        if (*p == '~' && p[1] != '0' && p[1] != '1')
            return ldr_err_set(err, LDR_EINVAL,
                               "pointer '%.*s%s': '~' must be followed by 0 "
                               "or 1 at offset %zu",
                               quote_len(ptr), ptr, quote_more(ptr),
                               (size_t)(p + 1 - ptr));
    }
    return 0;
}

static int walk_init(struct walk *w, const char *ptr, struct ldr_err *err)
{
    int rc = ldr_jsonptr_check(ptr, err);
    size_t n;

    w->key = NULL;
    if (rc)
        return rc;
    w->ptr = ptr;
    w->rest = ptr;
    /* A segment never grows when unescaped, so one buffer fits them all. */
    n = strlen(ptr) + 1;
    w->key = n <= sizeof w->room ? w->room : malloc(n);
    if (!w->key)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory reading a pointer");
    w->key[0] = '\0';
    return 0;
}

static void walk_release(struct walk *w)
{
    if (w->key != w->room)
        free(w->key);
    w->key = NULL;
}

/*
 * Moves to the next segment and unescapes it into w->key; false at the end.
 * Escapes are read left to right, so "~01" is "~" then "1", as RFC 6901
 * section 4 asks ("~1" first, then "~0").
 */
static bool walk_next(struct walk *w)
{
    char *k = w->key;

    if (*w->rest != '/')
        return false;
    for (w->rest++; *w->rest && *w->rest != '/'; w->rest++) {
        if (*w->rest == '~') {
            w->rest++;
            *k++ = *w->rest == '0' ? '~' : '/';
        } else {
            *k++ = *w->rest;
        }
    }
    *k = '\0';
    return true;
}

static bool walk_last(const struct walk *w)
{
    return *w->rest == '\0';
}

/*
 * "0" or [1-9][0-9]*. Too many digits saturate at SIZE_MAX, which is past
 * the end of any array that fits in memory.
 */
static enum index_kind parse_index(const char *key, size_t *out)
{
    size_t n = 0;

    if (strcmp(key, "-") == 0)
        return INDEX_END;
    if (key[0] == '\0' || (key[0] == '0' && key[1] != '\0'))
        return INDEX_BAD;
    for (const char *p = key; *p; p++) {
        size_t digit = (size_t)(*p - '0');
        if (*p < '0' || *p > '9')
            return INDEX_BAD;
        n = n > (SIZE_MAX - digit) / 10 ? SIZE_MAX : n * 10 + digit;
    }
    *out = n;
    return INDEX_OK;
}

static bool is_container(const json_t *v)
{
    return json_is_object(v) || json_is_array(v);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        break;
    }
    return "null";
}

/* The child of `cur` named by the current segment, or NULL. */
static json_t *peek(json_t *cur, const struct walk *w)
{
    size_t i;

    if (json_is_object(cur))
        return json_object_get(cur, w->key);
    if (json_is_array(cur) && parse_index(w->key, &i) == INDEX_OK)
        return json_array_get(cur, i);
    return NULL;
}

/* Says why peek() found nothing: LDR_ENOTFOUND, or LDR_EINVAL. */
static int explain_miss(json_t *cur, const struct walk *w, struct ldr_err *err)
{
    size_t i;

    if (json_is_object(cur))
        return seg_err(err, LDR_ENOTFOUND, w, "is not a member");
    if (!json_is_array(cur))
        return seg_err(err, LDR_EINVAL, w, "cannot be looked up in %s",
                       type_name(cur));
    switch (parse_index(w->key, &i)) {
    case INDEX_OK:
        return seg_err(err, LDR_ENOTFOUND, w,
                       "is past the end of the array (size %zu)",
                       json_array_size(cur));
    case INDEX_END:
        return seg_err(err, LDR_ENOTFOUND, w,
                       "names the slot after the last element, which only "
                       "a set can fill");
    case INDEX_BAD:
        break;
    }
    return seg_err(err, LDR_EINVAL, w, NOT_AN_INDEX);
}

json_t *ldr_jsonptr_get(json_t *doc, const char *ptr, struct ldr_err *err)
{
    struct walk w;
    json_t *cur = doc;

    if (!doc) {
        ldr_err_set(err, LDR_EINVAL, "no document to look in (NULL)");
        return NULL;
    }
    if (walk_init(&w, ptr, err))
        return NULL;
    while (cur && walk_next(&w)) {
        json_t *next = peek(cur, &w);
        if (!next)
            explain_miss(cur, &w, err);
        cur = next;
    }
    walk_release(&w);
    return cur;
}

/* Puts `value` (stolen) in the container `parent` at the current segment. */
static int put(json_t *parent, const struct walk *w, json_t *value,
               struct ldr_err *err)
{
    size_t i = 0;
    int rc;

    if (json_is_object(parent)) {
        rc = json_object_set_new(parent, w->key, value);
    } else if (parse_index(w->key, &i) == INDEX_BAD) {
        json_decref(value);
        return seg_err(err, LDR_EINVAL, w, NOT_AN_INDEX);
    } else if (strcmp(w->key, "-") == 0 || i == json_array_size(parent)) {
        rc = json_array_append_new(parent, value);
    } else if (i < json_array_size(parent)) {
        rc = json_array_set_new(parent, i, value);
    } else {
        json_decref(value);
        return seg_err(err, LDR_EINVAL, w,
                       "is past the end of the array (size %zu); use '%zu' "
                       "or '-' to append",
                       json_array_size(parent), json_array_size(parent));
    }
    /* The pointer is checked UTF-8 and cycles are refused before: only
     * memory is left to run out. */
    if (rc)
        return seg_err(err, LDR_ENOMEM, w, "could not be set: out of memory");
    return 0;
}

/* Steps into the current segment, making an empty object there if needed. */
static int descend(json_t **cur, const struct walk *w, struct ldr_err *err)
{
    json_t *next = peek(*cur, w);
    int rc;

    if (is_container(next)) {
        *cur = next;
        return 0;
    }
    /* Missing, or a scalar in the way: the set wins, like a later write. */
    next = json_object();
    if (!next)
        return seg_err(err, LDR_ENOMEM, w, "could not be made: out of memory");
    rc = put(*cur, w, next, err);
    if (rc == 0)
        *cur = next; /* borrowed: *cur now holds the reference */
    return rc;
}

int ldr_jsonptr_set_new(json_t *doc, const char *ptr, json_t *value,
                        struct ldr_err *err)
{
    struct walk w;
    json_t *cur = doc;
    int rc;

    if (!doc || !value) {
        json_decref(value);
        return ldr_err_set(err, LDR_EINVAL,
                           "set needs a document and a value (got NULL)");
    }
    rc = walk_init(&w, ptr, err);
    if (rc == 0 && *ptr == '\0')
        rc = ldr_err_set(err, LDR_EINVAL,
                         "pointer '': the whole document cannot be replaced "
                         "in place; replace the document instead");
    else if (rc == 0 && !is_container(doc))
        rc = ldr_err_set(err, LDR_EINVAL,
                         "pointer '%.*s%s': the document is %s, not an "
                         "object or array",
                         quote_len(ptr), ptr, quote_more(ptr), type_name(doc));
    while (rc == 0 && walk_next(&w)) {
        if (cur == value) {
            rc = seg_err(err, LDR_EINVAL, &w,
                         "would put the value inside itself");
        } else if (walk_last(&w)) {
            rc = put(cur, &w, value, err);
            value = NULL;
        } else {
            rc = descend(&cur, &w, err);
        }
    }
    json_decref(value);
    walk_release(&w);
    return rc;
}

/*
 * A miss while removing: nothing there is success, but a pointer that can
 * never address anything in this array (e.g. "/list/x") is still an error.
 */
static int remove_miss(json_t *cur, const struct walk *w, struct ldr_err *err)
{
    struct ldr_err why;
    int rc;

    if (!is_container(cur))
        return 0; /* a scalar has nothing under it to remove */
    rc = explain_miss(cur, w, &why);
    if (rc == LDR_ENOTFOUND)
        return 0;
    if (err)
        *err = why;
    return rc;
}

static int remove_child(json_t *parent, const struct walk *w,
                        struct ldr_err *err)
{
    size_t i;

    if (json_is_object(parent)) {
        json_object_del(parent, w->key); /* -1 only when absent */
        return 0;
    }
    if (json_is_array(parent) && parse_index(w->key, &i) == INDEX_OK &&
        i < json_array_size(parent)) {
        json_array_remove(parent, i); /* -1 only when out of range */
        return 0;
    }
    return remove_miss(parent, w, err);
}

int ldr_jsonptr_remove(json_t *doc, const char *ptr, struct ldr_err *err)
{
    struct walk w;
    json_t *cur = doc;
    int rc;

    if (!doc)
        return ldr_err_set(err, LDR_EINVAL,
                           "no document to remove from (NULL)");
    rc = walk_init(&w, ptr, err);
    if (rc == 0 && *ptr == '\0')
        rc = ldr_err_set(err, LDR_EINVAL,
                         "pointer '': the whole document cannot be removed");
    while (rc == 0 && walk_next(&w)) {
        json_t *next;
        if (walk_last(&w)) {
            rc = remove_child(cur, &w, err);
            break;
        }
        next = peek(cur, &w);
        if (!next) {
            rc = remove_miss(cur, &w, err);
            break;
        }
        cur = next;
    }
    walk_release(&w);
    return rc;
}

/* snprintf-style: count every byte, store those that fit before the NUL. */
static void emit(char *out, size_t cap, size_t *n, char c)
{
    if (*n + 1 < cap)
        out[*n] = c;
    (*n)++;
}

size_t ldr_jsonptr_escape(char *out, size_t cap, const char *key)
{
    size_t n = 0;

    for (; *key; key++) {
        if (*key == '~' || *key == '/') {
            emit(out, cap, &n, '~');
            emit(out, cap, &n, *key == '~' ? '0' : '1');
        } else {
            emit(out, cap, &n, *key);
        }
    }
    if (cap > 0)
        out[n < cap ? n : cap - 1] = '\0';
    return n;
}
