/* ladder sync, ladder remote set|show: the hub connection and the sync. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "http.h"
#include "ladder/cli.h"
#include "ladder/err.h"
#include "out.h"
#include "store.h"
#include "sync.h"

const char cmd_sync_usage[] =
    "[--json] [--batch N]\n"
    "\n"
    "Sends the outbox to the hub in change sets of at most N changes\n"
    "(default 1000), then pulls what others wrote, page by page, saving\n"
    "the position after each page. Stopped at any moment, the next sync\n"
    "carries on: nothing is lost or applied twice. Changes the hub\n"
    "refuses stay in the outbox marked rejected ('ladder rejected').\n"
    "On a terminal a progress line is shown on stderr.\n"
    "Then it downloads the model versions records pin and the latest\n"
    "of each model, and copies the hub's conflict journal.\n"
    "  --json  print {\"pushed\", \"accepted\", \"rejected\", \"pulled\",\n"
    "          \"conflicts\", \"models\", \"sent_bytes\", \"received_bytes\",\n"
    "          \"seconds\"}";

const char cmd_remote_usage[] =
    "set [--hub URL] [--token TOKEN|-] [--cacert FILE]\n"
    "       ladder remote show [--json]\n"
    "\n"
    "  set   the hub to sync with: its https:// URL, the token the hub's\n"
    "        admin gave you ('-' reads it from stdin, keeping it out of\n"
    "        the process list) and the CA certificate to trust (the PEM\n"
    "        file 'ladder-hub init' printed). The token is kept only in\n"
    "        the private database and never printed.\n"
    "  show  the hub URL, whether a token is set, the CA's subject line\n"
    "        (--json: {\"hub\", \"token\": BOOL, \"cacert\": BOOL})";

/* ---- remote settings ----------------------------------------------------- */

struct remote {
    const char *hub, *token, *cacert_file;
};

static char *read_all(FILE *f, size_t max)
{
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max, f) : 0;

    if (!buf)
        return NULL;
    buf[n] = '\0';
    return buf;
}

static int check_url(const char *url, struct ldr_err *err)
{
    if (strncmp(url, "https://", 8) != 0 || strlen(url) < 9 ||
        strlen(url) > 1024 || strpbrk(url, " \t\r\n"))
        return ldr_err_set(err, LDR_EINVAL,
                           "hub URL '%s': expected https://HOST[:PORT]", url);
    return 0;
}

/* The token from the option, or from stdin for "-"; without the newline. */
static char *token_text(const char *opt, struct ldr_err *err)
{
    char *t = strcmp(opt, "-") == 0 ? read_all(stdin, 1024) : strdup(opt);

    if (!t) {
        ldr_err_set(err, LDR_ENOMEM, "out of memory");
        return NULL;
    }
    t[strcspn(t, "\r\n")] = '\0';
    if (!*t || strlen(t) > 512 || strpbrk(t, " \t")) {
        free(t);
        ldr_err_set(err, LDR_EINVAL, "the token is empty or malformed");
        return NULL;
    }
    return t;
}

static char *ca_text(const char *file, struct ldr_err *err)
{
    FILE *f = fopen(file, "rb");
    char *pem = f ? read_all(f, 1 << 20) : NULL;

    if (f)
        fclose(f);
    if (!f) {
        ldr_err_set(err, LDR_EIO, "%s: cannot read the CA certificate", file);
        return NULL;
    }
    if (!pem || !strstr(pem, "-----BEGIN CERTIFICATE-----")) {
        free(pem);
        ldr_err_set(err, LDR_EINVAL,
                    "%s: not a PEM certificate (expected the CA file "
                    "'ladder-hub init' wrote)",
                    file);
        return NULL;
    }
    return pem;
}

