-- Ladder agent database, migration 1: the records this laptop holds, the
-- changes it made that the hub has not yet answered, and the conflicts its
-- merge found.
--
-- Conventions of every ladder schema (agent and hub):
--  * STRICT tables: a value of the wrong type is an error, never a silent
--    conversion.
--  * Times are TEXT, UTC RFC 3339 with milliseconds, as the defaults below
--    write them ('2025-11-26T16:46:00.123Z'): the form the JSON documents
--    use (DESIGN.md section 6), readable in the sqlite3 shell, and it
--    sorts as text in time order.
--  * JSON is TEXT checked with json_valid(); NULL in a value column means
--    "no value" (a removed field), JSON null is the text 'null'.
--  * HLC stamps are the fixed-width text form "1795711458123-00042"
--    (hlc.h), which sorts as text in clock order.
--  * db.c sets PRAGMA application_id and user_version in the transaction
--    that runs this file; a migration never begins or commits itself.

-- Settings and sync position of this device, one row per key. Keys:
--   device  this laptop's UUID, made once at init; part of every stamp
--   user    the author name the hub knows this user by
--   hub     the hub's URL
--   clock   the last HLC stamp issued or received, so that the clock never
--           goes back across restarts
--   cursor  the hub sequence up to which changes have been pulled; written
--           after every page, so an interrupted pull resumes there
-- There is no log of pulled changes on the agent: they are merged into
-- records.confirmed as they arrive, the hub keeps the history, and
-- `cursor` says how far the pull got. ANY keeps the cursor an integer.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value ANY NOT NULL
) STRICT;

-- One row per record, holding its whole state: every field with its value
-- and its stamp, in the canonical form of ldr_record_dump(). One row per
-- record, not per field, because a change is atomic per record and merge,
-- validation and display all work on whole records.
--
-- The agent keeps the hub's word apart from its own (DESIGN.md section 3):
--   confirmed  the state made of changes pulled from the hub only, up to
--              hub revision `rev`; NULL while the hub has confirmed nothing
--              of the record (created here and not yet accepted).
--   state      the view: confirmed merged with this device's changes still
--              'pending' or 'sent' in the outbox. After a rejection it is
--              rebuilt from confirmed and the remaining outbox changes.
--   value      ldr_record_value() of state: the plain JSON a user sees,
--              kept materialised so that queries can use json_extract().
CREATE TABLE records (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    rev        INTEGER NOT NULL DEFAULT 0 CHECK (rev >= 0),
    confirmed  TEXT CHECK (confirmed IS NULL OR json_valid(confirmed)),
    state      TEXT NOT NULL CHECK (json_valid(state)),
    value      TEXT NOT NULL CHECK (json_valid(value)),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (kind, id)
) STRICT;

-- The changes made on this device, in the order they were made, and the
-- hub's answer to each. AUTOINCREMENT: a seq is never reused, even after
-- answered rows are deleted.
--   change     the change document (change.h) exactly as it is sent
--   status     pending   not yet sent
--              sent      in change set `changeset`, not yet answered; a
--                        retry sends the same set with the same id, so the
--                        hub's exactly-once answer applies
--              accepted  the hub numbered it `rev`
--              rejected  the hub refused it for reject_code/reject_message
-- Rejections live here rather than in a table of their own: a change gets
-- exactly one answer, and the rejected list a person looks at is the rows
-- with status 'rejected' and dismissed_at NULL. Accepted rows may be
-- deleted once the pulled confirmed state contains them.
CREATE TABLE outbox (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind           TEXT NOT NULL,
    record         TEXT NOT NULL,
    hlc            TEXT NOT NULL CHECK (length(hlc) = 19),
    change         TEXT NOT NULL CHECK (json_valid(change)),
    status         TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'sent', 'accepted',
                                     'rejected')),
    changeset      TEXT,
    rev            INTEGER CHECK (rev > 0),
    reject_code    TEXT,
    reject_message TEXT,
    created_at     TEXT NOT NULL
                   DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    sent_at        TEXT,
    answered_at    TEXT,
    dismissed_at   TEXT,
    CHECK (status = 'pending' OR changeset IS NOT NULL),
    CHECK ((status = 'rejected') =
           (reject_code IS NOT NULL AND reject_message IS NOT NULL))
) STRICT;

-- Rebuilding one record's view reads its outbox changes in order.
CREATE INDEX outbox_record ON outbox (kind, record, seq);
-- A push reads the pending changes in order; the lists read by status.
CREATE INDEX outbox_status ON outbox (status, seq);

-- The conflict journal (DESIGN.md section 3): a concurrent write that lost
-- under last-writer-wins, with both sides, so that nothing is lost
-- silently. The agent records what its own merge reports while applying
-- pulled changes; hub and agents run the same merge and find the same
-- conflicts. A value is the field's JSON, NULL if that write removed it;
-- a rev is the hub revision of the write, NULL if not yet numbered.
-- The UNIQUE key makes recording idempotent: merging the same changes
-- again reports the same conflict, and INSERT OR IGNORE skips it. It also
-- serves lookups by record.
CREATE TABLE conflicts (
    id            INTEGER PRIMARY KEY,
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
    UNIQUE (kind, record, path, winner_hlc, winner_device, loser_hlc,
            loser_device)
) STRICT;
