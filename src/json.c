/*
 * json.c - JSON text written exactly as Python's json.dumps writes it
 * (see json.h for the contract).
 *
 * Three parts:
 *   1. string escaping (the hot path): one worst-case reserve, then a
 *      word-at-a-time (SWAR) scan that copies 8 bytes at a time as long as
 *      none of them needs escaping;
 *   2. repr(float): shortest round-trip digits found with the C library's
 *      correctly rounded printf/strtod, laid out like CPython's
 *      float_repr_style 'short';
 *   3. a re-serialiser for raw JSON text.  It parses into a flat array of
 *      nodes (explicit stack, no recursion, nesting capped at
 *      LF_JSON_MAX_DEPTH), resolves duplicate object keys the way a Python
 *      dict built by json.loads does (first position, last value), then
 *      walks the nodes (again with an explicit stack) writing json.dumps
 *      output.  Numbers are taken from the text, never through a lossy
 *      intermediate representation.
 *
 * Locale: llamafmt never calls setlocale(), so the "C" locale is in effect.
 * Even so, nothing here depends on the locale's decimal point: printf's %e
 * output is read digit by digit, and every string handed to strtod() is of
 * the form "[-]DIGITSe[-]DIGITS", without a radix character.
 */
#include "llamafmt/json.h"

#include "unicode.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deepest array/object nesting lf_json_dump accepts.  (CPython's json.loads
 * itself gives up with RecursionError a little below 1000 levels with the
 * default recursion limit; we are more lenient but never recurse.) */
#define LF_JSON_MAX_DEPTH 10000

/* Python's sys.int_info.default_max_str_digits: json.loads fails on an
 * integer literal with more digits than this (the sign does not count). */
#define LF_JSON_MAX_INT_DIGITS 4300

/* ------------------------------------------------------------------------ */
/* 1. String escaping                                                        */
/* ------------------------------------------------------------------------ */

/* For each byte: 0 when it is written as is, otherwise the character after
 * the backslash of its escape ('u' means \u00XX). */
static const unsigned char esc_tab[256] = {
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
    ['"'] = '"',
    ['\\'] = '\\',
};

static const char hex_digits[] = "0123456789abcdef";

#define SWAR_ONES UINT64_C(0x0101010101010101)
#define SWAR_HIGH UINT64_C(0x8080808080808080)

/* High bit set in every byte lane of w that holds a byte < 0x20, '"' or '\\'.
 * Lanes above the lowest flagged lane may be false positives (borrows
 * propagate upwards), but the lowest flagged lane is always exact, and the
 * result is zero exactly when no byte needs escaping. */
