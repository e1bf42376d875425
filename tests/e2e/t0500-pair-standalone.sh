#!/bin/sh
# winnow-pair: options, and the standalone form on real eLife figures.
. "$TESTLIB"
D=$TESTDATA/pair
F=encoda_elife-30274-v1_fig1

check_help winnow-pair
winnow-pair --help | tail -n1 | grep -q '^See winnow-pair(1)\.$' || fail "--help does not end with the man page"
# every long option of the usage is in the man page
winnow-pair --help | grep -o -- '--[a-z-]*' | sort -u | while read -r opt; do
	grep -q -- "^\.It.*Fl -${opt#--}" "$SOURCE_ROOT/pair/winnow-pair.1" || fail "$opt not in winnow-pair(1)"
done || exit 1
expect 64 winnow-pair --image "$D/$F.jpg"
expect 64 winnow-pair --json
expect 64 winnow-pair --val 0.7 --test 0.7
expect 64 winnow-pair --min-side -3
expect 64 winnow-pair stray-argument

# the hand-drawn panels and sub-captions: exactly the expected pairs
expect 0 winnow-pair --json --image "$D/$F.jpg" --caption-file "$D/$F.txt" \
	--panels "$D/$F.panels.json" --subcaptions "$D/$F.subcaptions.json"
diff -u "$D/$F.expected.json" "$T/out" >&2 || fail "pairs of $F differ"
ok "pairs of $F as expected"

# the caption on standard input, panels from the file, splitter run here
winnow-pair --json --image "$D/$F.jpg" --caption-file - --panels "$D/$F.panels.json" \
	<"$D/$F.txt" >"$T/out" 2>"$T/err" || fail "caption on stdin"
grep -q '"labels":\["A"\]' "$T/out" || fail "panel A not paired: $(cat "$T/out")"
grep -q '"labels":\["B"\]' "$T/out" || fail "panel B not paired"
# panel A gets A's text and the shared text, not B's
tr '}' '\n' <"$T/out" | grep '"A"' >"$T/a"
grep -q 'Representative Western blot' "$T/a" || fail "A lacks its sub-caption"
grep -q 'Induction of c-Myc' "$T/a" || fail "A lacks the shared title"
grep -q 'Quantification of total RNA' "$T/a" && fail "A has B's sub-caption"
grep -q '(A) Representative' "$T/a" && fail "A's label marker was not removed"
ok "splitter output paired"

# the full standalone form (detector and splitter) on each fixture
for f in encoda_elife-30274-v1_fig1 encoda_elife-46472-v3_fig7 encoda_elife-46793-v1_fig10-figsupp1; do
	expect 0 winnow-pair --json --image "$D/$f.jpg" --caption-file "$D/$f.txt"
	[ "$(wc -l <"$T/out")" -eq 1 ] || fail "$f: not one line"
	grep -q '^{"pairs":\[{"x":[0-9]*,"y":[0-9]*,"w":[0-9]*,"h":[0-9]*,"labels":\[' "$T/out" ||
		fail "$f: not the pairs object: $(head -c 300 "$T/out")"
	grep -q '"caption":"[^"]' "$T/out" || fail "$f: no caption text"
done
expect 0 winnow-pair --image "$D/$F.jpg" --caption-file "$D/$F.txt" \
	--panels "$D/$F.panels.json"
[ "$(wc -l <"$T/out")" -eq 3 ] || fail "plain output: not one line per pair"
cut -f5 "$T/out" | tr '\n' ' ' | grep -q '^A B B $' || fail "plain output labels: $(cut -f5 "$T/out")"

# bad input: one line, the right status
expect 66 winnow-pair --json --image "$T/missing.jpg" --caption-file "$D/$F.txt"
expect 66 winnow-pair --json --image "$D/$F.jpg" --caption-file "$T/missing.txt"
printf 'not an image at all' >"$T/bad.jpg"
expect 65 winnow-pair --json --image "$T/bad.jpg" --caption-file "$D/$F.txt"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "more than one error line"
head -c 3000 "$D/$F.jpg" >"$T/trunc.jpg"
winnow-pair --json --image "$T/trunc.jpg" --caption-file "$D/$F.txt" >"$T/out" 2>"$T/err"
st=$?
[ $st -eq 0 ] || [ $st -eq 65 ] || fail "truncated JPEG exited $st"
ok "truncated JPEG -> $st"
printf '{"panels": [{"x": 1}]}\n' >"$T/p.json"
expect 65 winnow-pair --json --image "$D/$F.jpg" --caption-file "$D/$F.txt" --panels "$T/p.json"
printf '{"subcaptions": [{"labels": ["A"], "start": 5, "end": 99999}], "shared": []}\n' >"$T/s.json"
expect 65 winnow-pair --json --image "$D/$F.jpg" --caption-file "$D/$F.txt" \
	--panels "$D/$F.panels.json" --subcaptions "$T/s.json"
printf 'garbage' >"$T/s.json"
expect 65 winnow-pair --json --image "$D/$F.jpg" --caption-file "$D/$F.txt" \
	--panels "$D/$F.panels.json" --subcaptions "$T/s.json"
