#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ladder/err.h"
#include "ladder/hlc.h"

#define NOW 1795711458123ULL
#define TEN_MIN (10 * 60 * 1000ULL)

static uint64_t fake_now(void *ctx)
{
    return *(const uint64_t *)ctx;
}

/* A clock whose wall time is whatever `*now` holds. */
static void fake_clock(struct ldr_clock *clock, uint64_t *now,
                       struct ldr_hlc last)
{
    ldr_clock_init(clock);
    clock->now_ms = fake_now;
    clock->now_ctx = now;
    clock->last = last;
}

static void assert_hlc(struct ldr_hlc got, uint64_t ms, uint32_t counter)
{
    if (got.ms != ms || got.counter != counter)
        fail_msg("got %llu.%u, want %llu.%u", (unsigned long long)got.ms,
                 got.counter, (unsigned long long)ms, counter);
}

static void test_hlc__send_frozen_clock_counts_up(void **state)
{
    uint64_t now = NOW;
    struct ldr_clock clock;
    struct ldr_hlc prev, next;

    (void)state;
    fake_clock(&clock, &now, (struct ldr_hlc){0, 0});
    assert_int_equal(ldr_clock_send(&prev, &clock, NULL), 0);
    assert_hlc(prev, NOW, 0);
    for (int i = 1; i < 1000; i++) {
        assert_int_equal(ldr_clock_send(&next, &clock, NULL), 0);
        assert_true(ldr_hlc_cmp(prev, next) < 0);
        assert_hlc(next, NOW, (uint32_t)i);
        prev = next;
    }
}

static void test_hlc__send_backwards_clock_stays_monotonic(void **state)
{
    uint64_t now = NOW;
    struct ldr_clock clock;
    struct ldr_hlc prev, next;

    (void)state;
    fake_clock(&clock, &now, (struct ldr_hlc){0, 0});
    assert_int_equal(ldr_clock_send(&prev, &clock, NULL), 0);
    for (int i = 0; i < 100; i++) {
        now -= 1000;
        assert_int_equal(ldr_clock_send(&next, &clock, NULL), 0);
        assert_true(ldr_hlc_cmp(prev, next) < 0);
        assert_int_equal(next.ms, NOW);
        prev = next;
    }
}

static void test_hlc__send_forward_clock_resets_counter(void **state)
{
    uint64_t now = NOW + 5;
    struct ldr_clock clock;
    struct ldr_hlc out;

    (void)state;
    fake_clock(&clock, &now, (struct ldr_hlc){NOW, 7});
    assert_int_equal(ldr_clock_send(&out, &clock, NULL), 0);
    assert_hlc(out, NOW + 5, 0);
    assert_hlc(clock.last, NOW + 5, 0);
}

static void test_hlc__send_counter_overflow_moves_ms(void **state)
{
    uint64_t now = NOW;
    struct ldr_clock clock;
    struct ldr_hlc out;

    (void)state;
    fake_clock(&clock, &now, (struct ldr_hlc){NOW, LDR_HLC_COUNTER_MAX});
    assert_int_equal(ldr_clock_send(&out, &clock, NULL), 0);
    assert_hlc(out, NOW + 1, 0);
    assert_int_equal(ldr_clock_send(&out, &clock, NULL), 0);
    assert_hlc(out, NOW + 1, 1);
}

static void test_hlc__send_ms_overflow_fails(void **state)
{
    uint64_t now = NOW;
    struct ldr_clock clock;
    struct ldr_hlc out = {1, 1};
    struct ldr_err err = {0};

    (void)state;
    fake_clock(&clock, &now,
               (struct ldr_hlc){LDR_HLC_MS_MAX, LDR_HLC_COUNTER_MAX});
    assert_int_equal(ldr_clock_send(&out, &clock, &err), LDR_ECLOCK);
    assert_int_equal(err.code, LDR_ECLOCK);
    assert_non_null(strstr(err.msg, "overflow"));
    assert_hlc(clock.last, LDR_HLC_MS_MAX, LDR_HLC_COUNTER_MAX);
    assert_hlc(out, 1, 1);
}

