/*
 * GET /v1/changes and GET /v1/conflicts: what the caller's scope may
 * read, filtered in SQL (HUB_READABLE_SQL) so that a page holds up to
 * `limit` readable items and the cursor moves past what the caller may
 * not see. Each page is read in one transaction: one snapshot.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "models_http.h"
#include "ladder/db.h"

/* ---- an answer built as text ----------------------------------------------
 * Stored change bodies and record states are canonical JSON already, so a
 * page is written around them rather than parsed and dumped again. */

static void puts_raw(struct ldr_jsonbuf *b, const char *s)
{
    ldr_jsonbuf_adds(b, s);
}

/* A text column copied as it is, its length known to SQLite. */
static void put_column(struct ldr_jsonbuf *b, sqlite3_stmt *st, int col)
{
    const char *text = (const char *)sqlite3_column_text(st, col);

    ldr_jsonbuf_add(b, text ? text : "null",
                    text ? (size_t)sqlite3_column_bytes(st, col) : 4);
}

/* ---- shared -------------------------------------------------------------- */

static void db_failed(struct hub_answer *out, sqlite3 *db, const char *what)
{
    int code = sqlite3_errcode(db);

    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        hub_answer_error(out, 503, "busy", "the hub is busy %s: %s; try again",
                         what, sqlite3_errmsg(db));
    else
        hub_answer_error(out, 500, "internal", "the hub failed %s: %s", what,
                         sqlite3_errmsg(db));
}

/* Prepares `sql` for the caller: its scope bound, the SQL function there. */
static sqlite3_stmt *prepare_reader(sqlite3 *db, const char *sql,
                                    const struct hub_principal *p)
{
    sqlite3_stmt *st = NULL;

    if (hub_sql_functions(db) != 0 ||
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    if (hub_bind_reader(st, p) != 0) {
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

static void end_read(sqlite3 *db)
{
    struct ldr_err ignored = {0};

    ldr_db_exec(db, "COMMIT", "ending a read", &ignored);
}

/* ---- GET /v1/changes ----------------------------------------------------- */

static const char STATE_SQL_HEAD[] =
    "SELECT r.rev, r.kind, r.id, r.state FROM records r "
    "WHERE r.rev > :since AND ";
static const char STATE_SQL_TAIL[] = " ORDER BY r.rev LIMIT :limit";
/* CROSS JOIN: walk the log in seq order, look each record up */
static const char CHANGES_SQL_HEAD[] =
    "SELECT c.seq, c.body FROM changes c CROSS JOIN records r "
    "ON r.kind = c.kind AND r.id = c.record WHERE c.seq > :since AND "
    "c.device IS NOT :skip AND ";
static const char CHANGES_SQL_TAIL[] = " ORDER BY c.seq LIMIT :limit";

static char *page_sql(bool state_form)
{
    const char *head = state_form ? STATE_SQL_HEAD : CHANGES_SQL_HEAD;
    const char *tail = state_form ? STATE_SQL_TAIL : CHANGES_SQL_TAIL;
    size_t n = strlen(head) + strlen(HUB_READABLE_SQL) + strlen(tail) + 1;
    char *sql = malloc(n);

    if (sql)
        snprintf(sql, n, "%s%s%s", head, HUB_READABLE_SQL, tail);
    return sql;
}

static void put_item(struct ldr_jsonbuf *b, sqlite3_stmt *st, bool state_form)
{
    uint64_t n = (uint64_t)sqlite3_column_int64(st, 0);

    if (state_form) {
        puts_raw(b, "{\"kind\":");
        ldr_jsonbuf_strings(b, (const char *)sqlite3_column_text(st, 1));
        puts_raw(b, ",\"record\":");
        ldr_jsonbuf_strings(b, (const char *)sqlite3_column_text(st, 2));
        puts_raw(b, ",\"rev\":");
        ldr_jsonbuf_uint(b, n);
        puts_raw(b, ",\"state\":");
        put_column(b, st, 3);
    } else {
        puts_raw(b, "{\"change\":");
        put_column(b, st, 1);
        puts_raw(b, ",\"seq\":");
        ldr_jsonbuf_uint(b, n);
    }
    puts_raw(b, "}");
}

/* The last seq of the log: where a page that reached the end leaves the
 * cursor, past everything the caller could not see. */
static int last_seq(sqlite3 *db, uint64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT coalesce(max(seq), 0) FROM changes",
                                -1, &st, NULL);

    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        *out = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Reads up to `limit` items after `since` into `b`; one more row tells
 * whether more follow. `next` is the last item's seq (or rev) when more
 * follow, else the end of the log.
 */
static int read_page(sqlite3 *db, sqlite3_stmt *st, bool state_form,
                     uint64_t since, size_t limit, struct ldr_jsonbuf *b,
                     uint64_t *next, bool *more)
{
    size_t n = 0;
    int rc;

    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":since"),
                       (sqlite3_int64)since);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"),
                       (sqlite3_int64)limit + 1);
    *next = since;
    *more = false;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == limit) {
            *more = true;
            break;
        }
        puts_raw(b, n++ ? "," : "");
        put_item(b, st, state_form);
        *next = (uint64_t)sqlite3_column_int64(st, 0);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return -1;
    if (!*more && last_seq(db, next) != 0)
        return -1;
    if (*next < since) /* a log behind the caller's cursor: keep it */
        *next = since;
    return 0;
}

