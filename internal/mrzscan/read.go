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
	"image"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/mrz"
	"github.com/kycd/kycd/internal/raster"
)

// ErrNotFound means no machine-readable zone could be found or read.
var ErrNotFound = errors.New("mrzscan: no machine-readable zone found")

// Result is a read zone.
type Result struct {
	MRZ        *mrz.MRZ
	Text       string  // the lines as the classifier read them, before any repair, joined by newlines
	Confidence float64 // 0–100: how well the cells match the glyphs, lowered by failing checks
	Angle      float64 // the text's reading direction in degrees, clockwise from →
	// Zone is where the lines are in the picture read: its corners as the
	// text reads (top left, top right, bottom right, bottom left), half a
	// character beyond the print on every side.
	Zone [4]image.Point
	// Page is where the document's page is, at most: its size for the
	// format (ICAO 9303) laid around the zone, three characters wider on
	// every side; corners in the same order as Zone's, and they may be
	// outside the picture.
	Page [4]image.Point
	// Sure is, for each cell of each line, the probability the classifier
	// gave the character the reading holds (after any repair), the mean
	// over the placements tried; 0 where the cell had nothing to read.
	// No check digit covers the names: this is what says how sure their
	// letters are.
	Sure [][]float32
}

// Options tune Read.
type Options struct {
	Now time.Time // resolves two-digit years; time.Now() when zero
}

// maxWork bounds the working image's longer side: enough for a passport
// that fills a fraction of a phone photo, small enough to stay fast.
const maxWork = 2000

// Read finds and reads the MRZ in img.
func Read(img *raster.Image, o Options) (*Result, error) { return ReadGray(img.Gray(), o) }

// ReadGray finds and reads the MRZ in an image given as its grey picture,
// for callers that share one between readers.
func ReadGray(img *raster.Gray, o Options) (*Result, error) {
	best := readBest(img, o)
	turned := 0.0
	if !best.passes() || best.meanScore < sureFit {
		// The lines are followed up to about 15° off a right angle; a card
		// photographed at 20–70° is found turned straight by the picture's
		// skew (its edges' dominant direction), or else by 30° or 60°. Near the edge of that
		// tolerance the cells sit askew and read as garbage, which a
		// repair can make pass (a card at 70° read as CFRAW2SN…, passing
		// at a font fit of 0.65): a reading that fits the font poorly is
		// held against the straightened one too, and the better fitting
		// passing reading wins.
		turns := obliqueTurns
		if a := img.Skew(); math.Abs(a) > obliqueSkew {
			turns = append([]float64{-a}, turns...)
		}
		for _, deg := range turns {
			if c := readBest(img.Rotate(deg), o); c.passes() && (!best.passes() || c.meanScore > best.meanScore) {
				best, turned = c, deg
			}
			if best.passes() && best.meanScore >= sureFit {
				break
			}
		}
	}
	if best == nil {
		return nil, ErrNotFound
	}
	r := best.result()
	if turned != 0 {
		r.unrotate(img, turned)
	}
	return r, nil
}

// sureFit is the font fit (mean glyph score) of a clean reading: generated
// documents read square at 0.88–0.91, askew past the lines' tolerance at
// 0.65–0.79.
const sureFit = 0.85

// obliqueSkew is the skew past which a picture is first read straightened
// (the lines' own tolerance is about 15°); where that reads nothing well,
// the obliqueTurns, which with the right angles and that tolerance cover
// every angle, are tried too (the skew follows whatever edges dominate:
// a table's, a background's).
const obliqueSkew = 8

var obliqueTurns = []float64{-30, -60}

// unrotate maps a reading of img turned by deg back onto img: its angle
// and its corners.
func (r *Result) unrotate(img *raster.Gray, deg float64) {
	r.Angle = math.Mod(r.Angle-deg+360, 360)
	back := func(q [4]image.Point) [4]image.Point {
		for i, p := range q {
			x, y := raster.Unrotate(img.W, img.H, deg, float64(p.X), float64(p.Y))
			q[i] = image.Pt(int(math.Round(x)), int(math.Round(y)))
		}
		return q
	}
	r.Zone, r.Page = back(r.Zone), back(r.Page)
}

// readBest finds the zones of an image, reads the likeliest and returns
// the best reading (nil when none fits the font).
func readBest(img *raster.Gray, o Options) *candidate {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	g := workImage(img)
	sums := integral(g)
	best := readAt(g, sums, o, darkPrint)
	if !best.passes() {
		// Fine lines of a coloured guilloche through the zone, darker
		// than the paper around them, join its characters into shapes no
		// character has; the black ink alone still shows them apart.
		// The second reading replaces the first only when it passes every
		// check and the font fits it about as well or better: a zone that
		// prints a wrong check digit also comes here.
		if c := readAt(g, sums, o, blackInk); c.passes() && (best == nil || c.meanScore >= best.meanScore-0.05) {
			best = c
		}
	}
	if best == nil {
		return nil
	}
	best.scale = float64(img.W) / float64(g.w)
	return best
}

