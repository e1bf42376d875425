#!/bin/sh
# winnow-mirror fault injection: each kind looks like the real failure, the
# draws are deterministic per seed, and a client that retries always wins.
. "$TESTLIB"
command -v curl >/dev/null 2>&1 || { echo "skip: no curl"; exit 77; }
SAMPLE=$TESTDATA/sample
FIG=PMC6682400.1/fig1.jpg
FIGMD5=$(md5sum <"$SAMPLE/bucket/$FIG" | cut -d' ' -f1)
FIGLEN=$(wc -c <"$SAMPLE/bucket/$FIG" | tr -d ' ')

# up ARGS...: a mirror of the sample on a free port; $B is its base URL
up() {
	rm -f "$T/port"
	winnow-mirror --data "$SAMPLE" --port 0 --port-file "$T/port" --slow-ms 20 \
		--retry-after 0 "$@" 2>>"$T/mirror.err" &
	mpid=$!
	_pids="$_pids $mpid"
	_i=0
	while [ ! -s "$T/port" ]; do
		_i=$((_i + 1))
		[ $_i -gt 100 ] && fail "winnow-mirror did not start: $(cat "$T/mirror.err")"
		sleep 0.1
	done
	B=http://127.0.0.1:$(cat "$T/port")
}
down() {
	kill "$mpid"
	wait "$mpid" || fail "winnow-mirror exited $?"
}
# fetch URL: status in $code, curl's exit in $crc, body in $T/body
fetch() {
	rm -f "$T/body" "$T/hdr"
	code=$(curl -s -m 20 -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$1")
	crc=$?
}
hdr() {
	sed -n "s/^$1: //Ip" "$T/hdr" | tr -d '\r'
}
bodymd5() {
	if [ -f "$T/body" ]; then md5sum <"$T/body" | cut -d' ' -f1; else echo none; fi
}

# each kind, at rate 1: the first two attempts fail that way, the third works
for kind in 429 500 503 slow truncate bad-md5 drop garbage; do
	up --fault-rate 1 --fault-kinds $kind
	fetch "$B/$FIG"
	case $kind in
	429)
		[ "$code" = 429 ] && [ "$(hdr retry-after)" = 0 ] || fail "429: $code"
		grep -q '<Code>SlowDown</Code>' "$T/body" || fail "429 from the bucket: S3 body"
		fetch "$B/entrez/eutils/esearch.fcgi?db=pmc&term=microscopy"
		[ "$code" = 429 ] && grep -q '"error":"API rate limit exceeded"' "$T/body" ||
			fail "429 from E-utilities: NCBI's JSON body"
		[ "$(hdr x-ratelimit-remaining)" = 0 ] || fail "429 without X-RateLimit-Remaining" ;;
	500)	[ "$code" = 500 ] && grep -q '<Code>InternalError</Code>' "$T/body" || fail "500: $code" ;;
	503)	[ "$code" = 503 ] && [ -n "$(hdr retry-after)" ] || fail "503: $code" ;;
	slow)	[ "$code" = 200 ] && [ "$(bodymd5)" = "$FIGMD5" ] || fail "slow: $code" ;;
	truncate)
		[ "$crc" = 18 ] || fail "truncate: curl exit $crc, expected 18 (partial file)"
		[ "$(hdr content-length)" = "$FIGLEN" ] || fail "truncate: Content-Length $(hdr content-length)"
		[ "$(wc -c <"$T/body")" -lt "$FIGLEN" ] || fail "truncate: full body" ;;
	bad-md5)
		[ "$code" = 200 ] && [ "$(wc -c <"$T/body" | tr -d ' ')" = "$FIGLEN" ] || fail "bad-md5: $code"
		[ "$(bodymd5)" != "$FIGMD5" ] || fail "bad-md5: bytes intact"
		[ "$(hdr etag)" = "\"$FIGMD5\"" ] || fail "bad-md5: the ETag must still be the true MD5" ;;
	drop)	[ "$crc" = 52 ] || fail "drop: curl exit $crc, expected 52 (empty reply)" ;;
	garbage)
		[ "$code" = 200 ] && [ "$(bodymd5)" != "$FIGMD5" ] || fail "garbage: $code" ;;
	esac
	fetch "$B/$FIG"
	[ "$kind" = slow ] || [ "$(bodymd5)" != "$FIGMD5" ] || fail "$kind: the second attempt did not fail"
	fetch "$B/$FIG"
	[ "$code" = 200 ] && [ "$(bodymd5)" = "$FIGMD5" ] ||
		fail "$kind: the third attempt did not succeed ($code, curl $crc)"
	down
	ok "fault $kind, then success on the third attempt"
done

# --max-consecutive-faults 0 turns faults off even at rate 1
up --fault-rate 1 --max-consecutive-faults 0
fetch "$B/$FIG"
[ "$code" = 200 ] && [ "$(bodymd5)" = "$FIGMD5" ] || fail "faults with --max-consecutive-faults 0"
down
ok "--max-consecutive-faults 0"

# A retrying client over many URLs: same seed, same faults; every URL completes
urls() {
	echo "$B/?list-type=2&prefix=PMC6682400.1/"
	echo "$B/entrez/eutils/esearch.fcgi?db=pmc&term=open_access%5Bfilter%5D"
	echo "$B/entrez/eutils/efetch.fcgi?db=pmc&id=3166277"
	echo "$B/europepmc/webservices/rest/search?query=microscopy&format=json"
	for f in "$SAMPLE"/bucket/PMC6682400.1/* "$SAMPLE"/bucket/PMC5760205.1/*; do
		echo "$B/${f#"$SAMPLE"/bucket/}"
	done
}
crawl() {
	up --fault-rate 0.5 --seed "$1" --log "$T/log.$2"
	n=0
	for u in $(urls); do
		tries=0
		while :; do
			tries=$((tries + 1))
			fetch "$u"
			if [ "$crc" = 0 ] && [ "$code" = 200 ]; then
				case $u in
				*.jpg|*.xml|*.json|*.txt)
					[ "$(bodymd5)" = "$(md5sum <"$SAMPLE/bucket/${u#"$B"/}" | cut -d' ' -f1)" ] && break ;;
				*\?*)	head -c 1 "$T/body" | grep -q '[<{]' && break ;;
				esac
			fi
			[ $tries -lt 3 ] || fail "seed $1: $u still failing after 3 attempts"
		done
		n=$((n + 1))
	done
	down
	sed 's/^\(GET [^ ]*\) .* \([a-z0-9-]*\)$/\1 \2/' "$T/log.$2" >"$T/faults.$2"
}
crawl 3 a
crawl 3 b
crawl 4 c
cmp -s "$T/faults.a" "$T/faults.b" || fail "seed 3 twice gave different faults"
cmp -s "$T/faults.a" "$T/faults.c" && fail "seeds 3 and 4 gave the same faults"
nf=$(grep -vc ' none$' "$T/faults.a")
nr=$(wc -l <"$T/faults.a")
[ "$nf" -ge 5 ] && [ "$nf" -lt "$nr" ] || fail "$nf faults in $nr requests at rate 0.5"
ok "$n URLs complete with retries; $nf faults in $nr requests, the same for the same seed"
