package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kycd/kycd/internal/kyc"
)

// HostedSession is an integrator's hosted verification session: the case
// it opened and the hashes of the credentials that let a browser drive it.
type HostedSession struct {
	ID             string
	VerificationID string
	APIKeyID       string
	LinkHash       string // the url's token
	SecretHash     string // the client secret's
	BrowserHash    string // the cookie of the browser that opened it; empty until then
	ReturnURL      string
	EmbedOrigin    string // the site that embeds the opened session; "" when it is not embedded
	Metadata       string // JSON object, the integrator's
	Credentials    []byte // the link's and client secret's values, sealed by the caller
	IdempotencyKey string
	// The cross-device hand-off: the code's hash and sealed value, until
	// when it can be claimed, and the cookie hash of the browser that did.
	HandoffHash      string
	HandoffSealed    []byte
	HandoffExpiresAt time.Time
	PhoneHash        string
	OpenedAt         time.Time
	CancelledAt      time.Time
	ExpiresAt        time.Time
	CreatedAt        time.Time
}

const hostedColumns = `id, verification_id, api_key_id, link_hash, secret_hash, COALESCE(browser_hash, ''), return_url,
	embed_origin, metadata, credentials, COALESCE(idempotency_key, ''), COALESCE(handoff_hash, ''), handoff_sealed,
	handoff_expires_at, COALESCE(phone_hash, ''), opened_at, cancelled_at, expires_at, created_at`

func scanHosted(row interface{ Scan(...any) error }) (*HostedSession, error) {
	var h HostedSession
	var opened, cancelled, handoff sql.NullTime
	err := row.Scan(&h.ID, &h.VerificationID, &h.APIKeyID, &h.LinkHash, &h.SecretHash, &h.BrowserHash, &h.ReturnURL,
		&h.EmbedOrigin, &h.Metadata, &h.Credentials, &h.IdempotencyKey, &h.HandoffHash, &h.HandoffSealed,
		&handoff, &h.PhoneHash, &opened, &cancelled, &h.ExpiresAt, &h.CreatedAt)
	if err != nil {
		return nil, err
	}
	h.OpenedAt, h.CancelledAt, h.HandoffExpiresAt = utcOrZero(opened), utcOrZero(cancelled), utcOrZero(handoff)
	h.ExpiresAt, h.CreatedAt = h.ExpiresAt.UTC(), h.CreatedAt.UTC()
	return &h, nil
}

