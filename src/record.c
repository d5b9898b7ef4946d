/* record.c - see record.h. */
#include "llamafmt/record.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llamafmt/buf.h"
#include "unicode.h"
#include "arena.h"

/* ---- the parser ---------------------------------------------------------- */

struct lf_parser {
    const lf_record_opts *opts;
    cJSON *root;
    cJSON **extra;              /* trees parsed out of JSON strings (arguments, tools) */
    size_t n_extra, cap_extra;
    lf_arena mem;
    lf_message *msgs;
    size_t n, cap;
    lf_conversation conv;
    lf_path list_path;          /* where the message list is, for errors about it */
    lf_json_text *opt_tools;    /* the specs of --tools, computed once */
    size_t n_opt_tools;
    int opt_tools_ready;
    void (*on_error)(void *ctx, const lf_error *e);  /* lf_parser_collect */
    void *on_error_ctx;
};

void lf_parser_collect(lf_parser *p, void (*on_error)(void *ctx, const lf_error *e), void *ctx)
{
    p->on_error = on_error;
    p->on_error_ctx = ctx;
}

static void free_extra(lf_parser *p)
{
    for (size_t i = 0; i < p->n_extra; i++)
        cJSON_Delete(p->extra[i]);
    p->n_extra = 0;
}

lf_parser *lf_parser_new(const lf_record_opts *opts)
{
    lf_parser *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->opts = opts;
    return p;
}

void lf_parser_free(lf_parser *p)
{
    if (p == NULL)
        return;
    cJSON_Delete(p->root);
    free_extra(p);
    free(p->extra);
    free(p->opt_tools);
    lf_arena_free(&p->mem);
    free(p->msgs);
    free(p);
}

/* ---- names --------------------------------------------------------------- */

static const char *const role_names[LF_ROLE_COUNT] = {"system", "user", "assistant", "ipython"};
static const char *const shape_names[LF_SHAPE_COUNT] = {"auto", "messages", "sharegpt", "alpaca", "flat"};

const char *lf_role_name(lf_role role) { return role_names[role]; }
const char *lf_shape_name(lf_shape shape) { return shape_names[shape]; }

int lf_role_parse(const char *name, lf_role *role)
{
    for (int i = 0; i < LF_ROLE_COUNT; i++)
        if (strcmp(name, role_names[i]) == 0) {
            *role = (lf_role)i;
            return 0;
        }
    if (strcmp(name, "tool") == 0) {
        *role = LF_ROLE_IPYTHON;
        return 0;
    }
    return -1;
}

int lf_shape_parse(const char *name, lf_shape *shape)
{
    for (int i = 0; i < LF_SHAPE_COUNT; i++)
        if (strcmp(name, shape_names[i]) == 0) {
            *shape = (lf_shape)i;
            return 0;
        }
    return -1;
}

/* ShareGPT's role names (LLaMA-Factory, FastChat and friends). */
static const lf_role_alias sharegpt_roles[] = {
    {"human", LF_ROLE_USER},          {"user", LF_ROLE_USER},
    {"gpt", LF_ROLE_ASSISTANT},       {"assistant", LF_ROLE_ASSISTANT},
    {"model", LF_ROLE_ASSISTANT},     {"system", LF_ROLE_SYSTEM},
    {"tool", LF_ROLE_IPYTHON},        {"ipython", LF_ROLE_IPYTHON},
    {"observation", LF_ROLE_IPYTHON}, {"function_response", LF_ROLE_IPYTHON},
};

/* ---- special tokens ------------------------------------------------------ */

static int match_special_name(const char *s, size_t n)
{
    static const char *const names[] = {
        "begin_of_text", "end_of_text",   "finetune_right_pad_id", "start_header_id",
        "end_header_id", "eom_id",        "eot_id",                "python_tag",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && memcmp(s, names[i], n) == 0)
            return 1;
    static const char rs[] = "reserved_special_token_";
    size_t k = sizeof rs - 1;
    if (n <= k || n > k + 3 || memcmp(s, rs, k) != 0)
        return 0;
    int v = 0;
    for (size_t i = k; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    if (n > k + 1 && s[k] == '0')
        return 0;                           /* no leading zeros */
    return v <= 247;
}

long lf_find_special(const char *s, size_t n, size_t *tok_len)
{
    const char *p = s, *e = s + n;
    while ((p = memchr(p, '<', (size_t)(e - p))) != NULL) {
        if (e - p >= 4 && p[1] == '|') {
            const char *name = p + 2;
            const char *q = name;
            while (q < e && q - name < 40 && ((*q >= 'a' && *q <= 'z') || *q == '_' || (*q >= '0' && *q <= '9')))
                q++;
            if (e - q >= 2 && q[0] == '|' && q[1] == '>' && match_special_name(name, (size_t)(q - name))) {
                *tok_len = (size_t)(q + 2 - p);
                return (long)(p - s);
            }
        }
        p++;
    }
    return -1;
}

/* ---- raw text checks ----------------------------------------------------- */

#define ONES ((uint64_t)0x0101010101010101ULL)
#define HIGHS ((uint64_t)0x8080808080808080ULL)
static inline uint64_t has_zero(uint64_t v) { return (v - ONES) & ~v & HIGHS; }
static inline uint64_t has_less(uint64_t v, unsigned char c) { return (v - ONES * c) & ~v & HIGHS; }

static long hex4(const char *s, size_t avail)
{
    return avail < 4 ? -1 : lf_hex4(s);
}

/* Length of the valid UTF-8 sequence at s (n > 0 bytes left, s[0] >= 0x80), or 0. */
static inline size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c >= 0xC2 && c <= 0xDF)
        return (n >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0)
            return 0;                       /* overlong */
        if (c == 0xED && s[1] > 0x9F)
            return 0;                       /* UTF-16 surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90)
            return 0;
        if (c == 0xF4 && s[1] > 0x8F)
            return 0;
        return 4;
    }
    return 0;
}

int lf_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq(u + i, n - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

/* Length of a valid JSON number at s, or 0. */
static size_t number_len(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n)
        return 0;
    if (s[i] == '0')
        i++;
    else if (s[i] >= '1' && s[i] <= '9')
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return 0;
    if (i < n && s[i] == '.') {
        i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return 0;
    }
    if (i < n && (s[i] == '.' || s[i] == 'e' || s[i] == 'E' || (s[i] >= '0' && s[i] <= '9')))
        return 0;                           /* "01", "1.2.3" */
    return i;
}

/* Scan the string literal whose opening quote is at s[*pos]: escapes
 * (\u0000, malformed \u, lone surrogates refused), raw control characters,
 * UTF-8.  On success *pos is just past the closing quote. */
