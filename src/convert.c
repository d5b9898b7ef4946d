/* convert.c - see convert.h.
 *
 * The pipeline works on batches.  The main thread reads the records of one
 * input into a batch (copying their bytes: the reader reuses its buffer),
 * hands full batches to worker threads, which parse, render and format every
 * record into the batch's own output buffer, and emits finished batches in
 * input order: their output to the sink, their rejected records to the error
 * policy, the rejects file and the statistics.  With one thread the main
 * thread processes each batch itself, through the same code, so the output
 * bytes are the same for any number of threads.  Memory is bounded by the
 * batches in flight (2 per worker), each about BATCH_BYTES or one record.
 *
 * Workers share nothing but the read-only configuration: each has its own
 * parser, sample and scratch space.  (cJSON resets a process-wide error
 * position on every parse; llamafmt never reads it.)
 */
#include "llamafmt/convert.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "llamafmt/reader.h"
#include "llamafmt/record.h"
#include "llamafmt/template.h"
#include "llamafmt/writer.h"
#include "llamafmt/codec.h"
#include "llamafmt/walk.h"
#include "llamafmt/json.h"
#include "llamafmt/lint.h"
#include "llamafmt/parse.h"
#include "llamafmt/tokenizer.h"
#include "llamafmt/tokens.h"
#include "hash.h"
#include "pipeline.h"

#define BATCH_BYTES ((size_t)1 << 20)
#define BATCH_ITEMS 8192

/* ---- batches ---------------------------------------------------------------- */

typedef struct item {
    size_t off, len;            /* the record's bytes in batch->raw */
    int has_data;               /* 0: the reader did not keep them (too large) */
    uint64_t line, column;
    size_t out_end;             /* end of this record's output in batch->out */
    uint64_t in_end;            /* input bytes consumed up to the end of this record */
    uint32_t samples;
    size_t cut0;                /* its samples end at batch->cuts[cut0 .. cut0 + samples) */
    uint64_t hash[2];           /* of the conversation normalised to messages (when needed) */
    uint8_t shape;
    uint32_t dropped;           /* --max-tokens: samples dropped, cut, shortened by whole turns */
    uint32_t truncated, shortened;
    uint64_t longest;           /* the most tokens of those samples */
    lf_error err;               /* code != LF_OK: the record is rejected */
} item;

typedef struct batch {
    const char *file;
    lf_buf raw;
    item *items;
    size_t n, cap;
    lf_buf out;
    size_t *cuts;               /* where each sample ends in out */
    uint32_t *toks;             /* and its number of tokens (with a tokenizer) */
    size_t ncuts, capcuts;
    uint64_t warnings[LF_W_COUNT]; /* --check: warnings found by the worker */
    uint64_t errors;            /* --check: error lines written by the worker */
    lf_error sys;               /* code != LF_OK: a system error while processing */
    int done;                   /* processed (under the pool's mutex) */
    struct batch *next;         /* in the work queue */
} batch;

static void batch_reset(batch *b, const char *file)
{
    b->file = file;
    lf_buf_clear(&b->raw);
    lf_buf_clear(&b->out);
    b->n = 0;
    b->ncuts = 0;
    memset(b->warnings, 0, sizeof b->warnings);
    b->errors = 0;
    lf_error_clear(&b->sys);
    b->done = 0;
    b->next = NULL;
}

static void batch_free(batch *b)
{
    lf_buf_free(&b->raw);
    lf_buf_free(&b->out);
    free(b->items);
    free(b->cuts);
    free(b->toks);
}

/* Remember that a sample of `tokens` tokens ends at the current end of
 * b->out.  0 or -1. */
static int batch_cut(batch *b, uint32_t tokens)
{
    if (b->ncuts == b->capcuts) {
        size_t cap = b->capcuts ? b->capcuts * 2 : 256;
        size_t *v = realloc(b->cuts, cap * sizeof *v);
        if (v == NULL)
            return -1;
        b->cuts = v;
        uint32_t *t = realloc(b->toks, cap * sizeof *t);
        if (t == NULL)
            return -1;
        b->toks = t;
        b->capcuts = cap;
    }
    b->toks[b->ncuts] = tokens;
    b->cuts[b->ncuts++] = b->out.len;
    return 0;
}

static item *batch_add(batch *b)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        item *v = realloc(b->items, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        b->items = v;
        b->cap = cap;
    }
    item *it = &b->items[b->n++];
    memset(it, 0, sizeof *it);
    lf_error_clear(&it->err);
    return it;
}

static lf_rawrec item_rec(const batch *b, const item *it)
{
    lf_rawrec rec = {it->has_data ? b->raw.data + it->off : NULL, it->len, b->file, it->line, it->column};
    return rec;
}

/* ---- workers: record -> samples ------------------------------------------------ */

typedef struct worker {
    const lf_config *cfg;
    lf_parser *parser;
    lf_sample sample;
    lf_kept *kept;
    size_t *ends;
    size_t ends_cap;
    lf_buf scratch;
    lf_buf norm;                /* the conversation as messages, for its hash */
    lf_buf quiet;               /* --check -q: warnings counted, not shown */
    lf_diag_fmt diag;
    lf_lint_opts lint;
    batch *cur;                 /* --check: the batch whose errors are being reported */
    int reported;               /* errors of the current record already written */
    int failed;                 /* out of memory while reporting */
    const lf_tokenizer *tokenizer; /* NULL: no tokens */
    lf_tok_state *tok;
    lf_ids ids, labels;
} worker;

/* --check: every error of a record's messages, as the parser finds them. */
static void on_record_error(void *ctx, const lf_error *e)
{
    worker *w = ctx;
    if (lf_diag_format(&w->cur->out, &w->diag, 1, lf_code_name(e->code), e) != 0)
        w->failed = 1;
    w->cur->errors++;
    w->reported++;
}

static int worker_init(worker *w, const lf_config *cfg, const lf_record_opts *rec_opts, const lf_tokenizer *t)
{
    memset(w, 0, sizeof *w);
    w->cfg = cfg;
    w->tokenizer = t;
    if (t != NULL && (w->tok = lf_tok_state_new(t)) == NULL)
        return -1;
    w->parser = lf_parser_new(rec_opts);
    w->kept = calloc(cfg->n_keep ? cfg->n_keep : 1, sizeof *w->kept);
    w->diag.json = cfg->stats == LF_STATS_JSON;
    w->diag.color = cfg->color == 1;
    w->lint.tpl = &cfg->tpl;
    w->lint.rec = rec_opts;
    w->lint.keep = (const char *const *)cfg->keep;
    w->lint.n_keep = cfg->n_keep;
    if (w->parser != NULL && cfg->mode == LF_MODE_CHECK)
        lf_parser_collect(w->parser, on_record_error, w);
    return w->parser != NULL && w->kept != NULL ? 0 : -1;
}

static void worker_free(worker *w)
{
    lf_buf_free(&w->scratch);
    lf_buf_free(&w->norm);
    lf_buf_free(&w->quiet);
    lf_tok_state_free(w->tok);
    lf_ids_free(&w->ids);
    lf_ids_free(&w->labels);
    lf_sample_free(&w->sample);
    lf_parser_free(w->parser);
    free(w->kept);
    free(w->ends);
}

/* Render the first n messages of conv into w->sample; a data error gets
 * its position. */
static lf_code render_prefix(worker *w, const lf_rawrec *rec, const lf_conversation *conv, size_t n, lf_error *e)
{
    lf_conversation view = *conv;
    view.n = n;
    size_t which;
    lf_code rc = lf_render(&w->cfg->tpl, &view, &w->sample, &which, e);
    if (lf_code_is_data(rc) && which < n)
        lf_record_locate(rec, &conv->msgs[which].path, e);
    else if (lf_code_is_data(rc))
        lf_error_at(e, rec->file, rec->line, rec->column);
    return rc;
}

/* Where the samples of a record end: every assistant turn with
 * --split-turns (a record that asks for a prompt is one sample), else the
 * whole conversation.  Returns how many (ends filled up to cap). */
static size_t sample_ends(const lf_config *cfg, const lf_conversation *conv, size_t *ends, size_t cap)
{
    size_t k = 0;
    if (cfg->split_turns && conv->gen_prompt != 1) {
        for (size_t i = 0; i < conv->n; i++)
            if (conv->msgs[i].role == LF_ROLE_ASSISTANT) {
                if (ends != NULL && k < cap)
                    ends[k] = i + 1;
                k++;
            }
        if (k > 0)
            return k;
    }
    if (ends != NULL && cap > 0)
        ends[0] = conv->n;
    return 1;
}