// CreateHosted stores a new hosted session. A second session with the same
// API key and idempotency key is a conflict.
func (c conn) CreateHosted(ctx context.Context, h *HostedSession) error {
	h.CreatedAt = c.timestamp()
	var idem sql.NullString
	if h.IdempotencyKey != "" {
		idem = sql.NullString{String: h.IdempotencyKey, Valid: true}
	}
	_, err := c.exec(ctx, `INSERT INTO hosted_sessions (id, verification_id, api_key_id, link_hash, secret_hash, return_url,
		metadata, credentials, idempotency_key, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		h.ID, h.VerificationID, h.APIKeyID, h.LinkHash, h.SecretHash, h.ReturnURL, h.Metadata, h.Credentials, idem,
		h.ExpiresAt.UTC(), h.CreatedAt)
	if isUniqueViolation(err) {
		return kyc.Errorf(kyc.Conflict, "a session with this idempotency key exists")
	}
	if err != nil {
		return fmt.Errorf("create hosted session: %w", err)
	}
	return nil
}

func (c conn) hostedWhere(ctx context.Context, cond string, args ...any) (*HostedSession, error) {
	h, err := scanHosted(c.queryRow(ctx, "SELECT "+hostedColumns+" FROM hosted_sessions WHERE "+cond, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kyc.Errorf(kyc.NotFound, "verification session not found")
	}
	if err != nil {
		return nil, fmt.Errorf("get hosted session: %w", err)
	}
	return h, nil
}

// GetHosted returns a session by id.
func (c conn) GetHosted(ctx context.Context, id string) (*HostedSession, error) {
	return c.hostedWhere(ctx, "id = $1", id)
}

// HostedByCredential returns the session whose link or client secret has
// that hash.
func (c conn) HostedByCredential(ctx context.Context, hash string) (*HostedSession, error) {
	return c.hostedWhere(ctx, "link_hash = $1 OR secret_hash = $1", hash)
}

// HostedByBrowser returns the session driven by the browser whose cookie
// has that hash: the one that opened it, or the one it was handed to.
func (c conn) HostedByBrowser(ctx context.Context, hash string) (*HostedSession, error) {
	return c.hostedWhere(ctx, "browser_hash = $1 OR phone_hash = $1", hash)
}

// HostedByHandoff returns the session whose hand-off code has that hash.
func (c conn) HostedByHandoff(ctx context.Context, hash string) (*HostedSession, error) {
	return c.hostedWhere(ctx, "handoff_hash = $1", hash)
}

// StartHandoff gives a session a hand-off code, unless it was handed off
// already; it reports whether it did.
func (c conn) StartHandoff(ctx context.Context, id, hash string, sealed []byte, expires time.Time) (bool, error) {
	return c.updateHosted(ctx, "start hand-off", `UPDATE hosted_sessions SET handoff_hash = $1, handoff_sealed = $2, handoff_expires_at = $3
		WHERE id = $4 AND phone_hash IS NULL AND cancelled_at IS NULL`, hash, sealed, expires.UTC(), id)
}

// ClaimHandoff hands a session to the browser with that cookie hash,
// provided its code is unclaimed and valid at now; it reports whether this
// call did (two phones racing: one wins).
func (c conn) ClaimHandoff(ctx context.Context, id, phoneHash string, now time.Time) (bool, error) {
	return c.updateHosted(ctx, "claim hand-off", `UPDATE hosted_sessions SET phone_hash = $1
		WHERE id = $2 AND phone_hash IS NULL AND cancelled_at IS NULL AND handoff_expires_at > $3`, phoneHash, id, now.UTC())
}

// HostedForVerification returns the session that opened a case, if any
// (not found otherwise).
func (c conn) HostedForVerification(ctx context.Context, verificationID string) (*HostedSession, error) {
	return c.hostedWhere(ctx, "verification_id = $1", verificationID)
}

// HostedByIdempotencyKey returns the key's session created with idem.
func (c conn) HostedByIdempotencyKey(ctx context.Context, apiKeyID, idem string) (*HostedSession, error) {
	return c.hostedWhere(ctx, "api_key_id = $1 AND idempotency_key = $2", apiKeyID, idem)
}

// updateHosted runs an UPDATE of one session and reports whether it
// changed the row (false: its condition no longer holds).
func (c conn) updateHosted(ctx context.Context, op, query string, args ...any) (bool, error) {
	res, err := c.exec(ctx, query, args...)
	if err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// OpenHosted spends a session's credentials for the browser with that
// cookie hash (embedded by embedOrigin, or ""), provided it is neither
// opened, cancelled nor expired at now; it reports whether this call did
// (two browsers racing: one wins).
func (c conn) OpenHosted(ctx context.Context, id, browserHash, embedOrigin string, now time.Time) (bool, error) {
	return c.updateHosted(ctx, "open hosted session", `UPDATE hosted_sessions SET opened_at = $1, browser_hash = $2, embed_origin = $3
		WHERE id = $4 AND opened_at IS NULL AND cancelled_at IS NULL AND expires_at > $1`, now.UTC(), browserHash, embedOrigin, id)
}

// CancelHosted cancels a session that is not cancelled yet; it reports
// whether this call did.
func (c conn) CancelHosted(ctx context.Context, id string, now time.Time) (bool, error) {
	return c.updateHosted(ctx, "cancel hosted session", `UPDATE hosted_sessions SET cancelled_at = $1 WHERE id = $2 AND cancelled_at IS NULL`,
		now.UTC(), id)
}

// ListHosted returns an API key's sessions, newest first, from the one
// after the session after (all when nil).
func (c conn) ListHosted(ctx context.Context, apiKeyID string, after *HostedSession, limit int) ([]*HostedSession, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	at, id := time.Now().AddDate(100, 0, 0).UTC(), ""
	if after != nil {
		at, id = after.CreatedAt, after.ID
	}
	rows, err := c.query(ctx, "SELECT "+hostedColumns+` FROM hosted_sessions WHERE api_key_id = $1
		AND (created_at < $2 OR created_at = $2 AND id < $3 OR $3 = '')
		ORDER BY created_at DESC, id DESC LIMIT $4`, apiKeyID, at, id, limit)
	if err != nil {
		return nil, fmt.Errorf("list hosted sessions: %w", err)
	}
	defer rows.Close()
	var out []*HostedSession
	for rows.Next() {
		h, err := scanHosted(rows)
		if err != nil {
			return nil, fmt.Errorf("list hosted sessions: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
