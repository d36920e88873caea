/* ladder export: every record's value, canonically, to compare replicas. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "ladder/cli.h"
#include "out.h"
#include "store.h"

const char cmd_export_usage[] =
    "[--json]\n"
    "\n"
    "Prints every record on this laptop as one JSON document:\n"
    "{\"records\": [{\"kind\", \"id\", \"value\"}]}, records ordered by kind\n"
    "and id, keys sorted, one record a line. Two replicas that have synced\n"
    "everything print the same bytes, so 'cmp' or 'diff' compares them.\n"
    "The output is JSON with or without --json.";

int cmd_export(int argc, char **argv)
{
    sqlite3_stmt *st;
    struct store s;
    int rc, n = 0;

    if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json") != 0))
        return out_usage("export", cmd_export_usage,
                         "export takes only "
                         "--json");
    if ((rc = open_store(&s, "export")) != 0)
        return rc;
    /* value is stored compact with sorted keys: print it as it is */
    if (sqlite3_prepare_v2(s.db,
                           "SELECT kind, id, value FROM records ORDER BY "
                           "kind, id",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = out_fail("export", "%s", sqlite3_errmsg(s.db));
        store_close(&s);
        return rc;
    }
    fputs("{\"records\": [", stdout);
    while (sqlite3_step(st) == SQLITE_ROW)
        printf("%s\n{\"id\":\"%s\",\"kind\":\"%s\",\"value\":%s}",
               n++ ? "," : "", sqlite3_column_text(st, 1),
               sqlite3_column_text(st, 0), sqlite3_column_text(st, 2));
    puts("\n]}");
    sqlite3_finalize(st);
    store_close(&s);
    return LDR_EXIT_OK;
}
