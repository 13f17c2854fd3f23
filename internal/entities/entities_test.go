package entities

import (
	"testing"
)

func find(es []Entity, typ, text string) bool {
	for _, e := range es {
		if e.Type == typ && e.Text == text {
			return true
		}
	}
	return false
}

func TestPII(t *testing.T) {
	text := "Surname: Eriksson\nGiven names: Anna Maria\nPassport No. L898902C3\nDate of birth 12 Aug 1974, expires 2031-04-15.\n" +
		"Contact anna.eriksson@example.com or +46 70 123 4567. SSN 123-45-6789. Card 4111 1111 1111 1111.\n" +
		"Lives at 123 Maple Street, Springfield, IL 62704. IBAN GB82 WEST 1234 5698 7654 32. DL: D1234-5678-9012"
	es := Detect(text, KindPII)
	for _, want := range []struct{ typ, text string }{
		{"NAME", "Eriksson"}, {"NAME", "Anna Maria"}, {"PASSPORT_NUMBER", "L898902C3"},
		{"DATE_TIME", "12 Aug 1974"}, {"DATE_TIME", "2031-04-15"}, {"EMAIL", "anna.eriksson@example.com"},
		{"PHONE", "+46 70 123 4567"}, {"SSN", "123-45-6789"}, {"CREDIT_DEBIT_NUMBER", "4111 1111 1111 1111"},
		{"ADDRESS", "123 Maple Street, Springfield, IL 62704"}, {"BANK_ACCOUNT_NUMBER", "GB82 WEST 1234 5698 7654 32"},
		{"DRIVER_ID", "D1234-5678-9012"},
	} {
		if !find(es, want.typ, want.text) {
			t.Errorf("no %s %q in %+v", want.typ, want.text, es)
		}
	}
	for _, e := range es {
		if []rune(text)[e.BeginOffset] != []rune(e.Text)[0] || e.EndOffset-e.BeginOffset != len([]rune(e.Text)) {
			t.Errorf("offsets of %+v", e)
		}
	}
}

func TestRefusesLookalikes(t *testing.T) {
	es := Detect("SSN 000-12-3456, card 4111 1111 1111 1112, IBAN GB00 WEST 1234 5698 7654 32", KindPII)
	for _, e := range es {
		if e.Type == "SSN" || e.Type == "CREDIT_DEBIT_NUMBER" || e.Type == "BANK_ACCOUNT_NUMBER" {
			t.Errorf("found %+v, which fails its check", e)
		}
	}
}

func TestEntities(t *testing.T) {
	es := Detect("Name: Jose Garcia, 180 cm, 75 kg, issued 03/04/2020 by Acme Bank.", KindEntities)
	for _, want := range []struct{ typ, text string }{
		{"PERSON", "Jose Garcia"}, {"QUANTITY", "180 cm"}, {"QUANTITY", "75 kg"}, {"DATE", "03/04/2020"}, {"ORGANIZATION", "Acme Bank"},
	} {
		if !find(es, want.typ, want.text) {
			t.Errorf("no %s %q in %+v", want.typ, want.text, es)
		}
	}
}

func TestUnicodeOffsets(t *testing.T) {
	text := "Adresse: Rue de l'Église 5, Genève — né le 1.2.1990, e-mail é@example.org"
	for _, e := range Detect(text) {
		if string([]rune(text)[e.BeginOffset:e.EndOffset]) != e.Text {
			t.Errorf("offsets of %+v do not select its text", e)
		}
	}
}

func FuzzDetect(f *testing.F) {
	f.Add("Surname: Doe, born 1990-01-02, doe@example.com")
	f.Fuzz(func(t *testing.T, s string) {
		for _, e := range Detect(s) {
			if e.BeginOffset < 0 || e.EndOffset < e.BeginOffset || e.EndOffset > len([]rune(s)) {
				t.Fatalf("bad offsets %+v", e)
			}
		}
	})
}
