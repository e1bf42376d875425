#!/bin/sh
# The same crawl through a mirror that answers 10% of requests with a fault of
# every kind (429 with Retry-After, 500, 503, slow, truncated, wrong MD5,
# dropped connection, garbage) gives the identical database.
. "$TESTLIB"

DUMP=$SOURCE_ROOT/tests/data/crawl/dump.sh
Q='open_access[filter]'

start_mirror --data "$TESTDATA/sample"
expect 0 winnow-crawl pmc -q -d "$T/clean.db" --query "$Q" \
	--eutils-base "$MIRROR/entrez/eutils/" --s3-base "$MIRROR/"
"$DUMP" "$T/clean.db" >"$T/clean.dump"
[ "$(grep -c '^fig' "$T/clean.dump")" -eq 72 ] || fail "clean crawl incomplete"

for seed in 1 2 3; do
	start_mirror --data "$TESTDATA/sample" --fault-rate 0.1 --fault-kinds all \
		--seed "$seed" --slow-ms 300 --log "$T/faults-$seed.log"
	expect 0 winnow-crawl pmc -q -d "$T/f$seed.db" --query "$Q" --backoff 0.05 \
		--eutils-base "$MIRROR/entrez/eutils/" --s3-base "$MIRROR/"
	"$DUMP" "$T/f$seed.db" >"$T/f$seed.dump"
	if ! diff -u "$T/clean.dump" "$T/f$seed.dump" >&2; then
		fail "seed $seed: the database differs from the clean crawl"
	fi
	ok "seed $seed: identical database despite faults"
done
