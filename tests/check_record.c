/*
 * check_record.c - unit tests for record.h: shapes (auto and forced), key
 * options, role names and aliases, content parts, record-level options,
 * special-token policies, and every error class with its code, position
 * (file:line:column of the offending value) and message path.
 *
 * Each record is built in memory as an lf_rawrec of file "t.jsonl" at line
 * 7, column 1, in a heap copy of exactly its length (not NUL-terminated), so
 * that a read past the record is caught by valgrind/ASan.  Expected error
 * positions are computed from the record text (the offending byte), with
 * Python's json module as the reference for JSON syntax errors.
 */
#include <check.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llamafmt/error.h"
#include "llamafmt/reader.h"
#include "llamafmt/record.h"

#define FILE_NAME "t.jsonl"
#define REC_LINE 7
#define REC_COL 1

/* ---- fixture ---------------------------------------------------------------- */

static lf_record_opts g_opts;
static lf_parser *g_p;
static char *g_data;
static lf_rawrec g_rec;
static lf_error g_err;
static const lf_conversation *g_conv;

static void setup(void)
{
    memset(&g_opts, 0, sizeof g_opts);
    g_opts.shape = LF_SHAPE_AUTO;
    g_opts.special = LF_SPECIAL_ERROR;
    g_p = NULL;
    g_data = NULL;
    g_conv = NULL;
}

/* Scratch memory of a test, released by teardown even when an assertion
 * leaves the test early (CK_FORK=no valgrind stays clean). */
static void *g_scratch[8];
static size_t g_nscratch;

static void *tmalloc(size_t n)
{
    ck_assert_uint_lt(g_nscratch, sizeof g_scratch / sizeof g_scratch[0]);
    void *m = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(m);
    g_scratch[g_nscratch++] = m;
    return m;
}

static void teardown(void)
{
    for (size_t i = 0; i < g_nscratch; i++)
        free(g_scratch[i]);
    g_nscratch = 0;
    lf_parser_free(g_p);
    g_p = NULL;
    free(g_data);
    g_data = NULL;
}

static lf_code parse_at(const char *json, size_t n, uint64_t line, uint64_t col)
{
    if (g_p == NULL) {
        g_p = lf_parser_new(&g_opts);
        ck_assert_ptr_nonnull(g_p);
    }
    free(g_data);
    g_data = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(g_data);
    memcpy(g_data, json, n);
    g_rec.data = g_data;
    g_rec.len = n;
    g_rec.file = FILE_NAME;
    g_rec.line = line;
    g_rec.column = col;
    lf_error_clear(&g_err);
    g_conv = NULL;
    return lf_record_parse(g_p, &g_rec, &g_conv, &g_err);
}

static lf_code parse(const char *json) { return parse_at(json, strlen(json), REC_LINE, REC_COL); }

static void parse_ok(const char *json)
{
    lf_code rc = parse(json);
    ck_assert_msg(rc == LF_OK, "rejected (%s): %s:%llu:%llu: %s\nrecord: %s", lf_code_name(rc),
                  g_err.file ? g_err.file : "?", (unsigned long long)g_err.line, (unsigned long long)g_err.column,
                  g_err.msg, json);
    ck_assert_ptr_nonnull(g_conv);
}

typedef struct msg_t {
    lf_role role;
    const char *text;
} msg_t;

static void expect_msgs(const msg_t *want, size_t n)
{
    ck_assert_ptr_nonnull(g_conv);
    ck_assert_msg(g_conv->n == n, "%zu messages, expected %zu", g_conv->n, n);
    for (size_t i = 0; i < n; i++) {
        const lf_message *m = &g_conv->msgs[i];
        size_t len = strlen(want[i].text);
        ck_assert_msg(m->role == want[i].role, "message %zu: role %s, expected %s", i, lf_role_name(m->role),
                      lf_role_name(want[i].role));
        ck_assert_msg(m->len == len && memcmp(m->text, want[i].text, len) == 0,
                      "message %zu: text \"%.*s\" (%zu bytes), expected \"%s\"", i, (int)m->len, m->text, m->len,
                      want[i].text);
    }
}

/* 1-based position of byte `off` of a record starting at line:col. */
static void pos_of(const char *s, size_t off, uint64_t line, uint64_t col, uint64_t *l, uint64_t *c)
{
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    *l = line;
    *c = col;
}

static size_t offset_of(const char *hay, const char *needle, int nth)
{
    if (needle == NULL)
        return strlen(hay);
    const char *p = hay;
    for (;;) {
        p = strstr(p, needle);
        ck_assert_msg(p != NULL, "test bug: \"%s\" not in record", needle);
        if (nth-- == 0)
            return (size_t)(p - hay);
        p++;
    }
}

static void expect_error(const char *json, lf_code code, const char *at, int nth, const char *prefix,
                         const char *contains)
{
    uint64_t line, col;
    lf_code rc = parse(json);
    ck_assert_msg(rc == code, "code %s (%s), expected %s\nrecord: %s", lf_code_name(rc), g_err.msg,
                  lf_code_name(code), json);
    ck_assert_int_eq(g_err.code, code);
    ck_assert_msg(g_conv == NULL, "conversation returned with an error");
    ck_assert_ptr_nonnull(g_err.file);
    ck_assert_str_eq(g_err.file, FILE_NAME);
    pos_of(json, offset_of(json, at, nth), REC_LINE, REC_COL, &line, &col);
    ck_assert_msg(g_err.line == line && g_err.column == col, "error at %llu:%llu, expected %llu:%llu (%s)\nrecord: %s",
                  (unsigned long long)g_err.line, (unsigned long long)g_err.column, (unsigned long long)line,
                  (unsigned long long)col, g_err.msg, json);
    ck_assert_msg(strchr(g_err.msg, '\n') == NULL, "message is not one line: %s", g_err.msg);
    if (prefix != NULL)
        ck_assert_msg(strncmp(g_err.msg, prefix, strlen(prefix)) == 0, "message \"%s\" does not start with \"%s\"",
                      g_err.msg, prefix);
    if (contains != NULL)
        ck_assert_msg(strstr(g_err.msg, contains) != NULL, "message \"%s\" does not contain \"%s\"", g_err.msg,
                      contains);
}

/* ---- shapes ------------------------------------------------------------------- */

enum preset {
    P_NONE,
    P_FORCE_MESSAGES,
    P_FORCE_SHAREGPT,
    P_FORCE_ALPACA,
    P_FORCE_FLAT,
    P_KEYS,            /* --messages-key=dialog --role-key=speaker --content-key=text */
    P_MSGKEY,          /* --messages-key=chat */
    P_KEYS_SHAREGPT,   /* -f sharegpt --messages-key=turns --role-key=speaker --content-key=text */
    P_JOINER,          /* --alpaca-joiner=" | " */
    P_ALIASES,         /* --role-map customer=user,bot=assistant,func=tool,gpt=user */
    P_SYSTEM,          /* --system="You are DEF." */
    P_STRIP,
    P_ALLOW
};

static const lf_role_alias test_aliases[] = {
    {"customer", LF_ROLE_USER},
    {"bot", LF_ROLE_ASSISTANT},
    {"func", LF_ROLE_IPYTHON},
    {"gpt", LF_ROLE_USER},
};

static void apply_preset(int p)
{
    switch (p) {
    case P_FORCE_MESSAGES: g_opts.shape = LF_SHAPE_MESSAGES; break;
    case P_FORCE_SHAREGPT: g_opts.shape = LF_SHAPE_SHAREGPT; break;
    case P_FORCE_ALPACA: g_opts.shape = LF_SHAPE_ALPACA; break;
    case P_FORCE_FLAT: g_opts.shape = LF_SHAPE_FLAT; break;
    case P_KEYS:
        g_opts.messages_key = "dialog";
        g_opts.role_key = "speaker";
        g_opts.content_key = "text";
        break;
    case P_MSGKEY: g_opts.messages_key = "chat"; break;
    case P_KEYS_SHAREGPT:
        g_opts.shape = LF_SHAPE_SHAREGPT;
        g_opts.messages_key = "turns";
        g_opts.role_key = "speaker";
        g_opts.content_key = "text";
        break;
    case P_JOINER: g_opts.alpaca_joiner = " | "; break;
    case P_ALIASES:
        g_opts.aliases = test_aliases;
        g_opts.n_aliases = sizeof test_aliases / sizeof test_aliases[0];
        break;
    case P_SYSTEM: g_opts.default_system = "You are DEF."; break;
    case P_STRIP: g_opts.special = LF_SPECIAL_STRIP; break;
    case P_ALLOW: g_opts.special = LF_SPECIAL_ALLOW; break;
    default: break;
    }
}

#define S LF_ROLE_SYSTEM
#define U LF_ROLE_USER
#define A LF_ROLE_ASSISTANT
#define T LF_ROLE_IPYTHON

