#!/usr/bin/env bash
# Fault-injection tests of the llamafmt command line.
#
# usage: run_faults.sh LLAMAFMT_BIN
#
# The system fails under a running llamafmt, in a private temporary directory
# (removed on exit): a full disk (/dev/full, a file-size limit), a directory
# it may not write to (run as `nobody` when we are root), a reader that closes
# the pipe early, SIGINT/SIGTERM/SIGHUP mid-file, an input unlinked or
# removed mid-run, an input that is a directory or missing, and malloc
# failures (an LD_PRELOAD shim, tests/hostile/failmalloc.c, compiled here with
# cc; skipped without cc or for a sanitizer build).  Every case checks the
# exit status (3 for system errors, 128+N for death by signal N), the one
# message on standard error, and that no output file nor any `.NAME.tmp-*`
# temporary is left behind when the run failed.
#
# Takes about a minute.  Needs bash, coreutils, python3 (or $PYTHON),
# setpriv or su (for the unwritable-directory case as root) and cc (for the
# malloc shim).  Prints one line per failure, and finally exactly
# `faults: N passed, M failed`; exits 1 when M > 0 and 2 on a usage error.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/harness.sh
. "$HERE/../lib/harness.sh"
harness_args "$@"

harness_tmp faults
# background runs still alive (a failed case) are ended by their pid
bg_pids=()
on_cleanup() {
    local p
    for p in "${bg_pids[@]}"; do
        kill -KILL "$p" 2>/dev/null
    done
    exec 7>&- 2>/dev/null
}

# want_input_err ERE: under --on-error=skip, stderr is one line ^ERE$ for the
# unreadable input, then at most a summary ("N input(s) could not be
# converted", "N record(s) rejected") and a --stats=json line
want_input_err() {
    local first
    first=$(head -n 1 err)
    if ! grep -Eq "^$1\$" <<<"$first"; then
        flunk "first stderr line does not match ^$1\$: $(show err)"
    fi
    if tail -n +2 err | grep -Ev '^llamafmt: [0-9]+ (inputs? could not be converted|records? rejected) \(first: .*\)$|^\{"files": ' | grep -q .; then
        flunk "stderr has more than the error and the summary lines: $(show err)"
    fi
    if [ "$(grep -Ec "^$1\$" err)" -gt 1 ]; then
        flunk "the error is printed more than once: $(show err)"
    fi
}

# stat_of KEY: a number from the --stats=json line on stderr
stat_of() {
    grep -a '^{"files": ' err | tail -n 1 | sed -n "s/.*\"$1\": \([0-9][0-9]*\).*/\1/p"
}

# want_no_temp DIR: no .*.tmp-* file at all in DIR
want_no_temp() {
    if compgen -G "$1/.*.tmp-*" >/dev/null; then
        flunk "temporary file left behind: $(cd "$1" && echo .*.tmp-*)"
    fi
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds; 1 on timeout
wait_for() {
    local tries=$(($1 * 50))
    shift
    while [ "$tries" -gt 0 ]; do
        "$@" && return 0
        sleep 0.02
        tries=$((tries - 1))
    done
    return 1
}

# wait_pid PID: $st = its exit status (it must be our child)
wait_pid() {
    # (the braces keep bash's "Hangup" job notice off our output)
    { wait "$1"; } 2>/dev/null
    st=$?
    local keep=() p
    for p in "${bg_pids[@]}"; do
        [ "$p" = "$1" ] || keep+=("$p")
    done
    bg_pids=("${keep[@]}")
}

has_temp() {
    compgen -G "$1/.$2.tmp-*" >/dev/null
}

# ---------------------------------------------------------------- inputs

GOOD='{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}'
printf '%s\n' "$GOOD" >good.jsonl
jl "$BOS$HS$DATEBLK$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX" >good.expected
BAD='{"messages": [{"role": "user", "content": "Hi"}]}'
printf '%s\n%s\n%s\n' "$GOOD" "$BAD" "$GOOD" >mixed.jsonl

# Several shapes and features, for the malloc sweep and the big inputs.
cat >small.jsonl <<'EOF'
{"id": 1, "messages": [{"role": "system", "content": " Be brief. "}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
{"id": 2, "system": "S", "conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]}
{"id": 3, "instruction": "Do", "input": "this", "output": "done", "history": [["h1", "a1"]]}
{"id": 4, "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}], "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{\"x\": 1.5}"}}]}, {"role": "tool", "content": {"r": [1, 2]}}, {"role": "assistant", "content": "done"}]}
EOF
# about 1.4 MB: enough to fill any pipe
for _ in $(seq 2500); do cat small.jsonl; done >big.jsonl

