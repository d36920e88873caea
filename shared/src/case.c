#include "ladder/case.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/err.h"
#include "ladder/jsonptr.h"
#include "ladder/uuid.h"

/*
 * The mapping is documented in docs/model-format.md ("CASE 1.1"). Every
 * identifier is a version-8 UUID (RFC 9562) made from the 128-bit FNV-1a
 * hash of "ladder-case/1\n<model id>\n<kind>\n<local id>", so the same
 * model and competency always give the same identifier and a re-export
 * diffs cleanly. lastChangeDateTime is a fixed value for the same reason:
 * the model's git history holds the real times.
 */

#define NAMESPACE "ladder-case/1\n"
#define URN "urn:ladder:model:"
#define EPOCH "1970-01-01T00:00:00Z"
#define REF_MAX 256
#define PTR_MAX 256

enum kind { K_CATEGORY, K_COMPETENCY, K_GRADE, K_COUNT };

static const struct {
    const char *type;  /* CFItemType */
    const char *array; /* member of the model */
    const char *urn;   /* kind in uris and identifier names */
} kinds[K_COUNT] = {
    {"Category", "categories", "category"},
    {"Competency", "competencies", "competency"},
    {"Grade", "grades", "grade"},
};

/* ---- identifiers ---- */

static void case_uuid(char out[LDR_UUID_LEN + 1], const char *model,
                      const char *kind, const char *local)
{
    char name[4 * REF_MAX];
    int n =
        snprintf(name, sizeof name, NAMESPACE "%s\n%s\n%s", model, kind, local);

    /* ids are slugs of at most 64 bytes: the name always fits */
    ldr_uuid_v8_name(out, name, n < (int)sizeof name ? (size_t)n : 0);
}

/* One node of the package as other nodes link to it (a CASE LinkURI). */
struct ref {
    char id[LDR_UUID_LEN + 1];
    char uri[2 * REF_MAX];
    const char *title;
};

/* The document when `local` is NULL, else "<model>:<kind>:<local>". */
static void make_ref(struct ref *r, const char *model, const char *kind,
                     const char *local, const char *title)
{
    case_uuid(r->id, model, kind, local ? local : "");
    if (local)
        snprintf(r->uri, sizeof r->uri, URN "%s:%s:%s", model, kind, local);
    else
        snprintf(r->uri, sizeof r->uri, URN "%s", model);
    r->title = title;
}

static json_t *link_to(const struct ref *r)
{
    return json_pack("{s:s,s:s,s:s}", "title", r->title ? r->title : "",
                     "identifier", r->id, "uri", r->uri);
}

/* ---- export ---- */

/* Whole numbers as JSON integers, as a person would write them. */
static json_t *num(double v)
{
    if (v > -9007199254740992.0 && v < 9007199254740992.0 &&
        (double)(json_int_t)v == v)
        return json_integer((json_int_t)v);
    return json_real(v);
}

/* Appends, stealing `v`; a NULL `v` (out of memory) fails the array. */
static void append(json_t *arr, json_t *v, bool *ok)
{
    if (json_array_append_new(arr, v))
        *ok = false;
}

static void set(json_t *obj, const char *key, json_t *v, bool *ok)
{
    if (json_object_set_new(obj, key, v))
        *ok = false;
}

static json_t *finish(json_t *v, bool ok)
{
    if (ok)
        return v;
    json_decref(v);
    return NULL;
}

static json_t *scale_json(const struct ldr_model *m)
{
    json_t *arr = json_array();
    bool ok = arr != NULL;

    for (size_t i = 0; ok && i < m->nlevels; i++)
        append(arr,
               json_pack("{s:i,s:s,s:s}", "level", m->levels[i].level, "label",
                         m->levels[i].label, "description",
                         m->levels[i].description),
               &ok);
    return finish(arr, ok);
}

static json_t *question_json(const struct ldr_question *q)
{
    json_t *choices = json_object();
    bool ok = choices != NULL;

    for (size_t i = 0; ok && i < q->nchoices; i++)
        set(choices, q->choices[i].id, json_string(q->choices[i].text), &ok);
    return json_pack("{s:s,s:s,s:s,s:o,s:s,s:o}", "id", q->id, "competency",
                     q->competency, "stem", q->stem, "choices",
                     finish(choices, ok), "answer", q->answer, "points",
                     num(q->points));
}

static json_t *questions_json(const struct ldr_model *m)
{
    json_t *arr = json_array();
    bool ok = arr != NULL;

    for (size_t i = 0; ok && i < m->nquestions; i++)
        append(arr, question_json(&m->questions[i]), &ok);
    return finish(arr, ok);
}

static json_t *cert_json(const struct ldr_cert_rule *c)
{
    json_t *must = json_array();
    bool ok = must != NULL;

    for (size_t i = 0; ok && i < c->nmust_meet; i++)
        append(must, json_string(c->must_meet[i]), &ok);
    return json_pack("{s:o,s:o,s:o,s:I,s:o,s:i}", "min_overall",
                     num(c->min_overall), "min_ability", num(c->min_ability),
                     "min_performance", num(c->min_performance), "max_gaps",
                     (json_int_t)c->max_gaps, "must_meet", finish(must, ok),
                     "validity_months", c->validity_months);
}

