#!/bin/sh
# winnow-db: the standard tool checks, init, stats, check, export, locking,
# schema versions and a broken pipe.
. "$TESTLIB"

check_help winnow-db
expect 64 winnow-db
expect 64 winnow-db frobnicate
expect 64 winnow-db stats extra-argument
expect 64 winnow-db export --split nonsense

# a missing database is not created by read-only commands
expect 66 winnow-db -d "$T/none.db" stats
[ -e "$T/none.db" ] && fail "stats created a database"

expect 0 winnow-db init
[ -f "$WINNOW_DB" ] || fail "init did not create $WINNOW_DB"
expect 0 winnow-db stats --json
python3 - "$T/out" <<'PY' || fail "stats --json is not what it should be"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema_version"] >= 1, d
for t in ("documents", "figures", "images", "panels", "subcaptions", "pairs",
          "duplicates", "embeddings", "fetches", "crawl_state", "runs"):
    assert d["tables"][t] == 0, t
assert d["curated_pairs"] == 0
assert d["pairs_dropped_by_reason"] == {}
PY
ok "stats --json on a new database"
expect 0 winnow-db check
expect 0 winnow-db -d "$WINNOW_DB" init	# idempotent

# a few pairs, one dropped and one retracted
sql "
INSERT INTO documents (id, source, source_id, license) VALUES
  (1, 'pmc', 'PMC1.1', 'CC BY'), (2, 'pmc', 'PMC2.1', 'CC0');
UPDATE documents SET is_retracted = 1 WHERE id = 2;
INSERT INTO images (id, sha256, path, bytes) VALUES
  (1, printf('%064d', 1), 'aa/1.jpg', 10), (2, printf('%064d', 2), 'bb/2.png', 20);
INSERT INTO figures (id, document_id, ordinal, caption, image_id, status) VALUES
  (1, 1, 0, 'c1', 1, 'ok'), (2, 2, 0, 'c2', 2, 'ok');
INSERT INTO panels (id, figure_id, image_id, ordinal, x, y, w, h, label) VALUES
  (1, 1, 1, 0, 0, 0, 5, 5, 'A'), (2, 1, 1, 1, 5, 0, 5, 5, 'B'), (3, 1, 1, 2, 0, 5, 9, 4, 'C');
INSERT INTO pairs (figure_id, panel_id, image_id, x, y, w, h, caption, status, reason, split) VALUES
  (1, 1, 1, 0, 0, 5, 5, 'A cell, \"quoted\", two
lines', 'kept', NULL, 'train'),
  (1, 2, 1, 5, 0, 5, 5, 'B cell', 'kept', NULL, 'test'),
  (1, 3, 1, 0, 5, 9, 4, 'C', 'dropped', 'duplicate', 'train'),
  (2, NULL, 2, 0, 0, 5, 5, 'retracted', 'kept', NULL, 'train');
" || fail "cannot fill the database"

expect 0 winnow-db stats --json
python3 - "$T/out" <<'PY' || fail "stats counts are wrong"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["tables"]["pairs"] == 4 and d["curated_pairs"] == 2, d
assert d["pairs_dropped_by_reason"] == {"duplicate": 1}, d
assert d["pairs_by_status"] == {"dropped": 1, "kept": 3}, d
PY
ok "stats count per reason code"
expect 0 winnow-db stats
grep -q "^curated_pairs *2$" "$T/out" || fail "plain stats lacks curated_pairs"

expect 0 winnow-db export
[ "$(wc -l <"$T/out")" -eq 2 ] || fail "export wrote $(wc -l <"$T/out") lines, not 2"
python3 - "$T/out" "$T" <<'PY' || fail "export JSON Lines are wrong"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows[0]["caption"] == 'A cell, "quoted", two\nlines', rows[0]
assert rows[0]["image_path"] == "aa/1.jpg" and rows[0]["split"] == "train"
assert rows[0]["image_file"].endswith("/w-store/aa/1.jpg"), rows[0]
assert [r["pair_id"] for r in rows] == [1, 2]
for k in ("pair_id", "image_path", "x", "y", "w", "h", "caption", "source",
          "source_id", "license", "split", "created_at"):
    assert k in rows[0], k
PY
ok "export JSON Lines"
expect 0 winnow-db export --csv --split train -o "$T/train.csv"
python3 - "$T/train.csv" <<'PY' || fail "export CSV is wrong"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 1 and rows[0]["caption"] == 'A cell, "quoted", two\nlines', rows
PY
ok "export CSV with quoting"
expect 73 winnow-db export -o "$T/no/such/dir/x.jsonl"

# a broken pipe is quiet and not an error
sql "WITH RECURSIVE n(i) AS (SELECT 10 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
     INSERT INTO figures (id, document_id, ordinal, caption, image_id, status)
     SELECT i, 1, i, 'x', 1, 'ok' FROM n;
     INSERT INTO pairs (figure_id, image_id, x, y, w, h, caption, status, split)
     SELECT id, 1, 0, 0, 1, 1, 'filler caption to make the output long', 'kept', 'train'
       FROM figures WHERE id >= 10;"
winnow-db export 2>"$T/err" | head -n 1 >/dev/null
[ -s "$T/err" ] && fail "export into a closed pipe printed: $(cat "$T/err")"
ok "EPIPE is quiet"

# a writer holding the lock: checkpoint waits, then exits 75
(echo "BEGIN IMMEDIATE; INSERT INTO runs (tool, version, started_at) VALUES ('t', '0', 'x');"
 sleep 3; echo "COMMIT;") | sqlite3 "$WINNOW_DB" &
_pids="$_pids $!"
sleep 0.5
expect 75 winnow-db --busy-timeout 200 checkpoint
grep -q "locked" "$T/err" || fail "no 'locked' in the message: $(cat "$T/err")"
wait

# a database written by a newer winnow is refused with 78
cp "$WINNOW_DB" "$T/newer.db"
sqlite3 "$T/newer.db" "PRAGMA user_version = 9999"
expect 78 winnow-db -d "$T/newer.db" stats
grep -q "newer" "$T/err" || fail "no explanation for the newer schema"
expect 78 winnow-db -d "$T/newer.db" init

# a file that is not ours
printf 'not a database at all, but long enough to look like one.........' >"$T/junk.db"
expect 65 winnow-db -d "$T/junk.db" init
sqlite3 "$T/other.db" "CREATE TABLE t (x)"
expect 65 winnow-db -d "$T/other.db" init

# check finds a broken foreign key
sqlite3 "$WINNOW_DB" "PRAGMA foreign_keys = OFF; INSERT INTO figures (document_id, ordinal) VALUES (999, 0);"
expect 65 winnow-db check
grep -q "foreign key" "$T/out" || fail "check did not report the foreign key"
