package document

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/aadhaar"
	"github.com/kycd/kycd/internal/aamva"
	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/mrz"
	"github.com/kycd/kycd/internal/mrzscan"
	"github.com/kycd/kycd/internal/pdf417"
	"github.com/kycd/kycd/internal/raster"
)

// Field is one extracted value: where it came from and how sure the reader
// is (0–100).
type Field struct {
	Value      string  `json:"value"`
	Confidence float64 `json:"confidence" doc:"0–100"`
	Source     string  `json:"source" enum:"mrz,barcode,visual"`
}

// MRZReport is the machine-readable zone as read.
type MRZReport struct {
	Format      string           `json:"format" enum:"TD1,TD2,TD3,MRV-A,MRV-B,FR-ID"`
	Lines       []string         `json:"lines"`
	Checks      map[string]Check `json:"checks" doc:"each check digit: document_number, date_of_birth, expiration_date, personal_number, composite; and names, present (and failing) when the names field cannot be a name, as no check digit covers it"`
	Valid       bool             `json:"valid" doc:"the reading can be trusted: every check digit passes and something confirms what no check digit covers (the document code, the names); see unconfirmed"`
	ChecksPass  bool             `json:"checks_pass" doc:"every check digit passes"`
	Unconfirmed []string         `json:"unconfirmed" doc:"fields no check digit covers that nothing else confirms: ID_TYPE (the document code is not one the issuing state is known to use, and no printed title names the type), LAST_NAME, FIRST_NAME, MIDDLE_NAME (not printed in the visual zone as the MRZ spells them)"`
	Repaired    []string         `json:"repaired" doc:"fields changed by a repair that a check digit proves"`
	Confidence  float64          `json:"confidence" doc:"0–100"`
	Side        string           `json:"side" enum:"front,back"`
}

// Check is one check digit.
type Check struct {
	Printed  string `json:"printed"`
	Computed string `json:"computed"`
	Valid    bool   `json:"valid"`
}

// BarcodeReport is the PDF417 barcode as read.
type BarcodeReport struct {
	Format       string            `json:"format" enum:"PDF417"`
	Standard     string            `json:"standard" enum:"AAMVA"`
	Version      int               `json:"version"`
	Jurisdiction string            `json:"jurisdiction"`
	Fields       map[string]string `json:"fields" doc:"every element of the licence subfile by its AAMVA code (DAQ, DCS, ...)"`
	Side         string            `json:"side" enum:"front,back"`
}

// NationalIDReport is a national ID's signed QR code as read.
type NationalIDReport struct {
	Scheme    string    `json:"scheme" enum:"aadhaar_secure_qr"`
	Verified  bool      `json:"verified" doc:"the issuer's signature verifies with a certificate the operator trusts, valid when the code was generated; when false nothing of it is trusted"`
	Signer    string    `json:"signer,omitempty" doc:"the verifying certificate's name"`
	Generated time.Time `json:"generated,omitzero" doc:"when the issuer generated the code"`
	Last4     string    `json:"number_last4" doc:"the last four digits of the national number (the QR holds no more)"`
	Photo     []byte    `json:"photo,omitempty" doc:"the holder's photo in the code, JPEG 2000, base64"`
	Side      string    `json:"side" enum:"front,back"`
}

// PortraitReport is where the holder's photo is.
type PortraitReport struct {
	Side        string  `json:"side" enum:"front,back"`
	BoundingBox Box     `json:"bounding_box"`
	Confidence  float64 `json:"confidence" doc:"0–100"`
}

// CrossCheck compares a value printed on the document with the one in the
// MRZ or barcode.
type CrossCheck struct {
	Field   string `json:"field"`
	Machine string `json:"machine" doc:"the MRZ's or barcode's value"`
	Printed string `json:"printed" doc:"what the printed text says"`
	Agrees  bool   `json:"agrees"`
}

