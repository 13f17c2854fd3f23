-- +goose Up
-- Sign-in throttling keyed by a keyed hash of the e-mail address, whether or
-- not it has an account: unknown addresses lock like known ones, so the
-- lockout tells an attacker nothing. It replaces the users' own counters,
-- which a sign-in used to write back from a stale copy of the row.
CREATE TABLE login_attempts (
    key           TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_until  TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ NOT NULL
);
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until;

-- The API key that started a case (integrator cases); a key sees only its own.
ALTER TABLE verifications ADD COLUMN api_key_id TEXT NOT NULL DEFAULT '';
CREATE INDEX verifications_api_key ON verifications (api_key_id, created_at);
-- Keys that held the applicant role drive cases: that is the integrator role now.
UPDATE api_keys SET roles = REPLACE(roles, 'applicant', 'integrator');

-- One open liveness session per verification: close all but the newest open
-- one, then let the database refuse a second.
UPDATE liveness_sessions SET status = 'expired'
 WHERE status IN ('created', 'in_progress') AND id NOT IN (
    SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY verification_id ORDER BY created_at DESC, id DESC) AS rn
                      FROM liveness_sessions WHERE status IN ('created', 'in_progress')) newest
     WHERE rn = 1);
CREATE UNIQUE INDEX liveness_sessions_open ON liveness_sessions (verification_id) WHERE status IN ('created', 'in_progress');
-- A stream holds a session until lease_until, so one connection feeds it.
ALTER TABLE liveness_sessions ADD COLUMN lease_until TIMESTAMPTZ;

-- The full webhook URL (it may carry credentials) sealed; url keeps a
-- display form without them.
ALTER TABLE webhooks ADD COLUMN target BYTEA;

-- The head of the audit chain (count and last hash), sealed with the master
-- key, so that removing the newest events shows.
CREATE TABLE audit_head (
    id      TEXT PRIMARY KEY,
    sealed  BYTEA NOT NULL
);

-- +goose Down
DROP TABLE audit_head;
ALTER TABLE webhooks DROP COLUMN target;
ALTER TABLE liveness_sessions DROP COLUMN lease_until;
DROP INDEX liveness_sessions_open;
UPDATE api_keys SET roles = REPLACE(roles, 'integrator', 'applicant');
DROP INDEX verifications_api_key;
ALTER TABLE verifications DROP COLUMN api_key_id;
ALTER TABLE users ADD COLUMN locked_until TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
DROP TABLE login_attempts;
