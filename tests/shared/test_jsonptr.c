#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ladder/err.h"
#include "ladder/jsonptr.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* RFC 6901 section 5, verbatim. */
static const char rfc_doc[] = "{\n"
                              "  \"foo\": [\"bar\", \"baz\"],\n"
                              "  \"\": 0,\n"
                              "  \"a/b\": 1,\n"
                              "  \"c%d\": 2,\n"
                              "  \"e^f\": 3,\n"
                              "  \"g|h\": 4,\n"
                              "  \"i\\\\j\": 5,\n"
                              "  \"k\\\"l\": 6,\n"
                              "  \" \": 7,\n"
                              "  \"m~n\": 8\n"
                              "}";

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

    if (!v)
        fail_msg("bad test JSON '%s': %s", text, jerr.text);
    return v;
}

/* Compares with the JSON text `want`, printing both sides on a mismatch. */
static void assert_json(const json_t *got, const char *want, const char *ptr)
{
    json_t *expect = load(want);

    if (!json_equal(got, expect)) {
        char *dump =
            got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        print_error("pointer '%s': got %s, want %s\n", ptr,
                    dump ? dump : "NULL", want);
        free(dump);
        json_decref(expect);
        fail();
    }
    json_decref(expect);
}

static void assert_err(const struct ldr_err *err, int code, const char *frag,
                       const char *ptr)
{
    if (err->code != code || !strstr(err->msg, frag)) {
        print_error("pointer '%s': got %s \"%s\", want %s containing \"%s\"\n",
                    ptr ? ptr : "(NULL)", ldr_code_name(err->code), err->msg,
                    ldr_code_name(code), frag);
        fail();
    }
}

static void test_jsonptr__rfc6901_examples(void **state)
{
    static const struct {
        const char *ptr;
        const char *want;
    } cases[] = {
        {"", rfc_doc},         {"/foo", "[\"bar\", \"baz\"]"},
        {"/foo/0", "\"bar\""}, {"/", "0"},
        {"/a~1b", "1"},        {"/c%d", "2"},
        {"/e^f", "3"},         {"/g|h", "4"},
        {"/i\\j", "5"},        {"/k\"l", "6"},
        {"/ ", "7"},           {"/m~0n", "8"},
    };
    json_t *doc = load(rfc_doc);
    struct ldr_err err;
    (void)state;

    for (size_t i = 0; i < COUNT(cases); i++) {
        assert_int_equal(ldr_jsonptr_check(cases[i].ptr, &err), 0);
        assert_json(ldr_jsonptr_get(doc, cases[i].ptr, &err), cases[i].want,
                    cases[i].ptr);
    }
    assert_ptr_equal(ldr_jsonptr_get(doc, "", &err), doc);
    json_decref(doc);
}

static void test_jsonptr__unescapes_tilde_one_before_tilde_zero(void **state)
{
    static const struct {
        const char *ptr;
        const char *want;
    } cases[] = {
        {"/~01", "\"tilde-one\""},  /* "~01" is "~1", never "/" */
        {"/~10", "\"slash-zero\""}, /* "~10" is "/0" */
        {"/~0~1", "\"tilde-slash\""}, {"/~1~0", "\"slash-tilde\""},
        {"/~00", "\"tilde-zero\""},
    };
    json_t *doc = load("{\"~1\": \"tilde-one\", \"/0\": \"slash-zero\", "
                       "\"~/\": \"tilde-slash\", \"/~\": \"slash-tilde\", "
                       "\"~0\": \"tilde-zero\", \"/\": \"wrong\"}");
    struct ldr_err err;
    (void)state;

    for (size_t i = 0; i < COUNT(cases); i++)
        assert_json(ldr_jsonptr_get(doc, cases[i].ptr, &err), cases[i].want,
                    cases[i].ptr);
    json_decref(doc);
}

