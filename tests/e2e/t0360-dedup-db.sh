#!/bin/sh
# winnow-dedup on the database: groups in duplicates, pairs of non-representatives
# dropped (and out of curated_pairs, also for pairs created later), incremental
# reruns, a locked database, leakage and caption groups.
. "$TESTLIB"

D=$TESTDATA/dedup
expect 0 winnow-db init
STORE=$T/w-store
mkdir -p "$STORE"

# add_image ID FILE DOC_ID: one document, figure, image and whole-image pair each
add_image() {
	cp "$D/$2" "$STORE/$2"
	sha=$(sha256sum "$D/$2" | cut -d' ' -f1)
	sql "INSERT INTO documents (id, source, source_id, license, published_at, text)
	     VALUES ($3, 'mastodon', 'status-$3', 'CC BY', '2024-01-0$3T00:00:00Z',
	             'Case $3 of the week: a slide with a long enough description #dermpath');
	     INSERT INTO images (id, sha256, path, bytes, format, width, height)
	     VALUES ($1, '$sha', '$2', $(wc -c <"$D/$2"), 'jpeg', 0, 0);
	     INSERT INTO figures (id, document_id, ordinal, caption, image_id, status)
	     VALUES ($1, $3, 0, 'Figure $1. H&E stain of a lesion at high power, case number $1.', $1, 'ok');
	     INSERT INTO pairs (figure_id, image_id, x, y, w, h, caption, status, split)
	     VALUES ($1, $1, 0, 0, 10, 10, 'caption $1', 'kept', '$4');" ||
		fail "cannot add $2"
}
add_image 1 histo.jpg 1 train
add_image 2 histo-q50.jpg 2 test
add_image 3 cell.png 3 train
add_image 4 t1.png 4 val
add_image 5 histo-invert.jpg 5 val

expect 0 winnow-hash --all
expect 0 winnow-dedup --all
[ "$(tr '\n' ' ' <"$T/out")" = "2 5 " ] ||
	fail "expected images 2 and 5 as duplicates, got '$(cat "$T/out")'"
ok "the recompressed and the inverted copy are reported"
[ "$(sql "SELECT count(*) FROM duplicates WHERE kind = 'image'")" = 3 ] ||
	fail "expected one group of three rows"
[ "$(sql "SELECT image_id FROM duplicates WHERE is_representative = 1")" = 1 ] ||
	fail "the earlier, equal-sized image should represent the group"
[ "$(sql "SELECT status || ' ' || reason FROM pairs WHERE image_id = 2")" = "dropped duplicate" ] ||
	fail "pair of image 2 not dropped"
[ "$(sql "SELECT count(*) FROM curated_pairs WHERE image_id = 2")" = 0 ] ||
	fail "image 2 still in curated_pairs"
ok "groups written, non-representative dropped"

[ "$(sql "SELECT method FROM duplicates WHERE image_id = 5")" = pdq-inverted ] ||
	fail "inverted copy not grouped: $(sql 'SELECT * FROM duplicates')"
ok "inverted copy grouped"

# rerun: nothing new, nothing printed, nothing changed
before=$(sql "SELECT group_id, image_id, method FROM duplicates ORDER BY id")
expect 0 winnow-dedup --all
[ -s "$T/out" ] && fail "a rerun printed ids"
[ "$(sql "SELECT group_id, image_id, method FROM duplicates ORDER BY id")" = "$before" ] ||
	fail "a rerun changed the groups"
ok "rerun is a no-op"

# incremental: a new image joins the stored group
add_image 6 histo-rot90.jpg 6 train
expect 0 winnow-hash --all
expect 0 winnow-dedup --all
grep -qx 6 "$T/out" || fail "new duplicate 6 not printed"
[ "$(sql "SELECT count(DISTINCT group_id) FROM duplicates WHERE image_id IN (1, 2, 5, 6)")" = 1 ] ||
	fail "new copy not in the stored group"
ok "new image matched against the stored index"

# a pair created after dedup ran never reaches curated_pairs
sql "INSERT INTO figures (id, document_id, ordinal, image_id, status) VALUES (7, 2, 1, 2, 'ok');
     INSERT INTO pairs (figure_id, image_id, x, y, w, h, caption, status, split)
     VALUES (7, 2, 0, 0, 5, 5, 'late', 'kept', 'train');"
[ "$(sql "SELECT count(*) FROM curated_pairs WHERE caption = 'late'")" = 0 ] ||
	fail "late pair of a duplicate is in curated_pairs"
ok "curated_pairs excludes later pairs of duplicates"

# ids on stdin: only those images are matched again
printf '3\n4\n' | expect_in 0 winnow-dedup
[ -s "$T/out" ] && fail "unrelated images reported as duplicates"
ok "ids on stdin"
printf 'x\n' | expect_in 1 winnow-dedup
grep -q "stdin:1" "$T/err" || fail "no warning for a bad id line"
ok "bad id line warned, exit 1"

