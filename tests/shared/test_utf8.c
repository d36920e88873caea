/* UTF-8 checks and cuts, by Jansson's rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ladder/utf8.h"

static void test_utf8__char_lengths_and_refusals(void **state)
{
    static const struct {
        const char *bytes;
        size_t avail;
        size_t len;
    } cases[] = {
        {"a", 1, 1},
        {"\xc3\xa9", 2, 2},         /* é */
        {"\xe8\x83\xbd", 3, 3},     /* 能 */
        {"\xf0\x9f\x98\x80", 4, 4}, /* U+1F600 */
        {"\xf4\x8f\xbf\xbf", 4, 4}, /* U+10FFFF, the last */
        {"\xe8\x83", 2, 0},         /* cut short */
        {"\x80", 1, 0},             /* lone continuation */
        {"\xc0\xaf", 2, 0},         /* overlong "/" */
        {"\xe0\x80\xaf", 3, 0},     /* overlong */
        {"\xed\xa0\x80", 3, 0},     /* encoded surrogate U+D800 */
        {"\xf4\x90\x80\x80", 4, 0}, /* past U+10FFFF */
        {"\xf5\x80\x80\x80", 4, 0},
        {"\xe8\x41\x41", 3, 0}, /* continuation missing */
        {"", 0, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (ldr_utf8_char(cases[i].bytes, cases[i].avail) != cases[i].len)
            fail_msg("case %zu: expected %zu", i, cases[i].len);
}

static void test_utf8__check_finds_the_first_bad_byte(void **state)
{
    static const char good[] = "能力 ability \xf0\x9f\x98\x80";
    static const char bad[] = "能力\xed\xa0\x80x";

    (void)state;
    assert_int_equal(ldr_utf8_check(good, strlen(good)), strlen(good));
    assert_int_equal(ldr_utf8_check(bad, strlen(bad)), 6);
    assert_int_equal(ldr_utf8_check(bad, 6), 6);
}

/* The first bad byte, checked character by character. */
static size_t slow_check(const char *s, size_t n)
{
    size_t i = 0, len;

    while (i < n && (len = ldr_utf8_char(s + i, n - i)) > 0)
        i += len;
    return i;
}

/* Runs of ASCII long and short around characters good and bad, at every
 * offset a word-at-a-time scan could skip past. */
static void test_utf8__check_agrees_with_a_scan_by_character(void **state)
{
    static const char *const pieces[] = {
        "a",    "\xe8\x83\xbd",     "\xed\xa0\x80",
        "\xc3", "\xf0\x9f\x98\x80", "\x80"};
    char buf[64];
    unsigned seed = 12345;

    (void)state;
    for (int round = 0; round < 20000; round++) {
        size_t n = 0;

        while (n < 40) {
            seed = seed * 1103515245u + 12345u;
            unsigned pick = (seed >> 16) % 24, k = pick < 18 ? 0 : pick - 18;
            size_t len = strlen(pieces[k]);

            memcpy(buf + n, pieces[k], len);
            n += len;
        }
        for (size_t cut = 0; cut <= n; cut += 7)
            if (ldr_utf8_check(buf, cut) != slow_check(buf, cut))
                fail_msg("round %d, %zu bytes: %zu, want %zu", round, cut,
                         ldr_utf8_check(buf, cut), slow_check(buf, cut));
    }
}

static void test_utf8__cut_and_trim_keep_characters_whole(void **state)
{
    static const char s[] = "ab能力"; /* 2 + 3 + 3 bytes */
    char buf[16];

    (void)state;
    assert_int_equal(ldr_utf8_cut(s, 8, 10), 8);
    assert_int_equal(ldr_utf8_cut(s, 8, 5), 5);
    assert_int_equal(ldr_utf8_cut(s, 8, 4), 2);
    assert_int_equal(ldr_utf8_cut(s, 8, 3), 2);
    for (size_t n = 0; n <= 8; n++) {
        static const size_t whole[] = {0, 1, 2, 2, 2, 5, 5, 5, 8};
        memcpy(buf, s, n);
        buf[n] = '\0';
        ldr_utf8_trim(buf);
        assert_int_equal(strlen(buf), whole[n]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8__char_lengths_and_refusals),
        cmocka_unit_test(test_utf8__check_finds_the_first_bad_byte),
        cmocka_unit_test(test_utf8__check_agrees_with_a_scan_by_character),
        cmocka_unit_test(test_utf8__cut_and_trim_keep_characters_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
