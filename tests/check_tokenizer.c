/*
 * check_tokenizer.c - unit tests for the tokenizer (tokenizer.c, tok_load.c,
 * tok_pretok.c; private parts through src/tok_internal.h).
 *
 * No real vocabulary is needed.  The tests build their tokenizers in
 * memory, in both file formats:
 *   - "hand": the 256 bytes (ids permuted, so a byte is never its own id)
 *     plus 15 tokens and 14 merges chosen to pin down rank order, ties,
 *     ignore_merges and where tokenizer.json and tokenizer.model differ;
 *   - "trained": some 300 tokens learned by a small BPE trainer below from
 *     a mixed English/Korean/code sample (565 tokens, 338 merges: every
 *     split of a token into two tokens, as in Llama 3's tokenizer.json).
 * Encodings are checked against hand-worked expectations and against a
 * plain quadratic BPE written here from the definition (lowest rank first,
 * leftmost on ties; for tiktoken the rank of a pair is the rank of its
 * concatenation).
 *
 * The pre-tokenizer table between the BEGIN/END GENERATED markers is the
 * output of Hugging Face tokenizers 0.23.2 (its Node binding): the Llama 3
 * tokenizer.json's pre_tokenizer, preTokenizeString() on each input, the
 * pieces mapped back from the byte-level alphabet to bytes.
 *
 * Allocation failures are injected (glibc builds without a sanitizer that
 * owns malloc) by failing the Nth malloc/calloc/realloc while a scenario
 * runs, for every N, and counting that everything allocated is freed.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "llamafmt/buf.h"
#include "llamafmt/error.h"
#include "llamafmt/tokenizer.h"

#include "../src/tok_internal.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* An assertion for hot loops: Check sends every passing ck_assert through
 * its message channel, which makes millions of them slow. */