typedef struct ok_case {
    int preset;
    const char *json;
    lf_shape shape;
    size_t n;
    msg_t m[8];
} ok_case;

static const ok_case ok_cases[] = {
    /* 0: messages */
    {P_NONE,
     "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"}, {\"role\": \"user\", \"content\": \"U\"}, "
     "{\"role\": \"assistant\", \"content\": \"A\"}]}",
     LF_SHAPE_MESSAGES, 3, {{S, "S"}, {U, "U"}, {A, "A"}}},
    /* 1: tool and ipython roles */
    {P_NONE,
     "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"c\"}, "
     "{\"role\": \"tool\", \"content\": \"22.0\"}, {\"role\": \"ipython\", \"content\": \"x\"}, "
     "{\"role\": \"assistant\", \"content\": \"a\"}]}",
     LF_SHAPE_MESSAGES, 5, {{U, "q"}, {A, "c"}, {T, "22.0"}, {T, "x"}, {A, "a"}}},
    /* 2: unknown keys are ignored, whitespace around and inside */
    {P_NONE,
     " \r\n\t{ \"id\" : 3 , \"meta\": {\"x\": [1, {\"messages\": 2}]},\n \"messages\" :\n [ {\"name\": \"n\", "
     "\"role\":\"user\",\"content\":\"q\", \"weight\": 0.5} ,{\"role\":\"assistant\",\"content\":\"a\"}]\n }\n ",
     LF_SHAPE_MESSAGES, 2, {{U, "q"}, {A, "a"}}},
    /* 3: sharegpt */
    {P_NONE,
     "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}",
     LF_SHAPE_SHAREGPT, 2, {{U, "q"}, {A, "a"}}},
    /* 4: sharegpt top-level system, model, observation */
    {P_NONE,
     "{\"system\": \"Sys\", \"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"model\", "
     "\"value\": \"call\"}, {\"from\": \"observation\", \"value\": \"r\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}",
     LF_SHAPE_SHAREGPT, 5, {{S, "Sys"}, {U, "q"}, {A, "call"}, {T, "r"}, {A, "a"}}},
    /* 5: sharegpt with the plain role names as well */
    {P_NONE,
     "{\"conversations\": [{\"from\": \"system\", \"value\": \"s\"}, {\"from\": \"user\", \"value\": \"q\"}, "
     "{\"from\": \"assistant\", \"value\": \"c\"}, {\"from\": \"function_response\", \"value\": \"f\"}, "
     "{\"from\": \"tool\", \"value\": \"t\"}, {\"from\": \"ipython\", \"value\": \"i\"}, "
     "{\"from\": \"gpt\", \"value\": \"a\"}]}",
     LF_SHAPE_SHAREGPT, 7, {{S, "s"}, {U, "q"}, {A, "c"}, {T, "f"}, {T, "t"}, {T, "i"}, {A, "a"}}},
    /* 6: sharegpt system: null is "no system" */
    {P_NONE,
     "{\"system\": null, \"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": "
     "\"a\"}]}",
     LF_SHAPE_SHAREGPT, 2, {{U, "q"}, {A, "a"}}},
    /* 7: alpaca with input */
    {P_NONE, "{\"instruction\": \"I\", \"input\": \"X\", \"output\": \"O\"}", LF_SHAPE_ALPACA, 2,
     {{U, "I\n\nX"}, {A, "O"}}},
    /* 8: alpaca without input */
    {P_NONE, "{\"instruction\": \"I\", \"output\": \"O\"}", LF_SHAPE_ALPACA, 2, {{U, "I"}, {A, "O"}}},
    /* 9: alpaca with empty input */
    {P_NONE, "{\"instruction\": \"I\", \"input\": \"\", \"output\": \"O\"}", LF_SHAPE_ALPACA, 2, {{U, "I"}, {A, "O"}}},
    /* 10: alpaca with null input */
    {P_NONE, "{\"instruction\": \"I\", \"input\": null, \"output\": \"O\"}", LF_SHAPE_ALPACA, 2,
     {{U, "I"}, {A, "O"}}},
    /* 11: alpaca with system and history */
    {P_NONE,
     "{\"system\": \"Sys\", \"history\": [[\"q1\", \"a1\"], [\"q2\", \"a2\"]], \"instruction\": \"I\", "
     "\"input\": \"X\", \"output\": \"O\"}",
     LF_SHAPE_ALPACA, 7, {{S, "Sys"}, {U, "q1"}, {A, "a1"}, {U, "q2"}, {A, "a2"}, {U, "I\n\nX"}, {A, "O"}}},
    /* 12: alpaca with empty / null history */
    {P_NONE, "{\"history\": [], \"instruction\": \"I\", \"output\": \"O\"}", LF_SHAPE_ALPACA, 2,
     {{U, "I"}, {A, "O"}}},
    {P_NONE, "{\"history\": null, \"instruction\": \"I\", \"output\": \"O\"}", LF_SHAPE_ALPACA, 2,
     {{U, "I"}, {A, "O"}}},
    /* 14: alpaca custom joiner */
    {P_JOINER, "{\"instruction\": \"I\", \"input\": \"X\", \"output\": \"O\"}", LF_SHAPE_ALPACA, 2,
     {{U, "I | X"}, {A, "O"}}},
    {P_JOINER, "{\"instruction\": \"I\", \"input\": \"\", \"output\": \"O\"}", LF_SHAPE_ALPACA, 2,
     {{U, "I"}, {A, "O"}}},
    /* 16: flat */
    {P_NONE, "{\"user\": \"u\", \"assistant\": \"a\"}", LF_SHAPE_FLAT, 2, {{U, "u"}, {A, "a"}}},
    {P_NONE, "{\"system\": \"s\", \"user\": \"u\", \"assistant\": \"a\"}", LF_SHAPE_FLAT, 3,
     {{S, "s"}, {U, "u"}, {A, "a"}}},
    {P_NONE, "{\"assistant\": \"a\", \"user\": \"u\", \"system\": null}", LF_SHAPE_FLAT, 2, {{U, "u"}, {A, "a"}}},
    /* 19: forced shapes where auto would pick another one */
    {P_FORCE_FLAT, "{\"instruction\": \"I\", \"output\": \"O\", \"user\": \"u\", \"assistant\": \"a\"}",
     LF_SHAPE_FLAT, 2, {{U, "u"}, {A, "a"}}},
    {P_FORCE_SHAREGPT,
     "{\"messages\": [{\"role\": \"user\", \"content\": \"m\"}], \"conversations\": [{\"from\": \"human\", "
     "\"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}",
     LF_SHAPE_SHAREGPT, 2, {{U, "q"}, {A, "a"}}},
    {P_FORCE_ALPACA,
     "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}], \"instruction\": \"I\", \"output\": \"O\"}",
     LF_SHAPE_ALPACA, 2, {{U, "I"}, {A, "O"}}},
    {P_FORCE_MESSAGES,
     "{\"user\": \"u\", \"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", "
     "\"content\": \"a\"}]}",
     LF_SHAPE_MESSAGES, 2, {{U, "q"}, {A, "a"}}},
    {P_FORCE_FLAT, "{\"messages\": [], \"user\": \"u\", \"assistant\": \"a\"}", LF_SHAPE_FLAT, 2,
     {{U, "u"}, {A, "a"}}},
    /* 24: key options */
    {P_KEYS,
     "{\"dialog\": [{\"speaker\": \"user\", \"text\": \"hi\"}, {\"speaker\": \"assistant\", \"text\": \"yo\"}]}",
     LF_SHAPE_MESSAGES, 2, {{U, "hi"}, {A, "yo"}}},
    {P_MSGKEY,
     "{\"chat\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}",
     LF_SHAPE_SHAREGPT, 2, {{U, "q"}, {A, "a"}}},
    {P_MSGKEY,
     "{\"chat\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}",
     LF_SHAPE_MESSAGES, 2, {{U, "q"}, {A, "a"}}},
    {P_KEYS_SHAREGPT,
     "{\"system\": \"s\", \"turns\": [{\"speaker\": \"human\", \"text\": \"q\"}, {\"speaker\": \"gpt\", \"text\": "
     "\"a\"}]}",
     LF_SHAPE_SHAREGPT, 3, {{S, "s"}, {U, "q"}, {A, "a"}}},
    /* 28: role aliases, applied before the built-in names */
    {P_ALIASES,
     "{\"messages\": [{\"role\": \"customer\", \"content\": \"q\"}, {\"role\": \"bot\", \"content\": \"c\"}, "
     "{\"role\": \"func\", \"content\": \"r\"}, {\"role\": \"bot\", \"content\": \"a\"}]}",
     LF_SHAPE_MESSAGES, 4, {{U, "q"}, {A, "c"}, {T, "r"}, {A, "a"}}},
    {P_ALIASES,
     "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \"g\"}, "
     "{\"from\": \"bot\", \"value\": \"a\"}]}",
     LF_SHAPE_SHAREGPT, 3, {{U, "q"}, {U, "g"}, {A, "a"}}},
    /* 30: content as a list of text parts, joined with "\n" */
    {P_NONE,
     "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"a\"}, {\"type\": \"text\", "
     "\"text\": \"b c\"}, {\"text\": \"\", \"type\": \"text\"}]}, {\"role\": \"assistant\", \"content\": "
     "[{\"type\": \"text\", \"text\": \"only\"}]}]}",
     LF_SHAPE_MESSAGES, 2, {{U, "a\nb c\n"}, {A, "only"}}},
    /* 31: --system when the record has none */
    {P_SYSTEM, "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}",
     LF_SHAPE_MESSAGES, 3, {{S, "You are DEF."}, {U, "q"}, {A, "a"}}},
    {P_SYSTEM,
     "{\"messages\": [{\"role\": \"system\", \"content\": \"own\"}, {\"role\": \"user\", \"content\": \"q\"}, "
     "{\"role\": \"assistant\", \"content\": \"a\"}]}",
     LF_SHAPE_MESSAGES, 3, {{S, "own"}, {U, "q"}, {A, "a"}}},
    {P_SYSTEM,
     "{\"system\": \"own\", \"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", "
     "\"value\": \"a\"}]}",
     LF_SHAPE_SHAREGPT, 3, {{S, "own"}, {U, "q"}, {A, "a"}}},
    {P_SYSTEM, "{\"instruction\": \"I\", \"output\": \"O\"}", LF_SHAPE_ALPACA, 3,
     {{S, "You are DEF."}, {U, "I"}, {A, "O"}}},
    {P_SYSTEM, "{\"user\": \"u\", \"assistant\": \"a\"}", LF_SHAPE_FLAT, 3, {{S, "You are DEF."}, {U, "u"}, {A, "a"}}},
    {P_SYSTEM, "{\"system\": \"own\", \"user\": \"u\", \"assistant\": \"a\"}", LF_SHAPE_FLAT, 3,
     {{S, "own"}, {U, "u"}, {A, "a"}}},
    /* 37: escapes and raw UTF-8 */
    {P_NONE,
     "{\"messages\": [{\"role\": \"user\", \"content\": \"\\u00e9\\ud83d\\ude00\\uD55C \\n\\t\\r\\b\\f\\\"\\\\\\/"
     "\"}, {\"role\": \"assistant\", \"content\": \"\xED\x95\x9C\xEA\xB8\x80 \xF0\x9F\x98\x80 \x7F \xE2\x80\xA8 "
     "\xC2\x85\"}]}",
     LF_SHAPE_MESSAGES, 2,
     {{U, "\xC3\xA9\xF0\x9F\x98\x80\xED\x95\x9C \n\t\r\b\f\"\\/"}, {A, "\xED\x95\x9C\xEA\xB8\x80 \xF0\x9F\x98\x80 \x7F \xE2\x80\xA8 \xC2\x85"}}},
    /* 38: empty content is kept */
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"\"}, {\"role\": \"assistant\", \"content\": \"\"}]}",
     LF_SHAPE_MESSAGES, 2, {{U, ""}, {A, ""}}},
    /* 39: valid numbers anywhere */
    {P_NONE,
     "{\"n\": [-0, 0, 0.5e-3, 1E+2, -1.25, 10, 1e5, 0.0, -0.0e0], \"messages\": [{\"role\": \"user\", \"content\": "
     "\"q\", \"w\": 1.5}, {\"role\": \"assistant\", \"content\": \"a\"}]}",
     LF_SHAPE_MESSAGES, 2, {{U, "q"}, {A, "a"}}},
    /* 40: no tools */
    {P_NONE,
     "{\"tools\": [], \"custom_tools\": null, \"builtin_tools\": [], \"messages\": [{\"role\": \"user\", "
     "\"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}",
     LF_SHAPE_MESSAGES, 2, {{U, "q"}, {A, "a"}}},
    {P_NONE,
     "{\"tools\": null, \"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", "
     "\"content\": \"a\"}]}",
     LF_SHAPE_MESSAGES, 2, {{U, "q"}, {A, "a"}}},
    /* 42: duplicates of keys llamafmt does not read are fine */
    {P_NONE,
     "{\"id\": 1, \"id\": 2, \"messages\": [{\"role\": \"user\", \"content\": \"q\", \"name\": \"a\", \"name\": "
     "\"b\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}",
     LF_SHAPE_MESSAGES, 2, {{U, "q"}, {A, "a"}}},
    /* 43: special-token policies */
    {P_STRIP,
     "{\"messages\": [{\"role\": \"system\", \"content\": \"<|begin_of_text|>s\"}, {\"role\": \"user\", "
     "\"content\": \"a<|eot_id|>b<|reserved_special_token_247|>c<|start_header_id|>\"}, {\"role\": \"assistant\", "
     "\"content\": \"<|eom_id|><|python_tag|>x<|end_of_text|>\"}]}",
     LF_SHAPE_MESSAGES, 3, {{S, "s"}, {U, "abc"}, {A, "x"}}},
    {P_ALLOW,
     "{\"messages\": [{\"role\": \"user\", \"content\": \"a<|eot_id|>b\"}, {\"role\": \"assistant\", \"content\": "
     "\"<|eot_id|><|begin_of_text|>\"}]}",
     LF_SHAPE_MESSAGES, 2, {{U, "a<|eot_id|>b"}, {A, "<|eot_id|><|begin_of_text|>"}}},
    {P_STRIP,
     "{\"messages\": [{\"role\": \"user\", \"content\": \"<|foo|> <eot_id> <| eot_id |>\"}, {\"role\": "
     "\"assistant\", \"content\": \"<|reserved_special_token_248|>\"}]}",
     LF_SHAPE_MESSAGES, 2, {{U, "<|foo|> <eot_id> <| eot_id |>"}, {A, "<|reserved_special_token_248|>"}}},
    {P_STRIP,
     "{\"instruction\": \"<|eot_id|>I\", \"input\": \"X<|eom_id|>\", \"output\": \"O<|python_tag|>\"}",
     LF_SHAPE_ALPACA, 2, {{U, "I\n\nX"}, {A, "O"}}},
};

