/*
 * parse.h - --parse: Llama 3/3.1 text samples back into conversations.
 *
 * lf_parse_sample() reads ONE sample text, as one of the profiles writes it
 * (template.h), into an lf_conversation, or reports the first malformation
 * with its byte offset in the sample: text before the first header that is
 * not <|begin_of_text|>, a doubled or misplaced <|begin_of_text|>,
 * <|end_of_text|> before the end, a header without <|end_header_id|>, an
 * unknown role (known: system, user, assistant, ipython), a missing "\n\n"
 * after a header (official, meta), a turn not closed by <|eot_id|> or
 * <|eom_id|>, text after the final terminator, reserved or misplaced special
 * tokens, an empty sample, and whatever the profile cannot have written
 * (official: no system block or date lines, content with whitespace the
 * template strips, a tool result that is not JSON ...).
 *
 * Round trip: a sample is accepted only when lf_render() of the conversation
 * returned (profile, date, BOS and <|end_of_text|> as found) gives back
 * exactly its bytes; the sample parser checks this itself.  What the
 * messages have no field for is reported in lf_parsed: whether the sample
 * began with <|begin_of_text|> and ended with <|end_of_text|>.
 *
 * Official profile: the date of the system block becomes the conversation's
 * date only when it differs from opts->date (default LF_DEFAULT_DATE); the
 * tool definitions ("Environment: ipython", "Tools: ...", the function specs
 * in the system block or the first user message) become tools,
 * builtin_tools and tools_in_user; assistant tool calls
 * ({"name": ..., "parameters": ...} when the sample defines tools or a tool
 * result follows, <|python_tag|>name.call(...) for built-in tools) become
 * tool calls; ipython turns become tool results (JSON values or strings).
 * Meta profile: <|python_tag|> turns become tool calls (name.call(...),
 * {"type": "function", ...}, otherwise code_interpreter with the text as
 * code).  Guide profile: no tools.  A trailing open assistant header is a
 * generation prompt (conv->gen_prompt = 1).
 *
 * Ownership: the conversation and its strings live in the parser until the
 * next lf_parse_sample() on it or lf_sample_parser_free(); the text is only
 * borrowed during the call.  One parser per thread.
 *
 * lf_parse_run() is the --parse command: the contract of lf_convert()
 * (convert.h: error policy, rejects file, statistics, hooks, stop flag,
 * atomic -o, standard output keeping what came before a failure, return
 * codes), reading per input either JSON records with a "text" string (JSONL,
 * an array or a stream: the first non-blank byte is '{' or '[') or raw text
 * (samples one after another, each starting with <|begin_of_text|>;
 * whitespace and NUL bytes after a sample are separators), and writing one
 * messages record per sample (writer.h lf_write_messages, --keep keys
 * first).  A malformed sample is an LF_E_SAMPLE error at its position: in
 * raw text the line and column of the offending byte; in JSON records the
 * line and column of the offending character inside the "text" string.
 */
#ifndef LLAMAFMT_PARSE_H
#define LLAMAFMT_PARSE_H

#include <stddef.h>

#include "llamafmt/convert.h"
#include "llamafmt/error.h"
#include "llamafmt/options.h"
#include "llamafmt/record.h"
#include "llamafmt/template.h"

typedef struct lf_parse_opts {
    lf_profile profile;
    const char *date;       /* official: the date that needs no date_string; NULL: LF_DEFAULT_DATE */
    int raw;                /* cut out of raw text: it must start with <|begin_of_text|>, and
                             * whitespace and NUL bytes after its end are separators */
    int end_of_text;        /* -1: <|end_of_text|> at the end is optional; 1: required; 0: refused */
} lf_parse_opts;

typedef struct lf_parsed {
    const lf_conversation *conv;
    int bos;                /* began with <|begin_of_text|> */
    int end_of_text;        /* ended with <|end_of_text|> */
    size_t len;             /* bytes of the sample, separators after it left out */
} lf_parsed;

typedef struct lf_sample_parser lf_sample_parser;

/* NULL on ENOMEM. */
lf_sample_parser *lf_sample_parser_new(void);
void lf_sample_parser_free(lf_sample_parser *p);

/* Parse text[0..len).  LF_OK with *out filled; LF_E_SAMPLE (or LF_E_UTF8
 * for invalid UTF-8 in raw text) with *at the byte offset of the problem
 * and err's message "sample byte N: ..." (no position set); LF_E_NOMEM. */
lf_code lf_parse_sample(lf_sample_parser *p, const lf_parse_opts *o, const char *text, size_t len, lf_parsed *out,
                        size_t *at, lf_error *err);

/* The --parse run; see above and convert.h. */
lf_code lf_parse_run(const lf_config *cfg, const lf_hooks *hooks, lf_stats *stats, lf_error *err);

#endif
