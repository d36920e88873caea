#ifndef LADDER_HUB_HTTP_H
#define LADDER_HUB_HTTP_H

/*
 * The hub's HTTP(S) server (libmicrohttpd): routes, authentication on the
 * request headers, bodies with a cap and gzip, answers, metrics and one
 * JSON log line per request on stderr. The sync work itself is sync.c's
 * (hub.h); this layer only feeds it and sends back what it answers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "hub.h"

struct ldr_err;
struct hub_server;

#define HUB_DEFAULT_LISTEN "127.0.0.1:8443"
#define HUB_DEFAULT_THREADS 4
#define HUB_MAX_THREADS 64
#define HUB_CONNECTION_TIMEOUT_S 30 /* idle seconds before a drop */
#define HUB_CONNECTION_LIMIT 256
#define HUB_PER_IP_LIMIT 64
#define HUB_GZIP_OVER 1024 /* answers larger than this may be gzipped */

/* What `ladder-hub serve` was asked for. */
struct hub_serve_options {
    const char *dir;    /* the data directory (ladder-hub init) */
    const char *listen; /* "ADDR:PORT", "[ADDR6]:PORT"; port 0 picks one */
    bool insecure_http; /* plain HTTP, loopback addresses only */
    size_t max_body;    /* request body cap, also after inflating gzip */
    unsigned threads;   /* pool threads, each with its own connection */
    struct hub_config sync;
};

/* The defaults: HUB_DEFAULT_LISTEN, TLS, HUB_DEFAULT_MAX_BODY,
 * HUB_DEFAULT_THREADS, the default clock bound and limits. */
void hub_serve_options_init(struct hub_serve_options *o);

/*
 * Parses a numeric "ADDR:PORT" or "[ADDR6]:PORT" into `out` (a
 * sockaddr_in or sockaddr_in6), with its length in `*len`. LDR_EINVAL
 * with a message naming the text when it is no such address.
 */
int hub_listen_parse(struct sockaddr_storage *out, socklen_t *len,
                     const char *text, struct ldr_err *err);

/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool hub_addr_is_loopback(const struct sockaddr_storage *addr);

/* True if an Accept-Encoding value admits gzip (a "gzip" or "*" token
 * without q=0). NULL admits nothing. */
bool hub_accepts_gzip(const char *accept_encoding);

/*
 * Starts serving DIR: checks that DIR holds a hub database, reads the TLS
 * certificate and key (DIR/tls/server.pem, server-key.pem) unless
 * insecure_http, binds and starts the pool. Fails (LDR_EINVAL, LDR_EIO)
 * with a message for the operator: no database, no certificate, plain
 * HTTP on a non-loopback address, an address in use. `*out` is stopped
 * and freed with hub_server_stop().
 */
int hub_server_start(struct hub_server **out, const struct hub_serve_options *o,
                     struct ldr_err *err);

/* The URL the server answers on, with the bound port:
 * "https://127.0.0.1:43121". Borrowed; lives as long as the server. */
const char *hub_server_url(const struct hub_server *s);

/* Writes {"time", "level", "message"} as one line on stderr, the form of
 * the request log. */
void hub_log(const char *level, const char *message);

/* Stops accepting, finishes the pool threads, closes their database
 * connections and frees `s`. NULL does nothing. */
void hub_server_stop(struct hub_server *s);

#endif
