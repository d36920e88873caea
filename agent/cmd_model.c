/*
 * ladder model SUBCOMMAND ...: work with competency model files
 * (docs/model-format.md). A small dispatcher: each subcommand is one
 * function with its own options, listed in `subcommands`.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "commands.h"
#include "ladder/case.h"
#include "ladder/cli.h"
#include "ladder/err.h"
#include "ladder/domain.h"
#include "ladder/model.h"
#include "ladder/model_diff.h"
#include "out.h"
#include "store.h"

const char cmd_model_usage[] =
    "check FILE [--json] [--canonical]\n"
    "       ladder model import FILE [--json]\n"
    "       ladder model list [--json]\n"
    "       ladder model show ID[@VERSION] [--json]\n"
    "       ladder model diff ID@FROM ID@TO [--json]\n"
    "       ladder model pull [--json]\n"
    "       ladder model case-export FILE\n"
    "       ladder model case-import CASE-FILE\n"
    "\n"
    "  check FILE    validate a model: print 'ok', or every problem, one a\n"
    "                line as 'JSON-POINTER: what was expected' (exit 1)\n"
    "  --json        print {\"ok\": BOOL, \"problems\": [{\"path\", "
    "\"message\"}]}\n"
    "  --canonical   print the canonical text of a valid model instead of "
    "'ok'\n"
    "                (with --json: in \"canonical\")\n"
    "  import FILE   keep a valid model version in the local database; its\n"
    "                version id is the git blob id of its canonical text\n"
    "                (--json: {\"id\", \"version\", \"title\", \"added\"})\n"
    "  list          the models on this laptop, latest version first\n"
    "                (--json: [{\"id\", \"title\", \"latest\", "
    "\"versions\": [{\"version\", \"imported\"}]}])\n"
    "  show          one model version (the latest without @VERSION; a\n"
    "                version may be shortened to 4+ hex digits)\n"
    "                (--json: {\"id\", \"version\", \"model\": "
    "the document})\n"
    "  diff          what changed from one version of a model to another:\n"
    "                competencies added, removed or renamed, behaviours,\n"
    "                required levels, weights, questions, rules; a version\n"
    "                is ID@VERSION (4+ hex digits) or ID (the latest), and an\n"
    "                argument naming an existing file is read from that file\n"
    "                (--json: {\"from\", \"to\" (versions), \"model\", "
    "\"count\",\n"
    "                \"changes\"}, as in docs/model-format.md)\n"
    "  pull          download from the hub every version the records here\n"
    "                pin and the latest of each model ('ladder sync' does\n"
    "                it too) (--json: {\"downloaded\", \"missing\"})\n"
    "  case-export   print the 1EdTech CASE 1.1 package of a valid model\n"
    "  case-import   print the model (canonical text) read back from a CASE\n"
    "                package, or every problem as check does (exit 1)";

static int model_check(int argc, char **argv);
static int model_import(int argc, char **argv);
static int model_list(int argc, char **argv);
static int model_show(int argc, char **argv);
static int model_diff(int argc, char **argv);
static int model_case_export(int argc, char **argv);
static int model_case_import(int argc, char **argv);

static const struct subcommand subcommands[] = {
    {"check", model_check},
    {"import", model_import},
    {"list", model_list},
    {"show", model_show},
    {"diff", model_diff},
    {"pull", cmd_model_pull},
    {"case-export", model_case_export},
    {"case-import", model_case_import},
};

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("ladder model: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: ladder model %s\n", cmd_model_usage);
    return LDR_EXIT_USAGE;
}

int cmd_model(int argc, char **argv)
{
    return run_subcommand("model", cmd_model_usage, subcommands,
                          sizeof subcommands / sizeof *subcommands, argc, argv);
}

/* ---- check ------------------------------------------------------------- */

struct check_opts {
    const char *file;
    bool json, canonical;
};

static int check_args(struct check_opts *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            o->json = true;
        else if (strcmp(argv[i], "--canonical") == 0)
            o->canonical = true;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return usage_error("unknown option '%s'", argv[i]);
        else if (o->file)
            return usage_error("one FILE only; '%s' is a second", argv[i]);
        else
            o->file = argv[i];
    }
    if (!o->file)
        return usage_error("check needs a FILE");
    return 0;
}

