#!/usr/bin/env python3
"""Regenerate the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).

    python3 tests/fuzz/make_corpus.py [--reference DIR] [--llamafmt BIN]

Seeds come from tests/corpus/chat.jsonl and tools.jsonl (a sample of their
records), examples/, the oracle's cases.jsonl (../shared/reference by
default; skipped when missing) and hand-made edge cases.  The fuzz_parse
seeds are samples rendered from those records by BIN (build/llamafmt by
default; skipped when missing); the fuzz_tokenizer seeds are small
tokenizer files written here in both formats.  The output is
deterministic; existing seeds of the same name are overwritten, other files
(minimised findings someone added by hand) are left alone.  Each file is
named after what it holds; the first byte(s) of reader/record/options seeds
are the targets' selector bytes (see the comment at the top of each
fuzz_*.c).
"""
import argparse
import base64
import json
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
MAX_SEED = 64 * 1024          # record/json/options seeds stay under -max_len


def dumps(obj, **kw):
    return json.dumps(obj, ensure_ascii=False, **kw)


def lines(path):
    with open(path, "rb") as f:
        return [l for l in f.read().split(b"\n") if l.strip()]


def sample(seq, n):
    """n elements spread evenly over seq (deterministic)."""
    if len(seq) <= n:
        return list(seq)
    step = len(seq) / n
    return [seq[int(i * step)] for i in range(n)]


class Corpus:
    def __init__(self, target):
        self.dir = os.path.join(HERE, "corpus", target)
        os.makedirs(self.dir, exist_ok=True)
        self.names = set()

    def add(self, name, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        assert name not in self.names, name
        self.names.add(name)
        with open(os.path.join(self.dir, name), "wb") as f:
            f.write(data)


# ---- shared material -------------------------------------------------------

def records(reference):
    chat = lines(os.path.join(ROOT, "tests", "corpus", "chat.jsonl"))
    tools = lines(os.path.join(ROOT, "tests", "corpus", "tools.jsonl"))
    chat = [l for l in chat if len(l) <= 6000]
    tools = [l for l in tools if len(l) <= 6000]
    cases = []
    cpath = os.path.join(reference, "cases.jsonl") if reference else None
    if cpath and os.path.exists(cpath):
        cases = lines(cpath)
    else:
        print(f"note: {cpath} not found, oracle cases left out", file=sys.stderr)
    examples = {}
    exdir = os.path.join(ROOT, "examples")
    for name in sorted(os.listdir(exdir)):
        p = os.path.join(exdir, name)
        if os.path.isfile(p) and name.endswith((".json", ".jsonl")):
            with open(p, "rb") as f:
                examples[name] = f.read()
    return sample(chat, 48), sample(tools, 32), cases, examples


def example_records(examples):
    out = []
    for name, data in examples.items():
        if name.endswith(".jsonl"):
            out += [l for l in data.split(b"\n") if l.strip()]
        else:
            out += [dumps(r).encode() for r in json.loads(data)]
    return out


HAND_RECORDS = {
    "messages_basic": {"messages": [{"role": "system", "content": "Be brief."},
                                    {"role": "user", "content": "Hi"},
                                    {"role": "assistant", "content": "Hello!"}]},
    "messages_parts": {"messages": [{"role": "user", "content": [{"type": "text", "text": "a"},
                                                                 {"type": "text", "text": "b"}]},
                                    {"role": "assistant", "content": "ab"}]},
    "messages_genprompt": {"add_generation_prompt": True, "date_string": "01 Jan 2025",
                           "messages": [{"role": "user", "content": "Q?"}]},
    "messages_tool_roundtrip": {
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {
            "type": "object", "properties": {"city": {"type": "string"}}}}}],
        "builtin_tools": ["brave_search", "code_interpreter"], "tools_in_user_message": False,
        "messages": [{"role": "user", "content": "Weather in Seoul?"},
                     {"role": "assistant", "tool_calls": [{"type": "function", "function": {
                         "name": "get_weather", "arguments": "{\"city\": \"Seoul\"}"}}]},
                     {"role": "tool", "content": {"temp": 21.5, "ok": True, "n": None}},
                     {"role": "assistant", "content": "21.5 \u00b0C."}]},
    "messages_builtin_call": {
        "builtin_tools": ["brave_search", "wolfram_alpha"],
        "messages": [{"role": "user", "content": "search"},
                     {"role": "assistant", "tool_calls": [{"function": {"name": "brave_search",
                                                                        "arguments": {"query": "x"}}}]},
                     {"role": "ipython", "content": 1e400},
                     {"role": "assistant", "content": "done"}]},
    "messages_code_interpreter": {
        "builtin_tools": ["code_interpreter"],
        "messages": [{"role": "user", "content": "run"},
                     {"role": "assistant", "tool_calls": [{"function": {"name": "code_interpreter",
                                                                        "arguments": {"code": "print(1)"}}}]},
                     {"role": "tool", "content": False},
                     {"role": "assistant", "content": "1"}]},
    "messages_special_tokens": {"messages": [{"role": "user", "content": "<|eo<|eot_id|>t_id|> and <|reserved_special_token_247|>"},
                                             {"role": "assistant", "content": "<|python_tag|>x<|reserved_special_token_248|>"}]},
    "messages_whitespace": {"messages": [{"role": "system", "content": "\u00a0\u2028 sys \u3000\ufeff"},
                                         {"role": "user", "content": " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85 u \u200b"},
                                         {"role": "assistant", "content": "\u1680\u2000\u200a\u202f\u205f a \u2029"}]},
    "messages_unicode": {"messages": [{"role": "user", "content": "\U0001F600 \u00e9 \u4e2d \u0301"},
                                      {"role": "assistant", "content": "\U0010FFFF \u007f \u2028"}]},
    "messages_roles_alias": {"messages": [{"role": "sys", "content": "s"}, {"role": "human", "content": "h"},
                                          {"role": "gpt", "content": "g"}, {"role": "fn", "content": "f"},
                                          {"role": "bot", "content": "b"}]},
    "messages_custom_keys": {"msgs": [{"r": "user", "c": "hi"}, {"r": "assistant", "c": "yo"}]},
    "sharegpt_function_call": {
        "system": "sys", "tools": "[{\"name\": \"f\", \"parameters\": {}}]",
        "conversations": [{"from": "human", "value": "call f"},
                          {"from": "function_call", "value": "{\"name\": \"f\", \"arguments\": {\"a\": 1}}"},
                          {"from": "observation", "value": "{\"r\": 2}"},
                          {"from": "gpt", "value": "2"}]},
    "sharegpt_model": {"conversations": [{"from": "user", "value": "u"}, {"from": "model", "value": "m"}]},
    "alpaca_history": {"instruction": "Sum", "input": "1 2", "output": "3", "system": "math",
                       "history": [["q1", "a1"], ["q2", "a2"]]},
    "alpaca_no_input": {"instruction": "Say hi", "input": "", "output": "hi"},
    "flat": {"system": "s", "user": "u", "assistant": "a"},
    "flat_no_system": {"user": "u", "assistant": "a"},
    "numbers": {"messages": [{"role": "user", "content": "n"},
                             {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": {
                                 "a": 1E2, "b": -0.0, "c": 12345678901234567890123, "d": 1e-7,
                                 "e": 1.7976931348623157e308, "f": 5e-324}}}]}]},
}

