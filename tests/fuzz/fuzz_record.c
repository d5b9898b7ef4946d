/*
 * fuzz_record.c - bytes -> lf_record_parse -> lf_render, under every shape
 * (auto and each forced one), every profile, generation prompt on and off.
 *
 * Input layout:
 *   byte 0   selector:
 *              bits 0-1  special-token policy (0, 3: error; 1: strip; 2: allow)
 *              bit 2     <|begin_of_text|> on
 *              bit 3     end_of_text off (else the default, -1)
 *              bit 4     role aliases (gpt=assistant, human=user, bot=assistant,
 *                        sys=system, fn=tool)
 *              bit 5     custom keys (msgs / r / c) and a --system prompt
 *              bit 6     --tools and --builtin-tools defaults
 *              bit 7     --tools-in=system and --lenient-tool-calls
 *   bytes 1..  one raw record
 *
 * Invariants (record.h, template.h):
 *   - a record that parses is valid UTF-8; its messages' text is valid UTF-8
 *     without NUL bytes, and (policy error/strip) without special-token text;
 *   - every error is a data error positioned inside the record;
 *   - parsing the same record again with the same parser gives the same
 *     sample (the parser's storage is reused correctly);
 *   - a rendered sample is valid UTF-8; its segments cover the text exactly,
 *     in order, without gaps or overlaps; each special segment is exactly one
 *     special-token name; and (policy error/strip) every special-token name
 *     in the text is one of the special segments: content can never smuggle
 *     a control token in;
 *   - a render error names a message of the conversation (or index 0);
 *   - lf_record_raw_value (what --keep copies) gives one whole JSON value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "llamafmt/error.h"
#include "llamafmt/json.h"
#include "llamafmt/record.h"
#include "llamafmt/template.h"

static const char NAME[] = "<fuzz>";
#define REC_LINE 3
#define REC_COL 5

static const lf_role_alias ALIASES[] = {
    {"gpt", LF_ROLE_ASSISTANT}, {"human", LF_ROLE_USER}, {"bot", LF_ROLE_ASSISTANT},
    {"sys", LF_ROLE_SYSTEM},    {"fn", LF_ROLE_IPYTHON},
};
static const char TOOLS_JSON[] =
    "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather\", "
    "\"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}}}]";
static const char *const BUILTIN[] = {"brave_search", "code_interpreter", "wolfram_alpha"};

/* Offset inside the record of an error position (line, column), given that
 * the record starts at REC_LINE:REC_COL; aborts when it is outside. */
static size_t record_offset(const lf_rawrec *rec, const lf_error *err, const char *what)
{
    FUZZ_CHECK(err->file == rec->file, "%s: error file is not the record's (%s)", what, err->msg);
    FUZZ_CHECK(err->line >= rec->line, "%s: error line %llu before the record (%s)", what,
               (unsigned long long)err->line, err->msg);
    size_t off = 0;
    uint64_t line = rec->line, col = rec->column;
    while (line < err->line) {
        const char *nl = memchr(rec->data + off, '\n', rec->len - off);
        FUZZ_CHECK(nl != NULL, "%s: error line %llu past the record's last line (%s)", what,
                   (unsigned long long)err->line, err->msg);
        off = (size_t)(nl - rec->data) + 1;
        line++;
        col = 1;
    }
    FUZZ_CHECK(err->column >= col, "%s: error column %llu before the line's start (%s)", what,
               (unsigned long long)err->column, err->msg);
    size_t o = off + (size_t)(err->column - col);
    const char *nl = memchr(rec->data + off, '\n', rec->len - off);
    size_t line_end = nl ? (size_t)(nl - rec->data) : rec->len;
    FUZZ_CHECK(o <= line_end, "%s: error column %llu past the end of its line (%s)", what,
               (unsigned long long)err->column, err->msg);
    return o;
}

