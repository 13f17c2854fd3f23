package liveness

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/store"
)

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// head is a rough 3-D layout of the 68 landmarks in eye distances (x right,
// y down, z towards the camera): enough geometry for the checker's depth
// and continuity rules, without the face engine.
var head = func() (p [68][3]float64) {
	for i := 0; i <= 16; i++ { // the jaw
		t := float64(i-8) / 8
		p[i] = [3]float64{1.1 * math.Sin(t*1.3) / math.Sin(1.3), 1.35*math.Cos(t*1.2) - 0.3, -0.9*math.Pow(math.Abs(t), 1.2) - 0.1}
	}
	for i := 17; i <= 26; i++ { // the brows
		k := float64(i - 17)
		x := -0.95 + 0.2*k
		if i >= 22 {
			x = 0.15 + 0.2*float64(i-22)
		}
		p[i] = [3]float64{x, -0.55, 0.05}
	}
	for k := 0; k < 4; k++ { // the nose's bridge to its tip
		p[27+k] = [3]float64{0, -0.35 + 0.2*float64(k), 0.1 + 0.15*float64(k)}
	}
	for k := 0; k < 5; k++ { // the nostrils
		p[31+k] = [3]float64{-0.25 + 0.125*float64(k), 0.35, 0.2 + 0.05*(2-math.Abs(float64(k-2)))}
	}
	for e, cx := range []float64{-0.5, 0.5} { // the eyes
		for k := 0; k < 6; k++ {
			a := float64(k) * math.Pi / 3
			p[36+6*e+k] = [3]float64{cx - 0.18*math.Cos(a), -0.3 - 0.08*math.Sin(a), -0.1}
		}
	}
	for k := 0; k < 12; k++ { // the lips
		a := float64(k) * math.Pi / 6
		p[48+k] = [3]float64{-0.45 * math.Cos(a), 0.8 - 0.15*math.Sin(a), 0.1}
	}
	for k := 0; k < 8; k++ {
		a := float64(k) * math.Pi / 4
		p[60+k] = [3]float64{-0.3 * math.Cos(a), 0.8 - 0.07*math.Sin(a), 0.12}
	}
	return p
}()

// project places the head turned by yaw (the engine's sign: negative
// towards the image's right) and pitch, its eyes iod apart (ratio of the
// frame's width) and centred at (0.5, 0.4); flat flattens it (a picture).
func project(yaw, pitch, iod float64, flat bool) (out [68][2]float64) {
	cy, sy := math.Cos(-yaw*math.Pi/180), math.Sin(-yaw*math.Pi/180)
	cp, sp := math.Cos(pitch*math.Pi/180), math.Sin(pitch*math.Pi/180)
	for i, q := range head {
		x, y, z := q[0], q[1], q[2]
		if flat {
			z = 0
		}
		x, z = x*cy+z*sy, -x*sy+z*cy
		y, _ = y*cp-z*sp, y*sp+z*cp
		out[i] = [2]float64{0.5 + iod*x, 0.4 + iod*y}
	}
	return out
}

// frame is a neutral, frontal observation at ms milliseconds, received in
// real time; options change it.
func frame(ms int, opts ...func(*Observation)) Observation {
	at := t0.Add(time.Duration(ms) * time.Millisecond)
	o := Observation{ClientAt: at, ReceivedAt: at, Faces: 1, BoxW: 0.3, CX: 0.5, CY: 0.5, EyesOpen: 0.95,
		MouthWidth: 0.8, Happy: -1, Real: 0.9, Embedding: []float32{1, 0}, Luma: 120,
		Landmarks: project(0, 0, 0.1, false), HasLandmarks: true}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// yaw turns the head, landmarks included; flatYaw turns a picture.
func yaw(d float64) func(*Observation) {
	return func(o *Observation) { o.Yaw, o.Landmarks = d, project(d, o.Pitch, 0.1, false) }
}
func flatYaw(d float64) func(*Observation) {
	return func(o *Observation) { o.Yaw, o.Landmarks = d, project(d, 0, 0.1, true) }
}

// overRead turns the head by d with the pose model reading k times as far.
func overRead(k float64) func(float64) func(*Observation) {
	return func(d float64) func(*Observation) {
		return func(o *Observation) { o.Yaw, o.Landmarks = k*d, project(d, o.Pitch, 0.1, false) }
	}
}
func pitch(d float64) func(*Observation) {
	return func(o *Observation) { o.Pitch, o.Landmarks = d, project(o.Yaw, d, 0.1, false) }
}
func eyes(p float64) func(*Observation) { return func(o *Observation) { o.EyesOpen = p } }
func width(w float64) func(*Observation) {
	return func(o *Observation) {
		o.BoxW = w
		for i := range o.Landmarks { // the landmarks grow with the face
			o.Landmarks[i][0] = 0.5 + (o.Landmarks[i][0]-0.5)*w/0.3
			o.Landmarks[i][1] = 0.4 + (o.Landmarks[i][1]-0.4)*w/0.3
		}
	}
}
func real(p float64) func(*Observation) { return func(o *Observation) { o.Real = p } }
func smile(m, h float64) func(*Observation) {
	return func(o *Observation) { o.MouthWidth, o.Happy = m, h }
}
func person(x, y float32) func(*Observation) {
	return func(o *Observation) { o.Embedding = []float32{x, y} }
}
func faces(n int) func(*Observation) { return func(o *Observation) { o.Faces = n } }
func received(ms int) func(*Observation) {
	return func(o *Observation) { o.ReceivedAt = t0.Add(time.Duration(ms) * time.Millisecond) }
}
func luma(v float64) func(*Observation) { return func(o *Observation) { o.Luma = v } }

func run(challenges []Challenge, frames ...Observation) (*State, []Feedback) {
	s := NewState(Fixed(challenges))
	var fbs []Feedback
	for _, f := range frames {
		fbs = append(fbs, Defaults.Step(s, f))
	}
	return s, fbs
}

// turn is a head turning smoothly from 0 to deg (engine yaw) from ms on,
// one frame every 150 ms.
func turn(ms int, deg float64, opts ...func(float64) func(*Observation)) []Observation {
	move := yaw
	if len(opts) > 0 {
		move = opts[0]
	}
	var out []Observation
	for k := 1; k <= 5; k++ {
		out = append(out, frame(ms+150*(k-1), move(deg*float64(k)/5)))
	}
	return out
}

func TestChallengesPass(t *testing.T) {
	tests := []struct {
		name   string
		c      Challenge
		action []Observation
	}{
		{"turn left", TurnLeft, turn(400, -26)},
		{"turn right", TurnRight, turn(400, 26)},
		{"look up", LookUp, []Observation{frame(400, pitch(6)), frame(600, pitch(14))}},
		{"blink", Blink, []Observation{frame(400, eyes(0.1)), frame(600, eyes(0.05)), frame(800, eyes(0.9))}},
		{"smile", Smile, []Observation{frame(400, smile(0.85, 0.5)), frame(600, smile(0.95, 0.97))}},
		{"come closer", ComeCloser, []Observation{frame(400, width(0.33)), frame(600, width(0.36)), frame(800, width(0.4))}},
		// Met once the face shows the turn, judged by the smaller reading.
		{"turn left, read 1.6 times as far", TurnLeft, turn(400, -24, overRead(1.6))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames := append([]Observation{frame(0), frame(200)}, tt.action...)
			s, _ := run([]Challenge{tt.c}, frames...)
			if !s.Done || !s.Passed {
				t.Errorf("%s: done %v passed %v reasons %v", tt.name, s.Done, s.Passed, s.Reasons)
			}
		})
	}
}

