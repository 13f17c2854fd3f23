package document

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/mrz"
)

// td3 is ICAO's specimen passport with line 1 replaced: no check digit
// covers it, so any names and code keep the zone valid.
func td3(t *testing.T, line1 string) *mrz.MRZ {
	t.Helper()
	line1 += strings.Repeat("<", 44-len(line1))
	m, err := mrz.Parse(line1+"\nL898902C36UTO7408122F1204159ZE184226B<<<<<10", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if !m.Valid {
		t.Fatalf("%s: not valid: %+v", line1, m.Checks)
	}
	return m
}

// TestUnconfirmedNames: a name the MRZ holds is trusted only when the
// printed zone shows it spelt the same; a letter dropped or added by the
// MRZ's OCR (the held-out set's AMENGUAL read MENGUAL and JMENGUAL) is
// caught, accents and ICAO's transliterations are not held against it.
func TestUnconfirmedNames(t *testing.T) {
	viz := "PASAPORTE / PASSPORT\nApellidos / Surname\nAMENGUAL\nNombre / Given names\nJUAN CARLOS\nNacionalidad ESP"
	for _, c := range []struct {
		name, line1, text string
		want              []string
	}{
		{"read as printed", "P<ESPAMENGUAL<<JUAN<CARLOS", viz, nil},
		{"a letter dropped", "P<ESPMENGUAL<<JUAN<CARLOS", viz, []string{"LAST_NAME"}},
		{"a letter added", "P<ESPJMENGUAL<<JUAN<CARLOS", viz, []string{"LAST_NAME"}},
		{"a given name misread", "P<ESPAMENGUAL<<JUAN<CARLAS", viz, []string{"MIDDLE_NAME"}},
		{"nothing printed was read", "P<ESPAMENGUAL<<JUAN<CARLOS", "", []string{"LAST_NAME", "FIRST_NAME", "MIDDLE_NAME"}},
		{"only the zone itself was read", "P<ESPAMENGUAL<<JUAN<CARLOS",
			"P<ESPAMENGUAL<<JUAN<CARLOS<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10", []string{"LAST_NAME", "FIRST_NAME", "MIDDLE_NAME"}},
		{"umlaut as UE", "P<D<<MUELLER<<JOERG", "Name/Surname\nMüller\nVornamen\nJörg", nil},
		{"umlaut dropped", "P<D<<MULLER<<JORG", "Name/Surname\nMüller\nVornamen\nJörg", nil},
		{"accents dropped", "P<FRAMARTIN<<HELENE", "Nom MARTIN\nPrénoms Hélène", nil},
		{"a name inside a longer word is no confirmation", "P<UTOSON<<ANNA", "ERIKSSON ANNA", []string{"LAST_NAME"}},
		{"truncated by the zone", "P<UTOVON<HOFFMANNSTHAL<<MARIE<ALEXANDRA<KATH", "VON HOFFMANNSTHAL\nMARIE ALEXANDRA KATHARINA", nil},
		{"not truncated: a prefix is no confirmation", "P<UTOVON<HOFFMANNSTHAL<<MARIE<KATH", "VON HOFFMANNSTHAL\nMARIE KATHARINA", []string{"MIDDLE_NAME"}},
		{"a long printed name is no zone", "P<UTOWOLFESCHLEGELSTEINHAUSEN<<HUBERT", "WOLFESCHLEGELSTEINHAUSEN\nHUBERT", nil},
	} {
		got := unconfirmedNames(td3(t, c.line1), c.text, nil)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: unconfirmed %v, want %v", c.name, got, c.want)
		}
	}
}

// TestNamesOnTheClassifierAlone: where the printed text does not show a
// name, the classifier's own sureness of each letter decides, and a
// printed word one letter away overrules it.
func TestNamesOnTheClassifierAlone(t *testing.T) {
	sure := func(v float32) map[string]float32 {
		return map[string]float32{"LAST_NAME": v, "FIRST_NAME": v, "MIDDLE_NAME": v}
	}
	m := td3(t, "P<ESPMENGUAL<<JUAN<CARLOS")
	for _, c := range []struct {
		name string
		text string
		sure map[string]float32
		want []string
	}{
		{"every letter sure, nothing printed read", "", sure(0.99), nil},
		{"a letter in doubt", "", sure(0.85), []string{"LAST_NAME", "FIRST_NAME", "MIDDLE_NAME"}},
		{"at the bound", "", sure(SureLetter), nil},
		{"sure, but the printed name has one letter more", "AMENGUAL\nJUAN CARLOS", sure(0.99), []string{"LAST_NAME"}},
		{"sure, and the printed text is noise", "HE oe mane\n; NY ie=", sure(0.99), nil},
		{"no sureness known", "", nil, []string{"LAST_NAME", "FIRST_NAME", "MIDDLE_NAME"}},
	} {
		if got := unconfirmedNames(m, c.text, c.sure); !slices.Equal(got, c.want) {
			t.Errorf("%s: unconfirmed %v, want %v", c.name, got, c.want)
		}
	}
}

