package liveness

import (
	"math"
	"time"
)

// Observation is what the face engine saw in one frame.
type Observation struct {
	ClientAt   time.Time // the frame's timestamp, from the browser's clock
	ReceivedAt time.Time // when the server received it
	Faces      int
	// The largest face, as ratios of the frame (BoxW: width / frame width;
	// CX, CY: the box centre).
	BoxW, CX, CY float64
	Yaw, Pitch   float64
	EyesOpen     float64
	MouthWidth   float64
	Happy        float64 // p(happy) from the expression model, or −1 when it did not run
	Real         float64 // passive anti-spoofing p(live)
	Sharpness    float64
	Embedding    []float32 // nil when not computed for this frame
}

// Config holds the thresholds; Defaults gives the tuned values.
type Config struct {
	ChallengeTimeout time.Duration // to meet each challenge once it is asked for
	NeutralYaw       float64       // |yaw| of a frontal frame, degrees
	NeutralPitch     float64
	TurnYaw          float64 // yaw change a turn needs, degrees
	LookUpPitch      float64 // pitch change a look-up needs
	EyesClosed       float64 // p(open) below which eyes count as closed
	EyesOpen         float64 // and above which as open
	BlinkWindow      time.Duration
	SmileWiden       float64 // mouth width over the neutral frame's
	SmileHappy       float64 // p(happy) at the smile's peak
	CloserGrowth     float64 // face width over the neutral frame's
	MinFace          float64 // face width / frame width below which: move closer
	Centre           float64 // how far (ratio) the face centre may be from the frame centre
	SameFace         float64 // cosine every checked frame must keep with the reference
	MinReal          float64 // mean passive p(live) over the frames
	MinFrameGap      time.Duration
	ClockSlack       time.Duration // how far the client's timeline may run ahead of the server's
	MaxFrames        int
}

// Defaults are the thresholds kycd ships with (docs/liveness.md).
var Defaults = Config{
	ChallengeTimeout: 12 * time.Second,
	NeutralYaw:       10, NeutralPitch: 12,
	TurnYaw: 18, LookUpPitch: 12,
	EyesClosed: 0.3, EyesOpen: 0.7, BlinkWindow: 1500 * time.Millisecond,
	SmileWiden: 1.10, SmileHappy: 0.8,
	CloserGrowth: 1.3,
	MinFace:      0.12, Centre: 0.3,
	SameFace: 0.35, MinReal: 0.25,
	MinFrameGap: 40 * time.Millisecond, ClockSlack: 2 * time.Second,
	MaxFrames: 600,
}

// Reason codes of a failed check.
const (
	ReasonTimeout      = "challenge_timeout"
	ReasonFaceChanged  = "face_changed"
	ReasonSpoof        = "spoof_detected"
	ReasonFrameTiming  = "frame_timing"
	ReasonExpired      = "expired"
	ReasonTooManyFrame = "too_many_frames"
	ReasonNoFace       = "no_face"
)

// Guidance codes sent with each frame's answer.
const (
	GuideNoFace        = "no_face"
	GuideMultipleFaces = "multiple_faces"
	GuideMoveCloser    = "move_closer"
	GuideCenterFace    = "center_face"
	GuideLookStraight  = "look_straight" // back to a frontal, neutral face before the next challenge
	GuideHoldStill     = "hold_still"
	GuideDone          = "done"
)

// State is a session's progress, saved between requests.
type State struct {
	Challenges []Challenge `json:"challenges"`
	Nonce      string      `json:"nonce"`     // random per session, reported with it and bound into its sealed state
	Index      int         `json:"index"`     // the current challenge
	Neutral    bool        `json:"neutral"`   // a frontal, neutral frame was seen for the current challenge
	AskedAt    time.Time   `json:"asked_at"`  // client time the current challenge was asked for
	Base       Baseline    `json:"base"`      // the neutral frame of the current challenge
	ClosedAt   time.Time   `json:"closed_at"` // blink: when the eyes closed
	Frames     int         `json:"frames"`    // frames analysed
	FaceFrames int         `json:"face_frames"`
	RealSum    float64     `json:"real_sum"`
	FirstAt    time.Time   `json:"first_at"` // client time of the first frame
	FirstRecv  time.Time   `json:"first_recv"`
	LastAt     time.Time   `json:"last_at"`
	Reference  []float32   `json:"reference,omitempty"` // embedding of the first good frontal frame
	MinCos     float64     `json:"min_cos"`
	Checked    int         `json:"checked"` // frames compared with the reference
	Done       bool        `json:"done"`
	Passed     bool        `json:"passed"`
	Reasons    []string    `json:"reasons,omitempty"`
}

