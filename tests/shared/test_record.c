/* Record state and merge: worked cases of the per-field rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ladder/err.h"
#include "ladder/jsonbuf.h"
#include "ladder/jsonptr.h"
#include "ladder/record.h"

#define REC "0193a5b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b"
#define DEV_A "0193a5b2-0000-7000-8000-00000000000a"
#define DEV_B "0193a5b2-0000-7000-8000-00000000000b"

/* Builds a change; `set` is JSON text of path: value, `unset` of paths. */
static struct ldr_change change(uint64_t ms, const char *device,
                                const char *author, uint64_t base,
                                const char *set, const char *unset)
{
    char hlc[LDR_HLC_TEXT_LEN + 1];
    struct ldr_change c;
    struct ldr_err err;
    json_t *obj;

    ldr_hlc_format(hlc, (struct ldr_hlc){ms, 0});
    obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o}", "kind",
                    "assessment", "record", REC, "hlc", hlc, "device", device,
                    "author", author, "base", (json_int_t)base, "set",
                    json_loads(set ? set : "{}", 0, NULL), "unset",
                    json_loads(unset ? unset : "[]", 0, NULL));
    assert_non_null(obj);
    if (ldr_change_from_json(&c, obj, 0, NULL, &err) != 0)
        fail_msg("%s", err.msg);
    json_decref(obj);
    return c;
}

struct journal {
    int count;
    char path[8][64];
    char winner[8][64];
    char loser[8][64];
    char loser_author[8][LDR_AUTHOR_MAX + 1];
};

static void value_text(char *out, const json_t *v)
{
    char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    snprintf(out, 64, "%s", s ? s : "(removed)");
    free(s);
}

static int record_conflict(void *ctx, const struct ldr_conflict *c)
{
    struct journal *j = ctx;
    int i = j->count++;

    assert_true(i < 8);
    snprintf(j->path[i], 64, "%s", c->path);
    value_text(j->winner[i], c->winner_value);
    value_text(j->loser[i], c->loser_value);
    snprintf(j->loser_author[i], sizeof j->loser_author[i], "%s",
             c->loser->author);
    return 0;
}

/* Applies the changes in order, collecting conflicts into `j`. */
static void apply_all(struct ldr_record *rec, struct ldr_change *cs,
                      const uint64_t *revs, size_t n, struct journal *j)
{
    struct ldr_err err;

    ldr_record_init(rec, "assessment", REC);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(
            ldr_record_apply(rec, &cs[i], revs[i], record_conflict, j, &err),
            0);
}

static void assert_value(const struct ldr_record *rec, const char *expect)
{
    json_t *v = ldr_record_value(rec);
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

    assert_string_equal(text, expect);
    free(text);
    json_decref(v);
}

static void release_all(struct ldr_change *cs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ldr_change_release(&cs[i]);
}

static void test_record__nested_fields_make_the_value(void **state)
{
    struct ldr_change c[] = {
        change(1000, DEV_A, "li", 0,
               "{\"/status\":\"draft\",\"/ratings/negotiation/level\":3,"
               "\"/ratings/negotiation/evidence\":\"led the call\"}",
               NULL)};
    uint64_t revs[] = {1};
    struct ldr_record rec;
    struct journal j = {0};

    (void)state;
    apply_all(&rec, c, revs, 1, &j);
    assert_value(&rec, "{\"ratings\":{\"negotiation\":{\"evidence\":\"led "
                       "the call\",\"level\":3}},\"status\":\"draft\"}");
    assert_int_equal(rec.rev, 1);
    assert_int_equal(rec.nwrites, 1);
    ldr_record_release(&rec);
    release_all(c, 1);
}

