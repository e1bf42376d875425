#!/bin/sh
# winnow-mirror scenarios: a new version, a retraction, malformed XML, <ERROR>
# replies, NoSuchKey, a truncated image and a wrong MD5; switched at run time.
. "$TESTLIB"
command -v curl >/dev/null 2>&1 || { echo "skip: no curl"; exit 77; }
SAMPLE=$TESTDATA/sample

get() {
	rm -f "$T/body" "$T/hdr"
	code=$(curl -s -m 20 -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@")
	crc=$?
}
hdr() {
	sed -n "s/^$1: //Ip" "$T/hdr" | tr -d '\r'
}
scenario() {
	get "$MIRROR/_mirror/scenario?name=$1"
	[ "$code" = 200 ] || fail "cannot switch to scenario '$1': $code"
}
md5of() {
	md5sum <"$1" | cut -d' ' -f1
}

start_mirror --data "$SAMPLE"

# new-version: a second version of PMC5760205 appears, the first stays
get "$MIRROR/?list-type=2&prefix=PMC5760205.&delimiter=/"
[ "$(grep -o '<Prefix>PMC5760205\.[0-9]/</Prefix>' "$T/body" | tr '\n' ' ')" = "<Prefix>PMC5760205.1/</Prefix> " ] ||
	fail "base: versions $(cat "$T/body")"
get "$MIRROR/metadata/PMC5760205.1.json"
etag1=$(hdr etag)
scenario new-version
get "$MIRROR/?list-type=2&prefix=PMC5760205.&delimiter=/"
[ "$(grep -o '<Prefix>PMC5760205\.[0-9]/</Prefix>' "$T/body" | tr '\n' ' ')" = "<Prefix>PMC5760205.1/</Prefix> <Prefix>PMC5760205.2/</Prefix> " ] ||
	fail "new-version: versions $(cat "$T/body")"
get "$MIRROR/metadata/PMC5760205.2.json"
[ "$code" = 200 ] && grep -q '"version": 2' "$T/body" || fail "no metadata for version 2"
[ "$(hdr last-modified)" = "Mon, 02 Mar 2026 09:15:00 GMT" ] || fail "version 2 Last-Modified $(hdr last-modified)"
get "$MIRROR/metadata/PMC5760205.1.json" -H "If-None-Match: $etag1"
[ "$code" = 304 ] || fail "version 1 changed: $code"
get "$MIRROR/entrez/eutils/efetch.fcgi?db=pmc&id=5760205"
grep -q '10.7554/eLife.30274' "$T/body" || fail "efetch after a new version"
ok "new-version: PMC5760205.2 appears, .1 is unchanged"

# retracted: the metadata of PMC3460867.1 changes, and its ETag with it
scenario ''
get "$MIRROR/metadata/PMC3460867.1.json"
grep -q '"is_retracted": false' "$T/body" || fail "base: retracted already"
etag=$(hdr etag)
scenario retracted
get "$MIRROR/metadata/PMC3460867.1.json" -H "If-None-Match: $etag"
[ "$code" = 200 ] || fail "retracted: the metadata did not change ($code)"
grep -q '"is_retracted": true' "$T/body" || fail "retracted: flag not set"
get "$MIRROR/PMC3460867.1/PMC3460867.1.json"
grep -q '"is_retracted": true' "$T/body" || fail "retracted: the copy in the version folder"
ok "retracted: is_retracted true, new ETag"

# malformed-xml: the XML is cut, but its MD5 matches the metadata
scenario malformed-xml
get "$MIRROR/PMC3585041.1/PMC3585041.1.xml"
[ "$code" = 200 ] || fail "malformed-xml: $code"
want=$(grep -o 'PMC3585041.1.xml?md5=[0-9a-f]*' "$SAMPLE/scenarios/malformed-xml/bucket/metadata/PMC3585041.1.json" | cut -d= -f2)
[ "$(md5of "$T/body")" = "$want" ] || fail "malformed-xml: MD5 differs from its metadata"
if command -v xmllint >/dev/null 2>&1; then
	xmllint --noout --nonet "$T/body" 2>/dev/null && fail "malformed-xml is well-formed"
fi
ok "malformed-xml: truncated XML with a matching MD5"

# esearch-error and efetch-error: 200 with <ERROR>, whatever the query
scenario esearch-error
get "$MIRROR/entrez/eutils/esearch.fcgi?db=pmc&term=open_access%5Bfilter%5D&usehistory=y&tool=t"
[ "$code" = 200 ] && grep -q '<ERROR>Search Backend failed' "$T/body" || fail "esearch-error: $code"
get "$MIRROR/entrez/eutils/esearch.fcgi" -d db=pmc -d term=microscopy
grep -q '<ERROR>' "$T/body" || fail "esearch-error by POST"
get "$MIRROR/entrez/eutils/efetch.fcgi?db=pmc&id=3166277"
grep -q '<article' "$T/body" || fail "esearch-error broke efetch"
scenario efetch-error
get "$MIRROR/entrez/eutils/efetch.fcgi?db=pmc&id=3166277"
[ "$code" = 200 ] && grep -q '<ERROR>Unable to obtain query #1</ERROR>' "$T/body" || fail "efetch-error"
ok "esearch-error, efetch-error: <ERROR> inside a 200"

# nosuchkey: a figure the metadata lists is gone
scenario nosuchkey
grep -q 'PMC6682400.1/fig3.jpg' "$SAMPLE/bucket/metadata/PMC6682400.1.json" || fail "fig3 not in the metadata"
get "$MIRROR/PMC6682400.1/fig3.jpg"
[ "$code" = 404 ] && grep -q '<Code>NoSuchKey</Code>' "$T/body" || fail "nosuchkey: $code"
get "$MIRROR/?list-type=2&prefix=PMC6682400.1/"
grep -q 'fig3.jpg' "$T/body" && fail "nosuchkey: still listed"
get "$MIRROR/PMC6682400.1/fig2.jpg"
[ "$code" = 200 ] || fail "nosuchkey: other figures gone too"
ok "nosuchkey: 404 NoSuchKey for a listed figure"

# truncated-image and wrong-md5: every attempt fails the same way
scenario truncated-image
for i in 1 2 3 4; do
	get "$MIRROR/PMC6682400.1/fig4.jpg"
	[ "$crc" = 18 ] || fail "truncated-image attempt $i: curl exit $crc"
done
ok "truncated-image: always cut short"
scenario wrong-md5
want=$(md5of "$SAMPLE/bucket/PMC6682400.1/fig5.jpg")
for i in 1 2 3 4; do
	get "$MIRROR/PMC6682400.1/fig5.jpg"
	[ "$code" = 200 ] && [ "$(md5of "$T/body")" != "$want" ] || fail "wrong-md5 attempt $i"
	[ "$(hdr etag)" = "\"$want\"" ] || fail "wrong-md5: the ETag is the true MD5"
done
get "$MIRROR/PMC6682400.1/fig4.jpg"
[ "$(md5of "$T/body")" = "$(md5of "$SAMPLE/bucket/PMC6682400.1/fig4.jpg")" ] ||
	fail "switching scenarios left the old fault"
ok "wrong-md5: always damaged, with the true ETag"

# scenarios combine; an unknown one is refused
get "$MIRROR/_mirror/scenario?name=no-such"
[ "$code" = 404 ] || fail "unknown scenario accepted: $code"
scenario new-version,retracted
get "$MIRROR/metadata/PMC5760205.2.json"
[ "$code" = 200 ] || fail "combined: no version 2"
get "$MIRROR/metadata/PMC3460867.1.json"
grep -q '"is_retracted": true' "$T/body" || fail "combined: not retracted"
ok "scenarios combine"