/* Control characters would break the one-problem-a-line output. */
static void put_line_safe(const char *s)
{
    for (; *s; s++)
        putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static int print_text(const struct ldr_problems *p, const char *canonical)
{
    if (p->count == 0) {
        fputs(canonical ? canonical : "ok\n", stdout);
        return LDR_EXIT_OK;
    }
    for (size_t i = 0; i < p->count; i++) {
        /* "" points at the whole document */
        put_line_safe(p->items[i].path[0] ? p->items[i].path : "(document)");
        fputs(": ", stdout);
        put_line_safe(p->items[i].message);
        putchar('\n');
    }
    return LDR_EXIT_FAIL;
}

static int print_json(const struct ldr_problems *p, const char *canonical)
{
    json_t *out = json_object(), *list = json_array();
    char *text;

    for (size_t i = 0; i < p->count; i++)
        json_array_append_new(list,
                              json_pack("{s:s, s:s}", "path", p->items[i].path,
                                        "message", p->items[i].message));
    json_object_set_new(out, "ok", json_boolean(p->count == 0));
    json_object_set_new(out, "problems", list);
    if (canonical)
        json_object_set_new(out, "canonical", json_string(canonical));
    text = json_dumps(out, JSON_INDENT(2));
    json_decref(out);
    if (!text) {
        fputs("ladder model check: out of memory\n", stderr);
        return LDR_EXIT_FAIL;
    }
    puts(text);
    free(text);
    return p->count == 0 ? LDR_EXIT_OK : LDR_EXIT_FAIL;
}

static int model_check(int argc, char **argv)
{
    struct check_opts o = {0};
    struct ldr_problems problems = {0};
    struct ldr_err err = {0};
    struct ldr_model *model = NULL;
    char *canonical = NULL;
    int rc = check_args(&o, argc, argv);

    if (rc)
        return rc;
    rc = ldr_model_load(&model, o.file, &problems, &err);
    if (rc && rc != LDR_EINVAL) {
        fprintf(stderr, "ladder model check: %s\n", err.msg);
        return LDR_EXIT_FAIL;
    }
    if (model && o.canonical && !(canonical = ldr_model_dump(model, NULL))) {
        fputs("ladder model check: out of memory\n", stderr);
        rc = LDR_EXIT_FAIL;
    } else {
        rc = o.json ? print_json(&problems, canonical)
                    : print_text(&problems, canonical);
        if (problems.count && !o.json)
            fprintf(stderr, "ladder model check: %s: %s\n", o.file, err.msg);
    }
    free(canonical);
    ldr_model_free(model);
    ldr_problems_release(&problems);
    return rc;
}

/* ---- case-export, case-import ---------------------------------------- */

/* The one FILE argument of a subcommand without options. */
static int file_arg(const char **file, int argc, char **argv)
{
    if (argc != 2)
        return usage_error("%s needs exactly one FILE", argv[0]);
    if (argv[1][0] == '-' && argv[1][1] != '\0')
        return usage_error("unknown option '%s'", argv[1]);
    *file = argv[1];
    return 0;
}

static int print_json_value(const json_t *value)
{
    char *text = json_dumps(value, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

    if (!text) {
        fputs("ladder model: out of memory\n", stderr);
        return LDR_EXIT_FAIL;
    }
    puts(text);
    free(text);
    return LDR_EXIT_OK;
}

static int model_case_export(int argc, char **argv)
{
    struct ldr_problems problems = {0};
    struct ldr_err err = {0};
    struct ldr_model *model = NULL;
    const char *file = NULL;
    json_t *package;
    int rc = file_arg(&file, argc, argv);

    if (rc)
        return rc;
    rc = ldr_model_load(&model, file, &problems, &err);
    if (rc) {
        if (problems.count)
            print_text(&problems, NULL);
        fprintf(stderr, "ladder model case-export: %s\n", err.msg);
        ldr_problems_release(&problems);
        return LDR_EXIT_FAIL;
    }
    package = ldr_case_export(model);
    rc = package ? print_json_value(package) : LDR_EXIT_FAIL;
    if (!package)
        fputs("ladder model case-export: out of memory\n", stderr);
    json_decref(package);
    ldr_model_free(model);
    return rc;
}

/* A CASE package is bigger than its model: allow four times the limit. */
#define CASE_MAX_BYTES (4ul * LDR_MODEL_MAX_BYTES)

static int file_size(FILE *f, long *size)
{
    if (fseek(f, 0, SEEK_END) != 0 || (*size = ftell(f)) < 0)
        return -1;
    return fseek(f, 0, SEEK_SET);
}

static int load_package(json_t **out, const char *file, struct ldr_err *err)
{
    json_error_t jerr;
    FILE *f = fopen(file, "rb");
    long size;

    if (!f)
        return ldr_err_set(err, LDR_EIO, "%s: cannot open: %s", file,
                           strerror(errno));
    if (file_size(f, &size) != 0) {
        fclose(f);
        return ldr_err_set(err, LDR_EIO, "%s: cannot read: %s", file,
                           strerror(errno));
    }
    if ((unsigned long)size > CASE_MAX_BYTES) {
        fclose(f);
        return ldr_err_set(err, LDR_ETOOBIG,
                           "%s: %ld bytes, over the limit of %lu", file, size,
                           CASE_MAX_BYTES);
    }
    *out = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    fclose(f);
    if (!*out)
        return ldr_err_set(err, LDR_EINVAL, "%s: line %d column %d: %s", file,
                           jerr.line, jerr.column, jerr.text);
    return 0;
}

static int model_case_import(int argc, char **argv)
{
    struct ldr_problems problems = {0};
    struct ldr_err err = {0};
    struct ldr_model *model = NULL;
    const char *file = NULL;
    char *canonical = NULL;
    json_t *package = NULL;
    int rc = file_arg(&file, argc, argv);

    if (rc)
        return rc;
    if (load_package(&package, file, &err) == 0 &&
        ldr_case_import(&model, package, &problems, &err) == 0)
        canonical = ldr_model_dump(model, NULL);
    if (canonical) {
        fputs(canonical, stdout);
        rc = LDR_EXIT_OK;
    } else {
        if (problems.count)
            print_text(&problems, NULL);
        fprintf(stderr, "ladder model case-import: %s\n",
                err.msg[0] ? err.msg : "out of memory");
        rc = LDR_EXIT_FAIL;
    }
    free(canonical);
    ldr_model_free(model);
    ldr_problems_release(&problems);
    json_decref(package);
    return rc;
}

/* ---- import, list, show: versions in the local database --------------- */

/* FILE and --json, the arguments of import and show. */
static int arg_and_json(const char **arg, bool *json, int argc, char **argv)
{
    *arg = NULL;
    *json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            *json = true;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return usage_error("unknown option '%s'", argv[i]);
        else if (*arg)
            return usage_error("%s takes one argument; '%s' is a second",
                               argv[0], argv[i]);
        else
            *arg = argv[i];
    }
    return *arg ? 0 : usage_error("%s needs an argument", argv[0]);
}

static int import_file(struct store *s, const char *file, bool json)
{
    struct ldr_problems problems = {0};
    struct ldr_err err = {0};
    struct ldr_model *model = NULL;
    char version[41];
    bool added = false;
    int rc = ldr_model_load(&model, file, &problems, &err);

    if (rc) {
        print_text(&problems, NULL);
        ldr_problems_release(&problems);
        return out_fail("model import", "%s: nothing imported", err.msg);
    }
    rc = store_model_put(s, model, version, &added, &err);
    if (rc)
        rc = out_err("model import", &err);
    else if (json)
        rc = out_json(json_pack("{s:s, s:s, s:s, s:b}", "id", model->id,
                                "version", version, "title", model->title,
                                "added", added));
    else
        printf("%s %s %.12s (%s)\n", added ? "imported" : "already have",
               model->id, version, model->title);
    ldr_model_free(model);
    return rc;
}

static int model_import(int argc, char **argv)
{
    const char *file;
    struct store s;
    bool json;
    int rc = arg_and_json(&file, &json, argc, argv);

    if (rc || (rc = open_store(&s, "model import")) != 0)
        return rc;
    rc = import_file(&s, file, json);
    store_close(&s);
    return rc;
}

/* Every version of every model, newest first within a model. */
static json_t *list_models(struct store *s)
{
    json_t *list = json_array(), *model = NULL;
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, title, version, imported_at "
                           "FROM models ORDER BY id, rowid DESC",
                           -1, &st, NULL) != SQLITE_OK)
        return list;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);

        if (!model ||
            strcmp(json_string_value(json_object_get(model, "id")), id) != 0) {
            model = json_pack("{s:s, s:s, s:s, s:[]}", "id", id, "title",
                              sqlite3_column_text(st, 1), "latest",
                              sqlite3_column_text(st, 2), "versions");
            json_array_append_new(list, model);
        }
        json_array_append_new(json_object_get(model, "versions"),
                              json_pack("{s:s, s:s}", "version",
                                        sqlite3_column_text(st, 2), "imported",
                                        sqlite3_column_text(st, 3)));
    }
    sqlite3_finalize(st);
    return list;
}