// TestGlasses: eyes behind glasses, which the eye model reads as closed,
// do not keep a person from starting a movement or giving the reference;
// a blink still starts only from eyes seen open.
func TestGlasses(t *testing.T) {
	closed := func(fs []Observation) []Observation {
		for i := range fs {
			fs[i].EyesOpen = 0.08
		}
		return fs
	}
	frames := closed(append([]Observation{frame(0), frame(200)}, turn(400, -26)...))
	s, fbs := run([]Challenge{TurnLeft}, frames...)
	if !s.Passed || s.Reference == nil || !fbs[0].Frontal {
		t.Errorf("a turn with eyes read closed: passed %v, reasons %v, reference %v", s.Passed, s.Reasons, s.Reference != nil)
	}
	s, fbs = run([]Challenge{Blink}, closed([]Observation{frame(0), frame(200), frame(400)})...)
	if s.Neutral || fbs[2].Guidance != GuideLookStraight {
		t.Errorf("a blink from eyes read closed: neutral %v, guidance %q", s.Neutral, fbs[2].Guidance)
	}
	// The identity reference taken with the eyes read closed gives way to
	// the first frontal frame of the same face with them open (the face
	// match and the duplicate search use it); not to a turned one.
	frames = closed([]Observation{frame(0), frame(200)})
	frames = append(frames, frame(400, yaw(-14), person(0.9, 0.44)), frame(600, person(0.8, 0.6)), frame(800, person(0.6, 0.8)))
	frames[1].Embedding = nil
	s, _ = run([]Challenge{TurnLeft}, frames...)
	if !s.RefOpen || s.Reference[0] != 0.8 || s.Done {
		t.Errorf("reference %v (eyes open %v), done %v %v; want the first open-eyed frontal frame's", s.Reference, s.RefOpen, s.Done, s.Reasons)
	}
}

// TestReferenceImage: the service keeps as the reference image a frontal
// frame with open eyes before a sharper one without (unless half as
// sharp), then the sharper one, across the requests of a session.
func TestReferenceImage(t *testing.T) {
	st, l := &State{}, &store.LivenessSession{}
	keep := func(open bool, sharp float64) bool {
		r := &Run{s: &Service{o: Options{Config: Defaults}}, l: l, st: st} // a request of its own
		f := &face.Face{EyesOpen: 0.1, Sharpness: sharp}
		if open {
			f.EyesOpen = 0.9
		}
		if !r.better(f) {
			return false
		}
		l.ReferenceKey, st.ImageOpen, st.ImageSharp = "reference", open, sharp
		return true
	}
	for i, c := range []struct {
		open  bool
		sharp float64
		kept  bool
	}{
		{false, 60, true},  // the first frontal frame
		{false, 61, false}, // not clearly sharper
		{true, 35, true},   // open eyes, though less sharp
		{false, 90, false}, // sharper, eyes closed
		{true, 30, false},
		{true, 50, true},
		{true, 20, false},
	} {
		if got := keep(c.open, c.sharp); got != c.kept {
			t.Errorf("frame %d (open %v, sharpness %.0f): kept %v, want %v", i, c.open, c.sharp, got, c.kept)
		}
	}
}

func TestChallengesRefuse(t *testing.T) {
	tests := []struct {
		name   string
		c      Challenge
		action []Observation
		reason string // "" when the session is simply not done yet
	}{
		{"turn left the wrong way", TurnLeft, turn(400, 25), ""},
		{"too small a turn", TurnRight, turn(400, 12), ""},
		{"a picture turned: no parallax", TurnLeft, turn(400, -26, flatYaw), ReasonFlat},
		// Not met, so never passed: the landmarks cannot bear the turn out.
		{"a turn without landmarks", TurnLeft, []Observation{frame(400, yaw(-26), func(o *Observation) { o.HasLandmarks = false })}, ""},
		// The pose model reads some people's small turns two or three
		// times as far as they go: not met until the face shows it.
		{"a 9° turn read 26°", TurnLeft, turn(400, -9, overRead(26.0/9)), ""},
		{"slow blink", Blink, []Observation{frame(400, eyes(0.1)), frame(2400, eyes(0.9))}, ""},
		{"closed eyes never open", Blink, []Observation{frame(400, eyes(0.1)), frame(600, eyes(0.5))}, ""},
		{"happy face, mouth unchanged", Smile, []Observation{frame(400, smile(0.8, 0.99))}, ""},
		{"wide mouth, not happy (surprise)", Smile, []Observation{frame(400, smile(1.0, 0.2))}, ""},
		{"small approach", ComeCloser, []Observation{frame(400, width(0.33))}, ""},
		{"turning is not looking up", LookUp, []Observation{frame(400, yaw(12), pitch(6)), frame(600, yaw(25), pitch(15))}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames := append([]Observation{frame(0), frame(200)}, tt.action...)
			s, _ := run([]Challenge{tt.c}, frames...)
			if s.Passed || s.Index != 0 || tt.reason != "" && !slices.Contains(s.Reasons, tt.reason) || tt.reason == "" && s.Done {
				t.Errorf("%s: passed %v index %d reasons %v, want %q", tt.name, s.Passed, s.Index, s.Reasons, tt.reason)
			}
		})
	}
}

