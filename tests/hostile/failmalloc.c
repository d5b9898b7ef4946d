/*
 * failmalloc.c - an LD_PRELOAD shim that makes one allocation fail.
 *
 * The Nth call (1-based, N from the environment variable FAILMALLOC_N) to
 * malloc, calloc or realloc, counted together, returns NULL with errno set
 * to ENOMEM; every other call goes to the C library.  FAILMALLOC_N unset,
 * empty or 0 fails nothing.  When FAILMALLOC_COUNT names a file, the number
 * of calls seen is written to it at exit (used to choose the range of N).
 *
 * Build: cc -shared -fPIC -O2 -o failmalloc.so failmalloc.c
 * Use:   LD_PRELOAD=./failmalloc.so FAILMALLOC_N=17 llamafmt ...
 *
 * glibc's __libc_* entry points are used instead of dlsym(RTLD_NEXT, ...),
 * which may itself allocate and would recurse into this file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

static unsigned long calls;
static unsigned long fail_at;
static int configured;

static unsigned long parse_ulong(const char *s)
{
    unsigned long v = 0;
    if (s == NULL)
        return 0;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (unsigned long)(*s - '0');
    return v;
}

static int should_fail(void)
{
    if (!configured) {
        configured = 1;
        fail_at = parse_ulong(getenv("FAILMALLOC_N"));
    }
    calls++;
    if (fail_at != 0 && calls == fail_at) {
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

void *malloc(size_t size)
{
    return should_fail() ? NULL : __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    return should_fail() ? NULL : __libc_realloc(p, size);
}

/* Write the number of calls to $FAILMALLOC_COUNT, without allocating. */
__attribute__((destructor)) static void report_count(void)
{
    const char *path = getenv("FAILMALLOC_COUNT");
    char digits[32];
    size_t n = sizeof digits;
    unsigned long v = calls;
    if (path == NULL || *path == '\0')
        return;
    digits[--n] = '\n';
    do {
        digits[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return;
    ssize_t w = write(fd, digits + n, sizeof digits - n);
    (void)w;
    close(fd);
}
