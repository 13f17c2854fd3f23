package account

import (
	"context"
	"crypto/rand"
	"strings"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/store"
	"github.com/kycd/kycd/internal/totp"
)

// TOTPSetup starts MFA enrolment: a new secret, stored sealed, that becomes
// required at sign-in once TOTPVerify sees a code made with it.
func (s *Service) TOTPSetup(ctx context.Context, p *kyc.Principal) (secret, otpauthURL string, err error) {
	u, err := s.db.GetUser(ctx, p.UserID)
	if err != nil {
		return "", "", err
	}
	if u.MFAEnabled {
		return "", "", kyc.Errorf(kyc.Conflict, "two-factor authentication is already on")
	}
	raw := totp.NewSecret()
	sealed, err := s.keyring.Seal(raw, []byte("totp:"+u.ID))
	if err != nil {
		return "", "", err
	}
	ok, err := s.db.SetTOTPSecret(ctx, u.ID, sealed)
	if err != nil {
		return "", "", err
	}
	if !ok {
		return "", "", kyc.Errorf(kyc.Conflict, "two-factor authentication is already on")
	}
	return totp.Encode(raw), totp.URL(s.opts.Issuer, u.Email, raw), nil
}

// TOTPVerify checks a code from the secret of TOTPSetup, turns MFA on and
// returns 10 one-time recovery codes, shown once and stored hashed.
func (s *Service) TOTPVerify(ctx context.Context, p *kyc.Principal, code string) ([]string, error) {
	u, err := s.db.GetUser(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	if u.MFAEnabled {
		return nil, kyc.Errorf(kyc.Conflict, "two-factor authentication is already on")
	}
	if u.TOTPSecret == nil {
		return nil, kyc.Errorf(kyc.Conflict, "start with the set-up step: no secret was made yet")
	}
	step, err := s.checkTOTP(u, code)
	if err != nil {
		return nil, kyc.Errorf(kyc.Invalid, "wrong code: check the time on your device and try the next code")
	}
	codes := make([]string, RecoveryCodes)
	hashes := make([]string, RecoveryCodes)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = recoveryHash(u.ID, codes[i])
	}
	err = s.db.InTx(ctx, "enable mfa", func(tx *store.Tx) error {
		// Only with the secret the code was checked against: a second set-up
		// meanwhile replaced it, and that one's owner must verify it.
		ok, err := tx.EnableMFA(ctx, u.ID, u.TOTPSecret, step)
		if err != nil {
			return err
		}
		if !ok {
			return kyc.Errorf(kyc.Conflict, "the set-up changed meanwhile (or this code was used): scan the newest QR code and try again")
		}
		if err := tx.SetRecoveryCodes(ctx, u.ID, hashes); err != nil {
			return err
		}
		return audit(ctx, tx, "auth.mfa.enable", u.ID, u.ID, nil)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// newRecoveryCode returns a code like "k7mx2-q9tra" (about 49 bits).
func newRecoveryCode() string {
	b := make([]byte, 10)
	rand.Read(b)
	out := make([]byte, 0, 11)
	for i, c := range b {
		if i == 5 {
			out = append(out, '-')
		}
		out = append(out, recoveryAlphabet[int(c)%len(recoveryAlphabet)])
	}
	return string(out)
}

func recoveryHash(userID, code string) string {
	return kyc.HashSecret("recovery", userID, strings.ToLower(strings.TrimSpace(code)))
}
