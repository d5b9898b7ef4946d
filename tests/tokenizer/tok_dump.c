/*
 * tok_dump - encode strings with llamafmt's tokenizer (a test and benchmark
 * helper; not installed).
 *
 *   tok_dump TOKENIZER_FILE < STRINGS.jsonl > IDS.jsonl
 *       Each input line is one JSON string; it is encoded with lf_tokenize
 *       (ordinary text: "<|eot_id|>" is characters, not a control token),
 *       through one lf_tok_state for the whole run, and its ids are written
 *       as one JSON array per line.  Every line is also decoded back with
 *       lf_detokenize and must give the input's bytes again.
 *
 *   tok_dump --bench FILE [--reps N] TOKENIZER_FILE
 *       Reads FILE (JSONL strings, as above) into memory, then encodes all of
 *       it N times (default 3) through one lf_tok_state on one thread and
 *       prints one JSON object per round on stdout:
 *       {"round", "strings", "bytes", "tokens", "seconds", "tokens_per_s", "mb_per_s"}
 *       (MB = 10^6 bytes of UTF-8 text; the time covers lf_tokenize only, not
 *       reading or JSON parsing).
 *
 * Exit status: 0 fine; 1 a line is not a JSON string, holds \u0000 (cJSON
 * would cut it short there), or does not decode back to itself; 2 usage, a
 * tokenizer that does not load, or I/O and memory failures.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llamafmt/buf.h"
#include "llamafmt/error.h"
#include "llamafmt/tokenizer.h"

static void die(const char *what)
{
    fprintf(stderr, "tok_dump: %s\n", what);
    exit(2);
}

static void usage(void)
{
    fputs("usage: tok_dump TOKENIZER_FILE < STRINGS.jsonl > IDS.jsonl\n"
          "       tok_dump --bench FILE [--reps N] TOKENIZER_FILE\n",
          stderr);
    exit(2);
}

/* Does the JSON text hold the escape \u0000?  A backslash escapes the next
 * character, so "\\u0000" (a backslash, then u0000) does not count. */
static int has_escaped_nul(const char *s, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] != '\\')
            continue;
        if (s[i + 1] == 'u' && i + 5 < n && memcmp(s + i + 2, "0000", 4) == 0)
            return 1;
        i++; /* skip the escaped character */
    }
    return 0;
}

/* Parse one line as a JSON string; on success *out and *outlen are its UTF-8
 * content (owned by *root).  Returns NULL on success or a reason. */
static const char *parse_line(const char *line, size_t n, cJSON **root, const char **out, size_t *outlen)
{
    const char *end = NULL;
    *root = NULL;
    if (has_escaped_nul(line, n))
        return "holds \\u0000";
    cJSON *v = cJSON_ParseWithLengthOpts(line, n, &end, 0);
    if (v == NULL)
        return "not valid JSON";
    while (end != NULL && end < line + n && (*end == ' ' || *end == '\t' || *end == '\r'))
        end++;
    if (end == NULL || end != line + n) {
        cJSON_Delete(v);
        return "trailing text after the JSON value";
    }
    if (!cJSON_IsString(v) || v->valuestring == NULL) {
        cJSON_Delete(v);
        return "not a JSON string";
    }
    *root = v;
    *out = v->valuestring;
    *outlen = strlen(v->valuestring);
    return NULL;
}

static lf_tokenizer *load(const char *path)
{
    lf_error err = LF_ERROR_INIT;
    lf_tokenizer *t = NULL;
    if (lf_tokenizer_load(path, &t, &err) != LF_OK) {
        fprintf(stderr, "tok_dump: %s: %s\n", err.file ? err.file : path, err.msg);
        exit(2);
    }
    return t;
}

