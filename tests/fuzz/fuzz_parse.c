/*
 * fuzz_parse.c - lf_parse_sample (--parse): Llama 3 text samples back into
 * conversations, checked by rendering those again (lf_render).
 *
 * Input layout:
 *   byte 0   selector:
 *              bits 0-1  end_of_text of the parse options: 0, 3: -1 (optional);
 *                        1: 1 (required); 2: 0 (refused)
 *              bit 2     the date of the options (render and parse): "01 Jan 2025",
 *                        else NULL (LF_DEFAULT_DATE)
 *              bit 3     generated: rendered without <|begin_of_text|>
 *              bits 4-5  generated: the separators after the sample in raw
 *                        text: none, "\n", "\0", " \n\t\0\r\n"
 *              bit 6     the rest builds a conversation (below) that is
 *                        rendered under each profile, and each sample parsed
 *                        (as a "text" sample and as raw text); else the rest
 *                        is one sample, parsed under each profile, raw and not
 *              bit 7     generated: render with end_of_text 0 (else -1, on)
 *   generated: a messages record, read from the bytes in turn (0 when they
 *   run out):
 *     flags    bit 0 a system message first; bits 1-2 tools: none, "tools",
 *              "builtin_tools", both; bit 3 "tools_in_user_message": false;
 *              bit 4 "add_generation_prompt": true; bit 5 "date_string";
 *              bit 6 contents are the input's bytes (made valid UTF-8), else
 *              words of a plain alphabet; bit 7 special-token text in
 *              contents (record policy allow)
 *     count    1 + count % 6 messages, each: a kind byte (role, tool call,
 *              tool result form, call name and arguments), a length byte and
 *              that many content bytes (a final assistant is added to
 *              training samples that lack one)
 *     mutate   when non-zero, the samples are then edited: 2 bytes of
 *              position, 1 of bytes deleted, and the rest of the input
 *              inserted there.
 *   The record goes through lf_record_parse (as the converter reads it);
 *   records it rejects are not rendered.
 *
 * Invariants (parse.h):
 *   - the result is LF_OK, or LF_E_SAMPLE / LF_E_UTF8 (never LF_E_NOMEM
 *     here) with *out zeroed and a one-line message "sample byte N: ..."
 *     where N is the offset *at, inside the text (<= its length);
 *     LF_E_UTF8 exactly when the text is not valid UTF-8, at its first bad
 *     byte (checked by fuzz_common.h's own validator);
 *   - LF_OK: out.len is the text's length, or (raw) only separators (NUL or
 *     whitespace) follow it; the sample is valid UTF-8 without NUL bytes;
 *     out.bos and out.end_of_text say whether it starts with
 *     <|begin_of_text|> and ends with <|end_of_text|> (raw text: it starts
 *     with it; --end-of-text / --no-end-of-text respected); the messages
 *     are valid UTF-8 without special-token text (nor are tool names,
 *     built-in tool names, arguments or the date); and lf_render of the
 *     conversation returned, with the profile and date of the options and
 *     bos / end_of_text as found, gives back exactly out.len bytes of the
 *     text;
 *   - the same text parsed again by the same parser gives the same result;
 *     raw and not raw agree when the text starts with <|begin_of_text|> and
 *     does not end with a separator;
 *   - a generated conversation whose sample renders is parsed back (unless
 *     raw text lacks <|begin_of_text|> or end_of_text is required / refused
 *     and absent / present), with bos and end_of_text as rendered, when it
 *     has no special-token text, no built-in tool name made of input bytes
 *     and no infinite tool result (see build_record); one without tools,
 *     calls or raw bytes (plain words, string tool results) comes back as
 *     the same messages: the same roles, the same texts (official:
 *     stripped as Python's str.strip() does, an empty system message
 *     dropped), the generation prompt and the date.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "llamafmt/buf.h"
#include "llamafmt/error.h"
#include "llamafmt/parse.h"
#include "llamafmt/record.h"
#include "llamafmt/template.h"

#define BOS "<|begin_of_text|>"
#define EOT_TEXT "<|end_of_text|>"

static const char OPT_DATE[] = "01 Jan 2025";
static const char REC_NAME[] = "<fuzz-record>";

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

static void put(lf_buf *b, const void *p, size_t n)
{
    if (lf_buf_append(b, p, n) != 0)
        abort();
}

static void puts_(lf_buf *b, const char *s) { put(b, s, strlen(s)); }

static int is_sep(unsigned char c) { return c == '\0' || c == ' ' || (c >= '\t' && c <= '\r'); }

static int has_prefix(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    return n >= k && memcmp(s, lit, k) == 0;
}

static int has_suffix(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    return n >= k && memcmp(s + n - k, lit, k) == 0;
}

/* ------------------------------------------------------------------------ */
/* Checking one parse                                                       */
/* ------------------------------------------------------------------------ */

