/* convert.c - see convert.h. */
#include "llamafmt/convert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "llamafmt/reader.h"
#include "llamafmt/record.h"
#include "llamafmt/template.h"
#include "llamafmt/writer.h"

typedef struct run {
    const lf_config *cfg;
    const lf_hooks *hooks;
    lf_stats *st;
    lf_out *out;
    lf_out *rej;
    lf_parser *parser;
    lf_sample sample;
    lf_kept *kept;
    size_t *ends;               /* where each sample of a record ends */
    size_t ends_cap;
} run;

static int stopped(const run *r) { return r->hooks && r->hooks->stop && *r->hooks->stop; }

static void report(const run *r, const lf_error *e)
{
    if (r->hooks && r->hooks->on_reject)
        r->hooks->on_reject(r->hooks->ctx, e);
}

/* A bad record: count it, write it to the rejects file, apply the policy.
 * Returns LF_OK to go on, or the code that ends the run. */
static lf_code reject(run *r, const lf_rawrec *rec, lf_error *e, lf_error *err)
{
    lf_stats *st = r->st;
    st->records_read++;
    st->rejected++;
    st->rejected_by[e->code]++;
    if (st->rejected == 1)
        st->first_reject = *e;
    if (r->rej != NULL) {
        lf_error werr;
        lf_code rc = lf_write_reject(r->rej, e, rec, &werr);
        if (rc != LF_OK) {
            *err = werr;
            return rc;
        }
    }
    if (r->cfg->on_error == LF_ON_ERROR_FAIL) {
        *err = *e;
        return e->code;
    }
    report(r, e);
    return LF_OK;
}

/* Render the first n messages of conv into r->sample; a data error gets
 * its position. */
static lf_code render_prefix(run *r, const lf_rawrec *rec, const lf_conversation *conv, size_t n, lf_error *e)
{
    lf_conversation view = *conv;
    view.n = n;
    size_t which;
    lf_code rc = lf_render(&r->cfg->tpl, &view, &r->sample, &which, e);
    if (lf_code_is_data(rc) && which < n)
        lf_record_locate(rec, &conv->msgs[which].path, e);
    else if (lf_code_is_data(rc))
        lf_error_at(e, rec->file, rec->line, rec->column);
    return rc;
}

/* Where the samples of a record end: every assistant turn with
 * --split-turns (a record that asks for a prompt is one sample), else the
 * whole conversation.  Returns how many, at most cap (SIZE_MAX: error). */
static size_t sample_ends(const run *r, const lf_conversation *conv, size_t *ends, size_t cap)
{
    size_t k = 0;
    if (r->cfg->split_turns && conv->gen_prompt != 1) {
        for (size_t i = 0; i < conv->n; i++)
            if (conv->msgs[i].role == LF_ROLE_ASSISTANT) {
                if (ends != NULL && k < cap)
                    ends[k] = i + 1;
                k++;
            }
        if (k > 0)
            return k;
    }
    if (ends != NULL && cap > 0)
        ends[0] = conv->n;
    return 1;
}

/* Parse, render and write one record, all of its samples or none.  A data
 * error is returned in *e with *bad set and LF_OK as result; a system error
 * is returned. */
static lf_code one(run *r, const lf_rawrec *rec, lf_error *e, int *bad)
{
    const lf_conversation *conv = NULL;
    const lf_config *cfg = r->cfg;
    *bad = 0;
    lf_code rc = lf_record_parse(r->parser, rec, &conv, e);
    for (size_t i = 0; rc == LF_OK && i < cfg->n_keep; i++) {
        r->kept[i].key = cfg->keep[i];
        rc = lf_record_raw_value(r->parser, rec, cfg->keep[i], &r->kept[i].json, &r->kept[i].len, e);
    }
    size_t n_ends = 0;
    if (rc == LF_OK) {
        n_ends = sample_ends(r, conv, NULL, 0);
        if (n_ends > r->ends_cap) {
            size_t *v = realloc(r->ends, n_ends * sizeof *v);
            if (v == NULL)
                return lf_error_set(e, LF_E_NOMEM, "out of memory");
            r->ends = v;
            r->ends_cap = n_ends;
        }
        sample_ends(r, conv, r->ends, r->ends_cap);
        /* with several samples, check them all before writing any */
        for (size_t k = 0; rc == LF_OK && n_ends > 1 && k < n_ends; k++)
            rc = render_prefix(r, rec, conv, r->ends[k], e);
    }
    int prompt = cfg->tpl.generation_prompt || (conv != NULL && conv->gen_prompt == 1);
    for (size_t k = 0; rc == LF_OK && k < n_ends; k++) {
        rc = render_prefix(r, rec, conv, r->ends[k], e);
        if (rc != LF_OK)
            break;
        if (cfg->wr.format == LF_FORMAT_MESSAGES)
            rc = lf_write_messages(r->out, conv, r->ends[k], prompt, r->kept, cfg->n_keep, e);
        else
            rc = lf_write_sample(r->out, &cfg->wr, &r->sample, r->kept, cfg->n_keep, e);
        if (lf_code_is_data(rc))            /* a kept value that cannot be written */
            lf_error_at(e, rec->file, rec->line, rec->column);
        else if (rc == LF_OK)
            r->st->samples_written++;
    }
    if (lf_code_is_data(rc)) {
        *bad = 1;
        return LF_OK;
    }
    if (rc == LF_OK) {
        r->st->records_read++;
        r->st->records_converted++;
    }
    return rc;
}

