package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kycd/kycd/internal/journey"
	"github.com/kycd/kycd/internal/kyc"
)

// VerificationBody describes a verification case.
type VerificationBody struct {
	ID        string               `json:"id"`
	Status    string               `json:"status" enum:"created,liveness_passed,document_submitted,processing,approved,rejected,needs_review,expired,erased"`
	Reference string               `json:"reference,omitempty"`
	Liveness  *LivenessSummary     `json:"liveness,omitempty"`
	Document  *DocumentSummary     `json:"document,omitempty"`
	FaceMatch *FaceMatchBody       `json:"face_match,omitempty"`
	Decision  *DecisionBody        `json:"decision,omitempty"`
	Expected  []journey.Comparison `json:"expected,omitempty" doc:"what the integrator expected, field by field, against the document once it is read; a field that does not match (or that the document does not say) sends the case to review with data_mismatch"`
	// A reviewer's ask, the applicant's dispute, the reviewers' work.
	DocumentRequest *DocumentRequestBody `json:"document_request,omitempty" doc:"a reviewer asked for a new document: the case is back at liveness_passed for a new upload"`
	DisputedFields  []string             `json:"disputed_fields,omitempty" doc:"fields the applicant says the reading has wrong: the case goes to a reviewer (data_disputed); the document stays the source of truth"`
	Review          *ReviewBody          `json:"review,omitempty" doc:"reviewers and admins only: who works the case, and a decision waiting for a second reviewer"`
	CreatedAt       time.Time            `json:"created_at"`
	UpdatedAt       time.Time            `json:"updated_at"`
}

// DocumentSummary is what was read from the case's document.
type DocumentSummary struct {
	Status         string               `json:"status" enum:"pending,done,failed"`
	Error          string               `json:"error,omitempty"`
	DocumentType   string               `json:"document_type,omitempty"`
	IssuingCountry string               `json:"issuing_country,omitempty"`
	Fields         map[string]FieldBody `json:"fields,omitempty"`
	MRZValid       *bool                `json:"mrz_valid,omitempty"`
	Warnings       []string             `json:"warnings,omitempty"`
	Images         []string             `json:"image_urls,omitempty"`
}

// FaceMatchBody is the selfie against the document's portrait.
type FaceMatchBody struct {
	Similarity float64 `json:"similarity" doc:"0–100"`
	Match      bool    `json:"match"`
	Threshold  float64 `json:"threshold"`
}

