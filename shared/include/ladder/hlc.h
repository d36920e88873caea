#ifndef LADDER_HLC_H
#define LADDER_HLC_H

#include <stdbool.h>
#include <stdint.h>

struct ldr_err;

/*
 * Hybrid logical clock: wall-clock milliseconds plus a counter that orders
 * events within one millisecond and keeps causality when clocks disagree.
 * Stamps compare by (ms, counter).
 */
struct ldr_hlc {
    uint64_t ms;      /* Unix milliseconds, at most LDR_HLC_MS_MAX */
    uint32_t counter; /* 0 .. LDR_HLC_COUNTER_MAX */
};

#define LDR_HLC_MS_MAX 9999999999999ULL /* 13 digits: year 2286 */
#define LDR_HLC_COUNTER_MAX 99999u      /* 5 digits */
/* Text form "1795711458123-00042": 13 + 1 + 5 characters, plus the NUL. */
#define LDR_HLC_TEXT_LEN 19
#define LDR_HLC_DEFAULT_MAX_AHEAD_MS (10 * 60 * 1000)

/* A clock: the last stamp issued or seen, the wall clock and the bound. */
struct ldr_clock {
    struct ldr_hlc last;
    uint64_t (*now_ms)(void *ctx); /* NULL: the real clock (CLOCK_REALTIME) */
    void *now_ctx;
    uint64_t max_ahead_ms; /* how far a remote stamp may be ahead of us */
};

/* The wall clock (CLOCK_REALTIME) in Unix milliseconds; 0 before 1970. */
uint64_t ldr_wall_ms(void);

/* "2026-11-26T16:46:00.123Z": UTC RFC 3339 with milliseconds, the form
 * the databases' time columns and the JSON documents use. */
#define LDR_TIME_TEXT_LEN 24
void ldr_time_format(char out[LDR_TIME_TEXT_LEN + 1], uint64_t ms);

/* Sets up a clock on the real wall clock with the default bound. */
void ldr_clock_init(struct ldr_clock *clock);

/* <0, 0, >0 as `a` is before, equal to or after `b`. */
int ldr_hlc_cmp(struct ldr_hlc a, struct ldr_hlc b);

/*
 * Send rule: a new stamp for a local event, after every stamp issued or
 * received so far. LDR_ECLOCK if the clock cannot move further.
 */
int ldr_clock_send(struct ldr_hlc *out, struct ldr_clock *clock,
                   struct ldr_err *err);

/*
 * Receive rule: merges a remote stamp so later local stamps sort after it.
 * A stamp more than max_ahead_ms ahead of the local wall clock is refused
 * with LDR_ECLOCK and a message saying whose clock is ahead and by how
 * much; `who` names the sender (e.g. "device 0193..."), may be NULL.
 * A remote counter over LDR_HLC_COUNTER_MAX is LDR_EINVAL.
 */
int ldr_clock_recv(struct ldr_clock *clock, struct ldr_hlc remote,
                   const char *who, struct ldr_err *err);

/* Checks only the future bound of the receive rule, changing nothing. */
int ldr_clock_check(const struct ldr_clock *clock, struct ldr_hlc remote,
                    const char *who, struct ldr_err *err);

/* Writes the fixed-width text form; text order equals clock order. */
void ldr_hlc_format(char out[LDR_HLC_TEXT_LEN + 1], struct ldr_hlc hlc);

/* Parses the text form strictly (exact width, digits only). */
int ldr_hlc_parse(struct ldr_hlc *out, const char *text, struct ldr_err *err);

#endif
