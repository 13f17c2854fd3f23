// Package mrzscan finds the machine-readable zone in a photo of a travel
// document, at any of the four right-angle rotations and a small skew, and
// reads it. It is kycd's own OCR for the MRZ: the zone is printed in OCR-B
// at a fixed pitch, so each line is cut into its known number of cells and
// every cell is matched against reference glyphs rendered from the OCR-B
// font, allowing only the characters ICAO 9303 permits at that position (no
// O in a date, no 0 in a name). Where a check digit fails, a second-best
// reading that makes it pass, and is the only one that does, is taken and
// the field is marked as repaired.
package mrzscan

import (
	"errors"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/mrz"
)

// ErrNotFound means no machine-readable zone could be found or read.
var ErrNotFound = errors.New("mrzscan: no machine-readable zone found")

// Result is a read zone.
type Result struct {
	MRZ        *mrz.MRZ
	Text       string    // the lines as read, before any repair, joined by newlines
	Confidence float64   // 0–100: how well the cells match the glyphs, lowered by failing checks
	Angle      float64   // the text's reading direction in degrees, clockwise from →
	Corners    [4][2]int // the zone's corners in the image, clockwise from the top left of the text
	CharScores [][]float64
}

// Options tune Read.
type Options struct {
	Now time.Time // resolves two-digit years; time.Now() when zero
}

// maxWork bounds the working image's longer side: enough for a passport
// that fills a fraction of a phone photo, small enough to stay fast.
const maxWork = 2000

// Read finds and reads the MRZ in img.
func Read(img *face.Image, o Options) (*Result, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	g, scale := workImage(img)
	bin := binarize(g)
	cs := components(bin, g.w, g.h, 5, float64(max(g.w, g.h))/8)
	var best *candidate
	for _, transposed := range []bool{false, true} {
		frame := cs
		if transposed {
			frame = make([]comp, len(cs))
			for i, c := range cs {
				frame[i] = c.swap()
			}
		}
		for _, z := range zones(chains(frame)) {
			for _, flip := range []bool{false, true} {
				c := readZone(g, z, transposed, flip, o.Now)
				if c != nil && (best == nil || c.better(best)) {
					best = c
				}
			}
		}
	}
	if best == nil || best.meanScore < 0.45 {
		return nil, ErrNotFound
	}
	return best.result(scale), nil
}

// workImage converts img to grey, shrunk so its longer side is at most
// maxWork, or enlarged twice when it is small (under 900 px), which keeps
// the characters of low-resolution scans apart.
func workImage(img *face.Image) (*gray, float64) {
	long := max(img.W, img.H)
	scale := 1.0
	switch {
	case long > maxWork:
		scale = float64(maxWork) / float64(long)
	case long < 900:
		scale = 2
	}
	w, h := max(1, int(float64(img.W)*scale)), max(1, int(float64(img.H)*scale))
	g := &gray{w: w, h: h, pix: make([]float32, w*h)}
	src := &gray{w: img.W, h: img.H, pix: make([]float32, img.W*img.H)}
	for i := range src.pix {
		p := img.Pix[3*i : 3*i+3]
		src.pix[i] = 0.299*float32(p[0]) + 0.587*float32(p[1]) + 0.114*float32(p[2])
	}
	if scale == 1 {
		return src, 1
	}
	k := int(math.Ceil(1 / scale))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if scale > 1 {
				g.pix[y*w+x] = src.bilinear((float64(x)+0.5)/scale, (float64(y)+0.5)/scale)
				continue
			}
			var sum float32
			for sy := 0; sy < k; sy++ {
				for sx := 0; sx < k; sx++ {
					sum += src.bilinear((float64(x)+(float64(sx)+0.5)/float64(k))/scale, (float64(y)+(float64(sy)+0.5)/float64(k))/scale)
				}
			}
			g.pix[y*w+x] = sum / float32(k*k)
		}
	}
	return g, scale
}

// cell is one read character with its best and second-best reading.
type cell struct {
	best, second           byte
	bestScore, secondScore float32
}

