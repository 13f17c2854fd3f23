-- +goose Up
-- Hosted verification sessions: an integrator's key opens a case and gets a
-- link (and a client secret for the embedded flow) to hand to its user, who
-- needs no account. Credentials are looked up by their hashes; the first one
-- used opens the session in that browser (browser_hash, its cookie) and is
-- spent with the other. Metadata is the integrator's, echoed in webhooks
-- (not for personal data); expected data is sealed in the case's details;
-- the credentials are sealed too, for an idempotent retry of the creation.
CREATE TABLE hosted_sessions (
    id               TEXT PRIMARY KEY,
    verification_id  TEXT NOT NULL REFERENCES verifications (id) ON DELETE CASCADE,
    api_key_id       TEXT NOT NULL,
    link_hash        TEXT NOT NULL UNIQUE,
    secret_hash      TEXT NOT NULL UNIQUE,
    browser_hash     TEXT UNIQUE,
    return_url       TEXT NOT NULL DEFAULT '',
    embed_origin     TEXT NOT NULL DEFAULT '',
    metadata         TEXT NOT NULL DEFAULT '{}',
    credentials      BLOB,
    idempotency_key  TEXT,
    -- Cross-device hand-off: a short code (its hash, and sealed so that the
    -- first browser's page can show it again) that a second browser (a
    -- phone) claims once, before handoff_expires_at; phone_hash is its cookie.
    handoff_hash        TEXT UNIQUE,
    handoff_sealed      BLOB,
    handoff_expires_at  TIMESTAMP,
    phone_hash          TEXT UNIQUE,
    opened_at        TIMESTAMP,
    cancelled_at     TIMESTAMP,
    expires_at       TIMESTAMP NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    UNIQUE (api_key_id, idempotency_key)
);
CREATE INDEX hosted_sessions_key ON hosted_sessions (api_key_id, created_at);
CREATE INDEX hosted_sessions_verification ON hosted_sessions (verification_id);
-- The sites (origins) that may embed a key's sessions (space-separated);
-- a session opened embedded records its embedding origin.
ALTER TABLE api_keys ADD COLUMN embed_origins TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE api_keys DROP COLUMN embed_origins;
DROP TABLE hosted_sessions;
