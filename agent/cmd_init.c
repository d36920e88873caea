/* ladder init --user ID: the local database and this laptop's device id. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "ladder/cli.h"
#include "ladder/domain.h"
#include "ladder/err.h"
#include "out.h"
#include "store.h"

const char cmd_init_usage[] =
    "--user ID [--hub URL --token TOKEN|- --cacert FILE] [--json]\n"
    "\n"
    "Creates the local database (directory 0700, file 0600) and this\n"
    "laptop's device id. ID is the user name the hub knows you by\n"
    "(letters, digits, '.', '_', '-'). Running it again for the same user\n"
    "changes nothing. --hub, --token and --cacert set the hub to sync\n"
    "with, as 'ladder remote set' does.\n"
    "  --json   print {\"db\", \"user\", \"device\"}";

int cmd_init(int argc, char **argv)
{
    static const struct option opts[] = {{"user", required_argument, 0, 'u'},
                                         {"json", no_argument, 0, 'j'},
                                         {"hub", required_argument, 0, 'h'},
                                         {"token", required_argument, 0, 't'},
                                         {"cacert", required_argument, 0, 'c'},
                                         {0, 0, 0, 0}};
    const char *user = NULL, *hub = NULL, *token = NULL, *cacert = NULL;
    char path[STORE_PATH_MAX];
    struct ldr_err err = {0};
    struct store s;
    bool json = false;
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'u')
            user = optarg;
        else if (c == 'j')
            json = true;
        else if (c == 'h')
            hub = optarg;
        else if (c == 't')
            token = optarg;
        else if (c == 'c')
            cacert = optarg;
        else
            return out_opt_error("init", cmd_init_usage, argv, c);
    }
    if (optind < argc)
        return out_usage("init", cmd_init_usage, "unexpected argument '%s'",
                         argv[optind]);
    if (!user)
        return out_usage("init", cmd_init_usage, "--user ID is required");
    if (!ldr_domain_id_valid(user) || strlen(user) > LDR_AUTHOR_MAX)
        return out_usage("init", cmd_init_usage,
                         "user '%s': expected 1 to 64 letters, digits, '.', "
                         "'_' or '-'",
                         user);
    if (store_path(path, opt_db, &err) != 0 ||
        store_create(&s, path, user, &err) != 0)
        return out_err("init", &err);
    if ((hub || token || cacert) &&
        remote_save(&s, hub, token, cacert, &err) != 0) {
        store_close(&s);
        return out_fail("init",
                        "%s (the database is made: fix this with "
                        "'ladder remote set')",
                        err.msg);
    }
    if (json)
        out_json(json_pack("{s:s, s:s, s:s}", "db", s.path, "user", s.user,
                           "device", s.device));
    else
        printf("ladder database for '%s' at %s (device %s)\n", s.user, s.path,
               s.device);
    store_close(&s);
    return LDR_EXIT_OK;
}
