/*
 * POST /v1/changesets: one change set, one transaction (DESIGN.md section
 * 3). The set's id and answer are kept, so a retry gets the same answer
 * and changes nothing. Each change is accepted or rejected on its own
 * (apply.c); only a database failure undoes the whole set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "apply.h"
#include "ladder/db.h"

static void sha256_hex(char out[2 * SHA256_DIGEST_SIZE + 1], const char *body,
                       size_t len)
{
    uint8_t digest[SHA256_DIGEST_SIZE];
    struct sha256_ctx h;

    sha256_init(&h);
    sha256_update(&h, len, (const uint8_t *)body);
    sha256_digest(&h, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

/* The answer for a failure of the database or of memory: nothing kept. */
static void failed(struct hub_answer *out, const struct ldr_err *err)
{
    if (err->code == LDR_EBUSY)
        hub_answer_error(out, 503, "busy",
                         "the hub is busy: %s; nothing was stored, send the "
                         "change set again",
                         err->msg);
    else
        hub_answer_error(out, 500, "internal",
                         "the hub failed: %s; nothing was stored, send the "
                         "change set again",
                         err->msg);
}

/* Undoes the set; the units the writer read in it may be undone too. */
static void rollback(struct hub_writer *w)
{
    struct ldr_err ignored = {0};

    ldr_db_exec(w->db, "ROLLBACK", "undoing the change set", &ignored);
    hub_units_forget(w);
}

static void answer_text(struct hub_answer *out, int status, char *text)
{
    out->status = status;
    out->body = text;
    out->len = text ? strlen(text) : 0;
}

/*
 * A set already received: its stored answer if the body is the same,
 * else 409. Returns 1 when answered, 0 when the id is new, or an error.
 */
static int answered_before(struct hub_writer *w, const char *id,
                           const char *digest, struct hub_answer *out,
                           struct ldr_err *err)
{
    sqlite3_stmt *st = w->st[HUB_ST_FIND_SET];
    char *answer = NULL;
    bool same = false;
    int rc;

    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        same = strcmp((const char *)sqlite3_column_text(st, 0), digest) == 0;
        answer = same ? strdup((const char *)sqlite3_column_text(st, 1)) : NULL;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ldr_err_set(err, LDR_EDB, "reading change sets: %s",
                           sqlite3_errmsg(w->db));
    if (rc == SQLITE_DONE)
        return 0;
    if (same && !answer)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    if (same)
        answer_text(out, 200, answer);
    else
        hub_answer_error(out, 409, "changeset_reused",
                         "changeset %s was already received with other "
                         "content; send new changes under a new id",
                         id);
    return 1;
}

/* {"accepted", "conflicts", "id", "rejected"}: sorted keys, as every
 * answer the hub keeps. */
static char *make_answer(const struct hub_apply *a, const char *id)
{
    struct ldr_jsonbuf b;

    ldr_jsonbuf_init(&b);
    ldr_jsonbuf_adds(&b, "{\"accepted\":[");
    ldr_jsonbuf_add(&b, a->accepted.data, a->accepted.len);
    ldr_jsonbuf_adds(&b, "],\"conflicts\":");
    ldr_jsonbuf_uint(&b, a->nconflicts);
    ldr_jsonbuf_adds(&b, ",\"id\":");
    ldr_jsonbuf_strings(&b, id);
    ldr_jsonbuf_adds(&b, ",\"rejected\":[");
    ldr_jsonbuf_add(&b, a->rejected.data, a->rejected.len);
    ldr_jsonbuf_adds(&b, "]}");
    return ldr_jsonbuf_detach(&b, NULL);
}

static int keep_set(struct hub_writer *w, const char *id, const char *digest,
                    const char *principal, const char *answer,
                    struct ldr_err *err)
{
    sqlite3_stmt *st = w->st[HUB_ST_KEEP_SET];
    int rc;

    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, principal, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, answer, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return 0;
    return ldr_err_set(err, rc == SQLITE_BUSY ? LDR_EBUSY : LDR_EDB,
                       "keeping the change set: %s", sqlite3_errmsg(w->db));
}

