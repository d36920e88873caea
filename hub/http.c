/*
 * The hub's HTTP layer on libmicrohttpd. A request is seen in up to three
 * calls of on_request(): the headers (route, method, token and declared
 * size are checked here, so nothing is read from a stranger), the body in
 * pieces, and the end, where the route runs. libmicrohttpd can queue an
 * answer only on the first or the last call, and 0.9.75 closes the
 * connection after an answer queued on the first. So a refusal of a
 * request with a body goes out on the first call (its body is never
 * read), every other answer on the last, keeping the connection; a body
 * that turns out too big is discarded until its end, then refused.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <libdeflate.h>
#include <microhttpd.h>
#include <zlib.h>

#include "ladder/checkpoint.h"
#include "ladder/err.h"
#include "ladder/gzip.h"
#include "ladder/hlc.h"
#include "ladder/utf8.h"
#include "ladder/uuid.h"
#include "metrics.h"
#include "models_http.h"
#include "tls.h"

#define LOG_TEXT_MAX 256 /* bytes of a path or message in a log line */
#define TRIM_AFTER_BYTES (64u << 10) /* see on_completed */
#define BODY_FIRST 65536 /* first buffer when the length is unknown */
#define CONNECTION_MEMORY (64u * 1024)
#define TIME_MAX (LDR_TIME_TEXT_LEN + 1)
#define ROUTE_ARGS 2                  /* {name} segments in a route's path */
#define ROUTE_ARG_MAX HUB_GIT_REV_MAX /* bytes of one */
#define MAIL_HOST_FALLBACK "ladder.invalid"

struct hub_server {
    struct MHD_Daemon *daemon;
    struct hub_serve_options opt;
    char *dir;
    char *cert, *key; /* PEM text, alive while the daemon runs */
    char url[128];
    struct hub_writer *writer; /* change sets, one at a time */
    pthread_mutex_t dbs_lock;  /* guards dbs */
    sqlite3 **dbs;             /* every pool thread's connection */
    size_t ndbs;
    struct ldr_checkpointer *checkpointer;
    struct hub_metrics metrics;
    char mail_host[HUB_TLS_NAME_MAX + 1]; /* of publishers' git emails */
};

/* The connection of the pool thread running this code. */
static _Thread_local sqlite3 *thread_db;

struct request;
typedef void route_fn(struct hub_server *s, struct MHD_Connection *c,
                      struct request *r, struct hub_answer *out);

enum { ROUTE_AUTH = 1, ROUTE_DATA = 2, ROUTE_BODY = 4, ROUTE_HR = 8 };

struct route {
    /* "{name}" in a path takes one segment, "{name*}" at the end the
     * rest, each into the request's args */
    const char *path, *method;
    enum hub_route_id id;
    unsigned flags; /* ROUTE_*: needs a token, admin refused, reads a
                       body, hr only */
    route_fn *run;
};

/* One request, kept in libmicrohttpd's *req_cls from headers to end. */
struct request {
    const struct route *route; /* NULL: unknown path */
    uint64_t start_us;
    char method[16], path[LOG_TEXT_MAX + 1];
    int status;              /* 0 until an answer is queued */
    struct hub_answer early; /* decided on the headers, sent at the end */
    size_t sent, received;
    const char *type; /* Content-Type of the answer; NULL: JSON */
    char allow[32];   /* the methods of the path, for a 405 */
    char args[ROUTE_ARGS][ROUTE_ARG_MAX + 1]; /* its {name} segments */
    struct hub_model_read model; /* X-Ladder-Version, X-Ladder-Commit */
    bool authed;
    struct hub_principal who;
    /* the body: up to max_body bytes (after inflating), NUL-terminated */
    char *body;
    size_t len, cap;
    bool gzip, gzip_end, too_big, bad_gzip, oom;
    z_stream z;
};

static const char oom_body[] =
    "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";

/* ---- small helpers ---- */

static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Copies at most `max` bytes of `s` into `out`, each byte that starts no
 * valid UTF-8 character as '?', so the text can go into JSON. */
static void clean_copy(char *out, size_t max, const char *s)
{
    size_t n = 0, len = s ? strlen(s) : 0;

    while (n < len && n < max) {
        size_t c = ldr_utf8_char(s + n, len - n);
        if (c == 0) {
            out[n++] = '?';
        } else if (n + c > max) {
            break;
        } else {
            memcpy(out + n, s + n, c);
            n += c;
        }
    }
    out[n] = '\0';
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static void log_line(json_t *doc)
{
    char *line =
        doc ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;

    if (line)
        fprintf(stderr, "%s\n", line);
    free(line);
    json_decref(doc);
}

void hub_log(const char *level, const char *message)
{
    char text[LOG_TEXT_MAX + 1], time[TIME_MAX];

    clean_copy(text, LOG_TEXT_MAX, message);
    ldr_time_format(time, ldr_wall_ms());
    log_line(json_pack("{s:s, s:s, s:s}", "time", time, "level", level,
                       "message", text));
}

/* libmicrohttpd's own messages (TLS handshakes, bind errors) as log lines. */
__attribute__((format(printf, 2, 0))) static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char raw[512];

    (void)cls;
    vsnprintf(raw, sizeof raw, fmt, ap);
    raw[strcspn(raw, "\r\n")] = '\0';
    hub_log("warn", raw);
}

/* ---- parsing options ---- */

void hub_serve_options_init(struct hub_serve_options *o)
{
    memset(o, 0, sizeof *o);
    o->listen = HUB_DEFAULT_LISTEN;
    o->max_body = HUB_DEFAULT_MAX_BODY;
    o->threads = HUB_DEFAULT_THREADS;
    o->sync.max_ahead_ms = LDR_HLC_DEFAULT_MAX_AHEAD_MS;
    ldr_limits_default(&o->sync.limits);
}

static int parse_port(const char *text, in_port_t *out)
{
    char *end;
    unsigned long v;

    if (text[0] < '0' || text[0] > '9' || strlen(text) > 5)
        return -1;
    v = strtoul(text, &end, 10);
    if (*end || v > 65535)
        return -1;
    *out = htons((in_port_t)v);
    return 0;
}

