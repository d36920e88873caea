-- Ladder hub database, migration 1: the merged records, the numbered log
-- of every accepted change, the change sets answered, and the conflict
-- journal and rejected list.
--
-- Conventions (the same as schema/agent/0001_init.sql):
--  * STRICT tables: a value of the wrong type is an error.
--  * Times are TEXT, UTC RFC 3339 with milliseconds, as the defaults below
--    write them ('2025-11-26T16:46:00.123Z'): the form the JSON documents
--    use, readable in the sqlite3 shell, sorting as text in time order.
--  * JSON is TEXT checked with json_valid(); NULL in a value column means
--    "no value" (a removed field), JSON null is the text 'null'.
--  * HLC stamps are the fixed-width text form "1795711458123-00042".
--  * db.c sets PRAGMA application_id and user_version in the transaction
--    that runs this file; a migration never begins or commits itself.

-- Settings of this hub, one row per key, e.g. `clock` (the last HLC stamp
-- seen, so that the clock never goes back across restarts).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value ANY NOT NULL
) STRICT;

-- Every change set the hub has answered, with its answer, so that a
-- retried upload (same id) gets the same answer and changes nothing:
-- exactly-once effect over an at-least-once network (DESIGN.md section 3).
--   digest     SHA-256 (lowercase hex) of the body received: the same id
--              with another body is a client bug and gets an error, not
--              the stored answer
--   answer     the JSON answer sent back
--   principal  who uploaded it (the token's principal)
-- The row is written in the transaction that applies the set, usually
-- last, once the answer is known: changes and rejections point at it
-- through foreign keys checked at COMMIT.
CREATE TABLE changesets (
    id          TEXT PRIMARY KEY NOT NULL,
    digest      TEXT NOT NULL CHECK (length(digest) = 64),
    principal   TEXT NOT NULL,
    answer      TEXT NOT NULL CHECK (json_valid(answer)),
    received_at TEXT NOT NULL
                DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- The log of accepted changes. seq is the global sequence that `pull
-- since=N` pages through and agents keep as their cursor; AUTOINCREMENT so
-- that a seq is never reused even if old rows are pruned one day.
--   base    the hub revision of the record the author had seen
--   body    the change document (change.h), canonical form
-- Every change arrives in a change set; one made at the hub itself is
-- wrapped in a change set of its own, so every row has a provenance.
-- A device never stamps two writes to a record alike, so (kind, record,
-- device, hlc) names a change: a change sent again in another set is
-- answered with the seq it already has, not logged twice.
CREATE TABLE changes (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    record       TEXT NOT NULL,
    device       TEXT NOT NULL,
    author       TEXT NOT NULL,
    hlc          TEXT NOT NULL CHECK (length(hlc) = 19),
    base         INTEGER NOT NULL CHECK (base >= 0),
    body         TEXT NOT NULL CHECK (json_valid(body)),
    changeset    TEXT NOT NULL REFERENCES changesets (id)
                 DEFERRABLE INITIALLY DEFERRED,
    change_index INTEGER NOT NULL CHECK (change_index >= 0),
    received_at  TEXT NOT NULL
                 DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (changeset, change_index),
    UNIQUE (kind, record, device, hlc)
) STRICT;

-- A record's history, in order.
CREATE INDEX changes_record ON changes (kind, record, seq);

-- One row per record: the merge of all its accepted changes, in the
-- canonical form of ldr_record_dump() (every field with its value and
-- stamp). One row per record, not per field, because a change is atomic
-- per record and merge and validation work on whole records.
--   rev    the seq of the latest change applied to the record
--   value  ldr_record_value() of state, materialised for queries and
--          reports (json_extract())
CREATE TABLE records (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    rev        INTEGER NOT NULL CHECK (rev >= 0),
    state      TEXT NOT NULL CHECK (json_valid(state)),
    value      TEXT NOT NULL CHECK (json_valid(value)),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (kind, id)
) STRICT;

-- A first sync reads current state, not history, paged in rev order.
CREATE INDEX records_rev ON records (rev);

-- The conflict journal: a concurrent write that lost under
-- last-writer-wins, with both sides, so that nothing is lost silently.
--   seq    the change whose merge found the conflict
--   *_rev  the seq of the winning and the losing write
-- A value is the field's JSON, NULL if that write removed the field.
-- The UNIQUE key makes recording idempotent (INSERT OR IGNORE) and serves
-- lookups by record.
CREATE TABLE conflicts (
    id            INTEGER PRIMARY KEY,
    seq           INTEGER NOT NULL REFERENCES changes (seq),
    kind          TEXT NOT NULL,
    record        TEXT NOT NULL,
    path          TEXT NOT NULL,
    winner_value  TEXT
                  CHECK (winner_value IS NULL OR json_valid(winner_value)),
    winner_hlc    TEXT NOT NULL CHECK (length(winner_hlc) = 19),
    winner_device TEXT NOT NULL,
    winner_author TEXT NOT NULL,
    winner_rev    INTEGER,
    loser_value   TEXT
                  CHECK (loser_value IS NULL OR json_valid(loser_value)),
    loser_hlc     TEXT NOT NULL CHECK (length(loser_hlc) = 19),
    loser_device  TEXT NOT NULL,
    loser_author  TEXT NOT NULL,
    loser_rev     INTEGER,
    detected_at   TEXT NOT NULL
                  DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    resolved_at   TEXT,
    resolved_by   TEXT,
    UNIQUE (kind, record, path, winner_hlc, winner_device, loser_hlc,
            loser_device)
) STRICT;

CREATE INDEX conflicts_seq ON conflicts (seq);
-- The dashboard lists the conflicts nobody has resolved yet.
CREATE INDEX conflicts_open ON conflicts (detected_at)
    WHERE resolved_at IS NULL;

-- The rejected list: a change that broke a domain rule, kept whole with
-- its reason, never dropped and never half-applied (DESIGN.md section 3).
--   change_index  its position in the change set
--   code          a stable reason name; message says it for a person
--   body          the change document as received
CREATE TABLE rejections (
    id           INTEGER PRIMARY KEY,
    changeset    TEXT NOT NULL REFERENCES changesets (id)
                 DEFERRABLE INITIALLY DEFERRED,
    change_index INTEGER NOT NULL CHECK (change_index >= 0),
    kind         TEXT NOT NULL,
    record       TEXT NOT NULL,
    device       TEXT NOT NULL,
    author       TEXT NOT NULL,
    hlc          TEXT NOT NULL CHECK (length(hlc) = 19),
    code         TEXT NOT NULL,
    message      TEXT NOT NULL,
    body         TEXT NOT NULL CHECK (json_valid(body)),
    rejected_at  TEXT NOT NULL
                 DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (changeset, change_index)
) STRICT;

-- A person's rejected list, and a record's.
CREATE INDEX rejections_author ON rejections (author, id);
CREATE INDEX rejections_record ON rejections (kind, record);
