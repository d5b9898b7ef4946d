/*
 * tok_load.c - reading the two tokenizer file formats into an lf_tokenizer
 * (tok_internal.h).  Both loaders check everything they rely on and refuse
 * with LF_E_USAGE and a specific reason rather than guess: the encoder
 * never meets a table it cannot use.  Error positions name the file (the
 * caller's `name`, borrowed) and, where there is one, a line.
 *
 * tokenizer.json (Hugging Face) is parsed with cJSON.  Accepted: model.type
 * "BPE" with no dropout, unk token, subword prefix/suffix or byte fallback;
 * normalizer null; pre_tokenizer Sequence [Split(the Llama 3 regex, exactly,
 * Isolated, not inverted), ByteLevel(add_prefix_space false, use_regex
 * false)]; decoder ByteLevel.  model.vocab must use ids 0..V-1 once each,
 * spelled in the GPT-2 byte-to-unicode alphabet, and hold all 256 single
 * bytes; added_tokens must be special and take ids V..V+K-1.  Non-special
 * added tokens are refused: Hugging Face would cut them out of ordinary
 * text, which llamafmt never does.  post_processor, truncation and padding
 * are ignored (llamafmt writes the template's tokens itself).
 *
 * tokenizer.model (tiktoken) is "BASE64 RANK" lines, blank lines allowed.
 * Ranks must be 0..N-1 once each and the 256 single bytes must be there;
 * Meta's 256 Llama 3.1 special tokens take ids N..N+255.
 */
#include "tok_internal.h"

#include "unicode.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The Llama 3 split regex, as tokenizer.json spells it (after JSON unescaping). */
static const char llama3_pattern[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
    " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/* LF_E_USAGE at (name, line) with a formatted reason. */
static lf_code refuse(lf_error *err, const char *name, uint64_t line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static lf_code refuse(lf_error *err, const char *name, uint64_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lf_error_setv(err, LF_E_USAGE, fmt, ap);
    va_end(ap);
    lf_error_at(err, name, line, 0);
    return LF_E_USAGE;
}

static lf_code nomem(lf_error *err)
{
    return lf_error_set(err, LF_E_NOMEM, "out of memory loading the tokenizer");
}

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)0)
#endif

/* A tokenizer with room for n_total spans and `arena` bytes, its tables
 * not yet allocated; NULL on ENOMEM. */
static lf_tokenizer *tok_alloc(size_t n_total, size_t arena)
{
    lf_tokenizer *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->span = calloc(n_total ? n_total : 1, sizeof *t->span);
    t->bytes = malloc(arena ? arena : 1);
    if (t->span == NULL || t->bytes == NULL) {
        lf_tokenizer_free(t);
        return NULL;
    }
    return t;
}

static lf_tok_slot *slots_alloc(uint32_t size)
{
    lf_tok_slot *s = malloc((size_t)size * sizeof *s);
    if (s != NULL)
        for (uint32_t i = 0; i < size; i++)
            s[i].id = -1;
    return s;
}

/* Show a token's bytes in a message: printable ASCII as is, the rest as \xHH. */
static const char *show(const unsigned char *p, size_t n, char *buf, size_t size)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 5 < size; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7F && p[i] != '\\') {
            buf[k++] = (char)p[i];
        } else {
            snprintf(buf + k, size - k, "\\x%02x", p[i]);
            k += 4;
        }
    }
    buf[k] = '\0';
    return buf;
}

/* Build the vocabulary and special-token tables of t (n_vocab, n_total and
 * every span set) and the byte table. */
