#!/bin/sh
# winnow-split on the database: ids on stdin and --all, panels and subcaptions
# rows with model versions, the ids printed, a rerun that does nothing, bad
# images and bad lines recorded and counted, a locked database (75), a missing
# one (66), and a run killed with -9 that loses nothing committed.
. "$TESTLIB"

F=$TESTDATA/captions/figures
expect 66 winnow-split -d "$T/none.db" --all
expect 0 winnow-db init
store=$T/w-store
mkdir -p "$store/aa" "$store/bb" "$store/cc"
cp "$F/encoda_elife-30274-v1_fig1.jpg" "$store/aa/fig1.jpg"
cp "$F/encoda_elife-46472-v3_fig2.jpg" "$store/bb/fig2.jpg"
printf 'garbage, not a JPEG at all' >"$store/cc/bad.jpg"
python3 - "$TESTDATA/captions/captions-dev.jsonl" >"$T/seed.sql" <<'PY'
import json, sys
caps = {}
for l in open(sys.argv[1]):
    d = json.loads(l)
    caps[d["fig"]] = d["caption"]
q = lambda s: "'" + s.replace("'", "''") + "'"
print("INSERT INTO documents (id, source, source_id, license) VALUES (1, 'pmc', 'PMC1.1', 'CC BY');")
print("INSERT INTO images (id, sha256, path, bytes) VALUES"
      " (1, printf('%064d', 1), 'aa/fig1.jpg', 1), (2, printf('%064d', 2), 'bb/fig2.jpg', 1),"
      " (3, printf('%064d', 3), 'cc/bad.jpg', 1);")
print("INSERT INTO figures (id, document_id, ordinal, caption, image_id, status) VALUES"
      " (1, 1, 0, %s, 1, 'ok'), (2, 1, 1, %s, 2, 'ok'), (3, 1, 2, 'No markers at all.', NULL, 'pending'),"
      " (4, 1, 3, %s, 3, 'ok'), (5, 1, 4, NULL, NULL, 'pending');"
      % (q(caps["elife-30274:fig1"]), q(caps["elife-46472:fig2"]), q("Broken. (A) One. (B) Two.")))
PY
sql <"$T/seed.sql" || fail "seeding the database"

# ids on stdin, one bad line: figures 1 and 3 split, the bad line warned about
printf '1\nnot-an-id\n3\n' | expect_in 0 winnow-split -j 2
[ "$(tr '\n' ' ' <"$T/out")" = "1 3 " ] || fail "printed ids: $(cat "$T/out")"
grep -q "stdin:2" "$T/err" || fail "no warning for the bad line: $(cat "$T/err")"
[ "$(sql 'SELECT count(*) FROM panels WHERE figure_id = 1 AND model IS NOT NULL')" -ge 1 ] ||
	fail "no panels for figure 1"
[ "$(sql "SELECT count(*) FROM panels WHERE figure_id = 1 AND (x < 0 OR y < 0 OR x + w > 600 OR y + h > 183)")" -eq 0 ] ||
	fail "panel boxes outside the image"
[ "$(sql "SELECT group_concat(labels || is_shared, ' ') FROM (SELECT labels, is_shared FROM subcaptions WHERE figure_id = 1 ORDER BY ordinal)")" = '[]1 ["A"]0 ["B"]0 []1' ] ||
	fail "subcaptions of figure 1: $(sql 'SELECT * FROM subcaptions WHERE figure_id = 1')"
[ "$(sql "SELECT text FROM subcaptions WHERE figure_id = 1 AND labels = '[\"A\"]'")" = \
  "$(sql "SELECT substr(caption, 260, 206) FROM figures WHERE id = 1")" ] ||
	fail "sub-caption text does not match its offsets"
[ "$(sql "SELECT count(*) FROM subcaptions WHERE figure_id = 3 AND is_shared = 1 AND start = 0")" -eq 1 ] ||
	fail "figure 3: the whole caption is not shared"
[ "$(sql "SELECT count(*) FROM panels WHERE figure_id = 3")" -eq 0 ] || fail "figure 3 has no image"
[ "$(sql "SELECT count(*) FROM split_state WHERE panels_model IS NOT NULL AND captions_model LIKE 'caption-lr-%'")" -eq 1 ] ||
	fail "split_state: $(sql 'SELECT * FROM split_state')"
ok "ids on stdin: panels, sub-captions, shared text, split_state"

# --all takes the rest; the undecodable image is recorded, counted, not fatal
expect 0 winnow-split --all
[ "$(tr '\n' ' ' <"$T/out")" = "2 4 " ] || fail "--all printed: $(cat "$T/out")"
grep -q "figure 4" "$T/err" || fail "no warning for the bad image: $(cat "$T/err")"
[ "$(sql "SELECT count(*) FROM split_state WHERE figure_id = 4 AND panels_error IS NOT NULL")" -eq 1 ] ||
	fail "the bad image is not recorded"
