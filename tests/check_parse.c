/*
 * check_parse.c - unit tests for parse.h's lf_parse_sample(): samples of
 * every profile read back into conversations (system block, date, tools in
 * the system block or the first user message, built-in and custom tool
 * calls, tool results, generation prompts, BOS and <|end_of_text|>), raw
 * text separators, and every malformation with its message and byte offset.
 *
 * The samples are written out by hand from the format notes
 * (shared/research/format.md §2.3 official, §4 meta, §6 guide).  Every
 * accepted sample is also rendered again from the conversation returned,
 * which must give its bytes back.
 */
#include <check.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llamafmt/error.h"
#include "llamafmt/parse.h"
#include "llamafmt/record.h"
#include "llamafmt/template.h"

#define BOS "<|begin_of_text|>"
#define EOT "<|eot_id|>"
#define EOM "<|eom_id|>"
#define EOTX "<|end_of_text|>"
#define PY "<|python_tag|>"
#define START "<|start_header_id|>"
#define END "<|end_header_id|>"
#define HDR(role) START role END "\n\n"
#define GHDR(role) START role END
#define DATE(d) "Cutting Knowledge Date: December 2023\nToday Date: " d "\n\n"
#define SYS HDR("system") DATE("26 Jul 2024")
#define OFFICIAL_HI BOS SYS EOT HDR("user") "Hi" EOT HDR("assistant") "Hello!" EOT
#define USER_PRE                                                                                           \
    "Given the following functions, please respond with a JSON for a function call with its proper "    \
    "arguments that best answers the given prompt.\n\nRespond in the format {\"name\": function name, " \
    "\"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n"
#define SYSTEM_PRE                                                                                         \
    "You have access to the following functions. To call a function, please respond with JSON for a "  \
    "function call.Respond in the format {\"name\": function name, \"parameters\": dictionary of "     \
    "argument name and its value}.Do not use variables.\n\n"
#define SPEC "{\n    \"name\": \"get_weather\",\n    \"parameters\": {\n        \"city\": \"string\"\n    }\n}"

static lf_sample_parser *g_p;
static lf_parse_opts g_o;
static lf_parsed g_out;
static size_t g_at;
static lf_error g_err;
static lf_sample g_s;

static void setup(void)
{
    g_p = lf_sample_parser_new();
    ck_assert_ptr_nonnull(g_p);
    memset(&g_o, 0, sizeof g_o);
    g_o.profile = LF_PROFILE_OFFICIAL;
    g_o.end_of_text = -1;
    memset(&g_s, 0, sizeof g_s);
}

static void teardown(void)
{
    lf_sample_parser_free(g_p);
    lf_sample_free(&g_s);
}

static lf_code parse_n(const char *text, size_t n)
{
    lf_error_clear(&g_err);
    return lf_parse_sample(g_p, &g_o, text, n, &g_out, &g_at, &g_err);
}

static lf_code parse(const char *text) { return parse_n(text, strlen(text)); }

/* text parses, and the conversation renders back to its first g_out.len bytes */
static void ok(const char *text)
{
    lf_code rc = parse(text);
    ck_assert_msg(rc == LF_OK, "rejected (%d) at %zu: %s", (int)rc, g_at, g_err.msg);
    lf_template_opts t;
    memset(&t, 0, sizeof t);
    t.profile = g_o.profile;
    t.date = g_o.date;
    t.bos = g_out.bos;
    t.end_of_text = g_out.end_of_text;
    size_t which;
    lf_error e = LF_ERROR_INIT;
    ck_assert_int_eq(lf_render(&t, g_out.conv, &g_s, &which, &e), LF_OK);
    ck_assert_uint_eq(g_s.text.len, g_out.len);
    ck_assert_msg(memcmp(g_s.text.data, text, g_out.len) == 0, "renders back differently:\n%.*s",
                  (int)g_s.text.len, g_s.text.data);
}

