#!/bin/sh
# The caption's panel count as a hint to the panel detector: an eLife figure
# of eight plots (A-D and E-H in two columns) whose weaker gutters the image
# alone does not show, split with its caption in the standalone form of
# winnow-pair and in the database form of winnow-split.
. "$TESTLIB"
D=$TESTDATA/pair
F=encoda_elife-30274-v1_fig2-figsupp2
command -v winnow-split >/dev/null 2>&1 || { echo "skip: no winnow-split"; exit 77; }

# without the caption, fewer panels (else this figure no longer tests the hint)
expect 0 winnow-split --json "$D/$F.jpg"
n=$(grep -o '"label"' "$T/out" | wc -l)
[ "$n" -lt 8 ] || fail "the image alone gives $n panels: choose a harder figure"

# with it, the eight panels, each with its own letter
expect 0 winnow-pair --json --image "$D/$F.jpg" --caption-file "$D/$F.txt"
grep -o '"labels":\["[A-Z]"\]' "$T/out" | sort | tr -d '\n' >"$T/labs"
[ "$(cat "$T/labs")" = '"labels":["A"]"labels":["B"]"labels":["C"]"labels":["D"]"labels":["E"]"labels":["F"]"labels":["G"]"labels":["H"]' ] ||
	fail "labels: $(cat "$T/labs")"
ok "standalone: eight panels A-H"

# the database form: winnow-split reads the caption with the figure
expect 0 winnow-db init
mkdir -p "$T/w-store/e" || fail "store"
cp "$D/$F.jpg" "$T/w-store/e/$F.jpg"
sha=$(sha256sum "$D/$F.jpg" | cut -d' ' -f1)
bytes=$(wc -c <"$D/$F.jpg")
sql "INSERT INTO documents (id, source, source_id, base_id, version, license)
       VALUES (1, 'pmc', 'PMC901.1', 'PMC901', 1, 'CC BY');
     INSERT INTO images (id, sha256, path, bytes, format)
       VALUES (1, '$sha', 'e/$F.jpg', $bytes, 'jpeg');
     INSERT INTO figures (id, document_id, ordinal, caption, image_id, status)
       VALUES (1, 1, 0, rtrim(CAST(readfile('$D/$F.txt') AS TEXT), char(10)), 1, 'ok'),
              (2, 1, 1, 'The same plots, with a caption that names no panel.', 1, 'ok'),
              (3, 1, 2, NULL, 1, 'ok')" ||
	fail "fixture"
expect 0 winnow-split --all
[ "$(sql "SELECT count(*) FROM panels WHERE figure_id = 1")" -eq 8 ] ||
	fail "database: $(sql "SELECT count(*) FROM panels WHERE figure_id = 1") panels"
ok "database: eight panels"
# no hint from a caption without labels, or from no caption
[ "$(sql "SELECT count(*) FROM panels WHERE figure_id = 2")" -eq "$n" ] ||
	fail "unlabelled caption: $(sql "SELECT count(*) FROM panels WHERE figure_id = 2") panels, not $n"
[ "$(sql "SELECT count(*) FROM panels WHERE figure_id = 3")" -eq "$n" ] ||
	fail "no caption: $(sql "SELECT count(*) FROM panels WHERE figure_id = 3") panels, not $n"
ok "database: no hint without labels"
# the caption groups A-C with E-G, and D with H: two texts, the bottom row's
# (D, H) for the bottom row only
echo 1 | winnow-pair >"$T/ids" 2>"$T/err" || fail "winnow-pair: $(cat "$T/err")"
[ "$(sql "SELECT count(*) FROM pairs WHERE figure_id = 1 AND status = 'kept'")" -eq 8 ] ||
	fail "database: $(sql "SELECT count(*) FROM pairs WHERE status = 'kept'") kept pairs"
[ "$(sql "SELECT count(DISTINCT caption) FROM pairs WHERE figure_id = 1")" -eq 2 ] ||
	fail "database: not the two sub-caption groups"
[ "$(sql "SELECT count(*) FROM pairs a JOIN pairs b ON a.caption = b.caption
	WHERE a.figure_id = 1 AND b.figure_id = 1 AND a.y > 800 AND b.y < 800")" -eq 0 ] || fail "database: D and H share a text with A-C, E-G"
ok "database: eight pairs, each with its group's sub-caption"

# A figure of two plots that the compound-or-single model, on the image
# alone, keeps whole; its caption speaks of the left and the right panel, so
# a split the model doubts only a little is kept.  The test takes the
# shipped model with its compound-or-single threshold at 0.7 and its bias
# moved so that this figure gets a compound chance of 0.6: between the
# caption's bar (0.5) and the model's own.
G=encoda_elife-43154-v2_fig2
M2=$T/doubting.model
expect 0 winnow-split -vvv --json "$D/$G.jpg"
p=$(sed -n 's/.*figure of 2 panels: compound p=\([0-9.]*\),.*/\1/p' "$T/err")
[ -n "$p" ] || fail "no compound-or-single decision: $(cat "$T/err")"
awk -v p="$p" 'f { $1 += log(0.6 / 0.4) - log(p / (1 - p)); f = 0 }
	/^figure [0-9]+$/ { f = 1 } /^figure_threshold / { $2 = 0.7 } { print }' \
	"$SOURCE_ROOT/split/models/panels.model" >"$M2"
expect 0 winnow-split -vvv --json --model "$M2" "$D/$G.jpg"
grep -q '"compound": false' "$T/out" ||
	fail "the image alone is compound: choose a harder figure"
p2=$(sed -n 's/.*figure of 2 panels: compound p=\([0-9.]*\),.*/\1/p' "$T/err")
awk -v p="$p2" 'BEGIN { exit !(p >= 0.5 && p < 0.7) }' ||
	fail "doubting model: compound p=$p2"
expect 0 winnow-pair --json --model "$M2" --image "$D/$G.jpg" --caption-file "$D/$G.txt"
[ "$(grep -o '"labels":\["[a-z]*"\]' "$T/out" | tr -d '\n')" = '"labels":["left"]"labels":["right"]' ] ||
	fail "left and right: $(grep -o '"labels":\[[^]]*\]' "$T/out" | tr -d '\n')"
grep -q '"x":0,' "$T/out" && grep -q '"x":3[0-9][0-9],' "$T/out" ||
	fail "left and right: not the two halves"
ok "standalone: a caption that names two panels keeps the split"
