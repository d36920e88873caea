#include "ladder/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ladder/utf8.h"

int ldr_err_set(struct ldr_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        if (vsnprintf(err->msg, sizeof err->msg, fmt, ap) >=
            (int)sizeof err->msg)
            ldr_utf8_trim(err->msg);
        va_end(ap);
    }
    return code;
}

int ldr_err_prefix(struct ldr_err *err, const char *fmt, ...)
{
    char tail[LDR_ERR_MSG_MAX];
    size_t used, room, n;
    va_list ap;
    int len;

    if (!err)
        return LDR_EINVAL;
    memcpy(tail, err->msg, sizeof tail);
    va_start(ap, fmt);
    len = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    used = len < 0 ? 0 : (size_t)len;
    if (used >= sizeof err->msg) { /* the prefix alone filled the message */
        ldr_utf8_trim(err->msg);   /* a cut must not split a character */
        return err->code;
    }
    room = sizeof err->msg - 1 - used;
    n = strnlen(tail, room);
    memcpy(err->msg + used, tail, n);
    err->msg[used + n] = '\0';
    if (n == room)
        ldr_utf8_trim(err->msg);
    return err->code;
}

void ldr_err_clear(struct ldr_err *err)
{
    if (err) {
        err->code = LDR_OK;
        err->msg[0] = '\0';
    }
}

const char *ldr_code_name(int code)
{
    static const struct {
        int code;
        const char *name;
    } names[] = {
        {LDR_OK, "ok"},
        {LDR_EINVAL, "invalid"},
        {LDR_ENOMEM, "no_memory"},
        {LDR_ETOOBIG, "too_big"},
        {LDR_EIO, "io"},
        {LDR_EDB, "database"},
        {LDR_ECLOCK, "clock"},
        {LDR_ENOTFOUND, "not_found"},
        {LDR_EVERSION, "version"},
        {LDR_EBUSY, "busy"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == code)
            return names[i].name;
    return "unknown";
}
