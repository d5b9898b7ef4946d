#!/usr/bin/env bash
# End-to-end tests of --check (lint mode), --dedup, --split, --shuffle,
# --seed, colour and -q.
#
# usage: run_hygiene_tests.sh LLAMAFMT_BIN
#
# Needs bash, coreutils, gzip and python3 (or $PYTHON); script(1) is used
# for the terminal cases when installed.  Prints one line per failure and
# finally `hygiene: N passed, M failed`; exits 1 when M > 0.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/harness.sh
. "$HERE/../lib/harness.sh"
harness_args "$@"
CORPUS=$HERE/../corpus/chat.jsonl
TOOLS=$HERE/../corpus/tools.jsonl
harness_tmp hygiene

# want_out_has TEXT: stdout holds TEXT (fixed string)
want_out_has() {
    grep -Fq -- "$1" out || flunk "stdout lacks \"$1\": $(show out)"
}

# sorted FILE...: the lines of the files, sorted (byte order)
sorted() {
    cat "$@" | sort
}

# ---------------------------------------------------------------- --check

U='{"role":"user","content":'
A='{"role":"assistant","content":'
printf '%s\n' \
    "{\"messages\":[$U\"hi\"},$A\"hello\"}]}" \
    "{\"messages\":[$U\"how are you?\"},$A\"fine\"}]}" >clean.jsonl

begin "--check: a clean file"
lf --check clean.jsonl
want_status 0
want_out_empty
want_err_line 'llamafmt: checked 2 records: 0 errors in 0 records, 0 warnings'
end

# line 1: whitespace, empty assistant, unused key; 2: another shape;
# 3: tools [] and a duplicate of 2; 4: bad role; 5: bad JSON; 6: duplicate of 1
printf '%s\n' \
    "{\"messages\":[$U\" hi \"},$A\"\"}],\"weight\":1}" \
    '{"conversations":[{"from":"human","value":"a"},{"from":"gpt","value":"b"}]}' \
    "{\"messages\":[$U\"a\"},$A\"b\"}],\"tools\":[]}" \
    "{\"messages\":[{\"role\":\"bot\",\"content\":\"a\"}]}" \
    '{"messages": [' \
    "{\"messages\":[$U\" hi \"},$A\"\"}],\"weight\":1}" >lint.jsonl

begin "--check: every problem of every record, in order, with positions"
lf --check lint.jsonl
want_status 1
cat >want <<'EOF'
lint.jsonl:1:14: warning[whitespace]: messages[0]: the official profile trims leading and trailing whitespace of this user content
lint.jsonl:1:47: warning[empty_assistant]: messages[1]: empty assistant turn: nothing to learn from it
lint.jsonl:1:91: warning[unused_key]: weight: not read by the messages shape: its data is not in the sample
lint.jsonl:2:1: warning[mixed_shapes]: a sharegpt record in a file that started with messages records
lint.jsonl:3:88: warning[empty_tools]: tools: an empty tools list means no tools: the tool preamble is not rendered
lint.jsonl:3:1: warning[duplicate]: the same conversation as lint.jsonl:2
lint.jsonl:4:22: error[role]: messages[0].role: unknown role "bot" (add --role-map bot=user)
lint.jsonl:5:15: error[json]: invalid JSON: unexpected end of the record
lint.jsonl:6:14: warning[whitespace]: messages[0]: the official profile trims leading and trailing whitespace of this user content
lint.jsonl:6:47: warning[empty_assistant]: messages[1]: empty assistant turn: nothing to learn from it
lint.jsonl:6:91: warning[unused_key]: weight: not read by the messages shape: its data is not in the sample
lint.jsonl:6:1: warning[duplicate]: the same conversation as lint.jsonl:1
EOF
want_out_file want
want_err_line 'llamafmt: checked 6 records: 2 errors in 2 records, 10 warnings'
end

begin "--check: the same report for any number of threads"
lf --check -j 4 lint.jsonl
want_status 1
want_out_file want
end

begin "--check: every error of a record's messages, not only the first"
printf '%s\n' '{"messages":[{"role":"bot","content":"a"},{"role":"user","content":3},{"role":"user","content":"<|eot_id|>"},{"role":"system","content":"x"},{"role":"assistant","content":"<|eom_id|>"}]}' >multi.jsonl
lf --check multi.jsonl
want_status 1
cat >want.multi <<'EOF'
multi.jsonl:1:22: error[role]: messages[0].role: unknown role "bot" (add --role-map bot=user)
multi.jsonl:1:68: error[type]: messages[1].content: content must be a string or a list of text parts, found a number
multi.jsonl:1:110: error[order]: messages[3]: a system message is only allowed as the first message
multi.jsonl:1:71: error[special_token]: messages[2]: content contains the special token text "<|eot_id|>" (use --special-tokens=strip or allow)
multi.jsonl:1:142: error[special_token]: messages[4]: content contains the special token text "<|eom_id|>" (use --special-tokens=strip or allow)
EOF
want_out_file want.multi
want_err_line 'llamafmt: checked 1 record: 5 errors in 1 record, 0 warnings'
lf multi.jsonl
want_status 1
want_err_line 'llamafmt: multi.jsonl:1:22: messages\[0\]\.role: unknown role "bot" \(add --role-map bot=user\)'
end