START_TEST(test_shapes_ok)
{
    const ok_case *c = &ok_cases[_i];
    apply_preset(c->preset);
    parse_ok(c->json);
    ck_assert_msg(g_conv->shape == c->shape, "shape %s, expected %s", lf_shape_name(g_conv->shape),
                  lf_shape_name(c->shape));
    expect_msgs(c->m, c->n);
    ck_assert_ptr_null(g_conv->date);
    ck_assert_int_eq(g_conv->gen_prompt, -1);
}
END_TEST

/* The parser is reused: each parse starts from scratch, and a conversation
 * stays valid until the next parse. */
START_TEST(test_parser_reuse)
{
    static const msg_t three[] = {{S, "S"}, {U, "U"}, {A, "A"}};
    static const msg_t two[] = {{U, "u"}, {A, "a"}};
    const char *j3 = ok_cases[0].json;
    parse_ok(j3);
    expect_msgs(three, 3);
    parse_ok("{\"user\": \"u\", \"assistant\": \"a\", \"date_string\": \"01 Jan 2025\"}");
    expect_msgs(two, 2);
    ck_assert_int_eq(g_conv->shape, LF_SHAPE_FLAT);
    ck_assert_ptr_nonnull(g_conv->date);
    ck_assert_int_eq(parse("{\"messages\": 1}"), LF_E_TYPE);
    parse_ok(j3);
    expect_msgs(three, 3);
    ck_assert_ptr_null(g_conv->date);
    ck_assert_int_eq(g_conv->shape, LF_SHAPE_MESSAGES);
    /* a long conversation (more messages than any initial capacity) */
    char *big = tmalloc(200 * 64 + 64);
    size_t k = (size_t)sprintf(big, "{\"messages\": [");
    for (int i = 0; i < 200; i++)
        k += (size_t)sprintf(big + k, "%s{\"role\": \"%s\", \"content\": \"m%d\"}", i ? ", " : "",
                             i % 2 ? "assistant" : "user", i);
    k += (size_t)sprintf(big + k, "]}");
    lf_code rc = parse_at(big, k, 1, 1);
    ck_assert_int_eq(rc, LF_OK);
    ck_assert_uint_eq(g_conv->n, 200);
    ck_assert_int_eq(g_conv->msgs[199].role, LF_ROLE_ASSISTANT);
    ck_assert_uint_eq(g_conv->msgs[199].len, 4);
    ck_assert_int_eq(memcmp(g_conv->msgs[199].text, "m199", 4), 0);
}
END_TEST

/* ---- record-level keys ------------------------------------------------------------ */

#define QA "\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}]"

