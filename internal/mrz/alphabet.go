package mrz

import "strings"

// Character classes of the MRZ. The filler < is allowed everywhere: it pads
// names and numbers and stands for unknown date digits.
const (
	Letters      = "ABCDEFGHIJKLMNOPQRSTUVWXYZ<"
	Digits       = "0123456789<"
	Alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
	SexCodes     = "MFX<"
)

// Allowed returns the characters ICAO 9303 allows at pos of line (both from
// 0) of a zone in format f. A reader that only considers these can never
// mistake O for 0 in a date or 0 for O in a name. Unknown positions allow
// every character.
func Allowed(f Format, line, pos int) string {
	switch f {
	case TD1:
		switch line {
		case 0:
			switch pos {
			case 0:
				return "ACI" // ICAO: a TD1 document code starts with A, C or I
			case 1:
				return Alphanumeric // the code's second character is the state's choice (the US prints C1)
			}
			if pos < 5 {
				return Letters // document code and issuing state
			}
			if pos == 14 {
				return Digits // the number's check digit, or < when the number runs on
			}
			return Alphanumeric // number, optional data
		case 1:
			switch {
			case pos <= 6 || pos >= 8 && pos <= 14 || pos == 29:
				return Digits // dates, their checks, the composite
			case pos == 7:
				return SexCodes
			case pos >= 15 && pos <= 17:
				return Letters // nationality
			}
			return Alphanumeric
		case 2:
			return Letters // names
		}
	case FRID:
		if line == 0 {
			if pos >= 30 {
				return Alphanumeric // the issuing department (Corsica's are 2A, 2B) and office
			}
			return Letters
		}
		switch {
		case pos <= 3 || pos >= 7 && pos <= 12 || pos >= 27 && pos <= 33 || pos == 35:
			return Digits // year and month of issue, sequence, dates, checks
		case pos == 34:
			return SexCodes
		case pos >= 13:
			return Letters // given names
		}
		return Alphanumeric // the department
	case TD2, TD3, MRVA, MRVB:
		switch line {
		case 0:
			switch pos {
			case 0:
				return "ACIPV" // passports P, visas V, cards A, C, I
			case 1:
				return Alphanumeric
			}
			return Letters // code, state, names
		case 1:
			end := 35 // the composite of TD2
			if f == TD3 {
				end = 43
			}
			switch {
			case pos == 9 || pos >= 13 && pos <= 19 || pos >= 21 && pos <= 27:
				return Digits
			case pos == 20:
				return SexCodes
			case pos >= 10 && pos <= 12:
				return Letters
			case f == TD3 && pos == 42, (f == TD2 || f == TD3) && pos == end:
				return Digits
			}
			return Alphanumeric
		}
	}
	return Alphanumeric
}

// Guarded is a field protected by a check digit: its span on a line and
// where its check digit is. The composite guards several spans.
type Guarded struct {
	Field string
	Cells [][2]int // line, position of every character the digit covers
	Check [2]int   // line, position of the check digit
}

// Guards lists the check digits of a format with what each covers, the
// composite last.
func Guards(f Format) []Guarded {
	m := &MRZ{Format: f}
	fields, composite, at := m.layout()
	var out []Guarded
	for _, fl := range fields {
		g := Guarded{Field: fl.name, Check: [2]int{fl.line, fl.check}}
		for i := fl.start; i < fl.end; i++ {
			g.Cells = append(g.Cells, [2]int{fl.line, i})
		}
		out = append(out, g)
	}
	if at[0] >= 0 {
		g := Guarded{Field: "composite", Check: at}
		for _, s := range composite {
			for i := s.start; i < s.end; i++ {
				g.Cells = append(g.Cells, [2]int{s.line, i})
			}
		}
		out = append(out, g)
	}
	return out
}

// Passes reports whether g's check digit matches its cells in lines.
func (g Guarded) Passes(lines []string) bool {
	b := make([]byte, len(g.Cells))
	for i, c := range g.Cells {
		b[i] = lines[c[0]][c[1]]
	}
	return CheckDigit(string(b)) == lines[g.Check[0]][g.Check[1]]
}

// CountryFields returns where each three-cell country code of a format
// starts (line, position): the issuing state, and the nationality where
// the zone has one.
func CountryFields(f Format) [][2]int {
	switch f {
	case TD1:
		return [][2]int{{0, 2}, {1, 15}}
	case TD2, TD3, MRVA, MRVB:
		return [][2]int{{0, 2}, {1, 10}}
	case FRID:
		return [][2]int{{0, 2}}
	}
	return nil
}

// NameFields returns the spans (line, start, end) that hold names in a
// format: the primary and secondary identifiers, with their fillers.
func NameFields(f Format) [][3]int {
	switch f {
	case TD1:
		return [][3]int{{2, 0, 30}}
	case TD2, MRVB:
		return [][3]int{{0, 5, 36}}
	case TD3, MRVA:
		return [][3]int{{0, 5, 44}}
	case FRID:
		return [][3]int{{0, 5, 30}, {1, 13, 27}}
	}
	return nil
}

// WellFormedNames reports whether s can be an MRZ names field: letters,
// one filler between the parts of a name, two between the surname and
// the given names, and fillers only after the last name. A letter after
// three fillers in a row is a misread: a name never resumes there.
func WellFormedNames(s string) bool {
	s = strings.TrimRight(s, "<")
	if s == "" || s[0] == '<' || strings.Contains(s, "<<<") {
		return false
	}
	for i := range len(s) {
		if c := s[i]; c != '<' && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}
