package mrzscan

import (
	"strings"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/mrz"
)

// reading builds a candidate as the classifier would leave it: every cell
// sure of its character, except the cells in doubt, whose probabilities
// are given.
func reading(f mrz.Format, text string, doubt map[[2]int]map[byte]float32) *candidate {
	c := &candidate{format: f}
	for li, line := range strings.Split(text, "\n") {
		row := make([]cell, len(line))
		probs := make([]map[byte]float32, len(line))
		for i := range line {
			allowed := mrz.Allowed(f, li, i)
			p := map[byte]float32{}
			for j := range len(allowed) {
				p[allowed[j]] = 0.01 / float32(len(allowed))
			}
			p[line[i]] = 0.99
			if d, ok := doubt[[2]int{li, i}]; ok {
				clear(p)
				for j := range len(allowed) {
					p[allowed[j]] = 0.001
				}
				for ch, q := range d {
					p[ch] = q
				}
			}
			probs[i] = p
			row[i] = pick(p)
		}
		c.cells = append(c.cells, row)
		c.probs = append(c.probs, probs)
	}
	return c
}

var now = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// TestCountryPrior: a country code that is no state's takes the likely
// code that is; one that is a state's is never changed (no check digit
// covers it).
func TestCountryPrior(t *testing.T) {
	text := "I<LYU11810187<346411231034<<<<\n6411231F1901012LTU<<<<<<<<<<<9\nBASANAVICIENE<<BIRUTE<<<<<<<<<"
	c := reading(mrz.TD1, text, map[[2]int]map[byte]float32{{0, 3}: {'Y': 0.51, 'T': 0.39, 'F': 0.07}})
	c.countries()
	if got := c.lines()[0][2:5]; got != "LTU" {
		t.Errorf("LYU became %s, want LTU", got)
	}
	// LVA is Latvia: a known code stays, however close another one is.
	text = strings.Replace(text, "I<LYU", "I<LVA", 1)
	c = reading(mrz.TD1, text, map[[2]int]map[byte]float32{{0, 3}: {'V': 0.5, 'T': 0.49}, {0, 4}: {'A': 0.5, 'U': 0.49}})
	c.countries()
	if got := c.lines()[0][2:5]; got != "LVA" {
		t.Errorf("LVA became %s", got)
	}
	// Nothing near a known code: left as read.
	c = reading(mrz.TD1, strings.Replace(text, "I<LVA", "I<QQQ", 1), nil)
	c.countries()
	if got := c.lines()[0][2:5]; got != "QQQ" {
		t.Errorf("QQQ became %s", got)
	}
}

// TestRepairKindPrior: a letter between digits in optional data, which
// only the composite guards, is repaired to its digit look-alike when the
// classifier was in doubt; the same doubt where the letter sits among
// letters is not "repaired" into a digit.
func TestRepairKindPrior(t *testing.T) {
	want := "IRFRAK682T8YLO0<1105040043<<<<\n7906123F1401073SEN<<<<<<<<<<<6\nMARTIN<<CHRISTELLE<HELENE<LAUR"
	read := strings.Replace(want, "<1105", "<11O5", 1)
	doubt := map[[2]int]map[byte]float32{
		{0, 18}: {'O': 0.44, '0': 0.27, 'C': 0.19},
		// Near-ties elsewhere give the composite other ways to pass.
		{0, 7}: {'8': 0.5, '6': 0.45}, {0, 9}: {'T': 0.5, 'I': 0.45},
	}
	c := reading(mrz.TD1, read, doubt)
	c.parse(now)
	if got := strings.Join(c.parsed.Lines, "\n"); got != want {
		t.Errorf("repaired to\n%s\nwant\n%s", got, want)
	}
	if !c.parsed.Valid {
		t.Error("the repair does not pass every check")
	}
}

// TestRepairGlyphGroup: a visa whose printer's zeros read as O throughout
// (eight in the number, three in the optional data that no check digit
// covers) is one decision that the number's check digit proves.
func TestRepairGlyphGroup(t *testing.T) {
	want := "VCFRASPECIMEN<<SPECIMEN<<<<<<<<<<<<<\nF000000005UTO0311063M1401143<M300703"
	read := "VCFRASPECIMEN<<SPECIMEN<<<<<<<<<<<<<\nFOOOOOOOO5UTO0311063M1401143<M3OO7O3"
	doubt := map[[2]int]map[byte]float32{}
	for i, ch := range read[37:] {
		if ch == 'O' && i != 12 {
			doubt[[2]int{1, i}] = map[byte]float32{'O': 0.92, '0': 0.06, 'U': 0.01}
		}
	}
	// The check digit's 5 could be a 9 (which FOOOOOOOO would pass).
	doubt[[2]int{1, 9}] = map[byte]float32{'5': 0.8, '9': 0.12}
	c := reading(mrz.MRVB, read, doubt)
	c.parse(now)
	if got := strings.Join(c.parsed.Lines, "\n"); got != want {
		t.Errorf("repaired to\n%s\nwant\n%s", got, want)
	}
}
