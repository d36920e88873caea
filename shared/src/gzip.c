#include "ladder/gzip.h"

#include <stdlib.h>

#include <libdeflate.h>

#include "ladder/err.h"

#define GZIP_MIN 18       /* header, an empty block and the trailer */
#define DEFLATE_BEST 1032 /* deflate's best ratio: more names a lie */

int ldr_gunzip(const void *in, size_t n, size_t max, char **out, size_t *len)
{
    const unsigned char *z = in;
    size_t size = n >= GZIP_MIN
                      ? (size_t)z[n - 4] | (size_t)z[n - 3] << 8 |
                            (size_t)z[n - 2] << 16 | (size_t)z[n - 1] << 24
                      : 0;
    struct libdeflate_decompressor *d;
    enum libdeflate_result res;
    size_t used = 0, got = 0;
    char *plain;

    *out = NULL;
    *len = 0;
    if (n < GZIP_MIN)
        return LDR_EINVAL;
    if (size > max || size / DEFLATE_BEST > n)
        return LDR_ETOOBIG;
    plain = malloc(size + 1);
    d = plain ? libdeflate_alloc_decompressor() : NULL;
    if (!d) {
        free(plain);
        return LDR_ENOMEM;
    }
    res = libdeflate_gzip_decompress_ex(d, in, n, plain, size, &used, &got);
    libdeflate_free_decompressor(d);
    if (res != LIBDEFLATE_SUCCESS || used != n || got != size) {
        free(plain);
        return res == LIBDEFLATE_INSUFFICIENT_SPACE ? LDR_ETOOBIG : LDR_EINVAL;
    }
    plain[size] = '\0';
    *out = plain;
    *len = size;
    return 0;
}
