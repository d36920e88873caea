#ifndef LADDER_AGENT_PILOT_H
#define LADDER_AGENT_PILOT_H

#include <stdbool.h>
#include <stddef.h>

struct ldr_err;
struct ldr_model;

/*
 * The file half of `ladder pilot import`: a trainer's CSV of results, one
 * row per person (docs/pilot-csv.md), read with libcsv and checked row by
 * row against a model version and the roster. No database here: the
 * roster is asked through a callback, and the caller writes the rows.
 *
 * The import is all or nothing, so reading never stops at the first bad
 * row: every problem is listed with the physical line its row starts on.
 */

#define PILOT_MAX_BYTES (16u << 20) /* a bigger file is refused */
#define PILOT_MAX_ROWS 100000       /* data rows, the header not counted */
#define PILOT_MAX_PROBLEMS 1000     /* kept; the rest are only counted */
#define PILOT_MAX_EVIDENCE 4000     /* bytes of one evidence cell */

/* One competency of one row; only competencies with a value are listed. */
struct pilot_rating {
    const char *competency; /* borrowed from the model */
    bool has_level;
    int level; /* on the model's scale */
    bool has_test;
    double test;    /* 0..100 */
    char *evidence; /* NULL when empty; only with a level; CRLF made LF */
};

/* One person's results. */
struct pilot_row {
    size_t line;    /* physical line (1-based) the row starts on */
    char *subject;  /* person id on the roster */
    char *assessor; /* user id */
    char *grade;    /* target grade of the model; NULL when empty */
    bool has_performance;
    double performance;           /* 0..100 */
    struct pilot_rating *ratings; /* in model order */
    size_t nratings;
};

/* One reason the file cannot be imported. */
struct pilot_problem {
    size_t line;   /* 0 for the whole file and for the "... and N more" */
    char *message; /* without the "line N: " that pilot_problem_text adds */
};

struct pilot_file {
    struct pilot_row *rows; /* every data row, in file order */
    size_t nrows;
    /* At most PILOT_MAX_PROBLEMS, in line order, then (if there were more)
     * one "... and N more problems" entry with line 0. */
    struct pilot_problem *problems;
    size_t nproblems;
    size_t problems_total; /* every problem found, the extra entry not */
};

/*
 * Reads the CSV file at `path` into `out` (its previous content is not
 * freed: start from zeroes or a released file) and checks every row
 * against `model` and, for the subject, `person_exists(ctx, id)` (NULL:
 * no roster check; it is asked once per row with a well-formed subject).
 *
 * Returns 0 when every row is good: then out->rows are the results and
 * out->problems is empty. LDR_EINVAL when anything is wrong: out->problems
 * lists it and err says how many ("FILE: 3 problems; nothing was
 * imported"); the rows are then not to be imported. LDR_EIO when the file
 * cannot be read, LDR_ETOOBIG past PILOT_MAX_BYTES or PILOT_MAX_ROWS,
 * LDR_ENOMEM. In every case release `out` with pilot_release().
 *
 * Rows borrow competency ids from `model`, which must outlive `out`.
 */
int pilot_read(struct pilot_file *out, const char *path,
               const struct ldr_model *model,
               bool (*person_exists)(void *ctx, const char *id), void *ctx,
               struct ldr_err *err);

/* The same for `len` bytes in memory; `name` names them in messages. */
int pilot_parse(struct pilot_file *out, const char *name, const char *buf,
                size_t len, const struct ldr_model *model,
                bool (*person_exists)(void *ctx, const char *id), void *ctx,
                struct ldr_err *err);

/* "line 7: column 'x': ..." (or the bare message for line 0) in `buf`
 * of `size` bytes, cut on a UTF-8 boundary; returns `buf`. */
char *pilot_problem_text(const struct pilot_problem *p, char *buf, size_t size);

/* Frees everything in `f` and leaves it all zeroes. */
void pilot_release(struct pilot_file *f);

#endif
