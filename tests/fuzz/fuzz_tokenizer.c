/*
 * fuzz_tokenizer.c - the tokenizer: lf_tokenizer_load_mem on arbitrary
 * bytes, and lf_tokenize / lf_detokenize / lf_pretok_next on arbitrary text
 * with tokenizers built from the input in both file formats.
 *
 * Input layout:
 *   byte 0   selector:
 *              bits 0-1  mode: 0  the rest is a tokenizer file, loaded as it is;
 *                              1  a tokenizer.model (tiktoken) built from the input;
 *                              2  a tokenizer.json built from the input;
 *                              3  a file of mode 1 or 2 (bit 7: json) with four
 *                                 bytes overwritten (see below)
 *              bits 2-3  ids of a built file: 0 bytes first, in byte order, then
 *                        the merged tokens as made; 1 the bytes permuted; 2 all
 *                        reversed; 3 all scattered (i * k mod N)
 *              bit 4     tokenizer.json: ignore_merges false
 *              bit 5     tokenizer.json: merges as ["a", "b"] and non-ASCII
 *                        spelled as \u escapes; tokenizer.model: CRLF, tabs and
 *                        blank lines
 *              bit 6     tokenizer.json: every third merge left out (tokens no
 *                        merge makes)
 *              bit 7     modes 1-2: the merges (json) / lines (model) in reverse;
 *                        mode 3: json
 *   modes 1-3:
 *   byte 1   bits 0-5: K, merges to learn from the text (most frequent pair
 *            first, as BPE training does); bits 6-7: the added (special)
 *            tokens of a tokenizer.json: none; 5 template ones; the 8 named
 *            ones; those plus "hello" and " " (specials spelled like text)
 *   byte 2   L; the next L bytes are merge entries, two bytes each: the left
 *            and right token (a byte < 0xC0 is that single byte, else one of
 *            the merged tokens made so far)
 *   mode 3:  then 4 x (offset low, offset high, value): file bytes replaced
 *   rest     the text to encode (invalid UTF-8 replaced by U+FFFD, as
 *            lf_tokenize requires valid UTF-8); modes 0 and 3 also encode a
 *            fixed multilingual text.
 *
 * Invariants (tokenizer.h, tok_internal.h):
 *   - loading returns LF_OK, or LF_E_USAGE / LF_E_NOMEM (NOMEM is a failure
 *     here: inputs are small) with *out NULL and a one-line message naming
 *     the file; a built file always loads;
 *   - a built file loads as written: its size, every token's bytes
 *     (lf_detokenize, lf_tokenizer_token_len), the special ids
 *     (lf_tokenizer_special_id: the added tokens of a tokenizer.json, Meta's
 *     256 Llama 3.1 names after the last rank of a tokenizer.model); ids out
 *     of range decode to an error;
 *   - the pieces of lf_pretok_next cover the text in order, each non-empty
 *     (also for invalid UTF-8); for valid UTF-8 they are the leftmost-first
 *     matches of the Llama 3 split regex, matched here by a literal
 *     backtracking reading of each alternative (skipped when the text holds
 *     a code point utf8proc calls unassigned, which src/ classifies by its
 *     own table);
 *   - lf_tokenize succeeds; its ids detokenize to exactly the text; every id
 *     is < lf_tokenizer_size and ordinary (never a special id);
 *   - a fresh state (cold cache), the same state again (warm cache) and a
 *     state with a 1- or 2-slot cache that encoded other text first give the
 *     same ids; encoding the pieces one by one (through that small cache)
 *     gives the same ids as the whole text, and each piece's ids spell it;
 *   - each piece's ids are those of a plain quadratic BPE written here from
 *     the definition (a piece that is a token is that token when
 *     ignore_merges; otherwise merge the lowest-ranked pair, leftmost among
 *     equals; tokenizer.json ranks are positions in model.merges, the last
 *     duplicate winning; a tokenizer.model pair's rank is the id of the token
 *     it spells), for built files and for any tokenizer.model that loads.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "fuzz_common.h"
#include "llamafmt/buf.h"
#include "llamafmt/error.h"
#include "llamafmt/tokenizer.h"

#include "../../src/tok_internal.h" /* lf_pretok_next, lf_tok_state_new_sized */

static const char NAME[] = "<fuzz-tokenizer>";

/* The Llama 3 split regex, as tokenizer.json holds it (JSON-unescaped). */
static const char LLAMA3_REGEX[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/* Meta's Llama 3.1 special tokens in id order (128000 ...): 11 named or
 * reserved ones, then <|reserved_special_token_3|> ... _247|>. */
static const char *const META_FIRST[11] = {
    "<|begin_of_text|>", "<|end_of_text|>",   "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
    "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
    "<|eom_id|>",        "<|eot_id|>",        "<|python_tag|>",
};

static int meta_name(int k, char *buf, size_t size)
{
    if (k < 11)
        return snprintf(buf, size, "%s", META_FIRST[k]);
    return snprintf(buf, size, "<|reserved_special_token_%d|>", k - 11 + 3);
}

/* Added tokens of a built tokenizer.json, by variant (byte 1, bits 6-7). */
static const char *const ADDED_TEMPLATE[] = {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                                             "<|end_header_id|>", "<|eot_id|>"};
static const char *const ADDED_NAMED[] = {"<|begin_of_text|>", "<|end_of_text|>", "<|finetune_right_pad_id|>",
                                          "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>",
                                          "<|eot_id|>", "<|python_tag|>"};
static const char *const ADDED_ODD[] = {"<|begin_of_text|>", "<|end_of_text|>", "<|finetune_right_pad_id|>",
                                        "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>",
                                        "<|eot_id|>", "<|python_tag|>", "hello", " "};

/* Encoded with every tokenizer of modes 0 and 3 (and first, into the small
 * caches): letters, numbers, contractions (also U+017F), space runs, CRLF,
 * Korean, CJK, an emoji, NBSP, U+2028, and special-token text. */
static const char FIXED_TEXT[] =
    "Hello, world! It's 2024: 1234567 items; they'LL say 'RE \xC5\xBF 'x.\n\n"
    "   indented\tcode(x) { return a+b; }\r\n\r\n"
    "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4 \xED\x85\x8D\xEC\x8A\xA4\xED\x8A\xB8 \xE4\xB8\xAD\xE6\x96\x87 "
    "\xF0\x9F\x99\x82\xC2\xA0x\xE2\x80\xA8y  \n <|eot_id|>  end   ";

/* ------------------------------------------------------------------------ */
/* Small tables of byte strings                                             */
/* ------------------------------------------------------------------------ */

static uint64_t fz_hash(const unsigned char *p, size_t n)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * UINT64_C(1099511628211);
    return h ^ (h >> 29);
}

