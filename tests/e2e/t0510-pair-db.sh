#!/bin/sh
# winnow-pair on a database: every reason code, curated_pairs, reruns, --redo,
# bad input lines and a locked database.
. "$TESTLIB"

expect 66 winnow-pair --all
expect 0 winnow-db init

sql <<'SQL' || fail "fixture"
INSERT INTO documents (id, source, source_id, base_id, version, license,
                       is_retracted, is_sensitive, is_reblog, superseded_by) VALUES
 (2, 'pmc', 'PMC100.2', 'PMC100', 2, 'CC BY', 0, 0, 0, NULL),
 (1, 'pmc', 'PMC100.1', 'PMC100', 1, 'CC BY', 0, 0, 0, 2),
 (3, 'pmc', 'PMC200.1', 'PMC200', 1, 'CC BY', 1, 0, 0, NULL),
 (4, 'pmc', 'PMC300.1', 'PMC300', 1, 'other', 0, 0, 0, NULL),
 (5, 'pmc', 'PMC400.1', 'PMC400', 1, NULL, 0, 0, 0, NULL),
 (6, 'mastodon', '111', NULL, NULL, 'CC BY', 0, 1, 0, NULL),
 (7, 'mastodon', '112', NULL, NULL, 'CC BY', 0, 0, 1, NULL),
 (8, 'pmc', 'PMC500.1', 'PMC500', 1, 'CC0', 0, 0, 0, NULL),
 (9, 'pmc', 'PMC600.1', 'PMC600', 1, 'CC BY-NC', 0, 0, 0, NULL),
 (10, 'pmc', 'PMC700.1', 'PMC700', 1, 'public domain', 0, 0, 0, NULL),
 (11, 'pmc', 'PMC800.1', 'PMC800', 1, 'CC BY', 0, 0, 0, NULL),
 (12, 'pmc', 'PMC900.1', 'PMC900', 1, 'CC BY', 0, 0, 0, NULL),
 (13, 'pmc', 'PMC950.1', 'PMC950', 1, 'CC BY', 0, 0, 0, NULL);
INSERT INTO images (id, sha256, path, bytes, format, width, height) VALUES
 (1, printf('%064d', 1), 'a/1.jpg', 100, 'jpeg', 600, 400),
 (3, printf('%064d', 3), 'a/3.jpg', 100, 'jpeg', 600, 400),
 (4, printf('%064d', 4), 'a/4.jpg', 100, 'jpeg', 600, 400),
 (5, printf('%064d', 5), 'a/5.jpg', 100, 'jpeg', 600, 400),
 (6, printf('%064d', 6), 'a/6.jpg', 100, 'jpeg', 600, 400),
 (7, printf('%064d', 7), 'a/7.jpg', 100, 'jpeg', 600, 400),
 (8, printf('%064d', 8), 'a/8.jpg', 100, 'jpeg', 600, 400),
 (9, printf('%064d', 9), 'a/9.jpg', 100, 'jpeg', 700, 700),
 (10, printf('%064d', 10), 'a/10.jpg', 100, 'jpeg', 600, 400),
 (11, printf('%064d', 11), 'a/11.jpg', 100, 'jpeg', 50, 40),
 (12, printf('%064d', 12), 'a/12.jpg', 100, 'jpeg', 600, 400),
 (13, printf('%064d', 13), 'a/13.jpg', 100, 'jpeg', 600, 400);
-- figure n belongs to document n; versions 1 and 2 share image 1
INSERT INTO figures (id, document_id, ordinal, caption, image_id, status) VALUES
 (1, 1, 0, 'Chest CT, axial.', 1, 'ok'),
 (2, 2, 0, 'Chest CT, axial.', 1, 'ok'),
 (3, 3, 0, 'Retracted image.', 3, 'ok'),
 (4, 4, 0, 'Other licence.', 4, 'ok'),
 (5, 5, 0, 'No licence.', 5, 'ok'),
 (6, 6, 0, 'Sensitive post.', 6, 'ok'),
 (7, 7, 0, 'Reblogged post.', 7, 'ok'),
 (8, 8, 0, 'The same CT again.', 8, 'ok'),
 (9, 9, 0, 'Lung histology. (A) H&amp;E section; (B) Masson trichrome; (C) CD68 staining; (D) CD3 staining; (E) a duplicate. Scale bars, 50 um.', 9, 'ok'),
 (10, 10, 0, NULL, 10, 'ok'),
 (11, 11, 0, 'A tiny icon.', 11, 'ok'),
 (12, 12, 0, 'Not split yet.', 12, 'ok'),
 (13, 13, 0, 'A corrupt image.', 13, 'ok');