static lf_code scan_string(const char *s, size_t n, size_t *pos, size_t *at, lf_error *err)
{
    size_t i = *pos + 1;
    while (i < n) {
        while (n - i >= 8) {
            uint64_t v;
            memcpy(&v, s + i, 8);
            if ((v & HIGHS) | has_less(v, 0x20) | has_zero(v ^ (ONES * '"')) | has_zero(v ^ (ONES * '\\')))
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c == '"') {
            *pos = i + 1;
            return LF_OK;
        }
        if (c == '\\') {
            *at = i;
            if (i + 1 >= n)
                break;
            char e = s[i + 1];
            if (e == 'u') {
                long v = hex4(s + i + 2, n - i - 2);
                if (v < 0)
                    return lf_error_set(err, LF_E_ESCAPE, "malformed \\u escape (four hex digits required)");
                if (v == 0)
                    return lf_error_set(err, LF_E_ESCAPE, "\\u0000 (NUL) in a string is not accepted");
                if (v >= 0xDC00 && v <= 0xDFFF)
                    return lf_error_set(err, LF_E_ESCAPE, "lone low surrogate \\u%04lx", v);
                if (v >= 0xD800 && v <= 0xDBFF) {
                    long w = (n - i >= 12 && s[i + 6] == '\\' && s[i + 7] == 'u') ? hex4(s + i + 8, n - i - 8) : -1;
                    if (w < 0xDC00 || w > 0xDFFF)
                        return lf_error_set(err, LF_E_ESCAPE, "lone high surrogate \\u%04lx", v);
                    i += 6;
                }
                i += 6;
            } else if (e && strchr("\"\\/bfnrt", e)) {
                i += 2;
            } else {
                return lf_error_set(err, LF_E_JSON, "invalid escape '\\%c' in a string", e >= 0x20 && e < 0x7f ? e : '?');
            }
        } else if (c < 0x20) {
            *at = i;
            return lf_error_set(err, LF_E_JSON, "raw control character U+%04X in a string (it must be escaped)", c);
        } else if (c >= 0x80) {
            /* a run of non-ASCII text (Hangul, CJK, emoji) */
            do {
                size_t k = utf8_seq((const unsigned char *)s + i, n - i);
                if (k == 0) {
                    *at = i;
                    return lf_error_set(err, LF_E_UTF8, "invalid UTF-8 byte 0x%02x", (unsigned char)s[i]);
                }
                i += k;
            } while (i < n && (unsigned char)s[i] >= 0x80);
        } else {
            i++;
        }
    }
    *at = *pos;
    return lf_error_set(err, LF_E_JSON, "unterminated string");
}

/* The nesting cJSON accepts (CJSON_NESTING_LIMIT). */
#define MAX_DEPTH 1000

enum { EXPECT_VALUE, EXPECT_VALUE_OR_END, EXPECT_KEY, EXPECT_KEY_OR_END, EXPECT_COLON, EXPECT_COMMA_OR_END, DONE };

/* What cJSON does not check, and exact error positions: validate the whole
 * record as strict JSON (RFC 8259) before cJSON sees it.  Positions are those
 * Python's json module reports for the same mistakes.  Returns 0, or the error
 * code with *at set to the byte offset. */
static lf_code check_raw(const char *s, size_t n, size_t *at, lf_error *err)
{
    char stack[MAX_DEPTH];
    size_t depth = 0, i = 0;
    int state = EXPECT_VALUE;
    lf_code rc;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        return lf_error_set(err, LF_E_JSON, "a UTF-8 byte-order mark inside the input (allowed only at its start)");
    for (;;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
            i++;
        *at = i;
        if (i >= n) {
            if (state == DONE)
                return LF_OK;
            return lf_error_set(err, LF_E_JSON, "unexpected end of the record");
        }
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F)
            return lf_error_set(err, LF_E_JSON, "control character 0x%02x outside a string", c);
        if (c >= 0x80 && utf8_seq((const unsigned char *)s + i, n - i) == 0)
            return lf_error_set(err, LF_E_UTF8, "invalid UTF-8 byte 0x%02x", c);
        switch (state) {
        case DONE:
            return lf_error_set(err, LF_E_JSON, "unexpected data after the record");
        case EXPECT_COLON:
            if (c != ':')
                return lf_error_set(err, LF_E_JSON, "expected ':' after an object key");
            i++;
            state = EXPECT_VALUE;
            continue;
        case EXPECT_COMMA_OR_END: {
            char close = stack[depth - 1] == '{' ? '}' : ']';
            if (c == ',') {
                i++;
                state = stack[depth - 1] == '{' ? EXPECT_KEY : EXPECT_VALUE;
                continue;
            }
            if (c != (unsigned char)close)
                return lf_error_set(err, LF_E_JSON, "expected ',' or '%c'", close);
            i++;
            depth--;
            state = depth == 0 ? DONE : EXPECT_COMMA_OR_END;
            continue;
        }
        case EXPECT_KEY_OR_END:
        case EXPECT_KEY:
            if (c == '}' && state == EXPECT_KEY_OR_END) {
                i++;
                depth--;
                state = depth == 0 ? DONE : EXPECT_COMMA_OR_END;
                continue;
            }
            if (c != '"')
                return lf_error_set(err, LF_E_JSON, "expected an object key in double quotes");
            if ((rc = scan_string(s, n, &i, at, err)) != LF_OK)
                return rc;
            state = EXPECT_COLON;
            continue;
        case EXPECT_VALUE_OR_END:
            if (c == ']') {
                i++;
                depth--;
                state = depth == 0 ? DONE : EXPECT_COMMA_OR_END;
                continue;
            }
            break;
        default:
            break;
        }
        /* a value */
        if (c == '{' || c == '[') {
            if (depth == MAX_DEPTH)
                return lf_error_set(err, LF_E_JSON, "nested deeper than %d levels", MAX_DEPTH);
            stack[depth++] = (char)c;
            i++;
            state = c == '{' ? EXPECT_KEY_OR_END : EXPECT_VALUE_OR_END;
            continue;
        }
        if (c == '"') {
            if ((rc = scan_string(s, n, &i, at, err)) != LF_OK)
                return rc;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t k = number_len(s + i, n - i);
            if (k == 0)
                return lf_error_set(err, LF_E_JSON, "invalid number");
            i += k;
        } else if (n - i >= 4 && (memcmp(s + i, "true", 4) == 0 || memcmp(s + i, "null", 4) == 0)) {
            i += 4;
        } else if (n - i >= 5 && memcmp(s + i, "false", 5) == 0) {
            i += 5;
        } else {
            return lf_error_set(err, LF_E_JSON, "expected a value");
        }
        state = depth == 0 ? DONE : EXPECT_COMMA_OR_END;
    }
}

/* ---- locating a path in the raw text --------------------------------------- */

