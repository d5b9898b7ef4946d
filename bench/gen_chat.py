#!/usr/bin/env python3
"""Seeded generator of synthetic chat JSONL for the llamafmt benchmark.

bench/run.sh uses it only when the shared bench folder (with its gen_data.py)
is not next to the repository.  Standard library only; the same seed gives the
same bytes.

    gen_chat.py --format messages|sharegpt|alpaca --size-mb N [--seed S] -o FILE

Output: one record per line, stopping at the first line that takes the file to
N * 10^6 bytes or more (so a smaller size with the same seed is a prefix of a
larger one).  The mix is meant to look like real SFT data:

- conversations in English (about 60%), Korean (30%) or both (10%);
  an optional system message, then 1-6 user/assistant exchanges, always
  ending with an assistant turn (llamafmt rejects unanswered training samples);
- prose with markdown lists and headings, accented words, quotes, numbers,
  URLs; fenced code blocks (Python, C, shell, JSON) full of quotes,
  backslashes and tabs; emoji (astral, skin tones, ZWJ sequences, flags, VS16);
- about 10% of messages with whitespace at an end (space, newline, tab, NBSP,
  U+3000, CRLF), 3% with CRLF line ends;
- JSON variety: ensure_ascii escapes on 30% of lines, compact or spaced
  separators, "content" before "role" sometimes, extra "id"/"meta" keys.
"""
import argparse
import json
import math
import random
import sys

WORDS = """
the a an of to in on for with from by about into over after before under between
system model token dataset prompt answer question reason result value buffer
stream parser record message assistant user output input file line byte string
function compiler memory cache thread queue server client request response error
latency throughput benchmark template header vector matrix tensor gradient loss
batch epoch layer weight kernel driver network packet socket signal process
we you they it this that these those every some many few most each other
is are was were be been can could should would will may might must do does
make build read write parse render check split join sort merge copy move keep
fast slow large small simple careful correct stable quiet clear early late new
old first last next final whole partial raw clean valid broken safe strict
today tomorrow morning evening weekend always never often usually sometimes
because although however therefore instead meanwhile otherwise also only just
""".split()

ACCENTED = ["café", "naïve", "résumé", "façade", "Zürich", "São Paulo", "jalapeño",
            "coöperate", "déjà vu", "Ångström", "Kraków", "smörgåsbord", "über"]

QUOTED = ['"exactly this"', "'as is'", "“smart quotes”", "‘single smart’", "it's", "don't",
          "won't", "O'Neil", 'the "fast" path', "a 'quoted' word"]

KO_WORDS = """
데이터 모델 학습 문장 질문 답변 설명 예시 코드 함수 결과 오류 메모리 속도
파일 입력 출력 서버 요청 응답 방법 이유 경우 시간 오늘 내일 친구 가족 회사
학교 여행 날씨 커피 점심 저녁 주말 회의 보고서 고객 제품 기능 버전 번역 토큰
""".split()
KO_JOSA = ["은", "는", "이", "가", "을", "를", "에", "에서", "으로", "와", "과", "의", "도"]
KO_ENDINGS = ["입니다", "합니다", "했어요", "할게요", "있습니다", "없습니다", "좋아요",
              "필요해요", "확인했습니다", "부탁드립니다", "궁금합니다", "알겠습니다", "됩니다"]
KO_OPENERS = ["그리고", "하지만", "그래서", "먼저", "마지막으로", "예를 들면", "사실",
              "혹시", "아마", "정말로"]

EMOJI = ["😀", "😅", "🙂", "🤔", "🙏", "👍", "👍🏻", "👋🏾", "🎉", "🚀", "🔥", "💡", "✅",
         "❌", "⚠️", "❤️", "✨", "☕", "🐍", "🦀", "👩‍💻", "👨‍👩‍👧", "🏳️‍🌈", "🇰🇷",
         "🇩🇪", "🧪", "📈", "🤖", "🫡", "🥹"]

NAMES = ["items", "count", "path", "buf", "row", "key", "total", "node", "conf", "text"]

EDGE_SPACE = [" ", "  ", "\n", "\n\n", "\t", "\u00a0", "\u3000", "\r\n", " \n", "\u2003"]


