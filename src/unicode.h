/*
 * unicode.h - private helpers shared by the JSON-reading modules: hex digits
 * of \u escapes and UTF-8 encoding of a code point.  Header-only, no state.
 */
#ifndef LLAMAFMT_UNICODE_H
#define LLAMAFMT_UNICODE_H

#include <stddef.h>

static inline int lf_hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* The value of the 4 hex digits at s[0..4) (the caller checked they are
 * there), or -1 when one is not a hex digit. */
static inline long lf_hex4(const char *s)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = lf_hexval(s[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Write code point cp (< 0x110000, not a surrogate) as UTF-8 at d; returns
 * the number of bytes written (1 to 4). */
static inline size_t lf_utf8_put(char *d, unsigned long cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

#endif