begin "--check --stats=json: diagnostics as JSON lines, figures by kind"
lf --check --stats=json lint.jsonl
want_status 1
"$PY" - out err <<'EOF' || flunk "bad JSON report: $(show out) / $(show err)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(lines) == 12, len(lines)
assert all(set(d) == {"file", "line", "column", "severity", "kind", "message"} for d in lines)
assert [d["severity"] for d in lines].count("error") == 2
assert lines[6] == {"file": "lint.jsonl", "line": 4, "column": 22, "severity": "error", "kind": "role",
                    "message": 'messages[0].role: unknown role "bot" (add --role-map bot=user)'}, lines[6]
err = open(sys.argv[2], encoding="utf-8").read().splitlines()
st = json.loads(err[-1])
assert st["warnings"] == 10 and st["errors"] == 2 and st["rejected"] == 2 and st["records_read"] == 6, st
assert st["warnings_by_kind"] == {"whitespace": 2, "empty_tools": 1, "empty_assistant": 2, "unused_key": 2,
                                  "duplicate": 2, "mixed_shapes": 1}, st
assert st["rejected_by_reason"] == {"json": 1, "role": 1}, st
EOF
end

begin "--check -q: errors only, no summary"
lf --check -q lint.jsonl
want_status 1
grep -v 'error\[' out >rest
[ ! -s rest ] || flunk "-q printed warnings: $(show rest)"
[ "$(grep -c 'error\[' out)" -eq 2 ] || flunk "want 2 errors: $(show out)"
want_err_empty
end

begin "--check: warnings only exit 0"
head -n 3 lint.jsonl >warn.jsonl
lf --check warn.jsonl
want_status 0
want_err_line 'llamafmt: checked 3 records: 0 errors in 0 records, 6 warnings'
end

begin "--check: the profile decides what is trimmed; --keep keys are not unused"
head -n 1 lint.jsonl >one.jsonl
lf --check -p meta --keep weight one.jsonl
want_status 0
grep -q 'whitespace\|unused_key' out && flunk "meta keeps content verbatim, weight is kept: $(show out)"
want_err_line 'llamafmt: checked 1 record: 0 errors in 0 records, 1 warning'
end

begin "--check: special-token text under --special-tokens=allow or strip is a warning, by default an error"
printf '%s\n' "{\"messages\":[$U\"<|begin_of_text|>x\"},$A\"y\"}]}" >special.jsonl
lf --check --special-tokens=allow special.jsonl
want_status 0
want_out_has 'special.jsonl:1:14: warning[special_token]: messages[0]: "<|begin_of_text|>" in this user content becomes a control token'
lf --check --special-tokens=strip special.jsonl
want_status 0
want_out_has 'special.jsonl:1:14: warning[special_token]: messages[0]: special-token text is removed from this user content (--special-tokens=strip)'
lf --check special.jsonl
want_status 1
want_out_has 'error[special_token]'
end

begin "--check: a template error (no assistant turn) is an error; prompts are fine"
printf '%s\n' "{\"messages\":[$U\"q\"}]}" >prompt.jsonl
lf --check prompt.jsonl
want_status 1
want_out_has 'prompt.jsonl:1:'
want_out_has 'error[no_assistant]'
lf --check --generation-prompt prompt.jsonl
want_status 0
end

begin "--check -o: the report goes to the file; --rejects lists the bad records"
lf --check -o report.txt --rejects bad.jsonl lint.jsonl
want_status 1
want_out_empty
[ "$(wc -l <report.txt)" -eq 12 ] || flunk "report.txt: $(show report.txt)"
[ "$(wc -l <bad.jsonl)" -eq 2 ] || flunk "rejects: $(show bad.jsonl)"
end

begin "--check: the corpora are clean of errors"
lf --check "$CORPUS" "$TOOLS"
want_status 0
grep -q 'error\[' out && flunk "errors in the corpora: $(show out)"
end

begin "--check refuses what writes samples"
lf --check -t text clean.jsonl
want_status 2
want_err_has '--check writes no samples'
lf --check --split a=0.5,b=0.5 -o x.jsonl clean.jsonl
want_status 2
lf --check --parse clean.jsonl
want_status 2
want_err_has 'mutually exclusive'
end

