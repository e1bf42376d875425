#!/bin/sh
# winnow-train: the standard options, synthetic figures reproducible, a small
# training run reproducible and loadable, detect agrees with winnow-split,
# "all" from nothing reproducible, eval on the held-back dev figures (when the
# shared dev data is present).
. "$TESTLIB"

check_help winnow-train
expect 64 winnow-train
expect 64 winnow-train no-such-command
expect 64 winnow-train --seed x panels
expect 66 winnow-train --dev "$T/nothing" -o "$T/x.model" panels

# synthetic figures: the same seed gives the same files
mkdir "$T/s1" "$T/s2"
expect 0 winnow-train --synth 6 --seed 3 synth "$T/s1"
mv "$T/out" "$T/s1.jsonl"
expect 0 winnow-train --synth 6 --seed 3 synth "$T/s2"
cmp -s "$T/out" "$T/s1.jsonl" || fail "synthetic boxes differ between runs"
for f in "$T"/s1/*.png; do
	cmp -s "$f" "$T/s2/$(basename "$f")" || fail "$(basename "$f") differs between runs"
done
[ "$(ls "$T/s1" | wc -l)" -eq 6 ] || fail "not 6 figures"
jq -e '(.units | length) >= 1 and all(.units[]; .box[2] > 0 and .box[3] > 0)' \
	"$T/s1.jsonl" >/dev/null || fail "bad synthetic boxes"
ok "synthetic figures and boxes reproducible"

# detect and winnow-split --json agree
expect 0 winnow-train detect "$TESTDATA/panels/grid-2x2.png"
jq -c '.panels' "$T/out" >"$T/a"
expect 0 winnow-split --json "$TESTDATA/panels/grid-2x2.png"
jq -c '.panels | map(.score |= (. * 1000 | round / 1000))' "$T/out" >"$T/b"
jq -c 'map(.score |= (. * 1000 | round / 1000))' "$T/a" >"$T/a2"
cmp -s "$T/a2" "$T/b" || fail "detect and winnow-split differ: $(cat "$T/a2") vs $(cat "$T/b")"
ok "winnow-train detect == winnow-split --json"

# a small training run: a dev folder of six annotated figures made here from
# the synthetic ones, glyphs from the letter sheet; twice, same bytes
mkdir -p "$T/dev/annotations" "$T/dev/compound"
head -n 6 "$T/s1.jsonl" | sed 's|"file": "|"file": "compound/|' >"$T/dev/annotations/panels-dev.jsonl"
cp "$T"/s1/*.png "$T/dev/compound/"
for i in 1 2; do
	expect 0 winnow-train -q --glyphs "$TESTDATA/train/glyph-sheet.txt" --epochs 2 \
		-o "$T/m$i.model" labels
	expect 0 winnow-train -q --dev "$T/dev" --synth 8 -m "$T/m$i.model" \
		-o "$T/m$i.model" --c-output "$T/m$i.c" panels
done
cmp -s "$T/m1.model" "$T/m2.model" || fail "training is not reproducible"
cmp -s "$T/m1.c" "$T/m2.c" || fail "generated C differs"
grep -q '^const char wn_panels_model_text\[\] =' "$T/m1.c" || fail "no model text in the C file"
expect 0 winnow-split --json --model "$T/m1.model" "$TESTDATA/panels/blank.png"
ok "training reproducible; the model written loads"

# the separator and region models' trees: 100 of depth 3 by default, as
# many as asked, none with --trees 0; bad values refused
grep -qx 'cut_trees 100 3' "$T/m1.model" || fail "no 100 trees: $(grep cut_trees "$T/m1.model")"
[ "$(sed -n '/^cut_trees/,/^leaf /p' "$T/m1.model" | wc -l)" -eq 102 ] ||
	fail "not 100 tree lines"
grep -qx 'leaf_trees 100 3' "$T/m1.model" || fail "no 100 region trees"
# (a compound-or-single model, and its trees, only when there are singles)
! grep -q '^figure ' "$T/m1.model" || grep -qx 'figure_trees 100 3' "$T/m1.model" ||
	fail "a compound-or-single model without its trees"
[ "$(sed -n '/^leaf_trees/,/^label_threshold /p' "$T/m1.model" | wc -l)" -eq 102 ] ||
	fail "not 100 region tree lines"
expect 0 winnow-train -q --dev "$T/dev" --synth 8 --trees 7 --real-weight 1 \
	-m "$T/m1.model" -o "$T/t7.model" --c-output "$T/t7.c" panels
grep -qx 'cut_trees 7 3' "$T/t7.model" || fail "--trees 7: $(grep cut_trees "$T/t7.model")"
grep -qx 'leaf_trees 7 3' "$T/t7.model" || fail "--trees 7: $(grep leaf_trees "$T/t7.model")"
expect 0 winnow-train -q --dev "$T/dev" --synth 8 --trees 0 \
	-m "$T/m1.model" -o "$T/t0.model" --c-output "$T/t0.c" panels
! grep -q _trees "$T/t0.model" || fail "--trees 0 wrote trees"
expect 0 winnow-split --json --model "$T/t0.model" "$TESTDATA/panels/grid-2x2.png"
expect 64 winnow-train --trees -1 eval
expect 64 winnow-train --trees 5000 eval
expect 64 winnow-train --real-weight 0 eval
expect 64 winnow-train --fold 4 eval
expect 64 winnow-train --fold 0 eval
ok "boosted trees: count, none, bad options"

# "all" from the fixed initial model: -m refused, options after the command
# refused (a stray "-o" must not send the model into the sources), and a
# reduced run twice gives the same bytes, captions kept out of the sources
expect 64 winnow-train -m "$T/m1.model" -o "$T/x.model" all
expect 64 winnow-train panels -o "$T/x.model"
[ ! -e "$T/x.model" ] || fail "a model written despite a usage error"
expect 64 winnow-train -o "$T/x.model" labels extra
before=$(cksum <"$SOURCE_ROOT/split/models/caption-lr.inc")
for i in 1 2; do
	expect 0 winnow-train --dev "$T/dev" --glyphs "$TESTDATA/train/glyph-sheet.txt" \
		--epochs 2 --synth 8 --rounds 2 -o "$T/a$i.model" --c-output "$T/a$i.c" all
	mv "$T/out" "$T/a$i.out"
done
cmp -s "$T/a1.model" "$T/a2.model" || fail "'all' is not reproducible"
cmp -s "$T/a1.c" "$T/a2.c" || fail "'all': generated C differs"
grep -q '^panels: round 2: training F1@0.5 ' "$T/a1.out" || fail "no round 2: $(cat "$T/a1.out")"
grep -q '^panels: round [12] kept' "$T/a1.out" || fail "no round kept: $(cat "$T/a1.out")"
grep '^[lp]a[bn]els:' "$T/a1.out" >"$T/r1"
grep '^[lp]a[bn]els:' "$T/a2.out" >"$T/r2"
cmp -s "$T/r1" "$T/r2" || fail "'all' reports differ"
cmp -s "$T/a1.model.caption-lr.inc" "$T/a2.model.caption-lr.inc" ||
	fail "'all -o': caption models differ or missing"
grep -q '^glyph ' "$T/a1.model" || fail "'all' wrote no letter reader"
[ "$(cksum <"$SOURCE_ROOT/split/models/caption-lr.inc")" = "$before" ] ||
	fail "'all -o' changed the sources"
expect 0 winnow-split --json --model "$T/a1.model" "$TESTDATA/panels/grid-2x2.png"
ok "'all' from the initial model reproducible; the model written loads"

# scores on the held-back real figures, model against the baseline
if [ -f "$SHARED_DATA/dev/annotations/panels-dev.jsonl" ]; then
	expect 0 winnow-train --dev "$SHARED_DATA/dev" eval
	awk '$1 == "ALL" && $2 == "model" { m = $8 } $1 == "ALL" && $2 == "baseline" { b = $8 }
		END { if (m < 0.70 || m <= b) exit 1 }' "$T/out" ||
		fail "held-back panel F1 too low: $(head -n 5 "$T/out")"
	ok "held-back dev figures: panel F1@0.5 >= 0.70 and above the baseline"
	# the model with the caption's panel count, and the spread over figures
	grep -q '^ALL  *caption ' "$T/out" || fail "no caption row"
	awk '$1 == "ALL" && $2 == "model" { m = $8 }
		$1 == "interval:" && $2 == "model" { split($3, r, "-"); lo = r[1]; hi = r[2] }
		END { if (hi == "" || m < lo || m > hi || lo >= hi) exit 1 }' "$T/out" ||
		fail "F1 interval: $(grep '^interval' "$T/out")"
	ok "held-back dev figures: a caption row, and an interval around F1"
	# the three folds hold back different figures, 90% of them together
	sum=0
	for k in 1 2 3; do
		expect 0 winnow-train --dev "$SHARED_DATA/dev" --fold $k eval
		n=$(awk '$1 == "ALL" && $2 == "model" { print $3 }' "$T/out")
		[ "$n" -gt 0 ] || fail "fold $k holds back no figure"
		sum=$((sum + n))
	done
	total=$(( $(wc -l <"$SHARED_DATA/dev/annotations/panels-dev.jsonl") +
		  $(ls "$SHARED_DATA/dev/single" | wc -l) ))
	[ "$sum" -lt "$total" ] && [ $((sum * 10)) -gt $((total * 8)) ] ||
		fail "folds hold back $sum of $total figures"
	ok "--fold: three parts, $sum of $total figures"
else
	ok "# SKIP no shared dev data"
fi
