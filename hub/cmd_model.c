/*
 * ladder-hub model add DIR FILE: puts a model version in the hub's models
 * table so that changes pinning it can be checked. A stopgap until models
 * live in DIR/models.git: the version id is the same git blob id, of the
 * same canonical text, so versions carry over.
 *
 * ladder-hub model publish|check|list|versions|show|hook: the models in
 * git (hub/gitstore.h, docs/models-in-git.md). publish also records the
 * version in the models table, where sync looks first.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "commands.h"
#include "gitstore.h"
#include "hub.h"
#include "ladder/cli.h"
#include "ladder/domain.h"
#include "ladder/err.h"
#include "ladder/model.h"

const char cmd_model_usage[] =
    "add DIR FILE [--json]\n"
    "       ladder-hub model publish DIR FILE --author \"Name <email>\" "
    "--message TEXT\n"
    "                                [--tag LABEL] [--json]\n"
    "       ladder-hub model check FILE|- [--id ID] [--canonical] [--json]\n"
    "       ladder-hub model list DIR [--json]\n"
    "       ladder-hub model versions DIR ID [--json]\n"
    "       ladder-hub model show DIR ID [REV]\n"
    "       ladder-hub model hook DIR\n"
    "\n"
    "  add      check the model FILE (docs/model-format.md) and keep its\n"
    "           canonical text in the hub in DIR, so that changes pinning\n"
    "           its version can be checked; its version id is the git blob\n"
    "           id of that text, as 'ladder model import' gives it. Every\n"
    "           problem of an invalid model is listed, one a line, as\n"
    "           'JSON-POINTER: what was expected' (exit 1)\n"
    "  --json   print {\"id\", \"version\", \"title\", \"added\"}, or\n"
    "           {\"ok\": false, \"problems\": [{\"path\", \"message\"}]}\n"
    "  publish  check FILE as add does and commit its canonical text to\n"
    "           DIR/models.git as models/<id>.json on main, with that author\n"
    "           and message, tagged LABEL (an annotated tag) if given; a file\n"
    "           that is already the current version is not committed\n"
    "           (--json: {\"id\", \"version\", \"commit\", \"unchanged\"})\n"
    "  check    check a model file as publish does ('-': standard input);\n"
    "           --id: it must be model ID; --canonical: it must be the\n"
    "           canonical text (the pre-receive hook uses both). Prints 'ok'\n"
    "           or every problem (exit 1)\n"
    "  list     the models in git: id, latest version, its commit, title\n"
    "  versions the commits that changed model ID, newest first\n"
    "  show     the file of model ID at REV (a commit, tag or version id;\n"
    "           the latest without REV)\n"
    "  hook     (re)install the pre-receive hook of DIR/models.git, which\n"
    "           checks every push to main with this ladder-hub (init\n"
    "           installs it; run this after moving the binary)";

static const char *subcommand = "add"; /* for messages */

static int print_json(json_t *value)
{
    return hub_print_json(value, "model", subcommand);
}

struct add_opts {
    const char *dir, *file;
    bool json;
};

static int add_args(struct add_opts *o, int argc, char **argv)
{
    const char *pos[2];
    int n = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            o->json = true;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return hub_usage("model", cmd_model_usage, "unknown option '%s'",
                             argv[i]);
        else if (n == 2)
            return hub_usage("model", cmd_model_usage,
                             "add takes DIR and FILE; '%s' is one too many",
                             argv[i]);
        else
            pos[n++] = argv[i];
    }
    if (n != 2)
        return hub_usage("model", cmd_model_usage, "add needs DIR and FILE");
    o->dir = pos[0];
    o->file = pos[1];
    return 0;
}