/* Encode w->sample into w->ids (and w->labels for -t tokens). */
static lf_code sample_tokens(worker *w, const lf_rawrec *rec, lf_error *e)
{
    const lf_config *cfg = w->cfg;
    lf_ids *labels = cfg->wr.format == LF_FORMAT_TOKENS && cfg->mode == LF_MODE_CONVERT ? &w->labels : NULL;
    lf_code rc = lf_sample_tokens(w->tok, w->tokenizer, &w->sample, cfg->wr.train_on, &w->ids, labels, e);
    if (lf_code_is_data(rc))
        lf_error_at(e, rec->file, rec->line, rec->column);
    return rc;
}

/* A sample over --max-tokens: apply --overlong.  *end is the message the
 * sample ends at (drop-turns moves it back); *keep is cleared when the
 * sample is dropped. */
static lf_code overlong(worker *w, const lf_rawrec *rec, const lf_conversation *conv, int prompt, size_t *end,
                        item *it, int *keep, lf_error *e)
{
    const lf_config *cfg = w->cfg;
    size_t max = cfg->max_tokens, n = w->ids.n;
    if (n > it->longest)
        it->longest = n;
    switch (cfg->overlong) {
    case LF_OVERLONG_ERROR:
        lf_error_set(e, LF_E_TOO_LONG, "the sample has %zu tokens, over --max-tokens %zu", n, max);
        lf_error_at(e, rec->file, rec->line, rec->column);
        return LF_E_TOO_LONG;
    case LF_OVERLONG_TRUNCATE:
        w->ids.n = max;
        if (w->labels.n > max)
            w->labels.n = max;
        it->truncated++;
        return LF_OK;
    case LF_OVERLONG_DROP_TURNS:
        /* the same conversation ending at an earlier assistant turn */
        for (size_t m = *end - 1; !prompt && !cfg->split_turns && m-- > 0;) {
            if (conv->msgs[m].role != LF_ROLE_ASSISTANT)
                continue;
            lf_code rc = render_prefix(w, rec, conv, m + 1, e);
            if (rc == LF_OK)
                rc = sample_tokens(w, rec, e);
            if (rc != LF_OK)
                return rc;
            if (w->ids.n <= max) {
                *end = m + 1;
                it->shortened++;
                return LF_OK;
            }
        }
        it->dropped++;                  /* no shorter sample fits */
        *keep = 0;
        return LF_OK;
    case LF_OVERLONG_DROP:
    default:
        it->dropped++;
        *keep = 0;
        return LF_OK;
    }
}

/* Does the run need each record's conversation hash? */
static int needs_hash(const lf_config *cfg)
{
    return cfg->dedup || cfg->n_splits > 0 || cfg->mode == LF_MODE_CHECK;
}

/* Parse, render and format one record into b->out: all of its samples or
 * none, each sample's end in b->cuts.  With --check, its warnings instead.
 * A data error is left in *e with LF_OK returned and *bad set; a system
 * error is returned. */
static lf_code convert_record(worker *w, batch *b, item *it, const lf_rawrec *rec, lf_error *e, int *bad)
{
    const lf_config *cfg = w->cfg;
    const lf_conversation *conv = NULL;
    lf_buf *out = &b->out;
    size_t mark = out->len;
    int check = cfg->mode == LF_MODE_CHECK;
    *bad = 0;
    it->samples = 0;
    it->cut0 = b->ncuts;
    w->cur = b;
    w->reported = 0;
    lf_code rc = lf_record_parse(w->parser, rec, &conv, e);
    if (w->failed)
        return lf_error_set(e, LF_E_NOMEM, "out of memory");
    /* Kept values are written once, here, in Python's form: a value Python
     * could not write either (an integer of over 4300 digits) is this
     * record's error, at the value; the samples then copy the bytes. */
    lf_buf_clear(&w->scratch);
    for (size_t i = 0; rc == LF_OK && i < cfg->n_keep; i++) {
        const char *raw;
        size_t raw_len, at = w->scratch.len;
        rc = lf_record_raw_value(w->parser, rec, cfg->keep[i], &raw, &raw_len, e);
        if (rc == LF_OK && lf_json_dump(&w->scratch, raw, raw_len, -1, e) != 0) {
            rc = e->code;
            if (lf_code_is_data(rc)) {
                lf_path kp;
                memset(&kp, 0, sizeof kp);
                kp.step[0].key = cfg->keep[i];
                kp.n = 1;
                lf_record_locate(rec, &kp, e);
            }
        }
        w->kept[i].key = cfg->keep[i];
        w->kept[i].len = w->scratch.len - at;   /* pointers are set below: scratch may move */
        w->kept[i].dumped = 1;
    }
    for (size_t i = 0, at = 0; rc == LF_OK && i < cfg->n_keep; at += w->kept[i].len, i++)
        w->kept[i].json = w->scratch.data + at;
    size_t n_ends = 0;
    int prompt = cfg->tpl.generation_prompt || (conv != NULL && conv->gen_prompt == 1);
    if (rc == LF_OK) {
        if (conv->n + 1 > w->ends_cap) {        /* at most one sample a message */
            size_t *v = realloc(w->ends, (conv->n + 1) * sizeof *v);
            if (v == NULL)
                return lf_error_set(e, LF_E_NOMEM, "out of memory");
            w->ends = v;
            w->ends_cap = conv->n + 1;
        }
        n_ends = sample_ends(cfg, conv, w->ends, w->ends_cap);
        it->shape = (uint8_t)conv->shape;
        if (needs_hash(cfg)) {
            /* the conversation as messages: the same for every shape */
            lf_buf_clear(&w->norm);
            rc = lf_format_messages(&w->norm, conv, conv->n, prompt, NULL, 0, e);
            if (rc == LF_OK)
                lf_hash128(w->norm.data, w->norm.len, 0, it->hash);
        }
    }
    for (size_t k = 0; rc == LF_OK && k < n_ends; k++) {
        size_t end = w->ends[k];
        rc = render_prefix(w, rec, conv, end, e);
        if (rc != LF_OK || check)
            continue;
        int keep = 1;
        if (w->tok != NULL) {
            rc = sample_tokens(w, rec, e);
            if (rc == LF_OK && cfg->max_tokens > 0 && w->ids.n > cfg->max_tokens)
                rc = overlong(w, rec, conv, prompt, &end, it, &keep, e);
            if (rc != LF_OK || !keep)
                continue;
        }
        if (cfg->mode == LF_MODE_COUNT_TOKENS && cfg->count_total)
            rc = LF_OK;                     /* only the total, at the end */
        else if (cfg->mode == LF_MODE_COUNT_TOKENS)
            rc = lf_format_count(out, w->ids.n, w->kept, cfg->n_keep, e);
        else if (cfg->wr.format == LF_FORMAT_TOKENS)
            rc = lf_format_tokens(out, w->ids.v, w->labels.v, w->ids.n, cfg->attention_mask, w->kept, cfg->n_keep, e);
        else if (cfg->wr.format == LF_FORMAT_MESSAGES)
            rc = lf_format_messages(out, conv, end, prompt, w->kept, cfg->n_keep, e);
        else
            rc = lf_format_sample(out, &cfg->wr, &w->sample, w->kept, cfg->n_keep, e);
        if (lf_code_is_data(rc))            /* a kept value that cannot be written */
            lf_error_at(e, rec->file, rec->line, rec->column);
        else if (rc == LF_OK && batch_cut(b, (uint32_t)w->ids.n) != 0)
            rc = lf_error_set(e, LF_E_NOMEM, "out of memory");
        else if (rc == LF_OK)
            it->samples++;
    }
    if (rc == LF_OK && check) {
        lf_buf *dst = cfg->quiet ? &w->quiet : out;
        lf_buf_clear(&w->quiet);
        rc = lf_lint_record(&w->lint, w->parser, rec, conv, &w->diag, dst, b->warnings, e);
    }
    lf_parser_release(w->parser);
    if (rc != LF_OK) {
        if (!check)
            out->len = mark;                /* the record is written whole or not at all */
        b->ncuts = it->cut0;
        it->samples = 0;
        it->dropped = it->truncated = it->shortened = 0;
    }
    if (lf_code_is_data(rc)) {
        *bad = 1;
        if (check && w->reported == 0) {    /* not yet written by on_record_error */
            if (lf_diag_format(out, &w->diag, 1, lf_code_name(e->code), e) != 0)
                return lf_error_set(e, LF_E_NOMEM, "out of memory");
            b->errors++;
        }
        return LF_OK;
    }
    return rc;
}

static void process_batch(worker *w, batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        item *it = &b->items[i];
        it->cut0 = b->ncuts;
        if (it->err.code == LF_OK) {
            lf_rawrec rec = item_rec(b, it);
            int bad = 0;
            lf_error e = LF_ERROR_INIT;
            lf_error_clear(&e);
            lf_code rc = convert_record(w, b, it, &rec, &e, &bad);
            if (rc != LF_OK) {
                b->sys = e;
                b->sys.code = rc;
                b->n = i;                   /* nothing after a system error counts */
                return;
            }
            if (bad)
                it->err = e;
        } else if (w->cfg->mode == LF_MODE_CHECK) {
            if (lf_diag_format(&b->out, &w->diag, 1, lf_code_name(it->err.code), &it->err) != 0) {
                lf_error_set(&b->sys, LF_E_NOMEM, "out of memory");
                b->n = i;
                return;
            }
            b->errors++;
        }
        it->out_end = b->out.len;
    }
}