/* text is rejected with `code` at byte `at`, the message holding `needle` */
static void bad_code(const char *text, lf_code code, size_t at, const char *needle)
{
    lf_code rc = parse(text);
    ck_assert_msg(rc == code, "code %d, want %d (%s)", (int)rc, (int)code, g_err.msg);
    ck_assert_msg(g_at == at, "at %zu, want %zu (%s)", g_at, at, g_err.msg);
    char pre[64];
    snprintf(pre, sizeof pre, "sample byte %zu: ", at);
    ck_assert_msg(strncmp(g_err.msg, pre, strlen(pre)) == 0, "message \"%s\" does not start with \"%s\"", g_err.msg, pre);
    ck_assert_msg(strstr(g_err.msg, needle) != NULL, "message \"%s\" lacks \"%s\"", g_err.msg, needle);
    ck_assert_uint_eq(g_err.line, 0);
}

static void bad(const char *text, size_t at, const char *needle) { bad_code(text, LF_E_SAMPLE, at, needle); }

static size_t off(const char *text, const char *part)
{
    const char *p = strstr(text, part);
    ck_assert_ptr_nonnull(p);
    return (size_t)(p - text);
}

static const lf_message *msg(size_t i)
{
    ck_assert_uint_lt(i, g_out.conv->n);
    return &g_out.conv->msgs[i];
}

static void want_msg(size_t i, lf_role role, const char *text)
{
    const lf_message *m = msg(i);
    ck_assert_int_eq(m->role, role);
    ck_assert_ptr_null(m->call);
    ck_assert_uint_eq(m->json.n, 0);
    ck_assert_uint_eq(m->len, strlen(text));
    ck_assert(memcmp(m->text, text, m->len) == 0);
}

/* ---- official ------------------------------------------------------------------ */

START_TEST(test_official_plain)
{
    ok(OFFICIAL_HI);
    ck_assert_int_eq(g_out.bos, 1);
    ck_assert_int_eq(g_out.end_of_text, 0);
    ck_assert_uint_eq(g_out.conv->n, 2);
    want_msg(0, LF_ROLE_USER, "Hi");
    want_msg(1, LF_ROLE_ASSISTANT, "Hello!");
    ck_assert_ptr_null(g_out.conv->date);
    ck_assert_int_ne(g_out.conv->gen_prompt, 1);
    ck_assert_int_eq(g_out.conv->has_tools, 0);
    ck_assert_int_eq(g_out.conv->has_builtin, 0);

    ok(OFFICIAL_HI EOTX);
    ck_assert_int_eq(g_out.end_of_text, 1);
    ok(SYS EOT HDR("user") "Hi" EOT HDR("assistant") "Hello!" EOT);   /* no BOS */
    ck_assert_int_eq(g_out.bos, 0);
}
END_TEST

START_TEST(test_official_system_and_turns)
{
    const char *s = BOS HDR("system") DATE("26 Jul 2024") "Be brief.\n\nReally." EOT HDR("user") "안녕?" EOT
        HDR("assistant") "a\n b" EOT HDR("user") "c" EOT HDR("assistant") "d" EOT;
    ok(s);
    ck_assert_uint_eq(g_out.conv->n, 5);
    want_msg(0, LF_ROLE_SYSTEM, "Be brief.\n\nReally.");
    want_msg(1, LF_ROLE_USER, "안녕?");
    want_msg(2, LF_ROLE_ASSISTANT, "a\n b");
    want_msg(4, LF_ROLE_ASSISTANT, "d");
}
END_TEST

START_TEST(test_official_date)
{
    const char *s = BOS HDR("system") DATE("1 Jan 2025") EOT HDR("user") "Hi" EOT HDR("assistant") "Hello!" EOT;
    ok(s);
    ck_assert_ptr_nonnull(g_out.conv->date);
    ck_assert_uint_eq(g_out.conv->date_len, 10);
    ck_assert(memcmp(g_out.conv->date, "1 Jan 2025", 10) == 0);
    g_o.date = "1 Jan 2025";            /* the date in effect needs no date_string */
    ok(s);
    ck_assert_ptr_null(g_out.conv->date);
    ok(OFFICIAL_HI);                    /* ... and then the default date does */
    ck_assert_ptr_nonnull(g_out.conv->date);
    ck_assert(memcmp(g_out.conv->date, "26 Jul 2024", 11) == 0);
    g_o.date = NULL;
    ok(BOS HDR("system") DATE("") EOT HDR("user") "Hi" EOT HDR("assistant") "Hello!" EOT);
    ck_assert_ptr_nonnull(g_out.conv->date);
    ck_assert_uint_eq(g_out.conv->date_len, 0);
}
END_TEST

