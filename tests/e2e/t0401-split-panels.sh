#!/bin/sh
# winnow-split FILE... on the panel fixtures: boxes and labels of a grid on
# white (letters outside) and a row on black (letters inside), a single image,
# and tiny, blank, huge, truncated and non-image files: sensible output, one
# warning line per bad file, no crash.
. "$TESTLIB"

P=$TESTDATA/panels

# check_boxes FILE "x y w h label" ...: each expected panel within 4 px, label equal
check_boxes() {
	_f=$1
	shift
	jq -r '.panels[] | "\(.x) \(.y) \(.w) \(.h) \(.label)"' "$_f" >"$T/got" ||
		fail "no panels in $(cat "$_f")"
	[ "$(wc -l <"$T/got")" -eq $# ] || fail "$# panels expected: $(cat "$T/got")"
	for _want in "$@"; do
		awk -v w="$_want" 'BEGIN { split(w, e, " ") }
			function d(a, b) { return a > b ? a - b : b - a }
			d($1, e[1]) <= 4 && d($2, e[2]) <= 4 && d($3, e[3]) <= 4 &&
			d($4, e[4]) <= 4 && $5 == e[5] { found = 1 }
			END { exit !found }' "$T/got" ||
			fail "no panel like '$_want' in: $(cat "$T/got")"
	done
}

expect 0 winnow-split --json "$P/grid-2x2.png"
jq -e '.compound == true and .width == 620 and .height == 520' "$T/out" >/dev/null ||
	fail "grid: $(cat "$T/out")"
check_boxes "$T/out" "30 36 270 220 A" "330 36 270 220 B" "30 286 270 220 C" "330 286 270 220 D"
ok "2x2 grid on white: four boxes, letters A-D read"

expect 0 winnow-split --json "$P/row-3-black.png"
check_boxes "$T/out" "10 10 280 280 a" "307 10 280 280 b" "604 10 280 280 c"
ok "row of three on black: boxes, letters inside the images read"

for f in single.jpg blank.png tiny.png; do
	expect 0 winnow-split --json "$P/$f"
	jq -e '.compound == false and (.panels | length) == 1 and
		.panels[0].w > 0 and .panels[0].h > 0 and
		.panels[0].x + .panels[0].w <= .width and
		.panels[0].y + .panels[0].h <= .height' "$T/out" >/dev/null ||
		fail "$f: $(cat "$T/out")"
done
ok "single, blank and tiny images: one panel, not compound"

for f in huge-2.png truncated.jpg not-an-image.png; do
	winnow-split --json "$P/$f" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -lt 64 ] || [ $rc -eq 65 ] || fail "$f: exit $rc"
	jq -e '.error | type == "string"' "$T/out" >/dev/null || fail "$f: $(cat "$T/out")"
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "$f: not one warning line: $(cat "$T/err")"
done
ok "huge, truncated and non-image files: an error per file, one warning line"

# the same answers with the model file given explicitly
expect 0 winnow-split --json --model "$SOURCE_ROOT/split/models/panels.model" "$P/grid-2x2.png"
check_boxes "$T/out" "30 36 270 220 A" "330 36 270 220 B" "30 286 270 220 C" "330 286 270 220 D"
ok "--model split/models/panels.model: same answer as the built-in model"