/*
 * Puts the page's form, "more" and "next" in front of its items, already
 * in `b`: a client learns where the next page starts without reading
 * through the items, and asks for it while it merges these.
 */
static void put_head(struct ldr_jsonbuf *b, bool state_form, bool more,
                     uint64_t next)
{
    char head[96];
    size_t len = b->len;
    int n = snprintf(head, sizeof head,
                     "{\"form\":\"%s\",\"more\":%s,\"next\":%llu,\"items\":[",
                     state_form ? "state" : "changes", more ? "true" : "false",
                     (unsigned long long)next);

    ldr_jsonbuf_add(b, head, (size_t)n); /* the room */
    if (!b->oom) {
        memmove(b->data + n, b->data, len);
        memcpy(b->data, head, (size_t)n);
    }
}

void hub_get_changes(sqlite3 *db, const struct hub_principal *p, uint64_t since,
                     size_t limit, bool state_form, const char *skip_device,
                     const char *dir, struct hub_answer *out)
{
    struct ldr_jsonbuf b;
    struct ldr_err err = {0};
    char *sql, main[HUB_GIT_HEX + 1];
    sqlite3_stmt *st = NULL;
    uint64_t next = since;
    bool more = false;
    int rc;

    memset(out, 0, sizeof *out);
    ldr_jsonbuf_init(&b);
    state_form = state_form || since == 0;
    limit = limit == 0                   ? HUB_PULL_DEFAULT_LIMIT
            : limit > HUB_PULL_MAX_LIMIT ? HUB_PULL_MAX_LIMIT
                                         : limit;
    if (!(sql = page_sql(state_form))) {
        hub_answer_error(out, 500, "internal", "out of memory");
        return;
    }
    rc = ldr_db_exec(db, "BEGIN", "starting a read", &err);
    if (rc == 0 && !(st = prepare_reader(db, sql, p)))
        rc = -1;
    if (rc == 0 && !state_form && skip_device)
        sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":skip"),
                          skip_device, -1, SQLITE_STATIC);
    if (rc == 0)
        rc = read_page(db, st, state_form, since, limit, &b, &next, &more);
    put_head(&b, state_form, more, next);
    puts_raw(&b, "]");
    if (!more && dir && hub_models_main(dir, main)) {
        puts_raw(&b, ",\"models\":");
        ldr_jsonbuf_strings(&b, main);
    }
    puts_raw(&b, "}");
    if (rc)
        db_failed(out, db, "reading changes");
    sqlite3_finalize(st);
    if (sqlite3_get_autocommit(db) == 0)
        end_read(db);
    free(sql);
    if (rc == 0 && b.oom)
        hub_answer_error(out, 500, "internal", "out of memory");
    else if (rc == 0) {
        out->status = 200;
        out->body = ldr_jsonbuf_detach(&b, &out->len);
        return;
    }
    ldr_jsonbuf_release(&b);
}

/* ---- GET /v1/conflicts --------------------------------------------------- */

static const char CONFLICTS_SQL_HEAD[] =
    "SELECT k.id, k.seq, k.kind, k.record, k.path, k.detected_at, "
    "k.resolved_at, k.resolved_by, k.winner_value, k.winner_hlc, "
    "k.winner_device, k.winner_author, k.winner_rev, k.loser_value, "
    "k.loser_hlc, k.loser_device, k.loser_author, k.loser_rev "
    "FROM conflicts k JOIN records r ON r.kind = k.kind AND r.id = k.record "
    "WHERE ";
