-- winnow-split, schema v5.
--
-- What winnow-split has done to each figure, so that a rerun skips it even when
-- the work produced no rows (an empty caption, an image that cannot be decoded),
-- and which model versions did it.  NULL model = that half is not done yet.
CREATE TABLE split_state (
	figure_id      INTEGER PRIMARY KEY REFERENCES figures(id),
	panels_model   TEXT,              -- panel model version that split the image
	panels_error   TEXT,              -- why the image could not be split
	captions_model TEXT,              -- caption model version that split the caption
	captions_error TEXT,              -- why the caption could not be split
	split_at       TEXT NOT NULL
);
