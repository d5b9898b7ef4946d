#!/usr/bin/env python3
"""Benchmark driver behind bench/run.sh (standard library only).

run.sh finds or builds llamafmt, builds the cJSON floor and picks the Python
interpreters, then runs this script.  It can also be run directly:

    bench.py --bin build/llamafmt [--data DIR] [--reps N] [--quick] [--big]
             [--shared DIR] [--floor-bin PATH] [--ref-python PY] [--template FILE]

Steps:
 1. data: makes the inputs in --data if they are missing (see prepare_data);
 2. warm-up: runs every entry once; these outputs are the ones byte-checked;
 3. start-up: times the reference on an empty input (3 runs, median);
 4. timed rounds: REPS rounds, every entry once per round, the order rotated
    by one entry each round, so that slow drifts of the machine hit all
    entries alike;
 5. prints markdown tables (stdout) and saves raw figures as JSON in --data.

Each run is `/usr/bin/time -f '%e %M %U %S' CMD <input >output`, the output
being a file on /dev/shm when there is one.  Wall time is taken with a
monotonic clock around that call (the %e of time(1) has only 10 ms
resolution and is kept in the JSON as a cross-check); peak RSS (%M) and CPU
time (%U + %S) come from time(1).

Exit status: 0 when every byte check passes (the targets are reported, not
enforced), 1 on a mismatch or a failed llamafmt run, 2 on a setup error.
"""
import argparse
import hashlib
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TIME = "/usr/bin/time"
SEED = 20240726
MB = 1e6
BASE_FLAGS = ["-p", "official", "--no-end-of-text"]
STARTUP_RUNS = 3

# Targets, reported next to the figures (never enforced).
T_FLOOR = 2.0      # llamafmt 1 thread / naive cJSON floor
T_REF = 8.0        # llamafmt 1 thread / reference, steady state
T_THREADS = 1.7    # default threads / 1 thread
T_SHAPE = 0.20     # shapes and output forms within 20% of messages/jsonl


def log(msg):
    print("# " + msg, file=sys.stderr, flush=True)


def die(msg, code=2):
    print("bench: " + msg, file=sys.stderr)
    sys.exit(code)


def sha256_file(path, n=None):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()[:n] if n else h.hexdigest()


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            n += chunk.count(b"\n")
    return n


# ---------------------------------------------------------------------------------------------
# data

class Data:
    """Paths of the input files; `big` (the 200 MB file) is the 20 MB one under --quick."""

    def __init__(self, d, quick, want_2g):
        self.dir = d
        self.small = os.path.join(d, "chat-20mb.jsonl")
        self.full = os.path.join(d, "chat-200mb.jsonl")
        self.sharegpt = os.path.join(d, "sharegpt-20mb.jsonl")
        self.alpaca = os.path.join(d, "alpaca-20mb.jsonl")
        self.huge = os.path.join(d, "chat-2gb.jsonl")
        self.quick = quick
        self.want_2g = want_2g and not quick
        self.big = self.small if quick else self.full

    def all_names(self):
        return [self.small, self.full, self.sharegpt, self.alpaca, self.huge]


def atomic_write_from(cmd, dest):
    tmp = dest + ".tmp"
    p = subprocess.Popen(cmd + ["-o", tmp])
    return p, tmp, dest


def same_prefix(prefix_path, whole_path):
    """True if the file prefix_path is the first bytes of whole_path."""
    n = os.path.getsize(prefix_path)
    if os.path.getsize(whole_path) < n:
        return False
    with open(prefix_path, "rb") as a, open(whole_path, "rb") as b:
        left = n
        while left:
            k = min(left, 1 << 22)
            if a.read(k) != b.read(k):
                return False
            left -= k
    return True


def write_prefix(src, dest, target_bytes):
    """First lines of src until their total reaches target_bytes (the generators' own stop rule)."""
    tmp = dest + ".tmp"
    done = 0
    with open(src, "rb") as fi, open(tmp, "wb") as fo:
        for line in fi:
            fo.write(line)
            done += len(line)
            if done >= target_bytes:
                break
    os.replace(tmp, dest)