static lf_code tok_index(lf_tokenizer *t, const char *name, const char *what, lf_error *err)
{
    t->vmask = lf_tok_table_size(t->n_vocab) - 1;
    t->smask = lf_tok_table_size(t->n_total - t->n_vocab) - 1;
    t->vocab = slots_alloc(t->vmask + 1);
    t->special = slots_alloc(t->smask + 1);
    if (t->vocab == NULL || t->special == NULL)
        return nomem(err);
    char buf[128];
    /* in batches, the slots prefetched (see MERGE_BATCH below) */
    uint64_t h[64];
    for (uint32_t first = 0; first < t->n_vocab; first += 64) {
        uint32_t k = t->n_vocab - first < 64 ? t->n_vocab - first : 64;
        for (uint32_t j = 0; j < k; j++) {
            const lf_tok_span *sp = &t->span[first + j];
            h[j] = lf_tok_hash(t->bytes + sp->off, sp->len);
            PREFETCH(&t->vocab[h[j] & t->vmask]);
        }
        for (uint32_t j = 0; j < k; j++) {
            uint32_t id = first + j;
            int32_t dup = lf_tok_vocab_insert(t, (int32_t)id, h[j]);
            if (dup >= 0)
                return refuse(err, name, 0, "%s: tokens %d and %u are the same bytes \"%s\"", what, dup, id,
                              show(t->bytes + t->span[id].off, t->span[id].len, buf, sizeof buf));
        }
    }
    for (uint32_t id = t->n_vocab; id < t->n_total; id++) {
        int32_t dup = lf_tok_special_insert(t, (int32_t)id);
        if (dup >= 0)
            return refuse(err, name, 0, "special tokens %d and %u are both \"%s\"", dup, id,
                          show(t->bytes + t->span[id].off, t->span[id].len, buf, sizeof buf));
    }
    for (int b = 0; b < 256; b++) {
        unsigned char c = (unsigned char)b;
        t->byte_id[b] = lf_tok_vocab_find(t, &c, 1, lf_tok_hash(&c, 1));
        if (t->byte_id[b] < 0)
            return refuse(err, name, 0, "%s: no token for the single byte 0x%02x, so not every text can be encoded",
                          what, b);
    }
    return LF_OK;
}

/* ------------------------------------------------------------------------ */
/* tokenizer.json                                                           */
/* ------------------------------------------------------------------------ */

/* The byte that code point cp stands for in the GPT-2 byte-to-unicode
 * alphabet, or -1.  Printable Latin-1 bytes stand for themselves; the other
 * 68 bytes (0-32, 127-160, 173), in order, are U+0100..U+0143. */
static int gpt2_byte(uint32_t cp)
{
    if ((cp >= 33 && cp <= 126) || (cp >= 161 && cp <= 172) || (cp >= 174 && cp <= 255))
        return (int)cp;
    if (cp >= 256 && cp < 256 + 33)
        return (int)(cp - 256);
    if (cp >= 256 + 33 && cp < 256 + 67)
        return (int)(cp - 256 - 33 + 127);
    if (cp == 256 + 67)
        return 173;
    return -1;
}

/* Decode s[0..n) from the GPT-2 alphabet into dst (room for n bytes); the
 * number of bytes, or SIZE_MAX when s holds a character outside it.  The
 * alphabet is U+0021..U+0143, one or two UTF-8 bytes per character. */
static size_t gpt2_decode(const char *s, size_t n, unsigned char *dst)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        if (p[i] < 0x80) {
            cp = p[i];
            i++;
        } else if ((p[i] & 0xE0) == 0xC0 && i + 1 < n && (p[i + 1] & 0xC0) == 0x80) {
            cp = ((uint32_t)(p[i] & 0x1F) << 6) | (p[i + 1] & 0x3Fu);
            i += 2;
        } else {
            return SIZE_MAX;
        }
        int b = gpt2_byte(cp);
        if (b < 0)
            return SIZE_MAX;
        dst[k++] = (unsigned char)b;
    }
    return k;
}

/* obj[key] when it is present and not JSON null, else NULL. */
static const cJSON *get(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    return (v == NULL || cJSON_IsNull(v)) ? NULL : v;
}

/* True when obj[key] is the string `want`. */
static int is_str(const cJSON *obj, const char *key, const char *want)
{
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    return cJSON_IsString(v) && strcmp(v->valuestring, want) == 0;
}

/* obj[key] as a boolean: 0 or 1, `dflt` when absent, -1 when not a boolean. */
static int get_bool(const cJSON *obj, const char *key, int dflt)
{
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (v == NULL)
        return dflt;
    if (!cJSON_IsBool(v))
        return -1;
    return cJSON_IsTrue(v) ? 1 : 0;
}

/* A JSON number that is an integer in [lo, hi), as int64; -1 otherwise
 * (lo >= 0). */
static int64_t get_id(const cJSON *v, int64_t lo, int64_t hi)
{
    if (!cJSON_IsNumber(v))
        return -1;
    double d = v->valuedouble;
    if (!(d >= (double)lo && d < (double)hi))
        return -1;
    int64_t i = (int64_t)d;
    return (double)i == d ? i : -1;
}