static void all_forbidden(struct hub_answer *out, const struct hub_apply *a,
                          size_t count)
{
    if (count == 1)
        hub_answer_error(out, 403, "forbidden", "%s; nothing was stored",
                         a->forbidden);
    else
        hub_answer_error(out, 403, "forbidden",
                         "%s (all %zu changes of the set were refused; "
                         "nothing was stored)",
                         a->forbidden, count);
}

/*
 * Applies every change, then keeps the set with its answer. A set whose
 * every change was refused for who sent it is a 403 and leaves nothing:
 * a caller may not fill the rejected list of others.
 */
static int apply_set(struct hub_writer *w, const struct hub_config *cfg,
                     const struct hub_principal *p,
                     const struct ldr_changeset *set, const char *digest,
                     struct hub_answer *out, struct ldr_err *err)
{
    struct hub_apply a;
    char *answer = NULL;
    int rc = hub_apply_init(&a, w, cfg, p, set, err);

    for (size_t i = 0; rc == 0 && i < set->count; i++)
        rc = hub_apply_change(&a, i, &set->changes[i], err);
    if (rc == 0 && a.nforbidden == set->count) {
        all_forbidden(out, &a, set->count);
        hub_apply_release(&a);
        rollback(w);
        return 0;
    }
    if (rc == 0 && !(answer = make_answer(&a, set->id)))
        rc = ldr_err_set(err, LDR_ENOMEM, "out of memory");
    if (rc == 0)
        rc = keep_set(w, set->id, digest, p->id, answer, err);
    if (rc == 0)
        rc = hub_apply_save_clock(&a, err);
    hub_apply_release(&a);
    if (rc == 0)
        rc = ldr_db_exec(w->db, "COMMIT", "saving the change set", err);
    if (rc) {
        free(answer);
        return rc;
    }
    answer_text(out, 200, answer);
    return 0;
}

static void refuse_body(struct hub_answer *out, const struct ldr_err *err)
{
    if (err->code == LDR_ETOOBIG)
        hub_answer_error(out, 413, "too_big", "%s", err->msg);
    else if (err->code == LDR_EINVAL)
        hub_answer_error(out, 400, "invalid", "%s", err->msg);
    else
        failed(out, err);
}

/* The set's transaction, under the writer's lock. */
static void write_set(struct hub_writer *w, const struct hub_config *cfg,
                      const struct hub_principal *p,
                      const struct ldr_changeset *set, const char *digest,
                      struct hub_answer *out)
{
    struct ldr_err err = {0};
    int rc =
        ldr_db_exec(w->db, "BEGIN IMMEDIATE", "starting the change set", &err);

    if (rc == 0)
        rc = answered_before(w, set->id, digest, out, &err);
    if (rc == 0)
        rc = apply_set(w, cfg, p, set, digest, out, &err);
    else if (rc == 1) {
        rollback(w); /* answered from what was kept: nothing to write */
        rc = 0;
    }
    if (rc < 0 && sqlite3_get_autocommit(w->db) == 0)
        rollback(w);
    else if (rc < 0) /* a failed COMMIT undid the set itself */
        hub_units_forget(w);
    if (rc < 0)
        failed(out, &err);
}

void hub_post_changeset(struct hub_writer *w, const struct hub_config *cfg,
                        const struct hub_principal *p, const char *body,
                        size_t len, struct hub_answer *out)
{
    struct ldr_changeset set = {0};
    struct ldr_err err = {0};
    char digest[2 * SHA256_DIGEST_SIZE + 1];

    memset(out, 0, sizeof *out);
    sha256_hex(digest, body, len);
    /* parsed under the lock: one parsed set at a time bounds the hub's
     * memory when many agents push at once (a set parses to about twice
     * its text); the writer is the bottleneck either way */
    pthread_mutex_lock(&w->lock);
    if (ldr_changeset_parse(&set, body, len, &cfg->limits, &err) != 0)
        refuse_body(out, &err);
    else
        write_set(w, cfg, p, &set, digest, out);
    ldr_changeset_release(&set);
    pthread_mutex_unlock(&w->lock);
}
