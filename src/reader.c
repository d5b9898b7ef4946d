/* reader.c - see reader.h.
 *
 * The buffer holds the unconsumed input in buf[pos, end).  A record handed
 * out is a slice of it; `pos` moves past the record at once, and the bytes
 * are only moved or overwritten at the next refill.  Line and column are
 * those of buf[pos].
 */
#include "llamafmt/reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK ((size_t)1 << 20)

typedef enum { ARR_NONE, ARR_FIRST, ARR_AFTER_VALUE, ARR_AFTER_COMMA } arr_state;

/* Resumable state of a structural scan over one JSON value. */
typedef struct scan {
    size_t off;        /* bytes of the value scanned so far, from pos */
    size_t depth;
    int in_str;
    int esc;
    int started;
    int scalar;
} scan;

struct lf_reader {
    int fd;
    const char *name;
    size_t max;
    char *buf;
    size_t cap, pos, end;
    int eof;
    int done;          /* framing lost or fatal error: report end of input */
    uint64_t line, col;
    uint64_t consumed;
    lf_layout layout;
    const volatile sig_atomic_t *stop;
    long (*src)(void *ctx, void *buf, size_t n);
    void *src_ctx;
    int bom_checked;
    arr_state arr;
};

lf_reader *lf_reader_new(int fd, const char *name, size_t max_record)
{
    lf_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->fd = fd;
    r->name = name;
    r->max = max_record ? max_record : 1;
    r->line = r->col = 1;
    return r;
}

void lf_reader_free(lf_reader *r)
{
    if (r == NULL)
        return;
    free(r->buf);
    free(r);
}

void lf_reader_set_stop(lf_reader *r, const volatile sig_atomic_t *stop) { r->stop = stop; }

void lf_reader_set_source(lf_reader *r, long (*fn)(void *ctx, void *buf, size_t n), void *ctx)
{
    r->src = fn;
    r->src_ctx = ctx;
}

lf_layout lf_reader_layout(const lf_reader *r) { return r->layout; }
uint64_t lf_reader_bytes(const lf_reader *r) { return r->consumed; }

void lf_rawrec_position(const lf_rawrec *rec, size_t offset, uint64_t *line, uint64_t *column)
{
    uint64_t l = rec->line, c = rec->column;
    const char *p = rec->data, *e = rec->data + (offset < rec->len ? offset : rec->len);
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        if (nl == NULL)
            break;
        l++;
        c = 1;
        p = nl + 1;
    }
    *line = l;
    *column = c + (uint64_t)(e - p);
}

/* Move past n bytes of buf[pos..], keeping line and column up to date. */
static void advance(lf_reader *r, size_t n)
{
    const char *p = r->buf + r->pos, *e = p + n;
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        if (nl == NULL)
            break;
        r->line++;
        r->col = 1;
        p = nl + 1;
    }
    r->col += (uint64_t)(e - p);
    r->pos += n;
    r->consumed += n;
}

static int io_error(lf_reader *r, lf_error *err, int errnum)
{
    r->done = 1;
    lf_error_at(err, r->name, 0, 0);
    if (errnum == ENOMEM)
        return lf_error_set(err, LF_E_NOMEM, "out of memory"), -1;
    if (errnum == EINTR)
        return lf_error_set(err, LF_E_INTERRUPTED, "interrupted"), -1;
    if (errnum == EBADMSG)
        return lf_error_set(err, LF_E_IO, "corrupt or truncated compressed input"), -1;
    return lf_error_set(err, LF_E_IO, "read error: %s", strerror(errnum)), -1;
}

/* Read more input.  Keeps buf[pos, end), moving it to the front; with
 * `keep` false the unconsumed bytes are dropped (skipping a huge record).
 * Returns 1 when bytes were added, 0 at end of input, -1 on error (errno). */