/* Valid UTF-8 without special-token text (and without NUL when asked). */
static void clean_text(const char *s, size_t n, int nul_ok, const char *what, size_t i)
{
    FUZZ_CHECK(n == 0 || s != NULL, "%s %zu: NULL text of %zu bytes", what, i, n);
    if (n == 0)
        return;
    size_t bad = fz_utf8_bad_at((const unsigned char *)s, n);
    FUZZ_CHECK(bad == n, "%s %zu: invalid UTF-8 at byte %zu", what, i, bad);
    size_t tl;
    long at = fz_find_special(s, n, 0, &tl);
    FUZZ_CHECK(at < 0, "%s %zu: special-token text \"%.*s\" at byte %ld", what, i, (int)tl, at >= 0 ? s + at : "",
               at);
    FUZZ_CHECK(nul_ok || memchr(s, '\0', n) == NULL, "%s %zu: a NUL byte", what, i);
}

static void check_conversation(const lf_conversation *c)
{
    FUZZ_CHECK(c->n >= 1 && c->msgs != NULL, "a conversation of %zu messages", c->n);
    FUZZ_CHECK(c->gen_prompt == 1 || c->gen_prompt == -1, "gen_prompt %d", c->gen_prompt);
    for (size_t i = 0; i < c->n; i++) {
        const lf_message *m = &c->msgs[i];
        FUZZ_CHECK(m->role < LF_ROLE_COUNT, "message %zu: role %d", i, (int)m->role);
        clean_text(m->text, m->len, 0, "message", i);
        if (m->json.n > 0)
            clean_text(m->json.p, m->json.n, 0, "tool result JSON of message", i);
        if (m->call != NULL) {
            const lf_tool_call *call = m->call;
            FUZZ_CHECK(m->role == LF_ROLE_ASSISTANT, "message %zu: a tool call in a %d message", i, (int)m->role);
            FUZZ_CHECK(call->name != NULL, "message %zu: a call without a name", i);
            clean_text(call->name, strlen(call->name), 0, "tool name of message", i);
            clean_text(call->args.p, call->args.n, 0, "arguments of message", i);
            for (size_t k = 0; k < call->n_args; k++) {
                clean_text(call->arg_names[k], strlen(call->arg_names[k]), 0, "argument name of message", i);
                if (call->arg_strings != NULL)
                    clean_text(call->arg_strings[k], strlen(call->arg_strings[k]), 0, "argument of message", i);
            }
        }
    }
    for (size_t k = 0; k < c->n_builtin; k++)
        clean_text(c->builtin[k], strlen(c->builtin[k]), 0, "built-in tool", k);
    for (size_t k = 0; k < c->n_tools; k++)
        clean_text(c->tools[k].p, c->tools[k].n, 0, "tool spec", k);
    if (c->date != NULL)
        clean_text(c->date, c->date_len, 0, "date", 0);
}

/* What one parse gave: kept to compare parses. */
typedef struct result {
    lf_code rc;
    size_t at, len;
    int bos, eot;
    lf_buf render;          /* LF_OK: the conversation rendered again */
} result;

