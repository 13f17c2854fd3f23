package liveness

import (
	"math"
	"slices"
	"time"

	"github.com/kycd/kycd/internal/raster"
)

// Landmark indices of the 68-point scheme that the checks use.
const (
	lmJawLeft   = 2  // the jaw's contour at about the nose's height, image left
	lmJawRight  = 14 // and image right
	lmNoseTip   = 30
	lmNoseLeft  = 31
	lmNoseRight = 35
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
	Real         float64 // passive anti-spoofing p(live), or −1 when it did not run (WantsSpoof)
	Sharpness    float64
	Embedding    []float32 // nil when not computed for this frame
	// Landmarks are the 68 points as ratios of the frame's width (both
	// axes), when HasLandmarks.
	Landmarks    [68][2]float64
	HasLandmarks bool
	// Luma is the face's mean luminance, 0–255.
	Luma float64
	// Regions are the mean colours (0–255) of the patches the light
	// challenge reads (see Regions).
	Regions [NumRegions][3]float64
	// LightStart is when the page began showing the light challenge's
	// colours, by the client's clock; zero when it did not say.
	LightStart time.Time
	// Gray is the frame's picture, for following the profile through a
	// head movement (track.go); nil when there is none (then the profile
	// check does not run: the service always gives it).
	Gray *raster.Gray
}

// The patches of the face whose colour the light challenge reads: two that
// face the screen and two at the sides, whose surface turns away from it.
const (
	RegionBridge = iota // the forehead, above the brows
	RegionTip           // the tip of the nose
	RegionLeft          // the left cheek near the jaw's contour (as seen)
	RegionRight         // the right one
	NumRegions
)

// RegionCentres returns where the light challenge's patches are, given the
// 68 landmarks (in any unit), and the patches' half-side in that unit.
func RegionCentres(lm *[68][2]float64) (centres [NumRegions][2]float64, half float64) {
	lerp := func(a, b int, t float64) [2]float64 {
		return [2]float64{lm[a][0] + t*(lm[b][0]-lm[a][0]), lm[a][1] + t*(lm[b][1]-lm[a][1])}
	}
	// The forehead: above the brows' middle by half the brow-to-nose-tip
	// height; it faces the screen, like the nose's tip.
	brow := [2]float64{(lm[21][0] + lm[22][0]) / 2, (lm[21][1] + lm[22][1]) / 2}
	centres[RegionBridge] = [2]float64{brow[0] + 0.4*(brow[0]-lm[lmNoseTip][0]), brow[1] + 0.4*(brow[1]-lm[lmNoseTip][1])}
	centres[RegionTip] = lerp(lmNoseTip, 33, 0.3)
	centres[RegionLeft] = lerp(lmJawLeft, lmNoseLeft, 0.12)
	centres[RegionRight] = lerp(lmJawRight, lmNoseRight, 0.12)
	return centres, 0.1 * iod(lm)
}

// Saturated is the patch value (0–255) at which a camera channel clips.
const Saturated = 250

// Config holds the thresholds; Defaults gives the tuned values.
type Config struct {
	ChallengeTimeout time.Duration // to meet each movement once it is asked for
	NeutralYaw       float64       // |yaw| of a frontal frame, degrees
	NeutralPitch     float64
	EyesClosed       float64 // p(open) below which eyes count as closed
	EyesOpen         float64 // and above which as open
	BlinkWindow      time.Duration
	SmileWiden       float64 // mouth width over the neutral frame's
	SmileHappy       float64 // p(happy) at the smile's peak
	MinFace          float64 // face width / frame width below which: move closer
	Centre           float64 // how far (ratio) the face centre may be from the frame centre
	SameFace         float64 // cosine every checked frame must keep with the reference
	MinReal          float64 // mean passive p(live) over the frames (Defaults: 0, docs/liveness.md)
	MinFrameGap      time.Duration
	ClockSlack       time.Duration // how far the client's timeline may run ahead of the server's
	MaxFrames        int
	// A movement also starts from a face read up to StillYaw turned or
	// StillPitch raised or lowered when it holds still (its pose moved at
	// most StillDeg since the frame before): the pose model reads some
	// people's frontal face 10–15° turned, and a phone held low reads
	// −12 to −18° of pitch; a head still on its way back from the last
	// movement is not such a face.
	StillYaw, StillPitch, StillDeg float64
	// A turn is met only when the landmarks show it too: the eyes'
	// distance, against the eyes-to-mouth height (which a turn leaves
	// alone), must have shrunk as the cosine of at least TurnSeen times
	// the target. The pose model reads some people's small turns two or
	// three times as far as they go (a 10° turn read 25–33°): judged
	// there, the nose has hardly moved and the turn reads flat. The angle
	// the depth and the profile are divided by is the smaller of the two
	// readings (foreshortening).
	TurnSeen float64
	// 3-D: over a turn, the nose tip's sideways parallax against the eyes
	// and the mouth's corners, over the sine of the turn, in eye distances:
	// the nose's depth in front of them (the median over the turned frames).
	// About 0.6 on a head, under 0.2 on a flat picture; a print bent into a
	// cylinder shows depth too (docs/accuracy.md).
	MinNoseDepth float64
	// The same under a look-up, vertically (MinPitchDepth): about 0.8 on a
	// head.
	MinPitchDepth float64
	// The profile (track.go): over a turn, how far the nose tip, followed
	// by its pixels, left the line from the nasion to the mouth, over the
	// sine of the turn, in eye distances (the median over the frames
	// turned furthest: mostTurned): the nose's depth in front of that line on a head, 0 on a
	// print flat or bent around a vertical axis (MinBend). Under a
	// look-up, how far it moved along that line (MinBendUp).
	MinBend   float64
	MinBendUp float64
	// ProfileRetries is how many times in a session a movement whose
	// profile alone read flat (the landmarks' depth passed) is asked for
	// again instead of failing the session: a head's low bend is a
	// one-off (a turn read badly, a patch followed a little off), a
	// print's is every time (docs/liveness.md).
	ProfileRetries int
	// Continuity: between frames at most MaxGap apart, the landmarks' shape
	// (after removing position, scale and rotation) plus the pose's change
	// may change by at most ShapeJump eye distances (RMS), PoseScale
	// degrees of yaw or pitch weighing as one eye distance, and the pose's
	// change counting for at most PoseCredit times the shape's (a head
	// that really turns changes its outline as it turns; the pose model's
	// reading of a head turned 35° or more jumps by tens of degrees on its
	// own, between two frames whose landmarks hardly moved); the face's
	// brightness by LumaJump (ratio) and its width by ScaleJump (ratio)
	// per frame. Across a longer gap nothing can be said, so a head
	// movement must be seen again from a neutral face: a movement counts
	// only through frames at most MaxGap apart (an attacker who sends
	// frames slowly gets no free cuts).
	MaxGap    time.Duration
	ShapeJump float64
	// SlowJump: a frame whose change passes this share of ShapeJump asks
	// the person to move more slowly (guidance only: the limit is
	// ShapeJump).
	SlowJump   float64
	PoseScale  float64
	PoseCredit float64
	LumaJump   float64
	ScaleJump  float64
	// Light: the colours' echo on the nose must correlate with the
	// sequence (MinLightCorr) and be strong enough to measure
	// (MinLightGain: relative change per colour channel); the sides'
	// echo over the nose's must be at most MaxLightRatio (a flat picture
	// reflects evenly: about 1). LightGuard skips the start of each colour
	// (the camera's delay).
	MinLightCorr  float64
	MinLightGain  float64
	MaxLightRatio float64
	LightGuard    time.Duration
}