START_TEST(test_official_tools_in_user)
{
    const char *s = BOS HDR("system") "Environment: ipython\n" DATE("26 Jul 2024") "Sys." EOT HDR("user") USER_PRE SPEC
        "\n\n" SPEC "\n\nWeather in Seoul?" EOT HDR("assistant")
        "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Seoul\"}}" EOT HDR("ipython")
        "{\"temp\": 21}" EOT HDR("assistant") "21 °C." EOT;
    ok(s);
    const lf_conversation *c = g_out.conv;
    ck_assert_int_eq(c->has_tools, 1);
    ck_assert_int_eq(c->tools_in_user, 1);
    ck_assert_uint_eq(c->n_tools, 2);
    ck_assert_uint_eq(c->tools[0].n, strlen(SPEC));
    ck_assert_int_eq(c->has_builtin, 0);
    ck_assert_uint_eq(c->n, 5);
    want_msg(0, LF_ROLE_SYSTEM, "Sys.");
    want_msg(1, LF_ROLE_USER, "Weather in Seoul?");
    ck_assert_ptr_nonnull(msg(2)->call);
    ck_assert_str_eq(msg(2)->call->name, "get_weather");
    ck_assert_uint_eq(msg(2)->call->args.n, strlen("{\"city\": \"Seoul\"}"));
    ck_assert_uint_eq(msg(2)->call->n_args, 1);
    ck_assert_str_eq(msg(2)->call->arg_names[0], "city");
    ck_assert_str_eq(msg(2)->call->arg_strings[0], "Seoul");
    ck_assert_int_eq(msg(3)->role, LF_ROLE_IPYTHON);
    ck_assert_uint_eq(msg(3)->json.n, strlen("{\"temp\": 21}"));
}
END_TEST

START_TEST(test_official_tools_in_system)
{
    const char *s = BOS HDR("system") "Environment: ipython\n" DATE("26 Jul 2024") SYSTEM_PRE SPEC "\n\n" EOT
        HDR("user") "Weather?" EOT HDR("assistant") "{\"name\": \"get_weather\", \"parameters\": {}}" EOT
        HDR("ipython") "\"22.0\"" EOT HDR("assistant") "Warm." EOT;
    ok(s);
    const lf_conversation *c = g_out.conv;
    ck_assert_int_eq(c->has_tools, 1);
    ck_assert_int_eq(c->tools_in_user, 0);
    ck_assert_uint_eq(c->n_tools, 1);
    want_msg(0, LF_ROLE_USER, "Weather?");          /* the system message is empty: none */
    ck_assert_ptr_nonnull(msg(1)->call);
    want_msg(2, LF_ROLE_IPYTHON, "22.0");           /* a JSON-quoted string result */
}
END_TEST

