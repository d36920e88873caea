#include "ladder/utf8.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

size_t ldr_utf8_char(const char *str, size_t avail)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;

    if (avail == 0)
        return 0;
    if (s[0] < 0x80)
        return 1;
    if (s[0] < 0xC2 || s[0] > 0xF4)
        return 0;
    n = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
    if (avail < n)
        return 0;
    if (s[0] == 0xE0)
        lo = 0xA0; /* overlong */
    else if (s[0] == 0xED)
        hi = 0x9F; /* surrogates */
    else if (s[0] == 0xF0)
        lo = 0x90; /* overlong */
    else if (s[0] == 0xF4)
        hi = 0x8F; /* past U+10FFFF */
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

/* Whether the 8 bytes at `s` are all ASCII. */
static bool ascii8(const char *s)
{
    uint64_t word;

    memcpy(&word, s, sizeof word); /* one unaligned load */
    return (word & 0x8080808080808080u) == 0;
}

size_t ldr_utf8_check(const char *s, size_t n)
{
    size_t i = 0, len;

    while (i < n) {
        /* the common case, ASCII, eight bytes at a time: a change set is
         * checked whole before it is parsed */
        while (n - i >= 8 && ascii8(s + i))
            i += 8;
        if (i == n)
            break;
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        if ((len = ldr_utf8_char(s + i, n - i)) == 0)
            return i;
        i += len;
    }
    return n;
}

size_t ldr_utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

void ldr_utf8_trim(char *s)
{
    size_t n = strlen(s), i = n, need;
    unsigned char lead;

    while (i > 0 && n - i < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0 || (lead = (unsigned char)s[i - 1]) < 0xC0)
        return;
    need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (n - (i - 1) < need)
        s[i - 1] = '\0';
}