RAW_RECORDS = {
    "dup_key": b'{"messages": [{"role": "user", "role": "user", "content": "x"}]}',
    "dup_messages": b'{"messages": [], "messages": [{"role": "user", "content": "x"}]}',
    "surrogate_pair": b'{"messages": [{"role": "user", "content": "\\ud83d\\ude00"}, {"role": "assistant", "content": "\\uD83D\\uDE00"}]}',
    "lone_high": b'{"messages": [{"role": "user", "content": "\\ud800"}, {"role": "assistant", "content": "x"}]}',
    "lone_low": b'{"messages": [{"role": "user", "content": "\\udc00x"}, {"role": "assistant", "content": "x"}]}',
    "nul_escape": b'{"messages": [{"role": "user", "content": "a\\u0000b"}, {"role": "assistant", "content": "x"}]}',
    "bad_escape": b'{"messages": [{"role": "user", "content": "\\u12G4 \\x"}, {"role": "assistant", "content": "x"}]}',
    "raw_control": b'{"messages": [{"role": "user", "content": "a\x01b\tc"}, {"role": "assistant", "content": "x"}]}',
    "invalid_utf8": b'{"messages": [{"role": "user", "content": "\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xff"}, {"role": "assistant", "content": "x"}]}',
    "bom": b'\xef\xbb\xbf{"user": "u", "assistant": "a"}',
    "crlf_tail": b'{"user": "u", "assistant": "a"}\r\n',
    "trailing_garbage": b'{"user": "u", "assistant": "a"} x',
    "truncated": b'{"messages": [{"role": "user", "content": "abc',
    "deep": b'{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}], "z": ' + b"[" * 1200 + b"]" * 1200 + b"}",
    "deep_tool_args": b'{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": ' + b'{"a":' * 300 + b"1" + b"}" * 300 + b"}}]}]}",
    "huge_numbers": b'{"messages": [{"role": "user", "content": "x"}, {"role": "tool", "content": 1e99999}, {"role": "assistant", "content": "y"}], "n": -0, "m": 1' + b"0" * 5000 + b"}",
    "bad_numbers": b'{"a": 01, "b": 1., "c": .5, "d": -, "e": 1e, "f": +1, "g": NaN, "h": Infinity}',
    "not_object": b'[{"role": "user", "content": "x"}]',
    "multiline": b'{\n  "user": "u",\n  "assistant":\n    "a"\n}',
    "empty_messages": b'{"messages": []}',
    "system_only": b'{"messages": [{"role": "system", "content": "s"}]}',
    "null_content": b'{"messages": [{"role": "user", "content": null}, {"role": "assistant"}]}',
    "tool_calls_empty": b'{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y", "tool_calls": []}]}',
    "two_calls": b'{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [{"function": {"name": "a", "arguments": {}}}, {"function": {"name": "b", "arguments": {}}}]}]}',
}