/* ---- the thread pool ---------------------------------------------------------- */

typedef struct pool {
    pthread_mutex_t mu;
    pthread_cond_t work;        /* a batch was queued, or quit */
    pthread_cond_t done;        /* a batch was finished */
    batch *head, *tail;
    int quit;
    size_t n;
    pthread_t *threads;
    worker *workers;
} pool;

typedef struct thread_arg {
    pool *p;
    worker *w;
} thread_arg;

static void *pool_thread(void *arg)
{
    thread_arg *a = arg;
    pool *p = a->p;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->head == NULL && !p->quit)
            pthread_cond_wait(&p->work, &p->mu);
        if (p->head == NULL) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        batch *b = p->head;
        p->head = b->next;
        if (p->head == NULL)
            p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        process_batch(a->w, b);
        pthread_mutex_lock(&p->mu);
        b->done = 1;
        pthread_cond_broadcast(&p->done);
        pthread_mutex_unlock(&p->mu);
    }
}

/* ---- files ------------------------------------------------------------------- */

/* Read a whole (small) file, e.g. --tools. */
static lf_code read_whole(const char *path, char **out, size_t *len, lf_error *err)
{
    lf_buf b = LF_BUF_INIT;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        lf_error_at(err, path, 0, 0);
        return lf_error_set(err, LF_E_IO, "cannot open: %s", strerror(errno));
    }
    for (;;) {
        if (lf_buf_reserve(&b, 65536) != 0) {
            close(fd);
            lf_buf_free(&b);
            return lf_error_set(err, LF_E_NOMEM, "out of memory");
        }
        ssize_t k = read(fd, b.data + b.len, b.cap - b.len);
        if (k == 0)
            break;
        if (k < 0) {
            if (errno == EINTR)
                continue;
            lf_error_at(err, path, 0, 0);
            lf_error_set(err, LF_E_IO, "read error: %s", strerror(errno));
            close(fd);
            lf_buf_free(&b);
            return LF_E_IO;
        }
        b.len += (size_t)k;
    }
    close(fd);
    *out = b.data;
    *len = b.len;
    return LF_OK;
}

/* ---- conversations seen (--dedup, --check) --------------------------------------- */

/* An open-addressing set of 128-bit hashes; with --check also where each
 * was first seen.  About 16 (24) bytes per distinct conversation at most
 * 2/3 full: the one structure that grows with the input, by design. */
typedef struct seen_pos {
    const char *file;
    uint64_t line;
} seen_pos;

typedef struct seen_set {
    uint64_t (*h)[2];
    seen_pos *pos;              /* NULL unless positions are kept */
    size_t cap, n;
    int keep_pos;
} seen_set;

static void seen_free(seen_set *s)
{
    free(s->h);
    free(s->pos);
    memset(s, 0, sizeof *s);
}

static int seen_grow(seen_set *s)
{
    size_t cap = s->cap ? s->cap * 2 : 4096;
    uint64_t(*h)[2] = calloc(cap, sizeof *h);
    seen_pos *pos = s->keep_pos ? calloc(cap, sizeof *pos) : NULL;
    if (h == NULL || (s->keep_pos && pos == NULL)) {
        free(h);
        free(pos);
        return -1;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (s->h[i][0] == 0 && s->h[i][1] == 0)
            continue;
        size_t j = (size_t)s->h[i][0] & (cap - 1);
        while (h[j][0] != 0 || h[j][1] != 0)
            j = (j + 1) & (cap - 1);
        h[j][0] = s->h[i][0];
        h[j][1] = s->h[i][1];
        if (pos)
            pos[j] = s->pos[i];
    }
    free(s->h);
    free(s->pos);
    s->h = h;
    s->pos = pos;
    s->cap = cap;
    return 0;
}

/* Insert hash; returns 1 when it was there (*first: where), 0 when new,
 * -1 on ENOMEM. */
static int seen_add(seen_set *s, const uint64_t hash[2], const char *file, uint64_t line, seen_pos *first)
{
    uint64_t h0 = hash[0], h1 = hash[1];
    if (h0 == 0 && h1 == 0)
        h1 = 1;                             /* (0, 0) marks an empty slot */
    if ((s->n + 1) * 3 > s->cap * 2 && seen_grow(s) != 0)
        return -1;
    size_t j = (size_t)h0 & (s->cap - 1);
    while (s->h[j][0] != 0 || s->h[j][1] != 0) {
        if (s->h[j][0] == h0 && s->h[j][1] == h1) {
            if (first && s->pos)
                *first = s->pos[j];
            return 1;
        }
        j = (j + 1) & (s->cap - 1);
    }
    s->h[j][0] = h0;
    s->h[j][1] = h1;
    if (s->pos)
        s->pos[j] = (seen_pos){file, line};
    s->n++;
    return 0;
}

/* ---- the shuffle buffer (--shuffle) ---------------------------------------------- */

/* A buffer of up to `cap` samples: once full, each new sample takes the
 * place of a random one, which is written out; at the end the rest is
 * written in random order.  Deterministic for a seed. */
typedef struct shuffled {
    lf_buf bytes;
    uint8_t split;
} shuffled;

typedef struct shuffler {
    shuffled *v;
    size_t n, cap;
    uint64_t rng;
} shuffler;

/* splitmix64 */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static size_t random_below(uint64_t *state, size_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;
    do
        x = next_random(state);
    while (x >= limit);
    return (size_t)(x % n);
}

