/* Competency models: every validation rule, parsed values, the canonical
 * dump and the checks of assessment pieces against a model. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ladder/err.h"
#include "ladder/jsonptr.h"
#include "ladder/model.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define DEMO LADDER_TEST_DATA "/model-demo.json"
#define DEMO_CANONICAL LADDER_TEST_DATA "/model-demo.canonical.json"
#define ACCOUNT_MANAGER LADDER_MODELS "/account-manager.json"

/* One edit of the demo model: set `json` at `ptr` (`times` times, for
 * appends), or remove `ptr` when `json` is NULL. */
struct op {
    const char *ptr;
    const char *json;
    int times;
};

#define SET(ptr, json)                                                         \
    {                                                                          \
        ptr, json, 1                                                           \
    }
#define DEL(ptr)                                                               \
    {                                                                          \
        ptr, NULL, 1                                                           \
    }
#define REPEAT(ptr, json, times)                                               \
    {                                                                          \
        ptr, json, times                                                       \
    }

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f)
        fail_msg("cannot open '%s'", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

static json_t *demo_json(void)
{
    json_error_t jerr;
    json_t *doc = json_load_file(DEMO, JSON_REJECT_DUPLICATES, &jerr);

    if (!doc)
        fail_msg("%s:%d: %s", DEMO, jerr.line, jerr.text);
    return doc;
}

static void apply(json_t *doc, const struct op *ops, size_t n)
{
    struct ldr_err err = {0};

    for (size_t i = 0; i < n && ops[i].ptr; i++) {
        for (int t = 0; t < ops[i].times; t++) {
            json_error_t jerr;
            json_t *v;

            if (!ops[i].json) {
                assert_int_equal(ldr_jsonptr_remove(doc, ops[i].ptr, &err), 0);
                continue;
            }
            v = json_loads(ops[i].json, JSON_DECODE_ANY, &jerr);
            if (!v)
                fail_msg("bad test JSON '%s': %s", ops[i].json, jerr.text);
            if (ldr_jsonptr_set_new(doc, ops[i].ptr, v, &err))
                fail_msg("set '%s': %s", ops[i].ptr, err.msg);
        }
    }
}

/* Parses `doc` as text; the problems go to `p`. */
static int parse_doc(json_t *doc, struct ldr_model **m, struct ldr_problems *p,
                     struct ldr_err *err)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    int rc;

    assert_non_null(text);
    rc = ldr_model_parse(m, text, strlen(text), p, err);
    free(text);
    return rc;
}

static void print_problems(const struct ldr_problems *p)
{
    for (size_t i = 0; i < p->count; i++)
        print_error("  %s: %s\n", p->items[i].path, p->items[i].message);
}

static bool has_problem(const struct ldr_problems *p, const char *path,
                        const char *frag)
{
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->items[i].path, path) == 0 &&
            strstr(p->items[i].message, frag))
            return true;
    return false;
}

static struct ldr_model *load_demo(void)
{
    struct ldr_problems p = {0};
    struct ldr_err err = {0};
    struct ldr_model *m = NULL;

    if (ldr_model_load(&m, DEMO, &p, &err)) {
        print_problems(&p);
        fail_msg("demo model: %s", err.msg);
    }
    ldr_problems_release(&p);
    return m;
}

static char *dump_of(const char *text, size_t len, size_t *out_len)
{
    struct ldr_problems p = {0};
    struct ldr_err err = {0};
    struct ldr_model *m = NULL;
    char *out;

    if (ldr_model_parse(&m, text, len, &p, &err)) {
        print_problems(&p);
        fail_msg("%s", err.msg);
    }
    out = ldr_model_dump(m, out_len);
    assert_non_null(out);
    ldr_model_free(m);
    ldr_problems_release(&p);
    return out;
}

static void test_model__demo_parses_with_its_values(void **state)
{
    struct ldr_model *m = load_demo();
    const struct ldr_competency *vs;
    const struct ldr_question *q;

    (void)state;
    assert_string_equal(m->id, "demo");
    assert_string_equal(m->title, "示例模型");
    assert_string_equal(m->language, "zh-CN");
    assert_non_null(m->description);
    assert_int_equal(m->nlevels, 3);
    assert_int_equal(m->levels[2].level, 3);
    assert_string_equal(m->levels[2].label, "精通");
    assert_int_equal(m->ngrades, 2);
    assert_string_equal(m->grades[1].id, "g2");
    assert_int_equal(m->ncategories, 2);
    assert_int_equal(m->ncompetencies, 2);
    vs = &m->competencies[1];
    assert_string_equal(vs->id, "value-selling");
    assert_string_equal(vs->category, "sales");
    assert_float_equal(vs->weight, 0.4, 1e-12);
    assert_false(vs->core);
    assert_true(m->competencies[0].core);
    assert_string_equal(vs->behaviours[2], "量化方案价值");
    assert_int_equal(vs->required[0], 1);
    assert_int_equal(vs->required[1], 3);
    assert_int_equal(vs->learning[1].count, 2);
    assert_string_equal(vs->learning[1].items[1].id, "vs-practice-2");
    assert_string_equal(vs->learning[1].items[1].kind, "practice");
    assert_float_equal(vs->learning[0].items[0].hours, 1.5, 0);
    assert_float_equal(m->competencies[0].learning[2].items[0].hours, 0, 0);
    assert_int_equal(m->nquestions, 2);
    q = &m->questions[1];
    assert_int_equal(q->nchoices, 4);
    assert_string_equal(q->choices[3].id, "d");
    assert_string_equal(q->choices[3].text, "客户的业务目标");
    assert_string_equal(q->answer, "d");
    assert_float_equal(q->points, 2.5, 0);
    assert_float_equal(m->eval.ratings, 0.6, 0);
    assert_float_equal(m->eval.performance, 0.3, 0);
    assert_int_equal(m->ncerts, 2);
    assert_string_equal(m->certs[1].grade, "g2");
    assert_float_equal(m->certs[1].min_ability, 65.5, 0);
    assert_int_equal(m->certs[0].max_gaps, 1);
    assert_int_equal(m->certs[1].validity_months, 12);
    assert_int_equal(m->certs[0].nmust_meet, 1);
    assert_string_equal(m->certs[0].must_meet[0], "relationship-maintenance");
    ldr_model_free(m);
}