// Baseline is the neutral frame a challenge is measured against.
type Baseline struct {
	BoxW, Yaw, Pitch, MouthWidth float64
}

// NewState starts a session with its challenges.
func NewState(challenges []Challenge) *State {
	return &State{Challenges: challenges, MinCos: 1}
}

// Current is the challenge being asked for, or "" when all are done.
func (s *State) Current() Challenge {
	if s.Index >= len(s.Challenges) {
		return ""
	}
	return s.Challenges[s.Index]
}

// Progress is the share of challenges met, 0–1.
func (s *State) Progress() float64 {
	return float64(s.Index) / float64(max(len(s.Challenges), 1))
}

// WantsEmbedding says whether the next frame should be embedded: until a
// reference exists, then every third frame.
func (s *State) WantsEmbedding() bool { return s.Reference == nil || s.Frames%3 == 0 }

// WantsExpression says whether the next frame needs the expression model.
func (s *State) WantsExpression() bool { return s.Current() == Smile && s.Neutral }

// Feedback answers one frame.
type Feedback struct {
	Guidance string // a Guide* code or the current challenge
	Met      bool   // this frame completed a challenge
	Frontal  bool   // a frontal, neutral, sharp frame: a reference candidate
}

// Step takes one frame's observation and moves the state on. It is called
// in frame order; once the state is Done it changes nothing more.
func (c Config) Step(s *State, o Observation) Feedback {
	if s.Done {
		return Feedback{Guidance: GuideDone}
	}
	if fail := c.checkTiming(s, o); fail != "" {
		s.fail(fail)
		return Feedback{Guidance: GuideDone}
	}
	s.Frames++
	if s.Frames > c.MaxFrames {
		s.fail(ReasonTooManyFrame)
		return Feedback{Guidance: GuideDone}
	}
	if s.AskedAt.IsZero() {
		s.AskedAt = o.ClientAt
	}
	if o.ClientAt.Sub(s.AskedAt) > c.ChallengeTimeout {
		s.fail(ReasonTimeout)
		return Feedback{Guidance: GuideDone}
	}
	switch {
	case o.Faces == 0:
		return Feedback{Guidance: GuideNoFace}
	case o.Faces > 1:
		return Feedback{Guidance: GuideMultipleFaces}
	}
	s.FaceFrames++
	s.RealSum += o.Real
	if o.Embedding != nil {
		if s.Reference == nil {
			if c.frontal(o) {
				s.Reference = o.Embedding
			}
		} else {
			cos := cosine(s.Reference, o.Embedding)
			s.MinCos = math.Min(s.MinCos, cos)
			s.Checked++
			if cos < c.SameFace {
				s.fail(ReasonFaceChanged)
				return Feedback{Guidance: GuideDone}
			}
		}
	}
	// Framing: too small or off-centre faces are asked to adjust, except
	// while coming closer, which changes the framing on purpose.
	if s.Current() != ComeCloser || !s.Neutral {
		if o.BoxW < c.MinFace {
			return Feedback{Guidance: GuideMoveCloser}
		}
		if math.Abs(o.CX-0.5) > c.Centre || math.Abs(o.CY-0.5) > c.Centre {
			return Feedback{Guidance: GuideCenterFace}
		}
	}
	fb := Feedback{Frontal: c.frontal(o)}
	if !s.Neutral {
		if !fb.Frontal {
			fb.Guidance = GuideLookStraight
			return fb
		}
		s.Neutral = true
		s.Base = Baseline{BoxW: o.BoxW, Yaw: o.Yaw, Pitch: o.Pitch, MouthWidth: o.MouthWidth}
		s.ClosedAt = time.Time{}
		fb.Guidance = string(s.Current())
		return fb
	}
	if c.met(s, o) {
		fb.Met = true
		s.Index++
		s.Neutral = false
		s.AskedAt = o.ClientAt
		if s.Index == len(s.Challenges) {
			c.finish(s)
			fb.Guidance = GuideDone
			return fb
		}
		fb.Guidance = GuideLookStraight
		return fb
	}
	fb.Guidance = string(s.Current())
	return fb
}

