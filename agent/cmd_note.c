/* ladder note add|list|done: coaching notes with action items and dates. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "ladder/cli.h"
#include "ladder/err.h"
#include "ladder/utf8.h"
#include "ladder/uuid.h"
#include "out.h"
#include "store.h"

const char cmd_note_usage[] =
    "add --subject ID [--competency C] [--due YYYY-MM-DD] [--private] TEXT "
    "[--json]\n"
    "       ladder note list [--subject ID] [--open] [--json]\n"
    "       ladder note done ID [--json]\n"
    "\n"
    "  add    a coaching note about a person on the roster, optionally on\n"
    "         one competency and with a follow-up date; --private notes are\n"
    "         seen by their author and HR only\n"
    "  list   notes, follow-ups due first (--open: not done yet)\n"
    "  done   mark a note's action item done (ID: the id, or its first or\n"
    "         last 8 or more characters)\n"
    "  --json a note is {\"id\", \"subject\", \"author\", \"text\", "
    "\"competency\",\n"
    "         \"due\", \"private\", \"created\", \"done\"}; list prints an "
    "array";

struct note_opts {
    const char *subject, *competency, *due;
    bool private_, open, json;
};

static int parse(struct note_opts *o, const char *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"subject", required_argument, 0, 's'},
        {"competency", required_argument, 0, 'c'},
        {"due", required_argument, 0, 'd'},
        {"private", no_argument, 0, 'p'},
        {"open", no_argument, 0, 'o'},
        {"json", no_argument, 0, 'j'},
        {0, 0, 0, 0}};
    int c;

    memset(o, 0, sizeof *o);
    optind = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            o->subject = optarg;
            break;
        case 'c':
            o->competency = optarg;
            break;
        case 'd':
            o->due = optarg;
            break;
        case 'p':
            o->private_ = true;
            break;
        case 'o':
            o->open = true;
            break;
        case 'j':
            o->json = true;
            break;
        default:
            return out_opt_error(cmd, cmd_note_usage, argv, c);
        }
    }
    return 0;
}

/* Prints one note (with its id) after a write. */
static int show_note(struct store *s, const char *id, bool json)
{
    struct ldr_err err = {0};
    json_t *v = NULL;
    int rc = store_get(s, "note", id, &v, NULL, &err);

    if (rc)
        return out_err("note", &err);
    if (json) {
        json_object_set_new(v, "id", json_string(id));
        return out_json(v);
    }
    printf("%s\n", id);
    json_decref(v);
    return LDR_EXIT_OK;
}

/* One write as one transaction; prints the note or the error. */
static int write_note(struct store *s, const char *cmd, const char *id,
                      json_t *set, bool json)
{
    struct ldr_err err = {0};
    int rc = store_begin(s, &err);

    if (rc == 0)
        rc = store_write(s, "note", id, set, NULL, 0, NULL, &err);
    if (rc == 0)
        rc = store_commit(s, &err);
    json_decref(set);
    if (rc) {
        store_rollback(s);
        return out_err(cmd, &err);
    }
    return show_note(s, id, json);
}

static int note_add(int argc, char **argv)
{
    char id[LDR_UUID_LEN + 1], now[25];
    struct note_opts o;
    struct ldr_err err = {0};
    struct store s;
    json_t *set;
    int rc = parse(&o, "note add", argc, argv);

    if (rc)
        return rc;
    if (!o.subject)
        return out_usage("note add", cmd_note_usage,
                         "--subject ID is required");
    if (optind != argc - 1)
        return out_usage("note add", cmd_note_usage,
                         "give the note's TEXT as one argument (quote it)");
    if (ldr_uuid_v7(id, &err) != 0)
        return out_err("note add", &err);
    if ((rc = open_store(&s, "note add")) != 0)
        return rc;
    store_now(now);
    set = json_pack("{s:s, s:s, s:s, s:b, s:s}", "/subject", o.subject,
                    "/author", s.user, "/text", argv[optind], "/private",
                    o.private_, "/created", now);
    if (o.competency)
        json_object_set_new(set, "/competency", json_string(o.competency));
    if (o.due)
        json_object_set_new(set, "/due", json_string(o.due));
    rc = write_note(&s, "note add", id, set, o.json);
    store_close(&s);
    return rc;
}