/* One broken rule: where the problem is and what its message says.
 * `count` is how many problems there are in all (0: not checked, when one
 * mistake rightly causes others). */
struct bad {
    const char *name;
    struct op ops[3];
    const char *path;
    const char *frag;
    size_t count;
};

#define RULE                                                                   \
    "{\"min_overall\": 60, \"min_ability\": 55, "                              \
    "\"min_performance\": 60, \"max_gaps\": 1, \"must_meet\": [], "            \
    "\"validity_months\": 24}"
#define LEVEL "{\"level\": 4, \"label\": \"x\", \"description\": \"x\"}"
#define GRADE "{\"id\": \"g1\", \"title\": \"x\", \"description\": \"x\"}"
#define C0 "/competencies/0"
#define C1 "/competencies/1"
#define Q1 "/questions/1"

static const struct bad bad_models[] = {
    /* the document */
    {"format",
     {SET("/format", "\"ladder-model/2\"")},
     "/format",
     "expected \"ladder-model/1\", got 'ladder-model/2'",
     1},
    {"format missing", {DEL("/format")}, "", "missing member 'format'", 1},
    {"unknown member",
     {SET("/colour", "\"red\"")},
     "/colour",
     "unknown member 'colour'; expected one of format, id",
     1},
    {"id capitals", {SET("/id", "\"Demo\"")}, "/id", "expected a slug", 1},
    {"id dot", {SET("/id", "\"demo.v1\"")}, "/id", "got 'demo.v1'", 1},
    {"id space", {SET("/id", "\"demo model\"")}, "/id", "expected a slug", 1},
    {"id digit first", {SET("/id", "\"1demo\"")}, "/id", "expected a slug", 1},
    {"id too long",
     {SET("/id",
          "\"ab1234567890123456789012345678901234567890123456789012345678"
          "90123\"")},
     "/id",
     "expected a slug",
     1},
    {"id type", {SET("/id", "7")}, "/id", "got 7", 1},
    {"title empty",
     {SET("/title", "\"\"")},
     "/title",
     "expected a non-empty string, got ''",
     1},
    {"title missing", {DEL("/title")}, "", "missing member 'title'", 1},
    {"description empty",
     {SET("/description", "\"\"")},
     "/description",
     "expected a non-empty string",
     1},
    {"language",
     {SET("/language", "\"zh_CN\"")},
     "/language",
     "expected a BCP 47 language tag",
     1},
    {"language short", {SET("/language", "\"z\"")}, "/language", "BCP 47", 1},
    /* scale */
    {"scale of 1",
     {SET("/scale", "[{\"level\":1,\"label\":\"a\",\"description\":\"b\"}]")},
     "/scale",
     "expected 2 to 10 levels, got 1",
     1},
    {"scale of 11",
     {REPEAT("/scale/-", LEVEL, 8)},
     "/scale",
     "expected 2 to 10 levels, got 11",
     0},
    {"scale type",
     {SET("/scale", "\"x\"")},
     "/scale",
     "expected an array, got 'x'",
     1},
    {"scale numbering",
     {SET("/scale/1/level", "3")},
     "/scale/1/level",
     "expected 2: levels are numbered 1, 2, 3",
     1},
    {"scale level type",
     {SET("/scale/1/level", "\"2\"")},
     "/scale/1/level",
     "expected an integer, got '2'",
     1},
    {"scale label missing",
     {DEL("/scale/0/label")},
     "/scale/0",
     "missing member 'label'",
     1},
    {"scale description empty",
     {SET("/scale/2/description", "\"\"")},
     "/scale/2/description",
     "non-empty",
     1},
    {"scale item type",
     {SET("/scale/0", "\"x\"")},
     "/scale/0",
     "expected an object, got 'x'",
     1},
    {"scale unknown member",
     {SET("/scale/0/colour", "1")},
     "/scale/0/colour",
     "unknown member 'colour'",
     1},
    /* grades */
    {"no grades",
     {SET("/grades", "[]")},
     "/grades",
     "expected 1 to 20 grades, got 0",
     0},
    {"21 grades",
     {REPEAT("/grades/-", GRADE, 19)},
     "/grades",
     "expected 1 to 20 grades, got 21",
     0},
    {"grade id duplicate",
     {SET("/grades/1/id", "\"g1\"")},
     "/grades/1/id",
     "duplicate id 'g1' (also /grades/0)",
     0},
    {"grade id slug",
     {SET("/grades/0/id", "\"G 1\"")},
     "/grades/0/id",
     "expected a slug",
     0},
    {"grade description missing",
     {DEL("/grades/1/description")},
     "/grades/1",
     "missing member 'description'",
     1},
    /* categories */
    {"no categories",
     {SET("/categories", "[]")},
     "/categories",
     "expected at least 1 category",
     0},
    {"category duplicate",
     {SET("/categories/1/id", "\"relationship\"")},
     "/categories/1/id",
     "duplicate id 'relationship' (also /categories/0)",
     0},
    {"category unknown member",
     {SET("/categories/0/description", "\"x\"")},
     "/categories/0/description",
     "unknown member 'description'",
     1},
    /* competencies */
    {"no competencies",
     {SET("/competencies", "[]")},
     "/competencies",
     "expected at least 1 competency",
     0},
    {"competency duplicate",
     {SET(C1 "/id", "\"relationship-maintenance\"")},
     C1 "/id",
     "duplicate id 'relationship-maintenance' (also /competencies/0)",
     0},
    {"competency id slug",
     {SET(C1 "/id", "\"Value_Selling\"")},
     C1 "/id",
     "expected a slug",
     0},
    {"competency category",
     {SET(C1 "/category", "\"marketing\"")},
     C1 "/category",
     "category 'marketing' is not defined in /categories",
     1},
    {"competency title missing",
     {DEL(C0 "/title")},
     C0,
     "missing member 'title'",
     1},
    {"competency unknown member",
     {SET(C0 "/wieght", "0.5")},
     C0 "/wieght",
     "unknown member 'wieght'",
     1},
    {"weight zero",
     {SET(C0 "/weight", "0")},
     C0 "/weight",
     "expected a number in (0, 1], got 0",
     2},
    {"weight over 1",
     {SET(C0 "/weight", "1.5")},
     C0 "/weight",
     "expected a number in (0, 1], got 1.5",
     2},
    {"weight type",
     {SET(C0 "/weight", "\"0.6\"")},
     C0 "/weight",
     "expected a number in (0, 1]",
     1},
    {"weights sum",
     {SET(C1 "/weight", "0.33")},
     "/competencies",
     "weights sum to 0.93, expected 1",
     1},
    {"core type",
     {SET(C0 "/core", "\"yes\"")},
     C0 "/core",
     "expected true or false, got 'yes'",
     1},
    {"behaviour missing",
     {DEL(C0 "/behaviours/3")},
     C0 "/behaviours",
     "missing the description of level 3",
     1},
    {"behaviour off the scale",
     {SET(C0 "/behaviours/4", "\"x\"")},
     C0 "/behaviours/4",
     "level 4 is not on the scale 1..3",
     1},
    {"behaviour level 0",
     {SET(C0 "/behaviours/0", "\"x\"")},
     C0 "/behaviours/0",
     "level 0 is not on the scale 1..3",
     1},
    {"behaviour key",
     {SET(C0 "/behaviours/one", "\"x\"")},
     C0 "/behaviours/one",
     "unknown key 'one'; expected a level 1..3",
     1},
    {"behaviour leading zero",
     {SET(C0 "/behaviours/01", "\"x\"")},
     C0 "/behaviours/01",
     "unknown key '01'",
     1},
    {"behaviour empty",
     {SET(C0 "/behaviours/2", "\"\"")},
     C0 "/behaviours/2",
     "expected a non-empty description, got ''",
     1},
    {"behaviours type",
     {SET(C0 "/behaviours", "[]")},
     C0 "/behaviours",
     "expected an object, got an array",
     1},
    {"required missing",
     {DEL(C0 "/required/g2")},
     C0 "/required",
     "missing the required level of grade 'g2'",
     1},
    {"required unknown grade",
     {SET(C0 "/required/L6", "3")},
     C0 "/required/L6",
     "grade 'L6' is not defined in /grades",
     1},
    {"required off the scale",
     {SET(C1 "/required/g2", "4")},
     C1 "/required/g2",
     "expected an integer level on the scale 1..3, got 4",
     1},
    {"required zero",
     {SET(C1 "/required/g1", "0")},
     C1 "/required/g1",
     "on the scale 1..3, got 0",
     1},
    {"required real",
     {SET(C1 "/required/g1", "1.5")},
     C1 "/required/g1",
     "got 1.5",
     1},
    {"required falls",
     {SET(C0 "/required/g1", "3")},
     C0 "/required/g2",
     "level 2 is below the level 3 of the lower grade 'g1'",
     1},
    {"learning missing",
     {DEL(C0 "/learning/2")},
     C0 "/learning",
     "missing the activities that lead to level 2",
     1},
    {"learning empty",
     {SET(C0 "/learning/2", "[]")},
     C0 "/learning/2",
     "expected at least one activity",
     1},
    {"learning type",
     {SET(C0 "/learning/2", "{}")},
     C0 "/learning/2",
     "expected an array of activities, got an object",
     1},
    {"learning off the scale",
     {SET(C0 "/learning/4",
          "[{\"id\":\"x\",\"kind\":\"course\",\"title\":\"x\"}]")},
     C0 "/learning/4",
     "level 4 is not on the scale 1..3",
     1},
    {"activity duplicate",
     {SET(C1 "/learning/1/0/id", "\"rm-course-1\"")},
     C1 "/learning/1/0/id",
     "duplicate activity id 'rm-course-1' (also /competencies/0/learning/1/0)",
     1},
    {"activity id slug",
     {SET(C1 "/learning/1/0/id", "\"VS 1\"")},
     C1 "/learning/1/0/id",
     "expected a slug",
     1},
    {"activity kind",
     {SET(C1 "/learning/2/1/kind", "\"lecture\"")},
     C1 "/learning/2/1/kind",
     "expected one of course, practice, coaching, reading, project, got "
     "'lecture'",
     1},
    {"activity hours",
     {SET(C1 "/learning/1/0/hours", "-1")},
     C1 "/learning/1/0/hours",
     "expected a number >= 0, got -1",
     1},
    {"activity title missing",
     {DEL(C1 "/learning/1/0/title")},
     C1 "/learning/1/0",
     "missing member 'title'",
     1},
    {"activity unknown member",
     {SET(C1 "/learning/1/0/url", "\"x\"")},
     C1 "/learning/1/0/url",
     "unknown member 'url'",
     1},
    {"activity type",
     {SET(C1 "/learning/1/0", "3")},
     C1 "/learning/1/0",
     "expected an object, got 3",
     1},
    /* questions */
    {"questions type",
     {SET("/questions", "{}")},
     "/questions",
     "expected an array, got an object",
     1},
    {"question duplicate",
     {SET(Q1 "/id", "\"q-rm-01\"")},
     Q1 "/id",
     "duplicate id 'q-rm-01' (also /questions/0)",
     1},
    {"question competency",
     {SET(Q1 "/competency", "\"negotiation\"")},
     Q1 "/competency",
     "competency 'negotiation' is not defined in /competencies",
     1},
    {"question stem", {SET(Q1 "/stem", "\"\"")}, Q1 "/stem", "non-empty", 1},
    {"question one choice",
     {SET(Q1 "/choices", "{\"a\": \"x\"}"), SET(Q1 "/answer", "\"a\"")},
     Q1 "/choices",
     "expected 2 to 8 choices, got 1",
     1},
    {"question nine choices",
     {SET(Q1 "/choices", "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\","
                         "\"e\":\"5\",\"f\":\"6\",\"g\":\"7\",\"h\":\"8\","
                         "\"i\":\"9\"}")},
     Q1 "/choices",
     "expected 2 to 8 choices, got 9",
     2},
    {"choice key gap",
     {DEL(Q1 "/choices/d"), SET(Q1 "/choices/e", "\"x\""),
      SET(Q1 "/answer", "\"a\"")},
     Q1 "/choices/e",
     "unknown choice 'e'; choices are keyed a, b, c",
     1},
    {"choice key capital",
     {SET(Q1 "/choices/A", "\"x\"")},
     Q1 "/choices/A",
     "unknown choice 'A'",
     1},
    {"choice text",
     {SET(Q1 "/choices/b", "\"\"")},
     Q1 "/choices/b",
     "expected a non-empty string, got ''",
     1},
    {"answer",
     {SET(Q1 "/answer", "\"e\"")},
     Q1 "/answer",
     "'e' is not among the choices a, b, c, d",
     1},
    {"answer missing", {DEL(Q1 "/answer")}, Q1, "missing member 'answer'", 1},
    {"points zero",
     {SET(Q1 "/points", "0")},
     Q1 "/points",
     "expected a number > 0, got 0",
     1},
    {"points type", {SET(Q1 "/points", "null")}, Q1 "/points", "got null", 1},
    {"question unknown member",
     {SET(Q1 "/explanation", "\"x\"")},
     Q1 "/explanation",
     "unknown member 'explanation'",
     1},
    /* evaluation */
    {"evaluation type",
     {SET("/evaluation", "[]")},
     "/evaluation",
     "expected an object, got an array",
     1},
    {"evaluation share",
     {SET("/evaluation/ratings", "1.2")},
     "/evaluation/ratings",
     "expected a number 0..1, got 1.2",
     2},
    {"ratings + tests",
     {SET("/evaluation/ratings", "0.5")},
     "/evaluation",
     "ratings + tests sum to 0.9, expected 1",
     1},
    {"ability + performance",
     {SET("/evaluation/performance", "0.4")},
     "/evaluation",
     "ability + performance sum to 1.1, expected 1",
     1},
    {"evaluation missing",
     {DEL("/evaluation/tests")},
     "/evaluation",
     "missing member 'tests'",
     1},
    {"evaluation unknown",
     {SET("/evaluation/bonus", "0")},
     "/evaluation/bonus",
     "unknown member 'bonus'",
     1},
    /* certification */
    {"rule missing",
     {DEL("/certification/g2")},
     "/certification",
     "missing the rule of grade 'g2'",
     1},
    {"rule of an unknown grade",
     {SET("/certification/L6", RULE)},
     "/certification/L6",
     "grade 'L6' is not defined in /grades",
     1},
    {"rule type",
     {SET("/certification/g1", "true")},
     "/certification/g1",
     "expected an object (a certification rule), got true",
     1},
    {"min_overall",
     {SET("/certification/g1/min_overall", "120")},
     "/certification/g1/min_overall",
     "expected a number 0..100, got 120",
     1},
    {"min_ability",
     {SET("/certification/g1/min_ability", "-1")},
     "/certification/g1/min_ability",
     "expected a number 0..100, got -1",
     1},
    {"min_performance",
     {SET("/certification/g2/min_performance", "\"70\"")},
     "/certification/g2/min_performance",
     "got '70'",
     1},
    {"max_gaps negative",
     {SET("/certification/g1/max_gaps", "-1")},
     "/certification/g1/max_gaps",
     "expected an integer >= 0, got -1",
     1},
    {"max_gaps real",
     {SET("/certification/g1/max_gaps", "1.5")},
     "/certification/g1/max_gaps",
     "expected an integer >= 0, got 1.5",
     1},
    {"must_meet unknown",
     {SET("/certification/g1/must_meet/0", "\"x-y\"")},
     "/certification/g1/must_meet/0",
     "competency 'x-y' is not defined in /competencies",
     1},
    {"must_meet not core",
     {SET("/certification/g1/must_meet/0", "\"value-selling\"")},
     "/certification/g1/must_meet/0",
     "competency 'value-selling' is not core",
     1},
    {"must_meet duplicate",
     {SET("/certification/g1/must_meet/-", "\"relationship-maintenance\"")},
     "/certification/g1/must_meet/1",
     "duplicate 'relationship-maintenance' (also "
     "/certification/g1/must_meet/0)",
     1},
    {"must_meet item type",
     {SET("/certification/g1/must_meet/0", "1")},
     "/certification/g1/must_meet/0",
     "expected a competency id, got 1",
     1},
    {"must_meet type",
     {SET("/certification/g1/must_meet", "\"x\"")},
     "/certification/g1/must_meet",
     "expected an array",
     1},
    {"validity 0",
     {SET("/certification/g1/validity_months", "0")},
     "/certification/g1/validity_months",
     "expected an integer 1..120, got 0",
     1},
    {"validity 121",
     {SET("/certification/g2/validity_months", "121")},
     "/certification/g2/validity_months",
     "expected an integer 1..120",
     1},
    {"rule unknown member",
     {SET("/certification/g1/min_tests", "50")},
     "/certification/g1/min_tests",
     "unknown member 'min_tests'",
     1},
    {"rule member missing",
     {DEL("/certification/g1/max_gaps")},
     "/certification/g1",
     "missing member 'max_gaps'",
     1},
    /* keys are escaped in paths */
    {"escaped key",
     {SET("/a~1b~0c", "1")},
     "/a~1b~0c",
     "unknown member 'a/b~c'",
     1},
};

