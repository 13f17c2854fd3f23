// Package journey is the KYC case from start to decision: the applicant's
// document is stored and read in the background, the submitted case is
// decided by rules over the liveness result, the face match, a duplicate
// search and the document, borderline cases go to a reviewer, integrators
// hear about it through signed webhooks, and the data is erased on request
// or when its retention ends. Every state change goes through
// store.SaveVerification (the state machine and optimistic concurrency) in
// a transaction with its audit event and the jobs and deliveries it causes.
package journey

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/kycd/kycd/internal/blob"
	"github.com/kycd/kycd/internal/document"
	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/liveness"
	"github.com/kycd/kycd/internal/metrics"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/seal"
	"github.com/kycd/kycd/internal/store"
	"github.com/kycd/kycd/internal/webhook"
)

// Rules are the journey's settings: the decision's rules (kyc.Rules) and
// what the journey itself enforces.
type Rules struct {
	kyc.Rules
	DuplicateThreshold float64       // another applicant's face this similar is a duplicate_face; 90
	MaxAttempts        int           // verifications an applicant may start in 24 hours; 5
	Retention          time.Duration // images and biometric data kept after the decision; 0 keeps them
	FourEyes           string        // which reviewers' decisions a second reviewer confirms: FourEyes*; off when empty
}

// DefaultRules are the rules when none are configured.
func DefaultRules() Rules {
	return Rules{Rules: kyc.Rules{MatchThreshold: face.DefaultThreshold, ReviewThreshold: 60, MinAge: 18,
		DocumentTypes: []string{"passport", "id_card", "residence_permit", "drivers_license"}},
		DuplicateThreshold: 90, MaxAttempts: 5}
}

// Details is a case's personal data, sealed into the verification record.
// Its JSON is a stored format: Version names it, so that a later kycd can
// read what an earlier one wrote (document.Analysis's JSON is part of it;
// the API has its own types).
type Details struct {
	Version       int                `json:"v"`
	Document      *document.Analysis `json:"document,omitempty"`
	DocumentError string             `json:"document_error,omitempty"`
	Front         string             `json:"front,omitempty"` // blob keys
	Back          string             `json:"back,omitempty"`
	Portrait      string             `json:"portrait,omitempty"`
	PortraitFace  []float32          `json:"portrait_embedding,omitempty"`
	Duplicates    []string           `json:"duplicates,omitempty"` // other verifications with the same face
	Note          string             `json:"note,omitempty"`       // the reviewer's
	Expected      *Expected          `json:"expected,omitempty"`   // what the integrator expects the document to say
	Options       *CaseOptions       `json:"options,omitempty"`    // what the integrator asked of this case
	Proposal      *Proposal          `json:"proposal,omitempty"`   // a decision waiting for a second reviewer
	Request       *DocumentRequest   `json:"request,omitempty"`    // a reviewer's ask for a new document
	Dispute       *Dispute           `json:"dispute,omitempty"`    // the fields the applicant says are read wrong
}

// Options configure a Service.
type Options struct {
	Rules  Rules
	Logger *slog.Logger
	Now    func() time.Time
	Limits raster.Limits
	// Metrics records decisions and the analysis stages' times.
	Metrics *metrics.Metrics
}