/* Later stamp wins whatever the arrival order; equal ms falls to device. */
static void test_record__last_writer_wins_in_any_order(void **state)
{
    static const struct {
        uint64_t ms_a, ms_b;
        const char *expect;
    } cases[] = {
        {1000, 2000, "{\"level\":2}"},
        {3000, 2000, "{\"level\":1}"},
        {2000, 2000, "{\"level\":2}"}, /* DEV_B > DEV_A */
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int flip = 0; flip < 2; flip++) {
            struct ldr_change c[2] = {
                change(cases[i].ms_a, DEV_A, "li", 0, "{\"/level\":1}", NULL),
                change(cases[i].ms_b, DEV_B, "wang", 0, "{\"/level\":2}",
                       NULL)};
            struct ldr_change order[2] = {c[flip], c[!flip]};
            uint64_t revs[] = {1, 2};
            struct ldr_record rec;
            struct journal j = {0};

            apply_all(&rec, order, revs, 2, &j);
            assert_value(&rec, cases[i].expect);
            ldr_record_release(&rec);
            release_all(c, 2);
        }
    }
}

static void test_record__applying_twice_changes_nothing(void **state)
{
    struct ldr_change c[] = {
        change(1000, DEV_A, "li", 0, "{\"/a\":1,\"/b\":2}", NULL),
        change(2000, DEV_B, "wang", 0, "{\"/a\":3}", NULL),
        change(1000, DEV_A, "li", 0, "{\"/a\":1,\"/b\":2}", NULL)};
    uint64_t revs[] = {1, 2, 1};
    struct ldr_record rec;
    struct journal j = {0};
    char *once, *twice;
    struct ldr_err err;

    (void)state;
    apply_all(&rec, c, revs, 2, &j);
    once = ldr_record_dump(&rec, NULL);
    assert_int_equal(
        ldr_record_apply(&rec, &c[2], 1, record_conflict, &j, &err), 0);
    assert_int_equal(
        ldr_record_apply(&rec, &c[1], 2, record_conflict, &j, &err), 0);
    twice = ldr_record_dump(&rec, NULL);
    assert_string_equal(once, twice);
    free(once);
    free(twice);
    ldr_record_release(&rec);
    release_all(c, 3);
}

/* may_hold is false only for a change the record has surely not merged:
 * then the hub need not look for it in its log. */
static void test_record__may_hold_rules_out_only_unmerged_changes(void **state)
{
    struct ldr_change c[] = {
        change(1000, DEV_A, "li", 0, "{\"/a\":1,\"/b\":2}", NULL),
        change(2000, DEV_B, "wang", 0, "{\"/a\":3}", NULL),
        change(3000, DEV_A, "li", 0, "{\"/a\":4,\"/c\":5}", NULL),
        change(500, DEV_B, "wang", 0, "{\"/b\":6}", NULL),
        change(4000, DEV_A, "li", 0, NULL, "[\"/b\"]")};
    uint64_t revs[] = {1, 2, 3, 4, 5};
    struct ldr_record rec;
    struct journal j = {0};

    (void)state;
    apply_all(&rec, c, revs, 2, &j);
    assert_true(ldr_record_may_hold(&rec, &c[0])); /* /a overwritten since */
    assert_true(ldr_record_may_hold(&rec, &c[1]));
    assert_false(ldr_record_may_hold(&rec, &c[2])); /* /c missing, /a older */
    assert_true(ldr_record_may_hold(&rec, &c[3]));  /* older: it would lose */
    assert_false(ldr_record_may_hold(&rec, &c[4]));
    ldr_record_release(&rec);
    apply_all(&rec, c, revs, 5, &(struct journal){0});
    for (size_t i = 0; i < 5; i++)
        assert_true(ldr_record_may_hold(&rec, &c[i]));
    ldr_record_release(&rec);
    release_all(c, 5);
}

/* A removal leaves a tombstone: an older write arriving late stays out. */
static void test_record__tombstone_keeps_older_write_out(void **state)
{
    struct ldr_change c[] = {
        change(3000, DEV_A, "li", 5, NULL, "[\"/note\"]"),
        change(2000, DEV_B, "wang", 0, "{\"/note\":\"late\"}", NULL),
        change(4000, DEV_B, "wang", 7, "{\"/note\":\"again\"}", NULL)};
    uint64_t revs[] = {6, 7, 8};
    struct ldr_record rec;
    struct journal j = {0};
    const struct ldr_field *f;
    struct ldr_err err;

    (void)state;
    apply_all(&rec, c, revs, 2, &j);
    assert_value(&rec, "{}");
    f = ldr_record_field(&rec, "/note");
    assert_non_null(f);
    assert_null(f->value);
    assert_int_equal(ldr_record_apply(&rec, &c[2], 8, NULL, NULL, &err), 0);
    assert_value(&rec, "{\"note\":\"again\"}");
    ldr_record_release(&rec);
    release_all(c, 3);
}

