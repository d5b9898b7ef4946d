#!/usr/bin/env bash
# Hostile-input tests of the llamafmt command line.
#
# usage: run_hostile.sh LLAMAFMT_BIN
#
# Every case feeds the binary a malformed, truncated, oversized or otherwise
# nasty input in a private temporary directory (removed on exit) and checks
#   - the exit status (never a crash: a signal exit is always a failure);
#   - with --on-error=fail, that standard error is exactly one line
#     `llamafmt: FILE:LINE:COL: MESSAGE` naming the place of the problem;
#   - with --on-error=skip, that the stream goes on: the good records before
#     and after the bad one (and a second, clean input after it) are all
#     converted, standard error is the one summary line plus the
#     --stats=json line, records_read == samples_written + rejected, and
#     every entry of the --rejects file names a place in the input where its
#     "record" (or record_base64) text really starts.
# Expected samples are written out by hand (as in tests/cli), never taken
# from llamafmt itself.
#
# Slow cases: a 200 MB line (twice, with peak RSS measured by /usr/bin/time
# when it is installed) and 1 GB of blank lines through a pipe (about 10 s);
# LLAMAFMT_HOSTILE_QUICK=1 skips the 1 GB case.  Needs bash, coreutils and
# python3 (or $PYTHON).  Prints one line per failure, and finally exactly
# `hostile: N passed, M failed`; exits 1 when M > 0 and 2 on a usage error.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/harness.sh
. "$HERE/../lib/harness.sh"
harness_args "$@"

harness_tmp hostile
HARNESS_TIMING=1 # slow cases say how long they took

# want_out_prefix FILE: stdout is a prefix of FILE (what a failed run wrote)
want_out_prefix() {
    local n
    n=$(wc -c <out)
    head -c "$n" "$1" | cmp -s - out || flunk "stdout is not a prefix of the expected output: $(show out)"
}

# stat_of KEY: a number from the --stats=json line on stderr ('' if none)
stat_of() {
    grep -a '^{"files": ' err | tail -n 1 | sed -n "s/.*\"$1\": \([0-9][0-9]*\).*/\1/p"
}

# want_stats READ WRITTEN REJECTED: the --stats=json line says so, and
# records_read == samples_written + rejected (one sample per record here;
# records_converted, where the statistics have it, is samples_written too)
want_stats() {
    local r w j c
    r=$(stat_of records_read)
    w=$(stat_of samples_written)
    j=$(stat_of rejected)
    c=$(stat_of records_converted)
    if [ -z "$r" ] || [ -z "$w" ] || [ -z "$j" ]; then
        flunk "no --stats=json line on stderr: $(show err)"
        return
    fi
    [ "$r" -eq $((w + j)) ] || flunk "records_read $r != samples_written $w + rejected $j"
    [ -z "$c" ] || [ "$c" -eq "$w" ] || flunk "records_converted $c != samples_written $w"
    if [ "$r" -ne "$1" ] || [ "$w" -ne "$2" ] || [ "$j" -ne "$3" ]; then
        flunk "stats read/written/rejected = $r/$w/$j, want $1/$2/$3"
    fi
}

# want_balanced: records_read == samples_written + rejected, counts unknown
want_balanced() {
    local r w j
    r=$(stat_of records_read)
    w=$(stat_of samples_written)
    j=$(stat_of rejected)
    if [ -z "$r" ] || [ -z "$w" ] || [ -z "$j" ]; then
        flunk "no --stats=json line on stderr: $(show err)"
    elif [ "$r" -ne $((w + j)) ]; then
        flunk "records_read $r != samples_written $w + rejected $j"
    elif [ -n "$(stat_of records_converted)" ] && [ "$(stat_of records_converted)" -ne "$w" ]; then
        flunk "records_converted $(stat_of records_converted) != samples_written $w"
    fi
}

# want_skip_err FILE POS REJECTED: stderr of an --on-error=skip --stats=json
# run is the summary line naming the first rejection at FILE:POS, then the
# statistics line
want_skip_err() {
    local n s=s
    n=$(wc -l <err)
    [ "$3" -eq 1 ] && s=
    if [ "$n" -ne 2 ]; then
        flunk "skip: stderr has $n lines, want 2 (summary, stats): $(show err)"
    elif ! head -n 1 err | grep -Eq "^llamafmt: $3 record$s rejected \(first: $1:$2: .+\)\$"; then
        flunk "skip: summary line does not name $1:$2: $(show err)"
    fi
}

# want_rejects REJFILE COUNT: COUNT lines, each a JSON object whose
# "record" (or decoded "record_base64") is a verbatim piece of its input
# file that contains (or ends at) the entry's file:line:column
want_rejects() {
    "$PY" - "$1" "$2" <<'EOF' >rejects.msg 2>&1 || flunk "rejects file: $(show rejects.msg)"
import base64, json, sys
path, want = sys.argv[1], int(sys.argv[2])
lines = open(path, "rb").read().split(b"\n")
if lines[-1] != b"":
    sys.exit("does not end with a newline")
lines = lines[:-1]
if len(lines) != want:
    sys.exit("%d entries, want %d" % (len(lines), want))
cache = {}
for raw in lines:
    o = json.loads(raw)
    for k in ("file", "line", "column", "error"):
        if k not in o:
            sys.exit("entry without %r: %r" % (k, raw[:200]))
    if "record_base64" in o:
        rec = base64.b64decode(o["record_base64"])
    elif o.get("record") is None:
        continue
    else:
        rec = o["record"].encode("utf-8", "surrogatepass")
    if o["file"] not in cache:
        cache[o["file"]] = open(o["file"], "rb").read()
    data = cache[o["file"]]
    lines_before = data.split(b"\n")[:o["line"] - 1]
    off = sum(len(l) + 1 for l in lines_before) + o["column"] - 1
    start = data.rfind(rec, 0, off + len(rec))
    if start < 0 or start + len(rec) < off:
        sys.exit("record %r does not hold %s:%d:%d (there: %r)"
                 % (rec[:80], o["file"], o["line"], o["column"], data[off:off + 80]))
EOF
}

