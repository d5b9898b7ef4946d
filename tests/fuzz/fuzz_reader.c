/*
 * fuzz_reader.c - arbitrary bytes through lf_reader (JSONL, arrays, value
 * streams), fed through an fd the way the tool reads files and pipes.
 *
 * Input layout:
 *   byte 0      max_record (see max_from_byte)
 *   byte 1      how the bytes reach the reader: bits 0-1 pick the fd
 *               (0, 1: a memfd, read in one go like a regular file;
 *                2, 3: an AF_UNIX SOCK_SEQPACKET socket fed by a thread in
 *                chunks, so every read() returns exactly one chunk and the
 *                refill paths run at every possible boundary); bits 2-7
 *               seed the chunk sizes
 *   bytes 2..   the input file
 *
 * Invariants (reader.h):
 *   - every record is a slice of the input: its (line, column) maps to an
 *     offset where the input holds exactly the record's bytes;
 *   - records and error positions move forward and do not overlap;
 *   - nothing is silently dropped: between records there is only
 *     whitespace (and '[' ',' ']' in an array, the BOM at the start, and in
 *     JSONL a BOM at the start of a line), unless a record was skipped as
 *     too large;
 *   - lf_rawrec_position() agrees with the offsets;
 *   - the layout is decided once ('[' first means an array) and kept;
 *   - after LF_E_FRAMING, and after end of input, lf_reader_next returns 0;
 *   - only LF_E_TOO_LARGE and LF_E_FRAMING occur; every call makes
 *     progress; lf_reader_bytes() grows and stays within the input.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "llamafmt/reader.h"

static const char NAME[] = "<fuzz>";

static size_t max_from_byte(uint8_t b)
{
    if (b < 64)
        return (size_t)b + 1;                       /* 1..64: most records too large */
    if (b < 128)
        return 64 + (size_t)(b - 64) * 16;          /* 64..1072 */
    if (b < 192)
        return (size_t)(b - 127) * 1024;            /* 1K..64K */
    if (b < 224)
        return ((size_t)1 << 20) - 16 + (b - 192);  /* around the 1 MiB read block */
    return (size_t)64 << 20;                        /* the default */
}

/* ---- feeding the reader ------------------------------------------------ */

typedef struct feeder {
    int fd;
    const uint8_t *p;
    size_t n;
    uint32_t seed;
} feeder;

static uint32_t next_rand(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static void feed_chunks(const feeder *f)
{
    size_t off = 0;
    uint32_t s = f->seed;
    /* at most ~4096 messages, so a 1 MB input stays fast */
    size_t min = f->n / 4096 + 1;
    size_t span = (size_t)1 << (f->seed % 13);      /* chunk sizes up to 1..4096 */
    while (off < f->n) {
        size_t k = min + next_rand(&s) % span;
        if (k > f->n - off)
            k = f->n - off;
        ssize_t w = send(f->fd, f->p + off, k, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break;                                   /* the reader stopped early */
        }
        off += (size_t)w;
    }
    close(f->fd);
}

/* One feeder thread for the whole run (creating a thread per input costs
 * more than the input under ASan): it takes one job at a time. */
static pthread_mutex_t job_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_cv = PTHREAD_COND_INITIALIZER;
static feeder job;
static int job_state;                               /* 0 idle, 1 posted, 2 done */

static void *feeder_main(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&job_mu);
        while (job_state != 1)
            pthread_cond_wait(&job_cv, &job_mu);
        feeder f = job;
        pthread_mutex_unlock(&job_mu);
        feed_chunks(&f);
        pthread_mutex_lock(&job_mu);
        job_state = 2;
        pthread_cond_broadcast(&job_cv);
        pthread_mutex_unlock(&job_mu);
    }
    return NULL;
}

static void post_job(const feeder *f)
{
    static int started;
    if (!started) {
        pthread_t t;
        if (pthread_create(&t, NULL, feeder_main, NULL) != 0)
            abort();
        pthread_detach(t);
        started = 1;
    }
    pthread_mutex_lock(&job_mu);
    job = *f;
    job_state = 1;
    pthread_cond_broadcast(&job_cv);
    pthread_mutex_unlock(&job_mu);
}

static void wait_job(void)
{
    pthread_mutex_lock(&job_mu);
    while (job_state != 2)
        pthread_cond_wait(&job_cv, &job_mu);
    job_state = 0;
    pthread_mutex_unlock(&job_mu);
}

/* ---- checking ------------------------------------------------------------ */

static int is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

typedef struct input {
    const uint8_t *p;
    size_t n;
    size_t *line_start;                             /* offset of each line */
    size_t nlines;
    size_t bom;                                     /* 3 when the input starts with a BOM */
    size_t first;                                   /* first non-blank byte after it */
} input;

