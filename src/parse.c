/* parse.c - see parse.h.
 *
 * A sample is read in three steps: its special tokens are found and its
 * turns framed (every structural malformation is reported here, at the
 * offending byte); the turns are interpreted as the profile writes them
 * (system block, tool definitions, tool calls, tool results); and the
 * conversation is written as a messages record, read back as the converter
 * reads it and rendered again, which must give the sample's exact bytes.
 * That last check is what makes the round trip render -> parse -> render
 * exact for everything accepted: an interpretation that does not render back
 * is reported instead of written.
 *
 * The run reads each input either as JSON records with a "text" string (the
 * reader frames them) or as raw text, cut into samples at each
 * <|begin_of_text|> that does not follow another one.
 */
#include "llamafmt/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "llamafmt/codec.h"
#include "llamafmt/json.h"
#include "llamafmt/reader.h"
#include "llamafmt/walk.h"
#include "llamafmt/writer.h"
#include "unicode.h"
#include "arena.h"
#include "pipeline.h"

#include "template_text.h"

#define LIT(s) (sizeof(s) - 1)

#define BLOCK ((size_t)1 << 20)
#define MAX_DEPTH 1000

/* ---- strict JSON inside records and samples ----------------------------------- */

/* Why a JSON text was refused, and where. */
typedef struct jfail {
    size_t at;
    lf_code code;
    const char *msg;
} jfail;

static size_t jfailed(jfail *f, size_t at, lf_code code, const char *msg)
{
    if (f != NULL) {
        f->at = at;
        f->code = code;
        f->msg = msg;
    }
    return 0;
}

static size_t js_ws(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* The string literal whose opening quote is at s[i]: the offset past its
 * closing quote, or 0.  Refuses what the converter refuses: malformed
 * escapes, \u0000, lone surrogates, raw control characters.  UTF-8 is
 * checked by the caller. */
static size_t js_string(const char *s, size_t n, size_t i, jfail *f)
{
    size_t j = i + 1;
    while (j < n) {
        unsigned char c = (unsigned char)s[j];
        if (c == '"')
            return j + 1;
        if (c == '\\') {
            if (j + 1 >= n)
                break;
            char e = s[j + 1];
            if (e == 'u') {
                long v = n - j >= 6 ? lf_hex4(s + j + 2) : -1;
                if (v < 0)
                    return jfailed(f, j, LF_E_ESCAPE, "malformed \\u escape (four hex digits required)");
                if (v == 0)
                    return jfailed(f, j, LF_E_ESCAPE, "\\u0000 (NUL) in a string is not accepted");
                if (v >= 0xDC00 && v <= 0xDFFF)
                    return jfailed(f, j, LF_E_ESCAPE, "lone low surrogate in a \\u escape");
                if (v >= 0xD800 && v <= 0xDBFF) {
                    long w = (n - j >= 12 && s[j + 6] == '\\' && s[j + 7] == 'u') ? lf_hex4(s + j + 8) : -1;
                    if (w < 0xDC00 || w > 0xDFFF)
                        return jfailed(f, j, LF_E_ESCAPE, "lone high surrogate in a \\u escape");
                    j += 6;
                }
                j += 6;
            } else if (e != '\0' && strchr("\"\\/bfnrt", e) != NULL) {
                j += 2;
            } else {
                return jfailed(f, j, LF_E_JSON, "invalid escape in a string");
            }
        } else if (c < 0x20) {
            return jfailed(f, j, LF_E_JSON, "raw control character in a string (it must be escaped)");
        } else {
            j++;
        }
    }
    return jfailed(f, i, LF_E_JSON, "unterminated string");
}

/* Length of the JSON number at s, or 0. */
static size_t js_number(const char *s, size_t n)
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
        size_t d = ++i;
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
    return i;
}

/* The JSON value starting exactly at s[i]: the offset past it, or 0. */
static size_t js_value(const char *s, size_t n, size_t i, int depth, jfail *f)
{
    if (i >= n)
        return jfailed(f, i, LF_E_JSON, "expected a value");
    char c = s[i];
    if (c == '"')
        return js_string(s, n, i, f);
    if (c == '{' || c == '[') {
        if (depth >= MAX_DEPTH)
            return jfailed(f, i, LF_E_JSON, "nested deeper than 1000 levels");
        char close = c == '{' ? '}' : ']';
        size_t j = js_ws(s, n, i + 1);
        if (j < n && s[j] == close)
            return j + 1;
        for (;;) {
            if (c == '{') {
                if (j >= n || s[j] != '"')
                    return jfailed(f, j, LF_E_JSON, "expected an object key in double quotes");
                if ((j = js_string(s, n, j, f)) == 0)
                    return 0;
                j = js_ws(s, n, j);
                if (j >= n || s[j] != ':')
                    return jfailed(f, j, LF_E_JSON, "expected ':' after an object key");
                j = js_ws(s, n, j + 1);
            }
            if ((j = js_value(s, n, j, depth + 1, f)) == 0)
                return 0;
            j = js_ws(s, n, j);
            if (j < n && s[j] == ',') {
                j = js_ws(s, n, j + 1);
                continue;
            }
            if (j < n && s[j] == close)
                return j + 1;
            return jfailed(f, j, LF_E_JSON, c == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        size_t k = js_number(s + i, n - i);
        if (k == 0 || (i + k < n && (s[i + k] == '.' || (s[i + k] >= '0' && s[i + k] <= '9'))))
            return jfailed(f, i, LF_E_JSON, "invalid number");
        return i + k;
    }
    if (n - i >= 4 && (memcmp(s + i, "true", 4) == 0 || memcmp(s + i, "null", 4) == 0))
        return i + 4;
    if (n - i >= 5 && memcmp(s + i, "false", 5) == 0)
        return i + 5;
    return jfailed(f, i, LF_E_JSON, "expected a value");
}

/* Append the decoded contents of the (checked) string literal s[0..n). */
static int js_decode(const char *s, size_t n, lf_buf *out)
{
    if (lf_buf_reserve(out, n) != 0)
        return -1;
    char *d = out->data + out->len;
    size_t i = 1, e = n - 1;
    while (i < e) {
        const char *bs = memchr(s + i, '\\', e - i);
        size_t run = bs ? (size_t)(bs - (s + i)) : e - i;
        memcpy(d, s + i, run);
        d += run;
        i += run;
        if (i >= e)
            break;
        char c = s[i + 1];
        if (c == 'u') {
            unsigned long cp = (unsigned long)lf_hex4(s + i + 2);
            i += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned long lo = (unsigned long)lf_hex4(s + i + 2);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
            d += lf_utf8_put(d, cp);
            continue;
        }
        switch (c) {
        case 'b': *d++ = '\b'; break;
        case 'f': *d++ = '\f'; break;
        case 'n': *d++ = '\n'; break;
        case 'r': *d++ = '\r'; break;
        case 't': *d++ = '\t'; break;
        default: *d++ = c; break;       /* " \ / */
        }
        i += 2;
    }
    out->len = (size_t)(d - out->data);
    return 0;
}

/* Offset, from the opening quote, of the character of the (checked) string
 * literal s[0..n) that decodes to byte `dec` of its contents (the closing
 * quote for the end). */
static size_t js_raw_offset(const char *s, size_t n, size_t dec)
{
    size_t i = 1, d = 0;
    while (i + 1 < n) {
        size_t raw = 1, out = 1;
        if (s[i] == '\\' && s[i + 1] == 'u') {
            long cp = lf_hex4(s + i + 2);
            raw = 6;
            out = cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                raw = 12;
                out = 4;
            }
        } else if (s[i] == '\\') {
            raw = 2;
        }
        if (dec < d + out)
            return i;
        d += out;
        i += raw;
    }
    return i;
}

/* Offset of the first byte of s[0..n) that is not valid UTF-8, or n. */
static size_t utf8_bad(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = 0;
        unsigned char c = u[i];
        if (c >= 0xC2 && c <= 0xDF)
            k = 2;
        else if (c >= 0xE0 && c <= 0xEF)
            k = 3;
        else if (c >= 0xF0 && c <= 0xF4)
            k = 4;
        if (k == 0 || n - i < k || !lf_utf8_valid(s + i, k))
            return i;
        i += k;
    }
    return n;
}

/* Whitespace or NUL: what may separate raw text samples. */
static int is_sep(char c) { return c == '\0' || c == ' ' || (c >= '\t' && c <= '\r'); }

static int starts(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    return n >= k && memcmp(s, lit, k) == 0;
}

static const char *find(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    if (k == 0 || n < k)
        return NULL;
    for (const char *p = s, *e = s + n - k + 1; (p = memchr(p, lit[0], (size_t)(e - p))) != NULL; p++)
        if (memcmp(p, lit, k) == 0)
            return p;
    return NULL;
}

/* ---- the sample parser ------------------------------------------------------ */

typedef enum tok_kind { T_BOS, T_EOT_TEXT, T_START, T_END, T_EOM, T_EOT, T_PYTHON, T_OTHER } tok_kind;

typedef struct tok {
    size_t off, len;
    tok_kind kind;
} tok;

typedef struct turn {
    lf_role role;
    size_t hdr;                 /* offset of its <|start_header_id|> */
    size_t body, body_end;      /* its text (after <|python_tag|>, if any) */
    int python;                 /* the body follows <|python_tag|> */
    int open;                   /* a final assistant header: a generation prompt */
    tok_kind term;              /* T_EOT or T_EOM */
    size_t term_off;
} turn;

