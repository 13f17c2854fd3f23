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

const userColumns = `id, email, password_hash, status, roles, mfa_enabled, totp_secret, totp_last_step,
	failed_logins, locked_until, created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (*kyc.User, error) {
	var u kyc.User
	var roles string
	var locked sql.NullTime
	err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Status, &roles, &u.MFAEnabled, &u.TOTPSecret,
		&u.TOTPLastStep, &u.FailedLogins, &locked, &u.CreatedAt, &u.UpdatedAt)
	if err != nil {
		return nil, err
	}
	u.Roles = splitRoles(roles)
	if locked.Valid {
		u.LockedUntil = locked.Time.UTC()
	}
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return &u, nil
}

func splitRoles(s string) []kyc.Role {
	var out []kyc.Role
	for _, r := range splitList(s) {
		out = append(out, kyc.Role(r))
	}
	return out
}

func joinRoles(roles []kyc.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

func nullTime(t time.Time) sql.NullTime {
	return sql.NullTime{Time: t.UTC(), Valid: !t.IsZero()}
}

// CreateUser stores a new account; a taken e-mail address is a conflict.
func (c conn) CreateUser(ctx context.Context, u *kyc.User) error {
	now := c.timestamp()
	_, err := c.exec(ctx, `INSERT INTO users (id, email, password_hash, status, roles, mfa_enabled, totp_secret,
		totp_last_step, failed_logins, locked_until, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, FALSE, NULL, 0, 0, NULL, $6, $6)`,
		u.ID, u.Email, u.PasswordHash, string(u.Status), joinRoles(u.Roles), now)
	if isUniqueViolation(err) {
		return kyc.Errorf(kyc.Conflict, "an account with that e-mail address exists")
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	u.CreatedAt, u.UpdatedAt = now, now
	return nil
}

// GetUser returns the account with that id.
func (c conn) GetUser(ctx context.Context, id string) (*kyc.User, error) {
	u, err := scanUser(c.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}

// GetUserByEmail returns the account with that (normalised) address.
func (c conn) GetUserByEmail(ctx context.Context, email string) (*kyc.User, error) {
	u, err := scanUser(c.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE email = $1", email))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kyc.Errorf(kyc.NotFound, "no account with that e-mail address")
	}
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}

// UpdateUser writes every mutable field of an account back.
func (c conn) UpdateUser(ctx context.Context, u *kyc.User) error {
	u.UpdatedAt = c.timestamp()
	res, err := c.exec(ctx, `UPDATE users SET password_hash = $1, status = $2, roles = $3, mfa_enabled = $4,
		totp_secret = $5, totp_last_step = $6, failed_logins = $7, locked_until = $8, updated_at = $9 WHERE id = $10`,
		u.PasswordHash, string(u.Status), joinRoles(u.Roles), u.MFAEnabled, u.TOTPSecret, u.TOTPLastStep,
		u.FailedLogins, nullTime(u.LockedUntil), u.UpdatedAt, u.ID)
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return notFound("user", u.ID)
	}
	return nil
}

// ListUsers returns accounts, newest first.
func (c conn) ListUsers(ctx context.Context, limit int) ([]*kyc.User, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := c.query(ctx, "SELECT "+userColumns+" FROM users ORDER BY created_at DESC, id DESC LIMIT $1", limit)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []*kyc.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Code is a one-time code sent by e-mail (confirmation, password reset).
type Code struct {
	UserID    string
	Purpose   string
	Hash      string
	Attempts  int
	ExpiresAt time.Time
}

// PutCode stores a user's code for a purpose, replacing any earlier one.
func (c conn) PutCode(ctx context.Context, code *Code) error {
	now := c.timestamp()
	if _, err := c.exec(ctx, "DELETE FROM codes WHERE user_id = $1 AND purpose = $2", code.UserID, code.Purpose); err != nil {
		return fmt.Errorf("put code: %w", err)
	}
	_, err := c.exec(ctx, `INSERT INTO codes (user_id, purpose, code_hash, attempts, expires_at, created_at)
		VALUES ($1, $2, $3, 0, $4, $5)`, code.UserID, code.Purpose, code.Hash, code.ExpiresAt.UTC(), now)
	if err != nil {
		return fmt.Errorf("put code: %w", err)
	}
	return nil
}

// GetCode returns a user's current code for a purpose.
func (c conn) GetCode(ctx context.Context, userID, purpose string) (*Code, error) {
	code := Code{UserID: userID, Purpose: purpose}
	err := c.queryRow(ctx, "SELECT code_hash, attempts, expires_at FROM codes WHERE user_id = $1 AND purpose = $2",
		userID, purpose).Scan(&code.Hash, &code.Attempts, &code.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kyc.Errorf(kyc.NotFound, "no code was sent")
	}
	if err != nil {
		return nil, fmt.Errorf("get code: %w", err)
	}
	code.ExpiresAt = code.ExpiresAt.UTC()
	return &code, nil
}

// CountCodeAttempt records a wrong try at a code.
func (c conn) CountCodeAttempt(ctx context.Context, userID, purpose string) error {
	_, err := c.exec(ctx, "UPDATE codes SET attempts = attempts + 1 WHERE user_id = $1 AND purpose = $2", userID, purpose)
	return err
}

// DeleteCode removes a used code.
func (c conn) DeleteCode(ctx context.Context, userID, purpose string) error {
	_, err := c.exec(ctx, "DELETE FROM codes WHERE user_id = $1 AND purpose = $2", userID, purpose)
	return err
}

// SetRecoveryCodes replaces a user's MFA recovery codes (hashed).
func (c conn) SetRecoveryCodes(ctx context.Context, userID string, hashes []string) error {
	if _, err := c.exec(ctx, "DELETE FROM recovery_codes WHERE user_id = $1", userID); err != nil {
		return fmt.Errorf("set recovery codes: %w", err)
	}
	for _, h := range hashes {
		if _, err := c.exec(ctx, "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)", userID, h); err != nil {
			return fmt.Errorf("set recovery codes: %w", err)
		}
	}
	return nil
}

// UseRecoveryCode marks an unused recovery code used; it reports whether
// there was one.
func (c conn) UseRecoveryCode(ctx context.Context, userID, hash string) (bool, error) {
	res, err := c.exec(ctx, "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
		c.timestamp(), userID, hash)
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
