#!/usr/bin/env python3
"""Generate the expectation tables of tests/check_json.c from real Python.

Usage:  python3 tests/data/json_cases.py > /tmp/tables.inc
then paste the output between the "BEGIN GENERATED" and "END GENERATED"
markers of tests/check_json.c (the tables are committed there, so the tests
do not need Python).  The expectations are what CPython's json module and
repr(float) produce:

  put_string:  json.dumps(s, ensure_ascii=False)
  dump:        json.dumps(json.loads(text), ensure_ascii=False, indent=N)
               for N in (None, 4, 0) (only None when all three agree)
  repr:        repr(x) for floats given by their exact hex form

A few inputs that Python's json.loads accepts but llamafmt deliberately
rejects (NaN/Infinity literals, lone surrogate escapes) are listed in
PY_ACCEPTS_WE_REJECT and emitted as errors; everything else must agree with
Python, and the script asserts that Python's verdict is the one recorded.
"""
import json
import sys

# ---------------------------------------------------------------- helpers


def c_literal(data: bytes) -> str:
    """A C string literal for arbitrary bytes (octal escapes, no trigraphs)."""
    out = ['"']
    col = 0
    for b in data:
        if 0x20 <= b < 0x7F and b not in (0x22, 0x5C, 0x3F):
            piece = chr(b)
        else:
            piece = "\\%03o" % b
        if col > 70:
            out.append('"\n        "')
            col = 0
        out.append(piece)
        col += len(piece)
    out.append('"')
    return "".join(out)


def emit(line=""):
    sys.stdout.write(line + "\n")


# ---------------------------------------------------------------- put_string

PUT_STRING = [
    "",
    "plain ascii",
    "".join(chr(i) for i in range(0x20)),
    "\x00",
    "a\x00b",
    '"',
    "\\",
    'say "hi" \\ bye',
    "/ </script> & ' < >",
    "\x7f",
    "\u2028\u2029",
    "\ufeff",
    "안녕하세요, 세계!",
    "😀 emoji 👍🏽",
    "line1\nline2\r\n\ttabbed\b\f",
    "0123456789abcdef\n0123456789abcdef\"",
    "é" * 9 + "\x1f",
]
for i in range(0x20):
    PUT_STRING.append("x" * (i % 9) + chr(i) + "y" * (7 - i % 8))

# ---------------------------------------------------------------- dump

ALL_CTRL = '"' + "".join("\\u%04x" % i for i in range(0x20)) + '"'
ALL_CTRL_UPPER = '"' + "".join("\\u%04X" % i for i in range(0x20)) + '"'

DUMP_OK = [
    # strings
    ALL_CTRL,
    ALL_CTRL_UPPER,
    '"\\b\\f\\n\\r\\t\\"\\\\\\/"',
    '"/ \\/ </script>"',
    '"\\u007f \x7f"',
    '"\\u2028\\u2029 \u2028\u2029"',
    '"\\ud55c\\uad6d\\uc5b4 한국어"',
    '"😀 \\ud83d\\ude00 \\uD83D\\uDE00 \\ud834\\udd1e"',
    '"\\uffff \\u00e9 \\u0800 \\u07ff"',
    '"\\u0022\\u005c\\u005C\\u002f"',
    '""',
    '"no escapes at all, just text"',
    # integers
    "0",
    "-0",
    "123456789012345678901234567890",
    "-123456789012345678901234567890",
    "[-0, 0, -1, 1]",
    "9007199254740993",
    # floats
    "1.0",
    "1E2",
    "1e2",
    "1E+2",
    "2.50",
    "1e-05",
    "1e-5",
    "0.0001",
    "1e-4",
    "1e16",
    "1e15",
    "1e+21",
    "123456789.123456789",
    "0.30000000000000004",
    "0.1",
    "4.35",
    "5e-324",
    "2.4703282292062327e-324",
    "2.4703282292062328e-324",
    "1.7976931348623157e308",
    "1.7976931348623159e308",
    "1e999",
    "-1e999",
    "1e-400",
    "-1e-400",
    "-0.0",
    "0e0",
    "-0E-0",
    "1e-7",
    "1234567890123456.0",
    "12345678901234567.0",
    "9007199254740993.0",
    "1.5e300",
    "100.0e-2",
    "0.1e1",
    "123e-20",
    "0.000001",
    "1" * 40 + ".5",
    "0." + "0" * 30 + "1",
    "[1.0, 2.5, -3.75e10, 1e100]",
    # literals and whitespace
    "true",
    "false",
    "null",
    " \t\n\r true \r\n\t ",
    " [ 1 , 2 ] ",
    # containers
    "[]",
    "{}",
    "[[]]",
    "[{}]",
    "{\"a\":[]}",
    '[[[]], [[], {}], {"x": {}}]',
    '{"a":[1,2,{"b":null}],"c":{},"d":[],"e":"x"}',
    '{"a":{"b":{"c":[1,[2,[3]]]}}}',
    '[1,"two",3.0,true,false,null,{"k":"v"}]',
    '{"name":"get_weather","parameters":{"type":"object","properties":'
    '{"city":{"type":"string","description":"도시 이름"}},"required":["city"]}}',
    # duplicate keys (first position, last value)
    '{"a":1,"b":2,"a":3}',
    '{"a":1,"\\u0061":2}',
    '{"a":{"x":1,"x":2},"b":0,"a":{"y":3,"y":4}}',
    '{"k":1,"k":2,"k":3}',
    '{"k":1,"k":[1,{"k":1,"k":2}]}',
    "{" + ",".join('"k%d":%d' % (i, i) for i in range(12))
    + ',"k3":30,"k0":0.5,"k\\u0039":90,"k11":{"z":1,"z":2}}',
    '{"":1,"":2}',
    # keys with escapes
    '{"\\n\\t":1,"\\"q\\"":2,"\\\\":3,"\\u0000":4,"한":5,"\\ud83d\\ude00":6,"\\/":7}',
]

