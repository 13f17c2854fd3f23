package mrz

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/testenv"
)

var now = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// The specimen zones of ICAO Doc 9303.
const (
	td3  = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
	td1  = "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
	td2  = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6"
	mrva = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL8988901C4XXX4009078F96121096ZE184226B<<<<<<"
	mrvb = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nL8988901C4XXX4009078F9612109<<<<<<<<"
)

func TestParseFormats(t *testing.T) {
	tests := []struct {
		text                string
		format              Format
		code, number, birth string
		expiry              string
		valid               bool
	}{
		{td3, TD3, "P", "L898902C3", "1974-08-12", "2012-04-15", true},
		{td1, TD1, "I", "D23145890", "1974-08-12", "2012-04-15", true},
		{td2, TD2, "I", "D23145890", "1974-08-12", "2012-04-15", true},
		{mrva, MRVA, "V", "L8988901C", "1940-09-07", "1996-12-10", true},
		{mrvb, MRVB, "V", "L8988901C", "1940-09-07", "1996-12-10", true},
	}
	for _, tt := range tests {
		m, err := Parse(tt.text, now)
		if err != nil {
			t.Fatalf("%s: %v", tt.format, err)
		}
		if m.Format != tt.format || m.DocumentCode != tt.code || m.DocumentNumber != tt.number ||
			m.BirthDate.Format(time.DateOnly) != tt.birth || m.ExpiryDate.Format(time.DateOnly) != tt.expiry || m.Valid != tt.valid {
			t.Errorf("%s: %+v", tt.format, m)
		}
		if m.Surname != "ERIKSSON" || m.GivenNames != "ANNA MARIA" || m.Sex != "F" || m.IssuingState != "UTO" {
			t.Errorf("%s: names %q %q, sex %q, state %q", tt.format, m.Surname, m.GivenNames, m.Sex, m.IssuingState)
		}
		if len(m.Repaired) != 0 {
			t.Errorf("%s: repaired %v", tt.format, m.Repaired)
		}
	}
}

func TestChecks(t *testing.T) {
	m, _ := Parse(td3, now)
	var names []string
	for _, c := range m.Checks {
		names = append(names, c.Field)
		if !c.Valid {
			t.Errorf("check %+v", c)
		}
	}
	if !slices.Equal(names, []string{"document_number", "date_of_birth", "expiration_date", "personal_number", "composite"}) {
		t.Errorf("checks %v", names)
	}
	// A wrong birth date that no confusion explains fails its check and
	// the composite, and is not "repaired".
	bad := strings.Replace(td3, "7408122", "7408132", 1)
	m, _ = Parse(bad, now)
	if m.Valid || len(m.Repaired) != 0 {
		t.Errorf("a wrong birth date: valid %v, repaired %v", m.Valid, m.Repaired)
	}
}

func TestRepair(t *testing.T) {
	tests := []struct {
		name, from, to string
		field          string
	}{
		{"O read for 0 in the number", "L898902C3", "L8989O2C3", "document_number"},
		{"O read for 0 in a date", "1204159", "12O4159", "expiration_date"},
		{"Z read for 2 in a check digit", "7408122", "740812Z", "date_of_birth"},
	}
	for _, tt := range tests {
		m, err := Parse(strings.Replace(td3, tt.from, tt.to, 1), now)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Valid || !slices.Equal(m.Repaired, []string{tt.field}) || m.Lines[1] != strings.Split(td3, "\n")[1] {
			t.Errorf("%s: valid %v repaired %v line %s", tt.name, m.Valid, m.Repaired, m.Lines[1])
		}
	}
	// Names have no check digit: a misread name is reported as read.
	m, _ := Parse(strings.Replace(td3, "ERIKSSON", "ERIKSS0N", 1), now)
	if m.Surname != "ERIKSS0N" || len(m.Repaired) != 0 {
		t.Errorf("name: %q repaired %v", m.Surname, m.Repaired)
	}
}