static json_t *certs_json(const struct ldr_model *m)
{
    json_t *obj = json_object();
    bool ok = obj != NULL;

    for (size_t i = 0; ok && i < m->ncerts; i++)
        set(obj, m->certs[i].grade, cert_json(&m->certs[i]), &ok);
    return finish(obj, ok);
}

/*
 * The version of the framework: the first 64 bits of the FNV-1a 128 hash
 * of the canonical text, so any change of the model gives a new version.
 */
static int content_version(const struct ldr_model *m, char out[17])
{
    uint8_t h[16];
    size_t len = 0;
    char *text = ldr_model_dump(m, &len);

    if (!text)
        return -1;
    ldr_fnv1a128(h, text, len);
    free(text);
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
    return 0;
}

static json_t *document_json(const struct ldr_model *m, const struct ref *doc)
{
    char version[17];
    const struct ldr_eval_rule *e = &m->eval;
    json_t *ext;

    if (content_version(m, version))
        return NULL;
    ext = json_pack("{s:{s:s,s:s,s:o,s:o,s:{s:o,s:o,s:o,s:o},s:o}}", "ladder",
                    "format", LDR_MODEL_FORMAT, "id", m->id, "scale",
                    scale_json(m), "questions", questions_json(m), "evaluation",
                    "ratings", num(e->ratings), "tests", num(e->tests),
                    "ability", num(e->ability), "performance",
                    num(e->performance), "certification", certs_json(m));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s*,s:s,s:s,s:s,s:o}", "identifier",
                     doc->id, "uri", doc->uri, "creator", "Ladder", "title",
                     m->title, "lastChangeDateTime", EPOCH, "description",
                     m->description, "language", m->language, "version",
                     version, "adoptionStatus", "Draft", "extensions", ext);
}

static json_t *activity_json(const struct ldr_activity *a)
{
    json_t *obj = json_pack("{s:s,s:s,s:s}", "id", a->id, "kind", a->kind,
                            "title", a->title);
    bool ok = obj != NULL;

    /* The model gives 0 for an activity without hours. */
    if (ok && a->hours != 0)
        set(obj, "hours", num(a->hours), &ok);
    return finish(obj, ok);
}

static json_t *learning_json(const struct ldr_model *m,
                             const struct ldr_competency *c)
{
    json_t *obj = json_object();
    bool ok = obj != NULL;

    for (size_t k = 0; ok && k < m->nlevels; k++) {
        json_t *arr = json_array();
        char key[16];

        ok = arr != NULL;
        for (size_t i = 0; ok && i < c->learning[k].count; i++)
            append(arr, activity_json(&c->learning[k].items[i]), &ok);
        snprintf(key, sizeof key, "%d", m->levels[k].level);
        set(obj, key, finish(arr, ok), &ok);
    }
    return finish(obj, ok);
}

/* What CASE has no field for: core, the required levels, learning. */
static json_t *competency_ext(const struct ldr_model *m,
                              const struct ldr_competency *c)
{
    json_t *required = json_object();
    bool ok = required != NULL;

    for (size_t g = 0; ok && g < m->ngrades; g++)
        set(required, m->grades[g].id, json_integer(c->required[g]), &ok);
    return json_pack("{s:{s:b,s:o,s:o}}", "ladder", "core", c->core, "required",
                     finish(required, ok), "learning", learning_json(m, c));
}

struct item_spec {
    enum kind kind;
    const char *id, *title, *notes;
    size_t pos;  /* in its model array */
    json_t *ext; /* stolen; NULL for none */
};

static json_t *item_json(const struct ldr_model *m, const struct ref *doc,
                         const struct item_spec *s)
{
    struct ref r;
    char list[24];

    make_ref(&r, m->id, kinds[s->kind].urn, s->id, s->title);
    snprintf(list, sizeof list, "%zu", s->pos + 1);
    return json_pack(
        "{s:s,s:s,s:o,s:s,s:s,s:s,s:s,s:s*,s:s,s:s,s:o*}", "identifier", r.id,
        "uri", r.uri, "CFDocumentURI", link_to(doc), "fullStatement", s->title,
        "humanCodingScheme", s->id, "listEnumeration", list, "CFItemType",
        kinds[s->kind].type, "notes", s->notes, "language", m->language,
        "lastChangeDateTime", EPOCH, "extensions", s->ext);
}

