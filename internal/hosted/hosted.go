// Package hosted is the integrators' hosted verification session: an API
// key opens a case and gets a link (and a client secret for the embedded
// flow) to hand to its user, who needs no kycd account. The link is the
// credential, bound to that one case: the first browser to open it (by the
// link or the client secret) gets a cookie that drives the case and
// nothing else, and both credentials are spent. Sessions expire, can be
// cancelled, and are listed for their key.
package hosted

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/journey"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/seal"
	"github.com/kycd/kycd/internal/store"
)

// Credential prefixes: the link's token, the client secret and the browser
// cookie of an opened session.
const (
	LinkPrefix    = "kvl"
	SecretPrefix  = "kvs"
	BrowserPrefix = "kvb"
)

// Options configure the service.
type Options struct {
	PublicURL string        // where the links point
	TTL       time.Duration // how long a link can be opened; 24 hours
	// BrowserTTL is how long a browser drives the case after opening the
	// link, at least (and at least until the link would have expired); 2 hours.
	BrowserTTL time.Duration
	Now        func() time.Time
}

// Service runs hosted sessions.
type Service struct {
	db      *store.DB
	journey *journey.Service
	keyring *seal.Keyring
	o       Options
}

// New returns the service.
func New(db *store.DB, j *journey.Service, k *seal.Keyring, o Options) *Service {
	if o.TTL == 0 {
		o.TTL = 24 * time.Hour
	}
	if o.BrowserTTL == 0 {
		o.BrowserTTL = 2 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	return &Service{db: db, journey: j, keyring: k, o: o}
}

// Request is what an integrator asks for.
type Request struct {
	Reference      string
	Metadata       map[string]string
	ReturnURL      string
	Expected       *journey.Expected
	Options        *journey.CaseOptions
	IdempotencyKey string
}

// Session is a hosted session as its key sees it; URL and ClientSecret are
// set when it can still be opened.
type Session struct {
	*store.HostedSession
	Status       string // see Status
	Case         *kyc.Verification
	Reference    string
	Metadata     map[string]string
	URL          string
	ClientSecret string
}

// Session statuses.
const (
	StatusOpen       = "open"        // created, the link not opened yet
	StatusInProgress = "in_progress" // opened, the case not submitted
	StatusProcessing = "processing"  // submitted: being decided, or with a reviewer
	StatusCompleted  = "completed"   // decided: approved or rejected
	StatusCancelled  = "canceled"
	StatusExpired    = "expired" // not opened in time, or abandoned
)

func (s *Service) integrator(p *kyc.Principal) error {
	if p == nil || p.APIKeyID == "" || !p.Has(kyc.RoleIntegrator) {
		return kyc.Errorf(kyc.Forbidden, "verification sessions are created by an integrator's API key")
	}
	return nil
}

// Create opens a case for p's key and a session on it. With an
// idempotency key, a retry returns the session the first call created.
func (s *Service) Create(ctx context.Context, p *kyc.Principal, r Request) (*Session, error) {
	if err := s.integrator(p); err != nil {
		return nil, err
	}
	if err := validate(r); err != nil {
		return nil, err
	}
	if r.IdempotencyKey != "" {
		h, err := s.db.HostedByIdempotencyKey(ctx, p.APIKeyID, r.IdempotencyKey)
		if err == nil {
			return s.session(ctx, h)
		}
		if kyc.ErrorCode(err) != kyc.NotFound {
			return nil, err
		}
	}
	meta, _ := json.Marshal(nonNilMap(r.Metadata))
	link, linkHash := kyc.NewSecret(LinkPrefix)
	secret, secretHash := kyc.NewSecret(SecretPrefix)
	h := &store.HostedSession{ID: kyc.NewID(nil, "vs"), APIKeyID: p.APIKeyID, LinkHash: linkHash, SecretHash: secretHash,
		ReturnURL: r.ReturnURL, Metadata: string(meta), IdempotencyKey: r.IdempotencyKey, ExpiresAt: s.o.Now().Add(s.o.TTL)}
	creds, err := s.keyring.Seal([]byte(link+" "+secret), credentialsAAD(h.ID))
	if err != nil {
		return nil, err
	}
	h.Credentials = creds
	_, err = s.journey.CreateWith(ctx, p, journey.NewCase{Reference: r.Reference, Expected: r.Expected, Options: r.Options}, func(tx *store.Tx, v *kyc.Verification) error {
		h.VerificationID = v.ID
		if err := tx.CreateHosted(ctx, h); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: "verification_session.created", ActorID: p.ID(), SubjectID: v.ID,
			Detail: map[string]string{"session": h.ID}})
	})
	if kyc.ErrorCode(err) == kyc.Conflict && r.IdempotencyKey != "" {
		// Two calls with one idempotency key raced: the other one won.
		if h, err := s.db.HostedByIdempotencyKey(ctx, p.APIKeyID, r.IdempotencyKey); err == nil {
			return s.session(ctx, h)
		}
	}
	if err != nil {
		return nil, err
	}
	return s.session(ctx, h)
}

