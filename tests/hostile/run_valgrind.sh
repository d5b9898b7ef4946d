#!/usr/bin/env bash
# The CLI tests (tests/cli/run_cli_tests.sh) with llamafmt run under valgrind.
#
# usage: run_valgrind.sh LLAMAFMT_BIN
#
# Passes run_cli_tests.sh a wrapper script as its binary; the wrapper execs
#   valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect
#            --error-exitcode=99 --log-file=LOGDIR/vg.%p.log LLAMAFMT_BIN ARGS
# (extra valgrind options from $VALGRIND_OPTS), so standard output, standard
# error and exit codes are llamafmt's own and the CLI checks hold as they
# are; a valgrind error turns the exit code into 99, which fails the CLI case,
# and every log is then read as well: any "ERROR SUMMARY" above 0 fails the
# run, with the log printed.  Use a normal (not sanitizer) build.
# Needs valgrind and what run_cli_tests.sh needs.  Prints the CLI summary,
# then exactly `valgrind: N passed, M failed` (N runs of llamafmt clean, M with
# errors); exits 1 when the CLI tests or valgrind failed, 2 on usage errors.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/harness.sh
. "$HERE/../lib/harness.sh"
harness_args "$@"
if ! command -v valgrind >/dev/null 2>&1; then
    echo "${0##*/}: valgrind is not installed (apt-get install valgrind)" >&2
    exit 2
fi
if ldd "$BIN" 2>/dev/null | grep -Eq 'lib(asan|tsan|msan)'; then
    echo "${0##*/}: $BIN is built with a sanitizer; valgrind needs a normal build" >&2
    exit 2
fi

CLI=$HERE/../cli/run_cli_tests.sh
TMP=$(mktemp -d "${TMPDIR:-/tmp}/llamafmt-valgrind.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/logs"

# The wrapper: exec keeps the pid, so signals sent to it reach valgrind,
# which delivers them to llamafmt.
{
    echo '#!/bin/sh'
    printf 'exec valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file=%q/vg.%%p.log %s %q "$@"\n' \
        "$TMP/logs" "${VALGRIND_OPTS:-}" "$BIN"
} >"$TMP/llamafmt"
chmod +x "$TMP/llamafmt"

t0=$SECONDS
bash "$CLI" "$TMP/llamafmt"
cli_rc=$?
secs=$((SECONDS - t0))

clean=0
dirty=0
for log in "$TMP"/logs/vg.*.log; do
    [ -e "$log" ] || continue
    if grep -Eq 'ERROR SUMMARY: [1-9]' "$log"; then
        dirty=$((dirty + 1))
        echo "FAIL [valgrind]: errors in a run of llamafmt:"
        cat "$log"
    else
        clean=$((clean + 1))
    fi
done
[ $((clean + dirty)) -gt 0 ] || {
    echo "FAIL [valgrind]: no valgrind log was written"
    dirty=1
}
echo "note: $((clean + dirty)) runs of llamafmt under valgrind in ${secs} s"
echo "valgrind: $clean passed, $dirty failed"
[ "$cli_rc" -eq 0 ] && [ "$dirty" -eq 0 ]