/* Check the pipeline around the model: normalizer, pre-tokenizer, decoder. */
static lf_code check_pipeline(const cJSON *root, const char *name, lf_error *err)
{
    const cJSON *norm = get(root, "normalizer");
    if (norm != NULL)
        return refuse(err, name, 0, "unsupported tokenizer: it has a normalizer (the Llama 3 tokenizer has none)");

    const cJSON *pre = get(root, "pre_tokenizer");
    const cJSON *list = get(pre, "pretokenizers");
    if (pre == NULL || !is_str(pre, "type", "Sequence") || !cJSON_IsArray(list) || cJSON_GetArraySize(list) != 2)
        return refuse(err, name, 0,
                      "unsupported tokenizer: pre_tokenizer is not the Llama 3 one "
                      "(a Sequence of a Split and a ByteLevel)");
    const cJSON *split = cJSON_GetArrayItem(list, 0), *bl = cJSON_GetArrayItem(list, 1);
    if (!cJSON_IsObject(split) || !is_str(split, "type", "Split"))
        return refuse(err, name, 0, "unsupported tokenizer: the first pre-tokenizer is not a Split");
    const cJSON *regex = get(get(split, "pattern"), "Regex");
    if (!cJSON_IsString(regex))
        return refuse(err, name, 0, "unsupported tokenizer: the Split pre-tokenizer has no Regex pattern");
    if (strcmp(regex->valuestring, llama3_pattern) != 0)
        return refuse(err, name, 0, "unsupported tokenizer: the split regex is not the Llama 3 one: \"%.100s\"",
                      regex->valuestring);
    if (!is_str(split, "behavior", "Isolated"))
        return refuse(err, name, 0, "unsupported tokenizer: the Split behavior is not \"Isolated\"");
    if (get_bool(split, "invert", 0) != 0)
        return refuse(err, name, 0, "unsupported tokenizer: the Split is inverted");
    if (!cJSON_IsObject(bl) || !is_str(bl, "type", "ByteLevel"))
        return refuse(err, name, 0, "unsupported tokenizer: the second pre-tokenizer is not ByteLevel");
    if (get_bool(bl, "add_prefix_space", -1) != 0)
        return refuse(err, name, 0, "unsupported tokenizer: the ByteLevel pre-tokenizer does not say add_prefix_space false");
    if (get_bool(bl, "use_regex", 1) != 0)
        return refuse(err, name, 0, "unsupported tokenizer: the ByteLevel pre-tokenizer does not say use_regex false");

    const cJSON *dec = get(root, "decoder");
    if (dec == NULL || !is_str(dec, "type", "ByteLevel"))
        return refuse(err, name, 0, "unsupported tokenizer: the decoder is not ByteLevel");
    return LF_OK;
}

/* Check the model's settings (not vocab and merges); *ignore_merges set. */
static lf_code check_model(const cJSON *model, const char *name, int *ignore_merges, lf_error *err)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(model, "type");
    if (!cJSON_IsString(type))
        return refuse(err, name, 0, "unsupported tokenizer: model.type is missing (llamafmt reads BPE models)");
    if (strcmp(type->valuestring, "BPE") != 0)
        return refuse(err, name, 0, "unsupported tokenizer: model.type is \"%.40s\" (llamafmt reads BPE models)",
                      type->valuestring);
    static const char *const must_be_null[] = {"dropout", "unk_token", "continuing_subword_prefix",
                                               "end_of_word_suffix"};
    for (size_t i = 0; i < sizeof must_be_null / sizeof must_be_null[0]; i++)
        if (get(model, must_be_null[i]) != NULL)
            return refuse(err, name, 0, "unsupported tokenizer: model.%s is set (the Llama 3 tokenizer has none)",
                          must_be_null[i]);
    if (get_bool(model, "byte_fallback", 0) != 0)
        return refuse(err, name, 0, "unsupported tokenizer: model.byte_fallback is not false");
    int im = get_bool(model, "ignore_merges", 0);
    if (im < 0)
        return refuse(err, name, 0, "malformed tokenizer.json: model.ignore_merges is not a boolean");
    *ignore_merges = im;
    return LF_OK;
}

/* The two halves of a merge, "a b" or ["a", "b"], still GPT-2 spelled;
 * 0, -1 for a string that is not two tokens and a space, -2 for neither a
 * string nor a pair of strings. */
static int merge_halves(const cJSON *m, const char **a, size_t *la, const char **b, size_t *lb)
{
    if (cJSON_IsString(m)) {
        const char *sp = strchr(m->valuestring, ' ');
        if (sp == NULL || sp == m->valuestring || sp[1] == '\0' || strchr(sp + 1, ' ') != NULL)
            return -1;
        *a = m->valuestring;
        *la = (size_t)(sp - m->valuestring);
        *b = sp + 1;
        *lb = strlen(sp + 1);
        return 0;
    }
    if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 && cJSON_IsString(cJSON_GetArrayItem(m, 0)) &&
        cJSON_IsString(cJSON_GetArrayItem(m, 1))) {
        *a = cJSON_GetArrayItem(m, 0)->valuestring;
        *b = cJSON_GetArrayItem(m, 1)->valuestring;
        *la = strlen(*a);
        *lb = strlen(*b);
        return 0;
    }
    return -2;
}

