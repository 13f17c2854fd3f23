package document

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	d := func(y, m, day int) time.Time { return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		in         string
		monthFirst bool
		want       time.Time
		ok         bool
	}{
		{"17 AUG 2022", false, d(2022, 8, 17), true},
		{"10 PEC 2024", false, d(2024, 12, 10), true}, // OCR slip in the month
		{"17.08.2022", false, d(2022, 8, 17), true},
		{"08/17/2022", true, d(2022, 8, 17), true},
		{"2022-08-17", false, d(2022, 8, 17), true},
		{"31.02.2022", false, time.Time{}, false}, // no such day
		{"12 XYZ 2022", false, time.Time{}, false},
		{"no date here", false, time.Time{}, false},
	} {
		got, ok := parseDate(c.in, c.monthFirst)
		if ok != c.ok || !got.Equal(c.want) {
			t.Errorf("parseDate(%q) = %v %v, want %v %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestReadLabels(t *testing.T) {
	text := `PASSPORT / PASSEPORT UTOPIA
Surname / Nom
ERIKSSON
Date of birth / Date de naissance   Sex / Sexe
12 Aug 1974 F
Place of birth / Lieu de nassance
ZENITH
Date of sue | Date de délivrance     Date of expiry
16 Apr 2017   15 Apr 2027
P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<`
	p := readLabels(text, false)
	if p.surname != "ERIKSSON" || p.place != "ZENITH" || len(p.dates) != 3 {
		t.Fatalf("%+v", p)
	}
	back := readLabels("3642 MAIN ST, MADISON\n", false)
	if back.address != "3642 MAIN ST, MADISON" {
		t.Fatalf("address %q", back.address)
	}
}

func TestSameName(t *testing.T) {
	for _, c := range []struct {
		mrz, printed string
		want         bool
	}{
		{"MUELLER", "MÜLLER", true}, // one edit after folding
		{"ERIKSSON", "ERIKSSON", true},
		{"VAN DER BERG", "VAN DER BERG", true},
		{"PAPADOPOULOS", "PAPADOPOULOSS", true},
		{"SMITH", "JOHNSON", false},
	} {
		if got := sameName(c.mrz, c.printed); got != c.want {
			t.Errorf("sameName(%q, %q) = %v", c.mrz, c.printed, got)
		}
	}
}

// FuzzReadLabels: any OCR output, however garbled, is read without a panic.
func FuzzReadLabels(f *testing.F) {
	f.Add("Date of issue\n12 Aug 2020\nPlace of birth / Lieu\nZENITH")
	f.Add("ADDRESS 12 MAIN ST, X\n31/12/1999 01.02.2003")
	f.Add("Ü/|<<<<<\n\x00\xff 99 JAN 9999")
	f.Fuzz(func(t *testing.T, s string) {
		readLabels(s, false)
		readLabels(s, true)
	})
}
