package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/kyc"
)

const verificationColumns = `id, COALESCE(user_id, ''), api_key_id, reference, status, version, created_at, updated_at,
	document_status, similarity, reasons, decided_by, decided_at, submitted_at, erased_at, details,
	claimed_by, claimed_at, proposed_by`

func scanVerification(row interface{ Scan(...any) error }) (*kyc.Verification, error) {
	var v kyc.Verification
	var sim sql.NullFloat64
	var reasons string
	var decided, submitted, erased, claimed sql.NullTime
	err := row.Scan(&v.ID, &v.UserID, &v.APIKeyID, &v.Reference, &v.Status, &v.Version, &v.CreatedAt, &v.UpdatedAt,
		&v.DocumentStatus, &sim, &reasons, &v.DecidedBy, &decided, &submitted, &erased, &v.Details,
		&v.ClaimedBy, &claimed, &v.ProposedBy)
	if err != nil {
		return nil, err
	}
	v.CreatedAt, v.UpdatedAt = v.CreatedAt.UTC(), v.UpdatedAt.UTC()
	if sim.Valid {
		v.Similarity = &sim.Float64
	}
	v.Reasons = splitList(reasons)
	v.DecidedAt, v.SubmittedAt, v.ErasedAt, v.ClaimedAt = utcOrZero(decided), utcOrZero(submitted), utcOrZero(erased), utcOrZero(claimed)
	return &v, nil
}

func utcOrZero(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
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
	_, err := c.exec(ctx, `INSERT INTO verifications (id, user_id, api_key_id, reference, status, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, 1, $6, $6)`, v.ID, userID, v.APIKeyID, v.Reference, string(v.Status), now)
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

// SaveVerification writes every mutable field of v, provided the record is
// still at v.Version (optimistic concurrency) and, when the status changes,
// the state machine allows the move. It is the one way a verification
// changes after creation; v's Version and UpdatedAt are bumped.
func (c conn) SaveVerification(ctx context.Context, v *kyc.Verification) error {
	cur, err := c.GetVerification(ctx, v.ID)
	if err != nil {
		return err
	}
	if cur.Version != v.Version {
		return kyc.Errorf(kyc.Conflict, "verification %s changed meanwhile (version %d, not %d): reload and retry", v.ID, cur.Version, v.Version)
	}
	if cur.Status != v.Status {
		if err := kyc.CanTransition(cur.Status, v.Status); err != nil {
			return err
		}
	}
	var sim sql.NullFloat64
	if v.Similarity != nil {
		sim = sql.NullFloat64{Float64: *v.Similarity, Valid: true}
	}
	now := c.timestamp()
	res, err := c.exec(ctx, `UPDATE verifications SET status = $1, version = version + 1, updated_at = $2,
		document_status = $3, similarity = $4, reasons = $5, decided_by = $6, decided_at = $7, submitted_at = $8,
		erased_at = $9, details = $10, claimed_by = $11, claimed_at = $12, proposed_by = $13
		WHERE id = $14 AND version = $15`, string(v.Status), now, v.DocumentStatus, sim, strings.Join(v.Reasons, ","),
		v.DecidedBy, nullTime(v.DecidedAt), nullTime(v.SubmittedAt), nullTime(v.ErasedAt), v.Details,
		v.ClaimedBy, nullTime(v.ClaimedAt), v.ProposedBy, v.ID, v.Version)
	if err != nil {
		return fmt.Errorf("save verification: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return kyc.Errorf(kyc.Conflict, "verification %s changed meanwhile: reload and retry", v.ID)
	}
	v.Version++
	v.UpdatedAt = now
	return nil
}

// CountVerifications counts a user's verifications created since a time.
func (c conn) CountVerifications(ctx context.Context, userID string, since time.Time) (int, error) {
	var n int
	err := c.queryRow(ctx, `SELECT COUNT(*) FROM verifications WHERE user_id = $1 AND created_at >= $2`, userID, since.UTC()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count verifications: %w", err)
	}
	return n, nil
}

// DueForRetention lists decided verifications whose decision is older than
// before and whose data is not yet erased.
func (c conn) DueForRetention(ctx context.Context, before time.Time, limit int) ([]string, error) {
	return c.ids(ctx, "due for retention", `SELECT id FROM verifications
		WHERE decided_at IS NOT NULL AND decided_at < $1 AND erased_at IS NULL ORDER BY decided_at LIMIT $2`, before.UTC(), limit)
}

// StaleVerifications lists unfinished cases (not yet submitted) untouched
// since before.
func (c conn) StaleVerifications(ctx context.Context, before time.Time, limit int) ([]string, error) {
	return c.ids(ctx, "stale verifications", `SELECT id FROM verifications
		WHERE status IN ('created', 'liveness_passed', 'document_submitted') AND updated_at < $1 ORDER BY updated_at LIMIT $2`, before.UTC(), limit)
}

// ids runs a query of one text column.
func (c conn) ids(ctx context.Context, what, query string, args ...any) ([]string, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// VerificationFilter selects verifications for ListVerifications.
type VerificationFilter struct {
	Status kyc.Status // any when empty
	UserID string     // any when empty
	IDs    []string   // any when nil; none when empty but not nil
	Oldest bool       // oldest first (a work queue), not newest first
	Limit  int        // 50 when 0, at most 500
}

// ListVerifications returns verifications, newest first.
func (c conn) ListVerifications(ctx context.Context, f VerificationFilter) ([]*kyc.Verification, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	if f.IDs != nil && len(f.IDs) == 0 {
		return nil, nil
	}
	query := "SELECT " + verificationColumns + ` FROM verifications WHERE ($1 = '' OR status = $1) AND ($2 = '' OR user_id = $2)`
	args := []any{string(f.Status), f.UserID, limit}
	if f.IDs != nil {
		marks := make([]string, len(f.IDs))
		for i, id := range f.IDs {
			args = append(args, id)
			marks[i] = "$" + strconv.Itoa(len(args))
		}
		query += " AND id IN (" + strings.Join(marks, ", ") + ")"
	}
	order := " ORDER BY created_at DESC, id DESC"
	if f.Oldest {
		order = " ORDER BY created_at, id"
	}
	rows, err := c.query(ctx, query+order+" LIMIT $3", args...)
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

// LockVerification holds the verification's row until the transaction
// ends on PostgreSQL, so that requests counting something of it (the
// liveness sessions started against the cap) take turns; SQLite's
// immediate transactions serialise every writer already.
func (tx *Tx) LockVerification(ctx context.Context, id string) error {
	if tx.dialect != Postgres {
		return nil
	}
	var got string
	if err := tx.queryRow(ctx, "SELECT id FROM verifications WHERE id = $1 FOR UPDATE", id).Scan(&got); err != nil {
		return fmt.Errorf("lock verification: %w", err)
	}
	return nil
}
