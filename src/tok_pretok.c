/*
 * tok_pretok.c - the Llama 3 pre-tokenizer: a hand-written matcher for
 *
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)        A1  contractions
 *   |[^\r\n\p{L}\p{N}]?\p{L}+           A2  a word, maybe with one lead character
 *   |\p{N}{1,3}                         A3  up to three digits
 *   | ?[^\s\p{L}\p{N}]+[\r\n]*          A4  punctuation, then line ends
 *   |\s*[\r\n]+                         A5  space up to the last line end
 *   |\s+(?!\S)                          A6  space but the last one before a non-space
 *   |\s+                                A7  the rest of the space
 *
 * as Hugging Face's tokenizers evaluates it with Oniguruma: at each position
 * the first alternative that matches wins (not the longest), quantifiers are
 * greedy and give characters back when what follows fails.  Classes:
 *   \p{L}  general categories Lu Ll Lt Lm Lo (utf8proc_category)
 *   \p{N}  Nd Nl No
 *   \s     Unicode White_Space: U+0009..000D, 0020, 0085, 00A0, 1680,
 *          2000..200A, 2028, 2029, 202F, 205F, 3000 (not U+FEFF, U+200B)
 * The reference (tokenizers 0.23 / Oniguruma) has the tables of Unicode
 * 16.0; utf8proc may be older (Debian 12's is 15.0), so the letters and
 * numbers assigned in Unicode 15.0, 15.1 and 16.0 are listed below and
 * used when utf8proc calls a code point unassigned.  (Found by classifying
 * every code point with the reference; no assigned character changed
 * between these classes.)
 * Case-insensitive A1 uses Unicode case folding, under which U+017F LATIN
 * SMALL LETTER LONG S folds to 's': "'ſ" is a contraction (checked against
 * the reference); no other non-ASCII character folds to s, t, r, e, v, m,
 * l or d.
 *
 * Backtracking worked out per alternative (w = the run of \s at i):
 *   A2  take the lead character only if a letter follows it;
 *   A4  take the optional space only if a non-space non-letter non-number
 *       follows it;
 *   A5  \s* gives back until [\r\n]+ matches: the match ends just after the
 *       last \r or \n inside w (fails when w has none);
 *   A6  \s+ gives back until (?!\S) holds: all of w at the end of the text,
 *       otherwise w minus its last character (fails when w is one character);
 *   A7  all of w.
 * Every character is a letter, a number, a space or none of these, so one of
 * A2, A3, A4, A5-A7 always matches: pieces cover the text without gaps.
 * No state, no allocation.
 */
#include "tok_internal.h"

#include <utf8proc.h>

enum {
    C_L = 1,        /* \p{L} */
    C_N = 2,        /* \p{N} */
    C_S = 4,        /* \s */
    C_NL = 8        /* \r or \n (also C_S) */
};

/* Classes of the ASCII characters. */
static const unsigned char ascii_class[128] = {
    ['\t'] = C_S, ['\n'] = C_S | C_NL, ['\v'] = C_S, ['\f'] = C_S, ['\r'] = C_S | C_NL,
    [' '] = C_S,
    ['0'] = C_N, ['1'] = C_N, ['2'] = C_N, ['3'] = C_N, ['4'] = C_N,
    ['5'] = C_N, ['6'] = C_N, ['7'] = C_N, ['8'] = C_N, ['9'] = C_N,
    ['A'] = C_L, ['B'] = C_L, ['C'] = C_L, ['D'] = C_L, ['E'] = C_L, ['F'] = C_L, ['G'] = C_L,
    ['H'] = C_L, ['I'] = C_L, ['J'] = C_L, ['K'] = C_L, ['L'] = C_L, ['M'] = C_L, ['N'] = C_L,
    ['O'] = C_L, ['P'] = C_L, ['Q'] = C_L, ['R'] = C_L, ['S'] = C_L, ['T'] = C_L, ['U'] = C_L,
    ['V'] = C_L, ['W'] = C_L, ['X'] = C_L, ['Y'] = C_L, ['Z'] = C_L,
    ['a'] = C_L, ['b'] = C_L, ['c'] = C_L, ['d'] = C_L, ['e'] = C_L, ['f'] = C_L, ['g'] = C_L,
    ['h'] = C_L, ['i'] = C_L, ['j'] = C_L, ['k'] = C_L, ['l'] = C_L, ['m'] = C_L, ['n'] = C_L,
    ['o'] = C_L, ['p'] = C_L, ['q'] = C_L, ['r'] = C_L, ['s'] = C_L, ['t'] = C_L, ['u'] = C_L,
    ['v'] = C_L, ['w'] = C_L, ['x'] = C_L, ['y'] = C_L, ['z'] = C_L,
};

