package document

import (
	"regexp"
	"strings"

	"github.com/kycd/kycd/internal/aadhaar"
)

// Documents without an MRZ or an AAMVA barcode are recognised from what
// their printed text proves: a national number with its own check (an
// Aadhaar number's Verhoeff digit, an Indonesian NIK's birth date, a PAN's
// holder type), the document's printed title, and the numbered fields of
// the EU driving licence (ISO/IEC 18013-1). A number alone is no proof (one
// random 12-digit string in ten passes Verhoeff): it needs the title.

// National is a national document recognised without an MRZ.
type National struct {
	Name    string // the document's own name: Aadhaar, PAN card, KTP, ...
	Type    Type
	Country string // ISO 3166-1 alpha-3
	Number  string // the national number as printed, when it passes its check
}

type nationalDoc struct {
	name    string
	t       Type
	country string
	titles  []string
	number  func(text string) string // the first number in text that passes the document's check
	labels  []string                 // field labels: two of them stand for a title
}

var (
	aadhaarNumber = regexp.MustCompile(`\b[2-9][0-9]{3} ?[0-9]{4} ?[0-9]{4}\b`)
	panNumber     = regexp.MustCompile(`\b[A-Z]{3}[PCHFATBLJG][A-Z][0-9]{4}[A-Z]\b`)
	nikNumber     = regexp.MustCompile(`\b[0-9]{16}\b`)
	epicNumber    = regexp.MustCompile(`\b[A-Z]{3}[0-9]{7}\b`)
	cnicNumber    = regexp.MustCompile(`\b[1-7][0-9]{4}-[0-9]{7}-[0-9]\b`)
)

// nationalDocs are the documents recognised this way, the surest first.
var nationalDocs = []nationalDoc{
	{"Aadhaar", IDCard, "IND", []string{"AADHAAR", "GOVERNMENT OF INDIA", "UNIQUE IDENTIFICATION AUTHORITY OF INDIA", "MERA AADHAAR"},
		func(text string) string {
			for _, n := range aadhaarNumber.FindAllString(text, -1) {
				if aadhaar.ValidNumber(n) {
					return n
				}
			}
			return ""
		}, nil},
	{"PAN card", IDCard, "IND", []string{"INCOME TAX DEPARTMENT", "PERMANENT ACCOUNT NUMBER"},
		func(text string) string { return panNumber.FindString(strings.ToUpper(text)) }, nil},
	{"SIM", DriversLicense, "IDN", []string{"SURAT IZIN MENGEMUDI", "DRIVING LICENSE INDONESIA"}, nil, nil},
	{"KTP", IDCard, "IDN", []string{"KARTU TANDA PENDUDUK", "PROVINSI"},
		func(text string) string {
			for _, n := range nikNumber.FindAllString(text, -1) {
				if validNIK(n) {
					return n
				}
			}
			return ""
		}, []string{"NIK", "JENIS KELAMIN", "GOL DARAH", "TEMPAT/TGL LAHIR", "AGAMA", "STATUS PERKAWINAN", "KEWARGANEGARAAN",
			"BERLAKU HINGGA", "PEKERJAAN", "KECAMATAN", "KEL/DESA"}},
	{"DNI", IDCard, "ARG", []string{"REPUBLICA ARGENTINA", "REGISTRO NACIONAL DE LAS PERSONAS"}, nil, nil},
	{"INE voter card", IDCard, "MEX", []string{"INSTITUTO NACIONAL ELECTORAL", "CREDENCIAL PARA VOTAR", "INSTITUTO FEDERAL ELECTORAL"}, nil, nil},
	{"EPIC voter card", IDCard, "IND", []string{"ELECTION COMMISSION OF INDIA", "ELECTOR PHOTO IDENTITY CARD"},
		func(text string) string { return epicNumber.FindString(strings.ToUpper(text)) }, nil},
	{"CNIC", IDCard, "PAK", []string{"PAKISTAN NATIONAL IDENTITY CARD", "ISLAMIC REPUBLIC OF PAKISTAN", "NATIONAL DATABASE AND REGISTRATION AUTHORITY"},
		func(text string) string { return cnicNumber.FindString(text) }, nil},
	{"PhilSys ID", IDCard, "PHL", []string{"PHILIPPINE IDENTIFICATION CARD", "PAMBANSANG PAGKAKAKILANLAN"}, nil, nil},
	{"CNH", DriversLicense, "BRA", []string{"CARTEIRA NACIONAL DE HABILITACAO"}, nil, nil},
}

// validNIK checks an Indonesian NIK: a region code (province 11–94), the
// holder's birth date as DDMMYY with 40 added to the day for women, and a
// serial that is not zero.
func validNIK(n string) bool {
	if len(n) != 16 {
		return false
	}
	province := atoi(n[:2])
	day, month := atoi(n[6:8]), atoi(n[8:10])
	if day > 40 {
		day -= 40
	}
	return province >= 11 && province <= 94 && day >= 1 && day <= 31 && month >= 1 && month <= 12 && n[12:] != "0000"
}

// recogniseNational finds a national document in the printed text: its
// title, with its number when it has one that passes the number's check.
// The confidence is 0.9 with both, 0.6 with the title alone; a number
// without a title is not enough.
func recogniseNational(text string) (National, float64, bool) {
	t := prepareTitles(text)
	for _, d := range nationalDocs {
		titled := labelsIn(t, d.labels) >= 2
		for _, title := range d.titles {
			titled = titled || titleIn(t, title)
		}
		if !titled {
			continue
		}
		n := National{Name: d.name, Type: d.t, Country: d.country}
		if d.number != nil {
			n.Number = d.number(text)
		}
		if n.Number != "" {
			return n, 0.9, true
		}
		return n, 0.6, true
	}
	return National{}, 0, false
}

// euLicenceFields are the numbered fields of the EU driving licence's
// front (Directive 2006/126/EC, ISO/IEC 18013-1): 1 surname, 2 given
// names, 3 birth date and place, 4a issue date, 4b expiry, 4c authority,
// 5 number, 9 categories.
var euLicenceField = regexp.MustCompile(`(?m)(?:^|\s)(1|2|3|4a|4b|4c|4d|5|7|8|9)\.\s`)

// euLicenceLayout reports whether the text shows the EU licence's numbered
// fields: at least five distinct ones, 4a and 4b among them.
func euLicenceLayout(text string) bool {
	seen := map[string]bool{}
	for _, m := range euLicenceField.FindAllStringSubmatch(text, -1) {
		seen[m[1]] = true
	}
	return len(seen) >= 5 && seen["4a"] && seen["4b"]
}
