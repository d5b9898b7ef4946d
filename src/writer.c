/* writer.c - see writer.h. */
#include "llamafmt/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "llamafmt/json.h"
#include "llamafmt/record.h"

#define FLUSH_AT ((size_t)1 << 20)

struct lf_out {
    int fd;
    int is_file;            /* a regular file written atomically */
    int direct;             /* a device or FIFO written in place */
    int failed;
    char *path;             /* final name (files) */
    char *tmp;              /* temporary name (files) */
    const volatile sig_atomic_t *stop;
    lf_buf buf;
    unsigned long long bytes;
    lf_encoder *enc;        /* NULL: write the bytes as they are */
    lf_buf zbuf;            /* compressed bytes waiting to be written */
};

int lf_out_set_codec(lf_out *o, lf_codec codec)
{
    if (codec == LF_CODEC_NONE)
        return 0;
    o->enc = lf_encoder_new(codec);
    return o->enc ? 0 : -1;
}

static const char *const format_names[LF_FORMAT_COUNT] = {"jsonl", "text", "prompt-completion", "segments",
                                                           "messages", "tokens"};

const char *lf_format_name(lf_format f) { return format_names[f]; }

int lf_format_parse(const char *name, lf_format *f)
{
    for (int i = 0; i < LF_FORMAT_COUNT; i++)
        if (strcmp(name, format_names[i]) == 0) {
            *f = (lf_format)i;
            return 0;
        }
    return -1;
}

/* The target of a dangling symbolic link, resolved against the link's
 * directory (malloc'd), or NULL. */
static char *link_target(const char *link)
{
    char buf[4096];
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    const char *slash = strrchr(link, '/');
    size_t dirlen = (buf[0] == '/' || slash == NULL) ? 0 : (size_t)(slash - link) + 1;
    char *t = malloc(dirlen + (size_t)n + 1);
    if (t != NULL) {
        memcpy(t, link, dirlen);
        memcpy(t + dirlen, buf, (size_t)n + 1);
    }
    return t;
}

lf_out *lf_out_open(const char *path, const volatile sig_atomic_t *stop, lf_error *err)
{
    lf_out *o = calloc(1, sizeof *o);
    if (o == NULL)
        goto nomem;
    o->stop = stop;
    if (path == NULL || strcmp(path, "-") == 0) {
        o->fd = STDOUT_FILENO;
        return o;
    }
    o->path = strdup(path);
    if (o->path == NULL)
        goto nomem;
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        /* write through a symbolic link: replace its target, not the link */
        char *target = realpath(path, NULL);
        if (target == NULL)
            target = link_target(path);
        if (target != NULL) {
            free(o->path);
            o->path = target;
            path = target;
        }
    }
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* a device or a FIFO (/dev/null, a named pipe): write to it directly,
         * since renaming a file over it would replace it */
        o->fd = open(path, O_WRONLY | O_CLOEXEC);
        if (o->fd < 0) {
            lf_error_set(err, LF_E_IO, "cannot open %s: %s", path, strerror(errno));
            lf_out_abort(o);
            return NULL;
        }
        o->direct = 1;
        return o;
    }
    o->is_file = 1;
    /* ".NAME.tmp-XXXXXX" next to NAME, so rename() stays on one file system */
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    size_t need = strlen(path) + 16;
    o->tmp = malloc(need);
    if (o->tmp == NULL)
        goto nomem;
    snprintf(o->tmp, need, "%.*s.%s.tmp-XXXXXX", (int)dirlen, path, path + dirlen);
    o->fd = mkstemp(o->tmp);
    if (o->fd < 0) {
        lf_error_set(err, LF_E_IO, "cannot create a temporary file for %s: %s", path, strerror(errno));
        free(o->tmp);
        o->tmp = NULL;
        lf_out_abort(o);
        return NULL;
    }
    /* mkstemp makes 0600; give the file the mode open(2) would have given */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(o->fd, 0666 & ~mask);
    return o;
nomem:
    lf_error_set(err, LF_E_NOMEM, "out of memory");
    lf_out_abort(o);
    return NULL;
}

lf_buf *lf_out_buf(lf_out *o) { return &o->buf; }