// DecisionBody is the case's decision.
type DecisionBody struct {
	Outcome   string    `json:"outcome" enum:"approved,rejected,needs_review"`
	Reasons   []string  `json:"reasons"`
	DecidedBy string    `json:"decided_by,omitempty" doc:"auto, or the reviewer's user id"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	Note      string    `json:"note,omitempty"`
}

// DocumentRequestBody is a reviewer's ask for a new document.
type DocumentRequestBody struct {
	Reason      string    `json:"reason" enum:"document_unreadable,unsupported_document,document_expired,data_inconsistent"`
	RequestedAt time.Time `json:"requested_at"`
}

// ReviewBody is the reviewers' work on a case.
type ReviewBody struct {
	ClaimedBy string        `json:"claimed_by,omitempty" doc:"the reviewer working the case; a claim lapses after 30 minutes"`
	ClaimedAt time.Time     `json:"claimed_at,omitzero"`
	Proposal  *ProposalBody `json:"proposal,omitempty" doc:"four-eyes: a reviewer's decision that a second reviewer confirms"`
}

// ProposalBody is a decision waiting for a second reviewer.
type ProposalBody struct {
	Outcome    string    `json:"outcome" enum:"approved,rejected"`
	Reason     string    `json:"reason,omitempty"`
	ProposedBy string    `json:"proposed_by"`
	ProposedAt time.Time `json:"proposed_at"`
}

// LivenessSummary is a verification's latest liveness check.
type LivenessSummary struct {
	SessionID  string   `json:"session_id"`
	Status     string   `json:"status"`
	Confidence float64  `json:"confidence"`
	Reasons    []string `json:"reasons"`
}

// verificationBody is the wire form of a case's view as p may see it.
func verificationBody(view *journey.View, p *kyc.Principal) VerificationBody {
	v := view.Case
	b := VerificationBody{ID: v.ID, Status: string(v.Status), Reference: v.Reference, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
	if l := view.Liveness; l != nil {
		b.Liveness = &LivenessSummary{SessionID: l.SessionID, Status: l.Status, Confidence: l.Confidence, Reasons: nonNil(l.Reasons)}
	}
	if d := view.Document; d != nil {
		ds := &DocumentSummary{Status: d.Status, Error: d.Error}
		if an := d.Analysis; an != nil {
			ds.DocumentType, ds.IssuingCountry, ds.Warnings = string(an.DocumentType), an.IssuingCountry, an.Warnings
			ds.Fields = fieldBodies(an.Fields)
			if an.MRZ != nil {
				ds.MRZValid = &an.MRZ.Valid
			}
		}
		for _, name := range d.Images {
			ds.Images = append(ds.Images, "/v1/verifications/"+v.ID+"/images/"+name)
		}
		b.Document = ds
	}
	if f := view.FaceMatch; f != nil {
		b.FaceMatch = &FaceMatchBody{Similarity: f.Similarity, Match: f.Match, Threshold: f.Threshold}
	}
	b.Expected = view.Expected
	if d := view.Decision; d != nil {
		b.Decision = &DecisionBody{Outcome: d.Outcome, Reasons: nonNil(d.Reasons), DecidedBy: d.DecidedBy, DecidedAt: d.DecidedAt, Note: d.Note}
	}
	if r := view.Request; r != nil {
		b.DocumentRequest = &DocumentRequestBody{Reason: r.Reason, RequestedAt: r.At}
	}
	if d := view.Dispute; d != nil {
		b.DisputedFields = d.Fields
	}
	if p.Has(kyc.RoleReviewer, kyc.RoleAdmin) && (v.ClaimedBy != "" || view.Proposal != nil) {
		r := &ReviewBody{ClaimedBy: v.ClaimedBy, ClaimedAt: v.ClaimedAt}
		if pr := view.Proposal; pr != nil {
			r.Proposal = &ProposalBody{Outcome: pr.Outcome(), Reason: pr.Reason, ProposedBy: pr.By, ProposedAt: pr.At}
		}
		b.Review = r
	}
	return b
}

// caseOutput renders a case p acted on.
func (s *Server) caseOutput(ctx context.Context, v *kyc.Verification) (*verificationOutput, error) {
	view, err := s.opts.Journey.ViewOf(ctx, v)
	if err != nil {
		return nil, err
	}
	return &verificationOutput{verificationBody(view, caller(ctx))}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// IDInput names a case.
type IDInput struct {
	ID string `path:"id" maxLength:"64"`
}

type verificationOutput struct {
	Body VerificationBody
}

// The cases' routes.
func (s *Server) registerJourney() {
	post, get := http.MethodPost, http.MethodGet
	s.register(
		handle(signedIn, huma.Operation{Method: post, Path: "/v1/verifications", OperationID: "create-verification", Tags: tagVerify,
			Summary: "Start a verification", DefaultStatus: http.StatusCreated, Errors: []int{400, 429},
			Description: "An applicant starts their own (at most 5 a day: 429, reason too_many_attempts); an integrator's key " +
				"(role integrator) starts one with its own reference."}, s.createVerification),
		handle(driver, huma.Operation{Method: get, Path: "/v1/verifications/{id}", OperationID: "get-verification", Tags: tagVerify,
			Summary: "A verification's state, document, face match and decision", Errors: []int{404},
			Description: "The case's applicant or integrator, reviewers and admins (their views are audited). Others get 404."}, s.getVerification),
		handle(driver, huma.Operation{Method: post, Path: "/v1/verifications/{id}/documents", OperationID: "upload-document", Tags: tagVerify,
			Summary: "Upload the identity document", DefaultStatus: http.StatusAccepted, Errors: []int{400, 404, 409, 413, 415, 429, 503},
			MaxBodyBytes: 2 * s.opts.MaxBodyBytes, SkipValidateBody: true,
			Description: "After the liveness check: parts front and, for ID cards and licences, back (multipart, or base64 JSON). " +
				"The images are stored encrypted and read in the background; GET the verification for the result. Uploading again " +
				"replaces the document until the case is submitted.",
			RequestBody: imageBody("the document's sides", map[string]string{"front": "the side with the photo", "back": "the other side"}, nil, "back"),
		}, s.uploadDocument),
		handle(driver, huma.Operation{Method: post, Path: "/v1/verifications/{id}/submit", OperationID: "submit-verification", Tags: tagVerify,
			Summary: "Submit the case for a decision", DefaultStatus: http.StatusAccepted, Errors: []int{404, 409},
			Description: "Moves the case to processing once (a second or concurrent submit gets 409) and queues the decision; it survives restarts."}, s.submitVerification),
		handle(signedIn, huma.Operation{Method: get, Path: "/v1/review/verifications", OperationID: "review-queue", Tags: tagVerify,
			Summary: "The reviewers' queue", Errors: []int{400}}, s.reviewQueue),
		handle(signedIn, huma.Operation{Method: post, Path: "/v1/verifications/{id}/decision", OperationID: "decide-verification", Tags: tagVerify,
			Summary: "A reviewer's decision", Errors: []int{404, 409},
			Description: "Reviewers and admins decide cases in needs_review. A rejection needs a note (stored encrypted) and may name " +
				"its main reason; the decision records who decided and when, is audited and sent to webhooks. request_document " +
				"reopens the case for a new document (the old one is deleted). Under a four-eyes rule (KYCD_FOUR_EYES) the first " +
				"decision is a proposal (the case stays in needs_review, review.proposal says so) that a second reviewer confirms " +
				"with the same outcome or replaces; its proposer cannot confirm it (409). A case another reviewer claimed: 409."}, s.decideVerification),
		handle(signedIn, huma.Operation{Method: post, Path: "/v1/verifications/{id}/claim", OperationID: "claim-verification", Tags: tagVerify,
			Summary: "Claim a case for review", Errors: []int{404, 409},
			Description: "So that two reviewers do not work one case: decisions on a case another reviewer claimed get 409 until the " +
				"claim is released or lapses (30 minutes). Claiming again renews it."}, s.claimVerification),
		handle(signedIn, huma.Operation{Method: http.MethodDelete, Path: "/v1/verifications/{id}/claim", OperationID: "release-verification", Tags: tagVerify,
			Summary: "Release a claimed case", Errors: []int{404, 409}}, s.releaseVerification),
		handle(driver, huma.Operation{Method: http.MethodPut, Path: "/v1/verifications/{id}/dispute", OperationID: "dispute-fields", Tags: tagVerify,
			Summary: "Say that fields of the reading are wrong", Errors: []int{400, 404, 409},
			Description: "The applicant, after the document is read and before submitting: the fields they say are wrong go to a " +
				"reviewer (data_disputed) with their note; the document stays the source of truth. No fields withdraws it."}, s.disputeFields),
		handle(signedIn, huma.Operation{Method: http.MethodDelete, Path: "/v1/verifications/{id}", OperationID: "erase-verification", Tags: tagVerify,
			Summary: "Erase a case's images and personal data", Errors: []int{404, 409},
			Description: "The case's applicant or integrator, or an admin: document and liveness images, biometric data and extracted " +
				"fields are deleted; a tombstone (id, reference, status erased, the decision's reasons) and the audit trail remain."}, s.eraseVerification),
		handle(signedIn, huma.Operation{Method: get, Path: "/v1/verifications/{id}/audit", OperationID: "verification-audit", Tags: tagVerify,
			Summary: "A case's audit events, hash-chained", Errors: []int{404}}, s.verificationAudit),
		handle(driver, huma.Operation{Method: get, Path: "/v1/verifications/{id}/images/{name}", OperationID: "verification-image", Tags: tagVerify,
			Summary: "A document image: front, back or portrait", Errors: []int{404},
			Responses: map[string]*huma.Response{"200": {Description: "the JPEG or PNG as uploaded", Content: map[string]*huma.MediaType{"image/jpeg": {}}}}},
			s.verificationImage),
	)
	if s.opts.Webhooks != nil {
		s.registerWebhooks()
	}
}

// CreateVerificationInput starts a case.
type CreateVerificationInput struct {
	Body *struct {
		Reference string `json:"reference,omitempty" maxLength:"200" doc:"the integrator's own id for the case (plain text, no personal data)"`
	}
}

func (s *Server) createVerification(ctx context.Context, in *CreateVerificationInput) (*verificationOutput, error) {
	ref := ""
	if in.Body != nil {
		ref = in.Body.Reference
	}
	v, err := s.opts.Journey.Create(ctx, caller(ctx), ref)
	if err != nil {
		return nil, err
	}
	return s.caseOutput(ctx, v)
}

func (s *Server) getVerification(ctx context.Context, in *IDInput) (*verificationOutput, error) {
	p, j := caller(ctx), s.opts.Journey
	view, err := j.View(ctx, p, in.ID)
	if err != nil {
		return nil, err
	}
	if err := j.AuditView(ctx, p, view.Case, "case"); err != nil {
		return nil, err
	}
	return &verificationOutput{verificationBody(view, p)}, nil
}

// UploadInput is a document's images.
type UploadInput struct {
	ID          string `path:"id" maxLength:"64"`
	ContentType string `header:"Content-Type"`
	RawBody     []byte
}

func (s *Server) uploadDocument(ctx context.Context, in *UploadInput) (*verificationOutput, error) {
	p, j := caller(ctx), s.opts.Journey
	if _, err := j.Get(ctx, p, in.ID); err != nil {
		return nil, err // before reading the body: others' cases are not found
	}
	form, err := parseImageForm(in.ContentType, in.RawBody, "front", "back")
	if err != nil {
		return nil, err
	}
	front, back, err := form.documentSides(s.imageLimits())
	if err != nil {
		return nil, err
	}
	v, err := j.UploadDocument(ctx, p, in.ID, front, back)
	if err != nil {
		return nil, err
	}
	return s.caseOutput(ctx, v)
}

func (s *Server) submitVerification(ctx context.Context, in *IDInput) (*verificationOutput, error) {
	v, err := s.opts.Journey.Submit(ctx, caller(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return s.caseOutput(ctx, v)
}

// ReviewQueueInput filters the queue.
type ReviewQueueInput struct {
	Status string `query:"status" doc:"needs_review (default), approved, rejected, processing, ... or all"`
	Q      string `query:"q" maxLength:"200" doc:"a verification id or reference to look for"`
	Limit  int    `query:"limit" minimum:"0" maximum:"500"`
}

// CaseListOutput is a list of cases.
type CaseListOutput struct {
	Body struct {
		Verifications []VerificationBody `json:"verifications"`
	}
}

func (s *Server) reviewQueue(ctx context.Context, in *ReviewQueueInput) (*CaseListOutput, error) {
	j := s.opts.Journey
	status := kyc.Status(in.Status)
	switch in.Status {
	case "":
		status = kyc.StatusNeedsReview
	case "all":
		status = ""
	}
	vs, err := j.Review(ctx, caller(ctx), status, in.Q, in.Limit)
	if err != nil {
		return nil, err
	}
	out := &CaseListOutput{}
	out.Body.Verifications = []VerificationBody{}
	for _, v := range vs {
		view, err := j.ViewOf(ctx, v)
		if err != nil {
			return nil, err
		}
		out.Body.Verifications = append(out.Body.Verifications, verificationBody(view, caller(ctx)))
	}
	return out, nil
}

// DecisionInput is a reviewer's decision.
type DecisionInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Outcome string `json:"outcome" enum:"approved,rejected,request_document" doc:"request_document reopens the case for a new document (reason: document_unreadable, unsupported_document, document_expired or data_inconsistent)"`
		Reason  string `json:"reason,omitempty" enum:"face_mismatch,duplicate_face,spoof_detected,data_mismatch,data_inconsistent,document_unreadable,unsupported_document,document_expired,underage" doc:"a rejection's main reason, added to the case's reasons; a request's reason, told to the applicant"`
		Note    string `json:"note,omitempty" maxLength:"2000" doc:"required to reject or request a document (at least 5 characters): what the reviewer saw; stored encrypted. A second reviewer confirming under four-eyes may leave it out"`
	}
}

func (s *Server) decideVerification(ctx context.Context, in *DecisionInput) (*verificationOutput, error) {
	v, err := s.opts.Journey.Decide(ctx, caller(ctx), in.ID, journey.Review{Approve: in.Body.Outcome == "approved",
		Resubmit: in.Body.Outcome == "request_document", Reason: in.Body.Reason, Note: in.Body.Note})
	if err != nil {
		return nil, err
	}
	return s.caseOutput(ctx, v)
}

func (s *Server) claimVerification(ctx context.Context, in *IDInput) (*verificationOutput, error) {
	v, err := s.opts.Journey.Claim(ctx, caller(ctx), in.ID, false)
	if err != nil {
		return nil, err
	}
	return s.caseOutput(ctx, v)
}

func (s *Server) releaseVerification(ctx context.Context, in *IDInput) (*verificationOutput, error) {
	v, err := s.opts.Journey.Claim(ctx, caller(ctx), in.ID, true)
	if err != nil {
		return nil, err
	}
	return s.caseOutput(ctx, v)
}

// DisputeInput is what the applicant says the reading has wrong.
type DisputeInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Fields []string `json:"fields" maxItems:"30" doc:"the fields' names as in document.fields; empty withdraws the dispute"`
		Note   string   `json:"note,omitempty" maxLength:"500" doc:"what is right, in the applicant's words"`
	}
}

func (s *Server) disputeFields(ctx context.Context, in *DisputeInput) (*verificationOutput, error) {
	v, err := s.opts.Journey.DisputeFields(ctx, caller(ctx), in.ID, in.Body.Fields, in.Body.Note)
	if err != nil {
		return nil, err
	}
	return s.caseOutput(ctx, v)
}

func (s *Server) eraseVerification(ctx context.Context, in *IDInput) (*verificationOutput, error) {
	v, err := s.opts.Journey.Erase(ctx, caller(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return s.caseOutput(ctx, v)
}

// CaseAuditOutput is a case's audit events.
type CaseAuditOutput struct {
	Body struct {
		Events []AuditEventBody `json:"events"`
	}
}

func (s *Server) verificationAudit(ctx context.Context, in *IDInput) (*CaseAuditOutput, error) {
	p, j := caller(ctx), s.opts.Journey
	if !p.Has(kyc.RoleReviewer, kyc.RoleAdmin) {
		return nil, kyc.Errorf(kyc.Forbidden, "the audit trail is for reviewers")
	}
	v, err := j.Get(ctx, p, in.ID)
	if err != nil {
		return nil, err
	}
	evs, err := s.opts.DB.ListAudit(ctx, v.ID, 500)
	if err != nil {
		return nil, err
	}
	if err := j.AuditView(ctx, p, v, "audit"); err != nil {
		return nil, err
	}
	out := &CaseAuditOutput{}
	out.Body.Events = auditEventBodies(evs)
	return out, nil
}

// ImageInput names a case's image.
type ImageInput struct {
	ID   string `path:"id" maxLength:"64"`
	Name string `path:"name" enum:"front,back,portrait"`
}

func (s *Server) verificationImage(ctx context.Context, in *ImageInput) (*huma.StreamResponse, error) {
	data, err := s.opts.Journey.Image(ctx, caller(ctx), in.ID, in.Name)
	if err != nil {
		return nil, err
	}
	return &huma.StreamResponse{Body: func(hc huma.Context) {
		hc.SetHeader("Content-Type", http.DetectContentType(data))
		hc.SetHeader("Cache-Control", "no-store")
		hc.BodyWriter().Write(data)
	}}, nil
}
