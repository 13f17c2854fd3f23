// Package document reads identity documents. This file decides what kind
// of document an image shows, from the strongest evidence available: the
// AAMVA barcode's subfile, the MRZ's document code, keywords in the printed
// text, and the card's shape.
package document

import (
	"math"
	"strings"

	"github.com/kycd/kycd/internal/aadhaar"
	"github.com/kycd/kycd/internal/aamva"
	"github.com/kycd/kycd/internal/mrz"
)

// Type is a kind of identity document, as the API names it.
type Type string

// The types.
const (
	Passport        Type = "passport"
	IDCard          Type = "id_card"
	ResidencePermit Type = "residence_permit"
	Visa            Type = "visa"
	DriversLicense  Type = "drivers_license"
	Unknown         Type = "unknown"
)

// Words is the ID_TYPE field's value for each type, as Textract names it.
func (t Type) Words() string {
	switch t {
	case Passport:
		return "PASSPORT"
	case IDCard:
		return "IDENTIFICATION CARD"
	case ResidencePermit:
		return "RESIDENCE PERMIT"
	case Visa:
		return "VISA"
	case DriversLicense:
		return "DRIVER LICENSE FRONT"
	}
	return "OTHER"
}

// Evidence is what was read from a document.
type Evidence struct {
	MRZ     *mrz.MRZ
	AAMVA   *aamva.Card
	Aadhaar *aadhaar.QR // an Aadhaar Secure QR; AadhaarSigned when its signature verified
	// AadhaarSigned: a trusted key verified the QR's signature.
	AadhaarSigned bool
	Text          string  // OCR of the printed text, any case
	Aspect        float64 // width / height of the document's outline, 0 when unknown
}

// Classification is the decision and what it rests on.
type Classification struct {
	Type           Type
	IssuingCountry string // ISO 3166-1 alpha-3 when known
	Source         string // aamva, mrz, qr_signature, id_number, keywords, layout, aspect_ratio, none
	Confidence     float64
	Name           string // the document's own name when known (Aadhaar, PAN card, KTP, ...)
}

// residenceCodes are MRZ document codes that states use for residence
// permits on TD1/TD2 cards (ICAO leaves the second letter to them).
var residenceCodes = map[string]bool{"IR": true, "AR": true, "RP": true, "RT": true, "IT": true, "CR": true, "C1": true, "C2": true}

var keywords = []struct {
	t     Type
	words []string
}{
	{ResidencePermit, []string{"RESIDENCE PERMIT", "PERMIT OF RESIDENCE", "AUFENTHALTSTITEL", "TITRE DE SEJOUR", "TITRE DE SÉJOUR", "PERMESSO DI SOGGIORNO", "PERMANENT RESIDENT", "VERBLIJFSDOCUMENT", "PERMISO DE RESIDENCIA"}},
	// The EU licence prints its title in the issuing state's languages.
	{DriversLicense, []string{"DRIVER LICENSE", "DRIVER'S LICENSE", "DRIVERS LICENSE", "DRIVER LICENCE", "DRIVING LICENCE", "DRIVING LICENSE",
		"FÜHRERSCHEIN", "PERMIS DE CONDUIRE", "PATENTE DI GUIDA", "RIJBEWIJS", "PERMISO DE CONDUCIR", "PERMISO DE CONDUCCIÓN",
		"CARTA DE CONDUÇÃO", "CARTA DE CONDUCAO", "PRAWO JAZDY", "KÖRKORT", "KØREKORT", "FØRERKORT", "AJOKORTTI", "ŘIDIČSKÝ PRŮKAZ",
		"VODIČSKÝ PREUKAZ", "VEZETŐI ENGEDÉLY", "PERMIS DE CONDUCERE", "VOZAČKA DOZVOLA", "VOZNIŠKO DOVOLJENJE", "VADĪTĀJA APLIECĪBA",
		"VAIRUOTOJO PAŽYMĖJIMAS", "JUHILUBA", "ÖKUSKÍRTEINI", "LICENZA TAS-SEWQAN", "CEADÚNAS TIOMÁNA", "SURAT IZIN MENGEMUDI"}},
	{Visa, []string{"VISA", "VISUM", "VISTO"}},
	{Passport, []string{"PASSPORT", "PASSEPORT", "REISEPASS", "PASAPORTE", "PASSAPORTO", "PASPOORT", "PASSAPORTE"}},
	{IDCard, []string{"IDENTITY CARD", "IDENTIFICATION CARD", "NATIONAL IDENTITY", "KARTU TANDA PENDUDUK", "CÉDULA DE IDENTIDAD", "CEDULA DE CIUDADANIA", "CARTE D'IDENTITÉ", "CARTE NATIONALE D'IDENTITE", "PERSONALAUSWEIS", "DOCUMENTO NACIONAL DE IDENTIDAD", "CARTA D'IDENTITÀ", "IDENTITEITSKAART", "ID CARD"}},
}

