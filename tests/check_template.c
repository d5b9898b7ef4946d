/*
 * check_template.c - unit tests for template.h: the official, meta and guide
 * profiles byte for byte, BOS / <|end_of_text|> / generation-prompt options,
 * tool results, dates, errors, lf_trim, and the segment list of every sample.
 *
 * Expected texts come from the format spec (shared/research/format.md §2,
 * §4, §6) and the oracle's answers (shared/reference/cases.expected.jsonl,
 * rendered by render.py); the oracle cases below are copied literally from
 * those files.  Segment flags are checked against a mask derived from the
 * expected text itself: trainable = assistant content + the <|eot_id|> that
 * closes it + <|end_of_text|>.
 */
#include <check.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llamafmt/error.h"
#include "llamafmt/record.h"
#include "llamafmt/template.h"

#define BOS "<|begin_of_text|>"
#define EOT "<|eot_id|>"
#define EOTX "<|end_of_text|>"
#define START "<|start_header_id|>"
#define END "<|end_header_id|>"
#define HDR(role) START role END "\n\n"     /* official / meta header */
#define GHDR(role) START role END           /* guide header */
#define SYSBLOCK(date) HDR("system") "Cutting Knowledge Date: December 2023\nToday Date: " date "\n\n"

#define S LF_ROLE_SYSTEM
#define U LF_ROLE_USER
#define A LF_ROLE_ASSISTANT
#define T LF_ROLE_IPYTHON

typedef struct msg_t {
    lf_role role;
    const char *text;
} msg_t;

/* ---- fixture ------------------------------------------------------------------ */

static lf_sample g_s;
static lf_message g_msgs[16];
static lf_conversation g_conv;
static lf_template_opts g_o;
static lf_error g_err;
static size_t g_bad;

static void setup(void)
{
    memset(&g_s, 0, sizeof g_s);
    memset(&g_o, 0, sizeof g_o);
    g_o.profile = LF_PROFILE_OFFICIAL;
    g_o.bos = 1;
    g_o.end_of_text = 0;
    g_o.generation_prompt = 0;
    g_o.date = NULL;
}

static void teardown(void) { lf_sample_free(&g_s); }

static const lf_conversation *conv_of(const msg_t *m, size_t n)
{
    ck_assert_uint_le(n, sizeof g_msgs / sizeof g_msgs[0]);
    memset(g_msgs, 0, sizeof g_msgs);
    for (size_t i = 0; i < n; i++) {
        g_msgs[i].role = m[i].role;
        g_msgs[i].text = m[i].text;
        g_msgs[i].len = strlen(m[i].text);
    }
    memset(&g_conv, 0, sizeof g_conv);
    g_conv.msgs = g_msgs;
    g_conv.n = n;
    g_conv.shape = LF_SHAPE_MESSAGES;
    g_conv.date = NULL;
    g_conv.date_len = 0;
    g_conv.gen_prompt = -1;
    return &g_conv;
}

static lf_code render(void)
{
    lf_error_clear(&g_err);
    g_bad = 12345;
    return lf_render(&g_o, &g_conv, &g_s, &g_bad, &g_err);
}

/* Show where two byte strings first differ. */
static void assert_text(const char *got, size_t glen, const char *want, size_t wlen)
{
    size_t i = 0;
    while (i < glen && i < wlen && got[i] == want[i])
        i++;
    if (i == glen && i == wlen)
        return;
    size_t from = i > 40 ? i - 40 : 0;
    ck_abort_msg("text differs at byte %zu (got %zu bytes, expected %zu)\n  got:      ...%.*s\n  expected: ...%.*s", i,
                 glen, wlen, (int)((glen - from) < 100 ? glen - from : 100), got + from,
                 (int)((wlen - from) < 100 ? wlen - from : 100), want + from);
}

static int starts(const char *t, size_t n, size_t i, const char *lit)
{
    size_t k = strlen(lit);
    return i + k <= n && memcmp(t + i, lit, k) == 0;
}

static int role_of_name(const char *p, size_t n)
{
    static const char *const names[] = {"system", "user", "assistant", "ipython"};
    for (int r = 0; r < 4; r++)
        if (strlen(names[r]) == n && memcmp(p, names[r], n) == 0)
            return r;
    return -2;
}

/* The segment list must cover the text in order without gaps or overlaps;
 * special segments are exactly one special token; with `clean` content
 * (no special-token text inside messages) the trainable bytes and turn
 * roles must match what the expected text says. */