// How much darker than its neighbourhood a pixel of a character is: any
// print (darkPrint), or only the MRZ's black ink (blackInk), which a
// coloured background's lines never are.
const (
	darkPrint = 0.82
	blackInk  = 0.5
)

// readAt reads the working image with the characters told from the page
// by the threshold dark (see binarize).
func readAt(g *gray, sums []float64, o Options, dark float64) *candidate {
	bin := binarize(g, sums, dark)
	cs := components(bin, g.w, g.h, 5, float64(max(g.w, g.h))/8)
	// Place every plausible zone in both reading directions, rank the
	// placements by how well the clean font fits their cells, and read
	// only the few best in full.
	var placed []*candidate
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
				if c := place(z, transposed, flip); c != nil {
					c.fit(g)
					placed = append(placed, c)
				}
			}
		}
	}
	sort.Slice(placed, func(i, j int) bool { return placed[i].meanScore > placed[j].meanScore })
	var best *candidate
	for i, c := range placed {
		if i >= 2 || c.meanScore < placed[0].meanScore-0.03 {
			break
		}
		c.read(g, o.Now)
		if best == nil || c.better(best) {
			best = c
		}
	}
	if best == nil || best.meanScore < 0.45 {
		return nil
	}
	return best
}

// workImage takes the grey picture as floats, shrunk so its longer side is at most
// maxWork, or enlarged twice when it is small (under 900 px), which keeps
// the characters of low-resolution scans apart.
func workImage(img *raster.Gray) *gray {
	long := max(img.W, img.H)
	if long > maxWork {
		return shrink(img, float64(maxWork)/float64(long))
	}
	src := &gray{w: img.W, h: img.H, pix: make([]float32, img.W*img.H)}
	for i, p := range img.Pix {
		src.pix[i] = float32(p)
	}
	if long >= 900 {
		return src
	}
	const scale = 2
	w, h := img.W*scale, img.H*scale
	g := &gray{w: w, h: h, pix: make([]float32, w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g.pix[y*w+x] = src.bilinear((float64(x)+0.5)/scale, (float64(y)+0.5)/scale)
		}
	}
	return g
}

// shrink scales img by scale (under 1): each pixel is the mean of the
// picture under it, partly covered pixels weighed by the part covered.
// Each source row is averaged across once, when the first shrunk row
// that covers it needs it, and the rows so averaged are then summed down.
func shrink(img *raster.Gray, scale float64) *gray {
	w, h := max(1, int(float64(img.W)*scale)), max(1, int(float64(img.H)*scale))
	across, down := areaTaps(img.W, w, scale), areaTaps(img.H, h, scale)
	row, rowY := make([]float32, w), -1
	averaged := func(y int) []float32 {
		if y != rowY {
			src := img.Pix[y*img.W : (y+1)*img.W]
			for x, t := range across {
				var sum float32
				for j, wt := range t.weights {
					sum += float32(src[t.first+j]) * wt
				}
				row[x] = sum
			}
			rowY = y
		}
		return row
	}
	g := &gray{w: w, h: h, pix: make([]float32, w*h)}
	for y, t := range down {
		dst := g.pix[y*w : (y+1)*w]
		for j, wt := range t.weights {
			for x, v := range averaged(t.first + j) {
				dst[x] += v * wt
			}
		}
	}
	return g
}

// taps are the source pixels one shrunk pixel covers along one axis:
// the first, and each one's share of the shrunk pixel.
type taps struct {
	first   int
	weights []float32
}

// areaTaps gives the taps of each of n pixels that cover src pixels
// scaled by scale (under 1).
func areaTaps(src, n int, scale float64) []taps {
	ts := make([]taps, n)
	for i := range ts {
		a, b := float64(i)/scale, min(float64(i+1)/scale, float64(src))
		ts[i].first = int(a)
		for j := int(a); float64(j) < b; j++ {
			part := min(b, float64(j+1)) - max(a, float64(j))
			ts[i].weights = append(ts[i].weights, float32(part/(b-a)))
		}
	}
	return ts
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
	angle     float64
	parsed    *mrz.MRZ
	valid     int // check digits that pass
	meanScore float64
	probs     [][]map[byte]float32 // each cell's reading probabilities
	agreed    map[[2]int]bool      // cells read as the zone's likest glyph, against the classifier
	raw       string               // the text before repairs
	geoms     []lineGeom           // where each line's cells are
	n         int                  // cells per line
	v         point                // the text's downward direction
	patches   [][][][]float32      // line, cell, placement → the patch read
	scale     float64              // the picture's pixels per working image's pixel
}

