/*
 * tok_internal.h - private parts of the tokenizer (tokenizer.h), shared by
 * tokenizer.c (tables, encoding, decoding), tok_load.c (the two file
 * formats) and tok_pretok.c (the Llama 3 split regex), and used by
 * tests/check_tokenizer.c.  Not installed, not part of the library's API.
 *
 * Ids are dense: 0 .. n_vocab-1 are the ordinary (byte-level BPE) tokens,
 * n_vocab .. n_total-1 the special tokens.  Every token's bytes live in one
 * arena (`bytes`): the raw bytes of an ordinary token (not its GPT-2
 * "byte-to-unicode" spelling), the text of a special token.  All tables are
 * filled while loading and never change afterwards; an lf_tokenizer holds
 * no mutable state, so any number of threads may read it.
 */
#ifndef LLAMAFMT_TOK_INTERNAL_H
#define LLAMAFMT_TOK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "llamafmt/tokenizer.h"

typedef enum lf_tok_format {
    LF_TOK_HF_JSON,     /* tokenizer.json: merges ranked by their position in model.merges */
    LF_TOK_TIKTOKEN     /* tokenizer.model: a pair merges into the token of its bytes, ranked by that id */
} lf_tok_format;

/* Where the bytes of one token are in the arena. */
typedef struct lf_tok_span {
    uint32_t off, len;
} lf_tok_span;

/* Open-addressing slot of the byte-string tables (vocabulary, specials).
 * `tag` is 24 bits of the string's hash and its length (capped at 255) in
 * the low byte, `head` its first 8 bytes zero-padded: a string of up to 8
 * bytes is compared without touching the arena.  id < 0 marks an empty
 * slot. */
typedef struct lf_tok_slot {
    uint32_t tag;
    int32_t id;
    uint64_t head;
} lf_tok_slot;

/* The tag and head of p[0..n) with hash h. */
static inline uint32_t lf_tok_tag(uint64_t h, size_t n)
{
    return (uint32_t)(h >> 40) << 8 | (uint32_t)(n < 255 ? n : 255);
}

static inline uint64_t lf_tok_head(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    if (n >= 8)
        memcpy(&v, p, 8);
    else
        memcpy(&v, p, n);
    return v;
}

/* The merge table (tokenizer.json only) is open addressing over 64-bit
 * slots: left id (21 bits) | right id (21 bits) | rank (22 bits); an empty
 * slot is all ones.  The token a merge makes is merged[rank]. */
#define LF_TOK_PAIR_ID_BITS 21
#define LF_TOK_PAIR_RANK_BITS 22
#define LF_TOK_PAIR_EMPTY UINT64_MAX
#define LF_TOK_MAX_IDS ((UINT32_C(1) << LF_TOK_PAIR_ID_BITS) - 1)      /* ids and merges llamafmt can hold */
#define LF_TOK_MAX_MERGES ((UINT32_C(1) << LF_TOK_PAIR_RANK_BITS) - 1)

struct lf_tokenizer {
    lf_tok_format format;
    int ignore_merges;          /* a piece that is itself a token is emitted whole */
    uint32_t n_vocab;           /* ordinary tokens: ids 0 .. n_vocab-1 */
    uint32_t n_total;           /* plus the special tokens */
    lf_tok_span *span;          /* [n_total] */
    unsigned char *bytes;       /* the arena */
    int32_t byte_id[256];       /* the token of each single byte */
    lf_tok_slot *vocab;         /* ordinary tokens by bytes, [vmask + 1] */
    uint32_t vmask;
    lf_tok_slot *special;       /* special tokens by text, [smask + 1] */
    uint32_t smask;
    uint64_t *pairs;            /* merges (tokenizer.json), [pmask + 1]; NULL for tiktoken */
    uint32_t pmask;
    int32_t *merged;            /* [number of merges]: the token each merge makes */
};

/* Hash of a byte string (not cryptographic; used by every table and the
 * encoder's cache, so a piece is hashed once). */
uint64_t lf_tok_hash(const void *p, size_t n);

/* The token of table tab[mask + 1] whose bytes are p[0..n), or -1;
 * h = lf_tok_hash(p, n). */
