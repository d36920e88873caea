/*
 * ladder-hub: the server where everyone's work meets, and its admin
 * commands. Commands arrive with the hub issue; the table is their home.
 */
#include <stdio.h>

#include "ladder/cli.h"
#include "ladder/version.h"

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("ladder-hub %s\n", ldr_version());
    return LDR_EXIT_OK;
}

static const struct ldr_command commands[] = {
    {"version", cmd_version, "print the version", ""},
};

int main(int argc, char **argv)
{
    static const struct ldr_program prog = {
        "ladder-hub",
        "Merge the change sets agents send; keep competency models in git.",
        commands, sizeof commands / sizeof commands[0]};
    return ldr_cli_dispatch(&prog, argc, argv);
}
