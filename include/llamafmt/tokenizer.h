/*
 * tokenizer.h - exact Llama 3 tokenization (byte-level BPE).
 *
 * An lf_tokenizer is loaded once from the file the user downloaded with the
 * model and is then immutable: any number of threads may share it.  Each
 * thread encodes through its own lf_tok_state, which holds scratch memory
 * and a cache of words already encoded.  Nothing here prints or exits.
 *
 * Two file formats are read, told apart by their content:
 *   tokenizer.json   Hugging Face: model.vocab (token -> id), model.merges
 *                    ("a b" strings or [a, b] pairs), model.ignore_merges,
 *                    added_tokens ({"id", "content", "special"}).  Only the
 *                    Llama 3 pipeline is accepted (no normaliser, the Llama 3
 *                    split regex, byte-level pre-tokeniser, BPE model); a
 *                    file that asks for anything else is refused with
 *                    LF_E_USAGE rather than tokenised differently.
 *   tokenizer.model  Meta / tiktoken: one "BASE64TOKEN RANK" per line; ranks
 *                    are ids, merges follow from ranks, and the 256 special
 *                    tokens of Meta's Llama 3.1 list follow the last rank
 *                    (<|begin_of_text|> = 128000 ... <|reserved_special_token_247|>).
 *
 * Encoding (lf_tokenize) treats its input as ordinary text only: text that
 * looks like "<|eot_id|>" is encoded as the characters it is made of, never
 * as the control token.  The template's special tokens are looked up by name
 * with lf_tokenizer_special_id() and emitted by the caller.  Text is split
 * with the Llama 3 pre-tokeniser regex
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *    ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * with Unicode classes as Hugging Face's tokenizers (Oniguruma) reads them
 * (\s is Unicode White_Space), each piece is mapped to bytes and merged by
 * rank; a piece that is itself a token is emitted whole (ignore_merges).
 * The input must be valid UTF-8 (the reader guarantees it for content).
 */
#ifndef LLAMAFMT_TOKENIZER_H
#define LLAMAFMT_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "llamafmt/buf.h"
#include "llamafmt/error.h"

typedef struct lf_tokenizer lf_tokenizer;
typedef struct lf_tok_state lf_tok_state;

/* A growable array of token ids; zero-initialised (LF_IDS_INIT) is empty. */
typedef struct lf_ids {
    int32_t *v;
    size_t n, cap;
} lf_ids;

#define LF_IDS_INIT {NULL, 0, 0}

/* Append one id; 0 or -1 (ENOMEM, ids unchanged). */
int lf_ids_push(lf_ids *ids, int32_t id);
void lf_ids_free(lf_ids *ids);

/* Load a tokenizer.json or tokenizer.model file.  Errors: LF_E_IO (cannot
 * read, with the path in err->file), LF_E_USAGE (not a tokenizer llamafmt can
 * reproduce exactly, with the reason), LF_E_NOMEM. */
lf_code lf_tokenizer_load(const char *path, lf_tokenizer **out, lf_error *err);

/* The same from memory; `name` is used in messages only. */
lf_code lf_tokenizer_load_mem(const char *data, size_t n, const char *name, lf_tokenizer **out, lf_error *err);

void lf_tokenizer_free(lf_tokenizer *t);

/* Number of ids (ordinary and special). */
size_t lf_tokenizer_size(const lf_tokenizer *t);

/* The number of bytes of token id (0 for an id out of range). */
size_t lf_tokenizer_token_len(const lf_tokenizer *t, int32_t id);

/* The id of the special token spelled text[0..n), e.g. "<|eot_id|>", or -1
 * when the tokenizer has no such token. */
int32_t lf_tokenizer_special_id(const lf_tokenizer *t, const char *text, size_t n);

/* Per-thread encoder state; NULL on ENOMEM.  The word cache is bounded. */
lf_tok_state *lf_tok_state_new(const lf_tokenizer *t);
void lf_tok_state_free(lf_tok_state *s);

/* Encode text[0..n) as ordinary text and append the ids to out.
 * LF_OK or LF_E_NOMEM (out then holds a prefix of the ids). */
lf_code lf_tokenize(lf_tok_state *s, const char *text, size_t n, lf_ids *out);

/* Append the bytes of ids[0..n) (special tokens as their text) to out.
 * 0, or -1 on ENOMEM or an id out of range. */
int lf_detokenize(const lf_tokenizer *t, const int32_t *ids, size_t n, lf_buf *out);

#endif