/* Control characters would break the one-problem-a-line output. */
static void put_safe(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static int print_problems(const struct ldr_problems *p, bool json,
                          const char *file, const char *summary,
                          const char *outcome)
{
    json_t *list = json_array();

    for (size_t i = 0; i < p->count; i++) {
        if (json) {
            json_array_append_new(list, json_pack("{s:s, s:s}", "path",
                                                  p->items[i].path, "message",
                                                  p->items[i].message));
            continue;
        }
        put_safe(stdout, p->items[i].path[0] ? p->items[i].path : "(document)");
        fputs(": ", stdout);
        put_safe(stdout, p->items[i].message);
        putchar('\n');
    }
    if (json)
        print_json(json_pack("{s:b, s:o}", "ok", 0, "problems", list));
    else
        json_decref(list);
    return hub_fail("model", subcommand, "%s: %s%s", file, summary, outcome);
}

static int open_hub(sqlite3 **db, const char *dir)
{
    struct ldr_err err = {0};
    char path[HUB_PATH_MAX];

    *db = NULL;
    snprintf(path, sizeof path, "%s/" HUB_DB_FILE, dir);
    if (access(path, F_OK) != 0)
        return hub_fail("model", subcommand,
                        "no hub database in %s: run 'ladder-hub init %s' first",
                        dir, dir);
    if (hub_db_open(db, dir, &err) != 0)
        return hub_fail("model", subcommand, "%s", err.msg);
    return 0;
}

static int save(const struct add_opts *o, const struct ldr_model *m)
{
    size_t len = 0;
    char *text = ldr_model_dump(m, &len);
    char version[41];
    bool added = false;
    struct ldr_err err = {0};
    sqlite3 *db = NULL;
    int rc = text ? open_hub(&db, o->dir)
                  : hub_fail("model", subcommand, "out of memory");

    if (rc == 0) {
        ldr_model_version(version, text, len);
        if (hub_model_record(db, text, len, version, &added, &err) != 0)
            rc = hub_fail("model", subcommand, "%s", err.msg);
    }
    sqlite3_close(db);
    free(text);
    if (rc)
        return rc;
    if (o->json)
        return print_json(json_pack("{s:s, s:s, s:s, s:b}", "id", m->id,
                                    "version", version, "title", m->title,
                                    "added", added));
    printf("%s model %s version %s (%s)\n",
           added ? "added" : "the hub already has", m->id, version, m->title);
    return LDR_EXIT_OK;
}

static int model_add(int argc, char **argv)
{
    struct add_opts o = {0};
    struct ldr_problems problems = {0};
    struct ldr_err err = {0};
    struct ldr_model *model = NULL;
    int rc = add_args(&o, argc, argv);

    if (rc)
        return rc;
    rc = ldr_model_load(&model, o.file, &problems, &err);
    if (rc == LDR_EINVAL && problems.count)
        rc = print_problems(&problems, o.json, o.file, err.msg,
                            "; nothing added");
    else if (rc)
        rc = hub_fail("model", subcommand, "%s", err.msg);
    else
        rc = save(&o, model);
    ldr_model_free(model);
    ldr_problems_release(&problems);
    return rc;
}

/* ---- the models in git --------------------------------------------------- */

/* The options of the git subcommands; `allowed` lists those one takes. */
struct git_opts {
    const char *pos[3];
    int npos;
    const char *author, *message, *tag, *id;
    bool json, canonical;
};

enum {
    OPT_AUTHOR = 1,
    OPT_MESSAGE = 2,
    OPT_TAG = 4,
    OPT_ID = 8,
    OPT_JSON = 16,
    OPT_CANONICAL = 32
};

static const struct {
    const char *name;
    int flag;
    size_t value; /* offset of the value in struct git_opts, or 0 */
} git_options[] = {
    {"--author", OPT_AUTHOR, offsetof(struct git_opts, author)},
    {"--message", OPT_MESSAGE, offsetof(struct git_opts, message)},
    {"--tag", OPT_TAG, offsetof(struct git_opts, tag)},
    {"--id", OPT_ID, offsetof(struct git_opts, id)},
    {"--json", OPT_JSON, 0},
    {"--canonical", OPT_CANONICAL, 0},
};

/* One option at argv[*i]; moves *i past its value. */
static int git_option(struct git_opts *o, int allowed, int argc, char **argv,
                      int *i)
{
    for (size_t k = 0; k < sizeof git_options / sizeof *git_options; k++) {
        if (strcmp(argv[*i], git_options[k].name) != 0 ||
            !(allowed & git_options[k].flag))
            continue;
        if (git_options[k].flag == OPT_JSON)
            o->json = true;
        else if (git_options[k].flag == OPT_CANONICAL)
            o->canonical = true;
        else if (*i + 1 >= argc)
            return hub_usage("model", cmd_model_usage, "%s needs a value",
                             argv[*i]);
        else
            *(const char **)((char *)o + git_options[k].value) = argv[++*i];
        return 0;
    }
    return hub_usage("model", cmd_model_usage, "unknown option '%s' for %s",
                     argv[*i], subcommand);
}

static int git_args(struct git_opts *o, int allowed, int min, int max, int argc,
                    char **argv)
{
    for (int i = 1; i < argc; i++) {
        int rc = 0;

        if (argv[i][0] == '-' && argv[i][1] != '\0')
            rc = git_option(o, allowed, argc, argv, &i);
        else if (o->npos == max)
            rc = hub_usage("model", cmd_model_usage,
                           "'%s' is one argument too many", argv[i]);
        else
            o->pos[o->npos++] = argv[i];
        if (rc)
            return rc;
    }
    if (o->npos < min)
        return hub_usage("model", cmd_model_usage, "%s needs more arguments",
                         subcommand);
    return 0;
}

/* A model file, or standard input for "-"; one byte past the model cap
 * is enough for the validator to refuse it. */
static char *read_input(const char *file, size_t *len)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    size_t cap = LDR_MODEL_MAX_BYTES + 1;
    char *buf = f ? malloc(cap + 1) : NULL;

    *len = 0;
    if (buf) {
        *len = fread(buf, 1, cap, f);
        buf[*len] = '\0';
        if (ferror(f)) {
            free(buf);
            buf = NULL;
        }
    }
    if (f && f != stdin)
        fclose(f);
    return buf;
}