int hub_listen_parse(struct sockaddr_storage *out, socklen_t *len,
                     const char *text, struct ldr_err *err)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *colon = strrchr(text, ':'), *start = text;
    size_t n;
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    bool bracket = text[0] == '[';

    memset(out, 0, sizeof *out);
    if (bracket)
        start++;
    n = colon ? (size_t)(colon - start) - bracket : 0;
    if (!colon || n == 0 || n >= sizeof host || (bracket && colon[-1] != ']'))
        goto bad;
    memcpy(host, start, n);
    host[n] = '\0';
    if (bracket && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1 &&
        parse_port(colon + 1, &v6->sin6_port) == 0) {
        v6->sin6_family = AF_INET6;
        *len = sizeof *v6;
        return 0;
    }
    if (!bracket && inet_pton(AF_INET, host, &v4->sin_addr) == 1 &&
        parse_port(colon + 1, &v4->sin_port) == 0) {
        v4->sin_family = AF_INET;
        *len = sizeof *v4;
        return 0;
    }
bad:
    return ldr_err_set(err, LDR_EINVAL,
                       "listen address '%s': expected ADDR:PORT with a "
                       "numeric address, like 127.0.0.1:8443 or [::1]:8443",
                       text);
}

bool hub_addr_is_loopback(const struct sockaddr_storage *addr)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0,    0,
                                             0, 0, 0, 0, 0xff, 0xff};
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)addr;
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)addr;
    const unsigned char *b = v6->sin6_addr.s6_addr;

    if (addr->ss_family == AF_INET)
        return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    if (addr->ss_family != AF_INET6)
        return false;
    if (IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr))
        return true;
    return memcmp(b, mapped, sizeof mapped) == 0 && b[12] == 127;
}

/* True if one Accept-Encoding element ("gzip;q=0.5") admits gzip. */
static bool element_admits_gzip(const char *s, size_t n)
{
    size_t name = strcspn(s, ";, \t");
    const char *q;

    if (name > n || !((name == 4 && strncasecmp(s, "gzip", 4) == 0) ||
                      (name == 1 && s[0] == '*')))
        return false;
    q = strstr(s, "q=");
    if (!q || q > s + n)
        return true;
    return strtod(q + 2, NULL) > 0;
}

bool hub_accepts_gzip(const char *accept_encoding)
{
    const char *s = accept_encoding;

    while (s && *s) {
        size_t n;
        s += strspn(s, " \t,");
        n = strcspn(s, ",");
        if (n && element_admits_gzip(s, n))
            return true;
        s += n;
    }
    return false;
}

/* ---- the thread's database ---- */

static int thread_db_get(struct hub_server *s, sqlite3 **out,
                         struct ldr_err *err)
{
    sqlite3 *db, **grown;

    if (!thread_db) {
        if (hub_db_open(&db, s->dir, err) != 0)
            return err->code;
        ldr_checkpointer_watch(s->checkpointer, db);
        pthread_mutex_lock(&s->dbs_lock);
        grown = realloc(s->dbs, (s->ndbs + 1) * sizeof *grown);
        if (grown) {
            s->dbs = grown;
            s->dbs[s->ndbs++] = db;
        }
        pthread_mutex_unlock(&s->dbs_lock);
        if (!grown) {
            sqlite3_close(db);
            return ldr_err_set(err, LDR_ENOMEM, "out of memory");
        }
        thread_db = db;
    }
    *out = thread_db;
    return 0;
}

/* A database failure as an answer: busy is worth a retry (503). */
static void db_failed(struct hub_answer *a, const struct ldr_err *err)
{
    if (err->code == LDR_EBUSY)
        hub_answer_error(a, 503, "busy", "%s; retry shortly", err->msg);
    else
        hub_answer_error(a, 500, "internal", "database: %s", err->msg);
}

/* ---- answers ---- */

/* Replaces a->body by its gzip form if that is smaller; -1 if not.
 * libdeflate compresses a whole buffer at level 1 in about 60% of zlib's
 * time, a little smaller; its output is plain gzip. */
static int gzip_answer(struct hub_answer *a)
{
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(1);
    size_t bound = c ? libdeflate_gzip_compress_bound(c, a->len) : 0;
    char *out = bound ? malloc(bound) : NULL;
    size_t n =
        out ? libdeflate_gzip_compress(c, a->body, a->len, out, bound) : 0;

    libdeflate_free_compressor(c);
    if (n == 0 || n >= a->len) {
        free(out);
        return -1;
    }
    free(a->body);
    a->body = out;
    a->len = n;
    return 0;
}

static void add_headers(struct MHD_Response *resp, const struct request *r,
                        int status, bool zipped)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            r->type ? r->type : "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    if (zipped)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"ladder-hub\"");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED && r->route)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (status == MHD_HTTP_OK && r->model.version[0])
        MHD_add_response_header(resp, "X-Ladder-Version", r->model.version);
    if (status == MHD_HTTP_OK && r->model.commit[0])
        MHD_add_response_header(resp, "X-Ladder-Commit", r->model.commit);
}

/* Queues `a` (taking its body) and notes what was sent for the log. */
static enum MHD_Result send_answer(struct MHD_Connection *c, struct request *r,
                                   struct hub_answer *a)
{
    struct MHD_Response *resp;
    enum MHD_Result ok;
    bool zipped = false;

    if (!a->body) {
        a->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        resp = MHD_create_response_from_buffer(
            sizeof oom_body - 1, (void *)oom_body, MHD_RESPMEM_PERSISTENT);
        a->len = sizeof oom_body - 1;
        r->type = NULL;
    } else {
        if (a->len > HUB_GZIP_OVER &&
            hub_accepts_gzip(header(c, MHD_HTTP_HEADER_ACCEPT_ENCODING)))
            zipped = gzip_answer(a) == 0;
        resp = MHD_create_response_from_buffer(a->len, a->body,
                                               MHD_RESPMEM_MUST_FREE);
        if (resp)
            a->body = NULL; /* the response frees it */
    }
    if (!resp) {
        hub_answer_release(a);
        return MHD_NO;
    }
    add_headers(resp, r, a->status, zipped);
    ok = MHD_queue_response(c, (unsigned)a->status, resp);
    MHD_destroy_response(resp);
    r->status = a->status;
    r->sent = a->len;
    hub_answer_release(a);
    return ok;
}