// passes says whether the reading passes every check of its format.
func (c *candidate) passes() bool { return c != nil && c.parsed != nil && c.parsed.Valid }

// better prefers the reading the font fits clearly better (an upside-down
// or misplaced reading fits poorly), and between close ones the reading
// with more passing check digits.
func (c *candidate) better(o *candidate) bool {
	if math.Abs(c.meanScore-o.meanScore) > 0.05 || c.valid == o.valid {
		return c.meanScore > o.meanScore
	}
	return c.valid > o.valid
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

func (c *candidate) result() *Result {
	r := &Result{MRZ: c.parsed, Text: c.raw, Angle: c.angle}
	conf := 100 * math.Max(0, math.Min(1, (c.meanScore-0.4)/0.5))
	if !c.parsed.Valid {
		conf *= 0.6
	}
	r.Confidence = math.Round(conf*10) / 10
	r.Zone, r.Page = c.zone(), c.page()
	r.Sure = make([][]float32, len(c.parsed.Lines))
	for li, l := range c.parsed.Lines {
		r.Sure[li] = make([]float32, len(l))
		for i := range len(l) {
			if li < len(c.probs) && i < len(c.probs[li]) && c.probs[li][i] != nil {
				r.Sure[li][i] = c.probs[li][i][l[i]]
			}
		}
	}
	return r
}

// zone is the corners of the zone in the picture read: the rectangle,
// along the first line and across it, that holds every cell's centre
// (on a bent page the middle of a line sags below its ends), widened by a
// cell's width along the lines and a capital's height across them, which
// is half a character beyond the print on every side.
func (c *candidate) zone() [4]image.Point {
	lo, hi := c.extent()
	pitch, height := c.geoms[0].pitch, c.geoms[0].height
	return c.rect(lo.add(point{-pitch, -height}), hi.add(point{pitch, height}))
}

// pageSize is each format's document size in millimetres, width and
// height (ICAO 9303 parts 4 to 7; the old French card, 1988–2021, is an
// ID-2 card like TD2, its MRZ on the front with the printed fields).
var pageSize = map[mrz.Format][2]float64{
	mrz.TD1: {85.6, 54},
	mrz.TD2: {105, 74}, mrz.MRVB: {105, 74}, mrz.FRID: {105, 74},
	mrz.TD3: {125, 88}, mrz.MRVA: {120, 80},
}

// pitchMM is the MRZ's character pitch: ten characters to the inch.
const pitchMM = 25.4 / 10

// page is where the document's page is: its size for the format, centred
// on the zone across, its foot two and a half characters below the centre
// of the zone's last line (as on passports and cards of many countries),
// all in character pitches, with three characters more on every side for
// the documents that differ and a page photographed at an angle.
func (c *candidate) page() [4]image.Point {
	lo, hi := c.extent()
	size := pageSize[c.format]
	pitch := c.geoms[0].pitch
	w, h := size[0]/pitchMM*pitch, size[1]/pitchMM*pitch
	mid, foot, margin := (lo.x+hi.x)/2, hi.y+2.5*pitch, 3*pitch
	return c.rect(point{mid - w/2 - margin, foot - h - margin}, point{mid + w/2 + margin, foot + margin})
}

// extent is the smallest rectangle along the first line and across it
// that holds every cell's centre, relative to the first cell's centre.
func (c *candidate) extent() (lo, hi point) {
	u, v := c.geoms[0].u, c.v
	o := c.geoms[0].origin
	lo, hi = point{math.Inf(1), math.Inf(1)}, point{math.Inf(-1), math.Inf(-1)}
	for _, lg := range c.geoms {
		for i := range c.n {
			d := lg.cellCenter(i).add(o.scale(-1))
			a, b := d.dot(u), d.dot(v)
			lo, hi = point{min(lo.x, a), min(lo.y, b)}, point{max(hi.x, a), max(hi.y, b)}
		}
	}
	return lo, hi
}

// rect is the corners, in the picture read, of the rectangle from lo to hi
// along the first line and across it, relative to its first cell's
// centre: top left, top right, bottom right, bottom left as the text reads.
func (c *candidate) rect(lo, hi point) [4]image.Point {
	u, v := c.geoms[0].u, c.v
	o := c.geoms[0].origin
	corner := func(a, b float64) image.Point {
		p := o.add(u.scale(a)).add(v.scale(b)).scale(c.scale)
		return image.Pt(int(math.Round(p.x)), int(math.Round(p.y)))
	}
	return [4]image.Point{corner(lo.x, lo.y), corner(hi.x, lo.y), corner(hi.x, hi.y), corner(lo.x, hi.y)}
}

// lineGeom is where one MRZ line's cells are, in image coordinates.
type lineGeom struct {
	origin point // centre of the first cell
	u      point // reading direction, unit
	pitch  float64
	height float64 // cap height
	// centers, when set, is where each cell's centre is: on a bent or
	// foreshortened page the line curves and its pitch changes along it.
	centers []point
}

func (l lineGeom) cellCenter(i int) point {
	if l.centers != nil {
		return l.centers[i]
	}
	return l.origin.add(l.u.scale(float64(i) * l.pitch))
}

// place lays the cells of a zone (chains in the frame's coordinates) out
// in the image, read in the frame's left-to-right direction or in the
// opposite one.
func place(z []*chain, transposed, flip bool) *candidate {
	n := 30
	if len(z) == 2 {
		n = 36
		if est := max(cellsEstimate(z[0]), cellsEstimate(z[1])); est > 40 {
			n = 44
		}
	}
	var geoms []lineGeom
	for _, ch := range trimmed(z) {
		lg, ok := lineCells(ch, n)
		if !ok {
			return nil
		}
		if transposed {
			lg.origin = point{lg.origin.y, lg.origin.x}
			lg.u = point{lg.u.y, lg.u.x}
			for i, p := range lg.centers {
				lg.centers[i] = point{p.y, p.x}
			}
		}
		if flip {
			lg.origin = lg.cellCenter(n - 1)
			lg.u = lg.u.scale(-1)
			slices.Reverse(lg.centers)
		}
		geoms = append(geoms, lg)
	}
	// Lines from the top of the text down.
	v := geoms[0].u.perp()
	sort.Slice(geoms, func(i, j int) bool { return geoms[i].origin.dot(v) < geoms[j].origin.dot(v) })
	c := &candidate{geoms: geoms, n: n, v: v, angle: math.Mod(math.Atan2(geoms[0].u.y, geoms[0].u.x)*180/math.Pi+360, 360)}
	// The format follows from the shape, and for 2 lines from the first
	// letter (V: a visa), once it is read.
	switch {
	case n == 30:
		c.format = mrz.TD1
	case n == 36:
		c.format = mrz.TD2
	default:
		c.format = mrz.TD3
	}
	return c
}

// fit measures how well clean OCR-B glyphs fit the cells (their mean best
// correlation, allowing a small sideways shift): an upside-down or
// misplaced reading fits poorly.
func (c *candidate) fit(g *gray) {
	ref := reference()
	scores := map[byte]float32{}
	patch := make([]float32, patchW*patchH)
	var total float64
	cells := 0
	for li, lg := range c.geoms {
		// Every other cell is enough to rank placements.
		for i := 0; i < c.n; i += 2 {
			cells++
			clear(scores)
			for _, su := range []float64{-0.12, 0, 0.12} {
				p := lg.cellCenter(i).add(lg.u.scale(su * lg.pitch))
				g.samplePatch(patch, p, lg.u, c.v, lg.pitch, lg.height)
				if normalize(patch) {
					ref.score(patch, mrz.Allowed(c.format, li, i), scores)
				}
			}
			if len(scores) > 0 {
				total += float64(pick(scores).bestScore)
			}
		}
	}
	c.meanScore = total / float64(cells)
}

// read classifies every cell, then settles doubts with the zone's own
// glyphs and the check digits.
func (c *candidate) read(g *gray, now time.Time) {
	n, geoms, v := c.n, c.geoms, c.v
	probs := map[byte]float32{}
	net := classifier()
	shifted := make([][][][]float32, len(geoms)) // line, cell, shift → patch
	cellProbs := make([][]map[byte]float32, len(geoms))
	for li, lg := range geoms {
		shifted[li] = make([][][]float32, n)
		cellProbs[li] = make([]map[byte]float32, n)
		row := make([]cell, n)
		for i := 0; i < n; i++ {
			if li == 1 && i == 0 && len(geoms) == 2 && c.cells[0][0].best == 'V' {
				if n == 36 {
					c.format = mrz.MRVB
				} else {
					c.format = mrz.MRVA
				}
			}
			if li == 0 && i == 5 && n == 36 && c.format == mrz.TD2 && readAs(row[:5], "IDFRA") {
				c.format = mrz.FRID // the older French identity card: its own layout from here on
			}
			allowed := mrz.Allowed(c.format, li, i)
			clear(probs)
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
					net.probabilities(patch, allowed, probs)
				}
			}
			if len(shifted[li][i]) > 0 {
				// The mean over the placements: one misplaced cell can look
				// like anything, most of them cannot.
				for ch := range probs {
					probs[ch] /= float32(len(shifted[li][i]))
				}
				cellProbs[li][i] = maps.Clone(probs)
			}
			row[i] = pick(probs)
		}
		c.cells = append(c.cells, row)
	}
	c.probs = cellProbs
	c.patches = shifted
	c.agree(shifted, cellProbs)
	c.countries()
	c.parse(now)
}

