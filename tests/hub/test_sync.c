/*
 * The sync endpoints called directly on a fresh hub database (no HTTP):
 * push and pull, the kept answer of a change set, who may write and read
 * what, the domain rules, the clock bound, stamps, conflicts, and pulls
 * that rebuild the hub's state byte for byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hub.h"
#include "ladder/domain.h"
#include "ladder/err.h"
#include "ladder/model.h"
#include "ladder/record.h"
#include "ladder/uuid.h"

#define MODEL_FILE LADDER_SOURCE_DIR "/schema/models/account-manager.json"
#define DEV_LI "0193a5b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b"
#define DEV_ZHANG "0193a5c0-1f2e-7d3c-9b4a-5f6e7d8c9b0a"
#define DEV_HR "0193a5c0-0000-7000-8000-0000000000a1"
#define DEV_CHEN "0193a5c0-0000-7000-8000-0000000000c1"
#define CREATED "2026-11-26T09:12:00.000Z"

/* ---- the fixture: a hub with a model, people and principals ------------- */

static char dir[64];
static struct hub_writer *writer;
static sqlite3 *db; /* the writer's, for looking at what it did */
static char version[41];
static struct hub_config cfg;
static uint64_t clock_ms; /* the devices' clock, an hour behind the hub */

static struct hub_principal principal(const char *id, enum hub_role role,
                                      const char *units)
{
    struct hub_principal p = {.role = role};
    char copy[256];

    snprintf(p.id, sizeof p.id, "%s", id);
    snprintf(copy, sizeof copy, "%s", units);
    for (char *u = strtok(copy, ","); u; u = strtok(NULL, ","))
        snprintf(p.units[p.nunits++], HUB_UNIT_MAX + 1, "%s", u);
    return p;
}

static struct hub_principal hr, li, zhang, wang, chen, admin;

static void add_model(void)
{
    struct ldr_model *m = NULL;
    struct ldr_err err = {0};
    sqlite3_stmt *st;
    size_t len;
    char *text;

    if (ldr_model_load(&m, MODEL_FILE, NULL, &err))
        fail_msg("%s", err.msg);
    text = ldr_model_dump(m, &len);
    ldr_model_version(version, text, len);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO models (id, version, "
                                        "title, body) VALUES (?, ?, ?, ?)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, m->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, text, (int)len, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    free(text);
    ldr_model_free(m);
}

static int setup(void **state)
{
    struct ldr_err err = {0};

    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hub-sync-XXXXXX");
    assert_non_null(mkdtemp(dir));
    if (hub_writer_open(&writer, dir, &err))
        fail_msg("%s", err.msg);
    db = hub_writer_db(writer);
    add_model();
    cfg.max_ahead_ms = LDR_HLC_DEFAULT_MAX_AHEAD_MS;
    ldr_limits_default(&cfg.limits);
    clock_ms = ldr_wall_ms() - 3600 * 1000;
    hr = principal("wang.hr", HUB_HR, "north,south");
    li = principal("li.wei", HUB_ASSESSOR, "north");
    zhang = principal("zhang.min", HUB_ASSESSOR, "north");
    wang = principal("wang.fang", HUB_ASSESSOR, "south");
    chen = principal("chen.jie", HUB_TRAINER, "north");
    admin = principal("root", HUB_ADMIN, "north,south");
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    hub_writer_close(writer);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* ---- building change sets ------------------------------------------------ */

/* A change by `author` from `device`, stamped by the devices' clock;
 * `set` and `unset` are JSON text (unset may be NULL). */
static json_t *change(const char *kind, const char *record, const char *device,
                      const char *author, uint64_t base, const char *set,
                      const char *unset)
{
    char hlc[LDR_HLC_TEXT_LEN + 1];
    json_error_t jerr;
    json_t *set_obj = json_loads(set, 0, &jerr), *doc;

    if (!set_obj)
        fail_msg("bad test JSON %s: %s", set, jerr.text);
    ldr_hlc_format(hlc, (struct ldr_hlc){clock_ms++, 0});
    doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o}", "kind", kind,
                    "record", record, "hlc", hlc, "device", device, "author",
                    author, "base", (json_int_t)base, "set", set_obj);
    if (unset)
        json_object_set_new(doc, "unset", json_loads(unset, 0, NULL));
    return doc;
}