static inline uint64_t swar_unsafe(uint64_t w)
{
    uint64_t ctl = (w - SWAR_ONES * 0x20u) & ~w;
    uint64_t q = w ^ (SWAR_ONES * 0x22u);
    uint64_t bs = w ^ (SWAR_ONES * 0x5Cu);
    q = (q - SWAR_ONES) & ~q;
    bs = (bs - SWAR_ONES) & ~bs;
    return (ctl | q | bs) & SWAR_HIGH;
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR_HAVE_CTZ 1
/* Index (0..7) of the first byte in memory flagged in a non-zero mask. */
static inline size_t swar_first(uint64_t mask)
{
    return (size_t)__builtin_ctzll(mask) >> 3;
}
#else
#define SWAR_HAVE_CTZ 0
#endif

/* Number of leading bytes of p[0..n) that need no escaping. */
static size_t scan_safe(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (n - i >= 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        uint64_t m = swar_unsafe(w);
        if (m != 0) {
#if SWAR_HAVE_CTZ
            return i + swar_first(m);
#else
            break;
#endif
        }
        i += 8;
    }
    while (i < n && esc_tab[p[i]] == 0)
        i++;
    return i;
}

/* Write the escape of byte c (esc_tab[c] != 0); returns the new end. */
static inline char *put_escape(char *d, unsigned char c)
{
    unsigned char e = esc_tab[c];
    *d++ = '\\';
    if (e == 'u') {
        d[0] = 'u';
        d[1] = '0';
        d[2] = '0';
        d[3] = hex_digits[c >> 4];
        d[4] = hex_digits[c & 15u];
        return d + 5;
    }
    *d++ = (char)e;
    return d;
}

/* Escape s[0..n) into d, which has room for 6 * n bytes.  Safe runs are
 * copied 8 bytes at a time; the copy is speculative (all 8 bytes are stored
 * even when only the first k are safe), which the 6x reserve allows: while
 * at least 8 input bytes remain, at least 48 output bytes are free. */
static char *escape_into(char *d, const unsigned char *p, size_t n)
{
    const unsigned char *end = p + n;
    for (;;) {
        while ((size_t)(end - p) >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            uint64_t m = swar_unsafe(w);
            memcpy(d, p, 8);
            if (m != 0) {
#if SWAR_HAVE_CTZ
                size_t k = swar_first(m);
                p += k;
                d += k;
#endif
                break;
            }
            p += 8;
            d += 8;
        }
        while (p < end && esc_tab[*p] == 0)
            *d++ = (char)*p++;
        if (p == end)
            return d;
        d = put_escape(d, *p++);
    }
}

int lf_json_put_string_body(lf_buf *out, const char *s, size_t n)
{
    if (n > (SIZE_MAX - 2) / 6 || lf_buf_reserve(out, 6 * n) != 0)
        return -1;
    char *d = escape_into(out->data + out->len, (const unsigned char *)s, n);
    out->len = (size_t)(d - out->data);
    return 0;
}

int lf_json_put_string(lf_buf *out, const char *s, size_t n)
{
    if (n > (SIZE_MAX - 2) / 6 || lf_buf_reserve(out, 6 * n + 2) != 0)
        return -1;
    char *d = out->data + out->len;
    *d++ = '"';
    d = escape_into(d, (const unsigned char *)s, n);
    *d++ = '"';
    out->len = (size_t)(d - out->data);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* 2. repr(float)                                                           */
/* ------------------------------------------------------------------------ */

/* strtod() of m * 10^scale, written without a radix character. */
static double decimal_value(uint64_t m, int scale)
{
    char b[48];
    snprintf(b, sizeof b, "%" PRIu64 "e%d", m, scale);
    return strtod(b, NULL);
}

/* Try the p+1 significant digit decimals nearest to v (v > 0, finite):
 * first the correctly rounded one from printf, then, with `other_side`,
 * the one on the other side of v (which can be the only one inside v's
 * rounding interval when that interval is asymmetric, i.e. v is a power of
 * two).  On success stores v's digits as m * 10^scale and returns 1. */
static int try_precision(double v, int prec, int other_side, uint64_t *mant, int *scale)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*e", prec, v);
    /* Read the digits whatever the radix character is. */
    uint64_t m = 0;
    const char *p = buf;
    for (; *p != '\0' && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            m = m * 10u + (uint64_t)(*p - '0');
    int e = 0, neg = 0;
    if (*p == 'e')
        p++;
    if (*p == '-' || *p == '+')
        neg = (*p++ == '-');
    for (; *p >= '0' && *p <= '9'; p++)
        e = e * 10 + (*p - '0');
    int sc = (neg ? -e : e) - prec;
    double back = decimal_value(m, sc);
    if (back == v) {
        *mant = m;
        *scale = sc;
        return 1;
    }
    if (!other_side)
        return 0;
    uint64_t alt = (back < v) ? m + 1u : m - 1u;
    if (alt != 0 && decimal_value(alt, sc) == v) {
        *mant = alt;
        *scale = sc;
        return 1;
    }
    return 0;
}

/* Shortest decimal m * 10^scale that reads back as v (v > 0, finite); among
 * several of the same length the nearest to v -- what CPython's repr()
 * (dtoa mode 0) produces.  Relies on printf("%e") and strtod() being
 * correctly rounded (glibc is).
 *
 * Normal numbers: a double's rounding interval is narrower than half the
 * spacing of 15-digit decimals, so at most one decimal of <= 15 significant
 * digits reads back as v, and if there is one, %.14e prints it (padded with
 * zeros).  So: 15 digits with trailing zeros dropped; else 16 (either
 * side); else 17 (the nearest always works).  Subnormals have wider
 * intervals and get the plain search over 1..17 digits. */
static void shortest_decimal(double v, uint64_t *mant, int *scale)
{
    if (v >= DBL_MIN) {
        if (try_precision(v, 14, 0, mant, scale) || try_precision(v, 15, 1, mant, scale))
            return;
    } else {
        for (int prec = 0; prec < 16; prec++)
            if (try_precision(v, prec, 1, mant, scale))
                return;
    }
    if (!try_precision(v, 16, 0, mant, scale)) {
        /* Not reached: 17 significant digits always round-trip. */
        *mant = 1;
        *scale = 0;
    }
}

size_t lf_json_format_double(double v, char out[32])
{
    if (isnan(v)) {
        memcpy(out, "NaN", 4);
        return 3;
    }
    if (isinf(v)) {
        if (v > 0) {
            memcpy(out, "Infinity", 9);
            return 8;
        }
        memcpy(out, "-Infinity", 10);
        return 9;
    }
    char *o = out;
    if (signbit(v)) {
        *o++ = '-';
        v = -v;
    }
    if (v == 0) {
        memcpy(o, "0.0", 4);
        return (size_t)(o - out) + 3;
    }

    uint64_t m;
    int scale;
    shortest_decimal(v, &m, &scale);
    char dig[24];
    int nd = snprintf(dig, sizeof dig, "%" PRIu64, m);
    int dexp = nd - 1 + scale; /* v = d.ddd * 10^dexp */
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;

    if (dexp >= -4 && dexp < 16) {
        if (dexp < 0) {
            *o++ = '0';
            *o++ = '.';
            for (int i = -1; i > dexp; i--)
                *o++ = '0';
            memcpy(o, dig, (size_t)nd);
            o += nd;
        } else {
            for (int i = 0; i <= dexp; i++)
                *o++ = (i < nd) ? dig[i] : '0';
            *o++ = '.';
            if (nd > dexp + 1) {
                memcpy(o, dig + dexp + 1, (size_t)(nd - dexp - 1));
                o += nd - dexp - 1;
            } else {
                *o++ = '0';
            }
        }
    } else {
        *o++ = dig[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, dig + 1, (size_t)(nd - 1));
            o += nd - 1;
        }
        *o++ = 'e';
        *o++ = (dexp < 0) ? '-' : '+';
        int ae = (dexp < 0) ? -dexp : dexp;
        if (ae >= 100)
            *o++ = (char)('0' + ae / 100);
        *o++ = (char)('0' + ae / 10 % 10);
        *o++ = (char)('0' + ae % 10);
    }
    *o = '\0';
    return (size_t)(o - out);
}

/* ------------------------------------------------------------------------ */
/* 3. Re-serialising JSON text                                              */
/* ------------------------------------------------------------------------ */

enum {
    JT_STRING,
    JT_INT,
    JT_FLOAT,
    JT_TRUE,
    JT_FALSE,
    JT_NULL,
    JT_ARRAY,
    JT_OBJECT
};

#define JF_ESC 1u /* string: contains backslash escapes */
#define JF_DUP 2u /* object key: an earlier member has the same key; skip */

/* One parsed value.  Object members are stored as a key node (JT_STRING)
 * followed by the value's subtree. */
typedef struct jnode {
    size_t start; /* text offset of the first byte */
    size_t end;   /* text offset one past the last byte (scalars only) */
    size_t next;  /* index of the node after this subtree; for an object
                     key: index of the value to write for this member */
    unsigned char type;
    unsigned char flags;
} jnode;

typedef struct jkey {
    const char *p; /* decoded key bytes */
    size_t len;
    size_t off;    /* offset in scratch when the key had escapes */
    size_t node;   /* index of the key node */
    int in_scratch;
} jkey;

typedef struct jframe {
    size_t cur;    /* next child (array) or key node (object) */
    size_t end;    /* one past the last node of the container */
    int is_obj;
    int any;       /* a member has been written already */
} jframe;

typedef struct jctx {
    const char *text;
    size_t n;
    size_t pos;
    jnode *nodes;
    size_t nnodes, nodes_cap;
    size_t *stack;  /* open containers while parsing */
    size_t stack_cap;
    size_t max_depth;
    jkey *keys;
    size_t keys_cap;
    lf_buf scratch;
    lf_error *err;
} jctx;

static int fail_nomem(jctx *c)
{
    if (c->err)
        lf_error_set(c->err, LF_E_NOMEM, "out of memory while re-serialising JSON");
    return -1;
}

static int fail_at(jctx *c, size_t pos, const char *what)
{
    if (c->err)
        lf_error_set(c->err, LF_E_JSON, "invalid JSON at byte %zu: %s", pos + 1, what);
    return -1;
}

/* Grow a heap array to hold at least `need` (>= 1) elements of `elem`
 * bytes; returns the (possibly moved) array, or NULL with `p` still valid. */
static void *grow_array(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / elem)
            return NULL;
        nc *= 2;
    }
    void *q = realloc(p, nc * elem);
    if (q != NULL)
        *cap = nc;
    return q;
}

