/*
 * fuzz_json.c - the json.dumps writer: lf_json_dump (indent none, 0 and 4),
 * lf_json_put_string / lf_json_put_string_body and lf_json_format_double.
 *
 * The whole input is used three ways:
 *   - as JSON text for lf_json_dump, when it meets json.h's precondition
 *     (valid UTF-8, no lone surrogate escape);
 *   - as a string for lf_json_put_string, when it is valid UTF-8;
 *   - its first 8 bytes as a double for lf_json_format_double.
 *
 * Invariants (json.h):
 *   - dump output is valid UTF-8; with indent none it holds no newline;
 *   - on error the buffer's length and its earlier bytes are unchanged;
 *   - the three indents agree on success or failure;
 *   - dump is idempotent: dump(dump(x)) == dump(x) for each indent, and the
 *     indents convert into each other (except where the output holds
 *     Infinity/NaN, which json.dumps writes but JSON does not allow);
 *   - put_string writes '"' body '"', valid UTF-8, no raw control bytes, that
 *     decodes back to the input; put_string_body is the same body; a quoted
 *     string survives dump unchanged;
 *   - format_double: NUL-terminated, at most 31 characters, reads back with
 *     strtod as the same double (sign of zero included), "NaN"/"Infinity"
 *     spelled as json.dumps does, laid out as Python's repr (exponent form
 *     exactly when the decimal exponent is < -4 or >= 16, "e+XX"/"e-XX",
 *     at least one fractional digit otherwise) with the shortest digits
 *     that round-trip.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "llamafmt/buf.h"
#include "llamafmt/error.h"
#include "llamafmt/json.h"

static const char PREFIX[] = "prefix\xC3\xA9";    /* the buffer is never empty on entry */

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* 1 when a \uXXXX escape with a lone surrogate occurs (the precondition
 * json.h states; what is not valid JSON anyway does not matter here). */
static int has_lone_surrogate(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] != '\\')
            continue;
        if (s[i + 1] != 'u') {
            i++;                                    /* skip the escaped byte */
            continue;
        }
        long v = -1;
        if (i + 6 <= n) {
            v = 0;
            for (size_t k = 2; k < 6; k++) {
                int h = hexval(s[i + k]);
                if (h < 0) {
                    v = -1;
                    break;
                }
                v = v * 16 + h;
            }
        }
        if (v < 0)
            continue;                               /* malformed: an error anyway */
        if (v >= 0xDC00 && v <= 0xDFFF)
            return 1;
        if (v >= 0xD800 && v <= 0xDBFF) {
            long w = -1;
            if (i + 12 <= n && s[i + 6] == '\\' && s[i + 7] == 'u') {
                w = 0;
                for (size_t k = 8; k < 12; k++) {
                    int h = hexval(s[i + k]);
                    if (h < 0) {
                        w = -1;
                        break;
                    }
                    w = w * 16 + h;
                }
            }
            if (w < 0xDC00 || w > 0xDFFF)
                return 1;
            i += 11;
            continue;
        }
        i += 5;
    }
    return 0;
}

static void buf_init(lf_buf *b)
{
    memset(b, 0, sizeof *b);
    if (lf_buf_append(b, PREFIX, sizeof PREFIX - 1) != 0)
        abort();
}

/* dump text into a fresh buffer after PREFIX; returns rc, checks the
 * error contract; body() gives the output without the prefix. */
