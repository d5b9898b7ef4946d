#!/usr/bin/env bash
# Record accounting on a big input with ~1% of its lines corrupted.
#
# usage: accounting.sh LLAMAFMT_BIN
#
# Generates a large `messages` JSONL file (shared/bench/gen_data.py beside
# the repository when it is there, else an inline generator; both seeded),
# corrupts about 1% of its lines in assorted ways (seeded: truncation,
# invalid UTF-8, bad escapes, wrong types and roles, missing assistant turn,
# special tokens, duplicate keys, non-object records, trailing garbage, raw
# control bytes) and sprinkles blank and CRLF lines in, then runs
#   llamafmt --on-error=skip --rejects r.jsonl --stats=json -o out.jsonl
# and checks that
#   - records_read == samples_written + rejected, and the reasons add up;
#   - records_read == the number of non-blank lines;
#   - r.jsonl has exactly the corrupted lines, each verbatim ("record", or
#     "record_base64" decoded) with its own line number;
#   - out.jsonl is byte-identical to converting only the good lines;
#   - with -v, every rejection is one positioned line on standard error.
#
# LLAMAFMT_ACCOUNTING_MB sets the size (default 50).  Needs bash, coreutils
# and python3 (or $PYTHON).  Prints one line per failure, and finally exactly
# `accounting: N passed, M failed`; exits 1 when M > 0, 2 on a usage error.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/harness.sh
. "$HERE/../lib/harness.sh"
harness_args "$@"

REPO=$(cd "$HERE/../.." && pwd)
BENCH=$REPO/../shared/bench
MB=${LLAMAFMT_ACCOUNTING_MB:-50}

harness_tmp accounting

# stat_of KEY: a number from the --stats=json line on stderr
stat_of() {
    grep -a '^{"files": ' err | tail -n 1 | sed -n "s/.*\"$1\": \([0-9][0-9]*\).*/\1/p"
}

# ------------------------------------------------------------------ input

t0=$SECONDS
if [ -f "$BENCH/gen_data.py" ]; then
    "$PY" "$BENCH/gen_data.py" --format messages --size-mb "$MB" --seed 1 -o clean.jsonl >gen.log 2>&1 ||
        cat gen.log
else
    echo "note: $BENCH/gen_data.py not found: using the inline generator"
    "$PY" - "$MB" <<'EOF'
import json, random, sys
rnd = random.Random(1)
target = float(sys.argv[1]) * 1e6
words = ("the of and to chat model data token prompt answer question 한국어 데이터 모델 "
         "café naïve 😀 \"quoted\" back\\slash tab\there line\nbreak").split(" ")
size = 0
with open("clean.jsonl", "w", encoding="utf-8") as f:
    while size < target:
        msgs = []
        if rnd.random() < 0.3:
            msgs.append({"role": "system", "content": " ".join(rnd.choices(words, k=rnd.randint(3, 30)))})
        for _ in range(rnd.randint(1, 4)):
            msgs.append({"role": "user", "content": " ".join(rnd.choices(words, k=rnd.randint(1, 400)))})
            msgs.append({"role": "assistant", "content": " ".join(rnd.choices(words, k=rnd.randint(1, 800)))})
        line = json.dumps({"messages": msgs}, ensure_ascii=rnd.random() < 0.3) + "\n"
        f.write(line)
        size += len(line.encode("utf-8"))
EOF
fi
[ -s clean.jsonl ] || {
    echo "${0##*/}: could not generate the input" >&2
    exit 2
}

# Corrupt ~1% of the lines (seeded), add blank and CRLF lines.  Writes
# input.jsonl, good.jsonl (the good records only) and bad.txt (one
# "LINE KIND" per corrupted line, LINE counted in input.jsonl).
"$PY" - <<'EOF'
import json, random
rnd = random.Random(20240726)
SPECIAL = "<|eot_id|>"

def as_json(obj):
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")

def in_content(line, insert):
    # put `insert` (raw bytes) right after the opening quote of the first content value
    key = b'"content":'
    i = line.find(key)
    if i < 0:
        return None
    j = line.find(b'"', i + len(key))
    return line[:j + 1] + insert + line[j + 1:]

def k_truncate(line, obj):
    return line[:rnd.randint(1, len(line) - 1)]
