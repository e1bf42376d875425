# lib.sh: sourced by every end-to-end test (tests/e2e/tNNNN-*.sh).
#
# Provides: $T (a fresh temporary directory, removed at exit), WINNOW_DB=$T/w.db,
# the built tools on PATH, and
#   expect STATUS CMD...   run CMD, stdout to $T/out, stderr to $T/err; fail unless
#                          it exits with STATUS
#   golden NAME            compare $T/out with $EXPECTED/NAME (REGEN=1 rewrites it)
#   fail MSG               report and exit 1
#   check_help TOOL        --help exits 0 on stdout, a bad option 64 with one hint
#   start_mirror ARGS...   start winnow-mirror on a free loopback port, set $MIRROR
# Tests print "ok N - ..." lines; the exit status is what counts.

set -u
: "${BUILD_ROOT:?BUILD_ROOT not set (run through meson test)}"
: "${SOURCE_ROOT:?}"
TESTDATA=${TESTDATA:-$SOURCE_ROOT/tests/data}
SHARED_DATA=${SHARED_DATA:-$SOURCE_ROOT/../shared/data}
EXPECTED=${EXPECTED:-$SOURCE_ROOT/tests/expected}
export TZ=UTC LC_ALL=C OPENBLAS_NUM_THREADS=1

# Debian's python3 has numpy, scipy and PIL (tools/bootstrap installs them);
# another python3 earlier on PATH may not.
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3
python3() { "$PYTHON" "$@"; }

for _d in db crawl dedup split pair tools tools/mirror tools/report tools/train; do
	[ -d "$BUILD_ROOT/$_d" ] && PATH="$BUILD_ROOT/$_d:$PATH"
done
export PATH

T=$(mktemp -d "${TMPDIR:-/tmp}/winnow-test.XXXXXX") || exit 99
_pids=""
_cleanup() {
	for _p in $_pids; do kill "$_p" 2>/dev/null; done
	rm -rf "$T"
}
trap _cleanup EXIT
trap 'exit 1' INT TERM HUP
WINNOW_DB=$T/w.db
export WINNOW_DB
unset WN_DB WN_STORE
_n=0

fail() {
	echo "FAIL: $*" >&2
	if [ -s "$T/err" ]; then echo "--- stderr:" >&2; head -n 40 "$T/err" >&2; fi
	exit 1
}

ok() {
	_n=$((_n + 1))
	echo "ok $_n - $*"
}

expect() {
	_want=$1
	shift
	"$@" >"$T/out" 2>"$T/err" </dev/null
	_got=$?
	[ "$_got" -eq "$_want" ] || fail "'$*' exited $_got, expected $_want"
	ok "$* -> $_want"
}

# Like expect, but stdin comes from the caller.
expect_in() {
	_want=$1
	shift
	"$@" >"$T/out" 2>"$T/err"
	_got=$?
	[ "$_got" -eq "$_want" ] || fail "'$*' exited $_got, expected $_want"
	ok "$* -> $_want"
}

golden() {
	if [ "${REGEN:-0}" = 1 ]; then
		cp "$T/out" "$EXPECTED/$1"
		ok "regenerated $1"
		return
	fi
	[ -f "$EXPECTED/$1" ] || fail "no golden file $EXPECTED/$1 (run with REGEN=1)"
	if ! diff -u "$EXPECTED/$1" "$T/out" >&2; then
		fail "output differs from golden $1"
	fi
	ok "golden $1"
}

# The standard checks every tool passes.
check_help() {
	_tool=$1
	expect 0 "$_tool" --help
	grep -q "^usage: $_tool" "$T/out" || fail "$_tool --help: no usage line on stdout"
	[ -s "$T/err" ] && fail "$_tool --help wrote to stderr"
	expect 64 "$_tool" --no-such-option
	[ -s "$T/out" ] && fail "$_tool with a bad option wrote to stdout"
	grep -q "Try '$_tool --help' for more information." "$T/err" ||
		fail "$_tool: no --help hint after a bad option"
	[ "$(wc -l <"$T/err")" -le 2 ] || fail "$_tool printed more than two lines for a bad option"
	expect 0 "$_tool" --version
	grep -q "^$_tool [0-9]" "$T/out" || fail "$_tool --version: no version"
}

# start_mirror ARGS...: winnow-mirror on a free port; sets MIRROR=http://127.0.0.1:PORT
start_mirror() {
	rm -f "$T/mirror.port"
	winnow-mirror --port 0 --port-file "$T/mirror.port" "$@" >"$T/mirror.log" 2>&1 &
	_pids="$_pids $!"
	_i=0
	while [ ! -s "$T/mirror.port" ]; do
		_i=$((_i + 1))
		[ $_i -gt 100 ] && { cat "$T/mirror.log" >&2; fail "winnow-mirror did not start"; }
		sleep 0.1
	done
	MIRROR=http://127.0.0.1:$(cat "$T/mirror.port")
	export MIRROR
}

sql() {
	sqlite3 -batch -noheader "$WINNOW_DB" "$@"
}