func TestNoseDepth(t *testing.T) {
	base := project(0, 0, 0.1, false)
	for _, d := range []float64{-30, -20, 20, 30} {
		cur, flat := project(d, 0, 0.1, false), project(d, 0, 0.1, true)
		flatBase := project(0, 0, 0.1, true)
		if got := noseDepth(&base, &cur, sideways, -d); got < 0.3 || got > 0.6 {
			t.Errorf("a head turned %v°: nose depth %.2f, want about 0.45", d, got)
		}
		if got := noseDepth(&flatBase, &flat, sideways, -d); math.Abs(got) > 0.01 {
			t.Errorf("a picture turned %v°: nose depth %.2f, want 0", d, got)
		}
	}
	// Looking up lifts the tip further than the eyes and mouth.
	for _, d := range []float64{10, 15, 20} {
		cur, flat := project(0, d, 0.1, false), project(0, d, 0.1, true)
		flatBase := project(0, 0, 0.1, true)
		if got := noseDepth(&base, &cur, upwards, d); got < 0.3 || got > 0.7 {
			t.Errorf("a head raised %v°: nose depth %.2f, want about 0.5", d, got)
		}
		if got := noseDepth(&flatBase, &flat, upwards, d); math.Abs(got) > 0.05 {
			t.Errorf("a picture raised %v°: nose depth %.2f, want about 0", d, got)
		}
	}
}

func TestSequence(t *testing.T) {
	seq := []Challenge{TurnLeft, Blink, TurnRight}
	var frames []Observation
	frames = append(frames, frame(0))
	frames = append(frames, turn(150, -26)...) // left
	frames = append(frames, frame(900, yaw(-15)), frame(1050, yaw(-5)))
	frames = append(frames, frame(1200), frame(1350, eyes(0.1)), frame(1500)) // back to neutral, blink
	frames = append(frames, frame(1650))                                      // neutral
	frames = append(frames, turn(1800, 26)...)                                // right
	s, fbs := run(seq, frames...)
	if !s.Passed {
		t.Fatalf("the right order: passed %v, reasons %v, index %d", s.Passed, s.Reasons, s.Index)
	}
	if !slices.ContainsFunc(fbs, func(f Feedback) bool { return f.Guidance == GuideDone && f.Met }) {
		t.Errorf("no frame met the last challenge: %+v", fbs)
	}
	// The same movements in the wrong order do not pass.
	s, _ = run([]Challenge{TurnRight, Blink, TurnLeft}, frames...)
	if s.Passed || s.Index == len(seq) {
		t.Errorf("the wrong order passed (index %d)", s.Index)
	}
	// A turn must start from a neutral face: one held turn cannot serve
	// two challenges.
	held := append([]Observation{frame(0)}, turn(150, -26)...)
	held = append(held, frame(900, yaw(-26), width(0.45)))
	s, _ = run([]Challenge{TurnLeft, ComeCloser}, held...)
	if s.Index != 1 {
		t.Errorf("index %d after a held turn, want 1 (the approach needs a neutral frame first)", s.Index)
	}
}

// TestContinuity: a slideshow jumps between frames; a head does not.
func TestContinuity(t *testing.T) {
	// From a frontal photograph straight to a turned one.
	s, _ := run([]Challenge{TurnLeft}, frame(0), frame(200), frame(400, yaw(-26)))
	if !slices.Contains(s.Reasons, ReasonJump) {
		t.Errorf("a jump to a turned face: reasons %v", s.Reasons)
	}
	// Another photograph, in another light.
	s, _ = run([]Challenge{TurnLeft}, frame(0), frame(200), frame(400, luma(160)))
	if !slices.Contains(s.Reasons, ReasonJump) {
		t.Errorf("a jump in brightness: reasons %v", s.Reasons)
	}
	// A cut to a photograph taken closer: the face's size jumps.
	s, _ = run([]Challenge{ComeCloser}, frame(0), frame(200), frame(400, width(0.4)))
	if !slices.Contains(s.Reasons, ReasonJump) || s.Break != "scale" {
		t.Errorf("a jump in size: reasons %v, break %q", s.Reasons, s.Break)
	}
	// The detector's box alone jumping (it does, by a fifth, on a head
	// looking up) is no cut: the size is the landmarks'.
	s, _ = run([]Challenge{ComeCloser}, frame(0), frame(200), frame(400, func(o *Observation) { o.BoxW = 0.22 }))
	if s.Done {
		t.Errorf("the box alone jumped: reasons %v, break %q", s.Reasons, s.Break)
	}
	// The pose model's reading jumping on its own while the landmarks
	// hardly move (it reads a head turned 35° or more erratically: 7° one
	// frame, −40° the next, while the head goes from 35° to 38°) is no
	// cut; the same reading with the landmarks jumping too is.
	seen := func(head, read float64) func(*Observation) {
		return func(o *Observation) { yaw(head)(o); o.Yaw = read }
	}
	misread := []Observation{frame(0), frame(150, yaw(-12)), frame(300, yaw(-24)), frame(450, yaw(-35)),
		frame(600, seen(-35, 7)), frame(750, seen(-38, -40)), frame(900, seen(-38, -37))}
	if s, _ = run([]Challenge{LookUp}, misread...); slices.Contains(s.Reasons, ReasonJump) {
		t.Errorf("the pose model's reading jumped, the landmarks hardly: reasons %v, largest change %.2f", s.Reasons, s.MaxJump)
	}
	misread[5] = frame(750, seen(-52, -40))
	if s, _ = run([]Challenge{LookUp}, misread...); !slices.Contains(s.Reasons, ReasonJump) {
		t.Errorf("the landmarks jumped from −35° to −52°, the reading from 7° to −40°: reasons %v, largest change %.2f", s.Reasons, s.MaxJump)
	}
	// Frames far apart are not compared (a network pause).
	s, _ = run([]Challenge{TurnLeft}, frame(0), frame(200), frame(1400, luma(160)))
	if s.Done {
		t.Errorf("a pause then another brightness: reasons %v", s.Reasons)
	}
}