static void check_segments(const lf_sample *s, lf_profile prof, int clean)
{
    const char *t = s->text.data;
    size_t n = s->text.len, pos = 0;
    ck_assert_msg(n == 0 || s->nsegs > 0, "text without segments");
    for (size_t i = 0; i < s->nsegs; i++) {
        const lf_segment *g = &s->segs[i];
        ck_assert_msg(g->off == pos, "segment %zu starts at %zu, expected %zu (gap or overlap)", i, g->off, pos);
        ck_assert_msg(g->off + g->len <= n, "segment %zu ends past the text", i);
        ck_assert_msg(g->special == 0 || g->special == 1, "segment %zu: special flag %u", i, g->special);
        ck_assert_msg(g->train == 0 || g->train == 1, "segment %zu: train flag %u", i, g->train);
        ck_assert_msg(g->role < LF_ROLE_COUNT, "segment %zu: role %u", i, g->role);
        size_t tl = 0;
        if (g->special) {
            ck_assert_msg(lf_find_special(t + g->off, g->len, &tl) == 0 && tl == g->len,
                          "special segment %zu is not one special token: \"%.*s\"", i, (int)g->len, t + g->off);
        } else if (clean) {
            ck_assert_msg(lf_find_special(t + g->off, g->len, &tl) == -1,
                          "text segment %zu holds a special token: \"%.*s\"", i, (int)g->len, t + g->off);
        }
        pos += g->len;
    }
    ck_assert_msg(pos == n, "segments cover %zu of %zu bytes", pos, n);
    if (!clean)
        return;

    /* expected facts per byte, from the text */
    uint8_t *train = calloc(n + 1, 1);
    int *role = malloc((n + 1) * sizeof *role);
    ck_assert_ptr_nonnull(train);
    ck_assert_ptr_nonnull(role);
    size_t i = 0;
    int cur = -1, in_train = 0;
    while (i < n) {
        role[i] = -1;
        if (starts(t, n, i, START)) {
            size_t a = i + strlen(START), b = a;
            while (b < n && !starts(t, n, b, END))
                b++;
            cur = role_of_name(t + a, b - a);
            size_t end = b + strlen(END);
            if (prof != LF_PROFILE_GUIDE && starts(t, n, end, "\n\n"))
                end += 2;
            for (size_t k = i; k < end && k < n; k++) {
                train[k] = 0;
                role[k] = cur;
            }
            in_train = cur == LF_ROLE_ASSISTANT;
            i = end;
            continue;
        }
        if (starts(t, n, i, EOT)) {
            for (size_t k = i; k < i + strlen(EOT); k++) {
                train[k] = (uint8_t)in_train;
                role[k] = cur;
            }
            i += strlen(EOT);
            in_train = 0;
            continue;
        }
        if (starts(t, n, i, EOTX)) {
            for (size_t k = i; k < i + strlen(EOTX); k++) {
                train[k] = 1;
                role[k] = -1;
            }
            i += strlen(EOTX);
            continue;
        }
        train[i] = (uint8_t)in_train;
        role[i] = cur;
        i++;
    }
    for (size_t k = 0; k < s->nsegs; k++) {
        const lf_segment *g = &s->segs[k];
        for (size_t b = g->off; b < g->off + g->len; b++) {
            if (g->train != train[b] || (role[b] >= 0 && g->role != role[b])) {
                int tr = train[b], ro = role[b];
                free(train);
                free(role);
                ck_abort_msg("segment %zu (\"%.*s\"): train %u role %u, but byte %zu should be train %d role %d", k,
                             (int)g->len, t + g->off, g->train, g->role, b, tr, ro);
            }
        }
    }
    free(train);
    free(role);
}

/* Render the current conversation and compare with `want`. */
static void expect_render(const char *want, int clean)
{
    lf_code rc = render();
    ck_assert_msg(rc == LF_OK, "lf_render failed: %s (%s)", lf_code_name(rc), g_err.msg);
    assert_text(g_s.text.data, g_s.text.len, want, strlen(want));
    check_segments(&g_s, g_o.profile, clean);
}

/* ---- oracle cases (shared/reference/cases.jsonl -> cases.expected.jsonl) -------- */

#define ASSISTANT_PROMPT HDR("assistant") /* template step 6, add_generation_prompt */

typedef struct oracle_case {
    const char *name;
    size_t n;
    msg_t m[8];
    const char *date;      /* record-level date_string */
    int gen;               /* record-level add_generation_prompt */
    const char *expected;
    int clean;
} oracle_case;

