package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kycd/kycd/internal/hosted"
	"github.com/kycd/kycd/internal/journey"
	"github.com/kycd/kycd/internal/kyc"
)

var tagSessions = []string{"Verification sessions"}

// VerificationSessionBody is an integrator's hosted verification session.
type VerificationSessionBody struct {
	ID             string            `json:"id"`
	VerificationID string            `json:"verification_id" doc:"the case: GET /v1/verifications/{id} for all of its result"`
	Verification   string            `json:"verification_status" enum:"created,liveness_passed,document_submitted,processing,approved,rejected,needs_review,expired,erased"`
	Decision       *DecisionBody     `json:"decision,omitempty" doc:"once decided"`
	Status         string            `json:"status" enum:"open,in_progress,processing,completed,canceled,expired" doc:"open: the link not opened yet; in_progress: opened; processing: submitted, being decided or with a reviewer; completed: approved or rejected"`
	Reference      string            `json:"reference,omitempty"`
	Metadata       map[string]string `json:"metadata"`
	URL            string            `json:"url,omitempty" doc:"the hosted flow: redirect the user here. Single use, unguessable, expires; shown while the session is open"`
	ClientSecret   string            `json:"client_secret,omitempty" doc:"for /sdk/kycd.js on your page, instead of the url: the same single use. Shown while the session is open; never log it"`
	ReturnURL      string            `json:"return_url,omitempty"`
	ExpiresAt      time.Time         `json:"expires_at" doc:"the link opens until then"`
	OpenedAt       time.Time         `json:"opened_at,omitzero"`
	CancelledAt    time.Time         `json:"canceled_at,omitzero"`
	CreatedAt      time.Time         `json:"created_at"`
}

func sessionBody(h *hosted.Session) VerificationSessionBody {
	b := VerificationSessionBody{ID: h.ID, VerificationID: h.VerificationID, Verification: string(h.Case.Status), Status: h.Status,
		Reference: h.Reference, Metadata: h.Metadata, URL: h.URL, ClientSecret: h.ClientSecret, ReturnURL: h.ReturnURL,
		ExpiresAt: h.ExpiresAt, OpenedAt: h.OpenedAt, CancelledAt: h.CancelledAt, CreatedAt: h.CreatedAt}
	switch v := h.Case; v.Status {
	case kyc.StatusApproved, kyc.StatusRejected, kyc.StatusNeedsReview:
		b.Decision = &DecisionBody{Outcome: string(v.Status), Reasons: nonNil(v.Reasons), DecidedBy: v.DecidedBy, DecidedAt: v.DecidedAt}
	}
	return b
}

type verificationSessionOutput struct {
	Body VerificationSessionBody
}

// CreateSessionInput asks for a hosted session.
type CreateSessionInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"100" doc:"a retry with the same key returns the session the first call created"`
	Body           *struct {
		Reference string               `json:"reference,omitempty" maxLength:"200" doc:"your own id for the user or case (plain text, no personal data); in every webhook"`
		Metadata  map[string]string    `json:"metadata,omitempty" doc:"up to 20 keys of your own, echoed in every webhook (no personal data)"`
		ReturnURL string               `json:"return_url,omitempty" maxLength:"2000" doc:"where the user goes when done, with ?verification_session=<id> added"`
		Expected  *journey.Expected    `json:"expected,omitempty" doc:"what your records say: compared with the document; a difference sends the case to review (data_mismatch)"`
		Options   *journey.CaseOptions `json:"options,omitempty" doc:"the documents you accept for this session, within the server's: a document of another type or country is rejected (unsupported_document)"`
	}
}

// SessionIDInput names a session.
type SessionIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

// ListSessionsInput pages a key's sessions.
type ListSessionsInput struct {
	Limit         int    `query:"limit" minimum:"1" maximum:"100" default:"50"`
	StartingAfter string `query:"starting_after" maxLength:"64" doc:"the last session of the previous page: the next page starts after it"`
}

// VerificationSessionList is a key's sessions, newest first.
type VerificationSessionList struct {
	Sessions []VerificationSessionBody `json:"sessions"`
	HasMore  bool                      `json:"has_more" doc:"more sessions follow: ask again with starting_after set to the last one's id"`
}

type sessionListOutput struct {
	Body VerificationSessionList
}

func (s *Server) registerSessions() {
	post, get := http.MethodPost, http.MethodGet
	s.register(
		handle(signedIn, huma.Operation{Method: post, Path: "/v1/verification-sessions", OperationID: "create-verification-session",
			Tags: tagSessions, Summary: "Send a user through kycd's hosted flow", DefaultStatus: http.StatusCreated, Errors: []int{400, 409},
			Description: "An integrator's key (role integrator) opens a case and gets a `url` to redirect its user to, or a " +
				"`client_secret` for the embedded flow. The user needs no kycd account: the link is the credential, for that " +
				"one case, once, until `expires_at`. When the case is decided, webhooks carry the session id, reference and metadata."},
			s.createSession),
		handle(signedIn, huma.Operation{Method: get, Path: "/v1/verification-sessions", OperationID: "list-verification-sessions",
			Tags: tagSessions, Summary: "The key's sessions, newest first", Errors: []int{400}}, s.listSessions),
		handle(signedIn, huma.Operation{Method: get, Path: "/v1/verification-sessions/{id}", OperationID: "get-verification-session",
			Tags: tagSessions, Summary: "A session of the key", Errors: []int{404}}, s.getSession),
		handle(signedIn, huma.Operation{Method: post, Path: "/v1/verification-sessions/{id}/cancel", OperationID: "cancel-verification-session",
			Tags: tagSessions, Summary: "Cancel a session", Errors: []int{404},
			Description: "The link no longer opens and the browser that opened it no longer drives the case. A case already " +
				"submitted is decided as usual: erase it to stop that."}, s.cancelSession),
	)
}

func (s *Server) createSession(ctx context.Context, in *CreateSessionInput) (*verificationSessionOutput, error) {
	r := hosted.Request{IdempotencyKey: in.IdempotencyKey}
	if b := in.Body; b != nil {
		r.Reference, r.Metadata, r.ReturnURL, r.Expected, r.Options = b.Reference, b.Metadata, b.ReturnURL, b.Expected, b.Options
	}
	h, err := s.opts.Hosted.Create(ctx, caller(ctx), r)
	if err != nil {
		return nil, err
	}
	return &verificationSessionOutput{sessionBody(h)}, nil
}

func (s *Server) listSessions(ctx context.Context, in *ListSessionsInput) (*sessionListOutput, error) {
	hs, err := s.opts.Hosted.List(ctx, caller(ctx), in.StartingAfter, in.Limit+1)
	if err != nil {
		return nil, err
	}
	out := &sessionListOutput{Body: VerificationSessionList{Sessions: []VerificationSessionBody{}, HasMore: len(hs) > in.Limit}}
	for _, h := range hs[:min(len(hs), in.Limit)] {
		out.Body.Sessions = append(out.Body.Sessions, sessionBody(h))
	}
	return out, nil
}

func (s *Server) getSession(ctx context.Context, in *SessionIDInput) (*verificationSessionOutput, error) {
	h, err := s.opts.Hosted.Get(ctx, caller(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &verificationSessionOutput{sessionBody(h)}, nil
}

func (s *Server) cancelSession(ctx context.Context, in *SessionIDInput) (*verificationSessionOutput, error) {
	h, err := s.opts.Hosted.Cancel(ctx, caller(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &verificationSessionOutput{sessionBody(h)}, nil
}
