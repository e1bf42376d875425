#!/bin/sh
# winnow-hash --compat: pHash, dHash and aHash equal Python imagehash 4.3's
# (tests/data/hash/imagehash-golden.tsv, written by the golden script on
# Debian's Pillow 9.4) and PDQ the full-resolution values, bridge-1-original
# being the published Java reference vector.
. "$TESTLIB"
# Debian's python3 (numpy, PIL), not whatever python3 comes first on PATH
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
H=$TESTDATA/hash
cd "$H" || fail "no $H"

grep -v '^#' imagehash-golden.tsv | awk -F '\t' 'NR > 1 { print $1 }' >"$T/files"
[ "$(wc -l <"$T/files")" -ge 15 ] || fail "too few golden files"
expect_in 0 winnow-hash --compat -j 2 --files <"$T/files"
awk -F '\t' '{ print $7 "\t" $3 "\t" $4 "\t" $5 }' "$T/out" >"$T/got"
grep -v '^#' imagehash-golden.tsv | awk -F '\t' 'NR > 1 { print $1 "\t" $2 "\t" $3 "\t" $4 }' >"$T/want"
diff "$T/want" "$T/got" >&2 || fail "--compat differs from imagehash"
ok "pHash, dHash, aHash equal imagehash on $(wc -l <"$T/want") images"

awk -F '\t' '{ print $7 "\t" $1 "\t" $2 }' "$T/out" >"$T/gotpdq"
awk -F '\t' 'NR > 1 { print $1 "\t" $2 "\t" $3 }' pdq-golden.tsv >"$T/wantpdq"
diff "$T/wantpdq" "$T/gotpdq" >&2 || fail "--compat PDQ differs from the goldens"
grep -q '^bridge-1-original.jpg	f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22	100$' \
	"$T/gotpdq" || fail "bridge-1-original is not the Java vector"
ok "PDQ equals the full-resolution goldens and the Java vector"

# the JSON form says which mode computed it
expect 0 winnow-hash --compat --json pydicom_MR_small.png
grep -q '"mode":"compat"' "$T/out" || fail "no mode compat in JSON"
