#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hub.h"

int run(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    int status;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool have_git(void)
{
    return system("git --version >/dev/null 2>&1") == 0;
}

int run_hub(char *out, size_t max, const char *const *args)
{
    char *argv[16] = {(char *)HUB_BIN};
    int fd[2], status = -1;
    size_t n = 0;
    ssize_t got;
    pid_t pid;

    for (size_t i = 0; args[i] && i < 14; i++)
        argv[i + 1] = (char *)args[i];
    if (pipe(fd) != 0 || (pid = fork()) < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(fd[1], 1);
        dup2(null, 2); /* messages for people; the status is what counts */
        close(fd[0]);
        execv(HUB_BIN, argv);
        _exit(127);
    }
    close(fd[1]);
    while (n + 1 < max && (got = read(fd[0], out + n, max - n - 1)) > 0)
        n += (size_t)got;
    out[n] = '\0';
    close(fd[0]);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int add_token(char *out, const char *dir, const char *principal,
              const char *role)
{
    const char *args[] = {"token",  "add", dir,       "--principal", principal,
                          "--role", role,  "--scope", "north",       NULL};
    char text[2048];
    const char *t;
    size_t n;

    if (run_hub(text, sizeof text, args) != 0 || !(t = strstr(text, "ldr_")))
        return -1;
    n = strcspn(t, " \t\r\n\"");
    if (n > HUB_TOKEN_MAX)
        return -1;
    memcpy(out, t, n);
    out[n] = '\0';
    return 0;
}

int read_line(int fd, char *line, size_t max)
{
    struct pollfd p = {fd, POLLIN, 0};
    size_t n = 0;

    while (n + 1 < max && poll(&p, 1, WAIT_MS) == 1 &&
           read(fd, line + n, 1) == 1) {
        if (line[n] == '\n') {
            line[n] = '\0';
            return 0;
        }
        n++;
    }
    return -1;
}

int server_start(struct server *sv, const char *dir, const char *const *extra)
{
    char *argv[16] = {(char *)HUB_BIN, "serve", (char *)dir, "--listen",
                      "127.0.0.1:0"};
    char line[256];
    int fd[2], log, i = 5;

    for (; extra && *extra && i < 15; extra++)
        argv[i++] = (char *)*extra;
    snprintf(sv->log, sizeof sv->log, "%s/serve.log", dir);
    if (pipe(fd) != 0 ||
        (log = open(sv->log, O_WRONLY | O_CREAT | O_APPEND, 0600)) < 0 ||
        (sv->pid = fork()) < 0)
        return -1;
    if (sv->pid == 0) {
        dup2(fd[1], 1);
        dup2(log, 2);
        close(fd[0]);
        execv(HUB_BIN, argv);
        _exit(127);
    }
    close(fd[1]);
    close(log);
    if (read_line(fd[0], line, sizeof line) != 0 ||
        strncmp(line, "listening on ", 13) != 0) {
        close(fd[0]);
        kill(sv->pid, SIGKILL);
        waitpid(sv->pid, NULL, 0);
        sv->pid = 0;
        return -1;
    }
    close(fd[0]);
    snprintf(sv->url, sizeof sv->url, "%s", line + 13);
    return 0;
}

int server_stop(struct server *sv)
{
    int status = 0;

    if (sv->pid <= 0)
        return -1;
    kill(sv->pid, SIGTERM);
    for (int waited = 0; waited < WAIT_MS; waited += 10) {
        if (waitpid(sv->pid, &status, WNOHANG) == sv->pid) {
            sv->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        usleep(10000);
    }
    kill(sv->pid, SIGKILL);
    waitpid(sv->pid, NULL, 0);
    sv->pid = 0;
    return -1;
}

size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct reply *r = ctx;
    char *grown = realloc(r->body, r->len + size * n + 1);

    if (!grown)
        return 0;
    memcpy(grown + r->len, data, size * n);
    r->body = grown;
    r->len += size * n;
    r->body[r->len] = '\0';
    return size * n;
}

size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct reply *r = ctx;
    size_t add = size * n;

    if (r->hlen + add < sizeof r->headers) {
        memcpy(r->headers + r->hlen, data, add);
        r->hlen += add;
        r->headers[r->hlen] = '\0';
    }
    return add;
}

void reply_release(struct reply *r)
{
    free(r->body);
    r->body = NULL;
}
