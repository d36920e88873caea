#ifndef LADDER_AGENT_STORE_H
#define LADDER_AGENT_STORE_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "ladder/change.h"
#include "ladder/hlc.h"
#include "ladder/model.h"
#include "ladder/record.h"
#include "ladder/uuid.h"

struct ldr_err;

/*
 * The agent's local database (schema/agent/): records with their stamped
 * state, the outbox of changes not yet answered by the hub, the model
 * versions imported or downloaded, and settings. Every write goes through
 * store_write() inside a transaction, so the record state and the outbox
 * change are written together or not at all.
 */

#define STORE_PATH_MAX 4096
#define STORE_STMTS 48 /* prepared statements kept for the process */

struct store {
    sqlite3 *db;
    char path[STORE_PATH_MAX];
    char device[LDR_UUID_LEN + 1];
    char user[LDR_AUTHOR_MAX + 1];
    struct ldr_clock clock; /* loaded by store_begin, saved by store_commit */
    bool in_tx;
    char tx_time[LDR_TIME_TEXT_LEN + 1]; /* when store_begin began it */
    /* the model pin a pull noted last in this transaction, "id\nversion":
     * a page of records pinning one version notes it once (agent/sync.c) */
    char pin_noted[128];
    struct cached_model *models; /* versions loaded by store_model_cached */
    size_t nmodels;
    struct {
        const char *sql; /* the address of a literal: the cache key */
        sqlite3_stmt *st;
    } stmts[STORE_STMTS];
};

/*
 * Where the database is: `opt` (the --db option) if given, else $LADDER_DB,
 * else $XDG_DATA_HOME/ladder/ladder.db, else ~/.local/share/ladder/ladder.db.
 */
int store_path(char out[STORE_PATH_MAX], const char *opt, struct ldr_err *err);

/*
 * `ladder init`: creates the database at `path` (its directory 0700, the
 * file 0600), a device id and the user. An existing database is refused
 * with LDR_EINVAL unless it belongs to the same user (then nothing
 * changes and it is opened).
 */
int store_create(struct store *s, const char *path, const char *user,
                 struct ldr_err *err);

/* Opens an existing database; a missing one is LDR_ENOTFOUND with a
 * message that says to run 'ladder init --user ID' first. */
int store_open(struct store *s, const char *path, struct ldr_err *err);
void store_close(struct store *s);

/*
 * A write transaction (BEGIN IMMEDIATE, so two processes serialise rather
 * than deadlock); it loads the clock. store_commit saves the clock and
 * commits; store_rollback undoes everything since store_begin.
 */
int store_begin(struct store *s, struct ldr_err *err);
int store_commit(struct store *s, struct ldr_err *err);
void store_rollback(struct store *s);

/*
 * Writes one change to one record inside a transaction: stamps it with the
 * clock, merges it into the record's state (creating the record if it is
 * new), refreshes its value and appends the change to the outbox as
 * pending. `set` maps JSON Pointers to leaf values (may be NULL), `unset`
 * lists paths to remove. The record's value before and after is checked
 * with ldr_domain_check() against the local roster and model versions;
 * on any error nothing is written (the caller rolls back). The stamp used
 * is written to `hlc_out` when not NULL.
 */
int store_write(struct store *s, const char *kind, const char *id, json_t *set,
                const char *const *unset, size_t nunset,
                struct ldr_hlc *hlc_out, struct ldr_err *err);

/*
 * A record's value (what users see, a new reference) and its state
 * (struct ldr_record, for stamps); either out pointer may be NULL. A
 * record that does not exist is LDR_ENOTFOUND (no message is set: the
 * caller knows what it looked for).
 */
int store_get(struct store *s, const char *kind, const char *id, json_t **value,
              struct ldr_record *state, struct ldr_err *err);

/*
 * A prepared statement for `sql`, which must be a string literal (it is
 * cached by address), reset and unbound; NULL if it does not prepare
 * (sqlite3_errmsg says why). store_close finalises it: callers reset it
 * when done instead. Prepared once per process: a pilot import writes a
 * thousand records with the same few statements.
 */
sqlite3_stmt *store_stmt(struct store *s, const char *sql);

/* Setting `key` of the meta table as text; NULL when absent. malloc'd. */
char *store_meta(struct store *s, const char *key);

/* Sets `key` of the meta table, inside a transaction. */
int store_set_meta(struct store *s, const char *key, const char *value,
                   struct ldr_err *err);

/*
 * Model versions. store_model_put keeps the canonical text of a valid
 * model and returns its version (the git blob id of that text);
 * `*added` says whether it was new. store_model_get loads `id` at
 * `version`, or the latest imported when `version` is NULL; an unknown
 * one is LDR_ENOTFOUND with a message naming it.
 */
int store_model_put(struct store *s, const struct ldr_model *model,
                    char version[41], bool *added, struct ldr_err *err);

/* store_model_put for a version from the hub (`from_hub`) or a file. */
int store_model_save(struct store *s, const struct ldr_model *model,
                     bool from_hub, char version[41], bool *added,
                     struct ldr_err *err);
/* Makes `version` of `id` the latest here, if this laptop has it (*have). */
int store_model_promote(struct store *s, const char *id, const char *version,
                        bool *have, struct ldr_err *err);
int store_model_get(struct store *s, const char *id, const char *version,
                    struct ldr_model **out, char version_out[41],
                    struct ldr_err *err);

/* Model `id` at the full 40-digit `version`, loaded once and kept until
 * store_close (borrowed); NULL when this laptop lacks it. */
const struct ldr_model *store_model_cached(struct store *s, const char *id,
                                           const char *version);

/* The current time as stored in records: "2026-11-26T09:12:00.000Z". */
void store_now(char out[25]);

/* The time to stamp rows with: when the open transaction began (one for
 * all its rows), or now outside one. */
const char *store_tx_time(struct store *s);

/*
 * The full id of the record of `kind` whose id is, starts with or ends
 * with `ref` (at least 8 characters: UUIDv7s made close together share
 * their leading digits, so the trailing ones are often the handier). Unknown:
 * LDR_ENOTFOUND; several match: LDR_EINVAL. Messages name the kind and `ref`.
 */
int store_resolve(struct store *s, const char *kind, const char *ref,
                  char out[LDR_UUID_LEN + 1], struct ldr_err *err);

#endif
