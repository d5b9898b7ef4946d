/* codec.c - see codec.h. */
#include "llamafmt/codec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define IN_BLOCK ((size_t)1 << 17)

lf_codec lf_codec_of_path(const char *path)
{
    size_t n = strlen(path);
    if (n > 3 && strcmp(path + n - 3, ".gz") == 0)
        return LF_CODEC_GZ;
    if (n > 4 && strcmp(path + n - 4, ".zst") == 0)
        return LF_CODEC_ZST;
    return LF_CODEC_NONE;
}

const char *lf_codec_suffix(lf_codec c)
{
    return c == LF_CODEC_GZ ? ".gz" : c == LF_CODEC_ZST ? ".zst" : "";
}

int lf_codec_parse(const char *name, lf_codec *c)
{
    if (strcmp(name, "none") == 0)
        *c = LF_CODEC_NONE;
    else if (strcmp(name, "gz") == 0)
        *c = LF_CODEC_GZ;
    else if (strcmp(name, "zst") == 0)
        *c = LF_CODEC_ZST;
    else
        return -1;
    return 0;
}

/* ---- decoding -------------------------------------------------------------------- */

struct lf_decoder {
    int fd;
    lf_codec codec;
    unsigned char *in;
    size_t in_pos, in_len;
    int eof;            /* no more compressed input */
    int ended;          /* the last stream/frame ended cleanly */
    z_stream z;
    ZSTD_DCtx *zd;
};

lf_decoder *lf_decoder_new(int fd, lf_codec codec)
{
    lf_decoder *d = calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    d->fd = fd;
    d->codec = codec;
    d->in = malloc(IN_BLOCK);
    d->ended = 1;
    if (d->in == NULL)
        goto fail;
    if (codec == LF_CODEC_GZ && inflateInit2(&d->z, 15 + 16) != Z_OK)
        goto fail;
    if (codec == LF_CODEC_ZST && (d->zd = ZSTD_createDCtx()) == NULL)
        goto fail;
    return d;
fail:
    free(d->in);
    free(d);
    return NULL;
}

void lf_decoder_free(lf_decoder *d)
{
    if (d == NULL)
        return;
    if (d->codec == LF_CODEC_GZ)
        inflateEnd(&d->z);
    ZSTD_freeDCtx(d->zd);
    free(d->in);
    free(d);
}

/* More compressed bytes: 1, 0 at the end, -1 on a read error. */
static int more_input(lf_decoder *d)
{
    if (d->in_pos < d->in_len)
        return 1;
    if (d->eof)
        return 0;
    for (;;) {
        ssize_t k = read(d->fd, d->in, IN_BLOCK);
        if (k > 0) {
            d->in_pos = 0;
            d->in_len = (size_t)k;
            return 1;
        }
        if (k == 0) {
            d->eof = 1;
            return 0;
        }
        return -1;      /* EINTR too: the reader decides, by its stop flag, whether to retry */
    }
}

long lf_decoder_read(void *decoder, void *buf, size_t n)
{
    lf_decoder *d = decoder;
    if (d->codec == LF_CODEC_NONE)
        return read(d->fd, buf, n);
    size_t produced = 0;
    while (produced == 0) {
        int k = more_input(d);
        if (k < 0)
            return -1;
        if (k == 0) {
            if (!d->ended) {
                errno = EBADMSG;            /* truncated */
                return -1;
            }
            return 0;
        }
        if (d->codec == LF_CODEC_GZ) {
            if (d->ended) {                 /* a new member starts */
                if (inflateReset(&d->z) != Z_OK) {
                    errno = EBADMSG;
                    return -1;
                }
                d->ended = 0;
            }
            d->z.next_in = d->in + d->in_pos;
            d->z.avail_in = (uInt)(d->in_len - d->in_pos);
            d->z.next_out = buf;
            d->z.avail_out = (uInt)(n > (1u << 30) ? (1u << 30) : n);
            uInt before = d->z.avail_out;
            int rc = inflate(&d->z, Z_NO_FLUSH);
            d->in_pos = d->in_len - d->z.avail_in;
            produced = before - d->z.avail_out;
            if (rc == Z_STREAM_END)
                d->ended = 1;
            else if (rc != Z_OK && !(rc == Z_BUF_ERROR && produced > 0)) {
                errno = EBADMSG;
                return -1;
            }
        } else {
            ZSTD_inBuffer in = {d->in, d->in_len, d->in_pos};
            ZSTD_outBuffer out = {buf, n, 0};
            size_t rc = ZSTD_decompressStream(d->zd, &out, &in);
            d->in_pos = in.pos;
            produced = out.pos;
            if (ZSTD_isError(rc)) {
                errno = EBADMSG;
                return -1;
            }
            d->ended = rc == 0;
        }
    }
    return (long)produced;
}

/* ---- encoding -------------------------------------------------------------------- */

struct lf_encoder {
    lf_codec codec;
    z_stream z;
    ZSTD_CCtx *zc;
};

lf_encoder *lf_encoder_new(lf_codec codec)
{
    lf_encoder *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    e->codec = codec;
    if (codec == LF_CODEC_GZ &&
        deflateInit2(&e->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(e);
        return NULL;
    }
    if (codec == LF_CODEC_ZST && (e->zc = ZSTD_createCCtx()) == NULL) {
        free(e);
        return NULL;
    }
    return e;
}

void lf_encoder_free(lf_encoder *e)
{
    if (e == NULL)
        return;
    if (e->codec == LF_CODEC_GZ)
        deflateEnd(&e->z);
    ZSTD_freeCCtx(e->zc);
    free(e);
}

int lf_encoder_write(lf_encoder *e, const void *p, size_t n, int finish, lf_buf *out)
{
    if (e->codec == LF_CODEC_GZ) {
        e->z.next_in = (Bytef *)(uintptr_t)p;
        e->z.avail_in = (uInt)n;
        for (;;) {
            if (lf_buf_reserve(out, 65536) != 0)
                return -1;
            e->z.next_out = (Bytef *)out->data + out->len;
            e->z.avail_out = (uInt)(out->cap - out->len > (1u << 30) ? (1u << 30) : out->cap - out->len);
            uInt before = e->z.avail_out;
            int rc = deflate(&e->z, finish ? Z_FINISH : Z_NO_FLUSH);
            out->len += before - e->z.avail_out;
            if (rc == Z_STREAM_END)
                return 0;
            if (rc != Z_OK && rc != Z_BUF_ERROR)
                return -1;
            if (!finish && e->z.avail_in == 0)
                return 0;
        }
    }
    ZSTD_inBuffer in = {p, n, 0};
    for (;;) {
        if (lf_buf_reserve(out, ZSTD_CStreamOutSize()) != 0)
            return -1;
        ZSTD_outBuffer o = {out->data + out->len, out->cap - out->len, 0};
        size_t rc = ZSTD_compressStream2(e->zc, &o, &in, finish ? ZSTD_e_end : ZSTD_e_continue);
        out->len += o.pos;
        if (ZSTD_isError(rc))
            return -1;
        if (finish ? rc == 0 : in.pos == in.size)
            return 0;
    }
}
