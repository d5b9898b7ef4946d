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
 */
#ifndef LLAMAFMT_CONVERT_H
#define LLAMAFMT_CONVERT_H

#include <signal.h>
#include <stdint.h>

#include "llamafmt/buf.h"
#include "llamafmt/error.h"
#include "llamafmt/options.h"

typedef struct lf_stats {
    uint64_t files;
    uint64_t bytes_read;
    uint64_t records_read;          /* = records_converted + rejected */
    uint64_t records_converted;     /* records that became samples */
    uint64_t samples_written;       /* = records_converted, except with --split-turns */
    uint64_t rejected;
    uint64_t rejected_by[LF_CODE_COUNT];
    uint64_t bytes_written;
    lf_error first_reject;          /* valid when rejected > 0 */
} lf_stats;

typedef struct lf_hooks {
    /* Called for every rejected record and unreadable input, in order. */
    void (*on_reject)(void *ctx, const lf_error *e);
    void *ctx;
    /* Set asynchronously (by a signal handler) to stop the run. */
    const volatile sig_atomic_t *stop;
} lf_hooks;

lf_code lf_convert(const lf_config *cfg, const lf_hooks *hooks, lf_stats *stats, lf_error *err);

/* Append the statistics as text lines or as one JSON object line. */
int lf_stats_format(const lf_stats *st, int json, lf_buf *out);

#endif
