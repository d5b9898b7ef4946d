#!/usr/bin/env python3
"""Deterministic generator of the oracle test corpus `tests/corpus/chat.jsonl`.

Standard library only (runs with Debian's /usr/bin/python3 3.11).  Same seed -> same bytes.

    gen_corpus.py                    # writes chat.jsonl next to this script (seed 20240726, 440 records)
    gen_corpus.py --seed 7 -o x.jsonl --records 1000
    gen_corpus.py --stats [FILE]     # feature counts of an existing corpus (Markdown, for README.md)

Every record is a conversation in the OpenAI/HF `messages` shape, one JSON object per line, valid
for a strict converter in training mode:
  * roles are only system/user/assistant; a system message only as the first message; at least one
    user or assistant message; `content` is always a string (possibly empty);
  * the last message is an assistant message, except in records with "add_generation_prompt": true
    (about 8%), most of which end with a user message and a few with an assistant message;
  * no tools, no tool_calls, no tool/ipython roles;
  * no content contains special-token text (`<|` + a Llama 3/3.1 special token name + `|>`; the
    generator checks this), U+0000 or lone surrogates.  Harmless near-misses (`<|foo|>`,
    `< |eot_id| >`, `<|eot_id` without the closing, `<eot_id>`, `<|im_start|>`...) do occur.

Proportions (of records unless stated; exact counts: `--stats`):
  * structure: ~60% with a system message, 1-12 non-system messages; ordinary records alternate
    user/assistant starting with user (2-12 messages, short conversations most common); ~8%
    add_generation_prompt true (~85% of those end with a user message, the rest with an assistant
    message); ~3% an explicit "add_generation_prompt": false; 4 records with an unusual but valid
    order (a lone assistant message, assistant first, two user or two assistant messages in a row);
    a few system messages with "" or whitespace-only content.
  * lengths: per message ~4% "" or whitespace-only, ~8% tiny (1-20 chars), ~45% short (20-200
    chars), ~38% medium (200-600 chars), ~5% long (2-6 KB); plus 8 records with one 12-20 KB
    message.  About 1.7 MB in all.
  * scripts: primary language per record ~32% Korean, ~28% English, ~10% mixed-script, ~5% each
    Chinese, Japanese, code-heavy, and ~2-3% each Arabic, Hebrew, Russian, Hindi, Thai, emoji-heavy;
    any message may also get emoji (astral, ZWJ sequences, flags, skin tones, VS16, tag sequences),
    combining marks (Latin diacritics, decomposed Hangul jamo, Hebrew niqqud), math symbols
    (incl. astral math alphanumerics) or a fragment in another script.
  * whitespace: ~25% of messages get whitespace at both ends drawn from all 29 code points that
    Python's str.strip() removes (U+0009-U+000D, U+001C-U+001F, U+0020, U+0085, U+00A0, U+1680,
    U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), sometimes combined with the NOT-stripped
    U+FEFF, U+200B, U+180E, U+2060; plus one dedicated record per strippable code point (at both
    ends of a user and an assistant message) and dedicated records for the four non-stripped ones
    (alone, behind strippable ones, whitespace-only contents); ~3% whitespace-only contents;
    ~5% of messages with CRLF line endings; inner runs of spaces, tabs, blank lines, NBSP/U+3000.
  * code: fenced code blocks (Python, JSON, HTML with <script> and &amp;, C, shell, SQL, Makefile
    tabs) with quotes, backslashes, literal `\\n`, `\\u00e9` as text, URLs with '/'; a few
    messages with C0 control characters (U+0001-U+0008, U+001B, U+007F) inside.
  * record keys: "date_string" on ~5% ("01 Jan 2025", "26 Jul 2024", "31 Dec 1999"...); extra keys
    "id" (string or integer, some beyond 2**53) and "source" on ~30%, placed before or after
    "messages"; a nested "meta" object on ~3%; "content" before "role" in ~15% of messages;
    a "name" key on ~3% of messages.
  * line encoding: ~88% written by json.dumps -- ~30% ensure_ascii=True (\\uXXXX escapes,
    surrogate pairs), half with compact separators; ~12% by an equivalent hand-rolled encoder
    that mixes escaped forms (`\\/`, `\\u00e9`, `\\u0041`, upper-case hex, `\\u000a` for `\\n`,
    `\\u0022`, escaped surrogate pairs next to raw UTF-8) and unusual insignificant whitespace.
    Every line round-trips through json.loads to the intended object.  The file uses `\\n` only
    between records; raw U+0085/U+2028/U+2029 inside a line are intended.
"""

import argparse
import json
import os
import random
import re
import sys

DEFAULT_SEED = 20240726
DEFAULT_RECORDS = 440
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUTPUT = os.path.join(HERE, "chat.jsonl")

# --------------------------------------------------------------------------------------------
# special tokens (Llama 3.1 table, plus names used by other Llama 3 tables) -- must never occur

SPECIAL_RE = re.compile(
    r"<\|(?:begin_of_text|end_of_text|start_header_id|end_header_id|eom_id|eot_id|python_tag"
    r"|finetune_right_pad_id|step_id|image|video|reserved_special_token_[0-9]+)\|>"
)

# The 29 code points str.strip() removes, and four look-alikes it keeps.
STRIP_WS = ["\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e", "\x1f", " ", "\x85", "\xa0",
            "\u1680"] + [chr(c) for c in range(0x2000, 0x200B)] + ["\u2028", "\u2029", "\u202f",
                                                                    "\u205f", "\u3000"]
KEPT_WS = ["\ufeff", "\u200b", "\u180e", "\u2060"]
COMMON_WS = [" ", "  ", "\n", "\n\n", "\t", " \n", "\n  ", "\r\n", "\u3000", "\xa0"]

# --------------------------------------------------------------------------------------------
# text pools (written for this corpus)