static lf_code convert_fd(run *r, int fd, const char *name, lf_error *err)
{
    lf_reader *rd = lf_reader_new(fd, name, r->cfg->max_record);
    if (rd == NULL)
        return lf_error_set(err, LF_E_NOMEM, "out of memory");
    lf_reader_set_stop(rd, r->hooks ? r->hooks->stop : NULL);
    lf_code rc = LF_OK;
    for (;;) {
        if (stopped(r)) {
            rc = lf_error_set(err, LF_E_INTERRUPTED, "interrupted");
            break;
        }
        lf_rawrec rec;
        lf_error e;
        lf_error_clear(&e);
        int k = lf_reader_next(rd, &rec, &e);
        if (k == 0)
            break;
        if (k < 0) {
            if (!lf_code_is_data(e.code)) {
                *err = e;
                rc = e.code;
                break;
            }
            if ((rc = reject(r, &rec, &e, err)) != LF_OK)
                break;
            continue;
        }
        int bad = 0;
        rc = one(r, &rec, &e, &bad);
        if (rc != LF_OK) {
            *err = e;
            break;
        }
        if (bad && (rc = reject(r, &rec, &e, err)) != LF_OK)
            break;
    }
    r->st->bytes_read += lf_reader_bytes(rd);
    lf_reader_free(rd);
    return rc;
}

/* Read a whole (small) file, e.g. --tools. */
static lf_code read_whole(const char *path, char **out, size_t *len, lf_error *err)
{
    lf_buf b = LF_BUF_INIT;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        lf_error_at(err, path, 0, 0);
        return lf_error_set(err, LF_E_IO, "cannot open: %s", strerror(errno));
    }
    for (;;) {
        if (lf_buf_reserve(&b, 65536) != 0) {
            close(fd);
            lf_buf_free(&b);
            return lf_error_set(err, LF_E_NOMEM, "out of memory");
        }
        ssize_t k = read(fd, b.data + b.len, b.cap - b.len);
        if (k == 0)
            break;
        if (k < 0) {
            if (errno == EINTR)
                continue;
            lf_error_at(err, path, 0, 0);
            lf_error_set(err, LF_E_IO, "read error: %s", strerror(errno));
            close(fd);
            lf_buf_free(&b);
            return LF_E_IO;
        }
        b.len += (size_t)k;
    }
    close(fd);
    *out = b.data;
    *len = b.len;
    return LF_OK;
}

/* Refuse to write over an input: compare device and inode. */
static lf_code check_not_input(const lf_config *cfg, const char *out, lf_error *err)
{
    struct stat so, si;
    if (out == NULL || stat(out, &so) != 0)
        return LF_OK;
    for (size_t i = 0; i < cfg->n_inputs; i++) {
        if (strcmp(cfg->inputs[i], "-") != 0 && stat(cfg->inputs[i], &si) == 0 && si.st_dev == so.st_dev &&
            si.st_ino == so.st_ino)
            return lf_error_set(err, LF_E_USAGE, "refusing to write over the input file %s", cfg->inputs[i]);
    }
    return LF_OK;
}

lf_code lf_convert(const lf_config *cfg, const lf_hooks *hooks, lf_stats *st, lf_error *err)
{
    run r;
    memset(&r, 0, sizeof r);
    memset(st, 0, sizeof *st);
    r.cfg = cfg;
    r.hooks = hooks;
    r.st = st;
    lf_error_clear(err);
    const volatile sig_atomic_t *stop = hooks ? hooks->stop : NULL;

    lf_code open_failed = LF_OK;
    lf_code rc = check_not_input(cfg, cfg->output, err);
    if (rc == LF_OK)
        rc = check_not_input(cfg, cfg->rejects, err);
    if (rc != LF_OK)
        return rc;
    /* --tools: read once, checked once, shared by every record */
    lf_record_opts rec_opts = cfg->rec;
    char *tools_text = NULL;
    if (cfg->tools_path != NULL) {
        size_t len = 0;
        rc = read_whole(cfg->tools_path, &tools_text, &len, err);
        if (rc == LF_OK && lf_tools_check(tools_text, len, err) != LF_OK) {
            lf_error_at(err, cfg->tools_path, err->line, err->column);
            lf_error_prefix(err, "--tools");
            rc = LF_E_USAGE;
            err->code = rc;
        }
        if (rc != LF_OK) {
            free(tools_text);
            return rc;
        }
        rec_opts.tools_json = tools_text;
        rec_opts.tools_json_len = len;
    }
    r.parser = lf_parser_new(&rec_opts);
    r.kept = calloc(cfg->n_keep ? cfg->n_keep : 1, sizeof *r.kept);
    if (r.parser == NULL || r.kept == NULL) {
        rc = lf_error_set(err, LF_E_NOMEM, "out of memory");
        goto done;
    }
    if ((r.out = lf_out_open(cfg->output, stop, err)) == NULL ||
        (cfg->rejects != NULL && (r.rej = lf_out_open(cfg->rejects, stop, err)) == NULL)) {
        rc = err->code;
        goto done;
    }

    size_t n = cfg->n_inputs ? cfg->n_inputs : 1;
    for (size_t i = 0; i < n && rc == LF_OK; i++) {
        const char *path = cfg->n_inputs ? cfg->inputs[i] : "-";
        int is_stdin = strcmp(path, "-") == 0;
        const char *name = is_stdin ? "<stdin>" : path;
        int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            lf_error e;
            lf_error_clear(&e);
            lf_error_set(&e, LF_E_IO, "cannot open: %s", strerror(errno));
            lf_error_at(&e, name, 0, 0);
            if (cfg->on_error == LF_ON_ERROR_FAIL) {
                *err = e;
                rc = LF_E_IO;
                break;
            }
            report(&r, &e);
            if (open_failed == LF_OK)
                *err = e;
            open_failed = LF_E_IO;
            continue;
        }
        st->files++;
        rc = convert_fd(&r, fd, name, err);
        if (!is_stdin)
            close(fd);
    }
    if (rc == LF_OK && open_failed != LF_OK)
        rc = open_failed;
    st->bytes_written = r.out ? lf_out_bytes(r.out) : 0;

