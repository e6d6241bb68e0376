#!/bin/sh
# Every name libcs exports carries its file's prefix (issue 14): what
# libcs/NAME.c defines for other files is cs_NAME or cs_NAME_*, so that a
# newcomer finds a function's file from its name.  Read with nm from the
# library this build made (names the compiler makes, __*, aside).
. "$top_srcdir/tests/lib.sh"

lib=$top_builddir/libcs/libcs.a

# misnamed: nm -A lines on stdin; prints "FILE.c: NAME" for each defined
# global name that is not cs_FILE or cs_FILE_*.
misnamed() {
	awk '{
		n = split($1, part, ":")
		obj = part[2]
		sub(/^libcs_a-/, "", obj)
		sub(/\.o$/, "", obj)
		name = $NF
		if (name ~ /^__/)
			next
		if (name != "cs_" obj && index(name, "cs_" obj "_") != 1)
			print obj ".c: " name
	}'
}

test_expect_success 'nm lists the names libcs defines, file by file' '
	${NM:-nm} -A --defined-only -g "$lib" >syms &&
	grep -q "evparse\.o:.* T cs_evparse_line\$" syms &&
	grep -q "json\.o:.* T cs_json_check\$" syms
'

test_expect_success 'the check finds a name outside its file'"'"'s prefix' '
	printf "%s\n" \
		"libcs/libcs.a:json.o:0000000000000010 T cs_json_check" \
		"libcs/libcs.a:json.o:0000000000000020 T cs_jsonx_check" \
		"libcs/libcs.a:libcs_a-s3.o:0000000000000030 T cs_s3name_url_parse" \
		"libcs/libcs.a:s3.o:0000000000000040 D cs_s3" \
		"libcs/libcs.a:s3.o:0000000000000050 B __odr_asan.cs_x" \
		"libcs/libcs.a:row.o:0000000000000060 T hex4" |
	misnamed >found &&
	printf "%s\n" "json.c: cs_jsonx_check" "s3.c: cs_s3name_url_parse" \
		"row.c: hex4" >want &&
	test_cmp want found
'

test_expect_success 'every name libcs exports carries its file'"'"'s prefix' '
	misnamed <syms >found &&
	test_cmp /dev/null found
'

test_done
