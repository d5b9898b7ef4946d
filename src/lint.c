/* lint.c - see lint.h. */
#include "llamafmt/lint.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "llamafmt/json.h"

static const char *const warning_names[LF_W_COUNT] = {
    [LF_W_WHITESPACE] = "whitespace",         [LF_W_SPECIAL] = "special_token",
    [LF_W_EMPTY_TOOLS] = "empty_tools",       [LF_W_EMPTY_ASSISTANT] = "empty_assistant",
    [LF_W_UNUSED_KEY] = "unused_key",         [LF_W_DUPLICATE] = "duplicate",
    [LF_W_MIXED_SHAPES] = "mixed_shapes",
};

const char *lf_warning_name(lf_warning w) { return warning_names[w]; }

int lf_diag_format(lf_buf *out, const lf_diag_fmt *f, int is_error, const char *kind, const lf_error *e)
{
    size_t mark = out->len;
    char num[64];
    const char *sev = is_error ? "error" : "warning";
    int rc = 0;
    if (f->json) {
        rc |= lf_buf_puts(out, "{\"file\": ");
        rc |= e->file ? lf_json_put_string(out, e->file, strlen(e->file)) : lf_buf_puts(out, "null");
        snprintf(num, sizeof num, ", \"line\": %llu, \"column\": %llu, \"severity\": \"", (unsigned long long)e->line,
                 (unsigned long long)e->column);
        rc |= lf_buf_puts(out, num) | lf_buf_puts(out, sev) | lf_buf_puts(out, "\", \"kind\": ");
        rc |= lf_json_put_string(out, kind, strlen(kind));
        rc |= lf_buf_puts(out, ", \"message\": ");
        rc |= lf_json_put_string(out, e->msg, strlen(e->msg));
        rc |= lf_buf_puts(out, "}\n");
    } else {
        if (f->color)
            rc |= lf_buf_puts(out, "\033[1m");
        if (e->file != NULL && e->line > 0) {
            rc |= lf_buf_puts(out, e->file);
            snprintf(num, sizeof num, ":%llu:%llu: ", (unsigned long long)e->line, (unsigned long long)e->column);
            rc |= lf_buf_puts(out, num);
        } else if (e->file != NULL) {
            rc |= lf_buf_puts(out, e->file) | lf_buf_puts(out, ": ");
        }
        if (f->color)
            rc |= lf_buf_puts(out, is_error ? "\033[31m" : "\033[35m");
        rc |= lf_buf_puts(out, sev) | lf_buf_putc(out, '[') | lf_buf_puts(out, kind) | lf_buf_puts(out, "]:");
        if (f->color)
            rc |= lf_buf_puts(out, "\033[0m");
        rc |= lf_buf_putc(out, ' ') | lf_buf_puts(out, e->msg) | lf_buf_putc(out, '\n');
    }
    if (rc != 0) {
        out->len = mark;
        return -1;
    }
    return 0;
}

typedef struct lint {
    const lf_rawrec *rec;
    const lf_diag_fmt *f;
    lf_buf *out;
    uint64_t *counts;
    int failed;
} lint;

/* One warning at path (NULL: the record) with a printf-style message. */
static void warn(lint *l, lf_warning w, const lf_path *path, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void warn(lint *l, lf_warning w, const lf_path *path, const char *fmt, ...)
{
    lf_error e = LF_ERROR_INIT;
    va_list ap;
    va_start(ap, fmt);
    lf_error_setv(&e, LF_OK, fmt, ap);
    va_end(ap);
    if (path != NULL)
        lf_record_locate(l->rec, path, &e);
    else
        lf_error_at(&e, l->rec->file, l->rec->line, l->rec->column);
    l->counts[w]++;
    if (lf_diag_format(l->out, l->f, 0, warning_names[w], &e) != 0)
        l->failed = 1;
}

/* "[]" with any whitespace around or inside. */
static int empty_array(const char *s, size_t n)
{
    size_t i = 0, k = 0;
    char seen[2];
    for (; i < n; i++) {
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
            continue;
        if (k == 2)
            return 0;
        seen[k++] = s[i];
    }
    return k == 2 && seen[0] == '[' && seen[1] == ']';
}

lf_code lf_lint_record(const lf_lint_opts *o, lf_parser *p, const lf_rawrec *rec, const lf_conversation *conv,
                       const lf_diag_fmt *f, lf_buf *out, uint64_t counts[LF_W_COUNT], lf_error *err)
{
    lint l = {rec, f, out, counts, 0};
    int trims = o->tpl->profile == LF_PROFILE_OFFICIAL;
    for (size_t i = 0; i < conv->n; i++) {
        const lf_message *m = &conv->msgs[i];
        size_t start = 0, len = m->len;
        if (trims && m->json.n == 0) {
            lf_trim(m->text, m->len, &start, &len);
            if (len > 0 && len < m->len)
                warn(&l, LF_W_WHITESPACE, &m->path, "the official profile trims %s whitespace of this %s content",
                     start > 0 && start + len < m->len ? "leading and trailing" : start > 0 ? "leading" : "trailing",
                     lf_role_name(m->role));
        }
        if (m->stripped)
            warn(&l, LF_W_SPECIAL, &m->path, "special-token text is removed from this %s content (--special-tokens=strip)",
                 lf_role_name(m->role));
        if (o->rec->special == LF_SPECIAL_ALLOW) {
            size_t tl;
            long at = lf_find_special(m->text, m->len, &tl);
            if (at >= 0)
                warn(&l, LF_W_SPECIAL, &m->path, "\"%.*s\" in this %s content becomes a control token (--special-tokens=allow)",
                     (int)tl, m->text + at, lf_role_name(m->role));
        }
        if (m->role == LF_ROLE_ASSISTANT && m->call == NULL && len == 0)
            warn(&l, LF_W_EMPTY_ASSISTANT, &m->path, "empty assistant turn: nothing to learn from it");
    }
    const char *tools;
    size_t tools_len;
    lf_error ignored = LF_ERROR_INIT;
    if (lf_record_raw_value(p, rec, "tools", &tools, &tools_len, &ignored) == LF_OK && empty_array(tools, tools_len)) {
        lf_path tp;
        memset(&tp, 0, sizeof tp);
        tp.step[0].key = "tools";
        tp.n = 1;
        warn(&l, LF_W_EMPTY_TOOLS, &tp, "an empty tools list means no tools: the tool preamble is not rendered");
    }
    lf_path unused[16];
    size_t n = lf_record_unused_keys(p, conv, o->keep, o->n_keep, unused, 16);
    for (size_t i = 0; i < n && i < 16; i++) {
        lf_path at = unused[i];
        warn(&l, LF_W_UNUSED_KEY, &at, "not read by the %s shape: its data is not in the sample",
             lf_shape_name(conv->shape));
    }
    if (n > 16) {
        lf_error e = LF_ERROR_INIT;
        lf_error_set(&e, LF_OK, "%zu more unused keys in this record", n - 16);
        lf_error_at(&e, rec->file, rec->line, rec->column);
        counts[LF_W_UNUSED_KEY] += n - 16;
        if (lf_diag_format(out, f, 0, warning_names[LF_W_UNUSED_KEY], &e) != 0)
            l.failed = 1;
    }
    return l.failed ? lf_error_set(err, LF_E_NOMEM, "out of memory") : LF_OK;
}
