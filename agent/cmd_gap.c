/*
 * ladder gap SUBJECT and ladder certify SUBJECT: gap analysis, learning map
 * and certification from the submitted assessments on this laptop, scored
 * by the core (ladder/score.h) exactly as the hub scores them.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "evidence.h"
#include "ladder/cli.h"
#include "ladder/domain.h"
#include "ladder/err.h"
#include "ladder/score.h"
#include "out.h"
#include "store.h"

/* The help text is laid out as it prints. */
/* clang-format off */
#define EVIDENCE_HELP                                                       \
    "Scores the submitted assessments of SUBJECT for one model (drafts\n"   \
    "never count). --model ID[@VERSION] picks the model (default: the\n"    \
    "one of SUBJECT's latest submitted assessment) and its version\n"       \
    "(default: that of the latest submitted assessment of the model,\n"     \
    "latest by the clock stamp of the submission). Assessments pinned to\n" \
    "that version give their ratings, answers, tests and performance\n"     \
    "(the latest by stamp counts); assessments pinned to another version\n" \
    "give only ratings of competencies this version has, with levels on\n"  \
    "its scale. What is left out is listed as skipped, with the reason.\n"  \
    "\n"

#define COMMON_KEYS                                                         \
    "  \"subject\", \"name\", \"unit\", \"grade\" (the grade analysed),\n"  \
    "  \"model\", \"version\" (40 hex digits),\n"                           \
    "  \"assessments\": [{\"id\", \"version\", \"kind\", \"assessor\",\n"   \
    "      \"submitted\"}] (oldest submission first),\n"                    \
    "  \"scores\": {\"rating\", \"test\", \"ability\", \"performance\",\n"  \
    "      \"overall\"} (0..100; null when there is no such score),\n"      \
    "  \"skipped\": [{\"assessment\", \"version\", \"field\", \"reason\"}]"

const char cmd_gap_usage[] =
    "SUBJECT [--grade G] [--model ID[@VERSION]] [--json]\n"
    "\n"
    "Gap analysis and learning map of person SUBJECT for grade G (default:\n"
    "SUBJECT's grade on the roster): per competency the required level,\n"
    "the current level (the mean of each assessor's latest rating, rounded\n"
    "half up) and the gap, largest weighted gap first; then, for each\n"
    "competency with a gap, the learning activities level by level.\n"
    "\n"
    EVIDENCE_HELP
    "  --json   print an object with\n"
    COMMON_KEYS ",\n"
    "  \"gaps\": [{\"competency\", \"title\", \"required\",\n"
    "      \"current\" (0: not rated), \"gap\", \"weighted\" (gap x weight),\n"
    "      \"assessors\", \"mean_level\" (null: not rated),\n"
    "      \"activities\": [{\"level\", \"id\", \"kind\", \"title\",\n"
    "      \"hours\" (0: not given)}]}], every competency, in order\n"
    "Exits 1 when SUBJECT is not on the roster or has no submitted\n"
    "assessment.";

const char cmd_certify_usage[] =
    "SUBJECT --grade G [--model ID[@VERSION]] [--json]\n"
    "\n"
    "Whether person SUBJECT meets the certification rule of grade G, every\n"
    "reason why not, the scores it was decided on and how many months a\n"
    "certification lasts. The answer is in the output: the exit code is 0\n"
    "whether eligible or not, 1 only when it cannot be decided (SUBJECT\n"
    "not on the roster, no submitted assessment, unknown grade).\n"
    "\n"
    EVIDENCE_HELP
    "  --json   print an object with\n"
    COMMON_KEYS ",\n"
    "  \"eligible\" (boolean), \"reasons\": [text] (empty when eligible),\n"
    "  \"validity_months\"";
/* clang-format on */

struct gap_opts {
    const char *subject, *grade, *model;
    bool json;
};