/* ---- authentication ---- */

static int unauthorized(struct hub_answer *a, const char *message)
{
    hub_answer_error(a, MHD_HTTP_UNAUTHORIZED, "unauthorized", "%s", message);
    return -1;
}

/* The token of the request's Authorization header, or NULL. */
static const char *bearer_token(struct MHD_Connection *c, struct hub_answer *a)
{
    const char *h = header(c, MHD_HTTP_HEADER_AUTHORIZATION);

    if (!h) {
        unauthorized(a, "no token: send 'Authorization: Bearer TOKEN' with "
                        "the token 'ladder-hub token add' printed");
        return NULL;
    }
    if (strncasecmp(h, "Bearer ", 7) != 0 || !h[7 + strspn(h + 7, " ")]) {
        unauthorized(a, "the Authorization header must be 'Bearer TOKEN'");
        return NULL;
    }
    return h + 7 + strspn(h + 7, " ");
}

/* Finds who is calling; on failure fills `a` (401, 403, 5xx), -1. */
static int authenticate(struct hub_server *s, struct MHD_Connection *c,
                        struct request *r, struct hub_answer *a)
{
    struct ldr_err err = {0};
    const char *token = bearer_token(c, a);
    sqlite3 *db = NULL;
    int rc;

    if (!token)
        return -1;
    if (thread_db_get(s, &db, &err) != 0) {
        db_failed(a, &err);
        return -1;
    }
    rc = hub_auth(db, token, &r->who, &err);
    if (rc == LDR_ENOTFOUND || rc == LDR_EINVAL)
        return unauthorized(a, err.msg);
    if (rc != 0) {
        db_failed(a, &err);
        return -1;
    }
    r->authed = true;
    if ((r->route->flags & ROUTE_DATA) && r->who.role == HUB_ADMIN) {
        hub_answer_error(a, MHD_HTTP_FORBIDDEN, "forbidden",
                         "an admin token manages tokens and reads no data; "
                         "use an assessor, trainer or hr token for %s",
                         r->route->path);
        return -1;
    }
    if ((r->route->flags & ROUTE_HR) && r->who.role != HUB_HR) {
        hub_answer_error(a, MHD_HTTP_FORBIDDEN, "forbidden",
                         "only an hr token may use %s %s; yours is %s",
                         r->route->method, r->route->path,
                         hub_role_name(r->who.role));
        return -1;
    }
    return 0;
}

/* ---- request bodies ---- */

/* True for "application/json" with any parameters (charset). */
static bool is_json_type(const char *type)
{
    size_t n = strcspn(type, "; \t");

    return n == 16 && strncasecmp(type, "application/json", 16) == 0;
}

/* Refuses (415) a body that is not JSON, or neither plain nor gzip. */
static int check_media(struct MHD_Connection *c, struct hub_answer *a)
{
    const char *type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *enc = header(c, MHD_HTTP_HEADER_CONTENT_ENCODING);
    char shown[64];

    if (type && !is_json_type(type)) {
        clean_copy(shown, 60, type);
        hub_answer_error(a, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                         "unsupported_media_type",
                         "content type '%s' is not accepted; send "
                         "application/json",
                         shown);
        return -1;
    }
    if (enc && strcasecmp(enc, "gzip") != 0 &&
        strcasecmp(enc, "identity") != 0) {
        clean_copy(shown, 60, enc);
        hub_answer_error(a, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                         "unsupported_media_type",
                         "content encoding '%s' is not accepted; send "
                         "gzip or no encoding",
                         shown);
        return -1;
    }
    return 0;
}

/* Checks the body's headers on the first call; fills `a` and returns -1
 * to refuse the request before any of the body is read. */
static int body_start(struct hub_server *s, struct MHD_Connection *c,
                      struct request *r, struct hub_answer *a)
{
    const char *enc = header(c, MHD_HTTP_HEADER_CONTENT_ENCODING);
    const char *length = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long n = length ? strtoull(length, NULL, 10) : 0;

    if (check_media(c, a) != 0)
        return -1;
    if (n > s->opt.max_body) {
        hub_answer_error(a, MHD_HTTP_CONTENT_TOO_LARGE, "too_big",
                         "request body of %llu bytes is over the limit of "
                         "%zu bytes; send smaller change sets",
                         n, s->opt.max_body);
        return -1;
    }
    r->gzip = enc && strcasecmp(enc, "gzip") == 0;
    r->cap = (size_t)n; /* a first buffer of the right size */
    if (r->cap && !(r->body = malloc(r->cap + 1)))
        r->cap = 0;
    return 0;
}

/*
 * Bytes free in the body buffer after growing it towards len + more; the
 * buffer never passes `limit` (max_body + 1, so one byte too many shows).
 * 0 when full at the limit, or out of memory (r->oom).
 */
static size_t body_room(struct request *r, size_t more, size_t limit)
{
    size_t want = r->len + more < limit ? r->len + more : limit;
    size_t cap = r->cap ? r->cap : BODY_FIRST;
    char *grown;

    if (want <= r->cap)
        return r->cap - r->len;
    while (cap < want)
        cap = cap > limit / 2 ? limit : cap * 2;
    if (cap > limit)
        cap = limit;
    grown = realloc(r->body, cap + 1);
    if (!grown) {
        r->oom = true;
        return 0;
    }
    r->body = grown;
    r->cap = cap;
    return r->cap - r->len;
}

