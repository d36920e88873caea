/*
 * ladder-hub: the server where everyone's work meets, and its admin
 * commands. The table below is the one list of its commands.
 */
#include <stdio.h>

#include "commands.h"
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
    {"init", cmd_init, "create a data directory, its database and TLS files",
     cmd_init_usage},
    {"serve", cmd_serve, "serve the hub over HTTPS", cmd_serve_usage},
    {"token", cmd_token, "add, list or revoke bearer tokens", cmd_token_usage},
    {"model", cmd_model, "add a model version to validate against",
     cmd_model_usage},
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
