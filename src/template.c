/* template.c - see template.h. */
#include "llamafmt/template.h"

#include <stdlib.h>
#include <string.h>

#include "llamafmt/json.h"

#define BOS "<|begin_of_text|>"
#define EOT_TEXT "<|end_of_text|>"
#define START "<|start_header_id|>"
#define END "<|end_header_id|>"
#define EOT "<|eot_id|>"

static const char *const profile_names[LF_PROFILE_COUNT] = {"official", "meta", "guide"};

const char *lf_profile_name(lf_profile p) { return profile_names[p]; }

int lf_profile_parse(const char *name, lf_profile *p)
{
    for (int i = 0; i < LF_PROFILE_COUNT; i++)
        if (strcmp(name, profile_names[i]) == 0) {
            *p = (lf_profile)i;
            return 0;
        }
    return -1;
}

void lf_sample_reset(lf_sample *s)
{
    lf_buf_clear(&s->text);
    s->nsegs = 0;
    s->prompt = 0;
}

void lf_sample_free(lf_sample *s)
{
    lf_buf_free(&s->text);
    free(s->segs);
    s->segs = NULL;
    s->nsegs = s->cap = 0;
}

/* ---- trimming: Python str.strip() ------------------------------------------ */

/* Length of the whitespace code point at s (n bytes left), or 0. */
static size_t ws_at(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if ((c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20))
        return 1;
    if (c == 0xC2 && n >= 2 && (s[1] == 0x85 || s[1] == 0xA0))
        return 2;
    if (n >= 3) {
        if (c == 0xE1 && s[1] == 0x9A && s[2] == 0x80)
            return 3;                                   /* U+1680 */
        if (c == 0xE2 && s[1] == 0x80 &&
            (s[2] <= 0x8A || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF) && s[2] >= 0x80)
            return 3;                                   /* U+2000-200A, 2028, 2029, 202F */
        if (c == 0xE2 && s[1] == 0x81 && s[2] == 0x9F)
            return 3;                                   /* U+205F */
        if (c == 0xE3 && s[1] == 0x80 && s[2] == 0x80)
            return 3;                                   /* U+3000 */
    }
    return 0;
}

void lf_trim(const char *s, size_t n, size_t *start, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t a = 0, b = n, k;
    while (a < b && (k = ws_at(u + a, b - a)) > 0)
        a += k;
    while (b > a) {
        size_t c = b - 1;
        while (c > a && (u[c] & 0xC0) == 0x80 && b - c < 4)
            c--;
        k = ws_at(u + c, b - c);
        if (k == 0 || c + k != b)
            break;
        b = c;
    }
    *start = a;
    *len = b - a;
}

/* ---- emitting ------------------------------------------------------------------ */

typedef struct emit {
    lf_sample *s;
    int train;              /* trainable flag for what follows */
    lf_role role;
    int failed;
} emit;

/* Record bytes text[off, off+n) as a segment, extending a run of text. */
static void mark(emit *e, size_t off, size_t n, int special)
{
    lf_sample *s = e->s;
    lf_segment *last = s->nsegs ? &s->segs[s->nsegs - 1] : NULL;
    if (!special && last != NULL && !last->special && last->train == e->train && last->role == e->role) {
        last->len += n;
        return;
    }
    if (s->nsegs == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        lf_segment *g = realloc(s->segs, cap * sizeof *g);
        if (g == NULL) {
            e->failed = 1;
            return;
        }
        s->segs = g;
        s->cap = cap;
    }
    s->segs[s->nsegs++] = (lf_segment){off, n, (uint8_t)special, (uint8_t)e->train, (uint8_t)e->role};
}

static void seg(emit *e, const char *p, size_t n, int special)
{
    if (e->failed || n == 0)
        return;
    size_t off = e->s->text.len;
    if (lf_buf_append(&e->s->text, p, n) != 0)
        e->failed = 1;
    else
        mark(e, off, n, special);
}

#define TEXT(e, lit) seg((e), (lit), sizeof(lit) - 1, 0)
#define SPECIAL(e, lit) seg((e), (lit), sizeof(lit) - 1, 1)

