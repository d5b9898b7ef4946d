# shellcheck shell=bash
# harness.sh - the shared harness of the shell test suites (tests/cli,
# tests/batch, tests/hostile).  Sourced, not run.
#
# A suite does:
#     HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
#     . "$HERE/../lib/harness.sh"
#     harness_args "$@"          # BIN (absolute), PY (the real python3)
#     harness_tmp NAME           # TMP, cd into it, removed on exit
#     begin "case"; lf ARGS...; want_status 0; ...; end
#     harness_done NAME          # `NAME: N passed, M failed`, exit status
# A suite that needs more cleaning on exit defines on_cleanup().  With
# HARNESS_TIMING=1, cases slower than 3 s say how long they took.

passed=0
failed=0
skipped=0
case_name=
case_errs=0
case_t0=0
st=0

# harness_args "$@": one argument, the llamafmt binary; also find python3.
harness_args() {
    if [ "$#" -ne 1 ]; then
        echo "usage: ${0##*/} LLAMAFMT_BIN" >&2
        exit 2
    fi
    case $1 in
    /*) BIN=$1 ;;
    *) BIN=$PWD/$1 ;;
    esac
    if [ ! -x "$BIN" ]; then
        echo "${0##*/}: $BIN is not an executable" >&2
        exit 2
    fi
    # $PYTHON (default python3), resolved once to the real interpreter (a
    # pyenv shim costs ~0.3 s a call)
    if ! PY=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)' 2>/dev/null) || [ ! -x "$PY" ]; then
        echo "${0##*/}: python3 is required (set PYTHON to use another interpreter)" >&2
        exit 2
    fi
}

harness_cleanup() {
    if declare -F on_cleanup >/dev/null; then
        on_cleanup
    fi
    chmod -R u+w "$TMP" 2>/dev/null
    rm -rf "$TMP"
}

# harness_tmp NAME: a private directory, the current one until exit.
harness_tmp() {
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/llamafmt-$1.XXXXXX") || exit 2
    trap harness_cleanup EXIT
    cd "$TMP" || exit 2
    export LC_ALL=C # grep, ${#var} and friends work on bytes
}

begin() {
    case_name=$1
    case_errs=0
    case_t0=${EPOCHREALTIME/./}
}

flunk() {
    echo "FAIL [$case_name]: $*"
    case_errs=$((case_errs + 1))
}

end() {
    local us=$((${EPOCHREALTIME/./} - case_t0))
    if [ "${HARNESS_TIMING:-0}" = 1 ] && [ "$us" -ge 3000000 ]; then
        echo "note: [$case_name] took $((us / 1000000)).$((us / 100000 % 10)) s"
    fi
    if [ "$case_errs" -eq 0 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
}

skip() {
    echo "skip [$1]: $2"
    skipped=$((skipped + 1))
}

# harness_done NAME: the closing line, and the exit status.
harness_done() {
    if [ "$skipped" -gt 0 ]; then
        echo "($skipped case(s) skipped)"
    fi
    echo "$1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# lf ARGS...: run the binary with stdin from /dev/null;
# stdout -> out, stderr -> err, status -> $st.
lf() {
    "$BIN" "$@" </dev/null >out 2>err
    st=$?
}

# lf_in FILE ARGS...: the same with stdin from FILE.
lf_in() {
    local in=$1
    shift
    "$BIN" "$@" <"$in" >out 2>err
    st=$?
}

show() {
    # a file, shortened, with invisible bytes made visible
    head -c 600 "$1" | cat -v
}

want_status() {
    [ "$st" -eq "$1" ] || flunk "exit status $st, want $1; stderr: $(show err)"
}

# want_no_crash: the status is not that of a death by signal
want_no_crash() {
    [ "$st" -lt 128 ] || flunk "died by signal $((st - 128)); stderr: $(show err)"
}

want_out_file() {
    if ! cmp -s out "$1"; then
        flunk "stdout differs from the expected output:
--- want: $(show "$1")
--- got:  $(show out)"
    fi
}

want_out_empty() {
    [ ! -s out ] || flunk "stdout not empty: $(show out)"
}

want_err_empty() {
    [ ! -s err ] || flunk "stderr not empty: $(show err)"
}

# want_err_line ERE: stderr is exactly one line, matching ^ERE$
want_err_line() {
    local n
    n=$(wc -l <err)
    if [ "$n" -ne 1 ]; then
        flunk "stderr has $n lines, want 1: $(show err)"
    elif ! grep -Eq "^$1\$" err; then
        flunk "stderr line does not match ^$1\$: $(show err)"
    fi
}

want_err_has() {
    grep -Fq -- "$1" err || flunk "stderr lacks \"$1\": $(show err)"
}

# want_no_output FILE: neither FILE nor its temporary .FILE.tmp-* exists
want_no_output() {
    local dir base
    dir=$(dirname "$1")
    base=$(basename "$1")
    [ ! -e "$1" ] || flunk "$1 exists after a failed run"
    if compgen -G "$dir/.$base.tmp-*" >/dev/null; then
        flunk "temporary file left behind: $(cd "$dir" && echo ".$base".tmp-*)"
    fi
}

# ------------------------------------------------------- expected samples

BOS='<|begin_of_text|>'
EOT='<|eot_id|>'
EOTX='<|end_of_text|>'
HS=$'<|start_header_id|>system<|end_header_id|>\n\n'
HU=$'<|start_header_id|>user<|end_header_id|>\n\n'
HA=$'<|start_header_id|>assistant<|end_header_id|>\n\n'
# guide profile: no "\n\n" after the headers
GS='<|start_header_id|>system<|end_header_id|>'
GU='<|start_header_id|>user<|end_header_id|>'
GA='<|start_header_id|>assistant<|end_header_id|>'
DATEBLK=$'Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n'
export BOS EOT EOTX HS HU HA GS GU GA DATEBLK

# jl TEXT...: the JSONL lines {"text": TEXT} as json.dumps(ensure_ascii=False) writes them
jl() {
    printf '%s\0' "$@" | "$PY" -c '
import json, sys
for t in sys.stdin.buffer.read().split(b"\0")[:-1]:
    sys.stdout.buffer.write((json.dumps({"text": t.decode("utf-8")}, ensure_ascii=False) + "\n").encode("utf-8"))'
}
