/*
 * ladder assess SUBCOMMAND: competency assessments (docs/records.md).
 * A small dispatcher: the table `subs` lists each subcommand with the
 * options it takes and its positional arguments; the shared code parses
 * them, opens the database and hands over. Every write is one change in
 * one transaction; store_write runs the core's domain check, which refuses
 * a bad value, a competency or question the pinned model version lacks,
 * and any edit after submission, naming the field.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "ladder/cli.h"
#include "ladder/domain.h"
#include "ladder/err.h"
#include "ladder/jsonptr.h"
#include "ladder/model.h"
#include "ladder/utf8.h"
#include "ladder/uuid.h"
#include "out.h"
#include "store.h"

#define KEY_MAX 128 /* bytes of a competency or question id given */

const char cmd_assess_usage[] =
    "new --subject ID --model ID [--grade TARGET] [--kind KIND]\n"
    "                  [--version V] [--json]\n"
    "       ladder assess rate ID COMPETENCY LEVEL [--evidence TEXT] "
    "[--json]\n"
    "       ladder assess answer ID QUESTION CHOICE [--json]\n"
    "       ladder assess test ID COMPETENCY SCORE [--json]\n"
    "       ladder assess perf ID SCORE [--json]\n"
    "       ladder assess submit ID [--json]\n"
    "       ladder assess show ID [--json]\n"
    "       ladder assess list [--subject ID] [--state draft|submitted] "
    "[--json]\n"
    "       ladder assess interactive ID\n"
    "\n"
    "  new          start a draft assessment of a person on the roster and\n"
    "               print its id. It pins the model's latest version on this\n"
    "               laptop (--version: another one, 4+ hex digits). TARGET\n"
    "               defaults to the person's roster grade when the model has\n"
    "               it. KIND: manager (default), self or peer; pilot\n"
    "               assessments come from 'ladder pilot import'.\n"
    "  rate         give COMPETENCY a LEVEL of the pinned scale, with\n"
    "               optional evidence (--evidence '' clears it)\n"
    "  answer       record CHOICE as the answer to question-bank QUESTION\n"
    "  test         record a test SCORE (0..100) for COMPETENCY\n"
    "  perf         record the performance SCORE (0..100)\n"
    "  submit       submit the assessment; it then takes no change here (HR\n"
    "               can reopen it at the hub). One with nothing entered yet\n"
    "               (no rating, answer, test or performance) is refused.\n"
    "  show         the assessment with every competency of its model\n"
    "  list         assessments, oldest first\n"
    "  interactive  walk the competencies of the pinned model: each shows\n"
    "               the behaviour of every level, then asks for a level\n"
    "               (Enter skips, q stops) and evidence. Each answer is saved\n"
    "               at once; end of input stops too. With input that is not\n"
    "               a terminal, an answer that is not a level is an error\n"
    "               naming its line (what came before stays saved).\n"
    "\n"
    "  ID is the assessment id, or 8 or more of its first or last\n"
    "  characters (ids made close together share their first ones).\n"
    "  --json  new, rate, answer, test, perf, submit and show print the\n"
    "          assessment: {\"id\", \"subject\", \"model\", \"version\", "
    "\"grade\",\n"
    "          \"kind\", \"assessor\", \"state\", \"created\", \"submitted\",\n"
    "          \"ratings\": {COMPETENCY: {\"level\", \"evidence\"}},\n"
    "          \"answers\": {QUESTION: CHOICE}, \"tests\": {COMPETENCY: "
    "SCORE},\n"
    "          \"performance\"}; keys not set yet are absent. list prints\n"
    "          [{\"id\", \"subject\", \"name\", \"model\", \"version\", "
    "\"kind\",\n"
    "          \"grade\", \"state\", \"rated\", \"created\", "
    "\"submitted\"}]: \"rated\"\n"
    "          counts the rated competencies; \"name\" (not on the roster)\n"
    "          and \"submitted\" (a draft) may be null.";

/* Options, as bits: the value getopt_long returns for each. */
enum {
    O_SUBJECT = 1 << 0,
    O_MODEL = 1 << 1,
    O_GRADE = 1 << 2,
    O_KIND = 1 << 3,
    O_VERSION = 1 << 4,
    O_EVIDENCE = 1 << 5,
    O_STATE = 1 << 6,
    O_JSON = 1 << 7,
    O_HELP = 1 << 8,
};

static const struct option options[] = {
    {"subject", required_argument, 0, O_SUBJECT},
    {"model", required_argument, 0, O_MODEL},
    {"grade", required_argument, 0, O_GRADE},
    {"kind", required_argument, 0, O_KIND},
    {"version", required_argument, 0, O_VERSION},
    {"evidence", required_argument, 0, O_EVIDENCE},
    {"state", required_argument, 0, O_STATE},
    {"json", no_argument, 0, O_JSON},
    {"help", no_argument, 0, O_HELP},
    {0, 0, 0, 0}};