static json_t *items_json(const struct ldr_model *m, const struct ref *doc)
{
    json_t *arr = json_array();
    bool ok = arr != NULL;

    for (size_t i = 0; ok && i < m->ncategories; i++) {
        struct item_spec s = {
            K_CATEGORY, m->categories[i].id, m->categories[i].title, NULL, i,
            NULL};
        append(arr, item_json(m, doc, &s), &ok);
    }
    for (size_t i = 0; ok && i < m->ncompetencies; i++) {
        const struct ldr_competency *c = &m->competencies[i];
        struct item_spec s = {K_COMPETENCY,   c->id, c->title,
                              c->description, i,     competency_ext(m, c)};
        ok = s.ext != NULL;
        if (ok)
            append(arr, item_json(m, doc, &s), &ok);
    }
    for (size_t i = 0; ok && i < m->ngrades; i++) {
        struct item_spec s = {K_GRADE,
                              m->grades[i].id,
                              m->grades[i].title,
                              m->grades[i].description,
                              i,
                              NULL};
        append(arr, item_json(m, doc, &s), &ok);
    }
    return finish(arr, ok);
}

static json_t *association_json(const struct ldr_model *m,
                                const struct ref *doc, enum kind kind,
                                const char *child_id, const struct ref *child,
                                const struct ref *parent, size_t seq)
{
    struct ref r;
    char local[REF_MAX];

    snprintf(local, sizeof local, "%s:%s", kinds[kind].urn, child_id);
    make_ref(&r, m->id, "association", local, NULL);
    return json_pack(
        "{s:s,s:s,s:o,s:s,s:I,s:o,s:o,s:s}", "identifier", r.id, "uri", r.uri,
        "CFDocumentURI", link_to(doc), "associationType", "isChildOf",
        "sequenceNumber", (json_int_t)seq, "originNodeURI", link_to(child),
        "destinationNodeURI", link_to(parent), "lastChangeDateTime", EPOCH);
}

static const struct ldr_category *category_of(const struct ldr_model *m,
                                              const char *id)
{
    for (size_t i = 0; i < m->ncategories; i++)
        if (strcmp(m->categories[i].id, id) == 0)
            return &m->categories[i];
    return NULL;
}

/* Categories and grades are children of the document, competencies of
 * their category; sequenceNumber keeps the model's order. */
static json_t *associations_json(const struct ldr_model *m,
                                 const struct ref *doc)
{
    json_t *arr = json_array();
    bool ok = arr != NULL;
    struct ref child, parent;

    for (size_t i = 0; ok && i < m->ncategories; i++) {
        const struct ldr_category *c = &m->categories[i];
        make_ref(&child, m->id, "category", c->id, c->title);
        append(arr,
               association_json(m, doc, K_CATEGORY, c->id, &child, doc, i + 1),
               &ok);
    }
    for (size_t i = 0; ok && i < m->ncompetencies; i++) {
        const struct ldr_competency *c = &m->competencies[i];
        const struct ldr_category *cat = category_of(m, c->category);
        if (!cat)
            continue;
        make_ref(&child, m->id, "competency", c->id, c->title);
        make_ref(&parent, m->id, "category", cat->id, cat->title);
        append(arr,
               association_json(m, doc, K_COMPETENCY, c->id, &child, &parent,
                                i + 1),
               &ok);
    }
    for (size_t i = 0; ok && i < m->ngrades; i++) {
        const struct ldr_grade *g = &m->grades[i];
        make_ref(&child, m->id, "grade", g->id, g->title);
        append(arr,
               association_json(m, doc, K_GRADE, g->id, &child, doc,
                                m->ncategories + i + 1),
               &ok);
    }
    return finish(arr, ok);
}

static json_t *levels_json(const struct ldr_model *m,
                           const struct ldr_competency *c,
                           const struct ref *crit)
{
    json_t *arr = json_array();
    bool ok = arr != NULL;

    for (size_t k = 0; ok && k < m->nlevels; k++) {
        const struct ldr_level *l = &m->levels[k];
        char local[REF_MAX];
        struct ref r;

        snprintf(local, sizeof local, "%s:%d", c->id, l->level);
        make_ref(&r, m->id, "level", local, l->label);
        append(arr,
               json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:s,s:s}", "identifier",
                         r.id, "uri", r.uri, "description", c->behaviours[k],
                         "quality", l->label, "score", l->level, "position",
                         l->level, "rubricCriterionId", crit->id,
                         "lastChangeDateTime", EPOCH),
               &ok);
    }
    return finish(arr, ok);
}

static json_t *criterion_json(const struct ldr_model *m, size_t i,
                              const struct ref *rubric)
{
    const struct ldr_competency *c = &m->competencies[i];
    const struct ldr_category *cat = category_of(m, c->category);
    struct ref r, item;

    make_ref(&r, m->id, "criterion", c->id, c->title);
    make_ref(&item, m->id, "competency", c->id, c->title);
    return json_pack("{s:s,s:s,s:s*,s:s,s:o,s:o,s:I,s:s,s:s,s:o}", "identifier",
                     r.id, "uri", r.uri, "category", cat ? cat->title : NULL,
                     "description", c->title, "CFItemURI", link_to(&item),
                     "weight", num(c->weight), "position", (json_int_t)i + 1,
                     "rubricId", rubric->id, "lastChangeDateTime", EPOCH,
                     "CFRubricCriterionLevels", levels_json(m, c, &r));
}

