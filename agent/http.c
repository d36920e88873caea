#include "http.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <zlib.h>

#include "ladder/err.h"
#include "ladder/gzip.h"

#define GZIP_OVER 1024 /* bodies smaller than this go uncompressed */
#define HTTP_REPLY_MAX ((size_t)1 << 30) /* an answer inflates to at most */

/* The libcurl functions sync uses, resolved from libcurl.so.4. */
struct curl_api {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
    CURLcode (*easy_perform)(CURL *h);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *h);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
    void (*slist_free_all)(struct curl_slist *l);
};

struct http {
    void *lib;
    struct curl_api api;
    CURL *h;
    char *base;
    char *ca_pem;
    struct curl_slist *headers, *gzip_headers;
    char error[CURL_ERROR_SIZE];
    double sent, received;
    bool zipped; /* the answer came with Content-Encoding: gzip */
};

static int load_api(struct http *c, struct ldr_err *err)
{
    static const char *const names[] = {
        "curl_global_init",   "curl_easy_init",    "curl_easy_setopt",
        "curl_easy_perform",  "curl_easy_getinfo", "curl_easy_cleanup",
        "curl_easy_strerror", "curl_slist_append", "curl_slist_free_all"};
    void **slots[] = {
        (void **)&c->api.global_init,   (void **)&c->api.easy_init,
        (void **)&c->api.easy_setopt,   (void **)&c->api.easy_perform,
        (void **)&c->api.easy_getinfo,  (void **)&c->api.easy_cleanup,
        (void **)&c->api.easy_strerror, (void **)&c->api.slist_append,
        (void **)&c->api.slist_free_all};

    c->lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!c->lib)
        return ldr_err_set(err, LDR_EIO,
                           "cannot load libcurl (%s): install the libcurl4 "
                           "package",
                           dlerror());
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        /* POSIX: a function pointer may travel through void * */
        *slots[i] = dlsym(c->lib, names[i]);
        if (!*slots[i])
            return ldr_err_set(err, LDR_EIO, "libcurl lacks %s", names[i]);
    }
    return 0;
}

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
    struct http_reply *r = ctx;
    size_t add = size * n;
    char *grown = realloc(r->body, r->len + add + 1);

    if (!grown)
        return 0; /* curl then fails the transfer */
    memcpy(grown + r->len, data, add);
    r->body = grown;
    r->len += add;
    r->body[r->len] = '\0';
    return add;
}

/* Notes a gzip answer: its body is inflated once whole (unzip_reply). */
static size_t on_header(char *line, size_t size, size_t n, void *ctx)
{
    static const char name[] = "content-encoding:";
    struct http *c = ctx;
    size_t len = size * n, k = sizeof name - 1;

    if (len > k && strncasecmp(line, name, k) == 0) {
        while (k < len && (line[k] == ' ' || line[k] == '\t'))
            k++;
        c->zipped = len - k >= 4 && strncasecmp(line + k, "gzip", 4) == 0;
    }
    return len;
}

static int setup(struct http *c, const char *token, struct ldr_err *err)
{
    struct curl_blob ca = {c->ca_pem, strlen(c->ca_pem), CURL_BLOB_NOCOPY};
    char auth[512];
    CURL *h;

    if (c->api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
        !(c->h = h = c->api.easy_init()))
        return ldr_err_set(err, LDR_EIO, "cannot start libcurl");
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    c->headers = c->api.slist_append(NULL, auth);
    c->headers =
        c->api.slist_append(c->headers, "Content-Type: application/json");
    c->headers = c->api.slist_append(c->headers, "Expect: 100-continue");
    c->gzip_headers = c->api.slist_append(NULL, auth);
    c->gzip_headers =
        c->api.slist_append(c->gzip_headers, "Content-Type: application/json");
    c->gzip_headers =
        c->api.slist_append(c->gzip_headers, "Expect: 100-continue");
    c->gzip_headers =
        c->api.slist_append(c->gzip_headers, "Content-Encoding: gzip");
    c->api.easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
    c->api.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    c->api.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    c->api.easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
    /* libcurl would inflate with zlib's stream as the bytes come; a whole
     * page inflates in a third of the time with libdeflate */
    c->api.easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    c->api.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    c->api.easy_setopt(h, CURLOPT_HEADERDATA, c);
    c->api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    c->api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    c->api.easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    c->api.easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
    c->api.easy_setopt(h, CURLOPT_ERRORBUFFER, c->error);
    c->api.easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    c->api.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
    return c->headers && c->gzip_headers
               ? 0
               : ldr_err_set(err, LDR_ENOMEM, "out of memory");
}