# ---- tokenizer files ---------------------------------------------------------

LLAMA3_REGEX = ("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
                "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")

# merges of the hand-made vocabulary, as (left, right) byte strings, in rank order
TOK_MERGES = [(b"t", b"h"), (b"th", b"e"), (b" ", b"the"), (b"i", b"n"), (b"in", b"g"), (b" ", b"a"),
              (b"e", b"r"), (b"\n", b"\n"), (b" ", b" "), (b"  ", b"  "), (b"'", b"s"), (b"1", b"2"),
              (b"12", b"3"), (b"a", b"a"), (b"\xed", b"\x95"), (b"\xed\x95", b"\x9c"), (b"\xea", b"\xb5"),
              (b"\xea\xb5", b"\xad"), (b"(", b")"), (b"\r", b"\n"), (b" (", b")"), (b" ", b"(")]


def tok_vocab():
    """The 256 bytes, then the tokens the merges make (in order)."""
    toks = [bytes([b]) for b in range(256)]
    for a, b in TOK_MERGES:
        if a + b not in toks:
            toks.append(a + b)
    return toks


def gpt2(bs):
    out = []
    n = 0
    table = {}
    for b in range(256):
        if 33 <= b <= 126 or 161 <= b <= 172 or 174 <= b <= 255:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + n)
            n += 1
    return "".join(table[b] for b in bs)


def tiktoken_file(toks, ids=None, crlf=False):
    ids = ids or list(range(len(toks)))
    nl = b"\r\n" if crlf else b"\n"
    return b"".join(base64.b64encode(t) + b" " + str(i).encode() + nl for t, i in zip(toks, ids))


def tokenizer_json(toks, merges, added=(), ignore_merges=True, pairs=False, **over):
    vocab = {gpt2(t): i for i, t in enumerate(toks)}
    ms = [[gpt2(a), gpt2(b)] if pairs else gpt2(a) + " " + gpt2(b) for a, b in merges]
    doc = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": len(toks) + k, "content": c, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True} for k, c in enumerate(added)],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3_REGEX}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": ignore_merges, "vocab": vocab, "merges": ms},
    }
    for k, v in over.items():
        if k.startswith("model_"):
            doc["model"][k[6:]] = v
        else:
            doc[k] = v
    return dumps(doc).encode()


TOK_TEXTS = {
    "english": "Hello, world! It's 2024: 1234567 items; they'LL say 'RE it.\n\n  indented\tcode(x) { return a+b; }\r\n",
    "korean": "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8\uc640 English \u6df7\u5408 \ud55c\uad6d \ud55c\uad6d\uc5b4\ub85c\n",
    "spaces": "a  b   c\u00a0\u00a0d \u3000e\u2028f   \n \n\n  \t\r\n x   ",
    "numbers": "1 12 123 1234 12345 \u0661\u0662\u0663\u0664 \u00bd\u2163 3.14159 -0 0x1F",
    "contractions": "it's It'S we've WE'VE I'm i'M they're you'll he'd 'x '\u017f 's's's",
    "punct": "!!! ??? ...\n\n--- <|eot_id|> <<>> ((( ))) \"q\" 'q' \U0001F600\U0001F600 \u200b\ufeff",
    "code": "def f(x):\n    return {'a': [1, 2, 3]}\n\n\nclass A:\n\tpass\r\n",
}


