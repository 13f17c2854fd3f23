package face

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/kycd/kycd/internal/raster"
)

// Box is a rectangle in pixels of the analysed image.
type Box struct{ X, Y, W, H float64 }

// Point is a position in pixels.
type Point struct{ X, Y float64 }

// Pose is the head's rotation in degrees. Positive yaw: the face turns
// towards the left of the image; positive pitch: it looks up.
type Pose struct{ Yaw, Pitch, Roll float64 }

// Face is one detected face and what was measured of it.
type Face struct {
	Box        Box       // the detector's box, squared (side = box height)
	Confidence float64   // detector score, 0–1
	Landmarks  [68]Point // the 68-point scheme (iBUG 300-W)
	Pose       *Pose
	// EyesOpen is the probability, 0–1, that both eyes are open; LeftOpen
	// and RightOpen are each eye's, left and right as seen in the image.
	EyesOpen, LeftOpen, RightOpen float64
	Smile                         float64    // probability of a happy expression, 0–1
	Expressions                   [7]float64 // angry, disgust, fear, happy, sad, surprise, neutral
	Real                          float64    // passive anti-spoofing: probability the face is live, 0–1
	Age                           float64    // estimated years
	Male                          float64    // probability, 0–1
	Brightness, Sharpness         float64    // 0–100
	Embedding                     []float32  // 512-d, L2-normalised; only when asked for
	measured                      Attr
}

// Has reports whether an attribute was measured.
func (f *Face) Has(a Attr) bool { return f.measured&a != 0 }

// Named landmarks, as seen in the image (EyeLeft is on the image's left).
func (f *Face) EyeLeft() Point    { return mean(f.Landmarks[:], 37, 38, 40, 41) }
func (f *Face) EyeRight() Point   { return mean(f.Landmarks[:], 43, 44, 46, 47) }
func (f *Face) Nose() Point       { return f.Landmarks[30] }
func (f *Face) MouthLeft() Point  { return mean(f.Landmarks[:], 48, 60) }
func (f *Face) MouthRight() Point { return mean(f.Landmarks[:], 54, 64) }

// MouthWidth is the distance between the mouth corners over the distance
// between the eyes: about 0.75–0.9 on a neutral face, rising past 1 in a
// broad smile. It is free (from the landmarks) and, compared between frames
// of one person, follows a smile as it forms.
func (f *Face) MouthWidth() float64 {
	return dist(f.Landmarks[48], f.Landmarks[54]) / max(dist(f.EyeLeft(), f.EyeRight()), 1)
}

func dist(a, b Point) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

func mean(p []Point, idx ...int) Point {
	var out Point
	for _, i := range idx {
		out.X += p[i].X
		out.Y += p[i].Y
	}
	out.X /= float64(len(idx))
	out.Y /= float64(len(idx))
	return out
}

// Attr selects what Detect measures beyond the box and landmarks.
type Attr uint

// Attributes.
const (
	AttrPose Attr = 1 << iota
	AttrEyes
	AttrSmile
	AttrSpoof
	AttrAgeGender
	AttrQuality
	AttrEmbedding
	// AttrLiveness is what every liveness frame needs. The expression
	// model (AttrSmile) costs more than the rest together, so a liveness
	// check asks for it only while a smile is the challenge, and follows
	// the mouth's shape (MouthWidth) on the other frames.
	AttrLiveness = AttrPose | AttrEyes | AttrSpoof | AttrQuality
	// AttrAll is everything but the embedding.
	AttrAll = AttrLiveness | AttrSmile | AttrAgeGender
)

// Detect finds the faces in img, largest first, and measures the requested
// attributes of each.
func (e *Engine) Detect(ctx context.Context, img *raster.Image, attrs Attr) ([]*Face, error) {
	var faces []*Face
	err := e.with(ctx, func(w *worker) error {
		var err error
		faces, err = w.detectFaces(img)
		if err != nil {
			return err
		}
		for _, f := range faces {
			if err := w.describe(img, f, attrs); err != nil {
				return err
			}
		}
		return nil
	})
	return faces, err
}