func credentialsAAD(id string) []byte { return []byte("hosted session credentials " + id) }

// validate checks a request's fields.
func validate(r Request) error {
	if len(r.Metadata) > 20 {
		return kyc.Errorf(kyc.Invalid, "metadata has at most 20 keys")
	}
	for k, v := range r.Metadata {
		if k == "" || len(k) > 40 || len(v) > 500 || !kyc.PlainText(k) || !kyc.PlainText(v) {
			return kyc.Errorf(kyc.Invalid, "metadata keys are 1–40 characters and values at most 500, plain text")
		}
	}
	if len(r.IdempotencyKey) > 100 || !kyc.PlainText(r.IdempotencyKey) {
		return kyc.Errorf(kyc.Invalid, "the idempotency key is plain text of at most 100 characters")
	}
	if r.ReturnURL != "" {
		u, err := url.Parse(r.ReturnURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(r.ReturnURL) > 2000 {
			return kyc.Errorf(kyc.Invalid, "return_url must be an absolute http(s) URL")
		}
	}
	return nil
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// session renders h with its status, its case's reference and, while it
// can be opened, its credentials.
func (s *Service) session(ctx context.Context, h *store.HostedSession) (*Session, error) {
	v, err := s.db.GetVerification(ctx, h.VerificationID)
	if err != nil {
		return nil, err
	}
	out := &Session{HostedSession: h, Status: s.status(h, v), Case: v, Reference: v.Reference}
	if err := json.Unmarshal([]byte(h.Metadata), &out.Metadata); err != nil {
		return nil, fmt.Errorf("session %s: metadata: %w", h.ID, err)
	}
	if out.Status == StatusOpen && len(h.Credentials) > 0 {
		b, err := s.keyring.Open(h.Credentials, credentialsAAD(h.ID))
		if err != nil {
			return nil, fmt.Errorf("session %s: open its credentials: %w", h.ID, err)
		}
		link, secret, _ := strings.Cut(string(b), " ")
		out.URL, out.ClientSecret = s.o.PublicURL+"/s/"+link, secret
	}
	return out, nil
}

// status says where a session is, from its own record and its case's.
func (s *Service) status(h *store.HostedSession, v *kyc.Verification) string {
	now := s.o.Now()
	switch v.Status {
	case kyc.StatusApproved, kyc.StatusRejected:
		return StatusCompleted
	case kyc.StatusProcessing, kyc.StatusNeedsReview:
		return StatusProcessing
	case kyc.StatusExpired, kyc.StatusErased:
		if h.CancelledAt.IsZero() {
			return StatusExpired
		}
	}
	switch {
	case !h.CancelledAt.IsZero():
		return StatusCancelled
	case h.OpenedAt.IsZero() && !now.Before(h.ExpiresAt):
		return StatusExpired
	case h.OpenedAt.IsZero():
		return StatusOpen
	case !now.Before(s.browserExpiry(h)):
		return StatusExpired
	}
	return StatusInProgress
}

// browserExpiry is when the browser that opened h stops driving its case.
func (s *Service) browserExpiry(h *store.HostedSession) time.Time {
	return maxTime(h.ExpiresAt, h.OpenedAt.Add(s.o.BrowserTTL))
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// own loads a session of p's key (others' are not found).
func (s *Service) own(ctx context.Context, p *kyc.Principal, id string) (*store.HostedSession, error) {
	if err := s.integrator(p); err != nil {
		return nil, err
	}
	h, err := s.db.GetHosted(ctx, id)
	if err != nil || h.APIKeyID != p.APIKeyID {
		if err != nil && kyc.ErrorCode(err) != kyc.NotFound {
			return nil, err
		}
		return nil, kyc.Errorf(kyc.NotFound, "verification session %s not found", id)
	}
	return h, nil
}

// Get returns a session of p's key.
func (s *Service) Get(ctx context.Context, p *kyc.Principal, id string) (*Session, error) {
	h, err := s.own(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return s.session(ctx, h)
}

// List returns p's key's sessions, newest first, after the session
// startingAfter when it is set.
func (s *Service) List(ctx context.Context, p *kyc.Principal, startingAfter string, limit int) ([]*Session, error) {
	if err := s.integrator(p); err != nil {
		return nil, err
	}
	var after *store.HostedSession
	if startingAfter != "" {
		var err error
		if after, err = s.own(ctx, p, startingAfter); err != nil {
			return nil, err
		}
	}
	hs, err := s.db.ListHosted(ctx, p.APIKeyID, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]*Session, 0, len(hs))
	for _, h := range hs {
		sess, err := s.session(ctx, h)
		if err != nil {
			return nil, err
		}
		out = append(out, sess)
	}
	return out, nil
}

// Cancel ends a session of p's key: its link no longer opens, and the
// browser that opened it no longer drives the case. A case already
// submitted is decided as usual (erase it to stop that).
func (s *Service) Cancel(ctx context.Context, p *kyc.Principal, id string) (*Session, error) {
	h, err := s.own(ctx, p, id)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, "cancel session", func(tx *store.Tx) error {
		ok, err := tx.CancelHosted(ctx, h.ID, s.o.Now())
		if err != nil || !ok {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: "verification_session.cancelled", ActorID: p.ID(),
			SubjectID: h.VerificationID, Detail: map[string]string{"session": h.ID}})
	})
	if err != nil {
		return nil, err
	}
	if h, err = s.db.GetHosted(ctx, id); err != nil {
		return nil, err
	}
	return s.session(ctx, h)
}

// Opened is a session a browser just opened.
type Opened struct {
	Cookie    string // the browser's credential
	ExpiresAt time.Time
	Session   *store.HostedSession
}

// Open spends a link or client secret for a new browser. A credential that
// is unknown, spent, cancelled or expired opens nothing, and says which
// (the holder of a spent link learns only that it was used). With
// embedOrigin, the session is opened in a frame of that site: only by the
// client secret, and only for a site the key allows; the refusal spends
// nothing.
func (s *Service) Open(ctx context.Context, credential, embedOrigin string) (*Opened, error) {
	if !strings.HasPrefix(credential, LinkPrefix+"_") && !strings.HasPrefix(credential, SecretPrefix+"_") {
		return nil, kyc.Errorf(kyc.NotFound, "this verification link is not valid: ask for a new one")
	}
	h, err := s.db.HostedByCredential(ctx, kyc.HashSecret(credential))
	if err != nil {
		if kyc.ErrorCode(err) == kyc.NotFound {
			return nil, kyc.Errorf(kyc.NotFound, "this verification link is not valid: ask for a new one")
		}
		return nil, err
	}
	now := s.o.Now()
	switch {
	case !h.CancelledAt.IsZero():
		return nil, kyc.Errorf(kyc.Expired, "this verification was cancelled: ask for a new link")
	case !h.OpenedAt.IsZero():
		return nil, kyc.Errorf(kyc.Conflict, "this verification link was already used: go back to where you came from and ask for a new one")
	case !now.Before(h.ExpiresAt):
		return nil, kyc.Errorf(kyc.Expired, "this verification link has expired: ask for a new one")
	}
	v, err := s.db.GetVerification(ctx, h.VerificationID)
	if err != nil {
		return nil, err
	}
	if v.Status.Terminal() {
		return nil, kyc.Errorf(kyc.Expired, "this verification has ended: ask for a new link")
	}
	if embedOrigin != "" {
		if embedOrigin, err = s.embeddable(ctx, h, credential, embedOrigin); err != nil {
			return nil, err
		}
	}
	cookie, hash := kyc.NewSecret(BrowserPrefix)
	var won bool
	err = s.db.InTx(ctx, "open session", func(tx *store.Tx) error {
		var err error
		if won, err = tx.OpenHosted(ctx, h.ID, hash, embedOrigin, now); err != nil || !won {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: "verification_session.opened", ActorID: h.ID,
			SubjectID: h.VerificationID})
	})
	if err != nil {
		return nil, err
	}
	if !won {
		return nil, kyc.Errorf(kyc.Conflict, "this verification link was already used: go back to where you came from and ask for a new one")
	}
	h.OpenedAt, h.BrowserHash, h.EmbedOrigin = now.UTC(), hash, embedOrigin
	return &Opened{Cookie: cookie, ExpiresAt: s.browserExpiry(h), Session: h}, nil
}

