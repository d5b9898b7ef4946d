#!/usr/bin/env bash
# End-to-end tests of the llamafmt command line.
#
# usage: run_cli_tests.sh LLAMAFMT_BIN
#
# Every case runs the binary in a private temporary directory (removed on
# exit) and checks its standard output, standard error and exit status, and
# for -o runs that no output or temporary file is left behind on failure.
# Expected samples are written out by hand from the format notes
# (shared/research/format.md §2.3 official, §4 meta, §6 guide); cases that
# compare with the reference renderer ${REPO}/../shared/reference/render.py
# are skipped (not failed) when it, or python3's jinja2, is missing.
#
# Needs bash, coreutils and python3 (or $PYTHON; JSON encoding and checks).
# Prints one line per failure, and finally exactly `cli: N passed, M failed`;
# exits 1 when M > 0 and 2 on a usage error.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/harness.sh
. "$HERE/../lib/harness.sh"
harness_args "$@"

REPO=$(cd "$HERE/../.." && pwd)
ORACLE=$REPO/../shared/reference/render.py

harness_tmp cli

# ------------------------------------------------------- expected samples

# A good record and its default (official, end-of-text on) sample.
GOOD='{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}'
S_GOOD="$BOS$HS$DATEBLK$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX"
jl "$S_GOOD" >good.expected
printf '%s\n' "$GOOD" >good.jsonl

