/* error.c - see error.h. */
#include "llamafmt/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const code_names[LF_CODE_COUNT] = {
    [LF_OK] = "ok",
    [LF_E_JSON] = "json",
    [LF_E_UTF8] = "utf8",
    [LF_E_ESCAPE] = "escape",
    [LF_E_TOO_LARGE] = "too_large",
    [LF_E_SHAPE] = "shape",
    [LF_E_TYPE] = "type",
    [LF_E_DUP_KEY] = "duplicate_key",
    [LF_E_ROLE] = "role",
    [LF_E_ORDER] = "order",
    [LF_E_EMPTY] = "empty",
    [LF_E_NO_ASSISTANT] = "no_assistant",
    [LF_E_SPECIAL] = "special_token",
    [LF_E_TOOL] = "tool",
    [LF_E_UNSUPPORTED] = "unsupported",
    [LF_E_TOO_LONG] = "too_long",
    [LF_E_SAMPLE] = "sample",
    [LF_E_FRAMING] = "framing",
    [LF_E_USAGE] = "usage",
    [LF_E_IO] = "io",
    [LF_E_PIPE] = "pipe",
    [LF_E_NOMEM] = "nomem",
    [LF_E_INTERRUPTED] = "interrupted",
};

void lf_error_clear(lf_error *e)
{
    e->code = LF_OK;
    e->file = NULL;
    e->line = e->column = 0;
    e->msg[0] = '\0';
}

/* Messages are one line: control characters quoted from input or argv
 * are shown as escapes (\n, \t, \r, \xHH). */
static void one_line(char *msg, size_t size)
{
    char out[sizeof ((lf_error *)0)->msg];
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)msg; *p && k + 5 < sizeof out; p++) {
        if (*p >= 0x20 && *p != 0x7F) {
            out[k++] = (char)*p;
            continue;
        }
        out[k++] = '\\';
        if (*p == '\n' || *p == '\t' || *p == '\r') {
            out[k++] = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
        } else {
            static const char hex[] = "0123456789abcdef";
            out[k++] = 'x';
            out[k++] = hex[*p >> 4];
            out[k++] = hex[*p & 15];
        }
    }
    out[k] = '\0';
    if (k + 1 > size)
        k = size - 1;
    memcpy(msg, out, k);
    msg[k] = '\0';
}

lf_code lf_error_setv(lf_error *e, lf_code code, const char *fmt, va_list ap)
{
    e->code = code;
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    one_line(e->msg, sizeof e->msg);
    return code;
}

lf_code lf_error_set(lf_error *e, lf_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lf_error_setv(e, code, fmt, ap);
    va_end(ap);
    return code;
}

void lf_error_prefix(lf_error *e, const char *prefix)
{
    char tmp[sizeof e->msg];
    size_t p = strlen(prefix), m = strlen(e->msg);
    if (p > sizeof tmp - 3)
        p = sizeof tmp - 3;
    memcpy(tmp, prefix, p);
    memcpy(tmp + p, ": ", 2);
    if (m > sizeof tmp - p - 3)
        m = sizeof tmp - p - 3;
    memcpy(tmp + p + 2, e->msg, m);
    tmp[p + 2 + m] = '\0';
    memcpy(e->msg, tmp, sizeof tmp);
    one_line(e->msg, sizeof e->msg);
}

void lf_error_at(lf_error *e, const char *file, uint64_t line, uint64_t column)
{
    e->file = file;
    e->line = line;
    e->column = column;
}

const char *lf_code_name(lf_code code)
{
    if ((unsigned)code >= LF_CODE_COUNT)
        return "unknown";
    return code_names[code];
}

int lf_code_is_data(lf_code code)
{
    return code > LF_OK && code <= LF_E_FRAMING;
}
