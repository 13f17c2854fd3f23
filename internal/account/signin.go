package account

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/password"
	"github.com/kycd/kycd/internal/store"
	"github.com/kycd/kycd/internal/totp"
)

var timeZero time.Time

// Tokens are what a sign-in or refresh issues.
type Tokens struct {
	AccessToken      string
	RefreshToken     string
	ExpiresIn        int // seconds until the access token expires
	Session          string
	SessionExpiresAt time.Time
	UserID           string
}

// lockFor is how long an account is locked after n failed attempts: 2^(n−5)
// seconds from the fifth on, capped at 15 minutes.
func lockFor(n int) time.Duration {
	if n < LockAfter {
		return 0
	}
	d := time.Duration(math.Pow(2, float64(n-LockAfter))) * time.Second
	if n-LockAfter > 20 || d > MaxLock {
		return MaxLock
	}
	return d
}

func lockedErr(d time.Duration) error {
	secs := int(math.Ceil(d.Seconds()))
	return &kyc.Error{Code: kyc.Locked, Message: fmt.Sprintf("too many failed attempts: try again in %d seconds", secs),
		RetryAfter: time.Duration(secs) * time.Second}
}

// SignIn checks an e-mail and password (and the TOTP or recovery code when
// MFA is on) and issues a web session and an access/refresh token pair.
func (s *Service) SignIn(ctx context.Context, email, pw, mfaCode string) (*Tokens, error) {
	wrong := kyc.Errorf(kyc.Unauthorized, "wrong e-mail address or password")
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		password.Verify(pw, s.dummy, s.opts.Password) // same work as for a real account
		s.db.InTx(ctx, func(tx *store.Tx) error {
			return audit(ctx, tx, "auth.signin.failure", "anonymous", "", map[string]string{"reason": "unknown_account"})
		})
		return nil, wrong
	}
	now := s.now()
	if now.Before(u.LockedUntil) {
		s.db.InTx(ctx, func(tx *store.Tx) error {
			return audit(ctx, tx, "auth.signin.failure", u.ID, u.ID, map[string]string{"reason": "locked"})
		})
		return nil, lockedErr(u.LockedUntil.Sub(now))
	}
	ok, rehash := password.Verify(pw, u.PasswordHash, s.opts.Password)
	if !ok {
		return nil, s.failSignIn(ctx, u, "password", wrong)
	}
	switch u.Status {
	case kyc.UserDisabled:
		return nil, kyc.Errorf(kyc.Forbidden, "this account is disabled")
	case kyc.UserUnconfirmed:
		return nil, kyc.Errorf(kyc.Forbidden, "confirm your e-mail address first: enter the code we sent you")
	}
	usedRecovery := ""
	if u.MFAEnabled {
		if strings.TrimSpace(mfaCode) == "" {
			return nil, kyc.Errorf(kyc.MFARequired, "enter the code from your authenticator app")
		}
		step, err := s.checkMFA(ctx, u, mfaCode)
		if err == nil && step == 0 {
			// A recovery code: spend it now, once, whatever happens next.
			var used bool
			if used, err = s.db.UseRecoveryCode(ctx, u.ID, recoveryHash(u.ID, mfaCode)); err == nil && !used {
				err = errors.New("unknown or used recovery code")
			}
			usedRecovery = "true"
		}
		if err != nil {
			return nil, s.failSignIn(ctx, u, "mfa", kyc.Errorf(kyc.Unauthorized, "wrong authenticator code"))
		}
		if step > 0 {
			u.TOTPLastStep = step
		}
	}
	var tokens *Tokens
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		u.FailedLogins, u.LockedUntil = 0, timeZero
		if rehash {
			u.PasswordHash = password.Hash(pw, s.opts.Password)
		}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		var err error
		if tokens, err = s.issue(ctx, tx, u.ID, kyc.NewID(nil, "fam"), true); err != nil {
			return err
		}
		detail := map[string]string{"mfa": fmt.Sprint(u.MFAEnabled)}
		if usedRecovery != "" {
			detail["recovery_code"] = "used"
		}
		if rehash {
			detail["password_rehashed"] = "true"
		}
		return audit(ctx, tx, "auth.signin.success", u.ID, u.ID, detail)
	})
	if err != nil {
		return nil, err
	}
	return tokens, nil
}

// failSignIn counts a failed attempt, locks the account from the fifth,
// audits it, and returns fail (or the lock).
func (s *Service) failSignIn(ctx context.Context, u *kyc.User, factor string, fail error) error {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		u.FailedLogins++
		lock := lockFor(u.FailedLogins)
		if lock > 0 {
			u.LockedUntil = s.now().Add(lock)
		}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		detail := map[string]string{"reason": "wrong_" + factor, "failed_attempts": fmt.Sprint(u.FailedLogins)}
		if err := audit(ctx, tx, "auth.signin.failure", u.ID, u.ID, detail); err != nil {
			return err
		}
		if lock > 0 {
			return audit(ctx, tx, "auth.lockout", u.ID, u.ID, map[string]string{"seconds": fmt.Sprint(int(lock.Seconds()))})
		}
		return nil
	})
	if err != nil {
		return err
	}
	return fail
}

// checkMFA accepts a TOTP code (returning its step) or, in the form
// xxxxx-xxxxx, an unused recovery code (returning step 0; the caller spends
// it in its transaction).
func (s *Service) checkMFA(ctx context.Context, u *kyc.User, code string) (int64, error) {
	code = strings.TrimSpace(code)
	if strings.Contains(code, "-") {
		return 0, nil
	}
	secret, err := s.keyring.Open(u.TOTPSecret, []byte("totp:"+u.ID))
	if err != nil {
		return 0, fmt.Errorf("open totp secret: %w", err)
	}
	step, ok := totp.Validate(secret, code, s.now(), u.TOTPLastStep)
	if !ok {
		return 0, errors.New("wrong code")
	}
	return step, nil
}