def prepare_data(data, shared, py):
    os.makedirs(data.dir, exist_ok=True)
    if shared:
        gen = os.path.join(shared, "gen_data.py")
        source = "shared gen_data.py %s seed %d" % (sha256_file(gen, 16), SEED)
    else:
        gen = os.path.join(HERE, "gen_chat.py")
        source = "bench/gen_chat.py %s seed %d" % (sha256_file(gen, 16), SEED)
    stamp = os.path.join(data.dir, "SOURCE")
    old = open(stamp).read().strip() if os.path.exists(stamp) else None
    if old != source:
        if old is not None:
            log("data in %s was made by '%s'; regenerating with '%s'" % (data.dir, old, source))
        for p in data.all_names():
            if os.path.exists(p):
                os.unlink(p)
        with open(stamp, "w") as f:
            f.write(source + "\n")

    def gen_cmd(fmt, size):
        return [py, gen, "--format", fmt, "--size-mb", str(size), "--seed", str(SEED)]

    jobs = []
    if not data.quick and not os.path.exists(data.full):
        log("generating %s (200 MB, about 10-30 s)" % data.full)
        jobs.append(atomic_write_from(gen_cmd("messages", 200), data.full))
    elif data.quick and not os.path.exists(data.small) and not os.path.exists(data.full):
        log("generating %s" % data.small)
        jobs.append(atomic_write_from(gen_cmd("messages", 20), data.small))
    for path, fmt in ((data.sharegpt, "sharegpt"), (data.alpaca, "alpaca")):
        if not os.path.exists(path):
            log("generating %s" % path)
            jobs.append(atomic_write_from(gen_cmd(fmt, 20), path))
    for p, tmp, dest in jobs:
        if p.wait() != 0:
            die("data generator failed for %s" % dest)
        os.replace(tmp, dest)

    # the 20 MB file is the first 20 MB of the 200 MB one (same content mix)
    if os.path.exists(data.full):
        if not os.path.exists(data.small) or not same_prefix(data.small, data.full):
            log("writing %s (first 20 MB of %s)" % (data.small, os.path.basename(data.full)))
            write_prefix(data.full, data.small, int(20 * MB))
    if data.want_2g:
        want = 10 * os.path.getsize(data.full)
        if not os.path.exists(data.huge) or os.path.getsize(data.huge) != want \
                or os.path.getmtime(data.huge) < os.path.getmtime(data.full):
            log("writing %s (the 200 MB file 10 times)" % data.huge)
            tmp = data.huge + ".tmp"
            with open(tmp, "wb") as fo:
                for _ in range(10):
                    with open(data.full, "rb") as fi:
                        shutil.copyfileobj(fi, fo, 1 << 22)
            os.replace(tmp, data.huge)
    return source


# ---------------------------------------------------------------------------------------------
# running

class Entry:
    def __init__(self, key, label, argv, inp, kind, flags="", env=None):
        self.key = key          # short id
        self.label = label      # table label
        self.argv = argv
        self.inp = inp
        self.kind = kind        # llamafmt | reference | floor
        self.flags = flags      # shown in the table
        self.env = env
        self.runs = []
        self.failed = None      # error text
        self.out = None         # warm-up output path


def run_once(argv, inp, outp, sink, env=None):
    tfile = os.path.join(sink, "time.txt")
    errp = outp + ".err"
    with open(inp, "rb") as fi, open(outp, "wb") as fo, open(errp, "wb") as fe:
        t0 = time.perf_counter()
        rc = subprocess.call([TIME, "-f", "%e %M %U %S", "-o", tfile] + argv,
                             stdin=fi, stdout=fo, stderr=fe, env=env)
        wall = time.perf_counter() - t0
    with open(errp, "rb") as f:
        err = f.read()[-1500:].decode("utf-8", "replace").strip()
    os.unlink(errp)
    r = {"wall": wall, "rc": rc, "err": err, "time_e": None, "rss_kib": 0, "cpu": 0.0}
    try:
        with open(tfile) as f:
            fields = f.read().strip().splitlines()[-1].split()
        r["time_e"] = float(fields[0])
        r["rss_kib"] = int(fields[1])
        r["cpu"] = float(fields[2]) + float(fields[3])
    except (OSError, IndexError, ValueError):
        pass
    return r


def help_text(binary):
    try:
        p = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30)
        return p.stdout + p.stderr
    except (OSError, subprocess.SubprocessError) as e:
        die("cannot run %s --help: %s" % (binary, e))


def version_text(binary):
    try:
        p = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
        return (p.stdout.strip().splitlines() or ["?"])[0]
    except (OSError, subprocess.SubprocessError):
        return "?"


def has_jobs_option(help_txt):
    return re.search(r"(?<![\w-])-j\b", help_txt) is not None


