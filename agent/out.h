#ifndef LADDER_AGENT_OUT_H
#define LADDER_AGENT_OUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct ldr_err;

/*
 * Output of the agent's commands: errors on stderr as "ladder CMD: what
 * went wrong" (plus what to do), JSON on stdout, and aligned tables whose
 * columns line up by display width, so Chinese text (two columns a
 * character) aligns with Latin text.
 */

/* Prints "ladder <cmd>: <message>\n" on stderr; returns LDR_EXIT_FAIL. */
int out_fail(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The same for an error struct (its message). */
int out_err(const char *cmd, const struct ldr_err *err);

/* Prints a usage error and the command's usage; returns LDR_EXIT_USAGE. */
int out_usage(const char *cmd, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The usage error for what getopt_long() returned as `c` ('?' for an
 * unknown option, ':' for a missing value; the option string must start
 * with ':'), naming the option. Returns LDR_EXIT_USAGE.
 */
int out_opt_error(const char *cmd, const char *usage, char **argv, int c);

/* Prints `value` indented on stdout, keys in insertion order, and drops
 * the reference. LDR_EXIT_OK, or LDR_EXIT_FAIL on OOM. */
int out_json(json_t *value);

/* Terminal columns `s` (UTF-8) takes: 2 for wide (CJK) characters. */
size_t out_width(const char *s);

/* A table built row by row and printed with aligned columns. */
struct table {
    size_t ncols;
    char **cells; /* owned, row-major */
    size_t nrows, cap;
};

/* A table with the given header cells (NULL-terminated list). */
void table_init(struct table *t, const char *const *headers);
/* Appends a row of t->ncols cells (NULL prints as "-"); copies them. */
void table_row(struct table *t, const char *const *cells);
/* Prints the table to `f`: columns two spaces apart, last one unpadded. */
void table_print(const struct table *t, FILE *f);
void table_release(struct table *t);

#endif