struct sub;

/* One subcommand's arguments, parsed and checked. */
struct args {
    const struct sub *sub;
    char cmd[32]; /* "assess rate", for messages */
    const char *pos[3];
    const char *subject, *model, *grade, *kind, *version, *evidence, *state;
    bool json, help;
    int level;    /* rate */
    double score; /* test, perf */
};

struct sub {
    const char *name;
    int (*check)(struct args *a); /* usage checks; may be NULL */
    int (*run)(struct store *s, struct args *a);
    unsigned opts; /* the options it takes, O_HELP always */
    int npos;
    const char *synopsis; /* after "ladder assess NAME" */
};

static int usage(const struct args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage(const struct args *a, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "ladder %s: ", a->cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: ladder %s %s\n(see 'ladder help assess')\n",
            a->cmd, a->sub->synopsis);
    return LDR_EXIT_USAGE;
}

/* ---- arguments ----------------------------------------------------------- */

/* Options with a value are bits 0..6, in the order of `slots`. */
static void set_option(struct args *a, int c, const char *value)
{
    const char **slots[] = {&a->subject, &a->model,    &a->grade, &a->kind,
                            &a->version, &a->evidence, &a->state};

    for (size_t i = 0; i < sizeof slots / sizeof *slots; i++)
        if (c == 1 << i)
            *slots[i] = value;
    a->json |= c == O_JSON;
    a->help |= c == O_HELP;
}

static int parse(struct args *a, int argc, char **argv)
{
    int c, index = 0;

    optind = 0;
    while ((c = getopt_long(argc, argv, ":", options, &index)) != -1) {
        if (c == '?' || c == ':')
            return out_opt_error(a->cmd, a->sub->synopsis, argv, c);
        if (!((a->sub->opts | O_HELP) & (unsigned)c))
            return usage(a, "option '--%s' does not apply here",
                         options[index].name);
        set_option(a, c, optarg);
    }
    if (a->help)
        return 0;
    if (argc - optind != a->sub->npos) {
        if (a->sub->npos == 0)
            return usage(a, "unexpected argument '%s'", argv[optind]);
        return usage(a, "expected %d argument%s, got %d", a->sub->npos,
                     a->sub->npos > 1 ? "s" : "", argc - optind);
    }
    for (int i = 0; i < a->sub->npos; i++)
        a->pos[i] = argv[optind + i];
    return 0;
}

/* A whole number, all of `s`. */
static int parse_int(const char *s, int *out)
{
    char *end;
    long v;

    if (!(isdigit((unsigned char)*s) || *s == '-' || *s == '+'))
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < -1000000 || v > 1000000)
        return -1;
    *out = (int)v;
    return 0;
}

