-- winnow schema v1.
--
-- One database per curation (or per shard).  Every stage reads and writes it; the
-- images themselves live in a content-addressed store beside it (images.path is
-- relative to that store).  Times are UTC text "YYYY-MM-DDTHH:MM:SSZ".
-- Rows are never deleted to drop something: dropped items keep a reason code from
-- the `reasons` table, so every drop can be queried.

-- Why an item was dropped.  Stages add codes with their migrations.
CREATE TABLE reasons (
	code        TEXT PRIMARY KEY,
	description TEXT NOT NULL
);
INSERT INTO reasons (code, description) VALUES
	('duplicate',   'a near or exact duplicate of a kept item (see duplicates)'),
	('retracted',   'the article is retracted'),
	('superseded',  'a newer version of the article exists'),
	('license',     'the licence does not allow reuse for training'),
	('no-caption',  'no caption or sub-caption text to pair with'),
	('no-image',    'the figure has no retrievable image'),
	('bad-image',   'the image could not be decoded'),
	('too-small',   'the image or panel is below the minimum size'),
	('non-figure',  'not a figure (table image, logo, equation)'),
	('sensitive',   'the post is marked sensitive'),
	('reblog',      'a reblog or repost of another post'),
	('leakage',     'a near duplicate of an item in another split'),
	('unlabeled',   'a panel whose label has no sub-caption');

-- Articles (one row per article version) and social posts.
CREATE TABLE documents (
	id            INTEGER PRIMARY KEY,
	source        TEXT NOT NULL CHECK (source IN
	                ('pmc', 'europepmc', 'mastodon', 'bluesky', 'twitter', 'file')),
	source_id     TEXT NOT NULL,      -- 'PMC11370360.2', a status id, an at:// URI
	base_id       TEXT,               -- the id without version: 'PMC11370360'
	version       INTEGER,            -- article version; NULL for posts
	pmid          TEXT,
	doi           TEXT,
	title         TEXT,
	journal       TEXT,
	author        TEXT,               -- posts: account handle
	url           TEXT,               -- landing page
	license       TEXT,               -- normalised: 'CC BY', 'CC BY-NC-ND', 'CC0', 'public domain', 'other'
	license_url   TEXT,
	text          TEXT,               -- posts: the post text (HTML stripped)
	lang          TEXT,
	published_at  TEXT,
	updated_at    TEXT,
	is_retracted  INTEGER NOT NULL DEFAULT 0 CHECK (is_retracted IN (0, 1)),
	is_sensitive  INTEGER NOT NULL DEFAULT 0 CHECK (is_sensitive IN (0, 1)),
	is_reblog     INTEGER NOT NULL DEFAULT 0 CHECK (is_reblog IN (0, 1)),
	superseded_by INTEGER REFERENCES documents(id),   -- newer version of this article
	parent_id     INTEGER REFERENCES documents(id),   -- the post this one replies to
	created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	UNIQUE (source, source_id)
);
CREATE INDEX documents_base ON documents(source, base_id);

-- A figure of an article, or a media attachment of a post, with its caption.
CREATE TABLE figures (
	id           INTEGER PRIMARY KEY,
	document_id  INTEGER NOT NULL REFERENCES documents(id),
	ordinal      INTEGER NOT NULL,    -- 0-based position in the document
	fig_id       TEXT,                -- JATS fig/@id, or the attachment id
	label        TEXT,                -- 'Figure 2', 'Fig. 1—figure supplement 1'
	caption      TEXT,                -- plain text: title + paragraphs, markup removed
	alt_text     TEXT,                -- posts: the attachment's description
	href         TEXT,                -- as named by the source (xlink:href, media URL)
	url          TEXT,                -- the URL the image was fetched from
	md5          TEXT,                -- checksum published by the source, if any
	is_thumbnail INTEGER NOT NULL DEFAULT 0 CHECK (is_thumbnail IN (0, 1)),
	image_id     INTEGER REFERENCES images(id),       -- NULL until fetched
	status       TEXT NOT NULL DEFAULT 'pending'
	               CHECK (status IN ('pending', 'ok', 'failed', 'dropped')),
	reason       TEXT REFERENCES reasons(code),       -- when failed or dropped
	created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	UNIQUE (document_id, ordinal)
);
CREATE INDEX figures_image ON figures(image_id);

