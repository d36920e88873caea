/*
 * ladder-hub init DIR: the data directory, its database, the models' git
 * repository and the TLS files. All or nothing: after a failure nothing
 * this run made is left to block the next one.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

#include "commands.h"
#include "gitstore.h"
#include "hub.h"
#include "ladder/cli.h"
#include "ladder/err.h"
#include "tls.h"

const char cmd_init_usage[] =
    "DIR [--hostname NAME ...] [--cert FILE --key FILE] [--json]\n"
    "\n"
    "Creates the hub's data directory DIR (mode 0700) with the database\n"
    "DIR/hub.db (SQLite, WAL), an empty bare git repository for the models,\n"
    "DIR/models.git (branch main) whose pre-receive hook checks every push\n"
    "with this ladder-hub, and DIR/tls (0700) with the TLS files.\n"
    "DIR must not exist or must be empty: init refuses a directory that\n"
    "holds anything else, and one it has initialised already, so keys are\n"
    "never overwritten. When it fails it removes what it made, so it can\n"
    "simply be run again.\n"
    "\n"
    "Unless --cert is given, init makes a private CA (tls/ca.pem and\n"
    "tls/ca-key.pem: ECDSA P-256, self-signed, 10 years) and a server\n"
    "certificate signed by it (tls/server.pem and tls/server-key.pem:\n"
    "ECDSA P-256, SHA-256, 2 years, TLS server use only) for the names\n"
    "given with --hostname and, always, localhost, 127.0.0.1 and ::1.\n"
    "Keys are written 0600. It prints the CA file and its SHA-256\n"
    "fingerprint: copy ca.pem to each laptop ('ladder remote set --cacert\n"
    "FILE') and check the fingerprint there (openssl x509 -noout\n"
    "-fingerprint -sha256 -in ca.pem).\n"
    "  --hostname NAME  a DNS name (*.example.com allowed) or an IP address\n"
    "                   agents reach the hub by; repeat for more (at most\n"
    "                   29). The first one is the certificate's CN\n"
    "                   (default localhost)\n"
    "  --cert FILE      your own server certificate instead (PEM, any\n"
    "                   intermediate certificates after it); no CA is made\n"
    "  --key FILE       its private key (PEM, unencrypted). Both are checked\n"
    "                   (they parse, match and have not expired) and copied\n"
    "                   to tls/server.pem and tls/server-key.pem\n"
    "  --json           print {\"dir\", \"db\", \"git\", \"ca\", "
    "\"ca_sha256\",\n"
    "                   \"cert\", \"hostnames\"}: absolute paths; ca and\n"
    "                   ca_sha256 are null with --cert; hostnames are the\n"
    "                   DNS and IP names in the server certificate\n"
    "Exit status 1 when init fails, 2 for a usage error.";

/* Always in a certificate init makes: agents on the hub's own machine and
 * the end-to-end tests connect through these. */
static const char *const loopback_names[] = {"localhost", "127.0.0.1", "::1"};

/* Entries a run of init makes in DIR: what it may remove after failing. */
static const char *const made_entries[] = {"tls",
                                           HUB_GIT_DIR,
                                           HUB_DB_FILE,
                                           HUB_DB_FILE "-wal",
                                           HUB_DB_FILE "-shm",
                                           HUB_DB_FILE "-journal"};

struct init {
    char dir[HUB_PATH_MAX];  /* DIR without trailing slashes */
    char root[HUB_PATH_MAX]; /* where the files are made */
    bool staged;             /* root is a sibling to rename to DIR at the end */
    const char *cert, *key;  /* --cert, --key */
    char names[HUB_TLS_MAX_NAMES][HUB_TLS_NAME_MAX + 1];
    const char *namev[HUB_TLS_MAX_NAMES];
    size_t nnames;
    bool json;
};

/* ---- messages ---- */

/* ---- arguments ---- */

/* Adds a certificate name once, lowercased (DNS names ignore case). */
static int add_name(struct init *in, const char *name)
{
    char *copy;
    size_t len;

    if (!hub_tls_name_valid(name))
        return hub_usage("init", cmd_init_usage,
                         "--hostname '%s': expected a DNS name (letters, "
                         "digits, '-' and dots) or an IP address",
                         name);
    for (size_t i = 0; i < in->nnames; i++)
        if (strcasecmp(in->names[i], name) == 0)
            return 0;
    if (in->nnames == HUB_TLS_MAX_NAMES)
        return hub_usage(
            "init", cmd_init_usage, "too many --hostname names: at most %zu",
            HUB_TLS_MAX_NAMES - sizeof loopback_names / sizeof *loopback_names);
    copy = in->names[in->nnames];
    len = strlen(name); /* at most HUB_TLS_NAME_MAX: the name is valid */
    for (size_t i = 0; i <= len; i++)
        copy[i] = (name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i];
    in->namev[in->nnames++] = copy;
    return 0;
}