static int refill(lf_reader *r, int keep)
{
    if (r->eof)
        return 0;
    if (!keep) {
        r->consumed += r->end - r->pos;
        r->pos = r->end = 0;
    } else if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->end -= r->pos;
        r->pos = 0;
    }
    if (r->cap > 8 * BLOCK && r->end - r->pos < BLOCK && r->pos == 0 && r->end < 2 * BLOCK) {
        /* a huge record has gone by: give its memory back */
        char *p = realloc(r->buf, 2 * BLOCK);
        if (p != NULL) {
            r->buf = p;
            r->cap = 2 * BLOCK;
        }
    }
    if (r->cap - r->end < BLOCK) {
        size_t cap = r->cap ? r->cap : BLOCK;
        while (cap - r->end < BLOCK)
            cap *= 2;
        char *p = realloc(r->buf, cap);
        if (p == NULL) {
            errno = ENOMEM;
            return -1;
        }
        r->buf = p;
        r->cap = cap;
    }
    for (;;) {
        ssize_t n = r->src ? (ssize_t)r->src(r->src_ctx, r->buf + r->end, r->cap - r->end)
                           : read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n > 0) {
            r->end += (size_t)n;
            return 1;
        }
        if (n == 0) {
            r->eof = 1;
            return 0;
        }
        if (errno != EINTR || (r->stop && *r->stop))
            return -1;
    }
}

#define ONES ((uint64_t)0x0101010101010101ULL)
#define HIGHS ((uint64_t)0x8080808080808080ULL)
static inline uint64_t has_zero(uint64_t v) { return (v - ONES) & ~v & HIGHS; }

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Bytes that end a bare scalar (a NUL does not: it is part of the garbage). */
static int is_delim(char c)
{
    return c == ',' || c == ']' || c == '}' || c == '[' || c == '{' || c == '"';
}

/* Skip blanks between records.  Returns the next byte, or -1 at end of
 * input, or -2 on a read error. */
static int skip_ws(lf_reader *r)
{
    for (;;) {
        while (r->pos < r->end) {
            char c = r->buf[r->pos];
            if (!is_ws(c))
                return (unsigned char)c;
            advance(r, 1);
        }
        int k = refill(r, 1);
        if (k < 0)
            return -2;
        if (k == 0)
            return -1;
    }
}

/* Continue a structural scan over buf[pos + s->off, end).  Returns 1 when
 * the value is complete (s->off is its length), 0 when more input is needed. */
static int scan_value(const lf_reader *r, scan *s)
{
    const char *b = r->buf + r->pos;
    size_t n = r->end - r->pos, i = s->off;
    if (!s->started) {
        if (i >= n)
            return 0;
        s->started = 1;
        char c = b[i];
        if (c == '{' || c == '[') {
            s->depth = 1;
            i++;
        } else if (c == '"') {
            s->in_str = 1;
            s->depth = 0;
            i++;
        } else {
            s->scalar = 1;
        }
    }
    if (s->scalar) {
        /* a bare scalar ends at the next delimiter (or at end of input) */
        while (i < n && !is_ws(b[i]) && !is_delim(b[i]))
            i++;
        s->off = i;
        return i < n || r->eof;
    }
    while (i < n) {
        if (s->in_str && !s->esc) {
            /* skip the body of a string 8 bytes at a time */
            while (n - i >= 8) {
                uint64_t v;
                memcpy(&v, b + i, 8);
                if (has_zero(v ^ (ONES * '"')) | has_zero(v ^ (ONES * '\\')))
                    break;
                i += 8;
            }
            if (i >= n)
                break;
        }
        char c = b[i++];
        if (s->in_str) {
            if (s->esc)
                s->esc = 0;
            else if (c == '\\')
                s->esc = 1;
            else if (c == '"') {
                s->in_str = 0;
                if (s->depth == 0) {
                    s->off = i;
                    return 1;
                }
            }
        } else if (c == '"') {
            s->in_str = 1;
        } else if (c == '{' || c == '[') {
            s->depth++;
        } else if (c == '}' || c == ']') {
            if (--s->depth == 0) {
                s->off = i;
                return 1;
            }
        }
    }
    s->off = i;
    return 0;
}

/* Report that the framing of this input is lost at the current position.
 * The rest of the input is handed out as the record when it fits. */
static int framing_error(lf_reader *r, lf_rawrec *rec, lf_error *err, const char *what)
{
    rec->file = r->name;
    rec->line = r->line;
    rec->column = r->col;
    rec->data = NULL;
    rec->len = 0;
    /* Read what is left, as far as max allows, so the record can be shown. */
    while (!r->eof && r->end - r->pos <= r->max)
        if (refill(r, 1) < 0)
            break;
    if (r->eof && r->end - r->pos <= r->max) {
        rec->data = r->buf + r->pos;
        rec->len = r->end - r->pos;
    }
    r->done = 1;
    lf_error_at(err, r->name, r->line, r->col);
    lf_error_set(err, LF_E_FRAMING, "%s; the rest of this input is not read", what);
    return -1;
}

