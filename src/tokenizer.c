/*
 * tokenizer.c - exact Llama 3 tokenization (see tokenizer.h): the tables of
 * a loaded tokenizer, the encoder and the decoder.  The two file formats
 * are read by tok_load.c, the split regex is matched by tok_pretok.c;
 * tok_internal.h describes the shared structures.
 *
 * Encoding a text: the pre-tokenizer cuts it into pieces; each piece is
 *   1. looked up in the state's word cache (a direct-mapped table of
 *      LF_TOK_CACHE_SLOTS entries of 64 bytes, keyed by the piece's bytes,
 *      holding up to CACHE_IDS ids; a new piece replaces whatever was in its
 *      slot, so memory is fixed), else
 *   2. looked up whole in the vocabulary (ignore_merges; always for
 *      tiktoken, which encodes a piece that is a token as that token), else
 *   3. merged byte pair by byte pair, lowest rank first and leftmost first
 *      among equal ranks.  For tokenizer.json a pair's rank and result come
 *      from model.merges; for tokenizer.model the rank of a pair is the id
 *      of the token spelled by its bytes, if there is one.  Candidate pairs
 *      sit in a 4-ary min-heap keyed by rank << 32 | position; a candidate
 *      is checked when it comes out (the pair at its position must still
 *      have its rank), so the work is O(m log m) for a piece of m bytes.
 * Vocabulary and merges are hash tables with open addressing (linear
 * probing, no per-entry allocation); ordinary tokens are keyed by their raw
 * bytes, so no text is ever converted to the GPT-2 byte alphabet.
 */
#include "tok_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "llamafmt/buf.h"

/* The largest tokenizer file read (the Llama 3 tokenizer.json is ~9 MB). */
#define LF_TOK_MAX_FILE ((size_t)256 << 20)

/* ------------------------------------------------------------------------ */
/* Id arrays                                                                */
/* ------------------------------------------------------------------------ */

/* Room for `extra` more ids; 0 or -1 (ids unchanged). */
static int ids_reserve(lf_ids *ids, size_t extra)
{
    if (ids->cap - ids->n >= extra)
        return 0;
    if (extra > SIZE_MAX / sizeof(int32_t) - ids->n)
        return -1;
    size_t need = ids->n + extra;
    size_t cap = ids->cap ? ids->cap : 64;
    while (cap < need)
        cap = (cap > SIZE_MAX / sizeof(int32_t) / 2) ? need : cap * 2;
    int32_t *v = realloc(ids->v, cap * sizeof *v);
    if (v == NULL)
        return -1;
    ids->v = v;
    ids->cap = cap;
    return 0;
}

int lf_ids_push(lf_ids *ids, int32_t id)
{
    if (ids_reserve(ids, 1) != 0)
        return -1;
    ids->v[ids->n++] = id;
    return 0;
}

void lf_ids_free(lf_ids *ids)
{
    free(ids->v);
    ids->v = NULL;
    ids->n = ids->cap = 0;
}

/* ------------------------------------------------------------------------ */
/* Hashing and tables                                                       */
/* ------------------------------------------------------------------------ */

uint64_t lf_tok_hash(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = UINT64_C(0x9E3779B97F4A7C15) ^ ((uint64_t)n * UINT64_C(0xC2B2AE3D27D4EB4F));
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ v) * UINT64_C(0xFF51AFD7ED558CCD);
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t v = 0;
        for (size_t k = 0; k < n; k++)
            v |= (uint64_t)p[k] << (8 * k);
        h = (h ^ v) * UINT64_C(0xFF51AFD7ED558CCD);
    }
    return lf_tok_mix64(h);
}

uint32_t lf_tok_table_size(size_t n)
{
    uint32_t size = 16;
    while (size < n + n / 2 && size < (UINT32_C(1) << 31))
        size *= 2;
    return size;
}

/* Insert `id` into a byte-string table; the id already there with the same
 * bytes, or -1. */