# ---------------------------------------------------------------- --dedup

begin "--dedup: repeats dropped, across files and shapes, first kept, counted"
printf '%s\n' \
    '{"conversations":[{"from":"human","value":"hi"},{"from":"gpt","value":"hello"}]}' \
    '{"instruction":"how are you?","output":"fine"}' >other.jsonl
lf --dedup --stats=json clean.jsonl clean.jsonl other.jsonl
want_status 0
"$BIN" clean.jsonl >want
want_out_file want
[ "$(tail -n 1 err | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["duplicates"], d["records_read"], d["records_converted"], d["samples_written"])')" = "4 6 2 2" ] ||
    flunk "stats: $(show err)"
end

begin "--dedup: the corpus twice is the corpus once; -j does not matter"
cat "$CORPUS" "$CORPUS" >twice.jsonl
lf --dedup -j 3 twice.jsonl
want_status 0
"$BIN" "$CORPUS" >want
want_out_file want
end

begin "--dedup: conversations differing in a kept key are still duplicates"
printf '%s\n' "{\"id\":1,\"messages\":[$U\"a\"},$A\"b\"}]}" "{\"id\":2,\"messages\":[$U\"a\"},$A\"b\"}]}" >ids.jsonl
lf --dedup --keep id ids.jsonl
want_status 0
[ "$(wc -l <out)" -eq 1 ] && grep -q '^{"id": 1, ' out || flunk "$(show out)"
end

begin "--dedup with --update is refused"
lf --dedup --update -O outd clean.jsonl
want_status 2
want_err_has 'does not go with --update'
end

# ---------------------------------------------------------------- --split

begin "--split: one output per split, nothing lost, roughly the fractions"
lf --split train=0.8,val=0.2 -o all.jsonl --stats=json "$CORPUS"
want_status 0
want_out_empty
[ -f all.train.jsonl ] && [ -f all.val.jsonl ] && [ ! -e all.jsonl ] || flunk "files: $(ls)"
"$BIN" "$CORPUS" | sort >want
sorted all.train.jsonl all.val.jsonl >got
cmp -s want got || flunk "the splits do not hold exactly the samples"
nv=$(wc -l <all.val.jsonl)
[ "$nv" -ge 55 ] && [ "$nv" -le 125 ] || flunk "val has $nv of 440"
tail -n 1 err | grep -q "\"split_samples\": {\"train\": $((440 - nv)), \"val\": $nv}" || flunk "stats: $(show err)"
end

begin "--split: a record's split does not change when records are reordered or added"
tac "$CORPUS" >rev.jsonl
lf --split train=0.8,val=0.2 -o rev.jsonl.out rev.jsonl
want_status 0
sorted rev.jsonl.train.out >a
sorted all.train.jsonl >b
cmp -s a b || flunk "reordering moved records between splits"
cat "$CORPUS" "$TOOLS" >more.jsonl
lf --split train=0.8,val=0.2 -o more.jsonl.out more.jsonl
want_status 0
"$BIN" "$CORPUS" | sort >c
sorted more.jsonl.train.out | comm -12 - c >d
cmp -s d b || flunk "adding records moved records between splits"
end

begin "--split --seed: another seed, another assignment, the same for any -j"
lf --split train=0.8,val=0.2 --seed 7 -o s7.jsonl "$CORPUS"
want_status 0
cmp -s s7.train.jsonl all.train.jsonl && flunk "--seed changed nothing"
lf --split train=0.8,val=0.2 --seed 7 -j 4 -o s7j.jsonl "$CORPUS"
cmp -s s7.train.jsonl s7j.train.jsonl && cmp -s s7.val.jsonl s7j.val.jsonl || flunk "-j changed the splits"
end

begin "--split --split-turns: every sample of a record in the same split"
lf --split a=0.5,b=0.5 --split-turns -o turns.jsonl "$TOOLS"
want_status 0
"$PY" - turns.a.jsonl turns.b.jsonl <<'EOF' || flunk "a conversation is in both splits"
import json, sys
def firsts(path):
    # the first user turn identifies the conversation
    out = set()
    for line in open(path, encoding="utf-8"):
        t = json.loads(line)["text"]
        out.add(t.split("<|eot_id|>")[0:3].__repr__())
    return out
a, b = firsts(sys.argv[1]), firsts(sys.argv[2])
assert a and b and not (a & b), (len(a), len(b), len(a & b))
EOF
end

begin "--split: compressed outputs keep their suffix"
lf --split x=0.5,y=0.5 -o z.jsonl.gz "$CORPUS"
want_status 0
[ -f z.x.jsonl.gz ] && gzip -t z.x.jsonl.gz && gzip -t z.y.jsonl.gz || flunk "files: $(ls z.*)"
end

