#!/usr/bin/env python3
"""Deterministic generator of the tool-use oracle corpus `tests/corpus/tools.jsonl`.

tools.jsonl as committed (default seed; `--stats` recomputes these counts from the file):
  records 260, 573971 bytes, 2051 messages, 632 tool calls
  system message: yes 152, with Korean 38
  function specs: tools 206, custom_tools 28, into first user message 147, into system message 87
  functions per tools list (n: records): 1: 98, 2: 66, 3: 37, 4: 26, 6: 7
  builtin_tools: records 88, with tools 62, without tools 26, [] 2, incl. code_interpreter 55, distinct ordered lists 16
  tools_in_user_message: absent 88, true 73, false 99
  endings: assistant answer 196, tool call 41, add_generation_prompt + tool 11, + ipython 6, + user 6
  tool calls per record (n: records): 0: 1, 1: 103, 2: 55, 3: 41, 4: 30, 5: 13, 6: 10, 7: 5, 8: 2
  user messages per record (n: records): 1: 177, 2: 57, 3: 25, 4: 1
  calls: custom 399, of which with builtin_tools defined (eom) 91, brave_search 53, wolfram_alpha 38, code_interpreter 51, built-in with 2+ args 11, with id 58
  call message content: absent 449, "" 57, string 59, null 67
  records with custom-call arguments having: nested objects/arrays (depth >= 3) 90, Korean keys 89, floats 99, 25-digit integers 33, booleans 91, null 74, strings needing escapes 65, empty {} 11
  results: role tool 397, role ipython 194, string 301, object 156, list 39, integer 29, float 29, bool 21, null 16
  specs: Korean name 81, Japanese name 40
  records whose specs have: enums 178, nested empty {} / [] 89, quotes 135, backslashes 100, newlines 22, '<' 46, '&' 65, U+2028 49, emoji 41
  lines with number literals: floats 188, 1E2 (upper-case E) 79, trailing-zero fraction (2.50 ...) 95, exponent with sign or leading zero (1e-05, 1e+16) 116, -0.0 56, -0 (integer) 44, negative integers 104, 25-digit integers 93
  line encoding: ensure_ascii=True 91, compact separators 138, default separators 122, messages with role not first 251, date_string 1

Standard library only (runs with Debian's /usr/bin/python3 3.11).  Same seed -> same bytes.

    gen_tools_corpus.py                      # writes tools.jsonl next to this script (seed 20240723)
    gen_tools_corpus.py --seed 7 -o x.jsonl --records 1000
    gen_tools_corpus.py --stats [FILE]       # feature counts of an existing file (the block above)

Every record is a conversation in the OpenAI/HF `messages` shape with tool use, one JSON object per
line.  The oracle (shared/reference/render.py) renders every record without an error, and every
record is valid for a strict converter in training mode; `validate()` checks these rules and the
generator fails loudly if one is broken:
  * roles system/user/assistant/tool/ipython; a system message only first; the first message after
    the optional system message is a user message;
  * record-level `tools` (or its alias `custom_tools`, never both): a non-empty list of OpenAI
    function specs {"type": "function", "function": {"name", "description", "parameters"}};
    `builtin_tools` (a list, subset of brave_search / wolfram_alpha / code_interpreter in any
    order) on ~35% of records, with or without `tools`; every record has one of the two;
    `tools_in_user_message` absent (template default true), true or false (~40% false);
  * an assistant message either has string `content`, or `tool_calls` with EXACTLY one call
    {"type": "function", "function": {"name", "arguments": {object}}} (`content` then absent, "",
    a string or null -- the template drops it).  A built-in call (name in builtin_tools) has only
    string argument values (the template concatenates them raw); any other call names a function
    of `tools` and its arguments are any JSON object;
  * every tool call except a record's last message is followed by exactly one result (role `tool`
    or `ipython`; content a string, object, list, integer, float, bool or null), and every result
    follows a call;
  * the last message is an assistant message (an answer, or a tool call), except in records with
    "add_generation_prompt": true (~10%), which end with a tool result or a user message;
  * a few optional keys the template ignores: "name" and "tool_call_id" on results, "id" on calls
    (the result then carries the same tool_call_id), "id" and "date_string" on records; one record
    offers tools that are never called;
  * no string (content, key, spec, argument) contains special-token text (`<|` + a Llama 3.1
    special token name + `|>`), U+0000 or a lone surrogate.

Numbers are written with chosen literals (`1E2`, `2.50`, `-0.0`, `-0`, `1e-05`, `1e+16`,
25-digit integers, ...) by the generator's own encoder; every line round-trips through json.loads
to the intended value (int/float kind and the sign of -0.0 included).  Lines are encoded
~30% ensure_ascii=True, half with compact separators; key order inside records, messages, calls
and specs varies (tojson keeps input order, so this changes the rendered text).
"""

import argparse
import json
import os
import random
import re
import sys

DEFAULT_SEED = 20240723
DEFAULT_RECORDS = 260
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUTPUT = os.path.join(HERE, "tools.jsonl")

BUILTINS = ["brave_search", "wolfram_alpha", "code_interpreter"]

SPECIAL_RE = re.compile(
    r"<\|(?:begin_of_text|end_of_text|start_header_id|end_header_id|eom_id|eot_id|python_tag"
    r"|finetune_right_pad_id|step_id|image|reserved_special_token_[0-9]+)\|>"
)


# --------------------------------------------------------------------------------------------
# numbers written with a chosen literal

class Num:
    """A JSON number written exactly as `text`; `value` is what json.loads gives for it."""
    __slots__ = ("text", "value")

    def __init__(self, text):
        value = json.loads(text)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value \
                or value in (float("inf"), float("-inf")):
            raise ValueError("bad number literal %r" % text)
        self.text = text
        self.value = value


# floats: (literal, what Python's repr -- i.e. the oracle's tojson/str -- prints) noted for reference
FLOAT_LITS = [
    "1.0",            # 1.0
    "0.5",            # 0.5
    "1e-05",          # 1e-05
    "1e+16",          # 1e+16
    "2.50",           # 2.5
    "1E2",            # 100.0
    "-0.0",           # -0.0
    "0.1",            # 0.1
    "3.0e-7",         # 3e-07
    "1E-7",           # 1e-07
    "1e21",           # 1e+21
    "1e15",           # 1000000000000000.0
    "9.81",           # 9.81
    "-273.15",        # -273.15
    "0.30000000000000004",
    "123456789.123456789",  # 123456789.12345679
    "9007199254740993.0",   # 9007199254740992.0
    "6.02214076e23",  # 6.02214076e+23
    "1.5E+3",         # 1500.0
    "0.0001",         # 0.0001
    "0.00001",        # 1e-05
    "1.7976931348623157e308",
    "5e-324",
    "2.2250738585072014e-308",
    "-1.5e-10",       # -1.5e-10
    "100.0",
    "0e0",            # 0.0
    "12345678901234567890.0",  # 1.2345678901234567e+19
    "37.5665",
    "126.9780",       # 126.978
]
INT_LITS = [
    "0", "1", "-1", "42", "100", "-0", "2147483648", "-2147483649", "9007199254740993",
    "18446744073709551616", "-9223372036854775809",
    "1234567890123456789012345",    # 25 digits
    "-9999999999999999999999999",   # 25 digits, negative
    "1000000000000000000000000",    # 25 digits
    "365", "-40", "65535",
]
HUGE_INTS = ["1234567890123456789012345", "-9999999999999999999999999", "1000000000000000000000000"]


def fnum(rng):
    return Num(rng.choice(FLOAT_LITS))


def inum(rng):
    return Num(rng.choice(INT_LITS))


def anynum(rng):
    return fnum(rng) if rng.random() < 0.6 else inum(rng)


