/* walk.c - see walk.h. */
#include "llamafmt/walk.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "llamafmt/buf.h"

typedef struct walker {
    const lf_walk_opts *o;
    lf_plan *plan;
    size_t cap;
    lf_error *err;
    /* directories on the current path (dev, ino), against symlink loops */
    dev_t devs[64];
    ino_t inos[64];
    int depth;
    int have_out;           /* OUTDIR exists: never walk into it */
    dev_t out_dev;
    ino_t out_ino;
} walker;

static const char *const data_suffixes[] = {".jsonl", ".ndjson", ".json"};

/* Length of name without its codec and data suffixes, or 0 when it is not a
 * data file. */
static size_t data_stem(const char *name, lf_codec *codec)
{
    size_t n = strlen(name);
    *codec = lf_codec_of_path(name);
    n -= strlen(lf_codec_suffix(*codec));
    for (size_t i = 0; i < sizeof data_suffixes / sizeof data_suffixes[0]; i++) {
        size_t k = strlen(data_suffixes[i]);
        if (n > k && memcmp(name + n - k, data_suffixes[i], k) == 0)
            return n - k;
    }
    return 0;
}

static int has_dotdot(const char *p)
{
    for (const char *s = p; (s = strstr(s, "..")) != NULL; s += 2)
        if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
            return 1;
    return 0;
}

static char *join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    size_t slash = (na > 0 && a[na - 1] != '/') ? 1 : 0;
    char *s = malloc(na + slash + nb + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, a, na);
    if (slash)
        s[na] = '/';
    memcpy(s + na + slash, b, nb + 1);
    return s;
}

