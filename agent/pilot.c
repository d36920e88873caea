/* The pilot CSV (docs/pilot-csv.md): read with libcsv, checked row by row. */
#include "pilot.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ladder/err.h"
#include "ladder/model.h"
#include "ladder/utf8.h"

#define ID_MAX 64
#define SHOWN_MAX 40 /* bytes of a cell quoted in a message */

enum col_kind {
    COL_UNNAMED, /* an empty header cell: its cells must be empty */
    COL_IGNORED, /* unknown or repeated: already a problem */
    COL_SUBJECT,
    COL_ASSESSOR,
    COL_GRADE,
    COL_PERFORMANCE,
    COL_LEVEL,   /* "C" */
    COL_TEST,    /* "test:C" */
    COL_EVIDENCE /* "evidence:C" */
};

static const char *const fixed_names[] = {"subject", "assessor", "grade",
                                          "performance"};

struct column {
    enum col_kind kind;
    size_t comp; /* model index, for LEVEL, TEST and EVIDENCE */
    char *name;  /* trimmed header text */
};

/* The cells of the row being read, copied out of libcsv's buffer. */
struct cells {
    char *bytes; /* each cell NUL-terminated */
    size_t len, cap;
    size_t *offs;
    size_t n, ncap;
};

/* What one row holds for one competency, before it becomes a rating. */
struct slot {
    bool has_level, has_test;
    bool level_given; /* a level cell was filled, good or not */
    int level;
    double test;
    const char *evidence; /* in the cells buffer; NULL when empty */
};

/* The line of each subject seen, by open addressing. */
struct seen {
    const char *subject; /* owned by a row */
    size_t line;
};

struct reader {
    struct pilot_file *out;
    const char *name;
    const struct ldr_model *model;
    bool (*person_exists)(void *ctx, const char *id);
    void *ctx;
    struct ldr_err *err;
    int rc;           /* sticky: once set, the callbacks do nothing */
    bool stopped;     /* a CSV syntax error: the rest cannot be trusted */
    size_t line;      /* physical line being fed */
    size_t row_start; /* line the open row starts on; 0 between rows */
    bool row_bad;     /* a line of the open row is not text */
    bool row_results; /* a level, test or performance cell was filled */
    bool have_header, header_bad, listed_columns;
    size_t header_line;
    struct column *cols;
    size_t ncols;
    bool has_col[4]; /* fixed_names */
    struct cells cells;
    struct slot *slots; /* [ncompetencies] */
    struct seen *seen;
    size_t nseen, seencap;
    size_t rowcap, problemcap;
};

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    size_t n = *cap ? *cap : 8;
    void *q;

    if (need <= *cap)
        return p;
    while (n < need)
        n *= 2;
    if (!(q = realloc(p, n * size)))
        return NULL;
    *cap = n;
    return q;
}

static void problem(struct reader *r, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct reader *r, size_t line, const char *fmt, ...)
{
    struct pilot_file *f = r->out;
    struct pilot_problem *p;
    char buf[1024];
    va_list ap;

    if (r->rc || f->problems_total++ >= PILOT_MAX_PROBLEMS)
        return;
    va_start(ap, fmt);
    if (vsnprintf(buf, sizeof buf, fmt, ap) >= (int)sizeof buf)
        ldr_utf8_trim(buf);
    va_end(ap);
    p = grow(f->problems, &r->problemcap, f->nproblems + 2, sizeof *p);
    if (!p || !(p[f->nproblems].message = strdup(buf))) {
        f->problems = p ? p : f->problems;
        r->rc = ldr_err_set(r->err, LDR_ENOMEM, "out of memory");
        return;
    }
    p[f->nproblems++].line = line;
    f->problems = p;
}

