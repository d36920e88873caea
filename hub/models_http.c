/*
 * The model endpoints (models_http.h): the models in git behind
 * /v1/models, as JSON answers.
 */
#include "models_http.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ladder/case.h"
#include "ladder/err.h"
#include "ladder/model.h"
#include "ladder/model_diff.h"

/* ---- answers ------------------------------------------------------------ */

/* `doc` (stolen) as a compact JSON answer, reals as the canonical model
 * writes them; NULL gives the 500 of OOM. */
static void answer_json(struct hub_answer *out, int status, json_t *doc)
{
    out->status = status;
    out->body = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS |
                                          JSON_REAL_PRECISION(15))
                    : NULL;
    out->len = out->body ? strlen(out->body) : 0;
    json_decref(doc);
}

/* A gitstore failure as an answer, the status by its code. */
static void failed(struct hub_answer *out, const struct ldr_err *err)
{
    switch (err->code) {
    case LDR_ENOTFOUND:
        hub_answer_error(out, 404, "not_found", "%s", err->msg);
        break;
    case LDR_EINVAL:
    case LDR_ETOOBIG:
        hub_answer_error(out, 400, "invalid", "%s", err->msg);
        break;
    case LDR_EBUSY:
        hub_answer_error(out, 503, "busy", "%s", err->msg);
        break;
    default:
        hub_answer_error(out, 500, "internal", "%s", err->msg);
    }
}

/* The repository of `dir`; a hub without one is broken (500). */
static struct hub_git *open_git(const char *dir, struct hub_answer *out)
{
    struct hub_git *g = NULL;
    struct ldr_err err = {0};

    if (hub_git_open(&g, dir, &err) != 0)
        hub_answer_error(out, 500, "internal", "%s", err.msg);
    return g;
}

/* A read of a model that cannot exist is 404, as for any unknown model:
 * agents take 404 as "the hub lacks it". */
static int known_id(const char *id, struct hub_answer *out)
{
    if (hub_git_is_model_id(id))
        return 0;
    hub_answer_error(out, 404, "not_found",
                     "no model '%.64s': model ids are a lowercase letter, "
                     "then up to 63 lowercase letters, digits or '-'",
                     id);
    return -1;
}

/* ---- reading one version --------------------------------------------- */

static bool is_version(const char *s)
{
    return strlen(s) == HUB_GIT_HEX &&
           strspn(s, "0123456789abcdef") == HUB_GIT_HEX;
}

/* A version only the models table holds ('ladder-hub model add'); -1 if
 * it has none. */
