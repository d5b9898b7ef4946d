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
};

static const char *const format_names[LF_FORMAT_COUNT] = {"jsonl", "text"};

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
unsigned long long lf_out_bytes(const lf_out *o) { return o->bytes + o->buf.len; }

static lf_code flush(lf_out *o, lf_error *err)
{
    const char *p = o->buf.data;
    size_t n = o->buf.len;
    if (o->failed)
        return lf_error_set(err, LF_E_IO, "output already failed");
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
    o->bytes += o->buf.len;
    lf_buf_clear(&o->buf);
    return LF_OK;
}

lf_code lf_out_written(lf_out *o, lf_error *err)
{
    return o->buf.len >= FLUSH_AT ? flush(o, err) : LF_OK;
}

lf_code lf_out_commit(lf_out *o, lf_error *err)
{
    lf_code rc = flush(o, err);
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
    free(o);
}

/* ---- formats ----------------------------------------------------------------- */

static lf_code nomem(lf_error *err) { return lf_error_set(err, LF_E_NOMEM, "out of memory"); }

lf_code lf_write_sample(lf_out *o, const lf_writer_opts *w, const lf_sample *s, const lf_kept *kept, size_t n_kept,
                        lf_error *err)
{
    lf_buf *b = &o->buf;
    size_t mark = b->len;
    if (w->format == LF_FORMAT_TEXT) {
        const char *sep = w->separator ? w->separator : "\n";
        size_t sl = w->separator ? w->separator_len : 1;
        if (lf_buf_append(b, s->text.data, s->text.len) != 0 || lf_buf_append(b, sep, sl) != 0)
            goto oom;
        return lf_out_written(o, err);
    }
    if (lf_buf_putc(b, '{') != 0)
        goto oom;
    for (size_t i = 0; i < n_kept; i++) {
        if (lf_json_put_string(b, kept[i].key, strlen(kept[i].key)) != 0 || lf_buf_append(b, ": ", 2) != 0)
            goto oom;
        if (lf_json_dump(b, kept[i].json, kept[i].len, -1, err) != 0) {
            b->len = mark;
            return err->code;
        }
        if (lf_buf_append(b, ", ", 2) != 0)
            goto oom;
    }
    if (lf_buf_append(b, "\"text\": ", 8) != 0 || lf_json_put_string(b, s->text.data, s->text.len) != 0 ||
        lf_buf_append(b, "}\n", 2) != 0)
        goto oom;
    return lf_out_written(o, err);
oom:
    b->len = mark;
    return nomem(err);
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