// frontal is a face looking at the camera with open eyes.
func (c Config) frontal(o Observation) bool {
	return math.Abs(o.Yaw) < c.NeutralYaw && math.Abs(o.Pitch) < c.NeutralPitch && o.EyesOpen >= c.EyesOpen
}

// met reports whether the frame completes the current challenge, measured
// against the challenge's neutral frame. In the frames the browser sends
// (not mirrored), a person turning to their own left turns their face
// towards the image's right: negative yaw.
func (c Config) met(s *State, o Observation) bool {
	b := s.Base
	switch s.Current() {
	case TurnLeft:
		return b.Yaw-o.Yaw >= c.TurnYaw
	case TurnRight:
		return o.Yaw-b.Yaw >= c.TurnYaw
	case LookUp:
		return o.Pitch-b.Pitch >= c.LookUpPitch && math.Abs(o.Yaw-b.Yaw) < c.TurnYaw
	case Blink:
		if o.EyesOpen <= c.EyesClosed {
			if s.ClosedAt.IsZero() {
				s.ClosedAt = o.ClientAt
			}
			return false
		}
		if !s.ClosedAt.IsZero() && o.EyesOpen >= c.EyesOpen {
			ok := o.ClientAt.Sub(s.ClosedAt) <= c.BlinkWindow
			s.ClosedAt = time.Time{}
			return ok
		}
		return false
	case Smile:
		// Both signals: the mouth widens and the expression model sees a
		// happy face (it alone also calls open-mouthed surprise happy).
		return b.MouthWidth > 0 && o.MouthWidth >= c.SmileWiden*b.MouthWidth && o.Happy >= c.SmileHappy
	case ComeCloser:
		return b.BoxW > 0 && o.BoxW >= c.CloserGrowth*b.BoxW
	}
	return false
}

// checkTiming refuses frames out of order, faster than a camera, or whose
// timestamps run ahead of the time that really passed: a recording sent in a
// burst, or frames made before the session.
func (c Config) checkTiming(s *State, o Observation) string {
	if s.FirstAt.IsZero() {
		s.FirstAt, s.FirstRecv, s.LastAt = o.ClientAt, o.ReceivedAt, o.ClientAt
		return ""
	}
	if o.ClientAt.Sub(s.LastAt) < c.MinFrameGap {
		return ReasonFrameTiming
	}
	if o.ClientAt.Sub(s.FirstAt) > o.ReceivedAt.Sub(s.FirstRecv)+c.ClockSlack {
		return ReasonFrameTiming
	}
	s.LastAt = o.ClientAt
	return ""
}

// finish decides a session whose challenges were all met.
func (c Config) finish(s *State) {
	s.Done = true
	realMean := s.RealSum / float64(max(s.FaceFrames, 1))
	switch {
	case s.Reference == nil || s.Checked == 0:
		s.Reasons = append(s.Reasons, ReasonFaceChanged)
	case realMean < c.MinReal:
		s.Reasons = append(s.Reasons, ReasonSpoof)
	default:
		s.Passed = true
	}
}

func (s *State) fail(reason string) {
	s.Done, s.Passed = true, false
	s.Reasons = append(s.Reasons, reason)
}

// Fail ends a session with a reason from outside the frames (expiry).
func (s *State) Fail(reason string) { s.fail(reason) }

// Confidence is 0–100: how sure the passed decision is, from the passive
// anti-spoofing mean and how steadily the face matched its reference; a
// failed session scores at most 40.
func (c Config) Confidence(s *State) float64 {
	realMean := s.RealSum / float64(max(s.FaceFrames, 1))
	same := math.Max(0, math.Min(1, (s.MinCos-c.SameFace)/(0.7-c.SameFace)))
	score := 60 + 25*math.Min(1, realMean) + 15*same
	if !s.Passed {
		score = math.Min(40, score*s.Progress())
	}
	return math.Round(score*10) / 10
}

func cosine(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