static size_t raw_ws(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

static size_t raw_skip(const char *s, size_t n, size_t i)
{
    if (i >= n)
        return n;
    if (s[i] == '"') {
        for (i++; i < n; i++) {
            if (s[i] == '\\')
                i++;
            else if (s[i] == '"')
                return i + 1;
        }
        return n;
    }
    if (s[i] == '{' || s[i] == '[') {
        size_t depth = 0;
        for (; i < n; i++) {
            char c = s[i];
            if (c == '"') {
                i = raw_skip(s, n, i) - 1;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return i + 1;
            }
        }
        return n;
    }
    while (i < n && !strchr(" \t\r\n,]}", s[i]))
        i++;
    return i;
}

/* Does the raw string literal at s[i] (a '"') decode to key? */
static int raw_key_equals(const char *s, size_t n, size_t i, const char *key)
{
    size_t k = 0, klen = strlen(key);
    for (i++; i < n && s[i] != '"'; i++) {
        unsigned char out[4];
        size_t m = 1;
        if (s[i] == '\\' && i + 1 < n) {
            char e = s[++i];
            if (e == 'u') {
                long v = hex4(s + i + 1, n - i - 1);
                if (v < 0)
                    return 0;
                i += 4;
                if (v >= 0xD800 && v <= 0xDBFF && i + 6 < n) {
                    long w = hex4(s + i + 3, n - i - 3);
                    v = 0x10000 + ((v - 0xD800) << 10) + (w - 0xDC00);
                    i += 6;
                }
                m = lf_utf8_put((char *)out, (unsigned long)v);
            } else {
                const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
                const char *f = strchr(from, e);
                out[0] = (unsigned char)(f ? to[f - from] : e);
            }
        } else {
            out[0] = (unsigned char)s[i];
        }
        if (k + m > klen || memcmp(key + k, out, m) != 0)
            return 0;
        k += m;
    }
    return k == klen;
}

/* Offset of the value at path in the raw record, or the offset of the
 * deepest value that could be followed. */
static size_t raw_locate(const char *s, size_t n, const lf_path *path)
{
    size_t at = raw_ws(s, n, 0);
    for (int d = 0; d < path->n; d++) {
        size_t i = at;
        if (i >= n)
            return at;
        if (path->step[d].key != NULL) {
            if (s[i] != '{')
                return at;
            i = raw_ws(s, n, i + 1);
            size_t found = SIZE_MAX;
            while (i < n && s[i] == '"') {
                int match = raw_key_equals(s, n, i, path->step[d].key);
                i = raw_ws(s, n, raw_skip(s, n, i));
                if (i >= n || s[i] != ':')
                    return at;
                i = raw_ws(s, n, i + 1);
                if (match) {
                    found = i;
                    break;
                }
                i = raw_ws(s, n, raw_skip(s, n, i));
                if (i < n && s[i] == ',')
                    i = raw_ws(s, n, i + 1);
            }
            if (found == SIZE_MAX)
                return at;
            at = found;
        } else {
            if (s[i] != '[')
                return at;
            i = raw_ws(s, n, i + 1);
            for (int64_t k = 0; k < path->step[d].index; k++) {
                i = raw_ws(s, n, raw_skip(s, n, i));
                if (i >= n || s[i] != ',')
                    return at;
                i = raw_ws(s, n, i + 1);
            }
            at = i;
        }
    }
    return at;
}

static void path_format(const lf_path *path, char *out, size_t size)
{
    size_t k = 0;
    out[0] = '\0';
    for (int d = 0; d < path->n && k < size; d++) {
        int w;
        if (path->step[d].key != NULL)
            w = snprintf(out + k, size - k, "%s%s", d ? "." : "", path->step[d].key);
        else
            w = snprintf(out + k, size - k, "[%lld]", (long long)path->step[d].index);
        if (w < 0)
            break;
        k += (size_t)w;
    }
}

void lf_record_locate(const lf_rawrec *rec, const lf_path *path, lf_error *err)
{
    uint64_t line = rec->line, col = rec->column;
    if (rec->data != NULL)
        lf_rawrec_position(rec, raw_locate(rec->data, rec->len, path), &line, &col);
    lf_error_at(err, rec->file, line, col);
    if (path->n > 0) {
        char buf[256];
        path_format(path, buf, sizeof buf);
        lf_error_prefix(err, buf);
    }
}

/* ---- path helpers ------------------------------------------------------------ */

static lf_path path0(void)
{
    lf_path p;
    memset(&p, 0, sizeof p);
    return p;
}

static lf_path path_key(lf_path p, const char *key)
{
    if (p.n < 6) {
        p.step[p.n].key = key;
        p.step[p.n].index = 0;
        p.n++;
    }
    return p;
}

static lf_path path_index(lf_path p, int64_t index)
{
    if (p.n < 6) {
        p.step[p.n].key = NULL;
        p.step[p.n].index = index;
        p.n++;
    }
    return p;
}

/* ---- JSON lookups --------------------------------------------------------------- */

typedef struct ctx {
    lf_parser *p;
    const lf_rawrec *rec;
    lf_error *err;
    lf_error first;             /* collecting: the first error, returned at the end */
} ctx;

/* A data error of one message.  Without a collector it ends the parse
 * (returned); with one (lf_parser_collect) it is reported and the parse
 * goes on with the next message, the first error being returned at the end
 * (collected()). */
static lf_code collect(ctx *c, lf_code rc)
{
    lf_parser *p = c->p;
    if (p->on_error == NULL || !lf_code_is_data(rc))
        return rc;
    p->on_error(p->on_error_ctx, c->err);
    if (c->first.code == LF_OK)
        c->first = *c->err;
    lf_error_clear(c->err);
    return LF_OK;
}

static lf_code collected(ctx *c)
{
    if (c->first.code == LF_OK)
        return LF_OK;
    *c->err = c->first;
    return c->first.code;
}

/* Fail with code at path; returns code. */
static lf_code fail_at(ctx *c, const lf_path *path, lf_code code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static lf_code fail_at(ctx *c, const lf_path *path, lf_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lf_error_setv(c->err, code, fmt, ap);
    va_end(ap);
    lf_record_locate(c->rec, path, c->err);
    return code;
}

static const char *type_name(const cJSON *v)
{
    if (v == NULL)
        return "missing";
    switch (v->type & 0xFF) {
    case cJSON_False:
    case cJSON_True:
        return "a boolean";
    case cJSON_NULL:
        return "null";
    case cJSON_Number:
        return "a number";
    case cJSON_String:
        return "a string";
    case cJSON_Array:
        return "an array";
    case cJSON_Object:
        return "an object";
    default:
        return "invalid";
    }
}

/* Case-sensitive member lookup that refuses duplicates. */
static lf_code get(ctx *c, const cJSON *obj, const lf_path *path, const char *key, const cJSON **out)
{
    const cJSON *found = NULL, *it;
    *out = NULL;
    cJSON_ArrayForEach(it, obj) {
        if (it->string != NULL && strcmp(it->string, key) == 0) {
            if (found != NULL)
                return fail_at(c, path, LF_E_DUP_KEY, "duplicate key \"%s\"", key);
            found = it;
        }
    }
    *out = found;
    return LF_OK;
}

/* A string value (NUL-free: the raw check refused \u0000). */
static lf_code want_string(ctx *c, const cJSON *v, const lf_path *path, const char **s, size_t *n)
{
    if (!cJSON_IsString(v))
        return fail_at(c, path, LF_E_TYPE, "expected a string, found %s", type_name(v));
    *s = v->valuestring;
    *n = strlen(v->valuestring);
    return LF_OK;
}

/* An optional string: missing or null gives *s = NULL. */
static lf_code opt_string(ctx *c, const cJSON *obj, const lf_path *base, const char *key, const char **s,
                          size_t *n)
{
    const cJSON *v;
    lf_path path = path_key(*base, key);
    lf_code rc = get(c, obj, base, key, &v);
    *s = NULL;
    *n = 0;
    if (rc != LF_OK || v == NULL || cJSON_IsNull(v))
        return rc;
    return want_string(c, v, &path, s, n);
}

static lf_code req_string(ctx *c, const cJSON *obj, const lf_path *base, const char *key, const char **s,
                          size_t *n)
{
    const cJSON *v;
    lf_path path = path_key(*base, key);
    lf_code rc = get(c, obj, base, key, &v);
    if (rc != LF_OK)
        return rc;
    if (v == NULL)
        return fail_at(c, base, LF_E_SHAPE, "missing key \"%s\"", key);
    return want_string(c, v, &path, s, n);
}

/* ---- building the conversation ---------------------------------------------------- */

static lf_code push(ctx *c, lf_role role, const char *text, size_t len, const lf_path *path)
{
    lf_parser *p = c->p;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        lf_message *m = realloc(p->msgs, cap * sizeof *m);
        if (m == NULL)
            return lf_error_set(c->err, LF_E_NOMEM, "out of memory");
        p->msgs = m;
        p->cap = cap;
    }
    lf_message *m = &p->msgs[p->n++];
    m->role = role;
    m->text = text;
    m->len = len;
    m->path = *path;
    m->call = NULL;
    m->json.p = NULL;
    m->json.n = 0;
    m->stripped = 0;
    return LF_OK;
}

static const char *arena_concat(lf_parser *p, const char *a, size_t an, const char *sep, size_t sn,
                                const char *b, size_t bn, size_t *out_len)
{
    char *d = lf_arena_alloc(&p->mem, an + sn + bn + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, a, an);
    memcpy(d + an, sep, sn);
    memcpy(d + an + sn, b, bn);
    d[an + sn + bn] = '\0';
    *out_len = an + sn + bn;
    return d;
}

/* Resolve a role name through --role-map, then the shape's own names. */
static lf_code resolve_role(ctx *c, const char *name, lf_shape shape, const lf_path *path, lf_role *role)
{
    const lf_record_opts *o = c->p->opts;
    for (size_t i = 0; i < o->n_aliases; i++)
        if (strcmp(o->aliases[i].from, name) == 0) {
            *role = o->aliases[i].to;
            return LF_OK;
        }
    if (shape == LF_SHAPE_SHAREGPT) {
        for (size_t i = 0; i < sizeof sharegpt_roles / sizeof sharegpt_roles[0]; i++)
            if (strcmp(sharegpt_roles[i].from, name) == 0) {
                *role = sharegpt_roles[i].to;
                return LF_OK;
            }
    } else if (lf_role_parse(name, role) == 0) {
        return LF_OK;
    }
    const char *hint = "user";
    for (size_t i = 0; i < sizeof sharegpt_roles / sizeof sharegpt_roles[0]; i++)
        if (strcmp(sharegpt_roles[i].from, name) == 0)
            hint = role_names[sharegpt_roles[i].to];
    if (strlen(name) > 100)
        return fail_at(c, path, LF_E_ROLE, "unknown role \"%.100s...\" (map it with --role-map NAME=ROLE)", name);
    return fail_at(c, path, LF_E_ROLE, "unknown role \"%s\" (add --role-map %s=%s)", name, name, hint);
}

/* The text of a message's content: a string, or a list of text parts. */
static lf_code content_text(ctx *c, const cJSON *v, const lf_path *path, const char **s, size_t *n)
{
    if (cJSON_IsString(v))
        return want_string(c, v, path, s, n);
    if (!cJSON_IsArray(v))
        return fail_at(c, path, LF_E_TYPE, "content must be a string or a list of text parts, found %s",
                       type_name(v));
    size_t total = 0, parts = 0;
    const cJSON *part;
    int64_t i = 0;
    cJSON_ArrayForEach(part, v) {
        lf_path pp = path_index(*path, i++);
        const cJSON *type, *text;
        if (!cJSON_IsObject(part))
            return fail_at(c, &pp, LF_E_TYPE, "content part must be an object, found %s", type_name(part));
        lf_code rc = get(c, part, &pp, "type", &type);
        if (rc == LF_OK)
            rc = get(c, part, &pp, "text", &text);
        if (rc != LF_OK)
            return rc;
        if (!cJSON_IsString(type) || strcmp(type->valuestring, "text") != 0) {
            lf_path tp = path_key(pp, "type");
            return fail_at(c, &tp, LF_E_TYPE, "only content parts of type \"text\" can be rendered, found %s%s%s",
                           cJSON_IsString(type) ? "\"" : "", cJSON_IsString(type) ? type->valuestring : type_name(type),
                           cJSON_IsString(type) ? "\"" : "");
        }
        if (!cJSON_IsString(text)) {
            lf_path tp = path_key(pp, "text");
            return fail_at(c, &tp, LF_E_TYPE, "expected a string, found %s", type_name(text));
        }
        total += strlen(text->valuestring);
        parts++;
    }
    char *d = lf_arena_alloc(&c->p->mem, total + parts + 1);
    if (d == NULL)
        return lf_error_set(c->err, LF_E_NOMEM, "out of memory");
    size_t k = 0;
    cJSON_ArrayForEach(part, v) {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");
        size_t m = strlen(text->valuestring);
        if (part != v->child)
            d[k++] = '\n';
        memcpy(d + k, text->valuestring, m);
        k += m;
    }
    d[k] = '\0';
    *s = d;
    *n = k;
    return LF_OK;
}

/* ---- tools ------------------------------------------------------------------ */

static lf_code nomem(ctx *c) { return lf_error_set(c->err, LF_E_NOMEM, "out of memory"); }

/* Parse JSON held in a string value (OpenAI's "arguments", a ShareGPT
 * "tools" string).  The tree lives until the next record. */
static lf_code parse_embedded(ctx *c, const char *s, const lf_path *path, const char *what, cJSON **out)
{
    lf_parser *p = c->p;
    size_t n = strlen(s), at = 0;
    lf_error tmp = LF_ERROR_INIT;
    lf_error_clear(&tmp);
    lf_code rc = check_raw(s, n, &at, &tmp);
    const char *end = NULL;
    cJSON *tree = NULL;
    if (rc == LF_OK) {
        tree = cJSON_ParseWithLengthOpts(s, n, &end, 0);
        if (tree == NULL)
            return lf_error_set(c->err, LF_E_NOMEM, "out of memory");
        if (raw_ws(s, n, (size_t)(end - s)) != n) {
            cJSON_Delete(tree);
            rc = LF_E_JSON;
            at = end ? (size_t)(end - s) : 0;
            snprintf(tmp.msg, sizeof tmp.msg, "invalid JSON");
        }
    }
    if (rc != LF_OK)
        return fail_at(c, path, rc, "%s is a string that does not hold valid JSON (%s at byte %zu)", what, tmp.msg, at);
    if (p->n_extra == p->cap_extra) {
        size_t cap = p->cap_extra ? p->cap_extra * 2 : 8;
        cJSON **e = realloc(p->extra, cap * sizeof *e);
        if (e == NULL) {
            cJSON_Delete(tree);
            return nomem(c);
        }
        p->extra = e;
        p->cap_extra = cap;
    }
    p->extra[p->n_extra++] = tree;
    *out = tree;
    return LF_OK;
}

/* The JSON text of the value at `path` inside `base`. */
static lf_json_text raw_value(const char *base, size_t n, const lf_path *path)
{
    size_t at = raw_locate(base, n, path);
    lf_json_text t = {base + at, raw_skip(base, n, at) - at};
    return t;
}

/* Spans of the elements of the JSON array text s (already validated). */
static size_t array_spans(const char *s, size_t n, lf_json_text *out)
{
    size_t i = raw_ws(s, n, 0), k = 0;
    if (i >= n || s[i] != '[')
        return 0;
    i = raw_ws(s, n, i + 1);
    while (i < n && s[i] != ']') {
        size_t e = raw_skip(s, n, i);
        if (out != NULL) {
            out[k].p = s + i;
            out[k].n = e - i;
        }
        k++;
        i = raw_ws(s, n, e);
        if (i < n && s[i] == ',')
            i = raw_ws(s, n, i + 1);
    }
    return k;
}

lf_code lf_tools_check(const char *text, size_t len, lf_error *err)
{
    size_t at = 0;
    lf_code rc = check_raw(text, len, &at, err);
    cJSON *tree = NULL;
    if (rc == LF_OK) {
        const char *end = NULL;
        tree = cJSON_ParseWithLengthOpts(text, len, &end, 0);
        if (tree == NULL || raw_ws(text, len, (size_t)(end - text)) != len) {
            at = end ? (size_t)(end - text) : 0;
            rc = lf_error_set(err, LF_E_JSON, "cJSON cannot parse it");
        } else if (!cJSON_IsArray(tree)) {
            rc = lf_error_set(err, LF_E_TYPE, "expected an array of tool specifications");
        } else {
            const cJSON *t;
            cJSON_ArrayForEach(t, tree) {
                if (!cJSON_IsObject(t)) {
                    rc = lf_error_set(err, LF_E_TYPE, "every tool specification must be an object");
                    break;
                }
            }
        }
    }
    cJSON_Delete(tree);
    if (rc != LF_OK) {
        lf_rawrec whole = {text, len, err->file, 1, 1};
        lf_rawrec_position(&whole, at, &err->line, &err->column);
    }
    return rc;
}

/* One tool call: {"function": {"name", "arguments"}} (OpenAI), or
 * {"name", "arguments"} when `bare` (ShareGPT's function_call value).
 * `base`/`fpath` locate the function object's raw text; `epath` names it
 * in errors. */
static lf_code tool_call(ctx *c, const cJSON *node, int bare, const char *base, size_t base_len, lf_path fpath,
                         lf_path epath, lf_tool_call **out)
{
    lf_code rc;
    const cJSON *fn = node;
    if (!cJSON_IsObject(node))
        return fail_at(c, &epath, LF_E_TYPE, "a tool call must be an object, found %s", type_name(node));
    if (!bare) {
        if ((rc = get(c, node, &epath, "function", &fn)) != LF_OK)
            return rc;
        if (!cJSON_IsObject(fn))
            return fail_at(c, &epath, LF_E_TYPE, "a tool call needs a \"function\" object with \"name\" and \"arguments\"");
        fpath = path_key(fpath, "function");
        epath = path_key(epath, "function");
    }
    const cJSON *name, *args;
    if ((rc = get(c, fn, &epath, "name", &name)) != LF_OK || (rc = get(c, fn, &epath, "arguments", &args)) != LF_OK)
        return rc;
    lf_path np = path_key(epath, "name"), ap = path_key(epath, "arguments");
    if (!cJSON_IsString(name))
        return fail_at(c, name ? &np : &epath, LF_E_TYPE, "the tool call's name must be a string, found %s", type_name(name));
    lf_tool_call *call = (lf_tool_call *)lf_arena_alloc(&c->p->mem, sizeof *call);
    if (call == NULL)
        return nomem(c);
    call->name = name->valuestring;
    if (cJSON_IsString(args)) {
        /* OpenAI writes the arguments as a JSON string: read it, or the
         * template would encode it twice */
        const char *text = args->valuestring;
        cJSON *tree;
        if ((rc = parse_embedded(c, text, &ap, "arguments", &tree)) != LF_OK)
            return rc;
        lf_path none = path0();
        call->args = raw_value(text, strlen(text), &none);
        args = tree;
    } else if (cJSON_IsObject(args)) {
        lf_path rp = path_key(fpath, "arguments");
        call->args = raw_value(base, base_len, &rp);
    }
    if (!cJSON_IsObject(args))
        return fail_at(c, args ? &ap : &epath, LF_E_TYPE,
                       "the tool call's arguments must be an object or a JSON string holding one, found %s",
                       type_name(args));
    size_t k = 0, all_strings = 1;
    const cJSON *it;
    cJSON_ArrayForEach(it, args) k++;
    const char **names = (const char **)lf_arena_alloc(&c->p->mem, (k + 1) * sizeof *names);
    const char **strs = (const char **)lf_arena_alloc(&c->p->mem, (k + 1) * sizeof *strs);
    if (names == NULL || strs == NULL)
        return nomem(c);
    k = 0;
    cJSON_ArrayForEach(it, args) {
        /* a repeated key keeps its first place and takes the last value, as
         * json.loads builds the dict the template iterates */
        size_t j = 0;
        while (j < k && strcmp(names[j], it->string) != 0)
            j++;
        names[j] = it->string;
        strs[j] = cJSON_IsString(it) ? it->valuestring : NULL;
        if (j == k)
            k++;
    }
    for (size_t j = 0; j < k; j++)
        all_strings &= strs[j] != NULL;
    call->arg_names = names;
    call->arg_strings = all_strings ? strs : NULL;
    call->n_args = k;
    *out = call;
    return LF_OK;
}

/* The record's optional top-level "system" string (ShareGPT, Alpaca and
 * the flat shape have one), pushed as the first message. */
static lf_code record_system(ctx *c, const cJSON *root)
{
    lf_path base = path0();
    const char *sys = NULL;
    size_t n = 0;
    lf_code rc = opt_string(c, root, &base, "system", &sys, &n);
    if (rc != LF_OK || sys == NULL)
        return rc;
    lf_path sp = path_key(base, "system");
    return push(c, LF_ROLE_SYSTEM, sys, n, &sp);
}

/* messages / sharegpt: a list of {role, content} objects. */
/* One message of a message list. */
static lf_code parse_message(ctx *c, const cJSON *msg, lf_path mp, lf_shape shape, const char *rk, const char *ck)
{
    lf_code rc;
    if (!cJSON_IsObject(msg))
        return fail_at(c, &mp, LF_E_TYPE, "a message must be an object, found %s", type_name(msg));
    const cJSON *rv, *cv, *tc;
    if ((rc = get(c, msg, &mp, rk, &rv)) != LF_OK || (rc = get(c, msg, &mp, ck, &cv)) != LF_OK ||
        (rc = get(c, msg, &mp, "tool_calls", &tc)) != LF_OK)
        return rc;
    lf_path rp = path_key(mp, rk), cp = path_key(mp, ck);
    if (rv == NULL)
        return fail_at(c, &mp, LF_E_SHAPE, "missing key \"%s\"", rk);
    if (!cJSON_IsString(rv))
        return fail_at(c, &rp, LF_E_TYPE, "expected a string, found %s", type_name(rv));
    lf_tool_call *call = NULL;
    lf_role role;
    if (shape == LF_SHAPE_SHAREGPT && strcmp(rv->valuestring, "function_call") == 0) {
        /* ShareGPT: the value is a JSON string {"name", "arguments"} */
        cJSON *tree;
        if (!cJSON_IsString(cv))
            return fail_at(c, cv ? &cp : &mp, LF_E_TYPE, "a function_call value must be a JSON string, found %s",
                           type_name(cv));
        if ((rc = parse_embedded(c, cv->valuestring, &cp, "the function_call value", &tree)) != LF_OK ||
            (rc = tool_call(c, tree, 1, cv->valuestring, strlen(cv->valuestring), path0(), cp, &call)) != LF_OK)
            return rc;
        if ((rc = push(c, LF_ROLE_ASSISTANT, "", 0, &mp)) != LF_OK)
            return rc;
        c->p->msgs[c->p->n - 1].call = call;
        return LF_OK;
    }
    if ((rc = resolve_role(c, rv->valuestring, shape, &rp, &role)) != LF_OK)
        return rc;
    lf_path tp = path_key(mp, "tool_calls");
    int no_calls = tc != NULL && (cJSON_IsNull(tc) || (cJSON_IsArray(tc) && tc->child == NULL));
    if (tc != NULL && !(no_calls && c->p->opts->lenient_tool_calls)) {
        if (role != LF_ROLE_ASSISTANT)
            return fail_at(c, &tp, LF_E_TOOL, "only assistant messages can carry tool_calls");
        if (no_calls)
            return fail_at(c, &tp, LF_E_TOOL, "tool_calls is %s (use --lenient-tool-calls to read it as no call)",
                           cJSON_IsNull(tc) ? "null" : "empty");
        if (!cJSON_IsArray(tc))
            return fail_at(c, &tp, LF_E_TYPE, "tool_calls must be an array, found %s", type_name(tc));
        if (tc->child->next != NULL)
            return fail_at(c, &tp, LF_E_TOOL, "more than one tool call in one message (Llama 3.1 makes one call at a time)");
        lf_path fp = path_index(tp, 0);
        if ((rc = tool_call(c, tc->child, 0, c->rec->data, c->rec->len, fp, fp, &call)) != LF_OK)
            return rc;
        /* the official template ignores the content of a call; Meta's
         * format writes it before the call */
        const char *text = "";
        size_t n = 0;
        if (cv != NULL && !cJSON_IsNull(cv) && (rc = content_text(c, cv, &cp, &text, &n)) != LF_OK)
            return rc;
        if ((rc = push(c, role, text, n, &mp)) != LF_OK)
            return rc;
        c->p->msgs[c->p->n - 1].call = call;
        return LF_OK;
    }
    if (cv == NULL || (cJSON_IsNull(cv) && role != LF_ROLE_IPYTHON))
        return fail_at(c, cv ? &cp : &mp, LF_E_TYPE, "%s content (only an assistant message with tool_calls may omit it)",
                       cv ? "null" : "missing");
    if (role == LF_ROLE_IPYTHON && !cJSON_IsString(cv)) {
        /* a structured tool result: rendered from its JSON text */
        if ((rc = push(c, role, "", 0, &mp)) != LF_OK)
            return rc;
        c->p->msgs[c->p->n - 1].json = raw_value(c->rec->data, c->rec->len, &cp);
        return LF_OK;
    }
    const char *text = NULL;
    size_t n = 0;
    if ((rc = content_text(c, cv, &cp, &text, &n)) != LF_OK)
        return rc;
    return push(c, role, text, n, &mp);
}

static lf_code parse_list(ctx *c, const cJSON *root, lf_shape shape, const char *list_key,
                          const char *role_key, const char *content_key)
{
    const cJSON *list;
    lf_path base = path0();
    lf_path lp = path_key(base, list_key);
    c->p->list_path = lp;
    lf_code rc = get(c, root, &base, list_key, &list);
    if (rc != LF_OK)
        return rc;
    if (list == NULL)
        return fail_at(c, &base, LF_E_SHAPE, "missing key \"%s\"", list_key);
    if (!cJSON_IsArray(list))
        return fail_at(c, &lp, LF_E_TYPE, "expected an array of messages, found %s", type_name(list));
    if (shape == LF_SHAPE_SHAREGPT && (rc = record_system(c, root)) != LF_OK)
        return rc;
    const cJSON *msg;
    int64_t i = 0;
    cJSON_ArrayForEach(msg, list) {
        rc = parse_message(c, msg, path_index(lp, i++), shape, role_key, content_key);
        if (rc != LF_OK && (rc = collect(c, rc)) != LF_OK)
            return rc;
    }
    return collected(c);
}

static lf_code parse_alpaca(ctx *c, const cJSON *root)
{
    lf_path base = path0();
    const char *ins = NULL, *inp = NULL, *out = NULL;
    size_t ni = 0, np = 0, no = 0;
    lf_code rc;
    if ((rc = req_string(c, root, &base, "instruction", &ins, &ni)) != LF_OK ||
        (rc = opt_string(c, root, &base, "input", &inp, &np)) != LF_OK ||
        (rc = req_string(c, root, &base, "output", &out, &no)) != LF_OK ||
        (rc = record_system(c, root)) != LF_OK)
        return rc;
    const cJSON *hist;
    if ((rc = get(c, root, &base, "history", &hist)) != LF_OK)
        return rc;
    lf_path hp = path_key(base, "history");
    if (hist != NULL && !cJSON_IsNull(hist)) {
        if (!cJSON_IsArray(hist))
            return fail_at(c, &hp, LF_E_TYPE, "expected an array of [instruction, response] pairs, found %s",
                           type_name(hist));
        const cJSON *pair;
        int64_t i = 0;
        cJSON_ArrayForEach(pair, hist) {
            lf_path pp = path_index(hp, i++);
            const cJSON *q = pair ? pair->child : NULL, *a = q ? q->next : NULL;
            if (!cJSON_IsArray(pair) || q == NULL || a == NULL || a->next != NULL)
                return fail_at(c, &pp, LF_E_TYPE, "a history entry must be a [instruction, response] pair");
            lf_path qp = path_index(pp, 0), ap = path_index(pp, 1);
            const char *qs = NULL, *as = NULL;
            size_t qn = 0, an = 0;
            if ((rc = want_string(c, q, &qp, &qs, &qn)) != LF_OK || (rc = want_string(c, a, &ap, &as, &an)) != LF_OK)
                return rc;
            if ((rc = push(c, LF_ROLE_USER, qs, qn, &qp)) != LF_OK || (rc = push(c, LF_ROLE_ASSISTANT, as, an, &ap)) != LF_OK)
                return rc;
        }
    }
    const char *user = ins;
    size_t un = ni;
    if (inp != NULL && np > 0) {
        if (ni == 0) {
            user = inp;
            un = np;
        } else {
            const char *j = c->p->opts->alpaca_joiner ? c->p->opts->alpaca_joiner : "\n\n";
            user = arena_concat(c->p, ins, ni, j, strlen(j), inp, np, &un);
            if (user == NULL)
                return lf_error_set(c->err, LF_E_NOMEM, "out of memory");
        }
    }
    lf_path ip = path_key(base, "instruction"), op = path_key(base, "output");
    if ((rc = push(c, LF_ROLE_USER, user, un, &ip)) != LF_OK)
        return rc;
    return push(c, LF_ROLE_ASSISTANT, out, no, &op);
}

static lf_code parse_flat(ctx *c, const cJSON *root)
{
    lf_path base = path0();
    const char *user = NULL, *asst = NULL;
    size_t nu = 0, na = 0;
    lf_code rc;
    if ((rc = record_system(c, root)) != LF_OK || (rc = req_string(c, root, &base, "user", &user, &nu)) != LF_OK ||
        (rc = req_string(c, root, &base, "assistant", &asst, &na)) != LF_OK)
        return rc;
    lf_path up = path_key(base, "user"), ap = path_key(base, "assistant");
    if ((rc = push(c, LF_ROLE_USER, user, nu, &up)) != LF_OK)
        return rc;
    return push(c, LF_ROLE_ASSISTANT, asst, na, &ap);
}

static int has_key(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key) != NULL;
}