static const struct {
    const char *key;
    const char *escaped;
} escapes[] = {
    {"", ""},
    {"plain", "plain"},
    {"a/b", "a~1b"},
    {"m~n", "m~0n"},
    {"~1", "~01"},
    {"/~", "~1~0"},
    {"~~//", "~0~0~1~1"},
    {"caf\xc3\xa9/\xe2\x82\xac", "caf\xc3\xa9~1\xe2\x82\xac"},
};

static void test_jsonptr__escape_round_trips(void **state)
{
    char buf[64], ptr[65];
    struct ldr_err err;
    (void)state;

    for (size_t i = 0; i < COUNT(escapes); i++) {
        json_t *doc = json_object();
        size_t n = ldr_jsonptr_escape(buf, sizeof buf, escapes[i].key);

        assert_int_equal(n, strlen(escapes[i].escaped));
        assert_string_equal(buf, escapes[i].escaped);
        assert_int_equal(ldr_jsonptr_escape(NULL, 0, escapes[i].key), n);
        snprintf(ptr, sizeof ptr, "/%s", buf);
        assert_int_equal(
            ldr_jsonptr_set_new(doc, ptr, json_integer((json_int_t)i), &err),
            0);
        assert_non_null(json_object_get(doc, escapes[i].key));
        assert_int_equal(json_integer_value(ldr_jsonptr_get(doc, ptr, &err)),
                         i);
        json_decref(doc);
    }
}

static void test_jsonptr__escape_truncates_like_snprintf(void **state)
{
    static const char full[] = "a~1b~0";
    char buf[sizeof full];
    (void)state;

    for (size_t cap = 1; cap <= sizeof full; cap++) {
        memset(buf, 'X', sizeof buf);
        assert_int_equal(ldr_jsonptr_escape(buf, cap, "a/b~"), strlen(full));
        assert_int_equal(strlen(buf), cap - 1);
        assert_memory_equal(buf, full, cap - 1);
    }
}

static void test_jsonptr__check_accepts_good_pointers(void **state)
{
    static const char *const good[] = {
        "",      "/",  "//", "/a",           "/a/b",
        "/~0~1", "/0", "/-", "/caf\xc3\xa9", "/\xf0\x9f\x98\x80",
    };
    struct ldr_err err;
    (void)state;

    for (size_t i = 0; i < COUNT(good); i++)
        if (ldr_jsonptr_check(good[i], &err) != 0)
            fail_msg("pointer '%s': %s", good[i], err.msg);
}

static const struct {
    const char *ptr;
    int code;
    const char *frag;
} bad_pointers[] = {
    {"a", LDR_EINVAL, "pointer 'a': must be empty or start with '/'"},
    {"~0", LDR_EINVAL, "must be empty or start with '/'"},
    {"/a/b~2", LDR_EINVAL,
     "pointer '/a/b~2': '~' must be followed by 0 or 1 at offset 5"},
    {"/a~", LDR_EINVAL, "'~' must be followed by 0 or 1 at offset 3"},
    {"/~~0", LDR_EINVAL, "at offset 2"},
    {"/~/", LDR_EINVAL, "at offset 2"},
    {"/\xff", LDR_EINVAL, "is not valid UTF-8 at offset 1"},
    {"/ab\xc3", LDR_EINVAL, "pointer '/ab...' is not valid UTF-8 at offset 3"},
    {"/\xc0\x80", LDR_EINVAL, "not valid UTF-8"},         /* overlong NUL */
    {"/\xed\xa0\x80", LDR_EINVAL, "not valid UTF-8"},     /* surrogate */
    {"/\xf4\x90\x80\x80", LDR_EINVAL, "not valid UTF-8"}, /* > U+10FFFF */
    {NULL, LDR_EINVAL, "pointer is missing"},
};

