package document

import (
	"image"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/docgen"
	"github.com/kycd/kycd/internal/mrzscan"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/testenv"
)

func TestParseDate(t *testing.T) {
	d := func(y, m, day int) time.Time { return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		in         string
		monthFirst bool
		want       time.Time
		ok         bool
	}{
		{"17 AUG 2022", false, d(2022, 8, 17), true},
		{"10 PEC 2024", false, d(2024, 12, 10), true}, // OCR slip in the month
		{"17.08.2022", false, d(2022, 8, 17), true},
		{"08/17/2022", true, d(2022, 8, 17), true},
		{"2022-08-17", false, d(2022, 8, 17), true},
		{"31.02.2022", false, time.Time{}, false}, // no such day
		{"12 XYZ 2022", false, time.Time{}, false},
		{"no date here", false, time.Time{}, false},
	} {
		got, ok := parseDate(c.in, c.monthFirst)
		if ok != c.ok || !got.Equal(c.want) {
			t.Errorf("parseDate(%q) = %v %v, want %v %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestReadLabels(t *testing.T) {
	text := `PASSPORT / PASSEPORT UTOPIA
Surname / Nom
ERIKSSON
Date of birth / Date de naissance   Sex / Sexe
12 Aug 1974 F
Place of birth / Lieu de nassance
ZENITH
Date of sue | Date de délivrance     Date of expiry
16 Apr 2017   15 Apr 2027
P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<`
	p := readLabels(text, false)
	if p.surname != "ERIKSSON" || p.place != "ZENITH" || len(p.dates) != 3 {
		t.Fatalf("%+v", p)
	}
	back := readLabels("3642 MAIN ST, MADISON\n", false)
	if back.address != "3642 MAIN ST, MADISON" {
		t.Fatalf("address %q", back.address)
	}
}

func TestSameName(t *testing.T) {
	for _, c := range []struct {
		mrz, printed string
		want         bool
	}{
		{"MUELLER", "MÜLLER", true}, // one edit after folding
		{"ERIKSSON", "ERIKSSON", true},
		{"VAN DER BERG", "VAN DER BERG", true},
		{"PAPADOPOULOS", "PAPADOPOULOSS", true},
		{"SMITH", "JOHNSON", false},
	} {
		if got := sameName(c.mrz, c.printed); got != c.want {
			t.Errorf("sameName(%q, %q) = %v", c.mrz, c.printed, got)
		}
	}
}

// FuzzReadLabels: any OCR output, however garbled, is read without a panic.
func FuzzReadLabels(f *testing.F) {
	f.Add("Date of issue\n12 Aug 2020\nPlace of birth / Lieu\nZENITH")
	f.Add("ADDRESS 12 MAIN ST, X\n31/12/1999 01.02.2003")
	f.Add("Ü/|<<<<<\n\x00\xff 99 JAN 9999")
	f.Fuzz(func(t *testing.T, s string) {
		readLabels(s, false)
		readLabels(s, true)
	})
}

// TestOCRPage: the page Tesseract reads is turned upright, no wider than
// ocrWidth, cut to the document's page when its MRZ was read, and has the
// MRZ painted over (the MRZ reader finds none left on it), at any turn and
// scale; the side's own picture is not changed.
func TestOCRPage(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	portrait := testenv.Image(t, "faces", "deepface", "img1.jpg")
	d := docgen.Random(r, docgen.Passport, testNow)
	front, _, err := docgen.Render(d, portrait, 12, r)
	if err != nil {
		t.Fatal(err)
	}
	// The passport fills two thirds of the smaller photo and half of the
	// larger one: the rest is table.
	for width, margin := range map[int]float64{1000: 0.25, 2200: 0.5} {
		jpg, err := docgen.Photograph(front, docgen.Shot{Width: width, Skew: 3, Quality: 85, Margin: margin}, r)
		if err != nil {
			t.Fatal(err)
		}
		img, err := raster.Decode(jpg, raster.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		for _, turned := range []int{0, 90, 270} {
			side := img.Gray().Turn(turned)
			res, err := mrzscan.ReadGray(side, mrzscan.Options{Now: testNow})
			if err != nil {
				t.Fatalf("%d px turned %d: %v", width, turned, err)
			}
			turn := uprightTurn(res.Angle)
			before := slices.Clone(side.Pix)
			// The page given as the whole side: the zone painted over alone.
			whole := *res
			whole.Page = [4]image.Point{{0, 0}, {side.W, 0}, {side.W, side.H}, {0, side.H}}
			full, rest, page := ocrPage(side, turn, nil), ocrPage(side, turn, &whole), ocrPage(side, turn, res)
			if !slices.Equal(side.Pix, before) {
				t.Fatalf("%d px turned %d: ocrPage changed the side's picture", width, turned)
			}
			if want := min(ocrWidth, width); full.W < want-1 || full.W > want+1 || full.W != rest.W || full.H != rest.H || full.H > full.W {
				t.Errorf("%d px turned %d: pages of %dx%d and %dx%d, want %d wide and upright", width, turned, full.W, full.H, rest.W, rest.H, want)
			}
			changed := 0
			for i := range full.Pix {
				if full.Pix[i] != rest.Pix[i] {
					changed++
				}
			}
			// The zone is a sixth of a passport page at most.
			if changed == 0 || changed > len(full.Pix)/6 {
				t.Errorf("%d px turned %d: %d of %d pixels painted over", width, turned, changed, len(full.Pix))
			}
			// The page, three characters beyond the passport on every side
			// and skewed, is about 78% of the smaller photo's width and
			// 73% of its height, 60% and 55% of the larger one's: cut out
			// narrower than ocrWidth, so read at the photo's own scale.
			if page.W >= ocrWidth || page.W > img.W*85/100 || page.H > img.H*80/100 || page.H > page.W {
				t.Errorf("%d px turned %d: a page of %dx%d of a %dx%d photo", width, turned, page.W, page.H, img.W, img.H)
			}
			if _, err := mrzscan.ReadGray(full, mrzscan.Options{Now: testNow}); err != nil {
				t.Errorf("%d px turned %d: no zone on the whole page: %v", width, turned, err)
			}
			for name, g := range map[string]*raster.Gray{"side": rest, "page": page} {
				if _, err := mrzscan.ReadGray(g, mrzscan.Options{Now: testNow}); err == nil {
					t.Errorf("%d px turned %d: a zone is read on the %s with the zone painted over", width, turned, name)
				}
			}
		}
	}
}
