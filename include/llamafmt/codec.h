/*
 * codec.h - streaming gzip and zstd, for compressed inputs and outputs.
 *
 * A decoder reads compressed bytes from a file descriptor and hands out
 * plain bytes through a read(2)-like function, so the reader never sees the
 * compression and never needs an uncompressed copy on disk.  An encoder
 * turns plain bytes into compressed ones appended to a buffer.  Both keep
 * their state in the object (one per stream, one thread each) and allocate
 * only at creation.  gzip uses zlib (concatenated members are read, as gzip
 * does), zstd uses libzstd (concatenated frames likewise).
 */
#ifndef LLAMAFMT_CODEC_H
#define LLAMAFMT_CODEC_H

#include <stddef.h>
#include <sys/types.h>

#include "llamafmt/buf.h"

typedef enum lf_codec { LF_CODEC_NONE, LF_CODEC_GZ, LF_CODEC_ZST, LF_CODEC_COUNT } lf_codec;

/* The codec a file name's suffix names (".gz", ".zst"), else NONE. */
lf_codec lf_codec_of_path(const char *path);
/* ".gz", ".zst" or "". */
const char *lf_codec_suffix(lf_codec c);
/* "none", "gz", "zst". */
int lf_codec_parse(const char *name, lf_codec *c);

typedef struct lf_decoder lf_decoder;

/* NULL on ENOMEM.  fd is borrowed. */
lf_decoder *lf_decoder_new(int fd, lf_codec codec);
/* Like read(2): plain bytes, 0 at the end, -1 with errno set; corrupt or
 * truncated compressed data gives EBADMSG. */
long lf_decoder_read(void *decoder, void *buf, size_t n);
void lf_decoder_free(lf_decoder *d);

typedef struct lf_encoder lf_encoder;

/* NULL on ENOMEM. */
lf_encoder *lf_encoder_new(lf_codec codec);
/* Compress p[0..n) and append the result to out; with finish, also end the
 * stream.  0, or -1 (out of memory, or a codec error). */
int lf_encoder_write(lf_encoder *e, const void *p, size_t n, int finish, lf_buf *out);
void lf_encoder_free(lf_encoder *e);

#endif
