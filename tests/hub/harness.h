#ifndef TESTS_HUB_HARNESS_H
#define TESTS_HUB_HARNESS_H

/*
 * What the hub's end-to-end tests share: running `ladder-hub` (HUB_BIN),
 * a token, a server on a free port of 127.0.0.1, shell commands, and the
 * reply of a libcurl request.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <curl/curl.h>

#define WAIT_MS 10000

/* A shell command; its exit status. */
int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

bool have_git(void);

/* Runs HUB_BIN with `args` (NULL-terminated), stdout into `out`, stderr
 * dropped; the exit status, or -1. */
int run_hub(char *out, size_t max, const char *const *args);

/* `ladder-hub token add DIR` for `principal` with `role`, scope north:
 * the token into `out` (HUB_TOKEN_MAX + 1 bytes); 0 or -1. */
int add_token(char *out, const char *dir, const char *principal,
              const char *role);

/* Reads one line from `fd` within WAIT_MS; -1 on EOF or time out. */
int read_line(int fd, char *line, size_t max);

struct server {
    pid_t pid;
    char url[256];
    char log[512]; /* its stderr */
};

/* `ladder-hub serve DIR --listen 127.0.0.1:0 EXTRA...` (EXTRA may be
 * NULL); 0 once it printed its address, else -1 (the process is reaped). */
int server_start(struct server *sv, const char *dir, const char *const *extra);

/* SIGTERM, then the exit status (SIGKILL and -1 after WAIT_MS). */
int server_stop(struct server *sv);

/* What a request got back; libcurl's callbacks fill it. */
struct reply {
    long status;
    CURLcode rc;
    long connects; /* new connections the request made */
    char *body;
    size_t len;
    char headers[4096];
    size_t hlen;
};

size_t on_body(char *data, size_t size, size_t n, void *ctx);
size_t on_header(char *data, size_t size, size_t n, void *ctx);
void reply_release(struct reply *r);

#endif