-- Image files, content-addressed: one row per distinct SHA-256, however many
-- figures share the bytes.  path is relative to the store ('ab/ab12...ef.jpg').
CREATE TABLE images (
	id         INTEGER PRIMARY KEY,
	sha256     TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
	path       TEXT NOT NULL,
	bytes      INTEGER NOT NULL,
	format     TEXT,                  -- 'jpeg', 'png', 'webp', 'gif'
	width      INTEGER,
	height     INTEGER,
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Panels of a compound figure, found by winnow-split.  A figure that is not
-- compound has one panel covering the whole image.
CREATE TABLE panels (
	id        INTEGER PRIMARY KEY,
	figure_id INTEGER NOT NULL REFERENCES figures(id),
	image_id  INTEGER NOT NULL REFERENCES images(id),
	ordinal   INTEGER NOT NULL,       -- reading order
	x         INTEGER NOT NULL,
	y         INTEGER NOT NULL,
	w         INTEGER NOT NULL CHECK (w > 0),
	h         INTEGER NOT NULL CHECK (h > 0),
	label     TEXT NOT NULL DEFAULT '',   -- printed label read from the image, '' if none
	score     REAL,
	model     TEXT,                   -- model name and version that produced it
	UNIQUE (figure_id, ordinal)
);

-- Sub-captions of a figure's caption.  Shared text (title, closing sentences that
-- apply to every panel) has is_shared = 1 and labels '[]'.
CREATE TABLE subcaptions (
	id        INTEGER PRIMARY KEY,
	figure_id INTEGER NOT NULL REFERENCES figures(id),
	ordinal   INTEGER NOT NULL,
	labels    TEXT NOT NULL DEFAULT '[]',  -- JSON array of labels: '["A","B"]'
	is_shared INTEGER NOT NULL DEFAULT 0 CHECK (is_shared IN (0, 1)),
	start     INTEGER NOT NULL,       -- offsets in code points into figures.caption
	end       INTEGER NOT NULL,
	text      TEXT NOT NULL,
	model     TEXT,
	UNIQUE (figure_id, ordinal)
);

-- Image-caption pairs, kept or dropped with a reason.
CREATE TABLE pairs (
	id         INTEGER PRIMARY KEY,
	figure_id  INTEGER NOT NULL REFERENCES figures(id),
	panel_id   INTEGER REFERENCES panels(id),  -- NULL: the whole image
	image_id   INTEGER NOT NULL REFERENCES images(id),
	x          INTEGER NOT NULL,
	y          INTEGER NOT NULL,
	w          INTEGER NOT NULL,
	h          INTEGER NOT NULL,
	caption    TEXT NOT NULL,
	status     TEXT NOT NULL CHECK (status IN ('kept', 'dropped')),
	reason     TEXT REFERENCES reasons(code),
	split      TEXT CHECK (split IN ('train', 'val', 'test')),
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	CHECK ((status = 'kept') = (reason IS NULL))
);
CREATE UNIQUE INDEX pairs_unit ON pairs(figure_id, COALESCE(panel_id, 0));