KO = [
    "안녕하세요! 오늘은 라마 3.1 모델을 파인튜닝하는 방법을 알아보겠습니다.",
    "학습 데이터는 JSONL 형식으로 한 줄에 하나의 대화를 저장합니다.",
    "시스템 프롬프트에는 모델의 역할과 말투를 적어 주세요.",
    "토크나이저가 특수 토큰을 어떻게 처리하는지 꼭 확인해야 합니다.",
    "서울은 대한민국의 수도이며, 인구는 약 940만 명입니다.",
    "김치찌개를 끓일 때는 잘 익은 김치를 사용하는 것이 좋아요.",
    "내일 부산 날씨는 맑고 최고 기온은 27도로 예상됩니다.",
    "죄송하지만 그 질문에는 정확한 답을 드리기 어렵습니다.",
    "다음 코드를 실행하면 결과가 어떻게 나오나요?",
    "배치 크기를 줄이면 메모리 사용량이 감소하지만 학습 시간이 늘어날 수 있습니다.",
    "학습률은 보통 2e-5에서 시작해서 조금씩 조정합니다.",
    "이 문장은 띄어쓰기가  두 칸인  부분을 포함하고 있습니다.",
    "세종대왕은 1443년에 훈민정음을 창제했습니다.",
    "주말에는 한강 공원에서 자전거를 타는 사람들이 많습니다.",
    "회의록을 요약해 주세요. 핵심 결정 사항만 세 줄로 정리하면 됩니다.",
    "네, 알겠습니다. 바로 도와드릴게요!",
    "에포크 수를 3으로 설정하고 검증 손실을 지켜보세요.",
    "'작은따옴표'와 \"큰따옴표\"가 섞인 문장입니다.",
    "가격은 ₩12,000이고, 배송비는 무료입니다.",
    "한국어와 English가 섞인 code-switching 문장도 자주 등장합니다.",
    "ㅋㅋㅋ 진짜요? 대박이네요 ㅎㅎ",
    "질문: 파이썬에서 리스트를 정렬하려면 어떻게 하나요?",
    "답변: sorted() 함수나 list.sort() 메서드를 사용하면 됩니다.",
    "제주도 여행 일정을 3박 4일로 짜 주세요.",
    "양자 컴퓨터는 큐비트를 사용하여 정보를 처리합니다.",
    "모델이 대화의 끝을 배우려면 턴마다 종료 토큰이 있어야 합니다.",
    "패딩 토큰을 EOS와 같게 설정하면 문제가 생길 수 있어요.",
    "오늘 기분이 어때요? 저는 커피 한 잔 마시고 힘이 났어요 ☕",
    "조선 시대의 과거 시험은 문과와 무과로 나뉘었습니다.",
    "大韓民國 헌법 제1조: 대한민국은 민주공화국이다.",
    "가나다라마바사아자차카타파하",
    "숫자 읽기: 하나, 둘, 셋, 넷, 다섯.",
    "괄호(소괄호), [대괄호], {중괄호}를 모두 사용합니다.",
    "LoRA 랭크를 16으로 두고 알파는 32로 설정했습니다.",
    "데이터셋을 만들 때 중복된 대화는 제거하는 편이 좋습니다.",
    "이 답변이 도움이 되었나요? 더 궁금한 점이 있으면 말씀해 주세요.",
    "경복궁은 1395년에 지어진 조선 왕조의 법궁입니다.",
    "라면을 끓일 때 물 550ml에 면과 스프를 넣고 4분 30초 동안 끓이세요.",
    "오류 메시지: \"파일을 찾을 수 없습니다\" — 경로를 다시 확인해 보세요.",
    "요약하자면, 첫째 데이터 품질, 둘째 학습률, 셋째 평가 방법이 중요합니다.",
    "봄에는 벚꽃, 여름에는 바다, 가을에는 단풍, 겨울에는 눈이 아름답습니다.",
    "사용자의 질문에 존댓말로 친절하게 답해 주세요.",
    "ㄱ ㄴ ㄷ ㄹ ㅁ ㅂ ㅅ ㅇ ㅈ ㅊ ㅋ ㅌ ㅍ ㅎ",
    "한 줄 요약: 템플릿이 만든 문자열과 똑같아야 합니다.",
]
ZH = [
    "你好！请问今天北京的天气怎么样？",
    "机器学习模型需要大量高质量的训练数据。",
    "这段代码的时间复杂度是多少？",
    "长城是世界上最长的古代防御工程之一。",
    "请把下面的句子翻译成英文。",
    "我们可以使用「引号」和《书名号》来标注。",
    "謝謝你的幫助，祝你有美好的一天。",
    "数学公式：圆的面积等于半径的平方乘以圆周率。",
    "生僻字：𠀀、𪚥、𠮷（扩展区汉字）。",
    "第一步，准备数据；第二步，训练模型；第三步，评估结果。",
]
JA = [
    "こんにちは、今日はいい天気ですね。",
    "東京タワーの高さは333メートルです。",
    "この文章を要約してください。",
    "カタカナとひらがなと漢字が混ざっています。",
    "半角ｶﾀｶﾅも時々使われます。",
    "「かぎかっこ」と『二重かぎかっこ』。",
    "寿司と天ぷらとラーメン、どれが好きですか？",
    "ご質問ありがとうございます。以下に手順を説明します。",
    "㈱や㍿のような合字、①②③の丸数字もあります。",
]
AR = [
    "مرحبا! كيف يمكنني مساعدتك اليوم؟",
    "اللُّغَةُ العَرَبِيَّةُ تُكْتَبُ مِنَ اليَمِينِ إِلَى اليَسَارِ.",
    "الذكاء الاصطناعي يغير العالم بسرعة.",
    "الأرقام العربية: ٠١٢٣٤٥٦٧٨٩",
    "شكراً جزيلاً على سؤالك، إليك الإجابة.",
]
HE = [
    "שלום! מה שלומך היום?",
    "עברית נכתבת מימין לשמאל.",
    "בְּרֵאשִׁית בָּרָא אֱלֹהִים",
    "תודה רבה על העזרה.",
    "המחיר הוא ‎₪45‎ כולל מע״מ.",
]
RU = [
    "Привет! Как дела?",
    "Москва — столица России.",
    "Обучение модели заняло около трёх часов.",
    "Ёлка, щётка, объём — буквы ё и ъ.",
    "Пожалуйста, объясните разницу между «ёлочками» и \"лапками\".",
    "Скорость обучения: 2·10⁻⁵, размер батча: 8.",
]
HI = [
    "नमस्ते! आप कैसे हैं?",
    "भारत की राजधानी नई दिल्ली है।",
    "मशीन लर्निंग के लिए अच्छे डेटा की आवश्यकता होती है।",
    "हिंदी अंक: ०१२३४५६७८९",
    "कृपया इस वाक्य का अनुवाद कीजिए।",
]
TH = [
    "สวัสดีครับ วันนี้อากาศดีมาก",
    "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย",
    "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ",
    "ขอบคุณมากค่ะ ผมจะลองทำตามขั้นตอนนี้",
    "น้ำ ผู้ใหญ่ ก๋วยเตี๋ยว",
]
EN = [
    "What is the capital of France?",
    "The capital of France is Paris.",
    "Can you explain how the chat template renders a conversation?",
    "Sure! Here's a step-by-step explanation.",
    "I'm not sure I understand -- could you rephrase the question?",
    "Let's break the problem into smaller pieces.",
    "Note: the \"quoted\" words and 'single quotes' are kept as-is.",
    "Prices rose 3.5% year over year (see Table 2).",
    "Résumé, naïve, café, jalapeño, Zürich, São Paulo, Ångström, crème brûlée.",
    "Use curly quotes “like this” and ‘this’, or an em dash — and an ellipsis…",
    "Thanks, that fixed it!",
    "Here is a short summary of the meeting notes.",
    "Please write a haiku about autumn leaves.",
    "Crimson leaves drift down / the river carries them home / quiet afternoon",
    "The training loss dropped from 2.31 to 0.87 after three epochs.",
    "Tokens such as </s> or [INST] belong to other prompt formats.",
    "1 + 1 = 2, and 2 * 3 = 6; 10 / 4 = 2.5.",
    "A path like /usr/local/bin/ or C:\\Program Files\\App\\ is common.",
]
EN_WORDS = """the of and to in is that for it as was with be by on not this are or from at which
but have an they you were her there been one all we their has would when if so no will more can
about what out up some could into than then other time only new these two may first any like also
now over way many such people after most made did very where just through well before should
model data training dataset token prompt template chat assistant user system function value string
input output file line stream buffer parse render convert example question answer explain reason
step result error memory performance benchmark python code language learning network layer weights
gradient loss batch epoch sample history science music weather travel recipe kitchen garden city
river mountain ocean forest coffee morning evening weekend project meeting report budget customer
product market design feature release version update issue request please thanks sure certainly
however therefore usually often sometimes important useful possible different specific general
write read build test check measure compare choose improve reduce increase""".split()

