package account

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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
//
// Every attempt is counted against the address before the password is
// checked (store.TakeLoginAttempt), whether or not the address has an
// account, so parallel guesses share the attempts before the lockout and an
// unknown address answers like a known one: the same statuses, the same
// work. The success writes only what it means to change, under the user's
// row lock: a disable, role change or password reset made meanwhile stands,
// and a TOTP code is spent once however many requests carry it.
func (s *Service) SignIn(ctx context.Context, email, pw, mfaCode string) (*Tokens, error) {
	wrong := kyc.Errorf(kyc.Unauthorized, "wrong e-mail address or password")
	key := s.loginKey(email)
	n, until, err := s.takeAttempt(ctx, key)
	if err != nil {
		return nil, err
	}
	u, uerr := s.userByEmail(ctx, email) // looked up even when locked: the same work either way
	actor := "anonymous"
	if uerr == nil {
		actor = u.ID
	}
	if n == 0 {
		s.auditFailure(ctx, actor, "locked")
		return nil, lockedErr(until.Sub(s.now()))
	}
	hash := s.dummy
	if uerr == nil {
		hash = u.PasswordHash
	}
	ok, rehash := password.Verify(pw, hash, s.opts.Password)
	switch {
	case uerr != nil:
		return nil, s.failSignIn(ctx, actor, "unknown_account", n, wrong)
	case !ok:
		return nil, s.failSignIn(ctx, actor, "wrong_password", n, wrong)
	}
	switch u.Status {
	case kyc.UserDisabled:
		s.releaseAttempt(ctx, key)
		return nil, kyc.Errorf(kyc.Forbidden, "this account is disabled")
	case kyc.UserUnconfirmed:
		s.releaseAttempt(ctx, key)
		return nil, kyc.Errorf(kyc.Forbidden, "confirm your e-mail address first: enter the code we sent you")
	}
	var step int64
	usedRecovery := false
	if u.MFAEnabled {
		code := strings.TrimSpace(mfaCode)
		if code == "" {
			s.releaseAttempt(ctx, key) // the password was right: asking for the code is no failure
			return nil, kyc.Errorf(kyc.MFARequired, "enter the code from your authenticator app")
		}
		mfaWrong := kyc.Errorf(kyc.Unauthorized, "wrong authenticator code")
		if strings.Contains(code, "-") {
			// A recovery code: spent now, once, whatever happens next.
			used, err := s.db.UseRecoveryCode(ctx, u.ID, recoveryHash(u.ID, code))
			if err != nil {
				return nil, err
			}
			if !used {
				return nil, s.failSignIn(ctx, actor, "wrong_mfa", n, mfaWrong)
			}
			usedRecovery = true
		} else if step, err = s.checkTOTP(u, code); err != nil {
			return nil, s.failSignIn(ctx, actor, "wrong_mfa", n, mfaWrong)
		}
	}
	newHash := ""
	if rehash {
		newHash = password.Hash(pw, s.opts.Password) // before the transaction: it takes a while
	}
	var tokens *Tokens
	var failure string
	err = s.db.InTx(ctx, "sign in", func(tx *store.Tx) error {
		cur, err := tx.LockUser(ctx, u.ID)
		if err != nil {
			return err
		}
		switch {
		case cur.PasswordHash != u.PasswordHash:
			failure = "password_changed" // reset or changed while this attempt was checked
			return nil
		case cur.Status != kyc.UserConfirmed:
			failure = "disabled"
			return nil
		}
		if step > 0 {
			spent, err := tx.UseTOTPStep(ctx, u.ID, step)
			if err != nil {
				return err
			}
			if !spent {
				failure = "replayed_mfa"
				return nil
			}
		}
		if err := tx.ClearLoginAttempts(ctx, key); err != nil {
			return err
		}
		if newHash != "" {
			if _, err := tx.SetPassword(ctx, u.ID, u.PasswordHash, newHash); err != nil {
				return err
			}
		}
		if tokens, err = s.issue(ctx, tx, u.ID, kyc.NewID(nil, "fam"), true); err != nil {
			return err
		}
		detail := map[string]string{"mfa": fmt.Sprint(u.MFAEnabled)}
		if usedRecovery {
			detail["recovery_code"] = "used"
		}
		if newHash != "" {
			detail["password_rehashed"] = "true"
		}
		return audit(ctx, tx, "auth.signin.success", u.ID, u.ID, detail)
	})
	switch {
	case err != nil:
		return nil, err
	case failure == "disabled":
		return nil, kyc.Errorf(kyc.Forbidden, "this account is disabled")
	case failure == "replayed_mfa":
		return nil, s.failSignIn(ctx, actor, "wrong_mfa", n, kyc.Errorf(kyc.Unauthorized, "wrong authenticator code"))
	case failure != "":
		return nil, s.failSignIn(ctx, actor, "wrong_password", n, wrong)
	}
	return tokens, nil
}