static const struct {
    const char *json;
    const char *date; /* NULL: none */
    int gen;
} level_cases[] = {
    {"{" QA "}", NULL, -1},
    {"{\"date_string\": \"01 Jan 2025\", " QA "}", "01 Jan 2025", -1},
    {"{" QA ", \"add_generation_prompt\": true}", NULL, 1},
    {"{" QA ", \"add_generation_prompt\": false, \"date_string\": \"2 Feb 2025\"}", "2 Feb 2025", 0},
    {"{" QA ", \"add_generation_prompt\": null, \"date_string\": null}", NULL, -1},
    {"{\"date_string\": \"\\u0031\\u0032 Mar 2025\", \"add_generation_prompt\": true, " QA "}", "12 Mar 2025", 1},
    {"{\"date_string\": \"07 \xEC\x9B\x94\", \"user\": \"u\", \"assistant\": \"a\"}", "07 \xEC\x9B\x94", -1},
};

START_TEST(test_record_level_keys)
{
    parse_ok(level_cases[_i].json);
    ck_assert_int_eq(g_conv->gen_prompt, level_cases[_i].gen);
    if (level_cases[_i].date == NULL) {
        ck_assert_ptr_null(g_conv->date);
    } else {
        size_t n = strlen(level_cases[_i].date);
        ck_assert_ptr_nonnull(g_conv->date);
        ck_assert_msg(g_conv->date_len == n && memcmp(g_conv->date, level_cases[_i].date, n) == 0,
                      "date \"%.*s\", expected \"%s\"", (int)g_conv->date_len, g_conv->date, level_cases[_i].date);
    }
}
END_TEST

/* ---- errors -------------------------------------------------------------------------- */

typedef struct err_case {
    int preset;
    const char *json;
    lf_code code;
    const char *at;       /* the offending bytes: first occurrence (after nth) marks the position; NULL: end */
    int nth;
    const char *prefix;   /* the message starts with this (the JSON path) */
    const char *contains;
} err_case;

#define MU "{\"role\": \"user\", \"content\": \"q\"}"
#define MA "{\"role\": \"assistant\", \"content\": \"a\"}"

