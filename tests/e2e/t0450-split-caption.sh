#!/bin/sh
# winnow-split --caption: the standard tool checks, the JSON contract on real
# dev captions (labels, code-point offsets, shared text), inline references,
# odd input (no labels, invalid UTF-8, NUL, RTL, combining marks, 100 kB, too
# long) and a broken pipe.
. "$TESTLIB"

check_help winnow-split
grep -q "See winnow-split(1)." "$T/out" 2>/dev/null || true
expect 0 winnow-split --help
grep -q "See winnow-split(1)\." "$T/out" || fail "--help does not end with the man page"
expect 64 winnow-split --caption extra-file
expect 64 winnow-split --jobs 0 --caption
expect 66 winnow-split --caption-file "$T/missing.txt"
expect 66 winnow-split --caption --caption-model "$T/missing.model"
printf 'not a model\n' >"$T/bad.model"
expect 65 winnow-split --caption --caption-model "$T/bad.model"

# every dev caption: valid JSON, "text" equal to the caption at the offsets
# (code points), spans inside the caption and not overlapping
python3 - "$TESTDATA/captions/captions-dev.jsonl" "$T" <<'PY' || fail "dev captions"
import json, subprocess, sys
gts = [json.loads(l) for l in open(sys.argv[1])]
assert len(gts) >= 80, len(gts)
tp = pred = gt = 0
for g in gts:
    cap = g["caption"]
    r = subprocess.run(["winnow-split", "--caption", "--json"], input=cap.encode(),
                       capture_output=True)
    assert r.returncode == 0, (g["fig"], r.returncode, r.stderr)
    assert r.stderr == b"", (g["fig"], r.stderr)
    o = json.loads(r.stdout)
    spans = []
    for s in o["subcaptions"] + o["shared"]:
        assert 0 <= s["start"] < s["end"] <= len(cap), (g["fig"], s)
        assert cap[s["start"]:s["end"]] == s["text"], (g["fig"], s)
        spans.append((s["start"], s["end"]))
    spans.sort()
    for a, b in zip(spans, spans[1:]):
        assert a[1] <= b[0], (g["fig"], a, b)
    gl = set(l for s in g["subcaptions"] for l in s["labels"])
    pl = set(l for s in o["subcaptions"] for l in s["labels"])
    tp += len(gl & pl); pred += len(pl); gt += len(gl)
f1 = 2 * tp / (pred + gt)
print("label F1 on the dev captions: %.3f" % f1)
assert f1 >= 0.95, f1
PY
ok "dev captions: offsets in code points, label F1 >= 0.95"

# one caption in detail (ranges, refinements not split, shared opening and closing)
cap='Kinesin light chains are not required. (A)–(C) Distribution of TOM-20::YFP in a wild-type (A), unc-116 (B) or klc-2 (C) worm. (D, E) Localization in type A cells (see Figure 1B; n = 3). (F) SU(Z)12 and the (E)-isomer (arrows). Scale bars, 10 μm.'
printf '%s' "$cap" >"$T/cap.txt"
expect 0 winnow-split --caption --json --caption-file "$T/cap.txt"
python3 - "$T/out" "$T/cap.txt" <<'PY' || fail "detailed caption: $(cat "$T/out")"
import json, sys
o = json.load(open(sys.argv[1]))
cap = open(sys.argv[2], encoding="utf-8").read()
subs = [(s["labels"], s["text"]) for s in o["subcaptions"]]
assert [l for l, _ in subs] == [["A", "B", "C"], ["D", "E"], ["F"]], subs
assert subs[2][1] == "(F) SU(Z)12 and the (E)-isomer (arrows).", subs
sh = [s["text"] for s in o["shared"]]
assert sh == ["Kinesin light chains are not required.", "Scale bars, 10 μm."], sh
PY
ok "ranges, inline references, shared text"

