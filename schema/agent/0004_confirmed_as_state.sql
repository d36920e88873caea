-- Ladder agent database, migration 4: a record's confirmed state that
-- equals its state is no longer written twice. From this version on,
-- `confirmed` IS NULL beside `rev` > 0 means "the same as `state`" (a
-- record never confirmed by the hub keeps rev 0); the writers keep it so
-- (agent/sync.c save_states, agent/store.c UPDATE_RECORD), and a program
-- older than this migration refuses the database rather than misread it.
-- Rows written before it are compacted once.
UPDATE records SET confirmed = NULL WHERE rev > 0 AND confirmed = state;
