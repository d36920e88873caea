#ifndef LADDER_AGENT_COMMANDS_H
#define LADDER_AGENT_COMMANDS_H

/*
 * The agent's commands, one file each (agent/cmd_<name>.c), listed in the
 * table in agent/main.c. Each takes argv[0] = the command name and returns
 * an exit code (LDR_EXIT_*); `usage` is shown by 'ladder help <name>'.
 */

/* ladder model SUBCOMMAND: competency model files (agent/cmd_model.c). */
int cmd_model(int argc, char **argv);
extern const char cmd_model_usage[];

#endif
