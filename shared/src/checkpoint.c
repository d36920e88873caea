#include "ladder/checkpoint.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct ldr_checkpointer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool wanted, stopping;
    int pages;   /* the bytes asked for, in the database's pages */
    sqlite3 *db; /* the thread's own connection */
};

static int page_size(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int size = 0;

    if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        size = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return size > 0 ? size : 4096;
}

static void *run(void *arg)
{
    struct ldr_checkpointer *k = arg;

    pthread_mutex_lock(&k->lock);
    for (;;) {
        while (!k->wanted && !k->stopping)
            pthread_cond_wait(&k->wake, &k->lock);
        if (k->stopping)
            break;
        k->wanted = false;
        pthread_mutex_unlock(&k->lock);
        /* passive: never waits for readers or the writer; what it cannot
         * copy yet, a later one does */
        sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
                                  NULL);
        pthread_mutex_lock(&k->lock);
    }
    pthread_mutex_unlock(&k->lock);
    return NULL;
}

int ldr_checkpointer_start(struct ldr_checkpointer **out, sqlite3 *db,
                           size_t bytes, struct ldr_err *err)
{
    struct ldr_checkpointer *k = calloc(1, sizeof *k);

    *out = NULL;
    if (!k) {
        sqlite3_close(db);
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    }
    k->db = db;
    k->pages = (int)(bytes / (size_t)page_size(db));
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->wake, NULL);
    if (pthread_create(&k->thread, NULL, run, k) != 0) {
        pthread_cond_destroy(&k->wake);
        pthread_mutex_destroy(&k->lock);
        sqlite3_close(k->db);
        free(k);
        return ldr_err_set(err, LDR_EIO, "cannot start the checkpoint thread");
    }
    *out = k;
    return 0;
}

static int on_commit(void *arg, sqlite3 *db, const char *schema, int pages)
{
    struct ldr_checkpointer *k = arg;

    (void)db;
    (void)schema;
    if (pages >= k->pages) {
        pthread_mutex_lock(&k->lock);
        k->wanted = true;
        pthread_cond_signal(&k->wake);
        pthread_mutex_unlock(&k->lock);
    }
    return SQLITE_OK;
}

void ldr_checkpointer_watch(struct ldr_checkpointer *k, sqlite3 *db)
{
    sqlite3_wal_hook(db, on_commit, k); /* replaces the autocheckpoint */
}

void ldr_checkpointer_unwatch(sqlite3 *db)
{
    sqlite3_wal_autocheckpoint(db, 1000); /* SQLite's default, in pages */
}

void ldr_checkpointer_stop(struct ldr_checkpointer *k)
{
    if (!k)
        return;
    pthread_mutex_lock(&k->lock);
    k->stopping = true;
    pthread_cond_signal(&k->wake);
    pthread_mutex_unlock(&k->lock);
    pthread_join(k->thread, NULL);
    pthread_cond_destroy(&k->wake);
    pthread_mutex_destroy(&k->lock);
    sqlite3_close(k->db);
    free(k);
}