begin "--split with -O: DIR/NAME/..."
mkdir -p in/sub && cp clean.jsonl in/sub/c.jsonl && cp "$CORPUS" in/corpus.jsonl
lf --split train=0.9,test=0.1 -r -O splitdir in
want_status 0
[ -f splitdir/train/corpus.jsonl ] && [ -f splitdir/test/corpus.jsonl ] && [ -f splitdir/train/sub/c.jsonl ] ||
    flunk "tree: $(find splitdir -type f | sort)"
sorted splitdir/train/corpus.jsonl splitdir/test/corpus.jsonl >got
"$BIN" "$CORPUS" | sort >want
cmp -s got want || flunk "the -O splits do not hold the samples"
lf --split train=0.9,test=0.1 -r -O splitdir in
want_status 2
want_err_has 'output exists'
end

begin "--split: a failed run leaves no output at all"
lf --split a=0.5,b=0.5 -o f.jsonl lint.jsonl
want_status 1
want_no_output f.a.jsonl
want_no_output f.b.jsonl
end

begin "--split: usage errors"
lf --split a=0.5,b=0.5 clean.jsonl
want_status 2
want_err_has 'give -o FILE or -O DIR'
lf --split a=0.5,b=0.6 -o x.jsonl clean.jsonl
want_status 2
want_err_has 'add up to 1.1'
lf --split a=0.5,a=0.5 -o x.jsonl clean.jsonl
want_status 2
want_err_has 'named twice'
lf --split a/b=1 -o x.jsonl clean.jsonl
want_status 2
lf --split a=x -o x.jsonl clean.jsonl
want_status 2
end

# ---------------------------------------------------------------- --shuffle

begin "--shuffle: the same samples in another order, reproducibly"
lf --shuffle=64 "$CORPUS"
want_status 0
cp out sh0
"$BIN" "$CORPUS" >plain
cmp -s sh0 plain && flunk "not shuffled"
sort sh0 | cmp -s - <(sort plain) || flunk "shuffling lost or changed samples"
lf --shuffle=64 -j 4 "$CORPUS"
cmp -s out sh0 || flunk "-j changed the order"
lf --shuffle=64 --seed 1 "$CORPUS"
cmp -s out sh0 && flunk "--seed changed nothing"
end

begin "--shuffle=1 keeps the order; the default buffer holds the whole corpus"
lf --shuffle=1 "$CORPUS"
cmp -s out plain || flunk "a buffer of one must not reorder"
lf --shuffle --split-turns -t text -0 "$TOOLS"
want_status 0
"$BIN" --split-turns -t text -0 "$TOOLS" >plain0
cmp -s out plain0 && flunk "not shuffled"
tr '\0' '\n' <out | sort >a
tr '\0' '\n' <plain0 | sort >b
cmp -s a b || flunk "samples changed"
end

begin "--shuffle with --split: each split shuffled, nothing lost"
lf --shuffle --split a=0.5,b=0.5 -o sp.jsonl "$CORPUS"
want_status 0
lf --split a=0.5,b=0.5 -o un.jsonl "$CORPUS"
sort sp.a.jsonl | cmp -s - <(sort un.a.jsonl) || flunk "split a differs"
cmp -s sp.a.jsonl un.a.jsonl && flunk "split a not shuffled"
end

begin "--shuffle: usage errors"
lf --shuffle=0 clean.jsonl
want_status 2
lf --seed=-1 clean.jsonl
want_status 2
end

# ---------------------------------------------------------------- colour

begin "colour: never in a pipe, always with --color=always, never with NO_COLOR"
lf --check lint.jsonl
grep -q $'\033' out err && flunk "colour in a pipe"
lf --check --color=always lint.jsonl
grep -q $'\033\\[1m' out || flunk "no colour with --color=always: $(show out)"
lf --color=always --on-error=fail lint.jsonl
grep -q $'\033\\[1;31mllamafmt:' err || flunk "no colour on stderr: $(show err)"
lf --color=sometimes clean.jsonl
want_status 2
end

if command -v script >/dev/null 2>&1; then
    begin "colour on a terminal, unless NO_COLOR"
    script -qec "$BIN --no-progress --check $TMP/lint.jsonl" /dev/null >tty.txt 2>&1
    grep -q $'\033\\[1m' tty.txt || flunk "no colour on a terminal: $(show tty.txt)"
    NO_COLOR=1 script -qec "$BIN --no-progress --check $TMP/lint.jsonl" /dev/null >tty.txt 2>&1
    grep -q $'\033\\[' tty.txt && flunk "colour despite NO_COLOR: $(show tty.txt)"
    end
else
    skip "colour on a terminal" "script(1) is not installed"
fi

harness_done hygiene
