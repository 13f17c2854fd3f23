// Package raster is kycd's one image type and what every pipeline does to
// images: decode an upload (with limits checked before any pixel is
// decoded, and the EXIF orientation applied), convert to grey, turn, crop
// and encode. The face engine, the document reader, the MRZ and barcode
// readers and the document generator all use it.
package raster

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"slices"

	"github.com/gen2brain/heic"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"

	"github.com/kycd/kycd/internal/kyc"
)

// Image is an 8-bit RGB picture with its EXIF orientation applied, the form
// every model's input is sampled from and every reader starts with.
type Image struct {
	W, H int
	Pix  []uint8 // R, G, B for each pixel, row by row
}

// Limits bound what Decode accepts.
type Limits struct {
	MaxPixels int     // refuse larger images before decoding them; DefaultMaxPixels when 0
	MinSide   int     // refuse smaller images; 32 px when 0
	MaxAspect float64 // refuse images whose long side is more than this many times the short one; 20 when 0
	MaxSide   int     // refuse images with a longer side; 12000 px when 0
}

// DefaultMaxPixels is the largest image accepted when no limit is set: a
// 24-megapixel photo (a phone's default 12 MP with room to spare) decodes
// to about 170 MB of pixels, and the API lets a few be decoded at once.
const DefaultMaxPixels = 25_000_000

// Format names an image encoding kycd accepts.
type Format string

// withDefaults fills in the limits left at zero.
func (lim Limits) withDefaults() Limits {
	if lim.MaxPixels <= 0 {
		lim.MaxPixels = DefaultMaxPixels
	}
	if lim.MaxAspect <= 0 {
		lim.MaxAspect = 20 // a cropped barcode is long and thin, a photo is not thinner
	}
	if lim.MaxSide <= 0 {
		lim.MaxSide = 12000
	}
	if lim.MinSide <= 0 {
		lim.MinSide = 32
	}
	return lim
}

// checkSize refuses an image (what says which) of w×h pixels beyond the
// limits, before anything of it is decoded.
func (lim Limits) checkSize(what string, w, h int) error {
	if w*h > lim.MaxPixels || w > lim.MaxSide || h > lim.MaxSide {
		return kyc.Errorf(kyc.TooLarge, "%s is %d×%d pixels, more than the limit of %d megapixels or %d pixels a side",
			what, w, h, lim.MaxPixels/1_000_000, lim.MaxSide)
	}
	return nil
}

// The accepted formats.
const (
	JPEG Format = "image/jpeg"
	PNG  Format = "image/png"
	WebP Format = "image/webp"
	BMP  Format = "image/bmp"       // what many flatbed scanners save
	TIFF Format = "image/tiff"      // the first page: scanners' and fax software's format
	PDF  Format = "application/pdf" // the image on the first page: what scanners e-mail
	HEIC Format = "image/heic"      // what iPhones save
)

// Accepted says which formats Decode reads, for messages.
const Accepted = "JPEG, PNG, WebP, HEIC, BMP, TIFF or PDF"

// Sniff returns the format of data from its first bytes, or "" when it is
// not one Decode reads.
func Sniff(data []byte) Format {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return JPEG
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return WebP
	case len(data) >= 26 && string(data[:2]) == "BM":
		return BMP
	case bytes.HasPrefix(data, []byte("II*\x00")) || bytes.HasPrefix(data, []byte("MM\x00*")):
		return TIFF
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return PDF
	case isHEIC(data):
		return HEIC
	}
	return ""
}

// isHEIC reports whether data is an ISO media file of the HEIF family
// whose brands say its images are HEVC-coded (HEIC): the major brand, or a
// compatible brand of a general "mif1" file. AVIF, its AV1 sibling, is not.
func isHEIC(data []byte) bool {
	if len(data) < 16 || string(data[4:8]) != "ftyp" {
		return false
	}
	size := int(binary.BigEndian.Uint32(data[:4]))
	if size < 16 || size > len(data) || size > 4096 {
		return false
	}
	heic := func(brand string) bool {
		switch brand {
		case "heic", "heix", "heim", "heis", "hevc", "hevx":
			return true
		}
		return false
	}
	if heic(string(data[8:12])) {
		return true
	}
	for i := 16; i+4 <= size; i += 4 { // the compatible brands
		if heic(string(data[i : i+4])) {
			return true
		}
	}
	return false
}