INSERT INTO panels (id, figure_id, image_id, ordinal, x, y, w, h, label) VALUES
 (1, 1, 1, 0, 0, 0, 600, 400, ''),
 (2, 2, 1, 0, 0, 0, 600, 400, ''),
 (3, 3, 3, 0, 0, 0, 600, 400, ''),
 (4, 4, 4, 0, 0, 0, 600, 400, ''),
 (5, 5, 5, 0, 0, 0, 600, 400, ''),
 (6, 6, 6, 0, 0, 0, 600, 400, ''),
 (7, 7, 7, 0, 0, 0, 600, 400, ''),
 (8, 8, 8, 0, 0, 0, 600, 400, ''),
 (91, 9, 9, 0, 0, 0, 300, 300, 'A'),
 (92, 9, 9, 1, 310, 0, 40, 40, 'b'),
 (93, 9, 9, 2, 0, 310, 300, 300, 'Q'),
 (94, 9, 9, 3, 310, 310, 300, 300, 'E'),
 (10, 10, 10, 0, 0, 0, 600, 400, ''),
 (11, 11, 11, 0, 0, 0, 50, 40, '');
INSERT INTO subcaptions (figure_id, ordinal, labels, is_shared, start, end, text) VALUES
 (9, 0, '[]', 1, 0, 15, 'Lung histology.'),
 (9, 1, '["A"]', 0, 16, 39, '(A) H&amp;E section;'),
 (9, 2, '["B"]', 0, 40, 61, '(B) Masson trichrome;'),
 (9, 3, '["C"]', 0, 62, 80, '(C) CD68 staining;'),
 (9, 4, '["D"]', 0, 81, 98, '(D) CD3 staining;'),
 (9, 5, '["E"]', 0, 99, 115, '(E) a duplicate.'),
 (9, 6, '[]', 1, 116, 134, 'Scale bars, 50 um.');
INSERT INTO split_state (figure_id, panels_model, captions_model, split_at)
 SELECT id, 'panels-test', 'captions-test', '2026-01-01T00:00:00Z' FROM figures
  WHERE id NOT IN (12, 13);
INSERT INTO split_state (figure_id, panels_error, captions_model, split_at)
 VALUES (13, 'corrupt JPEG', 'captions-test', '2026-01-01T00:00:00Z');
-- image 8 duplicates image 1 (kept by figure 2); panel 94 duplicates panel 91
INSERT INTO duplicates (group_id, kind, image_id, is_representative, method, distance) VALUES
 (1, 'image', 1, 1, 'pdq', 0), (1, 'image', 8, 0, 'pdq', 12);
INSERT INTO duplicates (group_id, kind, panel_id, is_representative, method, distance) VALUES
 (2, 'panel', 91, 1, 'pdq', 0), (2, 'panel', 94, 0, 'pdq', 8);
SQL
ok "fixture"

expect 0 winnow-pair --all
cp "$T/out" "$T/kept"
sql "SELECT id FROM pairs WHERE status = 'kept' ORDER BY id" >"$T/want"
diff -u "$T/want" "$T/kept" >&2 || fail "printed ids are not the kept pairs"
[ "$(wc -l <"$T/kept")" -eq 2 ] || fail "expected 2 kept pairs, got $(wc -l <"$T/kept")"
ok "prints the kept pairs"

# one pair per figure and reason, panels of figure 9 each with its own
sql "SELECT figure_id, COALESCE(panel_id, 0), status, COALESCE(reason, '-')
       FROM pairs ORDER BY figure_id, panel_id" >"$T/got"
cat >"$T/want" <<'EOF2'
1|1|dropped|superseded
2|2|kept|-
3|3|dropped|retracted
4|4|dropped|license
5|5|dropped|license
6|6|dropped|sensitive
7|7|dropped|reblog
8|8|dropped|duplicate
9|91|kept|-
9|92|dropped|too-small
9|93|dropped|unlabeled
9|94|dropped|duplicate
10|10|dropped|no-caption
11|11|dropped|too-small
13|0|dropped|bad-image
EOF2
diff -u "$T/want" "$T/got" >&2 || fail "pairs and reasons"
ok "every reason code"

[ "$(sql "SELECT caption FROM pairs WHERE panel_id = 91")" = \
  "Lung histology. H&E section. Scale bars, 50 um." ] ||
	fail "caption of panel A: $(sql "SELECT caption FROM pairs WHERE panel_id = 91")"
[ "$(sql "SELECT caption FROM pairs WHERE panel_id = 92")" = \
  "Lung histology. Masson trichrome. Scale bars, 50 um." ] ||
	fail "panel b did not take sub-caption B"
[ "$(sql "SELECT x || ',' || y || ',' || w || ',' || h FROM pairs WHERE panel_id = 93")" = \
  "0,310,300,300" ] || fail "box of panel D"
[ "$(sql "SELECT count(*) FROM pairs WHERE model = 'panels-test captions-test'")" -eq 14 ] &&
[ "$(sql "SELECT model FROM pairs WHERE figure_id = 13")" = captions-test ] ||
	fail "model versions not recorded"
ok "captions, boxes and models"