static int opt_error(char **argv, int c)
{
    if (c == ':')
        return hub_usage("init", cmd_init_usage, "option '%s' needs a value",
                         argv[optind - 1]);
    return hub_usage("init", cmd_init_usage, "unknown option '%s'",
                     argv[optind - 1]);
}

/* Takes DIR without trailing slashes ("/" stays "/"). */
static int set_dir(struct init *in, const char *dir)
{
    size_t len = strlen(dir);

    if (len == 0)
        return hub_usage("init", cmd_init_usage, "DIR is empty");
    if (len >= sizeof in->dir - 64) /* room for the staging suffix */
        return hub_usage("init", cmd_init_usage, "DIR is too long: %s", dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    memcpy(in->dir, dir, len);
    in->dir[len] = '\0';
    return 0;
}

static int parse(struct init *in, int argc, char **argv)
{
    static const struct option opts[] = {
        {"hostname", required_argument, 0, 'H'},
        {"cert", required_argument, 0, 'c'},
        {"key", required_argument, 0, 'k'},
        {"json", no_argument, 0, 'j'},
        {0, 0, 0, 0}};
    bool hostname = false;
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'H':
            if ((rc = add_name(in, optarg)) != 0)
                return rc;
            hostname = true;
            break;
        case 'c':
            in->cert = optarg;
            break;
        case 'k':
            in->key = optarg;
            break;
        case 'j':
            in->json = true;
            break;
        default:
            return opt_error(argv, c);
        }
    }
    if (optind >= argc)
        return hub_usage("init", cmd_init_usage, "DIR is required");
    if (optind + 1 < argc)
        return hub_usage("init", cmd_init_usage, "unexpected argument '%s'",
                         argv[optind + 1]);
    if (!in->cert != !in->key)
        return hub_usage("init", cmd_init_usage,
                         "--cert and --key go together");
    if (in->cert && hostname)
        return hub_usage("init", cmd_init_usage,
                         "--hostname is for the certificate init makes; "
                         "with --cert the names are those in your "
                         "certificate");
    for (size_t i = 0; i < sizeof loopback_names / sizeof *loopback_names; i++)
        if ((rc = add_name(in, loopback_names[i])) != 0)
            return rc;
    return set_dir(in, argv[optind]);
}

/* ---- the directory ---- */

enum dir_state { DIR_MISSING, DIR_EMPTY, DIR_HUB, DIR_PARTIAL, DIR_OTHER };

static bool is_made_entry(const char *name)
{
    for (size_t i = 0; i < sizeof made_entries / sizeof *made_entries; i++)
        if (strcmp(name, made_entries[i]) == 0)
            return true;
    return false;
}

/* What DIR holds: nothing, a hub (its database), the leftovers of an
 * interrupted init, or something else. */
static int dir_state(enum dir_state *out, const char *dir, struct ldr_err *err)
{
    bool ours = true, any = false, db = false;
    struct dirent *e;
    DIR *d;

    d = opendir(dir);
    if (!d && errno == ENOENT) {
        *out = DIR_MISSING;
        return 0;
    }
    if (!d)
        return ldr_err_set(err, LDR_EIO, "cannot use '%s': %s", dir,
                           errno == ENOTDIR ? "it is not a directory"
                                            : strerror(errno));
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        any = true;
        ours = ours && is_made_entry(e->d_name);
        db = db || strcmp(e->d_name, HUB_DB_FILE) == 0;
    }
    closedir(d);
    *out = !any ? DIR_EMPTY : db ? DIR_HUB : ours ? DIR_PARTIAL : DIR_OTHER;
    return 0;
}

static int check_dir(struct init *in, struct ldr_err *err)
{
    enum dir_state state = DIR_OTHER; /* set by dir_state on success */
    int rc = dir_state(&state, in->dir, err);

    if (rc != 0)
        return rc;
    if (state == DIR_HUB)
        return ldr_err_set(err, LDR_EINVAL,
                           "'%s' is already initialised (it holds " HUB_DB_FILE
                           "); nothing was changed",
                           in->dir);
    if (state == DIR_PARTIAL)
        return ldr_err_set(err, LDR_EINVAL,
                           "'%s' holds what an interrupted init left; remove "
                           "the directory and run init again",
                           in->dir);
    if (state == DIR_OTHER)
        return ldr_err_set(err, LDR_EINVAL,
                           "'%s' is not empty and is no ladder hub data "
                           "directory; give a new or an empty directory",
                           in->dir);
    in->staged = state == DIR_MISSING;
    return 0;
}

