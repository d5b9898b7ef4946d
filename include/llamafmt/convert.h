/*
 * convert.h - the whole pipeline: inputs -> reader -> record -> template ->
 * writer, with the error policy, rejects file and statistics.
 *
 * lf_convert() never prints: rejected records are passed to the caller's
 * `on_reject` callback (main prints them), and statistics are returned in an
 * lf_stats the caller formats with lf_stats_format().
 *
 * Result: LF_OK when every record became a sample, or when bad records were
 * rejected under LF_ON_ERROR_SKIP.  With LF_ON_ERROR_FAIL the first bad
 * record stops the run and its data error code is returned with err set; the
 * output file is then removed (the rejects file, which holds that record,
 * is kept).  System errors (LF_E_IO, LF_E_PIPE, LF_E_NOMEM,
 * LF_E_INTERRUPTED) stop the run, remove every output file and are
 * returned.  An input that cannot be opened is an LF_E_IO error: with
 * --on-error=skip it is reported, the other inputs are converted and
 * LF_E_IO is returned at the end.
 *
 * With --tokenizer, samples are token ids (-t tokens) or counts
 * (--count-tokens), and --max-tokens applies --overlong: dropped samples do
 * not stop the run whatever --on-error says; a record none of whose samples
 * is left counts as rejected (too_long), and every record with a dropped,
 * cut or shortened sample is listed in the rejects file.
 *
 * --check (cfg->mode) writes diagnostics instead of samples, one line each
 * (lint.h), checks every record whatever --on-error says and returns LF_OK
 * unless a system error stops it: the caller tells errors by
 * stats->rejected.  --dedup, --split and --shuffle route each record's
 * samples (split outputs are named by lf_split_path()).
 *
 * With -O (cfg->outdir) every input gets its own output, written atomically;
 * a bad record under --on-error=fail stops the run (outputs already
 * finished stay), under skip every file is converted and the ones that could
 * not be read are counted in files_failed.  Inputs named *.gz / *.zst are
 * decompressed on the fly, outputs named so are compressed.
 */
#ifndef LLAMAFMT_CONVERT_H
#define LLAMAFMT_CONVERT_H

#include <signal.h>
#include <stdint.h>

#include "llamafmt/buf.h"
#include "llamafmt/error.h"
#include "llamafmt/lint.h"
#include "llamafmt/options.h"

typedef struct lf_stats {
    uint64_t files;
    uint64_t bytes_read;
    uint64_t records_read;          /* = records_converted + rejected + duplicates */
    uint64_t records_converted;     /* records that became samples */
    uint64_t samples_written;       /* = records_converted, except with --split-turns */
    uint64_t rejected;
    uint64_t rejected_by[LF_CODE_COUNT];
    uint64_t bytes_written;
    uint64_t files_skipped;         /* --update: outputs already up to date */
    uint64_t files_failed;          /* inputs that could not be read */
    uint64_t duplicates;            /* --dedup: records dropped as seen before */
    uint64_t split_samples[LF_MAX_SPLITS]; /* --split: samples written to each */
    uint64_t warnings_by[LF_W_COUNT];      /* --check */
    uint64_t errors;                /* --check: errors reported (a record may have several) */
    /* tokens (with --tokenizer) */
    uint64_t tokens;                /* in the samples written */
    uint64_t samples_dropped;       /* --max-tokens: dropped (drop, or drop-turns finding no fit) */
    uint64_t samples_truncated;     /* cut at --max-tokens */
    uint64_t samples_shortened;     /* drop-turns: trailing turns removed until it fit */
    uint64_t *token_hist;           /* samples written by their number of tokens, below ... */
    size_t token_hist_len;          /* ... this; longer ones are in token_long */
    uint32_t *token_long;
    size_t n_token_long, cap_token_long;
    lf_error first_reject;          /* valid when rejected > 0 */
    void *owned;                    /* the file names errors may point to (walked inputs) */
} lf_stats;

/* Where a run is, for a progress display. */
typedef struct lf_progress {
    uint64_t files_done, files_total;
    uint64_t records;
    uint64_t bytes_done, bytes_total;   /* input bytes (as stored: compressed for .gz) */
} lf_progress;

typedef struct lf_hooks {
    /* Called for every rejected record and unreadable input, in order. */
    void (*on_reject)(void *ctx, const lf_error *e);
    void *ctx;
    /* Set asynchronously (by a signal handler) to stop the run. */
    const volatile sig_atomic_t *stop;
    /* With -O: after each input, its own statistics (skipped: up to date). */
    void (*on_file)(void *ctx, const char *input, const char *output, const lf_stats *file, int skipped);
    /* After every batch of records; the callee decides how often to show it. */
    void (*on_progress)(void *ctx, const lf_progress *p);
} lf_hooks;

/* File names in *err and in stats->first_reject are borrowed from cfg or held
 * by stats: free stats with lf_stats_free() once they have been printed. */
lf_code lf_convert(const lf_config *cfg, const lf_hooks *hooks, lf_stats *stats, lf_error *err);

void lf_stats_free(lf_stats *stats);

/* The token count at quantile q (0..1) of the samples written, by the
 * nearest-rank method; 0 when there are none. */
uint64_t lf_stats_token_quantile(const lf_stats *st, double q);

/* Where split `name` of output `path` goes: with -O (outdir given, path
 * under it) OUTDIR/NAME/REST, else the name inserted before the extension
 * (train.jsonl.gz -> train.NAME.jsonl.gz).  Malloc'd; NULL on ENOMEM. */
char *lf_split_path(const char *path, const char *outdir, const char *name);

/* Append the statistics as text lines or as one JSON object line; cfg (may
 * be NULL) says which optional figures apply (duplicates, splits, warnings). */
int lf_stats_format(const lf_stats *st, const lf_config *cfg, int json, lf_buf *out);

#endif
