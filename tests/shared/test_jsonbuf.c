/* JSON written directly: the same bytes as Jansson's compact dump. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/change.h"
#include "ladder/err.h"
#include "ladder/jsonbuf.h"
#include "ladder/record.h"

/* Checks that the buffer writes `v` exactly as Jansson dumps it. */
static void same_as_jansson(const json_t *v, bool sort_keys)
{
    size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    char *want = json_dumps(v, flags | (sort_keys ? JSON_SORT_KEYS : 0));
    struct ldr_jsonbuf b;

    assert_non_null(want);
    ldr_jsonbuf_init(&b);
    ldr_jsonbuf_value(&b, v, sort_keys);
    assert_false(b.oom);
    assert_string_equal(b.data, want);
    assert_int_equal(b.len, strlen(want));
    ldr_jsonbuf_release(&b);
    free(want);
}

static void test_jsonbuf__escapes_every_byte_as_jansson(void **state)
{
    (void)state;
    for (int c = 0; c < 0x80; c++) {
        /* the byte at every offset around the 8-byte steps */
        for (size_t at = 0; at < 20; at++) {
            char text[24];
            json_t *s;

            memset(text, 'x', sizeof text);
            text[at] = (char)c;
            s = json_stringn(text, sizeof text);
            assert_non_null(s);
            same_as_jansson(s, false);
            json_decref(s);
        }
    }
}

static void test_jsonbuf__keeps_utf8_as_it_is(void **state)
{
    static const char *const texts[] = {
        "",
        "é",
        "在续约谈判中提出了两个备选方案",
        "a/b~c",
        "😀 emoji \"q\"",
        "tab\there\r\n",
        "\x7f",
        "trailing \\",
    };
    (void)state;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        json_t *s = json_string(texts[i]);
        assert_non_null(s);
        same_as_jansson(s, true);
        json_decref(s);
    }
}

static void test_jsonbuf__writes_scalars_as_jansson(void **state)
{
    json_t *values[] = {
        json_integer(0),
        json_integer(-1),
        json_integer(INT64_MAX),
        json_integer(INT64_MIN),
        json_integer(1234567),
        json_real(0.1),
        json_real(-2.5),
        json_real(1.0),
        json_real(1e300),
        json_real(-0.0),
        json_real(5e-324),
        json_true(),
        json_false(),
        json_null(),
    };
    (void)state;
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        same_as_jansson(values[i], false);
        json_decref(values[i]);
    }
}

static void test_jsonbuf__sorts_keys_by_bytes_then_length(void **state)
{
    json_t *doc = json_loads(
        "{\"b\":1,\"ab\":[{\"z\":1,\"y\":{\"q\":[],\"p\":{}}}],\"a\":null,"
        "\"é\":2,\"a\\u007f\":3,\"A\":[[],{}],\"\":\"empty key\"}",
        0, NULL);

    (void)state;
    assert_non_null(doc);
    same_as_jansson(doc, true);
    same_as_jansson(doc, false);
    json_decref(doc);
}