/* The text of a change set of the given changes (NULL-ended, stolen). */
static char *set_text(json_t *first, ...)
{
    char id[LDR_UUID_LEN + 1];
    json_t *changes = json_array(), *doc;
    va_list ap;
    char *text;

    assert_int_equal(ldr_uuid_v7(id, NULL), 0);
    va_start(ap, first);
    for (json_t *c = first; c; c = va_arg(ap, json_t *))
        json_array_append_new(changes, c);
    va_end(ap);
    doc = json_pack("{s:s, s:o}", "id", id, "changes", changes);
    text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

/* Posts `body` as `p`; the answer parsed, the status in *status. */
static json_t *post_text(const struct hub_principal *p, const char *body,
                         int *status)
{
    struct hub_answer a;
    json_t *doc;

    hub_post_changeset(writer, &cfg, p, body, strlen(body), &a);
    *status = a.status;
    doc = json_loads(a.body, 0, NULL);
    if (!doc)
        fail_msg("answer is not JSON: %s", a.body);
    hub_answer_release(&a);
    return doc;
}

/* Posts one set of changes and expects 200. */
static json_t *post(const struct hub_principal *p, json_t *first, ...)
{
    json_t *changes[16], *answer;
    size_t n = 0;
    va_list ap;
    char *body;
    int status;

    va_start(ap, first);
    for (json_t *c = first; c && n < 15; c = va_arg(ap, json_t *))
        changes[n++] = c;
    va_end(ap);
    changes[n] = NULL;
    body = set_text(changes[0], n > 1 ? changes[1] : NULL,
                    n > 2 ? changes[2] : NULL, n > 3 ? changes[3] : NULL, NULL);
    assert_true(n <= 4);
    answer = post_text(p, body, &status);
    if (status != 200)
        fail_msg("status %d: %s", status,
                 json_dumps(answer, JSON_COMPACT | JSON_ENCODE_ANY));
    free(body);
    return answer;
}

/* The seq of accepted change `index`, failing if it was not accepted. */
static uint64_t seq_of(const json_t *answer, size_t index)
{
    const json_t *item;
    size_t i;

    json_array_foreach(json_object_get(answer, "accepted"), i, item)
    {
        if ((size_t)json_integer_value(json_object_get(item, "index")) == index)
            return (uint64_t)json_integer_value(json_object_get(item, "seq"));
    }
    fail_msg("change %zu was not accepted: %s", index,
             json_dumps(answer, JSON_COMPACT));
    return 0;
}

/* The rejection of change `index`: its code, and its message must hold
 * `fragment`. */
static void assert_rejected(const json_t *answer, size_t index,
                            const char *code, const char *fragment)
{
    const json_t *item;
    size_t i;

    json_array_foreach(json_object_get(answer, "rejected"), i, item)
    {
        const char *c = json_string_value(json_object_get(item, "code"));
        const char *m = json_string_value(json_object_get(item, "message"));

        if ((size_t)json_integer_value(json_object_get(item, "index")) != index)
            continue;
        if (strcmp(c, code) != 0 || !strstr(m, fragment))
            fail_msg("change %zu: got %s '%s', want %s '%s'", index, c, m, code,
                     fragment);
        return;
    }
    fail_msg("change %zu was not rejected: %s", index,
             json_dumps(answer, JSON_COMPACT));
}

/* An error answer: status, code and a fragment of the message. */
static void assert_error(const json_t *answer, int status, int want,
                         const char *code, const char *fragment)
{
    const json_t *e = json_object_get(answer, "error");
    const char *c = json_string_value(json_object_get(e, "code"));
    const char *m = json_string_value(json_object_get(e, "message"));

    if (status != want || !c || strcmp(c, code) != 0 || !strstr(m, fragment))
        fail_msg("got %d %s '%s', want %d %s '%s'", status, c ? c : "-",
                 m ? m : "-", want, code, fragment);
}

/* ---- records of each kind ------------------------------------------------ */

static void person_record(char out[LDR_UUID_LEN + 1], const char *person)
{
    ldr_domain_person_record(out, person);
}

/* hr puts `person` on the roster in `unit`. */
static void add_person(const char *person, const char *unit)
{
    char rec[LDR_UUID_LEN + 1], set[256];

    person_record(rec, person);
    snprintf(set, sizeof set,
             "{\"/id\": \"%s\", \"/name\": \"王芳\", \"/unit\": \"%s\", "
             "\"/grade\": \"am2\"}",
             person, unit);
    json_decref(
        post(&hr, change("person", rec, DEV_HR, hr.id, 0, set, NULL), NULL));
}

/* A new assessment of `subject` by `p` (a draft), as a change. */
static json_t *new_assessment(char rec[LDR_UUID_LEN + 1],
                              const struct hub_principal *p, const char *device,
                              const char *subject, const char *kind)
{
    char set[1024];

    assert_int_equal(ldr_uuid_v7(rec, NULL), 0);
    snprintf(set, sizeof set,
             "{\"/subject\": \"%s\", \"/model\": \"account-manager\", "
             "\"/version\": \"%s\", \"/grade\": \"am2\", \"/kind\": \"%s\", "
             "\"/assessor\": \"%s\", \"/state\": \"draft\", "
             "\"/created\": \"" CREATED "\", "
             "\"/ratings/relationship-maintenance/level\": 3}",
             subject, version, kind, p->id);
    return change("assessment", rec, device, p->id, 0, set, NULL);
}

static json_t *new_note(char rec[LDR_UUID_LEN + 1],
                        const struct hub_principal *p, const char *device,
                        const char *subject, bool private)
{
    char set[512];

    assert_int_equal(ldr_uuid_v7(rec, NULL), 0);
    snprintf(set, sizeof set,
             "{\"/subject\": \"%s\", \"/author\": \"%s\", \"/text\": "
             "\"下周陪访重点客户\", \"/private\": %s, \"/created\": "
             "\"" CREATED "\"}",
             subject, p->id, private ? "true" : "false");
    return change("note", rec, device, p->id, 0, set, NULL);
}

/* ---- looking at the database --------------------------------------------- */

static long long scalar(const char *sql)
{
    sqlite3_stmt *st;
    long long v = -1;

    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Row counts of every table a change set writes, to compare. */
struct counts {
    long long sets, changes, records, rejections, conflicts, total_changes;
    char clock[32];
};

static struct counts counts(void)
{
    struct counts c = {scalar("SELECT count(*) FROM changesets"),
                       scalar("SELECT count(*) FROM changes"),
                       scalar("SELECT count(*) FROM records"),
                       scalar("SELECT count(*) FROM rejections"),
                       scalar("SELECT count(*) FROM conflicts"),
                       sqlite3_total_changes(db),
                       ""};
    sqlite3_stmt *st;

    sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'clock'", -1,
                       &st, NULL);
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(c.clock, sizeof c.clock, "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return c;
}

static void assert_unchanged(const struct counts *a, const struct counts *b)
{
    assert_int_equal(a->sets, b->sets);
    assert_int_equal(a->changes, b->changes);
    assert_int_equal(a->records, b->records);
    assert_int_equal(a->rejections, b->rejections);
    assert_int_equal(a->conflicts, b->conflicts);
    assert_string_equal(a->clock, b->clock);
}

/* The value of a record at the hub, from its state. */
static json_t *value_of(const char *kind, const char *id)
{
    struct ldr_record rec;
    struct ldr_err err = {0};
    sqlite3_stmt *st;
    json_t *state = NULL, *v = NULL;

    sqlite3_prepare_v2(db,
                       "SELECT state FROM records WHERE kind = ? AND id = ?",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        state = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
    sqlite3_finalize(st);
    ldr_record_init(&rec, kind, id);
    if (state && ldr_record_from_json(&rec, state, &err) == 0)
        v = ldr_record_value(&rec);
    ldr_record_release(&rec);
    json_decref(state);
    return v;
}

/* One page of GET /v1/changes as `p`, parsed; expects 200. */
static json_t *pull(const struct hub_principal *p, uint64_t since, size_t limit,
                    bool state_form)
{
    struct hub_answer a;
    json_t *doc;

    hub_get_changes(db, p, since, limit, state_form, NULL, NULL, &a);
    assert_int_equal(a.status, 200);
    doc = json_loads(a.body, 0, NULL);
    assert_non_null(doc);
    hub_answer_release(&a);
    return doc;
}

/* True if a page (state or changes form) holds record `id`. */
static bool page_has(const json_t *page, const char *id)
{
    const json_t *item;
    size_t i;

    json_array_foreach(json_object_get(page, "items"), i, item)
    {
        const json_t *c = json_object_get(item, "change");
        const char *rec =
            json_string_value(json_object_get(c ? c : item, "record"));

        if (rec && strcmp(rec, id) == 0)
            return true;
    }
    return false;
}

/* Whether `p` sees record `id` in a full state pull. */
static bool sees(const struct hub_principal *p, const char *id)
{
    json_t *page = pull(p, 0, HUB_PULL_MAX_LIMIT, true);
    bool found = page_has(page, id);

    json_decref(page);
    return found;
}

/* ---- push and pull ------------------------------------------------------- */

static void test_sync__push_pull_round_trip(void **state)
{
    char rec[LDR_UUID_LEN + 1], north[LDR_UUID_LEN + 1],
        south[LDR_UUID_LEN + 1], sql[512];
    json_t *answer, *page, *items, *v;

    (void)state;
    add_person("E1001", "north");
    add_person("E2001", "south");
    person_record(north, "E1001");
    person_record(south, "E2001");
    answer =
        post(&li, new_assessment(rec, &li, DEV_LI, "E1001", "manager"), NULL);
    assert_int_equal(json_array_size(json_object_get(answer, "rejected")), 0);
    assert_int_equal(seq_of(answer, 0), scalar("SELECT max(seq) FROM changes"));
    json_decref(answer);
    /* the change and its record carry the set's arrival time, written as
     * the schema's defaults write times */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM changes c JOIN records r ON r.id = "
             "c.record WHERE c.record = '%s' AND c.received_at = r.updated_at "
             "AND c.received_at GLOB '2[0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T"
             "[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z' AND "
             "abs(julianday('now') - julianday(c.received_at)) < 0.01",
             rec);
    assert_int_equal(scalar(sql), 1);

    v = value_of("assessment", rec);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(v, "ratings"),
                                         "relationship-maintenance"),
                         "level")),
                     3);
    json_decref(v);

    page = pull(&li, 0, 0, false); /* since 0: the state form */
    assert_string_equal(json_string_value(json_object_get(page, "form")),
                        "state");
    items = json_object_get(page, "items");
    assert_int_equal(json_array_size(items), 2); /* E1001 and the assessment */
    assert_true(page_has(page, north));
    assert_true(page_has(page, rec));
    assert_false(page_has(page, south));
    assert_false(json_is_true(json_object_get(page, "more")));
    assert_int_equal(json_integer_value(json_object_get(page, "next")),
                     scalar("SELECT max(seq) FROM changes"));
    json_decref(page);

    page = pull(&li, 1, 0, false); /* the changes form */
    assert_string_equal(json_string_value(json_object_get(page, "form")),
                        "changes");
    assert_true(page_has(page, rec));
    assert_false(page_has(page, south));
    json_decref(page);
}

