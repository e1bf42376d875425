#!/bin/sh
# winnow-mirror as the PMC cloud bucket: ListObjectsV2, objects, MD5 ETags,
# conditional GET, NoSuchKey; and the sample corpus is consistent with itself.
. "$TESTLIB"
command -v curl >/dev/null 2>&1 || { echo "skip: no curl"; exit 77; }
SAMPLE=$TESTDATA/sample

# get URL [curl options...]: body in $T/body, headers in $T/hdr, status in $code
get() {
	_u=$1
	shift
	rm -f "$T/body" "$T/hdr"
	code=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@" "$_u") ||
		fail "curl $_u failed"
}
hdr() {
	sed -n "s/^$1: //Ip" "$T/hdr" | tr -d '\r'
}

start_mirror --data "$SAMPLE"

# versions of an article: common prefixes, exactly as S3 answers
get "$MIRROR/?list-type=2&prefix=PMC5760205.&delimiter=/"
[ "$code" = 200 ] || fail "version listing: $code"
grep -q '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>pmc-oa-opendata</Name><Prefix>PMC5760205.</Prefix>' "$T/body" ||
	fail "listing head: $(cat "$T/body")"
grep -q '<KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated><CommonPrefixes><Prefix>PMC5760205.1/</Prefix></CommonPrefixes></ListBucketResult>' "$T/body" ||
	fail "version listing: $(cat "$T/body")"
[ "$(hdr content-type)" = application/xml ] || fail "listing content type $(hdr content-type)"
ok "ListObjectsV2 with delimiter lists the versions"

# the top level: metadata/ and one prefix per article version
get "$MIRROR/?list-type=2&delimiter=/"
n=$(grep -o '<CommonPrefixes><Prefix>[^<]*</Prefix>' "$T/body" | wc -l)
[ "$n" -eq 21 ] || fail "top level has $n prefixes, expected 21"
grep -q '<Prefix>metadata/</Prefix>' "$T/body" || fail "no metadata/ prefix"
ok "top-level listing: 20 article versions and metadata/"

# paging with max-keys and continuation-token gives the full listing, in order
get "$MIRROR/?list-type=2&prefix=PMC3591006.1/"
grep -o '<Key>[^<]*</Key>' "$T/body" >"$T/all"
[ "$(wc -l <"$T/all")" -eq 17 ] || fail "PMC3591006.1/ has $(wc -l <"$T/all") keys, expected 17"
: >"$T/paged"
token=
pages=0
while :; do
	if [ -n "$token" ]; then
		get "$MIRROR/" -G -d list-type=2 -d prefix=PMC3591006.1/ -d max-keys=5 \
			--data-urlencode "continuation-token=$token"
		grep -q "<ContinuationToken>" "$T/body" || fail "page does not echo the token"
	else
		get "$MIRROR/?list-type=2&prefix=PMC3591006.1/&max-keys=5"
	fi
	[ "$code" = 200 ] || fail "page $pages: $code"
	pages=$((pages + 1))
	grep -o '<Key>[^<]*</Key>' "$T/body" >>"$T/paged"
	grep -q '<IsTruncated>true</IsTruncated>' "$T/body" || break
	token=$(sed -n 's/.*<NextContinuationToken>\([^<]*\)<.*/\1/p' "$T/body")
	[ -n "$token" ] || fail "truncated page without NextContinuationToken"
	[ $pages -lt 10 ] || fail "paging does not end"
done
[ $pages -eq 4 ] || fail "$pages pages of 5 keys for 17 keys"
cmp -s "$T/all" "$T/paged" || fail "paged listing differs from the full one"
ok "continuation tokens page through 17 keys in 4 pages"

get "$MIRROR/" -G -d list-type=2 --data-urlencode "continuation-token=not base64!"
[ "$code" = 400 ] || fail "bad continuation token: $code"
grep -q '<Code>InvalidArgument</Code>' "$T/body" || fail "bad token error body"
ok "a bad continuation token is S3's InvalidArgument"

# every URL of every metadata file exists, and its bytes match the MD5 given
nurl=0
for meta in "$SAMPLE"/bucket/metadata/*.json; do
	v=$(basename "$meta" .json)
	cmp -s "$meta" "$SAMPLE/bucket/$v/$v.json" || fail "$v: the two metadata copies differ"
	for url in $(grep -o 's3://pmc-oa-opendata/[^"]*' "$meta"); do
		key=${url#s3://pmc-oa-opendata/}
		key=${key%%\?md5=*}
		want=${url##*md5=}
		get "$MIRROR/$key"
		[ "$code" = 200 ] || fail "$key: $code"
		got=$(md5sum <"$T/body" | cut -d' ' -f1)
		[ "$got" = "$want" ] || fail "$key: md5 $got, metadata says $want"
		[ "$(hdr etag)" = "\"$want\"" ] || fail "$key: ETag $(hdr etag)"
		nurl=$((nurl + 1))
	done
done
[ $nurl -ge 60 ] || fail "only $nurl URLs in the metadata"
ok "$nurl metadata URLs served with matching MD5 and ETag"
grep -q media_urls "$SAMPLE/bucket/metadata/PMC8435807.1.json" &&
	fail "an article without media must have no media_urls key"
ok "no media_urls key for an article without media"

# headers and conditional GET
get "$MIRROR/PMC6682400.1/fig1.jpg"
[ "$(hdr last-modified)" = "Thu, 08 Jan 2026 11:47:59 GMT" ] || fail "Last-Modified $(hdr last-modified)"
[ "$(hdr content-type)" = image/jpeg ] || fail "content type $(hdr content-type)"
[ "$(hdr content-length)" = "$(wc -c <"$SAMPLE/bucket/PMC6682400.1/fig1.jpg" | tr -d ' ')" ] ||
	fail "content length $(hdr content-length)"
etag=$(hdr etag)
get "$MIRROR/PMC6682400.1/fig1.jpg" -H "If-None-Match: $etag"
[ "$code" = 304 ] || fail "If-None-Match with the ETag: $code"
[ -s "$T/body" ] && fail "304 with a body"
[ "$(hdr etag)" = "$etag" ] || fail "304 without the ETag"
get "$MIRROR/PMC6682400.1/fig1.jpg" -H 'If-None-Match: "0123456789abcdef0123456789abcdef"'
[ "$code" = 200 ] || fail "If-None-Match with another ETag: $code"
get "$MIRROR/PMC6682400.1/fig1.jpg" -I
[ "$code" = 200 ] || fail "HEAD: $code"
ok "ETag, Last-Modified, HEAD and If-None-Match -> 304"

# a prefix is not an object: NoSuchKey, 404, S3's XML
get "$MIRROR/PMC6682400.1/"
[ "$code" = 404 ] || fail "prefix GET: $code"
grep -q '<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>PMC6682400.1/</Key>' "$T/body" ||
	fail "NoSuchKey body: $(cat "$T/body")"
[ "$(hdr content-type)" = application/xml ] || fail "NoSuchKey content type"
get "$MIRROR/PMC1.1/PMC1.1.xml"
[ "$code" = 404 ] || fail "missing article: $code"
ok "NoSuchKey with 404"