# ------------------------------------------------------- expected samples

# sample USER ASSISTANT: the default (official, end-of-text) sample text
sample() {
    printf '%s' "$BOS$HS$DATEBLK$EOT${HU}$1$EOT${HA}$2$EOT$EOTX"
}

# Good records around every bad one: A before, Z after; after.jsonl is a
# second, clean input that must still be converted after a lost framing.
MSGS_A='[{"role": "user", "content": "A"}, {"role": "assistant", "content": "a"}]'
A="{\"messages\": $MSGS_A}"
Z='{"messages": [{"role": "user", "content": "Z"}, {"role": "assistant", "content": "z"}]}'
AFTER='{"messages": [{"role": "user", "content": "next"}, {"role": "assistant", "content": "file"}]}'
printf '%s\n' "$AFTER" >after.jsonl
NEXT=after.jsonl   # the clean input bad_case puts after the bad one
# PRE is the common beginning of the bad records, up to the opening quote of
# the user's content: the first content byte is at column 44.
PRE='{"messages": [{"role": "user", "content": "'
POST='"}, {"role": "assistant", "content": "a"}]}'
ALEN=${#A}

jl "$(sample A a)" >a.exp
jl "$(sample Z z)" >z.exp
jl "$(sample next file)" >after.exp
cat a.exp z.exp after.exp >az.exp    # A, Z, then after.jsonl
cat a.exp after.exp >a_.exp          # A, then after.jsonl (the rest was lost)
cat a.exp z.exp >azonly.exp

# pretty JSON: the record pretty-printed (indent 2) as `jq .` would
pretty() {
    "$PY" -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1]), indent=2, ensure_ascii=False))' "$1"
}

# ------------------------------------------------------------- core check

# bad_case NAME FILE POS MSG-ERE REJECTED EXPECTED [OPTIONS...]
#   fail: exit 1, one line "llamafmt: FILE:POS: MSG", stdout a prefix of EXPECTED;
#   skip: FILE then $NEXT (after.jsonl); exit 0; stdout == EXPECTED; summary line
#         names FILE:POS; stats add up with REJECTED; rejects file checks out.
bad_case() {
    local name=$1 file=$2 pos=$3 msg=$4 rej=$5 exp=$6
    shift 6
    begin "$name"
    lf "$@" "$file"
    want_no_crash
    want_status 1
    want_err_line "llamafmt: $file:$pos: $msg"
    want_out_prefix "$exp"
    lf --on-error=skip --stats=json --rejects rej.jsonl "$@" "$file" "$NEXT"
    want_no_crash
    want_status 0
    want_out_file "$exp"
    want_skip_err "$file" "$pos" "$rej"
    want_stats $(($(wc -l <"$exp") + rej)) "$(wc -l <"$exp")" "$rej"
    want_rejects rej.jsonl "$rej"
    end
}

# good_case NAME FILE EXPECTED [OPTIONS...]: converted cleanly: exit 0,
# stdout == EXPECTED, only the stats line on stderr, nothing rejected
good_case() {
    local name=$1 file=$2 exp=$3
    shift 3
    begin "$name"
    lf --stats=json "$@" "$file"
    want_no_crash
    want_status 0
    want_out_file "$exp"
    [ "$(wc -l <err)" -eq 1 ] || flunk "stderr is not just the stats line: $(show err)"
    want_stats "$(wc -l <"$exp")" "$(wc -l <"$exp")" 0
    end
}

# jsonl3 FILE BAD: A, the line BAD, Z (each ending in a newline)
jsonl3() {
    printf '%s\n%s\n%s\n' "$A" "$2" "$Z" >"$1"
}

# ============================================================== truncation

# JSONL: A, then a truncated record at the very end of the file.
printf '%s\n%s' "$A" '{"messages": [{"role": "user", ' >trunc-rec.jsonl
bad_case "truncated JSONL: mid-record" trunc-rec.jsonl 2:32 'invalid JSON: .*end of the record.*' 1 a_.exp
printf '%s\n%s' "$A" "${PRE}Hel" >trunc-str.jsonl
bad_case "truncated JSONL: mid-string" trunc-str.jsonl 2:43 'invalid JSON: unterminated string' 1 a_.exp
printf '%s\n%s' "$A" "${PRE}Hel\\" >trunc-esc.jsonl
bad_case "truncated JSONL: mid-escape (backslash)" trunc-esc.jsonl 2:43 'invalid JSON: unterminated string' 1 a_.exp
printf '%s\n%s' "$A" "${PRE}Hel\\u00" >trunc-uesc.jsonl
bad_case "truncated JSONL: mid-escape (\\u00)" trunc-uesc.jsonl 2:47 'malformed \\u escape.*' 1 a_.exp

