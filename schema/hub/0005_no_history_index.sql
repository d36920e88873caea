-- Ladder hub database, migration 5: drop the index of changes by record
-- and seq.
--
-- No query of the hub reads a record's history in seq order, and the
-- UNIQUE (kind, record, device, hlc) index of the same table already finds
-- a record's changes. Keeping it cost an insert at a random place of a
-- large index for every accepted change.
DROP INDEX changes_record;