/* Fields go in stamp order: removing "/a" hides an older "/a/b" only. */
static void test_record__removing_a_parent_hides_older_children(void **state)
{
    struct ldr_change c[] = {
        change(1000, DEV_A, "li", 0, "{\"/a/b\":1,\"/a/c\":2}", NULL),
        change(2000, DEV_A, "li", 1, NULL, "[\"/a\"]"),
        change(3000, DEV_A, "li", 2, "{\"/a/c\":4}", NULL)};
    uint64_t revs[] = {1, 2, 3};
    struct ldr_record rec;
    struct journal j = {0};

    (void)state;
    apply_all(&rec, c, revs, 3, &j);
    assert_value(&rec, "{\"a\":{\"c\":4}}");
    assert_int_equal(j.count, 0);
    ldr_record_release(&rec);
    release_all(c, 3);
}

/* Neither author saw the other's write: the loser is reported. */
static void test_record__concurrent_loser_is_reported(void **state)
{
    (void)state;
    for (int flip = 0; flip < 2; flip++) {
        struct ldr_change c[2] = {
            change(1000, DEV_A, "li", 0, "{\"/level\":3,\"/x\":1}", NULL),
            change(2000, DEV_B, "wang", 0, "{\"/level\":4}", "[\"/x\"]")};
        struct ldr_change order[2] = {c[flip], c[!flip]};
        uint64_t revs[] = {1, 2};
        struct ldr_record rec;
        struct journal j = {0};

        apply_all(&rec, order, revs, 2, &j);
        assert_int_equal(j.count, 2);
        assert_string_equal(j.path[0], flip ? "/level" : "/level");
        assert_string_equal(j.winner[0], "4");
        assert_string_equal(j.loser[0], "3");
        assert_string_equal(j.loser_author[0], "li");
        assert_string_equal(j.path[1], "/x");
        assert_string_equal(j.winner[1], "(removed)");
        assert_string_equal(j.loser[1], "1");
        ldr_record_release(&rec);
        release_all(c, 2);
    }
}

/* Overwrites by an author who had seen the value are not conflicts. */
static void test_record__sequential_overwrite_is_not_a_conflict(void **state)
{
    static const struct {
        const char *name;
        const char *device2;
        uint64_t base2;
        int conflicts;
    } cases[] = {
        {"other device, had seen rev 1", DEV_B, 1, 0},
        {"other device, had seen a later rev", DEV_B, 9, 0},
        {"same device, stale base", DEV_A, 0, 0},
        {"other device, had not seen it", DEV_B, 0, 1},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ldr_change c[2] = {
            change(1000, DEV_A, "li", 0, "{\"/level\":3}", NULL),
            change(2000, cases[i].device2, "wang", cases[i].base2,
                   "{\"/level\":4}", NULL)};
        uint64_t revs[] = {1, 10};
        struct ldr_record rec;
        struct journal j = {0};

        apply_all(&rec, c, revs, 2, &j);
        if (j.count != cases[i].conflicts)
            fail_msg("%s: %d conflicts", cases[i].name, j.count);
        assert_value(&rec, "{\"level\":4}");
        ldr_record_release(&rec);
        release_all(c, 2);
    }
}

/* A local write not yet numbered, over a value its author had seen. */
static void test_record__pending_write_over_seen_value(void **state)
{
    struct ldr_change c[] = {
        change(1000, DEV_A, "li", 0, "{\"/level\":3}", NULL),
        change(2000, DEV_B, "wang", 4, "{\"/level\":4}", NULL),
        change(1500, DEV_B, "wang", 0, "{\"/level\":5}", NULL)};
    uint64_t revs[] = {4, LDR_REV_PENDING, LDR_REV_PENDING};
    struct ldr_record rec;
    struct journal j = {0};

    (void)state;
    apply_all(&rec, c, revs, 2, &j);
    assert_int_equal(j.count, 0);
    assert_int_equal(rec.rev, 4);
    ldr_record_release(&rec);
    apply_all(&rec, (struct ldr_change[]){c[0], c[2]}, revs, 2, &j);
    assert_int_equal(j.count, 1);
    ldr_record_release(&rec);
    release_all(c, 3);
}

