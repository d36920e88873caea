/* Semantic diff of two model versions: the real model with known edits
 * (the JSON, change by change), small edits of the demo model (the text,
 * line by line), identical models, and text from any JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/err.h"
#include "ladder/jsonptr.h"
#include "ladder/model.h"
#include "ladder/model_diff.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define DEMO LADDER_TEST_DATA "/model-demo.json"
#define ACCOUNT_MANAGER LADDER_MODELS "/account-manager.json"

static json_t *load_json(const char *path)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

    if (!doc)
        fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
    return doc;
}

static json_t *value(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

    if (!v)
        fail_msg("bad test JSON '%s': %s", text, jerr.text);
    return v;
}

static struct ldr_model *parse(const json_t *doc)
{
    struct ldr_problems p = {0};
    struct ldr_err err = {0};
    struct ldr_model *m = NULL;
    char *text = json_dumps(doc, JSON_COMPACT);

    assert_non_null(text);
    if (ldr_model_parse(&m, text, strlen(text), &p, &err)) {
        for (size_t i = 0; i < p.count; i++)
            print_error("  %s: %s\n", p.items[i].path, p.items[i].message);
        fail_msg("edited model: %s", err.msg);
    }
    free(text);
    ldr_problems_release(&p);
    return m;
}

static char *text_of(const struct ldr_model *a, const struct ldr_model *b)
{
    json_t *diff = ldr_model_diff(a, b);
    char *text;

    assert_non_null(diff);
    text = ldr_model_diff_text(diff);
    assert_non_null(text);
    json_decref(diff);
    return text;
}

static json_t *by_id(json_t *arr, const char *id)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *v = json_array_get(arr, i);

        if (strcmp(json_string_value(json_object_get(v, "id")), id) == 0)
            return v;
    }
    fail_msg("no item '%s'", id);
    return NULL;
}

/* ---- the real model with known edits ------------------------------------ */

static const char negotiation[] =
    "{\"id\": \"negotiation\", \"title\": \"谈判能力\","
    " \"description\": \"在保证盈利的前提下与客户达成协议。\","
    " \"category\": \"solution\", \"weight\": 0.05, \"core\": false,"
    " \"behaviours\": {\"1\": \"了解谈判的基本步骤\", \"2\": "
    "\"独立完成常规谈判\","
    " \"3\": \"准备谈判方案和底线\", \"4\": \"主导重大项目谈判\","
    " \"5\": \"总结并推广谈判方法\"},"
    " \"required\": {\"am1\": 1, \"am2\": 1, \"am3\": 2, \"am4\": 3, \"am5\": "
    "4},"
    " \"learning\": {"
    " \"1\": [{\"id\": \"ng-1-reading\", \"kind\": \"reading\", \"title\": "
    "\"谈判入门\", \"hours\": 2}],"
    " \"2\": [{\"id\": \"ng-2-course\", \"kind\": \"course\", \"title\": "
    "\"商务谈判\", \"hours\": 8}],"
    " \"3\": [{\"id\": \"ng-3-practice\", \"kind\": \"practice\", \"title\": "
    "\"谈判演练\", \"hours\": 8}],"
    " \"4\": [{\"id\": \"ng-4-coaching\", \"kind\": \"coaching\", \"title\": "
    "\"跟随谈判\", \"hours\": 16}],"
    " \"5\": [{\"id\": \"ng-5-project\", \"kind\": \"project\", \"title\": "
    "\"谈判方法总结\", \"hours\": 24}]}}";

#define NEW_BEHAVIOUR "为客户量化解决方案的经营效益，并据此主导价值谈判。"

/*
 * Adds negotiation (0.05) after value-selling, whose weight rises by 0.01,
 * so key-person-relationship gives 0.06 to keep the sum at 1; renames
 * fast-response; changes a behaviour and a required level of
 * value-selling; removes q-rm-03; changes the answer of q-rm-02; raises
 * the overall threshold of am3.
 */
