#include "ladder/hlc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ladder/err.h"

#define DURATION_TEXT_MAX 64

uint64_t ldr_wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec < 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void ldr_time_format(char out[LDR_TIME_TEXT_LEN + 1], uint64_t ms)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&secs, &tm);
    strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + 19, 6, ".%03uZ", (unsigned)(ms % 1000));
}

static uint64_t wall_ms(const struct ldr_clock *clock)
{
    return clock->now_ms ? clock->now_ms(clock->now_ctx) : ldr_wall_ms();
}

void ldr_clock_init(struct ldr_clock *clock)
{
    clock->last.ms = 0;
    clock->last.counter = 0;
    clock->now_ms = NULL;
    clock->now_ctx = NULL;
    clock->max_ahead_ms = LDR_HLC_DEFAULT_MAX_AHEAD_MS;
}

int ldr_hlc_cmp(struct ldr_hlc a, struct ldr_hlc b)
{
    if (a.ms != b.ms)
        return a.ms < b.ms ? -1 : 1;
    if (a.counter != b.counter)
        return a.counter < b.counter ? -1 : 1;
    return 0;
}

/*
 * A counter past its 5 digits moves the stamp to the next millisecond, which
 * still sorts after everything before it; only the 13-digit ms can run out.
 */
static int settle(struct ldr_hlc *next, struct ldr_err *err)
{
    if (next->counter > LDR_HLC_COUNTER_MAX) {
        next->ms++;
        next->counter = 0;
    }
    if (next->ms > LDR_HLC_MS_MAX)
        return ldr_err_set(err, LDR_ECLOCK,
                           "clock overflow: %llu ms is past the last stamp "
                           "the clock can write (%llu)",
                           (unsigned long long)next->ms, LDR_HLC_MS_MAX);
    return 0;
}

int ldr_clock_send(struct ldr_hlc *out, struct ldr_clock *clock,
                   struct ldr_err *err)
{
    uint64_t now = wall_ms(clock);
    struct ldr_hlc next = clock->last;
    int rc;

    if (now > next.ms) {
        next.ms = now;
        next.counter = 0;
    } else {
        next.counter++;
    }
    rc = settle(&next, err);
    if (rc)
        return rc;
    clock->last = next;
    *out = next;
    return 0;
}

/*
 * "2h 5m 3s": the non-zero parts, largest first. Past a minute the
 * milliseconds are rounded up into seconds, so a stamp just over the limit
 * never reads as equal to it.
 */
