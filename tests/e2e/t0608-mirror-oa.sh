#!/bin/sh
# winnow-mirror as the legacy OA Web Service (oa.fcgi) and its tarballs,
# retired (404) and hostile packages as scenarios.
. "$TESTLIB"
command -v curl >/dev/null 2>&1 || { echo "skip: no curl"; exit 77; }
SAMPLE=$TESTDATA/sample

get() {
	rm -f "$T/body"
	code=$(curl -s -o "$T/body" -w '%{http_code}' "$@") || fail "curl $* failed"
}

start_mirror --data "$SAMPLE"
OA=$MIRROR/pmc/utils/oa/oa.fcgi

get "$OA"
[ "$code" = 200 ] || fail "identify: $code"
grep -q '<repositoryName>PubMed Central Open Access FTP Repository</repositoryName>' "$T/body" ||
	fail "identify body"
grep -q '<count format="tgz">20</count>' "$T/body" || fail "identify counts"
ok "oa.fcgi without parameters identifies the repository"

get "$OA?id=PMC6682400"
grep -q '<records returned-count="1" total-count="1"><record id="PMC6682400" citation="eLife. 2019 Jul 9;8:e46472." license="CC0" retracted="no"><link format="tgz" updated="2026-01-08 06:47:59" href="ftp://ftp.ncbi.nlm.nih.gov/pub/pmc/oa_package/[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/PMC6682400.tar.gz" /></record></records></OA>' "$T/body" ||
	fail "record: $(cat "$T/body")"
href=$(sed 's/.*href="ftp:\/\/ftp.ncbi.nlm.nih.gov\([^"]*\)".*/\1/' "$T/body")
get "$OA?id=PMC2599765"
grep -q 'license="none"' "$T/body" || fail "a licence outside CC is 'none'"
get "$OA?id=PMC8550608"
grep -q "<error code=\"idIsNotOpenAccess\">identifier 'PMC8550608' is not Open Access</error></OA>" "$T/body" ||
	fail "not OA: $(cat "$T/body")"
ok "records with tgz links; idIsNotOpenAccess"

get "$MIRROR$href"
[ "$code" = 200 ] || fail "package: $code"
mkdir "$T/x"
tar -xzf "$T/body" -C "$T/x" || fail "package does not extract"
[ -f "$T/x/PMC6682400/PMC6682400.nxml" ] || fail "no nxml in the package"
cmp -s "$T/x/PMC6682400/PMC6682400.nxml" "$SAMPLE/bucket/PMC6682400.1/PMC6682400.1.xml" || fail "nxml differs"
for f in "$SAMPLE"/bucket/PMC6682400.1/fig*.jpg; do
	cmp -s "$f" "$T/x/PMC6682400/$(basename "$f")" || fail "$(basename "$f") differs in the package"
done
[ "$(ls "$T/x/PMC6682400" | wc -l)" -eq 9 ] || fail "package holds $(ls "$T/x/PMC6682400" | wc -l) files"
md5a=$(md5sum <"$T/body")
get "$MIRROR$href"
[ "$(md5sum <"$T/body")" = "$md5a" ] || fail "the package changes between downloads"
get "$MIRROR/pub/pmc/oa_package/00/00/PMC6682400.tar.gz"
[ "$code" = 404 ] || fail "package at the wrong path: $code"
ok "tgz package: nxml and figures, stable bytes"

get "$MIRROR/_mirror/scenario?name=oa-retired"
get "$OA?id=PMC6682400"
[ "$code" = 404 ] || fail "retired oa.fcgi: $code"
get "$MIRROR$href"
[ "$code" = 404 ] || fail "retired package: $code"
get "$MIRROR/PMC6682400.1/fig1.jpg"
[ "$code" = 200 ] || fail "retiring oa.fcgi took the bucket down"
ok "oa-retired: 404 for every oa.fcgi request"

get "$MIRROR/_mirror/scenario?name=oa-evil"
get "$OA?id=PMC3166277"
href=$(sed 's/.*href="ftp:\/\/ftp.ncbi.nlm.nih.gov\([^"]*\)".*/\1/' "$T/body")
get "$MIRROR$href"
[ "$code" = 200 ] || fail "evil package: $code"
tar -tzvf "$T/body" >"$T/list" 2>/dev/null
grep -q 'PMC3166277/\.\./\.\./escaped.txt' "$T/list" || fail "no traversal entry"
grep -q 'passwd.jpg -> /etc/passwd' "$T/list" || fail "no symlink entry"
grep -q 'hard.jpg link to .*etc/passwd' "$T/list" || fail "no hard link entry"
grep -q '209715200' "$T/list" || fail "no 200 MB entry"
[ "$(wc -c <"$T/body")" -lt 1000000 ] || fail "the bomb is not small"
ok "oa-evil: traversal, absolute path, links and a 200 MB bomb in a small package"
