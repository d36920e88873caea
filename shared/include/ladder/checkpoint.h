#ifndef LADDER_CHECKPOINT_H
#define LADDER_CHECKPOINT_H

#include <stddef.h>

#include <sqlite3.h>

#include "ladder/err.h"

/*
 * The WAL copied back into the database by a thread of its own (passive
 * checkpoints, which run beside readers and the writer), not by whichever
 * commit crossed the size limit: a hub's change set, or the merge of a
 * pulled page, no longer waits for a checkpoint.
 */
struct ldr_checkpointer;

/* Starts the thread on `db`, a connection of its own that it closes at
 * stop, waking it once a watched WAL has grown past `bytes`. On failure
 * `db` is closed too. */
int ldr_checkpointer_start(struct ldr_checkpointer **out, sqlite3 *db,
                           size_t bytes, struct ldr_err *err);

/* Makes `db`'s commits wake the thread instead of checkpointing
 * themselves. */
void ldr_checkpointer_watch(struct ldr_checkpointer *k, sqlite3 *db);

/* Gives `db` back its own checkpoints (SQLite's default autocheckpoint). */
void ldr_checkpointer_unwatch(sqlite3 *db);

/* Stops the thread after the checkpoint it may be running; NULL is a
 * no-op. Unwatch every watched connection first. */
void ldr_checkpointer_stop(struct ldr_checkpointer *k);

#endif