static int refuse(void *ctx, const struct ldr_conflict *c)
{
    (void)ctx;
    (void)c;
    return LDR_EINVAL;
}

static void test_record__refusing_handler_leaves_record_as_it_was(void **state)
{
    struct ldr_change c[] = {
        change(2000, DEV_A, "li", 0, "{\"/a\":1,\"/b\":1}", NULL),
        change(1000, DEV_B, "wang", 0, "{\"/z\":2,\"/b\":2}", NULL)};
    struct ldr_record rec;
    struct ldr_err err;
    char *before, *after;

    (void)state;
    ldr_record_init(&rec, "assessment", REC);
    assert_int_equal(ldr_record_apply(&rec, &c[0], 1, NULL, NULL, &err), 0);
    before = ldr_record_dump(&rec, NULL);
    assert_int_equal(ldr_record_apply(&rec, &c[1], 2, refuse, NULL, &err),
                     LDR_EINVAL);
    assert_non_null(strstr(err.msg, "conflict handler stopped"));
    after = ldr_record_dump(&rec, NULL);
    assert_string_equal(before, after);
    free(before);
    free(after);
    ldr_record_release(&rec);
    release_all(c, 2);
}

static void test_record__change_for_another_record_is_refused(void **state)
{
    struct ldr_change c = change(1000, DEV_A, "li", 0, "{\"/a\":1}", NULL);
    struct ldr_record rec;
    struct ldr_err err;

    (void)state;
    ldr_record_init(&rec, "note", REC);
    assert_int_equal(ldr_record_apply(&rec, &c, 1, NULL, NULL, &err),
                     LDR_EINVAL);
    assert_non_null(strstr(err.msg, "applied to note"));
    assert_int_equal(rec.nfields, 0);
    ldr_record_release(&rec);
    ldr_change_release(&c);
}

static void test_record__state_round_trips_through_json(void **state)
{
    struct ldr_change c[] = {
        change(1000, DEV_A, "li", 0,
               "{\"/a\":[1,{\"x\":null}],\"/b/c\":\"文本\"}", NULL),
        change(2000, DEV_B, "wang", 0, "{\"/a\":true}", "[\"/gone\"]"),
        change(1500, DEV_B, "wang", 0, "{\"/p\":1.5}", NULL)};
    uint64_t revs[] = {1, 2, LDR_REV_PENDING};
    struct ldr_record rec, back;
    struct journal j = {0};
    struct ldr_err err;
    char *text, *again;
    json_t *doc;

    (void)state;
    apply_all(&rec, c, revs, 3, &j);
    text = ldr_record_dump(&rec, NULL);
    doc = json_loads(text, 0, NULL);
    ldr_record_init(&back, "assessment", REC);
    assert_int_equal(ldr_record_from_json(&back, doc, &err), 0);
    again = ldr_record_dump(&back, NULL);
    assert_string_equal(text, again);
    assert_non_null(strstr(text, "null,0]")); /* the pending write */
    free(text);
    free(again);
    json_decref(doc);
    ldr_record_release(&rec);
    ldr_record_release(&back);
    release_all(c, 3);
}