/* A finite decimal number, all of `s`: no hex, nan, inf or trailing text. */
static int parse_number(const char *s, double *out)
{
    char *end;
    double v;

    if (!*s || strspn(s, "0123456789.eE+-") != strlen(s))
        return -1;
    errno = 0;
    v = strtod(s, &end);
    if (errno || *end || end == s || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* An assessment id or a prefix of one (the rest is store_resolve's), and
 * a competency or question id short enough for a field's JSON Pointer. */
static int check_id(struct args *a)
{
    size_t n = strlen(a->pos[0]);

    if (n < 8 || n > LDR_UUID_LEN)
        return usage(a,
                     "assessment id '%.40s': give the id, or at least its "
                     "first or last 8 characters (see 'ladder assess list')",
                     a->pos[0]);
    if (a->sub->npos == 3 && strlen(a->pos[1]) > KEY_MAX)
        return usage(a,
                     "'%.40s...': longer than any competency or question "
                     "id",
                     a->pos[1]);
    return 0;
}

static int check_level(struct args *a)
{
    int rc = check_id(a);

    if (rc == 0 && parse_int(a->pos[2], &a->level) != 0)
        rc = usage(a, "LEVEL '%.40s': expected a whole number such as 3",
                   a->pos[2]);
    return rc;
}

static int check_score(struct args *a)
{
    const char *text = a->pos[a->sub->npos - 1];
    int rc = check_id(a);

    if (rc == 0 && parse_number(text, &a->score) != 0)
        rc = usage(a, "SCORE '%.40s': expected a number 0..100 such as 85",
                   text);
    return rc;
}

static int check_new(struct args *a)
{
    if (!a->subject || !a->model)
        return usage(a, "--subject ID and --model ID are required");
    if (!a->kind)
        a->kind = "manager";
    if (strcmp(a->kind, "pilot") == 0)
        return usage(a, "kind 'pilot': pilot assessments are made by "
                        "'ladder pilot import FILE.csv --pilot NAME'");
    if (strcmp(a->kind, "manager") != 0 && strcmp(a->kind, "self") != 0 &&
        strcmp(a->kind, "peer") != 0)
        return usage(a, "--kind '%.40s': expected manager, self or peer",
                     a->kind);
    return 0;
}

static int check_list(struct args *a)
{
    if (a->state && strcmp(a->state, "draft") != 0 &&
        strcmp(a->state, "submitted") != 0)
        return usage(a, "--state '%.40s': expected draft or submitted",
                     a->state);
    return 0;
}

/* ---- reading and writing assessments ------------------------------------- */

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* The full id of the assessment the user named. */
static int resolve(struct store *s, const struct args *a,
                   char id[LDR_UUID_LEN + 1])
{
    char ref[LDR_UUID_LEN + 1];
    struct ldr_err err = {0};
    size_t i;
    int rc;

    for (i = 0; a->pos[0][i] && i < LDR_UUID_LEN; i++)
        ref[i] = (char)tolower((unsigned char)a->pos[0][i]);
    ref[i] = '\0';
    rc = store_resolve(s, "assessment", ref, id, &err);
    if (rc == LDR_ENOTFOUND)
        return out_fail(a->cmd,
                        "no assessment '%s' on this laptop: list them with "
                        "'ladder assess list'",
                        ref);
    if (rc)
        return out_fail(a->cmd, "%s (see 'ladder assess list')", err.msg);
    return 0;
}

/* The assessment's value; prints why when it cannot be read. */
static int load(struct store *s, const struct args *a, const char *id,
                json_t **value)
{
    struct ldr_err err = {0};

    if (store_get(s, "assessment", id, value, NULL, &err) != 0)
        return out_fail(a->cmd, "assessment %s: %s", id,
                        err.msg[0] ? err.msg : "cannot be read");
    return 0;
}

/* The model version `value` pins, if this laptop has it (borrowed). */
static const struct ldr_model *pinned(struct store *s, const json_t *value)
{
    const char *model = str(value, "model"), *version = str(value, "version");

    return model && version ? store_model_cached(s, model, version) : NULL;
}

/* One change as one transaction; on any error nothing is written and the
 * error is printed. Takes the reference to `set`. */
static int write_change(struct store *s, const struct args *a, const char *id,
                        json_t *set)
{
    struct ldr_err err = {0};
    int rc = set ? store_begin(s, &err)
                 : ldr_err_set(&err, LDR_ENOMEM, "out of memory");

    if (rc == 0)
        rc = store_write(s, "assessment", id, set, NULL, 0, NULL, &err);
    if (rc == 0)
        rc = store_commit(s, &err);
    json_decref(set);
    if (rc) {
        store_rollback(s);
        return out_err(a->cmd, &err);
    }
    return 0;
}

/* `{ "/<section>/<key>[/<leaf>]": value }` with `key` escaped. */
static json_t *member_change(const char *section, const char *key,
                             const char *leaf, json_t *value)
{
    char esc[2 * KEY_MAX + 1], ptr[sizeof esc + 32];
    json_t *set = json_object();

    /* check_id keeps `key` within KEY_MAX; an escape at most doubles it */
    if (ldr_jsonptr_escape(esc, sizeof esc, key) >= sizeof esc)
        esc[0] = '\0';
    snprintf(ptr, sizeof ptr, "/%s/%s%s%s", section, esc, leaf ? "/" : "",
             leaf ? leaf : "");
    json_object_set_new(set, ptr, value);
    return set;
}

/* A score as JSON: a whole number stays an integer, as people write it. */
static json_t *score_json(double x)
{
    if (x > -1e15 && x < 1e15 && x == (double)(json_int_t)x)
        return json_integer((json_int_t)x);
    return json_real(x);
}

static size_t rated_count(const json_t *value)
{
    const json_t *rating;
    const char *key;
    size_t n = 0;

    json_object_foreach((json_t *)json_object_get(value, "ratings"), key,
                        rating)
    {
        n += json_is_integer(json_object_get(rating, "level"));
    }
    return n;
}

/* The assessment as --json prints it: "id" first, then its value. */
static int print_json(struct store *s, const struct args *a, const char *id)
{
    json_t *value = NULL, *out;
    int rc = load(s, a, id, &value);

    if (rc)
        return rc;
    out = json_pack("{s:s}", "id", id);
    json_object_update(out, value);
    json_decref(value);
    return out_json(out);
}

/* After a write: the assessment with --json, else `line`. */
static int written(struct store *s, const struct args *a, const char *id,
                   const char *line)
{
    if (a->json)
        return print_json(s, a, id);
    puts(line);
    return LDR_EXIT_OK;
}

/* ---- new ----------------------------------------------------------------- */

/* The subject's roster entry; one not on the roster is refused here, with
 * how to add them, before the domain check would. */
static int find_subject(struct store *s, const struct args *a, json_t **person)
{
    char rec[LDR_UUID_LEN + 1];
    struct ldr_err err = {0};
    int rc;

    if (!ldr_domain_id_valid(a->subject))
        return usage(a,
                     "--subject '%.64s': expected a person id (letters, "
                     "digits, '.', '_', '-')",
                     a->subject);
    ldr_domain_person_record(rec, a->subject);
    rc = store_get(s, "person", rec, person, NULL, &err);
    if (rc == LDR_ENOTFOUND)
        return out_fail(a->cmd,
                        "%s is not on the roster: add them first with "
                        "'ladder person add --id %s --name NAME --unit UNIT "
                        "--grade GRADE'",
                        a->subject, a->subject);
    return rc ? out_err(a->cmd, &err) : 0;
}

/* --grade, else the subject's roster grade if the model defines it. */
static int target_grade(const struct args *a, const struct ldr_model *m,
                        const json_t *person, const char **grade)
{
    const char *roster = str(person, "grade");
    char known[256] = "";
    size_t n = 0;

    *grade = a->grade ? a->grade : roster;
    if (a->grade || (roster && ldr_model_grade_index(m, roster) >= 0))
        return 0;
    for (size_t i = 0; i < m->ngrades && n < sizeof known; i++)
        n += (size_t)snprintf(known + n, sizeof known - n, "%s%s",
                              i ? ", " : "", m->grades[i].id);
    return usage(a,
                 "%s's roster grade '%s' is not a grade of model %s: give "
                 "--grade, one of %s",
                 a->subject, roster ? roster : "", m->id, known);
}

static int assess_new(struct store *s, struct args *a)
{
    char id[LDR_UUID_LEN + 1], version[41], now[25];
    struct ldr_model *m = NULL;
    struct ldr_err err = {0};
    json_t *person = NULL;
    const char *grade = NULL;
    int rc = find_subject(s, a, &person);

    if (rc == 0 &&
        store_model_get(s, a->model, a->version, &m, version, &err) != 0)
        rc = out_err(a->cmd, &err);
    if (rc == 0)
        rc = target_grade(a, m, person, &grade);
    if (rc == 0 && ldr_uuid_v7(id, &err) != 0)
        rc = out_err(a->cmd, &err);
    if (rc == 0) {
        store_now(now);
        rc = write_change(s, a, id,
                          json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                                    "/subject", a->subject, "/model", m->id,
                                    "/version", version, "/grade", grade,
                                    "/kind", a->kind, "/assessor", s->user,
                                    "/state", "draft", "/created", now));
    }
    if (rc == 0)
        rc = written(s, a, id, id);
    ldr_model_free(m);
    json_decref(person);
    return rc;
}

/* ---- rate, answer, test, perf -------------------------------------------- */

static int assess_rate(struct store *s, struct args *a)
{
    char id[LDR_UUID_LEN + 1], line[512];
    json_t *set;
    int rc = resolve(s, a, id);

    if (rc)
        return rc;
    set = member_change("ratings", a->pos[1], "level", json_integer(a->level));
    if (a->evidence) {
        json_t *more = member_change("ratings", a->pos[1], "evidence",
                                     json_string(a->evidence));
        json_object_update(set, more);
        json_decref(more);
    }
    if ((rc = write_change(s, a, id, set)) != 0)
        return rc;
    snprintf(line, sizeof line, "%s: %s rated %d", id, a->pos[1], a->level);
    return written(s, a, id, line);
}

static int assess_answer(struct store *s, struct args *a)
{
    char id[LDR_UUID_LEN + 1], line[512];
    int rc = resolve(s, a, id);

    if (rc || (rc = write_change(s, a, id,
                                 member_change("answers", a->pos[1], NULL,
                                               json_string(a->pos[2])))))
        return rc;
    snprintf(line, sizeof line, "%s: %s answered '%s'", id, a->pos[1],
             a->pos[2]);
    return written(s, a, id, line);
}

static int assess_test(struct store *s, struct args *a)
{
    char id[LDR_UUID_LEN + 1], line[512];
    int rc = resolve(s, a, id);

    if (rc || (rc = write_change(s, a, id,
                                 member_change("tests", a->pos[1], NULL,
                                               score_json(a->score)))))
        return rc;
    snprintf(line, sizeof line, "%s: %s test score %g", id, a->pos[1],
             a->score);
    return written(s, a, id, line);
}

static int assess_perf(struct store *s, struct args *a)
{
    char id[LDR_UUID_LEN + 1], line[128];
    int rc = resolve(s, a, id);

    if (rc || (rc = write_change(
                   s, a, id,
                   json_pack("{s:o}", "/performance", score_json(a->score)))))
        return rc;
    snprintf(line, sizeof line, "%s: performance %g", id, a->score);
    return written(s, a, id, line);
}

/* ---- submit -------------------------------------------------------------- */

/* Submitting takes an assessment out of reach for edits: refuse one
 * with nothing in it, which would only count against the person. */
static bool has_evidence(const json_t *value)
{
    return rated_count(value) > 0 ||
           json_object_size(json_object_get(value, "answers")) > 0 ||
           json_object_size(json_object_get(value, "tests")) > 0 ||
           json_is_number(json_object_get(value, "performance"));
}

static int submit_ready(struct store *s, const struct args *a, const char *id,
                        size_t *rated, size_t *of)
{
    const struct ldr_model *m;
    json_t *value = NULL;
    int rc = load(s, a, id, &value);

    if (rc)
        return rc;
    m = pinned(s, value);
    *rated = rated_count(value);
    *of = m ? m->ncompetencies : 0;
    if (strcmp(str(value, "state") ? str(value, "state") : "", "draft") != 0)
        rc = out_fail(a->cmd,
                      "assessment %s was already submitted on %s; HR can "
                      "reopen it at the hub",
                      id,
                      str(value, "submitted") ? str(value, "submitted")
                                              : "an earlier day");
    else if (!has_evidence(value))
        rc = out_fail(a->cmd,
                      "assessment %s has nothing entered yet: rate it first "
                      "('ladder assess rate %.8s COMPETENCY LEVEL' or "
                      "'ladder assess interactive %.8s')",
                      id, id, id);
    json_decref(value);
    return rc;
}

static int assess_submit(struct store *s, struct args *a)
{
    char id[LDR_UUID_LEN + 1], now[25], line[256];
    size_t rated = 0, of = 0;
    int rc = resolve(s, a, id);

    if (rc || (rc = submit_ready(s, a, id, &rated, &of)) != 0)
        return rc;
    store_now(now);
    rc = write_change(
        s, a, id,
        json_pack("{s:s, s:s}", "/state", "submitted", "/submitted", now));
    if (rc)
        return rc;
    snprintf(line, sizeof line, "submitted %s (%zu of %zu competencies rated)",
             id, rated, of);
    return written(s, a, id, line);
}

/* ---- show ---------------------------------------------------------------- */

/* A subject's name from the roster; NULL if not there. malloc'd. */
static char *subject_name(struct store *s, const char *subject)
{
    char rec[LDR_UUID_LEN + 1];
    json_t *person = NULL;
    char *name = NULL;

    if (!subject)
        return NULL;
    ldr_domain_person_record(rec, subject);
    if (store_get(s, "person", rec, &person, NULL, NULL) == 0 &&
        str(person, "name"))
        name = strdup(str(person, "name"));
    json_decref(person);
    return name;
}

static const char *or_dash(const char *s)
{
    return s ? s : "-";
}

static void print_header(struct store *s, const char *id, const json_t *v,
                         const struct ldr_model *m)
{
    char *name = subject_name(s, str(v, "subject"));
    int g = m ? ldr_model_grade_index(m, or_dash(str(v, "grade"))) : -1;

    printf("assessment   %s\n", id);
    printf("subject      %s %s\n", or_dash(str(v, "subject")),
           name ? name : "(not on the roster)");
    printf("model        %s@%.12s %s\n", or_dash(str(v, "model")),
           or_dash(str(v, "version")),
           m ? m->title : "(this version is not on this laptop)");
    printf("grade        %s %s\n", or_dash(str(v, "grade")),
           g >= 0 ? m->grades[g].title : "");
    printf("kind         %s, by %s\n", or_dash(str(v, "kind")),
           or_dash(str(v, "assessor")));
    printf("state        %s, created %s%s%s\n\n", or_dash(str(v, "state")),
           or_dash(str(v, "created")),
           str(v, "submitted") ? ", submitted " : "",
           str(v, "submitted") ? str(v, "submitted") : "");
    free(name);
}

/* One row: the competency's rating, if any. */
static void rating_row(struct table *t, const char *comp, const char *title,
                       const json_t *rating, const struct ldr_model *m)
{
    const json_t *lv = json_object_get(rating, "level");
    const char *evidence = str(rating, "evidence");
    json_int_t level = json_integer_value(lv);
    char num[24], cut[160];
    size_t len = evidence ? strlen(evidence) : 0;
    size_t n = evidence ? ldr_utf8_cut(evidence, len, 120) : 0;

    snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, level);
    /* long evidence is cut on a character for the table; show --json has
     * all of it */
    snprintf(cut, sizeof cut, "%.*s%s", (int)n, evidence ? evidence : "",
             n < len ? "…" : "");
    table_row(
        t, (const char *const[]){comp, title, json_is_integer(lv) ? num : NULL,
                                 m && level >= 1 && (size_t)level <= m->nlevels
                                     ? m->levels[level - 1].label
                                     : NULL,
                                 len ? cut : NULL});
}

static void print_ratings(const json_t *v, const struct ldr_model *m)
{
    static const char *const head[] = {"COMPETENCY", "TITLE",    "LEVEL",
                                       "LABEL",      "EVIDENCE", NULL};
    const json_t *ratings = json_object_get(v, "ratings"), *r;
    const char *comp;
    struct table t;

    table_init(&t, head);
    for (size_t i = 0; m && i < m->ncompetencies; i++)
        rating_row(&t, m->competencies[i].id, m->competencies[i].title,
                   json_object_get(ratings, m->competencies[i].id), m);
    json_object_foreach((json_t *)ratings, comp, r)
    {
        if (!m || !ldr_model_competency(m, comp))
            rating_row(&t, comp, NULL, r, m);
    }
    table_print(&t, stdout);
    table_release(&t);
}

static void print_rest(const json_t *v, const struct ldr_model *m)
{
    const json_t *tests = json_object_get(v, "tests"), *score;
    const json_t *perf = json_object_get(v, "performance");
    const char *comp;
    size_t i = 0;

    printf("\nanswers      %zu",
           json_object_size(json_object_get(v, "answers")));
    if (m)
        printf(" of %zu questions", m->nquestions);
    printf("\ntests        %s", json_object_size(tests) ? "" : "-");
    json_object_foreach((json_t *)tests, comp, score)
        printf("%s%s %g", i++ ? ", " : "", comp, json_number_value(score));
    if (json_is_number(perf))
        printf("\nperformance  %g\n", json_number_value(perf));
    else
        printf("\nperformance  -\n");
}

static int assess_show(struct store *s, struct args *a)
{
    char id[LDR_UUID_LEN + 1];
    const struct ldr_model *m;
    json_t *value = NULL;
    int rc = resolve(s, a, id);

    if (rc)
        return rc;
    if (a->json)
        return print_json(s, a, id);
    if ((rc = load(s, a, id, &value)) != 0)
        return rc;
    m = pinned(s, value);
    print_header(s, id, value, m);
    print_ratings(value, m);
    print_rest(value, m);
    json_decref(value);
    return LDR_EXIT_OK;
}

/* ---- list ---------------------------------------------------------------- */

/* Person id -> name, for every person on the roster. */
static json_t *roster_names(struct store *s)
{
    json_t *names = json_object();
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(s->db,
                           "SELECT json_extract(value, '$.id'), "
                           "json_extract(value, '$.name') FROM records "
                           "WHERE kind = 'person'",
                           -1, &st, NULL) != SQLITE_OK)
        return names;
    while (sqlite3_step(st) == SQLITE_ROW)
        if (sqlite3_column_text(st, 0) && sqlite3_column_text(st, 1))
            json_object_set_new(
                names, (const char *)sqlite3_column_text(st, 0),
                json_string((const char *)sqlite3_column_text(st, 1)));
    sqlite3_finalize(st);
    return names;
}