/* A small deterministic generator of JSON values. */
static uint32_t next(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

static json_t *random_value(uint32_t *seed, int depth)
{
    static const char *const words[] = {"a", "b",  "ab", "ba",    "\"", "\\",
                                        "é", "\n", "/",  "level", "x~y"};
    size_t nwords = sizeof words / sizeof *words;
    json_t *v;

    switch (next(seed) % (depth > 3 ? 4 : 6)) {
    case 0:
        return json_string(words[next(seed) % nwords]);
    case 1:
        return json_integer((json_int_t)next(seed) - 5000000);
    case 2:
        return json_real((double)next(seed) / 7.0);
    case 3:
        return next(seed) % 2 ? json_true() : json_null();
    case 4:
        v = json_array();
        for (uint32_t n = next(seed) % 4; n > 0; n--)
            json_array_append_new(v, random_value(seed, depth + 1));
        return v;
    default:
        v = json_object();
        for (uint32_t n = next(seed) % 5; n > 0; n--)
            json_object_set_new(v, words[next(seed) % nwords],
                                random_value(seed, depth + 1));
        return v;
    }
}

static void test_jsonbuf__random_values_match_jansson(void **state)
{
    uint32_t seed = 42;

    (void)state;
    for (int i = 0; i < 3000; i++) {
        json_t *v = random_value(&seed, 0);
        same_as_jansson(v, true);
        same_as_jansson(v, false);
        json_decref(v);
    }
}

static void test_jsonbuf__detach_hands_over_and_empties(void **state)
{
    struct ldr_jsonbuf b;
    size_t len = 0;
    char *text;

    (void)state;
    ldr_jsonbuf_init(&b);
    assert_string_equal(b.data, "");
    text = ldr_jsonbuf_detach(&b, &len);
    assert_string_equal(text, "");
    free(text);
    for (int i = 0; i < 1000; i++)
        ldr_jsonbuf_uint(&b, (uint64_t)i);
    ldr_jsonbuf_reset(&b);
    assert_int_equal(b.len, 0);
    ldr_jsonbuf_int(&b, -42);
    ldr_jsonbuf_strings(&b, "x");
    text = ldr_jsonbuf_detach(&b, &len);
    assert_string_equal(text, "-42\"x\"");
    assert_int_equal(len, 6);
    assert_int_equal(b.len, 0);
    free(text);
    ldr_jsonbuf_release(&b);
}

/* ---- the documents written with it -------------------------------------- */

#define REC "0193a5b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b"

static const char *const changes[] = {
    "{\"kind\":\"assessment\",\"record\":\"" REC "\",\"hlc\":"
    "\"1795711458123-00000\",\"device\":\"0193a5b2-0000-7000-8000-"
    "00000000000a\",\"author\":\"li.wei\",\"base\":0,\"set\":{\"/z\":1,"
    "\"/a/b\":[{\"y\":1,\"x\":[true,null,2.5]}],\"/s\":\"在 \\\"q\\\"\"},"
    "\"unset\":[\"/q\",\"/b~1c\"]}",
    "{\"kind\":\"assessment\",\"record\":\"" REC "\",\"hlc\":"
    "\"1795711458124-00002\",\"device\":\"0193a5b2-0000-7000-8000-"
    "00000000000b\",\"author\":\"zhang \\\"min\\\"\",\"base\":7,\"unset\":"
    "[\"/a/b\",\"/z\"]}",
    "{\"kind\":\"assessment\",\"record\":\"" REC "\",\"hlc\":"
    "\"1795711458125-00000\",\"device\":\"0193a5b2-0000-7000-8000-"
    "00000000000a\",\"author\":\"li.wei\",\"base\":9,\"set\":{\"/z\":[]}}",
};

static char *old_change_dump(const struct ldr_change *c)
{
    json_t *doc = ldr_change_to_json(c);
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);

    json_decref(doc);
    return text;
}

static void test_jsonbuf__change_dump_is_the_canonical_form(void **state)
{
    struct ldr_changeset set = {.id = REC};
    struct ldr_change c[3];
    struct ldr_err err;
    json_t *all = json_array();
    char *got, *want;

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        if (ldr_change_parse(&c[i], changes[i], strlen(changes[i]), i, NULL,
                             &err) != 0)
            fail_msg("%s", err.msg);
        got = ldr_change_dump(&c[i], NULL);
        want = old_change_dump(&c[i]);
        assert_string_equal(got, want);
        json_array_append_new(all, ldr_change_to_json(&c[i]));
        free(got);
        free(want);
    }
    set.changes = c;
    set.count = 3;
    got = ldr_changeset_dump(&set, NULL);
    all = json_pack("{s:s, s:o}", "id", REC, "changes", all);
    want = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(all);
    assert_string_equal(got, want);
    free(got);
    free(want);
    for (size_t i = 0; i < 3; i++)
        ldr_change_release(&c[i]);
}

static void test_jsonbuf__record_dump_is_the_stored_form(void **state)
{
    struct ldr_record rec;
    struct ldr_err err;
    json_t *doc;
    char *got, *want;

    (void)state;
    ldr_record_init(&rec, "assessment", REC);
    for (size_t i = 0; i < 3; i++) {
        struct ldr_change c;
        if (ldr_change_parse(&c, changes[i], strlen(changes[i]), i, NULL,
                             &err) != 0 ||
            ldr_record_apply(&rec, &c, i == 2 ? LDR_REV_PENDING : 10 + i, NULL,
                             NULL, &err) != 0)
            fail_msg("%s", err.msg);
        ldr_change_release(&c);
        doc = ldr_record_to_json(&rec);
        want = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
        got = ldr_record_dump(&rec, NULL);
        assert_string_equal(got, want);
        json_decref(doc);
        free(got);
        free(want);
    }
    ldr_record_release(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonbuf__escapes_every_byte_as_jansson),
        cmocka_unit_test(test_jsonbuf__keeps_utf8_as_it_is),
        cmocka_unit_test(test_jsonbuf__writes_scalars_as_jansson),
        cmocka_unit_test(test_jsonbuf__sorts_keys_by_bytes_then_length),
        cmocka_unit_test(test_jsonbuf__random_values_match_jansson),
        cmocka_unit_test(test_jsonbuf__detach_hands_over_and_empties),
        cmocka_unit_test(test_jsonbuf__change_dump_is_the_canonical_form),
        cmocka_unit_test(test_jsonbuf__record_dump_is_the_stored_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
