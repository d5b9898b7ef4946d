/* tokens.c - see tokens.h. */
#include "llamafmt/tokens.h"

#include <string.h>

lf_code lf_tokens_check(const lf_tokenizer *t, lf_error *err)
{
    static const char *const need[] = {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                                       "<|end_header_id|>", "<|eot_id|>"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (lf_tokenizer_special_id(t, need[i], strlen(need[i])) < 0)
            return lf_error_set(err, LF_E_USAGE, "the tokenizer has no %s token: not a Llama 3 tokenizer", need[i]);
    return LF_OK;
}

/* Label the tokens ids[from..) of the ordinary run s->segs[g0..g1), which
 * starts at byte `at` of the text. */
static void label_run(const lf_tokenizer *t, const lf_sample *s, lf_train_on rule, size_t g0, size_t g1, size_t at,
                      const lf_ids *ids, size_t from, lf_ids *labels)
{
    size_t g = g0;
    for (size_t i = from; i < ids->n; i++) {
        size_t len = lf_tokenizer_token_len(t, ids->v[i]), end = at + len;
        int train = 0;
        /* the segments this token overlaps: g is the first that ends after `at` */
        while (g < g1 && s->segs[g].off + s->segs[g].len <= at)
            g++;
        for (size_t k = g; k < g1 && s->segs[k].off < end && !train; k++)
            train = lf_segment_trainable(s, &s->segs[k], rule);
        labels->v[i] = train ? ids->v[i] : LF_IGNORE_INDEX;
        at = end;
    }
}

lf_code lf_sample_tokens(lf_tok_state *st, const lf_tokenizer *t, const lf_sample *s, lf_train_on rule, lf_ids *ids,
                         lf_ids *labels, lf_error *err)
{
    ids->n = 0;
    if (labels != NULL)
        labels->n = 0;
    size_t i = 0;
    while (i < s->nsegs) {
        const lf_segment *g = &s->segs[i];
        if (g->special) {
            int32_t id = lf_tokenizer_special_id(t, s->text.data + g->off, g->len);
            if (id < 0)
                return lf_error_set(err, LF_E_UNSUPPORTED, "the tokenizer has no %.*s token", (int)g->len,
                                    s->text.data + g->off);
            if (lf_ids_push(ids, id) != 0 ||
                (labels != NULL && lf_ids_push(labels, lf_segment_trainable(s, g, rule) ? id : LF_IGNORE_INDEX) != 0))
                return lf_error_set(err, LF_E_NOMEM, "out of memory");
            i++;
            continue;
        }
        /* a maximal run of ordinary segments, encoded as one text */
        size_t j = i, from = ids->n;
        while (j < s->nsegs && !s->segs[j].special)
            j++;
        size_t off = g->off, end = s->segs[j - 1].off + s->segs[j - 1].len;
        if (lf_tokenize(st, s->text.data + off, end - off, ids) != LF_OK)
            return lf_error_set(err, LF_E_NOMEM, "out of memory");
        if (labels != NULL) {
            while (labels->n < ids->n)
                if (lf_ids_push(labels, 0) != 0)
                    return lf_error_set(err, LF_E_NOMEM, "out of memory");
            label_run(t, s, rule, i, j, off, ids, from, labels);
        }
        i = j;
    }
    return LF_OK;
}
