#!/bin/sh
# kill -9 at random moments, then a rerun: the database is identical to an
# uninterrupted crawl, passes the integrity check, and the store holds no
# partial file.  Several seeds.
. "$TESTLIB"

DUMP=$SOURCE_ROOT/tests/data/crawl/dump.sh
Q='open_access[filter]'

start_mirror --data "$TESTDATA/sample" --latency-ms 60
B="--eutils-base $MIRROR/entrez/eutils/ --s3-base $MIRROR/"
expect 0 winnow-crawl pmc -q -d "$T/clean.db" --query "$Q" $B
"$DUMP" "$T/clean.db" >"$T/clean.dump"

for seed in 11 22 33 44; do
	db=$T/k$seed.db
	for delay in $(awk -v s="$seed" 'BEGIN { srand(s); for (i = 0; i < 3; i++)
		printf "%.2f\n", 0.05 + rand() * 1.2 }'); do
		winnow-crawl pmc -q -d "$db" --query "$Q" $B >/dev/null 2>&1 &
		pid=$!
		sleep "$delay"
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		if [ -s "$db" ]; then
			sqlite3 "$db" "PRAGMA quick_check" 2>/dev/null | grep -qx ok ||
				fail "seed $seed: database damaged after kill -9"
			if command -v winnow-db >/dev/null 2>&1; then
				winnow-db -q -d "$db" check >/dev/null 2>&1 ||
					fail "seed $seed: winnow-db check fails after kill -9"
			fi
		fi
	done
	expect 0 winnow-crawl pmc -q -d "$db" --query "$Q" $B
	"$DUMP" "$db" >"$T/k$seed.dump"
	diff -u "$T/clean.dump" "$T/k$seed.dump" >&2 ||
		fail "seed $seed: database differs from the uninterrupted crawl"
	[ "$(sqlite3 "$db" "PRAGMA foreign_key_check" | wc -l)" -eq 0 ] ||
		fail "seed $seed: foreign keys"
	[ -z "$(ls -A "${db%.db}-store/.tmp" 2>/dev/null)" ] || fail "seed $seed: partial files left"
	sqlite3 "$db" "SELECT sha256, path FROM images" | while IFS='|' read -r sha path; do
		[ "$(sha256sum "${db%.db}-store/$path" | cut -d' ' -f1)" = "$sha" ] ||
			echo "$path" >>"$T/bad"
	done
	[ -e "$T/bad" ] && fail "seed $seed: store file does not match its hash"
	ok "seed $seed: killed 3 times, rerun gives the identical database"
done
