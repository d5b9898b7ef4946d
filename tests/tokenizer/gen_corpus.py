#!/usr/bin/env python3
"""Seeded generator of tests/tokenizer/corpus.jsonl, the strings on which
llamafmt's tokenizer is compared with Hugging Face's (check_reference.sh).

    gen_corpus.py [-o FILE] [--seed N]      (default: corpus.jsonl beside this file)

One JSON string per line (json.dumps, ensure_ascii=False: split lines on "\\n"
only, the strings hold raw U+0085, U+2028 and U+2029).  Standard library only
and no unicodedata (its tables change with the Python version): the same seed
gives the same bytes on any Python 3.  check_reference.sh regenerates the file
and fails if the committed one differs.

Every string is valid Unicode without surrogates or U+0000 (cJSON stops at
\\u0000).  What is covered, by category (counts in CATEGORIES):
English prose; Korean; Chinese; Japanese (kana and kanji); Arabic, Hebrew,
Cyrillic, Devanagari, Thai, Greek and other alphabets with their combining
marks; code (Python, C, JSON, shell) with space and tab indentation; emoji
with ZWJ sequences, skin tones, flags, keycaps and VS16; digit runs of length
1..20, digits of other scripts, numbers inside words; whitespace runs (spaces,
tabs, \\n, \\r\\n, \\r, every Unicode White_Space code point, U+FEFF, U+200B,
U+2028/2029, U+3000) alone and around words; contractions in every case
('s 'S 'Ll 'LL 're 'VE 'd ...), curly apostrophes, U+017F after an apostrophe;
punctuation runs followed by newlines; mixed scripts; leading and trailing
spaces; special-token text such as <|eot_id|> (ordinary text for lf_tokenize);
random code points from many blocks (assigned or not, private use,
noncharacters, controls); and long strings of several KB.
"""
import argparse
import json
import os
import random
import sys

SEED = 20240723

# --- building blocks ---------------------------------------------------------

EN_WORDS = """
the of and to in is you that it he was for on are as with his they at be this
have from or one had by word but not what all were we when your can said there
use an each which she do how their if will up other about out many then them
these so some her would make like him into time has look two more write go see
number no way could people my than first water been call who oil its now find
long down day did get come made may part over new sound take only little work
know place year live me back give most very after thing our just name good
sentence man think say great where help through much before line right too
mean old any same tell boy follow came want show also around form three small
set put end does another well large must big even such because turn here why
ask went men read need land different home us move try kind hand picture again
change off play spell air away animal house point page letter mother answer
found study still learn should America world tokenizer model training sample
assistant question Llama merge rank byte buffer pipeline offset Unicode
""".split()

EN_PROPER = ["Alice", "Bob", "Seoul", "Busan", "Tokyo", "Paris", "McDonald", "O'Brien",
             "iPhone", "GitHub", "JSON", "NASA", "Llama", "PyTorch", "HuggingFace", "ChatGPT",
             "Zürich", "São Paulo", "Ångström", "naïve", "café", "résumé", "façade", "jalapeño"]

PUNCT_END = [".", ".", ".", "!", "?", "...", "?!", ":", ";", "…", "!!", "."]

HANGUL_WORDS = """
안녕하세요 감사합니다 학교 사람 시간 오늘 내일 어제 데이터 모델 학습 토큰 문장 질문 대답
컴퓨터 프로그램 서울 부산 한국어 영어 공부 친구 가족 음식 김치 비빔밥 날씨 비 눈 바람
그리고 하지만 그래서 왜냐하면 입니다 합니다 했습니다 있습니다 없습니다 좋아요 싫어요
빠르게 천천히 정확하게 함수 변수 파일 메모리 서버 클라이언트 요청 응답 오류 결과
""".split()

KO_PARTICLES = ["은", "는", "이", "가", "을", "를", "에", "에서", "으로", "와", "과", "의", "도", "만"]

CJK_COMMON = ("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学"
              "对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面"
              "公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部"
              "正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关"
              "并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安"
              "表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共"
              "模型训练数据分词器语言处理")

CJK_PUNCT = ["，", "。", "！", "？", "、", "；", "：", "“", "”", "《", "》", "（", "）", "…", "——"]

