#include "http.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <zlib.h>

#include "ladder/err.h"

#define GZIP_OVER 1024 /* bodies smaller than this go uncompressed */

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

/* `body` as gzip (RFC 1952) in a malloc'd buffer; NULL on failure. */
static char *gzip(const char *body, size_t len, size_t *out_len)
{
    z_stream z;
    size_t cap = compressBound((uLong)len) + 32;
    char *out = malloc(cap);

    memset(&z, 0, sizeof z);
    /* level 1: several times faster than the default on change sets, for
     * a few percent more bytes */
    if (!out || deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
                             Z_DEFAULT_STRATEGY) != Z_OK) {
        free(out);
        return NULL;
    }
    z.next_in = (Bytef *)body;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        deflateEnd(&z);
        free(out);
        return NULL;
    }
    *out_len = z.total_out;
    deflateEnd(&z);
    return out;
}

int http_request(struct http *c, const char *method, const char *path,
                 const char *body, size_t len, struct http_reply *reply,
                 struct ldr_err *err)
{
    char url[2048];
    char *packed = NULL;
    size_t packed_len = 0;
    CURLcode rc;
    curl_off_t up = 0, down = 0;

    memset(reply, 0, sizeof *reply);
    snprintf(url, sizeof url, "%s%s", c->base, path);
    c->error[0] = '\0';
    c->api.easy_setopt(c->h, CURLOPT_URL, url);
    c->api.easy_setopt(c->h, CURLOPT_WRITEDATA, reply);
    if (strcmp(method, "POST") == 0) {
        if (len > GZIP_OVER)
            packed = gzip(body, len, &packed_len);
        c->api.easy_setopt(c->h, CURLOPT_POST, 1L);
        c->api.easy_setopt(c->h, CURLOPT_POSTFIELDS, packed ? packed : body);
        c->api.easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE,
                           (curl_off_t)(packed ? packed_len : len));
        c->api.easy_setopt(c->h, CURLOPT_HTTPHEADER,
                           packed ? c->gzip_headers : c->headers);
    } else {
        c->api.easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
        c->api.easy_setopt(c->h, CURLOPT_HTTPHEADER, c->headers);
    }
    rc = c->api.easy_perform(c->h);
    free(packed);
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
