#!/usr/bin/python3
"""Generate the imagehash golden values for winnow-hash's --compat mode.

    make-imagehash-golden.py IMAGE... > tests/data/hash/imagehash-golden.tsv

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


def main(argv):
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
