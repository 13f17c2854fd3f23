package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/liveness"
	"github.com/kycd/kycd/internal/store"
)

var tagVerify = []string{"Verifications"}

// LivenessSummary is a verification's latest liveness check.
type LivenessSummary struct {
	SessionID  string   `json:"session_id"`
	Status     string   `json:"status"`
	Confidence float64  `json:"confidence"`
	Reasons    []string `json:"reasons"`
}

// VerificationBody describes a verification case.
type VerificationBody struct {
	ID        string           `json:"id"`
	Status    string           `json:"status"`
	Reference string           `json:"reference,omitempty"`
	Liveness  *LivenessSummary `json:"liveness,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
}

func (s *Server) verificationBody(ctx context.Context, v *kyc.Verification) VerificationBody {
	b := VerificationBody{ID: v.ID, Status: string(v.Status), Reference: v.Reference, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
	if l, err := s.opts.DB.LatestLiveness(ctx, v.ID, ""); err == nil {
		b.Liveness = &LivenessSummary{SessionID: l.ID, Status: l.Status, Confidence: l.Confidence, Reasons: nonNil(l.Reasons)}
	}
	return b
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// canSee is who may read a verification: its applicant, reviewers, admins
// and API keys.
func canSee(p *kyc.Principal, v *kyc.Verification) bool {
	return (p.UserID != "" && p.UserID == v.UserID) || p.APIKeyID != "" || p.Has(kyc.RoleReviewer, kyc.RoleAdmin)
}

// SessionBody describes a liveness session.
type SessionBody struct {
	SessionID      string          `json:"session_id"`
	Nonce          string          `json:"nonce" doc:"random per session"`
	Status         string          `json:"status" enum:"created,in_progress,succeeded,failed,expired"`
	Challenges     []ChallengeBody `json:"challenges"`
	Confidence     float64         `json:"confidence"`
	Reasons        []string        `json:"reasons"`
	ReferenceImage string          `json:"reference_image_url,omitempty"`
	AuditImages    []string        `json:"audit_image_urls"`
	StreamURL      string          `json:"stream_url"`
	FramesURL      string          `json:"frames_url"`
	ExpiresAt      time.Time       `json:"expires_at"`
	VerificationID string          `json:"verification_id"`
}

// ChallengeBody is one challenge of a session.
type ChallengeBody struct {
	Type        string `json:"type" enum:"turn_left,turn_right,look_up,blink,smile,come_closer"`
	Instruction string `json:"instruction"`
}

func (s *Server) sessionBody(l *store.LivenessSession, st *liveness.State) SessionBody {
	base := "/v1/liveness/" + l.ID
	b := SessionBody{SessionID: l.ID, Nonce: st.Nonce, Status: l.Status, Confidence: l.Confidence, Reasons: nonNil(l.Reasons),
		AuditImages: []string{}, ExpiresAt: l.ExpiresAt, VerificationID: l.VerificationID,
		StreamURL: wsURL(s.opts.PublicURL) + base + "/stream", FramesURL: s.opts.PublicURL + base + "/frames"}
	for _, c := range st.Challenges {
		b.Challenges = append(b.Challenges, ChallengeBody{Type: string(c), Instruction: c.Instruction()})
	}
	if l.ReferenceKey != "" {
		b.ReferenceImage = base + "/images/reference"
	}
	for i := range l.AuditKeys {
		b.AuditImages = append(b.AuditImages, base+"/images/audit-"+strconv.Itoa(i))
	}
	return b
}

// wsURL turns the public http(s) URL into the WebSocket one.
func wsURL(public string) string {
	if rest, ok := strings.CutPrefix(public, "https://"); ok {
		return "wss://" + rest
	}
	if rest, ok := strings.CutPrefix(public, "http://"); ok {
		return "ws://" + rest
	}
	return public
}

func (s *Server) registerVerifications() {
	db := s.opts.DB
	huma.Register(s.api, huma.Operation{OperationID: "create-verification", Method: http.MethodPost, Path: "/v1/verifications",
		Tags: tagVerify, Summary: "Start a verification", DefaultStatus: http.StatusCreated, Security: secured,
		Description: "An applicant starts their own; an integrator (API key) starts one with its own reference."},
		func(ctx context.Context, in *struct {
			Body *struct {
				Reference string `json:"reference,omitempty" maxLength:"200" doc:"the integrator's own id for the case"`
			}
		}) (*struct{ Body VerificationBody }, error) {
			p, err := RequireUser(ctx)
			if err != nil {
				return nil, err
			}
			if p.APIKeyID == "" && !p.Has(kyc.RoleApplicant) {
				return nil, kyc.Errorf(kyc.Forbidden, "only applicants and integrators start verifications")
			}
			v := &kyc.Verification{ID: kyc.NewID(nil, "ver"), UserID: p.UserID}
			if in.Body != nil {
				v.Reference = in.Body.Reference
			}
			err = db.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.CreateVerification(ctx, v); err != nil {
					return err
				}
				return tx.AppendAudit(ctx, &store.AuditEvent{Action: "verification.created", ActorID: p.ID(), SubjectID: v.ID})
			})
			if err != nil {
				return nil, err
			}
			return &struct{ Body VerificationBody }{s.verificationBody(ctx, v)}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "get-verification", Method: http.MethodGet, Path: "/v1/verifications/{id}",
		Tags: tagVerify, Summary: "A verification's state", Security: secured},
		func(ctx context.Context, in *struct {
			ID string `path:"id" maxLength:"64"`
		}) (*struct{ Body VerificationBody }, error) {
			p, err := RequireUser(ctx)
			if err != nil {
				return nil, err
			}
			v, err := db.GetVerification(ctx, in.ID)
			if err != nil || !canSee(p, v) {
				return nil, kyc.Errorf(kyc.NotFound, "verification %s not found", in.ID)
			}
			return &struct{ Body VerificationBody }{s.verificationBody(ctx, v)}, nil
		})
	if s.opts.Liveness != nil {
		s.registerLiveness()
	}
}
