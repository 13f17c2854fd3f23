package journey

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/document"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/store"
	"github.com/kycd/kycd/internal/webhook"
)

// Four-eyes modes (Rules.FourEyes): which reviewers' decisions wait for a
// second reviewer's confirmation.
const (
	FourEyesOff        = "off"
	FourEyesRejections = "rejections" // every rejection
	FourEyesHighRisk   = "high_risk"  // every rejection, and approvals of cases with a fraud signal
	FourEyesAll        = "all"        // every decision
)

// highRisk are the reasons that make approving a case a high-risk
// decision: signs of fraud, not of a poor photo.
var highRisk = []string{kyc.ReasonSpoof, kyc.ReasonDuplicate, kyc.ReasonFaceUncertain, kyc.ReasonDataMismatch,
	kyc.ReasonInconsistent, kyc.ReasonDisputed}

// needsSecond reports whether a reviewer's decision on v waits for a
// second reviewer.
func (r Rules) needsSecond(v *kyc.Verification, approve bool) bool {
	switch r.FourEyes {
	case FourEyesAll:
		return true
	case FourEyesRejections:
		return !approve
	case FourEyesHighRisk:
		return !approve || slices.ContainsFunc(v.Reasons, func(c string) bool { return slices.Contains(highRisk, c) })
	}
	return false
}

// Review is a reviewer's decision: approve, reject, or ask the applicant
// for a new document (Resubmit); the reason of a rejection or of the ask
// (one of ReviewReasons, ResubmitReasons), and a note, which a rejection
// and an ask must have (it is what the next reviewer, an auditor or the
// applicant's appeal reads). A second reviewer confirming a decision under
// four-eyes may leave reason and note empty: the first reviewer's stand.
type Review struct {
	Approve  bool
	Resubmit bool
	Reason   string
	Note     string
}

// ReviewReasons are the reasons a reviewer may give a rejection.
var ReviewReasons = []string{kyc.ReasonFaceMismatch, kyc.ReasonDuplicate, kyc.ReasonSpoof, kyc.ReasonDataMismatch,
	kyc.ReasonInconsistent, kyc.ReasonUnreadable, kyc.ReasonUnsupported, kyc.ReasonExpired, kyc.ReasonUnderage}

// ResubmitReasons are the reasons a reviewer may ask for a new document
// for: what a new photo or another document can mend.
var ResubmitReasons = []string{kyc.ReasonUnreadable, kyc.ReasonUnsupported, kyc.ReasonExpired, kyc.ReasonInconsistent}

