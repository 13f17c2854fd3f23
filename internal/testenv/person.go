package testenv

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/headgen"
	"github.com/kycd/kycd/internal/liveness"
)

// Person is someone in front of the camera for the liveness tests: a head
// rendered in 3-D from FrontalPhoto (headgen.Solid: a person) or the same
// photograph as a print (headgen.Flat: an attacker), doing what each
// challenge asks and lit by the light challenge's colours.
type Person struct {
	a *headgen.Actor
}

// NewPerson makes a person of shape; seed varies its sway and the camera's
// noise.
func NewPerson(t testing.TB, e *face.Engine, shape headgen.Shape, seed uint64) *Person {
	t.Helper()
	sway := 1.0
	if shape != headgen.Solid {
		sway = 0.5
	}
	return &Person{a: &headgen.Actor{Head: Head(t, e, FrontalPhoto, shape), Sway: sway, Lit: true,
		Rand: rand.New(rand.NewPCG(seed, 7))}}
}

// Head builds a head of shape from a test photograph in faces/face_recognition.
func Head(t testing.TB, e *face.Engine, photo string, shape headgen.Shape) *headgen.Head {
	t.Helper()
	img := Photo(t, photo)
	fs, err := e.Detect(t.Context(), img, 0)
	if err != nil || len(fs) == 0 {
		t.Fatalf("no face in %s: %v", photo, err)
	}
	return headgen.Build(img, face.Largest(fs).Landmarks, shape)
}

// Frame is the camera's 640×480 JPEG at now while the session asks for
// task (the zero Task before the session began), and, during the light
// challenge, when the page began showing its colours.
func (p *Person) Frame(task liveness.Task, now time.Time) (jpeg []byte, lightStart time.Time) {
	lightStart = p.a.Ask(string(task.Type), task.Target, task.Colors, task.FlashMS, now)
	if task.Type != liveness.Light {
		lightStart = time.Time{}
	}
	return p.a.Frame(now, 640, 480), lightStart
}

// TurnFurther makes the person (an attacker with a picture) turn and look
// up k times as far as asked.
func (p *Person) TurnFurther(k float64) { p.a.Over = k }

// Heard lets the person follow the session's advice to look straight at
// the camera.
func (p *Person) Heard(pr liveness.Progress, now time.Time) {
	if pr.Guidance == liveness.GuideLookStraight && pr.Face != nil {
		p.a.Straighten(pr.Face.Yaw, pr.Face.Pitch, now)
	}
}

// Choreography renders a person meeting a fixed sequence of challenges at
// fps frames a second without hearing the server: what a recorded camera
// (Chromium's fake camera) plays. Each challenge gets hold of time, and
// before each, and at the end, the person faces the camera for a second:
// the server takes each movement's neutral frame there, and the recording
// loops without a jump.
func (p *Person) Choreography(tasks []liveness.Task, fps int, hold time.Duration) [][]byte {
	var out [][]byte
	now := time.Unix(1_700_000_000, 0)
	step := time.Second / time.Duration(fps)
	var phases []liveness.Task
	for _, t := range tasks {
		phases = append(phases, liveness.Task{}, t)
	}
	for _, t := range append(phases, liveness.Task{}) {
		d := hold
		if t.Type == "" {
			d = time.Second
		}
		for end := now.Add(d); now.Before(end); now = now.Add(step) {
			jpg, _ := p.Frame(t, now)
			out = append(out, jpg)
		}
	}
	return out
}
