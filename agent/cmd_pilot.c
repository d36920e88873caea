/* ladder pilot import|list: a trainer's pilot assessment results. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "ladder/cli.h"
#include "ladder/domain.h"
#include "ladder/err.h"
#include "ladder/uuid.h"
#include "out.h"
#include "pilot.h"
#include "store.h"

const char cmd_pilot_usage[] =
    "import FILE.csv --pilot NAME [--model ID[@VERSION]] [--json]\n"
    "       ladder pilot list [--json]\n"
    "\n"
    "  import  a trainer's results, one row per person (columns in\n"
    "          docs/pilot-csv.md), checked against the model and the\n"
    "          roster first: every bad row is listed with its line number\n"
    "          and nothing is imported; otherwise each row becomes a\n"
    "          submitted assessment of kind 'pilot', all in one\n"
    "          transaction. --model may be left out when this laptop has\n"
    "          one model; the latest version is used unless @VERSION.\n"
    "  list    the pilots imported here\n"
    "  --json  import: {\"pilot\", \"name\", \"model\", \"version\", "
    "\"rows\",\n"
    "          \"assessments\": [ids]}, or on problems {\"ok\": false,\n"
    "          \"problems\": [{\"line\", \"message\"}]}; list: [{\"id\", "
    "\"name\",\n"
    "          \"model\", \"version\", \"file\", \"rows\", \"by\", "
    "\"imported\"}]";

struct pilot_opts {
    const char *file, *name, *model;
    bool json;
};

static int parse(struct pilot_opts *o, const char *cmd, int argc, char **argv)
{
    static const struct option opts[] = {{"pilot", required_argument, 0, 'p'},
                                         {"model", required_argument, 0, 'm'},
                                         {"json", no_argument, 0, 'j'},
                                         {0, 0, 0, 0}};
    int c;

    memset(o, 0, sizeof *o);
    optind = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'p')
            o->name = optarg;
        else if (c == 'm')
            o->model = optarg;
        else if (c == 'j')
            o->json = true;
        else
            return out_opt_error(cmd, cmd_pilot_usage, argv, c);
    }
    return 0;
}

/* The only model on this laptop, for when --model is left out. */
static int only_model(struct store *s, char id[128], struct ldr_err *err)
{
    sqlite3_stmt *st;
    int n = 0;

    if (sqlite3_prepare_v2(s->db, "SELECT DISTINCT id FROM models LIMIT 2", -1,
                           &st, NULL) != SQLITE_OK)
        return ldr_err_set(err, LDR_EDB, "reading models: %s",
                           sqlite3_errmsg(s->db));
    while (sqlite3_step(st) == SQLITE_ROW)
        if (++n == 1)
            snprintf(id, 128, "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (n == 0)
        return ldr_err_set(err, LDR_ENOTFOUND,
                           "no model on this laptop: import one with 'ladder "
                           "model import FILE'");
    if (n > 1)
        return ldr_err_set(err, LDR_EINVAL,
                           "this laptop has several models: say which with "
                           "--model ID");
    return 0;
}

static int load_model(struct store *s, const char *ref, struct ldr_model **m,
                      char version[41], struct ldr_err *err)
{
    char id[128];
    const char *at = ref ? strchr(ref, '@') : NULL;
    int rc = 0;

    if (!ref)
        rc = only_model(s, id, err);
    else
        snprintf(id, sizeof id, "%.*s", at ? (int)(at - ref) : (int)strlen(ref),
                 ref);
    return rc ? rc
              : store_model_get(s, id, at ? at + 1 : NULL, m, version, err);
}

static bool on_roster(void *ctx, const char *person)
{
    char rec[LDR_UUID_LEN + 1];

    ldr_domain_person_record(rec, person);
    return store_get(ctx, "person", rec, NULL, NULL, NULL) == 0;
}

/* The roster grade of `person`, when the row names none; NULL if that is
 * not a grade of the model. Owned by the caller. */
static char *roster_grade(struct store *s, const struct ldr_model *m,
                          const char *person)
{
    char rec[LDR_UUID_LEN + 1];
    json_t *p = NULL;
    char *grade = NULL;

    ldr_domain_person_record(rec, person);
    if (store_get(s, "person", rec, &p, NULL, NULL) == 0) {
        const char *g = json_string_value(json_object_get(p, "grade"));
        if (g && ldr_model_grade_index(m, g) >= 0)
            grade = strdup(g);
    }
    json_decref(p);
    return grade;
}

/* Fills in missing grades from the roster; lists rows where neither the
 * file nor the roster gives a grade of the model, as {line, message}. */
static json_t *fill_grades(struct store *s, const struct ldr_model *m,
                           struct pilot_file *f)
{
    json_t *bad = json_array();
    char msg[512];

    for (size_t i = 0; i < f->nrows; i++) {
        struct pilot_row *row = &f->rows[i];

        if (row->grade)
            continue;
        row->grade = roster_grade(s, m, row->subject);
        if (row->grade)
            continue;
        snprintf(msg, sizeof msg,
                 "no grade given, and %s's roster grade is not a grade of "
                 "model %s: fill in the 'grade' column",
                 row->subject, m->id);
        json_array_append_new(bad,
                              json_pack("{s:I, s:s}", "line",
                                        (json_int_t)row->line, "message", msg));
    }
    return bad;
}

/* Every problem, on stdout as "line N: ..." or as JSON; the summary on
 * stderr. */
static int print_problems(json_t *problems, bool json, const char *summary)
{
    const json_t *p;
    size_t i;

    if (json) {
        out_json(json_pack("{s:b, s:O}", "ok", 0, "problems", problems));
    } else {
        json_array_foreach(problems, i, p)
        {
            json_int_t line = json_integer_value(json_object_get(p, "line"));
            const char *msg = json_string_value(json_object_get(p, "message"));
            if (line)
                printf("line %lld: %s\n", (long long)line, msg);
            else
                puts(msg);
        }
    }
    json_decref(problems);
    return out_fail("pilot import", "%s", summary);
}

static json_t *file_problems(const struct pilot_file *f)
{
    json_t *list = json_array();

    for (size_t i = 0; i < f->nproblems; i++)
        json_array_append_new(list,
                              json_pack("{s:I, s:s}", "line",
                                        (json_int_t)f->problems[i].line,
                                        "message", f->problems[i].message));
    return list;
}

/* The fields of one row's assessment. */
static json_t *row_fields(const struct pilot_row *row, const char *pilot,
                          const struct ldr_model *m, const char *version,
                          const char *now)
{
    json_t *set =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                  "/subject", row->subject, "/model", m->id, "/version",
                  version, "/grade", row->grade, "/kind", "pilot", "/pilot",
                  pilot, "/assessor", row->assessor, "/state", "submitted",
                  "/created", now, "/submitted", now);
    char path[256];

    if (row->has_performance)
        json_object_set_new(set, "/performance", json_real(row->performance));
    for (size_t i = 0; i < row->nratings; i++) {
        const struct pilot_rating *r = &row->ratings[i];

        if (r->has_level) {
            snprintf(path, sizeof path, "/ratings/%s/level", r->competency);
            json_object_set_new(set, path, json_integer(r->level));
        }
        if (r->evidence) {
            snprintf(path, sizeof path, "/ratings/%s/evidence", r->competency);
            json_object_set_new(set, path, json_string(r->evidence));
        }
        if (r->has_test) {
            snprintf(path, sizeof path, "/tests/%s", r->competency);
            json_object_set_new(set, path, json_real(r->test));
        }
    }
    return set;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

/* The pilot record, then one assessment a row; the caller commits. */
static int write_rows(struct store *s, const struct pilot_opts *o,
                      const struct pilot_file *f, const struct ldr_model *m,
                      const char *version, json_t *out, struct ldr_err *err)
{
    char pilot[LDR_UUID_LEN + 1], id[LDR_UUID_LEN + 1], now[25];
    json_t *ids = json_object_get(out, "assessments"), *set;
    int rc = ldr_uuid_v7(pilot, err);

    store_now(now);
    if (rc)
        return rc;
    set = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "/name", o->name,
                    "/model", m->id, "/version", version, "/file",
                    base_name(o->file), "/rows", (json_int_t)f->nrows, "/by",
                    s->user, "/imported", now);
    rc = store_write(s, "pilot", pilot, set, NULL, 0, NULL, err);
    json_decref(set);
    json_object_set_new(out, "pilot", json_string(pilot));
    for (size_t i = 0; rc == 0 && i < f->nrows; i++) {
        rc = ldr_uuid_v7(id, err);
        if (rc)
            break;
        set = row_fields(&f->rows[i], pilot, m, version, now);
        rc = store_write(s, "assessment", id, set, NULL, 0, NULL, err);
        json_decref(set);
        if (rc) {
            char why[LDR_ERR_MSG_MAX];
            snprintf(why, sizeof why, "%s", err->msg);
            ldr_err_set(err, rc, "line %zu: %s", f->rows[i].line, why);
        }
        json_array_append_new(ids, json_string(id));
    }
    return rc;
}

