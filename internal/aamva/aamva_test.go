package aamva

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/testenv"
)

// TestPayloads parses the 65 real-format payloads from about 55 US and
// Canadian jurisdictions: each has a name, a licence number, a plausible
// birth date before its expiry, and the jurisdiction its file is named for.
func TestPayloads(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testenv.TestData(t), "documents", "aamva", "*.txt"))
	if len(files) < 60 {
		t.Fatalf("%d payloads", len(files))
	}
	known := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(string(data))
		name := filepath.Base(f)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		code := strings.SplitN(strings.TrimSuffix(name, ".txt"), "_", 2)[0]
		if c.Jurisdiction.Code != "" {
			known++
			if c.Jurisdiction.Code != code {
				t.Errorf("%s: IIN %s is %s", name, c.IIN, c.Jurisdiction.Code)
			}
		}
		if c.LastName == "" || c.DocumentNumber == "" {
			t.Errorf("%s: last %q number %q", name, c.LastName, c.DocumentNumber)
		}
		if c.BirthDate.IsZero() || c.BirthDate.Year() < 1900 || c.BirthDate.After(time.Now()) {
			t.Errorf("%s: birth date %v (%q) %v", name, c.BirthDate, c.Elements["DBB"], c.Warnings)
		}
		if !c.ExpiryDate.IsZero() && c.ExpiryDate.Before(c.BirthDate) {
			t.Errorf("%s: expiry %v before birth %v", name, c.ExpiryDate, c.BirthDate)
		}
		if c.Subfile != "DL" && c.Subfile != "ID" {
			t.Errorf("%s: subfile %q", name, c.Subfile)
		}
	}
	t.Logf("%d payloads parsed, %d with a known IIN", len(files), known)
	if known < len(files)*3/4 {
		t.Errorf("only %d of %d IINs known", known, len(files))
	}
}

func TestExamples(t *testing.T) {
	dir := filepath.Join(testenv.TestData(t), "documents", "aamva")
	read := func(name string) *Card {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(string(data))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ab := read("AB.txt") // Canadian: CCYYMMDD
	if ab.LastName != "MOTORIST" || ab.FirstName != "MARY" || ab.BirthDate.Format(time.DateOnly) != "1993-02-04" ||
		ab.Sex != "F" || ab.Country != "CAN" || ab.City != "CALGARY" {
		t.Errorf("AB: %+v", ab)
	}
	pa := read("PA.txt") // version 1, full name in DAA
	if pa.Version != 1 || pa.LastName != "SMITH" || pa.FirstName != "JOHN" || pa.MiddleName != "P" {
		t.Errorf("PA: version %d names %q %q %q", pa.Version, pa.LastName, pa.FirstName, pa.MiddleName)
	}
	ca := read("CA.txt")
	if ca.Jurisdiction.Name != "California" || ca.Country != "USA" || ca.ExpiryDate.Format(time.DateOnly) != "2019-07-05" {
		t.Errorf("CA: %+v", ca)
	}
}

func TestRefuses(t *testing.T) {
	for _, p := range []string{"", "hello world", "@\n\x1e\rANSI 63", "ANSI 636014040002DL00410278"} {
		if _, err := Parse(p); err == nil {
			t.Errorf("Parse(%q) = nil error", p)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("@\n\x1e\rANSI 636014040002DL00410278ZC03190034DLDCAC\nDCSHARPER\nDBB01021990\nDBA01022030\n")
	f.Add("ANSI 6360250101DL00290194DLDAQ1\nDAAJOHN P SMITH\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err == nil && c.Elements == nil {
			t.Fatal("no elements map")
		}
	})
}