static int parse(struct gap_opts *o, const char *cmd, const char *usage,
                 int argc, char **argv)
{
    static const struct option opts[] = {{"grade", required_argument, 0, 'g'},
                                         {"model", required_argument, 0, 'm'},
                                         {"json", no_argument, 0, 'j'},
                                         {0, 0, 0, 0}};
    int c;

    memset(o, 0, sizeof *o);
    optind = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'g')
            o->grade = optarg;
        else if (c == 'm')
            o->model = optarg;
        else if (c == 'j')
            o->json = true;
        else
            return out_opt_error(cmd, usage, argv, c);
    }
    if (optind != argc - 1)
        return out_usage(cmd, usage, "give exactly one SUBJECT (a person id)");
    o->subject = argv[optind];
    if (!ldr_domain_id_valid(o->subject))
        return out_usage(cmd, usage,
                         "subject '%s': expected a person id of 1 to 64 "
                         "letters, digits, '.', '_' or '-'",
                         o->subject);
    return 0;
}

/* What both commands work from: the person, the evidence, its score. */
struct report {
    const char *cmd;
    json_t *person;
    const char *grade;
    struct evidence e;
    struct ldr_score score;
};

static const char *text(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));

    return s ? s : "";
}

static int load_person(struct report *r, struct store *s, const char *subject)
{
    char rec[LDR_UUID_LEN + 1];
    struct ldr_err err = {0};
    int rc;

    ldr_domain_person_record(rec, subject);
    rc = store_get(s, "person", rec, &r->person, NULL, &err);
    if (rc == LDR_ENOTFOUND)
        return out_fail(r->cmd,
                        "%s is not on the roster: add them with 'ladder "
                        "person add --id %s --name NAME --unit UNIT --grade "
                        "GRADE'",
                        subject, subject);
    return rc ? out_err(r->cmd, &err) : 0;
}

/* The grade asked for, else the roster's, checked against the model. */
static int pick_grade(struct report *r, const char *asked)
{
    struct ldr_err err = {0};

    r->grade = asked ? asked : text(r->person, "grade");
    if (ldr_model_check_grade(r->e.model, r->grade, &err) == 0)
        return 0;
    if (asked)
        return out_fail(r->cmd, "model %s: %s", r->e.model_id, err.msg);
    return out_fail(r->cmd,
                    "model %s: %s (the roster grade of %s); give one with "
                    "--grade G",
                    r->e.model_id, err.msg, text(r->person, "id"));
}

static int report_load(struct report *r, struct store *s,
                       const struct gap_opts *o)
{
    struct ldr_err err = {0};
    int rc = load_person(r, s, o->subject);

    if (rc)
        return rc;
    if (evidence_collect(&r->e, s, o->subject, o->model, &err) != 0)
        return out_err(r->cmd, &err);
    rc = pick_grade(r, o->grade);
    if (rc == 0 && ldr_score_compute(&r->score, r->e.model, &r->e.ev, &err))
        rc = out_err(r->cmd, &err);
    return rc;
}

static void report_release(struct report *r)
{
    json_decref(r->person);
    evidence_release(&r->e);
    ldr_score_release(&r->score);
}

/* ---- JSON ------------------------------------------------------------ */

/* Hours as the model writes them: a whole number as an integer. */
static json_t *hours_json(double h)
{
    return h == (double)(json_int_t)h ? json_integer((json_int_t)h)
                                      : json_real(h);
}

static json_t *maybe(bool has, double v)
{
    return has ? json_real(v) : json_null();
}

static json_t *scores_json(const struct ldr_score *s)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o}", "rating",
                     maybe(s->has_rating, s->rating), "test",
                     maybe(s->has_test, s->test), "ability",
                     maybe(s->has_ability, s->ability), "performance",
                     maybe(s->has_performance, s->performance), "overall",
                     maybe(s->has_overall, s->overall));
}

