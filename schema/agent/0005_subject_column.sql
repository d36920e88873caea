-- Ladder agent database, migration 5: a record keeps the person it is
-- about in a column of its own, and its JSON texts are no longer checked
-- with json_valid() on every write.
--
-- The index of records by subject was on json_extract(value, '$.subject'),
-- so every write of a record parsed its value once more; and the checks
-- on confirmed, state and value parsed each text again. Together that was
-- about a third of the laptop's work in a full pull (about 5 KB of JSON
-- parsed three times over per record). The agent writes these texts only
-- from its own writers (ldr_record_dump, ldr_record_write_value), reads
-- them with its own parser, and calls a damaged one damaged.
--   subject  the text at /subject of the value (assessments, notes, pilot
--            records), NULL when there is none; the writers
--            (agent/store.c, agent/sync.c) keep it so
--
-- SQLite cannot drop a check in place: the table is rebuilt the way its
-- ALTER TABLE page describes. No other table points to it.

CREATE TABLE records_new (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    rev        INTEGER NOT NULL DEFAULT 0 CHECK (rev >= 0),
    confirmed  TEXT,
    state      TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    subject    TEXT,
    PRIMARY KEY (kind, id)
) STRICT;

INSERT INTO records_new (kind, id, rev, confirmed, state, value, updated_at,
                         subject)
    SELECT kind, id, rev, confirmed, state, value, updated_at,
           CASE WHEN json_type(value, '$.subject') = 'text'
                THEN json_extract(value, '$.subject') END
    FROM records;

DROP TABLE records;
ALTER TABLE records_new RENAME TO records;

-- Lists by subject (assessments and notes of a person, gap analysis).
CREATE INDEX records_subject ON records (kind, subject);
