#include "ladder/cli.h"

#include <stdio.h>
#include <string.h>

#include "ladder/version.h"

static void list_commands(const struct ldr_program *prog, FILE *out)
{
    fprintf(out, "usage: %s [--help] [--version] COMMAND [ARGS]\n\n%s\n\n",
            prog->name, prog->about);
    fprintf(out, "commands:\n");
    for (size_t i = 0; i < prog->count; i++)
        fprintf(out, "  %-12s %s\n", prog->commands[i].name,
                prog->commands[i].summary);
    fprintf(out, "  %-12s %s\n", "help", "show help for one command");
    fprintf(out, "\nRun '%s help COMMAND' for one command's options.\n",
            prog->name);
}

static const struct ldr_command *find(const struct ldr_program *prog,
                                      const char *name)
{
    for (size_t i = 0; i < prog->count; i++)
        if (strcmp(prog->commands[i].name, name) == 0)
            return &prog->commands[i];
    return NULL;
}

static int help(const struct ldr_program *prog, const char *name)
{
    const struct ldr_command *cmd;

    if (!name) {
        list_commands(prog, stdout);
        return LDR_EXIT_OK;
    }
    cmd = find(prog, name);
    if (!cmd) {
        fprintf(stderr, "%s: no command '%s'; run '%s help' for the list\n",
                prog->name, name, prog->name);
        return LDR_EXIT_USAGE;
    }
    printf("usage: %s %s %s\n\n%s\n", prog->name, cmd->name,
           cmd->usage ? cmd->usage : "", cmd->summary);
    return LDR_EXIT_OK;
}

int ldr_cli_dispatch(const struct ldr_program *prog, int argc, char **argv)
{
    const struct ldr_command *cmd;
    const char *name = argc > 1 ? argv[1] : NULL;

    if (!name) {
        list_commands(prog, stderr);
        return LDR_EXIT_USAGE;
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        return help(prog, NULL);
    if (strcmp(name, "--version") == 0) {
        printf("%s %s\n", prog->name, ldr_version());
        return LDR_EXIT_OK;
    }
    if (strcmp(name, "help") == 0)
        return help(prog, argc > 2 ? argv[2] : NULL);
    cmd = find(prog, name);
    if (!cmd) {
        fprintf(stderr, "%s: unknown command '%s'\n\n", prog->name, name);
        list_commands(prog, stderr);
        return LDR_EXIT_USAGE;
    }
    if (argc > 2 &&
        (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0))
        return help(prog, name);
    return cmd->run(argc - 1, argv + 1);
}

int ldr_cli_vfail(const char *program, const char *who, const char *fmt,
                  va_list ap)
{
    fprintf(stderr, "%s %s: ", program, who);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    return LDR_EXIT_FAIL;
}

int ldr_cli_vusage(const char *program, const char *cmd, const char *usage,
                   const char *fmt, va_list ap)
{
    fprintf(stderr, "%s %s: ", program, cmd);
    vfprintf(stderr, fmt, ap);
    /* a usage text covers a command's subcommands: "person", not
     * "person add" */
    fprintf(stderr, "\nusage: %s %.*s %s\n", program, (int)strcspn(cmd, " "),
            cmd, usage);
    return LDR_EXIT_USAGE;
}
