package mrz

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
			if pos < 5 {
				return Letters // document code and issuing state
			}
			return Alphanumeric // number, its check (or < for long numbers), optional data
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
	case TD2, TD3, MRVA, MRVB:
		switch line {
		case 0:
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