/* Merges are resolved in batches, each in three passes (decode and hash,
 * look up, insert), with the table slots of the next pass prefetched: the
 * 280,000 merges of Llama 3 are otherwise one cache miss after another. */
#define MERGE_BATCH 64

typedef struct merge_batch {
    size_t n;                   /* merges in the batch */
    int32_t first;              /* rank of the first */
    size_t used;                /* bytes of scratch in use */
    unsigned char *scratch;     /* a's bytes then b's, for each merge */
    size_t cap;
    struct {
        size_t off, la, lb;
        uint64_t ha, hb, hab;
        int32_t left, right;
    } job[MERGE_BATCH];
} merge_batch;

/* Look up and insert the batch's merges; the batch is empty afterwards. */
static lf_code merge_flush(lf_tokenizer *t, merge_batch *mb, const char *name, lf_error *err)
{
    char buf[128];
    for (size_t j = 0; j < mb->n; j++) {
        const unsigned char *p = mb->scratch + mb->job[j].off;
        size_t la = mb->job[j].la, lb = mb->job[j].lb;
        int32_t left = lf_tok_vocab_find(t, p, la, mb->job[j].ha);
        int32_t right = lf_tok_vocab_find(t, p + la, lb, mb->job[j].hb);
        int32_t merged = lf_tok_vocab_find(t, p, la + lb, mb->job[j].hab);
        if (left < 0 || right < 0 || merged < 0) {
            const unsigned char *q = right < 0 && left >= 0 ? p + la : p;
            size_t k = left < 0 ? la : right < 0 ? lb : la + lb;
            return refuse(err, name, 0, "malformed tokenizer.json: model.merges[%d]: \"%s\" is not in model.vocab",
                          mb->first + (int32_t)j, show(q, k, buf, sizeof buf));
        }
        mb->job[j].left = left;
        mb->job[j].right = right;
        t->merged[mb->first + (int32_t)j] = merged;
        PREFETCH(&t->pairs[lf_tok_pair_hash(left, right) & t->pmask]);
    }
    for (size_t j = 0; j < mb->n; j++)
        lf_tok_pair_insert(t, mb->job[j].left, mb->job[j].right, mb->first + (int32_t)j);
    mb->first += (int32_t)mb->n;
    mb->n = 0;
    mb->used = 0;
    return LF_OK;
}

/* Add merge m (rank mb->first + mb->n) to the batch: decode, hash, prefetch. */
static lf_code merge_add(lf_tokenizer *t, merge_batch *mb, const cJSON *m, const char *name, lf_error *err)
{
    int32_t rank = mb->first + (int32_t)mb->n;
    const char *a, *b;
    size_t la, lb;
    int shape = merge_halves(m, &a, &la, &b, &lb);
    if (shape == -1)
        return refuse(err, name, 0, "malformed tokenizer.json: model.merges[%d] is not two tokens separated by one space",
                      rank);
    if (shape != 0)
        return refuse(err, name, 0, "malformed tokenizer.json: model.merges[%d] is neither \"a b\" nor [\"a\", \"b\"]",
                      rank);
    if (la + lb > mb->cap - mb->used) {
        size_t cap = 2 * (mb->used + la + lb);
        unsigned char *p = realloc(mb->scratch, cap);
        if (p == NULL)
            return nomem(err);
        mb->scratch = p;
        mb->cap = cap;
    }
    unsigned char *p = mb->scratch + mb->used;
    size_t ka = gpt2_decode(a, la, p);
    size_t kb = ka == SIZE_MAX ? SIZE_MAX : gpt2_decode(b, lb, p + ka);
    if (ka == SIZE_MAX || kb == SIZE_MAX || ka == 0 || kb == 0)
        return refuse(err, name, 0, "malformed tokenizer.json: model.merges[%d] is not in the byte-level alphabet",
                      rank);
    size_t j = mb->n++;
    mb->job[j].off = mb->used;
    mb->job[j].la = ka;
    mb->job[j].lb = kb;
    mb->job[j].ha = lf_tok_hash(p, ka);
    mb->job[j].hb = lf_tok_hash(p + ka, kb);
    mb->job[j].hab = lf_tok_hash(p, ka + kb);
    PREFETCH(&t->vocab[mb->job[j].ha & t->vmask]);
    PREFETCH(&t->vocab[mb->job[j].hb & t->vmask]);
    PREFETCH(&t->vocab[mb->job[j].hab & t->vmask]);
    mb->used += ka + kb;
    return mb->n == MERGE_BATCH ? merge_flush(t, mb, name, err) : LF_OK;
}

