/*
 * json.h - JSON text written exactly as Python's json.dumps writes it.
 *
 * Samples are compared byte for byte with Python tooling (the oracle
 * render.py, Hugging Face `datasets`, TRL), so every JSON byte llamafmt emits
 * follows json.dumps(obj, ensure_ascii=False) with its default separators
 * (", " and ": "), or indent=N where asked:
 *   - strings: only '"', '\\' and U+0000..U+001F are escaped; \n \r \t \b \f
 *     use their short forms, other control bytes \u00XX with lowercase hex;
 *     everything else (non-ASCII, '/', U+007F, U+2028) is written raw;
 *   - integers keep all their digits ("-0" becomes "0"); more than 4300 digits
 *     is an error, as in Python's int() limit;
 *   - floats (a number with '.', 'e' or 'E') are written as Python's repr:
 *     shortest round-trip digits, fixed notation for exponents -4..15 with at
 *     least one fractional digit ("100.0"), otherwise d[.ddd]e+XX ("1e-05",
 *     "1e+16"); overflow gives "Infinity" / "-Infinity";
 *   - object keys keep input order; with duplicate keys the first position
 *     is kept with the last value (what json.loads builds).
 *
 * Ownership: output is appended to a caller-owned lf_buf; input text is
 * borrowed and never modified.  Functions return 0 on success, -1 on failure
 * (out of memory, or input that is not one valid JSON value), with `err`
 * filled when it is not NULL.  Thread-safe: no shared state.
 */
#ifndef LLAMAFMT_JSON_H
#define LLAMAFMT_JSON_H

#include <stddef.h>

#include "llamafmt/buf.h"
#include "llamafmt/error.h"

/* Append s[0..n) (valid UTF-8, may contain NUL bytes) as a quoted JSON
 * string literal.  This is on the hot path of every sample written. */
int lf_json_put_string(lf_buf *out, const char *s, size_t n);

/* Append only the escaped body of s[0..n), without the surrounding quotes. */
int lf_json_put_string_body(lf_buf *out, const char *s, size_t n);

/* Re-serialise the single JSON value in text[0..n) as
 * json.dumps(json.loads(text), ensure_ascii=False, indent=(indent < 0 ? None : indent)).
 * The text must be valid UTF-8 without lone surrogate escapes (the reader
 * checks this); surrounding whitespace is allowed. */
int lf_json_dump(lf_buf *out, const char *text, size_t n, int indent, lf_error *err);

/* Python's repr(float(v)) for a finite or infinite double ("Infinity",
 * "-Infinity", "NaN" as json.dumps writes them).  Writes a NUL-terminated
 * string of at most 31 characters to out and returns its length. */
size_t lf_json_format_double(double v, char out[32]);

#endif
