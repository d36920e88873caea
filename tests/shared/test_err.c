/* Errors: messages, prefixes and code names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ladder/err.h"

static void test_err__set_formats_and_returns_code(void **state)
{
    struct ldr_err err;

    (void)state;
    assert_int_equal(
        ldr_err_set(&err, LDR_EINVAL, "level %d for '%s'", 7, "negotiation"),
        LDR_EINVAL);
    assert_int_equal(err.code, LDR_EINVAL);
    assert_string_equal(err.msg, "level 7 for 'negotiation'");
    assert_int_equal(ldr_err_set(NULL, LDR_EIO, "ignored"), LDR_EIO);
}

static void test_err__prefix_puts_context_in_front(void **state)
{
    struct ldr_err err;

    (void)state;
    ldr_err_set(&err, LDR_ETOOBIG, "/base: expected a number");
    assert_int_equal(ldr_err_prefix(&err, "change %d: ", 3), LDR_ETOOBIG);
    assert_string_equal(err.msg, "change 3: /base: expected a number");
    assert_int_equal(ldr_err_prefix(NULL, "x"), LDR_EINVAL);
}

/* Long messages are cut, never overrun, and stay NUL-terminated. */
static void test_err__long_messages_are_truncated_safely(void **state)
{
    char big[2 * LDR_ERR_MSG_MAX];
    struct ldr_err err;

    (void)state;
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ldr_err_set(&err, LDR_EINVAL, "%s", big);
    assert_int_equal(strlen(err.msg), LDR_ERR_MSG_MAX - 1);
    ldr_err_set(&err, LDR_EINVAL, "tail");
    ldr_err_prefix(&err, "%s", big);
    assert_int_equal(strlen(err.msg), LDR_ERR_MSG_MAX - 1);
    ldr_err_set(&err, LDR_EINVAL, "%s", big);
    ldr_err_prefix(&err, "head: ");
    assert_int_equal(strlen(err.msg), LDR_ERR_MSG_MAX - 1);
    assert_memory_equal(err.msg, "head: xxx", 9);
}

/* A cut never leaves half a character: "能" is 3 bytes. */
static void test_err__truncation_keeps_utf8_whole(void **state)
{
    char big[3 * LDR_ERR_MSG_MAX];
    struct ldr_err err;

    (void)state;
    big[0] = '\0';
    for (size_t shift = 0; shift < 3; shift++) {
        memset(big, 'x', shift);
        big[shift] = '\0';
        while (strlen(big) + 3 < sizeof big)
            strcat(big, "能");
        ldr_err_set(&err, LDR_EINVAL, "%s", big);
        assert_int_equal(strlen(err.msg) % 3, shift % 3);
        assert_true(strlen(err.msg) >= LDR_ERR_MSG_MAX - 3);
        ldr_err_set(&err, LDR_EINVAL, "%s", big + shift);
        ldr_err_prefix(&err, "%.*s", (int)shift, "xx");
        assert_int_equal(strlen(err.msg) % 3, shift % 3);
    }
}

static void test_err__every_code_has_a_name(void **state)
{
    static const struct {
        int code;
        const char *name;
    } cases[] = {
        {LDR_OK, "ok"},
        {LDR_EINVAL, "invalid"},
        {LDR_ENOMEM, "no_memory"},
        {LDR_ETOOBIG, "too_big"},
        {LDR_EIO, "io"},
        {LDR_EDB, "database"},
        {LDR_ECLOCK, "clock"},
        {LDR_ENOTFOUND, "not_found"},
        {LDR_EVERSION, "version"},
        {LDR_EBUSY, "busy"},
        {-999, "unknown"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(ldr_code_name(cases[i].code), cases[i].name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err__set_formats_and_returns_code),
        cmocka_unit_test(test_err__prefix_puts_context_in_front),
        cmocka_unit_test(test_err__long_messages_are_truncated_safely),
        cmocka_unit_test(test_err__truncation_keeps_utf8_whole),
        cmocka_unit_test(test_err__every_code_has_a_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
