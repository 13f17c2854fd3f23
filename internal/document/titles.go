package document

import (
	"regexp"
	"strings"

	"github.com/kycd/kycd/internal/mrz"
)

// Printed titles as Tesseract reads them off phone photos and specimens:
// words run together ("DRIVERLICENSE"), a letter misread ("DRIVEBLICENSE",
// "PERMIS DE CONDUIRE" as "PERMIS DE IRE" is beyond saving), curly
// apostrophes. A title matches as whole words, or, when it is long enough
// that a near miss cannot be another word, letters only with spaces and
// punctuation dropped, one letter off at most for 12 letters and more.

// textForTitles is text made ready for titleIn: upper case, accents
// dropped, curly quotes straightened, and its letters alone.
type textForTitles struct{ words, letters string }

func prepareTitles(text string) textForTitles {
	up := fold(strings.ToUpper(strings.NewReplacer("’", "'", "‘", "'", "`", "'").Replace(text)))
	return textForTitles{words: up, letters: letters(up)}
}

// titleIn reports whether title (upper case) is printed in t.
func titleIn(t textForTitles, title string) bool {
	title = fold(title)
	if containsWord(t.words, title) {
		return true
	}
	compact := letters(title)
	switch {
	case len(compact) < 10:
		return false
	case len(compact) < 12:
		return strings.Contains(t.letters, compact)
	}
	return approxContains(t.letters, compact, 1)
}

// approxContains reports whether some substring of s is within k edits
// of p (Sellers' dynamic programme: a column per character of s).
func approxContains(s, p string, k int) bool {
	col := make([]int, len(p)+1)
	for i := range col {
		col[i] = i
	}
	for j := 0; j < len(s); j++ {
		prevDiag := col[0] // a match may start anywhere: row 0 stays 0
		for i := 1; i <= len(p); i++ {
			cost := 1
			if p[i-1] == s[j] {
				cost = 0
			}
			v := min(col[i]+1, col[i-1]+1, prevDiag+cost)
			prevDiag, col[i] = col[i], v
		}
		if col[len(p)] <= k {
			return true
		}
	}
	return false
}

// labelsIn counts how many of labels are printed in t: as whole words, or
// letters only for labels of 6 letters and more, one letter off for 10
// and more ("JenisKelamin" read "senisKelamin").
func labelsIn(t textForTitles, labels []string) int {
	n := 0
	for _, l := range labels {
		c := letters(l)
		switch {
		case containsWord(t.words, l),
			len(c) >= 10 && approxContains(t.letters, c, 1),
			len(c) >= 6 && strings.Contains(t.letters, c):
			n++
		}
	}
	return n
}

// usLicenceLabels are the field labels of a North American licence's front
// (AAMVA's card design standard).
var usLicenceLabels = []string{"DOB", "EXP", "ISS", "CLASS", "SEX", "HGT", "EYES", "DLN", "REST", "END", "WGT", "DD", "ORGAN DONOR", "RESTRICTIONS", "ENDORSEMENTS"}

// usState finds a US state's code before a ZIP code ("PHOENIX, AZ 85007").
var usState = regexp.MustCompile(`\b(A[LKZR]|C[AOT]|D[EC]|FL|GA|HI|I[DLNA]|K[SY]|LA|M[EDAINSOT]|N[EVHJMYCD]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|V[TA]|W[AVIY])[ ,.]+[0-9]{5}\b`)

// euLicenceLine is the EU driving licence's one-line machine-readable
// code (ISO/IEC 18013-1): D, a version digit, the issuing state.
var euLicenceLine = regexp.MustCompile(`\bD[1-9]([A-Z]{3})[A-Z0-9<]{15,}`)

// licenceLayout recognises a driving licence by its layout when its title
// was not read: the EU's one-line code (which names the issuing state),
// its numbered fields, or an AAMVA front's field labels (four or more).
func licenceLayout(text string) (country string, ok bool) {
	if m := euLicenceLine.FindStringSubmatch(strings.ToUpper(text)); m != nil && mrz.KnownCountry(m[1]) {
		return m[1], true
	}
	if euLicenceLayout(text) {
		return "", true
	}
	t := prepareTitles(text)
	if labelsIn(t, usLicenceLabels) >= 4 {
		if usState.MatchString(t.words) {
			return "USA", true
		}
		return "", true
	}
	return "", false
}