// Defaults are the thresholds kycd ships with (docs/liveness.md).
var Defaults = Config{
	ChallengeTimeout: 12 * time.Second,
	NeutralYaw:       10, NeutralPitch: 12,
	StillYaw: 15, StillPitch: 20, StillDeg: 3, TurnSeen: 0.6,
	EyesClosed: 0.3, EyesOpen: 0.7, BlinkWindow: 1500 * time.Millisecond,
	SmileWiden: 1.10, SmileHappy: 0.8,
	MinFace: 0.12, Centre: 0.3,
	SameFace: 0.35, MinReal: 0,
	MinFrameGap: 40 * time.Millisecond, ClockSlack: 2 * time.Second,
	MaxFrames:    900,
	MinNoseDepth: 0.22, MinPitchDepth: 0.15,
	MinBend: 0.14, MinBendUp: math.Inf(-1), ProfileRetries: 1,
	MaxGap: 400 * time.Millisecond, ShapeJump: 0.25, SlowJump: 0.7, PoseScale: 200, PoseCredit: 2, LumaJump: 0.3, ScaleJump: 0.2,
	MinLightCorr: 0.5, MinLightGain: 0.03, MaxLightRatio: 0.86, LightGuard: 120 * time.Millisecond,
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
	ReasonFlat         = "no_depth"        // a head movement moved like a picture: no parallax
	ReasonJump         = "discontinuity"   // frames jumped: a slideshow or a cut
	ReasonLight        = "light_mismatch"  // the screen's light did not fall on the face as on a person
	ReasonTooBright    = "light_too_faint" // the screen's light could not be seen on the face
)

// Guidance codes sent with each frame's answer.
const (
	GuideNoFace        = "no_face"
	GuideMultipleFaces = "multiple_faces"
	GuideMoveCloser    = "move_closer"
	GuideCenterFace    = "center_face"
	GuideLookStraight  = "look_straight" // back to a frontal, neutral face before the next challenge
	GuideHoldStill     = "hold_still"
	GuideSlowDown      = "slow_down" // the head moved between two frames more than SlowJump of the continuity limit: slower, before a cut is read
	GuideDone          = "done"
)