/* ---- the kept answer ----------------------------------------------------- */

static void test_sync__a_retry_gets_the_same_answer(void **state)
{
    char rec[LDR_UUID_LEN + 1];
    char *body;
    json_t *first, *again;
    struct counts before, after;
    int status;

    (void)state;
    add_person("E1002", "north");
    body = set_text(new_assessment(rec, &li, DEV_LI, "E1002", "manager"), NULL);
    first = post_text(&li, body, &status);
    assert_int_equal(status, 200);
    before = counts();
    again = post_text(&li, body, &status);
    after = counts();
    assert_int_equal(status, 200);
    assert_true(json_equal(first, again));
    assert_unchanged(&before, &after);
    json_decref(first);
    json_decref(again);
    free(body);
}

static void test_sync__a_reused_id_with_other_content_is_409(void **state)
{
    char rec[LDR_UUID_LEN + 1], id[64], *body, *other;
    json_t *answer, *doc;
    struct counts before, after;
    int status;

    (void)state;
    add_person("E1003", "north");
    body = set_text(new_assessment(rec, &li, DEV_LI, "E1003", "manager"), NULL);
    json_decref(post_text(&li, body, &status));
    doc = json_loads(body, 0, NULL);
    snprintf(id, sizeof id, "%s",
             json_string_value(json_object_get(doc, "id")));
    json_decref(doc);
    other =
        set_text(new_assessment(rec, &li, DEV_LI, "E1003", "manager"), NULL);
    doc = json_loads(other, 0, NULL);
    json_object_set_new(doc, "id", json_string(id));
    free(other);
    other = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    before = counts();
    answer = post_text(&li, other, &status);
    after = counts();
    assert_error(answer, status, 409, "changeset_reused",
                 "was already received with other content");
    assert_non_null(strstr(json_string_value(json_object_get(
                               json_object_get(answer, "error"), "message")),
                           id));
    assert_unchanged(&before, &after);
    json_decref(answer);
    free(body);
    free(other);
}

static void test_sync__a_malformed_body_is_400_and_stores_nothing(void **state)
{
    static const struct {
        const char *body;
        int status;
        const char *code, *fragment;
    } cases[] = {
        {"{\"id\": ", 400, "invalid", "change set is not valid JSON"},
        {"[]", 400, "invalid", "expected a change set object"},
        {"{\"id\": \"0193a5b2-8e00-7f11-a222-333344445555\", \"changes\": "
         "[{\"kind\": \"note\"}]}",
         400, "invalid", "change 0: /"},
        {"{\"id\": \"0193a5b2-8e00-7f11-a222-333344445555\", \"changes\": "
         "[{\"kind\": \"note\", \"record\": "
         "\"0193a5b2-8e01-7a6b-9c2d-3e4f5a6b7c8d\", \"hlc\": "
         "\"1795711458123-00000\", \"device\": \"" DEV_LI "\", \"author\": "
         "\"li.wei\", \"base\": 0, \"set\": {\"/a\": {\"b\": 1}}}]}",
         400, "invalid", "change 0: /set/~1a: expected a leaf value"},
    };
    struct counts before = counts(), after;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int status;
        json_t *answer = post_text(&li, cases[i].body, &status);

        assert_error(answer, status, cases[i].status, cases[i].code,
                     cases[i].fragment);
        json_decref(answer);
    }
    after = counts();
    assert_unchanged(&before, &after);
}

static void test_sync__too_many_changes_is_413(void **state)
{
    char a[LDR_UUID_LEN + 1], b[LDR_UUID_LEN + 1];
    char *body = set_text(new_note(a, &li, DEV_LI, "E1001", false),
                          new_note(b, &li, DEV_LI, "E1001", false), NULL);
    struct counts before = counts(), after;
    json_t *answer;
    int status;

    (void)state;
    cfg.limits.max_changes = 1;
    answer = post_text(&li, body, &status);
    ldr_limits_default(&cfg.limits);
    after = counts();
    assert_error(answer, status, 413, "too_big", "more than 1 changes");
    assert_unchanged(&before, &after);
    json_decref(answer);
    free(body);
}

/* ---- authorisation ------------------------------------------------------- */

static void test_sync__a_forged_author_is_forbidden(void **state)
{
    char rec[LDR_UUID_LEN + 1], good[LDR_UUID_LEN + 1];
    json_t *forged = new_assessment(rec, &li, DEV_LI, "E1001", "manager");
    struct counts before = counts(), after;
    json_t *answer;
    char *body;
    int status;

    (void)state;
    json_object_set_new(forged, "author", json_string("zhang.min"));
    body = set_text(json_incref(forged), NULL);
    answer = post_text(&li, body, &status);
    after = counts();
    assert_error(answer, status, 403, "forbidden",
                 "change 0: forbidden: author 'zhang.min' is not you "
                 "('li.wei')");
    assert_unchanged(&before, &after);
    json_decref(answer);
    free(body);

    /* in a set with a good change, the forged one alone is refused, and
     * kept out of the rejected list of the author it names */
    answer = post(&li, forged,
                  new_assessment(good, &li, DEV_LI, "E1001", "manager"), NULL);
    assert_rejected(answer, 0, "forbidden", "is not you");
    assert_true(seq_of(answer, 1) > 0);
    json_decref(answer);
    after = counts();
    assert_int_equal(after.rejections, before.rejections);
    assert_int_equal(after.sets, before.sets + 1);
}