SYSTEM_PROMPTS = [
    "You are a helpful assistant.",
    "You are a concise assistant. Answer in at most three sentences.",
    "당신은 친절한 한국어 비서입니다.",
    "당신은 한국어로 대답하는 AI 어시스턴트입니다. 항상 존댓말을 사용하세요.",
    "너는 사용자의 질문에 정확하고 간결하게 답하는 도우미야.",
    "You are a senior C programmer. Prefer portable C11.",
    "Réponds toujours en français, s'il te plaît.",
    "あなたは親切なアシスタントです。",
    "你是一个乐于助人的助手。",
    "Ты — вежливый ассистент.",
    "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are a helpful assistant.",
    "Follow these rules:\n1. Be honest.\n2. Be brief.\n3. Use Markdown when useful.",
    "You are a translator between Korean and English.\n번역만 출력하세요.",
]

EMOJI = ["😀", "🎉", "🚀", "🦀", "🐍", "🤖", "🫠", "❤️", "☺️", "✔️", "👍🏻", "👍🏿", "👋🏽", "🙏🏾",
         "👨‍👩‍👧‍👦", "👩🏽‍💻", "🧑‍🚀", "🏳️‍🌈", "🏴‍☠️", "👁️‍🗨️", "🇰🇷", "🇯🇵", "🇺🇸", "🇫🇷",
         "🇮🇱", "1️⃣", "#️⃣", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
         "©️", "™", "☕", "🍜", "👩‍❤️‍👨", "🧔🏻‍♂️"]
COMBINING = [
    "e\u0301 n\u0303 a\u0308 o\u0302 (decomposed accents)",
    "Z\u0351\u0346\u0334a\u0337\u0332l\u0338\u0347g\u0336\u0359o\u0335\u0353 text",
    "\u1112\u1161\u11ab\u1100\u1173\u11af (conjoining Hangul jamo)",
    "Tie\u0302\u0301ng Vie\u0323\u0302t vs Tiếng Việt",
    "q\u0323\u0307 x\u0336 a\u20dd 1\u20e3",
    "\u05d1\u05bc\u05b0\u05e8\u05b5\u05d0\u05e9\u05c1\u05b4\u05d9\u05ea",
    "ǅ ǈ ǋ ﬁ ﬂ Å Å",
]
MATH = [
    "∀ε>0 ∃δ>0: |x−a|<δ ⇒ |f(x)−f(a)|<ε",
    "∑_{i=1}^{n} i = n(n+1)/2",
    "∫₀^∞ e^{−x²} dx = √π/2",
    "𝔽_p, 𝕜[x], 𝒪(n log n), 𝑥 ∈ ℝ, 𝟙_A",
    "A ⊆ B ∪ C, ¬(p ∧ q) ≡ ¬p ∨ ¬q",
    "≤ ≥ ≠ ≈ ∞ ∂ ∇ ⊗ ⊕ ∘ ∮ ℵ₀",
    "½ + ¼ = ¾, x² + y² = r²",
    "$\\frac{a}{b} + \\sqrt{2}$ and \\(\\alpha \\to \\beta\\)",
]
NEAR_MISS = [
    "<|foo|>", "< |eot_id| >", "<|eot_id", "<eot_id>", "<|im_start|>user", "<|im_end|>",
    "<| eot_id |>", "<|eot_id|\u200b>", "|eot_id|>", "<|>", "<||>", "&lt;|eot_id|&gt;",
    "<\\|eot_id\\|>", "<|begin_of_text |>", "<|start_header_id>", "<|endoftext|>",
    "<|reserved_special_token|>", "<|python_tag", "[INST] <<SYS>>", "<s>", "</s>",
]
CODE = [
    ("python", 'def greet(name: str) -> str:\n    """Return a greeting."""\n'
               '    return f"Hello, {name}!\\n"  # note the \\n escape\n\n'
               "print(greet('world'), end='')\n"),
    ("python", 'path = "C:\\\\Users\\\\me\\\\data.jsonl"\n'
               'pattern = r"\\d+\\s*\\"quoted\\""\n'
               'with open(path, encoding="utf-8") as fh:\n'
               '\tfor line in fh:\n\t\tprint(line.rstrip("\\r\\n"))\n'),
    ("json", '{"messages": [{"role": "user", "content": "hi\\nthere"}], "id": 7, "ok": true, '
             '"x": null, "url": "https://example.com/a/b"}'),
    ("json", '{\n  "name": "caf\\u00e9",\n  "emoji": "\\ud83d\\ude00",\n  "path": "a\\/b",\n'
             '  "nested": {"list": [1, 2.5, -3e-7, "\\"q\\""]}\n}'),
    ("html", '<script>\n  const s = "</p>&amp;<b>bold</b>";\n'
             "  document.body.innerHTML = '<a href=\"https://example.com/a/b?x=1&amp;y=2\">link</a>';\n"
             "</script>\n<!-- comment --> &lt;tag&gt; &#x1F600; &nbsp;"),
    ("c", '#include <stdio.h>\n\nint main(void) {\n    printf("%s\\n", "tab:\\t quote:\\" backslash:\\\\");\n'
          "    char c = '\\'';\n    return 0;\n}\n"),
    ("sh", "echo \"a\\tb\" | sed -e 's/\\\\t/    /g' > /tmp/out.txt\n"
           "grep -E '^\\{\"text\": ' out.jsonl | wc -l\nprintf '%s\\n' \"$HOME\"/*.jsonl\n"),
    ("sql", "SELECT id, name FROM \"users\" WHERE name = 'O''Brien' AND note LIKE '%\\_%' ESCAPE '\\';\n"),
    ("makefile", "all: app\n\napp: main.o util.o\n\t$(CC) -o $@ $^\n\n%.o: %.c\n\t$(CC) -c $< -o $@\n"),
    ("", "Use \"\\n\" for a newline and \"\\r\\n\" on Windows; \"\\u00e9\" decodes to é and "
         "\"\\ud83d\\ude00\" to 😀.\n"),
    ("regex", "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$\n\\b\\w+\\b \\\\ \\/"),
]
DATES = ["01 Jan 2025", "26 Jul 2024", "31 Dec 1999", "29 Feb 2024", "15 Aug 2023", "09 Oct 2030",
         "01 Jan 1970"]