// TestNameSureness: each name field gets the least sure of its own cells.
func TestNameSureness(t *testing.T) {
	m := td3(t, "P<UTODE<LA<CRUZ<<ANA<MARIA")
	sure := [][]float32{make([]float32, 44), make([]float32, 44)}
	for i := range sure[0] {
		sure[0][i] = 0.99
	}
	sure[0][9] = 0.5  // the L of LA
	sure[0][18] = 0.7 // the N of ANA
	sure[0][21] = 0.8 // the M of MARIA
	got := nameSureness(m, sure)
	want := map[string]float32{"LAST_NAME": 0.5, "FIRST_NAME": 0.7, "MIDDLE_NAME": 0.8}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %v, want %v (all %v)", k, got[k], v, got)
		}
	}
}

// TestClassifyUntrustedZone: a zone that fails its checks sets neither the
// type nor the country on its own, and the issuing state's own codes
// decide the type (Germany's provisional ID card is ITD).
func TestClassifyUntrustedZone(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	garbage, err := mrz.Parse("P<JDDX<<KQ<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<\nL898902C37UTO7408122F1204159ZE184226B<<<<<10", now)
	if err != nil {
		t.Fatal(err)
	}
	if garbage.Valid {
		t.Fatal("the test's zone should fail a check")
	}
	if c := Classify(Evidence{MRZ: garbage}); c.Type != Unknown || c.IssuingCountry != "" {
		t.Errorf("failing zone alone: %s %q, want unknown without a country", c.Type, c.IssuingCountry)
	}
	if c := Classify(Evidence{MRZ: garbage, Text: "PASSPORT\nJDD"}); c.Type != Passport || c.IssuingCountry != "JDD" {
		t.Errorf("failing zone with the printed title and code: %s %q", c.Type, c.IssuingCountry)
	}
	if c := Classify(Evidence{MRZ: garbage, Text: "PASSPORT"}); c.Type != Passport || c.IssuingCountry != "" {
		t.Errorf("failing zone with the printed title only: %s %q, want passport without a country", c.Type, c.IssuingCountry)
	}
	// A real state's zone with one wrong check digit of five (specimens
	// print them) is credible.
	wrongDigit, err := mrz.Parse("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C37UTO7408122F1204159ZE184226B<<<<<10", now)
	if err != nil {
		t.Fatal(err)
	}
	if c := Classify(Evidence{MRZ: wrongDigit}); wrongDigit.Valid || c.Type != Passport || c.IssuingCountry != "UTO" || c.Confidence >= 0.95 {
		t.Errorf("one wrong check digit of a real state's zone: %s %q %.2f", c.Type, c.IssuingCountry, c.Confidence)
	}
	itd, err := mrz.Parse("ITD<<T220001293<<<<<<<<<<<<<<<\n6408125<2010315D<<<<<<<<<<<<<4\nMUSTERMANN<<ERIKA<<<<<<<<<<<<<", now)
	if err != nil {
		t.Fatal(err)
	}
	if c := Classify(Evidence{MRZ: itd}); c.Type != IDCard || c.IssuingCountry != "D" {
		t.Errorf("ITD: %s %q, want id_card D (valid %v %+v)", c.Type, c.IssuingCountry, itd.Valid, itd.Checks)
	}
	for _, c := range []struct {
		code, state, text string
		sure              float32
		want              bool
	}{
		{"P<", "UTO", "", 0, true},
		{"ID", "ESP", "", 0, true},
		{"IT", "D", "", 0, true},
		{"IC", "ESP", "", 0.6, false},
		{"IC", "ESP", "", SureLetter, true},
		{"IC", "ESP", "DOCUMENTO NACIONAL DE IDENTIDAD", 0, true},
		{"PX", "UTO", "", 0.89, false},
	} {
		if got := codeConfirmed(c.code, c.state, codeType(c.code, c.state), c.text, c.sure); got != c.want {
			t.Errorf("code %s of %s with %q: confirmed %v, want %v", c.code, c.state, c.text, got, c.want)
		}
	}
}

// TestRepairOnAPoorFit: a repaired field of a reading that fits the font
// poorly is not trusted; of a clean reading it is.
func TestRepairOnAPoorFit(t *testing.T) {
	for _, c := range []struct {
		confidence float64
		want       []string
	}{{60, []string{"DOCUMENT_NUMBER"}}, {repairFit - 0.1, []string{"DOCUMENT_NUMBER"}}, {repairFit, []string{}}, {98, []string{}}} {
		m := td3(t, "P<UTOERIKSSON<<ANNA<MARIA")
		m.Repaired = []string{"document_number"}
		an := &Analysis{Warnings: []string{}, MRZ: &MRZReport{Valid: true, ChecksPass: true, Confidence: c.confidence, Unconfirmed: []string{}}}
		an.confirm(m, nil, Classification{Type: Passport, Source: "mrz"}, "ERIKSSON\nANNA MARIA")
		if !slices.Equal(an.MRZ.Unconfirmed, c.want) || an.MRZ.Valid != (len(c.want) == 0) {
			t.Errorf("confidence %.1f: unconfirmed %v, valid %v; want %v", c.confidence, an.MRZ.Unconfirmed, an.MRZ.Valid, c.want)
		}
	}
}