lf_code lf_out_append(lf_out *o, const void *p, size_t n, lf_error *err)
{
    if (lf_buf_append(&o->buf, p, n) != 0)
        return lf_error_set(err, LF_E_NOMEM, "out of memory");
    return lf_out_written(o, err);
}
unsigned long long lf_out_bytes(const lf_out *o) { return o->bytes + o->buf.len; }

static lf_code write_all(lf_out *o, const char *p, size_t n, lf_error *err)
{
    while (n > 0) {
        ssize_t k = write(o->fd, p, n);
        if (k < 0) {
            if (errno == EINTR && !(o->stop && *o->stop))
                continue;
            o->failed = 1;
            if (errno == EINTR)
                return lf_error_set(err, LF_E_INTERRUPTED, "interrupted");
            if (errno == EPIPE)
                return lf_error_set(err, LF_E_PIPE, "output closed");
            return lf_error_set(err, LF_E_IO, "write error on %s: %s", o->path ? o->path : "standard output",
                                strerror(errno));
        }
        p += k;
        n -= (size_t)k;
    }
    return LF_OK;
}

/* Write out the buffer (through the encoder when there is one; `finish`
 * ends the compressed stream). */
static lf_code flush_buf(lf_out *o, int finish, lf_error *err)
{
    if (o->failed)
        return lf_error_set(err, LF_E_IO, "output already failed");
    lf_code rc;
    if (o->enc != NULL) {
        lf_buf_clear(&o->zbuf);
        if (lf_encoder_write(o->enc, o->buf.data, o->buf.len, finish, &o->zbuf) != 0) {
            o->failed = 1;
            return lf_error_set(err, LF_E_NOMEM, "compression failed (out of memory)");
        }
        rc = write_all(o, o->zbuf.data, o->zbuf.len, err);
    } else {
        rc = write_all(o, o->buf.data, o->buf.len, err);
    }
    if (rc != LF_OK)
        return rc;
    o->bytes += o->buf.len;
    lf_buf_clear(&o->buf);
    return LF_OK;
}

static lf_code flush(lf_out *o, lf_error *err) { return flush_buf(o, 0, err); }

lf_code lf_out_written(lf_out *o, lf_error *err)
{
    return o->buf.len >= FLUSH_AT ? flush(o, err) : LF_OK;
}

lf_code lf_out_commit(lf_out *o, lf_error *err)
{
    lf_code rc = flush_buf(o, 1, err);
    if (rc != LF_OK)
        return rc;
    if (o->direct) {
        int fd = o->fd;
        o->fd = -1;
        if (close(fd) != 0) {
            o->failed = 1;
            return lf_error_set(err, LF_E_IO, "write error on %s: %s", o->path, strerror(errno));
        }
        return LF_OK;
    }
    if (!o->is_file)
        return LF_OK;
    int fd = o->fd;
    o->fd = -1;
    if (close(fd) != 0) {
        o->failed = 1;
        return lf_error_set(err, LF_E_IO, "write error on %s: %s", o->path, strerror(errno));
    }
    if (rename(o->tmp, o->path) != 0) {
        o->failed = 1;
        return lf_error_set(err, LF_E_IO, "cannot rename the temporary file to %s: %s", o->path, strerror(errno));
    }
    free(o->tmp);
    o->tmp = NULL;
    return LF_OK;
}

void lf_out_abort(lf_out *o)
{
    if (o == NULL)
        return;
    if ((o->is_file || o->direct) && o->fd >= 0)
        close(o->fd);
    if (o->is_file && o->tmp != NULL)
        unlink(o->tmp);
    free(o->tmp);
    free(o->path);
    lf_buf_free(&o->buf);
    lf_buf_free(&o->zbuf);
    lf_encoder_free(o->enc);
    free(o);
}

/* ---- formats ----------------------------------------------------------------- */

static lf_code nomem(lf_error *err) { return lf_error_set(err, LF_E_NOMEM, "out of memory"); }

/* "{" and the kept keys, each followed by ", ". */
static lf_code open_record(lf_buf *b, const lf_kept *kept, size_t n_kept, lf_error *err)
{
    if (lf_buf_putc(b, '{') != 0)
        return nomem(err);
    for (size_t i = 0; i < n_kept; i++) {
        if (lf_json_put_string(b, kept[i].key, strlen(kept[i].key)) != 0 || lf_buf_append(b, ": ", 2) != 0)
            return nomem(err);
        if (kept[i].dumped ? lf_buf_append(b, kept[i].json, kept[i].len) != 0
                           : lf_json_dump(b, kept[i].json, kept[i].len, -1, err) != 0)
            return kept[i].dumped ? nomem(err) : err->code;
        if (lf_buf_append(b, ", ", 2) != 0)
            return nomem(err);
    }
    return LF_OK;
}

