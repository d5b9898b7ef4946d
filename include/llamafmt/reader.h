/*
 * reader.h - frame JSON records out of a byte stream.
 *
 * One reader reads one input (a file descriptor) in large blocks and hands
 * out one record at a time, in place: the record's bytes stay valid until the
 * next call to lf_reader_next() or lf_reader_close().  Memory is bounded by
 * the largest record plus one block, never by the size of the input.
 *
 * The layout of an input is decided once, from its first non-blank byte:
 *   - '['  a top-level JSON array: each element is one record;
 *   - otherwise, if the first value ends on its first line, JSONL: every
 *     non-blank line is one record (a trailing "\r" is dropped);
 *   - otherwise a stream of (pretty-printed) values, one after another.
 * A UTF-8 byte-order mark is skipped at the very start, and in JSONL also at
 * the start of any line (files joined with cat).
 *
 * Errors and recovery:
 *   - LF_E_TOO_LARGE: a record longer than max_record bytes; it is skipped
 *     without being buffered and reading goes on after it.
 *   - LF_E_FRAMING: in an array or a value stream the framing is lost (a
 *     truncated value, garbage between values); the rest of the input is
 *     reported as this one error and the next call returns end of input.
 *     In JSONL a broken line is simply a record that fails to parse, and the
 *     next line is read normally.
 *   - LF_E_IO / LF_E_NOMEM: reading stopped; do not call again.
 * Positions (1-based line and byte column, per input) are set in the error
 * and in every record.  Not thread-safe: one reader, one thread.
 */
#ifndef LLAMAFMT_READER_H
#define LLAMAFMT_READER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "llamafmt/error.h"

typedef enum lf_layout {
    LF_LAYOUT_UNKNOWN = 0,
    LF_LAYOUT_JSONL,
    LF_LAYOUT_ARRAY,
    LF_LAYOUT_STREAM
} lf_layout;

typedef struct lf_rawrec {
    const char *data;   /* borrowed, valid until the next lf_reader_next() */
    size_t len;
    const char *file;   /* the reader's name (borrowed from the caller) */
    uint64_t line;      /* position of data[0] */
    uint64_t column;
} lf_rawrec;

typedef struct lf_reader lf_reader;

/* Create a reader over fd (not closed by the reader).  `name` is used in
 * positions ("<stdin>" for standard input) and must outlive the reader.
 * max_record is the largest record accepted, in bytes.  NULL on ENOMEM. */
lf_reader *lf_reader_new(int fd, const char *name, size_t max_record);

/* Read through fn(ctx, buf, n) (a read(2)-like function, e.g. a
 * decompressor) instead of read(fd). */
void lf_reader_set_source(lf_reader *r, long (*fn)(void *ctx, void *buf, size_t n), void *ctx);

/* While *stop is non-zero, a read interrupted by a signal ends reading with
 * LF_E_INTERRUPTED instead of being retried.  stop may be NULL. */
void lf_reader_set_stop(lf_reader *r, const volatile sig_atomic_t *stop);

/* Next record: 1 and *rec filled; 0 at end of input; -1 with *err filled.
 * After LF_E_TOO_LARGE or LF_E_FRAMING the caller may call again. */
int lf_reader_next(lf_reader *r, lf_rawrec *rec, lf_error *err);

/* The layout detected so far (UNKNOWN before the first record). */
lf_layout lf_reader_layout(const lf_reader *r);

/* Bytes consumed from the input so far (for progress and statistics). */
uint64_t lf_reader_bytes(const lf_reader *r);

/* Free the reader; NULL is a no-op. */
void lf_reader_free(lf_reader *r);

/* Position of byte `offset` inside a record, from the record's own start. */
void lf_rawrec_position(const lf_rawrec *rec, size_t offset, uint64_t *line, uint64_t *column);

#endif