static int dump(const char *text, size_t n, int indent, lf_buf *b)
{
    buf_init(b);
    lf_error err;
    lf_error_clear(&err);
    int rc = lf_json_dump(b, text, n, indent, &err);
    FUZZ_CHECK(rc == 0 || rc == -1, "lf_json_dump returned %d", rc);
    FUZZ_CHECK(b->len >= sizeof PREFIX - 1 && memcmp(b->data, PREFIX, sizeof PREFIX - 1) == 0,
               "lf_json_dump (indent %d) changed the bytes already in the buffer", indent);
    if (rc != 0) {
        FUZZ_CHECK(b->len == sizeof PREFIX - 1, "lf_json_dump (indent %d) failed but left %zu bytes behind",
                   indent, b->len - (sizeof PREFIX - 1));
        FUZZ_CHECK(err.code != LF_OK && err.msg[0] != '\0', "lf_json_dump failed without an error");
        return rc;
    }
    size_t on = b->len - (sizeof PREFIX - 1);
    const char *o = b->data + sizeof PREFIX - 1;
    FUZZ_CHECK(on > 0, "lf_json_dump (indent %d) succeeded with no output", indent);
    size_t bad = fz_utf8_bad_at((const unsigned char *)o, on);
    FUZZ_CHECK(bad == on, "lf_json_dump (indent %d) output is not valid UTF-8 at byte %zu", indent, bad);
    if (indent < 0)
        FUZZ_CHECK(memchr(o, '\n', on) == NULL, "lf_json_dump (indent none) output holds a newline");
    return 0;
}

static const char *body(const lf_buf *b, size_t *n)
{
    *n = b->len - (sizeof PREFIX - 1);
    return b->data + sizeof PREFIX - 1;
}

static int non_json_literal(const char *o, size_t n)
{
    return memmem(o, n, "Infinity", 8) != NULL || memmem(o, n, "NaN", 3) != NULL;
}

static void check_same(const lf_buf *a, const lf_buf *b, const char *what)
{
    size_t an, bn;
    const char *ap = body(a, &an), *bp = body(b, &bn);
    size_t i = 0;
    while (i < an && i < bn && ap[i] == bp[i])
        i++;
    FUZZ_CHECK(an == bn && i == an, "%s: outputs differ at byte %zu (%zu vs %zu bytes): \"%.*s\" vs \"%.*s\"",
               what, i, an, bn, (int)(an - i < 40 ? an - i : 40), ap + i, (int)(bn - i < 40 ? bn - i : 40), bp + i);
}

static void fuzz_dump(const uint8_t *data, size_t size)
{
    if (!fz_utf8_valid(data, size) || has_lone_surrogate(data, size))
        return;
    const char *text = (const char *)data;
    static const int indents[3] = {-1, 0, 4};
    lf_buf out[3];
    int rc[3];
    for (int i = 0; i < 3; i++)
        rc[i] = dump(text, size, indents[i], &out[i]);
    FUZZ_CHECK(rc[0] == rc[1] && rc[1] == rc[2], "indents disagree: none %d, 0 %d, 4 %d", rc[0], rc[1], rc[2]);
    if (rc[0] == 0) {
        size_t n0;
        const char *o0 = body(&out[0], &n0);
        int special = non_json_literal(o0, n0);
        for (int i = 0; i < 3; i++) {
            size_t on;
            const char *o = body(&out[i], &on);
            for (int j = 0; j < 3; j++) {
                lf_buf again;
                int r = dump(o, on, indents[j], &again);
                if (r != 0) {
                    FUZZ_CHECK(special, "dump(dump(x, %d), %d) failed", indents[i], indents[j]);
                } else {
                    char what[64];
                    snprintf(what, sizeof what, "dump(dump(x, %d), %d) vs dump(x, %d)", indents[i], indents[j],
                             indents[j]);
                    check_same(&again, &out[j], what);
                }
                lf_buf_free(&again);
            }
        }
    }
    for (int i = 0; i < 3; i++)
        lf_buf_free(&out[i]);
}

/* Decode the body of a JSON string written by put_string (only the escapes
 * json.h allows it to use).  Returns the decoded length, or -1. */
