/*
 * writer.h - where samples go: buffered output sinks and sample formats.
 *
 * An lf_out is standard output or a file written atomically: the bytes go
 * to a temporary file in the same directory (".NAME.tmp-XXXXXX"), which
 * lf_out_commit() renames over NAME and lf_out_abort() removes, so a failed
 * or interrupted run never leaves a partial or truncated NAME behind.  A
 * symbolic link is followed (its target is replaced); a NAME that exists and
 * is not a regular file (/dev/null, a FIFO) is written in place.
 * Output is buffered in large blocks and written with write(2).
 *
 * Errors: LF_E_IO (with strerror text; a full disk or /dev/full is found at
 * the latest by lf_out_commit), LF_E_PIPE when the reader of a pipe went away
 * (callers end quietly, as cat does), LF_E_INTERRUPTED when `stop` is set
 * while a write blocks.  After an error the sink only accepts
 * lf_out_abort().  The path is copied; one lf_out, one thread.
 */
#ifndef LLAMAFMT_WRITER_H
#define LLAMAFMT_WRITER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "llamafmt/buf.h"
#include "llamafmt/codec.h"
#include "llamafmt/error.h"
#include "llamafmt/reader.h"
#include "llamafmt/template.h"

typedef struct lf_out lf_out;

/* path NULL or "-": standard output (never closed by the writer). */
lf_out *lf_out_open(const char *path, const volatile sig_atomic_t *stop, lf_error *err);

/* Compress everything written from now on (call before writing). 0 or -1. */
int lf_out_set_codec(lf_out *o, lf_codec codec);

/* The buffer to append to; call lf_out_written() after appending. */
lf_buf *lf_out_buf(lf_out *o);

/* Append n bytes (buffered). */
lf_code lf_out_append(lf_out *o, const void *p, size_t n, lf_error *err);

/* Flush when the buffer is large.  0 or an error code. */
lf_code lf_out_written(lf_out *o, lf_error *err);

/* Flush everything, close and rename into place (files), or flush (stdout). */
lf_code lf_out_commit(lf_out *o, lf_error *err);

/* Throw the output away (files: remove the temporary) and free.  NULL ok. */
void lf_out_abort(lf_out *o);

/* Bytes handed to the sink so far. */
unsigned long long lf_out_bytes(const lf_out *o);

/* ---- sample formats ---------------------------------------------------- */

typedef enum lf_format {
    LF_FORMAT_JSONL,            /* {"text": ...} (+ "spans" with spans) */
    LF_FORMAT_TEXT,             /* raw samples and a separator */
    LF_FORMAT_PROMPT_COMPLETION,/* {"prompt": ..., "completion": ...} (TRL) */
    LF_FORMAT_SEGMENTS,         /* {"segments": [{"label", "text"}, ...]} (axolotl input_output) */
    LF_FORMAT_MESSAGES,         /* the record normalised to OpenAI/HF messages */
    LF_FORMAT_TOKENS,           /* {"input_ids": [...], "labels": [...]} (needs a tokenizer) */
    LF_FORMAT_COUNT
} lf_format;

/* A top-level key copied from the input record (--keep), as raw JSON text. */
typedef struct lf_kept {
    const char *key;
    const char *json;
    size_t len;
    int dumped;             /* json is already as json.dumps writes it: copied as is */
} lf_kept;

typedef struct lf_writer_opts {
    lf_format format;
    const char *separator;      /* text: after each sample; NULL: "\n" */
    size_t separator_len;       /* may include NUL bytes (-0) */
    int spans;                  /* jsonl: add "spans" */
    lf_train_on train_on;       /* what "spans", "segments" and "completion" call trainable */
} lf_writer_opts;

/* Append one sample in w->format (not LF_FORMAT_MESSAGES), JSON written as
 * Python's json.dumps writes it, kept keys first in --keep order:
 *   jsonl              {"text": S} or {"text": S, "spans": [[start, end], ...]}
 *                      with half-open UTF-8 byte ranges of trainable bytes;
 *   prompt-completion  {"prompt": P, "completion": C}, P + C == S, the split
 *                      after the final assistant header (C is "" for prompts);
 *   segments           {"segments": [{"label": bool, "text": T}, ...]}, the
 *                      texts concatenating to S, adjacent equal labels merged;
 *   text               S and the separator. */
lf_code lf_write_sample(lf_out *o, const lf_writer_opts *w, const lf_sample *s, const lf_kept *kept,
                        size_t n_kept, lf_error *err);

/* The same into a buffer (worker threads format into their own). */
lf_code lf_format_sample(lf_buf *b, const lf_writer_opts *w, const lf_sample *s, const lf_kept *kept,
                         size_t n_kept, lf_error *err);

/* Append the first n messages of conv as one OpenAI/HF "messages" record:
 * roles system/user/assistant/tool, content strings (text parts joined),
 * tool calls with arguments as objects, the record's tools, builtin_tools,
 * tools_in_user_message and date_string, and "add_generation_prompt": true
 * for prompts (then a final assistant message is left out). */
lf_code lf_write_messages(lf_out *o, const lf_conversation *conv, size_t n, int prompt, const lf_kept *kept,
                          size_t n_kept, lf_error *err);
lf_code lf_format_messages(lf_buf *b, const lf_conversation *conv, size_t n, int prompt, const lf_kept *kept,
                           size_t n_kept, lf_error *err);

/* Append {"input_ids": [...], "labels": [...]} (labels NULL: left out), with
 * "attention_mask": [1, ...] when mask is set, kept keys first. */
lf_code lf_format_tokens(lf_buf *b, const int32_t *ids, const int32_t *labels, size_t n, int mask, const lf_kept *kept,
                         size_t n_kept, lf_error *err);

/* Append {"tokens": n}, kept keys first (--count-tokens). */
lf_code lf_format_count(lf_buf *b, uint64_t n, const lf_kept *kept, size_t n_kept, lf_error *err);

/* Append one rejected record as JSONL:
 * {"file", "line", "column", "error", "record"} with the record's original
 * text, or "record_base64" when it is not valid UTF-8, or "record": null when
 * it was not kept (too large). */
lf_code lf_write_reject(lf_out *o, const lf_error *e, const lf_rawrec *rec, lf_error *err);

const char *lf_format_name(lf_format f);
int lf_format_parse(const char *name, lf_format *f);

#endif
