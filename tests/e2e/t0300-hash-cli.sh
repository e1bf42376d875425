#!/bin/sh
# winnow-hash standalone: the standard tool checks, the usage line against the
# man page, JSON output (golden), input order with threads, paths on stdin,
# -z, the text form, unreadable files and --max-errors, a broken pipe.
. "$TESTLIB"
# Debian's python3 (numpy, PIL), not whatever python3 comes first on PATH
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
H=$TESTDATA/hash

check_help winnow-hash
expect 64 winnow-hash -j 0 x.png
expect 64 winnow-hash --jobs 9999 x.png
expect 64 winnow-hash --min-side nope x.png
expect 64 winnow-hash --all x.png
grep -q '^See winnow-hash(1)\.$' "$T/err" && fail "usage error printed the help"

# the usage lines are the man page's SYNOPSIS
# man page text without the overstrikes (perl is in every Debian; col may not be)
man_text() {
	mandoc -Tascii "$SOURCE_ROOT/dedup/winnow-hash.1" | perl -pe 's/.\x08//g'
}
if command -v mandoc >/dev/null 2>&1 && command -v perl >/dev/null 2>&1; then
	winnow-hash --help | sed -n '1,/^$/p' | sed '/^$/d; s/^usage: /       /' >"$T/usage"
	man_text | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d;/^$/d;s/^     /       /' >"$T/synopsis"
	diff "$T/usage" "$T/synopsis" >&2 || fail "usage differs from SYNOPSIS"
	ok "usage == SYNOPSIS"
	for opt in $(winnow-hash --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		man_text | grep -q -- "$opt" ||
			fail "option $opt is not in the man page"
	done
	ok "every option is documented"
fi

cd "$H" || fail "no $H"
FILES="bridge-1-original.jpg pydicom_MR_small.png encoda_elife-46472-v3_fig7-rgba.png
encoda_elife-46472-v3_fig7-palette.png encoda_elife-46472-v3_fig7-lossy.webp
encoda_elife-46472-v3_fig7-grey.jpg cp_Tumor_30-2A1f.jpg skimage_microaneurysms.png"

# shellcheck disable=SC2086
expect 0 winnow-hash --json -j 1 $FILES
golden hash-fast.jsonl
cp "$T/out" "$T/j1"
"$PY" - "$T/j1" <<'PY' || fail "JSON objects lack the contract's fields"
import json, re, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    n += 1
    assert re.fullmatch(r"[0-9a-f]{64}", o["sha256"]), o
    assert re.fullmatch(r"[0-9a-f]{64}", o["pixel_sha256"]), o
    assert re.fullmatch(r"[0-9a-f]{64}", o["pdq"]), o
    assert 0 <= o["pdq_quality"] <= 100
    assert len(o["pdq_dihedral"]) == 8 and o["pdq_dihedral"][0] == o["pdq"]
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in o["pdq_dihedral"])
    for k in ("phash", "dhash", "ahash"):
        assert re.fullmatch(r"[0-9a-f]{16}", o[k]), (k, o)
    assert o["width"] > 0 and o["height"] > 0 and o["mode"] == "fast"
assert n == 8, n
PY
ok "JSON fields"

# threads keep the input order and give the same bytes
# shellcheck disable=SC2086
expect 0 winnow-hash --json -j 2 $FILES $FILES $FILES
# shellcheck disable=SC2086
expect 0 winnow-hash --json -j 1 $FILES $FILES $FILES
cp "$T/out" "$T/j1x3"
# shellcheck disable=SC2086
winnow-hash --json -j 2 $FILES $FILES $FILES >"$T/j2x3" || fail "-j 2 failed"
cmp "$T/j1x3" "$T/j2x3" || fail "-j 2 output differs from -j 1"
ok "-j 2 == -j 1, in input order"

# paths on stdin, newline- and NUL-separated
# shellcheck disable=SC2086
printf '%s\n' $FILES | expect_in 0 winnow-hash --json
cmp "$T/out" "$T/j1" || fail "paths on stdin differ from operands"
# shellcheck disable=SC2086
printf '%s\0' $FILES | expect_in 0 winnow-hash --json -z
tr '\0' '\n' <"$T/out" | grep -v '^$' >"$T/z"
cmp "$T/z" "$T/j1" || fail "-z output differs"
ok "paths on stdin"

# the text form: pdq, quality, phash, dhash, ahash, sha256, path
expect 0 winnow-hash pydicom_MR_small.png
awk -F '\t' 'NF != 7 || length($1) != 64 || length($3) != 16 || $7 != "pydicom_MR_small.png" { exit 1 }' \
	"$T/out" || fail "text form is not 7 TAB-separated fields"
ok "text form"

# unreadable and undecodable files: an error object, the others go on, exit 0
printf 'not an image' >"$T/bad.jpg"
head -c 3000 bridge-1-original.jpg >"$T/truncated.jpg"
expect 0 winnow-hash --json pydicom_MR_small.png "$T/missing.png" "$T/bad.jpg" "$T/truncated.jpg" skimage_cell.png
[ "$(wc -l <"$T/out")" -eq 5 ] || fail "expected 5 objects"
"$PY" - "$T/out" <<'PY' || fail "error objects are wrong"
import json, sys
o = [json.loads(l) for l in open(sys.argv[1])]
assert "pdq" in o[0] and "error" not in o[0]
assert o[1]["error"] and "pdq" not in o[1] and "sha256" not in o[1]
assert o[2]["error"] and "pdq" not in o[2] and len(o[2]["sha256"]) == 64
assert o[3]["error"] and "pdq" not in o[3]
assert "pdq" in o[4]
PY
[ "$(grep -c 'warning: cannot hash' "$T/err")" -eq 3 ] || fail "expected 3 warnings"
ok "bad files reported and skipped"
expect 1 winnow-hash --json --max-errors 2 "$T/missing.png" "$T/bad.jpg" "$T/truncated.jpg"
[ "$(wc -l <"$T/out")" -eq 3 ] || fail "--max-errors stopped the output"
expect 0 winnow-hash --json --max-errors 3 "$T/missing.png" "$T/bad.jpg" "$T/truncated.jpg"

# a decompression bomb is refused from its header
"$PY" - "$T/bomb.png" <<'PY'
import struct, sys, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0))
    + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))
PY
expect 0 winnow-hash --json "$T/bomb.png"
grep -q '"error"' "$T/out" || fail "the bomb was not refused"
expect 0 winnow-hash --json --compat "$T/bomb.png"
grep -q '"error"' "$T/out" || fail "the bomb was not refused in compat mode"
expect 0 winnow-hash --json --max-pixels 5000 pydicom_MR_small.png bridge-1-original.jpg
[ "$(grep -c '"error"' "$T/out")" -eq 1 ] || fail "--max-pixels not applied"

# a reader that leaves early: quiet, status 0
# shellcheck disable=SC2086
( winnow-hash --json -j 2 $FILES $FILES $FILES $FILES 2>"$T/pipe.err"; echo $? >"$T/pipe.status" ) | head -n 1 >/dev/null
[ "$(cat "$T/pipe.status")" -eq 0 ] || fail "EPIPE gave status $(cat "$T/pipe.status")"
[ -s "$T/pipe.err" ] && fail "EPIPE printed: $(cat "$T/pipe.err")"
ok "quiet on EPIPE"

# no database is opened or created by the standalone form
[ -e "$WINNOW_DB" ] && fail "standalone form created $WINNOW_DB"
ok "standalone form leaves the database alone"