[ "$(sql "SELECT count(*) FROM subcaptions WHERE figure_id = 4 AND is_shared = 0")" -eq 2 ] ||
	fail "figure 4's caption was not split"
rows=$(sql "SELECT (SELECT count(*) FROM panels) || '/' || (SELECT count(*) FROM subcaptions)")

# a rerun does nothing, with ids or with --all
printf '1\n2\n3\n4\n5\n' | expect_in 0 winnow-split
[ -s "$T/out" ] && fail "rerun printed: $(cat "$T/out")"
expect 0 winnow-split --all
[ -s "$T/out" ] && fail "rerun --all printed: $(cat "$T/out")"
[ "$(sql "SELECT (SELECT count(*) FROM panels) || '/' || (SELECT count(*) FROM subcaptions)")" = "$rows" ] ||
	fail "rerun added rows"
ok "rerun does nothing"

# --max-errors: a new figure with a bad image makes the run partial (1)
sql "INSERT INTO figures (id, document_id, ordinal, caption, image_id) VALUES (6, 1, 5, 'x', 3);"
expect 1 winnow-split --all --max-errors 0
grep -q "more than --max-errors" "$T/err" || fail "no --max-errors message"

# a writer holding the lock: exit 75, nothing written
sql "INSERT INTO figures (id, document_id, ordinal, caption, image_id) VALUES (7, 1, 6, '(A) a. (B) b.', 1);"
(echo "BEGIN IMMEDIATE; INSERT INTO runs (tool, version, started_at) VALUES ('t', '0', 'x');"
 sleep 3; echo "COMMIT;") | sqlite3 "$WINNOW_DB" &
_pids="$_pids $!"
sleep 0.5
expect 75 winnow-split --busy-timeout 200 --all
grep -q "locked" "$T/err" || fail "no 'locked' in the message: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "more than one line for a locked database: $(cat "$T/err")"
wait
[ "$(sql "SELECT count(*) FROM subcaptions WHERE figure_id = 7")" -eq 0 ] || fail "wrote while locked"
expect 0 winnow-split --all
[ "$(cat "$T/out")" = "7" ] || fail "after the lock: $(cat "$T/out")"
ok "locked database: 75, then done on retry"

# kill -9 in the middle of a long run: what is committed stays whole
python3 - >"$T/many.sql" <<'PY'
print("BEGIN;")
for i in range(100, 1100):
    print("INSERT INTO figures (id, document_id, ordinal, caption, image_id) VALUES"
          " (%d, 1, %d, 'Title %d. (A) left part. (B) right part. Scale bar, 1 mm.', 1);" % (i, i, i))
print("COMMIT;")
PY
sql <"$T/many.sql"
winnow-split --all -j 1 >"$T/killed.out" 2>/dev/null &
pid=$!
sleep 1
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
echo "# $(sql "SELECT count(*) FROM split_state WHERE figure_id >= 100") of 1000 split before kill -9"
bad=$(sql "SELECT count(*) FROM split_state s WHERE s.figure_id >= 100 AND
	((SELECT count(*) FROM panels p WHERE p.figure_id = s.figure_id) = 0 OR
	 (SELECT count(*) FROM subcaptions c WHERE c.figure_id = s.figure_id) != 4)")
[ "$bad" -eq 0 ] || fail "$bad figures half written after kill -9"
expect 0 winnow-split --all
[ "$(sql "SELECT count(*) FROM split_state WHERE figure_id >= 100")" -eq 1000 ] ||
	fail "not everything split after the restart"
[ "$(sql "SELECT count(*) FROM (SELECT figure_id FROM subcaptions GROUP BY figure_id, ordinal HAVING count(*) > 1)")" -eq 0 ] ||
	fail "duplicate rows after the restart"
ok "kill -9 loses nothing committed"

sql "INSERT INTO figures (id, document_id, ordinal, caption) SELECT id + 5000, 1, id + 5000, caption FROM figures WHERE id >= 100;"
( winnow-split --all 2>"$T/err"; echo $? >"$T/rc" ) | head -n 1 >/dev/null
[ "$(cat "$T/rc")" -eq 0 ] || fail "EPIPE: exit $(cat "$T/rc")"
# all of it may fit the pipe before the reader leaves, and then the summary
# line comes as usual; nothing else may
grep -v ': info: done: ' "$T/err" | grep -q . && fail "EPIPE printed: $(cat "$T/err")"
ok "EPIPE is quiet"
