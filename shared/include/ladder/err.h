#ifndef LADDER_ERR_H
#define LADDER_ERR_H

/*
 * One error type for the whole core: a code and a message that names the
 * field and the value that are wrong. Functions that can fail return 0 or a
 * negative code and take a trailing `struct ldr_err *err` (may be NULL).
 */

enum ldr_code {
    LDR_OK = 0,
    LDR_EINVAL = -1,    /* bad input: a value, a field, a document */
    LDR_ENOMEM = -2,    /* out of memory */
    LDR_ETOOBIG = -3,   /* over a size, count or depth limit */
    LDR_EIO = -4,       /* the operating system refused (file, random) */
    LDR_EDB = -5,       /* SQLite failed */
    LDR_ECLOCK = -6,    /* a clock stamp too far ahead, or clock overflow */
    LDR_ENOTFOUND = -7, /* no such thing */
    LDR_EVERSION = -8,  /* a database or document newer than this program */
    LDR_EBUSY = -9,     /* the database stayed locked past the busy timeout */
    /* add new codes at the end; never renumber */
};

#define LDR_ERR_MSG_MAX 512

struct ldr_err {
    int code;
    char msg[LDR_ERR_MSG_MAX];
};

/*
 * Records `code` and a printf-style message in `err` (if not NULL) and
 * returns `code`, so a failure reads `return ldr_err_set(err, ...);`.
 * Messages are lowercase and quote the subject.
 */
int ldr_err_set(struct ldr_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Puts context in front of the message already in `err`, e.g.
 * "change 3: " + "/base: expected ...". Returns err->code (or LDR_EINVAL when
 * err is NULL, so callers can still propagate a failure).
 */
int ldr_err_prefix(struct ldr_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Resets `err` to LDR_OK with an empty message. */
void ldr_err_clear(struct ldr_err *err);

/* A short stable name for a code ("invalid", "too_big", ...); never NULL. */
const char *ldr_code_name(int code);

#endif