# ============================================================ a full disk

begin "stdout is /dev/full"
"$BIN" good.jsonl </dev/null >/dev/full 2>err
st=$?
want_status 3
want_err_line 'llamafmt: .*(standard output|stdout).*No space left on device.*'
end

begin "-o /dev/full"
lf -o /dev/full good.jsonl
want_status 3
want_err_line 'llamafmt: .*/dev/full.*No space left on device.*'
end

begin "--rejects /dev/full"
lf --on-error=skip --rejects /dev/full mixed.jsonl
want_status 3
want_err_line 'llamafmt: .*/dev/full.*No space left on device.*'
end

# A file-size limit (RLIMIT_FSIZE) with SIGXFSZ ignored: write(2) fails with
# EFBIG part-way through a regular -o file, as on a full disk.
# fsz_run KIB ARGS...: run the binary so limited
fsz_run() {
    local kib=$1
    shift
    (
        trap '' XFSZ
        ulimit -f "$kib"
        exec "$BIN" "$@"
    ) </dev/null >out 2>err
    st=$?
}

begin "-o FILE hits a file-size limit: exit 3, no partial file, old FILE kept"
printf 'old\n' >keep.jsonl
fsz_run 64 -o keep.jsonl big.jsonl
want_status 3
want_err_line 'llamafmt: .*keep\.jsonl.*'
[ "$(cat keep.jsonl)" = old ] || flunk "the existing output was replaced or truncated"
want_no_temp .
fsz_run 64 -o new.jsonl big.jsonl
want_status 3
want_no_output new.jsonl
end

begin "--rejects FILE hits a file-size limit: exit 3, nothing left"
for _ in $(seq 2000); do printf '%s\n' "$BAD"; done >bads.jsonl
fsz_run 64 --on-error=skip --rejects r.jsonl -o o.jsonl bads.jsonl
want_status 3
want_err_line 'llamafmt: .*r\.jsonl.*'
want_no_output r.jsonl
want_no_output o.jsonl
end

# ================================================== an unwritable directory

# as_nobody CMD...: run CMD without root's rights (directly when not root)
AS_NOBODY=
if [ "$(id -u)" -ne 0 ]; then
    AS_NOBODY=direct
elif command -v setpriv >/dev/null 2>&1 && setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
    AS_NOBODY=setpriv
elif command -v su >/dev/null 2>&1 && su nobody -s /bin/sh -c true 2>/dev/null; then
    AS_NOBODY=su
fi
as_nobody() {
    case $AS_NOBODY in
    direct) "$@" ;;
    setpriv) setpriv --reuid=nobody --regid=nogroup --clear-groups "$@" ;;
    su) su nobody -s /bin/sh -c "$(printf '%q ' "$@")" ;;
    esac
}

if [ -z "$AS_NOBODY" ]; then
    skip "-o in an unwritable directory" "running as root without setpriv or su to drop to nobody"
