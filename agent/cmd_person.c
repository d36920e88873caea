/* ladder person add|set|list|show: the roster kept on this laptop. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "ladder/cli.h"
#include "ladder/domain.h"
#include "ladder/err.h"
#include "out.h"
#include "store.h"

const char cmd_person_usage[] =
    "add --id ID --name NAME --unit UNIT --grade GRADE [--json]\n"
    "       ladder person set ID [--name NAME] [--unit UNIT] [--grade GRADE] "
    "[--json]\n"
    "       ladder person list [--unit UNIT] [--json]\n"
    "       ladder person show ID [--json]\n"
    "\n"
    "  add    put a person on the roster (ID and UNIT: letters, digits,\n"
    "         '.', '_', '-'; GRADE: a grade id of the model, e.g. am2)\n"
    "  set    change a person's name, unit or grade\n"
    "  list   the roster, by unit and id\n"
    "  show   one person and their assessments and notes\n"
    "  --json add, set and show print the person {\"id\", \"name\", \"unit\",\n"
    "         \"grade\"} (show adds \"assessments\": [{\"id\", \"kind\", "
    "\"state\",\n"
    "         \"grade\", \"created\"}] and \"notes\": [{\"id\", \"text\", "
    "\"due\",\n"
    "         \"done\"}]); list prints an array of persons";

struct person_opts {
    const char *id, *name, *unit, *grade;
    bool json;
};

static int parse(struct person_opts *o, const char *cmd, int argc, char **argv)
{
    static const struct option opts[] = {{"id", required_argument, 0, 'i'},
                                         {"name", required_argument, 0, 'n'},
                                         {"unit", required_argument, 0, 'u'},
                                         {"grade", required_argument, 0, 'g'},
                                         {"json", no_argument, 0, 'j'},
                                         {0, 0, 0, 0}};
    int c;

    memset(o, 0, sizeof *o);
    optind = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'i')
            o->id = optarg;
        else if (c == 'n')
            o->name = optarg;
        else if (c == 'u')
            o->unit = optarg;
        else if (c == 'g')
            o->grade = optarg;
        else if (c == 'j')
            o->json = true;
        else
            return out_opt_error(cmd, cmd_person_usage, argv, c);
    }
    return 0;
}

/* The one positional ID of set and show. */
static int positional_id(struct person_opts *o, const char *cmd, int argc,
                         char **argv)
{
    if (optind != argc - 1)
        return out_usage(cmd, cmd_person_usage, "give exactly one person ID");
    o->id = argv[optind];
    return 0;
}

static int print_person(const json_t *p, bool json)
{
    if (json)
        return out_json(json_incref((json_t *)p));
    printf("%s  %s  unit %s  grade %s\n",
           json_string_value(json_object_get(p, "id")),
           json_string_value(json_object_get(p, "name")),
           json_string_value(json_object_get(p, "unit")),
           json_string_value(json_object_get(p, "grade")));
    return LDR_EXIT_OK;
}

/* Writes the given fields as one change; `must_exist` for set. */
static int write_person(const char *cmd, const struct person_opts *o,
                        bool must_exist)
{
    char rec[LDR_UUID_LEN + 1];
    struct ldr_err err = {0};
    json_t *set = json_object(), *value = NULL;
    struct store s;
    int rc = open_store(&s, cmd), found;

    if (rc) {
        json_decref(set);
        return rc;
    }
    ldr_domain_person_record(rec, o->id);
    if (!must_exist) /* a set changes only what it names */
        json_object_set_new(set, "/id", json_string(o->id));
    if (o->name)
        json_object_set_new(set, "/name", json_string(o->name));
    if (o->unit)
        json_object_set_new(set, "/unit", json_string(o->unit));
    if (o->grade)
        json_object_set_new(set, "/grade", json_string(o->grade));
    rc = store_begin(&s, &err);
    found = rc ? rc : store_get(&s, "person", rec, NULL, NULL, &err);
    if (rc == 0 && found == 0 && !must_exist)
        rc = ldr_err_set(&err, LDR_EINVAL,
                         "%s is already on the roster: change them with "
                         "'ladder person set %s ...'",
                         o->id, o->id);
    else if (rc == 0 && found == LDR_ENOTFOUND && must_exist)
        rc = ldr_err_set(&err, LDR_ENOTFOUND,
                         "%s is not on the roster: add them with 'ladder "
                         "person add --id %s ...'",
                         o->id, o->id);
    if (rc == 0)
        rc = store_write(&s, "person", rec, set, NULL, 0, NULL, &err);
    if (rc == 0)
        rc = store_commit(&s, &err);
    if (rc == 0)
        rc = store_get(&s, "person", rec, &value, NULL, &err);
    if (rc) {
        store_rollback(&s);
        rc = out_err(cmd, &err);
    } else {
        rc = print_person(value, o->json);
    }
    json_decref(value);
    json_decref(set);
    store_close(&s);
    return rc;
}

static int person_add(int argc, char **argv)
{
    struct person_opts o;
    int rc = parse(&o, "person add", argc, argv);

    if (rc)
        return rc;
    if (optind < argc)
        return out_usage("person add", cmd_person_usage,
                         "unexpected argument '%s'", argv[optind]);
    if (!o.id || !o.name || !o.unit || !o.grade)
        return out_usage("person add", cmd_person_usage,
                         "--id, --name, --unit and --grade are all required");
    return write_person("person add", &o, false);
}

