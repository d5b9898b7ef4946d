/*
 * fuzz_options.c - the command line: lf_options_parse + lf_config_free.
 *
 * Input layout: byte 0 picks how the rest becomes an argv (the rest is split
 * on NUL bytes into parts; argv[0] is always "llamafmt"):
 *   mode 0, 1  the parts are the arguments, as they are;
 *   mode 2     "--role-map" PART0 "--keep" PART1, then the other parts;
 *   mode 3     every part is the value of a valued option, "--OPT=PART",
 *              the options taken in turn from byte 0's upper bits on;
 * (mode = byte 0 & 3).  Nothing is opened or written: options only name
 * files.
 *
 * Invariants (options.h):
 *   - the result is LF_OK or LF_E_USAGE, with a one-line message on error;
 *   - the config owns its strings: argv is scribbled over and freed before
 *     the config is read, so ASan sees any string still borrowed from it;
 *   - an accepted config is consistent: --keep keys unique, not "text",
 *     valid UTF-8, not with --to text; --role-map names non-empty with a
 *     real target role; --date, --system, --alpaca-joiner, --builtin-tools
 *     valid UTF-8 (no control characters / special tokens in --date);
 *     max_record > 0; enums in range; --verbose and --quiet not both;
 *   - parsing again (getopt state reset by the parser) gives the same result;
 *   - lf_config_free releases everything on success and on error (LSan);
 *   - lf_unescape writes at most strlen(s) bytes (exact-size buffer);
 *     lf_parse_size accepts only positive sizes.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "llamafmt/error.h"
#include "llamafmt/options.h"

#define MAX_PARTS 512

static const char *const VALUED[] = {
    "--from",        "--messages-key",  "--role-key",   "--content-key", "--role-map", "--alpaca-joiner",
    "--system",      "--special-tokens", "--max-record-size", "--tools", "--builtin-tools", "--tools-in",
    "--profile",     "--date",          "--to",         "--output",      "--separator", "--keep",
    "--on-error",    "--rejects",       "--stats",      "--train-on",    "--threads",  "--output-dir",
    "--compress",
};
#define N_VALUED (sizeof VALUED / sizeof VALUED[0])

typedef struct argvec {
    char **v;
    int n;
} argvec;

static void push(argvec *a, char *s)
{
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

static char *cat(const char *a, const char *b)
{
    size_t an = strlen(a), bn = strlen(b);
    char *s = malloc(an + bn + 1);
    if (s == NULL)
        abort();
    memcpy(s, a, an);
    memcpy(s + an, b, bn + 1);
    return s;
}

/* Build the argv of this input (every string on the heap). */
static argvec build(const uint8_t *data, size_t size)
{
    uint8_t sel = data[0];
    const uint8_t *p = data + 1, *end = data + size;
    char *parts[MAX_PARTS];
    int np = 0;
    while (np < MAX_PARTS) {
        const uint8_t *z = memchr(p, '\0', (size_t)(end - p));
        size_t n = z ? (size_t)(z - p) : (size_t)(end - p);
        parts[np++] = fz_strndup(p, n);
        if (z == NULL)
            break;
        p = z + 1;
    }
    argvec a;
    a.v = malloc((size_t)(2 * np + 6) * sizeof *a.v);
    if (a.v == NULL)
        abort();
    a.n = 0;
    push(&a, fz_strndup((const uint8_t *)"llamafmt", 8));
    int i = 0;
    switch (sel & 3) {
    case 2:
        push(&a, fz_strndup((const uint8_t *)"--role-map", 10));
        push(&a, parts[i++]);
        if (i < np) {
            push(&a, fz_strndup((const uint8_t *)"--keep", 6));
            push(&a, parts[i++]);
        }
        break;
    case 3:
        for (; i < np; i++) {
            push(&a, cat(VALUED[((size_t)(sel >> 2) + (size_t)i) % N_VALUED], "="));
            char *s = cat(a.v[a.n - 1], parts[i]);
            free(a.v[a.n - 1]);
            a.v[a.n - 1] = s;
            free(parts[i]);
        }
        break;
    default:
        break;
    }
    for (; i < np; i++)
        push(&a, parts[i]);
    return a;
}

