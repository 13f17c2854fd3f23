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

// Token kinds.
const (
	TokenSession = "session" // the web UI's cookie
	TokenAccess  = "access"  // an API access token
	TokenRefresh = "refresh" // an API refresh token
)

// Token is a bearer credential, stored only as the hash of its value.
type Token struct {
	Hash          string
	Kind          string
	UserID        string
	Family        string // tokens issued at one sign-in share a family
	ExpiresAt     time.Time
	IdleExpiresAt time.Time // zero when the kind has no idle expiry
	UsedAt        time.Time // when a refresh token was spent
	RevokedAt     time.Time
	CreatedAt     time.Time
}

// AddToken stores a token.
func (c conn) AddToken(ctx context.Context, t *Token) error {
	t.CreatedAt = c.timestamp()
	_, err := c.exec(ctx, `INSERT INTO tokens (hash, kind, user_id, family, expires_at, idle_expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, t.Hash, t.Kind, t.UserID, t.Family, t.ExpiresAt.UTC(),
		nullTime(t.IdleExpiresAt), t.CreatedAt)
	if err != nil {
		return fmt.Errorf("add token: %w", err)
	}
	return nil
}

// GetToken returns the token with that hash, revoked or not.
func (c conn) GetToken(ctx context.Context, hash string) (*Token, error) {
	t, err := scanToken(c.queryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kyc.Errorf(kyc.Unauthorized, "unknown token")
	}
	if err != nil {
		return nil, fmt.Errorf("get token: %w", err)
	}
	return t, nil
}

const tokenColumns = `hash, kind, user_id, family, expires_at, idle_expires_at, used_at, revoked_at, created_at`

func scanToken(row interface{ Scan(...any) error }, more ...any) (*Token, error) {
	var t Token
	var idle, used, revoked sql.NullTime
	if err := row.Scan(append([]any{&t.Hash, &t.Kind, &t.UserID, &t.Family, &t.ExpiresAt, &idle, &used, &revoked, &t.CreatedAt}, more...)...); err != nil {
		return nil, err
	}
	t.ExpiresAt, t.CreatedAt = t.ExpiresAt.UTC(), t.CreatedAt.UTC()
	t.IdleExpiresAt, t.UsedAt, t.RevokedAt = utcOrZero(idle), utcOrZero(used), utcOrZero(revoked)
	return &t, nil
}

// GetTokenUser returns a token and its account in one query: the
// authentication of every request.
func (c conn) GetTokenUser(ctx context.Context, hash string) (*Token, *kyc.User, error) {
	var t *Token
	u, err := scanUser(scanFunc(func(dest ...any) error {
		var err error
		t, err = scanToken(c.queryRow(ctx, `SELECT `+qualified("t.", tokenColumns)+`, `+qualified("u.", userColumns)+`
			FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1`, hash), dest...)
		return err
	}))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, kyc.Errorf(kyc.Unauthorized, "unknown token")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("get token: %w", err)
	}
	return t, u, nil
}

// scanFunc is a row whose Scan is a function.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// qualified prefixes each of a column list's names.
func qualified(prefix, columns string) string {
	fields := strings.Split(columns, ",")
	for i, f := range fields {
		fields[i] = prefix + strings.TrimSpace(f)
	}
	return strings.Join(fields, ", ")
}

// SpendToken marks a refresh token used, provided nobody spent it first; it
// reports whether this call did.
func (c conn) SpendToken(ctx context.Context, hash string) (bool, error) {
	res, err := c.exec(ctx, "UPDATE tokens SET used_at = $1 WHERE hash = $2 AND used_at IS NULL AND revoked_at IS NULL", c.timestamp(), hash)
	if err != nil {
		return false, fmt.Errorf("spend token: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// TouchToken moves a session's idle expiry forward.
func (c conn) TouchToken(ctx context.Context, hash string, idleExpires time.Time) error {
	_, err := c.exec(ctx, "UPDATE tokens SET idle_expires_at = $1 WHERE hash = $2", idleExpires.UTC(), hash)
	return err
}

// RevokeToken revokes one token.
func (c conn) RevokeToken(ctx context.Context, hash string) error {
	_, err := c.exec(ctx, "UPDATE tokens SET revoked_at = $1 WHERE hash = $2 AND revoked_at IS NULL", c.timestamp(), hash)
	return err
}

// RevokeFamily revokes every token issued at one sign-in.
func (c conn) RevokeFamily(ctx context.Context, family string) error {
	_, err := c.exec(ctx, "UPDATE tokens SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL", c.timestamp(), family)
	return err
}

// RevokeUserTokens revokes every token and session of a user.
func (c conn) RevokeUserTokens(ctx context.Context, userID string) error {
	_, err := c.exec(ctx, "UPDATE tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL", c.timestamp(), userID)
	return err
}

// APIKey is an integrator's credential, stored only as a hash.
type APIKey struct {
	ID         string
	Name       string
	Hash       string
	Roles      []kyc.Role
	CreatedBy  string
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
	// EmbedOrigins are the sites (scheme://host[:port]) that may embed
	// the key's verification sessions.
	EmbedOrigins []string
}

// AddAPIKey stores a new API key.
func (c conn) AddAPIKey(ctx context.Context, k *APIKey) error {
	k.CreatedAt = c.timestamp()
	_, err := c.exec(ctx, `INSERT INTO api_keys (id, name, key_hash, roles, created_by, created_at, embed_origins)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, k.ID, k.Name, k.Hash, joinRoles(k.Roles), k.CreatedBy, k.CreatedAt,
		strings.Join(k.EmbedOrigins, " "))
	if err != nil {
		return fmt.Errorf("add api key: %w", err)
	}
	return nil
}