/* One list entry from an assessment's id and value. */
static json_t *list_item(const char *id, const json_t *v, const json_t *names)
{
    static const char *const keys[] = {"subject", "name",  "model", "version",
                                       "kind",    "grade", "state"};
    json_t *item = json_pack("{s:s}", "id", id), *x;

    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        x = i == 1 ? json_object_get(names, or_dash(str(v, "subject")))
                   : json_object_get(v, keys[i]);
        json_object_set(item, keys[i], x ? x : json_null());
    }
    json_object_set_new(item, "rated",
                        json_integer((json_int_t)rated_count(v)));
    x = json_object_get(v, "created");
    json_object_set(item, "created", x ? x : json_null());
    x = json_object_get(v, "submitted");
    json_object_set(item, "submitted", x ? x : json_null());
    return item;
}

static json_t *query_list(struct store *s, const struct args *a)
{
    json_t *list = json_array(), *names = roster_names(s);
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(
            s->db,
            "SELECT id, value FROM records WHERE kind = 'assessment' AND "
            "(?1 IS NULL OR subject = ?1) AND "
            "(?2 IS NULL OR json_extract(value, '$.state') = ?2) "
            "ORDER BY json_extract(value, '$.created'), id",
            -1, &st, NULL) != SQLITE_OK) {
        json_decref(names);
        return list;
    }
    sqlite3_bind_text(st, 1, a->subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->state, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *v =
            json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);

        if (v)
            json_array_append_new(
                list,
                list_item((const char *)sqlite3_column_text(st, 0), v, names));
        json_decref(v);
    }
    sqlite3_finalize(st);
    json_decref(names);
    return list;
}

