package mrzscan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/testenv"
)

type specimenLabel struct {
	File string  `json:"file"`
	Type string  `json:"document_type_from_name"`
	MRZ  *string `json:"mrz"`
}

func specimens(t testing.TB) []specimenLabel {
	dir := filepath.Join(testenv.TestData(), "documents", "specimens")
	b, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []specimenLabel
	if err := json.Unmarshal(b, &labels); err != nil {
		t.Fatal(err)
	}
	return labels
}

func loadImage(t testing.TB, path string) *face.Image {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := face.Decode(b, face.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestSpecimens reads the hand-labelled real specimens.
func TestSpecimens(t *testing.T) {
	dir := filepath.Join(testenv.TestData(), "documents", "specimens")
	exact, total := 0, 0
	for _, l := range specimens(t) {
		if l.MRZ == nil {
			continue
		}
		total++
		r, err := Read(loadImage(t, filepath.Join(dir, l.File)), Options{})
		if err != nil {
			t.Logf("%s: %v", l.File, err)
			continue
		}
		got := strings.Join(r.MRZ.Lines, "\n")
		if got == *l.MRZ {
			exact++
			continue
		}
		t.Logf("%s: read (conf %.0f, angle %.0f)\n%s\nwant\n%s", l.File, r.Confidence, r.Angle, got, *l.MRZ)
	}
	t.Logf("%d of %d exact", exact, total)
}
