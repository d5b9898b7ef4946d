/*
 * error.h - the one error type of llamafmt.
 *
 * Every fallible library function takes an `lf_error *` from its caller and
 * fills it on failure; nothing is kept in globals and nothing is printed.
 * An error carries a closed code, the input position it refers to (file name,
 * 1-based line and 1-based byte column, counted per file; 0 when there is no
 * position) and a one-line message without the position.  `file` is borrowed:
 * it must outlive the error (it is the name the caller passed in).
 *
 * Codes fall into classes that main() maps onto exit codes:
 *   data errors  (a record is bad)          -> exit 1
 *   usage errors (bad options)              -> exit 2
 *   system errors (I/O, memory, signal)     -> exit 3
 */
#ifndef LLAMAFMT_ERROR_H
#define LLAMAFMT_ERROR_H

#include <stdarg.h>
#include <stdint.h>

typedef enum lf_code {
    LF_OK = 0,
    /* data errors: one record is rejected */
    LF_E_JSON,          /* not valid JSON, or trailing garbage after a record */
    LF_E_UTF8,          /* invalid UTF-8 in the raw bytes */
    LF_E_ESCAPE,        /* \u0000, a malformed \u escape or a lone surrogate */
    LF_E_TOO_LARGE,     /* record over --max-record-size */
    LF_E_SHAPE,         /* no known shape, or a required key is missing */
    LF_E_TYPE,          /* a value has the wrong JSON type */
    LF_E_DUP_KEY,       /* a key llamafmt reads occurs twice in one object */
    LF_E_ROLE,          /* unknown role (after --role-map) */
    LF_E_ORDER,         /* a system message that is not first */
    LF_E_EMPTY,         /* no messages at all */
    LF_E_NO_ASSISTANT,  /* training sample that does not end with an assistant turn */
    LF_E_SPECIAL,       /* special-token text inside content */
    LF_E_TOOL,          /* a tool call the template cannot render (two calls, no user message, ...) */
    LF_E_UNSUPPORTED,   /* a feature the chosen profile does not render */
    LF_E_TOO_LONG,      /* a sample over --max-tokens with --overlong=error (or drop: counted) */
    LF_E_SAMPLE,        /* --parse: not a well-formed Llama 3 text sample */
    LF_E_FRAMING,       /* array / concatenated stream broken: rest of file lost */
    /* usage errors */
    LF_E_USAGE,
    /* system errors */
    LF_E_IO,
    LF_E_PIPE,          /* the reader of our output went away (EPIPE) */
    LF_E_NOMEM,
    LF_E_INTERRUPTED,
    LF_CODE_COUNT
} lf_code;

typedef struct lf_error {
    lf_code code;
    const char *file;   /* borrowed; NULL when the error is not about input */
    uint64_t line;      /* 1-based; 0 = no position */
    uint64_t column;    /* 1-based byte column; 0 = no position */
    char msg[512];      /* one line, no trailing newline, no position */
} lf_error;

/* An empty error, for declarations: lf_error e = LF_ERROR_INIT; */
#define LF_ERROR_INIT {LF_OK, NULL, 0, 0, {0}}

/* Reset to LF_OK with no position and an empty message. */
void lf_error_clear(lf_error *e);

/* Set code and a printf-style message; position fields are left as they are.
 * Control characters in the result are escaped, so a message is one line.
 * Returns `code` so callers can write `return lf_error_set(e, ...)`. */
lf_code lf_error_set(lf_error *e, lf_code code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The same with a va_list. */
lf_code lf_error_setv(lf_error *e, lf_code code, const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 0)))
#endif
    ;

/* Prefix the message with "prefix: " (used to add a JSON path). */
void lf_error_prefix(lf_error *e, const char *prefix);

/* Set the position. */
void lf_error_at(lf_error *e, const char *file, uint64_t line, uint64_t column);

/* Stable short name of a code, used as the key in statistics ("json", "role", ...). */
const char *lf_code_name(lf_code code);

/* True for codes that reject one record (exit 1), as opposed to usage/system. */
int lf_code_is_data(lf_code code);

#endif
