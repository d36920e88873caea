#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ladder/err.h"
#include "ladder/uuid.h"

#define MANY 10000
#define THREADS 4
#define PER_THREAD 2000

static void test_uuid__format_version_variant(void **state)
{
    (void)state;
    for (int i = 0; i < 100; i++) {
        char id[LDR_UUID_LEN + 1];
        struct ldr_err err = {0};

        assert_int_equal(ldr_uuid_v7(id, &err), 0);
        assert_int_equal(strlen(id), LDR_UUID_LEN);
        assert_true(ldr_uuid_valid(id));
        assert_int_equal(id[14], '7');
        assert_non_null(strchr("89ab", id[19]));
    }
}

static void test_uuid__many_strictly_increasing(void **state)
{
    static char ids[MANY][LDR_UUID_LEN + 1];

    (void)state;
    for (int i = 0; i < MANY; i++) {
        assert_int_equal(ldr_uuid_v7(ids[i], NULL), 0);
        /* Strictly increasing text also means no two ids are equal. */
        if (i > 0 && strcmp(ids[i - 1], ids[i]) >= 0)
            fail_msg("id %d '%s' is not after '%s'", i, ids[i], ids[i - 1]);
    }
}

static void test_uuid__ms_is_now(void **state)
{
    char id[LDR_UUID_LEN + 1];
    struct timespec ts;
    uint64_t before, after, ms;

    (void)state;
    clock_gettime(CLOCK_REALTIME, &ts);
    before = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    assert_int_equal(ldr_uuid_v7(id, NULL), 0);
    clock_gettime(CLOCK_REALTIME, &ts);
    after = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    ms = ldr_uuid_v7_ms(id);
    /* Earlier tests may have run the counter a few ms ahead of the clock. */
    assert_true(ms >= before && ms <= after + 100);
}

static void *make_ids(void *arg)
{
    char(*ids)[LDR_UUID_LEN + 1] = arg;

    for (int i = 0; i < PER_THREAD; i++)
        if (ldr_uuid_v7(ids[i], NULL) != 0)
            return arg;
    return NULL;
}

