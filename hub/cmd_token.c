/*
 * ladder-hub token add|list|revoke DIR: the bearer tokens agents and
 * admins call the hub with. A token is shown once, when it is made; the
 * hub keeps only the hash of its secret.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "commands.h"
#include "hub.h"
#include "ladder/cli.h"
#include "ladder/domain.h"
#include "ladder/err.h"

const char cmd_token_usage[] =
    "add DIR --principal ID --role ROLE --scope UNIT[,UNIT...] [--json]\n"
    "       ladder-hub token list DIR [--json]\n"
    "       ladder-hub token revoke DIR ID [--json]\n"
    "\n"
    "  add      make a token for the user ID (the user id of their 'ladder\n"
    "           init --user'; 1 to 64 letters, digits, '.', '_', '-') and\n"
    "           print it once on stdout: the hub keeps only its hash\n"
    "           (--json: {\"id\", \"token\", \"principal\", \"role\", "
    "\"scope\"})\n"
    "  --role   assessor, trainer, hr or admin (admin manages the hub and\n"
    "           reads and writes no records)\n"
    "  --scope  the org units the token may read and write, comma-separated;\n"
    "           not needed for admin\n"
    "  list     every token: id, principal, role, scope, created, revoked\n"
    "           (--json: [{\"id\", \"principal\", \"role\", \"scope\", "
    "\"created\", \"revoked\"}])\n"
    "  revoke   refuse token ID from now on (--json: {\"id\", \"revoked\"})";

/* Opens the database of the hub in `dir`, which 'ladder-hub init' made. */
static int open_hub(sqlite3 **db, const char *dir)
{
    struct ldr_err err = {0};
    char path[HUB_PATH_MAX];

    *db = NULL;
    snprintf(path, sizeof path, "%s/" HUB_DB_FILE, dir);
    if (access(path, F_OK) != 0)
        return hub_fail("token", NULL,
                        "no hub database in %s: run 'ladder-hub init %s' first",
                        dir, dir);
    if (hub_db_open(db, dir, &err) != 0)
        return hub_fail("token", NULL, "%s", err.msg);
    return 0;
}

static int print_json(json_t *value)
{
    return hub_print_json(value, "token", NULL);
}

/* ---- add ----------------------------------------------------------------- */

struct add_opts {
    const char *dir, *principal, *role, *scope;
    bool json;
};

static int add_args(struct add_opts *o, int argc, char **argv)
{
    static const struct option opts[] = {
        {"principal", required_argument, 0, 'p'},
        {"role", required_argument, 0, 'r'},
        {"scope", required_argument, 0, 's'},
        {"json", no_argument, 0, 'j'},
        {0, 0, 0, 0}};
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'p')
            o->principal = optarg;
        else if (c == 'r')
            o->role = optarg;
        else if (c == 's')
            o->scope = optarg;
        else if (c == 'j')
            o->json = true;
        else
            return hub_usage("token", cmd_token_usage,
                             c == ':' ? "option '%s' needs a value"
                                      : "unknown option '%s'",
                             argv[optind - 1]);
    }
    if (optind != argc - 1)
        return hub_usage("token", cmd_token_usage, "add needs one DIR");
    o->dir = argv[optind];
    if (!o->principal || !o->role)
        return hub_usage("token", cmd_token_usage,
                         "add needs --principal ID and --role ROLE");
    return 0;
}

/* Splits "north,south" into the principal's units, each checked. */
static int parse_scope(struct hub_principal *p, const char *scope)
{
    const char *s = scope;

    while (s && *s) {
        size_t n = strcspn(s, ",");
        char unit[HUB_UNIT_MAX + 1];

        if (n > HUB_UNIT_MAX)
            return hub_usage("token", cmd_token_usage,
                             "--scope: unit '%.64s...' is longer than %d "
                             "bytes",
                             s, HUB_UNIT_MAX);
        memcpy(unit, s, n);
        unit[n] = '\0';
        if (!ldr_domain_id_valid(unit))
            return hub_usage("token", cmd_token_usage,
                             "--scope: unit '%s': expected 1 to 64 "
                             "letters, digits, '.', '_', '-'",
                             unit);
        if (hub_in_scope(p, unit))
            return hub_usage("token", cmd_token_usage,
                             "--scope: unit '%s' is given twice", unit);
        if (p->nunits == HUB_MAX_UNITS)
            return hub_usage("token", cmd_token_usage,
                             "--scope: more than %d units", HUB_MAX_UNITS);
        memcpy(p->units[p->nunits++], unit, n + 1);
        s += n;
        if (*s == ',' && !*++s)
            return hub_usage("token", cmd_token_usage,
                             "--scope: a unit is missing after the last ','");
    }
    return 0;
}

