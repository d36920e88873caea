#ifndef LADDER_JSONPTR_H
#define LADDER_JSONPTR_H

#include <jansson.h>
#include <stddef.h>

struct ldr_err;

/*
 * JSON Pointer (RFC 6901) over Jansson values. "" is the whole document;
 * "/a/b" walks object keys (or array indexes); "~1" stands for "/" and "~0"
 * for "~" inside a segment ("~01" is "~1"). Array indexes are decimal without
 * leading zeros; "-" names the position after the last element (set only).
 *
 * Messages quote the pointer and name the segment that failed, e.g.
 * "pointer '/ratings/x/level': 'x' is not a member". Long pointers and
 * segments are cut (on a UTF-8 boundary) and marked "...".
 */

/*
 * Most segments a pointer may have. Set creates one level of nesting per
 * segment, and Jansson frees and dumps values recursively, so an unbounded
 * pointer from the network could exhaust the stack.
 */
#define LDR_JSONPTR_MAX_SEGMENTS 2048

/*
 * Checks the syntax of `ptr`: empty, or segments that each start with "/"
 * and use "~" only in "~0" or "~1". The pointer must be valid UTF-8 (every
 * Jansson key is). Does not look at any document. Returns 0, LDR_EINVAL
 * (NULL, bad syntax; a bad "~" reports the offset of the byte after it), or
 * LDR_ETOOBIG (more than LDR_JSONPTR_MAX_SEGMENTS segments).
 */
int ldr_jsonptr_check(const char *ptr, struct ldr_err *err);

/*
 * Finds the value at `ptr` in `doc`. Returns a borrowed reference ("" gives
 * `doc` itself), or NULL with LDR_ENOTFOUND (no such member, an index past
 * the end, or "-") or LDR_EINVAL (bad pointer, a segment that is not an
 * index where an array is met, or a segment that walks into a scalar) in
 * `err`.
 */
json_t *ldr_jsonptr_get(json_t *doc, const char *ptr, struct ldr_err *err);

/*
 * Sets the value at `ptr`, stealing the reference to `value` (also on
 * failure). Missing parent objects are created; a parent that is a scalar
 * is replaced by an object; in an array, an index equal to the length or
 * "-" appends, a smaller index replaces, a larger one is LDR_EINVAL (as is
 * a segment that is not an index). `ptr` must not be "" (the root cannot be
 * replaced in place), `doc` must be an object or array, and `value` must not
 * be `doc` or a container on the path (that would make a cycle): LDR_EINVAL.
 * After an LDR_EINVAL `doc` is unchanged.
 */
int ldr_jsonptr_set_new(json_t *doc, const char *ptr, json_t *value,
                        struct ldr_err *err);

/*
 * Removes the value at `ptr`. Removing something that is not there
 * succeeds (0) and changes nothing: a missing member, an index past the end,
 * "-", or a scalar on the way. A bad pointer is LDR_EINVAL: bad syntax, "",
 * or a segment that is not an index where an array is met.
 */
int ldr_jsonptr_remove(json_t *doc, const char *ptr, struct ldr_err *err);

/*
 * Escapes one key into a pointer segment (without the leading "/"):
 * "~" -> "~0", "/" -> "~1". Writes at most `cap` bytes including the NUL
 * and returns the length it needs (excluding the NUL), like snprintf; a
 * result >= cap means `out` holds a truncated, unusable prefix. `out` may be
 * NULL when `cap` is 0 (to measure). `key` must not be NULL.
 */
size_t ldr_jsonptr_escape(char *out, size_t cap, const char *key);

#endif
