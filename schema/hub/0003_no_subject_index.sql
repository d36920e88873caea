-- Ladder hub database, migration 3: drop the index of records by subject.
--
-- Migration 2 made it for scope checks, but they find a subject's unit
-- from the person record's id (records' primary key), and no query of the
-- hub looks records up by subject. Keeping it cost a json_extract() of
-- every record value the hub writes. (Agents keep theirs: they list a
-- person's assessments by it.)
DROP INDEX records_subject;
