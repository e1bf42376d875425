#!/bin/sh
# The cases a crawl meets: a new version, a retraction, malformed XML, a 200
# with <ERROR>, NoSuchKey, a truncated image, a wrong MD5.  Each leaves a clear
# ledger row and loses nothing else.
. "$TESTLIB"

Q='open_access[filter]'
crawl() {	# crawl EXPECTED-STATUS DB [ARGS...] through $MIRROR
	_st=$1
	_db=$2
	shift 2
	expect "$_st" winnow-crawl pmc -d "$_db" --backoff 0.02 --retries 3 \
		--eutils-base "$MIRROR/entrez/eutils/" --s3-base "$MIRROR/" "$@"
}
q() { sqlite3 -batch -noheader "$1" "$2"; }

start_mirror --data "$TESTDATA/sample"
crawl 0 "$T/base.db" --query "$Q"

# a new version: added, the old one kept and marked superseded
cp "$T/base.db" "$T/nv.db"
start_mirror --data "$TESTDATA/sample" --scenario new-version
crawl 0 "$T/nv.db" --query "$Q" --since 2000-01-01
[ "$(cat "$T/out")" = "$(q "$T/nv.db" "SELECT id FROM documents WHERE source_id = 'PMC5760205.2'")" ] ||
	fail "new version: its id is not the only output"
[ "$(q "$T/nv.db" "SELECT n.source_id FROM documents o JOIN documents n ON n.id = o.superseded_by
     WHERE o.source_id = 'PMC5760205.1'")" = "PMC5760205.2" ] || fail "old version not superseded"
[ "$(q "$T/nv.db" "SELECT count(*) FROM figures f JOIN documents d ON d.id = f.document_id
     WHERE d.source_id = 'PMC5760205.1' AND f.status = 'ok'")" -eq 5 ] || fail "old figures lost"
[ "$(q "$T/nv.db" "SELECT count(*) FROM figures f JOIN documents d ON d.id = f.document_id
     WHERE d.source_id = 'PMC5760205.2' AND f.status = 'ok'")" -ge 5 ] || fail "new figures missing"
ok "new version supersedes the old one"

# a retraction: recorded on the document, printed as changed
cp "$T/base.db" "$T/rt.db"
start_mirror --data "$TESTDATA/sample" --scenario retracted
crawl 0 "$T/rt.db" --query "$Q" --since 2000-01-01
[ "$(cat "$T/out")" = "$(q "$T/rt.db" "SELECT id FROM documents WHERE source_id = 'PMC3460867.1'")" ] ||
	fail "retraction: the changed document's id is not the output"
[ "$(q "$T/rt.db" "SELECT is_retracted FROM documents WHERE source_id = 'PMC3460867.1'")" -eq 1 ] ||
	fail "retraction not recorded"
ok "retraction recorded"
# retracted before its images were fetched: they are not fetched at all
start_mirror --data "$TESTDATA/sample"
crawl 0 "$T/rt2.db" --query "$Q" --no-media
start_mirror --data "$TESTDATA/sample" --scenario retracted
crawl 0 "$T/rt2.db" --query "$Q" --since 2000-01-01
[ "$(q "$T/rt2.db" "SELECT group_concat(DISTINCT f.status || '/' || f.reason) FROM figures f
     JOIN documents d ON d.id = f.document_id WHERE d.source_id = 'PMC3460867.1'")" = dropped/retracted ] ||
	fail "figures of a newly retracted document still wanted"
[ "$(q "$T/rt2.db" "SELECT count(*) FROM figures WHERE status = 'ok'")" -eq 68 ] ||
	fail "the other documents' images were not fetched"
ok "no image fetched for a retracted document"

# malformed XML: a failed ledger row naming the problem, the rest complete
start_mirror --data "$TESTDATA/sample" --scenario malformed-xml
crawl 0 "$T/mx.db" --query "$Q"
grep -q "malformed XML: line" "$T/err" || fail "malformed XML: no warning"
[ "$(q "$T/mx.db" "SELECT state FROM fetches WHERE url LIKE '%/PMC3585041.1/PMC3585041.1.xml'")" = failed ] ||
	fail "malformed XML: no failed ledger row"
q "$T/mx.db" "SELECT last_error FROM fetches WHERE url LIKE '%/PMC3585041.1/PMC3585041.1.xml'" |
	grep -q '^malformed XML: line [0-9]' || fail "malformed XML: unclear ledger error"