static void test_model__each_rule_reports_its_problem(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(bad_models); i++) {
        const struct bad *b = &bad_models[i];
        struct ldr_problems p = {0};
        struct ldr_err err = {0};
        struct ldr_model *m = (struct ldr_model *)1;
        json_t *doc = demo_json();
        int rc;

        apply(doc, b->ops, COUNT(b->ops));
        rc = parse_doc(doc, &m, &p, &err);
        if (rc != LDR_EINVAL || !has_problem(&p, b->path, b->frag) ||
            (b->count && p.count != b->count)) {
            print_error("case '%s': rc %d, want '%s': ...%s... (%zu)\n",
                        b->name, rc, b->path, b->frag, b->count);
            print_problems(&p);
            fail();
        }
        assert_null(m);
        assert_non_null(strstr(err.msg, "problem"));
        ldr_problems_release(&p);
        json_decref(doc);
    }
}

/* Edits that keep the model valid. */
static const struct {
    const char *name;
    struct op ops[3];
} good_models[] = {
    {"no description", {DEL("/description")}},
    {"no hours", {DEL(C1 "/learning/1/0/hours")}},
    {"no questions", {SET("/questions", "[]")}},
    {"empty must_meet", {SET("/certification/g1/must_meet", "[]")}},
    {"language with script", {SET("/language", "\"zh-Hans-CN\"")}},
    {"language alone", {SET("/language", "\"en\"")}},
    {"weights within 0.0001", {SET(C0 "/weight", "0.60005")}},
    {"equal required levels", {SET(C1 "/required/g1", "3")}},
    {"eight choices",
     {SET(Q1 "/choices", "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\","
                         "\"e\":\"5\",\"f\":\"6\",\"g\":\"7\",\"h\":\"8\"}")}},
    {"keys in any order",
     {DEL("/format"), SET("/format", "\"ladder-model/1\"")}},
    {"slug of 64",
     {SET("/id", "\"a123456789012345678901234567890123456789012345"
                 "678901234567890123\"")}},
};