static lf_code detect_shape(ctx *c, const cJSON *root, lf_shape *shape)
{
    const lf_record_opts *o = c->p->opts;
    if (o->shape != LF_SHAPE_AUTO) {
        *shape = o->shape;
        return LF_OK;
    }
    if (o->messages_key != NULL && has_key(root, o->messages_key)) {
        /* A renamed list: ShareGPT-like when its messages say "from". */
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, o->messages_key);
        const cJSON *first = cJSON_IsArray(list) ? list->child : NULL;
        *shape = LF_SHAPE_MESSAGES;
        if (o->role_key == NULL && cJSON_IsObject(first) && !has_key(first, "role") && has_key(first, "from"))
            *shape = LF_SHAPE_SHAREGPT;
        return LF_OK;
    }
    if (has_key(root, "messages"))
        *shape = LF_SHAPE_MESSAGES;
    else if (has_key(root, "conversations"))
        *shape = LF_SHAPE_SHAREGPT;
    else if (has_key(root, "instruction"))
        *shape = LF_SHAPE_ALPACA;
    else if (has_key(root, "user") || has_key(root, "assistant"))
        *shape = LF_SHAPE_FLAT;
    else {
        lf_path base = path0();
        return fail_at(c, &base, LF_E_SHAPE,
                       "unknown record shape: no \"messages\", \"conversations\", \"instruction\" or "
                       "\"user\"/\"assistant\" key (see -f and --messages-key)");
    }
    return LF_OK;
}

