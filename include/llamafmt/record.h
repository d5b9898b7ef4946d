/*
 * record.h - turn the raw bytes of one record into a validated conversation.
 *
 * lf_record_parse() checks the raw text itself first (UTF-8, raw control
 * characters, \u escapes incl. \u0000 and lone surrogates, number syntax),
 * because cJSON silently truncates or accepts all of these; then parses it
 * with cJSON, rejects trailing bytes, detects or applies the shape
 * (messages, sharegpt, alpaca, flat) and produces an lf_conversation of
 * system/user/assistant/ipython messages.  Lookups are case-sensitive; a
 * key that llamafmt reads and that occurs twice in one object is an error.
 *
 * Errors name the JSON path ("messages[2].role: unknown role ...") and the
 * position of the offending value (file:line:column of the raw bytes).
 *
 * Ownership: an lf_parser owns all storage of the conversation it returns;
 * the conversation and every string in it stay valid until the next
 * lf_record_parse() on the same parser or lf_parser_free().  The raw record
 * is borrowed only during the call.  One parser per thread; parsers share
 * nothing.  Options are borrowed and must outlive the parser.
 */
#ifndef LLAMAFMT_RECORD_H
#define LLAMAFMT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "llamafmt/error.h"
#include "llamafmt/reader.h"

typedef enum lf_role {
    LF_ROLE_SYSTEM,
    LF_ROLE_USER,
    LF_ROLE_ASSISTANT,
    LF_ROLE_IPYTHON,   /* tool results: "tool", "ipython", ShareGPT "observation" ... */
    LF_ROLE_COUNT
} lf_role;

typedef enum lf_shape {
    LF_SHAPE_AUTO,
    LF_SHAPE_MESSAGES,   /* {"messages":[{"role","content"}]} */
    LF_SHAPE_SHAREGPT,   /* {"conversations":[{"from","value"}], "system"?} */
    LF_SHAPE_ALPACA,     /* {"instruction","input"?,"output","system"?,"history"?} */
    LF_SHAPE_FLAT,       /* {"system"?,"user","assistant"} */
    LF_SHAPE_COUNT
} lf_shape;

typedef enum lf_special_policy {
    LF_SPECIAL_ERROR,    /* special-token text in content rejects the record */
    LF_SPECIAL_STRIP,    /* it is removed from the content */
    LF_SPECIAL_ALLOW     /* it is kept verbatim */
} lf_special_policy;

/* One user-supplied role alias (--role-map from=to). */
typedef struct lf_role_alias {
    const char *from;
    lf_role to;
} lf_role_alias;

typedef struct lf_record_opts {
    lf_shape shape;                 /* LF_SHAPE_AUTO: detect per record */
    const char *messages_key;       /* NULL: "messages" / "conversations" */
    const char *role_key;           /* NULL: "role" / "from" */
    const char *content_key;        /* NULL: "content" / "value" */
    const lf_role_alias *aliases;   /* applied before the built-in role names */
    size_t n_aliases;
    const char *alpaca_joiner;      /* between instruction and input; NULL: "\n\n" */
    const char *default_system;     /* --system: used when a record has none */
    lf_special_policy special;
    /* tool calling */
    const char *tools_json;         /* --tools: a JSON array of specs for records without tools */
    size_t tools_json_len;
    const char *const *builtin_tools; /* --builtin-tools, for records without builtin_tools */
    size_t n_builtin_tools;
    int builtin_tools_set;          /* --builtin-tools was given (may name none) */
    int tools_in_user;              /* -1: the record's tools_in_user_message (default true); 0/1 */
    int lenient_tool_calls;         /* tool_calls [] or null on a message mean "no call" */
} lf_record_opts;

/* Where a value came from, for error messages: up to three path steps. */
typedef struct lf_path {
    struct {
        const char *key;            /* object key, or NULL for an array index */
        int64_t index;
    } step[6];
    int n;
} lf_path;

/* Raw JSON text of one value, borrowed from the record (or the --tools text). */
typedef struct lf_json_text {
    const char *p;
    size_t n;
} lf_json_text;

/* One tool call of an assistant message (the template allows exactly one). */
typedef struct lf_tool_call {
    const char *name;               /* NUL-terminated */
    lf_json_text args;              /* the arguments object, as JSON text */
    const char *const *arg_names;   /* its members in order (NUL-terminated) ... */
    const char *const *arg_strings; /* ... and their values when all are strings, else NULL */
    size_t n_args;
} lf_tool_call;

