#ifndef LADDER_HUB_H
#define LADDER_HUB_H

/*
 * The hub's parts and how they meet. The HTTP layer (http.c) knows
 * nothing of records: it authenticates the caller (auth.c), hands the
 * request body to the sync functions (sync.c) with a database connection
 * of its own thread, and sends back what they answer.
 *
 * A data directory DIR holds (ladder-hub init, DESIGN.md section 5):
 *   DIR/hub.db            the SQLite database (schema/hub/)
 *   DIR/models.git        the bare git repository of the models
 *   DIR/tls/ca.pem        the private CA agents pin (--cacert)
 *   DIR/tls/ca-key.pem    its key
 *   DIR/tls/server.pem    the server certificate, signed by the CA
 *   DIR/tls/server-key.pem
 */

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder/change.h"

struct ldr_err;

#define HUB_DB_FILE "hub.db"
#define HUB_GIT_DIR "models.git"
#define HUB_CA_FILE "tls/ca.pem"
#define HUB_CA_KEY_FILE "tls/ca-key.pem"
#define HUB_CERT_FILE "tls/server.pem"
#define HUB_KEY_FILE "tls/server-key.pem"

#define HUB_PATH_MAX 4096
#define HUB_UNIT_MAX 64
#define HUB_MAX_UNITS 256
#define HUB_DEFAULT_MAX_BODY (32u << 20) /* --max-body */
#define HUB_PULL_DEFAULT_LIMIT 1000      /* GET /v1/changes without limit */
#define HUB_PULL_MAX_LIMIT 10000

enum hub_role { HUB_ASSESSOR, HUB_TRAINER, HUB_HR, HUB_ADMIN };

/* Who is calling: what a token maps to. */
struct hub_principal {
    char id[LDR_AUTHOR_MAX + 1];
    enum hub_role role;
    char units[HUB_MAX_UNITS][HUB_UNIT_MAX + 1]; /* the scope */
    size_t nunits;
};

/* "assessor", "trainer", "hr", "admin"; parse returns -1 if unknown. */
const char *hub_role_name(enum hub_role role);
int hub_role_parse(const char *name);

/* True if `unit` is in the principal's scope. */
bool hub_in_scope(const struct hub_principal *p, const char *unit);

/* Opens DIR/hub.db (migrated) for the calling thread. */
int hub_db_open(sqlite3 **out, const char *dir, struct ldr_err *err);

/* ---- auth.c: tokens ----------------------------------------------------- */

/*
 * A new token for `principal` with `role` and `units`: writes the row
 * (only the hash of the secret) and returns the token text, shown once,
 * in `token` ("ldr_<id>_<secret>", at most HUB_TOKEN_MAX bytes).
 */
#define HUB_TOKEN_MAX 128
int hub_token_add(sqlite3 *db, const struct hub_principal *p,
                  char token[HUB_TOKEN_MAX + 1], char id_out[64],
                  struct ldr_err *err);
/* Marks token `id` revoked; LDR_ENOTFOUND if there is no such token. */
int hub_token_revoke(sqlite3 *db, const char *id, struct ldr_err *err);

/*
 * The principal of the bearer token `token` (the text after "Bearer ").
 * An unknown, malformed or revoked token is LDR_ENOTFOUND with a message
 * fit for the 401 answer ("token revoked on ..."). Constant time in the
 * secret.
 */
int hub_auth(sqlite3 *db, const char *token, struct hub_principal *out,
             struct ldr_err *err);

/* ---- sync.c: the sync endpoints ---------------------------------------- */

/* An answer for the HTTP layer to send: status and a JSON body. */
struct hub_answer {
    int status; /* 200, 400, 403, 404, 409, 413, 500, 503 */
    char *
        body; /* malloc'd JSON text; {"error": {"code", "message"}} on errors */
    size_t len;
};

/* Writes all of `data` to `fd`, going on after EINTR; -1 with errno set
 * otherwise. */
int hub_write_all(int fd, const void *data, size_t len);

/*
 * The command-line programs' messages: "ladder-hub CMD[ SUB]: message" on
 * stderr. hub_fail returns LDR_EXIT_FAIL; hub_usage adds the usage line
 * and returns LDR_EXIT_USAGE. `sub` may be NULL.
 */
int hub_fail(const char *cmd, const char *sub, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int hub_usage(const char *cmd, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints `value` (taken) as indented JSON on stdout: LDR_EXIT_OK, or
 * hub_fail(cmd, sub, ...) when out of memory. */
int hub_print_json(json_t *value, const char *cmd, const char *sub);

/* Settings the sync functions need from `ladder-hub serve`. */
struct hub_config {
    uint64_t max_ahead_ms; /* HLC future bound (default 10 minutes) */
    struct ldr_limits limits;
};

/*
 * The hub's one writer of change sets (apply.h): its own connection to
 * the database in `dir`, with what it keeps from one set to the next.
 * Any thread may use it; hub_post_changeset takes its lock.
 */
struct hub_writer;
int hub_writer_open(struct hub_writer **out, const char *dir,
                    struct ldr_err *err);
void hub_writer_close(struct hub_writer *w);
sqlite3 *hub_writer_db(struct hub_writer *w);
/* Held by every write to the database besides change sets (model
 * publishing), so that writers never wait on SQLite's busy handler. */
pthread_mutex_t *hub_writer_lock(struct hub_writer *w);

/*
 * POST /v1/changesets: validates, authorises and applies the change set
 * `body` in one transaction (DESIGN.md section 3); a retry with the same
 * id gets the stored answer (200) and changes nothing, the same id with
 * other content is 409. The answer gives the hub revision (seq) of every
 * accepted change and the index, code and message of every rejected one.
 * The writer's lock is held from parsing on; readers run alongside.
 */
void hub_post_changeset(struct hub_writer *w, const struct hub_config *cfg,
                        const struct hub_principal *p, const char *body,
                        size_t len, struct hub_answer *out);

/*
 * GET /v1/changes?since=SEQ&limit=N[&form=state][&skip_device=ID]: what
 * the caller's scope may see after SEQ, in order, with "next" and "more".
 * since=0 (or form=state) pages through current record states instead of
 * history. Changes from device `skip_device` (may be NULL) are left out:
 * an agent has its own, and their answers. The last page carries
 * "models": the commit main of the models repository in data directory
 * `dir` points at (`dir` NULL: left out), so that an agent asks for the
 * model list only when it moved.
 */
void hub_get_changes(sqlite3 *db, const struct hub_principal *p, uint64_t since,
                     size_t limit, bool state_form, const char *skip_device,
                     const char *dir, struct hub_answer *out);

/* GET /v1/conflicts: the conflict journal, scope-filtered. */
/* GET /v1/conflicts?since=ID: the entries after ID, oldest first, at most
 * HUB_CONFLICTS_PAGE, with "more" and "next" (the last id); since < 0 is
 * the plain form above. */
#define HUB_CONFLICTS_PAGE 1000
void hub_get_conflicts_since(sqlite3 *db, const struct hub_principal *p,
                             int64_t since, struct hub_answer *out);
void hub_get_conflicts(sqlite3 *db, const struct hub_principal *p,
                       struct hub_answer *out);

/* An error answer {"error": {"code", "message"}} with `status`. */
void hub_answer_error(struct hub_answer *out, int status, const char *code,
                      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void hub_answer_release(struct hub_answer *a);

#endif
