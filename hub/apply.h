#ifndef LADDER_HUB_APPLY_H
#define LADDER_HUB_APPLY_H

/*
 * Inside the sync endpoints (hub.h): applying one change set (sync.c
 * drives, apply.c applies each change), who may write and read what
 * (scope.c), and the pull queries (pull.c).
 */

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hub.h"
#include "ladder/err.h"
#include "ladder/hlc.h"
#include "ladder/jsonbuf.h"

struct ldr_model;
struct hub_held; /* apply.c: a record kept between changes of the set */
struct hub_unit; /* scope.c: a person's unit, looked up once per set */

/* How many records a set keeps in memory at once (a bound on memory). */
#define HUB_HELD_MAX 128

/* The statements change sets need, prepared once for the writer. */
enum hub_stmt {
    HUB_ST_FIND_CHANGE,
    HUB_ST_GET_RECORD,
    HUB_ST_PUT_RECORD,
    HUB_ST_ADD_CHANGE,
    HUB_ST_ADD_CONFLICT,
    HUB_ST_ADD_REJECTION,
    HUB_ST_GET_MODEL,
    HUB_ST_GET_PERSON,
    HUB_ST_GET_CLOCK,
    HUB_ST_PUT_CLOCK,
    HUB_ST_NEXT_SEQ,
    HUB_ST_FIND_SET,
    HUB_ST_KEEP_SET,
    HUB_ST_DATA_VERSION,
    HUB_ST_COUNT
};

/* A model version parsed for the domain rules. Versions never change, so
 * one parsed is kept until others push it out. */
struct hub_model_slot {
    char id[128];
    char version[41];
    struct ldr_model *model; /* NULL: the hub lacked it (this set only) */
    uint64_t used;           /* the writer's set count when last used */
};

/* Versions kept from one set to the next (a set may use more). */
#define HUB_MODELS_KEPT 4

/*
 * What change sets are applied with, kept from one set to the next: the
 * connection, its prepared statements and the model versions parsed.
 * Preparing and parsing once per set cost a small set more than its
 * changes did. One set (or model publish) at a time holds `lock`.
 */
struct hub_writer {
    pthread_mutex_t lock;
    sqlite3 *db;
    sqlite3_stmt *st[HUB_ST_COUNT];
    struct hub_model_slot *models; /* HUB_MODELS_KEPT between sets */
    size_t nmodels;
    uint64_t sets; /* change sets begun */
    /* persons' units looked up (open addressing), valid while nobody
     * else wrote the database: its data_version then */
    struct hub_unit *units;
    size_t units_cap, units_used;
    int64_t data_version;
};

/* At most this many persons' units kept; past it they are forgotten. */
#define HUB_UNITS_KEPT 65536

/*
 * One change set being applied, inside its transaction. A record that
 * later changes of the set touch again is kept in memory (held) and
 * written once, after its last change; the log gets every change at once.
 */
struct hub_apply {
    sqlite3 *db;
    const struct hub_principal *p;
    const char *set_id;
    char now[LDR_TIME_TEXT_LEN + 1]; /* received_at, updated_at */
    size_t nchanges;
    size_t *next; /* per change: the set's next change to its record, or
                     HUB_NO_NEXT */
    struct hub_held **held; /* per change: its record, held for it */
    size_t nheld;           /* records held now, at most HUB_HELD_MAX */
    struct ldr_clock clock; /* the hub's, from meta 'clock' */
    uint64_t next_seq;      /* the seq the next accepted change gets */
    struct hub_writer *w;
    sqlite3_stmt **st;           /* w->st */
    struct ldr_jsonbuf accepted; /* the answer's arrays, as text */
    struct ldr_jsonbuf rejected; /* (their items, without brackets) */
    /* the current change's texts, their memory kept from one to the next */
    struct ldr_jsonbuf body, state;
    size_t nconflicts;               /* conflict rows written */
    size_t nforbidden;               /* changes refused as "forbidden" */
    char forbidden[LDR_ERR_MSG_MAX]; /* the first refusal, for a 403 */
};

#define HUB_NO_NEXT SIZE_MAX

/*
 * Prepares `a` for `set` (borrowed until release) inside an open write
 * transaction: statements, the hub's clock, the next seq, which changes
 * touch the same record. LDR_EDB / LDR_EBUSY / LDR_ENOMEM with a message.
 * Release with hub_apply_release() in any case.
 */
int hub_apply_init(struct hub_apply *a, struct hub_writer *w,
                   const struct hub_config *cfg, const struct hub_principal *p,
                   const struct ldr_changeset *set, struct ldr_err *err);
void hub_apply_release(struct hub_apply *a);

/*
 * Applies change `index` of the set, or rejects it with a code and a
 * message (kept in the rejections table and the answer): either way 0.
 * Changes go in order, each once. A negative code only when the database
 * or memory failed; the caller then rolls the whole set back.
 */
int hub_apply_change(struct hub_apply *a, size_t index,
                     const struct ldr_change *ch, struct ldr_err *err);

/* Saves the clock in meta 'clock' (in the transaction). */
int hub_apply_save_clock(struct hub_apply *a, struct ldr_err *err);

/* ---- scope.c ------------------------------------------------------------- */

/* A refusal: "forbidden: ..." in `why`. */
#define HUB_WHY_MAX LDR_ERR_MSG_MAX

/*
 * Who may write: false with the reason in `why` when the principal may
 * not write this change as its author (admin tokens write nothing).
 */
bool hub_may_write_as(const struct hub_principal *p,
                      const struct ldr_change *ch, char why[HUB_WHY_MAX]);

/*
 * What they may write: the record of `kind` going from `before` (NULL
 * when new) to `after`, by role and scope (docs/protocol.md section 9).
 * Of `before` only plain top-level fields are read (ldr_domain_before).
 */
bool hub_may_write(struct hub_apply *a, const char *kind, const json_t *before,
                   const json_t *after, char why[HUB_WHY_MAX]);

/*
 * The unit of person `person` (their id, not the record id) on the hub's
 * roster: 1 and the unit in `unit`, 0 if not on the roster, or a
 * negative code when the database failed. Answers are kept by the
 * writer from set to set until hub_units_forget(): a change to a person
 * record, a set rolled back, or another connection's write calls it.
 */
int hub_person_unit(struct hub_apply *a, const char *person,
                    char unit[HUB_UNIT_MAX + 1]);
void hub_units_forget(struct hub_writer *w);

/*
 * An SQL condition true when the caller may read the record aliased `r`
 * (a row of records), with named parameters :role, :scope (a JSON array
 * of units) and :me (the principal's id) bound by hub_bind_reader(). It
 * calls hub_person_record(), which hub_sql_functions() registers.
 */
extern const char HUB_READABLE_SQL[];
int hub_bind_reader(sqlite3_stmt *st, const struct hub_principal *p);
int hub_sql_functions(sqlite3 *db);

/* The principal's units as a JSON array text; malloc'd, NULL on OOM. */
char *hub_scope_json(const struct hub_principal *p);

#endif