static void scribble_free(argvec *a)
{
    for (int i = 0; i < a->n; i++) {
        memset(a->v[i], 'X', strlen(a->v[i]));
        free(a->v[i]);
    }
    free(a->v);
}

static argvec copy(const argvec *a)
{
    argvec c;
    c.v = malloc((size_t)(a->n + 1) * sizeof *c.v);
    if (c.v == NULL)
        abort();
    c.n = a->n;
    for (int i = 0; i < a->n; i++)
        c.v[i] = fz_strndup((const uint8_t *)a->v[i], strlen(a->v[i]));
    c.v[a->n] = NULL;
    return c;
}

static size_t touch(const char *s) { return s ? strlen(s) : 0; }

static void check_config(const lf_config *c)
{
    const lf_record_opts *r = &c->rec;
    FUZZ_CHECK(r->shape < LF_SHAPE_COUNT && r->special <= LF_SPECIAL_ALLOW, "record enums out of range");
    FUZZ_CHECK(c->tpl.profile < LF_PROFILE_COUNT, "profile out of range");
    FUZZ_CHECK(c->max_record > 0, "max_record 0");
    FUZZ_CHECK(!(c->verbose && c->quiet), "--verbose and --quiet both accepted");
    FUZZ_CHECK(c->on_error == LF_ON_ERROR_FAIL || c->on_error == LF_ON_ERROR_SKIP, "on_error out of range");
    FUZZ_CHECK(r->tools_in_user >= -1 && r->tools_in_user <= 1, "tools_in_user %d", r->tools_in_user);
    if (r->messages_key)
        FUZZ_CHECK(touch(r->messages_key) > 0, "empty --messages-key accepted");
    if (r->role_key)
        FUZZ_CHECK(touch(r->role_key) > 0, "empty --role-key accepted");
    if (r->content_key)
        FUZZ_CHECK(touch(r->content_key) > 0, "empty --content-key accepted");
    FUZZ_CHECK(r->n_aliases == 0 || r->aliases != NULL, "aliases missing");
    for (size_t i = 0; i < r->n_aliases; i++) {
        const char *f = r->aliases[i].from;
        FUZZ_CHECK(touch(f) > 0 && strchr(f, ',') == NULL && strchr(f, '=') == NULL, "bad --role-map name \"%s\"",
                   f);
        FUZZ_CHECK(r->aliases[i].to < LF_ROLE_COUNT, "--role-map target out of range");
    }
    if (r->alpaca_joiner)
        FUZZ_CHECK(fz_utf8_valid(r->alpaca_joiner, touch(r->alpaca_joiner)), "--alpaca-joiner not UTF-8");
    if (r->default_system)
        FUZZ_CHECK(fz_utf8_valid(r->default_system, touch(r->default_system)), "--system not UTF-8");
    FUZZ_CHECK(r->n_builtin_tools == 0 || r->builtin_tools != NULL, "builtin tools missing");
    for (size_t i = 0; i < r->n_builtin_tools; i++) {
        const char *b = r->builtin_tools[i];
        size_t tl;
        FUZZ_CHECK(touch(b) > 0 && fz_utf8_valid(b, strlen(b)) && fz_find_special(b, strlen(b), 0, &tl) < 0,
                   "bad --builtin-tools name");
    }
    if (c->tpl.date) {
        const char *d = c->tpl.date;
        size_t n = touch(d), tl;
        FUZZ_CHECK(fz_utf8_valid(d, n) && fz_find_special(d, n, 0, &tl) < 0, "bad --date \"%s\"", d);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK((unsigned char)d[i] >= 0x20, "control character in --date");
    }
    if (c->wr.separator) {
        /* read every byte of it (ASan) */
        volatile char sink = 0;
        for (size_t i = 0; i < c->wr.separator_len; i++)
            sink = (char)(sink ^ c->wr.separator[i]);
        (void)sink;
        FUZZ_CHECK(fz_utf8_valid(c->wr.separator, c->wr.separator_len), "--separator not UTF-8");
    }
    FUZZ_CHECK(c->n_inputs == 0 || c->inputs != NULL, "inputs missing");
    for (size_t i = 0; i < c->n_inputs; i++)
        touch(c->inputs[i]);
    touch(c->output);
    touch(c->rejects);
    touch(c->tools_path);
    if (c->output && c->rejects)
        FUZZ_CHECK(strcmp(c->output, c->rejects) != 0, "--output and --rejects the same file accepted");
    if (c->n_keep > 0)
        FUZZ_CHECK(c->wr.format != LF_FORMAT_TEXT, "--keep accepted with --to text");
    for (size_t i = 0; i < c->n_keep; i++) {
        const char *k = c->keep[i];
        size_t n = touch(k);
        FUZZ_CHECK(n > 0 && strcmp(k, "text") != 0 && fz_utf8_valid(k, n) && strchr(k, ',') == NULL,
                   "bad --keep key \"%s\"", k);
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(c->keep[j], k) != 0, "--keep key \"%s\" twice", k);
    }
}