/* A JSON array of integers, written without printf. */
static int put_ints(lf_buf *b, const int32_t *v, size_t n)
{
    if (lf_buf_reserve(b, n * 13 + 2) != 0)   /* ", -2147483648" at most */
        return -1;
    char *p = b->data + b->len;
    *p++ = '[';
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            *p++ = ',', *p++ = ' ';
        int64_t x = v[i];
        if (x < 0)
            *p++ = '-', x = -x;
        char tmp[12];
        int k = 0;
        do
            tmp[k++] = (char)('0' + x % 10);
        while ((x /= 10) > 0);
        while (k > 0)
            *p++ = tmp[--k];
    }
    *p++ = ']';
    b->len = (size_t)(p - b->data);
    return 0;
}

lf_code lf_format_tokens(lf_buf *b, const int32_t *ids, const int32_t *labels, size_t n, int mask, const lf_kept *kept,
                         size_t n_kept, lf_error *err)
{
    size_t mark = b->len;
    lf_code c = open_record(b, kept, n_kept, err);
    if (c != LF_OK) {
        b->len = mark;
        return c;
    }
    int rc = lf_buf_puts(b, "\"input_ids\": ") | put_ints(b, ids, n);
    if (labels != NULL)
        rc |= lf_buf_puts(b, ", \"labels\": ") | put_ints(b, labels, n);
    if (mask) {
        rc |= lf_buf_puts(b, ", \"attention_mask\": [");
        for (size_t i = 0; i < n && rc == 0; i++)
            rc |= lf_buf_puts(b, i ? ", 1" : "1");
        rc |= lf_buf_putc(b, ']');
    }
    if (rc != 0 || lf_buf_append(b, "}\n", 2) != 0) {
        b->len = mark;
        return nomem(err);
    }
    return LF_OK;
}

lf_code lf_format_count(lf_buf *b, uint64_t n, const lf_kept *kept, size_t n_kept, lf_error *err)
{
    size_t mark = b->len;
    lf_code c = open_record(b, kept, n_kept, err);
    if (c != LF_OK) {
        b->len = mark;
        return c;
    }
    char num[48];
    snprintf(num, sizeof num, "\"tokens\": %llu}\n", (unsigned long long)n);
    if (lf_buf_puts(b, num) != 0) {
        b->len = mark;
        return nomem(err);
    }
    return LF_OK;
}

/* The trainable byte ranges, adjacent ones merged: [[a, b], [c, d]]. */
static int put_spans(lf_buf *b, const lf_sample *s, lf_train_on rule)
{
    int rc = lf_buf_putc(b, '[');
    size_t start = 0, end = 0;
    int open = 0, first = 1;
    for (size_t i = 0; i <= s->nsegs && rc == 0; i++) {
        const lf_segment *g = i < s->nsegs ? &s->segs[i] : NULL;
        if (g != NULL && lf_segment_trainable(s, g, rule)) {
            if (!open)
                start = g->off;
            open = 1;
            end = g->off + g->len;
            continue;
        }
        if (open) {
            char num[64];
            snprintf(num, sizeof num, "%s[%zu, %zu]", first ? "" : ", ", start, end);
            rc |= lf_buf_puts(b, num);
            first = 0;
            open = 0;
        }
    }
    return rc | lf_buf_putc(b, ']');
}

static int put_segments(lf_buf *b, const lf_sample *s, lf_train_on rule)
{
    int rc = lf_buf_putc(b, '[');
    size_t i = 0, first = 1;
    while (i < s->nsegs && rc == 0) {
        int label = lf_segment_trainable(s, &s->segs[i], rule);
        size_t start = s->segs[i].off, end = start;
        while (i < s->nsegs && lf_segment_trainable(s, &s->segs[i], rule) == label) {
            end = s->segs[i].off + s->segs[i].len;
            i++;
        }
        rc |= lf_buf_puts(b, first ? "{\"label\": " : ", {\"label\": ");
        rc |= lf_buf_puts(b, label ? "true, \"text\": " : "false, \"text\": ");
        rc |= lf_json_put_string(b, s->text.data + start, end - start);
        rc |= lf_buf_putc(b, '}');
        first = 0;
    }
    return rc | lf_buf_putc(b, ']');
}

