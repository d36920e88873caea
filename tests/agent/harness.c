#include "harness.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 64

struct buf {
    char *data;
    size_t len, cap;
};

static void buf_add(struct buf *b, const char *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = realloc(b->data, cap);
        assert_non_null(b->data);
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void child(const char *bin, int in, int out, int err,
                  const char *const *argv)
{
    const char *args[MAX_ARGS + 2] = {bin};
    size_t n = 0;

    while (argv[n] && n < MAX_ARGS) {
        args[n + 1] = argv[n];
        n++;
    }
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(bin, (char *const *)args);
    _exit(127);
}

/* Feeds `input` and drains both pipes without deadlocking on either. */
static void pump(int in, int out, int err, const char *input, struct buf *o,
                 struct buf *e)
{
    size_t left = input ? strlen(input) : 0;
    struct pollfd fds[3] = {
        {out, POLLIN, 0}, {err, POLLIN, 0}, {left ? in : -1, POLLOUT, 0}};
    char chunk[8192];

    if (!left)
        close(in);
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        assert_true(poll(fds, 3, 60000) > 0);
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !fds[i].revents)
                continue;
            ssize_t got = read(fds[i].fd, chunk, sizeof chunk);
            if (got <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
            } else {
                buf_add(i ? e : o, chunk, (size_t)got);
            }
        }
        if (fds[2].fd >= 0 && fds[2].revents) {
            ssize_t put = write(in, input, left);
            if (put <= 0 || (size_t)put == left) {
                close(in);
                fds[2].fd = -1;
            } else {
                input += put;
                left -= (size_t)put;
            }
        }
    }
    if (fds[2].fd >= 0)
        close(in);
}

void run_release(struct run *r)
{
    free(r->out);
    free(r->err);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

static void run_program(const char *bin, struct run *r, const char *input,
                        const char *const *argv)
{
    int in[2], out[2], err[2], status;
    struct buf o = {0}, e = {0};
    pid_t pid;

    run_release(r);
    signal(SIGPIPE, SIG_IGN);
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(in[1]);
        close(out[0]);
        close(err[0]);
        child(bin, in[0], out[1], err[1], argv);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    pump(in[1], out[0], err[0], input, &o, &e);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    buf_add(&o, "", 0);
    buf_add(&e, "", 0);
    r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->out = o.data;
    r->err = e.data;
    r->json = json_loads(r->out, JSON_DECODE_ANY, NULL);
}

void run_ladderv(struct run *r, const char *input, const char *const *argv)
{
    run_program(LADDER_BIN, r, input, argv);
}

static void collect_args(const char *argv[MAX_ARGS + 1], va_list ap)
{
    size_t n = 0;

    while ((argv[n] = va_arg(ap, const char *)) != NULL) {
        n++;
        assert_true(n < MAX_ARGS);
    }
}

void run_ladder(struct run *r, const char *input, ...)
{
    const char *argv[MAX_ARGS + 1];
    va_list ap;

    va_start(ap, input);
    collect_args(argv, ap);
    va_end(ap);
    run_program(LADDER_BIN, r, input, argv);
}

void run_hub(struct run *r, const char *input, ...)
{
    const char *argv[MAX_ARGS + 1];
    va_list ap;

    va_start(ap, input);
    collect_args(argv, ap);
    va_end(ap);
    run_program(HUB_BIN, r, input, argv);
}

static FILE *hub_out;

int harness_hub_start(const char *dir, char url[128])
{
    char line[512], log[512];
    int out[2];
    pid_t pid;
    FILE *f;

    snprintf(log, sizeof log, "%s/serve.log", dir);
    assert_int_equal(pipe(out), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(out[1], 1);
        dup2(fd, 2);
        close(out[0]);
        execl(HUB_BIN, HUB_BIN, "serve", dir, "--listen", "127.0.0.1:0",
              (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    f = fdopen(out[0], "r");
    assert_non_null(f);
    /* the first line names the address; the pipe stays open behind it */
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, "https://"));
    snprintf(url, 128, "%.*s", (int)strcspn(strstr(line, "https://"), " \r\n"),
             strstr(line, "https://"));
    hub_out = f; /* closed at stop: the server may still write to it */
    return (int)pid;
}

void harness_hub_stop(int pid)
{
    int status;

    assert_int_equal(kill((pid_t)pid, SIGTERM), 0);
    assert_int_equal(waitpid((pid_t)pid, &status, 0), (pid_t)pid);
    if (hub_out)
        fclose(hub_out);
    hub_out = NULL;
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static char tmpdir[256];

const char *harness_tmpdir(void)
{
    char db[300];

    harness_cleanup();
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ladder-test-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    snprintf(db, sizeof db, "%s/ladder.db", tmpdir);
    setenv("LADDER_DB", db, 1);
    return tmpdir;
}

void harness_cleanup(void)
{
    char cmd[300];

    if (!tmpdir[0])
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    assert_int_equal(system(cmd), 0);
    tmpdir[0] = '\0';
}

int harness_setup(void **state)
{
    (void)state;
    harness_tmpdir();
    return 0;
}

int harness_teardown(void **state)
{
    (void)state;
    harness_cleanup();
    return 0;
}

const char *harness_file(const char *name, const char *text)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    return path;
}

const char *harness_source(const char *rel)
{
    static char path[1024];

    snprintf(path, sizeof path, "%s/%s", LADDER_SOURCE_DIR, rel);
    return path;
}