static void test_sync__out_of_scope_is_forbidden(void **state)
{
    char rec[LDR_UUID_LEN + 1], note[LDR_UUID_LEN + 1];
    struct counts before = counts(), after;
    json_t *answer;
    char *body;
    int status;

    (void)state;
    body = set_text(new_assessment(rec, &li, DEV_LI, "E2001", "manager"),
                    new_note(note, &li, DEV_LI, "E9999", false), NULL);
    answer = post_text(&li, body, &status);
    after = counts();
    /* the same words for someone elsewhere and for no one at all */
    assert_error(answer, status, 403, "forbidden",
                 "change 0: forbidden: subject 'E2001' is not a person on "
                 "the roster in your scope (north)");
    assert_unchanged(&before, &after);
    json_decref(answer);
    free(body);
}

static void test_sync__only_hr_edits_the_roster(void **state)
{
    char rec[LDR_UUID_LEN + 1];
    const char *set = "{\"/id\": \"E1009\", \"/name\": \"李雷\", \"/unit\": "
                      "\"north\", \"/grade\": \"am1\"}";
    json_t *answer;
    char *body;
    int status;

    (void)state;
    person_record(rec, "E1009");
    body = set_text(change("person", rec, DEV_LI, li.id, 0, set, NULL), NULL);
    answer = post_text(&li, body, &status);
    assert_error(answer, status, 403, "forbidden",
                 "only hr edits the roster (person records); you are "
                 "assessor");
    json_decref(answer);
    free(body);

    /* hr moves a person only between units of its scope */
    {
        struct hub_principal north_hr = principal("zhou.hr", HUB_HR, "north");
        char moved[64];

        person_record(rec, "E1001");
        body = set_text(change("person", rec, DEV_HR, north_hr.id, 0,
                               "{\"/unit\": \"south\"}", NULL),
                        NULL);
        answer = post_text(&north_hr, body, &status);
        assert_error(answer, status, 403, "forbidden",
                     "unit 'south' is outside your scope (north)");
        json_decref(answer);
        free(body);
        snprintf(moved, sizeof moved, "%s", "person 'E2001' is in unit");
        person_record(rec, "E2001");
        body = set_text(change("person", rec, DEV_HR, north_hr.id, 0,
                               "{\"/unit\": \"north\"}", NULL),
                        NULL);
        answer = post_text(&north_hr, body, &status);
        assert_error(answer, status, 403, "forbidden", moved);
        json_decref(answer);
        free(body);
    }
}

static void pilot_set(char *out, size_t cap, const char *by)
{
    snprintf(out, cap,
             "{\"/name\": \"北区试点\", \"/model\": \"account-manager\", "
             "\"/version\": \"%s\", \"/file\": \"north.csv\", \"/rows\": 1, "
             "\"/by\": \"%s\", \"/imported\": \"" CREATED "\"}",
             version, by);
}

static void test_sync__pilots_are_for_trainers_and_hr(void **state)
{
    char rec[LDR_UUID_LEN + 1], pilot[LDR_UUID_LEN + 1], set[512];
    json_t *answer, *c;
    char *body;
    int status;

    (void)state;
    assert_int_equal(ldr_uuid_v7(pilot, NULL), 0);
    pilot_set(set, sizeof set, li.id);
    body = set_text(change("pilot", pilot, DEV_LI, li.id, 0, set, NULL), NULL);
    answer = post_text(&li, body, &status);
    assert_error(answer, status, 403, "forbidden",
                 "only trainers and hr write pilot records");
    json_decref(answer);
    free(body);
    pilot_set(set, sizeof set, chen.id);
    json_decref(post(
        &chen, change("pilot", pilot, DEV_CHEN, chen.id, 0, set, NULL), NULL));
    c = new_assessment(rec, &li, DEV_LI, "E1001", "pilot");
    json_object_set_new(json_object_get(c, "set"), "/pilot",
                        json_string(pilot));
    body = set_text(c, NULL);
    answer = post_text(&li, body, &status);
    assert_error(answer, status, 403, "forbidden",
                 "only trainers and hr write pilot assessments");
    json_decref(answer);
    free(body);

    c = new_assessment(rec, &chen, DEV_CHEN, "E1001", "pilot");
    json_object_set_new(json_object_get(c, "set"), "/pilot",
                        json_string(pilot));
    json_decref(post(&chen, c, NULL));
    assert_true(sees(&chen, pilot));
    assert_true(sees(&hr, pilot));
    assert_true(sees(&li, pilot)); /* names the pilot of what li reads */
    assert_true(sees(&li, rec));   /* the assessment is about E1001 */
}

static void test_sync__private_notes_are_for_their_author_and_hr(void **state)
{
    char secret[LDR_UUID_LEN + 1], open[LDR_UUID_LEN + 1];
    json_t *answer;
    char *body;
    int status;

    (void)state;
    json_decref(post(&li, new_note(secret, &li, DEV_LI, "E1001", true),
                     new_note(open, &li, DEV_LI, "E1001", false), NULL));
    assert_true(sees(&li, secret));
    assert_true(sees(&hr, secret));
    assert_false(sees(&zhang, secret));
    assert_true(sees(&zhang, open));
    assert_false(sees(&wang, open)); /* E1001 is in north */

    body = set_text(change("note", secret, DEV_ZHANG, zhang.id, 0,
                           "{\"/text\": \"改\"}", NULL),
                    NULL);
    answer = post_text(&zhang, body, &status);
    assert_error(answer, status, 403, "forbidden",
                 "the note is private to 'li.wei'");
    json_decref(answer);
    free(body);

    /* a note is written under its author's own name */
    body = set_text(new_note(open, &li, DEV_ZHANG, "E1001", true), NULL);
    {
        json_t *doc = json_loads(body, 0, NULL);
        json_t *c = json_array_get(json_object_get(doc, "changes"), 0);

        json_object_set_new(c, "author", json_string(zhang.id));
        free(body);
        body = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
    }
    answer = post_text(&zhang, body, &status);
    assert_error(answer, status, 403, "forbidden",
                 "a new note's /author must be you ('zhang.min'), not "
                 "'li.wei'");
    json_decref(answer);
    free(body);
}

static void test_sync__admin_writes_and_reads_nothing(void **state)
{
    char rec[LDR_UUID_LEN + 1];
    json_t *answer, *page;
    char *body;
    int status;

    (void)state;
    body =
        set_text(new_assessment(rec, &admin, DEV_HR, "E1001", "manager"), NULL);
    answer = post_text(&admin, body, &status);
    assert_error(answer, status, 403, "forbidden",
                 "an admin token writes no records");
    json_decref(answer);
    free(body);
    page = pull(&admin, 0, 0, true);
    assert_int_equal(json_array_size(json_object_get(page, "items")), 0);
    assert_false(json_is_true(json_object_get(page, "more")));
    assert_int_equal(json_integer_value(json_object_get(page, "next")),
                     scalar("SELECT max(seq) FROM changes"));
    json_decref(page);
}