static int make_principal(struct hub_principal *p, const struct add_opts *o)
{
    int role = hub_role_parse(o->role);

    memset(p, 0, sizeof *p);
    if (!ldr_domain_id_valid(o->principal))
        return hub_usage("token", cmd_token_usage,
                         "--principal '%s': expected 1 to 64 letters, "
                         "digits, '.', '_', '-' (the user's 'ladder init "
                         "--user' id)",
                         o->principal);
    if (role < 0)
        return hub_usage("token", cmd_token_usage,
                         "--role '%s': expected assessor, trainer, hr or "
                         "admin",
                         o->role);
    snprintf(p->id, sizeof p->id, "%s", o->principal);
    p->role = (enum hub_role)role;
    if (p->role != HUB_ADMIN && (!o->scope || !*o->scope))
        return hub_usage("token", cmd_token_usage,
                         "a %s token needs --scope UNIT[,UNIT...]", o->role);
    return parse_scope(p, o->scope);
}

static json_t *units_json(const struct hub_principal *p)
{
    json_t *units = json_array();

    for (size_t i = 0; i < p->nunits; i++)
        json_array_append_new(units, json_string(p->units[i]));
    return units;
}

static void say_added(const struct hub_principal *p, const char *id)
{
    fprintf(stderr, "token %s for '%s', role %s, scope ", id, p->id,
            hub_role_name(p->role));
    for (size_t i = 0; i < p->nunits; i++)
        fprintf(stderr, "%s%s", i ? "," : "", p->units[i]);
    fprintf(stderr,
            "%s.\nIt is shown only this once: the hub keeps only its "
            "hash. Give it to '%s' over a private channel.\n",
            p->nunits ? "" : "(none)", p->id);
}

static int token_add(int argc, char **argv)
{
    struct add_opts o = {0};
    struct hub_principal p;
    struct ldr_err err = {0};
    char token[HUB_TOKEN_MAX + 1], id[64];
    sqlite3 *db;
    int rc = add_args(&o, argc, argv);

    if (rc || (rc = make_principal(&p, &o)) || (rc = open_hub(&db, o.dir)))
        return rc;
    if (hub_token_add(db, &p, token, id, &err) != 0)
        rc = hub_fail("token", NULL, "%s", err.msg);
    else if (o.json)
        rc = print_json(json_pack(
            "{s:s, s:s, s:s, s:s, s:o}", "id", id, "token", token, "principal",
            p.id, "role", hub_role_name(p.role), "scope", units_json(&p)));
    else {
        puts(token);
        say_added(&p, id);
    }
    sqlite3_close(db);
    return rc;
}

/* ---- list ---------------------------------------------------------------- */

/* DIR and --json, the arguments of list; `id` too for revoke. */
static int dir_args(const char **dir, const char **id, bool *json, int argc,
                    char **argv)
{
    const char *pos[2] = {NULL, NULL};
    size_t want = id ? 2 : 1, n = 0;

    *json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            *json = true;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return hub_usage("token", cmd_token_usage, "unknown option '%s'",
                             argv[i]);
        else if (n == want)
            return hub_usage("token", cmd_token_usage,
                             "%s takes %s; '%s' is one too many", argv[0],
                             id ? "DIR and ID" : "DIR", argv[i]);
        else
            pos[n++] = argv[i];
    }
    if (n != want)
        return hub_usage("token", cmd_token_usage, "%s needs %s", argv[0],
                         id ? "DIR and ID" : "DIR");
    *dir = pos[0];
    if (id)
        *id = pos[1];
    return 0;
}

static const char LIST_SQL[] =
    "SELECT id, principal, role, scope, created_at, revoked_at FROM tokens "
    "ORDER BY created_at, id";

static json_t *token_row(sqlite3_stmt *st)
{
    json_t *scope =
        json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);

    return json_pack(
        "{s:s, s:s, s:s, s:o, s:s, s:s?}", "id", sqlite3_column_text(st, 0),
        "principal", sqlite3_column_text(st, 1), "role",
        sqlite3_column_text(st, 2), "scope", scope ? scope : json_array(),
        "created", sqlite3_column_text(st, 4), "revoked",
        sqlite3_column_text(st, 5));
}

static int read_tokens(sqlite3 *db, json_t **out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, LIST_SQL, -1, &st, NULL);

    *out = json_array();
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *row = token_row(st);
        rc = row ? SQLITE_OK : SQLITE_NOMEM;
        json_array_append_new(*out, row);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return 0;
    json_decref(*out);
    *out = NULL;
    return hub_fail("token", NULL, "reading tokens: %s", sqlite3_errmsg(db));
}