static void shuffler_free(shuffler *s)
{
    for (size_t i = 0; i < s->cap; i++)
        lf_buf_free(&s->v[i].bytes);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* ---- the run: reading, ordering, emitting ---------------------------------------- */

typedef struct run {
    const lf_config *cfg;
    const lf_hooks *hooks;
    lf_stats *st;
    lf_out *out;
    lf_out *rej;
    pool pool;                  /* threads (pool.n == 0: process in line) */
    worker *workers;            /* pool.n of them, or one */
    thread_arg *args;
    batch *batches;             /* max_flight of them */
    batch **flight;             /* ring of batches in input order */
    size_t max_flight, first, count;
    uint64_t file_bytes;        /* input bytes up to the last record emitted */
    lf_progress prog;
    uint64_t bytes_before;      /* input bytes (as stored) of the files already done */
    const char *tools_text;     /* --tools, for --update's stamp */
    size_t tools_len;
    /* per-record routing (--dedup, --split, --shuffle, --check) */
    int each;                   /* emit record by record */
    lf_out *sinks[LF_MAX_SPLITS]; /* one per split; [0] is `out` without --split */
    seen_set seen;
    shuffler shuf;
    lf_tokenizer *tokenizer;    /* --tokenizer, shared by the workers */
    const char *file_shapes_of; /* --check: the file whose shapes are in `shapes` */
    unsigned shapes;            /* bit per lf_shape seen in it */
    lf_shape first_shape;
    lf_policy pol;              /* what happens to rejected records (pipeline.h) */
} run;

static int stopped(const run *r) { return r->hooks && r->hooks->stop && *r->hooks->stop; }

/* Hand one sample to split k's sink, through the shuffle buffer. */
static lf_code put_sample(run *r, unsigned k, const char *p, size_t n, lf_error *err)
{
    shuffler *s = &r->shuf;
    if (s->cap == 0)
        return lf_out_append(r->sinks[k], p, n, err);
    shuffled *slot;
    if (s->n < s->cap) {
        slot = &s->v[s->n++];
    } else {
        slot = &s->v[random_below(&s->rng, s->cap)];
        lf_code rc = lf_out_append(r->sinks[slot->split], slot->bytes.data, slot->bytes.len, err);
        if (rc != LF_OK)
            return rc;
    }
    lf_buf_clear(&slot->bytes);
    if (lf_buf_append(&slot->bytes, p, n) != 0)
        return lf_error_set(err, LF_E_NOMEM, "out of memory");
    slot->split = (uint8_t)k;
    return LF_OK;
}

/* Write what the shuffle buffer holds, in random order (Fisher-Yates). */
static lf_code flush_shuffled(run *r, lf_error *err)
{
    shuffler *s = &r->shuf;
    for (size_t i = s->n; i > 1; i--) {
        size_t j = random_below(&s->rng, i);
        shuffled t = s->v[i - 1];
        s->v[i - 1] = s->v[j];
        s->v[j] = t;
    }
    lf_code rc = LF_OK;
    for (size_t i = 0; i < s->n && rc == LF_OK; i++)
        rc = lf_out_append(r->sinks[s->v[i].split], s->v[i].bytes.data, s->v[i].bytes.len, err);
    s->n = 0;
    return rc;
}

/* The split a conversation belongs to: by its hash and the seed only, so
 * adding or reordering records moves no other record. */
static unsigned split_of(const lf_config *cfg, const uint64_t hash[2])
{
    if (cfg->n_splits == 0)
        return 0;
    uint64_t h = lf_fmix64(hash[0] ^ lf_fmix64(cfg->seed + 0x9e3779b97f4a7c15ULL));
    unsigned k = 0;
    while (k + 1 < cfg->n_splits && h >= cfg->splits[k].upto)
        k++;
    return k;
}

/* --check: the warnings only the sequence of records shows. */
static lf_code check_sequence(run *r, const batch *b, const item *it, lf_error *err)
{
    const lf_config *cfg = r->cfg;
    lf_diag_fmt f = {cfg->stats == LF_STATS_JSON, cfg->color == 1};
    lf_error e = LF_ERROR_INIT;
    lf_error_at(&e, b->file, it->line, it->column);
    lf_buf line = LF_BUF_INIT;
    int rc = 0;
    seen_pos first = {NULL, 0};
    int dup = seen_add(&r->seen, it->hash, b->file, it->line, &first);
    if (dup < 0)
        return lf_error_set(err, LF_E_NOMEM, "out of memory");
    if (dup) {
        lf_error_set(&e, LF_OK, "the same conversation as %s:%llu", first.file ? first.file : "?",
                     (unsigned long long)first.line);
        r->st->warnings_by[LF_W_DUPLICATE]++;
        if (!cfg->quiet)
            rc |= lf_diag_format(&line, &f, 0, lf_warning_name(LF_W_DUPLICATE), &e);
    }
    if (r->file_shapes_of != b->file) {
        r->file_shapes_of = b->file;
        r->shapes = 1u << it->shape;
        r->first_shape = (lf_shape)it->shape;
    } else if (!(r->shapes & (1u << it->shape))) {
        r->shapes |= 1u << it->shape;
        lf_error_set(&e, LF_OK, "a %s record in a file that started with %s records", lf_shape_name((lf_shape)it->shape),
                     lf_shape_name(r->first_shape));
        r->st->warnings_by[LF_W_MIXED_SHAPES]++;
        if (!cfg->quiet)
            rc |= lf_diag_format(&line, &f, 0, lf_warning_name(LF_W_MIXED_SHAPES), &e);
    }
    lf_code c = LF_OK;
    if (rc != 0)
        c = lf_error_set(err, LF_E_NOMEM, "out of memory");
    else if (line.len > 0)
        c = lf_out_append(r->out, line.data, line.len, err);
    lf_buf_free(&line);
    return c;
}

#define TOKEN_HIST 65536

/* Count one written sample of n tokens.  0 or -1. */
static int count_tokens(lf_stats *st, uint32_t n)
{
    st->tokens += n;
    if (n < TOKEN_HIST) {
        if (st->token_hist == NULL && (st->token_hist = calloc(TOKEN_HIST, sizeof *st->token_hist)) == NULL)
            return -1;
        st->token_hist_len = TOKEN_HIST;
        st->token_hist[n]++;
        return 0;
    }
    if (st->n_token_long == st->cap_token_long) {
        size_t cap = st->cap_token_long ? st->cap_token_long * 2 : 64;
        uint32_t *v = realloc(st->token_long, cap * sizeof *v);
        if (v == NULL)
            return -1;
        st->token_long = v;
        st->cap_token_long = cap;
    }
    st->token_long[st->n_token_long++] = n;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

uint64_t lf_stats_token_quantile(const lf_stats *st, double q)
{
    uint64_t total = st->n_token_long;
    for (size_t i = 0; i < st->token_hist_len; i++)
        total += st->token_hist[i];
    if (total == 0)
        return 0;
    /* nearest rank: the smallest value with at least ceil(q * total) samples at or below it */
    uint64_t rank = (uint64_t)(q * (double)total);
    if ((double)rank < q * (double)total)
        rank++;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < st->token_hist_len; i++)
        if ((seen += st->token_hist[i]) >= rank)
            return i;
    qsort(st->token_long, st->n_token_long, sizeof *st->token_long, cmp_u32);
    return st->token_long[rank - seen - 1];
}

/* A record with samples over --max-tokens: count them, list the record in
 * the rejects file; when none of its samples is left it counts as rejected
 * (without stopping the run: dropping is what --overlong asked for). */
static lf_code overlong_note(run *r, const batch *b, const item *it, lf_error *err)
{
    lf_stats *st = r->st;
    st->samples_dropped += it->dropped;
    st->samples_truncated += it->truncated;
    st->samples_shortened += it->shortened;
    lf_error e = LF_ERROR_INIT;
    unsigned long long max = (unsigned long long)r->cfg->max_tokens, longest = (unsigned long long)it->longest;
    if (it->samples == 0)
        lf_error_set(&e, LF_E_TOO_LONG, "%s over --max-tokens %llu (%llu tokens): dropped",
                     it->dropped == 1 ? "the sample is" : "every sample is", max, longest);
    else if (it->dropped + it->truncated + it->shortened == 1)
        lf_error_set(&e, LF_E_TOO_LONG, "a sample over --max-tokens %llu (%llu tokens) was %s", max, longest,
                     it->dropped ? "dropped" : it->truncated ? "truncated" : "shortened by whole turns");
    else
        lf_error_set(&e, LF_E_TOO_LONG,
                     "samples over --max-tokens %llu (up to %llu tokens): %u dropped, %u truncated, %u shortened", max,
                     longest, it->dropped, it->truncated, it->shortened);
    lf_error_at(&e, b->file, it->line, it->column);
    if (it->samples == 0) {
        st->rejected++;
        st->rejected_by[LF_E_TOO_LONG]++;
        if (st->rejected == 1)
            st->first_reject = e;
    }
    lf_policy_report(&r->pol, &e);
    if (r->rej != NULL) {
        lf_rawrec rec = item_rec(b, it);
        return lf_write_reject(r->rej, &e, &rec, err);
    }
    return LF_OK;
}

/* Emit a processed batch record by record: --check's diagnostics, or each
 * record's samples through --dedup, --split and --shuffle. */
static lf_code emit_each(run *r, batch *b, lf_error *err)
{
    const lf_config *cfg = r->cfg;
    lf_stats *st = r->st;
    int check = cfg->mode == LF_MODE_CHECK;
    lf_code rc = LF_OK;
    for (int w = 0; w < LF_W_COUNT; w++)
        st->warnings_by[w] += b->warnings[w];
    st->errors += b->errors;
    for (size_t i = 0; i < b->n && rc == LF_OK; i++) {
        item *it = &b->items[i];
        size_t start = i > 0 ? b->items[i - 1].out_end : 0;
        r->file_bytes = it->in_end;
        if (check) {
            /* the worker wrote this record's diagnostics */
            if (it->out_end > start && (rc = lf_out_append(r->out, b->out.data + start, it->out_end - start, err)) != LF_OK)
                break;
            if (it->err.code != LF_OK) {
                lf_rawrec rec = item_rec(b, it);
                st->records_read++;
                st->rejected++;
                st->rejected_by[it->err.code]++;
                if (st->rejected == 1)
                    st->first_reject = it->err;
                if (r->rej != NULL)
                    rc = lf_write_reject(r->rej, &it->err, &rec, err);
                continue;
            }
            st->records_read++;
            st->records_converted++;
            rc = check_sequence(r, b, it, err);
            continue;
        }
        if (it->err.code != LF_OK) {
            lf_rawrec rec = item_rec(b, it);
            rc = lf_policy_reject(&r->pol, &rec, &it->err, err);
            continue;
        }
        st->records_read++;
        if (cfg->dedup) {
            int dup = seen_add(&r->seen, it->hash, NULL, 0, NULL);
            if (dup < 0)
                return lf_error_set(err, LF_E_NOMEM, "out of memory");
            if (dup) {
                st->duplicates++;
                continue;
            }
        }
        if (it->dropped + it->truncated + it->shortened > 0) {
            if ((rc = overlong_note(r, b, it, err)) != LF_OK || it->samples == 0)
                continue;
        }
        st->records_converted++;
        unsigned k = split_of(cfg, it->hash);
        size_t from = start;
        for (uint32_t s = 0; s < it->samples && rc == LF_OK; s++) {
            size_t to = b->cuts[it->cut0 + s];
            rc = put_sample(r, k, b->out.data + from, to - from, err);
            from = to;
            if (r->tokenizer != NULL && count_tokens(st, b->toks[it->cut0 + s]) != 0)
                rc = lf_error_set(err, LF_E_NOMEM, "out of memory");
        }
        st->samples_written += it->samples;
        st->split_samples[k] += it->samples;
    }
    if (rc != LF_OK)
        return rc;
    if (b->sys.code != LF_OK) {
        *err = b->sys;
        return b->sys.code;
    }
    return LF_OK;
}

/* Emit a processed batch: output up to the first record that stops the run,
 * rejections and statistics in order. */
static lf_code emit(run *r, batch *b, lf_error *err)
{
    if (r->each)
        return emit_each(r, b, err);
    size_t written = 0;
    lf_code rc = LF_OK;
    for (size_t i = 0; i < b->n && rc == LF_OK; i++) {
        item *it = &b->items[i];
        r->file_bytes = it->in_end;
        if (it->err.code == LF_OK) {
            r->st->records_read++;
            r->st->records_converted++;
            r->st->samples_written += it->samples;
            continue;
        }
        /* write what precedes a rejected record before judging it */
        size_t upto = i > 0 ? b->items[i - 1].out_end : 0;
        if (upto > written) {
            rc = lf_out_append(r->out, b->out.data + written, upto - written, err);
            written = upto;
            if (rc != LF_OK)
                return rc;
        }
        lf_rawrec rec = item_rec(b, it);
        rc = lf_policy_reject(&r->pol, &rec, &it->err, err);
    }
    if (rc != LF_OK)
        return rc;
    if (b->out.len > written && (rc = lf_out_append(r->out, b->out.data + written, b->out.len - written, err)) != LF_OK)
        return rc;
    if (b->sys.code != LF_OK) {
        *err = b->sys;
        return b->sys.code;
    }
    return LF_OK;
}

static void submit(run *r, batch *b)
{
    if (r->pool.n == 0) {
        process_batch(&r->workers[0], b);
        b->done = 1;
        return;
    }
    pthread_mutex_lock(&r->pool.mu);
    if (r->pool.tail)
        r->pool.tail->next = b;
    else
        r->pool.head = b;
    r->pool.tail = b;
    pthread_cond_signal(&r->pool.work);
    pthread_mutex_unlock(&r->pool.mu);
}

static void wait_done(run *r, batch *b)
{
    if (r->pool.n == 0)
        return;
    pthread_mutex_lock(&r->pool.mu);
    while (!b->done)
        pthread_cond_wait(&r->pool.done, &r->pool.mu);
    pthread_mutex_unlock(&r->pool.mu);
}

/* Wait for and emit the oldest batch in flight (or only wait, to drain). */
static lf_code retire(run *r, int emit_it, lf_error *err)
{
    batch *b = r->flight[r->first];
    wait_done(r, b);
    r->first = (r->first + 1) % r->max_flight;
    r->count--;
    return emit_it ? emit(r, b, err) : LF_OK;
}

/* Read records of rd into b until it is full.  Returns 1 when the input
 * goes on, 0 at its end, or -1 with *sys set (I/O, memory, interruption). */
static int fill(run *r, lf_reader *rd, batch *b, lf_error *sys)
{
    while (b->raw.len < BATCH_BYTES && b->n < BATCH_ITEMS) {
        if (stopped(r)) {
            lf_error_set(sys, LF_E_INTERRUPTED, "interrupted");
            return -1;
        }
        lf_rawrec rec;
        lf_error e = LF_ERROR_INIT;
        lf_error_clear(&e);
        int k = lf_reader_next(rd, &rec, &e);
        if (k == 0)
            return 0;
        if (k < 0 && !lf_code_is_data(e.code)) {
            *sys = e;
            return -1;
        }
        item *it = batch_add(b);
        if (it == NULL || (rec.data != NULL && lf_buf_append(&b->raw, rec.data, rec.len) != 0)) {
            lf_error_set(sys, LF_E_NOMEM, "out of memory");
            return -1;
        }
        it->off = b->raw.len - (rec.data ? rec.len : 0);
        it->len = rec.len;
        it->has_data = rec.data != NULL;
        it->line = rec.line;
        it->column = rec.column;
        it->in_end = lf_reader_bytes(rd);
        if (k < 0)
            it->err = e;                    /* too large, or the framing is lost */
    }
    return 1;
}

static void progress(run *r, int fd)
{
    lf_progress_report(r->hooks, &r->prog, r->st, r->bytes_before, fd);
}

/* Convert one input, keeping up to max_flight batches in flight. */
static lf_code convert_fd(run *r, int fd, lf_decoder *dec, const char *name, lf_error *err)
{
    lf_reader *rd = lf_reader_new(fd, name, r->cfg->max_record);
    if (rd == NULL)
        return lf_error_set(err, LF_E_NOMEM, "out of memory");
    lf_reader_set_stop(rd, r->hooks ? r->hooks->stop : NULL);
    if (dec != NULL)
        lf_reader_set_source(rd, lf_decoder_read, dec);
    lf_code rc = LF_OK;
    int more = 1;
    r->file_bytes = 0;
    while (rc == LF_OK && (more || r->count > 0)) {
        while (more && r->count < r->max_flight) {
            batch *b = r->flight[(r->first + r->count) % r->max_flight];
            batch_reset(b, name);
            lf_error sys = LF_ERROR_INIT;
            lf_error_clear(&sys);
            more = fill(r, rd, b, &sys);
            if (more < 0) {
                *err = sys;
                rc = sys.code;
                break;
            }
            if (b->n == 0)
                break;
            submit(r, b);
            r->count++;
        }
        if (rc == LF_OK && r->count > 0) {
            rc = retire(r, 1, err);
            progress(r, fd);
        }
    }
    while (r->count > 0)                    /* after an error: let the workers finish */
        retire(r, 0, NULL);
    /* what was read ahead of a record that stopped the run does not count,
     * so the figure is the same for any number of threads */
    r->st->bytes_read += rc == LF_OK ? lf_reader_bytes(rd) : r->file_bytes;
    lf_reader_free(rd);
    return rc;
}

/* Open, decode and convert one input; "-" is standard input.  An input
 * that cannot be opened is LF_E_IO with err set. */
static lf_code convert_path(run *r, const char *path, lf_error *err)
{
    lf_input in;
    lf_code rc = lf_input_open(path, &in, err);
    if (rc != LF_OK)
        return rc;
    r->st->files++;
    rc = convert_fd(r, in.fd, in.dec, in.name, err);
    if (rc == LF_E_IO && err->file == NULL)
        lf_error_at(err, in.name, 0, 0);
    r->bytes_before += in.size;
    r->prog.files_done++;
    lf_input_close(&in);
    return rc;
}

static size_t online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t)n : 1;
}

