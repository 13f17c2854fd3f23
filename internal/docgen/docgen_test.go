package docgen

import (
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/aamva"
	"github.com/kycd/kycd/internal/mrz"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/testenv"
)

func portrait(t testing.TB) *raster.Image {
	return testenv.Image(t, "faces", "deepface", "img1.jpg")
}

func writePNG(t testing.TB, path string, img *raster.Image) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	png.Encode(f, img.ToRGBA())
}

var now = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// TestContents checks that what is printed in the MRZ and the barcode is
// valid and says what the truth says.
func TestContents(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		for _, k := range []Kind{Passport, IDCard, DriversLicense} {
			d := Random(r, k, now)
			truth := d.Truth()
			if k == DriversLicense {
				c, err := aamva.Parse(truth.Barcode)
				if err != nil {
					t.Fatal(err)
				}
				if c.DocumentNumber != d.Number || c.LastName != d.Surname || !c.BirthDate.Equal(d.BirthDate) || !c.ExpiryDate.Equal(d.ExpiryDate) {
					t.Fatalf("barcode %q parsed as %+v", truth.Barcode, c)
				}
				continue
			}
			m, err := mrz.Parse(truth.MRZ, now)
			if err != nil {
				t.Fatal(err)
			}
			if !m.Valid || len(m.Repaired) > 0 {
				t.Fatalf("%s: MRZ %q is not valid: %+v", k, truth.MRZ, m.Checks)
			}
			if m.DocumentNumber != d.Number || m.Surname != d.Surname || m.GivenNames != d.GivenNames || !m.BirthDate.Equal(d.BirthDate) {
				t.Fatalf("MRZ %q parsed as %+v, want %+v", truth.MRZ, m, d)
			}
		}
	}
}

// TestRender draws each kind and photographs it.
func TestRender(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, k := range []Kind{Passport, IDCard, DriversLicense} {
		d := Random(r, k, now)
		front, back, err := Render(d, portrait(t), 10, r)
		if err != nil {
			t.Fatal(err)
		}
		if front.W < 800 || (k != Passport) != (back != nil) {
			t.Fatalf("%s: front %dx%d, back %v", k, front.W, front.H, back != nil)
		}
		jpg, err := Photograph(front, Shot{Width: 1000, Skew: 4, Turn: 90, Blur: 0.8, Quality: 70, Margin: 0.08}, r)
		if err != nil {
			t.Fatal(err)
		}
		img, err := raster.Decode(jpg, raster.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if img.W >= img.H {
			t.Fatalf("%s: a 90° turn left it %dx%d", k, img.W, img.H)
		}
		if dir := os.Getenv("KYCD_DOCGEN_OUT"); dir != "" {
			writePNG(t, filepath.Join(dir, strings.ReplaceAll(string(k), "_", "-")+".png"), img)
			if back != nil {
				writePNG(t, filepath.Join(dir, string(k)+"-back.png"), back)
			}
		}
	}
}
