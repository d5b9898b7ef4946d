/* pipeline.c - see pipeline.h. */
#include "pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

void lf_policy_report(const lf_policy *p, const lf_error *e)
{
    if (p->hooks && p->hooks->on_reject)
        p->hooks->on_reject(p->hooks->ctx, e);
}

lf_code lf_policy_reject(const lf_policy *p, const lf_rawrec *rec, const lf_error *e, lf_error *err)
{
    lf_stats *st = p->st;
    st->records_read++;
    st->rejected++;
    st->rejected_by[e->code]++;
    if (st->rejected == 1)
        st->first_reject = *e;
    if (p->rej != NULL) {
        lf_error werr = LF_ERROR_INIT;
        lf_code rc = lf_write_reject(p->rej, e, rec, &werr);
        if (rc != LF_OK) {
            *err = werr;
            return rc;
        }
    }
    if (p->cfg->on_error == LF_ON_ERROR_FAIL) {
        *err = *e;
        return e->code;
    }
    lf_policy_report(p, e);
    return LF_OK;
}

lf_code lf_input_open(const char *path, lf_input *in, lf_error *err)
{
    memset(in, 0, sizeof *in);
    in->is_stdin = strcmp(path, "-") == 0;
    in->name = in->is_stdin ? "<stdin>" : path;
    in->fd = in->is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (in->fd < 0) {
        lf_error_clear(err);
        lf_error_at(err, in->name, 0, 0);
        return lf_error_set(err, LF_E_IO, "cannot open: %s", strerror(errno));
    }
    struct stat st;
    if (fstat(in->fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            lf_input_close(in);
            lf_error_clear(err);
            lf_error_at(err, in->name, 0, 0);
            return lf_error_set(err, LF_E_IO, "is a directory (use -r)");
        }
        in->size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    }
    lf_codec codec = in->is_stdin ? LF_CODEC_NONE : lf_codec_of_path(path);
    if (codec != LF_CODEC_NONE && (in->dec = lf_decoder_new(in->fd, codec)) == NULL) {
        lf_input_close(in);
        return lf_error_set(err, LF_E_NOMEM, "out of memory");
    }
    return LF_OK;
}

void lf_input_close(lf_input *in)
{
    lf_decoder_free(in->dec);
    in->dec = NULL;
    if (!in->is_stdin && in->fd >= 0)
        close(in->fd);
    in->fd = -1;
}

void lf_progress_report(const lf_hooks *hooks, lf_progress *prog, const lf_stats *st, uint64_t bytes_before, int fd)
{
    if (hooks == NULL || hooks->on_progress == NULL)
        return;
    off_t pos = lseek(fd, 0, SEEK_CUR);
    prog->records = st->records_read;
    prog->bytes_done = bytes_before + (pos > 0 ? (uint64_t)pos : 0);
    hooks->on_progress(hooks->ctx, prog);
}

lf_code lf_refuse_input(const lf_config *cfg, const char *out, lf_error *err)
{
    struct stat so, si;
    if (out == NULL || stat(out, &so) != 0)
        return LF_OK;
    for (size_t i = 0; i < cfg->n_inputs; i++)
        if (strcmp(cfg->inputs[i], "-") != 0 && stat(cfg->inputs[i], &si) == 0 && si.st_dev == so.st_dev &&
            si.st_ino == so.st_ino)
            return lf_error_set(err, LF_E_USAGE, "refusing to write over the input file %s", cfg->inputs[i]);
    return LF_OK;
}