static void body_append(struct request *r, const char *data, size_t n,
                        size_t limit)
{
    size_t room = body_room(r, n, limit);

    if (n > room) {
        r->too_big = !r->oom;
        return;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
}

static void body_inflate(struct request *r, const char *data, size_t n,
                         size_t limit)
{
    r->z.next_in = (Bytef *)data;
    r->z.avail_in = (uInt)n;
    while (r->z.avail_in > 0 && !r->bad_gzip) {
        size_t room =
            r->gzip_end ? 0 : body_room(r, r->len < r->cap ? 1 : 4 * n, limit);
        int rc;

        if (r->gzip_end) { /* a second member or trailing bytes */
            r->bad_gzip = true;
        } else if (room == 0) {
            r->too_big = !r->oom;
            return;
        } else {
            r->z.next_out = (Bytef *)r->body + r->len;
            r->z.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
            rc = inflate(&r->z, Z_NO_FLUSH);
            r->len += (room > UINT_MAX ? UINT_MAX : room) - r->z.avail_out;
            r->gzip_end = rc == Z_STREAM_END;
            r->bad_gzip = rc != Z_OK && rc != Z_STREAM_END;
        }
    }
}

/*
 * Takes one piece of the body, as it comes (gzip is inflated once the
 * body is whole: uploads waiting their turn hold their compressed bytes
 * only). Once the body is refused the rest is discarded, as the answer
 * can only go out at its end; a client that sends more than twice
 * max_body in all loses the connection (false).
 */
static bool body_take(struct hub_server *s, struct request *r, const char *data,
                      size_t n)
{
    r->received += n;
    if (r->too_big || r->oom)
        return r->received / 2 <= s->opt.max_body;
    body_append(r, data, n, s->opt.max_body + 1);
    return true;
}

/* Inflates the whole gzip body in place of its compressed bytes: in one
 * call (ldr_gunzip) when its trailer gives a size within the limit, else
 * (a cut or forged trailer, or over the limit) through zlib's stream,
 * which stops at the limit. */
static void body_unpack(struct hub_server *s, struct request *r)
{
    char *packed = r->body;
    size_t n = r->len;
    int rc = ldr_gunzip(packed, n, s->opt.max_body, &r->body, &r->len);

    r->cap = r->len;
    r->gzip_end = rc == 0;
    r->bad_gzip = rc == LDR_EINVAL;
    r->oom = rc == LDR_ENOMEM;
    if (rc == LDR_ETOOBIG) {
        if (inflateInit2(&r->z, 16 + MAX_WBITS) != Z_OK) {
            r->oom = true;
        } else {
            body_inflate(r, packed, n, s->opt.max_body + 1);
            inflateEnd(&r->z);
        }
    }
    free(packed);
}

/* ---- routes ---- */

static void route_healthz_get(struct hub_server *s, struct MHD_Connection *c,
                              struct request *r, struct hub_answer *out)
{
    (void)s, (void)c, (void)r;
    out->status = MHD_HTTP_OK;
    out->body = strdup("{\"ok\": true}");
    out->len = out->body ? strlen(out->body) : 0;
}

static int64_t db_size(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int64_t size = -1;

    if (sqlite3_prepare_v2(db,
                           "SELECT page_count * page_size FROM "
                           "pragma_page_count(), pragma_page_size()",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        size = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return size;
}

static void route_metrics_get(struct hub_server *s, struct MHD_Connection *c,
                              struct request *r, struct hub_answer *out)
{
    struct ldr_err err = {0};
    sqlite3 *db = NULL;

    (void)c;
    thread_db_get(s, &db, &err);
    if (hub_metrics_render(&out->body, &out->len, &s->metrics,
                           db ? db_size(db) : -1) != 0) {
        hub_answer_error(out, 500, "internal", "out of memory");
        return;
    }
    out->status = MHD_HTTP_OK;
    r->type = "text/plain; version=0.0.4; charset=utf-8";
}

static void route_changesets_post(struct hub_server *s,
                                  struct MHD_Connection *c, struct request *r,
                                  struct hub_answer *out)
{
    (void)c;
    hub_post_changeset(s->writer, &s->opt.sync, &r->who, r->body ? r->body : "",
                       r->len, out);
    if (out->status == MHD_HTTP_OK && out->body)
        hub_metrics_changeset(&s->metrics, out->body, out->len);
}

/* A route's query, read strictly: unknown or repeated parameters are
 * refused. GET /v1/changes's are parsed; with `raw`, values are kept as
 * given ("" for a name without "="). */
struct pull_query {
    const char *route;
    const char *const *names; /* the parameters the route takes */
    size_t count;
    unsigned seen; /* bit i: names[i] given */
    uint64_t since;
    size_t limit;
    bool state;
    char skip_device[LDR_UUID_LEN + 1]; /* "" for none */
    bool raw;
    const char *text[4]; /* raw: the value of names[i], or NULL */
    char error[LDR_ERR_MSG_MAX];
};

static int parse_uint(const char *v, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long n;

    if (!v || v[0] < '0' || v[0] > '9')
        return -1;
    errno = 0;
    n = strtoull(v, &end, 10);
    if (errno || *end || n > max)
        return -1;
    *out = n;
    return 0;
}

/* Reads parameter `i` of `q` with value `v`; sets q->error if bad. */
static void pull_param(struct pull_query *q, size_t i, const char *v)
{
    char shown[48];
    uint64_t n = 0;

    clean_copy(shown, 40, v ? v : "");
    if (strcmp(q->names[i], "since") == 0) {
        if (parse_uint(v, UINT64_MAX, &q->since) != 0)
            snprintf(q->error, sizeof q->error,
                     "query parameter 'since': expected a non-negative "
                     "integer, got '%s'",
                     shown);
    } else if (strcmp(q->names[i], "limit") == 0) {
        if (parse_uint(v, HUB_PULL_MAX_LIMIT, &n) != 0 || n == 0)
            snprintf(q->error, sizeof q->error,
                     "query parameter 'limit': expected an integer from 1 "
                     "to %d, got '%s'",
                     HUB_PULL_MAX_LIMIT, shown);
        q->limit = (size_t)n;
    } else if (strcmp(q->names[i], "skip_device") == 0) {
        if (!v || !ldr_uuid_valid(v))
            snprintf(q->error, sizeof q->error,
                     "query parameter 'skip_device': expected a device id "
                     "(a UUID), got '%s'",
                     shown);
        else
            snprintf(q->skip_device, sizeof q->skip_device, "%s", v);
    } else if (v && (strcmp(v, "state") == 0 || strcmp(v, "changes") == 0)) {
        q->state = strcmp(v, "state") == 0;
    } else {
        snprintf(q->error, sizeof q->error,
                 "query parameter 'form': expected 'state' or 'changes', "
                 "got '%s'",
                 shown);
    }
}

static enum MHD_Result pull_arg(void *cls, enum MHD_ValueKind kind,
                                const char *key, const char *value)
{
    struct pull_query *q = cls;
    char shown[72];
    size_t i = 0;

    (void)kind;
    while (i < q->count && strcmp(key, q->names[i]) != 0)
        i++;
    clean_copy(shown, 60, key);
    if (i == q->count)
        snprintf(q->error, sizeof q->error,
                 "unknown query parameter '%s' for %s", shown, q->route);
    else if (q->seen & (1u << i))
        snprintf(q->error, sizeof q->error,
                 "query parameter '%s' is given twice", shown);
    else if (q->raw && i < 4)
        q->text[i] = value ? value : "";
    else
        pull_param(q, i, value);
    q->seen |= 1u << i;
    return q->error[0] ? MHD_NO : MHD_YES;
}

/* Reads the query against `names`; 0, or -1 with a 400 in `out`. */
static int read_query(struct MHD_Connection *c, struct pull_query *q,
                      struct hub_answer *out)
{
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, pull_arg, q);
    if (!q->error[0])
        return 0;
    hub_answer_error(out, MHD_HTTP_BAD_REQUEST, "invalid", "%s", q->error);
    return -1;
}

static void route_changes_get(struct hub_server *s, struct MHD_Connection *c,
                              struct request *r, struct hub_answer *out)
{
    static const char *const names[] = {"since", "limit", "form",
                                        "skip_device"};
    struct pull_query q = {.route = "/v1/changes",
                           .names = names,
                           .count = 4,
                           .limit = HUB_PULL_DEFAULT_LIMIT};
    struct ldr_err err = {0};
    sqlite3 *db = NULL;

    if (read_query(c, &q, out) != 0)
        return;
    if (thread_db_get(s, &db, &err) != 0) {
        db_failed(out, &err);
        return;
    }
    hub_get_changes(db, &r->who, q.since, q.limit, q.state,
                    q.skip_device[0] ? q.skip_device : NULL, s->dir, out);
}

static void route_conflicts_get(struct hub_server *s, struct MHD_Connection *c,
                                struct request *r, struct hub_answer *out)
{
    static const char *const names[] = {"since"};
    struct pull_query q = {
        .route = "/v1/conflicts", .names = names, .count = 1};
    struct ldr_err err = {0};
    sqlite3 *db = NULL;

    if (read_query(c, &q, out) != 0)
        return;
    if (q.since > INT64_MAX) {
        hub_answer_error(out, 400, "invalid",
                         "query parameter 'since' is too large");
        return;
    }
    if (thread_db_get(s, &db, &err) != 0) {
        db_failed(out, &err);
        return;
    }
    hub_get_conflicts_since(db, &r->who, q.seen & 1 ? (int64_t)q.since : -1,
                            out);
}

/* ---- the model routes (models_http.c does the work) ---- */

static void route_models_get(struct hub_server *s, struct MHD_Connection *c,
                             struct request *r, struct hub_answer *out)
{
    struct pull_query q = {.route = "/v1/models"};

    (void)r;
    if (read_query(c, &q, out) == 0)
        hub_models_get(s->dir, out);
}

static void route_model_versions_get(struct hub_server *s,
                                     struct MHD_Connection *c,
                                     struct request *r, struct hub_answer *out)
{
    struct pull_query q = {.route = "/v1/models/{id}/versions"};

    if (read_query(c, &q, out) == 0)
        hub_model_versions_get(s->dir, r->args[0], out);
}

static void route_model_diff_get(struct hub_server *s, struct MHD_Connection *c,
                                 struct request *r, struct hub_answer *out)
{
    static const char *const names[] = {"from", "to"};
    struct pull_query q = {.route = "/v1/models/{id}/diff",
                           .names = names,
                           .count = 2,
                           .raw = true};
    struct ldr_err err = {0};
    sqlite3 *db = NULL;

    if (read_query(c, &q, out) != 0)
        return;
    if (!q.text[0] || !*q.text[0] || (q.text[1] && !*q.text[1])) {
        hub_answer_error(out, MHD_HTTP_BAD_REQUEST, "invalid",
                         "query parameter '%s' is missing: diff?from=REV"
                         "&to=REV (a commit, tag, version id or 'latest'; "
                         "to is 'latest' if left out)",
                         q.text[0] && *q.text[0] ? "to" : "from");
        return;
    }
    thread_db_get(s, &db, &err); /* without it, versions only in git */
    hub_model_diff_get(db, s->dir, r->args[0], q.text[0], q.text[1], out);
}

/* GET /v1/models/{id} (the latest) and /v1/models/{id}/{rev}. */
static void route_model_file_get(struct hub_server *s, struct MHD_Connection *c,
                                 struct request *r, struct hub_answer *out)
{
    static const char *const names[] = {"format"};
    struct pull_query q = {.route = "/v1/models/{id}/{rev}",
                           .names = names,
                           .count = 1,
                           .raw = true};
    const char *format;
    struct ldr_err err = {0};
    sqlite3 *db = NULL;

    if (read_query(c, &q, out) != 0)
        return;
    format = q.text[0] ? q.text[0] : "json";
    if (strcmp(format, "json") != 0 && strcmp(format, "case") != 0) {
        hub_answer_error(out, MHD_HTTP_BAD_REQUEST, "invalid",
                         "query parameter 'format': expected 'json' (the "
                         "model file) or 'case' (its CASE 1.1 export)");
        return;
    }
    thread_db_get(s, &db, &err);
    hub_model_file_get(&r->model, db, s->dir, r->args[0],
                       r->args[1][0] ? r->args[1] : NULL,
                       strcmp(format, "case") == 0, out);
}

static void route_model_post(struct hub_server *s, struct MHD_Connection *c,
                             struct request *r, struct hub_answer *out)
{
    char email[LDR_AUTHOR_MAX + sizeof s->mail_host + 2];
    struct hub_author who = {r->who.id, email};
    struct pull_query q = {.route = "/v1/models/{id}"};
    struct ldr_err err = {0};
    sqlite3 *db = NULL;

    if (read_query(c, &q, out) != 0)
        return;
    snprintf(email, sizeof email, "%s@%s", r->who.id, s->mail_host);
    thread_db_get(s, &db, &err); /* without it, sync reads git */
    hub_model_post(db, hub_writer_lock(s->writer), s->dir, r->args[0], &who,
                   r->body ? r->body : "", r->len, out);
}

/* Tried in order: the first whose path and method fit serves. */
static const struct route routes[] = {
    {"/healthz", "GET", HUB_ROUTE_HEALTHZ, 0, route_healthz_get},
    {"/metrics", "GET", HUB_ROUTE_METRICS, ROUTE_AUTH, route_metrics_get},
    {"/v1/changesets", "POST", HUB_ROUTE_CHANGESETS,
     ROUTE_AUTH | ROUTE_DATA | ROUTE_BODY, route_changesets_post},
    {"/v1/changes", "GET", HUB_ROUTE_CHANGES, ROUTE_AUTH | ROUTE_DATA,
     route_changes_get},
    {"/v1/conflicts", "GET", HUB_ROUTE_CONFLICTS, ROUTE_AUTH | ROUTE_DATA,
     route_conflicts_get},
    {"/v1/models", "GET", HUB_ROUTE_MODELS, ROUTE_AUTH, route_models_get},
    {"/v1/models/{id}", "GET", HUB_ROUTE_MODEL, ROUTE_AUTH,
     route_model_file_get},
    {"/v1/models/{id}", "POST", HUB_ROUTE_MODEL,
     ROUTE_AUTH | ROUTE_BODY | ROUTE_HR, route_model_post},
    {"/v1/models/{id}/versions", "GET", HUB_ROUTE_MODEL_VERSIONS, ROUTE_AUTH,
     route_model_versions_get},
    {"/v1/models/{id}/diff", "GET", HUB_ROUTE_MODEL_DIFF, ROUTE_AUTH,
     route_model_diff_get},
    {"/v1/models/{id}/{rev*}", "GET", HUB_ROUTE_MODEL_FILE, ROUTE_AUTH,
     route_model_file_get},
};

/* Whether `url` fits `pattern`; its {name} segments go to `args`. */
static bool path_fits(const char *pattern, const char *url,
                      char args[ROUTE_ARGS][ROUTE_ARG_MAX + 1])
{
    size_t n = 0;

    for (size_t i = 0; i < ROUTE_ARGS; i++)
        args[i][0] = '\0';
    while (*pattern) {
        size_t name = strcspn(pattern, "}"), len;

        if (*pattern != '{' || !pattern[name]) {
            if (*pattern++ != *url++)
                return false;
            continue;
        }
        len = pattern[name - 1] == '*' ? strlen(url) : strcspn(url, "/");
        if (len == 0 || len > ROUTE_ARG_MAX || n == ROUTE_ARGS)
            return false;
        memcpy(args[n], url, len);
        args[n++][len] = '\0';
        url += len;
        pattern += name + 1;
    }
    return *url == '\0';
}

/* Adds `method` to the list of methods of the path, once. */
static void allow_add(struct request *r, const char *method)
{
    size_t n = strlen(r->allow);

    if (strstr(r->allow, method))
        return;
    snprintf(r->allow + n, sizeof r->allow - n, "%s%s", n ? ", " : "", method);
}

/* The route for the request: the first that fits path and method, else
 * the first that fits the path (405), else NULL (404). */
static const struct route *route_find(struct request *r, const char *url,
                                      const char *method)
{
    char args[ROUTE_ARGS][ROUTE_ARG_MAX + 1];
    const struct route *found = NULL;

    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        if (!path_fits(routes[i].path, url, args))
            continue;
        allow_add(r, routes[i].method);
        if (!found || (strcmp(found->method, method) != 0 &&
                       strcmp(routes[i].method, method) == 0)) {
            found = &routes[i];
            memcpy(r->args, args, sizeof args);
        }
    }
    return found;
}

/* ---- the request cycle ---- */

static struct request *request_new(const char *url, const char *method)
{
    struct request *r = calloc(1, sizeof *r);

    if (!r)
        return NULL;
    r->start_us = now_us();
    r->route = route_find(r, url, method);
    clean_copy(r->path, LOG_TEXT_MAX, url);
    clean_copy(r->method, sizeof r->method - 1, method);
    return r;
}

static void request_free(struct request *r)
{
    hub_answer_release(&r->early);
    free(r->body);
    free(r);
}

/* True if a body follows the headers. */
static bool has_body(struct MHD_Connection *c)
{
    const char *length = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);

    return header(c, MHD_HTTP_HEADER_TRANSFER_ENCODING) ||
           (length && strtoull(length, NULL, 10) > 0);
}

