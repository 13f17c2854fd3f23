package journey

import (
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/kycd/kycd/internal/document"
	"github.com/kycd/kycd/internal/kyc"
)

// Expected is what an integrator expects the document to say (from its own
// records): each field that is set is compared with the document's.
type Expected struct {
	FirstName      string `json:"first_name,omitempty"`
	LastName       string `json:"last_name,omitempty"`
	DateOfBirth    string `json:"date_of_birth,omitempty"` // YYYY-MM-DD
	DocumentNumber string `json:"document_number,omitempty"`
}

// Empty reports whether nothing is expected.
func (e *Expected) Empty() bool { return e == nil || *e == Expected{} }

// Validate checks the expected values' forms.
func (e *Expected) Validate() error {
	if e == nil {
		return nil
	}
	for name, v := range map[string]string{"first_name": e.FirstName, "last_name": e.LastName, "document_number": e.DocumentNumber} {
		if len(v) > 100 || !kyc.PlainText(v) {
			return kyc.Errorf(kyc.Invalid, "expected.%s must be plain text of at most 100 characters", name)
		}
	}
	if e.DateOfBirth != "" {
		if _, err := time.Parse(time.DateOnly, e.DateOfBirth); err != nil {
			return kyc.Errorf(kyc.Invalid, "expected.date_of_birth must be a date: YYYY-MM-DD")
		}
	}
	return nil
}

// Comparison results.
const (
	Match    = "match"
	Mismatch = "mismatch"
	NotRead  = "not_read" // the document did not say: it cannot confirm the value
)

// Comparison is one expected field against the document.
type Comparison struct {
	Field  string `json:"field" enum:"first_name,last_name,date_of_birth,document_number"`
	Result string `json:"result" enum:"match,mismatch,not_read"`
}

// Compare holds each expected field against what the document says. Names
// match when they are the same letters once case, diacritics and the MRZ's
// transliterations (Ä as A or AE, ß as SS, …) are folded and punctuation
// is a space; a first name also matches the first of several given names.
// Dates and document numbers must be exact (a number's spaces and fillers
// aside).
func (e *Expected) Compare(an *document.Analysis) []Comparison {
	if e.Empty() {
		return nil
	}
	field := func(name string) string {
		if an == nil {
			return ""
		}
		return an.Fields[name].Value
	}
	var out []Comparison
	add := func(name, want, got string, same func(want, got string) bool) {
		if want == "" {
			return
		}
		r := Match
		switch {
		case strings.TrimSpace(got) == "":
			r = NotRead
		case !same(want, got):
			r = Mismatch
		}
		out = append(out, Comparison{Field: name, Result: r})
	}
	given := strings.TrimSpace(field("FIRST_NAME") + " " + field("MIDDLE_NAME"))
	add("first_name", e.FirstName, given, func(want, got string) bool {
		first, _, _ := strings.Cut(foldName(got, false), " ")
		return sameName(want, got) || sameName(want, first)
	})
	add("last_name", e.LastName, field("LAST_NAME"), sameName)
	add("date_of_birth", e.DateOfBirth, field("DATE_OF_BIRTH"), func(want, got string) bool { return want == got })
	add("document_number", e.DocumentNumber, field("DOCUMENT_NUMBER"), func(want, got string) bool {
		return foldNumber(want) == foldNumber(got)
	})
	return out
}

// Mismatches names the fields that do not match (not read included: a
// value the document does not confirm is not confirmed).
func Mismatches(cs []Comparison) []string {
	var out []string
	for _, c := range cs {
		if c.Result != Match {
			out = append(out, c.Field)
		}
	}
	return out
}

// sameName compares two names as an MRZ or a card would print them.
func sameName(a, b string) bool {
	for _, icao := range []bool{false, true} {
		if foldName(a, icao) == foldName(b, false) || foldName(a, icao) == foldName(b, true) {
			return true
		}
	}
	return false
}

// icaoPairs are the transliterations of ICAO 9303 that are not a letter
// with its marks removed; with icao set, the umlauts and Å take their
// two-letter forms too.
var icaoPairs = map[rune]string{'ß': "SS", 'Æ': "AE", 'æ': "AE", 'Ø': "OE", 'ø': "OE", 'Œ': "OE", 'œ': "OE",
	'Þ': "TH", 'þ': "TH", 'Ð': "D", 'ð': "D", 'Đ': "D", 'đ': "D", 'Ł': "L", 'ł': "L", 'Ħ': "H", 'ħ': "H", 'ı': "I"}

var umlauts = map[rune]string{'Ä': "AE", 'ä': "AE", 'Ö': "OE", 'ö': "OE", 'Ü': "UE", 'ü': "UE", 'Å': "AA", 'å': "AA"}

// foldName is a name in capitals A–Z and single spaces.
func foldName(s string, icao bool) string {
	var b strings.Builder
	for _, r := range s {
		if t, ok := umlauts[r]; ok && icao {
			b.WriteString(t)
			continue
		}
		if t, ok := icaoPairs[r]; ok {
			b.WriteString(t)
			continue
		}
		for _, d := range norm.NFD.String(string(r)) {
			switch {
			case unicode.Is(unicode.Mn, d):
			case d >= 'a' && d <= 'z', d >= 'A' && d <= 'Z':
				b.WriteRune(unicode.ToUpper(d))
			default:
				b.WriteRune(' ')
			}
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// foldNumber is a document number without case, spaces, dashes or fillers.
func foldNumber(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '<' {
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
}
