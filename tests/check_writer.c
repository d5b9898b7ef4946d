/*
 * check_writer.c - unit tests for writer.c: the atomic output sink
 * (lf_out_*) and the sample / reject formats (lf_write_sample,
 * lf_write_reject).
 *
 * Expected JSON lines were produced with CPython's
 * json.dumps(obj, ensure_ascii=False) and pasted here; the C literals spell
 * invisible and non-ASCII bytes as \x escapes (Hangul is written raw).
 *
 * Some tests need special files: /dev/full is never written to by path as
 * root (the writer renames its temporary file over the target, which would
 * replace the device); a private device node in the test directory is used
 * instead, or the test is skipped.
 */
#define _XOPEN_SOURCE 700 /* mknod */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "llamafmt/buf.h"
#include "llamafmt/error.h"
#include "llamafmt/reader.h"
#include "llamafmt/template.h"
#include "llamafmt/writer.h"

#define S(lit) (lit), (sizeof(lit) - 1)

/* ------------------------------------------------------------------ helpers */

/* A fresh directory under $TMPDIR (or /tmp); removed by rm_dir(). */
static void make_dir(char *out, size_t size)
{
    const char *t = getenv("TMPDIR");
    if (t == NULL || *t == '\0')
        t = "/tmp";
    snprintf(out, size, "%s/check_writer.XXXXXX", t);
    ck_assert_msg(mkdtemp(out) != NULL, "mkdtemp(%s): %s", out, strerror(errno));
}

/* Remove every entry of dir (one level) and dir itself. */
static void rm_dir(const char *dir)
{
    chmod(dir, 0700);
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
                rm_dir(p);
            } else {
                unlink(p);
            }
        }
        closedir(d);
    }
    rmdir(dir);
}

/* Number of entries in dir whose name starts with prefix; the last one's
 * full path goes to found (when not NULL). */
static int count_prefixed(const char *dir, const char *prefix, char *found, size_t size)
{
    int n = 0;
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "opendir(%s): %s", dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            n++;
            if (found != NULL)
                snprintf(found, size, "%s/%s", dir, e->d_name);
        }
    }
    closedir(d);
    return n;
}

/* Entries of dir other than "." and "..". */
static int count_entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "opendir(%s): %s", dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Whole file into a malloc'ed buffer (NUL-terminated for messages). */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "fopen(%s): %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    ck_assert_ptr_nonnull(buf);
    for (;;) {
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            ck_assert_ptr_nonnull(buf);
        }
    }
    ck_assert_int_eq(ferror(f), 0);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void spit(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "fopen(%s): %s", path, strerror(errno));
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

/* Compare bytes, showing both sides on a mismatch. */
static void check_bytes(const char *got, size_t gl, const char *want, size_t wl, int line)
{
    ck_assert_msg(gl == wl && memcmp(got, want, wl) == 0, "line %d: bytes differ:\n  got  (%zu): %.*s\n  want (%zu): %.*s",
                  line, gl, (int)gl, got, wl, (int)wl, want);
}
/* assert_bytes(got, got_len, want, want_len); S("...") may stand for a pair */
#define assert_bytes(...) check_bytes(__VA_ARGS__, __LINE__)

static lf_code put(lf_out *o, const char *p, size_t n, lf_error *err)
{
    ck_assert_int_eq(lf_buf_append(lf_out_buf(o), p, n), 0);
    return lf_out_written(o, err);
}

static void sample_set(lf_sample *s, const char *text, size_t n)
{
    lf_sample_reset(s);
    ck_assert_int_eq(lf_buf_append(&s->text, text, n), 0);
}

/* A sink on a file in a fresh directory; finish() commits and reads it back. */
typedef struct sink {
    char dir[512];
    char path[600];
    lf_out *o;
    lf_error err;
} sink;

static void sink_open(sink *k)
{
    make_dir(k->dir, sizeof k->dir);
    snprintf(k->path, sizeof k->path, "%s/out.jsonl", k->dir);
    lf_error_clear(&k->err);
    k->o = lf_out_open(k->path, NULL, &k->err);
    ck_assert_msg(k->o != NULL, "lf_out_open: %s", k->err.msg);
}

static char *sink_finish(sink *k, size_t *len)
{
    lf_code rc = lf_out_commit(k->o, &k->err);
    ck_assert_msg(rc == LF_OK, "commit: %d %s", rc, k->err.msg);
    lf_out_abort(k->o);
    k->o = NULL;
    char *data = slurp(k->path, len);
    rm_dir(k->dir);
    return data;
}

