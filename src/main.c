/*
 * main.c - the llamafmt command: options in, exit code out.
 *
 * Everything else lives in the library; this file parses the command line,
 * installs the signal handlers, prints what the library reports and maps
 * results to exit codes: 0 ok, 1 bad data, 2 usage, 3 I/O or system.
 */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "llamafmt/convert.h"
#include "llamafmt/options.h"

#ifndef LLAMAFMT_VERSION
#error "LLAMAFMT_VERSION comes from the project version in CMakeLists.txt"
#endif

enum { EXIT_OK = 0, EXIT_DATA = 1, EXIT_USAGE = 2, EXIT_SYSTEM = 3 };

/* The signal that asked us to stop (0: none).  The only mutable global. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

static void install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;        /* no SA_RESTART: a blocked read or write returns EINTR */
    /* a signal ignored at start (a background job of a script) stays ignored */
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(sigs[i], &sa, NULL);
    }
    /* EPIPE is handled as an error, so that temporary files are removed */
    signal(SIGPIPE, SIG_IGN);
}

/* Die by `sig` after cleaning up, so the shell sees what happened. */
static int die_by(int sig)
{
    signal(sig, SIG_DFL);
    raise(sig);
    return 128 + sig;
}

/* Colours: --color=always/never, else on a terminal unless NO_COLOR is set
 * (https://no-color.org) or TERM is dumb. */
static int use_color(int opt, int fd)
{
    if (opt >= 0)
        return opt;
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
    if ((nc != NULL && *nc != '\0') || (term != NULL && strcmp(term, "dumb") == 0))
        return 0;
    return isatty(fd);
}

/* One line: "llamafmt: FILE:LINE:COLUMN: MESSAGE", the position in bold and
 * the program name in red when colour is on. */
static void print_error(const lf_error *e, int color)
{
    const char *red = color ? "\033[1;31m" : "", *bold = color ? "\033[1m" : "", *off = color ? "\033[0m" : "";
    fprintf(stderr, "%sllamafmt:%s ", red, off);
    if (e->file != NULL && e->line > 0)
        fprintf(stderr, "%s%s:%llu:%llu:%s ", bold, e->file, (unsigned long long)e->line, (unsigned long long)e->column,
                off);
    else if (e->file != NULL)
        fprintf(stderr, "%s%s:%s ", bold, e->file, off);
    fprintf(stderr, "%s\n", e->msg);
}

typedef struct ui {
    int verbose;
    int color;              /* on standard error */
    int stats;              /* per-file lines with -O and --stats=text */
    int progress;           /* draw a progress line on stderr */
    int drawn;              /* a progress line is on the screen */
    struct timespec last, start;
} ui;

