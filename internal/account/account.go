// Package account is kycd's user pool: sign-up with an e-mail code, sign-in
// with sessions, access and refresh tokens, TOTP MFA with recovery codes,
// lockout, password reset, roles and API keys. Every security-relevant action
// leaves an audit event without personal data.
package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
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
	err := tx.PutCode(ctx, &store.Code{UserID: u.ID, Purpose: purpose, Hash: kyc.HashSecret(u.ID, purpose, code),
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

// wrongCode is the answer to a code that does not match, whatever the
// reason: no account, no code sent, or another code.
func wrongCode() error { return kyc.Errorf(kyc.Invalid, "wrong code") }

// checkCode takes one of the tries of a user's code for purpose and compares
// it, returning the code's hash for the caller to spend (store.SpendCode) in
// the transaction of what the code allows. The try is counted first, in its
// own transaction, so that parallel guesses share MaxCodeTries between them.
// An unknown user (userID "") costs the same work and answers "wrong code".
func (s *Service) checkCode(ctx context.Context, userID, purpose, code string) (string, error) {
	var c *store.Code
	err := s.db.InTx(ctx, "check code", func(tx *store.Tx) error {
		var err error
		c, err = tx.TryCode(ctx, or0(userID, "usr_none"), purpose, MaxCodeTries)
		return err
	})
	switch {
	case kyc.ErrorCode(err) == kyc.NotFound:
		return "", wrongCode()
	case err != nil:
		return "", err
	case s.now().After(c.ExpiresAt):
		return "", kyc.Errorf(kyc.Expired, "the code has expired: ask for a new one")
	case !equalHash(c.Hash, kyc.HashSecret(userID, purpose, strings.TrimSpace(code))):
		return "", wrongCode()
	}
	return c.Hash, nil
}

// spendCode spends a matched code in tx; a code already spent by a
// parallel request is a wrong code for this one.
func spendCode(ctx context.Context, tx *store.Tx, userID, purpose, hash string) error {
	ok, err := tx.SpendCode(ctx, userID, purpose, hash)
	if err == nil && !ok {
		return wrongCode()
	}
	return err
}

func or0(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}
