#!/bin/sh
# winnow-crawl pmc on the bundled sample through winnow-mirror: the full crawl,
# what it records, a second run that does nothing, --ids, --no-media, EPIPE,
# and secrets that never reach the database.
. "$TESTLIB"

check_help winnow-crawl
start_mirror --data "$TESTDATA/sample"
B="--eutils-base $MIRROR/entrez/eutils/ --s3-base $MIRROR/ --cdn-base $MIRROR/cdn/"
Q='open_access[filter]'

expect 64 winnow-crawl pmc $B
expect 64 winnow-crawl pmc --query x --ids y
expect 64 winnow-crawl pmc --query x --since 2020-13-01
expect 64 winnow-crawl pmc --query x --s3-base ftp://example.org/
expect 64 winnow-crawl europe --query x
expect 64 winnow-crawl pmc --query x --max 0

# the full crawl
expect 0 winnow-crawl pmc -q --query "$Q" $B
[ "$(wc -l <"$T/out")" -eq 20 ] || fail "expected 20 document ids, got $(wc -l <"$T/out")"
sort -n "$T/out" >"$T/printed"
sql "SELECT id FROM documents ORDER BY id" >"$T/indb"
cmp -s "$T/printed" "$T/indb" || fail "printed ids differ from the documents"
ok "20 documents, their ids printed"
[ "$(sql "SELECT count(*) FROM figures WHERE status = 'ok'")" -eq 72 ] || fail "figures not all ok"
[ "$(sql "SELECT count(*) FROM figures WHERE image_id IS NULL")" -eq 0 ] || fail "figure without image"
[ "$(sql "SELECT count(*) FROM fetches WHERE state <> 'done'")" -eq 0 ] || fail "ledger rows not done"
[ "$(sql "SELECT count(*) FROM images")" -eq "$(sql "SELECT count(DISTINCT image_id) FROM figures")" ] ||
	fail "images not shared by content"
ok "72 figures fetched, ledger complete"
[ "$(sql "SELECT license FROM documents WHERE source_id = 'PMC8435807.1'")" = "CC BY-NC" ] || fail "licence"
[ "$(sql "SELECT license FROM documents WHERE source_id = 'PMC6682400.1'")" = "CC0" ] || fail "licence CC0"
[ "$(sql "SELECT license FROM documents WHERE source_id = 'PMC2599765.1'")" = "public domain" ] ||
	fail "public-domain article"
[ "$(sql "SELECT journal || '|' || published_at || '|' || pmid FROM documents WHERE source_id = 'PMC3460867.1'")" = \
	"PLoS ONE|2012-09-28|23029536" ] || fail "metadata of PMC3460867.1"
ok "licences and metadata as published"
sql "SELECT caption FROM figures f JOIN documents d ON d.id = f.document_id
     WHERE d.source_id = 'PMC5760205.1' AND f.fig_id = 'fig1'" >"$T/cap"
grep -q '^Induction of c-Myc in P493-6 cells and impact on total RNA levels\. P493-6 cells' "$T/cap" ||
	fail "caption of elife-30274 fig1"
ok "captions flattened"

# every stored file is complete and named by its content
sql "SELECT sha256, path FROM images" | while IFS='|' read -r sha path; do
	got=$(sha256sum "$T/w-store/$path" | cut -d' ' -f1)
	[ "$got" = "$sha" ] || { echo "bad file $path" >"$T/badfile"; break; }
done
[ -e "$T/badfile" ] && fail "$(cat "$T/badfile")"
[ -z "$(ls -A "$T/w-store/.tmp" 2>/dev/null)" ] || fail "temporary files left in the store"
ok "store files match their SHA-256"
if command -v winnow-db >/dev/null 2>&1; then
	expect 0 winnow-db check
fi
"$SOURCE_ROOT/tests/data/crawl/dump.sh" "$WINNOW_DB" >"$T/first.dump"