// lightRun plays the light challenge with the face's patches lit by gain
// (per patch: bridge, tip, left, right) times the screen's colour.
func lightRun(t *testing.T, gains [NumRegions]float64, react bool) *State {
	t.Helper()
	s := NewState(Fixed([]Challenge{Light}))
	task := s.Tasks[0]
	Defaults.Step(s, frame(0))
	start := t0.Add(100 * time.Millisecond)
	for ms := 100; ms < 100+len(task.Colors)*task.FlashMS+400; ms += 120 {
		o := frame(ms)
		o.LightStart = start
		k := (ms - 100) / task.FlashMS
		for r := 0; r < NumRegions; r++ {
			for ch := 0; ch < 3; ch++ {
				v := 120.0
				if react && k < len(task.Colors) {
					v *= 1 + gains[r]*rgb(task.Colors[k])[ch]
				}
				o.Regions[r][ch] = v
			}
		}
		Defaults.Step(s, o)
		if s.Done {
			break
		}
	}
	return s
}

func TestLight(t *testing.T) {
	if s := lightRun(t, [NumRegions]float64{0.3, 0.3, 0.15, 0.17}, true); !s.Passed {
		t.Errorf("a face lit by the screen: passed %v reasons %v (corr %.2f ratio %.2f)", s.Passed, s.Reasons, s.LightCorr, s.LightRatio)
	}
	if s := lightRun(t, [NumRegions]float64{0.3, 0.3, 0.3, 0.3}, true); s.Passed || !slices.Contains(s.Reasons, ReasonLight) {
		t.Errorf("a flat picture, evenly lit: passed %v reasons %v (ratio %.2f)", s.Passed, s.Reasons, s.LightRatio)
	}
	if s := lightRun(t, [NumRegions]float64{}, false); s.Passed || !slices.Contains(s.Reasons, ReasonTooBright) {
		t.Errorf("a screen that does not reflect the colours: passed %v reasons %v", s.Passed, s.Reasons)
	}
}

func TestSessionFailures(t *testing.T) {
	still := []Observation{}
	for i := 0; i < 80; i++ {
		still = append(still, frame(200*i))
	}
	s, _ := run([]Challenge{TurnLeft, Smile, ComeCloser}, still...)
	if !s.Done || s.Passed || !slices.Contains(s.Reasons, ReasonTimeout) {
		t.Errorf("a still photo: done %v passed %v reasons %v", s.Done, s.Passed, s.Reasons)
	}

	s, _ = run([]Challenge{TurnLeft}, frame(0), frame(200, person(0, 1)))
	if !slices.Contains(s.Reasons, ReasonFaceChanged) {
		t.Errorf("another person: reasons %v", s.Reasons)
	}

	low := append([]Observation{frame(0), frame(200)}, turn(400, -26)...)
	for i := range low {
		real(0.1)(&low[i])
	}
	// The shipped floor is 0 (docs/liveness.md: the passive model scores
	// rendered heads as low as photographs); with a floor set, low passive
	// scores fail.
	floored := Defaults
	floored.MinReal = 0.25
	s = NewState(Fixed([]Challenge{TurnLeft}))
	for _, o := range low {
		floored.Step(s, o)
	}
	if s.Passed || !slices.Contains(s.Reasons, ReasonSpoof) {
		t.Errorf("spoof scores: passed %v reasons %v", s.Passed, s.Reasons)
	}
	if s, _ = run([]Challenge{TurnLeft}, low...); !s.Passed {
		t.Errorf("spoof scores without a floor: passed %v reasons %v", s.Passed, s.Reasons)
	}
	// The passive model runs on every third frame (WantsSpoof); the
	// frames it skipped (Real −1) weigh nothing in the mean.
	var asked []bool
	sparse := NewState(Fixed([]Challenge{TurnLeft}))
	for _, o := range low {
		asked = append(asked, sparse.WantsSpoof())
		if !sparse.WantsSpoof() {
			o.Real = -1
		}
		floored.Step(sparse, o)
	}
	if want := []bool{false, true, false, false, true, false, false}; !slices.Equal(asked, want) {
		t.Errorf("spoof model asked for %v, want %v", asked, want)
	}
	if sparse.RealFrames != 2 || sparse.RealMean() != 0.1 || !slices.Contains(sparse.Reasons, ReasonSpoof) {
		t.Errorf("sparse spoof scores: %d frames, mean %v, reasons %v", sparse.RealFrames, sparse.RealMean(), sparse.Reasons)
	}

	// A slideshow sent slowly, so that no two frames are close enough to be
	// compared: a real head's photos, frontal and turned, one every 800 ms.
	// Each cut starts the movement over: the turn is never seen.
	var slow []Observation
	for i := 0; i < 30; i++ {
		o := frame(800 * i)
		if i%2 == 1 {
			o = frame(800*i, yaw(-28))
		}
		slow = append(slow, o)
	}
	s, _ = run([]Challenge{TurnLeft}, slow...)
	if s.Passed || !slices.Contains(s.Reasons, ReasonTimeout) {
		t.Errorf("a slow slideshow: passed %v reasons %v", s.Passed, s.Reasons)
	}
	// The same turn at camera speed passes (the test above fails for the
	// gaps, not for the turn).
	if s, _ = run([]Challenge{TurnLeft}, append([]Observation{frame(0), frame(150)}, turn(300, -28)...)...); !s.Passed {
		t.Errorf("the turn at camera speed: reasons %v", s.Reasons)
	}

	// Ten seconds of frames arriving within one second: a replayed recording.
	burst := []Observation{frame(0, received(0))}
	for i := 1; i < 50; i++ {
		burst = append(burst, frame(200*i, received(20*i)))
	}
	s, _ = run([]Challenge{TurnLeft}, burst...)
	if !slices.Contains(s.Reasons, ReasonFrameTiming) {
		t.Errorf("a burst: reasons %v", s.Reasons)
	}
	s, _ = run([]Challenge{TurnLeft}, frame(0), frame(10))
	if !slices.Contains(s.Reasons, ReasonFrameTiming) {
		t.Errorf("frames 10 ms apart: reasons %v", s.Reasons)
	}
	s, _ = run([]Challenge{TurnLeft}, frame(500), frame(200))
	if !slices.Contains(s.Reasons, ReasonFrameTiming) {
		t.Errorf("frames out of order: reasons %v", s.Reasons)
	}
}

