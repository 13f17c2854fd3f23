-- +goose Up
CREATE TABLE liveness_sessions (
    id               TEXT PRIMARY KEY,
    verification_id  TEXT NOT NULL REFERENCES verifications (id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    state            BLOB NOT NULL,
    confidence       REAL NOT NULL DEFAULT 0,
    reasons          TEXT NOT NULL DEFAULT '',
    reference_key    TEXT NOT NULL DEFAULT '',
    audit_keys       TEXT NOT NULL DEFAULT '',
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TIMESTAMP NOT NULL,
    expires_at       TIMESTAMP NOT NULL,
    finished_at      TIMESTAMP
);
CREATE INDEX liveness_sessions_verification ON liveness_sessions (verification_id, created_at);

-- +goose Down
DROP TABLE liveness_sessions;
