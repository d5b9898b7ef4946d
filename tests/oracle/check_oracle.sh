#!/usr/bin/env bash
# Compare llamafmt's official-format output with the reference renderer, byte for byte.
#
# usage: check_oracle.sh LLAMAFMT_BIN RENDER_PY CORPUS [EXTRA_LLAMAFMT_ARGS...]
#
#   LLAMAFMT_BIN  the llamafmt executable; run as `LLAMAFMT_BIN -p official --no-end-of-text [EXTRA...] < CORPUS`
#   RENDER_PY     the oracle (shared/reference/render.py); run as `$PYTHON RENDER_PY < CORPUS`
#                 ($PYTHON defaults to python3; it needs jinja2 >= 3.1)
#   CORPUS        chat JSONL that the oracle renders without any error (tests/corpus/chat.jsonl)
#
# Exit status: 0 if every line matches, 1 on any failure (oracle error line, llamafmt failure,
# differing output), 2 on a usage error.  On success it prints `oracle: N passed, 0 failed`;
# on a mismatch it also shows the first differing record and both outputs.
set -euo pipefail

prog=${0##*/}

if [ "$#" -lt 3 ]; then
    echo "usage: $prog LLAMAFMT_BIN RENDER_PY CORPUS [EXTRA_LLAMAFMT_ARGS...]" >&2
    exit 2
fi

bin=$1
render=$2
corpus=$3
shift 3
python=${PYTHON:-python3}

for f in "$render" "$corpus"; do
    if [ ! -r "$f" ]; then
        echo "$prog: cannot read $f" >&2
        exit 2
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_oracle.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# 1. The oracle.  Every record of the corpus must render.
if ! "$python" "$render" <"$corpus" >"$tmp/expected"; then
    echo "$prog: FAIL: the oracle ($python $render) failed" >&2
    exit 1
fi
if grep -n '^{"error": ' "$tmp/expected" >"$tmp/errors"; then
    echo "$prog: FAIL: the oracle rejected $(wc -l <"$tmp/errors") record(s) of $corpus (the corpus must be all-renderable):" >&2
    head -n 5 "$tmp/errors" | cut -c 1-300 >&2
    exit 1
fi

# 2. llamafmt.  Its stderr is passed through.
status=0
"$bin" -p official --no-end-of-text "$@" <"$corpus" >"$tmp/actual" || status=$?
if [ "$status" -ne 0 ]; then
    echo "$prog: FAIL: $bin -p official --no-end-of-text${*:+ $*} exited with status $status" >&2
    exit 1
fi

# 3. Byte-for-byte comparison, with a line-level report.
if cmp -s "$tmp/expected" "$tmp/actual"; then
    echo "oracle: $(wc -l <"$tmp/expected" | tr -d ' ') passed, 0 failed"
    exit 0
fi

"$python" - "$corpus" "$tmp/expected" "$tmp/actual" <<'PY' || true
import sys

LIMIT = 2000   # bytes of a line shown in full; longer lines are shown around the difference
WINDOW = 300


def lines(path):
    """The file's lines, each with its "\n" terminator (a last line without one is kept as is)."""
    with open(path, "rb") as fh:
        parts = fh.read().split(b"\n")
    return [p + b"\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def show(label, line, offset=None):
    if len(line) <= LIMIT or offset is None:
        cut = LIMIT
        while 0 < cut < len(line) and 0x80 <= line[cut] < 0xC0:
            cut -= 1
        body = line if len(line) <= LIMIT else line[:cut] + b" ..."
        print("--- %s (%d bytes):" % (label, len(line)))
        print(body.decode("utf-8", "backslashreplace"))
    else:
        lo = max(0, offset - WINDOW)
        hi = min(len(line), offset + WINDOW)
        while 0 < lo < len(line) and 0x80 <= line[lo] < 0xC0:   # start/end on UTF-8 character boundaries
            lo -= 1
        while 0 < hi < len(line) and 0x80 <= line[hi] < 0xC0:
            hi += 1
        print("--- %s (%d bytes; bytes %d-%d shown):" % (label, len(line), lo, hi))
        print(("..." if lo else "") + line[lo:hi].decode("utf-8", "backslashreplace") + ("..." if hi < len(line) else ""))


inp = lines(sys.argv[1])
exp = lines(sys.argv[2])
act = lines(sys.argv[3])
n = max(len(exp), len(act))
failed = [i for i in range(n) if i >= len(exp) or i >= len(act) or exp[i] != act[i]]
print("oracle: %d passed, %d failed" % (n - len(failed), len(failed)))
if len(exp) != len(act):
    print("line count differs: oracle %d, llamafmt %d" % (len(exp), len(act)))
if failed:
    i = failed[0]
    e = exp[i] if i < len(exp) else b""
    a = act[i] if i < len(act) else b""
    off = next((k for k in range(min(len(e), len(a))) if e[k] != a[k]), min(len(e), len(a)))
    print("first differing line: %d (byte offset %d within the line)" % (i + 1, off))
    if i < len(exp) and i < len(act):
        print("oracle byte: %r, llamafmt byte: %r" % (e[off:off + 1], a[off:off + 1]))
    if i < len(inp):
        show("input record (line %d)" % (i + 1), inp[i].rstrip(b"\n"))
    for label, seq, line in (("oracle", exp, e), ("llamafmt", act, a)):
        if i >= len(seq):
            print("--- %s: (no line %d)" % (label, i + 1))
        else:
            if not line.endswith(b"\n"):
                print("(%s: line %d has no terminating newline)" % (label, i + 1))
            show(label, line.rstrip(b"\n"), off)
PY
echo "$prog: FAIL: llamafmt output differs from the oracle" >&2
exit 1
