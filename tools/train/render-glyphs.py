#!/usr/bin/python3
"""Render panel-letter glyphs from Debian's fonts, for winnow-train.

Writes one glyph per line: CLASS WIDTH HEIGHT HEX, where HEX is the glyph's
binary bitmap (1 = ink), row-major, one hex digit per 4 pixels (rows padded to
a multiple of 4).  CLASS is a letter, or "-" for things that are not panel
letters (digits, symbols, letter pairs, plot marks), which teach the classifier
to say no.  The output is a function of --seed only.

  render-glyphs.py [--seed N] [--per-class N] [--sheet] > glyphs.txt

--sheet writes a small set of clean upper/lower case letters in a few fonts
and sizes instead (used by the synthetic-figure generator to print labels).
"""
import argparse
import glob
import random
import sys

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_GLOBS = ['/usr/share/fonts/truetype/dejavu/*.ttf',
              '/usr/share/fonts/truetype/liberation/*.ttf',
              '/usr/share/fonts/truetype/freefont/*.ttf']
LETTERS = [chr(c) for c in range(ord('A'), ord('Z') + 1)] + \
          [chr(c) for c in range(ord('a'), ord('z') + 1)]
REJECT = list('0123456789%&*+#@?!<>=/\\|~^$') + ['WT', 'kD', 'ab', 'AB', 'Ca', 'mV',
                                                 'rn', 'ii', 'μ', 'α', 'β', 'γ', 'Δ']


def fonts():
    out = []
    for g in FONT_GLOBS:
        out += sorted(glob.glob(g))
    # symbol-only or mono-width fonts are fine; skip none
    if not out:
        sys.exit('render-glyphs.py: no fonts found (install fonts-dejavu-core)')
    return out


def bitmap(img):
    """Crop to ink, return (w, h, hex) or None."""
    px = img.load()
    w, h = img.size
    xs = [x for x in range(w) for y in range(h) if px[x, y]]
    if not xs:
        return None
    ys = [y for y in range(h) for x in range(w) if px[x, y]]
    x0, x1, y0, y1 = min(xs), max(xs) + 1, min(ys), max(ys) + 1
    rows = []
    for y in range(y0, y1):
        bits = ''.join('1' if px[x, y] else '0' for x in range(x0, x1))
        bits += '0' * (-len(bits) % 4)
        rows.append(''.join('%x' % int(bits[i:i + 4], 2) for i in range(0, len(bits), 4)))
    return x1 - x0, y1 - y0, ''.join(rows)


def render(text, font, size, rng, clean=False):
    pad = size
    img = Image.new('L', (size * 3 + 2 * pad, size * 2 + 2 * pad), 0)
    d = ImageDraw.Draw(img)
    d.text((pad, pad), text, fill=255, font=font)
    if not clean:
        if rng.random() < 0.3:
            img = img.rotate(rng.uniform(-6, 6), resample=Image.BILINEAR)
        if rng.random() < 0.5:
            img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    # figures are binarised close to the background colour, which makes
    # strokes fat: low thresholds are as likely as high ones
    thr = rng.randint(15, 180) if not clean else 128
    return img.point(lambda v: 255 if v >= thr else 0).convert('1')


def mark(rng):
    """A plot-like mark: a tick, an error bar, a circle, a square, a short line."""
    s = rng.randint(8, 30)
    img = Image.new('L', (s + 4, s + 4), 0)
    d = ImageDraw.Draw(img)
    k = rng.randrange(5)
    if k == 0:
        d.ellipse([2, 2, s, s], outline=255, width=rng.randint(1, 3))
    elif k == 1:
        d.rectangle([2, 2, s, s], fill=255)
    elif k == 2:
        d.line([2, s // 2, s, s // 2], fill=255, width=rng.randint(1, 3))
        d.line([s // 2, 2, s // 2, s], fill=255, width=1)
    elif k == 3:
        d.line([2, 2, s, s], fill=255, width=rng.randint(1, 3))
    else:
        d.polygon([(2, s), (s // 2, 2), (s, s)], fill=255)
    return img.convert('1')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--per-class', type=int, default=300)
    ap.add_argument('--sheet', action='store_true')
    a = ap.parse_args()
    rng = random.Random(a.seed)
    fl = fonts()
    out = sys.stdout
    if a.sheet:
        picks = [f for f in fl if 'Mono' not in f][:40:3]
        for f in picks:
            for size in (14, 20, 28):
                font = ImageFont.truetype(f, size)
                for ch in LETTERS:
                    b = bitmap(render(ch, font, size, rng, clean=True))
                    if b:
                        out.write('%s %d %d %s\n' % ((ch,) + b))
        return
    for ch in LETTERS + ['-']:
        for _ in range(a.per_class if ch != '-' else a.per_class * 8):
            f = rng.choice(fl)
            size = rng.randint(9, 40)
            if ch == '-':
                if rng.random() < 0.25:
                    b = bitmap(mark(rng))
                else:
                    text = rng.choice(REJECT)
                    b = bitmap(render(text, ImageFont.truetype(f, size), size, rng))
            else:
                b = bitmap(render(ch, ImageFont.truetype(f, size), size, rng))
            if b:
                out.write('%s %d %d %s\n' % ((ch,) + b))


if __name__ == '__main__':
    main()
