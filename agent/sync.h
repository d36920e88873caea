#ifndef LADDER_AGENT_SYNC_H
#define LADDER_AGENT_SYNC_H

#include <stdbool.h>
#include <stddef.h>

struct http;
struct store;
struct ldr_err;

/*
 * `ladder sync`: push the outbox in change sets, then pull what the hub
 * has after the saved cursor, page by page (docs/sync.md).
 *
 * Every step that changes the database is one transaction, and a change
 * set is marked 'sent' with its id before it goes out, so a sync stopped
 * at any moment (network drop, Ctrl-C, kill -9) resumes on the next run:
 * a set whose answer was lost is sent again with the same id, and the
 * hub's exactly-once answer applies; a page pulled but not saved is
 * pulled again, and merging it twice changes nothing.
 */

struct sync_stats {
    size_t pushed;         /* changes sent (a resent set counts again) */
    size_t accepted;       /* of those, accepted by the hub */
    size_t rejected;       /* refused by the hub: kept, marked rejected */
    size_t pulled;         /* records or changes received */
    size_t conflicts;      /* conflicts journalled during this sync */
    size_t models;         /* model versions downloaded */
    size_t models_missing; /* pinned versions the hub does not have */
    double sent, received; /* bytes on the wire */
};

/* Called after every set pushed and page pulled (progress display). */
typedef void (*sync_progress_fn)(void *ctx, const struct sync_stats *st,
                                 size_t pending);

struct sync_opts {
    size_t batch; /* changes per set (default SYNC_BATCH) */
    int attempts; /* tries per request on network errors and 5xx */
    sync_progress_fn progress;
    void *progress_ctx;
};

#define SYNC_BATCH 1000
#define SYNC_SET_BYTES (1u << 20) /* a set is closed past this many bytes */
#define SYNC_PAGE 250 /* a page is held whole while merged: bounds memory */
#define SYNC_ATTEMPTS 5
#define SYNC_MODELS_TAG 64 /* room for the hub's "models" (a commit id) */
#define SYNC_CHECKPOINT_BYTES (16u << 20) /* WAL copied back past this */

/*
 * A request retried on transport errors and 5xx answers (the hub applies a
 * set at most once, so resending is safe); a 4xx answer is returned as is,
 * never retried blindly.
 */
struct http_reply;
int sync_request(struct http *c, const struct sync_opts *o, const char *method,
                 const char *path, const char *body, size_t len,
                 struct http_reply *reply, struct ldr_err *err);

/* The error for a refusal `r` while doing `what`, with the hub's message
 * and, for 401, what to do about the token. */
int sync_refused(const struct http_reply *r, const char *what,
                 struct ldr_err *err);

/*
 * Downloads the model versions this laptop lacks: every version a record
 * here pins and the latest of each model at the hub (which becomes the
 * latest here). A pinned version the hub does not have is counted in
 * st->models_missing, not an error. The hub's model list is read only
 * when the last pull's last page named another commit of it than the one
 * read before, unless `always`.
 */
int sync_models(struct store *s, struct http *c, const struct sync_opts *o,
                bool always, struct sync_stats *st, struct ldr_err *err);

/* Copies the hub's conflict journal into the local one (counted in
 * st->conflicts when new here), when there may be something new: the
 * first time, and after a page brought items or a push answer counted
 * conflicts (sync_journal_due, in that transaction). */
int sync_journal(struct store *s, struct http *c, const struct sync_opts *o,
                 struct sync_stats *st, struct ldr_err *err);
int sync_journal_due(struct store *s, struct ldr_err *err);

/* Pushes, pulls, then fetches models and the hub's conflict journal. On failure
 * what was done stays done; err says what stopped it and that the next sync
 * carries on. */
int sync_run(struct store *s, struct http *c, const struct sync_opts *o,
             struct sync_stats *st, struct ldr_err *err);

/*
 * Rebuilds a record's view from its confirmed state and the outbox
 * changes still standing (pending, sent, accepted), after one of its
 * changes was rejected. Inside a transaction.
 */
int sync_rebuild(struct store *s, const char *kind, const char *id,
                 struct ldr_err *err);

#endif