int remote_save(struct store *s, const char *hub, const char *token,
                const char *cacert_file, struct ldr_err *err)
{
    char *tok = NULL, *pem = NULL;
    int rc = hub ? check_url(hub, err) : 0;

    if (rc == 0 && token && !(tok = token_text(token, err)))
        rc = err->code;
    if (rc == 0 && cacert_file && !(pem = ca_text(cacert_file, err)))
        rc = err->code;
    if (rc == 0)
        rc = store_begin(s, err);
    if (rc == 0 && hub)
        rc = store_set_meta(s, "hub", hub, err);
    if (rc == 0 && tok)
        rc = store_set_meta(s, "token", tok, err);
    if (rc == 0 && pem)
        rc = store_set_meta(s, "cacert", pem, err);
    if (rc == 0)
        rc = store_commit(s, err);
    else
        store_rollback(s);
    free(tok);
    free(pem);
    return rc;
}

static int remote_set(int argc, char **argv)
{
    static const struct option opts[] = {{"hub", required_argument, 0, 'h'},
                                         {"token", required_argument, 0, 't'},
                                         {"cacert", required_argument, 0, 'c'},
                                         {0, 0, 0, 0}};
    struct remote r = {0};
    struct ldr_err err = {0};
    struct store s;
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'h')
            r.hub = optarg;
        else if (c == 't')
            r.token = optarg;
        else if (c == 'c')
            r.cacert_file = optarg;
        else
            return out_opt_error("remote set", cmd_remote_usage, argv, c);
    }
    if (optind < argc || (!r.hub && !r.token && !r.cacert_file))
        return out_usage("remote set", cmd_remote_usage,
                         "give --hub, --token or --cacert");
    if ((rc = open_store(&s, "remote set")) != 0)
        return rc;
    rc = remote_save(&s, r.hub, r.token, r.cacert_file, &err);
    store_close(&s);
    return rc ? out_err("remote set", &err) : LDR_EXIT_OK;
}

static int remote_show(int argc, char **argv)
{
    bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
    char *hub, *token, *ca;
    struct store s;
    int rc;

    if (argc > 2 || (argc == 2 && !json))
        return out_usage("remote show", cmd_remote_usage,
                         "show takes only --json");
    if ((rc = open_store(&s, "remote show")) != 0)
        return rc;
    hub = store_meta(&s, "hub");
    token = store_meta(&s, "token");
    ca = store_meta(&s, "cacert");
    store_close(&s);
    if (json)
        rc = out_json(json_pack("{s:s?, s:b, s:b}", "hub", hub, "token",
                                token != NULL, "cacert", ca != NULL));
    else
        printf("hub     %s\ntoken   %s\ncacert  %s\n", hub ? hub : "not set",
               token ? "set (not shown)" : "not set", ca ? "set" : "not set");
    free(hub);
    free(token);
    free(ca);
    return rc;
}

int cmd_remote(int argc, char **argv)
{
    static const struct subcommand subs[] = {{"set", remote_set},
                                             {"show", remote_show}};

    return run_subcommand("remote", cmd_remote_usage, subs,
                          sizeof subs / sizeof *subs, argc, argv);
}

/* ---- sync ------------------------------------------------------------------
 */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One line on stderr, rewritten in place. */
static void progress(void *ctx, const struct sync_stats *st, size_t pending)
{
    (void)ctx;
    fprintf(stderr,
            "\r\033[Ksync: sent %zu changes (%zu to go), accepted %zu, "
            "rejected %zu; received %zu; %.1f KB up, %.1f KB down",
            st->pushed, pending, st->accepted, st->rejected, st->pulled,
            st->sent / 1024, st->received / 1024);
}

static int open_hub(struct store *s, struct http **c, struct ldr_err *err)
{
    char *hub = store_meta(s, "hub"), *token = store_meta(s, "token");
    char *ca = store_meta(s, "cacert");
    int rc;

    if (!hub || !token || !ca)
        rc = ldr_err_set(err, LDR_EINVAL,
                         "no hub %s set: run 'ladder remote set --hub URL "
                         "--token TOKEN --cacert FILE'",
                         !hub     ? "URL"
                         : !token ? "token"
                                  : "CA certificate");
    else
        rc = http_open(c, hub, token, ca, err);
    free(hub);
    free(token);
    free(ca);
    return rc;
}

