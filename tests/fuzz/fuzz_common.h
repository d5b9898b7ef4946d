/*
 * fuzz_common.h - helpers shared by the libFuzzer targets of llamafmt.
 *
 * Everything here is written independently of src/ so that the invariants
 * the targets check do not lean on the code under test: a strict UTF-8
 * validator, a matcher for the 256 Llama 3.1 special-token names, and a
 * check macro that prints what broke and aborts (libFuzzer then saves the
 * input as crash-*).
 */
#ifndef LLAMAFMT_FUZZ_COMMON_H
#define LLAMAFMT_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Abort with a message when an invariant does not hold. */
#define FUZZ_CHECK(cond, ...)                                                        \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "\n*** invariant violated at %s:%d: %s\n*** ", __FILE__, \
                    __LINE__, #cond);                                                \
            fprintf(stderr, __VA_ARGS__);                                            \
            fprintf(stderr, "\n");                                                   \
            abort();                                                                 \
        }                                                                            \
    } while (0)

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF.  Returns the offset of the first bad byte, or n when s is valid. */
static inline size_t fz_utf8_bad_at(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            k = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            if (c == 0xE0)
                lo = 0xA0;                  /* no overlong */
            else if (c == 0xED)
                hi = 0x9F;                  /* no surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            if (c == 0xF0)
                lo = 0x90;                  /* no overlong */
            else if (c == 0xF4)
                hi = 0x8F;                  /* <= U+10FFFF */
        } else
            return i;
        if (n - i - 1 < k)
            return i;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t j = 2; j <= k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return i;
        i += k + 1;
    }
    return n;
}

static inline int fz_utf8_valid(const void *s, size_t n)
{
    return fz_utf8_bad_at((const unsigned char *)s, n) == n;
}

/* 1 when s[0..n) is exactly one Llama 3.1 special-token name: the eight
 * named ones or <|reserved_special_token_K|> for K in 0..247. */
static inline int fz_is_special_name(const char *s, size_t n)
{
    static const char *const named[] = {
        "<|begin_of_text|>", "<|end_of_text|>",   "<|finetune_right_pad_id|>", "<|start_header_id|>",
        "<|end_header_id|>", "<|eom_id|>",        "<|eot_id|>",                "<|python_tag|>",
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (strlen(named[i]) == n && memcmp(named[i], s, n) == 0)
            return 1;
    static const char pre[] = "<|reserved_special_token_";
    size_t pl = sizeof pre - 1;
    if (n < pl + 3 || memcmp(s, pre, pl) != 0 || s[n - 2] != '|' || s[n - 1] != '>')
        return 0;
    size_t nd = n - pl - 2;
    if (nd < 1 || nd > 3)
        return 0;
    unsigned v = 0;
    for (size_t i = 0; i < nd; i++) {
        char c = s[pl + i];
        if (c < '0' || c > '9')
            return 0;
        v = v * 10 + (unsigned)(c - '0');
    }
    if (nd > 1 && s[pl] == '0')
        return 0;                           /* no leading zeros */
    return v <= 247;
}

/* First special-token name in s[0..n) at or after `from`: its offset (and
 * *len), or -1.  Quadratic in the worst case, but names are short. */
static inline long fz_find_special(const char *s, size_t n, size_t from, size_t *len)
{
    for (size_t i = from; i + 1 < n; i++) {
        if (s[i] != '<' || s[i + 1] != '|')
            continue;
        /* the longest name is <|reserved_special_token_247|> (30 bytes) */
        for (size_t j = i + 2; j + 1 < n && j - i < 32; j++)
            if (s[j] == '|' && s[j + 1] == '>') {
                if (fz_is_special_name(s + i, j + 2 - i)) {
                    *len = j + 2 - i;
                    return (long)i;
                }
                break;                      /* a name holds no "|>" */
            }
    }
    return -1;
}

/* A NUL-terminated heap copy of data[0..n). */
static inline char *fz_strndup(const uint8_t *data, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        abort();
    if (n)
        memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

#endif