/* Record-level keys: the oracle's render options and the tools. */
static lf_code record_options(ctx *c, const cJSON *root)
{
    lf_parser *p = c->p;
    const lf_record_opts *o = p->opts;
    lf_conversation *cv = &p->conv;
    lf_path base = path0();
    const cJSON *v;
    lf_code rc;
    cv->date = NULL;
    cv->date_len = 0;
    cv->gen_prompt = -1;
    if ((rc = opt_string(c, root, &base, "date_string", &cv->date, &cv->date_len)) != LF_OK)
        return rc;
    if ((rc = get(c, root, &base, "add_generation_prompt", &v)) != LF_OK)
        return rc;
    if (v != NULL && !cJSON_IsNull(v)) {
        lf_path vp = path_key(base, "add_generation_prompt");
        if (!cJSON_IsBool(v))
            return fail_at(c, &vp, LF_E_TYPE, "expected a boolean, found %s", type_name(v));
        cv->gen_prompt = cJSON_IsTrue(v);
    }

    /* tools: "custom_tools" replaces "tools" when present, as in the template */
    cv->has_tools = 0;
    cv->tools = NULL;
    cv->n_tools = 0;
    const cJSON *custom;
    if ((rc = get(c, root, &base, "custom_tools", &custom)) != LF_OK || (rc = get(c, root, &base, "tools", &v)) != LF_OK)
        return rc;
    const char *tkey = custom != NULL ? "custom_tools" : "tools";
    if (custom != NULL)
        v = custom;
    lf_path tp = path_key(base, tkey);
    const char *ttext = c->rec->data;
    size_t tlen = c->rec->len;
    lf_path tspan = tp;
    if (cJSON_IsString(v)) {
        /* ShareGPT datasets (LLaMA-Factory) keep the tools as a JSON string */
        cJSON *tree;
        ttext = v->valuestring;
        tlen = strlen(ttext);
        if ((rc = parse_embedded(c, ttext, &tp, tkey, &tree)) != LF_OK)
            return rc;
        v = tree;
        tspan = path0();
    }
    if (v != NULL && !cJSON_IsNull(v)) {
        if (!cJSON_IsArray(v))
            return fail_at(c, &tp, LF_E_TYPE, "expected an array of tool specifications, found %s", type_name(v));
        const cJSON *t;
        int64_t k = 0;
        cJSON_ArrayForEach(t, v) {
            if (!cJSON_IsObject(t)) {
                lf_path ep = path_index(tp, k);
                return fail_at(c, &ep, LF_E_TYPE, "a tool specification must be an object, found %s", type_name(t));
            }
            k++;
        }
        /* [] means "no tools" (the template would print an empty preamble) */
        if (k > 0) {
            lf_json_text span = raw_value(ttext, tlen, &tspan);
            lf_json_text *specs = (lf_json_text *)lf_arena_alloc(&p->mem, (size_t)k * sizeof *specs);
            if (specs == NULL)
                return nomem(c);
            cv->n_tools = array_spans(span.p, span.n, specs);
            cv->tools = specs;
            cv->has_tools = 1;
        }
    } else if (v == NULL && o->tools_json != NULL) {
        if (!p->opt_tools_ready) {
            size_t k = array_spans(o->tools_json, o->tools_json_len, NULL);
            p->opt_tools = calloc(k ? k : 1, sizeof *p->opt_tools);
            if (p->opt_tools == NULL)
                return nomem(c);
            p->n_opt_tools = array_spans(o->tools_json, o->tools_json_len, p->opt_tools);
            p->opt_tools_ready = 1;
        }
        cv->tools = p->opt_tools;
        cv->n_tools = p->n_opt_tools;
        cv->has_tools = p->n_opt_tools > 0;
    }

    /* builtin_tools: defined (even empty) switches on ipython mode */
    cv->has_builtin = 0;
    cv->builtin = NULL;
    cv->n_builtin = 0;
    if ((rc = get(c, root, &base, "builtin_tools", &v)) != LF_OK)
        return rc;
    if (v != NULL && !cJSON_IsNull(v)) {
        lf_path bp = path_key(base, "builtin_tools");
        if (!cJSON_IsArray(v))
            return fail_at(c, &bp, LF_E_TYPE, "expected an array of built-in tool names, found %s", type_name(v));
        size_t k = 0;
        const cJSON *t;
        cJSON_ArrayForEach(t, v) k++;
        const char **names = (const char **)lf_arena_alloc(&p->mem, (k + 1) * sizeof *names);
        if (names == NULL)
            return nomem(c);
        k = 0;
        cJSON_ArrayForEach(t, v) {
            lf_path ep = path_index(bp, (int64_t)k);
            if (!cJSON_IsString(t))
                return fail_at(c, &ep, LF_E_TYPE, "a built-in tool name must be a string, found %s", type_name(t));
            names[k++] = t->valuestring;
        }
        cv->builtin = names;
        cv->n_builtin = k;
        cv->has_builtin = 1;
    } else if (v == NULL && o->builtin_tools_set) {
        cv->builtin = o->builtin_tools;
        cv->n_builtin = o->n_builtin_tools;
        cv->has_builtin = 1;
    }

    cv->tools_in_user = o->tools_in_user >= 0 ? o->tools_in_user : 1;
    if ((rc = get(c, root, &base, "tools_in_user_message", &v)) != LF_OK)
        return rc;
    if (v != NULL && !cJSON_IsNull(v)) {
        lf_path vp = path_key(base, "tools_in_user_message");
        if (!cJSON_IsBool(v))
            return fail_at(c, &vp, LF_E_TYPE, "expected a boolean, found %s", type_name(v));
        cv->tools_in_user = cJSON_IsTrue(v);
    }
    return LF_OK;
}

