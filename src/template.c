/* template.c - see template.h. */
#include "llamafmt/template.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "llamafmt/json.h"

#include "template_text.h"

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
    s->final_body = SIZE_MAX;
    s->final_turn = 0;
}

static const char *const train_names[LF_TRAIN_COUNT] = {"assistant", "last", "all"};

const char *lf_train_on_name(lf_train_on t) { return train_names[t]; }

int lf_train_on_parse(const char *name, lf_train_on *t)
{
    for (int i = 0; i < LF_TRAIN_COUNT; i++)
        if (strcmp(name, train_names[i]) == 0) {
            *t = (lf_train_on)i;
            return 0;
        }
    return -1;
}

int lf_segment_trainable(const lf_sample *s, const lf_segment *g, lf_train_on rule)
{
    switch (rule) {
    case LF_TRAIN_ALL:
        return !(g->off == 0 && g->special && g->len == sizeof BOS - 1 && memcmp(s->text.data, BOS, g->len) == 0);
    case LF_TRAIN_LAST:
        return g->train && s->final_body != SIZE_MAX && g->turn == s->final_turn;
    case LF_TRAIN_ASSISTANT:
    default:
        return g->train;
    }
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
    int failed;             /* out of memory, or a JSON value that cannot be written */
    uint32_t turn;          /* incremented by each header */
    lf_error json_err;      /* why a JSON value could not be written (code LF_OK: memory) */
    size_t at;              /* the message being written, for that error */
} emit;