# captions: exact and near-identical captions group, boilerplate does not
sql "UPDATE figures SET caption = (SELECT caption FROM figures WHERE id = 3) WHERE id = 4;
     UPDATE figures SET caption = 'Scale bar, 50 um.' WHERE id IN (1, 6)"
expect 0 winnow-dedup captions
[ "$(sql "SELECT method FROM duplicates WHERE kind = 'caption' AND figure_id = 4")" = caption-exact ] ||
	fail "equal captions not grouped: $(sql "SELECT * FROM duplicates WHERE kind = 'caption'")"
[ "$(sql "SELECT count(*) FROM duplicates WHERE kind = 'caption' AND figure_id IN (1, 6)")" = 0 ] ||
	fail "boilerplate caption grouped"
[ "$(sql "SELECT boilerplate FROM dedup_texts WHERE figure_id = 1")" = 1 ] ||
	fail "boilerplate not recorded"
ok "caption groups"

# leakage: the same stored image in a test pair and a train pair, and a val pair
# whose caption duplicates a train pair's
sql "INSERT INTO figures (id, document_id, ordinal, image_id, status) VALUES (9, 4, 1, 3, 'ok');
     INSERT INTO pairs (figure_id, image_id, x, y, w, h, caption, status, split)
     VALUES (9, 3, 0, 0, 5, 5, 'reused', 'kept', 'test');"
expect 0 winnow-dedup --leakage
grep -q "	test	image	" "$T/out" || fail "no image-level leak reported: $(cat "$T/out")"
grep -q "	val	caption	" "$T/out" || fail "no caption-level leak reported: $(cat "$T/out")"
expect 0 winnow-dedup --drop-leakage
[ "$(sql "SELECT count(*) FROM pairs WHERE reason = 'leakage'")" = 2 ] || fail "leaks not dropped"
expect 0 winnow-dedup --leakage
[ -s "$T/out" ] && fail "leaks remain after --drop-leakage"
ok "leakage reported and dropped"

# embeddings brought from elsewhere: a float32 .npy, rows named by image id
mknpy() {	# FILE DESCR ROWS: 4-dimensional rows, row k = (1, k/100, 0, 0)
	/usr/bin/python3 - "$@" <<'PY'
import struct, sys
path, descr, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
hdr = "{'descr': '%s', 'fortran_order': False, 'shape': (%d, 4), }" % (descr, rows)
hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
fmt = "<4f" if descr == "<f4" else "<4e"
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
    for k in range(rows):
        f.write(struct.pack(fmt, 1.0, k / 100.0, 0.0, 0.0))
PY
}
mknpy "$T/e.npy" '<f4' 2
printf '3\n4\n' >"$T/ids.txt"
expect 0 winnow-dedup embeddings import "$T/e.npy" --ids "$T/ids.txt" --model toy
[ "$(sql "SELECT count(*) FROM embeddings WHERE model = 'toy' AND dim = 4")" = 2 ] ||
	fail "embeddings not stored"
printf '3\n4\n' | expect_in 0 winnow-dedup --model toy --no-regions
[ "$(sql "SELECT method FROM duplicates WHERE image_id = 4 AND kind = 'image'")" = embedding ] ||
	fail "no embedding group: $(sql "SELECT * FROM duplicates WHERE image_id IN (3, 4)")"
ok "embeddings imported and grouped"
mknpy "$T/h.npy" '<f2' 3
expect 65 winnow-dedup embeddings import "$T/h.npy" --ids "$T/ids.txt" --model toy
grep -q "3 rows but" "$T/err" || fail "row count mismatch not explained"
printf '3\n4\n99\n' >"$T/ids3.txt"
expect 1 winnow-dedup embeddings import "$T/h.npy" --ids "$T/ids3.txt" --model half
grep -q "no image '99'" "$T/err" || fail "unknown image not warned"
printf 'not numpy' >"$T/bad.npy"
expect 65 winnow-dedup embeddings import "$T/bad.npy" --ids "$T/ids.txt" --model toy
expect 64 winnow-dedup embeddings import "$T/e.npy" --model toy
ok "bad embedding imports"

# a locked database: exit 75 with one line, nothing lost
add_image 8 stent.png 8 train
expect 0 winnow-hash --all
sqlite3 "$WINNOW_DB" "BEGIN IMMEDIATE; INSERT INTO reasons VALUES ('lock-test', 'x');" \
	".shell touch '$T/locked'; sleep 6" "ROLLBACK;" >/dev/null 2>&1 &
_pids="$_pids $!"
_i=0
while [ ! -f "$T/locked" ]; do
	_i=$((_i + 1))
	[ $_i -gt 300 ] && fail "the lock holder did not start"
	sleep 0.1
done
expect 75 winnow-dedup --all --busy-timeout 200
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "more than one line for a locked database"
wait
expect 0 winnow-dedup --all
[ "$(sql "SELECT count(*) FROM dedup_items WHERE checked_at IS NOT NULL")" = \
  "$(sql "SELECT count(*) FROM hashes WHERE error IS NULL")" ] || fail "not every hash checked after the lock"
ok "locked database: 75, then a clean rerun"

expect 66 winnow-dedup --all --db "$T/missing.db"
