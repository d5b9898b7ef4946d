/*
 * check_options.c - unit tests for options.c: lf_options_parse() on argv
 * arrays, lf_parse_size() and lf_unescape().
 *
 * Every parse is followed by lf_config_free(), also after an error.  The
 * test case "free_after_error" runs many failing and succeeding parses;
 * test_no_leaks_under_valgrind re-runs just that case under valgrind
 * (when valgrind is installed) and fails on any leak.
 */
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "llamafmt/error.h"
#include "llamafmt/options.h"

/* argv arrays: ARGV("-v", "x") is {"llamafmt", "-v", "x", NULL}. */
#define ARGV(...) ((char *[]){"llamafmt", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"llamafmt", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(cfg, err, ...) lf_options_parse((cfg), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (err))

/* Parse and expect success; the caller frees. */
#define OK(cfg, ...)                                                                                        \
    do {                                                                                                    \
        lf_error e_;                                                                                        \
        lf_error_clear(&e_);                                                                                \
        lf_code rc_ = PARSE((cfg), &e_, __VA_ARGS__);                                                       \
        ck_assert_msg(rc_ == LF_OK, "parse failed: %d %s", (int)rc_, e_.msg);                             \
    } while (0)

/* Parse, expect a usage error with a message, free. */
#define USAGE(...)                                                                                          \
    do {                                                                                                    \
        lf_config c_;                                                                                       \
        lf_error e_;                                                                                        \
        lf_error_clear(&e_);                                                                                \
        lf_code rc_ = PARSE(&c_, &e_, __VA_ARGS__);                                                         \
        lf_config_free(&c_);                                                                                \
        ck_assert_msg(rc_ == LF_E_USAGE, "line %d: expected a usage error, got %d", __LINE__, (int)rc_);  \
        ck_assert_int_eq(e_.code, LF_E_USAGE);                                                              \
        ck_assert_msg(e_.msg[0] != '\0', "line %d: empty message", __LINE__);                               \
        ck_assert_msg(strchr(e_.msg, '\n') == NULL, "message is not one line: %s", e_.msg);                 \
    } while (0)

/* ------------------------------------------------------------ defaults */

static void assert_defaults(const lf_config *c)
{
    ck_assert_int_eq(c->rec.shape, LF_SHAPE_AUTO);
    ck_assert_ptr_null(c->rec.messages_key);
    ck_assert_ptr_null(c->rec.role_key);
    ck_assert_ptr_null(c->rec.content_key);
    ck_assert_uint_eq(c->rec.n_aliases, 0);
    ck_assert_ptr_null(c->rec.alpaca_joiner);
    ck_assert_ptr_null(c->rec.default_system);
    ck_assert_int_eq(c->rec.special, LF_SPECIAL_ERROR);
    ck_assert_int_eq(c->tpl.profile, LF_PROFILE_OFFICIAL);
    ck_assert(c->tpl.date == NULL || strcmp(c->tpl.date, LF_DEFAULT_DATE) == 0);
    ck_assert_int_eq(c->tpl.bos, 1);
    ck_assert_int_eq(c->tpl.end_of_text, -1);
    ck_assert_int_eq(c->tpl.generation_prompt, 0);
    ck_assert_int_eq(c->wr.format, LF_FORMAT_JSONL);
    ck_assert(c->wr.separator == NULL || (c->wr.separator_len == 1 && c->wr.separator[0] == '\n'));
    ck_assert_uint_eq(c->n_inputs, 0);
    ck_assert_ptr_null(c->output);
    ck_assert_ptr_null(c->rejects);
    ck_assert_uint_eq(c->n_keep, 0);
    ck_assert_uint_eq(c->max_record, LF_DEFAULT_MAX_RECORD);
    ck_assert_uint_eq(c->max_record, (size_t)64 << 20);
    ck_assert_int_eq(c->on_error, LF_ON_ERROR_FAIL);
    ck_assert_int_eq(c->stats, LF_STATS_NONE);
    ck_assert_int_eq(c->verbose, 0);
    ck_assert_int_eq(c->quiet, 0);
    ck_assert_int_eq(c->help, 0);
    ck_assert_int_eq(c->version, 0);
}

START_TEST(test_defaults)
{
    lf_config c;
    lf_error e;
    lf_error_clear(&e);
    char *argv[] = {"llamafmt", NULL};
    ck_assert_int_eq(lf_options_parse(&c, 1, argv, &e), LF_OK);
    assert_defaults(&c);
    lf_config_free(&c);
}
END_TEST

/* --------------------------------------------------------- input options */

