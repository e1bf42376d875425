#!/bin/sh
# winnow-dedup --json: groups from winnow-hash lines, methods and distances,
# anti-chaining, bad lines, EPIPE, calibrate.
. "$TESTLIB"

D=$TESTDATA/dedup
check_help winnow-dedup
expect 0 winnow-dedup --help
tail -n1 "$T/out" | grep -qx "See winnow-dedup(1)." || fail "--help does not end with the man page"
# the synopsis of the man page lists the same forms as the usage
for form in "--leakage" "captions" "embeddings import" "calibrate"; do
	grep -q -- "$form" "$T/out" || fail "usage lacks $form"
	grep -q -- "$(echo "$form" | sed 's/^--//; s/ .*//')" "$SOURCE_ROOT/dedup/winnow-dedup.1" ||
		fail "man page lacks $form"
done
ok "usage and man page agree"

# hand-made hash lines: exact, near, inverted, confirmed and refused candidates,
# low quality, a chain that must not become one group
expect_in 0 winnow-dedup --json <"$D/hashes.jsonl"
golden dedup-json-groups.out
grep -q '"chain3.png"' "$T/out" && fail "the end of the chain joined a group"
grep -q '"cand-no.png"' "$T/out" && fail "an unconfirmed candidate was grouped"
grep -q '"flat.png"' "$T/out" && fail "a low-quality PDQ was matched"
grep -q '"far.png"' "$T/out" && fail "a distant PDQ was matched"
ok "exact, near, inverted, confirmed; no chains, no refused candidates"

# a copy two members match but the representative not joins, linked, with the
# distance of its first link; one that matches a single member stays out
expect_in 0 winnow-dedup --json --no-regions <"$D/hashes-linked.jsonl"
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "linked: not one group: $(cat "$T/out")"
grep -q '"representative":"link-rep.png"' "$T/out" || fail "linked: representative"
grep -q '{"path":"link-c.png","method":"linked","distance":7' "$T/out" ||
	fail "linked: link-c.png not linked: $(cat "$T/out")"
grep -q '"link-d.png"' "$T/out" && fail "linked: one match chained link-d.png"
ok "a copy joined through two members is linked; one match chains nothing"

# empty input: no groups
expect_in 0 winnow-dedup --json </dev/null
[ -s "$T/out" ] && fail "output for empty input"
ok "empty input"

# bad lines are warned about with their line number and counted
{ echo 'not json'; head -n 2 "$D/hashes.jsonl"; echo '{"path": "x.png", "pdq": "zz"}'; } >"$T/bad.jsonl"
expect_in 1 winnow-dedup --json <"$T/bad.jsonl"
grep -q "stdin:1: " "$T/err" || fail "no warning for line 1"
grep -q "stdin:4: bad 'pdq' field" "$T/err" || fail "no warning for line 4"
grep -q '"b.jpg"' "$T/out" || fail "good lines not grouped"
expect_in 0 winnow-dedup --json --max-errors 2 <"$T/bad.jsonl"
printf 'garbage\n[1]\n' | expect_in 65 winnow-dedup --json
ok "bad lines"

# the reader leaves: no error, status 0
{ cat "$D/hashes.jsonl" "$D/hashes.jsonl"; } >"$T/two.jsonl"
{ winnow-dedup --json <"$T/two.jsonl" 2>"$T/epipe.err"; echo $? >"$T/epipe.rc"; } | head -n1 >/dev/null
[ "$(cat "$T/epipe.rc")" = 0 ] || fail "exit $(cat "$T/epipe.rc") when the reader left"
[ -s "$T/epipe.err" ] && fail "messages when the reader left: $(cat "$T/epipe.err")"
ok "EPIPE is quiet"

# real files through winnow-hash: every edited copy of histo.jpg in one group
winnow-hash --json "$D"/*.jpg "$D"/*.png >"$T/h.jsonl" || fail "winnow-hash failed"
expect_in 0 winnow-dedup --json <"$T/h.jsonl"
[ "$(wc -l <"$T/out")" = 2 ] || fail "expected 2 groups: $(cat "$T/out")"
# the copies of equal size tie under the rule; any of them may represent the group
grep '"representative":"[^"]*/histo[-.a-z0-9]*"' "$T/out" >"$T/g1" || fail "no group of histo.jpg"
[ "$(grep -o '/histo[-.a-z0-9]*"' "$T/g1" | sort -u | wc -l)" = 7 ] ||
	fail "not all 7 copies of histo.jpg in one group: $(cat "$T/out")"
grep -q '"representative":"[^"]*/histo-crop.jpg"' "$T/g1" && fail "the crop represents the group"
grep -q '"method":"pdq-inverted"' "$T/g1" || fail "the inverted copy is not pdq-inverted"
grep 't1' "$T/out" | grep -q '"method":"sha256"' || fail "identical files not grouped by sha256"
grep -q 'cell.png\|stent.png' "$T/out" && fail "unrelated images grouped"
ok "edited copies grouped, unrelated images not"
expect_in 0 winnow-dedup --json --no-regions <"$T/h.jsonl"
grep -q 'histo-crop' "$T/out" && fail "a crop matched without region descriptors"
ok "--no-regions"
expect_in 0 winnow-dedup --pairs <"$T/h.jsonl"
grep -q '"match":true' "$T/out" || fail "--pairs printed no matching pair"
ok "--pairs"

# calibrate: scores with labels
printf '0.99 1\n0.97 1\n0.95 0\n0.96 1\n0.90 0\n0.80 0\n' >"$T/lab.tsv"
expect 0 winnow-dedup calibrate --target 0.99 "$T/lab.tsv"
grep -qx "threshold	0.96" "$T/out" || fail "calibrate: $(cat "$T/out")"
grep -qx "recall	1.000000" "$T/out" || fail "calibrate recall: $(cat "$T/out")"
printf '0.5 1\n0.9 0\n' >"$T/lab2.tsv"
expect 65 winnow-dedup calibrate "$T/lab2.tsv"
expect 66 winnow-dedup calibrate "$T/nonexistent.tsv"
expect 64 winnow-dedup calibrate --target 2
expect 64 winnow-dedup frobnicate
ok "calibrate"
