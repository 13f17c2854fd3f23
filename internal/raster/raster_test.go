package raster

import (
	"bytes"
	"encoding/binary"
	"image"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/kycd/kycd/internal/kyc"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
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
	s := g.Shrink(4, 3)
	if want := uint8((int(g.Pix[0]) + int(g.Pix[1]) + int(g.Pix[8]) + int(g.Pix[9]) + 2) / 4); s.W != 4 || s.H != 3 || s.Pix[0] != want {
		t.Errorf("Shrink = %dx%d %v, want %d first", s.W, s.H, s.Pix, want)
	}
	// The grey picture turns as the colour one does.
	if gt := g.Turn(90); gt.W != 6 || gt.H != 8 || string(gt.Pix) != string(r.Gray().Pix) {
		t.Error("Gray().Turn(90) is not Turn(90).Gray()")
	}
	if g.Turn(0) != g || string(g.Turn(180).Turn(180).Pix) != string(g.Pix) {
		t.Error("Gray turns by 0 or twice 180 change it")
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

// TestScannerFormats: BMP and TIFF, as scanners save them, decode to the
// same pixels; a TIFF's orientation tag is applied; their headers are
// checked against the limits before any pixel is decoded; malformed files
// are invalid, never a panic.
func TestScannerFormats(t *testing.T) {
	m := testImage(64, 48)
	var b, tf, tz bytes.Buffer
	if err := bmp.Encode(&b, m.ToRGBA()); err != nil {
		t.Fatal(err)
	}
	if err := tiff.Encode(&tf, m.ToRGBA(), nil); err != nil {
		t.Fatal(err)
	}
	if err := tiff.Encode(&tz, m.ToRGBA(), &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"bmp": b.Bytes(), "tiff": tf.Bytes(), "tiff deflate": tz.Bytes()} {
		got, err := Decode(data, Limits{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.W != m.W || got.H != m.H || !bytes.Equal(got.Pix, m.Pix) {
			t.Errorf("%s: decoded %dx%d, not the same pixels", name, got.W, got.H)
		}
	}
	if got := Sniff(b.Bytes()); got != BMP {
		t.Errorf("Sniff(bmp) = %q", got)
	}

	// Orientation 6: the picture is stored turned; shown upright it is 48×64.
	turned, err := Decode(withTIFFOrientation(t, tf.Bytes(), 6), Limits{})
	if err != nil || turned.W != 48 || turned.H != 64 {
		t.Errorf("TIFF with orientation 6: %v, %v", turned, err)
	}

	// A header claiming 40000×40000 pixels: refused before decoding.
	bomb := make([]byte, 54)
	copy(bomb, "BM")
	binary.LittleEndian.PutUint32(bomb[10:], 54)
	binary.LittleEndian.PutUint32(bomb[14:], 40)
	binary.LittleEndian.PutUint32(bomb[18:], 40000)
	binary.LittleEndian.PutUint32(bomb[22:], 40000)
	binary.LittleEndian.PutUint16(bomb[26:], 1)
	binary.LittleEndian.PutUint16(bomb[28:], 24)
	if _, err := Decode(bomb, Limits{}); kyc.ErrorCode(err) != kyc.TooLarge {
		t.Errorf("a BMP bomb: %v", err)
	}
	for name, data := range map[string][]byte{
		"truncated bmp":  b.Bytes()[:len(b.Bytes())/3],
		"truncated tiff": tf.Bytes()[:len(tf.Bytes())/3],
		"garbage tiff":   append([]byte("II*\x00\x08\x00\x00\x00"), bytes.Repeat([]byte{0xFF}, 64)...),
	} {
		if _, err := Decode(data, Limits{}); kyc.ErrorCode(err) != kyc.Invalid {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}

// withTIFFOrientation rewrites a TIFF's first directory with an
// orientation tag (274) of value v, appended at the end of the file.
func withTIFFOrientation(t *testing.T, data []byte, v uint16) []byte {
	t.Helper()
	var bo interface {
		binary.ByteOrder
		binary.AppendByteOrder
	} = binary.LittleEndian
	if string(data[:2]) == "MM" {
		bo = binary.BigEndian
	}
	off := bo.Uint32(data[4:])
	n := int(bo.Uint16(data[off:]))
	entries := [][]byte{}
	for k := range n {
		entries = append(entries, data[int(off)+2+12*k:int(off)+14+12*k])
	}
	e := make([]byte, 12)
	bo.PutUint16(e, 274)
	bo.PutUint16(e[2:], 3) // SHORT
	bo.PutUint32(e[4:], 1)
	bo.PutUint16(e[8:], v)
	entries = append(entries, e)
	slices.SortFunc(entries, func(a, b []byte) int { return int(bo.Uint16(a)) - int(bo.Uint16(b)) })
	out := slices.Clone(data)
	if len(out)%2 == 1 {
		out = append(out, 0)
	}
	bo.PutUint32(out[4:], uint32(len(out)))
	out = bo.AppendUint16(out, uint16(len(entries)))
	for _, e := range entries {
		out = append(out, e...)
	}
	return bo.AppendUint32(out, 0)
}

// TestHEIC: an iPhone's format decodes (testdata/passport.heic is a
// generated passport, encoded by libheif's heif-enc at quality 70); a
// header claiming too many pixels is refused before decoding, a truncated
// file is invalid, and AVIF (the same container, AV1 inside) is not taken
// for HEIC.
func TestHEIC(t *testing.T) {
	data, err := os.ReadFile("testdata/passport.heic")
	if err != nil {
		t.Fatal(err)
	}
	if got := Sniff(data); got != HEIC {
		t.Fatalf("Sniff = %q", got)
	}
	m, err := Decode(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if m.W != 1000 || m.H != 704 {
		t.Errorf("%d×%d, want 1000×704", m.W, m.H)
	}
	// The page is light, the MRZ band at the bottom has dark print.
	if top, band := m.meanLuma(0, 0, m.W, 60), m.minLuma(0, m.H*8/10, m.W, m.H); top < 150 || band > 80 {
		t.Errorf("luma: top %.0f, darkest in the MRZ band %.0f", top, band)
	}

	i := bytes.Index(data, []byte("ispe"))
	if i < 0 {
		t.Fatal("no ispe box")
	}
	bomb := bytes.Clone(data)
	binary.BigEndian.PutUint32(bomb[i+8:], 40000)
	binary.BigEndian.PutUint32(bomb[i+12:], 40000)
	if _, err := Decode(bomb, Limits{}); kyc.ErrorCode(err) != kyc.TooLarge {
		t.Errorf("a HEIC claiming 40000×40000: %v, want too_large", err)
	}
	if _, err := Decode(data[:len(data)/2], Limits{}); kyc.ErrorCode(err) != kyc.Invalid {
		t.Errorf("truncated HEIC: %v, want invalid", err)
	}
	avif := bytes.Clone(data)
	copy(avif[8:12], "avif")
	for j := 16; j+4 <= int(binary.BigEndian.Uint32(avif[:4])); j += 4 {
		copy(avif[j:j+4], "avif")
	}
	if got := Sniff(avif); got != "" {
		t.Errorf("Sniff(avif) = %q", got)
	}
}

func (m *Image) meanLuma(x0, y0, x1, y1 int) float64 {
	var sum float64
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			p := m.Pix[3*(y*m.W+x):]
			sum += float64(Luma(float32(p[0]), float32(p[1]), float32(p[2])))
		}
	}
	return sum / float64((x1-x0)*(y1-y0))
}

func (m *Image) minLuma(x0, y0, x1, y1 int) float64 {
	low := 255.0
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			p := m.Pix[3*(y*m.W+x):]
			low = min(low, float64(Luma(float32(p[0]), float32(p[1]), float32(p[2]))))
		}
	}
	return low
}

// TestFillQuad paints a diamond: the pixels within it and only those,
// whichever way round its corners are given, partly outside the picture
// too; Histogram counts the same pixels, and Clone keeps the original.
func TestFillQuad(t *testing.T) {
	g := &Gray{W: 20, H: 20, Pix: make([]uint8, 400)}
	diamond := [4]image.Point{{10, 2}, {18, 10}, {10, 18}, {2, 10}}
	c := g.Clone()
	c.Fill(diamond, 200)
	n := 0
	for y := range 20 {
		for x := range 20 {
			inside := abs(x-10)+abs(y-10) <= 8
			if got := c.Pix[y*20+x] == 200; got != inside {
				t.Fatalf("(%d,%d) painted %v, inside %v", x, y, got, inside)
			}
			if inside {
				n++
			}
		}
	}
	if g.Pix[10*20+10] != 0 {
		t.Error("Fill on a clone changed the original")
	}
	if h := c.Histogram(diamond); h[200] != n || h[0] != 0 {
		t.Errorf("Histogram = %d at 200 and %d at 0, want %d and 0", h[200], h[0], n)
	}
	back := [4]image.Point{diamond[3], diamond[2], diamond[1], diamond[0]}
	if h := c.Histogram(back); h[200] != n {
		t.Errorf("the corners the other way round count %d, want %d", h[200], n)
	}
	off := [4]image.Point{{-5, -5}, {5, -5}, {5, 5}, {-5, 5}}
	d := g.Clone()
	d.Fill(off, 1)
	if h := d.Histogram([4]image.Point{{0, 0}, {19, 0}, {19, 19}, {0, 19}}); h[1] != 36 {
		t.Errorf("a square partly outside painted %d pixels, want 36", h[1])
	}
}

func abs(x int) int { return max(x, -x) }

// TestRotateUnrotate: a mark turned with Rotate is mapped back onto where
// it was by Unrotate.
func TestRotateUnrotate(t *testing.T) {
	g := &Gray{W: 300, H: 200, Pix: make([]uint8, 300*200)}
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	mark := [2]int{70, 40}
	for dy := -2; dy <= 2; dy++ {
		for dx := -2; dx <= 2; dx++ {
			g.Pix[(mark[1]+dy)*g.W+mark[0]+dx] = 0
		}
	}
	for _, deg := range []float64{-60, -30, 17, 45, 90, 200} {
		r := g.Rotate(deg)
		var sx, sy, n float64
		for y := 0; y < r.H; y++ {
			for x := 0; x < r.W; x++ {
				if r.Pix[y*r.W+x] < 128 {
					sx, sy, n = sx+float64(x)+0.5, sy+float64(y)+0.5, n+1
				}
			}
		}
		x, y := Unrotate(g.W, g.H, deg, sx/n, sy/n)
		if math.Abs(x-float64(mark[0])-0.5) > 1.5 || math.Abs(y-float64(mark[1])-0.5) > 1.5 {
			t.Errorf("%.0f°: the mark maps back to (%.1f, %.1f), want (%d.5, %d.5)", deg, x, y, mark[0], mark[1])
		}
	}
}