static void edit_account_manager(json_t *doc)
{
    json_t *comps = json_object_get(doc, "competencies");
    json_t *questions = json_object_get(doc, "questions");
    json_t *vs = by_id(comps, "value-selling");
    size_t at = 0;

    while (json_array_get(comps, at) != vs)
        at++;
    json_array_insert_new(comps, at + 1, value(negotiation));
    json_object_set_new(vs, "weight", json_real(0.08));
    json_object_set_new(by_id(comps, "key-person-relationship"), "weight",
                        json_real(0.04));
    json_object_set_new(json_object_get(vs, "behaviours"), "4",
                        json_string(NEW_BEHAVIOUR));
    json_object_set_new(json_object_get(vs, "required"), "am3",
                        json_integer(3));
    json_object_set_new(by_id(comps, "fast-response"), "title",
                        json_string("快速响应与协同"));
    json_array_remove(questions, 2); /* q-rm-03 */
    json_object_set_new(by_id(questions, "q-rm-02"), "answer",
                        json_string("b"));
    json_object_set_new(
        json_object_get(json_object_get(doc, "certification"), "am3"),
        "min_overall", json_integer(65));
}

/* What the diff must list, in this order ("value" checked apart). */
static const char expected_changes[] =
    "["
    "{\"kind\": \"competency\", \"op\": \"changed\","
    " \"id\": \"key-person-relationship\", \"field\": \"weight\","
    " \"from\": 0.1, \"to\": 0.04},"
    "{\"kind\": \"competency\", \"op\": \"changed\", \"id\": \"value-selling\","
    " \"field\": \"weight\", \"from\": 0.07, \"to\": 0.08},"
    "{\"kind\": \"competency\", \"op\": \"changed\", \"id\": \"value-selling\","
    " \"level\": 4, \"field\": \"behaviours\","
    " \"from\": "
    "\"为客户量化解决方案的经营效益，在保证盈利的前提下进行商务谈判，"
    "提升所辖客户的收入贡献。\", \"to\": \"" NEW_BEHAVIOUR "\"},"
    "{\"kind\": \"competency\", \"op\": \"changed\", \"id\": \"value-selling\","
    " \"grade\": \"am3\", \"field\": \"required\", \"from\": 2, \"to\": 3},"
    "{\"kind\": \"competency\", \"op\": \"added\", \"id\": \"negotiation\"},"
    "{\"kind\": \"competency\", \"op\": \"changed\", \"id\": \"fast-response\","
    " \"field\": \"title\", \"from\": \"快速响应\", \"to\": "
    "\"快速响应与协同\"},"
    "{\"kind\": \"question\", \"op\": \"removed\", \"id\": \"q-rm-03\"},"
    "{\"kind\": \"question\", \"op\": \"changed\", \"id\": \"q-rm-02\","
    " \"field\": \"answer\", \"from\": \"a\", \"to\": \"b\"},"
    "{\"kind\": \"certification\", \"op\": \"changed\", \"id\": \"am3\","
    " \"field\": \"min_overall\", \"from\": 60, \"to\": 65}"
    "]";

static const char expected_text[] =
    "competency key-person-relationship: weight 0.1 -> 0.04\n"
    "competency value-selling: weight 0.07 -> 0.08\n"
    "competency value-selling: behaviour of level 4 changed\n"
    "      - 为客户量化解决方案的经营效益，在保证盈利的前提下进行商务谈判，"
    "提升所辖客户的收入贡献。\n"
    "      + " NEW_BEHAVIOUR "\n"
    "competency value-selling: required level for am3 2 -> 3\n"
    "competency negotiation added: 谈判能力 (category solution, weight 0.05)\n"
    "competency fast-response renamed: 快速响应 -> 快速响应与协同\n"
    "question q-rm-03 removed: "
    "客户对近期的服务不满，双方关系出现紧张时，客户经理首先应当？ "
    "(competency relationship-maintenance)\n"
    "question q-rm-02: answer a -> b\n"
    "certification am3: min_overall 60 -> 65\n";

