#!/bin/sh
# winnow-hash against Meta's PDQ reference images, with the project's scoring
# script (shared data): the Java vector, the C++ vectors of the dihedral
# images, the bridge-mods within PDQ's match threshold.  Skipped when the
# shared data or Python's numpy is not there.
. "$TESTLIB"
# Debian's python3 (numpy, PIL), not whatever python3 comes first on PATH
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
CONF=$SHARED_DATA/conformance/pdq
EVAL=$SOURCE_ROOT/../shared/tools/eval/pdq_conformance.py
[ -d "$CONF/data" ] && [ -f "$EVAL" ] || { echo "skip: no shared PDQ conformance data"; exit 77; }
"$PY" -c 'import numpy, PIL' 2>/dev/null || { echo "skip: no numpy/PIL"; exit 77; }

expect 0 "$PY" "$EVAL" --bin "$BUILD_ROOT/dedup"
cat "$T/out"
grep -q 'winnow-hash PASS' "$T/out" || fail "conformance"
ok "pdq_conformance.py passes (fast mode)"

# --compat: the Java vector exactly, every dihedral image within 10 bits of C++
cd "$CONF/data/reg-test-input/dih" || fail "no dih/"
expect 0 winnow-hash --compat bridge-1-original.jpg bridge-2-rotate-90.jpg bridge-3-rotate-180.jpg \
	bridge-4-rotate-270.jpg bridge-5-flipx.jpg bridge-6-flipy.jpg bridge-7-flip-plus-1.jpg \
	bridge-8-flip-minus-1.jpg
"$PY" - "$T/out" "$CONF/cpp/bin/README.md" <<'PY' || fail "compat distances"
import re, sys
ref = {}
for line in open(sys.argv[2]):
    m = re.match(r"^([0-9a-f]{64}),\S*/(bridge-[^/\s]+\.jpg)\s*$", line.strip())
    if m:
        ref[m.group(2)] = m.group(1)
worst = 0
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if f[6] == "bridge-1-original.jpg":
        assert f[0] == "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22", f[0]
    d = bin(int(f[0], 16) ^ int(ref[f[6]], 16)).count("1")
    worst = max(worst, d)
    print("%s: %d bits from the C++ vector" % (f[6], d))
assert worst <= 10, worst
PY
ok "--compat: Java vector exact, C++ vectors within 10 bits"
