/*
 * ladder: the offline agent an assessor or trainer runs on a laptop.
 * The table below is the one list of its commands.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "ladder/err.h"
#include "out.h"
#include "store.h"
#include "ladder/cli.h"
#include "ladder/version.h"

const char *opt_db;

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("ladder %s\n", ldr_version());
    return LDR_EXIT_OK;
}

static const struct ldr_command commands[] = {
    {"version", cmd_version, "print the version", ""},
    {"init", cmd_init, "create the local database for a user", cmd_init_usage},
    {"model", cmd_model, "import, list, show, diff and check competency models",
     cmd_model_usage},
    {"person", cmd_person, "the roster: add, set, list and show people",
     cmd_person_usage},
    {"assess", cmd_assess,
     "assessments: new, rate, answer, test, perf, submit, show, list, "
     "interactive",
     cmd_assess_usage},
    {"note", cmd_note, "coaching notes: add, list, done", cmd_note_usage},
    {"pilot", cmd_pilot, "import a trainer's pilot results from CSV",
     cmd_pilot_usage},
    {"gap", cmd_gap, "gap analysis and learning map of a person",
     cmd_gap_usage},
    {"certify", cmd_certify, "whether a person can be certified for a grade",
     cmd_certify_usage},
    {"status", cmd_status, "outbox, last sync, conflicts and rejections",
     cmd_status_usage},
    {"sync", cmd_sync, "send the outbox to the hub and pull what others wrote",
     cmd_sync_usage},
    {"remote", cmd_remote, "set or show the hub to sync with",
     cmd_remote_usage},
    {"conflicts", cmd_conflicts,
     "concurrent edits that lost, and resolving "
     "them",
     cmd_conflicts_usage},
    {"rejected", cmd_rejected, "changes the hub refused, with its reasons",
     cmd_rejected_usage},
    {"export", cmd_export,
     "every record as canonical JSON, to compare "
     "replicas",
     cmd_export_usage},
};

/* The global option --db PATH (or --db=PATH) before the command. */
static int global_options(int *argc, char ***argv)
{
    while (*argc > 1) {
        char *a = (*argv)[1];

        if (strcmp(a, "--db") == 0) {
            if (*argc < 3) {
                fputs("ladder: --db needs a PATH\n", stderr);
                return LDR_EXIT_USAGE;
            }
            opt_db = (*argv)[2];
            (*argv)[2] = (*argv)[0];
            *argc -= 2;
            *argv += 2;
        } else if (strncmp(a, "--db=", 5) == 0) {
            opt_db = a + 5;
            (*argv)[1] = (*argv)[0];
            *argc -= 1;
            *argv += 1;
        } else {
            break;
        }
    }
    return 0;
}

int open_store(struct store *s, const char *cmd)
{
    char path[STORE_PATH_MAX];
    struct ldr_err err = {0};

    if (store_path(path, opt_db, &err) != 0 || store_open(s, path, &err) != 0)
        return out_err(cmd, &err);
    return 0;
}

int run_subcommand(const char *cmd, const char *usage,
                   const struct subcommand *subs, size_t count, int argc,
                   char **argv)
{
    if (argc < 2)
        return out_usage(cmd, usage, "which subcommand?");
    for (size_t i = 0; i < count; i++)
        if (strcmp(argv[1], subs[i].name) == 0)
            return subs[i].run(argc - 1, argv + 1);
    return out_usage(cmd, usage, "unknown subcommand '%s'", argv[1]);
}

int main(int argc, char **argv)
{
    static const struct ldr_program prog = {
        "ladder",
        "Record competency assessments offline and sync them with the hub.\n"
        "Global option: --db PATH (or LADDER_DB) selects the local database.",
        commands, sizeof commands / sizeof commands[0]};
    int rc = global_options(&argc, &argv);

    return rc ? rc : ldr_cli_dispatch(&prog, argc, argv);
}