/* Parse text[0..n) with o; check everything; the result in *res. */
static void check_parse(lf_sample_parser *p, const lf_parse_opts *o, const char *text, size_t n, lf_sample *s,
                        result *res, lf_parsed *keep)
{
    const char *pname = lf_profile_name(o->profile);
    lf_parsed out;
    memset(&out, 0x5A, sizeof out);
    size_t at = 12345;
    lf_error err;
    lf_error_clear(&err);
    lf_code rc = lf_parse_sample(p, o, text, n, &out, &at, &err);
    res->rc = rc;
    res->render.len = 0;
    size_t bad = fz_utf8_bad_at((const unsigned char *)text, n);
    if (rc != LF_OK) {
        FUZZ_CHECK(rc != LF_E_NOMEM, "%s: LF_E_NOMEM on %zu bytes", pname, n);
        FUZZ_CHECK(rc == LF_E_SAMPLE || rc == LF_E_UTF8, "%s: code %d (%s)", pname, (int)rc, err.msg);
        FUZZ_CHECK(err.code == rc && strchr(err.msg, '\n') == NULL, "%s: error %d not filled in: \"%s\"", pname,
                   (int)err.code, err.msg);
        FUZZ_CHECK(out.conv == NULL && out.len == 0 && out.bos == 0 && out.end_of_text == 0,
                   "%s: *out not cleared on error", pname);
        FUZZ_CHECK(at <= n, "%s: error at byte %zu of %zu (%s)", pname, at, n, err.msg);
        char pre[64];
        int k = snprintf(pre, sizeof pre, "sample byte %zu: ", at);
        FUZZ_CHECK(strncmp(err.msg, pre, (size_t)k) == 0 && err.msg[k] != '\0',
                   "%s: the message does not start with \"%s\": \"%s\"", pname, pre, err.msg);
        FUZZ_CHECK((rc == LF_E_UTF8) == (bad < n), "%s: code %d, but the text is %svalid UTF-8 (%s)", pname, (int)rc,
                   bad < n ? "not " : "", err.msg);
        if (rc == LF_E_UTF8)
            FUZZ_CHECK(at == bad, "%s: invalid UTF-8 reported at byte %zu, it is at %zu", pname, at, bad);
        res->at = at;
        res->len = 0;
        res->bos = res->eot = 0;
        return;
    }
    FUZZ_CHECK(bad == n, "%s: accepted, but the text is not valid UTF-8 at byte %zu", pname, bad);
    FUZZ_CHECK(out.conv != NULL, "%s: LF_OK without a conversation", pname);
    FUZZ_CHECK(out.len <= n, "%s: a sample of %zu bytes in a text of %zu", pname, out.len, n);
    if (o->raw) {
        for (size_t i = out.len; i < n; i++)
            FUZZ_CHECK(is_sep((unsigned char)text[i]), "%s: byte %zu after the sample (%zu) is 0x%02x, not a separator",
                       pname, i, out.len, (unsigned char)text[i]);
    } else {
        FUZZ_CHECK(out.len == n, "%s: the sample is %zu of the %zu bytes", pname, out.len, n);
    }
    FUZZ_CHECK(memchr(text, '\0', out.len) == NULL, "%s: accepted a sample with a NUL byte", pname);
    FUZZ_CHECK(out.bos == has_prefix(text, out.len, BOS), "%s: bos %d", pname, out.bos);
    FUZZ_CHECK(!o->raw || out.bos, "%s: raw text without <|begin_of_text|> accepted", pname);
    FUZZ_CHECK(out.end_of_text == has_suffix(text, out.len, EOT_TEXT), "%s: end_of_text %d", pname, out.end_of_text);
    const lf_conversation *c = out.conv;
    check_conversation(c);
    int prompt = c->gen_prompt == 1;
    FUZZ_CHECK(!(o->end_of_text == 1 && !prompt && !out.end_of_text), "%s: no <|end_of_text|>, but it is required",
               pname);
    FUZZ_CHECK(!(o->end_of_text == 0 && out.end_of_text), "%s: <|end_of_text|> accepted, but it is refused", pname);
    FUZZ_CHECK(!prompt || !out.end_of_text, "%s: a generation prompt with <|end_of_text|>", pname);

    /* the round trip: render -> the same bytes */
    lf_template_opts to = {o->profile, o->date, out.bos, out.end_of_text, 0};
    size_t which = 0;
    lf_error_clear(&err);
    lf_code r = lf_render(&to, c, s, &which, &err);
    FUZZ_CHECK(r == LF_OK, "%s: the conversation returned does not render: %d %s", pname, (int)r, err.msg);
    size_t d = 0;
    while (d < s->text.len && d < out.len && s->text.data[d] == text[d])
        d++;
    FUZZ_CHECK(d == s->text.len && d == out.len,
               "%s: the conversation renders to %zu bytes, the sample is %zu; they differ from byte %zu:\n"
               "*** sample: \"%.*s\"\n*** render: \"%.*s\"",
               pname, s->text.len, out.len, d, (int)(out.len - d > 80 ? 80 : out.len - d), text + d,
               (int)(s->text.len - d > 80 ? 80 : s->text.len - d), s->text.data + d);
    res->at = 0;
    res->len = out.len;
    res->bos = out.bos;
    res->eot = out.end_of_text;
    put(&res->render, s->text.data, s->text.len);
    if (keep != NULL)
        *keep = out;
}

