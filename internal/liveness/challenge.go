// Package liveness decides whether the person in front of a camera is live
// and present: a randomised sequence of challenges (turn left, turn right,
// look up, blink, smile, come closer) met in order over a stream of frames,
// the same face throughout, plausible frame timing, and passive
// anti-spoofing as one signal among several. The checker is pure logic over
// per-frame observations; the service feeds it from the face engine.
package liveness

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Challenge is one action the person is asked to perform.
type Challenge string

// The challenges.
const (
	TurnLeft   Challenge = "turn_left"
	TurnRight  Challenge = "turn_right"
	LookUp     Challenge = "look_up"
	Blink      Challenge = "blink"
	Smile      Challenge = "smile"
	ComeCloser Challenge = "come_closer"
)

// All lists every challenge.
var All = []Challenge{TurnLeft, TurnRight, LookUp, Blink, Smile, ComeCloser}

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
	}
	return string(c)
}

// Valid reports whether c is a known challenge.
func (c Challenge) Valid() bool {
	for _, a := range All {
		if a == c {
			return true
		}
	}
	return false
}

// Draw picks n challenges from All with r (crypto/rand in production, a
// fixed stream in tests): never the same twice in a row, and never both
// turns back to back, which a single head movement could satisfy.
func Draw(r io.Reader, n int) ([]Challenge, error) {
	out := make([]Challenge, 0, n)
	for len(out) < n {
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("draw challenges: %w", err)
		}
		c := All[binary.BigEndian.Uint64(b[:])%uint64(len(All))]
		if len(out) > 0 {
			prev := out[len(out)-1]
			if c == prev || (isTurn(c) && isTurn(prev)) {
				continue
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func isTurn(c Challenge) bool { return c == TurnLeft || c == TurnRight }