# The same conversation in every input shape, and its sample.
S_BRIEF="$BOS$HS${DATEBLK}Be brief.$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX"
jl "$S_BRIEF" >brief.expected
cat >shape.messages.jsonl <<'EOF'
{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
EOF
cat >shape.sharegpt.jsonl <<'EOF'
{"system": "Be brief.", "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]}
EOF
cat >shape.alpaca.jsonl <<'EOF'
{"instruction": "Hi", "input": "", "output": "Hello!", "system": "Be brief."}
EOF
cat >shape.flat.jsonl <<'EOF'
{"system": "Be brief.", "user": "Hi", "assistant": "Hello!"}
EOF
cat >shape.parts.jsonl <<'EOF'
{"messages": [{"role": "system", "content": [{"type": "text", "text": "Be brief."}]}, {"role": "user", "content": [{"type": "text", "text": "Hi"}]}, {"role": "assistant", "content": "Hello!"}]}
EOF

# Three records for the layout tests (Korean, escapes, whitespace to trim).
cat >three.jsonl <<'EOF'
{"id": 1, "messages": [{"role": "system", "content": " 한국어로 답하세요.\n"}, {"role": "user", "content": "안녕하세요?"}, {"role": "assistant", "content": "안녕하세요! 무엇을 도와드릴까요?"}]}
{"id": 2, "messages": [{"role": "user", "content": "Say \"hi\"\\n\u00e9\ud83d\ude00"}, {"role": "assistant", "content": "\u3000hi\u00a0"}]}
{"id": "x", "messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}, {"role": "assistant", "content": "d"}]}
EOF
S3_1="$BOS$HS${DATEBLK}한국어로 답하세요.$EOT${HU}안녕하세요?$EOT${HA}안녕하세요! 무엇을 도와드릴까요?$EOT$EOTX"
S3_2="$BOS$HS$DATEBLK$EOT${HU}Say \"hi\"\\né😀$EOT${HA}hi$EOT$EOTX"
S3_3="$BOS$HS$DATEBLK$EOT${HU}a$EOT${HA}b$EOT${HU}c$EOT${HA}d$EOT$EOTX"
jl "$S3_1" "$S3_2" "$S3_3" >three.expected

"$PY" - <<'EOF'
import json
recs = [json.loads(l) for l in open("three.jsonl", encoding="utf-8")]
with open("three.array.json", "w", encoding="utf-8") as f:
    f.write(json.dumps(recs, indent=2, ensure_ascii=False) + "\n")
with open("three.compact-array.json", "w", encoding="utf-8") as f:
    f.write(json.dumps(recs, separators=(",", ":")))
with open("three.stream.json", "w", encoding="utf-8") as f:
    f.write("\n".join(json.dumps(r, indent=4) for r in recs) + "\n")
with open("three.bom-crlf.jsonl", "wb") as f:
    f.write(b"\xef\xbb\xbf" + b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\r\n\r\n" for r in recs))
EOF

# ======================================================== help and version

begin "--help"
lf --help
want_status 0
want_err_empty
cp out help.txt
# every long option of options.c's long_opts table is documented
opts=$(sed -n '/long_opts\[\] = {/,/^};/p' "$REPO/src/options.c" | grep -o '{"[a-z0-9-]*"' | tr -d '{"')
if [ -z "$opts" ]; then
    flunk "could not read the long_opts table of $REPO/src/options.c"
fi
for o in $opts; do
    grep -Eq -- "--$o([^a-z-]|\$)" help.txt || flunk "--help does not mention --$o"
done
grep -Eq '^Exit status: 0 [a-z]+.*; 1 .*; 2 .*; 3 .*\.$' help.txt || flunk "no exit-status line: $(grep -i 'exit' help.txt)"
grep -q '^Usage: llamafmt ' help.txt || flunk "no Usage: line"
end

begin "-h is --help"
lf -h
want_status 0
want_out_file help.txt
end

begin "--version"
lf --version
want_status 0
want_err_empty
version=$(sed -n 's/^project(llamafmt VERSION \([0-9.]*\).*/\1/p' "$REPO/CMakeLists.txt")
[ "$(wc -l <out)" -eq 1 ] || flunk "not one line: $(show out)"
grep -Eq "^llamafmt ${version//./\\.}( |\$)" out || flunk "version line \"$(show out)\" does not start with \"llamafmt $version\""
lf -V
want_status 0
end

# ================================================================ shapes

for shape in messages sharegpt alpaca flat parts; do
    begin "shape $shape from stdin"
    lf_in "shape.$shape.jsonl"
    want_status 0
    want_err_empty
    want_out_file brief.expected
    end

    begin "shape $shape from a file"
    lf "shape.$shape.jsonl"
    want_status 0
    want_err_empty
    want_out_file brief.expected
    end

    begin "shape $shape from a file, -o"
    rm -f o.jsonl
    lf -o o.jsonl "shape.$shape.jsonl"
    want_status 0
    want_out_empty
    want_err_empty
    cmp -s o.jsonl brief.expected || flunk "o.jsonl differs: $(show o.jsonl)"
    end
done

begin "shapes forced with -f"
for shape in messages sharegpt alpaca flat; do
    lf -f "$shape" "shape.$shape.jsonl"
    want_status 0
    want_out_file brief.expected
done
lf -f flat shape.messages.jsonl
want_status 1
end

begin "all shapes in one input, stdin as -"
cat shape.messages.jsonl shape.sharegpt.jsonl shape.alpaca.jsonl shape.flat.jsonl >mixed.jsonl
cat brief.expected brief.expected brief.expected brief.expected >mixed.expected
lf_in mixed.jsonl
want_status 0
want_out_file mixed.expected
lf_in shape.flat.jsonl shape.messages.jsonl - shape.alpaca.jsonl shape.sharegpt.jsonl
want_status 0
want_out_file mixed.expected
end

begin "alpaca input, history and --alpaca-joiner"
cat >alpaca2.jsonl <<'EOF'
{"instruction": "Translate", "input": "안녕", "output": "Hello", "history": [["Q1", "A1"]]}
{"instruction": "", "input": "only input", "output": "ok"}
EOF
jl "$BOS$HS$DATEBLK$EOT${HU}Q1$EOT${HA}A1$EOT${HU}Translate"$'\n\n'"안녕$EOT${HA}Hello$EOT$EOTX" \
    "$BOS$HS$DATEBLK$EOT${HU}only input$EOT${HA}ok$EOT$EOTX" >alpaca2.expected
lf alpaca2.jsonl
want_status 0
want_out_file alpaca2.expected
jl "$BOS$HS$DATEBLK$EOT${HU}Q1$EOT${HA}A1$EOT${HU}Translate"$'\n'"안녕$EOT${HA}Hello$EOT$EOTX" \
    "$BOS$HS$DATEBLK$EOT${HU}only input$EOT${HA}ok$EOT$EOTX" >alpaca3.expected
lf --alpaca-joiner='\n' alpaca2.jsonl
want_status 0
want_out_file alpaca3.expected
end

begin "--messages-key, --role-key, --content-key"
printf '%s\n' '{"dialog": [{"speaker": "user", "text": "Hi"}, {"speaker": "assistant", "text": "Hello!"}]}' >keys.jsonl
lf --messages-key=dialog --role-key=speaker --content-key=text keys.jsonl
want_status 0
want_out_file good.expected
end

begin "--role-map"
printf '%s\n' '{"messages": [{"role": "human", "content": "Hi"}, {"role": "bot", "content": "Hello!"}]}' >rolemap.jsonl
lf --role-map human=user,bot=assistant rolemap.jsonl
want_status 0
want_out_file good.expected
end

# =============================================================== layouts

for f in three.array.json three.compact-array.json three.stream.json three.bom-crlf.jsonl; do
    begin "layout $f = JSONL"
    lf "$f"
    want_status 0
    want_err_empty
    want_out_file three.expected
    lf_in "$f"
    want_status 0
    want_out_file three.expected
    end
done

begin "layout JSONL"
lf three.jsonl
want_status 0
want_err_empty
want_out_file three.expected
end

begin "several files, each with its own layout"
cat three.expected three.expected three.expected >three3.expected
lf three.jsonl three.array.json three.stream.json
want_status 0
want_out_file three3.expected
end

begin "empty input"
: >empty.jsonl
lf empty.jsonl
want_status 0
want_out_empty
want_err_empty
printf '\n  \n' >blank.jsonl
lf blank.jsonl
want_status 0
want_out_empty
end

# ============================================================ data errors

# One bad record per class, on line 2 after a good one.  Each case: the
# stderr line (ERE), and that a run with -o leaves no file behind.
# error_case NAME RECORD ERE [EXTRA OPTIONS...]
error_case() {
    local name=$1 rec=$2 re=$3
    shift 3
    printf '%s\n%s\n%s\n' "$GOOD" "$rec" "$GOOD" >bad.jsonl

    begin "error: $name"
    lf "$@" bad.jsonl
    want_status 1
    want_err_line "llamafmt: bad\\.jsonl:2:$re"
    end

    begin "error: $name, -o"
    rm -f out.jsonl
    lf "$@" -o out.jsonl bad.jsonl
    want_status 1
    want_out_empty
    want_err_line "llamafmt: bad\\.jsonl:2:$re"
    want_no_output out.jsonl
    end

    begin "error: $name, from stdin"
    lf_in bad.jsonl "$@"
    want_status 1
    want_err_line "llamafmt: <stdin>:2:$re"
    end
}

# Column numbers: 1-based bytes (Python's json.loads reports column 17 for the first one too).
error_case "invalid JSON" '{"messages": [1 2]}' "17: invalid JSON: expected ',' or ']'"
error_case "invalid UTF-8" $'{"messages": [{"role": "user", "content": "caf\xe9"}, {"role": "assistant", "content": "x"}]}' \
    '47: [^:]*UTF-8.*'
error_case "\\u0000" '{"messages": [{"role": "user", "content": "a\u0000b"}, {"role": "assistant", "content": "x"}]}' \
    '45: .*\\u0000.*'
error_case "malformed \\u" '{"messages": [{"role": "user", "content": "a\u12G4b"}, {"role": "assistant", "content": "x"}]}' \
    '45: .*\\u.*'
error_case "lone surrogate" '{"messages": [{"role": "user", "content": "a\ud83db"}, {"role": "assistant", "content": "x"}]}' \
    '45: .*surrogate.*'
error_case "wrong type" '{"messages": [{"role": "user", "content": 5}, {"role": "assistant", "content": "x"}]}' \
    '43: messages\[0\]\.content: .*number.*'
error_case "unknown role" '{"messages": [{"role": "user", "content": "Hi"}, {"role": "gpt", "content": "x"}]}' \
    '59: messages\[1\]\.role: .*"gpt".*\(add --role-map gpt=assistant\).*'
error_case "system not first" \
    '{"messages": [{"role": "user", "content": "Hi"}, {"role": "system", "content": "s"}, {"role": "assistant", "content": "x"}]}' \
    '50: messages\[1\]: .*system.*'
error_case "no assistant turn" \
    '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "x"}, {"role": "user", "content": "more"}]}' \
    '89: messages\[2\]: .*assistant.*'
error_case "no assistant at all" '{"messages": [{"role": "user", "content": "Hi"}]}' \
    '15: messages\[0\]: .*assistant.*'
error_case "empty conversation" '{"messages": []}' '14: messages: .*'
error_case "only a system prompt" '{"messages": [{"role": "system", "content": "s"}]}' '14: messages: .*'
error_case "record too large" \
    '{"messages": [{"role": "user", "content": "0123456789012345678901234567890123456789012345678901234567890123456789"}, {"role": "assistant", "content": "x"}]}' \
    '1: .*max-record-size.*' --max-record-size=120
error_case "special-token text" \
    '{"messages": [{"role": "user", "content": "a<|eot_id|>b"}, {"role": "assistant", "content": "x"}]}' \
    '(15: messages\[0\]|43: messages\[0\]\.content): .*<\|eot_id\|>.*'
error_case "empty tool_calls" \
    '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "x", "tool_calls": []}]}' \
    '102: messages\[1\]\.tool_calls: tool_calls is empty .*--lenient-tool-calls.*'
error_case "two tool calls" \
    '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": {}}}, {"function": {"name": "g", "arguments": {}}}]}]}' \
    '86: messages\[1\]\.tool_calls: more than one tool call.*'
error_case "tools without a user message" \
    '{"tools": [{"type": "function"}], "messages": [{"role": "system", "content": "s"}, {"role": "assistant", "content": "x"}]}' \
    '84: messages\[1\]: the tool definitions go into the first user message.*'
error_case "unknown shape" '{"foo": 1}' '1: .*shape.*'
error_case "not an object" '[1, 2]' '1: .*object.*'
error_case "trailing data" '{"messages": []} x' '18: .*'

begin "unknown role: --role-map gpt=assistant fixes it"
printf '%s\n' '{"messages": [{"role": "user", "content": "Hi"}, {"role": "gpt", "content": "Hello!"}]}' >gpt.jsonl
lf --role-map gpt=assistant gpt.jsonl
want_status 0
want_out_file good.expected
end

begin "error: broken array framing, -o"
printf '[%s,\n%s,\n{"messages": [' "$GOOD" "$GOOD" >framing.json
rm -f out.jsonl
lf -o out.jsonl framing.json
want_status 1
want_err_line 'llamafmt: framing\.json:3:1: .*'
want_no_output out.jsonl
end

begin "--special-tokens=strip and allow"
printf '%s\n' '{"messages": [{"role": "user", "content": "a<|eot_id|>b<|reserved_special_token_7|>c <|foo|>"}, {"role": "assistant", "content": "<|python_tag|>x"}]}' >special.jsonl
jl "$BOS$HS$DATEBLK$EOT${HU}abc <|foo|>$EOT${HA}x$EOT$EOTX" >strip.expected
jl "$BOS$HS$DATEBLK$EOT${HU}a<|eot_id|>b<|reserved_special_token_7|>c <|foo|>$EOT${HA}<|python_tag|>x$EOT$EOTX" >allow.expected
lf --special-tokens=strip special.jsonl
want_status 0
want_err_empty
want_out_file strip.expected
lf --special-tokens=allow special.jsonl
want_status 0
want_err_empty
want_out_file allow.expected
lf --special-tokens=error special.jsonl
want_status 1
end

begin "near-miss special tokens are text"
printf '%s\n' '{"messages": [{"role": "user", "content": "<| eot_id |> <eot_id> <|EOT_ID|> <|reserved_special_token_248|>"}, {"role": "assistant", "content": "ok"}]}' >near.jsonl
jl "$BOS$HS$DATEBLK$EOT${HU}<| eot_id |> <eot_id> <|EOT_ID|> <|reserved_special_token_248|>$EOT${HA}ok$EOT$EOTX" >near.expected
lf near.jsonl
want_status 0
want_out_file near.expected
end

# ======================================================= --on-error=skip

printf '%s\n%s\n%s\n%s\n%s\n' \
    "$GOOD" \
    '{"messages": [{"role": "user", "content": "Hi"}, {"role": "gpt", "content": "x"}]}' \
    "$GOOD" \
    $'{"messages": [{"role": "user", "content": "caf\xe9"}, {"role": "assistant", "content": "x"}]}' \
    "$GOOD" >skip.jsonl
cat good.expected good.expected good.expected >skip.expected

begin "--on-error=skip"
rm -f out.jsonl
lf --on-error=skip -o out.jsonl skip.jsonl
want_status 0
want_out_empty
want_err_line 'llamafmt: .*2 records rejected.*'
cmp -s out.jsonl skip.expected || flunk "out.jsonl: $(show out.jsonl)"
end

begin "--on-error=skip to stdout"
lf --on-error=skip skip.jsonl
want_status 0
want_out_file skip.expected
want_err_line 'llamafmt: .*2 records rejected.*'
end

begin "--on-error=skip -q"
lf --on-error=skip -q skip.jsonl
want_status 0
want_out_file skip.expected
want_err_empty
end

begin "--on-error=skip -v"
lf --on-error=skip -v skip.jsonl
want_status 0
want_out_file skip.expected
[ "$(wc -l <err)" -eq 3 ] || flunk "want 2 reject lines and the summary: $(show err)"
grep -Eq '^llamafmt: skip\.jsonl:2:59: messages\[1\]\.role: ' err || flunk "no line for record 2: $(show err)"
grep -Eq '^llamafmt: skip\.jsonl:4:47: ' err || flunk "no line for record 4: $(show err)"
end

begin "--on-error=skip, everything bad"
printf '%s\n' '{"messages": []}' '{"messages": []}' >allbad.jsonl
rm -f out.jsonl
lf --on-error=skip -o out.jsonl allbad.jsonl
want_status 0
want_err_line 'llamafmt: .*2 records rejected.*'
if [ ! -f out.jsonl ] || [ -s out.jsonl ]; then
    flunk "want an empty out.jsonl"
fi
end

# ============================================================= --rejects

begin "--rejects"
printf '%s\n' '{"messages": [{"role": "user", "content": "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"}, {"role": "assistant", "content": "x"}]}' >long.jsonl
cat skip.jsonl long.jsonl >rej-in.jsonl
rm -f out.jsonl rejects.jsonl
lf --on-error=skip --max-record-size=150 --rejects rejects.jsonl -o out.jsonl rej-in.jsonl
want_status 0
want_err_line 'llamafmt: .*3 records rejected.*'
cmp -s out.jsonl skip.expected || flunk "out.jsonl: $(show out.jsonl)"
if [ ! -f rejects.jsonl ]; then
    flunk "no rejects file"
elif ! msg=$("$PY" - rej-in.jsonl rejects.jsonl 2>&1 <<'EOF'
import base64, json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
rejects = open(sys.argv[2], "rb").read().split(b"\n")
assert rejects[-1] == b"", "rejects file does not end with a newline"
rejects = [json.loads(r.decode("utf-8")) for r in rejects[:-1]]
assert [r["line"] for r in rejects] == [2, 4, 6], [r["line"] for r in rejects]
for r in rejects:
    keys = list(r)
    assert keys[:4] == ["file", "line", "column", "error"], keys
    assert r["file"] == "rej-in.jsonl", r["file"]
    assert isinstance(r["error"], str) and r["error"], r
    assert len(keys) == 5, keys
a, b, c = rejects
assert a["column"] == 59 and a["error"].startswith("messages[1].role: "), a
assert a["record"].encode("utf-8") == lines[1], a["record"]
assert b["column"] == 47 and "record" not in b, b
assert base64.b64decode(b["record_base64"], validate=True) == lines[3], b["record_base64"]
assert c["column"] == 1 and c["record"] is None and "max-record-size" in c["error"], c
EOF
); then
    flunk "rejects.jsonl: $msg"
fi
end

begin "--rejects keeps the record that stopped a failing run"
rm -f out.jsonl rejects.jsonl
lf --rejects rejects.jsonl -o out.jsonl skip.jsonl
want_status 1
want_no_output out.jsonl
if [ "$(wc -l <rejects.jsonl 2>/dev/null)" != 1 ]; then
    flunk "want one line in rejects.jsonl"
else
    "$PY" -c '
import json, sys
r = json.loads(open("rejects.jsonl", encoding="utf-8").read())
sys.exit(0 if r["line"] == 2 and r["record"] == sys.argv[1] else 1)' \
        '{"messages": [{"role": "user", "content": "Hi"}, {"role": "gpt", "content": "x"}]}' ||
        flunk "rejects.jsonl: $(show rejects.jsonl)"
fi
end

begin "--rejects record is verbatim (escapes, whitespace, CRLF)"
printf '%s\r\n' '  {"messages" : [ {"role":"gpt","content":"\u00e9\n"} ] }	' >verbatim.jsonl
rm -f rejects.jsonl
lf --on-error=skip -q --rejects rejects.jsonl verbatim.jsonl
want_status 0
"$PY" - <<'EOF' || flunk "rejects.jsonl: $(show rejects.jsonl)"
import json, sys
r = json.loads(open("rejects.jsonl", encoding="utf-8").read())
raw = open("verbatim.jsonl", "rb").read().decode("utf-8")
# the record as read: the line without its "\r\n", byte for byte (blanks
# around the JSON value may be left out)
line = raw[:-2]
ok = r["record"].strip() == line.strip() and r["record"] in line
sys.exit(0 if ok else 1)
EOF
end

# =============================================================== --stats

stats_check() {
    # stats_check FORMAT FILE: records_read == samples_written + rejected, and the given counts
    "$PY" - "$@" <<'EOF'
import json, re, sys
fmt, path, files, read, written, rejected = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
text = open(path, encoding="utf-8").read()
if fmt == "json":
    lines = [l for l in text.splitlines() if l.startswith("{")]
    assert len(lines) == 1, text
    s = json.loads(lines[0])
    assert sum(s["rejected_by_reason"].values()) == s["rejected"], s
else:
    def num(label):
        m = re.search(r"^%s: (\d+)$" % label, text, re.M)
        assert m, "no '%s:' line in %r" % (label, text)
        return int(m.group(1))
    s = {"files": num("files"), "records_read": num("records read"),
         "samples_written": num("samples written"), "rejected": num("records rejected")}
assert s["records_read"] == s["samples_written"] + s["rejected"], s
assert (s["files"], s["records_read"], s["samples_written"], s["rejected"]) == (files, read, written, rejected), s
EOF
}

begin "--stats"
lf --stats --on-error=skip -q skip.jsonl
want_status 0
want_out_file skip.expected
msg=$(stats_check text err 1 5 3 2 2>&1) || flunk "$msg"
end

begin "--stats=json"
lf --stats=json --on-error=skip -q skip.jsonl good.jsonl
want_status 0
msg=$(stats_check json err 2 6 4 2 2>&1) || flunk "$msg"
"$PY" -c '
import json, os, sys
s = json.loads([l for l in open("err") if l.startswith("{")][0])
want = os.path.getsize("skip.jsonl") + os.path.getsize("good.jsonl")
sys.exit(0 if s["bytes_read"] == want and s["bytes_written"] == 4 * os.path.getsize("good.expected") else 1)' ||
    flunk "bytes_read/bytes_written: $(show err)"
end

begin "--stats on a clean run"
lf --stats=json three.jsonl
want_status 0
want_out_file three.expected
msg=$(stats_check json err 1 3 3 0 2>&1) || flunk "$msg"
end

# ========================================================= usage errors

usage_case() {
    begin "usage: $*"
    rm -f out.jsonl
    lf "$@"
    want_status 2
    want_out_empty
    want_err_has "Try 'llamafmt --help'"
    grep -q '^llamafmt: ' err || flunk "no 'llamafmt: ' message: $(show err)"
    want_no_output out.jsonl
    end
}
usage_case --bogus -o out.jsonl good.jsonl
usage_case -X good.jsonl
usage_case -o out.jsonl --from=openai good.jsonl
usage_case -o out.jsonl --profile=llama2 good.jsonl
usage_case -o out.jsonl --to=csv good.jsonl
usage_case -o out.jsonl --keep text good.jsonl
usage_case -o out.jsonl --keep id -t text good.jsonl
usage_case -o out.jsonl --role-map x good.jsonl
usage_case -o out.jsonl --role-map a=robot good.jsonl
usage_case -o out.jsonl --max-record-size=12X good.jsonl
usage_case -o out.jsonl --max-record-size=0 good.jsonl
usage_case -o out.jsonl --separator='\q' -t text good.jsonl
usage_case -o out.jsonl --date='<|eot_id|>' good.jsonl
usage_case -o out.jsonl --date=$'26\x01Jul' good.jsonl
usage_case -o out.jsonl -v -q good.jsonl
usage_case -o out.jsonl --rejects out.jsonl good.jsonl
usage_case -o
usage_case --from

begin "options after file names (GNU argument order)"
rm -f out.jsonl
lf good.jsonl -o out.jsonl
want_status 0
want_err_empty
cmp -s out.jsonl good.expected 2>/dev/null || flunk "-o after the file name was not honoured"
end

# ============================================================ I/O errors

begin "missing input file"
rm -f out.jsonl
lf -o out.jsonl no-such-file.jsonl
want_status 3
want_err_line 'llamafmt: no-such-file\.jsonl: .*No such file or directory.*'
want_no_output out.jsonl
end

begin "missing input file among others, --on-error=skip"
lf --on-error=skip good.jsonl no-such-file.jsonl good.jsonl
want_status 3
want_err_has "no-such-file.jsonl"
cat good.expected good.expected >two.expected
want_out_file two.expected
end

begin "input is a directory"
mkdir -p adir
lf adir
[ "$st" -eq 3 ] || flunk "exit status $st, want 3: $(show err)"
end

begin "stdout is /dev/full"
if [ -c /dev/full ]; then
    "$BIN" good.jsonl >/dev/full 2>err
    st=$?
    want_status 3
    want_err_line 'llamafmt: .*No space left on device.*'
else
    flunk "/dev/full missing"
fi
end

# -o /dev/full.  As root, a private copy of the device node is used: a
# writer that renames its temporary over the target would replace the real
# /dev/full with a regular file.
begin "-o /dev/full"
full=
if [ "$(id -u)" -ne 0 ]; then
    full=/dev/full
elif read -r maj min < <(stat -c '%t %T' /dev/full 2>/dev/null) &&
    mknod "$TMP/full" c "0x$maj" "0x$min" 2>/dev/null && [ -c "$TMP/full" ] && { : >"$TMP/full"; } 2>/dev/null; then
    full=$TMP/full
fi
if [ -z "$full" ]; then
    skip "-o /dev/full" "cannot make a private /dev/full node"
else
    lf -o "$full" good.jsonl
    want_status 3
    want_err_line 'llamafmt: .*'
    want_err_has "No space left on device"
    [ -c "$full" ] || flunk "$full was replaced by a regular file"
    end
fi

# -o /dev/null must work (checking data without keeping the output) and
# leave the device alone; as root on a private copy of the node, as above.
begin "-o /dev/null"
null=
if [ "$(id -u)" -ne 0 ]; then
    null=/dev/null
elif read -r maj min < <(stat -c '%t %T' /dev/null 2>/dev/null) &&
    mknod "$TMP/null" c "0x$maj" "0x$min" 2>/dev/null && [ -c "$TMP/null" ] && { : >"$TMP/null"; } 2>/dev/null; then
    null=$TMP/null
fi
if [ -z "$null" ]; then
    skip "-o /dev/null" "cannot make a private /dev/null node"
else
    lf -o "$null" three.jsonl
    want_status 0
    want_err_empty
    [ -c "$null" ] || flunk "$null was replaced by a regular file"
    end
fi

begin "-o FIFO"
rm -f fifo fifo.got
mkfifo fifo
cat fifo >fifo.got &
catpid=$!
lf -o fifo three.jsonl
want_status 0
want_err_empty
if [ -p fifo ]; then
    wait "$catpid"
    cmp -s fifo.got three.expected || flunk "the reader of the FIFO got: $(show fifo.got)"
else
    flunk "the FIFO was replaced by a regular file"
    kill "$catpid" 2>/dev/null
    wait "$catpid" 2>/dev/null
fi
end

begin "SIGPIPE: llamafmt big.jsonl | head -c 100"
for _ in $(seq 4000); do printf '%s\n' "$GOOD"; done >big.jsonl
(
    set -o pipefail
    "$BIN" big.jsonl 2>err | head -c 100 >/dev/null
)
st=$?
want_status 141
want_err_empty
end

begin "SIGPIPE: the reader exits at once"
(
    set -o pipefail
    "$BIN" --stats big.jsonl 2>err | true
)
st=$?
[ "$st" -eq 141 ] || [ "$st" -eq 0 ] || flunk "exit status $st, want 141 (or 0 if it finished first)"
grep -q 'Broken pipe' err && flunk "'Broken pipe' on stderr"
end

# signal_case SIGNAL STATUS: a signal while reading from a slow pipe
signal_case() {
    local sig=$1 want=$2 pid i
    begin "SIG$sig while reading a slow pipe, -o"
    rm -f out.jsonl slow
    mkfifo slow
    # with the signal at its default: a background job of a script starts
    # with SIGINT ignored, and llamafmt (like cat) keeps an ignored signal ignored
    "$PY" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$BIN" -o out.jsonl <slow >out 2>err &
    pid=$!
    exec 7>slow
    printf '%s\n' "$GOOD" >&7
    for i in $(seq 100); do
        compgen -G ".out.jsonl.tmp-*" >/dev/null && break
        sleep 0.05
    done
    [ "$i" -lt 100 ] || flunk "no temporary file appeared"
    sleep 0.2
    kill -"$sig" "$pid"
    wait "$pid"
    st=$?
    exec 7>&-
    want_status "$want"
    want_no_output out.jsonl
    end
}
signal_case INT 130
signal_case TERM 143

# ========================================================== output safety

begin "-o onto an input is refused"
cp three.jsonl self.jsonl
cp self.jsonl self.bak
lf -o self.jsonl good.jsonl self.jsonl
want_status 2
want_err_has "self.jsonl"
cmp -s self.jsonl self.bak || flunk "the input was changed"
compgen -G ".self.jsonl.tmp-*" >/dev/null && flunk "temporary file left behind"
lf -o ./self.jsonl self.jsonl
want_status 2
ln -f self.jsonl self-link.jsonl
lf -o self-link.jsonl self.jsonl
want_status 2
lf --rejects self.jsonl self.jsonl
want_status 2
cmp -s self.jsonl self.bak || flunk "the input was changed"
end

begin "-o replaces an existing file only on success"
printf 'old\n' >keep.jsonl
lf -o keep.jsonl bad.jsonl
want_status 1
[ "$(cat keep.jsonl)" = old ] || flunk "existing output replaced by a failed run"
lf -o keep.jsonl good.jsonl
want_status 0
cmp -s keep.jsonl good.expected || flunk "not replaced on success"
end

begin "determinism"
lf --on-error=skip -q three.jsonl skip.jsonl three.array.json
cp out run1
lf --on-error=skip -q three.jsonl skip.jsonl three.array.json
cmp -s out run1 || flunk "two runs differ"
end

# ============================================================ rendering

# The record used for the rendering options: system with blanks to trim.
REC='{"id": 7, "messages": [{"role": "system", "content": "  Be brief.  "}, {"role": "user", "content": "Hi\n"}, {"role": "assistant", "content": " Hello! "}]}'
printf '%s\n' "$REC" >rec.jsonl
NOSYS='{"id": "conv-1", "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}'
printf '%s\n' "$NOSYS" >nosys.jsonl

render_case() {
    # render_case NAME INPUT EXPECTED-TEXT... -- OPTIONS...
    local name=$1 input=$2
    shift 2
    local texts=()
    while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
        texts+=("$1")
        shift
    done
    shift
    begin "$name"
    jl "${texts[@]}" >render.expected
    lf "$@" "$input"
    want_status 0
    want_err_empty
    want_out_file render.expected
    end
}

render_case "official default" rec.jsonl \
    "$BOS$HS${DATEBLK}Be brief.$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX" --
render_case "-p official --no-end-of-text" rec.jsonl \
    "$BOS$HS${DATEBLK}Be brief.$EOT${HU}Hi$EOT${HA}Hello!$EOT" -- -p official --no-end-of-text
render_case "--end-of-text" rec.jsonl \
    "$BOS$HS${DATEBLK}Be brief.$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX" -- --end-of-text
render_case "--no-bos" rec.jsonl \
    "$HS${DATEBLK}Be brief.$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX" -- --no-bos
render_case "--generation-prompt" rec.jsonl \
    "$BOS$HS${DATEBLK}Be brief.$EOT${HU}Hi$EOT$HA" -- --generation-prompt
render_case "--generation-prompt --end-of-text: prompts never end with it" nosys.jsonl \
    "$BOS$HS$DATEBLK$EOT${HU}Hi$EOT$HA" -- --generation-prompt --end-of-text
render_case "-p meta" rec.jsonl \
    "$BOS${HS}  Be brief.  $EOT${HU}Hi"$'\n'"$EOT${HA} Hello! $EOT$EOTX" -- -p meta
render_case "-p meta without a system message" nosys.jsonl \
    "$BOS${HU}Hi$EOT${HA}Hello!$EOT$EOTX" -- -p meta
render_case "-p meta --generation-prompt" nosys.jsonl \
    "$BOS${HU}Hi$EOT$HA" -- -p meta --generation-prompt
render_case "-p guide" rec.jsonl \
    "$BOS$GS  Be brief.  $EOT${GU}Hi"$'\n'"$EOT$GA Hello! $EOT$EOTX" -- -p guide
render_case "-p guide without a system message" nosys.jsonl \
    "$BOS${GU}Hi$EOT${GA}Hello!$EOT$EOTX" -- -p guide
render_case "--system" nosys.jsonl \
    "$BOS$HS${DATEBLK}You are helpful.$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX" -- --system 'You are helpful.'
render_case "--system does not replace a record's own" rec.jsonl \
    "$BOS$HS${DATEBLK}Be brief.$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX" -- --system 'You are helpful.'
render_case "--system with escapes, -p meta" nosys.jsonl \
    "$BOS${HS}Line 1"$'\n\t'"Line 2$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX" -- -p meta --system 'Line 1\n\tLine 2'
render_case "--date" nosys.jsonl \
    "$BOS${HS}Cutting Knowledge Date: December 2023"$'\n'"Today Date: 1 Jan 2025"$'\n\n'"$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX" -- --date '1 Jan 2025'

begin "--keep id: values"
printf '%s\n%s\n' "$REC" "$NOSYS" >keep-in.jsonl
lf --keep id keep-in.jsonl
want_status 0
"$PY" - <<'EOF' || flunk "$(show out)"
import sys
lines = open("out", encoding="utf-8").read().split("\n")
ok = lines[0].startswith('{"id": 7, "text": "<|begin_of_text|>') and lines[1].startswith('{"id": "conv-1", "text": "') and lines[2] == ""
sys.exit(0 if ok else 1)
EOF
printf '%s\n' '{"id": {"b":1.50, "a":[1E2, "\u00e9"]}, "source": "위키", "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}' >keep2.jsonl
lf --keep source,id keep2.jsonl
want_status 0
"$PY" -c '
import json, sys
want = json.dumps({"source": "위키", "id": {"b": 1.5, "a": [100.0, "é"]}, "text": json.loads(open("good.expected").read())["text"]}, ensure_ascii=False) + "\n"
sys.exit(0 if open("out", encoding="utf-8").read() == want else 1)' || flunk "kept values: $(show out)"
lf --keep source keep-in.jsonl
want_status 1
want_err_line 'llamafmt: keep-in\.jsonl:1:1: .*source.*'
end

begin "-t text -0"
printf '%s\n%s\n' "$NOSYS" "$REC" >text-in.jsonl
{
    printf '%s\0' "$BOS$HS$DATEBLK$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX"
    printf '%s\0' "$BOS$HS${DATEBLK}Be brief.$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX"
} >text0.expected
lf -t text -0 text-in.jsonl
want_status 0
want_out_file text0.expected
lf -0 text-in.jsonl
want_status 0
want_out_file text0.expected
end

begin "-t text and --separator"
{
    printf '%s\n' "$BOS$HS$DATEBLK$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX"
    printf '%s\n' "$BOS$HS${DATEBLK}Be brief.$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX"
} >textnl.expected
lf -t text text-in.jsonl
want_status 0
want_out_file textnl.expected
{
    printf '%s\n===\n' "$BOS$HS$DATEBLK$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX"
    printf '%s\n===\n' "$BOS$HS${DATEBLK}Be brief.$EOT${HU}Hi$EOT${HA}Hello!$EOT$EOTX"
} >textsep.expected
lf -t text --separator='\n===\n' text-in.jsonl
want_status 0
want_out_file textsep.expected
end

begin "record-level add_generation_prompt and date_string"
printf '%s\n' '{"date_string": "9 Sep 2029", "add_generation_prompt": true, "messages": [{"role": "user", "content": "Hi"}]}' >recopts.jsonl
jl "$BOS${HS}Cutting Knowledge Date: December 2023"$'\n'"Today Date: 9 Sep 2029"$'\n\n'"$EOT${HU}Hi$EOT$HA" >recopts.expected
lf recopts.jsonl
want_status 0
want_out_file recopts.expected
end

# ================================================ the reference renderer

oracle_ok=0
if [ -f "$ORACLE" ] && "$PY" -c 'import jinja2' >/dev/null 2>&1; then
    oracle_ok=1
fi

# oracle_case NAME INPUT ORACLE-INPUT [LLAMAFMT OPTIONS...]: llamafmt -p
# official --no-end-of-text OPTIONS on INPUT == render.py on ORACLE-INPUT
oracle_case() {
    local name=$1 input=$2 oinput=$3
    shift 3
    if [ "$oracle_ok" -ne 1 ]; then
        skip "oracle: $name" "no $ORACLE (or no jinja2)"
        return
    fi
    begin "oracle: $name"
    if ! "$PY" "$ORACLE" <"$oinput" >oracle.out 2>oracle.err; then
        flunk "the oracle failed: $(show oracle.err)"
    elif grep -q '^{"error": ' oracle.out; then
        flunk "the oracle rejected a record: $(show oracle.out)"
    else
        lf -p official --no-end-of-text "$@" "$input"
        want_status 0
        want_err_empty
        want_out_file oracle.out
    fi
    end
}

cat >oracle.jsonl <<'EOF'
{"messages": [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "What is the capital of France?"}, {"role": "assistant", "content": "The capital of France is Paris."}]}
{"messages": [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi! How can I help?"}]}
{"messages": [{"role": "system", "content": "\u3000 한국어로 답하세요.\u00a0\n"}, {"role": "user", "content": "\ufeff안녕?\u200b "}, {"role": "assistant", "content": "\r\n네,\t안녕하세요!\u2028\u0085\u001c"}]}
{"messages": [{"role": "user", "content": "Say \"hi\" \\n <|foo|> <script>&amp;"}, {"role": "assistant", "content": "\u00e9\ud83d\ude00 \u2029"}, {"role": "user", "content": "  "}, {"role": "assistant", "content": ""}]}
{"date_string": "1 Jan 2025", "messages": [{"role": "user", "content": "date?"}, {"role": "assistant", "content": "ok"}]}
{"add_generation_prompt": true, "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "prompt me"}]}
{"add_generation_prompt": false, "messages": [{"role": "assistant", "content": "assistant first"}]}
EOF
oracle_case "mixed records" oracle.jsonl oracle.jsonl

"$PY" - <<'EOF'
import json
recs = [json.loads(l) for l in open("oracle.jsonl", encoding="utf-8")][:4]
def dump(path, rs):
    with open(path, "w", encoding="utf-8") as f:
        for r in rs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
# --generation-prompt: the final assistant turn dropped, add_generation_prompt set
gp = []
for r in recs:
    m = list(r["messages"])
    if m[-1]["role"] == "assistant":
        m = m[:-1]
    gp.append({"messages": m, "add_generation_prompt": True})
dump("oracle.gen.jsonl", gp)
# --date
dump("oracle.date.jsonl", [dict(r, date_string="21 September 2024") for r in recs])
# --system: a system message where a record has none
sysd = []
for r in recs:
    m = list(r["messages"])
    if m[0]["role"] != "system":
        m = [{"role": "system", "content": "Be nice."}] + m
    sysd.append({"messages": m})
dump("oracle.system.jsonl", sysd)
dump("oracle.base.jsonl", recs)
EOF
oracle_case "--generation-prompt" oracle.base.jsonl oracle.gen.jsonl --generation-prompt
oracle_case "--date" oracle.base.jsonl oracle.date.jsonl --date '21 September 2024'
oracle_case "--system" oracle.base.jsonl oracle.system.jsonl --system 'Be nice.'
oracle_case "array layout" three.array.json three.jsonl

# ================================================================= summary

harness_done cli
