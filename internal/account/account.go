// Package account is kycd's user pool: sign-up with an e-mail code, sign-in
// with sessions, access and refresh tokens, TOTP MFA with recovery codes,
// lockout, password reset, roles and API keys. Every security-relevant action
// leaves an audit event without personal data.
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/mail"
	"github.com/kycd/kycd/internal/password"
	"github.com/kycd/kycd/internal/seal"
	"github.com/kycd/kycd/internal/store"
)

// Options tune the service; zero values take the defaults noted.
type Options struct {
	Password    password.Params // argon2id cost; password.DefaultParams
	Policy      password.Policy // minimum length 8, common passwords refused
	SessionIdle time.Duration   // web session idle expiry; 30 min
	SessionMax  time.Duration   // web session absolute expiry; 12 h
	AccessTTL   time.Duration   // access token lifetime; 15 min
	RefreshTTL  time.Duration   // refresh token lifetime; 30 days
	Issuer      string          // name shown by authenticator apps; "kycd"
	PublicURL   string          // base of links in e-mails
	Now         func() time.Time
	Logger      *slog.Logger
}

// Code lifetimes and limits.
const (
	ConfirmCodeTTL = 24 * time.Hour
	ResetCodeTTL   = time.Hour
	MaxCodeTries   = 5
	LockAfter      = 5
	MaxLock        = 15 * time.Minute
	RecoveryCodes  = 10
)

// Service runs the user pool on a store.
type Service struct {
	db      *store.DB
	mail    mail.Sender
	keyring *seal.Keyring
	opts    Options
	dummy   string // a hash to verify against for unknown e-mails, so timing reveals nothing
}

// New returns a user pool service.
func New(db *store.DB, sender mail.Sender, keyring *seal.Keyring, opts Options) *Service {
	if opts.Password == (password.Params{}) {
		opts.Password = password.DefaultParams
	}
	if opts.Policy == (password.Policy{}) {
		opts.Policy = password.Policy{MinLength: 8, RejectCommon: true}
	}
	opts.SessionIdle = or(opts.SessionIdle, 30*time.Minute)
	opts.SessionMax = or(opts.SessionMax, 12*time.Hour)
	opts.AccessTTL = or(opts.AccessTTL, 15*time.Minute)
	opts.RefreshTTL = or(opts.RefreshTTL, 30*24*time.Hour)
	if opts.Issuer == "" {
		opts.Issuer = "kycd"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, mail: sender, keyring: keyring, opts: opts,
		dummy: password.Hash("kycd dummy password for timing", opts.Password)}
}

func or(d, dflt time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return dflt
}

// Options returns the effective options.
func (s *Service) Options() Options { return s.opts }

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

// hashSecret is how every high-entropy credential is stored: its SHA-256.
func hashSecret(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}

// newSecret returns a random credential with a type prefix, and its hash.
func newSecret(prefix string) (value, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	value = prefix + "_" + base64.RawURLEncoding.EncodeToString(b)
	return value, hashSecret(value)
}

// newCode returns a uniformly random 6-digit code.
func newCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
	return fmt.Sprintf("%06d", n.Int64())
}

func equalHash(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// audit appends an event in tx. Details must hold no personal data.
func audit(ctx context.Context, tx *store.Tx, action, actor, subject string, detail map[string]string) error {
	return tx.AppendAudit(ctx, &store.AuditEvent{Action: action, ActorID: actor, SubjectID: subject, Detail: detail})
}

// sendCode stores a new code for purpose and mails it, in tx.
func (s *Service) sendCode(ctx context.Context, tx *store.Tx, u *kyc.User, purpose string, ttl time.Duration) error {
	code := newCode()
	err := tx.PutCode(ctx, &store.Code{UserID: u.ID, Purpose: purpose, Hash: hashSecret(u.ID, purpose, code),
		ExpiresAt: s.now().Add(ttl)})
	if err != nil {
		return err
	}
	var m mail.Message
	switch purpose {
	case "confirm":
		m = mail.Message{To: u.Email, Subject: "Your kycd confirmation code: " + code,
			Body: fmt.Sprintf("Your confirmation code is %s.\n\nEnter it at %s/confirm?email=%s within 24 hours.\n"+
				"If you did not sign up, ignore this message.\n", code, s.opts.PublicURL, u.Email)}
	case "reset":
		m = mail.Message{To: u.Email, Subject: "Your kycd password reset code: " + code,
			Body: fmt.Sprintf("Your password reset code is %s.\n\nEnter it at %s/reset?email=%s within 1 hour.\n"+
				"If you did not ask to reset your password, ignore this message: your password is unchanged.\n",
				code, s.opts.PublicURL, u.Email)}
	}
	return s.mail.Send(ctx, tx, m)
}

// checkCode verifies a code for purpose. A wrong try is counted even though
// the caller fails, so it is written in its own transaction.
func (s *Service) checkCode(ctx context.Context, u *kyc.User, purpose, code string) error {
	var result error
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.GetCode(ctx, u.ID, purpose)
		if err != nil {
			result = kyc.Errorf(kyc.Invalid, "wrong code")
			return nil
		}
		switch {
		case s.now().After(c.ExpiresAt):
			result = kyc.Errorf(kyc.Expired, "the code has expired: ask for a new one")
		case c.Attempts >= MaxCodeTries:
			result = kyc.Errorf(kyc.Expired, "too many wrong tries: ask for a new code")
		case !equalHash(c.Hash, hashSecret(u.ID, purpose, strings.TrimSpace(code))):
			result = kyc.Errorf(kyc.Invalid, "wrong code")
			return tx.CountCodeAttempt(ctx, u.ID, purpose)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return result
}
