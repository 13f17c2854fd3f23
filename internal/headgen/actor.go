package headgen

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/kycd/kycd/internal/raster"
)

// Actor plays a person (or an attacker moving a picture) in front of the
// camera: told the challenge the session currently asks for, it moves the
// head towards it over about a second, holds, and comes back to face the
// camera when the challenge changes, as people do. Its frames come from
// Render.
type Actor struct {
	Head *Head
	// Sway is how much the head drifts on its own (degrees, face widths):
	// a person never holds perfectly still. 0 for a picture on a stand.
	Sway float64
	// Lit makes the head reflect the screen's light (a person, a print);
	// false for something that shines itself (a screen replaying a video).
	Lit bool
	// Strength of the screen's light on a surface facing it; 0.3 when 0.
	Strength float64
	// Over multiplies the turns and look-ups asked for (0: as asked): an
	// attacker who learned that a turned picture reads as less turned
	// than it is.
	Over float64
	Rand *rand.Rand

	task   string
	target float64
	// Where the head faces when it faces the camera: corrected by
	// Straighten from neutralFrom to neutral, eased over straightenTime
	// from straightenedAt.
	neutral, neutralFrom Pose
	straightenedAt       time.Time
	from, goal           Pose
	since                time.Time
	pose                 Pose
	lightStart           time.Time
	colors               []string
	flashMS              int
}

// Ask tells the actor the current challenge (its type, target, and for the
// light challenge its colours and how long each shows). It returns the time
// the actor (the page) began showing the light, when the challenge is the
// light one.
func (a *Actor) Ask(task string, target float64, colors []string, flashMS int, now time.Time) time.Time {
	if a.pose.Distance == 0 {
		a.pose = Pose{Distance: 4}
	}
	if task != a.task || target != a.target {
		a.task, a.target, a.since, a.from = task, target, now, a.pose
		a.goal = Pose{Distance: 4}
		angle := target // turns and look-ups
		if a.Over > 0 {
			angle *= a.Over
		}
		switch task {
		// People overshoot what they are asked a little; the face engine
		// also measures a rendered turn about a fifth short.
		case "turn_left":
			a.goal.Yaw = 1.25*angle + 5 // the face turns towards the image's right
		case "turn_right":
			a.goal.Yaw = -(1.25*angle + 5)
		case "look_up":
			a.goal.Pitch = 1.5*angle + 6
		case "come_closer":
			a.goal.Distance = 4 / (target + 0.12)
		case "light":
			a.lightStart, a.colors, a.flashMS = now, colors, flashMS
		}
	}
	return a.lightStart
}

// straightenTime is how long a person takes to correct their pose when
// told to look straight: a head moves there, it does not jump.
const straightenTime = 600 * time.Millisecond

// Straighten is the person hearing "look straight at the camera" while the
// camera sees their face at yaw and pitch (the face engine's degrees): they
// correct their resting pose by part of it, over straightenTime, and hear
// the advice again only once that correction is made. Told it while
// holding a movement's pose, they come back and make the movement again.
func (a *Actor) Straighten(yaw, pitch float64, now time.Time) {
	// Told to look straight while holding a movement (the session started
	// it again): go back to face the camera, then make it again.
	held := now.Sub(a.since) > 2400*time.Millisecond // back (1 s) and there (1.4 s)
	if held && a.task != "light" && a.task != "" && (math.Abs(yaw) > 10 || math.Abs(pitch) > 12) {
		a.since, a.from = now, a.pose
		return
	}
	// Only once settled, and a little at a time: a person hears the advice
	// after they stopped moving.
	if now.Sub(a.since) < 2500*time.Millisecond || now.Sub(a.straightenedAt) < straightenTime {
		return
	}
	step := func(v float64) float64 { return math.Max(-3, math.Min(3, 0.5*v)) }
	a.neutralFrom, a.straightenedAt = a.neutral, now
	a.neutral.Yaw += step(yaw) // the engine's yaw is negative towards the image's right, the render's positive
	a.neutral.Pitch -= step(pitch)
}

// rest is where the head faces at now when it faces the camera: on its
// way from the last resting pose to the corrected one.
func (a *Actor) rest(now time.Time) Pose {
	t := now.Sub(a.straightenedAt).Seconds() / straightenTime.Seconds()
	return lerpPose(a.neutralFrom, a.neutral, ease(t))
}

// ease goes from 0 to 1 as x does, slowly at both ends (smoothstep).
func ease(x float64) float64 { x = math.Max(0, math.Min(1, x)); return x * x * (3 - 2*x) }

// Frame renders the actor at now, w×h.
func (a *Actor) Frame(now time.Time, w, h int) []byte {
	return Capture(a.Head.Render(a.Pose(now), w, h), a.Rand)
}

// Capture is what a webcam makes of img: sensor noise (none when r is nil)
// and JPEG.
func Capture(img *raster.Image, r *rand.Rand) []byte {
	addNoise(img.Pix, r, 2)
	out, _ := img.EncodeJPEG(88)
	return out
}