/*
 * The first call: everything that can be decided from the headers. A
 * refusal of a request with a body goes out now, before the body is read
 * (and without 100 Continue); libmicrohttpd then closes the connection.
 * Every other answer waits for the last call, as libmicrohttpd 0.9.75
 * closes the connection after any answer queued on the first.
 */
static enum MHD_Result on_headers(struct hub_server *s,
                                  struct MHD_Connection *c, struct request *r,
                                  const char *method)
{
    struct hub_answer *a = &r->early;
    const struct route *rt = r->route;

    if (!rt)
        hub_answer_error(a, MHD_HTTP_NOT_FOUND, "not_found",
                         "no such path '%s'; the hub serves /healthz, "
                         "/metrics, /v1/changesets, /v1/changes, "
                         "/v1/conflicts and /v1/models",
                         r->path);
    else if (strcmp(method, rt->method) != 0)
        hub_answer_error(a, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                         "%s takes %s, not %s", rt->path, r->allow, r->method);
    else if ((rt->flags & ROUTE_AUTH) && authenticate(s, c, r, a) != 0)
        ;
    else if (rt->flags & ROUTE_BODY)
        body_start(s, c, r, a);
    else if (has_body(c))
        hub_answer_error(a, MHD_HTTP_BAD_REQUEST, "invalid",
                         "%s %s takes no request body", rt->method, rt->path);
    if (a->status && has_body(c))
        return send_answer(c, r, a);
    return MHD_YES;
}

