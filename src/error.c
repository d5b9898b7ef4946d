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

lf_code lf_error_set(lf_error *e, lf_code code, const char *fmt, ...)
{
    va_list ap;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
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
