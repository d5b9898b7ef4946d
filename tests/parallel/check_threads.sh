#!/usr/bin/env bash
# The parallel pipeline: identical output for 1..8 threads, records in input
# order, and rejected records reported at the right place, in both error
# modes.  Usage: check_threads.sh LLAMAFMT CORPUS...
set -euo pipefail
bin=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# A few thousand records with bad ones spread through them (every 97th line
# broken in one of several ways), big enough for many batches.
python3 - "$tmp/in.jsonl" "$@" <<'PY'
import sys
out, corpora = sys.argv[1], sys.argv[2:]
lines = []
for c in corpora:
    with open(c, encoding="utf-8", newline="") as f:
        lines += [l for l in f.read().split("\n") if l.strip()]
breakers = [lambda l: l[:-1], lambda l: l.replace('"role"', '"rolle"', 1),
            lambda l: l.replace('"assistant"', '"gpt"'), lambda l: "{\"messages\": []}",
            lambda l: l + " trailing"]
res = []
for rep in range(4):
    for i, l in enumerate(lines):
        n = len(res)
        res.append(breakers[n % len(breakers)](l) if n % 97 == 13 else l)
with open(out, "w", encoding="utf-8", newline="") as f:
    f.write("\n".join(res) + "\n")
PY

for mode in skip fail; do
    for j in 1 2 3 4 8; do
        set +e
        "$bin" -j "$j" --on-error="$mode" --rejects "$tmp/rej.$mode.$j" --stats=json "$tmp/in.jsonl" \
            >"$tmp/out.$mode.$j" 2>"$tmp/err.$mode.$j"
        echo $? >"$tmp/rc.$mode.$j"
        set -e
    done
    for j in 2 3 4 8; do
        for f in out rej rc; do
            if cmp -s "$tmp/$f.$mode.1" "$tmp/$f.$mode.$j"; then ok; else bad "--on-error=$mode: $f differs between -j 1 and -j $j"; fi
        done
        # stderr: the same messages and statistics
        if cmp -s "$tmp/err.$mode.1" "$tmp/err.$mode.$j"; then ok; else bad "--on-error=$mode: stderr differs between -j 1 and -j $j"; fi
    done
done

# skip mode: the rejects are exactly the broken lines, in order, at their line numbers
if python3 - "$tmp/in.jsonl" "$tmp/rej.skip.1" "$tmp/err.skip.1" "$tmp/out.skip.1" <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8", newline="").read().split("\n")[:-1]
rej = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8").read().split("\n") if l]
stats = json.loads([l for l in open(sys.argv[3]).read().split("\n") if l.startswith("{")][-1])
want = [i + 1 for i in range(len(lines)) if i % 97 == 13]
got = [r["line"] for r in rej]
assert got == want, (got[:5], want[:5])
assert all(r["record"] == lines[r["line"] - 1] for r in rej)
assert stats["records_read"] == len(lines) == stats["samples_written"] + stats["rejected"]
outs = [l for l in open(sys.argv[4], encoding="utf-8").read().split("\n") if l]
assert len(outs) == stats["samples_written"]
PY
then ok; else bad "skip mode: rejects, positions or counts are wrong"; fi

# fail mode: stops at the first broken line (line 14), exit 1, the 13 samples before it written
first=$(head -1 "$tmp/err.fail.1")
case "$first" in
    "llamafmt: $tmp/in.jsonl:14:"*) ok ;;
    *) bad "fail mode: first error not at line 14: $first" ;;
esac
if [ "$(cat "$tmp/rc.fail.1")" = 1 ] && [ "$(wc -l <"$tmp/out.fail.1")" -eq 13 ]; then ok; else bad "fail mode: exit $(cat "$tmp/rc.fail.1"), $(wc -l <"$tmp/out.fail.1") samples"; fi

echo "threads: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
