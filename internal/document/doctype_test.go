package document

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/aamva"
	"github.com/kycd/kycd/internal/mrz"
	"github.com/kycd/kycd/internal/testenv"
)

// TestClassifySpecimens classifies the labelled specimens from their
// hand-checked MRZs and compares with the type in their file names.
func TestClassifySpecimens(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.TestData(t), "documents", "specimens", "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []struct {
		File string  `json:"file"`
		Type string  `json:"document_type_from_name"`
		MRZ  *string `json:"mrz"`
	}
	json.Unmarshal(data, &labels)
	right, n := 0, 0
	for _, l := range labels {
		if l.MRZ == nil {
			continue
		}
		m, err := mrz.Parse(*l.MRZ, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		c := Classify(Evidence{MRZ: m})
		if !m.Valid && !credible(m) {
			// A zone that fails its checks and does not look like a
			// state's decides nothing on its own.
			if c.Type != Unknown || c.IssuingCountry != "" {
				t.Errorf("%s: a failing zone alone gave %s %q", l.File, c.Type, c.IssuingCountry)
			}
			continue
		}
		n++
		if string(c.Type) == l.Type {
			right++
		} else {
			t.Logf("%s: %s, labelled %s", l.File, c.Type, l.Type)
		}
		if c.IssuingCountry == "" {
			t.Errorf("%s: no issuing country", l.File)
		}
	}
	t.Logf("document type from the MRZ: %d of %d right", right, n)
	if right < n-1 {
		t.Errorf("%d of %d right", right, n)
	}
}

func TestClassifyOtherEvidence(t *testing.T) {
	card, _ := aamva.Parse("ANSI 636014040002ID00410278IDDCSHARPER\nDAQ1\nDBB01021990\n")
	tests := []struct {
		name string
		e    Evidence
		want Type
	}{
		{"AAMVA ID subfile", Evidence{AAMVA: card}, IDCard},
		{"keywords", Evidence{Text: "UNITED KINGDOM\nDRIVING LICENCE\n1. SMITH"}, DriversLicense},
		{"residence keyword", Evidence{Text: "Aufenthaltstitel"}, ResidencePermit},
		{"word boundaries", Evidence{Text: "VISAGE COSMETICS"}, Unknown},
		{"ID-1 shape", Evidence{Aspect: 1.58}, IDCard},
		{"nothing", Evidence{}, Unknown},
	}
	for _, tt := range tests {
		if got := Classify(tt.e).Type; got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