// Box is a rectangle as ratios (0–1) of the image.
type Box struct {
	Left   float64 `json:"left"`
	Top    float64 `json:"top"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// Analysis is everything read from a document.
type Analysis struct {
	DocumentType   Type               `json:"document_type" enum:"passport,id_card,residence_permit,visa,drivers_license,unknown"`
	IssuingCountry string             `json:"issuing_country" doc:"ISO 3166-1 alpha-3 when known"`
	TypeSource     string             `json:"type_source" enum:"aamva,mrz,qr_signature,qr,id_number,keywords,layout,aspect_ratio,none" doc:"what the type rests on, strongest first: the AAMVA barcode, the MRZ, a national QR whose signature verified (qr_signature) or did not (qr), a national number that passes its check with the document's printed title (id_number), the printed title alone (keywords), the EU licence's numbered fields (layout), the card's shape"`
	DocumentName   string             `json:"document_name,omitempty" doc:"the document's own name when recognised without an MRZ: Aadhaar, PAN card, KTP, SIM, DNI"`
	Fields         map[string]Field   `json:"fields"`
	MRZ            *MRZReport         `json:"mrz,omitempty"`
	Barcode        *BarcodeReport     `json:"barcode,omitempty"`
	NationalID     *NationalIDReport  `json:"national_id,omitempty" doc:"a national ID's signed QR (India's Aadhaar Secure QR)"`
	Portrait       *PortraitReport    `json:"portrait,omitempty"`
	Quality        map[string]Quality `json:"quality" doc:"per side: front, back"`
	CrossChecks    []CrossCheck       `json:"cross_checks" doc:"the printed text compared with the MRZ or barcode"`
	Warnings       []string           `json:"warnings"`

	// For the face match: the portrait's face, not serialized.
	PortraitFace  *face.Face    `json:"-"`
	PortraitImage *raster.Image `json:"-"`
}

// Warning codes beyond the photo quality ones.
const (
	WarnUnreadable       = "document_unreadable"  // neither an MRZ nor a barcode could be read
	WarnChecksumFailed   = "mrz_checksum_failed"  // a check digit fails
	WarnRepaired         = "mrz_repaired"         // a check digit proved a correction
	WarnExpired          = "document_expired"     // past its expiry date
	WarnNoPortrait       = "no_face_on_document"  // no face found
	WarnInconsistent     = "data_inconsistent"    // two sources disagree
	WarnBackNeeded       = "back_side_needed"     // the data is probably on the back, which was not sent
	WarnUnsupported      = "unsupported_document" // the type could not be told
	WarnBarcodeMalformed = "barcode_malformed"    // a PDF417 was read but is not an AAMVA payload
	WarnUnconfirmed      = "data_unconfirmed"     // a field no check digit covers is confirmed by nothing else
)

// Warnings lists every warning code an analysis can carry (the pages
// explain each one).
var Warnings = []string{WarnLowResolution, WarnBlurry, WarnGlare, WarnTooDark, WarnUnreadable, WarnChecksumFailed,
	WarnRepaired, WarnExpired, WarnNoPortrait, WarnInconsistent, WarnBackNeeded, WarnUnsupported, WarnBarcodeMalformed, WarnUnconfirmed}

// Analyzer reads documents. Faces finds the portrait; without it the
// portrait is skipped.
type Analyzer struct {
	// AadhaarKeys verify Aadhaar Secure QR codes; nil: UIDAI's published
	// certificates (aadhaar.UIDAIKeys).
	AadhaarKeys []aadhaar.Key
	Faces       *face.Engine
	Limits      raster.Limits
	Now         func() time.Time
	SkipText    bool // skip reading the printed text (Tesseract)
}

// Side is one image of the document.
type Side struct {
	Name string // front or back
	Data []byte
}

type decoded struct {
	name string
	img  *raster.Image
	gray *raster.Gray // its luminance, computed once for every reader
}

// Analyze decodes and reads the sides. Bad images fail with the decoder's
// stable codes (unsupported_media, too_large, invalid); a readable image
// with nothing recognisable is not an error: it comes back as type unknown
// with warnings saying why.
func (a *Analyzer) Analyze(ctx context.Context, sides ...Side) (*Analysis, error) {
	now := time.Now()
	if a.Now != nil {
		now = a.Now()
	}
	var imgs []decoded
	for _, s := range sides {
		if len(s.Data) == 0 {
			continue
		}
		img, err := raster.Decode(s.Data, a.Limits)
		if err != nil {
			var e *kyc.Error
			if errors.As(err, &e) {
				return nil, kyc.Errorf(e.Code, "%s: %s", s.Name, e.Message)
			}
			return nil, err
		}
		imgs = append(imgs, decoded{s.Name, img, img.Gray()})
	}
	if len(imgs) == 0 {
		return nil, kyc.Errorf(kyc.Invalid, "send the document's front image")
	}
	an := &Analysis{Fields: map[string]Field{}, Quality: map[string]Quality{}, Warnings: []string{}, CrossChecks: []CrossCheck{}}
	var m *mrz.MRZ
	var sure [][]float32 // how sure the classifier is of each of m's cells
	var card *aamva.Card
	turns := map[string]int{}             // side → clockwise turn that makes it upright (from its MRZ, else its face)
	reads := map[string]*mrzscan.Result{} // side → its MRZ, when it passes every check
	for _, d := range imgs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		q := AssessQuality(d.gray)
		q.Sharpness, q.Brightness, q.Glare = round1(q.Sharpness), round1(q.Brightness), math.Round(q.Glare*1e4)/1e4
		an.Quality[d.name] = q
		for _, w := range q.Warnings {
			an.warn(w)
		}
		if m == nil {
			if r, err := mrzscan.ReadGray(d.gray, mrzscan.Options{Now: now}); err == nil {
				m, sure = r.MRZ, r.Sure
				an.MRZ = mrzReport(r, d.name)
				turns[d.name] = uprightTurn(r.Angle)
				if r.MRZ.Valid {
					// Painted over, and its page cut out, for Tesseract:
					// only where it is sure to be (a misplaced zone would
					// hide printed fields).
					reads[d.name] = r
				}
			}
		}
	}
	// No MRZ: look for a licence's barcode, on the back first. A zone that
	// fails its checks and does not read as a state's is no MRZ (text
	// lines that parse as one): it does not stop the search, and gives
	// way to a barcode or QR that is found.
	phantom := func() bool { return m != nil && !m.Valid && !credible(m) }
	for i := len(imgs) - 1; i >= 0 && (m == nil || phantom()) && card == nil; i-- {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d := imgs[i]
		if data, _, err := pdf417.ReadGray(d.gray); err == nil {
			c, err := aamva.Parse(string(data))
			if err != nil {
				an.warn(WarnBarcodeMalformed)
				continue
			}
			card = c
			an.Barcode = barcodeReport(c, d.name)
		}
	}
	// Neither: a national ID's signed QR (Aadhaar's is on the back).
	var qr *aadhaar.QR
	for i := len(imgs) - 1; i >= 0 && (m == nil || phantom()) && card == nil && qr == nil; i-- {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if data, err := pdf417.ReadQRGray(imgs[i].gray); err == nil {
			if q, err := aadhaar.Parse(string(data)); err == nil {
				qr = q
				an.NationalID = a.aadhaarReport(q, imgs[i].name)
			}
		}
	}
	if phantom() && (card != nil || qr != nil) {
		m, sure, an.MRZ = nil, nil, nil
		clear(turns)
		clear(reads)
	}
	if a.Faces != nil {
		if err := an.findPortrait(ctx, a.Faces, imgs, turns); err != nil {
			return nil, err
		}
	}
	// The printed text: keywords for the type, the fields the MRZ and the
	// barcode lack, and a cross-check of those they hold. A licence whose
	// barcode was read needs none of it.
	var text strings.Builder
	var seen printed
	if card == nil && !a.SkipText {
		for _, d := range imgs {
			t, err := printedText(ocrPage(d.gray, turns[d.name], reads[d.name]))
			if err != nil {
				return nil, fmt.Errorf("reading the printed text: %w", err)
			}
			text.WriteString(t)
			text.WriteString("\n")
			seen.merge(readLabels(t, false))
		}
	}
	c := Classify(Evidence{MRZ: m, AAMVA: card, Aadhaar: qr, AadhaarSigned: an.NationalID != nil && an.NationalID.Verified, Text: text.String()})
	an.DocumentType, an.IssuingCountry, an.TypeSource, an.DocumentName = c.Type, isoCountry(c.IssuingCountry), c.Source, c.Name
	switch {
	case m != nil:
		an.confirm(m, sure, c, text.String())
		an.mrzFields(m, an.MRZ.Confidence, now)
	case card != nil:
		an.barcodeFields(card, now)
	case qr != nil:
		an.aadhaarFields(qr, text.String())
	default:
		an.warn(WarnUnreadable)
		if len(imgs) == 1 && an.Portrait != nil {
			an.warn(WarnBackNeeded)
		}
	}
	an.printedFields(seen, now)
	if an.DocumentType == Unknown {
		an.warn(WarnUnsupported)
	}
	if an.MRZ != nil && slices.Contains(an.MRZ.Unconfirmed, "ID_TYPE") {
		c.Confidence = math.Min(c.Confidence, 0.5)
	}
	an.Fields["ID_TYPE"] = Field{Value: an.DocumentType.Words(), Confidence: round1(100 * c.Confidence), Source: typeSource(c.Source)}
	return an, nil
}

// findPortrait looks for the holder's face on each side: first turned
// upright by what the MRZ said, then as sent, then at the other right
// angles (a detector only finds upright faces). The box is reported in the
// coordinates of the image as sent.
func (an *Analysis) findPortrait(ctx context.Context, e *face.Engine, imgs []decoded, turns map[string]int) error {
	for _, d := range imgs {
		tries := []int{0, 90, 270, 180}
		if t, ok := turns[d.name]; ok {
			tries = []int{t}
		}
		for _, t := range tries {
			img := d.img.Turn(t)
			faces, err := e.Detect(ctx, img, 0)
			if err != nil {
				return err
			}
			f := face.Largest(faces)
			if f == nil {
				continue
			}
			an.PortraitFace, an.PortraitImage = f, img
			if _, ok := turns[d.name]; !ok {
				turns[d.name] = t // the face shows which way is up
			}
			x0, y0 := unturn(f.Box.X, f.Box.Y, t, d.img)
			x1, y1 := unturn(f.Box.X+f.Box.W, f.Box.Y+f.Box.H, t, d.img)
			an.Portrait = &PortraitReport{Side: d.name, Confidence: round1(100 * f.Confidence), BoundingBox: Box{
				Left: ratio(math.Min(x0, x1), d.img.W), Top: ratio(math.Min(y0, y1), d.img.H),
				Width: ratio(math.Abs(x1-x0), d.img.W), Height: ratio(math.Abs(y1-y0), d.img.H)}}
			return nil
		}
	}
	an.warn(WarnNoPortrait)
	return nil
}

// unturn maps a point of img turned clockwise by t back onto img.
func unturn(x, y float64, t int, img *raster.Image) (float64, float64) {
	w, h := float64(img.W), float64(img.H)
	switch t {
	case 90:
		return y, h - x
	case 180:
		return w - x, h - y
	case 270:
		return w - y, x
	}
	return x, y
}

func (an *Analysis) warn(w string) {
	if !slices.Contains(an.Warnings, w) {
		an.Warnings = append(an.Warnings, w)
	}
}

func (an *Analysis) set(name, value string, conf float64, source string) {
	if value == "" {
		return
	}
	an.Fields[name] = Field{Value: value, Confidence: round1(conf), Source: source}
}

func mrzReport(r *mrzscan.Result, side string) *MRZReport {
	m := r.MRZ
	rep := &MRZReport{Format: string(m.Format), Lines: m.Lines, Checks: map[string]Check{}, Valid: m.Valid, ChecksPass: m.Valid, Unconfirmed: []string{},
		Repaired: append([]string{}, m.Repaired...), Confidence: r.Confidence, Side: side}
	for _, c := range m.Checks {
		rep.Checks[c.Field] = Check{Printed: c.Printed, Computed: c.Computed, Valid: c.Valid}
	}
	return rep
}

func (an *Analysis) mrzFields(m *mrz.MRZ, conf float64, now time.Time) {
	checked := map[string]bool{}
	for _, c := range m.Checks {
		checked[c.Field] = c.Valid
	}
	// A field whose check digit passes is as sure as OCR gets; a failing
	// or repaired one is not; names have no check digit at all.
	fieldConf := func(check string) float64 {
		c := conf
		if v, ok := checked[check]; ok && v {
			c = math.Max(c, 99)
		} else if ok {
			c = math.Min(c, 50)
		}
		if slices.Contains(m.Repaired, check) {
			c = math.Min(c, 90)
		}
		return c
	}
	// A name nothing confirms is no surer than a guess between it and
	// its neighbours.
	nameConf := func(field string) float64 {
		if slices.Contains(an.MRZ.Unconfirmed, field) {
			return math.Min(conf, 50)
		}
		return conf
	}
	first, middle, _ := strings.Cut(m.GivenNames, " ")
	an.set("LAST_NAME", m.Surname, nameConf("LAST_NAME"), "mrz")
	an.set("FIRST_NAME", first, nameConf("FIRST_NAME"), "mrz")
	an.set("MIDDLE_NAME", middle, nameConf("MIDDLE_NAME"), "mrz")
	an.set("DOCUMENT_NUMBER", m.DocumentNumber, fieldConf("document_number"), "mrz")
	if !m.BirthDate.IsZero() {
		an.set("DATE_OF_BIRTH", m.BirthDate.Format(time.DateOnly), fieldConf("date_of_birth"), "mrz")
	}
	if !m.ExpiryDate.IsZero() {
		an.set("EXPIRATION_DATE", m.ExpiryDate.Format(time.DateOnly), fieldConf("expiration_date"), "mrz")
		if m.ExpiryDate.Before(now) {
			an.warn(WarnExpired)
		}
	}
	an.set("SEX", m.Sex, conf, "mrz")
	an.set("NATIONALITY", isoCountry(m.Nationality), conf, "mrz")
	an.set("ISSUING_COUNTRY", isoCountry(m.IssuingState), conf, "mrz")
	an.set("MRZ_CODE", strings.Join(m.Lines, "\n"), conf, "mrz")
	if m.Format == mrz.TD3 && m.Optional1 != "" {
		an.set("PERSONAL_NUMBER", m.Optional1, fieldConf("personal_number"), "mrz")
	}
	if !m.Valid {
		an.warn(WarnChecksumFailed)
	}
	if len(m.Repaired) > 0 {
		an.warn(WarnRepaired)
	}
}

// confirm names what of m no check digit covers and nothing confirms
// (see confirm.go): the MRZ is then not valid, and the analysis says
// data_unconfirmed. Without the printed text (SkipText: text is empty)
// only the classifier's sureness can confirm the names.
func (an *Analysis) confirm(m *mrz.MRZ, sure [][]float32, c Classification, text string) {
	var unconfirmed []string
	if c.Source == "mrz" && c.Type != Unknown && !codeConfirmed(m.Lines[0][:2], m.IssuingState, c.Type, text, codeSureness(sure)) {
		unconfirmed = append(unconfirmed, "ID_TYPE")
	}
	unconfirmed = append(unconfirmed, unconfirmedNames(m, text, nameSureness(m, sure))...)
	// A repair is proven by its check digit, and the composite's, but a
	// reading that fits the font poorly (a card read askew: garbage a
	// repair made pass) proves nothing by passing: its repaired fields
	// are not trusted on that alone.
	if len(m.Repaired) > 0 && an.MRZ.Confidence < repairFit {
		for _, f := range m.Repaired {
			unconfirmed = append(unconfirmed, strings.ToUpper(f))
		}
	}
	if len(unconfirmed) == 0 {
		return
	}
	an.MRZ.Unconfirmed = unconfirmed
	an.MRZ.Valid = false
	an.warn(WarnUnconfirmed)
}

// repairFit is the reading confidence (the font's fit, 0–100) under which
// a repaired field is not trusted: 90 is a mean glyph score of 0.85, which
// clean readings pass and the garbage of a card read askew does not
// (mrzscan's sureFit).
const repairFit = 90

func (a *Analyzer) aadhaarReport(q *aadhaar.QR, side string) *NationalIDReport {
	keys := a.AadhaarKeys
	if keys == nil {
		keys = aadhaar.UIDAIKeys()
	}
	r := &NationalIDReport{Scheme: "aadhaar_secure_qr", Generated: q.Generated, Last4: q.Last4, Photo: q.Photo, Side: side}
	if k, err := q.Verify(keys); err == nil {
		r.Verified, r.Signer = true, k.Name
	}
	return r
}

// aadhaarFields sets what the QR holds. Verified, it is as sure as a
// barcode; unverified, nothing of it is trusted (data_unconfirmed). The
// number is the printed one that passes its check and ends with the QR's
// last four digits.
func (an *Analysis) aadhaarFields(q *aadhaar.QR, text string) {
	conf := 99.0
	if !an.NationalID.Verified {
		conf = 50
		an.warn(WarnUnconfirmed)
	}
	first, last := q.Name, ""
	if i := strings.LastIndex(q.Name, " "); i > 0 {
		first, last = q.Name[:i], q.Name[i+1:]
	}
	an.set("FIRST_NAME", first, conf, "barcode")
	an.set("LAST_NAME", last, conf, "barcode")
	if !q.DateOfBirth.IsZero() {
		an.set("DATE_OF_BIRTH", q.DateOfBirth.Format(time.DateOnly), conf, "barcode")
	}
	an.set("SEX", q.Gender, conf, "barcode")
	an.set("ADDRESS", q.Address(), conf, "barcode")
	an.set("CITY_IN_ADDRESS", q.VTC, conf, "barcode")
	an.set("STATE_IN_ADDRESS", q.State, conf, "barcode")
	an.set("ZIP_CODE_IN_ADDRESS", q.PinCode, conf, "barcode")
	an.set("ISSUING_COUNTRY", "IND", conf, "barcode")
	for _, n := range aadhaarNumber.FindAllString(text, -1) {
		n = strings.ReplaceAll(n, " ", "")
		if aadhaar.ValidNumber(n) && strings.HasSuffix(n, q.Last4) {
			an.set("DOCUMENT_NUMBER", n, min(conf, 90), "visual")
			break
		}
	}
}

func barcodeReport(c *aamva.Card, side string) *BarcodeReport {
	return &BarcodeReport{Format: "PDF417", Standard: "AAMVA", Version: c.Version, Jurisdiction: c.Jurisdiction.Code,
		Fields: c.Elements, Side: side}
}

func (an *Analysis) barcodeFields(c *aamva.Card, now time.Time) {
	const conf = 99 // PDF417 carries error correction: a read is exact
	an.set("LAST_NAME", c.LastName, conf, "barcode")
	an.set("FIRST_NAME", c.FirstName, conf, "barcode")
	an.set("MIDDLE_NAME", c.MiddleName, conf, "barcode")
	an.set("SUFFIX", c.Suffix, conf, "barcode")
	an.set("DOCUMENT_NUMBER", c.DocumentNumber, conf, "barcode")
	for name, t := range map[string]time.Time{"DATE_OF_BIRTH": c.BirthDate, "EXPIRATION_DATE": c.ExpiryDate, "DATE_OF_ISSUE": c.IssueDate} {
		if !t.IsZero() {
			an.set(name, t.Format(time.DateOnly), conf, "barcode")
		}
	}
	if !c.ExpiryDate.IsZero() && c.ExpiryDate.Before(now) {
		an.warn(WarnExpired)
	}
	an.set("SEX", c.Sex, conf, "barcode")
	an.set("CITY_IN_ADDRESS", c.City, conf, "barcode")
	an.set("STATE_IN_ADDRESS", c.State, conf, "barcode")
	an.set("ZIP_CODE_IN_ADDRESS", c.PostalCode, conf, "barcode")
	an.set("STATE_NAME", c.Jurisdiction.Name, conf, "barcode")
	if c.Street != "" {
		addr := c.Street + ", " + c.City + ", " + c.State + " " + c.PostalCode
		an.set("ADDRESS", strings.TrimSpace(addr), conf, "barcode")
	}
	an.set("CLASS", c.Elements["DCA"], conf, "barcode")
	an.set("RESTRICTIONS", c.Elements["DCB"], conf, "barcode")
	an.set("ENDORSEMENTS", c.Elements["DCD"], conf, "barcode")
	an.set("ISSUING_COUNTRY", c.Country, conf, "barcode")
}

// isoCountry turns ICAO's codes that are not ISO 3166 into ISO ones.
func isoCountry(code string) string {
	switch code {
	case "D":
		return "DEU"
	case "GBD", "GBN", "GBO", "GBP", "GBS":
		return "GBR"
	}
	return code
}

func typeSource(s string) string {
	switch s {
	case "aamva", "qr_signature", "qr":
		return "barcode"
	case "mrz":
		return "mrz"
	}
	return "visual"
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// ratio is v/of clamped to 0–1, to four decimals (a tenth of a pixel on
// a 1000-pixel image is below what a detector can tell).
func ratio(v float64, of int) float64 {
	return math.Round(math.Max(0, math.Min(1, v/float64(of)))*1e4) / 1e4
}

// printedFields adds what only the printed text holds, and compares what
// both hold. Printed values are less sure than machine-readable ones.
func (an *Analysis) printedFields(p printed, now time.Time) {
	const conf = 70
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	known := map[string]bool{}
	for _, f := range []string{"DATE_OF_BIRTH", "EXPIRATION_DATE"} {
		if v := an.Fields[f].Value; v != "" {
			known[v] = true
		}
	}
	// The issue date: after its label, or else the one printed date that
	// is neither the birth nor the expiry date and lies between them.
	issue := p.issue
	if issue.IsZero() && len(known) == 2 {
		var others []time.Time
		for _, t := range p.dates {
			if !known[day(t)] && !slices.ContainsFunc(others, t.Equal) {
				others = append(others, t)
			}
		}
		if len(others) == 1 {
			issue = others[0]
		}
	}
	birth, _ := time.Parse(time.DateOnly, an.Fields["DATE_OF_BIRTH"].Value)
	if !issue.IsZero() && !known[day(issue)] && !issue.After(now) && issue.After(birth) {
		an.setIfMissing("DATE_OF_ISSUE", day(issue), conf)
	}
	an.setIfMissing("PLACE_OF_BIRTH", p.place, conf)
	an.setIfMissing("ADDRESS", p.address, conf)
	an.setIfMissing("LAST_NAME", p.surname, conf)
	// Cross-checks: the machine-readable birth date must be printed, and
	// the printed surname must be the MRZ's.
	if b := an.Fields["DATE_OF_BIRTH"]; b.Source != "" && b.Source != "visual" && len(p.dates) > 0 {
		printed := ""
		for _, t := range p.dates {
			if day(t) == b.Value {
				printed = b.Value
			}
		}
		an.crossCheck("DATE_OF_BIRTH", b.Value, printed, printed != "")
	}
	if s := an.Fields["LAST_NAME"]; s.Source != "" && s.Source != "visual" && p.surname != "" {
		an.crossCheck("LAST_NAME", s.Value, p.surname, sameName(s.Value, p.surname))
	}
}

func (an *Analysis) setIfMissing(name, value string, conf float64) {
	if _, ok := an.Fields[name]; !ok {
		an.set(name, value, conf, "visual")
	}
}

func (an *Analysis) crossCheck(field, machine, printed string, agrees bool) {
	an.CrossChecks = append(an.CrossChecks, CrossCheck{Field: field, Machine: machine, Printed: printed, Agrees: agrees})
	if !agrees {
		an.warn(WarnInconsistent)
	}
}

// sameName compares a machine-readable surname with a printed one: the MRZ
// transliterates (Ü → UE) and truncates, and OCR drops a letter now and
// then, so letters only, a prefix or one edit apart count as the same.
func sameName(machine, printed string) bool {
	a, b := letters(fold(machine)), letters(fold(printed))
	if a == "" || b == "" {
		return true
	}
	if strings.HasPrefix(a, b) || strings.HasPrefix(b, a) || strings.Contains(b, a) {
		return true
	}
	return editDistance(a, b) <= 1
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
