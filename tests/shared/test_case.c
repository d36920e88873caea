#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ladder/case.h"
#include "ladder/err.h"
#include "ladder/jsonptr.h"
#include "ladder/model.h"
#include "ladder/uuid.h"

#define CASE_MODEL LADDER_TEST_DATA "/model-case.json"
#define REAL_MODEL LADDER_MODELS "/account-manager.json"

/* Identifiers of model "case-demo", computed apart from the code (FNV-1a
 * 128 of "ladder-case/1\n<model>\n<kind>\n<local>" as a version-8 UUID). */
#define DOC_ID "e62418b8-b4f8-8642-b992-d2aed7e93041"
#define RM_ID "909eba7b-dcd9-8d82-9e8d-5c7220918609"

static void print_problems(const struct ldr_problems *ps)
{
    for (size_t i = 0; i < ps->count; i++)
        print_message("  %s: %s\n", ps->items[i].path, ps->items[i].message);
}

static struct ldr_model *load(const char *path)
{
    struct ldr_model *m = NULL;
    struct ldr_problems ps = {0};
    struct ldr_err err = {0};

    if (ldr_model_load(&m, path, &ps, &err) != 0) {
        print_problems(&ps);
        fail_msg("cannot load %s: %s", path, err.msg);
    }
    ldr_problems_release(&ps);
    return m;
}

static json_t *export_file(const char *path, struct ldr_model **model_out)
{
    struct ldr_model *m = load(path);
    json_t *pkg = ldr_case_export(m);

    assert_non_null(pkg);
    if (model_out)
        *model_out = m;
    else
        ldr_model_free(m);
    return pkg;
}

static const json_t *at(const json_t *doc, const char *ptr)
{
    struct ldr_err err = {0};
    const json_t *v = ldr_jsonptr_get((json_t *)doc, ptr, &err);

    if (!v)
        fail_msg("%s", err.msg);
    return v;
}

static const char *str_at(const json_t *doc, const char *ptr)
{
    const char *s = json_string_value(at(doc, ptr));

    if (!s)
        fail_msg("'%s' is not a string", ptr);
    return s;
}

/* The CFItem whose humanCodingScheme is `id`. */
static const json_t *item_by_code(const json_t *pkg, const char *id)
{
    const json_t *items = json_object_get(pkg, "CFItems"), *it;
    size_t i;

    json_array_foreach(items, i, it)
    {
        const char *code =
            json_string_value(json_object_get(it, "humanCodingScheme"));
        if (code && strcmp(code, id) == 0)
            return it;
    }
    fail_msg("no CFItem with humanCodingScheme '%s'", id);
    return NULL;
}

static const char *ident(const json_t *obj)
{
    return json_string_value(json_object_get(obj, "identifier"));
}

static void
test_case__export_has_an_item_per_category_competency_grade(void **state)
{
    struct ldr_model *m;
    json_t *pkg = export_file(CASE_MODEL, &m);
    const json_t *items = json_object_get(pkg, "CFItems"), *it;
    size_t i, count[3] = {0, 0, 0};

    (void)state;
    json_array_foreach(items, i, it)
    {
        const char *type = str_at(it, "/CFItemType");
        count[0] += strcmp(type, "Category") == 0;
        count[1] += strcmp(type, "Competency") == 0;
        count[2] += strcmp(type, "Grade") == 0;
    }
    assert_int_equal(json_array_size(items), 7);
    assert_int_equal(count[0], m->ncategories);
    assert_int_equal(count[1], m->ncompetencies);
    assert_int_equal(count[2], m->ngrades);
    for (size_t k = 0; k < m->ncompetencies; k++) {
        const struct ldr_competency *c = &m->competencies[k];
        it = item_by_code(pkg, c->id);
        assert_string_equal(str_at(it, "/fullStatement"), c->title);
        assert_string_equal(str_at(it, "/notes"), c->description);
        assert_true(json_is_boolean(at(it, "/extensions/ladder/core")));
        assert_int_equal(
            json_integer_value(at(it, "/extensions/ladder/required/am2")),
            c->required[1]);
        assert_non_null(at(it, "/extensions/ladder/learning/3/0/id"));
    }
    assert_string_equal(str_at(pkg, "/CFDocument/title"), m->title);
    assert_string_equal(str_at(pkg, "/CFDocument/language"), "zh-CN");
    assert_string_equal(str_at(pkg, "/CFDocument/creator"), "Ladder");
    assert_string_equal(str_at(pkg, "/CFDocument/adoptionStatus"), "Draft");
    assert_string_equal(str_at(pkg, "/CFDocument/uri"),
                        "urn:ladder:model:case-demo");
    assert_int_equal(strlen(str_at(pkg, "/CFDocument/version")), 16);
    assert_string_equal(str_at(pkg, "/CFDocument/extensions/ladder/id"),
                        "case-demo");
    json_decref(pkg);
    ldr_model_free(m);
}

