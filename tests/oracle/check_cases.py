#!/usr/bin/env python3
"""Check llamafmt against the hand-made cases of shared/reference.

Usage: check_cases.py LLAMAFMT RENDER_PY CASES EXPECTED

Every case of cases.jsonl is run through `llamafmt -p official
--no-end-of-text` on its own.  A case llamafmt renders must equal the
oracle's answer in cases.expected.jsonl byte for byte.  A case llamafmt
rejects must be one of the differences chosen on purpose (README, "Where
llamafmt differs from the template"), rejected for that reason; where the
rest of such a case still says something about rendering, a variant of it is
rendered by both llamafmt and the oracle (live) and compared:

  - special-token text: rendered again with --special-tokens=allow;
  - no assistant turn (training samples must end with one): the case plus a
    final assistant message;
  - content as a list of text parts: llamafmt joins the parts with "\\n",
    the oracle would print a Python repr, so the oracle renders the case
    with the joined string instead;
  - tool-call arguments given as a JSON string: llamafmt reads the string
    (the template would encode it a second time), so the oracle renders
    the case with the arguments as an object.

`tools: []` means "no tools" (the template would print an empty tool
preamble).  Prints `cases: N passed, M failed`.
"""
import copy
import json
import os
import subprocess
import sys

# Reason (the key in --stats=json "rejected_by_reason") for each case that
# llamafmt rejects on purpose, by the case's "_case" name.
EXPECTED_REJECTS = {
    "special-token text inside content": ("special_token", "allow"),
    "system message only": ("empty", None),
    "other role name": ("role", None),
    "unicode whitespace at ends (U+3000, U+00A0, U+2003)": ("no_assistant", "append"),
    "edge: U+FEFF at ends": ("no_assistant", "append"),
    "edge: U+001C and U+0085 at ends": ("no_assistant", "append"),
    "edge: content null": ("type", None),
    "edge: content missing": ("type", None),
    "edge: content as list of parts": ("no_assistant", "parts"),
    "edge: tool response string is tojson-quoted": ("no_assistant", "append"),
    "edge: number formatting in tojson (tool response)": ("no_assistant", "append"),
    "edge: tool content number/bool/null": ("no_assistant", "append"),
    "edge: arguments given as JSON string (OpenAI style)": (None, "parse_args"),
    "edge: builtin_tools empty list": ("no_assistant", "append"),
    "edge: tools empty list (still triggers tool preamble)": ("no_assistant", None),
    "error: empty messages": ("empty", None),
    "error: messages missing": ("shape", None),
}


def run_llamafmt(binary, line, *extra):
    p = subprocess.run([binary, "-p", "official", "--no-end-of-text", "--on-error=skip", "--stats=json", *extra],
                       input=line, capture_output=True)
    stats = None
    for l in p.stderr.decode("utf-8", "replace").splitlines():
        if l.startswith("{"):
            stats = json.loads(l)
    return p.returncode, p.stdout, stats


def run_oracle(render_py, line):
    py = os.environ.get("PYTHON", "python3")
    p = subprocess.run([py, render_py], input=line, capture_output=True, check=True)
    return p.stdout


def main():
    if len(sys.argv) != 5:
        sys.stderr.write(__doc__)
        return 2
    binary, render_py, cases_path, expected_path = sys.argv[1:]
    with open(cases_path, "rb") as f:
        cases = f.read().split(b"\n")
    with open(expected_path, "rb") as f:
        expected = f.read().split(b"\n")
    if cases and cases[-1] == b"":
        cases.pop()
    passed = failed = 0

    def fail(n, name, why):
        nonlocal failed
        failed += 1
        print(f"FAIL case {n} ({name}): {why}")

    for n, raw in enumerate(cases, 1):
        line = raw + b"\n"
        exp = json.loads(expected[n - 1])
        try:
            rec = json.loads(raw)
        except ValueError:
            rec = None
        name = rec.get("_case", "?") if isinstance(rec, dict) else "not JSON"
        rc, out, stats = run_llamafmt(binary, line)
        if stats is None:
            fail(n, name, f"no --stats=json line (exit {rc})")
            continue
        reasons = stats.get("rejected_by_reason", {})
        if rec is None:
            ok = reasons == {"json": 1}
            passed += ok
            if not ok:
                fail(n, name, f"invalid JSON not rejected as json: {reasons}")
            continue
        if name in EXPECTED_REJECTS:
            reason, variant = EXPECTED_REJECTS[name]
            if reason is None:
                if rc != 0 or stats["rejected"] != 0:
                    fail(n, name, f"expected a sample, got {reasons}")
                    continue
            elif reasons != {reason: 1}:
                fail(n, name, f"expected rejection '{reason}', got {reasons}")
                continue
            if variant is None:
                passed += 1
                continue
            extra = ()
            oracle_rec = copy.deepcopy(rec)
            ours_rec = copy.deepcopy(rec)
            if variant == "allow":
                extra = ("--special-tokens=allow",)
            elif variant in ("append", "parts"):
                msgs = [dict(m) for m in rec["messages"]] + [{"role": "assistant", "content": "ok"}]
                ours_rec["messages"] = msgs
                oracle_rec["messages"] = [dict(m) for m in msgs]
                if variant == "parts":
                    for m in oracle_rec["messages"]:
                        if isinstance(m["content"], list):
                            m["content"] = "\n".join(p["text"] for p in m["content"])
            elif variant == "parse_args":
                for m in oracle_rec["messages"]:
                    for call in m.get("tool_calls") or []:
                        args = call["function"]["arguments"]
                        if isinstance(args, str):
                            call["function"] = dict(call["function"], arguments=json.loads(args))
            ours_line = json.dumps(ours_rec, ensure_ascii=False).encode() + b"\n"
            oracle_line = json.dumps(oracle_rec, ensure_ascii=False).encode() + b"\n"
            want = run_oracle(render_py, oracle_line)
            rc, out, stats = run_llamafmt(binary, ours_line, *extra)
            if out != want:
                fail(n, name, f"variant '{variant}' differs:\n  ours:   {out!r}\n  oracle: {want!r}")
                continue
            passed += 1
            continue
        if "error" in exp:
            ok = rc == 0 and stats["rejected"] == 1
            passed += ok
            if not ok:
                fail(n, name, f"oracle rejects ({exp['error']}), llamafmt did not: {reasons}")
            continue
        if out != expected[n - 1] + b"\n":
            fail(n, name, f"differs:\n  ours:   {out!r}\n  oracle: {expected[n - 1]!r}")
            continue
        passed += 1
    print(f"cases: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
