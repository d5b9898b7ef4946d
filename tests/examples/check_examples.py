#!/usr/bin/env python3
"""Check the examples/ datasets: committed outputs, and the oracle.

Usage: check_examples.py LLAMAFMT EXAMPLES_DIR [RENDER_PY]

1. Every examples/<name>.<ext> rendered with each profile must equal
   examples/expected/<name>.<profile>.jsonl byte for byte, and in each
   training view (FORMS) examples/expected/<name>.<view>.jsonl.
2. With RENDER_PY (the oracle): every example record, converted to the
   `messages` shape here in Python by the rules the README documents
   (ShareGPT roles, Alpaca's instruction + "\\n\\n" + input, history pairs,
   the flat fields), is rendered by the oracle; llamafmt's
   `-p official --no-end-of-text` output for the original file must be
   byte-identical.  So the shapes are checked against the template itself.

Prints `examples: N passed, M failed`.
"""
import glob
import json
import os
import subprocess
import sys

PROFILES = ("official", "meta", "guide")
# The training views, each under the official profile: name -> extra arguments.
FORMS = {
    "prompt-completion": ["-t", "prompt-completion"],
    "segments": ["-t", "segments"],
    "messages": ["-t", "messages"],
    "spans": ["--spans"],
    "split-turns": ["--split-turns", "-t", "prompt-completion"],
}
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                  "model": "assistant", "system": "system"}


def load_records(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if text.lstrip().startswith("["):
        return json.loads(text)
    return [json.loads(l) for l in text.splitlines() if l.strip()]


def to_messages(rec):
    if "messages" in rec:
        msgs = []
        for m in rec["messages"]:
            c = m["content"]
            if isinstance(c, list):
                c = "\n".join(p["text"] for p in c)
            msgs.append({"role": m["role"], "content": c})
        return msgs
    if "conversations" in rec:
        msgs = [{"role": "system", "content": rec["system"]}] if rec.get("system") is not None else []
        return msgs + [{"role": SHAREGPT_ROLES[t["from"]], "content": t["value"]} for t in rec["conversations"]]
    if "instruction" in rec:
        msgs = [{"role": "system", "content": rec["system"]}] if rec.get("system") is not None else []
        for q, a in rec.get("history") or []:
            msgs += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        ins, inp = rec["instruction"], rec.get("input") or ""
        user = ins + "\n\n" + inp if ins and inp else (ins or inp)
        return msgs + [{"role": "user", "content": user}, {"role": "assistant", "content": rec["output"]}]
    msgs = [{"role": "system", "content": rec["system"]}] if rec.get("system") is not None else []
    return msgs + [{"role": "user", "content": rec["user"]}, {"role": "assistant", "content": rec["assistant"]}]


def main():
    if len(sys.argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    binary, exdir = sys.argv[1], sys.argv[2]
    render_py = sys.argv[3] if len(sys.argv) == 4 else None
    passed = failed = 0
    inputs = sorted(p for p in glob.glob(os.path.join(exdir, "*")) if p.endswith((".json", ".jsonl")))
    if not inputs:
        print("no examples found")
        return 1
    for path in inputs:
        name = os.path.basename(path).split(".")[0]
        runs = [(p, ["-p", p]) for p in PROFILES] + [(f, ["-p", "official", *a]) for f, a in FORMS.items()]
        for profile, args in runs:
            want_path = os.path.join(exdir, "expected", f"{name}.{profile}.jsonl")
            got = subprocess.run([binary, *args, path], capture_output=True)
            try:
                with open(want_path, "rb") as f:
                    want = f.read()
            except OSError as exc:
                failed += 1
                print(f"FAIL {name}.{profile}: {exc}")
                continue
            if got.returncode != 0 or got.stdout != want:
                failed += 1
                print(f"FAIL {name}.{profile}: exit {got.returncode}, output differs from {want_path}\n{got.stderr.decode()}")
            else:
                passed += 1
        if render_py:
            lines = "".join(json.dumps({"messages": to_messages(r)}, ensure_ascii=False) + "\n" for r in load_records(path))
            py = os.environ.get("PYTHON", "python3")
            oracle = subprocess.run([py, render_py], input=lines.encode(), capture_output=True, check=True).stdout
            ours = subprocess.run([binary, "-p", "official", "--no-end-of-text", path], capture_output=True).stdout
            if ours != oracle or b'"error"' in oracle:
                failed += 1
                print(f"FAIL {name}: differs from the oracle\n  ours:   {ours!r}\n  oracle: {oracle!r}")
            else:
                passed += 1
    print(f"examples: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