static void print_summary(const struct sync_stats *st, double secs, bool json)
{
    if (json) {
        out_json(json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "pushed",
            (json_int_t)st->pushed, "accepted", (json_int_t)st->accepted,
            "rejected", (json_int_t)st->rejected, "pulled",
            (json_int_t)st->pulled, "conflicts", (json_int_t)st->conflicts,
            "models", (json_int_t)st->models, "sent_bytes",
            (json_int_t)st->sent, "received_bytes", (json_int_t)st->received,
            "seconds", secs));
        return;
    }
    printf("sent %zu changes: %zu accepted, %zu rejected; received %zu; "
           "%zu new conflicts; %zu model versions; %.2f s\n",
           st->pushed, st->accepted, st->rejected, st->pulled, st->conflicts,
           st->models, secs);
    if (st->models_missing)
        printf("%zu model versions that records here pin are not at the "
               "hub\n",
               st->models_missing);
    if (st->rejected)
        printf("see 'ladder rejected' for what the hub refused and why\n");
    if (st->conflicts)
        printf("see 'ladder conflicts' for concurrent edits that lost\n");
}

int cmd_sync(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, 0, 'j'},
                                         {"batch", required_argument, 0, 'b'},
                                         {0, 0, 0, 0}};
    struct sync_opts o = {SYNC_BATCH, SYNC_ATTEMPTS, NULL, NULL};
    struct sync_stats st = {0};
    struct ldr_err err = {0};
    struct http *c = NULL;
    struct store s;
    bool json = false;
    double start = now_s();
    int ch, rc;
    char *end;

    optind = 0;
    while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (ch == 'j')
            json = true;
        else if (ch == 'b' && ((o.batch = strtoul(optarg, &end, 10)) < 1 ||
                               *end || o.batch > 10000))
            return out_usage("sync", cmd_sync_usage,
                             "--batch: expected 1 to 10000, got '%s'", optarg);
        else if (ch != 'b')
            return out_opt_error("sync", cmd_sync_usage, argv, ch);
    }
    if (optind < argc)
        return out_usage("sync", cmd_sync_usage, "unexpected argument '%s'",
                         argv[optind]);
    if ((rc = open_store(&s, "sync")) != 0)
        return rc;
    if (!json && isatty(2))
        o.progress = progress;
    rc = open_hub(&s, &c, &err);
    if (rc == 0)
        rc = sync_run(&s, c, &o, &st, &err);
    if (o.progress)
        fputs("\r\033[K", stderr);
    http_close(c);
    store_close(&s);
    if (rc)
        return out_fail("sync",
                        "%s; what was done is kept, and the next "
                        "sync carries on",
                        err.msg);
    print_summary(&st, now_s() - start, json);
    return LDR_EXIT_OK;
}

/* ---- model pull ------------------------------------------------------------
 */

int cmd_model_pull(int argc, char **argv)
{
    struct sync_opts o = {SYNC_BATCH, SYNC_ATTEMPTS, NULL, NULL};
    struct sync_stats st = {0};
    struct ldr_err err = {0};
    struct http *c = NULL;
    bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
    struct store s;
    int rc;

    if (argc > 2 || (argc == 2 && !json))
        return out_usage("model pull", cmd_model_usage,
                         "pull takes only --json");
    if ((rc = open_store(&s, "model pull")) != 0)
        return rc;
    rc = open_hub(&s, &c, &err);
    if (rc == 0)
        rc = sync_models(&s, c, &o, true, &st, &err);
    http_close(c);
    store_close(&s);
    if (rc)
        return out_fail("model pull", "%s", err.msg);
    if (json)
        return out_json(json_pack("{s:I, s:I}", "downloaded",
                                  (json_int_t)st.models, "missing",
                                  (json_int_t)st.models_missing));
    printf("downloaded %zu model version%s\n", st.models,
           st.models == 1 ? "" : "s");
    if (st.models_missing)
        printf("%zu version%s that records here pin %s not at the hub\n",
               st.models_missing, st.models_missing == 1 ? "" : "s",
               st.models_missing == 1 ? "is" : "are");
    return LDR_EXIT_OK;
}