static void check_helpers(const argvec *a)
{
    for (int i = 1; i < a->n; i++) {
        const char *s = a->v[i];
        size_t n = strlen(s);
        char *out = malloc(n ? n : 1);             /* exactly "at most strlen(s) bytes" */
        if (out == NULL)
            abort();
        long k = lf_unescape(s, out);
        FUZZ_CHECK(k >= -1 && k <= (long)n, "lf_unescape returned %ld for %zu bytes", k, n);
        free(out);
        size_t sz = 0;
        if (lf_parse_size(s, &sz) == 0) {
            FUZZ_CHECK(sz > 0, "lf_parse_size(\"%s\") accepted 0", s);
            FUZZ_CHECK(s[0] >= '0' && s[0] <= '9', "lf_parse_size(\"%s\") accepted a non-number", s);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    argvec a = build(data, size);
    argvec b = copy(&a);
    check_helpers(&a);

    lf_config cfg;
    lf_error err;
    lf_error_clear(&err);
    lf_code rc = lf_options_parse(&cfg, a.n, a.v, &err);
    scribble_free(&a);                              /* the config must not borrow from argv */
    FUZZ_CHECK(rc == LF_OK || rc == LF_E_USAGE, "lf_options_parse returned %d (%s)", (int)rc, err.msg);
    if (rc == LF_OK) {
        check_config(&cfg);
    } else {
        size_t ml = strnlen(err.msg, sizeof err.msg);
        FUZZ_CHECK(ml > 0 && ml < sizeof err.msg, "usage error without a terminated message");
        FUZZ_CHECK(strchr(err.msg, '\n') == NULL && strchr(err.msg, '\r') == NULL,
                   "usage error message is not one line: %s", err.msg);
    }

    /* again, from a fresh copy of the same argv */
    lf_config cfg2;
    lf_error err2;
    lf_error_clear(&err2);
    lf_code rc2 = lf_options_parse(&cfg2, b.n, b.v, &err2);
    FUZZ_CHECK(rc2 == rc, "second parse returned %d, first %d (%s / %s)", (int)rc2, (int)rc, err2.msg, err.msg);
    if (rc == LF_OK) {
        FUZZ_CHECK(cfg2.n_inputs == cfg.n_inputs && cfg2.n_keep == cfg.n_keep &&
                       cfg2.rec.n_aliases == cfg.rec.n_aliases && cfg2.max_record == cfg.max_record &&
                       cfg2.tpl.profile == cfg.tpl.profile && cfg2.rec.shape == cfg.rec.shape &&
                       cfg2.wr.format == cfg.wr.format && cfg2.rec.n_builtin_tools == cfg.rec.n_builtin_tools,
                   "second parse of the same argv gives another config");
    } else {
        FUZZ_CHECK(strcmp(err.msg, err2.msg) == 0, "second parse gives another error: %s / %s", err.msg, err2.msg);
    }
    lf_config_free(&cfg2);
    lf_config_free(&cfg);
    scribble_free(&b);
    return 0;
}