// State is a session's progress, saved between requests (sealed: it holds
// the tasks not yet revealed and the face's embedding).
type State struct {
	Tasks      []Task    `json:"tasks"`
	Nonce      string    `json:"nonce"`     // random per session, reported with it and bound into its sealed state
	Index      int       `json:"index"`     // the current task
	Neutral    bool      `json:"neutral"`   // a frontal, neutral frame was seen for the current task
	AskedAt    time.Time `json:"asked_at"`  // client time the current task was revealed
	Base       Baseline  `json:"base"`      // the neutral frame of the current task
	ClosedAt   time.Time `json:"closed_at"` // blink: when the eyes closed
	Frames     int       `json:"frames"`    // frames analysed
	FaceFrames int       `json:"face_frames"`
	RealSum    float64   `json:"real_sum"`
	RealFrames int       `json:"real_frames"` // frames RealSum adds up (WantsSpoof)
	FirstAt    time.Time `json:"first_at"`    // client time of the first frame
	FirstRecv  time.Time `json:"first_recv"`
	LastAt     time.Time `json:"last_at"`
	LastFrame  string    `json:"last_frame,omitempty"`  // a digest of the last frame's bytes: a repeat is skipped
	Reference  []float32 `json:"reference,omitempty"`   // embedding of the first frontal frame, or of the first with open eyes (RefOpen)
	RefOpen    bool      `json:"ref_open,omitempty"`    // the reference's eyes read open
	ImageSharp float64   `json:"image_sharp,omitempty"` // the kept reference image's sharpness (the service's)
	ImageOpen  bool      `json:"image_open,omitempty"`  // and whether its eyes read open
	MinCos     float64   `json:"min_cos"`
	Checked    int       `json:"checked"` // frames compared with the reference
	Prev       *Baseline `json:"prev,omitempty"`
	NoseDepth  float64   `json:"nose_depth"`  // the smallest depth measured over the turns (Turns of them)
	PitchDepth float64   `json:"pitch_depth"` // and over the look-ups (Nods of them)
	Nods       int       `json:"nods,omitempty"`
	Turns      int       `json:"turns"`
	Depths     []float64 `json:"depths,omitempty"` // the current turn's nose depths, one per turned frame
	Track      *Track    `json:"track,omitempty"`  // the current movement's profile, followed by its pixels
	Bends      []Bend    `json:"bends,omitempty"`  // the current movement's profile bends, one per rotated frame
	Bend       float64   `json:"bend"`             // the smallest bend measured over the turns (BentTurns of them)
	BendUp     float64   `json:"bend_up"`          // and over the look-ups (BentNods of them)
	BentTurns  int       `json:"bent_turns,omitempty"`
	BentNods   int       `json:"bent_nods,omitempty"`
	Retried    int       `json:"retried,omitempty"` // movements asked for again after a flat profile (ProfileRetries)
	Narrow     float64   `json:"narrow,omitempty"`  // coming closer: the narrowest frontal face width since the start
	Broad      float64   `json:"broad,omitempty"`   // the largest proportion (eyes' distance over height) of a frontal frame: the face's own, unturned
	MaxJump    float64   `json:"max_jump"`          // the largest frame-to-frame shape change
	MaxSpeed   float64   `json:"max_speed"`         // and the fastest turn or nod between two compared frames, °/s
	Jump       float64   `json:"-"`                 // the last frame's change (for guidance)
	Break      string    `json:"break,omitempty"`   // what broke the continuity: shape, scale or brightness
	// The light challenge.
	LightStart time.Time     `json:"light_start"`
	Samples    []LightSample `json:"samples,omitempty"`
	LightCorr  float64       `json:"light_corr"`
	LightRatio float64       `json:"light_ratio"`
	Done       bool          `json:"done"`
	Passed     bool          `json:"passed"`
	Reasons    []string      `json:"reasons,omitempty"`
}

// Baseline is a frame kept to compare later ones with: the neutral frame of
// the current task, or the previous frame.
type Baseline struct {
	At           time.Time      `json:"at"`
	BoxW         float64        `json:"box_w"`
	Yaw          float64        `json:"yaw"`
	Pitch        float64        `json:"pitch"`
	MouthWidth   float64        `json:"mouth_width"`
	Luma         float64        `json:"luma"`
	Landmarks    [68][2]float64 `json:"landmarks"`
	HasLandmarks bool           `json:"has_landmarks"`
}

// LightSample is one frame's colours during the light challenge.
type LightSample struct {
	T       int                    `json:"t"` // ms since the colours began
	Regions [NumRegions][3]float64 `json:"r"`
}

// NewState starts a session with its tasks.
func NewState(tasks []Task) *State {
	return &State{Tasks: tasks, MinCos: 1}
}

// Task is the task being asked for; Type "" when all are done.
func (s *State) Task() Task {
	if s.Index >= len(s.Tasks) {
		return Task{}
	}
	return s.Tasks[s.Index]
}

// Current is the challenge being asked for, or "" when all are done.
func (s *State) Current() Challenge { return s.Task().Type }

// Progress is the share of tasks met, 0–1.
func (s *State) Progress() float64 {
	return float64(s.Index) / float64(max(len(s.Tasks), 1))
}

// WantsEmbedding says whether the next frame should be embedded: until a
// reference exists, then every third frame.
func (s *State) WantsEmbedding() bool { return s.Reference == nil || s.Frames%3 == 0 }

// WantsSpoof says whether the next frame needs the passive anti-spoofing
// model: every third frame, between the embedding's. It only weighs in
// the confidence (MinReal is 0); skipping it on the others pays for the
// page's ten frames a second (docs/benchmarks.md).
func (s *State) WantsSpoof() bool { return s.Frames%3 == 1 }

// RealMean is the passive anti-spoofing p(live) over the frames it ran on.
func (s *State) RealMean() float64 {
	n := s.RealFrames
	if n == 0 && s.RealSum > 0 { // a session sealed before the model ran on every third frame only
		n = s.FaceFrames
	}
	return s.RealSum / float64(max(n, 1))
}

// WantsPicture says whether the next frame's grey picture is needed: only
// head movements follow the profile by its pixels (startTrack, follow).
func (s *State) WantsPicture() bool { return isTurn(s.Current()) || s.Current() == LookUp }

// WantsExpression says whether the next frame needs the expression model.
func (s *State) WantsExpression() bool { return s.Current() == Smile && s.Neutral }

