/*
 * JSON written straight into a buffer, matching Jansson's compact dump
 * byte for byte (its dump.c: the same escapes, "%lld" integers, keys
 * sorted by bytes then length), so stored documents do not change.
 */
#include "ladder/jsonbuf.h"

#include <stdlib.h>
#include <string.h>

/* What an empty buffer points at: readable as "", never written. */
static char empty[1];

void ldr_jsonbuf_init(struct ldr_jsonbuf *b)
{
    b->data = empty;
    b->len = b->cap = 0;
    b->oom = false;
}

void ldr_jsonbuf_release(struct ldr_jsonbuf *b)
{
    if (b->cap)
        free(b->data);
    ldr_jsonbuf_init(b);
}

void ldr_jsonbuf_reset(struct ldr_jsonbuf *b)
{
    b->len = 0;
    b->oom = false;
    b->data[0] = '\0';
}

char *ldr_jsonbuf_detach(struct ldr_jsonbuf *b, size_t *len_out)
{
    char *text = b->cap ? b->data : strdup("");

    if (b->oom) {
        ldr_jsonbuf_release(b);
        return NULL;
    }
    if (text && len_out)
        *len_out = b->len;
    ldr_jsonbuf_init(b);
    return text;
}

/* Room for `n` more bytes and the NUL; false (and oom) if there is none. */
static bool reserve(struct ldr_jsonbuf *b, size_t n)
{
    size_t cap = b->cap ? b->cap : 256;
    char *grown;

    if (b->oom || n > SIZE_MAX / 4 - b->len) {
        b->oom = true;
        return false;
    }
    if (b->len + n < b->cap)
        return true;
    while (cap <= b->len + n)
        cap *= 2;
    grown = realloc(b->cap ? b->data : NULL, cap);
    if (!grown) {
        b->oom = true;
        return false;
    }
    if (!b->cap)
        grown[0] = '\0';
    b->data = grown;
    b->cap = cap;
    return true;
}