static void test_record__bad_stored_state_is_refused(void **state)
{
    static const struct {
        const char *json;
        const char *msg;
    } cases[] = {
        {"[]", "expected {\"rev\""},
        {"{\"rev\":-1,\"writes\":[],\"fields\":{}}", "expected {\"rev\""},
        {"{\"rev\":1,\"writes\":[],\"fields\":{},\"x\":1}", "expected"},
        {"{\"rev\":1,\"writes\":[[\"1\",\"" DEV_A "\",\"li\",1,0]],"
         "\"fields\":{}}",
         "/writes/0/0: "},
        {"{\"rev\":1,\"writes\":[[\"1795711458123-00000\",\"nope\",\"li\",1,"
         "0]],\"fields\":{}}",
         "bad device 'nope'"},
        {"{\"rev\":1,\"writes\":[],\"fields\":{\"/a\":[0,1]}}",
         "/fields/~1a: expected [write index"},
        {"{\"rev\":1,\"writes\":[[\"1795711458123-00000\",\"" DEV_A
         "\",\"li\",1,0]],\"fields\":{\"a\":[0,1]}}",
         "not a field path"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ldr_record rec;
        struct ldr_err err;
        json_t *doc = json_loads(cases[i].json, 0, NULL);

        assert_non_null(doc);
        ldr_record_init(&rec, "assessment", REC);
        assert_int_equal(ldr_record_from_json(&rec, doc, &err), LDR_EINVAL);
        if (!strstr(err.msg, cases[i].msg))
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].msg);
        assert_non_null(strstr(err.msg, "state of assessment"));
        assert_int_equal(rec.nfields, 0);
        ldr_record_release(&rec);
        json_decref(doc);
        /* the text parser refuses it the same way */
        ldr_record_init(&rec, "assessment", REC);
        assert_int_equal(ldr_record_parse(&rec, cases[i].json,
                                          strlen(cases[i].json), NULL, &err),
                         LDR_EINVAL);
        if (!strstr(err.msg, cases[i].msg))
            fail_msg("parse case %zu: '%s' lacks '%s'", i, err.msg,
                     cases[i].msg);
        assert_int_equal(rec.nfields, 0);
        ldr_record_release(&rec);
    }
}

/* Parses `text` both ways; both must give `expect` when dumped again. */
static void assert_parses_to(const char *text, const char *expect)
{
    struct ldr_record a, b;
    struct ldr_err err;
    json_t *doc = json_loads(text, 0, NULL);
    char *from_json, *parsed;
    size_t used = 0;

    assert_non_null(doc);
    ldr_record_init(&a, "assessment", REC);
    ldr_record_init(&b, "assessment", REC);
    if (ldr_record_from_json(&a, doc, &err) != 0)
        fail_msg("from_json: %s", err.msg);
    if (ldr_record_parse(&b, text, strlen(text), NULL, &err) != 0)
        fail_msg("parse: %s", err.msg);
    from_json = ldr_record_dump(&a, NULL);
    parsed = ldr_record_dump(&b, NULL);
    assert_string_equal(parsed, from_json);
    assert_string_equal(parsed, expect);
    ldr_record_release(&b);
    ldr_record_init(&b, "assessment", REC);
    assert_int_equal(ldr_record_parse(&b, text, strlen(text), &used, &err), 0);
    assert_int_equal(used, strlen(text) - strspn(text + used, " \n"));
    free(from_json);
    free(parsed);
    json_decref(doc);
    ldr_record_release(&a);
    ldr_record_release(&b);
}

#define W0 "[\"1795711458123-00000\",\"" DEV_A "\",\"li\",null,0]"
#define W1 "[\"1795711458124-00000\",\"" DEV_B "\",\"w\\\"ang\",7,3]"

static void test_record__parse_equals_loading_parsed_json(void **state)
{
    static const char canonical[] =
        "{\"fields\":{\"/a\":[1,[1,{\"x\":null}]],\"/b\":[0],\"/c\":[1,"
        "-12],\"/d\":[0,1500.0],\"/e\":[1,\"t\\n\\u0001\\\"文\"],"
        "\"/f~1g\":[0,true],\"/h\":[1,1234567890123456789]},\"rev\":7,"
        "\"writes\":[" W0 "," W1 "]}";

    (void)state;
    assert_parses_to(canonical, canonical);
    /* any key order, white space, an escaped path, a big integer */
    assert_parses_to(
        " { \"writes\" : [ " W0 " , " W1 " ] , \"rev\" : 7 , \"fields\" : "
        "{ \"/h\" : [ 1 , 1234567890123456789 ] , \"/f\\u007e1g\" : [0,true],"
        "\"/a\":[1,[1,{\"x\":null}]],\"/e\":[1,\"t\\n\\u0001\\\"文\"],"
        "\"/d\":[0,1.5e3],\"/c\":[1,-12],\"/b\":[0] } }  \n",
        canonical);
}