/* Add input `path` whose output is `rel` (relative to outdir) minus its suffixes. */
static lf_code add_job(walker *w, const char *path, const char *rel)
{
    lf_codec codec;
    size_t stem = data_stem(rel, &codec);
    if (stem == 0)
        stem = strlen(rel) - strlen(lf_codec_suffix(codec));
    if (has_dotdot(rel) || has_dotdot(path))
        return lf_error_set(w->err, LF_E_USAGE, "refusing a path with a '..' component: %s", path);
    lf_codec out_codec = w->o->compress >= 0 ? (lf_codec)w->o->compress : codec;
    const char *ext = w->o->text ? ".txt" : ".jsonl";
    const char *zs = lf_codec_suffix(out_codec);
    const char *outdir = w->o->outdir ? w->o->outdir : "";
    size_t no = strlen(outdir);
    char *out = malloc(no + 1 + stem + strlen(ext) + strlen(zs) + 1);
    char *in = strdup(path);
    if (out == NULL || in == NULL) {
        free(out);
        free(in);
        return lf_error_set(w->err, LF_E_NOMEM, "out of memory");
    }
    size_t k = no;
    memcpy(out, outdir, no);
    if (no > 0 && out[no - 1] != '/')
        out[k++] = '/';
    memcpy(out + k, rel, stem);
    strcpy(out + k + stem, ext);
    strcat(out, zs);
    if (w->plan->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        lf_job *v = realloc(w->plan->jobs, cap * sizeof *v);
        if (v == NULL) {
            free(out);
            free(in);
            return lf_error_set(w->err, LF_E_NOMEM, "out of memory");
        }
        w->plan->jobs = v;
        w->cap = cap;
    }
    w->plan->jobs[w->plan->n++] = (lf_job){in, out, codec, out_codec};
    return LF_OK;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walk directory `dir`; `rel` is its path relative to the root ("" for the root). */
static lf_code walk_dir(walker *w, const char *dir, const char *rel)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return lf_error_set(w->err, LF_E_IO, "%s: cannot read directory: %s", dir, strerror(errno));
    for (int i = 0; i < w->depth; i++)
        if (w->devs[i] == st.st_dev && w->inos[i] == st.st_ino)
            return LF_OK;                   /* a symlink loop: been here */
    if (w->depth == 64)
        return lf_error_set(w->err, LF_E_USAGE, "%s: directories nested more than 64 deep", dir);
    DIR *d = opendir(dir);
    if (d == NULL)
        return lf_error_set(w->err, LF_E_IO, "%s: cannot read directory: %s", dir, strerror(errno));
    w->devs[w->depth] = st.st_dev;
    w->inos[w->depth] = st.st_ino;
    w->depth++;
    char **names = NULL;
    size_t n = 0, cap = 0;
    lf_code rc = LF_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;                       /* hidden, . and .. */
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **v = realloc(names, cap * sizeof *v);
            if (v == NULL) {
                rc = lf_error_set(w->err, LF_E_NOMEM, "out of memory");
                break;
            }
            names = v;
        }
        if ((names[n] = strdup(e->d_name)) == NULL) {
            rc = lf_error_set(w->err, LF_E_NOMEM, "out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n && rc == LF_OK; i++) {
        char *path = join(dir, names[i]);
        char *sub = *rel ? join(rel, names[i]) : strdup(names[i]);
        if (path == NULL || sub == NULL) {
            rc = lf_error_set(w->err, LF_E_NOMEM, "out of memory");
        } else if (lstat(path, &st) == 0) {
            int link = S_ISLNK(st.st_mode);
            if (link && (!w->o->follow_symlinks || stat(path, &st) != 0)) {
                /* skipped: symbolic links are not followed by default */
            } else if (S_ISDIR(st.st_mode)) {
                if (!(w->have_out && st.st_dev == w->out_dev && st.st_ino == w->out_ino))
                    rc = walk_dir(w, path, sub);
            } else if (S_ISREG(st.st_mode)) {
                lf_codec codec;
                if (data_stem(names[i], &codec) > 0)
                    rc = add_job(w, path, sub);
            }
        }
        free(path);
        free(sub);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    w->depth--;
    return rc;
}

static int cmp_outputs(const void *a, const void *b)
{
    return strcmp(((const lf_job *)a)->output, ((const lf_job *)b)->output);
}

lf_code lf_plan_build(const lf_walk_opts *o, char *const *inputs, size_t n, lf_plan *plan, lf_error *err)
{
    walker w;
    memset(&w, 0, sizeof w);
    memset(plan, 0, sizeof *plan);
    w.o = o;
    w.plan = plan;
    w.err = err;
    lf_code rc = LF_OK;
    struct stat os;
    if (o->outdir != NULL && stat(o->outdir, &os) == 0) {
        w.have_out = 1;
        w.out_dev = os.st_dev;
        w.out_ino = os.st_ino;
    }
    if (n == 0)
        return lf_error_set(err, LF_E_USAGE, "%s needs input files or directories", o->outdir ? "--output-dir" : "-r");
    for (size_t i = 0; i < n && rc == LF_OK; i++) {
        const char *path = inputs[i];
        struct stat st;
        if (strcmp(path, "-") == 0)
            return lf_error_set(err, LF_E_USAGE, "%s cannot take standard input", o->outdir ? "--output-dir" : "-r");
        if (stat(path, &st) != 0) {
            lf_error_at(err, path, 0, 0);
            rc = lf_error_set(err, LF_E_IO, "cannot open: %s", strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            if (!o->recursive) {
                lf_error_at(err, path, 0, 0);
                rc = lf_error_set(err, LF_E_USAGE, "is a directory (use -r to convert the files below it)");
            } else {
                rc = walk_dir(&w, path, "");
            }
        } else {
            const char *base = strrchr(path, '/');
            rc = add_job(&w, path, base ? base + 1 : path);
        }
    }
    if (rc != LF_OK || o->outdir == NULL)
        return rc;
    /* two inputs, one output: refuse before anything is written */
    lf_job *sorted = malloc((plan->n ? plan->n : 1) * sizeof *sorted);
    if (sorted == NULL)
        return lf_error_set(err, LF_E_NOMEM, "out of memory");
    if (plan->n > 0)
        memcpy(sorted, plan->jobs, plan->n * sizeof *sorted);
    if (plan->n > 1)
        qsort(sorted, plan->n, sizeof *sorted, cmp_outputs);
    for (size_t i = 1; i < plan->n && rc == LF_OK; i++)
        if (strcmp(sorted[i - 1].output, sorted[i].output) == 0)
            rc = lf_error_set(err, LF_E_USAGE, "%s and %s would both be written to %s", sorted[i - 1].input,
                              sorted[i].input, sorted[i].output);
    free(sorted);
    /* never write over an input */
    for (size_t i = 0; i < plan->n && rc == LF_OK; i++) {
        struct stat so, si;
        if (stat(plan->jobs[i].output, &so) != 0)
            continue;
        for (size_t j = 0; j < plan->n; j++)
            if (stat(plan->jobs[j].input, &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino) {
                rc = lf_error_set(err, LF_E_USAGE, "refusing to write over the input file %s", plan->jobs[j].input);
                break;
            }
    }
    return rc;
}

void lf_plan_free(lf_plan *plan)
{
    for (size_t i = 0; i < plan->n; i++) {
        free(plan->jobs[i].input);
        free(plan->jobs[i].output);
    }
    free(plan->jobs);
    memset(plan, 0, sizeof *plan);
}

int lf_make_parents(const char *path)
{
    char *p = strdup(path);
    if (p == NULL)
        return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    free(p);
    return 0;
}