// Pose is where the actor's head is at now: on its way from where it was
// when the challenge changed to where the challenge takes it (back to
// facing the camera after a challenge is met), eased over about a second,
// plus a little sway, lit by the screen's colour of the moment.
func (a *Actor) Pose(now time.Time) Pose {
	if a.pose.Distance == 0 {
		a.pose = Pose{Distance: 4}
	}
	// Back to the camera first (1 s) when the challenge changed from a
	// movement, then towards the new goal (1.4 s).
	t := now.Sub(a.since).Seconds()
	rest := a.rest(now)
	neutral := Pose{Yaw: rest.Yaw, Pitch: rest.Pitch, Distance: 4}
	goal := a.goal
	goal.Yaw += rest.Yaw
	goal.Pitch += rest.Pitch
	var p Pose
	back := 0.0
	if !samePose(a.from, neutral) {
		back = 1.0
	}
	if t < back {
		p = lerpPose(a.from, neutral, ease(t/back))
	} else {
		p = lerpPose(neutral, goal, ease((t-back)/1.4))
	}
	if a.Sway > 0 {
		s := now.Sub(time.Time{}).Seconds()
		p.Yaw += a.Sway * math.Sin(1.3*s)
		p.Pitch += a.Sway * 0.7 * math.Sin(0.9*s+1)
		p.OffsetX += a.Sway * 0.004 * math.Sin(0.7*s+2)
	}
	if a.Lit {
		p.Strength = a.Strength
		if p.Strength == 0 {
			p.Strength = 0.3
		}
		if a.task == "light" && a.flashMS > 0 {
			k := int(now.Sub(a.lightStart) / (time.Duration(a.flashMS) * time.Millisecond))
			if k >= 0 && k < len(a.colors) {
				p.Light = hexRGB(a.colors[k])
			}
		}
	}
	a.pose = p
	return p
}

func samePose(a, b Pose) bool {
	return math.Abs(a.Yaw-b.Yaw) < 0.5 && math.Abs(a.Pitch-b.Pitch) < 0.5 && math.Abs(a.Distance-b.Distance) < 0.05
}

func lerpPose(a, b Pose, t float64) Pose {
	l := func(x, y float64) float64 { return x + t*(y-x) }
	return Pose{Yaw: l(a.Yaw, b.Yaw), Pitch: l(a.Pitch, b.Pitch), Roll: l(a.Roll, b.Roll), Distance: l(a.Distance, b.Distance),
		OffsetX: l(a.OffsetX, b.OffsetX), OffsetY: l(a.OffsetY, b.OffsetY)}
}

func hexRGB(hex string) [3]float64 {
	var out [3]float64
	for c := 0; c < 3; c++ {
		if len(hex) == 7 {
			var v int
			for _, ch := range hex[1+2*c : 3+2*c] {
				v *= 16
				switch {
				case ch >= '0' && ch <= '9':
					v += int(ch - '0')
				case ch >= 'a' && ch <= 'f':
					v += int(ch-'a') + 10
				case ch >= 'A' && ch <= 'F':
					v += int(ch-'A') + 10
				}
			}
			out[c] = float64(v) / 255
		}
	}
	return out
}

// addNoise adds a camera's sensor noise.
func addNoise(pix []uint8, r *rand.Rand, sigma float64) {
	if r == nil {
		return
	}
	for i := range pix {
		v := float64(pix[i]) + r.NormFloat64()*sigma
		pix[i] = uint8(math.Max(0, math.Min(255, v)))
	}
}

// Screen is a screen filmed by a camera: its gamma, its pixel grid beating
// with the camera's (moiré), the refresh's rolling band and the black bezel
// around the picture. One screen keeps its pattern from frame to frame; the
// band rolls.
type Screen struct {
	angle, period, phase, band float64
}

// NewScreen draws a screen's pattern.
func NewScreen(r *rand.Rand) *Screen {
	return &Screen{angle: 0.3 + 0.4*r.Float64(), period: 5 + 3*r.Float64(), phase: r.Float64() * 2 * math.Pi, band: r.Float64()}
}

// Film makes img look like this screen showing it, at time t (seconds).
func (sc *Screen) Film(img *raster.Image, t float64) {
	band := math.Mod(sc.band+0.3*t, 1) * float64(img.H)
	border := int(0.04 * float64(img.W))
	ca, sa := math.Cos(sc.angle), math.Sin(sc.angle)
	for y := 0; y < img.H; y++ {
		bands := 1 - 0.05*math.Exp(-math.Pow((float64(y)-band)/(0.08*float64(img.H)), 2))
		for x := 0; x < img.W; x++ {
			k := 3 * (y*img.W + x)
			if x < border || x >= img.W-border || y < border || y >= img.H-border {
				img.Pix[k], img.Pix[k+1], img.Pix[k+2] = 12, 12, 14
				continue
			}
			moire := 1 + 0.06*math.Sin((float64(x)*ca+float64(y)*sa)*2*math.Pi/sc.period+sc.phase)
			for ch := 0; ch < 3; ch++ {
				v := math.Pow(float64(img.Pix[k+ch])/255, 1.15) * 255 * moire * bands
				img.Pix[k+ch] = uint8(math.Max(0, math.Min(255, v)))
			}
		}
	}
}