static void test_hlc__recv_rules(void **state)
{
    static const struct {
        const char *name;
        struct ldr_hlc last, remote;
        uint64_t now;
        struct ldr_hlc want;
    } cases[] = {
        {"wall clock ahead", {100, 5}, {90, 7}, 200, {200, 0}},
        {"last ahead", {300, 5}, {200, 9}, 100, {300, 6}},
        {"remote ahead", {100, 5}, {300, 9}, 200, {300, 10}},
        {"last = remote, remote counter higher",
         {300, 5},
         {300, 9},
         100,
         {300, 10}},
        {"last = remote, last counter higher",
         {300, 9},
         {300, 5},
         100,
         {300, 10}},
        {"all three equal", {300, 5}, {300, 2}, 300, {300, 6}},
        {"wall = last, remote behind", {300, 5}, {100, 1}, 300, {300, 6}},
        {"wall = remote, last behind", {100, 5}, {300, 7}, 300, {300, 8}},
        {"last counter overflows",
         {300, LDR_HLC_COUNTER_MAX},
         {300, 1},
         100,
         {301, 0}},
        {"remote counter overflows",
         {100, 0},
         {300, LDR_HLC_COUNTER_MAX},
         300,
         {301, 0}},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t now = cases[i].now;
        struct ldr_clock clock;
        struct ldr_err err = {0};

        fake_clock(&clock, &now, cases[i].last);
        if (ldr_clock_recv(&clock, cases[i].remote, "peer", &err) != 0)
            fail_msg("%s: %s", cases[i].name, err.msg);
        if (ldr_hlc_cmp(clock.last, cases[i].want) != 0)
            fail_msg("%s: got %llu.%u, want %llu.%u", cases[i].name,
                     (unsigned long long)clock.last.ms, clock.last.counter,
                     (unsigned long long)cases[i].want.ms,
                     cases[i].want.counter);
    }
}

static void test_hlc__send_after_recv_is_later(void **state)
{
    uint64_t now = NOW;
    struct ldr_clock clock;
    struct ldr_hlc remote = {NOW + 5000, 42}, out;

    (void)state;
    fake_clock(&clock, &now, (struct ldr_hlc){0, 0});
    assert_int_equal(ldr_clock_recv(&clock, remote, NULL, NULL), 0);
    assert_int_equal(ldr_clock_send(&out, &clock, NULL), 0);
    assert_true(ldr_hlc_cmp(remote, out) < 0);
}

static void test_hlc__recv_refuses_far_future(void **state)
{
    static const struct {
        const char *who;
        uint64_t ahead;
        const char *want[4];
    } cases[] = {
        {"device 0193abcd",
         7503000,
         {"clock of device 0193abcd is 2h 5m 3s ahead", "(limit 10m)",
          "fix the clock on device 0193abcd", NULL}},
        {NULL,
         TEN_MIN + 1,
         {"the sender's clock is 10m 1s ahead", "(limit 10m)", NULL}},
        {"hub",
         2 * 86400000ULL + 3600000,
         {"clock of hub is 2d 1h ahead", NULL}},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t now = NOW;
        struct ldr_clock clock;
        struct ldr_hlc last = {NOW - 10, 3};
        struct ldr_hlc remote = {NOW + cases[i].ahead, 0};
        struct ldr_err err = {0};

        fake_clock(&clock, &now, last);
        assert_int_equal(ldr_clock_recv(&clock, remote, cases[i].who, &err),
                         LDR_ECLOCK);
        assert_int_equal(err.code, LDR_ECLOCK);
        assert_non_null(strstr(err.msg, "ahead"));
        for (int j = 0; cases[i].want[j]; j++)
            if (!strstr(err.msg, cases[i].want[j]))
                fail_msg("'%s' lacks '%s'", err.msg, cases[i].want[j]);
        assert_hlc(clock.last, last.ms, last.counter);
        assert_int_equal(ldr_clock_check(&clock, remote, cases[i].who, NULL),
                         LDR_ECLOCK);
    }
}