/* The changes of `diff` with each "value" moved to `values`. */
static json_t *without_values(const json_t *diff, json_t *values)
{
    json_t *changes = json_deep_copy(json_object_get(diff, "changes")), *c;
    size_t i;

    json_array_foreach(changes, i, c)
    {
        json_t *v = json_object_get(c, "value");

        json_array_append(values, v ? v : json_null());
        json_object_del(c, "value");
    }
    return changes;
}

static void assert_json_equal(const json_t *want, const json_t *got)
{
    if (!json_equal(want, got)) {
        char *w = json_dumps(want, JSON_INDENT(1) | JSON_ENSURE_ASCII);
        char *g = json_dumps(got, JSON_INDENT(1) | JSON_ENSURE_ASCII);

        print_error("want %s\ngot  %s\n", w, g);
        free(w);
        free(g);
        fail();
    }
}

static void test_model_diff__lists_exactly_the_known_edits(void **state)
{
    json_t *doc = load_json(ACCOUNT_MANAGER), *edited = json_deep_copy(doc);
    json_t *values = json_array(), *want = value(expected_changes), *got;
    struct ldr_model *a = parse(doc), *b;
    json_t *diff;

    (void)state;
    edit_account_manager(edited);
    b = parse(edited);
    diff = ldr_model_diff(a, b);
    assert_non_null(diff);
    assert_string_equal(json_string_value(json_object_get(diff, "model")),
                        "account-manager");
    assert_int_equal(json_integer_value(json_object_get(diff, "count")), 9);
    got = without_values(diff, values);
    for (size_t i = 0; i < json_array_size(want); i++)
        assert_json_equal(json_array_get(want, i), json_array_get(got, i));
    assert_int_equal(json_array_size(got), json_array_size(want));
    /* added and removed items carry their whole value */
    assert_json_equal(
        by_id(json_object_get(edited, "competencies"), "negotiation"),
        json_array_get(values, 4));
    assert_json_equal(json_array_get(json_object_get(doc, "questions"), 2),
                      json_array_get(values, 6));
    json_decref(got);
    json_decref(values);
    json_decref(want);
    json_decref(diff);
    ldr_model_free(a);
    ldr_model_free(b);
    json_decref(doc);
    json_decref(edited);
}

static void test_model_diff__text_of_the_known_edits(void **state)
{
    json_t *doc = load_json(ACCOUNT_MANAGER), *edited = json_deep_copy(doc);
    struct ldr_model *a = parse(doc), *b;
    char *text;

    (void)state;
    edit_account_manager(edited);
    b = parse(edited);
    text = text_of(a, b);
    assert_string_equal(text, expected_text);
    free(text);
    /* backwards, the same edits undone */
    text = text_of(b, a);
    assert_non_null(strstr(text, "competency negotiation removed: 谈判能力 "
                                 "(category solution, weight 0.05)\n"));
    assert_non_null(strstr(text, "question q-rm-03 added: "));
    assert_non_null(strstr(text, "competency value-selling: weight 0.08 -> "
                                 "0.07\n"));
    free(text);
    ldr_model_free(a);
    ldr_model_free(b);
    json_decref(doc);
    json_decref(edited);
}

static void test_model_diff__identical_models_give_an_empty_diff(void **state)
{
    json_t *doc = load_json(ACCOUNT_MANAGER);
    struct ldr_model *a = parse(doc), *b = parse(doc);
    json_t *diff = ldr_model_diff(a, b);
    char *text = ldr_model_diff_text(diff);

    (void)state;
    assert_int_equal(json_integer_value(json_object_get(diff, "count")), 0);
    assert_int_equal(json_array_size(json_object_get(diff, "changes")), 0);
    assert_true(json_is_array(json_object_get(diff, "changes")));
    assert_string_equal(text, "no changes\n");
    free(text);
    json_decref(diff);
    ldr_model_free(a);
    ldr_model_free(b);
    json_decref(doc);
}

