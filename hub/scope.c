/*
 * Who may write and read what (DESIGN.md section 5, docs/protocol.md
 * section 9). Default deny: a write is allowed only by a rule below; a
 * read only by the SQL condition HUB_READABLE_SQL, so that paging counts
 * what the caller may see.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "ladder/domain.h"

static bool deny(char why[HUB_WHY_MAX], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool deny(char why[HUB_WHY_MAX], const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(why, HUB_WHY_MAX, "forbidden: ");

    va_start(ap, fmt);
    vsnprintf(why + n, HUB_WHY_MAX - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* "north, south" for messages; cut when long. */
static const char *units_text(char *buf, size_t cap,
                              const struct hub_principal *p)
{
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < p->nunits && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "",
                              p->units[i]);
    return p->nunits ? buf : "no units";
}

bool hub_may_write_as(const struct hub_principal *p,
                      const struct ldr_change *ch, char why[HUB_WHY_MAX])
{
    if (p->role == HUB_ADMIN)
        return deny(why, "an admin token writes no records; write with a "
                         "token of your own role");
    if (strcmp(ch->author, p->id) != 0)
        return deny(why, "author '%.128s' is not you ('%s')", ch->author,
                    p->id);
    return true;
}

/* The roster in the database: what hub_person_unit() answers. */
static int query_unit(struct hub_apply *a, const char *person,
                      char unit[HUB_UNIT_MAX + 1])
{
    sqlite3_stmt *st = a->st[HUB_ST_GET_PERSON];
    char id[LDR_UUID_LEN + 1];
    int rc;

    unit[0] = '\0';
    ldr_domain_person_record(id, person);
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT)
        snprintf(unit, HUB_UNIT_MAX + 1, "%s", sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return LDR_EDB;
    return rc == SQLITE_ROW;
}

/* A person looked up during the set, and the answer. */
struct hub_unit {
    char *person; /* NULL: a free slot */
    int found;
    char unit[HUB_UNIT_MAX + 1];
};

static size_t hash_text(const char *s)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)h;
}

/* The slot of `person`: theirs, or the free one where they would go. */
static struct hub_unit *unit_slot(struct hub_writer *w, const char *person)
{
    size_t mask = w->units_cap - 1, i = hash_text(person) & mask;

    while (w->units[i].person && strcmp(w->units[i].person, person) != 0)
        i = (i + 1) & mask;
    return &w->units[i];
}

/* Room for one more; at most half full, so that probes stay short. */
static int units_grow(struct hub_writer *w)
{
    struct hub_unit *old;
    size_t cap, grown;

    if (w->units_used >= HUB_UNITS_KEPT)
        hub_units_forget(w);
    if (2 * (w->units_used + 1) <= w->units_cap)
        return 0;
    old = w->units;
    cap = w->units_cap;
    grown = cap ? 2 * cap : 64;
    if (!(w->units = calloc(grown, sizeof *w->units))) {
        w->units = old;
        return LDR_ENOMEM;
    }
    w->units_cap = grown;
    for (size_t i = 0; i < cap; i++)
        if (old[i].person)
            *unit_slot(w, old[i].person) = old[i];
    free(old);
    return 0;
}

int hub_person_unit(struct hub_apply *a, const char *person,
                    char unit[HUB_UNIT_MAX + 1])
{
    struct hub_writer *w = a->w;
    struct hub_unit *u;
    int rc;

    if (units_grow(w) != 0) /* no room to remember: ask again */
        return query_unit(a, person, unit);
    u = unit_slot(w, person);
    if (u->person) {
        memcpy(unit, u->unit, strlen(u->unit) + 1);
        return u->found;
    }
    rc = query_unit(a, person, unit);
    if (rc >= 0 && (u->person = strdup(person))) {
        u->found = rc;
        memcpy(u->unit, unit, strlen(unit) + 1);
        w->units_used++;
    }
    return rc;
}

void hub_units_forget(struct hub_writer *w)
{
    for (size_t i = 0; i < w->units_cap; i++)
        free(w->units[i].person);
    free(w->units);
    w->units = NULL;
    w->units_cap = w->units_used = 0;
}

/* The subject (fixed once set, so the stored one) in the caller's scope. */
static bool subject_in_scope(struct hub_apply *a, const char *what,
                             const json_t *before, const json_t *after,
                             char why[HUB_WHY_MAX])
{
    const char *subject = before ? str(before, "subject") : NULL;
    char unit[HUB_UNIT_MAX + 1], units[256];

    if (!subject)
        subject = str(after, "subject");
    if (!subject)
        return deny(why, "%s has no /subject, so it is in none of your units",
                    what);
    /* one message for "not on the roster" and "elsewhere": a token learns
     * nothing about people outside its scope */
    if (hub_person_unit(a, subject, unit) != 1 || !hub_in_scope(a->p, unit))
        return deny(why,
                    "subject '%.64s' is not a person on the roster in "
                    "your scope (%s)",
                    subject, units_text(units, sizeof units, a->p));
    return true;
}

