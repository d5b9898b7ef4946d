/* buf.c - see buf.h. */
#include "llamafmt/buf.h"

#include <stdint.h>
#include <stdlib.h>

int lf_buf_grow(lf_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len)
        return -1;
    size_t need = b->len + extra;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = (cap > SIZE_MAX / 2) ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (p == NULL)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

void lf_buf_free(lf_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