static int32_t table_insert(const lf_tokenizer *t, lf_tok_slot *tab, uint32_t mask, int32_t id, uint64_t h)
{
    const lf_tok_span *sp = &t->span[id];
    const unsigned char *p = t->bytes + sp->off;
    int32_t old = lf_tok_table_find(t, tab, mask, p, sp->len, h);
    if (old >= 0)
        return old;
    uint32_t i = (uint32_t)h & mask;
    while (tab[i].id >= 0)
        i = (i + 1) & mask;
    tab[i].tag = lf_tok_tag(h, sp->len);
    tab[i].head = lf_tok_head(p, sp->len);
    tab[i].id = id;
    return -1;
}

int32_t lf_tok_vocab_insert(lf_tokenizer *t, int32_t id, uint64_t h)
{
    return table_insert(t, t->vocab, t->vmask, id, h);
}

int32_t lf_tok_special_insert(lf_tokenizer *t, int32_t id)
{
    const lf_tok_span *sp = &t->span[id];
    return table_insert(t, t->special, t->smask, id, lf_tok_hash(t->bytes + sp->off, sp->len));
}

void lf_tok_pair_insert(lf_tokenizer *t, int32_t left, int32_t right, int32_t rank)
{
    uint64_t key = lf_tok_pair_key(left, right);
    for (uint32_t i = (uint32_t)lf_tok_mix64(key) & t->pmask;; i = (i + 1) & t->pmask) {
        uint64_t *s = &t->pairs[i];
        if (*s == LF_TOK_PAIR_EMPTY || *s >> LF_TOK_PAIR_RANK_BITS == key) {
            *s = key << LF_TOK_PAIR_RANK_BITS | (uint32_t)rank;
            return;
        }
    }
}

/* The rank of the merge of (left, right), or -1. */
static inline int32_t pair_find(const lf_tokenizer *t, int32_t left, int32_t right)
{
    uint64_t key = lf_tok_pair_key(left, right);
    for (uint32_t i = (uint32_t)lf_tok_mix64(key) & t->pmask;; i = (i + 1) & t->pmask) {
        uint64_t s = t->pairs[i];
        if (s == LF_TOK_PAIR_EMPTY)
            return -1;
        if (s >> LF_TOK_PAIR_RANK_BITS == key)
            return (int32_t)(s & LF_TOK_MAX_MERGES);
    }
}

/* ------------------------------------------------------------------------ */
/* Loading                                                                  */
/* ------------------------------------------------------------------------ */

lf_code lf_tokenizer_load_mem(const char *data, size_t n, const char *name, lf_tokenizer **out, lf_error *err)
{
    *out = NULL;
    size_t i = 0;
    while (i < n && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r'))
        i++;
    if (i == n) {
        lf_error_at(err, name, 0, 0);
        return lf_error_set(err, LF_E_USAGE, "not a tokenizer: the file is empty");
    }
    char c = data[i];
    if (c == '{')
        return lf_tok_load_json(data, n, name, out, err);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/')
        return lf_tok_load_tiktoken(data, n, name, out, err);
    lf_error_at(err, name, 0, 0);
    return lf_error_set(err, LF_E_USAGE,
                        "not a tokenizer: neither a tokenizer.json (a JSON object) nor a "
                        "tokenizer.model (lines of base64 and a rank)");
}

lf_code lf_tokenizer_load(const char *path, lf_tokenizer **out, lf_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        lf_error_at(err, path, 0, 0);
        return lf_error_set(err, LF_E_IO, "cannot open: %s", strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        lf_error_at(err, path, 0, 0);
        return lf_error_set(err, LF_E_IO, "cannot stat: %s", strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        lf_error_at(err, path, 0, 0);
        return lf_error_set(err, LF_E_IO, "is a directory, not a tokenizer file");
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > LF_TOK_MAX_FILE) {
        close(fd);
        lf_error_at(err, path, 0, 0);
        return lf_error_set(err, LF_E_USAGE, "not a tokenizer: larger than %zu MiB", LF_TOK_MAX_FILE >> 20);
    }
    /* A regular file is mapped (no copy); anything else is read. */
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED) {
            close(fd);
            lf_code rc = lf_tokenizer_load_mem(map, (size_t)st.st_size, path, out, err);
            munmap(map, (size_t)st.st_size);
            return rc;
        }
    }
    lf_buf b = LF_BUF_INIT;
    for (;;) {
        if (lf_buf_reserve(&b, 65536) != 0) {
            close(fd);
            lf_buf_free(&b);
            return lf_error_set(err, LF_E_NOMEM, "out of memory reading the tokenizer");
        }
        ssize_t r = read(fd, b.data + b.len, b.cap - b.len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            lf_buf_free(&b);
            lf_error_at(err, path, 0, 0);
            return lf_error_set(err, LF_E_IO, "read error: %s", strerror(e));
        }
        if (r == 0)
            break;
        b.len += (size_t)r;
        if (b.len > LF_TOK_MAX_FILE) {
            close(fd);
            lf_buf_free(&b);
            lf_error_at(err, path, 0, 0);
            return lf_error_set(err, LF_E_USAGE, "not a tokenizer: larger than %zu MiB", LF_TOK_MAX_FILE >> 20);
        }
    }
    close(fd);
    lf_code rc = lf_tokenizer_load_mem(b.data, b.len, path, out, err);
    lf_buf_free(&b);
    return rc;
}

