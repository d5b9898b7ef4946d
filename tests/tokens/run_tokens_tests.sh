#!/usr/bin/env bash
# End-to-end tests of the token outputs: -t tokens, --attention-mask,
# --count-tokens, --max-tokens with every --overlong, token statistics and
# the usage errors around them.
#
# usage: run_tokens_tests.sh LLAMAFMT_BIN
#
# The tokenizer is a small tiktoken file written here (the 256 bytes and a
# few hundred merges learnt from the corpus), so the suite needs no
# download; exactness against the real Llama 3 vocabulary is the business
# of tests/tokenizer/.  Prints one line per failure and finally
# `tokens: N passed, M failed`; exits 1 when M > 0.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/harness.sh
. "$HERE/../lib/harness.sh"
harness_args "$@"
CORPUS=$HERE/../corpus/chat.jsonl
TOOLS=$HERE/../corpus/tools.jsonl
harness_tmp tokens

# tiny.model: bytes as ranks 0..255, then the 400 most frequent adjacent
# pairs of the corpus's words merged greedily (a real, if small, BPE)
"$PY" - "$CORPUS" tiny.model <<'EOF'
import base64, collections, json, re, sys
words = collections.Counter()
for line in open(sys.argv[1], encoding="utf-8"):
    for w in re.findall(r" ?[A-Za-z]+", line):
        words[w.encode()] += 1
vocab = [bytes([i]) for i in range(256)]
seen = set(vocab)
split = {w: [bytes([c]) for c in w] for w in words}
for _ in range(400):
    pairs = collections.Counter()
    for w, parts in split.items():
        for a, b in zip(parts, parts[1:]):
            pairs[a, b] += words[w]
    if not pairs:
        break
    (a, b), _ = pairs.most_common(1)[0]
    m = a + b
    if m not in seen:
        vocab.append(m)
        seen.add(m)
    for w, parts in split.items():
        out, i = [], 0
        while i < len(parts):
            if i + 1 < len(parts) and parts[i] == a and parts[i + 1] == b:
                out.append(m)
                i += 2
            else:
                out.append(parts[i])
                i += 1
        split[w] = out
with open(sys.argv[2], "w") as f:
    for rank, tok in enumerate(vocab):
        f.write(base64.b64encode(tok).decode() + " " + str(rank) + "\n")
print(len(vocab), file=open("nvocab", "w"))
EOF
NV=$(cat nvocab)
BOSID=$NV
EOTID=$((NV + 9))
TK=(--tokenizer tiny.model)

# py CODE FILE...: run a python check on files; fail the case on error
py() {
    local code=$1
    shift
    "$PY" -c "$code" "$@" 2>pyerr || flunk "$(cat pyerr)"
}

U='{"role":"user","content":'
A='{"role":"assistant","content":'

begin "-t tokens: ids start with <|begin_of_text|>, labels mask the prompt, the ids spell the text"
lf -t tokens "${TK[@]}" "$CORPUS"
want_status 0
cp out ids.jsonl
"$BIN" --spans "$CORPUS" >spans.jsonl
py '
import base64, json, sys
nv = int(open("nvocab").read())
vocab = [base64.b64decode(l.split()[0]) for l in open("tiny.model")]
names = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
         "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
         "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"]
def text(i):
    return vocab[i] if i < nv else names[i - nv].encode()
n = 0
for a, b in zip(open(sys.argv[1]), open(sys.argv[2])):
    t, s = json.loads(a), json.loads(b)
    ids, labels = t["input_ids"], t["labels"]
    assert set(t) == {"input_ids", "labels"}, t.keys()
    assert ids[0] == nv and len(labels) == len(ids)
    raw = s["text"].encode()
    assert b"".join(text(i) for i in ids) == raw
    pos = 0
    for i, l in zip(ids, labels):
        end = pos + len(text(i))
        train = any(a < end and pos < b for a, b in s["spans"])
        assert l == (i if train else -100), (n, i, l, pos, end)
        pos = end
    n += 1
assert n == 440, n
' ids.jsonl spans.jsonl
end

