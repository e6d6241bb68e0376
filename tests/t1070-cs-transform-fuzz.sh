#!/bin/sh
# Mutated event lines (seeded, so the same every run), checked against
# Python's json module as the oracle: a line Python takes is a row or a
# reject for its type or content, with the line embedded as JSON; a line it
# refuses is a syntax, UTF-8 or NUL reject; every row is JSON PostgreSQL
# can store (UTF-8, no NUL, element and ingest JSON themselves).
. "$top_srcdir/tests/lib.sh"

PYTHON3=${PYTHON3:-python3}
require_program "$PYTHON3"

test_expect_success 'setup: 6000 mutated lines' '
	"$top_builddir/tests/gen-events" --seed 17 --count 600 --mode fetch |
		sed "s/\"_source\"/\"_src\"/" >seed.ndjson &&
	"$PYTHON3" - >fuzz.ndjson <<-\EOF
	import random, sys
	random.seed(20261124)
	lines = open("seed.ndjson", "rb").read().split(b"\n")[:-1]
	alpha = b"{}[]\":,\\\\u0123456789abcdefnrtl -.eE+\x00\xff\xc3\xa9\xed\xa0\x80\t"
	out = sys.stdout.buffer
	for i in range(6000):
	    l = bytearray(random.choice(lines))
	    for _ in range(random.randint(1, 4)):
	        op, p = random.randint(0, 3), random.randrange(len(l) + 1)
	        if op == 0:
	            del l[p:p + random.randint(1, 5)]
	        elif op == 1:
	            l[p:p] = bytes([random.choice(alpha)])
	        elif op == 2 and p < len(l):
	            l[p] = random.choice(alpha)
	        else:
	            o = random.choice(lines)
	            a = random.randrange(len(o))
	            l[p:p] = o[a:a + random.randint(1, 40)]
	    l = bytes(l).replace(b"\n", b" ").replace(b"\r", b" ")
	    out.write((l if l.strip(b" \t") else b"x") + b"\n")
	EOF
	test_line_count = 6000 fuzz.ndjson
'

test_expect_success 'every line is a row or a reject, as the oracle says' '
	cs-transform -q --max-reject-rate 1 --rejects rej.ndjson fuzz.ndjson >rows.ndjson &&
	"$PYTHON3" - <<-\EOF
	import json, sys
	lines = open("fuzz.ndjson", "rb").read().split(b"\n")[:-1]
	rejects = {}
	for l in open("rej.ndjson", "rb"):
	    r = json.loads(l)
	    rejects[r["source"]["line"]] = r
	def python_takes(b):
	    try:
	        json.loads(b.decode("utf-8"), parse_constant=lambda c: 1 / 0)
	        return True
	    except Exception:
	        return False
	bad = rows = 0
	for n, l in enumerate(lines, 1):
	    ok = python_takes(l)
	    r = rejects.get(n)
	    if r is None:
	        rows += 1
	        if not ok:
	            print("line %d: a row from a line Python refuses" % n); bad += 1
	        continue
	    syntax = r["reason"].startswith(("malformed JSON", "invalid UTF-8", "NUL byte"))
	    if ok == syntax:
	        print("line %d: %r, Python %s it" % (n, r["reason"], "takes" if ok else "refuses")); bad += 1
	    if ok and r["input"] != json.loads(l):
	        print("line %d: the reject does not hold the line as JSON" % n); bad += 1
	n = 0
	for l in open("rows.ndjson", "rb"):
	    row = json.loads(l.decode("utf-8"))
	    n += 1
	    for k, v in row.items():
	        if isinstance(v, str):
	            v.encode("utf-8")
	            if "\0" in v:
	                print("a NUL in %s" % k); bad += 1
	            if k in ("element", "ingest"):
	                json.loads(v)
	if n != rows:
	    print("%d rows, %d lines without a reject" % (n, rows)); bad += 1
	print("# %d rows, %d rejects" % (rows, len(rejects)))
	sys.exit(1 if bad or rows < 100 or len(rejects) < 1000 else 0)
	EOF
'

test_done
