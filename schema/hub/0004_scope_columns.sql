-- Ladder hub database, migration 4: a record keeps, beside its state, only
-- the fields of its value that scope checks read, instead of the whole
-- value.
--
-- Nothing at the hub reads a record's value but those checks: pulls send
-- the state, and agents compute the value themselves. Writing the value
-- (as long as the state without stamps) for every accepted change, and
-- parsing it again in every scope filter, was a large part of the cost
-- of a push and of a pull.
--   unit     person: its /unit
--   subject  assessment, note: the person id at /subject
--   author   note: its /author
--   private  note: 1 when /private is true
-- A column is NULL (private 0) for kinds it does not apply to.
ALTER TABLE records ADD COLUMN unit TEXT;
ALTER TABLE records ADD COLUMN subject TEXT;
ALTER TABLE records ADD COLUMN author TEXT;
ALTER TABLE records ADD COLUMN private INTEGER NOT NULL DEFAULT 0
    CHECK (private IN (0, 1));

UPDATE records SET
    unit = CASE WHEN kind = 'person'
                 AND json_type(value, '$.unit') = 'text'
                THEN json_extract(value, '$.unit') END,
    subject = CASE WHEN kind IN ('assessment', 'note')
                    AND json_type(value, '$.subject') = 'text'
                   THEN json_extract(value, '$.subject') END,
    author = CASE WHEN kind = 'note' AND json_type(value, '$.author') = 'text'
                  THEN json_extract(value, '$.author') END,
    private = kind = 'note' AND json_type(value, '$.private') = 'true';

ALTER TABLE records DROP COLUMN value;