static void test_model__valid_variants_have_no_problems(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(good_models); i++) {
        struct ldr_problems p = {0};
        struct ldr_err err = {0};
        struct ldr_model *m = NULL;
        json_t *doc = demo_json();

        apply(doc, good_models[i].ops, COUNT(good_models[i].ops));
        if (parse_doc(doc, &m, &p, &err)) {
            print_error("case '%s': %s\n", good_models[i].name, err.msg);
            print_problems(&p);
            fail();
        }
        assert_int_equal(p.count, 0);
        ldr_model_free(m);
        json_decref(doc);
    }
}

static void test_model__reports_every_problem_at_once(void **state)
{
    static const struct op ops[] = {
        SET("/id", "\"Demo\""),
        DEL(C0 "/behaviours/3"),
        SET(Q1 "/answer", "\"e\""),
    };
    struct ldr_problems p = {0};
    struct ldr_err err = {0};
    struct ldr_model *m = NULL;
    json_t *doc = demo_json();

    (void)state;
    apply(doc, ops, COUNT(ops));
    assert_int_equal(parse_doc(doc, &m, &p, &err), LDR_EINVAL);
    assert_string_equal(err.msg, "model has 3 problems");
    assert_int_equal(p.count, 3);
    /* in document order */
    assert_string_equal(p.items[0].path, "/id");
    assert_string_equal(p.items[1].path, C0 "/behaviours");
    assert_string_equal(p.items[2].path, Q1 "/answer");
    ldr_problems_release(&p);
    assert_null(p.items);

    /* without a list, the count is still told */
    assert_int_equal(parse_doc(doc, &m, NULL, &err), LDR_EINVAL);
    assert_string_equal(err.msg, "model has 3 problems");
    json_decref(doc);
}