static long decode_body(const char *s, size_t n, char *d)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"')
            return -1;
        if (c != '\\') {
            d[k++] = (char)c;
            continue;
        }
        if (++i >= n)
            return -1;
        switch (s[i]) {
        case '"': d[k++] = '"'; break;
        case '\\': d[k++] = '\\'; break;
        case 'n': d[k++] = '\n'; break;
        case 'r': d[k++] = '\r'; break;
        case 't': d[k++] = '\t'; break;
        case 'b': d[k++] = '\b'; break;
        case 'f': d[k++] = '\f'; break;
        case 'u': {
            if (i + 4 >= n)
                return -1;
            int v = 0;
            for (int j = 1; j <= 4; j++) {
                /* json.dumps writes lowercase hex */
                char h = s[i + (size_t)j];
                if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f')))
                    return -1;
                v = v * 16 + hexval((uint8_t)h);
            }
            /* only control characters without a short form */
            if (v >= 0x20 || v == '\n' || v == '\r' || v == '\t' || v == '\b' || v == '\f')
                return -1;
            d[k++] = (char)v;
            i += 4;
            break;
        }
        default:
            return -1;
        }
    }
    return (long)k;
}

static void fuzz_string(const uint8_t *data, size_t size)
{
    if (!fz_utf8_valid(data, size))
        return;
    const char *s = (const char *)data;
    lf_buf q, b;
    buf_init(&q);
    buf_init(&b);
    FUZZ_CHECK(lf_json_put_string(&q, s, size) == 0, "lf_json_put_string failed");
    FUZZ_CHECK(lf_json_put_string_body(&b, s, size) == 0, "lf_json_put_string_body failed");
    FUZZ_CHECK(memcmp(q.data, PREFIX, sizeof PREFIX - 1) == 0 && memcmp(b.data, PREFIX, sizeof PREFIX - 1) == 0,
               "put_string changed the bytes already in the buffer");
    size_t qn, bn;
    const char *qp = body(&q, &qn), *bp = body(&b, &bn);
    FUZZ_CHECK(qn >= 2 && qp[0] == '"' && qp[qn - 1] == '"', "put_string output is not quoted");
    FUZZ_CHECK(bn == qn - 2 && memcmp(bp, qp + 1, bn) == 0, "put_string_body differs from put_string's body");
    FUZZ_CHECK(fz_utf8_valid(qp, qn), "put_string output is not valid UTF-8");
    char *dec = malloc(bn + 1);
    if (dec == NULL)
        abort();
    long dn = decode_body(bp, bn, dec);
    FUZZ_CHECK(dn >= 0, "put_string wrote an escape or raw byte json.dumps would not write");
    FUZZ_CHECK((size_t)dn == size && memcmp(dec, s, size) == 0, "put_string output does not decode to its input");
    free(dec);

    /* a quoted string is a JSON value: dump leaves it as it is */
    lf_buf d;
    FUZZ_CHECK(dump(qp, qn, -1, &d) == 0, "dump of a put_string result failed");
    size_t dn2;
    const char *dp = body(&d, &dn2);
    FUZZ_CHECK(dn2 == qn && memcmp(dp, qp, qn) == 0, "dump changes a put_string result");
    lf_buf_free(&d);
    lf_buf_free(&q);
    lf_buf_free(&b);
}

/* The significant digits of a decimal number text (no sign, point,
 * exponent, leading or trailing zeros) into d; returns their count. */
static size_t sig_digits(const char *s, char *d)
{
    size_t k = 0;
    for (; *s && *s != 'e' && *s != 'E'; s++)
        if (*s >= '0' && *s <= '9' && (k > 0 || *s != '0'))
            d[k++] = *s;
    while (k > 0 && d[k - 1] == '0')
        k--;
    d[k] = '\0';
    return k;
}