static void test_record__parse_refuses_broken_text(void **state)
{
    static const char *const cases[] = {
        "",
        "{\"rev\":1,\"writes\":[],\"fields\":{}} x",
        "{\"rev\":1,\"writes\":[],\"fields\":{}",
        "{\"rev\":1,\"rev\":1,\"writes\":[],\"fields\":{}}",
        "{\"rev\":1,\"writes\":[],\"fields\":{\"/a\":[0,1]}}",
        "{\"rev\":1,\"writes\":[" W0 "],\"fields\":{\"/a\":[0,1],\"/a\":"
        "[0,2]}}",
        "{\"rev\":1,\"writes\":[" W0 "],\"fields\":{\"/a\":[0,01]}}",
        "{\"rev\":1,\"writes\":[" W0 "],\"fields\":{\"/a\":[0,\"\xff\"]}}",
        "{\"rev\":1.0,\"writes\":[],\"fields\":{}}",
        "{\"rev\":1,\"writes\":[[\"1795711458123-00000\",\"" DEV_A
        "\",\"li\",-1,0]],\"fields\":{}}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ldr_record rec;
        struct ldr_err err;

        ldr_record_init(&rec, "assessment", REC);
        if (ldr_record_parse(&rec, cases[i], strlen(cases[i]), NULL, &err) !=
            LDR_EINVAL)
            fail_msg("case %zu was taken", i);
        assert_non_null(strstr(err.msg, "state of assessment"));
        assert_int_equal(rec.nfields, 0);
        assert_int_equal(rec.nwrites, 0);
        ldr_record_release(&rec);
    }
}

/* Merging two partial states gives the state of applying everything. */
static void test_record__merging_states_equals_applying_changes(void **state)
{
    struct ldr_change c[] = {
        change(1000, DEV_A, "li", 0, "{\"/a\":1,\"/b\":1}", NULL),
        change(2000, DEV_B, "wang", 0, "{\"/b\":2}", "[\"/c\"]"),
        change(3000, DEV_A, "li", 2, "{\"/c\":3}", NULL)};
    uint64_t revs[] = {1, 2, 3};
    struct ldr_record all, left, right;
    struct journal j = {0};
    struct ldr_err err;
    char *x, *y;

    (void)state;
    apply_all(&all, c, revs, 3, &j);
    apply_all(&left, c, revs, 1, &j);
    apply_all(&right, c + 1, revs + 1, 2, &j);
    assert_int_equal(ldr_record_merge(&left, &right, &err), 0);
    x = ldr_record_dump(&all, NULL);
    y = ldr_record_dump(&left, NULL);
    assert_string_equal(x, y);
    free(x);
    free(y);
    ldr_record_release(&all);
    ldr_record_release(&left);
    ldr_record_release(&right);
    release_all(c, 3);
}

/* Showing the value never changes the state it is built from. */
static void test_record__value_leaves_array_fields_untouched(void **state)
{
    struct ldr_change c[] = {
        change(1000, DEV_A, "li", 0, "{\"/a\":[1,{\"k\":1}]}", NULL),
        change(2000, DEV_A, "li", 1, "{\"/a/1/k\":2}", NULL)};
    uint64_t revs[] = {1, 2};
    struct ldr_record rec;
    struct journal j = {0};
    char *before, *after;

    (void)state;
    apply_all(&rec, c, revs, 2, &j);
    before = ldr_record_dump(&rec, NULL);
    assert_value(&rec, "{\"a\":[1,{\"k\":2}]}");
    assert_value(&rec, "{\"a\":[1,{\"k\":2}]}");
    after = ldr_record_dump(&rec, NULL);
    assert_string_equal(before, after);
    assert_non_null(strstr(after, "[0,[1,{\"k\":1}]]"));
    free(before);
    free(after);
    ldr_record_release(&rec);
    release_all(c, 2);
}

