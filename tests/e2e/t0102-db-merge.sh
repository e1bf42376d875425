#!/bin/sh
# winnow-db merge: two shards with a shared image merge into one database with
# references renumbered, images brought into the store, nothing added twice.
. "$TESTLIB"

fill() {	# DB STORE DOC-ID-OFFSET
	winnow-db -d "$1" init || fail "init $1"
	mkdir -p "$2/ab"
	cp "$TESTDATA/img/rgb.png" "$2/ab/shared.png"
	cp "$TESTDATA/img/rgb.jpg" "$2/ab/own$3.jpg"
	sqlite3 "$1" "
	INSERT INTO documents (id, source, source_id, base_id, version, license) VALUES
	  ($3 + 1, 'pmc', 'PMC$3.1', 'PMC$3', 1, 'CC BY'),
	  ($3 + 2, 'pmc', 'PMC$3.2', 'PMC$3', 2, 'CC BY');
	UPDATE documents SET superseded_by = $3 + 2 WHERE id = $3 + 1;
	INSERT INTO images (id, sha256, path, bytes) VALUES
	  ($3 + 1, printf('%064d', 1), 'ab/shared.png', 636),
	  ($3 + 2, printf('%064d', 100 + $3), 'ab/own$3.jpg', 2870);
	INSERT INTO figures (id, document_id, ordinal, caption, image_id, status) VALUES
	  ($3 + 1, $3 + 2, 0, 'shared image in $3', $3 + 1, 'ok'),
	  ($3 + 2, $3 + 2, 1, 'own image in $3', $3 + 2, 'ok');
	INSERT INTO panels (id, figure_id, image_id, ordinal, x, y, w, h, label) VALUES
	  ($3 + 1, $3 + 2, $3 + 2, 0, 0, 0, 10, 10, 'A');
	INSERT INTO pairs (figure_id, panel_id, image_id, x, y, w, h, caption, status, split) VALUES
	  ($3 + 1, NULL, $3 + 1, 0, 0, 50, 33, 'shared $3', 'kept', 'train'),
	  ($3 + 2, $3 + 1, $3 + 2, 0, 0, 10, 10, 'panel $3', 'kept', 'test');
	INSERT INTO duplicates (group_id, kind, image_id, is_representative, method, distance) VALUES
	  (1, 'image', $3 + 1, 1, 'sha256', 0), (1, 'image', $3 + 2, 0, 'pdq', 3);
	INSERT INTO fetches (url, state) VALUES ('http://x/$3', 'done'), ('http://x/common', 'done');
	" || fail "cannot fill $1"
}
fill "$T/s1.db" "$T/s1-store" 10
fill "$T/s2.db" "$T/s2-store" 20

expect 64 winnow-db merge
expect 0 winnow-db merge "$T/s1.db" "$T/s2.db"
q() { sqlite3 -batch -noheader "$WINNOW_DB" "$1"; }
[ "$(q 'SELECT count(*) FROM documents')" = 4 ] || fail "documents: $(q 'SELECT count(*) FROM documents')"
[ "$(q 'SELECT count(*) FROM images')" = 3 ] || fail "the shared image was not merged once"
[ "$(q 'SELECT count(*) FROM figures')" = 4 ] || fail "figures"
[ "$(q 'SELECT count(*) FROM pairs')" = 4 ] || fail "pairs"
[ "$(q 'SELECT count(*) FROM fetches')" = 3 ] || fail "fetches"
[ "$(q 'SELECT count(DISTINCT group_id) FROM duplicates')" = 2 ] || fail "duplicate groups not renumbered"
# references follow the renumbering
[ "$(q "SELECT d2.source_id FROM documents d1 JOIN documents d2 ON d2.id = d1.superseded_by WHERE d1.source_id = 'PMC20.1'")" = PMC20.2 ] ||
	fail "superseded_by not remapped"
[ "$(q "SELECT i.path FROM pairs p JOIN panels pa ON pa.id = p.panel_id JOIN images i ON i.id = pa.image_id WHERE p.caption = 'panel 20'")" = ab/own20.jpg ] ||
	fail "panel references not remapped"
[ "$(q "SELECT count(*) FROM figures f JOIN documents d ON d.id = f.document_id WHERE d.source_id = 'PMC20.2' AND f.caption LIKE '%in 20'")" = 2 ] ||
	fail "figure references not remapped"
ok "rows and references"
for f in ab/shared.png ab/own10.jpg ab/own20.jpg; do
	[ -s "$T/w-store/$f" ] || fail "store lacks $f"
done
ok "images in the store"
expect 0 winnow-db check

# merging again adds nothing
q 'SELECT * FROM documents ORDER BY id; SELECT * FROM pairs ORDER BY id; SELECT * FROM duplicates ORDER BY id' >"$T/before"
expect 0 winnow-db merge "$T/s2.db"
q 'SELECT * FROM documents ORDER BY id; SELECT * FROM pairs ORDER BY id; SELECT * FROM duplicates ORDER BY id' >"$T/after"
cmp -s "$T/before" "$T/after" || fail "a second merge changed the database"
ok "merge is idempotent"

expect 64 winnow-db merge "$WINNOW_DB"
expect 66 winnow-db merge "$T/none.db"
sqlite3 "$T/foreign.db" "CREATE TABLE t (x)"
expect 65 winnow-db merge "$T/foreign.db"
