// Package liveness decides whether the person in front of a camera is live
// and present. A session asks for a randomised sequence of head movements,
// revealed one at a time with random targets, then lights the face with a
// random sequence of screen colours. It passes when every challenge is met
// in order, the head moved as a solid does (a picture moved, tilted or bent
// shows no parallax), the frames are continuous, the same face is there
// throughout, the screen's light falls on it in time and as on a 3-D
// surface, and the passive anti-spoofing model agrees. The checker is pure
// logic over per-frame observations; the service feeds it from the face
// engine.
package liveness

import (
	"encoding/binary"
	"fmt"
	"io"
	"slices"
)

// Challenge is one kind of thing the person is asked to do.
type Challenge string

// The challenges. Blink and smile are kept for fixed orders (dev mode) but
// not drawn: a person rendered from one photograph cannot do them, so their
// false rejections cannot be measured, and they add nothing against the
// attacks the movements and the light stop.
const (
	TurnLeft   Challenge = "turn_left"
	TurnRight  Challenge = "turn_right"
	LookUp     Challenge = "look_up"
	Blink      Challenge = "blink"
	Smile      Challenge = "smile"
	ComeCloser Challenge = "come_closer"
	Light      Challenge = "light"
)

// All lists every challenge; Drawn those a random session draws from
// (Light always comes last).
var (
	All   = []Challenge{TurnLeft, TurnRight, LookUp, Blink, Smile, ComeCloser, Light}
	Drawn = []Challenge{TurnLeft, TurnRight, LookUp, ComeCloser}
)

// Instruction is what the person is told for a challenge.
func (c Challenge) Instruction() string {
	switch c {
	case TurnLeft:
		return "Turn your head slowly to your left"
	case TurnRight:
		return "Turn your head slowly to your right"
	case LookUp:
		return "Tilt your head up"
	case Blink:
		return "Blink"
	case Smile:
		return "Smile"
	case ComeCloser:
		return "Move closer to the camera"
	case Light:
		return "Hold still while the screen changes colour"
	}
	return string(c)
}

// Valid reports whether c is a known challenge.
func (c Challenge) Valid() bool { return slices.Contains(All, c) }

func isTurn(c Challenge) bool { return c == TurnLeft || c == TurnRight }

// Task is one challenge as a session asks for it: what to do and how much.
// Only the current task of a session is revealed.
type Task struct {
	Type Challenge `json:"type"`
	// Target: turns and look-up, the degrees to reach; come closer, how
	// much wider the face must get.
	Target float64 `json:"target,omitempty"`
	// Light: the screen colours to show, in order, as #rrggbb, each for
	// FlashMS milliseconds.
	Colors  []string `json:"colors,omitempty"`
	FlashMS int      `json:"flash_ms,omitempty"`
}

// Palette is the light challenge's colours: every channel on and off, so
// the reflection of each can be measured.
var Palette = []string{"#ff0000", "#00ff00", "#0000ff", "#ffff00", "#00ffff", "#ff00ff", "#000000", "#ffffff"}

// FlashMS is how long each colour of the light challenge stays on screen.
const FlashMS = 400

// rgb is a palette colour's channels, 0 or 1.
func rgb(hex string) [3]float64 {
	var out [3]float64
	for c := 0; c < 3; c++ {
		if len(hex) == 7 && hex[1+2*c] != '0' {
			out[c] = 1
		}
	}
	return out
}

// Fixed makes tasks from a list of challenges (dev mode's fixed order) with
// middle targets; "light" gets a fixed colour sequence.
func Fixed(cs []Challenge) []Task {
	var out []Task
	for _, c := range cs {
		t := Task{Type: c}
		switch c {
		case TurnLeft, TurnRight:
			t.Target = 20
		case LookUp:
			t.Target = 12
		case ComeCloser:
			t.Target = 1.3
		case Light:
			t.Colors, t.FlashMS = []string{"#ff0000", "#000000", "#00ff00", "#ffffff", "#0000ff", "#ffff00"}, FlashMS
		}
		out = append(out, t)
	}
	return out
}

// Draw picks n head movements with r (crypto/rand in production, a fixed
// stream in tests), then the light challenge: never the same movement
// twice in a row, never both turns back to back (one head movement must
// not serve two), at least one turn and one look-up (each shows depth
// along one axis, and a print bends around one axis at a time), each with a
// random target; the light's colours random, each channel both on
// and off, no colour twice in a row.
func Draw(r io.Reader, n int) ([]Task, error) {
	pick := func(k int) (int, error) {
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, fmt.Errorf("draw challenges: %w", err)
		}
		return int(binary.BigEndian.Uint64(b[:]) % uint64(k)), nil
	}
	var out []Task
	for len(out) < n {
		i, err := pick(len(Drawn))
		if err != nil {
			return nil, err
		}
		c := Drawn[i]
		if len(out) > 0 {
			prev := out[len(out)-1].Type
			if c == prev || isTurn(c) && isTurn(prev) {
				continue
			}
		}
		// The last places go to a turn and a look-up if none was drawn yet.
		hasTurn := slices.ContainsFunc(out, func(t Task) bool { return isTurn(t.Type) }) || isTurn(c)
		hasUp := slices.ContainsFunc(out, func(t Task) bool { return t.Type == LookUp }) || c == LookUp
		if missing := b2i(!hasTurn) + b2i(!hasUp); n >= 2 && missing > n-1-len(out) {
			continue
		}
		step, err := pick(TargetSteps)
		if err != nil {
			return nil, err
		}
		out = append(out, Task{Type: c, Target: Target(c, step)})
	}
	light := Task{Type: Light, FlashMS: FlashMS}
	for {
		light.Colors = light.Colors[:0]
		for len(light.Colors) < 6 {
			i, err := pick(len(Palette))
			if err != nil {
				return nil, err
			}
			if k := len(light.Colors); k > 0 && light.Colors[k-1] == Palette[i] {
				continue
			}
			light.Colors = append(light.Colors, Palette[i])
		}
		if everyChannelVaries(light.Colors) {
			break
		}
	}
	return append(out, light), nil
}

// TargetSteps is how many targets a movement is drawn from.
const TargetSteps = 11

// Target is a drawn movement's target at step (0 to TargetSteps−1): a
// turn's 20–30°, a look-up's 12–18°, coming 1.25–1.45 times closer.
func Target(c Challenge, step int) float64 {
	switch c {
	case TurnLeft, TurnRight:
		return 20 + float64(step)
	case LookUp:
		return 12 + 0.6*float64(step)
	case ComeCloser:
		return 1.25 + 0.02*float64(step)
	}
	return 0
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// everyChannelVaries reports whether each channel is on in some colours and
// off in others.
func everyChannelVaries(colors []string) bool {
	for c := 0; c < 3; c++ {
		on := 0
		for _, h := range colors {
			on += int(rgb(h)[c])
		}
		if on == 0 || on == len(colors) {
			return false
		}
	}
	return true
}