# curated_pairs shows exactly the kept pairs
sql "SELECT pair_id FROM curated_pairs ORDER BY 1" >"$T/cur"
diff -u "$T/kept" "$T/cur" >&2 || fail "curated_pairs differs from the kept pairs"
sql "SELECT image_path, source, source_id, license FROM curated_pairs ORDER BY 1" >"$T/got"
printf 'a/1.jpg|pmc|PMC100.2|CC BY\na/9.jpg|pmc|PMC600.1|CC BY-NC\n' >"$T/want"
diff -u "$T/want" "$T/got" >&2 || fail "curated_pairs columns"
ok "curated_pairs"

# every pair has a split; the duplicate (figure 8) shares the split of the
# document of its group's representative (figure 2)
[ "$(sql "SELECT count(*) FROM pairs WHERE split IS NULL")" -eq 0 ] || fail "pairs without split"
[ "$(sql "SELECT split FROM pairs WHERE figure_id = 8")" = \
  "$(sql "SELECT split FROM pairs WHERE figure_id = 2")" ] || fail "duplicate in another split"
[ "$(sql "SELECT split FROM pairs WHERE figure_id = 1")" = \
  "$(sql "SELECT split FROM pairs WHERE figure_id = 2")" ] || fail "versions in two splits"
ok "splits"

# a rerun does nothing
sql "SELECT * FROM pairs ORDER BY id" >"$T/before"
expect 0 winnow-pair --all
[ -s "$T/out" ] && fail "rerun printed ids"
printf '2\n9\n' >"$T/in"
expect_in 0 winnow-pair <"$T/in"
[ -s "$T/out" ] && fail "rerun on ids printed ids"
sql "SELECT * FROM pairs ORDER BY id" >"$T/after"
cmp -s "$T/before" "$T/after" || fail "rerun changed pairs"
ok "rerun does nothing"

# figure 12 is paired once split; unknown ids and bad lines are reported
sql "INSERT INTO split_state (figure_id, panels_model, captions_model, split_at)
     VALUES (12, 'panels-test', 'captions-test', '2026-01-01T00:00:00Z');
     INSERT INTO panels (id, figure_id, image_id, ordinal, x, y, w, h, label)
     VALUES (12, 12, 12, 0, 0, 0, 600, 400, '')"
printf '12\nnot-an-id\n999\n' >"$T/in"
expect_in 1 winnow-pair <"$T/in"
grep -q 'stdin:2' "$T/err" || fail "bad line not reported"
grep -q 'figure 999' "$T/err" || fail "unknown figure not reported"
[ "$(cat "$T/out")" = "$(sql "SELECT id FROM pairs WHERE figure_id = 12")" ] || fail "figure 12 not paired"
printf 'x\n' >"$T/in"
expect_in 0 winnow-pair --max-errors 1 <"$T/in"
ok "new figures and bad lines"

# --redo replaces a figure's pairs, with other options
printf '9\n' >"$T/in"
expect_in 0 winnow-pair --redo --min-side 10 --allow-license 'CC BY-NC' <"$T/in"
[ "$(sql "SELECT count(*) FROM pairs WHERE figure_id = 9")" -eq 4 ] || fail "redo duplicated pairs"
[ "$(sql "SELECT count(*) FROM pairs WHERE figure_id = 9 AND status = 'kept'")" -eq 2 ] ||
	fail "redo: panel b should be kept with --min-side 10"
[ "$(wc -l <"$T/out")" -eq 2 ] || fail "redo: kept ids not printed"
printf '2\n' >"$T/in"
expect_in 0 winnow-pair --redo --allow-license 'CC BY-NC' <"$T/in"
[ "$(sql "SELECT reason FROM pairs WHERE figure_id = 2")" = license ] || fail "redo with a licence list"
[ -s "$T/out" ] && fail "a dropped pair was printed"
ok "redo"

# a locked database: exit 75, nothing lost
sql "SELECT * FROM pairs ORDER BY id" >"$T/before"
rm -f "$T/locked"
mkfifo "$T/fifo" || fail "mkfifo"
sqlite3 "$WINNOW_DB" <"$T/fifo" >/dev/null 2>&1 &
holder=$!
_pids="$_pids $holder"
exec 3>"$T/fifo"
printf 'BEGIN IMMEDIATE;\nUPDATE runs SET summary = summary;\n.output %s\n.print locked\n.output stdout\n' \
	"$T/locked" >&3
_i=0
while [ ! -s "$T/locked" ]; do
	_i=$((_i + 1))
	[ $_i -gt 300 ] && fail "could not lock the database"
	sleep 0.1
done
expect 75 winnow-pair --all --redo --busy-timeout 100
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "locked: more than one line"
printf '9\n' >"$T/in"
expect_in 75 winnow-pair --redo --busy-timeout 100 <"$T/in"
printf 'ROLLBACK;\n' >&3
exec 3>&-
wait "$holder"
sql "SELECT * FROM pairs ORDER BY id" >"$T/after"
cmp -s "$T/before" "$T/after" || fail "a locked run changed pairs"
expect 0 winnow-pair --all --redo --busy-timeout 5000
ok "locked database"