static void test_model__problems_past_the_cap_are_counted(void **state)
{
    struct ldr_problems p = {0};
    struct ldr_err err = {0};
    struct ldr_model *m = NULL;
    json_t *doc = demo_json();

    (void)state;
    for (int i = 0; i < LDR_MODEL_MAX_PROBLEMS + 500; i++) {
        char key[16];

        snprintf(key, sizeof key, "x%d", i);
        json_object_set_new(doc, key, json_true());
    }
    assert_int_equal(parse_doc(doc, &m, &p, &err), LDR_EINVAL);
    assert_int_equal(p.count, LDR_MODEL_MAX_PROBLEMS);
    assert_string_equal(err.msg,
                        "model has 1500 problems; the first 1000 are listed");
    ldr_problems_release(&p);
    json_decref(doc);
}

static void
test_model__syntax_error_is_one_problem_with_line_and_column(void **state)
{
    static const char text[] = "{\n  \"format\": \"ladder-model/1\",\n"
                               "  \"id\": \"demo\"\n  \"title\": \"x\"\n}";
    struct ldr_problems p = {0};
    struct ldr_err err = {0};
    struct ldr_model *m = NULL;

    (void)state;
    assert_int_equal(ldr_model_parse(&m, text, strlen(text), &p, &err),
                     LDR_EINVAL);
    assert_string_equal(err.msg, "model has 1 problem");
    assert_int_equal(p.count, 1);
    assert_string_equal(p.items[0].path, "");
    assert_non_null(strstr(p.items[0].message, "invalid JSON at line 4"));
    ldr_problems_release(&p);
}

