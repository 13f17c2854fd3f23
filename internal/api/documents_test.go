package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/docgen"
	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// generatedDoc renders one document of kind from a fixed seed, so its
// bytes, and the analysis of them, are the same on every run.
func generatedDoc(t testing.TB, kind docgen.Kind, seed uint64, turn int) (front, back []byte) {
	return generatedDocOf(t, "face_recognition/examples__obama-480p.jpg", kind, seed, turn)
}

// generatedDocOf renders a document whose portrait is cut from photo.
func generatedDocOf(t testing.TB, photoName string, kind docgen.Kind, seed uint64, turn int) (front, back []byte) {
	t.Helper()
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(seed, seed))
	photo, err := face.Decode(testPhoto(t, photoName), face.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	portrait, err := faceEngine(t).Portrait(t.Context(), photo, 320, 85)
	if err != nil || portrait == nil {
		t.Fatal("no portrait", err)
	}
	f, b, err := docgen.Render(docgen.Random(r, kind, now), portrait, 12, r)
	if err != nil {
		t.Fatal(err)
	}
	shot := docgen.Shot{Width: 1400, Skew: 3, Turn: turn, Quality: 85, Margin: 0.06}
	if front, err = docgen.Photograph(f, shot, r); err != nil {
		t.Fatal(err)
	}
	if b != nil {
		if back, err = docgen.Photograph(b, shot, r); err != nil {
			t.Fatal(err)
		}
	}
	return front, back
}

// golden compares got (JSON) with testdata/golden/name.json.
func golden(t *testing.T, name string, got string) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep the MRZ's < readable
	enc.SetIndent("", "  ")
	enc.Encode(v)
	pretty := buf.Bytes()
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, pretty, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/api -run Documents -update)", err)
	}
	if !bytes.Equal(pretty, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, pretty)
	}
}

// TestDocumentsAnalyze reads a generated passport (turned sideways), ID
// card and licence through the API and compares the answers with golden
// files.
func TestDocumentsAnalyze(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.newUser("docs@example.com")
	c := cred{bearer: u.access}
	for _, d := range []struct {
		name string
		kind docgen.Kind
		seed uint64
		turn int
	}{{"passport", docgen.Passport, 3, 90}, {"id_card", docgen.IDCard, 4, 0}, {"drivers_license", docgen.DriversLicense, 5, 0}} {
		front, back := generatedDoc(t, d.kind, d.seed, d.turn)
		parts := []part{{"front", "front.jpg", "image/jpeg", front}}
		if back != nil {
			parts = append(parts, part{"back", "back.jpg", "image/jpeg", back})
		}
		r := e.must(e.multipartDo("/v1/documents/analyze", c, parts...), 200)
		if r.str("document_type") != string(d.kind) {
			t.Errorf("%s: read as %s", d.name, r.raw)
		}
		golden(t, "analyze_"+d.name, r.raw)
	}
	// The same passport as base64 JSON.
	front, _ := generatedDoc(t, docgen.Passport, 3, 90)
	r := e.must(e.do("POST", "/v1/documents/analyze", map[string]string{"front": b64(front)}, c), 200)
	if r.str("document_type") != "passport" {
		t.Errorf("JSON body: %s", r.raw)
	}
}

// TestDocumentsAnalyzeBadInput: bad uploads are 4xx with stable codes,
// never 500, and an image without a document is 200 "unknown".
func TestDocumentsAnalyzeBadInput(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.newUser("docs-bad@example.com")
	c := cred{bearer: u.access}
	good, _ := generatedDoc(t, docgen.Passport, 3, 0)
	for _, tc := range []struct {
		name   string
		parts  []part
		status int
		code   string
	}{
		{"no front", []part{{"back", "b.jpg", "image/jpeg", good}}, 400, "invalid"},
		{"not an image", []part{{"front", "f.pdf", "application/pdf", []byte("%PDF-1.4 ...")}}, 415, "unsupported_media"},
		{"PNG declared JPEG", []part{{"front", "f.jpg", "image/jpeg", encodePNG(t, image.NewGray(image.Rect(0, 0, 64, 64)))}}, 415, "unsupported_media"},
		{"truncated", []part{{"front", "f.jpg", "image/jpeg", good[:len(good)/4]}}, 400, "invalid"},
		{"decompression bomb", []part{{"front", "f.png", "image/png", testenv.PNGHeader(40000, 40000)}}, 413, "too_large"},
		{"corrupt back", []part{{"front", "f.jpg", "image/jpeg", good}, {"back", "b.jpg", "image/jpeg", []byte{0xFF, 0xD8, 0xFF, 0, 1, 2}}}, 400, "invalid"},
	} {
		r := e.multipartDo("/v1/documents/analyze", c, tc.parts...)
		if r.status != tc.status || r.code() != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.raw, tc.status, tc.code)
		}
	}
	// Not signed in.
	if r := e.multipartDo("/v1/documents/analyze", cred{}, part{"front", "f.jpg", "image/jpeg", good}); r.status != 401 {
		t.Errorf("anonymous: %d", r.status)
	}
	// A blank page and a selfie: readable, no document.
	for name, data := range map[string][]byte{
		"blank":  encodePNG(t, image.NewGray(image.Rect(0, 0, 900, 600))),
		"selfie": testPhoto(t, "face_recognition/examples__obama-480p.jpg"),
	} {
		r := e.must(e.multipartDo("/v1/documents/analyze", c, part{"front", name, "", data}), 200)
		if r.str("document_type") != "unknown" {
			t.Errorf("%s: %s", name, r.raw)
		}
	}
}