static void test_model_diff__same_pair_gives_same_bytes(void **state)
{
    json_t *doc = load_json(ACCOUNT_MANAGER), *edited = json_deep_copy(doc);
    struct ldr_model *a = parse(doc), *b;
    json_t *d1, *d2;
    char *t1, *t2;

    (void)state;
    edit_account_manager(edited);
    b = parse(edited);
    d1 = ldr_model_diff(a, b);
    d2 = ldr_model_diff(a, b);
    t1 = json_dumps(d1, JSON_PRESERVE_ORDER);
    t2 = json_dumps(d2, JSON_PRESERVE_ORDER);
    assert_string_equal(t1, t2);
    free(t1);
    free(t2);
    json_decref(d1);
    json_decref(d2);
    ldr_model_free(a);
    ldr_model_free(b);
    json_decref(doc);
    json_decref(edited);
}

/* ---- each kind of change, on the demo model ----------------------------- */

/* One edit: set `json` at `ptr`, or copy the value at `copy` in the
 * unedited model there, or (neither) remove `ptr`. */
struct op {
    const char *ptr;
    const char *json;
    const char *copy;
};

#define SET(ptr, json)                                                         \
    {                                                                          \
        ptr, json, NULL                                                        \
    }
#define DEL(ptr)                                                               \
    {                                                                          \
        ptr, NULL, NULL                                                        \
    }
#define COPY(ptr, from)                                                        \
    {                                                                          \
        ptr, NULL, from                                                        \
    }

struct text_case {
    const char *name;
    struct op ops[12];
    const char *text; /* the whole text of the diff */
};

#define G3_RULE                                                                \
    "{\"min_overall\": 80, \"min_ability\": 75, \"min_performance\": 80,"      \
    " \"max_gaps\": 0, \"must_meet\": [\"relationship-maintenance\"],"         \
    " \"validity_months\": 12}"

