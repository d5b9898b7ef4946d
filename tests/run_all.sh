#!/usr/bin/env bash
# Build from scratch in build/ and run every test (unit suites, CLI tests,
# golden files and the oracle checks).  This is the README's test command.
# Extra CMake flags: LLAMAFMT_CMAKE_FLAGS (CI adds -DLLAMAFMT_WERROR=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC2086
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo ${LLAMAFMT_CMAKE_FLAGS:-}
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)"