/* ---- the value written without a tree ----------------------------------- */

static uint64_t seed;

static size_t pick(size_t n)
{
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (size_t)((seed >> 33) % n);
}

/* Keys whose sort order differs from their paths' ("a-b" < "a/..." as
 * paths, "a" < "a-b" as keys), escapes, digits, non-ASCII. */
static const char *const keys[] = {"a", "a-b", "b", "~1x", "~0",
                                   "0", "10",  "2", "级",  "A"};
#define NKEYS (sizeof keys / sizeof keys[0])

static void random_path(char *out, size_t depth)
{
    out[0] = '\0';
    for (size_t d = 0; d < depth; d++) {
        strcat(out, "/");
        strcat(out, keys[pick(NKEYS)]);
    }
}

static json_t *random_leaf(void)
{
    switch (pick(5)) {
    case 0:
        return json_integer((json_int_t)pick(100));
    case 1:
        return json_sprintf("v\"%zu\\", pick(9));
    case 2:
        return json_null();
    case 3:
        return json_pack("[{s:i, s:s}]", "z", 1, "a", "x");
    default:
        return json_real(0.5);
    }
}

/* A record of random changes: with `nesting`, paths may lie inside
 * others (the tree's way); without, they are all of one depth. */
static void random_record(struct ldr_record *rec, bool nesting)
{
    size_t nchanges = 1 + pick(6), depth = 1 + pick(3);
    struct ldr_err err;

    ldr_record_init(rec, "assessment", REC);
    for (size_t c = 0; c < nchanges; c++) {
        json_t *set = json_object(), *unset = json_array(), *doc;
        char hlc[LDR_HLC_TEXT_LEN + 1], path[64];
        struct ldr_change ch;

        for (size_t k = 0, n = 1 + pick(5); k < n; k++) {
            random_path(path, nesting ? 1 + pick(3) : depth);
            if (json_object_get(set, path))
                continue;
            if (pick(5) == 0)
                json_array_append_new(unset, json_string(path));
            else
                json_object_set_new(set, path, random_leaf());
        }
        ldr_hlc_format(hlc, (struct ldr_hlc){1000 + c, 0});
        doc =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:o}", "kind",
                      "assessment", "record", REC, "hlc", hlc, "device", DEV_A,
                      "author", "li", "base", 0, "set", set, "unset", unset);
        /* sets that nest or repeat a path are refused: skip them */
        if (ldr_change_from_json(&ch, doc, 0, NULL, &err) == 0) {
            assert_int_equal(
                ldr_record_apply(rec, &ch, c + 1, NULL, NULL, &err), 0);
            ldr_change_release(&ch);
        }
        json_decref(doc);
    }
}

/* With no path inside another, the value is each field's value at its
 * path, set from the top in any order. */
static void check_flat_value(const struct ldr_record *rec, const json_t *v,
                             uint64_t start)
{
    json_t *want = json_object();
    struct ldr_err err;

    for (size_t i = 0; i < rec->nfields; i++)
        if (rec->fields[i].value)
            assert_int_equal(
                ldr_jsonptr_set_new(want, rec->fields[i].path,
                                    json_deep_copy(rec->fields[i].value), &err),
                0);
    if (!json_equal(want, v)) {
        char *a = json_dumps(v, JSON_SORT_KEYS), *b = json_dumps(want, 0);
        fail_msg("seed %llu: %s\nwant %s", (unsigned long long)start, a, b);
    }
    json_decref(want);
}

static void test_record__value_text_equals_the_tree_dump(void **state)
{
    (void)state;
    for (uint64_t start = 1; start <= 3000; start++) {
        struct ldr_jsonbuf fast, tree;
        struct ldr_record rec;
        json_t *v;

        seed = start;
        random_record(&rec, start % 2 == 0);
        ldr_jsonbuf_init(&fast);
        ldr_jsonbuf_init(&tree);
        ldr_record_write_value(&fast, &rec);
        v = ldr_record_value(&rec);
        ldr_jsonbuf_value(&tree, v, true);
        assert_false(fast.oom || tree.oom);
        if (fast.len != tree.len || memcmp(fast.data, tree.data, fast.len))
            fail_msg("seed %llu: %.*s\nvs tree %.*s", (unsigned long long)start,
                     (int)fast.len, fast.data, (int)tree.len, tree.data);
        if (start % 2 == 1) /* no path inside another */
            check_flat_value(&rec, v, start);
        json_decref(v);
        ldr_jsonbuf_release(&fast);
        ldr_jsonbuf_release(&tree);
        ldr_record_release(&rec);
    }
}