# Arrays: the framing is lost; one error at the start of the broken element.
printf '[\n  %s,\n  %s' "$A" '{"messages": [{"role": "user", ' >trunc-rec.json
bad_case "truncated array: mid-record" trunc-rec.json 3:3 'unexpected end of input inside a record.*' 1 a_.exp
printf '[\n  %s,\n  %s' "$A" "${PRE}Hel" >trunc-str.json
bad_case "truncated array: mid-string" trunc-str.json 3:3 'unexpected end of input inside a record.*' 1 a_.exp
printf '[\n  %s,\n  %s' "$A" "${PRE}Hel\\u00" >trunc-esc.json
bad_case "truncated array: mid-escape" trunc-esc.json 3:3 'unexpected end of input inside a record.*' 1 a_.exp
printf '[\n  %s,\n  %s' "$A" "$Z" >trunc-close.json
bad_case "truncated array: missing ]" trunc-close.json 3:$((3 + ${#Z})) 'unexpected end of input inside the array.*' 1 az.exp

# Pretty-printed stream: A pretty, then Z pretty and cut.
pretty "$A" >pa.txt
PALINES=$(wc -l <pa.txt)
pretty "$Z" >pz.txt
# mid-record: Z up to and including its first message's "role" line
{ cat pa.txt; head -n 5 pz.txt; } >trunc-rec.pretty.json
bad_case "truncated stream: mid-record" trunc-rec.pretty.json $((PALINES + 1)):1 'unexpected end of input inside a record.*' 1 a_.exp
{ cat pa.txt; head -n 5 pz.txt; printf '      "content": "Z and mo'; } >trunc-str.pretty.json
bad_case "truncated stream: mid-string" trunc-str.pretty.json $((PALINES + 1)):1 'unexpected end of input inside a record.*' 1 a_.exp
{ cat pa.txt; head -n 5 pz.txt; printf '      "content": "Z\\u00'; } >trunc-esc.pretty.json
bad_case "truncated stream: mid-escape" trunc-esc.pretty.json $((PALINES + 1)):1 'unexpected end of input inside a record.*' 1 a_.exp

# ====================================================== final line, no \n

printf '%s\n%s' "$A" "$Z" >nonl.jsonl
good_case "JSONL: final line without newline" nonl.jsonl azonly.exp
printf '%s\r\n%s\r' "$A" "$Z" >nonl-crlf.jsonl
good_case "JSONL: CRLF, final line ending in a lone CR" nonl-crlf.jsonl azonly.exp
printf '[%s, %s]' "$A" "$Z" >nonl.json
good_case "array: no final newline" nonl.json azonly.exp
{ cat pa.txt; head -c -1 pz.txt; } >nonl.pretty.json
good_case "stream: no final newline" nonl.pretty.json azonly.exp

# ================================================================ NUL bytes

printf '%s\n%sx\0y%s\n%s\n' "$A" "$PRE" "$POST" "$Z" >nul-str.jsonl
bad_case "NUL byte inside a string" nul-str.jsonl 2:45 'invalid JSON: .*control character.*' 1 az.exp
printf '%s\n%s\0\n%s\n' "$A" "$A" "$Z" >nul-after.jsonl
bad_case "NUL byte after a record" nul-after.jsonl 2:$((ALEN + 1)) 'invalid JSON: .*(0x00|U\+0000).*' 1 az.exp
printf '%s\n{"messages":\0 %s}\n%s\n' "$A" "$MSGS_A" "$Z" >nul-ws.jsonl
bad_case "NUL byte between tokens" nul-ws.jsonl 2:13 'invalid JSON: .*(0x00|U\+0000).*' 1 az.exp
printf '%s\n\0\n%s\n' "$A" "$Z" >nul-line.jsonl
bad_case "NUL byte alone on a line" nul-line.jsonl 2:1 'invalid JSON: .*(0x00|U\+0000).*' 1 az.exp
printf '[%s,\n\0%s,\n%s]\n' "$A" "$A" "$Z" >nul-arr.json
begin "NUL byte between array elements"
lf --on-error=skip --stats=json --rejects rej.jsonl nul-arr.json after.jsonl
want_no_crash
want_status 0
grep -Eq '^llamafmt: [0-9]+ records? rejected \(first: nul-arr\.json:2:1: .+\)$' err ||
    flunk "the first rejection is not at nul-arr.json:2:1: $(show err)"
head -n 1 out | cmp -s - a.exp || flunk "the record before the NUL is not converted: $(show out)"
tail -n 1 out | cmp -s - after.exp || flunk "the next input is not converted: $(show out)"
want_balanced
want_rejects rej.jsonl "$(stat_of rejected)"
end

# ============================================================ invalid UTF-8

# utf8_case NAME BYTES: BYTES (printf %b) inside a content string, at col 45
utf8_case() {
    local f
    f=utf8-$(printf '%s' "$1" | tr -c 'a-zA-Z0-9' _).jsonl
    printf '%s\n%sx%by%s\n%s\n' "$A" "$PRE" "$2" "$POST" "$Z" >"$f"
    bad_case "invalid UTF-8: $1" "$f" 2:45 'invalid UTF-8.*' 1 az.exp
}
utf8_case "overlong C0 80 (NUL)" '\xc0\x80'
utf8_case "overlong C1 BF" '\xc1\xbf'
utf8_case "overlong E0 80 80" '\xe0\x80\x80'
utf8_case "overlong F0 80 80 80" '\xf0\x80\x80\x80'
utf8_case "F4 90 80 80 (above U+10FFFF)" '\xf4\x90\x80\x80'
utf8_case "F5 80 80 80" '\xf5\x80\x80\x80'
utf8_case "F8 88 80 80 80 (5-byte form)" '\xf8\x88\x80\x80\x80'
utf8_case "FE" '\xfe'
utf8_case "FF" '\xff'
utf8_case "lone continuation 80" '\x80'
utf8_case "lone continuation BF BF" '\xbf\xbf'
utf8_case "surrogate ED A0 80 (U+D800)" '\xed\xa0\x80'
utf8_case "surrogate ED BF BF (U+DFFF)" '\xed\xbf\xbf'
utf8_case "truncated sequence E4 B8 before a quote" '\xe4\xb8'
utf8_case "truncated sequence F0 9F 98 before ASCII" '\xf0\x9f\x98'
printf '%s\n{"messages": %s, "k\xff": 1}\n%s\n' "$A" "$MSGS_A" "$Z" >utf8-key.jsonl
bad_case "invalid UTF-8 in a key" utf8-key.jsonl 2:$((13 + ${#MSGS_A} + 5)) 'invalid UTF-8.*' 1 az.exp
printf '%s\n%s \x80\n%s\n' "$A" "$A" "$Z" >utf8-out.jsonl
bad_case "invalid UTF-8 outside strings" utf8-out.jsonl 2:$((ALEN + 2)) 'invalid UTF-8.*' 1 az.exp
# rejects keep a record that is not valid UTF-8 as record_base64 (checked
# by want_rejects); a valid 4-byte sequence is fine
jsonl3 utf8-ok.jsonl "${PRE}"$'\xf0\x9f\x98\x80 \xe4\xb8\xad \xc3\xa9'"$POST"
jl "$(sample A a)" "$(sample $'\xf0\x9f\x98\x80 \xe4\xb8\xad \xc3\xa9' a)" "$(sample Z z)" >utf8-ok.exp
good_case "valid UTF-8 (control)" utf8-ok.jsonl utf8-ok.exp

# ================================================================ \u escapes

# esc_case NAME ESCAPES MSG-ERE: the escape text inside a content string, at col 45
esc_case() {
    local f
    f=esc-$(printf '%s' "$1" | tr -c 'a-zA-Z0-9' _).jsonl
    jsonl3 "$f" "${PRE}x$2y$POST"
    bad_case "escape: $1" "$f" 2:45 "$3" 1 az.exp
}
esc_case 'lone high surrogate \ud800' '\ud800' '.*lone high surrogate.*'
esc_case 'lone high surrogate \udbff at the end' '\udbff' '.*lone high surrogate.*'
esc_case 'lone low surrogate \udc00' '\udc00' '.*lone low surrogate.*'
esc_case 'high + high \ud800\ud800' '\ud800\ud800' '.*lone high surrogate.*'
esc_case 'low + high \udc00\ud800' '\udc00\ud800' '.*lone low surrogate.*'
esc_case 'high + escaped non-surrogate \ud800\u0041' '\ud800\u0041' '.*lone high surrogate.*'
esc_case '\u0000' '\u0000' '.*\\u0000.*'
esc_case '\uZZZZ' '\uZZZZ' 'malformed \\u escape.*'
esc_case '\u12 (short)' '\u12' 'malformed \\u escape.*'
esc_case '\x (unknown escape)' '\x41' 'invalid JSON.*'
printf '%s\n{"messages": %s, "\\ud800": 1}\n%s\n' "$A" "$MSGS_A" "$Z" >esc-key.jsonl
bad_case 'escape: lone surrogate in a key' esc-key.jsonl 2:$((13 + ${#MSGS_A} + 4)) '.*lone high surrogate.*' 1 az.exp
jsonl3 esc-ok.jsonl "${PRE}\\ud83d\\ude00\\u00e9\\u4e2d$POST"
jl "$(sample A a)" "$(sample $'\xf0\x9f\x98\x80\xc3\xa9\xe4\xb8\xad' a)" "$(sample Z z)" >esc-ok.exp
good_case 'escape: a valid surrogate pair (control)' esc-ok.jsonl esc-ok.exp

# ================================================================= nesting

DEEP=$("$PY" -c 'print("[" * 10000 + "]" * 10000)')
DEEPCOL=$((13 + ${#MSGS_A} + 7 + 1000))   # level 1001: the record, then the 1000th '['
jsonl3 deep.jsonl "{\"messages\": $MSGS_A, \"x\": $DEEP}"
bad_case "10,000-deep nesting (JSONL)" deep.jsonl "2:$DEEPCOL" 'invalid JSON: .*nest.*' 1 az.exp
printf '[%s,\n{"messages": %s, "x": %s},\n%s]\n' "$A" "$MSGS_A" "$DEEP" "$Z" >deep.json
bad_case "10,000-deep nesting (array)" deep.json "2:$DEEPCOL" 'invalid JSON: .*nest.*' 1 az.exp
OBJDEEP=$("$PY" -c 'print("{\"a\": " * 10000 + "1" + "}" * 10000)')
jsonl3 deep-obj.jsonl "{\"messages\": $MSGS_A, \"x\": $OBJDEEP}"
bad_case "10,000-deep objects" deep-obj.jsonl "2:$((13 + ${#MSGS_A} + 7 + 6 * 999 + 1))" 'invalid JSON: .*nest.*' 1 az.exp
jsonl3 deep-top.jsonl "$DEEP"
bad_case "10,000-deep top-level array" deep-top.jsonl 2:1001 'invalid JSON: .*nest.*' 1 az.exp

# ======================================================== a 200 MB line

BIGN=200000000
bigline() {
    printf '%s' "$PRE"
    head -c "$BIGN" /dev/zero | tr '\0' x
    printf '%s\n' "$POST"
}
{
    printf '%s\n' "$A"
    bigline
    printf '%s\n' "$Z"
} >big.jsonl
BIGLEN=$((${#PRE} + BIGN + ${#POST}))
HAVE_TIME=0
if ldd "$BIN" 2>/dev/null | grep -Eq 'lib(asan|tsan|msan)'; then
    echo "note: sanitizer build: peak RSS not checked"
elif [ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1; then
    HAVE_TIME=1
else
    echo "note: /usr/bin/time -v missing (apt-get install time): peak RSS not checked"
fi

# peak_kb CMD...: run CMD (stdout -> out, stderr -> err); $st; $rss_kb
peak_kb() {
    rss_kb=0
    if [ "$HAVE_TIME" -eq 1 ]; then
        /usr/bin/time -v -o time.txt "$@" </dev/null >out 2>err
        st=$?
        rss_kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' time.txt)
    else
        "$@" </dev/null >out 2>err
        st=$?
    fi
}

begin "200 MB line with --max-record-size=256M: converted, RSS < 6x the line"
peak_kb "$BIN" --max-record-size=256M --stats=json big.jsonl
want_no_crash
want_status 0
[ "$(wc -l <out)" -eq 3 ] || flunk "$(wc -l <out) output lines, want 3"
head -n 1 out | cmp -s - a.exp || flunk "first sample wrong"
tail -n 1 out | cmp -s - z.exp || flunk "last sample wrong"
# the big sample: the sample of content "x" with BIGN-1 more x's
want_len=$(($(jl "$(sample x a)" | wc -c) + BIGN - 1))
got_len=$(sed -n 2p out | wc -c)
[ "$got_len" -eq "$want_len" ] || flunk "big sample is $got_len bytes, want $want_len"
sed -n 2p out | head -c 400 | grep -Fq "${HU//$'\n'/\\n}xxxxxxxx" || flunk "big sample does not start as expected"
want_stats 3 3 0
if [ "$HAVE_TIME" -eq 1 ]; then
    # the budget: the read buffer, the batch's copy, the parse tree, the
    # sample and its JSON escape are each about one line long at their peak
    limit=$((6 * BIGLEN / 1024))
    [ "$rss_kb" -lt "$limit" ] || flunk "peak RSS ${rss_kb} KiB >= 6 x the line (${limit} KiB)"
    echo "note: 200 MB line converted with peak RSS $((rss_kb / 1024)) MiB ($((rss_kb * 100 / (BIGLEN / 1024)))% of the line)"
fi
end

begin "200 MB line with --max-record-size=1M: rejected unread, stream goes on"
peak_kb "$BIN" --max-record-size=1M big.jsonl
want_status 1
want_err_line 'llamafmt: big\.jsonl:2:1: .*max-record-size.*'
peak_kb "$BIN" --max-record-size=1M --on-error=skip --stats=json --rejects rej.jsonl big.jsonl after.jsonl
want_no_crash
want_status 0
want_out_file az.exp
want_skip_err big.jsonl 2:1 1
want_stats 4 3 1
grep -q '"too_large": 1' err || flunk "not counted as too_large: $(show err)"
want_rejects rej.jsonl 1
grep -q '"record": null' rej.jsonl || flunk "rejects entry should have \"record\": null: $(show rej.jsonl)"
if [ "$HAVE_TIME" -eq 1 ]; then
    [ "$rss_kb" -lt 65536 ] || flunk "peak RSS ${rss_kb} KiB for a record that is not read into memory"
fi
end

begin "200 MB element in an array with --max-record-size=1M"
{
    printf '[%s,\n' "$A"
    bigline | head -c -1
    printf ',\n%s]\n' "$Z"
} >big.json
rm -f big.jsonl
peak_kb "$BIN" --max-record-size=1M --on-error=skip --stats=json --rejects rej.jsonl big.json after.jsonl
want_no_crash
want_status 0
want_out_file az.exp
want_skip_err big.json 2:1 1
want_stats 4 3 1
want_rejects rej.jsonl 1
if [ "$HAVE_TIME" -eq 1 ]; then
    [ "$rss_kb" -lt 65536 ] || flunk "peak RSS ${rss_kb} KiB for a record that is not read into memory"
fi
rm -f big.json out
end

# ==================================================== 1 GB of blank lines

if [ "${LLAMAFMT_HOSTILE_QUICK:-0}" = 1 ]; then
    skip "1 GB of blank lines, then one record" "LLAMAFMT_HOSTILE_QUICK=1"
else
    begin "1 GB of blank lines, then one record (pipe)"
    {
        head -c 1G /dev/zero | tr '\0' '\n'
        printf '%s\n' "$A"
    } | "$BIN" --stats=json >out 2>err
    st=$?
    want_no_crash
    want_status 0
    want_out_file a.exp
    want_stats 1 1 0
    end
fi

# ================================================================ numbers

NUMS='"a": 1e999, "b": -1e999, "c": 1e-999, "d": 123456789012345678901234567890, "e": -1e-999, "f": 1E400, "g": -0, "h": 1.50'
printf '{%s, "messages": %s}\n' "$NUMS" "$MSGS_A" >nums.jsonl
"$PY" -c '
import json, sys
print(json.dumps({"a": 1e999, "b": -1e999, "c": 1e-999, "d": 123456789012345678901234567890, "e": -1e-999,
                  "f": 1E400, "g": -0, "h": 1.50, "text": json.loads(sys.argv[1])["text"]}, ensure_ascii=False))' \
    "$(cat a.exp)" >nums.exp
good_case "numbers in --keep keys: as json.dumps writes them" nums.jsonl nums.exp --keep a,b,c,d,e,f,g,h

# Records with an "id" for --keep id: AK, ZK, after-keep.jsonl, az-keep.exp
AK="{\"id\": 1, \"messages\": $MSGS_A}"
ZK='{"id": 2, "messages": [{"role": "user", "content": "Z"}, {"role": "assistant", "content": "z"}]}'
printf '{"id": "n", "messages": [{"role": "user", "content": "next"}, {"role": "assistant", "content": "file"}]}\n' >after-keep.jsonl
"$PY" -c '
import json, sys
for i, l in zip((1, 2, "n"), open(sys.argv[1])):
    print(json.dumps({"id": i, "text": json.loads(l)["text"]}, ensure_ascii=False))' az.exp >az-keep.exp

BIGINT=$("$PY" -c 'print("9" * 4301)')
printf '%s\n{"id": %s, "messages": %s}\n%s\n' "$AK" "$BIGINT" "$MSGS_A" "$ZK" >int4301.jsonl
NEXT=after-keep.jsonl
bad_case "a 4301-digit integer in a --keep key (Python's limit)" int4301.jsonl 2:8 '(id: )?.*4300.*' 1 az-keep.exp --keep id
NEXT=after.jsonl
begin "a 4300-digit integer in a --keep key"
printf '{"n": %s, "messages": %s}\n' "${BIGINT:1}" "$MSGS_A" >int4300.jsonl
lf --keep n int4300.jsonl
want_status 0
grep -Fq "{\"n\": ${BIGINT:1}, \"text\": " out || flunk "kept integer not written in full"
end

# A tool call: FN_ARGS are the arguments, RESULT the tool's content.
tool_rec() {
    printf '{"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}], "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": %s}}]}, {"role": "tool", "content": %s}, {"role": "assistant", "content": "done"}]}\n' "$1" "$2"
}
begin "numbers in tool arguments and results: as json.dumps writes them"
tool_rec '{"a": 1e999, "b": -1e999, "c": 1e-999, "d": 123456789012345678901234567890, "e": [1E2, -0]}' \
    '[1e999, -1e999, 1e-999, 123456789012345678901234567890]' >tool-nums.jsonl
lf -p official --no-end-of-text tool-nums.jsonl
want_status 0
grep -Fq '{\"name\": \"f\", \"parameters\": {\"a\": Infinity, \"b\": -Infinity, \"c\": 0.0, \"d\": 123456789012345678901234567890, \"e\": [100.0, 0]}}<|eot_id|>' out ||
    flunk "tool call not as json.dumps: $(show out)"
grep -Fq '<|start_header_id|>ipython<|end_header_id|>\n\n[Infinity, -Infinity, 0.0, 123456789012345678901234567890]<|eot_id|>' out ||
    flunk "tool result not as json.dumps: $(show out)"
tool_rec '"{\"a\": 1e999, \"d\": 123456789012345678901234567890}"' '"ok"' >tool-nums2.jsonl
lf -p official --no-end-of-text tool-nums2.jsonl
want_status 0
grep -Fq '\"parameters\": {\"a\": Infinity, \"d\": 123456789012345678901234567890}}' out ||
    flunk "arguments given as a JSON string: $(show out)"
end

# ========================================================== duplicate keys

jsonl3 dup-messages.jsonl "{\"messages\": $MSGS_A, \"messages\": $MSGS_A}"
bad_case 'duplicate key: messages' dup-messages.jsonl 2:1 'duplicate key "messages"' 1 az.exp
jsonl3 dup-role.jsonl '{"messages": [{"role": "user", "role": "user", "content": "A"}, {"role": "assistant", "content": "a"}]}'
bad_case 'duplicate key: messages[0].role' dup-role.jsonl 2:15 'messages\[0\]: duplicate key "role"' 1 az.exp
jsonl3 dup-content.jsonl '{"messages": [{"role": "user", "content": "A"}, {"role": "assistant", "content": "a", "content": "b"}]}'
bad_case 'duplicate key: messages[1].content' dup-content.jsonl 2:49 'messages\[1\]: duplicate key "content"' 1 az.exp
jsonl3 dup-value.jsonl '{"conversations": [{"from": "human", "value": "q", "value": "r"}, {"from": "gpt", "value": "a"}]}'
bad_case 'duplicate key: conversations[0].value' dup-value.jsonl 2:20 'conversations\[0\]: duplicate key "value"' 1 az.exp
jsonl3 dup-instr.jsonl '{"instruction": "a", "instruction": "b", "output": "c"}'
bad_case 'duplicate key: instruction (alpaca)' dup-instr.jsonl 2:1 'duplicate key "instruction"' 1 az.exp
printf '%s\n{"id": 1, "id": 2, "messages": %s}\n%s\n' "$AK" "$MSGS_A" "$ZK" >dup-keep.jsonl
NEXT=after-keep.jsonl
bad_case 'duplicate key named by --keep' dup-keep.jsonl 2:1 'duplicate key "id"' 1 az-keep.exp --keep id
NEXT=after.jsonl

begin 'duplicate key llamafmt does not read: accepted'
jsonl3 dup-unread.jsonl "{\"id\": 1, \"id\": 2, \"messages\": $MSGS_A}"
lf dup-unread.jsonl
want_status 0
want_out_file <(cat a.exp a.exp z.exp)
end

begin 'duplicate keys inside tool arguments and results: the last wins, as json.loads'
tool_rec '{"x": 1, "y": {"k": 1, "k": [2]}, "x": "last"}' '{"r": 1, "s": 0, "r": 2}' >dup-args.jsonl
tool_rec '{"x": "last", "y": {"k": [2]}}' '{"r": 2, "s": 0}' >dup-args.want.jsonl
lf -p official --no-end-of-text dup-args.want.jsonl
want_status 0
cp out dup-args.exp
lf -p official --no-end-of-text dup-args.jsonl
want_status 0
want_out_file dup-args.exp
tool_rec '"{\"x\": 1, \"x\": \"last\"}"' '"ok"' >dup-args2.jsonl
tool_rec '"{\"x\": \"last\"}"' '"ok"' >dup-args2.want.jsonl
lf -p official --no-end-of-text dup-args2.want.jsonl
cp out dup-args2.exp
lf -p official --no-end-of-text dup-args2.jsonl
want_status 0
want_out_file dup-args2.exp
end

# ======================================================== case of the keys

begin 'keys differing only in case: lookups are case-sensitive'
printf '{"Messages": [], "MESSAGES": 1, "messages": %s}\n' "$MSGS_A" >case1.jsonl
lf case1.jsonl
want_status 0
want_out_file a.exp
printf '{"messages": [{"Role": "x", "role": "user", "content": "A", "Content": 7}, {"role": "assistant", "CONTENT": null, "content": "a"}]}\n' >case2.jsonl
lf case2.jsonl
want_status 0
want_out_file a.exp
end
jsonl3 case3.jsonl '{"Messages": [{"role": "user", "content": "A"}, {"role": "assistant", "content": "a"}]}'
bad_case 'keys differing only in case: "Messages" alone is no shape' case3.jsonl 2:1 'unknown record shape.*' 1 az.exp
jsonl3 case4.jsonl '{"messages": [{"Role": "user", "content": "A"}, {"role": "assistant", "content": "a"}]}'
bad_case 'keys differing only in case: "Role" is not "role"' case4.jsonl 2:15 'messages\[0\]: missing key "role"' 1 az.exp

# ======================================================= wrong "messages"

jsonl3 msg-object.jsonl '{"messages": {"role": "user", "content": "A"}}'
bad_case 'messages is an object' msg-object.jsonl 2:14 'messages: .*array.*object' 1 az.exp
jsonl3 msg-string.jsonl '{"messages": "hello"}'
bad_case 'messages is a string' msg-string.jsonl 2:14 'messages: .*array.*string' 1 az.exp
jsonl3 msg-number.jsonl '{"messages": 12}'
bad_case 'messages is a number' msg-number.jsonl 2:14 'messages: .*array.*number' 1 az.exp
jsonl3 msg-null.jsonl '{"messages": null}'
bad_case 'messages is null' msg-null.jsonl 2:14 'messages: .*array.*null' 1 az.exp

begin 'messages is a huge array (100,000 messages)'
"$PY" - <<'EOF'
import json
msgs, text = [], []
BOS, EOT = "<|begin_of_text|>", "<|eot_id|>"
H = "<|start_header_id|>%s<|end_header_id|>\n\n"
for i in range(50000):
    msgs += [{"role": "user", "content": "u%d" % i}, {"role": "assistant", "content": "a%d" % i}]
    text += [H % "user", "u%d" % i, EOT, H % "assistant", "a%d" % i, EOT]
with open("huge.jsonl", "w") as f:
    f.write(json.dumps({"messages": msgs}) + "\n")
sample = (BOS + H % "system" + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n" + EOT
          + "".join(text) + "<|end_of_text|>")
with open("huge.exp", "w") as f:
    f.write(json.dumps({"text": sample}, ensure_ascii=False) + "\n")
EOF
cat a.exp huge.exp z.exp >huge3.exp
{ printf '%s\n' "$A"; cat huge.jsonl; printf '%s\n' "$Z"; } >huge3.jsonl
lf --stats=json huge3.jsonl
want_no_crash
want_status 0
want_out_file huge3.exp
want_stats 3 3 0
end

# ============================================== records that are not objects

jsonl3 top-array.jsonl "[$A]"
bad_case 'a record that is a top-level array' top-array.jsonl 2:1 '.*must be a JSON object, found an array' 1 az.exp
jsonl3 top-string.jsonl '"messages"'
bad_case 'a record that is a string' top-string.jsonl 2:1 '.*must be a JSON object, found a string' 1 az.exp
jsonl3 top-number.jsonl '-12.5e3'
bad_case 'a record that is a number' top-number.jsonl 2:1 '.*must be a JSON object, found a number' 1 az.exp
jsonl3 top-null.jsonl 'null'
bad_case 'a record that is null' top-null.jsonl 2:1 '.*must be a JSON object, found null' 1 az.exp
jsonl3 top-true.jsonl 'true'
bad_case 'a record that is true' top-true.jsonl 2:1 '.*must be a JSON object, found a boolean' 1 az.exp

printf '[%s, 1, "s", null, true, [], [%s], %s]\n' "$A" "$A" "$Z" >nonobj.json
begin 'array file whose elements include non-objects'
lf nonobj.json
want_status 1
want_err_line "llamafmt: nonobj\\.json:1:$((ALEN + 4)): .*must be a JSON object, found a number"
lf --on-error=skip --stats=json --rejects rej.jsonl nonobj.json after.jsonl
want_no_crash
want_status 0
want_out_file az.exp
want_skip_err nonobj.json 1:$((ALEN + 4)) 6
want_stats 9 3 6
want_rejects rej.jsonl 6
end

# ================================================ garbage between elements

# Framing is lost: one error at the garbage, the rest of the input dropped.
printf '[%s} %s]\n' "$A" "$Z" >garbage1.json
bad_case 'garbage between array elements: }' garbage1.json 1:$((ALEN + 2)) "expected ',' or '\\]' after a record.*" 1 a_.exp
printf '[%s ; %s]\n' "$A" "$Z" >garbage2.json
bad_case 'garbage between array elements: ;' garbage2.json 1:$((ALEN + 3)) "expected ',' or '\\]' after a record.*" 1 a_.exp
printf '[%s,, %s]\n' "$A" "$Z" >garbage3.json
bad_case 'garbage between array elements: ,,' garbage3.json 1:$((ALEN + 3)) "unexpected ',' .*" 1 a_.exp
printf '[%s %s]\n' "$A" "$Z" >garbage4.json
bad_case 'garbage between array elements: missing comma' garbage4.json 1:$((ALEN + 3)) "expected ',' or '\\]' after a record.*" 1 a_.exp
printf '[%s, %s,]\n' "$A" "$Z" >garbage5.json
bad_case 'garbage between array elements: trailing comma' garbage5.json 1:$((ALEN + ${#Z} + 5)) "trailing ',' .*" 1 az.exp
printf '[%s, %s] xyz\n' "$A" "$Z" >garbage6.json
bad_case 'garbage after the array' garbage6.json 1:$((ALEN + ${#Z} + 6)) "expected '\\[' .*" 1 az.exp
# arrays one after another (files joined with cat) read as one stream
printf '[%s]\n[%s]\n' "$A" "$Z" >arrays2.json
good_case 'two arrays one after another' arrays2.json azonly.exp

# ======================================================= a BOM mid-file

BOM=$'\xef\xbb\xbf'
# JSONL: a BOM that starts a line (files joined with cat) is skipped, as at
# the start of the file and as cJSON does; anywhere else it is an error.
printf '%s\n%s%s\n%s\n' "$A" "$BOM" "$A" "$Z" >bom-line.jsonl
cat a.exp a.exp z.exp >aaz.exp
good_case 'BOM at the start of a JSONL line' bom-line.jsonl aaz.exp
printf '%s\n{"messages": %s%s}\n%s\n' "$A" "$BOM" "$MSGS_A" "$Z" >bom-inside.jsonl
bad_case 'BOM inside a record' bom-inside.jsonl 2:14 'invalid JSON: .*' 1 az.exp
printf '%s\n%s %s\n%s\n' "$A" "$A" "$BOM" "$Z" >bom-after.jsonl
bad_case 'BOM after a record on its line' bom-after.jsonl 2:$((ALEN + 2)) 'invalid JSON: .*' 1 az.exp
# array / stream: a BOM between elements is garbage at its own position
printf '[%s,\n%s%s,\n%s]\n' "$A" "$BOM" "$A" "$Z" >bom-arr.json
begin 'BOM between array elements'
lf bom-arr.json
want_no_crash
want_status 1
want_err_line 'llamafmt: bom-arr\.json:2:1: .*'
lf --on-error=skip --stats=json --rejects rej.jsonl bom-arr.json after.jsonl
want_no_crash
want_status 0
head -n 1 out | cmp -s - a.exp || flunk "the record before the BOM is not converted"
tail -n 1 out | cmp -s - after.exp || flunk "the next input is not converted"
want_balanced
want_rejects rej.jsonl "$(stat_of rejected)"
end
{ cat pa.txt; printf '%s' "$BOM"; cat pz.txt; } >bom-stream.json
begin 'BOM between pretty-printed records'
lf bom-stream.json
want_no_crash
want_status 1
want_err_line "llamafmt: bom-stream\\.json:$((PALINES + 1)):1: .*"
lf --on-error=skip --stats=json --rejects rej.jsonl bom-stream.json after.jsonl
want_no_crash
want_status 0
head -n 1 out | cmp -s - a.exp || flunk "the record before the BOM is not converted"
tail -n 1 out | cmp -s - after.exp || flunk "the next input is not converted"
want_balanced
want_rejects rej.jsonl "$(stat_of rejected)"
end

# ================================================================= summary

harness_done hostile