static int new_node(jctx *c, unsigned char type, size_t start, size_t *idx)
{
    if (c->nnodes == c->nodes_cap) {
        jnode *q = grow_array(c->nodes, &c->nodes_cap, c->nnodes + 1, sizeof *c->nodes);
        if (q == NULL)
            return fail_nomem(c);
        c->nodes = q;
    }
    jnode *nd = &c->nodes[c->nnodes];
    nd->start = start;
    nd->end = start;
    nd->next = c->nnodes + 1;
    nd->type = type;
    nd->flags = 0;
    *idx = c->nnodes++;
    return 0;
}

static void skip_ws(jctx *c)
{
    while (c->pos < c->n) {
        char ch = c->text[c->pos];
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r')
            break;
        c->pos++;
    }
}


/* Parse the string starting at the '"' at c->pos; on success c->pos is past
 * the closing quote. */
static int parse_string(jctx *c, unsigned char *flags)
{
    const char *t = c->text;
    size_t n = c->n;
    size_t pos = c->pos + 1;
    for (;;) {
        pos += scan_safe((const unsigned char *)t + pos, n - pos);
        if (pos >= n)
            return fail_at(c, c->pos, "unterminated string");
        unsigned char ch = (unsigned char)t[pos];
        if (ch == '"') {
            c->pos = pos + 1;
            return 0;
        }
        if (ch < 0x20)
            return fail_at(c, pos, "control character in string");
        /* backslash */
        *flags |= JF_ESC;
        if (n - pos < 2)
            return fail_at(c, c->pos, "unterminated string");
        switch (t[pos + 1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            pos += 2;
            break;
        case 'u': {
            long cp = (n - pos >= 6) ? lf_hex4(t + pos + 2) : -1;
            if (cp < 0)
                return fail_at(c, pos, "invalid \\u escape");
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail_at(c, pos, "lone surrogate escape");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                long lo = (n - pos >= 12 && t[pos + 6] == '\\' && t[pos + 7] == 'u')
                              ? lf_hex4(t + pos + 8) : -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return fail_at(c, pos, "lone surrogate escape");
                pos += 12;
            } else {
                pos += 6;
            }
            break;
        }
        default:
            return fail_at(c, pos, "invalid escape");
        }
    }
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static int parse_number(jctx *c, size_t *idx)
{
    const char *t = c->text;
    size_t n = c->n, start = c->pos, pos = c->pos;
    unsigned char type = JT_INT;
    if (pos < n && t[pos] == '-')
        pos++;
    if (pos >= n || !is_digit(t[pos]))
        return fail_at(c, start, "expecting value");
    if (t[pos] == '0') {
        pos++;
    } else {
        while (pos < n && is_digit(t[pos]))
            pos++;
    }
    if (pos < n && t[pos] == '.' && pos + 1 < n && is_digit(t[pos + 1])) {
        type = JT_FLOAT;
        pos++;
        while (pos < n && is_digit(t[pos]))
            pos++;
    }
    if (pos < n && (t[pos] == 'e' || t[pos] == 'E')) {
        size_t q = pos + 1;
        if (q < n && (t[q] == '+' || t[q] == '-'))
            q++;
        if (q < n && is_digit(t[q])) {
            type = JT_FLOAT;
            pos = q;
            while (pos < n && is_digit(t[pos]))
                pos++;
        }
    }
    if (type == JT_INT) {
        size_t digits = pos - start - (t[start] == '-');
        if (digits > LF_JSON_MAX_INT_DIGITS)
            return fail_at(c, start, "integer has more than 4300 digits");
    }
    if (new_node(c, type, start, idx) != 0)
        return -1;
    c->nodes[*idx].end = pos;
    c->pos = pos;
    return 0;
}

/* Decode the body of a string literal with escapes, t[p..stop), into d.
 * With reescape, write it re-escaped the json.dumps way; otherwise write the
 * raw UTF-8.  Either output is never longer than the input.  The literal was
 * validated by parse_string. */
static char *unescape(const char *t, size_t p, size_t stop, char *d, int reescape)
{
    while (p < stop) {
        size_t run = scan_safe((const unsigned char *)t + p, stop - p);
        memcpy(d, t + p, run);
        d += run;
        p += run;
        if (p >= stop)
            break;
        /* t[p] == '\\' */
        char e = t[p + 1];
        unsigned long cp;
        p += 2;
        switch (e) {
        case 'b': cp = 0x08; break;
        case 'f': cp = 0x0C; break;
        case 'n': cp = 0x0A; break;
        case 'r': cp = 0x0D; break;
        case 't': cp = 0x09; break;
        case 'u':
            cp = (unsigned long)lf_hex4(t + p);
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned long lo = (unsigned long)lf_hex4(t + p + 2);
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            break;
        default: cp = (unsigned char)e; break; /* '"', '\\', '/' */
        }
        if (cp < 0x80) {
            if (reescape && esc_tab[cp] != 0)
                d = put_escape(d, (unsigned char)cp);
            else
                *d++ = (char)cp;
        } else {
            d += lf_utf8_put(d, cp);
        }
    }
    return d;
}

static int key_cmp(const void *a, const void *b)
{
    const jkey *x = a, *y = b;
    size_t l = x->len < y->len ? x->len : y->len;
    int r = l ? memcmp(x->p, y->p, l) : 0;
    if (r != 0)
        return r;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->node < y->node ? -1 : (x->node > y->node);
}

static int key_eq(const jkey *x, const jkey *y)
{
    return x->len == y->len && (x->len == 0 || memcmp(x->p, y->p, x->len) == 0);
}

/* Small objects are checked pairwise; larger ones are sorted by (key, position)
 * so that the cost stays O(m log m) whatever the keys are. */
#define DEDUP_PAIRWISE_MAX 8

/* Resolve duplicate keys of the (closed) object at node obj: every later
 * occurrence of a key is flagged JF_DUP and the first occurrence's `next`
 * points at the value of the last one. */
static int dedupe_object(jctx *c, size_t obj)
{
    jnode *nodes = c->nodes;
    size_t end = nodes[obj].next, m = 0;
    for (size_t k = obj + 1; k < end; k = nodes[k + 1].next)
        m++;
    if (m < 2)
        return 0;
    jkey *keys = grow_array(c->keys, &c->keys_cap, m, sizeof *c->keys);
    if (keys == NULL)
        return fail_nomem(c);
    c->keys = keys;
    c->scratch.len = 0;
    size_t i = 0;
    for (size_t k = obj + 1; k < end; k = nodes[k + 1].next, i++) {
        jkey *key = &keys[i];
        size_t s = nodes[k].start + 1, e = nodes[k].end - 1;
        key->node = k;
        if (nodes[k].flags & JF_ESC) {
            if (lf_buf_reserve(&c->scratch, e - s) != 0)
                return fail_nomem(c);
            char *d0 = c->scratch.data + c->scratch.len;
            char *d = unescape(c->text, s, e, d0, 0);
            key->off = c->scratch.len;
            key->len = (size_t)(d - d0);
            key->in_scratch = 1;
            c->scratch.len += key->len;
        } else {
            key->p = c->text + s;
            key->len = e - s;
            key->in_scratch = 0;
        }
    }
    for (i = 0; i < m; i++)
        if (keys[i].in_scratch)
            keys[i].p = c->scratch.data + keys[i].off;

    if (m <= DEDUP_PAIRWISE_MAX) {
        for (size_t j = 1; j < m; j++) {
            for (i = 0; i < j; i++) {
                if (!(nodes[keys[i].node].flags & JF_DUP) && key_eq(&keys[i], &keys[j])) {
                    nodes[keys[j].node].flags |= JF_DUP;
                    nodes[keys[i].node].next = keys[j].node + 1;
                    break;
                }
            }
        }
        return 0;
    }
    qsort(keys, m, sizeof *keys, key_cmp);
    for (i = 0; i < m;) {
        size_t j = i + 1;
        while (j < m && key_eq(&keys[i], &keys[j])) {
            nodes[keys[j].node].flags |= JF_DUP;
            j++;
        }
        if (j - i > 1)
            nodes[keys[i].node].next = keys[j - 1].node + 1;
        i = j;
    }
    return 0;
}

/* Parse the key string and the ':' of an object member at c->pos. */
/* A string node for the literal at c->pos. */
static int string_node(jctx *c)
{
    size_t idx;
    if (new_node(c, JT_STRING, c->pos, &idx) != 0)
        return -1;
    unsigned char fl = 0;
    if (parse_string(c, &fl) != 0)
        return -1;
    c->nodes[idx].flags = fl;
    c->nodes[idx].end = c->pos;
    return 0;
}

static int parse_key(jctx *c)
{
    skip_ws(c);
    if (c->pos >= c->n || c->text[c->pos] != '"')
        return fail_at(c, c->pos, "expecting property name enclosed in double quotes");
    if (string_node(c) != 0)
        return -1;
    skip_ws(c);
    if (c->pos >= c->n || c->text[c->pos] != ':')
        return fail_at(c, c->pos, "expecting ':' delimiter");
    c->pos++;
    return 0;
}

static int parse_literal(jctx *c, const char *word, size_t len, unsigned char type)
{
    if (c->n - c->pos < len || memcmp(c->text + c->pos, word, len) != 0)
        return fail_at(c, c->pos, "expecting value");
    size_t idx;
    if (new_node(c, type, c->pos, &idx) != 0)
        return -1;
    c->pos += len;
    c->nodes[idx].end = c->pos;
    return 0;
}

static int parse_document(jctx *c)
{
    size_t depth = 0;
    for (;;) {
        /* A value is expected at c->pos. */
        skip_ws(c);
        if (c->pos >= c->n)
            return fail_at(c, c->pos, "expecting value (unexpected end)");
        char ch = c->text[c->pos];
        size_t idx;
        if (ch == '[' || ch == '{') {
            if (depth >= LF_JSON_MAX_DEPTH)
                return fail_at(c, c->pos, "nesting too deep");
            if (new_node(c, ch == '[' ? JT_ARRAY : JT_OBJECT, c->pos, &idx) != 0)
                return -1;
            c->pos++;
            skip_ws(c);
            if (c->pos < c->n && c->text[c->pos] == (ch == '[' ? ']' : '}')) {
                c->pos++; /* empty container: next = idx + 1 already */
            } else {
                if (depth == c->stack_cap) {
                    size_t *q = grow_array(c->stack, &c->stack_cap, depth + 1, sizeof *c->stack);
                    if (q == NULL)
                        return fail_nomem(c);
                    c->stack = q;
                }
                c->stack[depth++] = idx;
                if (depth > c->max_depth)
                    c->max_depth = depth;
                if (ch == '{' && parse_key(c) != 0)
                    return -1;
                continue;
            }
        } else if (ch == '"') {
            if (string_node(c) != 0)
                return -1;
        } else if (ch == '-' || is_digit(ch)) {
            if (parse_number(c, &idx) != 0)
                return -1;
        } else if (ch == 't') {
            if (parse_literal(c, "true", 4, JT_TRUE) != 0)
                return -1;
        } else if (ch == 'f') {
            if (parse_literal(c, "false", 5, JT_FALSE) != 0)
                return -1;
        } else if (ch == 'n') {
            if (parse_literal(c, "null", 4, JT_NULL) != 0)
                return -1;
        } else {
            return fail_at(c, c->pos, "expecting value");
        }

        /* A value is complete: close containers / find the next value. */
        for (;;) {
            if (depth == 0) {
                skip_ws(c);
                if (c->pos != c->n)
                    return fail_at(c, c->pos, "extra data after the JSON value");
                return 0;
            }
            size_t top = c->stack[depth - 1];
            int is_obj = c->nodes[top].type == JT_OBJECT;
            skip_ws(c);
            if (c->pos >= c->n)
                return fail_at(c, c->pos, is_obj ? "unterminated object" : "unterminated array");
            ch = c->text[c->pos];
            if (ch == ',') {
                c->pos++;
                if (is_obj && parse_key(c) != 0)
                    return -1;
                break; /* parse the next value */
            }
            if (ch != (is_obj ? '}' : ']'))
                return fail_at(c, c->pos, is_obj ? "expecting ',' or '}'" : "expecting ',' or ']'");
            c->pos++;
            c->nodes[top].next = c->nnodes;
            depth--;
            if (is_obj && dedupe_object(c, top) != 0)
                return -1;
        }
    }
}

/* --- writing -------------------------------------------------------------- */

static int put_newline_indent(lf_buf *out, int indent, size_t depth)
{
    size_t ind = (size_t)indent;
    if (depth != 0 && ind > (SIZE_MAX - 1) / depth)
        return -1;
    size_t sp = ind * depth;
    if (lf_buf_reserve(out, sp + 1) != 0)
        return -1;
    out->data[out->len++] = '\n';
    memset(out->data + out->len, ' ', sp);
    out->len += sp;
    return 0;
}

static int put_string_node(jctx *c, lf_buf *out, const jnode *nd)
{
    size_t len = nd->end - nd->start;
    if (!(nd->flags & JF_ESC)) /* the literal is already in json.dumps form */
        return lf_buf_append(out, c->text + nd->start, len);
    if (lf_buf_reserve(out, len) != 0)
        return -1;
    char *d = out->data + out->len;
    *d++ = '"';
    d = unescape(c->text, nd->start + 1, nd->end - 1, d, 1);
    *d++ = '"';
    out->len = (size_t)(d - out->data);
    return 0;
}

/* Read a float literal (JSON number grammar, already validated) exactly as
 * Python's float() does: correctly rounded, overflow to +-inf, underflow to
 * +-0.  It is handed to strtod as "[-]DIGITSeEXP" (no radix character). */
static int float_value(jctx *c, const jnode *nd, double *v)
{
    const char *t = c->text;
    size_t p = nd->start, e = nd->end;
    lf_buf *s = &c->scratch;
    s->len = 0;
    if (lf_buf_reserve(s, (e - p) + 32) != 0)
        return -1;
    char *d = s->data;
    if (t[p] == '-')
        *d++ = t[p++];
    while (p < e && is_digit(t[p]))
        *d++ = t[p++];
    size_t frac = 0;
    if (p < e && t[p] == '.') {
        p++;
        while (p < e && is_digit(t[p])) {
            *d++ = t[p++];
            frac++;
        }
    }
    long long ex = 0;
    if (p < e) { /* 'e' or 'E' */
        int neg = 0;
        p++;
        if (t[p] == '+' || t[p] == '-')
            neg = (t[p++] == '-');
        /* Beyond ~1e9 the result is 0 or inf whatever the digits are. */
        while (p < e) {
            if (ex < 1000000000LL)
                ex = ex * 10 + (t[p] - '0');
            p++;
        }
        if (neg)
            ex = -ex;
    }
    /* frac is bounded by the text length; cap it like the exponent. */
    ex -= (frac > 4000000000u) ? 4000000000LL : (long long)frac;
    snprintf(d, 32, "e%lld", ex);
    *v = strtod(s->data, NULL);
    return 0;
}

static int put_scalar(jctx *c, lf_buf *out, const jnode *nd)
{
    switch (nd->type) {
    case JT_STRING:
        return put_string_node(c, out, nd);
    case JT_INT: {
        size_t len = nd->end - nd->start;
        if (len == 2 && c->text[nd->start] == '-' && c->text[nd->start + 1] == '0')
            return lf_buf_putc(out, '0');
        return lf_buf_append(out, c->text + nd->start, len);
    }
    case JT_FLOAT: {
        double v;
        char num[32];
        if (float_value(c, nd, &v) != 0)
            return -1;
        size_t len = lf_json_format_double(v, num);
        return lf_buf_append(out, num, len);
    }
    case JT_TRUE:
        return lf_buf_append(out, "true", 4);
    case JT_FALSE:
        return lf_buf_append(out, "false", 5);
    default:
        return lf_buf_append(out, "null", 4);
    }
}

/* Write the parsed document; -1 only when memory runs out. */
static int emit_document(jctx *c, lf_buf *out, int indent)
{
    jframe *frames = NULL;
    if (c->max_depth > 0) {
        frames = malloc(c->max_depth * sizeof *frames);
        if (frames == NULL)
            return -1;
    }
    const jnode *nodes = c->nodes;
    size_t depth = 0, v = 0;
    int rc = -1;
    for (;;) {
        const jnode *nd = &nodes[v];
        if (nd->type == JT_ARRAY || nd->type == JT_OBJECT) {
            int is_obj = nd->type == JT_OBJECT;
            if (nd->next == v + 1) {
                if (lf_buf_append(out, is_obj ? "{}" : "[]", 2) != 0)
                    goto done;
            } else {
                if (lf_buf_putc(out, is_obj ? '{' : '[') != 0)
                    goto done;
                frames[depth].cur = v + 1;
                frames[depth].end = nd->next;
                frames[depth].is_obj = is_obj;
                frames[depth].any = 0;
                depth++;
            }
        } else if (put_scalar(c, out, nd) != 0) {
            goto done;
        }

        /* Find the next value to write, closing finished containers. */
        for (;;) {
            if (depth == 0) {
                rc = 0;
                goto done;
            }
            jframe *f = &frames[depth - 1];
            if (f->cur == f->end) {
                depth--;
                if (indent >= 0 && put_newline_indent(out, indent, depth) != 0)
                    goto done;
                if (lf_buf_putc(out, f->is_obj ? '}' : ']') != 0)
                    goto done;
                continue;
            }
            size_t key = 0;
            if (f->is_obj) {
                key = f->cur;
                f->cur = nodes[key + 1].next;
                if (nodes[key].flags & JF_DUP)
                    continue;
                v = nodes[key].next;
            } else {
                v = f->cur;
                f->cur = nodes[v].next;
            }
            if (f->any) {
                if (indent >= 0 ? lf_buf_putc(out, ',') : lf_buf_append(out, ", ", 2))
                    goto done;
            }
            f->any = 1;
            if (indent >= 0 && put_newline_indent(out, indent, depth) != 0)
                goto done;
            if (f->is_obj) {
                if (put_string_node(c, out, &nodes[key]) != 0 || lf_buf_append(out, ": ", 2) != 0)
                    goto done;
            }
            break;
        }
    }
done:
    free(frames);
    return rc;
}

/* On failure out->len is restored to its value on entry; bytes beyond it
 * (within the allocation) may hold partial output.  Parse errors are found
 * before anything is written; only running out of memory can interrupt the
 * writing. */
int lf_json_dump(lf_buf *out, const char *text, size_t n, int indent, lf_error *err)
{
    jctx c;
    memset(&c, 0, sizeof c);
    c.text = text;
    c.n = n;
    c.err = err;
    size_t len0 = out->len;
    int rc = -1;

    if (n > 0 && text == NULL) {
        fail_at(&c, 0, "no input");
        goto done;
    }
    if (parse_document(&c) != 0)
        goto done;
    if (lf_buf_reserve(out, n) != 0 || emit_document(&c, out, indent) != 0) {
        fail_nomem(&c);
        goto done;
    }
    rc = 0;
done:
    if (rc != 0)
        out->len = len0;
    free(c.nodes);
    free(c.stack);
    free(c.keys);
    lf_buf_free(&c.scratch);
    return rc;
}
