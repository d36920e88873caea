#ifndef LADDER_UTF8_H
#define LADDER_UTF8_H

#include <stddef.h>

/*
 * UTF-8 by Jansson's rules (no overlong forms, no encoded surrogates,
 * nothing past U+10FFFF), so whatever passes here Jansson can store and
 * dump. Messages end up in JSON answers, so they are cut on characters.
 */

/* Length (1-4) of the character at `s`, `avail` bytes readable; 0 if the
 * bytes there are not a valid character. */
size_t ldr_utf8_char(const char *s, size_t avail);

/* Offset of the first byte of `s[0..n)` that starts no valid character;
 * `n` if all of it is valid. */
size_t ldr_utf8_check(const char *s, size_t n);

/* `n` lowered to at most `max`, never splitting a character. */
size_t ldr_utf8_cut(const char *s, size_t n, size_t max);

/* Drops an incomplete character that a cut left at the end of `s`. */
void ldr_utf8_trim(char *s);

#endif
