/* ladder-hub serve: run the HTTPS server until SIGTERM or SIGINT. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "commands.h"
#include "http.h"
#include "ladder/cli.h"
#include "ladder/err.h"

const char cmd_serve_usage[] =
    "DIR [--listen ADDR:PORT] [--insecure-http] [--max-body BYTES]\n"
    "       [--threads N] [--max-ahead SECONDS]\n"
    "\n"
    "Serves the hub in DIR (made by 'ladder-hub init') over HTTPS with the\n"
    "certificate in DIR/tls, until SIGTERM or SIGINT. Prints one line,\n"
    "\"listening on https://ADDR:PORT\", once it accepts connections, then\n"
    "one JSON line per request on stderr.\n"
    "  --listen ADDR:PORT  numeric address and port "
    "(default " HUB_DEFAULT_LISTEN ";\n"
    "                      0.0.0.0:8443 for every interface, [::1]:8443 for\n"
    "                      IPv6, port 0 for any free port)\n"
    "  --insecure-http     plain HTTP, for tests; loopback addresses only\n"
    "  --max-body BYTES    request body limit, also after gunzip (default\n"
    "                      33554432, 32 MiB)\n"
    "  --threads N         worker threads, each with its own database\n"
    "                      connection (default 4, at most 64)\n"
    "  --max-ahead SECONDS refuse clock stamps further ahead of this\n"
    "                      machine's clock (default 600)";

/* A whole decimal number from 1 to `max`, or 0. */
static unsigned long long number(const char *text, unsigned long long max)
{
    char *end;
    unsigned long long v;

    if (text[0] < '0' || text[0] > '9')
        return 0;
    errno = 0;
    v = strtoull(text, &end, 10);
    return errno || *end || v > max ? 0 : v;
}

static int parse_option(struct hub_serve_options *o, int ch, char **argv)
{
    unsigned long long v;

    switch (ch) {
    case 'l':
        o->listen = optarg;
        return 0;
    case 'i':
        o->insecure_http = true;
        return 0;
    case 'b':
        if (!(v = number(optarg, SIZE_MAX / 2)))
            return hub_usage("serve", cmd_serve_usage,
                             "--max-body: expected a number of bytes, "
                             "got '%s'",
                             optarg);
        o->max_body = (size_t)v;
        return 0;
    case 't':
        if (!(v = number(optarg, HUB_MAX_THREADS)))
            return hub_usage("serve", cmd_serve_usage,
                             "--threads: expected 1 to %d, got '%s'",
                             HUB_MAX_THREADS, optarg);
        o->threads = (unsigned)v;
        return 0;
    case 'a':
        if (!(v = number(optarg, 366ull * 86400)))
            return hub_usage("serve", cmd_serve_usage,
                             "--max-ahead: expected a number of seconds, "
                             "got '%s'",
                             optarg);
        o->sync.max_ahead_ms = v * 1000;
        return 0;
    case ':':
        return hub_usage("serve", cmd_serve_usage, "%s needs a value",
                         argv[optind - 1]);
    default:
        return hub_usage("serve", cmd_serve_usage, "unknown option '%s'",
                         argv[optind - 1]);
    }
}

static int parse_options(struct hub_serve_options *o, int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, 0, 'l'},
        {"insecure-http", no_argument, 0, 'i'},
        {"max-body", required_argument, 0, 'b'},
        {"threads", required_argument, 0, 't'},
        {"max-ahead", required_argument, 0, 'a'},
        {0, 0, 0, 0}};
    int ch, rc;

    optind = 0;
    while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1)
        if ((rc = parse_option(o, ch, argv)) != 0)
            return rc;
    if (optind >= argc)
        return hub_usage("serve", cmd_serve_usage,
                         "which data directory? give DIR");
    if (optind + 1 < argc)
        return hub_usage("serve", cmd_serve_usage, "unexpected argument '%s'",
                         argv[optind + 1]);
    o->dir = argv[optind];
    return 0;
}

/* Blocks the stop signals in this thread and the ones it starts, so only
 * sigwait() sees them; SIGPIPE is ignored: a vanished client is no crash. */
static void block_signals(sigset_t *stop)
{
    sigemptyset(stop);
    sigaddset(stop, SIGTERM);
    sigaddset(stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, stop, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int cmd_serve(int argc, char **argv)
{
    struct hub_serve_options o;
    struct ldr_err err = {0};
    struct hub_server *s;
    sigset_t stop;
    char line[200];
    int sig = 0, rc;

    hub_serve_options_init(&o);
    if ((rc = parse_options(&o, argc, argv)) != 0)
        return rc;
    block_signals(&stop);
    /* Pages and change sets are buffers of hundreds of KiB to MiBs: give
     * them their own mappings, returned when freed, and keep few arenas,
     * so that peak memory follows the live requests, not the history of
     * the threads' heaps (glibc would raise the threshold after the first
     * free and then serve such buffers from fragmenting heaps). */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_ARENA_MAX, 2);
    /* held for the whole run: each model request opens the repository, and
     * libgit2 tears its global state down whenever its count drops to 0 */
    git_libgit2_init();
    if (hub_server_start(&s, &o, &err) != 0) {
        fprintf(stderr, "ladder-hub serve: %s\n", err.msg);
        git_libgit2_shutdown();
        return LDR_EXIT_FAIL;
    }
    printf("listening on %s\n", hub_server_url(s));
    fflush(stdout);
    snprintf(line, sizeof line, "listening on %s", hub_server_url(s));
    hub_log("info", line);
    while (sigwait(&stop, &sig) != 0)
        ;
    hub_server_stop(s);
    git_libgit2_shutdown();
    hub_log("info", sig == SIGINT ? "stopped on SIGINT" : "stopped on SIGTERM");
    return LDR_EXIT_OK;
}
