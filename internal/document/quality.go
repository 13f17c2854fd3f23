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

// AssessQuality measures an image at a fixed working width (800 px), so
// that sharpness does not depend on the camera's resolution.
func AssessQuality(img *raster.Image) Quality {
	q := Quality{Width: img.W, Height: img.H, Warnings: []string{}}
	const work = 800
	w := min(work, img.W)
	h := max(1, img.H*w/img.W)
	grey := make([]float64, w*h)
	sx, sy := float64(img.W)/float64(w), float64(img.H)/float64(h)
	var sum float64
	blown := 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			// Box-average the source pixels under this one.
			x0, y0 := int(float64(x)*sx), int(float64(y)*sy)
			x1, y1 := max(x0+1, int(float64(x+1)*sx)), max(y0+1, int(float64(y+1)*sy))
			var acc float64
			n := 0
			for yy := y0; yy < y1 && yy < img.H; yy++ {
				for xx := x0; xx < x1 && xx < img.W; xx++ {
					p := img.Pix[3*(yy*img.W+xx):]
					acc += float64(raster.Luma(float32(p[0]), float32(p[1]), float32(p[2])))
					n++
				}
			}
			v := acc / float64(max(n, 1))
			grey[y*w+x] = v
			sum += v
			if v >= 250 {
				blown++
			}
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
	if img.W < 600 || img.H < 380 {
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