def plain(v):
    """The Python value json.loads gives for v (Num -> its value)."""
    if isinstance(v, Num):
        return v.value
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def same(a, b):
    """Strict equality: same types (int vs float vs bool), float bits via repr, key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return repr(a) == repr(b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


# --------------------------------------------------------------------------------------------
# text pools (written for this corpus)

TRICKY = [
    'Use "double quotes" and \'single quotes\' freely.',
    "Windows path: C:\\Users\\김철수\\Documents\\report.txt",
    "Line one\nLine two\n\tindented line",
    "Regex: ^\\d{3}-\\d{4}$ matches 555-1234; \\bword\\b too.",
    "HTML: <b>bold</b> & <i>italic</i>, &amp; &lt;tag&gt; stay as written.",
    "<script>alert(\"x\")</script> must never be executed.",
    "Line\u2028separator and paragraph\u2029separator are kept.",
    "NEL\x85inside and a no-break\xa0space.",
    "Emoji: 🌧️☔ 👩‍💻 🇰🇷🇯🇵 👍🏽 🫠",
    "Tab\tseparated\tvalues",
    "Escapes shown as text: \\n \\t \\u00e9 \\\" and a lone \\",
    "Control characters: \x1f (unit separator), \x7f (DEL), \x08 (backspace), \x1b[0m.",
    "Math: x² + y² ≤ r², ∑ 𝑥ᵢ / n ≈ 0.5",
    "JSON inside: {\"key\": [1, 2.0, null], \"ok\": true}",
    "「かぎ括弧」と『二重かぎ括弧』、全角スペース\u3000あり。",
    "따옴표 \"큰\" 그리고 '작은', 역슬래시 \\ 하나.",
    "Slashes: / // \\\\ and a URL https://example.com/a?b=1&c=2#frag",
    "Not a token: <| eot_id |> and <eot_id> are plain text.",
    "Braces {like_this} and [brackets] and a trailing backslash \\",
    "Zero-width: a\u200bb, BOM\ufeffinside, word\u2060joiner.",
]

SYSTEM_EN = [
    "You are a helpful assistant with access to tools. Call a tool only when it is needed.",
    "You are a travel assistant. Answer briefly.",
    "You are a careful data analyst. Show numbers with units.",
    "  You are a customer-support bot for an online shop.\n",
    "Always answer in the user's language. Never invent tool results.",
    "You are a coding assistant. Prefer running code over guessing.\n\nBe concise.",
]
SYSTEM_KO = [
    "당신은 도구를 사용할 수 있는 친절한 비서입니다. 필요할 때만 함수를 호출하세요.",
    "항상 존댓말로 답하고, 도구 결과를 그대로 믿지 말고 한 번 더 확인하세요.",
    "  당신은 여행 도우미입니다. 날씨와 환율 정보를 정확하게 알려 주세요.\n\n",
    "시스템: 한국어로 답변하되, 숫자는 아라비아 숫자로 쓰세요. \"따옴표\"도 그대로 두세요.",
]
SYSTEM_JA = [
    "あなたはツールを使えるアシスタントです。必要なときだけ関数を呼び出してください。",
]

GENERIC_ASKS = [
    "Can you help me with this?",
    "도와주실 수 있나요?",
    "これを調べてもらえますか？",
    "Please check that for me.",
    "이거 좀 확인해 줘.",
]
FOLLOWUPS = [
    "Thanks! One more thing:",
    "고마워요. 하나만 더 물어볼게요.",
    "ありがとう。もう一つお願いします。",
    "Great, and what about this?",
    "좋아요. 그럼 이것도 알려 주세요.",
    "   And one more, please.   ",
]
CALL_PREFACES = [
    "Let me check.",
    "확인해 볼게요.",
    "少々お待ちください。",
    "I'll look that up with a tool.",
    "\n",
    "Calling the function now: {\"step\": 1}",
]
CLOSINGS = [
    "Let me know if you need anything else.",
    "더 궁금한 점이 있으면 말씀해 주세요.",
    "他に何かあればどうぞ。",
    "Hope that helps! 😊",
    "",
]

CITIES = ["Seoul", "서울", "부산", "Busan, South Korea", "東京", "大阪市", "Paris, France", "San Francisco, CA",
          "São Paulo", "Zürich", "제주시", "Reykjavík"]
WORDS = ["alpha", "데이터", "テスト", "report-2024", "Q3 summary", "김철수", "item #42", "naïve café",
         "snake_case_key", "CamelCase", "x", ""]


# --------------------------------------------------------------------------------------------
# function specs: each builder returns (spec, asks, answers)

def describe(rng, text):
    """Sometimes append a tricky string to a description."""
    if rng.random() < 0.3:
        return text + " " + rng.choice(TRICKY)
    return text


def fn_spec(rng, name, description, parameters):
    fn_keys = [("name", name), ("description", description), ("parameters", parameters)]
    if rng.random() < 0.2:
        rng.shuffle(fn_keys)
    fn = dict(fn_keys)
    if rng.random() < 0.8:
        return {"type": "function", "function": fn}
    return {"function": fn, "type": "function"}


def obj(properties, required=None, **extra):
    schema = {"type": "object", "properties": properties}
    if required is not None:
        schema["required"] = required
    schema.update(extra)
    return schema


def t_weather(rng):
    unit = {"type": "string", "enum": ["celsius", "fahrenheit", "kelvin"], "default": "celsius"}
    days = {"type": "integer", "minimum": Num("1"), "maximum": Num(rng.choice(["14", "16", "365"])),
            "default": Num("3")}
    params = obj({
        "location": {"type": "string", "description": describe(rng, 'The city, in the format "City, Country".')},
        "unit": unit,
        "days": days,
    }, ["location"])
    return (fn_spec(rng, "get_current_weather", "Get the current weather and a forecast for a location.", params),
            ["What's the weather like in Paris right now?", "Will it rain in San Francisco this week?",
             "Weather in Zürich for the next 3 days, in kelvin please."],
            ["It is 22.5 °C and sunny in Paris.", "Light rain is expected on Thursday; otherwise clear.",
             "The forecast is mild: 281.2 K to 290.4 K."])


def t_weather_ko(rng):
    params = obj({
        "도시": {"type": "string", "description": "도시 이름 (예: \"서울\", \"부산\")"},
        "단위": {"type": "string", "enum": ["섭씨", "화씨"], "default": "섭씨"},
        "상세": {"type": "boolean", "default": False, "description": describe(rng, "시간별 예보 포함 여부")},
    }, ["도시"])
    return (fn_spec(rng, "날씨_조회", "도시의 현재 날씨를 알려줍니다.", params),
            ["부산 날씨 어때?", "내일 서울에 비 와요?", "제주시 날씨를 시간별로 알려 주세요."],
            ["부산은 맑고 21도입니다.", "내일 서울은 오후부터 비가 올 예정이에요. 우산 챙기세요! ☔",
             "제주시는 오전 18도, 오후 23도로 예상됩니다."])


def t_products(rng):
    params = obj({
        "query": {"type": "string", "description": "Free-text search query."},
        "filters": obj({
            "price_min": {"type": "number", "minimum": Num("0"), "default": fnum(rng)},
            "price_max": {"type": "number", "maximum": Num(rng.choice(["1e+16", "1E6", "99999.99"]))},
            "categories": {"type": "array", "items": {"type": "string",
                                                       "enum": ["books", "electronics", "가전", "食品"]},
                           "uniqueItems": True},
            "in_stock": {"type": "boolean"},
            "rating": obj({"min": {"type": "number", "minimum": Num("0.0"), "maximum": Num("5")},
                           "count_at_least": {"type": "integer", "default": Num("10")}}),
        }, description=describe(rng, "Optional filters; all of them are combined with AND.")),
        "sort": {"type": "string", "enum": ["relevance", "price_asc", "price_desc", "newest"]},
        "limit": {"type": "integer", "minimum": Num("1"), "maximum": Num("100"), "default": Num("20")},
    }, ["query"])
    return (fn_spec(rng, "search_products", "Search the product catalogue & return matching items.", params),
            ["Find me a cheap e-reader that's in stock.", "노트북 거치대 중에 평점 좋은 거 찾아 줘.",
             "Show the newest books under $20."],
            ["I found 3 e-readers in stock; the cheapest is $89.99.", "평점 4.5 이상인 거치대 2개를 찾았어요.",
             "Here are the newest books under $20: \"Dune\" and \"Pachinko\"."])


def t_exchange(rng):
    currencies = ["KRW", "USD", "JPY", "EUR", "GBP"]
    params = obj({
        "금액": {"type": "number", "exclusiveMinimum": Num("0"), "description": "변환할 금액"},
        "원래_통화": {"type": "string", "enum": currencies},
        "대상_통화": {"type": "string", "enum": currencies},
        "소수점_자리": {"type": "integer", "default": Num("2"), "minimum": Num("0"), "maximum": Num("8")},
    }, ["금액", "원래_통화", "대상_통화"])
    return (fn_spec(rng, "환율_변환", describe(rng, "금액을 다른 통화로 변환합니다. 환율은 실시간입니다."), params),
            ["100달러는 원화로 얼마예요?", "5만 엔을 유로로 바꾸면?", "Convert 250 EUR to KRW."],
            ["100달러는 약 138,000원입니다.", "5만 엔은 약 305유로예요.", "250 EUR is about 370,500 KRW."])


def t_weather_ja(rng):
    params = obj({
        "都市": {"type": "string", "description": "都市名（例：「東京」）"},
        "日付": {"type": "string", "format": "date", "description": describe(rng, "YYYY-MM-DD 形式")},
    }, ["都市"])
    return (fn_spec(rng, "天気を調べる", "指定した都市と日付の天気予報を返します。", params),
            ["明日の東京の天気は？", "大阪市の週末の天気を教えてください。"],
            ["明日の東京は晴れ、最高気温は31度です。", "大阪市の週末は曇りのち雨の予報です。"])


def t_restaurant_ja(rng):
    params = obj({
        "エリア": {"type": "string"},
        "予算": obj({"最小": {"type": "integer", "minimum": Num("0")},
                    "最大": {"type": "integer", "maximum": Num(rng.choice(HUGE_INTS[:1] + ["100000"]))}},
                   description="円単位"),
        "ジャンル": {"type": "array", "items": {"type": "string", "enum": ["和食", "中華", "イタリアン", "焼肉"]}},
        "個室": {"type": "boolean", "default": True},
    }, ["エリア"])
    return (fn_spec(rng, "レストラン検索", describe(rng, "条件に合うレストランを検索します。"), params),
            ["渋谷で個室のある焼肉屋を探して。", "予算5000円以内で新宿の和食のお店は？"],
            ["渋谷で個室のある焼肉店を2軒見つけました。", "新宿に予算内の和食店が3軒あります。"])


def t_calendar(rng):
    attendee = obj({"email": {"type": "string", "format": "email"},
                    "optional": {"type": "boolean", "default": False},
                    "name": {"type": ["string", "null"]}}, ["email"])
    params = obj({
        "title": {"type": "string", "description": describe(rng, "Event title shown in the calendar.")},
        "start": {"type": "string", "format": "date-time"},
        "duration_minutes": {"type": "integer", "minimum": Num("5"), "maximum": Num("1440"),
                             "default": Num("30")},
        "attendees": {"type": "array", "items": attendee, "default": []},
        "reminders": {"type": "array", "items": {"type": "integer"}, "default": [Num("10"), Num("60")]},
        "recurrence": {"type": ["object", "null"], "properties": {
            "freq": {"type": "string", "enum": ["daily", "weekly", "monthly"]},
            "count": {"type": "integer"}}, "default": None},
    }, ["title", "start"])
    return (fn_spec(rng, "create_calendar_event", "Create an event in the user's calendar.", params),
            ["Schedule a 1:1 with Mina tomorrow at 3pm.", "매주 월요일 오전 10시에 팀 회의 잡아 줘.",
             "Book a 45-minute review on 2024-08-01 at 09:30 with bob@example.com."],
            ["Done: \"1:1 with Mina\" is on your calendar for tomorrow at 15:00.",
             "매주 월요일 10시 팀 회의를 등록했어요.", "The review is booked for 2024-08-01 09:30-10:15."])


def t_sql(rng):
    params = obj({
        "query": {"type": "string",
                  "description": "A read-only SQL statement, e.g. SELECT name FROM users WHERE note LIKE '%\\_%' "
                                 "ESCAPE '\\'; use \"double quotes\" for identifiers."},
        "params": {"type": "array", "items": {"type": ["string", "number", "boolean", "null"]}},
        "timeout_s": {"type": "number", "default": Num("2.50"), "minimum": Num("0.5"),
                      "maximum": Num(rng.choice(["1E2", "100.0", "1e+16"]))},
    }, ["query"])
    return (fn_spec(rng, "run_sql_query", describe(rng, "Run a SQL query against the analytics database."), params),
            ["How many users signed up last week?", "지난달 매출 상위 5개 상품은?",
             "Count orders where status = 'refunded'."],
            ["1,284 users signed up last week.", "상위 5개 상품은 A, B, C, D, E입니다.",
             "There are 37 refunded orders."])


def t_email(rng):
    params = obj({
        "to": {"type": "array", "items": {"type": "string", "format": "email"}, "minItems": Num("1")},
        "subject": {"type": "string"},
        "body": {"type": "string", "description": "Plain text or HTML.\nHTML example: <p>Hi &amp; welcome</p>\n"
                                                  "Line breaks\u2028inside are kept."},
        "html": {"type": "boolean", "default": False},
        "cc": {"type": "array", "items": {"type": "string"}, "default": []},
    }, ["to", "subject", "body"])
    return (fn_spec(rng, "send_email", "Send an e-mail on behalf of the user.", params),
            ["Email the team that the release is delayed.", "민수에게 회의록 메일 보내 줘.",
             "Send alice@example.com a short thank-you note."],
            ["The e-mail has been sent to the team.", "민수에게 회의록을 보냈어요.", "Sent! ✉️"])


def t_stats(rng):
    params = obj({
        "values": {"type": "array", "items": {"type": "number"}, "minItems": Num("1")},
        "percentiles": {"type": "array", "items": {"type": "number", "minimum": Num("0"), "maximum": Num("1")},
                        "default": [Num("0.5"), Num("0.9"), Num("0.99")]},
        "ddof": {"type": "integer", "default": Num(rng.choice(["0", "-0", "1"]))},
        "trim": {"type": "number", "default": Num(rng.choice(["0.0", "-0.0", "0e0"]))},
    }, ["values"])
    return (fn_spec(rng, "compute_statistics", describe(rng, "Mean, variance and percentiles of numbers."), params),
            ["What's the mean and p90 of 3, 1.5, 1e-5 and 100?", "이 숫자들의 평균이랑 표준편차 구해 줘: 1, 2, 3, 4"],
            ["The mean is 26.125 and the p90 is 70.45.", "평균은 2.5, 표준편차는 약 1.29입니다."])


def t_translate(rng):
    langs = ["ko", "en", "ja", "zh", "fr"]
    params = obj({
        "text": {"type": "string"},
        "source_lang": {"type": "string", "enum": langs + ["auto"], "default": "auto"},
        "target_lang": {"type": "string", "enum": langs},
        "formality": {"type": "string", "enum": ["formal", "informal", "존댓말", "반말"]},
        "glossary": {"type": "object", "additionalProperties": {"type": "string"}, "default": {}},
    }, ["text", "target_lang"])
    return (fn_spec(rng, "translate_text", "Translate text between languages.", params),
            ["Translate 'see you tomorrow' into Korean.", "이 문장을 일본어로 번역해 줘: 오늘 정말 즐거웠어요.",
             "「ありがとう」を英語にして。"],
            ["In Korean: 내일 봐요.", "일본어로는 「今日は本当に楽しかったです。」입니다.", "It means \"thank you\"."])


def t_schedule_ko(rng):
    params = obj({
        "제목": {"type": "string"},
        "날짜": {"type": "string", "description": "YYYY-MM-DD"},
        "시간": {"type": "string", "pattern": "^\\d{2}:\\d{2}$"},
        "참석자": {"type": "array", "items": {"type": "string"}},
        "알림": obj({"분_전": {"type": "integer", "default": Num("10"), "minimum": Num("-0")},
                   "방식": {"type": "string", "enum": ["푸시", "이메일", "문자"]}}),
    }, ["제목", "날짜"])
    return (fn_spec(rng, "일정_추가", describe(rng, "캘린더에 일정을 추가합니다."), params),
            ["다음 주 화요일 오후 2시에 치과 예약 넣어 줘.", "8월 15일에 가족 모임 일정 추가해 줘."],
            ["다음 주 화요일 14:00에 치과 일정을 추가했어요.", "8월 15일 가족 모임을 등록했습니다. 🎉"])


def t_stock(rng):
    params = obj({
        "ticker": {"type": "string", "pattern": "^[A-Z]{1,5}$|^\\d{6}$", "description": "e.g. \"AAPL\" or \"005930\""},
        "exchange": {"type": "string", "enum": ["NASDAQ", "NYSE", "KRX", "TSE"]},
        "include_history": {"type": "boolean", "default": False},
        "history_days": {"type": "integer", "minimum": Num("1"), "maximum": Num("3650"), "default": Num("30")},
    }, ["ticker"])
    return (fn_spec(rng, "get_stock_price", "Latest price of a listed stock.", params),
            ["What's AAPL trading at?", "삼성전자 주가 알려 줘.", "トヨタの株価は？"],
            ["AAPL is at $218.54.", "삼성전자는 현재 78,300원입니다.", "トヨタは2,915円です。"])


def t_physics(rng):
    params = obj({
        "mass_kg": {"type": "number", "minimum": Num("1e-05"), "maximum": Num("1e+16"), "default": Num("1.0")},
        "gravity": {"type": "number", "default": Num("9.81")},
        "steps": {"type": "integer", "minimum": Num("1"), "maximum": Num(rng.choice(HUGE_INTS[::2]))},
        "tolerance": {"type": "number", "default": Num(rng.choice(["1E-7", "3.0e-7", "5e-324"]))},
        "offset": {"type": "number", "default": Num("-0.0")},
        "scale": {"type": "number", "default": Num("1E2"), "multipleOf": Num("0.5")},
        "initial": obj({"position": {"type": "array", "items": {"type": "number"}, "minItems": Num("3"),
                                     "maxItems": Num("3"), "default": [Num("0.0"), Num("-0.0"), Num("1e21")]},
                        "velocity": {"type": "array", "items": {"type": "number"},
                                     "default": [Num("2.50"), Num("-273.15"), Num("6.02214076e23")]}}),
    }, ["mass_kg"])
    return (fn_spec(rng, "simulate_projectile", describe(rng, "Simulate a projectile; SI units."), params),
            ["Simulate a 2 kg ball thrown at 10 m/s.", "질량 0.5kg 공을 위로 던지면 얼마나 올라가요?"],
            ["It reaches 5.1 m and lands after 2.04 s.", "약 5.1미터까지 올라갑니다."])


def t_files(rng):
    params = obj({
        "path": {"type": "string", "description": "Directory, e.g. C:\\Users\\me\\Desktop or /home/me/문서"},
        "glob": {"type": "string", "default": "*.txt"},
        "recursive": {"type": "boolean", "default": True},
        "max_results": {"type": "integer", "default": Num("50"), "maximum": Num("65535")},
        "exclude": {"type": "array", "items": {"type": "string"}, "default": []},
        "options": {"type": "object", "properties": {}, "default": {}},
        "examples": {"type": "array", "items": {}, "default": [[], {}, [[]], {"a": []}, [{}]]},
    }, [])
    return (fn_spec(rng, "search_files", describe(rng, "Find files by name pattern."), params),
            ["Find all .csv files in my Downloads folder.", "문서 폴더에서 '보고서'가 들어간 파일 찾아 줘."],
            ["Found 4 CSV files in Downloads.", "'보고서'가 들어간 파일 2개를 찾았어요."])


def t_emoji(rng):
    params = obj({
        "message_id": {"type": "string"},
        "emoji": {"type": "string", "enum": ["👍", "❤️", "😂", "👩‍💻", "🇰🇷", "👍🏽", "🫠"]},
    }, ["message_id", "emoji"])
    return (fn_spec(rng, "add_reaction", "React to a chat message with an emoji 😀.", params),
            ["React with a thumbs up to the last message.", "마지막 메시지에 하트 달아 줘."],
            ["Added 👍 to the message.", "❤️ 반응을 남겼어요."])


def t_render(rng):
    params = obj({
        "template": {"type": "string", "description": "e.g. <div class=\"greeting\">Hello {{ name }} &amp; co</div>"},
        "context": {"type": "object", "additionalProperties": True},
        "escape_html": {"type": "boolean", "default": True},
    }, ["template"])
    return (fn_spec(rng, "render_html", "Render an HTML snippet with <, > and & escaped when asked.", params),
            ["Render a greeting card for Mina.", "이름이 들어간 환영 문구 HTML 만들어 줘."],
            ["Here is the rendered snippet: <div>Hello Mina &amp; co</div>", "환영 문구를 만들었어요."])


def t_ping(rng):
    params = {"type": "object", "properties": {}} if rng.random() < 0.7 else \
        {"type": "object", "properties": {}, "required": []}
    return (fn_spec(rng, "ping", "Check that the backend is reachable.", params),
            ["Is the server up?", "서버 살아 있어?"],
            ["Yes, the server answered in 12 ms.", "네, 서버가 정상 응답했어요."])


def t_geo(rng):
    params = obj({
        "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": Num("2"), "maxItems": Num("2"),
                        "default": [Num("37.5665"), Num("126.9780")]},
        "bbox": {"type": "array", "items": {"type": "array", "items": {"type": "number"}},
                 "default": [[Num("-90"), Num("-180.0")], [Num("90"), Num("180.0")]]},
        "radius_km": {"type": "number", "default": Num("1E2"), "exclusiveMaximum": Num("20037.5")},
        "kinds": {"type": "array", "items": {"type": "string", "enum": ["cafe", "subway", "편의점", "駅"]}},
    }, ["coordinates"])
    return (fn_spec(rng, "find_nearby", describe(rng, "Places near a coordinate."), params),
            ["Any cafés near 37.5665, 126.9780?", "근처에 편의점 있어?"],
            ["There are 6 cafés within 500 m.", "가장 가까운 편의점은 120m 거리에 있어요."])


def t_transfer(rng):
    params = obj({
        "amount": {"type": "integer", "minimum": Num(HUGE_INTS[1]), "maximum": Num(HUGE_INTS[0]),
                   "description": "Amount in the smallest currency unit (can be huge for test networks)."},
        "from_account": {"type": "string"},
        "to_account": {"type": "string"},
        "memo": {"type": "string", "maxLength": Num("140"),
                 "description": "Free text. Line\u2028separators and \"quotes\" are allowed."},
        "metadata": obj({"tags": {"type": "array", "items": {"type": "string"}},
                         "priority": {"type": "integer", "enum": [Num("1"), Num("2"), Num("3")]},
                         "fee": {"type": "number", "default": Num("0.5")}}),
    }, ["amount", "from_account", "to_account"])
    return (fn_spec(rng, "transfer_funds", "Move money between two of the user's accounts.", params),
            ["Move 50,000 won from savings to checking.", "Transfer the test amount to account B."],
            ["Done: 50,000 won moved to checking.", "The transfer went through."])


def t_recipe_ko(rng):
    params = obj({
        "요리명": {"type": "string"},
        "인분": {"type": "integer", "minimum": Num("1"), "default": Num("2")},
        "재료_제외": {"type": "array", "items": {"type": "string"}},
        "영양정보": obj({"칼로리_상한": {"type": "number", "default": Num("2.50e2")},
                     "나트륨_mg": {"type": ["integer", "null"]}}),
    }, ["요리명"])
    return (fn_spec(rng, "레시피_검색", "요리 레시피와 재료 목록을 찾습니다. 🍲", params),
            ["김치찌개 2인분 레시피 알려 줘.", "땅콩 빼고 만들 수 있는 팟타이 레시피 있어?"],
            ["김치찌개 2인분에는 김치 300g, 돼지고기 200g이 필요해요.", "땅콩 없이 만드는 팟타이 레시피를 찾았어요."])


TOOL_BUILDERS = [t_weather, t_weather_ko, t_products, t_exchange, t_weather_ja, t_restaurant_ja, t_calendar,
                 t_sql, t_email, t_stats, t_translate, t_schedule_ko, t_stock, t_physics, t_files, t_emoji,
                 t_render, t_ping, t_geo, t_transfer, t_recipe_ko]


# --------------------------------------------------------------------------------------------
# built-in tools

BRAVE_QUERIES = ["latest price of 1oz gold", "서울 지하철 파업 뉴스", "東京 明日の天気", 'site:example.com "exact phrase"',
                 "C++ std::vector<int> & reserve()", "Llama 3.1 release date", "부산 불꽃축제 2024 일정",
                 "rust \"borrow checker\" explained", "café près de la tour Eiffel 🗼"]
WOLFRAM_QUERIES = ["integrate x^2 sin(x) dx", "distance from Earth to Mars in km", "solve x^2 - 5x + 6 = 0",
                   "1e-5 * 3.2E+4", "서울 인구 밀도", "population of Japan / area of Japan",
                   "derivative of \\sqrt{x} at x = 4", "100 USD in KRW"]
CODE_SNIPPETS = [
    'print(1)\nprint("x")',
    "import math\nprint(math.sqrt(2))",
    'for i in range(3):\n    print(f"{i}\\t{i ** 2}")',
    'data = {"이름": "김철수", "나이": 30}\nprint(data["이름"])',
    's = "C:\\\\temp\\\\file.txt"\nprint(s.split("\\\\"))',
    'print("<b>" + "&amp;" + "</b>")',
    "x = [1, 2.50, 1E2, -0.0]\nprint(sum(x) / len(x))",
    "print('it\\'s \"quoted\"')",
    'print("🎉" * 3)\nprint(len("👩‍💻"))',
    "def fib(n):\n\treturn n if n < 2 else fib(n - 1) + fib(n - 2)\n\nprint(fib(20))",
    "print(all(7 % i for i in range(2, 7)))",
    "import json\nprint(json.dumps({\"a\": [1, {\"b\": None}]}, ensure_ascii=False))",
]
BUILTIN_ASKS = {
    "brave_search": ["Search the web for the latest price of 1oz gold.", "최신 뉴스 좀 검색해 줘.",
                     "ウェブで調べてください。"],
    "wolfram_alpha": ["What is the integral of x^2 sin(x)?", "화성까지 거리가 얼마나 돼?", "Solve x^2 - 5x + 6 = 0."],
    "code_interpreter": ["Is 7 prime? Run some code.", "파이썬으로 계산해 줘.", "Run this snippet and tell me the output."],
}
BUILTIN_ANSWERS = {
    "brave_search": ["The latest price is about 2400 USD per ounce.", "검색 결과를 요약하면 다음과 같습니다.",
                     "検索結果によると、明日は晴れです。"],
    "wolfram_alpha": ["The integral is 2x sin(x) - (x^2 - 2) cos(x) + C.", "평균 약 2억 2500만 km입니다.",
                      "x = 2 or x = 3."],
    "code_interpreter": ["Yes, 7 is prime.", "실행 결과는 위와 같습니다.", "The script printed 6765."],
}


def builtin_args(rng, name):
    if name == "code_interpreter":
        return {"code": rng.choice(CODE_SNIPPETS)}
    pool = BRAVE_QUERIES if name == "brave_search" else WOLFRAM_QUERIES
    args = {"query": rng.choice(pool) if rng.random() < 0.85 else rng.choice(TRICKY)}
    if rng.random() < 0.15:
        extra = [("count", rng.choice(["5", "10"])), ("lang", rng.choice(["ko", "en", "日本語"]))]
        args[extra[0][0]] = extra[0][1]
        if rng.random() < 0.5:
            args[extra[1][0]] = extra[1][1]
    return args


# --------------------------------------------------------------------------------------------
# argument and result values

VALUE_HINTS = {
    "location": CITIES, "도시": CITIES, "都市": ["東京", "大阪市", "札幌", "那覇"],
    "query": ["e-reader", "노트북 거치대", "SELECT count(*) FROM users WHERE created_at > now() - interval '7 days'",
              "SELECT name FROM \"Products\" WHERE note LIKE '%\\_%' ESCAPE '\\'"],
    "ticker": ["AAPL", "005930", "7203", "MSFT"],
    "email": ["bob@example.com", "mina@example.co.kr", "田中@example.jp"],
    "start": ["2024-08-01T09:30:00+09:00", "2024-07-26T15:00:00Z"],
    "날짜": ["2024-08-15", "2024-07-30"], "日付": ["2024-07-27", "2024-08-03"],
    "시간": ["14:00", "10:00"], "エリア": ["渋谷", "新宿", "梅田"], "요리명": ["김치찌개", "팟타이", "된장국"],
    "path": ["C:\\Users\\me\\Downloads", "/home/me/문서", "~/Desktop"], "glob": ["*.csv", "**/보고서*.docx"],
    "text": ["see you tomorrow", "오늘 정말 즐거웠어요.", "ありがとう", "Line 1\nLine 2 \"quoted\""],
    "template": ["<div class=\"card\">Hello {{ name }} &amp; welcome</div>", "<p>{{ 인사 }}</p>"],
    "message_id": ["msg_0001", "메시지-42"], "title": ["1:1 with Mina", "Design review ✅", "팀 회의"],
    "제목": ["치과 예약", "가족 모임"], "subject": ["Release delayed", "회의록 공유", "Thanks!"],
    "body": ["Hi all,\n\nThe release moves to Friday.\n\n-- Bob", "<p>회의록을 첨부합니다 &amp; 확인 부탁드려요.</p>"],
    "memo": ["rent 🏠", "Line\u2028break memo", "\"quoted\" memo"],
}
KEY_POOL = ["2", "1", "10", "status", "result", "items", "이름", "값", "温度", "unit", "count", "note", "data", "상태", "url",
            "score", "tags", "meta", "ok", "エラー", "nested"]
RESULT_STRINGS = [
    "22.0", "18", "True", "맑음, 21도", "晴れ、最高気温31度", "OK", "",
    "Found 3 results:\n1. A\n2. B\n3. C",
    "{\"price\": \"2400 USD\"}",
    "Error: timeout after 2.5s (retry with \"timeout_s\": 5)",
    "6765\n",
    "<b>&amp;</b>\n",
    "C:\\temp\\file.txt",
    "  leading and trailing spaces are kept  ",
]


def string_value(rng, key=None):
    if key in VALUE_HINTS and rng.random() < 0.8:
        return rng.choice(VALUE_HINTS[key])
    r = rng.random()
    if r < 0.2:
        return rng.choice(TRICKY)
    if r < 0.45:
        return rng.choice(CITIES)
    return rng.choice(WORDS)


def gen_value(rng, schema, key=None, depth=0):
    """A value for `schema` (schema-shaped, not necessarily schema-valid: the template does not care)."""
    if "enum" in schema and rng.random() < 0.9:
        return rng.choice(schema["enum"])
    t = schema.get("type")
    if isinstance(t, list):
        t = rng.choice(t)
    if t == "string":
        return string_value(rng, key)
    if t == "integer":
        return Num(str(rng.randint(-5, 500))) if rng.random() < 0.6 else inum(rng)
    if t == "number":
        r = rng.random()
        if r < 0.55:
            return fnum(rng)
        if r < 0.75:
            return rng.choice([22.5, 0.1, 1e-05, 3.14159, -0.0, 1e16, 100.0])
        return inum(rng)
    if t == "boolean":
        return rng.random() < 0.5
    if t == "null":
        return None
    if t == "array":
        items = schema.get("items", {})
        n = rng.choice([0, 1, 1, 2, 2, 3])
        if depth > 3:
            n = min(n, 1)
        return [gen_value(rng, items, key, depth + 1) if items else random_json(rng, depth + 1) for _ in range(n)]
    if t == "object":
        props = schema.get("properties", {})
        required = schema.get("required", [])
        out = {}
        for k, sub in props.items():
            if k in required or rng.random() < 0.55:
                out[k] = gen_value(rng, sub, k, depth + 1)
        if not props and schema.get("additionalProperties") and depth < 3:
            for _ in range(rng.randint(0, 3)):
                out[rng.choice(KEY_POOL)] = random_json(rng, depth + 1)
        return out
    return random_json(rng, depth + 1)


def random_json(rng, depth=0):
    r = rng.random()
    if depth < 3 and r < 0.2:
        return {rng.choice(KEY_POOL): random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    if depth < 3 and r < 0.32:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if r < 0.55:
        return string_value(rng)
    if r < 0.72:
        return fnum(rng)
    if r < 0.84:
        return inum(rng)
    if r < 0.92:
        return rng.random() < 0.5
    return None


def extra_args(rng, args):
    """Occasionally add argument values the schema does not mention (the template renders any object)."""
    r = rng.random()
    if r < 0.08:
        args["옵션"] = {"중첩": {"깊이": [Num("1"), [Num("2"), {"끝": None}]]}, "빈_목록": [], "빈_객체": {}}
    elif r < 0.14:
        args["numbers"] = [fnum(rng), inum(rng), fnum(rng), Num(rng.choice(HUGE_INTS)), True, False, None]
    elif r < 0.18:
        args["note"] = rng.choice(TRICKY)
    return args


def gen_result(rng, call_name, builtin):
    if builtin and call_name == "code_interpreter":
        kind = weighted(rng, [("str", 80), ("int", 8), ("bool", 6), ("float", 6)])
    else:
        kind = weighted(rng, [("str", 45), ("obj", 34), ("list", 7), ("int", 4), ("float", 4),
                              ("bool", 3), ("null", 3)])
    if kind == "str":
        r = rng.random()
        if r < 0.6:
            return rng.choice(RESULT_STRINGS)
        if r < 0.8:
            return json.dumps(plain(random_json(rng, 1) if rng.random() < 0.3 else
                                    {"result": string_value(rng), "value": fnum(rng)}), ensure_ascii=rng.random() < 0.3)
        return rng.choice(TRICKY)
    if kind == "obj":
        o = {}
        for _ in range(rng.randint(0, 4)):
            o[rng.choice(KEY_POOL)] = random_json(rng, 1)
        return o
    if kind == "list":
        return [random_json(rng, 1) for _ in range(rng.randint(0, 3))]
    if kind == "int":
        return inum(rng)
    if kind == "float":
        return fnum(rng) if rng.random() < 0.6 else rng.choice([22.5, 1e-05, 0.1, -0.0, 1e16])
    if kind == "bool":
        return rng.random() < 0.6
    return None


# --------------------------------------------------------------------------------------------
# records

def weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for item, w in pairs:
        if x < w:
            return item
        x -= w
    return pairs[-1][0]


def pad(rng, text):
    """Whitespace the template trims, sometimes."""
    if rng.random() < 0.12:
        return rng.choice([" ", "\n", "  ", "\t", "\u3000"]) + text + rng.choice(["", " ", "\n\n", "\u2028"])
    return text


def shuffled_dict(rng, pairs, role_first=0.75):
    """A dict of `pairs`, in their order most of the time (pairs[0] first with p=role_first)."""
    pairs = list(pairs)
    if rng.random() >= role_first:
        rng.shuffle(pairs)
    return dict(pairs)


class Ctx:
    """What a record offers: function specs (by name) and built-in tools."""

    def __init__(self, tools, builtins):
        self.tools = tools                   # list of (spec, asks, answers)
        self.builtins = builtins             # list or None
        self.by_name = {t[0]["function"]["name"]: t for t in tools}

    def callable_names(self):
        names = list(self.by_name)
        if self.builtins:
            names += [b for b in self.builtins]
        return names


def make_call_message(rng, ctx, name, content_mode=None, with_id=False):
    builtin = ctx.builtins is not None and name in ctx.builtins
    if builtin:
        args = builtin_args(rng, name)
    else:
        params = ctx.by_name[name][0]["function"]["parameters"]
        args = gen_value(rng, params, depth=0)
        args = extra_args(rng, args)
    fn = shuffled_dict(rng, [("name", name), ("arguments", args)], 0.85)
    call_pairs = [("type", "function"), ("function", fn)]
    if with_id:
        call_pairs.insert(0, ("id", "call_%06d" % rng.randrange(10 ** 6)))
    call = shuffled_dict(rng, call_pairs, 0.8)
    if content_mode is None:
        content_mode = weighted(rng, [("absent", 70), ("empty", 10), ("text", 10), ("null", 10)])
    pairs = [("role", "assistant")]
    if content_mode == "empty":
        pairs.append(("content", ""))
    elif content_mode == "text":
        pairs.append(("content", rng.choice(CALL_PREFACES)))
    elif content_mode == "null":
        pairs.append(("content", None))
    pairs.append(("tool_calls", [call]))
    return shuffled_dict(rng, pairs), builtin


def make_result_message(rng, call_msg, builtin, content=None, role=None):
    call = call_msg["tool_calls"][0]
    name = call["function"]["name"]
    if role is None:
        role = rng.choice(["ipython", "ipython", "tool"]) if builtin else rng.choice(["tool", "tool", "tool", "ipython"])
    if content is None:
        content = gen_result(rng, name, builtin)
    elif content == "NULL":
        content = None
    pairs = [("role", role), ("content", content)]
    if rng.random() < 0.2:
        pairs.append(("name", name))
    if "id" in call:
        pairs.append(("tool_call_id", call["id"]))
    return shuffled_dict(rng, pairs)


def msg(rng, role, content):
    return shuffled_dict(rng, [("role", role), ("content", content)], 0.8)


def ask_for(rng, ctx, name):
    if ctx.builtins is not None and name in ctx.builtins:
        return rng.choice(BUILTIN_ASKS[name])
    return rng.choice(ctx.by_name[name][1])


def answer_for(rng, ctx, name):
    if name is None:
        text = rng.choice(["I can answer that without a tool: 2 + 2 = 4.", "도구 없이 답할 수 있어요. 서울은 대한민국의 수도입니다.",
                           "ツールは不要です。富士山の高さは3776mです。"])
    elif ctx.builtins is not None and name in ctx.builtins:
        text = rng.choice(BUILTIN_ANSWERS[name])
    else:
        text = rng.choice(ctx.by_name[name][2])
    if rng.random() < 0.2:
        text += " " + rng.choice(CLOSINGS)
    return pad(rng, text)


def system_text(rng, lang):
    pool = {"ko": SYSTEM_KO, "en": SYSTEM_EN, "ja": SYSTEM_JA}[lang]
    text = rng.choice(pool)
    if rng.random() < 0.1:
        text += "\n" + rng.choice(TRICKY)
    return text


def build_messages(rng, ctx, plan):
    """plan: dict with system (None/lang), turns (list of step counts), ending, call_content, result_content."""
    msgs = []
    if plan.get("system"):
        msgs.append(msg(rng, "system", system_text(rng, plan["system"])))
    names = ctx.callable_names()
    turns = plan["turns"]
    ending = plan["ending"]          # "answer", "call", "agp_tool", "agp_user"
    forced_name = plan.get("name")
    with_ids = plan.get("ids", False)
    for ti, steps in enumerate(turns):
        last_turn = ti == len(turns) - 1
        chain = [forced_name if (forced_name and ti == 0 and s == 0) else rng.choice(names) for s in range(steps)]
        first = chain[0] if chain else None
        ask = ask_for(rng, ctx, first) if first else rng.choice(GENERIC_ASKS)
        if ti > 0 and rng.random() < 0.5:
            ask = rng.choice(FOLLOWUPS) + " " + ask
        elif rng.random() < 0.1:
            ask = ask + "\n\n" + rng.choice(TRICKY)
        msgs.append(msg(rng, "user", pad(rng, ask)))
        for si, name in enumerate(chain):
            mode = plan.get("call_content") if (ti == 0 and si == 0) else None
            call_msg, builtin = make_call_message(rng, ctx, name, mode, with_ids and rng.random() < 0.7)
            msgs.append(call_msg)
            if last_turn and si == len(chain) - 1 and ending == "call":
                return msgs
            content = plan.get("result_content") if (ti == 0 and si == 0) else None
            msgs.append(make_result_message(rng, call_msg, builtin, content, plan.get("result_role")))
        if last_turn and ending == "agp_tool" and chain:
            return msgs
        msgs.append(msg(rng, "assistant", answer_for(rng, ctx, chain[-1] if chain else None)))
    if ending == "agp_user":
        msgs.append(msg(rng, "user", pad(rng, rng.choice(FOLLOWUPS + GENERIC_ASKS))))
    return msgs


def pick_tools(rng, n):
    idx = list(range(len(TOOL_BUILDERS)))
    rng.shuffle(idx)
    return [TOOL_BUILDERS[i](rng) for i in idx[:n]]


def random_turns(rng, min_calls=1):
    n_turns = weighted(rng, [(1, 66), (2, 24), (3, 10)])
    turns = []
    for _ in range(n_turns):
        turns.append(weighted(rng, [(1, 48), (2, 27), (3, 15), (4, 10)]) if rng.random() < 0.85 or not turns
                     else 0)
    if sum(turns) < min_calls:
        turns[0] = 1
    return turns


def assemble(rng, ctx, messages, tools_key="tools", tium="random", agp=False, extra=None):
    """Build the record dict with keys in a varied order."""
    pairs = [("messages", messages)]
    if ctx.tools:
        pairs.append((tools_key, [t[0] for t in ctx.tools]))
    if ctx.builtins is not None:
        pairs.append(("builtin_tools", list(ctx.builtins)))
    if tium == "random":
        tium = weighted(rng, [("absent", 33), (True, 25), (False, 42)])
    if tium != "absent":
        pairs.append(("tools_in_user_message", tium))
    if agp:
        pairs.append(("add_generation_prompt", True))
    elif rng.random() < 0.04:
        pairs.append(("add_generation_prompt", False))
    if extra:
        pairs.extend(extra)
    if rng.random() < 0.15:
        pairs.append(("id", "tool-%04d" % rng.randrange(10000) if rng.random() < 0.5 else rng.randrange(10 ** 6)))
    r = rng.random()
    if r < 0.4:
        pairs = pairs[1:] + pairs[:1]         # messages last
    elif r < 0.65:
        rng.shuffle(pairs)
    return dict(pairs)


def random_record(rng, overrides=None):
    o = dict(overrides or {})
    builtins = o.pop("builtins", "random")
    if builtins == "random":
        if rng.random() < 0.33:
            k = weighted(rng, [(1, 40), (2, 35), (3, 25)])
            builtins = rng.sample(BUILTINS, k)
        else:
            builtins = None
    n_tools = o.pop("n_tools", "random")
    if n_tools == "random":
        if builtins is not None and rng.random() < 0.4:
            n_tools = 0
        else:
            n_tools = weighted(rng, [(1, 35), (2, 30), (3, 20), (4, 10), (6, 5)])
    tools = o.pop("tools", None) or pick_tools(rng, n_tools)
    ctx = Ctx(tools, builtins)
    ending = o.pop("ending", None) or weighted(rng, [("answer", 74), ("call", 16), ("agp_tool", 7), ("agp_user", 4)])
    plan = {
        "system": o.pop("system", "random"),
        "turns": o.pop("turns", None) or random_turns(rng),
        "ending": ending,
        "call_content": o.pop("call_content", None),
        "result_content": o.pop("result_content", None),
        "result_role": o.pop("result_role", None),
        "name": o.pop("name", None),
        "ids": o.pop("ids", rng.random() < 0.12),
    }
    if plan["system"] == "random":
        plan["system"] = weighted(rng, [(None, 45), ("en", 38), ("ko", 14), ("ja", 3)])
    if ending == "agp_tool" and plan["turns"][-1] == 0:
        plan["turns"][-1] = 1
    if ending == "call" and plan["turns"][-1] == 0:
        plan["turns"][-1] = 1
    messages = build_messages(rng, ctx, plan)
    tools_key = o.pop("tools_key", None) or ("custom_tools" if rng.random() < 0.1 else "tools")
    tium = o.pop("tium", "random")
    extra = o.pop("extra", None)
    if o:
        raise AssertionError("unknown overrides %r" % sorted(o))
    return assemble(rng, ctx, messages, tools_key, tium, ending.startswith("agp"), extra)


def planned(rng):
    """Records that pin down specific features; the rest are random."""
    recs = []
    # every order of every non-empty subset of the built-in tools, alternately with and without tools
    orders = []
    for a in BUILTINS:
        orders.append([a])
    for a in BUILTINS:
        for b in BUILTINS:
            if a != b:
                orders.append([a, b])
    for a in BUILTINS:
        for b in BUILTINS:
            for c in BUILTINS:
                if len({a, b, c}) == 3:
                    orders.append([a, b, c])
    for i, order in enumerate(orders):
        recs.append(random_record(rng, {"builtins": order, "n_tools": 0 if i % 2 else rng.randint(1, 3),
                                        "name": order[i % len(order)], "ending": "answer"}))
    # builtin_tools [] with tools (ipython mode, "Tools: \n\n"), and a custom call while builtins are defined
    recs.append(random_record(rng, {"builtins": [], "n_tools": 2, "tium": False}))
    recs.append(random_record(rng, {"builtins": [], "n_tools": 1, "tium": "absent", "ending": "call"}))
    recs.append(random_record(rng, {"builtins": ["code_interpreter"], "n_tools": 1, "turns": [2, 2]}))
    # every kind of tool-result content, custom and built-in
    for content in ["22.0", "", {}, [], {"기온": Num("21"), "상태": "맑음"}, [Num("1"), "a", None, Num("2.50")],
                    Num("22.5"), Num("1E2"), Num("-0.0"), Num("1e-05"), Num("1e+16"), Num("-0"),
                    Num("1234567890123456789012345"), Num("-9999999999999999999999999"), Num("42"),
                    True, False, "NULL"]:
        recs.append(random_record(rng, {"result_content": content, "builtins": None, "n_tools": 1,
                                        "turns": [1], "ending": "answer"}))
    recs.append(random_record(rng, {"result_content": True, "builtins": ["code_interpreter"], "n_tools": 0,
                                    "turns": [1], "result_role": "ipython"}))
    recs.append(random_record(rng, {"result_content": "NULL", "builtins": ["brave_search"], "n_tools": 0,
                                    "turns": [1], "result_role": "tool"}))
    # assistant tool-call content variants, with and without builtins
    for mode in ["absent", "empty", "text", "null"]:
        for builtins in (None, ["wolfram_alpha", "brave_search"]):
            recs.append(random_record(rng, {"call_content": mode, "builtins": builtins, "n_tools": 1,
                                            "turns": [1], "name": None if builtins is None else "wolfram_alpha"}))
    # the number-heavy specs, both placements
    for tium in ("absent", True, False):
        recs.append(random_record(rng, {"tools": [t_physics(rng), t_stats(rng), t_transfer(rng), t_files(rng)],
                                        "builtins": None, "tium": tium, "turns": [2]}))
    # 4-step loops, multi-turn, endings
    recs.append(random_record(rng, {"turns": [4], "ending": "answer", "system": "ko"}))
    recs.append(random_record(rng, {"turns": [1, 4], "ending": "answer", "builtins": BUILTINS[::-1]}))
    recs.append(random_record(rng, {"turns": [2, 0, 1], "ending": "call"}))
    recs.append(random_record(rng, {"turns": [1, 1, 1], "ending": "agp_user", "tium": False}))
    recs.append(random_record(rng, {"turns": [3], "ending": "agp_tool", "tium": True}))
    # custom_tools alias, all three placements
    for tium in ("absent", True, False):
        recs.append(random_record(rng, {"tools_key": "custom_tools", "tium": tium, "builtins": None}))
    recs.append(random_record(rng, {"tools_key": "custom_tools", "builtins": ["brave_search", "code_interpreter"],
                                    "n_tools": 2}))
    # Korean/Japanese-only tools with a Korean system message
    recs.append(random_record(rng, {"tools": [t_weather_ko(rng), t_exchange(rng), t_schedule_ko(rng)],
                                    "builtins": None, "system": "ko", "turns": [2, 1]}))
    recs.append(random_record(rng, {"tools": [t_weather_ja(rng), t_restaurant_ja(rng)], "builtins": None,
                                    "system": "ja", "tium": False}))
    # a tool offered but not called
    recs.append(random_record(rng, {"turns": [0], "ending": "answer", "n_tools": 2, "builtins": None}))
    recs.append(random_record(rng, {"turns": [0, 1], "ending": "answer", "tium": False}))
    # date_string next to tools
    recs.append(random_record(rng, {"extra": [("date_string", "01 Jan 2025")], "builtins": ["brave_search"]}))
    return recs


def generate(seed, count):
    rng = random.Random(seed)
    recs = planned(rng)
    while len(recs) < count:
        recs.append(random_record(rng))
    rng.shuffle(recs)
    return recs[:count]


# --------------------------------------------------------------------------------------------
# validation

class InvalidRecord(Exception):
    pass


def require(cond, what, obj=None):
    if not cond:
        raise InvalidRecord(what if obj is None else "%s: %r" % (what, obj))


def check_strings(v, where):
    if isinstance(v, str):
        require("\x00" not in v, "U+0000", where)
        require(not any(0xD800 <= ord(ch) <= 0xDFFF for ch in v), "lone surrogate", where)
        hit = SPECIAL_RE.search(v)
        require(hit is None, "special-token text at %s" % where, hit and hit.group(0))
    elif isinstance(v, dict):
        for k, x in v.items():
            check_strings(k, where + ".key")
            check_strings(x, "%s.%s" % (where, k))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            check_strings(x, "%s[%d]" % (where, i))
    elif isinstance(v, float):
        require(v == v and v not in (float("inf"), float("-inf")), "non-finite float", where)
    else:
        require(v is None or isinstance(v, (bool, int)), "unexpected type", (where, type(v)))


def validate(rec):
    """Raise InvalidRecord unless rec (plain Python values) obeys the rules of the module docstring."""
    require(isinstance(rec, dict), "record is not an object")
    check_strings(rec, "record")
    require(not ("tools" in rec and "custom_tools" in rec), "both tools and custom_tools")
    tools = rec.get("tools", rec.get("custom_tools"))
    names = []
    if "tools" in rec or "custom_tools" in rec:
        require(isinstance(tools, list) and tools, "tools not a non-empty list")
        for t in tools:
            require(isinstance(t, dict) and set(t) == {"type", "function"} and t["type"] == "function", "bad spec", t)
            fn = t["function"]
            require(isinstance(fn, dict) and set(fn) == {"name", "description", "parameters"}, "bad function", fn)
            require(isinstance(fn["name"], str) and fn["name"] and isinstance(fn["description"], str), "bad name", fn)
            require(isinstance(fn["parameters"], dict) and fn["parameters"].get("type") == "object", "bad params", fn)
            names.append(fn["name"])
        require(len(set(names)) == len(names), "duplicate function names", names)
    builtins = rec.get("builtin_tools")
    if "builtin_tools" in rec:
        require(isinstance(builtins, list) and all(b in BUILTINS for b in builtins)
                and len(set(builtins)) == len(builtins), "bad builtin_tools", builtins)
        require(not set(builtins) & set(names), "function name shadows a built-in")
    require(tools is not None or builtins is not None, "record without tools")
    tium = rec.get("tools_in_user_message", True)
    require(isinstance(tium, bool), "tools_in_user_message not a boolean")
    agp = rec.get("add_generation_prompt", False)
    require(isinstance(agp, bool), "add_generation_prompt not a boolean")
    for k in rec:
        require(k in ("messages", "tools", "custom_tools", "builtin_tools", "tools_in_user_message",
                      "add_generation_prompt", "date_string", "id"), "unexpected record key", k)

    msgs = rec.get("messages")
    require(isinstance(msgs, list) and msgs, "messages missing or empty")
    body = msgs[1:] if msgs[0].get("role") == "system" else msgs
    require(body and body[0].get("role") == "user", "first message after the system message is not a user message")
    pending = None          # the call awaiting its result
    for i, m in enumerate(msgs):
        require(isinstance(m, dict), "message not an object")
        role = m.get("role")
        require(role in ("system", "user", "assistant", "tool", "ipython"), "bad role", m)
        require(role != "system" or i == 0, "system message not first")
        if role in ("tool", "ipython"):
            require(pending is not None, "tool result without a call", i)
            require(set(m) <= {"role", "content", "name", "tool_call_id"} and "content" in m, "bad result keys", m)
            require(m["content"] is None or isinstance(m["content"], (str, dict, list, int, float)), "bad result", m)
            if "name" in m:
                require(m["name"] == pending["function"]["name"], "result name mismatch", m)
            if "tool_call_id" in m or "id" in pending:
                require(m.get("tool_call_id") == pending.get("id"), "tool_call_id mismatch", m)
            pending = None
            continue
        require(pending is None, "tool call without a result", i)
        if "tool_calls" in m:
            require(role == "assistant", "tool_calls on a non-assistant message")
            require(set(m) <= {"role", "content", "tool_calls"}, "bad call message keys", m)
            require(m.get("content", "") is None or isinstance(m.get("content", ""), str), "bad call content", m)
            calls = m["tool_calls"]
            require(isinstance(calls, list) and len(calls) == 1, "not exactly one tool call", m)
            call = calls[0]
            require(isinstance(call, dict) and call.get("type") == "function" and set(call) <= {"type", "function", "id"},
                    "bad call", call)
            fn = call["function"]
            require(isinstance(fn, dict) and set(fn) == {"name", "arguments"}, "bad call function", fn)
            args = fn["arguments"]
            require(isinstance(args, dict), "arguments not an object", fn)
            if builtins is not None and fn["name"] in builtins:
                require(all(isinstance(v, str) for v in args.values()), "non-string built-in argument", fn)
            else:
                require(fn["name"] in names, "call of an unknown function", fn["name"])
            pending = call
        else:
            require(set(m) == {"role", "content"} and isinstance(m["content"], str), "bad plain message", m)
    require(any("tool_calls" in m for m in msgs) or all("tool_calls" not in m for m in msgs), "unreachable")
    last = msgs[-1]
    if agp:
        require(last["role"] in ("tool", "ipython", "user"), "generation-prompt record ends with %s" % last["role"])
    else:
        require(last["role"] == "assistant", "last message is not an assistant message")
        require(pending is None or "tool_calls" in last, "dangling call")


# --------------------------------------------------------------------------------------------
# line encoding

def encode_value(v, ensure_ascii, item_sep, key_sep):
    if isinstance(v, Num):
        return v.text
    if isinstance(v, (str, bool, int, float)) or v is None:
        return json.dumps(v, ensure_ascii=ensure_ascii)
    if isinstance(v, list):
        return "[" + item_sep.join(encode_value(x, ensure_ascii, item_sep, key_sep) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + item_sep.join(json.dumps(k, ensure_ascii=ensure_ascii) + key_sep +
                                   encode_value(x, ensure_ascii, item_sep, key_sep) for k, x in v.items()) + "}"
    raise TypeError(type(v))


def has_num(v):
    if isinstance(v, Num):
        return True
    if isinstance(v, dict):
        return any(has_num(x) for x in v.values())
    if isinstance(v, list):
        return any(has_num(x) for x in v)
    return False


def encode(rng, rec):
    ensure_ascii = rng.random() < 0.30
    compact = rng.random() < 0.5
    seps = (",", ":") if compact else (", ", ": ")
    line = encode_value(rec, ensure_ascii, *seps)
    want = plain(rec)
    if not has_num(rec):
        require(line == json.dumps(want, ensure_ascii=ensure_ascii, separators=seps), "encoder disagrees with json")
    require("\n" not in line and "\r" not in line, "line break in an encoded line")
    require(same(json.loads(line), want), "encoded line does not round-trip", line[:200])
    return line


# --------------------------------------------------------------------------------------------
# stats (computed from the file)

NUM_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


def number_tokens(line):
    """JSON number literals of a line (outside strings)."""
    out = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == '"':
            i += 1
            while line[i] != '"':
                i += 2 if line[i] == "\\" else 1
            i += 1
        elif ch == "-" or ch.isdigit():
            m = NUM_RE.match(line, i)
            out.append(m.group(0))
            i = m.end()
        else:
            i += 1
    return out


def structural_separators(line):
    """The separators (with following spaces) used outside strings."""
    forms = set()
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == '"':
            i += 1
            while line[i] != '"':
                i += 2 if line[i] == "\\" else 1
        elif ch in ",:":
            j = i + 1
            while j < n and line[j] == " ":
                j += 1
            forms.add(line[i:j])
        i += 1
    return forms


def walk(v):
    yield v
    if isinstance(v, dict):
        for x in v.values():
            yield from walk(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk(x)


def all_strings(v):
    for x in walk(v):
        if isinstance(x, dict):
            yield from x.keys()
        elif isinstance(x, str):
            yield x


def has_empty_nested(v):
    """An empty {} or [] inside a non-empty container."""
    for x in walk(v):
        if isinstance(x, (dict, list)) and x:
            for y in (x.values() if isinstance(x, dict) else x):
                if isinstance(y, (dict, list)) and not y:
                    return True
    return False


def depth(v):
    if isinstance(v, dict):
        return 1 + max([depth(x) for x in v.values()] or [0])
    if isinstance(v, list):
        return 1 + max([depth(x) for x in v] or [0])
    return 0


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

    calls_hist, turns_hist, ntools_hist = {}, {}, {}
    orders = set()
    for raw in lines:
        text = raw.decode("utf-8")
        rec = json.loads(text)
        validate(rec)
        msgs = rec["messages"]
        inc("records")
        inc("messages", len(msgs))
        if msgs[0]["role"] == "system":
            inc("with a system message")
            if re.search("[\uac00-\ud7a3]", msgs[0]["content"]):
                inc("system message with Korean")
        tools = rec.get("tools", rec.get("custom_tools"))
        if "custom_tools" in rec:
            inc("custom_tools (instead of tools)")
        elif "tools" in rec:
            inc("tools")
        if tools:
            ntools_hist[len(tools)] = ntools_hist.get(len(tools), 0) + 1
        b = rec.get("builtin_tools")
        if b is not None:
            inc("builtin_tools")
            inc("builtin_tools with tools" if tools else "builtin_tools without tools")
            if not b:
                inc("builtin_tools []")
            if "code_interpreter" in b:
                inc("builtin_tools containing code_interpreter")
            orders.add(tuple(b))
        tium = rec.get("tools_in_user_message", "absent")
        inc("tools_in_user_message %s" % {True: "true", False: "false", "absent": "absent"}[tium])
        if tools and tium is not False:
            inc("tools rendered into the first user message")
        elif tools:
            inc("tools rendered into the system message")
        if rec.get("add_generation_prompt") is True:
            inc("add_generation_prompt true, ending with %s" % msgs[-1]["role"])
        elif "tool_calls" in msgs[-1]:
            inc("ending with a tool call")
        else:
            inc("ending with an assistant answer")
        if "date_string" in rec:
            inc("date_string")
        n_calls = sum(1 for m in msgs if "tool_calls" in m)
        calls_hist[n_calls] = calls_hist.get(n_calls, 0) + 1
        n_users = sum(1 for m in msgs if m["role"] == "user")
        turns_hist[n_users] = turns_hist.get(n_users, 0) + 1
        kinds = set()
        for m in msgs:
            if m["role"] not in ("system", "user", "assistant") or "tool_calls" in m:
                pass
            if list(m)[0] != "role":
                inc("messages with role not first")
            if "tool_calls" in m:
                inc("tool calls")
                fn = m["tool_calls"][0]["function"]
                if b is not None and fn["name"] in b:
                    inc("built-in calls: " + fn["name"])
                    if len(fn["arguments"]) > 1:
                        inc("built-in calls with several arguments")
                else:
                    inc("custom calls" + (" (builtin_tools defined: <|eom_id|>)" if b is not None else ""))
                    a = fn["arguments"]
                    if not a:
                        kinds.add("args: empty {}")
                    if depth(a) >= 3:
                        kinds.add("args: nested objects/arrays (depth >= 3)")
                    for x in walk(a):
                        if isinstance(x, bool):
                            kinds.add("args: booleans")
                        elif x is None:
                            kinds.add("args: null")
                        elif isinstance(x, float):
                            kinds.add("args: floats")
                        elif isinstance(x, int) and abs(x) >= 10 ** 24:
                            kinds.add("args: 25-digit integers")
                        elif isinstance(x, str) and re.search(r'["\\\n]', x):
                            kinds.add("args: strings needing escapes")
                    if any(re.search("[\uac00-\ud7a3]", k) for x in walk(a) if isinstance(x, dict) for k in x):
                        kinds.add("args: Korean keys")
                if "content" not in m:
                    inc("call messages without content")
                elif m["content"] is None:
                    inc("call messages with content null")
                elif m["content"] == "":
                    inc('call messages with content ""')
                else:
                    inc("call messages with a content string")
                if "id" in m["tool_calls"][0]:
                    inc("calls with an id")
            if m["role"] in ("tool", "ipython"):
                inc("results with role %s" % m["role"])
                v = m["content"]
                kind = ("null" if v is None else "bool" if isinstance(v, bool) else type(v).__name__)
                inc("result content %s" % {"str": "string", "dict": "object", "list": "list", "int": "integer",
                                            "float": "float", "bool": "bool", "null": "null"}[kind])
        for k in kinds:
            inc("records with " + k)
        if tools:
            for t in tools:
                fn = t["function"]
                if re.search("[\uac00-\ud7a3]", fn["name"]):
                    inc("specs with a Korean name")
                if re.search("[\u3040-\u30ff]", fn["name"]):
                    inc("specs with a Japanese name")
            strs = list(all_strings(tools))
            if any("enum" in x for x in walk(tools) if isinstance(x, dict)):
                inc("records whose specs have enums")
            if has_empty_nested(tools):
                inc("records whose specs have nested empty {} / []")
            for label, pat in [("quotes", '"'), ("backslashes", "\\\\"), ("newlines", "\n"), ("'<'", "<"),
                               ("'&'", "&"), ("U+2028", "\u2028"), ("emoji", "[\U0001F000-\U0001FAFF]")]:
                if any(re.search(pat, s) for s in strs):
                    inc("records whose specs have " + label)
        toks = number_tokens(text)
        for label, test in [
            ("1E2 (upper-case E)", lambda t: "E" in t),
            ("-0.0", lambda t: t == "-0.0"),
            ("-0 (integer)", lambda t: t == "-0"),
            ("trailing-zero fraction (2.50 ...)", lambda t: re.fullmatch(r"-?\d+\.\d*[1-9]0+", t) is not None),
            ("exponent with sign or leading zero (1e-05, 1e+16)", lambda t: re.search("[eE][-+]|[eE]0", t) is not None),
            ("25-digit integers", lambda t: re.fullmatch(r"-?\d{25}", t) is not None),
            ("negative integers", lambda t: re.fullmatch(r"-\d+", t) is not None and t != "-0"),
            ("floats", lambda t: re.search("[.eE]", t) is not None),
        ]:
            if any(test(t) for t in toks):
                inc("lines with number literal: " + label)
        escapes = re.findall(r"\\(?:u([0-9a-fA-F]{4})|.)", text)
        if raw.isascii() and any(h and int(h, 16) >= 0x80 for h in escapes):
            inc("lines written with ensure_ascii=True")
        seps = structural_separators(text)
        inc("lines with compact separators" if seps <= {",", ":"} else
            "lines with default separators" if seps <= {", ", ": "} else "lines with mixed separators")
    def row(label, keys):
        return "  %s: %s" % (label, ", ".join("%s %d" % (short, c.get(key, 0)) for short, key in keys))

    def hist(h):
        return ", ".join("%d: %d" % (k, h[k]) for k in sorted(h))

    out = [
        "  records %d, %d bytes, %d messages, %d tool calls" % (c["records"], len(data), c["messages"],
                                                                c["tool calls"]),
        row("system message", [("yes", "with a system message"), ("with Korean", "system message with Korean")]),
        row("function specs", [("tools", "tools"), ("custom_tools", "custom_tools (instead of tools)"),
                               ("into first user message", "tools rendered into the first user message"),
                               ("into system message", "tools rendered into the system message")]),
        "  functions per tools list (n: records): " + hist(ntools_hist),
        row("builtin_tools", [("records", "builtin_tools"), ("with tools", "builtin_tools with tools"),
                              ("without tools", "builtin_tools without tools"), ("[]", "builtin_tools []"),
                              ("incl. code_interpreter", "builtin_tools containing code_interpreter")])
        + ", distinct ordered lists %d" % len(orders),
        row("tools_in_user_message", [("absent", "tools_in_user_message absent"),
                                      ("true", "tools_in_user_message true"), ("false", "tools_in_user_message false")]),
        row("endings", [("assistant answer", "ending with an assistant answer"), ("tool call", "ending with a tool call"),
                        ("add_generation_prompt + tool", "add_generation_prompt true, ending with tool"),
                        ("+ ipython", "add_generation_prompt true, ending with ipython"),
                        ("+ user", "add_generation_prompt true, ending with user")]),
        "  tool calls per record (n: records): " + hist(calls_hist),
        "  user messages per record (n: records): " + hist(turns_hist),
        row("calls", [("custom", "custom calls"), ("of which with builtin_tools defined (eom)",
                                                   "custom calls (builtin_tools defined: <|eom_id|>)"),
                      ("brave_search", "built-in calls: brave_search"), ("wolfram_alpha", "built-in calls: wolfram_alpha"),
                      ("code_interpreter", "built-in calls: code_interpreter"),
                      ("built-in with 2+ args", "built-in calls with several arguments"), ("with id", "calls with an id")]),
        row("call message content", [("absent", "call messages without content"), ('""', 'call messages with content ""'),
                                     ("string", "call messages with a content string"),
                                     ("null", "call messages with content null")]),
        row("records with custom-call arguments having",
            [(k[6:], "records with " + k) for k in ["args: nested objects/arrays (depth >= 3)", "args: Korean keys",
                                                     "args: floats", "args: 25-digit integers", "args: booleans",
                                                     "args: null", "args: strings needing escapes", "args: empty {}"]]),
        row("results", [("role tool", "results with role tool"), ("role ipython", "results with role ipython")]
            + [(k, "result content " + k) for k in ["string", "object", "list", "integer", "float", "bool", "null"]]),
        row("specs", [("Korean name", "specs with a Korean name"), ("Japanese name", "specs with a Japanese name")]),
        row("records whose specs have",
            [(k, "records whose specs have " + k) for k in ["enums", "nested empty {} / []", "quotes", "backslashes",
                                                            "newlines", "'<'", "'&'", "U+2028", "emoji"]]),
        row("lines with number literals",
            [(k, "lines with number literal: " + k) for k in [
                "floats", "1E2 (upper-case E)", "trailing-zero fraction (2.50 ...)",
                "exponent with sign or leading zero (1e-05, 1e+16)", "-0.0", "-0 (integer)", "negative integers",
                "25-digit integers"]]),
        row("line encoding", [("ensure_ascii=True", "lines written with ensure_ascii=True"),
                              ("compact separators", "lines with compact separators"),
                              ("default separators", "lines with default separators"),
                              ("messages with role not first", "messages with role not first"),
                              ("date_string", "date_string")]),
    ]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    ap.add_argument("--records", type=int, default=DEFAULT_RECORDS, help="number of records (default %(default)s)")
    ap.add_argument("-o", "--output", default=DEFAULT_OUTPUT, help="output file (default: tools.jsonl next to this script)")
    ap.add_argument("--stats", nargs="?", const="", metavar="FILE",
                    help="print feature counts of FILE (default: the output file) instead of generating")
    args = ap.parse_args(argv)

    if args.stats is not None:
        sys.stdout.write(stats(args.stats or args.output))
        return 0

    enc_rng = random.Random(args.seed ^ 0x7001)
    lines = []
    for n, rec in enumerate(generate(args.seed, args.records)):
        try:
            validate(plain(rec))
            lines.append(encode(enc_rng, rec))
        except InvalidRecord as exc:
            sys.stderr.write("gen_tools_corpus.py: record %d is invalid: %s\n" % (n + 1, exc))
            return 1
    data = ("\n".join(lines) + "\n").encode("utf-8")
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, args.output)
    sys.stderr.write("wrote %s: %d records, %d bytes\n" % (args.output, len(lines), len(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
