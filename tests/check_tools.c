/* check_tools.c - tool calling: record parsing and rendering.
 *
 * Expected samples are the official template's output (rendered with
 * shared/reference/render.py for these exact records), Meta's 3.1 ChatFormat
 * for -p meta, and the error codes the record layer documents.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "llamafmt/record.h"
#include "llamafmt/template.h"

#define SYS_BLOCK "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
#define DATES "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
#define USER_PRE                                                                                                 \
    "Given the following functions, please respond with a JSON for a function call with its proper arguments " \
    "that best answers the given prompt.\n\nRespond in the format {\"name\": function name, \"parameters\": "   \
    "dictionary of argument name and its value}.Do not use variables.\n\n"
#define SYS_PRE                                                                                                 \
    "You have access to the following functions. To call a function, please respond with JSON for a function " \
    "call.Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its " \
    "value}.Do not use variables.\n\n"
#define SPEC_JSON "{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"n\":1E2}}}"
#define SPEC_DUMP                                                                                                \
    "{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"f\",\n        \"parameters\": {\n" \
    "            \"n\": 100.0\n        }\n    }\n}\n\n"

typedef struct fixture {
    lf_record_opts ro;
    lf_template_opts to;
    lf_parser *p;
    lf_sample s;
    lf_error err;
} fixture;

static void fx_init(fixture *f, lf_profile profile)
{
    memset(f, 0, sizeof *f);
    f->ro.shape = LF_SHAPE_AUTO;
    f->ro.special = LF_SPECIAL_ERROR;
    f->ro.tools_in_user = -1;
    f->to.profile = profile;
    f->to.bos = 1;
    f->to.end_of_text = 0;
    f->p = lf_parser_new(&f->ro);
    ck_assert_ptr_nonnull(f->p);
}

static void fx_free(fixture *f)
{
    lf_parser_free(f->p);
    lf_sample_free(&f->s);
}

/* Parse and render; returns the code of the first failing stage. */
static lf_code run(fixture *f, const char *json)
{
    lf_rawrec rec = {json, strlen(json), "t.jsonl", 3, 1};
    const lf_conversation *conv;
    lf_error_clear(&f->err);
    lf_code rc = lf_record_parse(f->p, &rec, &conv, &f->err);
    if (rc != LF_OK)
        return rc;
    size_t bad;
    return lf_render(&f->to, conv, &f->s, &bad, &f->err);
}

static void expect_text(fixture *f, const char *json, const char *want)
{
    lf_code rc = run(f, json);
    ck_assert_msg(rc == LF_OK, "render failed: %s", f->err.msg);
    ck_assert_uint_eq(f->s.text.len, strlen(want));
    ck_assert_msg(memcmp(f->s.text.data, want, f->s.text.len) == 0, "got:\n%.*s\nwant:\n%s", (int)f->s.text.len,
                  f->s.text.data, want);
}

START_TEST(test_custom_call_tools_in_user)
{
    fixture f;
    fx_init(&f, LF_PROFILE_OFFICIAL);
    expect_text(&f,
                "{\"tools\":[" SPEC_JSON "],\"messages\":[{\"role\":\"user\",\"content\":\" hi \"},"
                "{\"role\":\"assistant\",\"tool_calls\":[{\"type\":\"function\",\"function\":{\"name\":\"f\","
                "\"arguments\":{\"b\":1,\"2\":2.50,\"big\":123456789012345678901234567890}}}]},"
                "{\"role\":\"tool\",\"content\":\"22.0\"},{\"role\":\"assistant\",\"content\":\"ok\"}]}",
                SYS_BLOCK "Environment: ipython\n" DATES "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n" USER_PRE
                SPEC_DUMP "hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"f\", "
                "\"parameters\": {\"b\": 1, \"2\": 2.5, \"big\": 123456789012345678901234567890}}<|eot_id|>"
                "<|start_header_id|>ipython<|end_header_id|>\n\n\"22.0\"<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\nok<|eot_id|>");
    fx_free(&f);
}
END_TEST