/* `s` fit to quote in a message: cut short, control characters as '?'. */
static const char *shown(char buf[SHOWN_MAX + 4], const char *s)
{
    size_t n = ldr_utf8_cut(s, strlen(s), SHOWN_MAX);

    memcpy(buf, s, n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
            buf[i] = '?';
    strcpy(buf + n, s[n] ? "..." : "");
    return buf;
}

/* The spreadsheet letters of 0-based column `i`: A, ..., Z, AA, ... */
static const char *letters(char buf[8], size_t i)
{
    char tmp[8];
    size_t n = 0, k = 0;

    do {
        tmp[n++] = (char)('A' + i % 26);
        i = i / 26;
    } while (i-- > 0 && n < 7);
    while (n > 0)
        buf[k++] = tmp[--n];
    buf[k] = '\0';
    return buf;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Drops the characters of `drop` around `s`, in place. */
static char *trim(char *s, const char *drop)
{
    size_t n;

    while (*s && strchr(drop, *s))
        s++;
    n = strlen(s);
    while (n > 0 && strchr(drop, s[n - 1]))
        s[--n] = '\0';
    return s;
}

static bool id_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > ID_MAX)
        return false;
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789._-") == n;
}

/* A plain decimal, [+-]digits[.digits], with a final '%' if `percent`. */
static bool parse_number(const char *s, bool percent, double *out)
{
    char text[64];
    size_t n = strlen(s), i = 0, digits = 0;

    if (percent && n > 0 && s[n - 1] == '%')
        n--;
    if (n == 0 || n >= sizeof text)
        return false;
    memcpy(text, s, n);
    text[n] = '\0';
    if (text[i] == '+' || text[i] == '-')
        i++;
    for (; text[i] >= '0' && text[i] <= '9'; i++)
        digits++;
    if (text[i] == '.')
        for (i++; text[i] >= '0' && text[i] <= '9'; i++)
            digits++;
    if (digits == 0 || text[i] != '\0')
        return false;
    *out = strtod(text, NULL);
    return isfinite(*out);
}

/* ---- the header ---- */

static void list_columns(struct reader *r, size_t line, const char *what,
                         const char *name)
{
    char list[600] = "", v[SHOWN_MAX + 4];
    size_t n = 0;

    if (r->listed_columns) {
        problem(r, line, "%s '%s'", what, shown(v, name));
        return;
    }
    r->listed_columns = true;
    for (size_t i = 0; i < r->model->ncompetencies && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "",
                              r->model->competencies[i].id);
    problem(r, line,
            "%s '%s'; the columns are subject, assessor, grade, performance "
            "and, for each competency C of model %s, C, test:C and "
            "evidence:C; its competencies: %s",
            what, shown(v, name), r->model->id, list);
}

/* Which column `name` is; COL_IGNORED after saying why. */
static enum col_kind classify(struct reader *r, size_t line, char *name,
                              size_t *comp)
{
    static const struct {
        const char *prefix;
        enum col_kind kind;
    } prefixed[] = {{"test:", COL_TEST}, {"evidence:", COL_EVIDENCE}};
    enum col_kind kind = COL_LEVEL;
    const char *id = name;

    if (!*name)
        return COL_UNNAMED;
    for (size_t i = 0; i < 4; i++)
        if (strcasecmp(name, fixed_names[i]) == 0)
            return (enum col_kind)(COL_SUBJECT + i);
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(prefixed[i].prefix);
        if (strncasecmp(name, prefixed[i].prefix, n) == 0) {
            kind = prefixed[i].kind;
            id = trim(name + n, " \t");
        }
    }
    for (size_t i = 0; i < r->model->ncompetencies; i++)
        if (strcmp(r->model->competencies[i].id, id) == 0) {
            *comp = i;
            return kind;
        }
    list_columns(r, line, "unknown column", name);
    return COL_IGNORED;
}

/* Index of the first earlier column of the same meaning, or `i`. */
static size_t first_same(const struct reader *r, size_t i)
{
    const struct column *c = &r->cols[i];

    for (size_t j = 0; j < i; j++) {
        const struct column *d = &r->cols[j];
        if (d->kind == c->kind && (c->kind < COL_LEVEL || d->comp == c->comp))
            return j;
    }
    return i;
}