static int model_check(int argc, char **argv)
{
    struct git_opts o = {0};
    struct hub_check opt = {0};
    struct ldr_problems problems = {0};
    struct ldr_err err = {0};
    size_t len;
    char *text;
    int rc = git_args(&o, OPT_ID | OPT_CANONICAL | OPT_JSON, 1, 1, argc, argv);

    if (rc)
        return rc;
    if (!(text = read_input(o.pos[0], &len)))
        return hub_fail("model", subcommand, "cannot read '%s': %s", o.pos[0],
                        strerror(errno));
    opt = (struct hub_check){o.id, o.canonical};
    rc = hub_git_check(NULL, text, len, &opt, &problems, &err);
    free(text);
    if (rc == LDR_EINVAL && problems.count)
        rc = print_problems(&problems, o.json, o.pos[0], err.msg, "");
    else if (rc)
        rc = hub_fail("model", subcommand, "%s", err.msg);
    else if (o.json)
        rc = print_json(json_pack("{s:b, s:[]}", "ok", 1, "problems"));
    else
        puts("ok");
    ldr_problems_release(&problems);
    return rc;
}

static int open_git(struct hub_git **g, const char *dir)
{
    struct ldr_err err = {0};

    if (hub_git_open(g, dir, &err) != 0)
        return hub_fail("model", subcommand, "%s", err.msg);
    return 0;
}

/* publish keeps the version in the models table too, so that sync finds
 * it without reading git (see model add). */
static int record_version(const char *dir, const char *text, size_t len,
                          const char *version)
{
    struct ldr_err err = {0};
    sqlite3 *db = NULL;
    char path[HUB_PATH_MAX];
    int rc;

    snprintf(path, sizeof path, "%s/" HUB_DB_FILE, dir);
    if (access(path, F_OK) != 0)
        return 0; /* DIR is the bare repository itself */
    rc = open_hub(&db, dir);
    if (rc == 0 && hub_model_record(db, text, len, version, NULL, &err) != 0)
        rc = hub_fail("model", subcommand, "%s", err.msg);
    sqlite3_close(db);
    return rc;
}

static int print_published(const struct hub_published *out, const char *tag,
                           bool json)
{
    if (json)
        return print_json(json_pack("{s:s, s:s, s:s, s:b, s:s?}", "id", out->id,
                                    "version", out->version, "commit",
                                    out->commit, "unchanged", out->unchanged,
                                    "tag", out->unchanged ? NULL : tag));
    if (out->unchanged)
        printf("model %s is already at version %s (commit %.12s); nothing "
               "published%s\n",
               out->id, out->version, out->commit, tag ? ", no tag made" : "");
    else
        printf("published model %s version %s in commit %.12s%s%s\n", out->id,
               out->version, out->commit, tag ? ", tag " : "", tag ? tag : "");
    return LDR_EXIT_OK;
}

static int publish(const struct git_opts *o, const char *text, size_t len)
{
    char name[256], email[256];
    struct hub_publish in = {text, len, NULL, name, email, o->message, o->tag};
    struct hub_published out;
    struct ldr_problems problems = {0};
    struct ldr_err err = {0};
    struct hub_git *g = NULL;
    int rc = 0;

    if (hub_git_parse_author(name, email, sizeof name, o->author, &err) != 0)
        return hub_usage("model", cmd_model_usage, "%s", err.msg);
    if ((rc = open_git(&g, o->pos[0])) != 0)
        return rc;
    rc = hub_git_publish(&out, g, &in, &problems, &err);
    if (rc == LDR_EINVAL && problems.count)
        rc = print_problems(&problems, o->json, o->pos[1], err.msg,
                            "; nothing published");
    else if (rc)
        rc = hub_fail("model", subcommand, "%s", err.msg);
    else if ((rc = record_version(o->pos[0], text, len, out.version)) == 0)
        rc = print_published(&out, o->tag, o->json);
    ldr_problems_release(&problems);
    hub_git_free(g);
    return rc;
}