else
    begin "-o and --rejects in an unwritable directory: exit 3, nothing left"
    # nobody must reach the binary and the input: copy both into a 0755 tree
    mkdir -p nb/ro
    chmod 0755 "$TMP" nb
    cp "$BIN" nb/llamafmt
    cp mixed.jsonl nb/in.jsonl
    chmod 0644 nb/in.jsonl
    chmod 0555 nb/ro
    as_nobody "$TMP/nb/llamafmt" -o "$TMP/nb/ro/out.jsonl" "$TMP/nb/in.jsonl" </dev/null >out 2>err
    st=$?
    want_status 3
    want_err_line "llamafmt: .*nb/ro/out\\.jsonl.*(Permission denied|Read-only).*"
    want_no_output nb/ro/out.jsonl
    as_nobody "$TMP/nb/llamafmt" --on-error=skip --rejects "$TMP/nb/ro/r.jsonl" "$TMP/nb/in.jsonl" </dev/null >out 2>err
    st=$?
    want_status 3
    want_err_line "llamafmt: .*nb/ro/r\\.jsonl.*(Permission denied|Read-only).*"
    want_no_output nb/ro/r.jsonl
    [ -z "$(ls -A nb/ro)" ] || flunk "files left in the directory: $(ls -A nb/ro)"
    end
fi

# ======================================================= a closed pipe

# pipe_case NAME ARGS...: llamafmt ARGS big.jsonl | head -c 100
pipe_case() {
    local name=$1
    shift
    begin "reader closes the pipe early: $name"
    "$BIN" "$@" big.jsonl </dev/null 2>err | head -c 100 >head.out
    st=${PIPESTATUS[0]}
    want_status 141
    want_err_empty
    [ "$(wc -c <head.out)" -eq 100 ] || flunk "head got $(wc -c <head.out) bytes"
    end
}
pipe_case "jsonl"
pipe_case "-t text -0" -t text -0
pipe_case "--keep id --stats" --keep id --stats

begin "reader closes the pipe early: --rejects FILE is removed"
{
    cat big.jsonl
    printf '%s\n' "$BAD"
    cat big.jsonl
} >bigbad.jsonl
"$BIN" --on-error=skip --rejects r.jsonl bigbad.jsonl </dev/null 2>err | head -c 100 >head.out
st=${PIPESTATUS[0]}
want_status 141
want_err_empty
want_no_output r.jsonl
end

# ============================================================= signals

# The background jobs of a script start with SIGINT ignored (bash does that
# without job control), and llamafmt keeps a signal that was ignored at start
# ignored, as nohup'ed programs expect.  The signal cases give SIGINT its
# default disposition back first (env execs, so the pid stays llamafmt's).
if env --default-signal=INT true 2>/dev/null; then
    UNIGNORE=(env --default-signal=INT)
else
    UNIGNORE=("$PY" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])')
fi

# A slow input: a FIFO we hold open read-write on fd 7 (so opening it never
# blocks and nothing is read until we write), fed by hand.  llamafmt is
# started with fd 7 closed, so that it sees the end when we close ours.
open_fifo() {
    rm -f in.fifo
    mkfifo in.fifo
    exec 7<>in.fifo
}
close_fifo() {
    exec 7>&-
}

# A busy input: 200 MB of records, a second or more of work.
for _ in $(seq 140); do cat big.jsonl; done >busy.jsonl

