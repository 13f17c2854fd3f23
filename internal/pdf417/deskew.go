package pdf417

import (
	"math"

	"github.com/kycd/kycd/internal/raster"
)

// skewAngle estimates how far the image's dominant straight edges (a
// barcode's bars, a card's text lines) are turned from the axes, in
// degrees within ±45, from a histogram of gradient directions folded onto
// a quarter turn.
func skewAngle(img *raster.Gray) float64 {
	const work = 800
	scale := math.Min(1, float64(work)/float64(max(img.W, img.H)))
	w, h := max(3, int(float64(img.W)*scale)), max(3, int(float64(img.H)*scale))
	// Box-average down: nearest-neighbour sampling would turn every slanted
	// edge into a staircase of axis-aligned ones.
	g := make([]float64, w*h)
	n := make([]float64, w*h)
	for y := 0; y < img.H; y++ {
		ty := min(h-1, int(float64(y)*scale))
		for x := 0; x < img.W; x++ {
			tx := min(w-1, int(float64(x)*scale))
			g[ty*w+tx] += float64(img.Pix[y*img.W+x])
			n[ty*w+tx]++
		}
	}
	for i := range g {
		g[i] /= max(n[i], 1)
	}
	const bins = 180 // half a degree each over 90°
	var hist [bins]float64
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			gx := g[i-w+1] + 2*g[i+1] + g[i+w+1] - g[i-w-1] - 2*g[i-1] - g[i+w-1]
			gy := g[i+w-1] + 2*g[i+w] + g[i+w+1] - g[i-w-1] - 2*g[i-w] - g[i-w+1]
			mag := math.Hypot(gx, gy)
			if mag < 200 {
				continue
			}
			a := math.Atan2(gy, gx) * 180 / math.Pi // −180…180
			a = math.Mod(a+360+45, 90) - 45         // fold: −45…45
			b := int((a + 45) * bins / 90)
			hist[min(bins-1, max(0, b))] += mag
		}
	}
	best := 0
	for b := range hist {
		// Smooth over neighbouring bins (circularly).
		s := func(b int) float64 { return hist[(b+bins-1)%bins] + 2*hist[b] + hist[(b+1)%bins] }
		if s(b) > s(best) {
			best = b
		}
	}
	return (float64(best)+0.5)*90/bins - 45
}

// rotate turns img by deg degrees (positive: clockwise) about its centre,
// growing the canvas to hold it and filling with white.
func rotate(img *raster.Gray, deg float64) *raster.Gray {
	a := deg * math.Pi / 180
	cos, sin := math.Cos(a), math.Sin(a)
	w := int(math.Abs(float64(img.W)*cos) + math.Abs(float64(img.H)*sin) + 0.5)
	h := int(math.Abs(float64(img.W)*sin) + math.Abs(float64(img.H)*cos) + 0.5)
	out := &raster.Gray{W: w, H: h, Pix: make([]uint8, w*h)}
	cx, cy := float64(img.W)/2, float64(img.H)/2
	ox, oy := float64(w)/2, float64(h)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)+0.5-ox, float64(y)+0.5-oy
			sx := cos*dx + sin*dy + cx - 0.5
			sy := -sin*dx + cos*dy + cy - 0.5
			ix, iy := int(math.Floor(sx)), int(math.Floor(sy))
			if ix < 0 || iy < 0 || ix+1 >= img.W || iy+1 >= img.H {
				out.Pix[y*w+x] = 255
				continue
			}
			fx, fy := sx-float64(ix), sy-float64(iy)
			p := func(xx, yy int) float64 { return float64(img.Pix[yy*img.W+xx]) }
			v := (p(ix, iy)*(1-fx)+p(ix+1, iy)*fx)*(1-fy) + (p(ix, iy+1)*(1-fx)+p(ix+1, iy+1)*fx)*fy
			out.Pix[y*w+x] = uint8(v + 0.5)
		}
	}
	return out
}