/* The last call: the answer decided on the headers, or the route's. */
static enum MHD_Result on_end(struct hub_server *s, struct MHD_Connection *c,
                              struct request *r)
{
    struct hub_answer a = {0};

    if (r->early.status)
        return send_answer(c, r, &r->early);
    if (r->gzip && !r->too_big && !r->oom)
        body_unpack(s, r);
    if (r->oom)
        hub_answer_error(&a, 500, "internal", "out of memory");
    else if (r->too_big)
        hub_answer_error(&a, MHD_HTTP_CONTENT_TOO_LARGE, "too_big",
                         "request body%s is over the limit of %zu bytes; "
                         "send smaller change sets",
                         r->gzip ? " (inflated)" : "", s->opt.max_body);
    else if (r->bad_gzip || (r->gzip && !r->gzip_end))
        hub_answer_error(&a, MHD_HTTP_BAD_REQUEST, "invalid",
                         "the gzip request body is corrupt or cut short");
    else {
        if (r->body)
            r->body[r->len] = '\0';
        r->route->run(s, c, r, &a);
    }
    return send_answer(c, r, &a);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    struct hub_server *s = cls;
    struct request *r = *req_cls;

    (void)version;
    if (!r) {
        if (!(r = request_new(url, method)))
            return MHD_NO;
        *req_cls = r;
        return on_headers(s, c, r, method);
    }
    if (r->status) { /* answered already: ignore the rest */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        bool keep = body_take(s, r, upload, *upload_size);
        *upload_size = 0;
        return keep ? MHD_YES : MHD_NO;
    }
    return on_end(s, c, r);
}

