#ifndef LADDER_JSONBUF_H
#define LADDER_JSONBUF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * JSON text written straight into a growable buffer, byte for byte as
 * Jansson's compact json_dumps() writes it, without building a tree
 * first: the hub writes every change, state and answer it keeps, and
 * building Jansson trees to dump them cost more than the rest of a sync.
 *
 * The buffer is never NULL and always NUL-terminated. Running out of
 * memory is sticky: `oom` is set and later writes do nothing, so a
 * sequence of writes is checked once at its end.
 */
struct ldr_jsonbuf {
    char *data;
    size_t len, cap;
    bool oom;
};

void ldr_jsonbuf_init(struct ldr_jsonbuf *b);
void ldr_jsonbuf_release(struct ldr_jsonbuf *b);

/* Empties the buffer but keeps its memory, for the next document. */
void ldr_jsonbuf_reset(struct ldr_jsonbuf *b);

/*
 * The text, handed to the caller (free()), its length in *len_out when
 * not NULL; NULL if memory ran out. The buffer is empty again afterwards.
 */
char *ldr_jsonbuf_detach(struct ldr_jsonbuf *b, size_t *len_out);

/* Raw text, copied as it is. */
void ldr_jsonbuf_add(struct ldr_jsonbuf *b, const char *s, size_t n);
void ldr_jsonbuf_adds(struct ldr_jsonbuf *b, const char *s);

/* How many of the `n` bytes at `s` stand for themselves inside a JSON
 * string: up to the first control character, '"' or '\'. */
size_t ldr_json_plain_len(const char *s, size_t n);

/* A JSON string of `n` bytes of UTF-8, quoted and escaped as Jansson
 * escapes it ("\n", "\u001F"; "/" and non-ASCII as they are). */
void ldr_jsonbuf_string(struct ldr_jsonbuf *b, const char *s, size_t n);
void ldr_jsonbuf_strings(struct ldr_jsonbuf *b, const char *s);

/* Integers in decimal. */
void ldr_jsonbuf_int(struct ldr_jsonbuf *b, int64_t n);
void ldr_jsonbuf_uint(struct ldr_jsonbuf *b, uint64_t n);

/*
 * Any Jansson value, as json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)
 * writes it, with JSON_SORT_KEYS when `sort_keys`. Its strings must be
 * valid UTF-8, as every Jansson string made by json_string() is.
 */
void ldr_jsonbuf_value(struct ldr_jsonbuf *b, const json_t *v, bool sort_keys);

#endif