/* Record bytes text[off, off+n) as a segment, extending a run of text. */
static void mark(emit *e, size_t off, size_t n, int special)
{
    lf_sample *s = e->s;
    lf_segment *last = s->nsegs ? &s->segs[s->nsegs - 1] : NULL;
    if (!special && last != NULL && !last->special && last->train == e->train && last->role == e->role &&
        last->turn == e->turn) {
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
    s->segs[s->nsegs++] = (lf_segment){off, n, (uint8_t)special, (uint8_t)e->train, (uint8_t)e->role, e->turn};
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
    e->turn++;
    SPECIAL(e, START);
    seg(e, name, strlen(name), 0);
    SPECIAL(e, END);
    if (o->profile != LF_PROFILE_GUIDE)
        TEXT(e, "\n\n");
}

/* JSON text re-serialised as Python's json.dumps (indent < 0: none). */
static void dump(emit *e, const lf_json_text *t, int indent)
{
    if (e->failed)
        return;
    size_t off = e->s->text.len;
    lf_error why = LF_ERROR_INIT;
    /* the text is valid JSON; what can still fail is memory, or a value
     * Python could not write either (an integer of over 4300 digits) */
    if (lf_json_dump(&e->s->text, t->p, t->n, indent, &why) != 0) {
        e->failed = 1;
        if (why.code != LF_E_NOMEM)
            e->json_err = why;
    } else {
        mark(e, off, e->s->text.len - off, 0);
    }
}

static void text_cstr(emit *e, const char *s) { seg(e, s, strlen(s), 0); }

/* A tool result the template writes as Python would print it: strings,
 * lists and objects through tojson, other values through str(). */
static void tool_result(emit *e, const lf_template_opts *o, const lf_message *m)
{
    if (m->json.n == 0) {
        if (o->profile != LF_PROFILE_OFFICIAL) {
            seg(e, m->text, m->len, 0);
            return;
        }
        size_t off = e->s->text.len;
        if (e->failed)
            return;
        if (lf_json_put_string(&e->s->text, m->text, m->len) != 0)
            e->failed = 1;
        else
            mark(e, off, e->s->text.len - off, 0);
        return;
    }
    const char *p = m->json.p;
    if (o->profile == LF_PROFILE_OFFICIAL && (*p == 't' || *p == 'f' || *p == 'n')) {
        text_cstr(e, *p == 't' ? "True" : *p == 'f' ? "False" : "None");
        return;
    }
    if (o->profile == LF_PROFILE_OFFICIAL && (*p == '-' || (*p >= '0' && *p <= '9'))) {
        /* str() of a number is json.dumps' form, except that an overflowing
         * float prints "inf" where json.dumps writes "Infinity" */
        int is_float = memchr(p, '.', m->json.n) || memchr(p, 'e', m->json.n) || memchr(p, 'E', m->json.n);
        if (is_float && isinf(strtod(p, NULL))) {
            text_cstr(e, *p == '-' ? "-inf" : "inf");
            return;
        }
    }
    dump(e, &m->json, -1);
}

static int is_builtin(const lf_conversation *conv, const char *name)
{
    for (size_t i = 0; i < conv->n_builtin; i++)
        if (strcmp(conv->builtin[i], name) == 0)
            return 1;
    return 0;
}

/* name.call(k="v", ...) with the values pasted in raw, as the template does. */
static void builtin_call(emit *e, const lf_tool_call *call)
{
    text_cstr(e, call->name);
    TEXT(e, ".call(");
    for (size_t k = 0; k < call->n_args; k++) {
        if (k > 0)
            TEXT(e, ", ");
        text_cstr(e, call->arg_names[k]);
        TEXT(e, "=\"");
        text_cstr(e, call->arg_strings[k]);
        TEXT(e, "\"");
    }
    TEXT(e, ")");
}

/* An assistant tool call.  Returns 0, or -1 when the call cannot be
 * written (non-string arguments of a built-in call). */
static int tool_call(emit *e, const lf_template_opts *o, const lf_conversation *conv, const lf_message *m)
{
    const lf_tool_call *call = m->call;
    if (o->profile == LF_PROFILE_OFFICIAL) {
        if (conv->has_builtin && is_builtin(conv, call->name)) {
            if (call->arg_strings == NULL)
                return -1;
            SPECIAL(e, PYTHON_TAG);
            builtin_call(e, call);
        } else {
            TEXT(e, CUSTOM_CALL);
            text_cstr(e, call->name);
            TEXT(e, CUSTOM_PARAMS);
            dump(e, &call->args, -1);
            TEXT(e, "}");
        }
        e->train = 1;
        if (conv->has_builtin)
            SPECIAL(e, EOM);
        else
            SPECIAL(e, EOT);
        return 0;
    }
    /* Meta's llama-models (3.1): <|python_tag|>, the content, the encoded
     * call, <|eom_id|> (the model waits for the result). */
    SPECIAL(e, PYTHON_TAG);
    seg(e, m->text, m->len, 0);
    const char *name = call->name;
    if (strcmp(name, "code_interpreter") == 0) {
        const char *code = NULL;
        for (size_t k = 0; k < call->n_args; k++)
            if (strcmp(call->arg_names[k], "code") == 0 && call->arg_strings != NULL)
                code = call->arg_strings[k];
        if (code == NULL)
            return -1;
        text_cstr(e, code);
    } else if (strcmp(name, "brave_search") == 0 || strcmp(name, "wolfram_alpha") == 0 ||
               strcmp(name, "photogen") == 0) {
        if (call->arg_strings == NULL)
            return -1;
        builtin_call(e, call);
    } else {
        TEXT(e, META_CALL);
        if (!e->failed) {
            size_t off = e->s->text.len;
            if (lf_json_put_string(&e->s->text, name, strlen(name)) != 0)
                e->failed = 1;
            else
                mark(e, off, e->s->text.len - off, 0);
        }
        TEXT(e, META_PARAMS);
        dump(e, &call->args, -1);
        TEXT(e, "}");
    }
    SPECIAL(e, EOM);
    return 0;
}

/* A message body as the profile writes it. */
static void body(emit *e, const lf_template_opts *o, const lf_message *m)
{
    if (m->role == LF_ROLE_IPYTHON) {
        tool_result(e, o, m);
        return;
    }
    size_t a = 0, n = m->len;
    if (o->profile == LF_PROFILE_OFFICIAL)
        lf_trim(m->text, m->len, &a, &n);
    seg(e, m->text + a, n, 0);
}

/* The tool definitions, each as tojson(indent=4) followed by "\n\n". */
static void tool_specs(emit *e, const lf_conversation *conv)
{
    for (size_t k = 0; k < conv->n_tools; k++) {
        dump(e, &conv->tools[k], 4);
        TEXT(e, "\n\n");
    }
}

static int uses_tools(const lf_conversation *conv, size_t n)
{
    if (conv->has_tools || conv->has_builtin)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (conv->msgs[i].call != NULL || conv->msgs[i].role == LF_ROLE_IPYTHON)
            return 1;
    return 0;
}

lf_code lf_render(const lf_template_opts *o, const lf_conversation *conv, lf_sample *out, size_t *bad, lf_error *err)
{
    emit e = {out, 0, LF_ROLE_SYSTEM, 0, 0, LF_ERROR_INIT, 0};
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
    if (o->profile == LF_PROFILE_GUIDE && uses_tools(conv, n)) {
        *bad = 0;
        return lf_error_set(err, LF_E_UNSUPPORTED, "the guide profile has no format for tools (use -p official or -p meta)");
    }
    out->prompt = prompt;

    if (o->bos)
        SPECIAL(&e, BOS);
    size_t i = 0;
    if (o->profile == LF_PROFILE_OFFICIAL) {
        const char *date = conv->date ? conv->date : (o->date ? o->date : LF_DEFAULT_DATE);
        size_t date_len = conv->date ? conv->date_len : strlen(date);
        header(&e, o, LF_ROLE_SYSTEM);
        if (conv->has_builtin || conv->has_tools)
            TEXT(&e, ENVIRONMENT);
        if (conv->has_builtin) {
            TEXT(&e, TOOLS_LINE);
            int first = 1;
            for (size_t k = 0; k < conv->n_builtin; k++) {
                if (strcmp(conv->builtin[k], "code_interpreter") == 0)
                    continue;
                if (!first)
                    TEXT(&e, ", ");
                text_cstr(&e, conv->builtin[k]);
                first = 0;
            }
            TEXT(&e, "\n\n");
        }
        TEXT(&e, KNOWLEDGE);
        seg(&e, date, date_len, 0);
        TEXT(&e, "\n\n");
        if (conv->has_tools && !conv->tools_in_user) {
            TEXT(&e, SYSTEM_TOOLS_PREAMBLE);
            tool_specs(&e, conv);
        }
        if (n > 0 && m[0].role == LF_ROLE_SYSTEM) {
            body(&e, o, &m[0]);
            i = 1;
        }
        SPECIAL(&e, EOT);
        if (conv->has_tools && conv->tools_in_user && i < n) {
            /* the record layer made sure this is a user message */
            header(&e, o, LF_ROLE_USER);
            TEXT(&e, USER_TOOLS_PREAMBLE);
            tool_specs(&e, conv);
            body(&e, o, &m[i]);
            SPECIAL(&e, EOT);
            i++;
        }
    }
    for (; i < n; i++) {
        header(&e, o, m[i].call ? LF_ROLE_ASSISTANT : m[i].role);
        e.train = m[i].role == LF_ROLE_ASSISTANT;
        e.at = i;
        if (i == n - 1 && !prompt) {
            out->final_body = out->text.len;
            out->final_turn = e.turn;
        }
        if (m[i].call != NULL) {
            if (tool_call(&e, o, conv, &m[i]) != 0) {
                *bad = i;
                return lf_error_set(err, LF_E_TOOL, "the arguments of built-in tool call \"%s\" must all be strings%s",
                                    m[i].call->name,
                                    strcmp(m[i].call->name, "code_interpreter") == 0 ? " (and include \"code\")" : "");
            }
            continue;
        }
        body(&e, o, &m[i]);
        SPECIAL(&e, EOT);
    }
    if (prompt) {
        header(&e, o, LF_ROLE_ASSISTANT);
    } else if (o->end_of_text != 0) {
        e.train = 1;
        SPECIAL(&e, EOT_TEXT);
    }
    if (e.failed && e.json_err.code != LF_OK) {
        *bad = e.at;
        return lf_error_set(err, e.json_err.code, "%s", e.json_err.msg);
    }
    if (e.failed)
        return lf_error_set(err, LF_E_NOMEM, "out of memory");
    return LF_OK;
}
