-- +goose Up
-- The KYC journey: the document, the decision, the face template for the
-- duplicate search, webhooks and their deliveries. Personal data (the
-- document's analysis, the note) is in details, sealed by the caller.
ALTER TABLE verifications ADD COLUMN document_status TEXT NOT NULL DEFAULT '';
ALTER TABLE verifications ADD COLUMN similarity REAL;
ALTER TABLE verifications ADD COLUMN reasons TEXT NOT NULL DEFAULT '';
ALTER TABLE verifications ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';
ALTER TABLE verifications ADD COLUMN decided_at TIMESTAMP;
ALTER TABLE verifications ADD COLUMN submitted_at TIMESTAMP;
ALTER TABLE verifications ADD COLUMN erased_at TIMESTAMP;
ALTER TABLE verifications ADD COLUMN details BLOB;

CREATE TABLE face_templates (
    verification_id  TEXT PRIMARY KEY REFERENCES verifications (id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL DEFAULT '',
    embedding        BLOB NOT NULL,
    created_at       TIMESTAMP NOT NULL
);

CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    events      TEXT NOT NULL,
    secret      BLOB NOT NULL,
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP
);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event            TEXT NOT NULL,
    verification_id  TEXT NOT NULL DEFAULT '',
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_status      INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    delivered_at     TIMESTAMP
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE face_templates;
ALTER TABLE verifications DROP COLUMN details;
ALTER TABLE verifications DROP COLUMN erased_at;
ALTER TABLE verifications DROP COLUMN submitted_at;
ALTER TABLE verifications DROP COLUMN decided_at;
ALTER TABLE verifications DROP COLUMN decided_by;
ALTER TABLE verifications DROP COLUMN reasons;
ALTER TABLE verifications DROP COLUMN similarity;
ALTER TABLE verifications DROP COLUMN document_status;