HIRAGANA = [chr(c) for c in range(0x3041, 0x3097)]
KATAKANA = [chr(c) for c in range(0x30A1, 0x30FB)] + ["ー"]
JA_WORDS = ["こんにちは", "ありがとう", "ございます", "日本語", "東京", "大阪", "学習", "データ", "モデル",
            "トークン", "コンピューター", "プログラム", "です", "ます", "ました", "でした", "ません", "ですか",
            "私", "彼女", "今日", "明日", "昨日", "天気", "桜", "富士山", "新幹線", "ラーメン", "寿司",
            "カタカナ", "ひらがな", "漢字", "ｶﾀｶﾅ", "ｱｲｳｴｵ"]
JA_PARTICLES = ["は", "が", "を", "に", "で", "と", "の", "も", "へ", "から", "まで", "より"]
JA_PUNCT = ["。", "、", "！", "？", "「", "」", "『", "』", "・", "〜", "（", "）"]


def crange(a, b):
    return [chr(c) for c in range(a, b + 1)]


# Letters (and marks, listed apart) of other scripts.
SCRIPTS = {
    "arabic": (crange(0x0621, 0x063A) + crange(0x0641, 0x064A), crange(0x064B, 0x0652), crange(0x0660, 0x0669),
               ["،", "؛", "؟", "."]),
    "persian": (crange(0x0621, 0x063A) + ["پ", "چ", "ژ", "گ", "ک", "ی"], ["\u200c"], crange(0x06F0, 0x06F9), ["،", "؟"]),
    "hebrew": (crange(0x05D0, 0x05EA), crange(0x05B0, 0x05BC), [], ["־", ".", ",", "׃"]),
    "cyrillic": (crange(0x0430, 0x044F) + crange(0x0410, 0x042F) + ["ё", "Ё", "і", "ї", "є", "ґ"], [], [],
                 [".", ",", "!", "?", "—", "«", "»"]),
    "devanagari": (crange(0x0905, 0x0939), crange(0x093E, 0x094D) + ["\u0902", "\u0901", "\u093C"],
                   crange(0x0966, 0x096F), ["।", "॥", ","]),
    "bengali": (crange(0x0985, 0x098C) + crange(0x0995, 0x09A8), crange(0x09BE, 0x09C4) + ["\u09CD"],
                crange(0x09E6, 0x09EF), ["।"]),
    "tamil": (crange(0x0B85, 0x0B8A) + crange(0x0B95, 0x0B9A), crange(0x0BBE, 0x0BC2) + ["\u0BCD"],
              crange(0x0BE6, 0x0BEF), ["."]),
    "thai": (crange(0x0E01, 0x0E2E), crange(0x0E31, 0x0E3A) + crange(0x0E47, 0x0E4E), crange(0x0E50, 0x0E59),
             ["ฯ", "ๆ", " "]),
    "greek": (crange(0x03B1, 0x03C9) + crange(0x0391, 0x03A9) + ["ά", "έ", "ή", "ί", "ό", "ύ", "ώ", "ς"], [], [],
              [";", "·", ".", ","]),
    "armenian": (crange(0x0561, 0x0586) + crange(0x0531, 0x0556), [], [], ["։", "՝"]),
    "georgian": (crange(0x10D0, 0x10FA), [], [], ["."]),
    "ethiopic": (crange(0x1200, 0x1248), [], crange(0x1369, 0x1371), ["።", "፣"]),
    "latin_ext": (crange(0x00C0, 0x00FF) + crange(0x0100, 0x017F) + crange(0x0180, 0x024F), crange(0x0300, 0x036F), [],
                  [".", ","]),
    "vietnamese": (list("aăâbcdđeêghiklmnoôơpqrstuưvxy") + ["ạ", "ả", "ấ", "ầ", "ẩ", "ẫ", "ậ", "ế", "ề", "ể", "ễ",
                                                             "ệ", "ố", "ồ", "ổ", "ỗ", "ộ", "ớ", "ờ", "ở", "ỡ", "ợ"],
                   [], [], [".", ","]),
    "mongolian": (crange(0x1820, 0x1842), [], crange(0x1810, 0x1819), ["᠂", "᠃"]),
    "tibetan": (crange(0x0F40, 0x0F47), crange(0x0F71, 0x0F7D), crange(0x0F20, 0x0F29), ["་", "།"]),
}

# Unicode White_Space (PropList.txt), plus look-alikes that are not White_Space.
WHITE_SPACE = ["\t", "\n", "\x0b", "\x0c", "\r", " ", "\x85", "\xa0", "\u1680"] + crange(0x2000, 0x200A) + \
              ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