/* Fill the merge table from model.merges: rank = position in the list. */
static lf_code load_merges(lf_tokenizer *t, const cJSON *merges, const char *name, lf_error *err)
{
    size_t count = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, merges) count++;
    if (count > LF_TOK_MAX_MERGES)
        return refuse(err, name, 0, "unsupported tokenizer: more than %lu merges", (unsigned long)LF_TOK_MAX_MERGES);
    t->pmask = lf_tok_table_size(count) - 1;
    t->pairs = malloc(((size_t)t->pmask + 1) * sizeof *t->pairs);
    t->merged = malloc((count ? count : 1) * sizeof *t->merged);
    if (t->pairs == NULL || t->merged == NULL)
        return nomem(err);
    memset(t->pairs, 0xFF, ((size_t)t->pmask + 1) * sizeof *t->pairs);

    merge_batch *mb = calloc(1, sizeof *mb);
    if (mb == NULL)
        return nomem(err);
    lf_code rc = LF_OK;
    cJSON_ArrayForEach(m, merges) {
        rc = merge_add(t, mb, m, name, err);
        if (rc != LF_OK)
            break;
    }
    if (rc == LF_OK)
        rc = merge_flush(t, mb, name, err);
    free(mb->scratch);
    free(mb);
    return rc;
}

/* Everything after parsing: root is a JSON object. */
static lf_code load_json_root(const cJSON *root, const char *name, lf_tokenizer **out, lf_error *err)
{
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!cJSON_IsObject(model))
        return refuse(err, name, 0, "malformed tokenizer.json: no \"model\" object");
    int ignore_merges = 0;
    lf_code rc = check_model(model, name, &ignore_merges, err);
    if (rc == LF_OK)
        rc = check_pipeline(root, name, err);
    if (rc != LF_OK)
        return rc;
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    const cJSON *merges = cJSON_GetObjectItemCaseSensitive(model, "merges");
    const cJSON *added = get(root, "added_tokens");
    if (!cJSON_IsObject(vocab))
        return refuse(err, name, 0, "malformed tokenizer.json: model.vocab is not an object");
    if (!cJSON_IsArray(merges))
        return refuse(err, name, 0, "malformed tokenizer.json: model.merges is not an array");
    if (added != NULL && !cJSON_IsArray(added))
        return refuse(err, name, 0, "malformed tokenizer.json: added_tokens is not an array");

    /* Count and size everything first. */
    size_t n_vocab = 0, n_added = 0, arena = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, vocab) {
        n_vocab++;
        arena += strlen(it->string);
    }
    cJSON_ArrayForEach(it, added) {
        const cJSON *content = cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, "content") : NULL;
        if (!cJSON_IsString(content) || content->valuestring[0] == '\0')
            return refuse(err, name, 0, "malformed tokenizer.json: added_tokens[%zu] has no \"content\" text", n_added);
        int special = get_bool(it, "special", 0);
        if (special != 1)
            return refuse(err, name, 0,
                          "unsupported tokenizer: added token \"%.60s\" is not special (Hugging Face would "
                          "match it inside ordinary text)", content->valuestring);
        n_added++;
        arena += strlen(content->valuestring);
    }
    if (n_vocab == 0)
        return refuse(err, name, 0, "malformed tokenizer.json: model.vocab is empty");
    if (n_vocab + n_added > LF_TOK_MAX_IDS)
        return refuse(err, name, 0, "unsupported tokenizer: more than %lu tokens", (unsigned long)LF_TOK_MAX_IDS);

    lf_tokenizer *t = tok_alloc(n_vocab + n_added, arena);
    if (t == NULL)
        return nomem(err);
    t->format = LF_TOK_HF_JSON;
    t->ignore_merges = ignore_merges;
    t->n_vocab = (uint32_t)n_vocab;
    t->n_total = (uint32_t)(n_vocab + n_added);

    /* Ordinary tokens.  Every id in 0..V-1 once, so all are set after. */
    size_t pos = 0;
    cJSON_ArrayForEach(it, vocab) {
        int64_t id = get_id(it, 0, (int64_t)n_vocab);
        if (id < 0) {
            rc = refuse(err, name, 0, "unsupported tokenizer: model.vocab[\"%.60s\"] is not an id in 0..%zu",
                        it->string, n_vocab - 1);
            goto fail;
        }
        if (t->span[id].len != 0) {
            rc = refuse(err, name, 0, "malformed tokenizer.json: id %d appears twice in model.vocab", (int)id);
            goto fail;
        }
        size_t k = gpt2_decode(it->string, strlen(it->string), t->bytes + pos);
        if (k == SIZE_MAX || k == 0) {
            rc = refuse(err, name, 0,
                        "unsupported tokenizer: model.vocab[\"%.60s\"] is not spelled in the byte-level alphabet",
                        it->string);
            goto fail;
        }
        t->span[id].off = (uint32_t)pos;
        t->span[id].len = (uint32_t)k;
        pos += k;
    }
    /* Special tokens: ids V..V+K-1 once each. */
    cJSON_ArrayForEach(it, added) {
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(it, "content");
        int64_t id = get_id(cJSON_GetObjectItemCaseSensitive(it, "id"), (int64_t)n_vocab,
                            (int64_t)(n_vocab + n_added));
        if (id < 0) {
            rc = refuse(err, name, 0, "unsupported tokenizer: added token \"%.60s\" does not have an id in %zu..%zu",
                        content->valuestring, n_vocab, n_vocab + n_added - 1);
            goto fail;
        }
        if (t->span[id].len != 0) {
            rc = refuse(err, name, 0, "malformed tokenizer.json: id %d appears twice in added_tokens", (int)id);
            goto fail;
        }
        size_t k = strlen(content->valuestring);
        memcpy(t->bytes + pos, content->valuestring, k);
        t->span[id].off = (uint32_t)pos;
        t->span[id].len = (uint32_t)k;
        pos += k;
    }
    rc = tok_index(t, name, "model.vocab", err);
    if (rc == LF_OK)
        rc = load_merges(t, merges, name, err);
    if (rc != LF_OK)
        goto fail;
    *out = t;
    return LF_OK;
