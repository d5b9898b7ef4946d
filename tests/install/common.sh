# shellcheck shell=bash
# common.sh - what the tests of tests/install/ share.  Sourced after
# tests/lib/harness.sh and harness_args.

# The long options `llamafmt --help` mentions (every one is a real option),
# one a line, sorted.
help_long_options() {
    "$BIN" --help | grep -oE -- '--[a-z][a-z0-9-]*' | LC_ALL=C sort -u
}

# The short options of the help's option lines ("  -f, --from=SHAPE",
# "  -0, --null"), one a line, sorted.
help_short_options() {
    "$BIN" --help | grep -oE -- '^  -[A-Za-z0-9],' | tr -d ' ,' | LC_ALL=C sort -u
}

# have TOOL...: all of them are installed.  Otherwise a test skips (exit 77
# or a skipped case), except in CI (CI=true), where every tool must be there.
have() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || return 1
    done
}

in_ci() {
    [ "${CI:-}" = true ]
}

# need TOOL...: skip the whole test (exit 77) without them; fail in CI.
need() {
    if ! have "$@"; then
        if in_ci; then
            echo "${0##*/}: $* missing (required in CI)" >&2
            exit 1
        fi
        echo "${0##*/}: skipped: needs $*"
        exit 77
    fi
}

# with TOOL... -- CASE: whether the case CASE can run.  When a tool is
# missing it is skipped, or in CI recorded as failed.
#     if with zsh -- "zsh parses it"; then begin "zsh parses it"; ...; end; fi
with() {
    local tools=()
    while [ "$1" != -- ]; do
        tools+=("$1")
        shift
    done
    have "${tools[@]}" && return 0
    if in_ci; then
        begin "$2"
        flunk "needs ${tools[*]} (required in CI)"
        end
    else
        skip "$2" "needs ${tools[*]}"
    fi
    return 1
}

# install_done NAME: harness_done, but exit 77 when cases were skipped and
# none failed, so that CTest reports the test as not (fully) run.
install_done() {
    harness_done "$1" || exit 1
    # shellcheck disable=SC2154 # skipped: the harness's count
    [ "$skipped" -eq 0 ] || exit 77
    exit 0
}