/* The isChildOf association whose origin is `child`; NULL if none, and a
 * failure if there are two. */
static const json_t *parent_link(const json_t *pkg, const char *child)
{
    const json_t *assocs = json_object_get(pkg, "CFAssociations"), *a;
    const json_t *found = NULL;
    size_t i;

    json_array_foreach(assocs, i, a)
    {
        if (strcmp(str_at(a, "/associationType"), "isChildOf") != 0 ||
            strcmp(str_at(a, "/originNodeURI/identifier"), child) != 0)
            continue;
        if (found)
            fail_msg("'%s' has two parents", child);
        found = json_object_get(a, "destinationNodeURI");
    }
    return found;
}

static void test_case__competencies_are_children_of_their_category(void **state)
{
    struct ldr_model *m;
    json_t *pkg = export_file(CASE_MODEL, &m);
    const char *doc = str_at(pkg, "/CFDocument/identifier");

    (void)state;
    for (size_t k = 0; k < m->ncompetencies; k++) {
        const struct ldr_competency *c = &m->competencies[k];
        const json_t *cat = item_by_code(pkg, c->category);
        const json_t *up = parent_link(pkg, ident(item_by_code(pkg, c->id)));

        assert_non_null(up);
        assert_string_equal(ident(up), ident(cat));
        assert_string_equal(str_at(up, "/uri"), str_at(cat, "/uri"));
        assert_string_equal(str_at(up, "/title"),
                            str_at(cat, "/fullStatement"));
    }
    for (size_t k = 0; k < m->ncategories; k++) {
        const json_t *cat = item_by_code(pkg, m->categories[k].id);
        const json_t *up = parent_link(pkg, ident(cat));

        assert_non_null(up);
        assert_string_equal(ident(up), doc);
    }
    json_decref(pkg);
    ldr_model_free(m);
}

static void
test_case__rubric_has_a_criterion_per_competency_and_levels(void **state)
{
    struct ldr_model *m;
    json_t *pkg = export_file(CASE_MODEL, &m);
    const json_t *criteria = at(pkg, "/CFRubrics/0/CFRubricCriteria");

    (void)state;
    assert_int_equal(json_array_size(at(pkg, "/CFRubrics")), 1);
    assert_int_equal(json_array_size(criteria), m->ncompetencies);
    for (size_t k = 0; k < m->ncompetencies; k++) {
        const struct ldr_competency *c = &m->competencies[k];
        const json_t *cr = json_array_get(criteria, k);
        const json_t *levels = json_object_get(cr, "CFRubricCriterionLevels");

        assert_string_equal(str_at(cr, "/CFItemURI/identifier"),
                            ident(item_by_code(pkg, c->id)));
        assert_true(json_number_value(at(cr, "/weight")) == c->weight);
        assert_int_equal(json_integer_value(at(cr, "/position")), k + 1);
        assert_int_equal(json_array_size(levels), m->nlevels);
        for (size_t l = 0; l < m->nlevels; l++) {
            const json_t *lv = json_array_get(levels, l);
            assert_string_equal(str_at(lv, "/quality"), m->levels[l].label);
            assert_string_equal(str_at(lv, "/description"), c->behaviours[l]);
            assert_int_equal(json_integer_value(at(lv, "/score")),
                             m->levels[l].level);
            assert_string_equal(str_at(lv, "/rubricCriterionId"), ident(cr));
        }
    }
    json_decref(pkg);
    ldr_model_free(m);
}