// candidate is one reading of one zone in one direction.
type candidate struct {
	format    mrz.Format
	cells     [][]cell
	corners   [4]point
	angle     float64
	parsed    *mrz.MRZ
	valid     int // check digits that pass
	meanScore float64
}

func (c *candidate) better(o *candidate) bool {
	if c.valid != o.valid {
		return c.valid > o.valid
	}
	return c.meanScore > o.meanScore
}

func (c *candidate) text() string {
	lines := make([]string, len(c.cells))
	for i, l := range c.cells {
		b := make([]byte, len(l))
		for j, x := range l {
			b[j] = x.best
		}
		lines[i] = string(b)
	}
	return strings.Join(lines, "\n")
}

func (c *candidate) result(scale float64) *Result {
	r := &Result{MRZ: c.parsed, Text: c.text(), Angle: c.angle}
	for i, p := range c.corners {
		r.Corners[i] = [2]int{int(math.Round(p.x / scale)), int(math.Round(p.y / scale))}
	}
	for _, l := range c.cells {
		s := make([]float64, len(l))
		for j, x := range l {
			s[j] = float64(x.bestScore)
		}
		r.CharScores = append(r.CharScores, s)
	}
	conf := 100 * math.Max(0, math.Min(1, (c.meanScore-0.4)/0.5))
	if !c.parsed.Valid {
		conf *= 0.6
	}
	r.Confidence = math.Round(conf*10) / 10
	return r
}

// lineGeom is where one MRZ line's cells are, in image coordinates.
type lineGeom struct {
	origin point // centre of the first cell
	u      point // reading direction, unit
	pitch  float64
	height float64 // cap height
}

func (l lineGeom) cellCenter(i int) point { return l.origin.add(l.u.scale(float64(i) * l.pitch)) }

// readZone reads the lines of a zone (in the frame's coordinates) as an MRZ
// read in the frame's left-to-right direction, or in the opposite one.
func readZone(g *gray, z []*chain, transposed, flip bool, now time.Time) *candidate {
	n := 30
	if len(z) == 2 {
		n = 36
		if est := cellsEstimate(z[0]); est > 40 {
			n = 44
		}
	}
	var geoms []lineGeom
	for _, ch := range z {
		lg, ok := lineCells(ch, n)
		if !ok {
			return nil
		}
		if transposed {
			lg.origin = point{lg.origin.y, lg.origin.x}
			lg.u = point{lg.u.y, lg.u.x}
		}
		if flip {
			lg.origin = lg.cellCenter(n - 1)
			lg.u = lg.u.scale(-1)
		}
		geoms = append(geoms, lg)
	}
	// Lines from the top of the text down.
	v := geoms[0].u.perp()
	sort.Slice(geoms, func(i, j int) bool { return geoms[i].origin.dot(v) < geoms[j].origin.dot(v) })

	c := &candidate{angle: math.Mod(math.Atan2(geoms[0].u.y, geoms[0].u.x)*180/math.Pi+360, 360)}
	first, last := geoms[0], geoms[len(geoms)-1]
	hu, hv := first.u.scale(first.pitch/2), v.scale(first.height*0.75)
	c.corners = [4]point{
		first.origin.sub(hu).sub(hv), first.cellCenter(n - 1).add(hu).sub(hv),
		last.cellCenter(n - 1).add(hu).add(hv), last.origin.sub(hu).add(hv),
	}
	ref := reference()
	// The format follows from the shape, and for 2 lines from the first
	// letter (V: a visa).
	switch {
	case n == 30:
		c.format = mrz.TD1
	case n == 36:
		c.format = mrz.TD2
	default:
		c.format = mrz.TD3
	}
	scores := map[byte]float32{}
	shifted := make([][][][]float32, len(geoms)) // line, cell, shift → patch
	allowedAt := make([][]string, len(geoms))
	for li, lg := range geoms {
		shifted[li] = make([][][]float32, n)
		allowedAt[li] = make([]string, n)
		row := make([]cell, n)
		for i := 0; i < n; i++ {
			if li == 1 && i == 0 && len(geoms) == 2 && c.cells[0][0].best == 'V' {
				if n == 36 {
					c.format = mrz.MRVB
				} else {
					c.format = mrz.MRVA
				}
			}
			allowed := mrz.Allowed(c.format, li, i)
			allowedAt[li][i] = allowed
			clear(scores)
			center := lg.cellCenter(i)
			for _, sv := range []float64{-0.08, 0, 0.08} {
				for _, su := range []float64{-0.12, 0, 0.12} {
					p := center.add(lg.u.scale(su * lg.pitch)).add(v.scale(sv * lg.height))
					patch := make([]float32, patchW*patchH)
					g.samplePatch(patch, p, lg.u, v, lg.pitch, lg.height)
					if !normalize(patch) {
						continue
					}
					shifted[li][i] = append(shifted[li][i], patch)
					ref.score(patch, allowed, scores)
				}
			}
			row[i] = pick(scores)
		}
		c.cells = append(c.cells, row)
	}
	// How well the font fits decides the direction: the document's own
	// glyphs would fit an upside-down reading just as well.
	var total float64
	for _, row := range c.cells {
		for _, x := range row {
			total += float64(x.bestScore)
		}
	}
	c.meanScore = total / float64(n*len(geoms))
	c.selfCalibrate(shifted, allowedAt)
	c.parse(now)
	return c
}

