#ifndef LADDER_HUB_COMMANDS_H
#define LADDER_HUB_COMMANDS_H

/*
 * The hub's commands, one file each (hub/cmd_<name>.c), listed in the
 * table in hub/main.c. Each takes argv[0] = the command name and returns
 * an exit code (LDR_EXIT_*); `usage` is shown by 'ladder-hub help NAME'.
 */

/* ladder-hub init DIR: the data directory, its database, models.git and
 * TLS files (hub/cmd_init.c). */
int cmd_init(int argc, char **argv);
extern const char cmd_init_usage[];

/* ladder-hub serve DIR: the HTTPS server (hub/cmd_serve.c). */
int cmd_serve(int argc, char **argv);
extern const char cmd_serve_usage[];

/* ladder-hub token add|list|revoke DIR: bearer tokens (hub/cmd_token.c). */
int cmd_token(int argc, char **argv);
extern const char cmd_token_usage[];

/* ladder-hub model add DIR FILE: a model version to validate against,
 * until models live in git (hub/cmd_model.c). */
int cmd_model(int argc, char **argv);
extern const char cmd_model_usage[];

#endif