static int note_done(int argc, char **argv)
{
    char id[LDR_UUID_LEN + 1], now[25];
    struct note_opts o;
    struct ldr_err err = {0};
    struct store s;
    int rc = parse(&o, "note done", argc, argv);

    if (rc)
        return rc;
    if (optind != argc - 1)
        return out_usage("note done", cmd_note_usage, "give one note ID");
    if ((rc = open_store(&s, "note done")) != 0)
        return rc;
    rc = store_resolve(&s, "note", argv[optind], id, &err);
    if (rc == LDR_ENOTFOUND)
        rc = out_fail("note done", "%s: see 'ladder note list'", err.msg);
    else if (rc)
        rc = out_err("note done", &err);
    else {
        store_now(now);
        rc = write_note(&s, "note done", id, json_pack("{s:s}", "/done", now),
                        o.json);
    }
    store_close(&s);
    return rc;
}

static json_t *query_notes(struct store *s, const struct note_opts *o)
{
    json_t *list = json_array();
    sqlite3_stmt *st;

    /* follow-ups first, by date; then the rest, newest first */
    if (sqlite3_prepare_v2(
            s->db,
            "SELECT id, value FROM records WHERE kind = 'note' AND "
            "(?1 IS NULL OR subject = ?1) AND "
            "(?2 = 0 OR json_extract(value, '$.done') IS NULL) "
            "ORDER BY json_extract(value, '$.due') IS NULL, "
            "json_extract(value, '$.due'), json_extract(value, '$.created') "
            "DESC",
            -1, &st, NULL) != SQLITE_OK)
        return list;
    sqlite3_bind_text(st, 1, o->subject, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, o->open);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *v =
            json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
        json_t *item = json_pack("{s:s}", "id", sqlite3_column_text(st, 0));

        if (v)
            json_object_update(item, v);
        json_decref(v);
        json_array_append_new(list, item);
    }
    sqlite3_finalize(st);
    return list;
}

static const char *text_of(const json_t *note, const char *key)
{
    return json_string_value(json_object_get(note, key));
}

static void print_notes(const json_t *list)
{
    static const char *const head[] = {"ID",         "SUBJECT", "DUE", "DONE",
                                       "COMPETENCY", "TEXT",    NULL};
    struct table t;
    const json_t *n;
    size_t i;

    table_init(&t, head);
    json_array_foreach(list, i, n)
    {
        char text[160];
        const char *full = text_of(n, "text") ? text_of(n, "text") : "";
        size_t len = strlen(full), cut = ldr_utf8_cut(full, len, 120);

        /* a long note is cut at a character boundary for the table */
        snprintf(text, sizeof text, "%s%.*s%s",
                 json_is_true(json_object_get(n, "private")) ? "(private) "
                                                             : "",
                 (int)cut, full, cut < len ? "…" : "");
        table_row(&t, (const char *const[]){
                          text_of(n, "id"), text_of(n, "subject"),
                          text_of(n, "due"), text_of(n, "done") ? "yes" : "",
                          text_of(n, "competency"), text});
    }
    table_print(&t, stdout);
    table_release(&t);
}

static int note_list(int argc, char **argv)
{
    struct note_opts o;
    struct store s;
    json_t *list;
    int rc = parse(&o, "note list", argc, argv);

    if (rc)
        return rc;
    if (optind < argc)
        return out_usage("note list", cmd_note_usage,
                         "unexpected argument '%s'", argv[optind]);
    if ((rc = open_store(&s, "note list")) != 0)
        return rc;
    list = query_notes(&s, &o);
    store_close(&s);
    if (o.json)
        return out_json(list);
    if (json_array_size(list) == 0)
        puts("no notes");
    else
        print_notes(list);
    json_decref(list);
    return LDR_EXIT_OK;
}

int cmd_note(int argc, char **argv)
{
    static const struct subcommand subs[] = {
        {"add", note_add}, {"list", note_list}, {"done", note_done}};

    return run_subcommand("note", cmd_note_usage, subs,
                          sizeof subs / sizeof *subs, argc, argv);
}
