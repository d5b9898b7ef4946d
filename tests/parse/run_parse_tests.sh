#!/usr/bin/env bash
# End-to-end tests of llamafmt --parse: Llama 3 text samples back to
# messages JSONL.
#
# usage: run_parse_tests.sh LLAMAFMT_BIN
#
# 1. Round trips: tests/corpus/chat.jsonl, tests/corpus/tools.jsonl and
#    examples/*.json* rendered under each profile (official, meta, guide) in
#    several forms ({"text"} JSONL; raw text with "\n", NUL or no separator;
#    generation prompts; --no-end-of-text; --no-bos), parsed with --parse,
#    and rendered again with the same options: the bytes must be identical.
# 2. Every malformation, in a {"text"} JSONL record and in raw text: the
#    message, its file:line:column (raw text: the offending byte; JSONL: the
#    offending character inside the "text" string, counted by Python here),
#    exit status 1, no file left with -o, and standard output keeping the
#    sample before the bad one.
# 3. --on-error=skip with --rejects, standard input, .gz and .zst inputs,
#    --keep, --stats, JSON arrays, --date, --end-of-text, options refused.
#
# Prints one line per failure, and finally exactly
# `parse: N passed, M failed`; exits 1 when M > 0 and 2 on a usage error.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/harness.sh
. "$HERE/../lib/harness.sh"
harness_args "$@"

REPO=$(cd "$HERE/../.." && pwd)
harness_tmp parse

HI=$'<|start_header_id|>ipython<|end_header_id|>\n\n'
PY_TAG='<|python_tag|>'
EOM='<|eom_id|>'

# want_err_exact TEXT: stderr is exactly the line TEXT
want_err_exact() {
    printf '%s\n' "$1" >err.want
    cmp -s err err.want || flunk "stderr is not \"$1\": $(show err)"
}

# rawpos FILE OFFSET: LINE:COLUMN (1-based, bytes) of byte OFFSET of FILE
rawpos() {
    "$PY" -c '
import sys
d = open(sys.argv[1], "rb").read()[:int(sys.argv[2])]
print("%d:%d" % (d.count(b"\n") + 1, len(d) - (d.rfind(b"\n") + 1) + 1))' "$1" "$2"
}

# jcol PREFIX: the column, in the line {"text": json.dumps(SAMPLE)}, of the
# character that follows PREFIX (a prefix of SAMPLE)
jcol() {
    printf '%s' "$1" | "$PY" -c '
import json, sys
p = sys.stdin.buffer.read().decode("utf-8")
print(len(("{\"text\": " + json.dumps(p, ensure_ascii=False)[:-1]).encode("utf-8")) + 1)'
}

# messages RECORD...: the records as one JSONL text (json.dumps of each)
messages() {
    printf '%s\0' "$@" | "$PY" -c '
import json, sys
for r in sys.stdin.buffer.read().split(b"\0")[:-1]:
    sys.stdout.buffer.write((json.dumps(json.loads(r), ensure_ascii=False) + "\n").encode("utf-8"))'
}

GOOD_S="$BOS$HS$DATEBLK$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX"
GOOD_M='{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}'
messages "$GOOD_M" >good.m

# ============================================================ round trips

CORPORA="$REPO/tests/corpus/chat.jsonl $REPO/tests/corpus/tools.jsonl"
for f in "$REPO"/examples/*.json "$REPO"/examples/*.jsonl; do
    CORPORA="$CORPORA $f"
done

# roundtrip NAME OPTIONS...: render each corpus with OPTIONS, --parse it
# (with -p and any --date of OPTIONS), render the messages with OPTIONS again
roundtrip() {
    local name=$1 f base popts=() o
    shift
    for o in "$@"; do
        case $o in
        --profile=*|--date=*) popts+=("$o") ;;
        esac
    done
    for f in $CORPORA; do
        base=${f##*/}
        begin "round trip $base: $name"
        "$BIN" --on-error=skip -q "$@" "$f" >first 2>err </dev/null || flunk "first render failed: $(show err)"
        if [ ! -s first ]; then
            case "$base $name" in
            "tools.jsonl guide"*) ;;                  # the guide has no tool format: every record is skipped
            *) flunk "the first render wrote nothing" ;;
            esac
        fi
        lf --parse "${popts[@]}" first
        want_status 0
        want_err_empty
        mv out parsed
        n1=$("$PY" -c 'import sys; print(open(sys.argv[1], "rb").read().count(sys.argv[2].encode()))' first '<|begin_of_text|>')
        n2=$(wc -l <parsed)
        case " $* " in
        *" --no-bos "*) ;;
        *) [ "$n1" -eq "$n2" ] || flunk "$n1 samples, $n2 messages records" ;;
        esac
        "$BIN" --on-error=skip "$@" parsed >second 2>err </dev/null
        [ -s err ] && flunk "the second render reported: $(show err)"
        cmp -s first second || flunk "render -> parse -> render differs: $(cmp first second 2>&1 | head -1)"
        end
    done
}