fail:
    lf_tokenizer_free(t);
    return rc;
}

/* cJSON's nesting limit: deeper text is refused by cJSON, so by us too. */
#define JSON_MAX_DEPTH 1000

static size_t skip_ws(const char *p, size_t n, size_t i)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    return i;
}

/* The end of the JSON string whose opening quote is p[i], or SIZE_MAX. */
static size_t json_string_end(const char *p, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"')
            return i + 1;
        if (c < 0x20)
            return SIZE_MAX;
        if (c != '\\')
            continue;
        if (++i >= n)
            return SIZE_MAX;
        if (strchr("\"\\/bfnrt", p[i]) != NULL && p[i] != '\0')
            continue;
        if (p[i] != 'u' || n - i < 5 || lf_hex4(p + i + 1) < 0)
            return SIZE_MAX;
        long u = lf_hex4(p + i + 1);
        i += 4;
        if (u >= 0xDC00 && u <= 0xDFFF)
            return SIZE_MAX;
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (n - i < 7 || p[i + 1] != '\\' || p[i + 2] != 'u')
                return SIZE_MAX;
            long lo = lf_hex4(p + i + 3);
            if (lo < 0xDC00 || lo > 0xDFFF)
                return SIZE_MAX;
            i += 6;
        }
    }
    return SIZE_MAX;
}

/* The end of the JSON number at p[i], or SIZE_MAX.  Like cJSON, numbers of
 * more than 63 characters are refused. */
static size_t json_number_end(const char *p, size_t n, size_t i)
{
    size_t start = i;
#define DIGIT(k) ((k) < n && p[k] >= '0' && p[k] <= '9')
    if (i < n && p[i] == '-')
        i++;
    if (i < n && p[i] == '0')
        i++;
    else if (DIGIT(i))
        while (DIGIT(i))
            i++;
    else
        return SIZE_MAX;
    if (i < n && p[i] == '.') {
        if (!DIGIT(i + 1))
            return SIZE_MAX;
        for (i++; DIGIT(i); i++) {}
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        if (!DIGIT(i))
            return SIZE_MAX;
        while (DIGIT(i))
            i++;
    }
    return i - start > 63 ? SIZE_MAX : i;
#undef DIGIT
}

/* Strict (RFC 8259) syntax check of p[0..n), without allocating: 0 when it
 * is one JSON value, else 1 with *at = the offset of the first error.  Used
 * only after cJSON failed, to tell a syntax error from cJSON running out of
 * memory (cJSON reports both alike); it accepts nothing cJSON rejects. */