static void same_result(const result *a, const result *b, const char *what)
{
    FUZZ_CHECK(a->rc == b->rc && a->at == b->at && a->len == b->len && a->bos == b->bos && a->eot == b->eot &&
                   a->render.len == b->render.len &&
                   (a->render.len == 0 || memcmp(a->render.data, b->render.data, a->render.len) == 0),
               "%s: code %d at %zu (len %zu) vs code %d at %zu (len %zu)", what, (int)a->rc, a->at, a->len,
               (int)b->rc, b->at, b->len);
}

/* Parse text under o twice with p (the parser reused), and check that
 * both give the same. */
static void parse_twice(lf_sample_parser *p, const lf_parse_opts *o, const char *text, size_t n, lf_sample *s,
                        result *r1)
{
    result r2;
    memset(&r2, 0, sizeof r2);
    check_parse(p, o, text, n, s, r1, NULL);
    check_parse(p, o, text, n, s, &r2, NULL);
    same_result(r1, &r2, "parsing the same text again");
    lf_buf_free(&r2.render);
}

/* Every profile, raw and not. */
static void parse_text(uint8_t sel, const char *text, size_t n)
{
    lf_sample_parser *p = lf_sample_parser_new();
    if (p == NULL)
        abort();
    lf_sample s;
    memset(&s, 0, sizeof s);
    int eot = (sel & 3) == 1 ? 1 : (sel & 3) == 2 ? 0 : -1;
    const char *date = (sel & 4) ? OPT_DATE : NULL;
    /* raw and not agree when nothing is cut off the text */
    int comparable = has_prefix(text, n, BOS) && n > 0 && !is_sep((unsigned char)text[n - 1]);
    for (int prof = 0; prof < LF_PROFILE_COUNT; prof++) {
        result res[2];
        memset(res, 0, sizeof res);
        for (int raw = 0; raw < 2; raw++) {
            lf_parse_opts o = {(lf_profile)prof, date, raw, eot};
            parse_twice(p, &o, text, n, &s, &res[raw]);
        }
        if (comparable)
            FUZZ_CHECK((res[0].rc == LF_OK) == (res[1].rc == LF_OK) && res[0].render.len == res[1].render.len,
                       "%s: a text sample parses with code %d, the same raw text with %d",
                       lf_profile_name((lf_profile)prof), (int)res[0].rc, (int)res[1].rc);
        lf_buf_free(&res[0].render);
        lf_buf_free(&res[1].render);
    }
    lf_sample_free(&s);
    lf_sample_parser_free(p);
}

/* ------------------------------------------------------------------------ */
/* Generated conversations                                                  */
/* ------------------------------------------------------------------------ */

typedef struct cursor {
    const uint8_t *p;
    size_t n;
} cursor;

static uint8_t rd(cursor *c)
{
    if (c->n == 0)
        return 0;
    c->n--;
    return *c->p++;
}

/* The plain alphabet: words without '{', '|' or control characters other
 * than \t \r \n, so no special token, tool call or JSON can be spelled. */