// Classify decides the type in order of evidence strength.
func Classify(e Evidence) Classification {
	if e.AAMVA != nil {
		t := DriversLicense
		if e.AAMVA.Subfile == "ID" {
			t = IDCard
		}
		return Classification{Type: t, IssuingCountry: e.AAMVA.Country, Source: "aamva", Confidence: 0.99}
	}
	if e.MRZ != nil && e.MRZ.DocumentCode != "" {
		state := e.MRZ.IssuingState
		t := codeType(e.MRZ.Lines[0][:2], state)
		kt := keywordType(e.Text)
		// A residence keyword on an I/A/C card outranks the code.
		if t == IDCard && kt == ResidencePermit {
			t = ResidencePermit
		}
		switch {
		case t == Unknown:
			return Classification{Type: Unknown, IssuingCountry: state, Source: "mrz", Confidence: 0.3}
		case e.MRZ.Valid:
			return Classification{Type: t, IssuingCountry: state, Source: "mrz", Confidence: 0.95}
		case credible(e.MRZ):
			// A zone that fails a check but is a real state's, with most
			// of its checks passing, is a document that prints a wrong
			// check digit (or one misread): it names the type, less sure.
			return Classification{Type: t, IssuingCountry: state, Source: "mrz", Confidence: 0.6}
		case kt == t:
			// Otherwise it may be garbage that happens to start like a
			// zone: it sets the type only where the printed title agrees,
			// and the country only where it is printed too.
			c := Classification{Type: t, Source: "mrz", Confidence: 0.6}
			if vizWords(e.Text)[state] {
				c.IssuingCountry = state
			}
			return c
		}
	}
	if q := e.Aadhaar; q != nil {
		c := Classification{Type: IDCard, IssuingCountry: "IND", Source: "qr_signature", Confidence: 0.99, Name: "Aadhaar"}
		if !e.AadhaarSigned {
			c.Source, c.Confidence = "qr", 0.6 // read, but no trusted key signed it
		}
		return c
	}
	if n, conf, ok := recogniseNational(e.Text); ok {
		src := "keywords"
		if n.Number != "" {
			src = "id_number"
		}
		return Classification{Type: n.Type, IssuingCountry: n.Country, Source: src, Confidence: conf, Name: n.Name}
	}
	if t := keywordType(e.Text); t != "" {
		return Classification{Type: t, IssuingCountry: printedState(e.Text), Source: "keywords", Confidence: 0.7}
	}
	if country, ok := licenceLayout(e.Text); ok {
		if country == "" {
			country = printedState(e.Text)
		}
		return Classification{Type: DriversLicense, IssuingCountry: country, Source: "layout", Confidence: 0.6}
	}
	// ID-1 cards (85.60 × 53.98 mm) are 1.586:1; an open passport's data
	// page (ID-3, 125 × 88 mm) 1.42:1.
	if e.Aspect > 0 {
		if math.Abs(e.Aspect-1.586) < 0.06 {
			return Classification{Type: IDCard, Source: "aspect_ratio", Confidence: 0.4}
		}
		if math.Abs(e.Aspect-1.42) < 0.05 {
			return Classification{Type: Passport, Source: "aspect_ratio", Confidence: 0.4}
		}
	}
	return Classification{Type: Unknown, Source: "none"}
}

func keywordType(text string) Type {
	t := prepareTitles(text)
	for _, k := range keywords {
		for _, w := range k.words {
			if titleIn(t, w) {
				return k.t
			}
		}
	}
	return ""
}

// containsWord finds w in s as whole words.
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		before := start == 0 || !isLetter(s[start-1])
		after := end == len(s) || !isLetter(s[end])
		if before && after {
			return true
		}
		i = start + 1
	}
}

func isLetter(b byte) bool { return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' }
