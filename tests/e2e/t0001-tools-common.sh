#!/bin/sh
# Every tool: --help on stdout with exit 0, one line and a hint for a bad option
# (exit 64), --version naming the tool, and a manual page that mandoc accepts.
. "$TESTLIB"

for tool in winnow-db winnow-crawl winnow-split winnow-hash winnow-dedup winnow-pair \
	    winnow-mirror winnow-report winnow-train; do
	command -v "$tool" >/dev/null || fail "$tool is not built"
	check_help "$tool"
	grep -q "See $tool(1)." "$T/out" && fail "--version printed the help"
	"$tool" --help | tail -n 1 | grep -q "^See $tool(1)\.$" || fail "$tool --help does not end with 'See $tool(1).'"
	man=$(find "$SOURCE_ROOT" -name "$tool.1" -not -path '*/build*' | head -n 1)
	[ -n "$man" ] || fail "no manual page for $tool"
	if command -v mandoc >/dev/null; then
		mandoc -Tlint -Wwarning "$man" >"$T/lint" 2>&1
		grep -v -e 'referenced manual not found' -e 'mandoc.db' "$T/lint" | grep -q . &&
			fail "mandoc -Tlint $man: $(cat "$T/lint")"
	fi
	ok "$tool: manual page $man"
done