/* Byte strings numbered 0.. in order of addition, found by their bytes. */
typedef struct btab {
    size_t n, cap;
    size_t *off, *len;
    lf_buf data;
    int32_t *slot;          /* entry number, -1 empty */
    size_t mask;
} btab;

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        abort();
    return q;
}

static void btab_free(btab *b)
{
    free(b->off);
    free(b->len);
    free(b->slot);
    lf_buf_free(&b->data);
    memset(b, 0, sizeof *b);
}

static const unsigned char *btab_bytes(const btab *b, size_t i)
{
    return (const unsigned char *)b->data.data + b->off[i];
}

static int32_t btab_find(const btab *b, const unsigned char *p, size_t n)
{
    if (b->slot == NULL)
        return -1;
    for (size_t i = (size_t)fz_hash(p, n) & b->mask;; i = (i + 1) & b->mask) {
        int32_t e = b->slot[i];
        if (e < 0)
            return -1;
        if (b->len[e] == n && memcmp(btab_bytes(b, (size_t)e), p, n) == 0)
            return e;
    }
}

static void btab_rehash(btab *b, size_t size)
{
    free(b->slot);
    b->slot = xrealloc(NULL, size * sizeof *b->slot);
    for (size_t i = 0; i < size; i++)
        b->slot[i] = -1;
    b->mask = size - 1;
    for (size_t e = 0; e < b->n; e++) {
        size_t i = (size_t)fz_hash(btab_bytes(b, e), b->len[e]) & b->mask;
        while (b->slot[i] >= 0)
            i = (i + 1) & b->mask;
        b->slot[i] = (int32_t)e;
    }
}

/* Add p[0..n) (duplicates allowed: a lookup finds the first); its number. */
static int32_t btab_add(btab *b, const unsigned char *p, size_t n)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 512;
        b->off = xrealloc(b->off, b->cap * sizeof *b->off);
        b->len = xrealloc(b->len, b->cap * sizeof *b->len);
    }
    b->off[b->n] = b->data.len;
    b->len[b->n] = n;
    if (lf_buf_append(&b->data, p, n) != 0)
        abort();
    b->n++;
    if (b->slot == NULL || 2 * b->n > b->mask + 1) {
        size_t size = 1024;
        while (size < 4 * b->n)
            size *= 2;
        btab_rehash(b, size);
    } else if (btab_find(b, p, n) < 0) {
        size_t i = (size_t)fz_hash(p, n) & b->mask;
        while (b->slot[i] >= 0)
            i = (i + 1) & b->mask;
        b->slot[i] = (int32_t)(b->n - 1);
    }
    return (int32_t)(b->n - 1);
}

/* ------------------------------------------------------------------------ */
/* The reference encoder                                                    */
/* ------------------------------------------------------------------------ */

/* Merges of a tokenizer.json: (left id, right id) -> rank and result. */
typedef struct pmap {
    uint64_t *key;          /* left << 32 | right, UINT64_MAX empty */
    int32_t *rank, *result;
    size_t mask;
} pmap;

static uint64_t pkey(int32_t l, int32_t r)
{
    return (uint64_t)(uint32_t)l << 32 | (uint32_t)r;
}

static size_t pmap_slot(const pmap *m, uint64_t k)
{
    size_t i = (size_t)((k * UINT64_C(0x9E3779B97F4A7C15)) >> 20) & m->mask;
    while (m->key[i] != UINT64_MAX && m->key[i] != k)
        i = (i + 1) & m->mask;
    return i;
}

typedef struct ref {
    btab tok;               /* ordinary tokens: entry number = id */
    int32_t byte_id[256];
    int tiktoken;           /* rank of a pair = id of the token it spells */
    int ignore_merges;
    pmap merges;            /* tokenizer.json */
} ref;

static void ref_free(ref *r)
{
    btab_free(&r->tok);
    free(r->merges.key);
    free(r->merges.rank);
    free(r->merges.result);
    memset(r, 0, sizeof *r);
}

/* The rank of merging symbols a and b (ids, bytes p[0..la+lb)), or -1, and
 * the id they make. */
static int32_t ref_rank(const ref *r, int32_t a, int32_t b, const unsigned char *p, size_t n, int32_t *made)
{
    if (r->tiktoken) {
        int32_t id = btab_find(&r->tok, p, n);
        *made = id;
        return id;
    }
    size_t i = pmap_slot(&r->merges, pkey(a, b));
    if (r->merges.key[i] == UINT64_MAX)
        return -1;
    *made = r->merges.result[i];
    return r->merges.rank[i];
}

/* Encode one piece p[0..m) from the definition; appends to out. */
static void ref_encode(const ref *r, const unsigned char *p, size_t m, lf_ids *out)
{
    if (r->ignore_merges) {
        int32_t id = btab_find(&r->tok, p, m);
        if (id >= 0) {
            if (lf_ids_push(out, id) != 0)
                abort();
            return;
        }
    }
    int32_t *id = xrealloc(NULL, m * sizeof *id), *rank = xrealloc(NULL, m * sizeof *rank),
            *made = xrealloc(NULL, m * sizeof *made);
    size_t *off = xrealloc(NULL, m * sizeof *off), *len = xrealloc(NULL, m * sizeof *len);
    size_t c = m;
    for (size_t k = 0; k < m; k++) {
        id[k] = r->byte_id[p[k]];
        off[k] = k;
        len[k] = 1;
    }
    for (size_t k = 0; k + 1 < c; k++)
        rank[k] = ref_rank(r, id[k], id[k + 1], p + off[k], len[k] + len[k + 1], &made[k]);
    for (;;) {
        size_t best = SIZE_MAX;
        for (size_t k = 0; k + 1 < c; k++)
            if (rank[k] >= 0 && (best == SIZE_MAX || rank[k] < rank[best]))
                best = k;
        if (best == SIZE_MAX)
            break;
        FUZZ_CHECK(made[best] >= 0, "reference: merge of rank %d makes no token", rank[best]);
        id[best] = made[best];
        len[best] += len[best + 1];
        size_t rest = c - best - 2;
        memmove(id + best + 1, id + best + 2, rest * sizeof *id);
        memmove(off + best + 1, off + best + 2, rest * sizeof *off);
        memmove(len + best + 1, len + best + 2, rest * sizeof *len);
        if (rest > 0) {             /* the pair after the merged one is gone */
            memmove(rank + best + 1, rank + best + 2, (rest - 1) * sizeof *rank);
            memmove(made + best + 1, made + best + 2, (rest - 1) * sizeof *made);
        }
        c--;
        if (best > 0)
            rank[best - 1] = ref_rank(r, id[best - 1], id[best], p + off[best - 1], len[best - 1] + len[best],
                                      &made[best - 1]);
        if (best + 1 < c)
            rank[best] = ref_rank(r, id[best], id[best + 1], p + off[best], len[best] + len[best + 1], &made[best]);
    }
    for (size_t k = 0; k < c; k++)
        if (lf_ids_push(out, id[k]) != 0)
            abort();
    free(id);
    free(rank);
    free(made);
    free(off);
    free(len);
}

