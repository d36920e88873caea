#ifndef LADDER_UUID_H
#define LADDER_UUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ldr_err;

/* Text form: 36 characters, lowercase hex with dashes, plus the NUL. */
#define LDR_UUID_LEN 36

/*
 * Writes a new UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version 7,
 * then random bits from getrandom(2). Ids made in one process sort by time
 * (a 12-bit counter keeps them increasing within one millisecond).
 * Fails with LDR_EIO only if the kernel gives no random bytes.
 */
int ldr_uuid_v7(char out[LDR_UUID_LEN + 1], struct ldr_err *err);

/*
 * Formats a UUIDv7 from explicit parts, for tests and replay: `ms` is the
 * timestamp, `rand` supplies 10 bytes (74 bits are used).
 */
void ldr_uuid_v7_from(char out[LDR_UUID_LEN + 1], uint64_t ms,
                      const uint8_t rand[10]);

/* The 128-bit FNV-1a hash of `len` bytes, most significant byte first. */
void ldr_fnv1a128(uint8_t out[16], const void *data, size_t len);

/*
 * A version-8 UUID (RFC 9562) whose bits are ldr_fnv1a128 of `name`: the
 * same name always gives the same id, on every device. Used where two
 * devices must agree on an id without talking (a person, a CASE item).
 */
void ldr_uuid_v8_name(char out[LDR_UUID_LEN + 1], const char *name, size_t len);

/* True if `s` is a lowercase canonical UUID string (any version). */
bool ldr_uuid_valid(const char *s);

/* The millisecond timestamp of a UUIDv7 string; 0 if not a valid v7. */
uint64_t ldr_uuid_v7_ms(const char *s);

#endif