void lf_tokenizer_free(lf_tokenizer *t)
{
    if (t == NULL)
        return;
    free(t->span);
    free(t->bytes);
    free(t->vocab);
    free(t->special);
    free(t->pairs);
    free(t->merged);
    free(t);
}

size_t lf_tokenizer_size(const lf_tokenizer *t)
{
    return t->n_total;
}

size_t lf_tokenizer_token_len(const lf_tokenizer *t, int32_t id)
{
    return id >= 0 && (uint32_t)id < t->n_total ? t->span[id].len : 0;
}

int32_t lf_tokenizer_special_id(const lf_tokenizer *t, const char *text, size_t n)
{
    const unsigned char *p = (const unsigned char *)text;
    return lf_tok_table_find(t, t->special, t->smask, p, n, lf_tok_hash(p, n));
}

/* ------------------------------------------------------------------------ */
/* Encoder state                                                            */
/* ------------------------------------------------------------------------ */

#define CACHE_KEY 26        /* longest piece cached, in bytes */
#define CACHE_IDS 7         /* most ids cached for one piece */

/* One word of the cache: 64 bytes.  klen == 0 marks an empty slot (pieces
 * are never empty). */
typedef struct cache_slot {
    uint64_t hash;
    uint8_t klen, nids;
    unsigned char key[CACHE_KEY];
    int32_t ids[CACHE_IDS];
} cache_slot;

/* A symbol of the piece being merged: symbols are indexed by the offset of
 * their first byte; id < 0 marks a symbol merged into its left neighbour. */
typedef struct bpe_sym {
    int32_t id, prev, next;
} bpe_sym;

struct lf_tok_state {
    const lf_tokenizer *t;
    cache_slot *cache;
    size_t cache_mask;
    lf_tok_cache_stats stats;
    bpe_sym *sym;           /* BPE scratch, grown on demand */
    size_t sym_cap;
    uint64_t *heap;         /* candidates: rank << 32 | position */
    size_t heap_cap;
};

lf_tok_state *lf_tok_state_new_sized(const lf_tokenizer *t, size_t slots)
{
    if (slots == 0 || (slots & (slots - 1)) != 0)
        return NULL;
    lf_tok_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->t = t;
    s->cache = calloc(slots, sizeof *s->cache);
    if (s->cache == NULL) {
        free(s);
        return NULL;
    }
    s->cache_mask = slots - 1;
    return s;
}

lf_tok_state *lf_tok_state_new(const lf_tokenizer *t)
{
    return lf_tok_state_new_sized(t, LF_TOK_CACHE_SLOTS);
}

void lf_tok_state_free(lf_tok_state *s)
{
    if (s == NULL)
        return;
    free(s->cache);
    free(s->sym);
    free(s->heap);
    free(s);
}

lf_tok_cache_stats lf_tok_state_stats(const lf_tok_state *s)
{
    return s->stats;
}