# text form: one line per span, shared as "-"
expect 0 winnow-split --caption --caption-file "$T/cap.txt"
[ "$(cut -f1 "$T/out" | tr '\n' ' ')" = "- A,B,C D,E F - " ] ||
	fail "text form: $(cat "$T/out")"
ok "text form"

# Nature style bare labels, PLOS "A," labels, position words, lower-case ranges
for c in 'Title. a, b Schematic of the process. c–e SEM images of the BM (c), PM (d) and SMNp (e).|a b c d e' \
	 'Structures. A, SDS-PAGE profile. B, Residual activities of LipC.|A B' \
	 'Overview. Left: wild type. Right: mutant.|left right' \
	 '(a–f): Time-lapse series of one particle.|a b c d e f' \
	 '(Ai–iii) Three views. (B) Summary.|Ai Aii Aiii B'
do
	text=${c%|*}
	want=${c#*|}
	printf '%s' "$text" | winnow-split --caption >"$T/out" 2>"$T/err" || fail "'$text'"
	got=$(grep -v '^-' "$T/out" | cut -f1 | tr ',\n' '  ' | tr -s ' ' | sed 's/ $//')
	[ "$got" = "$want" ] || fail "'$text': labels '$got', expected '$want'"
done
ok "marker styles"

# no labels: everything shared, nothing split
printf 'A single micrograph of type A cells (arrows); see Figure 2B.' >"$T/plain.txt"
expect 0 winnow-split --caption --json --caption-file "$T/plain.txt"
python3 - "$T/out" <<'PY' || fail "no labels: $(cat "$T/out")"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["subcaptions"] == [], o
assert len(o["shared"]) == 1 and o["shared"][0]["start"] == 0, o
PY
ok "no labels"

# empty caption
printf '' | expect_in 0 winnow-split --caption --json
[ "$(cat "$T/out")" = '{"subcaptions": [], "shared": []}' ] || fail "empty: $(cat "$T/out")"

# odd Unicode: invalid UTF-8 (one U+FFFD per byte), NUL, RTL, combining marks
printf 'Bad bytes \377\376 here. (A) caf\314\201e \327\251\327\234\327\225\327\235 x\000y. (B) \360\237\246\240 end \342\200\256rtl.' |
	expect_in 0 winnow-split --caption --json
python3 - "$T/out" <<'PY' || fail "odd unicode: $(cat "$T/out")"
import json, sys
o = json.load(open(sys.argv[1]))
subs = o["subcaptions"]
assert [s["labels"] for s in subs] == [["A"], ["B"]], subs
assert subs[0]["start"] == 19, subs         # two bytes count one code point each
assert "\u0301" in subs[0]["text"] and "\x00" in subs[0]["text"], subs
assert subs[1]["text"].startswith("(B) \U0001F9A0"), subs
assert o["shared"][0]["text"] == "Bad bytes \ufffd\ufffd here.", o
PY
ok "odd Unicode"

# 100 kB caption: split; past the limit: one clear error, exit 65
python3 -c '
import sys
parts = ["Title."] + ["(%s) Panel text with (n = 3) details and more words here." % chr(65 + i % 26) for i in range(1800)]
sys.stdout.write(" ".join(parts)[:100000])' >"$T/big.txt"
expect 0 winnow-split --caption --json --caption-file "$T/big.txt"
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert len(o["subcaptions"]) >= 20, len(o["subcaptions"])' "$T/out" ||
	fail "100 kB caption"
head -c 1100000 /dev/zero | tr '\0' 'a' >"$T/huge.txt"
expect 65 winnow-split --caption --caption-file "$T/huge.txt"
[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "longer than" "$T/err" || fail "huge caption: $(cat "$T/err")"
[ -s "$T/out" ] && fail "huge caption printed something"

# a closed pipe is quiet
winnow-split --caption --caption-file "$T/big.txt" 2>"$T/err" | head -n 1 >/dev/null
[ -s "$T/err" ] && fail "EPIPE printed: $(cat "$T/err")"
ok "EPIPE is quiet"
