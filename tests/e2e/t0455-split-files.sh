#!/bin/sh
# winnow-split FILE...: panels of real dev figures as JSON Lines (boxes inside
# the image, sizes of the original file), errors per file, text form, order of
# the arguments kept with threads, a closed pipe.
. "$TESTLIB"

F=$TESTDATA/captions/figures
printf 'not an image' >"$T/junk.png"
expect 0 winnow-split -j 2 --json "$F/encoda_elife-30274-v1_fig1.jpg" "$T/junk.png" \
	"$F/encoda_elife-46472-v3_fig2.jpg" "$T/missing.jpg"
grep -q "junk.png" "$T/err" && grep -q "missing.jpg" "$T/err" ||
	fail "no warnings for the bad files: $(cat "$T/err")"
python3 - "$T/out" "$F" "$T" <<'PY' || fail "JSON panels: $(head -c 600 "$T/out")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [o["path"].rsplit("/", 1)[1] for o in lines] == [
    "encoda_elife-30274-v1_fig1.jpg", "junk.png", "encoda_elife-46472-v3_fig2.jpg",
    "missing.jpg"], lines
sizes = {"encoda_elife-30274-v1_fig1.jpg": (600, 183), "encoda_elife-46472-v3_fig2.jpg": None}
for o in lines:
    name = o["path"].rsplit("/", 1)[1]
    if name in ("junk.png", "missing.jpg"):
        assert "error" in o and "panels" not in o, o
        continue
    assert isinstance(o["compound"], bool), o
    assert o["width"] > 0 and o["height"] > 0, o
    if sizes[name]:
        assert (o["width"], o["height"]) == sizes[name], o
    assert len(o["panels"]) >= 1, o
    assert o["compound"] == (len(o["panels"]) > 1), o
    for p in o["panels"]:
        assert p["w"] > 0 and p["h"] > 0, p
        assert 0 <= p["x"] and p["x"] + p["w"] <= o["width"], p
        assert 0 <= p["y"] and p["y"] + p["h"] <= o["height"], p
        assert isinstance(p["label"], str) and 0 <= p["score"] <= 1, p
PY
ok "JSON Lines per image, errors in place"

expect 1 winnow-split --max-errors 0 "$T/junk.png"
expect 0 winnow-split "$F/encoda_elife-30274-v1_fig1.jpg"
awk -F '\t' 'NF != 7 { exit 1 }' "$T/out" || fail "text form: $(cat "$T/out")"
ok "text form: path, x, y, w, h, label, score"

winnow-split --json "$F"/*.jpg "$F"/*.jpg "$F"/*.jpg 2>"$T/err" | head -n 1 >/dev/null
[ -s "$T/err" ] && fail "EPIPE printed: $(cat "$T/err")"
ok "EPIPE is quiet"
expect 64 winnow-split --all "$F/encoda_elife-30274-v1_fig1.jpg"
