-- +goose Up
-- Review work: a reviewer's claim on a case (so that two reviewers do not
-- work one case), the reviewer whose decision waits for a second one
-- (four-eyes; the proposal itself is sealed in the case's details), and
-- the keyed hashes of the names and document number that the console
-- searches by: never the values themselves.
ALTER TABLE verifications ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE verifications ADD COLUMN claimed_at TIMESTAMP;
ALTER TABLE verifications ADD COLUMN proposed_by TEXT NOT NULL DEFAULT '';
CREATE TABLE verification_terms (
    term            TEXT NOT NULL,
    verification_id TEXT NOT NULL REFERENCES verifications (id) ON DELETE CASCADE,
    PRIMARY KEY (term, verification_id)
);
CREATE INDEX verification_terms_case ON verification_terms (verification_id);

-- +goose Down
DROP TABLE verification_terms;
ALTER TABLE verifications DROP COLUMN proposed_by;
ALTER TABLE verifications DROP COLUMN claimed_at;
ALTER TABLE verifications DROP COLUMN claimed_by;
