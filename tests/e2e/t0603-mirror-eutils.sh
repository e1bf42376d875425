#!/bin/sh
# winnow-mirror as NCBI E-utilities: esearch (XML, JSON, history, paging,
# dates, unknown terms), efetch by id and by history, esummary, POST.
. "$TESTLIB"
command -v curl >/dev/null 2>&1 || { echo "skip: no curl"; exit 77; }
SAMPLE=$TESTDATA/sample

get() {
	_u=$1
	shift
	rm -f "$T/body" "$T/hdr"
	code=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@" "$_u") ||
		fail "curl $_u failed"
	[ "$code" = 200 ] || fail "$_u: HTTP $code"
}
ids() {
	sed -n 's/^<Id>\([0-9]*\)<\/Id>$/\1/p' "$T/body"
}

start_mirror --data "$SAMPLE"
E=$MIRROR/entrez/eutils

# esearch with history; api_key, email and tool change nothing
get "$E/esearch.fcgi?db=pmc&term=open_access%5Bfilter%5D&usehistory=y&retmax=4&tool=winnow&email=a%40b.org&api_key=SECRET"
head -n 2 "$T/body" | grep -q '^<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN"' ||
	fail "no esearch DOCTYPE"
grep -q '<eSearchResult><Count>20</Count><RetMax>4</RetMax><RetStart>0</RetStart><QueryKey>1</QueryKey><WebEnv>MCID_' "$T/body" ||
	fail "esearch head: $(head -c 300 "$T/body")"
webenv=$(sed -n 's/.*<WebEnv>\([^<]*\)<.*/\1/p' "$T/body")
grep -qi '^x-ratelimit-limit: 3' "$T/hdr" || fail "no X-RateLimit-Limit header"
ids >"$T/page1"
[ "$(wc -l <"$T/page1")" -eq 4 ] || fail "first page has $(wc -l <"$T/page1") ids"
ok "esearch: Count, RetMax, QueryKey, WebEnv, 4 ids"

# retstart pages through the rest, and the pages add up to all ids
get "$E/esearch.fcgi?db=pmc&term=open_access%5Bfilter%5D&retstart=4&retmax=4"
grep -q '<Count>20</Count><RetMax>4</RetMax><RetStart>4</RetStart>' "$T/body" || fail "page 2 head"
ids >"$T/page2"
get "$E/esearch.fcgi?db=pmc&term=open_access%5Bfilter%5D&retstart=8&retmax=20"
grep -q '<RetMax>12</RetMax><RetStart>8</RetStart>' "$T/body" || fail "last page head"
ids >"$T/page3"
get "$E/esearch.fcgi?db=pmc&term=open_access%5Bfilter%5D&retmax=100"
ids >"$T/all"
cat "$T/page1" "$T/page2" "$T/page3" | cmp -s - "$T/all" || fail "pages do not add up to the whole"
[ "$(sort -u "$T/all" | wc -l)" -eq 20 ] || fail "duplicate ids"
ok "retstart/retmax paging covers the 20 ids once"

# efetch from the history, paged, returns those articles in that order
get "$E/efetch.fcgi?db=pmc&query_key=1&WebEnv=$webenv&retstart=2&retmax=2"
grep -q '^<!DOCTYPE pmc-articleset PUBLIC "-//NLM//DTD ARTICLE SET 2.0//EN"' "$T/body" || fail "no articleset DOCTYPE"
[ "$(grep -c '<article ' "$T/body")" -eq 2 ] || fail "efetch page has $(grep -c '<article ' "$T/body") articles"
grep -q "<?xml" "$T/body" && [ "$(grep -c '<?xml' "$T/body")" -ne 1 ] && fail "nested XML declarations"
third=$(sed -n 3p "$T/page1")
grep -q "pub-id-type=\"pmc\">$third<" "$T/body" ||
	fail "efetch page 2 lacks article $third"
if command -v xmllint >/dev/null 2>&1; then
	xmllint --noout --nonet "$T/body" 2>"$T/lint" || fail "efetch reply is not well-formed: $(head -3 "$T/lint")"
fi
ok "efetch by WebEnv/query_key with retstart/retmax"

get "$E/efetch.fcgi?db=pmc&query_key=1&WebEnv=MCID_000000000000000000000000"
grep -q '<ERROR>Unable to obtain query #1</ERROR>' "$T/body" || fail "stale WebEnv: $(cat "$T/body")"
ok "an unknown WebEnv is an <ERROR> inside a 200"

