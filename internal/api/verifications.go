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
	Challenges     []ChallengeBody `json:"challenges" doc:"the current challenge only: the next is revealed when it is met (in the frames' answers)"`
	ChallengeCount int             `json:"challenge_count" doc:"how many challenges the session asks for, the light challenge included"`
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
	Type        string   `json:"type" enum:"turn_left,turn_right,look_up,blink,smile,come_closer,light"`
	Instruction string   `json:"instruction"`
	Target      float64  `json:"target,omitempty" doc:"turns and look-up: degrees; come closer: how much wider the face must get"`
	Colors      []string `json:"colors,omitempty" doc:"light: the colours to fill the screen with, in order (#rrggbb)"`
	FlashMS     int      `json:"flash_ms,omitempty" doc:"light: how long each colour stays on screen"`
}

func (s *Server) sessionBody(l *store.LivenessSession, st *liveness.State) SessionBody {
	base := "/v1/liveness/" + l.ID
	b := SessionBody{SessionID: l.ID, Nonce: st.Nonce, Status: l.Status, Confidence: l.Confidence, Reasons: nonNil(l.Reasons),
		AuditImages: []string{}, ExpiresAt: l.ExpiresAt, VerificationID: l.VerificationID,
		StreamURL: wsURL(s.opts.PublicURL) + base + "/stream", FramesURL: s.opts.PublicURL + base + "/frames"}
	b.Challenges, b.ChallengeCount = []ChallengeBody{}, len(st.Tasks)
	if t := st.Task(); t.Type != "" && !st.Done {
		b.Challenges = append(b.Challenges, ChallengeBody{Type: string(t.Type), Instruction: t.Type.Instruction(),
			Target: t.Target, Colors: t.Colors, FlashMS: t.FlashMS})
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
	if s.opts.Hosted != nil {
		s.registerSessions()
	}
	if s.opts.Liveness != nil {
		s.registerLiveness()
	}
}
