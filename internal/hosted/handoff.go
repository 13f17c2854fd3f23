package hosted

import (
	"context"
	"crypto/rand"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/store"
)

// HandoffTTL is how long a hand-off code can be claimed.
const HandoffTTL = 10 * time.Minute

// Handoff is a session's cross-device hand-off as the first browser sees
// it: a short code and link to open on a phone (shown as a QR code too),
// until it is claimed.
type Handoff struct {
	Code      string // ABCDE-FGHJK: 50 random bits, typed or scanned
	URL       string
	ExpiresAt time.Time
	Claimed   bool // a phone took over
}

// Handoff returns the hand-off of the session p opened: the phone that
// claimed it, or its valid code, made now when start is set and there is
// none (nil when there is none and start is not set). Only the browser that
// opened the session hands it off, once.
func (s *Service) Handoff(ctx context.Context, p *kyc.Principal, start bool) (*Handoff, error) {
	if p == nil || p.LinkID == "" || p.Handoff {
		return nil, kyc.Errorf(kyc.Forbidden, "only the browser that opened the verification can hand it to a phone")
	}
	h, err := s.db.GetHosted(ctx, p.LinkID)
	if err != nil {
		return nil, err
	}
	now := s.o.Now()
	switch {
	case h.PhoneHash != "":
		return &Handoff{Claimed: true}, nil
	case h.HandoffHash != "" && now.Before(h.HandoffExpiresAt):
		b, err := s.keyring.Open(h.HandoffSealed, handoffAAD(h.ID))
		if err != nil {
			return nil, err
		}
		return s.handoff(string(b), h.HandoffExpiresAt), nil
	case !start:
		return nil, nil
	}
	code := rand.Text()[:10]
	sealed, err := s.keyring.Seal([]byte(code), handoffAAD(h.ID))
	if err != nil {
		return nil, err
	}
	expires := now.Add(HandoffTTL)
	ok, err := s.db.StartHandoff(ctx, h.ID, handoffHash(code), sealed, expires)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, kyc.Errorf(kyc.Conflict, "this verification was handed to a phone already")
	}
	return s.handoff(code, expires), nil
}

// State is the hand-off as a waiting page follows it: "" (none),
// "waiting" (for a phone) or "claimed".
func (h *Handoff) State() string {
	switch {
	case h == nil:
		return ""
	case h.Claimed:
		return "claimed"
	}
	return "waiting"
}

func (s *Service) handoff(code string, expires time.Time) *Handoff {
	return &Handoff{Code: code[:5] + "-" + code[5:], URL: s.o.PublicURL + "/h/" + code, ExpiresAt: expires}
}

func handoffAAD(id string) []byte { return []byte("hosted session hand-off " + id) }

func handoffHash(code string) string { return kyc.HashSecret("handoff", code) }

// normalizeCode is a typed code as it was made: capitals, no dashes or
// spaces, and the digits people type for the letters they look like.
func normalizeCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', ' ':
			return -1
		case '0':
			return 'O'
		case '1':
			return 'I'
		case '8':
			return 'B'
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// OpenHandoff gives a second browser (a phone) the session whose hand-off
// code it has: once, within HandoffTTL, while the session is live.
func (s *Service) OpenHandoff(ctx context.Context, code string) (*Opened, error) {
	code = normalizeCode(code)
	invalid := kyc.Errorf(kyc.NotFound, "this code is not valid: check it, or ask for a new one on the other screen")
	if len(code) != 10 {
		return nil, invalid
	}
	h, err := s.db.HostedByHandoff(ctx, handoffHash(code))
	if err != nil {
		if kyc.ErrorCode(err) == kyc.NotFound {
			return nil, invalid
		}
		return nil, err
	}
	now := s.o.Now()
	switch {
	case !h.CancelledAt.IsZero():
		return nil, kyc.Errorf(kyc.Expired, "this verification was cancelled")
	case h.PhoneHash != "":
		return nil, kyc.Errorf(kyc.Conflict, "this code was already used: ask for a new verification link")
	case !now.Before(h.HandoffExpiresAt) || !now.Before(s.browserExpiry(h)):
		return nil, kyc.Errorf(kyc.Expired, "this code has expired: ask for a new one on the other screen")
	}
	cookie, hash := kyc.NewSecret(BrowserPrefix)
	var won bool
	err = s.db.InTx(ctx, "hand off session", func(tx *store.Tx) error {
		var err error
		if won, err = tx.ClaimHandoff(ctx, h.ID, hash, now); err != nil || !won {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: "verification_session.handed_off", ActorID: h.ID, SubjectID: h.VerificationID})
	})
	if err != nil {
		return nil, err
	}
	if !won {
		return nil, kyc.Errorf(kyc.Conflict, "this code was already used: ask for a new verification link")
	}
	h.PhoneHash = hash
	return &Opened{Cookie: cookie, ExpiresAt: s.browserExpiry(h), Session: h}, nil
}