# a second run does nothing
expect 0 winnow-crawl pmc -q --query "$Q" $B
[ -s "$T/out" ] && fail "second run printed ids"
"$SOURCE_ROOT/tests/data/crawl/dump.sh" "$WINNOW_DB" >"$T/second.dump"
cmp -s "$T/first.dump" "$T/second.dump" || fail "second run changed the database"
ok "second run: nothing new"

# revisiting every article costs one conditional request each
expect 0 winnow-crawl pmc -q --query "$Q" --since 2000-01-01 $B
[ -s "$T/out" ] && fail "revisit printed ids"
[ "$(sql "SELECT count(*) FROM fetches WHERE url LIKE '%/metadata/%' AND http_status = 304")" -eq 20 ] ||
	fail "metadata not asked conditionally"
ok "unchanged versions answered 304"

# --ids from stdin, with a bad line; an API key that must never be stored
echo PMC3166277 >"$T/ids1"
printf 'PMC3166277\n3460867\nbogus\n' | expect_in 0 winnow-crawl pmc -d "$T/ids.db" --ids - \
	--api-key SECRETKEY123 $B
[ "$(wc -l <"$T/out")" -eq 2 ] || fail "--ids: expected 2 documents"
grep -q "stdin:3: not a PMC id" "$T/err" || fail "--ids: no warning for the bad line"
grep -q SECRETKEY123 "$T/err" && fail "api key printed"
sqlite3 "$T/ids.db" .dump | grep -q SECRETKEY123 && fail "api key stored"
expect 0 winnow-crawl pmc -q -d "$T/ids.db" --ids "$T/ids1" --api OTHERSECRET99 $B </dev/null
sqlite3 "$T/ids.db" .dump | grep -q OTHERSECRET99 && fail "abbreviated --api stored"
ok "--ids and a secret key"

# --no-media, then the images
expect 0 winnow-crawl pmc -d "$T/nm.db" --no-media --query 'elife[journal]' $B
[ "$(wc -l <"$T/out")" -eq 5 ] || fail "--no-media: 5 documents expected"
[ "$(sqlite3 "$T/nm.db" "SELECT count(*) FROM images")" -eq 0 ] || fail "--no-media stored images"
[ "$(sqlite3 "$T/nm.db" "SELECT count(*) FROM figures WHERE status = 'pending'")" -gt 0 ] ||
	fail "--no-media: no pending figures"
expect 0 winnow-crawl pmc -d "$T/nm.db" --query 'elife[journal]' --since 2000-01-01 $B
[ "$(wc -l <"$T/out")" -eq 5 ] || fail "images of --no-media documents: 5 ids expected"
[ "$(sqlite3 "$T/nm.db" "SELECT count(*) FROM figures WHERE status = 'pending'")" -eq 0 ] ||
	fail "figures still pending"
ok "--no-media, then the images"

# shards: every article in exactly one of them
: >"$T/shards"
for k in 0 1 2; do
	expect 0 winnow-crawl pmc -q -d "$T/s$k.db" --no-media --shard "$k/3" --query "$Q" $B
	sqlite3 "$T/s$k.db" "SELECT source_id FROM documents" >>"$T/shards"
done
[ "$(sort "$T/shards" | uniq | wc -l)" -eq 20 ] && [ "$(wc -l <"$T/shards")" -eq 20 ] ||
	fail "shards do not partition the articles"
expect 64 winnow-crawl pmc --query "$Q" --shard 3/3
ok "--shard K/N partitions the articles"

# the reader of stdout leaves early: no error
( winnow-crawl pmc -d "$T/pipe.db" --query "$Q" $B 2>"$T/err"; echo $? >"$T/rc" ) | head -n1 >/dev/null
[ "$(cat "$T/rc")" -eq 0 ] || fail "EPIPE: exit $(cat "$T/rc")"
# the summary line may come before the reader leaves; nothing else may
grep -v ': info: done: ' "$T/err" | grep -q . && fail "EPIPE: messages on stderr"
[ "$(sqlite3 "$T/pipe.db" "SELECT count(*) FROM documents")" -eq 20 ] || fail "EPIPE: crawl incomplete"
ok "EPIPE is quiet"