def output_forms(help_txt):
    """Extra -t forms listed in --help, looked up in the --to paragraph when there is one."""
    lines = help_txt.splitlines()
    block = help_txt
    for i, line in enumerate(lines):
        if re.search(r"--to(?![\w-])", line):
            indent = len(line) - len(line.lstrip())
            j = i + 1
            while j < len(lines) and lines[j].strip() and \
                    (len(lines[j]) - len(lines[j].lstrip()) > indent + 4 or not lines[j].lstrip().startswith("-")):
                j += 1
            block = "\n".join(lines[i:j])
            break
    return [f for f in ("segments", "prompt-completion") if re.search(r"(?<![\w-])" + re.escape(f) + r"(?![\w-])", block)]


# ---------------------------------------------------------------------------------------------
# byte checks

def iter_lines(path, times=1):
    for _ in range(times):
        with open(path, "rb") as f:
            yield from f


def first_diff(expected_lines, got_lines):
    """(line number, expected line, got line) of the first difference, or None."""
    for n, (a, b) in enumerate(itertools.zip_longest(expected_lines, got_lines), 1):
        if a != b:
            return n, a if a is not None else b"", b if b is not None else b""
    return None


def nth_line(path, n):
    with open(path, "rb") as f:
        for i, line in enumerate(f, 1):
            if i == n:
                return line
    return b""


def describe(n, a, b, what_a, what_b, inp, dump_prefix):
    k = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
    lo = max(0, k - 40)
    rec = nth_line(inp, n) if inp else b""

    def show(blob):  # readable, and exact: bytes that are not UTF-8 come out as \xNN
        return repr(blob.decode("utf-8", "backslashreplace"))

    lines = [
        "first difference: record (line) %d, byte %d of the line (excerpts from byte %d)" % (n, k, lo),
        "    %-10s %s" % (what_a + ":", show(a[lo:k + 60])),
        "    %-10s %s" % (what_b + ":", show(b[lo:k + 60])),
    ]
    if inp:
        lines.append("    input line %d of %s (%d bytes): %s%s" % (
            n, os.path.basename(inp), len(rec), show(rec[:240]), "..." if len(rec) > 240 else ""))
    if dump_prefix:
        for suffix, blob in (("expected", a), ("got", b), ("input", rec)):
            with open("%s.%s.jsonl" % (dump_prefix, suffix), "wb") as f:
                f.write(blob)
        lines.append("    full lines saved as %s.{expected,got,input}.jsonl" % dump_prefix)
    return "\n".join(lines)


class Checks:
    def __init__(self, dump_dir):
        self.items = []  # (name, status PASS|MISMATCH|SKIPPED|FAILED, detail)
        self.dump_dir = dump_dir

    def add(self, name, status, detail=""):
        self.items.append((name, status, detail))
        log("check %s: %s%s" % (name, status, (" - " + detail.splitlines()[0]) if detail else ""))

    def compare(self, name, expected, got, what_a, what_b, inp, times=1, inp_times=1):
        """got (one file) must equal expected (a file, read `times` times) byte for byte."""
        d = first_diff(iter_lines(expected, times), iter_lines(got))
        if d is None:
            self.add(name, "PASS", "%s, %d bytes" % (what_b, os.path.getsize(got)))
            return
        n, a, b = d
        if inp and inp_times > 1:
            inp = None  # line numbers of a repeated file are not useful to look up
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        self.add(name, "MISMATCH", describe(n, a, b, what_a, what_b, inp,
                                            os.path.join(self.dump_dir, "mismatch-" + slug)))

    def failed(self):
        return any(s in ("MISMATCH", "FAILED") for _, s, _ in self.items)


def check_text_form(checks, jsonl_out, text_out, inp):
    """-t text must be each record's "text" value followed by "\\n"."""
    with open(jsonl_out, "rb") as fj, open(text_out, "rb") as ft:
        for n, line in enumerate(fj, 1):
            want = json.loads(line)["text"].encode("utf-8") + b"\n"
            got = ft.read(len(want))
            if got != want:
                checks.add("-t text = decoded jsonl", "MISMATCH",
                           describe(n, want, got, "expected", "got", inp,
                                    os.path.join(checks.dump_dir, "mismatch-text-form")))
                return
        extra = ft.read(64)
        if extra:
            checks.add("-t text = decoded jsonl", "MISMATCH", "text output has extra bytes after the last sample: %r" % extra)
            return
    checks.add("-t text = decoded jsonl", "PASS", "%d bytes" % os.path.getsize(text_out))


FORM_JOIN = {  # how each JSON output form gives back the whole sample
    "prompt-completion": lambda o: o["prompt"] + o["completion"],
    "segments": lambda o: "".join(seg["text"] for seg in o["segments"]),
}