struct lf_sample_parser {
    lf_arena mem;
    tok *toks;
    size_t ntoks, captoks;
    turn *turns;
    size_t nturns, capturns;
    lf_message *msgs;
    size_t n, cap;
    lf_conversation conv;
    const char **builtin;
    size_t n_builtin, cap_builtin;
    lf_json_text *tools;
    size_t n_tools, cap_tools;
    lf_buf tmp;                 /* JSON dumps compared with the sample */
    lf_buf json;                /* the messages record, for the round-trip check */
    lf_record_opts rec_opts;
    lf_parser *reader;          /* reads json back as the converter does */
    lf_sample check;            /* ... and renders it */
};

lf_sample_parser *lf_sample_parser_new(void)
{
    lf_sample_parser *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->rec_opts.shape = LF_SHAPE_MESSAGES;
    p->rec_opts.special = LF_SPECIAL_ERROR;
    p->rec_opts.tools_in_user = -1;
    p->reader = lf_parser_new(&p->rec_opts);
    if (p->reader == NULL) {
        free(p);
        return NULL;
    }
    return p;
}

void lf_sample_parser_free(lf_sample_parser *p)
{
    if (p == NULL)
        return;
    lf_arena_free(&p->mem);
    free(p->toks);
    free(p->turns);
    free(p->msgs);
    free(p->builtin);
    free(p->tools);
    lf_buf_free(&p->tmp);
    lf_buf_free(&p->json);
    lf_parser_free(p->reader);
    lf_sample_free(&p->check);
    free(p);
}

/* Make room for element n of an array of `size`-byte elements: grows it
 * by realloc when full.  0, or -1 (out of memory, the array unchanged). */
#define GROW(arr, capacity, n)                                                                            \
    ((n) < (capacity) ? 0 : grow_to((void *)(arr), &(capacity), sizeof *(arr), (void **)&(arr)))

static int grow_to(void *old, size_t *cap, size_t size, void **out)
{
    size_t c = *cap ? *cap * 2 : 16;
    void *w = realloc(old, c * size);
    if (w == NULL)
        return -1;
    memcpy(out, &w, sizeof w);
    *cap = c;
    return 0;
}

typedef struct sctx {
    lf_sample_parser *p;
    const lf_parse_opts *o;
    const char *s;              /* the sample, copied into the arena */
    size_t end;                 /* where it ends (raw text: before the separators) */
    size_t *at;
    lf_error *err;
} sctx;