/* Letters and numbers new in Unicode 15.0, 15.1 and 16.0 (for a utf8proc
 * that does not know them yet), sorted. */
typedef struct cp_range {
    uint32_t lo, hi;
    unsigned char cls;
} cp_range;

static const cp_range new_letters_numbers[] = {
    {0x1C89, 0x1C8A, C_L},   {0xA7CB, 0xA7CD, C_L},   {0xA7DA, 0xA7DC, C_L},   {0x105C0, 0x105F3, C_L},
    {0x10D40, 0x10D49, C_N}, {0x10D4A, 0x10D65, C_L}, {0x10D6F, 0x10D85, C_L}, {0x10EC2, 0x10EC4, C_L},
    {0x1123F, 0x11240, C_L}, {0x11380, 0x11389, C_L}, {0x1138B, 0x1138B, C_L}, {0x1138E, 0x1138E, C_L},
    {0x11390, 0x113B5, C_L}, {0x113B7, 0x113B7, C_L}, {0x113D1, 0x113D1, C_L}, {0x113D3, 0x113D3, C_L},
    {0x116D0, 0x116E3, C_N}, {0x11BC0, 0x11BE0, C_L}, {0x11BF0, 0x11BF9, C_N}, {0x11F02, 0x11F02, C_L},
    {0x11F04, 0x11F10, C_L}, {0x11F12, 0x11F33, C_L}, {0x11F50, 0x11F59, C_N}, {0x1342F, 0x1342F, C_L},
    {0x13441, 0x13446, C_L}, {0x13460, 0x143FA, C_L}, {0x16100, 0x1611D, C_L}, {0x16130, 0x16139, C_N},
    {0x16D40, 0x16D6C, C_L}, {0x16D70, 0x16D79, C_N}, {0x18CFF, 0x18CFF, C_L}, {0x1B132, 0x1B132, C_L},
    {0x1B155, 0x1B155, C_L}, {0x1CCF0, 0x1CCF9, C_N}, {0x1D2C0, 0x1D2D3, C_N}, {0x1DF25, 0x1DF2A, C_L},
    {0x1E030, 0x1E06D, C_L}, {0x1E4D0, 0x1E4EB, C_L}, {0x1E4F0, 0x1E4F9, C_N}, {0x1E5D0, 0x1E5ED, C_L},
    {0x1E5F0, 0x1E5F0, C_L}, {0x1E5F1, 0x1E5FA, C_N}, {0x2B739, 0x2B739, C_L}, {0x2EBF0, 0x2EE5D, C_L},
    {0x31350, 0x323AF, C_L},
};

/* The class of a code point utf8proc calls unassigned. */
static unsigned class_unassigned(uint32_t cp)
{
    size_t lo = 0, hi = sizeof new_letters_numbers / sizeof new_letters_numbers[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp > new_letters_numbers[mid].hi)
            lo = mid + 1;
        else if (cp < new_letters_numbers[mid].lo)
            hi = mid;
        else
            return new_letters_numbers[mid].cls;
    }
    return 0;
}