// Embed computes the embedding of a face found by Detect in img.
func (e *Engine) Embed(ctx context.Context, img *raster.Image, f *Face) ([]float32, error) {
	err := e.with(ctx, func(w *worker) error { return w.describe(img, f, AttrEmbedding) })
	return f.Embedding, err
}

// Describe measures more attributes of a face found by Detect in img.
func (e *Engine) Describe(ctx context.Context, img *raster.Image, f *Face, attrs Attr) error {
	return e.with(ctx, func(w *worker) error { return w.describe(img, f, attrs) })
}

// describe runs the models for attrs on one face.
func (w *worker) describe(img *raster.Image, f *Face, attrs Attr) error {
	steps := []struct {
		a   Attr
		run func(*raster.Image, *Face) error
	}{
		{AttrPose, w.headPose}, {AttrEyes, w.eyes}, {AttrSmile, w.smile}, {AttrSpoof, w.spoof},
		{AttrAgeGender, w.ageGender}, {AttrQuality, w.quality}, {AttrEmbedding, w.embed},
	}
	for _, s := range steps {
		if attrs&s.a != 0 && f.measured&s.a == 0 {
			if err := s.run(img, f); err != nil {
				return err
			}
			f.measured |= s.a
		}
	}
	return nil
}

// landmarks fits the 68 points in the face's box.
func (w *worker) landmarks(img *raster.Image, f *Face) error {
	b := f.Box
	sampleInto(w.landmark.input(), img, cropAffine(b.X, b.Y, b.W, b.H, 64, 64), 64, 64,
		layout{grey: true, scale: 1.0 / 256, fill: -1})
	if err := w.landmark.run(); err != nil {
		return fmt.Errorf("landmarks: %w", err)
	}
	out := w.landmark.output(0)
	for i := range f.Landmarks {
		f.Landmarks[i] = Point{X: float64(out[2*i])*b.W + b.X, Y: float64(out[2*i+1])*b.H + b.Y}
	}
	return nil
}

// headPose runs the HopeNet-style model: 66 bins of 3° per angle.
func (w *worker) headPose(img *raster.Image, f *Face) error {
	b := f.Box
	m := 0.075 * b.W
	sampleInto(w.pose.input(), img, cropAffine(b.X-m, b.Y-m, b.W+2*m, b.H+2*m, 224, 224), 224, 224, rgbNet)
	if err := w.pose.run(); err != nil {
		return fmt.Errorf("pose: %w", err)
	}
	angle := func(i int) float64 {
		var deg float64
		for k, p := range softmax(w.pose.output(i)) {
			deg += float64(p) * float64(k) * 3
		}
		return deg - 99
	}
	f.Pose = &Pose{Yaw: angle(0), Pitch: angle(1), Roll: angle(2)}
	return nil
}

// eyes classifies a square patch around each eye: index 0 is closed.
func (w *worker) eyes(img *raster.Image, f *Face) error {
	open := func(centre Point, corner1, corner2 int) (float64, error) {
		side := math.Abs(f.Landmarks[corner2].X-f.Landmarks[corner1].X) * 1.6
		side = max(side, 4)
		sampleInto(w.eye.input(), img, cropAffine(centre.X-side/2, centre.Y-side/2, side, side, 24, 24), 24, 24,
			layout{grey: true, scale: 1.0 / 255, fill: -1})
		if err := w.eye.run(); err != nil {
			return 0, fmt.Errorf("eyes: %w", err)
		}
		return float64(softmax(w.eye.output(0))[1]), nil
	}
	var err error
	if f.LeftOpen, err = open(f.EyeLeft(), 36, 39); err != nil {
		return err
	}
	if f.RightOpen, err = open(f.EyeRight(), 42, 45); err != nil {
		return err
	}
	f.EyesOpen = math.Min(f.LeftOpen, f.RightOpen)
	return nil
}

// smile runs the expression model on the box grown 1.2× from its top-left.
func (w *worker) smile(img *raster.Image, f *Face) error {
	b := f.Box
	sampleInto(w.expression.input(), img, cropAffine(b.X, b.Y, 1.2*b.W, 1.2*b.H, 224, 224), 224, 224, rgbUnit)
	if err := w.expression.run(); err != nil {
		return fmt.Errorf("expression: %w", err)
	}
	for i, p := range softmax(w.expression.output(0)) {
		f.Expressions[i] = float64(p)
	}
	f.Smile = f.Expressions[3]
	return nil
}

