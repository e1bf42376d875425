#!/bin/sh
# Panel-level matching: a panel cut out of a compound figure and re-encoded is
# grouped with the figure, standalone (winnow-hash --json finds and hashes the
# panels) and on the database (panels rows hashed as crops of their image).
. "$TESTLIB"
# Debian's python3 (PIL), not whatever python3 comes first on PATH
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
H=$TESTDATA/hash
D=$TESTDATA/dedup

cp "$H/encoda_elife-46472-v3_fig7.jpg" "$T/fig7.jpg"
cp "$D/cell.png" "$T/cell.png"
# the top right panel, cut a little loosely, re-encoded as JPEG quality 80
"$PY" - "$T/fig7.jpg" "$T/cut.jpg" <<'PY' || fail "cut-out"
import sys
from PIL import Image
Image.open(sys.argv[1]).convert("RGB").crop((303, 0, 600, 116)).save(sys.argv[2], quality=80)
PY
cd "$T" || fail "cd"

# standalone: the figure's object lists its panels with their hashes
expect 0 winnow-hash --json fig7.jpg cut.jpg cell.png
cp "$T/out" "$T/h.jsonl"
head -n1 "$T/h.jsonl" | grep -q '"panels":\[{"x":' || fail "no panels for the compound figure"
[ "$(head -n1 "$T/h.jsonl" | grep -o '"pdq_quality"' | wc -l)" -ge 3 ] ||
	fail "panels without their hashes"
sed -n 3p "$T/h.jsonl" | grep -q '"panels"' && fail "panels for a single image"
expect 0 winnow-hash --json --no-panels fig7.jpg
grep -q '"panels"' "$T/out" && fail "--no-panels printed panels"
ok "winnow-hash --json hashes the panels of compound figures"

expect_in 0 winnow-dedup --json <"$T/h.jsonl"
[ "$(wc -l <"$T/out")" = 1 ] || fail "expected one group: $(cat "$T/out")"
grep -q '"representative":"fig7.jpg","members":\[{"path":"cut.jpg","method":"panel"' "$T/out" ||
	fail "the cut-out panel is not grouped with its figure: $(cat "$T/out")"
grep -q 'cell.png' "$T/out" && fail "an unrelated image was grouped"
ok "a cut-out panel is grouped with its figure (method panel)"

# without panel hashes, the cut-out is not found by its PDQ
winnow-hash --json --no-panels fig7.jpg cut.jpg cell.png >"$T/np.jsonl" || fail "winnow-hash --no-panels"
expect_in 0 winnow-dedup --json --no-regions <"$T/np.jsonl"
grep -q 'cut.jpg' "$T/out" && fail "the cut-out matched without panels"
# a figure's own panels never make it a duplicate of itself
expect_in 0 winnow-dedup --json <"$T/np.jsonl"
head -n1 "$T/h.jsonl" | expect_in 0 winnow-dedup --json
[ -s "$T/out" ] && fail "a figure grouped with its own panels: $(cat "$T/out")"
ok "no self-matches"

# a malformed panel is skipped, the figure stays usable
head -n1 "$T/h.jsonl" | sed 's/"panels":\[{"x":[0-9]*/"panels":[{"x":"bad"/' >"$T/badp.jsonl"
sed -n 2p "$T/h.jsonl" >>"$T/badp.jsonl"
expect_in 0 winnow-dedup --json <"$T/badp.jsonl"
grep -q 'cut.jpg' "$T/out" || fail "good panels lost with a bad one: $(cat "$T/out")"
ok "a malformed panel is skipped"

# database: the figure with its panel rows, the cut-out as an image of its own
expect 0 winnow-db init
STORE=$T/w-store
mkdir -p "$STORE"
cp "$T/fig7.jpg" "$T/cut.jpg" "$STORE/"
sql "INSERT INTO images (id, sha256, path, bytes, format, width, height) VALUES
	(1, '$(sha256sum "$T/fig7.jpg" | cut -d' ' -f1)', 'fig7.jpg', 1, 'jpeg', 600, 245),
	(2, '$(sha256sum "$T/cut.jpg" | cut -d' ' -f1)', 'cut.jpg', 1, 'jpeg', 297, 116);
INSERT INTO documents (id, source, source_id) VALUES (1, 'pmc', 'PMC1.1'), (2, 'pmc', 'PMC2.1');
INSERT INTO figures (id, document_id, ordinal, image_id) VALUES (1, 1, 0, 1), (2, 2, 0, 2);
INSERT INTO panels (id, figure_id, image_id, ordinal, x, y, w, h) VALUES
	(10, 1, 1, 0, 0, 0, 291, 115), (11, 1, 1, 1, 305, 0, 295, 115),
	(12, 1, 1, 2, 1, 131, 291, 114), (13, 1, 1, 3, 308, 131, 292, 114);" || fail "fixture"
expect 0 winnow-hash --all
expect 0 winnow-dedup --all
g=$(sql "SELECT group_id FROM duplicates WHERE image_id = 2 AND panel_id IS NULL")
[ -n "$g" ] || fail "the cut-out is in no group: $(sql 'SELECT * FROM duplicates')"
[ "$(sql "SELECT panel_id FROM duplicates WHERE group_id = $g AND image_id = 1")" = 11 ] ||
	fail "the cut-out is not grouped with panel 11: $(sql 'SELECT * FROM duplicates')"
ok "database: an image is grouped with the panel row it was cut from"
