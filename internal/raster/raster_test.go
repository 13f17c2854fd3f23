package raster

import (
	"image"
	"testing"
)

func testImage(w, h int) *Image {
	m := &Image{W: w, H: h, Pix: make([]uint8, 3*w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := 3 * (y*w + x)
			m.Pix[i], m.Pix[i+1], m.Pix[i+2] = uint8(x), uint8(y), uint8(x+y)
		}
	}
	return m
}

func TestCropTurnGray(t *testing.T) {
	m := testImage(8, 6)
	c := m.Crop(image.Rect(-2, 1, 3, 4))
	if c.W != 3 || c.H != 3 || c.Pix[0] != 0 || c.Pix[1] != 1 {
		t.Errorf("Crop = %dx%d starting %v", c.W, c.H, c.Pix[:3])
	}
	if m.Crop(image.Rect(20, 20, 30, 30)) != nil {
		t.Error("a crop outside the image is not nil")
	}
	r := m.Turn(90)
	if r.W != 6 || r.H != 8 {
		t.Errorf("Turn(90) = %dx%d", r.W, r.H)
	}
	// The pixel at the top left goes to the top right when turned clockwise.
	if got := r.Pix[3*(0*r.W+r.W-1)]; got != m.Pix[0] {
		t.Errorf("Turn(90) moved the top-left pixel wrong: %d", got)
	}
	if back := r.Turn(270); back.W != m.W || string(back.Pix) != string(m.Pix) {
		t.Error("Turn(90) then Turn(270) is not the image")
	}
	g := m.Gray()
	if want := uint8((299*7 + 587*5 + 114*12 + 500) / 1000); g.Pix[5*8+7] != want {
		t.Errorf("Gray at (7,5) = %d, want %d", g.Pix[5*8+7], want)
	}
	s := m.GrayShrunk(4, 3)
	if s.W != 4 || s.H != 3 || s.Pix[0] > g.Pix[9] || s.Pix[0] < g.Pix[0] {
		t.Errorf("GrayShrunk = %dx%d %v", s.W, s.H, s.Pix)
	}
	if float64(Luma(255, 255, 255)) < 254.99 || Luma(0, 0, 0) != 0 {
		t.Error("Luma does not span 0–255")
	}
}

func TestEncodeDecode(t *testing.T) {
	m := testImage(64, 48)
	data, err := m.EncodeJPEG(95)
	if err != nil || Sniff(data) != JPEG {
		t.Fatalf("EncodeJPEG: %v", err)
	}
	back, err := Decode(data, Limits{})
	if err != nil || back.W != 64 || back.H != 48 {
		t.Fatalf("Decode = %v, %v", back, err)
	}
	if _, err := Decode(data, Limits{MaxPixels: 1000}); err == nil {
		t.Error("an image over the pixel limit was decoded")
	}
}