static int model_publish(int argc, char **argv)
{
    struct git_opts o = {0};
    size_t len;
    char *text;
    int rc = git_args(&o, OPT_AUTHOR | OPT_MESSAGE | OPT_TAG | OPT_JSON, 2, 2,
                      argc, argv);

    if (rc)
        return rc;
    if (!o.author || !o.message)
        return hub_usage("model", cmd_model_usage,
                         "publish needs --author and --message");
    if (!(text = read_input(o.pos[1], &len)))
        return hub_fail("model", subcommand, "cannot read '%s': %s", o.pos[1],
                        strerror(errno));
    rc = publish(&o, text, len);
    free(text);
    return rc;
}

static int model_list(int argc, char **argv)
{
    struct git_opts o = {0};
    struct hub_model_list list;
    struct ldr_err err = {0};
    struct hub_git *g = NULL;
    int rc = git_args(&o, OPT_JSON, 1, 1, argc, argv);

    if (rc || (rc = open_git(&g, o.pos[0])) != 0)
        return rc;
    if (hub_git_list(&list, g, &err) != 0)
        rc = hub_fail("model", subcommand, "%s", err.msg);
    else if (o.json)
        rc = print_json(hub_model_list_json(&list));
    for (size_t i = 0; rc == 0 && !o.json && i < list.count; i++) {
        printf("%-24s %.12s  %.12s  ", list.items[i].id, list.items[i].version,
               list.items[i].commit);
        put_safe(stdout, list.items[i].title);
        putchar('\n');
    }
    hub_model_list_release(&list);
    hub_git_free(g);
    return rc;
}

/* One version a line: commit, date, author, version, tags, subject. */
static void print_version(const struct hub_version *v)
{
    size_t subject = strcspn(v->message, "\n");

    printf("%.12s  %s  %s <%s>  version %.12s", v->commit, v->date, v->author,
           v->email, v->version);
    for (size_t i = 0; i < v->ntags; i++)
        printf("%s%s", i ? ", " : "  tag ", v->tags[i]);
    printf("\n    %.*s\n", (int)subject, v->message);
}

static int model_versions(int argc, char **argv)
{
    struct git_opts o = {0};
    struct hub_versions v;
    struct ldr_err err = {0};
    struct hub_git *g = NULL;
    int rc = git_args(&o, OPT_JSON, 2, 2, argc, argv);

    if (rc || (rc = open_git(&g, o.pos[0])) != 0)
        return rc;
    if (hub_git_versions(&v, g, o.pos[1], &err) != 0) {
        hub_git_free(g);
        return hub_fail("model", subcommand, "%s", err.msg);
    }
    if (o.json)
        rc = print_json(hub_versions_json(&v));
    for (size_t i = 0; !o.json && i < v.count; i++)
        print_version(&v.items[i]);
    hub_versions_release(&v);
    hub_git_free(g);
    return rc;
}

static int model_show(int argc, char **argv)
{
    struct git_opts o = {0};
    struct hub_model_file file;
    struct ldr_err err = {0};
    struct hub_git *g = NULL;
    int rc = git_args(&o, 0, 2, 3, argc, argv);

    if (rc || (rc = open_git(&g, o.pos[0])) != 0)
        return rc;
    if (hub_git_show(&file, g, o.pos[1], o.pos[2], &err) != 0)
        rc = hub_fail("model", subcommand, "%s", err.msg);
    else if (fwrite(file.text, 1, file.len, stdout) != file.len)
        rc = hub_fail("model", subcommand, "cannot write the model");
    hub_model_file_release(&file);
    hub_git_free(g);
    return rc;
}

static int model_hook(int argc, char **argv)
{
    struct git_opts o = {0};
    struct ldr_err err = {0};
    struct hub_git *g = NULL;
    int rc = git_args(&o, 0, 1, 1, argc, argv);

    if (rc || (rc = open_git(&g, o.pos[0])) != 0)
        return rc;
    if (hub_git_install_hook(hub_git_path(g), NULL, &err) != 0)
        rc = hub_fail("model", subcommand, "%s", err.msg);
    else
        printf("installed %shooks/pre-receive: pushes to main are checked "
               "with this ladder-hub\n",
               hub_git_path(g));
    hub_git_free(g);
    return rc;
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} subcommands[] = {
    {"add", model_add},   {"publish", model_publish},   {"check", model_check},
    {"list", model_list}, {"versions", model_versions}, {"show", model_show},
    {"hook", model_hook},
};

int cmd_model(int argc, char **argv)
{
    if (argc < 2)
        return hub_usage("model", cmd_model_usage, "which subcommand?");
    for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++) {
        if (strcmp(argv[1], subcommands[i].name) == 0) {
            subcommand = subcommands[i].name;
            return subcommands[i].run(argc - 1, argv + 1);
        }
    }
    return hub_usage("model", cmd_model_usage, "unknown subcommand '%s'",
                     argv[1]);
}