// Decode reads a JPEG, PNG, WebP, HEIC (its primary image, turned as its
// transformations say), BMP, TIFF (its first page) or PDF (the scanned
// image on its first page). It checks
// the size from the header first, so a decompression bomb is refused before
// any pixel is decoded, then applies the orientation a JPEG's EXIF or a
// TIFF's own tag records (phones store many photos sideways). Errors carry
// stable codes: unsupported_media, too_large, invalid.
func Decode(data []byte, lim Limits) (*Image, error) {
	lim = lim.withDefaults()
	format := Sniff(data)
	if format == "" {
		return nil, kyc.Errorf(kyc.UnsupportedMedia, "the image must be a %s", Accepted)
	}
	if format == PDF {
		pages, err := PDFPages(data, lim, 1)
		if err != nil {
			return nil, err
		}
		data, format = pages[0], Sniff(pages[0])
	}
	cfg, err := decodeConfig(data, format)
	if err != nil {
		return nil, kyc.Errorf(kyc.Invalid, "the image is corrupt: its header cannot be read")
	}
	if err := lim.checkSize("the image", cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	if long, short := max(cfg.Width, cfg.Height), min(cfg.Width, cfg.Height); float64(long) > lim.MaxAspect*float64(short) {
		return nil, kyc.Errorf(kyc.Invalid, "the image is %d×%d pixels: a side more than %g times the other is no photo of a face, a document or a barcode",
			cfg.Width, cfg.Height, lim.MaxAspect)
	}
	if cfg.Width < lim.MinSide || cfg.Height < lim.MinSide {
		return nil, kyc.Errorf(kyc.Invalid, "the image is %d×%d pixels, smaller than %d×%d", cfg.Width, cfg.Height, lim.MinSide, lim.MinSide)
	}
	img, err := decodeImage(data, format)
	if err != nil {
		return nil, kyc.Errorf(kyc.Invalid, "the image is corrupt or truncated: %v", err)
	}
	out := FromImage(img)
	switch format {
	case JPEG:
		out = out.orient(exifOrientation(data))
	case TIFF:
		out = out.orient(tiffOrientation(data))
	}
	return out, nil
}

// decoders are each format's header and image readers.
var decoders = map[Format]struct {
	config func(io.Reader) (image.Config, error)
	image  func(io.Reader) (image.Image, error)
}{
	JPEG: {jpeg.DecodeConfig, jpeg.Decode},
	PNG:  {png.DecodeConfig, png.Decode},
	WebP: {webp.DecodeConfig, webp.Decode},
	BMP:  {bmp.DecodeConfig, bmp.Decode},
	TIFF: {tiff.DecodeConfig, tiff.Decode},
	// libheif and libde265 compiled to WebAssembly, run by wazero: no cgo,
	// no system library. Each decode runs in its own module instance.
	HEIC: {heic.DecodeConfig, heic.Decode},
}

func decodeConfig(data []byte, f Format) (cfg image.Config, err error) {
	defer recoverAs(&err)
	return decoders[f].config(bytes.NewReader(data))
}

func decodeImage(data []byte, f Format) (img image.Image, err error) {
	defer recoverAs(&err)
	return decoders[f].image(bytes.NewReader(data))
}

// recoverAs turns a decoder's panic on a malformed file (the less used
// formats' decoders are less hardened) into an error.
func recoverAs(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("malformed image: %v", r)
	}
}

// FromImage converts any image to RGB, with fast paths for what the
// decoders return.
func FromImage(src image.Image) *Image {
	b := src.Bounds()
	out := &Image{W: b.Dx(), H: b.Dy(), Pix: make([]uint8, 3*b.Dx()*b.Dy())}
	switch s := src.(type) {
	case *image.YCbCr:
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				yy := s.Y[s.YOffset(x, y)]
				ci := s.COffset(x, y)
				r, g, bb := ycbcrToRGB(yy, s.Cb[ci], s.Cr[ci])
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = r, g, bb
				i += 3
			}
		}
	case *image.Gray:
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := s.Pix[(y-b.Min.Y)*s.Stride:]
			for x := 0; x < b.Dx(); x++ {
				v := row[x]
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = v, v, v
				i += 3
			}
		}
	default:
		rgba, ok := src.(*image.RGBA)
		if !ok {
			rgba = image.NewRGBA(b)
			draw.Draw(rgba, b, src, b.Min, draw.Src)
		}
		i := 0
		for y := 0; y < b.Dy(); y++ {
			row := rgba.Pix[y*rgba.Stride:]
			for x := 0; x < b.Dx(); x++ {
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = row[4*x], row[4*x+1], row[4*x+2]
				i += 3
			}
		}
	}
	return out
}