def tokenizer_seeds(c, chat):
    toks = tok_vocab()
    named = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    text = (TOK_TEXTS["english"] + TOK_TEXTS["korean"]).encode()
    # mode 0: whole files, then the text of the file is what is encoded
    c.add("model_tiny", b"\x00" + tiktoken_file(toks))
    perm = [(i * 7 + 3) % len(toks) for i in range(len(toks))]
    c.add("model_permuted_crlf", b"\x00" + tiktoken_file(toks, perm, crlf=True))
    c.add("model_bytes_only", b"\x00" + tiktoken_file(toks[:256]))
    c.add("json_tiny", b"\x00" + tokenizer_json(toks, TOK_MERGES, named))
    c.add("json_tiny_pairs_no_ignore", b"\x00" + tokenizer_json(toks, TOK_MERGES, named, ignore_merges=False,
                                                                 pairs=True))
    c.add("json_duplicate_merge", b"\x00" + tokenizer_json(toks, TOK_MERGES + [(b"th", b"e"), (b"t", b"h")]))
    # refusals
    c.add("json_normalizer", b"\x00" + tokenizer_json(toks, TOK_MERGES, normalizer={"type": "NFC"}))
    c.add("json_other_regex", b"\x00" + tokenizer_json(toks, TOK_MERGES, pre_tokenizer={
        "type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}))
    c.add("json_missing_byte", b"\x00" + tokenizer_json([t for t in toks if t != b"q"], []))
    c.add("json_non_special_added", b"\x00" + tokenizer_json(toks, [],
                                                              added_tokens=[{"id": len(toks), "content": "x",
                                                                             "special": False}]))
    c.add("json_split_inverted", b"\x00" + tokenizer_json(toks, [], pre_tokenizer={
        "type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3_REGEX}, "behavior": "Isolated", "invert": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}))
    c.add("json_dropout", b"\x00" + tokenizer_json(toks, [], model_dropout=0.1))
    c.add("json_ignore_merges_string", b"\x00" + tokenizer_json(toks, [], model_ignore_merges="yes"))
    c.add("json_merge_number", b"\x00" + tokenizer_json(toks, [], model_merges=[1]))
    c.add("json_vocab_empty", b"\x00" + tokenizer_json([], []))
    c.add("json_added_twice", b"\x00" + tokenizer_json(toks, [], added_tokens=[
        {"id": len(toks), "content": "<|eot_id|>", "special": True},
        {"id": len(toks) + 1, "content": "<|eot_id|>", "special": True}]))
    c.add("json_surrogate_key", b"\x00" + tokenizer_json(toks, TOK_MERGES, named).replace(
        b'"version": "1.0"', b'"v\\ud83d\\ude00": "\\u00e9\\/\\b"'))
    c.add("json_surrogate_truncated", b"\x00" + tokenizer_json(toks, TOK_MERGES, named).replace(
        b'"version": "1.0"', b'"v\\ud83d\\ude00": "\\u00e9\\/\\b"')[:300])
    c.add("json_bad_merge", b"\x00" + tokenizer_json(toks, [(b"q", b"zz")]))
    c.add("json_truncated", b"\x00" + tokenizer_json(toks, TOK_MERGES)[:700])
    c.add("json_deep", b"\x00{\"a\": " + b"[" * 1000 + b"]" * 1000 + b"}")
    c.add("model_bad_base64", b"\x00" + tiktoken_file(toks[:256]).replace(b"QQ== 65", b"QQ=Q 65"))
    c.add("model_rank_gap", b"\x00" + tiktoken_file(toks[:256], list(range(255)) + [300]))
    c.add("model_duplicate_bytes", b"\x00" + tiktoken_file(toks[:256] + [b"a"]))
    c.add("not_a_tokenizer", b"\x00# comment\n")
    c.add("empty", b"\x00 \n\t")
    # modes 1-3: a tokenizer built from merge entries and K merges learned from the text
    entries = bytes([ord("t"), ord("h"), 0xC0, ord("e"), ord(" "), 0xC0, ord("i"), ord("n"), 0xC0, ord("g"),
                     ord("\n"), ord("\n"), ord(" "), ord(" "), 0xC0, 0xC0])
    texts = [t.encode() for t in TOK_TEXTS.values()]
    for i, l in enumerate(chat[:6]):
        rec = json.loads(l)
        msgs = rec.get("messages") or []
        texts.append("".join(m.get("content") or "" for m in msgs if isinstance(m.get("content"), str))
                     .encode()[:3000])
    sels = [0x01, 0x02, 0x05, 0x16, 0x29, 0x3A, 0x4E, 0x82, 0x8D, 0x62, 0xF2, 0x21]
    for i, t in enumerate(texts):
        sel = sels[i % len(sels)]
        k = (8 + 5 * i) % 64 | (i % 4) << 6
        c.add(f"built_{i:02d}", bytes([sel, k, len(entries)]) + entries + t)
    c.add("mutated_model", bytes([0x07, 0x10, 4, ord("a"), ord("b"), 0xC0, ord("c")]) +
          bytes([5, 0, ord("x"), 40, 1, ord("\n"), 0, 2, ord(" "), 9, 0, ord("9")]) + text)
    c.add("mutated_json", bytes([0x83, 0x50, 4, ord("a"), ord("b"), 0xC0, ord("c")]) +
          bytes([200, 0, ord("x"), 0, 1, ord("\""), 17, 2, ord(","), 90, 0, ord("9")]) + text)
    c.add("raw_bytes_pretok", b"\x01\x3f\x00" + b"\xff\xfe a\xc3 \xe2\x80 b\xed\xa0\x80 '\xc5\xbf \xf4\x90\x80\x80!")


def render_samples(llamafmt, path, *opts):
    """The samples llamafmt renders from path with opts (skipping bad records)."""
    try:
        out = subprocess.run([llamafmt, "-t", "text", "-0", "--on-error=skip", *opts, path],
                             capture_output=True, check=False).stdout
    except OSError:
        return []
    return [s for s in out.split(b"\0") if s]


def parse_seeds(c, llamafmt):
    if not llamafmt or not os.path.exists(llamafmt):
        print(f"note: {llamafmt} not found, rendered fuzz_parse seeds left out", file=sys.stderr)
    else:
        chat = os.path.join(ROOT, "tests", "corpus", "chat.jsonl")
        tools = os.path.join(ROOT, "tests", "corpus", "tools.jsonl")
        runs = [
            ("official", chat, (), 0x00), ("official_tools", tools, (), 0x00),
            ("meta", chat, ("-p", "meta"), 0x01), ("meta_tools", tools, ("-p", "meta"), 0x00),
            ("guide", chat, ("-p", "guide"), 0x02),
            ("official_prompt", chat, ("--generation-prompt",), 0x00),
            ("meta_prompt_tools", tools, ("-p", "meta", "--generation-prompt"), 0x00),
            ("guide_prompt", chat, ("-p", "guide", "--generation-prompt"), 0x00),
            ("official_nobos_noeot", tools, ("--no-bos", "--no-end-of-text"), 0x02),
            ("official_date", chat, ("--date", "01 Jan 2025"), 0x04),
            ("official_builtin_system", tools, ("--builtin-tools=brave_search,wolfram_alpha",
                                                "--tools-in=system"), 0x00),
        ]
        for name, path, opts, sel in runs:
            samples = [s for s in render_samples(llamafmt, path, *opts) if len(s) < 6000]
            for i, s in enumerate(sample(samples, 4)):
                c.add(f"{name}_{i}", bytes([sel]) + s)
        two = render_samples(llamafmt, chat)[:2]
        if len(two) == 2 and len(two[0]) + len(two[1]) < 12000:
            c.add("two_samples_raw", b"\x00" + two[0] + b"\n\0" + two[1] + b" \n")
    hdr = lambda r: "<|start_header_id|>" + r + "<|end_header_id|>\n\n"
    sys_ = hdr("system") + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
    good = "<|begin_of_text|>" + sys_ + "<|eot_id|>" + hdr("user") + "Hi<|eot_id|>" + hdr("assistant") + "Hello!<|eot_id|>"
    hand = {
        "official_hi": good + "<|end_of_text|>",
        "official_hi_trailing_seps": good + "\n\0 ",
        "official_prompt_seps": good[:-len("Hello!<|eot_id|>")] + "\n",
        "doubled_bos": "<|begin_of_text|>" + good,
        "eot_text_early": good.replace("Hi<|eot_id|>", "Hi<|end_of_text|><|eot_id|>"),
        "unknown_role": good.replace("user", "robot"),
        "no_newlines": good.replace("assistant<|end_header_id|>\n\n", "assistant<|end_header_id|>"),
        "reserved": good.replace("Hello!", "<|reserved_special_token_3|>"),
        "python_tag_builtin": "<|begin_of_text|>" + hdr("system") + "Environment: ipython\nTools: brave_search\n\n"
        "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>" + hdr("user") + "q<|eot_id|>"
        + hdr("assistant") + "<|python_tag|>brave_search.call(query=\"x\", k=\"a\", b=\"c\")<|eom_id|>"
        + hdr("ipython") + "{\"r\": [1, 2.5, null]}<|eot_id|>" + hdr("assistant") + "done<|eot_id|>",
        "meta_code": "<|begin_of_text|>" + hdr("user") + "run" + "<|eot_id|>" + hdr("assistant")
        + "<|python_tag|>print(1)<|eom_id|>" + hdr("ipython") + "1<|eot_id|>" + hdr("assistant") + "1<|eot_id|>",
        "second_system": good.replace("<|eot_id|>" + hdr("user"), "<|eot_id|>" + hdr("system") + "s<|eot_id|>"
                                      + hdr("user"), 1),
        "builtin_call_eot": "<|begin_of_text|>" + hdr("system") + "Environment: ipython\nTools: brave_search\n\n"
        "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>" + hdr("user") + "q<|eot_id|>"
        + hdr("assistant") + "<|python_tag|>brave_search.call(query=\"x\")<|eot_id|>",
        "builtin_call_repeated_key": "<|begin_of_text|>" + hdr("system") + "Environment: ipython\nTools: brave_search\n\n"
        "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>" + hdr("user") + "q<|eot_id|>"
        + hdr("assistant") + "<|python_tag|>brave_search.call(query=\"x\", query=\"y\")<|eom_id|>",
        "meta_function_escaped_name": "<|begin_of_text|>" + hdr("user") + "w<|eot_id|>" + hdr("assistant")
        + "<|python_tag|>{\"type\": \"function\", \"name\": \"g\\u0065t\", \"parameters\": {\"a\": \"\\ud83d\\ude00\"}}"
        "<|eom_id|>",
        "official_custom_call": "<|begin_of_text|>" + sys_ + "<|eot_id|>" + hdr("user") + "w<|eot_id|>" + hdr("assistant")
        + "{\"name\": \"f\", \"parameters\": {\"s\": \"a\\\"\\n\\u00e9\", \"n\": [1.5, -0, 1e5]}}<|eot_id|>"
        + hdr("ipython") + "\"r\\u0001\"<|eot_id|>" + hdr("assistant") + "ok<|eot_id|>",
        "invalid_utf8": good.replace("Hi", "H\udcffi"),
        "nul": good.replace("Hi", "H\0i"),
        "empty": "",
    }
    for name, t in hand.items():
        c.add(f"hand_{name}", b"\x00" + t.encode("utf-8", "surrogateescape"))
    # generated conversations: selector (bit 6 set), then flags, count, messages ...
    gen = {
        "plain": (0x40, [0x01, 3, 0x00, 4, 3, 5, 21, 7, 0x01, 2, 8, 9]),
        "plain_prompt_date": (0x44, [0x31, 2, 0x00, 3, 1, 2, 3, 0x02, 2, 4, 5, 4, 0, 1, 2, 3]),
        "plain_raw_seps": (0x70, [0x00, 4, 0x00, 2, 9, 10, 0x02, 1, 7, 0x01, 3, 25, 26, 27, 0x00, 1, 30]),
        "tools_user": (0x40, [0x02, 4, 0x00, 2, 3, 4, 0x05, 1, 1, 0x08, 0x02, 0x41, 2, 0, 1]),
        "tools_system_builtin": (0x40, [0x0E, 4, 0x00, 1, 3, 0x0D, 1, 2, 3, 5, 0x0A, 0x01, 1, 4, 0x07]),
        "meta_calls_special": (0x80 | 0x40, [0xC0, 5, 0x00, 3, 65, 66, 0x1D, 2, 0x61, 0x62, 3, 0x63, 0x64, 0x65,
                                             0x02, 2, 0x22, 0x23, 0x01, 1, 0x41, 1, 3]),
        "mutated": (0x40, [0x00, 2, 0x00, 2, 3, 4, 0x01, 1, 5, 7, 30, 0, 4]) ,
    }
    for name, (sel, body) in gen.items():
        tail = b"<|eot_id|>x" if name == "mutated" else b""
        c.add(f"gen_{name}", bytes([sel] + body) + tail)


# ---- per target ---------------------------------------------------------------

def reader_seeds(c, chat, tools, examples):
    def add(name, data, maxb=0xFF, mode=0x00):
        c.add(name, bytes([maxb, mode]) + data)

    for name, data in examples.items():
        add(f"example_{name}", data)
        add(f"example_{name}_chunked", data, 0xFF, 0x02 | (len(name) << 2 & 0xFC))
    jsonl = b"\n".join(chat[:12]) + b"\n"
    add("chat_jsonl", jsonl)
    add("chat_jsonl_chunked", jsonl, 0xFF, 0x0E)
    add("chat_jsonl_small_max", jsonl, 0x90, 0x00)
    add("tools_jsonl_crlf", b"\r\n".join(tools[:8]) + b"\r\n", 0xFF, 0x03)
    add("tools_jsonl_bom_blank_lines", b"\xef\xbb\xbf\n  \n" + b"\n\n \t\n".join(tools[8:14]) + b"\n\r\n")
    objs = [json.loads(l) for l in chat[12:20]]
    add("array_compact", dumps(objs).encode())
    add("array_pretty", dumps(objs[:4], indent=2).encode(), 0xFF, 0x1A)
    add("array_pretty_small_max", dumps(objs[:4], indent=2).encode(), 0x30, 0x02)
    add("stream_pretty", b"".join(dumps(o, indent=4).encode() + b"\n" for o in objs[4:8]))
    add("stream_pretty_chunked", b"".join(dumps(o, indent=1).encode() for o in objs[4:8]), 0xC8, 0x06)
    add("stream_bom_crlf", b"\xef\xbb\xbf" + dumps(objs[0], indent=2).encode().replace(b"\n", b"\r\n"))
    add("array_truncated", dumps(objs[:3]).encode()[:-40])
    add("array_garbage_between", b'[{"a": 1} x {"b": 2}]')
    add("array_trailing_comma", b'[{"a": 1}, {"b": 2},]')
    add("array_two_arrays", b'[{"a": 1}]\n[{"b": "]"}, "s\\"]"]\n')
    add("array_scalars", b'[1, -2.5e3, true, null, "x", [], {}]')
    add("array_empty", b"[ ]")
    add("array_unclosed", b'[{"a": "b\\"}')
    add("stream_scalars", b'{\n"a": 1}\n 12 "str" true\nnull {"b": [1,\n2]}')
    add("stream_strings_with_braces", b'{\n  "k": "}{][\\\\"\n}\n{\n  "k": "\\"{"\n}\n')
    add("stream_unbalanced", b'{\n  "a": [1, 2}\n}\n}}]')
    add("jsonl_broken_lines", b'{"a": 1}\n{"b": \n\n{"c": 3}\n  {"d": 4}  \r\n')
    add("jsonl_long_line", b'{"a": "' + b"x" * 3000 + b'"}\n{"b": 1}\n', 0x50, 0x00)
    add("jsonl_nested_deep", b"[" * 0 + b'{"a": ' + b"[" * 2000 + b"]" * 2000 + b"}\n")
    add("deep_array_stream", b"[" * 3000 + b"]" * 3000)
    add("only_whitespace", b" \n\t\r\n ")
    add("only_bom", b"\xef\xbb\xbf")
    add("empty", b"")
    add("cr_only_lines", b'\r\r\n{"a": 1}\r\r\n\r')


def record_seeds(c, chat, tools, cases, examples):
    sels = [0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x45, 0x9A, 0xFF]
    k = 0
    for i, l in enumerate(chat):
        c.add(f"chat_{i:02d}", bytes([sels[k % len(sels)]]) + l)
        k += 1
    for i, l in enumerate(tools):
        c.add(f"tools_{i:02d}", bytes([sels[k % len(sels)]]) + l)
        k += 1
    for i, l in enumerate(cases):
        c.add(f"case_{i:02d}", bytes([sels[k % len(sels)]]) + l)
        k += 1
    for i, l in enumerate(example_records(examples)):
        c.add(f"example_{i:02d}", bytes([0x04]) + l)
    for name, obj in HAND_RECORDS.items():
        sel = 0x10 if "alias" in name else 0x20 if "custom" in name else 0x01 if "special" in name else 0x04
        c.add(f"hand_{name}", bytes([sel]) + dumps(obj).encode())
    c.add("hand_special_tokens_allow", bytes([0x02]) + dumps(HAND_RECORDS["messages_special_tokens"]).encode())
    c.add("hand_special_tokens_error", bytes([0x00]) + dumps(HAND_RECORDS["messages_special_tokens"]).encode())
    c.add("hand_tools_system_lenient", bytes([0xC4]) + dumps(HAND_RECORDS["messages_tool_roundtrip"]).encode())
    for name, raw in RAW_RECORDS.items():
        c.add(f"raw_{name}", bytes([0x04]) + raw)


def json_seeds(c, tools, chat):
    texts = {
        "floats": "[1E2, 1e-05, 1e16, 1e+16, 0.1, -0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 123.456e-7, 9007199254740993.0, 1e15, 1e-4, 0.00001]",
        "overflow": "[1e400, -1e400, 1E999999999999999999]",
        "ints": "[0, -0, 1, -1, 12345678901234567890123456789, " + "9" * 4300 + "]",
        "int_too_long": "1" + "0" * 4300,
        "strings": "[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u2028\\u007f\\u0000\\u001f\", \"\\ud83d\\ude00\", \"\u4e2d\U0001F600\", \"\"]",
        "dup_keys": "{\"a\": 1, \"b\": 2, \"a\": 3, \"c\": {\"x\": 1, \"x\": {\"y\": 2}}, \"\\u0061\": 4}",
        "nested_empty": "{\"a\": [], \"b\": {}, \"c\": [[], [{}]], \"d\": [1, [2, [3]]]}",
        "deep": "[" * 1000 + "]" * 1000,
        "deep_objects": "{\"a\":" * 500 + "null" + "}" * 500,
        "literals": " [true, false, null] ",
        "scalar_string": "\"just a string\"",
        "scalar_number": " -12.5e-3 ",
        "whitespace_everywhere": " \t\n{ \"a\" :\r\n[ 1 , 2 ] }\n ",
        "trailing_garbage": "{\"a\": 1} {",
        "bad_tokens": "[01, 1., .5, -, +1, NaN, Infinity, tru, nul, 'x']",
        "unterminated": "{\"a\": [1, 2",
        "empty": "",
    }
    for name, t in texts.items():
        c.add(f"text_{name}", t)
    for i, l in enumerate(tools[:16]):
        obj = json.loads(l)
        spec = obj.get("tools") or obj.get("custom_tools") or obj.get("messages")
        c.add(f"tools_{i:02d}", dumps(spec, indent=4 if i % 2 else None))
    for i, l in enumerate(chat[:8]):
        c.add(f"record_{i:02d}", l)
    for name, v in {"one": 1.0, "tenth": 0.1, "neg_zero": -0.0, "max": 1.7976931348623157e308,
                    "min_sub": 5e-324, "min_norm": 2.2250738585072014e-308, "big": 1e16, "small": 1e-5,
                    "pow2": 2.0 ** 60, "third": 1 / 3, "inf": float("inf"), "nan": float("nan"),
                    "e15": 123456789012345.6, "e22": 1e22, "e23": 1e23}.items():
        c.add(f"double_{name}", struct.pack("<d", v))


def options_seeds(c):
    def argv(mode, *args):
        return bytes([mode]) + b"\0".join(a.encode() if isinstance(a, str) else a for a in args)

    sets = {
        "defaults": (0, "in.jsonl"),
        "official_no_eot": (0, "-p", "official", "--no-end-of-text", "chats.jsonl"),
        "meta_gen": (0, "-pmeta", "--generation-prompt", "--no-bos", "-"),
        "text_null": (0, "-t", "text", "-0", "a.json", "b.jsonl"),
        "separator": (1, "--to=text", "--separator=\\n--\\t\\0\\\\", "x"),
        "skip_rejects_stats": (0, "--on-error=skip", "--rejects", "bad.jsonl", "--stats=json", "-v", "a.json"),
        "stats_plain": (1, "--stats", "-q", "--max-record-size=512K", "f"),
        "shapes_keys": (0, "-f", "sharegpt", "--messages-key=conv", "--role-key", "speaker", "--content-key=text"),
        "alpaca_joiner": (0, "-falpaca", "--alpaca-joiner=\\n---\\n", "--system", "You are \\t nice", "d.json"),
        "special": (1, "--special-tokens=strip", "--date", "01 Jan 2025", "--end-of-text", "--bos"),
        "tools": (0, "--tools", "tools.json", "--builtin-tools=brave_search,code_interpreter", "--tools-in=system",
                  "--lenient-tool-calls"),
        "output": (0, "-o", "out.jsonl", "--keep", "id,source", "--", "-o", "--weird"),
        "conflicts": (0, "-o", "x", "--rejects=x", "-v", "-q", "-0", "--separator=;"),
        "bad_values": (1, "--from=nope", "--max-record-size=0", "--date=\\x", "--stats=xml", "--tools-in=both"),
        "help_version": (0, "-h", "-V", "--help", "--version"),
        "unknown": (0, "-Z", "--nope", "--on-error", "--keep"),
        "role_map_keep": (2, "gpt=assistant,human=user,function=tool", "id,source,meta"),
        "role_map_bad": (2, "=assistant,x=,y=robot,,", "text,id,id"),
        "role_map_utf8": (2, "\u00e9l\u00e8ve=user", b"k\xff,\xc3\xa9"),
        "valued_all": (3, "messages", "msgs", "r", "c", "a=user", "\\n", "sys", "allow", "1G", "t.json",
                       "wolfram_alpha", "user", "guide", "26 Jul 2024", "jsonl", "o.jsonl", ";", "id", "skip",
                       "rej.jsonl", "json"),
        "valued_special": (3 | (13 << 2), "<|eot_id|>", "x<|python_tag|>", "\\0", "\\", ""),
    }
    for name, (mode, *args) in sets.items():
        c.add(name, argv(mode, *args))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--llamafmt", default=os.path.join(ROOT, "build", "llamafmt"),
                    help="the binary that renders the fuzz_parse seeds (default: build/llamafmt)")
    ap.add_argument("--reference", default=os.path.join(ROOT, "..", "shared", "reference"),
                    help="directory with cases.jsonl (default: ../shared/reference)")
    a = ap.parse_args()
    chat, tools, cases, examples = records(a.reference)
    reader_seeds(Corpus("fuzz_reader"), chat, tools, examples)
    record_seeds(Corpus("fuzz_record"), chat, tools, cases, examples)
    json_seeds(Corpus("fuzz_json"), tools, chat)
    options_seeds(Corpus("fuzz_options"))
    tokenizer_seeds(Corpus("fuzz_tokenizer"), chat)
    parse_seeds(Corpus("fuzz_parse"), a.llamafmt)


if __name__ == "__main__":
    main()