static const oracle_case oracle_cases[] = {
    {"plain system/user/assistant", 3,
     {{S, "You are a helpful assistant."}, {U, "What is the capital of France?"}, {A, "The capital of France is Paris."}},
     NULL, -1,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
     "26 Jul 2024\n\nYou are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is the "
     "capital of France?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nThe capital of France is "
     "Paris.<|eot_id|>",
     1},
    {"no system message", 2, {{U, "Hello"}, {A, "Hi! How can I help?"}}, NULL, -1,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
     "26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>"
     "assistant<|end_header_id|>\n\nHi! How can I help?<|eot_id|>",
     1},
    {"multi-turn", 7,
     {{S, "Be brief."}, {U, "1+1?"}, {A, "2"}, {U, "2+2?"}, {A, "4"}, {U, "3+3?"}, {A, "6"}}, NULL, -1,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
     "26 Jul 2024\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n1+1?<|eot_id|><|start_header_id|>"
     "assistant<|end_header_id|>\n\n2<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|><|start_"
     "header_id|>assistant<|end_header_id|>\n\n4<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n3+3?<|eot_id|><|"
     "start_header_id|>assistant<|end_header_id|>\n\n6<|eot_id|>",
     1},
    {"korean", 3,
     {{S, "\xEB\x8B\xB9\xEC\x8B\xA0\xEC\x9D\x80 \xEC\xB9\x9C\xEC\xA0\x88\xED\x95\x9C \xED\x95\x9C\xEA\xB5\xAD\xEC\x96"
          "\xB4 \xEB\xB9\x84\xEC\x84\x9C\xEC\x9E\x85\xEB\x8B\x88\xEB\x8B\xA4."},
      {U, "\xEC\x84\x9C\xEC\x9A\xB8\xEC\x9D\x98 \xEC\x9D\xB8\xEA\xB5\xAC\xEB\x8A\x94 \xEC\x96\xBC\xEB\xA7\x88\xEC\x9D"
          "\xB8\xEA\xB0\x80\xEC\x9A\x94?"},
      {A, "\xEC\x84\x9C\xEC\x9A\xB8\xEC\x9D\x98 \xEC\x9D\xB8\xEA\xB5\xAC\xEB\x8A\x94 \xEC\x95\xBD 940\xEB\xA7\x8C \xEB"
          "\xAA\x85\xEC\x9E\x85\xEB\x8B\x88\xEB\x8B\xA4."}},
     NULL, -1,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
     "26 Jul 2024\n\n\xEB\x8B\xB9\xEC\x8B\xA0\xEC\x9D\x80 \xEC\xB9\x9C\xEC\xA0\x88\xED\x95\x9C \xED\x95\x9C\xEA\xB5"
     "\xAD\xEC\x96\xB4 \xEB\xB9\x84\xEC\x84\x9C\xEC\x9E\x85\xEB\x8B\x88\xEB\x8B\xA4.<|eot_id|><|start_header_id|>user"
     "<|end_header_id|>\n\n\xEC\x84\x9C\xEC\x9A\xB8\xEC\x9D\x98 \xEC\x9D\xB8\xEA\xB5\xAC\xEB\x8A\x94 \xEC\x96\xBC\xEB"
     "\xA7\x88\xEC\x9D\xB8\xEA\xB0\x80\xEC\x9A\x94?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n\xEC\x84"
     "\x9C\xEC\x9A\xB8\xEC\x9D\x98 \xEC\x9D\xB8\xEA\xB5\xAC\xEB\x8A\x94 \xEC\x95\xBD 940\xEB\xA7\x8C \xEB\xAA\x85\xEC"
     "\x9E\x85\xEB\x8B\x88\xEB\x8B\xA4.<|eot_id|>",
     1},
    {"leading/trailing whitespace", 3,
     {{S, "  \n system text \n\n"}, {U, "\t  question with inner  spaces\nand a newline  \n"}, {A, "\n\n  answer\n\n"}},
     NULL, -1,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
     "26 Jul 2024\n\nsystem text<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nquestion with inner  spaces\nand "
     "a newline<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nanswer<|eot_id|>",
     1},
    {"add_generation_prompt", 2, {{S, "You are a helpful assistant."}, {U, "Tell me a joke."}}, NULL, 1,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
     "26 Jul 2024\n\nYou are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nTell me a "
     "joke.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
     1},
    {"add_generation_prompt, no system", 1, {{U, "Tell me a joke."}}, NULL, 1,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
     "26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nTell me a joke.<|eot_id|><|start_header_id|>"
     "assistant<|end_header_id|>\n\n",
     1},
    {"date_string override", 1, {{U, "What day is it?"}}, "01 Jan 2025", 1,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
     "01 Jan 2025\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat day is it?<|eot_id|><|start_header_id|>"
     "assistant<|end_header_id|>\n\n",
     1},
    {"special-token text inside content", 2,
     {{U, "Print <|eot_id|> and <|begin_of_text|> literally."}, {A, "<|eot_id|><|begin_of_text|>"}}, NULL, -1,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
     "26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nPrint <|eot_id|> and <|begin_of_text|> "
     "literally.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n<|eot_id|><|begin_of_text|><|eot_id|>",
     0},
    {"empty assistant content", 2, {{U, "Say nothing."}, {A, ""}}, NULL, -1,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
     "26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nSay nothing.<|eot_id|><|start_header_id|>"
     "assistant<|end_header_id|>\n\n<|eot_id|>",
     1},
    {"CRLF inside content", 2, {{U, "line1\r\nline2\r\n"}, {A, "ok\r\n"}}, NULL, -1,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
     "26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nline1\r\nline2<|eot_id|><|start_header_id|>"
     "assistant<|end_header_id|>\n\nok<|eot_id|>",
     1},
    /* The next three end with a user / tool turn, which the oracle renders as is; llamafmt needs a
     * generation prompt for them, so the expectation is the oracle's text + step 6's header. */
    {"unicode whitespace at ends (U+3000, U+00A0, U+2003)", 1,
     {{U, "\xE3\x80\x80\xC2\xA0 \xEC\xA0\x84\xEA\xB0\x81 \xEA\xB3\xB5\xEB\xB0\xB1 \xE2\x80\x83\xE3\x80\x80"}}, NULL, 1,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
     "26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n\xEC\xA0\x84\xEA\xB0\x81 \xEA\xB3\xB5\xEB"
     "\xB0\xB1<|eot_id|>" ASSISTANT_PROMPT,
     1},
    {"edge: U+001C and U+0085 at ends", 1, {{U, "\x1C" "fs\xC2\x85"}}, NULL, 1,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
     "26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nfs<|eot_id|>" ASSISTANT_PROMPT,
     1},
    {"edge: tool response string is tojson-quoted", 2, {{U, "x"}, {T, "line \"quoted\"\nnext"}}, NULL, 1,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
     "26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nx<|eot_id|><|start_header_id|>ipython<|end_"
     "header_id|>\n\n\"line \\\"quoted\\\"\\nnext\"<|eot_id|>" ASSISTANT_PROMPT,
     1},
};

START_TEST(test_oracle_cases)
{
    const oracle_case *c = &oracle_cases[_i];
    conv_of(c->m, c->n);
    g_conv.gen_prompt = c->gen;
    if (c->date != NULL) {
        g_conv.date = c->date;
        g_conv.date_len = strlen(c->date);
    }
    g_o.end_of_text = 0;   /* the template never writes <|end_of_text|> */
    expect_render(c->expected, c->clean);
    ck_assert_int_eq(g_s.prompt, c->gen == 1);

    /* the same text with the option instead of the record key, when there is no
     * final assistant turn to drop */
    if (c->gen == 1) {
        g_conv.gen_prompt = -1;
        g_o.generation_prompt = 1;
        g_o.end_of_text = 1;   /* ignored for prompts */
        expect_render(c->expected, c->clean);
        ck_assert_int_eq(g_s.prompt, 1);
    }
}
END_TEST