static const char *ending(enum MHD_RequestTerminationCode toe)
{
    switch (toe) {
    case MHD_REQUEST_TERMINATED_COMPLETED_OK:
        return NULL;
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
        return "timeout";
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
        return "shutdown";
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
        return "client_abort";
    case MHD_REQUEST_TERMINATED_READ_ERROR:
        return "read_error";
    default:
        return "error";
    }
}

static void log_request(const struct request *r, uint64_t us,
                        enum MHD_RequestTerminationCode toe)
{
    char time[TIME_MAX];
    json_t *doc;
    const char *end = ending(toe);

    ldr_time_format(time, ldr_wall_ms());
    doc = json_pack("{s:s, s:s, s:s, s:i, s:I, s:I, s:f, s:s?}", "time", time,
                    "method", r->method, "path", r->path, "status", r->status,
                    "bytes", (json_int_t)r->sent, "in", (json_int_t)r->received,
                    "ms", (double)us / 1000.0, "principal",
                    r->authed ? r->who.id : NULL);
    if (doc && end)
        json_object_set_new(doc, "end", json_string(end));
    log_line(doc);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct hub_server *s = cls;
    struct request *r = *req_cls;
    uint64_t us;
    bool big;

    (void)c;
    if (!r)
        return;
    us = now_us() - r->start_us;
    if (r->status)
        hub_metrics_request(&s->metrics,
                            r->route ? r->route->id : HUB_ROUTE_OTHER,
                            r->status, us);
    log_request(r, us, toe);
    big = r->received + r->sent >= TRIM_AFTER_BYTES;
    request_free(r);
    *req_cls = NULL;
    /* a large request's small allocations (a parsed change set, records)
     * leave free pages inside the heap: give them back, so that 20 agents
     * syncing at once do not leave the hub's peak where they took it */
    if (big)
        malloc_trim(0);
}

/* ---- start and stop ---- */

static char *read_file(const char *dir, const char *name, struct ldr_err *err)
{
    char path[HUB_PATH_MAX];
    FILE *f;
    char *text = NULL;
    long n = -1;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        n < (1 << 20) && fseek(f, 0, SEEK_SET) == 0 &&
        (text = malloc((size_t)n + 1)) &&
        fread(text, 1, (size_t)n, f) == (size_t)n) {
        text[n] = '\0';
        fclose(f);
        return text;
    }
    free(text);
    if (f)
        fclose(f);
    ldr_err_set(err, LDR_EIO,
                "cannot read '%s'; run 'ladder-hub init %s' to make the "
                "certificate, or serve with --insecure-http on loopback",
                path, dir);
    return NULL;
}

/* Refuses a directory without a hub database, rather than make one. */
static int check_database(const char *dir, struct ldr_err *err)
{
    char path[HUB_PATH_MAX];
    struct stat st;
    sqlite3 *db = NULL;
    int rc;

    snprintf(path, sizeof path, "%s/" HUB_DB_FILE, dir);
    if (stat(path, &st) != 0)
        return ldr_err_set(err, LDR_EINVAL,
                           "'%s' holds no hub database; run 'ladder-hub init "
                           "%s' first",
                           dir, dir);
    rc = hub_db_open(&db, dir, err); /* migrates it once, up front */
    sqlite3_close(db);
    return rc;
}

/* 16 MiB: large enough that a page written again and again by a burst
 * of sets is copied once, small enough to keep reads of the WAL short. */
#define HUB_CHECKPOINT_BYTES (16u << 20)

static int start_checkpoints(struct hub_server *s, struct ldr_err *err)
{
    sqlite3 *db;

    if (hub_db_open(&db, s->dir, err) != 0)
        return err->code;
    return ldr_checkpointer_start(&s->checkpointer, db, HUB_CHECKPOINT_BYTES,
                                  err);
}