static json_t *assessments_json(const struct evidence *e)
{
    json_t *list = json_array();

    for (size_t i = 0; i < e->count; i++) {
        const struct evidence_assessment *a = &e->items[i];

        json_array_append_new(
            list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", a->id, "version",
                            a->version, "kind", a->kind, "assessor",
                            a->assessor, "submitted", a->submitted));
    }
    return list;
}

static json_t *skipped_json(const struct evidence *e)
{
    json_t *list = json_array();

    for (size_t i = 0; i < e->nskipped; i++) {
        const struct evidence_skip *k = &e->skipped[i];
        const struct evidence_assessment *a = &e->items[k->assessment];

        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:s, s:s}", "assessment",
                                        a->id, "version", a->version, "field",
                                        k->field, "reason", k->reason));
    }
    return list;
}

/* The keys both commands print first. */
static json_t *report_json(const struct report *r)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "subject",
                     text(r->person, "id"), "name", text(r->person, "name"),
                     "unit", text(r->person, "unit"), "grade", r->grade,
                     "model", r->e.model_id, "version", r->e.version,
                     "assessments", assessments_json(&r->e), "scores",
                     scores_json(&r->score));
}

/* The level an activity of the learning map leads to. */
static int activity_level(const struct ldr_model *m,
                          const struct ldr_competency *c,
                          const struct ldr_activity *a)
{
    for (size_t k = 0; k < m->nlevels; k++)
        if (a >= c->learning[k].items &&
            a < c->learning[k].items + c->learning[k].count)
            return (int)k + 1;
    return 0;
}

static json_t *gap_json(const struct ldr_model *m, const struct ldr_gap *g,
                        const struct ldr_competency_score *per)
{
    json_t *acts = json_array();

    for (size_t i = 0; i < g->nactivities; i++) {
        const struct ldr_activity *a = g->activities[i];

        json_array_append_new(
            acts, json_pack("{s:i, s:s, s:s, s:s, s:o}", "level",
                            activity_level(m, g->competency, a), "id", a->id,
                            "kind", a->kind, "title", a->title, "hours",
                            hours_json(a->hours)));
    }
    return json_pack(
        "{s:s, s:s, s:i, s:i, s:i, s:f, s:I, s:o, s:o}", "competency",
        g->competency->id, "title", g->competency->title, "required",
        g->required, "current", g->current, "gap", g->gap, "weighted",
        g->weighted, "assessors", (json_int_t)per->assessors, "mean_level",
        maybe(per->assessors > 0, per->mean_level), "activities", acts);
}

/* The score of the competency a gap is about (the gaps are reordered). */
static const struct ldr_competency_score *per_of(const struct report *r,
                                                 const struct ldr_gap *g)
{
    return &r->score.per[g->competency - r->e.model->competencies];
}

static int gaps_print_json(const struct report *r, const struct ldr_gaps *gaps)
{
    json_t *doc = report_json(r), *list = json_array();

    for (size_t i = 0; i < gaps->count; i++)
        json_array_append_new(list, gap_json(r->e.model, &gaps->items[i],
                                             per_of(r, &gaps->items[i])));
    json_object_set_new(doc, "gaps", list);
    json_object_set_new(doc, "skipped", skipped_json(&r->e));
    return out_json(doc);
}

/* ---- human output ------------------------------------------------------ */

static const char *grade_title(const struct ldr_model *m, const char *grade)
{
    int g = ldr_model_grade_index(m, grade);

    return g >= 0 ? m->grades[g].title : "";
}

static void print_assessments(const struct evidence *e)
{
    static const char *const head[] = {"assessment", "version",   "kind",
                                       "assessor",   "submitted", NULL};
    struct table t;

    table_init(&t, head);
    for (size_t i = 0; i < e->count; i++) {
        const struct evidence_assessment *a = &e->items[i];
        char v[13];

        snprintf(v, sizeof v, "%.12s", a->version);
        table_row(&t, (const char *const[]){a->id, v, a->kind, a->assessor,
                                            a->submitted});
    }
    table_print(&t, stdout);
    table_release(&t);
}