/* Known, reported findings can be masked while they are open, so that a
 * long run goes on finding other things: LLAMAFMT_FUZZ_KNOWN is a comma list
 * of the names below.  run_fuzzers.sh never sets it.  (Both below are fixed
 * in src/; the masks stay as examples and for bisecting old versions.)
 *   builtin-special  special-token text in a record's "builtin_tools" names
 *                    reaches the sample as text (regressions/fuzz_record/
 *                    builtin-tools-special-token)
 *   bom-record       a record that starts with a UTF-8 BOM is accepted, but
 *                    raw positions are off by 3: tool-call JSON is cut wrong
 *                    and lf_render fails with LF_E_NOMEM (regressions/
 *                    fuzz_record/bom-record-tool-call-fake-nomem); such
 *                    inputs are skipped */
static int known(const char *name)
{
    const char *k = getenv("LLAMAFMT_FUZZ_KNOWN");
    return k != NULL && strstr(k, name) != NULL;
}

static int builtin_has_special(const lf_conversation *conv)
{
    size_t tl;
    for (size_t i = 0; i < conv->n_builtin; i++)
        if (fz_find_special(conv->builtin[i], strlen(conv->builtin[i]), 0, &tl) >= 0)
            return 1;
    return 0;
}

static void check_sample(const lf_sample *s, lf_special_policy pol, const char *pname)
{
    const char *t = s->text.data;
    size_t n = s->text.len;
    FUZZ_CHECK(n > 0, "%s: empty sample", pname);
    size_t bad = fz_utf8_bad_at((const unsigned char *)t, n);
    FUZZ_CHECK(bad == n, "%s: sample is not valid UTF-8 at byte %zu of %zu", pname, bad, n);
    FUZZ_CHECK(s->nsegs > 0 && s->nsegs <= s->cap, "%s: %zu segments, capacity %zu", pname, s->nsegs, s->cap);
    size_t pos = 0;
    for (size_t i = 0; i < s->nsegs; i++) {
        const lf_segment *g = &s->segs[i];
        FUZZ_CHECK(g->off == pos, "%s: segment %zu starts at %zu, previous ended at %zu", pname, i, g->off, pos);
        FUZZ_CHECK(g->len <= n - g->off, "%s: segment %zu [%zu,+%zu) runs past the text (%zu)", pname, i, g->off,
                   g->len, n);
        FUZZ_CHECK(g->special <= 1 && g->train <= 1 && g->role < LF_ROLE_COUNT,
                   "%s: segment %zu has flags special=%u train=%u role=%u", pname, i, g->special, g->train, g->role);
        if (g->special)
            FUZZ_CHECK(fz_is_special_name(t + g->off, g->len), "%s: special segment %zu is \"%.*s\"", pname, i,
                       (int)g->len, t + g->off);
        pos = g->off + g->len;
    }
    FUZZ_CHECK(pos == n, "%s: segments end at %zu, text is %zu bytes", pname, pos, n);

    if (pol == LF_SPECIAL_ALLOW)
        return;
    /* every special-token name in the text is a special segment */
    size_t k = 0, tl = 0;
    long at;
    size_t from = 0;
    while ((at = fz_find_special(t, n, from, &tl)) >= 0) {
        while (k < s->nsegs && s->segs[k].off + s->segs[k].len <= (size_t)at)
            k++;
        FUZZ_CHECK(k < s->nsegs && s->segs[k].special && s->segs[k].off == (size_t)at && s->segs[k].len == tl,
                   "%s: special-token text \"%.*s\" at byte %ld of the sample is not a special segment "
                   "(it would become a control token)",
                   pname, (int)tl, t + at, at);
        from = (size_t)at + tl;
    }
}