static const err_case err_cases[] = {
    /* invalid JSON: positions as Python's json module reports them */
    {P_NONE, "{\"messages\": [}", LF_E_JSON, "}", 0, NULL, NULL},
    {P_NONE, "{\"messages\" [1]}", LF_E_JSON, "[", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [", LF_E_JSON, NULL, 0, NULL, NULL},
    {P_NONE, "{\"a\": tru}", LF_E_JSON, "tru", 0, NULL, NULL},
    {P_NONE, "{\"a\": [1, 2,]}", LF_E_JSON, "]", 0, NULL, NULL},
    {P_NONE, "{\"a\": {\"b\": 1,}}", LF_E_JSON, "}", 0, NULL, NULL},
    {P_NONE, "{'a': 1}", LF_E_JSON, "'", 0, NULL, NULL},
    {P_NONE, "{\"a\": 1 \"b\": 2}", LF_E_JSON, "\"b\"", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [" MU "], }", LF_E_JSON, "}", 1, NULL, NULL},
    {P_NONE, "{\"a\":\n  [1,\n   }", LF_E_JSON, "}", 0, NULL, NULL},
    {P_NONE, "", LF_E_JSON, NULL, 0, NULL, NULL},
    {P_NONE, "{\"a\"", LF_E_JSON, NULL, 0, NULL, NULL},
    {P_NONE, "{\"messages\": [" MU, LF_E_JSON, NULL, 0, NULL, NULL},
    {P_NONE, "{,}", LF_E_JSON, ",", 0, NULL, NULL},
    {P_NONE, "{\"a\": 1,, \"b\": 2}", LF_E_JSON, ",", 1, NULL, NULL},
    {P_NONE, "{\"a\": [1 2]}", LF_E_JSON, "2", 0, NULL, NULL},
    /* trailing garbage */
    {P_NONE, "{\"messages\": [" MU ", " MA "]} x", LF_E_JSON, "x", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [" MU ", " MA "]}{}", LF_E_JSON, "{}", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [" MU ", " MA "]}\n\n  ]", LF_E_JSON, "]", 1, NULL, NULL},
    /* invalid UTF-8 (raw bytes), incl. overlongs, surrogates, > U+10FFFF */
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\xFF" "b\"}]}", LF_E_UTF8, "\xFF", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\x80\"}]}", LF_E_UTF8, "\x80", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\xC3\"}]}", LF_E_UTF8, "\xC3", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"\xE2\x82 \"}]}", LF_E_UTF8, "\xE2", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"\xC0\xAF\"}]}", LF_E_UTF8, "\xC0", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"\xC1\xBF\"}]}", LF_E_UTF8, "\xC1", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"\xE0\x80\xAF\"}]}", LF_E_UTF8, "\xE0", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"\xE0\x9F\xBF\"}]}", LF_E_UTF8, "\xE0", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"\xF0\x80\x80\xAF\"}]}", LF_E_UTF8, "\xF0", 0, NULL,
     NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"\xF0\x8F\xBF\xBF\"}]}", LF_E_UTF8, "\xF0", 0, NULL,
     NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"x\xED\xA0\x80\"}]}", LF_E_UTF8, "\xED", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"\xED\xBF\xBF\"}]}", LF_E_UTF8, "\xED", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"\xF4\x90\x80\x80\"}]}", LF_E_UTF8, "\xF4", 0, NULL,
     NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"\xF5\x80\x80\x80\"}]}", LF_E_UTF8, "\xF5", 0, NULL,
     NULL},
    {P_NONE, "{\"mess\xFF" "ages\": []}", LF_E_UTF8, "\xFF", 0, NULL, NULL},
    {P_NONE, "{\"messages\": []}\xFF", LF_E_UTF8, "\xFF", 0, NULL, NULL},
    {P_NONE, "\xC3\xA9{\"messages\": []}", LF_E_JSON, "\xC3", 0, NULL, NULL},
    /* \u escapes */
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\\u0000b\"}, " MA "]}", LF_E_ESCAPE, "\\u0000", 0,
     NULL, "\\u0000"},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\\uZZZZ\"}, " MA "]}", LF_E_ESCAPE, "\\uZZZZ", 0,
     NULL, NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\\u12\"}, " MA "]}", LF_E_ESCAPE, "\\u12", 0, NULL,
     NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\\u00G1\"}, " MA "]}", LF_E_ESCAPE, "\\u00G1", 0,
     NULL, NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\\ud800\"}, " MA "]}", LF_E_ESCAPE, "\\ud800", 0,
     NULL, "surrogate"},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\\uDBFFb\"}, " MA "]}", LF_E_ESCAPE, "\\uDBFF", 0,
     NULL, "surrogate"},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\\udc00\"}, " MA "]}", LF_E_ESCAPE, "\\udc00", 0,
     NULL, "surrogate"},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"\\uDFFF\"}, " MA "]}", LF_E_ESCAPE, "\\uDFFF", 0,
     NULL, "surrogate"},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"\\ud800\\u0041\"}, " MA "]}", LF_E_ESCAPE, "\\ud800",
     0, NULL, "surrogate"},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"\\ud800\\ud800\\udc00\"}, " MA "]}", LF_E_ESCAPE,
     "\\ud800", 0, NULL, "surrogate"},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"\\ude00\\ud83d\"}, " MA "]}", LF_E_ESCAPE, "\\ude00",
     0, NULL, "surrogate"},
    {P_NONE, "{\"note\": \"\\u0000\", \"messages\": [" MU ", " MA "]}", LF_E_ESCAPE, "\\u0000", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\\x41\"}, " MA "]}", LF_E_JSON, "\\x", 0, NULL,
     NULL},
    /* raw control characters inside strings */
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\tb\"}, " MA "]}", LF_E_JSON, "\t", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\nb\"}, " MA "]}", LF_E_JSON, "\n", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"abcdefghijklmnop\x01q\"}, " MA "]}", LF_E_JSON,
     "\x01", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"\x1F\"}, " MA "]}", LF_E_JSON, "\x1F", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"x\r\"}, " MA "]}", LF_E_JSON, "\r", 0, NULL, NULL},
    /* bad numbers */
    {P_NONE, "{\"messages\": [" MU ", " MA "], \"n\": 01}", LF_E_JSON, "01", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [" MU ", " MA "], \"n\": -01}", LF_E_JSON, "-01", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [" MU ", " MA "], \"n\": +1}", LF_E_JSON, "+1", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [" MU ", " MA "], \"n\": .5}", LF_E_JSON, ".5", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [" MU ", " MA "], \"n\": 1.}", LF_E_JSON, "1.", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [" MU ", " MA "], \"n\": [1.e5]}", LF_E_JSON, "1.e5", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [" MU ", " MA "], \"n\": [1e]}", LF_E_JSON, "1e", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [" MU ", " MA "], \"n\": [-]}", LF_E_JSON, "-", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [" MU ", " MA "], \"n\": [1e+]}", LF_E_JSON, "1e+", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [" MU ", " MA "], \"n\": [0x10]}", LF_E_JSON, "x10", 0, NULL, NULL},
    /* not an object */
    {P_NONE, "[{\"messages\": []}]", LF_E_TYPE, "[", 0, NULL, "object"},
    {P_NONE, "  \"str\"", LF_E_TYPE, "\"", 0, NULL, "object"},
    {P_NONE, "42", LF_E_TYPE, "42", 0, NULL, "object"},
    {P_NONE, "null", LF_E_TYPE, "null", 0, NULL, "object"},
    /* wrong types */
    {P_NONE, "{\"messages\": {\"role\": \"user\"}}", LF_E_TYPE, "{\"role\"", 0, "messages: ", NULL},
    {P_NONE, "{\"messages\": \"hi\"}", LF_E_TYPE, "\"hi\"", 0, "messages: ", NULL},
    {P_NONE, "{\"messages\": null}", LF_E_TYPE, "null", 0, "messages: ", NULL},
    {P_NONE, "{\"messages\": [\"hi\"]}", LF_E_TYPE, "\"hi\"", 0, "messages[0]: ", NULL},
    {P_NONE, "{\"messages\": [" MU ", [1]]}", LF_E_TYPE, "[1]", 0, "messages[1]: ", NULL},
    {P_NONE, "{\"messages\": [{\"role\": 1, \"content\": \"x\"}]}", LF_E_TYPE, "1", 0, "messages[0].role: ", NULL},
    {P_NONE, "{\"messages\": [{\"role\": null, \"content\": \"x\"}]}", LF_E_TYPE, "null", 0, "messages[0].role: ",
     NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": 5}, " MA "]}", LF_E_TYPE, "5", 0,
     "messages[0].content: ", NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": {\"text\": \"x\"}}, " MA "]}", LF_E_TYPE, "{\"text\"",
     0, "messages[0].content: ", NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": true}, " MA "]}", LF_E_TYPE, "true", 0,
     "messages[0].content: ", NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": [\"x\"]}, " MA "]}", LF_E_TYPE, "\"x\"]", 0,
     "messages[0].content[0]: ", NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\", \"image_url\": {}}]}, " MA "]}",
     LF_E_TYPE, "\"image_url\"", 0, "messages[0].content[0].type: ", "image_url"},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image\\nurl\"}]}, " MA "]}",
     LF_E_TYPE, "\"image", 0, "messages[0].content[0].type: ", NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": 3}]}, " MA "]}",
     LF_E_TYPE, "3}", 0, "messages[0].content[0].text: ", NULL},
    {P_NONE, "{\"conversations\": {\"from\": \"human\"}}", LF_E_TYPE, "{\"from\"", 0, "conversations: ", NULL},
    {P_NONE, "{\"system\": 5, \"conversations\": [{\"from\": \"human\", \"value\": \"q\"}]}", LF_E_TYPE, "5", 0,
     "system: ", NULL},
    {P_NONE, "{\"conversations\": [{\"from\": \"human\", \"value\": [1]}]}", LF_E_TYPE, "1]", 0,
     "conversations[0].value[0]: ", NULL},
    {P_NONE, "{\"instruction\": 1, \"output\": \"O\"}", LF_E_TYPE, "1", 0, "instruction: ", NULL},
    {P_NONE, "{\"instruction\": \"I\", \"input\": 2, \"output\": \"O\"}", LF_E_TYPE, "2", 0, "input: ", NULL},
    {P_NONE, "{\"instruction\": \"I\", \"output\": [\"O\"]}", LF_E_TYPE, "[\"O\"]", 0, "output: ", NULL},
    {P_NONE, "{\"instruction\": \"I\", \"output\": \"O\", \"system\": false}", LF_E_TYPE, "false", 0, "system: ", NULL},
    {P_NONE, "{\"instruction\": \"I\", \"output\": \"O\", \"history\": \"h\"}", LF_E_TYPE, "\"h\"", 0, "history: ",
     NULL},
    {P_NONE, "{\"instruction\": \"I\", \"output\": \"O\", \"history\": [[\"q\"]]}", LF_E_TYPE, "[\"q\"]", 0,
     "history[0]: ", NULL},
    {P_NONE, "{\"instruction\": \"I\", \"output\": \"O\", \"history\": [[\"q\", \"a\"], [\"q\", \"a\", \"x\"]]}",
     LF_E_TYPE, "[\"q\", \"a\", \"x\"]", 0, "history[1]: ", NULL},
    {P_NONE, "{\"instruction\": \"I\", \"output\": \"O\", \"history\": [[\"q\", 7]]}", LF_E_TYPE, "7", 0,
     "history[0][1]: ", NULL},
    {P_NONE, "{\"user\": 1, \"assistant\": \"a\"}", LF_E_TYPE, "1", 0, "user: ", NULL},
    {P_NONE, "{\"user\": \"u\", \"assistant\": null}", LF_E_TYPE, "null", 0, "assistant: ", NULL},
    {P_NONE, "{\"date_string\": 5, " QA "}", LF_E_TYPE, "5", 0, "date_string: ", NULL},
    {P_NONE, "{" QA ", \"add_generation_prompt\": \"yes\"}", LF_E_TYPE, "\"yes\"", 0, "add_generation_prompt: ",
     NULL},
    {P_NONE, "{" QA ", \"add_generation_prompt\": 1}", LF_E_TYPE, "1}", 0, "add_generation_prompt: ", NULL},
    /* shape */
    {P_NONE, "{\"foo\": 1}", LF_E_SHAPE, "{", 0, NULL, NULL},
    {P_NONE, "{}", LF_E_SHAPE, "{", 0, NULL, NULL},
    {P_NONE, "{\"instruction\": \"I\"}", LF_E_SHAPE, "{", 0, NULL, "\"output\""},
    {P_NONE, "{\"user\": \"u\"}", LF_E_SHAPE, "{", 0, NULL, "\"assistant\""},
    {P_NONE, "{\"assistant\": \"a\"}", LF_E_SHAPE, "{", 0, NULL, "\"user\""},
    {P_NONE, "{\"messages\": [{\"content\": \"x\"}]}", LF_E_SHAPE, "{\"content\"", 0, "messages[0]: ", "\"role\""},
    {P_FORCE_SHAREGPT, "{\"messages\": [" MU ", " MA "]}", LF_E_SHAPE, "{", 0, NULL, "\"conversations\""},
    {P_FORCE_ALPACA, "{\"messages\": [" MU ", " MA "]}", LF_E_SHAPE, "{", 0, NULL, "\"instruction\""},
    {P_FORCE_MESSAGES, "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}]}", LF_E_SHAPE, "{", 0, NULL,
     "\"messages\""},
    {P_FORCE_FLAT, "{\"messages\": [" MU ", " MA "]}", LF_E_SHAPE, "{", 0, NULL, "\"user\""},
    {P_KEYS, "{\"dialog\": [{\"role\": \"user\", \"content\": \"q\"}]}", LF_E_SHAPE, "{\"role\"", 0, "dialog[0]: ",
     "\"speaker\""},
    /* unknown roles, with the --role-map hint */
    {P_NONE, "{\"messages\": [" MU ", {\"role\": \"critic\", \"content\": \"y\"}]}", LF_E_ROLE, "\"critic\"", 0,
     "messages[1].role: ", "(add --role-map critic=user)"},
    {P_NONE, "{\"messages\": [" MU ", {\"role\": \"gpt\", \"content\": \"y\"}]}", LF_E_ROLE, "\"gpt\"", 0,
     "messages[1].role: ", "(add --role-map gpt=assistant)"},
    {P_NONE, "{\"messages\": [{\"role\": \"human\", \"content\": \"y\"}]}", LF_E_ROLE, "\"human\"", 0,
     "messages[0].role: ", "(add --role-map human=user)"},
    {P_NONE, "{\"messages\": [" MU ", " MA ", {\"role\": \"observation\", \"content\": \"y\"}]}", LF_E_ROLE,
     "\"observation\"", 0, "messages[2].role: ", "(add --role-map observation=ipython)"},
    {P_NONE, "{\"messages\": [{\"role\": \"User\", \"content\": \"y\"}]}", LF_E_ROLE, "\"User\"", 0,
     "messages[0].role: ", "unknown role"},
    {P_NONE, "{\"messages\": [{\"role\": \"\", \"content\": \"y\"}]}", LF_E_ROLE, "\"\"", 0, "messages[0].role: ",
     "unknown role"},
    {P_NONE, "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"bot\", \"value\": \"a\"}]}",
     LF_E_ROLE, "\"bot\"", 0, "conversations[1].from: ", "(add --role-map bot="},
    {P_NONE, "{\n  \"messages\": [\n    " MU ",\n    {\"role\": \"critic\", \"content\": \"y\"}\n  ]\n}", LF_E_ROLE,
     "\"critic\"", 0, "messages[1].role: ", "critic"},
    {P_NONE, "{\"messages\": [{\"role\": \"a\\nb\", \"content\": \"y\"}]}", LF_E_ROLE, "\"a\\nb\"", 0,
     "messages[0].role: ", "unknown role"},
    {P_NONE, "{\"\\u006dessages\": [{\"role\": \"user\", \"content\": \"a, b], [c\\\"}\"}, {\"role\": \"critic\", "
     "\"content\": \"x\"}]}",
     LF_E_ROLE, "\"critic\"", 0, "messages[1].role: ", "critic"},
    {P_NONE,
     "{\"meta\": {\"messages\": [{\"role\": \"critic\"}]}, \"messages\": [" MU ", {\"role\": \"critic\", "
     "\"content\": \"y\"}]}",
     LF_E_ROLE, "\"critic\"", 1, "messages[1].role: ", "critic"},
    {P_NONE,
     "{\"messages\": [{\"role\": \"rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr\", "
     "\"content\": \"y\"}]}",
     LF_E_ROLE, "\"rrr", 0, "messages[0].role: ",
     "(add --role-map rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr=user)"},
    /* lookups are case-sensitive */
    {P_NONE, "{\"Messages\": [" MU ", " MA "]}", LF_E_SHAPE, "{", 0, NULL, NULL},
    {P_NONE, "{\"messages\": [{\"Role\": \"user\", \"content\": \"q\"}]}", LF_E_SHAPE, "{\"Role\"", 0,
     "messages[0]: ", "\"role\""},
    /* system not first */
    {P_NONE, "{\"messages\": [" MU ", {\"role\": \"system\", \"content\": \"s\"}, " MA "]}", LF_E_ORDER,
     "{\"role\": \"system\"", 0, "messages[1]: ", NULL},
    {P_NONE,
     "{\"messages\": [{\"role\": \"system\", \"content\": \"s\"}, " MU ", {\"role\": \"system\", \"content\": \"t\"}, "
     MA "]}",
     LF_E_ORDER, "{\"role\": \"system\"", 1, "messages[2]: ", NULL},
    {P_NONE,
     "{\"system\": \"s\", \"conversations\": [{\"from\": \"system\", \"value\": \"t\"}, {\"from\": \"human\", "
     "\"value\": \"q\"}]}",
     LF_E_ORDER, "{\"from\": \"system\"", 0, "conversations[0]: ", NULL},
    /* no messages: reported at the message list */
    {P_NONE, "{\"messages\": []}", LF_E_EMPTY, "[", 0, "messages: ", NULL},
    {P_NONE, "{\"messages\": [{\"role\": \"system\", \"content\": \"s\"}]}", LF_E_EMPTY, "[", 0, "messages: ", NULL},
    {P_NONE, "{\"system\": \"s\", \"conversations\": []}", LF_E_EMPTY, "[", 0, "conversations: ", NULL},
    {P_SYSTEM, "{\"messages\": []}", LF_E_EMPTY, "[", 0, "messages: ", NULL},
    /* duplicate keys that llamafmt reads */
    {P_NONE, "{\"messages\": [" MU "], \"messages\": [" MU ", " MA "]}", LF_E_DUP_KEY, "{", 0, NULL,
     "duplicate key \"messages\""},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"role\": \"assistant\", \"content\": \"x\"}]}", LF_E_DUP_KEY,
     "{\"role\"", 0, "messages[0]: ", "\"role\""},
    {P_NONE, "{\"messages\": [" MU ", {\"role\": \"assistant\", \"content\": \"x\", \"content\": \"y\"}]}",
     LF_E_DUP_KEY, "{\"role\": \"assistant\"", 0, "messages[1]: ", "\"content\""},
    {P_NONE, "{\"date_string\": \"a\", \"date_string\": \"b\", " QA "}", LF_E_DUP_KEY, "{", 0, NULL,
     "\"date_string\""},
    {P_NONE, "{\"instruction\": \"I\", \"instruction\": \"J\", \"output\": \"O\"}", LF_E_DUP_KEY, "{", 0, NULL,
     "\"instruction\""},
    {P_NONE, "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\", \"from\": \"gpt\"}]}", LF_E_DUP_KEY,
     "{\"from\"", 0, "conversations[0]: ", "\"from\""},
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"a\", \"text\": \"b\"}]}, "
     MA "]}", LF_E_DUP_KEY, "{\"type\"", 0, "messages[0].content[0]: ", "\"text\""},
    /* null or missing content */
    {P_NONE, "{\"messages\": [" MU ", {\"role\": \"assistant\", \"content\": null}]}", LF_E_TYPE, "null", 0,
     "messages[1].content: ", NULL},
    {P_NONE, "{\"messages\": [" MU ", {\"role\": \"assistant\"}]}", LF_E_TYPE, "{\"role\": \"assistant\"", 0,
     "messages[1]: ", NULL},
    /* tools (rendering is covered by check_tools.c) */
    {P_NONE,
     "{\"messages\": [" MU ", {\"role\": \"assistant\", \"tool_calls\": []}]}",
     LF_E_TOOL, "[]", 0, "messages[1].tool_calls: ", "empty"},
    {P_NONE,
     "{\"messages\": [" MU ", {\"role\": \"assistant\", \"content\": \"a\", \"tool_calls\": [{\"function\": "
     "{\"name\": \"f\", \"arguments\": {}}}, {\"function\": {\"name\": \"g\", \"arguments\": {}}}]}]}",
     LF_E_TOOL, "[{\"function\"", 0, "messages[1].tool_calls: ", "more than one"},
    {P_NONE, "{\"tools\": {\"type\": \"function\"}, " QA "}", LF_E_TYPE, "{\"type\"", 0, "tools: ", NULL},
    {P_NONE, "{" QA ", \"custom_tools\": [1]}", LF_E_TYPE, "1]", 0, "custom_tools[0]: ", NULL},
    {P_NONE, "{" QA ", \"builtin_tools\": [\"brave_search\", 2]}", LF_E_TYPE, "2]", 0, "builtin_tools[1]: ", NULL},
    /* special-token text under the default policy (error) */
    {P_NONE, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi <|eot_id|>\"}, " MA "]}", LF_E_SPECIAL,
     "{\"role\": \"user\"", 0, "messages[0]", "<|eot_id|>"},
    {P_NONE, "{\"messages\": [" MU ", {\"role\": \"assistant\", \"content\": \"<|reserved_special_token_0|>\"}]}",
     LF_E_SPECIAL, "{\"role\": \"assistant\"", 0, "messages[1]", "<|reserved_special_token_0|>"},
    {P_NONE, "{\"system\": \"<|python_tag|>\", \"user\": \"u\", \"assistant\": \"a\"}", LF_E_SPECIAL, "\"<|", 0,
     "system", "<|python_tag|>"},
    {P_NONE, "{\"date_string\": \"<|eot_id|>\", " QA "}", LF_E_SPECIAL, "\"<|", 0, "date_string: ", NULL},
};

