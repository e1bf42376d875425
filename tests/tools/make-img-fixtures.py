#!/usr/bin/python3
"""Write the image-decoder fixtures of tests/data/img/ and their expected decodes.

Every image is synthesised here (gradients and shapes), so the fixtures carry no
third-party rights.  expected.tsv lists, for each decodable file, the SHA-256 of
the RGB pixels that Pillow (Debian's python3-pil, which uses the same
libjpeg-turbo, libpng and libwebp) produces, with alpha composited on white, so
that test-img checks winnow's decoder against an independent one.

Run once; the outputs are committed.  Usage: make-img-fixtures.py OUTDIR
"""
import hashlib
import os
import random
import struct
import sys
import zlib

from PIL import Image, ImageDraw

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rnd = random.Random(20261128)


def scene(w, h, mode="RGB"):
    im = Image.new("RGB", (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            px[x, y] = ((x * 255) // max(1, w - 1), (y * 255) // max(1, h - 1), ((x ^ y) * 7) & 255)
    d = ImageDraw.Draw(im)
    d.ellipse((w // 4, h // 4, 3 * w // 4, 3 * h // 4), fill=(250, 240, 10))
    d.rectangle((2, 2, w // 5, h // 5), outline=(0, 0, 0), width=2)
    return im.convert(mode) if mode != "RGB" else im


def rgb_on_white(im):
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        bg.alpha_composite(im)
        return bg.convert("RGB")
    return im.convert("RGB")


rows = []


def save(name, im, **kw):
    path = os.path.join(out, name)
    im.save(path, **kw)
    back = Image.open(path)
    back.load()
    rows.append((name, back.size[0], back.size[1],
                 hashlib.sha256(rgb_on_white(back).tobytes()).hexdigest()))


save("rgb.jpg", scene(97, 61), quality=90)
save("rgb-progressive.jpg", scene(120, 80), quality=85, progressive=True)
save("grey.jpg", scene(64, 48, "L"), quality=92)
save("big.jpg", scene(1024, 768), quality=80)
save("rgb.png", scene(50, 33))
save("grey.png", scene(40, 30, "L"))
save("palette.png", scene(45, 25).convert("P", palette=Image.ADAPTIVE, colors=16))
rgba = scene(30, 20).convert("RGBA")
rgba.putalpha(Image.linear_gradient("L").resize((30, 20)))
save("rgba.png", rgba)
save("interlaced.png", scene(33, 17), optimize=False)
save("rgb.webp", scene(40, 24), lossless=True)

# 16-bit grey PNG written by hand (Pillow writes I;16 awkwardly)
w16, h16 = 20, 10
raw = b"".join(b"\x00" + b"".join(struct.pack(">H", (x * 3000 + y * 500) & 0xffff)
                                  for x in range(w16)) for y in range(h16))


def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)


png16 = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w16, h16, 16, 0, 0, 0, 0))
         + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
open(os.path.join(out, "grey16.png"), "wb").write(png16)
back = Image.open(os.path.join(out, "grey16.png"))
# reduce 16 -> 8 bits by the high byte, as libpng's strip_16 does
vals = [((x * 3000 + y * 500) & 0xffff) >> 8 for y in range(h16) for x in range(w16)]
rows.append(("grey16.png", w16, h16, hashlib.sha256(bytes(v for v in vals for _ in range(3))).hexdigest()))

# hostile and broken inputs
data = open(os.path.join(out, "big.jpg"), "rb").read()
open(os.path.join(out, "truncated.jpg"), "wb").write(data[: len(data) // 3])
huge = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
open(os.path.join(out, "huge-header.png"), "wb").write(huge)
open(os.path.join(out, "random.bin"), "wb").write(bytes(rnd.randrange(256) for _ in range(4096)))
open(os.path.join(out, "empty.jpg"), "wb").write(b"")
badcrc = bytearray(open(os.path.join(out, "rgb.png"), "rb").read())
badcrc[40] ^= 0xff
open(os.path.join(out, "bad-crc.png"), "wb").write(bytes(badcrc))

with open(os.path.join(out, "expected.tsv"), "w") as f:
    f.write("# file\twidth\theight\tsha256 of RGB pixels decoded by Pillow (alpha on white)\n")
    for r in rows:
        f.write("%s\t%d\t%d\t%s\n" % r)