/* Redirect standard output to fd; returns the saved descriptor. */
static int stdout_to(int fd)
{
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_eq(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
    return saved;
}

static void stdout_restore(int saved)
{
    ck_assert_int_eq(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
    close(saved);
}

/* ----------------------------------------------------- lf_out: atomic files */

START_TEST(test_out_atomic_commit)
{
    sink k;
    sink_open(&k);
    char tmp[1024];

    /* nothing at the final path yet, one hidden temporary next to it */
    ck_assert_msg(!exists(k.path), "%s exists before commit", k.path);
    ck_assert_int_eq(count_prefixed(k.dir, ".out.jsonl.tmp-", tmp, sizeof tmp), 1);
    ck_assert_int_eq(count_entries(k.dir), 1);
    struct stat st;
    ck_assert_int_eq(lstat(tmp, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    /* ".out.jsonl.tmp-XXXXXX": six random characters */
    ck_assert_uint_eq(strlen(strrchr(tmp, '/') + 1), strlen(".out.jsonl.tmp-XXXXXX"));

    ck_assert_int_eq(put(k.o, S("{\"text\": \"a\"}\n"), &k.err), LF_OK);
    ck_assert_int_eq(put(k.o, S("second line \xed\x95\x9c\n"), &k.err), LF_OK);
    ck_assert_uint_eq(lf_out_bytes(k.o), 14 + 16);
    ck_assert(!exists(k.path));

    ck_assert_int_eq(lf_out_commit(k.o, &k.err), LF_OK);
    /* renamed into place: the temporary is gone */
    ck_assert(exists(k.path));
    ck_assert_int_eq(count_prefixed(k.dir, ".out.jsonl.tmp-", NULL, 0), 0);
    ck_assert_int_eq(count_entries(k.dir), 1);
    /* abort after commit only frees: the committed file stays */
    lf_out_abort(k.o);
    ck_assert(exists(k.path));

    size_t n;
    char *data = slurp(k.path, &n);
    assert_bytes(data, n, S("{\"text\": \"a\"}\nsecond line \xed\x95\x9c\n"));
    free(data);
    rm_dir(k.dir);
}
END_TEST

START_TEST(test_out_large_goes_to_temp)
{
    /* more than the writer's buffer: bytes reach the temporary before commit */
    sink k;
    sink_open(&k);
    size_t big = (size_t)3 << 20;
    char *blob = malloc(big);
    ck_assert_ptr_nonnull(blob);
    for (size_t i = 0; i < big; i++)
        blob[i] = (char)('a' + (char)(i % 26));
    blob[big - 1] = '\n';
    ck_assert_int_eq(put(k.o, blob, big / 2, &k.err), LF_OK);
    ck_assert_int_eq(put(k.o, blob + big / 2, big - big / 2, &k.err), LF_OK);
    ck_assert_uint_eq(lf_out_bytes(k.o), big);

    char tmp[1024];
    ck_assert_int_eq(count_prefixed(k.dir, ".out.jsonl.tmp-", tmp, sizeof tmp), 1);
    struct stat st;
    ck_assert_int_eq(stat(tmp, &st), 0);
    ck_assert_msg(st.st_size > 0, "nothing flushed to the temporary after %zu bytes", big);
    ck_assert(!exists(k.path));

    size_t n;
    char *data = sink_finish(&k, &n);
    assert_bytes(data, n, blob, big);
    free(data);
    free(blob);
}
END_TEST

START_TEST(test_out_abort_removes_temp)
{
    sink k;
    sink_open(&k);
    ck_assert_int_eq(put(k.o, S("partial\n"), &k.err), LF_OK);
    ck_assert_int_eq(count_entries(k.dir), 1);
    lf_out_abort(k.o);
    ck_assert(!exists(k.path));
    ck_assert_int_eq(count_entries(k.dir), 0);
    rm_dir(k.dir);

    lf_out_abort(NULL); /* no-op */
}
END_TEST

START_TEST(test_out_abort_keeps_existing_file)
{
    char dir[512], path[600];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/out.jsonl", dir);
    spit(path, S("old contents\n"));

    lf_error err;
    lf_error_clear(&err);
    lf_out *o = lf_out_open(path, NULL, &err);
    ck_assert_ptr_nonnull(o);
    /* the old file is not truncated while the new one is written */
    size_t n;
    char *data = slurp(path, &n);
    assert_bytes(data, n, S("old contents\n"));
    free(data);
    ck_assert_int_eq(put(o, S("new contents\n"), &err), LF_OK);
    lf_out_abort(o);

    data = slurp(path, &n);
    assert_bytes(data, n, S("old contents\n"));
    free(data);
    ck_assert_int_eq(count_entries(dir), 1);

    /* and a commit replaces it */
    o = lf_out_open(path, NULL, &err);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(put(o, S("new contents\n"), &err), LF_OK);
    ck_assert_int_eq(lf_out_commit(o, &err), LF_OK);
    lf_out_abort(o);
    data = slurp(path, &n);
    assert_bytes(data, n, S("new contents\n"));
    free(data);
    ck_assert_int_eq(count_entries(dir), 1);
    rm_dir(dir);
}
END_TEST

START_TEST(test_out_empty_commit)
{
    sink k;
    sink_open(&k);
    size_t n;
    char *data = sink_finish(&k, &n);
    ck_assert_uint_eq(n, 0);
    free(data);
}
END_TEST

START_TEST(test_out_relative_path)
{
    char dir[512], cwd[4096];
    make_dir(dir, sizeof dir);
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(dir), 0);
    lf_error err;
    lf_error_clear(&err);
    lf_out *o = lf_out_open("rel.txt", NULL, &err);
    ck_assert_msg(o != NULL, "%s", err.msg);
    ck_assert_int_eq(count_prefixed(".", ".rel.txt.tmp-", NULL, 0), 1);
    ck_assert_int_eq(put(o, S("x"), &err), LF_OK);
    ck_assert_int_eq(lf_out_commit(o, &err), LF_OK);
    lf_out_abort(o);
    ck_assert_int_eq(chdir(cwd), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/rel.txt", dir);
    size_t n;
    char *data = slurp(path, &n);
    assert_bytes(data, n, S("x"));
    free(data);
    ck_assert_int_eq(count_entries(dir), 1);
    rm_dir(dir);
}
END_TEST

START_TEST(test_out_mode_follows_umask)
{
    /* like open(2) with 0666: the temporary's 0600 must not leak through */
    static const mode_t masks[] = {022, 077, 002};
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
        mode_t old = umask(masks[i]);
        sink k;
        sink_open(&k);
        ck_assert_int_eq(put(k.o, S("m\n"), &k.err), LF_OK);
        ck_assert_int_eq(lf_out_commit(k.o, &k.err), LF_OK);
        lf_out_abort(k.o);
        umask(old);
        struct stat st;
        ck_assert_int_eq(stat(k.path, &st), 0);
        ck_assert_msg((st.st_mode & 0777) == (0666 & ~masks[i]), "umask %03o: mode %03o", (unsigned)masks[i],
                      (unsigned)(st.st_mode & 0777));
        rm_dir(k.dir);
    }
}
END_TEST

/* ------------------------------------------------------------ lf_out: errors */

START_TEST(test_out_missing_directory)
{
    char dir[512], path[700];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/no/such/dir/out.jsonl", dir);
    lf_error err;
    lf_error_clear(&err);
    lf_out *o = lf_out_open(path, NULL, &err);
    ck_assert_ptr_null(o);
    ck_assert_int_eq(err.code, LF_E_IO);
    ck_assert_msg(strstr(err.msg, "out.jsonl") != NULL, "message names the file: %s", err.msg);
    ck_assert_msg(strstr(err.msg, strerror(ENOENT)) != NULL, "message has the strerror text: %s", err.msg);
    ck_assert_int_eq(count_entries(dir), 0);
    rm_dir(dir);
}
END_TEST

/* lf_out_open in dir must fail with LF_E_IO: 0 yes, 1 no, 77 could not run. */
static int open_fails_in(const char *dir)
{
    char path[700];
    snprintf(path, sizeof path, "%s/out.jsonl", dir);
    lf_error err;
    lf_error_clear(&err);
    lf_out *o = lf_out_open(path, NULL, &err);
    if (o != NULL) {
        lf_out_abort(o);
        fprintf(stderr, "lf_out_open(%s) succeeded in a read-only directory\n", path);
        return 1;
    }
    if (err.code != LF_E_IO || strstr(err.msg, strerror(EACCES)) == NULL) {
        fprintf(stderr, "lf_out_open(%s): code %d, message \"%s\"\n", path, (int)err.code, err.msg);
        return 1;
    }
    return 0;
}

START_TEST(test_out_unwritable_directory)
{
    char dir[512], ro[600];
    make_dir(dir, sizeof dir);
    snprintf(ro, sizeof ro, "%s/ro", dir);
    ck_assert_int_eq(mkdir(ro, 0755), 0);
    ck_assert_int_eq(chmod(ro, 0555), 0);
    ck_assert_int_eq(chmod(dir, 0755), 0);

    int rc;
    if (geteuid() != 0) {
        rc = open_fails_in(ro);
    } else {
        /* root writes anywhere: try as nobody in a child process */
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            if (setgid(65534) != 0 || setuid(65534) != 0)
                _exit(77);
            _exit(open_fails_in(ro));
        }
        int status = 0;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status));
        rc = WEXITSTATUS(status);
    }
    ck_assert_int_eq(count_entries(ro), 0);
    rm_dir(dir);
    if (rc == 77) {
        fprintf(stderr, "check_writer: unwritable-directory test skipped (cannot drop privileges)\n");
        return;
    }
    ck_assert_msg(rc == 0, "opening a file in a read-only directory did not fail with LF_E_IO");
}
END_TEST

