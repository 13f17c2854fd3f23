package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"

	"github.com/kycd/kycd/internal/docgen"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/testenv"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
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
	photo, err := raster.Decode(testPhoto(t, photoName), raster.Limits{})
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
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/api -run Documents -update)", err)
	}
	var want any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if diffs := matchGolden(v, want, "", false); len(diffs) > 0 {
		t.Errorf("%s differs from the golden file %s:\n%s\n(got:\n%s)", name, path, strings.Join(diffs, "\n"), pretty)
	}
}

// matchGolden compares a JSON answer with its golden value and lists the
// differences. What is meant to be stable on any machine is compared
// exactly: keys, types, codes, everything read from the MRZ or barcode.
// What is not is tolerated: numbers (scores, ratios, measures computed in
// floating point) within 2% (at least 0.02), and text that Tesseract read
// (a field whose source is visual, a cross-check's printed side) when it is
// mostly the same: OCR noise differs with the CPU and the library build.
func matchGolden(got, want any, path string, ocr bool) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %v, want an object", path, got)}
		}
		var out []string
		for k := range w {
			if _, ok := g[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s: missing", path, k))
			}
		}
		for k, gv := range g {
			wv, ok := w[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: not in the golden file", path, k))
				continue
			}
			loose := ocr || k == "printed" || (k == "value" && w["source"] == "visual")
			if k == "cross_checks" {
				out = append(out, matchCrossChecks(gv, wv, path+"."+k)...)
				continue
			}
			out = append(out, matchGolden(gv, wv, path+"."+k, loose)...)
		}
		sort.Strings(out)
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: %v, want %v", path, got, want)}
		}
		var out []string
		for i := range w {
			out = append(out, matchGolden(g[i], w[i], fmt.Sprintf("%s[%d]", path, i), ocr)...)
		}
		return out
	case float64:
		g, ok := got.(float64)
		if !ok || math.Abs(g-w) > max(0.02, 0.02*math.Abs(w)) {
			return []string{fmt.Sprintf("%s: %v, want %v (±2%%)", path, got, want)}
		}
	case string:
		g, ok := got.(string)
		if !ok || g != w && !(ocr && similarText(g, w)) {
			return []string{fmt.Sprintf("%s: %q, want %q", path, got, want)}
		}
	default:
		if got != want {
			return []string{fmt.Sprintf("%s: %v, want %v", path, got, want)}
		}
	}
	return nil
}

// matchCrossChecks compares cross-checks by field: which ones there are
// depends on which printed labels Tesseract found (OCR noise), so a
// cross-check on one side only is tolerated unless it disagrees; those on
// both sides must match as any golden value does, but for the printed
// text itself (Tesseract's reading, noise around the value: "agrees"
// already says the value is in it).
func matchCrossChecks(got, want any, path string) []string {
	byField := func(v any) map[string]any {
		m := map[string]any{}
		list, _ := v.([]any)
		for _, e := range list {
			if o, ok := e.(map[string]any); ok {
				m[fmt.Sprint(o["field"])] = o
			}
		}
		return m
	}
	g, w := byField(got), byField(want)
	var out []string
	for f, gv := range g {
		if wv, ok := w[f]; ok {
			gm, wm := maps.Clone(gv.(map[string]any)), maps.Clone(wv.(map[string]any))
			if p, _ := gm["printed"].(string); p == "" {
				out = append(out, fmt.Sprintf("%s[%s]: no printed text", path, f))
			}
			delete(gm, "printed")
			delete(wm, "printed")
			out = append(out, matchGolden(gm, wm, path+"["+f+"]", false)...)
		} else if gv.(map[string]any)["agrees"] != true {
			out = append(out, fmt.Sprintf("%s[%s]: %v disagrees, not in the golden file", path, f, gv))
		}
	}
	return out
}