void ldr_jsonbuf_add(struct ldr_jsonbuf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void ldr_jsonbuf_adds(struct ldr_jsonbuf *b, const char *s)
{
    ldr_jsonbuf_add(b, s, strlen(s));
}

/* Bytes that stand for themselves inside a JSON string: everything but
 * the control characters, '"' and '\'. UTF-8 sequences pass whole. */
static bool plain(unsigned char c)
{
    return c >= 0x20 && c != '"' && c != '\\';
}

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* True if one of the 8 bytes in `w` is not plain(): a byte below 0x20, or
 * one equal to '"' or '\' (the classic "has a zero byte" bit trick). */
static bool word_needs_escape(uint64_t w)
{
    uint64_t quote = w ^ (ONES * '"'), slash = w ^ (ONES * '\\');

    return (((w - ONES * 0x20) & ~w) | ((quote - ONES) & ~quote) |
            ((slash - ONES) & ~slash)) &
           HIGHS;
}

size_t ldr_json_plain_len(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *q = p, *end = p + n;
    uint64_t w;

    while (end - q >= 8) {
        memcpy(&w, q, sizeof w);
        if (word_needs_escape(w))
            break;
        q += 8;
    }
    while (q < end && plain(*q))
        q++;
    return (size_t)(q - p);
}

static void escape(struct ldr_jsonbuf *b, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    char seq[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

    switch (c) {
    case '"':
        ldr_jsonbuf_add(b, "\\\"", 2);
        return;
    case '\\':
        ldr_jsonbuf_add(b, "\\\\", 2);
        return;
    case '\b':
        ldr_jsonbuf_add(b, "\\b", 2);
        return;
    case '\f':
        ldr_jsonbuf_add(b, "\\f", 2);
        return;
    case '\n':
        ldr_jsonbuf_add(b, "\\n", 2);
        return;
    case '\r':
        ldr_jsonbuf_add(b, "\\r", 2);
        return;
    case '\t':
        ldr_jsonbuf_add(b, "\\t", 2);
        return;
    default:
        ldr_jsonbuf_add(b, seq, sizeof seq);
    }
}

void ldr_jsonbuf_string(struct ldr_jsonbuf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;

    ldr_jsonbuf_add(b, "\"", 1);
    while (p < end) {
        size_t run = ldr_json_plain_len((const char *)p, (size_t)(end - p));

        ldr_jsonbuf_add(b, (const char *)p, run);
        p += run;
        if (p < end)
            escape(b, *p++);
    }
    ldr_jsonbuf_add(b, "\"", 1);
}

void ldr_jsonbuf_strings(struct ldr_jsonbuf *b, const char *s)
{
    ldr_jsonbuf_string(b, s, strlen(s));
}

void ldr_jsonbuf_uint(struct ldr_jsonbuf *b, uint64_t n)
{
    char digits[20];
    size_t at = sizeof digits;

    do {
        digits[--at] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    ldr_jsonbuf_add(b, digits + at, sizeof digits - at);
}

void ldr_jsonbuf_int(struct ldr_jsonbuf *b, int64_t n)
{
    if (n < 0) {
        ldr_jsonbuf_add(b, "-", 1);
        ldr_jsonbuf_uint(b, (uint64_t)0 - (uint64_t)n);
    } else {
        ldr_jsonbuf_uint(b, (uint64_t)n);
    }
}

/* ---- values ---------------------------------------------------------- */

struct member {
    const char *key;
    size_t n;
    const json_t *value;
};

static int member_cmp(const void *x, const void *y)
{
    const struct member *a = x, *c = y;
    int r = memcmp(a->key, c->key, a->n < c->n ? a->n : c->n);

    return r ? r : (a->n > c->n) - (a->n < c->n);
}

static void put_member(struct ldr_jsonbuf *b, const struct member *m,
                       bool sort_keys, bool first)
{
    if (!first)
        ldr_jsonbuf_add(b, ",", 1);
    ldr_jsonbuf_string(b, m->key, m->n);
    ldr_jsonbuf_add(b, ":", 1);
    ldr_jsonbuf_value(b, m->value, sort_keys);
}

static struct member member_at(void *iter)
{
    return (struct member){json_object_iter_key(iter),
                           json_object_iter_key_len(iter),
                           json_object_iter_value(iter)};
}

static void object_sorted(struct ldr_jsonbuf *b, json_t *obj)
{
    size_t n = json_object_size(obj), i = 0;
    struct member stack[32], *all = stack;

    if (n > 32 && !(all = malloc(n * sizeof *all))) {
        b->oom = true;
        return;
    }
    for (void *it = json_object_iter(obj); it && i < n;
         it = json_object_iter_next(obj, it))
        all[i++] = member_at(it);
    qsort(all, i, sizeof *all, member_cmp);
    for (size_t k = 0; k < i; k++)
        put_member(b, &all[k], true, k == 0);
    if (all != stack)
        free(all);
}

static void object(struct ldr_jsonbuf *b, const json_t *v, bool sort_keys)
{
    json_t *obj = (json_t *)v; /* Jansson's iterators take no const */
    bool first = true;

    ldr_jsonbuf_add(b, "{", 1);
    if (sort_keys) {
        object_sorted(b, obj);
    } else {
        for (void *it = json_object_iter(obj); it;
             it = json_object_iter_next(obj, it)) {
            struct member m = member_at(it);
            put_member(b, &m, false, first);
            first = false;
        }
    }
    ldr_jsonbuf_add(b, "}", 1);
}

/* Reals are rare in records; Jansson's own formatting keeps them exact. */
static void real(struct ldr_jsonbuf *b, const json_t *v)
{
    char text[128];
    size_t n = json_dumpb(v, text, sizeof text, JSON_ENCODE_ANY);

    if (n == 0 || n > sizeof text)
        b->oom = true;
    else
        ldr_jsonbuf_add(b, text, n);
}

void ldr_jsonbuf_value(struct ldr_jsonbuf *b, const json_t *v, bool sort_keys)
{
    if (!v) { /* Jansson refuses to dump nothing */
        b->oom = true;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        object(b, v, sort_keys);
        return;
    case JSON_ARRAY:
        ldr_jsonbuf_add(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                ldr_jsonbuf_add(b, ",", 1);
            ldr_jsonbuf_value(b, json_array_get(v, i), sort_keys);
        }
        ldr_jsonbuf_add(b, "]", 1);
        return;
    case JSON_STRING:
        ldr_jsonbuf_string(b, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER:
        ldr_jsonbuf_int(b, (int64_t)json_integer_value(v));
        return;
    case JSON_REAL:
        real(b, v);
        return;
    case JSON_TRUE:
        ldr_jsonbuf_add(b, "true", 4);
        return;
    case JSON_FALSE:
        ldr_jsonbuf_add(b, "false", 5);
        return;
    case JSON_NULL:
        ldr_jsonbuf_add(b, "null", 4);
        return;
    }
}
