#!/bin/sh
# winnow-db export --webdataset: shards of KEY.jpg/KEY.txt/KEY.json, panels
# cropped, whole images copied byte for byte, shard size respected, a missing
# image skipped with a warning.
. "$TESTLIB"

expect 0 winnow-db init
store=$T/w-store
mkdir -p "$store/ab" "$store/cd"
cp "$TESTDATA/img/big.jpg" "$store/ab/big.jpg"
cp "$TESTDATA/img/rgb.png" "$store/cd/rgb.png"
sql "
INSERT INTO documents (id, source, source_id, license) VALUES (1, 'pmc', 'PMC9.2', 'CC BY');
INSERT INTO images (id, sha256, path, bytes, width, height) VALUES
  (1, printf('%064d', 1), 'ab/big.jpg', 100844, 1024, 768),
  (2, printf('%064d', 2), 'cd/rgb.png', 636, 50, 33),
  (3, printf('%064d', 3), 'cd/gone.png', 1, 5, 5);
INSERT INTO figures (id, document_id, ordinal, caption, image_id, status) VALUES
  (1, 1, 0, 'c', 1, 'ok'), (2, 1, 1, 'd', 2, 'ok'), (3, 1, 2, 'e', 3, 'ok');
INSERT INTO panels (id, figure_id, image_id, ordinal, x, y, w, h, label) VALUES
  (1, 1, 1, 0, 0, 0, 512, 768, 'A'), (2, 1, 1, 1, 512, 100, 300, 200, 'B');
INSERT INTO pairs (figure_id, panel_id, image_id, x, y, w, h, caption, status, split) VALUES
  (1, 1, 1, 0, 0, 512, 768, 'Panel A: H&E, 20x.', 'kept', 'train'),
  (1, 2, 1, 512, 100, 300, 200, 'Panel B: IHC.', 'kept', 'train'),
  (2, NULL, 2, 0, 0, 50, 33, 'Whole image, µm.', 'kept', 'val'),
  (3, NULL, 3, 0, 0, 5, 5, 'Missing file', 'kept', 'train');
" || fail "cannot fill the database"

expect 64 winnow-db export --webdataset
expect 0 winnow-db export --webdataset -o "$T/wds" --shard-size 2
grep -q "gone.png" "$T/err" || fail "no warning for the missing image"
ls "$T/wds" >"$T/ls"
[ "$(cat "$T/ls" | tr '\n' ' ')" = "pairs-000000.tar pairs-000001.tar " ] ||
	fail "unexpected shards: $(cat "$T/ls")"
python3 - "$T/wds" "$store" <<'PY' || fail "WebDataset shards are wrong"
import io, json, sys, tarfile
from PIL import Image
d, store = sys.argv[1], sys.argv[2]
s0 = tarfile.open(d + "/pairs-000000.tar")
names = s0.getnames()
assert names == ["000000000001.jpg", "000000000001.txt", "000000000001.json",
                 "000000000002.jpg", "000000000002.txt", "000000000002.json"], names
im = Image.open(io.BytesIO(s0.extractfile("000000000002.jpg").read()))
assert im.size == (300, 200), im.size
assert s0.extractfile("000000000001.txt").read().decode() == "Panel A: H&E, 20x."
meta = json.loads(s0.extractfile("000000000002.json").read())
assert meta["x"] == 512 and meta["source_id"] == "PMC9.2" and "caption" not in meta, meta
s1 = tarfile.open(d + "/pairs-000001.tar")
assert s1.getnames() == ["000000000003.png", "000000000003.txt", "000000000003.json"], s1.getnames()
assert s1.extractfile("000000000003.png").read() == open(store + "/cd/rgb.png", "rb").read()
assert s1.extractfile("000000000003.txt").read().decode() == "Whole image, µm."
PY
ok "shards hold the right samples"
expect 0 winnow-db export --webdataset -o "$T/val" --split val
[ "$(ls "$T/val")" = "pairs-000000.tar" ] || fail "split export made $(ls "$T/val")"
ls "$T/wds" | grep -q tmp && fail "a temporary shard was left behind"
printf x >"$T/f"
expect 73 winnow-db export --webdataset -o "$T/f/sub"