// agree reads a mixed field's cell (a document number may hold O or 0)
// as the character of the zone's closest glyph where the layout leaves no
// doubt: dates show this printer's 0, names its O, country codes and
// names its B, dates and check digits its 8. A cell whose glyph is the
// same (correlation 0.96 or more) as such a cell's, and clearly closer to
// it than to any cell of another character, takes that character; on a
// blurred or small print (correlation 0.93 or more) only when the zone
// also shows the cell's own reading, and that glyph is clearly farther.
// Other mixed cells, and look-alikes of one another (this printer's 8 and
// B correlate 0.95), keep the classifier's reading: mixed cells do not
// vote for each other, they share the classifier's doubt.
func (c *candidate) agree(shifted [][][][]float32, probs [][]map[byte]float32) {
	const (
		same       = 0.96 // correlation of two cells holding one glyph
		closer     = 0.015
		weakSame   = 0.93 // a blurred or small print's
		weakCloser = 0.03
	)
	type ref struct{ line, pos int }
	var mixed, known []ref
	for li, row := range probs {
		for i, p := range row {
			if p == nil || len(shifted[li][i]) != 9 {
				continue
			}
			switch {
			case len(p) == len(mrz.Alphanumeric):
				if c.cells[li][i].best != '<' {
					mixed = append(mixed, ref{li, i})
				}
			case c.cells[li][i].best != '<':
				known = append(known, ref{li, i})
			}
		}
	}
	for _, a := range mixed {
		ca := shifted[a.line][a.pos][4]
		sim := map[byte]float32{}
		for _, b := range known {
			ch := c.cells[b.line][b.pos].best
			for _, p := range shifted[b.line][b.pos] {
				sim[ch] = max(sim[ch], dot(p, ca))
			}
		}
		var best byte
		var s1, s2 float32
		for ch, s := range sim {
			switch {
			case s > s1:
				best, s1, s2 = ch, s, s1
			case s > s2:
				s2 = s
			}
		}
		x := &c.cells[a.line][a.pos]
		pa := probs[a.line][a.pos]
		if best == x.best {
			continue
		}
		own, shown := sim[x.best]
		strong := s1 >= same && s1-s2 >= closer
		// A weaker likeness decides only between two readings the zone
		// shows examples of, the cell's own reading among them.
		weak := s1 >= weakSame && shown && s1-own >= weakCloser
		if !strong && !weak {
			continue
		}
		if _, allowed := pa[best]; !allowed {
			continue
		}
		x.second, x.secondScore = x.best, x.bestScore
		x.best, x.bestScore = best, pa[best]
		if c.agreed == nil {
			c.agreed = map[[2]int]bool{}
		}
		c.agreed[[2]int{a.line, a.pos}] = true
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
	c.raw = c.text()
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

// repair mends failing check digits with the cells' other readings (the
// classifier's, and the common letter–digit look-alikes). It searches one,
// two, then three edits among the cells the failing checks cover (never
// more than mrz.MaxRepairs); an edit changes one cell, or a look-alike
// group: every unproven mixed cell that reads x, changed to y together (a
// printer's zeros that all read as O). A reading's cost is its edits' odds
// against the cells' current readings plus the kind prior (switchCost for
// each letter next to a digit within a mixed field, counted on the edited
// reading). Only readings after which every check of the zone passes
// count, and the cheapest is taken if it is clearly more likely than the
// next: 20 times when one check vouches for it, 4 times when two or more
// do (a wrong change passes two checks by chance once in a hundred).
// Cells that a passing check already vouches for are left alone; undoing
// what agree read from the zone's own glyphs costs a look-alike slip.
func (c *candidate) repair(now time.Time) {
	lines := c.lines()
	orig := slices.Clone(lines)
	guards := mrz.Guards(c.format)
	proven := map[[2]int]bool{}
	var failing []mrz.Guarded
	for _, g := range guards {
		switch {
		case !g.Passes(lines):
			failing = append(failing, g)
		case g.Field != "composite":
			for _, p := range append(g.Cells, g.Check) {
				proven[p] = true
			}
		}
	}
	if len(failing) == 0 || c.probs == nil {
		return
	}
	// An edit changes one cell, or every unproven cell of the zone's
	// mixed fields that reads one character as its look-alike: a printer's
	// glyph reads the same everywhere, so "this printer's O is a 0" is one
	// decision, however many cells show it.
	type edit struct {
		at   [][2]int
		ch   byte
		cost float64 // −log of its odds against the current reading
	}
	// A check digit rewritten to fit its data always passes its own check:
	// only the composite would vouch for it. So a check digit's cell is
	// changed only to a digit the classifier itself doubted it was
	// (checkDoubt), never by a look-alike's odds alone: a document that
	// prints a wrong check digit must not read as valid.
	checks := map[[2]int]bool{}
	for _, g := range guards {
		checks[g.Check] = true
	}
	var alts [][]edit
	seen := map[[2]int]bool{}
	for _, g := range failing {
		for _, p := range append(slices.Clone(g.Cells), g.Check) {
			if proven[p] || seen[p] || c.probs[p[0]][p[1]] == nil {
				continue
			}
			seen[p] = true
			pr := c.probs[p[0]][p[1]]
			now := lines[p[0]][p[1]]
			cur := float64(max(pr[now], 1e-6))
			costs := map[byte]float64{}
			for ch, q := range pr {
				if ch != now && q >= 0.001 && (!checks[p] || q >= checkDoubt) {
					costs[ch] = math.Log(cur / float64(q))
				}
			}
			// The letter–digit look-alikes are always worth a try, at the
			// odds of a common OCR slip, however sure the classifier was.
			for _, ch := range mrz.Confusable(now) {
				if checks[p] {
					break
				}
				if _, allowed := pr[ch]; allowed {
					if c, ok := costs[ch]; !ok || c > confusionCost {
						costs[ch] = confusionCost
					}
				}
			}
			var e []edit
			for ch, cost := range costs {
				if c.agreed[p] {
					// The zone's own glyph outweighs the classifier's
					// preference: undoing it costs as much as a slip.
					cost = max(cost, confusionCost)
				}
				e = append(e, edit{[][2]int{p}, ch, math.Max(0, cost)})
			}
			if len(e) > 0 {
				alts = append(alts, e)
			}
		}
	}
	// Look-alike groups: two or more unproven mixed cells reading x, at
	// least one of them under a failing check, each allowing y.
	type pair struct{ x, y byte }
	groups := map[pair][][2]int{}
	for li, row := range lines {
		for i := range row {
			p := [2]int{li, i}
			if proven[p] || c.probs[li][i] == nil || !mixedAt(c.format, li, i) {
				continue
			}
			for _, y := range mrz.Confusable(row[i]) {
				groups[pair{row[i], y}] = append(groups[pair{row[i], y}], p)
			}
		}
	}
	for k, cells := range groups {
		if len(cells) < 2 || !slices.ContainsFunc(cells, func(p [2]int) bool { return seen[p] }) {
			continue
		}
		// The glyph is one decision: the cells' mean odds.
		var cost float64
		for _, p := range cells {
			pr := c.probs[p[0]][p[1]]
			cost += math.Min(confusionCost, math.Log(float64(max(pr[k.x], 1e-6))/float64(max(pr[k.y], 1e-6))))
		}
		alts = append(alts, []edit{{cells, k.y, math.Max(0, cost/float64(len(cells)))}})
	}
	set := func(ls []string, p [2]int, ch byte) {
		b := []byte(ls[p[0]])
		b[p[1]] = ch
		ls[p[0]] = string(b)
	}
	allPass := func(ls []string) bool {
		for _, g := range guards {
			if !g.Passes(ls) {
				return false
			}
		}
		return true
	}
	// A reading's cost is its edits' odds and the kind prior's changes of
	// kind within mixed fields (switchCost each), counted on the edited
	// reading itself. An edit can remove at most two changes of kind per
	// cell, which bounds how much cheaper the rest of a search can get.
	minCost := 0.0
	for _, es := range alts {
		for _, e := range es {
			minCost = math.Min(minCost, e.cost-2*switchCost*float64(len(e.at)))
		}
	}
	cur := make([][]byte, len(lines))
	for i, l := range lines {
		cur[i] = []byte(l)
	}
	// kinds counts the changes of kind on the pairs of neighbours that
	// touch the cells at.
	kinds := func(at [][2]int) int {
		n := 0
		seen := map[[2]int]bool{}
		for _, p := range at {
			for _, j := range []int{p[1] - 1, p[1]} {
				q := [2]int{p[0], j}
				if j < 0 || j+1 >= len(cur[p[0]]) || seen[q] {
					continue
				}
				seen[q] = true
				if kindChange(c.format, cur[p[0]], p[0], j) {
					n++
				}
			}
		}
		return n
	}
	kinds0 := 0
	for li, l := range cur {
		for j := 0; j+1 < len(l); j++ {
			if kindChange(c.format, l, li, j) {
				kinds0++
			}
		}
	}
	var best []edit
	bestCost, nextCost := math.Inf(1), math.Inf(1)
	for k := 1; k <= mrz.MaxRepairs; k++ {
		combos(len(alts), k, func(idx []int) {
			// cls is the edits' odds alone: the reading cannot end with
			// fewer than no changes of kind, which bounds it too.
			var walk func(d int, chosen []edit, cost, cls float64)
			walk = func(d int, chosen []edit, cost, cls float64) {
				if max(cost+float64(len(idx)-d)*minCost, cls-switchCost*float64(kinds0)) >= nextCost {
					return
				}
				if d == len(idx) {
					try := make([]string, len(cur))
					for i, l := range cur {
						try[i] = string(l)
					}
					if !allPass(try) {
						return
					}
					if cost < bestCost {
						nextCost = bestCost
						best, bestCost = slices.Clone(chosen), cost
					} else {
						nextCost = cost
					}
					return
				}
			next:
				for _, e := range alts[idx[d]] {
					for _, p := range e.at {
						if cur[p[0]][p[1]] != lines[p[0]][p[1]] {
							continue next // a cell this reading already changed
						}
					}
					before := kinds(e.at)
					for _, p := range e.at {
						cur[p[0]][p[1]] = e.ch
					}
					after := kinds(e.at)
					walk(d+1, append(chosen, e), cost+e.cost+switchCost*float64(after-before), cls+e.cost)
					for _, p := range e.at {
						cur[p[0]][p[1]] = lines[p[0]][p[1]]
					}
				}
			}
			walk(0, nil, 0, 0)
		})
	}
	margin := math.Log(20)
	if len(failing) >= 2 {
		margin = math.Log(4)
	}
	if best == nil || nextCost-bestCost < margin || bestCost > math.Log(1000) {
		return // nothing, or not clearly the one: not proven
	}
	for _, e := range best {
		for _, p := range e.at {
			set(lines, p, e.ch)
		}
	}
	var repaired []string
	for _, g := range failing {
		if g.Field != "composite" {
			repaired = append(repaired, g.Field)
		}
	}
	if len(repaired) == 0 {
		repaired = []string{"composite"} // the change was in data only the composite covers
	}
	for li := range lines {
		for i := range lines[li] {
			if lines[li][i] != orig[li][i] {
				x := &c.cells[li][i]
				x.second, x.secondScore = x.best, x.bestScore
				x.best, x.bestScore = lines[li][i], c.probs[li][i][lines[li][i]]
			}
		}
	}
	m, err := mrz.Parse(c.text(), now)
	if err != nil {
		return
	}
	m.Repaired = append(repaired, m.Repaired...)
	c.parsed = m
	c.valid = 0
	for _, ch := range m.Checks {
		if ch.Valid {
			c.valid++
		}
	}
}

// checkDoubt is how likely the classifier must have found another digit
// in a check digit's cell for a repair to read it so.
const checkDoubt = 0.05

// confusionCost is −log of the odds given to a letter–digit look-alike
// (1 in 20).
var confusionCost = math.Log(20)

// combos calls fn with every k-subset of 0…n−1.
func combos(n, k int, fn func([]int)) {
	idx := make([]int, k)
	var rec func(start, depth int)
	rec = func(start, depth int) {
		if depth == k {
			fn(idx)
			return
		}
		for i := start; i < n; i++ {
			idx[depth] = i
			rec(i+1, depth+1)
		}
	}
	rec(0, 0)
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

// trimmed cuts from each line of a zone the components whose centres lie
// beyond where the zone's other lines start and end, by more than half a
// cell: a background's pattern chained on at a line's end. A zone's lines
// are equally long.
func trimmed(z []*chain) []*chain {
	out := slices.Clone(z)
	for i, ch := range z {
		lo, hi := math.Inf(-1), math.Inf(1)
		for j, o := range z {
			if j != i {
				lo, hi = max(lo, o.start()), min(hi, o.end())
			}
		}
		tol := 0.6 * medianPitch(ch)
		var keep []comp
		for _, c := range ch.comps {
			if p := c.center(); p.x >= lo-tol && p.x <= hi+tol {
				keep = append(keep, c)
			}
		}
		if len(keep) < len(ch.comps) && 3*len(keep) >= 2*len(ch.comps) {
			t := &chain{comps: keep}
			t.fit()
			out[i] = t
		}
	}
	return out
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
		eachInCell(ch, n, at, c0, pitch, func(_ comp, k, t float64) {
			sx += k
			sy += t
			sxx += k * k
			sxy += k * t
			cnt++
		})
		den := cnt*sxx - sx*sx
		if cnt < 5 || den == 0 {
			break
		}
		pitch = (cnt*sxy - sx*sy) / den
		c0 = (sy - pitch*sx) / cnt
	}
	x0 := ch.start() + c0/math.Sqrt(1+ch.b*ch.b)
	lg := lineGeom{origin: point{x0, ch.a + ch.b*x0}, u: u, pitch: pitch, height: ch.height}
	lg.centers = curve(ch, n, at, c0, pitch)
	if cs := oneEach(ch, n, lg.centers); cs != nil && misfits(lg, cs) {
		lg.centers = cs
	}
	return lg, true
}

// oneEach places the n cells of a chain that holds exactly n characters,
// none merged, each on its own character (across the line, where the
// bent layout curved puts it, or on the line's fit): a card seen in strong perspective changes its pitch along the line
// more than an even layout and its smoothed offsets follow (a 540 px phone
// photo's passport: cells 16–24 half a cell off, read as garbage).
// Otherwise nil.
func oneEach(ch *chain, n int, curved []point) []point {
	if len(ch.comps) != n {
		return nil
	}
	out := make([]point, n)
	for i, c := range ch.comps {
		if c.w() > 0.9*ch.height {
			return nil
		}
		x := c.center().x
		out[i] = point{x, ch.a + ch.b*x}
		if curved != nil {
			out[i].y = curved[i].y + ch.b*(x-curved[i].x)
		}
	}
	return out
}

// misfits reports whether the layout lg puts a cell a third of a pitch or
// more along the line from its character (at, from oneEach): the layout
// is then the wrong one, the characters the right one. Where the layout
// fits it stays: it places a cell on the glyph's cell, not on its ink's
// middle, which a narrow glyph (1, I) has off centre.
func misfits(lg lineGeom, at []point) bool {
	for i, p := range at {
		if math.Abs(p.add(lg.cellCenter(i).scale(-1)).dot(lg.u)) >= lg.pitch/3 {
			return true
		}
	}
	return false
}

// eachInCell calls f with each single-character component of a chain that
// lies within 0.3 of the pitch of one of the n cells of the straight, even
// layout (the first cell's centre c0 and the pitch, measured by at along
// the line), with that cell's index k and the component's position t.
// Merged characters are skipped.
func eachInCell(ch *chain, n int, at func(point) float64, c0, pitch float64, f func(c comp, k, t float64)) {
	for _, c := range ch.comps {
		if c.w() > 0.9*ch.height {
			continue // merged characters
		}
		t := at(c.center())
		k := math.Round((t - c0) / pitch)
		if k < 0 || k >= float64(n) || math.Abs(t-c0-k*pitch) > 0.3*pitch {
			continue
		}
		f(c, k, t)
	}
}

// curve places the n cells of a chain on a photographed page, which bends
// and is seen in perspective, so that the line curves and its pitch
// changes along it. The straight, even layout (c0, pitch) assigns the
// components to cells; each cell is then moved by the mean offset, along
// and across the line, of the components within bendSpan cells of it,
// which follows a slow bend and averages out the glyphs' own shapes. It
// returns nil when the line is straight: no offset reaches a seventh of a
// cell.
func curve(ch *chain, n int, at func(point) float64, c0, pitch float64) []point {
	type placed struct{ k, along, across float64 }
	var ps []placed
	eachInCell(ch, n, at, c0, pitch, func(c comp, k, t float64) {
		p := c.center()
		ps = append(ps, placed{k, t - c0 - k*pitch, p.y - (ch.a + ch.b*p.x)})
	})
	if len(ps) < n/2 {
		return nil
	}
	norm := math.Sqrt(1 + ch.b*ch.b)
	out := make([]point, n)
	bent := false
	for i := range out {
		var along, across, cnt float64
		for _, p := range ps {
			if math.Abs(p.k-float64(i)) <= bendSpan {
				along, across, cnt = along+p.along, across+p.across, cnt+1
			}
		}
		if cnt >= 3 {
			along, across = along/cnt, across/cnt
		} else {
			along, across = 0, 0
		}
		if math.Abs(along) > pitch/7 || math.Abs(across) > ch.height/7 {
			bent = true
		}
		x := ch.start() + (c0+float64(i)*pitch+along)/norm
		out[i] = point{x, ch.a + ch.b*x + across}
	}
	if !bent {
		return nil
	}
	return out
}

// bendSpan is how many cells on either side of a cell place it on a bent
// line: enough to average glyphs' shapes out, few enough to follow a page's
// bend.
const bendSpan = 4

// readAs reports whether cells were read as s.
func readAs(cells []cell, s string) bool {
	for i := range len(s) {
		if cells[i].best != s[i] {
			return false
		}
	}
	return true
}
