#ifndef LADDER_AGENT_HTTP_H
#define LADDER_AGENT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct ldr_err;

/*
 * The agent's HTTPS client for `ladder sync`: one libcurl handle, so one
 * kept-alive TLS connection, with the hub's certificate always verified
 * against the CA the user gave.
 *
 * libcurl is loaded with dlopen() when sync starts rather than linked:
 * linking it (and the libraries it pulls in) adds about 6 ms to the start
 * of every `ladder` command, most of which never touch the network.
 */

struct http_reply {
    long status; /* HTTP status; 0 when no answer came */
    char *body;  /* malloc'd, NUL-terminated (decompressed) */
    size_t len;
};

struct http; /* opaque */

/*
 * A client for `base` ("https://hub:8443"), sending "Authorization: Bearer
 * <token>" and trusting only the CA certificates in `ca_pem` (PEM text).
 * LDR_EIO when libcurl cannot be loaded or set up.
 */
int http_open(struct http **out, const char *base, const char *token,
              const char *ca_pem, struct ldr_err *err);
void http_close(struct http *c);

/*
 * One request: `method` "GET" or "POST" to `path` ("/v1/changes?since=0");
 * a POST body is sent gzip-compressed when large, with Expect:
 * 100-continue. On a transport failure (no connection, TLS refused,
 * timeout) returns LDR_EIO with curl's reason and reply->status 0; an HTTP
 * error status is not a failure here: the caller reads reply->status.
 */
int http_request(struct http *c, const char *method, const char *path,
                 const char *body, size_t len, struct http_reply *reply,
                 struct ldr_err *err);
void http_reply_release(struct http_reply *r);

/* Bytes sent and received on the wire so far (compressed sizes). */
void http_traffic(const struct http *c, double *sent, double *received);

#endif