static void test_model__duplicate_keys_are_refused(void **state)
{
    static const char text[] = "{\"id\": \"a\", \"id\": \"b\"}";
    struct ldr_problems p = {0};
    struct ldr_err err = {0};
    struct ldr_model *m = NULL;

    (void)state;
    assert_int_equal(ldr_model_parse(&m, text, strlen(text), &p, &err),
                     LDR_EINVAL);
    assert_int_equal(p.count, 1);
    assert_non_null(strstr(p.items[0].message, "duplicate"));
    ldr_problems_release(&p);
}

static void test_model__document_must_be_an_object(void **state)
{
    struct ldr_problems p = {0};
    struct ldr_err err = {0};
    struct ldr_model *m = NULL;

    (void)state;
    assert_int_equal(ldr_model_parse(&m, "[1]", 3, &p, &err), LDR_EINVAL);
    assert_int_equal(p.count, 1);
    assert_string_equal(p.items[0].path, "");
    assert_non_null(strstr(p.items[0].message, "expected an object"));
    ldr_problems_release(&p);
}

static void test_model__size_limit(void **state)
{
    size_t len;
    char *demo = read_text(DEMO, &len);
    char *big = malloc(LDR_MODEL_MAX_BYTES + 1);
    char path[] = "/tmp/ladder-model-XXXXXX";
    struct ldr_problems p = {0};
    struct ldr_err err = {0};
    struct ldr_model *m = NULL;
    int fd;

    (void)state;
    assert_non_null(big);
    /* exactly the limit: the demo padded with spaces is fine */
    memset(big, ' ', LDR_MODEL_MAX_BYTES + 1);
    memcpy(big, demo, len);
    assert_int_equal(ldr_model_parse(&m, big, LDR_MODEL_MAX_BYTES, &p, &err),
                     0);
    ldr_model_free(m);
    /* one byte more is refused before parsing */
    assert_int_equal(
        ldr_model_parse(&m, big, LDR_MODEL_MAX_BYTES + 1, &p, &err),
        LDR_ETOOBIG);
    assert_null(m);
    assert_int_equal(p.count, 0);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, big, LDR_MODEL_MAX_BYTES + 1),
                     LDR_MODEL_MAX_BYTES + 1);
    close(fd);
    assert_int_equal(ldr_model_load(&m, path, &p, &err), LDR_ETOOBIG);
    assert_non_null(strstr(err.msg, path));
    unlink(path);
    free(big);
    free(demo);
}

static void test_model__load_of_a_missing_file_is_eio(void **state)
{
    struct ldr_err err = {0};
    struct ldr_model *m = (struct ldr_model *)1;

    (void)state;
    assert_int_equal(
        ldr_model_load(&m, LADDER_TEST_DATA "/no-such-model.json", NULL, &err),
        LDR_EIO);
    assert_null(m);
    assert_non_null(strstr(err.msg, "no-such-model.json"));
}

static void test_model__dump_is_canonical(void **state)
{
    size_t len, want_len;
    char *text = read_text(DEMO, &len);
    char *want = read_text(DEMO_CANONICAL, &want_len);
    char *got = dump_of(text, len, &len);

    (void)state;
    assert_int_equal(len, strlen(got));
    assert_string_equal(got, want);
    free(got);
    free(text);
    free(want);
}