#define CHECK(cond)                                                                                        \
    do {                                                                                                   \
        if (!(cond))                                                                                       \
            ck_abort_msg("%s:%d: assertion '%s' failed", __FILE__, __LINE__, #cond);                       \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Allocation-failure injection                                             */
/* ------------------------------------------------------------------------ */

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || __has_feature(thread_sanitizer)
#define NO_MALLOC_HOOK 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NO_MALLOC_HOOK 1
#endif
#if defined(__GLIBC__) && !defined(NO_MALLOC_HOOK)
#define HAVE_FAILMALLOC 1
#endif

#ifdef HAVE_FAILMALLOC
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);

/* While g_fail_at != 0: count calls, fail the g_fail_at-th, and count the
 * blocks allocated and not yet freed. */
static unsigned long g_fail_at, g_calls;
static long g_live;

static int fail_now(void)
{
    if (g_fail_at == 0)
        return 0;
    if (++g_calls == g_fail_at) {
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

void *malloc(size_t size)
{
    if (fail_now())
        return NULL;
    void *p = __libc_malloc(size);
    if (p != NULL && g_fail_at != 0)
        g_live++;
    return p;
}

void *calloc(size_t n, size_t size)
{
    if (fail_now())
        return NULL;
    void *p = __libc_calloc(n, size);
    if (p != NULL && g_fail_at != 0)
        g_live++;
    return p;
}

void *realloc(void *old, size_t size)
{
    if (fail_now())
        return NULL;
    void *p = __libc_realloc(old, size);
    if (p != NULL && old == NULL && g_fail_at != 0)
        g_live++;
    return p;
}

void free(void *p)
{
    if (p != NULL && g_fail_at != 0)
        g_live--;
    __libc_free(p);
}
#endif

/* ------------------------------------------------------------------------ */
/* Building tokenizer files                                                 */
/* ------------------------------------------------------------------------ */

static const char llama3_regex[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

static void put(lf_buf *b, const void *p, size_t n)
{
    CHECK(lf_buf_append(b, p, n) == 0);
}

static void puts_(lf_buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void putf(lf_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void putf(lf_buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    CHECK(k >= 0 && (size_t)k < sizeof tmp);
    put(b, tmp, (size_t)k);
}

/* The GPT-2 byte-to-unicode alphabet as its definition reads: printable
 * Latin-1 bytes are themselves, the others get 256, 257, ... in order. */
static unsigned gpt2_cp(unsigned char byte)
{
    unsigned n = 0;
    for (unsigned b = 0; b < 256; b++) {
        int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
        if (b == byte)
            return printable ? b : 256 + n;
        if (!printable)
            n++;
    }
    return 0;
}

/* The GPT-2 spelling of p[0..n) as JSON string content (no quotes). */
static void put_gpt2(lf_buf *b, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned cp = gpt2_cp(p[i]);
        char u[2];
        if (cp == '"' || cp == '\\') {
            u[0] = '\\';
            u[1] = (char)cp;
            put(b, u, 2);
        } else if (cp < 0x80) {
            u[0] = (char)cp;
            put(b, u, 1);
        } else {
            u[0] = (char)(0xC0 | (cp >> 6));
            u[1] = (char)(0x80 | (cp & 0x3F));
            put(b, u, 2);
        }
    }
}

/* A JSON string literal of the text s. */
static void put_json_text(lf_buf *b, const char *s)
{
    puts_(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            putf(b, "\\%c", c);
        else if (c < 0x20)
            putf(b, "\\u%04x", c);
        else
            put(b, s, 1);
    }
    puts_(b, "\"");
}

static void put_base64(lf_buf *b, const unsigned char *p, size_t n)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {al[w >> 18], al[(w >> 12) & 63], i + 1 < n ? al[(w >> 6) & 63] : '=', i + 2 < n ? al[w & 63] : '='};
        put(b, q, 4);
    }
}

/* A tokenizer described by its tokens (ids 0..ntok-1), merges by rank and
 * special tokens (ids ntok..). */
#define MAX_TOK 1100
#define MAX_LEN 48
#define MAX_MERGE 4000
#define MAX_SPECIAL 8

typedef struct spec {
    size_t ntok;
    unsigned char tok[MAX_TOK][MAX_LEN];
    size_t len[MAX_TOK];
    size_t nmerge;
    int32_t mleft[MAX_MERGE], mright[MAX_MERGE];
    size_t nspecial;
    const char *special[MAX_SPECIAL];
    /* for the plain encoder, made by spec_index(): ids sorted by bytes,
     * and the rank of each (left, right) pair (-1: none) */
    int32_t sorted[MAX_TOK];
    int16_t *rank;
} spec;

static int cmp_bytes(const unsigned char *a, size_t la, const unsigned char *b, size_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    return c != 0 ? c : (la > lb) - (la < lb);
}

static const spec *g_sort_spec;

static int cmp_ids(const void *x, const void *y)
{
    const spec *sp = g_sort_spec;
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return cmp_bytes(sp->tok[a], sp->len[a], sp->tok[b], sp->len[b]);
}

static void spec_index(spec *sp)
{
    for (size_t i = 0; i < sp->ntok; i++)
        sp->sorted[i] = (int32_t)i;
    g_sort_spec = sp;
    qsort(sp->sorted, sp->ntok, sizeof sp->sorted[0], cmp_ids);
    free(sp->rank);
    sp->rank = malloc((size_t)MAX_TOK * MAX_TOK * sizeof *sp->rank);
    ck_assert_ptr_nonnull(sp->rank);
    for (size_t i = 0; i < (size_t)MAX_TOK * MAX_TOK; i++)
        sp->rank[i] = -1;
    for (size_t r = 0; r < sp->nmerge; r++)
        sp->rank[(size_t)sp->mleft[r] * MAX_TOK + (size_t)sp->mright[r]] = (int16_t)r;
}

/* The id of the token p[0..n), or -1 (a linear search before spec_index). */
static int32_t spec_find(const spec *sp, const unsigned char *p, size_t n)
{
    if (sp->rank == NULL) {
        for (size_t i = 0; i < sp->ntok; i++)
            if (sp->len[i] == n && memcmp(sp->tok[i], p, n) == 0)
                return (int32_t)i;
        return -1;
    }
    size_t lo = 0, hi = sp->ntok;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int32_t id = sp->sorted[mid];
        int c = cmp_bytes(sp->tok[id], sp->len[id], p, n);
        if (c == 0)
            return id;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int32_t spec_add(spec *sp, const unsigned char *p, size_t n)
{
    CHECK(sp->ntok < MAX_TOK && n < MAX_LEN);
    memcpy(sp->tok[sp->ntok], p, n);
    sp->len[sp->ntok] = n;
    return (int32_t)sp->ntok++;
}

/* Byte b's id: a permutation, so that no byte is its own id. */
static int32_t perm(int b)
{
    return (b * 7 + 3) & 255;
}

static void spec_bytes(spec *sp)
{
    free(sp->rank);
    memset(sp, 0, sizeof *sp);
    for (int b = 0; b < 256; b++) {
        sp->tok[perm(b)][0] = (unsigned char)b;
        sp->len[perm(b)] = 1;
    }
    sp->ntok = 256;
}

typedef struct json_opts {
    int ignore_merges;      /* model.ignore_merges */
    int pair_merges;        /* merges as ["a", "b"] instead of "a b" */
} json_opts;

static void build_json(const spec *sp, json_opts o, lf_buf *b)
{
    puts_(b, "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": [");
    for (size_t i = 0; i < sp->nspecial; i++) {
        putf(b, "%s{\"id\": %zu, \"content\": ", i ? ", " : "", sp->ntok + i);
        put_json_text(b, sp->special[i]);
        puts_(b, ", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, "
                 "\"special\": true}");
    }
    puts_(b, "], \"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": "
             "[{\"type\": \"Split\", \"pattern\": {\"Regex\": ");
    put_json_text(b, llama3_regex);
    puts_(b, "}, \"behavior\": \"Isolated\", \"invert\": false}, {\"type\": \"ByteLevel\", \"add_prefix_space\": "
             "false, \"trim_offsets\": true, \"use_regex\": false}]}, \"post_processor\": {\"type\": "
             "\"TemplateProcessing\", \"single\": [], \"pair\": [], \"special_tokens\": {}}, \"decoder\": "
             "{\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true}, "
             "\"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null, "
             "\"continuing_subword_prefix\": null, \"end_of_word_suffix\": null, \"fuse_unk\": false, "
             "\"byte_fallback\": false, ");
    putf(b, "\"ignore_merges\": %s, \"vocab\": {", o.ignore_merges ? "true" : "false");
    /* not in id order: the loader must not depend on it */
    for (size_t k = 0; k < sp->ntok; k++) {
        size_t id = (k + sp->ntok / 2) % sp->ntok;
        puts_(b, k ? ", \"" : "\"");
        put_gpt2(b, sp->tok[id], sp->len[id]);
        putf(b, "\": %zu", id);
    }
    puts_(b, "}, \"merges\": [");
    for (size_t r = 0; r < sp->nmerge; r++) {
        const int32_t l = sp->mleft[r], rt = sp->mright[r];
        puts_(b, r ? (o.pair_merges ? ", [\"" : ", \"") : (o.pair_merges ? "[\"" : "\""));
        put_gpt2(b, sp->tok[l], sp->len[l]);
        puts_(b, o.pair_merges ? "\", \"" : " ");
        put_gpt2(b, sp->tok[rt], sp->len[rt]);
        puts_(b, o.pair_merges ? "\"]" : "\"");
    }
    puts_(b, "]}}");
}

static void build_model(const spec *sp, lf_buf *b)
{
    for (size_t id = 0; id < sp->ntok; id++) {
        put_base64(b, sp->tok[id], sp->len[id]);
        putf(b, " %zu\n", id);
    }
}

/* The hand-made tokenizer. */
static const char *const hand_tokens[] = {
    "ab", "bc", "abc", "aa", " t", "he", " the", "xy", "\n\n", "er", "\xED\x95", "\xED\x95\x9C", "'s", "xyz", "cd",
};
static const char *const hand_merges[][2] = {
    {"a", "b"},   {"c", "d"},  {"b", "c"},  {"ab", "c"},   {"a", "a"},           {" ", "t"},           {"h", "e"},
    {" t", "he"}, {"x", "y"},  {"\n", "\n"}, {"e", "r"},   {"\xED", "\x95"},     {"\xED\x95", "\x9C"}, {"'", "s"},
};
static const char *const hand_specials[] = {
    "<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>",
};

static int32_t sid(const spec *sp, const char *s)
{
    int32_t id = spec_find(sp, (const unsigned char *)s, strlen(s));
    if (id < 0)
        ck_abort_msg("no token \"%s\"", s);
    return id;
}

static void build_hand(spec *sp)
{
    spec_bytes(sp);
    for (size_t i = 0; i < N_ELEMS(hand_tokens); i++)
        spec_add(sp, (const unsigned char *)hand_tokens[i], strlen(hand_tokens[i]));
    for (size_t r = 0; r < N_ELEMS(hand_merges); r++) {
        sp->mleft[r] = sid(sp, hand_merges[r][0]);
        sp->mright[r] = sid(sp, hand_merges[r][1]);
    }
    sp->nmerge = N_ELEMS(hand_merges);
    for (size_t i = 0; i < N_ELEMS(hand_specials); i++)
        sp->special[i] = hand_specials[i];
    sp->nspecial = N_ELEMS(hand_specials);
}

/* A sample to learn merges from: prose, Korean, code, numbers. */
static const char train_text[] =
    "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs away.\n"
    "It's a truth universally acknowledged that they'll tokenize whatever we've written, "
    "and I'm sure you're right: she'd agree. Don't they? THE END.\n\n"
    "In the beginning there was the text, and the text was there in the beginning.\n"
    "Hello world! Hello again, world. Goodbye, world... Hello there!\n"
    "\xEC\x95\x88\xEB\x85\x95\xED\x95\x98\xEC\x84\xB8\xEC\x9A\x94, \xEC\x84\xB8\xEA\xB3\x84! "
    "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4 \xED\x85\x8D\xEC\x8A\xA4\xED\x8A\xB8\xEB\xA5\xBC "
    "\xEC\xB2\x98\xEB\xA6\xAC\xED\x95\xA9\xEB\x8B\x88\xEB\x8B\xA4. \xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4 "
    "\xED\x85\x8D\xEC\x8A\xA4\xED\x8A\xB8\xEB\xA5\xBC \xEC\xB2\x98\xEB\xA6\xAC\xED\x95\xA9\xEB\x8B\x88\xEB\x8B\xA4!\n"
    "def tokenize(text):\n    return [piece for piece in split(text) if piece]\n\n"
    "for (int i = 0; i < n; i++) {\n    total += values[i] * 2;\n}\n"
    "for (int j = 0; j < n; j++) {\n    total -= values[j] / 2;\n}\n"
    "    if (x == NULL) {\n        return -1;\n    }\n    return 0;\n"
    "Prices: 1234567 12 345 2024-01-01 3.14159 1,000,000 and 42 or 4242 or 424242.\n"
    "   indented    text\twith\ttabs\r\nand CRLF\r\n\r\nlines   \n"
    "!!! ??? ... --- *** ### $$$ %%% ^^^ &&& ((( ))) [[[ ]]] {{{ }}}\n"
    "emoji \xF0\x9F\x98\x80\xF0\x9F\x98\x80 \xF0\x9F\x91\x8D and more \xF0\x9F\x98\x80 text.\n"
    "The the THE tHe ThE theme thermal there these those this that then than thanks.\n"
    "A tokenizer turns text into tokens, and the tokens into numbers; the numbers go into the model.\n"
    "Training data is written as conversations: a system message, then user and assistant turns.\n"
    "Every conversation ends with the assistant's answer, and every answer ends with a special token.\n"
    "The assistant answers the user's question, and the user asks another question about the answer.\n"
    "Questions and answers, answers and questions: the conversation continues until the user stops.\n"
    "static int count_tokens(const char *text, size_t length)\n{\n    int count = 0;\n"
    "    for (size_t index = 0; index < length; index++)\n        count += text[index] == ' ';\n"
    "    return count;\n}\n"
    "static int count_words(const char *text, size_t length)\n{\n    int count = 0;\n"
    "    for (size_t index = 0; index < length; index++)\n        count += text[index] != ' ';\n"
    "    return count;\n}\n"
    "import json\nwith open(\"data.jsonl\") as f:\n    for line in f:\n        record = json.loads(line)\n"
    "        print(record[\"messages\"][0][\"content\"])\n"
    "\xEC\x95\x88\xEB\x85\x95\xED\x95\x98\xEC\x84\xB8\xEC\x9A\x94! \xEB\xB0\x98\xEA\xB0\x91\xEC\x8A\xB5\xEB\x8B\x88\xEB\x8B\xA4. "
    "\xEB\xB0\x98\xEA\xB0\x91\xEC\x8A\xB5\xEB\x8B\x88\xEB\x8B\xA4! \xEA\xB0\x90\xEC\x82\xAC\xED\x95\xA9\xEB\x8B\x88\xEB\x8B\xA4. "
    "\xEA\xB0\x90\xEC\x82\xAC\xED\x95\xA9\xEB\x8B\x88\xEB\x8B\xA4!\n"
    "Numbers 100 200 300 1000 2000 3000 10000 20000 30000 and 0.5 0.25 0.125, versions 1.2.3 and 2.0.1.\n"
    "The end of the text is the end of the sample; the sample is the text, and the text is the sample.\n";

/* Learn up to `want` tokens from train_text (most frequent adjacent pair
 * within pre-tokenizer pieces, ties to the smaller ids; a pair whose bytes
 * are already a token, or too long, is skipped).  The merges are then, as
 * in Llama 3's tokenizer.json, every split of every token into two tokens,
 * ranked by the id of the token they make: so tokenizer.json and
 * tokenizer.model must agree. */
static void build_trained(spec *sp, size_t want)
{
    spec_bytes(sp);
    size_t n = sizeof train_text - 1;
    int32_t *seq = malloc((2 * n + 1) * sizeof *seq);   /* ids, -1 between pieces */
    uint32_t *cnt = calloc((size_t)MAX_TOK * MAX_TOK, sizeof *cnt);
    unsigned char *banned = calloc((size_t)MAX_TOK * MAX_TOK, 1);
    ck_assert(seq != NULL && cnt != NULL && banned != NULL);
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        size_t e = lf_pretok_next(train_text, n, i);
        for (; i < e; i++)
            seq[m++] = perm((unsigned char)train_text[i]);
        seq[m++] = -1;
    }
    while (sp->ntok < 256 + want && sp->ntok < MAX_TOK) {
        for (size_t i = 0; i + 1 < m; i++)     /* clear the counts of the pairs there are */
            if (seq[i] >= 0 && seq[i + 1] >= 0)
                cnt[(size_t)seq[i] * MAX_TOK + (size_t)seq[i + 1]] = 0;
        size_t best = SIZE_MAX;
        for (size_t i = 0; i + 1 < m; i++) {
            if (seq[i] < 0 || seq[i + 1] < 0)
                continue;
            size_t k = (size_t)seq[i] * MAX_TOK + (size_t)seq[i + 1];
            if (banned[k])
                continue;
            cnt[k]++;
            if (best == SIZE_MAX || cnt[k] > cnt[best] || (cnt[k] == cnt[best] && k < best))
                best = k;
        }
        if (best == SIZE_MAX || cnt[best] < 2)
            break;
        int32_t l = (int32_t)(best / MAX_TOK), r = (int32_t)(best % MAX_TOK);
        unsigned char cat[2 * MAX_LEN];
        size_t cl = sp->len[l] + sp->len[r];
        memcpy(cat, sp->tok[l], sp->len[l]);
        memcpy(cat + sp->len[l], sp->tok[r], sp->len[r]);
        if (cl >= MAX_LEN || spec_find(sp, cat, cl) >= 0) {
            banned[best] = 1;
            continue;
        }
        int32_t id = spec_add(sp, cat, cl);
        size_t w = 0;
        for (size_t i = 0; i < m; i++) {
            if (i + 1 < m && seq[i] == l && seq[i + 1] == r) {
                seq[w++] = id;
                i++;
            } else {
                seq[w++] = seq[i];
            }
        }
        m = w;
    }
    free(seq);
    free(cnt);
    free(banned);
    for (size_t id = 256; id < sp->ntok; id++) {
        for (size_t k = 1; k < sp->len[id]; k++) {
            int32_t l = spec_find(sp, sp->tok[id], k), r = spec_find(sp, sp->tok[id] + k, sp->len[id] - k);
            if (l >= 0 && r >= 0) {
                CHECK(sp->nmerge < MAX_MERGE);
                sp->mleft[sp->nmerge] = l;
                sp->mright[sp->nmerge] = r;
                sp->nmerge++;
            }
        }
    }
    for (size_t i = 0; i < N_ELEMS(hand_specials); i++)
        sp->special[i] = hand_specials[i];
    sp->nspecial = N_ELEMS(hand_specials);
}

/* ------------------------------------------------------------------------ */
/* A plain reference encoder                                                */
/* ------------------------------------------------------------------------ */

/* The rank of merging tokens a and b: tokenizer.json - the position of
 * (a, b) in the merges; tiktoken - the id of the token a+b.  -1: none. */
static long naive_rank(const spec *sp, int tiktoken, const unsigned char *a, size_t la, const unsigned char *b,
                       size_t lb)
{
    if (tiktoken) {
        unsigned char cat[4096];
        if (la + lb > sizeof cat)
            return -1;
        memcpy(cat, a, la);
        memcpy(cat + la, b, lb);
        return spec_find(sp, cat, la + lb);
    }
    int32_t l = spec_find(sp, a, la), r = spec_find(sp, b, lb);
    CHECK(l >= 0 && r >= 0);
    return sp->rank[(size_t)l * MAX_TOK + (size_t)r];
}

/* Encode text the slow, obvious way and append the ids to out. */
static void naive_encode(const spec *sp, int tiktoken, int ignore_merges, const char *text, size_t n, lf_ids *out)
{
    for (size_t i = 0; i < n;) {
        size_t e = lf_pretok_next(text, n, i);
        const unsigned char *p = (const unsigned char *)text + i;
        size_t m = e - i;
        int32_t whole = spec_find(sp, p, m);
        if ((tiktoken || ignore_merges) && whole >= 0) {
            CHECK(lf_ids_push(out, whole) == 0);
            i = e;
            continue;
        }
        size_t *start = malloc(m * sizeof *start), *len = malloc(m * sizeof *len);
        CHECK(start != NULL && len != NULL);
        for (size_t k = 0; k < m; k++) {
            start[k] = k;
            len[k] = 1;
        }
        size_t parts = m;
        for (;;) {
            long best = -1;
            size_t at = 0;
            for (size_t k = 0; k + 1 < parts; k++) {
                long r = naive_rank(sp, tiktoken, p + start[k], len[k], p + start[k + 1], len[k + 1]);
                if (r >= 0 && (best < 0 || r < best)) {
                    best = r;
                    at = k;
                }
            }
            if (best < 0)
                break;
            len[at] += len[at + 1];
            memmove(start + at + 1, start + at + 2, (parts - at - 2) * sizeof *start);
            memmove(len + at + 1, len + at + 2, (parts - at - 2) * sizeof *len);
            parts--;
        }
        for (size_t k = 0; k < parts; k++) {
            int32_t id = spec_find(sp, p + start[k], len[k]);
            CHECK(id >= 0);
            CHECK(lf_ids_push(out, id) == 0);
        }
        free(start);
        free(len);
        i = e;
    }
}

/* ------------------------------------------------------------------------ */
/* Fixtures                                                                 */
/* ------------------------------------------------------------------------ */

static spec g_hand, g_trained;
static lf_buf g_hand_json, g_hand_json_nim, g_hand_json_pairs, g_hand_model;
static lf_buf g_tr_json, g_tr_json_nim, g_tr_model;

static void build_all(void)
{
    ck_assert_int_eq(perm('a'), 170);
    ck_assert_int_eq(perm('b'), 177);
    ck_assert_int_eq(perm('z'), 89);
    build_hand(&g_hand);
    spec_index(&g_hand);
    build_json(&g_hand, (json_opts){1, 0}, &g_hand_json);
    build_json(&g_hand, (json_opts){0, 0}, &g_hand_json_nim);
    build_json(&g_hand, (json_opts){1, 1}, &g_hand_json_pairs);
    build_model(&g_hand, &g_hand_model);
    build_trained(&g_trained, 700);
    spec_index(&g_trained);
    build_json(&g_trained, (json_opts){1, 0}, &g_tr_json);
    build_json(&g_trained, (json_opts){0, 1}, &g_tr_json_nim);
    build_model(&g_trained, &g_tr_model);
}

static void free_all(void)
{
    free(g_hand.rank);
    free(g_trained.rank);
    g_hand.rank = g_trained.rank = NULL;
    lf_buf_free(&g_hand_json);
    lf_buf_free(&g_hand_json_nim);
    lf_buf_free(&g_hand_json_pairs);
    lf_buf_free(&g_hand_model);
    lf_buf_free(&g_tr_json);
    lf_buf_free(&g_tr_json_nim);
    lf_buf_free(&g_tr_model);
}

static lf_tokenizer *load(const lf_buf *b)
{
    lf_tokenizer *t = NULL;
    lf_error err = LF_ERROR_INIT;
    lf_code rc = lf_tokenizer_load_mem(b->data, b->len, "test", &t, &err);
    if (rc != LF_OK || t == NULL)
        ck_abort_msg("load: %s", err.msg);
    return t;
}

/* Encode text (a C string) with a fresh state. */
static void enc(const lf_tokenizer *t, const char *text, lf_ids *out)
{
    lf_tok_state *s = lf_tok_state_new(t);
    CHECK(s != NULL);
    out->n = 0;
    CHECK(lf_tokenize(s, text, strlen(text), out) == LF_OK);
    lf_tok_state_free(s);
}

/* Check that text encodes as the tokens listed (by their bytes), NULL-terminated. */
static void expect_tokens(const lf_tokenizer *t, const spec *sp, const char *text, ...)
{
    lf_ids ids = LF_IDS_INIT;
    enc(t, text, &ids);
    va_list ap;
    va_start(ap, text);
    size_t k = 0;
    for (const char *tok; (tok = va_arg(ap, const char *)) != NULL; k++) {
        if (k >= ids.n)
            ck_abort_msg("\"%s\": only %zu ids, expected more", text, ids.n);
        if (ids.v[k] != sid(sp, tok))
            ck_abort_msg("\"%s\": id %zu is %d, expected %d (\"%s\")", text, k, ids.v[k], sid(sp, tok), tok);
    }
    va_end(ap);
    ck_assert_msg(k == ids.n, "\"%s\": %zu ids, expected %zu", text, ids.n, k);
    lf_ids_free(&ids);
}

/* A deterministic pseudo-random generator for test inputs. */
static uint64_t g_rng;

static uint32_t rnd(uint32_t n)
{
    g_rng = g_rng * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return (uint32_t)((g_rng >> 33) % n);
}

/* Fragments random test texts are made of. */
static const char *const frags[] = {
    "the", "The", " the", "THE", " fox", "dog", " world", "Hello", "hello", "'s", "'S", "'ll", "'LL", "'re", "'ve",
    "'m", "'d", "'t", "\xC5\xBF", "'", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n", "\xC2\xA0", "\xE3\x80\x80",
    "\xC2\x85", "\xEF\xBB\xBF", "\xE2\x80\x8B", "1", "12", "1234567", "3.14", "!", "!!!", "...", "?", "(", ")",
    "{", "}", "[i]", " = ", "==", "->", "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4", "\xEC\x84\xB8\xEA\xB3\x84",
    "\xE5\xAD\xA6\xE7\x94\x9F", "\xF0\x9F\x98\x80", "\xF0\x9F\x91\x8D", "abc", "bcd", "xyz", "xyzw", "aaaa", "cd",
    "<|eot_id|>", "<|", "|>", "\xCC\x81", "ab", "er", "there", "total", "values", "return", "tokenize",
};

static size_t random_text(char *buf, size_t cap)
{
    size_t n = 0, k = 1 + rnd(12);
    for (size_t i = 0; i < k; i++) {
        const char *f = frags[rnd((uint32_t)N_ELEMS(frags))];
        size_t l = strlen(f);
        if (n + l >= cap)
            break;
        memcpy(buf + n, f, l);
        n += l;
    }
    buf[n] = '\0';
    return n;
}

/* ---- BEGIN GENERATED by Hugging Face tokenizers 0.23.2 (see the top of this file) ---- */
typedef struct pretok_case {
    const char *in;
    const char *pieces[16];
} pretok_case;

static const pretok_case pretok_cases[] = {
    {"it's",
     {"it", "'s"}},
    {"IT'S",
     {"IT", "'S"}},
    {"don't",
     {"don", "'t"}},
    {"DON'T",
     {"DON", "'T"}},
    {"we'll",
     {"we", "'ll"}},
    {"WE'LL",
     {"WE", "'LL"}},
    {"We'Ll",
     {"We", "'Ll"}},
    {"they've",
     {"they", "'ve"}},
    {"THEY'VE",
     {"THEY", "'VE"}},
    {"you're",
     {"you", "'re"}},
    {"YOU'RE",
     {"YOU", "'RE"}},
    {"you'Re",
     {"you", "'Re"}},
    {"I'm",
     {"I", "'m"}},
    {"I'M",
     {"I", "'M"}},
    {"she'd",
     {"she", "'d"}},
    {"SHE'D",
     {"SHE", "'D"}},
    {"'s",
     {"'s"}},
    {"'S",
     {"'S"}},
    {"'t",
     {"'t"}},
    {"'re",
     {"'re"}},
    {"'ve",
     {"'ve"}},
    {"'m",
     {"'m"}},
    {"'ll",
     {"'ll"}},
    {"'d",
     {"'d"}},
    {"'x",
     {"'x"}},
    {"'sa",
     {"'s", "a"}},
    {"'Sa",
     {"'S", "a"}},
    {"'lld",
     {"'ll", "d"}},
    {"'l",
     {"'l"}},
    {"'r",
     {"'r"}},
    {"'v",
     {"'v"}},
    {"x'\305\277",
     {"x", "'\305\277"}},
    {"'\305\277",
     {"'\305\277"}},
    {"it\305\277s",
     {"it\305\277s"}},
    {"'\305\277t",
     {"'\305\277", "t"}},
    {"'\342\204\252",
     {"'\342\204\252"}},
    {"'\304\260",
     {"'\304\260"}},
    {"'\357\254\206",
     {"'\357\254\206"}},
    {"''s",
     {"''", "s"}},
    {"'''",
     {"'''"}},
    {"' s",
     {"'", " s"}},
    {"'123",
     {"'", "123"}},
    {"'\012",
     {"'\012"}},
    {"hello world",
     {"hello", " world"}},
    {" hello",
     {" hello"}},
    {"  hello",
     {" ", " hello"}},
    {"\011hello",
     {"\011hello"}},
    {"\302\240hello",
     {"\302\240hello"}},
    {"\343\200\200hello",
     {"\343\200\200hello"}},
    {"\302\205hello",
     {"\302\205hello"}},
    {"\357\273\277hello",
     {"\357\273\277hello"}},
    {"\342\200\213hello",
     {"\342\200\213hello"}},
    {"!hello",
     {"!hello"}},
    {"\"quoted\"",
     {"\"quoted", "\""}},
    {"(paren)",
     {"(paren", ")"}},
    {"\012hello",
     {"\012", "hello"}},
    {"\015\012hello",
     {"\015\012", "hello"}},
    {"1st",
     {"1", "st"}},
    {"a1b2c3",
     {"a", "1", "b", "2", "c", "3"}},
    {"x\302\262",
     {"x", "\302\262"}},
    {"e\314\201t\314\201",
     {"e", "\314\201t", "\314\201"}},
    {"na\303\257ve caf\303\251",
     {"na\303\257ve", " caf\303\251"}},
    {"1",
     {"1"}},
    {"12",
     {"12"}},
    {"123",
     {"123"}},
    {"1234",
     {"123", "4"}},
    {"1234567",
     {"123", "456", "7"}},
    {"12345678901",
     {"123", "456", "789", "01"}},
    {" 123",
     {" ", "123"}},
    {"3.14159",
     {"3", ".", "141", "59"}},
    {"1,000,000",
     {"1", ",", "000", ",", "000"}},
    {"\331\243\331\244\331\245\331\246",
     {"\331\243\331\244\331\245", "\331\246"}},
    {"\340\245\247\340\245\250\340\245\251\340\245\252",
     {"\340\245\247\340\245\250\340\245\251", "\340\245\252"}},
    {"\302\275\302\274\302\276",
     {"\302\275\302\274\302\276"}},
    {"\342\205\253",
     {"\342\205\253"}},
    {"\342\221\240\342\221\241\342\221\242\342\221\243",
     {"\342\221\240\342\221\241\342\221\242", "\342\221\243"}},
    {"\360\235\237\231\360\235\237\232\360\235\237\233\360\235\237\234",
     {"\360\235\237\231\360\235\237\232\360\235\237\233", "\360\235\237\234"}},
    {"\360\220\265\200\360\220\265\201\360\220\265\202\360\220\265\203",
     {"\360\220\265\200\360\220\265\201\360\220\265\202", "\360\220\265\203"}},
    {"a b",
     {"a", " b"}},
    {"a  b",
     {"a", " ", " b"}},
    {"a   b",
     {"a", "  ", " b"}},
    {"a\011b",
     {"a", "\011b"}},
    {"a \011b",
     {"a", " ", "\011b"}},
    {"a\011 b",
     {"a", "\011", " b"}},
    {"a \302\240b",
     {"a", " ", "\302\240b"}},
    {"a\302\240 b",
     {"a", "\302\240", " b"}},
    {"   ",
     {"   "}},
    {" ",
     {" "}},
    {"x ",
     {"x", " "}},
    {"x  ",
     {"x", "  "}},
    {"x   ",
     {"x", "   "}},
    {"  x",
     {" ", " x"}},
    {"\011\011x",
     {"\011", "\011x"}},
    {" \012",
     {" \012"}},
    {"\012 ",
     {"\012", " "}},
    {"\012\012\012",
     {"\012\012\012"}},
    {"a\012b",
     {"a", "\012", "b"}},
    {"a\012\012b",
     {"a", "\012\012", "b"}},
    {"a \012 b",
     {"a", " \012", " b"}},
    {"a\015\012b",
     {"a", "\015\012", "b"}},
    {"a\015\012\015\012b",
     {"a", "\015\012\015\012", "b"}},
    {"a \015\012  \015\012  b",
     {"a", " \015\012  \015\012", " ", " b"}},
    {"\015",
     {"\015"}},
    {"\015\015\012",
     {"\015\015\012"}},
    {"  \012  \012  x",
     {"  \012  \012", " ", " x"}},
    {"x\012  ",
     {"x", "\012", "  "}},
    {"x \012",
     {"x", " \012"}},
    {"\013\014x",
     {"\013", "\014x"}},
    {"a\302\205b",
     {"a", "\302\205b"}},
    {"a\302\205\302\205b",
     {"a", "\302\205", "\302\205b"}},
    {"a\342\200\250b",
     {"a", "\342\200\250b"}},
    {"a\342\200\251\012b",
     {"a", "\342\200\251\012", "b"}},
    {"a\342\200\200\342\200\201\342\200\202\342\200\203\342\200\204\342\200\205\342\200\206\342\200\207\342\200\210\342\200\211\342\200\212b",
     {"a", "\342\200\200\342\200\201\342\200\202\342\200\203\342\200\204\342\200\205\342\200\206\342\200\207\342\200\210\342\200\211", "\342\200\212b"}},
    {"a\342\200\257\342\201\237\343\200\200b",
     {"a", "\342\200\257\342\201\237", "\343\200\200b"}},
    {"a\341\232\200b",
     {"a", "\341\232\200b"}},
    {"a\341\240\216b",
     {"a", "\341\240\216b"}},
    {"a\357\273\277b",
     {"a", "\357\273\277b"}},
    {"a\342\200\213b",
     {"a", "\342\200\213b"}},
    {"a\342\200\213\342\200\213b",
     {"a", "\342\200\213\342\200\213", "b"}},
    {"a\034b",
     {"a", "\034b"}},
    {"\343\200\200\343\200\200",
     {"\343\200\200\343\200\200"}},
    {"!",
     {"!"}},
    {"!!!",
     {"!!!"}},
    {" !!!",
     {" !!!"}},
    {"  !!!",
     {" ", " !!!"}},
    {"!!!\012",
     {"!!!\012"}},
    {"!!!\012\012",
     {"!!!\012\012"}},
    {" \077\015\012\015\012x",
     {" \077\015\012\015\012", "x"}},
    {"...\012  ",
     {"...\012", "  "}},
    {"x...y",
     {"x", "...", "y"}},
    {"a->b",
     {"a", "->", "b"}},
    {"x == y",
     {"x", " ==", " y"}},
    {"{\012  \"k\": [1, 2]\012}\012",
     {"{\012", " ", " \"", "k", "\":", " [", "1", ",", " ", "2", "]\012", "}\012"}},
    {"#include <stdio.h>\012",
     {"#include", " <", "stdio", ".h", ">\012"}},
    {"// comment\012",
     {"//", " comment", "\012"}},
    {"<|eot_id|>",
     {"<|", "eot", "_id", "|>"}},
    {"<|begin_of_text|>hi",
     {"<|", "begin", "_of", "_text", "|>", "hi"}},
    {"foo(x);\012\011return 0;",
     {"foo", "(x", ");\012", "\011return", " ", "0", ";"}},
    {"\342\200\224\342\200\223",
     {"\342\200\224\342\200\223"}},
    {"\302\253\302\273",
     {"\302\253\302\273"}},
    {"\342\200\234quoted\342\200\235",
     {"\342\200\234quoted", "\342\200\235"}},
    {"@user #tag $5 %d ^_^",
     {"@user", " #", "tag", " $", "5", " %", "d", " ^_^"}},
    {"\354\225\210\353\205\225\355\225\230\354\204\270\354\232\224, \354\204\270\352\263\204!",
     {"\354\225\210\353\205\225\355\225\230\354\204\270\354\232\224", ",", " \354\204\270\352\263\204", "!"}},
    {"\355\225\234\352\265\255\354\226\264 \355\205\215\354\212\244\355\212\270\353\245\274 \354\262\230\353\246\254\355\225\251\353\213\210\353\213\244.",
     {"\355\225\234\352\265\255\354\226\264", " \355\205\215\354\212\244\355\212\270\353\245\274", " \354\262\230\353\246\254\355\225\251\353\213\210\353\213\244", "."}},
    {"\346\210\221\346\230\257\344\270\200\345\220\215\345\255\246\347\224\237\357\274\214\346\210\221\345\226\234\346\254\242\345\255\246\344\271\240\344\270\255\346\226\207\343\200\202",
     {"\346\210\221\346\230\257\344\270\200\345\220\215\345\255\246\347\224\237", "\357\274\214\346\210\221\345\226\234\346\254\242\345\255\246\344\271\240\344\270\255\346\226\207", "\343\200\202"}},
    {"\346\227\245\346\234\254\350\252\236\343\201\256\343\203\206\343\202\255\343\202\271\343\203\210\343\201\247\343\201\231\343\200\202\343\202\253\343\202\277\343\202\253\343\203\212",
     {"\346\227\245\346\234\254\350\252\236\343\201\256\343\203\206\343\202\255\343\202\271\343\203\210\343\201\247\343\201\231", "\343\200\202\343\202\253\343\202\277\343\202\253\343\203\212"}},
    {"\320\237\321\200\320\270\320\262\320\265\321\202, \320\274\320\270\321\200!",
     {"\320\237\321\200\320\270\320\262\320\265\321\202", ",", " \320\274\320\270\321\200", "!"}},
    {"\316\225\316\273\316\273\316\267\316\275\316\271\316\272\316\254 \316\263\317\201\316\254\316\274\316\274\316\261\317\204\316\261",
     {"\316\225\316\273\316\273\316\267\316\275\316\271\316\272\316\254", " \316\263\317\201\316\254\316\274\316\274\316\261\317\204\316\261"}},
    {"\327\242\327\221\327\250\327\231\327\252",
     {"\327\242\327\221\327\250\327\231\327\252"}},
    {"\330\247\331\204\330\271\330\261\330\250\331\212\330\251",
     {"\330\247\331\204\330\271\330\261\330\250\331\212\330\251"}},
    {"\340\244\271\340\244\277\340\244\250\340\245\215\340\244\246\340\245\200 \340\244\255\340\244\276\340\244\267\340\244\276",
     {"\340\244\271", "\340\244\277\340\244\250", "\340\245\215\340\244\246", "\340\245\200", " \340\244\255", "\340\244\276\340\244\267", "\340\244\276"}},
    {"\340\271\204\340\270\227\340\270\242",
     {"\340\271\204\340\270\227\340\270\242"}},
    {"\307\205ungla",
     {"\307\205ungla"}},
    {"\357\254\201ne",
     {"\357\254\201ne"}},
    {"\357\275\206\357\275\225\357\275\214\357\275\214\343\200\200\357\275\227\357\275\211\357\275\204\357\275\224\357\275\210",
     {"\357\275\206\357\275\225\357\275\214\357\275\214", "\343\200\200\357\275\227\357\275\211\357\275\204\357\275\224\357\275\210"}},
    {"\360\237\230\200",
     {"\360\237\230\200"}},
    {"\360\237\230\200\360\237\230\200\360\237\230\200",
     {"\360\237\230\200\360\237\230\200\360\237\230\200"}},
    {"hi \360\237\221\213 there",
     {"hi", " \360\237\221\213", " there"}},
    {" \360\237\221\215\360\237\217\275",
     {" \360\237\221\215\360\237\217\275"}},
    {"\360\237\221\250\342\200\215\360\237\221\251\342\200\215\360\237\221\247",
     {"\360\237\221\250\342\200\215\360\237\221\251\342\200\215\360\237\221\247"}},
    {"\360\237\207\260\360\237\207\267\360\237\207\257\360\237\207\265",
     {"\360\237\207\260\360\237\207\267\360\237\207\257\360\237\207\265"}},
    {"\342\235\244\357\270\217",
     {"\342\235\244\357\270\217"}},
    {"a\360\237\230\200b",
     {"a", "\360\237\230\200b"}},
    {"\360\256\257\260'M",
     {"\360\256\257\260", "'M"}},
    {"\341\262\211x",
     {"\341\262\211x"}},
    {"\360\261\215\220\360\261\215\221",
     {"\360\261\215\220\360\261\215\221"}},
    {"\363\240\200\201x",
     {"\363\240\200\201x"}},
    {"Hello world! It's a test.\012\012New paragraph:   indented\011tabs\015\012",
     {"Hello", " world", "!", " It", "'s", " a", " test", ".\012\012", "New", " paragraph", ":", "  ", " indented", "\011tabs", "\015\012"}},
    {"def f(x):\012    return x ** 2\012",
     {"def", " f", "(x", "):\012", "   ", " return", " x", " **", " ", "2", "\012"}},
    {"    \012    x",
     {"    \012", "   ", " x"}},
    {"x  \012  y",
     {"x", "  \012", " ", " y"}},
    {"don't DON'T Don'T",
     {"don", "'t", " DON", "'T", " Don", "'T"}},
    {"we'LL they'Ve",
     {"we", "'LL", " they", "'Ve"}},
    {"The year 2024's best",
     {"The", " year", " ", "202", "4", "'s", " best"}},
    {"a'b'c",
     {"a", "'b", "'c"}},
    {"#1: 'quoted' words",
     {"#", "1", ":", " '", "quoted", "'", " words"}},
    {"a.b,c;d:e",
     {"a", ".b", ",c", ";d", ":e"}},
    {" ' ",
     {" '", " "}},
    {"  'hello'  ",
     {" ", " '", "hello", "'", "  "}},
    {"\345\255\227\302\275a\345\255\227\357\273\277\331\243\357\273\277S",
     {"\345\255\227", "\302\275", "a\345\255\227", "\357\273\277", "\331\243", "\357\273\277S"}},
    {"\331\243\355\225\234\331\243S\342\200\213\302\240'\360\237\230\200",
     {"\331\243", "\355\225\234", "\331\243", "S", "\342\200\213", "\302\240", "'\360\237\230\200"}},
    {".1\302\205a\302\205\302\240",
     {".", "1", "\302\205a", "\302\205\302\240"}},
    {"\012al1 L'",
     {"\012", "al", "1", " L", "'"}},
    {"!\302\275\305\277",
     {"!", "\302\275", "\305\277"}},
    {"'\342\200\213",
     {"'\342\200\213"}},
    {"\305\277\305\277s asL",
     {"\305\277\305\277s", " asL"}},
    {"\355\225\234.\357\273\277!.\012'\305\277",
     {"\355\225\234", ".\357\273\277!.\012", "'\305\277"}},
    {"ts",
     {"ts"}},
    {"t.\345\255\227\012\302\240",
     {"t", ".\345\255\227", "\012", "\302\240"}},
    {"''\012t\343\200\200",
     {"''\012", "t", "\343\200\200"}},
    {".a",
     {".a"}},
    {"\302\240.a\302\275\314\201",
     {"\302\240", ".a", "\302\275", "\314\201"}},
    {"\360\237\230\200a\343\200\200L\314\201\302\240\342\200\213a\343\200\200",
     {"\360\237\230\200a", "\343\200\200L", "\314\201", "\302\240", "\342\200\213a", "\343\200\200"}},
    {"\011\302\240\343\200\200e!\314\201\302\275' ",
     {"\011\302\240", "\343\200\200e", "!\314\201", "\302\275", "'", " "}},
    {"\302\275\305\277\011\015 ",
     {"\302\275", "\305\277", "\011\015", " "}},
    {"\357\273\277!S\357\273\277\015\015",
     {"\357\273\277!", "S", "\357\273\277\015\015"}},
    {"\302\275'!L",
     {"\302\275", "'!", "L"}},
    {"L\011et\012 ",
     {"L", "\011et", "\012", " "}},
    {" \343\200\200 e \360\237\230\200",
     {" \343\200\200", " e", " \360\237\230\200"}},
    {".\012\015",
     {".\012\015"}},
    {"\355\225\234\331\243\012\357\273\277sl\345\255\227!",
     {"\355\225\234", "\331\243", "\012", "\357\273\277sl\345\255\227", "!"}},
    {"\302\240\343\200\200\331\243se",
     {"\302\240", "\343\200\200", "\331\243", "se"}},
    {"t  \305\277\012.\357\273\277\343\200\200!\357\273\277\015",
     {"t", " ", " \305\277", "\012", ".\357\273\277", "\343\200\200", "!\357\273\277\015"}},
    {"t\345\255\227l\011 \012\305\277\012\302\240l",
     {"t\345\255\227l", "\011 \012", "\305\277", "\012", "\302\240l"}},
    {"1s\305\277el\345\255\227\331\243\343\200\200",
     {"1", "s\305\277el\345\255\227", "\331\243", "\343\200\200"}},
    {"\302\275\355\225\234",
     {"\302\275", "\355\225\234"}},
    {"\331\243\345\255\227\012\331\243!\302\205SL\302\240\342\200\213\357\273\277",
     {"\331\243", "\345\255\227", "\012", "\331\243", "!", "\302\205SL", "\302\240", "\342\200\213\357\273\277"}},
    {"\345\255\227\314\201\305\277",
     {"\345\255\227", "\314\201\305\277"}},
    {"Ll\015aL\012\015lt",
     {"Ll", "\015", "aL", "\012\015", "lt"}},
    {"\360\237\230\200\345\255\227!'\345\255\227\355\225\234L1\015'",
     {"\360\237\230\200\345\255\227", "!'", "\345\255\227\355\225\234L", "1", "\015", "'"}},
    {"\355\225\234!s.\302\275l\302\2051s",
     {"\355\225\234", "!s", ".", "\302\275", "l", "\302\205", "1", "s"}},
    {"\331\243\012\355\225\234\360\237\230\200",
     {"\331\243", "\012", "\355\225\234", "\360\237\230\200"}},
    {"\314\201e ",
     {"\314\201e", " "}},
    {"a\302\240.",
     {"a", "\302\240", "."}},
    {"t\302\240 !\314\201\314\201l!",
     {"t", "\302\240", " !\314\201\314\201", "l", "!"}},
    {"1t\302\275\357\273\277\360\237\230\200La!\345\255\227SS",
     {"1", "t", "\302\275", "\357\273\277\360\237\230\200", "La", "!\345\255\227SS"}},
    {"S\360\237\230\200\360\237\230\200\302\240",
     {"S", "\360\237\230\200\360\237\230\200", "\302\240"}},
    {"\331\243\015\331\243\011'e.'",
     {"\331\243", "\015", "\331\243", "\011", "'e", ".'"}},
    {"\302\240\360\237\230\200\343\200\200",
     {"\302\240", "\360\237\230\200", "\343\200\200"}},
    {"\342\200\213\012 ",
     {"\342\200\213\012", " "}},
    {". ",
     {".", " "}},
    {"!\357\273\277L.\011!",
     {"!\357\273\277", "L", ".", "\011", "!"}},
    {"\012\331\243\302\275\302\275S\015",
     {"\012", "\331\243\302\275\302\275", "S", "\015"}},
    {"s\342\200\213 ! \302\275\357\273\277\012",
     {"s", "\342\200\213", " !", " ", "\302\275", "\357\273\277\012"}},
    {"\012\360\237\230\200\314\201\342\200\213\305\277",
     {"\012", "\360\237\230\200\314\201\342\200\213", "\305\277"}},
    {".' \343\200\200\342\200\213\355\225\234\360\237\230\200\345\255\227 !",
     {".'", " ", "\343\200\200", "\342\200\213\355\225\234", "\360\237\230\200\345\255\227", " !"}},
    {"te.",
     {"te", "."}},
    {".1L \302\240\314\201\331\243\331\243\314\201\302\205",
     {".", "1", "L", " ", "\302\240", "\314\201", "\331\243\331\243", "\314\201", "\302\205"}},
    {"a\342\200\213\302\240\342\200\213\305\277'\342\200\213\015 S",
     {"a", "\342\200\213", "\302\240", "\342\200\213\305\277", "'\342\200\213\015", " S"}},
    {". s\331\243\342\200\213e\345\255\227.a\357\273\277",
     {".", " s", "\331\243", "\342\200\213e\345\255\227", ".a", "\357\273\277"}},
    {"\342\200\213S\342\200\213\343\200\200\357\273\2771",
     {"\342\200\213S", "\342\200\213", "\343\200\200", "\357\273\277", "1"}},
    {"e\015L\355\225\234\305\277s \357\273\277.\011",
     {"e", "\015", "L\355\225\234\305\277s", " \357\273\277.", "\011"}},
    {"te '\011\302\275",
     {"te", " '", "\011", "\302\275"}},
    {"L'\012\302\205\012",
     {"L", "'\012", "\302\205\012"}},
    {"'a",
     {"'a"}},
    {"\011e ",
     {"\011e", " "}},
    {"\302\275\302\205S\012s1\355\225\234\015\302\240e\331\243",
     {"\302\275", "\302\205S", "\012", "s", "1", "\355\225\234", "\015", "\302\240e", "\331\243"}},
    {"!\305\277",
     {"!\305\277"}},
    {"\345\255\227L",
     {"\345\255\227L"}},
};
/* ---- END GENERATED ---- */

/* One test for the whole table (a loop test would fork once per case). */
START_TEST(test_pretok_table)
{
    for (size_t ci = 0; ci < N_ELEMS(pretok_cases); ci++) {
        const pretok_case *c = &pretok_cases[ci];
        size_t n = strlen(c->in), i = 0, k = 0;
        while (i < n) {
            size_t e = lf_pretok_next(c->in, n, i);
            if (!(e > i && e <= n))
                ck_abort_msg("case %zu: piece [%zu, %zu) of %zu", ci, i, e, n);
            if (k >= N_ELEMS(c->pieces) || c->pieces[k] == NULL)
                ck_abort_msg("case %zu \"%s\": more than %zu pieces", ci, c->in, k);
            size_t pl = strlen(c->pieces[k]);
            if (pl != e - i || memcmp(c->pieces[k], c->in + i, pl) != 0)
                ck_abort_msg("case %zu piece %zu: got \"%.*s\", expected \"%s\"", ci, k, (int)(e - i), c->in + i,
                             c->pieces[k]);
            k++;
            i = e;
        }
        if (k < N_ELEMS(c->pieces) && c->pieces[k] != NULL)
            ck_abort_msg("case %zu \"%s\": only %zu pieces", ci, c->in, k);
    }
}
END_TEST

/* Pieces are never empty, follow each other and cover the text, also for
 * bytes that are not UTF-8; in valid UTF-8 they never cut a character. */
START_TEST(test_pretok_cover)
{
    static const unsigned char pool[] = {'a', 'Z', '1', ' ', ' ', '\t', '\r', '\n', '\'', 's', 'L', '!', '.',
                                         0x80, 0xBF, 0xC2, 0xC5, 0xE2, 0xED, 0xF0, 0xF4, 0xF5, 0xFF, 0xA0, 0x85};
    g_rng = 1;
    char buf[64];
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = rnd(40);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)pool[rnd((uint32_t)sizeof pool)];
        for (size_t i = 0; i < n;) {
            size_t e = lf_pretok_next(buf, n, i);
            CHECK(e > i && e <= n);
            i = e;
        }
    }
    for (int iter = 0; iter < 5000; iter++) {
        size_t n = random_text(buf, sizeof buf);
        for (size_t i = 0; i < n;) {
            size_t e = lf_pretok_next(buf, n, i);
            CHECK(e > i && e <= n);
            if (e < n && ((unsigned char)buf[e] & 0xC0) == 0x80)
                ck_abort_msg("\"%s\": cut at %zu", buf, e);
            i = e;
        }
    }
}
END_TEST

static int one_piece(const char *s)
{
    size_t n = strlen(s);
    return lf_pretok_next(s, n, 0) == n;
}

/* Character classes at the edges: letters and digits newer than utf8proc
 * may know (Unicode 14-16), unassigned code points, what \s is not. */
START_TEST(test_pretok_classes)
{
    /* "a" + letter is one word */
    ck_assert(one_piece("a\xE0\xA1\xB0"));            /* U+0870 (Unicode 14) */
    ck_assert(one_piece("a\xF0\x9E\x80\xB0"));        /* U+1E030 (15.0, Lm) */
    ck_assert(one_piece("a\xF0\xB1\x8D\x90"));        /* U+31350 (15.0, CJK extension H) */
    ck_assert(one_piece("a\xF0\xAE\xAF\xB0"));        /* U+2EBF0 (15.1, CJK extension I) */
    ck_assert(one_piece("a\xE1\xB2\x89"));            /* U+1C89 (16.0) */
    ck_assert(one_piece("a\xC5\xBF"));                /* U+017F */
    ck_assert(!one_piece("a\xCD\xB8"));               /* U+0378 unassigned */
    ck_assert(!one_piece("a\xCC\x81"));               /* U+0301 combining: a mark, not a letter */
    /* "1" + number */
    ck_assert(one_piece("1\xF0\x90\xB5\x80"));        /* U+10D40 GARAY DIGIT ZERO (16.0) */
    ck_assert(one_piece("1\xF0\x91\xBD\x90"));        /* U+11F50 KAWI DIGIT ZERO (15.0) */
    ck_assert(one_piece("1\xC2\xBD"));                /* U+00BD No */
    ck_assert(one_piece("1\xE2\x85\xAB"));            /* U+216B Nl */
    ck_assert(!one_piece("1234"));                    /* three at most */
    /* "!" + other is one piece; "!" + space is not */
    ck_assert(one_piece("!\xEF\xBB\xBF"));            /* U+FEFF is not \s */
    ck_assert(one_piece("!\xE2\x80\x8B"));            /* U+200B */
    ck_assert(one_piece("!\xE1\xA0\x8E"));            /* U+180E */
    ck_assert(one_piece("!\x1C"));                    /* U+001C..001F are not White_Space */
    ck_assert(one_piece("!\xCD\xB8"));
    static const char *const spaces[] = {
        "\t", "\v", "\f", " ", "\xC2\x85", "\xC2\xA0", "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x81",
        "\xE2\x80\x82", "\xE2\x80\x83", "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86", "\xE2\x80\x87",
        "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAF",
        "\xE2\x81\x9F", "\xE3\x80\x80",
    };
    for (size_t i = 0; i < N_ELEMS(spaces); i++) {
        char s[16];
        snprintf(s, sizeof s, "!%s", spaces[i]);
        ck_assert_msg(!one_piece(s), "space %zu", i);
        snprintf(s, sizeof s, "%s%s!", spaces[i], spaces[i]);   /* \s+(?!\S): the last space goes with "!" */
        size_t n = strlen(s);
        ck_assert_msg(lf_pretok_next(s, n, 0) == strlen(spaces[i]), "space %zu", i);
    }
}
END_TEST

START_TEST(test_load_formats)
{
    lf_tokenizer *tj = load(&g_hand_json), *tp = load(&g_hand_json_pairs), *tm = load(&g_hand_model);
    ck_assert_uint_eq(lf_tokenizer_size(tj), 275);
    ck_assert_uint_eq(lf_tokenizer_size(tp), 275);
    ck_assert_uint_eq(lf_tokenizer_size(tm), 271 + 256);
    ck_assert_int_eq(lf_tokenizer_special_id(tj, "<|begin_of_text|>", 17), 271);
    ck_assert_int_eq(lf_tokenizer_special_id(tj, "<|eot_id|>", 10), 272);
    ck_assert_int_eq(lf_tokenizer_special_id(tj, "<|end_header_id|>", 17), 274);
    ck_assert_int_eq(lf_tokenizer_special_id(tj, "<|eom_id|>", 10), -1);
    static const struct {
        const char *name;
        int32_t id;
    } meta[] = {
        {"<|begin_of_text|>", 271},
        {"<|end_of_text|>", 272},
        {"<|reserved_special_token_0|>", 273},
        {"<|reserved_special_token_1|>", 274},
        {"<|finetune_right_pad_id|>", 275},
        {"<|reserved_special_token_2|>", 276},
        {"<|start_header_id|>", 277},
        {"<|end_header_id|>", 278},
        {"<|eom_id|>", 279},
        {"<|eot_id|>", 280},
        {"<|python_tag|>", 281},
        {"<|reserved_special_token_3|>", 282},
        {"<|reserved_special_token_100|>", 379},
        {"<|reserved_special_token_247|>", 526},
        {"<|reserved_special_token_248|>", -1},
        {"<|eot_id", -1},
        {"eot_id", -1},
        {"ab", -1},
        {"", -1},
    };
    for (size_t i = 0; i < N_ELEMS(meta); i++)
        ck_assert_msg(lf_tokenizer_special_id(tm, meta[i].name, strlen(meta[i].name)) == meta[i].id, "%s",
                      meta[i].name);
    for (int32_t id = 271; id < 527; id++) {    /* every special decodes to its name and back */
        lf_buf b = LF_BUF_INIT;
        CHECK(lf_detokenize(tm, &id, 1, &b) == 0);
        CHECK(lf_tokenizer_special_id(tm, b.data, b.len) == id);
        lf_buf_free(&b);
    }
    ck_assert_int_eq(lf_tokenizer_special_id(tj, "<|eot_id|> ", 10), 272);     /* n counts, not NUL */
    ck_assert_int_eq(lf_tokenizer_special_id(tj, "<|eot_id|> ", 11), -1);
    lf_tokenizer_free(tj);
    lf_tokenizer_free(tp);
    lf_tokenizer_free(tm);
}
END_TEST

/* tokenizer.json: merges by their rank in model.merges, ignore_merges on. */
START_TEST(test_hand_json)
{
    lf_tokenizer *t = load(&g_hand_json);
    const spec *h = &g_hand;
    expect_tokens(t, h, "ab", "ab", NULL);
    expect_tokens(t, h, "abc", "abc", NULL);
    expect_tokens(t, h, "abcd", "ab", "cd", NULL);          /* (c,d) ranks before (ab,c) */
    expect_tokens(t, h, "bcd", "b", "cd", NULL);            /* (c,d) ranks before (b,c) */
    expect_tokens(t, h, "bcab", "bc", "ab", NULL);
    expect_tokens(t, h, "aaa", "aa", "a", NULL);            /* equal ranks: leftmost first */
    expect_tokens(t, h, "aaaa", "aa", "aa", NULL);
    expect_tokens(t, h, "aaaaa", "aa", "aa", "a", NULL);
    expect_tokens(t, h, "\n\n\n", "\n\n", "\n", NULL);
    expect_tokens(t, h, "xyz", "xyz", NULL);                /* a token, though no merge makes it */
    expect_tokens(t, h, "xyzw", "xy", "z", "w", NULL);
    expect_tokens(t, h, " the", " the", NULL);
    expect_tokens(t, h, " then", " the", "n", NULL);
    expect_tokens(t, h, "hers", "he", "r", "s", NULL);
    expect_tokens(t, h, "it's", "i", "t", "'s", NULL);
    expect_tokens(t, h, "a  b", "a", " ", " ", "b", NULL);
    expect_tokens(t, h, "\xED\x95\x9C", "\xED\x95\x9C", NULL);
    expect_tokens(t, h, "\xED\x95\x9C\xEA\xB5\xAD", "\xED\x95\x9C", "\xEA", "\xB5", "\xAD", NULL);
    expect_tokens(t, h, "", NULL);
    lf_tokenizer_free(t);
}
END_TEST

/* ignore_merges off: a piece that is a token is still merged pair by pair. */
START_TEST(test_hand_json_no_ignore)
{
    lf_tokenizer *t = load(&g_hand_json_nim);
    const spec *h = &g_hand;
    expect_tokens(t, h, "xyz", "xy", "z", NULL);
    expect_tokens(t, h, "abc", "abc", NULL);
    expect_tokens(t, h, " the", " the", NULL);
    expect_tokens(t, h, "abcd", "ab", "cd", NULL);
    expect_tokens(t, h, "aaa", "aa", "a", NULL);
    lf_tokenizer_free(t);
}
END_TEST

/* tokenizer.model: the rank of a pair is the rank of the token it spells. */
START_TEST(test_hand_tiktoken)
{
    lf_tokenizer *t = load(&g_hand_model);
    const spec *h = &g_hand;
    expect_tokens(t, h, "abcd", "abc", "d", NULL);          /* "abc" (258) ranks before "cd" (270) */
    expect_tokens(t, h, "bcd", "bc", "d", NULL);
    expect_tokens(t, h, "xyz", "xyz", NULL);
    expect_tokens(t, h, "xyzw", "xyz", "w", NULL);          /* "xy"+"z" spells a token: merged */
    expect_tokens(t, h, "aaa", "aa", "a", NULL);
    expect_tokens(t, h, "aaaaa", "aa", "aa", "a", NULL);
    expect_tokens(t, h, " then", " the", "n", NULL);
    expect_tokens(t, h, "hers", "he", "r", "s", NULL);
    expect_tokens(t, h, "\n\n\n", "\n\n", "\n", NULL);
    expect_tokens(t, h, "it's", "i", "t", "'s", NULL);
    lf_tokenizer_free(t);
}
END_TEST

/* Copy of b with the first `from` replaced by `to` (from must be there). */
static void mutate(const lf_buf *b, const char *from, const char *to, lf_buf *out)
{
    out->len = 0;
    size_t fl = strlen(from);
    const char *hit = NULL;
    for (size_t i = 0; i + fl <= b->len && hit == NULL; i++)
        if (memcmp(b->data + i, from, fl) == 0)
            hit = b->data + i;
    ck_assert_msg(hit != NULL, "\"%s\" is not in the file", from);
    put(out, b->data, (size_t)(hit - b->data));
    puts_(out, to);
    put(out, hit + fl, b->len - (size_t)(hit - b->data) - fl);
}

/* A merge listed twice takes the rank of its last place (as Hugging Face's
 * tokenizers builds its merge map: later entries overwrite earlier ones). */
START_TEST(test_duplicate_merge)
{
    lf_buf b = LF_BUF_INIT;
    mutate(&g_hand_json_nim, "]}}", ", \"a b\"]}}", &b);
    lf_tokenizer *t = load(&b);
    expect_tokens(t, &g_hand, "abc", "a", "bc", NULL);     /* (b,c) now ranks before (a,b) */
    expect_tokens(t, &g_hand, "ab", "ab", NULL);
    lf_tokenizer_free(t);
    lf_buf_free(&b);
}
END_TEST

static void assert_same_ids(const lf_ids *a, const lf_ids *b, const char *what, const char *text)
{
    int same = a->n == b->n && (a->n == 0 || memcmp(a->v, b->v, a->n * sizeof *a->v) == 0);
    if (!same) {
        size_t k = 0;
        while (k < a->n && k < b->n && a->v[k] == b->v[k])
            k++;
        ck_abort_msg("%s: \"%s\": %zu vs %zu ids, first difference at %zu", what, text, a->n, b->n, k);
    }
}

/* Merges written as ["a", "b"] load the same as "a b". */
START_TEST(test_pair_form)
{
    lf_tokenizer *a = load(&g_hand_json), *b = load(&g_hand_json_pairs);
    lf_ids x = LF_IDS_INIT, y = LF_IDS_INIT;
    char buf[256];
    g_rng = 2;
    for (int i = 0; i < 500; i++) {
        random_text(buf, sizeof buf);
        enc(a, buf, &x);
        enc(b, buf, &y);
        assert_same_ids(&x, &y, "pairs", buf);
    }
    lf_ids_free(&x);
    lf_ids_free(&y);
    lf_tokenizer_free(a);
    lf_tokenizer_free(b);
}
END_TEST

/* The trained tokenizer in all three forms against the plain encoder, and
 * tokenizer.json against tokenizer.model. */
START_TEST(test_trained_exact)
{
    ck_assert_uint_ge(g_trained.ntok, 400);
    ck_assert_uint_ge(g_trained.nmerge, 200);
    lf_tokenizer *tj = load(&g_tr_json), *tn = load(&g_tr_json_nim), *tm = load(&g_tr_model);
    lf_tok_state *sj = lf_tok_state_new(tj), *sn = lf_tok_state_new(tn), *sm = lf_tok_state_new(tm);
    ck_assert(sj != NULL && sn != NULL && sm != NULL);
    lf_ids a = LF_IDS_INIT, b = LF_IDS_INIT;
    char buf[256];
    g_rng = 3;
    for (int i = 0; i < 3000; i++) {
        size_t n = random_text(buf, sizeof buf);
        a.n = 0;
        CHECK(lf_tokenize(sj, buf, n, &a) == LF_OK);
        b.n = 0;
        naive_encode(&g_trained, 0, 1, buf, n, &b);
        assert_same_ids(&a, &b, "json", buf);
        b.n = 0;
        CHECK(lf_tokenize(sm, buf, n, &b) == LF_OK);
        assert_same_ids(&a, &b, "json vs model", buf);
        a.n = 0;
        naive_encode(&g_trained, 1, 1, buf, n, &a);
        assert_same_ids(&a, &b, "model", buf);
        a.n = 0;
        CHECK(lf_tokenize(sn, buf, n, &a) == LF_OK);
        b.n = 0;
        naive_encode(&g_trained, 0, 0, buf, n, &b);
        assert_same_ids(&a, &b, "json without ignore_merges", buf);
    }
    /* the sample itself, in one go */
    a.n = b.n = 0;
    ck_assert_int_eq(lf_tokenize(sj, train_text, sizeof train_text - 1, &a), LF_OK);
    naive_encode(&g_trained, 0, 1, train_text, sizeof train_text - 1, &b);
    assert_same_ids(&a, &b, "json", "train_text");
    ck_assert_uint_lt(2 * a.n, sizeof train_text - 1);       /* the merges do compress it */
    lf_ids_free(&a);
    lf_ids_free(&b);
    lf_tok_state_free(sj);
    lf_tok_state_free(sn);
    lf_tok_state_free(sm);
    lf_tokenizer_free(tj);
    lf_tokenizer_free(tn);
    lf_tokenizer_free(tm);
}
END_TEST

/* Special-token text in content is just characters. */
START_TEST(test_special_text_is_text)
{
    static const char *const texts[] = {
        "<|eot_id|>", "<|begin_of_text|>Hello<|eot_id|>", " <|start_header_id|>user<|end_header_id|>\n\n",
        "<|reserved_special_token_7|>", "<|eom_id|><|python_tag|>",
    };
    const lf_buf *files[] = {&g_tr_json, &g_tr_model, &g_hand_json, &g_hand_model};
    const spec *specs[] = {&g_trained, &g_trained, &g_hand, &g_hand};
    for (size_t f = 0; f < N_ELEMS(files); f++) {
        lf_tokenizer *t = load(files[f]);
        for (size_t i = 0; i < N_ELEMS(texts); i++) {
            lf_ids ids = LF_IDS_INIT, want = LF_IDS_INIT;
            enc(t, texts[i], &ids);
            naive_encode(specs[f], f % 2, 1, texts[i], strlen(texts[i]), &want);
            assert_same_ids(&ids, &want, "special text", texts[i]);
            for (size_t k = 0; k < ids.n; k++)
                CHECK((size_t)ids.v[k] < specs[f]->ntok);
            lf_buf back = LF_BUF_INIT;
            ck_assert_int_eq(lf_detokenize(t, ids.v, ids.n, &back), 0);
            ck_assert(back.len == strlen(texts[i]) && memcmp(back.data, texts[i], back.len) == 0);
            lf_buf_free(&back);
            lf_ids_free(&ids);
            lf_ids_free(&want);
        }
        lf_tokenizer_free(t);
    }
}
END_TEST

START_TEST(test_detokenize)
{
    lf_tokenizer *t = load(&g_tr_json);
    lf_tok_state *s = lf_tok_state_new(t);
    lf_ids ids = LF_IDS_INIT;
    lf_buf back = LF_BUF_INIT;
    char buf[256];
    g_rng = 4;
    for (int i = 0; i < 3000; i++) {
        size_t n;
        if (i % 2) {
            n = random_text(buf, sizeof buf);
        } else {        /* any bytes at all */
            n = rnd(60);
            for (size_t k = 0; k < n; k++)
                buf[k] = (char)rnd(256);
        }
        ids.n = 0;
        back.len = 0;
        CHECK(lf_tokenize(s, buf, n, &ids) == LF_OK);
        CHECK(lf_detokenize(t, ids.v, ids.n, &back) == 0);
        CHECK(back.len == n && memcmp(back.data, buf, n) == 0);
    }
    /* specials decode to their text; bad ids fail and leave out alone */
    int32_t sp[] = {lf_tokenizer_special_id(t, "<|eot_id|>", 10), perm('a')};
    back.len = 0;
    ck_assert_int_eq(lf_detokenize(t, sp, 2, &back), 0);
    ck_assert(back.len == 11 && memcmp(back.data, "<|eot_id|>a", 11) == 0);
    int32_t bad[][2] = {{perm('a'), (int32_t)lf_tokenizer_size(t)}, {-1, 5}, {5, INT32_MAX}};
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        ck_assert_int_eq(lf_detokenize(t, bad[i], 2, &back), -1);
        ck_assert(back.len == 11 && memcmp(back.data, "<|eot_id|>a", 11) == 0);
    }
    ck_assert_int_eq(lf_detokenize(t, NULL, 0, &back), 0);
    ck_assert_uint_eq(back.len, 11);
    lf_buf_free(&back);
    lf_ids_free(&ids);
    lf_tok_state_free(s);
    lf_tokenizer_free(t);
}
END_TEST

/* The word cache never changes a result: cold, warm, and a cache of one
 * or two slots that evicts on nearly every piece. */
START_TEST(test_cache)
{
    lf_tokenizer *t = load(&g_tr_json);
    lf_buf text = LF_BUF_INIT;
    char buf[256];
    g_rng = 5;
    for (int i = 0; i < 2000; i++) {
        size_t n = random_text(buf, sizeof buf);
        put(&text, buf, n);
    }
    /* pieces longer than the cache keeps, and with many ids */
    puts_(&text, " pneumonoultramicroscopicsilicovolcanoconiosis \xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80"
                 "\xF0\x9F\x98\x80 qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq");
    lf_ids want = LF_IDS_INIT, got = LF_IDS_INIT;
    naive_encode(&g_trained, 0, 1, text.data, text.len, &want);

    lf_tok_state *s = lf_tok_state_new(t);
    ck_assert_int_eq(lf_tokenize(s, text.data, text.len, &got), LF_OK);
    assert_same_ids(&got, &want, "cold cache", "random text");
    lf_tok_cache_stats cold = lf_tok_state_stats(s);
    ck_assert_uint_gt(cold.hits, 0);
    ck_assert_uint_gt(cold.misses, 0);
    got.n = 0;
    ck_assert_int_eq(lf_tokenize(s, text.data, text.len, &got), LF_OK);
    assert_same_ids(&got, &want, "warm cache", "random text");
    lf_tok_cache_stats warm = lf_tok_state_stats(s);
    ck_assert_uint_gt(warm.hits - cold.hits, warm.misses - cold.misses);
    lf_tok_state_free(s);

    for (size_t slots = 1; slots <= 2; slots++) {
        s = lf_tok_state_new_sized(t, slots);
        ck_assert_ptr_nonnull(s);
        got.n = 0;
        ck_assert_int_eq(lf_tokenize(s, text.data, text.len, &got), LF_OK);
        assert_same_ids(&got, &want, "tiny cache", "random text");
        ck_assert_uint_gt(lf_tok_state_stats(s).evictions, 1000);
        lf_tok_state_free(s);
    }
    /* two words taking turns in one slot */
    s = lf_tok_state_new_sized(t, 1);
    lf_ids one = LF_IDS_INIT, two = LF_IDS_INIT;
    enc(t, " fox", &one);
    enc(t, "abc", &two);
    for (int i = 0; i < 50; i++) {
        got.n = 0;
        CHECK(lf_tokenize(s, i % 2 ? " fox" : "abc", i % 2 ? 4 : 3, &got) == LF_OK);
        assert_same_ids(&got, i % 2 ? &one : &two, "one slot", "turns");
    }
    lf_tok_state_free(s);
    ck_assert_ptr_null(lf_tok_state_new_sized(t, 0));
    ck_assert_ptr_null(lf_tok_state_new_sized(t, 3));
    lf_ids_free(&one);
    lf_ids_free(&two);
    lf_ids_free(&want);
    lf_ids_free(&got);
    lf_buf_free(&text);
    lf_tokenizer_free(t);
}
END_TEST

typedef struct tagged {
    uint64_t key;
    uint32_t idx;
} tagged;

static int cmp_tagged(const void *x, const void *y)
{
    const tagged *a = x, *b = y;
    return a->key < b->key ? -1 : a->key > b->key ? 1 : a->idx < b->idx ? -1 : a->idx > b->idx;
}

static void word12(uint32_t idx, char out[13])
{
    memcpy(out, "abcdefgh", 8);
    for (int k = 0; k < 4; k++) {
        out[8 + k] = (char)('a' + idx % 26);
        idx /= 26;
    }
    out[12] = '\0';
}

/* Two 12-byte words with the same first 8 bytes, the same table slot and
 * the same tag: the table must still tell them apart by their bytes. */
START_TEST(test_tag_collision)
{
    size_t n = 26 * 26 * 26 * 26;
    tagged *all = malloc(n * sizeof *all);
    ck_assert_ptr_nonnull(all);
    uint32_t mask = lf_tok_table_size(g_hand.ntok + 1) - 1;
    for (uint32_t i = 0; i < n; i++) {
        char w[13];
        word12(i, w);
        uint64_t h = lf_tok_hash(w, 12);
        all[i].key = (uint64_t)lf_tok_tag(h, 12) << 32 | ((uint32_t)h & mask);
        all[i].idx = i;
    }
    qsort(all, n, sizeof *all, cmp_tagged);
    size_t k = 0;
    while (k + 1 < n && all[k].key != all[k + 1].key)
        k++;
    ck_assert_msg(k + 1 < n, "no collision found");
    char a[13], b[13];
    word12(all[k].idx, a);
    word12(all[k + 1].idx, b);
    free(all);

    lf_buf file = LF_BUF_INIT;
    put(&file, g_hand_model.data, g_hand_model.len);
    put_base64(&file, (const unsigned char *)a, 12);
    putf(&file, " %zu\n", g_hand.ntok);
    lf_tokenizer *t = load(&file);
    lf_ids ids = LF_IDS_INIT;
    enc(t, a, &ids);
    ck_assert(ids.n == 1 && ids.v[0] == (int32_t)g_hand.ntok);
    enc(t, b, &ids);
    ck_assert_msg(ids.n > 1, "\"%s\" taken for \"%s\"", b, a);
    lf_buf back = LF_BUF_INIT;
    ck_assert_int_eq(lf_detokenize(t, ids.v, ids.n, &back), 0);
    ck_assert(back.len == 12 && memcmp(back.data, b, 12) == 0);
    lf_buf_free(&back);
    lf_ids_free(&ids);
    lf_tokenizer_free(t);
    lf_buf_free(&file);
}
END_TEST

/* Long pieces (the heap-based merge) against the plain encoder. */
START_TEST(test_long_pieces)
{
    const lf_buf *files[] = {&g_hand_json, &g_hand_json_nim, &g_hand_model};
    static const int tik[] = {0, 0, 1}, ign[] = {1, 0, 1};
    char *text = malloc(601);
    ck_assert_ptr_nonnull(text);
    g_rng = 6;
    for (int round = 0; round < 4; round++) {
        static const char letters[] = "abcdxyzher";
        for (size_t i = 0; i < 600; i++)
            text[i] = round == 0 ? 'a' : letters[rnd(round == 1 ? 2 : 10)];
        text[600] = '\0';
        for (size_t f = 0; f < N_ELEMS(files); f++) {
            lf_tokenizer *t = load(files[f]);
            lf_ids a = LF_IDS_INIT, b = LF_IDS_INIT;
            enc(t, text, &a);
            naive_encode(&g_hand, tik[f], ign[f], text, 600, &b);
            assert_same_ids(&a, &b, "long piece", "600 letters");
            lf_ids_free(&a);
            lf_ids_free(&b);
            lf_tokenizer_free(t);
        }
    }
    free(text);
    /* a megabyte of one word: merged in O(n log n), round trip intact */
    size_t n = (size_t)1 << 20;
    text = malloc(n);
    ck_assert_ptr_nonnull(text);
    for (size_t i = 0; i < n; i++)
        text[i] = "abcdxyz"[rnd(7)];
    lf_tokenizer *t = load(&g_tr_model);
    lf_tok_state *s = lf_tok_state_new(t);
    lf_ids ids = LF_IDS_INIT;
    lf_buf back = LF_BUF_INIT;
    ck_assert_int_eq(lf_tokenize(s, text, n, &ids), LF_OK);
    ck_assert_int_eq(lf_detokenize(t, ids.v, ids.n, &back), 0);
    ck_assert(back.len == n && memcmp(back.data, text, n) == 0);
    lf_buf_free(&back);
    lf_ids_free(&ids);
    lf_tok_state_free(s);
    lf_tokenizer_free(t);
    free(text);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Refusing files                                                           */
/* ------------------------------------------------------------------------ */

typedef struct refusal {
    const char *from, *to;      /* the mutation; from == NULL: `to` is the whole file */
    lf_code code;
    const char *msg;            /* a part of the message */
    uint64_t line;              /* err.line expected (0: none) */
} refusal;

static const refusal json_refusals[] = {
    {"\"type\": \"BPE\"", "\"type\": \"WordPiece\"", LF_E_USAGE, "model.type is \"WordPiece\"", 0},
    {"\"type\": \"BPE\", ", "", LF_E_USAGE, "model.type is missing", 0},
    {"\"normalizer\": null", "\"normalizer\": {\"type\": \"NFC\"}", LF_E_USAGE, "normalizer", 0},
    {"\"type\": \"Sequence\", \"pretokenizers\"", "\"type\": \"Sequenze\", \"pretokenizers\"", LF_E_USAGE,
     "pre_tokenizer is not the Llama 3 one", 0},
    {"\"pre_tokenizer\": {", "\"pre_tokenizer\": null, \"p\": {", LF_E_USAGE, "pre_tokenizer is not the Llama 3 one", 0},
    {"{\"type\": \"Split\"", "{\"type\": \"Splat\"", LF_E_USAGE, "first pre-tokenizer is not a Split", 0},
    {"{1,3}", "{1,4}", LF_E_USAGE, "split regex is not the Llama 3 one", 0},
    {"\\\\s+(?!\\\\S)|\\\\s+\"", "\\\\s+(?!\\\\S)|\\\\s+ \"", LF_E_USAGE, "split regex is not the Llama 3 one", 0},
    {"{\"Regex\": ", "{\"String\": ", LF_E_USAGE, "no Regex pattern", 0},
    {"\"behavior\": \"Isolated\"", "\"behavior\": \"Removed\"", LF_E_USAGE, "behavior", 0},
    {"\"invert\": false", "\"invert\": true", LF_E_USAGE, "inverted", 0},
    {"{\"type\": \"ByteLevel\", \"add_prefix_space\": false", "{\"type\": \"ByteLevel\", \"add_prefix_space\": true",
     LF_E_USAGE, "add_prefix_space false", 0},
    {"\"trim_offsets\": true, \"use_regex\": false}", "\"trim_offsets\": true}", LF_E_USAGE, "use_regex false", 0},
    {"\"use_regex\": false", "\"use_regex\": true", LF_E_USAGE, "use_regex false", 0},
    {"\"decoder\": {\"type\": \"ByteLevel\"", "\"decoder\": {\"type\": \"WordPiece\"", LF_E_USAGE,
     "decoder is not ByteLevel", 0},
    {"\"decoder\": {", "\"decoder\": null, \"x\": {", LF_E_USAGE, "decoder is not ByteLevel", 0},
    {"\"dropout\": null", "\"dropout\": 0.1", LF_E_USAGE, "model.dropout is set", 0},
    {"\"unk_token\": null", "\"unk_token\": \"a\"", LF_E_USAGE, "model.unk_token is set", 0},
    {"\"continuing_subword_prefix\": null", "\"continuing_subword_prefix\": \"##\"", LF_E_USAGE,
     "continuing_subword_prefix", 0},
    {"\"end_of_word_suffix\": null", "\"end_of_word_suffix\": \"</w>\"", LF_E_USAGE, "end_of_word_suffix", 0},
    {"\"byte_fallback\": false", "\"byte_fallback\": true", LF_E_USAGE, "byte_fallback", 0},
    {"\"ignore_merges\": true", "\"ignore_merges\": 1", LF_E_USAGE, "ignore_merges is not a boolean", 0},
    {"\"special\": true}", "\"special\": false}", LF_E_USAGE, "\"<|begin_of_text|>\" is not special", 0},
    {"{\"id\": 271,", "{\"id\": 5,", LF_E_USAGE, "does not have an id in 271..274", 0},
    {"{\"id\": 271,", "{\"id\": 272,", LF_E_USAGE, "id 272 appears twice in added_tokens", 0},
    {"{\"id\": 271,", "{\"id\": 271.5,", LF_E_USAGE, "does not have an id", 0},
    {"\"<|eot_id|>\"", "\"<|begin_of_text|>\"", LF_E_USAGE, "are both \"<|begin_of_text|>\"", 0},
    {"\"content\": \"<|begin_of_text|>\"", "\"content\": \"\"", LF_E_USAGE, "has no \"content\" text", 0},
    {"\"added_tokens\": [", "\"added_tokens\": {}, \"a\": [", LF_E_USAGE, "added_tokens is not an array", 0},
    {"\"a\": 170,", "\"a\": 99999,", LF_E_USAGE, "model.vocab[\"a\"] is not an id in 0..270", 0},
    {"\"a\": 170,", "\"a\": \"170\",", LF_E_USAGE, "model.vocab[\"a\"] is not an id", 0},
    {"\"b\": 177,", "\"b\": 170,", LF_E_USAGE, "id 170 appears twice in model.vocab", 0},
    {"\"ab\": 256", "\"a b\": 256", LF_E_USAGE, "\"a b\"] is not spelled in the byte-level alphabet", 0},
    {"\"ab\": 256", "\"a\\u0400b\": 256", LF_E_USAGE, "byte-level alphabet", 0},
    {"\"z\": 89", "\"zq\": 89", LF_E_USAGE, "no token for the single byte 0x7a", 0},
    {"\"xyz\": 269", "\"abc\": 269", LF_E_USAGE, "tokens 258 and 269 are the same bytes \"abc\"", 0},
    {"\"vocab\": {", "\"vocab\": [], \"v\": {", LF_E_USAGE, "model.vocab is not an object", 0},
    {"\"merges\": [", "\"merges\": [\"q q\", ", LF_E_USAGE, "model.merges[0]: \"qq\" is not in model.vocab", 0},
    {"\"merges\": [", "\"merges\": [\"qz a\", ", LF_E_USAGE, "model.merges[0]: \"qz\" is not in model.vocab", 0},
    {"\"merges\": [", "\"merges\": [\"a qz\", ", LF_E_USAGE, "model.merges[0]: \"qz\" is not in model.vocab", 0},
    {"\"merges\": [", "\"merges\": [\"\\u0100 a\", ", LF_E_USAGE, "\"\\x00a\" is not in model.vocab", 0},
    {"\"merges\": [", "\"merges\": [\"a b\", \"a b c\", ", LF_E_USAGE,
     "model.merges[1] is not two tokens separated by one space", 0},
    {"\"merges\": [", "\"merges\": [\"ab\", ", LF_E_USAGE, "not two tokens separated by one space", 0},
    {"\"merges\": [", "\"merges\": [\" a\", ", LF_E_USAGE, "not two tokens separated by one space", 0},
    {"\"merges\": [", "\"merges\": [7, ", LF_E_USAGE, "model.merges[0] is neither \"a b\" nor", 0},
    {"\"merges\": [", "\"merges\": [[\"a\"], ", LF_E_USAGE, "model.merges[0] is neither \"a b\" nor", 0},
    {"\"merges\": [", "\"merges\": [\"\\u0101 \", ", LF_E_USAGE, "not two tokens separated by one space", 0},
    {"\"merges\": [", "\"merges\": [\"\\u0101 \\u0400\", ", LF_E_USAGE, "is not in the byte-level alphabet", 0},
    {"\"merges\": [", "\"merges\": 5, \"m\": [", LF_E_USAGE, "model.merges is not an array", 0},
    {"\"model\": {", "\"model\": [], \"m\": {", LF_E_USAGE, "no \"model\" object", 0},
    {"\"version\"", "\"version\" \"", LF_E_USAGE, "not valid JSON", 1},
    {NULL, "", LF_E_USAGE, "the file is empty", 0},
    {NULL, " \n\t\r\n ", LF_E_USAGE, "the file is empty", 0},
    {NULL, "[1, 2]", LF_E_USAGE, "neither a tokenizer.json", 0},
    {NULL, "\"tokenizer\"", LF_E_USAGE, "neither a tokenizer.json", 0},
    {NULL, "\xEF\xBB\xBF{}", LF_E_USAGE, "neither a tokenizer.json", 0},
    {NULL, "{}", LF_E_USAGE, "no \"model\" object", 0},
    {NULL, "{} {}", LF_E_USAGE, "bytes after the JSON value", 1},
    {NULL, "{\"a\": 1}\n\nx", LF_E_USAGE, "bytes after the JSON value", 3},
    {NULL, "{\"a\": [1, 2,]}", LF_E_USAGE, "not valid JSON", 1},
    {NULL, "{\"a\": \"\\ud800\"}", LF_E_USAGE, "not valid JSON", 1},
    {NULL, "{\"a\": 0123}", LF_E_USAGE, "no \"model\" object", 0},    /* cJSON takes 0123 */
    {NULL, "{\"a\":\n\n  tru}", LF_E_USAGE, "not valid JSON", 3},
};

static void check_refusal(const refusal *r, const lf_buf *base, const char *name)
{
    lf_buf text = LF_BUF_INIT;
    if (r->from != NULL)
        mutate(base, r->from, r->to, &text);
    else
        puts_(&text, r->to);
    lf_tokenizer *t = (lf_tokenizer *)&text;    /* must be set to NULL */
    lf_error err = LF_ERROR_INIT;
    lf_code rc = lf_tokenizer_load_mem(text.data, text.len, name, &t, &err);
    ck_assert_msg(rc == r->code, "\"%s\" -> \"%s\": code %d (%s), expected %d", r->from ? r->from : "", r->to, rc,
                  err.msg, r->code);
    ck_assert_int_eq(err.code, r->code);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(err.msg, r->msg) != NULL, "message \"%s\" lacks \"%s\"", err.msg, r->msg);
    ck_assert_ptr_eq(err.file, name);
    ck_assert_msg(err.line == r->line, "\"%s\": line %llu, expected %llu", err.msg, (unsigned long long)err.line,
                  (unsigned long long)r->line);
    lf_buf_free(&text);
}

START_TEST(test_json_refusals)
{
    check_refusal(&json_refusals[_i], &g_hand_json, "tok.json");
}
END_TEST

static const refusal model_refusals[] = {
    {"eg== 89\n", "eg== 89\n!!!! 90\n", LF_E_USAGE, "the token is not valid base64", 91},
    {"eg== 89\n", "eg== 89\nYQ= 90\n", LF_E_USAGE, "the token is not valid base64", 91},
    {"eg== 89\n", "eg== 89\nY=Q= 90\n", LF_E_USAGE, "the token is not valid base64", 91},
    {"eg== 89\n", "eg== 89\nYQ==\n", LF_E_USAGE, "expected \"BASE64 RANK\"", 91},
    {"eg== 89\n", "eg== 89\nYQ== 271 5\n", LF_E_USAGE, "expected \"BASE64 RANK\"", 91},
    {"eg== 89\n", "eg== 89\nYQ== x\n", LF_E_USAGE, "expected \"BASE64 RANK\"", 91},
    {"eg== 89\n", "eg== 89\nYQ== -1\n", LF_E_USAGE, "expected \"BASE64 RANK\"", 91},
    {"eg== 89\n", "eg== 89\ncXE= 99999999999\n", LF_E_USAGE, "the rank is too large", 91},
    {"eg== 89\n", "eg== 89\ncXE= 300\n", LF_E_USAGE, "rank 300 is not in 0..271", 91},
    {"eg== 89\n", "eg== 89\ncXE= 5\n", LF_E_USAGE, "rank 5 appears twice", 91},
    {"eg== 89\n", "eg== 89\nYQ== 271\n", LF_E_USAGE, "the same bytes \"a\"", 0},
    {"eg== 89\n", "enE= 89\n", LF_E_USAGE, "no token for the single byte 0x7a", 0},
    {NULL, "=YQ= 0\n", LF_E_USAGE, "neither a tokenizer.json", 0},
    {NULL, "\n\n", LF_E_USAGE, "the file is empty", 0},
    {NULL, "YQ== 0\n", LF_E_USAGE, "no token for the single byte 0x00", 0},
};

START_TEST(test_model_refusals)
{
    check_refusal(&model_refusals[_i], &g_hand_model, "tok.model");
}
END_TEST

/* The rank order of the lines does not matter, nor blank lines, CR LF
 * line ends and extra spaces or tabs. */
START_TEST(test_model_layout)
{
    lf_buf b = LF_BUF_INIT;
    puts_(&b, "\r\n");
    for (size_t k = 0; k < g_hand.ntok; k++) {
        size_t id = (k * 101) % g_hand.ntok;      /* 101 is prime to 271: a permutation */
        put_base64(&b, g_hand.tok[id], g_hand.len[id]);
        putf(&b, k % 3 ? " %zu\r\n" : " \t %zu \r\n\n", id);
    }
    lf_tokenizer *a = load(&g_hand_model), *c = load(&b);
    lf_ids x = LF_IDS_INIT, y = LF_IDS_INIT;
    char buf[256];
    g_rng = 7;
    for (int i = 0; i < 300; i++) {
        random_text(buf, sizeof buf);
        enc(a, buf, &x);
        enc(c, buf, &y);
        assert_same_ids(&x, &y, "layout", buf);
    }
    ck_assert_uint_eq(lf_tokenizer_size(c), 527);
    lf_ids_free(&x);
    lf_ids_free(&y);
    lf_tokenizer_free(a);
    lf_tokenizer_free(c);
    lf_buf_free(&b);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Files                                                                    */
/* ------------------------------------------------------------------------ */

static void write_file(const char *path, const lf_buf *b)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b->data, 1, b->len, f), b->len);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_load_files)
{
    char dir[] = "/tmp/check_tokenizer.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char pj[64], pm[64], missing[64];
    snprintf(pj, sizeof pj, "%s/tokenizer.json", dir);
    snprintf(pm, sizeof pm, "%s/any-name.bin", dir);     /* the content decides, not the name */
    snprintf(missing, sizeof missing, "%s/missing.json", dir);
    write_file(pj, &g_hand_json);
    write_file(pm, &g_hand_model);

    lf_tokenizer *t = NULL;
    lf_error err = LF_ERROR_INIT;
    ck_assert_int_eq(lf_tokenizer_load(pj, &t, &err), LF_OK);
    ck_assert_uint_eq(lf_tokenizer_size(t), 275);
    expect_tokens(t, &g_hand, "abcd", "ab", "cd", NULL);
    lf_tokenizer_free(t);
    ck_assert_int_eq(lf_tokenizer_load(pm, &t, &err), LF_OK);
    ck_assert_uint_eq(lf_tokenizer_size(t), 527);
    expect_tokens(t, &g_hand, "abcd", "abc", "d", NULL);
    lf_tokenizer_free(t);

    t = (lf_tokenizer *)&err;
    ck_assert_int_eq(lf_tokenizer_load(missing, &t, &err), LF_E_IO);
    ck_assert_ptr_null(t);
    ck_assert_ptr_eq(err.file, missing);
    ck_assert_ptr_nonnull(strstr(err.msg, "cannot open"));
    lf_error_clear(&err);
    ck_assert_int_eq(lf_tokenizer_load(dir, &t, &err), LF_E_IO);
    ck_assert_ptr_eq(err.file, dir);
    ck_assert_ptr_nonnull(strstr(err.msg, "directory"));

    /* an unusable file names itself too */
    lf_buf bad = LF_BUF_INIT;
    puts_(&bad, "{\"model\": 1}");
    write_file(pj, &bad);
    lf_error_clear(&err);
    ck_assert_int_eq(lf_tokenizer_load(pj, &t, &err), LF_E_USAGE);
    ck_assert_ptr_eq(err.file, pj);
    bad.len = 0;
    write_file(pj, &bad);
    ck_assert_int_eq(lf_tokenizer_load(pj, &t, &err), LF_E_USAGE);
    ck_assert_ptr_nonnull(strstr(err.msg, "empty"));
    lf_buf_free(&bad);

    /* not a regular file: read, not mapped */
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_uint_lt(g_hand_model.len, 60000);     /* fits in the pipe */
    ck_assert_int_eq((int)write(fds[1], g_hand_model.data, g_hand_model.len), (int)g_hand_model.len);
    close(fds[1]);
    char pp[32];
    snprintf(pp, sizeof pp, "/dev/fd/%d", fds[0]);
    ck_assert_int_eq(lf_tokenizer_load(pp, &t, &err), LF_OK);
    expect_tokens(t, &g_hand, "xyzw", "xyz", "w", NULL);
    lf_tokenizer_free(t);
    close(fds[0]);

    unlink(pj);
    unlink(pm);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Memory exhaustion                                                        */
/* ------------------------------------------------------------------------ */

/* Growth that cannot be represented fails cleanly, leaving things as they were. */
START_TEST(test_nomem_overflow)
{
    int32_t dummy[1] = {7};
    lf_ids ids = {dummy, SIZE_MAX / sizeof(int32_t), SIZE_MAX / sizeof(int32_t)};
    ck_assert_int_eq(lf_ids_push(&ids, 1), -1);
    ck_assert(ids.v == dummy && ids.n == SIZE_MAX / sizeof(int32_t));
    lf_tokenizer *t = load(&g_hand_json);
    lf_tok_state *s = lf_tok_state_new(t);
    ck_assert_int_eq(lf_tokenize(s, "abc", 3, &ids), LF_E_NOMEM);       /* a whole-token piece */
    ck_assert_int_eq(lf_tokenize(s, "abcd", 4, &ids), LF_E_NOMEM);      /* a merged piece */
    ck_assert(ids.v == dummy && ids.n == SIZE_MAX / sizeof(int32_t) && dummy[0] == 7);
    lf_ids ok = LF_IDS_INIT;
    ck_assert_int_eq(lf_tokenize(s, "abc abcd", 8, &ok), LF_OK);          /* the state is still good */
    ck_assert_uint_eq(ok.n, 4);
    lf_ids_free(&ok);
    char cdummy[1] = {'x'};
    lf_buf out = {cdummy, SIZE_MAX - 1, SIZE_MAX - 1};
    int32_t id = sid(&g_hand, "ab");        /* two bytes: more than can be added */
    ck_assert_int_eq(lf_detokenize(t, &id, 1, &out), -1);
    ck_assert(out.data == cdummy && out.len == SIZE_MAX - 1);
    lf_tok_state_free(s);
    lf_tokenizer_free(t);
}
END_TEST

#ifdef HAVE_FAILMALLOC
/* Load `file`, make a state, encode `text` and decode it, failing the k-th
 * allocation, for k = 1, 2, ... until nothing fails: every step reports
 * LF_E_NOMEM (or -1 / NULL) or succeeds with the right result, and nothing
 * leaks. */
static void sweep(const lf_buf *file, const char *text, unsigned long min_allocs)
{
    lf_tokenizer *t0 = load(file);
    lf_ids want = LF_IDS_INIT;
    enc(t0, text, &want);
    lf_tokenizer_free(t0);
    size_t n = strlen(text);
    unsigned long k;
    for (k = 1; k < 1000000; k++) {
        lf_tokenizer *t = NULL;
        lf_error err = LF_ERROR_INIT;
        lf_ids ids = LF_IDS_INIT;
        lf_buf back = LF_BUF_INIT;
        lf_code enc_rc = LF_OK;
        int state_ok = 1, dec_rc = 0, right = 0;
        g_calls = 0;
        g_live = 0;
        g_fail_at = k;
        lf_code load_rc = lf_tokenizer_load_mem(file->data, file->len, "sweep", &t, &err);
        if (load_rc == LF_OK) {
            lf_tok_state *s = lf_tok_state_new(t);
            if (s == NULL) {
                state_ok = 0;
            } else {
                enc_rc = lf_tokenize(s, text, n, &ids);
                if (enc_rc == LF_OK)
                    dec_rc = lf_detokenize(t, ids.v, ids.n, &back);
                right = enc_rc == LF_OK && ids.n == want.n && memcmp(ids.v, want.v, ids.n * sizeof *ids.v) == 0 &&
                        dec_rc == 0 && back.len == n && memcmp(back.data, text, n) == 0;
                lf_tok_state_free(s);
            }
            lf_tokenizer_free(t);
        }
        lf_ids_free(&ids);
        lf_buf_free(&back);
        unsigned long calls = g_calls;
        long live = g_live;
        g_fail_at = 0;
        ck_assert_msg(load_rc == LF_OK || load_rc == LF_E_NOMEM, "k=%lu: load: %d %s", k, load_rc, err.msg);
        ck_assert_msg(load_rc == LF_OK || t == NULL, "k=%lu", k);
        ck_assert_msg(enc_rc == LF_OK || enc_rc == LF_E_NOMEM, "k=%lu: tokenize: %d", k, enc_rc);
        ck_assert_msg(live == 0, "k=%lu: %ld blocks not freed", k, live);
        /* a run that reports no failure must be right (an allocation that
         * is only an optimisation may fail silently) */
        int reported = load_rc != LF_OK || !state_ok || enc_rc != LF_OK || dec_rc != 0;
        ck_assert_msg(reported || right, "k=%lu: wrong result and no failure reported", k);
        if (calls < k)      /* nothing was made to fail: done */
            break;
    }
    ck_assert_uint_gt(k, min_allocs);   /* allocations were made, and failed */
    lf_ids_free(&want);
}

START_TEST(test_nomem_json)
{
    /* long pieces make the merge scratch grow */
    sweep(&g_hand_json, "abcd xyzw aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa the then", 500);
}
END_TEST

START_TEST(test_nomem_model)
{
    sweep(&g_hand_model, "abcd xyzw aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa the then", 10);
}
END_TEST
#endif

static Suite *tokenizer_suite(void)
{
    Suite *s = suite_create("tokenizer");
    TCase *tc = tcase_create("pretokenizer");
    tcase_add_test(tc, test_pretok_table);
    tcase_add_test(tc, test_pretok_cover);
    tcase_add_test(tc, test_pretok_classes);
    suite_add_tcase(s, tc);

    tc = tcase_create("encode");
    tcase_add_unchecked_fixture(tc, build_all, free_all);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_load_formats);
    tcase_add_test(tc, test_hand_json);
    tcase_add_test(tc, test_hand_json_no_ignore);
    tcase_add_test(tc, test_hand_tiktoken);
    tcase_add_test(tc, test_pair_form);
    tcase_add_test(tc, test_duplicate_merge);
    tcase_add_test(tc, test_trained_exact);
    tcase_add_test(tc, test_special_text_is_text);
    tcase_add_test(tc, test_detokenize);
    tcase_add_test(tc, test_cache);
    tcase_add_test(tc, test_long_pieces);
    tcase_add_test(tc, test_tag_collision);
    suite_add_tcase(s, tc);

    tc = tcase_create("load");
    tcase_add_unchecked_fixture(tc, build_all, free_all);
    tcase_add_loop_test(tc, test_json_refusals, 0, (int)N_ELEMS(json_refusals));
    tcase_add_loop_test(tc, test_model_refusals, 0, (int)N_ELEMS(model_refusals));
    tcase_add_test(tc, test_model_layout);
    tcase_add_test(tc, test_load_files);
    suite_add_tcase(s, tc);

    tc = tcase_create("nomem");
    tcase_add_unchecked_fixture(tc, build_all, free_all);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_nomem_overflow);
#ifdef HAVE_FAILMALLOC
    tcase_add_test(tc, test_nomem_json);
    tcase_add_test(tc, test_nomem_model);
#endif
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tokenizer_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
