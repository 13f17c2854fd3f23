package document

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Types are the document types the reader reports, in the API's enum order.
var Types = []Type{Passport, IDCard, ResidencePermit, Visa, DriversLicense, Unknown}

// Supported is one kind of document the reader recognises: its type, the
// issuing countries, and what the type rests on.
type Supported struct {
	Type      Type
	Countries string
	Document  string
	Evidence  string
}

// SupportedDocuments lists what the reader recognises, from the tables the
// classifier itself uses (docs/documents.md prints it; a test keeps the two
// the same).
func SupportedDocuments() []Supported {
	out := []Supported{
		{Passport, "every ICAO state", "passport (TD3 MRZ)", "MRZ; the printed title where the MRZ fails a check digit"},
		{IDCard, "every ICAO state", "ID card (TD1 or TD2 MRZ; France's card of 1988–2021)", "MRZ; the printed title where the MRZ fails a check digit"},
		{ResidencePermit, "every ICAO state", "residence permit (MRZ code " + strings.Join(sortedKeys(residenceCodes), ", ") + ")", "MRZ; a residence title on an I/A/C card"},
		{Visa, "every ICAO state", "visa (MRV-A, MRV-B)", "MRZ"},
		{DriversLicense, "USA, CAN", "AAMVA driver's licence", "PDF417 barcode (AAMVA); on the front, its title or four of its field labels (" + strings.Join(usLicenceLabels, ", ") + "), the country from a state's ZIP code"},
		{IDCard, "USA, CAN", "AAMVA ID card", "PDF417 barcode (AAMVA, subfile ID)"},
		{IDCard, "IND", "Aadhaar", "Secure QR, UIDAI's signature verified; or its 12-digit number (Verhoeff) with its title"},
	}
	for _, d := range nationalDocs[1:] {
		ev := "printed title"
		if d.number != nil {
			ev = "its number (checked) with its printed title"
		}
		out = append(out, Supported{d.t, d.country, d.name, ev})
	}
	for _, k := range keywords {
		if k.t == DriversLicense {
			out = append(out, Supported{DriversLicense, "EU and EEA states", "EU driving licence (ISO/IEC 18013-1)",
				"its title in the state's language (" + fmt.Sprint(len(k.words)) + " titles), its one-line code (D1 and the state), or its numbered fields 1–9 with 4a and 4b"})
		}
	}
	return out
}

// SupportedTable is SupportedDocuments as a Markdown table.
func SupportedTable() string {
	var b strings.Builder
	b.WriteString("| type | countries | document | the type rests on |\n| --- | --- | --- | --- |\n")
	for _, s := range SupportedDocuments() {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", s.Type, s.Countries, s.Document, s.Evidence)
	}
	return b.String()
}

func sortedKeys(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }
