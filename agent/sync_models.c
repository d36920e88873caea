/* Model versions from the hub (docs/sync.md, "Models"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http.h"
#include "ladder/err.h"
#include "ladder/model.h"
#include "store.h"
#include "sync.h"

/* A model id goes into a URL path: only what a slug holds. */
static bool plain_slug(const char *id)
{
    size_t n = id ? strlen(id) : 0;

    return n > 0 && n <= 64 &&
           strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == n &&
           !strstr(id, "..");
}

static bool plain_version(const char *v)
{
    return v && strlen(v) == 40 && strspn(v, "0123456789abcdef") == 40;
}

/* Parses the file the hub sent and keeps it; `want` (may be NULL) is the
 * version it must be. */
static int keep(struct store *s, const struct http_reply *r, const char *id,
                const char *want, bool *added, struct ldr_err *err)
{
    struct ldr_model *m = NULL;
    char version[41];
    int rc = ldr_model_parse(&m, r->body, r->len, NULL, err);

    if (rc)
        return ldr_err_prefix(err, "the hub's model %s: ", id);
    if (strcmp(m->id, id) != 0)
        rc = ldr_err_set(err, LDR_EINVAL,
                         "the hub sent model '%s' when asked for '%s'", m->id,
                         id);
    if (rc == 0 && (rc = store_begin(s, err)) == 0) {
        rc = store_model_save(s, m, true, version, added, err);
        if (rc == 0 && want && strcmp(version, want) != 0)
            rc = ldr_err_set(err, LDR_EINVAL,
                             "the hub's model %s@%.12s reads as version "
                             "%.12s: not kept",
                             id, want, version);
        rc = rc ? rc : store_commit(s, err);
        if (rc)
            store_rollback(s);
    }
    ldr_model_free(m);
    return rc;
}

/* GET /v1/models/ID/VERSION and keep it; a version the hub lacks is
 * counted when `pinned`, an error otherwise. */
static int fetch(struct store *s, struct http *c, const struct sync_opts *o,
                 const char *id, const char *version, bool pinned,
                 struct sync_stats *st, struct ldr_err *err)
{
    struct http_reply r = {0};
    char path[160];
    bool added = false;
    int rc;

    snprintf(path, sizeof path, "/v1/models/%s/%s", id, version);
    rc = sync_request(c, o, "GET", path, NULL, 0, &r, err);
    if (rc == 0 && r.status == 404 && pinned)
        st->models_missing++;
    else if (rc == 0 && r.status != 200)
        rc = sync_refused(&r, "downloading a model", err);
    else if (rc == 0)
        rc = keep(s, &r, id, version, &added, err);
    if (rc == 0 && added)
        st->models++;
    http_reply_release(&r);
    return rc;
}

/* Versions that pulled records pin (noted as they were merged), less
 * those this laptop has by now. */
static const char WANTED[] =
    "SELECT id, version FROM model_wants w WHERE NOT EXISTS (SELECT 1 FROM "
    "models m WHERE m.id = w.id AND m.version = w.version)";

static int cross_off(struct store *s, struct ldr_err *err)
{
    int rc = store_begin(s, err);

    if (rc == 0 && sqlite3_exec(s->db,
                                "DELETE FROM model_wants WHERE EXISTS (SELECT "
                                "1 FROM models m WHERE m.id = model_wants.id "
                                "AND m.version = model_wants.version)",
                                NULL, NULL, NULL) != SQLITE_OK)
        rc = ldr_err_set(err, LDR_EDB, "saving the model list: %s",
                         sqlite3_errmsg(s->db));
    rc = rc ? rc : store_commit(s, err);
    if (rc)
        store_rollback(s);
    return rc;
}

static int pinned(struct store *s, struct http *c, const struct sync_opts *o,
                  struct sync_stats *st, struct ldr_err *err)
{
    json_t *wanted = json_array();
    sqlite3_stmt *q = store_stmt(s, WANTED);
    const json_t *pair;
    size_t i;
    int rc = 0;

    if (!wanted || !q) {
        json_decref(wanted);
        return ldr_err_set(err, LDR_EDB, "reading pinned model versions");
    }
    while (sqlite3_step(q) == SQLITE_ROW) /* fetch after the read ends */
        json_array_append_new(wanted,
                              json_pack("[s?, s?]", sqlite3_column_text(q, 0),
                                        sqlite3_column_text(q, 1)));
    sqlite3_reset(q);
    json_array_foreach(wanted, i, pair)
    {
        const char *id = json_string_value(json_array_get(pair, 0));
        const char *v = json_string_value(json_array_get(pair, 1));

        if (!plain_slug(id) || !plain_version(v))
            continue; /* not a pin the hub could have accepted */
        if ((rc = fetch(s, c, o, id, v, true, st, err)) != 0)
            break;
    }
    json_decref(wanted);
    return rc ? rc : cross_off(s, err);
}

/* The hub's latest `version` of `id` becomes the latest here: moved to
 * the end if this laptop has it, downloaded (and so the newest) if not. */
static int make_latest(struct store *s, struct http *c,
                       const struct sync_opts *o, const char *id,
                       const char *version, struct sync_stats *st,
                       struct ldr_err *err)
{
    bool have = false;
    int rc = store_begin(s, err);

    rc = rc ? rc : store_model_promote(s, id, version, &have, err);
    rc = rc ? rc : store_commit(s, err);
    if (rc) {
        store_rollback(s);
        return rc;
    }
    return have ? 0 : fetch(s, c, o, id, version, false, st, err);
}

/* The latest version of every model the hub lists. */
static int latest(struct store *s, struct http *c, const struct sync_opts *o,
                  struct sync_stats *st, struct ldr_err *err)
{
    struct http_reply r = {0};
    json_t *doc = NULL;
    const json_t *m;
    size_t i;
    int rc = sync_request(c, o, "GET", "/v1/models", NULL, 0, &r, err);

    if (rc == 0 && r.status != 200)
        rc = sync_refused(&r, "listing the hub's models", err);
    else if (rc == 0)
        doc = json_loadb(r.body, r.len, 0, NULL);
    /* json_is_array evaluates its argument twice: no calls inside */
    if (rc == 0 && !json_is_array(json_object_get(doc, "models")))
        rc = ldr_err_set(err, LDR_EINVAL,
                         "the hub's model list is not {\"models\": [...]}");
    json_array_foreach(json_object_get(doc, "models"), i, m)
    {
        const char *id = json_string_value(json_object_get(m, "id"));
        const char *v = json_string_value(json_object_get(m, "version"));

        if (rc)
            break;
        if (!plain_slug(id) || !plain_version(v))
            rc = ldr_err_set(err, LDR_EINVAL,
                             "the hub's model list holds a bad entry "
                             "(model %.64s, version %.40s)",
                             id ? id : "?", v ? v : "?");
        else
            rc = make_latest(s, c, o, id, v, st, err);
    }
    json_decref(doc);
    http_reply_release(&r);
    return rc;
}

/* The hub's list is asked for when the last pull saw main at another
 * commit than when the list was read ("hub_models" against
 * "models_seen"; "" is an empty repository), when the hub does not say
 * ("?", an older hub), or always. */
int sync_models(struct store *s, struct http *c, const struct sync_opts *o,
                bool always, struct sync_stats *st, struct ldr_err *err)
{
    char *hub = store_meta(s, "hub_models"),
         *seen = store_meta(s, "models_seen");
    bool told = hub && strcmp(hub, "?") != 0;
    bool ask = always || !told || !seen || strcmp(hub, seen) != 0;
    int rc = pinned(s, c, o, st, err);

    if (rc == 0 && ask)
        rc = latest(s, c, o, st, err);
    if (rc == 0 && ask && told && !always)
        rc = store_set_meta(s, "models_seen", hub, err);
    free(hub);
    free(seen);
    return rc;
}