// loginKey is the key an address's attempts are counted under: a keyed hash
// of the address as typed (lower-cased), so the table holds no addresses and
// unknown ones are counted like known ones.
func (s *Service) loginKey(email string) string {
	m := hmac.New(sha256.New, s.keyring.IndexKey("login attempts"))
	m.Write([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(m.Sum(nil))
}

// ResetAttempts clears the sign-in attempts counted against an address, as
// a successful sign-in does (for operators and benchmarks).
func (s *Service) ResetAttempts(ctx context.Context, email string) error {
	return s.db.ClearLoginAttempts(ctx, s.loginKey(email))
}

// takeAttempt counts an attempt against key; it returns 0 and the end of
// the lock while the key is locked.
func (s *Service) takeAttempt(ctx context.Context, key string) (n int, until time.Time, err error) {
	err = s.db.InTx(ctx, "take attempt", func(tx *store.Tx) error {
		n, until, err = tx.TakeLoginAttempt(ctx, key, lockFor)
		return err
	})
	return n, until, err
}

// releaseAttempt gives back an attempt whose password was right but that
// could not go on (MFA code missing, account unconfirmed or disabled).
func (s *Service) releaseAttempt(ctx context.Context, key string) {
	if err := s.db.ReleaseLoginAttempt(ctx, key); err != nil {
		s.opts.Logger.Warn("release a sign-in attempt", "err", err)
	}
}

// failSignIn audits the n-th failed attempt (and the lockout it starts) and
// returns fail: the attempt itself was counted before it was checked.
func (s *Service) failSignIn(ctx context.Context, actor, reason string, n int, fail error) error {
	err := s.db.InTx(ctx, "fail sign in", func(tx *store.Tx) error {
		detail := map[string]string{"reason": reason, "failed_attempts": fmt.Sprint(n)}
		if err := audit(ctx, tx, "auth.signin.failure", actor, subjectOf(actor), detail); err != nil {
			return err
		}
		if lock := lockFor(n); lock > 0 {
			return audit(ctx, tx, "auth.lockout", actor, subjectOf(actor), map[string]string{"seconds": fmt.Sprint(int(lock.Seconds()))})
		}
		return nil
	})
	if err != nil {
		return err
	}
	return fail
}

func (s *Service) auditFailure(ctx context.Context, actor, reason string) {
	err := s.db.InTx(ctx, "audit failure", func(tx *store.Tx) error {
		return audit(ctx, tx, "auth.signin.failure", actor, subjectOf(actor), map[string]string{"reason": reason})
	})
	if err != nil {
		s.opts.Logger.Warn("audit a failed sign-in", "err", err)
	}
}

func subjectOf(actor string) string {
	if actor == "anonymous" {
		return ""
	}
	return actor
}

// checkTOTP checks a TOTP code against the user's secret and returns its
// time step; the caller spends the step (store.UseTOTPStep).
func (s *Service) checkTOTP(u *kyc.User, code string) (int64, error) {
	secret, err := s.keyring.Open(u.TOTPSecret, []byte("totp:"+u.ID))
	if err != nil {
		return 0, fmt.Errorf("open totp secret: %w", err)
	}
	step, ok := totp.Validate(secret, strings.TrimSpace(code), s.now(), u.TOTPLastStep)
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
	t.AccessToken, access.Hash = kyc.NewSecret("kat")
	t.RefreshToken, refresh.Hash = kyc.NewSecret("krt")
	access.Kind, access.UserID, access.Family, access.ExpiresAt = store.TokenAccess, userID, family, now.Add(s.opts.AccessTTL)
	refresh.Kind, refresh.UserID, refresh.Family, refresh.ExpiresAt = store.TokenRefresh, userID, family, now.Add(s.opts.RefreshTTL)
	tokens := []*store.Token{&access, &refresh}
	if session {
		var sess store.Token
		t.Session, sess.Hash = kyc.NewSecret("kss")
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
	hash := kyc.HashSecret(refreshToken)
	var tokens *Tokens
	var reused bool
	err := s.db.InTx(ctx, "refresh", func(tx *store.Tx) error {
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
		s.db.InTx(ctx, "refresh", func(tx *store.Tx) error {
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
	return s.db.InTx(ctx, "sign out", func(tx *store.Tx) error {
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
	hash := kyc.HashSecret(value)
	t, u, err := s.db.GetTokenUser(ctx, hash) // one query: every request asks it
	if err != nil && kyc.ErrorCode(err) != kyc.Unauthorized {
		return nil, err
	}
	now := s.now()
	if err != nil || t.Kind != kind || !t.RevokedAt.IsZero() || now.After(t.ExpiresAt) ||
		(!t.IdleExpiresAt.IsZero() && now.After(t.IdleExpiresAt)) || u.Status != kyc.UserConfirmed {
		return nil, bad
	}
	// Move the idle expiry at most once a minute, not on every request.
	if !t.IdleExpiresAt.IsZero() && t.IdleExpiresAt.Sub(now) < s.opts.SessionIdle-time.Minute {
		if err := s.db.TouchToken(ctx, hash, now.Add(s.opts.SessionIdle)); err != nil {
			return nil, err
		}
	}
	return &kyc.Principal{UserID: u.ID, Roles: u.Roles, SessionHash: hash, Account: u}, nil
}