NOT_WHITE_SPACE = ["\ufeff", "\u200b", "\u200c", "\u200d", "\u2060", "\u180e", "\u00ad", "\u061c", "\u034f"]

EMOJI_BASE = ["😀", "😂", "🥲", "😍", "🤔", "🙏", "👍", "👋", "🎉", "🔥", "💯", "✨", "🚀", "🌍", "🍕", "☕", "🐍",
              "🦙", "❤", "✅", "⚡", "🇰", "🧑", "👩", "👨", "🧒", "💻", "📚", "🤖", "🫠", "🪐"]
SKIN = ["\U0001F3FB", "\U0001F3FC", "\U0001F3FD", "\U0001F3FE", "\U0001F3FF"]
ZWJ_SEQ = ["👩\u200d💻", "👨\u200d👩\u200d👧\u200d👦", "🏳\ufe0f\u200d🌈", "🧑\u200d🤝\u200d🧑", "👁\ufe0f\u200d🗨\ufe0f",
           "🐻\u200d❄\ufe0f", "❤\ufe0f\u200d🔥", "👩🏽\u200d🚀", "🧔🏿\u200d♂\ufe0f", "🏃\u200d♀\ufe0f\u200d➡\ufe0f"]
FLAGS = ["🇰🇷", "🇯🇵", "🇺🇸", "🇫🇷", "🇩🇪", "🇧🇷", "🇮🇳", "🇺🇦", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F"]
KEYCAPS = ["1\ufe0f\u20e3", "#\ufe0f\u20e3", "*\u20e3", "0\ufe0f\u20e3"]
SYMBOLS_VS = ["☀\ufe0f", "✔\ufe0f", "⚠\ufe0f", "☎\ufe0e", "♥\ufe0f", "©\ufe0f", "™", "↩\ufe0f"]

APOS = ["'", "'", "'", "’", "‘", "ʼ", "`", "´", "＇"]
CONTRACTION_TAILS = ["s", "t", "re", "ve", "m", "ll", "d"]

SPECIAL_NAMES = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
                 "<|eom_id|>", "<|python_tag|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_0|>",
                 "<|reserved_special_token_2|>", "<|reserved_special_token_247|>", "<|reserved_special_token_250|>",
                 "<|endoftext|>", "<|im_start|>", "<|fim_prefix|>"]

OTHER_DIGITS = crange(0x0660, 0x0669) + crange(0x06F0, 0x06F9) + crange(0x0966, 0x096F) + crange(0xFF10, 0xFF19) + \
               crange(0x0E50, 0x0E59) + ["²", "³", "¹", "¼", "½", "¾", "⁰", "⁴", "₀", "₁", "₂", "①", "②", "⑳", "Ⅰ",
                                          "Ⅻ", "ⅻ", "〇", "〡", "𝟎", "𝟗", "𝟙", "𐒠", "𑁦", "🄀", "🄁"]

PUNCT_RUN_CHARS = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + ["…", "—", "–", "«", "»", "¿", "¡", "·", "•", "§",
                                                                    "¶", "†", "‡", "※", "〜", "・", "。", "、", "！"]