/* Workers, threads and batches.  Returns LF_OK or LF_E_NOMEM/LF_E_IO. */
static lf_code run_start(run *r, const lf_record_opts *rec_opts, lf_error *err)
{
    size_t threads = r->cfg->threads ? r->cfg->threads : online_cpus();
    size_t n_workers = threads > 1 ? threads : 1;
    r->workers = calloc(n_workers, sizeof *r->workers);
    if (r->workers == NULL)
        return lf_error_set(err, LF_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n_workers; i++)
        if (worker_init(&r->workers[i], r->cfg, rec_opts, r->tokenizer) != 0) {
            for (size_t j = 0; j <= i; j++)
                worker_free(&r->workers[j]);
            free(r->workers);
            r->workers = NULL;
            return lf_error_set(err, LF_E_NOMEM, "out of memory");
        }
    r->max_flight = threads > 1 ? 2 * threads : 1;
    r->batches = calloc(r->max_flight, sizeof *r->batches);
    r->flight = calloc(r->max_flight, sizeof *r->flight);
    if (r->batches == NULL || r->flight == NULL)
        return lf_error_set(err, LF_E_NOMEM, "out of memory");
    for (size_t i = 0; i < r->max_flight; i++)
        r->flight[i] = &r->batches[i];
    if (threads <= 1)
        return LF_OK;
    pool *p = &r->pool;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    p->threads = calloc(threads, sizeof *p->threads);
    r->args = calloc(threads, sizeof *r->args);
    if (p->threads == NULL || r->args == NULL)
        return lf_error_set(err, LF_E_NOMEM, "out of memory");
    for (size_t i = 0; i < threads; i++) {
        r->args[i].p = p;
        r->args[i].w = &r->workers[i];
        int e = pthread_create(&p->threads[i], NULL, pool_thread, &r->args[i]);
        if (e != 0)
            return lf_error_set(err, LF_E_IO, "cannot start a thread: %s", strerror(e));
        p->n++;
    }
    return LF_OK;
}

static void run_stop(run *r)
{
    pool *p = &r->pool;
    if (p->threads != NULL) {
        pthread_mutex_lock(&p->mu);
        p->quit = 1;
        pthread_cond_broadcast(&p->work);
        pthread_mutex_unlock(&p->mu);
        for (size_t i = 0; i < p->n; i++)
            pthread_join(p->threads[i], NULL);
        pthread_cond_destroy(&p->work);
        pthread_cond_destroy(&p->done);
        pthread_mutex_destroy(&p->mu);
        free(p->threads);
    }
    size_t n_workers = r->pool.n > 1 ? r->pool.n : 1;
    if (r->workers != NULL)
        for (size_t i = 0; i < n_workers; i++)
            worker_free(&r->workers[i]);
    for (size_t i = 0; r->batches != NULL && i < r->max_flight; i++)
        batch_free(&r->batches[i]);
    free(r->batches);
    free(r->flight);
    free(r->workers);
    free(r->args);
}


