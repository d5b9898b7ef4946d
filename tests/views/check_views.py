#!/usr/bin/env python3
"""Check the training views on whole corpora.

Usage: check_views.py LLAMAFMT RENDER_PY|- CORPUS...

For every corpus record, every profile (official, meta, guide; the guide
has no tool format, so tool corpora are skipped there), with and without
--split-turns, and every --train-on rule:

  - prompt + completion == text, and the cut is right after the final
    assistant header (or at the end, for prompts);
  - the segments concatenate to text, adjacent segments differ in label, and
    their trainable ranges equal "spans";
  - "spans" equal the trainable ranges computed here, independently, by
    reading the Llama 3.1 format of the text: every assistant turn's body up
    to and including its <|eot_id|>/<|eom_id|> (and a closing
    <|end_of_text|>) for `assistant`, only the final turn for `last`,
    everything after <|begin_of_text|> for `all`;
  - with --split-turns: one sample per assistant turn, each the render of the
    conversation up to that turn, the last one equal to the whole sample;
  - round trip: `-t messages` output rendered again by llamafmt gives the same
    samples, and (official profile) rendered by the oracle RENDER_PY gives
    the same bytes as `-p official --no-end-of-text`.

Prints `views: N passed, M failed`.
"""
import json
import os
import subprocess
import sys

BOS = "<|begin_of_text|>"
EOT_TEXT = "<|end_of_text|>"
ASSISTANT = "<|start_header_id|>assistant<|end_header_id|>"
TERMINATORS = ("<|eot_id|>", "<|eom_id|>")


def run(binary, args, data):
    p = subprocess.run([binary, *args], input=data, capture_output=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {p.returncode}: {p.stderr.decode(errors='replace')[:500]}")
    return [json.loads(line) for line in p.stdout.decode().split("\n") if line]


def byte_ranges(text, char_ranges):
    """Character ranges -> UTF-8 byte ranges, adjacent ones merged."""
    out = []
    for a, b in char_ranges:
        ba, bb = len(text[:a].encode()), len(text[:b].encode())
        if out and out[-1][1] == ba:
            out[-1][1] = bb
        elif bb > ba:
            out.append([ba, bb])
    return out


def expected_spans(text, profile, rule):
    if rule == "all":
        start = len(BOS) if text.startswith(BOS) else 0
        return byte_ranges(text, [(start, len(text))])
    head = ASSISTANT + ("" if profile == "guide" else "\n\n")
    turns = []
    i = text.find(head)
    while i >= 0:
        body = i + len(head)
        ends = [(text.find(t, body), t) for t in TERMINATORS]
        ends = [(e, t) for e, t in ends if e >= 0]
        if not ends:
            break                               # an open generation header
        e, t = min(ends)
        end = e + len(t)
        if text.startswith(EOT_TEXT, end) and end + len(EOT_TEXT) == len(text):
            end += len(EOT_TEXT)
        turns.append((body, end))
        i = text.find(head, end)
    if rule == "last":
        ends_sample = text.endswith(TERMINATORS) or text.endswith(EOT_TEXT)
        turns = turns[-1:] if turns and ends_sample and turns[-1][1] == len(text) else []
    return byte_ranges(text, turns)


def prompt_cut(text, profile):
    head = ASSISTANT + ("" if profile == "guide" else "\n\n")
    i = text.rfind(head)
    if i < 0 or i + len(head) == len(text):
        return len(text)                        # a prompt: nothing to complete
    return i + len(head)


def n_assistant(record):
    msgs = record.get("messages") or []
    if record.get("add_generation_prompt") is True:
        return 1
    return max(1, sum(1 for m in msgs if m.get("role") == "assistant"))


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            if self.failed <= 30:
                print("FAIL", what)


def main():
    if len(sys.argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    binary, render_py, corpora = sys.argv[1], sys.argv[2], sys.argv[3:]
    py = os.environ.get("PYTHON", "python3")
    c = Checker()
    for corpus in corpora:
        with open(corpus, "rb") as f:
            data = f.read()
        records = [json.loads(l) for l in data.decode().split("\n") if l.strip()]
        has_tools = any("tools" in r or "builtin_tools" in r or "custom_tools" in r for r in records)
        name = os.path.basename(corpus)
        for profile in ("official", "meta", "guide"):
            if profile == "guide" and has_tools:
                continue
            for split in (False, True):
                base = ["-p", profile] + (["--split-turns"] if split else [])
                where = f"{name} -p {profile}{' --split-turns' if split else ''}"
                texts = [r["text"] for r in run(binary, base, data)]
                if split:
                    want = sum(n_assistant(r) for r in records)
                    c.check(len(texts) == want, f"{where}: {len(texts)} samples, want {want}")
                    whole = [r["text"] for r in run(binary, ["-p", profile], data)]
                    # the last sample of each record is the whole conversation
                    k, ok = 0, True
                    for rec, full in zip(records, whole):
                        k += n_assistant(rec)
                        ok &= k - 1 < len(texts) and texts[k - 1] == full
                    c.check(ok, f"{where}: the last split sample of a record differs from its whole sample")
                else:
                    c.check(len(texts) == len(records), f"{where}: {len(texts)} samples for {len(records)} records")
                pcs = run(binary, base + ["-t", "prompt-completion"], data)
                ok = all(pc["prompt"] + pc["completion"] == t and len(pc["prompt"]) == prompt_cut(t, profile)
                         for pc, t in zip(pcs, texts)) and len(pcs) == len(texts)
                c.check(ok, f"{where}: prompt + completion != text, or the cut is misplaced")
                rules = ("last",) if split else ("assistant", "last", "all")
                for rule in rules:
                    extra = [] if split else ["--train-on", rule]
                    spans = run(binary, base + ["--spans"] + extra, data)
                    segs = run(binary, base + ["-t", "segments"] + extra, data)
                    bad = None
                    for idx, (sp, sg, t) in enumerate(zip(spans, segs, texts)):
                        want = expected_spans(t, profile, rule)
                        pieces = sg["segments"]
                        joined = "".join(p["text"] for p in pieces)
                        merged = all(a["label"] != b["label"] for a, b in zip(pieces, pieces[1:]))
                        pos, seg_spans = 0, []
                        for p in pieces:
                            n = len(p["text"].encode())
                            if p["label"]:
                                seg_spans.append([pos, pos + n])
                            pos += n
                        if sp["text"] != t or sp["spans"] != want or joined != t or not merged or seg_spans != want:
                            bad = (idx, sp["spans"], want, seg_spans)
                            break
                    c.check(bad is None and len(spans) == len(texts) == len(segs),
                            f"{where} --train-on {rule}: spans/segments wrong at sample {bad and bad[0]}: "
                            f"got {bad and bad[1]}, segments {bad and bad[3]}, want {bad and bad[2]}")
                # round trip through -t messages
                msgs = subprocess.run([binary, *base, "-t", "messages"], input=data, capture_output=True).stdout
                again = [r["text"] for r in run(binary, ["-p", profile], msgs)]
                c.check(again == texts, f"{where}: -t messages rendered again differs")
                if profile == "official" and render_py != "-":
                    mine = [r["text"] for r in run(binary, base + ["--no-end-of-text"], data)]
                    oracle = subprocess.run([py, render_py], input=msgs, capture_output=True, check=True).stdout
                    theirs = [json.loads(l).get("text") for l in oracle.decode().split("\n") if l]
                    c.check(theirs == mine, f"{where}: -t messages rendered by the oracle differs")
    print(f"views: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