/* Assistant content that looks like special tokens is ordinary, trainable text. */
START_TEST(test_special_text_segments)
{
    static const msg_t m[] = {{U, "q"}, {A, "<|eot_id|><|begin_of_text|>"}};
    conv_of(m, 2);
    expect_render(BOS SYSBLOCK("26 Jul 2024") EOT HDR("user") "q" EOT HDR("assistant") "<|eot_id|><|begin_of_text|>" EOT,
                  0);
    size_t off = strlen(BOS SYSBLOCK("26 Jul 2024") EOT HDR("user") "q" EOT HDR("assistant")), covered = 0;
    for (size_t i = 0; i < g_s.nsegs; i++) {
        const lf_segment *g = &g_s.segs[i];
        if (g->off >= off && g->off + g->len <= off + 27) {
            ck_assert_msg(!g->special, "content text flagged as a special token");
            ck_assert_msg(g->train, "assistant content not trainable");
            ck_assert_int_eq(g->role, LF_ROLE_ASSISTANT);
            covered += g->len;
        }
    }
    ck_assert_uint_eq(covered, 27);
    /* the real terminator after it is special and trainable */
    const lf_segment *last = &g_s.segs[g_s.nsegs - 1];
    ck_assert_uint_eq(last->off, off + 27);
    ck_assert_int_eq(last->special, 1);
    ck_assert_int_eq(last->train, 1);
}
END_TEST

/* ---- options: bos and end_of_text --------------------------------------------------- */

static const msg_t plain[] = {
    {S, "You are a helpful assistant."}, {U, "What is the capital of France?"}, {A, "The capital of France is Paris."}};

#define PLAIN_OFFICIAL                                                                                              \
    SYSBLOCK("26 Jul 2024") "You are a helpful assistant." EOT HDR("user") "What is the capital of France?" EOT      \
        HDR("assistant") "The capital of France is Paris." EOT
#define PLAIN_META                                                                                                  \
    HDR("system") "You are a helpful assistant." EOT HDR("user") "What is the capital of France?" EOT               \
        HDR("assistant") "The capital of France is Paris." EOT
#define PLAIN_GUIDE                                                                                                 \
    GHDR("system") "You are a helpful assistant." EOT GHDR("user") "What is the capital of France?" EOT             \
        GHDR("assistant") "The capital of France is Paris." EOT

static const struct {
    lf_profile profile;
    int bos, eot; /* eot: end_of_text option, -1 default */
    const char *expected;
} option_cases[] = {
    {LF_PROFILE_OFFICIAL, 1, 0, BOS PLAIN_OFFICIAL},
    {LF_PROFILE_OFFICIAL, 0, 0, PLAIN_OFFICIAL},
    {LF_PROFILE_OFFICIAL, 1, 1, BOS PLAIN_OFFICIAL EOTX},
    {LF_PROFILE_OFFICIAL, 1, -1, BOS PLAIN_OFFICIAL EOTX},   /* -1: default (on), template.h */
    {LF_PROFILE_OFFICIAL, 0, 1, PLAIN_OFFICIAL EOTX},
    {LF_PROFILE_META, 1, 0, BOS PLAIN_META},
    {LF_PROFILE_META, 0, 0, PLAIN_META},
    {LF_PROFILE_META, 1, 1, BOS PLAIN_META EOTX},
    {LF_PROFILE_META, 1, -1, BOS PLAIN_META EOTX},
    {LF_PROFILE_GUIDE, 1, -1, BOS PLAIN_GUIDE EOTX},          /* the guide's own sample, §6 */
    {LF_PROFILE_GUIDE, 1, 1, BOS PLAIN_GUIDE EOTX},
    {LF_PROFILE_GUIDE, 1, 0, BOS PLAIN_GUIDE},
    {LF_PROFILE_GUIDE, 0, -1, PLAIN_GUIDE EOTX},
};

START_TEST(test_options)
{
    conv_of(plain, 3);
    g_o.profile = option_cases[_i].profile;
    g_o.bos = option_cases[_i].bos;
    g_o.end_of_text = option_cases[_i].eot;
    expect_render(option_cases[_i].expected, 1);
    ck_assert_int_eq(g_s.prompt, 0);
}
END_TEST

/* ---- profiles: more shapes of conversations -------------------------------------------- */

static const msg_t ws_conv[] = {{S, "  sys \n"}, {U, "\t q  \n"}, {A, "\n a \xE3\x80\x80"}};
static const msg_t nosys_conv[] = {{U, "Hello"}, {A, "Hi!"}, {U, "Bye"}, {A, "Bye!"}};
static const msg_t tool_conv[] = {
    {U, "Search the web for the latest price of 1oz gold?"},
    {T, "{\"price\": \"2400 USD\"}"},
    {A, "The latest price is about 2400 USD per ounce."},
};
static const msg_t tool_ws_conv[] = {
    {U, "x"},
    {T, "  22.0 \n\t/\\ \x01 \xED\x95\x9C \xE2\x80\xA8\x7F "},
    {A, "ok"},
};