static int json_syntax_error(const char *p, size_t n, size_t *at)
{
    char stack[JSON_MAX_DEPTH];
    size_t depth = 0, i = skip_ws(p, n, 0), e;
    for (;;) {
        /* a value at p[i] */
        if (i >= n)
            goto bad;
        switch (p[i]) {
        case '{':
        case '[':
            if (depth == JSON_MAX_DEPTH)
                goto bad;
            stack[depth++] = p[i];
            i = skip_ws(p, n, i + 1);
            if (i < n && p[i] == (stack[depth - 1] == '{' ? '}' : ']')) {
                depth--;
                i++;
                goto after_value;
            }
            if (stack[depth - 1] == '[')
                continue;
            goto key;
        case '"':
            e = json_string_end(p, n, i);
            break;
        case 't':
            e = (n - i >= 4 && memcmp(p + i, "true", 4) == 0) ? i + 4 : SIZE_MAX;
            break;
        case 'f':
            e = (n - i >= 5 && memcmp(p + i, "false", 5) == 0) ? i + 5 : SIZE_MAX;
            break;
        case 'n':
            e = (n - i >= 4 && memcmp(p + i, "null", 4) == 0) ? i + 4 : SIZE_MAX;
            break;
        default:
            e = json_number_end(p, n, i);
            break;
        }
        if (e == SIZE_MAX)
            goto bad;
        i = e;
    after_value:
        i = skip_ws(p, n, i);
        if (depth == 0) {
            if (i == n)
                return 0;
            goto bad;
        }
        if (i < n && p[i] == ',') {
            i = skip_ws(p, n, i + 1);
            if (stack[depth - 1] == '[')
                continue;
            goto key;
        }
        if (i < n && p[i] == (stack[depth - 1] == '{' ? '}' : ']')) {
            depth--;
            i++;
            goto after_value;
        }
        goto bad;
    key:
        if (i >= n || p[i] != '"' || (e = json_string_end(p, n, i)) == SIZE_MAX)
            goto bad;
        i = skip_ws(p, n, e);
        if (i >= n || p[i] != ':')
            goto bad;
        i = skip_ws(p, n, i + 1);
    }
bad:
    *at = i < n ? i : n;
    return 1;
}

