#!/usr/bin/env bash
# Differential test against the oracle: fresh random conversations, not the
# committed corpora.  Both seeded generators (tests/corpus/gen_corpus.py and
# gen_tools_corpus.py) write N records each for SEED, and check_oracle.sh
# requires llamafmt -p official --no-end-of-text to match render.py byte for
# byte on all of them.
#
# usage: differential.sh LLAMAFMT RENDER_PY [N] [SEED]
#   N defaults to 2000 per generator; SEED to a fixed value, so a failure
#   reproduces (pass another seed to explore).
set -euo pipefail
bin=$1 render=$2 n=${3:-2000} seed=${4:-9001}
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" "$here/../corpus/gen_corpus.py" --seed "$seed" --records "$n" -o "$tmp/chat.jsonl"
"$py" "$here/../corpus/gen_tools_corpus.py" --seed "$seed" --records "$n" -o "$tmp/tools.jsonl"
bash "$here/check_oracle.sh" "$bin" "$render" "$tmp/chat.jsonl"
bash "$here/check_oracle.sh" "$bin" "$render" "$tmp/tools.jsonl"