lf_code lf_format_sample(lf_buf *b, const lf_writer_opts *w, const lf_sample *s, const lf_kept *kept, size_t n_kept,
                         lf_error *err)
{
    size_t mark = b->len;
    int rc = 0;
    if (w->format == LF_FORMAT_TEXT) {
        const char *sep = w->separator ? w->separator : "\n";
        size_t sl = w->separator ? w->separator_len : 1;
        if (lf_buf_append(b, s->text.data, s->text.len) != 0 || lf_buf_append(b, sep, sl) != 0)
            goto oom;
        return LF_OK;
    }
    lf_code c = open_record(b, kept, n_kept, err);
    if (c != LF_OK) {
        b->len = mark;
        return c;
    }
    switch (w->format) {
    case LF_FORMAT_PROMPT_COMPLETION: {
        size_t cut = s->final_body == SIZE_MAX ? s->text.len : s->final_body;
        rc |= lf_buf_puts(b, "\"prompt\": ");
        rc |= lf_json_put_string(b, s->text.data, cut);
        rc |= lf_buf_puts(b, ", \"completion\": ");
        rc |= lf_json_put_string(b, s->text.data + cut, s->text.len - cut);
        break;
    }
    case LF_FORMAT_SEGMENTS:
        rc |= lf_buf_puts(b, "\"segments\": ");
        rc |= put_segments(b, s, w->train_on);
        break;
    default:
        rc |= lf_buf_puts(b, "\"text\": ");
        rc |= lf_json_put_string(b, s->text.data, s->text.len);
        if (w->spans) {
            rc |= lf_buf_puts(b, ", \"spans\": ");
            rc |= put_spans(b, s, w->train_on);
        }
        break;
    }
    if (rc != 0 || lf_buf_append(b, "}\n", 2) != 0)
        goto oom;
    return LF_OK;
oom:
    b->len = mark;
    return nomem(err);
}

lf_code lf_write_sample(lf_out *o, const lf_writer_opts *w, const lf_sample *s, const lf_kept *kept, size_t n_kept,
                        lf_error *err)
{
    lf_code rc = lf_format_sample(&o->buf, w, s, kept, n_kept, err);
    return rc != LF_OK ? rc : lf_out_written(o, err);
}

static const char *message_role(lf_role r)
{
    return r == LF_ROLE_IPYTHON ? "tool" : lf_role_name(r);
}