/* Every entry point rejects a bad pointer the same way, changing nothing. */
static void test_jsonptr__rejects_bad_pointers(void **state)
{
    static const char before[] = "{\"a\": {\"b\": 1}}";
    json_t *doc = load(before);
    struct ldr_err err;
    (void)state;

    for (size_t i = 0; i < COUNT(bad_pointers); i++) {
        const char *ptr = bad_pointers[i].ptr;
        int code = bad_pointers[i].code;
        const char *frag = bad_pointers[i].frag;

        assert_int_equal(ldr_jsonptr_check(ptr, &err), code);
        assert_err(&err, code, frag, ptr);
        ldr_err_clear(&err);
        assert_null(ldr_jsonptr_get(doc, ptr, &err));
        assert_err(&err, code, frag, ptr);
        assert_int_equal(ldr_jsonptr_set_new(doc, ptr, json_integer(1), &err),
                         code);
        assert_err(&err, code, frag, ptr);
        assert_int_equal(ldr_jsonptr_remove(doc, ptr, &err), code);
        assert_err(&err, code, frag, ptr);
        assert_json(doc, before, ptr ? ptr : "(NULL)");
    }
    json_decref(doc);
}

static char *repeat(const char *unit, size_t times)
{
    size_t len = strlen(unit);
    char *s = malloc(len * times + 1);

    assert_non_null(s);
    for (size_t i = 0; i < times; i++)
        memcpy(s + i * len, unit, len);
    s[len * times] = '\0';
    return s;
}

static void test_jsonptr__check_limits_segments(void **state)
{
    char *most = repeat("/a", LDR_JSONPTR_MAX_SEGMENTS);
    char *over = repeat("/a", LDR_JSONPTR_MAX_SEGMENTS + 1);
    json_t *doc = json_object();
    struct ldr_err err;
    (void)state;

    assert_int_equal(ldr_jsonptr_check(most, &err), 0);
    assert_int_equal(ldr_jsonptr_set_new(doc, most, json_true(), &err), 0);
    assert_ptr_equal(ldr_jsonptr_get(doc, most, &err), json_true());
    assert_int_equal(ldr_jsonptr_check(over, &err), LDR_ETOOBIG);
    assert_err(&err, LDR_ETOOBIG, "more than 2048 segments", "/a/a...");
    assert_int_equal(ldr_jsonptr_set_new(doc, over, json_true(), &err),
                     LDR_ETOOBIG);
    free(most);
    free(over);
    json_decref(doc);
}

static const char misses_doc[] =
    "{\"ratings\": {\"r1\": {\"level\": 2}}, \"list\": [10, 20, 30], "
    "\"n\": 5, \"s\": \"text\", \"z\": null}";

/* What get says about each miss, and what remove then returns. */
static const struct {
    const char *ptr;
    int code;
    const char *frag;
    int remove_rc;
} misses[] = {
    {"/ratings/x/level", LDR_ENOTFOUND,
     "pointer '/ratings/x/level': 'x' is not a member", 0},
    {"/nope", LDR_ENOTFOUND, "'nope' is not a member", 0},
    {"/a~1b", LDR_ENOTFOUND, "'a/b' is not a member", 0},
    {"/list/3", LDR_ENOTFOUND, "'3' is past the end of the array (size 3)", 0},
    {"/list/99999999999999999999999999", LDR_ENOTFOUND, "past the end", 0},
    {"/list/-", LDR_ENOTFOUND, "'-' names the slot after the last element", 0},
    /* a scalar on the way has nothing under it to remove */
    {"/ratings/r1/level/x", LDR_EINVAL, "'x' cannot be looked up in a number",
     0},
    {"/list/0/x", LDR_EINVAL, "'x' cannot be looked up in a number", 0},
    {"/s/0", LDR_EINVAL, "'0' cannot be looked up in a string", 0},
    {"/z/a", LDR_EINVAL, "'a' cannot be looked up in null", 0},
    /* a segment that is not an index can never match in an array */
    {"/list/01", LDR_EINVAL, "'01' is not an array index", LDR_EINVAL},
    {"/list/00", LDR_EINVAL, "'00' is not an array index", LDR_EINVAL},
    {"/list/-1", LDR_EINVAL, "'-1' is not an array index", LDR_EINVAL},
    {"/list/1x", LDR_EINVAL, "'1x' is not an array index", LDR_EINVAL},
    {"/list/+1", LDR_EINVAL, "'+1' is not an array index", LDR_EINVAL},
    {"/list/", LDR_EINVAL, "'' is not an array index", LDR_EINVAL},
    {"/list/x/y", LDR_EINVAL, "'x' is not an array index", LDR_EINVAL},
};