static void header(struct reader *r, size_t line)
{
    struct cells *c = &r->cells;
    char a[8], b[8], v[SHOWN_MAX + 4];

    r->have_header = true;
    r->header_line = line;
    if (r->row_bad) {
        r->header_bad = true;
        return;
    }
    if (!(r->cols = calloc(c->n, sizeof *r->cols))) {
        r->rc = ldr_err_set(r->err, LDR_ENOMEM, "out of memory");
        return;
    }
    r->ncols = c->n;
    for (size_t i = 0; i < c->n; i++) {
        struct column *col = &r->cols[i];
        size_t j;
        col->name = trim(c->bytes + c->offs[i], " \t\r\n");
        if (!(col->name = strdup(col->name))) {
            r->rc = ldr_err_set(r->err, LDR_ENOMEM, "out of memory");
            return;
        }
        col->kind = classify(r, line, col->name, &col->comp);
        if (col->kind == COL_UNNAMED || col->kind == COL_IGNORED)
            continue;
        if ((j = first_same(r, i)) != i) {
            problem(r, line,
                    "column '%s' is repeated: it is column %zu (%s) and "
                    "again column %zu (%s)",
                    shown(v, col->name), j + 1, letters(a, j), i + 1,
                    letters(b, i));
            col->kind = COL_IGNORED;
        } else if (col->kind < COL_LEVEL) {
            r->has_col[col->kind - COL_SUBJECT] = true;
        }
    }
    for (size_t k = 0; k < 2; k++)
        if (!r->has_col[k])
            problem(r, line,
                    "no '%s' column; the first row must name the columns, "
                    "e.g. subject,assessor,grade,performance,%s",
                    fixed_names[k],
                    r->model->ncompetencies ? r->model->competencies[0].id
                                            : "");
}

/* ---- the rows ---- */

