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
#include <string.h>
#include <unistd.h>

#include "llamafmt/convert.h"
#include "llamafmt/options.h"

#ifndef LLAMAFMT_VERSION
#define LLAMAFMT_VERSION "0.1.0"
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
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
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

static void print_error(const lf_error *e)
{
    if (e->file != NULL && e->line > 0)
        fprintf(stderr, "llamafmt: %s:%llu:%llu: %s\n", e->file, (unsigned long long)e->line,
                (unsigned long long)e->column, e->msg);
    else if (e->file != NULL)
        fprintf(stderr, "llamafmt: %s: %s\n", e->file, e->msg);
    else
        fprintf(stderr, "llamafmt: %s\n", e->msg);
}

typedef struct ui {
    int verbose;
} ui;

static void on_reject(void *ctx, const lf_error *e)
{
    const ui *u = ctx;
    /* Inputs that cannot be opened are always reported; bad records only
     * with -v (the summary line names the first one). */
    if (u->verbose || !lf_code_is_data(e->code))
        print_error(e);
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
    lf_error err;
    lf_error_clear(&err);
    lf_code rc = lf_options_parse(&cfg, argc, argv, &err);
    if (rc != LF_OK) {
        print_error(&err);
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
    ui u = {cfg.verbose};
    lf_hooks hooks = {on_reject, &u, &stop_signal};
    lf_stats st;
    rc = lf_convert(&cfg, &hooks, &st, &err);

    if (rc == LF_E_PIPE || rc == LF_E_INTERRUPTED || stop_signal) {
        int sig = rc == LF_E_PIPE ? SIGPIPE : (stop_signal ? stop_signal : SIGINT);
        lf_config_free(&cfg);
        return die_by(sig);
    }
    if (rc != LF_OK)
        print_error(&err);
    if (st.rejected > 0 && rc == LF_OK && !cfg.quiet) {
        const lf_error *f = &st.first_reject;
        fprintf(stderr, "llamafmt: %llu record%s rejected (first: %s:%llu:%llu: %s)\n",
                (unsigned long long)st.rejected, st.rejected == 1 ? "" : "s", f->file ? f->file : "?",
                (unsigned long long)f->line, (unsigned long long)f->column, f->msg);
    }
    if (cfg.stats != LF_STATS_NONE) {
        lf_buf b = LF_BUF_INIT;
        if (lf_stats_format(&st, cfg.stats == LF_STATS_JSON, &b) == 0)
            fwrite(b.data, 1, b.len, stderr);
        lf_buf_free(&b);
    }
    lf_config_free(&cfg);
    return exit_code(rc);
}