START_TEST(test_out_dev_full_stdout)
{
    int fd = open("/dev/full", O_WRONLY);
    if (fd < 0) {
        fprintf(stderr, "check_writer: /dev/full unavailable, test skipped\n");
        return;
    }
    int saved = stdout_to(fd);
    close(fd);
    lf_error err;
    lf_error_clear(&err);
    lf_out *o = lf_out_open(NULL, NULL, &err);
    ck_assert_ptr_nonnull(o);
    lf_code rc = put(o, S("{\"text\": \"x\"}\n"), &err);
    if (rc == LF_OK)
        rc = lf_out_commit(o, &err);
    lf_out_abort(o);
    stdout_restore(saved);
    ck_assert_int_eq(rc, LF_E_IO);
    ck_assert_msg(strstr(err.msg, strerror(ENOSPC)) != NULL, "message: %s", err.msg);
}
END_TEST

START_TEST(test_out_dev_full_path)
{
    /* -o /dev/full: the error must be found at the latest by commit, and a
     * device must never be replaced by a regular file.  As root, use a
     * private copy of the device node, since a buggy writer would rename its
     * temporary over the real /dev/full. */
    char dir[512], path[700];
    make_dir(dir, sizeof dir);
    struct stat dev;
    if (stat("/dev/full", &dev) != 0 || !S_ISCHR(dev.st_mode)) {
        rm_dir(dir);
        fprintf(stderr, "check_writer: /dev/full is not a device here, test skipped\n");
        return;
    }
    if (geteuid() == 0) {
        snprintf(path, sizeof path, "%s/full", dir);
        if (mknod(path, S_IFCHR | 0666, dev.st_rdev) != 0) {
            rm_dir(dir);
            fprintf(stderr, "check_writer: mknod failed (%s), test skipped\n", strerror(errno));
            return;
        }
        int probe = open(path, O_WRONLY);
        if (probe < 0) { /* e.g. a nodev mount */
            rm_dir(dir);
            fprintf(stderr, "check_writer: private device node unusable, test skipped\n");
            return;
        }
        close(probe);
    } else {
        snprintf(path, sizeof path, "/dev/full");
    }

    lf_error err;
    lf_error_clear(&err);
    lf_code rc;
    lf_out *o = lf_out_open(path, NULL, &err);
    if (o == NULL) {
        rc = err.code;
    } else {
        rc = put(o, S("{\"text\": \"x\"}\n"), &err);
        if (rc == LF_OK)
            rc = lf_out_commit(o, &err);
        lf_out_abort(o);
    }
    struct stat after;
    int still_device = stat(path, &after) == 0 && S_ISCHR(after.st_mode);
    rm_dir(dir);
    ck_assert_msg(still_device, "%s was replaced by a regular file", path);
    ck_assert_msg(rc == LF_E_IO, "writing to %s: code %d (%s), want LF_E_IO", path, (int)rc, err.msg);
}
END_TEST