# signal_case SIG STATUS MODE ARGS...: start llamafmt ARGS on MODE's input
# (blocked in read: on in.fifo; busy: working through busy.jsonl; blank
# lines: skipping a 400 MB run of them in blank.jsonl), wait until its output
# temporaries exist, send SIG, and check the status, that nothing (outputs
# or temporaries) is left behind, and that it stopped within a second.
signal_case() {
    local sig=$1 want=$2 mode=$3 pid input f t0 ms
    shift 3
    begin "SIG$sig while $mode, $*"
    rm -f out.jsonl r.jsonl .*.tmp-*
    case $mode in
    "blocked in read")
        open_fifo
        input=in.fifo
        cat small.jsonl >&7
        ;;
    busy) input=busy.jsonl ;;
    *) input=blank.jsonl ;;
    esac
    "${UNIGNORE[@]}" "$BIN" "$@" "$input" </dev/null >sig.out 2>err 7>&- &
    pid=$!
    bg_pids+=("$pid")
    for f in out.jsonl r.jsonl; do
        case " $* " in
        *" $f "*) wait_for 10 has_temp . "$f" || flunk "no temporary for $f appeared" ;;
        esac
    done
    sleep 0.2
    t0=${EPOCHREALTIME/./}
    kill "-$sig" "$pid"
    wait_pid "$pid"
    ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
    [ "$mode" = "blocked in read" ] && close_fifo
    if [ "$st" -eq 0 ]; then
        flunk "finished before the signal came (make the input bigger)"
    else
        want_status "$want"
    fi
    [ "$(wc -l <err)" -le 1 ] || flunk "stderr: $(show err)"
    want_no_output out.jsonl
    want_no_output r.jsonl
    want_no_temp .
    [ "$ms" -lt 1000 ] || flunk "took $ms ms to stop after the signal"
    end
}
for mode in "blocked in read" "busy"; do
    signal_case INT 130 "$mode" -o out.jsonl
    signal_case TERM 143 "$mode" -o out.jsonl
    signal_case INT 130 "$mode" --on-error=skip --rejects r.jsonl -o out.jsonl
    signal_case TERM 143 "$mode" --on-error=skip --rejects r.jsonl -o out.jsonl
    signal_case HUP 129 "$mode" --on-error=skip --rejects r.jsonl -o out.jsonl
done
# --rejects with samples on standard output
signal_case INT 130 "blocked in read" --on-error=skip --rejects r.jsonl
signal_case TERM 143 "busy" --on-error=skip --rejects r.jsonl
# Between two records, 400 MB of blank lines: the stop request must not
# wait for the next record (several seconds here, minutes for a big file).
{
    cat small.jsonl
    head -c 400M /dev/zero | tr '\0' '\n'
    cat small.jsonl
} >blank.jsonl
signal_case INT 130 "skipping blank lines" -o out.jsonl
rm -f blank.jsonl

begin "SIGINT ignored at start stays ignored; SIGTERM still cleans up"
rm -f out.jsonl
open_fifo
cat small.jsonl >&7
(
    trap '' INT
    exec "$BIN" -o out.jsonl in.fifo
) </dev/null >sig.out 2>err 7>&- &
pid=$!
bg_pids+=("$pid")
wait_for 10 has_temp . out.jsonl || flunk "no temporary for out.jsonl appeared"
kill -INT "$pid"
sleep 0.5
if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    wait_pid "$pid"
    want_status 143
else
    wait_pid "$pid"
    flunk "an ignored SIGINT ended the run (status $st)"
fi
close_fifo
want_no_output out.jsonl
want_no_temp .
end

# ======================================================== vanishing inputs

begin "the input being read is unlinked mid-run: reading goes on (exit 0)"
"$BIN" -o whole.jsonl busy.jsonl </dev/null >/dev/null 2>err
st=$?
want_status 0
ln busy.jsonl victim.jsonl
"$BIN" -o out.jsonl victim.jsonl </dev/null >/dev/null 2>err &
pid=$!
bg_pids+=("$pid")
# wait until llamafmt has it open, then unlink it
is_open() {
    local fd
    for fd in "/proc/$pid/fd/"*; do
        [[ $(readlink "$fd" 2>/dev/null) == */victim.jsonl ]] && return 0
    done
    return 1
}
wait_for 10 is_open || flunk "llamafmt never opened the input"
rm -f victim.jsonl
wait_pid "$pid"
want_status 0
want_err_empty
cmp -s out.jsonl whole.jsonl || flunk "output differs from that of an undisturbed run"
rm -f out.jsonl whole.jsonl
end

