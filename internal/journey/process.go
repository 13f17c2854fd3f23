package journey

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"github.com/kycd/kycd/internal/document"
	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/store"
)

// Submit hands a case with its document over for the decision. A second
// submit, or two at once, cannot queue it twice: the move to processing
// happens once (optimistic concurrency), the loser gets a conflict.
func (s *Service) Submit(ctx context.Context, p *kyc.Principal, id string) (*kyc.Verification, error) {
	v, err := s.load(ctx, p, id, true)
	if err != nil {
		return nil, err
	}
	if v.Status != kyc.StatusDocumentSubmitted {
		return nil, kyc.Errorf(kyc.Conflict, "the verification is %s: submit it after uploading the document", v.Status)
	}
	v.Status, v.SubmittedAt = kyc.StatusProcessing, s.o.Now()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SaveVerification(ctx, v); err != nil {
			return err
		}
		if _, err := s.queue.Enqueue(ctx, tx, ProcessArgs{VerificationID: v.ID}, nil); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: "verification.submitted", ActorID: p.ID(), SubjectID: v.ID})
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// ProcessArgs queues a submitted case's decision.
type ProcessArgs struct {
	VerificationID string `json:"verification_id"`
}

// Kind implements river.JobArgs.
func (ProcessArgs) Kind() string { return "verification_process" }

// InsertOpts: one decision job per case at a time.
func (ProcessArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// ProcessWorker decides submitted cases.
type ProcessWorker struct {
	river.WorkerDefaults[ProcessArgs]
	S *Service
}

// Work implements river.Worker. It is idempotent: a case that is no longer
// processing (decided by a run that crashed after committing) is left
// alone, and a document still being read makes the job wait.
func (w *ProcessWorker) Work(ctx context.Context, job *river.Job[ProcessArgs]) error {
	s := w.S
	v, err := s.forJob(ctx, job.Args.VerificationID)
	if err != nil {
		return err
	}
	if v.Status != kyc.StatusProcessing {
		return nil
	}
	if v.DocumentStatus == kyc.DocumentPending {
		return river.JobSnooze(time.Second)
	}
	d, err := s.Details(v)
	if err != nil {
		return river.JobCancel(err)
	}
	out, err := s.decide(ctx, v, d)
	if err != nil {
		return err
	}
	v.Status, v.Reasons, v.Similarity = out.status, out.reasons, out.similarity
	v.DecidedBy, v.DecidedAt = "auto", s.o.Now()
	if out.status == kyc.StatusNeedsReview {
		v.DecidedAt = time.Time{} // a reviewer decides
	}
	d.Duplicates = out.duplicates
	if err := s.setDetails(v, d); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SaveVerification(ctx, v); err != nil {
			return err
		}
		if out.template != nil {
			if err := tx.PutFaceTemplate(ctx, out.template); err != nil {
				return err
			}
		}
		event := EventCompleted
		if v.Status == kyc.StatusNeedsReview {
			event = EventNeedsReview
		}
		if err := s.emit(ctx, tx, event, v); err != nil {
			return err
		}
		detail := map[string]string{"status": string(v.Status), "reasons": fmt.Sprint(v.Reasons)}
		if v.Similarity != nil {
			detail["similarity"] = fmt.Sprintf("%.1f", *v.Similarity)
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: "verification.decided", ActorID: "system", SubjectID: v.ID, Detail: detail})
	})
}

type outcome struct {
	status     kyc.Status
	reasons    []string
	similarity *float64
	duplicates []string
	template   *store.FaceTemplate
}