static const struct text_case text_cases[] = {
    {"metadata",
     {SET("/title", "\"演示模型\""), DEL("/description"),
      SET("/language", "\"zh-Hans-CN\"")},
     "model renamed: 示例模型 -> 演示模型\n"
     "model: description removed\n"
     "      - 三级量表、两个职级的小模型。\n"
     "model: language zh-CN -> zh-Hans-CN\n"},
    {"scale labels and descriptions",
     {SET("/scale/2/label", "\"专家\""),
      SET("/scale/1/description", "\"独立完成\\n并能检查他人\"")},
     "level 2: description changed\n"
     "      - 独立完成\n"
     "      + 独立完成\n"
     "      + 并能检查他人\n"
     "level 3: label 精通 -> 专家\n"},
    {"a new level",
     {SET("/scale/3", "{\"level\": 4, \"label\": \"大师\", \"description\": "
                      "\"引领行业\"}"),
      SET("/competencies/0/behaviours/4", "\"建立行业影响力\""),
      SET("/competencies/0/learning/4",
          "[{\"id\": \"rm-4\", \"kind\": \"project\", \"title\": "
          "\"行业论坛\"}]"),
      SET("/competencies/1/behaviours/4", "\"定义价值标准\""),
      SET("/competencies/1/learning/4",
          "[{\"id\": \"vs-4\", \"kind\": \"course\", \"title\": \"价值大师\", "
          "\"hours\": 6}]")},
     "level 4 added: 大师\n"
     "competency relationship-maintenance: behaviour of level 4 added\n"
     "      + 建立行业影响力\n"
     "competency relationship-maintenance: activity rm-4 added: 行业论坛 "
     "(project, level 4)\n"
     "competency value-selling: behaviour of level 4 added\n"
     "      + 定义价值标准\n"
     "competency value-selling: activity vs-4 added: 价值大师 "
     "(course, level 4, 6 hours)\n"},
    {"grades renamed, added and removed",
     {SET("/grades/0/title", "\"客户经理一级\""),
      SET("/grades/1",
          "{\"id\": \"g3\", \"title\": \"销售专家\", \"description\": "
          "\"行业方案\"}"),
      DEL("/competencies/0/required/g2"),
      SET("/competencies/0/required/g3", "3"),
      DEL("/competencies/1/required/g2"),
      SET("/competencies/1/required/g3", "3"), DEL("/certification/g2"),
      SET("/certification/g3", G3_RULE)},
     "grade g2 removed: 高级客户经理\n"
     "grade g1 renamed: 客户经理 -> 客户经理一级\n"
     "grade g3 added: 销售专家\n"
     "competency relationship-maintenance: required level for g3 (none) -> "
     "3\n"
     "competency value-selling: required level for g3 (none) -> 3\n"
     "certification g2 removed: min_overall 70, min_ability 65.5, "
     "min_performance 70, max_gaps 0, validity_months 12, must_meet "
     "relationship-maintenance\n"
     "certification g3 added: min_overall 80, min_ability 75, "
     "min_performance 80, max_gaps 0, validity_months 12, must_meet "
     "relationship-maintenance\n"},
    {"categories and a competency that moves",
     {SET("/categories/1/title", "\"价值销售\""),
      SET("/categories/2", "{\"id\": \"service\", \"title\": \"服务\"}"),
      SET("/competencies/1/category", "\"relationship\"")},
     "category sales renamed: 销售 -> 价值销售\n"
     "category service added: 服务\n"
     "competency value-selling: category sales -> relationship\n"},
    {"a competency removed, its weight given to another",
     {DEL("/competencies/1"), SET("/competencies/0/weight", "1"),
      DEL("/questions/1")},
     "competency value-selling removed: 价值销售 (category sales, weight "
     "0.4)\n"
     "competency relationship-maintenance: weight 0.6 -> 1\n"
     "question q-vs-01 removed: 价值销售的出发点是？ (competency "
     "value-selling)\n"},
    {"competency description, core and behaviour",
     {SET("/competencies/1/description", "\"以客户价值推进方案和报价。\""),
      SET("/competencies/1/core", "true"),
      SET("/competencies/1/behaviours/1", "\"介绍产品功能和价格\"")},
     "competency value-selling: description changed\n"
     "      - 以客户价值推进方案。\n"
     "      + 以客户价值推进方案和报价。\n"
     "competency value-selling: core no -> yes\n"
     "competency value-selling: behaviour of level 1 changed\n"
     "      - 介绍产品功能\n"
     "      + 介绍产品功能和价格\n"},
    {"learning activities",
     {SET("/competencies/1/learning/1/0/hours", "2"),
      DEL("/competencies/1/learning/2/1"),
      COPY("/competencies/1/learning/3/1", "/competencies/1/learning/2/1"),
      SET("/competencies/1/learning/2/0/title", "\"价值销售进阶\""),
      SET("/competencies/1/learning/2/0/kind", "\"coaching\""),
      SET("/competencies/0/learning/3/0/id", "\"rm-project-3b\"")},
     "competency relationship-maintenance: activity rm-project-3 removed: "
     "负责一个重点客户 (project, level 3)\n"
     "competency relationship-maintenance: activity rm-project-3b added: "
     "负责一个重点客户 (project, level 3)\n"
     "competency value-selling: activity vs-reading-1: hours 1.5 -> 2\n"
     "competency value-selling: activity vs-course-2: kind course -> "
     "coaching\n"
     "competency value-selling: activity vs-course-2 renamed: 价值销售课程 "
     "-> 价值销售进阶\n"
     "competency value-selling: activity vs-practice-2: level 2 -> 3\n"},
    {"questions",
     {SET("/questions/0/stem", "\"客户投诉时，你首先应当？\""),
      SET("/questions/0/choices/c", "\"立即转交投诉部门\""),
      SET("/questions/0/choices/d", "\"赠送礼品\""),
      SET("/questions/0/points", "1.5"), DEL("/questions/1/choices/d"),
      SET("/questions/1/answer", "\"b\""),
      SET("/questions/1/competency", "\"relationship-maintenance\""),
      SET("/questions/2",
          "{\"id\": \"q-vs-02\", \"competency\": \"value-selling\", \"stem\": "
          "\"ROI 指什么？\", \"choices\": {\"a\": \"投资回报\", \"b\": "
          "\"成本\"}, \"answer\": \"a\", \"points\": 1}")},
     "question q-rm-01: stem changed\n"
     "      - 客户投诉时首先应当？\n"
     "      + 客户投诉时，你首先应当？\n"
     "question q-rm-01: choice c changed\n"
     "      - 转交其他部门\n"
     "      + 立即转交投诉部门\n"
     "question q-rm-01: choice d added\n"
     "      + 赠送礼品\n"
     "question q-rm-01: points 1 -> 1.5\n"
     "question q-vs-01: competency value-selling -> relationship-maintenance\n"
     "question q-vs-01: choice d removed\n"
     "      - 客户的业务目标\n"
     "question q-vs-01: answer d -> b\n"
     "question q-vs-02 added: ROI 指什么？ (competency value-selling)\n"},
    {"evaluation and certification rules",
     {SET("/evaluation/ratings", "0.5"), SET("/evaluation/tests", "0.5"),
      SET("/competencies/1/core", "true"),
      SET("/certification/g1/must_meet", "[\"value-selling\"]"),
      SET("/certification/g2/must_meet/1", "\"value-selling\""),
      SET("/certification/g2/max_gaps", "1"),
      SET("/certification/g2/validity_months", "24")},
     "competency value-selling: core no -> yes\n"
     "evaluation: ratings 0.6 -> 0.5\n"
     "evaluation: tests 0.4 -> 0.5\n"
     "certification g1: must_meet added value-selling\n"
     "certification g1: must_meet removed relationship-maintenance\n"
     "certification g2: max_gaps 0 -> 1\n"
     "certification g2: must_meet added value-selling\n"
     "certification g2: validity_months 12 -> 24\n"},
    {"order",
     {COPY("/competencies/0", "/competencies/1"),
      COPY("/competencies/1", "/competencies/0"),
      COPY("/categories/0", "/categories/1"),
      COPY("/categories/1", "/categories/0")},
     "category order: relationship, sales -> sales, relationship\n"
     "competency order: relationship-maintenance, value-selling -> "
     "value-selling, relationship-maintenance\n"},
    {"control characters in texts",
     {SET("/competencies/1/title", "\"价值\\u001b[2J销售\\u0085\""),
      SET("/competencies/1/behaviours/2", "\"第一行\\r\\n\\u0007第二行\"")},
     "competency value-selling renamed: 价值销售 -> 价值?[2J销售?\n"
     "competency value-selling: behaviour of level 2 changed\n"
     "      - 把功能与客户收益对应\n"
     "      + 第一行?\n"
     "      + ?第二行\n"},
};