static const char CONFLICTS_SQL_TAIL[] = " ORDER BY k.id DESC LIMIT :limit";
/* since=ID: the entries after ID, oldest first, a page at a time */
static const char CONFLICTS_SINCE_TAIL[] =
    " AND k.id > :since ORDER BY k.id LIMIT :limit";

/* One side of a conflict; "value" is missing when that write removed the
 * field. */
static json_t *side(sqlite3_stmt *st, int at)
{
    const char *value = (const char *)sqlite3_column_text(st, at);
    json_t *obj =
        json_pack("{s:s, s:s, s:s}", "hlc", sqlite3_column_text(st, at + 1),
                  "device", sqlite3_column_text(st, at + 2), "author",
                  sqlite3_column_text(st, at + 3));

    if (obj && sqlite3_column_type(st, at + 4) != SQLITE_NULL)
        json_object_set_new(obj, "rev",
                            json_integer(sqlite3_column_int64(st, at + 4)));
    if (obj && value)
        json_object_set_new(obj, "value",
                            json_loads(value, JSON_DECODE_ANY, NULL));
    return obj;
}

static json_t *conflict_item(sqlite3_stmt *st)
{
    return json_pack(
        "{s:I, s:I, s:s, s:s, s:s, s:s, s:s?, s:s?, s:o, s:o}", "id",
        (json_int_t)sqlite3_column_int64(st, 0), "seq",
        (json_int_t)sqlite3_column_int64(st, 1), "kind",
        sqlite3_column_text(st, 2), "record", sqlite3_column_text(st, 3),
        "path", sqlite3_column_text(st, 4), "detected",
        sqlite3_column_text(st, 5), "resolved", sqlite3_column_text(st, 6),
        "resolved_by", sqlite3_column_text(st, 7), "winner", side(st, 8),
        "loser", side(st, 13));
}

static int read_conflicts(sqlite3_stmt *st, size_t limit, json_t *list,
                          bool *more)
{
    size_t n = 0;
    int rc;

    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"),
                       (sqlite3_int64)limit + 1);
    *more = false;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *item;

        if (n++ == limit) {
            *more = true;
            break;
        }
        if (!(item = conflict_item(st)) ||
            json_array_append_new(list, item) != 0)
            return LDR_ENOMEM;
    }
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static char *conflicts_sql(bool paged)
{
    const char *tail = paged ? CONFLICTS_SINCE_TAIL : CONFLICTS_SQL_TAIL;
    size_t n = strlen(CONFLICTS_SQL_HEAD) + strlen(HUB_READABLE_SQL) +
               strlen(tail) + 1;
    char *sql = malloc(n);

    if (sql)
        snprintf(sql, n, "%s%s%s", CONFLICTS_SQL_HEAD, HUB_READABLE_SQL, tail);
    return sql;
}

/* The id of the last entry of `list`, or `since` when it is empty. */
static json_int_t last_id(const json_t *list, int64_t since)
{
    size_t n = json_array_size(list);

    return n ? json_integer_value(
                   json_object_get(json_array_get(list, n - 1), "id"))
             : (json_int_t)since;
}

void hub_get_conflicts(sqlite3 *db, const struct hub_principal *p,
                       struct hub_answer *out)
{
    hub_get_conflicts_since(db, p, -1, out);
}

void hub_get_conflicts_since(sqlite3 *db, const struct hub_principal *p,
                             int64_t since, struct hub_answer *out)
{
    bool paged = since >= 0;
    char *sql = conflicts_sql(paged);
    sqlite3_stmt *st = sql ? prepare_reader(db, sql, p) : NULL;
    json_t *list = json_array(), *doc = NULL;
    bool more = false;
    int rc;

    if (st && paged)
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":since"),
                           since);
    rc = st && list
             ? read_conflicts(st,
                              paged ? HUB_CONFLICTS_PAGE : HUB_PULL_MAX_LIMIT,
                              list, &more)
             : -1;
    memset(out, 0, sizeof *out);
    if (rc == 0 && paged)
        doc = json_pack("{s:O, s:b, s:I}", "conflicts", list, "more", more,
                        "next", last_id(list, since));
    else if (rc == 0)
        doc = json_pack("{s:O, s:b}", "conflicts", list, "more", more);
    if (doc)
        out->body = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (out->body) {
        out->status = 200;
        out->len = strlen(out->body);
    } else if (rc == -1 && sql && list)
        db_failed(out, db, "reading conflicts");
    else
        hub_answer_error(out, 500, "internal", "out of memory");
    json_decref(doc);
    json_decref(list);
    sqlite3_finalize(st);
    free(sql);
}
