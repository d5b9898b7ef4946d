/*
 * template.h - render a conversation as one Llama 3.1 sample.
 *
 * Pure: no I/O, no globals; the output goes into a caller-owned lf_sample
 * that is reused from record to record (lf_sample_reset keeps its memory).
 *
 * A sample is its text plus the segments that make it up, in order and
 * without gaps: each segment is either a special token (<|eot_id|>, ...) or
 * ordinary text, and says whether it is trainable (the content of an
 * assistant turn and the terminator that closes it, and <|end_of_text|>).
 * Writers that only need the string use `text`; span, label and tokenizer
 * outputs use the segments.
 *
 * Profiles:
 *   official  the Llama 3.1 Instruct chat template as Hugging Face renders it:
 *             a system block with "Cutting Knowledge Date: December 2023\n"
 *             "Today Date: <date>\n\n" always, "\n\n" after each header,
 *             content trimmed with Python's str.strip() whitespace set, tool
 *             results (ipython) written JSON-quoted.
 *   meta      Meta's llama-models ChatFormat: no implicit system block,
 *             "\n\n" after each header, content verbatim.
 *   guide     the Korean guide's concatenation: no "\n\n" after headers,
 *             content verbatim, <|end_of_text|> after the final turn.
 */
#ifndef LLAMAFMT_TEMPLATE_H
#define LLAMAFMT_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "llamafmt/buf.h"
#include "llamafmt/error.h"
#include "llamafmt/record.h"

typedef enum lf_profile { LF_PROFILE_OFFICIAL, LF_PROFILE_META, LF_PROFILE_GUIDE, LF_PROFILE_COUNT } lf_profile;

#define LF_DEFAULT_DATE "26 Jul 2024"

typedef struct lf_template_opts {
    lf_profile profile;
    const char *date;           /* official "Today Date"; NULL: LF_DEFAULT_DATE */
    int bos;                    /* write <|begin_of_text|> first */
    int end_of_text;            /* <|end_of_text|> after a training sample; -1: default (on) */
    int generation_prompt;      /* end with an open assistant header, drop a final assistant turn */
} lf_template_opts;

typedef struct lf_segment {
    size_t off, len;            /* byte range in the sample text */
    uint8_t special;            /* 1: one special token */
    uint8_t train;              /* 1: trainable under the default (assistant) rule */
    uint8_t role;               /* lf_role of the turn it belongs to */
    uint32_t turn;              /* 0: BOS and what precedes the first header; then one per header */
} lf_segment;

typedef struct lf_sample {
    lf_buf text;
    lf_segment *segs;
    size_t nsegs, cap;
    int prompt;                 /* 1 when rendered as a generation prompt */
    size_t final_body;          /* offset of the final assistant turn's body (after its
                                 * header); SIZE_MAX for prompts */
    uint32_t final_turn;        /* that turn's number (lf_segment.turn) */
} lf_sample;

/* Which bytes a trainer should learn from (--train-on). */
typedef enum lf_train_on {
    LF_TRAIN_ASSISTANT,         /* every assistant turn's body and terminator, <|end_of_text|> */
    LF_TRAIN_LAST,              /* only the final assistant turn (and <|end_of_text|>) */
    LF_TRAIN_ALL,               /* everything but <|begin_of_text|> */
    LF_TRAIN_COUNT
} lf_train_on;

/* Is segment g of sample s trainable under rule? */
int lf_segment_trainable(const lf_sample *s, const lf_segment *g, lf_train_on rule);

const char *lf_train_on_name(lf_train_on t);
int lf_train_on_parse(const char *name, lf_train_on *t);

void lf_sample_reset(lf_sample *s);
void lf_sample_free(lf_sample *s);

/* Render conv.  On a data error (a training sample that does not end with
 * an assistant turn) returns its code with err's message set and *bad the
 * index of the message concerned (the caller adds the position); on ENOMEM
 * returns LF_E_NOMEM. */
lf_code lf_render(const lf_template_opts *o, const lf_conversation *conv, lf_sample *out, size_t *bad,
                  lf_error *err);

/* Python str.strip() on UTF-8 text: the trimmed range of s[0..n). */
void lf_trim(const char *s, size_t n, size_t *start, size_t *len);

const char *lf_profile_name(lf_profile p);
int lf_profile_parse(const char *name, lf_profile *p);

#endif