static int too_large(lf_reader *r, lf_rawrec *rec, lf_error *err, uint64_t line, uint64_t col,
                     uint64_t size)
{
    rec->data = NULL;
    rec->len = 0;
    rec->file = r->name;
    rec->line = line;
    rec->column = col;
    lf_error_at(err, r->name, line, col);
    lf_error_set(err, LF_E_TOO_LARGE, "record of %llu bytes or more exceeds --max-record-size (%zu bytes)",
                 (unsigned long long)size, r->max);
    return -1;
}

/* ---- JSONL ------------------------------------------------------------- */

static int next_jsonl(lf_reader *r, lf_rawrec *rec, lf_error *err)
{
    size_t scanned = 0;
    for (;;) {
        char *start = r->buf + r->pos;
        size_t avail = r->end - r->pos;
        char *nl = avail > scanned ? memchr(start + scanned, '\n', avail - scanned) : NULL;
        size_t len;
        if (nl != NULL) {
            len = (size_t)(nl - start);
        } else if (!r->eof && avail <= r->max + 1) {
            scanned = avail;
            if (refill(r, 1) < 0)
                return io_error(r, err, errno);
            continue;
        } else if (r->eof) {
            if (avail == 0)
                return 0;
            len = avail;
        } else {
            /* Longer than allowed: skip to the end of the line unbuffered. */
            uint64_t line = r->line, size = avail;
            r->consumed += avail;
            r->pos = r->end;
            for (;;) {
                int k = refill(r, 0);
                if (k < 0)
                    return io_error(r, err, errno);
                if (k == 0)
                    break;
                char *q = memchr(r->buf, '\n', r->end);
                if (q != NULL) {
                    size += (uint64_t)(q - r->buf);
                    r->pos = (size_t)(q - r->buf) + 1;
                    r->consumed += r->pos;
                    break;
                }
                size += r->end;
                r->consumed += r->end;
                r->pos = r->end;
            }
            r->line = line + 1;
            r->col = 1;
            return too_large(r, rec, err, line, 1, size);
        }
        size_t reclen = len;
        if (reclen > 0 && start[reclen - 1] == '\r')
            reclen--;
        uint64_t line = r->line, col = r->col;
        size_t step = len + (nl != NULL);
        r->pos += step;
        r->consumed += step;
        r->line++;
        r->col = 1;
        if (reclen >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
            start += 3;             /* a BOM: `cat a.jsonl b.jsonl` of files that have one */
            reclen -= 3;
            col += 3;
        }
        size_t k = 0;
        while (k < reclen && is_ws(start[k]))
            k++;
        if (k == reclen) {          /* blank line */
            scanned = 0;
            if (r->stop && *r->stop) {
                lf_error_at(err, r->name, line, col);
                lf_error_set(err, LF_E_INTERRUPTED, "interrupted");
                r->done = 1;
                return -1;
            }
            continue;
        }
        if (reclen > r->max)
            return too_large(r, rec, err, line, col, reclen);
        rec->data = start;
        rec->len = reclen;
        rec->file = r->name;
        rec->line = line;
        rec->column = col;
        return 1;
    }
}

/* ---- arrays and value streams ------------------------------------------ */

/* Frame one value starting at buf[pos] (not blank). */
static int next_value(lf_reader *r, lf_rawrec *rec, lf_error *err)
{
    scan s = {0};
    uint64_t line = r->line, col = r->col;
    char c = r->buf[r->pos];
    if (c == ',' || c == ']' || c == '}')
        return framing_error(r, rec, err, c == ',' ? "unexpected ',' where a record should start"
                                        : c == ']' ? "unexpected ']' where a record should start"
                                                   : "unexpected '}' where a record should start");
    int skipping = 0;
    uint64_t skipped = 0;
    for (;;) {
        if (scan_value(r, &s))
            break;
        if (s.off > r->max && !skipping) {
            skipping = 1;
        }
        if (skipping) {
            /* drop what was scanned, keep the scan state */
            skipped += s.off;
            advance(r, s.off);
            s.off = 0;
        }
        int k = refill(r, !skipping);
        if (k < 0)
            return io_error(r, err, errno);
        if (k == 0 && !(s.scalar && scan_value(r, &s))) {
            if (!skipping)
                return framing_error(r, rec, err, "unexpected end of input inside a record");
            r->done = 1;
            return too_large(r, rec, err, line, col, skipped);
        }
        if (k == 0)
            break;
    }
    if (skipping) {
        skipped += s.off;
        advance(r, s.off);
        return too_large(r, rec, err, line, col, skipped);
    }
    if (s.off > r->max) {
        advance(r, s.off);
        return too_large(r, rec, err, line, col, s.off);
    }
    rec->data = r->buf + r->pos;
    rec->len = s.off;
    rec->file = r->name;
    rec->line = line;
    rec->column = col;
    advance(r, s.off);
    return 1;
}