static const char *const WORDS[32] = {
    "a",  "b",  "xyz", "Hi", "the", " ",  "  ",  "\n", "\n\n", "\t",  "1",         "42",           ".",
    ",",  "!",  "?",   "'s", "\"",  "\\", "<",   ">",  "\xC3\xA9" /* e acute */,   "\xED\x95\x9C" /* Korean */,
    "\xE5\x9B\xBD", "\xF0\x9F\x99\x82" /* emoji */, "\xC2\xA0" /* NBSP */, "\xE3\x80\x80" /* U+3000 */,
    " \n", "-", "(", "\r\n", "\xE2\x80\xA8" /* U+2028 */,
};

static const char *const SPECIALS[] = {
    "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
    "<|eom_id|>",        "<|python_tag|>",  "<|reserved_special_token_7|>",
};

/* A JSON string of s[0..n) (valid UTF-8). */
static void put_json_string(lf_buf *b, const char *s, size_t n)
{
    puts_(b, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            put(b, e, 2);
        } else if (c < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", c);
            put(b, e, 6);
        } else {
            put(b, &s[i], 1);
        }
    }
    puts_(b, "\"");
}

/* Content: len units from the cursor, plain words or bytes (made valid
 * UTF-8, NUL bytes left out), maybe with special-token text. */
static void content(cursor *c, lf_buf *t, unsigned flags, int dateish)
{
    t->len = 0;
    size_t len = rd(c) % 24;
    for (size_t i = 0; i < len; i++) {
        uint8_t v = rd(c);
        if (dateish) {
            char d = (char)(v % 3 == 0 ? ' ' : v % 3 == 1 ? 'A' + v % 26 : '0' + v % 10);
            put(t, &d, 1);
        } else if (flags & 0x40) {
            if (v != 0)
                put(t, &v, 1);
        } else {
            puts_(t, WORDS[v % 32]);
        }
    }
    if ((flags & 0x80) && !dateish && (rd(c) & 1))
        puts_(t, SPECIALS[rd(c) % (sizeof SPECIALS / sizeof SPECIALS[0])]);
    if (flags & 0x40) {
        /* invalid UTF-8 becomes '?' */
        size_t i = 0;
        while ((i = fz_utf8_bad_at((const unsigned char *)t->data, t->len)) < t->len)
            t->data[i] = '?';
    }
}

static const char *const TOOL_SPECS[] = {
    "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather\", "
    "\"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}}}",
    "{\"name\": \"calc\", \"parameters\": {\"x\": 1.5e3, \"ok\": true, \"n\": null, \"s\": \"a\\\"b\\u00e9\\n\"}}",
};
static const char *const CALL_NAMES[] = {"get_weather", "brave_search", "wolfram_alpha", "code_interpreter",
                                         "photogen",    "calc",         NULL};
static const char *const RESULTS[] = {"42", "-1.5e-7", "1e400", "true", "false", "null", "{\"k\": [1, \"v\"]}",
                                      "[1, 2.50]", "{}"};

/* A messages record from the cursor.  *strict when every sample rendered
 * from it must parse back: no special-token text, no built-in tool name of
 * the input's bytes (a name holding ", " or a line end, or an empty one,
 * cannot be read back from the Tools line) and no tool result that
 * overflows a double (official writes it "inf", and the messages record
 * would hold Infinity, as json.dumps writes it, which is not JSON and which
 * the parser's own check reads back as an error).  *plain when it is
 * strict, has no tools, tool calls or raw bytes, and every tool result is a
 * string: then the messages come back as they were. */