/* Special-token text in every content, per --special-tokens. */
static lf_code check_special(ctx *c)
{
    lf_parser *p = c->p;
    lf_special_policy pol = p->opts->special;
    if (pol == LF_SPECIAL_ALLOW)
        return LF_OK;
    for (size_t i = 0; i < p->n; i++) {
        lf_message *m = &p->msgs[i];
        size_t tl;
        long at = lf_find_special(m->text, m->len, &tl);
        if (at < 0)
            continue;
        if (pol == LF_SPECIAL_ERROR) {
            lf_path path = m->path;
            lf_code rc = collect(c, fail_at(c, &path, LF_E_SPECIAL,
                                            "content contains the special token text \"%.*s\" (use "
                                            "--special-tokens=strip or allow)",
                                            (int)tl, m->text + at));
            if (rc != LF_OK)
                return rc;
            continue;
        }
        /* strip until none is left: removing one can join the halves of another */
        while (at >= 0) {
            char *d = lf_arena_alloc(&p->mem, m->len + 1);
            if (d == NULL)
                return lf_error_set(c->err, LF_E_NOMEM, "out of memory");
            size_t k = 0, from = 0;
            while (at >= 0) {
                size_t a = from + (size_t)at;
                memcpy(d + k, m->text + from, a - from);
                k += a - from;
                from = a + tl;
                at = lf_find_special(m->text + from, m->len - from, &tl);
            }
            memcpy(d + k, m->text + from, m->len - from);
            k += m->len - from;
            d[k] = '\0';
            m->text = d;
            m->len = k;
            m->stripped = 1;
            at = lf_find_special(m->text, m->len, &tl);
        }
    }
    if (collected(c) != LF_OK)
        return c->err->code;
    /* JSON of tools and calls cannot be stripped without changing its meaning */
    for (size_t i = 0; i < p->n; i++) {
        const lf_message *m = &p->msgs[i];
        size_t tl;
        int hit = (m->json.n && lf_find_special(m->json.p, m->json.n, &tl) >= 0) ||
                  (m->call && (lf_find_special(m->call->name, strlen(m->call->name), &tl) >= 0 ||
                               lf_find_special(m->call->args.p, m->call->args.n, &tl) >= 0));
        if (hit) {
            lf_path path = m->path;
            return fail_at(c, &path, LF_E_SPECIAL, "a tool call or tool result contains special-token text");
        }
    }
    for (size_t i = 0; i < p->conv.n_builtin; i++) {
        size_t tl;
        if (lf_find_special(p->conv.builtin[i], strlen(p->conv.builtin[i]), &tl) >= 0) {
            lf_path bp = path_index(path_key(path0(), "builtin_tools"), (int64_t)i);
            return fail_at(c, &bp, LF_E_SPECIAL, "a built-in tool name contains special-token text");
        }
    }
    for (size_t i = 0; i < p->conv.n_tools; i++) {
        size_t tl;
        if (lf_find_special(p->conv.tools[i].p, p->conv.tools[i].n, &tl) >= 0) {
            lf_path tp = path_index(path_key(path0(), "tools"), (int64_t)i);
            return fail_at(c, &tp, LF_E_SPECIAL, "a tool specification contains special-token text");
        }
    }
    if (p->conv.date != NULL && lf_find_special(p->conv.date, p->conv.date_len, &(size_t){0}) >= 0) {
        lf_path dp = path_key(path0(), "date_string");
        return fail_at(c, &dp, LF_E_SPECIAL, "date_string contains special token text");
    }
    return LF_OK;
}

