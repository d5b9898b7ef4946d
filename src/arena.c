/* arena.c - see arena.h. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK ((size_t)1 << 16)

struct lf_arena_block {
    lf_arena_block *next;
    size_t used, cap;
    _Alignas(16) char data[];
};

void *lf_arena_alloc(lf_arena *a, size_t n)
{
    if (n > SIZE_MAX - 16)
        return NULL;
    n = n ? (n + 15) & ~(size_t)15 : 16;
    lf_arena_block *b = a->head;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        if (cap > SIZE_MAX - sizeof *b || (b = malloc(sizeof *b + cap)) == NULL)
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

char *lf_arena_strdup(lf_arena *a, const char *s, size_t n)
{
    char *d = n < SIZE_MAX ? lf_arena_alloc(a, n + 1) : NULL;
    if (d != NULL) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void lf_arena_reset(lf_arena *a)
{
    lf_arena_block *keep = NULL, *b = a->head;
    while (b != NULL) {
        lf_arena_block *next = b->next;
        if (keep == NULL && b->cap == ARENA_BLOCK) {
            keep = b;
        } else {
            free(b);
        }
        b = next;
    }
    if (keep != NULL) {
        keep->used = 0;
        keep->next = NULL;
    }
    a->head = keep;
}

void lf_arena_free(lf_arena *a)
{
    for (lf_arena_block *b = a->head, *next; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    a->head = NULL;
}