SOURCES = ["synthetic", "hand-written", "ko-guide", "translated", "forum-export", "데이터셋-v2"]
NAMES = ["alice", "bob", "김철수", "assistant_1", "sys-admin"]

LANG_POOLS = {"ko": KO, "zh": ZH, "ja": JA, "ar": AR, "he": HE, "ru": RU, "hi": HI, "th": TH, "en": EN}
PRIMARY_LANGS = [("ko", 32), ("en", 28), ("mixed", 10), ("zh", 5), ("ja", 5), ("code", 5),
                 ("ar", 2), ("he", 2), ("ru", 3), ("hi", 2), ("th", 2), ("emoji", 4)]


def weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    x = rng.randrange(total)
    for item, w in pairs:
        if x < w:
            return item
        x -= w
    raise AssertionError


# --------------------------------------------------------------------------------------------
# content

def en_sentence(rng):
    if rng.random() < 0.4:
        return rng.choice(EN)
    words = [rng.choice(EN_WORDS) for _ in range(rng.randint(4, 16))]
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice([".", ".", "?", "!", ":", ";", "..."])


def sentence(rng, lang):
    if lang == "en":
        return en_sentence(rng)
    return rng.choice(LANG_POOLS[lang])


def code_block(rng):
    lang, body = rng.choice(CODE)
    if not lang:
        return body
    return "```" + lang + "\n" + body.rstrip("\n") + "\n```"


def emoji_run(rng):
    return "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 5)))


def fragment(rng, lang):
    """One paragraph-ish piece of text in (mostly) the given language."""
    r = rng.random()
    if lang == "code":
        if r < 0.6:
            return code_block(rng)
        lang = "en" if r < 0.8 else "ko"
    elif lang == "emoji":
        if r < 0.6:
            return emoji_run(rng) + " " + sentence(rng, rng.choice(["en", "ko"]))
        lang = "en"
    elif lang == "mixed":
        lang = rng.choice(["ko", "en", "zh", "ja", "ar", "he", "ru", "hi", "th"])
    r = rng.random()
    if r < 0.05:
        return code_block(rng)
    if r < 0.10:
        return emoji_run(rng)
    if r < 0.13:
        return rng.choice(MATH)
    if r < 0.15:
        return rng.choice(COMBINING)
    if r < 0.18:
        # markdown list
        return "\n".join("%s %s" % (rng.choice(["-", "*", "1."]), sentence(rng, lang)) for _ in range(rng.randint(2, 5)))
    if r < 0.20:
        return "| a | b |\n|---|---|\n| %s | %s |" % (sentence(rng, lang), sentence(rng, "en"))
    n = rng.randint(1, 4)
    sep = "" if lang in ("zh", "ja", "th") and rng.random() < 0.5 else " "
    return sep.join(sentence(rng, lang) for _ in range(n))


def joiner(rng):
    return weighted(rng, [("\n\n", 50), ("\n", 25), (" ", 15), ("\n\n\n\n", 3), ("  \n", 3),
                          ("\t", 2), ("\n \u3000\n", 1), (" \xa0 ", 1)])


def build_text(rng, lang, target_chars, target_bytes=None):
    parts = []
    size = 0
    while True:
        frag = fragment(rng, lang)
        parts.append(frag)
        size += len(frag)
        if target_bytes is not None:
            if len(("\n\n".join(parts)).encode("utf-8")) >= target_bytes:
                break
        elif size >= target_chars:
            break
        parts.append(joiner(rng))
    text = "".join(parts)
    if target_bytes is None and target_chars < 20 and len(text) > target_chars:
        # tiny contents: a word or two
        text = text[:max(target_chars, 1)]
    return text


def pad_ws(rng, text):
    """Whitespace at both ends, drawn from every kind."""
    def side():
        r = rng.random()
        if r < 0.45:
            return rng.choice(COMMON_WS)
        if r < 0.85:
            return "".join(rng.choice(STRIP_WS) for _ in range(rng.randint(1, 4)))
        # a kept look-alike, possibly behind strippable ones
        return rng.choice(["", " ", "\n", "\u3000"]) + rng.choice(KEPT_WS) + rng.choice(["", " ", "\t"])
    lead = side() if rng.random() < 0.8 else ""
    trail = side() if rng.random() < 0.8 or not lead else ""
    return lead + text + trail


def decorate(rng, text):
    """Random additions: near-miss tokens, CRLF, inner runs, control characters."""
    r = rng.random()
    if r < 0.05:
        text = text + " " + rng.choice(NEAR_MISS) + " " + rng.choice(NEAR_MISS)
    elif r < 0.07:
        text = rng.choice(NEAR_MISS) + "\n" + text
    if rng.random() < 0.05 and "\n" in text:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    if rng.random() < 0.04:
        words = text.split(" ")
        if len(words) > 2:
            i = rng.randrange(1, len(words))
            words[i] = rng.choice(["   ", "\t\t", "\u3000\u3000", "\xa0\xa0", " \t "]) + words[i]
            text = " ".join(words)
    if rng.random() < 0.008:
        text = text + " [ctl:" + rng.choice(["\x01", "\x07", "\x08", "\x1b[0m", "\x7f", "\x02\x03"]) + "]"
    return text