static void print_model_list(const json_t *list)
{
    static const char *const head[] = {"MODEL", "TITLE", "LATEST", "VERSIONS",
                                       NULL};
    struct table t;
    const json_t *m;
    size_t i;

    table_init(&t, head);
    json_array_foreach(list, i, m)
    {
        char latest[13], count[24];

        snprintf(latest, sizeof latest, "%s",
                 json_string_value(json_object_get(m, "latest")));
        snprintf(count, sizeof count, "%zu",
                 json_array_size(json_object_get(m, "versions")));
        table_row(&t, (const char *const[]){
                          json_string_value(json_object_get(m, "id")),
                          json_string_value(json_object_get(m, "title")),
                          latest, count});
    }
    table_print(&t, stdout);
    table_release(&t);
}

static int model_list(int argc, char **argv)
{
    bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
    struct store s;
    json_t *list;
    int rc;

    if (argc > 2 || (argc == 2 && !json))
        return usage_error("list takes only --json");
    if ((rc = open_store(&s, "model list")) != 0)
        return rc;
    list = list_models(&s);
    store_close(&s);
    if (json)
        return out_json(list);
    if (json_array_size(list) == 0)
        puts("no models yet: import one with 'ladder model import FILE'");
    else
        print_model_list(list);
    json_decref(list);
    return LDR_EXIT_OK;
}

