package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/kyc"
)

// LivenessSession is a liveness check's record. State is the checker's
// progress, sealed by the caller (it holds a face embedding).
type LivenessSession struct {
	ID             string
	VerificationID string
	UserID         string
	Status         string // created, in_progress, succeeded, failed, expired
	State          []byte
	Confidence     float64
	Reasons        []string
	ReferenceKey   string
	AuditKeys      []string
	Version        int64
	CreatedAt      time.Time
	ExpiresAt      time.Time
	FinishedAt     time.Time
}

const livenessColumns = `id, verification_id, user_id, status, state, confidence, reasons, reference_key, audit_keys,
	version, created_at, expires_at, finished_at`

func scanLiveness(row interface{ Scan(...any) error }) (*LivenessSession, error) {
	var l LivenessSession
	var reasons, audit string
	var finished sql.NullTime
	err := row.Scan(&l.ID, &l.VerificationID, &l.UserID, &l.Status, &l.State, &l.Confidence, &reasons, &l.ReferenceKey,
		&audit, &l.Version, &l.CreatedAt, &l.ExpiresAt, &finished)
	if err != nil {
		return nil, err
	}
	l.Reasons, l.AuditKeys = splitList(reasons), splitList(audit)
	l.CreatedAt, l.ExpiresAt = l.CreatedAt.UTC(), l.ExpiresAt.UTC()
	if finished.Valid {
		l.FinishedAt = finished.Time.UTC()
	}
	return &l, nil
}

// splitList reads a comma-separated column, skipping empty items.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item != "" {
			out = append(out, item)
		}
	}
	return out
}

// CreateLiveness stores a new session.
func (c conn) CreateLiveness(ctx context.Context, l *LivenessSession) error {
	l.CreatedAt, l.Version = c.timestamp(), 1
	_, err := c.exec(ctx, `INSERT INTO liveness_sessions (id, verification_id, user_id, status, state, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, l.ID, l.VerificationID, l.UserID, l.Status, l.State, l.CreatedAt, l.ExpiresAt.UTC())
	if isUniqueViolation(err) {
		return kyc.Errorf(kyc.Conflict, "another liveness check of this verification is open: finish that one")
	}
	if err != nil {
		return fmt.Errorf("create liveness session: %w", err)
	}
	return nil
}

// GetLiveness returns a session.
func (c conn) GetLiveness(ctx context.Context, id string) (*LivenessSession, error) {
	l, err := scanLiveness(c.queryRow(ctx, "SELECT "+livenessColumns+" FROM liveness_sessions WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("liveness session", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get liveness session: %w", err)
	}
	return l, nil
}

// SaveLiveness writes a session back if nobody changed it since it was read
// at l.Version (two uses of one session cannot both win); it bumps Version.
func (c conn) SaveLiveness(ctx context.Context, l *LivenessSession) error {
	var finished sql.NullTime
	if !l.FinishedAt.IsZero() {
		finished = sql.NullTime{Time: l.FinishedAt.UTC(), Valid: true}
	}
	res, err := c.exec(ctx, `UPDATE liveness_sessions SET status = $1, state = $2, confidence = $3, reasons = $4,
		reference_key = $5, audit_keys = $6, finished_at = $7, version = version + 1 WHERE id = $8 AND version = $9`,
		l.Status, l.State, l.Confidence, strings.Join(l.Reasons, ","), l.ReferenceKey, strings.Join(l.AuditKeys, ","),
		finished, l.ID, l.Version)
	if err != nil {
		return fmt.Errorf("save liveness session: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return kyc.Errorf(kyc.Conflict, "the liveness session is being used by another request")
	}
	l.Version++
	return nil
}

// CountLiveness counts every session started on a verification, whatever
// became of it: the attempt cap counts draws, not only failures, so that
// redrawing the challenges until a favourable draw costs attempts.
func (c conn) CountLiveness(ctx context.Context, verificationID string) (int, error) {
	var n int
	err := c.queryRow(ctx, `SELECT COUNT(*) FROM liveness_sessions WHERE verification_id = $1`, verificationID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count liveness sessions: %w", err)
	}
	return n, nil
}

// EndOpenLiveness ends the open sessions of a verification (all when
// verificationID is empty) that expired before now, as expired; with
// abandon, it also ends the ones still running, as failed (reason
// abandoned), so that a new session can start: one is open at a time. It
// returns how many it ended.
func (c conn) EndOpenLiveness(ctx context.Context, verificationID string, now time.Time, abandon bool) (int64, error) {
	now = now.UTC()
	res, err := c.exec(ctx, `UPDATE liveness_sessions SET status = 'expired', reasons = 'expired', finished_at = $1, version = version + 1
		WHERE status IN ('created', 'in_progress') AND expires_at <= $1 AND ($2 = '' OR verification_id = $2)`, now, verificationID)
	if err != nil {
		return 0, fmt.Errorf("end open liveness sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	if abandon && verificationID != "" {
		res, err = c.exec(ctx, `UPDATE liveness_sessions SET status = 'failed', reasons = 'abandoned', finished_at = $1, version = version + 1
			WHERE status IN ('created', 'in_progress') AND verification_id = $2`, now, verificationID)
		if err != nil {
			return 0, fmt.Errorf("end open liveness sessions: %w", err)
		}
		m, _ := res.RowsAffected()
		n += m
	}
	return n, nil
}

// LeaseLiveness gives a session to one connection until until, unless
// another holds it: a session is fed by one stream at a time. It reports
// whether the lease was taken.
func (c conn) LeaseLiveness(ctx context.Context, id string, until time.Time) (bool, error) {
	res, err := c.exec(ctx, `UPDATE liveness_sessions SET lease_until = $1 WHERE id = $2 AND (lease_until IS NULL OR lease_until <= $3)`,
		until.UTC(), id, c.timestamp())
	if err != nil {
		return false, fmt.Errorf("lease liveness session: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReleaseLiveness ends a session's lease.
func (c conn) ReleaseLiveness(ctx context.Context, id string) error {
	if _, err := c.exec(ctx, "UPDATE liveness_sessions SET lease_until = NULL WHERE id = $1", id); err != nil {
		return fmt.Errorf("release liveness session: %w", err)
	}
	return nil
}

// ListLivenessImages returns the image keys every session of a
// verification recorded.
func (c conn) ListLivenessImages(ctx context.Context, verificationID string) ([]string, error) {
	rows, err := c.query(ctx, "SELECT reference_key, audit_keys FROM liveness_sessions WHERE verification_id = $1", verificationID)
	if err != nil {
		return nil, fmt.Errorf("list liveness images: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ref, audit string
		if err := rows.Scan(&ref, &audit); err != nil {
			return nil, fmt.Errorf("list liveness images: %w", err)
		}
		if ref != "" {
			out = append(out, ref)
		}
		out = append(out, splitList(audit)...)
	}
	return out, rows.Err()
}

// LatestLiveness returns the newest session of a verification with a status
// (any when empty), or a not_found error.
func (c conn) LatestLiveness(ctx context.Context, verificationID, status string) (*LivenessSession, error) {
	l, err := scanLiveness(c.queryRow(ctx, "SELECT "+livenessColumns+` FROM liveness_sessions
		WHERE verification_id = $1 AND ($2 = '' OR status = $2) ORDER BY created_at DESC, id DESC LIMIT 1`, verificationID, status))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kyc.Errorf(kyc.NotFound, "no liveness session")
	}
	if err != nil {
		return nil, fmt.Errorf("latest liveness session: %w", err)
	}
	return l, nil
}
