#include "ladder/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * A message cut to fit may end inside a UTF-8 character; drop that partial
 * character so the message stays valid text for terminals and JSON.
 */
static void end_on_char(char *msg)
{
    size_t n = strlen(msg), i = n, cont = 0, want;
    unsigned char lead;

    while (i > 0 && cont < 4 && ((unsigned char)msg[i - 1] & 0xC0) == 0x80)
        i--, cont++;
    if (i == 0)
        return;
    lead = (unsigned char)msg[i - 1];
    if (lead < 0xC0)
        return; /* ASCII, or stray continuation bytes: not ours to fix */
    want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (cont + 1 < want)
        msg[i - 1] = '\0';
}

int ldr_err_set(struct ldr_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        if (vsnprintf(err->msg, sizeof err->msg, fmt, ap) >=
            (int)sizeof err->msg)
            end_on_char(err->msg);
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
    if (used >= sizeof err->msg) {
        end_on_char(err->msg); /* the prefix alone filled the message */
        return err->code;
    }
    room = sizeof err->msg - 1 - used;
    n = strnlen(tail, room);
    memcpy(err->msg + used, tail, n);
    err->msg[used + n] = '\0';
    if (n == room)
        end_on_char(err->msg);
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