static void index_lines(input *in)
{
    size_t nl = 0;
    for (size_t i = 0; i < in->n; i++)
        nl += in->p[i] == '\n';
    in->line_start = malloc((nl + 1) * sizeof *in->line_start);
    if (in->line_start == NULL)
        abort();
    in->nlines = 0;
    in->line_start[in->nlines++] = 0;
    for (size_t i = 0; i < in->n; i++)
        if (in->p[i] == '\n')
            in->line_start[in->nlines++] = i + 1;
    in->bom = in->n >= 3 && memcmp(in->p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    in->first = in->bom;
    while (in->first < in->n && is_ws(in->p[in->first]))
        in->first++;
}

/* Offset of (line, column) in the input; aborts when it is not a position
 * inside it (or its end). */
static size_t offset_of(const input *in, uint64_t line, uint64_t col, const char *what)
{
    FUZZ_CHECK(line >= 1 && col >= 1, "%s: position %llu:%llu is not 1-based", what, (unsigned long long)line,
               (unsigned long long)col);
    FUZZ_CHECK(line <= in->nlines, "%s: line %llu past the last line %zu", what, (unsigned long long)line,
               in->nlines);
    size_t start = in->line_start[line - 1];
    size_t end = line < in->nlines ? in->line_start[line] - 1 : in->n;   /* the '\n' or the end */
    FUZZ_CHECK(col - 1 <= end - start, "%s: column %llu past the end of line %llu (%zu bytes)", what,
               (unsigned long long)col, (unsigned long long)line, end - start);
    return start + (size_t)(col - 1);
}

/* The bytes in [from, to) that no record covers must be framing only. */
static void check_gap(const input *in, lf_layout layout, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        uint8_t c = in->p[i];
        if (i < in->bom)
            continue;
        /* JSONL: a BOM at the start of any line is skipped (concatenated
         * files, see next_jsonl), and so is one after the blank bytes that
         * open the input (they are skipped before the first line is read) */
        if (layout == LF_LAYOUT_JSONL && (i == 0 || in->p[i - 1] == '\n' || i == in->first) && to - i >= 3 &&
            memcmp(in->p + i, "\xEF\xBB\xBF", 3) == 0) {
            i += 2;
            continue;
        }
        int ok = is_ws(c) || (layout == LF_LAYOUT_ARRAY && (c == '[' || c == ',' || c == ']'));
        FUZZ_CHECK(ok, "byte %zu (0x%02x) of the input is in no record and is not framing (layout %d)", i, c,
                   (int)layout);
    }
}

/* Known, reported findings can be masked while they are open, so that a
 * long run goes on finding other things: LLAMAFMT_FUZZ_KNOWN is a comma list
 * of the names below.  run_fuzzers.sh never sets it.  (The one below is
 * fixed in src/; the mask stays for bisecting old versions.)
 *   reader-nul  a NUL byte where an array element or stream value starts is
 *               framed as an empty record that consumes nothing, forever
 *               (regressions/fuzz_reader/nul-byte-empty-record-loop) */
static int known(const char *name)
{
    const char *k = getenv("LLAMAFMT_FUZZ_KNOWN");
    return k != NULL && strstr(k, name) != NULL;
}