# Code point ranges for random Unicode: (low, high), valid scalar values only.
UNICODE_BLOCKS = [
    (0x0001, 0x001F), (0x0020, 0x007E), (0x007F, 0x009F), (0x00A0, 0x00FF), (0x0100, 0x024F), (0x0250, 0x02FF),
    (0x0300, 0x036F), (0x0370, 0x03FF), (0x0400, 0x052F), (0x0530, 0x058F), (0x0590, 0x05FF), (0x0600, 0x06FF),
    (0x0700, 0x074F), (0x0780, 0x07BF), (0x07C0, 0x07FF), (0x0800, 0x08FF), (0x0900, 0x097F), (0x0980, 0x0DFF),
    (0x0E00, 0x0EFF), (0x0F00, 0x0FFF), (0x1000, 0x109F), (0x10A0, 0x10FF), (0x1100, 0x11FF), (0x1200, 0x139F),
    (0x13A0, 0x13FF), (0x1400, 0x167F), (0x1680, 0x169F), (0x16A0, 0x16FF), (0x1700, 0x17FF), (0x1800, 0x18AF),
    (0x1900, 0x1AFF), (0x1B00, 0x1CFF), (0x1D00, 0x1DFF), (0x1E00, 0x1FFF), (0x2000, 0x206F), (0x2070, 0x209F),
    (0x20A0, 0x20FF), (0x2100, 0x218F), (0x2190, 0x23FF), (0x2400, 0x24FF), (0x2500, 0x27BF), (0x27C0, 0x2BFF),
    (0x2C00, 0x2E7F), (0x2E80, 0x2FDF), (0x2FF0, 0x303F), (0x3040, 0x31FF), (0x3200, 0x33FF), (0x3400, 0x4DBF),
    (0x4DC0, 0x4DFF), (0x4E00, 0x9FFF), (0xA000, 0xA4CF), (0xA4D0, 0xA82F), (0xA830, 0xABFF), (0xAC00, 0xD7AF),
    (0xD7B0, 0xD7FF), (0xE000, 0xF8FF), (0xF900, 0xFAFF), (0xFB00, 0xFDFF), (0xFE00, 0xFE6F), (0xFE70, 0xFFFF),
    (0x10000, 0x100FF), (0x10100, 0x103FF), (0x10400, 0x107FF), (0x10800, 0x10FFF), (0x11000, 0x11FFF),
    (0x12000, 0x1254F), (0x13000, 0x1343F), (0x14400, 0x1467F), (0x16800, 0x16FFF), (0x17000, 0x18D7F),
    (0x1B000, 0x1B2FF), (0x1BC00, 0x1BCAF), (0x1CF00, 0x1D7FF), (0x1E000, 0x1EFFF), (0x1F000, 0x1FAFF),
    (0x1FB00, 0x1FFFF), (0x20000, 0x2A6DF), (0x2A700, 0x2EBEF), (0x2F800, 0x2FA1F), (0x30000, 0x3134F),
    (0x31350, 0x323AF), (0x3FFFE, 0x3FFFF), (0xE0000, 0xE007F), (0xE0100, 0xE01EF), (0xF0000, 0xFFFFF),
    (0x100000, 0x10FFFF),
]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    # small helpers
    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def chance(self, p):
        return self.r.random() < p

    def n(self, a, b):
        return self.r.randint(a, b)

    def ws(self):
        return self.pick([" ", " ", " ", "  ", "\t", "\n", "\n\n", "\r\n", " \n", "\n "])

    # --- categories --------------------------------------------------------

    def en_sentence(self):
        words = []
        for i in range(self.n(3, 16)):
            w = self.pick(EN_WORDS) if self.chance(0.9) else self.pick(EN_PROPER)
            if i == 0 or self.chance(0.05):
                w = w[:1].upper() + w[1:]
            if self.chance(0.03):
                w = w.upper()
            if self.chance(0.05):
                w = str(self.n(0, 100000)) if self.chance(0.5) else self.pick(["(" + w + ")", '"' + w + '"', w + ","])
            words.append(w)
        return " ".join(words) + self.pick(PUNCT_END)

    def english(self):
        parts = [self.en_sentence() for _ in range(self.n(1, 5))]
        sep = self.pick([" ", " ", "\n", "\n\n", "  "])
        s = sep.join(parts)
        if self.chance(0.2):
            s = self.pick(["- ", "* ", "1. ", "## ", "> ", "**"]) + s
        return s

    def korean(self):
        out = []
        for _ in range(self.n(2, 14)):
            if self.chance(0.7):
                w = self.pick(HANGUL_WORDS)
            else:
                w = "".join(chr(self.n(0xAC00, 0xD7A3)) for _ in range(self.n(1, 4)))
            if self.chance(0.5):
                w += self.pick(KO_PARTICLES)
            if self.chance(0.08):
                w = self.pick(["AI", "GPU", "Llama", "3.1", "2024년", "10개", "API"]) + self.pick(["", "를", "의", "에서"])
            out.append(w)
        s = " ".join(out) + self.pick([".", "?", "!", "요.", "다.", "…", "~"])
        if self.chance(0.15):
            s += self.pick(["\n", "\n\n", " ㅋㅋㅋ", " ㅎㅎ", " ^^"])
        if self.chance(0.05):  # conjoining jamo (decomposed Hangul)
            s += "".join(chr(self.n(0x1100, 0x1112)) + chr(self.n(0x1161, 0x1175)) for _ in range(self.n(1, 3)))
        return s

    def chinese(self):
        s = ""
        for _ in range(self.n(1, 4)):
            s += "".join(self.pick(CJK_COMMON) for _ in range(self.n(3, 25)))
            if self.chance(0.15):
                s += self.pick(["Python", "GPU", " AI ", "2024年", "3.1版", "100%", "Llama 3"])
            s += self.pick(CJK_PUNCT)
        if self.chance(0.1):
            s = "“" + s + "”"
        return s

    def japanese(self):
        s = ""
        for _ in range(self.n(2, 10)):
            k = self.r.random()
            if k < 0.4:
                s += self.pick(JA_WORDS)
            elif k < 0.6:
                s += "".join(self.pick(HIRAGANA) for _ in range(self.n(1, 5)))
            elif k < 0.75:
                s += "".join(self.pick(KATAKANA) for _ in range(self.n(2, 6)))
            else:
                s += "".join(self.pick(CJK_COMMON) for _ in range(self.n(1, 3)))
            s += self.pick(JA_PARTICLES) if self.chance(0.6) else ""
            if self.chance(0.2):
                s += self.pick(JA_PUNCT)
        return s + self.pick(["。", "！", "？", "", "。\n"])

    def other_script(self):
        name = self.pick(sorted(SCRIPTS))
        letters, marks, digits, punct = SCRIPTS[name]
        words = []
        for _ in range(self.n(1, 12)):
            w = ""
            for _ in range(self.n(1, 8)):
                w += self.pick(letters)
                if marks and self.chance(0.35):
                    w += self.pick(marks)
            if digits and self.chance(0.1):
                w = "".join(self.pick(digits) for _ in range(self.n(1, 6)))
            if self.chance(0.1):
                w += self.pick(punct)
            words.append(w)
        s = " ".join(words)
        if name in ("arabic", "hebrew", "persian") and self.chance(0.2):
            s = self.pick(["\u200f", "\u200e", "\u202b", "\u2067"]) + s + self.pick(["\u202c", "\u2069", ""])
        return s

    def ident(self):
        base = self.pick(["x", "i", "buf", "count", "tokenize", "merge_rank", "MAX_LEN", "self", "argv", "ids",
                          "TokenState", "_private", "__init__", "n2", "utf8_len", "json_obj", "값", "变量"])
        if self.chance(0.3):
            base += "_" + self.pick(["a", "len", "2", "out", "next"])
        return base

    def code_python(self):
        ind = self.pick(["    ", "  ", "\t"])
        lines = [f"def {self.ident()}({self.ident()}, {self.ident()}=None):"]
        lines.append(f'{ind}"""{self.en_sentence()}"""')
        for _ in range(self.n(1, 6)):
            k = self.n(0, 5)
            if k == 0:
                lines.append(f"{ind}for {self.ident()} in range({self.n(0, 1000)}):")
                lines.append(f"{ind}{ind}{self.ident()} += {self.ident()}[{self.n(-3, 30)}]")
            elif k == 1:
                lines.append(f"{ind}if {self.ident()} is not None and len({self.ident()}) >= {self.n(0, 99)}:")
                lines.append(f"{ind}{ind}raise ValueError(f\"bad {{{self.ident()}!r}}: it's {self.n(0, 9)}\")")
            elif k == 2:
                lines.append(f"{ind}{self.ident()} = {{'key': [{self.n(0, 9)}, {self.n(0, 99)}.{self.n(0, 99)}], \"s\": '\\n'}}")
            elif k == 3:
                lines.append(f"{ind}# {self.en_sentence()}")
            elif k == 4:
                lines.append("")
            else:
                lines.append(f"{ind}return {self.ident()} ** 2 // {self.n(1, 7)} if {self.ident()} else -{self.n(0, 5)}")
        s = "\n".join(lines)
        if self.chance(0.3):
            s = "```python\n" + s + "\n```"
        return s

    def code_c(self):
        ind = self.pick(["    ", "\t", "  "])
        lines = [f"static int {self.ident()}(const char *{self.ident()}, size_t n)", "{"]
        for _ in range(self.n(1, 6)):
            k = self.n(0, 4)
            if k == 0:
                lines.append(f"{ind}for (size_t i = 0; i < n; i++) {{")
                lines.append(f"{ind}{ind}if (s[i] == '\\\\' || s[i] == '\"') return -{self.n(1, 9)};")
                lines.append(f"{ind}}}")
            elif k == 1:
                lines.append(f"{ind}/* {self.en_sentence()} */")
            elif k == 2:
                lines.append(f"{ind}uint32_t {self.ident()} = 0x{self.n(0, 0xFFFFFF):X}u >> {self.n(0, 31)};")
            elif k == 3:
                lines.append(f"{ind}printf(\"%zu\\n\", n);\t// {self.pick(EN_WORDS)}")
            else:
                lines.append(f"#define {self.ident().upper()} ({self.n(0, 4096)})")
        lines.append(f"{ind}return 0;")
        lines.append("}")
        return "\n".join(lines) + self.pick(["", "\n", "\n\n"])

    def code_json(self):
        obj = {}
        for _ in range(self.n(1, 6)):
            k = self.ident()
            v = self.pick([self.n(-1000, 10 ** 9), self.en_sentence(), None, True, [self.n(0, 9), "x"],
                           {"nested": self.n(0, 99)}, 3.25, self.korean()])
            obj[k] = v
        indent = self.pick([None, 2, 4, "\t"])
        return json.dumps(obj, ensure_ascii=self.chance(0.3), indent=indent)

    def code_shell(self):
        lines = ["#!/usr/bin/env bash", "set -euo pipefail"]
        for _ in range(self.n(1, 5)):
            k = self.n(0, 3)
            if k == 0:
                lines.append(f"for f in *.jsonl; do\n\tllamafmt -t tokens --tokenizer \"$f\" > \"${{f%.jsonl}}.{self.n(0, 9)}\"\ndone")
            elif k == 1:
                lines.append(f"if [ \"${{{self.ident().upper()}:-}}\" != '' ]; then echo ok; fi  # {self.pick(EN_WORDS)}")
            elif k == 2:
                lines.append(f"grep -E '^[a-z]{{{self.n(1, 5)},}}$' input.txt | sort | uniq -c | head -n {self.n(1, 50)}")
            else:
                lines.append(f"export PATH=\"$HOME/.local/bin:$PATH\"; cd /tmp && ls -la | awk '{{print $5}}'")
        return "\n".join(lines) + "\n"

    def code(self):
        return self.pick([self.code_python, self.code_c, self.code_json, self.code_shell])()

    def emoji(self):
        out = []
        for _ in range(self.n(1, 8)):
            k = self.n(0, 6)
            if k == 0:
                out.append(self.pick(EMOJI_BASE))
            elif k == 1:
                out.append(self.pick(["👍", "👋", "🙏", "🧑", "👩", "👨", "🧒", "✊", "💪"]) + self.pick(SKIN))
            elif k == 2:
                out.append(self.pick(ZWJ_SEQ))
            elif k == 3:
                out.append(self.pick(FLAGS))
            elif k == 4:
                out.append(self.pick(KEYCAPS))
            elif k == 5:
                out.append(self.pick(SYMBOLS_VS))
            else:
                out.append(self.pick(EN_WORDS))
        sep = self.pick(["", " ", "", "\n"])
        s = sep.join(out)
        if self.chance(0.3):
            s = self.en_sentence() + " " + s
        return s

    def digits(self):
        k = self.n(0, 9)
        if k <= 2:
            return "".join(str(self.n(0, 9)) for _ in range(self.n(1, 20)))
        if k == 3:
            return self.pick(["v", "x", "abc", "id", "Llama", "", "gpt", "rfc"]) + \
                "".join(str(self.n(0, 9)) for _ in range(self.n(1, 12))) + self.pick(["", "rd", "th", "px", "kg", "ab"])
        if k == 4:
            return self.pick(["", "$", "€", "-", "+", "~", "#"]) + f"{self.n(0, 10 ** self.n(1, 9)):,}" + \
                self.pick(["", ".", ".00", "%", " USD", "원", "円"])
        if k == 5:
            return f"{self.n(0, 99)}.{self.n(0, 99)}.{self.n(0, 999)}" + self.pick(["", "-rc1", "b2", " "])
        if k == 6:
            return "".join(self.pick(OTHER_DIGITS) for _ in range(self.n(1, 10))) + self.pick(["", " ", "x", "年"])
        if k == 7:
            return f"{self.n(1900, 2100)}-{self.n(1, 12):02d}-{self.n(1, 28):02d}T{self.n(0, 23):02d}:{self.n(0, 59):02d}" + \
                self.pick(["Z", "+09:00", ""])
        if k == 8:
            return " ".join(str(self.n(0, 10 ** self.n(0, 8))) for _ in range(self.n(2, 8)))
        return "0x" + "".join(self.pick("0123456789abcdefABCDEF") for _ in range(self.n(1, 16))) + \
            self.pick(["", "ULL", " ", "\n"])

    def whitespace(self):
        k = self.n(0, 7)
        pool = WHITE_SPACE + NOT_WHITE_SPACE + [" "] * 6 + ["\r\n"] * 3 + ["\t"] * 3
        if k == 0:
            return "".join(self.pick(pool) for _ in range(self.n(1, 12)))
        if k == 1:
            return self.pick(EN_WORDS) + "".join(self.pick(pool) for _ in range(self.n(1, 8))) + self.pick(EN_WORDS)
        if k == 2:
            return "".join(self.pick(pool) for _ in range(self.n(1, 6))) + self.pick(EN_WORDS + HANGUL_WORDS) + \
                "".join(self.pick(pool) for _ in range(self.n(0, 6)))
        if k == 3:
            return " " * self.n(1, 40) + self.pick(["x", "\n", "", "!", "1"]) + " " * self.n(0, 20)
        if k == 4:
            return self.pick(["\n", "\r\n", "\r", "\n\n", "\t\n", " \n"]) * self.n(1, 8) + self.pick(["", "a", " b", "\t"])
        if k == 5:
            w = self.pick(WHITE_SPACE + NOT_WHITE_SPACE)
            return self.pick(["", "a", "한", "1", ".", "😀"]) + w * self.n(1, 4) + self.pick(["", "b", "字", "2", ",", "\n"])
        if k == 6:
            return self.en_sentence().replace(" ", self.pick(WHITE_SPACE + NOT_WHITE_SPACE))
        return "\t" * self.n(1, 6) + self.pick(EN_WORDS) + self.pick(["\n", "\r\n", "\r"]) + "\t" * self.n(0, 3)

    def contractions(self):
        out = []
        for _ in range(self.n(1, 6)):
            tail = self.pick(CONTRACTION_TAILS)
            case = self.n(0, 3)
            if case == 1:
                tail = tail.upper()
            elif case == 2:
                tail = tail[:1].upper() + tail[1:]
            elif case == 3:
                tail = "".join(c.upper() if self.chance(0.5) else c for c in tail)
            if self.chance(0.1):
                tail = tail.replace("s", "\u017f").replace("S", "\u017f")
            if self.chance(0.03):
                tail = self.pick(["\ufb05", "\ufb06", "\u212a", "\u0130", "\u0131"])
            head = self.pick(["it", "IT", "we", "You", "they", "He", "I", "she", "", "don", "won", "Bob", "1990",
                              " ", "l", "'", "한국", "x"])
            word = head + self.pick(APOS) + tail
            if self.chance(0.3):
                word += self.pick(["", "s", "ve", "ll", "tle", " ", "d'", "'", "!"])
            out.append(word)
        return self.pick([" ", "", "\n"]).join(out) + self.pick(["", ".", "?", "\n"])

    def punct_newlines(self):
        s = ""
        for _ in range(self.n(1, 5)):
            if self.chance(0.5):
                s += self.pick(EN_WORDS + HANGUL_WORDS + JA_WORDS)
            s += self.pick(["", " "]) + "".join(self.pick(PUNCT_RUN_CHARS) for _ in range(self.n(1, 7)))
            s += self.pick(["\n", "\r\n", "\r", "\n\n", "\n\r\n", "\r\r", "", " \n", "\n\t"])
        return s

    def mixed(self):
        parts = []
        for _ in range(self.n(2, 6)):
            f = self.pick([self.en_sentence, self.korean, self.chinese, self.japanese, self.other_script, self.emoji,
                           self.digits, self.contractions, self.punct_newlines])
            parts.append(f())
        return self.pick(["", " ", "\n", "\t", "　"]).join(parts)

    def edges(self):
        base = self.pick([self.en_sentence, self.korean, self.chinese, self.digits, self.emoji, self.contractions])()
        lead = self.pick(["", " ", "  ", "\t", "\n", "\u3000", "\xa0", " \n", "\r\n "])
        trail = self.pick(["", " ", "   ", "\t", "\n", "\n\n", "\u3000", "\xa0", " \r\n", "\n "])
        if lead == "" and trail == "":
            lead = " "
        return lead + base + trail

    def special_text(self):
        name = self.pick(SPECIAL_NAMES)
        k = self.n(0, 6)
        if k == 0:
            return name
        if k == 1:
            return self.en_sentence() + self.pick(["", " ", "\n"]) + name + self.pick(["", " ", "\n"]) + self.en_sentence()
        if k == 2:
            return name + self.pick(SPECIAL_NAMES) + self.pick(["", "assistant", "\n\n"])
        if k == 3:  # partial or broken spellings
            return self.pick(["<|", "|>", "<|eot_id", "eot_id|>", "< |eot_id|>", "<|EOT_ID|>", "<||>", "<|eot_id|",
                              "<<|eot_id|>>", "<|start_header_id|>user<|end_header_id|>\n\n"]) + self.pick(["", " x", "\n"])
        if k == 4:
            return self.korean() + name
        if k == 5:
            return f"<|start_header_id|>{self.pick(['user', 'assistant', 'system', 'ipython'])}<|end_header_id|>\n\n" + \
                self.en_sentence() + "<|eot_id|>"
        return " " + name + " " + name[:self.n(1, len(name) - 1)]

    def random_unicode(self):
        out = []
        for _ in range(self.n(1, 24)):
            lo, hi = self.pick(UNICODE_BLOCKS)
            cp = self.n(lo, hi)
            if 0xD800 <= cp <= 0xDFFF or cp == 0:
                cp = 0xFFFD
            out.append(chr(cp))
            if self.chance(0.1):
                out.append(self.pick([" ", "\n", "a", "1", "'s", "  "]))
        return "".join(out)

    def long(self):
        target = self.n(2000, 9000)
        parts = []
        size = 0
        while size < target:
            p = self.pick([self.english, self.english, self.korean, self.code, self.chinese, self.japanese, self.emoji,
                           self.digits, self.whitespace, self.mixed, self.punct_newlines])()
            parts.append(p)
            size += len(p.encode("utf-8")) + 1
        return self.pick(["\n", "\n\n", " "]).join(parts)