static void print_model(const struct ldr_model *m, const char *version)
{
    static const char *const head[] = {"COMPETENCY", "TITLE",    "WEIGHT",
                                       "CORE",       "REQUIRED", NULL};
    struct table t;

    printf("%s@%.12s  %s\n", m->id, version, m->title);
    printf("scale:");
    for (size_t i = 0; i < m->nlevels; i++)
        printf(" %d %s%s", m->levels[i].level, m->levels[i].label,
               i + 1 < m->nlevels ? "," : "\n");
    printf("grades:");
    for (size_t i = 0; i < m->ngrades; i++)
        printf(" %s %s%s", m->grades[i].id, m->grades[i].title,
               i + 1 < m->ngrades ? "," : "\n");
    printf("questions: %zu\n\n", m->nquestions);
    table_init(&t, head);
    for (size_t i = 0; i < m->ncompetencies; i++) {
        const struct ldr_competency *c = &m->competencies[i];
        char weight[32], required[128] = "";
        size_t n = 0;

        snprintf(weight, sizeof weight, "%.3g", c->weight);
        for (size_t g = 0; g < m->ngrades && n < sizeof required - 8; g++)
            n += (size_t)snprintf(required + n, sizeof required - n, "%s%d",
                                  g ? " " : "", c->required[g]);
        table_row(&t, (const char *const[]){c->id, c->title, weight,
                                            c->core ? "yes" : "", required});
    }
    table_print(&t, stdout);
    table_release(&t);
}

static int show_model(struct store *s, const char *ref, bool json)
{
    char id[256], version[41];
    const char *at = strchr(ref, '@');
    struct ldr_model *model = NULL;
    struct ldr_err err = {0};
    int rc;

    snprintf(id, sizeof id, "%.*s", at ? (int)(at - ref) : (int)strlen(ref),
             ref);
    rc = store_model_get(s, id, at ? at + 1 : NULL, &model, version, &err);
    if (rc)
        return out_err("model show", &err);
    if (json)
        rc = out_json(json_pack("{s:s, s:s, s:O}", "id", model->id, "version",
                                version, "model", model->doc));
    else
        print_model(model, version);
    ldr_model_free(model);
    return rc;
}

static int model_show(int argc, char **argv)
{
    const char *ref;
    struct store s;
    bool json;
    int rc = arg_and_json(&ref, &json, argc, argv);

    if (rc || (rc = open_store(&s, "model show")) != 0)
        return rc;
    rc = show_model(&s, ref, json);
    store_close(&s);
    return rc;
}