static void run(const input *in, size_t max, int fd)
{
    lf_reader *r = lf_reader_new(fd, NAME, max);
    if (r == NULL)
        abort();
    static volatile sig_atomic_t stop_flag = 0;
    lf_reader_set_stop(r, &stop_flag);

    /* the layout the header promises */
    size_t first = in->first;
    int expect_array = first < in->n && in->p[first] == '[';

    lf_layout layout = LF_LAYOUT_UNKNOWN;
    size_t prev_end = 0;            /* end of the last record (or error position) */
    int gap_known = 1;              /* no skipped record since prev_end */
    uint64_t bytes = 0;
    size_t calls = 0;
    int framing = 0, masked = 0;
    for (;;) {
        FUZZ_CHECK(++calls <= in->n + 4, "no progress: %zu calls on %zu bytes", calls, in->n);
        lf_rawrec rec;
        lf_error err;
        memset(&rec, 0xA5, sizeof rec);
        lf_error_clear(&err);
        int rc = lf_reader_next(r, &rec, &err);
        FUZZ_CHECK(rc == 1 || rc == 0 || rc == -1, "lf_reader_next returned %d", rc);

        lf_layout now = lf_reader_layout(r);
        if (layout != LF_LAYOUT_UNKNOWN)
            FUZZ_CHECK(now == layout, "layout changed from %d to %d", (int)layout, (int)now);
        layout = now;
        if (layout != LF_LAYOUT_UNKNOWN)
            FUZZ_CHECK((layout == LF_LAYOUT_ARRAY) == expect_array, "layout %d, but first byte is '%c'",
                       (int)layout, first < in->n ? in->p[first] : '?');
        uint64_t b = lf_reader_bytes(r);
        FUZZ_CHECK(b >= bytes && b <= in->n, "lf_reader_bytes went from %llu to %llu (input %zu)",
                   (unsigned long long)bytes, (unsigned long long)b, in->n);
        bytes = b;

        if (rc == 0) {
            /* end of input: the tail is framing only (unless something was lost) */
            if (!framing && gap_known)
                check_gap(in, layout, prev_end, in->n);
            break;
        }
        if (rc == 1) {
            FUZZ_CHECK(layout != LF_LAYOUT_UNKNOWN, "a record before the layout is known");
            FUZZ_CHECK(rec.file == NAME, "record file is not the reader's name");
            if (rec.len == 0 && known("reader-nul")) {
                masked = 1;
                break;                               /* masked: see known() */
            }
            FUZZ_CHECK(rec.len >= 1, "empty record");
            FUZZ_CHECK(rec.len <= max, "record of %zu bytes over max_record %zu", rec.len, max);
            size_t off = offset_of(in, rec.line, rec.column, "record");
            FUZZ_CHECK(off >= prev_end, "record at offset %zu overlaps or precedes the previous end %zu", off,
                       prev_end);
            FUZZ_CHECK(rec.len <= in->n - off, "record [%zu, +%zu) runs past the input (%zu)", off, rec.len, in->n);
            FUZZ_CHECK(memcmp(in->p + off, rec.data, rec.len) == 0,
                       "record bytes differ from the input at its position %llu:%llu (offset %zu)",
                       (unsigned long long)rec.line, (unsigned long long)rec.column, off);
            if (layout == LF_LAYOUT_JSONL) {
                FUZZ_CHECK(memchr(rec.data, '\n', rec.len) == NULL, "JSONL record spans lines");
            } else {
                FUZZ_CHECK(!is_ws((uint8_t)rec.data[0]) && !is_ws((uint8_t)rec.data[rec.len - 1]),
                           "array/stream record has surrounding whitespace");
            }
            uint64_t el, ec;
            lf_rawrec_position(&rec, rec.len, &el, &ec);
            FUZZ_CHECK(offset_of(in, el, ec, "record end") == off + rec.len,
                       "lf_rawrec_position(len) disagrees with the record's length");
            if (gap_known)
                check_gap(in, layout, prev_end, off);
            prev_end = off + rec.len;
            gap_known = 1;
            continue;
        }
        /* rc == -1 */
        FUZZ_CHECK(err.code == LF_E_TOO_LARGE || err.code == LF_E_FRAMING, "unexpected error code %d: %s",
                   (int)err.code, err.msg);
        FUZZ_CHECK(err.file == NAME, "error file is not the reader's name");
        FUZZ_CHECK(err.msg[0] != '\0', "error without a message");
        size_t off = offset_of(in, err.line, err.column, "error");
        FUZZ_CHECK(off >= prev_end, "error at offset %zu precedes the previous end %zu", off, prev_end);
        if (err.code == LF_E_FRAMING) {
            if (rec.data != NULL) {
                FUZZ_CHECK(rec.len == in->n - off && memcmp(rec.data, in->p + off, rec.len) == 0,
                           "LF_E_FRAMING record is not the rest of the input from %zu", off);
            }
            framing = 1;
            FUZZ_CHECK(lf_reader_next(r, &rec, &err) == 0, "lf_reader_next did not return 0 after LF_E_FRAMING");
            FUZZ_CHECK(lf_reader_next(r, &rec, &err) == 0, "lf_reader_next did not stay at 0 after LF_E_FRAMING");
            break;
        }
        FUZZ_CHECK(rec.data == NULL && rec.len == 0, "LF_E_TOO_LARGE hands out data");
        if (gap_known)
            check_gap(in, layout, prev_end, off);
        prev_end = off;
        gap_known = 0;                               /* the skipped record's bytes follow */
    }
    if (!masked) {
        lf_rawrec rec;
        lf_error err;
        FUZZ_CHECK(lf_reader_next(r, &rec, &err) == 0, "lf_reader_next did not stay at end of input");
    }
    lf_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t max = max_from_byte(data[0]);
    uint8_t mode = data[1];
    input in = {data + 2, size - 2, NULL, 0, 0, 0};
    index_lines(&in);

    if ((mode & 3) < 2) {
        int fd = memfd_create("fuzz_reader", MFD_CLOEXEC);
        if (fd < 0)
            abort();
        size_t off = 0;
        while (off < in.n) {
            ssize_t w = write(fd, in.p + off, in.n - off);
            if (w <= 0)
                abort();
            off += (size_t)w;
        }
        if (lseek(fd, 0, SEEK_SET) != 0)
            abort();
        run(&in, max, fd);
        close(fd);
    } else {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
            abort();
        feeder f = {sv[1], in.p, in.n, (uint32_t)(mode >> 2) * 2654435761u + (uint32_t)in.n};
        f.seed = (uint32_t)(mode >> 2) + 7u * (f.seed >> 16);
        post_job(&f);
        run(&in, max, sv[0]);
        close(sv[0]);                                /* unblocks a feeder the reader left behind */
        wait_job();
    }
    free(in.line_start);
    return 0;
}