static inline int32_t lf_tok_table_find(const lf_tokenizer *t, const lf_tok_slot *tab, uint32_t mask,
                                        const unsigned char *p, size_t n, uint64_t h)
{
    uint32_t tag = lf_tok_tag(h, n);
    uint64_t head = lf_tok_head(p, n);
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        const lf_tok_slot *s = &tab[i];
        if (s->id < 0)
            return -1;
        if (s->tag == tag && s->head == head &&
            (n <= 8 || (t->span[s->id].len == n && memcmp(t->bytes + t->span[s->id].off + 8, p + 8, n - 8) == 0)))
            return s->id;
    }
}

/* The ordinary token whose bytes are p[0..n), or -1; h = lf_tok_hash(p, n). */
static inline int32_t lf_tok_vocab_find(const lf_tokenizer *t, const unsigned char *p, size_t n, uint64_t h)
{
    return lf_tok_table_find(t, t->vocab, t->vmask, p, n, h);
}

static inline uint64_t lf_tok_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= UINT64_C(0xFF51AFD7ED558CCD);
    h ^= h >> 33;
    h *= UINT64_C(0xC4CEB9FE1A85EC53);
    h ^= h >> 33;
    return h;
}

/* The merge table's key of a pair and its hash. */
static inline uint64_t lf_tok_pair_key(int32_t left, int32_t right)
{
    return (uint64_t)(uint32_t)left << LF_TOK_PAIR_ID_BITS | (uint32_t)right;
}

static inline uint64_t lf_tok_pair_hash(int32_t left, int32_t right)
{
    return lf_tok_mix64(lf_tok_pair_key(left, right));
}

/* ---- building (tok_load.c fills a tokenizer through these) ---- */

/* Smallest power of two >= 1.5 * n (at least 16): the size of a table for n keys. */
uint32_t lf_tok_table_size(size_t n);

/* Insert ordinary token `id` (its span already set, h the hash of its
 * bytes) into the vocabulary table; returns the id of an earlier token with
 * the same bytes, or -1. */
int32_t lf_tok_vocab_insert(lf_tokenizer *t, int32_t id, uint64_t h);

/* Insert special token `id` (its span already set); returns the id of an
 * earlier special token with the same text, or -1. */
int32_t lf_tok_special_insert(lf_tokenizer *t, int32_t id);

/* Record that (left, right) merges with `rank` (t->merged[rank] is set by
 * the caller; ids <= LF_TOK_MAX_IDS, rank <= LF_TOK_MAX_MERGES).  A pair
 * that is already there takes the new rank (the last duplicate in
 * model.merges wins, as in Hugging Face's tokenizers). */
void lf_tok_pair_insert(lf_tokenizer *t, int32_t left, int32_t right, int32_t rank);

/* The two loaders (tok_load.c).  On success *out is a complete tokenizer;
 * on failure err is set (position: `name`, and a line and column when the
 * file has them) and nothing is allocated. */
lf_code lf_tok_load_json(const char *data, size_t n, const char *name, lf_tokenizer **out, lf_error *err);
lf_code lf_tok_load_tiktoken(const char *data, size_t n, const char *name, lf_tokenizer **out, lf_error *err);

/* ---- the pre-tokenizer (tok_pretok.c) ---- */

/* The end of the piece of the Llama 3 split regex that starts at text[i]
 * (i < n): the regex's leftmost-first match at i, which always exists and
 * is never empty, so the pieces of a text are text[0..e1), text[e1..e2),
 * ... up to n.  Bytes that are not valid UTF-8 count as one character each,
 * of no class (neither letter, number nor space). */
size_t lf_pretok_next(const char *text, size_t n, size_t i);

/* ---- for tests ---- */

/* An encoder state whose word cache has `slots` entries (a power of two,
 * at least 1); lf_tok_state_new() uses LF_TOK_CACHE_SLOTS. */
#define LF_TOK_CACHE_SLOTS 4096
lf_tok_state *lf_tok_state_new_sized(const lf_tokenizer *t, size_t slots);

/* Counters of the word cache since the state was made (for tests). */
typedef struct lf_tok_cache_stats {
    uint64_t hits, misses, evictions;
} lf_tok_cache_stats;
lf_tok_cache_stats lf_tok_state_stats(const lf_tok_state *s);

#endif