START_TEST(test_out_dev_null_path)
{
    /* -o /dev/null: writing to a device goes to the device, which stays */
    char dir[512], path[700];
    make_dir(dir, sizeof dir);
    struct stat dev;
    if (stat("/dev/null", &dev) != 0 || !S_ISCHR(dev.st_mode)) {
        rm_dir(dir);
        fprintf(stderr, "check_writer: /dev/null is not a device here, test skipped\n");
        return;
    }
    if (geteuid() == 0) {
        snprintf(path, sizeof path, "%s/null", dir);
        int probe = -1;
        if (mknod(path, S_IFCHR | 0666, dev.st_rdev) != 0 || (probe = open(path, O_WRONLY)) < 0) {
            rm_dir(dir);
            fprintf(stderr, "check_writer: private device node unusable, test skipped\n");
            return;
        }
        close(probe);
    } else {
        snprintf(path, sizeof path, "/dev/null");
    }
    lf_error err;
    lf_error_clear(&err);
    lf_code rc;
    lf_out *o = lf_out_open(path, NULL, &err);
    if (o == NULL) {
        rc = err.code;
    } else {
        rc = put(o, S("{\"text\": \"x\"}\n"), &err);
        if (rc == LF_OK)
            rc = lf_out_commit(o, &err);
        lf_out_abort(o);
    }
    struct stat after;
    int still_device = stat(path, &after) == 0 && S_ISCHR(after.st_mode);
    rm_dir(dir);
    ck_assert_msg(still_device, "%s was replaced by a regular file", path);
    ck_assert_msg(rc == LF_OK, "writing to %s: code %d (%s)", path, (int)rc, err.msg);
}
END_TEST

START_TEST(test_out_epipe)
{
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    close(p[0]); /* nobody will read */
    int saved = stdout_to(p[1]);
    close(p[1]);

    lf_error err;
    lf_error_clear(&err);
    lf_out *o = lf_out_open("-", NULL, &err);
    ck_assert_ptr_nonnull(o);
    lf_code rc = put(o, S("{\"text\": \"x\"}\n"), &err);
    ck_assert_int_eq(rc, LF_OK); /* small: still buffered */
    rc = lf_out_commit(o, &err);
    lf_out_abort(o);
    stdout_restore(saved);
    ck_assert_msg(rc == LF_E_PIPE, "code %d (%s), want LF_E_PIPE", (int)rc, err.msg);
}
END_TEST

START_TEST(test_out_epipe_while_writing)
{
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    close(p[0]);
    int saved = stdout_to(p[1]);
    close(p[1]);

    lf_error err;
    lf_error_clear(&err);
    lf_out *o = lf_out_open(NULL, NULL, &err);
    ck_assert_ptr_nonnull(o);
    size_t big = (size_t)2 << 20;
    char *blob = calloc(1, big);
    ck_assert_ptr_nonnull(blob);
    lf_code rc = put(o, blob, big, &err); /* large: flushed now */
    free(blob);
    ck_assert_msg(rc == LF_E_PIPE, "code %d (%s), want LF_E_PIPE", (int)rc, err.msg);
    /* after an error the sink only accepts abort: commit must not succeed */
    lf_error err2;
    lf_error_clear(&err2);
    ck_assert_int_ne(lf_out_commit(o, &err2), LF_OK);
    lf_out_abort(o);
    stdout_restore(saved);
}
END_TEST

static volatile sig_atomic_t g_stop;

static void on_alarm(int sig)
{
    (void)sig;
    g_stop = 1;
    alarm(1); /* keep interrupting until the blocked write gives up */
}

START_TEST(test_out_interrupted)
{
    /* a write that blocks (full pipe, reader asleep) ends with
     * LF_E_INTERRUPTED once `stop` is set by a signal */
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    int saved = stdout_to(p[1]);
    close(p[1]);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART */
    ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);

    g_stop = 0;
    lf_error err;
    lf_error_clear(&err);
    lf_out *o = lf_out_open(NULL, &g_stop, &err);
    ck_assert_ptr_nonnull(o);
    size_t big = (size_t)2 << 20;
    char *blob = calloc(1, big);
    ck_assert_ptr_nonnull(blob);
    alarm(1);
    lf_code rc = put(o, blob, big, &err);
    if (rc == LF_OK)
        rc = lf_out_commit(o, &err);
    alarm(0);
    signal(SIGALRM, SIG_DFL);
    free(blob);
    lf_out_abort(o);
    stdout_restore(saved);
    close(p[0]);
    ck_assert_msg(rc == LF_E_INTERRUPTED, "code %d (%s), want LF_E_INTERRUPTED", (int)rc, err.msg);
}
END_TEST