def message_content(rng, lang, long_ok=True):
    c = rng.random()
    if c < 0.03:
        return rng.choice(["", " ", "\n", "\n\n", "\t", "\u3000", " \r\n ", "\xa0\u2003"])
    if c < 0.04:
        return "".join(rng.choice(STRIP_WS) for _ in range(rng.randint(1, 6)))
    if c < 0.12:
        text = build_text(rng, lang, rng.randint(1, 20))
    elif c < 0.57:
        text = build_text(rng, lang, rng.randint(20, 200))
    elif c < 0.95 or not long_ok:
        text = build_text(rng, lang, rng.randint(200, 600))
    else:
        text = build_text(rng, lang, 0, target_bytes=rng.randint(2000, 6000))
    text = decorate(rng, text)
    if rng.random() < 0.25:
        text = pad_ws(rng, text)
    return text


def system_content(rng, lang):
    r = rng.random()
    if r < 0.6:
        base = rng.choice(SYSTEM_PROMPTS)
    elif r < 0.9:
        base = build_text(rng, lang, rng.randint(30, 400))
    else:
        base = rng.choice(SYSTEM_PROMPTS) + "\n\n" + build_text(rng, lang, 0, target_bytes=rng.randint(500, 3000))
    if rng.random() < 0.2:
        base = pad_ws(rng, base)
    return base


# --------------------------------------------------------------------------------------------
# records

def make_message(rng, role, content):
    m = {}
    if rng.random() < 0.15:
        m["content"] = content
        m["role"] = role
    else:
        m["role"] = role
        m["content"] = content
    if rng.random() < 0.03:
        m["name"] = rng.choice(NAMES)
    return m


def assemble(rng, messages, agp=None, date=None, force_extra=False):
    """Record dict with keys in a random order: extra keys before or after `messages`."""
    before, after = [], []
    if date is not None:
        (before if rng.random() < 0.3 else after).append(("date_string", date))
    if agp is not None:
        (before if rng.random() < 0.25 else after).append(("add_generation_prompt", agp))
    if force_extra or rng.random() < 0.30:
        if rng.random() < 0.6:
            ident = "conv-%06d" % rng.randrange(1000000)
        else:
            ident = rng.choice([rng.randrange(100000), rng.randrange(2 ** 53, 2 ** 64), -rng.randrange(1, 1000)])
        extras = [("id", ident)]
        if rng.random() < 0.7:
            extras.append(("source", rng.choice(SOURCES)))
        rng.shuffle(extras)
        for kv in extras:
            (before if rng.random() < 0.5 else after).append(kv)
    if rng.random() < 0.03:
        meta = {"lang": rng.choice(["ko", "en", "mixed"]), "score": rng.choice([0.5, 1e-05, -0.0, 3.0, 12]),
                "tags": ["train", rng.choice(["a", "b"]), None, True, False], "nested": {"k": [[], {}]}}
        (before if rng.random() < 0.5 else after).append(("meta", meta))
    rng.shuffle(before)
    rng.shuffle(after)
    rec = dict(before)
    rec["messages"] = messages
    rec.update(after)
    return rec


def conversation(rng, roles, lang, system=None, long_ok=True):
    msgs = []
    if system is not None:
        msgs.append(make_message(rng, "system", system))
    for role in roles:
        msgs.append(make_message(rng, role, message_content(rng, lang, long_ok)))
    return msgs


def alternating(n):
    return ["user" if i % 2 == 0 else "assistant" for i in range(n)]


def random_record(rng, kind):
    lang = weighted(rng, PRIMARY_LANGS)
    system = system_content(rng, lang) if rng.random() < 0.65 else None
    agp = None
    if kind == "agp_user":
        n = weighted(rng, [(1, 40), (3, 25), (5, 15), (7, 10), (9, 6), (11, 4)])
        agp = True
    elif kind == "agp_assistant":
        n = weighted(rng, [(2, 50), (4, 30), (6, 20)])
        agp = True
    else:
        n = weighted(rng, [(2, 40), (4, 25), (6, 15), (8, 10), (10, 6), (12, 4)])
        if rng.random() < 0.03:
            agp = False
    date = rng.choice(DATES) if rng.random() < 0.04 else None
    return assemble(rng, conversation(rng, alternating(n), lang, system), agp=agp, date=date)


