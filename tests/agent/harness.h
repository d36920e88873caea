#ifndef LADDER_TESTS_AGENT_HARNESS_H
#define LADDER_TESTS_AGENT_HARNESS_H

/*
 * Runs the real `ladder` binary (LADDER_BIN) as a user would, for the
 * agent's end-to-end tests: argv passed as is (no shell), stdin from a
 * string, stdout and stderr captured apart, stdout parsed as JSON when it
 * is JSON.
 */

#include <jansson.h>
#include <stddef.h>

struct run {
    int code;     /* exit code; -1 if killed by a signal */
    char *out;    /* stdout, NUL-terminated */
    char *err;    /* stderr */
    json_t *json; /* stdout parsed, or NULL */
};

/* Runs ladder with the NULL-terminated arguments after the program name;
 * `input` (may be NULL) is fed on stdin. Fails the test on a harness
 * error. Release `r` with run_release() (also done by the next run). */
void run_ladder(struct run *r, const char *input, ...)
    __attribute__((sentinel));
void run_ladderv(struct run *r, const char *input, const char *const *argv);
void run_release(struct run *r);

/*
 * A fresh temporary directory for one test, with LADDER_DB set to
 * "<dir>/ladder.db" in the environment (children inherit it). Returns the
 * directory (static storage, valid until the next call). harness_cleanup
 * removes it.
 */
const char *harness_tmpdir(void);
void harness_cleanup(void);

/* The two as cmocka's per-test setup and teardown. */
int harness_setup(void **state);
int harness_teardown(void **state);

/* Writes `text` to "<harness_tmpdir()>/<name>" and returns that path
 * (static storage, valid until the next call). */
const char *harness_file(const char *name, const char *text);

/* Runs `ladder-hub` (HUB_BIN) the same way as run_ladder. */
void run_hub(struct run *r, const char *input, ...) __attribute__((sentinel));

/*
 * Starts `ladder-hub serve DIR --listen 127.0.0.1:0` in the background,
 * waits for the line that says where it listens and writes the address
 * ("https://127.0.0.1:PORT") to `url`. Returns the server's pid. The
 * server's stderr (its request log) goes to DIR/serve.log.
 */
int harness_hub_start(const char *dir, char url[128]);

/* SIGTERM to the server; fails the test unless it exits 0. */
void harness_hub_stop(int pid);

/* Path of a file in the repository (LADDER_SOURCE_DIR + "/" + rel). */
const char *harness_source(const char *rel);

#endif
