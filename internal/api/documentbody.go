package api

import (
	"maps"
	"time"

	"github.com/kycd/kycd/internal/document"
)

// The wire form of a document's reading. It mirrors document.Analysis
// today, but is its own type: the API's contract does not move when the
// reader's result or a case's stored details change, and the reverse.

// AnalysisBody is everything read from a document.
type AnalysisBody struct {
	DocumentType   string                 `json:"document_type" enum:"passport,id_card,residence_permit,visa,drivers_license,unknown"`
	IssuingCountry string                 `json:"issuing_country" doc:"ISO 3166-1 alpha-3 when known"`
	TypeSource     string                 `json:"type_source" enum:"aamva,mrz,qr_signature,qr,id_number,keywords,layout,aspect_ratio,none" doc:"what the type rests on, strongest first: the AAMVA barcode, the MRZ, a national QR whose signature verified (qr_signature) or did not (qr), a national number that passes its check with the document's printed title (id_number), the printed title alone (keywords), the EU licence's numbered fields (layout), the card's shape"`
	DocumentName   string                 `json:"document_name,omitempty" doc:"the document's own name when recognised without an MRZ: Aadhaar, PAN card, KTP, SIM, DNI"`
	Fields         map[string]FieldBody   `json:"fields"`
	MRZ            *MRZBody               `json:"mrz,omitempty"`
	Barcode        *BarcodeBody           `json:"barcode,omitempty"`
	NationalID     *NationalIDBody        `json:"national_id,omitempty" doc:"a national ID's signed QR (India's Aadhaar Secure QR)"`
	Portrait       *PortraitBody          `json:"portrait,omitempty"`
	Quality        map[string]QualityBody `json:"quality" doc:"per side: front, back"`
	CrossChecks    []CrossCheckBody       `json:"cross_checks" doc:"the printed text compared with the MRZ or barcode"`
	Warnings       []string               `json:"warnings"`
}

// FieldBody is one value read from a document.
type FieldBody struct {
	Value      string  `json:"value"`
	Confidence float64 `json:"confidence" doc:"0–100"`
	Source     string  `json:"source" enum:"mrz,barcode,visual"`
}

// MRZBody is the machine-readable zone as read.
type MRZBody struct {
	Format      string               `json:"format" enum:"TD1,TD2,TD3,MRV-A,MRV-B,FR-ID"`
	Lines       []string             `json:"lines"`
	Checks      map[string]CheckBody `json:"checks" doc:"each check digit: document_number, date_of_birth, expiration_date, personal_number, composite; and names, present (and failing) when the names field cannot be a name, as no check digit covers it"`
	Valid       bool                 `json:"valid" doc:"the reading can be trusted: every check digit passes and something confirms what no check digit covers (the document code, the names); see unconfirmed"`
	ChecksPass  bool                 `json:"checks_pass" doc:"every check digit passes"`
	Unconfirmed []string             `json:"unconfirmed" doc:"fields no check digit covers that nothing else confirms: ID_TYPE (a document code the issuing state is not known to use, and no printed title names the type), LAST_NAME, FIRST_NAME, MIDDLE_NAME (not printed in the visual zone as the MRZ spells them)"`
	Repaired    []string             `json:"repaired" doc:"fields changed by a repair that a check digit proves"`
	Confidence  float64              `json:"confidence" doc:"0–100"`
	Side        string               `json:"side" enum:"front,back"`
}

// CheckBody is one check digit.
type CheckBody struct {
	Printed  string `json:"printed"`
	Computed string `json:"computed"`
	Valid    bool   `json:"valid"`
}

// BarcodeBody is the PDF417 barcode of a licence.
type BarcodeBody struct {
	Format       string            `json:"format" enum:"PDF417"`
	Standard     string            `json:"standard" enum:"AAMVA"`
	Version      int               `json:"version"`
	Jurisdiction string            `json:"jurisdiction"`
	Fields       map[string]string `json:"fields" doc:"every element of the licence subfile by its AAMVA code (DAQ, DCS, ...)"`
	Side         string            `json:"side" enum:"front,back"`
}