def planned_records(rng):
    """Records that guarantee coverage of specific features."""
    recs = []
    # one record per strippable code point, at both ends of a user and an assistant message
    for i, ws in enumerate(STRIP_WS):
        lang = ["ko", "en", "ja", "mixed"][i % 4]
        u = ws + build_text(rng, lang, rng.randint(10, 120)) + ws
        a = ws + ws + rng.choice(["\n", " ", ""]) + build_text(rng, lang, rng.randint(10, 300)) + ws + "\n"
        system = None
        if i % 3 == 0:
            system = ws + rng.choice(SYSTEM_PROMPTS) + ws
        msgs = ([make_message(rng, "system", system)] if system is not None else []) + [
            make_message(rng, "user", u), make_message(rng, "assistant", a)]
        recs.append(assemble(rng, msgs))
    # the four non-stripped look-alikes: alone, behind strippable ones, inside whitespace-only content
    for ws in KEPT_WS:
        t = build_text(rng, "ko", 40)
        msgs = [
            make_message(rng, "system", ws + "You are a helpful assistant." + ws),
            make_message(rng, "user", ws + t),
            make_message(rng, "assistant", t + ws),
            make_message(rng, "user", " \n" + ws + "\u3000" + t + "\u3000" + ws + "\t "),
            make_message(rng, "assistant", "\u2003" + ws + "  " + t + "  " + ws + "\u2028"),
            make_message(rng, "user", ws),
            make_message(rng, "assistant", "\n " + ws + " \n"),
        ]
        recs.append(assemble(rng, msgs))
    # whitespace-only contents, all 29 strippable code points at once
    all_ws = "".join(STRIP_WS)
    recs.append(assemble(rng, [make_message(rng, "user", all_ws + "all 29" + all_ws[::-1]),
                               make_message(rng, "assistant", all_ws)]))
    recs.append(assemble(rng, [make_message(rng, "system", all_ws),
                               make_message(rng, "user", "".join(KEPT_WS)),
                               make_message(rng, "assistant", all_ws + "".join(KEPT_WS) + all_ws)]))
    # empty / whitespace-only system contents
    for sc in ["", " ", "\n\n", "\t \u3000\xa0\r\n"]:
        recs.append(assemble(rng, conversation(rng, alternating(2), "ko", system=sc, long_ok=False)))
    # empty contents in user and final assistant messages
    recs.append(assemble(rng, [make_message(rng, "user", ""), make_message(rng, "assistant", "")]))
    recs.append(assemble(rng, [make_message(rng, "user", "내용 없는 답을 주세요."),
                               make_message(rng, "assistant", "")]))
    # unusual but valid role orders
    recs.append(assemble(rng, [make_message(rng, "assistant", "안녕하세요! 무엇을 도와드릴까요?")]))
    recs.append(assemble(rng, conversation(rng, ["assistant", "user", "assistant"], "en", system="Greet first.")))
    recs.append(assemble(rng, conversation(rng, ["user", "user", "assistant"], "ko")))
    recs.append(assemble(rng, conversation(rng, ["user", "assistant", "assistant"], "mixed", system=None)))
    # a few near-miss-only records
    for _ in range(3):
        txt = " ".join(rng.sample(NEAR_MISS, 6))
        recs.append(assemble(rng, [make_message(rng, "user", "Print these literally: " + txt),
                                   make_message(rng, "assistant", txt)]))
    # CRLF everywhere, tabs, inner whitespace runs
    recs.append(assemble(rng, [make_message(rng, "system", "Line one.\r\nLine two.\r\n"),
                               make_message(rng, "user", "첫 줄\r\n둘째 줄\r\n\r\n셋째 줄\r\n"),
                               make_message(rng, "assistant", "a\tb\t\tc\r\n\td\r\n  e    f\u3000\u3000g\r\n")]))
    # 12-20 KB messages
    for i, lang in enumerate(["ko", "en", "code", "mixed", "ko", "zh", "emoji", "ru"]):
        big = build_text(rng, lang, 0, target_bytes=rng.randint(12000, 19500))
        if i % 2:
            big = pad_ws(rng, big)
        roles = alternating(2 if i % 3 else 4)
        msgs = conversation(rng, roles, lang, system=rng.choice(SYSTEM_PROMPTS) if i % 2 == 0 else None)
        target = i % len(roles) if i % 3 else 1
        msgs[-len(roles) + target]["content"] = big
        recs.append(assemble(rng, msgs))
    # date_string values (each listed one at least once)
    for d in DATES:
        recs.append(assemble(rng, conversation(rng, alternating(2), rng.choice(["ko", "en"])), date=d))
    # add_generation_prompt after 3..11 messages (so every length 1..12 occurs)
    for n in (3, 5, 7, 9, 11):
        recs.append(assemble(rng, conversation(rng, alternating(n), rng.choice(["ko", "en", "mixed"]),
                                               long_ok=False), agp=True))
    # add_generation_prompt on a lone user message, with and without a date
    recs.append(assemble(rng, [make_message(rng, "user", "Tell me a joke.")], agp=True))
    recs.append(assemble(rng, [make_message(rng, "user", "오늘 날짜가 뭐예요?")], agp=True, date="31 Dec 1999"))
    return recs


def generate(seed, count):
    rng = random.Random(seed)
    recs = planned_records(rng)
    n_random = max(0, count - len(recs))
    kinds = []
    for i in range(n_random):
        r = rng.random()
        kinds.append("agp_user" if r < 0.077 else "agp_assistant" if r < 0.090 else "plain")
    recs.extend(random_record(rng, k) for k in kinds)
    rng.shuffle(recs)
    return recs


# --------------------------------------------------------------------------------------------
# validation

class InvalidRecord(Exception):
    pass


def require(cond, what, obj=None):
    if not cond:
        raise InvalidRecord(what if obj is None else "%s: %r" % (what, obj))


def validate(rec):
    """Raise InvalidRecord unless rec is a valid training-mode record (see the module docstring)."""
    require(isinstance(rec, dict), "record is not an object")
    msgs = rec.get("messages")
    require(isinstance(msgs, list) and msgs, "messages missing or empty")
    for i, m in enumerate(msgs):
        require(isinstance(m, dict) and m.get("role") in ("system", "user", "assistant"), "bad role", m)
        require(m["role"] != "system" or i == 0, "system message not first")
        c = m.get("content")
        require(isinstance(c, str), "content not a string", m)
        require("\x00" not in c, "U+0000 in content")
        require(not any(0xD800 <= ord(ch) <= 0xDFFF for ch in c), "lone surrogate in content")
        hit = SPECIAL_RE.search(c)
        require(hit is None, "special-token text in content", hit and hit.group(0))
        require("tool_calls" not in m, "tool_calls")
    require(any(m["role"] != "system" for m in msgs), "no user/assistant message")
    agp = rec.get("add_generation_prompt", False)
    require(isinstance(agp, bool), "add_generation_prompt not a boolean")
    if agp:
        require(msgs[-1]["role"] in ("user", "assistant"), "generation-prompt record ends with system")
    else:
        require(msgs[-1]["role"] == "assistant", "last message is not an assistant message")
    for k in ("tools", "custom_tools", "builtin_tools", "tools_in_user_message"):
        require(k not in rec, "tool key", k)


# --------------------------------------------------------------------------------------------
# line encoding

def escape_u(cp, upper):
    fmt = "\\u%04X" if upper else "\\u%04x"
    if cp >= 0x10000:
        v = cp - 0x10000
        return fmt % (0xD800 + (v >> 10)) + fmt % (0xDC00 + (v & 0x3FF))
    return fmt % cp


SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