# efetch by id, with and without the PMC prefix, and an unknown id
get "$E/efetch.fcgi?db=pmc&id=PMC3166277,9999999&retmode=xml"
grep -q '<article-id pub-id-type="pmc">3166277</article-id>' "$T/body" || fail "efetch by id"
grep -q '<Reply Id="9999999" error="The following PMCID is not available: 9999999"/>' "$T/body" ||
	fail "no Reply error for an unknown id"
ok "efetch by id; unknown ids get a Reply error"

# JSON esearch, numbers as strings
get "$E/esearch.fcgi?db=pmc&term=elife%5Bjournal%5D&retmode=json&usehistory=y"
grep -q '^{"header":{"type":"esearch","version":"0.3"},"esearchresult":{"count":"5","retmax":"5","retstart":"0","querykey":"1","webenv":"MCID_' "$T/body" ||
	fail "JSON esearch: $(cat "$T/body")"
grep -q '"idlist":\["3591006","5760205","6361583","6682400","6615864"\]' "$T/body" || fail "JSON idlist"
ok "esearch retmode=json"

# terms AND together; an unknown term is PhraseNotFound with no items
get "$E/esearch.fcgi?db=pmc&term=microscopy+AND+elife%5Bjournal%5D"
[ "$(ids | tr '\n' ' ')" = "3591006 5760205 6682400 " ] || fail "AND of two terms: $(ids | tr '\n' ' ')"
get "$E/esearch.fcgi?db=pmc&term=dermatopathology"
grep -q '<Count>0</Count><RetMax>0</RetMax><RetStart>0</RetStart><IdList/>' "$T/body" || fail "no-hit head"
grep -q '<ErrorList><PhraseNotFound>dermatopathology</PhraseNotFound></ErrorList><WarningList><OutputMessage>No items found.</OutputMessage></WarningList>' "$T/body" ||
	fail "no-hit lists: $(cat "$T/body")"
get "$E/esearch.fcgi?db=pmc&term=dermatopathology&retmode=json"
grep -q '"phrasesnotfound":\["dermatopathology"\]' "$T/body" || fail "JSON no-hit"
ok "ANDed terms; PhraseNotFound for an unknown term"

# mindate/maxdate against the release dates
get "$E/esearch.fcgi?db=pmc&term=open_access%5Bfilter%5D&datetype=pmcrdat&mindate=2019/01/01&maxdate=2019/12/31"
[ "$(ids | tr '\n' ' ')" = "6361583 6682400 6374618 6544981 6615864 " ] || fail "2019 releases: $(ids | tr '\n' ' ')"
get "$E/esearch.fcgi?db=pmc&term=open_access%5Bfilter%5D&mindate=2019"
grep -q '<ERROR>' "$T/body" || fail "mindate without maxdate accepted"
get "$E/esearch.fcgi?db=pmc&term=open_access%5Bfilter%5D&datetype=pmcrdat&reldate=36500"
[ "$(ids | wc -l)" -eq 20 ] || fail "reldate of a century: $(ids | wc -l) ids"
get "$E/esearch.fcgi?db=pmc&term=open_access%5Bfilter%5D&datetype=pmcrdat&reldate=0"
grep -q '<Count>0</Count>' "$T/body" || fail "reldate=0 found old articles"
ok "mindate/maxdate and reldate select by release date"

# POST (long id lists) works like GET
get "$E/esearch.fcgi" -d db=pmc -d term=microscopy -d retmax=2
[ "$(ids | wc -l)" -eq 2 ] || fail "POST esearch"
get "$E/efetch.fcgi" -d db=pmc -d id=6682400
grep -q '10.7554/eLife.46472' "$T/body" || fail "POST efetch"
ok "POST form bodies"

# esummary, XML and JSON
get "$E/esummary.fcgi?db=pmc&id=6682400&retmode=json"
grep -q '"uids":\["6682400"\]' "$T/body" || fail "esummary uids"
grep -q '{"idtype":"pmcid","idtypen":5,"value":"PMC6682400"}' "$T/body" || fail "esummary articleids"
get "$E/esummary.fcgi?db=pmc&id=6682400"
grep -q '<Item Name="doi" Type="String">10.7554/eLife.46472</Item>' "$T/body" || fail "esummary XML"
get "$E/esummary.fcgi?db=pmc"
grep -q '<ERROR>Neither query_key nor id specified</ERROR>' "$T/body" || fail "esummary without ids"
ok "esummary XML and JSON"