static int next_array(lf_reader *r, lf_rawrec *rec, lf_error *err)
{
    for (;;) {
        int c = skip_ws(r);
        if (c == -2)
            return io_error(r, err, errno);
        if (r->arr == ARR_NONE) {
            if (c == -1)
                return 0;
            if (c != '[')
                return framing_error(r, rec, err, "expected '[' to start an array of records");
            advance(r, 1);
            r->arr = ARR_FIRST;
            continue;
        }
        if (c == -1)
            return framing_error(r, rec, err, "unexpected end of input inside the array (missing ']')");
        if (r->arr == ARR_AFTER_VALUE) {
            if (c == ',') {
                advance(r, 1);
                r->arr = ARR_AFTER_COMMA;
                continue;
            }
            if (c == ']') {
                advance(r, 1);
                r->arr = ARR_NONE;
                continue;
            }
            return framing_error(r, rec, err, "expected ',' or ']' after a record");
        }
        if (c == ']') {
            if (r->arr == ARR_AFTER_COMMA)
                return framing_error(r, rec, err, "trailing ',' before ']'");
            advance(r, 1);
            r->arr = ARR_NONE;
            continue;
        }
        r->arr = ARR_AFTER_VALUE;
        return next_value(r, rec, err);
    }
}

/* Decide the layout from the first record's first line. */
static int detect(lf_reader *r, lf_error *err)
{
    if (!r->bom_checked) {
        r->bom_checked = 1;
        while (r->end - r->pos < 3 && !r->eof)
            if (refill(r, 1) < 0)
                return io_error(r, err, errno);
        if (r->end - r->pos >= 3 && memcmp(r->buf + r->pos, "\xEF\xBB\xBF", 3) == 0) {
            r->pos += 3;
            r->consumed += 3;
            r->col += 3;
        }
    }
    int c = skip_ws(r);
    if (c == -2)
        return io_error(r, err, errno);
    if (c == -1)
        return 0;
    if (c == '[') {
        r->layout = LF_LAYOUT_ARRAY;
        return 1;
    }
    /* Find the end of the first line (bounded by max). */
    size_t scanned = 0;
    char *nl;
    for (;;) {
        size_t avail = r->end - r->pos;
        nl = memchr(r->buf + r->pos + scanned, '\n', avail - scanned);
        if (nl != NULL || r->eof || avail > r->max)
            break;
        scanned = avail;
        if (refill(r, 1) < 0)
            return io_error(r, err, errno);
    }
    r->layout = LF_LAYOUT_JSONL;
    if (nl != NULL) {
        /* Scan the first line only: a value that is still open at the end of
         * the line, not inside a string and right after a '{', '[', ',' or
         * ':' (where pretty-printers break lines; a truncated JSONL line
         * rarely ends there) means pretty-printed records. */
        lf_reader view = *r;
        view.end = (size_t)(nl - r->buf);
        view.eof = 0;
        scan s = {0};
        const char *e = nl;
        while (e > r->buf + r->pos && is_ws(e[-1]))
            e--;
        if (!scan_value(&view, &s) && !s.in_str && s.depth > 0 && e > r->buf + r->pos && strchr("{[,:", e[-1]))
            r->layout = LF_LAYOUT_STREAM;
    }
    return 1;
}

int lf_reader_next(lf_reader *r, lf_rawrec *rec, lf_error *err)
{
    if (r->done)
        return 0;
    if (r->layout == LF_LAYOUT_UNKNOWN) {
        int k = detect(r, err);
        if (k <= 0)
            return k;
    }
    switch (r->layout) {
    case LF_LAYOUT_JSONL:
        return next_jsonl(r, rec, err);
    case LF_LAYOUT_ARRAY:
        return next_array(r, rec, err);
    case LF_LAYOUT_STREAM: {
        int c = skip_ws(r);
        if (c == -2)
            return io_error(r, err, errno);
        if (c == -1)
            return 0;
        return next_value(r, rec, err);
    }
    default:
        return 0;
    }
}
