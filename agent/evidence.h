#ifndef LADDER_AGENT_EVIDENCE_H
#define LADDER_AGENT_EVIDENCE_H

#include <jansson.h>
#include <stddef.h>

#include "ladder/hlc.h"
#include "ladder/model.h"
#include "ladder/score.h"
#include "ladder/uuid.h"

struct ldr_err;
struct store;

/*
 * A subject's evidence for one competency model, gathered from the local
 * database for ldr_score_compute(): the submitted assessments (drafts
 * never count) of that model, one version of it chosen, and what each
 * assessment contributes to that version.
 *
 * The version: the one given, else the version of the most recently
 * submitted assessment, "most recently" by the clock stamp of its
 * submission (the write of /state), which orders submissions made on
 * different laptops the way the hub will.
 *
 * An assessment pinned to the chosen version gives its ratings, answers,
 * tests and performance. An assessment pinned to another version of the
 * model gives only its ratings, and of those only the ones whose
 * competency the chosen version has with the level on its scale; its other
 * ratings, answers, tests and performance are listed in `skipped` with the
 * reason. Of several performance scores the latest by stamp counts;
 * answers and tests are ordered by stamp, so the latest counts there too.
 */

/* One submitted assessment that was considered. */
struct evidence_assessment {
    char id[LDR_UUID_LEN + 1];
    const char *version;      /* borrowed from value; "" if missing */
    const char *kind;         /* "" if missing */
    const char *assessor;     /* "" if missing */
    const char *submitted;    /* time; "" if missing */
    struct ldr_hlc at;        /* stamp of the submission */
    json_t *value;            /* owned: the record's value */
    struct ldr_record *state; /* owned: for the stamp of each field */
};

/* A piece of evidence left out, and why. */
struct evidence_skip {
    size_t assessment; /* index into evidence.items */
    char *field;  /* owned JSON Pointer, e.g. "/ratings/negotiation/level" */
    char *reason; /* owned */
};

struct evidence {
    char model_id[128];
    char version[41];
    struct ldr_model *model;           /* owned: the chosen version */
    struct evidence_assessment *items; /* oldest submission first */
    size_t count;
    struct evidence_skip *skipped;
    size_t nskipped, cap_skipped;
    struct ldr_rating *ratings; /* owned arrays; strings borrowed */
    size_t cap_ratings;
    struct ldr_answer *answers;
    struct ldr_test *tests;
    struct ldr_evidence ev; /* points into the arrays above */
};

/*
 * Gathers the evidence of person `subject` for model `model` ("ID" or
 * "ID@VERSION", a version shortened to 4+ hex digits; NULL: the model of
 * the subject's latest submitted assessment). No submitted assessment is
 * LDR_ENOTFOUND with a message that says how to submit one; a version not
 * on this laptop is LDR_ENOTFOUND naming it. `*out` is always initialised;
 * release it with evidence_release().
 */
int evidence_collect(struct evidence *out, struct store *s, const char *subject,
                     const char *model, struct ldr_err *err);
void evidence_release(struct evidence *e);

#endif
