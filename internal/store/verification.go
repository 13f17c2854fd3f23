package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kycd/kycd/internal/kyc"
)

const verificationColumns = "id, COALESCE(user_id, ''), reference, status, version, created_at, updated_at"

func scanVerification(row interface{ Scan(...any) error }) (*kyc.Verification, error) {
	var v kyc.Verification
	err := row.Scan(&v.ID, &v.UserID, &v.Reference, &v.Status, &v.Version, &v.CreatedAt, &v.UpdatedAt)
	if err != nil {
		return nil, err
	}
	v.CreatedAt, v.UpdatedAt = v.CreatedAt.UTC(), v.UpdatedAt.UTC()
	return &v, nil
}

// CreateVerification stores a new verification, setting its version and
// times.
func (c conn) CreateVerification(ctx context.Context, v *kyc.Verification) error {
	if v.Status == "" {
		v.Status = kyc.StatusCreated
	}
	if err := v.Validate(); err != nil {
		return err
	}
	now := c.timestamp()
	var userID sql.NullString
	if v.UserID != "" {
		userID = sql.NullString{String: v.UserID, Valid: true}
	}
	_, err := c.exec(ctx, `INSERT INTO verifications (id, user_id, reference, status, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 1, $5, $5)`, v.ID, userID, v.Reference, string(v.Status), now)
	if isUniqueViolation(err) {
		return kyc.Errorf(kyc.Conflict, "verification %s already exists", v.ID)
	}
	if err != nil {
		return fmt.Errorf("create verification: %w", err)
	}
	v.Version, v.CreatedAt, v.UpdatedAt = 1, now, now
	return nil
}

// GetVerification returns the verification with that id.
func (c conn) GetVerification(ctx context.Context, id string) (*kyc.Verification, error) {
	v, err := scanVerification(c.queryRow(ctx, "SELECT "+verificationColumns+" FROM verifications WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("verification", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get verification: %w", err)
	}
	return v, nil
}

// SetVerificationStatus moves a verification to status to, provided it is
// still at version (optimistic concurrency: two requests that read the same
// version cannot both win) and the state machine allows the move.
func (c conn) SetVerificationStatus(ctx context.Context, id string, version int64, to kyc.Status) (*kyc.Verification, error) {
	cur, err := c.GetVerification(ctx, id)
	if err != nil {
		return nil, err
	}
	if cur.Version != version {
		return nil, kyc.Errorf(kyc.Conflict, "verification %s changed meanwhile (version %d, not %d): reload and retry", id, cur.Version, version)
	}
	if err := kyc.CanTransition(cur.Status, to); err != nil {
		return nil, err
	}
	now := c.timestamp()
	res, err := c.exec(ctx, `UPDATE verifications SET status = $1, version = version + 1, updated_at = $2
		WHERE id = $3 AND version = $4`, string(to), now, id, version)
	if err != nil {
		return nil, fmt.Errorf("update verification: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, kyc.Errorf(kyc.Conflict, "verification %s changed meanwhile: reload and retry", id)
	}
	cur.Status, cur.Version, cur.UpdatedAt = to, version+1, now
	return cur, nil
}

// VerificationFilter selects verifications for ListVerifications.
type VerificationFilter struct {
	Status kyc.Status // any when empty
	UserID string     // any when empty
	Limit  int        // 50 when 0, at most 500
}

// ListVerifications returns verifications, newest first.
func (c conn) ListVerifications(ctx context.Context, f VerificationFilter) ([]*kyc.Verification, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	rows, err := c.query(ctx, "SELECT "+verificationColumns+` FROM verifications
		WHERE ($1 = '' OR status = $1) AND ($2 = '' OR user_id = $2)
		ORDER BY created_at DESC, id DESC LIMIT $3`, string(f.Status), f.UserID, limit)
	if err != nil {
		return nil, fmt.Errorf("list verifications: %w", err)
	}
	defer rows.Close()
	var out []*kyc.Verification
	for rows.Next() {
		v, err := scanVerification(rows)
		if err != nil {
			return nil, fmt.Errorf("list verifications: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