static bool person_write(struct hub_apply *a, const json_t *before,
                         const json_t *after, char why[HUB_WHY_MAX])
{
    const char *was = before ? str(before, "unit") : NULL;
    const char *now = str(after, "unit");
    char units[256];

    if (a->p->role != HUB_HR)
        return deny(why,
                    "only hr edits the roster (person records); you "
                    "are %s",
                    hub_role_name(a->p->role));
    if (was && !hub_in_scope(a->p, was))
        return deny(why,
                    "person '%.64s' is in unit '%s', outside your scope "
                    "(%s)",
                    str(before, "id"), was,
                    units_text(units, sizeof units, a->p));
    if (!now || !hub_in_scope(a->p, now))
        return deny(why, "unit '%.64s' is outside your scope (%s)",
                    now ? now : "(none)",
                    units_text(units, sizeof units, a->p));
    return true;
}

static bool assessment_write(struct hub_apply *a, const json_t *before,
                             const json_t *after, char why[HUB_WHY_MAX])
{
    const char *was = before ? str(before, "state") : NULL;
    const char *now = str(after, "state");

    if (!subject_in_scope(a, "the assessment", before, after, why))
        return false;
    if (a->p->role == HUB_ASSESSOR && same(str(after, "kind"), "pilot"))
        return deny(why, "only trainers and hr write pilot assessments");
    if (a->p->role == HUB_HR || !was || same(was, now) ||
        (same(was, "draft") && same(now, "submitted")))
        return true;
    return deny(why,
                "only hr reopens or withdraws an assessment (state "
                "'%s' to '%.32s'); you may submit a draft",
                was, now ? now : "(none)");
}

static bool note_write(struct hub_apply *a, const json_t *before,
                       const json_t *after, char why[HUB_WHY_MAX])
{
    const char *author = before ? str(before, "author") : str(after, "author");
    bool private = json_is_true(json_object_get(before, "private")) ||
                   json_is_true(json_object_get(after, "private"));

    if (!subject_in_scope(a, "the note", before, after, why))
        return false;
    /* a private note belongs to the author its /author names */
    if (!before && author && strcmp(author, a->p->id) != 0)
        return deny(why,
                    "a new note's /author must be you ('%s'), not "
                    "'%.64s'",
                    a->p->id, author);
    if (private && a->p->role != HUB_HR && !same(author, a->p->id))
        return deny(why, "the note is private to '%.64s'",
                    author ? author : "(nobody)");
    return true;
}

bool hub_may_write(struct hub_apply *a, const char *kind, const json_t *before,
                   const json_t *after, char why[HUB_WHY_MAX])
{
    if (strcmp(kind, "person") == 0)
        return person_write(a, before, after, why);
    if (strcmp(kind, "assessment") == 0)
        return assessment_write(a, before, after, why);
    if (strcmp(kind, "note") == 0)
        return note_write(a, before, after, why);
    if (strcmp(kind, "pilot") == 0 &&
        (a->p->role == HUB_TRAINER || a->p->role == HUB_HR))
        return true;
    if (strcmp(kind, "pilot") == 0)
        return deny(why, "only trainers and hr write pilot records");
    return deny(why, "no role writes records of kind '%s'", kind);
}

/* ---- reading ------------------------------------------------------------- */

/* The unit of the person a record of `r` is about. */
#define SUBJECT_UNIT                                                           \
    "(SELECT p.unit FROM records p WHERE p.kind = 'person' AND "               \
    "p.id = hub_person_record(r.subject))"
#define IN_SCOPE " IN (SELECT value FROM json_each(:scope))"

const char HUB_READABLE_SQL[] =
    "(:role <> 'admin' AND CASE r.kind"
    " WHEN 'person' THEN r.unit" IN_SCOPE
    " WHEN 'assessment' THEN " SUBJECT_UNIT IN_SCOPE
    " WHEN 'note' THEN " SUBJECT_UNIT IN_SCOPE
    " AND (:role = 'hr' OR NOT r.private OR r.author = :me)"
    " WHEN 'pilot' THEN 1"
    " ELSE 0 END)";

char *hub_scope_json(const struct hub_principal *p)
{
    json_t *units = json_array();
    char *text;

    for (size_t i = 0; units && i < p->nunits; i++)
        json_array_append_new(units, json_string(p->units[i]));
    text = units ? json_dumps(units, JSON_COMPACT) : NULL;
    json_decref(units);
    return text;
}

int hub_bind_reader(sqlite3_stmt *st, const struct hub_principal *p)
{
    char *scope = hub_scope_json(p);

    if (!scope)
        return LDR_ENOMEM;
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":role"),
                      hub_role_name(p->role), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":scope"), scope, -1,
                      free);
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":me"), p->id, -1,
                      SQLITE_TRANSIENT);
    return 0;
}

/* hub_person_record(person id): the record id of that person. */
static void person_record_fn(sqlite3_context *ctx, int argc,
                             sqlite3_value **argv)
{
    const char *person = (const char *)sqlite3_value_text(argv[0]);
    char id[LDR_UUID_LEN + 1];

    (void)argc;
    if (!person) {
        sqlite3_result_null(ctx);
        return;
    }
    ldr_domain_person_record(id, person);
    sqlite3_result_text(ctx, id, -1, SQLITE_TRANSIENT);
}

int hub_sql_functions(sqlite3 *db)
{
    int rc = sqlite3_create_function_v2(
        db, "hub_person_record", 1,
        SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
        person_record_fn, NULL, NULL, NULL);

    return rc == SQLITE_OK ? 0 : LDR_EDB;
}