// issue creates the tokens of a sign-in (with a web session) or a refresh.
func (s *Service) issue(ctx context.Context, tx *store.Tx, userID, family string, session bool) (*Tokens, error) {
	now := s.now()
	t := &Tokens{ExpiresIn: int(s.opts.AccessTTL.Seconds()), UserID: userID}
	var access, refresh store.Token
	t.AccessToken, access.Hash = newSecret("kat")
	t.RefreshToken, refresh.Hash = newSecret("krt")
	access.Kind, access.UserID, access.Family, access.ExpiresAt = store.TokenAccess, userID, family, now.Add(s.opts.AccessTTL)
	refresh.Kind, refresh.UserID, refresh.Family, refresh.ExpiresAt = store.TokenRefresh, userID, family, now.Add(s.opts.RefreshTTL)
	tokens := []*store.Token{&access, &refresh}
	if session {
		var sess store.Token
		t.Session, sess.Hash = newSecret("kss")
		sess.Kind, sess.UserID, sess.Family = store.TokenSession, userID, family
		sess.ExpiresAt, sess.IdleExpiresAt = now.Add(s.opts.SessionMax), now.Add(s.opts.SessionIdle)
		t.SessionExpiresAt = sess.ExpiresAt
		tokens = append(tokens, &sess)
	}
	for _, tok := range tokens {
		if err := tx.AddToken(ctx, tok); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Refresh spends a refresh token for a new access/refresh pair. A refresh
// token used twice means it was stolen: the whole family of tokens from that
// sign-in is revoked.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	bad := kyc.Errorf(kyc.Unauthorized, "invalid or expired refresh token")
	hash := hashSecret(refreshToken)
	var tokens *Tokens
	var reused bool
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		t, err := tx.GetToken(ctx, hash)
		if err != nil || t.Kind != store.TokenRefresh || !t.RevokedAt.IsZero() || s.now().After(t.ExpiresAt) {
			return bad
		}
		spent, err := tx.SpendToken(ctx, hash)
		if err != nil {
			return err
		}
		if !spent {
			reused = true
			return nil
		}
		u, err := tx.GetUser(ctx, t.UserID)
		if err != nil || u.Status != kyc.UserConfirmed {
			return bad
		}
		tokens, err = s.issue(ctx, tx, t.UserID, t.Family, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	if reused {
		// Revoke in a transaction of its own so the revocation stands.
		s.db.InTx(ctx, func(tx *store.Tx) error {
			t, err := tx.GetToken(ctx, hash)
			if err != nil {
				return err
			}
			if err := tx.RevokeFamily(ctx, t.Family); err != nil {
				return err
			}
			return audit(ctx, tx, "auth.refresh.reuse", t.UserID, t.UserID, map[string]string{"family": t.Family})
		})
		return nil, kyc.Errorf(kyc.Unauthorized, "this refresh token was already used: every token of that sign-in is revoked")
	}
	return tokens, nil
}

// SignOut revokes the session or token the principal used, with every other
// token of the same sign-in.
func (s *Service) SignOut(ctx context.Context, p *kyc.Principal) error {
	if p == nil || p.SessionHash == "" {
		return nil
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		t, err := tx.GetToken(ctx, p.SessionHash)
		if err != nil {
			return nil
		}
		if err := tx.RevokeFamily(ctx, t.Family); err != nil {
			return err
		}
		return audit(ctx, tx, "auth.signout", p.UserID, p.UserID, nil)
	})
}

// AuthenticateSession resolves a web session cookie's value and moves its
// idle expiry forward.
func (s *Service) AuthenticateSession(ctx context.Context, value string) (*kyc.Principal, error) {
	return s.authenticateToken(ctx, value, store.TokenSession)
}

// AuthenticateBearer resolves an Authorization: Bearer value: an access
// token (kat_...) or an API key (kak_...).
func (s *Service) AuthenticateBearer(ctx context.Context, value string) (*kyc.Principal, error) {
	switch {
	case strings.HasPrefix(value, "kat_"):
		return s.authenticateToken(ctx, value, store.TokenAccess)
	case strings.HasPrefix(value, "kak_"):
		return s.authenticateAPIKey(ctx, value)
	default:
		return nil, kyc.Errorf(kyc.Unauthorized, "unknown kind of bearer token")
	}
}

func (s *Service) authenticateToken(ctx context.Context, value, kind string) (*kyc.Principal, error) {
	bad := kyc.Errorf(kyc.Unauthorized, "your session has ended: sign in again")
	hash := hashSecret(value)
	t, err := s.db.GetToken(ctx, hash)
	now := s.now()
	if err != nil || t.Kind != kind || !t.RevokedAt.IsZero() || now.After(t.ExpiresAt) ||
		(!t.IdleExpiresAt.IsZero() && now.After(t.IdleExpiresAt)) {
		return nil, bad
	}
	u, err := s.db.GetUser(ctx, t.UserID)
	if err != nil || u.Status != kyc.UserConfirmed {
		return nil, bad
	}
	// Move the idle expiry at most once a minute, not on every request.
	if !t.IdleExpiresAt.IsZero() && t.IdleExpiresAt.Sub(now) < s.opts.SessionIdle-time.Minute {
		if err := s.db.TouchToken(ctx, hash, now.Add(s.opts.SessionIdle)); err != nil {
			return nil, err
		}
	}
	return &kyc.Principal{UserID: u.ID, Roles: u.Roles, SessionHash: hash}, nil
}
