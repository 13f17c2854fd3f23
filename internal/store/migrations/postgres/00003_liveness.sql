-- +goose Up
CREATE TABLE liveness_sessions (
    id               TEXT PRIMARY KEY,
    verification_id  TEXT NOT NULL REFERENCES verifications (id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    state            BYTEA NOT NULL,
    confidence       DOUBLE PRECISION NOT NULL DEFAULT 0,
    reasons          TEXT NOT NULL DEFAULT '',
    reference_key    TEXT NOT NULL DEFAULT '',
    audit_keys       TEXT NOT NULL DEFAULT '',
    version          BIGINT NOT NULL DEFAULT 1,
    created_at       TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ
);
CREATE INDEX liveness_sessions_verification ON liveness_sessions (verification_id, created_at);

-- +goose Down
DROP TABLE liveness_sessions;