static const struct {
    lf_profile profile;
    const msg_t *m;
    size_t n;
    const char *expected;
} profile_cases[] = {
    /* official: trims (not tool results), always the system block */
    {LF_PROFILE_OFFICIAL, ws_conv, 3, BOS SYSBLOCK("26 Jul 2024") "sys" EOT HDR("user") "q" EOT HDR("assistant") "a" EOT},
    {LF_PROFILE_OFFICIAL, nosys_conv, 4,
     BOS SYSBLOCK("26 Jul 2024") EOT HDR("user") "Hello" EOT HDR("assistant") "Hi!" EOT HDR("user") "Bye" EOT
         HDR("assistant") "Bye!" EOT},
    /* §2.3 case 11: a string tool result is written JSON-quoted */
    {LF_PROFILE_OFFICIAL, tool_conv, 3,
     BOS SYSBLOCK("26 Jul 2024") EOT HDR("user") "Search the web for the latest price of 1oz gold?" EOT HDR("ipython")
         "\"{\\\"price\\\": \\\"2400 USD\\\"}\"" EOT HDR("assistant") "The latest price is about 2400 USD per ounce." EOT},
    /* json.dumps(ensure_ascii=False): only '"', '\\' and U+0000..U+001F escaped; not trimmed */
    {LF_PROFILE_OFFICIAL, tool_ws_conv, 3,
     BOS SYSBLOCK("26 Jul 2024") EOT HDR("user") "x" EOT HDR("ipython")
         "\"  22.0 \\n\\t/\\\\ \\u0001 \xED\x95\x9C \xE2\x80\xA8\x7F \"" EOT HDR("assistant") "ok" EOT},
    /* meta: verbatim, no implicit system block, tool results raw */
    {LF_PROFILE_META, ws_conv, 3, BOS HDR("system") "  sys \n" EOT HDR("user") "\t q  \n" EOT HDR("assistant")
                                      "\n a \xE3\x80\x80" EOT},
    {LF_PROFILE_META, nosys_conv, 4,
     BOS HDR("user") "Hello" EOT HDR("assistant") "Hi!" EOT HDR("user") "Bye" EOT HDR("assistant") "Bye!" EOT},
    {LF_PROFILE_META, tool_conv, 3,
     BOS HDR("user") "Search the web for the latest price of 1oz gold?" EOT HDR("ipython") "{\"price\": \"2400 USD\"}" EOT
         HDR("assistant") "The latest price is about 2400 USD per ounce." EOT},
    {LF_PROFILE_META, tool_ws_conv, 3,
     BOS HDR("user") "x" EOT HDR("ipython") "  22.0 \n\t/\\ \x01 \xED\x95\x9C \xE2\x80\xA8\x7F " EOT HDR("assistant")
         "ok" EOT},
    /* guide: no "\n\n" after headers, verbatim */
    {LF_PROFILE_GUIDE, ws_conv, 3, BOS GHDR("system") "  sys \n" EOT GHDR("user") "\t q  \n" EOT GHDR("assistant")
                                       "\n a \xE3\x80\x80" EOT},
    {LF_PROFILE_GUIDE, nosys_conv, 4,
     BOS GHDR("user") "Hello" EOT GHDR("assistant") "Hi!" EOT GHDR("user") "Bye" EOT GHDR("assistant") "Bye!" EOT},
    /* the guide has no tool format: an error, not a guess (NULL) */
    {LF_PROFILE_GUIDE, tool_conv, 3, NULL},
};

START_TEST(test_profiles)
{
    conv_of(profile_cases[_i].m, profile_cases[_i].n);
    g_o.profile = profile_cases[_i].profile;
    g_o.end_of_text = 0;
    if (profile_cases[_i].expected == NULL) {
        ck_assert_int_eq(render(), LF_E_UNSUPPORTED);
        return;
    }
    expect_render(profile_cases[_i].expected, 1);
}
END_TEST

/* ---- generation prompts ------------------------------------------------------------------ */

static const struct {
    lf_profile profile;
    int option;        /* o.generation_prompt */
    int record;        /* conv.gen_prompt */
    int eot;           /* o.end_of_text */
    const char *expected;
} prompt_cases[] = {
    /* the option drops the final assistant turn */
    {LF_PROFILE_OFFICIAL, 1, -1, -1,
     BOS SYSBLOCK("26 Jul 2024") "You are a helpful assistant." EOT HDR("user") "What is the capital of France?" EOT
         HDR("assistant")},
    {LF_PROFILE_OFFICIAL, 1, -1, 1,
     BOS SYSBLOCK("26 Jul 2024") "You are a helpful assistant." EOT HDR("user") "What is the capital of France?" EOT
         HDR("assistant")},
    {LF_PROFILE_META, 1, -1, -1,
     BOS HDR("system") "You are a helpful assistant." EOT HDR("user") "What is the capital of France?" EOT
         HDR("assistant")},
    {LF_PROFILE_GUIDE, 1, -1, -1,
     BOS GHDR("system") "You are a helpful assistant." EOT GHDR("user") "What is the capital of France?" EOT
         GHDR("assistant")},
    /* the record's add_generation_prompt keeps everything and appends the header */
    {LF_PROFILE_OFFICIAL, 0, 1, 0, BOS PLAIN_OFFICIAL HDR("assistant")},
    {LF_PROFILE_OFFICIAL, 1, 1, -1, BOS PLAIN_OFFICIAL HDR("assistant")},
    {LF_PROFILE_META, 0, 1, 1, BOS PLAIN_META HDR("assistant")},
    {LF_PROFILE_GUIDE, 0, 1, -1, BOS PLAIN_GUIDE GHDR("assistant")},
};

