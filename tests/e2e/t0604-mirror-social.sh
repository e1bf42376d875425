#!/bin/sh
# winnow-mirror as Europe PMC (cursorMark paging, fullTextXML), Mastodon
# (tag timelines paged by Link headers) and Bluesky (searchPosts cursors).
. "$TESTLIB"
command -v curl >/dev/null 2>&1 || { echo "skip: no curl"; exit 77; }
SAMPLE=$TESTDATA/sample

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
# json FIELD: a top-level string field of $T/body (values here hold no quotes)
json() {
	sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" "$T/body"
}

start_mirror --data "$SAMPLE"
R=$MIRROR/europepmc/webservices/rest

# Europe PMC: follow nextCursorMark until it repeats; every hit comes once
cursor='*'
: >"$T/hits"
pages=0
while :; do
	get "$R/search" -G --data-urlencode "query=open_access[filter]" -d resultType=core \
		-d pageSize=3 -d format=json --data-urlencode "cursorMark=$cursor"
	[ "$code" = 200 ] || fail "search page $pages: $code"
	grep -q '"hitCount":20' "$T/body" || fail "hitCount: $(head -c 200 "$T/body")"
	grep -o '"pmcid":"PMC[0-9]*"' "$T/body" >>"$T/hits"
	pages=$((pages + 1))
	next=$(json nextCursorMark)
	[ -n "$next" ] || fail "no nextCursorMark"
	[ "$next" = "$cursor" ] && break
	grep -q '"nextPageUrl":"http://127.0.0.1' "$T/body" || fail "no nextPageUrl on a middle page"
	cursor=$next
	[ $pages -lt 10 ] || fail "the cursor never repeats"
done
[ $pages -eq 7 ] || fail "$pages pages of 3 for 20 hits (the last one repeats the cursor)"
[ "$(sort -u "$T/hits" | wc -l)" -eq 20 ] && [ "$(wc -l <"$T/hits")" -eq 20 ] ||
	fail "hits: $(tr '\n' ' ' <"$T/hits")"
ok "cursorMark chain returns the 20 hits once and ends on a repeated cursor"

get "$R/search?query=elife%5Bjournal%5D&resultType=core&format=json"
grep -q '"license":"cc0"' "$T/body" || fail "core results lack the licence"
grep -q '"isOpenAccess":"Y","inEPMC":"Y"' "$T/body" || fail "core flags"
get "$R/search?format=json"
[ "$code" = 200 ] || fail "errors come inside a 200, got $code"
grep -q '"errCode":404' "$T/body" || fail "no errCode for a missing query"
get "$R/search?query=x&pageSize=1001&format=json"
grep -q '"errMsg":"Invalid page size provided. Valid size is between 1 and 1000"' "$T/body" ||
	fail "page size error"
ok "core records, and errCode inside 200 replies"

get "$R/PMC6682400/fullTextXML"
[ "$code" = 200 ] || fail "fullTextXML: $code"
cmp -s "$T/body" "$SAMPLE/bucket/PMC6682400.1/PMC6682400.1.xml" || fail "fullTextXML is not the article"
get "$R/PMC1234/fullTextXML"
[ "$code" = 404 ] && [ ! -s "$T/body" ] || fail "unknown fullTextXML: $code"
ok "fullTextXML, and an empty 404 for an unknown article"

# Mastodon: walk back with limit=2 following rel="next" until an empty page
url="$MIRROR/api/v1/timelines/tag/mastodonpy?limit=2"
: >"$T/ids"
pages=0
while :; do
	get "$url"
	[ "$code" = 200 ] || fail "timeline: $code"
	[ "$(hdr x-ratelimit-limit)" = 300 ] || fail "no rate-limit headers"
	[ "$(cat "$T/body")" = "[]" ] && break
	grep -o '^\[{"id":"[0-9]*"\|},{"id":"[0-9]*"' "$T/body" | grep -o '[0-9]*' >>"$T/ids"
	link=$(hdr link)
	case $link in
	*'rel="next"'*'rel="prev"'*) ;;
	*) fail "Link header: $link" ;;
	esac
	url=$(echo "$link" | sed 's/^<\([^>]*\)>; rel="next".*/\1/')
	pages=$((pages + 1))
	[ $pages -lt 10 ] || fail "the timeline never ends"
done
[ $pages -eq 3 ] || fail "$pages pages of 2 for 6 statuses"
sort -r "$T/ids" | cmp -s - "$T/ids" || fail "statuses not newest first"
[ "$(sort -u "$T/ids" | wc -l)" -eq 6 ] || fail "ids: $(tr '\n' ' ' <"$T/ids")"
[ -z "$(hdr link)" ] || fail "an empty page has a Link header"
ok "tag timeline paged by Link rel=next, newest first, ending empty"

get "$MIRROR/api/v1/timelines/tag/mastodonpy?since_id=110447003454258227"
[ "$(grep -o '"id":"1[0-9]*","created_at"' "$T/body" | wc -l)" -eq 2 ] || fail "since_id"
get "$MIRROR/api/v1/timelines/tag/mastodonpy?min_id=103270115826048975&limit=1"
grep -q '^\[{"id":"110446983178245440"' "$T/body" || fail "min_id gives the page just after"
get "$MIRROR/api/v1/timelines/tag/mastodonpy?only_media=true"
[ "$(grep -o '"id":"1[0-9]*","created_at"' "$T/body" | wc -l)" -eq 2 ] || fail "only_media"
url=$(grep -o '"url":"http://127.0.0.1:[0-9]*/media/mastodon/[0-9]*.png"' "$T/body" | head -n 1 |
	sed 's/"url":"\(.*\)"/\1/')
[ -n "$url" ] || fail "image attachments do not point at the mirror"
get "$url"
[ "$code" = 200 ] && [ "$(hdr content-type)" = image/png ] || fail "media: $code"
get "$MIRROR/api/v1/timelines/tag/nosuchtag"
[ "$code" = 404 ] && grep -q '"error":"Record not found"' "$T/body" || fail "unknown tag: $code"
ok "since_id, min_id, only_media, media files, unknown tag"

# Bluesky searchPosts: cursor paging, q required
get "$MIRROR/xrpc/app.bsky.feed.searchPosts?q=he&limit=1"
[ "$code" = 200 ] || fail "searchPosts: $code"
grep -q '"cursor":"1"' "$T/body" || fail "no cursor on the first page: $(head -c 200 "$T/body")"
grep -q '"hitsTotal":2' "$T/body" || fail "hitsTotal"
get "$MIRROR/xrpc/app.bsky.feed.searchPosts?q=he&limit=1&cursor=1"
grep -q '"cursor"' "$T/body" && fail "a cursor on the last page"
grep -q '"posts":\[{"uri":"at://' "$T/body" || fail "no postView on the last page"
get "$MIRROR/xrpc/app.bsky.feed.searchPosts?limit=1"
[ "$code" = 400 ] && grep -q '"error":"InvalidRequest"' "$T/body" || fail "missing q: $code"
ok "Bluesky searchPosts cursor paging; 400 without q"