char *lf_split_path(const char *path, const char *outdir, const char *name)
{
    size_t nl = strlen(name), pl = strlen(path);
    char *out = malloc(pl + nl + 3);
    if (out == NULL)
        return NULL;
    if (outdir != NULL) {
        size_t k = strlen(outdir);
        size_t skip = k + (k > 0 && outdir[k - 1] != '/' ? 1 : 0);
        if (skip > pl)
            skip = pl;
        memcpy(out, path, skip);
        memcpy(out + skip, name, nl);
        out[skip + nl] = '/';
        strcpy(out + skip + nl + 1, path + skip);
        return out;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *end = path + pl;
    lf_codec codec = lf_codec_of_path(path);
    if (codec != LF_CODEC_NONE)
        end -= strlen(lf_codec_suffix(codec));
    const char *dot = end;
    for (const char *c = end; c > base + 1; c--)
        if (c[-1] == '.') {
            dot = c - 1;
            break;
        }
    size_t head = (size_t)(dot - path);
    memcpy(out, path, head);
    out[head] = '.';
    memcpy(out + head + 1, name, nl);
    strcpy(out + head + 1 + nl, dot);
    return out;
}

/* Open the outputs of `path` (NULL: standard output): one, or one per
 * split (created with their directories under -O). */
static lf_code open_outputs(run *r, const char *path, const char *outdir, lf_codec codec, lf_error *err)
{
    const lf_config *cfg = r->cfg;
    const volatile sig_atomic_t *stop = r->hooks ? r->hooks->stop : NULL;
    if (cfg->n_splits == 0) {
        if ((r->out = lf_out_open(path, stop, err)) == NULL)
            return err->code;
        r->sinks[0] = r->out;
        if (path != NULL && lf_out_set_codec(r->out, codec) != 0)
            return lf_error_set(err, LF_E_NOMEM, "out of memory");
        return LF_OK;
    }
    for (size_t k = 0; k < cfg->n_splits; k++) {
        char *sp = lf_split_path(path, outdir, cfg->splits[k].name);
        if (sp == NULL)
            return lf_error_set(err, LF_E_NOMEM, "out of memory");
        lf_code rc = LF_OK;
        if (outdir != NULL && lf_make_parents(sp) != 0)
            rc = lf_error_set(err, LF_E_IO, "%s: cannot create its directory: %s", sp, strerror(errno));
        else if ((r->sinks[k] = lf_out_open(sp, stop, err)) == NULL)
            rc = err->code;
        else if (lf_out_set_codec(r->sinks[k], codec) != 0)
            rc = lf_error_set(err, LF_E_NOMEM, "out of memory");
        free(sp);
        if (rc != LF_OK)
            return rc;
    }
    return LF_OK;
}

/* Commit the outputs (keep) or throw them away, and free them.  The
 * shuffle buffer is written out first.  Returns rc, or the first error of
 * committing when rc allowed keeping. */
static lf_code close_outputs(run *r, int keep, lf_code rc, lf_error *err)
{
    size_t n = r->cfg->n_splits ? r->cfg->n_splits : 1;
    lf_error e2 = LF_ERROR_INIT;
    if (keep && r->shuf.n > 0) {
        lf_code c2 = flush_shuffled(r, &e2);
        if (c2 != LF_OK) {
            *err = e2;
            rc = c2;
            keep = 0;
        }
    }
    r->shuf.n = 0;
    for (size_t k = 0; k < n; k++) {
        if (r->sinks[k] == NULL)
            continue;
        if (keep) {
            lf_code c2 = lf_out_commit(r->sinks[k], &e2);
            if (c2 != LF_OK && (rc == LF_OK || lf_code_is_data(rc) || rc == LF_E_IO)) {
                *err = e2;
                rc = c2;
            }
        }
        r->st->bytes_written += lf_out_bytes(r->sinks[k]);
        lf_out_abort(r->sinks[k]);
        r->sinks[k] = NULL;
    }
    r->out = NULL;
    return rc;
}

/* Does any output of `path` exist?  Sets *which to the first. */
static int outputs_exist(const lf_config *cfg, const char *path, char **which)
{
    size_t n = cfg->n_splits ? cfg->n_splits : 1;
    for (size_t k = 0; k < n; k++) {
        char *p = cfg->n_splits ? lf_split_path(path, cfg->outdir, cfg->splits[k].name) : strdup(path);
        if (p != NULL && access(p, F_OK) == 0) {
            *which = p;
            return 1;
        }
        free(p);
    }
    return 0;
}

/* Is every output of job newer than its input? */
static int up_to_date(const lf_config *cfg, const lf_job *job)
{
    struct stat si, so;
    if (stat(job->input, &si) != 0)
        return 0;
    size_t n = cfg->n_splits ? cfg->n_splits : 1;
    for (size_t k = 0; k < n; k++) {
        char *p = cfg->n_splits ? lf_split_path(job->output, cfg->outdir, cfg->splits[k].name) : NULL;
        int ok = stat(p ? p : job->output, &so) == 0 &&
                 (so.st_mtim.tv_sec > si.st_mtim.tv_sec ||
                  (so.st_mtim.tv_sec == si.st_mtim.tv_sec && so.st_mtim.tv_nsec >= si.st_mtim.tv_nsec));
        free(p);
        if (!ok)
            return 0;
    }
    return 1;
}

static char *stamp_path(const char *outdir)
{
    const char *name = ".llamafmt-options";
    size_t n = strlen(outdir);
    char *p = malloc(n + strlen(name) + 2);
    if (p != NULL) {
        memcpy(p, outdir, n);
        p[n] = '/';
        strcpy(p + n + 1, name);
    }
    return p;
}

/* -O: every input to its own output.  The options stamp under OUTDIR lets
 * --update tell outputs made with other options. */
static lf_code convert_batch(run *r, const lf_plan *plan, lf_error *err)
{
    const lf_config *cfg = r->cfg;
    const volatile sig_atomic_t *stop = r->hooks ? r->hooks->stop : NULL;
    lf_code rc = LF_OK, io_failed = LF_OK;
    if (!cfg->force && !cfg->update)
        for (size_t i = 0; i < plan->n; i++) {
            char *which = NULL;
            if (outputs_exist(cfg, plan->jobs[i].output, &which)) {
                lf_error_set(err, LF_E_USAGE, "%s: output exists (use --force to overwrite, --update to refresh)", which);
                free(which);
                return LF_E_USAGE;
            }
        }
    lf_buf want = LF_BUF_INIT, have = LF_BUF_INIT;
    char *stamp = stamp_path(cfg->outdir);
    if (stamp == NULL || lf_config_fingerprint(cfg, &want) != 0) {
        rc = lf_error_set(err, LF_E_NOMEM, "out of memory");
        goto done;
    }
    if (r->tools_text != NULL) {
        /* the contents of --tools shape the output too: stamp a hash of them */
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < r->tools_len; i++)
            h = (h ^ (unsigned char)r->tools_text[i]) * 1099511628211ULL;
        char line[64];
        snprintf(line, sizeof line, "tools-fnv1a=%016llx\n", (unsigned long long)h);
        if (lf_buf_puts(&want, line) != 0) {
            rc = lf_error_set(err, LF_E_NOMEM, "out of memory");
            goto done;
        }
    }
    char *text = NULL;
    size_t len = 0;
    lf_error ignored = LF_ERROR_INIT;
    int same_options = 0;
    if (read_whole(stamp, &text, &len, &ignored) == LF_OK)
        same_options = len == want.len && memcmp(text, want.data, len) == 0;
    free(text);
    /* Outputs made with other options are about to be replaced: the old
     * stamp must not outlive a run that stops half-way. */
    if (!same_options && unlink(stamp) != 0 && errno != ENOENT) {
        rc = lf_error_set(err, LF_E_IO, "%s: cannot remove: %s", stamp, strerror(errno));
        goto done;
    }
    if (lf_make_parents(stamp) != 0) {
        rc = lf_error_set(err, LF_E_IO, "%s: cannot create the directory: %s", cfg->outdir, strerror(errno));
        goto done;
    }
    r->prog.files_total = plan->n;
    for (size_t i = 0; i < plan->n; i++) {
        struct stat st;
        if (stat(plan->jobs[i].input, &st) == 0)
            r->prog.bytes_total += (uint64_t)st.st_size;
    }
    for (size_t i = 0; i < plan->n && rc == LF_OK; i++) {
        const lf_job *job = &plan->jobs[i];
        if (stopped(r)) {
            rc = lf_error_set(err, LF_E_INTERRUPTED, "interrupted");
            break;
        }
        if (cfg->update && same_options && up_to_date(cfg, job)) {
            r->st->files_skipped++;
            r->prog.files_done++;
            struct stat st;
            if (stat(job->input, &st) == 0)
                r->bytes_before += (uint64_t)st.st_size;
            if (r->hooks && r->hooks->on_file)
                r->hooks->on_file(r->hooks->ctx, job->input, job->output, NULL, 1);
            continue;
        }
        lf_stats before = *r->st;
        lf_error e = LF_ERROR_INIT;
        lf_error_clear(&e);
        if (cfg->n_splits == 0 && lf_make_parents(job->output) != 0)
            lf_error_set(&e, LF_E_IO, "%s: cannot create its directory: %s", job->output, strerror(errno));
        else
            open_outputs(r, job->output, cfg->outdir, job->out_codec, &e);
        lf_code frc = e.code != LF_OK ? e.code : convert_path(r, job->input, &e);
        frc = close_outputs(r, frc == LF_OK, frc, &e);  /* removes the temporaries on failure */
        if (frc == LF_E_IO && cfg->on_error == LF_ON_ERROR_SKIP) {
            /* this input is lost; the others go on */
            r->st->files_failed++;
            lf_policy_report(&r->pol, &e);
            if (io_failed == LF_OK)
                *err = e;
            io_failed = LF_E_IO;
            continue;
        }
        if (frc != LF_OK) {
            *err = e;
            rc = frc;
            break;
        }
        if (r->hooks && r->hooks->on_file) {
            lf_stats file = *r->st;
            file.files -= before.files;
            file.bytes_read -= before.bytes_read;
            file.records_read -= before.records_read;
            file.records_converted -= before.records_converted;
            file.samples_written -= before.samples_written;
            file.rejected -= before.rejected;
            for (int c = 0; c < LF_CODE_COUNT; c++)
                file.rejected_by[c] -= before.rejected_by[c];
            r->hooks->on_file(r->hooks->ctx, job->input, job->output, &file, 0);
        }
    }
    if (rc == LF_OK && io_failed == LF_OK && !same_options) {
        /* remember the options these outputs were made with */
        lf_error e = LF_ERROR_INIT;
        lf_out *o = lf_out_open(stamp, stop, &e);
        if (o == NULL || lf_out_append(o, want.data, want.len, &e) != LF_OK || lf_out_commit(o, &e) != LF_OK) {
            *err = e;
            rc = e.code;
        }
        lf_out_abort(o);
    }
    if (rc == LF_OK)
        rc = io_failed;
done:
    free(stamp);
    lf_buf_free(&want);
    lf_buf_free(&have);
    return rc;
}

