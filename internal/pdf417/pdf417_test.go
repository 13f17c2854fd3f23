package pdf417

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/testenv"
)

// TestBlackbox reads the zxing PDF417 test images and compares each with its
// expected text (.txt) or bytes (.bin).
func TestBlackbox(t *testing.T) {
	dir := filepath.Join(testenv.TestData(t), "documents", "pdf417")
	images, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	jpgs, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	images = append(images, jpgs...)
	right, total, retried := 0, 0, 0
	for _, p := range images {
		base := strings.TrimSuffix(p, filepath.Ext(p))
		want, err := os.ReadFile(base + ".bin")
		if err != nil {
			if want, err = os.ReadFile(base + ".txt"); err != nil {
				continue
			}
		}
		total++
		data, _ := os.ReadFile(p)
		img, err := raster.Decode(data, raster.Limits{MinSide: 8})
		if err != nil {
			t.Logf("%s: %v", filepath.Base(p), err)
			continue
		}
		got, how, err := Read(img)
		if err != nil {
			t.Logf("%s: not read", filepath.Base(p))
			continue
		}
		if how != "plain" {
			retried++
		}
		if bytes.Equal(got, want) || strings.TrimSpace(string(got)) == strings.TrimSpace(string(want)) {
			right++
		} else {
			t.Logf("%s: read %d bytes that differ from the expected %d", filepath.Base(p), len(got), len(want))
		}
	}
	t.Logf("PDF417: %d of %d test images read right (%d after a retry)", right, total, retried)
	if total < 50 || right < total*80/100 {
		t.Errorf("%d of %d right", right, total)
	}
}

func TestNoBarcode(t *testing.T) {
	img := &raster.Image{W: 200, H: 100, Pix: bytes.Repeat([]byte{200}, 3*200*100)}
	if _, _, err := Read(img); err != ErrNotFound {
		t.Errorf("Read(blank) = %v, want ErrNotFound", err)
	}
	if _, _, err := Read(&raster.Image{}); err == nil || err == ErrNotFound {
		t.Errorf("Read(empty) = %v, want an empty-image error", err)
	}
}

// TestEncodeRoundTrip encodes AAMVA-like bytes (with the control characters
// the standard uses) and reads them back.
func TestEncodeRoundTrip(t *testing.T) {
	data := []byte("@\n\x1e\rANSI 636014080102DL00410288ZC03290024DLDAQD1234562\nDCSSAMPLE\nDACJANE\nDBB01021990\r")
	img, err := Encode(data, 2)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := Read(img)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read %q, want %q", got, data)
	}
	if _, err := Encode(nil, 2); err == nil {
		t.Fatal("empty data encoded")
	}
}
