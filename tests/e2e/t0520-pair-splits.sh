#!/bin/sh
# winnow-pair splits: stable, in the asked proportions, articles and duplicate
# groups never across two splits; quiet when the reader leaves (EPIPE).
. "$TESTLIB"

expect 0 winnow-db init
# 12000 single-image articles; article k has versions when k % 7 = 0 (two
# documents, one base id); duplicate groups of three images, one of them
# chained to the next group through a shared member document
sql <<'SQL' || fail "fixture"
WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 12000)
INSERT INTO documents (id, source, source_id, base_id, version, license)
SELECT k, 'pmc', 'PMC' || (k - (k % 7 = 0 AND k % 2 = 0)) || '.' || (1 + (k % 7 = 0 AND k % 2 = 0)),
       'PMC' || (k - (k % 7 = 0 AND k % 2 = 0)), 1 + (k % 7 = 0 AND k % 2 = 0), 'CC BY'
  FROM n;
INSERT INTO images (id, sha256, path, bytes, width, height)
SELECT id, printf('%064d', id), 'i/' || id || '.jpg', 1, 300, 200 FROM documents;
INSERT INTO figures (id, document_id, ordinal, caption, image_id, status)
SELECT id, id, 0, 'Figure of article ' || id || '.', id, 'ok' FROM documents;
INSERT INTO panels (figure_id, image_id, ordinal, x, y, w, h)
SELECT id, id, 0, 0, 0, 300, 200 FROM figures;
INSERT INTO split_state (figure_id, panels_model, captions_model, split_at)
SELECT id, 'p', 'c', '2026-01-01T00:00:00Z' FROM figures;
-- group g (1..500): images 20g+1 (representative), 20g+5, 20g+9
WITH RECURSIVE g(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM g WHERE k < 500)
INSERT INTO duplicates (group_id, kind, image_id, is_representative, method, distance)
SELECT k, 'image', 20 * k + 1, 1, 'pdq', 0 FROM g
UNION ALL SELECT k, 'image', 20 * k + 5, 0, 'pdq', 10 FROM g
UNION ALL SELECT k, 'image', 20 * k + 9, 0, 'pdq', 20 FROM g;
-- chains: group g also holds image 20(g+1)+13, a member of no other group,
-- and group g+1 holds it too
WITH RECURSIVE g(k) AS (SELECT 1 UNION ALL SELECT k + 2 FROM g WHERE k < 400)
INSERT INTO duplicates (group_id, kind, image_id, is_representative, method, distance)
SELECT k, 'image', 20 * (k + 1) + 13, 0, 'pdq', 5 FROM g
UNION ALL SELECT k + 1, 'image', 20 * (k + 1) + 13, 0, 'pdq', 5 FROM g;
SQL
ok "fixture"

# killed (-9) in the middle: what it printed is committed, no figure is
# half paired, and the next run finishes the work
winnow-pair --all --val 0.2 --test 0.2 --line-buffered >"$T/killed" 2>/dev/null &
pid=$!
_i=0
while [ ! -s "$T/killed" ] && [ $_i -lt 600 ]; do
	_i=$((_i + 1))
	sleep 0.05
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
sql "SELECT id FROM pairs WHERE status = 'kept'" | sort >"$T/db-kept"
sort "$T/killed" | comm -23 - "$T/db-kept" >"$T/lost"
[ -s "$T/lost" ] && fail "printed ids not in the database: $(head -3 "$T/lost")"
[ "$(sql "SELECT count(*) FROM figures f WHERE NOT EXISTS
	(SELECT 1 FROM pairs p WHERE p.figure_id = f.id)")" -gt 0 ] ||
	ok "(the run finished before it was killed)"
ok "kill -9 after $(wc -l <"$T/killed") ids"
expect 0 winnow-pair --all --val 0.2 --test 0.2
cat "$T/killed" "$T/out" | sort >"$T/printed"
[ "$(sort -u "$T/printed" | wc -l)" -eq "$(wc -l <"$T/printed")" ] || fail "an id printed twice"
[ "$(sql "SELECT count(*) FROM pairs")" -eq 12000 ] || fail "not one pair per figure"
sql "SELECT id FROM pairs WHERE status = 'kept'" | sort >"$T/db-kept"
comm -23 "$T/printed" "$T/db-kept" >"$T/lost"
[ -s "$T/lost" ] && fail "printed ids not kept: $(head -3 "$T/lost")"
# kept but never printed: at most the batch committed just before the kill
[ "$(comm -13 "$T/printed" "$T/db-kept" | wc -l)" -le 256 ] ||
	fail "kept ids missing from both runs' output"
ok "resumed after kill -9"

# proportions: 20 % +- 3 of the documents in val and in test
sql "SELECT split, count(*) FROM pairs GROUP BY 1 ORDER BY 1" >"$T/got"
awk -F'|' '$1 == "val" || $1 == "test" { if ($2 < 2040 || $2 > 2760) exit 1 }
	   $1 == "train" { if ($2 < 6480 || $2 > 7920) exit 1 }' "$T/got" ||
	fail "split proportions: $(tr '\n' ' ' <"$T/got")"
