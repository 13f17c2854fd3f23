package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// TakeLoginAttempt counts one sign-in attempt against key (a keyed hash of
// the address, whether or not it has an account) before the password is
// checked, and locks the key for lock(n) from the n-th. It returns the
// attempt's number, or, while the key is locked, 0 and when the lock ends:
// a locked key takes no attempt, so parallel guesses get the attempts before
// the lock between them and no more. A sign-in that succeeds clears the key.
func (c conn) TakeLoginAttempt(ctx context.Context, key string, lock func(n int) time.Duration) (int, time.Time, error) {
	now := c.timestamp()
	var n int
	err := c.queryRow(ctx, `INSERT INTO login_attempts (key, failures, updated_at) VALUES ($1, 1, $2)
		ON CONFLICT (key) DO UPDATE SET failures = login_attempts.failures + 1, updated_at = $2
		WHERE login_attempts.locked_until IS NULL OR login_attempts.locked_until <= $2
		RETURNING failures`, key, now).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		var until sql.NullTime
		if err := c.queryRow(ctx, "SELECT locked_until FROM login_attempts WHERE key = $1", key).Scan(&until); err != nil {
			return 0, time.Time{}, fmt.Errorf("login attempt: %w", err)
		}
		return 0, until.Time.UTC(), nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("login attempt: %w", err)
	}
	if d := lock(n); d > 0 {
		if _, err := c.exec(ctx, "UPDATE login_attempts SET locked_until = $1 WHERE key = $2", now.Add(d), key); err != nil {
			return 0, time.Time{}, fmt.Errorf("login attempt: %w", err)
		}
	}
	return n, time.Time{}, nil
}

// ClearLoginAttempts forgets a key's attempts and lock (a sign-in that
// succeeded, a password reset).
func (c conn) ClearLoginAttempts(ctx context.Context, key string) error {
	if _, err := c.exec(ctx, "DELETE FROM login_attempts WHERE key = $1", key); err != nil {
		return fmt.Errorf("clear login attempts: %w", err)
	}
	return nil
}

// LoginAttempts returns a key's counted attempts and lock, for tests and the
// admin's view.
func (c conn) LoginAttempts(ctx context.Context, key string) (int, time.Time, error) {
	var n int
	var until sql.NullTime
	err := c.queryRow(ctx, "SELECT failures, locked_until FROM login_attempts WHERE key = $1", key).Scan(&n, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("login attempts: %w", err)
	}
	return n, until.Time.UTC(), nil
}

// ForgetLoginAttempts removes keys idle since before, unless still locked:
// the table holds only recent attempts.
func (c conn) ForgetLoginAttempts(ctx context.Context, before time.Time) (int64, error) {
	res, err := c.exec(ctx, `DELETE FROM login_attempts WHERE updated_at < $1 AND (locked_until IS NULL OR locked_until < $2)`,
		before.UTC(), c.timestamp())
	if err != nil {
		return 0, fmt.Errorf("forget login attempts: %w", err)
	}
	return res.RowsAffected()
}

// ReleaseLoginAttempt gives one attempt back (its password was right but the
// sign-in could not go on, as when the MFA code is still to come).
func (c conn) ReleaseLoginAttempt(ctx context.Context, key string) error {
	if _, err := c.exec(ctx, "UPDATE login_attempts SET failures = failures - 1 WHERE key = $1 AND failures > 0", key); err != nil {
		return fmt.Errorf("release login attempt: %w", err)
	}
	return nil
}
