package face

import (
	"math"

	"github.com/kycd/kycd/internal/raster"
)

// affine maps output pixel centres to source coordinates:
// x = A·u + B·v + C, y = D·u + E·v + F.
type affine struct{ A, B, C, D, E, F float64 }

// cropAffine maps an outW×outH output onto the source rectangle (x0, y0, w, h).
func cropAffine(x0, y0, w, h float64, outW, outH int) affine {
	sx, sy := w/float64(outW), h/float64(outH)
	return affine{A: sx, C: x0 + 0.5*sx - 0.5, E: sy, F: y0 + 0.5*sy - 0.5}
}

// layout says how pixels become tensor values.
type layout struct {
	grey  bool       // one plane of luminance instead of three colour planes
	order [3]int     // source channel (0 R, 1 G, 2 B) of each plane
	mean  [3]float32 // value = (pixel·scale − mean) / std
	std   [3]float32
	scale float32
	fill  float32 // pixel value outside the image; <0 clamps to the edge instead
}

var (
	rgbRaw  = layout{order: [3]int{0, 1, 2}, std: [3]float32{1, 1, 1}, scale: 1, fill: -1}
	rgbUnit = layout{order: [3]int{0, 1, 2}, std: [3]float32{1, 1, 1}, scale: 1.0 / 255, fill: -1}
	rgbNet  = layout{order: [3]int{0, 1, 2}, mean: [3]float32{0.485, 0.456, 0.406}, std: [3]float32{0.229, 0.224, 0.225}, scale: 1.0 / 255, fill: -1}
)

// sampleInto fills dst (planar, outW×outH per plane) by bilinear sampling of
// img through the affine map m.
func sampleInto(dst []float32, img *raster.Image, m affine, outW, outH int, l layout) {
	if m.B == 0 && m.D == 0 && l.fill < 0 && outW <= maxAxis && outH <= maxAxis {
		sampleAxis(dst, img, m, outW, outH, l)
		return
	}
	plane := outW * outH
	for v := 0; v < outH; v++ {
		for u := 0; u < outW; u++ {
			fx := m.A*float64(u) + m.B*float64(v) + m.C
			fy := m.D*float64(u) + m.E*float64(v) + m.F
			r, g, b := img.Bilinear(fx, fy, l.fill)
			i := v*outW + u
			if l.grey {
				dst[i] = raster.Luma(r, g, b)*l.scale - l.mean[0]
				continue
			}
			c := [3]float32{r, g, b}
			for p := 0; p < 3; p++ {
				dst[p*plane+i] = (c[l.order[p]]*l.scale - l.mean[p]) / l.std[p]
			}
		}
	}
}

const maxAxis = 512

// axisTap is where one output column (or row) reads the source: two
// neighbouring pixels and the weight of the second.
type axisTap struct {
	i0, i1 int
	w      float32
}

func taps(dst []axisTap, scale, offset float64, n, limit int) []axisTap {
	dst = dst[:n]
	for u := range dst {
		x := math.Max(0, math.Min(scale*float64(u)+offset, float64(limit-1)))
		i0 := int(x)
		dst[u] = axisTap{i0: i0, i1: min(i0+1, limit-1), w: float32(x - float64(i0))}
	}
	return dst
}

// sampleAxis is sampleInto for crops (no rotation) with edge clamping: the
// source positions of each column and row are computed once.
func sampleAxis(dst []float32, img *raster.Image, m affine, outW, outH int, l layout) {
	var xbuf, ybuf [maxAxis]axisTap
	xs := taps(xbuf[:], m.A, m.C, outW, img.W)
	ys := taps(ybuf[:], m.E, m.F, outH, img.H)
	plane := outW * outH
	stride := 3 * img.W
	var k [3]float32 // per plane: scale / std
	var c [3]float32 // per plane: −mean / std
	for p := 0; p < 3; p++ {
		k[p], c[p] = l.scale/l.std[p], -l.mean[p]/l.std[p]
	}
	o0, o1, o2 := l.order[0], l.order[1], l.order[2]
	for v, ty := range ys {
		row0, row1 := img.Pix[ty.i0*stride:], img.Pix[ty.i1*stride:]
		for u, tx := range xs {
			a0, a1 := 3*tx.i0, 3*tx.i1
			var px [3]float32
			for ch := 0; ch < 3; ch++ {
				top := float32(row0[a0+ch]) + tx.w*(float32(row0[a1+ch])-float32(row0[a0+ch]))
				bot := float32(row1[a0+ch]) + tx.w*(float32(row1[a1+ch])-float32(row1[a0+ch]))
				px[ch] = top + ty.w*(bot-top)
			}
			i := v*outW + u
			if l.grey {
				dst[i] = raster.Luma(px[0], px[1], px[2])*l.scale - l.mean[0]
				continue
			}
			dst[i] = px[o0]*k[0] + c[0]
			dst[plane+i] = px[o1]*k[1] + c[1]
			dst[2*plane+i] = px[o2]*k[2] + c[2]
		}
	}
}

// greyPatch samples a size×size luminance patch of the source rectangle,
// values 0–255, for the quality measures.
func greyPatch(dst []float32, img *raster.Image, x0, y0, w, h float64, size int) {
	sampleInto(dst, img, cropAffine(x0, y0, w, h, size, size), size, size, layout{grey: true, scale: 1, fill: -1})
}

func softmax(v []float32) []float32 {
	out := make([]float32, len(v))
	maxV := v[0]
	for _, x := range v {
		maxV = max(maxV, x)
	}
	var sum float32
	for i, x := range v {
		out[i] = float32(math.Exp(float64(x - maxV)))
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}