/*
 * A missing DIR is made as a hidden sibling and renamed into place at the
 * end, so even an interrupted run leaves no DIR behind. An empty DIR may
 * sit where only it is writable (made by root for the hub's user), so it
 * is filled in place.
 */
static int make_root(struct init *in, struct ldr_err *err)
{
    const char *slash = strrchr(in->dir, '/');
    int n;

    if (!in->staged) {
        snprintf(in->root, sizeof in->root, "%s", in->dir);
        return 0;
    }
    if (!slash)
        n = snprintf(in->root, sizeof in->root, ".%s.init-XXXXXX", in->dir);
    else
        n = snprintf(in->root, sizeof in->root, "%.*s/.%s.init-XXXXXX",
                     (int)(slash - in->dir), in->dir, slash + 1);
    if (n < 0 || (size_t)n >= sizeof in->root)
        return ldr_err_set(err, LDR_EINVAL, "path too long: %s", in->dir);
    if (!mkdtemp(in->root)) /* mode 0700 */
        return ldr_err_set(err, LDR_EIO, "cannot create '%s': %s", in->dir,
                           strerror(errno));
    return 0;
}

/* ROOT/rel in `out`. set_dir() left room for every rel of ours, so
 * false (a cut path) only guards against misuse. */
static bool sub_path(char out[HUB_PATH_MAX], const char *root, const char *rel)
{
    int n = snprintf(out, HUB_PATH_MAX, "%s/%s", root, rel);

    return n > 0 && n < HUB_PATH_MAX;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0; /* go on: remove as much as can be removed */
}

static void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removes what this run made. */
static void undo(const struct init *in)
{
    char path[HUB_PATH_MAX];

    if (in->staged) {
        remove_tree(in->root);
        return;
    }
    for (size_t i = 0; i < sizeof made_entries / sizeof *made_entries; i++) {
        if (sub_path(path, in->root, made_entries[i]))
            remove_tree(path);
    }
}

/* ---- the parts ---- */

static int make_tls(const struct init *in, struct ldr_err *err)
{
    char path[HUB_PATH_MAX];
    int rc;

    if (!sub_path(path, in->root, "tls"))
        return ldr_err_set(err, LDR_EINVAL, "path too long: %s", in->root);
    if (mkdir(path, 0700) != 0 || chmod(path, 0700) != 0)
        return ldr_err_set(err, LDR_EIO, "cannot create '%s': %s", path,
                           strerror(errno));
    if (in->cert)
        rc = hub_tls_import(in->root, in->cert, in->key, err);
    else
        rc = hub_tls_make(in->root, in->namev, in->nnames, err);
    return rc;
}