/* System first, at most once; --system inserted where there is none. */
static lf_code check_structure(ctx *c)
{
    lf_parser *p = c->p;
    for (size_t i = 1; i < p->n; i++)
        if (p->msgs[i].role == LF_ROLE_SYSTEM) {
            lf_path path = p->msgs[i].path;
            lf_code rc = collect(c, fail_at(c, &path, LF_E_ORDER, "a system message is only allowed as the first message"));
            if (rc != LF_OK)
                return rc;
        }
    if (collected(c) != LF_OK)
        return c->err->code;
    const char *ds = p->opts->default_system;
    if (ds != NULL && (p->n == 0 || p->msgs[0].role != LF_ROLE_SYSTEM)) {
        lf_path none = path0();
        lf_code rc = push(c, LF_ROLE_SYSTEM, ds, strlen(ds), &none);
        if (rc != LF_OK)
            return rc;
        memmove(p->msgs + 1, p->msgs, (p->n - 1) * sizeof *p->msgs);
        p->msgs[0].role = LF_ROLE_SYSTEM;
        p->msgs[0].text = ds;
        p->msgs[0].len = strlen(ds);
        p->msgs[0].path = none;
        p->msgs[0].call = NULL;
        p->msgs[0].json.p = NULL;
        p->msgs[0].json.n = 0;
        p->msgs[0].stripped = 0;
    }
    size_t turns = p->n - (p->n > 0 && p->msgs[0].role == LF_ROLE_SYSTEM);
    if (turns == 0) {
        lf_path path = p->list_path;
        return fail_at(c, &path, LF_E_EMPTY, "the conversation has no messages besides a system prompt");
    }
    if (p->conv.has_tools && p->conv.tools_in_user) {
        /* the template puts the tool definitions into the first message after
         * the system prompt, whatever its role: insist that it is a user's */
        const lf_message *first = &p->msgs[p->n - turns];
        if (first->role != LF_ROLE_USER || first->call != NULL) {
            lf_path path = first->path;
            return fail_at(c, &path, LF_E_TOOL,
                           "the tool definitions go into the first user message, but the first message after the "
                           "system prompt is not a user message (or use --tools-in=system)");
        }
    }
    return LF_OK;
}