# later_run ARGS...: llamafmt ARGS in.fifo later.jsonl good.jsonl, later.jsonl removed while
# llamafmt still reads the FIFO (so it is gone when its turn comes)
later_run() {
    local pid
    open_fifo
    cp good.jsonl later.jsonl
    "$BIN" "$@" in.fifo later.jsonl good.jsonl </dev/null >out 2>err 7>&- &
    pid=$!
    bg_pids+=("$pid")
    cat good.jsonl >&7
    wait_for 10 has_temp . out.jsonl || flunk "no temporary for out.jsonl appeared"
    rm -f later.jsonl
    close_fifo
    wait_pid "$pid"
}

begin "an input removed before its turn: exit 3, message, no output"
later_run -o out.jsonl
want_status 3
want_err_line 'llamafmt: later\.jsonl: .*No such file or directory.*'
want_no_output out.jsonl
end

begin "an input removed before its turn, --on-error=skip: the others are converted"
later_run --on-error=skip -o out.jsonl
want_status 3
want_input_err 'llamafmt: later\.jsonl: .*No such file or directory.*'
cat good.expected good.expected >two.expected
cmp -s out.jsonl two.expected || flunk "out.jsonl is not the samples of the other inputs: $(show out.jsonl)"
rm -f out.jsonl
end

mkdir -p adir
begin "an input that is a directory: exit 3, message"
lf adir
want_status 3
want_err_line 'llamafmt: adir: .*(Is a directory|directory).*'
lf -o out.jsonl good.jsonl adir
want_status 3
want_err_line 'llamafmt: adir: .*(Is a directory|directory).*'
want_no_output out.jsonl
end

begin "a directory among several, --on-error=skip: the others are converted"
lf --on-error=skip good.jsonl adir good.jsonl
want_status 3
want_input_err 'llamafmt: adir: .*(Is a directory|directory).*'
cat good.expected good.expected >two.expected
want_out_file two.expected
end

begin "a missing input among several: exit 3, one message"
lf good.jsonl missing.jsonl good.jsonl
want_status 3
want_err_line 'llamafmt: missing\.jsonl: .*No such file or directory.*'
lf -o out.jsonl good.jsonl missing.jsonl good.jsonl
want_status 3
want_no_output out.jsonl
end

begin "a missing input among several, --on-error=skip: the others are converted, one message"
lf --on-error=skip good.jsonl missing.jsonl good.jsonl
want_status 3
want_input_err 'llamafmt: missing\.jsonl: .*No such file or directory.*'
cat good.expected good.expected >two.expected
want_out_file two.expected
lf --on-error=skip -o out.jsonl --stats=json mixed.jsonl missing.jsonl good.jsonl
want_status 3
want_input_err 'llamafmt: missing\.jsonl: .*No such file or directory.*'
if [ "$(stat_of records_read)/$(stat_of samples_written)/$(stat_of rejected)" != 4/3/1 ]; then
    flunk "stats read/written/rejected are not 4/3/1: $(show err)"
fi
if [ ! -f out.jsonl ] || [ "$(wc -l <out.jsonl)" -ne 3 ]; then
    flunk "out.jsonl lacks the other inputs' samples"
fi
rm -f out.jsonl
end

# ========================================================= malloc failure

SHIM=
if ! command -v cc >/dev/null 2>&1; then
    skip "malloc failures" "no C compiler (cc) for the LD_PRELOAD shim"
elif ldd "$BIN" 2>/dev/null | grep -Eq 'lib(asan|tsan|msan|ubsan)'; then
    skip "malloc failures" "the binary is built with a sanitizer, which owns malloc"
elif ! cc -shared -fPIC -O2 -o failmalloc.so "$HERE/failmalloc.c" 2>cc.err; then
    skip "malloc failures" "the shim does not build: $(show cc.err)"
else
    SHIM=$TMP/failmalloc.so
fi