START_TEST(test_out_stdout_not_closed)
{
    char dir[512], path[600];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/stdout.txt", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    int saved = stdout_to(fd);
    close(fd);

    lf_error err;
    lf_error_clear(&err);
    lf_out *o = lf_out_open(NULL, NULL, &err);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(put(o, S("to stdout\n"), &err), LF_OK);
    ck_assert_int_eq(lf_out_commit(o, &err), LF_OK);
    lf_out_abort(o);
    int still_open = fcntl(STDOUT_FILENO, F_GETFD) != -1;
    stdout_restore(saved);
    ck_assert_msg(still_open, "standard output was closed by the writer");

    size_t n;
    char *data = slurp(path, &n);
    assert_bytes(data, n, S("to stdout\n"));
    free(data);
    ck_assert_int_eq(count_entries(dir), 1); /* no temporary for stdout */
    rm_dir(dir);
}
END_TEST

/* ------------------------------------------------------ lf_write_sample */

static const lf_writer_opts JSONL = {LF_FORMAT_JSONL, NULL, 0, 0, LF_TRAIN_ASSISTANT};

START_TEST(test_sample_jsonl_plain)
{
    sink k;
    sink_open(&k);
    lf_sample s;
    memset(&s, 0, sizeof s);
    sample_set(&s, S("<|begin_of_text|>hi"));
    ck_assert_int_eq(lf_write_sample(k.o, &JSONL, &s, NULL, 0, &k.err), LF_OK);
    size_t n;
    char *data = sink_finish(&k, &n);
    assert_bytes(data, n, S("{\"text\": \"<|begin_of_text|>hi\"}\n"));
    free(data);
    lf_sample_free(&s);
}
END_TEST

START_TEST(test_sample_jsonl_escapes)
{
    /* json.dumps({"text": t}, ensure_ascii=False) for
     * t = '<|begin_of_text|>a"b\\c/d\x01\x08\x0c\n\r\t\x1f\x7f 한국어 \u2028 \x85 end' */
    static const char in[] = "<|begin_of_text|>a\"b\\c/d\x01\x08\x0c\n\r\t\x1f\x7f 한국어 \xe2\x80\xa8 \xc2\x85 end";
    static const char want[] = "{\"text\": \"<|begin_of_text|>a\\\"b\\\\c/d\\u0001\\b\\f\\n\\r\\t\\u001f\x7f 한국어 "
                               "\xe2\x80\xa8 \xc2\x85 end\"}\n";
    sink k;
    sink_open(&k);
    lf_sample s;
    memset(&s, 0, sizeof s);
    sample_set(&s, S(in));
    ck_assert_int_eq(lf_write_sample(k.o, &JSONL, &s, NULL, 0, &k.err), LF_OK);
    /* a NUL byte inside the text: "x\u0000y" */
    sample_set(&s, S("x\0y"));
    ck_assert_int_eq(lf_write_sample(k.o, &JSONL, &s, NULL, 0, &k.err), LF_OK);
    size_t n;
    char *data = sink_finish(&k, &n);
    lf_buf w = LF_BUF_INIT;
    ck_assert_int_eq(lf_buf_append(&w, S(want)), 0);
    ck_assert_int_eq(lf_buf_append(&w, S("{\"text\": \"x\\u0000y\"}\n")), 0);
    assert_bytes(data, n, w.data, w.len);
    lf_buf_free(&w);
    free(data);
    lf_sample_free(&s);
}
END_TEST

START_TEST(test_sample_jsonl_every_control)
{
    /* all of U+0000..U+001F, as json.dumps writes them */
    static const char want[] =
        "{\"text\": \"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
        "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e"
        "\\u001f \"}\n";
    char in[33];
    for (int i = 0; i < 32; i++)
        in[i] = (char)i;
    in[32] = ' ';
    sink k;
    sink_open(&k);
    lf_sample s;
    memset(&s, 0, sizeof s);
    sample_set(&s, in, sizeof in);
    ck_assert_int_eq(lf_write_sample(k.o, &JSONL, &s, NULL, 0, &k.err), LF_OK);
    size_t n;
    char *data = sink_finish(&k, &n);
    assert_bytes(data, n, S(want));
    free(data);
    lf_sample_free(&s);
}
END_TEST

START_TEST(test_sample_jsonl_kept_id)
{
    sink k;
    sink_open(&k);
    lf_sample s;
    memset(&s, 0, sizeof s);
    sample_set(&s, S("hi"));
    lf_kept kept[] = {{"id", "7", 1, 0}};
    ck_assert_int_eq(lf_write_sample(k.o, &JSONL, &s, kept, 1, &k.err), LF_OK);
    /* a value given with surrounding whitespace and not NUL-terminated */
    static const char raw[] = " \"conv-1\" ,junk";
    lf_kept kept2[] = {{"id", raw, 10, 0}};
    ck_assert_int_eq(lf_write_sample(k.o, &JSONL, &s, kept2, 1, &k.err), LF_OK);
    size_t n;
    char *data = sink_finish(&k, &n);
    assert_bytes(data, n, S("{\"id\": 7, \"text\": \"hi\"}\n{\"id\": \"conv-1\", \"text\": \"hi\"}\n"));
    free(data);
    lf_sample_free(&s);
}
END_TEST