// Enqueuer adds a job in a transaction: queue.Queue, insert-only or not.
type Enqueuer interface {
	Enqueue(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (int64, error)
}

// Deps are what the journey works with.
type Deps struct {
	DB       *store.DB
	Blobs    blob.Store
	Keyring  *seal.Keyring
	Faces    *face.Engine
	Liveness *liveness.Service
	Analyzer *document.Analyzer
	// Queue takes the jobs the journey's changes cause; an insert-only
	// queue does, so the service exists before the workers that use it.
	Queue    Enqueuer
	Webhooks *webhook.Service
}

// Service runs the journey.
type Service struct {
	db       *store.DB
	blobs    blob.Store
	keyring  *seal.Keyring
	faces    *face.Engine
	liveness *liveness.Service
	analyzer *document.Analyzer
	queue    Enqueuer
	hooks    *webhook.Service
	o        Options
}

// New returns the service.
func New(d Deps, o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	dflt := DefaultRules()
	r := &o.Rules
	if r.MatchThreshold == 0 {
		r.MatchThreshold = dflt.MatchThreshold
	}
	if r.ReviewThreshold == 0 {
		r.ReviewThreshold = dflt.ReviewThreshold
	}
	if r.DuplicateThreshold == 0 {
		r.DuplicateThreshold = dflt.DuplicateThreshold
	}
	if r.MinAge == 0 {
		r.MinAge = dflt.MinAge
	}
	if len(r.DocumentTypes) == 0 {
		r.DocumentTypes = dflt.DocumentTypes
	}
	if r.MaxAttempts == 0 {
		r.MaxAttempts = dflt.MaxAttempts
	}
	s := &Service{db: d.DB, blobs: d.Blobs, keyring: d.Keyring, faces: d.Faces, liveness: d.Liveness, analyzer: d.Analyzer,
		queue: d.Queue, hooks: d.Webhooks, o: o}
	if d.Liveness != nil {
		d.Liveness.SetFinisher(s) // the journey moves the case when a liveness check ends
	}
	return s
}

// emit records the webhook deliveries of an event about v, in tx.
func (s *Service) emit(ctx context.Context, tx *store.Tx, event string, v *kyc.Verification) error {
	if s.hooks == nil {
		return nil
	}
	data := webhook.Data{VerificationID: v.ID, Reference: v.Reference, Status: string(v.Status),
		Reasons: append([]string{}, v.Reasons...), Similarity: v.Similarity, DecidedAt: v.DecidedAt}
	if v.APIKeyID != "" {
		h, err := tx.HostedForVerification(ctx, v.ID)
		switch {
		case err == nil:
			data.Session = h.ID
			if err := json.Unmarshal([]byte(h.Metadata), &data.Metadata); err != nil {
				return fmt.Errorf("event of %s: the session's metadata: %w", v.ID, err)
			}
		case kyc.ErrorCode(err) != kyc.NotFound:
			return err
		}
	}
	return s.hooks.Emit(ctx, tx, event, data)
}

// LivenessEnded implements liveness.Finisher: a passed check moves the case
// to liveness_passed; a failed one with no attempt left rejects it
// (liveness_failed), so that the applicant can start a new case and the
// integrator hears of it. It runs in the transaction that ends the session.
func (s *Service) LivenessEnded(ctx context.Context, tx *store.Tx, v *kyc.Verification, passed bool, attemptsLeft int) error {
	if v.Status != kyc.StatusCreated {
		return nil
	}
	switch {
	case passed:
		v.Status = kyc.StatusLivenessPassed
		if err := tx.SaveVerification(ctx, v); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, &store.AuditEvent{Action: "verification.liveness_passed", ActorID: "system", SubjectID: v.ID}); err != nil {
			return err
		}
		d, err := s.Details(v)
		if err != nil {
			return err
		}
		if d.Options.LivenessOnly() {
			return s.submitLivenessOnly(ctx, tx, v)
		}
		return nil
	case attemptsLeft <= 0:
		v.Status, v.Reasons, v.DecidedBy, v.DecidedAt = kyc.StatusRejected, []string{kyc.ReasonLivenessFailed}, "auto", s.o.Now()
		if err := tx.SaveVerification(ctx, v); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, webhook.EventCompleted, v); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: "verification.decided", ActorID: "system", SubjectID: v.ID,
			Detail: map[string]string{"status": string(v.Status), "reasons": fmt.Sprint(v.Reasons)}})
	}
	return nil
}

// Rules returns the rules in force.
func (s *Service) Rules() Rules { return s.o.Rules }

func detailsAAD(id string) []byte { return []byte("verification details " + id) }

// Details opens a verification's sealed details.
func (s *Service) Details(v *kyc.Verification) (*Details, error) {
	d := &Details{}
	if len(v.Details) == 0 {
		return d, nil
	}
	b, err := s.keyring.Open(v.Details, detailsAAD(v.ID))
	if err != nil {
		return nil, fmt.Errorf("open details of %s: %w", v.ID, err)
	}
	if err := json.Unmarshal(b, d); err != nil {
		return nil, fmt.Errorf("read details of %s: %w", v.ID, err)
	}
	if d.Version > DetailsVersion {
		return nil, fmt.Errorf("read details of %s: version %d is newer than this kycd's %d: upgrade it", v.ID, d.Version, DetailsVersion)
	}
	return d, nil
}

// DetailsVersion is the stored format of Details this kycd writes. 0 is the
// format before it was versioned, which is the same.
const DetailsVersion = 1

func (s *Service) setDetails(v *kyc.Verification, d *Details) error {
	d.Version = DetailsVersion
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	v.Details, err = s.keyring.Seal(b, detailsAAD(v.ID))
	return err
}

// load finds a verification that p may see, and may drive when drive is
// set (others' cases are not found; reviewers get forbidden).
func (s *Service) load(ctx context.Context, p *kyc.Principal, id string, drive bool) (*kyc.Verification, error) {
	v, err := s.db.GetVerification(ctx, id)
	if err != nil && kyc.ErrorCode(err) != kyc.NotFound {
		return nil, err
	}
	if err != nil || !p.CanView(v) {
		return nil, kyc.Errorf(kyc.NotFound, "verification %s not found", id)
	}
	if drive && !p.Owns(v) {
		return nil, kyc.Errorf(kyc.Forbidden, "only the case's applicant or the integrator that started it can do this")
	}
	return v, nil
}

// Get returns a verification p may see.
func (s *Service) Get(ctx context.Context, p *kyc.Principal, id string) (*kyc.Verification, error) {
	return s.load(ctx, p, id, false)
}

