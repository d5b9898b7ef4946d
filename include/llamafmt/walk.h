/*
 * walk.h - plan a batch conversion: inputs (files and directories) to
 * outputs under one directory.
 *
 * lf_plan_build() expands directories (with `recursive`) into the data files
 * below them (*.jsonl, *.json, *.ndjson, each optionally .gz or .zst), in
 * sorted order (byte order of the names, never readdir order), skipping
 * hidden names and, unless `follow_symlinks`, symbolic links.  Each input
 * gets an output under `outdir`: a file found in a directory keeps its path
 * relative to that directory (data/a/b.json -> OUTDIR/a/b.jsonl), a file
 * named directly keeps its base name.  The data suffix becomes ".jsonl" (or
 * ".txt" for text output); a .gz/.zst suffix is kept unless `compress`
 * says otherwise.  Planning refuses, before anything is written: paths with a
 * ".." component, standard input, two inputs that would write the same
 * output, and an output that is one of the inputs.
 *
 * The plan owns all its strings.  Nothing is printed; errors are lf_error.
 */
#ifndef LLAMAFMT_WALK_H
#define LLAMAFMT_WALK_H

#include <stddef.h>

#include "llamafmt/codec.h"
#include "llamafmt/error.h"

typedef struct lf_job {
    char *input;
    char *output;
    lf_codec in_codec;
    lf_codec out_codec;
} lf_job;

typedef struct lf_plan {
    lf_job *jobs;
    size_t n;
} lf_plan;

typedef struct lf_walk_opts {
    const char *outdir;
    int recursive;
    int follow_symlinks;
    int text;               /* outputs end in .txt instead of .jsonl */
    int compress;           /* -1: keep each input's codec; else an lf_codec */
} lf_walk_opts;

lf_code lf_plan_build(const lf_walk_opts *o, char *const *inputs, size_t n, lf_plan *plan, lf_error *err);
void lf_plan_free(lf_plan *plan);

/* Create the directories above path (mkdir -p of its parent).  0 or -1 (errno). */
int lf_make_parents(const char *path);

#endif
