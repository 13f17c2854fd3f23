package docgen

import (
	"bytes"
	"image/jpeg"
	"math"
	"math/rand/v2"

	"github.com/kycd/kycd/internal/raster"
)

// Shot is how a document is photographed.
type Shot struct {
	Width   int     // the photo's width in pixels before the right-angle turn
	Skew    float64 // degrees the document is turned on the table
	Turn    int     // 0, 90, 180 or 270: the photo's right-angle rotation, clockwise
	Blur    float64 // Gaussian blur, σ in pixels
	Quality int     // JPEG quality
	Margin  float64 // table around the document, as a share of its width
	// Bend bows the page as an open booklet's page bows: its middle sits
	// lower than its left and right edges by Bend × its height.
	Bend float64
	// Lean is the perspective of a page seen from its left: a feature's
	// width grows from the left edge to the right by 2 × Lean.
	Lean float64
}

// Photograph lays img on a table, turns and blurs it, and encodes it as a
// JPEG.
func Photograph(img *raster.Image, s Shot, r *rand.Rand) ([]byte, error) {
	if s.Quality == 0 {
		s.Quality = 90
	}
	if s.Width == 0 {
		s.Width = img.W
	}
	docW := float64(s.Width) / (1 + 2*s.Margin)
	scale := docW / float64(img.W)
	docH := float64(img.H) * scale
	outW, outH := s.Width, int(docH+2*s.Margin*docW)
	out := &raster.Image{W: outW, H: outH, Pix: make([]uint8, 3*outW*outH)}
	a := s.Skew * math.Pi / 180
	cos, sin := math.Cos(a), math.Sin(a)
	cx, cy := float64(outW)/2, float64(outH)/2
	table := [3]float64{90 + 40*r.Float64(), 80 + 30*r.Float64(), 70 + 20*r.Float64()}
	k := max(2, int(math.Ceil(1/scale))) // supersampled: no staircase edges
	for y := 0; y < outH; y++ {
		for x := 0; x < outW; x++ {
			var sum [3]float64
			inside := 0
			for sy := 0; sy < k; sy++ {
				for sx := 0; sx < k; sx++ {
					px := float64(x) + (float64(sx)+0.5)/float64(k) - cx
					py := float64(y) + (float64(sy)+0.5)/float64(k) - cy
					// Into the document's frame.
					dx := (cos*px + sin*py) / scale
					dy := (-sin*px + cos*py) / scale
					if s.Lean != 0 || s.Bend != 0 {
						dx, dy = s.unbend(dx, dy, float64(img.W), float64(img.H))
					}
					fx, fy := dx+float64(img.W)/2-0.5, dy+float64(img.H)/2-0.5
					ix, iy := int(math.Floor(fx)), int(math.Floor(fy))
					if ix < 0 || iy < 0 || ix+1 >= img.W || iy+1 >= img.H {
						continue
					}
					inside++
					ax, ay := fx-float64(ix), fy-float64(iy)
					for c := 0; c < 3; c++ {
						p := func(x, y int) float64 { return float64(img.Pix[3*(y*img.W+x)+c]) }
						sum[c] += (p(ix, iy)*(1-ax)+p(ix+1, iy)*ax)*(1-ay) + (p(ix, iy+1)*(1-ax)+p(ix+1, iy+1)*ax)*ay
					}
				}
			}
			n := float64(k * k)
			o := 3 * (y*outW + x)
			shade := 1 - 0.25*float64(y)/float64(outH)
			for c := 0; c < 3; c++ {
				v := (sum[c] + float64(k*k-inside)*table[c]*shade) / n
				out.Pix[o+c] = uint8(math.Max(0, math.Min(255, v)))
			}
		}
	}
	if s.Blur > 0.2 {
		out = blurImage(out, s.Blur)
	}
	out = out.Turn(s.Turn)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, out.ToRGBA(), &jpeg.Options{Quality: s.Quality}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// unbend is where on a w×h page (centred coordinates) the point seen at
// (x, y) lies when the page is bent and leans as s says.
func (s Shot) unbend(x, y, w, h float64) (float64, float64) {
	// Seen x = u + Lean·(u² − w²/4)/w for page x u: solve for u.
	if s.Lean != 0 {
		a, c := s.Lean/w, -x-s.Lean*w/4
		x = (-1 + math.Sqrt(1-4*a*c)) / (2 * a)
	}
	u := 2 * x / w
	return x, y - s.Bend*h*(1-u*u)
}

func blurImage(m *raster.Image, sigma float64) *raster.Image {
	rad := int(math.Ceil(2.5 * sigma))
	kern := make([]float64, 2*rad+1)
	var sum float64
	for i := range kern {
		d := float64(i - rad)
		kern[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += kern[i]
	}
	for i := range kern {
		kern[i] /= sum
	}
	tmp := make([]float64, len(m.Pix))
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			for c := 0; c < 3; c++ {
				var s float64
				for i, kv := range kern {
					xx := min(max(x+i-rad, 0), m.W-1)
					s += kv * float64(m.Pix[3*(y*m.W+xx)+c])
				}
				tmp[3*(y*m.W+x)+c] = s
			}
		}
	}
	out := &raster.Image{W: m.W, H: m.H, Pix: make([]uint8, len(m.Pix))}
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			for c := 0; c < 3; c++ {
				var s float64
				for i, kv := range kern {
					yy := min(max(y+i-rad, 0), m.H-1)
					s += kv * tmp[3*(yy*m.W+x)+c]
				}
				out.Pix[3*(y*m.W+x)+c] = uint8(math.Max(0, math.Min(255, s+0.5)))
			}
		}
	}
	return out
}
