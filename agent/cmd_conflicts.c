/* ladder conflicts [resolve], ladder rejected [dismiss]: what sync could
 * not settle by itself, for a person to look at. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "ladder/cli.h"
#include "ladder/err.h"
#include "ladder/hlc.h"
#include "out.h"
#include "store.h"

const char cmd_conflicts_usage[] =
    "[list] [--all] [--json]\n"
    "       ladder conflicts resolve ID --keep mine|theirs|winner|loser|VALUE\n"
    "\n"
    "  list     concurrent edits where one value lost to another under\n"
    "           last-writer-wins (found by the hub, or here while merging\n"
    "           pulled changes): the field, the value kept and the value\n"
    "           lost, each with its author and time. --all: also resolved.\n"
    "  resolve  write the chosen value as a new change and mark the\n"
    "           conflict resolved: mine/theirs (the side written on this\n"
    "           laptop or not), winner/loser, or a VALUE (JSON, e.g. 3 or\n"
    "           '\"text\"'; anything that is not JSON is taken as text)\n"
    "  --json   list: [{\"id\", \"kind\", \"record\", \"path\", \"winner\": "
    "{\"value\",\n"
    "           \"author\", \"device\", \"time\"}, \"loser\": {...}, "
    "\"detected\",\n"
    "           \"resolved\"}]";

const char cmd_rejected_usage[] =
    "[list] [--all] [--json]\n"
    "       ladder rejected dismiss SEQ\n"
    "\n"
    "  list     changes the hub refused, with its reason: they stay in the\n"
    "           outbox, never resent; the record shows what the hub has.\n"
    "           --all: also dismissed ones.\n"
    "  dismiss  mark one as seen (it is kept)\n"
    "  --json   [{\"seq\", \"kind\", \"record\", \"code\", \"message\", "
    "\"change\",\n"
    "           \"answered\", \"dismissed\"}]";

/* "2026-11-26T09:12:00.123Z" of a stamp's wall-clock part. */
static void stamp_time(const char *hlc_text, char out[32])
{
    struct ldr_hlc h;
    struct ldr_err ignored = {0};

    if (ldr_hlc_parse(&h, hlc_text, &ignored) != 0) {
        snprintf(out, 32, "%s", hlc_text);
        return;
    }
    ldr_time_format(out, h.ms);
}

static json_t *side(sqlite3_stmt *st, int at)
{
    const char *v = (const char *)sqlite3_column_text(st, at);
    char when[32];

    stamp_time((const char *)sqlite3_column_text(st, at + 1), when);
    return json_pack("{s:o, s:s, s:s, s:s}", "value",
                     v ? json_loads(v, JSON_DECODE_ANY, NULL) : json_null(),
                     "author", sqlite3_column_text(st, at + 3), "device",
                     sqlite3_column_text(st, at + 2), "time", when);
}

static json_t *query_conflicts(struct store *s, bool all, sqlite3_int64 only)
{
    json_t *list = json_array();
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(
            s->db,
            "SELECT id, kind, record, path, winner_value, winner_hlc, "
            "winner_device, winner_author, loser_value, loser_hlc, "
            "loser_device, loser_author, detected_at, resolved_at FROM "
            "conflicts WHERE (?1 OR resolved_at IS NULL) AND (?2 = 0 OR id "
            "= ?2) ORDER BY id",
            -1, &st, NULL) != SQLITE_OK)
        return list;
    sqlite3_bind_int(st, 1, all);
    sqlite3_bind_int64(st, 2, only);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(
            list, json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:s, s:s?}", "id",
                            (json_int_t)sqlite3_column_int64(st, 0), "kind",
                            sqlite3_column_text(st, 1), "record",
                            sqlite3_column_text(st, 2), "path",
                            sqlite3_column_text(st, 3), "winner", side(st, 4),
                            "loser", side(st, 8), "detected",
                            sqlite3_column_text(st, 12), "resolved",
                            sqlite3_column_text(st, 13)));
    sqlite3_finalize(st);
    return list;
}

/* A value for a table cell: JSON text cut at 40 bytes. */
static void cell(const json_t *side_obj, char out[160])
{
    char *text = json_dumps(json_object_get(side_obj, "value"),
                            JSON_ENCODE_ANY | JSON_COMPACT);

    snprintf(out, 160, "%.40s by %s", text ? text : "?",
             json_string_value(json_object_get(side_obj, "author")));
    free(text);
}

static void print_conflicts(const json_t *list)
{
    static const char *const head[] = {"ID",   "RECORD", "FIELD",
                                       "KEPT", "LOST",   NULL};
    struct table t;
    const json_t *c;
    size_t i;

    table_init(&t, head);
    json_array_foreach(list, i, c)
    {
        char id[24], rec[96], kept[160], lost[160];

        snprintf(id, sizeof id, "%lld",
                 (long long)json_integer_value(json_object_get(c, "id")));
        snprintf(rec, sizeof rec, "%s %s",
                 json_string_value(json_object_get(c, "kind")),
                 json_string_value(json_object_get(c, "record")));
        cell(json_object_get(c, "winner"), kept);
        cell(json_object_get(c, "loser"), lost);
        table_row(&t,
                  (const char *const[]){
                      id, rec, json_string_value(json_object_get(c, "path")),
                      kept, lost});
    }
    table_print(&t, stdout);
    table_release(&t);
}