static void test_jsonptr__get_names_the_missing_segment(void **state)
{
    json_t *doc = load(misses_doc);
    struct ldr_err err;
    (void)state;

    for (size_t i = 0; i < COUNT(misses); i++) {
        assert_null(ldr_jsonptr_get(doc, misses[i].ptr, &err));
        assert_err(&err, misses[i].code, misses[i].frag, misses[i].ptr);
    }
    assert_json(ldr_jsonptr_get(doc, "/list/0", &err), "10", "/list/0");
    assert_json(ldr_jsonptr_get(doc, "/list/2", &err), "30", "/list/2");
    assert_null(ldr_jsonptr_get(NULL, "", &err));
    assert_int_equal(err.code, LDR_EINVAL);
    json_decref(doc);
}

/* Removing what is not there changes nothing. */
static void test_jsonptr__remove_absent_succeeds(void **state)
{
    json_t *doc = load(misses_doc);
    struct ldr_err err;
    (void)state;

    for (size_t i = 0; i < COUNT(misses); i++) {
        assert_int_equal(ldr_jsonptr_remove(doc, misses[i].ptr, &err),
                         misses[i].remove_rc);
        if (misses[i].remove_rc)
            assert_err(&err, misses[i].code, misses[i].frag, misses[i].ptr);
        assert_json(doc, misses_doc, misses[i].ptr);
    }
    json_decref(doc);
}

static void test_jsonptr__remove_deletes_members_and_elements(void **state)
{
    static const struct {
        const char *before, *ptr, *after;
    } cases[] = {
        {"{\"a\": {\"b\": 1, \"c\": 2}}", "/a/b", "{\"a\": {\"c\": 2}}"},
        {"{\"a\": [1, 2, 3]}", "/a/1", "{\"a\": [1, 3]}"},
        {"{\"a\": [1, 2, 3]}", "/a/2", "{\"a\": [1, 2]}"},
        {"[[1, 2], 3]", "/0/0", "[[2], 3]"},
        {"{\"m~n\": 1, \"a/b\": 2}", "/m~0n", "{\"a/b\": 2}"},
        {"{\"m~n\": 1, \"a/b\": 2}", "/a~1b", "{\"m~n\": 1}"},
        {"{\"\": 1, \"x\": 2}", "/", "{\"x\": 2}"},
        {"{\"a\": {\"b\": {}}}", "/a", "{}"},
    };
    struct ldr_err err;
    (void)state;

    for (size_t i = 0; i < COUNT(cases); i++) {
        json_t *doc = load(cases[i].before);
        assert_int_equal(ldr_jsonptr_remove(doc, cases[i].ptr, &err), 0);
        assert_json(doc, cases[i].after, cases[i].ptr);
        json_decref(doc);
    }
}

static void test_jsonptr__remove_rejects_root(void **state)
{
    json_t *doc = load("{\"a\": 1}");
    struct ldr_err err;
    (void)state;

    assert_int_equal(ldr_jsonptr_remove(doc, "", &err), LDR_EINVAL);
    assert_err(&err, LDR_EINVAL, "whole document cannot be removed", "");
    assert_int_equal(ldr_jsonptr_remove(NULL, "/a", &err), LDR_EINVAL);
    assert_json(doc, "{\"a\": 1}", "");
    json_decref(doc);
}

/* "-" names a new slot on every set, so get cannot find it again. */
static int names_end(const char *ptr)
{
    size_t len = strlen(ptr);

    return strstr(ptr, "/-/") || (len >= 2 && strcmp(ptr + len - 2, "/-") == 0);
}

