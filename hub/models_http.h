#ifndef LADDER_HUB_MODELS_HTTP_H
#define LADDER_HUB_MODELS_HTTP_H

/*
 * The model endpoints (docs/protocol.md section 10, "Models"): reads and
 * publishes of the models in git (gitstore.h), answered the way the sync
 * endpoints answer (struct hub_answer, errors {"error": {"code",
 * "message"}}). The HTTP layer (http.c) authenticates, checks the role
 * and parses the path and query; these do the rest. Each call opens its
 * own repository handle in the data directory `dir` (cheap: gitstore
 * keeps main's history once per process) and may use the calling
 * thread's database connection `db`.
 */

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "gitstore.h"
#include "hub.h"

/* GET /v1/models: {"models": [{"id", "title", "version", "commit",
 * "date"}]}, the latest version of each model on main, by id. */
void hub_models_get(const char *dir, struct hub_answer *out);

/* The commit main points at ("" while empty), which names that list:
 * false when the repository cannot be read. */
bool hub_models_main(const char *dir, char out[HUB_GIT_HEX + 1]);

/* GET /v1/models/{id}/versions: {"id", "versions": [{"version", "commit",
 * "author", "email", "date", "message", "tags"}]}, newest first; 404 for
 * a model main never held. */
void hub_model_versions_get(const char *dir, const char *id,
                            struct hub_answer *out);

/* What GET /v1/models/{id}/{rev} read, for its headers. */
struct hub_model_read {
    char version[HUB_GIT_HEX + 1];
    char commit[HUB_GIT_HEX + 1]; /* "": it came from the models table */
};

/*
 * GET /v1/models/{id}/{rev}: the model file at `rev` (NULL or "latest":
 * main's latest; a commit id, full or a unique prefix; a tag; a version
 * id, full or a unique prefix), as stored: its canonical text. A full
 * version id git lacks is looked up in the models table too (versions
 * added with 'ladder-hub model add'). With `case_form`, the CASE 1.1
 * export of that version instead. `read` gets its version and commit.
 * 404 for an unknown model or rev, 400 for a malformed one.
 */
void hub_model_file_get(struct hub_model_read *read, sqlite3 *db,
                        const char *dir, const char *id, const char *rev,
                        bool case_form, struct hub_answer *out);

/*
 * GET /v1/models/{id}/diff?from=REV&to=REV: the semantic diff
 * (ldr_model_diff) {"from": VERSION, "to": VERSION, "model", "count",
 * "changes"}, as 'ladder model diff --json' prints it. `to` NULL: latest.
 */
void hub_model_diff_get(sqlite3 *db, const char *dir, const char *id,
                        const char *from, const char *to,
                        struct hub_answer *out);

/* The author and committer of a publish. */
struct hub_author {
    const char *name, *email;
};

/*
 * POST /v1/models/{id}: `body` is {"model": {...}, "message": TEXT,
 * "tag": LABEL (optional)}. Publishes as hub_git_publish() does (every
 * problem of an invalid model in the 400 answer's error.problems, nothing
 * written), then keeps the version in the models table, holding `writer`
 * (may be NULL) meanwhile. 201 {"id", "version", "commit", "unchanged":
 * false, "tag"}; 200 with "unchanged": true when the file is already the
 * current version (no commit, no tag).
 */
void hub_model_post(sqlite3 *db, pthread_mutex_t *writer, const char *dir,
                    const char *id, const struct hub_author *who,
                    const char *body, size_t len, struct hub_answer *out);

#endif