def sentence_en(r):
    n = r.randint(6, 20)
    w = [r.choice(WORDS) for _ in range(n)]
    roll = r.random()
    if roll < 0.12:
        w[r.randrange(n)] = r.choice(ACCENTED)
    elif roll < 0.24:
        w[r.randrange(n)] = r.choice(QUOTED)
    elif roll < 0.30:
        w[r.randrange(n)] = str(r.randint(0, 65535))
    elif roll < 0.34:
        w[r.randrange(n)] = "`" + r.choice(NAMES) + "()`"
    elif roll < 0.36:
        w[r.randrange(n)] = "https://example.org/%s?id=%d&x=1" % (r.choice(NAMES), r.randint(1, 999))
    s = " ".join(w)
    return s[:1].upper() + s[1:] + r.choice([".", ".", ".", "!", "?", ":", ";"])


def sentence_ko(r):
    parts = [r.choice(KO_OPENERS)] if r.random() < 0.35 else []
    for _ in range(r.randint(2, 5)):
        parts.append(r.choice(KO_WORDS) + r.choice(KO_JOSA))
    if r.random() < 0.2:
        parts.append(r.choice(["JSON", "GPU", "Llama", "C11", "API"]) + r.choice(KO_JOSA))
    parts.append(r.choice(KO_ENDINGS))
    return " ".join(parts) + r.choice([".", ".", "?", "!"])


def code_block(r):
    a, b = r.choice(NAMES), r.choice(NAMES)
    kind = r.randrange(5)
    if kind == 0:
        lang, body = "python", (
            "def load_%s(%s):\n"
            "    \"\"\"Read %s, one record per line.\"\"\"\n"
            "    out = []\n"
            "    for line in open(%s, encoding='utf-8'):\n"
            "        out.append(line.rstrip('\\n').split('\\t'))\n"
            "    print(f\"{len(out)} rows in {%s!r}\")\n"
            "    return out\n" % (a, b, b, b, b))
    elif kind == 1:
        lang, body = "c", (
            "static int %s(const char *%s)\n{\n"
            "\tconst char *dir = \"C:\\\\tmp\\\\%s\";\n"
            "\tif (%s == NULL || *%s == '\\0')\n\t\treturn -1;\n"
            "\tprintf(\"%%s: \\\"%%s\\\"\\n\", dir, %s);\n"
            "\treturn 0;\n}\n" % (a, b, a, b, b, b))
    elif kind == 2:
        lang, body = "bash", (
            "set -eu\n"
            "for f in ./%s/*.jsonl; do\n"
            "\tprintf '%%s\\t%%d\\n' \"$f\" \"$(wc -l < \"$f\")\"\n"
            "done | sort -t$'\\t' -k2,2n > %s.tsv\n" % (a, b))
    elif kind == 3:
        lang, body = "json", (
            "{\n  \"%s\": \"line one\\nline two\",\n  \"%s\": [1, 2.5, -7e3, null, true],\n"
            "  \"path\": \"D:\\\\data\\\\%s\",\n  \"note\": \"caf\\u00e9 \\ud83d\\ude80\"\n}\n" % (a, b, a))
    else:
        lang, body = "", (
            "%s = [x * 2 for x in range(10) if x %% 3]\n"
            "%s = {\"k\": %s, 'quote': \"\\\"\"}\n" % (a, b, a))
    return "```" + lang + "\n" + body + "```"