/* One rubric, the behaviourally anchored rating scale of the model. */
static json_t *rubrics_json(const struct ldr_model *m)
{
    json_t *criteria = json_array();
    bool ok = criteria != NULL;
    struct ref r;

    make_ref(&r, m->id, "rubric", "scale", m->title);
    for (size_t i = 0; ok && i < m->ncompetencies; i++)
        append(criteria, criterion_json(m, i, &r), &ok);
    return json_pack("[{s:s,s:s,s:s,s:s,s:s,s:o}]", "identifier", r.id, "uri",
                     r.uri, "title", m->title, "description",
                     "behaviours expected at each level of the scale",
                     "lastChangeDateTime", EPOCH, "CFRubricCriteria",
                     finish(criteria, ok));
}

json_t *ldr_case_export(const struct ldr_model *model)
{
    struct ref doc;

    make_ref(&doc, model->id, "document", NULL, model->title);
    return json_pack(
        "{s:o,s:o,s:o,s:o}", "CFDocument", document_json(model, &doc),
        "CFItems", items_json(model, &doc), "CFAssociations",
        associations_json(model, &doc), "CFRubrics", rubrics_json(model));
}

/* ---- import ---- */

static void ptrf(char out[PTR_MAX], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Formats a JSON Pointer; one longer than PTR_MAX is cut, as a problem's
 * path would be. */
static void ptrf(char out[PTR_MAX], const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (vsnprintf(out, PTR_MAX, fmt, ap) < 0)
        out[0] = '\0';
    va_end(ap);
}

struct node {
    const json_t *obj; /* the CFItem */
    const char *ident;
    size_t at;  /* index in CFItems */
    int kind;   /* enum kind */
    long order; /* listEnumeration; 0 when the kind is in package order */
    size_t pos; /* index in its model array */
    json_t *out;
    char parent[PTR_MAX];    /* the association that gave the category */
    char criterion[PTR_MAX]; /* the rubric criterion of a competency */
};

struct imp {
    const json_t *pkg;
    struct ldr_problems *problems; /* may be NULL */
    size_t nproblems;
    bool oom;
    const char *doc_id;
    struct node *nodes;
    size_t nnodes;
    json_t *index;           /* identifier -> index in nodes */
    json_t *arrays[K_COUNT]; /* the model's categories, competencies, ... */
    json_t *exact;           /* model pointer -> package pointer */
    json_t *tree;            /* the same, for a subtree copied as it is */
};

static void problem(struct imp *im, const char *base, const char *sub,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void problem(struct imp *im, const char *base, const char *sub,
                    const char *fmt, ...)
{
    struct ldr_problems *ps = im->problems;
    struct ldr_problem *p;
    va_list ap;

    im->nproblems++;
    if (!ps)
        return;
    if (ps->count == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 8;
        struct ldr_problem *items = realloc(ps->items, cap * sizeof *items);
        if (!items) {
            im->oom = true;
            return;
        }
        ps->items = items;
        ps->cap = cap;
    }
    p = &ps->items[ps->count++];
    ptrf(p->path, "%s%s", base, sub);
    va_start(ap, fmt);
    vsnprintf(p->message, sizeof p->message, fmt, ap);
    va_end(ap);
}

static void map_ptr(struct imp *im, json_t *table, const char *model_ptr,
                    const char *pkg_ptr)
{
    if (json_object_set_new(table, model_ptr, json_string(pkg_ptr)))
        im->oom = true;
}

/* Copies src[skey] to dst[dkey] (if there is one) and remembers where the
 * model member came from, also when it is missing. */
static void copy(struct imp *im, json_t *dst, const char *dkey,
                 const json_t *src, const char *skey, const char *mprefix,
                 const char *pprefix)
{
    const json_t *v = json_object_get(src, skey);
    char mptr[PTR_MAX], pptr[PTR_MAX];

    ptrf(mptr, "%s/%s", mprefix, dkey);
    ptrf(pptr, "%s/%s", pprefix, skey);
    map_ptr(im, im->exact, mptr, pptr);
    if (v && json_object_set_new(dst, dkey, json_deep_copy(v)))
        im->oom = true;
}

static int kind_of(const json_t *item)
{
    const char *type = json_string_value(json_object_get(item, "CFItemType"));

    if (!type) /* CASE 1.1 may give the type only as a link */
        type = json_string_value(
            json_object_get(json_object_get(item, "CFItemTypeURI"), "title"));
    for (int k = 0; type && k < K_COUNT; k++)
        if (strcmp(type, kinds[k].type) == 0)
            return k;
    return -1;
}

/* A listEnumeration of 1 to 9 digits, or 0. */
static long list_order(const json_t *item)
{
    const char *s = json_string_value(json_object_get(item, "listEnumeration"));
    size_t n = s ? strspn(s, "0123456789") : 0;

    if (n == 0 || n > 9 || s[n] != '\0')
        return 0;
    return strtol(s, NULL, 10);
}

static void read_item(struct imp *im, const json_t *it, size_t i)
{
    char path[PTR_MAX];
    const char *ident = json_string_value(json_object_get(it, "identifier"));
    int kind = kind_of(it);
    struct node *n;

    ptrf(path, "/CFItems/%zu", i);
    if (!json_is_object(it)) {
        problem(im, path, "", "expected a CFItem object");
        return;
    }
    if (!ident)
        problem(im, path, "/identifier",
                "missing: every CFItem needs an identifier");
    if (kind < 0)
        problem(im, path, "/CFItemType",
                "expected \"Category\", \"Competency\" or \"Grade\"");
    if (!ident || kind < 0)
        return;
    n = &im->nodes[im->nnodes++];
    n->obj = it;
    n->ident = ident;
    n->at = i;
    n->kind = kind;
    n->order = list_order(it);
}

static int by_order(const void *a, const void *b)
{
    const struct node *x = a, *y = b;

    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

/*
 * Items of each kind in listEnumeration order when all of them have one,
 * otherwise in package order; then the identifier index.
 */
static void sort_items(struct imp *im)
{
    bool numbered[K_COUNT] = {true, true, true};

    for (size_t i = 0; i < im->nnodes; i++)
        if (im->nodes[i].order == 0)
            numbered[im->nodes[i].kind] = false;
    for (size_t i = 0; i < im->nnodes; i++)
        if (!numbered[im->nodes[i].kind])
            im->nodes[i].order = 0;
    qsort(im->nodes, im->nnodes, sizeof *im->nodes, by_order);
    for (size_t i = 0; i < im->nnodes; i++) {
        struct node *n = &im->nodes[i];
        const json_t *seen = json_object_get(im->index, n->ident);
        char path[PTR_MAX];

        ptrf(path, "/CFItems/%zu", n->at);
        if (seen) {
            problem(im, path, "/identifier",
                    "duplicate identifier '%s' (also /CFItems/%zu)", n->ident,
                    im->nodes[json_integer_value(seen)].at);
            continue;
        }
        n->pos = json_array_size(im->arrays[n->kind]);
        n->out = json_object();
        if (json_array_append_new(im->arrays[n->kind], n->out) ||
            json_object_set_new(im->index, n->ident,
                                json_integer((json_int_t)i)))
            im->oom = true;
    }
}

static void read_items(struct imp *im)
{
    const json_t *items = json_object_get(im->pkg, "CFItems");
    const json_t *it;
    size_t i;

    if (!json_is_array(items)) {
        problem(im, "/CFItems", "",
                "expected an array of CFItems: the categories, competencies "
                "and grades");
        return;
    }
    im->nodes = calloc(json_array_size(items) + 1, sizeof *im->nodes);
    if (!im->nodes) {
        im->oom = true;
        return;
    }
    json_array_foreach(items, i, it)
    {
        read_item(im, it, i);
    }
    sort_items(im);
}

static void model_prefix(char out[PTR_MAX], const struct node *n)
{
    ptrf(out, "/%s/%zu", kinds[n->kind].array, n->pos);
}

/* id, title and description of a model object from CASE fields. */
static void fill_items(struct imp *im)
{
    for (size_t i = 0; i < im->nnodes; i++) {
        struct node *n = &im->nodes[i];
        char mp[PTR_MAX], pp[PTR_MAX];

        if (!n->out)
            continue;
        model_prefix(mp, n);
        ptrf(pp, "/CFItems/%zu", n->at);
        map_ptr(im, im->exact, mp, pp);
        copy(im, n->out, "id", n->obj, "humanCodingScheme", mp, pp);
        copy(im, n->out, "title", n->obj, "fullStatement", mp, pp);
        if (n->kind != K_CATEGORY)
            copy(im, n->out, "description", n->obj, "notes", mp, pp);
    }
}

/* The item a LinkURI member of `obj` points to; NULL (and a problem) when
 * it names none. `doc_ok` lets it name the document (returns NULL). */
static struct node *linked(struct imp *im, const json_t *obj, const char *key,
                           const char *path, bool doc_ok, bool *is_doc)
{
    const char *ident = json_string_value(
        json_object_get(json_object_get(obj, key), "identifier"));
    const json_t *at;
    char sub[PTR_MAX];

    ptrf(sub, "/%s", key);
    *is_doc = false;
    if (!ident) {
        problem(im, path, sub, "expected a link with an identifier");
        return NULL;
    }
    if (doc_ok && im->doc_id && strcmp(ident, im->doc_id) == 0) {
        *is_doc = true;
        return NULL;
    }
    at = json_object_get(im->index, ident);
    if (!at) {
        problem(im, path, sub, "unknown item '%s': not among the CFItems",
                ident);
        return NULL;
    }
    return &im->nodes[json_integer_value(at)];
}

static void child_of_category(struct imp *im, struct node *child,
                              struct node *parent, const char *path)
{
    char mp[PTR_MAX], mptr[PTR_MAX], pptr[PTR_MAX];
    const json_t *id = json_object_get(parent->obj, "humanCodingScheme");

    if (parent->kind != K_CATEGORY) {
        problem(im, path, "/destinationNodeURI",
                "a competency is a child of a category; '%s' is a %s",
                parent->ident, kinds[parent->kind].type);
        return;
    }
    if (child->parent[0]) {
        problem(im, path, "",
                "competency '%s' already has a category (%s); it can have "
                "only one",
                child->ident, child->parent);
        return;
    }
    ptrf(child->parent, "%s", path);
    model_prefix(mp, child);
    ptrf(mptr, "%s/category", mp);
    ptrf(pptr, "%s/destinationNodeURI", path);
    map_ptr(im, im->exact, mptr, pptr);
    if (id && child->out &&
        json_object_set_new(child->out, "category", json_deep_copy(id)))
        im->oom = true;
}

static void read_association(struct imp *im, const json_t *a, size_t j)
{
    char path[PTR_MAX];
    const char *type = json_string_value(json_object_get(a, "associationType"));
    struct node *child, *parent;
    bool child_doc, parent_doc;

    ptrf(path, "/CFAssociations/%zu", j);
    if (!type) {
        problem(im, path, "/associationType",
                "expected an association with an associationType");
        return;
    }
    if (strcmp(type, "isChildOf") != 0)
        return; /* other kinds carry nothing a model keeps */
    child = linked(im, a, "originNodeURI", path, false, &child_doc);
    parent = linked(im, a, "destinationNodeURI", path, true, &parent_doc);
    if (!child || (!parent && !parent_doc))
        return;
    if (child->kind == K_COMPETENCY) {
        if (parent_doc)
            problem(im, path, "/destinationNodeURI",
                    "a competency is a child of a category, not of the "
                    "document");
        else
            child_of_category(im, child, parent, path);
    } else if (!parent_doc) {
        problem(im, path, "/destinationNodeURI",
                "a %s is a child of the document", kinds[child->kind].type);
    }
}

static void read_associations(struct imp *im)
{
    const json_t *arr = json_object_get(im->pkg, "CFAssociations");
    const json_t *a;
    size_t j;

    if (!arr)
        return; /* then the competencies say they have no category */
    if (!json_is_array(arr)) {
        problem(im, "/CFAssociations", "", "expected an array");
        return;
    }
    json_array_foreach(arr, j, a)
    {
        read_association(im, a, j);
    }
}

/* One CFRubricCriterionLevel: the behaviour of one scale level. */
static void read_level(struct imp *im, json_t *behaviours, const json_t *lv,
                       const char *path, const char *mp)
{
    const json_t *score = json_object_get(lv, "score");
    const json_t *desc = json_object_get(lv, "description");
    double s = json_number_value(score);
    char key[16], mptr[PTR_MAX], pptr[PTR_MAX];

    if (!json_is_number(score) || s < 1 || s > 99 || s != (double)(int)s) {
        problem(im, path, "/score",
                "expected the level on the scale, an integer from 1");
        return;
    }
    snprintf(key, sizeof key, "%d", (int)s);
    if (json_object_get(behaviours, key)) {
        problem(im, path, "/score", "level %s appears twice in this criterion",
                key);
        return;
    }
    ptrf(mptr, "%s/behaviours/%s", mp, key);
    ptrf(pptr, "%s/description", path);
    map_ptr(im, im->exact, mptr, pptr);
    if (desc && json_object_set_new(behaviours, key, json_deep_copy(desc)))
        im->oom = true;
}

static void read_levels(struct imp *im, struct node *n, const json_t *crit,
                        const char *path)
{
    const json_t *levels = json_object_get(crit, "CFRubricCriterionLevels");
    json_t *behaviours = json_object();
    const json_t *lv;
    char mp[PTR_MAX], lpath[PTR_MAX];
    size_t i;

    model_prefix(mp, n);
    ptrf(lpath, "%s/behaviours", mp);
    map_ptr(im, im->exact, lpath, path);
    if (!json_is_array(levels)) {
        problem(im, path, "/CFRubricCriterionLevels",
                "expected an array with a level for each level of the scale");
        json_decref(behaviours);
        return;
    }
    json_array_foreach(levels, i, lv)
    {
        ptrf(lpath, "%s/CFRubricCriterionLevels/%zu", path, i);
        read_level(im, behaviours, lv, lpath, mp);
    }
    if (json_object_set_new(n->out, "behaviours", behaviours))
        im->oom = true;
}

static void read_criterion(struct imp *im, const json_t *crit, const char *path)
{
    bool is_doc;
    struct node *n = linked(im, crit, "CFItemURI", path, false, &is_doc);
    char mp[PTR_MAX];

    if (!n || !n->out)
        return;
    if (n->kind != K_COMPETENCY) {
        problem(im, path, "/CFItemURI",
                "a criterion rates a competency; '%s' is a %s", n->ident,
                kinds[n->kind].type);
        return;
    }
    if (n->criterion[0]) {
        problem(im, path, "",
                "a second criterion for competency '%s' (also %s)", n->ident,
                n->criterion);
        return;
    }
    ptrf(n->criterion, "%s", path);
    model_prefix(mp, n);
    copy(im, n->out, "weight", crit, "weight", mp, path);
    read_levels(im, n, crit, path);
}

static void read_rubric(struct imp *im, const json_t *rubric, size_t r)
{
    const json_t *criteria = json_object_get(rubric, "CFRubricCriteria");
    const json_t *c;
    char path[PTR_MAX];
    size_t i;

    ptrf(path, "/CFRubrics/%zu", r);
    if (!json_is_array(criteria)) {
        problem(im, path, "/CFRubricCriteria",
                "expected an array of criteria, one per competency");
        return;
    }
    json_array_foreach(criteria, i, c)
    {
        char cpath[PTR_MAX];

        ptrf(cpath, "%s/CFRubricCriteria/%zu", path, i);
        read_criterion(im, c, cpath);
    }
}

static void read_rubrics(struct imp *im)
{
    const json_t *arr = json_object_get(im->pkg, "CFRubrics");
    const json_t *rubric;
    size_t r;

    if (!json_is_array(arr)) {
        problem(im, "/CFRubrics", "",
                "expected an array with the rubric of the behaviour scale");
        return;
    }
    json_array_foreach(arr, r, rubric)
    {
        read_rubric(im, rubric, r);
    }
}

/*
 * Copies the members of extensions.ladder of `src` into `dst`: they are
 * model members as they are. One that a CASE field already gave is a
 * problem, so the two cannot disagree silently.
 */
static void copy_extension(struct imp *im, json_t *dst, const json_t *src,
                           const char *mp, const char *pp)
{
    /* Jansson's object iteration takes a non-const value; it reads only. */
    json_t *ext = json_object_get(json_object_get(src, "extensions"), "ladder");
    char base[PTR_MAX];
    const char *key;
    json_t *v;

    ptrf(base, "%s/extensions/ladder", pp);
    if (!ext)
        return;
    if (!json_is_object(ext)) {
        problem(im, base, "", "expected an object of model members");
        return;
    }
    json_object_foreach(ext, key, v)
    {
        char esc[PTR_MAX], mptr[PTR_MAX], pptr[PTR_MAX];

        ldr_jsonptr_escape(esc, sizeof esc, key);
        ptrf(pptr, "%s/%s", base, esc);
        if (json_object_get(dst, key)) {
            problem(im, pptr, "",
                    "'%s' is already given by a CASE field; remove it here",
                    key);
            continue;
        }
        ptrf(mptr, "%s/%s", mp, esc);
        map_ptr(im, im->tree, mptr, pptr);
        if (json_object_set_new(dst, key, json_deep_copy(v)))
            im->oom = true;
    }
}

/* Where top-level model members come from, also when they are missing. */
static void map_document(struct imp *im)
{
    static const char *const ext[] = {
        "format", "id", "scale", "questions", "evaluation", "certification"};
    char mptr[PTR_MAX], pptr[PTR_MAX];

    map_ptr(im, im->exact, "", "/CFDocument");
    map_ptr(im, im->exact, "/categories", "/CFItems");
    map_ptr(im, im->exact, "/grades", "/CFItems");
    map_ptr(im, im->exact, "/competencies", "/CFRubrics/0/CFRubricCriteria");
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        ptrf(mptr, "/%s", ext[i]);
        ptrf(pptr, "/CFDocument/extensions/ladder/%s", ext[i]);
        map_ptr(im, im->tree, mptr, pptr);
    }
}

/* What only CASE relations give a competency, said in CASE terms. */
static void check_competency(struct imp *im, const struct node *n,
                             const char *path)
{
    const char *code =
        json_string_value(json_object_get(n->obj, "humanCodingScheme"));

    if (!code)
        code = n->ident;
    if (!json_object_get(n->out, "category"))
        problem(im, path, "",
                "competency '%s' is in no category: add an isChildOf "
                "association to a Category item",
                code);
    if (!json_object_get(n->out, "behaviours"))
        problem(im, path, "",
                "no criterion in CFRubrics rates competency '%s': add one "
                "with its behaviour for each level",
                code);
}

static json_t *assemble(struct imp *im, const json_t *doc)
{
    json_t *m = json_object();

    if (!m) {
        im->oom = true;
        return NULL;
    }
    map_document(im);
    copy(im, m, "title", doc, "title", "", "/CFDocument");
    copy(im, m, "language", doc, "language", "", "/CFDocument");
    copy(im, m, "description", doc, "description", "", "/CFDocument");
    for (int k = 0; k < K_COUNT; k++)
        if (json_object_set(m, kinds[k].array, im->arrays[k]))
            im->oom = true;
    copy_extension(im, m, doc, "", "/CFDocument");
    for (size_t i = 0; i < im->nnodes; i++) {
        struct node *n = &im->nodes[i];
        char mp[PTR_MAX], pp[PTR_MAX];

        if (!n->out)
            continue;
        model_prefix(mp, n);
        ptrf(pp, "/CFItems/%zu", n->at);
        copy_extension(im, n->out, n->obj, mp, pp);
        if (n->kind == K_COMPETENCY)
            check_competency(im, n, pp);
    }
    return m;
}

static json_t *read_package(struct imp *im)
{
    const json_t *doc = json_object_get(im->pkg, "CFDocument");

    if (!json_is_object(im->pkg)) {
        problem(im, "", "",
                "expected a CASE package: an object with CFDocument, "
                "CFItems, CFAssociations and CFRubrics");
        return NULL;
    }
    if (!json_is_object(doc)) {
        problem(im, "/CFDocument", "",
                "missing: a package needs the CFDocument of the model");
        return NULL;
    }
    im->doc_id = json_string_value(json_object_get(doc, "identifier"));
    if (!im->doc_id)
        problem(im, "/CFDocument", "/identifier",
                "missing: the CFDocument needs an identifier");
    read_items(im);
    fill_items(im);
    read_associations(im);
    read_rubrics(im);
    return assemble(im, doc);
}

/* Rewrites a model pointer into the package pointer it came from. */
static void translate(const struct imp *im, struct ldr_problem *p)
{
    char prefix[sizeof p->path], out[sizeof p->path];
    const char *to;

    memcpy(prefix, p->path, sizeof prefix);
    for (;;) {
        to = json_string_value(json_object_get(im->tree, prefix));
        if (to) {
            ptrf(out, "%s%s", to, p->path + strlen(prefix));
            break;
        }
        to = json_string_value(json_object_get(im->exact, prefix));
        if (to) {
            ptrf(out, "%s", to);
            break;
        }
        if (!strrchr(prefix, '/'))
            return;
        *strrchr(prefix, '/') = '\0';
    }
    memcpy(p->path, out, sizeof out);
}

/*
 * A missing member is reported at its parent; when CASE keeps it under
 * another name (notes, fullStatement, weight ...), point at that field.
 */
static void translate_missing(const struct imp *im, struct ldr_problem *p)
{
    static const char lead[] = "missing member '";
    const char *key = p->message + strlen(lead), *end;
    char name[PTR_MAX], esc[PTR_MAX], full[PTR_MAX];

    if (strncmp(p->message, lead, strlen(lead)) != 0 ||
        !(end = strchr(key, '\'')) || (size_t)(end - key) >= sizeof name)
        return;
    memcpy(name, key, (size_t)(end - key));
    name[end - key] = '\0';
    ldr_jsonptr_escape(esc, sizeof esc, name);
    ptrf(full, "%s/%s", p->path, esc);
    if (json_object_get(im->exact, full) || json_object_get(im->tree, full))
        ptrf(p->path, "%s", full);
}

static int parse_model(struct imp *im, struct ldr_model **out,
                       const json_t *model, struct ldr_err *err)
{
    size_t before = im->problems ? im->problems->count : 0;
    char *text = json_dumps(model, JSON_INDENT(2));
    int rc;

    if (!text)
        return ldr_err_set(err, LDR_ENOMEM,
                           "out of memory importing a case package");
    rc = ldr_model_parse(out, text, strlen(text), im->problems, err);
    free(text);
    for (size_t i = before; im->problems && i < im->problems->count; i++) {
        translate_missing(im, &im->problems->items[i]);
        translate(im, &im->problems->items[i]);
    }
    if (rc)
        return ldr_err_prefix(err, "case package: ");
    return 0;
}

static void imp_release(struct imp *im)
{
    for (int k = 0; k < K_COUNT; k++)
        json_decref(im->arrays[k]);
    json_decref(im->index);
    json_decref(im->exact);
    json_decref(im->tree);
    free(im->nodes);
}

int ldr_case_import(struct ldr_model **out, const json_t *package,
                    struct ldr_problems *problems, struct ldr_err *err)
{
    struct imp im = {.pkg = package, .problems = problems};
    json_t *model = NULL;
    int rc;

    *out = NULL;
    im.index = json_object();
    im.exact = json_object();
    im.tree = json_object();
    for (int k = 0; k < K_COUNT; k++) {
        im.arrays[k] = json_array();
        im.oom = im.oom || !im.arrays[k];
    }
    if (!im.oom && im.index && im.exact && im.tree)
        model = read_package(&im);
    else
        im.oom = true;
    if (im.oom)
        rc = ldr_err_set(err, LDR_ENOMEM,
                         "out of memory importing a case package");
    else if (im.nproblems)
        rc = ldr_err_set(err, LDR_EINVAL, "case package: %zu problem%s",
                         im.nproblems, im.nproblems == 1 ? "" : "s");
    else
        rc = parse_model(&im, out, model, err);
    json_decref(model);
    imp_release(&im);
    return rc;
}