static void apply(json_t *doc, const json_t *orig, const struct op *ops)
{
    struct ldr_err err = {0};

    for (size_t i = 0; i < 12 && ops[i].ptr; i++) {
        json_t *v = NULL;

        if (ops[i].json)
            v = value(ops[i].json);
        else if (ops[i].copy)
            v = json_deep_copy(
                ldr_jsonptr_get((json_t *)orig, ops[i].copy, &err));
        if (!v && !ops[i].json && !ops[i].copy)
            assert_int_equal(ldr_jsonptr_remove(doc, ops[i].ptr, &err), 0);
        else if (ldr_jsonptr_set_new(doc, ops[i].ptr, v, &err))
            fail_msg("set '%s': %s", ops[i].ptr, err.msg);
    }
}

static void test_model_diff__text_of_each_kind_of_change(void **state)
{
    json_t *orig = load_json(DEMO);
    struct ldr_model *a = parse(orig);

    (void)state;
    for (size_t i = 0; i < COUNT(text_cases); i++) {
        const struct text_case *tc = &text_cases[i];
        json_t *doc = json_deep_copy(orig);
        struct ldr_model *b;
        char *text;

        apply(doc, orig, tc->ops);
        b = parse(doc);
        text = text_of(a, b);
        if (strcmp(text, tc->text) != 0)
            fail_msg("case '%s':\nwant:\n%sgot:\n%s", tc->name, tc->text, text);
        free(text);
        ldr_model_free(b);
        json_decref(doc);
    }
    ldr_model_free(a);
    json_decref(orig);
}

