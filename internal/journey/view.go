package journey

import (
	"context"
	"fmt"
	"time"

	"github.com/kycd/kycd/internal/document"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/store"
)

// View is a case as the API and the pages show it: the one read model they
// render, built in one place from the record, its sealed details and its
// latest liveness check.
type View struct {
	Case      *kyc.Verification
	Liveness  *LivenessView  // the latest liveness check; nil before the first
	Document  *DocumentView  // nil before an upload
	FaceMatch *FaceMatchView // nil until the decision compared the faces
	Decision  *DecisionView  // nil until decided (or erased after a decision)
	// For reviewers: other applicants' cases with the same face.
	Duplicates []string
	// What the integrator expected, field by field, against the document
	// (once it is read); nil when nothing was expected.
	Expected []Comparison
	// SubmitBlock, before submission, says why the document read would
	// surely be rejected (a reason or warning code: unreadable, not
	// accepted, its other side needed), so that the applicant retakes it
	// rather than spend an attempt; "" when nothing stands in the way.
	SubmitBlock string
	// Request is a reviewer's ask for a new document (the applicant is
	// told its reason); Dispute what the applicant says the reading has
	// wrong; Proposal a decision waiting for a second reviewer (for
	// reviewers only).
	Request  *DocumentRequest
	Dispute  *Dispute
	Proposal *Proposal
}

// LivenessView is a case's latest liveness check.
type LivenessView struct {
	SessionID   string
	Status      string
	Confidence  float64
	Reasons     []string
	HasImage    bool // a reference image was kept
	AuditImages int  // how many audit images were kept
}

// DocumentView is what was read from a case's document.
type DocumentView struct {
	Status   string             // pending, done, failed
	Error    string             // why the reading failed
	Analysis *document.Analysis // nil until read
	Images   []string           // the images kept: front, back, portrait
}

// FaceMatchView is the selfie against the document's portrait.
type FaceMatchView struct {
	Similarity float64
	Threshold  float64
	Match      bool
}

// DecisionView is a case's decision.
type DecisionView struct {
	Outcome   string // approved, rejected, needs_review, or erased
	Reasons   []string
	DecidedBy string    // auto, or the reviewer's user id
	DecidedAt time.Time // zero while a reviewer is to decide
	Note      string    // the reviewer's
}

// View returns the case id as p may see it.
func (s *Service) View(ctx context.Context, p *kyc.Principal, id string) (*View, error) {
	v, err := s.load(ctx, p, id, false)
	if err != nil {
		return nil, err
	}
	return s.ViewOf(ctx, v)
}

// ViewOf builds the view of a case the caller already loaded (and may
// see). A database error is an error, never an empty part of the view.
func (s *Service) ViewOf(ctx context.Context, v *kyc.Verification) (*View, error) {
	view := &View{Case: v}
	l, err := s.db.LatestLiveness(ctx, v.ID, "")
	switch {
	case kyc.ErrorCode(err) == kyc.NotFound:
	case err != nil:
		return nil, fmt.Errorf("view %s: %w", v.ID, err)
	default:
		view.Liveness = &LivenessView{SessionID: l.ID, Status: l.Status, Confidence: l.Confidence,
			Reasons: nonNil(l.Reasons), HasImage: l.ReferenceKey != "", AuditImages: len(l.AuditKeys)}
	}
	d, err := s.Details(v)
	if err != nil {
		return nil, fmt.Errorf("view %s: %w", v.ID, err)
	}
	if v.DocumentStatus != "" {
		dv := &DocumentView{Status: v.DocumentStatus, Error: d.DocumentError, Analysis: d.Document}
		for _, img := range []struct{ name, key string }{{"front", d.Front}, {"back", d.Back}, {"portrait", d.Portrait}} {
			if img.key != "" {
				dv.Images = append(dv.Images, img.name)
			}
		}
		view.Document = dv
	}
	if v.Similarity != nil {
		t := s.o.Rules.MatchThreshold
		view.FaceMatch = &FaceMatchView{Similarity: *v.Similarity, Threshold: t, Match: *v.Similarity >= t}
	}
	switch v.Status {
	case kyc.StatusApproved, kyc.StatusRejected, kyc.StatusNeedsReview:
		view.Decision = &DecisionView{Outcome: string(v.Status), Reasons: nonNil(v.Reasons), DecidedBy: v.DecidedBy,
			DecidedAt: v.DecidedAt, Note: d.Note}
	case kyc.StatusErased:
		if len(v.Reasons) > 0 || !v.DecidedAt.IsZero() {
			view.Decision = &DecisionView{Outcome: "erased", Reasons: nonNil(v.Reasons), DecidedBy: v.DecidedBy, DecidedAt: v.DecidedAt}
		}
	}
	view.Duplicates = d.Duplicates
	view.Request, view.Dispute, view.Proposal = d.Request, d.Dispute, d.Proposal
	if d.Document != nil {
		view.Expected = d.Expected.Compare(d.Document)
	}
	if v.Status == kyc.StatusDocumentSubmitted && v.DocumentStatus == kyc.DocumentDone {
		view.SubmitBlock = s.submitBlock(d)
	}
	return view, nil
}

// Latest returns the applicant's newest case, or nil when they have none;
// for the holder of a verification link, the link's case. A database error
// is an error: it must not read as "no case" (and start a new one).
func (s *Service) Latest(ctx context.Context, p *kyc.Principal) (*kyc.Verification, error) {
	if p != nil && p.CaseID != "" {
		return s.load(ctx, p, p.CaseID, true)
	}
	if p == nil || p.UserID == "" {
		return nil, kyc.Errorf(kyc.Forbidden, "only an applicant has cases of their own")
	}
	vs, err := s.db.ListVerifications(ctx, store.VerificationFilter{UserID: p.UserID, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("latest case: %w", err)
	}
	if len(vs) == 0 || !p.Owns(vs[0]) {
		return nil, nil
	}
	return vs[0], nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
