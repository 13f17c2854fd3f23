package document

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/testenv"
)

func specimen(t *testing.T, name string) *raster.Image {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.TestData(t), "documents", "specimens", name))
	if err != nil {
		t.Fatal(err)
	}
	img, err := raster.Decode(data, raster.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// boxBlur blurs an image with a (2r+1)² box, r times wider than a printed
// character's stroke: what a shaking hand does.
func boxBlur(img *raster.Image, r int) *raster.Image {
	out := &raster.Image{W: img.W, H: img.H, Pix: make([]uint8, len(img.Pix))}
	for y := 0; y < img.H; y++ {
		for x := 0; x < img.W; x++ {
			var acc [3]int
			n := 0
			for yy := max(0, y-r); yy <= min(img.H-1, y+r); yy++ {
				for xx := max(0, x-r); xx <= min(img.W-1, x+r); xx++ {
					for c := 0; c < 3; c++ {
						acc[c] += int(img.Pix[3*(yy*img.W+xx)+c])
					}
					n++
				}
			}
			for c := 0; c < 3; c++ {
				out.Pix[3*(y*img.W+x)+c] = uint8(acc[c] / n)
			}
		}
	}
	return out
}

func TestQuality(t *testing.T) {
	sharp := specimen(t, "passports_Canada.png")
	q := AssessQuality(sharp.Gray())
	if slices.Contains(q.Warnings, WarnBlurry) || q.Sharpness < 35 {
		t.Errorf("a specimen scan: %+v", q)
	}
	blurred := AssessQuality(boxBlur(sharp, max(3, sharp.W/150)).Gray())
	if !slices.Contains(blurred.Warnings, WarnBlurry) || blurred.Sharpness >= q.Sharpness {
		t.Errorf("blurred: %+v (sharp %.1f)", blurred, q.Sharpness)
	}
	glare := &raster.Image{W: sharp.W, H: sharp.H, Pix: append([]uint8(nil), sharp.Pix...)}
	for y := 0; y < glare.H/3; y++ {
		for x := 0; x < glare.W/3; x++ {
			i := 3 * (y*glare.W + x)
			glare.Pix[i], glare.Pix[i+1], glare.Pix[i+2] = 255, 255, 255
		}
	}
	if g := AssessQuality(glare.Gray()); !slices.Contains(g.Warnings, WarnGlare) {
		t.Errorf("glare patch: %+v", g)
	}
	dark := &raster.Image{W: 640, H: 400, Pix: make([]uint8, 3*640*400)}
	if d := AssessQuality(dark.Gray()); !slices.Contains(d.Warnings, WarnTooDark) {
		t.Errorf("a black frame: %+v", d)
	}
	small := &raster.Image{W: 300, H: 200, Pix: make([]uint8, 3*300*200)}
	if s := AssessQuality(small.Gray()); !slices.Contains(s.Warnings, WarnLowResolution) {
		t.Errorf("300×200: %+v", s)
	}
}

// TestQualitySpecimens: the published specimen images are sharp scans;
// almost none should be called blurry.
func TestQualitySpecimens(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testenv.TestData(t), "documents", "specimens", "*.png"))
	more, _ := filepath.Glob(filepath.Join(testenv.TestData(t), "documents", "specimens", "*.jpg"))
	files = append(files, more...)
	blurry := 0
	for _, f := range files {
		data, _ := os.ReadFile(f)
		img, err := raster.Decode(data, raster.Limits{})
		if err != nil {
			continue
		}
		if q := AssessQuality(img.Gray()); slices.Contains(q.Warnings, WarnBlurry) {
			blurry++
			t.Logf("%s: sharpness %.1f", filepath.Base(f), q.Sharpness)
		}
	}
	t.Logf("%d of %d specimens called blurry", blurry, len(files))
	if blurry > len(files)/5 {
		t.Errorf("%d of %d specimen scans called blurry", blurry, len(files))
	}
}