static void header(emit *e, const lf_template_opts *o, lf_role role)
{
    const char *name = lf_role_name(role);
    e->role = role;
    e->train = 0;
    SPECIAL(e, START);
    seg(e, name, strlen(name), 0);
    SPECIAL(e, END);
    if (o->profile != LF_PROFILE_GUIDE)
        TEXT(e, "\n\n");
}

/* A message body as the profile writes it. */
static void body(emit *e, const lf_template_opts *o, const lf_message *m)
{
    if (m->role == LF_ROLE_IPYTHON && o->profile == LF_PROFILE_OFFICIAL) {
        /* the template writes a string tool result through tojson */
        size_t off = e->s->text.len;
        if (e->failed)
            return;
        if (lf_json_put_string(&e->s->text, m->text, m->len) != 0)
            e->failed = 1;
        else
            mark(e, off, e->s->text.len - off, 0);
        return;
    }
    size_t a = 0, n = m->len;
    if (o->profile == LF_PROFILE_OFFICIAL)
        lf_trim(m->text, m->len, &a, &n);
    seg(e, m->text + a, n, 0);
}

lf_code lf_render(const lf_template_opts *o, const lf_conversation *conv, lf_sample *out, size_t *bad, lf_error *err)
{
    emit e = {out, 0, LF_ROLE_SYSTEM, 0};
    lf_sample_reset(out);
    *bad = (size_t)-1;

    const lf_message *m = conv->msgs;
    size_t n = conv->n;
    int prompt = 0, drop_last = 0;
    if (conv->gen_prompt == 1)
        prompt = 1;                         /* the record asks for a prompt: render it as is */
    else if (o->generation_prompt) {
        prompt = 1;
        drop_last = n > 0 && m[n - 1].role == LF_ROLE_ASSISTANT;
    }
    if (drop_last)
        n--;
    if (!prompt) {
        if (n == 0 || m[n - 1].role != LF_ROLE_ASSISTANT) {
            int any = 0;
            for (size_t i = 0; i < n; i++)
                any |= m[i].role == LF_ROLE_ASSISTANT;
            *bad = n ? n - 1 : 0;
            return lf_error_set(err, LF_E_NO_ASSISTANT,
                                any ? "a training sample must end with an assistant turn (use --generation-prompt for prompts)"
                                    : "no assistant turn: nothing to train on (use --generation-prompt for prompts)");
        }
    } else if (n == 0 || (n == 1 && m[0].role == LF_ROLE_SYSTEM)) {
        *bad = 0;
        return lf_error_set(err, LF_E_EMPTY, "nothing left to prompt with after dropping the final assistant turn");
    }
    out->prompt = prompt;

    if (o->bos)
        SPECIAL(&e, BOS);
    size_t i = 0;
    if (o->profile == LF_PROFILE_OFFICIAL) {
        const char *date = conv->date ? conv->date : (o->date ? o->date : LF_DEFAULT_DATE);
        size_t date_len = conv->date ? conv->date_len : strlen(date);
        header(&e, o, LF_ROLE_SYSTEM);
        TEXT(&e, "Cutting Knowledge Date: December 2023\nToday Date: ");
        seg(&e, date, date_len, 0);
        TEXT(&e, "\n\n");
        if (n > 0 && m[0].role == LF_ROLE_SYSTEM) {
            body(&e, o, &m[0]);
            i = 1;
        }
        SPECIAL(&e, EOT);
    }
    for (; i < n; i++) {
        header(&e, o, m[i].role);
        e.train = m[i].role == LF_ROLE_ASSISTANT;
        body(&e, o, &m[i]);
        SPECIAL(&e, EOT);
    }
    if (prompt) {
        header(&e, o, LF_ROLE_ASSISTANT);
    } else if (o->end_of_text != 0) {
        e.train = 1;
        SPECIAL(&e, EOT_TEXT);
    }
    if (e.failed)
        return lf_error_set(err, LF_E_NOMEM, "out of memory");
    return LF_OK;
}
