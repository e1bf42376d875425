#!/bin/sh
# --legacy-oa: the OA Web Service and its tar.gz packages, read with libarchive
# in memory; hostile packages (path traversal, absolute paths, links, a
# decompression bomb) are refused with a clear ledger row; a retired service
# (404) says so.
. "$TESTLIB"

Q='open_access[filter]'
start_mirror --data "$TESTDATA/sample"
legacy() {	# legacy EXPECTED-STATUS DB [ARGS...]
	_st=$1
	_db=$2
	shift 2
	expect "$_st" winnow-crawl pmc -d "$_db" --legacy-oa --eutils-rate 100 \
		--retries 2 --backoff 0.01 --eutils-base "$MIRROR/entrez/eutils/" \
		--s3-base "$MIRROR/" --oa-base "$MIRROR/pmc/utils/oa/oa.fcgi" \
		--ftp-base "$MIRROR/" "$@"
}

legacy 0 "$T/l.db" --query "$Q"
[ "$(wc -l <"$T/out")" -eq 20 ] || fail "legacy: 20 documents expected"
[ "$(sqlite3 "$T/l.db" "SELECT count(*) FROM figures WHERE status = 'ok'")" -eq 72 ] ||
	fail "legacy: figures not all stored"
expect 0 winnow-crawl pmc -q -d "$T/b.db" --query "$Q" \
	--eutils-base "$MIRROR/entrez/eutils/" --s3-base "$MIRROR/"
[ "$(sqlite3 "$T/l.db" "SELECT group_concat(sha256) FROM (SELECT sha256 FROM images ORDER BY 1)")" = \
  "$(sqlite3 "$T/b.db" "SELECT group_concat(sha256) FROM (SELECT sha256 FROM images ORDER BY 1)")" ] ||
	fail "legacy and bucket crawls stored different images"
ok "legacy packages give the bucket's figures"
legacy 0 "$T/l.db" --query "$Q" --since 2000-01-01
[ -s "$T/out" ] && fail "legacy rerun printed ids"
ok "legacy rerun: nothing new"

start_mirror --data "$TESTDATA/sample" --scenario oa-evil
mkdir "$T/evil"
( cd "$T/evil" && legacy 0 "$T/evil/e.db" --query "$Q" )
sqlite3 "$T/evil/e.db" "SELECT state || '|' || last_error FROM fetches WHERE url LIKE '%PMC3166277.tar.gz'" |
	grep -q '^failed|refused package: ' || fail "hostile package not refused with a clear row"
[ "$(sqlite3 "$T/evil/e.db" "SELECT count(*) FROM documents")" -eq 19 ] || fail "hostile package: others lost"
[ -z "$(find "$T" -name 'escaped*')" ] || fail "a file escaped the package"
ok "hostile package refused"

start_mirror --data "$TESTDATA/sample" --scenario oa-retired
legacy 0 "$T/r.db" --query "$Q"
grep -q "OA Web Service is retired" "$T/err" || fail "retired service: no clear message"
[ "$(sqlite3 "$T/r.db" "SELECT count(*) FROM fetches WHERE state = 'gone' AND http_status = 404")" -eq 20 ] ||
	fail "retired service: ledger rows"
ok "retired OA Web Service"
