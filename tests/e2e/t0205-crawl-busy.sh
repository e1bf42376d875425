#!/bin/sh
# Exit 75 (retry later) when the network is down, the database is locked or
# another crawl holds the store; nothing is damaged.
. "$TESTLIB"

# nothing listens on port 1
expect 75 winnow-crawl pmc --query x --retries 2 --backoff 0.01 \
	--eutils-base http://127.0.0.1:1/ --s3-base http://127.0.0.1:1/
grep -q "not answering" "$T/err" || fail "network down: no clear message"
ok "network down: 75"

start_mirror --data "$TESTDATA/sample"
B="--eutils-base $MIRROR/entrez/eutils/ --s3-base $MIRROR/"
expect 0 winnow-crawl pmc -q --query 'elife[journal]' $B

# another crawl holds the store
mkdir -p "$T/w-store"
flock -o "$T/w-store/.lock" sleep 6 &
holder=$!
_pids="$_pids $holder"
sleep 0.3
expect 75 winnow-crawl pmc -q --query 'open_access[filter]' $B
grep -q "another winnow-crawl" "$T/err" || fail "concurrent crawl: no clear message"
ok "concurrent crawl: 75"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# a writer holds the database
( echo 'BEGIN IMMEDIATE; UPDATE runs SET summary = summary;'; sleep 4; echo 'COMMIT;' ) |
	sqlite3 "$WINNOW_DB" &
writer=$!
_pids="$_pids $writer"
sleep 0.5
expect 75 winnow-crawl pmc -q --busy-timeout 200 --query 'open_access[filter]' $B
ok "locked database: 75"
wait "$writer"
expect 0 winnow-crawl pmc -q --query 'open_access[filter]' $B
[ "$(sql "SELECT count(*) FROM documents")" -eq 20 ] || fail "crawl after the lock"
[ "$(sql "PRAGMA quick_check")" = ok ] || fail "database damaged"
ok "after the lock: complete"