/* Whether a field's path lies inside another's. */
static bool paths_nest(const struct ldr_record *rec)
{
    for (size_t i = 0; i < rec->nfields; i++)
        for (size_t j = 0; j < rec->nfields; j++) {
            const char *a = rec->fields[i].path, *b = rec->fields[j].path;
            size_t n = strlen(a);

            if (i != j && strncmp(a, b, n) == 0 && b[n] == '/')
                return true;
        }
    return false;
}

/* Unless paths nest (then it is the whole value), the head holds the
 * value's members that are fields of their own, and lacks only members
 * that are objects of deeper fields. */
static void check_head(const struct ldr_record *rec, const json_t *head,
                       const json_t *v, uint64_t start)
{
    char path[128] = "/";
    const char *key;
    json_t *m;

    if (paths_nest(rec)) {
        if (!json_equal(head, v))
            fail_msg("seed %llu: paths nest, the head is not the value",
                     (unsigned long long)start);
        return;
    }
    json_object_foreach((json_t *)v, key, m)
    {
        const json_t *h = json_object_get(head, key);
        const struct ldr_field *f;

        ldr_jsonptr_escape(path + 1, sizeof path - 1, key);
        f = ldr_record_field(rec, path);
        if (f && f->value ? !h || !json_equal(h, m) : h || !json_is_object(m))
            fail_msg("seed %llu: member '%s' %s in the head",
                     (unsigned long long)start, key, h ? "wrongly" : "not");
    }
    json_object_foreach((json_t *)head, key, m)
    {
        if (!json_object_get(v, key))
            fail_msg("seed %llu: the head has '%s', the value has not",
                     (unsigned long long)start, key);
    }
}

static void test_record__head_is_the_value_s_own_fields(void **state)
{
    (void)state;
    for (uint64_t start = 1; start <= 3000; start++) {
        struct ldr_record rec;
        json_t *v, *head;

        seed = start;
        random_record(&rec, start % 2 == 0);
        v = ldr_record_value(&rec);
        head = ldr_record_head(&rec);
        assert_non_null(v);
        assert_non_null(head);
        check_head(&rec, head, v, start);
        json_decref(v);
        json_decref(head);
        ldr_record_release(&rec);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record__nested_fields_make_the_value),
        cmocka_unit_test(test_record__value_text_equals_the_tree_dump),
        cmocka_unit_test(test_record__head_is_the_value_s_own_fields),
        cmocka_unit_test(test_record__last_writer_wins_in_any_order),
        cmocka_unit_test(test_record__applying_twice_changes_nothing),
        cmocka_unit_test(test_record__may_hold_rules_out_only_unmerged_changes),
        cmocka_unit_test(test_record__tombstone_keeps_older_write_out),
        cmocka_unit_test(test_record__removing_a_parent_hides_older_children),
        cmocka_unit_test(test_record__concurrent_loser_is_reported),
        cmocka_unit_test(test_record__sequential_overwrite_is_not_a_conflict),
        cmocka_unit_test(test_record__pending_write_over_seen_value),
        cmocka_unit_test(test_record__refusing_handler_leaves_record_as_it_was),
        cmocka_unit_test(test_record__change_for_another_record_is_refused),
        cmocka_unit_test(test_record__state_round_trips_through_json),
        cmocka_unit_test(test_record__bad_stored_state_is_refused),
        cmocka_unit_test(test_record__parse_equals_loading_parsed_json),
        cmocka_unit_test(test_record__parse_refuses_broken_text),
        cmocka_unit_test(test_record__merging_states_equals_applying_changes),
        cmocka_unit_test(test_record__value_leaves_array_fields_untouched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