/* Append the decimal digits of v (which may be negative) to b. */
static int put_int(lf_buf *b, int32_t v)
{
    char tmp[16];
    size_t k = sizeof tmp;
    uint32_t u = v < 0 ? (uint32_t)0 - (uint32_t)v : (uint32_t)v;
    do {
        tmp[--k] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[--k] = '-';
    return lf_buf_append(b, tmp + k, sizeof tmp - k);
}

static int dump(const char *tokpath)
{
    lf_tokenizer *t = load(tokpath);
    lf_tok_state *st = lf_tok_state_new(t);
    if (st == NULL)
        die("out of memory");
    lf_ids ids = LF_IDS_INIT;
    lf_buf out = LF_BUF_INIT, back = LF_BUF_INIT;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    unsigned long lineno = 0;
    int bad = 0;
    while ((got = getline(&line, &cap, stdin)) >= 0) {
        size_t n = (size_t)got;
        lineno++;
        if (n && line[n - 1] == '\n')
            n--;
        cJSON *root = NULL;
        const char *s = NULL;
        size_t len = 0;
        const char *why = parse_line(line, n, &root, &s, &len);
        if (why != NULL) {
            fprintf(stderr, "tok_dump: stdin:%lu: %s\n", lineno, why);
            bad = 1;
            if (lf_buf_puts(&out, "null\n") != 0)
                die("out of memory");
            continue;
        }
        ids.n = 0;
        if (lf_tokenize(st, s, len, &ids) != LF_OK)
            die("out of memory");
        if (lf_buf_putc(&out, '[') != 0)
            die("out of memory");
        for (size_t i = 0; i < ids.n; i++)
            if ((i && lf_buf_putc(&out, ',') != 0) || put_int(&out, ids.v[i]) != 0)
                die("out of memory");
        if (lf_buf_puts(&out, "]\n") != 0)
            die("out of memory");
        back.len = 0;
        if (lf_detokenize(t, ids.v, ids.n, &back) != 0) {
            fprintf(stderr, "tok_dump: stdin:%lu: lf_detokenize failed\n", lineno);
            bad = 1;
        } else if (back.len != len || (len && memcmp(back.data, s, len) != 0)) {
            fprintf(stderr, "tok_dump: stdin:%lu: the ids do not decode back to the input\n", lineno);
            bad = 1;
        }
        cJSON_Delete(root);
        if (out.len >= (1u << 16)) {
            if (fwrite(out.data, 1, out.len, stdout) != out.len)
                die("write error");
            out.len = 0;
        }
    }
    if (ferror(stdin))
        die("read error");
    if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len)
        die("write error");
    if (fflush(stdout) != 0)
        die("write error");
    free(line);
    lf_buf_free(&out);
    lf_buf_free(&back);
    lf_ids_free(&ids);
    lf_tok_state_free(st);
    lf_tokenizer_free(t);
    return bad;
}

typedef struct text {
    cJSON *root;
    const char *s;
    size_t n;
} text;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bench(const char *file, long reps, const char *tokpath)
{
    FILE *f = fopen(file, "r");
    if (f == NULL) {
        fprintf(stderr, "tok_dump: %s: %s\n", file, strerror(errno));
        return 2;
    }
    text *v = NULL;
    size_t nv = 0, capv = 0, bytes = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    unsigned long lineno = 0;
    while ((got = getline(&line, &cap, f)) >= 0) {
        size_t n = (size_t)got;
        lineno++;
        if (n && line[n - 1] == '\n')
            n--;
        if (nv == capv) {
            capv = capv ? 2 * capv : 1024;
            text *nvv = realloc(v, capv * sizeof *v);
            if (nvv == NULL)
                die("out of memory");
            v = nvv;
        }
        const char *why = parse_line(line, n, &v[nv].root, &v[nv].s, &v[nv].n);
        if (why != NULL) {
            fprintf(stderr, "tok_dump: %s:%lu: %s\n", file, lineno, why);
            return 1;
        }
        bytes += v[nv].n;
        nv++;
    }
    if (ferror(f))
        die("read error");
    fclose(f);
    free(line);

    lf_tokenizer *t = load(tokpath);
    lf_tok_state *st = lf_tok_state_new(t);
    if (st == NULL)
        die("out of memory");
    lf_ids ids = LF_IDS_INIT;
    for (long r = 1; r <= reps; r++) {
        size_t tokens = 0;
        double t0 = now();
        for (size_t i = 0; i < nv; i++) {
            ids.n = 0;
            if (lf_tokenize(st, v[i].s, v[i].n, &ids) != LF_OK)
                die("out of memory");
            tokens += ids.n;
        }
        double sec = now() - t0;
        printf("{\"round\": %ld, \"strings\": %zu, \"bytes\": %zu, \"tokens\": %zu, \"seconds\": %.6f, "
               "\"tokens_per_s\": %.0f, \"mb_per_s\": %.3f}\n",
               r, nv, bytes, tokens, sec, (double)tokens / sec, (double)bytes / 1e6 / sec);
        fflush(stdout);
    }
    lf_ids_free(&ids);
    lf_tok_state_free(st);
    lf_tokenizer_free(t);
    for (size_t i = 0; i < nv; i++)
        cJSON_Delete(v[i].root);
    free(v);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && argv[1][0] != '-')
        return dump(argv[1]);
    const char *file = NULL, *tok = NULL;
    long reps = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--bench") == 0 && i + 1 < argc) {
            file = argv[++i];
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            char *end = NULL;
            reps = strtol(argv[++i], &end, 10);
            if (end == argv[i] || *end != '\0' || reps < 1 || reps > 1000)
                usage();
        } else if (argv[i][0] != '-' && tok == NULL) {
            tok = argv[i];
        } else {
            usage();
        }
    }
    if (file == NULL || tok == NULL)
        usage();
    return bench(file, reps, tok);
}
