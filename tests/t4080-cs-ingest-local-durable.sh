#!/bin/sh
# cs-ingest into a file:/// store prints an object's record only once the
# object is durable, and pays for that by groups of -j, not per object:
# the system calls it makes (strace) show, for each record, its file
# synced before its rename, and every directory of its key synced after
# the rename and before the record was written.
. "$top_srcdir/tests/lib.sh"

require_program strace
require_program python3

store=$TEST_DIR/store
mkdir -p "$store/bkt"

test_expect_success 'every record after its object is synced, renamed and its directories synced' '
	"$top_builddir/tests/gen-events" --count 20 --mode ingest >events &&
	test_line_count = 20 events &&
	# LeakSanitizer cannot run under ptrace: no leak check here.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -y -s 8192 -e trace=openat,write,fsync,syncfs,renameat,renameat2 \
		-o trace cs-ingest -q -j 8 --endpoint "file://$store" \
		s3://bkt/raw/ events >records &&
	test_line_count = 20 records &&
	python3 - "$store" trace records >report <<-\EOF &&
	import json, os, re, sys
	store, trace, records = sys.argv[1], sys.argv[2], sys.argv[3]
	fdpath = re.compile(r"\d+<([^>]*)>")
	calls = []
	for line in open(trace):
	    m = re.match(r"(\w+)\((.*)\) += (-?\d+)", line)
	    if m and int(m.group(3)) >= 0:
	        calls.append((m.group(1), m.group(2)))
	def at(pred):
	    return [i for i, c in enumerate(calls) if pred(c)]
	bad = []
	keys = [json.loads(l)["key"] for l in open(records)]
	out = at(lambda c: c[0] == "write" and c[1].startswith("1<"))
	for k in keys:
	    d, leaf = os.path.split(os.path.join(store, "bkt", k))
	    w = [i for i in out if ("\\\"key\\\":\\\"%s\\\"" % k) in calls[i][1]]
	    r = at(lambda c: c[0].startswith("renameat") and
	           re.search(r", \d+<%s>, \"%s\"" % (re.escape(d), re.escape(leaf)), c[1]))
	    if len(w) != 1 or len(r) != 1 or r[0] > w[0]:
	        bad.append("%s: rename %s, record %s" % (k, r, w)); continue
	    r, w = r[0], w[0]
	    tmp = re.search(r"\"(\.cs-tmp\.[^\"]*)\"", calls[r][1]).group(1)
	    tpath = os.path.join(d, tmp)
	    last_write = max(at(lambda c: c[0] == "write" and c[1].startswith(
	        "%s>" % tpath) or ("<%s>" % tpath) in c[1].split(",")[0]))
	    synced = [i for i in at(lambda c: c[0] == "syncfs" or (c[0] == "fsync" and
	              ("<%s>" % tpath) in c[1])) if last_write < i < r]
	    if not synced:
	        bad.append("%s: not synced between its write and its rename" % k)
	    p = d
	    while True:
	        if not [i for i in at(lambda c: c[0] == "fsync" and
	                 c[1] == "%s" % c[1].split("<")[0] + "<%s>" % p) if r < i < w]:
	            bad.append("%s: directory %s not synced before the record" % (k, p))
	        if p == os.path.join(store, "bkt"):
	            break
	        p = os.path.dirname(p)
	print("record writes", len(out))
	print("syncfs", len(at(lambda c: c[0] == "syncfs")))
	print("file fsyncs", len(at(lambda c: c[0] == "fsync" and ".cs-tmp." in c[1])))
	for b in bad:
	    print("bad", b)
	EOF
	cat report &&
	! grep "^bad" report &&
	find "$store" -name ".cs-tmp.*" >tmps &&
	test_line_count = 0 tmps
'

test_expect_success 'grouped: three groups of -j 8 for 20 events, not 20 flushes' '
	# Groups of 8, 8 and 4: a syncfs() each, or (without it) an fsync() a file.
	grep "^syncfs 3$" report && grep "^file fsyncs 0$" report ||
		grep "^syncfs 0$" report &&
	grep "^record writes [123]$" report
'

test_expect_success 'the objects are the events, whole' '
	for f in $(sed -n "s/.*\"key\":\"\\([^\"]*\\)\".*/\\1/p" records); do
		cat "$store/bkt/$f" && echo
	done >stored &&
	test_line_count = 20 stored &&
	sort stored >got &&
	sort events >want &&
	test_cmp want got
'

test_done