static void build_record(cursor *c, lf_buf *rec, int *strict, int *plain, int *prompt)
{
    lf_buf t = LF_BUF_INIT;
    unsigned flags = rd(c);
    *strict = !(flags & 0x80);
    *plain = (flags & 0xC6) == 0;
    *prompt = !!(flags & 0x10);
    size_t count = 1 + rd(c) % 6;
    puts_(rec, "{\"messages\": [");
    int last_assistant = 0;
    for (size_t i = 0; i < count + 1; i++) {
        int last = i == count;
        uint8_t kind = last ? 0x01 : rd(c);
        if (last && (*prompt || last_assistant))
            break;                              /* a training sample ends with an assistant turn */
        puts_(rec, i ? ", {\"role\": \"" : "{\"role\": \"");
        int role = (i == 0 && (flags & 1)) ? 3 : kind & 3;  /* 3 stands for system first */
        if (i > 0 && role == 3)
            role = 1;
        static const char *const roles[] = {"user", "assistant", "tool", "system"};
        puts_(rec, roles[role]);
        puts_(rec, "\", ");
        last_assistant = role == 1;
        if (role == 1 && (kind & 4)) {
            *plain = 0;
            const char *name = CALL_NAMES[(kind >> 3) % (sizeof CALL_NAMES / sizeof CALL_NAMES[0])];
            content(c, &t, flags & 0x3F, 0);
            puts_(rec, "\"content\": ");
            put_json_string(rec, t.data, t.len);
            puts_(rec, ", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\": ");
            if (name == NULL) {
                content(c, &t, flags & 0x3F, 0);
                if (t.len == 0)
                    puts_(&t, "f");
                put_json_string(rec, t.data, t.len);
            } else {
                puts_(rec, "\"");
                puts_(rec, name);
                puts_(rec, "\"");
            }
            puts_(rec, ", \"arguments\": ");
            unsigned args = kind >> 6;
            if (args == 3) {
                puts_(rec, "{\"a\": 1, \"b\": [true, null]}");
            } else {
                static const char *const keys[] = {"query", "code", "city"};
                content(c, &t, flags, 0);
                puts_(rec, "{\"");
                puts_(rec, keys[args]);
                puts_(rec, "\": ");
                put_json_string(rec, t.data, t.len);
                puts_(rec, "}");
            }
            puts_(rec, "}}]}");
            continue;
        }
        puts_(rec, "\"content\": ");
        if (role == 2 && (kind >> 3) % 3 == 1) {
            *plain = 0;
            const char *r = RESULTS[(kind >> 5) % (sizeof RESULTS / sizeof RESULTS[0])];
            if (strcmp(r, "1e400") == 0)
                *strict = 0;
            puts_(rec, r);
        } else {
            content(c, &t, flags, 0);
            put_json_string(rec, t.data, t.len);
        }
        puts_(rec, "}");
    }
    puts_(rec, "]");
    if (flags & 2) {
        puts_(rec, ", \"tools\": [");
        puts_(rec, TOOL_SPECS[0]);
        if (flags & 0x20)
            puts_(rec, ", ");
        if (flags & 0x20)
            puts_(rec, TOOL_SPECS[1]);
        puts_(rec, "]");
    }
    if (flags & 4) {
        uint8_t b = rd(c);
        puts_(rec, ", \"builtin_tools\": [\"brave_search\"");
        if (b & 1)
            puts_(rec, ", \"code_interpreter\"");
        if (b & 2)
            puts_(rec, ", \"wolfram_alpha\"");
        if (b & 4) {
            *strict = 0;
            content(c, &t, flags & 0x3F, 0);
            puts_(rec, ", ");
            put_json_string(rec, t.data, t.len);
        }
        puts_(rec, "]");
    }
    if (flags & 8)
        puts_(rec, ", \"tools_in_user_message\": false");
    if (flags & 0x10)
        puts_(rec, ", \"add_generation_prompt\": true");
    if (flags & 0x20) {
        content(c, &t, flags, 1);
        puts_(rec, ", \"date_string\": ");
        put_json_string(rec, t.data, t.len);
    }
    puts_(rec, "}");
    lf_buf_free(&t);
}

/* Python's str.isspace() of the code point at s (n bytes left): its length, or 0. */
static size_t py_space(const unsigned char *s, size_t n)
{
    if ((s[0] >= 0x09 && s[0] <= 0x0D) || (s[0] >= 0x1C && s[0] <= 0x20))
        return 1;
    static const char *const multi[] = {"\xC2\x85", "\xC2\xA0", "\xE1\x9A\x80", "\xE2\x80\xA8", "\xE2\x80\xA9",
                                        "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80"};
    for (size_t i = 0; i < sizeof multi / sizeof multi[0]; i++)
        if (has_prefix((const char *)s, n, multi[i]))
            return strlen(multi[i]);
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x80 && s[2] >= 0x80 && s[2] <= 0x8A)
        return 3;                                       /* U+2000..U+200A */
    return 0;
}