static int is_white_space(uint32_t cp)
{
    switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
        return 1;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

/* Class of the non-ASCII character at s[i] (s[i] >= 0x80); its length in
 * *len.  Invalid UTF-8 (a stray byte, a truncated or overlong sequence, a
 * surrogate, a value over U+10FFFF) is one byte of no class. */
static unsigned class_multi(const unsigned char *s, size_t n, size_t i, size_t *len)
{
    unsigned char b = s[i];
    uint32_t cp;
    size_t k;
    if (b >= 0xC2 && b <= 0xDF) {
        k = 2;
        cp = b & 0x1Fu;
    } else if (b >= 0xE0 && b <= 0xEF) {
        k = 3;
        cp = b & 0x0Fu;
    } else if (b >= 0xF0 && b <= 0xF4) {
        k = 4;
        cp = b & 0x07u;
    } else {
        *len = 1;
        return 0;
    }
    if (n - i < k) {
        *len = 1;
        return 0;
    }
    for (size_t j = 1; j < k; j++) {
        unsigned char c = s[i + j];
        if ((c & 0xC0) != 0x80) {
            *len = 1;
            return 0;
        }
        cp = (cp << 6) | (c & 0x3Fu);
    }
    if ((k == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (k == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
        *len = 1;
        return 0;
    }
    *len = k;
    if (is_white_space(cp))
        return C_S;
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        return C_L;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return C_N;
    case UTF8PROC_CATEGORY_CN:
        return class_unassigned(cp);
    default:
        return 0;
    }
}

/* Class of the character at s[i] (i < n), its length in *len. */
static inline unsigned class_at(const unsigned char *s, size_t n, size_t i, size_t *len)
{
    if (s[i] < 0x80) {
        *len = 1;
        return ascii_class[s[i]];
    }
    return class_multi(s, n, i, len);
}

/* The end of the run of characters of a class in `want` that starts at i. */
static inline size_t run_end(const unsigned char *s, size_t n, size_t i, unsigned want)
{
    size_t len;
    while (i < n && (class_at(s, n, i, &len) & want))
        i += len;
    return i;
}

/* A1 after the apostrophe at s[i-1]: the length of the contraction's
 * letters at s[i..n), or 0. */
static size_t contraction(const unsigned char *s, size_t n, size_t i)
{
    if (i >= n)
        return 0;
    switch (s[i] | 0x20) {   /* only 'X' and 'x' give 'x' here */
    case 's':
    case 't':
    case 'm':
    case 'd':
        return 1;
    case 'r':
    case 'v':
        return (i + 1 < n && (s[i + 1] | 0x20) == 'e') ? 2 : 0;
    case 'l':
        return (i + 1 < n && (s[i + 1] | 0x20) == 'l') ? 2 : 0;
    default:
        /* U+017F LATIN SMALL LETTER LONG S (C5 BF) folds to 's' */
        return (s[i] == 0xC5 && i + 1 < n && s[i + 1] == 0xBF) ? 2 : 0;
    }
}

size_t lf_pretok_next(const char *text, size_t n, size_t i)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t len0, len1;

    /* A1 */
    if (s[i] == '\'') {
        size_t k = contraction(s, n, i + 1);
        if (k)
            return i + 1 + k;
    }
    unsigned c0 = class_at(s, n, i, &len0);

    /* A2: a letter run, or one character that is not \r, \n, a letter or a
     * number followed by a letter run */
    if (c0 & C_L)
        return run_end(s, n, i + len0, C_L);
    if (!(c0 & (C_NL | C_N)) && i + len0 < n && (class_at(s, n, i + len0, &len1) & C_L))
        return run_end(s, n, i + len0 + len1, C_L);

    /* A3 */
    if (c0 & C_N) {
        size_t j = i + len0;
        for (int k = 0; k < 2 && j < n && (class_at(s, n, j, &len1) & C_N); k++)
            j += len1;
        return j;
    }

    /* A4: the optional space is taken only when a character of no class
     * follows it; then the run of such characters and of \r \n after it */
    size_t j = i;
    if (s[i] == ' ' && i + 1 < n && class_at(s, n, i + 1, &len1) == 0)
        j = i + 1;
    if (j > i || c0 == 0) {
        while (j < n && class_at(s, n, j, &len1) == 0)
            j += len1;
        while (j < n && (s[j] == '\r' || s[j] == '\n'))
            j++;
        return j;
    }

    /* Only space is left: c0 is \s.  Find the run w = s[i..e), the last
     * \r or \n in it and where its last character starts. */
    size_t e = i, last_nl = SIZE_MAX, last_start = i;
    while (e < n) {
        size_t l;
        unsigned c = class_at(s, n, e, &l);
        if (!(c & C_S))
            break;
        if (c & C_NL)
            last_nl = e;
        last_start = e;
        e += l;
    }
    if (last_nl != SIZE_MAX)            /* A5 (\r and \n are one byte) */
        return last_nl + 1;
    if (e == n)                         /* A6 at the end of the text */
        return n;
    if (last_start > i)                 /* A6: give the last space back */
        return last_start;
    return e;                           /* A7 */
}
