package document

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/kycd/kycd/internal/aadhaar"
	"github.com/kycd/kycd/internal/docgen"
)

// aadhaarBack draws the back of an Aadhaar card: a white card with its
// Secure QR (text) at 4 px a module, as a PNG.
func aadhaarBack(t *testing.T, text string) []byte {
	t.Helper()
	q, err := qrcode.New(text, qrcode.Low)
	if err != nil {
		t.Fatal(err)
	}
	sym := q.Image(-4)
	card := image.NewRGBA(image.Rect(0, 0, sym.Bounds().Dx()+600, sym.Bounds().Dy()+200))
	draw.Draw(card, card.Bounds(), image.NewUniform(color.RGBA{248, 246, 240, 255}), image.Point{}, draw.Src)
	draw.Draw(card, sym.Bounds().Add(image.Pt(500, 100)), sym, image.Point{}, draw.Src)
	return encodePNG(card)
}

func aadhaarSample(t *testing.T) (string, []aadhaar.Key) {
	t.Helper()
	qr, err := os.ReadFile("../aadhaar/testdata/uidai-sample-qr.txt")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := os.ReadFile("../aadhaar/testdata/anon-aadhaar-test-cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := aadhaar.ParseCertificates(cert)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(qr)), keys
}

// TestAadhaarSecureQR: the photographed QR of an Aadhaar card is read,
// its signature checked, and its fields returned; signed by a key the
// operator does not trust it is reported unverified and nothing of it is
// trusted; a changed digit never verifies.
func TestAadhaarSecureQR(t *testing.T) {
	text, keys := aadhaarSample(t)
	ctx := context.Background()
	back := aadhaarBack(t, text)

	a := &Analyzer{AadhaarKeys: append(aadhaar.UIDAIKeys(), keys...), Now: func() time.Time { return testNow }}
	an, err := a.Analyze(ctx, Side{Name: "back", Data: back})
	if err != nil {
		t.Fatal(err)
	}
	n := an.NationalID
	if n == nil || !n.Verified || n.Scheme != "aadhaar_secure_qr" || n.Last4 != "2697" || len(n.Photo) == 0 {
		t.Fatalf("national id %+v", n)
	}
	if an.DocumentType != IDCard || an.IssuingCountry != "IND" || an.TypeSource != "qr_signature" || an.DocumentName != "Aadhaar" {
		t.Errorf("type %s %s %s %q", an.DocumentType, an.IssuingCountry, an.TypeSource, an.DocumentName)
	}
	for f, want := range map[string]string{"FIRST_NAME": "Sumit", "LAST_NAME": "Kumar", "DATE_OF_BIRTH": "1984-01-01", "SEX": "M",
		"ZIP_CODE_IN_ADDRESS": "110051", "STATE_IN_ADDRESS": "Delhi"} {
		if got := an.Fields[f]; got.Value != want || got.Confidence < 99 || got.Source != "barcode" {
			t.Errorf("%s = %+v, want %q", f, got, want)
		}
	}
	if slices.Contains(an.Warnings, WarnUnconfirmed) || slices.Contains(an.Warnings, WarnUnreadable) {
		t.Errorf("warnings %v", an.Warnings)
	}

	// UIDAI's keys alone do not verify the test key's signature.
	an, err = (&Analyzer{Now: func() time.Time { return testNow }}).Analyze(ctx, Side{Name: "back", Data: back})
	if err != nil {
		t.Fatal(err)
	}
	if an.NationalID == nil || an.NationalID.Verified || an.TypeSource != "qr" || !slices.Contains(an.Warnings, WarnUnconfirmed) ||
		an.Fields["LAST_NAME"].Confidence > 50 {
		t.Errorf("unknown key: %+v %s %v %+v", an.NationalID, an.TypeSource, an.Warnings, an.Fields["LAST_NAME"])
	}

	// One digit changed: the code no longer verifies (or no longer parses).
	changed := []byte(text)
	changed[len(changed)/2] = '0' + (changed[len(changed)/2]-'0'+1)%10
	an, err = a.Analyze(ctx, Side{Name: "back", Data: aadhaarBack(t, string(changed))})
	if err != nil {
		t.Fatal(err)
	}
	if an.NationalID != nil && an.NationalID.Verified {
		t.Error("a changed digit still verifies")
	}
}

// TestRecogniseNational: national documents without an MRZ from their
// printed title and a number that passes its check; a number without a
// title is not enough.
func TestRecogniseNational(t *testing.T) {
	// A valid Aadhaar number: the check digit found, not hard-coded.
	var number string
	for d := byte('0'); d <= '9'; d++ {
		if aadhaar.ValidNumber("23412341234" + string(d)) {
			number = "2341 2341 234" + string(d)
		}
	}
	for _, c := range []struct {
		name, text string
		want       National
		conf       float64
		ok         bool
	}{
		{"Aadhaar with its number", "भारत सरकार\nGovernment of India\nSumit Kumar\nDOB: 01/01/1984\n" + number, National{"Aadhaar", IDCard, "IND", number}, 0.9, true},
		{"Aadhaar, number failing Verhoeff", "Government of India\n" + number[:len(number)-1] + "0", National{"Aadhaar", IDCard, "IND", ""}, 0.6, true},
		{"a number alone", "Sumit Kumar\n" + number, National{}, 0, false},
		{"PAN card", "INCOME TAX DEPARTMENT GOVT. OF INDIA\nPermanent Account Number\nABCPE1234F", National{"PAN card", IDCard, "IND", "ABCPE1234F"}, 0.9, true},
		{"PAN, holder type not a PAN's", "INCOME TAX DEPARTMENT\nABCXE1234F", National{"PAN card", IDCard, "IND", ""}, 0.6, true},
		{"KTP", "PROVINSI JAWA BARAT\nKOTA BANDUNG\nNIK : 3273014507900001\nNama : SITI", National{"KTP", IDCard, "IDN", "3273014507900001"}, 0.9, true},
		{"KTP, NIK with no birth date", "PROVINSI JAWA BARAT\nNIK : 3273019913900001", National{"KTP", IDCard, "IDN", ""}, 0.6, true},
		{"SIM", "SURAT IZIN MENGEMUDI\nKEPOLISIAN NEGARA REPUBLIK INDONESIA", National{"SIM", DriversLicense, "IDN", ""}, 0.6, true},
		{"Argentina", "REPUBLICA ARGENTINA - MERCOSUR\nREGISTRO NACIONAL DE LAS PERSONAS\nDOCUMENTO NACIONAL DE IDENTIDAD", National{"DNI", IDCard, "ARG", ""}, 0.6, true},
	} {
		got, conf, ok := recogniseNational(c.text)
		if got != c.want || conf != c.conf || ok != c.ok {
			t.Errorf("%s: %+v %.1f %v, want %+v %.1f %v", c.name, got, conf, ok, c.want, c.conf, c.ok)
		}
	}
}

func TestEULicenceLayout(t *testing.T) {
	front := "FÜHRERSCHEIN\n1. MUSTERMANN\n2. ERIKA\n3. 12.08.1964 BERLIN\n4a. 19.01.2013 4c. Stadt Köln\n4b. 18.01.2028\n5. B072RRE2I55\n9. AM/B1/B/L"
	if !euLicenceLayout(front) {
		t.Error("the EU licence's front not recognised")
	}
	if euLicenceLayout("1. Mix the flour\n2. Add water\n3. Bake\n5. Serve") {
		t.Error("a numbered list taken for a licence")
	}
	if c := Classify(Evidence{Text: "1. ROSSI\n2. MARIO\n3. 01/02/1980\n4a. 01/01/2020\n4b. 01/01/2030\n5. U1234567\n9. B"}); c.Type != DriversLicense || c.Source != "layout" {
		t.Errorf("layout: %+v", c)
	}
	if c := Classify(Evidence{Text: "PRAWO JAZDY\nRZECZPOSPOLITA POLSKA"}); c.Type != DriversLicense || c.Source != "keywords" {
		t.Errorf("Polish licence title: %+v", c)
	}
	if c := Classify(Evidence{Text: "RIDICSKY PRUKAZ"}); c.Type != DriversLicense {
		t.Errorf("a Czech title read without its accents: %+v", c)
	}
}

// TestTitlesAsRead: titles as Tesseract reads them off photos match;
// short words never match inside others.
func TestTitlesAsRead(t *testing.T) {
	for _, c := range []struct {
		text string
		want Type
	}{
		{"C/U ZOMA DRIVERLICENSE USA", DriversLicense},
		{"tWASHINGTON _ DRIVEBLICENSE", DriversLicense},
		{"G DRIVER’S LICENSE", DriversLicense},
		{"|) DRIVER LICENSECLASSE ~~ |", DriversLicense},
		{"IT IS ADVISABLE TO CARRY IT", ""},
		{"PASSPORTS AND VISAS", ""}, // "PASSPORTS" is not the word PASSPORT, "VISAS" not VISA
	} {
		if got := keywordType(c.text); got != c.want {
			t.Errorf("%q: %q, want %q", c.text, got, c.want)
		}
	}
	// An Indonesian KTP by two of its labels, one misread.
	if n, _, ok := recogniseNational("NIK =: 34?L14020979000L Jy\n__senisKelamin___=LAKELAKE"); !ok || n.Name != "KTP" {
		t.Errorf("KTP labels: %+v %v", n, ok)
	}
	// An EU licence by its one-line code, which names the state; a US
	// licence by its field labels and a state's ZIP code.
	if c := Classify(Evidence{Text: "PERMIS DE IRE\nD1FRA13AA000026181231MARTIN<<9"}); c.Type != DriversLicense || c.IssuingCountry != "FRA" {
		t.Errorf("EU licence line: %+v", c)
	}
	if c := Classify(Evidence{Text: "DLN D123\nDOB 01/02/1980\nEXP 01/02/2030\nCLASS D\nSEX M HGT 5-08\nPHOENIX, AZ 85007"}); c.Type != DriversLicense || c.IssuingCountry != "USA" {
		t.Errorf("US licence labels: %+v", c)
	}
	if !approxContains("XXDRIVERLICENSFXX", "DRIVERLICENSE", 1) || approxContains("XXDRWERLICENCEXX", "DRIVERLICENSE", 1) {
		t.Error("approxContains")
	}
}

// TestPrintedState: a document typed by its title takes its country from
// the state's name printed on it, in the state's language, accents or not.
func TestPrintedState(t *testing.T) {
	for text, want := range map[string]string{
		"BUNDESREPUBLIK DEUTSCHLAND\nPERSONALAUSWEIS": "DEU",
		"REPUBLIK OSTERREICH PERSONALAUSWEIS":         "AUT",
		"REPÚBLICA DE CHILE CÉDULA DE IDENTIDAD":      "CHL",
		"ESTADOS UNIDOS MEXICANOS":                    "MEX",
		"IDENTITY CARD":                               "",
	} {
		if got := printedState(text); got != want {
			t.Errorf("%q: %q, want %q", text, got, want)
		}
	}
	if c := Classify(Evidence{Text: "REPUBLIK ÖSTERREICH\nPERSONALAUSWEIS\nIDENTITY CARD"}); c.Type != IDCard || c.IssuingCountry != "AUT" {
		t.Errorf("Austrian ID front: %+v", c)
	}
	for _, c := range []struct {
		text, name, number string
	}{
		{"INSTITUTO NACIONAL ELECTORAL\nCREDENCIAL PARA VOTAR", "INE voter card", ""},
		{"ELECTION COMMISSION OF INDIA\nABC1234567", "EPIC voter card", "ABC1234567"},
		{"ISLAMIC REPUBLIC OF PAKISTAN\nNATIONAL IDENTITY CARD\n35202-1234567-1", "CNIC", "35202-1234567-1"},
	} {
		if n, _, ok := recogniseNational(c.text); !ok || n.Name != c.name || n.Number != c.number {
			t.Errorf("%q: %+v %v", c.text, n, ok)
		}
	}
}

// TestPhantomZoneGivesWay: text that parses as an MRZ but fails its checks
// and is no state's zone does not stop the search for a barcode or QR;
// the QR found replaces it.
func TestPhantomZoneGivesWay(t *testing.T) {
	text, keys := aadhaarSample(t)
	q, err := qrcode.New(text, qrcode.Low)
	if err != nil {
		t.Fatal(err)
	}
	sym := q.Image(-4)
	zone, err := docgen.ZoneCard([]string{"P<JDDX<<KQ<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", "L898902C37UTO7408122F1204159ZE184226B<<<<<10"},
		125, 40, 10, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	zimg := zone.ToRGBA()
	w := sym.Bounds().Dx() + 200
	canvas := image.NewRGBA(image.Rect(0, 0, max(w, zimg.Bounds().Dx()+100), sym.Bounds().Dy()+zimg.Bounds().Dy()+200))
	draw.Draw(canvas, canvas.Bounds(), image.NewUniform(color.RGBA{248, 246, 240, 255}), image.Point{}, draw.Src)
	draw.Draw(canvas, sym.Bounds().Add(image.Pt(100, 50)), sym, image.Point{}, draw.Src)
	draw.Draw(canvas, zimg.Bounds().Add(image.Pt(50, sym.Bounds().Dy()+120)), zimg, image.Point{}, draw.Src)
	a := &Analyzer{AadhaarKeys: keys, Now: func() time.Time { return testNow }}
	an, err := a.Analyze(context.Background(), Side{Name: "back", Data: encodePNG(canvas)})
	if err != nil {
		t.Fatal(err)
	}
	if an.NationalID == nil || !an.NationalID.Verified || an.MRZ != nil || an.DocumentType != IDCard || an.IssuingCountry != "IND" {
		t.Errorf("national id %+v, mrz %+v, type %s %s", an.NationalID, an.MRZ, an.DocumentType, an.IssuingCountry)
	}
}