done:
    /* Samples are committed only after a complete run; the rejects file
     * also after a data error, since it holds the record that stopped it. */
    if (r.out != NULL) {
        /* Standard output keeps the samples before a bad record, as a
         * pipe would have seen them anyway; a file is all or nothing. */
        int keep = rc == LF_OK || (rc == LF_E_IO && open_failed != LF_OK) ||
                   (cfg->output == NULL && lf_code_is_data(rc));
        if (keep) {
            lf_error e2;
            lf_code c2 = lf_out_commit(r.out, &e2);
            if (c2 != LF_OK && (rc == LF_OK || lf_code_is_data(rc) || rc == LF_E_IO)) {
                *err = e2;
                rc = c2;
            }
        }
        lf_out_abort(r.out);
    }
    if (r.rej != NULL) {
        lf_error e2;
        if (rc == LF_OK || lf_code_is_data(rc) || (rc == LF_E_IO && open_failed != LF_OK)) {
            lf_code c2 = lf_out_commit(r.rej, &e2);
            if (c2 != LF_OK && (rc == LF_OK || lf_code_is_data(rc))) {
                *err = e2;
                rc = c2;
            }
        }
        lf_out_abort(r.rej);
    }
    lf_sample_free(&r.sample);
    lf_parser_free(r.parser);
    free(r.kept);
    free(r.ends);
    free(tools_text);
    return rc;
}

int lf_stats_format(const lf_stats *st, int json, lf_buf *out)
{
    char line[512];
    int rc = 0;
    if (json) {
        snprintf(line, sizeof line,
                 "{\"files\": %llu, \"bytes_read\": %llu, \"records_read\": %llu, \"records_converted\": %llu, "
                 "\"samples_written\": %llu, \"rejected\": %llu, \"rejected_by_reason\": {",
                 (unsigned long long)st->files, (unsigned long long)st->bytes_read,
                 (unsigned long long)st->records_read, (unsigned long long)st->records_converted,
                 (unsigned long long)st->samples_written, (unsigned long long)st->rejected);
        rc |= lf_buf_puts(out, line);
        int first = 1;
        for (int c = 0; c < LF_CODE_COUNT; c++) {
            if (st->rejected_by[c] == 0)
                continue;
            snprintf(line, sizeof line, "%s\"%s\": %llu", first ? "" : ", ", lf_code_name((lf_code)c),
                     (unsigned long long)st->rejected_by[c]);
            rc |= lf_buf_puts(out, line);
            first = 0;
        }
        snprintf(line, sizeof line, "}, \"bytes_written\": %llu}\n", (unsigned long long)st->bytes_written);
        rc |= lf_buf_puts(out, line);
        return rc;
    }
    snprintf(line, sizeof line,
             "files: %llu\nbytes read: %llu\nrecords read: %llu\nrecords converted: %llu\nsamples written: %llu\n"
             "records rejected: %llu\n",
             (unsigned long long)st->files, (unsigned long long)st->bytes_read, (unsigned long long)st->records_read,
             (unsigned long long)st->records_converted, (unsigned long long)st->samples_written,
             (unsigned long long)st->rejected);
    rc |= lf_buf_puts(out, line);
    for (int c = 0; c < LF_CODE_COUNT; c++) {
        if (st->rejected_by[c] == 0)
            continue;
        snprintf(line, sizeof line, "  rejected (%s): %llu\n", lf_code_name((lf_code)c),
                 (unsigned long long)st->rejected_by[c]);
        rc |= lf_buf_puts(out, line);
    }
    snprintf(line, sizeof line, "bytes written: %llu\n", (unsigned long long)st->bytes_written);
    rc |= lf_buf_puts(out, line);
    return rc;
}