START_TEST(test_errors)
{
    const err_case *c = &err_cases[_i];
    apply_preset(c->preset);
    expect_error(c->json, c->code, c->at, c->nth, c->prefix, c->contains);
}
END_TEST

/* Positions of records that do not start at column 1 (array elements, streams). */
START_TEST(test_error_position_offset_record)
{
    uint64_t line, col;
    static const char one[] = "{\"messages\": [{\"role\": \"critic\", \"content\": \"x\"}]}";
    ck_assert_int_eq(parse_at(one, sizeof one - 1, 3, 5), LF_E_ROLE);
    pos_of(one, offset_of(one, "\"critic\"", 0), 3, 5, &line, &col);
    ck_assert_uint_eq(line, 3);
    ck_assert_uint_eq(col, 5 + 23);
    ck_assert_uint_eq(g_err.line, line);
    ck_assert_uint_eq(g_err.column, col);
    ck_assert_str_eq(g_err.file, FILE_NAME);

    static const char multi[] = "{\"messages\": [\n  {\"role\": \"user\", \"content\": \"a\xFF\"}]}";
    ck_assert_int_eq(parse_at(multi, sizeof multi - 1, 3, 5), LF_E_UTF8);
    pos_of(multi, offset_of(multi, "\xFF", 0), 3, 5, &line, &col);
    ck_assert_uint_eq(line, 4);
    ck_assert_uint_eq(col, 33); /* absolute column on a later line */
    ck_assert_uint_eq(g_err.line, line);
    ck_assert_uint_eq(g_err.column, col);

    static const char first[] = "{\"a\": 1 x}";
    ck_assert_int_eq(parse_at(first, sizeof first - 1, 3, 5), LF_E_JSON);
    ck_assert_uint_eq(g_err.line, 3);
    ck_assert_uint_eq(g_err.column, 5 + 8);
}
END_TEST