// Proposal is a reviewer's decision that waits for a second reviewer.
type Proposal struct {
	Approve bool      `json:"approve"`
	Reason  string    `json:"reason,omitempty"`
	Note    string    `json:"note,omitempty"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// Outcome is the status the proposal would decide: approved or rejected.
func (p *Proposal) Outcome() string { return verdictOf(p.Approve) }

// DocumentRequest is a reviewer's ask for a new document.
type DocumentRequest struct {
	Reason string    `json:"reason"`
	Note   string    `json:"note,omitempty"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// Dispute is what the applicant says the reading of their document has
// wrong: the document stays the source of truth, a reviewer looks.
type Dispute struct {
	Fields []string  `json:"fields"`
	Note   string    `json:"note,omitempty"`
	At     time.Time `json:"at"`
}

// check validates a review; confirming is a second reviewer's
// confirmation of a proposal (no note needed).
func (r Review) check(confirming bool) error {
	reasons := ReviewReasons
	if r.Resubmit {
		reasons = ResubmitReasons
		if r.Approve || r.Reason == "" {
			return kyc.Errorf(kyc.Invalid, "asking for a new document needs its reason: one of %s", strings.Join(reasons, ", "))
		}
	}
	if r.Reason != "" && (r.Approve || !slices.Contains(reasons, r.Reason)) {
		return kyc.Errorf(kyc.Invalid, "the reason is one of %s", strings.Join(reasons, ", "))
	}
	if !r.Approve && !confirming && len(strings.TrimSpace(r.Note)) < 5 {
		return kyc.Errorf(kyc.Invalid, "a rejection or a request for a new document needs a note: what you saw, for the record")
	}
	if len(r.Note) > 2000 {
		return kyc.Errorf(kyc.Invalid, "the note is longer than 2000 characters")
	}
	return nil
}

// reviewable loads a case for a reviewer's action: it needs review and no
// other reviewer holds it.
func (s *Service) reviewable(ctx context.Context, p *kyc.Principal, id string) (*kyc.Verification, error) {
	if !p.Has(kyc.RoleReviewer, kyc.RoleAdmin) {
		return nil, kyc.Errorf(kyc.Forbidden, "reviews are for reviewers")
	}
	v, err := s.load(ctx, p, id, false)
	if err != nil {
		return nil, err
	}
	if p.Owns(v) {
		return nil, kyc.Errorf(kyc.Forbidden, "a reviewer does not review their own case")
	}
	if v.Status != kyc.StatusNeedsReview {
		return nil, kyc.Errorf(kyc.Conflict, "the verification is %s: only cases that need review are decided by hand", v.Status)
	}
	if other := v.ClaimedByOther(p.ID(), s.o.Now()); other != "" {
		return nil, kyc.Errorf(kyc.Conflict, "another reviewer is working on this case (claimed %s ago)", s.o.Now().Sub(v.ClaimedAt).Round(time.Minute))
	}
	return v, nil
}

// Claim gives the case to reviewer p (or takes it back: release), so that
// two reviewers do not work one case. A claim lapses after kyc.ClaimTTL
// without a decision; two claims at once cannot both win (the case's
// version guards it).
func (s *Service) Claim(ctx context.Context, p *kyc.Principal, id string, release bool) (*kyc.Verification, error) {
	v, err := s.reviewable(ctx, p, id)
	if err != nil {
		return nil, err
	}
	action := "verification.claimed"
	v.ClaimedBy, v.ClaimedAt = p.ID(), s.o.Now()
	if release {
		action, v.ClaimedBy, v.ClaimedAt = "verification.released", "", time.Time{}
	}
	err = s.db.InTx(ctx, "claim case", func(tx *store.Tx) error {
		if err := tx.SaveVerification(ctx, v); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: action, ActorID: p.ID(), SubjectID: v.ID})
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Decide is a reviewer's decision on a case that needs review. It is
// recorded with who decided, when, the reason and the note. Under a
// four-eyes rule the first reviewer's decision is a proposal that a second
// reviewer confirms (the same outcome) or replaces; the proposer cannot
// confirm their own.
func (s *Service) Decide(ctx context.Context, p *kyc.Principal, id string, r Review) (_ *kyc.Verification, err error) {
	v, err := s.reviewable(ctx, p, id)
	if err != nil {
		return nil, err
	}
	d, err := s.Details(v)
	if err != nil {
		return nil, err
	}
	prop := d.Proposal
	confirming := prop != nil && !r.Resubmit && prop.Approve == r.Approve && prop.By != p.ID()
	if confirming && r.Reason == "" {
		r.Reason = prop.Reason
	}
	if err := r.check(confirming); err != nil {
		return nil, err
	}
	if prop != nil && prop.By == p.ID() {
		return nil, kyc.Errorf(kyc.Conflict, "your decision waits for a second reviewer: another reviewer confirms or replaces it")
	}
	if r.Resubmit {
		return s.requestDocument(ctx, p, v, d, r)
	}
	note := strings.TrimSpace(r.Note)
	if !confirming && s.o.Rules.needsSecond(v, r.Approve) {
		d.Proposal = &Proposal{Approve: r.Approve, Reason: r.Reason, Note: note, By: p.ID(), At: s.o.Now()}
		v.ProposedBy, v.ClaimedBy, v.ClaimedAt = p.ID(), "", time.Time{}
		return v, s.saveReview(ctx, v, d, "verification.proposed", p.ID(), map[string]string{"outcome": verdictOf(r.Approve), "reason": r.Reason}, nil)
	}
	detail := map[string]string{"status": verdictOf(r.Approve), "reason": r.Reason, "noted": fmt.Sprint(note != "")}
	if confirming {
		detail["confirms"] = prop.By
		if note == "" {
			note = prop.Note
		} else if prop.Note != "" {
			note = prop.Note + "\n— " + note
		}
	}
	d.Note = note
	v.Status = kyc.Status(verdictOf(r.Approve))
	v.Reasons = append(v.Reasons, kyc.ReasonReviewer)
	if r.Reason != "" && !slices.Contains(v.Reasons, r.Reason) {
		v.Reasons = kyc.Ordered(append(v.Reasons, r.Reason))
	}
	v.DecidedBy, v.DecidedAt = p.ID(), s.o.Now() // a reviewer's user id, or a reviewer key's id
	defer func() {
		if err == nil {
			s.o.Metrics.Decision(string(v.Status), v.Reasons, p.ID())
		}
	}()
	return v, s.saveReview(ctx, v, d, "verification.reviewed", p.ID(), detail, func(tx *store.Tx) error {
		return s.emit(ctx, tx, webhook.EventCompleted, v)
	})
}

func verdictOf(approve bool) string {
	if approve {
		return string(kyc.StatusApproved)
	}
	return string(kyc.StatusRejected)
}

// saveReview seals d into v and saves v with its audit event (and what
// more must happen in the same transaction).
func (s *Service) saveReview(ctx context.Context, v *kyc.Verification, d *Details, action, actor string, detail map[string]string, more func(tx *store.Tx) error) error {
	if err := s.setDetails(v, d); err != nil {
		return err
	}
	return s.db.InTx(ctx, action, func(tx *store.Tx) error {
		if err := tx.SaveVerification(ctx, v); err != nil {
			return err
		}
		if more != nil {
			if err := more(tx); err != nil {
				return err
			}
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: action, ActorID: actor, SubjectID: v.ID, Detail: detail})
	})
}

// requestDocument reopens a case for a new document: the case goes back to
// liveness_passed (the liveness check stands), the old document's images
// and reading are deleted, and the applicant is told why.
func (s *Service) requestDocument(ctx context.Context, p *kyc.Principal, v *kyc.Verification, d *Details, r Review) (*kyc.Verification, error) {
	old := []string{d.Front, d.Back, d.Portrait}
	d.Request = &DocumentRequest{Reason: r.Reason, Note: strings.TrimSpace(r.Note), By: p.ID(), At: s.o.Now()}
	d.Document, d.DocumentError, d.Front, d.Back, d.Portrait, d.PortraitFace = nil, "", "", "", "", nil
	d.Duplicates, d.Proposal, d.Dispute = nil, nil, nil
	v.Status, v.DocumentStatus, v.Reasons, v.Similarity = kyc.StatusLivenessPassed, "", nil, nil
	v.SubmittedAt, v.DecidedBy, v.DecidedAt, v.ClaimedBy, v.ClaimedAt, v.ProposedBy = time.Time{}, "", time.Time{}, "", time.Time{}, ""
	return v, s.saveReview(ctx, v, d, "verification.document_requested", p.ID(), map[string]string{"reason": r.Reason}, func(tx *store.Tx) error {
		if err := tx.DeleteFaceTemplate(ctx, v.ID); err != nil {
			return err
		}
		if err := tx.SetVerificationTerms(ctx, v.ID, nil); err != nil {
			return err
		}
		return s.deleteLater(ctx, tx, old...)
	})
}

// DisputeFields records that the applicant says fields of the reading are
// wrong, before they submit: the document stays the source of truth, and
// the case goes to a reviewer (data_disputed) instead of being approved on
// a reading its owner doubts. No fields withdraws the dispute.
func (s *Service) DisputeFields(ctx context.Context, p *kyc.Principal, id string, fields []string, note string) (*kyc.Verification, error) {
	v, err := s.load(ctx, p, id, true)
	if err != nil {
		return nil, err
	}
	if v.Status != kyc.StatusDocumentSubmitted || v.DocumentStatus != kyc.DocumentDone {
		return nil, kyc.Errorf(kyc.Conflict, "the verification is %s: a reading is disputed after it is done and before submitting", v.Status)
	}
	note = strings.TrimSpace(note)
	if len(note) > 500 || !kyc.PlainText(note) {
		return nil, kyc.Errorf(kyc.Invalid, "the note is plain text of at most 500 characters")
	}
	d, err := s.Details(v)
	if err != nil {
		return nil, err
	}
	fields = slices.Compact(slices.Sorted(slices.Values(fields)))
	for _, f := range fields {
		if _, ok := d.Document.Fields[f]; d.Document == nil || !ok {
			return nil, kyc.Errorf(kyc.Invalid, "the document shows no field %q", f)
		}
	}
	d.Dispute = nil
	if len(fields) > 0 {
		d.Dispute = &Dispute{Fields: fields, Note: note, At: s.o.Now()}
	}
	return v, s.saveReview(ctx, v, d, "document.disputed", p.ID(), map[string]string{"fields": strings.Join(fields, ",")}, nil)
}

// searchTerms are the keyed hashes a case is found by: each word of its
// names (as printed, and with the MRZ's transliterations) and its document
// number. The key comes from the master key (seal.Keyring.IndexKey), so
// that the database alone does not tell who is in it; a key rotation
// rebuilds them (Reindex).
func (s *Service) searchTerms(an *document.Analysis) []string {
	if an == nil || s.keyring == nil {
		return nil
	}
	var words []string
	for _, f := range []string{"FIRST_NAME", "MIDDLE_NAME", "LAST_NAME"} {
		v := an.Fields[f].Value
		words = append(words, strings.Fields(foldName(v, false))...)
		words = append(words, strings.Fields(foldName(v, true))...)
	}
	if n := foldNumber(an.Fields["DOCUMENT_NUMBER"].Value); n != "" {
		words = append(words, n)
	}
	key := s.keyring.IndexKey("case search")
	out := make([]string, 0, len(words))
	for _, w := range words {
		out = append(out, searchTerm(key, w))
	}
	return out
}

func searchTerm(key []byte, word string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(word))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// queryTerms are the keyed hashes of what a reviewer typed: each word, as
// a name and as a document number.
func (s *Service) queryTerms(q string) []string {
	if s.keyring == nil {
		return nil
	}
	key := s.keyring.IndexKey("case search")
	var out []string
	for _, w := range strings.Fields(foldName(q, false)) {
		out = append(out, searchTerm(key, w))
	}
	if len(out) == 0 || strings.ContainsAny(q, "0123456789") {
		out = []string{searchTerm(key, foldNumber(q))} // a document number: one word, digits kept
	}
	return out
}

// Reindex rebuilds every case's search terms (after a master key rotation,
// which changes their key). It returns how many cases it indexed.
func (s *Service) Reindex(ctx context.Context) (int, error) {
	ids, err := s.db.VerificationIDs(ctx)
	if err != nil {
		return 0, err
	}
	for i, id := range ids {
		v, err := s.db.GetVerification(ctx, id)
		if err != nil {
			return i, err
		}
		d, err := s.Details(v)
		if err != nil {
			return i, fmt.Errorf("reindex %s: %w", v.ID, err)
		}
		var terms []string
		if v.Status != kyc.StatusErased {
			terms = s.searchTerms(d.Document)
		}
		if err := s.db.SetVerificationTerms(ctx, v.ID, terms); err != nil {
			return i, err
		}
	}
	return len(ids), nil
}

// Review lists cases for reviewers: the oldest first when they wait for
// review (a work queue), else the newest first; those in status (any when
// empty), narrowed by q to the case with that id, the cases whose
// reference contains q, or those whose names or document number are q's
// words (by their keyed hashes).
func (s *Service) Review(ctx context.Context, p *kyc.Principal, status kyc.Status, q string, limit int) ([]*kyc.Verification, error) {
	if !p.Has(kyc.RoleReviewer, kyc.RoleAdmin) {
		return nil, kyc.Errorf(kyc.Forbidden, "the review queue is for reviewers")
	}
	if status != "" && !status.Valid() {
		return nil, kyc.Errorf(kyc.Invalid, "unknown status %q", status)
	}
	f := store.VerificationFilter{Status: status, Limit: limit, Oldest: status == kyc.StatusNeedsReview}
	if q = strings.TrimSpace(q); q == "" {
		return s.db.ListVerifications(ctx, f)
	}
	ids, err := s.db.VerificationsWithTerms(ctx, s.queryTerms(q))
	if err != nil {
		return nil, err
	}
	if ids == nil {
		ids = []string{} // no case has them: none, not any
	}
	vs, err := s.db.ListVerifications(ctx, f)
	if err != nil {
		return nil, err
	}
	f.IDs = ids
	found, err := s.db.ListVerifications(ctx, f)
	if err != nil {
		return nil, err
	}
	vs = slices.DeleteFunc(vs, func(v *kyc.Verification) bool { return v.ID != q && !strings.Contains(v.Reference, q) })
	for _, v := range found {
		if !slices.ContainsFunc(vs, func(w *kyc.Verification) bool { return w.ID == v.ID }) {
			vs = append(vs, v)
		}
	}
	return vs, nil
}