func TestGuidance(t *testing.T) {
	tests := []struct {
		o    Observation
		want string
	}{
		{frame(0, faces(0)), GuideNoFace},
		{frame(0, faces(2)), GuideMultipleFaces},
		{frame(0, width(0.05)), GuideMoveCloser},
		{frame(0, func(o *Observation) { o.CX = 0.95 }), GuideCenterFace},
		{frame(0, yaw(30)), GuideLookStraight},
		{frame(0), string(TurnLeft)},
	}
	for _, tt := range tests {
		s := NewState(Fixed([]Challenge{TurnLeft}))
		if fb := Defaults.Step(s, tt.o); fb.Guidance != tt.want {
			t.Errorf("Step(%+v) guidance = %q, want %q", tt.o, fb.Guidance, tt.want)
		}
	}
}

func TestDraw(t *testing.T) {
	seen := map[Challenge]int{}
	targets := map[float64]bool{}
	for i := 0; i < 300; i++ {
		var seed [32]byte
		seed[0], seed[1] = byte(i), byte(i>>8)
		ts, err := Draw(rand.NewChaCha8(seed), 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 4 || ts[3].Type != Light || len(ts[3].Colors) != 6 || !everyChannelVaries(ts[3].Colors) {
			t.Fatalf("Draw() = %+v: want 3 movements and the light", ts)
		}
		turns := 0
		for j, c := range ts[:3] {
			seen[c.Type]++
			targets[c.Target] = true
			if isTurn(c.Type) {
				turns++
			}
			if j > 0 && (c.Type == ts[j-1].Type || isTurn(c.Type) && isTurn(ts[j-1].Type)) {
				t.Fatalf("Draw() = %+v: repeats", ts)
			}
		}
		if turns == 0 {
			t.Fatalf("Draw() = %+v: no turn", ts)
		}
	}
	for _, c := range Drawn {
		if seen[c] == 0 {
			t.Errorf("%s never drawn", c)
		}
	}
	if len(targets) < 10 {
		t.Errorf("only %d different targets in 300 draws", len(targets))
	}
}

// texture is a w×h grey picture of smooth random blobs (something to
// follow), shifted by (dx, dy) px.
func texture(seed uint64, w, h, dx, dy int) *raster.Gray {
	r := rand.New(rand.NewPCG(seed, 1))
	const cell = 6
	cw, ch := w/cell+4, h/cell+4
	grid := make([]float64, cw*ch)
	for i := range grid {
		grid[i] = 40 + 180*r.Float64()
	}
	g := &raster.Gray{W: w, H: h, Pix: make([]uint8, w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x-dx)/cell+1, float64(y-dy)/cell+1
			ix, iy := int(fx), int(fy)
			tx, ty := fx-float64(ix), fy-float64(iy)
			at := func(i, j int) float64 { return grid[max(0, min(ch-1, j))*cw+max(0, min(cw-1, i))] }
			v := (1-ty)*((1-tx)*at(ix, iy)+tx*at(ix+1, iy)) + ty*((1-tx)*at(ix, iy+1)+tx*at(ix+1, iy+1))
			g.Pix[y*w+x] = uint8(v)
		}
	}
	return g
}

// TestProfileTrack: the profile's points are followed by their pixels;
// a frame where they cannot be found loses them and the movement starts
// again; the bend is the tip's move off the nasion–mouth line.
// withGray gives a frame its picture, and moves its landmarks dx px right.
func withGray(g *raster.Gray, dx float64) func(*Observation) {
	return func(o *Observation) {
		o.Gray = g
		for i := range o.Landmarks {
			o.Landmarks[i][0] += dx / float64(g.W)
		}
	}
}