-- Duplicate groups.  One row per member; the representative has is_representative
-- = 1.  kind says what was compared; method and distance how the member matched
-- the representative ('sha256', 'pdq', 'pdq-dihedral', 'pdq-inverted', 'phash',
-- 'embedding', 'caption-minhash', ...).
CREATE TABLE duplicates (
	id                INTEGER PRIMARY KEY,
	group_id          INTEGER NOT NULL,
	kind              TEXT NOT NULL CHECK (kind IN ('image', 'panel', 'caption', 'embedding')),
	image_id          INTEGER REFERENCES images(id),
	panel_id          INTEGER REFERENCES panels(id),
	figure_id         INTEGER REFERENCES figures(id),
	is_representative INTEGER NOT NULL DEFAULT 0 CHECK (is_representative IN (0, 1)),
	method            TEXT NOT NULL,
	distance          REAL,
	created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX duplicates_group ON duplicates(group_id);
CREATE INDEX duplicates_image ON duplicates(image_id);

-- Perceptual and exact hashes of an image (panel_id NULL) or of a panel's crop.
-- pdq is 32 bytes (256 bits, the reference bit order), pdq_dihedral the 8 dihedral
-- hashes concatenated (original, rot90, rot180, rot270, flipX, flipY, flip+1,
-- flip-1); phash, dhash and ahash are 64-bit integers in imagehash's bit order.
CREATE TABLE hashes (
	id           INTEGER PRIMARY KEY,
	image_id     INTEGER NOT NULL REFERENCES images(id),
	panel_id     INTEGER REFERENCES panels(id),
	pixel_sha256 TEXT,                -- SHA-256 of the decoded pixels
	pdq          BLOB CHECK (pdq IS NULL OR length(pdq) = 32),
	pdq_quality  INTEGER,
	pdq_dihedral BLOB CHECK (pdq_dihedral IS NULL OR length(pdq_dihedral) = 256),
	phash        INTEGER,
	dhash        INTEGER,
	ahash        INTEGER,
	error        TEXT,                -- why the image could not be hashed
	created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX hashes_unit ON hashes(image_id, COALESCE(panel_id, 0));

-- Embeddings brought by users (CONCH, UNI, CLIP...), L2-normalised float32
-- little-endian, for an image or a panel.
CREATE TABLE embeddings (
	id       INTEGER PRIMARY KEY,
	image_id INTEGER REFERENCES images(id),
	panel_id INTEGER REFERENCES panels(id),
	model    TEXT NOT NULL,
	dim      INTEGER NOT NULL CHECK (dim > 0),
	vector   BLOB NOT NULL CHECK (length(vector) = 4 * dim),
	CHECK (image_id IS NOT NULL OR panel_id IS NOT NULL)
);
CREATE UNIQUE INDEX embeddings_unit ON embeddings(model, COALESCE(image_id, 0), COALESCE(panel_id, 0));

-- The per-URL ledger of every fetch, so a rerun retries only what failed and skips
-- what is unchanged.  URLs are stored without credentials (api_key removed).
CREATE TABLE fetches (
	id            INTEGER PRIMARY KEY,
	url           TEXT NOT NULL UNIQUE,
	state         TEXT NOT NULL DEFAULT 'pending'
	                CHECK (state IN ('pending', 'done', 'failed', 'gone')),
	attempts      INTEGER NOT NULL DEFAULT 0,
	http_status   INTEGER,
	etag          TEXT,
	last_modified TEXT,
	checksum      TEXT,               -- 'sha256:...' of the body, or 'md5:...' verified
	bytes         INTEGER,
	last_error    TEXT,
	first_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	last_at       TEXT
);
CREATE INDEX fetches_state ON fetches(state);

-- Cursors for refreshes: per source and query, where the last run stopped.
CREATE TABLE crawl_state (
	source      TEXT NOT NULL,
	query       TEXT NOT NULL,
	cursor      TEXT,                 -- last date, cursorMark, max_id, ...
	last_run_at TEXT,
	PRIMARY KEY (source, query)
);

-- Every tool run: which tool, version and arguments (secrets masked), what it did.
CREATE TABLE runs (
	id          INTEGER PRIMARY KEY,
	tool        TEXT NOT NULL,
	version     TEXT NOT NULL,
	args        TEXT,
	started_at  TEXT NOT NULL,
	finished_at TEXT,
	status      INTEGER,              -- exit status
	summary     TEXT
);

-- What training code reads: kept, non-duplicate pairs of current, unretracted
-- documents.  image_path is relative to the store; x, y, w, h the panel's box in
-- that image (the whole image when not split).
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
   AND d.superseded_by IS NULL;