static void test_jsonptr__set_creates_and_replaces(void **state)
{
    static const struct {
        const char *before, *ptr, *value, *after;
    } cases[] = {
        {"{}", "/a/b/c", "1", "{\"a\": {\"b\": {\"c\": 1}}}"},
        {"{\"a\": {\"x\": 1}}", "/a/b", "2", "{\"a\": {\"x\": 1, \"b\": 2}}"},
        {"{\"a\": 1}", "/a", "{\"x\": [1]}", "{\"a\": {\"x\": [1]}}"},
        /* a scalar parent gives way to an object */
        {"{\"a\": 5}", "/a/b", "1", "{\"a\": {\"b\": 1}}"},
        {"{\"a\": null}", "/a/b/c", "1", "{\"a\": {\"b\": {\"c\": 1}}}"},
        {"{\"a\": \"s\"}", "/a/0", "1", "{\"a\": {\"0\": 1}}"},
        /* arrays: replace below the length, append at it or with "-" */
        {"{\"a\": [1, 2]}", "/a/0", "9", "{\"a\": [9, 2]}"},
        {"{\"a\": [1, 2]}", "/a/1", "9", "{\"a\": [1, 9]}"},
        {"{\"a\": [1, 2]}", "/a/2", "9", "{\"a\": [1, 2, 9]}"},
        {"{\"a\": [1, 2]}", "/a/-", "9", "{\"a\": [1, 2, 9]}"},
        {"{\"a\": [1, \"s\"]}", "/a/1/k", "9", "{\"a\": [1, {\"k\": 9}]}"},
        {"{\"a\": []}", "/a/-/k", "9", "{\"a\": [{\"k\": 9}]}"},
        {"{\"a\": []}", "/a/0/k", "9", "{\"a\": [{\"k\": 9}]}"},
        {"{\"a\": [[1]]}", "/a/0/1", "2", "{\"a\": [[1, 2]]}"},
        {"[1]", "/0", "2", "[2]"},
        {"[]", "/-", "{}", "[{}]"},
        /* the "-" member of an object is just a key */
        {"{}", "/-", "1", "{\"-\": 1}"},
        {"{}", "/", "1", "{\"\": 1}"},
        {"{}", "/a~1b/~0", "1", "{\"a/b\": {\"~\": 1}}"},
        {"{}", "/ratings/relationship/level", "3",
         "{\"ratings\": {\"relationship\": {\"level\": 3}}}"},
    };
    struct ldr_err err;
    (void)state;

    for (size_t i = 0; i < COUNT(cases); i++) {
        json_t *doc = load(cases[i].before);
        json_t *value = load(cases[i].value);

        json_incref(value);
        assert_int_equal(ldr_jsonptr_set_new(doc, cases[i].ptr, value, &err),
                         0);
        assert_json(doc, cases[i].after, cases[i].ptr);
        if (!names_end(cases[i].ptr))
            assert_ptr_equal(ldr_jsonptr_get(doc, cases[i].ptr, &err), value);
        json_decref(value);
        json_decref(doc);
    }
}

static void test_jsonptr__set_rejects_and_changes_nothing(void **state)
{
    static const struct {
        const char *before, *ptr;
        int code;
        const char *frag;
    } cases[] = {
        {"{\"a\": [1, 2]}", "/a/3", LDR_EINVAL,
         "pointer '/a/3': '3' is past the end of the array (size 2); use '2' "
         "or '-' to append"},
        {"{\"a\": [1, 2]}", "/a/3/b", LDR_EINVAL, "'3' is past the end"},
        {"{\"a\": [1, 2]}", "/a/99999999999999999999999", LDR_EINVAL,
         "past the end"},
        {"{\"a\": [1, 2]}", "/a/x", LDR_EINVAL, "'x' is not an array index"},
        {"{\"a\": [1, 2]}", "/a/01/b", LDR_EINVAL, "'01' is not an array"},
        {"{\"a\": []}", "/a/1/b/c", LDR_EINVAL, "'1' is past the end"},
        {"{\"a\": 1}", "", LDR_EINVAL, "whole document cannot be replaced"},
        {"5", "/a", LDR_EINVAL, "the document is a number"},
        {"\"s\"", "/0", LDR_EINVAL, "the document is a string"},
    };
    struct ldr_err err;
    (void)state;

    for (size_t i = 0; i < COUNT(cases); i++) {
        json_t *doc = load(cases[i].before);
        json_t *value = json_object();

        json_incref(value);
        assert_int_equal(ldr_jsonptr_set_new(doc, cases[i].ptr, value, &err),
                         cases[i].code);
        assert_err(&err, cases[i].code, cases[i].frag, cases[i].ptr);
        assert_json(doc, cases[i].before, cases[i].ptr);
        /* stolen even on failure: only our extra reference is left */
        assert_int_equal(value->refcount, 1);
        json_decref(value);
        json_decref(doc);
    }
}

