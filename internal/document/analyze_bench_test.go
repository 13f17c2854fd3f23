package document

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kycd/kycd/internal/docgen"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/testenv"
)

// BenchmarkAnalyze reads generated documents of each kind, on one worker:
// the per-document latency of POST /v1/documents/analyze without HTTP.
func BenchmarkAnalyze(b *testing.B) {
	e := testenv.FaceEngine(b)
	docs := benchDocs(b)
	a := &Analyzer{Faces: e}
	i := 0
	testenv.Measure(b, func() {
		if _, err := a.Analyze(context.Background(), docs[i%len(docs)]...); err != nil {
			b.Fatal(err)
		}
		i++
	})
}

// benchDocs is what BenchmarkAnalyze reads: the generated documents, or
// with KYCD_BENCH_DOCS=DIR the images of a labelled set (labels.json, as
// kycd eval documents reads it), e.g. large real scans to profile.
func benchDocs(b *testing.B) [][]Side {
	var docs [][]Side
	if dir := os.Getenv("KYCD_BENCH_DOCS"); dir != "" {
		labels, err := readSetLabels(dir)
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range labels {
			sides, err := readSides(dir, l.File)
			if err != nil {
				b.Fatal(err)
			}
			docs = append(docs, sides)
		}
		if len(docs) == 0 {
			b.Fatalf("%s: no documents in labels.json", dir)
		}
		return docs
	}
	dir := generated(b)
	cases, err := docgen.ReadSet(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cases {
		sides, err := readSides(dir, c.Front, c.Back)
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, sides)
	}
	return docs
}

// generated makes (once per test binary) a small set of documents.
func generated(t testing.TB) string {
	// What may fail the test is done before the Once: a t.Fatal inside it
	// would leave the later tests an empty directory and no error.
	faces, _ := filepath.Glob(filepath.Join(testenv.TestData(t), "faces", "face_recognition", "*.jpg"))
	e := testenv.FaceEngine(t)
	genOnce.Do(func() {
		genDir, genErr = os.MkdirTemp("", "kycd-docs-")
		if genErr != nil {
			return
		}
		portrait := func(img *raster.Image) (*raster.Image, error) { return e.Portrait(context.Background(), img, 320, 85) }
		genErr = docgen.Generate(genDir, 12, 42, faces, portrait, testNow, nil)
	})
	if genErr != nil {
		t.Fatal(genErr)
	}
	return genDir
}
