package journey

import (
	"context"
	"slices"
	"strings"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/store"
)

// CaseOptions is what an integrator asks of a case: the documents it
// accepts (within the server's rules), or no document at all: a liveness
// check only, decided as soon as it passes, and compared with the face of
// an earlier case when FaceOf names one (re-verification of a returning
// user).
type CaseOptions struct {
	DocumentTypes []string `json:"document_types,omitempty" doc:"the document types accepted, within the server's"`
	Countries     []string `json:"countries,omitempty" doc:"the issuing countries accepted (ISO 3166-1 alpha-3), within the server's"`
	Document      *bool    `json:"document,omitempty" doc:"false: no document, the liveness check only (decided when it passes); true when left out"`
	FaceOf        string   `json:"face_of,omitempty" maxLength:"64" doc:"with document false: an earlier approved case of this key whose face the live person must have (re-verification); without it, a liveness-only check proves a live person, not who"`
}

// LivenessOnly reports whether the case needs no document.
func (o *CaseOptions) LivenessOnly() bool { return o != nil && o.Document != nil && !*o.Document }

// validate checks o's values against the server's rules.
func (o *CaseOptions) validate(r kyc.Rules) error {
	if o == nil {
		return nil
	}
	if o.LivenessOnly() && (len(o.DocumentTypes) > 0 || len(o.Countries) > 0) {
		return kyc.Errorf(kyc.Invalid, "a check without a document accepts no document types or countries")
	}
	if o.FaceOf != "" && !o.LivenessOnly() {
		return kyc.Errorf(kyc.Invalid, "face_of is for a check without a document (document: false)")
	}
	for _, t := range o.DocumentTypes {
		if !slices.Contains(r.DocumentTypes, t) {
			return kyc.Errorf(kyc.Invalid, "document type %q is not one this server accepts (%s)", t, strings.Join(r.DocumentTypes, ", "))
		}
	}
	for _, c := range o.Countries {
		if len(c) != 3 || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return kyc.Errorf(kyc.Invalid, "countries are ISO 3166-1 alpha-3 codes in capitals, such as DEU")
		}
		if len(r.Countries) > 0 && !slices.Contains(r.Countries, c) {
			return kyc.Errorf(kyc.Invalid, "country %s is not one this server accepts", c)
		}
	}
	return nil
}

// narrow is r with o's narrower lists.
func (o *CaseOptions) narrow(r kyc.Rules) kyc.Rules {
	if o == nil {
		return r
	}
	if len(o.DocumentTypes) > 0 {
		r.DocumentTypes = o.DocumentTypes
	}
	if len(o.Countries) > 0 {
		r.Countries = o.Countries
	}
	return r
}

// checkFaceOf checks that the case id can be a re-verification's
// reference for p: p's own, approved, with its face still kept.
func (s *Service) checkFaceOf(ctx context.Context, p *kyc.Principal, id string) error {
	prev, err := s.load(ctx, p, id, true)
	if err != nil {
		return err
	}
	if prev.Status != kyc.StatusApproved {
		return kyc.Errorf(kyc.Conflict, "face_of: verification %s is %s, not approved", id, prev.Status)
	}
	if s.liveness == nil {
		return kyc.Errorf(kyc.Unavailable, "face_of: the liveness check is not available")
	}
	ref, _, err := s.liveness.Reference(ctx, id)
	if kyc.ErrorCode(err) == kyc.NotFound || err == nil && len(ref) == 0 {
		return kyc.Errorf(kyc.Conflict, "face_of: verification %s no longer keeps its face (erased, or past retention)", id)
	}
	return err
}

// submitLivenessOnly moves a case that needs no document to its decision
// when its liveness check passed, in the transaction that ended the check.
func (s *Service) submitLivenessOnly(ctx context.Context, tx *store.Tx, v *kyc.Verification) error {
	v.Status, v.SubmittedAt = kyc.StatusProcessing, s.o.Now()
	if err := tx.SaveVerification(ctx, v); err != nil {
		return err
	}
	if _, err := s.queue.Enqueue(ctx, tx, ProcessArgs{VerificationID: v.ID}, nil); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, &store.AuditEvent{Action: "verification.submitted", ActorID: "system", SubjectID: v.ID,
		Detail: map[string]string{"document": "none asked"}})
}
