#include "ladder/uuid.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "ladder/err.h"
#include "ladder/hlc.h"

#define COUNTER_BITS 12
#define MS_MASK ((1ULL << 48) - 1)

/*
 * The last id's (ms << 12 | counter), shared by all threads. Packing both in
 * one word lets a single compare-and-swap advance them together, and a
 * counter overflow carries into the millisecond by plain addition.
 */
static _Atomic uint64_t last_state;

static int fill_random(uint8_t *buf, size_t len, struct ldr_err *err)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = getrandom(buf + got, len - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ldr_err_set(err, LDR_EIO,
                               "cannot make a uuid: getrandom failed: %s",
                               strerror(errno));
        got += (size_t)n;
    }
    return 0;
}

/*
 * Next (ms << 12 | counter) after the last one. A new millisecond starts
 * the counter at `seed`; otherwise (same ms, or the wall clock stepped back)
 * the previous state plus one keeps ids increasing.
 */
static uint64_t next_state(uint64_t now, uint16_t seed)
{
    uint64_t prev = atomic_load(&last_state);
    uint64_t next;

    do {
        if (now > prev >> COUNTER_BITS)
            next = now << COUNTER_BITS | seed;
        else
            next = prev + 1;
    } while (!atomic_compare_exchange_weak(&last_state, &prev, next));
    return next;
}

int ldr_uuid_v7(char out[LDR_UUID_LEN + 1], struct ldr_err *err)
{
    uint8_t rand[10];
    uint64_t state;
    int rc;

    rc = fill_random(rand, sizeof rand, err);
    if (rc)
        return rc;
    /*
     * The seed takes 11 of the 12 counter bits so at least 2048 ids fit in
     * one millisecond before the counter spills into the next one.
     */
    state = next_state(ldr_wall_ms() & MS_MASK,
                       (uint16_t)((rand[0] << 8 | rand[1]) & 0x7ff));
    rand[0] = (uint8_t)(state >> 8 & 0x0f);
    rand[1] = (uint8_t)(state & 0xff);
    ldr_uuid_v7_from(out, (state >> COUNTER_BITS) & MS_MASK, rand);
    return 0;
}

/* The 16 bytes as text, 8-4-4-4-12 hex digits. */
static void uuid_text(char out[LDR_UUID_LEN + 1], const uint8_t b[16])
{
    static const char hex[] = "0123456789abcdef";
    char *p = out;

    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 0x0f];
    }
    *p = '\0';
}

void ldr_uuid_v7_from(char out[LDR_UUID_LEN + 1], uint64_t ms,
                      const uint8_t rand[10])
{
    uint8_t b[16];

    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (40 - 8 * i));
    b[6] = (uint8_t)(0x70 | (rand[0] & 0x0f));
    b[7] = rand[1];
    b[8] = (uint8_t)(0x80 | (rand[2] & 0x3f));
    memcpy(b + 9, rand + 3, 7);
    uuid_text(out, b);
}

static bool is_dash_pos(int i)
{
    return i == 8 || i == 13 || i == 18 || i == 23;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

bool ldr_uuid_valid(const char *s)
{
    if (!s)
        return false;
    for (int i = 0; i < LDR_UUID_LEN; i++) {
        if (is_dash_pos(i) ? s[i] != '-' : hex_value(s[i]) < 0)
            return false;
    }
    return s[LDR_UUID_LEN] == '\0';
}

uint64_t ldr_uuid_v7_ms(const char *s)
{
    uint64_t ms = 0;

    if (!ldr_uuid_valid(s) || s[14] != '7' || (hex_value(s[19]) & 0xc) != 8)
        return 0;
    /* The first 12 hex digits, around the dash at 8, are the timestamp. */
    for (int i = 0; i < 13; i++)
        if (i != 8)
            ms = ms << 4 | (uint64_t)hex_value(s[i]);
    return ms;
}

/* h = (h ^ byte) * (2^88 + 0x13b) mod 2^128, in 64-bit halves. */
void ldr_fnv1a128(uint8_t out[16], const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t hi = 0x6c62272e07bb0142ULL, lo = 0x62b821756295c58dULL;

    for (size_t i = 0; i < len; i++) {
        uint64_t a, b, next;

        lo ^= p[i];
        a = (lo & 0xffffffffu) * 0x13b;
        b = (lo >> 32) * 0x13b;
        next = a + (b << 32);
        hi = hi * 0x13b + (b >> 32) + (next < a) + (lo << 24);
        lo = next;
    }
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(hi >> (56 - 8 * i));
        out[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
    }
}

void ldr_uuid_v8_name(char out[LDR_UUID_LEN + 1], const char *name, size_t len)
{
    uint8_t b[16];

    ldr_fnv1a128(b, name, len);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x80); /* version 8 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 9562 variant */
    uuid_text(out, b);
}
