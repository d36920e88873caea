#ifndef LADDER_CLI_H
#define LADDER_CLI_H

#include <stdarg.h>
#include <stddef.h>

/*
 * The command-table dispatcher both programs use: `prog COMMAND [ARGS]`,
 * `prog --help`, `prog --version`, `prog help COMMAND`. Only main() turns
 * the result into an exit code.
 */

enum { LDR_EXIT_OK = 0, LDR_EXIT_FAIL = 1, LDR_EXIT_USAGE = 2 };

struct ldr_command {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    const char *summary;               /* one line for the command list */
    const char *usage;                 /* options, for 'help COMMAND' */
};

struct ldr_program {
    const char *name;  /* "ladder" */
    const char *about; /* one sentence under the usage line */
    const struct ldr_command *commands;
    size_t count;
};

/*
 * Runs the command named in argv[1]. With no command or an unknown one it
 * prints usage to stderr and returns LDR_EXIT_USAGE.
 */
int ldr_cli_dispatch(const struct ldr_program *prog, int argc, char **argv);

/* "PROGRAM WHO: message" on stderr, WHO being a command and maybe its
 * subcommand ("model add"): LDR_EXIT_FAIL. */
int ldr_cli_vfail(const char *program, const char *who, const char *fmt,
                  va_list ap) __attribute__((format(printf, 3, 0)));

/* The same, then "usage: PROGRAM CMD USAGE" with the first word of CMD
 * (USAGE covers its subcommands): LDR_EXIT_USAGE. */
int ldr_cli_vusage(const char *program, const char *cmd, const char *usage,
                   const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

#endif