static int from_table(struct hub_model_file *out, sqlite3 *db, const char *id,
                      const char *version)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (db && sqlite3_prepare_v2(db,
                                 "SELECT body FROM models WHERE id = ? AND "
                                 "version = ?",
                                 -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            const char *text = (const char *)sqlite3_column_text(st, 0);

            out->len = (size_t)sqlite3_column_bytes(st, 0);
            out->text = text ? strndup(text, out->len) : NULL;
            snprintf(out->version, sizeof out->version, "%s", version);
            out->commit[0] = '\0';
            rc = out->text ? 0 : -1;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* Model `id` at `rev` ("latest": main's tip) from git, or a full version
 * id from the models table. */
static int read_rev(struct hub_model_file *out, struct hub_git *g, sqlite3 *db,
                    const char *id, const char *rev, struct ldr_err *err)
{
    int rc;

    if (rev && strcmp(rev, "latest") == 0)
        rev = NULL;
    rc = hub_git_show(out, g, id, rev, err);
    if (rc == LDR_ENOTFOUND && rev && is_version(rev) &&
        from_table(out, db, id, rev) == 0)
        rc = 0;
    return rc;
}

/* A stored model parsed; a stored file that does not parse is the hub's
 * fault (500). */
static struct ldr_model *parse_stored(const struct hub_model_file *f,
                                      struct hub_answer *out)
{
    struct ldr_model *m = NULL;
    struct ldr_err err = {0};

    if (ldr_model_parse(&m, f->text, f->len, NULL, &err) != 0)
        hub_answer_error(out, 500, "internal",
                         "the stored model version %.12s does not read: %s",
                         f->version, err.msg);
    return m;
}

/* The CASE 1.1 package of `f`, byte for byte what 'ladder model
 * case-export' prints but the final newline. */
static void case_answer(struct hub_answer *out, const struct hub_model_file *f)
{
    struct ldr_model *m = parse_stored(f, out);
    json_t *package = m ? ldr_case_export(m) : NULL;

    if (m) {
        out->status = 200;
        out->body =
            package ? json_dumps(package, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
                    : NULL;
        out->len = out->body ? strlen(out->body) : 0;
    }
    json_decref(package);
    ldr_model_free(m);
}

/* ---- the routes -----------------------------------------------------------
 */

/*
 * The list answer, kept while main stays where it was: every `ladder
 * sync` asks for it, and reading the files' titles costs milliseconds. One
 * data directory per process (serve), so one cache.
 */
static struct {
    pthread_mutex_t lock;
    char main[HUB_GIT_HEX + 1];
    char *body;
    size_t len;
} list_cache = {PTHREAD_MUTEX_INITIALIZER, "", NULL, 0};

static bool cached_list(const char *main, struct hub_answer *out)
{
    bool hit;

    pthread_mutex_lock(&list_cache.lock);
    hit = list_cache.body && strcmp(list_cache.main, main) == 0;
    if (hit && (out->body = malloc(list_cache.len + 1)) != NULL) {
        memcpy(out->body, list_cache.body, list_cache.len + 1);
        out->len = list_cache.len;
        out->status = 200;
    }
    pthread_mutex_unlock(&list_cache.lock);
    return hit && out->body;
}

static void cache_list(const char *main, const struct hub_answer *out)
{
    char *copy = out->status == 200 ? strdup(out->body) : NULL;

    if (!copy)
        return;
    pthread_mutex_lock(&list_cache.lock);
    free(list_cache.body);
    list_cache.body = copy;
    list_cache.len = out->len;
    snprintf(list_cache.main, sizeof list_cache.main, "%s", main);
    pthread_mutex_unlock(&list_cache.lock);
}

bool hub_models_main(const char *dir, char out[HUB_GIT_HEX + 1])
{
    struct hub_git *g = NULL;
    struct ldr_err ignored = {0};
    bool known =
        hub_git_open(&g, dir, &ignored) == 0 && hub_git_main(g, out) == 0;

    hub_git_free(g);
    if (!known)
        out[0] = '\0';
    return known;
}

void hub_models_get(const char *dir, struct hub_answer *out)
{
    struct hub_model_list list = {0};
    struct ldr_err err = {0};
    struct hub_git *g = open_git(dir, out);
    char main[HUB_GIT_HEX + 1] = "";
    bool known;

    if (!g)
        return;
    known = hub_git_main(g, main) == 0;
    if (known && cached_list(main, out)) {
        hub_git_free(g);
        return;
    }
    if (hub_git_list(&list, g, &err) != 0)
        failed(out, &err);
    else
        answer_json(out, 200,
                    json_pack("{s:o}", "models", hub_model_list_json(&list)));
    if (known && out->body)
        cache_list(main, out);
    hub_model_list_release(&list);
    hub_git_free(g);
}

void hub_model_versions_get(const char *dir, const char *id,
                            struct hub_answer *out)
{
    struct hub_versions v = {0};
    struct ldr_err err = {0};
    struct hub_git *g;

    if (known_id(id, out) != 0 || !(g = open_git(dir, out)))
        return;
    if (hub_git_versions(&v, g, id, &err) != 0)
        failed(out, &err);
    else
        answer_json(out, 200,
                    json_pack("{s:s, s:o}", "id", id, "versions",
                              hub_versions_json(&v)));
    hub_versions_release(&v);
    hub_git_free(g);
}

void hub_model_file_get(struct hub_model_read *read, sqlite3 *db,
                        const char *dir, const char *id, const char *rev,
                        bool case_form, struct hub_answer *out)
{
    struct hub_model_file f = {0};
    struct ldr_err err = {0};
    struct hub_git *g;

    memset(read, 0, sizeof *read);
    if (known_id(id, out) != 0 || !(g = open_git(dir, out)))
        return;
    if (read_rev(&f, g, db, id, rev, &err) != 0) {
        failed(out, &err);
    } else if (case_form) {
        case_answer(out, &f);
    } else { /* the stored bytes: their blob id is the version */
        out->status = 200;
        out->body = f.text;
        out->len = f.len;
        f.text = NULL;
    }
    if (out->status == 200) {
        memcpy(read->version, f.version, sizeof read->version);
        memcpy(read->commit, f.commit, sizeof read->commit);
    }
    hub_model_file_release(&f);
    hub_git_free(g);
}

/* Reads and parses both sides of a diff; -1 with `out` filled if not. */
static int diff_sides(struct hub_model_file f[2], struct ldr_model *m[2],
                      struct hub_git *g, sqlite3 *db, const char *id,
                      const char *const revs[2], struct hub_answer *out)
{
    static const char *const names[2] = {"from", "to"};
    struct ldr_err err = {0};

    for (int i = 0; i < 2; i++) {
        if (read_rev(&f[i], g, db, id, revs[i], &err) != 0) {
            ldr_err_prefix(&err, "query parameter '%s': ", names[i]);
            failed(out, &err);
            return -1;
        }
        if (!(m[i] = parse_stored(&f[i], out)))
            return -1;
    }
    return 0;
}

void hub_model_diff_get(sqlite3 *db, const char *dir, const char *id,
                        const char *from, const char *to,
                        struct hub_answer *out)
{
    const char *const revs[2] = {from, to};
    struct hub_model_file f[2] = {{0}};
    struct ldr_model *m[2] = {NULL, NULL};
    json_t *doc = NULL, *diff = NULL;
    struct hub_git *g;

    if (known_id(id, out) != 0 || !(g = open_git(dir, out)))
        return;
    if (diff_sides(f, m, g, db, id, revs, out) == 0) {
        diff = ldr_model_diff(m[0], m[1]);
        doc = json_pack("{s:s, s:s}", "from", f[0].version, "to", f[1].version);
        if (!diff || !doc || json_object_update(doc, diff) != 0) {
            json_decref(doc);
            doc = NULL;
        }
        answer_json(out, 200, doc);
    }
    json_decref(diff);
    for (int i = 0; i < 2; i++) {
        ldr_model_free(m[i]);
        hub_model_file_release(&f[i]);
    }
    hub_git_free(g);
}

/* ---- publish --------------------------------------------------------------
 */

/* The body of POST /v1/models/{id}; the members are borrowed from doc. */
struct post_body {
    json_t *doc;
    const json_t *model;
    const char *message, *tag;
};

static const char body_shape[] =
    "the body is {\"model\": {the model file}, \"message\": TEXT, \"tag\": "
    "LABEL (optional)}";

/* Takes one member of the body; -1 for one that does not belong. */
static int body_member(struct post_body *p, const char *key,
                       const json_t *value)
{
    if (strcmp(key, "model") == 0 && json_is_object(value))
        p->model = value;
    else if (strcmp(key, "message") == 0 && json_is_string(value))
        p->message = json_string_value(value);
    else if (strcmp(key, "tag") == 0 && json_is_string(value))
        p->tag = json_string_value(value);
    else if (strcmp(key, "tag") != 0 || !json_is_null(value))
        return -1;
    return 0;
}

/* Reads the body strictly; -1 with a 400 in `out`. */
static int read_body(struct post_body *p, const char *body, size_t len,
                     struct hub_answer *out)
{
    json_error_t jerr;
    const char *key;
    json_t *value;

    p->doc = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (!p->doc) {
        hub_answer_error(out, 400, "invalid",
                         "the body is no JSON: %s (line %d, column %d); %s",
                         jerr.text, jerr.line, jerr.column, body_shape);
        return -1;
    }
    if (!json_is_object(p->doc)) {
        hub_answer_error(out, 400, "invalid", "%s", body_shape);
        return -1;
    }
    json_object_foreach(p->doc, key, value)
    {
        if (body_member(p, key, value) == 0)
            continue;
        hub_answer_error(out, 400, "invalid",
                         "/%s: no member of the body, or of the wrong type; "
                         "%s",
                         strlen(key) <= 64 ? key : "(a long name)", body_shape);
        return -1;
    }
    if (!p->model || !p->message) {
        hub_answer_error(out, 400, "invalid", "%s is missing; %s",
                         p->model ? "/message" : "/model", body_shape);
        return -1;
    }
    return 0;
}

/* 400 with every problem of the model in error.problems. */
static void problems_answer(struct hub_answer *out,
                            const struct ldr_problems *p,
                            const struct ldr_err *err)
{
    json_t *list = json_array();
    char message[LDR_ERR_MSG_MAX + 32];

    for (size_t i = 0; list && i < p->count; i++)
        json_array_append_new(list,
                              json_pack("{s:s, s:s}", "path", p->items[i].path,
                                        "message", p->items[i].message));
    snprintf(message, sizeof message, "%.*s; nothing published",
             LDR_ERR_MSG_MAX - 1, err->msg);
    answer_json(out, 400,
                json_pack("{s:{s:s, s:s, s:o}}", "error", "code", "invalid",
                          "message", message, "problems", list));
}

static void published_answer(struct hub_answer *out,
                             const struct hub_published *pub, const char *tag)
{
    answer_json(out, pub->unchanged ? 200 : 201,
                json_pack("{s:s, s:s, s:s, s:b, s:s?}", "id", pub->id,
                          "version", pub->version, "commit", pub->commit,
                          "unchanged", pub->unchanged, "tag",
                          pub->unchanged || !tag || !*tag ? NULL : tag));
}

/* Keeps the version in the models table, where sync looks first. Best
 * effort: a version missing there is read from git (hub_model_from_git). */
static void record(sqlite3 *db, pthread_mutex_t *writer, const char *text,
                   size_t len, const char *version)
{
    if (!db)
        return;
    if (writer)
        pthread_mutex_lock(writer);
    hub_model_record(db, text, len, version, NULL, NULL);
    if (writer)
        pthread_mutex_unlock(writer);
}

/* Publishes `text` as model `id`; fills `out` either way. */
static void publish(struct hub_answer *out, sqlite3 *db,
                    pthread_mutex_t *writer, struct hub_git *g,
                    const struct hub_publish *in)
{
    struct ldr_problems problems = {0};
    struct hub_published pub;
    struct ldr_err err = {0};
    int rc = hub_git_publish(&pub, g, in, &problems, &err);

    if (rc == LDR_EINVAL && problems.count) {
        problems_answer(out, &problems, &err);
    } else if (rc) {
        failed(out, &err);
    } else {
        record(db, writer, in->text, in->len, pub.version);
        published_answer(out, &pub, in->tag);
    }
    ldr_problems_release(&problems);
}

void hub_model_post(sqlite3 *db, pthread_mutex_t *writer, const char *dir,
                    const char *id, const struct hub_author *who,
                    const char *body, size_t len, struct hub_answer *out)
{
    struct post_body p = {0};
    struct hub_git *g = NULL;
    char *text = NULL;

    if (!hub_git_is_model_id(id))
        hub_answer_error(out, 400, "invalid",
                         "'%.64s' is not a model id (a lowercase letter, then "
                         "up to 63 lowercase letters, digits or '-')",
                         id);
    else if (read_body(&p, body, len, out) != 0)
        ;
    else if (!(text = json_dumps(p.model, JSON_COMPACT | JSON_PRESERVE_ORDER)))
        hub_answer_error(out, 500, "internal", "out of memory");
    else if ((g = open_git(dir, out)) != NULL) {
        struct hub_publish in = {text,       strlen(text), id,   who->name,
                                 who->email, p.message,    p.tag};

        publish(out, db, writer, g, &in);
    }
    hub_git_free(g);
    free(text);
    json_decref(p.doc);
}