[ "$(wc -l <"$T/got")" -eq 3 ] || fail "not three splits"
ok "proportions $(tr '\n' ' ' <"$T/got")"

# versions of an article together
[ "$(sql "SELECT count(*) FROM (SELECT d.base_id FROM pairs p
	JOIN figures f ON f.id = p.figure_id JOIN documents d ON d.id = f.document_id
	GROUP BY d.base_id HAVING count(DISTINCT p.split) > 1)")" -eq 0 ] ||
	fail "an article in two splits"
# duplicate groups together, chained groups too
[ "$(sql "SELECT count(*) FROM (SELECT x.group_id FROM duplicates x
	JOIN pairs p ON p.image_id = x.image_id
	GROUP BY x.group_id HAVING count(DISTINCT p.split) > 1)")" -eq 0 ] ||
	fail "a duplicate group in two splits"
for g in 1 3 5 7 9 11 13 15; do
	[ "$(sql "SELECT count(DISTINCT p.split) FROM pairs p
		WHERE p.image_id IN (SELECT image_id FROM duplicates
		WHERE group_id IN ($g, $g + 1))")" -eq 1 ] ||
		fail "chained groups $g and $((g + 1)) in two splits"
done
[ "$(sql "SELECT count(DISTINCT p.split) FROM duplicates x JOIN pairs p ON p.image_id = x.image_id
	WHERE x.is_representative = 1")" -gt 1 ] || fail "all groups in one split"
[ "$(sql "SELECT count(*) FROM pairs p JOIN duplicates x ON x.image_id = p.image_id
	WHERE x.is_representative = 0 AND p.status = 'kept'")" -eq 0 ] ||
	fail "duplicate members kept"
[ "$(sql "SELECT count(*) FROM pairs WHERE reason = 'duplicate'")" -gt 1000 ] ||
	fail "duplicate members not dropped as duplicates"
ok "no leak across splits"

# stable: --redo gives the same splits; EPIPE is quiet and keeps the status
sql "SELECT figure_id, split FROM pairs ORDER BY figure_id" >"$T/before"
{ winnow-pair --all --redo --val 0.2 --test 0.2 2>"$T/err"; echo $? >"$T/status"; } | head -n1 >/dev/null
[ "$(cat "$T/status")" -eq 0 ] || fail "exit $(cat "$T/status") when the reader left"
[ -s "$T/err" ] && fail "messages when the reader left: $(cat "$T/err")"
ok "EPIPE"
expect 0 winnow-pair --all --redo --val 0.2 --test 0.2
sql "SELECT figure_id, split FROM pairs ORDER BY figure_id" >"$T/after"
cmp -s "$T/before" "$T/after" || fail "splits changed on --redo"
[ "$(sql "SELECT count(*) FROM pairs")" -eq 12000 ] || fail "redo duplicated pairs"
ok "stable splits"

# new documents that join paired ones later (as representatives of new
# duplicate groups) go to the split those pairs already have
sql <<'SQL' || fail "second fixture"
WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 30)
INSERT INTO documents (id, source, source_id, base_id, version, license)
SELECT 20000 + k, 'pmc', 'PMC77' || (100000 + k) || '.1', 'PMC77' || (100000 + k), 1, 'CC BY' FROM n;
INSERT INTO images (id, sha256, path, bytes, width, height)
SELECT id, printf('%064d', id), 'i/' || id || '.jpg', 1, 300, 200 FROM documents WHERE id > 20000;
INSERT INTO figures (id, document_id, ordinal, caption, image_id, status)
SELECT id, id, 0, 'Figure of article ' || id || '.', id, 'ok' FROM documents WHERE id > 20000;
INSERT INTO panels (figure_id, image_id, ordinal, x, y, w, h)
SELECT id, id, 0, 0, 0, 300, 200 FROM figures WHERE id > 20000;
INSERT INTO split_state (figure_id, panels_model, captions_model, split_at)
SELECT id, 'p', 'c', '2026-01-02T00:00:00Z' FROM figures WHERE id > 20000;
INSERT INTO duplicates (group_id, kind, image_id, is_representative, method, distance)
SELECT 1000 + id - 20000, 'image', id, 1, 'pdq', 0 FROM images WHERE id > 20000
UNION ALL
SELECT 1000 + id - 20000, 'image', 10500 + 3 * (id - 20000), 0, 'pdq', 4 FROM images WHERE id > 20000;
SQL
expect 0 winnow-pair --all --val 0.2 --test 0.2
[ "$(wc -l <"$T/out")" -eq 30 ] || fail "new figures not paired"
[ "$(sql "SELECT count(*) FROM (SELECT x.group_id FROM duplicates x
	JOIN pairs p ON p.image_id = x.image_id WHERE x.group_id > 1000
	GROUP BY x.group_id HAVING count(DISTINCT p.split) > 1)")" -eq 0 ] ||
	fail "a late duplicate went to another split than its group"
sql "SELECT figure_id, split FROM pairs WHERE figure_id <= 12000 ORDER BY figure_id" >"$T/after"
cmp -s "$T/before" "$T/after" || fail "old pairs changed"
ok "late duplicates follow their group"
