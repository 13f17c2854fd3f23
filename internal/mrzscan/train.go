package mrzscan

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// atlas is the rendered font with its geometry, for training.
type atlas struct {
	g                                     *gray
	styles, cellWidth, rowHeight, originX int
	baseline                              int
	advance, capHeight                    float64
	cells                                 map[[3]int]*gray // char, style, weight+3 → cell
}

func loadAtlas() *atlas {
	geo, g := embeddedAtlas()
	a := &atlas{g: g, styles: geo.Styles, cellWidth: geo.CellWidth, rowHeight: geo.RowHeight, originX: geo.OriginX,
		baseline: geo.Baseline, advance: geo.Advance, capHeight: geo.CapHeight, cells: map[[3]int]*gray{}}
	for c := 0; c < nOut; c++ {
		for s := 0; s < a.styles; s++ {
			cell := a.g.crop(s*a.cellWidth, c*a.rowHeight, a.cellWidth, a.rowHeight)
			if cell.ink() == 0 {
				continue
			}
			for w := -3; w <= 3; w++ {
				a.cells[[3]int{c, s, w + 3}] = cell.morph(w)
			}
		}
	}
	return a
}

func (a *atlas) cell(r *rng, char, style, weight int) *gray {
	if g := a.cells[[3]int{char, style, weight + 3}]; g != nil {
		return g
	}
	return a.cells[[3]int{char, 0, weight + 3}]
}

// sample renders char between two random neighbours, degrades it and cuts
// out its patch with the errors a real reader makes in placing the cell.
func (a *atlas) sample(r *rng, char int, patch []float32) {
	style, weight := r.intn(a.styles), r.intn(7)-3
	pitch := a.advance * r.uniform(0.88, 1.15) // glyph width against pitch varies by printer
	chars := [3]int{r.intn(nOut), char, r.intn(nOut)}
	if r.float() < 0.3 {
		chars[0] = nOut - 1
	}
	if r.float() < 0.3 {
		chars[2] = nOut - 1
	}
	w := int(3*pitch) + a.cellWidth
	strip := &gray{w: w, h: a.rowHeight, pix: make([]float32, w*a.rowHeight)}
	for i := range strip.pix {
		strip.pix[i] = 255
	}
	for k, c := range chars {
		cell := a.cell(r, c, style, weight)
		x0 := int(math.Round(float64(k) * pitch))
		for y := 0; y < cell.h; y++ {
			for x := 0; x < cell.w && x0+x < w; x++ {
				v := cell.pix[y*cell.w+x]
				if v < strip.pix[y*w+x0+x] {
					strip.pix[y*w+x0+x] = v
				}
			}
		}
	}
	// Down to the photo's resolution: cap height 7–40 px.
	capPx := r.uniform(7, 40)
	if r.float() < 0.4 {
		capPx = r.uniform(7, 16) // low-resolution scans are the hard case
	}
	s := capPx / a.capHeight
	lw, lh := max(4, int(float64(w)*s)), max(4, int(float64(a.rowHeight)*s))
	low := &gray{w: lw, h: lh, pix: make([]float32, lw*lh)}
	k := int(math.Ceil(1/s)) + 1
	for y := 0; y < lh; y++ {
		for x := 0; x < lw; x++ {
			var sum float32
			for sy := 0; sy < k; sy++ {
				for sx := 0; sx < k; sx++ {
					sum += strip.bilinear((float64(x)+(float64(sx)+0.5)/float64(k))/s, (float64(y)+(float64(sy)+0.5)/float64(k))/s)
				}
			}
			low.pix[y*lw+x] = sum / float32(k*k)
		}
	}
	if sigma := r.uniform(0, 1.1); sigma > 0.3 {
		low = blur(low, sigma)
	}
	ink, paper := r.uniform(0, 110), r.uniform(150, 255)
	noise := r.uniform(0, 10)
	gx, gy := r.uniform(-1.5, 1.5), r.uniform(-1.5, 1.5)
	for y := 0; y < lh; y++ {
		for x := 0; x < lw; x++ {
			i := y*lw + x
			v := float64(low.pix[i]) / 255
			bg := paper + gx*float64(x-lw/2) + gy*float64(y-lh/2)
			low.pix[i] = float32(ink + (bg-ink)*v + noise*r.norm())
		}
	}
	// The cell as a reader would place it: a little off in position,
	// pitch, height and angle.
	ps := pitch * s
	cx := (float64(a.originX) + pitch + a.advance/2) * s
	cy := (float64(a.baseline) - a.capHeight/2) * s
	c := point{cx + r.uniform(-0.12, 0.12)*ps, cy + r.uniform(-0.08, 0.08)*capPx}
	ang := r.uniform(-0.035, 0.035)
	u := point{math.Cos(ang), math.Sin(ang)}
	low.samplePatch(patch, c, u, u.perp(), ps*r.uniform(0.95, 1.05), capPx*r.uniform(0.9, 1.1))
	normalize(patch)
}