static int person_set(int argc, char **argv)
{
    struct person_opts o;
    int rc = parse(&o, "person set", argc, argv);

    if (rc || (rc = positional_id(&o, "person set", argc, argv)) != 0)
        return rc;
    if (!o.name && !o.unit && !o.grade)
        return out_usage("person set", cmd_person_usage,
                         "give --name, --unit or --grade to change");
    return write_person("person set", &o, true);
}

static json_t *query_people(struct store *s, const char *unit)
{
    json_t *list = json_array();
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(
            s->db,
            "SELECT value FROM records WHERE kind = 'person' AND "
            "(?1 IS NULL OR json_extract(value, '$.unit') = ?1) "
            "ORDER BY json_extract(value, '$.unit'), "
            "json_extract(value, '$.id')",
            -1, &st, NULL) != SQLITE_OK)
        return list;
    sqlite3_bind_text(st, 1, unit, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(
            list,
            json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL));
    sqlite3_finalize(st);
    return list;
}

static void print_people(const json_t *list)
{
    static const char *const head[] = {"ID", "NAME", "UNIT", "GRADE", NULL};
    struct table t;
    const json_t *p;
    size_t i;

    table_init(&t, head);
    json_array_foreach(list, i, p)
    {
        table_row(&t, (const char *const[]){
                          json_string_value(json_object_get(p, "id")),
                          json_string_value(json_object_get(p, "name")),
                          json_string_value(json_object_get(p, "unit")),
                          json_string_value(json_object_get(p, "grade"))});
    }
    table_print(&t, stdout);
    table_release(&t);
}

static int person_list(int argc, char **argv)
{
    struct person_opts o;
    struct store s;
    json_t *list;
    int rc = parse(&o, "person list", argc, argv);

    if (rc)
        return rc;
    if (optind < argc || o.id || o.name || o.grade)
        return out_usage("person list", cmd_person_usage,
                         "list takes only --unit and --json");
    if ((rc = open_store(&s, "person list")) != 0)
        return rc;
    list = query_people(&s, o.unit);
    store_close(&s);
    if (o.json)
        return out_json(list);
    if (json_array_size(list) == 0)
        puts("nobody on the roster yet: add people with 'ladder person add'");
    else
        print_people(list);
    json_decref(list);
    return LDR_EXIT_OK;
}

/* Records of `kind` about `subject`, oldest first, as {id, fields...}. */
static json_t *about(struct store *s, const char *kind, const char *subject,
                     const char *const *fields)
{
    json_t *list = json_array();
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, value FROM records WHERE kind = ?1 "
                           "AND subject = ?2 "
                           "ORDER BY json_extract(value, '$.created')",
                           -1, &st, NULL) != SQLITE_OK)
        return list;
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *v =
            json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
        json_t *item = json_pack("{s:s}", "id", sqlite3_column_text(st, 0));

        for (size_t i = 0; v && fields[i]; i++) {
            json_t *f = json_object_get(v, fields[i]);
            json_object_set(item, fields[i], f ? f : json_null());
        }
        json_decref(v);
        json_array_append_new(list, item);
    }
    sqlite3_finalize(st);
    return list;
}

static void print_about(const json_t *person)
{
    const json_t *a, *n;
    size_t i;

    print_person(person, false);
    json_array_foreach(json_object_get(person, "assessments"), i, a)
    {
        printf("  assessment %s  %s  %s  grade %s  %s\n",
               json_string_value(json_object_get(a, "id")),
               json_string_value(json_object_get(a, "kind")),
               json_string_value(json_object_get(a, "state")),
               json_string_value(json_object_get(a, "grade")),
               json_string_value(json_object_get(a, "created")));
    }
    json_array_foreach(json_object_get(person, "notes"), i, n)
    {
        const char *due = json_string_value(json_object_get(n, "due"));
        bool done = json_is_string(json_object_get(n, "done"));

        printf("  note %s  %s%s%s%s\n",
               json_string_value(json_object_get(n, "id")),
               done ? "[done] " : "", due ? "due " : "", due ? due : "",
               due ? "  " : "");
        printf("    %s\n", json_string_value(json_object_get(n, "text")));
    }
}

static int person_show(int argc, char **argv)
{
    static const char *const afields[] = {"kind", "state", "grade", "created",
                                          NULL};
    static const char *const nfields[] = {"text", "due", "done", NULL};
    char rec[LDR_UUID_LEN + 1];
    struct person_opts o;
    struct ldr_err err = {0};
    struct store s;
    json_t *p = NULL;
    int rc = parse(&o, "person show", argc, argv);

    if (rc || (rc = positional_id(&o, "person show", argc, argv)) != 0 ||
        (rc = open_store(&s, "person show")) != 0)
        return rc;
    ldr_domain_person_record(rec, o.id);
    rc = store_get(&s, "person", rec, &p, NULL, &err);
    if (rc == LDR_ENOTFOUND)
        rc =
            out_fail("person show",
                     "%s is not on the roster: see 'ladder person list'", o.id);
    else if (rc)
        rc = out_err("person show", &err);
    if (rc == 0) {
        json_object_set_new(p, "assessments",
                            about(&s, "assessment", o.id, afields));
        json_object_set_new(p, "notes", about(&s, "note", o.id, nfields));
        if (o.json)
            rc = out_json(json_incref(p));
        else
            print_about(p);
    }
    json_decref(p);
    store_close(&s);
    return rc;
}

int cmd_person(int argc, char **argv)
{
    static const struct subcommand subs[] = {{"add", person_add},
                                             {"set", person_set},
                                             {"list", person_list},
                                             {"show", person_show}};

    return run_subcommand("person", cmd_person_usage, subs,
                          sizeof subs / sizeof *subs, argc, argv);
}
