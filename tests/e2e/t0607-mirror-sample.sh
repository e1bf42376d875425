#!/bin/sh
# The sample corpus is what tools/mirror/make-sample builds from the shared
# data, every file has its attribution, and --bench makes a served corpus of
# distinct figure files.
. "$TESTLIB"
command -v curl >/dev/null 2>&1 || { echo "skip: no curl"; exit 77; }
SAMPLE=$TESTDATA/sample
MAKE=$SOURCE_ROOT/tools/mirror/make-sample
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# every bucket object of the sample is named in ATTRIBUTION.tsv, by itself or its folder
(cd "$SAMPLE" && find bucket -type f) | sort >"$T/files"
cut -f1 "$SAMPLE/ATTRIBUTION.tsv" | tail -n +2 >"$T/attrib"
missing=0
while read -r f; do
	case $f in
	bucket/metadata/*|bucket/*/*.json|bucket/*/*.txt) continue ;;	# generated
	esac
	grep -qx "$f" "$T/attrib" || { echo "not attributed: $f" >&2; missing=1; }
done <"$T/files"
[ $missing -eq 0 ] || fail "files without attribution"
if grep -v '^path' "$SAMPLE/ATTRIBUTION.tsv" | cut -f3 | grep -qi 'unknown\|verify'; then
	fail "a licence that is unknown or unverified"
fi
ok "every article and figure file is attributed, with a known licence"

# a cap that keeps the repository light: 10 MB, raised from 8 MB when PMC6615864
# came in with its 18 own figure files (about 2 MB) and its full JATS
size=$(du -sk "$SAMPLE" | cut -f1)
[ "$size" -lt 10240 ] || fail "the sample is $size kB"
ok "the sample is small ($size kB)"

# make-sample rebuilds the committed corpus byte for byte
if [ -d "$SHARED_DATA/payloads" ] && [ -d "$SHARED_DATA/dev" ]; then
	"$PY" "$MAKE" --shared "$SHARED_DATA" --out "$T/rebuilt" || fail "make-sample failed"
	diff -r "$SAMPLE" "$T/rebuilt" >"$T/diff" 2>&1 || fail "the sample differs from make-sample's: $(head -5 "$T/diff")"
	ok "make-sample reproduces tests/data/sample"
else
	ok "# skip make-sample rebuild: no shared data"
fi

# --bench: N distinct figure files in articles found by the term "bench"
"$PY" "$MAKE" --bench 45 --from "$SAMPLE" --out "$T/bench" || fail "make-sample --bench failed"
n=$(find "$T/bench/bucket" -name 'bench-*.jpg' | wc -l)
[ "$n" -eq 45 ] || fail "$n bench figures, expected 45"
start_mirror --data "$T/bench" --latency-ms 5
curl -s -o "$T/out" "$MIRROR/entrez/eutils/esearch.fcgi?db=pmc&term=bench&retmax=100"
grep -q '<Count>3</Count>' "$T/out" || fail "bench esearch: $(cat "$T/out")"
curl -s -o "$T/out" "$MIRROR/metadata/PMC90000003.1.json"
[ "$(grep -c 'bench-0000[0-9][0-9].jpg?md5=' "$T/out")" -eq 5 ] || fail "bench metadata: $(cat "$T/out")"
key=$(grep -o 'PMC90000003.1/bench-000044.jpg' "$T/out")
curl -s -o "$T/img" "$MIRROR/$key"
want=$(grep -o 'bench-000044.jpg?md5=[0-9a-f]*' "$T/out" | cut -d= -f2)
[ "$(md5sum <"$T/img" | cut -d' ' -f1)" = "$want" ] || fail "bench image MD5"
ok "make-sample --bench 45: 3 articles, 45 figure files, served"
