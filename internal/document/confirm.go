package document

import (
	"slices"
	"strings"

	"github.com/kycd/kycd/internal/mrz"
)

// No check digit covers an MRZ's document code or its names: a misread
// letter there passes every check. This file decides whether something
// else confirms them — the printed zone (VIZ) as Tesseract reads it, the
// codes states are known to use — and names the fields nothing confirms,
// so that they are flagged instead of trusted.

// genericCodes are the document codes ICAO 9303 defines for everyone:
// a passport (P<), an ID card (I<, ID), a visa (V<). Any other second
// letter is a state's choice and needs the state's table or the printed
// title to be believed.
var genericCodes = []string{"P", "I", "ID", "V"}

// stateCodes are the document codes a state is known to use beyond the
// generic ones, with the type each stands for where the generic rule
// (first letter, residenceCodes) would get it wrong: Germany's provisional
// ID card is ITD, not a residence permit.
var stateCodes = map[string]map[string]Type{
	"D":   {"PP": Passport, "PO": Passport, "PD": Passport, "PS": Passport, "IT": IDCard, "AR": ResidencePermit},
	"FRA": {"IR": ResidencePermit},
	"ESP": {"IR": ResidencePermit},
	"ITA": {"PA": Passport, "IR": ResidencePermit},
	"NLD": {"IR": ResidencePermit},
	"GBR": {"IR": ResidencePermit},
	"CHE": {"PM": Passport},
	"UTO": {"IR": ResidencePermit, "AR": ResidencePermit},
}

// codeType is the type an MRZ's first two characters give, with the
// issuing state's own codes first.
func codeType(code, state string) Type {
	if t, ok := stateCodes[state][strings.TrimRight(code, "<")]; ok {
		return t
	}
	switch {
	case code[0] == 'P':
		return Passport
	case code[0] == 'V':
		return Visa
	case residenceCodes[code]:
		return ResidencePermit
	case code[0] == 'I' || code[0] == 'A' || code[0] == 'C':
		return IDCard
	}
	return Unknown
}

// codeConfirmed reports whether the document code is a generic one or
// one the issuing state is known to use, the classifier was sure of both
// its characters (sure, the lesser), or the printed title names the type
// it gives.
func codeConfirmed(code, state string, t Type, text string, sure float32) bool {
	c := strings.TrimRight(code, "<")
	if slices.Contains(genericCodes, c) || sure >= SureLetter {
		return true
	}
	if _, ok := stateCodes[state][c]; ok {
		return true
	}
	return t != Unknown && keywordType(text) == t
}

// codeSureness is the lesser of the classifier's sureness of the document
// code's two cells (0 when not known).
func codeSureness(sure [][]float32) float32 {
	if len(sure) == 0 || len(sure[0]) < 2 {
		return 0
	}
	return min(sure[0][0], sure[0][1])
}

// credible reports whether a zone that fails a check digit still reads
// as one a state issued: real states' codes for the issuer and the
// nationality, names that can be names, and dates that exist.
// Documents do print wrong check digits (specimens often, and a check
// digit misread fails its field); garbage that happens to parse as a zone
// (the held-out set's "JDD" passport) fails these.
func credible(m *mrz.MRZ) bool {
	for _, c := range m.Checks {
		if c.Field == "names" {
			return false
		}
	}
	return mrz.KnownCountry(m.IssuingState) && mrz.KnownCountry(m.Nationality) && m.Surname != "" &&
		!m.BirthDate.IsZero() && (!m.ExpiryDate.IsZero() || m.Format == mrz.FRID) // the old French card has no expiry date
}

// nameSureness is, for each name field of m, the least sure of its
// letters' cells in sure (mrzscan.Result.Sure); a field whose cells are
// not known is not in the map.
func nameSureness(m *mrz.MRZ, sure [][]float32) map[string]float32 {
	out := map[string]float32{}
	note := func(field string, li, i int) {
		if li >= len(sure) || i >= len(sure[li]) {
			return
		}
		if v, ok := out[field]; !ok || sure[li][i] < v {
			out[field] = sure[li][i]
		}
	}
	spans := mrz.NameFields(m.Format)
	for k, sp := range spans {
		li, line := sp[0], m.Lines[sp[0]]
		given := k == 1 // the old French card: surname and given names in fields of their own
		word, gap := 0, 0
		for i := sp[1]; i < sp[2] && i < len(line); i++ {
			if line[i] == '<' {
				gap++
				continue
			}
			if gap >= 2 && !given && len(spans) == 1 {
				given, word = true, 0
			} else if gap >= 1 && given {
				word++
			}
			gap = 0
			switch {
			case !given:
				note("LAST_NAME", li, i)
			case word == 0:
				note("FIRST_NAME", li, i)
			default:
				note("MIDDLE_NAME", li, i)
			}
		}
	}
	return out
}

