#!/bin/sh
# winnow-hash database form: images and panels without hashes rows are hashed,
# ids printed after commit, reruns do nothing, ids on stdin with bad lines,
# error rows for unreadable images and --retry-errors, panels as crops.
. "$TESTLIB"
# Debian's python3 (numpy, PIL), not whatever python3 comes first on PATH
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
H=$TESTDATA/hash
STORE=$T/w-store

expect 66 winnow-hash -d "$T/none.db" --all
[ -e "$T/none.db" ] && fail "the database form created a database"
expect 0 winnow-db init
mkdir -p "$STORE/ab" "$STORE/cd"
cp "$H/bridge-1-original.jpg" "$STORE/ab/bridge.jpg"
cp "$H/pydicom_MR_small.png" "$STORE/ab/mr.png"
cp "$H/encoda_elife-46472-v3_fig7.jpg" "$STORE/cd/fig7.jpg"
printf 'corrupt' >"$STORE/cd/bad.png"
z() { printf '%064d' "$1"; }
sql "INSERT INTO images (id, sha256, path, bytes) VALUES
	(1, '$(z 1)', 'ab/bridge.jpg', 1), (2, '$(z 2)', 'ab/mr.png', 1),
	(3, '$(z 3)', 'cd/fig7.jpg', 1), (4, '$(z 4)', 'cd/bad.png', 1),
	(5, '$(z 5)', 'cd/missing.png', 1);
INSERT INTO documents (id, source, source_id) VALUES (1, 'pmc', 'PMC1.1');
INSERT INTO figures (id, document_id, ordinal) VALUES (1, 1, 0);
INSERT INTO panels (id, figure_id, image_id, ordinal, x, y, w, h) VALUES
	(10, 1, 3, 0, 0, 0, 300, 245), (11, 1, 3, 1, 300, 0, 300, 245),
	(12, 1, 3, 2, 9000, 0, 10, 10);" || fail "fixture"

# ids on stdin: a bad line and an unknown id are warnings
printf '2\nnot-an-id\n99\n2\n' | expect_in 0 winnow-hash
[ "$(cat "$T/out")" = "2" ] || fail "stdin ids: printed '$(cat "$T/out")'"
grep -q "stdin:2: 'not-an-id' is not an id, skipping" "$T/err" || fail "no bad-line warning"
grep -q "stdin:3: no image 99, skipping" "$T/err" || fail "no unknown-id warning"
[ "$(sql 'SELECT count(*) FROM hashes')" -eq 1 ] || fail "expected one row"
printf '2\nx\n' | expect_in 1 winnow-hash --max-errors 0

# --all: the rest, each image once, in id order
expect 0 winnow-hash --all -j 2
[ "$(tr '\n' ' ' <"$T/out")" = "1 3 " ] || fail "--all printed '$(tr '\n' ' ' <"$T/out")'"
grep -q "image 4: cannot hash" "$T/err" || fail "no warning for the corrupt image"
grep -q "image 5: cannot hash" "$T/err" || fail "no warning for the missing image"
sql "SELECT image_id, COALESCE(panel_id, 0), pdq IS NOT NULL, length(pdq), length(pdq_dihedral),
	pdq_quality IS NOT NULL, phash IS NOT NULL, error IS NOT NULL, mode
	FROM hashes ORDER BY 1, 2" >"$T/rows"
cat >"$T/want" <<'ROWS'
1|0|1|32|256|1|1|0|fast
2|0|1|32|256|1|1|0|fast
3|0|1|32|256|1|1|0|fast
3|10|1|32|256|1|1|0|fast
3|11|1|32|256|1|1|0|fast
3|12|0|||0|0|1|fast
4|0|0|||0|0|1|fast
5|0|0|||0|0|1|fast
ROWS
diff "$T/want" "$T/rows" >&2 || fail "hashes rows"
ok "rows for images, panels and failures"
[ "$(sql "SELECT error FROM hashes WHERE panel_id = 12")" = "panel box outside the image" ] ||
	fail "panel 12 error text"