static void print_scores(const struct ldr_score *s)
{
    static const char *const names[] = {"rating", "test", "ability",
                                        "performance", "overall"};
    const bool has[] = {s->has_rating, s->has_test, s->has_ability,
                        s->has_performance, s->has_overall};
    const double v[] = {s->rating, s->test, s->ability, s->performance,
                        s->overall};
    int shown = 0;

    fputs("scores:", stdout);
    for (size_t i = 0; i < 5; i++)
        if (has[i])
            printf("%s %s %.1f", shown++ ? "," : "", names[i], v[i]);
    puts(shown ? "" : " none (no ratings, tests or performance)");
}

static void print_skipped(const struct evidence *e)
{
    if (!e->nskipped)
        return;
    printf("\nskipped %zu piece%s of evidence:\n", e->nskipped,
           e->nskipped == 1 ? "" : "s");
    for (size_t i = 0; i < e->nskipped; i++) {
        const struct evidence_skip *k = &e->skipped[i];

        const struct evidence_assessment *a = &e->items[k->assessment];

        printf("  %s (version %.12s) %s: %s\n", a->id, a->version, k->field,
               k->reason);
    }
}

/* Person, model version and grade, the assessments and the scores. */
static void print_header(const struct report *r)
{
    const struct ldr_model *m = r->e.model;

    printf("%s  %s  unit %s  roster grade %s\n", text(r->person, "id"),
           text(r->person, "name"), text(r->person, "unit"),
           text(r->person, "grade"));
    printf("model %s@%.12s  %s  grade %s %s\n\n", r->e.model_id, r->e.version,
           m->title, r->grade, grade_title(m, r->grade));
    print_assessments(&r->e);
    putchar('\n');
    print_scores(&r->score);
}

/* "3", or "3 (mean 2.5)" when assessors disagree. */
static void current_cell(char *out, size_t size,
                         const struct ldr_competency_score *per)
{
    if (per->assessors == 0)
        snprintf(out, size, "-");
    else if (per->mean_level != per->level)
        snprintf(out, size, "%d (mean %.2g)", per->level, per->mean_level);
    else
        snprintf(out, size, "%d", per->level);
}

static void print_gap_table(const struct report *r, const struct ldr_gaps *gaps)
{
    static const char *const head[] = {"competency", "title", "required",
                                       "current",    "gap",   NULL};
    struct table t;

    table_init(&t, head);
    for (size_t i = 0; i < gaps->count; i++) {
        const struct ldr_gap *g = &gaps->items[i];
        char req[16], cur[48], gap[16];

        snprintf(req, sizeof req, "%d", g->required);
        current_cell(cur, sizeof cur, per_of(r, g));
        snprintf(gap, sizeof gap, "%d", g->gap);
        table_row(&t,
                  (const char *const[]){g->competency->id, g->competency->title,
                                        req, cur, gap});
    }
    table_print(&t, stdout);
    table_release(&t);
}

/* Activities of each competency with a gap, level by level; the
 * competency is named on its first row only. */
static void print_learning_map(const struct ldr_model *m,
                               const struct ldr_gaps *gaps)
{
    static const char *const head[] = {"competency", "level", "kind",
                                       "title",      "hours", NULL};
    struct table t;
    double total = 0;

    if (gaps->open == 0)
        return;
    table_init(&t, head);
    for (size_t i = 0; i < gaps->count; i++) {
        const struct ldr_gap *g = &gaps->items[i];

        for (size_t j = 0; j < g->nactivities; j++) {
            const struct ldr_activity *a = g->activities[j];
            char level[16], hours[32];

            snprintf(level, sizeof level, "%d",
                     activity_level(m, g->competency, a));
            snprintf(hours, sizeof hours, "%g", a->hours);
            total += a->hours;
            table_row(&t, (const char *const[]){j ? "" : g->competency->id,
                                                level, a->kind, a->title,
                                                a->hours > 0 ? hours : NULL});
        }
    }
    printf("\nlearning map (%g hours in all):\n", total);
    table_print(&t, stdout);
    table_release(&t);
}

