/*
 * pipeline.h - what the two runs (lf_convert, lf_parse_run) share: opening
 * an input, the error policy for a rejected record, progress, and refusing
 * to write over an input.  Private to the library.
 *
 * Nothing here prints; rejections reach the caller through the hooks.
 */
#ifndef LLAMAFMT_PIPELINE_H
#define LLAMAFMT_PIPELINE_H

#include <stdint.h>
#include <sys/stat.h>

#include "llamafmt/codec.h"
#include "llamafmt/convert.h"
#include "llamafmt/reader.h"
#include "llamafmt/writer.h"

/* The policy of a run: where rejected records are counted, written and
 * reported.  Borrowed pointers; rej may be NULL. */
typedef struct lf_policy {
    const lf_config *cfg;
    const lf_hooks *hooks;
    lf_stats *st;
    lf_out *rej;
} lf_policy;

/* Tell the caller about a rejected record or an unreadable input. */
void lf_policy_report(const lf_policy *p, const lf_error *e);

/* A bad record: count it, write it to the rejects file, apply --on-error.
 * LF_OK to go on, or the code that ends the run (err set). */
lf_code lf_policy_reject(const lf_policy *p, const lf_rawrec *rec, const lf_error *e, lf_error *err);

/* An opened input: a file, or standard input for "-" (named "<stdin>"),
 * decoded on the fly when its name ends in .gz or .zst. */
typedef struct lf_input {
    int fd;
    int is_stdin;
    const char *name;           /* for messages: the path, or "<stdin>" */
    lf_decoder *dec;            /* NULL: not compressed */
    uint64_t size;              /* bytes of a regular file (0 otherwise), for progress */
} lf_input;

/* Open path.  LF_E_IO with err positioned at the name (cannot open, a
 * directory), or LF_E_NOMEM. */
lf_code lf_input_open(const char *path, lf_input *in, lf_error *err);
void lf_input_close(lf_input *in);

/* Report progress: records so far and the input bytes consumed (as stored). */
void lf_progress_report(const lf_hooks *hooks, lf_progress *prog, const lf_stats *st, uint64_t bytes_before, int fd);

/* LF_E_USAGE when `out` (NULL: none) is one of the inputs. */
lf_code lf_refuse_input(const lf_config *cfg, const char *out, lf_error *err);

#endif