START_TEST(test_generation_prompt)
{
    conv_of(plain, 3);
    g_o.profile = prompt_cases[_i].profile;
    g_o.generation_prompt = prompt_cases[_i].option;
    g_o.end_of_text = prompt_cases[_i].eot;
    g_conv.gen_prompt = prompt_cases[_i].record;
    expect_render(prompt_cases[_i].expected, 1);
    ck_assert_int_eq(g_s.prompt, 1);
    /* the open header is not trainable */
    const lf_segment *last = &g_s.segs[g_s.nsegs - 1];
    ck_assert_int_eq(last->train, 0);
}
END_TEST

START_TEST(test_generation_prompt_keeps_non_assistant_end)
{
    static const msg_t m[] = {{U, "a"}, {A, "b"}, {U, "c"}};
    conv_of(m, 3);
    g_o.generation_prompt = 1;
    expect_render(BOS SYSBLOCK("26 Jul 2024") EOT HDR("user") "a" EOT HDR("assistant") "b" EOT HDR("user") "c" EOT
                      HDR("assistant"),
                  1);
    ck_assert_int_eq(g_s.prompt, 1);
    /* the earlier assistant turn keeps its train flag in a prompt */
}
END_TEST

/* ---- dates --------------------------------------------------------------------------------- */

START_TEST(test_dates)
{
    static const msg_t m[] = {{U, "q"}, {A, "a"}};
    conv_of(m, 2);
    g_o.date = "01 Jan 2025";
    expect_render(BOS SYSBLOCK("01 Jan 2025") EOT HDR("user") "q" EOT HDR("assistant") "a" EOT, 1);

    /* the record's date_string wins over the option; it is not NUL-terminated */
    static const char rec_date[] = "21 September 2024XYZ";
    g_conv.date = rec_date;
    g_conv.date_len = 17;
    expect_render(BOS SYSBLOCK("21 September 2024") EOT HDR("user") "q" EOT HDR("assistant") "a" EOT, 1);

    g_o.date = NULL;
    expect_render(BOS SYSBLOCK("21 September 2024") EOT HDR("user") "q" EOT HDR("assistant") "a" EOT, 1);

    g_conv.date = NULL;
    g_conv.date_len = 0;
    expect_render(BOS SYSBLOCK(LF_DEFAULT_DATE) EOT HDR("user") "q" EOT HDR("assistant") "a" EOT, 1);

    /* meta and guide have no date block */
    g_o.date = "01 Jan 2025";
    g_conv.date = rec_date;
    g_conv.date_len = 17;
    g_o.profile = LF_PROFILE_META;
    expect_render(BOS HDR("user") "q" EOT HDR("assistant") "a" EOT, 1);
    g_o.profile = LF_PROFILE_GUIDE;
    expect_render(BOS GHDR("user") "q" EOT GHDR("assistant") "a" EOT, 1);
}
END_TEST

/* ---- errors ---------------------------------------------------------------------------------- */

static const msg_t e_user[] = {{U, "q"}};
static const msg_t e_sys_user[] = {{S, "s"}, {U, "q"}};
static const msg_t e_ends_user[] = {{S, "s"}, {U, "q"}, {A, "a"}, {U, "again"}};
static const msg_t e_ends_tool[] = {{U, "q"}, {T, "r"}};
static const msg_t e_sys[] = {{S, "s"}};
static const msg_t e_sys_asst[] = {{S, "s"}, {A, "a"}};
static const msg_t e_asst[] = {{A, "a"}};

static const struct {
    const msg_t *m;
    size_t n;
    int gen_option;
    lf_code code;
    size_t bad;
} error_cases[] = {
    {e_user, 1, 0, LF_E_NO_ASSISTANT, 0},
    {e_sys_user, 2, 0, LF_E_NO_ASSISTANT, 1},
    {e_ends_user, 4, 0, LF_E_NO_ASSISTANT, 3},
    {e_ends_tool, 2, 0, LF_E_NO_ASSISTANT, 1},
    {e_sys, 1, 0, LF_E_NO_ASSISTANT, 0},
    {NULL, 0, 0, LF_E_NO_ASSISTANT, 0},
    /* nothing left to prompt with */
    {e_sys, 1, 1, LF_E_EMPTY, 0},
    {e_sys_asst, 2, 1, LF_E_EMPTY, 0},
    {e_asst, 1, 1, LF_E_EMPTY, 0},
    {NULL, 0, 1, LF_E_EMPTY, 0},
};

START_TEST(test_errors)
{
    conv_of(error_cases[_i].m, error_cases[_i].n);
    g_o.generation_prompt = error_cases[_i].gen_option;
    for (int p = 0; p < LF_PROFILE_COUNT; p++) {
        g_o.profile = (lf_profile)p;
        lf_code rc = render();
        ck_assert_msg(rc == error_cases[_i].code, "%s: code %s, expected %s", lf_profile_name(g_o.profile),
                      lf_code_name(rc), lf_code_name(error_cases[_i].code));
        ck_assert_int_eq(g_err.code, error_cases[_i].code);
        ck_assert_msg(g_err.msg[0] != '\0', "no message");
        ck_assert_msg(g_bad == error_cases[_i].bad, "bad index %zu, expected %zu", g_bad, error_cases[_i].bad);
    }
}
END_TEST