PY_ACCEPTS_WE_REJECT = [
    "NaN",
    "Infinity",
    "-Infinity",
    "[NaN]",
    '"\\ud800"',
    '"\\udc00"',
    '"\\ud800\\u0041"',
    '{"a":"\\ud800","a":1}',
]

DUMP_BAD = [
    "",
    " ",
    "1 2",
    "[1] x",
    "[1]]",
    '{"a":1}}',
    '{"a":1} {"b":2}',
    '"abc',
    '"abc\\"',
    '"\\x"',
    '"\\u12"',
    '"\\u12G4"',
    '"\\U0041"',
    "tru",
    "nul",
    "fals",
    "True",
    "truex",
    "[1,]",
    '{"a":1,}',
    '{"a" 1}',
    '{"a":}',
    "{1:2}",
    "{'a':1}",
    "[01]",
    "01",
    "-",
    "-a",
    "1.",
    ".5",
    "1e",
    "1e+",
    "+1",
    "--1",
    '"a\x01b"',
    '"tab\there"',
    '"new\nline"',
    "\ufeff1",
    "'a'",
    "[",
    "]",
    "{",
    '{"a":',
    '{"a"',
    "[1 2]",
    '["a" "b"]',
    "/* c */ 1",
    "1 // c",
    "[1,,2]",
    "\x0c1",
    # (the 4301-digit integer and deep nesting are built in check_json.c)
]


def dumps(obj, indent):
    return json.dumps(obj, ensure_ascii=False, indent=indent)


def main():
    emit("/* ---- BEGIN GENERATED by tests/data/json_cases.py (Python %s) ---- */"
         % sys.version.split()[0])

    emit("static const str_case put_string_cases[] = {")
    for s in PUT_STRING:
        exp = json.dumps(s, ensure_ascii=False)
        emit("    {S(%s)," % c_literal(s.encode("utf-8")))
        emit("     S(%s)}," % c_literal(exp.encode("utf-8")))
    emit("};")
    emit()

    emit("static const dump_case dump_cases[] = {")
    for text in DUMP_OK:
        obj = json.loads(text)
        flat = dumps(obj, None)
        for indent in (None, 4, 0):
            exp = dumps(obj, indent)
            if indent is not None and exp == flat:
                continue  # scalars and empty containers: same for every indent
            emit("    {S(%s), %d," % (c_literal(text.encode("utf-8")),
                                       -1 if indent is None else indent))
            emit("     S(%s)}," % c_literal(exp.encode("utf-8")))
    emit("};")
    emit()

    emit("/* Invalid for Python's json.loads too, except the PY_ACCEPTS_WE_REJECT")
    emit(" * group at the top (NaN/Infinity literals, lone surrogates). */")
    emit("static const bad_case dump_bad_cases[] = {")
    for text in PY_ACCEPTS_WE_REJECT:
        json.loads(text)  # Python does accept these
        emit("    {S(%s)}, /* Python accepts */" % c_literal(text.encode("utf-8", "surrogatepass")))
    for text in DUMP_BAD:
        try:
            obj = json.loads(text)
            dumps(obj, None)
        except (ValueError, RecursionError):
            pass
        else:
            raise SystemExit("Python accepts %r" % text)
        emit("    {S(%s)}," % c_literal(text.encode("utf-8")))
    emit("};")
    emit()

    values = [
        0.0, -0.0, 1.0, -1.0, 100.0, 0.1, 0.2, 0.1 + 0.2, 1 / 3, 2 / 3, 1e-5, 0.0001,
        1e-4 * 0.99, 1e16, 1e15, 1e+21, 1e22, 1e23, 123456789.123456789,
        1234567890123456.0, 12345678901234567.0, 9007199254740993.0, 5e-324,
        1e-323, 2.2250738585072014e-308, 2.225073858507201e-308,
        1.7976931348623157e308, 1e-7, 1.5e300, 1.5e-300, 3.14159, 2.5, -2.5,
        1e100, 123e-20, 0.5, 4.35, 0.3, 2.0 ** -1017, 2.0 ** -1007, -(2.0 ** -957),
        2.0 ** -808, 2.0 ** 52, 2.0 ** 53, 2.0 ** 63, 2.0 ** 64, 1e-310, 12.0,
        9.999999999999999e22, 99999999999999.99,
    ]
    emit("static const repr_case repr_cases[] = {")
    for v in values:
        emit('    {%s, "%s"},' % (v.hex(), repr(v)))
    emit("};")
    emit("/* ---- END GENERATED ---- */")


if __name__ == "__main__":
    main()