START_TEST(test_tools_in_system_and_string_arguments)
{
    fixture f;
    fx_init(&f, LF_PROFILE_OFFICIAL);
    expect_text(&f,
                "{\"tools_in_user_message\":false,\"tools\":[" SPEC_JSON "],\"messages\":[{\"role\":\"system\","
                "\"content\":\"S\"},{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"tool_calls\":"
                "[{\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"city\\\": \\\"\\uc11c\\uc6b8\\\"}\"}}]}]}",
                SYS_BLOCK "Environment: ipython\n" DATES SYS_PRE SPEC_DUMP "S<|eot_id|>"
                "<|start_header_id|>user<|end_header_id|>\n\nx<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"f\", \"parameters\": "
                "{\"city\": \"\xec\x84\x9c\xec\x9a\xb8\"}}<|eot_id|>");
    fx_free(&f);
}
END_TEST

START_TEST(test_builtin_call_and_results)
{
    fixture f;
    fx_init(&f, LF_PROFILE_OFFICIAL);
    expect_text(&f,
                "{\"builtin_tools\":[\"code_interpreter\",\"brave_search\"],\"messages\":[{\"role\":\"user\","
                "\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"ignored\",\"tool_calls\":[{\"function\":"
                "{\"name\":\"brave_search\",\"arguments\":{\"query\":\"a \\\"b\\\"\"}}}]},{\"role\":\"ipython\","
                "\"content\":{\"k\":[1,true,null]}},{\"role\":\"tool\",\"content\":true},{\"role\":\"tool\","
                "\"content\":null},{\"role\":\"tool\",\"content\":1e999},{\"role\":\"assistant\",\"content\":\"done\"}]}",
                SYS_BLOCK "Environment: ipython\nTools: brave_search\n\n" DATES "<|eot_id|>"
                "<|start_header_id|>user<|end_header_id|>\n\nq<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\n<|python_tag|>brave_search.call(query=\"a \"b\"\")"
                "<|eom_id|><|start_header_id|>ipython<|end_header_id|>\n\n{\"k\": [1, true, null]}<|eot_id|>"
                "<|start_header_id|>ipython<|end_header_id|>\n\nTrue<|eot_id|>"
                "<|start_header_id|>ipython<|end_header_id|>\n\nNone<|eot_id|>"
                "<|start_header_id|>ipython<|end_header_id|>\n\ninf<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\ndone<|eot_id|>");
    /* the call is trainable and its <|python_tag|> and <|eom_id|> are special */
    int saw_tag = 0, saw_eom = 0;
    for (size_t i = 0; i < f.s.nsegs; i++) {
        const lf_segment *g = &f.s.segs[i];
        if (g->len == 14 && memcmp(f.s.text.data + g->off, "<|python_tag|>", 14) == 0) {
            saw_tag = 1;
            ck_assert(g->special && g->train);
        }
        if (g->len == 10 && memcmp(f.s.text.data + g->off, "<|eom_id|>", 10) == 0) {
            saw_eom = 1;
            ck_assert(g->special && g->train);
        }
    }
    ck_assert(saw_tag && saw_eom);
    fx_free(&f);
}
END_TEST

START_TEST(test_empty_tools_means_none)
{
    fixture f;
    fx_init(&f, LF_PROFILE_OFFICIAL);
    expect_text(&f, "{\"tools\":[],\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}]}",
                SYS_BLOCK DATES "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\na<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\nb<|eot_id|>");
    fx_free(&f);
}
END_TEST

START_TEST(test_sharegpt_function_call)
{
    fixture f;
    fx_init(&f, LF_PROFILE_OFFICIAL);
    expect_text(&f,
                "{\"tools\":\"[" "{\\\"type\\\":\\\"function\\\",\\\"function\\\":{\\\"name\\\":\\\"f\\\"}}" "]\","
                "\"conversations\":[{\"from\":\"human\",\"value\":\"q\"},{\"from\":\"function_call\",\"value\":"
                "\"{\\\"name\\\": \\\"f\\\", \\\"arguments\\\": {\\\"x\\\": 1}}\"},{\"from\":\"observation\","
                "\"value\":\"r\"},{\"from\":\"gpt\",\"value\":\"a\"}]}",
                SYS_BLOCK "Environment: ipython\n" DATES "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n" USER_PRE
                "{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"f\"\n    }\n}\n\n"
                "q<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"f\", \"parameters\": "
                "{\"x\": 1}}<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n\n\"r\"<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\na<|eot_id|>");
    fx_free(&f);
}
END_TEST

