/* What every part of the hub shares: roles, scope, the database, answers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "hub.h"
#include "ladder/cli.h"
#include "ladder/db.h"
#include "ladder/err.h"

static const char *const role_names[] = {
    [HUB_ASSESSOR] = "assessor",
    [HUB_TRAINER] = "trainer",
    [HUB_HR] = "hr",
    [HUB_ADMIN] = "admin",
};

const char *hub_role_name(enum hub_role role)
{
    return (size_t)role < sizeof role_names / sizeof *role_names
               ? role_names[role]
               : "unknown";
}

int hub_role_parse(const char *name)
{
    for (size_t i = 0; i < sizeof role_names / sizeof *role_names; i++)
        if (strcmp(name, role_names[i]) == 0)
            return (int)i;
    return -1;
}

bool hub_in_scope(const struct hub_principal *p, const char *unit)
{
    for (size_t i = 0; unit && i < p->nunits; i++)
        if (strcmp(p->units[i], unit) == 0)
            return true;
    return false;
}

/*
 * A change set of 1,000 assessments writes more than the default
 * autocheckpoint (1,000 pages) to the WAL. Commands checkpoint every
 * 2,048 pages (32 MiB of the 16 KiB pages of a new hub); `serve` leaves it to a
 * thread of its own (checkpoint.h). The limit trims the WAL file a very large
 * set grew. synchronous stays FULL (below).
 */
#define HUB_WAL_PRAGMAS                                                        \
    "PRAGMA wal_autocheckpoint = 2048; PRAGMA journal_size_limit = 67108864"

/* Every server thread holds a connection: 512 KiB of page cache each (the
 * default is 2 MiB), the operating system's cache holding the rest, so the
 * hub's memory stays small as threads are added (20 agents syncing at
 * once: peak 36-40 MiB with the default, 28 MiB with this). */
#define HUB_CACHE_PRAGMA "PRAGMA cache_size = -512"

int hub_db_open(sqlite3 **out, const char *dir, struct ldr_err *err)
{
    char path[HUB_PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/" HUB_DB_FILE, dir);

    *out = NULL;
    if (n < 0 || (size_t)n >= sizeof path)
        return ldr_err_set(err, LDR_EINVAL, "data directory path too long: %s",
                           dir);
    if (ldr_db_open(out, path, LDR_DB_HUB, err) != 0)
        return err->code;
    /* an accepted set is never sent again by its agent, so its commit must
     * survive a power cut too, not only a crash of the process */
    if (ldr_db_exec(*out, "PRAGMA synchronous = FULL", "setting synchronous",
                    err) != 0 ||
        ldr_db_exec(*out, HUB_WAL_PRAGMAS, "setting the WAL size", err) != 0 ||
        ldr_db_exec(*out, HUB_CACHE_PRAGMA, "setting the cache", err) != 0) {
        sqlite3_close(*out);
        *out = NULL;
        return err->code;
    }
    return 0;
}

void hub_answer_error(struct hub_answer *out, int status, const char *code,
                      const char *fmt, ...)
{
    char message[LDR_ERR_MSG_MAX];
    json_t *doc;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    doc =
        json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message);
    out->status = status;
    out->body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    out->len = out->body ? strlen(out->body) : 0;
    json_decref(doc);
}

void hub_answer_release(struct hub_answer *a)
{
    free(a->body);
    a->body = NULL;
    a->len = 0;
}

int hub_fail(const char *cmd, const char *sub, const char *fmt, ...)
{
    char who[128];
    va_list ap;
    int rc;

    snprintf(who, sizeof who, "%s%s%s", cmd, sub ? " " : "", sub ? sub : "");
    va_start(ap, fmt);
    rc = ldr_cli_vfail("ladder-hub", who, fmt, ap);
    va_end(ap);
    return rc;
}

int hub_print_json(json_t *value, const char *cmd, const char *sub)
{
    char *text =
        value ? json_dumps(value, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

    json_decref(value);
    if (!text)
        return hub_fail(cmd, sub, "out of memory");
    puts(text);
    free(text);
    return LDR_EXIT_OK;
}

int hub_usage(const char *cmd, const char *usage, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = ldr_cli_vusage("ladder-hub", cmd, usage, fmt, ap);
    va_end(ap);
    return rc;
}

int hub_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