START_TEST(test_sample_jsonl_kept_reserialised)
{
    /* key order = --keep order; values as json.dumps(json.loads(v)) */
    static const char meta[] =
        "{ \"b\" : [1E2, -0, 1e-5, 12345678901234567890123, true, null, \"\\u00e9\\ud83d\\ude00\\/\"], \"a\":{} }";
    lf_kept kept[] = {
        {"meta", meta, sizeof meta - 1, 0},
        {"출처", "\"위키\"", sizeof "\"위키\"" - 1, 0},
        {"n", "-0.0", 4, 0},
        {"a", "{\"a\":1.50}", 10, 0},
    };
    static const char want[] =
        "{\"meta\": {\"b\": [100.0, 0, 1e-05, 12345678901234567890123, true, null, \"\xc3\xa9\xf0\x9f\x98\x80/\"], "
        "\"a\": {}}, \"출처\": \"위키\", \"n\": -0.0, \"a\": {\"a\": 1.5}, \"text\": \"hi\"}\n";
    sink k;
    sink_open(&k);
    lf_sample s;
    memset(&s, 0, sizeof s);
    sample_set(&s, S("hi"));
    ck_assert_int_eq(lf_write_sample(k.o, &JSONL, &s, kept, 4, &k.err), LF_OK);
    size_t n;
    char *data = sink_finish(&k, &n);
    assert_bytes(data, n, S(want));
    free(data);
    lf_sample_free(&s);
}
END_TEST

START_TEST(test_sample_jsonl_kept_bad_value)
{
    /* a kept value that is not JSON: a data error, and nothing of that
     * sample reaches the output */
    sink k;
    sink_open(&k);
    lf_sample s;
    memset(&s, 0, sizeof s);
    sample_set(&s, S("one"));
    ck_assert_int_eq(lf_write_sample(k.o, &JSONL, &s, NULL, 0, &k.err), LF_OK);
    lf_kept bad[] = {{"id", "7", 1, 0}, {"x", "{\"a\":", 5, 0}};
    sample_set(&s, S("two"));
    lf_error err;
    lf_error_clear(&err);
    lf_code rc = lf_write_sample(k.o, &JSONL, &s, bad, 2, &err);
    ck_assert_msg(rc == LF_E_JSON, "code %d (%s)", (int)rc, err.msg);
    sample_set(&s, S("three"));
    ck_assert_int_eq(lf_write_sample(k.o, &JSONL, &s, NULL, 0, &k.err), LF_OK);
    size_t n;
    char *data = sink_finish(&k, &n);
    assert_bytes(data, n, S("{\"text\": \"one\"}\n{\"text\": \"three\"}\n"));
    free(data);
    lf_sample_free(&s);
}
END_TEST

START_TEST(test_sample_text_default_separator)
{
    lf_writer_opts w = {LF_FORMAT_TEXT, NULL, 0, 0, LF_TRAIN_ASSISTANT};
    sink k;
    sink_open(&k);
    lf_sample s;
    memset(&s, 0, sizeof s);
    sample_set(&s, S("a\"b\\c\n한"));
    ck_assert_int_eq(lf_write_sample(k.o, &w, &s, NULL, 0, &k.err), LF_OK);
    sample_set(&s, S("second"));
    ck_assert_int_eq(lf_write_sample(k.o, &w, &s, NULL, 0, &k.err), LF_OK);
    size_t n;
    char *data = sink_finish(&k, &n);
    assert_bytes(data, n, S("a\"b\\c\n한\nsecond\n"));
    free(data);
    lf_sample_free(&s);
}
END_TEST

START_TEST(test_sample_text_custom_separator)
{
    lf_writer_opts w = {LF_FORMAT_TEXT, "\n---\n", 5, 0, LF_TRAIN_ASSISTANT};
    sink k;
    sink_open(&k);
    lf_sample s;
    memset(&s, 0, sizeof s);
    sample_set(&s, S("one"));
    ck_assert_int_eq(lf_write_sample(k.o, &w, &s, NULL, 0, &k.err), LF_OK);
    sample_set(&s, S("two"));
    ck_assert_int_eq(lf_write_sample(k.o, &w, &s, NULL, 0, &k.err), LF_OK);
    size_t n;
    char *data = sink_finish(&k, &n);
    assert_bytes(data, n, S("one\n---\ntwo\n---\n"));
    free(data);

    /* an empty separator concatenates */
    lf_writer_opts e = {LF_FORMAT_TEXT, "", 0, 0, LF_TRAIN_ASSISTANT};
    sink_open(&k);
    sample_set(&s, S("one"));
    ck_assert_int_eq(lf_write_sample(k.o, &e, &s, NULL, 0, &k.err), LF_OK);
    sample_set(&s, S("two"));
    ck_assert_int_eq(lf_write_sample(k.o, &e, &s, NULL, 0, &k.err), LF_OK);
    data = sink_finish(&k, &n);
    assert_bytes(data, n, S("onetwo"));
    free(data);
    lf_sample_free(&s);
}
END_TEST