// Create starts a case: an applicant's own, or an integrator's with its
// reference. Applicants may start MaxAttempts a day.
func (s *Service) Create(ctx context.Context, p *kyc.Principal, reference string) (*kyc.Verification, error) {
	return s.CreateWith(ctx, p, NewCase{Reference: reference}, nil)
}

// NewCase is what an integrator may say of a case it starts.
type NewCase struct {
	Reference string
	Expected  *Expected    // what the document should say: compared at the decision
	Options   *CaseOptions // what the integrator asks of the case
}

// CreateWith is Create with what the integrator says of the case (sealed
// into it, used at the decision), and also, run in the creation's
// transaction.
func (s *Service) CreateWith(ctx context.Context, p *kyc.Principal, c NewCase,
	also func(tx *store.Tx, v *kyc.Verification) error) (*kyc.Verification, error) {
	if err := c.Expected.Validate(); err != nil {
		return nil, err
	}
	if err := c.Options.validate(s.o.Rules.Rules); err != nil {
		return nil, err
	}
	if c.Options.LivenessOnly() && !c.Expected.Empty() {
		return nil, kyc.Errorf(kyc.Invalid, "a check without a document has nothing to compare expected data with")
	}
	if c.Options != nil && c.Options.FaceOf != "" {
		if err := s.checkFaceOf(ctx, p, c.Options.FaceOf); err != nil {
			return nil, err
		}
	}
	reference := c.Reference
	if !p.CanStart() {
		return nil, kyc.Errorf(kyc.Forbidden, "only applicants and integrators' API keys start verifications")
	}
	now := s.o.Now()
	if p.UserID != "" && p.APIKeyID == "" {
		n, err := s.db.CountVerifications(ctx, p.UserID, now.Add(-24*time.Hour))
		if err != nil {
			return nil, err
		}
		if n >= s.o.Rules.MaxAttempts {
			return nil, &kyc.Error{Code: kyc.RateLimited, Reason: kyc.ReasonTooMany, RetryAfter: 24 * time.Hour,
				Message: fmt.Sprintf("%d verifications started in 24 hours, the most allowed: try again tomorrow", n)}
		}
	}
	v := &kyc.Verification{ID: kyc.NewID(nil, "ver"), UserID: p.UserID, APIKeyID: p.APIKeyID, Reference: reference}
	err := s.db.InTx(ctx, "create case", func(tx *store.Tx) error {
		if err := tx.CreateVerification(ctx, v); err != nil {
			return err
		}
		if !c.Expected.Empty() || c.Options != nil {
			if err := s.setDetails(v, &Details{Expected: c.Expected, Options: c.Options}); err != nil {
				return err
			}
			if err := tx.SaveVerification(ctx, v); err != nil {
				return err
			}
		}
		if also != nil {
			if err := also(tx, v); err != nil {
				return err
			}
		}
		if err := s.emit(ctx, tx, webhook.EventCreated, v); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: "verification.created", ActorID: p.ID(), SubjectID: v.ID})
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// AuditView records that p looked at a case (reviewers and admins only:
// applicants and integrators seeing their own cases is not news). A view
// of personal data must not go unrecorded: when the record fails, so must
// the view.
func (s *Service) AuditView(ctx context.Context, p *kyc.Principal, v *kyc.Verification, what string) error {
	if !p.Has(kyc.RoleReviewer, kyc.RoleAdmin) || p.Owns(v) {
		return nil
	}
	err := s.db.AppendAudit(ctx, &store.AuditEvent{Action: "verification.viewed", ActorID: p.ID(), SubjectID: v.ID,
		Detail: map[string]string{"what": what}})
	if err != nil {
		return fmt.Errorf("record the view of %s: %w", v.ID, err)
	}
	return nil
}

// Image returns a document image of a case: front, back or portrait.
func (s *Service) Image(ctx context.Context, p *kyc.Principal, id, name string) ([]byte, error) {
	v, err := s.load(ctx, p, id, false)
	if err != nil {
		return nil, err
	}
	d, err := s.Details(v)
	if err != nil {
		return nil, err
	}
	key := map[string]string{"front": d.Front, "back": d.Back, "portrait": d.Portrait}[name]
	if key == "" {
		return nil, kyc.Errorf(kyc.NotFound, "verification %s has no %s image", id, name)
	}
	if err := s.AuditView(ctx, p, v, "image "+name); err != nil {
		return nil, err
	}
	return s.blobs.Get(ctx, key)
}

// forJob loads a job's verification; a case that no longer exists cancels
// the job instead of retrying it.
func (s *Service) forJob(ctx context.Context, id string) (*kyc.Verification, error) {
	v, err := s.db.GetVerification(ctx, id)
	if err != nil && kyc.ErrorCode(err) == kyc.NotFound {
		return nil, river.JobCancel(err)
	}
	return v, err
}