/* ---- domain rules -------------------------------------------------------- */

static json_t *edit(const char *rec, const struct hub_principal *p,
                    const char *device, const char *set, const char *unset)
{
    return change("assessment", rec, device, p->id, 0, set, unset);
}

static void test_sync__domain_rejections_are_kept(void **state)
{
    char rec[LDR_UUID_LEN + 1], other[LDR_UUID_LEN + 1];
    json_t *answer, *c;

    (void)state;
    c = new_assessment(rec, &li, DEV_LI, "E1001", "manager");
    answer =
        post(&li, c,
             edit(rec, &li, DEV_LI,
                  "{\"/ratings/relationship-maintenance/level\": 9}", NULL),
             NULL);
    assert_true(seq_of(answer, 0) > 0);
    assert_rejected(answer, 1, "invalid",
                    "/ratings/relationship-maintenance/level: level 9 is not "
                    "on the scale");
    json_decref(answer);
    assert_int_equal(scalar("SELECT count(*) FROM rejections WHERE code = "
                            "'invalid' AND message LIKE '%level 9%' AND "
                            "json_extract(body, '$.set') IS NOT NULL"),
                     1);

    /* the rejected change left the record as it was */
    c = value_of("assessment", rec);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(c, "ratings"),
                                         "relationship-maintenance"),
                         "level")),
                     3);
    json_decref(c);

    /* a model version the hub lacks */
    c = new_assessment(other, &li, DEV_LI, "E1001", "manager");
    json_object_set_new(
        json_object_get(c, "set"), "/version",
        json_string("ffffffffffffffffffffffffffffffffffffffff"));
    answer = post(&li, c, NULL);
    assert_rejected(answer, 0, "model_unknown",
                    "model account-manager@ffffffffffffffffffffffffffffffff"
                    "ffffffff is not on the hub");
    json_decref(answer);
    assert_null(value_of("assessment", other));
}

static void test_sync__hr_reopens_and_withdraws(void **state)
{
    char rec[LDR_UUID_LEN + 1];
    const char *submit = "{\"/state\": \"submitted\", \"/submitted\": "
                         "\"2026-11-27T10:00:00.000Z\"}";
    json_t *answer, *v, *c;

    (void)state;
    c = new_assessment(rec, &li, DEV_LI, "E1001", "manager");
    json_decref(post(&li, c, edit(rec, &li, DEV_LI, submit, NULL), NULL));
    answer =
        post(&li, edit(rec, &li, DEV_LI, "{\"/performance\": 80}", NULL), NULL);
    assert_rejected(answer, 0, "invalid",
                    "/performance: assessment was submitted on "
                    "2026-11-27T10:00:00.000Z: it can no longer be edited");
    json_decref(answer);
    answer = post(
        &li, edit(rec, &li, DEV_LI, "{\"/performance\": 80}", NULL),
        edit(rec, &li, DEV_LI, "{\"/state\": \"draft\"}", "[\"/submitted\"]"),
        NULL);
    assert_rejected(answer, 1, "forbidden", "only hr reopens or withdraws");
    json_decref(answer);

    answer = post(
        &hr,
        edit(rec, &hr, DEV_HR, "{\"/state\": \"draft\"}", "[\"/submitted\"]"),
        NULL);
    assert_true(seq_of(answer, 0) > 0);
    json_decref(answer);
    json_decref(post(&li,
                     edit(rec, &li, DEV_LI, "{\"/performance\": 80}", NULL),
                     edit(rec, &li, DEV_LI, submit, NULL), NULL));
    answer =
        post(&hr, edit(rec, &hr, DEV_HR, "{\"/state\": \"withdrawn\"}", NULL),
             edit(rec, &hr, DEV_HR, "{\"/performance\": 81}", NULL), NULL);
    assert_true(seq_of(answer, 0) > 0);
    assert_rejected(answer, 1, "invalid", "assessment was withdrawn");
    json_decref(answer);
    v = value_of("assessment", rec);
    assert_string_equal(json_string_value(json_object_get(v, "state")),
                        "withdrawn");
    assert_int_equal(json_integer_value(json_object_get(v, "performance")), 80);
    json_decref(v);
}

/* ---- stamps -------------------------------------------------------------- */

static void test_sync__a_clock_ahead_is_rejected_naming_it(void **state)
{
    char rec[LDR_UUID_LEN + 1], hlc[LDR_HLC_TEXT_LEN + 1];
    json_t *c = new_note(rec, &li, DEV_LI, "E1001", false), *answer;
    struct counts before = counts(), after;

    (void)state;
    ldr_hlc_format(hlc, (struct ldr_hlc){ldr_wall_ms() + 3600 * 1000, 0});
    json_object_set_new(c, "hlc", json_string(hlc));
    answer = post(&li, c, NULL);
    after = counts();
    assert_rejected(answer, 0, "clock_ahead",
                    "clock of device " DEV_LI " of 'li.wei' is 1h");
    assert_rejected(answer, 0, "clock_ahead", "(limit 10m)");
    assert_int_equal(after.changes, before.changes);
    assert_int_equal(after.rejections, before.rejections + 1);
    assert_string_equal(after.clock, before.clock); /* the clock kept out */
    json_decref(answer);
}

static void test_sync__a_reused_stamp_is_a_duplicate(void **state)
{
    char rec[LDR_UUID_LEN + 1];
    json_t *c = new_note(rec, &li, DEV_LI, "E1001", false), *other, *answer;
    uint64_t seq;
    long long rows;

    (void)state;
    other = json_deep_copy(c);
    answer = post(&li, json_incref(c), NULL);
    seq = seq_of(answer, 0);
    json_decref(answer);
    rows = scalar("SELECT count(*) FROM changes");

    /* the same change again, in another set: the seq it has */
    answer = post(&li, c, NULL);
    assert_int_equal(seq_of(answer, 0), seq);
    assert_int_equal(scalar("SELECT count(*) FROM changes"), rows);
    json_decref(answer);

    json_object_set_new(json_object_get(other, "set"), "/text",
                        json_string("别的"));
    answer = post(&li, json_deep_copy(other), NULL);
    assert_rejected(answer, 0, "duplicate_stamp",
                    "device " DEV_LI " already sent another change");
    assert_int_equal(scalar("SELECT count(*) FROM changes"), rows);
    json_decref(answer);

    /* under the same stamp, a field the first did not write: the record
     * cannot tell it was stamped before, the log can */
    json_object_set_new(json_object_get(other, "set"), "/due",
                        json_string("2026-12-03"));
    answer = post(&li, other, NULL);
    assert_rejected(answer, 0, "duplicate_stamp",
                    "device " DEV_LI " already sent another change");
    assert_int_equal(scalar("SELECT count(*) FROM changes"), rows);
    json_decref(answer);
}

