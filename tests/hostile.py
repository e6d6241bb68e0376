#!/usr/bin/env python3
"""Hostile input for tests/t6020-hostile-input.sh, and the checks of what
the programs make of it.

    hostile.py lines KIND OUT          the hostile lines of KIND (event,
                                       row, record, apigw), one a line
    hostile.py big KIND OUT MB         about MB megabytes of the worst of
                                       them: deep nesting, giant lines
    hostile.py count FILE              its lines that are not blank
    hostile.py check [--in N] [--inputs FILE...] --records FILE...
                                       every line of each FILE after
                                       --records is a JSON object on one
                                       line (strict: no NaN, no Infinity);
                                       each reject's input is one of the
                                       --inputs lines byte for byte (a
                                       prefix when input_truncated); with
                                       --in, the records number N

Categories: deep nesting of each kind, giant lines, NUL, invalid and
overlong UTF-8, bad surrogate escapes, byte order marks, CRLF, huge
numbers, duplicate keys, trailing garbage of each kind."""
import base64
import json
import sys

DEEP = 100000
UUID = "0c6f4a52-1b2c-4d3e-8f90-a1b2c3d4e5f6"
ING = b',"_ingest":{"receivedAt":"2026-11-24T10:15:02.123Z"}'


def deep_kinds():
    """Nesting of each kind, well under the line bound."""
    return [
        b"[" * DEEP,
        b"[" * DEEP + b"]" * DEEP,
        b'{"a":' * DEEP + b"1" + b"}" * DEEP,
        b'{"a":[' * (DEEP // 2) + b"]}" * (DEEP // 2),
        b'{"eventName":"x","element":' + b"[" * DEEP + b"]" * DEEP + b"}",
        b'{"eventName":"x","v":' + b'{"a":' * DEEP + b"null" + b"}" * DEEP + b"}",
    ]


def garbage_after(obj):
    """A complete object, then trailing garbage of each kind."""
    return [obj + t for t in (b'"abc', b'"', b"\x0c", b"\x0b", b" x", b"{}",
                              b"]", b",", b"/* c */", b"\x00", b" 1",
                              b' "\\u0041', b"\xef\xbb\xbf", b"\xff")]


def event_lines():
    ok = b'{"eventName":"page_view","eventId":"%s"%s}' % (UUID.encode(), ING)
    lines = [ok]
    lines += deep_kinds()
    lines += garbage_after(ok)
    lines += [
        b'{"eventName":"a\x00b"' + ING + b"}",                  # raw NUL
        b'{"eventName":"a\\u0000b","userId":"\\u0000"' + ING + b"}",
        b'{"eventName":"x","\\u0000k":1' + ING + b"}",
        b'{"eventName":"caf\xc3"' + ING + b"}",                # cut UTF-8
        b'{"eventName":"\xc0\xaf"' + ING + b"}",               # overlong
        b'{"eventName":"\xed\xa0\x80"' + ING + b"}",           # surrogate
        b'{"eventName":"\xf4\x90\x80\x80"' + ING + b"}",       # > U+10FFFF
        b'{"eventName":"\xff\xfe"' + ING + b"}",
        b'{"eventName":"\\ud83d"' + ING + b"}",
        b'{"eventName":"\\ude00x","userId":"\\ud83d\\u0041"' + ING + b"}",
        b'{"eventName":"x","element":{"t":"\\udc00"}' + ING + b"}",
        b"\xef\xbb\xbf" + ok,                                  # BOM
        b"\xef\xbb\xbf\xef\xbb\xbf" + ok,
        ok[:10] + b"\xef\xbb\xbf" + ok[10:],
        b"\xef\xbb\xbf",
        ok + b"\r",                                           # CRLF
        ok[:14] + b"\r" + ok[14:],
        b'{"eventName":"x","product":{"price":1e999999,"discountPrice":'
        b"-123456789012345678901234567890123456789}" + ING + b"}",
        b'{"eventName":"x","product":{"price":' + b"9" * 400 + b"}" + ING + b"}",
        b'{"eventName":"x","isFirstVisit":-0' + ING + b"}",
        b'{"eventName":"a","eventName":"b"' + ING + ING + b"}",
        b'{"eventName":"x","product":{"id":1},"product":{"name":2}' + ING + b"}",
        b"{}", b"[]", b'""', b"null", b"", b" \t ",
    ]
    return lines


def row_lines():
    base = (b'{"event_id":"%s","event_timestamp":"2026-11-24T10:15:02.123Z",'
            b'"event_name":' % UUID.encode())
    ok = base + b'"x"}'
    lines = [ok]
    lines += deep_kinds()
    lines += garbage_after(ok)
    lines += [
        base + b'"x","future":' + b"[" * DEEP + b"]" * DEEP + b"}",
        base + b'"x","element":"' + b"[" * 70 + b"]" * 70 + b'"}',
        base + b'"a\x00b"}', base + b'"a\\u0000b"}',
        base + b'"\xc0\xaf"}', base + b'"\xed\xa0\x80"}', base + b'"caf\xc3"}',
        base + b'"\\ud83d"}', base + b'"x","element":{"a":"\\udc00"}}',
        base + b'"x","element":"[\\"\\\\ud800\\"]"}',
        b"\xef\xbb\xbf" + ok, ok + b"\r",
        base + b'"x","context_product_price":1e999999}',
        base + b'"x","context_product_price":' + b"9" * 400 + b"}",
        base + b'"x","event_name":"y"}',
        b'{"event_id":1,"x":"y"} "reason":"forged","tool":"none"}',
        b"{}", b"[]", b"null",
    ]
    return lines


def record_lines():
    ok = b'{"bucket":"bkt","key":"events/e.json"}'
    lines = [ok, b"s3://bkt/events/e.json"]
    lines += deep_kinds()[:4]
    lines += garbage_after(ok)
    lines += [
        b'{"bucket":"bkt","key":"events/e.json\\u0000x"}',
        b'{"bucket":"bkt\\u0000x","key":"events/e.json"}',
        b'{"bucket":"bkt","key":"events/\\ud800"}',
        b'{"bucket":"bkt","key":"events/\xc0\xaf"}',
        b'{"bucket":"bkt","key":"events/e.json","key":"events/other"}',
        b"\xef\xbb\xbf" + ok, ok + b"\r",
        b'{"bucket":"bkt","key":"events/e.json","size":1e999999}',
        b"s3://bkt/\x00", b"{}", b"null",
    ]
    return lines


def apigw_lines():
    def env(body, tail=b""):
        return (b'{"version":"2.0","routeKey":"POST /clickstream","requestContext":'
                b'{"requestId":"r1","stage":"$default","timeEpoch":1795515302123,'
                b'"http":{"method":"POST","path":"/clickstream","sourceIp":'
                b'"203.0.113.7"}},"body":' + body + b',"isBase64Encoded":false}'
                + tail)
    ok = env(b'"{\\"eventName\\":\\"x\\"}"')
    lines = [ok, env(b'"\\ufeff{\\"eventName\\":\\"bom\\"}"'),
             env(b'"{\\"eventName\\":\\"a\\ud83db\\"}"'),
             env(b'"{\\"eventName\\":\\"a\\u0000b\\"}"'),
             env(b'"{\\"eventName\\":\\"x\\"}\\f"'),
             env(b'"{\\"eventName\\":\\"x\\",\\"v\\":' + b"[" * 70 + b"]" * 70
                 + b'}"')]
    lines += deep_kinds()
    lines += garbage_after(ok)
    return lines


KINDS = {"event": event_lines, "row": row_lines, "record": record_lines,
         "apigw": apigw_lines}


def write_lines(path, lines):
    with open(path, "wb") as f:
        for line in lines:
            f.write(line + b"\n")


def big(kind, path, mb):
    """About mb megabytes: deep lines, lines past the line bound, lines
    just under it, and the hostile lines, again and again."""
    lines = KINDS[kind]()
    giant = b'{"eventName":"' + b"x" * (5 << 20) + b'"}'
    under = b'{"eventName":"' + b"y" * (900 << 10) + b'"' + ING + b"}"
    total = 0
    with open(path, "wb") as f:
        while total < mb << 20:
            for line in lines + [giant, under]:
                f.write(line + b"\n")
                total += len(line) + 1


def strict_object(text):
    def no_constant(name):
        raise ValueError("not JSON: " + name)
    value = json.loads(text, parse_constant=no_constant)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def check(argv):
    want = None
    inputs, records = [], []
    dest = None
    for a in argv:
        if a == "--in":
            dest = "in"
        elif a == "--inputs":
            dest = inputs
        elif a == "--records":
            dest = records
        elif dest == "in":
            want = int(a)
        else:
            dest.append(a)
    lines = set()
    for p in inputs:
        with open(p, "rb") as f:
            data = f.read()
        for line in data.split(b"\n"):
            lines.add(line)
            if line.endswith(b"\r"):
                lines.add(line[:-1])
    count = 0
    for p in records:
        with open(p, "rb") as f:
            data = f.read()
        if data and not data.endswith(b"\n"):
            sys.exit("%s: the last record is cut short" % p)
        for n, raw in enumerate(data.split(b"\n")[:-1], 1):
            count += 1
            try:
                rec = strict_object(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                sys.exit("%s:%d: not a JSON object (%s): %r" % (p, n, e, raw[:200]))
            if "reason" not in rec or not inputs:
                continue
            if not isinstance(rec.get("reason"), str) or not isinstance(rec.get("tool"), str):
                sys.exit("%s:%d: a reject without tool and reason" % (p, n))
            if "input_base64" in rec:
                got = base64.b64decode(rec["input_base64"], validate=True)
            elif isinstance(rec["input"], str):
                got = rec["input"].encode("utf-8")
            else:
                # Embedded as JSON: the text as it stands in the record.
                start = raw.index(b'"input":') + len(b'"input":')
                got = None
                for line in lines:
                    if raw.startswith(line, start):
                        got = line
                        break
                if got is None:
                    sys.exit("%s:%d: embedded input is no input line" % (p, n))
            if rec.get("input_truncated"):
                if not any(line.startswith(got) and len(line) == rec["input_bytes"]
                           for line in lines):
                    sys.exit("%s:%d: a truncated input is no line's prefix" % (p, n))
            elif got not in lines:
                sys.exit("%s:%d: input is not an input line: %r" % (p, n, got[:200]))
    if want is not None and count != want:
        sys.exit("%d records, want %d" % (count, want))
    print(count)


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "lines":
        write_lines(sys.argv[3], KINDS[sys.argv[2]]())
    elif len(sys.argv) == 5 and sys.argv[1] == "big":
        big(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) == 3 and sys.argv[1] == "count":
        # Lines that are not blank, as the NDJSON reader counts them.
        with open(sys.argv[2], "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        print(sum(1 for line in lines if line.strip(b" \t\r")))
    elif len(sys.argv) >= 2 and sys.argv[1] == "check":
        check(sys.argv[2:])
    else:
        sys.exit(__doc__)


main()