static bool seen_add(struct reader *r, const char *subject, size_t line,
                     size_t *first)
{
    size_t h = 2166136261u, i;

    if (r->nseen * 2 >= r->seencap) {
        struct seen *old = r->seen;
        size_t oldcap = r->seencap, cap = oldcap ? oldcap * 2 : 64;
        if (!(r->seen = calloc(cap, sizeof *r->seen))) {
            r->seen = old;
            r->rc = ldr_err_set(r->err, LDR_ENOMEM, "out of memory");
            return false;
        }
        r->seencap = cap;
        r->nseen = 0;
        for (i = 0; i < oldcap; i++)
            if (old[i].subject)
                seen_add(r, old[i].subject, old[i].line, first);
        free(old);
    }
    for (const char *s = subject; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    for (i = h & (r->seencap - 1); r->seen[i].subject;
         i = (i + 1) & (r->seencap - 1))
        if (strcmp(r->seen[i].subject, subject) == 0) {
            *first = r->seen[i].line;
            return true;
        }
    r->seen[i].subject = subject;
    r->seen[i].line = line;
    r->nseen++;
    return false;
}

static char *dup_or_null(struct reader *r, const char *s)
{
    char *d;

    if (!*s)
        return NULL;
    if (!(d = strdup(s)))
        r->rc = ldr_err_set(r->err, LDR_ENOMEM, "out of memory");
    return d;
}

static void check_subject(struct reader *r, struct pilot_row *row)
{
    char v[SHOWN_MAX + 4];
    size_t first;

    if (!row->subject) {
        problem(r, row->line,
                "no subject; give the person's id in column 'subject'");
    } else if (!id_valid(row->subject)) {
        problem(r, row->line,
                "subject '%s' is not a person id (1..64 of A-Z a-z 0-9 . _ "
                "-)",
                shown(v, row->subject));
    } else {
        if (r->person_exists && !r->person_exists(r->ctx, row->subject))
            problem(r, row->line,
                    "subject '%s' is not on the roster; add them with "
                    "'ladder person add' first",
                    row->subject);
        if (seen_add(r, row->subject, row->line, &first))
            problem(r, row->line,
                    "subject '%s' is already on line %zu; one row per person",
                    row->subject, first);
    }
}

static void check_assessor(struct reader *r, struct pilot_row *row)
{
    char v[SHOWN_MAX + 4];

    if (!row->assessor)
        problem(r, row->line,
                "no assessor; give the user id in column 'assessor'");
    else if (!id_valid(row->assessor))
        problem(r, row->line,
                "assessor '%s' is not a user id (1..64 of A-Z a-z 0-9 . _ -)",
                shown(v, row->assessor));
}

static void check_grade(struct reader *r, struct pilot_row *row)
{
    struct ldr_err e = {0};

    if (row->grade && ldr_model_check_grade(r->model, row->grade, &e))
        problem(r, row->line, "column 'grade': %s", e.msg);
}

static void read_performance(struct reader *r, struct pilot_row *row,
                             const char *name, const char *s)
{
    char v[SHOWN_MAX + 4];

    if (!parse_number(s, true, &row->performance))
        problem(r, row->line,
                "column '%s': '%s' is not a number; give performance 0..100",
                name, shown(v, s));
    else if (row->performance < 0 || row->performance > 100)
        problem(r, row->line, "column '%s': performance %g is outside 0..100",
                name, row->performance);
    else
        row->has_performance = true;
}

static void read_level(struct reader *r, size_t line, const char *name,
                       struct slot *slot, size_t comp, const char *s)
{
    const char *id = r->model->competencies[comp].id;
    struct ldr_err e = {0};
    char v[SHOWN_MAX + 4];
    double d;

    if (!parse_number(s, false, &d) || d != floor(d) || fabs(d) > 1e6)
        problem(r, line,
                "column '%s': '%s' is not a level; give a whole number "
                "1..%zu",
                name, shown(v, s), r->model->nlevels);
    else if (ldr_model_check_rating(r->model, id, (int)d, &e))
        problem(r, line, "column '%s': %s", name, e.msg);
    else {
        slot->has_level = true;
        slot->level = (int)d;
    }
}

static void read_test(struct reader *r, size_t line, const char *name,
                      struct slot *slot, size_t comp, const char *s)
{
    const char *id = r->model->competencies[comp].id;
    struct ldr_err e = {0};
    char v[SHOWN_MAX + 4];
    double d;

    if (!parse_number(s, true, &d))
        problem(r, line,
                "column '%s': '%s' is not a number; give a test score 0..100",
                name, shown(v, s));
    else if (ldr_model_check_test(r->model, id, d, &e))
        problem(r, line, "column '%s': %s", name, e.msg);
    else {
        slot->has_test = true;
        slot->test = d;
    }
}

static void read_evidence(struct reader *r, size_t line, const char *name,
                          struct slot *slot, char *s)
{
    char *w = s;
    size_t n;

    for (const char *p = s; *p; p++) /* CRLF inside quotes becomes LF */
        if (!(p[0] == '\r' && p[1] == '\n'))
            *w++ = *p;
    *w = '\0';
    s = trim(s, " \t\r\n");
    if ((n = strlen(s)) > PILOT_MAX_EVIDENCE)
        problem(r, line,
                "column '%s': the evidence is %zu bytes; at most %d fit", name,
                n, PILOT_MAX_EVIDENCE);
    else if (*s)
        slot->evidence = s;
}

/* Reads cell `i` of the row into `row` or its competency slot. */
static void read_cell(struct reader *r, struct pilot_row *row, size_t i,
                      char *cell)
{
    const struct column *col = &r->cols[i];
    char *s = col->kind == COL_EVIDENCE ? cell : trim(cell, " \t\r\n");
    struct slot *slot = &r->slots[col->comp];
    char a[8];

    if (!*s || col->kind == COL_IGNORED)
        return;
    if (col->kind == COL_PERFORMANCE || col->kind == COL_TEST)
        r->row_results = true;
    if (col->kind == COL_LEVEL)
        r->row_results = slot->level_given = true;
    switch (col->kind) {
    case COL_UNNAMED:
        problem(r, row->line,
                "a value in column %zu (%s), which has no name in the header",
                i + 1, letters(a, i));
        break;
    case COL_SUBJECT:
        row->subject = dup_or_null(r, s);
        break;
    case COL_ASSESSOR:
        row->assessor = dup_or_null(r, s);
        break;
    case COL_GRADE:
        row->grade = dup_or_null(r, s);
        break;
    case COL_PERFORMANCE:
        read_performance(r, row, col->name, s);
        break;
    case COL_LEVEL:
        read_level(r, row->line, col->name, slot, col->comp, s);
        break;
    case COL_TEST:
        read_test(r, row->line, col->name, slot, col->comp, s);
        break;
    case COL_EVIDENCE:
        read_evidence(r, row->line, col->name, slot, s);
        break;
    case COL_IGNORED:
        break;
    }
}

/* The slots with a value become the row's ratings, in model order. */
static void collect_ratings(struct reader *r, struct pilot_row *row)
{
    const struct ldr_model *m = r->model;
    size_t n = 0;

    for (size_t k = 0; k < m->ncompetencies; k++) {
        struct slot *s = &r->slots[k];
        if (s->evidence && !s->level_given)
            problem(r, row->line,
                    "column 'evidence:%s': evidence without a level in "
                    "column '%s'",
                    m->competencies[k].id, m->competencies[k].id);
        n += s->has_level || s->has_test;
    }
    if (n == 0 && !row->has_performance) {
        if (!r->row_results && row->subject && id_valid(row->subject))
            problem(r, row->line,
                    "no results for '%s'; give a level, a test score or "
                    "performance",
                    row->subject);
        return;
    }
    if (n && !(row->ratings = calloc(n, sizeof *row->ratings))) {
        r->rc = ldr_err_set(r->err, LDR_ENOMEM, "out of memory");
        return;
    }
    for (size_t k = 0; k < m->ncompetencies; k++) {
        struct slot *s = &r->slots[k];
        struct pilot_rating *g = &row->ratings[row->nratings];
        if (!s->has_level && !s->has_test)
            continue;
        row->nratings++;
        g->competency = m->competencies[k].id;
        g->has_level = s->has_level, g->level = s->level;
        g->has_test = s->has_test, g->test = s->test;
        if (s->has_level && s->evidence && !(g->evidence = strdup(s->evidence)))
            r->rc = ldr_err_set(r->err, LDR_ENOMEM, "out of memory");
    }
}

static bool cells_empty(const struct cells *c, size_t from)
{
    for (size_t i = from; i < c->n; i++)
        if (*trim(c->bytes + c->offs[i], " \t\r\n"))
            return false;
    return true;
}

static struct pilot_row *new_row(struct reader *r, size_t line)
{
    struct pilot_file *f = r->out;
    struct pilot_row *rows;

    if (f->nrows >= PILOT_MAX_ROWS) {
        r->rc = ldr_err_set(r->err, LDR_ETOOBIG,
                            "'%s' has more than %d rows; split it into files "
                            "of at most %d rows",
                            r->name, PILOT_MAX_ROWS, PILOT_MAX_ROWS);
        return NULL;
    }
    rows = grow(f->rows, &r->rowcap, f->nrows + 1, sizeof *rows);
    if (!rows) {
        r->rc = ldr_err_set(r->err, LDR_ENOMEM, "out of memory");
        return NULL;
    }
    f->rows = rows;
    memset(&rows[f->nrows], 0, sizeof *rows);
    rows[f->nrows].line = line;
    return &rows[f->nrows++];
}

static void data_row(struct reader *r, size_t line)
{
    struct cells *c = &r->cells;
    struct pilot_row *row;

    if (!(row = new_row(r, line)) || r->row_bad || r->header_bad)
        return;
    memset(r->slots, 0, r->model->ncompetencies * sizeof *r->slots);
    r->row_results = false;
    if (c->n > r->ncols && !cells_empty(c, r->ncols))
        problem(r, line,
                "%zu cells, but the header names %zu columns; quote a value "
                "that contains a comma",
                c->n, r->ncols);
    for (size_t i = 0; i < c->n && i < r->ncols && !r->rc; i++)
        read_cell(r, row, i, c->bytes + c->offs[i]);
    if (r->has_col[0])
        check_subject(r, row);
    if (r->has_col[1])
        check_assessor(r, row);
    check_grade(r, row);
    collect_ratings(r, row);
}

/* ---- libcsv callbacks and the feed ---- */

static void on_cell(void *s, size_t len, void *data)
{
    struct reader *r = data;
    struct cells *c = &r->cells;
    size_t *offs;
    char *bytes;

    if (r->rc || r->stopped)
        return;
    bytes = grow(c->bytes, &c->cap, c->len + len + 1, 1);
    offs = bytes ? grow(c->offs, &c->ncap, c->n + 1, sizeof *offs) : NULL;
    if (bytes)
        c->bytes = bytes;
    if (!offs) {
        r->rc = ldr_err_set(r->err, LDR_ENOMEM, "out of memory");
        return;
    }
    c->offs = offs;
    if (len)
        memcpy(c->bytes + c->len, s, len);
    c->bytes[c->len + len] = '\0';
    c->offs[c->n++] = c->len;
    c->len += len + 1;
}

static void on_row(int term, void *data)
{
    struct reader *r = data;
    size_t line = r->row_start ? r->row_start : r->line;

    (void)term;
    if (!r->rc && !r->stopped && !cells_empty(&r->cells, 0)) {
        if (r->have_header)
            data_row(r, line);
        else
            header(r, line);
    }
    r->cells.n = r->cells.len = 0;
    r->row_start = 0;
    r->row_bad = false;
}

/* Checks that a physical line is text; a bad line spoils its row. */
static void check_line(struct reader *r, const char *s, size_t n)
{
    size_t bad;

    if (memchr(s, '\0', n)) {
        problem(r, r->line, "a NUL byte; this is not a CSV text file");
        r->row_bad = true;
    } else if ((bad = ldr_utf8_check(s, n)) < n) {
        problem(r, r->line,
                "invalid UTF-8 at byte %zu of the line; save the file as "
                "'CSV UTF-8 (comma delimited)'",
                bad + 1);
        r->row_bad = true;
    }
}

/* Feeds libcsv one physical line at a time, so a row knows its line. */
static void feed(struct reader *r, struct csv_parser *p, const char *buf,
                 size_t len)
{
    size_t i = 0, end, stop;

    for (r->line = 1; i < len && !r->rc; r->line++, i = stop) {
        for (end = i; end < len && buf[end] != '\n' && buf[end] != '\r';)
            end++;
        stop = end + (end < len);
        if (stop < len && buf[end] == '\r' && buf[stop] == '\n')
            stop++;
        if (!r->row_start)
            for (size_t k = i; k < end && !r->row_start; k++)
                if (!is_blank(buf[k]))
                    r->row_start = r->line;
        check_line(r, buf + i, end - i);
        if (csv_parse(p, buf + i, stop - i, on_cell, on_row, r) < stop - i) {
            problem(r, r->line,
                    "not valid CSV: a quote inside a field that does not "
                    "start with one, or text after a closing quote; quote "
                    "the whole field and double the quotes inside it");
            r->stopped = true;
            return;
        }
    }
    if (r->rc)
        return;
    r->line -= r->line > 1;
    if (csv_fini(p, on_cell, on_row, r) != 0) {
        problem(r, r->row_start ? r->row_start : r->line,
                "a quoted field that starts on this row never ends; add the "
                "closing quote");
        r->stopped = true;
    }
}

/* What is wrong with the file as a whole, before any row is read. */
static bool wrong_kind(struct reader *r, const char *buf, size_t len)
{
    if (len >= 2 && ((buf[0] == '\xff' && buf[1] == '\xfe') ||
                     (buf[0] == '\xfe' && buf[1] == '\xff')))
        problem(r, 0,
                "the file is UTF-16; save it as 'CSV UTF-8 (comma "
                "delimited)'");
    else if (len >= 4 && memcmp(buf, "PK\3\4", 4) == 0)
        problem(r, 0,
                "this is a spreadsheet workbook, not CSV; save it as 'CSV "
                "UTF-8 (comma delimited)'");
    else
        return false;
    return true;
}

static void reader_release(struct reader *r)
{
    for (size_t i = 0; i < r->ncols; i++)
        free(r->cols[i].name);
    free(r->cols);
    free(r->cells.bytes);
    free(r->cells.offs);
    free(r->slots);
    free(r->seen);
}

/* Checks what is left after the rows and sets the result. */
static int finish(struct reader *r)
{
    struct pilot_file *f = r->out;
    size_t more;

    if (!r->rc && !r->stopped && !r->have_header)
        problem(r, 0,
                "the file is empty; the first row must name the columns "
                "(subject, assessor, ...) and each further row holds one "
                "person's results");
    else if (!r->rc && !r->stopped && f->nrows == 0)
        problem(r, r->header_line,
                "no rows below the header; add one row per person");
    more = f->problems_total - f->nproblems;
    if (!r->rc && more &&
        (f->problems[f->nproblems].message = malloc(64)) != NULL) {
        snprintf(f->problems[f->nproblems].message, 64,
                 "... and %zu more problem%s", more, more == 1 ? "" : "s");
        f->problems[f->nproblems++].line = 0;
    }
    if (r->rc)
        return r->rc;
    if (f->problems_total)
        return ldr_err_set(
            r->err, LDR_EINVAL, "'%s': %zu problem%s; nothing was imported",
            r->name, f->problems_total, f->problems_total == 1 ? "" : "s");
    return 0;
}

int pilot_parse(struct pilot_file *out, const char *name, const char *buf,
                size_t len, const struct ldr_model *model,
                bool (*person_exists)(void *ctx, const char *id), void *ctx,
                struct ldr_err *err)
{
    struct reader r = {.out = out,
                       .name = name,
                       .model = model,
                       .person_exists = person_exists,
                       .ctx = ctx,
                       .err = err};
    struct csv_parser p;
    int rc;

    memset(out, 0, sizeof *out);
    if (len > PILOT_MAX_BYTES)
        return ldr_err_set(err, LDR_ETOOBIG,
                           "'%s' is %zu bytes; a pilot file holds at most "
                           "%u MiB: split it",
                           name, len, PILOT_MAX_BYTES >> 20);
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
        buf += 3;
        len -= 3;
    }
    if (wrong_kind(&r, buf, len)) {
        r.stopped = true;
    } else {
        r.slots = calloc(model->ncompetencies + 1, sizeof *r.slots);
        if (!r.slots ||
            csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
            reader_release(&r);
            return ldr_err_set(err, LDR_ENOMEM, "out of memory");
        }
        feed(&r, &p, buf, len);
        csv_free(&p);
    }
    rc = finish(&r);
    reader_release(&r);
    return rc;
}

