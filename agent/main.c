/*
 * ladder: the offline agent an assessor or trainer runs on a laptop.
 * Commands arrive with the agent issue; the table is their one home.
 */
#include <stdio.h>

#include "commands.h"
#include "ladder/cli.h"
#include "ladder/version.h"

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("ladder %s\n", ldr_version());
    return LDR_EXIT_OK;
}

static const struct ldr_command commands[] = {
    {"version", cmd_version, "print the version", ""},
    {"model", cmd_model, "check a competency model file", cmd_model_usage},
};

int main(int argc, char **argv)
{
    static const struct ldr_program prog = {
        "ladder",
        "Record competency assessments offline and sync them with the hub.",
        commands, sizeof commands / sizeof commands[0]};
    return ldr_cli_dispatch(&prog, argc, argv);
}
