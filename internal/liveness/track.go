package liveness

import (
	"math"

	"github.com/kycd/kycd/internal/raster"
)

// The profile check. A head's nose tip stands in front of the line from
// the nasion (between the eyes) to the mouth: under a turn the tip moves
// off that line, under a look-up it moves along it towards the nasion. A
// print, flat or bent around a vertical axis, has the three painted on one
// straight line in space (the plane, or the cylinder's front ruling), and a
// straight line stays straight, and keeps its proportions, in every view.
//
// The landmarks cannot measure this: the landmark model places a nose tip
// where a face that looks turned has it, painted or not (docs/accuracy.md).
// So the three points are followed by their pixels: each frame, the patch
// around each is found again in the next frame (normalised
// cross-correlation near where the landmarks moved the point), from the
// movement's neutral frame to its end.

// The points followed.
const (
	trNasion = iota
	trTip
	trMouth
	numTracked
)

// Track follows the profile's points through one head movement. Positions
// are in the pixels of the working picture (the frame shrunk by Scale).
type Track struct {
	Pos   [numTracked][2]float64 `json:"pos"`  // where each point is
	LM    [numTracked][2]float64 `json:"lm"`   // where the landmarks put it in the same frame
	Base  [numTracked][2]float64 `json:"base"` // where it was in the neutral frame
	IOD   float64                `json:"iod"`  // the eyes' distance in the neutral frame, px
	Half  int                    `json:"half"` // the patches' half side, px
	Patch [numTracked][]byte     `json:"patch"`
	W     int                    `json:"w"` // the frame's size: another size ends the track
	H     int                    `json:"h"`
	// Scale is the working picture's size over the frame's (positions,
	// IOD and patches are in its pixels).
	Scale float64 `json:"scale"`
	// Lost: a point could not be found after the movement was followed
	// far enough; what was measured stands, nothing more is followed.
	Lost bool `json:"lost,omitempty"`
}

// MinMatch is the normalised correlation below which a point counts as
// lost: motion blur, an occlusion, a cut.
const MinMatch = 0.6

// profilePoints is where the landmarks put the followed points, in px (lm
// in ratios of the frame's width, as in Observation).
func profilePoints(lm *[68][2]float64, w float64) [numTracked][2]float64 {
	at := func(a, b int, t float64) [2]float64 {
		return [2]float64{w * (lm[a][0] + t*(lm[b][0]-lm[a][0])), w * (lm[a][1] + t*(lm[b][1]-lm[a][1]))}
	}
	return [numTracked][2]float64{
		trNasion: at(27, 27, 0),
		trTip:    at(lmNoseTip, 33, 0.5), // the tip and the nostrils under it: texture to follow
		trMouth:  at(51, 57, 0.5),        // the lips' middle
	}
}

// Tracking works on the frame shrunk so that the eyes are at most
// trackIOD px apart (its cost grows with the fourth power of the face's
// size), and needs them at least minTrackIOD px apart in the frame (below
// that a pixel of noise is a large bend).
const (
	trackIOD    = 64
	minTrackIOD = 28
)

// startTrack begins following the profile in the movement's neutral frame.
// It returns nil and the guidance to give when it cannot: the face is too
// small (move_closer) or a patch would cross the frame's edge
// (center_face); nil and "" when the frame has no pixels (the checker's
// own tests: the service always gives them).
func startTrack(o Observation) (*Track, string) {
	if o.Gray == nil || !o.HasLandmarks {
		return nil, ""
	}
	eyes := iod(&o.Landmarks) * float64(o.Gray.W)
	if eyes < minTrackIOD {
		return nil, GuideMoveCloser
	}
	t := &Track{W: o.Gray.W, H: o.Gray.H, Scale: math.Min(1, trackIOD/eyes)}
	g := t.picture(o.Gray)
	t.IOD = iod(&o.Landmarks) * float64(g.W)
	t.Half = max(5, int(math.Round(0.18*t.IOD)))
	t.LM = profilePoints(&o.Landmarks, float64(g.W))
	t.Pos, t.Base = t.LM, t.LM
	for i := range t.Pos {
		if t.Patch[i] = patch(g, t.Pos[i], t.Half); t.Patch[i] == nil {
			return nil, GuideCenterFace
		}
	}
	return t, ""
}

