#ifndef LADDER_GZIP_H
#define LADDER_GZIP_H

#include <stddef.h>

/*
 * One whole gzip member of `n` bytes inflated in one call (libdeflate),
 * into a buffer of the size its trailer names: *out is malloc'd and
 * NUL-terminated, its length in *len. Returns 0; LDR_EINVAL when `in` is
 * not one valid gzip member (bad data, or bytes after it); LDR_ETOOBIG
 * when the trailer names more than `max` bytes, or a size the data does
 * not inflate to in one go (a caller may still inflate it as a stream,
 * bounded); LDR_ENOMEM.
 */
int ldr_gunzip(const void *in, size_t n, size_t max, char **out, size_t *len);

#endif