// ycbcrToRGB is image/color's conversion, inlined for speed.
func ycbcrToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy1 := int32(y) * 0x10101
	cb1 := int32(cb) - 128
	cr1 := int32(cr) - 128
	r := yy1 + 91881*cr1
	g := yy1 - 22554*cb1 - 46802*cr1
	b := yy1 + 116130*cb1
	return clamp16(r), clamp16(g), clamp16(b)
}

func clamp16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// ToRGBA converts back to a standard image, for encoding.
func (m *Image) ToRGBA() *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, m.W, m.H))
	for i, j := 0, 0; i < len(m.Pix); i, j = i+3, j+4 {
		out.Pix[j], out.Pix[j+1], out.Pix[j+2], out.Pix[j+3] = m.Pix[i], m.Pix[i+1], m.Pix[i+2], 255
	}
	return out
}

// Turn returns the image rotated clockwise by deg, a multiple of 90.
func (m *Image) Turn(deg int) *Image {
	if o := turnOrientation(deg); o != 1 {
		return m.orient(o)
	}
	return m
}

// turnOrientation is the EXIF orientation that turns a picture deg
// degrees clockwise (a right angle).
func turnOrientation(deg int) int {
	switch ((deg % 360) + 360) % 360 {
	case 90:
		return 6
	case 180:
		return 3
	case 270:
		return 8
	}
	return 1
}

// Mirror returns the image flipped left to right.
func (m *Image) Mirror() *Image { return m.orient(2) }

// orient applies an EXIF orientation (1–8) to the pixels.
func (m *Image) orient(o int) *Image {
	pix, w, h := orientPix(m.Pix, m.W, m.H, 3, o)
	return &Image{W: w, H: h, Pix: pix}
}

// orientPix applies an EXIF orientation (1–8) to w×h pixels of ch bytes
// each, returning the new pixels and size (the same slice for 1).
func orientPix(pix []uint8, w, h, ch, o int) ([]uint8, int, int) {
	if o < 2 || o > 8 {
		return pix, w, h
	}
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	out := make([]uint8, len(pix))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var nx, ny int
			switch o {
			case 2:
				nx, ny = w-1-x, y
			case 3:
				nx, ny = w-1-x, h-1-y
			case 4:
				nx, ny = x, h-1-y
			case 5:
				nx, ny = y, x
			case 6:
				nx, ny = h-1-y, x
			case 7:
				nx, ny = h-1-y, w-1-x
			case 8:
				nx, ny = y, w-1-x
			}
			copy(out[ch*(ny*ow+nx):ch*(ny*ow+nx)+ch], pix[ch*(y*w+x):ch*(y*w+x)+ch])
		}
	}
	return out, ow, oh
}

// exifOrientation finds the orientation tag in a JPEG's EXIF segment; 1
// (as stored) when there is none or it cannot be read.
func exifOrientation(data []byte) int {
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		if marker == 0xDA || marker == 0xD9 { // start of scan: no EXIF came first
			return 1
		}
		size := int(binary.BigEndian.Uint16(data[i+2:]))
		if size < 2 || i+2+size > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+size]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		i += 2 + size
	}
	return 1
}

func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int(bo.Uint32(t[4:]))
	if off+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[off:]))
	for k := 0; k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			v := int(bo.Uint16(t[e+8:]))
			if v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// String describes the image for logs.
func (m *Image) String() string { return fmt.Sprintf("%d×%d", m.W, m.H) }

// Luma is the luminance of an RGB pixel (ITU-R BT.601), on the scale of
// its channels: the one grey conversion every reader uses.
func Luma(r, g, b float32) float32 {
	return 0.299*r + 0.587*g + 0.114*b
}

