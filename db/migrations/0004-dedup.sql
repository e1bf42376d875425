-- winnow-dedup, schema v4.
--
-- What winnow-dedup has already matched (its incremental state) and the region
-- descriptor of each hashes row: 37 windows of a trimmed 16x16 thumbnail, each a
-- little-endian float32 scale followed by 256 int8 values (see dedup/dedup-region.h).
-- A row with checked_at set has been compared with everything hashed before it.
CREATE TABLE dedup_items (
	hash_id    INTEGER PRIMARY KEY REFERENCES hashes(id),
	region     BLOB,                  -- NULL: no descriptor (flat or unreadable)
	content_w  INTEGER,               -- size without uniform borders
	content_h  INTEGER,
	checked_at TEXT                   -- NULL: descriptor stored, not matched yet
);

-- Captions and post texts as winnow-dedup normalised them: exact-duplicate key,
-- MinHash signature (128 little-endian uint32) and whether the text is boilerplate
-- ("Scale bar, 50 um.") that is never grouped.
CREATE TABLE dedup_texts (
	figure_id   INTEGER PRIMARY KEY REFERENCES figures(id),
	norm_sha256 TEXT,
	minhash     BLOB,
	boilerplate INTEGER NOT NULL DEFAULT 0 CHECK (boilerplate IN (0, 1)),
	checked_at  TEXT NOT NULL
);
CREATE INDEX dedup_texts_sha ON dedup_texts(norm_sha256);

CREATE INDEX IF NOT EXISTS duplicates_panel ON duplicates(panel_id);
CREATE INDEX IF NOT EXISTS duplicates_figure ON duplicates(figure_id);
CREATE INDEX IF NOT EXISTS pairs_image ON pairs(image_id);
CREATE INDEX IF NOT EXISTS pairs_panel ON pairs(panel_id);

-- curated_pairs also leaves out pairs of non-representative duplicates, including
-- pairs that winnow-pair creates after winnow-dedup ran: an image that duplicates
-- another (in every figure, or only in the figure named), or a duplicate panel.
DROP VIEW curated_pairs;
CREATE VIEW curated_pairs AS
SELECT p.id          AS pair_id,
       i.path        AS image_path,
       p.x           AS x,
       p.y           AS y,
       p.w           AS w,
       p.h           AS h,
       p.caption     AS caption,
       d.source      AS source,
       d.source_id   AS source_id,
       d.license     AS license,
       p.split       AS split,
       p.created_at  AS created_at,
       p.figure_id   AS figure_id,
       p.panel_id    AS panel_id,
       p.image_id    AS image_id
  FROM pairs p
  JOIN figures f   ON f.id = p.figure_id
  JOIN documents d ON d.id = f.document_id
  JOIN images i    ON i.id = p.image_id
 WHERE p.status = 'kept'
   AND d.is_retracted = 0
   AND d.superseded_by IS NULL
   AND NOT EXISTS (SELECT 1 FROM duplicates x
                    WHERE x.is_representative = 0 AND x.kind = 'image'
                      AND x.image_id = p.image_id AND x.panel_id IS NULL
                      AND (x.figure_id IS NULL OR x.figure_id = p.figure_id))
   AND NOT EXISTS (SELECT 1 FROM duplicates x
                    WHERE x.is_representative = 0 AND x.kind = 'panel'
                      AND p.panel_id IS NOT NULL AND x.panel_id = p.panel_id);
