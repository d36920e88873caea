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
 * A request body as it goes on the wire: gzip-compressed once it is over
 * 1 KiB (sent with Content-Encoding: gzip), else as it is.
 */
struct http_body {
    const char *data;
    size_t len;
    bool gzip;
    char *owned; /* malloc'd: what `data` points at */
};

/*
 * A body made piece by piece and compressed as it grows, so that a large
 * one is never held whole uncompressed, and made apart from the request so
 * that a sync can make the next change set while the hub answers the
 * current one. http_packer_finish hands the body over to `out` (freed
 * with http_body_release) or returns LDR_ENOMEM; either way the packer is
 * done with.
 */
struct http_packer {
    char *raw, *out; /* the plain start, then the compressed body */
    size_t raw_len, out_len, out_cap;
    void *z; /* the zlib stream once compressing */
    bool failed;
};

void http_packer_init(struct http_packer *p);
void http_packer_add(struct http_packer *p, const char *data, size_t len);
int http_packer_finish(struct http_packer *p, struct http_body *out,
                       struct ldr_err *err);

/* A body of `len` bytes at `body`, packed whole. */
int http_pack(struct http_body *out, const char *body, size_t len,
              struct ldr_err *err);
void http_body_release(struct http_body *b);

/*
 * One request: `method` "GET" or "POST" to `path` ("/v1/changes?since=0");
 * a POST sends `body` (NULL for none), with Expect: 100-continue. On a
 * transport failure (no connection, TLS refused, timeout) returns LDR_EIO
 * with curl's reason and reply->status 0; an HTTP error status is not a
 * failure here: the caller reads reply->status. A client serves one
 * request at a time, from any one thread.
 */
int http_send(struct http *c, const char *method, const char *path,
              const struct http_body *body, struct http_reply *reply,
              struct ldr_err *err);

void http_reply_release(struct http_reply *r);

/* Bytes sent and received on the wire so far (compressed sizes). */
void http_traffic(const struct http *c, double *sent, double *received);

#endif