lf_code lf_convert(const lf_config *cfg, const lf_hooks *hooks, lf_stats *st, lf_error *err)
{
    if (cfg->mode == LF_MODE_PARSE)
        return lf_parse_run(cfg, hooks, st, err);
    run r;
    memset(&r, 0, sizeof r);
    memset(st, 0, sizeof *st);
    r.cfg = cfg;
    r.hooks = hooks;
    r.pol = (lf_policy){cfg, hooks, st, NULL};
    r.st = st;
    lf_error_clear(err);
    const volatile sig_atomic_t *stop = hooks ? hooks->stop : NULL;
    lf_plan plan;
    memset(&plan, 0, sizeof plan);
    int planned = cfg->recursive || cfg->outdir != NULL;

    lf_code open_failed = LF_OK;
    lf_code rc = lf_refuse_input(cfg, cfg->output, err);
    if (rc == LF_OK)
        rc = lf_refuse_input(cfg, cfg->rejects, err);
    for (size_t k = 0; rc == LF_OK && cfg->output != NULL && k < cfg->n_splits; k++) {
        char *sp = lf_split_path(cfg->output, NULL, cfg->splits[k].name);
        rc = sp ? lf_refuse_input(cfg, sp, err) : lf_error_set(err, LF_E_NOMEM, "out of memory");
        free(sp);
    }
    if (rc != LF_OK)
        return rc;
    if (planned) {
        lf_walk_opts wo = {cfg->outdir, cfg->recursive, cfg->follow_symlinks, cfg->wr.format == LF_FORMAT_TEXT,
                           cfg->compress};
        if ((rc = lf_plan_build(&wo, cfg->inputs, cfg->n_inputs, &plan, err)) != LF_OK) {
            lf_plan_free(&plan);
            return rc;
        }
    }
    /* --tools: read once, checked once, shared by every record */
    lf_record_opts rec_opts = cfg->rec;
    char *tools_text = NULL;
    if (cfg->tools_path != NULL) {
        size_t len = 0;
        rc = read_whole(cfg->tools_path, &tools_text, &len, err);
        if (rc == LF_OK && lf_tools_check(tools_text, len, err) != LF_OK) {
            lf_error_at(err, cfg->tools_path, err->line, err->column);
            lf_error_prefix(err, "--tools");
            rc = LF_E_USAGE;
            err->code = rc;
        }
        if (rc != LF_OK) {
            free(tools_text);
            lf_plan_free(&plan);
            return rc;
        }
        rec_opts.tools_json = tools_text;
        rec_opts.tools_json_len = len;
        r.tools_text = tools_text;
        r.tools_len = len;
    }
    if (cfg->tokenizer_path != NULL) {
        rc = lf_tokenizer_load(cfg->tokenizer_path, &r.tokenizer, err);
        if (rc == LF_OK)
            rc = lf_tokens_check(r.tokenizer, err);
        if (rc != LF_OK) {
            if (err->file == NULL)
                lf_error_at(err, cfg->tokenizer_path, 0, 0);
            goto done;
        }
    }
    if ((rc = run_start(&r, &rec_opts, err)) != LF_OK)
        goto done;
    r.each = cfg->dedup || cfg->n_splits > 0 || cfg->shuffle > 0 || cfg->mode == LF_MODE_CHECK || r.tokenizer != NULL;
    r.seen.keep_pos = cfg->mode == LF_MODE_CHECK;
    if (cfg->shuffle > 0) {
        if ((r.shuf.v = calloc(cfg->shuffle, sizeof *r.shuf.v)) == NULL) {
            rc = lf_error_set(err, LF_E_NOMEM, "out of memory");
            goto done;
        }
        r.shuf.cap = cfg->shuffle;
        r.shuf.rng = cfg->seed;
    }
    if (cfg->rejects != NULL && (r.rej = lf_out_open(cfg->rejects, stop, err)) == NULL) {
        rc = err->code;
        goto done;
    }
    r.pol.rej = r.rej;
    if (cfg->outdir != NULL) {
        rc = convert_batch(&r, &plan, err);
        if (rc == LF_E_IO && st->files_failed > 0)
            open_failed = LF_E_IO;          /* the rejects file is still complete */
        goto done;
    }
    if ((rc = open_outputs(&r, cfg->output, NULL, cfg->output ? lf_codec_of_path(cfg->output) : LF_CODEC_NONE, err)) !=
        LF_OK)
        goto done;

    size_t n = planned ? plan.n : (cfg->n_inputs ? cfg->n_inputs : 1);
    r.prog.files_total = n;
    for (size_t i = 0; i < n && rc == LF_OK; i++) {
        const char *path = planned ? plan.jobs[i].input : cfg->n_inputs ? cfg->inputs[i] : "-";
        lf_error e = LF_ERROR_INIT;
        lf_code frc = convert_path(&r, path, &e);
        if (frc == LF_E_IO && cfg->on_error == LF_ON_ERROR_SKIP) {
            st->files_failed++;
            lf_policy_report(&r.pol, &e);
            if (open_failed == LF_OK)
                *err = e;
            open_failed = LF_E_IO;
            continue;
        }
        if (frc != LF_OK) {
            *err = e;
            rc = frc;
        }
    }
    if (rc == LF_OK && open_failed != LF_OK)
        rc = open_failed;

done:
    run_stop(&r);
    if (plan.jobs != NULL) {
        /* errors may name walked files: the statistics keep the names */
        lf_plan *kept = malloc(sizeof *kept);
        if (kept != NULL) {
            *kept = plan;
            st->owned = kept;
        } else {
            lf_plan_free(&plan);
            lf_error_clear(err);
            lf_error_set(err, LF_E_NOMEM, "out of memory");
            rc = LF_E_NOMEM;
        }
    }
    /* Samples are committed only after a complete run; the rejects file
     * also after a data error, since it holds the record that stopped it.
     * The rejects file goes first: if it cannot be written, no output is. */
    if (r.rej != NULL) {
        lf_error e2 = LF_ERROR_INIT;
        if (rc == LF_OK || lf_code_is_data(rc) || (rc == LF_E_IO && open_failed != LF_OK)) {
            lf_code c2 = lf_out_commit(r.rej, &e2);
            if (c2 != LF_OK && (rc == LF_OK || lf_code_is_data(rc) || rc == LF_E_IO)) {
                *err = e2;
                rc = c2;
            }
        }
        lf_out_abort(r.rej);
    }
    if (rc == LF_OK && cfg->mode == LF_MODE_COUNT_TOKENS && cfg->count_total && r.out != NULL) {
        char line[64];
        snprintf(line, sizeof line, "{\"tokens\": %llu}\n", (unsigned long long)st->tokens);
        rc = lf_out_append(r.out, line, strlen(line), err);
    }
    /* Standard output keeps the samples before a bad record, as a pipe
     * would have seen them anyway; a file is all or nothing. */
    int keep = rc == LF_OK || (rc == LF_E_IO && open_failed != LF_OK) || (cfg->output == NULL && lf_code_is_data(rc));
    rc = close_outputs(&r, keep, rc, err);
    seen_free(&r.seen);
    shuffler_free(&r.shuf);
    lf_tokenizer_free(r.tokenizer);
    free(tools_text);
    return rc;
}