/* A new record's first change twice in one set: logged once, both
 * answered with its seq; another change under its stamp is refused. */
static void test_sync__a_new_record_stamp_twice_in_one_set(void **state)
{
    char rec[LDR_UUID_LEN + 1];
    json_t *c = new_note(rec, &li, DEV_LI, "E1001", false), *other, *answer;
    long long rows = scalar("SELECT count(*) FROM changes");

    (void)state;
    other = json_deep_copy(c);
    json_object_set_new(json_object_get(other, "set"), "/text",
                        json_string("别的"));
    answer = post(&li, json_incref(c), json_deep_copy(c), other, NULL);
    assert_int_equal(seq_of(answer, 1), seq_of(answer, 0));
    assert_rejected(answer, 2, "duplicate_stamp",
                    "device " DEV_LI " already sent another change");
    assert_int_equal(scalar("SELECT count(*) FROM changes"), rows + 1);
    json_decref(answer);
    json_decref(c);
}

/* ---- conflicts ----------------------------------------------------------- */

static void test_sync__concurrent_writes_are_journalled(void **state)
{
    char rec[LDR_UUID_LEN + 1];
    const char *path = "/ratings/relationship-maintenance/level";
    json_t *answer, *doc, *list, *c, *first;
    struct hub_answer a;
    uint64_t base;

    (void)state;
    answer =
        post(&li, new_assessment(rec, &li, DEV_LI, "E1001", "manager"), NULL);
    base = seq_of(answer, 0);
    json_decref(answer);
    /* zhang.min writes first in time, li.wei later: both saw `base` */
    first = change("assessment", rec, DEV_ZHANG, zhang.id, base,
                   "{\"/ratings/relationship-maintenance/level\": 4}", NULL);
    answer = post(&li,
                  change("assessment", rec, DEV_LI, li.id, base,
                         "{\"/ratings/relationship-maintenance/level\": "
                         "2}",
                         NULL),
                  NULL);
    json_decref(answer);
    answer = post(&zhang, first, NULL);
    assert_int_equal(json_integer_value(json_object_get(answer, "conflicts")),
                     1);
    json_decref(answer);

    hub_get_conflicts(db, &zhang, &a);
    assert_int_equal(a.status, 200);
    doc = json_loads(a.body, 0, NULL);
    list = json_object_get(doc, "conflicts");
    hub_answer_release(&a);
    c = json_array_get(list, 0);
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "record")), rec);
    assert_string_equal(json_string_value(json_object_get(c, "path")), path);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(c, "winner"), "author")),
                        "li.wei");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(c, "winner"), "value")),
                     2);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(c, "loser"), "author")),
                        "zhang.min");
    assert_int_equal(json_integer_value(
                         json_object_get(json_object_get(c, "loser"), "value")),
                     4);
    json_decref(doc);

    /* south sees none of north's conflicts */
    hub_get_conflicts(db, &wang, &a);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.body, "\"conflicts\":[]"));
    hub_answer_release(&a);
}

/* ---- pulls rebuild the hub's state --------------------------------------- */

struct replica {
    struct ldr_record recs[64];
    size_t n;
};

static struct ldr_record *replica_get(struct replica *r, const char *kind,
                                      const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->recs[i].kind, kind) == 0 &&
            strcmp(r->recs[i].id, id) == 0)
            return &r->recs[i];
    assert_true(r->n < 64);
    ldr_record_init(&r->recs[r->n], kind, id);
    return &r->recs[r->n++];
}

static void replica_item(struct replica *r, const json_t *item, bool state_form)
{
    struct ldr_err err = {0};

    if (state_form) {
        struct ldr_record hub;

        ldr_record_init(&hub, json_string_value(json_object_get(item, "kind")),
                        json_string_value(json_object_get(item, "record")));
        if (ldr_record_from_json(&hub, json_object_get(item, "state"), &err) ||
            ldr_record_merge(replica_get(r, hub.kind, hub.id), &hub, &err))
            fail_msg("%s", err.msg);
        ldr_record_release(&hub);
    } else {
        struct ldr_change ch;
        uint64_t seq =
            (uint64_t)json_integer_value(json_object_get(item, "seq"));

        if (ldr_change_from_json(&ch, json_object_get(item, "change"), 0, NULL,
                                 &err) ||
            ldr_record_apply(replica_get(r, ch.kind, ch.record), &ch, seq, NULL,
                             NULL, &err))
            fail_msg("%s", err.msg);
        ldr_change_release(&ch);
    }
}

/* Pulls pages of `limit` from `since` until no more; returns the cursor. */
static uint64_t replica_pull(struct replica *r, const struct hub_principal *p,
                             uint64_t since, size_t limit, bool state_form)
{
    bool more = true;

    while (more) {
        json_t *page = pull(p, since, limit, state_form);
        const json_t *item;
        size_t i;

        assert_true(json_array_size(json_object_get(page, "items")) <= limit);
        json_array_foreach(json_object_get(page, "items"), i, item)
            replica_item(r, item, state_form);
        more = json_is_true(json_object_get(page, "more"));
        assert_true((uint64_t)json_integer_value(
                        json_object_get(page, "next")) >= since);
        since = (uint64_t)json_integer_value(json_object_get(page, "next"));
        json_decref(page);
    }
    return since;
}

/* Every record of the hub, dumped, equals the replica's. */
static void assert_same_state(struct replica *r)
{
    sqlite3_stmt *st;
    size_t n = 0;

    sqlite3_prepare_v2(db, "SELECT kind, id, state FROM records", -1, &st,
                       NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct ldr_record *rec =
            replica_get(r, (const char *)sqlite3_column_text(st, 0),
                        (const char *)sqlite3_column_text(st, 1));
        char *mine = ldr_record_dump(rec, NULL);

        assert_string_equal(mine, (const char *)sqlite3_column_text(st, 2));
        free(mine);
        n++;
    }
    sqlite3_finalize(st);
    assert_int_equal(n, r->n);
}

static void replica_release(struct replica *r)
{
    for (size_t i = 0; i < r->n; i++)
        ldr_record_release(&r->recs[i]);
    r->n = 0;
}