/* lf_record_locate: position of the value at a path, and the path as a prefix. */
START_TEST(test_record_locate)
{
    static const char rec[] = "{\"messages\": [\n  {\"role\": \"user\", \"content\": \"q\"},\n  {\"role\": \"x\", "
                              "\"content\": \"a\"}]}";
    lf_rawrec r = {rec, sizeof rec - 1, FILE_NAME, REC_LINE, REC_COL};
    uint64_t line, col;
    lf_path path;
    lf_error err;

    memset(&path, 0, sizeof path);
    path.step[0].key = "messages";
    path.step[1].key = NULL;
    path.step[1].index = 1;
    path.step[2].key = "role";
    path.n = 3;
    lf_error_clear(&err);
    lf_error_set(&err, LF_E_ROLE, "bad");
    lf_record_locate(&r, &path, &err);
    pos_of(rec, offset_of(rec, "\"x\"", 0), REC_LINE, REC_COL, &line, &col);
    ck_assert_str_eq(err.file, FILE_NAME);
    ck_assert_uint_eq(err.line, line);
    ck_assert_uint_eq(err.column, col);
    ck_assert_str_eq(err.msg, "messages[1].role: bad");
    ck_assert_int_eq(err.code, LF_E_ROLE);

    /* the message object itself */
    path.n = 2;
    lf_error_set(&err, LF_E_NO_ASSISTANT, "last");
    lf_record_locate(&r, &path, &err);
    pos_of(rec, offset_of(rec, "{\"role\"", 1), REC_LINE, REC_COL, &line, &col);
    ck_assert_uint_eq(err.line, line);
    ck_assert_uint_eq(err.column, col);
    ck_assert_str_eq(err.msg, "messages[1]: last");

    /* the empty path: the record start, no prefix */
    path.n = 0;
    lf_error_set(&err, LF_E_EMPTY, "none");
    lf_record_locate(&r, &path, &err);
    ck_assert_uint_eq(err.line, REC_LINE);
    ck_assert_uint_eq(err.column, REC_COL);
    ck_assert_str_eq(err.msg, "none");

    /* a path that cannot be followed: the deepest value on it that exists,
     * here the message list (record.h) */
    path.step[1].index = 5;
    path.n = 3;
    lf_error_set(&err, LF_E_ROLE, "gone");
    lf_record_locate(&r, &path, &err);
    pos_of(rec, offset_of(rec, "[", 0), REC_LINE, REC_COL, &line, &col);
    ck_assert_msg(err.line == line && err.column == col, "unfollowable path located at %llu:%llu, expected %llu:%llu",
                  (unsigned long long)err.line, (unsigned long long)err.column, (unsigned long long)line,
                  (unsigned long long)col);
    ck_assert_str_eq(err.msg, "messages[5].role: gone");
}
END_TEST

/* ---- special tokens ------------------------------------------------------------------- */

static const char *const named_specials[8] = {
    "begin_of_text", "end_of_text", "finetune_right_pad_id", "start_header_id",
    "end_header_id", "eom_id",      "eot_id",                "python_tag",
};

/* Special token number i (0..255) of the Llama 3.1 table. */
static void special_name(int i, char *out, size_t size)
{
    if (i < 8)
        snprintf(out, size, "<|%s|>", named_specials[i]);
    else
        snprintf(out, size, "<|reserved_special_token_%d|>", i - 8);
}

START_TEST(test_find_special_all_256)
{
    char tok[64], text[128];
    special_name(_i, tok, sizeof tok);
    size_t tl = strlen(tok), got = 0;

    /* exactly the token, in a buffer of its exact size */
    char *exact = tmalloc(tl);
    memcpy(exact, tok, tl);
    ck_assert_int_eq(lf_find_special(exact, tl, &got), 0);
    ck_assert_uint_eq(got, tl);
    /* cut short by one byte: no match, and nothing read past the end */
    ck_assert_int_eq(lf_find_special(exact, tl - 1, &got), -1);

    /* inside text, after a near miss */
    int n = snprintf(text, sizeof text, "ab<|x|> <|%s", tok);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(lf_find_special(text, (size_t)n, &got), 10);
    ck_assert_uint_eq(got, tl);

    /* the record parser: error by default, stripped, or allowed */
    char json[256];
    snprintf(json, sizeof json,
             "{\"messages\": [{\"role\": \"user\", \"content\": \"x%sy\"}, {\"role\": \"assistant\", \"content\": "
             "\"a\"}]}",
             tok);
    ck_assert_int_eq(parse(json), LF_E_SPECIAL);
    ck_assert_msg(strstr(g_err.msg, tok) != NULL, "message \"%s\" does not name %s", g_err.msg, tok);
    g_opts.special = LF_SPECIAL_STRIP;
    parse_ok(json);
    ck_assert_uint_eq(g_conv->msgs[0].len, 2);
    ck_assert_int_eq(memcmp(g_conv->msgs[0].text, "xy", 2), 0);
    g_opts.special = LF_SPECIAL_ALLOW;
    parse_ok(json);
    ck_assert_uint_eq(g_conv->msgs[0].len, tl + 2);
    ck_assert_int_eq(memcmp(g_conv->msgs[0].text + 1, tok, tl), 0);
}
END_TEST

static const char *const near_misses[] = {
    "<|reserved_special_token_248|>",
    "<|reserved_special_token_250|>",
    "<|reserved_special_token_255|>",
    "<|reserved_special_token_1000|>",
    "<|reserved_special_token_2470|>",
    "<|reserved_special_token_00|>",
    "<|reserved_special_token_007|>",
    "<|reserved_special_token_|>",
    "<|reserved_special_token_-1|>",
    "<|reserved_special_token_ 1|>",
    "<|reserved_special_token1|>",
    "<|eot_id",
    "<|eot_id|",
    "<|eot_id>",
    "eot_id|>",
    "<eot_id|>",
    "<eot_id>",
    "<|EOT_ID|>",
    "<|Eot_id|>",
    "<| eot_id |>",
    "<|eot_id |>",
    "<|eot-id|>",
    "<|eotid|>",
    "<|eot_id_|>",
    "<|step_id|>",
    "<|image|>",
    "<|im_end|>",
    "<|endoftext|>",
    "<|foo|>",
    "<||>",
    "<|",
    "|>",
    "</s>",
    "< |eot_id|>",
    "<|begin_of_text|\n>",
    "<\xEF\xBD\x9C" "eot_id\xEF\xBD\x9C>", /* fullwidth vertical bars */
};

START_TEST(test_find_special_near_misses)
{
    const char *s = near_misses[_i];
    size_t n = strlen(s), got = 0;
    char *exact = tmalloc(n);
    memcpy(exact, s, n);
    ck_assert_msg(lf_find_special(exact, n, &got) == -1, "\"%s\" matched as a special token", s);

    /* and a record holding it passes under the default (error) policy */
    char json[256];
    char esc[128];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            esc[k++] = '\\';
            esc[k++] = 'n';
        } else {
            esc[k++] = s[i];
        }
    }
    esc[k] = '\0';
    snprintf(json, sizeof json,
             "{\"messages\": [{\"role\": \"user\", \"content\": \"x%sy\"}, {\"role\": \"assistant\", \"content\": "
             "\"a\"}]}",
             esc);
    parse_ok(json);
}
END_TEST

START_TEST(test_find_special_misc)
{
    size_t tl = 0;
    static const char two[] = "a<|eom_id|>b<|eot_id|>";
    ck_assert_int_eq(lf_find_special(two, sizeof two - 1, &tl), 1);
    ck_assert_uint_eq(tl, 10);
    static const char nested[] = "<|<|eot_id|>";
    ck_assert_int_eq(lf_find_special(nested, sizeof nested - 1, &tl), 2);
    ck_assert_uint_eq(tl, 10);
    static const char pipes[] = "<|||eot_id|>";
    ck_assert_int_eq(lf_find_special(pipes, sizeof pipes - 1, &tl), -1);
    /* the bytes after n do not count */
    static const char cut[] = "x<|eot_id|>";
    ck_assert_int_eq(lf_find_special(cut, sizeof cut - 2, &tl), -1);
    ck_assert_int_eq(lf_find_special("", 0, &tl), -1);
    /* a NUL byte does not end the search */
    static const char nul[] = "a\0<|eot_id|>";
    ck_assert_int_eq(lf_find_special(nul, sizeof nul - 1, &tl), 2);
}
END_TEST

/* Strip must leave no special-token text behind, even when removing one
 * token joins its neighbours into another. */