/* ------------------------------------------------------------------------ */
/* The Llama 3 split regex, read literally                                  */
/* ------------------------------------------------------------------------ */

enum { K_L = 1, K_N = 2, K_S = 4 };

/* Unicode White_Space (PropList.txt). */
static int white_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* \p{L}, \p{N}, \s of a code point; *unknown set for unassigned ones. */
static unsigned cp_class(uint32_t c, int *unknown)
{
    if (white_space(c))
        return K_S;
    if (c < 0x80) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            return K_L;
        return (c >= '0' && c <= '9') ? K_N : 0;
    }
    switch (utf8proc_category((utf8proc_int32_t)c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        return K_L;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return K_N;
    case UTF8PROC_CATEGORY_CN:
        *unknown = 1;
        return 0;
    default:
        return 0;
    }
}

/* Simple case folding onto the letters of the contractions. */
static uint32_t fold(uint32_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    return c == 0x17F ? 's' : c;    /* LATIN SMALL LETTER LONG S */
}

static int is_nl(uint32_t c) { return c == '\r' || c == '\n'; }

/* The end (a code point index) of the regex's match at i of cp[0..m). */
static size_t regex_at(const uint32_t *cp, const unsigned char *k, size_t m, size_t i)
{
    size_t j, w;
    /* (?i:'s|'t|'re|'ve|'m|'ll|'d) */
    if (cp[i] == '\'' && i + 1 < m) {
        uint32_t a = fold(cp[i + 1]), b = i + 2 < m ? fold(cp[i + 2]) : 0;
        static const char *const alts[] = {"s", "t", "re", "ve", "m", "ll", "d"};
        for (size_t x = 0; x < sizeof alts / sizeof alts[0]; x++) {
            const char *s = alts[x];
            if (a == (uint32_t)s[0] && (s[1] == '\0' || b == (uint32_t)s[1]))
                return i + 1 + strlen(s);
        }
    }
    /* [^\r\n\p{L}\p{N}]?\p{L}+ : greedy ?, then at least one letter */
    for (int take = 1; take >= 0; take--) {
        j = i;
        if (take) {
            if (is_nl(cp[i]) || (k[i] & (K_L | K_N)))
                continue;
            j++;
        }
        size_t e = j;
        while (e < m && (k[e] & K_L))
            e++;
        if (e > j)
            return e;
    }
    /* \p{N}{1,3} */
    for (j = i; j < m && j < i + 3 && (k[j] & K_N); j++) {}
    if (j > i)
        return j;
    /*  ?[^\s\p{L}\p{N}]+[\r\n]* */
    for (int take = 1; take >= 0; take--) {
        j = i;
        if (take) {
            if (cp[i] != ' ')
                continue;
            j++;
        }
        size_t e = j;
        while (e < m && !(k[e] & (K_S | K_L | K_N)))
            e++;
        if (e == j)
            continue;
        while (e < m && is_nl(cp[e]))
            e++;
        return e;
    }
    for (w = i; w < m && (k[w] & K_S); w++) {}
    /* \s*[\r\n]+ : \s* gives back one character at a time */
    for (j = w + 1; j-- > i;)
        if (j < m && is_nl(cp[j])) {
            size_t e = j;
            while (e < m && is_nl(cp[e]))
                e++;
            return e;
        }
    /* \s+(?!\S) */
    for (j = w; j > i; j--)
        if (j == m || (k[j] & K_S))
            return j;
    /* \s+ */
    if (w > i)
        return w;
    return SIZE_MAX;
}

/* Decode valid UTF-8 t[0..n): code points, their classes and byte offsets
 * (offs[m] = n); 0 when a code point is unassigned. */
static int decode(const unsigned char *t, size_t n, uint32_t *cp, unsigned char *k, size_t *offs, size_t *m)
{
    int unknown = 0;
    size_t c = 0;
    for (size_t i = 0; i < n;) {
        uint32_t v;
        size_t l;
        if (t[i] < 0x80) {
            v = t[i];
            l = 1;
        } else if (t[i] < 0xE0) {
            v = t[i] & 0x1Fu;
            l = 2;
        } else if (t[i] < 0xF0) {
            v = t[i] & 0x0Fu;
            l = 3;
        } else {
            v = t[i] & 0x07u;
            l = 4;
        }
        for (size_t j = 1; j < l; j++)
            v = v << 6 | (t[i + j] & 0x3Fu);
        cp[c] = v;
        k[c] = (unsigned char)cp_class(v, &unknown);
        offs[c++] = i;
        i += l;
    }
    offs[c] = n;
    *m = c;
    return !unknown;
}

/* ------------------------------------------------------------------------ */
/* Checks of a loaded tokenizer                                             */
/* ------------------------------------------------------------------------ */

static void ids_equal(const lf_ids *a, const lf_ids *b, const char *what)
{
    size_t k = 0;
    while (k < a->n && k < b->n && a->v[k] == b->v[k])
        k++;
    FUZZ_CHECK(a->n == b->n && k == a->n, "%s: %zu ids vs %zu, first difference at id %zu (%d vs %d)", what, a->n,
               b->n, k, k < a->n ? a->v[k] : -1, k < b->n ? b->v[k] : -1);
}