/* The same document with the keys of every object in reverse order. */
static json_t *reversed(json_t *v)
{
    json_t *out, *item;
    const char *keys[64];
    const char *key;
    size_t n = 0, i;

    if (json_is_array(v)) {
        out = json_array();
        json_array_foreach(v, i, item)
        {
            json_array_append_new(out, reversed(item));
        }
        return out;
    }
    if (!json_is_object(v))
        return json_incref(v);
    json_object_foreach(v, key, item)
    {
        assert_true(n < COUNT(keys));
        keys[n++] = key;
    }
    out = json_object();
    while (n-- > 0)
        json_object_set_new(out, keys[n],
                            reversed(json_object_get(v, keys[n])));
    return out;
}

/* Key order, layout, escapes and 1 vs 1.0 do not change the canonical text. */
static void test_model__equal_models_dump_equal_bytes(void **state)
{
    static const struct op ops[] = {
        SET(Q1 "/points", "2.50"), SET("/questions/0/points", "1.0"),
        SET("/certification/g1/min_overall", "6e1")};
    size_t want_len;
    char *want = read_text(DEMO_CANONICAL, &want_len);
    json_t *doc = demo_json(), *rev;
    char *text, *got;

    (void)state;
    apply(doc, ops, COUNT(ops));
    rev = reversed(doc);
    text = json_dumps(rev, JSON_ENSURE_ASCII | JSON_COMPACT);
    assert_non_null(strstr(text, "\\u"));
    got = dump_of(text, strlen(text), NULL);
    assert_string_equal(got, want);
    free(got);
    free(text);
    free(want);
    json_decref(rev);
    json_decref(doc);
}