static int import_rows(struct store *s, const struct pilot_opts *o,
                       const struct pilot_file *f, const struct ldr_model *m,
                       const char *version)
{
    struct ldr_err err = {0};
    json_t *out = json_pack("{s:s, s:s, s:s, s:I, s:[]}", "name", o->name,
                            "model", m->id, "version", version, "rows",
                            (json_int_t)f->nrows, "assessments");
    int rc = store_begin(s, &err);

    if (rc == 0)
        rc = write_rows(s, o, f, m, version, out, &err);
    if (rc == 0)
        rc = store_commit(s, &err);
    if (rc) {
        store_rollback(s);
        json_decref(out);
        return out_fail("pilot import", "%s; nothing was imported", err.msg);
    }
    if (o->json)
        return out_json(out);
    printf("imported %zu rows of pilot '%s' as %s (%s@%.12s)\n", f->nrows,
           o->name, json_string_value(json_object_get(out, "pilot")), m->id,
           version);
    json_decref(out);
    return LDR_EXIT_OK;
}

static int check_grades(struct store *s, const struct pilot_opts *o,
                        const struct ldr_model *m, struct pilot_file *f)
{
    json_t *bad = fill_grades(s, m, f);
    char summary[STORE_PATH_MAX + 64];

    if (json_array_size(bad) == 0) {
        json_decref(bad);
        return 0;
    }
    snprintf(summary, sizeof summary,
             "%s: %zu rows without a grade; nothing was imported", o->file,
             json_array_size(bad));
    return print_problems(bad, o->json, summary);
}