static void print_list(const json_t *list)
{
    static const char *const head[] = {"ID",    "SUBJECT", "NAME",
                                       "KIND",  "GRADE",   "STATE",
                                       "RATED", "CREATED", NULL};
    const json_t *x;
    struct table t;
    size_t i;

    table_init(&t, head);
    json_array_foreach(list, i, x)
    {
        char rated[24];

        snprintf(rated, sizeof rated, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(x, "rated")));
        table_row(&t, (const char *const[]){str(x, "id"), str(x, "subject"),
                                            str(x, "name"), str(x, "kind"),
                                            str(x, "grade"), str(x, "state"),
                                            rated, str(x, "created")});
    }
    table_print(&t, stdout);
    table_release(&t);
}

static int assess_list(struct store *s, struct args *a)
{
    json_t *list = query_list(s, a);

    if (a->json)
        return out_json(list);
    if (json_array_size(list) == 0)
        puts("no assessments: start one with 'ladder assess new --subject ID "
             "--model ID'");
    else
        print_list(list);
    json_decref(list);
    return LDR_EXIT_OK;
}

/* ---- interactive --------------------------------------------------------- */

struct session {
    struct store *s;
    const struct args *a;
    const struct ldr_model *m;
    char id[LDR_UUID_LEN + 1];
    json_t *value; /* the assessment as it was at the start */
    bool tty;      /* stdin is a terminal: re-ask instead of failing */
    size_t lineno; /* lines read from stdin */
    char *line;    /* the last line, without its end of line */
    size_t cap;
    size_t saved, skipped;
};