/* list's options: --all and --json, in any order. */
static int list_opts(const char *cmd, const char *usage, int argc, char **argv,
                     bool *all, bool *json)
{
    *all = *json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--all") == 0)
            *all = true;
        else if (strcmp(argv[i], "--json") == 0)
            *json = true;
        else
            return out_usage(cmd, usage, "unexpected argument '%s'", argv[i]);
    }
    return 0;
}

static int conflicts_list(int argc, char **argv)
{
    bool all, json;
    struct store s;
    json_t *list;
    int rc =
        list_opts("conflicts", cmd_conflicts_usage, argc, argv, &all, &json);

    if (rc || (rc = open_store(&s, "conflicts")) != 0)
        return rc;
    list = query_conflicts(&s, all, 0);
    store_close(&s);
    if (json)
        return out_json(list);
    if (json_array_size(list) == 0)
        puts("no conflicts");
    else
        print_conflicts(list);
    json_decref(list);
    return LDR_EXIT_OK;
}

/* The value chosen by --keep, a new reference; NULL with err set. JSON
 * null stands for "remove the field". */
static json_t *chosen(const struct store *s, const json_t *c, const char *keep,
                      struct ldr_err *err)
{
    const json_t *w = json_object_get(c, "winner");
    const json_t *l = json_object_get(c, "loser");
    const char *wdev = json_string_value(json_object_get(w, "device"));
    const json_t *pick = NULL;
    json_t *v;

