package liveness

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// frame is a neutral, frontal observation at ms milliseconds, received in
// real time; options change it.
func frame(ms int, opts ...func(*Observation)) Observation {
	at := t0.Add(time.Duration(ms) * time.Millisecond)
	o := Observation{ClientAt: at, ReceivedAt: at, Faces: 1, BoxW: 0.3, CX: 0.5, CY: 0.5, EyesOpen: 0.95,
		MouthWidth: 0.8, Happy: -1, Real: 0.9, Embedding: []float32{1, 0}}
	for _, f := range opts {
		f(&o)
	}
	return o
}

func yaw(d float64) func(*Observation)   { return func(o *Observation) { o.Yaw = d } }
func pitch(d float64) func(*Observation) { return func(o *Observation) { o.Pitch = d } }
func eyes(p float64) func(*Observation)  { return func(o *Observation) { o.EyesOpen = p } }
func width(w float64) func(*Observation) { return func(o *Observation) { o.BoxW = w } }
func real(p float64) func(*Observation)  { return func(o *Observation) { o.Real = p } }
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

func run(challenges []Challenge, frames ...Observation) (*State, []Feedback) {
	s := NewState(challenges)
	var fbs []Feedback
	for _, f := range frames {
		fbs = append(fbs, Defaults.Step(s, f))
	}
	return s, fbs
}

func TestChallengesPass(t *testing.T) {
	tests := []struct {
		name   string
		c      Challenge
		action []Observation
	}{
		{"turn left", TurnLeft, []Observation{frame(400, yaw(-10)), frame(600, yaw(-22))}},
		{"turn right", TurnRight, []Observation{frame(400, yaw(12)), frame(600, yaw(25))}},
		{"look up", LookUp, []Observation{frame(400, pitch(8)), frame(600, pitch(16))}},
		{"blink", Blink, []Observation{frame(400, eyes(0.1)), frame(600, eyes(0.05)), frame(800, eyes(0.9))}},
		{"smile", Smile, []Observation{frame(400, smile(0.85, 0.5)), frame(600, smile(0.95, 0.97))}},
		{"come closer", ComeCloser, []Observation{frame(400, width(0.35)), frame(600, width(0.45))}},
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

func TestChallengesRefuse(t *testing.T) {
	tests := []struct {
		name   string
		c      Challenge
		action []Observation
	}{
		{"turn left the wrong way", TurnLeft, []Observation{frame(400, yaw(25))}},
		{"too small a turn", TurnRight, []Observation{frame(400, yaw(12))}},
		{"slow blink", Blink, []Observation{frame(400, eyes(0.1)), frame(2400, eyes(0.9))}},
		{"closed eyes never open", Blink, []Observation{frame(400, eyes(0.1)), frame(600, eyes(0.5))}},
		{"happy face, mouth unchanged", Smile, []Observation{frame(400, smile(0.8, 0.99))}},
		{"wide mouth, not happy (surprise)", Smile, []Observation{frame(400, smile(1.0, 0.2))}},
		{"small approach", ComeCloser, []Observation{frame(400, width(0.33))}},
		{"turning is not looking up", LookUp, []Observation{frame(400, yaw(25), pitch(15))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames := append([]Observation{frame(0), frame(200)}, tt.action...)
			s, _ := run([]Challenge{tt.c}, frames...)
			if s.Passed || s.Index != 0 {
				t.Errorf("%s: passed %v index %d", tt.name, s.Passed, s.Index)
			}
		})
	}
}

func TestSequence(t *testing.T) {
	seq := []Challenge{TurnLeft, Blink, TurnRight}
	frames := []Observation{
		frame(0), frame(150, yaw(-25)), // left
		frame(300), frame(450, eyes(0.1)), frame(600), // back to neutral, blink
		frame(750), frame(900, yaw(24)), // right
	}
	s, fbs := run(seq, frames...)
	if !s.Passed {
		t.Fatalf("the right order: passed %v, reasons %v, index %d", s.Passed, s.Reasons, s.Index)
	}
	if last := fbs[len(fbs)-1]; last.Guidance != GuideDone || !last.Met {
		t.Errorf("last feedback %+v", last)
	}
	// The same movements in the wrong order do not pass.
	s, _ = run([]Challenge{TurnRight, Blink, TurnLeft}, frames...)
	if s.Passed || s.Index == len(seq) {
		t.Errorf("the wrong order passed (index %d)", s.Index)
	}
	// A turn must start from a neutral face: one held turn cannot serve
	// two challenges.
	s, _ = run([]Challenge{TurnLeft, ComeCloser}, frame(0), frame(150, yaw(-25)), frame(300, yaw(-25), width(0.5)))
	if s.Index != 1 {
		t.Errorf("index %d after a held turn, want 1 (the approach needs a neutral frame first)", s.Index)
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

	s, _ = run([]Challenge{TurnLeft}, frame(0, real(0.1)), frame(200, real(0.05)), frame(400, yaw(-25), real(0.1)))
	if s.Passed || !slices.Contains(s.Reasons, ReasonSpoof) {
		t.Errorf("spoof scores: passed %v reasons %v", s.Passed, s.Reasons)
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
		s := NewState([]Challenge{TurnLeft})
		if fb := Defaults.Step(s, tt.o); fb.Guidance != tt.want {
			t.Errorf("Step(%+v) guidance = %q, want %q", tt.o, fb.Guidance, tt.want)
		}
	}
}

func TestDraw(t *testing.T) {
	seen := map[Challenge]int{}
	for i := 0; i < 300; i++ {
		var seed [32]byte
		seed[0], seed[1] = byte(i), byte(i>>8)
		cs, err := Draw(rand.NewChaCha8(seed), 3)
		if err != nil {
			t.Fatal(err)
		}
		for j, c := range cs {
			seen[c]++
			if j > 0 && (c == cs[j-1] || isTurn(c) && isTurn(cs[j-1])) {
				t.Fatalf("Draw() = %v: repeats", cs)
			}
		}
	}
	for _, c := range All {
		if seen[c] == 0 {
			t.Errorf("%s never drawn", c)
		}
	}
}
