/*
 * check_reader.c - unit tests for reader.h: framing of JSONL, top-level
 * arrays and pretty-printed value streams, positions, size limits and
 * recovery after errors.
 *
 * Every input is fed through a real file descriptor (a pipe for small
 * inputs, an unlinked temporary file for large ones, and a forked writer
 * that dribbles bytes for the split-read test).  Expected records and
 * positions are computed from the input text itself (pos_of), never from
 * what the reader reports.
 */
#include <check.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "llamafmt/error.h"
#include "llamafmt/reader.h"

#define NAME "in.jsonl"
#define MIB ((size_t)1 << 20)
#define DEFAULT_MAX ((size_t)64 << 20)
#define MAX_ITEMS 64

/* ---- helpers -------------------------------------------------------------- */

/* Everything a test allocates is released by the fixture's teardown, so that
 * a failing assertion (which leaves the test early) leaks nothing and the
 * suite stays clean under CK_FORK=no valgrind. */
static void **g_allocs;
static size_t g_nallocs, g_capallocs;
static lf_reader *g_reader;
static int g_fd = -1;

static void *tmalloc(size_t n)
{
    if (g_nallocs == g_capallocs) {
        size_t cap = g_capallocs ? 2 * g_capallocs : 64;
        void **p = realloc(g_allocs, cap * sizeof *p);
        ck_assert_ptr_nonnull(p);
        g_allocs = p;
        g_capallocs = cap;
    }
    void *m = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(m);
    g_allocs[g_nallocs++] = m;
    return m;
}

static void setup(void)
{
    g_reader = NULL;
    g_fd = -1;
}

static void teardown(void)
{
    for (size_t i = 0; i < g_nallocs; i++)
        free(g_allocs[i]);
    free(g_allocs);
    g_allocs = NULL;
    g_nallocs = g_capallocs = 0;
    lf_reader_free(g_reader);
    g_reader = NULL;
    if (g_fd >= 0)
        close(g_fd);
    g_fd = -1;
}

/* Open a reader over fd, owned by the fixture until close_reader(). */
static lf_reader *open_reader(int fd, size_t max)
{
    g_fd = fd;
    g_reader = lf_reader_new(fd, NAME, max);
    ck_assert_ptr_nonnull(g_reader);
    return g_reader;
}

static void close_reader(void)
{
    lf_reader_free(g_reader);
    g_reader = NULL;
    if (g_fd >= 0)
        close(g_fd);
    g_fd = -1;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        ck_assert_msg(k > 0, "write failed: %s", strerror(errno));
        p += k;
        n -= (size_t)k;
    }
}

