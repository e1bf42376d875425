#!/bin/sh
# winnow-split | winnow-pair on a database of three eLife figures: the pair
# stage reads what the split stage wrote (panels, labels, sub-captions).
. "$TESTLIB"
D=$TESTDATA/pair
command -v winnow-split >/dev/null 2>&1 || { echo "skip: no winnow-split"; exit 77; }

expect 0 winnow-db init
mkdir -p "$T/w-store/e" || fail "store"
n=0
for f in encoda_elife-30274-v1_fig1 encoda_elife-46472-v3_fig7 encoda_elife-46793-v1_fig10-figsupp1; do
	n=$((n + 1))
	cp "$D/$f.jpg" "$T/w-store/e/$f.jpg"
	cp "$D/$f.txt" "$T/cap$n.txt"
	sha=$(sha256sum "$D/$f.jpg" | cut -d' ' -f1)
	bytes=$(wc -c <"$D/$f.jpg")
	sql "INSERT INTO documents (id, source, source_id, base_id, version, license)
	       VALUES ($n, 'pmc', 'PMC90$n.1', 'PMC90$n', 1, 'CC BY');
	     INSERT INTO images (id, sha256, path, bytes, format)
	       VALUES ($n, '$sha', 'e/$f.jpg', $bytes, 'jpeg');
	     INSERT INTO figures (id, document_id, ordinal, caption, image_id, status)
	       VALUES ($n, $n, 0, rtrim(CAST(readfile('$T/cap$n.txt') AS TEXT), char(10)), $n, 'ok')" ||
		fail "fixture $f"
done
sql "UPDATE images SET width = 600, height = CASE id WHEN 1 THEN 183 WHEN 2 THEN 245 ELSE 201 END"

{ winnow-split --all 2>"$T/err.split"; echo $? >"$T/st.split"; } |
	{ winnow-pair 2>"$T/err"; echo $? >"$T/st.pair"; } >"$T/out"
[ "$(cat "$T/st.split")" -eq 0 ] || { cat "$T/err.split" >&2; fail "winnow-split exited $(cat "$T/st.split")"; }
[ "$(cat "$T/st.pair")" -eq 0 ] || fail "winnow-pair exited $(cat "$T/st.pair")"
ok "winnow-split --all | winnow-pair"

[ "$(sql "SELECT count(DISTINCT figure_id) FROM pairs")" -eq 3 ] || fail "not every figure paired"
sql "SELECT id FROM pairs WHERE status = 'kept' ORDER BY id" >"$T/want"
diff -u "$T/want" "$T/out" >&2 || fail "printed ids are not the kept pairs"
[ -s "$T/out" ] || fail "nothing kept"
sql "SELECT pair_id FROM curated_pairs ORDER BY 1" >"$T/cur"
diff -u "$T/want" "$T/cur" >&2 || fail "curated_pairs"
[ "$(sql "SELECT count(*) FROM pairs WHERE status = 'kept' AND length(caption) < 20")" -eq 0 ] ||
	fail "a kept pair without a real caption"
# no kept caption starts with a label marker, no tags, no double spaces
[ "$(sql "SELECT count(*) FROM pairs WHERE caption GLOB '([A-Za-z]) *'
	OR caption LIKE '%<italic>%' OR caption LIKE '%  %'")" -eq 0 ] || fail "uncleaned captions"
# each panel pair is inside its image and carries the models
[ "$(sql "SELECT count(*) FROM pairs p JOIN images i ON i.id = p.image_id
	WHERE p.x < 0 OR p.y < 0 OR p.x + p.w > i.width OR p.y + p.h > i.height
	OR p.model IS NULL")" -eq 0 ] || fail "boxes or models"
ok "pairs of the split figures"

# nothing new: the pipeline does nothing
winnow-split --all 2>/dev/null | winnow-pair >"$T/out" 2>"$T/err" || fail "rerun"
[ -s "$T/out" ] && fail "rerun printed ids"
ok "rerun"