// similarText reports whether two OCR readings of one text differ in at
// most a third of the longer one's characters.
func similarText(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return 3*prev[len(rb)] <= max(len(ra), len(rb))
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

// TestDocumentsScannerFormats: a passport scanned to BMP, TIFF or PDF, or
// photographed by an iPhone (HEIC), is read as from a JPEG (a BMP scan
// used to be refused with 415).
func TestDocumentsScannerFormats(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.newUser("scans@example.com")
	front, _ := generatedDoc(t, docgen.Passport, 3, 0)
	img, err := raster.Decode(front, raster.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var b, tf, pdf bytes.Buffer
	bmp.Encode(&b, img.ToRGBA())
	tiff.Encode(&tf, img.ToRGBA(), &tiff.Options{Compression: tiff.Deflate})
	// A PDF as a scanner e-mails it: the JPEG on a page of its own.
	if err := pdfapi.ImportImages(nil, &pdf, []io.Reader{bytes.NewReader(front)}, nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name, mime string
		data       []byte
	}{{"scan.bmp", "image/bmp", b.Bytes()}, {"scan.tif", "image/tiff", tf.Bytes()}, {"scan.pdf", "application/pdf", pdf.Bytes()}} {
		r := e.must(e.multipartDo("/v1/documents/analyze", cred{bearer: u.access}, part{"front", f.name, f.mime, f.data}), 200)
		if r.str("document_type") != "passport" {
			t.Errorf("%s: %s", f.name, r.raw)
		}
	}
	// An iPhone's HEIC, declared as phones declare it (image/heic or
	// image/heif): read, with the document number from the MRZ.
	heic, err := os.ReadFile(filepath.Join("..", "raster", "testdata", "passport.heic"))
	if err != nil {
		t.Fatal(err)
	}
	for _, mt := range []string{"image/heic", "image/heif", ""} {
		r := e.must(e.multipartDo("/v1/documents/analyze", cred{bearer: u.access}, part{"front", "IMG_0001.HEIC", mt, heic}), 200)
		if r.str("document_type") != "passport" || !strings.Contains(r.raw, "ZEJ59145") {
			t.Errorf("HEIC declared %q: %s", mt, r.raw)
		}
	}
	// Declared HEIC, holding a JPEG: refused as any mislabelled part is.
	e.must(e.multipartDo("/v1/documents/analyze", cred{bearer: u.access}, part{"front", "x.heic", "image/heic", front}), 415)
	// Both sides of an ID card scanned into one PDF: page 2 is the back,
	// where the MRZ is.
	cardFront, cardBack := generatedDoc(t, docgen.IDCard, 4, 0)
	var card bytes.Buffer
	if err := pdfapi.ImportImages(nil, &card, []io.Reader{bytes.NewReader(cardFront), bytes.NewReader(cardBack)}, nil, nil); err != nil {
		t.Fatal(err)
	}
	r := e.must(e.multipartDo("/v1/documents/analyze", cred{bearer: u.access}, part{"front", "card.pdf", "application/pdf", card.Bytes()}), 200)
	var out struct {
		Type   string `json:"document_type"`
		Fields map[string]struct {
			Source string `json:"source"`
		} `json:"fields"`
	}
	json.Unmarshal([]byte(r.raw), &out)
	if out.Type != "id_card" || out.Fields["DOCUMENT_NUMBER"].Source != "mrz" {
		t.Errorf("an ID card's two sides in one PDF: %s", r.raw)
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
		{"not an image", []part{{"front", "f.zip", "application/zip", []byte("PK\x03\x04 not an image")}}, 415, "unsupported_media"},
		{"corrupt PDF", []part{{"front", "f.pdf", "application/pdf", []byte("%PDF-1.4 ...")}}, 400, "invalid"},
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

// TestMatchGolden: the golden comparison tolerates float and OCR noise and
// nothing else.
func TestMatchGolden(t *testing.T) {
	want := map[string]any{"left": 0.5341, "fields": map[string]any{
		"LAST_NAME": map[string]any{"source": "mrz", "value": "OKAFOR"},
		"ADDRESS":   map[string]any{"source": "visual", "value": "9655 LAKE ST, SPRINGFIELD"}},
		"cross_checks": []any{map[string]any{"printed": "LA . OKAFOR", "agrees": true}}}
	for _, tt := range []struct {
		name  string
		patch func(m map[string]any)
		ok    bool
	}{
		{"the same", func(map[string]any) {}, true},
		{"float noise", func(m map[string]any) { m["left"] = 0.534 }, true},
		{"another number", func(m map[string]any) { m["left"] = 0.6 }, false},
		{"OCR noise in printed text", func(m map[string]any) {
			m["cross_checks"] = []any{map[string]any{"printed": "E . OKAFOR", "agrees": true}}
		}, true},
		{"another verdict", func(m map[string]any) {
			m["cross_checks"] = []any{map[string]any{"printed": "LA . OKAFOR", "agrees": false}}
		}, false},
		{"OCR noise in a visual field", func(m map[string]any) {
			m["fields"].(map[string]any)["ADDRESS"] = map[string]any{"source": "visual", "value": "9655 LAKE ST. SPRINGFELD"}
		}, true},
		{"another visual text", func(m map[string]any) {
			m["fields"].(map[string]any)["ADDRESS"] = map[string]any{"source": "visual", "value": "1 MAIN ROAD"}
		}, false},
		{"one MRZ letter", func(m map[string]any) {
			m["fields"].(map[string]any)["LAST_NAME"] = map[string]any{"source": "mrz", "value": "OKAF0R"}
		}, false},
		{"a missing key", func(m map[string]any) { delete(m, "left") }, false},
	} {
		var got map[string]any
		b, _ := json.Marshal(want)
		json.Unmarshal(b, &got)
		tt.patch(got)
		if diffs := matchGolden(got, want, "", false); (len(diffs) == 0) != tt.ok {
			t.Errorf("%s: differences %v, want ok=%v", tt.name, diffs, tt.ok)
		}
	}
}
