package account

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/store"
)

// Me returns the principal's own account.
func (s *Service) Me(ctx context.Context, p *kyc.Principal) (*kyc.User, error) {
	if p.UserID == "" {
		return nil, kyc.Errorf(kyc.Forbidden, "an API key has no account")
	}
	return s.db.GetUser(ctx, p.UserID)
}

// CreateUser makes a confirmed account directly, for the first admin
// (kycd user create) and for operators.
func (s *Service) CreateUser(ctx context.Context, email, pw string, roles []kyc.Role) (*kyc.User, error) {
	u, err := s.newUser(email, pw, kyc.UserConfirmed, roles)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, "create user", func(tx *store.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return audit(ctx, tx, "admin.user.create", "cli", u.ID, map[string]string{"roles": joinRoles(roles)})
	})
	return u, err
}

// ListUsers returns accounts for an admin.
func (s *Service) ListUsers(ctx context.Context, limit int) ([]*kyc.User, error) {
	return s.db.ListUsers(ctx, limit)
}

// SetRoles replaces a user's roles. An admin cannot take the admin role from
// themself, so the pool always keeps one.
func (s *Service) SetRoles(ctx context.Context, p *kyc.Principal, userID string, roles []kyc.Role) (*kyc.User, error) {
	var u *kyc.User
	err := s.db.InTx(ctx, "set roles", func(tx *store.Tx) error {
		var err error
		if u, err = tx.LockUser(ctx, userID); err != nil {
			return err
		}
		if userID == p.UserID && u.HasRole(kyc.RoleAdmin) && !slices.Contains(roles, kyc.RoleAdmin) {
			return kyc.Errorf(kyc.Conflict, "you cannot remove your own admin role")
		}
		before := joinRoles(u.Roles)
		u.Roles = roles
		if err := tx.SetUserRoles(ctx, u.ID, roles); err != nil {
			return err
		}
		return audit(ctx, tx, "admin.roles.change", p.ID(), u.ID, map[string]string{"from": before, "to": joinRoles(roles)})
	})
	return u, err
}

// SetDisabled disables (revoking every session and token) or re-enables a
// user.
func (s *Service) SetDisabled(ctx context.Context, p *kyc.Principal, userID string, disabled bool) (*kyc.User, error) {
	var u *kyc.User
	err := s.db.InTx(ctx, "set disabled", func(tx *store.Tx) error {
		var err error
		if u, err = tx.LockUser(ctx, userID); err != nil {
			return err
		}
		if userID == p.UserID && disabled {
			return kyc.Errorf(kyc.Conflict, "you cannot disable your own account")
		}
		action, from, to := "admin.user.enable", kyc.UserDisabled, kyc.UserConfirmed
		if disabled {
			action, from, to = "admin.user.disable", u.Status, kyc.UserDisabled
			if err := tx.RevokeUserTokens(ctx, u.ID); err != nil {
				return err
			}
		}
		if u.Status == from {
			if _, err := tx.SetUserStatus(ctx, u.ID, from, to); err != nil {
				return err
			}
			u.Status = to
		}
		return audit(ctx, tx, action, p.ID(), u.ID, nil)
	})
	return u, err
}

// CreateAPIKey makes an API key with roles; the key is returned once and
// stored only as its hash.
func (s *Service) CreateAPIKey(ctx context.Context, p *kyc.Principal, name string, roles []kyc.Role, embedOrigins []string) (*store.APIKey, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 || !kyc.PlainText(name) {
		return nil, "", kyc.Errorf(kyc.Invalid, "the key needs a name of 1 to 100 characters of plain text")
	}
	origins, err := embedOriginsOf(roles, embedOrigins)
	if err != nil {
		return nil, "", err
	}
	value, hash := kyc.NewSecret("kak")
	k := &store.APIKey{ID: kyc.NewID(nil, "key"), Name: name, Hash: hash, Roles: roles, CreatedBy: p.ID(), EmbedOrigins: origins}
	err = s.db.InTx(ctx, "create api key", func(tx *store.Tx) error {
		if err := tx.AddAPIKey(ctx, k); err != nil {
			return err
		}
		return audit(ctx, tx, "apikey.create", p.ID(), k.ID, map[string]string{"roles": joinRoles(roles)})
	})
	if err != nil {
		return nil, "", err
	}
	return k, value, nil
}

// embedOriginsOf checks the sites that may embed a key's sessions: origins,
// at most 10, for a key that creates sessions (an integrator's).
func embedOriginsOf(roles []kyc.Role, list []string) ([]string, error) {
	if len(list) > 10 {
		return nil, kyc.Errorf(kyc.Invalid, "at most 10 embedding origins")
	}
	if len(list) > 0 && !slices.Contains(roles, kyc.RoleIntegrator) {
		return nil, kyc.Errorf(kyc.Invalid, "only an integrator's key has sessions to embed")
	}
	out := []string{}
	for _, o := range list {
		c, err := kyc.ParseOrigin(o)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// SetEmbedOrigins replaces the sites that may embed a key's verification
// sessions (in a modal iframe, with /sdk/kycd.js).
func (s *Service) SetEmbedOrigins(ctx context.Context, p *kyc.Principal, id string, list []string) (*store.APIKey, error) {
	k, err := s.db.GetAPIKey(ctx, id)
	if err != nil {
		return nil, err
	}
	origins, err := embedOriginsOf(k.Roles, list)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, "set embed origins", func(tx *store.Tx) error {
		if _, err := tx.SetEmbedOrigins(ctx, id, origins); err != nil {
			return err
		}
		return audit(ctx, tx, "apikey.embed_origins", p.ID(), id, map[string]string{"origins": strings.Join(origins, " ")})
	})
	if err != nil {
		return nil, err
	}
	k.EmbedOrigins = origins
	return k, nil
}

// ListAPIKeys returns every API key (never their values).
func (s *Service) ListAPIKeys(ctx context.Context) ([]*store.APIKey, error) {
	return s.db.ListAPIKeys(ctx)
}

// RevokeAPIKey revokes a key.
func (s *Service) RevokeAPIKey(ctx context.Context, p *kyc.Principal, id string) error {
	return s.db.InTx(ctx, "revoke api key", func(tx *store.Tx) error {
		ok, err := tx.RevokeAPIKey(ctx, id)
		if err != nil {
			return err
		}
		if !ok {
			return kyc.Errorf(kyc.NotFound, "no live API key %s", id)
		}
		return audit(ctx, tx, "apikey.revoke", p.ID(), id, nil)
	})
}

func (s *Service) authenticateAPIKey(ctx context.Context, value string) (*kyc.Principal, error) {
	k, err := s.db.GetAPIKeyByHash(ctx, kyc.HashSecret(value))
	if err != nil && kyc.ErrorCode(err) != kyc.Unauthorized {
		// The database failed, not the key: an integrator told "invalid key"
		// during an outage would rotate a good key (503 when unreachable).
		return nil, err
	}
	if err != nil || !k.RevokedAt.IsZero() {
		return nil, kyc.Errorf(kyc.Unauthorized, "invalid or revoked API key")
	}
	if s.now().Sub(k.LastUsedAt) > time.Minute {
		if err := s.db.TouchAPIKey(ctx, k.ID); err != nil {
			return nil, err
		}
	}
	return &kyc.Principal{APIKeyID: k.ID, Roles: k.Roles}, nil
}

func joinRoles(roles []kyc.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}