START_TEST(test_meta_profile)
{
    fixture f;
    fx_init(&f, LF_PROFILE_META);
    expect_text(&f,
                "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"tool_calls\":[{"
                "\"function\":{\"name\":\"code_interpreter\",\"arguments\":{\"code\":\"print(1)\"}}}]},{\"role\":"
                "\"ipython\",\"content\":\"1\"},{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":"
                "\"get\",\"arguments\":{\"a\":[1.0]}}}]},{\"role\":\"tool\",\"content\":{\"v\":2}},"
                "{\"role\":\"assistant\",\"content\":\"x\"}]}",
                "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nq<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\n<|python_tag|>print(1)<|eom_id|>"
                "<|start_header_id|>ipython<|end_header_id|>\n\n1<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\n<|python_tag|>{\"type\": \"function\", \"name\": "
                "\"get\", \"parameters\": {\"a\": [1.0]}}<|eom_id|>"
                "<|start_header_id|>ipython<|end_header_id|>\n\n{\"v\": 2}<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\nx<|eot_id|>");
    fx_free(&f);
}
END_TEST

/* Records the template cannot render well are errors. */
typedef struct bad_case {
    const char *json;
    lf_code code;
    const char *msg_prefix;
    lf_profile profile;
} bad_case;

static const bad_case bad_cases[] = {
    {"{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"tool_calls\":[{\"function\":"
     "{\"name\":\"f\",\"arguments\":{}}},{\"function\":{\"name\":\"g\",\"arguments\":{}}}]}]}",
     LF_E_TOOL, "messages[1].tool_calls: more than one", LF_PROFILE_OFFICIAL},
    {"{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"a\","
     "\"tool_calls\":[]}]}",
     LF_E_TOOL, "messages[1].tool_calls: tool_calls is empty", LF_PROFILE_OFFICIAL},
    {"{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"a\","
     "\"tool_calls\":null}]}",
     LF_E_TOOL, "messages[1].tool_calls: tool_calls is null", LF_PROFILE_OFFICIAL},
    {"{\"messages\":[{\"role\":\"user\",\"content\":\"q\",\"tool_calls\":[{\"function\":{\"name\":\"f\","
     "\"arguments\":{}}}]},{\"role\":\"assistant\",\"content\":\"a\"}]}",
     LF_E_TOOL, "messages[0].tool_calls: only assistant", LF_PROFILE_OFFICIAL},
    {"{\"builtin_tools\":[\"brave_search\"],\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":"
     "\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"brave_search\",\"arguments\":{\"query\":5}}}]}]}",
     LF_E_TOOL, "the arguments of built-in tool call \"brave_search\"", LF_PROFILE_OFFICIAL},
    {"{\"tools\":[{\"type\":\"function\"}],\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":"
     "\"assistant\",\"content\":\"a\"}]}",
     LF_E_TOOL, "messages[1]: the tool definitions go into the first user message", LF_PROFILE_OFFICIAL},
    {"{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"tool_calls\":[{\"function\":"
     "{\"name\":\"f\",\"arguments\":\"{not json\"}}]}]}",
     LF_E_JSON, "messages[1].tool_calls[0].function.arguments: arguments is a string that does not hold valid JSON",
     LF_PROFILE_OFFICIAL},
    {"{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"tool_calls\":[{\"function\":"
     "{\"name\":\"f\",\"arguments\":[1]}}]}]}",
     LF_E_TYPE, "messages[1].tool_calls[0].function.arguments: the tool call's arguments must be an object",
     LF_PROFILE_OFFICIAL},
    {"{\"tools\":[{\"name\":\"<|eot_id|>\"}],\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":"
     "\"assistant\",\"content\":\"a\"}]}",
     LF_E_SPECIAL, "tools[0]: a tool specification contains special-token text", LF_PROFILE_OFFICIAL},
    {"{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"tool\",\"content\":\"r\"},{\"role\":"
     "\"assistant\",\"content\":\"a\"}]}",
     LF_E_UNSUPPORTED, "the guide profile has no format for tools", LF_PROFILE_GUIDE},
};

