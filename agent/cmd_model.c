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

#include <jansson.h>

#include "commands.h"
#include "ladder/case.h"
#include "ladder/cli.h"
#include "ladder/err.h"
#include "ladder/model.h"

const char cmd_model_usage[] =
    "check FILE [--json] [--canonical]\n"
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
    "  case-export   print the 1EdTech CASE 1.1 package of a valid model\n"
    "  case-import   print the model (canonical text) read back from a CASE\n"
    "                package, or every problem as check does (exit 1)";

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand */
};

static int model_check(int argc, char **argv);
static int model_case_export(int argc, char **argv);
static int model_case_import(int argc, char **argv);

static const struct subcommand subcommands[] = {
    {"check", model_check},
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
    if (argc < 2)
        return usage_error("which subcommand?");
    for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].run(argc - 1, argv + 1);
    return usage_error("unknown subcommand '%s'", argv[1]);
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