// SureLetter is how sure the MRZ classifier must be of every letter of a
// name (mrzscan.Result.Sure) for the name to stand without the printed
// text's support. Right readings of the real sets hold their names' least
// sure letter at 0.52–0.9999 (docs/accuracy.md); a misread letter is one
// the classifier hesitated over, which a check digit would have caught
// anywhere else.
const SureLetter = 0.9

// unconfirmedNames lists the name fields (LAST_NAME, FIRST_NAME,
// MIDDLE_NAME) of m that nothing confirms. A name is confirmed when the
// printed text shows every word of it as a whole word, spelt as the MRZ
// spells it (the MRZ transliterates Ü as UE or U: both spellings of the
// printed word count; a name the MRZ truncated may be the start of the
// printed word). Without that, it stands on the classifier alone: every
// letter at least SureLetter (sure, from nameSureness; nil: no letter is
// sure), and no printed word one letter away from a word of it. That near
// miss is exactly the MRZ's OCR dropping or adding a letter (AMENGUAL
// read MENGUAL and JMENGUAL), and the printed text then says so.
func unconfirmedNames(m *mrz.MRZ, text string, sure map[string]float32) []string {
	words := vizWords(text)
	truncated := namesTruncated(m)
	shown := func(w string) bool {
		if words[w] {
			return true
		}
		if truncated {
			for v := range words {
				if strings.HasPrefix(v, w) {
					return true
				}
			}
		}
		return false
	}
	nearMiss := func(w string) bool {
		for v := range words {
			if len(v) >= 4 && v != w && abs(len(v)-len(w)) <= 1 && editDistance(v, w) == 1 {
				return true
			}
		}
		return false
	}
	var out []string
	first, middle, _ := strings.Cut(m.GivenNames, " ")
	for _, f := range []struct{ field, value string }{{"LAST_NAME", m.Surname}, {"FIRST_NAME", first}, {"MIDDLE_NAME", middle}} {
		if f.value == "" {
			continue
		}
		printed, contradicted := true, false
		for _, w := range strings.Fields(f.value) {
			printed = printed && shown(w)
			contradicted = contradicted || !shown(w) && nearMiss(w)
		}
		if printed {
			continue
		}
		if s, ok := sure[f.field]; !ok || s < SureLetter || contradicted {
			out = append(out, f.field)
		}
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// vizWords are the words of the printed text, upper case, letters only,
// each in the spellings an MRZ could give it. Lines that look like an MRZ
// are left out: a zone must not confirm itself.
func vizWords(text string) map[string]bool {
	words := map[string]bool{}
	for line := range strings.SplitSeq(text, "\n") {
		if mrzLike(line) {
			continue
		}
		for _, w := range strings.FieldsFunc(line, func(r rune) bool { return !isLetterRune(r) }) {
			for _, s := range spellings(w) {
				if len(s) > 0 {
					words[s] = true
				}
			}
		}
	}
	return words
}

// mrzLike reports whether an OCR line is (part of) a machine-readable zone:
// filler characters, or a long run of capitals with digits in it, or one
// longer than any printed name.
func mrzLike(line string) bool {
	if strings.Count(line, "<") >= 2 || strings.Contains(line, "«") {
		return true
	}
	for _, w := range strings.Fields(line) {
		if len(w) >= 30 || len(w) >= 20 && strings.ContainsAny(w, "0123456789") {
			return true
		}
	}
	return false
}

func isLetterRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0xC0 && r != 0xD7 && r != 0xF7 && r < 0x250
}

// transliterations are ICAO 9303's for the letters an MRZ cannot hold
// (part 3, section 6), where they differ from dropping the accent.
var transliterations = strings.NewReplacer("Ä", "AE", "Ö", "OE", "Ü", "UE", "ß", "SS", "Å", "AA", "Æ", "AE", "Ø", "OE",
	"Þ", "TH", "Ĳ", "IJ", "Œ", "OE", "Ñ", "NXX")

// spellings are the MRZ spellings of a printed word: accents dropped, and
// ICAO's transliteration (Ü → UE, Ñ → N or NXX).
func spellings(w string) []string {
	up := strings.ToUpper(w)
	plain := letters(fold(up))
	icao := letters(fold(transliterations.Replace(up)))
	if icao == plain {
		return []string{plain}
	}
	return []string{plain, icao}
}

func letters(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, s)
}

// namesTruncated reports whether the names fill their field to its end,
// so the MRZ may have cut the last one short.
func namesTruncated(m *mrz.MRZ) bool {
	var line string
	switch m.Format {
	case mrz.TD1:
		line = m.Lines[2]
	case mrz.TD2, mrz.TD3, mrz.MRVA, mrz.MRVB:
		line = m.Lines[0]
	default:
		return false
	}
	return line != "" && line[len(line)-1] != '<'
}
