package pdf417_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/docgen"
	"github.com/kycd/kycd/internal/pdf417"
	"github.com/kycd/kycd/internal/raster"
)

// TestSmallLicenceBacks: the backs of licences photographed 444 px wide
// (the size of a held-out photo the reader missed), JPEG at 80, a little
// blur. zxing alone and the doubled copy read none of twelve (measured
// 2026-12-08); enlarged smoothly they are read.
func TestSmallLicenceBacks(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	portrait := &raster.Image{W: 300, H: 400, Pix: make([]uint8, 300*400*3)}
	read := 0
	for seed := uint64(1); seed <= 12; seed++ {
		r := rand.New(rand.NewPCG(seed, seed))
		d := docgen.Random(r, docgen.DriversLicense, now)
		_, back, err := docgen.Render(d, portrait, 12, r)
		if err != nil {
			t.Fatal(err)
		}
		jpg, err := docgen.Photograph(back, docgen.Shot{Width: 444, Skew: 3, Quality: 80, Margin: 0.03, Blur: 0.3}, r)
		if err != nil {
			t.Fatal(err)
		}
		img, err := raster.Decode(jpg, raster.Limits{MinSide: 8})
		if err != nil {
			t.Fatal(err)
		}
		if data, _, err := pdf417.Read(img); err == nil && string(data) == d.AAMVA() {
			read++
		}
	}
	t.Logf("%d of 12 read", read)
	if read < 9 {
		t.Errorf("%d of 12 small licence backs read", read)
	}
}