static void check_conversation(const lf_conversation *conv, lf_special_policy pol)
{
    FUZZ_CHECK(conv->n >= 1, "a conversation without messages");
    for (size_t i = 0; i < conv->n; i++) {
        const lf_message *m = &conv->msgs[i];
        FUZZ_CHECK(m->role < LF_ROLE_COUNT, "message %zu: role %d", i, (int)m->role);
        FUZZ_CHECK(m->len == 0 || m->text != NULL, "message %zu: NULL text", i);
        if (m->len == 0)
            continue;
        FUZZ_CHECK(fz_utf8_valid(m->text, m->len), "message %zu: text is not valid UTF-8", i);
        FUZZ_CHECK(memchr(m->text, '\0', m->len) == NULL, "message %zu: text holds a NUL byte", i);
        size_t tl;
        if (pol != LF_SPECIAL_ALLOW)
            FUZZ_CHECK(fz_find_special(m->text, m->len, 0, &tl) < 0, "message %zu: special-token text survived", i);
    }
    if (conv->date != NULL)
        FUZZ_CHECK(fz_utf8_valid(conv->date, conv->date_len), "date_string is not valid UTF-8");
}

static void render_all(const lf_rawrec *rec, const lf_conversation *conv, const lf_record_opts *ro, uint8_t sel,
                       lf_sample *s)
{
    for (int prof = 0; prof < LF_PROFILE_COUNT; prof++) {
        for (int gen = 0; gen < 2; gen++) {
            lf_template_opts to = {(lf_profile)prof, (sel & 0x20) ? "1 Jan 2025" : NULL, !!(sel & 4),
                                   (sel & 8) ? 0 : -1, gen};
            lf_error err;
            lf_error_clear(&err);
            size_t bad = 12345;
            lf_code rc = lf_render(&to, conv, s, &bad, &err);
            const char *pname = lf_profile_name((lf_profile)prof);
            if (rc == LF_OK) {
                lf_special_policy pol = ro->special;
                if (known("builtin-special") && builtin_has_special(conv))
                    pol = LF_SPECIAL_ALLOW;             /* masked: see known() */
                check_sample(s, pol, pname);
                continue;
            }
            FUZZ_CHECK(rc != LF_E_NOMEM, "%s: out of memory", pname);
            FUZZ_CHECK(lf_code_is_data(rc) && rc != LF_E_FRAMING && rc != LF_E_TOO_LARGE,
                       "%s: render returned code %d (%s)", pname, (int)rc, err.msg);
            FUZZ_CHECK(err.code == rc && err.msg[0] != '\0', "%s: error %d not filled in", pname, (int)rc);
            FUZZ_CHECK(bad < conv->n || bad == 0, "%s: bad message index %zu of %zu", pname, bad, conv->n);
            if (bad < conv->n) {
                lf_record_locate(rec, &conv->msgs[bad].path, &err);
                record_offset(rec, &err, "lf_record_locate");
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    /* an exact-size copy, so ASan sees any read past the record */
    size_t n = size - 1;
    if (n >= 3 && memcmp(data + 1, "\xEF\xBB\xBF", 3) == 0 && known("bom-record"))
        return 0;                                   /* masked: see known() */
    char *copy = malloc(n ? n : 1);
    if (copy == NULL)
        abort();
    if (n)
        memcpy(copy, data + 1, n);
    lf_rawrec rec = {copy, n, NAME, REC_LINE, REC_COL};
    int utf8_ok = fz_utf8_valid(copy, n);

    lf_record_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.special = (sel & 3) == 1 ? LF_SPECIAL_STRIP : (sel & 3) == 2 ? LF_SPECIAL_ALLOW : LF_SPECIAL_ERROR;
    if (sel & 0x10) {
        ro.aliases = ALIASES;
        ro.n_aliases = sizeof ALIASES / sizeof ALIASES[0];
    }
    if (sel & 0x20) {
        ro.messages_key = "msgs";
        ro.role_key = "r";
        ro.content_key = "c";
        ro.default_system = "Be brief.";
        ro.alpaca_joiner = "\n";
    }
    if (sel & 0x40) {
        ro.tools_json = TOOLS_JSON;
        ro.tools_json_len = sizeof TOOLS_JSON - 1;
        ro.builtin_tools = BUILTIN;
        ro.n_builtin_tools = sizeof BUILTIN / sizeof BUILTIN[0];
        ro.builtin_tools_set = 1;
    }
    ro.tools_in_user = (sel & 0x80) ? 0 : -1;
    ro.lenient_tool_calls = !!(sel & 0x80);

    lf_sample s1, s2;
    memset(&s1, 0, sizeof s1);
    memset(&s2, 0, sizeof s2);
    for (int shape = 0; shape < LF_SHAPE_COUNT; shape++) {
        ro.shape = (lf_shape)shape;
        lf_parser *p = lf_parser_new(&ro);
        if (p == NULL)
            abort();
        const lf_conversation *conv = NULL;
        lf_error err;
        lf_error_clear(&err);
        lf_code rc = lf_record_parse(p, &rec, &conv, &err);
        if (rc != LF_OK) {
            FUZZ_CHECK(rc != LF_E_NOMEM, "out of memory");
            FUZZ_CHECK(lf_code_is_data(rc) && rc != LF_E_FRAMING && rc != LF_E_TOO_LARGE,
                       "parse returned code %d (%s)", (int)rc, err.msg);
            FUZZ_CHECK(err.code == rc && err.msg[0] != '\0', "error %d not filled in", (int)rc);
            record_offset(&rec, &err, "lf_record_parse");
            lf_parser_free(p);
            continue;
        }
        FUZZ_CHECK(conv != NULL, "success without a conversation");
        FUZZ_CHECK(utf8_ok, "a record that is not valid UTF-8 was accepted");
        FUZZ_CHECK(shape == LF_SHAPE_AUTO ? conv->shape != LF_SHAPE_AUTO : conv->shape == (lf_shape)shape,
                   "shape %d parsed as %d", shape, (int)conv->shape);
        check_conversation(conv, ro.special);
        render_all(&rec, conv, &ro, sel, &s1);

        /* the same record again through the same parser: the same sample */
        lf_template_opts to = {LF_PROFILE_OFFICIAL, NULL, 1, -1, 1};
        size_t bad;
        lf_code r1 = lf_render(&to, conv, &s1, &bad, &err);
        const lf_conversation *conv2 = NULL;
        FUZZ_CHECK(lf_record_parse(p, &rec, &conv2, &err) == LF_OK, "second parse failed: %s", err.msg);
        lf_code r2 = lf_render(&to, conv2, &s2, &bad, &err);
        FUZZ_CHECK(r1 == r2, "second render returned %d, first %d", (int)r2, (int)r1);
        if (r1 == LF_OK)
            FUZZ_CHECK(s1.text.len == s2.text.len && memcmp(s1.text.data, s2.text.data, s1.text.len) == 0 &&
                           s1.nsegs == s2.nsegs,
                       "re-parsing the same record gives a different sample");

        /* raw values of top-level keys lie inside the record */
        static const char *const keys[] = {"id", "messages", "conversations", "instruction", "tools", "msgs"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            const char *vt;
            size_t vl;
            lf_error_clear(&err);
            if (lf_record_raw_value(p, &rec, keys[k], &vt, &vl, &err) != LF_OK)
                continue;
            FUZZ_CHECK(vt >= rec.data && vl >= 1 && vl <= (size_t)(rec.data + rec.len - vt),
                       "raw value of \"%s\" is not inside the record", keys[k]);
            /* it is one whole JSON value (--keep re-serialises it) */
            lf_buf jb = LF_BUF_INIT;
            FUZZ_CHECK(lf_json_dump(&jb, vt, vl, -1, &err) == 0, "raw value of \"%s\" is not a JSON value: %.*s (%s)",
                       keys[k], (int)(vl < 80 ? vl : 80), vt, err.msg);
            lf_buf_free(&jb);
        }
        lf_parser_free(p);
    }
    lf_sample_free(&s1);
    lf_sample_free(&s2);
    free(copy);
    return 0;
}