/* The whole file into *out (malloc'd); LDR_ETOOBIG past PILOT_MAX_BYTES. */
static int slurp(char **out, size_t *len, const char *path, struct ldr_err *err)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = NULL, *b;
    struct stat st;
    ssize_t got;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

    if (fd < 0)
        return ldr_err_set(err, LDR_EIO, "cannot open '%s': %s", path,
                           strerror(errno));
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        st.st_size > (off_t)PILOT_MAX_BYTES)
        n = PILOT_MAX_BYTES + 1; /* too big: read nothing */
    else if (!(buf = malloc(cap)))
        rc = ldr_err_set(err, LDR_ENOMEM, "out of memory");
    while (!rc && n <= PILOT_MAX_BYTES) {
        if (n == cap) {
            if (!(b = realloc(buf, cap * 2))) {
                rc = ldr_err_set(err, LDR_ENOMEM, "out of memory");
                break;
            }
            buf = b;
            cap *= 2;
        }
        got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            rc = ldr_err_set(err, LDR_EIO, "cannot read '%s': %s", path,
                             strerror(errno));
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    if (!rc && n > PILOT_MAX_BYTES)
        rc = ldr_err_set(err, LDR_ETOOBIG,
                         "'%s' is over %u MiB, the most a pilot file holds; "
                         "split it",
                         path, PILOT_MAX_BYTES >> 20);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = n;
    return 0;
}