// NationalIDBody is a national ID's signed QR code as read.
type NationalIDBody struct {
	Scheme    string    `json:"scheme" enum:"aadhaar_secure_qr"`
	Verified  bool      `json:"verified" doc:"the issuer's signature verifies with a certificate the operator trusts (--aadhaar-certs, and UIDAI's published ones), valid when the code was generated; when false nothing of it is trusted"`
	Signer    string    `json:"signer,omitempty" doc:"the verifying certificate's name"`
	Generated time.Time `json:"generated,omitzero" doc:"when the issuer generated the code"`
	Last4     string    `json:"number_last4" doc:"the last four digits of the national number (the QR holds no more)"`
	Photo     []byte    `json:"photo,omitempty" doc:"the holder's photo in the code, JPEG 2000, base64"`
	Side      string    `json:"side" enum:"front,back"`
}

// PortraitBody is where the holder's photo is.
type PortraitBody struct {
	Side        string  `json:"side" enum:"front,back"`
	BoundingBox BoxBody `json:"bounding_box"`
	Confidence  float64 `json:"confidence" doc:"0–100"`
}

// BoxBody is a rectangle as ratios (0–1) of the image.
type BoxBody struct {
	Left   float64 `json:"left"`
	Top    float64 `json:"top"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// QualityBody is a photo's quality.
type QualityBody struct {
	Width      int      `json:"width"`
	Height     int      `json:"height"`
	Sharpness  float64  `json:"sharpness" doc:"0–100, from the variance of the Laplacian at a fixed scale"`
	Glare      float64  `json:"glare" doc:"share of blown-out pixels, 0–1"`
	Brightness float64  `json:"brightness" doc:"mean luminance, 0–100"`
	Warnings   []string `json:"warnings"`
}

// CrossCheckBody compares a printed value with the MRZ's or barcode's.
type CrossCheckBody struct {
	Field   string `json:"field"`
	Machine string `json:"machine" doc:"the MRZ's or barcode's value"`
	Printed string `json:"printed" doc:"what the printed text says"`
	Agrees  bool   `json:"agrees"`
}

func fieldBodies(fs map[string]document.Field) map[string]FieldBody {
	if fs == nil {
		return nil
	}
	out := make(map[string]FieldBody, len(fs))
	for k, f := range fs {
		out[k] = FieldBody{Value: f.Value, Confidence: f.Confidence, Source: f.Source}
	}
	return out
}

func analysisBody(an *document.Analysis) *AnalysisBody {
	b := &AnalysisBody{DocumentType: string(an.DocumentType), IssuingCountry: an.IssuingCountry, TypeSource: an.TypeSource, DocumentName: an.DocumentName,
		Fields: fieldBodies(an.Fields), Quality: map[string]QualityBody{}, CrossChecks: []CrossCheckBody{}, Warnings: nonNil(an.Warnings)}
	if b.Fields == nil {
		b.Fields = map[string]FieldBody{}
	}
	if m := an.MRZ; m != nil {
		b.MRZ = &MRZBody{Format: m.Format, Lines: m.Lines, Checks: map[string]CheckBody{}, Valid: m.Valid, ChecksPass: m.ChecksPass, Unconfirmed: nonNil(m.Unconfirmed),
			Repaired: nonNil(m.Repaired), Confidence: m.Confidence, Side: m.Side}
		for k, c := range m.Checks {
			b.MRZ.Checks[k] = CheckBody{Printed: c.Printed, Computed: c.Computed, Valid: c.Valid}
		}
	}
	if n := an.NationalID; n != nil {
		b.NationalID = &NationalIDBody{Scheme: n.Scheme, Verified: n.Verified, Signer: n.Signer, Generated: n.Generated,
			Last4: n.Last4, Photo: n.Photo, Side: n.Side}
	}
	if bc := an.Barcode; bc != nil {
		b.Barcode = &BarcodeBody{Format: bc.Format, Standard: bc.Standard, Version: bc.Version, Jurisdiction: bc.Jurisdiction,
			Fields: maps.Clone(bc.Fields), Side: bc.Side}
	}
	if p := an.Portrait; p != nil {
		b.Portrait = &PortraitBody{Side: p.Side, Confidence: p.Confidence, BoundingBox: BoxBody{Left: p.BoundingBox.Left,
			Top: p.BoundingBox.Top, Width: p.BoundingBox.Width, Height: p.BoundingBox.Height}}
	}
	for side, q := range an.Quality {
		b.Quality[side] = QualityBody{Width: q.Width, Height: q.Height, Sharpness: q.Sharpness, Glare: q.Glare,
			Brightness: q.Brightness, Warnings: nonNil(q.Warnings)}
	}
	for _, c := range an.CrossChecks {
		b.CrossChecks = append(b.CrossChecks, CrossCheckBody{Field: c.Field, Machine: c.Machine, Printed: c.Printed, Agrees: c.Agrees})
	}
	return b
}