static void fuzz_double(const uint8_t *data, size_t size)
{
    if (size < 8)
        return;
    double v;
    memcpy(&v, data, 8);
    char out[32];
    memset(out, 0x7F, sizeof out);
    size_t n = lf_json_format_double(v, out);
    FUZZ_CHECK(n <= 31 && out[n] == '\0' && strlen(out) == n, "format_double: length %zu, not NUL-terminated", n);
    if (isnan(v)) {
        FUZZ_CHECK(strcmp(out, "NaN") == 0, "format_double(NaN) = \"%s\"", out);
        return;
    }
    if (isinf(v)) {
        FUZZ_CHECK(strcmp(out, v > 0 ? "Infinity" : "-Infinity") == 0, "format_double(%g) = \"%s\"", v, out);
        return;
    }
    char *end = NULL;
    double back = strtod(out, &end);
    FUZZ_CHECK(end == out + n, "format_double(%a) = \"%s\" is not a whole number", v, out);
    FUZZ_CHECK(back == v && !signbit(back) == !signbit(v), "format_double(%a) = \"%s\" reads back as %a", v, out,
               back);

    /* Python repr layout */
    const char *p = out + (out[0] == '-');
    FUZZ_CHECK(!signbit(v) == (out[0] != '-'), "format_double(%a) = \"%s\": wrong sign", v, out);
    FUZZ_CHECK(p[0] >= '0' && p[0] <= '9', "format_double(%a) = \"%s\": no leading digit", v, out);
    const char *e = strchr(out, 'e');
    if (v == 0) {
        FUZZ_CHECK(strcmp(p, "0.0") == 0, "format_double(%a) = \"%s\"", v, out);
        return;
    }
    if (e != NULL) {
        FUZZ_CHECK(e[1] == '+' || e[1] == '-', "format_double(%a) = \"%s\": exponent without sign", v, out);
        FUZZ_CHECK(strlen(e + 2) >= 2 && strspn(e + 2, "0123456789") == strlen(e + 2),
                   "format_double(%a) = \"%s\": exponent needs at least two digits", v, out);
        int ex = atoi(e + 1);
        FUZZ_CHECK(ex < -4 || ex >= 16, "format_double(%a) = \"%s\": exponent form for exponent %d", v, out, ex);
        FUZZ_CHECK(p[1] == 'e' || (p[1] == '.' && p[2] >= '0' && p[2] <= '9' && e[-1] != '0'),
                   "format_double(%a) = \"%s\": mantissa is not d[.ddd]", v, out);
    } else {
        const char *dot = strchr(out, '.');
        FUZZ_CHECK(dot != NULL, "format_double(%a) = \"%s\": no point", v, out);
        /* the decimal exponent of the digits written */
        int x;
        if (!(p[0] == '0' && p + 1 == dot))
            x = (int)(dot - p) - 1;
        else
            x = -(int)strspn(dot + 1, "0") - 1;
        FUZZ_CHECK(x >= -4 && x < 16, "format_double(%a) = \"%s\": fixed form for exponent %d", v, out, x);
        FUZZ_CHECK(dot != NULL && dot[1] >= '0' && dot[1] <= '9', "format_double(%a) = \"%s\": needs \".d\"", v, out);
        FUZZ_CHECK(out[n - 1] != '0' || out[n - 2] == '.', "format_double(%a) = \"%s\": trailing zero", v, out);
    }

    /* shortest digits, nearest to v: for a double that is not a power of two
     * (symmetric rounding interval) that is printf's correctly rounded
     * %.{d-1}e, and d-1 digits must not round-trip */
    uint64_t bits;
    memcpy(&bits, &v, 8);
    if ((bits & 0x000FFFFFFFFFFFFFull) != 0) {
        char dg[40], ref[40], t[64];
        size_t d = sig_digits(out, dg);
        FUZZ_CHECK(d >= 1 && d <= 17, "format_double(%a) = \"%s\": %zu digits", v, out, d);
        snprintf(t, sizeof t, "%.*e", (int)d - 1, v);
        sig_digits(t, ref);
        FUZZ_CHECK(strcmp(dg, ref) == 0, "format_double(%a) = \"%s\": digits are not the nearest (%s)", v, out, t);
        if (d > 1) {
            snprintf(t, sizeof t, "%.*e", (int)d - 2, v);
            FUZZ_CHECK(strtod(t, NULL) != v, "format_double(%a) = \"%s\": not the shortest (%s)", v, out, t);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_dump(data, size);
    fuzz_string(data, size);
    fuzz_double(data, size);
    return 0;
}