START_TEST(test_sample_text_nul_separator)
{
    /* what -0 sets up: separator "" with length 1 (its terminating NUL) */
    lf_writer_opts w = {LF_FORMAT_TEXT, "", 1, 0, LF_TRAIN_ASSISTANT};
    sink k;
    sink_open(&k);
    lf_sample s;
    memset(&s, 0, sizeof s);
    sample_set(&s, S("one\nline"));
    ck_assert_int_eq(lf_write_sample(k.o, &w, &s, NULL, 0, &k.err), LF_OK);
    sample_set(&s, S("two"));
    ck_assert_int_eq(lf_write_sample(k.o, &w, &s, NULL, 0, &k.err), LF_OK);
    size_t n;
    char *data = sink_finish(&k, &n);
    assert_bytes(data, n, S("one\nline\0two\0"));
    free(data);

    /* a separator holding NUL bytes in the middle, as --separator='\0x\0' */
    lf_writer_opts w2 = {LF_FORMAT_TEXT, "\0x\0", 3, 0, LF_TRAIN_ASSISTANT};
    sink_open(&k);
    sample_set(&s, S("a"));
    ck_assert_int_eq(lf_write_sample(k.o, &w2, &s, NULL, 0, &k.err), LF_OK);
    data = sink_finish(&k, &n);
    assert_bytes(data, n, S("a\0x\0"));
    free(data);
    lf_sample_free(&s);
}
END_TEST

/* ------------------------------------------------------ lf_write_reject */

static lf_error mk_error(lf_code code, const char *file, uint64_t line, uint64_t col, const char *msg)
{
    lf_error e;
    lf_error_clear(&e);
    lf_error_set(&e, code, "%s", msg);
    lf_error_at(&e, file, line, col);
    return e;
}

START_TEST(test_reject_utf8_record)
{
    /* record text with a tab at the end, "\\n" escaped in the input, raw U+2028 and Hangul */
    static const char rec_text[] =
        "{\"messages\": [{\"role\": \"gpt\", \"content\": \"안녕\\n\xe2\x80\xa8\"}]}\t";
    static const char want[] =
        "{\"file\": \"in.jsonl\", \"line\": 3, \"column\": 27, \"error\": \"messages[0].role: unknown role "
        "\\\"gpt\\\" (add --role-map gpt=assistant)\", \"record\": \"{\\\"messages\\\": [{\\\"role\\\": "
        "\\\"gpt\\\", \\\"content\\\": \\\"안녕\\\\n\xe2\x80\xa8\\\"}]}\\t\"}\n";
    lf_error e = mk_error(LF_E_ROLE, "in.jsonl", 3, 27,
                          "messages[0].role: unknown role \"gpt\" (add --role-map gpt=assistant)");
    lf_rawrec rec = {rec_text, sizeof rec_text - 1, "in.jsonl", 3, 1};
    sink k;
    sink_open(&k);
    ck_assert_int_eq(lf_write_reject(k.o, &e, &rec, &k.err), LF_OK);
    size_t n;
    char *data = sink_finish(&k, &n);
    assert_bytes(data, n, S(want));
    free(data);
}
END_TEST

START_TEST(test_reject_non_utf8_record)
{
    static const char rec_text[] = "{\"a\":\"\xff\"}";
    lf_error e = mk_error(LF_E_UTF8, "<stdin>", 1, 7, "invalid UTF-8 byte 0xff");
    lf_rawrec rec = {rec_text, sizeof rec_text - 1, "<stdin>", 1, 1};
    sink k;
    sink_open(&k);
    ck_assert_int_eq(lf_write_reject(k.o, &e, &rec, &k.err), LF_OK);
    size_t n;
    char *data = sink_finish(&k, &n);
    /* base64.b64encode(b'{"a":"\xff"}') == b'eyJhIjoi/yJ9' */
    assert_bytes(data, n,
                 S("{\"file\": \"<stdin>\", \"line\": 1, \"column\": 7, \"error\": \"invalid UTF-8 byte 0xff\", "
                   "\"record_base64\": \"eyJhIjoi/yJ9\"}\n"));
    free(data);
}
END_TEST

START_TEST(test_reject_base64_padding)
{
    /* every padding case; values from Python's base64.b64encode */
    static const struct {
        const char *raw;
        size_t len;
        const char *b64;
    } cases[] = {
        {"\xff", 1, "/w=="},
        {"\xc3", 1, "ww=="},
        {"ab\xe9", 3, "YWLp"},
        {"\xed\xa0\x80", 3, "7aCA"},       /* an encoded surrogate is not UTF-8 */
        {"\xc0\xaf", 2, "wK8="},           /* overlong */
        {"x\xf4\x90\x80\x80", 5, "ePSQgIA="}, /* above U+10FFFF */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lf_error e = mk_error(LF_E_UTF8, "f", 1, 1, "bad");
        lf_rawrec rec = {cases[i].raw, cases[i].len, "f", 1, 1};
        sink k;
        sink_open(&k);
        ck_assert_int_eq(lf_write_reject(k.o, &e, &rec, &k.err), LF_OK);
        size_t n;
        char *data = sink_finish(&k, &n);
        char want[256];
        int wl = snprintf(want, sizeof want,
                          "{\"file\": \"f\", \"line\": 1, \"column\": 1, \"error\": \"bad\", \"record_base64\": \"%s\"}\n",
                          cases[i].b64);
        assert_bytes(data, n, want, (size_t)wl);
        free(data);
    }
}
END_TEST