class OddEncoder:
    """JSON writer with unusual but valid choices; output must json.loads to the same value."""

    def __init__(self, rng):
        self.rng = rng
        self.ensure_ascii = rng.random() < 0.4
        self.upper = rng.random() < 0.5
        self.slash = rng.random() < 0.6
        self.p_nonascii = rng.choice([0.0, 0.1, 0.5])
        self.p_ascii = rng.choice([0.0, 0.0, 0.02])
        self.p_short_as_u = rng.choice([0.0, 0.3, 1.0])
        self.ws = rng.choice(["", " ", "  ", "\t", " \t"])
        self.item_sep = rng.choice([",", ", ", " , ", ",\t"])
        self.key_sep = rng.choice([":", ": ", " : ", ":\t"])

    def string(self, s):
        rng = self.rng
        out = ['"']
        for ch in s:
            cp = ord(ch)
            if ch in SHORT:
                if ch in '"\\':
                    out.append(escape_u(cp, self.upper) if rng.random() < self.p_ascii * 10 else SHORT[ch])
                else:
                    out.append(escape_u(cp, self.upper) if rng.random() < self.p_short_as_u else SHORT[ch])
            elif cp < 0x20:
                out.append(escape_u(cp, self.upper))
            elif ch == "/":
                out.append("\\/" if self.slash else "/")
            elif cp < 0x80:
                out.append(escape_u(cp, self.upper) if rng.random() < self.p_ascii else ch)
            elif self.ensure_ascii or rng.random() < self.p_nonascii:
                out.append(escape_u(cp, self.upper))
            else:
                out.append(ch)
        out.append('"')
        return "".join(out)

    def value(self, v):
        if isinstance(v, str):
            return self.string(v)
        if isinstance(v, bool) or v is None or isinstance(v, (int, float)):
            return json.dumps(v)
        if isinstance(v, list):
            if not v:
                return "[" + self.ws + "]"
            return "[" + self.ws + self.item_sep.join(self.value(x) for x in v) + self.ws + "]"
        if isinstance(v, dict):
            if not v:
                return "{" + self.ws + "}"
            items = (self.string(k) + self.key_sep + self.value(x) for k, x in v.items())
            return "{" + self.ws + self.item_sep.join(items) + self.ws + "}"
        raise TypeError(type(v))

    def line(self, rec):
        text = self.value(rec)
        if self.rng.random() < 0.2:
            text = self.rng.choice([" ", "\t", "  "]) + text + self.rng.choice(["", " ", "\t"])
        return text


def encode(rng, rec):
    r = rng.random()
    if r < 0.12:
        line = OddEncoder(rng).line(rec)
    else:
        ensure_ascii = rng.random() < 0.30
        compact = rng.random() < 0.5
        line = json.dumps(rec, ensure_ascii=ensure_ascii, separators=(",", ":") if compact else None)
    require("\n" not in line and "\r" not in line, "line break in an encoded line")
    back = json.loads(line)
    require(back == rec and list(back) == list(rec), "encoded line does not round-trip", line[:200])
    return line


# --------------------------------------------------------------------------------------------
# stats (computed from the file, for README.md)

def scan_structure(line):
    """Return the set of insignificant-whitespace/separator forms used outside strings."""
    forms = set()
    i, n = 0, len(line)
    in_str = False
    while i < n:
        ch = line[i]
        if in_str:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_str = False
        else:
            if ch == '"':
                in_str = True
            elif ch in ",:":
                j = i + 1
                while j < n and line[j] in " \t":
                    j += 1
                k = i
                while k > 0 and line[k - 1] in " \t":
                    k -= 1
                forms.add(line[k:j])
        i += 1
    return forms


def in_ranges(ch, ranges):
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in ranges)


SCRIPTS = [
    ("Korean (Hangul)", [(0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x3130, 0x318F)]),
    ("Chinese/Japanese Han", [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2FFFF)]),
    ("Japanese kana", [(0x3040, 0x30FF), (0xFF65, 0xFF9F)]),
    ("Arabic", [(0x0600, 0x06FF)]),
    ("Hebrew", [(0x0590, 0x05FF)]),
    ("Cyrillic", [(0x0400, 0x04FF)]),
    ("Devanagari", [(0x0900, 0x097F)]),
    ("Thai", [(0x0E00, 0x0E7F)]),
    ("emoji (astral)", [(0x1F000, 0x1FAFF)]),
    ("ZWJ U+200D", [(0x200D, 0x200D)]),
    ("flags (regional indicators)", [(0x1F1E6, 0x1F1FF)]),
    ("skin tones", [(0x1F3FB, 0x1F3FF)]),
    ("VS16 U+FE0F", [(0xFE0F, 0xFE0F)]),
    ("Latin combining marks U+0300-U+036F", [(0x0300, 0x036F)]),
    ("math symbols / math alphanumerics", [(0x2200, 0x22FF), (0x1D400, 0x1D7FF)]),
]


