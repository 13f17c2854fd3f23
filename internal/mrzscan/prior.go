package mrzscan

import (
	"math"
	"strings"

	"github.com/kycd/kycd/internal/mrz"
)

// What the zone's layout says beyond each position's alphabet: a country
// code is one of the codes states and organisations use, and within a
// field that mixes letters and digits (document numbers, optional data)
// a character tends to be of its neighbours' kind. The classifier's
// scores are weighed with these priors where a cell is in doubt.

// switchCost is −log of the prior odds against a change of kind (letter
// next to digit) between two neighbouring cells of one mixed field: 6 to 1.
// Real numbers do mix (K682T8YLO), so this only weighs cells in doubt; it
// never overrides a check digit.
var switchCost = math.Log(6)

// mixedAt reports whether a position of format f may hold letters and
// digits alike.
func mixedAt(f mrz.Format, line, pos int) bool {
	return len(mrz.Allowed(f, line, pos)) == len(mrz.Alphanumeric)
}

func isDigit(b byte) bool  { return b >= '0' && b <= '9' }
func isLetter(b byte) bool { return b >= 'A' && b <= 'Z' }

// kindChange reports whether cells j and j+1 of a line, both in a mixed
// field, hold a letter and a digit (fillers are of neither kind).
func kindChange(f mrz.Format, line []byte, li, j int) bool {
	if !mixedAt(f, li, j) || !mixedAt(f, li, j+1) {
		return false
	}
	a, b := line[j], line[j+1]
	return isDigit(a) && isLetter(b) || isLetter(a) && isDigit(b)
}

// countries settles country codes that read as no known code: the known
// code the cells' scores make most likely is taken when it is not far
// less likely than the reading (1000 to 1) and clearly ahead of the next
// known code (4 to 1). A reading that is a known code is never changed:
// no check digit covers these cells.
func (c *candidate) countries() {
	for _, at := range mrz.CountryFields(c.format) {
		li, s := at[0], at[1]
		if li >= len(c.cells) || s+3 > len(c.cells[li]) {
			continue
		}
		cur := make([]byte, 3)
		probs := c.probs[li][s : s+3]
		ok := true
		for k := range cur {
			cur[k] = c.cells[li][s+k].best
			ok = ok && probs[k] != nil
		}
		if !ok || mrz.KnownCountry(string(cur)) {
			continue
		}
		logp := func(code string) float64 {
			var sum float64
			for k := range 3 {
				sum += math.Log(float64(probs[k][code[k]]) + 1e-4)
			}
			return sum
		}
		best, second := "", math.Inf(-1)
		bestScore := math.Inf(-1)
		for _, code := range mrz.CountryCodes() {
			switch s := logp(code); {
			case s > bestScore:
				second, best, bestScore = bestScore, code, s
			case s > second:
				second = s
			}
		}
		if best == "" || bestScore-second < math.Log(4) || logp(string(cur))-bestScore > math.Log(1000) {
			continue
		}
		for k := range 3 {
			x := &c.cells[li][s+k]
			if x.best != best[k] {
				x.second, x.secondScore = x.best, x.bestScore
				x.best, x.bestScore = best[k], probs[k][best[k]]
			}
		}
	}
}

// lines returns the zone's current reading, one string per line.
func (c *candidate) lines() []string { return strings.Split(c.text(), "\n") }
