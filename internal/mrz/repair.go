package mrz

// OCR confusions between letters and digits, both ways.
var toDigit = map[byte][]byte{'O': {'0'}, 'Q': {'0'}, 'D': {'0'}, 'U': {'0'}, 'I': {'1'}, 'L': {'1'}, 'T': {'7'}, 'Z': {'2'},
	'S': {'5'}, 'B': {'8'}, 'G': {'6'}, 'A': {'4'}}
var toLetter = map[byte][]byte{'0': {'O', 'D'}, '1': {'I'}, '2': {'Z'}, '5': {'S'}, '8': {'B'}, '6': {'G'}, '4': {'A'}, '7': {'T'}}

// Confusable returns the characters OCR commonly mistakes c for, across
// the letter–digit line (O and 0, B and 8, Z and 2, ...).
func Confusable(c byte) []byte {
	return append(append([]byte{}, toDigit[c]...), toLetter[c]...)
}

// repair fixes fields whose check digit fails when changing confusable
// characters makes it pass, and exactly one change of at most two
// characters does; numeric fields (dates) may only hold digits, so letters
// there are always candidates. When a composite exists it must pass after
// the repairs, or they are undone. At most MaxRepairs characters change.
func (m *MRZ) repair(fields []field, composite []span, compositeAt [2]int) {
	orig := append([]string(nil), m.Lines...)
	budget := MaxRepairs
	var repaired []string
	for _, f := range fields {
		if m.checkField(f).Valid {
			continue
		}
		line := []byte(m.Lines[f.line])
		positions := []int{f.check}
		for i := f.start; i < f.end; i++ {
			positions = append(positions, i)
		}
		candidates := func(i int) []byte {
			c := line[i]
			if i == f.check || f.numeric {
				return toDigit[c]
			}
			// Alphanumeric field: either way.
			return append(append([]byte{}, toDigit[c]...), toLetter[c]...)
		}
		// Fewest changes first: a one-character repair is taken only when it
		// is the only one; two characters only when no single one works.
		var found [2][][]byte
		try := func(l []byte, edits int) {
			if string(CheckDigit(string(l[f.start:f.end]))) == string(l[f.check]) {
				found[edits-1] = append(found[edits-1], append([]byte(nil), l...))
			}
		}
		for a, pa := range positions {
			for _, ca := range candidates(pa) {
				l := append([]byte(nil), line...)
				l[pa] = ca
				try(l, 1)
				if budget < 2 {
					continue
				}
				for _, pb := range positions[a+1:] {
					for _, cb := range candidates(pb) {
						l2 := append([]byte(nil), l...)
						l2[pb] = cb
						try(l2, 2)
					}
				}
			}
		}
		var choice [][]byte
		if len(found[0]) > 0 {
			choice = found[0]
		} else {
			choice = found[1]
		}
		if len(choice) != 1 {
			continue // none, or ambiguous: not proven
		}
		changed := 0
		for i := range line {
			if line[i] != choice[0][i] {
				changed++
			}
		}
		if changed > budget {
			continue
		}
		budget -= changed
		m.Lines[f.line] = string(choice[0])
		repaired = append(repaired, f.name)
	}
	if len(repaired) == 0 {
		return
	}
	if compositeAt[0] >= 0 {
		if string(CheckDigit(m.join(composite))) != string(m.Lines[compositeAt[0]][compositeAt[1]]) {
			m.Lines = orig // the composite does not confirm the repairs
			return
		}
	}
	m.Repaired = repaired
}