begin "-t tokens: --attention-mask, --keep, --train-on, -j"
printf '%s\n' "{\"id\":\"a\",\"messages\":[$U\"hello there\"},$A\"general kenobi\"},$U\"again\"},$A\"yes\"}]}" >two.jsonl
lf -t tokens --attention-mask --keep id "${TK[@]}" two.jsonl
want_status 0
py '
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert list(d) == ["id", "input_ids", "labels", "attention_mask"], list(d)
assert d["attention_mask"] == [1] * len(d["input_ids"])
' out
lf -t tokens --train-on=last "${TK[@]}" two.jsonl
cp out last.json
lf -t tokens "${TK[@]}" two.jsonl
py '
import json, sys
a, l = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert a["input_ids"] == l["input_ids"]
assert sum(x != -100 for x in l["labels"]) < sum(x != -100 for x in a["labels"])
' out last.json
lf -t tokens -j 4 "${TK[@]}" "$CORPUS" "$TOOLS"
cp out j4
lf -t tokens -j 1 "${TK[@]}" "$CORPUS" "$TOOLS"
cmp -s out j4 || flunk "-j 4 and -j 1 differ"
end

begin "special-token text in content stays text (--special-tokens=allow)"
printf '%s\n' "{\"messages\":[$U\"a <|eot_id|> b\"},$A\"c\"}]}" >inj.jsonl
lf -t tokens --special-tokens=allow "${TK[@]}" inj.jsonl
want_status 0
py "
import json, sys
ids = json.load(open(sys.argv[1]))['input_ids']
assert ids.count($EOTID) == 3, ids   # system, user and assistant turns' own
" out
end

begin "--count-tokens: one count per sample, the total on stderr; =total alone"
lf --count-tokens --keep id "${TK[@]}" two.jsonl
want_status 0
lf -t tokens "${TK[@]}" two.jsonl
n=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["input_ids"]))' out)
lf --count-tokens --keep id "${TK[@]}" two.jsonl
[ "$(cat out)" = "{\"id\": \"a\", \"tokens\": $n}" ] || flunk "$(show out)"
want_err_line "llamafmt: $n tokens in 1 samples"
lf --count-tokens=total "${TK[@]}" two.jsonl two.jsonl
[ "$(cat out)" = "{\"tokens\": $((2 * n))}" ] || flunk "$(show out)"
want_err_empty
lf --count-tokens -q "${TK[@]}" two.jsonl
want_err_empty
lf --count-tokens --split-turns "${TK[@]}" two.jsonl
[ "$(wc -l <out)" -eq 2 ] || flunk "split turns: $(show out)"
end

begin "--count-tokens agrees with -t tokens on both corpora"
lf --count-tokens "${TK[@]}" "$CORPUS" "$TOOLS"
py '
import json, sys
c = [json.loads(l)["tokens"] for l in open(sys.argv[1])]
t = [len(json.loads(l)["input_ids"]) for l in open(sys.argv[2])]
assert c == t
' out j4
end

begin "--stats: token total and min/median/p99/max per sample"
lf --count-tokens --stats=json "${TK[@]}" "$CORPUS"
tail -n 1 err >st.json
py '
import json, math, sys
c = sorted(json.loads(l)["tokens"] for l in open(sys.argv[1]))
st = json.load(open(sys.argv[2]))
q = lambda p: c[max(1, math.ceil(p * len(c))) - 1]
assert st["tokens"] == sum(c), (st["tokens"], sum(c))
assert st["tokens_per_sample"] == {"min": c[0], "median": q(0.5), "p99": q(0.99), "max": c[-1]}, st
' out st.json
end

# a record of 2 turns: the first fits in LIMIT tokens, the whole does not
lf -t tokens "${TK[@]}" two.jsonl
full=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["input_ids"]))' out)
printf '%s\n' "{\"messages\":[$U\"hello there\"},$A\"general kenobi\"}]}" >first.jsonl
lf -t tokens "${TK[@]}" first.jsonl
cp out first.tokens
half=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["input_ids"]))' out)
printf '%s\n' "{\"messages\":[$U\"x\"},$A\"y\"}]}" >small.jsonl
cat small.jsonl two.jsonl small.jsonl >mixed.jsonl

begin "--max-tokens --overlong=drop (the default): dropped, counted, listed, exit 0"
lf -t tokens "${TK[@]}" --max-tokens $((full - 1)) --rejects rej.jsonl --stats=json mixed.jsonl
want_status 0
[ "$(wc -l <out)" -eq 2 ] || flunk "want the 2 small samples: $(show out)"
grep -q "\"records_read\": 3, \"records_converted\": 2, \"samples_written\": 2, \"rejected\": 1, \"rejected_by_reason\": {\"too_long\": 1}" err ||
    flunk "stats: $(show err)"
grep -q '"samples_dropped": 1, "samples_truncated": 0, "samples_shortened": 0' err || flunk "stats: $(show err)"
grep -q "record rejected (first: mixed.jsonl:2:1: the sample is over --max-tokens $((full - 1)) ($full tokens): dropped)" err ||
    flunk "summary: $(show err)"