static int make_git(const struct init *in, struct ldr_err *err)
{
    git_repository_init_options opts;
    git_repository *repo = NULL;
    char path[HUB_PATH_MAX];
    int rc = 0;

    if (!sub_path(path, in->root, HUB_GIT_DIR))
        return ldr_err_set(err, LDR_EINVAL, "path too long: %s", in->root);
    git_libgit2_init();
    git_repository_init_options_init(&opts,
                                     GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKDIR |
                 GIT_REPOSITORY_INIT_NO_REINIT;
    opts.initial_head = "main";
    if (git_repository_init_ext(&repo, path, &opts) < 0) {
        const git_error *e = git_error_last();

        rc = ldr_err_set(err, LDR_EIO,
                         "cannot create the git repository '%s': %s", path,
                         e && e->message ? e->message : "libgit2 failed");
    }
    git_repository_free(repo);
    git_libgit2_shutdown();
    /* pushes to main are checked by this very binary, PATH or not */
    return rc ? rc : hub_git_install_hook(path, NULL, err);
}

static int make_db(const struct init *in, struct ldr_err *err)
{
    sqlite3 *db;
    int rc = hub_db_open(&db, in->root, err);

    if (rc != 0)
        return ldr_err_prefix(err, "cannot create the database: ");
    if (sqlite3_close(db) != SQLITE_OK)
        return ldr_err_set(err, LDR_EDB, "cannot close the new database: %s",
                           sqlite3_errmsg(db));
    return 0;
}

/* Puts the finished directory in place as DIR, private to its owner. */
static int finish(const struct init *in, struct ldr_err *err)
{
    if (in->staged && rename(in->root, in->dir) != 0)
        return ldr_err_set(err, LDR_EIO, "cannot rename '%s' to '%s': %s",
                           in->root, in->dir, strerror(errno));
    if (!in->staged && chmod(in->dir, 0700) != 0)
        return ldr_err_set(err, LDR_EIO, "cannot make '%s' private: %s",
                           in->dir, strerror(errno));
    return 0;
}

static int build(struct init *in, struct ldr_err *err)
{
    int rc = check_dir(in, err);

    if (rc != 0 || (rc = make_root(in, err)) != 0)
        return rc;
    if ((rc = make_tls(in, err)) == 0 && (rc = make_git(in, err)) == 0 &&
        (rc = make_db(in, err)) == 0)
        rc = finish(in, err);
    if (rc != 0)
        undo(in);
    return rc;
}

/* ---- what it made ---- */

static void print_text(const char *dir, const struct hub_tls_info *ca,
                       const struct hub_tls_info *cert)
{
    printf("ladder hub data directory %s\n", dir);
    printf("  database     %s/" HUB_DB_FILE "\n", dir);
    printf("  models       %s/" HUB_GIT_DIR
           " (bare git, branch main; pushes are checked)\n",
           dir);
    printf("  certificate  %s/" HUB_CERT_FILE " for", dir);
    for (size_t i = 0; i < cert->nnames; i++)
        printf("%s %s", i ? "," : "", cert->names[i]);
    printf("%s\n", cert->nnames ? "" : " no names (it has no subjectAltName)");
    if (!ca) {
        printf("  CA           none made: agents need the CA that signed "
               "your certificate\n");
    } else {
        printf("  CA           %s/" HUB_CA_FILE "\n", dir);
        printf("  CA SHA-256   %s\n", ca->sha256);
        printf("Copy the CA file to each agent and check this fingerprint "
               "there.\n");
    }
    printf("Start the hub: ladder-hub serve %s\n", dir);
}

static int print_json(const char *dir, const struct hub_tls_info *ca,
                      const struct hub_tls_info *cert)
{
    char db[PATH_MAX + 16], git[PATH_MAX + 16], ca_file[PATH_MAX + 16],
        cert_file[PATH_MAX + 32];
    json_t *names = json_array(), *doc;

    snprintf(db, sizeof db, "%s/" HUB_DB_FILE, dir);
    snprintf(git, sizeof git, "%s/" HUB_GIT_DIR, dir);
    snprintf(ca_file, sizeof ca_file, "%s/" HUB_CA_FILE, dir);
    snprintf(cert_file, sizeof cert_file, "%s/" HUB_CERT_FILE, dir);
    for (size_t i = 0; i < cert->nnames; i++)
        json_array_append_new(names, json_string(cert->names[i]));
    doc = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:o}", "dir", dir, "db", db,
                    "git", git, "ca", ca ? json_string(ca_file) : json_null(),
                    "ca_sha256", ca ? json_string(ca->sha256) : json_null(),
                    "cert", cert_file, "hostnames", names);
    return hub_print_json(doc, "init", NULL);
}

static int report(const struct init *in)
{
    struct hub_tls_info *ca = NULL, *cert = calloc(2, sizeof *cert);
    char dir[PATH_MAX], path[HUB_PATH_MAX * 2];
    struct ldr_err err = {0};
    int rc;

    if (!cert)
        return hub_fail("init", NULL, "out of memory");
    if (!realpath(in->dir, dir))
        snprintf(dir, sizeof dir, "%s", in->dir);
    snprintf(path, sizeof path, "%s/" HUB_CERT_FILE, dir);
    rc = hub_tls_inspect(cert, path, &err);
    if (rc == 0 && !in->cert) {
        ca = cert + 1;
        snprintf(path, sizeof path, "%s/" HUB_CA_FILE, dir);
        rc = hub_tls_inspect(ca, path, &err);
    }
    if (rc != 0)
        rc = hub_fail("init", NULL, "'%s' is made, but: %s", dir, err.msg);
    else if (in->json)
        rc = print_json(dir, ca, cert);
    else
        print_text(dir, ca, cert);
    free(cert);
    return rc;
}

int cmd_init(int argc, char **argv)
{
    struct ldr_err err = {0};
    struct init *in = calloc(1, sizeof *in);
    int rc;

    if (!in)
        return hub_fail("init", NULL, "out of memory");
    rc = parse(in, argc, argv);
    if (rc == 0 && build(in, &err) != 0)
        rc = hub_fail("init", NULL, "%s", err.msg);
    if (rc == 0)
        rc = report(in);
    free(in);
    return rc;
}