/* str.strip() of s[0..n): *a and *len. */
static void py_strip(const char *s, size_t n, size_t *a, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, e = n, k;
    while (i < e && (k = py_space(u + i, e - i)) > 0)
        i += k;
    while (e > i) {
        size_t j = e - 1;
        while (j > i && (u[j] & 0xC0) == 0x80)
            j--;
        if (py_space(u + j, e - j) != e - j)
            break;
        e = j;
    }
    *a = i;
    *len = e - i;
}

/* The plain conversation came back: the same messages. */
static void check_plain(const lf_conversation *want, const lf_parsed *got, lf_profile prof, const char *date)
{
    const char *pname = lf_profile_name(prof);
    const lf_conversation *c = got->conv;
    size_t k = 0;
    for (size_t i = 0; i < want->n; i++) {
        const lf_message *m = &want->msgs[i];
        size_t a = 0, len = m->len;
        if (prof == LF_PROFILE_OFFICIAL && m->role != LF_ROLE_IPYTHON)
            py_strip(m->text, m->len, &a, &len);
        if (prof == LF_PROFILE_OFFICIAL && i == 0 && m->role == LF_ROLE_SYSTEM && len == 0)
            continue;                           /* the system block is written anyway */
        FUZZ_CHECK(k < c->n, "%s: %zu messages came back, message %zu is missing", pname, c->n, i);
        const lf_message *g = &c->msgs[k++];
        FUZZ_CHECK(g->role == m->role && g->len == len && (len == 0 || memcmp(g->text, m->text + a, len) == 0) &&
                       g->call == NULL && g->json.n == 0,
                   "%s: message %zu came back as role %d \"%.*s\", was role %d \"%.*s\"", pname, i, (int)g->role,
                   (int)g->len, g->text ? g->text : "", (int)m->role, (int)len, m->text ? m->text + a : "");
    }
    FUZZ_CHECK(k == c->n, "%s: %zu messages came back, %zu were written", pname, c->n, k);
    FUZZ_CHECK((c->gen_prompt == 1) == (want->gen_prompt == 1), "%s: generation prompt %d, was %d", pname,
               c->gen_prompt, want->gen_prompt);
    FUZZ_CHECK(!c->has_tools && !c->has_builtin && c->n_tools == 0 && c->n_builtin == 0, "%s: tools came back", pname);
    if (prof == LF_PROFILE_OFFICIAL) {
        const char *d0 = date ? date : LF_DEFAULT_DATE;
        const char *wd = want->date ? want->date : d0, *gd = c->date ? c->date : d0;
        size_t wl = want->date ? want->date_len : strlen(d0), gl = c->date ? c->date_len : strlen(d0);
        FUZZ_CHECK(wl == gl && memcmp(wd, gd, wl) == 0, "%s: date \"%.*s\" came back as \"%.*s\"", pname, (int)wl, wd,
                   (int)gl, gd);
    }
}