func TestProfileTrack(t *testing.T) {
	const w, h = 320, 240
	base := frame(200, withGray(texture(1, w, h, 0, 0), 0))
	tr, _ := startTrack(base)
	if tr == nil {
		t.Fatal("no track")
	}
	// The picture moved 3 px right and 2 up; the landmarks say 1 px right.
	moved := frame(400, withGray(texture(1, w, h, 3, -2), 1))
	if !tr.follow(moved) {
		t.Fatal("lost a picture that only moved")
	}
	for i := range tr.Pos {
		if dx, dy := tr.Pos[i][0]-tr.Base[i][0], tr.Pos[i][1]-tr.Base[i][1]; math.Abs(dx-3) > 0.5 || math.Abs(dy+2) > 0.5 {
			t.Errorf("point %d moved (%.2f, %.2f), want (3, -2)", i, dx, dy)
		}
	}
	if b := tr.bend(sideways, 25); math.Abs(b) > 0.05 {
		t.Errorf("everything moved alike: bend %.2f, want 0", b)
	}
	// The tip alone moved 6 px right of the line, at a 25° turn: 6 px
	// over sin 25° and the eye distance.
	tr.Pos[trTip][0] += 6
	want := 6 / (math.Sin(25*math.Pi/180) * tr.IOD)
	if b := tr.bend(sideways, 25); math.Abs(b-want) > 0.02 {
		t.Errorf("tip moved off the line: bend %.2f, want %.2f", b, want)
	}
	if b := tr.bend(sideways, -25); math.Abs(b+want) > 0.02 {
		t.Errorf("the other way: bend %.2f, want %.2f", b, -want)
	}

	// A movement's bend is read where the face engine saw it turned
	// furthest: a pixel of noise over the sine of a small angle is a large
	// bend.
	if b, ok := mostTurned([]Bend{{0.30, 11}, {0.20, 14}, {0.04, 27}, {0.06, 30}, {0.05, 25}}); !ok || b != 0.05 {
		t.Errorf("mostTurned = %v, %v; want 0.05 (the median of the frames at 24° and more)", b, ok)
	}
	if _, ok := mostTurned(nil); ok {
		t.Error("mostTurned of nothing is no measure")
	}

	// In a session: a frame where the points cannot be found (here a
	// blank one: a covered camera, a blurred swing) loses them; the turn
	// starts again from a frontal face.
	g := texture(1, w, h, 0, 0)
	blank := &raster.Gray{W: w, H: h, Pix: make([]uint8, w*h)}
	s, fbs := run([]Challenge{TurnLeft}, frame(0, withGray(g, 0)), frame(200, withGray(g, 0)),
		frame(350, yaw(-4), withGray(g, 0)), frame(500, yaw(-8), withGray(blank, 0)))
	if s.Neutral || s.Track != nil || fbs[3].Guidance != GuideLookStraight || s.Done {
		t.Errorf("after a cut: neutral %v, track %v, guidance %q, done %v", s.Neutral, s.Track != nil, fbs[3].Guidance, s.Done)
	}
	// Lost four fifths of the way into the turn (20° asked): what was
	// seen stands and the turn goes on. The picture here never moved
	// while the landmarks turned: its profile did not bend, so the turn is
	// flat.
	s, fbs = run([]Challenge{TurnLeft}, frame(0, withGray(g, 0)), frame(200, withGray(g, 0)),
		frame(350, yaw(-8), withGray(g, 0)), frame(500, yaw(-17), withGray(g, 0)), frame(650, yaw(-18), withGray(blank, 0)))
	if !s.Neutral || s.Track == nil || !s.Track.Lost || len(s.Bends) != 1 || fbs[4].Guidance != string(TurnLeft) {
		t.Fatalf("lost late: neutral %v, track %+v, bends %v, guidance %q", s.Neutral, s.Track != nil, s.Bends, fbs[4].Guidance)
	}
	// The state is sealed between requests: the track survives it.
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var again State
	if err := json.Unmarshal(data, &again); err != nil || again.Track == nil || !again.Track.Lost || !bytes.Equal(again.Track.Patch[trTip], s.Track.Patch[trTip]) ||
		again.Track.Pos != s.Track.Pos || again.Track.Scale != s.Track.Scale {
		t.Fatalf("the track after JSON: %+v, %v", again.Track, err)
	}
	// Its landmarks' depth passes and its profile alone is flat: the
	// turn is asked for once more (ProfileRetries), from a frontal face
	// and with its own time; flat again, the session fails.
	var twice State // the same state, its own copy
	if err := json.Unmarshal(data, &twice); err != nil {
		t.Fatal(err)
	}
	fb := Defaults.Step(&again, frame(800, yaw(-22), withGray(blank, 0)))
	if again.Done || again.Retried != 1 || again.Neutral || fb.Guidance != GuideLookStraight || !again.AskedAt.Equal(t0.Add(800*time.Millisecond)) ||
		again.BentTurns != 1 || math.Abs(again.Bend) > 0.05 || again.Turns != 1 || again.NoseDepth < Defaults.MinNoseDepth {
		t.Errorf("a still picture under turning landmarks, first time: done %v, retried %d, guidance %q, bend %.2f over %d, nose depth %.2f",
			again.Done, again.Retried, fb.Guidance, again.Bend, again.BentTurns, again.NoseDepth)
	}
	twice.Retried = Defaults.ProfileRetries
	Defaults.Step(&twice, frame(800, yaw(-22), withGray(blank, 0)))
	if !slices.Contains(twice.Reasons, ReasonFlat) || !twice.Done {
		t.Errorf("a still picture under turning landmarks, again: reasons %v", twice.Reasons)
	}
	// A turn whose landmarks read flat is not asked for again.
	s, _ = run([]Challenge{TurnLeft}, frame(0, withGray(g, 0)), frame(200, withGray(g, 0)), frame(350, flatYaw(-12), withGray(g, 0)),
		frame(500, flatYaw(-18), withGray(g, 0)), frame(650, flatYaw(-26), withGray(g, 0)))
	if !slices.Contains(s.Reasons, ReasonFlat) || s.Retried != 0 {
		t.Errorf("flat landmarks: reasons %v, retried %d", s.Reasons, s.Retried)
	}
	// A frame whose profile cannot be followed is no start for a
	// movement: a face too small for its pixels to say anything, a
	// patch across the frame's edge.
	small := &raster.Gray{W: 200, H: 150, Pix: texture(1, 200, 150, 0, 0).Pix}
	s, fbs = run([]Challenge{TurnLeft}, frame(0, withGray(small, 0)), frame(200, withGray(small, 0)))
	if s.Neutral || fbs[1].Guidance != GuideMoveCloser {
		t.Errorf("eyes 20 px apart: neutral %v, guidance %q", s.Neutral, fbs[1].Guidance)
	}
	cut := &raster.Gray{W: w, H: 140, Pix: texture(1, w, 140, 0, 0).Pix} // the mouth is at y 153
	s, fbs = run([]Challenge{TurnLeft}, frame(0, withGray(cut, 0)), frame(200, withGray(cut, 0)))
	if s.Neutral || fbs[1].Guidance != GuideCenterFace {
		t.Errorf("the mouth off the frame: neutral %v, guidance %q", s.Neutral, fbs[1].Guidance)
	}
	// A patch smeared along the rows fits all along them: nothing was
	// found, rather than a point sliding wherever the search breaks the
	// tie.
	smeared := texture(1, w, h, 0, 0)
	for y := 0; y < h; y++ {
		for x := 1; x < w; x++ {
			smeared.Pix[y*w+x] = smeared.Pix[y*w]
		}
	}
	tr, _ = startTrack(frame(200, withGray(smeared, 0)))
	if tr == nil || tr.follow(frame(400, withGray(smeared, 0))) {
		t.Errorf("followed a smeared picture to %v", tr.Pos)
	}
	// Frames without pictures (none of this package's other tests has
	// them) are not followed.
	s, _ = run([]Challenge{TurnLeft}, frame(0), frame(200))
	if !s.Neutral || s.Track != nil {
		t.Errorf("no pictures: neutral %v, track %v", s.Neutral, s.Track != nil)
	}
}