// selfCalibrate settles letter-or-digit doubts in mixed fields (document
// numbers, optional data) with the document's own glyphs. Cells where the
// layout allows only digits (dates) or only letters (names), read with a
// clear margin, show how this printer draws those characters. When a mixed
// cell's two best readings are a letter and a digit, the one whose
// exemplars on this document resemble the cell more wins, provided it has
// exemplars at all. The font alone tells OCR-B's 0 from O poorly once a
// printer has widened or blurred them.
func (c *candidate) selfCalibrate(shifted [][][][]float32, allowedAt [][]string) {
	ex := map[byte][][]float32{}
	for li, row := range c.cells {
		for i, x := range row {
			a := allowedAt[li][i]
			if a == mrz.Alphanumeric || len(shifted[li][i]) != 9 || x.bestScore < 0.6 || x.bestScore-x.secondScore < 0.04 {
				continue
			}
			ex[x.best] = append(ex[x.best], shifted[li][i][4])
		}
	}
	isDigit := func(b byte) bool { return b >= '0' && b <= '9' }
	likeness := func(patches [][]float32, char byte) (float32, bool) {
		var best float32 = -1
		for _, e := range ex[char] {
			for _, p := range patches {
				var s float32
				for j, x := range p {
					s += x * e[j]
				}
				best = max(best, s)
			}
		}
		return best, len(ex[char]) > 0
	}
	for li, row := range c.cells {
		for i := range row {
			x := &row[i]
			if allowedAt[li][i] != mrz.Alphanumeric || x.secondScore < 0 || isDigit(x.best) == isDigit(x.second) ||
				x.best == '<' || x.second == '<' {
				continue
			}
			sb, okb := likeness(shifted[li][i], x.best)
			ss, oks := likeness(shifted[li][i], x.second)
			if oks && (!okb || ss > sb) {
				x.best, x.second = x.second, x.best
				x.bestScore, x.secondScore = x.secondScore, x.bestScore
			}
		}
	}
}

// pick takes the best and second-best characters. A blank cell (nothing
// to correlate) reads as the filler.
func pick(scores map[byte]float32) cell {
	x := cell{best: '<', second: '<', bestScore: 0, secondScore: -1}
	first := true
	for ch, s := range scores {
		switch {
		case first || s > x.bestScore:
			if !first {
				x.second, x.secondScore = x.best, x.bestScore
			}
			x.best, x.bestScore = ch, s
			first = false
		case s > x.secondScore:
			x.second, x.secondScore = ch, s
		}
	}
	return x
}

func (c *candidate) parse(now time.Time) {
	m, err := mrz.Parse(c.text(), now)
	if err != nil {
		return
	}
	c.parsed = m
	c.valid = 0
	for _, ch := range m.Checks {
		if ch.Valid {
			c.valid++
		}
	}
	if !m.Valid {
		c.repair(now)
	}
}

