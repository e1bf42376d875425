#!/bin/sh
# winnow-hash against a locked database (exit 75, nothing lost), a schema newer
# than the tool (78), and kill -9 in the middle of a run: what was committed
# stays, and a rerun completes the rest with no duplicate rows.
. "$TESTLIB"
# Debian's python3 (numpy, PIL), not whatever python3 comes first on PATH
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
H=$TESTDATA/hash
STORE=$T/w-store

expect 0 winnow-db init
mkdir -p "$STORE"
cp "$H/bridge-1-original.jpg" "$STORE/b.jpg"
N=120
i=1
{
	echo "BEGIN;"
	while [ $i -le $N ]; do
		printf "INSERT INTO images (id, sha256, path, bytes) VALUES (%d, '%064d', 'b.jpg', 1);\n" $i $i
		i=$((i + 1))
	done
	echo "COMMIT;"
} | sqlite3 "$WINNOW_DB" || fail "fixture"

# another process holds the write lock: exit 75 after the busy timeout
mkfifo "$T/fifo"
sqlite3 "$WINNOW_DB" <"$T/fifo" >"$T/holder.out" 2>&1 &
holder=$!
exec 3>"$T/fifo"
printf "BEGIN IMMEDIATE;\nINSERT INTO reasons VALUES ('x-lock', 'test');\n.shell touch '%s'\n" "$T/locked" >&3
k=0
while [ ! -e "$T/locked" ]; do
	k=$((k + 1))
	[ $k -gt 200 ] && fail "the lock holder did not start"
	sleep 0.05
done
expect 75 winnow-hash --all --busy-timeout 200
grep -q "locked" "$T/err" || fail "no 'locked' in the message"
[ "$(wc -l <"$T/err")" -le 2 ] || fail "more than a line or two for a locked database"
printf "ROLLBACK;\n" >&3
exec 3>&-
wait $holder
[ "$(sql 'SELECT count(*) FROM hashes')" -eq 0 ] || fail "rows written while locked"
ok "locked database -> 75, nothing written"

# kill -9 during a run, small batches so that some are committed first
winnow-hash --all -j 1 --batch-rows 3 >"$T/killed.out" 2>"$T/killed.err" &
pid=$!
k=0
while [ "$(sql 'SELECT count(*) FROM hashes')" -lt 6 ]; do
	k=$((k + 1))
	kill -0 $pid 2>/dev/null || break
	[ $k -gt 600 ] && break
	sleep 0.05
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
done1=$(sql 'SELECT count(*) FROM hashes')
[ "$(sql 'PRAGMA quick_check')" = ok ] || fail "database damaged"
# every id printed was committed
while read -r id; do
	[ "$(sql "SELECT count(*) FROM hashes WHERE image_id = $id")" -eq 1 ] || fail "printed $id, not committed"
done <"$T/killed.out"
expect 0 winnow-hash --all
[ "$(sql 'SELECT count(*) FROM hashes')" -eq $N ] || fail "rerun did not complete: $(sql 'SELECT count(*) FROM hashes')"
[ "$(sql 'SELECT count(DISTINCT image_id) FROM hashes')" -eq $N ] || fail "duplicate rows"
[ "$(wc -l <"$T/out")" -eq $((N - done1)) ] || fail "rerun printed $(wc -l <"$T/out") ids, expected $((N - done1))"
[ "$(sql 'SELECT count(DISTINCT lower(hex(pdq))) FROM hashes')" -eq 1 ] || fail "different hashes for one file"
ok "kill -9 after $done1 rows: rerun completed the other $((N - done1))"

# a schema newer than this tool
sql "PRAGMA user_version = 999"
expect 78 winnow-hash --all
grep -q "newer" "$T/err" || fail "no schema message"
