#ifndef HUB_CHECKPOINT_H
#define HUB_CHECKPOINT_H

#include <sqlite3.h>

#include "ladder/err.h"

/*
 * While the hub serves, the WAL is copied back into the database by a
 * thread of its own (passive checkpoints, which run beside readers and
 * the writer), not by whichever request's commit crossed the size limit:
 * a change set no longer waits for a checkpoint.
 */
struct hub_checkpointer;

/* Opens the thread's connection to DIR's database and starts it. */
int hub_checkpointer_start(struct hub_checkpointer **out, const char *dir,
                           struct ldr_err *err);

/* Makes `db`'s commits wake the thread once the WAL has grown past
 * 16 MiB, instead of checkpointing themselves. */
void hub_checkpointer_watch(struct hub_checkpointer *k, sqlite3 *db);

/* Stops the thread after the checkpoint it may be running; NULL is a
 * no-op. */
void hub_checkpointer_stop(struct hub_checkpointer *k);

#endif