class Writer:
    def __init__(self, r):
        self.r = r
        self.en = [sentence_en(r) for _ in range(4000)]
        self.ko = [sentence_ko(r) for _ in range(4000)]
        self.code = [code_block(r) for _ in range(600)]

    def prose(self, lang):
        r = self.r
        pool = self.en if lang == "en" else self.ko
        k = r.randint(1, 5)
        p = " ".join(r.choice(pool) for _ in range(k))
        if r.random() < 0.15:
            p += " " + r.choice(EMOJI)
        return p

    def block(self, lang, role):
        r = self.r
        x = r.random()
        if role != "system" and x < (0.25 if role == "assistant" else 0.08):
            return r.choice(self.code)
        if role == "assistant" and x < 0.38:
            pool = self.en if lang == "en" else self.ko
            bullet = r.choice(["- ", "* ", "1. "])
            return "\n".join(bullet + r.choice(pool) for _ in range(r.randint(2, 5)))
        if role == "assistant" and x < 0.42:
            return "## " + self.prose(lang)[:60].rstrip()
        return self.prose(lang)

    def message(self, lang, role, target):
        r = self.r
        parts, size = [], 0
        while size < target:
            pl = lang if lang != "mix" else r.choice(["en", "ko"])
            b = self.block(pl, role)
            parts.append(b)
            size += len(b) + 2
        s = "\n\n".join(parts)
        if r.random() < 0.03:
            s = s.replace("\n", "\r\n")
        if r.random() < 0.10:
            s = r.choice(EDGE_SPACE + [""]) + s + r.choice(EDGE_SPACE)
        return s


def length(r, role):
    if r.random() < 0.02:
        return int(math.exp(r.uniform(math.log(4000), math.log(25000))))
    mid = {"system": 150, "user": 250, "assistant": 700}[role]
    return max(10, min(25000, int(r.lognormvariate(math.log(mid), 0.8))))


def conversation(r, w):
    lang = r.choices(["en", "ko", "mix"], weights=[60, 30, 10])[0]
    turns = []
    if r.random() < 0.5:
        if r.random() < 0.5:
            turns.append(("system", r.choice(["You are a helpful assistant.",
                                              "Answer briefly and cite your sources.",
                                              "당신은 친절한 도우미입니다. 한국어로 답하세요."])))
        else:
            turns.append(("system", w.message(lang, "system", length(r, "system"))))
    for _ in range(r.choices(range(1, 7), weights=[32, 22, 16, 12, 10, 8])[0]):
        turns.append(("user", w.message(lang, "user", length(r, "user"))))
        turns.append(("assistant", w.message(lang, "assistant", length(r, "assistant"))))
    return turns


def to_record(r, fmt, turns, i):
    if fmt == "messages":
        flip = r.random() < 0.15
        msgs = [{"content": c, "role": ro} if flip else {"role": ro, "content": c} for ro, c in turns]
        x = r.random()
        if x < 0.2:
            return {"id": i, "messages": msgs}
        if x < 0.3:
            return {"messages": msgs, "meta": {"src": r.choice(["web", "synthetic"]), "n": len(msgs)}}
        return {"messages": msgs}
    if fmt == "sharegpt":
        names = {"system": "system", "user": "human", "assistant": "gpt"}
        return {"conversations": [{"from": names[ro], "value": c} for ro, c in turns]}
    if fmt == "alpaca":
        users = [c for ro, c in turns if ro == "user"]
        answers = [c for ro, c in turns if ro == "assistant"]
        extra = users[1] if len(users) > 1 and r.random() < 0.4 else ""
        return {"instruction": users[0], "input": extra, "output": answers[0]}
    raise SystemExit("unknown format " + fmt)


def main():
    ap = argparse.ArgumentParser(description="seeded synthetic chat JSONL (messages, sharegpt, alpaca)")
    ap.add_argument("--format", choices=["messages", "sharegpt", "alpaca"], default="messages")
    ap.add_argument("--size-mb", type=float, default=20.0, help="stop at the first line reaching N*10^6 bytes")
    ap.add_argument("--seed", type=int, default=20240726)
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args()
    r = random.Random(a.seed)
    w = Writer(r)
    out = sys.stdout if a.output == "-" else open(a.output, "w", encoding="utf-8", newline="\n")
    target, done, n = int(a.size_mb * 1e6), 0, 0
    while done < target:
        rec = to_record(r, a.format, conversation(r, w), n)
        compact = r.random() < 0.5
        line = json.dumps(rec, ensure_ascii=r.random() < 0.30,
                          separators=(",", ":") if compact else (", ", ": ")) + "\n"
        out.write(line)
        done += len(line.encode("utf-8"))
        n += 1
    out.flush()
    print("%s: %d records, %d bytes" % (a.output, n, done), file=sys.stderr)


if __name__ == "__main__":
    main()
