#!/bin/sh
# dump.sh DB: a canonical text dump of what winnow-crawl wrote, for comparing
# two crawls: natural keys instead of row ids, no times or attempt counts, the
# mirror's port replaced by MIRROR, no esearch rows (their WebEnv is the
# history server's, new for every search).  Used by tests/e2e/t02*-crawl-*.sh.
sqlite3 -batch -noheader "$1" <<'SQL' | sed 's|127\.0\.0\.1:[0-9]*|MIRROR|g'
.mode list
.separator |
SELECT 'doc', d.source, d.source_id, d.base_id, d.version, d.pmid, d.doi, d.title,
       d.journal, d.url, d.license, d.license_url, d.published_at, d.is_retracted,
       (SELECT s.source_id FROM documents s WHERE s.id = d.superseded_by)
  FROM documents d ORDER BY d.source, d.source_id;
SELECT 'fig', d.source_id, f.ordinal, f.fig_id, f.label, f.caption, f.href, f.url,
       f.md5, f.is_thumbnail, i.sha256, f.status, f.reason
  FROM figures f JOIN documents d ON d.id = f.document_id
  LEFT JOIN images i ON i.id = f.image_id
 ORDER BY d.source_id, f.ordinal;
SELECT 'img', sha256, path, bytes, format, width, height FROM images ORDER BY sha256;
SELECT 'fetch', url, state, checksum, bytes, last_error FROM fetches
 WHERE url NOT LIKE '%/esearch.fcgi?%' ORDER BY url;   -- WebEnv differs per search
SELECT 'state', source, query, cursor FROM crawl_state ORDER BY source, query;
SQL
