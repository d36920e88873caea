#ifndef LADDER_MODEL_DIFF_H
#define LADDER_MODEL_DIFF_H

#include <jansson.h>

#include "ladder/model.h"

/*
 * The semantic diff of two versions of one competency model
 * (docs/model-format.md, "Semantic diff"): what a reviewer needs to know,
 * item by item and field by field, instead of a line diff of the file.
 * Items are matched by their stable ids; an id that disappears and one
 * that appears are a removal and an addition, never a rename.
 */

/*
 * The changes from `from` to `to`, both valid models, as
 * {"model": ID, "count": N, "changes": [CHANGE, ...]} in model order
 * (the document's section order, then each section's item order), so
 * the same pair always gives the same bytes. Identical models give
 * {"count": 0, "changes": []}. A new reference, NULL on OOM. Pure: the
 * hub may call it from any thread.
 */
json_t *ldr_model_diff(const struct ldr_model *from,
                       const struct ldr_model *to);

/*
 * The readable text of a diff made by ldr_model_diff: one line a change
 * ("competency value-selling: weight 0.07 -> 0.08"), long texts as
 * "- old" and "+ new" lines under it; "no changes" when there is none.
 * Control characters in model texts are shown as '?' (a model may come
 * from anywhere), and members missing from `diff` as '?', so any JSON
 * gives some text. malloc'd, freed by the caller; NULL on OOM.
 */
char *ldr_model_diff_text(const json_t *diff);

#endif