def k_utf8(line, obj):
    return in_content(line, rnd.choice([b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\x80", b"\xf5\x80\x80\x80", b"\xe0\x80\x80"]))
def k_escape(line, obj):
    return in_content(line, rnd.choice([b"\\u0000", b"\\ud800", b"\\udc00x", b"\\uZZZZ", b"\\x"]))
def k_control(line, obj):
    return in_content(line, rnd.choice([b"\x00", b"\x01", b"\x1f"]))
def k_role(line, obj):
    obj["messages"][-1]["role"] = rnd.choice(["gpt", "human", "Assistant", ""])
    return as_json(obj)
def k_no_assistant(line, obj):
    obj["messages"] = [m for m in obj["messages"] if m["role"] != "assistant"]
    return as_json(obj)
def k_type(line, obj):
    v = rnd.choice([None, "text", 3, {"role": "user"}])
    if rnd.random() < 0.5:
        obj["messages"] = v
    else:
        obj["messages"][0]["content"] = rnd.choice([None, 3, True])
    return as_json(obj)
def k_special(line, obj):
    obj["messages"][-1]["content"] += " " + rnd.choice([SPECIAL, "<|end_of_text|>", "<|reserved_special_token_7|>"])
    return as_json(obj)
def k_dup(line, obj):
    return b'{"messages": [], ' + line[1:]
def k_not_object(line, obj):
    return rnd.choice([b"[" + line + b"]", b"null", b"42", b'"text"', b"true"])
def k_trailing(line, obj):
    return line + rnd.choice([b" x", b"}", b",", b" {}"])
def k_empty(line, obj):
    obj["messages"] = []
    return as_json(obj)
KINDS = [k_truncate, k_utf8, k_escape, k_control, k_role, k_no_assistant, k_type,
         k_special, k_dup, k_not_object, k_trailing, k_empty]

lines = open("clean.jsonl", "rb").read().split(b"\n")
if lines[-1] == b"":
    lines.pop()
n_bad = max(len(KINDS) * 2, len(lines) // 100)
# never the first line: it decides the layout of the whole file
bad_at = set(rnd.sample(range(1, len(lines)), n_bad))
out, good, bad = [], [], []
kinds = {}
for i, line in enumerate(lines):
    # blank and whitespace-only lines are not records
    if rnd.random() < 0.01:
        out.append(rnd.choice([b"", b"   ", b"\t", b"\r"]))
    if i in bad_at:
        kind = KINDS[len(bad) % len(KINDS)]
        new = kind(line, json.loads(line))
        if new is None:
            new = k_truncate(line, None)
            kind = k_truncate
        out.append(new)
        bad.append((len(out), kind.__name__[2:], new))
        kinds[kind.__name__[2:]] = kinds.get(kind.__name__[2:], 0) + 1
    else:
        # some good lines with a CRLF end
        out.append(line + b"\r" if rnd.random() < 0.02 else line)
        good.append(line)
with open("input.jsonl", "wb") as f:
    f.write(b"\n".join(out) + b"\n")
with open("good.jsonl", "wb") as f:
    f.write(b"\n".join(good) + b"\n")
with open("bad.txt", "w") as f:
    for n, k, _ in bad:
        f.write("%d %s\n" % (n, k))
nonblank = sum(1 for l in out if l.strip(b" \t\r\n"))
with open("counts.txt", "w") as f:
    f.write("%d %d %d\n" % (nonblank, len(good), len(bad)))
print("note: %d lines, %d corrupted (%s), %d blank"
      % (len(out), len(bad), ", ".join("%s %d" % kv for kv in sorted(kinds.items())), len(out) - nonblank))
EOF
read -r NONBLANK NGOOD NBAD <counts.txt
echo "note: input $(($(wc -c <input.jsonl) / 1000000)) MB made in $((SECONDS - t0)) s"

# ================================================================ checks

begin "the clean input converts without a rejection"
"$BIN" --stats=json -o clean.out clean.jsonl </dev/null >/dev/null 2>err
st=$?
want_status 0
[ "$(stat_of rejected)" = 0 ] || flunk "the generated input itself has rejected records: $(show err)"
rm -f clean.out
end

t1=$SECONDS
"$BIN" --on-error=skip --rejects r.jsonl --stats=json -o out.jsonl input.jsonl </dev/null >/dev/null 2>err
st=$?
run_s=$((SECONDS - t1))
cp err run.err
R=$(stat_of records_read)
W=$(stat_of samples_written)
J=$(stat_of rejected)

begin "exit 0 and one summary line under --on-error=skip"
want_status 0
grep -Eq "^llamafmt: $NBAD records rejected \\(first: input\\.jsonl:[0-9]+:[0-9]+: .+\\)\$" err ||
    flunk "no summary line for $NBAD rejections: $(show err)"
end

begin "records_read == samples_written + rejected"
if [ -z "$R" ] || [ -z "$W" ] || [ -z "$J" ]; then
    flunk "no --stats=json line: $(show err)"
elif [ "$R" -ne $((W + J)) ]; then
    flunk "records_read $R != samples_written $W + rejected $J"
fi
C=$(stat_of records_converted)
[ -z "$C" ] || [ "$C" -eq "${W:-0}" ] || flunk "records_converted $C != samples_written $W (one sample per record)"
sum=$(grep -a '^{"files": ' err | sed -n 's/.*"rejected_by_reason": {\([^}]*\)}.*/\1/p' | grep -o ': [0-9][0-9]*' | tr -d ': ' | paste -sd+ - | sed 's/^$/0/')
[ "$((sum))" -eq "${J:-0}" ] || flunk "rejected_by_reason adds up to $((sum)), not $J"
end

begin "records_read == non-blank lines; rejected == corrupted lines"
[ "${R:-0}" -eq "$NONBLANK" ] || flunk "records_read $R, want $NONBLANK non-blank lines"
[ "${J:-0}" -eq "$NBAD" ] || flunk "rejected $J, want $NBAD corrupted lines"
[ "${W:-0}" -eq "$NGOOD" ] || flunk "samples_written $W, want $NGOOD good lines"
end

begin "every corrupted line is in r.jsonl, verbatim, with its line number"
"$PY" - <<'EOF' >check.msg 2>&1 || flunk "$(head -c 2000 check.msg)"
import base64, json, sys
src = open("input.jsonl", "rb").read().split(b"\n")
want = {}
for l in open("bad.txt"):
    n, kind = l.split()
    want[int(n)] = kind
got, problems = {}, []
for raw in open("r.jsonl", "rb").read().split(b"\n")[:-1]:
    o = json.loads(raw)
    if "record_base64" in o:
        rec = base64.b64decode(o["record_base64"])
    elif isinstance(o.get("record"), str):
        rec = o["record"].encode("utf-8", "surrogatepass")
    else:
        problems.append("entry without its record: %r" % raw[:200])
        continue
    if o.get("file") != "input.jsonl":
        problems.append("entry names file %r" % o.get("file"))
    line = o.get("line")
    if line in got:
        problems.append("line %s rejected twice" % line)
    got[line] = o
    if line not in want:
        problems.append("line %s rejected but not corrupted: %s" % (line, o.get("error")))
        continue
    if rec != src[line - 1].rstrip(b"\r"):
        problems.append("line %d (%s): record is not the line verbatim: %r vs %r"
                        % (line, want[line], rec[:80], src[line - 1][:80]))
    if not isinstance(o.get("column"), int) or o["column"] < 1:
        problems.append("line %d: bad column %r" % (line, o.get("column")))
for n, kind in sorted(want.items()):
    if n not in got:
        problems.append("corrupted line %d (%s) is not in r.jsonl" % (n, kind))
if problems:
    print("%d problem(s):" % len(problems))
    print("\n".join(problems[:20]))
    sys.exit(1)
EOF
end

begin "the good lines' samples == converting only the good lines"
"$BIN" -o good.out good.jsonl </dev/null >/dev/null 2>err
st=$?
want_status 0
cmp -s out.jsonl good.out || flunk "out.jsonl differs from the conversion of good.jsonl: $(cmp out.jsonl good.out 2>&1 | head -c 300)"
rm -f good.out
end

begin "-v: every rejection is one positioned line, in input order"
"$BIN" -v --on-error=skip input.jsonl </dev/null >/dev/null 2>err
st=$?
want_status 0
grep -a -v '^llamafmt: [0-9]* records rejected (first: ' err | sed -n 's/^llamafmt: input\.jsonl:\([0-9]*\):[0-9]*: .*/\1/p' >v.lines
grep -a -v '^llamafmt: [0-9]* records rejected (first: ' err | grep -av '^llamafmt: input\.jsonl:[0-9]*:[0-9]*: ' >v.other
cut -d' ' -f1 bad.txt >bad.lines
[ ! -s v.other ] || flunk "lines that are not positioned errors: $(show v.other)"
cmp -s v.lines bad.lines || flunk "-v lines do not name the corrupted lines in order: $(diff v.lines bad.lines | head -5 | tr '\n' '|')"
end

begin "the run is deterministic"
"$BIN" --on-error=skip --rejects r2.jsonl -o out2.jsonl input.jsonl </dev/null >/dev/null 2>err
st=$?
want_status 0
cmp -s out.jsonl out2.jsonl || flunk "samples differ between two runs"
cmp -s r.jsonl r2.jsonl || flunk "rejects differ between two runs"
end

echo "note: $NONBLANK records, $NBAD rejected, converted in $run_s s"
harness_done accounting