/* ---- diff: two versions, from the database or from files -------------- */

/* One side of a diff: the model and its version id. */
struct side {
    const char *arg;
    bool file;
    struct ldr_model *model;
    char version[41];
};

static int diff_args(struct side sides[2], bool *json, int argc, char **argv)
{
    size_t n = 0;

    *json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            *json = true;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return usage_error("unknown option '%s'", argv[i]);
        else if (n == 2)
            return usage_error("diff takes two versions; '%s' is a third",
                               argv[i]);
        else
            sides[n++].arg = argv[i];
    }
    return n == 2 ? 0 : usage_error("diff needs two versions: ID@FROM ID@TO");
}

static bool is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A draft read from a file: its version is that of its canonical text, as
 * if imported. Problems go to stderr, keeping stdout for the diff. */
static int load_side_file(struct side *side, struct ldr_err *err)
{
    struct ldr_problems problems = {0};
    size_t len = 0;
    char *text;
    int rc = ldr_model_load(&side->model, side->arg, &problems, err);

    for (size_t i = 0; i < problems.count; i++)
        fprintf(stderr, "%s: %s\n",
                problems.items[i].path[0] ? problems.items[i].path
                                          : "(document)",
                problems.items[i].message);
    ldr_problems_release(&problems);
    if (rc)
        return ldr_err_prefix(err, "%s: ", side->arg);
    if (!(text = ldr_model_dump(side->model, &len)))
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    ldr_model_version(side->version, text, len);
    free(text);
    return 0;
}

static int load_side_stored(struct store *s, struct side *side,
                            struct ldr_err *err)
{
    const char *at = strchr(side->arg, '@');
    char id[256];

    snprintf(id, sizeof id, "%.*s",
             at ? (int)(at - side->arg) : (int)strlen(side->arg), side->arg);
    return store_model_get(s, id, at ? at + 1 : NULL, &side->model,
                           side->version, err);
}

/* Loads both sides; the database is opened only when one is not a file. */
static int load_sides(struct side sides[2])
{
    struct ldr_err err = {0};
    struct store s;
    bool open = false;
    int rc = 0;

    for (size_t i = 0; i < 2 && rc == 0; i++) {
        sides[i].file = is_file(sides[i].arg);
        if (sides[i].file) {
            rc = load_side_file(&sides[i], &err);
        } else if (!open && (rc = open_store(&s, "model diff")) != 0) {
            return rc;
        } else {
            open = true;
            rc = load_side_stored(&s, &sides[i], &err);
        }
    }
    if (open)
        store_close(&s);
    return rc ? out_err("model diff", &err) : 0;
}

static void side_label(char *out, size_t cap, const struct side *side)
{
    if (side->file)
        snprintf(out, cap, "%s (%s@%.12s)", side->arg, side->model->id,
                 side->version);
    else
        snprintf(out, cap, "%s@%.12s", side->model->id, side->version);
}

static int print_diff(const struct side sides[2], json_t *diff, bool json)
{
    char from[512], to[512], *text;

    if (json) {
        json_t *out = json_pack("{s:s, s:s}", "from", sides[0].version, "to",
                                sides[1].version);

        if (out && json_object_update(out, diff) != 0) {
            json_decref(out);
            out = NULL;
        }
        return out ? out_json(out) : out_fail("model diff", "out of memory");
    }
    if (!(text = ldr_model_diff_text(diff)))
        return out_fail("model diff", "out of memory");
    side_label(from, sizeof from, &sides[0]);
    side_label(to, sizeof to, &sides[1]);
    printf("%s -> %s\n%s", from, to, text);
    free(text);
    return LDR_EXIT_OK;
}

static int model_diff(int argc, char **argv)
{
    struct side sides[2] = {{0}};
    bool json;
    json_t *diff;
    int rc = diff_args(sides, &json, argc, argv);

    if (rc == 0)
        rc = load_sides(sides);
    if (rc == 0) {
        diff = ldr_model_diff(sides[0].model, sides[1].model);
        rc = diff ? print_diff(sides, diff, json)
                  : out_fail("model diff", "out of memory");
        json_decref(diff);
    }
    ldr_model_free(sides[0].model);
    ldr_model_free(sides[1].model);
    return rc;
}
