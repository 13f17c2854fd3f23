package mrzscan

import (
	"math"
	"slices"
	"sort"
)

// comp is a connected component of dark pixels, in a frame that is either
// the image's own or its transpose (so that vertical text lines become
// horizontal ones).
type comp struct {
	x0, y0, x1, y1 float64 // x1, y1 exclusive
}

func (c comp) w() float64    { return c.x1 - c.x0 }
func (c comp) h() float64    { return c.y1 - c.y0 }
func (c comp) center() point { return point{(c.x0 + c.x1) / 2, (c.y0 + c.y1) / 2} }
func (c comp) swap() comp    { return comp{c.y0, c.x0, c.y1, c.x1} }

// integral is a picture's integral image (each entry the sum of the
// pixels above and to the left of it), for binarize's neighbourhood means.
func integral(g *gray) []float64 {
	w, h := g.w, g.h
	sums := make([]float64, (w+1)*(h+1))
	for y := 0; y < h; y++ {
		var row float64
		for x := 0; x < w; x++ {
			row += float64(g.pix[y*w+x])
			sums[(y+1)*(w+1)+x+1] = sums[y*(w+1)+x+1] + row
		}
	}
	return sums
}

// binarize marks pixels darker than dark times their neighbourhood's mean
// (Bradley's adaptive threshold; the neighbourhood a square a 20th of the
// picture's longer side across, summed from its integral image), which
// copes with uneven light and coloured backgrounds.
func binarize(g *gray, sums []float64, dark float64) []bool {
	w, h := g.w, g.h
	r := max(8, max(w, h)/40)
	out := make([]bool, w*h)
	for y := 0; y < h; y++ {
		y0, y1 := max(0, y-r), min(h, y+r+1)
		for x := 0; x < w; x++ {
			x0, x1 := max(0, x-r), min(w, x+r+1)
			sum := sums[y1*(w+1)+x1] - sums[y0*(w+1)+x1] - sums[y1*(w+1)+x0] + sums[y0*(w+1)+x0]
			mean := sum / float64((x1-x0)*(y1-y0))
			out[y*w+x] = float64(g.pix[y*w+x]) < mean*dark && g.pix[y*w+x] < 200
		}
	}
	return out
}

// components labels 8-connected dark regions and keeps those that could
// be characters: at least minH tall, at most maxH.
func components(bin []bool, w, h int, minH, maxH float64) []comp {
	label := make([]int32, w*h)
	var out []comp
	stack := make([]int, 0, 256)
	var next int32
	for start := range bin {
		if !bin[start] || label[start] != 0 {
			continue
		}
		next++
		label[start] = next
		stack = append(stack[:0], start)
		x0, y0, x1, y1 := w, h, 0, 0
		n := 0
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n++
			x, y := i%w, i/w
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x+1), max(y1, y+1)
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if xx < 0 || yy < 0 || xx >= w || yy >= h {
						continue
					}
					j := yy*w + xx
					if bin[j] && label[j] == 0 {
						label[j] = next
						stack = append(stack, j)
					}
				}
			}
		}
		c := comp{float64(x0), float64(y0), float64(x1), float64(y1)}
		longSide := max(c.w(), c.h())
		if longSide < minH || longSide > maxH || n < 6 {
			continue
		}
		out = append(out, c)
	}
	return out
}

// chain is a row of components read left to right, with the straight line
// through their centres (y = a + b·x) and their typical height.
type chain struct {
	comps  []comp
	a, b   float64
	height float64
}

func (ch *chain) fit() {
	ch.fitLine()
	hs := make([]float64, len(ch.comps))
	for i, c := range ch.comps {
		hs[i] = c.h()
	}
	slices.Sort(hs)
	ch.height = hs[len(hs)*3/4] // the capitals and digits, not the lower <
}

// fitLine fits the straight line through the components' centres.
func (ch *chain) fitLine() {
	n := float64(len(ch.comps))
	var sx, sy, sxx, sxy float64
	for _, c := range ch.comps {
		p := c.center()
		sx += p.x
		sy += p.y
		sxx += p.x * p.x
		sxy += p.x * p.y
	}
	den := n*sxx - sx*sx
	if n < 3 || den == 0 {
		ch.a, ch.b = sy/n, 0
	} else {
		ch.b = (n*sxy - sx*sy) / den
		ch.a = (sy - ch.b*sx) / n
	}
}