/* ------------------------------------------------------------------------ */
/* Byte-pair merging                                                        */
/* ------------------------------------------------------------------------ */

/* The candidates form a 4-ary min-heap: half the depth of a binary heap
 * and a node's children in one cache line, which matters for long pieces. */
static void heap_push(uint64_t *h, size_t *n, uint64_t key)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t parent = (i - 1) / 4;
        if (h[parent] <= key)
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = key;
}

/* Move h[i]'s key `key` down to its place in h[0..n). */
static void heap_sift_down(uint64_t *h, size_t n, size_t i, uint64_t key)
{
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n)
            break;
        size_t end = c + 4 < n ? c + 4 : n, best = c;
        for (size_t k = c + 1; k < end; k++)
            if (h[k] < h[best])
                best = k;
        if (key <= h[best])
            break;
        h[i] = h[best];
        i = best;
    }
    h[i] = key;
}

static uint64_t heap_pop(uint64_t *h, size_t *n)
{
    uint64_t top = h[0];
    uint64_t last = h[--*n];
    if (*n > 0)
        heap_sift_down(h, *n, 0, last);
    return top;
}

/* Make h[0..n) a heap (Floyd: bottom-up, O(n)). */
static void heap_make(uint64_t *h, size_t n)
{
    for (size_t i = n / 4 + 1; i-- > 0;)
        if (i < n)
            heap_sift_down(h, n, i, h[i]);
}

/* The merge of the symbol at `pos` with the one after it in p[0..m):
 * its rank (or -1 when the pair does not merge) and the resulting id. */
static inline int32_t pair_rank(const lf_tokenizer *t, const bpe_sym *sym, const unsigned char *p, size_t m,
                                int32_t pos, int32_t *merged)
{
    int32_t nx = sym[pos].next;
    if (t->pairs != NULL) {
        int32_t rank = pair_find(t, sym[pos].id, sym[nx].id);
        if (rank >= 0)
            *merged = t->merged[rank];
        return rank;
    }
    size_t end = sym[nx].next >= 0 ? (size_t)sym[nx].next : m;
    size_t len = end - (size_t)pos;
    int32_t id = lf_tok_vocab_find(t, p + pos, len, lf_tok_hash(p + pos, len));
    *merged = id;
    return id;
}

/* Scratch for pieces of up to this many bytes is kept in the state; a
 * longer piece's (36 bytes per byte of it) is freed once it is merged. */
#define BPE_KEEP 65536

