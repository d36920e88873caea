-- Ladder agent database, migration 2: the competency model versions this
-- laptop holds, so that rating, gap analysis and certification work
-- offline against exactly the version an assessment pins.
--   version  the git blob id of `body` (DESIGN.md section 4): the same id
--            the hub's repository gives the same file
--   body     the model's canonical text (ldr_model_dump)
--   source   where it came from: 'file' (ladder model import) or 'hub'
-- The rowid orders versions of one model by arrival: the latest imported
-- is the default version for new assessments.
CREATE TABLE models (
    id          TEXT NOT NULL,
    version     TEXT NOT NULL CHECK (length(version) = 40),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL CHECK (json_valid(body)),
    source      TEXT NOT NULL DEFAULT 'file'
                CHECK (source IN ('file', 'hub')),
    imported_at TEXT NOT NULL
                DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (id, version)
) STRICT;

-- Lists by subject (assessments and notes of a person, gap analysis) read
-- this index instead of every record's JSON.
CREATE INDEX records_subject
    ON records (kind, json_extract(value, '$.subject'));
