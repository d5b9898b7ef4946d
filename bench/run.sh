#!/usr/bin/env bash
# bench/run.sh - throughput, memory and byte-equality benchmark of llamafmt.
#
# Usage: bench/run.sh [--reps N] [--quick] [--big] [--bin PATH] [--data DIR]
#   --bin PATH   llamafmt to measure (default: build/llamafmt, built with cmake if missing)
#   --data DIR   where the inputs are generated and kept (default: bench/data, gitignored)
#   --reps N     timed rounds after the warm-up round (default 5; 2 with --quick)
#   --quick      20 MB inputs only, 2 rounds (about a minute)
#   --big        also time a 2 GB input (the 200 MB file 10 times) for throughput and peak RSS
#
# Compares llamafmt with the Python + jinja2 reference and the naive cJSON floor
# of the shared bench folder ($REPO/../shared/bench, or $BENCH_SHARED), prints
# markdown tables on stdout and progress on stderr.  See bench/README.md.
# Exit status: 0 all byte checks passed, 1 a mismatch or a failed llamafmt run,
# 2 a setup problem.  Env: PYTHON (default python3), BENCH_SHARED.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { printf 'bench/run.sh: %s\n' "$1" >&2; exit 2; }
note() { printf '# %s\n' "$1" >&2; }
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }

bin=""
data="$here/data"
reps=""
quick=0
big=0
while [ $# -gt 0 ]; do
  case $1 in
    --bin) [ $# -ge 2 ] || die "--bin needs a path"; bin=$(abspath "$2"); shift 2 ;;
    --bin=*) bin=$(abspath "${1#--bin=}"); shift ;;
    --data) [ $# -ge 2 ] || die "--data needs a directory"; data=$(abspath "$2"); shift 2 ;;
    --data=*) data=$(abspath "${1#--data=}"); shift ;;
    --reps) [ $# -ge 2 ] || die "--reps needs a number"; reps=$2; shift 2 ;;
    --reps=*) reps=${1#--reps=}; shift ;;
    --quick) quick=1; shift ;;
    --big) big=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
case $reps in '' | *[!0-9]* | 0) [ -z "$reps" ] || die "--reps wants a positive integer, not '$reps'" ;; esac

[ -x /usr/bin/time ] || die "/usr/bin/time is missing: install GNU time (Debian: apt-get install -y time)"

# The real interpreter, not a pyenv shim (a shim costs 0.1-0.2 s per start).
py=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)') || die "no working ${PYTHON:-python3}"

# llamafmt: --bin, or build/llamafmt (configured as tests/run_all.sh does, only the tool built).
if [ -z "$bin" ]; then
  bin="$repo/build/llamafmt"
  if [ ! -x "$bin" ]; then
    command -v cmake >/dev/null || die "$bin is missing and cmake is not installed"
    note "building $bin"
    cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
    cmake --build "$repo/build" --target llamafmt -j "$(nproc)" >&2
  fi
fi
[ -x "$bin" ] || die "llamafmt binary $bin is not executable"
if [ "$bin" = "$repo/build/llamafmt" ] &&
  [ -n "$(find "$repo/src" "$repo/include" "$repo/CMakeLists.txt" -newer "$bin" -print -quit 2>/dev/null)" ]; then
  note "warning: $bin is older than the sources (cmake --build build to refresh it)"
fi

# The shared bench folder: data generator, reference peer, cJSON floor.
shared=${BENCH_SHARED:-$repo/../shared/bench}
floor=""
ref_py=""
template=""
if [ -f "$shared/gen_data.py" ]; then
  shared=$(cd "$shared" && pwd)
  if [ -f "$shared/floor_cjson.c" ]; then
    floor="$here/build/floor_cjson"
    if [ ! -x "$floor" ] || [ "$shared/floor_cjson.c" -nt "$floor" ]; then
      mkdir -p "$here/build"
      if ! "${CC:-cc}" -O2 -o "$floor.tmp" "$shared/floor_cjson.c" -lcjson; then
        note "warning: the cJSON floor did not build (libcjson-dev?); it is left out"
        floor=""
      else
        mv "$floor.tmp" "$floor"
      fi
    fi
  fi
  for cand in "$py" /usr/bin/python3; do
    if [ -x "$cand" ] && "$cand" -c 'import jinja2' 2>/dev/null; then ref_py=$cand; break; fi
  done
  [ -n "$ref_py" ] || note "warning: no Python with jinja2 (apt-get install -y python3-jinja2); the reference is left out"
  for t in "$shared/../reference/llama-3.1-instruct.jinja" "$shared/llama-3.1-instruct.jinja"; do
    if [ -f "$t" ]; then template=$(cd "$(dirname "$t")" && pwd)/$(basename "$t"); break; fi
  done
else
  note "no shared bench folder at $shared: using bench/gen_chat.py for data; no reference, no floor"
  shared=""
fi

args=(--bin "$bin" --data "$data" --shared "$shared" --floor-bin "$floor" --ref-python "$ref_py" --template "$template")
[ -z "$reps" ] || args+=(--reps "$reps")
[ "$quick" = 0 ] || args+=(--quick)
[ "$big" = 0 ] || args+=(--big)
exec "$py" "$here/bench.py" "${args[@]}"