static void test_sync__pulls_rebuild_the_hub_state(void **state)
{
    static struct replica first, replay;
    struct hub_principal everyone = principal("wang.hr", HUB_HR, "north,south");
    char rec[LDR_UUID_LEN + 1], note[LDR_UUID_LEN + 1];
    uint64_t cursor;

    (void)state;
    cursor = replica_pull(&first, &everyone, 0, 3, true);
    assert_int_equal(cursor, scalar("SELECT max(seq) FROM changes"));
    assert_same_state(&first);

    /* more work after the first sync, then the changes form */
    json_decref(post(&li, new_assessment(rec, &li, DEV_LI, "E1001", "manager"),
                     new_note(note, &li, DEV_LI, "E1001", true), NULL));
    json_decref(post(&li,
                     edit(rec, &li, DEV_LI,
                          "{\"/ratings/customer-retention/level\": 2}",
                          "[\"/ratings/relationship-maintenance\"]"),
                     change("note", note, DEV_LI, li.id, 0,
                            "{\"/done\": \"2026-12-02T16:00:00.000Z\"}", NULL),
                     NULL));
    add_person("E2002", "south");
    cursor = replica_pull(&first, &everyone, cursor, 2, false);
    assert_int_equal(cursor, scalar("SELECT max(seq) FROM changes"));
    assert_same_state(&first);

    /* a replica made now, from states alone, agrees too */
    replica_pull(&replay, &everyone, 0, 1, true);
    assert_same_state(&replay);
    replica_release(&first);
    replica_release(&replay);
}

/* Pages through everything `p` may read, `limit` at a time, as an agent
 * does: state pages from 0 until no more, then change pages. */
static size_t pages_until_done(const struct hub_principal *p, uint64_t since,
                               bool state_form, size_t *seen, uint64_t *cursor)
{
    size_t pages = 0;
    bool more = true;

    *seen = 0;
    while (more) {
        json_t *page = pull(p, since, 1, state_form);

        *seen += json_array_size(json_object_get(page, "items"));
        more = json_is_true(json_object_get(page, "more"));
        since = (uint64_t)json_integer_value(json_object_get(page, "next"));
        json_decref(page);
        assert_true(++pages < 100);
    }
    *cursor = since;
    return pages;
}

/* A caller that may read little still moves through the log, and each
 * page holds something it may read until the last. */
static void test_sync__pages_move_past_what_the_caller_cannot_see(void **state)
{
    uint64_t last, cursor;
    size_t seen, pilots;
    char rec[LDR_UUID_LEN + 1];

    (void)state;
    add_person("E2003", "south");
    json_decref(post(&li, new_note(rec, &li, DEV_LI, "E1001", false), NULL));
    last = (uint64_t)scalar("SELECT max(seq) FROM changes");
    /* south has E2001, E2002 and E2003, and everyone sees pilots: a page
     * each */
    pilots = (size_t)scalar("SELECT count(*) FROM records WHERE kind = "
                            "'pilot'");
    assert_int_equal(pages_until_done(&wang, 0, true, &seen, &cursor),
                     3 + pilots);
    assert_int_equal(seen, 3 + pilots);
    assert_int_equal(cursor, last);
    assert_int_equal(pages_until_done(&wang, cursor, false, &seen, &cursor), 1);
    assert_int_equal(seen, 0);
    assert_int_equal(cursor, last);
    /* the history: one change each, north's changes in between skipped */
    assert_int_equal(pages_until_done(&wang, 1, false, &seen, &cursor),
                     3 + pilots);
    assert_int_equal(seen, 3 + pilots);
    assert_int_equal(cursor, last);
}

/* ---- several changes to one record in one set ---------------------------- */

/* The stored state and value of a record are its logged changes applied
 * in seq order, as separate sets would have left them. */
static void assert_state_is_its_log(const char *kind, const char *id)
{
    struct ldr_record rec;
    struct ldr_err err = {0};
    sqlite3_stmt *st;
    json_t *value, *stored = value_of(kind, id);
    char *mine;

    ldr_record_init(&rec, kind, id);
    sqlite3_prepare_v2(db,
                       "SELECT seq, body FROM changes WHERE kind = ? AND "
                       "record = ? ORDER BY seq",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *body = (const char *)sqlite3_column_text(st, 1);
        struct ldr_change ch;

        if (ldr_change_parse(&ch, body, strlen(body), 0, NULL, &err) ||
            ldr_record_apply(&rec, &ch, (uint64_t)sqlite3_column_int64(st, 0),
                             NULL, NULL, &err))
            fail_msg("%s", err.msg);
        ldr_change_release(&ch);
    }
    sqlite3_finalize(st);
    mine = ldr_record_dump(&rec, NULL);
    assert_non_null(mine);
    sqlite3_prepare_v2(db,
                       "SELECT state FROM records WHERE kind = ? AND id = ?",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), mine);
    sqlite3_finalize(st);
    value = ldr_record_value(&rec);
    assert_true(json_equal(value, stored));
    json_decref(value);
    json_decref(stored);
    free(mine);
    ldr_record_release(&rec);
}

static long long level_of(const char *rec, const char *competency)
{
    json_t *v = value_of("assessment", rec);
    long long level = json_integer_value(json_object_get(
        json_object_get(json_object_get(v, "ratings"), competency), "level"));

    json_decref(v);
    return level;
}

static void
test_sync__changes_to_one_record_in_one_set_apply_in_order(void **state)
{
    const char *raise = "{\"/ratings/relationship-maintenance/level\": 4}";
    const char *wrong = "{\"/ratings/relationship-maintenance/level\": 9}";
    const char *more = "{\"/ratings/customer-retention/level\": 2}";
    char one[LDR_UUID_LEN + 1], apart[LDR_UUID_LEN + 1];
    json_t *answer, *c[4];
    uint64_t last;

    (void)state;
    /* in one set: create, raise, a refused edit, another edit (made in
     * this order, so stamped in it) */
    c[0] = new_assessment(one, &li, DEV_LI, "E1001", "manager");
    c[1] = edit(one, &li, DEV_LI, raise, NULL);
    c[2] = edit(one, &li, DEV_LI, wrong, NULL);
    c[3] = edit(one, &li, DEV_LI, more, "[\"/ratings/x\"]");
    answer = post(&li, c[0], c[1], c[2], c[3], NULL);
    assert_true(seq_of(answer, 1) == seq_of(answer, 0) + 1);
    assert_rejected(answer, 2, "invalid", "level 9 is not on the scale");
    last = seq_of(answer, 3);
    assert_true(last == seq_of(answer, 1) + 1);
    json_decref(answer);
    assert_int_equal(scalar("SELECT max(rev) FROM records"), last);

    /* the same changes, one set each */
    json_decref(post(
        &li, new_assessment(apart, &li, DEV_LI, "E1001", "manager"), NULL));
    json_decref(post(&li, edit(apart, &li, DEV_LI, raise, NULL), NULL));
    answer = post(&li, edit(apart, &li, DEV_LI, wrong, NULL), NULL);
    assert_rejected(answer, 0, "invalid", "level 9 is not on the scale");
    json_decref(answer);
    json_decref(
        post(&li, edit(apart, &li, DEV_LI, more, "[\"/ratings/x\"]"), NULL));

    assert_int_equal(level_of(one, "relationship-maintenance"), 4);
    assert_int_equal(level_of(one, "customer-retention"), 2);
    assert_int_equal(level_of(apart, "relationship-maintenance"), 4);
    assert_int_equal(level_of(apart, "customer-retention"), 2);
    assert_state_is_its_log("assessment", one);
    assert_state_is_its_log("assessment", apart);
}