func blur(g *gray, sigma float64) *gray {
	rad := int(math.Ceil(2 * sigma))
	kern := make([]float32, 2*rad+1)
	var sum float32
	for i := range kern {
		d := float64(i - rad)
		kern[i] = float32(math.Exp(-d * d / (2 * sigma * sigma)))
		sum += kern[i]
	}
	for i := range kern {
		kern[i] /= sum
	}
	tmp := &gray{w: g.w, h: g.h, pix: make([]float32, len(g.pix))}
	out := &gray{w: g.w, h: g.h, pix: make([]float32, len(g.pix))}
	for y := 0; y < g.h; y++ {
		for x := 0; x < g.w; x++ {
			var s float32
			for i, k := range kern {
				xx := min(max(x+i-rad, 0), g.w-1)
				s += k * g.pix[y*g.w+xx]
			}
			tmp.pix[y*g.w+x] = s
		}
	}
	for y := 0; y < g.h; y++ {
		for x := 0; x < g.w; x++ {
			var s float32
			for i, k := range kern {
				yy := min(max(y+i-rad, 0), g.h-1)
				s += k * tmp.pix[yy*g.w+x]
			}
			out.pix[y*g.w+x] = s
		}
	}
	return out
}

// realShare is the share of training samples drawn from real glyphs, for
// the characters that have any.
const realShare = 0.3

// Train fits the glyph classifier on freshly generated samples (epochs ×
// perClass per character) with minibatch SGD and momentum, mixed with real
// printers' glyphs (Harvest) where there are any, reports the accuracy on
// a held-out generated set and on held-out real glyphs after each epoch,
// and returns the weights in the embedded format.
func Train(epochs, perClass int, real, heldOut []Glyph, log io.Writer) []byte {
	byClass := make([][]Glyph, nOut)
	for _, g := range real {
		k := strings.IndexByte(alphabet, g.Char)
		byClass[k] = append(byClass[k], g)
	}
	a := loadAtlas()
	m := newMLP(1)
	r := newRand(7)
	vel := make([][]float32, 4)
	for i, p := range m.params() {
		vel[i] = make([]float32, len(p))
	}
	grads := make([][]float32, 4)
	for i, p := range m.params() {
		grads[i] = make([]float32, len(p))
	}
	// Held-out set, fixed.
	vr := newRand(99)
	const valPer = 60
	val := make([][]float32, 0, valPer*nOut)
	valY := make([]int, 0, valPer*nOut)
	for c := 0; c < nOut; c++ {
		for i := 0; i < valPer; i++ {
			p := make([]float32, nIn)
			a.sample(vr, c, p)
			val = append(val, p)
			valY = append(valY, c)
		}
	}
	const batch = 32
	x := make([]float32, nIn)
	hidden := make([]float32, nHidden)
	logits := make([]float32, nOut)
	dh := make([]float32, nHidden)
	patch := make([]float32, nIn)
	lr := float32(0.02)
	for ep := 0; ep < epochs; ep++ {
		n := perClass * nOut
		var loss float64
		for it := 0; it < n; it++ {
			y := r.intn(nOut)
			if len(byClass[y]) > 0 && r.float() < realShare {
				copy(patch, byClass[y][r.intn(len(byClass[y]))].Patch)
			} else {
				a.sample(r, y, patch)
			}
			for i, v := range patch {
				x[i] = v * inputScale
			}
			m.forward(x, hidden, logits)
			mx := logits[0]
			for _, l := range logits {
				mx = max(mx, l)
			}
			var sum float64
			for k := range logits {
				sum += math.Exp(float64(logits[k] - mx))
			}
			loss += -float64(logits[y]-mx) + math.Log(sum)
			clear(dh)
			for k := 0; k < nOut; k++ {
				d := float32(math.Exp(float64(logits[k]-mx)) / sum)
				if k == y {
					d--
				}
				grads[3][k] += d
				w := m.w2[k*nHidden : (k+1)*nHidden]
				g := grads[2][k*nHidden : (k+1)*nHidden]
				for j, h := range hidden {
					g[j] += d * h
					dh[j] += d * w[j]
				}
			}
			for j := 0; j < nHidden; j++ {
				if hidden[j] <= 0 {
					continue
				}
				grads[1][j] += dh[j]
				g := grads[0][j*nIn : (j+1)*nIn]
				for i, v := range x {
					g[i] += dh[j] * v
				}
			}
			if (it+1)%batch == 0 {
				for pi, p := range m.params() {
					for i := range p {
						vel[pi][i] = 0.9*vel[pi][i] - lr*grads[pi][i]/batch
						p[i] += vel[pi][i]
					}
					clear(grads[pi])
				}
			}
		}
		guess := func(v []float32) int {
			for j := range v {
				x[j] = v[j] * inputScale
			}
			m.forward(x, hidden, logits)
			best := 0
			for k := range logits {
				if logits[k] > logits[best] {
					best = k
				}
			}
			return best
		}
		right := 0
		for i, v := range val {
			if guess(v) == valY[i] {
				right++
			}
		}
		realRight := 0
		for _, g := range heldOut {
			if alphabet[guess(g.Patch)] == g.Char {
				realRight++
			}
		}
		fmt.Fprintf(log, "epoch %d: loss %.4f, held-out accuracy %.2f%%, held-out real glyphs %.2f%% (%d)\n", ep+1, loss/float64(n),
			100*float64(right)/float64(len(val)), 100*float64(realRight)/float64(max(1, len(heldOut))), len(heldOut))
		if ep == epochs*2/3 {
			lr /= 4
		}
	}
	return m.marshal()
}