static void test_hlc__recv_accepts_exactly_at_bound(void **state)
{
    uint64_t now = NOW;
    struct ldr_clock clock;
    struct ldr_hlc remote = {NOW + TEN_MIN, 4};

    (void)state;
    fake_clock(&clock, &now, (struct ldr_hlc){0, 0});
    assert_int_equal(ldr_clock_check(&clock, remote, NULL, NULL), 0);
    assert_int_equal(ldr_clock_recv(&clock, remote, NULL, NULL), 0);
    assert_hlc(clock.last, NOW + TEN_MIN, 5);
}

static void test_hlc__check_changes_nothing(void **state)
{
    uint64_t now = NOW;
    struct ldr_clock clock;
    struct ldr_hlc last = {NOW - 1, 9};

    (void)state;
    fake_clock(&clock, &now, last);
    assert_int_equal(
        ldr_clock_check(&clock, (struct ldr_hlc){NOW + 5, 0}, NULL, NULL), 0);
    assert_hlc(clock.last, last.ms, last.counter);
}

static void test_hlc__recv_refuses_bad_counter(void **state)
{
    uint64_t now = NOW;
    struct ldr_clock clock;
    struct ldr_err err = {0};

    (void)state;
    fake_clock(&clock, &now, (struct ldr_hlc){NOW, 1});
    assert_int_equal(ldr_clock_recv(&clock, (struct ldr_hlc){NOW, UINT32_MAX},
                                    "device x", &err),
                     LDR_EINVAL);
    assert_non_null(strstr(err.msg, "device x"));
    assert_hlc(clock.last, NOW, 1);
}

static void test_hlc__recv_ms_overflow_fails(void **state)
{
    uint64_t now = LDR_HLC_MS_MAX;
    struct ldr_clock clock;
    struct ldr_hlc last = {LDR_HLC_MS_MAX - 1, 0};

    (void)state;
    fake_clock(&clock, &now, last);
    assert_int_equal(
        ldr_clock_recv(&clock,
                       (struct ldr_hlc){LDR_HLC_MS_MAX, LDR_HLC_COUNTER_MAX},
                       NULL, NULL),
        LDR_ECLOCK);
    assert_hlc(clock.last, last.ms, last.counter);
}

static void test_hlc__real_clock_by_default(void **state)
{
    struct ldr_clock clock;
    struct ldr_hlc out;
    uint64_t before = (uint64_t)time(NULL) * 1000;

    (void)state;
    ldr_clock_init(&clock);
    assert_int_equal(clock.max_ahead_ms, LDR_HLC_DEFAULT_MAX_AHEAD_MS);
    assert_int_equal(ldr_clock_send(&out, &clock, NULL), 0);
    assert_true(out.ms >= before && out.ms < before + 2000);
}