lf_code lf_record_parse(lf_parser *p, const lf_rawrec *rec, const lf_conversation **conv, lf_error *err)
{
    ctx c = {p, rec, err, LF_ERROR_INIT};
    cJSON_Delete(p->root);
    p->root = NULL;
    lf_arena_reset(&p->mem);
    free_extra(p);
    p->n = 0;
    memset(&p->list_path, 0, sizeof p->list_path);
    *conv = NULL;

    size_t at = 0;
    lf_code rc = check_raw(rec->data, rec->len, &at, err);
    if (rc == LF_OK) {
        const char *end = NULL;
        p->root = cJSON_ParseWithLengthOpts(rec->data, rec->len, &end, 0);
        if (p->root == NULL) {
            /* the text is valid JSON within cJSON's nesting limit: only
             * memory can have failed */
            return lf_error_set(err, LF_E_NOMEM, "out of memory");
        } else {
            at = raw_ws(rec->data, rec->len, (size_t)(end - rec->data));
            if (at < rec->len)
                rc = lf_error_set(err, LF_E_JSON, "unexpected data after the record");
        }
    }
    if (rc != LF_OK) {
        uint64_t line, col;
        if (rc == LF_E_JSON)
            lf_error_prefix(err, "invalid JSON");
        lf_rawrec_position(rec, at, &line, &col);
        lf_error_at(err, rec->file, line, col);
        return rc;
    }
    if (!cJSON_IsObject(p->root)) {
        lf_path base = path0();
        return fail_at(&c, &base, LF_E_TYPE, "a record must be a JSON object, found %s", type_name(p->root));
    }
    lf_shape shape = LF_SHAPE_MESSAGES;
    if ((rc = detect_shape(&c, p->root, &shape)) != LF_OK || (rc = record_options(&c, p->root)) != LF_OK)
        return rc;
    const lf_record_opts *o = p->opts;
    switch (shape) {
    case LF_SHAPE_MESSAGES:
        rc = parse_list(&c, p->root, shape, o->messages_key ? o->messages_key : "messages",
                        o->role_key ? o->role_key : "role", o->content_key ? o->content_key : "content");
        break;
    case LF_SHAPE_SHAREGPT:
        rc = parse_list(&c, p->root, shape, o->messages_key ? o->messages_key : "conversations",
                        o->role_key ? o->role_key : "from", o->content_key ? o->content_key : "value");
        break;
    case LF_SHAPE_ALPACA:
        rc = parse_alpaca(&c, p->root);
        break;
    case LF_SHAPE_FLAT:
    default:
        rc = parse_flat(&c, p->root);
        break;
    }
    /* collecting, the messages that were read are checked too */
    if (rc == LF_OK || c.first.code != LF_OK)
        rc = check_structure(&c);
    if (rc == LF_OK || c.first.code != LF_OK)
        rc = check_special(&c);
    if (rc != LF_OK)
        return rc;
    p->conv.msgs = p->msgs;
    p->conv.n = p->n;
    p->conv.shape = shape;
    *conv = &p->conv;
    return LF_OK;
}

static int key_in(const char *key, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (keys[i] != NULL && strcmp(key, keys[i]) == 0)
            return 1;
    return 0;
}

size_t lf_record_unused_keys(const lf_parser *p, const lf_conversation *conv, const char *const *also, size_t n_also,
                             lf_path *out, size_t cap)
{
    static const char *const common[] = {"date_string", "add_generation_prompt", "custom_tools", "tools",
                                         "builtin_tools", "tools_in_user_message"};
    const lf_record_opts *o = p->opts;
    const char *top[5] = {NULL, NULL, NULL, NULL, NULL}, *msg[4] = {NULL, NULL, "tool_calls", "tool_call_id"};
    int list = 0;
    switch (conv->shape) {
    case LF_SHAPE_SHAREGPT:
        top[0] = o->messages_key ? o->messages_key : "conversations";
        top[1] = "system";
        msg[0] = o->role_key ? o->role_key : "from";
        msg[1] = o->content_key ? o->content_key : "value";
        list = 1;
        break;
    case LF_SHAPE_ALPACA:
        top[0] = "instruction", top[1] = "input", top[2] = "output", top[3] = "history", top[4] = "system";
        break;
    case LF_SHAPE_FLAT:
        top[0] = "system", top[1] = "user", top[2] = "assistant";
        break;
    default:
        top[0] = o->messages_key ? o->messages_key : "messages";
        msg[0] = o->role_key ? o->role_key : "role";
        msg[1] = o->content_key ? o->content_key : "content";
        list = 1;
        break;
    }
    size_t k = 0;
    const cJSON *it;
    lf_path base = path0();
    cJSON_ArrayForEach(it, p->root) {
        if (it->string == NULL)
            continue;
        if (!key_in(it->string, top, 5) && !key_in(it->string, common, sizeof common / sizeof common[0]) &&
            !key_in(it->string, also, n_also)) {
            if (k < cap)
                out[k] = path_key(base, it->string);
            k++;
        }
    }
    if (!list)
        return k;
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(p->root, top[0]), *m;
    int64_t i = 0;
    cJSON_ArrayForEach(m, msgs) {
        lf_path mp = path_index(path_key(base, top[0]), i++);
        cJSON_ArrayForEach(it, m) {
            if (it->string != NULL && !key_in(it->string, msg, 4)) {
                if (k < cap)
                    out[k] = path_key(mp, it->string);
                k++;
            }
        }
    }
    return k;
}

void lf_parser_release(lf_parser *p)
{
    cJSON_Delete(p->root);
    p->root = NULL;
    free_extra(p);
    lf_arena_reset(&p->mem);
    p->n = 0;
}

lf_code lf_record_raw_value(lf_parser *p, const lf_rawrec *rec, const char *key, const char **text, size_t *len,
                            lf_error *err)
{
    ctx c = {p, rec, err, LF_ERROR_INIT};
    lf_path base = path0();
    const cJSON *v;
    lf_code rc = get(&c, p->root, &base, key, &v);
    if (rc != LF_OK)
        return rc;
    if (v == NULL)
        return fail_at(&c, &base, LF_E_SHAPE, "missing key \"%s\" (named by --keep)", key);
    lf_path kp = path_key(base, key);
    size_t at = raw_locate(rec->data, rec->len, &kp);
    size_t end = raw_skip(rec->data, rec->len, at);
    *text = rec->data + at;
    *len = end - at;
    return LF_OK;
}
