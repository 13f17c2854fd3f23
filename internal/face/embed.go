package face

import (
	"fmt"
	"math"

	"github.com/kycd/kycd/internal/raster"
)

// arcface is the standard 112×112 position of the five alignment points:
// eye (image left), eye (image right), nose tip, mouth corners.
var arcface = [5]Point{{38.2946, 51.6963}, {73.5318, 51.5014}, {56.0252, 71.7366}, {41.5493, 92.3655}, {70.7299, 92.2041}}

// embed aligns the face to the reference with a similarity transform fitted
// to five points (not three: the nose alone distorts the face) and runs the
// embedding model, whose input is B, G, R.
func (w *worker) embed(img *raster.Image, f *Face) error {
	src := [5]Point{f.EyeLeft(), f.EyeRight(), f.Nose(), f.MouthLeft(), f.MouthRight()}
	m := similarity(arcface, src) // maps reference (output) points to the image
	// Test-time augmentation for small faces: the embedding of the aligned
	// face plus that of its mirror image.
	mirror := affine{A: -m.A, B: m.B, C: m.C + 111*m.A, D: -m.D, E: m.E, F: m.F + 111*m.D}
	passes := []affine{m, mirror}
	if w.mirror == MirrorOff || (w.mirror == MirrorSmall && f.Box.W >= mirrorBelow) {
		passes = passes[:1]
	}
	sum := make([]float64, 512)
	for _, t := range passes {
		sampleInto(w.feature.input(), img, t, 112, 112, layout{order: [3]int{2, 1, 0},
			mean: [3]float32{127, 127, 127}, std: [3]float32{128, 128, 128}, scale: 1, fill: 0})
		if err := w.feature.run(); err != nil {
			return fmt.Errorf("embedding: %w", err)
		}
		out := w.feature.output(0)
		var norm float64
		for _, v := range out {
			norm += float64(v) * float64(v)
		}
		norm = math.Sqrt(norm)
		for i, v := range out {
			sum[i] += float64(v) / norm
		}
	}
	var norm float64
	for _, v := range sum {
		norm += v * v
	}
	norm = math.Sqrt(norm)
	if f.Embedding == nil {
		f.Embedding = make([]float32, len(sum))
	}
	for i, v := range sum {
		f.Embedding[i] = float32(v / norm)
	}
	return nil
}

// mirrorBelow is the face width (px) under which the mirror image is
// embedded too. Measured (docs/accuracy.md): on ID portraits with faces of
// 62 and 50 px it keeps 1 and 2 more of 240 genuine pairs at the default
// threshold; on faces of 80 px and more (full photos, selfies, liveness
// frames, turned rendered heads) it buys nothing, and it costs an
// embedding (16 ms here, a third of a compare).
const mirrorBelow = 80

// similarity fits the transform (rotation, uniform scale, translation) that
// best maps the points from onto to, in the least-squares sense (Umeyama).
func similarity(from, to [5]Point) affine {
	var mf, mt Point
	for i := range from {
		mf.X += from[i].X / 5
		mf.Y += from[i].Y / 5
		mt.X += to[i].X / 5
		mt.Y += to[i].Y / 5
	}
	var a, b, varF float64
	for i := range from {
		fx, fy := from[i].X-mf.X, from[i].Y-mf.Y
		tx, ty := to[i].X-mt.X, to[i].Y-mt.Y
		a += fx*tx + fy*ty
		b += fx*ty - fy*tx
		varF += fx*fx + fy*fy
	}
	sa, sb := a/varF, b/varF // scale·cos, scale·sin
	// Output pixel centres are integers in this map, so no half-pixel shift.
	return affine{
		A: sa, B: -sb, C: mt.X - (sa*mf.X - sb*mf.Y),
		D: sb, E: sa, F: mt.Y - (sb*mf.X + sa*mf.Y),
	}
}

// Cosine is the cosine similarity of two L2-normalised embeddings.
func Cosine(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