static void test_hlc__format_parse_round_trip(void **state)
{
    static const struct {
        struct ldr_hlc hlc;
        const char *text;
    } cases[] = {
        {{0, 0}, "0000000000000-00000"},
        {{1795711458123, 42}, "1795711458123-00042"},
        {{1, 99}, "0000000000001-00099"},
        {{LDR_HLC_MS_MAX, LDR_HLC_COUNTER_MAX}, "9999999999999-99999"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[LDR_HLC_TEXT_LEN + 1];
        struct ldr_hlc back = {7, 7};

        ldr_hlc_format(text, cases[i].hlc);
        assert_string_equal(text, cases[i].text);
        assert_int_equal(ldr_hlc_parse(&back, text, NULL), 0);
        assert_int_equal(ldr_hlc_cmp(back, cases[i].hlc), 0);
    }
}

static void test_hlc__parse_rejects_bad_text(void **state)
{
    static const char *const bad[] = {
        "",
        "1795711458123",
        "1795711458123-0004",
        "1795711458123-000420",
        "179571145812-00042",
        "17957114581230-0042",
        "1795711458123_00042",
        "1795711458123+00042",
        "179571145812a-00042",
        "1795711458123-0004a",
        " 795711458123-00042",
        "+795711458123-00042",
        "-795711458123-00042",
        "1795711458123--0042",
        "1795711458123-00042 ",
        "1795711458123-00042\n",
        "\xef\xbc\x91"
        "795711458123-00042", /* a fullwidth one */
    };

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ldr_hlc out = {7, 7};
        struct ldr_err err = {0};

        if (ldr_hlc_parse(&out, bad[i], &err) != LDR_EINVAL)
            fail_msg("'%s' was accepted", bad[i]);
        assert_int_equal(err.code, LDR_EINVAL);
        assert_non_null(strstr(err.msg, bad[i]));
        assert_non_null(strstr(err.msg, "expected"));
        assert_hlc(out, 7, 7);
    }
    assert_int_equal(ldr_hlc_parse(&(struct ldr_hlc){0, 0}, NULL, NULL),
                     LDR_EINVAL);
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static struct ldr_hlc random_hlc(void)
{
    /* Few distinct values, so equal ms and equal stamps come up often. */
    static const uint64_t ms[] = {0, 9, 10, 1795711458123, LDR_HLC_MS_MAX};
    static const uint32_t counters[] = {0, 1, 9, 10, 42, LDR_HLC_COUNTER_MAX};
    struct ldr_hlc hlc;

    hlc.ms = ms[rand() % 5];
    if (rand() % 2)
        hlc.ms = (uint64_t)rand() * (uint64_t)rand() % (LDR_HLC_MS_MAX + 1);
    hlc.counter = counters[rand() % 6];
    if (rand() % 2)
        hlc.counter = (uint32_t)rand() % (LDR_HLC_COUNTER_MAX + 1);
    return hlc;
}

static void test_hlc__text_order_equals_clock_order(void **state)
{
    (void)state;
    srand(20240601);
    for (int i = 0; i < 20000; i++) {
        struct ldr_hlc a = random_hlc(), b = random_hlc();
        char ta[LDR_HLC_TEXT_LEN + 1], tb[LDR_HLC_TEXT_LEN + 1];

        ldr_hlc_format(ta, a);
        ldr_hlc_format(tb, b);
        if (sign(strcmp(ta, tb)) != sign(ldr_hlc_cmp(a, b)))
            fail_msg("'%s' vs '%s' disagree", ta, tb);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hlc__send_frozen_clock_counts_up),
        cmocka_unit_test(test_hlc__send_backwards_clock_stays_monotonic),
        cmocka_unit_test(test_hlc__send_forward_clock_resets_counter),
        cmocka_unit_test(test_hlc__send_counter_overflow_moves_ms),
        cmocka_unit_test(test_hlc__send_ms_overflow_fails),
        cmocka_unit_test(test_hlc__recv_rules),
        cmocka_unit_test(test_hlc__send_after_recv_is_later),
        cmocka_unit_test(test_hlc__recv_refuses_far_future),
        cmocka_unit_test(test_hlc__recv_accepts_exactly_at_bound),
        cmocka_unit_test(test_hlc__check_changes_nothing),
        cmocka_unit_test(test_hlc__recv_refuses_bad_counter),
        cmocka_unit_test(test_hlc__recv_ms_overflow_fails),
        cmocka_unit_test(test_hlc__real_clock_by_default),
        cmocka_unit_test(test_hlc__format_parse_round_trip),
        cmocka_unit_test(test_hlc__parse_rejects_bad_text),
        cmocka_unit_test(test_hlc__text_order_equals_clock_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
