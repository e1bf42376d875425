#!/bin/sh
# winnow-mirror: options, exit codes, port file, clean shutdown.
. "$TESTLIB"
command -v curl >/dev/null 2>&1 || { echo "skip: no curl"; exit 77; }
SAMPLE=$TESTDATA/sample

check_help winnow-mirror
expect 0 winnow-mirror -h
tail -n 1 "$T/out" | grep -q "^See winnow-mirror(1).$" || fail "--help does not end with the manual"
# every long option of the usage is in the manual's SYNOPSIS
for opt in $(sed -n 's/^usage: //p; s/^  *\[/[/p' "$T/out" | grep -o -- '--[a-z-]*' | sort -u); do
	sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$SOURCE_ROOT/tools/mirror/winnow-mirror.1" |
		grep -q "Fl -${opt#--}\( \|$\)" ||
		fail "$opt is in the usage but not in the SYNOPSIS"
done
ok "usage and SYNOPSIS agree"

expect 64 winnow-mirror --port 0
grep -q -- "--data" "$T/err" || fail "no word about --data"
expect 64 winnow-mirror --data "$SAMPLE" --port 70000
expect 64 winnow-mirror --data "$SAMPLE" --fault-rate 2
expect 64 winnow-mirror --data "$SAMPLE" --fault-kinds 429,teapot
expect 64 winnow-mirror --data "$SAMPLE" extra-argument
expect 64 winnow-mirror --data "$SAMPLE" --port 0 --bind 0.0.0.0
grep -q "not a loopback address" "$T/err" || fail "bind refusal not explained"
expect 66 winnow-mirror --data "$T/no-such-dir" --port 0
expect 66 winnow-mirror --data "$SAMPLE" --port 0 --scenario no-such-scenario
expect 73 winnow-mirror --data "$SAMPLE" --port 0 --port-file "$T/no/such/dir/port"

# The port file appears once the server answers; SIGTERM stops it with 0.
winnow-mirror --data "$SAMPLE" --port 0 --port-file "$T/port" -v 2>"$T/server.err" &
pid=$!
i=0
while [ ! -s "$T/port" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "no port file"
	sleep 0.1
done
port=$(cat "$T/port")
case $port in *[!0-9]*|'') fail "port file holds '$port'" ;; esac
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/_mirror/stats")
[ "$code" = 200 ] || fail "stats answered $code"
ok "port file written when listening ($port)"
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 0 ] || fail "SIGTERM: exit $rc"
grep -q "done: 1 requests" "$T/server.err" || fail "no summary line: $(cat "$T/server.err")"
ok "SIGTERM stops the server cleanly"

# The environment variable stands in for --data; SIGINT works too.
WINNOW_MIRROR_DATA=$SAMPLE winnow-mirror --port 0 --port-file "$T/port2" -q &
pid=$!
i=0
while [ ! -s "$T/port2" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "no port file with WINNOW_MIRROR_DATA"
	sleep 0.1
done
kill -INT $pid
wait $pid || fail "SIGINT: exit $?"
ok "WINNOW_MIRROR_DATA and SIGINT"