def stats(path):
    with open(path, "rb") as fh:
        data = fh.read()
    lines = data.split(b"\n")
    if lines[-1] != b"":
        raise SystemExit("%s: does not end with a newline" % path)
    lines = lines[:-1]
    c = {}

    def inc(key, by=1):
        c[key] = c.get(key, 0) + by

    maxlen = 0
    turn_hist = {}
    edge_counts = {ws: 0 for ws in STRIP_WS}
    kept_counts = {ws: 0 for ws in KEPT_WS}
    script_counts = {name: 0 for name, _ in SCRIPTS}
    for raw in lines:
        text = raw.decode("utf-8")
        rec = json.loads(text)
        validate(rec)
        msgs = rec["messages"]
        inc("records")
        inc("messages", len(msgs))
        body = [m for m in msgs if m["role"] != "system"]
        turn_hist[len(body)] = turn_hist.get(len(body), 0) + 1
        roles = [m["role"] for m in body]
        if roles != alternating(len(roles)):
            inc("unusual role order")
        if msgs[0]["role"] == "system":
            inc("with system message")
            if msgs[0]["content"].strip() == "":
                inc("system content empty or whitespace-only")
        if rec.get("add_generation_prompt") is True:
            inc("add_generation_prompt true")
            inc("add_generation_prompt true, ending with %s" % msgs[-1]["role"])
        elif rec.get("add_generation_prompt") is False:
            inc("add_generation_prompt false (explicit)")
        if "date_string" in rec:
            inc("date_string")
        keys = list(rec)
        if "id" in rec:
            inc("id (string)" if isinstance(rec["id"], str) else "id (integer)")
        if "source" in rec:
            inc("source")
        if "meta" in rec:
            inc("meta (nested object)")
        if any(k not in ("messages", "add_generation_prompt", "date_string") for k in keys[:keys.index("messages")]):
            inc("extra keys before messages")
        for m in msgs:
            if list(m)[0] == "content":
                inc("messages with content before role")
            if "name" in m:
                inc("messages with a name key")
        contents = [m["content"] for m in msgs]
        allc = "".join(contents)
        for s in contents:
            nb = len(s.encode("utf-8"))
            maxlen = max(maxlen, nb)
            if s == "":
                inc("empty contents")
            elif s.strip() == "":
                inc("whitespace-only contents (non-empty)")
            if nb >= 10000:
                inc("contents >= 10 KB")
            elif nb >= 2000:
                inc("contents 2-10 KB")
            if s != s.strip():
                inc("contents with strippable whitespace at an end")
            lead = s[:len(s) - len(s.lstrip())]
            trail = s[len(s.rstrip()):]
            for ws in STRIP_WS:
                if ws in lead or ws in trail:
                    edge_counts[ws] += 1
            core = s.strip()
            for ws in KEPT_WS:
                if core and (core[0] == ws or core[-1] == ws):
                    kept_counts[ws] += 1
            if "\r\n" in s:
                inc("contents with CRLF")
            if "\t" in core:
                inc("contents with inner tabs")
            if re.search("[ \u3000\xa0]{2,}|\n{3,}", core):
                inc("contents with inner whitespace runs")
            if "```" in s:
                inc("contents with code fences")
            if "\\" in s:
                inc("contents with backslashes")
            if "\\n" in s:
                inc("contents with literal `\\n`")
            if "<script>" in s or "&amp;" in s:
                inc("contents with `<script>` or `&amp;`")
            if re.search("<\\|[^|<>]*\\|>|<\\|[a-z_]+|\\|eot_id\\|>|<eot_id>", s):
                inc("contents with near-miss special-token text")
            if re.search("[\x01-\x08\x0e-\x1b\x7f]", s):
                inc("contents with inner C0 control characters / DEL")
        for name, ranges in SCRIPTS:
            if any(in_ranges(ch, ranges) for ch in allc):
                script_counts[name] += 1
        # line encoding (backslashes occur only inside strings, so scanning escapes left to right is exact)
        esc = [m.group(0) for m in re.finditer(r"\\(?:u[0-9a-fA-F]{4}|.)", text)]
        uesc = [int(e[2:], 16) for e in esc if e[1] == "u"]
        if raw.isascii() and any(cp >= 0x80 for cp in uesc):
            inc("lines pure ASCII with `\\u` escapes of non-ASCII (ensure_ascii style)")
        if not raw.isascii() and any(cp >= 0x80 for cp in uesc):
            inc("lines mixing raw UTF-8 and `\\u` escapes of non-ASCII")
        if any(0xD800 <= cp <= 0xDBFF for cp in uesc):
            inc("lines with escaped surrogate pairs")
        if any(0x20 <= cp < 0x80 for cp in uesc):
            inc("lines with `\\u` escapes of printable ASCII (`\\u0022`, `\\u0041`...)")
        if any(e[1] == "u" and re.search("[A-F]", e) for e in esc):
            inc("lines with upper-case hex escapes")
        if "\\/" in esc:
            inc("lines with `\\/`")
        forms = scan_structure(text)
        if forms <= {",", ":"}:
            inc("lines with compact separators")
        elif forms <= {", ", ": "}:
            inc("lines with default separators")
        else:
            inc("lines with unusual separators/whitespace")
        if re.search("[\x85\u2028\u2029]", text):
            inc("lines with raw U+0085/U+2028/U+2029")
        if text[:1] in " \t" or text[-1:] in " \t":
            inc("lines with whitespace around the object")
    out = []
    out.append("| feature | count |\n| --- | ---: |")
    out.append("| records | %d |" % c["records"])
    out.append("| bytes | %d |" % len(data))
    for key in ["messages", "with system message", "system content empty or whitespace-only",
                "add_generation_prompt true", "add_generation_prompt true, ending with user",
                "add_generation_prompt true, ending with assistant", "add_generation_prompt false (explicit)",
                "unusual role order", "date_string", "id (string)", "id (integer)", "source",
                "meta (nested object)", "extra keys before messages", "messages with content before role",
                "messages with a name key"]:
        out.append("| %s | %d |" % (key, c.get(key, 0)))
    out.append("| non-system messages per record (count: records) | %s |" %
               ", ".join("%d: %d" % (k, turn_hist[k]) for k in sorted(turn_hist)))
    out.append("| largest content (bytes) | %d |" % maxlen)
    for key in ["contents >= 10 KB", "contents 2-10 KB", "empty contents",
                "whitespace-only contents (non-empty)", "contents with strippable whitespace at an end",
                "contents with CRLF", "contents with inner tabs", "contents with inner whitespace runs",
                "contents with code fences", "contents with backslashes", "contents with literal `\\n`",
                "contents with `<script>` or `&amp;`", "contents with near-miss special-token text",
                "contents with inner C0 control characters / DEL"]:
        out.append("| %s | %d |" % (key.replace("|", "\\|"), c.get(key, 0)))
    out.append("| contents with each of the 29 strippable code points at an end (min / max over the 29) | %d / %d |"
               % (min(edge_counts.values()), max(edge_counts.values())))
    out.append("| contents starting/ending (after strip) with U+FEFF / U+200B / U+180E / U+2060 | %s |"
               % " / ".join(str(kept_counts[ws]) for ws in KEPT_WS))
    for name, _ in SCRIPTS:
        out.append("| records with %s | %d |" % (name, script_counts[name]))
    for key in ["lines pure ASCII with `\\u` escapes of non-ASCII (ensure_ascii style)",
                "lines mixing raw UTF-8 and `\\u` escapes of non-ASCII", "lines with escaped surrogate pairs",
                "lines with `\\u` escapes of printable ASCII (`\\u0022`, `\\u0041`...)",
                "lines with upper-case hex escapes", "lines with `\\/`", "lines with compact separators",
                "lines with default separators", "lines with unusual separators/whitespace",
                "lines with raw U+0085/U+2028/U+2029", "lines with whitespace around the object"]:
        out.append("| %s | %d |" % (key, c.get(key, 0)))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    ap.add_argument("--records", type=int, default=DEFAULT_RECORDS, help="number of records (default %(default)s)")
    ap.add_argument("-o", "--output", default=DEFAULT_OUTPUT, help="output file (default: chat.jsonl next to this script)")
    ap.add_argument("--stats", nargs="?", const="", metavar="FILE",
                    help="print feature counts of FILE (default: the output file) instead of generating")
    args = ap.parse_args(argv)

    if args.stats is not None:
        sys.stdout.write(stats(args.stats or args.output))
        return 0

    rng = random.Random(args.seed ^ 0x5EED)
    lines = []
    for rec in generate(args.seed, args.records):
        validate(rec)
        lines.append(encode(rng, rec))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, args.output)
    sys.stderr.write("wrote %s: %d records, %d bytes\n" % (args.output, len(lines), len(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