/* Checks every "identifier" anywhere in `v`; counts them in `seen`. */
static void check_identifiers(const json_t *v, json_t *seen)
{
    const char *key;
    json_t *child;
    size_t i;

    if (json_is_array(v)) {
        json_array_foreach(v, i, child)
        {
            check_identifiers(child, seen);
        }
        return;
    }
    if (!json_is_object(v))
        return;
    json_object_foreach((json_t *)v, key, child)
    {
        if (strcmp(key, "identifier") == 0 ||
            strcmp(key, "rubricCriterionId") == 0 ||
            strcmp(key, "rubricId") == 0) {
            const char *id = json_string_value(child);
            assert_non_null(id);
            assert_true(ldr_uuid_valid(id));
            assert_int_equal(id[14], '8');
            assert_non_null(strchr("89ab", id[19]));
            json_object_set_new(seen, id, json_true());
        }
        check_identifiers(child, seen);
    }
}

static void test_case__identifiers_are_stable_version_8_uuids(void **state)
{
    json_t *a = export_file(CASE_MODEL, NULL);
    json_t *b = export_file(CASE_MODEL, NULL);
    json_t *seen = json_object();
    char *ta = json_dumps(a, JSON_INDENT(2));
    char *tb = json_dumps(b, JSON_INDENT(2));
    size_t entities;

    (void)state;
    assert_string_equal(ta, tb);
    check_identifiers(a, seen);
    /* document, 7 items, 7 associations, rubric, 3 criteria, 9 levels:
     * all different (links repeat them, they add nothing new) */
    entities = 1 + 7 + 7 + 1 + 3 + 9;
    assert_int_equal(json_object_size(seen), entities);
    assert_string_equal(str_at(a, "/CFDocument/identifier"), DOC_ID);
    assert_string_equal(ident(item_by_code(a, "relationship-maintenance")),
                        RM_ID);
    free(ta);
    free(tb);
    json_decref(seen);
    json_decref(a);
    json_decref(b);
}

/* Imports `pkg` and checks the model dumps to `want`, byte for byte. */
static void import_equals(const json_t *pkg, const char *want, size_t len)
{
    struct ldr_model *back = NULL;
    struct ldr_problems ps = {0};
    struct ldr_err err = {0};
    size_t blen = 0;
    char *got;

    if (ldr_case_import(&back, pkg, &ps, &err) != 0) {
        print_problems(&ps);
        fail_msg("import: %s", err.msg);
    }
    assert_int_equal(ps.count, 0);
    got = ldr_model_dump(back, &blen);
    assert_non_null(got);
    assert_int_equal(blen, len);
    assert_string_equal(got, want);
    free(got);
    ldr_problems_release(&ps);
    ldr_model_free(back);
}

/* export -> text -> parse -> import -> dump equals the original's dump,
 * and the re-export equals the first export. */
static void round_trip(const char *path)
{
    struct ldr_model *m;
    json_t *pkg = export_file(path, &m);
    char *text = json_dumps(pkg, JSON_INDENT(2));
    json_t *reread = json_loads(text, 0, NULL);
    size_t len = 0;
    char *want = ldr_model_dump(m, &len);

    assert_non_null(reread);
    assert_non_null(want);
    import_equals(reread, want, len);
    free(want);
    free(text);
    json_decref(reread);
    json_decref(pkg);
    ldr_model_free(m);
}

static void test_case__round_trip_is_byte_identical(void **state)
{
    (void)state;
    round_trip(CASE_MODEL);
}

static void test_case__round_trip_of_the_account_manager_model(void **state)
{
    struct ldr_model *m = NULL;

    (void)state;
    if (access(REAL_MODEL, R_OK) != 0 ||
        ldr_model_load(&m, REAL_MODEL, NULL, NULL) != 0) {
        print_message("skipped: %s is missing or does not parse\n", REAL_MODEL);
        skip();
    }
    ldr_model_free(m);
    round_trip(REAL_MODEL);
}

/* A deep copy with the members of every object in reverse order. */
static json_t *reversed(const json_t *v)
{
    json_t *out, *child;
    const char *key;
    size_t i;

    if (json_is_array(v)) {
        out = json_array();
        json_array_foreach(v, i, child)
        {
            json_array_append_new(out, reversed(child));
        }
        return out;
    }
    if (!json_is_object(v))
        return json_deep_copy(v);
    {
        json_t *keys = json_array();
        out = json_object();
        json_object_foreach((json_t *)v, key, child)
        {
            json_array_insert_new(keys, 0, json_string(key));
        }
        json_array_foreach(keys, i, child)
        {
            const char *k = json_string_value(child);
            json_object_set_new(out, k, reversed(json_object_get(v, k)));
        }
        json_decref(keys);
    }
    return out;
}