def check_form_join(checks, form, jsonl_out, form_out, inp):
    """-t prompt-completion / segments: the pieces of each line, joined, must be the jsonl "text"."""
    name = "-t %s joined = jsonl text" % form
    join = FORM_JOIN[form]
    with open(jsonl_out, "rb") as fj, open(form_out, "rb") as ff:
        for n, (lj, lf) in enumerate(itertools.zip_longest(fj, ff), 1):
            if lj is None or lf is None:
                checks.add(name, "MISMATCH", "line counts differ: %s ends at line %d" % ("jsonl" if lj is None else form, n))
                return
            want = json.loads(lj)["text"]
            try:
                got = join(json.loads(lf))
            except (ValueError, KeyError, TypeError) as e:
                checks.add(name, "MISMATCH", "line %d of the %s output does not have the documented shape: %s" % (n, form, e))
                return
            if got != want:
                checks.add(name, "MISMATCH", describe(n, want.encode("utf-8", "surrogatepass"), got.encode("utf-8", "surrogatepass"),
                                                      "jsonl", form, inp,
                                                      os.path.join(checks.dump_dir, "mismatch-form-" + form)))
                return
    checks.add(name, "PASS", "%d bytes" % os.path.getsize(form_out))


def to_messages(shape, src, dest):
    """Rewrite a sharegpt or alpaca file as messages JSONL, the way llamafmt's README maps them."""
    roles = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
             "model": "assistant", "system": "system"}
    with open(src, encoding="utf-8") as fi, open(dest, "w", encoding="utf-8", newline="\n") as fo:
        for line in fi:
            if not line.strip():
                continue
            rec = json.loads(line)
            msgs = []
            if shape == "sharegpt":
                if rec.get("system"):
                    msgs.append({"role": "system", "content": rec["system"]})
                msgs += [{"role": roles[t["from"]], "content": t["value"]} for t in rec["conversations"]]
            else:
                if rec.get("system"):
                    msgs.append({"role": "system", "content": rec["system"]})
                for q, a in rec.get("history") or []:
                    msgs += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
                user = rec["instruction"] + ("\n\n" + rec["input"] if rec.get("input") else "")
                msgs += [{"role": "user", "content": user}, {"role": "assistant", "content": rec["output"]}]
            fo.write(json.dumps({"messages": msgs}, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------------------------
# summary

def summarize(e):
    rs = [r for r in e.runs if r["rc"] == 0]
    if not rs:
        return None
    size = os.path.getsize(e.inp)
    walls = [r["wall"] for r in rs]
    rates = [size / MB / w for w in walls]
    return {
        "n": len(rs),
        "wall": statistics.median(walls),
        "mbs": statistics.median(rates),
        "mbs_min": min(rates),
        "mbs_max": max(rates),
        "rss": max(r["rss_kib"] for r in rs) / 1024,
        "cpu_wall": statistics.median(r["cpu"] / r["wall"] for r in rs),
        "cpu": statistics.median(r["cpu"] for r in rs),
        "mbs_cpu": size / MB / statistics.median(r["cpu"] for r in rs) if all(r["cpu"] > 0 for r in rs) else None,
    }


def fmt_rate(x):
    return "%.0f" % x if x >= 100 else "%.1f" % x


def verdict(value, lo, hi=None):
    if value is None:
        return "n/a"
    if hi is None:
        return "met" if value >= lo else "**not met**"
    if lo <= value <= hi:
        return "met"
    return "met (faster)" if value > hi else "**not met**"


def main():
    ap = argparse.ArgumentParser(description="llamafmt benchmark driver (normally started by bench/run.sh)")
    ap.add_argument("--bin", required=True, help="llamafmt binary")
    ap.add_argument("--data", default=os.path.join(HERE, "data"), help="data directory (default bench/data)")
    ap.add_argument("--reps", type=int, default=None, help="timed rounds (default 5, 2 with --quick)")
    ap.add_argument("--quick", action="store_true", help="20 MB inputs only, 2 rounds")
    ap.add_argument("--big", action="store_true", help="also a 2 GB input (the 200 MB file 10 times)")
    ap.add_argument("--shared", default="", help="shared bench folder (gen_data.py, peers/); empty: own generator")
    ap.add_argument("--floor-bin", default="", help="built floor_cjson; empty: no floor")
    ap.add_argument("--ref-python", default="", help="Python with jinja2 for peers/py_jinja2.py; empty: no reference")
    ap.add_argument("--template", default="", help="llama-3.1-instruct.jinja for the reference")
    a = ap.parse_args()

    reps = a.reps if a.reps is not None else (2 if a.quick else 5)
    if reps < 1:
        die("--reps must be at least 1")
    if not os.access(TIME, os.X_OK):
        die("%s not found: install GNU time (Debian: apt-get install -y time)" % TIME)
    binary = os.path.abspath(a.bin)
    if not os.access(binary, os.X_OK):
        die("llamafmt binary %s is not executable" % binary)
    shared = os.path.abspath(a.shared) if a.shared else ""
    data = Data(os.path.abspath(a.data), a.quick, a.big)
    if a.big and a.quick:
        log("--big is ignored with --quick")
    py = sys.executable

    t_start = time.time()
    load_start = os.getloadavg()[0]
    data_source = prepare_data(data, shared, py)

    help_txt = help_text(binary)
    jobs = has_jobs_option(help_txt)
    forms = output_forms(help_txt)
    version = version_text(binary)

    ref_script = os.path.join(shared, "peers", "py_jinja2.py") if shared else ""
    use_ref = bool(shared and a.ref_python and os.path.exists(ref_script))
    ref_env = dict(os.environ)
    if a.template:
        ref_env["LLAMA31_TEMPLATE"] = os.path.abspath(a.template)
    use_floor = bool(a.floor_bin and os.access(a.floor_bin, os.X_OK))

    base = [binary] + BASE_FLAGS
    one = ["-j", "1"] if jobs else []
    one_label = "llamafmt -j 1" if jobs else "llamafmt, 1 thread (no -j: as is)"
    dflt_label = "llamafmt, default threads" if jobs else "llamafmt, default threads (same command)"
    E = []
    E.append(Entry("one", one_label, base + one, data.big, "llamafmt", " ".join(one)))
    E.append(Entry("dflt", dflt_label, base, data.big, "llamafmt"))
    if not data.quick:
        E.append(Entry("dflt20", "llamafmt, default threads", base, data.small, "llamafmt"))
    if use_ref:
        E.append(Entry("ref", "reference: Python + jinja2", [a.ref_python, ref_script], data.small, "reference",
                       "peers/py_jinja2.py", env=ref_env))
    if use_floor:
        E.append(Entry("floor", "floor: naive cJSON", [os.path.abspath(a.floor_bin)], data.big, "floor",
                       "floor_cjson.c, cc -O2"))
    E.append(Entry("sharegpt", "llamafmt, sharegpt shape", base + ["-f", "auto"], data.sharegpt, "llamafmt", "-f auto"))
    E.append(Entry("alpaca", "llamafmt, alpaca shape", base + ["-f", "auto"], data.alpaca, "llamafmt", "-f auto"))
    E.append(Entry("text", "llamafmt, text form", base + ["-t", "text"], data.big, "llamafmt", "-t text"))
    for f in forms:
        E.append(Entry("form:" + f, "llamafmt, %s form" % f, base + ["-t", f], data.big, "llamafmt", "-t " + f))
    if data.want_2g:
        E.append(Entry("dflt2g", "llamafmt, default threads", base, data.huge, "llamafmt"))
    by = {e.key: e for e in E}

    shm = "/dev/shm"
    sink_parent = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else data.dir
    sink = tempfile.mkdtemp(prefix="llamafmt-bench-", dir=sink_parent)
    checks = Checks(data.dir)
    for p in glob_mismatch(data.dir):
        os.unlink(p)
    startup = None
    startup_cpu = None
    try:
        inputs = sorted(set(e.inp for e in E))
        for p in inputs:  # page cache
            with open(p, "rb") as f:
                while f.read(1 << 22):
                    pass
        sizes = {p: os.path.getsize(p) for p in inputs}
        records = {p: count_lines(p) for p in inputs}

        # ---- warm-up round: its outputs are the ones checked
        log("warm-up round (%d entries)" % len(E))
        for e in E:
            e.out = os.path.join(sink, e.key.replace(":", "_") + ".out")
            r = run_once(e.argv, e.inp, e.out, sink, e.env)
            if r["rc"] != 0:
                e.failed = "exit %d: %s" % (r["rc"], r["err"][-400:])
                log("%s FAILED on %s: %s" % (e.label, os.path.basename(e.inp), e.failed))

        # ---- byte checks
        log("byte checks")

        def ok(k):
            return k in by and not by[k].failed

        for e in E:
            if e.failed and e.kind == "llamafmt":
                checks.add("run: %s on %s" % (e.label, os.path.basename(e.inp)), "FAILED", e.failed)
            elif e.failed:
                checks.add("run: %s" % e.label, "SKIPPED", "the %s failed (%s); its checks are skipped" % (e.kind, e.failed))
        ck20 = "dflt20" if "dflt20" in by else "dflt"
        if ok("ref") and ok(ck20):
            checks.compare("llamafmt = reference, %s" % os.path.basename(data.small),
                           by["ref"].out, by[ck20].out, "reference", "llamafmt", data.small)
        elif "ref" not in by:
            checks.add("llamafmt = reference", "SKIPPED", "no reference (needs the shared bench folder and python3-jinja2)")
        if ok("one") and ok("dflt"):
            checks.compare("1 thread = default threads, %s" % os.path.basename(data.big),
                           by["one"].out, by["dflt"].out, "1 thread", "default", data.big)
        if ok("floor") and ok("one"):
            checks.compare("llamafmt = floor (cJSON), %s" % os.path.basename(data.big),
                           by["floor"].out, by["one"].out, "floor", "llamafmt", data.big)
        elif "floor" not in by:
            checks.add("llamafmt = floor", "SKIPPED", "no floor (needs the shared bench folder and libcjson-dev)")
        # extra consistency checks (cheap, and a difference would be a bug too)
        if ok("text") and ok("dflt"):
            check_text_form(checks, by["dflt"].out, by["text"].out, data.big)
        for f in forms:
            if f in FORM_JOIN and ok("form:" + f) and ok("dflt"):
                check_form_join(checks, f, by["dflt"].out, by["form:" + f].out, data.big)
        if ok("dflt2g") and ok("dflt"):
            checks.compare("2 GB output = 200 MB output x 10", by["dflt"].out, by["dflt2g"].out,
                           "200MB x10", "2 GB", data.huge, times=10, inp_times=10)
        if use_ref:
            for shape in ("sharegpt", "alpaca"):
                if not ok(shape):
                    continue
                conv = os.path.join(sink, shape + ".as-messages.jsonl")
                to_messages(shape, by[shape].inp, conv)
                refout = os.path.join(sink, shape + ".ref.out")
                r = run_once([a.ref_python, ref_script], conv, refout, sink, ref_env)
                if r["rc"] != 0:
                    checks.add("%s = reference on the same conversations" % shape, "SKIPPED",
                               "reference failed: " + r["err"][-300:])
                    continue
                checks.compare("%s = reference on the same conversations" % shape, refout, by[shape].out,
                               "reference", "llamafmt", by[shape].inp)
                os.unlink(conv)
                os.unlink(refout)
        for e in E:  # free the tmpfs
            if e.out and os.path.exists(e.out):
                os.unlink(e.out)

        # ---- start-up of the reference on an empty input
        if ok("ref"):
            empty = os.path.join(sink, "empty.jsonl")
            open(empty, "wb").close()
            sr = [run_once(by["ref"].argv, empty, os.path.join(sink, "startup.out"), sink, ref_env)
                  for _ in range(STARTUP_RUNS)]
            startup = statistics.median(r["wall"] for r in sr)
            startup_cpu = statistics.median(r["cpu"] for r in sr)
            log("reference start-up on an empty input: %.3f s (%.2f s CPU)" % (startup, startup_cpu))

        # ---- timed rounds
        live = [e for e in E if not e.failed]
        for rnd in range(reps):
            k = rnd % len(live) if live else 0
            for e in live[k:] + live[:k]:
                outp = os.path.join(sink, "timed.out")
                r = run_once(e.argv, e.inp, outp, sink, e.env)
                os.unlink(outp)
                if r["rc"] != 0 and e.kind == "llamafmt":
                    checks.add("run: %s, round %d" % (e.label, rnd + 1), "FAILED", "exit %d: %s" % (r["rc"], r["err"][-300:]))
                e.runs.append(r)
            log("round %d/%d done (%.0f s)" % (rnd + 1, reps, time.time() - t_start))
    finally:
        shutil.rmtree(sink, ignore_errors=True)

    # ---- report
    S = {e.key: summarize(e) for e in E}

    def rate(k):
        return S[k]["mbs"] if S.get(k) else None

    def ratio(x, y):
        return x / y if x is not None and y else None

    def f2(x):
        return "n/a" if x is None else "%.2f×" % x

    print("## llamafmt benchmark, %s\n" % time.strftime("%Y-%m-%d %H:%M:%S %Z"))
    print("- host: %s, %d CPUs (%s), %.0f GiB RAM, kernel %s; load average %.2f at start, %.2f at end" % (
        platform.node(), os.cpu_count() or 0, cpu_model(), mem_gib(), platform.release(), load_start,
        os.getloadavg()[0]))
    print("- llamafmt: `%s` (%s), flags `%s`; `-j` in --help: %s; extra -t forms in --help: %s" % (
        binary, version, " ".join(BASE_FLAGS), "yes" if jobs else "no", ", ".join(forms) or "none"))
    if use_ref:
        print("- reference: `%s %s`, %s, template %s (sha256 %s…)" % (
            a.ref_python, ref_script, py_version(a.ref_python),
            ref_env.get("LLAMA31_TEMPLATE", "(peer's default)"),
            sha256_file(ref_env["LLAMA31_TEMPLATE"], 16) if "LLAMA31_TEMPLATE" in ref_env else "?"))
    else:
        print("- reference: not available (%s)" % ("no shared bench folder" if not shared else "no Python with jinja2"))
    print("- data: %s (%s); %s" % (data.dir, data_source, "; ".join(
        "%s %.1f MB / %d records" % (os.path.basename(p), sizes[p] / MB, records[p]) for p in inputs)))
    print("- %d timed round%s after 1 warm-up round, entries interleaved round-robin, order rotated each round;"
          " outputs written to files in %s" % (reps, "" if reps == 1 else "s", sink_parent))
    print("- MB/s = input MB (10^6 bytes) / wall time; median and min–max over the rounds;"
          " peak RSS = largest maximum resident set size over the rounds; CPU/wall = (user + sys) / wall, median\n")

    print("| entry | flags | input | MB/s (median) | MB/s min–max | wall s (median) | peak RSS MiB | CPU/wall | MB/CPU-s |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for e in E:
        s = S[e.key]
        if s is None:
            print("| %s | %s | %s | FAILED | | | | | |" % (e.label, e.flags, os.path.basename(e.inp)))
            continue
        print("| %s | %s | %s | **%s** | %s–%s | %.3f | %.1f | %.2f | %s |" % (
            e.label, e.flags, os.path.basename(e.inp), fmt_rate(s["mbs"]), fmt_rate(s["mbs_min"]),
            fmt_rate(s["mbs_max"]), s["wall"], s["rss"], s["cpu_wall"],
            fmt_rate(s["mbs_cpu"]) if s["mbs_cpu"] else "n/a"))

    def crate(k):
        return S[k]["mbs_cpu"] if S.get(k) else None

    ref_steady = ref_steady_cpu = None
    if S.get("ref") and startup is not None:
        ref_steady = sizes[data.small] / MB / max(S["ref"]["wall"] - startup, 1e-9)
        if S["ref"]["cpu"] > startup_cpu:
            ref_steady_cpu = sizes[data.small] / MB / (S["ref"]["cpu"] - startup_cpu)
    big_name = os.path.basename(data.big)
    small_base = "dflt20" if "dflt20" in by else "dflt"
    rows = []  # (label, by wall, by CPU time, target, verdict on the wall figure)
    x = ratio(rate("one"), rate("floor"))
    rows.append(("llamafmt 1 thread / floor (naive cJSON), both on %s" % big_name,
                 x, ratio(crate("one"), crate("floor")), "≥ %g×" % T_FLOOR, verdict(x, T_FLOOR)))
    x = ratio(rate("one"), ref_steady)
    rows.append(("llamafmt 1 thread on %s / reference steady state¹ on %s" % (big_name, os.path.basename(data.small)),
                 x, ratio(crate("one"), ref_steady_cpu), "≥ %g×" % T_REF, verdict(x, T_REF)))
    x = ratio(rate("dflt"), rate("one"))
    rows.append(("default threads / 1 thread, %s%s" % (big_name, "" if jobs else " (binary has no -j: same command twice)"),
                 x, "—", "≥ %g×" % T_THREADS, verdict(x, T_THREADS)))
    for shape in ("sharegpt", "alpaca"):
        x = ratio(rate(shape), rate(small_base))
        rows.append(("%s / messages, 20 MB each, default threads" % shape, x, ratio(crate(shape), crate(small_base)),
                     "within %d%%" % (T_SHAPE * 100), verdict(x, 1 - T_SHAPE, 1 + T_SHAPE)))
    for e in E:
        if e.key == "text" or e.key.startswith("form:"):
            x = ratio(rate(e.key), rate("dflt"))
            rows.append(("%s / jsonl, %s, default threads" % (e.flags, big_name), x, ratio(crate(e.key), crate("dflt")),
                         "within %d%%" % (T_SHAPE * 100), verdict(x, 1 - T_SHAPE, 1 + T_SHAPE)))
    print("\n| ratio of medians | by wall time (MB/s) | by CPU time² (MB/CPU-s) | target | verdict (wall) |")
    print("|---|---:|---:|---|---|")
    for label, value, cvalue, target, v in rows:
        print("| %s | **%s** | %s | %s | %s |" % (label, f2(value), cvalue if isinstance(cvalue, str) else f2(cvalue),
                                               target, v))

    if ref_steady is not None:
        print("\n¹ reference steady state = %.1f MB / (%.3f s median wall − %.3f s start-up) = %.1f MB/s; start-up = median"
              " wall of %d runs on an empty input (interpreter, imports, template compile)" % (
                  sizes[data.small] / MB, S["ref"]["wall"], startup, ref_steady, STARTUP_RUNS))
    else:
        print("\n¹ no reference figures in this run")
    print("\n² the same ratio from CPU time (user + sys) instead of wall time: less sensitive to other work on the"
          " machine, but time(1) counts CPU in 10 ms steps, so it is coarse for runs under a second; it does not apply"
          " to the threads ratio. The targets are judged on wall time.")

    rss_rows = [(k, n) for k, n in ((small_base, "20 MB"), ("dflt" if not data.quick else None, "200 MB"),
                                    ("dflt2g", "2 GB")) if k and S.get(k)]
    if rss_rows:
        base_rss = S[rss_rows[0][0]]["rss"]
        print("\n| peak RSS, llamafmt default threads | MiB | vs 20 MB |")
        print("|---|---:|---:|")
        for k, n in rss_rows:
            print("| %s (%s) | %.1f | %.2f× |" % (n, os.path.basename(by[k].inp), S[k]["rss"], S[k]["rss"] / base_rss))
        print("\n(no target: memory should stay flat, bounded by the largest record and the read block, not by the file size)")

    busy = [S[k]["cpu_wall"] for k in ("ref", "floor", "one") if S.get(k)]
    if busy and max(busy) < 0.80:
        print("\n**Warning: the machine was busy.** The single-threaded entries got only %.2f of a core"
              " (median CPU/wall; about 0.85–0.97 on an idle machine), so every figure above is"
              " depressed and noisy; ratios are less affected than MB/s. Re-run on an idle machine to quote figures." % max(busy))
    print("\nTargets are reported, not enforced. Run-to-run noise on a shared 2-vCPU VM is about ±10–15% on a median,"
          " so treat a ratio within about 15% of its target as a tie.\n")
    print("### Byte checks (warm-up outputs)\n")
    for name, status, detail in checks.items:
        if detail and "\n" in detail:
            print("- **%s**: %s\n\n```\n%s\n```\n" % (status, name, detail))
        else:
            print("- **%s**: %s%s" % (status, name, (" (%s)" % detail) if detail else ""))
    bad = checks.failed()
    print("\nRESULT: %s  (total %.0f s)" % ("FAIL (see the checks above)" if bad else "all byte checks passed",
                                           time.time() - t_start))

    res = os.path.join(data.dir, time.strftime("results-%Y%m%d-%H%M%S.json"))
    with open(res, "w") as f:
        json.dump({"binary": binary, "version": version, "reps": reps, "quick": data.quick, "startup_ref": startup, "startup_ref_cpu": startup_cpu,
                   "ref_steady_mbs": ref_steady, "sizes": sizes, "records": records,
                   "entries": [{"key": e.key, "label": e.label, "argv": e.argv, "input": e.inp, "failed": e.failed,
                                "summary": S[e.key], "runs": e.runs} for e in E],
                   "ratios": [{"ratio": r[0], "wall": r[1], "cpu": None if isinstance(r[2], str) else r[2], "target": r[3]}
                              for r in rows],
                   "checks": checks.items}, f, indent=1)
    log("raw figures saved in %s" % res)
    return 1 if bad else 0


def glob_mismatch(d):
    return [os.path.join(d, n) for n in os.listdir(d) if n.startswith("mismatch-") and n.endswith(".jsonl")]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def mem_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    return int(line.split()[1]) / 2 ** 20
    except OSError:
        pass
    return 0.0


def py_version(py):
    try:
        p = subprocess.run([py, "-c", "import sys, jinja2; print('Python', sys.version.split()[0], '+ jinja2', jinja2.__version__)"],
                           capture_output=True, text=True, timeout=30)
        return p.stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


if __name__ == "__main__":
    sys.exit(main())
