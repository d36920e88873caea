-- Ladder hub database, migration 6: the log and the records without a
-- json_valid() check on their JSON text, and the log without its
-- UNIQUE (changeset, change_index) index.
--
-- The hub writes changes.body and records.state only from its own writers
-- (ldr_change_write, ldr_record_write), whose output property tests parse
-- back, and it reads them with its own parser, which calls a damaged text
-- damaged. SQLite's check parsed each 2 KB text again on every insert:
-- about a tenth of the hub's work on a push. The index was read by no
-- query; the changesets table's key already applies a set once, in one
-- transaction. The other tables keep their checks: they are small and
-- written rarely.
--
-- SQLite cannot drop a check or a constraint in place, so both tables are
-- rebuilt the way its ALTER TABLE page describes (db.c turns foreign keys
-- off while a step runs and checks every row before COMMIT).

CREATE TABLE changes_new (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    record       TEXT NOT NULL,
    device       TEXT NOT NULL,
    author       TEXT NOT NULL,
    hlc          TEXT NOT NULL CHECK (length(hlc) = 19),
    base         INTEGER NOT NULL CHECK (base >= 0),
    body         TEXT NOT NULL,
    changeset    TEXT NOT NULL REFERENCES changesets (id)
                 DEFERRABLE INITIALLY DEFERRED,
    change_index INTEGER NOT NULL CHECK (change_index >= 0),
    received_at  TEXT NOT NULL
                 DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (kind, record, device, hlc)
) STRICT;

INSERT INTO changes_new (seq, kind, record, device, author, hlc, base, body,
                         changeset, change_index, received_at)
    SELECT seq, kind, record, device, author, hlc, base, body, changeset,
           change_index, received_at
    FROM changes ORDER BY seq;

-- Seqs are never reused, even those of a set that was rolled back.
DELETE FROM sqlite_sequence WHERE name = 'changes_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'changes_new', seq FROM sqlite_sequence WHERE name = 'changes';

DROP TABLE changes;
ALTER TABLE changes_new RENAME TO changes;

CREATE TABLE records_new (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    rev        INTEGER NOT NULL CHECK (rev >= 0),
    state      TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    unit       TEXT,
    subject    TEXT,
    author     TEXT,
    private    INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1)),
    PRIMARY KEY (kind, id)
) STRICT;

INSERT INTO records_new (kind, id, rev, state, updated_at, unit, subject,
                         author, private)
    SELECT kind, id, rev, state, updated_at, unit, subject, author, private
    FROM records;

DROP TABLE records;
ALTER TABLE records_new RENAME TO records;

-- A first sync reads current state, not history, paged in rev order.
CREATE INDEX records_rev ON records (rev);
