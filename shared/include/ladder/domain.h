#ifndef LADDER_DOMAIN_H
#define LADDER_DOMAIN_H

#include <jansson.h>
#include <stdbool.h>

#include "ladder/model.h"
#include "ladder/uuid.h"

struct ldr_err;
struct ldr_record;

/*
 * The record kinds and their rules (docs/records.md): what fields a
 * person, assessment, note and pilot record may hold, with which values,
 * and which transitions are allowed. The agent checks every write with
 * these before it is stored; the hub checks every change it receives with
 * the same code.
 */

/* What the checks need to look up, answered from the caller's database. */
struct ldr_domain_env {
    /* Model `id` at `version`, or NULL when this replica lacks it. */
    const struct ldr_model *(*model)(void *ctx, const char *id,
                                     const char *version);
    /* Whether person id `person` is on the roster. */
    bool (*person)(void *ctx, const char *person);
    void *ctx;
    /*
     * The writer may reopen or withdraw a submitted assessment (HR, at the
     * hub): a change to a submitted assessment that sets /state to "draft"
     * and removes /submitted, changing nothing else, or that sets /state
     * to "withdrawn" and changes nothing else, is then allowed, as is
     * withdrawing a draft. False on agents.
     */
    bool may_reopen;
};

/* True for the kinds this version knows: person, assessment, note, pilot. */
bool ldr_domain_kind_known(const char *kind);

/*
 * Checks one change to a record of `kind`: `before` is the record's value
 * before the change (NULL or an empty object for a new record), `after`
 * its value with the change merged in. Checks the layout (known fields,
 * types, lengths), the values against the pinned model version (a
 * competency it has, a level on its scale, a choice of that question, a
 * grade it defines), the subject on the roster, and the transitions (a
 * submitted or withdrawn assessment takes no change, except a reopen or
 * withdrawal with env->may_reopen; a new assessment is never withdrawn;
 * subject, model, version, kind and assessor never change once set; a
 * person's id never changes).
 * LDR_EINVAL with a message naming the field and the value, e.g.
 * "/ratings/negotiation/level: 7 is not a level of the scale 1..5 of
 * account-manager@3b18e51"; LDR_ENOTFOUND when the pinned model version is
 * not available here.
 */
int ldr_domain_check(const struct ldr_domain_env *env, const char *kind,
                     const json_t *before, const json_t *after,
                     struct ldr_err *err);

/*
 * What ldr_domain_check needs as `before` of the stored record `rec` of
 * `kind`: its plain top-level fields (ldr_record_head), as the checks
 * read no deeper, except for a submitted or withdrawn assessment, whose
 * whole value they compare with the change's. New reference; NULL when
 * out of memory.
 */
json_t *ldr_domain_before(const char *kind, const struct ldr_record *rec);

/* True if `s` is a valid person or unit id: 1..64 of A-Za-z0-9._- */
bool ldr_domain_id_valid(const char *s);

/*
 * The record id of the person with person id `person`: a version-8 UUID
 * of "ladder-person/1\n<person>", so every device derives the same one.
 */
void ldr_domain_person_record(char out[LDR_UUID_LEN + 1], const char *person);

/*
 * The version id of a model text: the git blob id (SHA-1 of
 * "blob <len>\0<text>", 40 lowercase hex digits), the same id the hub's
 * git repository gives the file, so offline imports and hub versions
 * agree.
 */
void ldr_model_version(char out[41], const char *text, size_t len);

#endif