static const char *scope_text(char *buf, size_t cap, const json_t *scope)
{
    size_t i, n = 0;
    json_t *unit;

    buf[0] = '\0';
    json_array_foreach(scope, i, unit)
    {
        if (n < cap)
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? "," : "",
                                  json_string_value(unit));
    }
    return n ? buf : "-";
}

#define COLUMNS 6

/* Column `c` of a token row as text, "-" when absent. */
static const char *cell(const json_t *row, int c, char *buf, size_t cap)
{
    static const char *const keys[COLUMNS] = {"id",    "principal", "role",
                                              "scope", "created",   "revoked"};
    const json_t *v = json_object_get(row, keys[c]);
    const char *s = c == 3 ? scope_text(buf, cap, v) : json_string_value(v);

    return s ? s : "-";
}

static void print_row(const char *const *cells, const int *width)
{
    for (int c = 0; c < COLUMNS; c++)
        printf("%-*s%s", c < COLUMNS - 1 ? width[c] : 0, cells[c],
               c < COLUMNS - 1 ? "  " : "\n");
}

/* Principals and units are ASCII ids, so printf widths align them. */
static void print_table(const json_t *rows)
{
    static const char *const head[COLUMNS] = {"ID",    "PRINCIPAL", "ROLE",
                                              "SCOPE", "CREATED",   "REVOKED"};
    char bufs[COLUMNS][1024];
    const char *cells[COLUMNS];
    int width[COLUMNS];
    size_t i;
    json_t *row;

    for (int c = 0; c < COLUMNS; c++)
        width[c] = (int)strlen(head[c]);
    json_array_foreach(rows, i, row)
    {
        for (int c = 0; c < COLUMNS; c++) {
            int n = (int)strlen(cell(row, c, bufs[c], sizeof bufs[c]));
            width[c] = n > width[c] ? n : width[c];
        }
    }
    print_row(head, width);
    json_array_foreach(rows, i, row)
    {
        for (int c = 0; c < COLUMNS; c++)
            cells[c] = cell(row, c, bufs[c], sizeof bufs[c]);
        print_row(cells, width);
    }
}

static int token_list(int argc, char **argv)
{
    const char *dir;
    json_t *rows = NULL;
    sqlite3 *db;
    bool json;
    int rc = dir_args(&dir, NULL, &json, argc, argv);

    if (rc || (rc = open_hub(&db, dir)))
        return rc;
    rc = read_tokens(db, &rows);
    sqlite3_close(db);
    if (rc)
        return rc;
    if (json)
        return print_json(rows);
    if (json_array_size(rows) == 0)
        fprintf(stderr,
                "no tokens yet: 'ladder-hub token add %s ...' makes "
                "one\n",
                dir);
    else
        print_table(rows);
    json_decref(rows);
    return LDR_EXIT_OK;
}

/* ---- revoke -------------------------------------------------------------- */

/* When `id` was revoked; "" if it is not. */
static void revoked_at(sqlite3 *db, const char *id, char out[40])
{
    sqlite3_stmt *st = NULL;

    out[0] = '\0';
    if (sqlite3_prepare_v2(db, "SELECT revoked_at FROM tokens WHERE id = ?", -1,
                           &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW &&
            sqlite3_column_type(st, 0) != SQLITE_NULL)
            snprintf(out, 40, "%s", sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
}

static int token_revoke(int argc, char **argv)
{
    const char *dir, *id;
    struct ldr_err err = {0};
    char before[40], when[40];
    sqlite3 *db;
    bool json;
    int rc = dir_args(&dir, &id, &json, argc, argv);

    if (rc || (rc = open_hub(&db, dir)))
        return rc;
    revoked_at(db, id, before);
    if (hub_token_revoke(db, id, &err) != 0) {
        sqlite3_close(db);
        return hub_fail("token", NULL, "%s", err.msg);
    }
    revoked_at(db, id, when);
    sqlite3_close(db);
    if (json)
        return print_json(json_pack("{s:s, s:s}", "id", id, "revoked", when));
    if (before[0])
        printf("token %s was already revoked on %s\n", id, before);
    else
        printf("token %s revoked on %s\n", id, when);
    return LDR_EXIT_OK;
}

/* ---- dispatch ------------------------------------------------------------ */

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} subcommands[] = {
    {"add", token_add},
    {"list", token_list},
    {"revoke", token_revoke},
};

int cmd_token(int argc, char **argv)
{
    if (argc < 2)
        return hub_usage("token", cmd_token_usage, "add, list or revoke?");
    for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].run(argc - 1, argv + 1);
    return hub_usage("token", cmd_token_usage,
                     "unknown subcommand '%s'; expected add, list or revoke",
                     argv[1]);
}