static void test_case__import_ignores_key_order_and_item_order(void **state)
{
    struct ldr_model *m;
    json_t *pkg = export_file(CASE_MODEL, &m);
    json_t *rev = reversed(pkg);
    json_t *items = json_object_get(rev, "CFItems");
    json_t *flipped = json_array();
    size_t len = 0, n = json_array_size(items);
    char *want = ldr_model_dump(m, &len);

    (void)state;
    /* listEnumeration, not the array, orders the items of each kind */
    for (size_t i = n; i-- > 0;)
        json_array_append(flipped, json_array_get(items, i));
    json_object_set_new(rev, "CFItems", flipped);
    import_equals(rev, want, len);
    free(want);
    json_decref(rev);
    json_decref(pkg);
    ldr_model_free(m);
}

struct broken {
    const char *name;
    const char *ptr;   /* what to change in a good package */
    const char *value; /* JSON text to put there; NULL removes it */
    const char *from;  /* or a pointer whose value is copied there */
    const char *want;  /* a problem's path starts with this */
};

#define CRIT "/CFRubrics/0/CFRubricCriteria"
#define NO_ITEM "\"00000000-0000-8000-8000-000000000000\""

/* Items: categories 0-1, competencies 2-4, grades 5-6; the associations
 * and criteria follow the same order. */
static const struct broken broken[] = {
    {"no document", "/CFDocument", NULL, NULL, "/CFDocument"},
    {"no items", "/CFItems", NULL, NULL, "/CFItems"},
    {"no rubrics", "/CFRubrics", NULL, NULL, "/CFRubrics"},
    {"item without identifier", "/CFItems/3/identifier", NULL, NULL,
     "/CFItems/3/identifier"},
    {"unknown item type", "/CFItems/0/CFItemType", "\"Standard\"", NULL,
     "/CFItems/0/CFItemType"},
    {"duplicate identifier", "/CFItems/1/identifier", NULL,
     "/CFItems/0/identifier", "/CFItems/1/identifier"},
    {"criterion of an unknown competency", CRIT "/1/CFItemURI/identifier",
     NO_ITEM, NULL, CRIT "/1/CFItemURI"},
    {"criterion of a category", CRIT "/0/CFItemURI/identifier", NULL,
     "/CFItems/0/identifier", CRIT "/0/CFItemURI"},
    {"two criteria of one competency", CRIT "/1/CFItemURI", NULL,
     CRIT "/0/CFItemURI", CRIT "/1"},
    {"score off the scale", CRIT "/0/CFRubricCriterionLevels/0/score", "1.5",
     NULL, CRIT "/0/CFRubricCriterionLevels/0/score"},
    {"association to an unknown item",
     "/CFAssociations/2/destinationNodeURI/identifier", NO_ITEM, NULL,
     "/CFAssociations/2/destinationNodeURI"},
    {"association from an unknown item",
     "/CFAssociations/3/originNodeURI/identifier", NO_ITEM, NULL,
     "/CFAssociations/3/originNodeURI"},
    {"competency under the document", "/CFAssociations/2/destinationNodeURI",
     NULL, "/CFAssociations/0/destinationNodeURI",
     "/CFAssociations/2/destinationNodeURI"},
    {"extension repeats a CASE field", "/CFItems/2/extensions/ladder/title",
     "\"x\"", NULL, "/CFItems/2/extensions/ladder/title"},
    {"competency in no category", "/CFAssociations/2", NULL, NULL,
     "/CFItems/2"},
    {"competency without criterion", CRIT "/1", NULL, NULL, "/CFItems/3"},
    /* found by ldr_model_parse, reported where the package holds them */
    {"grade without notes", "/CFItems/5/notes", NULL, NULL, "/CFItems/5/notes"},
    {"missing behaviour", CRIT "/0/CFRubricCriterionLevels/1/description", NULL,
     NULL, CRIT "/0"},
    {"weights do not sum to 1", CRIT "/2/weight", "0.5", NULL, CRIT},
    {"core not a boolean", "/CFItems/2/extensions/ladder/core", "\"yes\"", NULL,
     "/CFItems/2/extensions/ladder/core"},
    {"unknown grade in required", "/CFItems/2/extensions/ladder/required/am9",
     "3", NULL, "/CFItems/2/extensions/ladder/required"},
    {"empty competency title", "/CFItems/3/fullStatement", "\"\"", NULL,
     "/CFItems/3/fullStatement"},
    {"evaluation does not sum to 1",
     "/CFDocument/extensions/ladder/evaluation/tests", "0.9", NULL,
     "/CFDocument/extensions/ladder/evaluation"},
    {"no title", "/CFDocument/title", NULL, NULL, "/CFDocument"},
};