START_TEST(test_strip_leaves_no_special_text)
{
    g_opts.special = LF_SPECIAL_STRIP;
    parse_ok("{\"messages\": [{\"role\": \"user\", \"content\": \"a<|eot<|eot_id|>_id|>b\"}, {\"role\": \"assistant\", "
             "\"content\": \"<<|python_tag|>|begin_of_text|>\"}]}");
    size_t tl;
    for (size_t i = 0; i < g_conv->n; i++)
        ck_assert_msg(lf_find_special(g_conv->msgs[i].text, g_conv->msgs[i].len, &tl) == -1,
                      "message %zu still holds special-token text after strip: \"%.*s\"", i,
                      (int)g_conv->msgs[i].len, g_conv->msgs[i].text);
}
END_TEST

/* ---- lf_record_raw_value ------------------------------------------------------------------ */

static const struct {
    const char *key;
    const char *raw; /* NULL: missing */
} raw_cases[] = {
    {"id", "\"x\\\"y\""},
    {"n", "12.5e3"},
    {"obj", "{\"a\": [1, \"}\"], \"b\": {}}"},
    {"arr", "[1,2]"},
    {"t", "true"},
    {"z", "null"},
    {"key", "\"v\""},
    {"neg", "-0"},
    {"messages", "[{\"role\": \"user\", \"content\": \"q\", \"id\": 9},\n  {\"role\": \"assistant\", \"content\": \"a\"}]"},
    {"\xF0\x9F\x98\x80", "1"},
    {"q\"k", "[\"}\"]"},
    {"nope", NULL},
    {"role", NULL},
    {"Id", NULL},
};

START_TEST(test_raw_value)
{
    static const char rec[] = "{\"label\": \"id\", \"id\": \"x\\\"y\", \"n\" : 12.5e3 ,\n \"obj\":{\"a\": [1, \"}\"], \"b\": {}},"
                              "\"arr\":[1,2] ,\"t\":true,\"z\":null, \"\\u006bey\": \"v\", \"neg\":-0, \"\\ud83d\\ude00\": 1, \"q\\\"k\":[\"}\"],\n"
                              " \"messages\": [{\"role\": \"user\", \"content\": \"q\", \"id\": 9},\n"
                              "  {\"role\": \"assistant\", \"content\": \"a\"}]}";
    parse_ok(rec);
    const char *text = NULL;
    size_t len = 0;
    lf_error err;
    lf_error_clear(&err);
    lf_code rc = lf_record_raw_value(g_p, &g_rec, raw_cases[_i].key, &text, &len, &err);
    if (raw_cases[_i].raw == NULL) {
        ck_assert_int_eq(rc, LF_E_SHAPE);
        ck_assert_int_eq(err.code, LF_E_SHAPE);
        ck_assert_msg(strstr(err.msg, "missing key") != NULL && strstr(err.msg, raw_cases[_i].key) != NULL,
                      "message: %s", err.msg);
        return;
    }
    ck_assert_msg(rc == LF_OK, "%s: %s", raw_cases[_i].key, err.msg);
    size_t n = strlen(raw_cases[_i].raw);
    ck_assert_msg(len == n && memcmp(text, raw_cases[_i].raw, n) == 0, "%s: \"%.*s\", expected \"%s\"",
                  raw_cases[_i].key, (int)len, text, raw_cases[_i].raw);
    ck_assert_msg(text >= g_rec.data && text + len <= g_rec.data + g_rec.len, "not borrowed from the raw record");
}
END_TEST

/* ---- UTF-8 validation ----------------------------------------------------------------------- */

static const struct {
    const char *s;
    size_t n;
    int valid;
} utf8_cases[] = {
    {"", 0, 1},
    {"abc", 3, 1},
    {"a\0b", 3, 1},
    {"\xC3\xA9", 2, 1},
    {"\xC2\x80", 2, 1},
    {"\xDF\xBF", 2, 1},
    {"\xE0\xA0\x80", 3, 1},
    {"\xED\x9F\xBF", 3, 1},       /* U+D7FF */
    {"\xEE\x80\x80", 3, 1},       /* U+E000 */
    {"\xEF\xBB\xBF", 3, 1},       /* U+FEFF */
    {"\xEF\xBF\xBF", 3, 1},       /* U+FFFF */
    {"\xF0\x90\x80\x80", 4, 1},   /* U+10000 */
    {"\xF0\x9F\x98\x80", 4, 1},
    {"\xF4\x8F\xBF\xBF", 4, 1},   /* U+10FFFF */
    {"\xED\x95\x9C\xEA\xB8\x80", 6, 1},
    {"\x80", 1, 0},
    {"\xBF", 1, 0},
    {"\xC0\x80", 2, 0},
    {"\xC0\xAF", 2, 0},
    {"\xC1\xBF", 2, 0},
    {"\xC3", 1, 0},
    {"\xC3\xA9", 1, 0},           /* cut by n */
    {"\xC3\x28", 2, 0},
    {"\xE0\x80\x80", 3, 0},
    {"\xE0\x9F\xBF", 3, 0},
    {"\xE2\x82", 2, 0},
    {"\xE2\x28\xA1", 3, 0},
    {"\xED\xA0\x80", 3, 0},
    {"\xED\xBF\xBF", 3, 0},
    {"\xF0\x80\x80\x80", 4, 0},
    {"\xF0\x8F\xBF\xBF", 4, 0},
    {"\xF0\x9F\x98", 3, 0},
    {"\xF4\x90\x80\x80", 4, 0},
    {"\xF5\x80\x80\x80", 4, 0},
    {"\xF8\x88\x80\x80\x80", 5, 0},
    {"\xFE", 1, 0},
    {"\xFF", 1, 0},
    {"ok\xC3\xA9\xFF", 5, 0},
};

START_TEST(test_utf8_valid)
{
    size_t n = utf8_cases[_i].n;
    char *copy = tmalloc(n);
    memcpy(copy, utf8_cases[_i].s, n);
    int v = lf_utf8_valid(copy, n);
    ck_assert_msg((v != 0) == utf8_cases[_i].valid, "case %d: lf_utf8_valid returned %d", _i, v);
}
END_TEST

/* ---- names ------------------------------------------------------------------------------------ */

START_TEST(test_names)
{
    lf_role r;
    static const struct {
        const char *name;
        lf_role role;
    } roles[] = {{"system", S}, {"user", U}, {"assistant", A}, {"ipython", T}, {"tool", T}};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        ck_assert_int_eq(lf_role_parse(roles[i].name, &r), 0);
        ck_assert_int_eq(r, roles[i].role);
    }
    ck_assert_int_eq(lf_role_parse("User", &r), -1);
    ck_assert_int_eq(lf_role_parse("human", &r), -1);
    ck_assert_int_eq(lf_role_parse("", &r), -1);
    ck_assert_str_eq(lf_role_name(S), "system");
    ck_assert_str_eq(lf_role_name(U), "user");
    ck_assert_str_eq(lf_role_name(A), "assistant");
    ck_assert_str_eq(lf_role_name(T), "ipython");

    static const char *const shapes[] = {"auto", "messages", "sharegpt", "alpaca", "flat"};
    for (int i = 0; i < LF_SHAPE_COUNT; i++) {
        lf_shape sh;
        ck_assert_int_eq(lf_shape_parse(shapes[i], &sh), 0);
        ck_assert_int_eq(sh, i);
        ck_assert_str_eq(lf_shape_name((lf_shape)i), shapes[i]);
    }
    lf_shape sh;
    ck_assert_int_eq(lf_shape_parse("openai", &sh), -1);
}
END_TEST

START_TEST(test_parser_free_null)
{
    lf_parser_free(NULL);
    lf_parser *p = lf_parser_new(&g_opts);
    ck_assert_ptr_nonnull(p);
    lf_parser_free(p); /* never used */
}
END_TEST

static Suite *record_suite(void)
{
    Suite *s = suite_create("record");

    TCase *tc = tcase_create("shapes");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_shapes_ok, 0, (int)(sizeof ok_cases / sizeof ok_cases[0]));
    tcase_add_test(tc, test_parser_reuse);
    tcase_add_test(tc, test_parser_free_null);
    suite_add_tcase(s, tc);

    tc = tcase_create("record_keys");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_record_level_keys, 0, (int)(sizeof level_cases / sizeof level_cases[0]));
    tcase_add_loop_test(tc, test_raw_value, 0, (int)(sizeof raw_cases / sizeof raw_cases[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof err_cases / sizeof err_cases[0]));
    tcase_add_test(tc, test_error_position_offset_record);
    tcase_add_test(tc, test_record_locate);
    suite_add_tcase(s, tc);

    tc = tcase_create("special_tokens");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_find_special_all_256, 0, 256);
    tcase_add_loop_test(tc, test_find_special_near_misses, 0, (int)(sizeof near_misses / sizeof near_misses[0]));
    tcase_add_test(tc, test_find_special_misc);
    tcase_add_test(tc, test_strip_leaves_no_special_text);
    suite_add_tcase(s, tc);

    tc = tcase_create("utf8_and_names");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_utf8_valid, 0, (int)(sizeof utf8_cases / sizeof utf8_cases[0]));
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(record_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