static void test_model__dump_round_trips_byte_identically(void **state)
{
    static const struct op ops[] = {SET(C0 "/weight", "0.1"),
                                    SET(C1 "/weight", "0.9"),
                                    SET("/evaluation/ratings", "0.33333333")};
    json_t *doc = demo_json();
    char *text, *once, *twice;
    size_t n1, n2;

    (void)state;
    apply(doc, ops, COUNT(ops));
    json_object_set_new(doc, "evaluation",
                        json_pack("{s:f,s:f,s:f,s:f}", "ratings", 1.0 / 3,
                                  "tests", 2.0 / 3, "ability", 0.1 + 0.2,
                                  "performance", 0.7));
    text = json_dumps(doc, JSON_COMPACT);
    once = dump_of(text, strlen(text), &n1);
    twice = dump_of(once, n1, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(once, twice, n1);
    assert_non_null(strstr(once, "\"weight\": 0.1,"));
    assert_non_null(strstr(once, "\"ability\": 0.3,"));
    assert_int_equal(once[n1 - 1], '\n');
    free(once);
    free(twice);
    free(text);
    json_decref(doc);
}

static void test_model__lookups(void **state)
{
    struct ldr_model *m = load_demo();

    (void)state;
    assert_ptr_equal(ldr_model_competency(m, "value-selling"),
                     &m->competencies[1]);
    assert_null(ldr_model_competency(m, "negotiation"));
    assert_null(ldr_model_competency(m, NULL));
    assert_ptr_equal(ldr_model_question(m, "q-vs-01"), &m->questions[1]);
    assert_null(ldr_model_question(m, "q-x"));
    assert_int_equal(ldr_model_grade_index(m, "g2"), 1);
    assert_int_equal(ldr_model_grade_index(m, "L6"), -1);
    ldr_model_free(m);
    ldr_model_free(NULL);
}

static void assert_check(int rc, const struct ldr_err *err, const char *want)
{
    if (!want) {
        assert_int_equal(rc, 0);
        return;
    }
    assert_int_equal(rc, LDR_EINVAL);
    assert_string_equal(err->msg, want);
}

static void test_model__checks_name_the_value_and_what_is_allowed(void **state)
{
    struct ldr_model *m = load_demo();
    struct ldr_err err = {0};

    (void)state;
    assert_check(ldr_model_check_rating(m, "value-selling", 3, &err), &err,
                 NULL);
    assert_check(ldr_model_check_rating(m, "x", 1, &err), &err,
                 "unknown competency 'x' in model demo; known: "
                 "relationship-maintenance, value-selling");
    assert_check(ldr_model_check_rating(m, "value-selling", 4, &err), &err,
                 "level 4 is not on the scale 1..3 of model demo");
    assert_check(ldr_model_check_rating(m, "value-selling", 0, &err), &err,
                 "level 0 is not on the scale 1..3 of model demo");
    assert_check(ldr_model_check_answer(m, "q-vs-01", "d", &err), &err, NULL);
    assert_check(ldr_model_check_answer(m, "q-vs-01", "e", &err), &err,
                 "choice 'e' is not among a, b, c, d of question q-vs-01");
    assert_check(ldr_model_check_answer(m, "q-x", "a", &err), &err,
                 "unknown question 'q-x' in model demo; known: q-rm-01, "
                 "q-vs-01");
    assert_check(ldr_model_check_test(m, "value-selling", 100, &err), &err,
                 NULL);
    assert_check(ldr_model_check_test(m, "value-selling", 0, &err), &err, NULL);
    assert_check(ldr_model_check_test(m, "value-selling", 120, &err), &err,
                 "test score 120 is outside 0..100");
    assert_check(ldr_model_check_test(m, "value-selling", -0.5, &err), &err,
                 "test score -0.5 is outside 0..100");
    assert_check(ldr_model_check_test(m, "nope", 50, &err), &err,
                 "unknown competency 'nope' in model demo; known: "
                 "relationship-maintenance, value-selling");
    assert_check(ldr_model_check_grade(m, "g1", &err), &err, NULL);
    assert_check(ldr_model_check_grade(m, "L6", &err), &err,
                 "grade 'L6' is not defined; grades: g1, g2");
    ldr_model_free(m);
}

/* Long lists in messages stop after a dozen items. */
static void test_model__check_lists_are_cut(void **state)
{
    json_t *doc = demo_json();
    struct ldr_err err = {0};
    struct ldr_model *m = NULL;

    (void)state;
    for (int i = 0; i < 18; i++) {
        char json[128];
        struct op op = SET("/grades/-", json);

        snprintf(json, sizeof json,
                 "{\"id\": \"x%d\", \"title\": \"t\", \"description\": \"d\"}",
                 i);
        apply(doc, &op, 1);
        snprintf(json, sizeof json, "x%d", i);
        json_object_set_new(
            json_object_get(
                json_array_get(json_object_get(doc, "competencies"), 0),
                "required"),
            json, json_integer(3));
        json_object_set_new(
            json_object_get(
                json_array_get(json_object_get(doc, "competencies"), 1),
                "required"),
            json, json_integer(3));
        json_object_set(
            json_object_get(doc, "certification"), json,
            json_object_get(json_object_get(doc, "certification"), "g1"));
    }
    assert_int_equal(parse_doc(doc, &m, NULL, &err), 0);
    assert_check(ldr_model_check_grade(m, "L6", &err), &err,
                 "grade 'L6' is not defined; grades: g1, g2, x0, x1, x2, x3, "
                 "x4, x5, x6, x7, x8, x9, ... (8 more)");
    ldr_model_free(m);
    json_decref(doc);
}

/* A key too long for a path is cut and marked, also under it. */
static void test_model__long_keys_are_cut_in_paths(void **state)
{
    struct ldr_problems p = {0};
    struct ldr_err err = {0};
    struct ldr_model *m = NULL;
    json_t *doc = demo_json();
    char key[1001];

    (void)state;
    memset(key, 'k', 1000);
    key[1000] = '\0';
    json_object_set_new(json_object_get(doc, "certification"), key,
                        json_pack("{s:i}", "max_gaps", -1));
    assert_int_equal(parse_doc(doc, &m, &p, &err), LDR_EINVAL);
    assert_true(p.count >= 3);
    for (size_t i = 0; i < p.count; i++) {
        assert_true(strlen(p.items[i].path) < sizeof p.items[i].path);
        assert_int_equal(strncmp(p.items[i].path, "/certification/kkk", 18), 0);
        assert_non_null(strstr(p.items[i].path, "k..."));
    }
    ldr_problems_release(&p);
    json_decref(doc);
}

static void test_model__problems_add(void **state)
{
    struct ldr_problems p = {0};

    (void)state;
    assert_int_equal(ldr_problems_add(&p, "/CFItems/3", "missing '%s'", "id"),
                     0);
    assert_int_equal(p.count, 1);
    assert_string_equal(p.items[0].path, "/CFItems/3");
    assert_string_equal(p.items[0].message, "missing 'id'");
    ldr_problems_release(&p);
    assert_int_equal(p.count, 0);
}

/* The real model, when it is there: no problems, kept in its canonical
 * text, and a stable dump. */
static void test_model__account_manager_is_valid_and_round_trips(void **state)
{
    struct ldr_problems p = {0};
    struct ldr_err err = {0};
    struct ldr_model *m = NULL;
    char *once, *twice, *file;
    size_t n1, n2;

    (void)state;
    if (access(ACCOUNT_MANAGER, F_OK) != 0)
        skip();
    if (ldr_model_load(&m, ACCOUNT_MANAGER, &p, &err)) {
        print_problems(&p);
        fail_msg("%s: %s", ACCOUNT_MANAGER, err.msg);
    }
    assert_string_equal(m->id, "account-manager");
    once = ldr_model_dump(m, &n1);
    assert_non_null(once);
    /* the file is kept in its canonical text, so reviews diff cleanly */
    file = read_text(ACCOUNT_MANAGER, &n2);
    assert_string_equal(once, file);
    free(file);
    twice = dump_of(once, n1, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(once, twice, n1);
    free(once);
    free(twice);
    ldr_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model__demo_parses_with_its_values),
        cmocka_unit_test(test_model__each_rule_reports_its_problem),
        cmocka_unit_test(test_model__valid_variants_have_no_problems),
        cmocka_unit_test(test_model__reports_every_problem_at_once),
        cmocka_unit_test(test_model__problems_past_the_cap_are_counted),
        cmocka_unit_test(
            test_model__syntax_error_is_one_problem_with_line_and_column),
        cmocka_unit_test(test_model__duplicate_keys_are_refused),
        cmocka_unit_test(test_model__document_must_be_an_object),
        cmocka_unit_test(test_model__size_limit),
        cmocka_unit_test(test_model__load_of_a_missing_file_is_eio),
        cmocka_unit_test(test_model__dump_is_canonical),
        cmocka_unit_test(test_model__equal_models_dump_equal_bytes),
        cmocka_unit_test(test_model__dump_round_trips_byte_identically),
        cmocka_unit_test(test_model__lookups),
        cmocka_unit_test(test_model__checks_name_the_value_and_what_is_allowed),
        cmocka_unit_test(test_model__check_lists_are_cut),
        cmocka_unit_test(test_model__long_keys_are_cut_in_paths),
        cmocka_unit_test(test_model__problems_add),
        cmocka_unit_test(test_model__account_manager_is_valid_and_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
