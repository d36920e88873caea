#ifndef LADDER_AGENT_COMMANDS_H
#define LADDER_AGENT_COMMANDS_H

/*
 * The agent's commands, one file each (agent/cmd_<name>.c), listed in the
 * table in agent/main.c. Each takes argv[0] = the command name and returns
 * an exit code (LDR_EXIT_*); `usage` is shown by 'ladder help <name>'.
 */

/* The global --db option, or NULL (store_path() then looks further). */
extern const char *opt_db;

struct store;
struct ldr_err;

/* Opens the database named by --db, LADDER_DB or the default; on failure
 * prints why as "ladder <cmd>: ..." and returns LDR_EXIT_FAIL. */
int open_store(struct store *s, const char *cmd);

/* One subcommand of a command with several (ladder person add, ...). */
struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand */
};

/* Runs the subcommand of `cmd` named in argv[1]; a missing or unknown one
 * is a usage error showing `usage`. */
int run_subcommand(const char *cmd, const char *usage,
                   const struct subcommand *subs, size_t count, int argc,
                   char **argv);

/* ladder init --user ID (agent/cmd_init.c). */
int cmd_init(int argc, char **argv);
extern const char cmd_init_usage[];

/* ladder model SUBCOMMAND: competency models (agent/cmd_model.c). */
int cmd_model(int argc, char **argv);
extern const char cmd_model_usage[];

/* ladder person add|set|list|show: the roster (agent/cmd_person.c). */
int cmd_person(int argc, char **argv);
extern const char cmd_person_usage[];

/* ladder assess new|rate|answer|test|perf|submit|show|list|interactive:
 * competency assessments (agent/cmd_assess.c). */
int cmd_assess(int argc, char **argv);
extern const char cmd_assess_usage[];

/* ladder note add|list|done: coaching notes (agent/cmd_note.c). */
int cmd_note(int argc, char **argv);
extern const char cmd_note_usage[];

/* ladder gap SUBJECT: gap analysis and learning map (agent/cmd_gap.c). */
int cmd_gap(int argc, char **argv);
extern const char cmd_gap_usage[];

/* ladder certify SUBJECT --grade G: certification (agent/cmd_gap.c). */
int cmd_certify(int argc, char **argv);
extern const char cmd_certify_usage[];

/* ladder pilot import|list: pilot results from CSV (cmd_pilot.c). */
int cmd_pilot(int argc, char **argv);
extern const char cmd_pilot_usage[];

/* ladder sync and ladder remote set|show (agent/cmd_sync.c). */
int cmd_sync(int argc, char **argv);
extern const char cmd_sync_usage[];
int cmd_remote(int argc, char **argv);
extern const char cmd_remote_usage[];

/* Saves the hub settings (any may be NULL) after checking them; used by
 * init and remote set. `token` "-" reads it from stdin. */
int remote_save(struct store *s, const char *hub, const char *token,
                const char *cacert_file, struct ldr_err *err);

/* ladder model pull (cmd_sync.c): the model download of sync, alone. */
int cmd_model_pull(int argc, char **argv);

/* ladder conflicts [resolve], ladder rejected [dismiss] (cmd_conflicts.c). */
int cmd_conflicts(int argc, char **argv);
extern const char cmd_conflicts_usage[];
int cmd_rejected(int argc, char **argv);
extern const char cmd_rejected_usage[];

/* ladder export: every record, canonically (agent/cmd_export.c). */
int cmd_export(int argc, char **argv);
extern const char cmd_export_usage[];

/* ladder status: outbox, sync, conflicts, rejections (cmd_status.c). */
int cmd_status(int argc, char **argv);
extern const char cmd_status_usage[];

#endif