    if (strcmp(keep, "winner") == 0)
        pick = w;
    else if (strcmp(keep, "loser") == 0)
        pick = l;
    else if (strcmp(keep, "mine") == 0 || strcmp(keep, "theirs") == 0) {
        bool mine_won = strcmp(wdev, s->device) == 0;
        bool mine_lost = strcmp(json_string_value(json_object_get(l, "device")),
                                s->device) == 0;
        if (!mine_won && !mine_lost) {
            ldr_err_set(err, LDR_EINVAL,
                        "neither side was written on this laptop: keep "
                        "winner, loser or a VALUE");
            return NULL;
        }
        pick = (strcmp(keep, "mine") == 0) == mine_won ? w : l;
    }
    if (pick)
        return json_incref(json_object_get(pick, "value"));
    v = json_loads(keep, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(keep);
}

static int mark_resolved(struct store *s, json_int_t id, struct ldr_err *err)
{
    sqlite3_stmt *st = store_stmt(s, "UPDATE conflicts SET resolved_at = "
                                     "strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                                     "WHERE id = ?");
    int rc = SQLITE_ERROR;

    if (st) {
        sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
    }
    return rc == SQLITE_DONE
               ? 0
               : ldr_err_set(err, LDR_EDB, "%s", sqlite3_errmsg(s->db));
}

static int resolve(struct store *s, const json_t *c, const char *keep,
                   struct ldr_err *err)
{
    const char *path = json_string_value(json_object_get(c, "path"));
    json_t *value = chosen(s, c, keep, err), *set = json_object();
    int rc;

    if (!value) {
        json_decref(set);
        return err->code;
    }
    if (!json_is_null(value))
        json_object_set(set, path, value);
    rc = store_begin(s, err);
    if (rc == 0)
        rc = store_write(s, json_string_value(json_object_get(c, "kind")),
                         json_string_value(json_object_get(c, "record")), set,
                         json_is_null(value) ? &path : NULL,
                         json_is_null(value) ? 1 : 0, NULL, err);
    if (rc == 0)
        rc =
            mark_resolved(s, json_integer_value(json_object_get(c, "id")), err);
    if (rc == 0)
        rc = store_commit(s, err);
    if (rc)
        store_rollback(s);
    json_decref(value);
    json_decref(set);
    return rc;
}

static int conflicts_resolve(int argc, char **argv)
{
    const char *keep =
        argc == 4 && strcmp(argv[2], "--keep") == 0 ? argv[3] : NULL;
    struct ldr_err err = {0};
    char *end;
    long long id = argc == 4 ? strtoll(argv[1], &end, 10) : 0;
    struct store s;
    json_t *found;
    int rc;

    if (!keep || id <= 0 || *end)
        return out_usage("conflicts resolve", cmd_conflicts_usage,
                         "give a conflict ID and --keep");
    if ((rc = open_store(&s, "conflicts resolve")) != 0)
        return rc;
    found = query_conflicts(&s, true, id);
    if (json_array_size(found) == 0)
        rc = out_fail("conflicts resolve",
                      "no conflict %lld: see 'ladder conflicts'", id);
    else if (resolve(&s, json_array_get(found, 0), keep, &err) != 0)
        rc = out_err("conflicts resolve", &err);
    else
        printf("conflict %lld resolved; the value is written as a new "
               "change, sent with the next sync\n",
               id);
    json_decref(found);
    store_close(&s);
    return rc;
}

int cmd_conflicts(int argc, char **argv)
{
    static const struct subcommand subs[] = {{"list", conflicts_list},
                                             {"resolve", conflicts_resolve}};

    if (argc < 2 || argv[1][0] == '-')
        return conflicts_list(argc, argv);
    return run_subcommand("conflicts", cmd_conflicts_usage, subs,
                          sizeof subs / sizeof *subs, argc, argv);
}

/* ---- rejected -------------------------------------------------------------
 */

static json_t *query_rejected(struct store *s, bool all)
{
    json_t *list = json_array();
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(s->db,
                           "SELECT seq, kind, record, reject_code, "
                           "reject_message, change, answered_at, "
                           "dismissed_at FROM outbox WHERE status = "
                           "'rejected' AND (?1 OR dismissed_at IS NULL) "
                           "ORDER BY seq",
                           -1, &st, NULL) != SQLITE_OK)
        return list;
    sqlite3_bind_int(st, 1, all);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(
            list,
            json_pack(
                "{s:I, s:s, s:s, s:s, s:s, s:o, s:s?, s:s?}", "seq",
                (json_int_t)sqlite3_column_int64(st, 0), "kind",
                sqlite3_column_text(st, 1), "record",
                sqlite3_column_text(st, 2), "code", sqlite3_column_text(st, 3),
                "message", sqlite3_column_text(st, 4), "change",
                json_loads((const char *)sqlite3_column_text(st, 5), 0, NULL),
                "answered", sqlite3_column_text(st, 6), "dismissed",
                sqlite3_column_text(st, 7)));
    sqlite3_finalize(st);
    return list;
}

static void print_rejected(const json_t *list)
{
    const json_t *r;
    size_t i;

    json_array_foreach(list, i, r)
    {
        const char *path;
        const json_t *v;

        printf("%lld  %s %s  %s: %s\n",
               (long long)json_integer_value(json_object_get(r, "seq")),
               json_string_value(json_object_get(r, "kind")),
               json_string_value(json_object_get(r, "record")),
               json_string_value(json_object_get(r, "code")),
               json_string_value(json_object_get(r, "message")));
        json_object_foreach(
            json_object_get(json_object_get(r, "change"), "set"), path, v)
        {
            char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            printf("      %s = %.60s\n", path, text ? text : "?");
            free(text);
        }
    }
}

static int rejected_list(int argc, char **argv)
{
    bool all, json;
    struct store s;
    json_t *list;
    int rc = list_opts("rejected", cmd_rejected_usage, argc, argv, &all, &json);

    if (rc || (rc = open_store(&s, "rejected")) != 0)
        return rc;
    list = query_rejected(&s, all);
    store_close(&s);
    if (json)
        return out_json(list);
    if (json_array_size(list) == 0)
        puts("no rejected changes");
    else
        print_rejected(list);
    json_decref(list);
    return LDR_EXIT_OK;
}

static int rejected_dismiss(int argc, char **argv)
{
    char *end;
    long long seq = argc == 2 ? strtoll(argv[1], &end, 10) : 0;
    struct store s;
    sqlite3_stmt *st;
    int rc;

    if (seq <= 0 || *end)
        return out_usage("rejected dismiss", cmd_rejected_usage,
                         "give the SEQ of one rejected change");
    if ((rc = open_store(&s, "rejected dismiss")) != 0)
        return rc;
    st = store_stmt(&s, "UPDATE outbox SET dismissed_at = strftime('%Y-%m-"
                        "%dT%H:%M:%fZ', 'now') WHERE seq = ? AND status = "
                        "'rejected' AND dismissed_at IS NULL");
    if (st) {
        sqlite3_bind_int64(st, 1, seq);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : LDR_EXIT_FAIL;
        sqlite3_reset(st);
    }
    if (!st || rc)
        rc = out_fail("rejected dismiss", "%s", sqlite3_errmsg(s.db));
    else if (sqlite3_changes(s.db) == 0)
        rc = out_fail("rejected dismiss",
                      "no undismissed rejected change %lld: see 'ladder "
                      "rejected'",
                      seq);
    store_close(&s);
    return rc;
}

int cmd_rejected(int argc, char **argv)
{
    static const struct subcommand subs[] = {{"list", rejected_list},
                                             {"dismiss", rejected_dismiss}};

    if (argc < 2 || argv[1][0] == '-')
        return rejected_list(argc, argv);
    return run_subcommand("rejected", cmd_rejected_usage, subs,
                          sizeof subs / sizeof *subs, argc, argv);
}