typedef struct lf_message {
    lf_role role;
    const char *text;               /* content, not NUL-terminated */
    size_t len;
    lf_path path;                   /* the message object in the record */
    const lf_tool_call *call;       /* an assistant tool call, or NULL */
    lf_json_text json;              /* a tool result that is not a string: its JSON text (else n == 0) */
    int stripped;                   /* special-token text was removed (--special-tokens=strip) */
} lf_message;

typedef struct lf_conversation {
    lf_message *msgs;
    size_t n;
    lf_shape shape;                 /* the shape detected or forced */
    const char *date;               /* record-level "date_string", or NULL */
    size_t date_len;
    int gen_prompt;                 /* record-level "add_generation_prompt": 1, 0, or -1 unset */
    /* tools: the template's `tools is not none` and `builtin_tools is defined` */
    int has_tools;
    const lf_json_text *tools;      /* each function spec, as JSON text */
    size_t n_tools;
    int has_builtin;
    const char *const *builtin;     /* built-in tool names, NUL-terminated */
    size_t n_builtin;
    int tools_in_user;              /* the template's tools_in_user_message */
} lf_conversation;

typedef struct lf_parser lf_parser;

/* NULL on ENOMEM. */
lf_parser *lf_parser_new(const lf_record_opts *opts);
void lf_parser_free(lf_parser *p);

/* Report every data error of the messages of a record, not only the first
 * (--check): each goes to on_error (position included) as it is found, the
 * parse goes on with the next message, and lf_record_parse() returns the
 * first.  Errors that leave nothing to go on with (bad JSON, no message
 * list) are returned only.  NULL: stop at the first error (the default). */
void lf_parser_collect(lf_parser *p, void (*on_error)(void *ctx, const lf_error *e), void *ctx);

/* Parse and validate one record.  Returns 0 and sets *conv, or an error code
 * with err filled (position included). */
lf_code lf_record_parse(lf_parser *p, const lf_rawrec *rec, const lf_conversation **conv,
                        lf_error *err);

/* Release what the last record needed (its tree and derived strings) now
 * rather than at the next lf_record_parse(): keeps peak memory down when
 * records are huge.  The last conversation is invalid afterwards. */
void lf_parser_release(lf_parser *p);

/* Copy the raw JSON text of top-level key `key` of the record last parsed
 * into *text and *len (borrowed from the raw record, so valid only while the
 * caller's lf_rawrec is).  Returns 0, or an error (missing key) with err set. */
lf_code lf_record_raw_value(lf_parser *p, const lf_rawrec *rec, const char *key,
                            const char **text, size_t *len, lf_error *err);

/* The keys of the record last parsed that its shape does not read: top-level
 * keys, and the keys of each message object of a message list.  `also` are
 * keys the caller reads itself (--keep).  Keys that carry no meaning for a
 * Llama sample by convention (a message's "tool_call_id") are not listed.
 * Fills up to cap paths (their key strings are valid until the parser's next
 * record) and returns how many there are in all. */
size_t lf_record_unused_keys(const lf_parser *p, const lf_conversation *conv, const char *const *also, size_t n_also,
                             lf_path *out, size_t cap);

/* Set err's position to the value at `path` inside the record (or to the
 * deepest value on the path that exists) and prefix the message with the
 * path.  Used by later stages to report conversation-level errors. */
void lf_record_locate(const lf_rawrec *rec, const lf_path *path, lf_error *err);

/* Check the text of --tools: a JSON array of objects.  0, or an error. */
lf_code lf_tools_check(const char *text, size_t len, lf_error *err);

/* Parse a role name ("system", "user", "assistant", "ipython", "tool");
 * returns 0 and sets *role, or -1. */
int lf_role_parse(const char *name, lf_role *role);
const char *lf_role_name(lf_role role);
const char *lf_shape_name(lf_shape shape);
int lf_shape_parse(const char *name, lf_shape *shape);

/* Find the first Llama 3.1 special-token text ("<|eot_id|>", any of the 256
 * names) in s[0..n).  Returns its offset and sets *tok_len, or -1. */
long lf_find_special(const char *s, size_t n, size_t *tok_len);

/* 1 when s[0..n) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int lf_utf8_valid(const char *s, size_t n);

#endif