// Authenticate resolves a browser's cookie into the principal that drives
// the session's case, while the session is neither cancelled nor past the
// browser's time.
func (s *Service) Authenticate(ctx context.Context, cookie string) (*kyc.Principal, error) {
	bad := kyc.Errorf(kyc.Unauthorized, "this verification has ended: ask for a new link")
	if !strings.HasPrefix(cookie, BrowserPrefix+"_") {
		return nil, bad
	}
	hash := kyc.HashSecret(cookie)
	h, err := s.db.HostedByBrowser(ctx, hash)
	if err != nil {
		if kyc.ErrorCode(err) == kyc.NotFound {
			return nil, bad
		}
		return nil, err
	}
	if !h.CancelledAt.IsZero() || !s.o.Now().Before(s.browserExpiry(h)) {
		return nil, bad
	}
	if h.PhoneHash == hash {
		return &kyc.Principal{CaseID: h.VerificationID, LinkID: h.ID, Handoff: true}, nil
	}
	return &kyc.Principal{CaseID: h.VerificationID, LinkID: h.ID, Frame: h.EmbedOrigin}, nil
}

// embeddable checks that h may open in a frame of origin: by its client
// secret (the url is for a whole window), for a site its key allows. It
// returns the origin's canonical form.
func (s *Service) embeddable(ctx context.Context, h *store.HostedSession, credential, origin string) (string, error) {
	refused := kyc.Errorf(kyc.Forbidden, "this site may not embed the verification: the integrator must add it to its key's embed origins")
	origin, err := kyc.ParseOrigin(origin)
	if err != nil {
		return "", refused
	}
	if !strings.HasPrefix(credential, SecretPrefix+"_") {
		return "", kyc.Errorf(kyc.Forbidden, "a verification link opens in a window of its own: embed the session with its client secret")
	}
	k, err := s.db.GetAPIKey(ctx, h.APIKeyID)
	if err != nil {
		return "", err
	}
	if !slices.Contains(k.EmbedOrigins, origin) {
		return "", refused
	}
	return origin, nil
}

// ReturnURL is where the browser of a session goes when it is done: the
// integrator's return_url with the session's id added, or "" when none.
func (s *Service) ReturnURL(ctx context.Context, p *kyc.Principal) (string, error) {
	if p == nil || p.LinkID == "" {
		return "", nil
	}
	h, err := s.db.GetHosted(ctx, p.LinkID)
	if err != nil || h.ReturnURL == "" {
		return "", err
	}
	u, err := url.Parse(h.ReturnURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("verification_session", h.ID)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