// Bilinear samples the image at (x, y); outside it, fill (or the nearest
// edge pixel when fill < 0).
func (m *Image) Bilinear(x, y float64, fill float32) (float32, float32, float32) {
	if fill >= 0 && (x < -0.5 || y < -0.5 || x > float64(m.W)-0.5 || y > float64(m.H)-0.5) {
		return fill, fill, fill
	}
	x = math.Max(0, math.Min(x, float64(m.W-1)))
	y = math.Max(0, math.Min(y, float64(m.H-1)))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, m.W-1), min(y0+1, m.H-1)
	ax, ay := float32(x-float64(x0)), float32(y-float64(y0))
	p00 := m.Pix[3*(y0*m.W+x0):]
	p01 := m.Pix[3*(y0*m.W+x1):]
	p10 := m.Pix[3*(y1*m.W+x0):]
	p11 := m.Pix[3*(y1*m.W+x1):]
	var out [3]float32
	for c := 0; c < 3; c++ {
		top := float32(p00[c]) + ax*(float32(p01[c])-float32(p00[c]))
		bot := float32(p10[c]) + ax*(float32(p11[c])-float32(p10[c]))
		out[c] = top + ay*(bot-top)
	}
	return out[0], out[1], out[2]
}

// Gray is an 8-bit grey picture.
type Gray struct {
	W, H int
	Pix  []uint8 // one byte per pixel, row by row
}

// Gray returns the image's luminance, rounded to 8 bits: compute it once per
// image and share it between the readers that need it.
func (m *Image) Gray() *Gray {
	g := &Gray{W: m.W, H: m.H, Pix: make([]uint8, m.W*m.H)}
	for i := range g.Pix {
		p := m.Pix[3*i : 3*i+3]
		g.Pix[i] = uint8((299*int(p[0]) + 587*int(p[1]) + 114*int(p[2]) + 500) / 1000)
	}
	return g
}

// Crop returns the part of the image inside r (clipped to the image), or
// nil when nothing of r is inside.
func (m *Image) Crop(r image.Rectangle) *Image {
	r = r.Intersect(image.Rect(0, 0, m.W, m.H))
	if r.Empty() {
		return nil
	}
	return &Image{W: r.Dx(), H: r.Dy(), Pix: cropRows(m.Pix, m.W, 3, r)}
}

// cropRows copies the rectangle r, inside a picture w pixels wide of bpp
// bytes per pixel, row by row.
func cropRows(pix []uint8, w, bpp int, r image.Rectangle) []uint8 {
	row := bpp * r.Dx()
	out := make([]uint8, row*r.Dy())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(out[(y-r.Min.Y)*row:(y-r.Min.Y+1)*row], pix[bpp*(y*w+r.Min.X):bpp*(y*w+r.Max.X)])
	}
	return out
}

// EncodeJPEG encodes the image as a JPEG of the given quality (1–100).
func (m *Image) EncodeJPEG(quality int) ([]byte, error) {
	var out bytes.Buffer
	if err := jpeg.Encode(&out, m.ToRGBA(), &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("encode jpeg: %w", err)
	}
	return out.Bytes(), nil
}

// Shrink returns the picture scaled down to w×h, each pixel the average
// of the source pixels under it.
func (g *Gray) Shrink(w, h int) *Gray {
	out := &Gray{W: w, H: h, Pix: make([]uint8, w*h)}
	sx, sy := float64(g.W)/float64(w), float64(g.H)/float64(h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			x0, y0 := int(float64(x)*sx), int(float64(y)*sy)
			x1, y1 := max(x0+1, int(float64(x+1)*sx)), max(y0+1, int(float64(y+1)*sy))
			sum, n := 0, 0
			for yy := y0; yy < y1 && yy < g.H; yy++ {
				row := g.Pix[yy*g.W:]
				for xx := x0; xx < x1 && xx < g.W; xx++ {
					sum += int(row[xx])
					n++
				}
			}
			out.Pix[y*w+x] = uint8((sum + max(n, 1)/2) / max(n, 1))
		}
	}
	return out
}

// Crop returns the part of the picture inside r (clipped to the picture),
// or nil when nothing of r is inside.
func (g *Gray) Crop(r image.Rectangle) *Gray {
	r = r.Intersect(image.Rect(0, 0, g.W, g.H))
	if r.Empty() {
		return nil
	}
	return &Gray{W: r.Dx(), H: r.Dy(), Pix: cropRows(g.Pix, g.W, 1, r)}
}