// picture is the frame's grey picture at the track's scale.
func (t *Track) picture(g *raster.Gray) *raster.Gray {
	if t.Scale >= 1 {
		return g
	}
	return g.Shrink(max(1, int(math.Round(float64(g.W)*t.Scale))), max(1, int(math.Round(float64(g.H)*t.Scale))))
}

// follow finds the points again in the frame o; false when one is lost:
// not found (correlation under MinMatch), or found in more than one place
// (a patch smeared along a line matches all along it, and would let the
// point slide wherever the search breaks the tie).
func (t *Track) follow(o Observation) bool {
	if o.Gray == nil || !o.HasLandmarks || o.Gray.W != t.W || o.Gray.H != t.H {
		return false
	}
	g := t.picture(o.Gray)
	lm := profilePoints(&o.Landmarks, float64(g.W))
	radius := max(4, int(math.Round(0.15*t.IOD)))
	for i := range t.Pos {
		// Where the landmarks moved the point is the first guess.
		guess := [2]float64{t.Pos[i][0] + lm[i][0] - t.LM[i][0], t.Pos[i][1] + lm[i][1] - t.LM[i][1]}
		at, score, flat := match(g, t.Patch[i], t.Half, guess, radius)
		if flat && i != trTip {
			// The skin between the eyes, or closed lips, can be too
			// smooth to be found in one place: the landmarks, which find
			// a nasion and a mouth where they are drawn on a print as on
			// a face, place it. The tip is what the check is about: it
			// is followed by its pixels or lost.
			at, score = guess, 1
		}
		if score < MinMatch {
			return false
		}
		t.Pos[i] = at
		if t.Patch[i] = patch(g, at, t.Half); t.Patch[i] == nil {
			return false
		}
	}
	t.LM = lm
	return true
}

// profile is where the nose tip is against the line from the nasion to
// the mouth: its distance along it (as a share of the line's length) and
// across it (px, positive to the image's right of a line going down).
func profile(p [numTracked][2]float64) (along, across float64) {
	dx, dy := p[trMouth][0]-p[trNasion][0], p[trMouth][1]-p[trNasion][1]
	vx, vy := p[trTip][0]-p[trNasion][0], p[trTip][1]-p[trNasion][1]
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return 0, 0
	}
	return (vx*dx + vy*dy) / l2, (vx*dy - vy*dx) / math.Sqrt(l2)
}

// bend measures, for a frame rotated deg degrees from the neutral one (as
// noseDepth takes them), how far the nose tip left the profile's line in
// space: in eye distances over the sine of the rotation, about the nose's
// depth in front of the line on a head, 0 on a print.
func (t *Track) bend(axis int, deg float64) float64 {
	sin := math.Sin(math.Abs(deg) * math.Pi / 180)
	if sin < 0.05 || t.IOD == 0 {
		return 0
	}
	a0, c0 := profile(t.Base)
	a1, c1 := profile(t.Pos)
	if axis == sideways {
		shift := c1 - c0
		if deg < 0 {
			shift = -shift
		}
		return shift / (sin * t.IOD)
	}
	// A look-up lifts the tip towards the nasion: the share along the
	// line shrinks (a print, foreshortened as a whole, keeps it).
	l := math.Hypot(t.Base[trMouth][0]-t.Base[trNasion][0], t.Base[trMouth][1]-t.Base[trNasion][1])
	return (a0 - a1) * l / (sin * t.IOD)
}

// ambiguous is how close (in correlation) a second place may fit before
// a match counts as not found.
const ambiguous = 0.01

