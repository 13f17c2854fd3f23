package mrzscan

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/docgen"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/testenv"
)

// BenchmarkRead locates and reads the MRZ of a passport photographed
// 1400 px wide with a 4° skew.
func BenchmarkRead(b *testing.B) {
	img, now := benchFront(b, docgen.Passport)
	testenv.Measure(b, func() {
		if _, err := Read(img, Options{Now: now}); err != nil {
			b.Fatal(err)
		}
	})
}

// benchFront is the front of a generated document of kind photographed
// 1400 px wide with a 4° skew, and the time the benchmarks read it at.
func benchFront(b *testing.B, kind docgen.Kind) (*raster.Image, time.Time) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(1, 1))
	portrait := loadImage(b, filepath.Join(testenv.TestData(b), "faces", "deepface", "img1.jpg"))
	front, _, err := docgen.Render(docgen.Random(r, kind, now), portrait, 12, r)
	if err != nil {
		b.Fatal(err)
	}
	jpg, _ := docgen.Photograph(front, docgen.Shot{Width: 1400, Skew: 4, Quality: 80, Margin: 0.08}, r)
	img, err := raster.Decode(jpg, raster.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	return img, now
}

// BenchmarkWorkImage shrinks a 12-megapixel phone photo's grey picture to
// the reader's working size.
func BenchmarkWorkImage(b *testing.B) {
	img := &raster.Gray{W: 4032, H: 3024, Pix: make([]uint8, 4032*3024)}
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	testenv.Measure(b, func() { workImage(img) })
}

// BenchmarkReadNoZone looks for an MRZ on a licence's front, which has
// none (1400 px wide, 4° skew): what every document without a zone pays,
// all the oblique retries included.
func BenchmarkReadNoZone(b *testing.B) {
	img, now := benchFront(b, docgen.DriversLicense)
	testenv.Measure(b, func() {
		if _, err := Read(img, Options{Now: now}); err == nil {
			b.Fatal("a zone on a licence's front")
		}
	})
}