func TestTD1LongDocumentNumber(t *testing.T) {
	// ICAO 9303 part 5 example of a document number longer than 9 characters.
	text := "I<UTOD23145890<7349<<<<<<<<<<<\n3407127M9507122UTO<<<<<<<<<<<2\nSTEVENSON<<PETER<JOHN<<<<<<<<<"
	m, err := Parse(text, now)
	if err != nil {
		t.Fatal(err)
	}
	if m.DocumentNumber != "D23145890734" {
		t.Errorf("number %q", m.DocumentNumber)
	}
	for _, c := range m.Checks {
		if c.Field == "document_number" && !c.Valid {
			t.Errorf("long number check %+v", c)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, text := range []string{"", "hello", "P<UTO\nL898", strings.Repeat("<", 44) + "\n" + strings.Repeat("<", 43),
		"P<UTOÉRIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"} {
		if _, err := Parse(text, now); err == nil {
			t.Errorf("Parse(%q) = nil error", text)
		}
	}
}

// TestSpecimens parses the hand-checked MRZs of the real specimens and
// reports how many pass every check (a few print invalid digits on purpose).
func TestSpecimens(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.TestData(t), "documents", "specimens", "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []struct {
		File string  `json:"file"`
		MRZ  *string `json:"mrz"`
	}
	if err := json.Unmarshal(data, &labels); err != nil {
		t.Fatal(err)
	}
	parsed, valid, repaired := 0, 0, 0
	for _, l := range labels {
		if l.MRZ == nil {
			continue
		}
		m, err := Parse(*l.MRZ, now)
		if err != nil {
			t.Errorf("%s: %v", l.File, err)
			continue
		}
		parsed++
		if m.Valid {
			valid++
		}
		if len(m.Repaired) > 0 {
			repaired++
			t.Errorf("%s: a hand-checked MRZ was repaired: %v", l.File, m.Repaired)
		}
		if m.Surname == "" || m.DocumentNumber == "" {
			t.Errorf("%s: surname %q number %q", l.File, m.Surname, m.DocumentNumber)
		}
	}
	t.Logf("%d labelled MRZs parsed, %d pass every check", parsed, valid)
	if parsed < 25 || valid < parsed*3/4 {
		t.Errorf("%d parsed, %d valid", parsed, valid)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{td1, td2, td3, mrva, mrvb, strings.Replace(td3, "0", "O", 3)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse(s, now)
		if err != nil {
			return
		}
		if len(m.Repaired) > 0 && !m.Valid {
			// Repairs are kept only when they make their fields pass.
			for _, c := range m.Checks {
				if slices.Contains(m.Repaired, c.Field) && !c.Valid {
					t.Fatalf("repaired %s but its check fails: %q", c.Field, s)
				}
			}
		}
		if m.Valid {
			for _, c := range m.Checks {
				if !c.Valid {
					t.Fatalf("valid with a failing check: %q", s)
				}
			}
		}
	})
}

// frid is a French identity card zone of the 1988–2021 layout (2×36), the
// test vector of the mrz-java library (schltgn/mrz-java, FrenchIdCardTest).
const frid = "IDFRAPETE<<<<<<<<<<<<<<<<<<<<<952042\n0509952018746NICOLAS<<PAUL<8206152M3"

// TestFrenchIDCard: the older French identity card is 2×36 like TD2 but
// not TD2: it is read and checked by its own rules, and a changed
// character fails its checks.
func TestFrenchIDCard(t *testing.T) {
	m, err := Parse(frid, now)
	if err != nil {
		t.Fatal(err)
	}
	if m.Format != FRID || !m.Valid || m.DocumentNumber != "050995201874" || m.Surname != "PETE" ||
		m.GivenNames != "NICOLAS PAUL" || m.BirthDate.Format(time.DateOnly) != "1982-06-15" || m.Sex != "M" ||
		m.IssuingState != "FRA" || m.Nationality != "FRA" || m.DocumentCode != "ID" || !m.ExpiryDate.IsZero() ||
		m.Optional1 != "952042" {
		t.Errorf("%+v", m)
	}
	var fields []string
	for _, c := range m.Checks {
		fields = append(fields, c.Field)
	}
	if !slices.Equal(fields, []string{"document_number", "date_of_birth", "composite"}) {
		t.Errorf("checks %v", fields)
	}
	// A surname letter changed: only the check over both lines sees it.
	bad := strings.Replace(frid, "PETE", "PETF", 1)
	if m, err := Parse(bad, now); err != nil || m.Valid {
		t.Errorf("a changed surname passes: %+v %v", m, err)
	}
}

func TestCountryCodes(t *testing.T) {
	for _, c := range []string{"DEU", "D<<", "D", "UTO", "LTU", "ZWE", "ZAR", "AFG", "XXA", "GBD", "EUE"} {
		if !KnownCountry(c) {
			t.Errorf("%s unknown", c)
		}
	}
	for _, c := range []string{"LYU", "UT0", "XYZ", "", "<<<"} {
		if KnownCountry(c) {
			t.Errorf("%s known", c)
		}
	}
	if n := len(CountryCodes()); n < 249+31+20 {
		t.Errorf("%d codes", n)
	}
	for _, c := range CountryCodes() {
		if len(c) != 3 {
			t.Errorf("%q", c)
		}
	}
}

// TestNamesStructure: no check digit covers the names, so a names field
// that cannot be a name (letters after the fillers that close it) makes
// the zone fail, and well-formed names of every shape pass.
func TestNamesStructure(t *testing.T) {
	for _, s := range []string{"ERIKSSON<<ANNA<MARIA<<<<<<<<<<", "ESPANOLA<ESPANOLA<<CARMEN<<<<<", "MASHBURN<<SEAN", "OKAFOR<<<<<<<", "VERYLONGSURNAMETHATFILLSITALL"} {
		if !WellFormedNames(s) {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range []string{"MASHUUUDOUIAJX<<<<<<<<<UUUOOUOXX<<<<<OZ", "<<ANNA", "ERIK5SON<<ANNA", "<<<<<<", ""} {
		if WellFormedNames(s) {
			t.Errorf("%q accepted", s)
		}
	}
	good := "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
	m, err := Parse(good, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || !m.Valid {
		t.Fatalf("%v %+v", err, m)
	}
	bad := strings.Replace(good, "MARIA<<<<<<<<<<<<<<<<<<<", "MARIA<<<<<<<<<<<<<<<<<OZ", 1)
	m, err = Parse(bad, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if m.Valid {
		t.Error("a garbled names field passes")
	}
	found := false
	for _, c := range m.Checks {
		found = found || c.Field == "names" && !c.Valid
	}
	if !found {
		t.Errorf("no failing names check in %+v", m.Checks)
	}
}
