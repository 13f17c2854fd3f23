-- +goose Up
CREATE TABLE verifications (
    id          TEXT PRIMARY KEY,
    user_id     TEXT,
    reference   TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX verifications_status_created ON verifications (status, created_at);
CREATE INDEX verifications_user ON verifications (user_id, created_at);

CREATE TABLE blobs (
    key              TEXT PRIMARY KEY,
    verification_id  TEXT REFERENCES verifications (id) ON DELETE SET NULL,
    kind             TEXT NOT NULL,
    size             BIGINT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX blobs_verification ON blobs (verification_id);

-- +goose Down
DROP TABLE blobs;
DROP TABLE verifications;