START_TEST(test_official_builtin)
{
    const char *s = BOS HDR("system") "Environment: ipython\nTools: brave_search, wolfram_alpha\n\n" DATE("26 Jul 2024")
        "You are a helpful assistant." EOT HDR("user") "Gold?" EOT HDR("assistant") PY
        "brave_search.call(query=\"latest price of 1oz gold\", n=\"3\")" EOM HDR("ipython")
        "\"{\\\"price\\\": \\\"2400 USD\\\"}\"" EOT HDR("assistant") PY "code_interpreter.call(code=\"print(\"a\", 1)\")" EOM
        HDR("ipython") "None" EOT HDR("assistant") "About 2400 USD." EOT;
    ok(s);
    const lf_conversation *c = g_out.conv;
    ck_assert_int_eq(c->has_builtin, 1);
    ck_assert_uint_eq(c->n_builtin, 3);             /* code_interpreter added: the Tools line never lists it */
    ck_assert_str_eq(c->builtin[0], "brave_search");
    ck_assert_str_eq(c->builtin[1], "wolfram_alpha");
    ck_assert_str_eq(c->builtin[2], "code_interpreter");
    ck_assert_int_eq(c->has_tools, 0);
    const lf_tool_call *call = msg(2)->call;
    ck_assert_ptr_nonnull(call);
    ck_assert_str_eq(call->name, "brave_search");
    ck_assert_uint_eq(call->n_args, 2);
    ck_assert_str_eq(call->arg_names[1], "n");
    ck_assert_str_eq(call->arg_strings[0], "latest price of 1oz gold");
    want_msg(3, LF_ROLE_IPYTHON, "{\"price\": \"2400 USD\"}");
    call = msg(4)->call;
    ck_assert_str_eq(call->name, "code_interpreter");
    ck_assert_str_eq(call->arg_strings[0], "print(\"a\", 1)");
    ck_assert_uint_eq(msg(5)->json.n, 4);
    ck_assert(memcmp(msg(5)->json.p, "null", 4) == 0);

    /* only code_interpreter: an empty Tools line */
    ok(BOS HDR("system") "Environment: ipython\nTools: \n\n" DATE("26 Jul 2024") EOT HDR("user") "Run" EOT
       HDR("assistant") PY "code_interpreter.call(code=\"1+1\")" EOM HDR("ipython") "2" EOT HDR("assistant") "2" EOT);
    ck_assert_uint_eq(g_out.conv->n_builtin, 1);
    ck_assert_uint_eq(msg(2)->json.n, 1);
    /* with built-in tools a custom call ends with <|eom_id|> too */
    ok(BOS HDR("system") "Environment: ipython\nTools: brave_search\n\n" DATE("26 Jul 2024") EOT HDR("user") "x" EOT
       HDR("assistant") "{\"name\": \"f\", \"parameters\": {\"a\": [1, 2.5, true]}}" EOM HDR("ipython") "True" EOT
       HDR("assistant") "y" EOT);
    ck_assert_ptr_nonnull(msg(1)->call);
    ck_assert_ptr_null(msg(1)->call->arg_strings);   /* not all strings */
}
END_TEST

START_TEST(test_official_call_or_content)
{
    /* no tools defined and no result after it: JSON-looking text stays text */
    const char *js = "{\"name\": \"x\", \"parameters\": {}}";
    char s[1024];
    snprintf(s, sizeof s, BOS SYS EOT HDR("user") "Give JSON" EOT HDR("assistant") "%s" EOT, js);
    ok(s);
    want_msg(1, LF_ROLE_ASSISTANT, js);
    /* a tool result after it makes it a call */
    snprintf(s, sizeof s, BOS SYS EOT HDR("user") "q" EOT HDR("assistant") "%s" EOT HDR("ipython") "1" EOT
             HDR("assistant") "a" EOT, js);
    ok(s);
    ck_assert_ptr_nonnull(msg(1)->call);
    /* parameters not written as json.dumps would: text, not a call */
    ok(BOS SYS EOT HDR("user") "q" EOT HDR("assistant") "{\"name\": \"x\", \"parameters\": {\"a\":1}}" EOT HDR("ipython")
       "1" EOT HDR("assistant") "a" EOT);
    ck_assert_ptr_null(msg(1)->call);
}
END_TEST

START_TEST(test_generation_prompt)
{
    ok(BOS SYS EOT HDR("user") "Hi" EOT HDR("assistant"));
    ck_assert_int_eq(g_out.conv->gen_prompt, 1);
    ck_assert_uint_eq(g_out.conv->n, 1);
    /* a prompt may end after a user turn, before the open header, or after an assistant turn */
    ok(BOS SYS EOT HDR("user") "Hi" EOT HDR("assistant") "Hello" EOT HDR("user") "More" EOT HDR("assistant"));
    ck_assert_uint_eq(g_out.conv->n, 3);
    g_o.profile = LF_PROFILE_GUIDE;
    ok(BOS GHDR("user") "Hi" EOT GHDR("assistant"));
    ck_assert_int_eq(g_out.conv->gen_prompt, 1);
}
END_TEST