static void test_jsonptr__set_steals_the_value_reference(void **state)
{
    json_t *doc = json_object();
    json_t *value = json_string("v");
    struct ldr_err err;
    (void)state;

    json_incref(value);
    assert_int_equal(ldr_jsonptr_set_new(doc, "/a", value, &err), 0);
    assert_int_equal(value->refcount, 2);
    /* replacing drops the document's reference to the old value */
    assert_int_equal(ldr_jsonptr_set_new(doc, "/a", json_null(), &err), 0);
    assert_int_equal(value->refcount, 1);
    json_incref(value);
    assert_int_equal(ldr_jsonptr_set_new(NULL, "/a", value, &err), LDR_EINVAL);
    assert_int_equal(value->refcount, 1);
    assert_int_equal(ldr_jsonptr_set_new(doc, "/a", NULL, &err), LDR_EINVAL);
    json_decref(value);
    json_decref(doc);
}

static void test_jsonptr__set_refuses_cycles(void **state)
{
    json_t *doc = load("{\"a\": {\"b\": {}}}");
    json_t *a = json_object_get(doc, "a");
    struct ldr_err err;
    (void)state;

    assert_int_equal(ldr_jsonptr_set_new(doc, "/x", json_incref(doc), &err),
                     LDR_EINVAL);
    assert_err(&err, LDR_EINVAL, "would put the value inside itself", "/x");
    assert_int_equal(ldr_jsonptr_set_new(doc, "/a/b/c", json_incref(a), &err),
                     LDR_EINVAL);
    assert_int_equal(doc->refcount, 1);
    assert_int_equal(a->refcount, 1);
    /* a sibling is fine: no cycle */
    assert_int_equal(ldr_jsonptr_set_new(doc, "/copy", json_incref(a), &err),
                     0);
    assert_int_equal(a->refcount, 2);
    json_decref(doc);
}

/* Segments far past any small buffer survive intact both ways. */
static void test_jsonptr__long_segments_are_not_truncated(void **state)
{
    char *key = repeat("k~/", 3000);
    char *seg = repeat("k~0~1", 3000);
    char *ptr = malloc(strlen(seg) + 2);
    json_t *doc = json_object();
    struct ldr_err err;
    (void)state;

    assert_non_null(ptr);
    assert_int_equal(ldr_jsonptr_escape(NULL, 0, key), strlen(seg));
    snprintf(ptr, strlen(seg) + 2, "/%s", seg);
    assert_int_equal(ldr_jsonptr_set_new(doc, ptr, json_true(), &err), 0);
    assert_non_null(json_object_get(doc, key));
    assert_ptr_equal(ldr_jsonptr_get(doc, ptr, &err), json_true());
    assert_int_equal(ldr_jsonptr_remove(doc, ptr, &err), 0);
    assert_int_equal(json_object_size(doc), 0);
    free(key);
    free(seg);
    free(ptr);
    json_decref(doc);
}

/* Fails with a message that json_string() accepts, i.e. valid UTF-8. */
static void assert_utf8_msg(const struct ldr_err *err)
{
    json_t *msg = json_string(err->msg);

    assert_non_null(msg);
    json_decref(msg);
    assert_true(strlen(err->msg) < LDR_ERR_MSG_MAX - 1);
}