/* The bytes of one id, through the public API. */
static void token_bytes(const lf_tokenizer *t, int32_t id, lf_buf *b)
{
    b->len = 0;
    FUZZ_CHECK(lf_detokenize(t, &id, 1, b) == 0, "id %d (of %zu) does not detokenize", id, lf_tokenizer_size(t));
    FUZZ_CHECK(b->len == lf_tokenizer_token_len(t, id), "id %d: %zu bytes, token_len says %zu", id, b->len,
               lf_tokenizer_token_len(t, id));
}

/* Special ids: id is special when the special token spelled like it is it. */
static int is_special(const lf_tokenizer *t, int32_t id, lf_buf *tmp)
{
    token_bytes(t, id, tmp);
    return lf_tokenizer_special_id(t, tmp->data, tmp->len) == id;
}

/* Things every loaded tokenizer satisfies. */
static void check_tables(const lf_tokenizer *t)
{
    size_t size = lf_tokenizer_size(t);
    FUZZ_CHECK(size >= 256, "a tokenizer of %zu ids cannot hold the 256 bytes", size);
    lf_buf b = LF_BUF_INIT;
    int32_t bad[2] = {-1, (int32_t)size};
    for (int i = 0; i < 2; i++) {
        FUZZ_CHECK(lf_tokenizer_token_len(t, bad[i]) == 0, "token_len of id %d is not 0", bad[i]);
        FUZZ_CHECK(lf_detokenize(t, &bad[i], 1, &b) == -1 && b.len == 0, "id %d out of range decoded", bad[i]);
    }
    for (int k = 0; k < 256; k++) {
        char name[48];
        int len = meta_name(k, name, sizeof name);
        int32_t id = lf_tokenizer_special_id(t, name, (size_t)len);
        if (id < 0)
            continue;
        FUZZ_CHECK((size_t)id < size, "special %s has id %d of %zu", name, id, size);
        token_bytes(t, id, &b);
        FUZZ_CHECK(b.len == (size_t)len && memcmp(b.data, name, b.len) == 0, "special id %d of %s spells \"%.*s\"",
                   id, name, (int)b.len, b.data);
    }
    FUZZ_CHECK(lf_tokenizer_special_id(t, "", 0) < 0, "a special token spelled \"\"");
    lf_buf_free(&b);
}

/* A tokenizer.model that loaded: ids size-256.. are Meta's names in order;
 * returns its vocabulary as a reference (tiktoken: merges follow from it). */