static void break_package(json_t *pkg, const struct broken *b)
{
    struct ldr_err err = {0};
    json_t *v = NULL;

    if (b->from)
        v = json_deep_copy(at(pkg, b->from));
    else if (b->value)
        v = json_loads(b->value, JSON_DECODE_ANY, NULL);
    if (!b->from && !b->value)
        assert_int_equal(ldr_jsonptr_remove(pkg, b->ptr, &err), 0);
    else if (ldr_jsonptr_set_new(pkg, b->ptr, v, &err) != 0)
        fail_msg("%s: %s", b->name, err.msg);
}

static bool has_problem(const struct ldr_problems *ps, const char *prefix)
{
    for (size_t i = 0; i < ps->count; i++)
        if (strncmp(ps->items[i].path, prefix, strlen(prefix)) == 0)
            return true;
    return false;
}

static void test_case__import_reports_problems_where_they_are(void **state)
{
    json_t *good = export_file(CASE_MODEL, NULL);

    (void)state;
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        const struct broken *b = &broken[i];
        json_t *pkg = json_deep_copy(good);
        struct ldr_model *m = (struct ldr_model *)1;
        struct ldr_problems ps = {0};
        struct ldr_err err = {0};
        int rc;

        break_package(pkg, b);
        rc = ldr_case_import(&m, pkg, &ps, &err);
        if (rc != LDR_EINVAL || m != NULL || !has_problem(&ps, b->want)) {
            print_problems(&ps);
            fail_msg("%s: rc %d (%s), want a problem at %s", b->name, rc,
                     err.msg, b->want);
        }
        assert_int_equal(err.code, LDR_EINVAL);
        ldr_problems_release(&ps);
        json_decref(pkg);
    }
    json_decref(good);
}

static void test_case__import_of_something_else_fails(void **state)
{
    json_t *pkgs[] = {json_integer(3), json_object(),
                      json_pack("{s:[]}", "CFDocument")};

    (void)state;
    for (size_t i = 0; i < sizeof pkgs / sizeof pkgs[0]; i++) {
        struct ldr_model *m = NULL;
        struct ldr_problems ps = {0};
        struct ldr_err err = {0};

        assert_int_equal(ldr_case_import(&m, pkgs[i], &ps, &err), LDR_EINVAL);
        assert_null(m);
        assert_int_equal(ps.count, 1);
        assert_string_equal(ps.items[0].path, i == 0 ? "" : "/CFDocument");
        assert_non_null(strstr(err.msg, "1 problem"));
        ldr_problems_release(&ps);
        /* without a problem list the result is the same */
        assert_int_equal(ldr_case_import(&m, pkgs[i], NULL, NULL), LDR_EINVAL);
        json_decref(pkgs[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_case__export_has_an_item_per_category_competency_grade),
        cmocka_unit_test(
            test_case__competencies_are_children_of_their_category),
        cmocka_unit_test(
            test_case__rubric_has_a_criterion_per_competency_and_levels),
        cmocka_unit_test(test_case__identifiers_are_stable_version_8_uuids),
        cmocka_unit_test(test_case__round_trip_is_byte_identical),
        cmocka_unit_test(test_case__round_trip_of_the_account_manager_model),
        cmocka_unit_test(test_case__import_ignores_key_order_and_item_order),
        cmocka_unit_test(test_case__import_reports_problems_where_they_are),
        cmocka_unit_test(test_case__import_of_something_else_fails),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