/* Long pointers are cut on a character boundary and marked "...". */
static void test_jsonptr__messages_stay_short_and_utf8(void **state)
{
    char *ptr = repeat("/\xc3\xa9", 400);
    char *bad = repeat("\xc3\xa9", 200);
    char *slash_bad = malloc(strlen(bad) + 2);
    json_t *doc = json_object();
    struct ldr_err err;
    (void)state;

    assert_null(ldr_jsonptr_get(doc, ptr, &err));
    assert_err(&err, LDR_ENOTFOUND, "...': '\xc3\xa9' is not a member", "");
    assert_utf8_msg(&err);
    assert_non_null(slash_bad);
    bad[298] = '\xff'; /* "/" and 149 two-byte characters before it */
    snprintf(slash_bad, strlen(bad) + 2, "/%s", bad);
    assert_int_equal(ldr_jsonptr_check(slash_bad, &err), LDR_EINVAL);
    assert_err(&err, LDR_EINVAL, "is not valid UTF-8 at offset 299", "");
    assert_utf8_msg(&err);
    json_decref(doc);
    free(ptr);
    free(bad);
    free(slash_bad);
}

/* "/aaa..." of `len` bytes with `piece` written at `at` (longer if the
 * piece runs past the end). */
static const char *placed(char out[64], size_t len, size_t at,
                          const char *piece)
{
    size_t n = strlen(piece);

    memset(out, 'a', len);
    out[0] = '/';
    memcpy(out + at, piece, n);
    out[at + n > len ? at + n : len] = '\0';
    return out;
}

/* A bad '~' or byte is refused at every place a word-at-a-time scan
 * could pass over it; the good escapes are accepted there too. */
static void test_jsonptr__check_finds_a_bad_byte_anywhere(void **state)
{
    static const char *const bad[] = {"~2", "~/", "\xc0\xaf", "\xff"};
    static const char *const good[] = {"~0", "~1", "\xe8\x83\xbd"};
    char ptr[64];
    struct ldr_err err;

    (void)state;
    for (size_t len = 1; len < 30; len++)
        for (size_t at = 1; at < len; at++) {
            for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
                if (ldr_jsonptr_check(placed(ptr, len, at, bad[k]), &err) == 0)
                    fail_msg("'%s' at %zu of %zu accepted", bad[k], at, len);
            for (size_t k = 0; k < sizeof good / sizeof *good; k++)
                if (ldr_jsonptr_check(placed(ptr, len, at, good[k]), &err) != 0)
                    fail_msg("'%s' at %zu of %zu: %s", good[k], at, len,
                             err.msg);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonptr__rfc6901_examples),
        cmocka_unit_test(test_jsonptr__unescapes_tilde_one_before_tilde_zero),
        cmocka_unit_test(test_jsonptr__escape_round_trips),
        cmocka_unit_test(test_jsonptr__escape_truncates_like_snprintf),
        cmocka_unit_test(test_jsonptr__check_accepts_good_pointers),
        cmocka_unit_test(test_jsonptr__rejects_bad_pointers),
        cmocka_unit_test(test_jsonptr__check_limits_segments),
        cmocka_unit_test(test_jsonptr__get_names_the_missing_segment),
        cmocka_unit_test(test_jsonptr__remove_absent_succeeds),
        cmocka_unit_test(test_jsonptr__remove_deletes_members_and_elements),
        cmocka_unit_test(test_jsonptr__remove_rejects_root),
        cmocka_unit_test(test_jsonptr__set_creates_and_replaces),
        cmocka_unit_test(test_jsonptr__set_rejects_and_changes_nothing),
        cmocka_unit_test(test_jsonptr__set_steals_the_value_reference),
        cmocka_unit_test(test_jsonptr__set_refuses_cycles),
        cmocka_unit_test(test_jsonptr__long_segments_are_not_truncated),
        cmocka_unit_test(test_jsonptr__messages_stay_short_and_utf8),
        cmocka_unit_test(test_jsonptr__check_finds_a_bad_byte_anywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
