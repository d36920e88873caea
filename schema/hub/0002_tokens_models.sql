-- Ladder hub database, migration 2: who may call the hub, and the model
-- versions it validates changes against.

-- Bearer tokens. A token is "ldr_<id>_<secret>"; the hub keeps only the
-- SHA-256 of the secret and finds the row by id, then compares hashes in
-- constant time (DESIGN.md section 5).
--   role   assessor, trainer, hr or admin
--   scope  JSON array of the org units the principal may see and write
CREATE TABLE tokens (
    id          TEXT PRIMARY KEY NOT NULL,
    principal   TEXT NOT NULL,
    role        TEXT NOT NULL
                CHECK (role IN ('assessor', 'trainer', 'hr', 'admin')),
    scope       TEXT NOT NULL CHECK (json_valid(scope)),
    hash        TEXT NOT NULL CHECK (length(hash) = 64),
    created_at  TEXT NOT NULL
                DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    revoked_at  TEXT
) STRICT;

-- Model versions the hub can validate against, until the models issue
-- keeps them in git: `ladder-hub model add DIR FILE` puts one here.
--   version  the git blob id of body (ldr_model_version), as on agents
CREATE TABLE models (
    id          TEXT NOT NULL,
    version     TEXT NOT NULL CHECK (length(version) = 40),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL CHECK (json_valid(body)),
    added_at    TEXT NOT NULL
                DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (id, version)
) STRICT;

-- Scope checks find a subject's unit through the person records.
CREATE INDEX records_subject
    ON records (kind, json_extract(value, '$.subject'));