static lf_code bad(sctx *c, size_t off, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* A malformation at byte `off` of the sample. */
static lf_code bad(sctx *c, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lf_error_setv(c->err, LF_E_SAMPLE, fmt, ap);
    va_end(ap);
    char pre[64];
    snprintf(pre, sizeof pre, "sample byte %zu", off);
    lf_error_prefix(c->err, pre);
    *c->at = off;
    return LF_E_SAMPLE;
}

static lf_code nomem(lf_error *err) { return lf_error_set(err, LF_E_NOMEM, "out of memory"); }

static tok_kind classify(const char *t, size_t n)
{
    static const struct {
        const char *name;
        tok_kind kind;
    } known[] = {{BOS, T_BOS}, {EOT_TEXT, T_EOT_TEXT}, {START, T_START}, {END, T_END},
                 {EOM, T_EOM}, {EOT, T_EOT},           {PYTHON_TAG, T_PYTHON}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strlen(known[i].name) == n && memcmp(t, known[i].name, n) == 0)
            return known[i].kind;
    return T_OTHER;
}

/* A special token where it does not belong. */
static lf_code misplaced(sctx *c, const tok *t, const char *where)
{
    const char *s = c->s + t->off;
    int n = (int)t->len;
    switch (t->kind) {
    case T_BOS:
        return bad(c, t->off, "<|begin_of_text|> %s (two samples run together?)", where);
    case T_EOT_TEXT:
        return bad(c, t->off, "<|end_of_text|> before the end of the sample");
    case T_END:
        return bad(c, t->off, "<|end_header_id|> without <|start_header_id|>");
    case T_PYTHON:
        return bad(c, t->off, "<|python_tag|> %s (it may only open an assistant turn)", where);
    case T_OTHER:
        if (starts(s, t->len, "<|reserved_special_token_"))
            return bad(c, t->off, "reserved special token %.*s in the sample", n, s);
        return bad(c, t->off, "special token %.*s in the sample", n, s);
    default:
        return bad(c, t->off, "%.*s %s", n, s, where);
    }
}

/* Find the special tokens and frame the turns. */
static lf_code frame(sctx *c, int *bos, int *eot_text, size_t *eot_text_off)
{
    lf_sample_parser *p = c->p;
    const char *s = c->s;
    size_t end = c->end, nt = p->ntoks, k = 0, pos = 0;
    const tok *t = p->toks;
    *bos = 0;
    *eot_text = 0;
    if (nt > 0 && t[0].off == 0 && t[0].kind == T_BOS) {
        *bos = 1;
        pos = t[0].len;
        k = 1;
    } else if (c->o->raw) {
        return bad(c, 0,
                   "text before <|begin_of_text|> (raw text samples start with it; parse samples without it from "
                   "{\"text\": ...} records)");
    }
    if (k < nt && t[k].off == pos && t[k].kind == T_BOS)
        return bad(c, pos, "doubled <|begin_of_text|>");
    if (pos == end)
        return bad(c, 0, "empty sample");
    if (k >= nt || t[k].off != pos)
        return bad(c, pos, *bos ? "text between <|begin_of_text|> and the first header"
                                : "text before the first header (a sample starts with <|begin_of_text|> or "
                                  "<|start_header_id|>)");
    for (;;) {
        if (t[k].kind != T_START)
            return misplaced(c, &t[k], "where a header should start");
        size_t hdr = t[k].off;
        if (k + 1 >= nt || t[k + 1].kind != T_END)
            return bad(c, hdr, "a header without <|end_header_id|>");
        size_t r0 = hdr + t[k].len, r1 = t[k + 1].off;
        lf_role role = LF_ROLE_USER;
        char name[16];
        int known = r1 - r0 < sizeof name;
        if (known) {
            memcpy(name, s + r0, r1 - r0);
            name[r1 - r0] = '\0';
            known = lf_role_parse(name, &role) == 0 && strcmp(name, "tool") != 0;
        }
        if (!known)
            return bad(c, r0, "unknown role \"%.*s\" in a header (known: system, user, assistant, ipython)",
                       (int)(r1 - r0 > 60 ? 60 : r1 - r0), s + r0);
        pos = r1 + t[k + 1].len;
        k += 2;
        if (c->o->profile != LF_PROFILE_GUIDE) {
            if (end - pos < 2 || s[pos] != '\n' || s[pos + 1] != '\n')
                return bad(c, pos, "missing \"\\n\\n\" after the %s header%s", lf_role_name(role),
                           p->nturns == 0 ? " (a guide sample? try -p guide)" : "");
            pos += 2;
        }
        if (GROW(p->turns, p->capturns, p->nturns) != 0)
            return nomem(c->err);
        turn *tn = &p->turns[p->nturns++];
        memset(tn, 0, sizeof *tn);
        tn->role = role;
        tn->hdr = hdr;
        if (pos == end && k >= nt) {
            if (role != LF_ROLE_ASSISTANT)
                return bad(c, end, "the sample ends in the %s turn (not closed by <|eot_id|>)", lf_role_name(role));
            tn->open = 1;                   /* a generation prompt */
            tn->body = tn->body_end = end;
            return LF_OK;
        }
        if (k < nt && t[k].off == pos && t[k].kind == T_PYTHON) {
            if (role != LF_ROLE_ASSISTANT)
                return bad(c, pos, "<|python_tag|> in a %s turn (only assistant turns call tools)", lf_role_name(role));
            tn->python = 1;
            pos += t[k].len;
            k++;
        }
        tn->body = pos;
        if (k >= nt)
            return bad(c, end, "the sample ends in the %s turn (not closed by <|eot_id|>)", lf_role_name(role));
        switch (t[k].kind) {
        case T_EOT:
        case T_EOM:
            break;
        case T_START:
            return bad(c, t[k].off, "the %s turn is not closed by <|eot_id|> before the next header",
                       lf_role_name(role));
        case T_EOT_TEXT:
            return bad(c, t[k].off, "<|end_of_text|> before the end of the sample (the %s turn is not closed by <|eot_id|>)",
                       lf_role_name(role));
        default:
            return misplaced(c, &t[k], "inside a turn");
        }
        tn->body_end = t[k].off;
        tn->term = t[k].kind;
        tn->term_off = t[k].off;
        pos = t[k].off + t[k].len;
        const char *term = t[k].kind == T_EOT ? "<|eot_id|>" : "<|eom_id|>";
        k++;
        if (pos == end)
            return LF_OK;
        if (k < nt && t[k].off == pos && t[k].kind == T_EOT_TEXT) {
            if (pos + t[k].len == end) {
                *eot_text = 1;
                *eot_text_off = pos;
                return LF_OK;
            }
            return bad(c, pos, "<|end_of_text|> before the end of the sample");
        }
        if (k >= nt) {
            while (c->o->raw && is_sep(s[pos]))
                pos++;                      /* point at the text, not at a separator */
            return bad(c, pos, "text after the final %s", term);
        }
        if (t[k].off != pos)
            return bad(c, pos, "text between turns (after %s, before the next header)", term);
    }
}

/* ---- building the conversation ------------------------------------------------- */

static lf_message *push(sctx *c, lf_role role, size_t off, size_t len)
{
    lf_sample_parser *p = c->p;
    if (GROW(p->msgs, p->cap, p->n) != 0)
        return NULL;
    lf_message *m = &p->msgs[p->n++];
    memset(m, 0, sizeof *m);
    m->role = role;
    m->text = c->s + off;
    m->len = len;
    return m;
}

static int add_builtin(sctx *c, const char *name, size_t n)
{
    lf_sample_parser *p = c->p;
    char *d = lf_arena_strdup(&p->mem, name, n);
    if (d == NULL || GROW(p->builtin, p->cap_builtin, p->n_builtin) != 0)
        return -1;
    p->builtin[p->n_builtin++] = d;
    return 0;
}

/* Is s[a..b) exactly json.dumps(value, indent) of the JSON value it holds?
 * -1: out of memory. */
static int dumps_as(sctx *c, size_t a, size_t b, int indent)
{
    lf_buf *t = &c->p->tmp;
    lf_buf_clear(t);
    lf_error e = LF_ERROR_INIT;
    if (lf_json_dump(t, c->s + a, b - a, indent, &e) != 0)
        return e.code == LF_E_NOMEM ? -1 : 0;
    return t->len == b - a && memcmp(t->data, c->s + a, b - a) == 0;
}

/* Function specs, each tojson(indent=4) + "\n\n", from s[*pos..end).  Adds
 * them to the tools; returns how many (-1: out of memory). */
static long tool_specs(sctx *c, size_t *pos, size_t end)
{
    lf_sample_parser *p = c->p;
    long k = 0;
    size_t i = *pos;
    while (i < end && c->s[i] == '{') {
        size_t e = js_value(c->s, end, i, 0, NULL);
        if (e == 0 || end - e < 2 || c->s[e] != '\n' || c->s[e + 1] != '\n')
            break;
        int same = dumps_as(c, i, e, 4);
        if (same < 0)
            return -1;
        if (!same)
            break;
        if (GROW(p->tools, p->cap_tools, p->n_tools) != 0)
            return -1;
        p->tools[p->n_tools++] = (lf_json_text){c->s + i, e - i};
        k++;
        i = e + 2;
    }
    *pos = i;
    return k;
}

/* The members of the JSON object s[a..b) as names and, when all are
 * strings, values (json.loads' dict: a repeated key keeps its first place
 * and takes the last value).  0, or -1 out of memory. */
static int call_args(sctx *c, lf_tool_call *call, size_t a, size_t b)
{
    lf_sample_parser *p = c->p;
    const char *s = c->s;
    size_t cap = 0;
    for (size_t i = a; i < b; i++)
        cap += s[i] == ':';
    const char **names = lf_arena_alloc(&p->mem, (cap + 1) * sizeof *names);
    const char **strs = lf_arena_alloc(&p->mem, (cap + 1) * sizeof *strs);
    if (names == NULL || strs == NULL)
        return -1;
    size_t k = 0, i = js_ws(s, b, a + 1);
    int all = 1;
    while (i < b && s[i] == '"') {
        size_t ke = js_string(s, b, i, NULL);
        lf_buf *t = &p->tmp;
        lf_buf_clear(t);
        if (js_decode(s + i, ke - i, t) != 0)
            return -1;
        char *name = lf_arena_strdup(&p->mem, t->data, t->len);
        size_t v = js_ws(s, b, js_ws(s, b, ke) + 1);
        size_t ve = js_value(s, b, v, 0, NULL);
        char *str = NULL;
        if (s[v] == '"') {
            lf_buf_clear(t);
            if (js_decode(s + v, ve - v, t) != 0)
                return -1;
            str = lf_arena_strdup(&p->mem, t->data, t->len);
            if (str == NULL)
                return -1;
        }
        if (name == NULL)
            return -1;
        size_t j = 0;
        while (j < k && strcmp(names[j], name) != 0)
            j++;
        names[j] = name;
        strs[j] = str;
        if (j == k)
            k++;
        i = js_ws(s, b, ve);
        if (i < b && s[i] == ',')
            i = js_ws(s, b, i + 1);
    }
    for (size_t j = 0; j < k; j++)
        all &= strs[j] != NULL;
    call->arg_names = names;
    call->arg_strings = all ? strs : NULL;
    call->n_args = k;
    call->args = (lf_json_text){s + a, b - a};
    return 0;
}

/* The key="value" pairs of a built-in call, borrowed from the sample. */
#define MAX_PYARGS 64
typedef struct pyargs {
    size_t n;
    const char *key[MAX_PYARGS], *val[MAX_PYARGS];
    size_t key_len[MAX_PYARGS], val_len[MAX_PYARGS];
} pyargs;

/* Is k[0..kl) the key cur[0..cl) or one of args'? */
static int has_key(const pyargs *args, const char *cur, size_t cl, const char *k, size_t kl)
{
    if (kl == cl && memcmp(k, cur, kl) == 0)
        return 1;
    for (size_t j = 0; j < args->n; j++)
        if (args->key_len[j] == kl && memcmp(args->key[j], k, kl) == 0)
            return 1;
    return 0;
}

/* NAME.call(k="v", ...) filling s[a..b), values pasted raw as the template
 * does: *name_end and the pairs.  1 when it reads so, else 0.  A value ends
 * at the first '"' followed by the final ')' or by ", KEY=\"" where KEY is
 * new and a '"' is left to close its value: the rest then always reads, so
 * a value holding ", x=\"" does not make a call the template wrote
 * unreadable. */
static int pycall(const char *s, size_t a, size_t b, size_t *name_end, pyargs *args)
{
    if (b - a < LIT("x.call()") || s[b - 1] != ')')
        return 0;
    const char *dot = find(s + a, b - a, ".call(");
    if (dot == NULL || dot == s + a)
        return 0;
    *name_end = (size_t)(dot - s);
    size_t i = *name_end + LIT(".call("), e = b - 1;
    args->n = 0;
    while (i < e) {
        const char *eq = find(s + i, e - i, "=\"");
        if (eq == NULL || eq == s + i || memchr(s + i, '"', (size_t)(eq - (s + i))) != NULL || args->n == MAX_PYARGS)
            return 0;
        size_t v = (size_t)(eq - s) + 2, q = v;
        for (;;) {
            const char *qq = memchr(s + q, '"', e - q);
            if (qq == NULL)
                return 0;
            q = (size_t)(qq - s);
            if (q + 1 == e)
                break;
            if (e - q > 3 && s[q + 1] == ',' && s[q + 2] == ' ') {
                const char *k2 = find(s + q + 3, e - q - 3, "=\"");
                size_t k2l = k2 != NULL ? (size_t)(k2 - (s + q + 3)) : 0;
                if (k2l > 0 && memchr(s + q + 3, '"', k2l) == NULL && (size_t)(k2 - s) + 2 < e &&
                    args->n + 1 < MAX_PYARGS && !has_key(args, s + i, (size_t)(eq - s) - i, s + q + 3, k2l))
                    break;
            }
            q++;
        }
        size_t kl = (size_t)(eq - s) - i;
        for (size_t j = 0; j < args->n; j++)
            if (args->key_len[j] == kl && memcmp(args->key[j], s + i, kl) == 0)
                return 0;                   /* a repeated key: not a dict the template wrote */
        args->key[args->n] = s + i;
        args->key_len[args->n] = kl;
        args->val[args->n] = s + v;
        args->val_len[args->n] = q - v;
        args->n++;
        i = q + 1 == e ? e : q + 3;
    }
    return 1;
}

/* An lf_tool_call NAME(pairs), its arguments a JSON object of strings.
 * NULL: out of memory. */
static lf_tool_call *make_call(sctx *c, const char *name, size_t name_len, const pyargs *a)
{
    lf_sample_parser *p = c->p;
    lf_tool_call *call = lf_arena_alloc(&p->mem, sizeof *call);
    const char **names = lf_arena_alloc(&p->mem, (a->n + 1) * sizeof *names);
    const char **strs = lf_arena_alloc(&p->mem, (a->n + 1) * sizeof *strs);
    if (call == NULL || names == NULL || strs == NULL || (call->name = lf_arena_strdup(&p->mem, name, name_len)) == NULL)
        return NULL;
    lf_buf *t = &p->tmp;
    lf_buf_clear(t);
    int rc = lf_buf_putc(t, '{');
    for (size_t j = 0; j < a->n; j++) {
        names[j] = lf_arena_strdup(&p->mem, a->key[j], a->key_len[j]);
        strs[j] = lf_arena_strdup(&p->mem, a->val[j], a->val_len[j]);
        if (names[j] == NULL || strs[j] == NULL)
            return NULL;
        rc |= lf_buf_puts(t, j ? ", " : "");
        rc |= lf_json_put_string(t, a->key[j], a->key_len[j]);
        rc |= lf_buf_puts(t, ": ");
        rc |= lf_json_put_string(t, a->val[j], a->val_len[j]);
    }
    rc |= lf_buf_putc(t, '}');
    char *json = rc == 0 ? lf_arena_strdup(&p->mem, t->data, t->len) : NULL;
    if (json == NULL)
        return NULL;
    call->args = (lf_json_text){json, t->len};
    call->arg_names = names;
    call->arg_strings = strs;
    call->n_args = a->n;
    return call;
}

/* {"name": "NAME", "parameters": ARGS} filling s[a..b) exactly (official).
 * NULL when it does not read so; *oom on out of memory. */
static lf_tool_call *custom_call(sctx *c, size_t a, size_t b, int *oom)
{
    const char *s = c->s;
    if (!starts(s + a, b - a, CUSTOM_CALL) || s[b - 1] != '}')
        return NULL;
    size_t n0 = a + LIT(CUSTOM_CALL);
    const char *pe = find(s + n0, b - n0, CUSTOM_PARAMS);
    if (pe == NULL)
        return NULL;
    size_t v = (size_t)(pe - s) + LIT(CUSTOM_PARAMS);
    if (v >= b || s[v] != '{')
        return NULL;
    size_t ve = js_value(s, b, v, 0, NULL);
    if (ve == 0 || ve + 1 != b)
        return NULL;
    int same = dumps_as(c, v, ve, -1);
    if (same <= 0) {
        *oom = same < 0;
        return NULL;
    }
    lf_tool_call *call = lf_arena_alloc(&c->p->mem, sizeof *call);
    if (call == NULL || (call->name = lf_arena_strdup(&c->p->mem, s + n0, (size_t)(pe - s) - n0)) == NULL ||
        call_args(c, call, v, ve) != 0) {
        *oom = 1;
        return NULL;
    }
    return call;
}

/* {"type": "function", "name": "NAME", "parameters": ARGS} filling s[a..b)
 * exactly (meta). */
static lf_tool_call *meta_function(sctx *c, size_t a, size_t b, int *oom)
{
    const char *s = c->s;
    if (!starts(s + a, b - a, META_CALL) || s[b - 1] != '}')
        return NULL;
    size_t n0 = a + LIT(META_CALL);
    if (n0 >= b || s[n0] != '"')
        return NULL;
    size_t ne = js_string(s, b, n0, NULL);
    if (ne == 0 || !starts(s + ne, b - ne, META_PARAMS))
        return NULL;
    size_t v = ne + LIT(META_PARAMS);
    if (v >= b || s[v] != '{')
        return NULL;
    size_t ve = js_value(s, b, v, 0, NULL);
    if (ve == 0 || ve + 1 != b)
        return NULL;
    lf_buf *t = &c->p->tmp;
    lf_buf_clear(t);
    if (js_decode(s + n0, ne - n0, t) != 0) {
        *oom = 1;
        return NULL;
    }
    /* the name is written with json.dumps: it must come back the same */
    lf_buf again = LF_BUF_INIT;
    if (lf_json_put_string(&again, t->data, t->len) != 0) {
        *oom = 1;
        return NULL;
    }
    int same_name = again.len == ne - n0 && memcmp(again.data, s + n0, ne - n0) == 0;
    lf_buf_free(&again);
    if (!same_name)
        return NULL;
    lf_tool_call *call = lf_arena_alloc(&c->p->mem, sizeof *call);
    if (call == NULL || (call->name = lf_arena_strdup(&c->p->mem, t->data, t->len)) == NULL) {
        *oom = 1;
        return NULL;
    }
    int same = dumps_as(c, v, ve, -1);
    if (same <= 0) {
        *oom = same < 0;
        return NULL;
    }
    if (call_args(c, call, v, ve) != 0) {
        *oom = 1;
        return NULL;
    }
    return call;
}

/* Python str.strip() leaves the content alone (official). */
static lf_code trimmed(sctx *c, lf_role role, size_t a, size_t b)
{
    size_t k, n;
    lf_trim(c->s + a, b - a, &k, &n);
    if (k > 0)
        return bad(c, a, "the %s content starts with whitespace, which the official template strips (try -p meta)",
                   lf_role_name(role));
    if (n < b - a)
        return bad(c, a + n, "the %s content ends with whitespace, which the official template strips (try -p meta)",
                   lf_role_name(role));
    return LF_OK;
}

/* A tool result as the official template writes it. */
static lf_code official_result(sctx *c, const turn *t)
{
    const char *s = c->s;
    size_t a = t->body, b = t->body_end;
    lf_message *m = push(c, LF_ROLE_IPYTHON, a, 0);
    if (m == NULL)
        return nomem(c->err);
    if (b > a && s[a] == '"') {
        size_t e = js_string(s, b, a, NULL);
        if (e == b) {
            lf_buf *tmp = &c->p->tmp;
            lf_buf_clear(tmp);
            if (js_decode(s + a, b - a, tmp) != 0)
                return nomem(c->err);
            char *text = lf_arena_strdup(&c->p->mem, tmp->data, tmp->len);
            if (text == NULL)
                return nomem(c->err);
            m->text = text;
            m->len = tmp->len;
            lf_buf_clear(tmp);
            if (lf_json_put_string(tmp, text, m->len) != 0)
                return nomem(c->err);
            if (tmp->len != b - a || memcmp(tmp->data, s + a, b - a) != 0)
                return bad(c, a, "the ipython turn's string is not escaped as json.dumps escapes it");
            return LF_OK;
        }
    } else if (b - a == 4 && memcmp(s + a, "True", 4) == 0) {
        m->json = (lf_json_text){"true", 4};
        return LF_OK;
    } else if (b - a == 5 && memcmp(s + a, "False", 5) == 0) {
        m->json = (lf_json_text){"false", 5};
        return LF_OK;
    } else if (b - a == 4 && memcmp(s + a, "None", 4) == 0) {
        m->json = (lf_json_text){"null", 4};
        return LF_OK;
    } else if (b > a && (s[a] == '{' || s[a] == '[' || s[a] == '-' || (s[a] >= '0' && s[a] <= '9'))) {
        size_t e = js_value(s, b, a, 0, NULL);
        if (e == b) {
            int same = dumps_as(c, a, b, -1);
            if (same < 0)
                return nomem(c->err);
            if (!same)
                return bad(c, a, "the ipython turn's JSON is not written as json.dumps writes it");
            m->json = (lf_json_text){s + a, b - a};
            return LF_OK;
        }
    }
    return bad(c, a,
               "the ipython turn is not a tool result as the official template writes it (a JSON string, object, "
               "array or number, or True, False, None)");
}

/* The system block of the official template. */
static lf_code official_system(sctx *c, const turn *t, size_t *sys_at, size_t *sys_end, int *env)
{
    lf_sample_parser *p = c->p;
    const char *s = c->s;
    size_t i = t->body, e = t->body_end;
    *env = 0;
    if (t->role != LF_ROLE_SYSTEM)
        return bad(c, t->hdr, "the sample does not start with the system block the official template always writes "
                              "(try -p meta)");
    if (t->term != T_EOT)
        return bad(c, t->term_off, "<|eom_id|> closes the system block");
    if (starts(s + i, e - i, ENVIRONMENT)) {
        *env = 1;
        i += LIT(ENVIRONMENT);
        if (starts(s + i, e - i, TOOLS_LINE)) {
            i += LIT(TOOLS_LINE);
            const char *nl = memchr(s + i, '\n', e - i);
            if (nl == NULL || (size_t)(nl - s) + 1 >= e || nl[1] != '\n')
                return bad(c, i, "the Tools line does not end with \"\\n\\n\"");
            size_t le = (size_t)(nl - s);
            p->conv.has_builtin = 1;
            while (i < le) {
                const char *comma = find(s + i, le - i, ", ");
                size_t ne = comma ? (size_t)(comma - s) : le;
                if (add_builtin(c, s + i, ne - i) != 0)
                    return nomem(c->err);
                i = comma ? ne + 2 : le;
            }
            i = le + 2;
        }
    }
    if (!starts(s + i, e - i, KNOWLEDGE))
        return bad(c, i, "the system block lacks \"Cutting Knowledge Date: December 2023\\nToday Date: \" (the "
                         "official template always writes it; try -p meta)");
    i += LIT(KNOWLEDGE);
    const char *dd = find(s + i, e - i, "\n\n");
    if (dd == NULL)
        return bad(c, i, "the Today Date line does not end with \"\\n\\n\"");
    size_t dlen = (size_t)(dd - s) - i;
    const char *want = c->o->date ? c->o->date : LF_DEFAULT_DATE;
    if (dlen != strlen(want) || memcmp(s + i, want, dlen) != 0) {
        p->conv.date = s + i;
        p->conv.date_len = dlen;
    }
    i += dlen + 2;
    if (*env && starts(s + i, e - i, SYSTEM_TOOLS_PREAMBLE)) {
        size_t j = i + LIT(SYSTEM_TOOLS_PREAMBLE);
        long k = tool_specs(c, &j, e);
        if (k < 0)
            return nomem(c->err);
        if (k > 0) {
            p->conv.has_tools = 1;
            p->conv.tools_in_user = 0;
            i = j;
        }
    }
    *sys_at = i;
    *sys_end = e;
    return trimmed(c, LF_ROLE_SYSTEM, i, e);
}

/* An assistant turn under the official template. */
static lf_code official_assistant(sctx *c, const turn *t, int env, int result_follows)
{
    lf_sample_parser *p = c->p;
    const char *s = c->s;
    size_t a = t->body, b = t->body_end;
    int builtin = p->conv.has_builtin;
    if (t->python) {
        size_t ne;
        pyargs args;
        if (!builtin)
            return bad(c, a - LIT(PYTHON_TAG),
                       "a <|python_tag|> tool call, but the system block has no \"Tools:\" line of built-in tools");
        if (!pycall(s, a, b, &ne, &args))
            return bad(c, a, "cannot read the built-in tool call after <|python_tag|> (expected "
                             "name.call(key=\"value\", ...))");
        size_t k = 0;
        while (k < p->n_builtin && !(strlen(p->builtin[k]) == ne - a && memcmp(p->builtin[k], s + a, ne - a) == 0))
            k++;
        if (k == p->n_builtin) {
            /* code_interpreter is never listed on the Tools line */
            if (!(ne - a == LIT("code_interpreter") && memcmp(s + a, "code_interpreter", ne - a) == 0))
                return bad(c, a, "a call to built-in tool \"%.*s\", which the Tools line does not list",
                           (int)(ne - a > 60 ? 60 : ne - a), s + a);
            if (add_builtin(c, s + a, ne - a) != 0)
                return nomem(c->err);
        }
        if (t->term != T_EOM)
            return bad(c, t->term_off, "a built-in tool call must end with <|eom_id|>");
        lf_message *m = push(c, LF_ROLE_ASSISTANT, a, 0);
        if (m == NULL || (m->call = make_call(c, s + a, ne - a, &args)) == NULL)
            return nomem(c->err);
        return LF_OK;
    }
    int looks = starts(s + a, b - a, CUSTOM_CALL);
    if (looks && (env || result_follows) && t->term == (builtin ? T_EOM : T_EOT)) {
        int oom = 0;
        lf_tool_call *call = custom_call(c, a, b, &oom);
        if (oom)
            return nomem(c->err);
        if (call != NULL) {
            lf_message *m = push(c, LF_ROLE_ASSISTANT, a, 0);
            if (m == NULL)
                return nomem(c->err);
            m->call = call;
            return LF_OK;
        }
    }
    if (t->term == T_EOM)
        return bad(c, t->term_off, looks && !builtin
                                       ? "<|eom_id|> closes a tool call, but the sample defines no built-in tools "
                                         "(the official template then ends it with <|eot_id|>)"
                                       : "<|eom_id|> closes an assistant turn that is not a tool call");
    lf_code rc = trimmed(c, LF_ROLE_ASSISTANT, a, b);
    if (rc == LF_OK && push(c, LF_ROLE_ASSISTANT, a, b - a) == NULL)
        return nomem(c->err);
    return rc;
}

static lf_code official(sctx *c)
{
    lf_sample_parser *p = c->p;
    const char *s = c->s;
    size_t sa = 0, se = 0, i = 1;
    int env;
    lf_code rc = official_system(c, &p->turns[0], &sa, &se, &env);
    if (rc != LF_OK)
        return rc;
    if (se > sa && push(c, LF_ROLE_SYSTEM, sa, se - sa) == NULL)
        return nomem(c->err);
    /* tools in the first user message */
    if (env && !p->conv.has_tools && p->nturns > 1 && p->turns[1].role == LF_ROLE_USER && !p->turns[1].open) {
        const turn *t = &p->turns[1];
        size_t j = t->body;
        if (starts(s + j, t->body_end - j, USER_TOOLS_PREAMBLE)) {
            j += LIT(USER_TOOLS_PREAMBLE);
            long k = tool_specs(c, &j, t->body_end);
            if (k < 0)
                return nomem(c->err);
            if (k > 0) {
                p->conv.has_tools = 1;
                p->conv.tools_in_user = 1;
                if (t->term != T_EOT)
                    return bad(c, t->term_off, "<|eom_id|> closes a user turn");
                if ((rc = trimmed(c, LF_ROLE_USER, j, t->body_end)) != LF_OK)
                    return rc;
                if (push(c, LF_ROLE_USER, j, t->body_end - j) == NULL)
                    return nomem(c->err);
                i = 2;
            }
        }
    }
    if (env && !p->conv.has_tools && !p->conv.has_builtin)
        return bad(c, p->turns[0].body,
                   "\"Environment: ipython\" without tool definitions as the official template writes them (a Tools "
                   "line, or function specs in the system block or the first user message)");
    for (; i < p->nturns; i++) {
        const turn *t = &p->turns[i];
        if (t->open)
            break;
        switch (t->role) {
        case LF_ROLE_SYSTEM:
            return bad(c, t->hdr, "a system header after the first turn (the system message comes first)");
        case LF_ROLE_USER:
            if (t->term != T_EOT)
                return bad(c, t->term_off, "<|eom_id|> closes a user turn");
            if ((rc = trimmed(c, LF_ROLE_USER, t->body, t->body_end)) != LF_OK)
                return rc;
            if (push(c, LF_ROLE_USER, t->body, t->body_end - t->body) == NULL)
                return nomem(c->err);
            break;
        case LF_ROLE_ASSISTANT: {
            int follows = i + 1 < p->nturns && p->turns[i + 1].role == LF_ROLE_IPYTHON;
            if ((rc = official_assistant(c, t, env, follows)) != LF_OK)
                return rc;
            break;
        }
        default:
            if (t->term != T_EOT)
                return bad(c, t->term_off, "<|eom_id|> closes an ipython turn");
            if ((rc = official_result(c, t)) != LF_OK)
                return rc;
            break;
        }
    }
    return LF_OK;
}

/* A meta <|python_tag|> turn: content, then the call. */
static lf_code meta_call(sctx *c, const turn *t)
{
    const char *s = c->s;
    size_t a = t->body, b = t->body_end;
    if (t->term != T_EOM)
        return bad(c, t->term_off, "a <|python_tag|> tool call must end with <|eom_id|>");
    static const char *const builtins[] = {"brave_search.call(", "wolfram_alpha.call(", "photogen.call("};
    /* the first place from which the rest reads as a whole call */
    for (size_t i = a; i < b; i++) {
        lf_tool_call *call = NULL;
        int oom = 0;
        if (s[i] == '{') {
            call = meta_function(c, i, b, &oom);
        } else {
            for (size_t k = 0; k < 3 && call == NULL; k++) {
                size_t ne;
                pyargs args;
                if (starts(s + i, b - i, builtins[k]) && pycall(s, i, b, &ne, &args) &&
                    (call = make_call(c, s + i, ne - i, &args)) == NULL)
                    oom = 1;
            }
        }
        if (oom)
            return nomem(c->err);
        if (call != NULL) {
            lf_message *m = push(c, LF_ROLE_ASSISTANT, a, i - a);
            if (m == NULL)
                return nomem(c->err);
            m->call = call;
            return LF_OK;
        }
    }
    /* anything else is code for code_interpreter */
    pyargs args;
    args.n = 1;
    args.key[0] = "code";
    args.key_len[0] = 4;
    args.val[0] = s + a;
    args.val_len[0] = b - a;
    lf_tool_call *call = make_call(c, "code_interpreter", LIT("code_interpreter"), &args);
    lf_message *m = call ? push(c, LF_ROLE_ASSISTANT, a, 0) : NULL;
    if (m == NULL)
        return nomem(c->err);
    m->call = call;
    return LF_OK;
}

/* meta and guide: content verbatim, no implicit system block. */
static lf_code verbatim(sctx *c)
{
    lf_sample_parser *p = c->p;
    int guide = c->o->profile == LF_PROFILE_GUIDE;
    for (size_t i = 0; i < p->nturns; i++) {
        const turn *t = &p->turns[i];
        if (t->open)
            break;
        if (t->role == LF_ROLE_SYSTEM && i > 0)
            return bad(c, t->hdr, "a system header after the first turn (the system message comes first)");
        if (guide && t->role == LF_ROLE_IPYTHON)
            return bad(c, t->hdr, "an ipython turn: the guide profile has no tool turns (try -p meta)");
        if (guide && t->python)
            return bad(c, t->body - LIT(PYTHON_TAG), "<|python_tag|>: the guide profile has no tool calls (try -p meta)");
        if (t->python) {
            lf_code rc = meta_call(c, t);
            if (rc != LF_OK)
                return rc;
            continue;
        }
        if (t->term == T_EOM)
            return bad(c, t->term_off,
                       guide ? "<|eom_id|>: the guide profile ends every turn with <|eot_id|>"
                             : "<|eom_id|> closes a turn without <|python_tag|> (only tool calls end with it)");
        if (push(c, t->role, t->body, t->body_end - t->body) == NULL)
            return nomem(c->err);
    }
    return LF_OK;
}

/* Render the conversation the way the converter would read it back, and
 * compare with the sample. */
static lf_code round_trip(sctx *c, const lf_parsed *res)
{
    lf_sample_parser *p = c->p;
    lf_error e = LF_ERROR_INIT;
    lf_error_clear(&e);
    lf_buf_clear(&p->json);
    int prompt = p->conv.gen_prompt == 1;
    lf_code rc = lf_format_messages(&p->json, &p->conv, p->conv.n, prompt, NULL, 0, &e);
    if (rc != LF_OK)
        return rc == LF_E_NOMEM ? nomem(c->err) : bad(c, 0, "%s", e.msg);
    lf_rawrec rec = {p->json.data, p->json.len, "", 1, 1};
    const lf_conversation *back = NULL;
    rc = lf_record_parse(p->reader, &rec, &back, &e);
    if (rc == LF_E_NOMEM)
        return nomem(c->err);
    if (rc != LF_OK) {
        lf_parser_release(p->reader);
        return bad(c, 0, "the turns do not make a conversation llamafmt can render: %s", e.msg);
    }
    lf_template_opts to;
    memset(&to, 0, sizeof to);
    to.profile = c->o->profile;
    to.date = c->o->date;
    to.bos = res->bos;
    to.end_of_text = res->end_of_text;
    size_t which;
    rc = lf_render(&to, back, &p->check, &which, &e);
    lf_parser_release(p->reader);
    if (rc == LF_E_NOMEM)
        return nomem(c->err);
    if (rc != LF_OK)
        return bad(c, 0, "the turns do not make a conversation llamafmt can render: %s", e.msg);
    const char *r = p->check.text.data;
    size_t rn = p->check.text.len, n = c->end, d = 0;
    while (d < rn && d < n && r[d] == c->s[d])
        d++;
    if (d == rn && d == n)
        return LF_OK;
    return bad(c, d, "the sample cannot be written as messages that render back to it exactly (a re-render "
                     "differs from here)");
}

lf_code lf_parse_sample(lf_sample_parser *p, const lf_parse_opts *o, const char *text, size_t len, lf_parsed *out,
                        size_t *at, lf_error *err)
{
    lf_arena_reset(&p->mem);
    p->ntoks = p->nturns = p->n = p->n_builtin = p->n_tools = 0;
    memset(&p->conv, 0, sizeof p->conv);
    p->conv.gen_prompt = -1;
    p->conv.tools_in_user = 1;
    memset(out, 0, sizeof *out);
    lf_error_clear(err);
    *at = 0;
    char *s = lf_arena_strdup(&p->mem, text, len);
    if (s == NULL)
        return nomem(err);
    sctx c = {p, o, s, len, at, err};

    size_t bad_utf8 = utf8_bad(s, len);
    if (bad_utf8 < len) {
        *at = bad_utf8;
        lf_error_set(err, LF_E_UTF8, "sample byte %zu: invalid UTF-8 byte 0x%02x", bad_utf8,
                     (unsigned)(unsigned char)s[bad_utf8]);
        return LF_E_UTF8;
    }
    /* the special tokens */
    size_t from = 0, tl;
    long k;
    while ((k = lf_find_special(s + from, len - from, &tl)) >= 0) {
        if (GROW(p->toks, p->captoks, p->ntoks) != 0)
            return nomem(err);
        size_t off = from + (size_t)k;
        p->toks[p->ntoks++] = (tok){off, tl, classify(s + off, tl)};
        from = off + tl;
    }
    /* raw text: the separator after the sample */
    if (o->raw) {
        size_t last = p->ntoks ? p->toks[p->ntoks - 1].off + p->toks[p->ntoks - 1].len : 0, e = len;
        while (e > last && is_sep(s[e - 1]))
            e--;
        /* a generation prompt's "\n\n" is the sample's, not the separator's */
        if (e == last && p->ntoks && p->toks[p->ntoks - 1].kind == T_END && o->profile != LF_PROFILE_GUIDE &&
            len - last >= 2 && s[last] == '\n' && s[last + 1] == '\n')
            e = last + 2;
        c.end = e;
    }
    const char *nul = memchr(s, '\0', c.end);
    if (nul != NULL)
        return bad(&c, (size_t)(nul - s), "a NUL byte in the sample");

    int bos, eot_text;
    size_t eot_text_off = 0;
    lf_code rc = frame(&c, &bos, &eot_text, &eot_text_off);
    if (rc != LF_OK)
        return rc;
    rc = o->profile == LF_PROFILE_OFFICIAL ? official(&c) : verbatim(&c);
    if (rc != LF_OK)
        return rc;
    int prompt = p->turns[p->nturns - 1].open;
    size_t turns = p->n - (p->n > 0 && p->msgs[0].role == LF_ROLE_SYSTEM);
    if (prompt && turns == 0)
        return bad(&c, p->turns[p->nturns - 1].hdr, "a generation prompt with no turn before it");
    if (!prompt && (p->n == 0 || p->msgs[p->n - 1].role != LF_ROLE_ASSISTANT)) {
        const turn *t = &p->turns[p->nturns - 1];
        return bad(&c, t->hdr,
                   "the sample ends with a %s turn (a training sample ends with an assistant turn, a prompt with an "
                   "open assistant header)",
                   lf_role_name(t->role));
    }
    if (!prompt && o->end_of_text == 1 && !eot_text)
        return bad(&c, c.end, "the sample does not end with <|end_of_text|> (--end-of-text)");
    if (o->end_of_text == 0 && eot_text)
        return bad(&c, eot_text_off, "<|end_of_text|> at the end of the sample (--no-end-of-text)");
    p->conv.msgs = p->msgs;
    p->conv.n = p->n;
    p->conv.shape = LF_SHAPE_MESSAGES;
    p->conv.gen_prompt = prompt ? 1 : -1;
    p->conv.builtin = p->builtin;
    p->conv.n_builtin = p->n_builtin;
    p->conv.tools = p->tools;
    p->conv.n_tools = p->n_tools;
    out->conv = &p->conv;
    out->bos = bos;
    out->end_of_text = eot_text;
    out->len = c.end;
    rc = round_trip(&c, out);
    if (rc != LF_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

/* ---- inputs ---------------------------------------------------------------------- */

/* One input: plain bytes from a file descriptor or a decoder, with the bytes
 * read ahead to decide its form served first. */
typedef struct source {
    int fd;
    lf_decoder *dec;
    lf_buf pre;                 /* bytes read while peeking */
    size_t pre_pos;
} source;

static long src_read(void *ctx, void *buf, size_t n)
{
    source *src = ctx;
    if (src->pre_pos < src->pre.len) {
        size_t k = src->pre.len - src->pre_pos;
        if (k > n)
            k = n;
        memcpy(buf, src->pre.data + src->pre_pos, k);
        src->pre_pos += k;
        return (long)k;
    }
    return src->dec ? lf_decoder_read(src->dec, buf, n) : (long)read(src->fd, buf, n);
}

static int stop_set(const volatile sig_atomic_t *stop) { return stop != NULL && *stop; }

/* Read until the first byte that is not blank (after a UTF-8 byte-order
 * mark): *first is it, or -1 for an input of blanks only.  After a block of
 * blanks it gives up and says '{' (the reader skips blanks itself).  0, or
 * -1 with errno. */
static int peek(source *src, const volatile sig_atomic_t *stop, int *first)
{
    size_t i = 0;
    int eof = 0, bom_done = 0;
    *first = -1;
    for (;;) {
        const char *s = src->pre.data;
        size_t n = src->pre.len;
        if (!bom_done && (n >= 3 || eof)) {
            bom_done = 1;
            if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
                i = 3;
        }
        if (bom_done) {
            while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
                i++;
            if (i < n) {
                *first = (unsigned char)s[i];
                return 0;
            }
            if (eof)
                return 0;
            if (n >= BLOCK) {
                *first = '{';
                return 0;
            }
        }
        if (lf_buf_reserve(&src->pre, 65536) != 0) {
            errno = ENOMEM;
            return -1;
        }
        long k = src->dec ? lf_decoder_read(src->dec, src->pre.data + n, 65536)
                          : (long)read(src->fd, src->pre.data + n, 65536);
        if (k == 0)
            eof = 1;
        else if (k > 0)
            src->pre.len += (size_t)k;
        else if (errno != EINTR || stop_set(stop))
            return -1;
    }
}

/* Raw text cut into samples: each starts at a <|begin_of_text|> that does
 * not follow another one, and runs to the next such, its separator
 * included.  The buffer holds buf[pos, len) unread; a sample handed out
 * stays valid until the next call. */
typedef struct rawsplit {
    source *src;
    const char *name;
    const volatile sig_atomic_t *stop;
    size_t max;
    lf_buf buf;
    size_t pos;
    int eof;
    int started;
    uint64_t line, col;
    uint64_t consumed;
} rawsplit;

/* Read one more block.  1, 0 at the end, -1 with errno. */
static int rs_fill(rawsplit *rs)
{
    if (rs->eof)
        return 0;
    if (lf_buf_reserve(&rs->buf, BLOCK) != 0) {
        errno = ENOMEM;
        return -1;
    }
    for (;;) {
        long k = src_read(rs->src, rs->buf.data + rs->buf.len, BLOCK);
        if (k > 0) {
            rs->buf.len += (size_t)k;
            return 1;
        }
        if (k == 0) {
            rs->eof = 1;
            return 0;
        }
        if (errno != EINTR || stop_set(rs->stop))
            return -1;
    }
}

/* Move past n bytes, keeping line and column. */
static void rs_advance(rawsplit *rs, size_t n)
{
    const char *p = rs->buf.data + rs->pos, *e = p + n;
    for (const char *nl; (nl = memchr(p, '\n', (size_t)(e - p))) != NULL; p = nl + 1) {
        rs->line++;
        rs->col = 1;
    }
    rs->col += (uint64_t)(e - p);
    rs->pos += n;
    rs->consumed += n;
}

/* Drop the bytes already handed out. */
static void rs_compact(rawsplit *rs)
{
    if (rs->pos == 0)
        return;
    memmove(rs->buf.data, rs->buf.data + rs->pos, rs->buf.len - rs->pos);
    rs->buf.len -= rs->pos;
    rs->pos = 0;
}

static int rs_error(rawsplit *rs, lf_error *err, int errnum)
{
    lf_error_at(err, rs->name, 0, 0);
    if (errnum == ENOMEM)
        lf_error_set(err, LF_E_NOMEM, "out of memory");
    else if (errnum == EINTR)
        lf_error_set(err, LF_E_INTERRUPTED, "interrupted");
    else if (errnum == EBADMSG)
        lf_error_set(err, LF_E_IO, "corrupt or truncated compressed input");
    else
        lf_error_set(err, LF_E_IO, "read error: %s", strerror(errnum));
    return -1;
}

/* Next sample: 1 and *rec; 0 at the end; -1 with err (LF_E_TOO_LARGE: the
 * sample was skipped, call again; otherwise reading stopped). */
static int rs_next(rawsplit *rs, lf_rawrec *rec, lf_error *err)
{
    if (rs->pos > BLOCK)
        rs_compact(rs);
    if (!rs->started) {
        rs->started = 1;
        while (rs->buf.len < 3 && !rs->eof)
            if (rs_fill(rs) < 0)
                return rs_error(rs, err, errno);
        if (rs->buf.len >= 3 && memcmp(rs->buf.data, "\xEF\xBB\xBF", 3) == 0) {
            rs->pos = 3;
            rs->consumed = 3;
            rs->col += 3;
        }
        /* blanks before the first sample */
        for (;;) {
            while (rs->pos < rs->buf.len && is_sep(rs->buf.data[rs->pos]))
                rs_advance(rs, 1);
            if (rs->pos < rs->buf.len || rs->eof)
                break;
            rs_compact(rs);
            if (rs_fill(rs) < 0)
                return rs_error(rs, err, errno);
        }
    }
    while (rs->pos == rs->buf.len && !rs->eof)
        if (rs_fill(rs) < 0)
            return rs_error(rs, err, errno);
    if (rs->pos == rs->buf.len)
        return 0;
    /* past the <|begin_of_text|> run that opens this sample */
    size_t from = rs->pos;
    for (;;) {
        while (rs->buf.len - from < LIT(BOS) && !rs->eof)
            if (rs_fill(rs) < 0)
                return rs_error(rs, err, errno);
        if (rs->buf.len - from >= LIT(BOS) && memcmp(rs->buf.data + from, BOS, LIT(BOS)) == 0)
            from += LIT(BOS);
        else
            break;
    }
    uint64_t line = rs->line, col = rs->col, start = rs->consumed;
    int skipping = 0;
    for (;;) {
        const char *q = find(rs->buf.data + from, rs->buf.len - from, BOS);
        if (q != NULL || rs->eof) {
            size_t stop = q ? (size_t)(q - rs->buf.data) : rs->buf.len;
            size_t n = stop - rs->pos;
            if (n > rs->max)
                skipping = 1;
            rec->data = skipping ? NULL : rs->buf.data + rs->pos;
            rec->len = skipping ? 0 : n;
            rs_advance(rs, n);
            break;
        }
        if (rs->buf.len - rs->pos > rs->max) {
            /* too large: go on without keeping it, save a possible token start */
            skipping = 1;
            size_t keep = rs->buf.len >= LIT(BOS) && rs->buf.len - LIT(BOS) > from ? rs->buf.len - LIT(BOS) : from;
            rs_advance(rs, keep - rs->pos);
            rs_compact(rs);
            from = 0;
        } else {
            from = rs->buf.len - from >= LIT(BOS) ? rs->buf.len - LIT(BOS) + 1 : from;
        }
        if (rs_fill(rs) < 0)
            return rs_error(rs, err, errno);
    }
    rec->file = rs->name;
    rec->line = line;
    rec->column = col;
    if (skipping) {
        lf_error_at(err, rs->name, line, col);
        lf_error_set(err, LF_E_TOO_LARGE, "sample of %llu bytes or more exceeds --max-record-size (%zu bytes)",
                     (unsigned long long)(rs->consumed - start), rs->max);
        return -1;
    }
    return 1;
}

/* ---- the run ---------------------------------------------------------------------- */

typedef struct prun {
    const lf_config *cfg;
    const lf_hooks *hooks;
    lf_stats *st;
    lf_out *out;
    lf_out *rej;
    lf_sample_parser *sp;
    lf_parse_opts po;
    lf_buf text;                /* the decoded "text" of a JSON record */
    lf_buf scratch;             /* kept values, as json.dumps writes them */
    lf_buf key;
    lf_kept *kept;
    size_t *kv;                 /* where each kept value starts and ends in the record */
    lf_progress prog;
    uint64_t bytes_before;      /* input bytes (as stored) of the files already done */
    lf_policy pol;              /* what happens to rejected records (pipeline.h) */
} prun;

/* A JSON record's "text" (decoded into r->text, *lit and *lit_len its literal
 * in the record) and --keep values (into r->kept).  A data error has its
 * position set. */
static lf_code json_record(prun *r, const lf_rawrec *rec, size_t *lit, size_t *lit_len, lf_error *e)
{
    const lf_config *cfg = r->cfg;
    const char *s = rec->data;
    size_t n = rec->len, at = 0;
    lf_code rc = LF_OK;
    jfail f = {0, LF_OK, NULL};
    size_t *vals = r->kv, *ends = r->kv + cfg->n_keep, nk = cfg->n_keep;
    for (size_t k = 0; k < nk; k++)
        vals[k] = ends[k] = 0;
    *lit = *lit_len = 0;
    size_t bad_utf8 = utf8_bad(s, n);
    size_t i = js_ws(s, n, 0);
    if (bad_utf8 < n) {
        at = bad_utf8;
        rc = lf_error_set(e, LF_E_UTF8, "invalid UTF-8 byte 0x%02x", (unsigned)(unsigned char)s[bad_utf8]);
    } else if (i < n && s[i] != '{') {
        size_t end = js_value(s, n, i, 0, &f);
        if (end == 0) {
            at = f.at;
            rc = lf_error_set(e, f.code, "%s%s", f.code == LF_E_JSON ? "invalid JSON: " : "", f.msg);
        } else {
            at = i;
            rc = lf_error_set(e, LF_E_TYPE, "a record must be a JSON object, found %s",
                              s[i] == '[' ? "an array" : s[i] == '"' ? "a string" : s[i] == 't' || s[i] == 'f' ? "a boolean"
                                                                              : s[i] == 'n' ? "null" : "a number");
        }
    } else {
        /* the members of the object, checked as the converter checks records */
        i = js_ws(s, n, i + 1);
        if (i < n && s[i] == '}')
            i++;
        else
            for (;;) {
                if (i >= n || s[i] != '"') {
                    at = i;
                    rc = lf_error_set(e, LF_E_JSON, "invalid JSON: expected an object key in double quotes");
                    break;
                }
                size_t k0 = i, ke = js_string(s, n, i, &f);
                if (ke == 0)
                    break;
                lf_buf_clear(&r->key);
                if (js_decode(s + k0, ke - k0, &r->key) != 0 || lf_buf_putc(&r->key, '\0') != 0)
                    return lf_error_set(e, LF_E_NOMEM, "out of memory");
                i = js_ws(s, n, ke);
                if (i >= n || s[i] != ':') {
                    at = i;
                    rc = lf_error_set(e, LF_E_JSON, "invalid JSON: expected ':' after an object key");
                    break;
                }
                size_t v = js_ws(s, n, i + 1), ve = js_value(s, n, v, 1, &f);
                if (ve == 0)
                    break;
                const char *key = r->key.data;
                int is_text = r->key.len == 5 && memcmp(key, "text", 5) == 0;
                if (is_text && *lit_len > 0) {
                    at = k0;
                    rc = lf_error_set(e, LF_E_DUP_KEY, "duplicate key \"text\"");
                    break;
                }
                if (is_text && s[v] != '"') {
                    at = v;
                    rc = lf_error_set(e, LF_E_TYPE, "text: expected a string, found %s",
                                      s[v] == '{' ? "an object" : s[v] == '[' ? "an array" : s[v] == 't' || s[v] == 'f' ? "a boolean"
                                                                                  : s[v] == 'n' ? "null" : "a number");
                    break;
                }
                if (is_text) {
                    *lit = v;
                    *lit_len = ve - v;
                }
                for (size_t k = 0; k < nk && rc == LF_OK; k++)
                    if (strcmp(cfg->keep[k], key) == 0) {
                        if (ends[k] != 0) {
                            at = k0;
                            rc = lf_error_set(e, LF_E_DUP_KEY, "duplicate key \"%s\"", key);
                        }
                        vals[k] = v;
                        ends[k] = ve;
                    }
                if (rc != LF_OK)
                    break;
                i = js_ws(s, n, ve);
                if (i < n && s[i] == ',') {
                    i = js_ws(s, n, i + 1);
                    continue;
                }
                if (i < n && s[i] == '}') {
                    i++;
                    break;
                }
                at = i;
                rc = lf_error_set(e, LF_E_JSON, "invalid JSON: expected ',' or '}'");
                break;
            }
        if (rc == LF_OK && f.msg != NULL) {
            at = f.at;
            rc = lf_error_set(e, f.code, "%s%s", f.code == LF_E_JSON ? "invalid JSON: " : "", f.msg);
        }
        if (rc == LF_OK && js_ws(s, n, i) < n) {
            at = js_ws(s, n, i);
            rc = lf_error_set(e, LF_E_JSON, "invalid JSON: unexpected data after the record");
        }
        if (rc == LF_OK && *lit_len == 0) {
            at = 0;
            rc = lf_error_set(e, LF_E_SHAPE,
                              "no \"text\" key (--parse reads {\"text\": SAMPLE} records or raw text samples)");
        }
        for (size_t k = 0; rc == LF_OK && k < cfg->n_keep; k++)
            if (ends[k] == 0) {
                at = 0;
                rc = lf_error_set(e, LF_E_SHAPE, "missing key \"%s\" (named by --keep)", cfg->keep[k]);
            }
    }
    if (rc == LF_OK) {
        lf_buf_clear(&r->text);
        if (js_decode(s + *lit, *lit_len, &r->text) != 0)
            return lf_error_set(e, LF_E_NOMEM, "out of memory");
        /* kept values, written once in Python's form */
        lf_buf_clear(&r->scratch);
        for (size_t k = 0; k < cfg->n_keep; k++) {
            size_t mark = r->scratch.len;
            if (lf_json_dump(&r->scratch, s + vals[k], ends[k] - vals[k], -1, e) != 0) {
                if (e->code == LF_E_NOMEM)
                    return LF_E_NOMEM;
                at = vals[k];
                rc = e->code;
                char pre[128];
                snprintf(pre, sizeof pre, "%s", cfg->keep[k]);
                lf_error_prefix(e, pre);
                break;
            }
            r->kept[k].key = cfg->keep[k];
            r->kept[k].len = r->scratch.len - mark;
            r->kept[k].dumped = 1;
        }
        for (size_t k = 0, off = 0; rc == LF_OK && k < cfg->n_keep; off += r->kept[k].len, k++)
            r->kept[k].json = r->scratch.data + off;
    }
    if (lf_code_is_data(rc)) {
        uint64_t line, col;
        lf_rawrec_position(rec, at, &line, &col);
        lf_error_at(e, rec->file, line, col);
    }
    return rc;
}

/* One record: parse its sample, write its messages or reject it.  LF_OK to
 * go on, or the code that ends the run. */
static lf_code one_record(prun *r, const lf_rawrec *rec, int raw, lf_error *err)
{
    const lf_config *cfg = r->cfg;
    lf_error e = LF_ERROR_INIT;
    lf_error_clear(&e);
    const char *text = rec->data;
    size_t len = rec->len, lit = 0, lit_len = 0;
    lf_code rc = LF_OK;
    if (raw) {
        if (cfg->n_keep > 0) {
            lf_error_at(&e, rec->file, rec->line, rec->column);
            rc = lf_error_set(&e, LF_E_SHAPE, "missing key \"%s\" (named by --keep): raw text samples have no keys",
                              cfg->keep[0]);
        }
    } else {
        rc = json_record(r, rec, &lit, &lit_len, &e);
        text = r->text.data;
        len = r->text.len;
    }
    lf_parsed parsed;
    size_t at = 0;
    if (rc == LF_OK) {
        r->po.raw = raw;
        rc = lf_parse_sample(r->sp, &r->po, text ? text : "", len, &parsed, &at, &e);
        if (lf_code_is_data(rc)) {
            size_t off = raw ? at : lit + js_raw_offset(rec->data + lit, lit_len, at);
            uint64_t line, col;
            lf_rawrec_position(rec, off, &line, &col);
            lf_error_at(&e, rec->file, line, col);
        }
    }
    if (rc == LF_OK) {
        const lf_conversation *conv = parsed.conv;
        rc = lf_write_messages(r->out, conv, conv->n, conv->gen_prompt == 1, r->kept, raw ? 0 : cfg->n_keep, &e);
        if (lf_code_is_data(rc))
            lf_error_at(&e, rec->file, rec->line, rec->column);
        else if (rc != LF_OK) {
            *err = e;
            return rc;
        } else {
            r->st->records_read++;
            r->st->records_converted++;
            r->st->samples_written++;
            return LF_OK;
        }
    }
    if (!lf_code_is_data(rc)) {
        *err = e;
        return rc;
    }
    return lf_policy_reject(&r->pol, rec, &e, err);
}

static void progress(prun *r, int fd)
{
    lf_progress_report(r->hooks, &r->prog, r->st, r->bytes_before, fd);
}

/* The records of one opened input. */
static lf_code parse_fd(prun *r, source *src, const char *name, lf_error *err)
{
    const volatile sig_atomic_t *stop = r->hooks ? r->hooks->stop : NULL;
    int first;
    if (peek(src, stop, &first) != 0) {
        int errnum = errno;
        lf_error_at(err, name, 0, 0);
        if (errnum == ENOMEM)
            return lf_error_set(err, LF_E_NOMEM, "out of memory");
        if (errnum == EINTR)
            return lf_error_set(err, LF_E_INTERRUPTED, "interrupted");
        if (errnum == EBADMSG)
            return lf_error_set(err, LF_E_IO, "corrupt or truncated compressed input");
        return lf_error_set(err, LF_E_IO, "read error: %s", strerror(errnum));
    }
    if (first < 0) {
        r->st->bytes_read += src->pre.len;
        return LF_OK;
    }
    int raw = first != '{' && first != '[';
    lf_reader *rd = NULL;
    rawsplit rs;
    memset(&rs, 0, sizeof rs);
    if (raw) {
        rs.src = src;
        rs.name = name;
        rs.stop = stop;
        rs.max = r->cfg->max_record ? r->cfg->max_record : 1;
        rs.line = rs.col = 1;
    } else {
        if ((rd = lf_reader_new(src->fd, name, r->cfg->max_record)) == NULL)
            return lf_error_set(err, LF_E_NOMEM, "out of memory");
        lf_reader_set_stop(rd, stop);
        lf_reader_set_source(rd, src_read, src);
    }
    lf_code rc = LF_OK;
    uint64_t done = 0;
    for (;;) {
        if (stop_set(stop)) {
            rc = lf_error_set(err, LF_E_INTERRUPTED, "interrupted");
            break;
        }
        lf_rawrec rec;
        lf_error e = LF_ERROR_INIT;
        lf_error_clear(&e);
        int k = raw ? rs_next(&rs, &rec, &e) : lf_reader_next(rd, &rec, &e);
        if (k == 0)
            break;
        if (k < 0 && !lf_code_is_data(e.code)) {
            *err = e;
            rc = e.code;
            break;
        }
        rc = k < 0 ? lf_policy_reject(&r->pol, &rec, &e, err) : one_record(r, &rec, raw, err);
        if (rc != LF_OK)
            break;
        if (++done % 1024 == 0)
            progress(r, src->fd);
    }
    r->st->bytes_read += raw ? rs.consumed : lf_reader_bytes(rd);
    lf_reader_free(rd);
    lf_buf_free(&rs.buf);
    return rc;
}

/* Open, decode and parse one input; "-" is standard input. */
static lf_code parse_path(prun *r, const char *path, lf_error *err)
{
    lf_input in;
    lf_code rc = lf_input_open(path, &in, err);
    if (rc != LF_OK)
        return rc;
    source src;
    memset(&src, 0, sizeof src);
    src.fd = in.fd;
    src.dec = in.dec;
    r->st->files++;
    rc = parse_fd(r, &src, in.name, err);
    if ((rc == LF_E_IO || rc == LF_E_NOMEM) && err->file == NULL)
        lf_error_at(err, in.name, 0, 0);
    progress(r, in.fd);
    r->bytes_before += in.size;
    r->prog.files_done++;
    lf_buf_free(&src.pre);
    lf_input_close(&in);
    return rc;
}

lf_code lf_parse_run(const lf_config *cfg, const lf_hooks *hooks, lf_stats *st, lf_error *err)
{
    prun r;
    memset(&r, 0, sizeof r);
    memset(st, 0, sizeof *st);
    lf_error_clear(err);
    r.cfg = cfg;
    r.hooks = hooks;
    r.pol = (lf_policy){cfg, hooks, st, NULL};
    r.st = st;
    r.po.profile = cfg->tpl.profile;
    r.po.date = cfg->tpl.date;
    r.po.end_of_text = cfg->tpl.end_of_text < 0 ? -1 : cfg->tpl.end_of_text != 0;
    const volatile sig_atomic_t *stop = hooks ? hooks->stop : NULL;
    lf_plan plan;
    memset(&plan, 0, sizeof plan);
    lf_code rc = lf_refuse_input(cfg, cfg->output, err);
    if (rc == LF_OK)
        rc = lf_refuse_input(cfg, cfg->rejects, err);
    if (rc != LF_OK)
        return rc;
    if (cfg->recursive) {
        lf_walk_opts wo = {NULL, 1, cfg->follow_symlinks, 0, cfg->compress};
        if ((rc = lf_plan_build(&wo, cfg->inputs, cfg->n_inputs, &plan, err)) != LF_OK) {
            lf_plan_free(&plan);
            return rc;
        }
    }
    lf_code open_failed = LF_OK;
    r.sp = lf_sample_parser_new();
    r.kept = calloc(cfg->n_keep ? cfg->n_keep : 1, sizeof *r.kept);
    r.kv = calloc(cfg->n_keep ? 2 * cfg->n_keep : 1, sizeof *r.kv);
    if (r.sp == NULL || r.kept == NULL || r.kv == NULL) {
        rc = lf_error_set(err, LF_E_NOMEM, "out of memory");
        goto done;
    }
    if (cfg->rejects != NULL && (r.rej = lf_out_open(cfg->rejects, stop, err)) == NULL) {
        rc = err->code;
        goto done;
    }
    r.pol.rej = r.rej;
    if ((r.out = lf_out_open(cfg->output, stop, err)) == NULL) {
        rc = err->code;
        goto done;
    }
    if (cfg->output != NULL && lf_out_set_codec(r.out, lf_codec_of_path(cfg->output)) != 0) {
        rc = lf_error_set(err, LF_E_NOMEM, "out of memory");
        goto done;
    }
    size_t n = cfg->recursive ? plan.n : (cfg->n_inputs ? cfg->n_inputs : 1);
    r.prog.files_total = n;
    for (size_t i = 0; i < n && rc == LF_OK; i++) {
        const char *path = cfg->recursive ? plan.jobs[i].input : cfg->n_inputs ? cfg->inputs[i] : "-";
        lf_error e = LF_ERROR_INIT;
        lf_error_clear(&e);
        lf_code frc = parse_path(&r, path, &e);
        if (frc == LF_E_IO && cfg->on_error == LF_ON_ERROR_SKIP) {
            st->files_failed++;
            lf_policy_report(&r.pol, &e);
            if (open_failed == LF_OK)
                *err = e;
            open_failed = LF_E_IO;
            continue;
        }
        if (frc != LF_OK) {
            *err = e;
            rc = frc;
        }
    }
    if (rc == LF_OK && open_failed != LF_OK)
        rc = open_failed;
    st->bytes_written = r.out ? lf_out_bytes(r.out) : 0;

done:
    if (plan.jobs != NULL) {
        /* errors may name walked files: the statistics keep the names */
        lf_plan *kept = malloc(sizeof *kept);
        if (kept != NULL) {
            *kept = plan;
            st->owned = kept;
        } else {
            lf_plan_free(&plan);
            lf_error_clear(err);
            rc = lf_error_set(err, LF_E_NOMEM, "out of memory");
        }
    }
    /* as lf_convert: the rejects file is committed also after a data error
     * (it holds the record that stopped the run), the output only after a
     * complete run, except that standard output keeps what came before */
    if (r.rej != NULL) {
        lf_error e2 = LF_ERROR_INIT;
        if (rc == LF_OK || lf_code_is_data(rc) || (rc == LF_E_IO && open_failed != LF_OK)) {
            lf_code c2 = lf_out_commit(r.rej, &e2);
            if (c2 != LF_OK) {
                *err = e2;
                rc = c2;
            }
        }
        lf_out_abort(r.rej);
    }
    if (r.out != NULL) {
        int keep = rc == LF_OK || (rc == LF_E_IO && open_failed != LF_OK) ||
                   (cfg->output == NULL && lf_code_is_data(rc));
        if (keep) {
            lf_error e2 = LF_ERROR_INIT;
            lf_code c2 = lf_out_commit(r.out, &e2);
            if (c2 != LF_OK) {
                *err = e2;
                rc = c2;
            }
        }
        lf_out_abort(r.out);
    }
    lf_sample_parser_free(r.sp);
    free(r.kept);
    free(r.kv);
    lf_buf_free(&r.text);
    lf_buf_free(&r.scratch);
    lf_buf_free(&r.key);
    return rc;
}
