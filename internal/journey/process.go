package journey

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/kycd/kycd/internal/document"
	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/queue"
	"github.com/kycd/kycd/internal/store"
	"github.com/kycd/kycd/internal/webhook"
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
	err = s.db.InTx(ctx, "submit case", func(tx *store.Tx) error {
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

// InsertOpts: one decision job per case at a time. A finished one does
// not count: a case a reviewer reopened for a new document is decided
// again.
func (ProcessArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queue.Analysis, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{rivertype.JobStateAvailable,
		rivertype.JobStatePending, rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled}}}
}

// ProcessWorker decides submitted cases.
type ProcessWorker struct {
	river.WorkerDefaults[ProcessArgs]
	S *Service
}

// Work implements river.Worker. It is idempotent: a case that is no longer
// processing (decided by a run that crashed after committing) is left
// alone, and a document still being read makes the job wait.
func (w *ProcessWorker) Work(ctx context.Context, job *river.Job[ProcessArgs]) (err error) {
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
	v.Status, v.Reasons, v.Similarity = out.decision.Status, out.decision.Reasons, out.similarity
	defer func() {
		if err == nil {
			s.o.Metrics.Decision(string(v.Status), v.Reasons, "auto")
		}
	}()
	v.DecidedBy, v.DecidedAt = "auto", s.o.Now()
	if v.Status == kyc.StatusNeedsReview {
		v.DecidedAt = time.Time{} // a reviewer decides
	}
	d.Duplicates = out.duplicates
	if err := s.setDetails(v, d); err != nil {
		return err
	}
	return s.db.InTx(ctx, "record decision", func(tx *store.Tx) error {
		if err := tx.SaveVerification(ctx, v); err != nil {
			return err
		}
		if err := tx.SetVerificationTerms(ctx, v.ID, s.searchTerms(d.Document)); err != nil {
			return err
		}
		if out.template != nil {
			if err := tx.PutFaceTemplate(ctx, out.template); err != nil {
				return err
			}
		}
		event := webhook.EventCompleted
		if v.Status == kyc.StatusNeedsReview {
			event = webhook.EventNeedsReview
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
	decision   kyc.Decision
	similarity *float64
	duplicates []string
	template   *store.FaceTemplate
}

// decide gathers the evidence and applies the rules (kyc.Decide). It fails
// closed: an error reading what a rule needs is returned (the job is
// retried), never taken for an answer, and a check that cannot be made is
// named in the evidence, which sends the case to a reviewer.
func (s *Service) decide(ctx context.Context, v *kyc.Verification, d *Details) (*outcome, error) {
	e := kyc.Evidence{Document: documentEvidence(d), Mismatches: Mismatches(d.Expected.Compare(d.Document))}
	if d.Dispute != nil {
		e.Disputed = d.Dispute.Fields
	}
	out := &outcome{}
	// The liveness check: its reference face and confidence.
	var ref []float32
	if s.liveness != nil {
		l, err := s.db.LatestLiveness(ctx, v.ID, "succeeded")
		switch {
		case kyc.ErrorCode(err) == kyc.NotFound:
		case err != nil:
			return nil, fmt.Errorf("decide %s: read the liveness check: %w", v.ID, err)
		default:
			if ref, _, err = s.liveness.Reference(ctx, v.ID); err != nil {
				return nil, fmt.Errorf("decide %s: open the liveness reference: %w", v.ID, err)
			}
			e.LivenessPassed, e.LivenessConfidence = len(ref) > 0, l.Confidence
		}
	}
	// The face: the liveness reference against the document's portrait,
	// or, in a re-verification, against the earlier case's reference.
	other := d.PortraitFace
	if e.NoDocument, e.Reverify = d.Options.LivenessOnly(), d.Options != nil && d.Options.FaceOf != ""; e.Reverify {
		prev, _, err := s.liveness.Reference(ctx, d.Options.FaceOf)
		switch {
		case kyc.ErrorCode(err) == kyc.NotFound: // erased since: the comparison cannot be made (check_incomplete)
		case err != nil:
			return nil, fmt.Errorf("decide %s: open the earlier case's face: %w", v.ID, err)
		}
		other = prev
	}
	if len(ref) > 0 && len(other) > 0 {
		sim := math.Round(face.Similarity(face.Cosine(ref, other))*10) / 10
		e.Similarity, out.similarity = &sim, &sim
	}
	// The duplicate search: this face on another applicant's case (not
	// in a re-verification, where the same face is the point).
	if len(ref) > 0 && !e.Reverify {
		dups, unchecked, err := s.duplicates(ctx, v, ref)
		if err != nil {
			return nil, fmt.Errorf("decide %s: %w", v.ID, err)
		}
		e.Duplicates, out.duplicates = dups, dups
		if unchecked > 0 {
			e.Unchecked = append(e.Unchecked, "duplicate_search")
		}
		sealed, err := s.keyring.Seal(float32Bytes(ref), templateAAD(v.ID))
		if err != nil {
			return nil, err
		}
		out.template = &store.FaceTemplate{VerificationID: v.ID, UserID: v.UserID, Embedding: sealed}
	}
	out.decision = kyc.Decide(e, d.Options.narrow(s.o.Rules.Rules), s.o.Now())
	return out, nil
}

// submitBlock says why a read document would surely be rejected: its
// other side is needed, it is unreadable, or it is not a document the case
// accepts ("" when none of these).
func (s *Service) submitBlock(d *Details) string {
	e := documentEvidence(d)
	back := d.Document != nil && slices.Contains(d.Document.Warnings, document.WarnBackNeeded)
	switch {
	case back && e != nil && e.Type != "" && e.Type != "unknown": // a card known by its front: its data is on the back
		return document.WarnBackNeeded
	case !e.Readable(): // nothing tells it is a document (a selfie sent as one, say): "unreadable" is the clear advice
		return kyc.ReasonUnreadable
	case !e.AcceptedBy(d.Options.narrow(s.o.Rules.Rules)):
		return kyc.ReasonUnsupported
	case back:
		return document.WarnBackNeeded
	}
	return ""
}

// documentEvidence is what the decision needs of the document's reading:
// nil when nothing could be read.
func documentEvidence(d *Details) *kyc.DocumentEvidence {
	an := d.Document
	if an == nil {
		return nil
	}
	date := func(field string) time.Time {
		t, _ := time.Parse(time.DateOnly, an.Fields[field].Value)
		return t
	}
	return &kyc.DocumentEvidence{Type: string(an.DocumentType), Country: an.IssuingCountry, HasFields: len(an.Fields) > 0,
		DateOfBirth: date("DATE_OF_BIRTH"), ExpiresOn: date("EXPIRATION_DATE"),
		Expired: slices.Contains(an.Warnings, document.WarnExpired), PortraitFound: len(d.PortraitFace) > 0,
		MRZRead: an.MRZ != nil, MRZValid: an.MRZ != nil && (an.MRZ.ChecksPass || an.MRZ.Valid), // Valid alone: read before checks_pass existed
		Inconsistent: slices.Contains(an.Warnings, document.WarnInconsistent),
		Unconfirmed:  slices.Contains(an.Warnings, document.WarnUnconfirmed)}
}

// duplicates finds earlier cases of other applicants whose face is this
// one (1:N over the stored templates, decrypted one by one). It counts the
// templates it could not open: the search is incomplete without them.
func (s *Service) duplicates(ctx context.Context, v *kyc.Verification, ref []float32) (found []string, unchecked int, err error) {
	ctx, end := s.o.Metrics.Begin(ctx, "duplicate_search")
	defer end()
	ts, err := s.db.FaceTemplates(ctx, v.ID)
	if err != nil {
		return nil, 0, fmt.Errorf("duplicate search: %w", err)
	}
	for _, t := range ts {
		if v.UserID != "" && t.UserID == v.UserID {
			continue // the same applicant's earlier attempt
		}
		if v.APIKeyID != "" && v.Reference != "" && t.APIKeyID == v.APIKeyID && t.Reference == v.Reference {
			continue // the integrator's same customer (its reference), earlier
		}
		b, err := s.keyring.Open(t.Embedding, templateAAD(t.VerificationID))
		if err != nil {
			s.o.Logger.Error("a face template cannot be opened: the duplicate search is incomplete", "verification", t.VerificationID, "err", err)
			unchecked++
			continue
		}
		if face.Similarity(face.Cosine(ref, bytesFloat32(b))) >= s.o.Rules.DuplicateThreshold {
			found = append(found, t.VerificationID)
		}
	}
	return found, unchecked, nil
}

func templateAAD(id string) []byte { return []byte("face template " + id) }

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
