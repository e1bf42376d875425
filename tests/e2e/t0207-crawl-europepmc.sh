#!/bin/sh
# winnow-crawl europepmc: search with cursorMark paging (page size 100, the
# mirror's pages follow the real API), fullTextXML per article, the same
# captions as the PMC route, figure files that are missing leave clear ledger
# rows, a second run does nothing, an errCode inside a 200 is an error.
. "$TESTLIB"

start_mirror --data "$TESTDATA/sample"
E="--europepmc-base $MIRROR/europepmc/webservices/rest/ --files-base $MIRROR/epmc-files/"

expect 0 winnow-crawl europepmc --query microscopy --retries 2 --backoff 0.01 $E
[ "$(wc -l <"$T/out")" -eq 5 ] || fail "5 documents expected"
[ "$(sql "SELECT count(*) FROM documents WHERE source = 'europepmc'")" -eq 5 ] || fail "documents"
[ "$(sql "SELECT license FROM documents WHERE source_id = 'PMC6682400'")" = CC0 ] || fail "licence"
ok "Europe PMC documents recorded"

# the same captions as the PMC route
expect 0 winnow-crawl pmc -q -d "$T/pmc.db" --query microscopy \
	--eutils-base "$MIRROR/entrez/eutils/" --s3-base "$MIRROR/"
sqlite3 "$T/pmc.db" "SELECT d.base_id, f.ordinal, f.caption FROM figures f JOIN documents d
	ON d.id = f.document_id ORDER BY 1, 2" >"$T/pmc.caps"
sql "SELECT d.source_id, f.ordinal, f.caption FROM figures f JOIN documents d
	ON d.id = f.document_id ORDER BY 1, 2" >"$T/epmc.caps"
cmp -s "$T/pmc.caps" "$T/epmc.caps" || fail "captions differ between the two routes"
ok "same captions as the PMC route"

# the mirror serves no Europe PMC figure files: each is a clear 'gone' row
[ "$(sql "SELECT count(*) FROM fetches WHERE url LIKE '%/epmc-files/%' AND state = 'gone'
	AND http_status = 404")" -eq "$(sql "SELECT count(*) FROM figures WHERE url IS NOT NULL")" ] ||
	fail "figure files: ledger rows"
[ "$(sql "SELECT count(*) FROM figures WHERE status = 'failed' AND reason = 'no-image'")" -gt 0 ] ||
	fail "figure files: figure status"
ok "missing figure files recorded"

expect 0 winnow-crawl europepmc --query microscopy --retries 1 $E
[ -s "$T/out" ] && fail "second run printed ids"
ok "second run: nothing new"

expect 75 winnow-crawl europepmc -d "$T/e.db" --query '' $E
grep -q "Europe PMC search: No search criteria provided" "$T/err" || fail "errCode: no clear message"
ok "errCode in a 200"