static double seconds(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void clear_progress(ui *u)
{
    if (u->drawn) {
        fputs("\r\033[K", stderr);
        u->drawn = 0;
    }
}

/* At most 5 updates a second: files, records, MB/s and the time left. */
static void on_progress(void *ctx, const lf_progress *p)
{
    ui *u = ctx;
    if (!u->progress)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (u->drawn && seconds(&u->last, &now) < 0.2)
        return;
    u->last = now;
    double t = seconds(&u->start, &now), mb = (double)p->bytes_done / 1e6;
    double rate = t > 0 ? mb / t : 0;
    char eta[32] = "";
    if (rate > 0 && p->bytes_total > p->bytes_done)
        snprintf(eta, sizeof eta, ", %.0f s left", ((double)(p->bytes_total - p->bytes_done) / 1e6) / rate);
    fprintf(stderr, "\r\033[Kllamafmt: %llu/%llu files, %llu records, %.1f MB/s%s", (unsigned long long)p->files_done,
            (unsigned long long)p->files_total, (unsigned long long)p->records, rate, eta);
    u->drawn = 1;
}

static void on_file(void *ctx, const char *input, const char *output, const lf_stats *f, int skipped)
{
    ui *u = ctx;
    if (!u->stats)
        return;
    clear_progress(u);
    if (skipped)
        fprintf(stderr, "llamafmt: %s -> %s: up to date\n", input, output);
    else
        fprintf(stderr, "llamafmt: %s -> %s: records: %llu, samples: %llu, rejected: %llu\n", input, output,
                (unsigned long long)f->records_read, (unsigned long long)f->samples_written,
                (unsigned long long)f->rejected);
}

static void on_reject(void *ctx, const lf_error *e)
{
    ui *u = ctx;
    clear_progress(u);
    /* Inputs that cannot be opened are always reported; bad records only
     * with -v (the summary line names the first one). */
    if (u->verbose || !lf_code_is_data(e->code))
        print_error(e, u->color);
}

static int exit_code(lf_code rc)
{
    if (rc == LF_OK)
        return EXIT_OK;
    if (lf_code_is_data(rc))
        return EXIT_DATA;
    if (rc == LF_E_USAGE)
        return EXIT_USAGE;
    return EXIT_SYSTEM;
}

int main(int argc, char **argv)
{
    lf_config cfg;
    lf_error err = LF_ERROR_INIT;
    lf_error_clear(&err);
    lf_code rc = lf_options_parse(&cfg, argc, argv, &err);
    if (rc != LF_OK) {
        print_error(&err, use_color(-1, STDERR_FILENO));
        if (rc == LF_E_USAGE)
            fprintf(stderr, "Try 'llamafmt --help' for more information.\n");
        lf_config_free(&cfg);
        return exit_code(rc);
    }
    if (cfg.help || cfg.version) {
        if (cfg.help)
            fputs(lf_usage_text(), stdout);
        else
            printf("llamafmt %s (cJSON %s)\n", LLAMAFMT_VERSION, cJSON_Version());
        lf_config_free(&cfg);
        return (fflush(stdout) != 0 || ferror(stdout)) ? EXIT_SYSTEM : EXIT_OK;
    }

    install_handlers();
    ui u;
    memset(&u, 0, sizeof u);
    u.verbose = cfg.verbose;
    u.color = use_color(cfg.color, STDERR_FILENO);
    /* --check writes its diagnostics to the output: colour them for a terminal */
    cfg.color = cfg.output == NULL && use_color(cfg.color, STDOUT_FILENO);
    u.stats = cfg.stats == LF_STATS_TEXT;
    u.progress = cfg.progress == 1 || (cfg.progress == -1 && isatty(STDERR_FILENO));
    clock_gettime(CLOCK_MONOTONIC, &u.start);
    lf_hooks hooks = {on_reject, &u, &stop_signal, on_file, on_progress};
    lf_stats st;
    rc = lf_convert(&cfg, &hooks, &st, &err);
    clear_progress(&u);

    if (rc == LF_E_PIPE || rc == LF_E_INTERRUPTED || stop_signal) {
        int sig = rc == LF_E_PIPE ? SIGPIPE : (stop_signal ? stop_signal : SIGINT);
        lf_stats_free(&st);
        lf_config_free(&cfg);
        return die_by(sig);
    }
    if (rc == LF_E_IO && st.files_failed > 0)
        fprintf(stderr, "llamafmt: %llu input%s could not be converted (first: %s)\n",
                (unsigned long long)st.files_failed, st.files_failed == 1 ? "" : "s", err.file ? err.file : "?");
    else if (rc != LF_OK)
        print_error(&err, u.color);
    if (cfg.mode == LF_MODE_COUNT_TOKENS && !cfg.count_total && rc == LF_OK && !cfg.quiet)
        fprintf(stderr, "llamafmt: %llu tokens in %llu samples\n", (unsigned long long)st.tokens,
                (unsigned long long)st.samples_written);
    if (cfg.mode == LF_MODE_CHECK) {
        uint64_t warnings = 0;
        for (int w = 0; w < LF_W_COUNT; w++)
            warnings += st.warnings_by[w];
        if (!cfg.quiet && rc == LF_OK)
            fprintf(stderr, "llamafmt: checked %llu record%s: %llu error%s in %llu record%s, %llu warning%s\n",
                    (unsigned long long)st.records_read, st.records_read == 1 ? "" : "s", (unsigned long long)st.errors,
                    st.errors == 1 ? "" : "s", (unsigned long long)st.rejected, st.rejected == 1 ? "" : "s",
                    (unsigned long long)warnings, warnings == 1 ? "" : "s");
        if (rc == LF_OK && st.rejected > 0)
            rc = st.first_reject.code;      /* exit 1: there are errors */
    } else if (st.rejected > 0 && (rc == LF_OK || st.files_failed > 0) && !cfg.quiet) {
        const lf_error *f = &st.first_reject;
        fprintf(stderr, "llamafmt: %llu record%s rejected (first: %s:%llu:%llu: %s)\n",
                (unsigned long long)st.rejected, st.rejected == 1 ? "" : "s", f->file ? f->file : "?",
                (unsigned long long)f->line, (unsigned long long)f->column, f->msg);
    }
    if (cfg.stats != LF_STATS_NONE) {
        lf_buf b = LF_BUF_INIT;
        if (lf_stats_format(&st, &cfg, cfg.stats == LF_STATS_JSON, &b) == 0)
            fwrite(b.data, 1, b.len, stderr);
        lf_buf_free(&b);
    }
    lf_stats_free(&st);
    lf_config_free(&cfg);
    return exit_code(rc);
}