START_TEST(test_raw_separators)
{
    g_o.raw = 1;
    ok(OFFICIAL_HI "\n");
    ck_assert_uint_eq(g_out.len, strlen(OFFICIAL_HI));
    const char nul[] = OFFICIAL_HI EOTX "\0";
    ck_assert_int_eq(parse_n(nul, sizeof nul), LF_OK);
    ck_assert_uint_eq(g_out.len, strlen(OFFICIAL_HI EOTX));
    ck_assert_int_eq(g_out.end_of_text, 1);
    ok(OFFICIAL_HI " \r\n\t\n");
    ck_assert_uint_eq(g_out.len, strlen(OFFICIAL_HI));
    /* a generation prompt keeps its "\n\n"; the newline after it is the separator */
    ok(BOS SYS EOT HDR("user") "Hi" EOT HDR("assistant") "\n");
    ck_assert_int_eq(g_out.conv->gen_prompt, 1);
    ck_assert_uint_eq(g_out.len, strlen(BOS SYS EOT HDR("user") "Hi" EOT HDR("assistant")));
    bad(SYS EOT HDR("user") "Hi" EOT HDR("assistant") "Hello!" EOT, 0, "text before <|begin_of_text|>");
    bad(OFFICIAL_HI "\n--\n", strlen(OFFICIAL_HI "\n"), "text after the final <|eot_id|>");
    /* outside raw text, nothing may follow */
    g_o.raw = 0;
    bad(OFFICIAL_HI "\n", strlen(OFFICIAL_HI), "text after the final <|eot_id|>");
}
END_TEST

/* ---- meta and guide ------------------------------------------------------------ */

START_TEST(test_meta)
{
    g_o.profile = LF_PROFILE_META;
    ok(BOS HDR("system") " Be brief. " EOT HDR("user") "\nHi " EOT HDR("assistant") " Hello! " EOT);
    want_msg(0, LF_ROLE_SYSTEM, " Be brief. ");
    want_msg(1, LF_ROLE_USER, "\nHi ");
    want_msg(2, LF_ROLE_ASSISTANT, " Hello! ");
    ok(BOS HDR("user") "Hi" EOT HDR("assistant") "Hello" EOT);      /* no system block */
    ck_assert_uint_eq(g_out.conv->n, 2);
    ok(BOS HDR("user") "Gold?" EOT HDR("assistant") PY "brave_search.call(query=\"gold\")" EOM HDR("ipython")
       "raw result" EOT HDR("assistant") "ok" EOT);
    ck_assert_str_eq(msg(1)->call->name, "brave_search");
    ck_assert_uint_eq(msg(1)->len, 0);
    want_msg(2, LF_ROLE_IPYTHON, "raw result");
    /* content before a function call */
    ok(BOS HDR("user") "f?" EOT HDR("assistant") PY "Let me check.{\"type\": \"function\", \"name\": \"get_weather\", "
       "\"parameters\": {\"city\": \"서울\"}}" EOM HDR("ipython") "{}" EOT HDR("assistant") "ok" EOT);
    ck_assert_str_eq(msg(1)->call->name, "get_weather");
    ck_assert_uint_eq(msg(1)->len, strlen("Let me check."));
    ck_assert(memcmp(msg(1)->text, "Let me check.", msg(1)->len) == 0);
    /* anything else after <|python_tag|> is code */
    ok(BOS HDR("user") "run" EOT HDR("assistant") PY "import os\nprint(\"x\")" EOM HDR("ipython") "x" EOT
       HDR("assistant") "done" EOT);
    ck_assert_str_eq(msg(1)->call->name, "code_interpreter");
    ck_assert_str_eq(msg(1)->call->arg_names[0], "code");
    ck_assert_str_eq(msg(1)->call->arg_strings[0], "import os\nprint(\"x\")");
    bad(BOS HDR("user") "run" EOT HDR("assistant") PY "x" EOT HDR("assistant") "y" EOT,
        strlen(BOS HDR("user") "run" EOT HDR("assistant") PY "x"), "must end with <|eom_id|>");
    bad(BOS HDR("user") "run" EOM HDR("assistant") "y" EOT, strlen(BOS HDR("user") "run"),
        "<|eom_id|> closes a turn without <|python_tag|>");
}
END_TEST

START_TEST(test_guide)
{
    g_o.profile = LF_PROFILE_GUIDE;
    ok(BOS GHDR("system") "sys" EOT GHDR("user") "\n\nHi" EOT GHDR("assistant") "Hello " EOT EOTX);
    ck_assert_int_eq(g_out.end_of_text, 1);
    want_msg(0, LF_ROLE_SYSTEM, "sys");
    want_msg(1, LF_ROLE_USER, "\n\nHi");
    want_msg(2, LF_ROLE_ASSISTANT, "Hello ");
    const char *t = BOS GHDR("user") "q" EOT GHDR("assistant") "a" EOT GHDR("ipython") "r" EOT GHDR("assistant") "b" EOT;
    bad(t, off(t, GHDR("ipython")), "the guide profile has no tool turns");
    t = BOS GHDR("user") "q" EOT GHDR("assistant") PY "x" EOM;
    bad(t, off(t, PY), "the guide profile has no tool calls");
    /* the guide's multi-turn mistake: <|end_of_text|> after every answer */
    t = BOS GHDR("user") "q" EOT GHDR("assistant") "a" EOT EOTX GHDR("user") "q2" EOT GHDR("assistant") "b" EOT EOTX;
    bad(t, off(t, EOTX), "<|end_of_text|> before the end of the sample");
}
END_TEST