lf_code lf_tok_load_json(const char *data, size_t n, const char *name, lf_tokenizer **out, lf_error *err)
{
    *out = NULL;
    const char *end = NULL;
    size_t at = 0;
    cJSON *root = cJSON_ParseWithLengthOpts(data, n, &end, 0);
    if (root != NULL) {
        at = skip_ws(data, n, (end != NULL && end >= data && end <= data + n) ? (size_t)(end - data) : n);
        if (at == n) {
            lf_code rc = cJSON_IsObject(root) ? load_json_root(root, name, out, err)
                                              : refuse(err, name, 0, "malformed tokenizer.json: not a JSON object");
            cJSON_Delete(root);
            return rc;
        }
        cJSON_Delete(root);
    } else if (!json_syntax_error(data, n, &at)) {
        return nomem(err);      /* the text is JSON: cJSON ran out of memory */
    }
    uint64_t line = 1, col = 1;
    for (size_t i = 0; i < at; i++) {
        if (data[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    lf_error_set(err, LF_E_USAGE, "malformed tokenizer.json: %s",
                 root != NULL ? "bytes after the JSON value" : "not valid JSON");
    lf_error_at(err, name, line, col);
    return LF_E_USAGE;
}

/* ------------------------------------------------------------------------ */
/* tokenizer.model                                                          */
/* ------------------------------------------------------------------------ */

/* Meta's Llama 3.1 special tokens, in id order after the last rank. */
#define N_SPECIAL 256
#define N_NAMED 11
static const char *const named_special[N_NAMED] = {
    "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
    "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
    "<|eom_id|>", "<|eot_id|>", "<|python_tag|>",
};

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decode standard padded base64 p[0..n) into dst; the length, or SIZE_MAX. */
static size_t b64_decode(const unsigned char *p, size_t n, unsigned char *dst)
{
    if (n == 0 || n % 4 != 0)
        return SIZE_MAX;
    size_t k = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int j = 0; j < 4; j++) {
            if (p[i + (size_t)j] == '=' && i + 4 == n && j >= 2) {
                v[j] = 0;
                pad++;
            } else {
                if (pad)
                    return SIZE_MAX;    /* "=" followed by a digit */
                v[j] = b64_value(p[i + (size_t)j]);
                if (v[j] < 0)
                    return SIZE_MAX;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        dst[k++] = (unsigned char)(w >> 16);
        if (pad < 2)
            dst[k++] = (unsigned char)(w >> 8);
        if (pad < 1)
            dst[k++] = (unsigned char)w;
    }
    return k;
}

/* One parsed line: the token's bytes are arena[off..off+len). */
typedef struct tt_entry {
    uint32_t rank, off, len, line;
} tt_entry;

lf_code lf_tok_load_tiktoken(const char *data, size_t n, const char *name, lf_tokenizer **out, lf_error *err)
{
    *out = NULL;
    const unsigned char *s = (const unsigned char *)data;
    size_t max_lines = 1;
    for (const char *q = data; (q = memchr(q, '\n', (size_t)(data + n - q))) != NULL; q++)
        max_lines++;
    if (n > UINT32_MAX / 2 || max_lines > INT32_MAX / 2)
        return refuse(err, name, 0, "unsupported tokenizer: the file is too large");

    tt_entry *ent = malloc(max_lines * sizeof *ent);
    unsigned char *arena = malloc(n + N_SPECIAL * 40);
    lf_tokenizer *t = NULL;
    lf_code rc = LF_OK;
    if (ent == NULL || arena == NULL) {
        rc = nomem(err);
        goto fail;
    }

    size_t count = 0, pos = 0, i = 0;
    uint64_t line = 0;
    while (i < n) {
        line++;
        size_t e = i;
        while (e < n && s[e] != '\n')
            e++;
        size_t j = i;
        while (j < e && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r'))
            j++;
        if (j == e) {           /* blank line */
            i = e + 1;
            continue;
        }
        size_t tok = j;
        while (j < e && s[j] != ' ' && s[j] != '\t' && s[j] != '\r')
            j++;
        size_t tok_end = j;
        while (j < e && (s[j] == ' ' || s[j] == '\t'))
            j++;
        size_t num = j;
        uint64_t rank = 0;
        for (; j < e && s[j] >= '0' && s[j] <= '9'; j++)
            if (rank <= INT32_MAX)
                rank = rank * 10 + (uint64_t)(s[j] - '0');
        size_t num_end = j;
        while (j < e && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r'))
            j++;
        if (num == tok_end || num_end == num || j != e) {
            rc = refuse(err, name, line, "malformed tokenizer.model: expected \"BASE64 RANK\" on every line");
            goto fail;
        }
        if (rank > INT32_MAX / 2) {
            rc = refuse(err, name, line, "malformed tokenizer.model: the rank is too large");
            goto fail;
        }
        size_t k = b64_decode(s + tok, tok_end - tok, arena + pos);
        if (k == SIZE_MAX) {
            rc = refuse(err, name, line, "malformed tokenizer.model: the token is not valid base64");
            goto fail;
        }
        ent[count].rank = (uint32_t)rank;
        ent[count].off = (uint32_t)pos;
        ent[count].len = (uint32_t)k;
        ent[count].line = (uint32_t)line;
        count++;
        pos += k;
        i = e + 1;
    }
    if (count == 0) {
        rc = refuse(err, name, 0, "malformed tokenizer.model: no tokens");
        goto fail;
    }
    unsigned char *fit = realloc(arena, pos + N_SPECIAL * 40);     /* the base64 took more room */
    if (fit != NULL)
        arena = fit;

    t = tok_alloc(count + N_SPECIAL, 1);
    if (t == NULL) {
        rc = nomem(err);
        goto fail;
    }
    free(t->bytes);
    t->bytes = arena;
    arena = NULL;
    t->format = LF_TOK_TIKTOKEN;
    t->ignore_merges = 1;
    t->n_vocab = (uint32_t)count;
    t->n_total = (uint32_t)(count + N_SPECIAL);
    for (size_t k = 0; k < count; k++) {
        const tt_entry *en = &ent[k];
        if (en->rank >= count) {
            rc = refuse(err, name, en->line,
                        "unsupported tokenizer: rank %u is not in 0..%zu (the ranks must be 0..N-1)", en->rank,
                        count - 1);
            goto fail;
        }
        if (t->span[en->rank].len != 0) {
            rc = refuse(err, name, en->line, "malformed tokenizer.model: rank %u appears twice", en->rank);
            goto fail;
        }
        t->span[en->rank].off = en->off;
        t->span[en->rank].len = en->len;
    }
    for (int k = 0; k < N_SPECIAL; k++) {
        char text[40];
        int len = k < N_NAMED ? snprintf(text, sizeof text, "%s", named_special[k])
                              : snprintf(text, sizeof text, "<|reserved_special_token_%d|>", k - N_NAMED + 3);
        memcpy(t->bytes + pos, text, (size_t)len);
        t->span[count + (size_t)k].off = (uint32_t)pos;
        t->span[count + (size_t)k].len = (uint32_t)len;
        pos += (size_t)len;
    }
    rc = tok_index(t, name, "tokenizer.model", err);
    if (rc != LF_OK)
        goto fail;
    free(ent);
    *out = t;
    return LF_OK;
fail:
    free(ent);
    free(arena);
    lf_tokenizer_free(t);
    return rc;
}