int http_open(struct http **out, const char *base, const char *token,
              const char *ca_pem, struct ldr_err *err)
{
    struct http *c = calloc(1, sizeof *c);
    int rc;

    *out = NULL;
    if (!c)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    c->base = strdup(base);
    c->ca_pem = strdup(ca_pem ? ca_pem : "");
    rc = c->base && c->ca_pem ? load_api(c, err)
                              : ldr_err_set(err, LDR_ENOMEM, "out of memory");
    if (rc == 0)
        rc = setup(c, token, err);
    if (rc) {
        http_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

void http_close(struct http *c)
{
    if (!c)
        return;
    if (c->lib && c->h)
        c->api.easy_cleanup(c->h);
    if (c->lib) {
        c->api.slist_free_all(c->headers);
        c->api.slist_free_all(c->gzip_headers);
    }
    /* libcurl stays loaded: its TLS library may keep global state */
    free(c->base);
    free(c->ca_pem);
    free(c);
}

void http_packer_init(struct http_packer *p)
{
    memset(p, 0, sizeof *p);
}

/* Compresses `len` bytes into p->out, growing it as needed. */
static void deflate_into(struct http_packer *p, const char *data, size_t len,
                         int flush)
{
    z_stream *z = p->z;
    int rc = Z_OK;

    z->next_in = (Bytef *)data;
    z->avail_in = (uInt)len;
    while (!p->failed &&
           (z->avail_in > 0 || (flush == Z_FINISH && rc != Z_STREAM_END))) {
        if (p->out_cap - p->out_len < 4096) {
            size_t cap = p->out_cap ? 2 * p->out_cap : 64 * 1024;
            char *grown = realloc(p->out, cap);

            if (!grown) {
                p->failed = true;
                break;
            }
            p->out = grown;
            p->out_cap = cap;
        }
        z->next_out = (Bytef *)p->out + p->out_len;
        z->avail_out = (uInt)(p->out_cap - p->out_len);
        rc = deflate(z, flush);
        p->out_len = p->out_cap - z->avail_out;
        if (rc == Z_STREAM_ERROR)
            p->failed = true;
    }
}

/* From plain to gzip (RFC 1952): the bytes so far go in first. Level 1:
 * several times faster than the default on change sets, for a few
 * percent more bytes. */
static void start_gzip(struct http_packer *p)
{
    z_stream *z = calloc(1, sizeof *z);

    if (!z || deflateInit2(z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
                           Z_DEFAULT_STRATEGY) != Z_OK) {
        free(z);
        p->failed = true;
        return;
    }
    p->z = z;
    deflate_into(p, p->raw, p->raw_len, Z_NO_FLUSH);
    free(p->raw);
    p->raw = NULL;
    p->raw_len = 0;
}

void http_packer_add(struct http_packer *p, const char *data, size_t len)
{
    char *grown;

    if (p->failed || len == 0)
        return;
    if (!p->z && p->raw_len + len <= GZIP_OVER) {
        if (!(grown = realloc(p->raw, p->raw_len + len))) {
            p->failed = true;
            return;
        }
        memcpy(grown + p->raw_len, data, len);
        p->raw = grown;
        p->raw_len += len;
        return;
    }
    if (!p->z)
        start_gzip(p);
    if (!p->failed)
        deflate_into(p, data, len, Z_NO_FLUSH);
}

int http_packer_finish(struct http_packer *p, struct http_body *out,
                       struct ldr_err *err)
{
    memset(out, 0, sizeof *out);
    if (p->z && !p->failed)
        deflate_into(p, NULL, 0, Z_FINISH);
    if (p->z) {
        deflateEnd(p->z);
        free(p->z);
    }
    if (p->failed) {
        free(p->raw);
        free(p->out);
        memset(p, 0, sizeof *p);
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    }
    out->gzip = p->z != NULL;
    out->owned = out->gzip ? p->out : p->raw;
    out->data = out->owned ? out->owned : "";
    out->len = out->gzip ? p->out_len : p->raw_len;
    memset(p, 0, sizeof *p);
    return 0;
}

int http_pack(struct http_body *out, const char *body, size_t len,
              struct ldr_err *err)
{
    struct http_packer p;

    http_packer_init(&p);
    http_packer_add(&p, body, len);
    return http_packer_finish(&p, out, err);
}

void http_body_release(struct http_body *b)
{
    free(b->owned);
    memset(b, 0, sizeof *b);
}

/* The gzip body of `r` inflated in place: one gzip member whose trailer
 * gives its size, as the hub sends. */
static int unzip_reply(struct http_reply *r, struct ldr_err *err)
{
    char *plain;
    size_t len;
    int rc = ldr_gunzip(r->body, r->len, HTTP_REPLY_MAX, &plain, &len);

    if (rc == LDR_ENOMEM)
        return ldr_err_set(err, rc, "out of memory");
    if (rc)
        return ldr_err_set(err, LDR_EIO,
                           "the hub's answer of %zu bytes is not one whole "
                           "gzip member",
                           r->len);
    free(r->body);
    r->body = plain;
    r->len = len;
    return 0;
}

int http_send(struct http *c, const char *method, const char *path,
              const struct http_body *body, struct http_reply *reply,
              struct ldr_err *err)
{
    char url[2048];
    CURLcode rc;
    curl_off_t up = 0, down = 0;

    memset(reply, 0, sizeof *reply);
    snprintf(url, sizeof url, "%s%s", c->base, path);
    c->error[0] = '\0';
    c->api.easy_setopt(c->h, CURLOPT_URL, url);
    c->api.easy_setopt(c->h, CURLOPT_WRITEDATA, reply);
    if (strcmp(method, "POST") == 0) {
        c->api.easy_setopt(c->h, CURLOPT_POST, 1L);
        c->api.easy_setopt(c->h, CURLOPT_POSTFIELDS, body ? body->data : "");
        c->api.easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE,
                           (curl_off_t)(body ? body->len : 0));
        c->api.easy_setopt(c->h, CURLOPT_HTTPHEADER,
                           body && body->gzip ? c->gzip_headers : c->headers);
    } else {
        c->api.easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
        c->api.easy_setopt(c->h, CURLOPT_HTTPHEADER, c->headers);
    }
    c->zipped = false;
    rc = c->api.easy_perform(c->h);
    c->api.easy_getinfo(c->h, CURLINFO_SIZE_UPLOAD_T, &up);
    c->api.easy_getinfo(c->h, CURLINFO_SIZE_DOWNLOAD_T, &down);
    c->sent += (double)up;
    c->received += (double)down;
    if (rc != CURLE_OK) {
        http_reply_release(reply);
        return ldr_err_set(err, LDR_EIO, "%s: %s", c->base,
                           c->error[0] ? c->error : c->api.easy_strerror(rc));
    }
    c->api.easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &reply->status);
    if (!reply->body && (reply->body = calloc(1, 1)) == NULL)
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    if (c->zipped && reply->len > 0 && unzip_reply(reply, err) != 0) {
        http_reply_release(reply);
        return err->code;
    }
    return 0;
}

void http_reply_release(struct http_reply *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

void http_traffic(const struct http *c, double *sent, double *received)
{
    *sent = c->sent;
    *received = c->received;
}