/* ---- options ------------------------------------------------------------------- */

START_TEST(test_end_of_text_option)
{
    g_o.end_of_text = 1;
    ok(OFFICIAL_HI EOTX);
    bad(OFFICIAL_HI, strlen(OFFICIAL_HI), "does not end with <|end_of_text|> (--end-of-text)");
    ok(BOS SYS EOT HDR("user") "Hi" EOT HDR("assistant"));        /* prompts never have it */
    g_o.end_of_text = 0;
    ok(OFFICIAL_HI);
    bad(OFFICIAL_HI EOTX, strlen(OFFICIAL_HI), "(--no-end-of-text)");
}
END_TEST

/* ---- malformations --------------------------------------------------------------- */

START_TEST(test_structure_errors)
{
    const char *t;
    bad("", 0, "empty sample");
    bad(BOS, 0, "empty sample");
    bad(BOS BOS SYS EOT, strlen(BOS), "doubled <|begin_of_text|>");
    bad(BOS "x" SYS EOT, strlen(BOS), "text between <|begin_of_text|> and the first header");
    bad("hello" SYS EOT, 0, "text before the first header");
    bad(BOS EOT SYS, strlen(BOS), "<|eot_id|> where a header should start");
    t = BOS SYS EOT START "user" "Hi" EOT;
    bad(t, off(t, START "user"), "a header without <|end_header_id|>");
    t = BOS SYS EOT HDR("human") "Hi" EOT;
    bad(t, off(t, "human"), "unknown role \"human\" in a header");
    t = BOS SYS EOT HDR("tool") "Hi" EOT;
    bad(t, off(t, "tool"), "unknown role \"tool\"");
    t = BOS SYS EOT START "user" END "Hi" EOT;
    bad(t, off(t, "Hi"), "missing \"\\n\\n\" after the user header");
    t = BOS SYS EOT HDR("user") "Hi" HDR("assistant") "a" EOT;
    bad(t, off(t, HDR("assistant")), "the user turn is not closed by <|eot_id|> before the next header");
    t = BOS SYS EOT HDR("user") "Hi";
    bad(t, strlen(t), "the sample ends in the user turn");
    t = BOS SYS EOT HDR("user");
    bad(t, strlen(t), "the sample ends in the user turn");
    t = BOS SYS EOT HDR("user") "Hi" EOTX HDR("assistant") "a" EOT;
    bad(t, off(t, EOTX), "<|end_of_text|> before the end of the sample");
    t = BOS SYS EOT EOTX HDR("user") "Hi" EOT HDR("assistant") "a" EOT;
    bad(t, off(t, EOTX), "<|end_of_text|> before the end of the sample");
    t = OFFICIAL_HI EOTX EOTX;
    bad(t, strlen(OFFICIAL_HI), "<|end_of_text|> before the end of the sample");
    t = OFFICIAL_HI "x";
    bad(t, strlen(OFFICIAL_HI), "text after the final <|eot_id|>");
    t = BOS SYS EOT "x" HDR("user") "Hi" EOT HDR("assistant") "a" EOT;
    bad(t, off(t, "x" HDR("user")), "text between turns");
    t = BOS SYS EOT HDR("user") "Hi" BOS EOT HDR("assistant") "a" EOT;
    bad(t, off(t, "Hi") + 2, "<|begin_of_text|> inside a turn");
    t = BOS SYS EOT HDR("user") "a<|reserved_special_token_7|>b" EOT HDR("assistant") "a" EOT;
    bad(t, off(t, "<|reserved"), "reserved special token <|reserved_special_token_7|>");
    t = BOS SYS EOT HDR("user") "a<|finetune_right_pad_id|>" EOT HDR("assistant") "a" EOT;
    bad(t, off(t, "<|finetune"), "special token <|finetune_right_pad_id|>");
    t = BOS SYS EOT HDR("user") "a" END EOT;
    bad(t, off(t, END EOT), "<|end_header_id|> without <|start_header_id|>");
    t = BOS SYS EOT HDR("user") PY "a" EOT;
    bad(t, off(t, PY), "<|python_tag|> in a user turn");
    t = BOS SYS EOT HDR("user") "a" PY EOT;
    bad(t, off(t, PY), "<|python_tag|> inside a turn");
    t = BOS SYS EOT HDR("user") "Hi" EOT HDR("system") "s" EOT HDR("assistant") "a" EOT;
    bad(t, off(t, HDR("system") "s"), "a system header after the first turn");
    t = BOS SYS EOT HDR("user") "Hi" EOT;
    bad(t, off(t, HDR("user")), "the sample ends with a user turn");
    t = BOS SYS EOT HDR("assistant");
    bad(t, off(t, HDR("assistant")), "a generation prompt with no turn before it");
    const char nul[] = BOS SYS EOT HDR("user") "QQ\0b" EOT HDR("assistant") "x" EOT;
    ck_assert_int_eq(parse_n(nul, sizeof nul - 1), LF_E_SAMPLE);
    ck_assert_uint_eq(g_at, off(nul, "QQ") + 2);
    ck_assert_ptr_nonnull(strstr(g_err.msg, "NUL byte"));
    const char utf[] = BOS SYS EOT HDR("user") "ab\xC3(" EOT HDR("assistant") "x" EOT;
    bad_code(utf, LF_E_UTF8, off(utf, "ab") + 2, "invalid UTF-8 byte 0xc3");
}
END_TEST