# the stored values are the standalone ones (PDQ bytes = hex, 64-bit = signed int)
winnow-hash --json --no-panels "$STORE/ab/bridge.jpg" >"$T/bridge.json"
pdq=$(sed 's/.*"pdq":"\([0-9a-f]*\)".*/\1/' "$T/bridge.json")
phash=$(sed 's/.*"phash":"\([0-9a-f]*\)".*/\1/' "$T/bridge.json")
[ "$(sql "SELECT lower(hex(pdq)) FROM hashes WHERE image_id = 1")" = "$pdq" ] || fail "pdq bytes"
[ "$(sql "SELECT lower(hex(substr(pdq_dihedral, 1, 32))) FROM hashes WHERE image_id = 1")" = "$pdq" ] ||
	fail "pdq_dihedral starts with the original"
[ "$(sql "SELECT printf('%016x', phash) FROM hashes WHERE image_id = 1")" = "$phash" ] || fail "phash integer"
ok "stored hashes equal the standalone output"

# a panel is hashed as the crop of its image
"$PY" - "$STORE/cd/fig7.jpg" "$T/crop.png" <<'PY' || fail "crop"
import sys
from PIL import Image
Image.open(sys.argv[1]).crop((300, 0, 600, 245)).save(sys.argv[2])
PY
winnow-hash --json --no-panels "$T/crop.png" >"$T/crop.json"
cpdq=$(sed 's/.*"pdq":"\([0-9a-f]*\)".*/\1/' "$T/crop.json")
[ "$(sql "SELECT lower(hex(pdq)) FROM hashes WHERE panel_id = 11")" = "$cpdq" ] || fail "panel 11 != its crop"
ok "panel hash == hash of the cropped image"

# reruns do nothing; the run is recorded
expect 0 winnow-hash --all
[ -s "$T/out" ] && fail "rerun printed ids"
printf '1\n3\n' | expect_in 0 winnow-hash
[ -s "$T/out" ] && fail "rerun on ids printed ids"
[ "$(sql 'SELECT count(*) FROM hashes')" -eq 8 ] || fail "rerun added rows"
[ "$(sql "SELECT count(*) FROM runs WHERE tool = 'winnow-hash' AND status = 0")" -ge 3 ] || fail "runs"

# a new panel is hashed alone; a repaired image is retried only when asked
# (image 3 again for its panel outside the image, image 4 still corrupt)
sql "INSERT INTO panels (id, figure_id, image_id, ordinal, x, y, w, h) VALUES (13, 1, 3, 3, 0, 0, 100, 100)"
cp "$H/skimage_microaneurysms.png" "$STORE/cd/missing.png"
expect 0 winnow-hash --all
[ "$(cat "$T/out")" = "3" ] || fail "new panel: printed '$(cat "$T/out")'"
[ "$(sql "SELECT count(*) FROM hashes WHERE panel_id = 13 AND pdq IS NOT NULL")" -eq 1 ] || fail "panel 13"
expect 0 winnow-hash --all --retry-errors
[ "$(tr '\n' ' ' <"$T/out")" = "3 5 " ] || fail "--retry-errors printed '$(tr '\n' ' ' <"$T/out")'"
[ "$(sql "SELECT count(*) FROM hashes WHERE image_id = 5 AND pdq IS NOT NULL")" -eq 1 ] || fail "image 5"
[ "$(sql "SELECT count(*) FROM hashes WHERE image_id = 4 AND error IS NOT NULL")" -eq 1 ] || fail "image 4"
[ "$(sql 'SELECT count(*) FROM hashes')" -eq 9 ] || fail "retry duplicated rows"
ok "incremental: new panels, --retry-errors"

# --compat rows say so
sql "DELETE FROM hashes WHERE image_id = 2"
echo 2 | expect_in 0 winnow-hash --compat
[ "$(sql "SELECT mode FROM hashes WHERE image_id = 2")" = compat ] || fail "mode compat"