static const struct op *case_ops(const char *name)
{
    for (size_t i = 0; i < COUNT(text_cases); i++)
        if (strcmp(text_cases[i].name, name) == 0)
            return text_cases[i].ops;
    fail_msg("no case '%s'", name);
    return NULL;
}

/* Change `i` of the diff of the demo model and the demo with `ops`. */
static void assert_change(const struct op *ops, size_t i, const char *want)
{
    json_t *orig = load_json(DEMO), *doc = json_deep_copy(orig);
    json_t *w = value(want), *diff;
    struct ldr_model *a = parse(orig), *b;

    apply(doc, orig, ops);
    b = parse(doc);
    diff = ldr_model_diff(a, b);
    assert_json_equal(w, json_array_get(json_object_get(diff, "changes"), i));
    json_decref(diff);
    json_decref(w);
    ldr_model_free(a);
    ldr_model_free(b);
    json_decref(doc);
    json_decref(orig);
}

/* What the text cannot show exactly: from null for a new grade's required
 * level, the lists of a must_meet change. */
static void test_model_diff__json_of_new_keys_and_sets(void **state)
{
    (void)state;
    assert_change(case_ops("grades renamed, added and removed"), 3,
                  "{\"kind\": \"competency\", \"op\": \"changed\", \"id\": "
                  "\"relationship-maintenance\", \"grade\": \"g3\", "
                  "\"field\": \"required\", \"from\": null, \"to\": 3}");
    assert_change(
        case_ops("evaluation and certification rules"), 3,
        "{\"kind\": \"certification\", \"op\": \"changed\", "
        "\"id\": \"g1\", \"field\": \"must_meet\", \"from\": "
        "[\"relationship-maintenance\"], \"to\": [\"value-selling\"], "
        "\"added\": [\"value-selling\"], \"removed\": "
        "[\"relationship-maintenance\"]}");
    assert_change(
        case_ops("order"), 1,
        "{\"kind\": \"competency\", \"op\": \"reordered\", "
        "\"from\": [\"relationship-maintenance\", \"value-selling\"], "
        "\"to\": [\"value-selling\", \"relationship-maintenance\"]}");
    assert_change(case_ops("a new level"), 0,
                  "{\"kind\": \"level\", \"op\": \"added\", \"level\": 4, "
                  "\"value\": {\"level\": 4, \"label\": \"大师\", "
                  "\"description\": \"引领行业\"}}");
}

/* The agent may render a diff it did not make: any JSON gives text. */
static void test_model_diff__text_of_any_json(void **state)
{
    static const char *const inputs[] = {
        "null",
        "[]",
        "{\"changes\": 3}",
        "{\"changes\": [1, null, {}, {\"op\": \"reordered\"},"
        " {\"kind\": \"competency\", \"op\": \"changed\"},"
        " {\"kind\": \"competency\", \"op\": \"changed\", \"field\": "
        "\"behaviours\", \"from\": 3, \"to\": [1, {}]},"
        " {\"kind\": \"certification\", \"op\": \"changed\", \"field\": "
        "\"must_meet\", \"added\": [1]},"
        " {\"kind\": \"activity\", \"op\": \"added\", \"value\": 7},"
        " {\"kind\": \"x\", \"op\": \"gone\"}]}",
    };

    (void)state;
    for (size_t i = 0; i < COUNT(inputs); i++) {
        json_t *v = value(inputs[i]);
        char *text = ldr_model_diff_text(v);

        assert_non_null(text);
        free(text);
        json_decref(v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_diff__lists_exactly_the_known_edits),
        cmocka_unit_test(test_model_diff__text_of_the_known_edits),
        cmocka_unit_test(test_model_diff__identical_models_give_an_empty_diff),
        cmocka_unit_test(test_model_diff__same_pair_gives_same_bytes),
        cmocka_unit_test(test_model_diff__text_of_each_kind_of_change),
        cmocka_unit_test(test_model_diff__json_of_new_keys_and_sets),
        cmocka_unit_test(test_model_diff__text_of_any_json),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