// TestProfileTrackSmoothSkin: real skin between the eyes is often too
// smooth to be found in one place (every real clip of the tune split lost
// its profile at the first frame of a turn before this rule). The nasion
// is then placed where the landmarks moved it; the tip, which the check is
// about, is followed by its pixels or lost.
func TestProfileTrackSmoothSkin(t *testing.T) {
	const w, h = 320, 240
	with := withGray
	tr, _ := startTrack(frame(200, with(texture(1, w, h, 0, 0), 0)))
	if tr == nil {
		t.Fatal("no track")
	}
	// Smear the columns of rows y0+from to y0+to around point p (in a
	// picture moved by dy): its patch fits all along them, up and down.
	smooth := func(g *raster.Gray, p, from, to, dy int) *raster.Gray {
		y0 := int(math.Round(tr.Base[p][1])) + dy
		for y := y0 + from + 1; y <= y0+to; y++ {
			copy(g.Pix[y*w:(y+1)*w], g.Pix[(y0+from)*w:(y0+from+1)*w])
		}
		return g
	}
	// Between the eyes, down to halfway to the tip; the tip, up to halfway
	// to the nasion.
	mid := int(math.Round(tr.Base[trTip][1]-tr.Base[trNasion][1])) / 2
	nasion := func(g *raster.Gray, dy int) *raster.Gray { return smooth(g, trNasion, -3*tr.Half, mid, dy) }
	tip := func(g *raster.Gray, dy int) *raster.Gray { return smooth(g, trTip, -mid, 3*tr.Half, dy) }
	tr, _ = startTrack(frame(200, with(nasion(texture(1, w, h, 0, 0), 0), 0)))
	if tr == nil {
		t.Fatal("no track on smooth skin")
	}
	// The picture moved 3 px right and 2 up; the landmarks say 1 px right.
	if !tr.follow(frame(400, with(nasion(texture(1, w, h, 3, -2), -2), 1))) {
		t.Fatal("lost the profile on smooth skin between the eyes")
	}
	if dx, dy := tr.Pos[trNasion][0]-tr.Base[trNasion][0], tr.Pos[trNasion][1]-tr.Base[trNasion][1]; math.Abs(dx-1) > 0.01 || math.Abs(dy) > 0.01 {
		t.Errorf("the smooth nasion moved (%.2f, %.2f), want the landmarks' (1, 0)", dx, dy)
	}
	if dx, dy := tr.Pos[trTip][0]-tr.Base[trTip][0], tr.Pos[trTip][1]-tr.Base[trTip][1]; math.Abs(dx-3) > 0.5 || math.Abs(dy+2) > 0.5 {
		t.Errorf("the tip moved (%.2f, %.2f), want its pixels' (3, −2)", dx, dy)
	}
	// A smooth tip is lost: the landmarks do not stand in for it.
	tr, _ = startTrack(frame(200, with(tip(texture(1, w, h, 0, 0), 0), 0)))
	if tr == nil || tr.follow(frame(400, with(tip(texture(1, w, h, 3, -2), -2), 1))) {
		t.Errorf("followed a smooth tip to %v", tr.Pos)
	}
}

// TestStillStart: a face the pose model reads 10–15° turned, or a phone
// held low (pitch −12 to −18°), starts a movement when it holds still
// (a real one's reading wanders by a degree or two, and the gate opens on
// a frame where it does not shrink); a head on its way back from the last
// movement through the same angles, fast or slowly, does not, and it is
// no reference for the face match either.
func TestStillStart(t *testing.T) {
	for _, tt := range []struct {
		name  string
		pose  []func(*Observation)
		start bool
	}{
		{"read 13° turned, still", []func(*Observation){yaw(13), yaw(13.5)}, true},
		{"phone held low, still", []func(*Observation){pitch(-15), pitch(-15.8)}, true},
		{"on its way back", []func(*Observation){yaw(19), yaw(13)}, false},
		{"slowly on its way back", []func(*Observation){yaw(14), yaw(12.5)}, false},
		{"read 17° turned, still", []func(*Observation){yaw(17), yaw(17)}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, fbs := run([]Challenge{TurnLeft}, frame(0, tt.pose[0]), frame(150, tt.pose[1]))
			if s.Neutral != tt.start || (fbs[1].Guidance == string(TurnLeft)) != tt.start {
				t.Errorf("neutral %v, guidance %q; want a start: %v", s.Neutral, fbs[1].Guidance, tt.start)
			}
			if fbs[1].Frontal || s.Reference != nil {
				t.Errorf("a reference from a face read turned: frontal %v", fbs[1].Frontal)
			}
		})
	}
	// From a still face read 13° turned, the turn is measured from there.
	frames := append([]Observation{frame(0, yaw(13)), frame(150, yaw(13)), frame(300, yaw(0))}, turn(450, -14)...)
	frames = append(frames, frame(1200, yaw(-16)))
	s, _ := run([]Challenge{TurnLeft}, frames...)
	if !s.Done || !s.Passed {
		t.Errorf("a 29° turn from a still face read 13° turned: done %v, passed %v, reasons %v", s.Done, s.Passed, s.Reasons)
	}
}

