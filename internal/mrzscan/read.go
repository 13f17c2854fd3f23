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
}

// Options tune Read.
type Options struct {
	Now time.Time // resolves two-digit years; time.Now() when zero
}

// maxWork bounds the working image's longer side: enough for a passport
// that fills a fraction of a phone photo, small enough to stay fast.
const maxWork = 2000

// Read finds and reads the MRZ in img.
func Read(img *raster.Image, o Options) (*Result, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	g := workImage(img)
	bin := binarize(g)
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
		return nil, ErrNotFound
	}
	return best.result(), nil
}

// workImage converts img to grey, shrunk so its longer side is at most
// maxWork, or enlarged twice when it is small (under 900 px), which keeps
// the characters of low-resolution scans apart.
func workImage(img *raster.Image) *gray {
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
		src.pix[i] = raster.Luma(float32(p[0]), float32(p[1]), float32(p[2]))
	}
	if scale == 1 {
		return src
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
	return g
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
	raw       string               // the text before repairs
	geoms     []lineGeom           // where each line's cells are
	n         int                  // cells per line
	v         point                // the text's downward direction
}

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

// place lays the cells of a zone (chains in the frame's coordinates) out
// in the image, read in the frame's left-to-right direction or in the
// opposite one.
func place(z []*chain, transposed, flip bool) *candidate {
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
	c.agree(shifted, cellProbs)
	c.probs = cellProbs
	c.parse(now)
}

// agree makes cells that show the same glyph read as the same character.
// A mixed field's cell (a document number may hold O or 0) takes the
// reading that it and every near-identical cell of the zone support
// together; cells where the layout allows only digits (dates) or only
// letters (names) carry their constraint into the vote. This tells this
// printer's 0 from its O where the glyph alone is ambiguous.
func (c *candidate) agree(shifted [][][][]float32, probs [][]map[byte]float32) {
	const same = 0.93 // correlation of two cells holding one glyph
	type ref struct{ line, pos int }
	var cells []ref
	for li, row := range probs {
		for i, p := range row {
			if p != nil && len(shifted[li][i]) == 9 {
				cells = append(cells, ref{li, i})
			}
		}
	}
	similar := func(a, b ref) bool {
		ca := shifted[a.line][a.pos][4]
		for _, p := range shifted[b.line][b.pos] {
			var s float32
			for j, x := range p {
				s += x * ca[j]
			}
			if s >= same {
				return true
			}
		}
		return false
	}
	for _, a := range cells {
		pa := probs[a.line][a.pos]
		if len(pa) < len(mrz.Alphanumeric) || c.cells[a.line][a.pos].best == '<' {
			continue // only mixed fields are in doubt this way
		}
		score := map[byte]float64{}
		for ch, p := range pa {
			score[ch] = math.Log(float64(p) + 0.02)
		}
		for _, b := range cells {
			if b == a || !similar(a, b) {
				continue
			}
			pb := probs[b.line][b.pos]
			for ch := range score {
				score[ch] += math.Log(float64(pb[ch]) + 0.02)
			}
		}
		best := c.cells[a.line][a.pos].best
		for ch, s := range score {
			if s > score[best] {
				best = ch
			}
		}
		x := &c.cells[a.line][a.pos]
		if best != x.best {
			x.second, x.secondScore = x.best, x.bestScore
			x.best, x.bestScore = best, pa[best]
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
// two, then three changed cells among those the failing checks cover
// (never more than mrz.MaxRepairs), keeping only changes after which every
// check of the zone passes, and takes the most likely of them by the
// classifier's odds if it is clearly more likely than the next: 20 times
// when one check vouches for it, 4 times when two or more do (a wrong
// change passes two checks by chance once in a hundred). Cells that a
// passing check already vouches for are left alone.
func (c *candidate) repair(now time.Time) {
	lines := strings.Split(c.text(), "\n")
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
	type edit struct {
		at   [2]int
		ch   byte
		cost float64 // −log of its odds against the current reading
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
				if ch != now && q >= 0.001 {
					costs[ch] = math.Max(0, math.Log(cur/float64(q)))
				}
			}
			// The letter–digit look-alikes are always worth a try, at the
			// odds of a common OCR slip, however sure the classifier was.
			for _, ch := range mrz.Confusable(now) {
				if _, allowed := pr[ch]; allowed {
					if c, ok := costs[ch]; !ok || c > confusionCost {
						costs[ch] = confusionCost
					}
				}
			}
			var e []edit
			for ch, cost := range costs {
				e = append(e, edit{p, ch, cost})
			}
			if len(e) > 0 {
				alts = append(alts, e)
			}
		}
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
	var best []edit
	bestCost, nextCost := math.Inf(1), math.Inf(1)
	for k := 1; k <= mrz.MaxRepairs; k++ {
		combos(len(alts), k, func(idx []int) {
			var walk func(d int, chosen []edit, cost float64)
			walk = func(d int, chosen []edit, cost float64) {
				if cost >= nextCost {
					return
				}
				if d == len(idx) {
					try := slices.Clone(lines)
					for _, e := range chosen {
						set(try, e.at, e.ch)
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
				for _, e := range alts[idx[d]] {
					walk(d+1, append(chosen, e), cost+e.cost)
				}
			}
			walk(0, nil, 0)
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
		set(lines, e.at, e.ch)
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

// readAs reports whether cells were read as s.
func readAs(cells []cell, s string) bool {
	for i := range len(s) {
		if cells[i].best != s[i] {
			return false
		}
	}
	return true
}