const apiKeyColumns = "id, name, key_hash, roles, created_by, created_at, last_used_at, revoked_at, embed_origins"

func scanAPIKey(row interface{ Scan(...any) error }) (*APIKey, error) {
	var k APIKey
	var roles, origins string
	var used, revoked sql.NullTime
	if err := row.Scan(&k.ID, &k.Name, &k.Hash, &roles, &k.CreatedBy, &k.CreatedAt, &used, &revoked, &origins); err != nil {
		return nil, err
	}
	k.EmbedOrigins = strings.Fields(origins)
	k.Roles = splitRoles(roles)
	k.CreatedAt = k.CreatedAt.UTC()
	if used.Valid {
		k.LastUsedAt = used.Time.UTC()
	}
	if revoked.Valid {
		k.RevokedAt = revoked.Time.UTC()
	}
	return &k, nil
}

// GetAPIKeyByHash returns the API key whose value hashes to hash.
func (c conn) GetAPIKeyByHash(ctx context.Context, hash string) (*APIKey, error) {
	k, err := scanAPIKey(c.queryRow(ctx, "SELECT "+apiKeyColumns+" FROM api_keys WHERE key_hash = $1", hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kyc.Errorf(kyc.Unauthorized, "unknown API key")
	}
	if err != nil {
		return nil, fmt.Errorf("get api key: %w", err)
	}
	return k, nil
}

// GetAPIKey returns the API key with that id, revoked or not.
func (c conn) GetAPIKey(ctx context.Context, id string) (*APIKey, error) {
	k, err := scanAPIKey(c.queryRow(ctx, "SELECT "+apiKeyColumns+" FROM api_keys WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("API key", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get api key: %w", err)
	}
	return k, nil
}

// SetEmbedOrigins replaces the sites that may embed a key's sessions; it
// reports whether the key exists.
func (c conn) SetEmbedOrigins(ctx context.Context, id string, origins []string) (bool, error) {
	res, err := c.exec(ctx, "UPDATE api_keys SET embed_origins = $1 WHERE id = $2", strings.Join(origins, " "), id)
	if err != nil {
		return false, fmt.Errorf("set embed origins: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ListAPIKeys returns every API key, newest first.
func (c conn) ListAPIKeys(ctx context.Context) ([]*APIKey, error) {
	rows, err := c.query(ctx, "SELECT "+apiKeyColumns+" FROM api_keys ORDER BY created_at DESC, id")
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	defer rows.Close()
	var out []*APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list api keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// TouchAPIKey records that a key was used.
func (c conn) TouchAPIKey(ctx context.Context, id string) error {
	_, err := c.exec(ctx, "UPDATE api_keys SET last_used_at = $1 WHERE id = $2", c.timestamp(), id)
	return err
}

// RevokeAPIKey revokes a key; it reports whether there was a live one.
func (c conn) RevokeAPIKey(ctx context.Context, id string) (bool, error) {
	res, err := c.exec(ctx, "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", c.timestamp(), id)
	if err != nil {
		return false, fmt.Errorf("revoke api key: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