for p in official meta guide; do
    roundtrip "$p, JSONL" --profile="$p"
    roundtrip "$p, raw text" --profile="$p" -t text
    roundtrip "$p, raw text, NUL-separated" --profile="$p" -0
    roundtrip "$p, raw text, no separator" --profile="$p" -t text --separator=
    roundtrip "$p, generation prompts, raw text" --profile="$p" -t text --generation-prompt
    roundtrip "$p, --no-end-of-text" --profile="$p" --no-end-of-text
    roundtrip "$p, --no-bos" --profile="$p" --no-bos
done
roundtrip "official, --date" --profile=official --date=1_Jan_2025 -t text

begin "the parsed tool records carry tools, builtin_tools and tool calls"
"$BIN" "$REPO/tests/corpus/tools.jsonl" >tools.first 2>err </dev/null
lf --parse tools.first
want_status 0
"$PY" - out "$REPO/tests/corpus/tools.jsonl" >check.out 2>&1 <<'EOF' || flunk "$(cat check.out)"
import json, sys
got = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
src = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert len(got) == len(src), (len(got), len(src))
calls = results = tools = builtin = 0
for g, s in zip(got, src):
    if "tools" in s or "custom_tools" in s:
        assert "tools" in g, g
        tools += 1
    if s.get("builtin_tools") is not None:
        assert "builtin_tools" in g, g
        assert set(g["builtin_tools"]) <= set(s["builtin_tools"]), (g["builtin_tools"], s["builtin_tools"])
        builtin += 1
    calls += sum("tool_calls" in m for m in g["messages"])
    results += sum(m["role"] == "tool" for m in g["messages"])
    assert sum("tool_calls" in m for m in g["messages"]) == sum("tool_calls" in m for m in s["messages"])
assert calls > 100 and results > 100 and tools > 50 and builtin > 20, (calls, results, tools, builtin)
EOF
end

begin "the parsed examples are -t messages of the examples, contents stripped"
for f in "$REPO"/examples/*.json "$REPO"/examples/*.jsonl; do
    "$BIN" -t messages "$f" 2>err </dev/null | "$PY" -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    for m in r["messages"]:
        if isinstance(m.get("content"), str) and m["role"] != "tool":
            m["content"] = m["content"].strip()   # str.strip(), as the official template
    print(json.dumps(r, ensure_ascii=False))' >want.m
    "$BIN" "$f" 2>err </dev/null | "$BIN" --parse >out 2>err
    cmp -s out want.m || flunk "${f##*/}: $(diff want.m out | head -5)"
done
end

# ======================================================== malformations

