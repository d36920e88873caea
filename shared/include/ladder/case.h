#ifndef LADDER_CASE_H
#define LADDER_CASE_H

#include <jansson.h>

#include "ladder/model.h"

struct ldr_err;

/*
 * 1EdTech CASE 1.1 export and import of a competency model: a CFDocument,
 * CFItems for categories, competencies and grades, CFAssociations
 * (isChildOf), and CFRubrics with one criterion per competency and one
 * level per proficiency level. What CASE has no field for travels in
 * "extensions", so export then import gives back the same model.
 */

/*
 * The CASE package of `model`; a new reference, NULL on OOM.
 *
 * Identifiers are stable: each is a version-8 UUID (RFC 9562) whose bits
 * are the 128-bit FNV-1a hash of "ladder-case/1\n<model id>\n<kind>\n<id>"
 * (kind: document, category, competency, grade, association, rubric,
 * criterion, level), so the same model id and competency id always give
 * the same identifier and re-exports diff cleanly. uris are
 * "urn:ladder:model:<model id>[:<kind>:<id>]". CFDocument.version is the
 * first 16 hex digits of the same hash of ldr_model_dump()'s text, and
 * every lastChangeDateTime is "1970-01-01T00:00:00Z" (git has the dates).
 */
json_t *ldr_case_export(const struct ldr_model *model);

/*
 * A model from a CASE package made by ldr_case_export (or a compatible
 * one: member order, CFItems order (listEnumeration orders each kind when
 * every item has one) and other association types do not matter).
 * Problems go to `problems` (may be NULL) with JSON Pointers into the
 * package: first the structure (no CFDocument, an item without identifier,
 * a link to an unknown item, a competency without category or criterion
 * ...); when there is none, the model is built and checked by
 * ldr_model_parse, and its problems are pointed back at the package field
 * they came from. LDR_EINVAL when there is any problem, LDR_ENOMEM on OOM;
 * on success `*out` is freed with ldr_model_free().
 */
int ldr_case_import(struct ldr_model **out, const json_t *package,
                    struct ldr_problems *problems, struct ldr_err *err);

#endif
