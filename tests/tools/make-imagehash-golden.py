#!/usr/bin/python3
"""Generate the imagehash golden values for winnow-hash's --compat mode.

    make-imagehash-golden.py IMAGE... > tests/data/hash/imagehash-golden.tsv
    make-imagehash-golden.py --variants SOURCE OUTDIR

The second form writes, from one RGB image, the pixel layouts that Pillow's
convert('L') treats specially (RGBA, LA, a palette with a transparent entry,
16-bit grey, which Pillow clips, 16-bit RGB, whose high byte it keeps, a grey
JPEG and a lossy WebP), so that the goldens cover them.

Run once, with Debian bookworm's python3-pil (Pillow 9.4), python3-numpy and
python3-scipy; the output is stored in the repository and the tests compare
winnow-hash against it, so the tests need none of these.

Python's imagehash itself is not packaged by Debian, so its three 64-bit
hashes are written out here as imagehash 4.3 documents and computes them
(hash_size 8, highfreq_factor 4):

  average_hash: image.convert("L").resize((8, 8), LANCZOS);
                bit = pixel > numpy.mean(pixels)
  dhash:        image.convert("L").resize((9, 8), LANCZOS);
                bit = pixels[:, 1:] > pixels[:, :-1]
  phash:        image.convert("L").resize((32, 32), LANCZOS);
                d = scipy.fftpack.dct(scipy.fftpack.dct(pixels, axis=0), axis=1)
                low = d[:8, :8]; bit = low > numpy.median(low)

and printed as imagehash's str(): the bits row-major, first bit most
significant, as 16 hex digits.  The image is opened with Image.open() and
nothing else (no EXIF transpose, no draft mode), as imagehash's callers do.

Output: TSV with a header line: file (basename), phash, dhash, ahash,
pillow_mode, width, height.
"""
import os
import sys

import numpy
import scipy.fftpack
from PIL import Image

LANCZOS = Image.Resampling.LANCZOS if hasattr(Image, "Resampling") else Image.LANCZOS


def bits_to_hex(arr):
    bit_string = "".join(str(b) for b in 1 * arr.flatten())
    width = int(numpy.ceil(len(bit_string) / 4))
    return "{:0>{width}x}".format(int(bit_string, 2), width=width)


def average_hash(image, hash_size=8):
    image = image.convert("L").resize((hash_size, hash_size), LANCZOS)
    pixels = numpy.asarray(image)
    avg = numpy.mean(pixels)
    return bits_to_hex(pixels > avg)


def dhash(image, hash_size=8):
    image = image.convert("L").resize((hash_size + 1, hash_size), LANCZOS)
    pixels = numpy.asarray(image)
    return bits_to_hex(pixels[:, 1:] > pixels[:, :-1])


def phash(image, hash_size=8, highfreq_factor=4):
    img_size = hash_size * highfreq_factor
    image = image.convert("L").resize((img_size, img_size), LANCZOS)
    pixels = numpy.asarray(image)
    dct = scipy.fftpack.dct(scipy.fftpack.dct(pixels, axis=0), axis=1)
    dctlowfreq = dct[:hash_size, :hash_size]
    med = numpy.median(dctlowfreq)
    return bits_to_hex(dctlowfreq > med)


def _png(path, width, height, colour_type, depth, rows):
    """A minimal PNG writer for the 16-bit layouts Pillow cannot save."""
    import struct
    import zlib

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    raw = b"".join(b"\x00" + r for r in rows)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def variants(src, outdir):
    base = os.path.splitext(os.path.basename(src))[0]
    im = Image.open(src).convert("RGB")
    w, h = im.size
    rgb = numpy.asarray(im).astype(numpy.uint16)
    yy, xx = numpy.mgrid[0:h, 0:w]
    alpha = ((xx * 255) // max(1, w - 1)).astype(numpy.uint8)
    alpha[:, : w // 8] = 0                      # fully transparent, colour kept
    rgba = numpy.dstack([rgb.astype(numpy.uint8), alpha])
    Image.fromarray(rgba, "RGBA").save(os.path.join(outdir, base + "-rgba.png"))
    grey = numpy.asarray(im.convert("L"))
    Image.fromarray(numpy.dstack([grey, alpha]), "LA").save(os.path.join(outdir, base + "-la.png"))
    pal = im.quantize(colors=64, method=Image.Quantize.MEDIANCUT if hasattr(Image, "Quantize") else 0)
    pal.save(os.path.join(outdir, base + "-palette.png"), transparency=0)
    g16 = (grey.astype(numpy.uint32) * 3 + (yy % 7).astype(numpy.uint32)).astype(">u2")
    _png(os.path.join(outdir, base + "-grey16.png"), w, h, 0, 16, [r.tobytes() for r in g16])
    c16 = (rgb * 256 + 200).astype(">u2")        # low byte >= 128: high byte, not rounding
    _png(os.path.join(outdir, base + "-rgb16.png"), w, h, 2, 16, [r.tobytes() for r in c16])
    im.convert("L").save(os.path.join(outdir, base + "-grey.jpg"), quality=90)
    im.save(os.path.join(outdir, base + "-lossy.webp"), quality=80)


def main(argv):
    if len(argv) == 4 and argv[1] == "--variants":
        variants(argv[2], argv[3])
        return 0
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        sys.stdout.write(__doc__)
        return 0 if len(argv) >= 2 else 64
    import PIL
    sys.stdout.write("# Pillow %s, numpy %s, scipy %s\n" % (PIL.__version__, numpy.__version__,
                                                          scipy.__version__))
    sys.stdout.write("file\tphash\tdhash\tahash\tpillow_mode\twidth\theight\n")
    for path in argv[1:]:
        im = Image.open(path)
        im.load()
        sys.stdout.write("%s\t%s\t%s\t%s\t%s\t%d\t%d\n" % (
            os.path.basename(path), phash(im), dhash(im), average_hash(im), im.mode,
            im.size[0], im.size[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