# bad_case NAME PREFIX REST MESSAGE [OPTIONS...]: the sample PREFIX+REST is
# malformed at byte ${#PREFIX} with MESSAGE; checked after a good sample,
# in JSONL (line 2) and in raw text
bad_case() {
    local name=$1 prefix=$2 rest=$3 msg=$4 sample n col pos
    shift 4
    sample=$prefix$rest
    n=${#prefix}

    jl "$GOOD_S" "$sample" "$GOOD_S" >bad.jsonl
    col=$(jcol "$prefix")
    begin "malformed, JSONL: $name"
    lf --parse "$@" bad.jsonl
    want_status 1
    want_err_exact "llamafmt: bad.jsonl:2:$col: sample byte $n: $msg"
    want_out_file good.m
    end

    begin "malformed, JSONL, -o: $name"
    rm -f o.jsonl
    lf --parse "$@" -o o.jsonl bad.jsonl
    want_status 1
    want_out_empty
    want_err_exact "llamafmt: bad.jsonl:2:$col: sample byte $n: $msg"
    want_no_output o.jsonl
    end

    printf '%s\n%s\n%s\n' "$GOOD_S" "$sample" "$GOOD_S" >bad.txt
    pos=$(rawpos bad.txt $((${#GOOD_S} + 1 + n)))
    begin "malformed, raw text: $name"
    lf --parse "$@" bad.txt
    want_status 1
    want_err_exact "llamafmt: bad.txt:$pos: sample byte $n: $msg"
    want_out_file good.m
    end

    begin "malformed, raw text, -o: $name"
    rm -f o.jsonl
    lf --parse "$@" -o o.jsonl bad.txt
    want_status 1
    want_out_empty
    want_no_output o.jsonl
    end
}

SYSB="$BOS$HS$DATEBLK$EOT"
bad_case "doubled <|begin_of_text|>" "$BOS" "$BOS$HS$DATEBLK$EOT${HU}Hi$EOT${HA}a$EOT" \
    'doubled <|begin_of_text|>'
bad_case "empty sample" "" "$BOS" 'empty sample'
bad_case "<|end_of_text|> mid-sample" "$SYSB${HU}Hi$EOT${HA}a$EOT" "$EOTX${HU}more$EOT${HA}b$EOT$EOTX" \
    '<|end_of_text|> before the end of the sample'
bad_case "a turn closed by <|end_of_text|>" "$SYSB${HU}Hi$EOT${HA}a" "$EOTX" \
    '<|end_of_text|> before the end of the sample (the assistant turn is not closed by <|eot_id|>)'
bad_case "missing \\n\\n after a header" "$SYSB${HU}Hi$EOT$GA" "Hello$EOT" \
    'missing "\n\n" after the assistant header'
bad_case "unknown header" "$SYSB<|start_header_id|>" "gpt<|end_header_id|>"$'\n\n'"Hello$EOT" \
    'unknown role "gpt" in a header (known: system, user, assistant, ipython)'
bad_case "header without <|end_header_id|>" "$SYSB" "<|start_header_id|>user"$'\n\n'"Hi$EOT${HA}a$EOT" \
    'a header without <|end_header_id|>'
bad_case "turn not closed" "$SYSB${HU}Hi" "${HA}Hello$EOT" \
    'the user turn is not closed by <|eot_id|> before the next header'
bad_case "sample ends in a turn" "$SYSB${HU}Hi$EOT${HA}Hello" "" \
    'the sample ends in the assistant turn (not closed by <|eot_id|>)'
bad_case "text after the final terminator" "$SYSB${HU}Hi$EOT${HA}a$EOT" "trailing" \
    'text after the final <|eot_id|>'
bad_case "text between turns" "$SYSB${HU}Hi$EOT" "x${HA}a$EOT" \
    'text between turns (after <|eot_id|>, before the next header)'
bad_case "reserved special token" "$SYSB${HU}Hi " "<|reserved_special_token_12|>$EOT${HA}a$EOT" \
    'reserved special token <|reserved_special_token_12|> in the sample'
bad_case "padding token" "$SYSB${HU}Hi$EOT${HA}a$EOT" "<|finetune_right_pad_id|>" \
    'special token <|finetune_right_pad_id|> in the sample'
bad_case "no system block (official)" "$BOS" "${HU}Hi$EOT${HA}a$EOT" \
    'the sample does not start with the system block the official template always writes (try -p meta)'
bad_case "no date lines (official)" "$BOS$HS" "Be brief.$EOT${HU}Hi$EOT${HA}a$EOT" \
    'the system block lacks "Cutting Knowledge Date: December 2023\nToday Date: " (the official template always writes it; try -p meta)'
bad_case "untrimmed content (official)" "$SYSB${HU}Hi$EOT$HA" " a$EOT" \
    'the assistant content starts with whitespace, which the official template strips (try -p meta)'
bad_case "no final assistant turn" "$SYSB${HU}Hi$EOT${HA}a$EOT" "${HU}more$EOT" \
    'the sample ends with a user turn (a training sample ends with an assistant turn, a prompt with an open assistant header)'
bad_case "system header later" "$SYSB${HU}Hi$EOT" "${HS}s$EOT${HA}a$EOT" \
    'a system header after the first turn (the system message comes first)'
bad_case "<|eom_id|> without a call" "$SYSB${HU}Hi$EOT${HA}a" "$EOM" \
    '<|eom_id|> closes an assistant turn that is not a tool call'
bad_case "tool result not JSON (official)" "$SYSB${HU}Hi$EOT${HA}{\"name\": \"f\", \"parameters\": {}}$EOT$HI" "plain$EOT${HA}a$EOT" \
    'the ipython turn is not a tool result as the official template writes it (a JSON string, object, array or number, or True, False, None)'
GOOD_S="$BOS${HU}Hi$EOT${HA}Hello!$EOT"
bad_case "meta: missing \\n\\n" "$BOS<|start_header_id|>user<|end_header_id|>" "Hi$EOT${HA}a$EOT" \
    'missing "\n\n" after the user header (a guide sample? try -p guide)' -p meta
GOOD_S="$BOS${GU}Hi$EOT${GA}Hello!$EOT$EOTX"
bad_case "guide: system header later" "$BOS${GU}q$EOT${GA}a$EOT" "${GS}x$EOT${GA}b$EOT" \
    'a system header after the first turn (the system message comes first)' -p guide
bad_case "guide: <|end_of_text|> after every answer" "$BOS${GU}q$EOT${GA}a$EOT" "$EOTX${GU}q2$EOT${GA}b$EOT$EOTX" \
    '<|end_of_text|> before the end of the sample' -p guide
bad_case "guide: tool turn" "$BOS${GU}q$EOT${GA}a$EOT" "${HI//$'\n\n'/}r$EOT${GA}b$EOT" \
    'an ipython turn: the guide profile has no tool turns (try -p meta)' -p guide
GOOD_S="$BOS$HS$DATEBLK$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX"
bad_case "--end-of-text: missing" "$SYSB${HU}Hi$EOT${HA}a$EOT" "" \
    'the sample does not end with <|end_of_text|> (--end-of-text)' --end-of-text
GOOD_S="$BOS$HS$DATEBLK$EOT${HU}Hi$EOT${HA}Hello!$EOT"
bad_case "--no-end-of-text: present" "$SYSB${HU}Hi$EOT${HA}a$EOT" "$EOTX" \
    '<|end_of_text|> at the end of the sample (--no-end-of-text)' --no-end-of-text
GOOD_S="$BOS$HS$DATEBLK$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX"

begin "malformed, JSONL: a character after escapes is located inside the string"
prefix="$SYSB${HU}\"안녕\""$'\t'"\\$EOT$GA"
jl "${prefix}x$EOT" >esc.jsonl
lf --parse esc.jsonl
want_status 1
want_err_exact "llamafmt: esc.jsonl:1:$(jcol "$prefix"): sample byte ${#prefix}: missing \"\n\n\" after the assistant header"
end

begin "raw text must start with <|begin_of_text|>"
printf '\n\n%s\n' "$HS$DATEBLK$EOT${HU}Hi$EOT${HA}a$EOT" >nobos.txt
lf --parse nobos.txt
want_status 1
want_err_exact 'llamafmt: nobos.txt:3:1: sample byte 0: text before <|begin_of_text|> (raw text samples start with it; parse samples without it from {"text": ...} records)'
jl "$HS$DATEBLK$EOT${HU}Hi$EOT${HA}Hello!$EOT" >nobos.jsonl
lf --parse nobos.jsonl
want_status 0
want_out_file good.m
end

begin "raw text: invalid UTF-8"
printf '%s\n%s\n' "$GOOD_S" "$SYSB${HU}caf"$'\xe9'"$EOT${HA}a$EOT" >utf.txt
lf --parse utf.txt
want_status 1
want_err_exact "llamafmt: utf.txt:$(rawpos utf.txt $((${#GOOD_S} + 1 + ${#SYSB} + ${#HU} + 3))): sample byte $((${#SYSB} + ${#HU} + 3)): invalid UTF-8 byte 0xe9"
end

# ================================================== JSON record errors

# rec_case NAME LINE ERE
rec_case() {
    printf '%s\n%s\n' "$(jl "$GOOD_S")" "$2" >rec.jsonl
    begin "record error: $1"
    lf --parse rec.jsonl
    want_status 1
    want_err_line "llamafmt: rec\\.jsonl:2:$3"
    want_out_file good.m
    end
}
rec_case "no text key" '{"messages": []}' '1: no "text" key \(--parse reads \{"text": SAMPLE\} records or raw text samples\)'
rec_case "text not a string" '{"text": ["a"]}' '10: text: expected a string, found an array'
rec_case "duplicate text" '{"text": "a", "text": "b"}' '15: duplicate key "text"'
rec_case "invalid JSON" '{"text": "a",}' '14: invalid JSON: expected an object key in double quotes'
rec_case "\\u0000" '{"text": "a\u0000"}' '12: \\u0000 \(NUL\) in a string is not accepted'
rec_case "lone surrogate" '{"text": "\ud800x"}' '11: lone high surrogate in a \\u escape'
rec_case "not an object" '"text"' '1: a record must be a JSON object, found a string'
rec_case "trailing data" '{"text": "a"} {}' '15: invalid JSON: unexpected data after the record'

# ======================================================= policy and I/O

printf '%s\n' "$GOOD_S" "${BOS}x" "$GOOD_S" "$BOS$BOS" >skip.txt
jl "$GOOD_S" "${BOS}x" "$GOOD_S" "$BOS$BOS" >skip.jsonl
cat good.m good.m >skip.m
# where the bad samples 2 and 4 go wrong: after their <|begin_of_text|>
SKIP2=$(rawpos skip.txt $((${#GOOD_S} + 1 + 17)))
SKIP4=$(rawpos skip.txt $((2 * ${#GOOD_S} + 2 + ${#BOS} + 2 + 17)))

begin "--on-error=skip --rejects, raw text"
rm -f o.jsonl rej.jsonl
lf --parse --on-error=skip --rejects rej.jsonl -o o.jsonl skip.txt
want_status 0
want_out_empty
want_err_exact "llamafmt: 2 records rejected (first: skip.txt:$SKIP2: sample byte 17: text between <|begin_of_text|> and the first header)"
cmp -s o.jsonl skip.m || flunk "o.jsonl: $(show o.jsonl)"
"$PY" - rej.jsonl "$SKIP2" "$SKIP4" >check.out 2>&1 <<'EOF' || flunk "rejects: $(cat check.out)"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
want = [("skip.txt",) + tuple(int(v) for v in p.split(":")) for p in sys.argv[2:4]]
assert [(x["file"], x["line"], x["column"]) for x in r] == want, (r, want)
assert r[0]["record"] == "<|begin_of_text|>x\n", r[0]
assert r[1]["error"] == "sample byte 17: doubled <|begin_of_text|>", r[1]
EOF
end

begin "--on-error=skip --rejects -v, JSONL"
rm -f rej.jsonl
lf --parse --on-error=skip -v --rejects rej.jsonl skip.jsonl
want_status 0
want_out_file skip.m
[ "$(wc -l <err)" -eq 3 ] || flunk "want 2 reject lines and the summary: $(show err)"
grep -Fq 'llamafmt: skip.jsonl:2:28: sample byte 17: text between <|begin_of_text|> and the first header' err ||
    flunk "no line for record 2: $(show err)"
grep -Fq 'llamafmt: skip.jsonl:4:28: sample byte 17: doubled <|begin_of_text|>' err || flunk "no line for record 4: $(show err)"
[ "$(wc -l <rej.jsonl)" -eq 2 ] || flunk "rejects: $(show rej.jsonl)"
grep -Fq '"record": "{\"text\": \"<|begin_of_text|>x\"}"' rej.jsonl || flunk "rejects: $(show rej.jsonl)"
end

begin "raw text: invalid UTF-8 goes to the rejects file as base64"
rm -f rej.jsonl
lf --parse --on-error=skip -q --rejects rej.jsonl utf.txt
want_status 0
want_err_empty
want_out_file good.m
grep -q '"record_base64": ' rej.jsonl || flunk "rejects: $(show rej.jsonl)"
end

begin "standard input, raw text and JSONL"
lf_in skip.txt --parse
want_status 1
want_err_exact "llamafmt: <stdin>:$SKIP2: sample byte 17: text between <|begin_of_text|> and the first header"
want_out_file good.m
lf_in skip.jsonl --parse --on-error=skip -q -
want_status 0
want_out_file skip.m
end

begin "compressed inputs"
printf '%s\n' "$GOOD_S" "$GOOD_S" >two.txt
jl "$GOOD_S" "$GOOD_S" >two.jsonl
gzip -k two.txt two.jsonl
lf --parse two.txt.gz two.jsonl.gz
want_status 0
want_err_empty
cat skip.m skip.m >four.m
want_out_file four.m
if command -v zstd >/dev/null; then
    zstd -q two.txt
    lf --parse two.txt.zst
    want_status 0
    want_out_file skip.m
fi
printf 'not gzip' >broken.txt.gz
lf --parse broken.txt.gz
want_status 3
want_err_exact 'llamafmt: broken.txt.gz: corrupt or truncated compressed input'
end

begin "--keep copies keys of JSONL records"
printf '%s\n' "{\"id\": 7, \"src\": {\"a\": 1E2}, \"text\": $(jl "$GOOD_S" | cut -c10- | sed 's/}$//')}" >keep.jsonl
lf --parse --keep src,id keep.jsonl
want_status 0
want_err_empty
messages '{"src": {"a": 100.0}, "id": 7, "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}' >keep.m
want_out_file keep.m
lf --parse --keep nope keep.jsonl
want_status 1
want_err_exact 'llamafmt: keep.jsonl:1:1: missing key "nope" (named by --keep)'
lf --parse --keep id two.txt
want_status 1
want_err_exact 'llamafmt: two.txt:1:1: missing key "id" (named by --keep): raw text samples have no keys'
end

begin "--stats"
lf --parse --on-error=skip -q --stats=json skip.txt
want_status 0
"$PY" - err >check.out 2>&1 <<'EOF' || flunk "stats: $(cat check.out)"
import json, os, sys
s = json.loads(open(sys.argv[1]).read())
assert s["files"] == 1 and s["records_read"] == 4 and s["records_converted"] == 2 and s["samples_written"] == 2, s
assert s["rejected"] == 2 and s["rejected_by_reason"] == {"sample": 2}, s
assert s["bytes_read"] == os.path.getsize("skip.txt"), s
assert s["bytes_written"] == os.path.getsize("skip.m"), s
EOF
lf --parse --stats two.jsonl
want_status 0
grep -q '^records read: 2$' err || flunk "stats: $(show err)"
end

begin "a JSON array of text records, and blank input"
"$PY" -c '
import json, sys
t = sys.argv[1]
print(json.dumps([{"text": t}, {"text": t}], indent=2))' "$GOOD_S" >arr.json
lf --parse arr.json
want_status 0
want_out_file skip.m
printf '\n \n' >blank.txt
lf --parse blank.txt
want_status 0
want_out_empty
want_err_empty
end

begin "-o writes atomically; an unreadable input"
rm -f o.jsonl
lf --parse -o o.jsonl two.txt
want_status 0
cmp -s o.jsonl skip.m || flunk "o.jsonl: $(show o.jsonl)"
lf --parse two.txt missing.txt
want_status 3
want_err_exact 'llamafmt: missing.txt: cannot open: No such file or directory'
lf --parse --on-error=skip two.txt missing.txt
want_status 3
want_out_file skip.m
lf --parse -o two.txt two.txt
want_status 2
end

begin "--date names the date that needs no date_string"
"$BIN" --date='1 Jan 2025' "$REPO/examples/flat.jsonl" >d.jsonl </dev/null
lf --parse d.jsonl
want_status 0
[ "$(grep -c '"date_string": "1 Jan 2025"' out)" -eq 2 ] || flunk "no date_string: $(show out)"
lf --parse --date='1 Jan 2025' d.jsonl
want_status 0
grep -q date_string out && flunk "date_string written: $(show out)"
end

begin "tool calls and results come back as messages"
S="$BOS$HS"$'Environment: ipython\nTools: brave_search\n\n'"$DATEBLK$EOT${HU}Gold?$EOT$HA$PY_TAG"'brave_search.call(query="gold")'"$EOM$HI"'"2400 USD"'"$EOT${HA}2400 USD.$EOT"
jl "$S" >tc.jsonl
lf --parse tc.jsonl
want_status 0
messages '{"messages": [{"role": "user", "content": "Gold?"}, {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "brave_search", "arguments": {"query": "gold"}}}]}, {"role": "tool", "content": "2400 USD"}, {"role": "assistant", "content": "2400 USD."}], "builtin_tools": ["brave_search"]}' >tc.m
want_out_file tc.m
end

begin "generation prompts"
printf '%s\n' "$SYSB${HU}Hi$EOT$HA" >gp.txt
lf --parse gp.txt
want_status 0
messages '{"messages": [{"role": "user", "content": "Hi"}], "add_generation_prompt": true}' >gp.m
want_out_file gp.m
end

begin "--max-record-size, raw text"
lf --parse --max-record-size=100 --on-error=skip -v skip.txt
want_status 0
want_out_empty
grep -Fq 'llamafmt: skip.txt:1:1: sample of ' err || flunk "$(show err)"
end

begin "options --parse refuses"
lf --parse -t text two.txt
want_status 2
lf --parse -O outdir two.txt
want_status 2
lf --parse --check two.txt
want_status 2
end

harness_done parse
