#!/bin/sh
# winnow-report: pages for a small hand-made database, escaping, images copied,
# panel boxes, sub-caption marks, reasons, duplicates; standard tool checks.
. "$TESTLIB"

check_help winnow-report
expect 66 winnow-report -d "$T/none.db" -o "$T/r"

expect 0 winnow-db init
store=$T/w-store
mkdir -p "$store/ab" "$store/cd"
cp "$TESTDATA/img/rgb.png" "$store/ab/ab01.png"
cp "$TESTDATA/img/rgb.jpg" "$store/cd/cd02.jpg"
sql "
INSERT INTO documents (id, source, source_id, title, license) VALUES
  (1, 'pmc', 'PMC7.1', 'Title with <tags> & ampersands', 'CC BY');
INSERT INTO images (id, sha256, path, bytes, width, height) VALUES
  (1, printf('%064d', 1), 'ab/ab01.png', 636, 50, 33),
  (2, printf('%064d', 2), 'cd/cd02.jpg', 2870, 97, 61);
INSERT INTO figures (id, document_id, ordinal, label, caption, image_id, status) VALUES
  (1, 1, 0, 'Figure 1', 'Overview. (A) Left <b>cells</b>. (B) Right cells. Scale bar, 5 µm.', 1, 'ok'),
  (2, 1, 1, 'Figure 2', 'Another.', 2, 'ok'),
  (3, 1, 2, 'Figure 3', 'Lost image.', NULL, 'failed');
UPDATE figures SET reason = 'no-image' WHERE id = 3;
INSERT INTO panels (id, figure_id, image_id, ordinal, x, y, w, h, label) VALUES
  (1, 1, 1, 0, 0, 0, 25, 33, 'A'), (2, 1, 1, 1, 25, 0, 25, 33, 'B');
INSERT INTO subcaptions (figure_id, ordinal, labels, is_shared, start, end, text) VALUES
  (1, 0, '[]', 1, 0, 9, 'Overview.'),
  (1, 1, '[\"A\"]', 0, 10, 32, '(A) Left <b>cells</b>.'),
  (1, 2, '[\"B\"]', 0, 33, 49, '(B) Right cells.'),
  (1, 3, '[]', 1, 50, 66, 'Scale bar, 5 µm.');
INSERT INTO pairs (figure_id, panel_id, image_id, x, y, w, h, caption, status, reason, split) VALUES
  (1, 1, 1, 0, 0, 25, 33, 'Left cells', 'kept', NULL, 'train'),
  (1, 2, 1, 25, 0, 25, 33, 'Right cells', 'dropped', 'too-small', 'train'),
  (2, NULL, 2, 0, 0, 97, 61, 'Another.', 'dropped', 'duplicate', 'val');
INSERT INTO duplicates (group_id, kind, image_id, is_representative, method, distance) VALUES
  (1, 'image', 1, 1, 'pdq', 0), (1, 'image', 2, 0, 'pdq', 12);
" || fail "cannot fill the database"

expect 0 winnow-report -o "$T/r"
for f in index.html figures-1.html duplicates.html images/ab01.png images/cd02.jpg; do
	[ -s "$T/r/$f" ] || fail "no $f"
done
ok "pages and images written"
cmp -s "$T/r/images/ab01.png" "$store/ab/ab01.png" || fail "image differs"
p=$T/r/figures-1.html
grep -q 'Title with &lt;tags&gt; &amp; ampersands' "$p" || fail "title not escaped"
grep -q '<b>cells' "$p" && fail "caption markup not escaped"
grep -q 'Left &lt;b&gt;cells&lt;/b&gt;' "$p" || fail "caption text missing"
grep -q '<span class="shared" title="shared">Overview.</span>' "$p" || fail "shared span not marked"
grep -q '<span class="lab">A</span> (A) Left' "$p" || fail "sub-caption A not marked"
grep -q 'Scale bar, 5 µm.</span>' "$p" || fail "closing shared span wrong (code point offsets?)"
grep -q '<rect x="25" y="0" width="25" height="33"' "$p" || fail "panel B box missing"
grep -q 'dropped: too-small' "$p" || fail "reason code missing"
grep -q 'no-image' "$p" || fail "figure reason missing"
ok "figure page content"
grep -q 'curated pairs</th><th>1<' "$T/r/index.html" || fail "curated count wrong"
grep -q '<td>duplicate</td><td>1</td>' "$T/r/index.html" || fail "reason table wrong"
grep -q 'pdq 12' "$T/r/duplicates.html" || fail "duplicate member missing"
ok "summary and duplicates"

# pages per figure and a second run over the same directory
expect 0 winnow-report -o "$T/r" --per-page 1
[ -s "$T/r/figures-3.html" ] || fail "--per-page 1 did not make 3 pages"
expect 64 winnow-report --per-page 0
printf 'x' >"$T/file"
expect 73 winnow-report -o "$T/file/sub"