/* The same sample is reused: a render after an error or a longer render is exact. */
START_TEST(test_sample_reuse)
{
    conv_of(plain, 3);
    g_o.profile = LF_PROFILE_META;
    g_o.end_of_text = 1;
    expect_render(BOS PLAIN_META EOTX, 1);
    conv_of(e_user, 1);
    ck_assert_int_eq(render(), LF_E_NO_ASSISTANT);
    static const msg_t m[] = {{U, "u"}, {A, "v"}};
    conv_of(m, 2);
    g_o.bos = 0;
    g_o.end_of_text = 0;
    expect_render(HDR("user") "u" EOT HDR("assistant") "v" EOT, 1);
    ck_assert_int_eq(g_s.prompt, 0);
    /* many turns: the segment array grows */
    static msg_t many[16];
    for (size_t i = 0; i < 16; i++) {
        many[i].role = i % 2 ? A : U;
        many[i].text = i % 2 ? "a" : "u";
    }
    conv_of(many, 16);
    char want[4096];
    size_t k = 0;
    for (size_t i = 0; i < 16; i++)
        k += (size_t)snprintf(want + k, sizeof want - k, "%s%s" EOT, i % 2 ? HDR("assistant") : HDR("user"),
                              i % 2 ? "a" : "u");
    expect_render(want, 1);
    lf_sample_reset(&g_s);
    ck_assert_uint_eq(g_s.text.len, 0);
    ck_assert_uint_eq(g_s.nsegs, 0);
    ck_assert_int_eq(g_s.prompt, 0);
    lf_sample_free(&g_s);
    lf_sample_free(&g_s); /* twice: a no-op */
    lf_sample zero;
    memset(&zero, 0, sizeof zero);
    lf_sample_free(&zero);
}
END_TEST

/* ---- lf_trim ---------------------------------------------------------------------------------- */

/* The 29 code points Python's str.strip() removes (format.md §2.5), as UTF-8. */
static const char *const py_ws[29] = {
    "\x09",         "\x0A",         "\x0B",         "\x0C",         "\x0D",         "\x1C",
    "\x1D",         "\x1E",         "\x1F",         "\x20",         "\xC2\x85",     "\xC2\xA0",
    "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x81", "\xE2\x80\x82", "\xE2\x80\x83", "\xE2\x80\x84",
    "\xE2\x80\x85", "\xE2\x80\x86", "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A",
    "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80",
};

static void expect_trim(const char *s, size_t n, size_t start, size_t len)
{
    char *copy = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, s, n);
    size_t a = 999, l = 999;
    lf_trim(copy, n, &a, &l);
    free(copy);
    ck_assert_msg(a == start && l == len, "trim: start %zu len %zu, expected %zu %zu", a, l, start, len);
}

START_TEST(test_trim_each_whitespace)
{
    const char *w = py_ws[_i];
    size_t wl = strlen(w);
    char buf[64];
    /* both ends, inner copy kept */
    int n = snprintf(buf, sizeof buf, "%sa%sb%s", w, w, w);
    ck_assert_int_gt(n, 0);
    expect_trim(buf, (size_t)n, wl, 1 + wl + 1);
    /* repeated at both ends */
    n = snprintf(buf, sizeof buf, "%s%s%sxy%s%s", w, w, w, w, w);
    expect_trim(buf, (size_t)n, 3 * wl, 2);
    /* only at one end */
    n = snprintf(buf, sizeof buf, "%s\xC3\xA9", w);
    expect_trim(buf, (size_t)n, wl, 2);
    n = snprintf(buf, sizeof buf, "\xED\x95\x9C%s", w);
    expect_trim(buf, (size_t)n, 0, 3);
    /* nothing but whitespace */
    n = snprintf(buf, sizeof buf, "%s%s", w, w);
    expect_trim(buf, (size_t)n, 2 * wl, 0);
}
END_TEST

