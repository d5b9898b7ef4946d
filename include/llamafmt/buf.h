/*
 * buf.h - a growable byte buffer.
 *
 * Contract: an lf_buf owns `data` (heap, may be NULL while cap == 0).  The
 * buffer is never implicitly NUL-terminated; callers that need a C string
 * append the NUL themselves.  Every appending function returns 0 on success
 * and -1 when memory is exhausted, in which case the buffer is unchanged and
 * still valid.  Nothing here prints or exits.  A zero-initialised lf_buf
 * (LF_BUF_INIT) is an empty buffer; lf_buf_free() on it is a no-op.
 */
#ifndef LLAMAFMT_BUF_H
#define LLAMAFMT_BUF_H

#include <stddef.h>
#include <string.h>

typedef struct lf_buf {
    char *data;
    size_t len;
    size_t cap;
} lf_buf;

#define LF_BUF_INIT {NULL, 0, 0}

/* Make room for at least `extra` more bytes beyond len. */
int lf_buf_grow(lf_buf *b, size_t extra);

static inline int lf_buf_reserve(lf_buf *b, size_t extra)
{
    return (b->cap - b->len >= extra) ? 0 : lf_buf_grow(b, extra);
}

static inline int lf_buf_append(lf_buf *b, const void *p, size_t n)
{
    if (lf_buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static inline int lf_buf_puts(lf_buf *b, const char *s)
{
    return lf_buf_append(b, s, strlen(s));
}

static inline int lf_buf_putc(lf_buf *b, char c)
{
    if (lf_buf_reserve(b, 1) != 0)
        return -1;
    b->data[b->len++] = c;
    return 0;
}

/* Forget the contents, keep the allocation. */
static inline void lf_buf_clear(lf_buf *b) { b->len = 0; }

/* Release the allocation; the buffer is empty afterwards. */
void lf_buf_free(lf_buf *b);

#endif