/* Merge p[0..m) (m >= 1) and append its ids to out. */
static lf_code bpe(lf_tok_state *s, const unsigned char *p, size_t m, lf_ids *out)
{
    const lf_tokenizer *t = s->t;
    if (m > INT32_MAX / 4)
        return LF_E_NOMEM;      /* the scratch could not be allocated anyway */
    if (s->sym_cap < m) {
        bpe_sym *sym = realloc(s->sym, m * sizeof *sym);
        if (sym == NULL)
            return LF_E_NOMEM;
        s->sym = sym;
        s->sym_cap = m;
    }
    if (s->heap_cap < 3 * m) {
        uint64_t *heap = realloc(s->heap, 3 * m * sizeof *heap);
        if (heap == NULL)
            return LF_E_NOMEM;
        s->heap = heap;
        s->heap_cap = 3 * m;
    }
    bpe_sym *sym = s->sym;
    uint64_t *heap = s->heap;
    size_t nh = 0;
    int32_t mi = (int32_t)m, merged;

    for (int32_t i = 0; i < mi; i++) {
        sym[i].id = t->byte_id[p[i]];
        sym[i].prev = i - 1;
        sym[i].next = i + 1 < mi ? i + 1 : -1;
    }
    for (int32_t i = 0; i + 1 < mi; i++) {
        int32_t r = pair_rank(t, sym, p, m, i, &merged);
        if (r >= 0)
            heap[nh++] = (uint64_t)r << 32 | (uint32_t)i;
    }
    heap_make(heap, nh);
    size_t count = m;
    while (nh > 0) {
        uint64_t key = heap_pop(heap, &nh);
        int32_t pos = (int32_t)(uint32_t)key;
        int32_t rank = (int32_t)(key >> 32);
        if (sym[pos].id < 0 || sym[pos].next < 0)
            continue;
        if (pair_rank(t, sym, p, m, pos, &merged) != rank)
            continue;       /* stale: the pair at pos changed since */
        int32_t nx = sym[pos].next;
        sym[pos].id = merged;
        sym[nx].id = -1;
        sym[pos].next = sym[nx].next;
        if (sym[pos].next >= 0)
            sym[sym[pos].next].prev = pos;
        count--;
        int32_t pv = sym[pos].prev;
        if (pv >= 0) {
            int32_t r = pair_rank(t, sym, p, m, pv, &merged);
            if (r >= 0)
                heap_push(heap, &nh, (uint64_t)r << 32 | (uint32_t)pv);
        }
        if (sym[pos].next >= 0) {
            int32_t r = pair_rank(t, sym, p, m, pos, &merged);
            if (r >= 0)
                heap_push(heap, &nh, (uint64_t)r << 32 | (uint32_t)pos);
        }
    }
    lf_code rc = LF_OK;
    if (ids_reserve(out, count) != 0)
        rc = LF_E_NOMEM;
    else
        for (int32_t i = 0; i >= 0; i = sym[i].next)
            out->v[out->n++] = sym[i].id;
    if (s->sym_cap > BPE_KEEP) {    /* do not sit on the scratch of a huge piece */
        free(s->sym);
        free(s->heap);
        s->sym = NULL;
        s->heap = NULL;
        s->sym_cap = s->heap_cap = 0;
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Encoding and decoding                                                    */
/* ------------------------------------------------------------------------ */

/* Encode one piece p[0..m) and append its ids to out. */
static lf_code encode_piece(lf_tok_state *s, const unsigned char *p, size_t m, lf_ids *out)
{
    const lf_tokenizer *t = s->t;
    uint64_t h = lf_tok_hash(p, m);
    cache_slot *c = NULL;
    if (m <= CACHE_KEY) {
        c = &s->cache[h & s->cache_mask];
        if (c->hash == h && c->klen == m && memcmp(c->key, p, m) == 0) {
            s->stats.hits++;
            if (ids_reserve(out, c->nids) != 0)
                return LF_E_NOMEM;
            memcpy(out->v + out->n, c->ids, c->nids * sizeof(int32_t));
            out->n += c->nids;
            return LF_OK;
        }
        s->stats.misses++;
    }
    size_t first = out->n;
    int32_t id = t->ignore_merges ? lf_tok_vocab_find(t, p, m, h) : -1;
    if (id >= 0) {
        if (lf_ids_push(out, id) != 0)
            return LF_E_NOMEM;
    } else {
        lf_code rc = bpe(s, p, m, out);
        if (rc != LF_OK)
            return rc;
    }
    size_t k = out->n - first;
    if (c != NULL && k <= CACHE_IDS) {
        if (c->klen != 0)
            s->stats.evictions++;
        c->hash = h;
        c->klen = (uint8_t)m;
        c->nids = (uint8_t)k;
        memcpy(c->key, p, m);
        memcpy(c->ids, out->v + first, k * sizeof(int32_t));
    }
    return LF_OK;
}

lf_code lf_tokenize(lf_tok_state *s, const char *text, size_t n, lf_ids *out)
{
    size_t i = 0;
    while (i < n) {
        size_t e = lf_pretok_next(text, n, i);
        lf_code rc = encode_piece(s, (const unsigned char *)text + i, e - i, out);
        if (rc != LF_OK)
            return rc;
        i = e;
    }
    return LF_OK;
}

int lf_detokenize(const lf_tokenizer *t, const int32_t *ids, size_t n, lf_buf *out)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || (uint32_t)ids[i] >= t->n_total)
            return -1;
        total += t->span[ids[i]].len;
    }
    if (lf_buf_reserve(out, total) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const lf_tok_span *sp = &t->span[ids[i]];
        memcpy(out->data + out->len, t->bytes + sp->off, sp->len);
        out->len += sp->len;
    }
    return 0;
}