static int compare_ids(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_uuid__threads_unique(void **state)
{
    static char ids[THREADS * PER_THREAD][LDR_UUID_LEN + 1];
    pthread_t threads[THREADS];

    (void)state;
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(
            pthread_create(&threads[t], NULL, make_ids, ids + t * PER_THREAD),
            0);
    for (int t = 0; t < THREADS; t++) {
        void *failed;
        assert_int_equal(pthread_join(threads[t], &failed), 0);
        assert_null(failed);
    }
    qsort(ids, THREADS * PER_THREAD, sizeof ids[0], compare_ids);
    for (int i = 1; i < THREADS * PER_THREAD; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
}

static void test_uuid__from_known_bytes(void **state)
{
    static const struct {
        uint64_t ms;
        uint8_t rand[10];
        const char *want;
    } cases[] = {
        /* RFC 9562 appendix A.6 test vector. */
        {0x017F22E279B0,
         {0x0c, 0xc3, 0x18, 0xc4, 0xdc, 0x0c, 0x0c, 0x07, 0x39, 0x8f},
         "017f22e2-79b0-7cc3-98c4-dc0c0c07398f"},
        /* High bits of rand[0] and rand[2] give way to version and variant. */
        {1700000000000,
         {0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, 0x77, 0x66},
         "018bcfe5-6800-7fee-9dcc-bbaa99887766"},
        {0, {0}, "00000000-0000-7000-8000-000000000000"},
        {0xFFFFFFFFFFFF,
         {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
         "ffffffff-ffff-7fff-bfff-ffffffffffff"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char id[LDR_UUID_LEN + 1];
        ldr_uuid_v7_from(id, cases[i].ms, cases[i].rand);
        assert_string_equal(id, cases[i].want);
    }
}

static void test_uuid__valid_table(void **state)
{
    static const struct {
        const char *s;
        bool valid;
    } cases[] = {
        {"017f22e2-79b0-7cc3-98c4-dc0c0c07398f", true},
        {"00000000-0000-0000-0000-000000000000", true},
        {"f81d4fae-7dec-41d0-a765-00a0c91e6bf6", true},   /* v4 is fine */
        {"017F22E2-79B0-7CC3-98C4-DC0C0C07398F", false},  /* uppercase */
        {"017f22e2-79b0-7cc3-98c4-dc0c0c07398", false},   /* short */
        {"017f22e2-79b0-7cc3-98c4-dc0c0c07398f0", false}, /* long */
        {"017f22e279b0-7cc3-98c4-dc0c0c07398f0", false},  /* dash moved */
        {"017f22e2_79b0-7cc3-98c4-dc0c0c07398f", false},
        {"017f22e2-79b0-7cc3-98c4+dc0c0c07398f", false},
        {"017f22g2-79b0-7cc3-98c4-dc0c0c07398f", false},
        {"017f22e2-79b0-7cc3-98c4-dc0c0c07398 ", false},
        {"{017f22e2-79b0-7cc3-98c4-dc0c0c07398f}", false},
        {"017f22e279b07cc398c4dc0c0c07398f", false},
        {"", false},
        {NULL, false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (ldr_uuid_valid(cases[i].s) != cases[i].valid)
            fail_msg("'%s': want %s", cases[i].s ? cases[i].s : "(null)",
                     cases[i].valid ? "valid" : "invalid");
}

static void test_uuid__ms_round_trip(void **state)
{
    static const uint64_t times[] = {1, 1000, 1645557742000, 1795711458123,
                                     0xFFFFFFFFFFFF};
    static const uint8_t rand[10] = {0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                     0x5a, 0x5a, 0x5a, 0x5a, 0x5a};

    (void)state;
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char id[LDR_UUID_LEN + 1];
        ldr_uuid_v7_from(id, times[i], rand);
        assert_int_equal(ldr_uuid_v7_ms(id), times[i]);
    }
}

static void test_uuid__ms_zero_unless_v7(void **state)
{
    static const char *const others[] = {
        "f81d4fae-7dec-41d0-a765-00a0c91e6bf6", /* version 4 */
        "017f22e2-79b0-7cc3-c8c4-dc0c0c07398f", /* variant 110 */
        "017f22e2-79b0-7cc3-78c4-dc0c0c07398f", /* variant 0 */
        "017F22E2-79B0-7CC3-98C4-DC0C0C07398F", /* not canonical */
        "not a uuid",
        NULL,
    };

    (void)state;
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        assert_int_equal(ldr_uuid_v7_ms(others[i]), 0);
}

static void hex16(char out[33], const uint8_t h[16])
{
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* Published FNV-1a 128 vectors: the offset basis for "", and "a". */
static void test_uuid__fnv1a128_vectors(void **state)
{
    uint8_t h[16];
    char hex[33];

    (void)state;
    ldr_fnv1a128(h, "", 0);
    hex16(hex, h);
    assert_string_equal(hex, "6c62272e07bb014262b821756295c58d");
    ldr_fnv1a128(h, "a", 1);
    hex16(hex, h);
    assert_string_equal(hex, "d228cb696f1a8caf78912b704e4a8964");
}

static void test_uuid__v8_name_is_stable_and_valid(void **state)
{
    char a[LDR_UUID_LEN + 1], b[LDR_UUID_LEN + 1], c[LDR_UUID_LEN + 1];

    (void)state;
    ldr_uuid_v8_name(a, "ladder-person/1\nE1001", 21);
    ldr_uuid_v8_name(b, "ladder-person/1\nE1001", 21);
    ldr_uuid_v8_name(c, "ladder-person/1\nE1002", 21);
    assert_string_equal(a, b);
    /* a person's record id: laptops and hubs of every version agree */
    assert_string_equal(a, "2b96641d-4d6a-8951-83c9-880aaf731b3a");
    assert_string_not_equal(a, c);
    assert_true(ldr_uuid_valid(a));
    assert_int_equal(a[14], '8');
    assert_true(strchr("89ab", a[19]) != NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid__format_version_variant),
        cmocka_unit_test(test_uuid__many_strictly_increasing),
        cmocka_unit_test(test_uuid__ms_is_now),
        cmocka_unit_test(test_uuid__threads_unique),
        cmocka_unit_test(test_uuid__from_known_bytes),
        cmocka_unit_test(test_uuid__valid_table),
        cmocka_unit_test(test_uuid__ms_round_trip),
        cmocka_unit_test(test_uuid__ms_zero_unless_v7),
        cmocka_unit_test(test_uuid__fnv1a128_vectors),
        cmocka_unit_test(test_uuid__v8_name_is_stable_and_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