// spoof runs passive anti-spoofing on the box grown 2.7×, kept inside the
// image; index 0 is a live face.
func (w *worker) spoof(img *raster.Image, f *Face) error {
	x, y, side := insideSquare(img, f.Box, 2.7)
	sampleInto(w.liveness.input(), img, cropAffine(x, y, side, side, 128, 128), 128, 128, rgbRaw)
	if err := w.liveness.run(); err != nil {
		return fmt.Errorf("anti-spoofing: %w", err)
	}
	f.Real = float64(softmax(w.liveness.output(0))[0])
	return nil
}

// insideSquare grows a box around its centre by scale and moves (or, if it
// does not fit, shrinks) it to lie inside the image.
func insideSquare(img *raster.Image, b Box, scale float64) (x, y, side float64) {
	side = math.Min(b.W*scale, math.Min(float64(img.W), float64(img.H)))
	cx, cy := b.X+b.W/2, b.Y+b.H/2
	x = math.Max(0, math.Min(cx-side/2, float64(img.W)-side))
	y = math.Max(0, math.Min(cy-side/2, float64(img.H)-side))
	return x, y, side
}

// ageGender runs the two SSR-Net models on the box grown 1.4×.
func (w *worker) ageGender(img *raster.Image, f *Face) error {
	x, y, side := insideSquare(img, f.Box, 1.4)
	for _, m := range []*model{w.age, w.gender} {
		sampleInto(m.input(), img, cropAffine(x, y, side, side, 64, 64), 64, 64, rgbNet)
		if err := m.run(); err != nil {
			return fmt.Errorf("age and gender: %w", err)
		}
	}
	f.Age = ssrMerge(w.age, 101)
	f.Male = math.Max(0, math.Min(1, ssrMerge(w.gender, 1)))
	return nil
}

// ssrMerge combines SSR-Net's three stages (3 bins each) into one value.
func ssrMerge(m *model, scale float64) float64 {
	var out, div float64 = 0, 1
	for s := 0; s < 3; s++ {
		p, delta, offset := m.output(s), m.output(3+s), m.output(6+s)
		var v float64
		for i := 0; i < 3; i++ {
			v += (float64(i) + float64(offset[i])) * float64(p[i])
		}
		div *= 3 * (1 + float64(delta[0]))
		out += v / div
	}
	return out * scale
}

// quality measures brightness (mean luminance) and sharpness (variance of
// the Laplacian) on a 64×64 patch of the face, each scaled to 0–100.
func (w *worker) quality(img *raster.Image, f *Face) error {
	b := f.Box
	greyPatch(w.patch, img, b.X, b.Y, b.W, b.H, 64)
	var sum float64
	for _, v := range w.patch {
		sum += float64(v)
	}
	f.Brightness = sum / float64(len(w.patch)) / 255 * 100
	var lap, lap2 float64
	n := 0
	for y := 1; y < 63; y++ {
		for x := 1; x < 63; x++ {
			i := y*64 + x
			l := float64(4*w.patch[i] - w.patch[i-1] - w.patch[i+1] - w.patch[i-64] - w.patch[i+64])
			lap += l
			lap2 += l * l
			n++
		}
	}
	variance := lap2/float64(n) - (lap/float64(n))*(lap/float64(n))
	// A sharp face photo has a Laplacian variance of several hundred on this
	// patch; 100·(1 − e^(−v/300)) maps that range onto 0–100.
	f.Sharpness = 100 * (1 - math.Exp(-variance/300))
	return nil
}

// Largest returns the face with the largest box, or nil.
func Largest(faces []*Face) *Face {
	if len(faces) == 0 {
		return nil
	}
	return slices.MaxFunc(faces, func(a, b *Face) int {
		return int(math.Copysign(1, a.Box.W*a.Box.H-b.Box.W*b.Box.H))
	})
}