static void tiktoken_ref(const lf_tokenizer *t, ref *r)
{
    size_t size = lf_tokenizer_size(t), nv = size - 256;
    FUZZ_CHECK(size > 256, "tokenizer.model of %zu ids", size);
    for (int k = 0; k < 256; k++) {
        char name[48];
        int len = meta_name(k, name, sizeof name);
        FUZZ_CHECK(lf_tokenizer_special_id(t, name, (size_t)len) == (int32_t)(nv + (size_t)k),
                   "tokenizer.model: %s is id %d, not %zu", name, lf_tokenizer_special_id(t, name, (size_t)len),
                   nv + (size_t)k);
    }
    memset(r, 0, sizeof *r);
    r->tiktoken = 1;
    r->ignore_merges = 1;
    lf_buf b = LF_BUF_INIT;
    for (size_t id = 0; id < nv; id++) {
        token_bytes(t, (int32_t)id, &b);
        FUZZ_CHECK(b.len > 0, "tokenizer.model: id %zu is empty", id);
        FUZZ_CHECK(btab_find(&r->tok, (const unsigned char *)b.data, b.len) < 0, "tokenizer.model: id %zu twice", id);
        btab_add(&r->tok, (const unsigned char *)b.data, b.len);
    }
    for (int c = 0; c < 256; c++) {
        unsigned char u = (unsigned char)c;
        r->byte_id[c] = btab_find(&r->tok, &u, 1);
        FUZZ_CHECK(r->byte_id[c] >= 0, "tokenizer.model without the byte 0x%02x was loaded", c);
    }
    lf_buf_free(&b);
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                 */
/* ------------------------------------------------------------------------ */

static void tokenize(lf_tok_state *s, const char *text, size_t n, lf_ids *out)
{
    lf_code rc = lf_tokenize(s, text, n, out);
    FUZZ_CHECK(rc == LF_OK, "lf_tokenize returned %d on %zu bytes", (int)rc, n);
}

/* The pieces of t[0..n) by lf_pretok_next; checked to cover it.  Returns
 * how many (ends in *ends, room for n). */
static size_t pieces(const char *t, size_t n, size_t *ends)
{
    size_t i = 0, k = 0;
    while (i < n) {
        size_t e = lf_pretok_next(t, n, i);
        FUZZ_CHECK(e > i && e <= n, "piece at byte %zu of %zu ends at %zu", i, n, e);
        ends[k++] = e;
        i = e;
    }
    return k;
}

/* Every invariant of encoding valid UTF-8 text[0..n) with t. */
static void check_encode(const lf_tokenizer *t, const ref *r, const char *text, size_t n)
{
    size_t size = lf_tokenizer_size(t);
    size_t *ends = xrealloc(NULL, (n + 1) * sizeof *ends);
    size_t np = pieces(text, n, ends);

    /* the pieces are the regex's matches */
    uint32_t *cp = xrealloc(NULL, (n + 1) * sizeof *cp);
    unsigned char *cls = xrealloc(NULL, n + 1);
    size_t *offs = xrealloc(NULL, (n + 1) * sizeof *offs), m = 0;
    if (decode((const unsigned char *)text, n, cp, cls, offs, &m)) {
        size_t c = 0;
        for (size_t p = 0; p < np; p++) {
            size_t e = regex_at(cp, cls, m, c);
            FUZZ_CHECK(e != SIZE_MAX && e > c && e <= m, "the regex matches nothing at code point %zu", c);
            size_t start = p ? ends[p - 1] : 0;
            FUZZ_CHECK(offs[e] == ends[p], "piece %zu at byte %zu: lf_pretok_next ends at %zu, the regex at %zu "
                                           "(\"%.*s\")", p, start, ends[p], offs[e],
                       (int)((offs[e] > ends[p] ? offs[e] : ends[p]) - start), text + start);
            c = e;
        }
    }
    free(cp);
    free(cls);
    free(offs);

    /* whole text, cold cache */
    lf_tok_state *s1 = lf_tok_state_new(t);
    if (s1 == NULL)
        abort();
    lf_ids ids = LF_IDS_INIT, again = LF_IDS_INIT;
    tokenize(s1, text, n, &ids);
    lf_buf b = LF_BUF_INIT, tmp = LF_BUF_INIT;
    for (size_t i = 0; i < ids.n; i++) {
        FUZZ_CHECK(ids.v[i] >= 0 && (size_t)ids.v[i] < size, "id %d of %zu out of range", ids.v[i], size);
        FUZZ_CHECK(!is_special(t, ids.v[i], &tmp), "text encoded as special id %d (\"%.*s\")", ids.v[i],
                   (int)tmp.len, tmp.data);
    }
    FUZZ_CHECK(lf_detokenize(t, ids.v, ids.n, &b) == 0, "the ids do not detokenize");
    FUZZ_CHECK(b.len == n && (n == 0 || memcmp(b.data, text, n) == 0),
               "the %zu ids detokenize to %zu bytes, not the %zu of the text", ids.n, b.len, n);

    /* warm cache */
    tokenize(s1, text, n, &again);
    ids_equal(&ids, &again, "warm cache");

    /* a 1- or 2-slot cache that encoded other text first: evictions */
    lf_tok_state *s2 = lf_tok_state_new_sized(t, 1 + (n & 1));
    if (s2 == NULL)
        abort();
    again.n = 0;
    tokenize(s2, FIXED_TEXT, sizeof FIXED_TEXT - 1, &again);
    again.n = 0;
    tokenize(s2, text, n, &again);
    ids_equal(&ids, &again, "tiny cache");

    /* piece by piece (through the tiny cache: mostly misses), each against
     * the reference */
    again.n = 0;
    lf_ids want = LF_IDS_INIT;
    size_t start = 0, ref_budget = 1 << 22;
    for (size_t p = 0; p < np; p++) {
        size_t first = again.n, len = ends[p] - start;
        tokenize(s2, text + start, len, &again);
        b.len = 0;
        FUZZ_CHECK(again.n > first && lf_detokenize(t, again.v + first, again.n - first, &b) == 0 && b.len == len &&
                       memcmp(b.data, text + start, len) == 0,
                   "piece %zu (bytes %zu..%zu) does not encode to itself", p, start, ends[p]);
        if (r != NULL && len <= 2048 && len * len <= ref_budget) {
            ref_budget -= len * len;
            want.n = 0;
            ref_encode(r, (const unsigned char *)text + start, len, &want);
            lf_ids got = {again.v + first, again.n - first, again.n - first};
            char what[96];
            snprintf(what, sizeof what, "piece %zu (bytes %zu..%zu) against the reference BPE", p, start, ends[p]);
            ids_equal(&want, &got, what);
        }
        start = ends[p];
    }
    ids_equal(&ids, &again, "pieces one by one");

    lf_tok_state_free(s1);
    lf_tok_state_free(s2);
    lf_ids_free(&ids);
    lf_ids_free(&again);
    lf_ids_free(&want);
    lf_buf_free(&b);
    lf_buf_free(&tmp);
    free(ends);
}

/* ------------------------------------------------------------------------ */
/* Building a tokenizer file from the input                                 */
/* ------------------------------------------------------------------------ */

#define MAX_TOKLEN 64
#define MAX_LEARN_TEXT 1024

typedef struct spec {
    btab tok;               /* tokens in order of creation; 0..255 the bytes */
    size_t nmerge, cap;
    int32_t *ml, *mr;       /* merges by creation number */
    int32_t *id;            /* creation number -> id in the file */
    int32_t *by_id;         /* id -> creation number */
} spec;

static void spec_free(spec *s)
{
    btab_free(&s->tok);
    free(s->ml);
    free(s->mr);
    free(s->id);
    free(s->by_id);
    memset(s, 0, sizeof *s);
}

/* Merge tokens a and b (creation numbers): the token they make, made if new;
 * -1 when it would be too long. */
static int32_t spec_merge(spec *s, int32_t a, int32_t b)
{
    size_t la = s->tok.len[a], lb = s->tok.len[b];
    if (la + lb > MAX_TOKLEN)
        return -1;
    unsigned char buf[MAX_TOKLEN];
    memcpy(buf, btab_bytes(&s->tok, (size_t)a), la);
    memcpy(buf + la, btab_bytes(&s->tok, (size_t)b), lb);
    int32_t c = btab_find(&s->tok, buf, la + lb);
    if (c < 0)
        c = btab_add(&s->tok, buf, la + lb);
    if (s->nmerge == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->ml = xrealloc(s->ml, s->cap * sizeof *s->ml);
        s->mr = xrealloc(s->mr, s->cap * sizeof *s->mr);
    }
    s->ml[s->nmerge] = a;
    s->mr[s->nmerge] = b;
    s->nmerge++;
    return c;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* K rounds of BPE training on the pieces of text[0..n): merge the most
 * frequent adjacent pair (the smallest on ties) everywhere. */
static void learn(spec *s, const char *text, size_t n, unsigned rounds)
{
    if (n > MAX_LEARN_TEXT) {
        n = MAX_LEARN_TEXT;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--;                            /* keep whole characters */
    }
    int32_t *sym = xrealloc(NULL, (2 * n + 1) * sizeof *sym);     /* -1 between pieces */
    uint64_t *pairs = xrealloc(NULL, (2 * n + 1) * sizeof *pairs);
    size_t ns = 0;
    for (size_t i = 0; i < n;) {
        size_t e = lf_pretok_next(text, n, i);
        for (; i < e; i++)
            sym[ns++] = (int32_t)(unsigned char)text[i];
        sym[ns++] = -1;
    }
    for (unsigned round = 0; round < rounds; round++) {
        size_t np = 0;
        for (size_t i = 0; i + 1 < ns; i++)
            if (sym[i] >= 0 && sym[i + 1] >= 0)
                pairs[np++] = pkey(sym[i], sym[i + 1]);
        if (np == 0)
            break;
        qsort(pairs, np, sizeof *pairs, cmp_u64);
        uint64_t best = pairs[0];
        size_t best_n = 0;
        for (size_t i = 0; i < np;) {
            size_t j = i;
            while (j < np && pairs[j] == pairs[i])
                j++;
            if (j - i > best_n) {
                best_n = j - i;
                best = pairs[i];
            }
            i = j;
        }
        int32_t a = (int32_t)(best >> 32), b = (int32_t)(uint32_t)best;
        int32_t c = spec_merge(s, a, b);
        if (c < 0)
            break;
        size_t k = 0;
        for (size_t i = 0; i < ns; i++) {
            if (i + 1 < ns && sym[i] == a && sym[i + 1] == b) {
                sym[k++] = c;
                i++;
            } else {
                sym[k++] = sym[i];
            }
        }
        ns = k;
    }
    free(sym);
    free(pairs);
}

/* Ids in the file (selector bits 2-3). */
static void spec_layout(spec *s, unsigned layout)
{
    size_t n = s->tok.n;
    s->id = xrealloc(s->id, n * sizeof *s->id);
    s->by_id = xrealloc(s->by_id, n * sizeof *s->by_id);
    size_t mul = 1;
    if (layout == 3) {
        mul = 40503 % n;
        for (;; mul++) {                    /* the first multiplier coprime to n */
            size_t a = mul, b = n;
            while (b) {
                size_t t = a % b;
                a = b;
                b = t;
            }
            if (a == 1 && mul > 1)
                break;
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t id;
        switch (layout) {
        case 1:
            id = i < 256 ? (i * 167 + 13) & 255 : i;
            break;
        case 2:
            id = n - 1 - i;
            break;
        case 3:
            id = (i * mul) % n;
            break;
        default:
            id = i;
        }
        s->id[i] = (int32_t)id;
        s->by_id[id] = (int32_t)i;
    }
}

static void put(lf_buf *b, const void *p, size_t n)
{
    if (lf_buf_append(b, p, n) != 0)
        abort();
}

static void puts_(lf_buf *b, const char *s) { put(b, s, strlen(s)); }

static void putf(lf_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void putf(lf_buf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof tmp)
        abort();
    put(b, tmp, (size_t)k);
}

/* One code point as JSON string content: UTF-8, or \uXXXX when `esc`
 * (and always for '"', '\\' and control characters). */
static void put_json_cp(lf_buf *b, uint32_t c, int esc)
{
    if (c == '"' || c == '\\') {
        char e[2] = {'\\', (char)c};
        put(b, e, 2);
    } else if (c < 0x20 || (esc && c >= 0x80)) {
        putf(b, "\\u%04X", (unsigned)c);
    } else if (c < 0x80) {
        char e = (char)c;
        put(b, &e, 1);
    } else {
        char e[3];
        int k = 0;
        if (c < 0x800) {
            e[k++] = (char)(0xC0 | c >> 6);
        } else {
            e[k++] = (char)(0xE0 | c >> 12);
            e[k++] = (char)(0x80 | ((c >> 6) & 0x3F));
        }
        e[k++] = (char)(0x80 | (c & 0x3F));
        put(b, e, (size_t)k);
    }
}

/* The GPT-2 byte-to-unicode alphabet by its definition: printable Latin-1
 * bytes stand for themselves, the other 68 get U+0100, U+0101, ... in byte
 * order. */
static uint32_t gpt2(unsigned char byte)
{
    uint32_t next = 256;
    for (unsigned c = 0; c < 256; c++) {
        int printable = (c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF);
        if (c == byte)
            return printable ? c : next;
        if (!printable)
            next++;
    }
    return 0;
}

static void put_gpt2(lf_buf *b, const unsigned char *p, size_t n, int esc)
{
    for (size_t i = 0; i < n; i++)
        put_json_cp(b, gpt2(p[i]), esc);
}

static void put_json_text(lf_buf *b, const char *s, int esc)
{
    puts_(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        put_json_cp(b, *p, esc && *p >= 0x80);    /* ASCII names only */
    puts_(b, "\"");
}

/* The added tokens of a built tokenizer.json. */
static const char *const *added_tokens(unsigned variant, size_t *n)
{
    switch (variant) {
    case 1:
        *n = sizeof ADDED_TEMPLATE / sizeof ADDED_TEMPLATE[0];
        return ADDED_TEMPLATE;
    case 2:
        *n = sizeof ADDED_NAMED / sizeof ADDED_NAMED[0];
        return ADDED_NAMED;
    case 3:
        *n = sizeof ADDED_ODD / sizeof ADDED_ODD[0];
        return ADDED_ODD;
    default:
        *n = 0;
        return NULL;
    }
}

/* A tokenizer.json of s: ids as laid out, merges by creation order (or
 * reversed), some left out (drop). */
static void write_json(const spec *s, lf_buf *f, uint8_t sel, unsigned added_variant)
{
    int no_ignore = !!(sel & 0x10), esc = !!(sel & 0x20), drop = !!(sel & 0x40), rev = !!(sel & 0x80);
    size_t nadd, n = s->tok.n;
    const char *const *add = added_tokens(added_variant, &nadd);
    puts_(f, "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": [");
    for (size_t k = 0; k < nadd; k++) {
        putf(f, "%s{\"id\": %zu, \"content\": ", k ? ", " : "", n + (nadd - 1 - k));   /* ids listed backwards */
        put_json_text(f, add[nadd - 1 - k], esc);
        puts_(f, ", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, "
                 "\"special\": true}");
    }
    puts_(f, "], \"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": "
             "[{\"type\": \"Split\", \"pattern\": {\"Regex\": ");
    put_json_text(f, LLAMA3_REGEX, 0);
    puts_(f, "}, \"behavior\": \"Isolated\", \"invert\": false}, {\"type\": \"ByteLevel\", \"add_prefix_space\": "
             "false, \"trim_offsets\": true, \"use_regex\": false}]}, \"post_processor\": null, \"decoder\": "
             "{\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true}, "
             "\"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null, "
             "\"continuing_subword_prefix\": null, \"end_of_word_suffix\": null, \"fuse_unk\": false, "
             "\"byte_fallback\": false, ");
    putf(f, "\"ignore_merges\": %s, \"vocab\": {", no_ignore ? "false" : "true");
    for (size_t i = 0; i < n; i++) {
        puts_(f, i ? ", \"" : "\"");
        put_gpt2(f, btab_bytes(&s->tok, i), s->tok.len[i], esc);
        putf(f, "\": %d", s->id[i]);
    }
    puts_(f, "}, \"merges\": [");
    int first = 1;
    for (size_t j = 0; j < s->nmerge; j++) {
        size_t r = rev ? s->nmerge - 1 - j : j;
        if (drop && r % 3 == 2)
            continue;
        puts_(f, first ? (esc ? "[\"" : "\"") : (esc ? ", [\"" : ", \""));
        first = 0;
        put_gpt2(f, btab_bytes(&s->tok, (size_t)s->ml[r]), s->tok.len[s->ml[r]], esc);
        puts_(f, esc ? "\", \"" : " ");
        put_gpt2(f, btab_bytes(&s->tok, (size_t)s->mr[r]), s->tok.len[s->mr[r]], esc);
        puts_(f, esc ? "\"]" : "\"");
    }
    puts_(f, "]}}");
}

static void put_base64(lf_buf *b, const unsigned char *p, size_t n)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0u);
        char q[4] = {al[w >> 18], al[(w >> 12) & 63], i + 1 < n ? al[(w >> 6) & 63] : '=',
                     i + 2 < n ? al[w & 63] : '='};
        put(b, q, 4);
    }
}

/* A tokenizer.model of s: "BASE64 RANK" lines in creation order (or
 * reversed), in the loose layout when asked. */
static void write_model(const spec *s, lf_buf *f, uint8_t sel)
{
    int loose = !!(sel & 0x20), rev = !!(sel & 0x80);
    size_t n = s->tok.n;
    for (size_t j = 0; j < n; j++) {
        size_t i = rev ? n - 1 - j : j;
        if (loose && i % 7 == 3)
            puts_(f, i % 2 ? "\r\n" : " \t\n");
        put_base64(f, btab_bytes(&s->tok, i), s->tok.len[i]);
        putf(f, loose && i % 5 == 1 ? "\t%d \r\n" : " %d\n", s->id[i]);
    }
}

/* The reference of a built file. */
static void spec_ref(const spec *s, ref *r, int tiktoken, int ignore_merges, uint8_t sel)
{
    memset(r, 0, sizeof *r);
    r->tiktoken = tiktoken;
    r->ignore_merges = ignore_merges;
    size_t n = s->tok.n;
    for (size_t id = 0; id < n; id++) {
        size_t i = (size_t)s->by_id[id];
        btab_add(&r->tok, btab_bytes(&s->tok, i), s->tok.len[i]);
    }
    for (int c = 0; c < 256; c++)
        r->byte_id[c] = s->id[c];
    if (tiktoken)
        return;
    size_t size = 16;
    while (size < 2 * s->nmerge + 2)
        size *= 2;
    r->merges.mask = size - 1;
    r->merges.key = xrealloc(NULL, size * sizeof *r->merges.key);
    r->merges.rank = xrealloc(NULL, size * sizeof *r->merges.rank);
    r->merges.result = xrealloc(NULL, size * sizeof *r->merges.result);
    for (size_t i = 0; i < size; i++)
        r->merges.key[i] = UINT64_MAX;
    int drop = !!(sel & 0x40), rev = !!(sel & 0x80);
    int32_t rank = 0;
    for (size_t j = 0; j < s->nmerge; j++) {
        size_t m = rev ? s->nmerge - 1 - j : j;
        if (drop && m % 3 == 2)
            continue;
        int32_t a = s->ml[m], b = s->mr[m];
        unsigned char buf[MAX_TOKLEN];
        size_t la = s->tok.len[a], lb = s->tok.len[b];
        memcpy(buf, btab_bytes(&s->tok, (size_t)a), la);
        memcpy(buf + la, btab_bytes(&s->tok, (size_t)b), lb);
        size_t k = pmap_slot(&r->merges, pkey(s->id[a], s->id[b]));
        r->merges.key[k] = pkey(s->id[a], s->id[b]);
        r->merges.rank[k] = rank++;        /* a later duplicate takes its place */
        r->merges.result[k] = s->id[btab_find(&s->tok, buf, la + lb)];
    }
}

/* The loaded tokenizer is the built one. */
static void check_built(const lf_tokenizer *t, const spec *s, int json, unsigned added_variant)
{
    size_t n = s->tok.n, nadd = 0;
    const char *const *add = json ? added_tokens(added_variant, &nadd) : NULL;
    size_t want = json ? n + nadd : n + 256;
    FUZZ_CHECK(lf_tokenizer_size(t) == want, "built file of %zu ids loaded as %zu", want, lf_tokenizer_size(t));
    lf_buf b = LF_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        token_bytes(t, s->id[i], &b);
        FUZZ_CHECK(b.len == s->tok.len[i] && memcmp(b.data, btab_bytes(&s->tok, i), b.len) == 0,
                   "id %d was written as %zu bytes, loaded as %zu", s->id[i], s->tok.len[i], b.len);
    }
    for (int k = 0; !json && k < 256; k++) {
        char name[48];
        int len = meta_name(k, name, sizeof name);
        FUZZ_CHECK(lf_tokenizer_special_id(t, name, (size_t)len) == (int32_t)(n + (size_t)k),
                   "tokenizer.model: %s is id %d, not %zu", name, lf_tokenizer_special_id(t, name, (size_t)len),
                   n + (size_t)k);
    }
    for (size_t k = 0; k < nadd; k++)
        FUZZ_CHECK(lf_tokenizer_special_id(t, add[k], strlen(add[k])) == (int32_t)(n + k),
                   "added token %s: id %d, written as %zu", add[k], lf_tokenizer_special_id(t, add[k], strlen(add[k])),
                   n + k);
    if (json)
        for (int k = 0; k < 256; k++) {
            char name[48];
            int len = meta_name(k, name, sizeof name);
            int listed = 0;
            for (size_t j = 0; j < nadd; j++)
                listed |= strcmp(add[j], name) == 0;
            FUZZ_CHECK(listed || lf_tokenizer_special_id(t, name, (size_t)len) < 0, "%s is special, not written",
                       name);
        }
    lf_buf_free(&b);
}

/* ------------------------------------------------------------------------ */
/* The target                                                               */
/* ------------------------------------------------------------------------ */

/* Load f[0..n); check the error contract.  NULL when refused. */
static lf_tokenizer *load(const char *f, size_t n, int must_load)
{
    lf_tokenizer *t = (lf_tokenizer *)&t;   /* must be overwritten */
    lf_error err;
    lf_error_clear(&err);
    lf_code rc = lf_tokenizer_load_mem(f, n, NAME, &t, &err);
    if (rc == LF_OK) {
        FUZZ_CHECK(t != NULL, "LF_OK without a tokenizer");
        check_tables(t);
        return t;
    }
    FUZZ_CHECK(t == NULL, "error %d left *out set", (int)rc);
    FUZZ_CHECK(rc != LF_E_NOMEM, "LF_E_NOMEM on a %zu-byte file: %s", n, err.msg);
    FUZZ_CHECK(rc == LF_E_USAGE, "load returned code %d (%s)", (int)rc, err.msg);
    FUZZ_CHECK(err.code == rc && err.msg[0] != '\0' && strchr(err.msg, '\n') == NULL,
               "error %d without a one-line message: \"%s\"", (int)err.code, err.msg);
    FUZZ_CHECK(err.file == NAME, "the error does not name the file: %s", err.msg);
    size_t lines = 1;
    for (size_t i = 0; i < n; i++)
        lines += f[i] == '\n';
    FUZZ_CHECK(err.line <= lines, "error at line %llu of a %zu-line file: %s", (unsigned long long)err.line, lines,
               err.msg);
    FUZZ_CHECK(!must_load, "a built file was refused: %s (line %llu column %llu)", err.msg,
               (unsigned long long)err.line, (unsigned long long)err.column);
    return NULL;
}

/* Valid UTF-8 from d[0..n): each bad byte becomes U+FFFD.  *len set. */
static char *valid_text(const uint8_t *d, size_t n, size_t *len)
{
    char *t = xrealloc(NULL, 3 * n + 1);
    size_t k = 0, i = 0;
    while (i < n) {
        size_t bad = fz_utf8_bad_at(d + i, n - i);
        memcpy(t + k, d + i, bad);
        k += bad;
        i += bad;
        if (i < n) {
            memcpy(t + k, "\xEF\xBF\xBD", 3);
            k += 3;
            i++;
        }
    }
    *len = k;
    return t;
}

/* Encode the fixed text and the input's text with t. */
static void encode_all(const lf_tokenizer *t, const ref *r, const char *text, size_t n)
{
    check_encode(t, r, FIXED_TEXT, sizeof FIXED_TEXT - 1);
    check_encode(t, r, text, n);
}

static int starts_json(const char *f, size_t n)
{
    size_t i = 0;
    while (i < n && (f[i] == ' ' || f[i] == '\t' || f[i] == '\n' || f[i] == '\r'))
        i++;
    return i < n && f[i] == '{';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    unsigned mode = sel & 3;

    /* the pre-tokenizer on raw bytes: pieces cover them, valid or not */
    size_t *ends = xrealloc(NULL, size * sizeof *ends);
    pieces((const char *)data + 1, size - 1, ends);
    free(ends);

    if (mode == 0) {
        /* an exact-size copy, so ASan sees any read past the file */
        char *f = xrealloc(NULL, size - 1);
        memcpy(f, data + 1, size - 1);
        lf_tokenizer *t = load(f, size - 1, 0);
        if (t != NULL) {
            ref r, *rp = NULL;
            if (!starts_json(f, size - 1)) {
                tiktoken_ref(t, &r);
                rp = &r;
            }
            size_t n;
            char *text = valid_text(data + 1, size - 1, &n);
            encode_all(t, rp, text, n);
            free(text);
            if (rp != NULL)
                ref_free(rp);
            lf_tokenizer_free(t);
        }
        free(f);
        return 0;
    }

    if (size < 3)
        return 0;
    unsigned rounds = data[1] & 63, added_variant = data[1] >> 6;
    size_t pos = 3, L = data[2];
    if (L > size - pos)
        L = size - pos;
    const uint8_t *entries = data + pos;
    pos += L;
    const uint8_t *patch = NULL;
    if (mode == 3) {
        if (size - pos < 12)
            return 0;
        patch = data + pos;
        pos += 12;
    }
    size_t n;
    char *text = valid_text(data + pos, size - pos, &n);
    int json = mode == 2 || (mode == 3 && (sel & 0x80));

    spec s;
    memset(&s, 0, sizeof s);
    for (int c = 0; c < 256; c++) {
        unsigned char u = (unsigned char)c;
        btab_add(&s.tok, &u, 1);
    }
    for (size_t e = 0; e + 1 < L; e += 2) {
        int32_t side[2];
        for (int k = 0; k < 2; k++) {
            uint8_t v = entries[e + (size_t)k];
            size_t multi = s.tok.n - 256;
            side[k] = v < 0xC0 || multi == 0 ? (int32_t)v : (int32_t)(s.tok.n - 1 - (v - 0xC0u) % multi);
        }
        spec_merge(&s, side[0], side[1]);
    }
    learn(&s, text, n, rounds);
    spec_layout(&s, (sel >> 2) & 3);

    lf_buf f = LF_BUF_INIT;
    uint8_t wsel = mode == 3 ? (uint8_t)(sel & 0x7F) : sel;
    if (json)
        write_json(&s, &f, wsel, added_variant);
    else
        write_model(&s, &f, wsel);

    if (mode == 3) {
        for (int k = 0; k < 4; k++) {
            size_t off = ((size_t)patch[3 * k] | (size_t)patch[3 * k + 1] << 8) % f.len;
            f.data[off] = (char)patch[3 * k + 2];
        }
        lf_tokenizer *t = load(f.data, f.len, 0);
        if (t != NULL) {
            ref r, *rp = NULL;
            if (!starts_json(f.data, f.len)) {
                tiktoken_ref(t, &r);
                rp = &r;
            }
            encode_all(t, rp, text, n);
            if (rp != NULL)
                ref_free(rp);
            lf_tokenizer_free(t);
        }
    } else {
        lf_tokenizer *t = load(f.data, f.len, 1);
        check_built(t, &s, json, added_variant);
        ref r;
        spec_ref(&s, &r, !json, json ? !(sel & 0x10) : 1, wsel);
        check_encode(t, &r, text, n);
        ref_free(&r);
        lf_tokenizer_free(t);
    }
    lf_buf_free(&f);
    spec_free(&s);
    free(text);
    return 0;
}