START_TEST(test_from)
{
    static const struct {
        const char *a, *b;
        lf_shape want;
    } cases[] = {
        {"-f", "messages", LF_SHAPE_MESSAGES}, {"--from", "sharegpt", LF_SHAPE_SHAREGPT},
        {"-f", "alpaca", LF_SHAPE_ALPACA},     {"--from", "flat", LF_SHAPE_FLAT},
        {"-f", "auto", LF_SHAPE_AUTO},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lf_config c;
        OK(&c, (char *)cases[i].a, (char *)cases[i].b);
        ck_assert_int_eq(c.rec.shape, cases[i].want);
        lf_config_free(&c);
    }
    lf_config c;
    OK(&c, "--from=alpaca");
    ck_assert_int_eq(c.rec.shape, LF_SHAPE_ALPACA);
    lf_config_free(&c);
    OK(&c, "-fsharegpt");
    ck_assert_int_eq(c.rec.shape, LF_SHAPE_SHAREGPT);
    lf_config_free(&c);
    USAGE("-f", "openai");
    USAGE("--from=Messages");
    USAGE("--from=");
}
END_TEST

START_TEST(test_keys)
{
    lf_config c;
    OK(&c, "--messages-key=dialog", "--role-key", "speaker", "--content-key=text");
    ck_assert_str_eq(c.rec.messages_key, "dialog");
    ck_assert_str_eq(c.rec.role_key, "speaker");
    ck_assert_str_eq(c.rec.content_key, "text");
    lf_config_free(&c);
    USAGE("--messages-key=");
    USAGE("--role-key", "");
    USAGE("--content-key=");
}
END_TEST

START_TEST(test_strings_are_copied)
{
    /* the config owns its strings: changing argv afterwards changes nothing */
    char k[] = "dialog", o[] = "out.jsonl", in[] = "in.jsonl", sys[] = "sys";
    char *argv[] = {"llamafmt", "--messages-key", k, "-o", o, "--system", sys, in, NULL};
    lf_config c;
    lf_error e;
    lf_error_clear(&e);
    ck_assert_int_eq(lf_options_parse(&c, 8, argv, &e), LF_OK);
    memset(k, 'X', sizeof k - 1);
    memset(o, 'X', sizeof o - 1);
    memset(in, 'X', sizeof in - 1);
    memset(sys, 'X', sizeof sys - 1);
    ck_assert_str_eq(c.rec.messages_key, "dialog");
    ck_assert_str_eq(c.output, "out.jsonl");
    ck_assert_str_eq(c.rec.default_system, "sys");
    ck_assert_uint_eq(c.n_inputs, 1);
    ck_assert_str_eq(c.inputs[0], "in.jsonl");
    lf_config_free(&c);
}
END_TEST

START_TEST(test_role_map)
{
    lf_config c;
    OK(&c, "--role-map", "gpt=assistant,human=user");
    ck_assert_uint_eq(c.rec.n_aliases, 2);
    ck_assert_ptr_nonnull(c.rec.aliases);
    ck_assert_str_eq(c.rec.aliases[0].from, "gpt");
    ck_assert_int_eq(c.rec.aliases[0].to, LF_ROLE_ASSISTANT);
    ck_assert_str_eq(c.rec.aliases[1].from, "human");
    ck_assert_int_eq(c.rec.aliases[1].to, LF_ROLE_USER);
    lf_config_free(&c);

    /* repeated options add up; tool and ipython name the tool role */
    OK(&c, "--role-map=bot=tool", "--role-map=sys=system,fn=ipython");
    ck_assert_uint_eq(c.rec.n_aliases, 3);
    ck_assert_str_eq(c.rec.aliases[0].from, "bot");
    ck_assert_int_eq(c.rec.aliases[0].to, LF_ROLE_IPYTHON);
    ck_assert_str_eq(c.rec.aliases[1].from, "sys");
    ck_assert_int_eq(c.rec.aliases[1].to, LF_ROLE_SYSTEM);
    ck_assert_str_eq(c.rec.aliases[2].from, "fn");
    ck_assert_int_eq(c.rec.aliases[2].to, LF_ROLE_IPYTHON);
    lf_config_free(&c);

    USAGE("--role-map", "x");
    USAGE("--role-map", "=a");
    USAGE("--role-map", "a=");
    USAGE("--role-map", "a=robot");
    USAGE("--role-map", "a=Assistant");
    USAGE("--role-map", "gpt=assistant,x");
    USAGE("--role-map", "");
    USAGE("--role-map", ",");
}
END_TEST

START_TEST(test_alpaca_joiner_and_system)
{
    lf_config c;
    OK(&c, "--alpaca-joiner=\\n", "--system", "Be brief.\\tOK\\\\ \xea\xb0\x80");
    ck_assert_str_eq(c.rec.alpaca_joiner, "\n");
    ck_assert_str_eq(c.rec.default_system, "Be brief.\tOK\\ \xea\xb0\x80");
    lf_config_free(&c);
    OK(&c, "--alpaca-joiner=", "--system=");
    ck_assert_str_eq(c.rec.alpaca_joiner, "");
    ck_assert_str_eq(c.rec.default_system, "");
    lf_config_free(&c);
    USAGE("--system=a\\qb");
    USAGE("--system=a\\0b");        /* a NUL cannot be in a C-string prompt */
    USAGE("--alpaca-joiner=\\0");
    USAGE("--system=\xff");         /* not UTF-8 */
}
END_TEST

