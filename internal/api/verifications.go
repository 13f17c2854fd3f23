package api

import (
	"strconv"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/liveness"
	"github.com/kycd/kycd/internal/store"
)

var tagVerify = []string{"Verifications"}

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
	s.registerJourney()
	if s.opts.Liveness != nil {
		s.registerLiveness()
	}
}