START_TEST(test_official_errors)
{
    const char *t;
    t = BOS HDR("user") "Hi" EOT HDR("assistant") "a" EOT;
    bad(t, strlen(BOS), "does not start with the system block");
    t = BOS HDR("system") "Be brief." EOT HDR("user") "Hi" EOT HDR("assistant") "a" EOT;
    bad(t, off(t, "Be brief."), "lacks \"Cutting Knowledge Date: December 2023\\nToday Date: \"");
    t = BOS HDR("system") "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024" EOT HDR("user") "Hi" EOT;
    bad(t, off(t, "26 Jul"), "the Today Date line does not end with");
    t = BOS SYS " Be brief." EOT HDR("user") "Hi" EOT HDR("assistant") "a" EOT;
    bad(t, off(t, " Be brief."), "the system content starts with whitespace");
    t = BOS SYS EOT HDR("user") "Hi\n" EOT HDR("assistant") "a" EOT;
    bad(t, off(t, "\n" EOT HDR("assistant")), "the user content ends with whitespace");
    t = BOS SYS EOT HDR("user") "Hi" EOT HDR("assistant") "\u3000a" EOT;
    bad(t, off(t, "\u3000a"), "the assistant content starts with whitespace");
    t = BOS SYS EOT HDR("user") "Hi" EOT HDR("assistant") "a" EOM;
    bad(t, off(t, EOM), "<|eom_id|> closes an assistant turn that is not a tool call");
    t = BOS HDR("system") "Environment: ipython\n" DATE("26 Jul 2024") EOT HDR("user") "Hi" EOT HDR("assistant") "a" EOT;
    bad(t, strlen(BOS HDR("system")), "\"Environment: ipython\" without tool definitions");
    t = BOS HDR("system") "Environment: ipython\nTools: brave_search\n" DATE("26 Jul 2024") EOT;
    bad(t, off(t, "brave_search"), "the Tools line does not end with \"\\n\\n\"");
    t = BOS SYS EOT HDR("user") "Hi" EOT HDR("assistant") PY "brave_search.call(query=\"x\")" EOM;
    bad(t, off(t, PY), "the system block has no \"Tools:\" line");
    t = BOS HDR("system") "Environment: ipython\nTools: brave_search\n\n" DATE("26 Jul 2024") EOT HDR("user") "Hi" EOT
        HDR("assistant") PY "wolfram_alpha.call(query=\"x\")" EOM;
    bad(t, off(t, "wolfram_alpha"), "a call to built-in tool \"wolfram_alpha\", which the Tools line does not list");
    t = BOS HDR("system") "Environment: ipython\nTools: brave_search\n\n" DATE("26 Jul 2024") EOT HDR("user") "Hi" EOT
        HDR("assistant") PY "brave_search(query=\"x\")" EOM;
    bad(t, off(t, "brave_search("), "cannot read the built-in tool call");
    t = BOS HDR("system") "Environment: ipython\nTools: brave_search\n\n" DATE("26 Jul 2024") EOT HDR("user") "Hi" EOT
        HDR("assistant") PY "brave_search.call(query=\"x\")" EOT;
    bad(t, off(t, EOT HDR("assistant") PY) + strlen(EOT HDR("assistant") PY "brave_search.call(query=\"x\")"),
        "a built-in tool call must end with <|eom_id|>");
    t = BOS SYS EOT HDR("user") "Hi" EOT HDR("assistant") "{\"name\": \"f\", \"parameters\": {}}" EOM HDR("ipython") "1" EOT;
    bad(t, off(t, EOM), "the sample defines no built-in tools");
    t = BOS SYS EOT HDR("user") "Hi" EOT HDR("assistant") "{\"name\": \"f\", \"parameters\": {}}" EOT HDR("ipython") "hello" EOT;
    bad(t, off(t, "hello"), "the ipython turn is not a tool result as the official template writes it");
    t = BOS SYS EOT HDR("user") "Hi" EOT HDR("assistant") "{\"name\": \"f\", \"parameters\": {}}" EOT HDR("ipython")
        "\"\\u00e9\"" EOT;
    bad(t, off(t, "\"\\u00e9"), "not escaped as json.dumps escapes it");
    t = BOS SYS EOT HDR("user") "Hi" EOT HDR("assistant") "{\"name\": \"f\", \"parameters\": {}}" EOT HDR("ipython")
        "{\"a\":1}" EOT;
    bad(t, off(t, "{\"a\":1}"), "not written as json.dumps writes it");
    /* caught only by rendering back: the Tools line never lists code_interpreter */
    t = BOS HDR("system") "Environment: ipython\nTools: code_interpreter\n\n" DATE("26 Jul 2024") EOT HDR("user") "Hi" EOT
        HDR("assistant") "a" EOT;
    bad(t, off(t, "code_interpreter"), "cannot be written as messages that render back to it exactly");
}
END_TEST