// Clone returns a copy of the picture.
func (g *Gray) Clone() *Gray {
	return &Gray{W: g.W, H: g.H, Pix: slices.Clone(g.Pix)}
}

// Fill paints the convex quadrilateral q (corners in order, either way
// round) with the value v.
func (g *Gray) Fill(q [4]image.Point, v uint8) {
	g.eachIn(q, func(i int) { g.Pix[i] = v })
}

// Histogram counts the values inside the convex quadrilateral q.
func (g *Gray) Histogram(q [4]image.Point) [256]int {
	var h [256]int
	g.eachIn(q, func(i int) { h[g.Pix[i]]++ })
	return h
}

// eachIn calls f with the index of each pixel inside the convex
// quadrilateral q.
func (g *Gray) eachIn(q [4]image.Point, f func(i int)) {
	r := Bounds(q)
	r.Max = r.Max.Add(image.Pt(1, 1)) // a corner's own pixel too
	r = r.Intersect(image.Rect(0, 0, g.W, g.H))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if inQuad(q, image.Pt(x, y)) {
				f(y*g.W + x)
			}
		}
	}
}

// Bounds is the smallest rectangle whose corners hold the quadrilateral
// q's: its Max is q's largest x and y, so as an image.Rectangle it leaves
// out the pixels on those two edges.
func Bounds(q [4]image.Point) image.Rectangle {
	r := image.Rectangle{q[0], q[0]}
	for _, p := range q[1:] {
		r.Min = image.Pt(min(r.Min.X, p.X), min(r.Min.Y, p.Y))
		r.Max = image.Pt(max(r.Max.X, p.X), max(r.Max.Y, p.Y))
	}
	return r
}

// inQuad says whether p is inside the convex quadrilateral q: on the same
// side of all four edges.
func inQuad(q [4]image.Point, p image.Point) bool {
	var pos, neg bool
	for i := range q {
		a, b := q[i], q[(i+1)%4]
		cross := (b.X-a.X)*(p.Y-a.Y) - (b.Y-a.Y)*(p.X-a.X)
		pos = pos || cross > 0
		neg = neg || cross < 0
	}
	return !(pos && neg)
}

// Turn returns the picture turned deg degrees clockwise (a right angle).
func (g *Gray) Turn(deg int) *Gray {
	o := turnOrientation(deg)
	if o == 1 {
		return g
	}
	pix, w, h := orientPix(g.Pix, g.W, g.H, 1, o)
	return &Gray{W: w, H: h, Pix: pix}
}

// Unrotate maps a point of a w×h picture turned by deg degrees (Rotate)
// back onto the picture.
func Unrotate(w, h int, deg, x, y float64) (float64, float64) {
	cos, sin, rw, rh := turned(w, h, deg)
	dx, dy := x-float64(rw)/2, y-float64(rh)/2
	return cos*dx + sin*dy + float64(w)/2, -sin*dx + cos*dy + float64(h)/2
}

// turned is the cosine and sine of deg and the size of the canvas that
// holds a w×h picture turned by it: Rotate's, which Unrotate must match.
func turned(w, h int, deg float64) (cos, sin float64, rw, rh int) {
	a := deg * math.Pi / 180
	cos, sin = math.Cos(a), math.Sin(a)
	rw = int(math.Abs(float64(w)*cos) + math.Abs(float64(h)*sin) + 0.5)
	rh = int(math.Abs(float64(w)*sin) + math.Abs(float64(h)*cos) + 0.5)
	return cos, sin, rw, rh
}