// Feedback answers one frame.
type Feedback struct {
	Guidance string // a Guide* code or the current challenge
	Met      bool   // this frame completed a challenge
	Frontal  bool   // a frontal, neutral frame: a reference candidate (the service prefers open eyes, then sharpness)
}

// Repeat moves session s on by a frame that repeats the previous one's
// picture (a stalled camera): its time counts (timing, the challenge's
// timeout, the frame cap), its picture says nothing new. It reports
// whether the session goes on.
func (c Config) Repeat(s *State, o Observation) bool { return c.tick(s, o) }

// tick counts a frame and checks its time: frame timing, the frame cap
// and the challenge's timeout. It reports whether the session goes on.
func (c Config) tick(s *State, o Observation) bool {
	if s.Done {
		return false
	}
	if fail := c.checkTiming(s, o); fail != "" {
		s.fail(fail)
		return false
	}
	s.Frames++
	if s.Frames > c.MaxFrames {
		s.fail(ReasonTooManyFrame)
		return false
	}
	if s.AskedAt.IsZero() {
		s.AskedAt = o.ClientAt
	}
	if o.ClientAt.Sub(s.AskedAt) > c.timeout(s) {
		s.fail(ReasonTimeout)
		return false
	}
	return true
}

// Step takes one frame's observation and moves the state on. It is called
// in frame order; once the state is Done it changes nothing more.
func (c Config) Step(s *State, o Observation) Feedback {
	if !c.tick(s, o) {
		return Feedback{Guidance: GuideDone}
	}
	switch {
	case o.Faces == 0:
		return Feedback{Guidance: GuideNoFace}
	case o.Faces > 1:
		return Feedback{Guidance: GuideMultipleFaces}
	}
	s.FaceFrames++
	if o.Real >= 0 {
		s.RealSum += o.Real
		s.RealFrames++
	}
	if o.Embedding != nil {
		open := o.EyesOpen >= c.EyesOpen
		if s.Reference == nil {
			if c.frontal(s, o) {
				s.Reference, s.RefOpen = o.Embedding, open
			}
		} else {
			cos := cosine(s.Reference, o.Embedding)
			s.MinCos = math.Min(s.MinCos, cos)
			s.Checked++
			if cos < c.SameFace {
				s.fail(ReasonFaceChanged)
				return Feedback{Guidance: GuideDone}
			}
			// A reference taken with the eyes read closed (glasses, or a
			// squint) gives way to the first frontal frame of the same
			// face with them open: the face match and the duplicate
			// search compare this embedding.
			if !s.RefOpen && open && c.frontal(s, o) {
				s.Reference, s.RefOpen = o.Embedding, true
			}
		}
	}
	last := s.Prev
	if s.Break = c.continuous(s, o); s.Break != "" {
		s.fail(ReasonJump)
		return Feedback{Guidance: GuideDone}
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
	fb := Feedback{Frontal: c.frontal(s, o)}
	if fb.Frontal && o.HasLandmarks { // a frame continuity and framing accepted
		s.Broad = math.Max(s.Broad, proportion(&o.Landmarks))
	}
	if !s.Neutral {
		if !fb.Frontal && !c.still(s, last, o) {
			fb.Guidance = GuideLookStraight
			return fb
		}
		// A head movement starts only where its profile can be followed.
		var track *Track
		if s.WantsPicture() {
			var guide string
			if track, guide = startTrack(o); guide != "" {
				fb.Guidance = guide
				return fb
			}
		}
		s.Neutral, s.Track = true, track
		s.Base = baseline(o)
		s.ClosedAt = time.Time{}
		fb.Guidance = string(s.Current())
		return fb
	}
	if s.Current() == Light {
		return c.light(s, o)
	}
	if s.Track != nil && !s.Track.Lost && !s.Track.follow(o) {
		// The profile was lost (blur, a cut, or the nose hiding the
		// cheek behind it at the end of a wide turn). Once the movement
		// was followed four fifths of the way, what was seen stands and
		// nothing more is measured; before that, the movement starts
		// again from a frontal face (a bend read at a small angle is
		// mostly noise: an attacker could blur a frame early to keep it).
		if furthest(s.Bends) < 0.8*s.Task().Target {
			s.forget()
			fb.Guidance = GuideLookStraight
			return fb
		}
		s.Track.Lost = true
	}
	c.sampleDepth(s, o)
	if c.met(s, o) {
		if reason, profileOnly := c.depth(s, o); reason != "" {
			if profileOnly && s.Retried < c.ProfileRetries {
				// Once a session: the movement again, from a frontal
				// face, with its own time.
				s.Retried++
				s.forget()
				s.AskedAt = o.ClientAt
				fb.Guidance = GuideLookStraight
				return fb
			}
			s.fail(reason)
			return Feedback{Guidance: GuideDone}
		}
		c.advance(s, o)
		fb.Met = true
		fb.Guidance = GuideLookStraight
		if s.Done {
			fb.Guidance = GuideDone
		}
		return fb
	}
	fb.Guidance = string(s.Current())
	if c.SlowJump > 0 && s.Jump > c.SlowJump*c.ShapeJump {
		fb.Guidance = GuideSlowDown
	}
	return fb
}

// advance moves to the next task, or finishes the session.
func (c Config) advance(s *State, o Observation) {
	s.forget()
	s.Index++
	s.Neutral = false
	s.AskedAt = o.ClientAt
	if s.Index == len(s.Tasks) {
		c.finish(s)
	}
}

func (c Config) timeout(s *State) time.Duration {
	if t := s.Task(); t.Type == Light {
		return c.ChallengeTimeout + time.Duration(len(t.Colors)*t.FlashMS)*time.Millisecond
	}
	return c.ChallengeTimeout
}

func baseline(o Observation) Baseline {
	return Baseline{At: o.ClientAt, BoxW: o.BoxW, Yaw: o.Yaw, Pitch: o.Pitch, MouthWidth: o.MouthWidth, Luma: o.Luma,
		Landmarks: o.Landmarks, HasLandmarks: o.HasLandmarks}
}

// frontal is a face looking at the camera. Its eyes need not read open:
// the eye model reads eyes behind glasses, with the screen's glare on
// them, as closed (0.05–0.2), and a person cannot open them further. Only
// a blink starts from eyes seen open.
func (c Config) frontal(s *State, o Observation) bool {
	return c.facing(o) && (s.Current() != Blink || o.EyesOpen >= c.EyesOpen)
}

// facing is a face the pose model reads looking at the camera.
func (c Config) facing(o Observation) bool {
	return math.Abs(o.Yaw) < c.NeutralYaw && math.Abs(o.Pitch) < c.NeutralPitch
}

// near is a face read close enough to frontal to start a head movement
// when it holds still (StillYaw, StillPitch).
func (c Config) near(o Observation) bool {
	return math.Abs(o.Yaw) < c.StillYaw && math.Abs(o.Pitch) < c.StillPitch
}

// still is a face near enough to frontal that holds still: a start for
// a head movement (StillYaw), not for the light (whose echo is measured
// on a face turned to the screen) nor a reference (frontal). A head still
// coming back towards the camera (its yaw or pitch shrinking by more than
// half a degree) is on its way to a frontal start, not still.
func (c Config) still(s *State, last *Baseline, o Observation) bool {
	if last == nil || o.ClientAt.Sub(last.At) > c.MaxGap || !slices.Contains(Drawn, s.Current()) {
		return false
	}
	steady := math.Abs(o.Yaw-last.Yaw) <= c.StillDeg && math.Abs(o.Pitch-last.Pitch) <= c.StillDeg
	returning := math.Abs(last.Yaw)-math.Abs(o.Yaw) > 0.5 || math.Abs(last.Pitch)-math.Abs(o.Pitch) > 0.5
	return c.near(o) && steady && !returning
}

// met reports whether the frame completes the current task, measured
// against the task's neutral frame. In the frames the browser sends (not
// mirrored), a person turning to their own left turns their face towards
// the image's right: negative yaw.
func (c Config) met(s *State, o Observation) bool {
	b := s.Base
	t := s.Task()
	switch t.Type {
	case TurnLeft:
		return b.Yaw-o.Yaw >= t.Target && c.seen(s, &b, o, t.Target)
	case TurnRight:
		return o.Yaw-b.Yaw >= t.Target && c.seen(s, &b, o, t.Target)
	case LookUp:
		return o.Pitch-b.Pitch >= t.Target && math.Abs(o.Yaw-b.Yaw) < lookUpYaw
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
		// Measured from the face's narrowest frontal reading since the
		// start, down to a tenth under the start's: a head still raised
		// from a look-up reads up to a tenth wider than it does level, and
		// taken as the start it leaves a real approach short of the
		// target. (A print tilted away reads turned or raised, not
		// frontal; a glitch of the box gains at most a tenth.)
		if c.frontal(s, o) && o.BoxW > 0 && (s.Narrow == 0 || o.BoxW < s.Narrow) {
			s.Narrow = o.BoxW
		}
		from := b.BoxW
		if s.Narrow > 0 {
			from = math.Min(from, math.Max(s.Narrow, 0.9*b.BoxW))
		}
		return from > 0 && o.BoxW >= t.Target*from
	}
	return false
}

// seen says whether the landmarks' foreshortening bears out a turn of
// target degrees from the neutral frame b (TurnSeen).
func (c Config) seen(s *State, b *Baseline, o Observation, target float64) bool {
	return b.HasLandmarks && o.HasLandmarks && c.turnSeen(s, b, o) >= c.TurnSeen*target
}

// turnSeen is the turn from b to o that the landmarks' foreshortening
// shows, in degrees, each side signed as the pose model reads it. A
// neutral frame read frontal counts as frontal: there the foreshortening
// is mostly noise, and its sign the pose model's guess.
func (c Config) turnSeen(s *State, b *Baseline, o Observation) float64 {
	broad := s.Broad
	if broad == 0 {
		broad = proportion(&b.Landmarks)
	}
	var from float64
	if math.Abs(b.Yaw) >= c.NeutralYaw {
		from = math.Copysign(foreshortened(proportion(&b.Landmarks), broad), b.Yaw)
	}
	to := math.Copysign(foreshortened(proportion(&o.Landmarks), broad), o.Yaw)
	return math.Abs(to - from)
}

// proportion is the eyes' distance over the eyes-to-mouth height. A turn
// about the vertical axis shrinks the first as its cosine and leaves the
// second alone; their ratio does not change with the distance to the
// camera.
func proportion(lm *[68][2]float64) float64 { return iod(lm) / height(lm) }

// foreshortened is the turn, in degrees either way, that makes a face of
// proportion frontal read p. Near frontal the cosine is flat, so a degree
// or two of landmark noise reads as up to ten degrees: it bears out a
// turn, it does not measure a small one.
func foreshortened(p, frontal float64) float64 {
	return math.Acos(math.Max(-1, math.Min(p/frontal, 1))) * 180 / math.Pi
}

// height is the distance from the eyes' centre to the mouth's corners'.
func height(lm *[68][2]float64) float64 {
	var ex, ey float64
	for i := 36; i < 48; i++ {
		ex, ey = ex+lm[i][0]/12, ey+lm[i][1]/12
	}
	mx, my := (lm[48][0]+lm[54][0])/2, (lm[48][1]+lm[54][1])/2
	return math.Max(math.Hypot(mx-ex, my-ey), 1e-9)
}

// forget drops what was measured of the current movement: it has to be
// made again from a frontal face.
func (s *State) forget() {
	s.Neutral, s.Depths, s.Track, s.Bends, s.Narrow = false, nil, nil, nil, 0
}

// lookUpYaw is how far the head may turn while looking up (degrees): a
// look-up is a nod, not a turn.
const lookUpYaw = 18

// depth checks that a met turn or look-up moved as a solid head does: seen
// from the camera, the nose tip, which stands in front of the face, moves
// further than the eyes and the mouth's corners, in proportion to the sine
// of the rotation: sideways under a turn, upwards under a look-up. A flat
// picture has its nose painted between them and moves with them. (A print
// bent into a cylinder has its painted nose in front of its sides and shows
// depth both ways: docs/accuracy.md.) profileOnly says that the landmarks'
// depth passed and only the profile read flat.
func (c Config) depth(s *State, o Observation) (reason string, profileOnly bool) {
	cur := s.Current()
	if !isTurn(cur) && cur != LookUp {
		return "", false
	}
	flat := false
	// The median over the rotated frames: one frame's landmarks are noisy.
	if d, ok := median(s.Depths); !ok {
		flat = true // no landmarks, no evidence: fail closed
	} else {
		smallest, count, floor := &s.NoseDepth, &s.Turns, c.MinNoseDepth
		if cur == LookUp {
			smallest, count, floor = &s.PitchDepth, &s.Nods, c.MinPitchDepth
		}
		record(smallest, count, d)
		flat = d < floor
	}
	// The profile, followed by its pixels, when the frames had them.
	bentFlat := false
	if s.Track != nil {
		if b, ok := mostTurned(s.Bends); !ok {
			bentFlat = true
		} else {
			smallest, count, floor := &s.Bend, &s.BentTurns, c.MinBend
			if cur == LookUp {
				smallest, count, floor = &s.BendUp, &s.BentNods, c.MinBendUp
			}
			record(smallest, count, b)
			bentFlat = b < floor
		}
	}
	if flat || bentFlat {
		return ReasonFlat, !flat
	}
	return "", false
}

// median is the median of v; false when v is empty.
func median(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	ds := slices.Clone(v)
	slices.Sort(ds)
	return ds[len(ds)/2], true
}

// Bend is one frame's profile bend and how far (degrees) the face engine
// read it turned or raised from the neutral frame, the way asked.
type Bend struct {
	Bend float64 `json:"b"`
	Deg  float64 `json:"d"`
}

// mostTurned is the median bend of the frames rotated furthest (at least
// 0.8 times the furthest): the tip's shift is divided by the sine of the
// rotation the face engine reads, so a frame read as little rotated turns
// a pixel of tracking noise into a large bend (and the engine reads a
// turned picture's angle badly). False when there are none.
func mostTurned(v []Bend) (float64, bool) {
	far := furthest(v)
	var top []float64
	for _, b := range v {
		if b.Deg >= 0.8*far {
			top = append(top, b.Bend)
		}
	}
	return median(top)
}

// furthest is the largest rotation among the bends' frames (0 for none).
func furthest(v []Bend) float64 {
	var far float64
	for _, b := range v {
		far = math.Max(far, b.Deg)
	}
	return far
}

// record keeps the smallest of count measures so far.
func record(smallest *float64, count *int, v float64) {
	if *count == 0 || v < *smallest {
		*smallest = v
	}
	*count++
}

// sampleDepth measures the nose's depth on each frame of a turn turned at
// least 10° from the neutral frame, or of a look-up raised at least 8°.
func (c Config) sampleDepth(s *State, o Observation) {
	b := s.Base
	if !b.HasLandmarks || !o.HasLandmarks {
		return
	}
	axis, deg := sideways, b.Yaw-o.Yaw
	if isTurn(s.Current()) && math.Abs(b.Yaw) < c.NeutralYaw {
		// From a frontal start, the smaller of the pose model's and the
		// foreshortening's turn, but at least half the pose model's: the
		// depth of a frame is multiplied by at most about two. (From a
		// still start the foreshortening's own start is mostly noise, and
		// a larger frontal proportion, which a script can send, would
		// shrink the difference: the pose model's angle, as before.)
		deg = math.Copysign(math.Max(math.Abs(deg)/2, math.Min(math.Abs(deg), c.turnSeen(s, &b, o))), deg)
	}
	switch cur := s.Current(); {
	case isTurn(cur) && math.Abs(deg) >= 10:
	case cur == LookUp && o.Pitch-b.Pitch >= 8:
		axis, deg = upwards, o.Pitch-b.Pitch
	default:
		return
	}
	s.Depths = append(s.Depths, noseDepth(&b.Landmarks, &o.Landmarks, axis, deg))
	// The profile counts frames rotated the way asked (a turn left has
	// the engine's yaw falling).
	asked := deg
	if s.Current() == TurnRight {
		asked = -deg
	}
	if s.Track != nil && !s.Track.Lost && asked > 0 {
		s.Bends = append(s.Bends, Bend{Bend: s.Track.bend(axis, deg), Deg: asked})
	}
}

// The axes noseDepth measures along: the image's x under a turn, its y
// under a look-up.
const (
	sideways = 0
	upwards  = 1
)

// noseDepth estimates, from a neutral frame and a frame rotated by deg
// degrees, how far the nose tip stands in front of the eyes and the mouth's
// corners, in eye distances: a point in front moves further, by its depth
// times the sine of the rotation. Sideways, deg is a turn (positive:
// towards the image's right, which moves the tip right of the others);
// upwards, a look-up (which lifts the tip more than the points behind it).
// The eyes and mouth corners are the face's most clearly drawn points, so
// the face engine places them where they are seen (on a picture, where
// they are painted); on a flat picture the nose tip is painted between
// them and moves with them.
func noseDepth(base, cur *[68][2]float64, axis int, deg float64) float64 {
	ref := func(lm *[68][2]float64) float64 {
		var v float64
		for i := 36; i < 48; i++ {
			v += lm[i][axis] / 24 // the two eyes' centres, weighted as one point each
		}
		return v + (lm[48][axis]+lm[54][axis])/4
	}
	shift := (cur[lmNoseTip][axis] - ref(cur)) - (base[lmNoseTip][axis] - ref(base))
	sin := math.Sin(math.Abs(deg) * math.Pi / 180)
	if sin < 0.05 {
		return 0
	}
	if deg < 0 != (axis == upwards) { // rising is towards smaller y
		shift = -shift
	}
	return shift / (sin * iod(base))
}

// iod is the distance between the eyes' centres.
func iod(lm *[68][2]float64) float64 {
	var lx, ly, rx, ry float64
	for i := 36; i < 42; i++ {
		lx, ly = lx+lm[i][0]/6, ly+lm[i][1]/6
		rx, ry = rx+lm[i+6][0]/6, ry+lm[i+6][1]/6
	}
	return math.Max(math.Hypot(rx-lx, ry-ly), 1e-9)
}

// continuous checks the frame against the previous one: a head moves
// smoothly between frames a fraction of a second apart; a slideshow of
// photographs, or a cut in a replayed clip, jumps in shape, scale or
// brightness. It returns what broke ("" when nothing did).
func (c Config) continuous(s *State, o Observation) (broken string) {
	prev := s.Prev
	cur := baseline(o)
	s.Prev, s.Jump = &cur, 0
	if prev == nil || !prev.HasLandmarks || !o.HasLandmarks || o.ClientAt.Sub(prev.At) > c.MaxGap {
		if prev != nil && o.ClientAt.Sub(prev.At) > c.MaxGap && s.Current() != Light {
			s.forget()
		}
		return ""
	}
	// The change: the shape's, and the turn's (a slideshow of photos of
	// one pose to another changes both at once), the turn counted only as
	// far as the shape bears it out: the pose model alone misreads.
	shape := shapeChange(&prev.Landmarks, &o.Landmarks)
	turn := (math.Abs(o.Yaw-prev.Yaw) + math.Abs(o.Pitch-prev.Pitch)) / c.PoseScale
	jump := shape + math.Min(turn, c.PoseCredit*shape)
	s.MaxJump, s.Jump = math.Max(s.MaxJump, jump), jump
	if dt := o.ClientAt.Sub(prev.At).Seconds(); dt > 0 {
		s.MaxSpeed = math.Max(s.MaxSpeed, math.Hypot(o.Yaw-prev.Yaw, o.Pitch-prev.Pitch)/dt)
	}
	if jump > c.ShapeJump {
		return "shape"
	}
	// The scale by the landmarks' spread, not the detector's box: the box
	// can jump by a fifth between two frames of a head looking up.
	if math.Abs(spread(&o.Landmarks)/spread(&prev.Landmarks)-1) > c.ScaleJump {
		return "scale"
	}
	// The light challenge changes the face's brightness on purpose.
	if s.Current() != Light && prev.Luma > 0 && math.Abs(o.Luma/prev.Luma-1) > c.LumaJump {
		return "brightness"
	}
	return ""
}

// spread is the landmarks' RMS distance from their centre: the face's size.
func spread(lm *[68][2]float64) float64 {
	var cx, cy float64
	for _, p := range lm {
		cx, cy = cx+p[0]/68, cy+p[1]/68
	}
	var sum float64
	for _, p := range lm {
		sum += (p[0]-cx)*(p[0]-cx) + (p[1]-cy)*(p[1]-cy)
	}
	return math.Max(math.Sqrt(sum/68), 1e-9)
}

// shapeChange is how much the landmarks' shape differs between two frames
// once position, scale and rotation are taken out (the RMS distance after
// the best similarity transform), in eye distances.
func shapeChange(a, b *[68][2]float64) float64 {
	// Centre both.
	var ax, ay, bx, by float64
	for i := range a {
		ax, ay, bx, by = ax+a[i][0], ay+a[i][1], bx+b[i][0], by+b[i][1]
	}
	n := float64(len(a))
	ax, ay, bx, by = ax/n, ay/n, bx/n, by/n
	// The similarity that maps a onto b best: b ≈ s·R·a.
	var sxx, sxy, norm float64
	for i := range a {
		px, py := a[i][0]-ax, a[i][1]-ay
		qx, qy := b[i][0]-bx, b[i][1]-by
		sxx += px*qx + py*qy
		sxy += px*qy - py*qx
		norm += px*px + py*py
	}
	if norm == 0 {
		return 0
	}
	ca, sa := sxx/norm, sxy/norm
	var sum float64
	for i := range a {
		px, py := a[i][0]-ax, a[i][1]-ay
		qx, qy := b[i][0]-bx, b[i][1]-by
		dx, dy := ca*px-sa*py-qx, sa*px+ca*py-qy
		sum += dx*dx + dy*dy
	}
	return math.Sqrt(sum/n) / iod(b)
}

// light runs the light challenge: it records the face's colours while the
// page shows the colours, then decides whether they echoed the sequence in
// time and fell on the face as on a solid (stronger where the surface faces
// the screen than at the sides).
func (c Config) light(s *State, o Observation) Feedback {
	t := s.Task()
	if s.LightStart.IsZero() {
		// The page says when it began; not before the task was revealed,
		// and not after the frame it comes with.
		if o.LightStart.IsZero() || o.LightStart.Before(s.AskedAt.Add(-time.Second)) || o.LightStart.After(o.ClientAt) {
			return Feedback{Guidance: string(Light)}
		}
		s.LightStart = o.LightStart
	}
	at := o.ClientAt.Sub(s.LightStart)
	total := time.Duration(len(t.Colors)*t.FlashMS) * time.Millisecond
	if at < total {
		if o.HasLandmarks {
			s.Samples = append(s.Samples, LightSample{T: int(at / time.Millisecond), Regions: o.Regions})
		}
		return Feedback{Guidance: string(Light)}
	}
	corr, gain, ratio := c.echo(t, s.Samples)
	s.LightCorr, s.LightRatio = corr, ratio
	switch {
	case gain < c.MinLightGain:
		s.fail(ReasonTooBright)
	case corr < c.MinLightCorr || ratio > c.MaxLightRatio:
		s.fail(ReasonLight)
	default:
		c.advance(s, o)
		return Feedback{Guidance: GuideDone, Met: true}
	}
	return Feedback{Guidance: GuideDone}
}

// echo measures the light challenge's samples: the correlation between the
// colours shown and the nose's colour (each channel, averaged), the nose's
// relative gain (how much a channel's value rises when the screen turns
// that channel on, over its value when off), and the sides' gain over the
// nose's.
func (c Config) echo(t Task, samples []LightSample) (corr, gain, ratio float64) {
	type point struct {
		on  [3]float64
		reg [NumRegions][3]float64
	}
	var pts []point
	for _, sm := range samples {
		k := sm.T / t.FlashMS
		if k >= len(t.Colors) || time.Duration(sm.T%t.FlashMS)*time.Millisecond < c.LightGuard {
			continue
		}
		pts = append(pts, point{on: rgb(t.Colors[k]), reg: sm.Regions})
	}
	if len(pts) < 4 {
		return 0, 0, 99
	}
	// Per region and channel: the least-squares line value = a + b·on.
	// A channel that reaches the sensor's ceiling in a patch (a highlight
	// on the forehead or the nose) cannot show its gain: ok is false.
	fit := func(r, ch int) (a, b, rr float64, ok bool) {
		var sx, sy, sxx, sxy, syy, n float64
		for _, p := range pts {
			x, y := p.on[ch], p.reg[r][ch]
			if y >= Saturated {
				return 0, 0, 0, false
			}
			sx, sy, sxx, sxy, syy, n = sx+x, sy+y, sxx+x*x, sxy+x*y, syy+y*y, n+1
		}
		vx, vy, cov := sxx-sx*sx/n, syy-sy*sy/n, sxy-sx*sy/n
		if vx <= 0 {
			return sy / n, 0, 0, true
		}
		b = cov / vx
		a = (sy - b*sx) / n
		if vy > 0 {
			rr = cov / math.Sqrt(vx*vy)
		}
		return a, b, rr, true
	}
	var centre, sides, corrN, chans float64
	for ch := 0; ch < 3; ch++ {
		// The forehead and the nose's tip face the screen; the brighter
		// echo of the two is the centre's (hair may cover the forehead).
		cg, cn := math.Inf(-1), 0
		for _, r := range []int{RegionBridge, RegionTip} {
			if a, b, rr, ok := fit(r, ch); ok {
				cg = math.Max(cg, b/math.Max(a, 1))
				corr += rr
				corrN++
				cn++
			}
		}
		var sg, sn float64
		for _, r := range []int{RegionLeft, RegionRight} {
			if a, b, _, ok := fit(r, ch); ok {
				sg += b / math.Max(a, 1)
				sn++
			}
		}
		if cn == 0 || sn == 0 {
			continue // this channel saturates: the others decide
		}
		centre += cg
		sides += sg / sn
		chans++
	}
	if corrN > 0 {
		corr /= corrN
	}
	if chans == 0 || centre <= 0 {
		return corr, 0, 99 // nothing to compare the sides with
	}
	return corr, centre / chans, sides / centre
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
	realMean := s.RealMean()
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
	realMean := s.RealMean()
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