static void generated(uint8_t sel, const uint8_t *data, size_t size)
{
    cursor c = {data, size};
    lf_buf rec = LF_BUF_INIT;
    int strict, plain, prompt;
    build_record(&c, &rec, &strict, &plain, &prompt);
    uint8_t mutate = rd(&c);
    size_t mpos = (size_t)rd(&c) | (size_t)rd(&c) << 8, mdel = rd(&c) % 16;

    lf_record_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.shape = LF_SHAPE_MESSAGES;
    ro.special = strict ? LF_SPECIAL_ERROR : LF_SPECIAL_ALLOW;
    ro.tools_in_user = -1;
    lf_parser *rp = lf_parser_new(&ro);
    if (rp == NULL)
        abort();
    lf_rawrec raw = {rec.data, rec.len, REC_NAME, 1, 1};
    const lf_conversation *conv = NULL;
    lf_error err;
    lf_error_clear(&err);
    if (lf_record_parse(rp, &raw, &conv, &err) != LF_OK) {
        FUZZ_CHECK(err.code != LF_E_NOMEM, "record: out of memory");
        lf_parser_free(rp);
        lf_buf_free(&rec);
        return;
    }

    const char *date = (sel & 4) ? OPT_DATE : NULL;
    int bos = !(sel & 8), eot_render = (sel & 0x80) ? 0 : -1;
    int eot_parse = (sel & 3) == 1 ? 1 : (sel & 3) == 2 ? 0 : -1;
    static const char *const seps[] = {"", "\n", "\0", " \n\t\0\r\n"};
    static const size_t sep_len[] = {0, 1, 1, 6};
    unsigned sk = (sel >> 4) & 3;

    lf_sample_parser *p = lf_sample_parser_new();
    if (p == NULL)
        abort();
    lf_sample rendered, s;
    memset(&rendered, 0, sizeof rendered);
    memset(&s, 0, sizeof s);
    lf_buf text = LF_BUF_INIT;
    for (int prof = 0; prof < LF_PROFILE_COUNT; prof++) {
        lf_template_opts to = {(lf_profile)prof, date, bos, eot_render, 0};
        size_t which;
        lf_error_clear(&err);
        if (lf_render(&to, conv, &rendered, &which, &err) != LF_OK)
            continue;
        for (int rawmode = 0; rawmode < 2; rawmode++) {
            text.len = 0;
            put(&text, rendered.text.data, rendered.text.len);
            if (mutate) {
                size_t at = mpos % (text.len + 1), del = mdel < text.len - at ? mdel : text.len - at;
                memmove(text.data + at, text.data + at + del, text.len - at - del);
                text.len -= del;
                lf_buf tail = LF_BUF_INIT;
                put(&tail, text.data + at, text.len - at);
                text.len = at;
                put(&text, c.p, c.n);
                put(&text, tail.data, tail.len);
                lf_buf_free(&tail);
            }
            if (rawmode)
                put(&text, seps[sk], sep_len[sk]);
            /* an exact-size copy, so ASan sees any read past the text */
            char *copy = xmalloc(text.len);
            memcpy(copy, text.data, text.len);
            lf_parse_opts o = {(lf_profile)prof, date, rawmode, eot_parse};
            result res;
            memset(&res, 0, sizeof res);
            lf_parsed got;
            memset(&got, 0, sizeof got);
            check_parse(p, &o, copy, text.len, &s, &res, &got);
            if (strict && !mutate) {
                int written = !rendered.prompt && eot_render != 0;
                int expect = !(rawmode && !bos) && !(eot_parse == 1 && !rendered.prompt && !written) &&
                             !(eot_parse == 0 && written);
                FUZZ_CHECK(res.rc == LF_OK || !expect, "%s%s: a rendered sample was refused (code %d, at %zu)",
                           lf_profile_name((lf_profile)prof), rawmode ? " raw" : "", (int)res.rc, res.at);
                FUZZ_CHECK(res.rc != LF_OK || expect, "%s%s: accepted, expected an error",
                           lf_profile_name((lf_profile)prof), rawmode ? " raw" : "");
                if (res.rc == LF_OK) {
                    FUZZ_CHECK(res.len == rendered.text.len && res.bos == bos && res.eot == written,
                               "%s: sample of %zu bytes, bos %d, eot %d; rendered %zu, %d, %d",
                               lf_profile_name((lf_profile)prof), res.len, res.bos, res.eot, rendered.text.len, bos,
                               written);
                    if (plain)
                        check_plain(conv, &got, (lf_profile)prof, date);
                }
            }
            lf_buf_free(&res.render);
            free(copy);
        }
    }
    lf_buf_free(&text);
    lf_sample_free(&rendered);
    lf_sample_free(&s);
    lf_sample_parser_free(p);
    lf_parser_free(rp);
    lf_buf_free(&rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    if (sel & 0x40) {
        generated(sel, data + 1, size - 1);
        return 0;
    }
    /* an exact-size copy, so ASan sees any read past the sample */
    char *text = xmalloc(size - 1);
    memcpy(text, data + 1, size - 1);
    parse_text(sel, text, size - 1);
    free(text);
    return 0;
}