/* A descriptor that yields exactly data[0..n) and then end of input. */
static int input_fd(const char *data, size_t n)
{
    if (n <= 16384) {
        int p[2];
        ck_assert_int_eq(pipe(p), 0);
        write_all(p[1], data, n);
        close(p[1]);
        return p[0];
    }
    char tmpl[] = "/tmp/check_reader.XXXXXX";
    int fd = mkstemp(tmpl);
    ck_assert_int_ge(fd, 0);
    unlink(tmpl);
    write_all(fd, data, n);
    ck_assert_int_eq((int)lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

/* 1-based line and byte column of byte `off` of the input text. */
static void pos_of(const char *in, size_t off, uint64_t *line, uint64_t *col)
{
    uint64_t l = 1, c = 1;
    for (size_t i = 0; i < off; i++) {
        if (in[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* Offset of the n-th (0-based) occurrence of needle in hay. */
static size_t offset_of(const char *hay, const char *needle, int nth)
{
    const char *p = hay;
    for (;;) {
        p = strstr(p, needle);
        ck_assert_msg(p != NULL, "test bug: \"%s\" not in input", needle);
        if (nth-- == 0)
            return (size_t)(p - hay);
        p++;
    }
}

typedef struct item {
    int rc;              /* 1 record, -1 error */
    char *data;          /* copy of the record (rc == 1) */
    size_t len;
    int has_data;        /* rec.data != NULL */
    uint64_t line, col;  /* rec position */
    lf_code code;        /* rc == -1 */
    uint64_t eline, ecol;
    const char *efile;
    const char *rfile;
} item;

typedef struct result {
    item it[MAX_ITEMS];
    size_t n;
    lf_layout layout;
    uint64_t bytes;
    int extra_end;       /* a further call after end also returned 0 */
} result;

static void drain(lf_reader *r, result *res)
{
    memset(res, 0, sizeof *res);
    ck_assert_msg(lf_reader_layout(r) == LF_LAYOUT_UNKNOWN, "layout known before the first record");
    for (;;) {
        lf_rawrec rec;
        lf_error err;
        memset(&rec, 0, sizeof rec);
        lf_error_clear(&err);
        int rc = lf_reader_next(r, &rec, &err);
        if (rc == 0)
            break;
        ck_assert_msg(rc == 1 || rc == -1, "lf_reader_next returned %d", rc);
        ck_assert_msg(res->n < MAX_ITEMS, "too many records/errors (reader loops?)");
        item *it = &res->it[res->n++];
        it->rc = rc;
        it->line = rec.line;
        it->col = rec.column;
        it->rfile = rec.file;
        it->has_data = rec.data != NULL;
        if (rc == 1) {
            ck_assert_ptr_nonnull(rec.data);
            it->data = tmalloc(rec.len + 1);
            memcpy(it->data, rec.data, rec.len);
            it->data[rec.len] = '\0';
            it->len = rec.len;
        } else {
            it->code = err.code;
            it->eline = err.line;
            it->ecol = err.column;
            it->efile = err.file;
            ck_assert_msg(err.code != LF_E_IO && err.code != LF_E_NOMEM, "system error: %s", err.msg);
            ck_assert_msg(err.msg[0] != '\0', "error without a message");
        }
    }
    lf_rawrec rec;
    lf_error err;
    lf_error_clear(&err);
    res->extra_end = lf_reader_next(r, &rec, &err) == 0;
    res->layout = lf_reader_layout(r);
    res->bytes = lf_reader_bytes(r);
}

static void read_all(const char *in, size_t n, size_t max, result *res)
{
    lf_reader *r = open_reader(input_fd(in, n), max);
    drain(r, res);
    close_reader();
}

static void expect_count(const result *res, size_t n)
{
    ck_assert_msg(res->n == n, "expected %zu records/errors, got %zu", n, res->n);
    ck_assert_msg(res->extra_end, "a call after the end did not return 0 again");
}

/* Record idx is exactly `text` and sits at byte `off` of the input. */
static void expect_rec_at(const result *res, size_t idx, const char *in, size_t off, const char *text, size_t len)
{
    uint64_t line, col;
    ck_assert_msg(idx < res->n, "missing record %zu", idx);
    const item *it = &res->it[idx];
    ck_assert_msg(it->rc == 1, "item %zu: expected a record, got error code %d", idx, (int)it->code);
    ck_assert_msg(it->len == len, "item %zu: length %zu, expected %zu", idx, it->len, len);
    ck_assert_msg(memcmp(it->data, text, len) == 0, "item %zu: bytes differ", idx);
    ck_assert_ptr_nonnull(it->rfile);
    ck_assert_str_eq(it->rfile, NAME);
    pos_of(in, off, &line, &col);
    ck_assert_msg(it->line == line && it->col == col, "item %zu: position %llu:%llu, expected %llu:%llu", idx,
                  (unsigned long long)it->line, (unsigned long long)it->col, (unsigned long long)line,
                  (unsigned long long)col);
}

/* Record idx is the string `text`, found as the nth occurrence in the input. */
static void expect_rec(const result *res, size_t idx, const char *in, const char *text, int nth)
{
    expect_rec_at(res, idx, in, offset_of(in, text, nth), text, strlen(text));
}

static void expect_err(const result *res, size_t idx, lf_code code, uint64_t line, uint64_t col)
{
    ck_assert_msg(idx < res->n, "missing item %zu", idx);
    const item *it = &res->it[idx];
    ck_assert_msg(it->rc == -1, "item %zu: expected error %s, got a record \"%.60s\"", idx, lf_code_name(code),
                  it->data ? it->data : "");
    ck_assert_msg(it->code == code, "item %zu: error %s, expected %s", idx, lf_code_name(it->code), lf_code_name(code));
    ck_assert_ptr_nonnull(it->efile);
    ck_assert_str_eq(it->efile, NAME);
    ck_assert_msg(it->eline == line && it->ecol == col, "item %zu: error at %llu:%llu, expected %llu:%llu", idx,
                  (unsigned long long)it->eline, (unsigned long long)it->ecol, (unsigned long long)line,
                  (unsigned long long)col);
}

/* ---- JSONL -------------------------------------------------------------------- */

START_TEST(test_jsonl_blank_crlf_no_final_newline)
{
    static const char in[] = "{\"a\":1}\n"
                             "\n"
                             "{\"b\":2}\r\n"
                             "   \t\n"
                             "\r\n"
                             "{\"c\":[3]}";
    result res;
    read_all(in, sizeof in - 1, DEFAULT_MAX, &res);
    expect_count(&res, 3);
    ck_assert_int_eq(res.layout, LF_LAYOUT_JSONL);
    expect_rec(&res, 0, in, "{\"a\":1}", 0);
    expect_rec(&res, 1, in, "{\"b\":2}", 0); /* the "\r" is dropped */
    expect_rec(&res, 2, in, "{\"c\":[3]}", 0);
    ck_assert_uint_eq(res.bytes, sizeof in - 1);
}
END_TEST

START_TEST(test_jsonl_leading_blank_lines)
{
    static const char in[] = "\n\r\n  \n{\"a\":1}\n{\"b\":2}\n\n\n";
    result res;
    read_all(in, sizeof in - 1, DEFAULT_MAX, &res);
    expect_count(&res, 2);
    ck_assert_int_eq(res.layout, LF_LAYOUT_JSONL);
    expect_rec(&res, 0, in, "{\"a\":1}", 0);
    expect_rec(&res, 1, in, "{\"b\":2}", 0);
    ck_assert_uint_eq(res.bytes, sizeof in - 1);
}
END_TEST

START_TEST(test_jsonl_final_line_cr)
{
    static const char in[] = "{\"a\":1}\r\n{\"b\":2}\r";
    result res;
    read_all(in, sizeof in - 1, DEFAULT_MAX, &res);
    expect_count(&res, 2);
    ck_assert_int_eq(res.layout, LF_LAYOUT_JSONL);
    expect_rec(&res, 0, in, "{\"a\":1}", 0);
    expect_rec(&res, 1, in, "{\"b\":2}", 0);
    ck_assert_uint_eq(res.bytes, sizeof in - 1);
}
END_TEST

START_TEST(test_jsonl_bom)
{
    static const char in[] = "\xEF\xBB\xBF{\"a\":1}\n{\"b\":\"\xEF\xBB\xBF\"}\n";
    result res;
    read_all(in, sizeof in - 1, DEFAULT_MAX, &res);
    expect_count(&res, 2);
    ck_assert_int_eq(res.layout, LF_LAYOUT_JSONL);
    /* the BOM is not part of the first record */
    ck_assert_int_eq(res.it[0].rc, 1);
    ck_assert_str_eq(res.it[0].data, "{\"a\":1}");
    ck_assert_uint_eq(res.it[0].line, 1);
    /* a BOM later in the input is ordinary content */
    expect_rec(&res, 1, in, "{\"b\":\"\xEF\xBB\xBF\"}", 0);
    ck_assert_uint_eq(res.bytes, sizeof in - 1);
}
END_TEST

/* rec.line/column are the position of data[0], also when the first line is indented. */
START_TEST(test_jsonl_indented_lines_position)
{
    static const char in[] = "  {\"a\":1}\n {\"b\":2}\n";
    result res;
    read_all(in, sizeof in - 1, DEFAULT_MAX, &res);
    expect_count(&res, 2);
    ck_assert_int_eq(res.layout, LF_LAYOUT_JSONL);
    for (size_t i = 0; i < 2; i++) {
        const item *it = &res.it[i];
        size_t line_len = i == 0 ? 9 : 8;
        const char *line_text = i == 0 ? "  {\"a\":1}" : " {\"b\":2}";
        ck_assert_int_eq(it->rc, 1);
        ck_assert_uint_le(it->len, line_len);
        size_t lead = line_len - it->len;
        ck_assert_msg(memcmp(it->data, line_text + lead, it->len) == 0, "record %zu is not the line's tail", i);
        ck_assert_uint_eq(it->line, i + 1);
        ck_assert_msg(it->col == 1 + lead, "record %zu: data[0] is at column %zu but column %llu was reported", i,
                      1 + lead, (unsigned long long)it->col);
    }
}
END_TEST

/* The reader does not judge JSON: a broken line is a record, the next line is read. */
START_TEST(test_jsonl_broken_line_is_a_record)
{
    static const char in[] = "{\"a\":1}\n"
                             "{\"b\": [1, \n"
                             "{\"c\":3}\n"
                             "\"unterminated\n"
                             "not json at all ]]]\n"
                             "{\"d\":4}\n";
    result res;
    read_all(in, sizeof in - 1, DEFAULT_MAX, &res);
    expect_count(&res, 6);
    ck_assert_int_eq(res.layout, LF_LAYOUT_JSONL);
    expect_rec(&res, 0, in, "{\"a\":1}", 0);
    expect_rec(&res, 1, in, "{\"b\": [1, ", 0);
    expect_rec(&res, 2, in, "{\"c\":3}", 0);
    expect_rec(&res, 3, in, "\"unterminated", 0);
    expect_rec(&res, 4, in, "not json at all ]]]", 0);
    expect_rec(&res, 5, in, "{\"d\":4}", 0);
}
END_TEST

/* max_record is inclusive; the dropped "\r" does not count. */
START_TEST(test_jsonl_max_boundary)
{
    static const char in[] = "{\"a\":\"12\"}\n"     /* 10 bytes */
                             "{\"a\":\"123\"}\n"    /* 11 bytes */
                             "{\"a\":\"45\"}\r\n"   /* 10 bytes + CR */
                             "{\"a\":\"67\"}";      /* 10 bytes, no newline */
    result res;
    read_all(in, sizeof in - 1, 10, &res);
    expect_count(&res, 4);
    expect_rec(&res, 0, in, "{\"a\":\"12\"}", 0);
    expect_err(&res, 1, LF_E_TOO_LARGE, 2, 1);
    ck_assert_int_eq(res.it[1].has_data, 0);
    ck_assert_uint_eq(res.it[1].line, 2);
    expect_rec(&res, 2, in, "{\"a\":\"45\"}", 0);
    expect_rec(&res, 3, in, "{\"a\":\"67\"}", 0);
    ck_assert_uint_eq(res.bytes, sizeof in - 1);
}
END_TEST

/* A long line is reported as LF_E_TOO_LARGE and reading goes on with the next
 * line, whether the line fits in one block or spans several. */
static const struct {
    size_t max;
    size_t long_len;
    int final_newline;
} too_large_jsonl[] = {
    {64, 100, 1},
    {64, 4096, 1},
    {64, 3 * MIB, 1},
    {MIB, 3 * MIB + 17, 1},
    {MIB, MIB + 1, 1},
    {64, 3 * MIB, 0},
    {MIB, 2 * MIB, 0},
};

START_TEST(test_jsonl_too_large)
{
    size_t max = too_large_jsonl[_i].max, long_len = too_large_jsonl[_i].long_len;
    int nl = too_large_jsonl[_i].final_newline;
    static const char head[] = "{\"first\":1}\n\n";
    static const char tail[] = "\n{\"after\":2}\n";
    size_t n = (sizeof head - 1) + long_len + (nl ? sizeof tail - 1 : 0);
    char *in = tmalloc(n + 1);
    ck_assert_ptr_nonnull(in);
    size_t k = 0;
    memcpy(in, head, sizeof head - 1);
    k += sizeof head - 1;
    /* {"long":"xxxx...."} of exactly long_len bytes */
    memcpy(in + k, "{\"long\":\"", 9);
    memset(in + k + 9, 'x', long_len - 11);
    memcpy(in + k + long_len - 2, "\"}", 2);
    k += long_len;
    if (nl) {
        memcpy(in + k, tail, sizeof tail - 1);
        k += sizeof tail - 1;
    }
    in[k] = '\0';
    ck_assert_uint_eq(k, n);

    result res;
    read_all(in, n, max, &res);
    expect_count(&res, nl ? 3 : 2);
    ck_assert_int_eq(res.layout, LF_LAYOUT_JSONL);
    expect_rec(&res, 0, in, "{\"first\":1}", 0);
    expect_err(&res, 1, LF_E_TOO_LARGE, 3, 1);
    ck_assert_int_eq(res.it[1].has_data, 0);
    ck_assert_uint_eq(res.it[1].line, 3);
    ck_assert_uint_eq(res.it[1].col, 1);
    if (nl)
        expect_rec(&res, 2, in, "{\"after\":2}", 0);
    ck_assert_uint_eq(res.bytes, n);
}
END_TEST

/* The first line itself is too long (the layout is still detected as JSONL). */
static const struct {
    size_t max;
    size_t long_len;
} too_large_first[] = {{64, 100}, {64, 3 * MIB}, {MIB, 3 * MIB}};

START_TEST(test_jsonl_too_large_first_line)
{
    size_t max = too_large_first[_i].max, long_len = too_large_first[_i].long_len;
    static const char tail[] = "\n{\"after\":2}\n";
    size_t n = long_len + sizeof tail - 1;
    char *in = tmalloc(n + 1);
    memcpy(in, "{\"long\":\"", 9);
    memset(in + 9, 'x', long_len - 11);
    memcpy(in + long_len - 2, "\"}", 2);
    memcpy(in + long_len, tail, sizeof tail);
    result res;
    read_all(in, n, max, &res);
    expect_count(&res, 2);
    ck_assert_int_eq(res.layout, LF_LAYOUT_JSONL);
    expect_err(&res, 0, LF_E_TOO_LARGE, 1, 1);
    expect_rec(&res, 1, in, "{\"after\":2}", 0);
    ck_assert_uint_eq(res.bytes, n);
}
END_TEST

/* ---- top-level arrays -------------------------------------------------------- */

START_TEST(test_array_basic_positions)
{
    static const char in[] = "[{\"a\":[1,[2,3]],\"s\":\"x]},[{\\\"q\"},\n"
                             " {\"b\":\"\\\"],[\"} ,\n"
                             "\t{\"c\":\"}\",\"d\":{\"e\":[]}}\n"
                             "]\n";
    result res;
    read_all(in, sizeof in - 1, DEFAULT_MAX, &res);
    expect_count(&res, 3);
    ck_assert_int_eq(res.layout, LF_LAYOUT_ARRAY);
    expect_rec(&res, 0, in, "{\"a\":[1,[2,3]],\"s\":\"x]},[{\\\"q\"}", 0);
    expect_rec(&res, 1, in, "{\"b\":\"\\\"],[\"}", 0);
    expect_rec(&res, 2, in, "{\"c\":\"}\",\"d\":{\"e\":[]}}", 0);
    ck_assert_uint_eq(res.bytes, sizeof in - 1);
}
END_TEST

START_TEST(test_array_whitespace_everywhere)
{
    static const char in[] = "\n \r\n\t [ \n\n  {\"a\" : 1 }\r\n ,\t\n\n{ \"b\":\"s\\\\\" }\n\t,{\"c\":\"[\"}  \n ] \n\n";
    result res;
    read_all(in, sizeof in - 1, DEFAULT_MAX, &res);
    expect_count(&res, 3);
    ck_assert_int_eq(res.layout, LF_LAYOUT_ARRAY);
    expect_rec(&res, 0, in, "{\"a\" : 1 }", 0);
    expect_rec(&res, 1, in, "{ \"b\":\"s\\\\\" }", 0); /* string ends with an escaped backslash */
    expect_rec(&res, 2, in, "{\"c\":\"[\"}", 0);
    ck_assert_uint_eq(res.bytes, sizeof in - 1);
}
END_TEST

START_TEST(test_array_non_object_elements)
{
    /* the reader frames values; judging them is the record parser's job */
    static const char in[] = "[1, \"x,]\" ,[2,[\"]\"]], null,true]";
    result res;
    read_all(in, sizeof in - 1, DEFAULT_MAX, &res);
    expect_count(&res, 5);
    ck_assert_int_eq(res.layout, LF_LAYOUT_ARRAY);
    expect_rec(&res, 0, in, "1", 0);
    expect_rec(&res, 1, in, "\"x,]\"", 0);
    expect_rec(&res, 2, in, "[2,[\"]\"]]", 0);
    expect_rec(&res, 3, in, "null", 0);
    expect_rec(&res, 4, in, "true", 0);
}
END_TEST

static const char *const empty_arrays[] = {"[]", "[ ]", " \n[\n\n]\n", "\xEF\xBB\xBF[]", "[\r\n]\r\n"};

START_TEST(test_array_empty)
{
    const char *in = empty_arrays[_i];
    result res;
    read_all(in, strlen(in), DEFAULT_MAX, &res);
    expect_count(&res, 0);
    ck_assert_int_eq(res.layout, LF_LAYOUT_ARRAY);
    ck_assert_uint_eq(res.bytes, strlen(in));
}
END_TEST

START_TEST(test_array_bom)
{
    static const char in[] = "\xEF\xBB\xBF[{\"a\":1},\n{\"b\":2}]";
    result res;
    read_all(in, sizeof in - 1, DEFAULT_MAX, &res);
    expect_count(&res, 2);
    ck_assert_int_eq(res.layout, LF_LAYOUT_ARRAY);
    ck_assert_str_eq(res.it[0].data, "{\"a\":1}");
    expect_rec(&res, 1, in, "{\"b\":2}", 0);
}
END_TEST

/* Framing lost: records before it are handed out, then one LF_E_FRAMING at
 * the point where the framing broke, then end of input. */
static const struct {
    const char *in;
    size_t good;             /* records before the error */
    const char *err_at;      /* text whose first occurrence marks the error position; NULL: end */
    int nth;
} framing_cases[] = {
    {"[{\"a\":1},\n {\"b\":[1,2", 1, "{\"b\"", 0},            /* truncated element */
    {"[{\"a\":1},\n {\"b\":\"x]}", 1, "{\"b\"", 0},           /* truncated inside a string */
    {"[{\"a\":1} x {\"b\":2}]", 1, "x", 0},                  /* garbage between elements */
    {"[{\"a\":1}\n{\"b\":2}]", 1, "{\"b\"", 0},               /* missing comma */
    {"[{\"a\":1},,{\"b\":2}]", 1, ",", 1},                   /* double comma */
    {"[,{\"a\":1}]", 0, ",", 0},                             /* leading comma */
    {"[{\"a\":1},{\"b\":2},]", 2, "]", 0},                   /* trailing comma */
    {"[{\"a\":1}, {\"b\":2}", 2, NULL, 0},                   /* missing ']' */
    {"[{\"a\":1}]\nxyz", 1, "xyz", 0},                       /* garbage after the array */
    {"[{\"a\":1}}, {\"b\":2}]", 1, "}, ", 0},                /* stray '}' */
};

START_TEST(test_array_framing)
{
    const char *in = framing_cases[_i].in;
    size_t n = strlen(in), good = framing_cases[_i].good;
    uint64_t line, col;
    result res;
    read_all(in, n, DEFAULT_MAX, &res);
    expect_count(&res, good + 1);
    ck_assert_int_eq(res.layout, LF_LAYOUT_ARRAY);
    for (size_t i = 0; i < good; i++)
        ck_assert_int_eq(res.it[i].rc, 1);
    if (good >= 1)
        expect_rec(&res, 0, in, "{\"a\":1}", 0);
    if (good >= 2)
        expect_rec(&res, 1, in, "{\"b\":2}", 0);
    size_t off = framing_cases[_i].err_at ? offset_of(in, framing_cases[_i].err_at, framing_cases[_i].nth) : n;
    pos_of(in, off, &line, &col);
    expect_err(&res, good, LF_E_FRAMING, line, col);
}
END_TEST

START_TEST(test_array_too_large_element)
{
    static const char in[] = "[{\"a\":1},\n  {\"b\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},\n  {\"c\":\"0123456789\"}]";
    result res;
    read_all(in, sizeof in - 1, 16, &res); /* {"c":"0123456789"} is 18 bytes: too large as well */
    expect_count(&res, 3);
    expect_rec(&res, 0, in, "{\"a\":1}", 0);
    expect_err(&res, 1, LF_E_TOO_LARGE, 2, 3);
    ck_assert_int_eq(res.it[1].has_data, 0);
    expect_err(&res, 2, LF_E_TOO_LARGE, 3, 3);

    read_all(in, sizeof in - 1, 18, &res); /* exactly max: accepted */
    expect_count(&res, 3);
    expect_rec(&res, 0, in, "{\"a\":1}", 0);
    expect_err(&res, 1, LF_E_TOO_LARGE, 2, 3);
    expect_rec(&res, 2, in, "{\"c\":\"0123456789\"}", 0);
    ck_assert_uint_eq(res.bytes, sizeof in - 1);
}
END_TEST

/* An element far larger than max and than one block, with newlines inside:
 * skipped without being buffered, and later positions still count its lines. */
static const size_t big_skip_max[] = {1024, MIB};

START_TEST(test_array_too_large_element_multiblock)
{
    size_t max = big_skip_max[_i];
    size_t lines = 3 * MIB / 64;
    size_t n = 64 + lines * 64 + 64;
    char *in = tmalloc(n);
    ck_assert_ptr_nonnull(in);
    size_t k = 0;
    k += (size_t)sprintf(in + k, "[\n{\"a\":1},\n{\"big\":[\n");
    size_t big_off = offset_of(in, "{\"big\"", 0);
    char line64[64];
    memset(line64, 'x', sizeof line64);
    memcpy(line64, "  \"]}[{\\\"", 9);            /*   "]}[{\"  */
    memcpy(line64 + 61, "\",\n", 3);               /* ",\n      */
    for (size_t i = 0; i < lines; i++) {
        memcpy(in + k, line64, sizeof line64);
        k += sizeof line64;
    }
    k += (size_t)sprintf(in + k, "  0]},\n  {\"c\":3}\n]\n");
    in[k] = '\0';
    uint64_t line, col;
    result res;
    read_all(in, k, max, &res);
    expect_count(&res, 3);
    expect_rec(&res, 0, in, "{\"a\":1}", 0);
    pos_of(in, big_off, &line, &col);
    expect_err(&res, 1, LF_E_TOO_LARGE, line, col);
    expect_rec(&res, 2, in, "{\"c\":3}", 0);
    ck_assert_uint_eq(res.bytes, k);
}
END_TEST

/* ---- pretty-printed value streams ----------------------------------------------- */

START_TEST(test_stream_pretty_records)
{
    static const char in[] = "{\n"
                             "  \"a\": 1\n"
                             "}\n"
                             "{\n"
                             "  \"b\": [\n"
                             "    2, \"]\"\n"
                             "  ]\n"
                             "}  {\"c\": \"}{\\\"\"}\n"
                             "\n"
                             "{\n"
                             "}\n";
    result res;
    read_all(in, sizeof in - 1, DEFAULT_MAX, &res);
    expect_count(&res, 4);
    ck_assert_int_eq(res.layout, LF_LAYOUT_STREAM);
    expect_rec(&res, 0, in, "{\n  \"a\": 1\n}", 0);
    expect_rec(&res, 1, in, "{\n  \"b\": [\n    2, \"]\"\n  ]\n}", 0);
    expect_rec(&res, 2, in, "{\"c\": \"}{\\\"\"}", 0);
    expect_rec(&res, 3, in, "{\n}", 0);
    ck_assert_uint_eq(res.bytes, sizeof in - 1);
}
END_TEST

START_TEST(test_stream_bom_and_leading_blank)
{
    static const char in[] = "\xEF\xBB\xBF\n\n{\n \"a\": 1\n}\n{\n \"b\": 2\n}";
    result res;
    read_all(in, sizeof in - 1, DEFAULT_MAX, &res);
    expect_count(&res, 2);
    ck_assert_int_eq(res.layout, LF_LAYOUT_STREAM);
    expect_rec(&res, 0, in, "{\n \"a\": 1\n}", 0);
    expect_rec(&res, 1, in, "{\n \"b\": 2\n}", 0);
}
END_TEST

static const struct {
    const char *in;
    size_t good;
    const char *err_at;
    int nth;
} stream_framing_cases[] = {
    {"{\n \"a\": 1\n}\n{\n \"b\": [1,", 1, "{\n \"b\"", 0},     /* truncated */
    {"{\n \"a\": 1\n}\n,\n{\n \"b\": 2\n}\n", 1, ",", 0},      /* a comma between records */
    {"{\n \"a\": 1\n}\n]\n{\n \"b\": 2\n}\n", 1, "]", 0},      /* a stray bracket */
    {"{\n \"a\": 1\n}\n{\n \"b\": \"unterminated\n}\n", 1, "{\n \"b\"", 0},
};

START_TEST(test_stream_framing)
{
    const char *in = stream_framing_cases[_i].in;
    size_t n = strlen(in), good = stream_framing_cases[_i].good;
    uint64_t line, col;
    result res;
    read_all(in, n, DEFAULT_MAX, &res);
    expect_count(&res, good + 1);
    ck_assert_int_eq(res.layout, LF_LAYOUT_STREAM);
    expect_rec(&res, 0, in, "{\n \"a\": 1\n}", 0);
    pos_of(in, offset_of(in, stream_framing_cases[_i].err_at, stream_framing_cases[_i].nth), &line, &col);
    expect_err(&res, good, LF_E_FRAMING, line, col);
}
END_TEST

START_TEST(test_stream_too_large)
{
    static const char in[] = "{\n \"a\": 1\n}\n"
                             "{\n \"b\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n}\n"
                             "  {\n \"c\": 3\n}\n";
    result res;
    read_all(in, sizeof in - 1, 16, &res);
    expect_count(&res, 3);
    ck_assert_int_eq(res.layout, LF_LAYOUT_STREAM);
    expect_rec(&res, 0, in, "{\n \"a\": 1\n}", 0);
    expect_err(&res, 1, LF_E_TOO_LARGE, 4, 1);
    expect_rec(&res, 2, in, "{\n \"c\": 3\n}", 0);
    ck_assert_uint_eq(res.bytes, sizeof in - 1);
}
END_TEST

/* ---- records larger than the reader's block ------------------------------------- */

/* A record of about `size` bytes whose content holds brackets, commas and
 * escaped quotes everywhere.  Returns its length. */
static size_t make_big_record(char *out, size_t size, int pretty, char fill)
{
    static const char pre[] = "{\"messages\": [{\"role\": \"user\", \"content\": \"";
    static const char pre_pretty[] = "{\n  \"messages\": [\n    {\n      \"role\": \"user\",\n      \"content\": \"";
    static const char post[] = "\"}]}";
    static const char post_pretty[] = "\"\n    }\n  ]\n}";
    static const char pattern[] = "[{,}]\\\" ";
    const char *p = pretty ? pre_pretty : pre, *q = pretty ? post_pretty : post;
    size_t k = strlen(p), body = size - k - strlen(q);
    memcpy(out, p, k);
    for (size_t i = 0; i < body; i++) {
        size_t m = i % 64;
        out[k + i] = m < sizeof pattern - 1 ? pattern[m] : (char)(fill + (char)(m % 7));
    }
    /* never end the body with a lone backslash */
    if (out[k + body - 1] == '\\')
        out[k + body - 1] = fill;
    k += body;
    memcpy(out + k, q, strlen(q));
    return k + strlen(q);
}

static const lf_layout big_layouts[] = {LF_LAYOUT_JSONL, LF_LAYOUT_ARRAY, LF_LAYOUT_STREAM};

START_TEST(test_big_records_intact)
{
    lf_layout layout = big_layouts[_i];
    size_t big = 3 * MIB;
    char *r1 = tmalloc(big), *r2 = tmalloc(big + 12345);
    char *in = tmalloc(2 * big + 12345 + 256);
    ck_assert_ptr_nonnull(r1);
    ck_assert_ptr_nonnull(r2);
    ck_assert_ptr_nonnull(in);
    int pretty = layout == LF_LAYOUT_STREAM;
    size_t n1 = make_big_record(r1, big, pretty, 'a');
    size_t n2 = make_big_record(r2, big + 12345, pretty, 'k');
    static const char small[] = "{\"s\":1}";
    size_t k = 0, o1, o2, os;
    if (layout == LF_LAYOUT_ARRAY)
        in[k++] = '[';
    o1 = k;
    memcpy(in + k, r1, n1);
    k += n1;
    memcpy(in + k, layout == LF_LAYOUT_ARRAY ? ",\n " : "\n", layout == LF_LAYOUT_ARRAY ? 3 : 1);
    k += layout == LF_LAYOUT_ARRAY ? 3 : 1;
    os = k;
    memcpy(in + k, small, sizeof small - 1);
    k += sizeof small - 1;
    memcpy(in + k, layout == LF_LAYOUT_ARRAY ? ",\n" : "\n", layout == LF_LAYOUT_ARRAY ? 2 : 1);
    k += layout == LF_LAYOUT_ARRAY ? 2 : 1;
    o2 = k;
    memcpy(in + k, r2, n2);
    k += n2;
    if (layout == LF_LAYOUT_ARRAY)
        in[k++] = ']';
    in[k++] = '\n';

    result res;
    read_all(in, k, DEFAULT_MAX, &res);
    expect_count(&res, 3);
    ck_assert_int_eq(res.layout, layout);
    expect_rec_at(&res, 0, in, o1, r1, n1);
    expect_rec_at(&res, 1, in, os, small, sizeof small - 1);
    expect_rec_at(&res, 2, in, o2, r2, n2);
    ck_assert_uint_eq(res.bytes, k);
}
END_TEST

/* ---- split reads: a writer that dribbles the input in tiny pieces ---------------- */

static void read_all_dribbled(const char *in, size_t n, size_t max, result *res)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        size_t k = 0, step = 1;
        while (k < n) {
            size_t m = n - k < step ? n - k : step;
            if (write(p[1], in + k, m) != (ssize_t)m)
                _exit(1);
            k += m;
            step = step % 5 + 1;
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
        }
        _exit(0);
    }
    close(p[1]);
    lf_reader *r = open_reader(p[0], max);
    drain(r, res);
    close_reader();
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer failed");
}

START_TEST(test_split_reads_jsonl)
{
    static const char in[] = "\xEF\xBB\xBF{\"a\":\"[1,2]\"}\r\n\n{\"b\":\"\\\"x\\\"\"}\n  \n{\"c\":3}";
    result res;
    read_all_dribbled(in, sizeof in - 1, DEFAULT_MAX, &res);
    expect_count(&res, 3);
    ck_assert_int_eq(res.layout, LF_LAYOUT_JSONL);
    ck_assert_str_eq(res.it[0].data, "{\"a\":\"[1,2]\"}");
    expect_rec(&res, 1, in, "{\"b\":\"\\\"x\\\"\"}", 0);
    expect_rec(&res, 2, in, "{\"c\":3}", 0);
    ck_assert_uint_eq(res.bytes, sizeof in - 1);
}
END_TEST

START_TEST(test_split_reads_array_and_stream)
{
    static const char arr[] = " [ {\"a\":[1,{\"b\":\"]\\\\\"}]} ,\n {\"c\":\"\\\"]\"} ]";
    static const char str[] = "{\n \"a\": [1,\n 2]\n}\n{\n \"b\": \"}\\\"\"\n}\n";
    result res;
    read_all_dribbled(arr, sizeof arr - 1, DEFAULT_MAX, &res);
    expect_count(&res, 2);
    ck_assert_int_eq(res.layout, LF_LAYOUT_ARRAY);
    expect_rec(&res, 0, arr, "{\"a\":[1,{\"b\":\"]\\\\\"}]}", 0);
    expect_rec(&res, 1, arr, "{\"c\":\"\\\"]\"}", 0);

    read_all_dribbled(str, sizeof str - 1, DEFAULT_MAX, &res);
    expect_count(&res, 2);
    ck_assert_int_eq(res.layout, LF_LAYOUT_STREAM);
    expect_rec(&res, 0, str, "{\n \"a\": [1,\n 2]\n}", 0);
    expect_rec(&res, 1, str, "{\n \"b\": \"}\\\"\"\n}", 0);
}
END_TEST

/* ---- misc --------------------------------------------------------------------------- */

static const char *const empty_inputs[] = {"", "\n", " \r\n\t\n", "\xEF\xBB\xBF", "\xEF\xBB\xBF\n\n"};

START_TEST(test_empty_input)
{
    const char *in = empty_inputs[_i];
    result res;
    read_all(in, strlen(in), DEFAULT_MAX, &res);
    expect_count(&res, 0);
}
END_TEST

START_TEST(test_io_error)
{
    int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
    ck_assert_int_ge(fd, 0);
    lf_reader *r = open_reader(fd, DEFAULT_MAX);
    lf_rawrec rec;
    lf_error err;
    lf_error_clear(&err);
    ck_assert_int_eq(lf_reader_next(r, &rec, &err), -1);
    ck_assert_int_eq(err.code, LF_E_IO);
    ck_assert_msg(err.msg[0] != '\0', "no message");
    close_reader();
}
END_TEST

START_TEST(test_free_null_and_stop)
{
    lf_reader_free(NULL);
    static const char in[] = "{\"a\":1}\n";
    volatile sig_atomic_t stop = 0;
    int fd = input_fd(in, sizeof in - 1);
    lf_reader *r = open_reader(fd, DEFAULT_MAX);
    lf_reader_set_stop(r, &stop);
    result res;
    drain(r, &res);
    expect_count(&res, 1);
    expect_rec(&res, 0, in, "{\"a\":1}", 0);
    lf_reader_set_stop(r, NULL);
    close_reader();
}
END_TEST

/* lf_rawrec_position: offsets inside a record that starts at 7:5. */
static const struct {
    size_t off;
    uint64_t line, col;
} rawpos[] = {
    {0, 7, 5}, {1, 7, 6}, {2, 7, 7}, {3, 8, 1}, {4, 8, 2}, {5, 8, 3},
    {6, 9, 1}, {7, 10, 1}, {8, 10, 2}, {9, 10, 3}, {10, 10, 3}, {1000, 10, 3},
};

START_TEST(test_rawrec_position)
{
    static const char data[] = "ab\ncd\n\nef"; /* a0 b1 \n2 c3 d4 \n5 \n6 e7 f8 */
    lf_rawrec rec = {data, sizeof data - 1, NAME, 7, 5};
    uint64_t line = 0, col = 0;
    lf_rawrec_position(&rec, rawpos[_i].off, &line, &col);
    ck_assert_msg(line == rawpos[_i].line && col == rawpos[_i].col, "offset %zu: %llu:%llu, expected %llu:%llu",
                  rawpos[_i].off, (unsigned long long)line, (unsigned long long)col,
                  (unsigned long long)rawpos[_i].line, (unsigned long long)rawpos[_i].col);
}
END_TEST

START_TEST(test_rawrec_position_from_reader)
{
    /* a pretty record in a stream: positions inside it match the input's */
    static const char in[] = "\n  {\n   \"a\": \"x\",\n \"b\": 2\n}\n";
    int fd = input_fd(in, sizeof in - 1);
    lf_reader *r = open_reader(fd, DEFAULT_MAX);
    lf_rawrec rec;
    lf_error err;
    lf_error_clear(&err);
    ck_assert_int_eq(lf_reader_next(r, &rec, &err), 1);
    size_t start = offset_of(in, "{", 0);
    for (size_t off = 0; off < rec.len; off++) {
        uint64_t l, c, el, ec;
        lf_rawrec_position(&rec, off, &l, &c);
        pos_of(in, start + off, &el, &ec);
        ck_assert_msg(l == el && c == ec, "offset %zu: %llu:%llu, expected %llu:%llu", off, (unsigned long long)l,
                      (unsigned long long)c, (unsigned long long)el, (unsigned long long)ec);
    }
    close_reader();
}
END_TEST

static Suite *reader_suite(void)
{
    Suite *s = suite_create("reader");

    TCase *tc = tcase_create("jsonl");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_jsonl_blank_crlf_no_final_newline);
    tcase_add_test(tc, test_jsonl_leading_blank_lines);
    tcase_add_test(tc, test_jsonl_final_line_cr);
    tcase_add_test(tc, test_jsonl_bom);
    tcase_add_test(tc, test_jsonl_indented_lines_position);
    tcase_add_test(tc, test_jsonl_broken_line_is_a_record);
    suite_add_tcase(s, tc);

    tc = tcase_create("array");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_array_basic_positions);
    tcase_add_test(tc, test_array_whitespace_everywhere);
    tcase_add_test(tc, test_array_non_object_elements);
    tcase_add_loop_test(tc, test_array_empty, 0, (int)(sizeof empty_arrays / sizeof empty_arrays[0]));
    tcase_add_test(tc, test_array_bom);
    suite_add_tcase(s, tc);

    tc = tcase_create("stream");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_stream_pretty_records);
    tcase_add_test(tc, test_stream_bom_and_leading_blank);
    suite_add_tcase(s, tc);

    tc = tcase_create("framing");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_array_framing, 0, (int)(sizeof framing_cases / sizeof framing_cases[0]));
    tcase_add_loop_test(tc, test_stream_framing, 0,
                        (int)(sizeof stream_framing_cases / sizeof stream_framing_cases[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_jsonl_max_boundary);
    tcase_add_loop_test(tc, test_jsonl_too_large, 0, (int)(sizeof too_large_jsonl / sizeof too_large_jsonl[0]));
    tcase_add_loop_test(tc, test_jsonl_too_large_first_line, 0,
                        (int)(sizeof too_large_first / sizeof too_large_first[0]));
    tcase_add_test(tc, test_array_too_large_element);
    tcase_add_loop_test(tc, test_array_too_large_element_multiblock, 0,
                        (int)(sizeof big_skip_max / sizeof big_skip_max[0]));
    tcase_add_test(tc, test_stream_too_large);
    tcase_add_loop_test(tc, test_big_records_intact, 0, (int)(sizeof big_layouts / sizeof big_layouts[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("io");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_split_reads_jsonl);
    tcase_add_test(tc, test_split_reads_array_and_stream);
    tcase_add_loop_test(tc, test_empty_input, 0, (int)(sizeof empty_inputs / sizeof empty_inputs[0]));
    tcase_add_test(tc, test_io_error);
    tcase_add_test(tc, test_free_null_and_stop);
    suite_add_tcase(s, tc);

    tc = tcase_create("position");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_rawrec_position, 0, (int)(sizeof rawpos / sizeof rawpos[0]));
    tcase_add_test(tc, test_rawrec_position_from_reader);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(reader_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
