#!/usr/bin/env bash
# Build the libFuzzer targets with clang and run them.
#
#   tests/fuzz/run_fuzzers.sh [SECONDS] [BUILD_DIR]
#
# SECONDS (default 60) is the fuzzing time of each target; 0 only replays
# the regressions and the seed corpus.  BUILD_DIR (default build-fuzz/ in
# the repository) holds the build, the scratch corpora the fuzzers grow
# (fuzz-work/<target>/corpus, a copy of tests/fuzz/corpus/<target>, so the
# committed corpus is never touched) and their findings
# (fuzz-work/<target>/crash-*, leak-*, timeout-*, oom-*).
#
# Steps: configure and build (clang, -fsanitize=fuzzer,address,undefined);
# run every file of tests/fuzz/regressions/<target>/ and of the seed corpus
# once; fuzz each target for SECONDS.  Exit 1 on any crash, leak, timeout,
# out-of-memory or failed regression, with the reproducer's path.  Installs
# nothing: it needs cmake, clang, libclang-rt-14-dev (libFuzzer) and
# libcjson-dev (see FUZZING.md).
#
# Environment: CC (default clang), FUZZ_TARGETS (default all six),
# FUZZ_FLAGS (extra libFuzzer flags, e.g. "-jobs=2 -workers=2").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-60}"
build="${2:-$root/build-fuzz}"
targets="${FUZZ_TARGETS:-fuzz_reader fuzz_record fuzz_json fuzz_options fuzz_tokenizer fuzz_parse}"
cc="${CC:-clang}"

case "$seconds" in
    '' | *[!0-9]*) echo "usage: $0 [SECONDS] [BUILD_DIR]" >&2; exit 2 ;;
esac
command -v "$cc" >/dev/null 2>&1 || {
    echo "run_fuzzers.sh: $cc not found (Debian: apt-get install -y clang libclang-rt-14-dev)" >&2
    exit 1
}

# --- configure and build --------------------------------------------------
# tests/fuzz is configured as a child of the top level: through its
# LLAMAFMT_FUZZ option when it has one, otherwise injected (inject.cmake).
if grep -q 'LLAMAFMT_FUZZ' "$root/CMakeLists.txt"; then
    set -- -DLLAMAFMT_FUZZ=ON
else
    set -- "-DCMAKE_PROJECT_llamafmt_INCLUDE=$here/inject.cmake"
fi
echo "== configuring $build"
mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF "$@" >"$build/configure.log" 2>&1 || {
    cat "$build/configure.log" >&2
    exit 1
}
# shellcheck disable=SC2086  # targets is a word list
cmake --build "$build" -j "$(nproc)" --target $targets

bin_of() {
    [ -x "$build/tests/fuzz/$1" ] && { echo "$build/tests/fuzz/$1"; return 0; }
    echo "run_fuzzers.sh: $1 was not built" >&2
    return 1
}

max_len_of() {
    case "$1" in
        fuzz_reader) echo 1048576 ;;
        *) echo 65536 ;;
    esac
}

export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

failed=0
fail() {
    echo "FAIL: $*" >&2
    failed=1
}

# --- regressions and seeds, once ------------------------------------------
for t in $targets; do
    bin="$(bin_of "$t")"
    files=()
    for f in "$here/regressions/$t"/* "$here/corpus/$t"/*; do
        [ -f "$f" ] || continue
        case "$(basename "$f")" in README*) continue ;; esac
        files+=("$f")
    done
    [ "${#files[@]}" -gt 0 ] || continue
    log="$build/fuzz-work/$t.replay.log"
    mkdir -p "$build/fuzz-work"
    echo "== $t: replaying ${#files[@]} regression and seed inputs"
    if ! "$bin" -timeout=60 -rss_limit_mb=4096 "${files[@]}" >"$log" 2>&1; then
        # libFuzzer stops at the first failing file: find every one
        for f in "${files[@]}"; do
            if ! "$bin" -timeout=60 -rss_limit_mb=4096 "$f" >"$log.one" 2>&1; then
                grep -E -A30 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|invariant violated' "$log.one" |
                    grep -vE '^ +#[0-9]+ .* in (fuzzer::|main|__libc_start|_start|__sanitizer|abort|raise|__pthread_kill)' | head -n 30 >&2 || true
                fail "$t fails on $f (rerun: $bin $f)"
            fi
        done
        rm -f "$log.one"
    fi
done
if [ "$failed" -ne 0 ]; then
    echo "run_fuzzers.sh: regressions failed (fuzzing anyway, to report everything at once)" >&2
fi
if [ "$seconds" -eq 0 ]; then
    [ "$failed" -eq 0 ] || exit 1
    echo "== regressions passed (no fuzzing: SECONDS is 0)"
    exit 0
fi

# --- fuzzing ----------------------------------------------------------------
for t in $targets; do
    bin="$(bin_of "$t")"
    work="$build/fuzz-work/$t"
    rm -rf "$work"
    mkdir -p "$work/corpus"
    cp -R "$here/corpus/$t/." "$work/corpus/"
    dict=()
    [ -f "$here/dict/$t.dict" ] && dict=("-dict=$here/dict/$t.dict")
    log="$work/fuzz.log"
    echo "== $t: fuzzing for ${seconds}s (log: $log)"
    rc=0
    # shellcheck disable=SC2086  # FUZZ_FLAGS is a word list
    "$bin" -max_total_time="$seconds" -max_len="$(max_len_of "$t")" -timeout=30 -rss_limit_mb=2560 \
        -print_final_stats=1 -artifact_prefix="$work/" "${dict[@]}" ${FUZZ_FLAGS:-} \
        "$work/corpus" >"$log" 2>&1 || rc=$?
    grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
    found=()
    for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
        [ -f "$a" ] && found+=("$a")
    done
    if [ "$rc" -ne 0 ] || [ "${#found[@]}" -gt 0 ]; then
        grep -E -A40 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|invariant violated' "$log" | head -n 80 >&2 || tail -n 60 "$log" >&2
        for a in "${found[@]}"; do
            echo "reproducer: $a" >&2
            echo "  rerun:    $bin $a" >&2
        done
        fail "$t (exit $rc; log: $log)"
    fi
done

if [ "$failed" -ne 0 ]; then
    echo "run_fuzzers.sh: findings above; see tests/fuzz/FUZZING.md to minimise and keep them" >&2
    exit 1
fi
echo "== all fuzz targets passed"