# (name, count): about 27,000 strings, plus fixed_strings().
CATEGORIES = [
    ("english", 2000), ("korean", 2000), ("chinese", 1500), ("japanese", 1500), ("other_script", 2500),
    ("code", 2000), ("emoji", 1500), ("digits", 2500), ("whitespace", 3000), ("contractions", 2000),
    ("punct_newlines", 1200), ("mixed", 1200), ("edges", 1000), ("special_text", 600), ("random_unicode", 2500),
    ("long", 30),
]

# Fixed strings, always present first: each White_Space code point alone, in
# runs and between words; the apostrophe and case corner cases.
def fixed_strings():
    out = [" ", "  ", "\n", "\r\n", "\r", "\t", "a", "'s", "'S", "'ſ", "’s", "'ll", "'LL", "'Ll", "'lL", "'re",
           "'RE", "'VE", "'ve", "'d", "'D", "'m", "'M", "'t", "'T", "don't", "DON'T", "I'M", "we'Re", "'", "''s",
           "<|eot_id|>", "<|begin_of_text|>", "<|begin_of_text|>Hello<|eot_id|>", "\ufeff", "\ufeffhello",
           "\x85", "a\x85b", "a \x85b", "\u200b", "\u2028", "\u2029", "\u3000", "\u3000\u3000a",
           "1", "12", "123", "1234", "12345678901234567890", "a1", "1a", "a 1 b", "Hello world", " Hello",
           "Hello ", "\n\n\nx", "x\n\n\n", "!!!\n", "...\r\n\r\n", "?)\n\n"]
    for w in WHITE_SPACE + NOT_WHITE_SPACE:
        out += [w, w * 3, "a" + w + "b", "a" + w * 2 + "b", w + "a", "a" + w, "." + w + "\n", w + "'s", "1" + w + "2"]
    return out


def generate(seed):
    g = Gen(seed)
    items = fixed_strings()
    for name, count in CATEGORIES:
        f = getattr(g, name)
        items += [f() for _ in range(count)]
    for s in items:
        assert "\x00" not in s and not any(0xD800 <= ord(c) <= 0xDFFF for c in s)
    return items


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus.jsonl"))
    ap.add_argument("--seed", type=int, default=SEED)
    a = ap.parse_args()
    items = generate(a.seed)
    data = "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in items).encode("utf-8")
    tmp = a.output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, a.output)
    print(f"gen_corpus.py: {len(items)} strings, {len(data)} bytes -> {a.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
