/* ladder status: what this laptop holds and what waits for the hub. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "ladder/cli.h"
#include "out.h"
#include "store.h"

const char cmd_status_usage[] =
    "[--json]\n"
    "\n"
    "The database, user and device; changes waiting in the outbox by state;\n"
    "the last sync; open conflicts; and changes the hub rejected, with its\n"
    "reasons.\n"
    "  --json  {\"db\", \"user\", \"device\", \"hub\", \"last_sync\",\n"
    "           \"outbox\": {\"pending\", \"sent\", \"accepted\", "
    "\"rejected\"},\n"
    "           \"records\", \"conflicts\", \"rejected\": [{\"seq\", \"kind\", "
    "\"record\",\n"
    "           \"code\", \"message\"}]}";

static json_int_t count(struct store *s, const char *sql)
{
    sqlite3_stmt *st;
    json_int_t n = -1;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static json_t *outbox_counts(struct store *s)
{
    static const char *const states[] = {"pending", "sent", "accepted",
                                         "rejected"};
    json_t *out = json_object();
    sqlite3_stmt *st;

    for (size_t i = 0; i < 4; i++)
        json_object_set_new(out, states[i], json_integer(0));
    if (sqlite3_prepare_v2(s->db,
                           "SELECT status, count(*) FROM outbox GROUP BY "
                           "status",
                           -1, &st, NULL) != SQLITE_OK)
        return out;
    while (sqlite3_step(st) == SQLITE_ROW)
        json_object_set_new(out, (const char *)sqlite3_column_text(st, 0),
                            json_integer(sqlite3_column_int64(st, 1)));
    sqlite3_finalize(st);
    return out;
}

static json_t *rejections(struct store *s)
{
    json_t *list = json_array();
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(s->db,
                           "SELECT seq, kind, record, reject_code, "
                           "reject_message FROM outbox WHERE status = "
                           "'rejected' AND dismissed_at IS NULL ORDER BY seq",
                           -1, &st, NULL) != SQLITE_OK)
        return list;
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(list,
                              json_pack("{s:I, s:s, s:s, s:s, s:s}", "seq",
                                        (json_int_t)sqlite3_column_int64(st, 0),
                                        "kind", sqlite3_column_text(st, 1),
                                        "record", sqlite3_column_text(st, 2),
                                        "code", sqlite3_column_text(st, 3),
                                        "message", sqlite3_column_text(st, 4)));
    sqlite3_finalize(st);
    return list;
}

/* A meta value as JSON: the text, or null when unset. */
static json_t *meta_json(struct store *s, const char *key)
{
    char *v = store_meta(s, key);
    json_t *j = v ? json_string(v) : json_null();

    free(v);
    return j;
}

static json_t *status(struct store *s)
{
    return json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:I, s:o}", "db", s->path, "user",
        s->user, "device", s->device, "hub", meta_json(s, "hub"), "last_sync",
        meta_json(s, "last_sync"), "outbox", outbox_counts(s), "records",
        count(s, "SELECT count(*) FROM records"), "conflicts",
        count(s, "SELECT count(*) FROM conflicts WHERE resolved_at IS NULL"),
        "rejected", rejections(s));
}

static json_int_t get_int(const json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

static void print_status(const json_t *st)
{
    const json_t *box = json_object_get(st, "outbox"), *r;
    const char *hub = json_string_value(json_object_get(st, "hub"));
    const char *last = json_string_value(json_object_get(st, "last_sync"));
    size_t i;

    printf("database   %s\n", json_string_value(json_object_get(st, "db")));
    printf("user       %s (device %s)\n",
           json_string_value(json_object_get(st, "user")),
           json_string_value(json_object_get(st, "device")));
    printf("hub        %s\n", hub ? hub : "none set");
    printf("last sync  %s\n", last ? last : "never");
    printf("records    %lld\n", (long long)get_int(st, "records"));
    printf("outbox     %lld pending, %lld sent, %lld accepted, %lld "
           "rejected\n",
           (long long)get_int(box, "pending"), (long long)get_int(box, "sent"),
           (long long)get_int(box, "accepted"),
           (long long)get_int(box, "rejected"));
    printf("conflicts  %lld open\n", (long long)get_int(st, "conflicts"));
    json_array_foreach(json_object_get(st, "rejected"), i, r)
    {
        printf("rejected   change %lld to %s %s: %s (%s)\n",
               (long long)get_int(r, "seq"),
               json_string_value(json_object_get(r, "kind")),
               json_string_value(json_object_get(r, "record")),
               json_string_value(json_object_get(r, "message")),
               json_string_value(json_object_get(r, "code")));
    }
}

int cmd_status(int argc, char **argv)
{
    bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
    struct store s;
    json_t *st;
    int rc;

    if (argc > 2 || (argc == 2 && !json))
        return out_usage("status", cmd_status_usage,
                         "status takes only "
                         "--json");
    if ((rc = open_store(&s, "status")) != 0)
        return rc;
    st = status(&s);
    store_close(&s);
    if (!st)
        return out_fail("status", "out of memory");
    if (json)
        return out_json(st);
    print_status(st);
    json_decref(st);
    return LDR_EXIT_OK;
}