static int gaps_print_text(const struct report *r, const struct ldr_gaps *gaps)
{
    print_header(r);
    printf("\n%zu of %zu competencies below grade %s\n", gaps->open,
           gaps->count, r->grade);
    print_gap_table(r, gaps);
    print_learning_map(r->e.model, gaps);
    print_skipped(&r->e);
    return LDR_EXIT_OK;
}

/* ---- the commands -------------------------------------------------------- */

/* Opens the store and loads the report; on failure the exit code. */
static int start(struct report *r, struct store *s, const struct gap_opts *o)
{
    int rc = open_store(s, r->cmd);

    if (rc)
        return rc;
    rc = report_load(r, s, o);
    if (rc) {
        report_release(r);
        store_close(s);
    }
    return rc;
}

int cmd_gap(int argc, char **argv)
{
    struct report r = {.cmd = "gap"};
    struct gap_opts o;
    struct ldr_gaps gaps;
    struct ldr_err err = {0};
    struct store s;
    int rc = parse(&o, "gap", cmd_gap_usage, argc, argv);

    if (rc == 0)
        rc = start(&r, &s, &o);
    if (rc)
        return rc;
    if (ldr_gaps_compute(&gaps, r.e.model, &r.score, r.grade, &err) != 0)
        rc = out_err("gap", &err);
    else if (o.json)
        rc = gaps_print_json(&r, &gaps);
    else
        rc = gaps_print_text(&r, &gaps);
    ldr_gaps_release(&gaps);
    report_release(&r);
    store_close(&s);
    return rc;
}

static int certify_print_json(const struct report *r,
                              const struct ldr_certification *c)
{
    json_t *doc = report_json(r), *reasons = json_array();

    for (size_t i = 0; i < c->nreasons; i++)
        json_array_append_new(reasons, json_string(c->reasons[i]));
    json_object_set_new(doc, "eligible", json_boolean(c->eligible));
    json_object_set_new(doc, "reasons", reasons);
    json_object_set_new(doc, "validity_months",
                        json_integer(c->validity_months));
    json_object_set_new(doc, "skipped", skipped_json(&r->e));
    return out_json(doc);
}

static int certify_print_text(const struct report *r,
                              const struct ldr_certification *c)
{
    const char *title = grade_title(r->e.model, r->grade);

    print_header(r);
    if (c->eligible)
        printf("\neligible for %s %s: a certification lasts %d months\n",
               r->grade, title, c->validity_months);
    else
        printf("\nnot eligible for %s %s:\n", r->grade, title);
    for (size_t i = 0; i < c->nreasons; i++)
        printf("  - %s\n", c->reasons[i]);
    print_skipped(&r->e);
    return LDR_EXIT_OK;
}

int cmd_certify(int argc, char **argv)
{
    struct report r = {.cmd = "certify"};
    struct ldr_certification cert;
    struct gap_opts o;
    struct ldr_err err = {0};
    struct store s;
    int rc = parse(&o, "certify", cmd_certify_usage, argc, argv);

    if (rc == 0 && !o.grade)
        rc = out_usage("certify", cmd_certify_usage, "--grade G is required");
    if (rc == 0)
        rc = start(&r, &s, &o);
    if (rc)
        return rc;
    if (ldr_certify(&cert, r.e.model, &r.score, r.grade, &err) != 0)
        rc = out_err("certify", &err);
    else if (o.json)
        rc = certify_print_json(&r, &cert);
    else
        rc = certify_print_text(&r, &cert);
    ldr_certification_release(&cert);
    report_release(&r);
    store_close(&s);
    return rc;
}