py '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert len(r) == 1 and r[0]["line"] == 2 and "dropped" in r[0]["error"] and r[0]["record"].startswith("{\"id\"")
' rej.jsonl
lf -t tokens "${TK[@]}" --max-tokens "$full" mixed.jsonl
[ "$(wc -l <out)" -eq 3 ] || flunk "a sample of exactly N tokens fits"
end

begin "--overlong=drop applies to samples: --split-turns keeps the turns that fit"
lf -t tokens --split-turns "${TK[@]}" --max-tokens "$half" --rejects rej.jsonl --stats=json two.jsonl
want_status 0
cmp -s out first.tokens || flunk "want the first turn's sample: $(show out)"
grep -q '"rejected": 0' err && grep -q '"samples_dropped": 1' err || flunk "stats: $(show err)"
grep -q 'a sample over --max-tokens' rej.jsonl || flunk "rejects: $(show rej.jsonl)"
end

begin "--overlong=drop-turns: whole trailing turns go until it fits"
lf -t tokens "${TK[@]}" --max-tokens "$half" --overlong=drop-turns --stats=json two.jsonl
want_status 0
cmp -s out first.tokens || flunk "want the conversation cut after its first turn: $(show out)"
grep -q '"samples_shortened": 1' err || flunk "stats: $(show err)"
"$BIN" --max-tokens "$half" --overlong=drop-turns "${TK[@]}" two.jsonl >text.jsonl 2>/dev/null
"$BIN" first.jsonl >want
cmp -s text.jsonl want || flunk "-t jsonl: want the shortened sample's text"
lf -t tokens "${TK[@]}" --max-tokens 5 --overlong=drop-turns --stats=json two.jsonl
want_status 0
want_out_empty
grep -q '"samples_dropped": 1' err || flunk "nothing fits: dropped: $(show err)"
end

begin "--overlong=truncate: cut at N, labels too; only for token outputs"
lf -t tokens "${TK[@]}" --max-tokens 10 --overlong=truncate --stats=json two.jsonl
want_status 0
py '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["input_ids"]) == 10 and len(d["labels"]) == 10
' out
grep -q '"samples_truncated": 1' err || flunk "stats: $(show err)"
lf --count-tokens "${TK[@]}" --max-tokens 10 --overlong=truncate two.jsonl
[ "$(cat out)" = '{"tokens": 10}' ] || flunk "$(show out)"
lf "${TK[@]}" --max-tokens 10 --overlong=truncate two.jsonl
want_status 2
want_err_has 'needs --to tokens or --count-tokens'
end

begin "--overlong=error: a bad record, exit 1, or skipped"
lf -t tokens "${TK[@]}" --max-tokens $((full - 1)) --overlong=error mixed.jsonl
want_status 1
want_err_line "llamafmt: mixed.jsonl:2:1: the sample has $full tokens, over --max-tokens $((full - 1))"
lf -t tokens "${TK[@]}" --max-tokens $((full - 1)) --overlong=error --on-error=skip mixed.jsonl
want_status 0
[ "$(wc -l <out)" -eq 2 ] || flunk "$(show out)"
end

begin "--max-tokens works with every text form"
lf --spans "${TK[@]}" --max-tokens $((full - 1)) mixed.jsonl
want_status 0
"$BIN" --spans small.jsonl small.jsonl >want
want_out_file want
end

begin "usage errors"
lf -t tokens two.jsonl
want_status 2
want_err_has '--to tokens needs --tokenizer FILE'
lf --count-tokens two.jsonl
want_status 2
lf --max-tokens 5 two.jsonl
want_status 2
lf --overlong=drop "${TK[@]}" two.jsonl
want_status 2
want_err_has '--overlong only matters with --max-tokens'
lf --attention-mask "${TK[@]}" two.jsonl
want_status 2
lf -t tokens "${TK[@]}" --max-tokens 0 two.jsonl
want_status 2
lf -t tokens "${TK[@]}" --overlong=sometimes --max-tokens 3 two.jsonl
want_status 2
end

begin "a tokenizer that cannot be read or used"
lf -t tokens --tokenizer missing.json two.jsonl
want_status 3
want_err_has 'missing.json'
echo '{"model": {"type": "WordPiece"}}' >wp.json
lf -t tokens --tokenizer wp.json two.jsonl
want_status 2
want_err_has 'wp.json'
head -n 300 tiny.model >partial.model
printf 'not base64!! 300\n' >>partial.model
lf -t tokens --tokenizer partial.model two.jsonl
want_status 2
end

harness_done tokens