static int check_options(const struct hub_serve_options *o,
                         const struct sockaddr_storage *addr,
                         struct ldr_err *err)
{
    if (o->threads < 1 || o->threads > HUB_MAX_THREADS)
        return ldr_err_set(err, LDR_EINVAL, "--threads %u: expected 1 to %d",
                           o->threads, HUB_MAX_THREADS);
    if (o->max_body < 1)
        return ldr_err_set(err, LDR_EINVAL, "--max-body must be at least 1");
    if (o->insecure_http && !hub_addr_is_loopback(addr))
        return ldr_err_set(err, LDR_EINVAL,
                           "--insecure-http serves plain HTTP on a loopback "
                           "address only (127.0.0.1, ::1), not on '%s'; "
                           "drop it to serve HTTPS",
                           o->listen);
    return 0;
}

static void format_url(struct hub_server *s,
                       const struct sockaddr_storage *addr, unsigned port)
{
    char host[INET6_ADDRSTRLEN];
    bool v6 = addr->ss_family == AF_INET6;
    const void *bytes =
        v6 ? (const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr
           : (const void *)&((const struct sockaddr_in *)addr)->sin_addr;

    inet_ntop(addr->ss_family, bytes, host, sizeof host);
    snprintf(s->url, sizeof s->url, "%s://%s%s%s:%u",
             s->opt.insecure_http ? "http" : "https", v6 ? "[" : "", host,
             v6 ? "]" : "", port);
}

static int start_daemon(struct hub_server *s, struct sockaddr_storage *addr,
                        struct ldr_err *err)
{
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->key},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert},
        {MHD_OPTION_HTTPS_PRIORITIES, 0,
         "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"},
        {MHD_OPTION_END, 0, NULL}};
    const union MHD_DaemonInfo *info;

    if (!s->opt.insecure_http)
        flags |= MHD_USE_TLS;
    if (addr->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
        on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)addr,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_THREAD_POOL_SIZE,
        s->opt.threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)HUB_CONNECTION_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)HUB_CONNECTION_LIMIT, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)HUB_PER_IP_LIMIT, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONNECTION_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_ARRAY, s->opt.insecure_http ? tls + 3 : tls, MHD_OPTION_END);
    if (!s->daemon)
        return ldr_err_set(err, LDR_EIO,
                           "cannot serve on %s (see the message above: the "
                           "address may be in use, or the key and "
                           "certificate may not match)",
                           s->opt.listen);
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    format_url(s, addr, info ? info->port : 0);
    return 0;
}

/* A certificate name fit for an email domain: a DNS name, not localhost,
 * an address or a wildcard. */
static bool mail_host_ok(const char *name)
{
    return strcmp(name, "localhost") != 0 && name[0] != '.' &&
           strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-.") ==
               strlen(name) &&
           strpbrk(name, "abcdefghijklmnopqrstuvwxyz");
}

/* Publishers' git emails are principal@ the first DNS name of the
 * server certificate, the name agents reach the hub by; else
 * principal@ladder.invalid (RFC 2606: never a real address). */
static void find_mail_host(struct hub_server *s)
{
    struct hub_tls_info *info = calloc(1, sizeof *info);
    char path[HUB_PATH_MAX];
    struct ldr_err err = {0};

    snprintf(s->mail_host, sizeof s->mail_host, MAIL_HOST_FALLBACK);
    snprintf(path, sizeof path, "%s/" HUB_CERT_FILE, s->dir);
    if (info && !s->opt.insecure_http &&
        hub_tls_inspect(info, path, &err) == 0) {
        for (size_t i = 0; i < info->nnames; i++) {
            if (mail_host_ok(info->names[i])) {
                snprintf(s->mail_host, sizeof s->mail_host, "%s",
                         info->names[i]);
                break;
            }
        }
    }
    free(info);
}

int hub_server_start(struct hub_server **out, const struct hub_serve_options *o,
                     struct ldr_err *err)
{
    struct hub_server *s = calloc(1, sizeof *s);
    struct sockaddr_storage addr;
    socklen_t addr_len;
    int rc;

    *out = NULL;
    if (!s || !(s->dir = strdup(o->dir))) {
        free(s);
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    }
    s->opt = *o;
    s->opt.dir = s->dir;
    s->opt.sync.limits.max_body = o->max_body;
    pthread_mutex_init(&s->dbs_lock, NULL);
    hub_metrics_init(&s->metrics);
    rc = hub_listen_parse(&addr, &addr_len, o->listen, err);
    if (rc == 0)
        rc = check_options(o, &addr, err);
    if (rc == 0)
        rc = check_database(s->dir, err);
    if (rc == 0)
        rc = start_checkpoints(s, err);
    if (rc == 0)
        rc = hub_writer_open(&s->writer, s->dir, err);
    if (rc == 0)
        ldr_checkpointer_watch(s->checkpointer, hub_writer_db(s->writer));
    if (rc == 0 && !o->insecure_http &&
        (!(s->cert = read_file(s->dir, HUB_CERT_FILE, err)) ||
         !(s->key = read_file(s->dir, HUB_KEY_FILE, err))))
        rc = err->code;
    if (rc == 0) {
        find_mail_host(s);
        rc = start_daemon(s, &addr, err);
    }
    if (rc != 0) {
        hub_server_stop(s);
        return rc;
    }
    *out = s;
    return 0;
}

const char *hub_server_url(const struct hub_server *s)
{
    return s->url;
}

void hub_server_stop(struct hub_server *s)
{
    if (!s)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon); /* joins the pool threads */
    ldr_checkpointer_stop(s->checkpointer);
    for (size_t i = 0; i < s->ndbs; i++)
        sqlite3_close(s->dbs[i]);
    free(s->dbs);
    hub_writer_close(s->writer);
    pthread_mutex_destroy(&s->dbs_lock);
    if (s->key)
        memset(s->key, 0, strlen(s->key)); /* the private key */
    free(s->key);
    free(s->cert);
    free(s->dir);
    free(s);
}