// repair tries, for each failing check, every single cell's second-best
// reading inside the checked field; a change is taken when exactly one
// makes that check pass and the zone then has more passing checks. At
// most mrz.MaxRepairs cells change.
func (c *candidate) repair(now time.Time) {
	m := c.parsed
	budget := mrz.MaxRepairs - len(m.Repaired)
	for budget > 0 && !m.Valid {
		type edit struct{ line, pos int }
		var found []edit
		for li, row := range c.cells {
			for i, x := range row {
				if x.secondScore < 0 || x.bestScore-x.secondScore > 0.2 {
					continue
				}
				lines := strings.Split(c.text(), "\n")
				b := []byte(lines[li])
				b[i] = x.second
				lines[li] = string(b)
				t, err := mrz.Parse(strings.Join(lines, "\n"), now)
				if err != nil {
					continue
				}
				if passing(t) > c.valid {
					found = append(found, edit{li, i})
				}
			}
		}
		if len(found) != 1 {
			return // nothing, or more than one way: not proven
		}
		e := found[0]
		x := &c.cells[e.line][e.pos]
		before := passingNames(m)
		x.best, x.second = x.second, x.best
		x.bestScore, x.secondScore = x.secondScore, x.bestScore
		t, _ := mrz.Parse(c.text(), now)
		for _, ch := range t.Checks {
			if ch.Valid && !slices.Contains(before, ch.Field) && ch.Field != "composite" {
				t.Repaired = append(t.Repaired, ch.Field)
			}
		}
		t.Repaired = append(m.Repaired, t.Repaired...)
		c.parsed, m = t, t
		c.valid = passing(t)
		budget--
	}
}

func passing(m *mrz.MRZ) int {
	n := 0
	for _, ch := range m.Checks {
		if ch.Valid {
			n++
		}
	}
	return n
}

func passingNames(m *mrz.MRZ) []string {
	var out []string
	for _, ch := range m.Checks {
		if ch.Valid {
			out = append(out, ch.Field)
		}
	}
	return out
}

// cellsEstimate guesses how many cells a line has from the spacing of its
// single-character components.
func cellsEstimate(ch *chain) float64 {
	pitch := medianPitch(ch)
	if pitch <= 0 {
		return 0
	}
	first, last := ch.comps[0].center().x, ch.comps[len(ch.comps)-1].center().x
	return (last-first)/pitch + 1
}

func medianPitch(ch *chain) float64 {
	var d []float64
	for i := 1; i < len(ch.comps); i++ {
		a, b := ch.comps[i-1], ch.comps[i]
		if a.w() < 0.9*ch.height && b.w() < 0.9*ch.height {
			d = append(d, b.center().x-a.center().x)
		}
	}
	if len(d) < 5 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// lineCells places n cells on a chain: the pitch and the first cell's
// centre are fitted to the centres of its single-character components,
// each assigned to its nearest cell.
func lineCells(ch *chain, n int) (lineGeom, bool) {
	u := point{1, ch.b}.norm()
	at := func(p point) float64 { return (p.x - ch.start()) * math.Sqrt(1+ch.b*ch.b) }
	first, last := at(ch.comps[0].center()), at(ch.comps[len(ch.comps)-1].center())
	pitch := (last - first) / float64(n-1)
	if pitch <= 0 {
		return lineGeom{}, false
	}
	c0 := first
	for iter := 0; iter < 3; iter++ {
		var sx, sy, sxx, sxy, cnt float64
		for _, c := range ch.comps {
			if c.w() > 0.9*ch.height {
				continue // merged characters
			}
			t := at(c.center())
			k := math.Round((t - c0) / pitch)
			if k < 0 || k >= float64(n) || math.Abs(t-c0-k*pitch) > 0.3*pitch {
				continue
			}
			sx += k
			sy += t
			sxx += k * k
			sxy += k * t
			cnt++
		}
		den := cnt*sxx - sx*sx
		if cnt < 5 || den == 0 {
			break
		}
		pitch = (cnt*sxy - sx*sy) / den
		c0 = (sy - pitch*sx) / cnt
	}
	x0 := ch.start() + c0/math.Sqrt(1+ch.b*ch.b)
	return lineGeom{origin: point{x0, ch.a + ch.b*x0}, u: u, pitch: pitch, height: ch.height}, true
}