void lf_stats_free(lf_stats *st)
{
    free(st->token_hist);
    free(st->token_long);
    st->token_hist = NULL;
    st->token_long = NULL;
    st->token_hist_len = st->n_token_long = st->cap_token_long = 0;
    if (st->owned != NULL) {
        lf_plan_free(st->owned);
        free(st->owned);
        st->owned = NULL;
    }
}

int lf_stats_format(const lf_stats *st, const lf_config *cfg, int json, lf_buf *out)
{
    char line[512];
    int rc = 0;
    uint64_t warnings = 0;
    for (int w = 0; w < LF_W_COUNT; w++)
        warnings += st->warnings_by[w];
    if (json) {
        snprintf(line, sizeof line,
                 "{\"files\": %llu, \"bytes_read\": %llu, \"records_read\": %llu, \"records_converted\": %llu, "
                 "\"samples_written\": %llu, \"rejected\": %llu, \"rejected_by_reason\": {",
                 (unsigned long long)st->files, (unsigned long long)st->bytes_read,
                 (unsigned long long)st->records_read, (unsigned long long)st->records_converted,
                 (unsigned long long)st->samples_written, (unsigned long long)st->rejected);
        rc |= lf_buf_puts(out, line);
        int first = 1;
        for (int c = 0; c < LF_CODE_COUNT; c++) {
            if (st->rejected_by[c] == 0)
                continue;
            snprintf(line, sizeof line, "%s\"%s\": %llu", first ? "" : ", ", lf_code_name((lf_code)c),
                     (unsigned long long)st->rejected_by[c]);
            rc |= lf_buf_puts(out, line);
            first = 0;
        }
        snprintf(line, sizeof line, "}, \"bytes_written\": %llu, \"files_skipped\": %llu, \"files_failed\": %llu",
                 (unsigned long long)st->bytes_written, (unsigned long long)st->files_skipped,
                 (unsigned long long)st->files_failed);
        rc |= lf_buf_puts(out, line);
        if (cfg != NULL && cfg->dedup) {
            snprintf(line, sizeof line, ", \"duplicates\": %llu", (unsigned long long)st->duplicates);
            rc |= lf_buf_puts(out, line);
        }
        for (size_t k = 0; cfg != NULL && k < cfg->n_splits; k++) {
            rc |= lf_buf_puts(out, k == 0 ? ", \"split_samples\": {" : ", ");
            rc |= lf_json_put_string(out, cfg->splits[k].name, strlen(cfg->splits[k].name));
            snprintf(line, sizeof line, ": %llu%s", (unsigned long long)st->split_samples[k],
                     k + 1 == cfg->n_splits ? "}" : "");
            rc |= lf_buf_puts(out, line);
        }
        if (cfg != NULL && cfg->tokenizer_path != NULL) {
            snprintf(line, sizeof line,
                     ", \"tokens\": %llu, \"tokens_per_sample\": {\"min\": %llu, \"median\": %llu, \"p99\": %llu, "
                     "\"max\": %llu}",
                     (unsigned long long)st->tokens, (unsigned long long)lf_stats_token_quantile(st, 0),
                     (unsigned long long)lf_stats_token_quantile(st, 0.5),
                     (unsigned long long)lf_stats_token_quantile(st, 0.99),
                     (unsigned long long)lf_stats_token_quantile(st, 1));
            rc |= lf_buf_puts(out, line);
            if (cfg->max_tokens > 0) {
                snprintf(line, sizeof line,
                         ", \"samples_dropped\": %llu, \"samples_truncated\": %llu, \"samples_shortened\": %llu",
                         (unsigned long long)st->samples_dropped, (unsigned long long)st->samples_truncated,
                         (unsigned long long)st->samples_shortened);
                rc |= lf_buf_puts(out, line);
            }
        }
        if (cfg != NULL && cfg->mode == LF_MODE_CHECK) {
            snprintf(line, sizeof line, ", \"errors\": %llu, \"warnings\": %llu, \"warnings_by_kind\": {",
                     (unsigned long long)st->errors, (unsigned long long)warnings);
            rc |= lf_buf_puts(out, line);
            first = 1;
            for (int w = 0; w < LF_W_COUNT; w++) {
                if (st->warnings_by[w] == 0)
                    continue;
                snprintf(line, sizeof line, "%s\"%s\": %llu", first ? "" : ", ", lf_warning_name((lf_warning)w),
                         (unsigned long long)st->warnings_by[w]);
                rc |= lf_buf_puts(out, line);
                first = 0;
            }
            rc |= lf_buf_putc(out, '}');
        }
        rc |= lf_buf_puts(out, "}\n");
        return rc;
    }
    snprintf(line, sizeof line,
             "files: %llu\nbytes read: %llu\nrecords read: %llu\nrecords converted: %llu\nsamples written: %llu\n"
             "records rejected: %llu\n",
             (unsigned long long)st->files, (unsigned long long)st->bytes_read, (unsigned long long)st->records_read,
             (unsigned long long)st->records_converted, (unsigned long long)st->samples_written,
             (unsigned long long)st->rejected);
    rc |= lf_buf_puts(out, line);
    for (int c = 0; c < LF_CODE_COUNT; c++) {
        if (st->rejected_by[c] == 0)
            continue;
        snprintf(line, sizeof line, "  rejected (%s): %llu\n", lf_code_name((lf_code)c),
                 (unsigned long long)st->rejected_by[c]);
        rc |= lf_buf_puts(out, line);
    }
    if (cfg != NULL && cfg->dedup) {
        snprintf(line, sizeof line, "duplicates dropped: %llu\n", (unsigned long long)st->duplicates);
        rc |= lf_buf_puts(out, line);
    }
    for (size_t k = 0; cfg != NULL && k < cfg->n_splits; k++) {
        snprintf(line, sizeof line, "  samples in %s: %llu\n", cfg->splits[k].name, (unsigned long long)st->split_samples[k]);
        rc |= lf_buf_puts(out, line);
    }
    if (cfg != NULL && cfg->tokenizer_path != NULL) {
        snprintf(line, sizeof line, "tokens: %llu\n  per sample: min %llu, median %llu, p99 %llu, max %llu\n",
                 (unsigned long long)st->tokens, (unsigned long long)lf_stats_token_quantile(st, 0),
                 (unsigned long long)lf_stats_token_quantile(st, 0.5), (unsigned long long)lf_stats_token_quantile(st, 0.99),
                 (unsigned long long)lf_stats_token_quantile(st, 1));
        rc |= lf_buf_puts(out, line);
        if (cfg->max_tokens > 0) {
            snprintf(line, sizeof line, "samples over --max-tokens: %llu dropped, %llu truncated, %llu shortened\n",
                     (unsigned long long)st->samples_dropped, (unsigned long long)st->samples_truncated,
                     (unsigned long long)st->samples_shortened);
            rc |= lf_buf_puts(out, line);
        }
    }
    if (cfg != NULL && cfg->mode == LF_MODE_CHECK) {
        snprintf(line, sizeof line, "errors: %llu\nwarnings: %llu\n", (unsigned long long)st->errors,
                 (unsigned long long)warnings);
        rc |= lf_buf_puts(out, line);
        for (int w = 0; w < LF_W_COUNT; w++) {
            if (st->warnings_by[w] == 0)
                continue;
            snprintf(line, sizeof line, "  warnings (%s): %llu\n", lf_warning_name((lf_warning)w),
                     (unsigned long long)st->warnings_by[w]);
            rc |= lf_buf_puts(out, line);
        }
    }
    snprintf(line, sizeof line, "bytes written: %llu\nfiles up to date: %llu\nfiles failed: %llu\n",
             (unsigned long long)st->bytes_written, (unsigned long long)st->files_skipped,
             (unsigned long long)st->files_failed);
    rc |= lf_buf_puts(out, line);
    return rc;
}