// Rotate turns g by deg degrees (positive: clockwise) about its centre,
// growing the canvas to hold it and filling with white (bilinear).
func (img *Gray) Rotate(deg float64) *Gray {
	cos, sin, w, h := turned(img.W, img.H, deg)
	out := &Gray{W: w, H: h, Pix: make([]uint8, w*h)}
	cx, cy := float64(img.W)/2, float64(img.H)/2
	ox, oy := float64(w)/2, float64(h)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)+0.5-ox, float64(y)+0.5-oy
			sx := cos*dx + sin*dy + cx - 0.5
			sy := -sin*dx + cos*dy + cy - 0.5
			ix, iy := int(math.Floor(sx)), int(math.Floor(sy))
			if ix < 0 || iy < 0 || ix+1 >= img.W || iy+1 >= img.H {
				out.Pix[y*w+x] = 255
				continue
			}
			fx, fy := sx-float64(ix), sy-float64(iy)
			p := func(xx, yy int) float64 { return float64(img.Pix[yy*img.W+xx]) }
			v := (p(ix, iy)*(1-fx)+p(ix+1, iy)*fx)*(1-fy) + (p(ix, iy+1)*(1-fx)+p(ix+1, iy+1)*fx)*fy
			out.Pix[y*w+x] = uint8(v + 0.5)
		}
	}
	return out
}

// Skew estimates how far the picture's dominant straight edges (a
// barcode's bars, a card's text lines) are turned from the axes, in
// degrees within ±45, from a histogram of gradient directions folded onto
// a quarter turn.
func (img *Gray) Skew() float64 {
	const work = 800
	scale := math.Min(1, float64(work)/float64(max(img.W, img.H)))
	w, h := max(3, int(float64(img.W)*scale)), max(3, int(float64(img.H)*scale))
	// Box-average down: nearest-neighbour sampling would turn every slanted
	// edge into a staircase of axis-aligned ones.
	g := make([]float64, w*h)
	n := make([]float64, w*h)
	for y := 0; y < img.H; y++ {
		ty := min(h-1, int(float64(y)*scale))
		for x := 0; x < img.W; x++ {
			tx := min(w-1, int(float64(x)*scale))
			g[ty*w+tx] += float64(img.Pix[y*img.W+x])
			n[ty*w+tx]++
		}
	}
	for i := range g {
		g[i] /= max(n[i], 1)
	}
	const bins = 180 // half a degree each over 90°
	var hist [bins]float64
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			gx := g[i-w+1] + 2*g[i+1] + g[i+w+1] - g[i-w-1] - 2*g[i-1] - g[i+w-1]
			gy := g[i+w-1] + 2*g[i+w] + g[i+w+1] - g[i-w-1] - 2*g[i-w] - g[i-w+1]
			mag := math.Hypot(gx, gy)
			if mag < 200 {
				continue
			}
			a := math.Atan2(gy, gx) * 180 / math.Pi // −180…180
			a = math.Mod(a+360+45, 90) - 45         // fold: −45…45
			b := int((a + 45) * bins / 90)
			hist[min(bins-1, max(0, b))] += mag
		}
	}
	best := 0
	for b := range hist {
		// Smooth over neighbouring bins (circularly).
		s := func(b int) float64 { return hist[(b+bins-1)%bins] + 2*hist[b] + hist[(b+1)%bins] }
		if s(b) > s(best) {
			best = b
		}
	}
	return (float64(best)+0.5)*90/bins - 45
}

// Enlarge scales g up by f (bilinear: the bars' edges stay where they
// were, between pixels, instead of on a coarse grid).
func (g *Gray) Enlarge(f float64) *Gray {
	w, h := int(float64(g.W)*f), int(float64(g.H)*f)
	out := &Gray{W: w, H: h, Pix: make([]uint8, w*h)}
	for y := 0; y < h; y++ {
		sy := math.Max(0, math.Min(float64(g.H-1), (float64(y)+0.5)/f-0.5))
		y0 := min(int(sy), g.H-2)
		fy := sy - float64(y0)
		if g.H == 1 {
			y0, fy = 0, 0
		}
		for x := 0; x < w; x++ {
			sx := math.Max(0, math.Min(float64(g.W-1), (float64(x)+0.5)/f-0.5))
			x0 := min(int(sx), g.W-2)
			fx := sx - float64(x0)
			if g.W == 1 {
				x0, fx = 0, 0
			}
			p := func(xx, yy int) float64 { return float64(g.Pix[min(yy, g.H-1)*g.W+min(xx, g.W-1)]) }
			v := (p(x0, y0)*(1-fx)+p(x0+1, y0)*fx)*(1-fy) + (p(x0, y0+1)*(1-fx)+p(x0+1, y0+1)*fx)*fy
			out.Pix[y*w+x] = uint8(v + 0.5)
		}
	}
	return out
}
