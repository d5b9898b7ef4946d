/*
 * options.h - the command line, parsed into one configuration struct.
 *
 * lf_options_parse() turns argv into an lf_config and validates it as a
 * whole; it never prints or exits.  The config owns every string it holds
 * (copied from argv) until lf_config_free().  `--help` and `--version` only
 * set flags; main() prints lf_usage_text().  Uses getopt_long, so it resets
 * getopt's state itself and may be called more than once (tests do).
 */
#ifndef LLAMAFMT_OPTIONS_H
#define LLAMAFMT_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "llamafmt/error.h"
#include "llamafmt/record.h"
#include "llamafmt/template.h"
#include "llamafmt/writer.h"

typedef enum lf_on_error { LF_ON_ERROR_FAIL, LF_ON_ERROR_SKIP } lf_on_error;
typedef enum lf_stats_mode { LF_STATS_NONE, LF_STATS_TEXT, LF_STATS_JSON } lf_stats_mode;

/* What a run does with the records it reads. */
typedef enum lf_mode {
    LF_MODE_CONVERT,            /* write samples (the default) */
    LF_MODE_CHECK,              /* --check: report every problem, write nothing */
    LF_MODE_PARSE,              /* --parse: Llama 3 text samples back to messages */
    LF_MODE_COUNT_TOKENS        /* --count-tokens: {"tokens": N} per sample, or the total */
} lf_mode;

/* --overlong: what happens to a sample longer than --max-tokens. */
typedef enum lf_overlong {
    LF_OVERLONG_DROP,           /* skip the sample (counted, listed in --rejects) */
    LF_OVERLONG_DROP_TURNS,     /* remove whole trailing turns until it fits */
    LF_OVERLONG_TRUNCATE,       /* cut the token sequence at N */
    LF_OVERLONG_ERROR           /* a data error (LF_E_TOO_LONG) */
} lf_overlong;

/* --split NAME=FRACTION: a record goes to the first split whose cumulative
 * share of 2^64 exceeds the hash of its content. */
typedef struct lf_split {
    const char *name;
    double fraction;
    uint64_t upto;              /* cumulative bound on the 64-bit hash; the last is UINT64_MAX */
} lf_split;

#define LF_MAX_SPLITS 16
#define LF_DEFAULT_SHUFFLE ((size_t)10000)

#define LF_DEFAULT_MAX_RECORD ((size_t)64 << 20)

typedef struct lf_config {
    lf_record_opts rec;
    lf_template_opts tpl;
    lf_writer_opts wr;
    char **inputs;              /* none: standard input */
    size_t n_inputs;
    char *output;               /* NULL: standard output */
    char *rejects;              /* NULL: none */
    char *tools_path;           /* --tools FILE, read by lf_convert; NULL: none */
    char **keep;                /* --keep keys, in order */
    size_t n_keep;
    size_t max_record;
    int split_turns;            /* one sample per assistant turn */
    size_t threads;             /* -j: worker threads; 0: the online CPUs */
    /* batches of files */
    int recursive;              /* -r: directories among the inputs are walked */
    char *outdir;               /* -O: one output per input under it; NULL: none */
    int compress;               /* --compress: -1 keep the inputs' codecs, else lf_codec */
    int force;                  /* overwrite existing outputs */
    int update;                 /* skip outputs newer than their input and options */
    int follow_symlinks;
    int progress;               /* -1: when stderr is a terminal; 0 off; 1 on */
    lf_on_error on_error;
    lf_stats_mode stats;
    int verbose;
    int quiet;                  /* -q: no warnings, no summary line */
    int color;                  /* --color: -1 auto (a terminal and no NO_COLOR), 0 never, 1 always */
    lf_mode mode;
    int count_total;            /* --count-tokens=total: only the total */
    /* tokens */
    char *tokenizer_path;       /* --tokenizer FILE; NULL: none */
    size_t max_tokens;          /* --max-tokens; 0: no limit */
    lf_overlong overlong;
    int attention_mask;         /* -t tokens: add "attention_mask" */
    /* dataset hygiene */
    int dedup;                  /* --dedup: drop repeated conversations */
    lf_split splits[LF_MAX_SPLITS];
    size_t n_splits;            /* --split; 0: one output */
    uint64_t seed;              /* --seed: for --split and --shuffle */
    size_t shuffle;             /* --shuffle[=N]: buffer of N samples; 0: off */
    int help;
    int version;
    /* storage owned by the config */
    lf_role_alias *aliases;
    char **builtin;             /* --builtin-tools names (into rec.builtin_tools) */
    char **owned;               /* every string the config copied */
    size_t n_owned;
} lf_config;

/* Fill cfg from argv.  Returns LF_OK or LF_E_USAGE with err's message set.
 * cfg must be freed with lf_config_free() in both cases. */
lf_code lf_options_parse(lf_config *cfg, int argc, char **argv, lf_error *err);

void lf_config_free(lf_config *cfg);

/* One line naming every option that changes output bytes (for --update's
 * stamp).  0 or -1 (ENOMEM). */
int lf_config_fingerprint(const lf_config *cfg, lf_buf *out);

/* The --help text. */
const char *lf_usage_text(void);

/* Parse a size such as "64M", "512K", "1G", "1000" (K/M/G = 1024^n).
 * Returns 0 and sets *out, or -1. */
int lf_parse_size(const char *s, size_t *out);

/* Decode \n, \t, \r, \0, \\ in s into out (at most strlen(s) bytes);
 * returns the decoded length, or -1 on an unknown escape. */
long lf_unescape(const char *s, char *out);

#endif