int pilot_read(struct pilot_file *out, const char *path,
               const struct ldr_model *model,
               bool (*person_exists)(void *ctx, const char *id), void *ctx,
               struct ldr_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = slurp(&buf, &len, path, err)))
        return rc;
    rc = pilot_parse(out, path, buf, len, model, person_exists, ctx, err);
    free(buf);
    return rc;
}

char *pilot_problem_text(const struct pilot_problem *p, char *buf, size_t size)
{
    int n;

    if (p->line)
        n = snprintf(buf, size, "line %zu: %s", p->line, p->message);
    else
        n = snprintf(buf, size, "%s", p->message);
    if (n >= 0 && (size_t)n >= size)
        ldr_utf8_trim(buf);
    return buf;
}

void pilot_release(struct pilot_file *f)
{
    for (size_t i = 0; i < f->nrows; i++) {
        struct pilot_row *row = &f->rows[i];
        for (size_t k = 0; k < row->nratings; k++)
            free(row->ratings[k].evidence);
        free(row->ratings);
        free(row->subject);
        free(row->assessor);
        free(row->grade);
    }
    free(f->rows);
    for (size_t i = 0; i < f->nproblems; i++)
        free(f->problems[i].message);
    free(f->problems);
    memset(f, 0, sizeof *f);
}