START_TEST(test_trim_all_together)
{
    char buf[256];
    size_t k = 0;
    for (int i = 0; i < 29; i++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s", py_ws[i]);
    size_t lead = k;
    memcpy(buf + k, "in \xE3\x80\x80 ner", 10);
    k += 10;
    for (int i = 28; i >= 0; i--)
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s", py_ws[i]);
    expect_trim(buf, k, lead, 10);
}
END_TEST

/* Not whitespace for str.strip(): kept at both ends. */
static const char *const not_ws[] = {
    "\xEF\xBB\xBF", /* U+FEFF */
    "\xE2\x80\x8B", /* U+200B */
    "\xE2\x80\x8C", /* U+200C */
    "\xE2\x80\x8D", /* U+200D */
    "\xE2\x81\xA0", /* U+2060 */
    "\xE1\xA0\x8E", /* U+180E */
    "\xE2\x80\xA7", /* U+2027 */
    "\xE2\x80\xAA", /* U+202A */
    "\xE2\x80\xAE", /* U+202E */
    "\xE2\x80\xB0", /* U+2030 */
    "\xE2\x81\x9E", /* U+205E */
    "\xE1\x9A\x81", /* U+1681 */
    "\xE3\x80\x81", /* U+3001 */
    "\xC2\x84",     /* U+0084 */
    "\xC2\x86",     /* U+0086 */
    "\xC2\xA1",     /* U+00A1 */
    "\xC2\x9F",     /* U+009F */
    "\x00",         /* NUL (length 1, see below) */
    "\x1B",
    "\x08",
    "\x7F",
    "\xE2\x80\x7F", /* not even UTF-8, but no whitespace either */
};

START_TEST(test_trim_not_whitespace)
{
    const char *w = not_ws[_i];
    size_t wl = w[0] ? strlen(w) : 1;
    char buf[64];
    memcpy(buf, w, wl);
    memcpy(buf + wl, " a ", 3);
    memcpy(buf + wl + 3, w, wl);
    expect_trim(buf, 2 * wl + 3, 0, 2 * wl + 3);
    /* and behind real whitespace it is where trimming stops */
    memcpy(buf, " ", 1);
    memcpy(buf + 1, w, wl);
    memcpy(buf + 1 + wl, "\xE3\x80\x80", 3);
    expect_trim(buf, 1 + wl + 3, 1, wl);
}
END_TEST

START_TEST(test_trim_misc)
{
    expect_trim("", 0, 0, 0);
    expect_trim("a", 1, 0, 1);
    expect_trim(" a", 2, 1, 1);
    expect_trim("a ", 2, 0, 1);
    expect_trim("  inner  space\n\tkept ", 21, 2, 18);
    expect_trim("\xC2\xA0\xC2\xA0x\xC2\xA0", 7, 4, 1);
    expect_trim("\xE2\x80\x83\xE3\x80\x80", 6, 6, 0);
    /* a non-breaking space just before a trailing 0x85 continuation byte of another char */
    expect_trim("\xC3\x85", 2, 0, 2);           /* U+00C5: ends in 0x85 but is not U+0085 */
    expect_trim("\xE2\x80\x85\xC3\x85", 5, 3, 2);
    expect_trim("\xC3\xA0", 2, 0, 2);           /* U+00E0: ends in 0xA0 but is not U+00A0 */
    expect_trim("\xE3\x80\x80" "a\xE3\x80\x80" "b", 8, 3, 5);
    /* n is respected: the trailing space beyond n does not count, the one inside does */
    expect_trim("ab  ", 3, 0, 2);
}
END_TEST

/* Trimming in render: official trims every turn with the whole set, meta does not. */
START_TEST(test_render_trims_python_whitespace)
{
    char sys[256], usr[1024], asst[1024];
    size_t k = 0;
    for (int i = 0; i < 29; i++)
        k += (size_t)snprintf(sys + k, sizeof sys - k, "%s", py_ws[i]);
    sys[k] = '\0';
    snprintf(usr, sizeof usr, "%sU\xEF\xBB\xBF u%s", sys, sys);
    snprintf(asst, sizeof asst, "%s\xE2\x80\x8B" "A\xC2\xA0" "a%s", sys, sys);
    char sysmsg[1024];
    snprintf(sysmsg, sizeof sysmsg, "%sS%s", sys, sys);
    msg_t m[3] = {{S, sysmsg}, {U, usr}, {A, asst}};
    conv_of(m, 3);
    g_o.end_of_text = 0;
    expect_render(BOS SYSBLOCK("26 Jul 2024") "S" EOT HDR("user") "U\xEF\xBB\xBF u" EOT HDR("assistant")
                      "\xE2\x80\x8B" "A\xC2\xA0" "a" EOT,
                  1);
    g_o.profile = LF_PROFILE_META;
    char want[4096];
    snprintf(want, sizeof want, "%s%s%s%s%s%s%s%s%s%s%s", BOS, HDR("system"), sysmsg, EOT, HDR("user"), usr, EOT,
             HDR("assistant"), asst, EOT, "");
    expect_render(want, 1);
}
END_TEST

/* ---- names -------------------------------------------------------------------------------------- */

START_TEST(test_profile_names)
{
    static const char *const names[] = {"official", "meta", "guide"};
    for (int i = 0; i < LF_PROFILE_COUNT; i++) {
        lf_profile p;
        ck_assert_int_eq(lf_profile_parse(names[i], &p), 0);
        ck_assert_int_eq(p, i);
        ck_assert_str_eq(lf_profile_name((lf_profile)i), names[i]);
    }
    lf_profile p;
    ck_assert_int_eq(lf_profile_parse("hf", &p), -1);
    ck_assert_int_eq(lf_profile_parse("Official", &p), -1);
    ck_assert_str_eq(LF_DEFAULT_DATE, "26 Jul 2024");
}
END_TEST

static Suite *template_suite(void)
{
    Suite *s = suite_create("template");

    TCase *tc = tcase_create("oracle");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_oracle_cases, 0, (int)(sizeof oracle_cases / sizeof oracle_cases[0]));
    tcase_add_test(tc, test_special_text_segments);
    suite_add_tcase(s, tc);

    tc = tcase_create("profiles");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_options, 0, (int)(sizeof option_cases / sizeof option_cases[0]));
    tcase_add_loop_test(tc, test_profiles, 0, (int)(sizeof profile_cases / sizeof profile_cases[0]));
    tcase_add_test(tc, test_dates);
    tcase_add_test(tc, test_profile_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("prompts");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_generation_prompt, 0, (int)(sizeof prompt_cases / sizeof prompt_cases[0]));
    tcase_add_test(tc, test_generation_prompt_keeps_non_assistant_end);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof error_cases / sizeof error_cases[0]));
    tcase_add_test(tc, test_sample_reuse);
    suite_add_tcase(s, tc);

    tc = tcase_create("trim");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_trim_each_whitespace, 0, 29);
    tcase_add_test(tc, test_trim_all_together);
    tcase_add_loop_test(tc, test_trim_not_whitespace, 0, (int)(sizeof not_ws / sizeof not_ws[0]));
    tcase_add_test(tc, test_trim_misc);
    tcase_add_test(tc, test_render_trims_python_whitespace);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(template_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