START_TEST(test_bad)
{
    const bad_case *bc = &bad_cases[_i];
    fixture f;
    fx_init(&f, bc->profile);
    lf_code rc = run(&f, bc->json);
    ck_assert_msg(rc == bc->code, "case %d: code %s, want %s (%s)", _i, lf_code_name(rc), lf_code_name(bc->code),
                  f.err.msg);
    ck_assert_msg(strncmp(f.err.msg, bc->msg_prefix, strlen(bc->msg_prefix)) == 0, "case %d: message \"%s\"", _i,
                  f.err.msg);
    fx_free(&f);
}
END_TEST

START_TEST(test_lenient_tool_calls)
{
    fixture f;
    fx_init(&f, LF_PROFILE_OFFICIAL);
    f.ro.lenient_tool_calls = 1;
    expect_text(&f, "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"a\","
                    "\"tool_calls\":null}]}",
                SYS_BLOCK DATES "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nq<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\na<|eot_id|>");
    fx_free(&f);
}
END_TEST

START_TEST(test_option_tools_and_builtins)
{
    static const char spec[] = "[ {\"type\": \"function\", \"function\": {\"name\": \"f\"}} ]";
    static const char *const builtins[] = {"wolfram_alpha"};
    fixture f;
    fx_init(&f, LF_PROFILE_OFFICIAL);
    lf_error e;
    lf_error_clear(&e);
    ck_assert_int_eq(lf_tools_check(spec, strlen(spec), &e), LF_OK);
    ck_assert_int_eq(lf_tools_check("[1]", 3, &e), LF_E_TYPE);
    ck_assert_int_eq(lf_tools_check("[{} x", 5, &e), LF_E_JSON);
    f.ro.tools_json = spec;
    f.ro.tools_json_len = strlen(spec);
    f.ro.builtin_tools = builtins;
    f.ro.n_builtin_tools = 1;
    f.ro.builtin_tools_set = 1;
    f.ro.tools_in_user = 0;
    expect_text(&f, "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"a\"}]}",
                SYS_BLOCK "Environment: ipython\nTools: wolfram_alpha\n\n" DATES SYS_PRE
                "{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"f\"\n    }\n}\n\n<|eot_id|>"
                "<|start_header_id|>user<|end_header_id|>\n\nq<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\na<|eot_id|>");
    /* a record's own keys win over the options */
    expect_text(&f, "{\"tools\":[],\"builtin_tools\":[],\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                    "{\"role\":\"assistant\",\"content\":\"a\"}]}",
                SYS_BLOCK "Environment: ipython\nTools: \n\n" DATES "<|eot_id|>"
                "<|start_header_id|>user<|end_header_id|>\n\nq<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\na<|eot_id|>");
    fx_free(&f);
}
END_TEST

static Suite *tools_suite(void)
{
    Suite *s = suite_create("tools");
    TCase *render = tcase_create("render");
    tcase_add_test(render, test_custom_call_tools_in_user);
    tcase_add_test(render, test_tools_in_system_and_string_arguments);
    tcase_add_test(render, test_builtin_call_and_results);
    tcase_add_test(render, test_empty_tools_means_none);
    tcase_add_test(render, test_sharegpt_function_call);
    tcase_add_test(render, test_meta_profile);
    tcase_add_test(render, test_lenient_tool_calls);
    tcase_add_test(render, test_option_tools_and_builtins);
    suite_add_tcase(s, render);
    TCase *errors = tcase_create("errors");
    tcase_add_loop_test(errors, test_bad, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    suite_add_tcase(s, errors);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tools_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