[ "$(q "$T/mx.db" "SELECT count(*) FROM documents")" -eq 19 ] || fail "malformed XML: other documents lost"
ok "malformed XML"
# repaired at the source: the next cron run (cursor moved on) retries it
start_mirror --data "$TESTDATA/sample"
crawl 0 "$T/mx.db" --query "$Q"
[ "$(cat "$T/out")" = "$(q "$T/mx.db" "SELECT id FROM documents WHERE source_id = 'PMC3585041.1'")" ] ||
	fail "malformed XML: not retried by the next run"
[ "$(q "$T/mx.db" "SELECT state FROM fetches WHERE url = '$MIRROR/PMC3585041.1/PMC3585041.1.xml'")" = done ] ||
	fail "malformed XML: ledger row not done after the retry"
ok "what failed is retried by the next run"

# NoSuchKey for a figure
start_mirror --data "$TESTDATA/sample" --scenario nosuchkey
crawl 0 "$T/nk.db" --query "$Q"
[ "$(q "$T/nk.db" "SELECT state || '|' || http_status || '|' || last_error FROM fetches
     WHERE url LIKE '%/PMC6682400.1/fig3.jpg'")" = "gone|404|HTTP 404: NoSuchKey: The specified key does not exist." ] ||
	fail "NoSuchKey: ledger row"
[ "$(q "$T/nk.db" "SELECT count(*) FROM figures WHERE status = 'ok'")" -eq 71 ] || fail "NoSuchKey: others lost"
ok "NoSuchKey"

# a wrong MD5: refused after the retries, never stored
start_mirror --data "$TESTDATA/sample" --scenario wrong-md5
crawl 0 "$T/wm.db" --query "$Q"
q "$T/wm.db" "SELECT last_error FROM fetches WHERE url LIKE '%/PMC6682400.1/fig5.jpg'" |
	grep -q '^MD5 mismatch: expected [0-9a-f]\{32\}, got [0-9a-f]\{32\}' || fail "wrong MD5: ledger row"
[ "$(q "$T/wm.db" "SELECT status || '|' || reason FROM figures WHERE url LIKE '%/PMC6682400.1/fig5.jpg'")" = \
	"failed|bad-image" ] || fail "wrong MD5: figure status"
[ "$(q "$T/wm.db" "SELECT count(*) FROM figures WHERE status = 'ok'")" -eq 71 ] || fail "wrong MD5: others lost"
ok "wrong MD5"

# a truncated image: retried, then left for the next run (exit 75); the next
# run against a healthy mirror completes it
start_mirror --data "$TESTDATA/sample" --scenario truncated-image
crawl 75 "$T/tr.db" --query "$Q"
[ "$(q "$T/tr.db" "SELECT state FROM fetches WHERE url LIKE '%/PMC6682400.1/fig4.jpg'")" = failed ] ||
	fail "truncated image: ledger row"
q "$T/tr.db" "SELECT last_error FROM fetches WHERE url LIKE '%/PMC6682400.1/fig4.jpg'" |
	grep -q 'after 3 attempts' || fail "truncated image: unclear ledger error"
[ "$(q "$T/tr.db" "SELECT count(*) FROM images i JOIN figures f ON f.image_id = i.id
     WHERE f.url LIKE '%/PMC6682400.1/fig4.jpg'")" -eq 0 ] || fail "truncated image stored"
start_mirror --data "$TESTDATA/sample"
crawl 0 "$T/tr.db" --query "$Q" --since 2000-01-01
[ "$(cat "$T/out")" = "$(q "$T/tr.db" "SELECT id FROM documents WHERE source_id = 'PMC6682400.1'")" ] ||
	fail "truncated image: the completed document was not printed"
[ "$(q "$T/tr.db" "SELECT count(*) FROM figures WHERE status = 'ok'")" -eq 72 ] ||
	fail "truncated image: rerun did not complete"
ok "truncated image, then completed"

# E-utilities errors inside a 200
start_mirror --data "$TESTDATA/sample" --scenario esearch-error
crawl 75 "$T/ee.db" --query "$Q"
grep -q "esearch: Search Backend failed" "$T/err" || fail "esearch <ERROR>: no clear message"
q "$T/ee.db" "SELECT state || '|' || last_error FROM fetches WHERE url LIKE '%esearch.fcgi%'" |
	grep -q '^failed|esearch: Search Backend failed' || fail "esearch <ERROR>: ledger row"
start_mirror --data "$TESTDATA/sample" --scenario efetch-error
echo PMC999999 >"$T/ids"
crawl 0 "$T/fe.db" --ids "$T/ids"
q "$T/fe.db" "SELECT state || '|' || last_error FROM fetches WHERE url LIKE '%efetch.fcgi%'" |
	grep -q '^failed|efetch error: ' || fail "efetch <ERROR>: ledger row"
ok "E-utilities <ERROR> in a 200"
