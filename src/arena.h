/*
 * arena.h - a bump allocator for the strings and arrays of one record or
 * sample, freed all at once (private to the library).
 *
 * Allocations are 16-byte aligned and live until lf_arena_reset(), which
 * keeps one ordinary block for the next record (a block made for one huge
 * allocation is freed, so peak memory does not stick), or lf_arena_free().
 * A zero-initialised lf_arena is empty.  One arena, one thread.
 */
#ifndef LLAMAFMT_ARENA_H
#define LLAMAFMT_ARENA_H

#include <stddef.h>

typedef struct lf_arena_block lf_arena_block;

typedef struct lf_arena {
    lf_arena_block *head;
} lf_arena;

/* n bytes (n == 0 gives a valid, unique pointer); NULL on ENOMEM. */
void *lf_arena_alloc(lf_arena *a, size_t n);

/* A NUL-terminated copy of s[0..n); NULL on ENOMEM. */
char *lf_arena_strdup(lf_arena *a, const char *s, size_t n);

void lf_arena_reset(lf_arena *a);
void lf_arena_free(lf_arena *a);

#endif
