package document

import (
	"math"

	"github.com/kycd/kycd/internal/raster"
)

// Quality describes whether a document photo can be read, with warnings an
// applicant can act on.
type Quality struct {
	Width      int      `json:"width"`
	Height     int      `json:"height"`
	Sharpness  float64  `json:"sharpness" doc:"0–100, from the variance of the Laplacian at a fixed scale"`
	Glare      float64  `json:"glare" doc:"share of blown-out pixels, 0–1"`
	Brightness float64  `json:"brightness" doc:"mean luminance, 0–100"`
	Warnings   []string `json:"warnings"`
}

// Warning codes.
const (
	WarnLowResolution = "low_resolution"
	WarnBlurry        = "blurry"
	WarnGlare         = "glare"
	WarnTooDark       = "too_dark"
)

// AssessQuality measures an image, given as its grey picture, at a fixed
// working width (800 px), so that sharpness does not depend on the
// camera's resolution.
func AssessQuality(g *raster.Gray) Quality {
	q := Quality{Width: g.W, Height: g.H, Warnings: []string{}}
	const work = 800
	w := min(work, g.W)
	h := max(1, g.H*w/g.W)
	small := g
	if w != g.W || h != g.H {
		small = g.Shrink(w, h)
	}
	grey := make([]float64, w*h)
	var sum float64
	blown := 0
	for i, p := range small.Pix {
		v := float64(p)
		grey[i] = v
		sum += v
		if v >= 250 {
			blown++
		}
	}
	q.Brightness = sum / float64(w*h) / 255 * 100
	q.Glare = float64(blown) / float64(w*h)
	var lap, lap2 float64
	n := 0
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			l := 4*grey[i] - grey[i-1] - grey[i+1] - grey[i-w] - grey[i+w]
			lap += l
			lap2 += l * l
			n++
		}
	}
	if n > 0 {
		variance := lap2/float64(n) - (lap/float64(n))*(lap/float64(n))
		q.Sharpness = 100 * (1 - math.Exp(-variance/200))
	}
	if g.W < 600 || g.H < 380 {
		q.Warnings = append(q.Warnings, WarnLowResolution)
	}
	if q.Sharpness < 35 {
		q.Warnings = append(q.Warnings, WarnBlurry)
	}
	if q.Glare > 0.05 {
		q.Warnings = append(q.Warnings, WarnGlare)
	}
	if q.Brightness < 20 {
		q.Warnings = append(q.Warnings, WarnTooDark)
	}
	return q
}
