-- Ladder agent database, migration 3: model versions that records here pin
-- and this laptop lacks. A pulled assessment or pilot notes its pin in the
-- transaction that merges it, so `ladder sync` knows what to download
-- without reading every record, even after an interrupted run; a version
-- is crossed off when it arrives.
CREATE TABLE model_wants (
    id      TEXT NOT NULL,
    version TEXT NOT NULL CHECK (length(version) = 40),
    PRIMARY KEY (id, version)
) STRICT, WITHOUT ROWID;

-- Pins of records merged before this migration, once.
INSERT OR IGNORE INTO model_wants (id, version)
SELECT DISTINCT json_extract(r.value, '$.model'),
       json_extract(r.value, '$.version')
  FROM records r
 WHERE r.kind IN ('assessment', 'pilot')
   AND json_type(r.value, '$.model') = 'text'
   AND length(json_extract(r.value, '$.version')) = 40
   AND NOT EXISTS (SELECT 1 FROM models m
                    WHERE m.id = json_extract(r.value, '$.model')
                      AND m.version = json_extract(r.value, '$.version'));