enum { ASK_LEVEL, ASK_SKIP, ASK_STOP, ASK_FAIL };

/* Reads one line into ss->line; false at the end of input. */
static bool read_answer(struct session *ss)
{
    ssize_t n;

    fflush(stdout);
    n = getline(&ss->line, &ss->cap, stdin);
    if (n < 0)
        return false;
    ss->lineno++;
    while (n > 0 && (ss->line[n - 1] == '\n' || ss->line[n - 1] == '\r'))
        ss->line[--n] = '\0';
    if (!ss->tty) /* piped answers are not echoed: show them */
        printf("%s\n", ss->line);
    return true;
}

/* `s` without the spaces around it (in place). */
static char *trim(char *s)
{
    char *end = s + strlen(s);

    while (isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

static void describe(const struct session *ss, size_t i)
{
    const struct ldr_competency *c = &ss->m->competencies[i];
    const json_t *now =
        json_object_get(json_object_get(ss->value, "ratings"), c->id);
    json_int_t level = json_integer_value(json_object_get(now, "level"));

    printf("\n[%zu/%zu] %s (%s)\n%s\n", i + 1, ss->m->ncompetencies, c->title,
           c->id, c->description ? c->description : "");
    for (size_t k = 0; k < ss->m->nlevels; k++)
        printf("  %d %s: %s\n", ss->m->levels[k].level, ss->m->levels[k].label,
               c->behaviours[k]);
    if (level >= 1 && (size_t)level <= ss->m->nlevels)
        printf("now: %d %s%s%s\n", (int)level, ss->m->levels[level - 1].label,
               str(now, "evidence") ? " - " : "",
               str(now, "evidence") ? str(now, "evidence") : "");
}

static int ask_level(struct session *ss, int *level)
{
    for (;;) {
        char *answer;

        printf("level (1-%zu, Enter to skip, q to stop): ", ss->m->nlevels);
        if (!read_answer(ss)) {
            putchar('\n');
            return ASK_STOP;
        }
        answer = trim(ss->line);
        if (!*answer)
            return ASK_SKIP;
        if (strcmp(answer, "q") == 0 || strcmp(answer, "Q") == 0)
            return ASK_STOP;
        if (parse_int(answer, level) == 0 && *level >= 1 &&
            (size_t)*level <= ss->m->nlevels)
            return ASK_LEVEL;
        if (!ss->tty) {
            out_fail(ss->a->cmd,
                     "line %zu: '%.40s' is not a level 1..%zu, an empty line "
                     "(skip) or q (stop); %zu rating%s before it %s saved",
                     ss->lineno, answer, ss->m->nlevels, ss->saved,
                     ss->saved == 1 ? "" : "s",
                     ss->saved == 1 ? "was" : "were");
            return ASK_FAIL;
        }
        printf("'%.40s' is not a level: type 1 to %zu, Enter to skip or q to "
               "stop\n",
               answer, ss->m->nlevels);
    }
}

/* Asks about competency `i` and saves the answer; *stop at q or EOF. */
static int ask_one(struct session *ss, size_t i, bool *stop)
{
    const char *comp = ss->m->competencies[i].id;
    int level = 0, rc = ask_level(ss, &level);
    json_t *set;

    if (rc == ASK_FAIL)
        return LDR_EXIT_FAIL;
    *stop = rc == ASK_STOP;
    if (rc != ASK_LEVEL) {
        ss->skipped += rc == ASK_SKIP;
        return 0;
    }
    printf("evidence (optional): ");
    set = member_change("ratings", comp, "level", json_integer(level));
    if (!read_answer(ss)) {
        putchar('\n');
        *stop = true; /* still save the level given */
    } else if (*trim(ss->line)) {
        json_t *ev = member_change("ratings", comp, "evidence",
                                   json_string(trim(ss->line)));
        json_object_update(set, ev);
        json_decref(ev);
    }
    if ((rc = write_change(ss->s, ss->a, ss->id, set)) == 0)
        ss->saved++;
    return rc;
}

static int session_start(struct session *ss)
{
    const char *state;
    int rc = resolve(ss->s, ss->a, ss->id);

    if (rc || (rc = load(ss->s, ss->a, ss->id, &ss->value)) != 0)
        return rc;
    state = str(ss->value, "state");
    if (!state || strcmp(state, "draft") != 0)
        return out_fail(ss->a->cmd,
                        "assessment %s was submitted: it can no longer be "
                        "edited; HR can reopen it at the hub",
                        ss->id);
    if (!(ss->m = pinned(ss->s, ss->value)))
        return out_fail(ss->a->cmd,
                        "model %s@%s of assessment %s is not on this laptop: "
                        "import it with 'ladder model import FILE'",
                        or_dash(str(ss->value, "model")),
                        or_dash(str(ss->value, "version")), ss->id);
    printf("assessment %s of %s, model %s@%.12s, grade %s: %zu "
           "competencies\n"
           "Enter skips one, q stops; each answer is saved at once.\n",
           ss->id, or_dash(str(ss->value, "subject")), ss->m->id,
           str(ss->value, "version"), or_dash(str(ss->value, "grade")),
           ss->m->ncompetencies);
    return 0;
}

static int assess_interactive(struct store *s, struct args *a)
{
    struct session ss = {.s = s, .a = a, .tty = isatty(STDIN_FILENO) == 1};
    bool stop = false;
    int rc = session_start(&ss);

    for (size_t i = 0; rc == 0 && !stop && i < ss.m->ncompetencies; i++) {
        describe(&ss, i);
        rc = ask_one(&ss, i, &stop);
    }
    if (rc == 0)
        printf("\nsaved %zu rating%s, skipped %zu on %s\n", ss.saved,
               ss.saved == 1 ? "" : "s", ss.skipped, ss.id);
    free(ss.line);
    json_decref(ss.value);
    return rc;
}

/* ---- the dispatcher ------------------------------------------------------ */

static const struct sub subs[] = {
    {"new", check_new, assess_new,
     O_SUBJECT | O_MODEL | O_GRADE | O_KIND | O_VERSION | O_JSON, 0,
     "--subject ID --model ID [--grade TARGET] "
     "[--kind manager|self|peer] [--version V] [--json]"},
    {"rate", check_level, assess_rate, O_EVIDENCE | O_JSON, 3,
     "ID COMPETENCY LEVEL [--evidence TEXT] [--json]"},
    {"answer", check_id, assess_answer, O_JSON, 3,
     "ID QUESTION CHOICE [--json]"},
    {"test", check_score, assess_test, O_JSON, 3,
     "ID COMPETENCY SCORE [--json]"},
    {"perf", check_score, assess_perf, O_JSON, 2, "ID SCORE [--json]"},
    {"submit", check_id, assess_submit, O_JSON, 1, "ID [--json]"},
    {"show", check_id, assess_show, O_JSON, 1, "ID [--json]"},
    {"list", check_list, assess_list, O_SUBJECT | O_STATE | O_JSON, 0,
     "[--subject ID] [--state draft|submitted] [--json]"},
    {"interactive", check_id, assess_interactive, 0, 1, "ID"},
};

static int run_sub(const struct sub *sub, int argc, char **argv)
{
    struct args a = {.sub = sub};
    struct store s;
    int rc;

    snprintf(a.cmd, sizeof a.cmd, "assess %s", sub->name);
    if ((rc = parse(&a, argc, argv)) != 0)
        return rc;
    if (a.help) {
        printf("usage: ladder assess %s\n", cmd_assess_usage);
        return LDR_EXIT_OK;
    }
    if (sub->check && (rc = sub->check(&a)) != 0)
        return rc;
    if ((rc = open_store(&s, a.cmd)) != 0)
        return rc;
    rc = sub->run(&s, &a);
    store_close(&s);
    return rc;
}

int cmd_assess(int argc, char **argv)
{
    if (argc < 2)
        return out_usage("assess", cmd_assess_usage, "which subcommand?");
    for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
        if (strcmp(argv[1], subs[i].name) == 0)
            return run_sub(&subs[i], argc - 1, argv + 1);
    return out_usage("assess", cmd_assess_usage, "unknown subcommand '%s'",
                     argv[1]);
}
