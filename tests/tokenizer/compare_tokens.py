#!/usr/bin/env python3
"""Check llamafmt's token output against Hugging Face's tokenizer.

    compare_tokens.py LABEL SPANS.jsonl TOKENS.jsonl REF.jsonl [COUNTS.jsonl]

SPANS.jsonl   `llamafmt --spans` (jsonl): {"text": SAMPLE, "spans": [[start, end], ...]}
              with the trainable bytes as half-open UTF-8 byte offsets;
TOKENS.jsonl  `llamafmt -t tokens`: {"input_ids": [...], "labels": [...]};
REF.jsonl     ref_encode.mjs --special-text --byte-offsets on the samples:
              {"ids": [...], "offsets": [[start, end], ...], "text": SAMPLE}
              (UTF-8 bytes), its "text" equal to SPANS.jsonl's;
COUNTS.jsonl  `llamafmt --count-tokens`: {"tokens": N} (optional).

Line i of every file is sample i.  For each sample: input_ids must equal the
reference's ids; labels must have the same length, and labels[k] must be
input_ids[k] when token k's byte range (from the reference's offsets)
overlaps a trainable span, and -100 otherwise; the count must be
len(input_ids).  A token [a, b) overlaps a span [s, e) when a < e and s < b
(a token of no bytes, a == b, when s <= a < e).  Prints the first few
problems (SHOW, default 5) and a summary; exits 1 on any problem, 2 on a
setup problem.
"""
import bisect
import json
import os
import sys


def read_jsonl(path):
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")  # "\n" only: samples may hold raw U+2028/U+0085
    if lines and lines[-1] == b"":
        lines.pop()
    out = []
    for i, line in enumerate(lines):
        try:
            out.append(json.loads(line.decode("utf-8")))
        except (UnicodeDecodeError, ValueError) as e:
            sys.exit(f"compare_tokens.py: {path}:{i + 1}: {e}")
    return out


def overlaps(a, b, spans, ends):
    """spans: sorted, not overlapping; ends: their end offsets."""
    k = bisect.bisect_right(ends, a)  # the first span that ends after a
    if k == len(spans):
        return False
    s, e = spans[k]
    return s < b if a < b else s <= a


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    label, spans_f, tokens_f, ref_f = sys.argv[1:5]
    counts_f = sys.argv[5] if len(sys.argv) == 6 else None
    show = int(os.environ.get("SHOW", "5"))
    spans = read_jsonl(spans_f)
    toks = read_jsonl(tokens_f)
    ref = read_jsonl(ref_f)
    counts = read_jsonl(counts_f) if counts_f else None

    problems = []

    def problem(i, what):
        problems.append((i, what))

    n = len(spans)
    if n == 0:
        problem(0, "no samples at all")
    if len(toks) != n or len(ref) != n or (counts is not None and len(counts) != n):
        problem(0, f"sample counts differ: spans {n}, tokens {len(toks)}, reference {len(ref)}"
                   + (f", counts {len(counts)}" if counts is not None else ""))
    trainable_tokens = 0
    total_tokens = 0
    for i in range(min(n, len(toks), len(ref))):
        sp, tk, rf = spans[i], toks[i], ref[i]
        text = sp.get("text")
        if not isinstance(text, str) or not isinstance(sp.get("spans"), list):
            problem(i, f"spans line is not {{\"text\", \"spans\"}}: {json.dumps(sp)[:200]}")
            continue
        raw = text.encode("utf-8")
        sv = sp["spans"]
        if not all(isinstance(x, list) and len(x) == 2 and all(isinstance(y, int) for y in x)
                   and 0 <= x[0] <= x[1] <= len(raw) for x in sv):
            problem(i, f"bad spans {json.dumps(sv)[:200]} for a text of {len(raw)} bytes")
            continue
        sv = sorted(sv)
        if any(sv[k][1] > sv[k + 1][0] for k in range(len(sv) - 1)):
            problem(i, f"spans overlap: {json.dumps(sv)[:200]}")
            continue
        ends = [e for _, e in sv]
        ids, labels = tk.get("input_ids"), tk.get("labels")
        if not isinstance(ids, list) or not isinstance(labels, list):
            problem(i, f"tokens line is not {{\"input_ids\", \"labels\"}}: {json.dumps(tk)[:200]}")
            continue
        if rf.get("text") != text:
            problem(i, "the reference was computed on another text than --spans wrote")
            continue
        want_ids, offs = rf["ids"], rf["offsets"]
        total_tokens += len(want_ids)
        if ids != want_ids:
            k = next((k for k in range(min(len(ids), len(want_ids))) if ids[k] != want_ids[k]),
                     min(len(ids), len(want_ids)))
            a = offs[k][0] if k < len(offs) else len(raw)
            ctx = raw[max(0, a - 40):a + 60].decode("utf-8", "replace")
            problem(i, f"input_ids differ at token {k} of {len(want_ids)} (got {len(ids)}): "
                       f"want {want_ids[max(0, k - 2):k + 10]}, got {ids[max(0, k - 2):k + 10]}; "
                       f"text near byte {a}: {ctx!r}")
            continue
        if len(labels) != len(ids):
            problem(i, f"{len(labels)} labels for {len(ids)} input_ids")
            continue
        for k, (tid, lab) in enumerate(zip(ids, labels)):
            a, b = offs[k]
            want = tid if overlaps(a, b, sv, ends) else -100
            if want != -100:
                trainable_tokens += 1
            if lab != want:
                piece = raw[a:b].decode("utf-8", "replace")
                problem(i, f"labels[{k}] is {lab}, want {want}: token {tid} {piece!r} at bytes [{a}, {b}), "
                           f"spans {json.dumps(sv)[:200]}")
                break
        if counts is not None:
            c = counts[i].get("tokens") if isinstance(counts[i], dict) else None
            if c != len(ids):
                problem(i, f"--count-tokens says {c}, input_ids has {len(ids)}")

    for i, what in problems[:show]:
        print(f"--- {label}: sample {i + 1}: {what}", file=sys.stderr)
    bad_samples = len({i for i, _ in problems})
    print(f"{label}: {n} samples, {total_tokens} tokens ({trainable_tokens} trainable), "
          f"{bad_samples} samples with problems", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