# malloc_sweep NAME ARGS...: with the Nth allocation failing, for N in
# 1..200, `llamafmt ARGS -o out.jsonl small.jsonl` must exit 0 with the
# undisturbed output, or exit 3 with one out-of-memory (or I/O) message and
# nothing left behind; never a signal, never exit 1 or 2 on this good input.
malloc_sweep() {
    local name=$1 n=1 step=1 runs=0 count bad=0 t0 us budget_us=13000000 nmax=200 lines left
    shift
    begin "malloc failures: $name"
    rm -f out.jsonl
    "$BIN" "$@" -o out.jsonl small.jsonl </dev/null >/dev/null 2>err
    st=$?
    want_status 0
    mv out.jsonl malloc.expected
    LD_PRELOAD=$SHIM FAILMALLOC_COUNT=count.txt "$BIN" "$@" -o out.jsonl small.jsonl </dev/null >/dev/null 2>&1
    count=$(cat count.txt 2>/dev/null || echo "?")
    rm -f out.jsonl
    t0=${EPOCHREALTIME/./}
    # (the loop forks nothing but llamafmt on the usual paths: builtins only)
    while [ "$n" -le "$nmax" ]; do
        LD_PRELOAD=$SHIM FAILMALLOC_N=$n "$BIN" "$@" -o out.jsonl small.jsonl </dev/null >out 2>err
        st=$?
        mapfile -t lines <err
        local why=
        if [ "$st" -ge 128 ]; then
            why="died by signal $((st - 128))"
        elif [ "$st" -eq 0 ]; then
            cmp -s out.jsonl malloc.expected || why="exit 0 but out.jsonl differs from the undisturbed output"
            [ "${#lines[@]}" -eq 0 ] || why="exit 0 with messages"
        elif [ "$st" -eq 3 ]; then
            shopt -s nocasematch
            if [ -e out.jsonl ] || compgen -G '.out.jsonl.tmp-*' >/dev/null; then
                why="exit 3 but out.jsonl or its temporary is left"
            elif [ "${#lines[@]}" -ne 1 ] ||
                ! [[ ${lines[0]} =~ ^llamafmt:\ .*(out\ of\ memory|cannot\ allocate\ memory|cannot\ start\ a\ thread|resource\ temporarily\ unavailable|error) ]]; then
                why="exit 3 without one out-of-memory or I/O message"
            fi
            shopt -u nocasematch
        else
            why="exit $st (want 0 or 3: the input is good)"
        fi
        if [ -n "$why" ]; then
            local IFS='|'
            flunk "FAILMALLOC_N=$n: $why; stderr: ${lines[*]:0:3}"
            unset IFS
            bad=$((bad + 1))
        fi
        [ ! -e out.jsonl ] || rm -f out.jsonl
        ! compgen -G '.out.jsonl.tmp-*' >/dev/null || rm -f .out.jsonl.tmp-*
        # keep the sweep within its time budget: every 10 runs, widen the
        # step so that the N left fit in the time left at the pace so far
        runs=$((runs + 1))
        us=$((${EPOCHREALTIME/./} - t0))
        if [ $((runs % 10)) -eq 0 ]; then
            left=$(((budget_us - us) * runs / us))
            if [ "$left" -lt 1 ]; then
                step=$((nmax))
            elif [ $(((nmax - n) / step)) -gt "$left" ]; then
                step=$(((nmax - n + left - 1) / left))
            fi
        fi
        n=$((n + step))
    done
    rm -f out.jsonl
    echo "note: malloc sweep '$name': $runs values of N in 1..$nmax (last step $step; $count allocations in a full run), $bad bad, $((us / 1000000)) s"
    end
}
if [ -n "$SHIM" ]; then
    malloc_sweep "--keep id -o" --keep id
    malloc_sweep "--on-error=skip --keep id -o (no record may be lost)" --on-error=skip --keep id
fi

# ================================================================= summary

harness_done faults
