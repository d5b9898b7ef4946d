/*
 * lint.h - what --check reports: diagnostics and the warnings of a record.
 *
 * A diagnostic is an error (a record llamafmt rejects, with the lf_code's
 * name as its kind) or a warning (a record that converts but is probably not
 * what its author meant).  lf_lint_record() finds the warnings that one
 * record shows by itself; warnings that need the records before it
 * (duplicates, mixed shapes) are the caller's, with the same formatting.
 *
 * Diagnostics are one line each, appended to a caller-owned buffer:
 *   text  FILE:LINE:COLUMN: warning[KIND]: MESSAGE
 *   json  {"file": F, "line": L, "column": C, "severity": "warning",
 *          "kind": KIND, "message": M}
 * with ANSI colours in text when asked.  Pure: no I/O, no globals.
 */
#ifndef LLAMAFMT_LINT_H
#define LLAMAFMT_LINT_H

#include <stdint.h>

#include "llamafmt/buf.h"
#include "llamafmt/error.h"
#include "llamafmt/record.h"
#include "llamafmt/template.h"

typedef enum lf_warning {
    LF_W_WHITESPACE,        /* content the official profile will trim */
    LF_W_SPECIAL,           /* special-token text kept in content (--special-tokens=allow) */
    LF_W_EMPTY_TOOLS,       /* "tools": [] (means no tools at all) */
    LF_W_EMPTY_ASSISTANT,   /* an assistant turn with nothing to learn */
    LF_W_UNUSED_KEY,        /* a key the shape does not read: its data is lost */
    LF_W_DUPLICATE,         /* the same conversation as an earlier record */
    LF_W_MIXED_SHAPES,      /* a record of another shape than the file's first */
    LF_W_COUNT
} lf_warning;

const char *lf_warning_name(lf_warning w);

typedef struct lf_diag_fmt {
    int json;               /* JSON lines instead of text */
    int color;              /* ANSI colours (text only) */
} lf_diag_fmt;

/* Append one diagnostic: severity "error" or "warning", kind its name, e the
 * position and message.  0 or -1 (ENOMEM, out unchanged). */
int lf_diag_format(lf_buf *out, const lf_diag_fmt *f, int is_error, const char *kind, const lf_error *e);

typedef struct lf_lint_opts {
    const lf_template_opts *tpl;
    const lf_record_opts *rec;
    const char *const *keep;        /* keys the output copies (--keep): not unused */
    size_t n_keep;
} lf_lint_opts;

/* Append the warnings of one parsed record (conv from p, parsed from rec) to
 * out and count them in counts[].  LF_OK or LF_E_NOMEM. */
lf_code lf_lint_record(const lf_lint_opts *o, lf_parser *p, const lf_rawrec *rec, const lf_conversation *conv,
                       const lf_diag_fmt *f, lf_buf *out, uint64_t counts[LF_W_COUNT], lf_error *err);

#endif
