package liveness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadClipManifest: a manifest names each clip's person and split,
// and windows of drawn movements long enough to play; anything else is
// refused with what to fix.
func TestReadClipManifest(t *testing.T) {
	good := `{"clips": [{"id": "a", "person": "p", "split": "tune", "file": "a.mp4",
		"windows": [{"move": "turn_left", "from": 1.0, "to": 2.0}, {"move": "come_closer", "from": 5.0, "to": 3.0}]}]}`
	for _, tt := range []struct {
		name, json, want string
	}{
		{"good", good, ""},
		{"no person", strings.Replace(good, `"person": "p"`, `"person": ""`, 1), "needs an id, a person and a file"},
		{"split", strings.Replace(good, `"tune"`, `"train"`, 1), "split must be tune or report"},
		{"blink is not drawn", strings.Replace(good, `"turn_left"`, `"blink"`, 1), "bad window"},
		{"too short", strings.Replace(good, `"to": 2.0`, `"to": 1.1`, 1), "bad window"},
		{"crop", strings.Replace(good, `"file": "a.mp4"`, `"file": "a.mp4", "crop": [0, 0, 1]`, 1), "crop is x, y, width, height"},
		{"not JSON", "{", "unexpected end"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.json")
			if err := os.WriteFile(path, []byte(tt.json), 0o600); err != nil {
				t.Fatal(err)
			}
			m, err := ReadClipManifest(path)
			switch {
			case tt.want == "" && (err != nil || len(m.Clips) != 1 || len(m.Clips[0].Windows) != 2):
				t.Errorf("got %+v, %v", m, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err %v, want %q", err, tt.want)
			}
		})
	}
}

// TestClipPlayer: footage is played at the camera's pace from its
// frontal moment to the movement's furthest and back, again and again;
// once a task is met the person returns to the frontal moment, then sends
// nothing for longer than MaxGap before the next task's footage (the
// change of recording is the evaluation's, not the person's, and must not
// read as a cut).
func TestClipPlayer(t *testing.T) {
	footage := func(name string, n int) *Footage {
		f := &Footage{Clip: &Clip{ID: name}}
		for k := 0; k < n; k++ {
			f.Frames = append(f.Frames, []byte(name+string(rune('a'+k))))
		}
		return f
	}
	turn, up := footage("turn", 9), footage("up", 9) // 0.3 s each at clipFPS
	p := &clipPlayer{pick: func(t Task) *Footage {
		if t.Type == LookUp {
			return up
		}
		return turn
	}}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 100 * time.Millisecond // 3 clip frames
	at := func(k int) time.Time { return t0.Add(time.Duration(k) * step) }
	var got []string
	play := func(task Task, from, to int) {
		for k := from; k < to; k++ {
			got = append(got, string(p.frame(task, at(k))))
		}
	}
	left, look := Task{Type: TurnLeft, Target: 20}, Task{Type: LookUp, Target: 12}
	play(left, 0, 8)
	// Forward a, d, g; past the end (0.3 s) it comes back: 0.3 s → g
	// (clamped to the last frame), then 0.2 → g, 0.1 → d, 0 → a, and on.
	want := []string{"turna", "turnd", "turng", "turni", "turng", "turnd", "turna", "turnd"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("ping-pong: %v, want %v", got, want)
	}
	// Met: back to the frontal moment, quiet for MaxGap and more, then
	// the look-up's footage from its start.
	got = nil
	play(look, 8, 16)
	var frames, quiet int
	for _, g := range got {
		switch {
		case g == "":
			quiet++
		case strings.HasPrefix(g, "up"):
			frames++
		}
	}
	if got[0] != "turna" || time.Duration(quiet+1)*step <= Defaults.MaxGap || frames == 0 || got[len(got)-frames] != "upa" {
		t.Errorf("after a met task: %q (quiet %d frames of %v)", got, quiet, step)
	}
}

// TestReach: footage reaches a movement as the checker would read it: from
// the first frame it could start from (a first frame read 20° turned, the
// pose model's glitch, is not a start), and a turn only as far as the
// face's foreshortening bears it out.
func TestReach(t *testing.T) {
	head := func(read, turned float64) Observation {
		return Observation{Yaw: read, Landmarks: project(turned, 0, 0.1, false), HasLandmarks: true, BoxW: 0.3}
	}
	var turn, glitch, overRead []Observation
	for d := 0.0; d <= 26; d += 2 {
		turn = append(turn, head(d, d))
		overRead = append(overRead, head(3*d, d))
	}
	glitch = append([]Observation{head(-20.6, 0)}, turn[:5]...) // 0–8°
	for _, tt := range []struct {
		name     string
		seen     []Observation
		min, max float64
	}{
		{"a 26° turn", turn, 25.5, 26.5},
		{"an 8° turn after a glitch", glitch, 7.5, 8.5},
		// Read three times as far: as far as the face shows, over TurnSeen.
		{"a 26° turn read 78°", overRead, 26, 60},
	} {
		if got := reach(tt.seen, TurnRight); got < tt.min || got > tt.max {
			t.Errorf("%s: reach %.1f, want %.1f–%.1f", tt.name, got, tt.min, tt.max)
		}
	}
}