func abs(v int) int { return max(v, -v) }

// patch copies the square of half side half around p, or nil when it is
// not wholly inside the picture.
func patch(g *raster.Gray, p [2]float64, half int) []byte {
	x0, y0 := int(math.Round(p[0]))-half, int(math.Round(p[1]))-half
	n := 2*half + 1
	if x0 < 0 || y0 < 0 || x0+n > g.W || y0+n > g.H {
		return nil
	}
	out := make([]byte, 0, n*n)
	for y := y0; y < y0+n; y++ {
		out = append(out, g.Pix[y*g.W+x0:y*g.W+x0+n]...)
	}
	return out
}

// match finds the template tpl (a patch of half side half) in g within
// radius px of guess, by normalised cross-correlation; it returns the best
// place (refined below the pixel) and its score (−1 when nowhere fits or
// when it fits more than one place: then flat is true).
func match(g *raster.Gray, tpl []byte, half int, guess [2]float64, radius int) (at [2]float64, score float64, flat bool) {
	n := 2*half + 1
	var tm float64
	for _, v := range tpl {
		tm += float64(v)
	}
	tm /= float64(len(tpl))
	var tv float64
	tc := make([]float64, len(tpl))
	for i, v := range tpl {
		tc[i] = float64(v) - tm
		tv += tc[i] * tc[i]
	}
	gx, gy := int(math.Round(guess[0])), int(math.Round(guess[1]))
	side := 2*radius + 1
	scores := make([]float64, side*side)
	best, bi := -1.0, -1
	for dy := -radius; dy <= radius; dy++ {
		for dx := -radius; dx <= radius; dx++ {
			k := (dy+radius)*side + dx + radius
			scores[k] = -1
			x0, y0 := gx+dx-half, gy+dy-half
			if x0 < 0 || y0 < 0 || x0+n > g.W || y0+n > g.H || tv == 0 {
				continue
			}
			var sum, sum2, cross float64
			for y := 0; y < n; y++ {
				row := g.Pix[(y0+y)*g.W+x0 : (y0+y)*g.W+x0+n]
				trow := tc[y*n : y*n+n]
				for x, v := range row {
					f := float64(v)
					sum += f
					sum2 += f * f
					cross += f * trow[x]
				}
			}
			cnt := float64(n * n)
			vv := sum2 - sum*sum/cnt
			if vv <= 0 {
				continue
			}
			// Σ(f−f̄)(t−t̄) = Σ f·(t−t̄), as Σ(t−t̄) = 0.
			scores[k] = cross / math.Sqrt(vv*tv)
			if scores[k] > best {
				best, bi = scores[k], k
			}
		}
	}
	if bi < 0 {
		return guess, -1, false
	}
	bx, by := bi%side, bi/side
	// Another place, half the search's reach away or more, that fits as
	// well: the patch has no texture across some direction (smeared along
	// a line, it fits all along it); nothing was found. (Nearer places
	// fit almost as well on any smooth patch.)
	far := max(3, radius/2)
	for k, v := range scores {
		if v >= best-ambiguous && (abs(k%side-bx) >= far || abs(k/side-by) >= far) {
			return guess, -1, true
		}
	}
	// A parabola through the best score and its neighbours on each axis.
	refine := func(l, c, r float64) float64 {
		d := l - 2*c + r
		if l < -0.5 || r < -0.5 || d >= 0 {
			return 0
		}
		return math.Max(-0.5, math.Min(0.5, 0.5*(l-r)/d))
	}
	var ox, oy float64
	if bx > 0 && bx < side-1 {
		ox = refine(scores[bi-1], best, scores[bi+1])
	}
	if by > 0 && by < side-1 {
		oy = refine(scores[bi-side], best, scores[bi+side])
	}
	return [2]float64{float64(gx+bx-radius) + ox, float64(gy+by-radius) + oy}, best, false
}