// decide applies the rules. Hard failures reject; doubts (a borderline
// face match, a failing check digit, printed text that disagrees, a face
// seen on another applicant's case) go to a reviewer instead of a guess.
func (s *Service) decide(ctx context.Context, v *kyc.Verification, d *Details) (*outcome, error) {
	r := s.o.Rules
	var reject, review []string
	an := d.Document
	switch {
	case an == nil:
		reject = append(reject, ReasonUnreadable)
	default:
		if an.DocumentType == document.Unknown || len(an.Fields) == 0 || an.Fields["DATE_OF_BIRTH"].Value == "" {
			reject = append(reject, ReasonUnreadable)
		} else if !slices.Contains(r.DocumentTypes, string(an.DocumentType)) ||
			len(r.Countries) > 0 && !slices.Contains(r.Countries, an.IssuingCountry) {
			reject = append(reject, ReasonUnsupported)
		}
		if slices.Contains(an.Warnings, document.WarnExpired) {
			reject = append(reject, ReasonExpired)
		}
		if an.MRZ != nil && !an.MRZ.Valid {
			review = append(review, ReasonChecksum)
		}
		if slices.Contains(an.Warnings, document.WarnInconsistent) {
			review = append(review, ReasonInconsistent)
		}
		if b, err := time.Parse(time.DateOnly, an.Fields["DATE_OF_BIRTH"].Value); err == nil && age(b, s.o.Now()) < r.MinAge {
			reject = append(reject, ReasonUnderage)
		}
	}
	out := &outcome{}
	// The face: the liveness reference against the document's portrait.
	var ref []float32
	var err error = kyc.Errorf(kyc.NotFound, "no liveness service")
	if s.liveness != nil {
		ref, _, err = s.liveness.Reference(ctx, v.ID)
	}
	switch {
	case err != nil && kyc.ErrorCode(err) == kyc.NotFound:
		reject = append(reject, ReasonLivenessFailed)
	case err != nil:
		return nil, err
	case len(d.PortraitFace) == 0:
		if an != nil {
			reject = append(reject, ReasonNoFace)
		}
	default:
		sim := math.Round(face.Similarity(face.Cosine(ref, d.PortraitFace))*10) / 10
		out.similarity = &sim
		switch {
		case sim >= r.MatchThreshold:
		case sim >= r.ReviewThreshold:
			review = append(review, ReasonFaceUncertain)
		default:
			reject = append(reject, ReasonFaceMismatch)
		}
	}
	// The passive anti-spoofing model and the face's consistency across
	// the challenges, when they were unconvinced: a person looks.
	if len(ref) > 0 && r.SpoofReview > 0 && s.livenessConfidence(ctx, v.ID) < r.SpoofReview {
		review = append(review, ReasonSpoof)
	}
	// The duplicate search: this face on another applicant's case.
	if len(ref) > 0 {
		dups, err := s.duplicates(ctx, v, ref)
		if err != nil {
			return nil, err
		}
		if len(dups) > 0 {
			out.duplicates = dups
			review = append(review, ReasonDuplicate)
		}
		sealed, err := s.keyring.Seal(float32Bytes(ref), templateAAD(v.ID))
		if err != nil {
			return nil, err
		}
		out.template = &store.FaceTemplate{VerificationID: v.ID, UserID: v.UserID, Embedding: sealed}
	}
	switch {
	case len(reject) > 0:
		out.status, out.reasons = kyc.StatusRejected, append(reject, review...)
	case len(review) > 0:
		out.status, out.reasons = kyc.StatusNeedsReview, review
	default:
		out.status, out.reasons = kyc.StatusApproved, []string{}
	}
	return out, nil
}

// livenessConfidence is the confidence of the case's passed liveness check.
func (s *Service) livenessConfidence(ctx context.Context, id string) float64 {
	l, err := s.db.LatestLiveness(ctx, id, "succeeded")
	if err != nil {
		return 0
	}
	return l.Confidence
}

// duplicates finds earlier cases of other applicants whose face is this
// one (1:N over the stored templates, decrypted one by one).
func (s *Service) duplicates(ctx context.Context, v *kyc.Verification, ref []float32) ([]string, error) {
	ts, err := s.db.FaceTemplates(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range ts {
		if v.UserID != "" && t.UserID == v.UserID {
			continue // the same applicant's earlier attempt
		}
		b, err := s.keyring.Open(t.Embedding, templateAAD(t.VerificationID))
		if err != nil {
			s.o.Logger.Warn("a face template cannot be opened", "verification", t.VerificationID, "err", err)
			continue
		}
		if face.Similarity(face.Cosine(ref, bytesFloat32(b))) >= s.o.Rules.DuplicateThreshold {
			out = append(out, t.VerificationID)
		}
	}
	return out, nil
}

func templateAAD(id string) []byte { return []byte("face template " + id) }

// age is the number of birthdays passed by now. It compares month and day,
// not the day of the year, which a leap year shifts by one after February.
func age(birth, now time.Time) int {
	a := now.Year() - birth.Year()
	if now.Month() < birth.Month() || now.Month() == birth.Month() && now.Day() < birth.Day() {
		a--
	}
	return a
}

func float32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		u := math.Float32bits(f)
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	return b
}

func bytesFloat32(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24)
	}
	return v
}

// Decide is a reviewer's decision on a case that needs review.
func (s *Service) Decide(ctx context.Context, p *kyc.Principal, id string, approve bool, note string) (*kyc.Verification, error) {
	if !p.Has(kyc.RoleReviewer, kyc.RoleAdmin) {
		return nil, kyc.Errorf(kyc.Forbidden, "decisions are for reviewers")
	}
	v, err := s.load(ctx, p, id, false)
	if err != nil {
		return nil, err
	}
	if v.Status != kyc.StatusNeedsReview {
		return nil, kyc.Errorf(kyc.Conflict, "the verification is %s: only cases that need review are decided by hand", v.Status)
	}
	d, err := s.Details(v)
	if err != nil {
		return nil, err
	}
	d.Note = note
	if err := s.setDetails(v, d); err != nil {
		return nil, err
	}
	v.Status = kyc.StatusRejected
	if approve {
		v.Status = kyc.StatusApproved
	}
	v.Reasons = append(v.Reasons, ReasonReviewer)
	v.DecidedBy, v.DecidedAt = p.UserID, s.o.Now()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SaveVerification(ctx, v); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, EventCompleted, v); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: "verification.reviewed", ActorID: p.ID(), SubjectID: v.ID,
			Detail: map[string]string{"status": string(v.Status)}})
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}