// tall is the height of a line's tallest characters (the 90th
// percentile): a names line of a short name is mostly fillers, which are
// lower than capitals, and its typical height is theirs.
func (ch *chain) tall() float64 {
	hs := make([]float64, len(ch.comps))
	for i, c := range ch.comps {
		hs[i] = c.h()
	}
	slices.Sort(hs)
	return hs[len(hs)*9/10]
}

func (ch *chain) start() float64 { return ch.comps[0].x0 }
func (ch *chain) end() float64   { return ch.comps[len(ch.comps)-1].x1 }
func (ch *chain) length() float64 {
	return (ch.end() - ch.start()) * math.Sqrt(1+ch.b*ch.b)
}

// chains links components into text lines: from each unlinked component
// it repeatedly takes the nearest one to the right whose centre lies on
// the line so far and whose size fits. Skew up to about 20° is followed
// because the line is refitted as it grows.
func chains(cs []comp) []*chain {
	sort.Slice(cs, func(i, j int) bool { return cs[i].x0 < cs[j].x0 })
	used := make([]bool, len(cs))
	var out []*chain
	for i := range cs {
		if used[i] {
			continue
		}
		ch := &chain{comps: []comp{cs[i]}, a: cs[i].center().y, height: cs[i].h()}
		used[i] = true
		cur := i
		for {
			h := ch.height
			c := cs[cur]
			// The line as its last components run: a photographed page
			// bends, so the line's far end is followed from where it got to,
			// not from its start.
			var local chain
			if len(ch.comps) >= 4 {
				local.comps = ch.comps[max(0, len(ch.comps)-10):]
				local.fitLine()
			}
			best, bestGap := -1, math.Inf(1)
			lo := sort.Search(len(cs), func(k int) bool { return cs[k].x0 >= c.x1-0.4*h })
			for k := lo; k < len(cs) && cs[k].x0 <= c.x1+1.6*h; k++ {
				if used[k] || k == cur {
					continue
				}
				d := cs[k]
				if d.h() > 1.5*h || d.h() < 0.25*h && d.w() < 0.25*h {
					continue
				}
				p := d.center()
				pred := c.center().y
				if len(ch.comps) >= 4 {
					pred = local.a + local.b*p.x
				}
				if math.Abs(p.y-pred) > 0.45*h {
					continue
				}
				if gap := d.x0 - c.x1; gap < bestGap {
					best, bestGap = k, gap
				}
			}
			if best < 0 {
				break
			}
			used[best] = true
			ch.comps = append(ch.comps, cs[best])
			cur = best
			if len(ch.comps) <= 8 || len(ch.comps)%4 == 0 {
				ch.fit()
			}
		}
		if len(ch.comps) >= 10 {
			ch.fit()
			out = append(out, ch)
		}
	}
	return out
}

// zones groups chains into candidate MRZs: two or three long lines of the
// same height, parallel, starting and ending together, one line apart.
func zones(chs []*chain) [][]*chain {
	var long []*chain
	for _, ch := range chs {
		if ch.length() >= 18*ch.height && len(ch.comps) >= 12 {
			long = append(long, ch)
		}
	}
	// Order by the perpendicular offset of the line at its middle.
	mid := func(ch *chain) float64 { return ch.a + ch.b*(ch.start()+ch.end())/2 }
	sort.Slice(long, func(i, j int) bool { return mid(long[i]) < mid(long[j]) })
	fits := func(p, q *chain) bool {
		h := (p.height + q.height) / 2
		if p.tall() > 1.3*q.tall() || q.tall() > 1.3*p.tall() {
			return false
		}
		if math.Abs(math.Atan(p.b)-math.Atan(q.b)) > 0.05 {
			return false
		}
		if math.Abs(p.start()-q.start()) > 2.5*h || math.Abs(p.length()-q.length()) > 0.12*max(p.length(), q.length()) {
			return false
		}
		d := (q.a + q.b*(q.start()+q.end())/2) - mid(p)
		d *= math.Cos(math.Atan(p.b))
		return d > 1.15*h && d < 3.2*h
	}
	var out [][]*chain
	for i := range long {
		group := []*chain{long[i]}
		for j := i + 1; j < len(long) && len(group) < 3; j++ {
			if fits(group[len(group)-1], long[j]) {
				group = append(group, long[j])
			}
		}
		if len(group) >= 2 {
			out = append(out, group)
			if len(group) == 3 {
				out = append(out, group[:2], group[1:]) // a TD2/TD3 under a text line, too
			}
		}
	}
	return out
}
