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
	created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (*kyc.User, error) {
	var u kyc.User
	var roles string
	err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Status, &roles, &u.MFAEnabled, &u.TOTPSecret,
		&u.TOTPLastStep, &u.CreatedAt, &u.UpdatedAt)
	if err != nil {
		return nil, err
	}
	u.Roles = splitRoles(roles)
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
		totp_last_step, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, FALSE, NULL, 0, $6, $6)`,
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

// LockUser returns the account with that id and, on PostgreSQL, holds its
// row until the transaction ends, so that a change made meanwhile by another
// request (a disable, a password reset) is either seen or waits for this one.
// SQLite's immediate transactions serialise every writer already.
func (tx *Tx) LockUser(ctx context.Context, id string) (*kyc.User, error) {
	q := "SELECT " + userColumns + " FROM users WHERE id = $1"
	if tx.dialect == Postgres {
		q += " FOR UPDATE"
	}
	u, err := scanUser(tx.queryRow(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user", id)
	}
	if err != nil {
		return nil, fmt.Errorf("lock user: %w", err)
	}
	return u, nil
}

// Each change to an account below writes only the columns it means to
// change, and most only when the row still holds what the caller saw: a
// request never writes back a stale copy of the row over another's change.

// updateUser runs an UPDATE of one account and reports whether it changed a
// row (false: the account is gone or its condition no longer holds).
// set and cond use the placeholders $1... for args; id comes after them.
func (c conn) updateUser(ctx context.Context, op, id, set, cond string, args ...any) (bool, error) {
	n := len(args)
	q := fmt.Sprintf("UPDATE users SET %s, updated_at = $%d WHERE id = $%d", set, n+1, n+2)
	if cond != "" {
		q += " AND " + cond
	}
	res, err := c.exec(ctx, q, append(args, c.timestamp(), id)...)
	if err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	changed, _ := res.RowsAffected()
	return changed == 1, nil
}

// SetUserStatus moves an account from status from to status to; it reports
// whether the account was in from.
func (c conn) SetUserStatus(ctx context.Context, id string, from, to kyc.UserStatus) (bool, error) {
	return c.updateUser(ctx, "set user status", id, "status = $1", "status = $2", string(to), string(from))
}

// SetUserRoles replaces an account's roles.
func (c conn) SetUserRoles(ctx context.Context, id string, roles []kyc.Role) error {
	ok, err := c.updateUser(ctx, "set user roles", id, "roles = $1", "", joinRoles(roles))
	if err == nil && !ok {
		return notFound("user", id)
	}
	return err
}

// SetPassword replaces an account's password hash, provided it is still
// oldHash (a concurrent change or reset wins over this one).
func (c conn) SetPassword(ctx context.Context, id, oldHash, newHash string) (bool, error) {
	return c.updateUser(ctx, "set password", id, "password_hash = $1", "password_hash = $2", newHash, oldHash)
}

// ResetPassword sets a new password hash after a reset code proved the
// address, confirming an unconfirmed account; a disabled one is left alone.
func (c conn) ResetPassword(ctx context.Context, id, newHash string) (bool, error) {
	return c.updateUser(ctx, "reset password", id,
		"password_hash = $1, status = CASE WHEN status = 'unconfirmed' THEN 'confirmed' ELSE status END",
		"status <> 'disabled'", newHash)
}

// SetTOTPSecret stores a new sealed TOTP secret while MFA is still off.
func (c conn) SetTOTPSecret(ctx context.Context, id string, sealed []byte) (bool, error) {
	return c.updateUser(ctx, "set totp secret", id, "totp_secret = $1, totp_last_step = 0", "mfa_enabled = FALSE", sealed)
}

// EnableMFA turns MFA on, provided the secret is still the one the code was
// checked against and the code's time step is new.
func (c conn) EnableMFA(ctx context.Context, id string, sealed []byte, step int64) (bool, error) {
	return c.updateUser(ctx, "enable mfa", id, "mfa_enabled = TRUE, totp_last_step = $1",
		"mfa_enabled = FALSE AND totp_secret = $2 AND totp_last_step < $1", step, sealed)
}

// UseTOTPStep records that a TOTP code of time step was accepted, provided
// no code of that step or a later one was: a code is spent once, however
// many requests present it at the same time.
func (c conn) UseTOTPStep(ctx context.Context, id string, step int64) (bool, error) {
	return c.updateUser(ctx, "use totp step", id, "totp_last_step = $1", "totp_last_step < $1", step)
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

// TryCode takes one of a code's tries before it is compared: it counts the
// try and returns the code, provided fewer than max tries were taken. Parallel
// guesses therefore get max tries between them, not max each. It returns a
// not_found error when no code was sent and an expired one when the tries
// are used up.
func (c conn) TryCode(ctx context.Context, userID, purpose string, max int) (*Code, error) {
	code := Code{UserID: userID, Purpose: purpose}
	err := c.queryRow(ctx, `UPDATE codes SET attempts = attempts + 1 WHERE user_id = $1 AND purpose = $2 AND attempts < $3
		RETURNING code_hash, attempts, expires_at`, userID, purpose, max).Scan(&code.Hash, &code.Attempts, &code.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		if _, gerr := c.GetCode(ctx, userID, purpose); gerr != nil {
			return nil, gerr
		}
		return nil, kyc.Errorf(kyc.Expired, "too many wrong tries: ask for a new code")
	}
	if err != nil {
		return nil, fmt.Errorf("try code: %w", err)
	}
	code.ExpiresAt = code.ExpiresAt.UTC()
	return &code, nil
}

// SpendCode deletes a code that matched, provided it is still the one
// compared: of two requests with the right code, one spends it.
func (c conn) SpendCode(ctx context.Context, userID, purpose, hash string) (bool, error) {
	res, err := c.exec(ctx, "DELETE FROM codes WHERE user_id = $1 AND purpose = $2 AND code_hash = $3", userID, purpose, hash)
	if err != nil {
		return false, fmt.Errorf("spend code: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
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
