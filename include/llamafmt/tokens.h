/*
 * tokens.h - a rendered sample as the token ids and labels a trainer reads.
 *
 * lf_sample_tokens() encodes a sample as a tokenizer given the whole sample
 * text would, except that only the template's own special tokens become
 * control tokens: each special segment is its token id, and each maximal run
 * of ordinary segments is encoded as one text (so pre-tokenisation sees
 * exactly the bytes between two special tokens).  Text inside content that
 * spells a special token is ordinary text (tokenizer.h).
 *
 * Labels follow the segments' trainability under a --train-on rule: a token
 * is labelled with its id when any of its bytes is trainable, else
 * LF_IGNORE_INDEX (the rule of Hugging Face's assistant-token masks; a byte
 * pair merged across the end of a header into the content is trainable).
 *
 * The caller owns ids and labels (cleared here, reused between samples) and
 * the tokenizer state (one per thread).
 */
#ifndef LLAMAFMT_TOKENS_H
#define LLAMAFMT_TOKENS_H

#include "llamafmt/error.h"
#include "llamafmt/template.h"
#include "llamafmt/tokenizer.h"

#define LF_IGNORE_INDEX (-100)

/* Check that t has the special tokens every sample needs; LF_OK or
 * LF_E_USAGE naming the missing one. */
lf_code lf_tokens_check(const lf_tokenizer *t, lf_error *err);

/* Encode sample s into ids (and labels, unless NULL).  LF_OK, LF_E_NOMEM, or
 * LF_E_UNSUPPORTED when the tokenizer has no id for a special token the
 * sample uses (<|eom_id|> in a Llama 3.0 tokenizer). */
lf_code lf_sample_tokens(lf_tok_state *st, const lf_tokenizer *t, const lf_sample *s, lf_train_on rule, lf_ids *ids,
                         lf_ids *labels, lf_error *err);

#endif