START_TEST(test_reject_null_record)
{
    lf_error e = mk_error(LF_E_TOO_LARGE, "big.jsonl", 2, 1,
                          "record of 84 bytes or more exceeds --max-record-size (60 bytes)");
    static const char want[] = "{\"file\": \"big.jsonl\", \"line\": 2, \"column\": 1, \"error\": \"record of 84 bytes or "
                               "more exceeds --max-record-size (60 bytes)\", \"record\": null}\n";
    sink k;
    sink_open(&k);
    ck_assert_int_eq(lf_write_reject(k.o, &e, NULL, &k.err), LF_OK);
    /* a record whose bytes were not kept */
    lf_rawrec rec = {NULL, 0, "big.jsonl", 2, 1};
    ck_assert_int_eq(lf_write_reject(k.o, &e, &rec, &k.err), LF_OK);
    size_t n;
    char *data = sink_finish(&k, &n);
    lf_buf w = LF_BUF_INIT;
    ck_assert_int_eq(lf_buf_append(&w, S(want)), 0);
    ck_assert_int_eq(lf_buf_append(&w, S(want)), 0);
    assert_bytes(data, n, w.data, w.len);
    lf_buf_free(&w);
    free(data);
}
END_TEST

START_TEST(test_reject_file_from_record)
{
    /* an error without a file name takes the record's */
    lf_error e;
    lf_error_clear(&e);
    lf_error_set(&e, LF_E_JSON, "invalid JSON");
    e.line = 4;
    e.column = 2;
    lf_rawrec rec = {"{x}", 3, "data/한.jsonl", 4, 1};
    sink k;
    sink_open(&k);
    ck_assert_int_eq(lf_write_reject(k.o, &e, &rec, &k.err), LF_OK);
    size_t n;
    char *data = sink_finish(&k, &n);
    assert_bytes(data, n,
                 S("{\"file\": \"data/한.jsonl\", \"line\": 4, \"column\": 2, \"error\": \"invalid JSON\", "
                   "\"record\": \"{x}\"}\n"));
    free(data);
}
END_TEST

/* ------------------------------------------------------------ names */

START_TEST(test_format_names)
{
    lf_format f = LF_FORMAT_COUNT;
    ck_assert_int_eq(lf_format_parse("jsonl", &f), 0);
    ck_assert_int_eq(f, LF_FORMAT_JSONL);
    ck_assert_int_eq(lf_format_parse("text", &f), 0);
    ck_assert_int_eq(f, LF_FORMAT_TEXT);
    ck_assert_int_eq(lf_format_parse("JSONL", &f), -1);
    ck_assert_int_eq(lf_format_parse("", &f), -1);
    ck_assert_str_eq(lf_format_name(LF_FORMAT_JSONL), "jsonl");
    ck_assert_str_eq(lf_format_name(LF_FORMAT_TEXT), "text");
}
END_TEST

/* -------------------------------------------------------------------- suite */

static Suite *writer_suite(void)
{
    Suite *s = suite_create("writer");

    TCase *tc = tcase_create("out_files");
    tcase_add_test(tc, test_out_atomic_commit);
    tcase_add_test(tc, test_out_large_goes_to_temp);
    tcase_add_test(tc, test_out_abort_removes_temp);
    tcase_add_test(tc, test_out_abort_keeps_existing_file);
    tcase_add_test(tc, test_out_empty_commit);
    tcase_add_test(tc, test_out_relative_path);
    tcase_add_test(tc, test_out_mode_follows_umask);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);

    tc = tcase_create("out_errors");
    tcase_add_test(tc, test_out_missing_directory);
    tcase_add_test(tc, test_out_unwritable_directory);
    tcase_add_test(tc, test_out_dev_full_stdout);
    tcase_add_test(tc, test_out_dev_full_path);
    tcase_add_test(tc, test_out_dev_null_path);
    tcase_add_test(tc, test_out_epipe);
    tcase_add_test(tc, test_out_epipe_while_writing);
    tcase_add_test(tc, test_out_interrupted);
    tcase_add_test(tc, test_out_stdout_not_closed);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);

    tc = tcase_create("sample");
    tcase_add_test(tc, test_sample_jsonl_plain);
    tcase_add_test(tc, test_sample_jsonl_escapes);
    tcase_add_test(tc, test_sample_jsonl_every_control);
    tcase_add_test(tc, test_sample_jsonl_kept_id);
    tcase_add_test(tc, test_sample_jsonl_kept_reserialised);
    tcase_add_test(tc, test_sample_jsonl_kept_bad_value);
    tcase_add_test(tc, test_sample_text_default_separator);
    tcase_add_test(tc, test_sample_text_custom_separator);
    tcase_add_test(tc, test_sample_text_nul_separator);
    suite_add_tcase(s, tc);

    tc = tcase_create("reject");
    tcase_add_test(tc, test_reject_utf8_record);
    tcase_add_test(tc, test_reject_non_utf8_record);
    tcase_add_test(tc, test_reject_base64_padding);
    tcase_add_test(tc, test_reject_null_record);
    tcase_add_test(tc, test_reject_file_from_record);
    tcase_add_test(tc, test_format_names);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    /* EPIPE must come back as an error, not kill the test process */
    signal(SIGPIPE, SIG_IGN);
    SRunner *sr = srunner_create(writer_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
