package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kycd/kycd/internal/journey"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/store"
)

// VerificationBody describes a verification case.
type VerificationBody struct {
	ID        string           `json:"id"`
	Status    string           `json:"status" enum:"created,liveness_passed,document_submitted,processing,approved,rejected,needs_review,expired,erased"`
	Reference string           `json:"reference,omitempty"`
	Liveness  *LivenessSummary `json:"liveness,omitempty"`
	Document  *DocumentSummary `json:"document,omitempty"`
	FaceMatch *FaceMatchBody   `json:"face_match,omitempty"`
	Decision  *DecisionBody    `json:"decision,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
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

// LivenessSummary is a verification's latest liveness check.
type LivenessSummary struct {
	SessionID  string   `json:"session_id"`
	Status     string   `json:"status"`
	Confidence float64  `json:"confidence"`
	Reasons    []string `json:"reasons"`
}

// verificationBody is the wire form of a case's view.
func verificationBody(view *journey.View) VerificationBody {
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
	if d := view.Decision; d != nil {
		b.Decision = &DecisionBody{Outcome: d.Outcome, Reasons: nonNil(d.Reasons), DecidedBy: d.DecidedBy, DecidedAt: d.DecidedAt, Note: d.Note}
	}
	return b
}

// caseOutput renders a case p acted on.
func (s *Server) caseOutput(ctx context.Context, v *kyc.Verification) (*verificationOutput, error) {
	view, err := s.opts.Journey.ViewOf(ctx, v)
	if err != nil {
		return nil, err
	}
	return &verificationOutput{verificationBody(view)}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type idInput struct {
	ID string `path:"id" maxLength:"64"`
}

type verificationOutput struct {
	Body VerificationBody
}

func (s *Server) registerJourney() {
	j := s.opts.Journey
	huma.Register(s.api, huma.Operation{OperationID: "create-verification", Method: http.MethodPost, Path: "/v1/verifications",
		Tags: tagVerify, Summary: "Start a verification", DefaultStatus: http.StatusCreated, Security: secured,
		Description: "An applicant starts their own (at most 5 a day: 429 too_many_attempts); an integrator (API key) starts one with its own reference."},
		func(ctx context.Context, in *struct {
			Body *struct {
				Reference string `json:"reference,omitempty" maxLength:"200" doc:"the integrator's own id for the case"`
			}
		}) (*verificationOutput, error) {
			p, err := RequireUser(ctx)
			if err != nil {
				return nil, err
			}
			ref := ""
			if in.Body != nil {
				ref = in.Body.Reference
			}
			v, err := j.Create(ctx, p, ref)
			if err != nil {
				return nil, err
			}
			return s.caseOutput(ctx, v)
		})
	huma.Register(s.api, huma.Operation{OperationID: "get-verification", Method: http.MethodGet, Path: "/v1/verifications/{id}",
		Tags: tagVerify, Summary: "A verification's state, document, face match and decision", Security: secured},
		func(ctx context.Context, in *idInput) (*verificationOutput, error) {
			p, err := RequireUser(ctx)
			if err != nil {
				return nil, err
			}
			view, err := j.View(ctx, p, in.ID)
			if err != nil {
				return nil, err
			}
			if err := j.AuditView(ctx, p, view.Case, "case"); err != nil {
				return nil, err
			}
			return &verificationOutput{verificationBody(view)}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "upload-document", Method: http.MethodPost, Path: "/v1/verifications/{id}/documents",
		Tags: tagVerify, Summary: "Upload the identity document", DefaultStatus: http.StatusAccepted, Security: secured,
		MaxBodyBytes: 2 * s.opts.MaxBodyBytes, SkipValidateBody: true,
		Description: "After the liveness check: parts front and, for ID cards and licences, back (multipart, or base64 JSON). " +
			"The images are stored encrypted and read in the background; GET the verification for the result. Uploading again replaces the document until the case is submitted.",
		RequestBody: imageBody("the document's sides", map[string]string{"front": "the side with the photo", "back": "the other side"}, nil, "back"),
	}, func(ctx context.Context, in *struct {
		ID          string `path:"id" maxLength:"64"`
		ContentType string `header:"Content-Type"`
		RawBody     []byte
	}) (*verificationOutput, error) {
		p, err := RequireUser(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := j.Get(ctx, p, in.ID); err != nil {
			return nil, err
		}
		form, err := parseImageForm(in.ContentType, in.RawBody, "front", "back")
		if err != nil {
			return nil, err
		}
		v, err := j.UploadDocument(ctx, p, in.ID, form.images["front"], form.images["back"])
		if err != nil {
			return nil, err
		}
		return s.caseOutput(ctx, v)
	})
	huma.Register(s.api, huma.Operation{OperationID: "submit-verification", Method: http.MethodPost, Path: "/v1/verifications/{id}/submit",
		Tags: tagVerify, Summary: "Submit the case for a decision", DefaultStatus: http.StatusAccepted, Security: secured,
		Description: "Moves the case to processing once (a second or concurrent submit gets 409) and queues the decision; it survives restarts."},
		func(ctx context.Context, in *idInput) (*verificationOutput, error) {
			p, err := RequireUser(ctx)
			if err != nil {
				return nil, err
			}
			v, err := j.Submit(ctx, p, in.ID)
			if err != nil {
				return nil, err
			}
			return s.caseOutput(ctx, v)
		})
	huma.Register(s.api, huma.Operation{OperationID: "review-queue", Method: http.MethodGet, Path: "/v1/review/verifications",
		Tags: tagVerify, Summary: "The reviewers' queue", Security: secured},
		func(ctx context.Context, in *struct {
			Status string `query:"status" doc:"needs_review (default), approved, rejected, processing, ... or all"`
			Q      string `query:"q" maxLength:"200" doc:"a verification id or reference to look for"`
			Limit  int    `query:"limit" minimum:"0" maximum:"500"`
		}) (*struct {
			Body struct {
				Verifications []VerificationBody `json:"verifications"`
			}
		}, error) {
			p, err := RequireUser(ctx)
			if err != nil {
				return nil, err
			}
			status := kyc.Status(in.Status)
			switch in.Status {
			case "":
				status = kyc.StatusNeedsReview
			case "all":
				status = ""
			}
			vs, err := j.Review(ctx, p, status, in.Q, in.Limit)
			if err != nil {
				return nil, err
			}
			out := &struct {
				Body struct {
					Verifications []VerificationBody `json:"verifications"`
				}
			}{}
			out.Body.Verifications = []VerificationBody{}
			for _, v := range vs {
				view, err := j.ViewOf(ctx, v)
				if err != nil {
					return nil, err
				}
				out.Body.Verifications = append(out.Body.Verifications, verificationBody(view))
			}
			return out, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "decide-verification", Method: http.MethodPost, Path: "/v1/verifications/{id}/decision",
		Tags: tagVerify, Summary: "A reviewer's decision", Security: secured,
		Description: "Reviewers and admins decide cases in needs_review; the note is stored encrypted; the decision is audited and sent to webhooks."},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body struct {
				Outcome string `json:"outcome" enum:"approved,rejected"`
				Note    string `json:"note,omitempty" maxLength:"2000"`
			}
		}) (*verificationOutput, error) {
			p, err := RequireUser(ctx)
			if err != nil {
				return nil, err
			}
			v, err := j.Decide(ctx, p, in.ID, in.Body.Outcome == "approved", in.Body.Note)
			if err != nil {
				return nil, err
			}
			return s.caseOutput(ctx, v)
		})
	huma.Register(s.api, huma.Operation{OperationID: "erase-verification", Method: http.MethodDelete, Path: "/v1/verifications/{id}",
		Tags: tagVerify, Summary: "Erase a case's images and personal data", Security: secured,
		Description: "The applicant (their own) or an admin: document and liveness images, biometric data and extracted fields are deleted; " +
			"a tombstone (id, reference, status erased, the decision's reasons) and the audit trail remain."},
		func(ctx context.Context, in *idInput) (*verificationOutput, error) {
			p, err := RequireUser(ctx)
			if err != nil {
				return nil, err
			}
			v, err := j.Erase(ctx, p, in.ID)
			if err != nil {
				return nil, err
			}
			return s.caseOutput(ctx, v)
		})
	huma.Register(s.api, huma.Operation{OperationID: "verification-audit", Method: http.MethodGet, Path: "/v1/verifications/{id}/audit",
		Tags: tagVerify, Summary: "A case's audit events, hash-chained", Security: secured},
		func(ctx context.Context, in *idInput) (*struct {
			Body struct {
				Events []*store.AuditEvent `json:"events"`
			}
		}, error) {
			p, err := RequireUser(ctx)
			if err != nil {
				return nil, err
			}
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
			out := &struct {
				Body struct {
					Events []*store.AuditEvent `json:"events"`
				}
			}{}
			out.Body.Events = evs
			if evs == nil {
				out.Body.Events = []*store.AuditEvent{}
			}
			if err := j.AuditView(ctx, p, v, "audit"); err != nil {
				return nil, err
			}
			return out, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "verification-image", Method: http.MethodGet, Path: "/v1/verifications/{id}/images/{name}",
		Tags: tagVerify, Summary: "A document image: front, back or portrait", Security: secured,
		Responses: map[string]*huma.Response{"200": {Description: "the JPEG or PNG as uploaded", Content: map[string]*huma.MediaType{"image/jpeg": {}}}}},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Name string `path:"name" enum:"front,back,portrait"`
		}) (*huma.StreamResponse, error) {
			p, err := RequireUser(ctx)
			if err != nil {
				return nil, err
			}
			data, err := j.Image(ctx, p, in.ID, in.Name)
			if err != nil {
				return nil, err
			}
			return &huma.StreamResponse{Body: func(hc huma.Context) {
				hc.SetHeader("Content-Type", http.DetectContentType(data))
				hc.SetHeader("Cache-Control", "no-store")
				hc.BodyWriter().Write(data)
			}}, nil
		})
	if s.opts.Webhooks != nil {
		s.registerWebhooks()
	}
}