START_TEST(test_special_tokens)
{
    static const struct {
        const char *arg;
        lf_special_policy want;
    } cases[] = {
        {"--special-tokens=error", LF_SPECIAL_ERROR},
        {"--special-tokens=strip", LF_SPECIAL_STRIP},
        {"--special-tokens=allow", LF_SPECIAL_ALLOW},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lf_config c;
        OK(&c, (char *)cases[i].arg);
        ck_assert_int_eq(c.rec.special, cases[i].want);
        lf_config_free(&c);
    }
    lf_config c;
    OK(&c, "--special-tokens", "strip");
    ck_assert_int_eq(c.rec.special, LF_SPECIAL_STRIP);
    lf_config_free(&c);
    USAGE("--special-tokens=escape");
    USAGE("--special-tokens=");
}
END_TEST

START_TEST(test_max_record_size)
{
    static const struct {
        const char *arg;
        size_t want;
    } cases[] = {
        {"1000", 1000},
        {"512K", (size_t)512 << 10},
        {"64M", (size_t)64 << 20},
        {"1G", (size_t)1 << 30},
        {"1", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lf_config c;
        OK(&c, "--max-record-size", (char *)cases[i].arg);
        ck_assert_uint_eq(c.max_record, cases[i].want);
        lf_config_free(&c);
    }
    lf_config c;
    OK(&c, "--max-record-size=2K");
    ck_assert_uint_eq(c.max_record, 2048);
    lf_config_free(&c);
    USAGE("--max-record-size=0");
    USAGE("--max-record-size=-1");
    USAGE("--max-record-size=12X");
    USAGE("--max-record-size=");
    USAGE("--max-record-size=1.5M");
    USAGE("--max-record-size=M");
    USAGE("--max-record-size=99999999999999999999999");
}
END_TEST

/* ------------------------------------------------------ rendering options */

START_TEST(test_profile)
{
    static const struct {
        const char *a, *b;
        lf_profile want;
    } cases[] = {
        {"-p", "official", LF_PROFILE_OFFICIAL},
        {"-p", "meta", LF_PROFILE_META},
        {"--profile", "guide", LF_PROFILE_GUIDE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lf_config c;
        OK(&c, (char *)cases[i].a, (char *)cases[i].b);
        ck_assert_int_eq(c.tpl.profile, cases[i].want);
        lf_config_free(&c);
    }
    lf_config c;
    OK(&c, "--profile=meta");
    ck_assert_int_eq(c.tpl.profile, LF_PROFILE_META);
    lf_config_free(&c);
    OK(&c, "-pguide");
    ck_assert_int_eq(c.tpl.profile, LF_PROFILE_GUIDE);
    lf_config_free(&c);
    USAGE("-p", "llama3");
    USAGE("--profile=");
}
END_TEST

START_TEST(test_date)
{
    lf_config c;
    OK(&c, "--date=1 Jan 2025");
    ck_assert_str_eq(c.tpl.date, "1 Jan 2025");
    lf_config_free(&c);
    OK(&c, "--date", "21 September 2024");
    ck_assert_str_eq(c.tpl.date, "21 September 2024");
    lf_config_free(&c);
    /* near-misses of special tokens are ordinary text */
    OK(&c, "--date=<|foo|> <eot_id>");
    ck_assert_str_eq(c.tpl.date, "<|foo|> <eot_id>");
    lf_config_free(&c);

    USAGE("--date=26\001Jul");              /* raw control character */
    USAGE("--date=26\\tJul");               /* escape decoding to one */
    USAGE("--date=26\\nJul");
    USAGE("--date=26\\0Jul");
    USAGE("--date=<|eot_id|>");
    USAGE("--date=x<|reserved_special_token_5|>y");
    USAGE("--date", "26 Jul 2024<|start_header_id|>");
    USAGE("--date=\\q");
}
END_TEST

/* error.h: the message is one line, even when the bad argument holds a
 * newline (USAGE checks it).  One loop iteration per option. */
static char *const one_line_cases[][4] = {
    {"llamafmt", "--date=26\nJul", NULL, NULL},
    {"llamafmt", "-t", "text", "--separator=a\n\\q"},
    {"llamafmt", "--role-map=a\nb", NULL, NULL},
    {"llamafmt", "--from=x\ny", NULL, NULL},
    {"llamafmt", "--max-record-size=1\n", NULL, NULL},
    {"llamafmt", "--bogus\nx", NULL, NULL},
};

START_TEST(test_messages_one_line)
{
    char *argv[5] = {NULL, NULL, NULL, NULL, NULL};
    int argc = 0;
    while (argc < 4 && one_line_cases[_i][argc] != NULL) {
        argv[argc] = one_line_cases[_i][argc];
        argc++;
    }
    lf_config c;
    lf_error e;
    lf_error_clear(&e);
    lf_code rc = lf_options_parse(&c, argc, argv, &e);
    lf_config_free(&c);
    ck_assert_int_eq(rc, LF_E_USAGE);
    ck_assert_msg(strchr(e.msg, '\n') == NULL, "%s: message is not one line: %s", argv[argc - 1], e.msg);
}
END_TEST

START_TEST(test_bos_eot_generation)
{
    lf_config c;
    OK(&c, "--no-bos");
    ck_assert_int_eq(c.tpl.bos, 0);
    lf_config_free(&c);
    OK(&c, "--no-bos", "--bos");
    ck_assert_int_eq(c.tpl.bos, 1);
    lf_config_free(&c);
    OK(&c, "--bos", "--no-bos");
    ck_assert_int_eq(c.tpl.bos, 0);
    lf_config_free(&c);
    OK(&c, "--end-of-text");
    ck_assert_int_eq(c.tpl.end_of_text, 1);
    lf_config_free(&c);
    OK(&c, "--no-end-of-text");
    ck_assert_int_eq(c.tpl.end_of_text, 0);
    lf_config_free(&c);
    OK(&c, "--generation-prompt");
    ck_assert_int_eq(c.tpl.generation_prompt, 1);
    ck_assert_int_eq(c.tpl.end_of_text, -1);
    lf_config_free(&c);
    USAGE("--bos=yes");
    USAGE("--generation-prompt=1");
}
END_TEST

/* --------------------------------------------------------- output options */

START_TEST(test_to_and_output)
{
    lf_config c;
    OK(&c, "-t", "text");
    ck_assert_int_eq(c.wr.format, LF_FORMAT_TEXT);
    lf_config_free(&c);
    OK(&c, "--to=jsonl");
    ck_assert_int_eq(c.wr.format, LF_FORMAT_JSONL);
    lf_config_free(&c);
    OK(&c, "--to", "text", "-ttext");
    ck_assert_int_eq(c.wr.format, LF_FORMAT_TEXT);
    lf_config_free(&c);
    USAGE("-t", "json");
    USAGE("--to=");

    OK(&c, "-o", "out.jsonl");
    ck_assert_str_eq(c.output, "out.jsonl");
    lf_config_free(&c);
    OK(&c, "--output=dir/o.jsonl");
    ck_assert_str_eq(c.output, "dir/o.jsonl");
    lf_config_free(&c);
    OK(&c, "-oout2");
    ck_assert_str_eq(c.output, "out2");
    lf_config_free(&c);
    OK(&c, "-o", "-");
    ck_assert_ptr_null(c.output); /* standard output */
    lf_config_free(&c);
    OK(&c, "-o", "a", "-o", "b");
    ck_assert_str_eq(c.output, "b");
    lf_config_free(&c);
    OK(&c, "-o", "a", "-o", "-");
    ck_assert_ptr_null(c.output);
    lf_config_free(&c);
    USAGE("-o", "");
    USAGE("--output=");
}
END_TEST

START_TEST(test_separator)
{
    static const struct {
        const char *arg;
        const char *want;
        size_t len;
    } cases[] = {
        {"--separator=\\n", "\n", 1},
        {"--separator=\\t", "\t", 1},
        {"--separator=\\r\\n", "\r\n", 2},
        {"--separator=\\0", "\0", 1},
        {"--separator=\\\\", "\\", 1},
        {"--separator=\\n---\\n", "\n---\n", 5},
        {"--separator=a\\0b", "a\0b", 3},
        {"--separator=", "", 0},
        {"--separator=\xed\x95\x9c", "\xed\x95\x9c", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lf_config c;
        OK(&c, "-t", "text", (char *)cases[i].arg);
        ck_assert_int_eq(c.wr.format, LF_FORMAT_TEXT);
        ck_assert_ptr_nonnull(c.wr.separator);
        ck_assert_msg(c.wr.separator_len == cases[i].len && memcmp(c.wr.separator, cases[i].want, cases[i].len) == 0,
                      "%s: got %zu bytes", cases[i].arg, c.wr.separator_len);
        lf_config_free(&c);
    }
    USAGE("-t", "text", "--separator=\\x");
    USAGE("-t", "text", "--separator=a\\qb");
    USAGE("-t", "text", "--separator=trailing\\");
    USAGE("-t", "text", "--separator=\\N");
    USAGE("--separator=\\n");               /* jsonl has no separator */
    USAGE("-t", "jsonl", "--separator=x");
}
END_TEST

START_TEST(test_null)
{
    const char *forms[] = {"-0", "--null"};
    for (size_t i = 0; i < 2; i++) {
        lf_config c;
        OK(&c, (char *)forms[i]);
        ck_assert_int_eq(c.wr.format, LF_FORMAT_TEXT); /* -0 implies text */
        ck_assert_ptr_nonnull(c.wr.separator);
        ck_assert_uint_eq(c.wr.separator_len, 1);
        ck_assert_int_eq(c.wr.separator[0], '\0');
        lf_config_free(&c);
    }
    lf_config c;
    OK(&c, "-t", "text", "-0");
    ck_assert_int_eq(c.wr.format, LF_FORMAT_TEXT);
    ck_assert_uint_eq(c.wr.separator_len, 1);
    lf_config_free(&c);
    OK(&c, "-0", "-t", "text");
    ck_assert_int_eq(c.wr.format, LF_FORMAT_TEXT);
    lf_config_free(&c);
    OK(&c, "-0v");
    ck_assert_int_eq(c.wr.format, LF_FORMAT_TEXT);
    ck_assert_int_eq(c.verbose, 1);
    lf_config_free(&c);
    USAGE("-0", "-t", "jsonl");
    USAGE("-t", "jsonl", "-0");
    USAGE("-0", "--separator=x");
    USAGE("-0", "--keep", "id");
}
END_TEST

START_TEST(test_keep)
{
    lf_config c;
    OK(&c, "--keep", "id,source");
    ck_assert_uint_eq(c.n_keep, 2);
    ck_assert_str_eq(c.keep[0], "id");
    ck_assert_str_eq(c.keep[1], "source");
    lf_config_free(&c);
    OK(&c, "--keep=source", "--keep=id,\xec\xb6\x9c\xec\xb2\x98");
    ck_assert_uint_eq(c.n_keep, 3);
    ck_assert_str_eq(c.keep[0], "source");
    ck_assert_str_eq(c.keep[1], "id");
    ck_assert_str_eq(c.keep[2], "\xec\xb6\x9c\xec\xb2\x98");
    lf_config_free(&c);
    OK(&c, "--keep=Text"); /* keys are case-sensitive */
    ck_assert_uint_eq(c.n_keep, 1);
    lf_config_free(&c);
    OK(&c, "-t", "jsonl", "--keep=id");
    ck_assert_uint_eq(c.n_keep, 1);
    lf_config_free(&c);

    USAGE("--keep", "text");
    USAGE("--keep", "id,text");
    USAGE("--keep", "id,id");
    USAGE("--keep", "id", "--keep", "id");
    USAGE("--keep", "");
    USAGE("--keep", ",");
    USAGE("--keep", "\xff");
    USAGE("--keep", "id", "-t", "text");
    USAGE("-t", "text", "--keep", "id");
}
END_TEST

/* ------------------------------------------------ errors and reporting */

START_TEST(test_on_error_rejects_stats)
{
    lf_config c;
    OK(&c, "--on-error=skip", "--rejects", "bad.jsonl");
    ck_assert_int_eq(c.on_error, LF_ON_ERROR_SKIP);
    ck_assert_str_eq(c.rejects, "bad.jsonl");
    lf_config_free(&c);
    OK(&c, "--on-error", "fail", "--rejects=r.jsonl", "-o", "o.jsonl");
    ck_assert_int_eq(c.on_error, LF_ON_ERROR_FAIL);
    ck_assert_str_eq(c.rejects, "r.jsonl");
    ck_assert_str_eq(c.output, "o.jsonl");
    lf_config_free(&c);
    USAGE("--on-error=ignore");
    USAGE("--rejects=");
    USAGE("-o", "same.jsonl", "--rejects", "same.jsonl");

    OK(&c, "--stats");
    ck_assert_int_eq(c.stats, LF_STATS_TEXT);
    ck_assert_uint_eq(c.n_inputs, 0);
    lf_config_free(&c);
    OK(&c, "--stats=text");
    ck_assert_int_eq(c.stats, LF_STATS_TEXT);
    lf_config_free(&c);
    OK(&c, "--stats=json");
    ck_assert_int_eq(c.stats, LF_STATS_JSON);
    lf_config_free(&c);
    /* an optional argument must be attached: "json" here is an input file */
    OK(&c, "--stats", "json");
    ck_assert_int_eq(c.stats, LF_STATS_TEXT);
    ck_assert_uint_eq(c.n_inputs, 1);
    ck_assert_str_eq(c.inputs[0], "json");
    lf_config_free(&c);
    USAGE("--stats=xml");
    USAGE("--stats=");
}
END_TEST

START_TEST(test_flags)
{
    static const struct {
        const char *arg;
        size_t field;
    } cases[] = {
        {"-v", offsetof(lf_config, verbose)}, {"--verbose", offsetof(lf_config, verbose)},
        {"-q", offsetof(lf_config, quiet)},   {"--quiet", offsetof(lf_config, quiet)},
        {"-h", offsetof(lf_config, help)},    {"--help", offsetof(lf_config, help)},
        {"-V", offsetof(lf_config, version)}, {"--version", offsetof(lf_config, version)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lf_config c;
        OK(&c, (char *)cases[i].arg);
        int v;
        memcpy(&v, (const char *)&c + cases[i].field, sizeof v);
        ck_assert_msg(v == 1, "%s did not set its flag", cases[i].arg);
        ck_assert_int_eq(c.verbose + c.quiet + c.help + c.version, 1);
        lf_config_free(&c);
    }
    lf_config c;
    OK(&c, "-hV");
    ck_assert_int_eq(c.help, 1);
    ck_assert_int_eq(c.version, 1);
    lf_config_free(&c);
    USAGE("-v", "-q");
    USAGE("--quiet", "--verbose");
    USAGE("-vq");
}
END_TEST

START_TEST(test_inputs)
{
    lf_config c;
    OK(&c, "-q", "a.jsonl", "-", "b.json");
    ck_assert_uint_eq(c.n_inputs, 3);
    ck_assert_str_eq(c.inputs[0], "a.jsonl");
    ck_assert_str_eq(c.inputs[1], "-");
    ck_assert_str_eq(c.inputs[2], "b.json");
    lf_config_free(&c);
    OK(&c, "--", "-x.jsonl", "--stats");
    ck_assert_uint_eq(c.n_inputs, 2);
    ck_assert_str_eq(c.inputs[0], "-x.jsonl");
    ck_assert_str_eq(c.inputs[1], "--stats");
    ck_assert_int_eq(c.stats, LF_STATS_NONE);
    lf_config_free(&c);
}
END_TEST

START_TEST(test_options_after_files)
{
    /* "Usage: llamafmt [OPTION]... [FILE]...": as with GNU tools, an option
     * written after a file name is still an option */
    lf_config c;
    lf_error e;
    lf_error_clear(&e);
    lf_code rc = PARSE(&c, &e, "in.jsonl", "-o", "out.jsonl", "--stats");
    ck_assert_msg(rc == LF_OK, "%s", e.msg);
    ck_assert_msg(c.n_inputs == 1 && strcmp(c.inputs[0], "in.jsonl") == 0, "inputs: %zu (first \"%s\")",
                  c.n_inputs, c.n_inputs ? c.inputs[0] : "");
    ck_assert_msg(c.output != NULL && strcmp(c.output, "out.jsonl") == 0, "-o after a file was not taken as -o");
    ck_assert_int_eq(c.stats, LF_STATS_TEXT);
    lf_config_free(&c);
}
END_TEST

START_TEST(test_unknown_and_missing)
{
    USAGE("--bogus");
    USAGE("-X");
    USAGE("-vX");
    USAGE("--s");           /* ambiguous: --system, --special-tokens, --separator, --stats */
    USAGE("--no");          /* ambiguous: --no-bos, --no-end-of-text */
    USAGE("-o");
    USAGE("-f");
    USAGE("-p");
    USAGE("-t");
    USAGE("--from");
    USAGE("--keep");
    USAGE("--role-map");
    USAGE("--date");
    USAGE("--max-record-size");
    USAGE("-q", "--rejects");

    /* the message names the option */
    lf_config c;
    lf_error e;
    lf_error_clear(&e);
    ck_assert_int_eq(PARSE(&c, &e, "--bogus"), LF_E_USAGE);
    ck_assert_msg(strstr(e.msg, "--bogus") != NULL, "%s", e.msg);
    lf_config_free(&c);
    lf_error_clear(&e);
    ck_assert_int_eq(PARSE(&c, &e, "-X"), LF_E_USAGE);
    ck_assert_msg(strstr(e.msg, "-X") != NULL, "%s", e.msg);
    lf_config_free(&c);
    lf_error_clear(&e);
    ck_assert_int_eq(PARSE(&c, &e, "--output"), LF_E_USAGE);
    ck_assert_msg(strstr(e.msg, "--output") != NULL, "%s", e.msg);
    lf_config_free(&c);
}
END_TEST

START_TEST(test_parse_twice)
{
    /* getopt's state is reset on every call, even after an error that left
     * it in the middle of a cluster of short options ("-X0") */
    lf_config c;
    lf_error e;
    lf_error_clear(&e);
    ck_assert_int_eq(PARSE(&c, &e, "-X0", "ignored"), LF_E_USAGE);
    lf_config_free(&c);
    OK(&c, "-q", "in.jsonl");
    ck_assert_int_eq(c.quiet, 1);
    ck_assert_int_eq(c.wr.format, LF_FORMAT_JSONL); /* the stale "0" was not read */
    ck_assert_uint_eq(c.n_inputs, 1);
    ck_assert_str_eq(c.inputs[0], "in.jsonl");
    lf_config_free(&c);

    /* a full successful parse, then one with other options: nothing carries over */
    OK(&c, "--stats=json", "-p", "meta", "--keep=id", "-o", "x", "a", "b");
    ck_assert_uint_eq(c.n_inputs, 2);
    lf_config_free(&c);
    OK(&c, "c");
    ck_assert_int_eq(c.stats, LF_STATS_NONE);
    ck_assert_int_eq(c.tpl.profile, LF_PROFILE_OFFICIAL);
    ck_assert_uint_eq(c.n_keep, 0);
    ck_assert_ptr_null(c.output);
    ck_assert_uint_eq(c.n_inputs, 1);
    ck_assert_str_eq(c.inputs[0], "c");
    lf_config_free(&c);

    char *argv[] = {"llamafmt", NULL};
    for (int i = 0; i < 3; i++) {
        lf_error_clear(&e);
        ck_assert_int_eq(lf_options_parse(&c, 1, argv, &e), LF_OK);
        assert_defaults(&c);
        lf_config_free(&c);
        lf_error_clear(&e);
        ck_assert_int_eq(PARSE(&c, &e, "-o"), LF_E_USAGE); /* missing value at the end */
        lf_config_free(&c);
    }
}
END_TEST

START_TEST(test_usage_text)
{
    const char *u = lf_usage_text();
    ck_assert_ptr_nonnull(u);
    ck_assert(strncmp(u, "Usage: llamafmt", 15) == 0);
    ck_assert(strstr(u, "Exit status:") != NULL);
}
END_TEST

/* ----------------------------------------------- lf_parse_size, lf_unescape */

START_TEST(test_parse_size)
{
    static const struct {
        const char *s;
        size_t want;
    } good[] = {
        {"1000", 1000},
        {"512K", (size_t)512 << 10},
        {"64M", (size_t)64 << 20},
        {"1G", (size_t)1 << 30},
        {"1", 1},
        {"007", 7},
        {"4096", 4096},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        size_t v = 0;
        ck_assert_msg(lf_parse_size(good[i].s, &v) == 0, "\"%s\" refused", good[i].s);
        ck_assert_uint_eq(v, good[i].want);
    }
    static const char *const bad[] = {
        "0", "0K", "-1", "12X", "", "K", "1.5M", " 12", "12 ", "+12", "1M2", "0x10", "1e6",
        "99999999999999999999999", "18446744073709551616",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t v = 12345;
        ck_assert_msg(lf_parse_size(bad[i], &v) == -1, "\"%s\" accepted", bad[i]);
        ck_assert_msg(v == 12345, "\"%s\": *out changed on failure", bad[i]);
    }
    size_t v = 0;
    ck_assert_int_eq(lf_parse_size(NULL, &v), -1);
    if (sizeof(size_t) == 8) {
        ck_assert_int_eq(lf_parse_size("17179869184G", &v), -1); /* 2^64: overflows */
        ck_assert_int_eq(lf_parse_size("17179869183G", &v), 0);
        ck_assert_uint_eq(v, (size_t)17179869183 << 30);
    }
}
END_TEST

START_TEST(test_unescape)
{
    static const struct {
        const char *in;
        const char *out;
        long len;
    } good[] = {
        {"", "", 0},
        {"plain", "plain", 5},
        {"a\\nb", "a\nb", 3},
        {"\\t\\r\\0\\\\", "\t\r\0\\", 4},
        {"\\\\n", "\\n", 2},
        {"x\\0\\0y", "x\0\0y", 4},
        {"\xed\x95\x9c\\n", "\xed\x95\x9c\n", 4},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char out[64];
        memset(out, 'Z', sizeof out);
        long n = lf_unescape(good[i].in, out);
        ck_assert_msg(n == good[i].len, "\"%s\": length %ld, want %ld", good[i].in, n, good[i].len);
        ck_assert(memcmp(out, good[i].out, (size_t)n) == 0);
        ck_assert_msg(n <= (long)strlen(good[i].in), "longer than the input");
    }
    static const char *const bad[] = {"\\x", "a\\qb", "trailing\\", "\\N", "\\u0041", "\\\"", "\\"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[64];
        ck_assert_msg(lf_unescape(bad[i], out) == -1, "\"%s\" accepted", bad[i]);
    }
}
END_TEST

/* ------------------------------------------------------------ leaks */

START_TEST(test_free_after_error)
{
    /* every kind of failure, after options that allocate; each config freed */
    static char *const fails[][8] = {
        {"llamafmt", "-o", "a", "--rejects", "r", "--keep", "id", "--bogus"},
        {"llamafmt", "--role-map", "a=user,b=assistant", "--role-map", "c=robot"},
        {"llamafmt", "--keep", "id,source", "--keep", "text"},
        {"llamafmt", "--keep", "a,b,a"},
        {"llamafmt", "--system", "x", "--alpaca-joiner", "\\q"},
        {"llamafmt", "--date", "<|eot_id|>"},
        {"llamafmt", "--date", "a\\tb"},
        {"llamafmt", "-o", "x", "--rejects", "x", "in1", "in2"},
        {"llamafmt", "--keep", "id", "-t", "text", "in1"},
        {"llamafmt", "-0", "--separator", "x"},
        {"llamafmt", "-v", "-q", "a", "b", "c"},
        {"llamafmt", "--separator=\\n", "--messages-key", "m", "--role-key", "r"},
        {"llamafmt", "--max-record-size", "12X"},
        {"llamafmt", "--content-key", "c", "-o"},
        {"llamafmt", "--role-map", "gpt=assistant", "-X0"},
    };
    for (size_t i = 0; i < sizeof fails / sizeof fails[0]; i++) {
        int argc = 0;
        while (argc < 8 && fails[i][argc] != NULL)
            argc++;
        char *argv[9];
        memcpy(argv, fails[i], (size_t)argc * sizeof(char *));
        argv[argc] = NULL;
        lf_config c;
        lf_error e;
        lf_error_clear(&e);
        lf_code rc = lf_options_parse(&c, argc, argv, &e);
        lf_config_free(&c);
        ck_assert_msg(rc == LF_E_USAGE, "case %zu: %d", i, (int)rc);
    }
    lf_config c;
    OK(&c, "-f", "sharegpt", "--messages-key=m", "--role-key=r", "--content-key=c", "--role-map=a=user,b=tool",
       "--alpaca-joiner=\\n", "--system=s", "--special-tokens=strip", "--max-record-size=1K", "-p", "meta",
       "--date=d", "--no-bos", "--end-of-text", "--generation-prompt", "-t", "text", "-o", "o", "-o", "o2",
       "--separator=\\0", "--on-error=skip", "--rejects=r", "--stats=json", "-v", "in1", "in2", "in3");
    ck_assert_uint_eq(c.n_inputs, 3);
    lf_config_free(&c);
    OK(&c, "--keep=a,b", "--keep=c", "-o", "-", "--keep", "d");
    ck_assert_uint_eq(c.n_keep, 4);
    lf_config_free(&c);
}
END_TEST

/* Is `name` an executable in $PATH? */
static int in_path(const char *name)
{
    const char *path = getenv("PATH");
    if (path == NULL)
        return 0;
    char dir[4096];
    while (*path) {
        size_t n = strcspn(path, ":");
        if (n > 0 && n < sizeof dir - strlen(name) - 2) {
            memcpy(dir, path, n);
            snprintf(dir + n, sizeof dir - n, "/%s", name);
            if (access(dir, X_OK) == 0)
                return 1;
        }
        path += n;
        if (*path == ':')
            path++;
    }
    return 0;
}

START_TEST(test_no_leaks_under_valgrind)
{
    if (getenv("LF_CHECK_OPTIONS_UNDER_VALGRIND") != NULL)
        return; /* we are the run under valgrind */
    if (!in_path("valgrind")) {
        fprintf(stderr, "check_options: valgrind not found, leak check skipped\n");
        return;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "check_options: cannot find my own executable, leak check skipped\n");
        return;
    }
    self[n] = '\0';
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setenv("LF_CHECK_OPTIONS_UNDER_VALGRIND", "1", 1);
        setenv("CK_RUN_CASE", "free_after_error", 1);
        setenv("CK_FORK", "no", 1);
        execlp("valgrind", "valgrind", "-q", "--leak-check=full", "--show-leak-kinds=definite,indirect,possible",
               "--errors-for-leak-kinds=definite,indirect,possible", "--error-exitcode=99", self, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status), "valgrind run died");
    ck_assert_msg(WEXITSTATUS(status) == 0, "valgrind run of the free_after_error case exited with %d (99: leak or "
                  "memory error, see above)", WEXITSTATUS(status));
}
END_TEST

/* -------------------------------------------------------------------- suite */

static Suite *options_suite(void)
{
    Suite *s = suite_create("options");

    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_from);
    tcase_add_test(tc, test_keys);
    tcase_add_test(tc, test_strings_are_copied);
    tcase_add_test(tc, test_role_map);
    tcase_add_test(tc, test_alpaca_joiner_and_system);
    tcase_add_test(tc, test_special_tokens);
    tcase_add_test(tc, test_max_record_size);
    tcase_add_test(tc, test_profile);
    tcase_add_test(tc, test_date);
    tcase_add_loop_test(tc, test_messages_one_line, 0, (int)(sizeof one_line_cases / sizeof one_line_cases[0]));
    tcase_add_test(tc, test_bos_eot_generation);
    tcase_add_test(tc, test_to_and_output);
    tcase_add_test(tc, test_separator);
    tcase_add_test(tc, test_null);
    tcase_add_test(tc, test_keep);
    tcase_add_test(tc, test_on_error_rejects_stats);
    tcase_add_test(tc, test_flags);
    tcase_add_test(tc, test_inputs);
    tcase_add_test(tc, test_options_after_files);
    tcase_add_test(tc, test_unknown_and_missing);
    tcase_add_test(tc, test_parse_twice);
    tcase_add_test(tc, test_usage_text);
    suite_add_tcase(s, tc);

    tc = tcase_create("helpers");
    tcase_add_test(tc, test_parse_size);
    tcase_add_test(tc, test_unescape);
    suite_add_tcase(s, tc);

    tc = tcase_create("free_after_error");
    tcase_add_test(tc, test_free_after_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("valgrind");
    tcase_add_test(tc, test_no_leaks_under_valgrind);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(options_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
