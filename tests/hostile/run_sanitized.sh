#!/usr/bin/env bash
# The whole CTest suite under AddressSanitizer + UndefinedBehaviorSanitizer.
#
# usage: run_sanitized.sh [BUILD_DIR]
#
# Configures a separate build (default: build-sanitize/ in the repository)
# with -DLLAMAFMT_SANITIZE=address,undefined (any error aborts: the top-level
# CMakeLists adds -fno-sanitize-recover=all), builds it and runs every CTest
# test with
#   CK_FORK=no          Check runs the unit tests in-process, so leaks and
#                       errors are seen by the sanitizer of the test binary
#   ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
#   UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Extra CMake flags come from LLAMAFMT_CMAKE_FLAGS (as for tests/run_all.sh;
# CI passes -Werror and the oracle there).  The 1 GB blank-line case of
# run_hostile.sh is skipped (LLAMAFMT_HOSTILE_QUICK=1): it only measures
# throughput, and the sanitizer makes it slow; check_options' nested
# valgrind run is switched off (see below).  Not run here: the install
# tests (they check packaging, with the normal build's binary in CI) and
# tokens_corpus (its time goes to the Node reference; the sanitized
# tokenizer and -t tokens are exercised by tokenizer_reference, tokens and
# check_tokenizer).  Needs gcc or clang with
# libasan/libubsan (Debian: gcc brings them), cmake, check, libcjson-dev.
# Exits with ctest's status; prints how long the build and the tests took.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=${1:-$REPO/build-sanitize}
JOBS=$(nproc 2>/dev/null || echo 2)

t0=$SECONDS
# shellcheck disable=SC2086 # LLAMAFMT_CMAKE_FLAGS is a list of flags
cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLLAMAFMT_SANITIZE=address,undefined ${LLAMAFMT_CMAKE_FLAGS:-}
cmake --build "$BUILD" -j"$JOBS"
t1=$SECONDS

export CK_FORK=no
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LLAMAFMT_HOSTILE_QUICK=1
# check_options re-runs one case of itself under valgrind, which cannot run
# a sanitizer build ("ASan runtime does not come first"): this variable is
# its own "already under valgrind" switch, so that case is left to LSan here.
export LF_CHECK_OPTIONS_UNDER_VALGRIND=1
rc=0
ctest --test-dir "$BUILD" --output-on-failure -j"$JOBS" -E '^install_|^tokens_corpus$' || rc=$?
echo "sanitized: build $((t1 - t0)) s, ctest $((SECONDS - t1)) s, status $rc"
exit "$rc"
