/*
 * The hub's conflict journal (GET /v1/conflicts) copied into the local
 * one, so `ladder conflicts` shows the losses the hub found while merging
 * other people's sets too, not only those this laptop's merge found.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http.h"
#include "ladder/err.h"
#include "store.h"
#include "sync.h"

/* The same UNIQUE key as a locally found conflict: seen twice, kept once. */
static const char ADD_HUB_CONFLICT[] =
    "INSERT OR IGNORE INTO conflicts (kind, record, path, winner_value, "
    "winner_hlc, winner_device, winner_author, winner_rev, loser_value, "
    "loser_hlc, loser_device, loser_author, loser_rev, detected_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "coalesce(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))";

static const char *text_of(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* One side (winner or loser) into columns at..at+4; `*dump` to free. */
static void bind_write(sqlite3_stmt *st, int at, const json_t *w, char **dump)
{
    const json_t *value = json_object_get(w, "value");
    const json_t *rev = json_object_get(w, "rev");

    *dump = value ? json_dumps(value,
                               JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
                  : NULL;
    if (*dump)
        sqlite3_bind_text(st, at, *dump, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, at + 1, text_of(w, "hlc"), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, at + 2, text_of(w, "device"), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, at + 3, text_of(w, "author"), -1, SQLITE_STATIC);
    if (json_is_integer(rev))
        sqlite3_bind_int64(st, at + 4, json_integer_value(rev));
}

static int add_one(struct store *s, const json_t *c, size_t *added,
                   struct ldr_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ADD_HUB_CONFLICT);
    char *winner = NULL, *loser = NULL;
    int rc;

    if (!st)
        return ldr_err_set(err, LDR_EDB, "saving the hub's conflicts");
    sqlite3_bind_text(st, 1, text_of(c, "kind"), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, text_of(c, "record"), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, text_of(c, "path"), -1, SQLITE_STATIC);
    bind_write(st, 4, json_object_get(c, "winner"), &winner);
    bind_write(st, 9, json_object_get(c, "loser"), &loser);
    sqlite3_bind_text(st, 14, text_of(c, "detected"), -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    free(winner);
    free(loser);
    if (rc == SQLITE_DONE && sqlite3_changes(s->db) > 0)
        (*added)++;
    /* a malformed entry (a NOT NULL or CHECK failing) is the hub's fault:
     * it is skipped, not allowed to stop the sync */
    return rc == SQLITE_DONE || rc == SQLITE_CONSTRAINT
               ? 0
               : ldr_err_set(err, LDR_EDB, "saving the hub's conflicts: %s",
                             sqlite3_errmsg(s->db));
}

/* A page of the journal and the cursor after it, in one transaction. */
static int add_page(struct store *s, const json_t *list, json_int_t next,
                    bool last, size_t *added, struct ldr_err *err)
{
    const json_t *c;
    char text[32];
    size_t i;
    int rc = store_begin(s, err);

    json_array_foreach(list, i, c)
    {
        if (rc)
            break;
        rc = add_one(s, c, added, err);
    }
    snprintf(text, sizeof text, "%lld", (long long)next);
    rc = rc ? rc : store_set_meta(s, "journal_cursor", text, err);
    if (rc == 0 && last)
        rc = store_set_meta(s, "journal_due", "0", err);
    rc = rc ? rc : store_commit(s, err);
    if (rc)
        store_rollback(s);
    return rc;
}

/* One page of the journal after the saved cursor; *more if others follow. */
static int journal_page(struct store *s, struct http *c,
                        const struct sync_opts *o, bool *more,
                        struct sync_stats *st, struct ldr_err *err)
{
    char *cursor = store_meta(s, "journal_cursor"), path[64];
    struct http_reply r = {0};
    json_t *doc = NULL, *list, *next;
    int rc;

    snprintf(path, sizeof path, "/v1/conflicts?since=%lld",
             cursor ? strtoll(cursor, NULL, 10) : 0LL);
    free(cursor);
    rc = sync_request(c, o, "GET", path, NULL, 0, &r, err);
    if (rc == 0 && r.status != 200)
        rc = sync_refused(&r, "reading the hub's conflicts", err);
    else if (rc == 0) {
        doc = json_loadb(r.body, r.len, 0, NULL);
        list = json_object_get(doc, "conflicts");
        next = json_object_get(doc, "next");
        *more = json_is_true(json_object_get(doc, "more"));
        rc = json_is_array(list) && json_is_integer(next)
                 ? add_page(s, list, json_integer_value(next), !*more,
                            &st->conflicts, err)
                 : ldr_err_set(err, LDR_EINVAL,
                               "the hub's conflict journal is not "
                               "{\"conflicts\": [...], \"next\": N}");
    }
    json_decref(doc);
    http_reply_release(&r);
    return rc;
}

int sync_journal_due(struct store *s, struct ldr_err *err)
{
    return store_set_meta(s, "journal_due", "1", err);
}

/* The hub journals a conflict when it accepts a change; one the laptop may
 * see came down in a page, or in the answer to its own push. Until then
 * (and once a journal was read), there is nothing new to ask for. */
static bool journal_due(struct store *s)
{
    char *cursor = store_meta(s, "journal_cursor");
    char *due = store_meta(s, "journal_due");
    bool yes = !cursor || (due && strcmp(due, "1") == 0);

    free(cursor);
    free(due);
    return yes;
}

int sync_journal(struct store *s, struct http *c, const struct sync_opts *o,
                 struct sync_stats *st, struct ldr_err *err)
{
    bool more = journal_due(s);
    int rc = 0;

    while (rc == 0 && more)
        rc = journal_page(s, c, o, &more, st, err);
    return rc;
}