/* A person put on the roster by a set counts for the set's later changes,
 * though the set refused an assessment of them before. */
static void test_sync__the_roster_a_set_changes_counts_at_once(void **state)
{
    char person[LDR_UUID_LEN + 1], first[LDR_UUID_LEN + 1],
        second[LDR_UUID_LEN + 1];
    json_t *answer, *c[4];

    (void)state;
    person_record(person, "E3001");
    c[0] = new_assessment(first, &hr, DEV_HR, "E3001", "manager");
    c[1] = change("person", person, DEV_HR, hr.id, 0,
                  "{\"/id\": \"E3001\", \"/name\": \"陈静\", \"/unit\": "
                  "\"north\", \"/grade\": \"am2\"}",
                  NULL);
    c[2] = new_assessment(second, &hr, DEV_HR, "E3001", "manager");
    c[3] = change("person", person, DEV_HR, hr.id, 0, "{\"/unit\": \"east\"}",
                  NULL);
    answer = post(&hr, c[0], c[1], c[2], c[3], NULL);
    assert_rejected(answer, 0, "forbidden",
                    "subject 'E3001' is not a person on the roster");
    assert_true(seq_of(answer, 1) > 0);
    assert_true(seq_of(answer, 2) > 0);
    assert_rejected(answer, 3, "forbidden",
                    "unit 'east' is outside your scope");
    json_decref(answer);
    assert_null(value_of("assessment", first));
    assert_state_is_its_log("person", person);
    assert_state_is_its_log("assessment", second);
}

/* More records than a set keeps in memory, each changed twice, the
 * changes interleaved: every record still ends as its log says. */
/* li writes about `subject`: the status of the set (200, or 403 when
 * refused for scope). */
static int li_assesses(const char *subject)
{
    char rec[LDR_UUID_LEN + 1];
    char *body =
        set_text(new_assessment(rec, &li, DEV_LI, subject, "manager"), NULL);
    int status;

    json_decref(post_text(&li, body, &status));
    free(body);
    return status;
}

/* The writer keeps persons' units from set to set: a move counts from the
 * next set on, whether hr's change made it or another connection. */
static void test_sync__a_moved_person_counts_in_the_next_set(void **state)
{
    char person[LDR_UUID_LEN + 1], path[128], sql[256];
    sqlite3 *other;

    (void)state;
    add_person("E4001", "north");
    person_record(person, "E4001");
    assert_int_equal(li_assesses("E4001"), 200);
    json_decref(post(&hr,
                     change("person", person, DEV_HR, hr.id, 0,
                            "{\"/unit\": \"south\"}", NULL),
                     NULL));
    assert_int_equal(li_assesses("E4001"), 403);
    json_decref(post(&hr,
                     change("person", person, DEV_HR, hr.id, 0,
                            "{\"/unit\": \"north\"}", NULL),
                     NULL));
    assert_int_equal(li_assesses("E4001"), 200);

    snprintf(path, sizeof path, "%s/" HUB_DB_FILE, dir);
    snprintf(sql, sizeof sql,
             "UPDATE records SET unit = 'south' WHERE kind = 'person' AND "
             "id = '%s'",
             person);
    assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
    sqlite3_busy_timeout(other, 5000);
    assert_int_equal(sqlite3_exec(other, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    assert_int_equal(li_assesses("E4001"), 403);
}

static void test_sync__a_set_over_many_records_keeps_each_whole(void **state)
{
    enum { N = 140 };
    static char recs[N][LDR_UUID_LEN + 1];
    json_t *changes = json_array(), *doc, *answer;
    char id[LDR_UUID_LEN + 1], *body;
    int status;

    (void)state;
    for (size_t i = 0; i < N; i++)
        json_array_append_new(
            changes, new_assessment(recs[i], &li, DEV_LI, "E1001", "manager"));
    for (size_t i = 0; i < N; i++)
        json_array_append_new(
            changes,
            edit(recs[i], &li, DEV_LI,
                 i % 2 ? "{\"/ratings/relationship-maintenance/level\": 5}"
                       : "{\"/ratings/relationship-maintenance/level\": 0}",
                 NULL));
    assert_int_equal(ldr_uuid_v7(id, NULL), 0);
    doc = json_pack("{s:s, s:o}", "id", id, "changes", changes);
    body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    answer = post_text(&li, body, &status);
    assert_int_equal(status, 200);
    assert_int_equal(json_array_size(json_object_get(answer, "accepted")),
                     N + N / 2);
    assert_rejected(answer, N, "invalid", "level 0 is not on the scale");
    json_decref(answer);
    free(body);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(level_of(recs[i], "relationship-maintenance"),
                         i % 2 ? 5 : 3);
        assert_state_is_its_log("assessment", recs[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync__push_pull_round_trip),
        cmocka_unit_test(test_sync__a_retry_gets_the_same_answer),
        cmocka_unit_test(test_sync__a_reused_id_with_other_content_is_409),
        cmocka_unit_test(test_sync__a_malformed_body_is_400_and_stores_nothing),
        cmocka_unit_test(test_sync__too_many_changes_is_413),
        cmocka_unit_test(test_sync__a_forged_author_is_forbidden),
        cmocka_unit_test(test_sync__out_of_scope_is_forbidden),
        cmocka_unit_test(test_sync__only_hr_edits_the_roster),
        cmocka_unit_test(test_sync__pilots_are_for_trainers_and_hr),
        cmocka_unit_test(test_sync__private_notes_are_for_their_author_and_hr),
        cmocka_unit_test(test_sync__admin_writes_and_reads_nothing),
        cmocka_unit_test(test_sync__domain_rejections_are_kept),
        cmocka_unit_test(test_sync__hr_reopens_and_withdraws),
        cmocka_unit_test(test_sync__a_clock_ahead_is_rejected_naming_it),
        cmocka_unit_test(test_sync__a_reused_stamp_is_a_duplicate),
        cmocka_unit_test(test_sync__a_new_record_stamp_twice_in_one_set),
        cmocka_unit_test(test_sync__concurrent_writes_are_journalled),
        cmocka_unit_test(test_sync__pulls_rebuild_the_hub_state),
        cmocka_unit_test(test_sync__pages_move_past_what_the_caller_cannot_see),
        cmocka_unit_test(
            test_sync__changes_to_one_record_in_one_set_apply_in_order),
        cmocka_unit_test(test_sync__the_roster_a_set_changes_counts_at_once),
        cmocka_unit_test(test_sync__a_set_over_many_records_keeps_each_whole),
        cmocka_unit_test(test_sync__a_moved_person_counts_in_the_next_set),
    };

    /* the tests share one hub, in order: each builds on the roster the
     * first ones made */
    return cmocka_run_group_tests(tests, setup, teardown);
}