static int import_file(struct store *s, const struct pilot_opts *o)
{
    struct pilot_file f = {0};
    struct ldr_model *m = NULL;
    struct ldr_err err = {0};
    char version[41];
    int rc = load_model(s, o->model, &m, version, &err);

    if (rc)
        return out_err("pilot import", &err);
    rc = pilot_read(&f, o->file, m, on_roster, s, &err);
    if (rc == LDR_EINVAL) {
        rc = print_problems(file_problems(&f), o->json, err.msg);
    } else if (rc) {
        rc = out_err("pilot import", &err);
    } else {
        rc = check_grades(s, o, m, &f);
        if (rc == 0)
            rc = import_rows(s, o, &f, m, version);
    }
    pilot_release(&f);
    ldr_model_free(m);
    return rc;
}

static int pilot_import(int argc, char **argv)
{
    struct pilot_opts o;
    struct store s;
    int rc = parse(&o, "pilot import", argc, argv);

    if (rc)
        return rc;
    if (optind != argc - 1)
        return out_usage("pilot import", cmd_pilot_usage, "give one FILE.csv");
    o.file = argv[optind];
    if (!o.name || !*o.name)
        return out_usage("pilot import", cmd_pilot_usage,
                         "--pilot NAME is required: the name of this pilot");
    if ((rc = open_store(&s, "pilot import")) != 0)
        return rc;
    rc = import_file(&s, &o);
    store_close(&s);
    return rc;
}

static json_t *query_pilots(struct store *s)
{
    json_t *list = json_array();
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, value FROM records WHERE kind = "
                           "'pilot' ORDER BY json_extract(value, "
                           "'$.imported')",
                           -1, &st, NULL) != SQLITE_OK)
        return list;
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *item = json_pack("{s:s}", "id", sqlite3_column_text(st, 0));
        json_t *v =
            json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);

        if (v)
            json_object_update(item, v);
        json_decref(v);
        json_array_append_new(list, item);
    }
    sqlite3_finalize(st);
    return list;
}

static void print_pilots(const json_t *list)
{
    static const char *const head[] = {"ID",   "NAME", "MODEL",    "ROWS",
                                       "FILE", "BY",   "IMPORTED", NULL};
    struct table t;
    const json_t *p;
    size_t i;

    table_init(&t, head);
    json_array_foreach(list, i, p)
    {
        char rows[24];

        snprintf(rows, sizeof rows, "%lld",
                 (long long)json_integer_value(json_object_get(p, "rows")));
        table_row(&t, (const char *const[]){
                          json_string_value(json_object_get(p, "id")),
                          json_string_value(json_object_get(p, "name")),
                          json_string_value(json_object_get(p, "model")), rows,
                          json_string_value(json_object_get(p, "file")),
                          json_string_value(json_object_get(p, "by")),
                          json_string_value(json_object_get(p, "imported"))});
    }
    table_print(&t, stdout);
    table_release(&t);
}

static int pilot_list(int argc, char **argv)
{
    struct pilot_opts o;
    struct store s;
    json_t *list;
    int rc = parse(&o, "pilot list", argc, argv);

    if (rc)
        return rc;
    if (optind < argc || o.name || o.model)
        return out_usage("pilot list", cmd_pilot_usage,
                         "list takes only --json");
    if ((rc = open_store(&s, "pilot list")) != 0)
        return rc;
    list = query_pilots(&s);
    store_close(&s);
    if (o.json)
        return out_json(list);
    if (json_array_size(list) == 0)
        puts("no pilots imported yet");
    else
        print_pilots(list);
    json_decref(list);
    return LDR_EXIT_OK;
}

int cmd_pilot(int argc, char **argv)
{
    static const struct subcommand subs[] = {{"import", pilot_import},
                                             {"list", pilot_list}};

    return run_subcommand("pilot", cmd_pilot_usage, subs,
                          sizeof subs / sizeof *subs, argc, argv);
}
