package mrzscan

import (
	"strings"

	"github.com/kycd/kycd/internal/raster"
)

// Glyph is one cell of a real MRZ as the reader cuts it out, with the
// character printed there.
type Glyph struct {
	Char  byte
	Patch []float32
}

// Harvest reads the MRZ of a real image whose text is known and returns
// its cells as the reader sees them (every placement it tries), labelled
// with the printed characters: real printers' glyphs to train the
// classifier on. It returns nothing unless the reader placed the zone
// right, which the known text shows: the zone has its lines and length,
// and at least nine cells in ten already read as printed.
func Harvest(img *raster.Gray, text string) []Glyph {
	c := readBest(img, Options{})
	if c == nil {
		return nil
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != len(c.cells) {
		return nil
	}
	right, total := 0, 0
	for li, line := range lines {
		if len(line) != c.n {
			return nil
		}
		for i := range c.n {
			total++
			if c.cells[li][i].best == line[i] {
				right++
			}
		}
	}
	if right*10 < total*9 {
		return nil
	}
	var out []Glyph
	for li, line := range lines {
		for i := range c.n {
			if strings.IndexByte(alphabet, line[i]) < 0 {
				continue
			}
			for _, p := range c.patches[li][i] {
				out = append(out, Glyph{Char: line[i], Patch: p})
			}
		}
	}
	return out
}

// Accuracy is the share of glyphs the embedded classifier reads as their
// characters, any character allowed.
func Accuracy(gs []Glyph) float64 {
	right := 0
	probs := map[byte]float32{}
	for _, g := range gs {
		clear(probs)
		classifier().probabilities(g.Patch, alphabet, probs)
		if pick(probs).best == g.Char {
			right++
		}
	}
	return float64(right) / float64(max(1, len(gs)))
}