// TestComeCloserFromNarrowest: a head still raised from a look-up reads
// wider than level (the browser test's person at ten frames a second:
// 0.283 against 0.262); an approach is measured from the narrowest
// reading since its start, so taking the start there does not leave it
// short of the target.
func TestComeCloserFromNarrowest(t *testing.T) {
	frames := []Observation{frame(0, width(0.33)), frame(150, width(0.30)), frame(300, width(0.35)), frame(450, width(0.40))}
	s, _ := run([]Challenge{ComeCloser}, frames...)
	if !s.Done || !s.Passed {
		t.Errorf("1.33 times the narrowest, 1.21 times the start: done %v passed %v reasons %v", s.Done, s.Passed, s.Reasons)
	}
	// Never narrower than the start: measured from it, as before.
	s, _ = run([]Challenge{ComeCloser}, frame(0, width(0.33)), frame(150, width(0.35)), frame(300, width(0.40)))
	if s.Done {
		t.Errorf("1.21 times the start met a 1.3 approach: reasons %v", s.Reasons)
	}
	// A glitch of the box gains at most a tenth; a face tilted away (read
	// raised) is not frontal and gains nothing.
	glitch := func(o *Observation) { o.BoxW = 0.2 }
	tilted := func(o *Observation) { o.BoxW, o.Pitch = 0.25, 25 }
	for name, narrow := range map[string]func(*Observation){"box glitch": glitch, "tilted away": tilted} {
		s, _ = run([]Challenge{ComeCloser}, frame(0, width(0.33)), frame(150, width(0.33), narrow), frame(300, width(0.36)), frame(450, width(0.38)))
		if s.Done {
			t.Errorf("%s, then 1.15 times the start: met a 1.3 approach, reasons %v", name, s.Reasons)
		}
	}
}

// TestOverReadDepth: a turn the pose model reads 1.6 times as far as it
// goes measures about the depth of the same turn read right (the depth is
// divided by the smaller angle), where dividing by the pose model's angle
// measured a third less.
func TestOverReadDepth(t *testing.T) {
	start := []Observation{frame(0), frame(150)}
	right, _ := run([]Challenge{TurnLeft}, append(start, turn(300, -26)...)...)
	over, _ := run([]Challenge{TurnLeft}, append(start, turn(300, -26, overRead(1.6))...)...)
	if !right.Passed || !over.Passed || over.NoseDepth < 0.85*right.NoseDepth {
		t.Errorf("nose depth read right %.2f (passed %v), read 1.6 times as far %.2f (passed %v)", right.NoseDepth, right.Passed, over.NoseDepth, over.Passed)
	}
}

// TestSlowDown: a turn that changes the face between two frames by more
// than SlowJump of the continuity limit is told to slow down (guidance
// only); a slower one hears the challenge, and one past the limit is a cut.
func TestSlowDown(t *testing.T) {
	start := []Observation{frame(0), frame(150)}
	jumpOf := func(deg float64) float64 {
		a, b := project(-1, 0, 0.1, false), project(-1-deg, 0, 0.1, false)
		return shapeChange(&a, &b) + math.Min(deg/Defaults.PoseScale, Defaults.PoseCredit*shapeChange(&a, &b))
	}
	limit, slow := Defaults.ShapeJump, Defaults.SlowJump*Defaults.ShapeJump
	var brisk, easy float64
	for d := 1.0; d < 40; d += 0.5 {
		switch j := jumpOf(d); {
		case j < 0.8*slow:
			easy = d
		case j > 1.05*slow && j < 0.95*limit && brisk == 0:
			brisk = d
		}
	}
	if brisk == 0 || easy == 0 || brisk >= 19 {
		t.Fatalf("no step between %.3f and %.3f (or under it)", slow, limit)
	}
	for _, tt := range []struct {
		step float64
		want string
	}{{easy, string(TurnLeft)}, {brisk, GuideSlowDown}} {
		// Short of the 20° the fixed turn asks for: not met yet.
		s, fbs := run([]Challenge{TurnLeft}, append(start, frame(300, yaw(-1)), frame(450, yaw(-1-tt.step)))...)
		if got := fbs[3].Guidance; got != tt.want || s.Done {
			t.Errorf("a step of %.1f° (change %.3f): guidance %q, want %q (done %v %v)", tt.step, jumpOf(tt.step), got, tt.want, s.Done, s.Reasons)
		}
	}
}

// TestBroadInflated: a script that sends one frontal frame stretched
// sideways by a tenth (a larger eyes'-distance-to-height proportion than
// the face's), then waits past MaxGap so that nothing compares it, and
// turns from a still start read 12° turned, measures the same depth as
// without it: from a still start the foreshortening only gates the turn,
// and the depth is divided by the pose model's angle (divided by the
// foreshortening's, it read 0.82 against 0.53).
func TestBroadInflated(t *testing.T) {
	stretch := func(o *Observation) {
		for i := range o.Landmarks {
			o.Landmarks[i][0] = 0.5 + 1.1*(o.Landmarks[i][0]-0.5)
		}
	}
	turning := func(first Observation, at int) *State {
		frames := []Observation{first, frame(at, yaw(12)), frame(at+150, yaw(12))}
		for k := 1; k <= 5; k++ {
			frames = append(frames, frame(at+150+150*k, yaw(12+26*float64(k)/5)))
		}
		s, _ := run([]Challenge{TurnRight}, frames...)
		return s
	}
	plain, stretched := turning(frame(0), 600), turning(frame(0, stretch), 600)
	if !plain.Passed || math.Abs(stretched.NoseDepth-plain.NoseDepth) > 0.05*plain.NoseDepth {
		t.Errorf("nose depth %.3f (passed %v), after a stretched frontal frame %.3f (passed %v, reasons %v)",
			plain.NoseDepth, plain.Passed, stretched.NoseDepth, stretched.Passed, stretched.Reasons)
	}
}