static void format_duration(char out[DURATION_TEXT_MAX], uint64_t ms)
{
    static const struct {
        uint64_t ms;
        const char *unit;
    } units[] = {
        {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
    size_t len = 0;

    if (ms >= 60000 && ms % 1000)
        ms += 1000 - ms % 1000;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        uint64_t n = ms / units[i].ms;
        if (n == 0)
            continue;
        ms %= units[i].ms;
        len += (size_t)snprintf(out + len, DURATION_TEXT_MAX - len, "%s%llu%s",
                                len ? " " : "", (unsigned long long)n,
                                units[i].unit);
    }
    if (len == 0)
        snprintf(out, DURATION_TEXT_MAX, "0s");
}

static int check_bound(const struct ldr_clock *clock, struct ldr_hlc remote,
                       uint64_t now, const char *who, struct ldr_err *err)
{
    char ahead[DURATION_TEXT_MAX];
    char limit[DURATION_TEXT_MAX];

    /* Written as a difference so now + max_ahead_ms cannot overflow. */
    if (remote.ms <= now || remote.ms - now <= clock->max_ahead_ms)
        return 0;
    format_duration(ahead, remote.ms - now);
    format_duration(limit, clock->max_ahead_ms);
    if (!who)
        return ldr_err_set(err, LDR_ECLOCK,
                           "the sender's clock is %s ahead of this machine's "
                           "(limit %s); fix the sender's clock or this "
                           "machine's",
                           ahead, limit);
    return ldr_err_set(err, LDR_ECLOCK,
                       "clock of %s is %s ahead of this machine's (limit %s); "
                       "fix the clock on %s or this machine",
                       who, ahead, limit, who);
}

int ldr_clock_check(const struct ldr_clock *clock, struct ldr_hlc remote,
                    const char *who, struct ldr_err *err)
{
    return check_bound(clock, remote, wall_ms(clock), who, err);
}

/* The receive rule's new stamp, before the counter and ms are settled. */
static struct ldr_hlc merge(struct ldr_hlc last, struct ldr_hlc remote,
                            uint64_t now)
{
    struct ldr_hlc next = {.ms = now, .counter = 0};

    if (last.ms > next.ms)
        next.ms = last.ms;
    if (remote.ms > next.ms)
        next.ms = remote.ms;
    if (next.ms == last.ms && next.ms == remote.ms)
        next.counter =
            (last.counter > remote.counter ? last.counter : remote.counter) + 1;
    else if (next.ms == last.ms)
        next.counter = last.counter + 1;
    else if (next.ms == remote.ms)
        next.counter = remote.counter + 1;
    return next;
}

int ldr_clock_recv(struct ldr_clock *clock, struct ldr_hlc remote,
                   const char *who, struct ldr_err *err)
{
    uint64_t now = wall_ms(clock);
    struct ldr_hlc next;
    int rc;

    if (remote.counter > LDR_HLC_COUNTER_MAX)
        return ldr_err_set(
            err, LDR_EINVAL, "bad clock stamp from %s: counter %u is over %u",
            who ? who : "the sender", remote.counter, LDR_HLC_COUNTER_MAX);
    rc = check_bound(clock, remote, now, who, err);
    if (rc)
        return rc;
    next = merge(clock->last, remote, now);
    rc = settle(&next, err);
    if (rc)
        return rc;
    clock->last = next;
    return 0;
}

void ldr_hlc_format(char out[LDR_HLC_TEXT_LEN + 1], struct ldr_hlc hlc)
{
    /*
     * The clock never issues out-of-range stamps; clamping a corrupt one
     * keeps the text fixed-width and its order unchanged.
     */
    if (hlc.ms > LDR_HLC_MS_MAX)
        hlc.ms = LDR_HLC_MS_MAX;
    if (hlc.counter > LDR_HLC_COUNTER_MAX)
        hlc.counter = LDR_HLC_COUNTER_MAX;
    /* "%013llu-%05u" by hand: stamps are written for every change */
    out[LDR_HLC_TEXT_LEN] = '\0';
    for (int i = LDR_HLC_TEXT_LEN - 1; i > 13; i--, hlc.counter /= 10)
        out[i] = (char)('0' + hlc.counter % 10);
    out[13] = '-';
    for (int i = 12; i >= 0; i--, hlc.ms /= 10)
        out[i] = (char)('0' + hlc.ms % 10);
}

static bool well_formed(const char *text)
{
    for (int i = 0; i < LDR_HLC_TEXT_LEN; i++) {
        if (i == 13 ? text[i] != '-' : text[i] < '0' || text[i] > '9')
            return false;
    }
    return text[LDR_HLC_TEXT_LEN] == '\0';
}

int ldr_hlc_parse(struct ldr_hlc *out, const char *text, struct ldr_err *err)
{
    struct ldr_hlc hlc = {0, 0};

    if (!text)
        return ldr_err_set(err, LDR_EINVAL,
                           "missing clock stamp: expected "
                           "13 digits, a dash and 5 digits, "
                           "like '1795711458123-00042'");
    if (!well_formed(text) && strlen(text) > 64)
        return ldr_err_set(err, LDR_EINVAL,
                           "bad clock stamp of %zu bytes: expected 13 "
                           "digits, a dash and 5 digits, like "
                           "'1795711458123-00042'",
                           strlen(text));
    if (!well_formed(text))
        return ldr_err_set(err, LDR_EINVAL,
                           "bad clock stamp '%s': expected 13 digits, a "
                           "dash and 5 digits, like '1795711458123-00042'",
                           text);
    for (int i = 0; i < 13; i++)
        hlc.ms = hlc.ms * 10 + (uint64_t)(text[i] - '0');
    for (int i = 14; i < LDR_HLC_TEXT_LEN; i++)
        hlc.counter = hlc.counter * 10 + (uint32_t)(text[i] - '0');
    *out = hlc;
    return 0;
}