lf_code lf_format_messages(lf_buf *b, const lf_conversation *conv, size_t n, int prompt, const lf_kept *kept,
                           size_t n_kept, lf_error *err)
{
    size_t mark = b->len;
    int rc = 0;
    lf_code c = open_record(b, kept, n_kept, err);
    if (c != LF_OK) {
        b->len = mark;
        return c;
    }
    if (prompt && n > 0 && conv->msgs[n - 1].role == LF_ROLE_ASSISTANT && conv->gen_prompt != 1)
        n--;                                /* the reference answer of a prompt */
    rc |= lf_buf_puts(b, "\"messages\": [");
    for (size_t i = 0; i < n; i++) {
        const lf_message *m = &conv->msgs[i];
        rc |= lf_buf_puts(b, i ? ", {\"role\": \"" : "{\"role\": \"");
        rc |= lf_buf_puts(b, message_role(m->role));
        rc |= lf_buf_putc(b, '"');
        if (m->call != NULL) {
            if (m->len > 0) {
                rc |= lf_buf_puts(b, ", \"content\": ");
                rc |= lf_json_put_string(b, m->text, m->len);
            }
            rc |= lf_buf_puts(b, ", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\": ");
            rc |= lf_json_put_string(b, m->call->name, strlen(m->call->name));
            rc |= lf_buf_puts(b, ", \"arguments\": ");
            if (rc == 0 && lf_json_dump(b, m->call->args.p, m->call->args.n, -1, err) != 0)
                goto fail;
            rc |= lf_buf_puts(b, "}}]");
        } else {
            rc |= lf_buf_puts(b, ", \"content\": ");
            if (m->json.n > 0) {
                if (rc == 0 && lf_json_dump(b, m->json.p, m->json.n, -1, err) != 0)
                    goto fail;
            } else {
                rc |= lf_json_put_string(b, m->text, m->len);
            }
        }
        rc |= lf_buf_putc(b, '}');
    }
    rc |= lf_buf_putc(b, ']');
    if (conv->has_tools) {
        rc |= lf_buf_puts(b, ", \"tools\": [");
        for (size_t k = 0; k < conv->n_tools && rc == 0; k++) {
            if (k > 0)
                rc |= lf_buf_puts(b, ", ");
            if (lf_json_dump(b, conv->tools[k].p, conv->tools[k].n, -1, err) != 0)
                goto fail;
        }
        rc |= lf_buf_putc(b, ']');
        if (!conv->tools_in_user)
            rc |= lf_buf_puts(b, ", \"tools_in_user_message\": false");
    }
    if (conv->has_builtin) {
        rc |= lf_buf_puts(b, ", \"builtin_tools\": [");
        for (size_t k = 0; k < conv->n_builtin; k++) {
            if (k > 0)
                rc |= lf_buf_puts(b, ", ");
            rc |= lf_json_put_string(b, conv->builtin[k], strlen(conv->builtin[k]));
        }
        rc |= lf_buf_putc(b, ']');
    }
    if (conv->date != NULL) {
        rc |= lf_buf_puts(b, ", \"date_string\": ");
        rc |= lf_json_put_string(b, conv->date, conv->date_len);
    }
    if (prompt)
        rc |= lf_buf_puts(b, ", \"add_generation_prompt\": true");
    if (rc != 0 || lf_buf_append(b, "}\n", 2) != 0) {
        b->len = mark;
        return nomem(err);
    }
    return LF_OK;
fail:
    b->len = mark;
    return err->code;
}

lf_code lf_write_messages(lf_out *o, const lf_conversation *conv, size_t n, int prompt, const lf_kept *kept,
                          size_t n_kept, lf_error *err)
{
    lf_code rc = lf_format_messages(&o->buf, conv, n, prompt, kept, n_kept, err);
    return rc != LF_OK ? rc : lf_out_written(o, err);
}

static int put_base64(lf_buf *b, const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (lf_buf_reserve(b, (n + 2) / 3 * 4 + 2) != 0)
        return -1;
    char *d = b->data + b->len;
    *d++ = '"';
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        *d++ = tab[v >> 18];
        *d++ = tab[(v >> 12) & 63];
        *d++ = tab[(v >> 6) & 63];
        *d++ = tab[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
        *d++ = tab[v >> 18];
        *d++ = tab[(v >> 12) & 63];
        *d++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *d++ = '=';
    }
    *d++ = '"';
    b->len = (size_t)(d - b->data);
    return 0;
}

lf_code lf_write_reject(lf_out *o, const lf_error *e, const lf_rawrec *rec, lf_error *err)
{
    lf_buf *b = &o->buf;
    size_t mark = b->len;
    char num[64];
    const char *file = e->file ? e->file : (rec && rec->file ? rec->file : "");
    if (lf_buf_append(b, "{\"file\": ", 9) != 0 || lf_json_put_string(b, file, strlen(file)) != 0)
        goto oom;
    snprintf(num, sizeof num, ", \"line\": %llu, \"column\": %llu, \"error\": ", (unsigned long long)e->line,
             (unsigned long long)e->column);
    if (lf_buf_puts(b, num) != 0 || lf_json_put_string(b, e->msg, strlen(e->msg)) != 0)
        goto oom;
    if (rec == NULL || rec->data == NULL) {
        if (lf_buf_puts(b, ", \"record\": null}\n") != 0)
            goto oom;
    } else if (lf_utf8_valid(rec->data, rec->len)) {
        if (lf_buf_puts(b, ", \"record\": ") != 0 || lf_json_put_string(b, rec->data, rec->len) != 0 ||
            lf_buf_puts(b, "}\n") != 0)
            goto oom;
    } else {
        if (lf_buf_puts(b, ", \"record_base64\": ") != 0 ||
            put_base64(b, (const unsigned char *)rec->data, rec->len) != 0 || lf_buf_puts(b, "}\n") != 0)
            goto oom;
    }
    return lf_out_written(o, err);
oom:
    b->len = mark;
    return nomem(err);
}
