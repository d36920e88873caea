#include "out.h"

#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ladder/cli.h"
#include "ladder/err.h"

int out_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = ldr_cli_vfail("ladder", cmd, fmt, ap);
    va_end(ap);
    return rc;
}

int out_err(const char *cmd, const struct ldr_err *err)
{
    return out_fail(cmd, "%s", err->msg[0] ? err->msg : "failed");
}

int out_usage(const char *cmd, const char *usage, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = ldr_cli_vusage("ladder", cmd, usage, fmt, ap);
    va_end(ap);
    return rc;
}

int out_opt_error(const char *cmd, const char *usage, char **argv, int c)
{
    const char *opt = argv[optind - 1];

    if (c == ':')
        return out_usage(cmd, usage, "option '%s' needs a value", opt);
    return out_usage(cmd, usage, "unknown option '%s'", opt);
}

int out_json(json_t *value)
{
    char *text = value
                     ? json_dumps(value, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                             JSON_REAL_PRECISION(15))
                     : NULL;

    json_decref(value);
    if (!text) {
        fputs("ladder: out of memory\n", stderr);
        return LDR_EXIT_FAIL;
    }
    puts(text);
    free(text);
    return LDR_EXIT_OK;
}

/* wcwidth() needs a UTF-8 LC_CTYPE; C.UTF-8 is built into glibc, so the
 * width does not depend on the user's locale settings. */
static locale_t utf8_locale(void)
{
    static locale_t loc;

    if (!loc)
        loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    return loc;
}

size_t out_width(const char *s)
{
    locale_t loc = utf8_locale(), old = loc ? uselocale(loc) : (locale_t)0;
    size_t width = 0, len = strlen(s);
    mbstate_t st;

    memset(&st, 0, sizeof st);
    while (len > 0) {
        wchar_t wc;
        size_t n = mbrtowc(&wc, s, len, &st);
        int w;

        if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
            memset(&st, 0, sizeof st);
            n = 1; /* a stray byte shows as one replacement column */
            w = 1;
        } else {
            w = wcwidth(wc);
        }
        width += w > 0 ? (size_t)w : 0;
        s += n;
        len -= n;
    }
    if (loc)
        uselocale(old);
    return width;
}

/* A copy of a cell with control characters (newlines, tabs) shown as
 * spaces, so one row stays one line. */
static char *cell_copy(const char *s)
{
    char *copy = strdup(s);

    if (!copy) {
        fputs("ladder: out of memory\n", stderr);
        exit(LDR_EXIT_FAIL);
    }
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return copy;
}

void table_init(struct table *t, const char *const *headers)
{
    memset(t, 0, sizeof *t);
    while (headers[t->ncols])
        t->ncols++;
    table_row(t, headers);
}

void table_row(struct table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        char **grown = realloc(t->cells, cap * t->ncols * sizeof *grown);

        if (!grown) {
            fputs("ladder: out of memory\n", stderr);
            exit(LDR_EXIT_FAIL);
        }
        t->cells = grown;
        t->cap = cap;
    }
    for (size_t c = 0; c < t->ncols; c++)
        t->cells[t->nrows * t->ncols + c] =
            cell_copy(cells[c] ? cells[c] : "-");
    t->nrows++;
}

void table_print(const struct table *t, FILE *f)
{
    size_t *width = calloc(t->ncols ? t->ncols : 1, sizeof *width);

    if (!width)
        return;
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = out_width(t->cells[r * t->ncols + c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *cell = t->cells[r * t->ncols + c];

            fputs(cell, f);
            if (c + 1 < t->ncols)
                fprintf(f, "%*s", (int)(width[c] - out_width(cell) + 2), "");
        }
        fputc('\n', f);
    }
    free(width);
}

void table_release(struct table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}