START_TEST(test_parser_reuse_and_copy)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", OFFICIAL_HI);
    ck_assert_int_eq(parse(buf), LF_OK);
    memset(buf, 'x', strlen(buf));          /* the conversation does not borrow the text */
    want_msg(0, LF_ROLE_USER, "Hi");
    want_msg(1, LF_ROLE_ASSISTANT, "Hello!");
    bad(BOS, 0, "empty sample");
    ck_assert_ptr_null(g_out.conv);
    for (int i = 0; i < 100; i++)
        ok(BOS HDR("system") "Environment: ipython\nTools: brave_search\n\n" DATE("2 Feb 2020") "s" EOT HDR("user") "Hi" EOT
           HDR("assistant") PY "brave_search.call(query=\"x\")" EOM HDR("ipython") "\"r\"" EOT HDR("assistant") "a" EOT);
    ck_assert_uint_eq(g_out.conv->n, 5);
    ck_assert_uint_eq(g_out.conv->n_builtin, 1);
}
END_TEST

static Suite *parse_suite(void)
{
    Suite *s = suite_create("parse");
    TCase *tc = tcase_create("sample");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_official_plain);
    tcase_add_test(tc, test_official_system_and_turns);
    tcase_add_test(tc, test_official_date);
    tcase_add_test(tc, test_official_tools_in_user);
    tcase_add_test(tc, test_official_tools_in_system);
    tcase_add_test(tc, test_official_builtin);
    tcase_add_test(tc, test_official_call_or_content);
    tcase_add_test(tc, test_generation_prompt);
    tcase_add_test(tc, test_raw_separators);
    tcase_add_test(tc, test_meta);
    tcase_add_test(tc, test_guide);
    tcase_add_test(tc, test_end_of_text_option);
    tcase_add_test(tc, test_structure_errors);
    tcase_add_test(tc, test_official_errors);
    tcase_add_test(tc, test_parser_reuse_and_copy);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(parse_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
