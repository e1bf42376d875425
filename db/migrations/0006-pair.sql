-- winnow-pair, schema v6.
--
-- Which model versions a pair came from: the panel detector and the caption
-- splitter that produced the panel and sub-captions it was built from
-- ("panels-1.0+0a1b2c3d captions-...").  NULL for pairs made without them.
ALTER TABLE pairs ADD COLUMN model TEXT;

-- Pairs by split, for exports of one split.
CREATE INDEX IF NOT EXISTS pairs_split ON pairs(split, status);
