-- winnow-hash, schema v3.
--
-- winnow-hash looks up the panels of each image it hashes: index them by image
-- so that this is not a scan of the panels table per image.
CREATE INDEX IF NOT EXISTS panels_image ON panels(image_id);

-- How a hashes row was computed: 'fast' (DCT-scaled decode, area resize) or
-- 'compat' (full decode, Pillow's greyscale and LANCZOS: phash, dhash and
-- ahash equal imagehash's).  pixel_sha256 is comparable only between rows of
-- one mode.
ALTER TABLE hashes ADD COLUMN mode TEXT CHECK (mode IS NULL OR mode IN ('fast', 'compat'));
