// Package pdf417 reads the PDF417 barcode on the back of North American
// driver's licences and ID cards, with zxing-cpp (Debian's libzxing-dev)
// through a small cgo bridge: Go has no PDF417 reader. When the first read
// fails it retries on an upscaled, a smoothed and a straightened copy,
// which rescue small, noisy or skewed phone photos. The same bridge reads
// QR codes (ReadQRGray), for the signed QR on India's Aadhaar.
package pdf417

/*
#cgo CXXFLAGS: -std=c++17 -O2 -DZX_USE_UTF8
#cgo LDFLAGS: -lZXing
#include <stdlib.h>
int kycd_read_barcode(const unsigned char* lum, int width, int height, int try_harder, int qr, unsigned char** out, int* out_len);
int kycd_write_pdf417(const char* data, int len, unsigned char** out, int* width, int* height);
*/
import "C"

import (
	"errors"
	"math"
	"unsafe"

	"github.com/kycd/kycd/internal/raster"
)

// ErrNotFound means no PDF417 barcode could be read.
var ErrNotFound = errors.New("pdf417: no barcode found")

// Read decodes the first PDF417 symbol in img, returning its bytes and the
// attempt that worked ("plain", "upscaled", "smoothed", "enlarged" or
// "deskewed").
func Read(img *raster.Image) ([]byte, string, error) {
	if img.W == 0 || img.H == 0 || len(img.Pix) < 3*img.W*img.H {
		return nil, "", errors.New("pdf417: empty image")
	}
	return ReadGray(img.Gray()) // the form zxing reads
}

// ReadGray is Read on the image's grey picture, for callers that share
// one between readers.
func ReadGray(g *raster.Gray) ([]byte, string, error) {
	if g.W == 0 || g.H == 0 || len(g.Pix) < g.W*g.H {
		return nil, "", errors.New("pdf417: empty image")
	}
	if data, err := read(g); err == nil {
		return data, "plain", nil
	}
	if g.W*g.H <= 4_000_000 {
		if data, err := read(upscale(g)); err == nil {
			return data, "upscaled", nil
		}
	}
	if data, err := read(smooth(g)); err == nil {
		return data, "smoothed", nil
	}
	// A licence's back photographed small (a 366 or 444 px wide photo
	// holds modules of a pixel or less): enlarged smoothly to about
	// 1,300 px, which zxing's binarizer needs to tell the bars apart.
	if long := max(g.W, g.H); long < enlargeTo*2/3 {
		big := g.Enlarge(float64(enlargeTo) / float64(long))
		if data, err := read(big); err == nil {
			return data, "enlarged", nil
		}
		if data, err := read(smooth(big)); err == nil {
			return data, "enlarged", nil
		}
	}
	// zxing's PDF417 reader gives up beyond a few degrees of skew: turn the
	// image straight and try again.
	if a := g.Skew(); math.Abs(a) > 1 {
		straight := g.Rotate(-a)
		if data, err := read(straight); err == nil {
			return data, "deskewed", nil
		}
		if data, err := read(smooth(straight)); err == nil {
			return data, "deskewed", nil
		}
	}
	return nil, "", ErrNotFound
}

// ReadQRGray decodes the first QR code in g, retrying on an upscaled and a
// smoothed copy like ReadGray.
func ReadQRGray(g *raster.Gray) ([]byte, error) {
	if g.W == 0 || g.H == 0 || len(g.Pix) < g.W*g.H {
		return nil, errors.New("pdf417: empty image")
	}
	if data, err := readFormat(g, true); err == nil {
		return data, nil
	}
	if g.W*g.H <= 4_000_000 {
		if data, err := readFormat(upscale(g), true); err == nil {
			return data, nil
		}
	}
	return readFormat(smooth(g), true)
}

func read(g *raster.Gray) ([]byte, error) { return readFormat(g, false) }

func readFormat(g *raster.Gray, qr bool) ([]byte, error) {
	var out *C.uchar
	var n C.int
	q := C.int(0)
	if qr {
		q = 1
	}
	rc := C.kycd_read_barcode((*C.uchar)(unsafe.Pointer(&g.Pix[0])), C.int(g.W), C.int(g.H), 1, q, &out, &n)
	switch rc {
	case 1:
		defer C.free(unsafe.Pointer(out))
		return C.GoBytes(unsafe.Pointer(out), n), nil
	case 0:
		return nil, ErrNotFound
	}
	return nil, errors.New("pdf417: the reader failed")
}

// Encode renders data as a PDF417 symbol with module×module-pixel modules
// and a quiet zone of two modules, black on white. Synthetic licences for
// tests and evaluation use it.
func Encode(data []byte, module int) (*raster.Image, error) {
	if len(data) == 0 {
		return nil, errors.New("pdf417: nothing to encode")
	}
	module = max(module, 1)
	var out *C.uchar
	var w, h C.int
	cs := C.CBytes(data)
	defer C.free(cs)
	if C.kycd_write_pdf417((*C.char)(cs), C.int(len(data)), &out, &w, &h) != 1 {
		return nil, errors.New("pdf417: the data cannot be encoded")
	}
	defer C.free(unsafe.Pointer(out))
	bits := C.GoBytes(unsafe.Pointer(out), w*h)
	mw, mh := int(w), int(h)
	// zxing's writer already draws each row several pixels tall; keep its
	// aspect and scale the whole symbol.
	quiet := 2 * module
	img := &raster.Image{W: mw*module + 2*quiet, H: mh*module + 2*quiet}
	img.Pix = make([]uint8, 3*img.W*img.H)
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := 0; y < mh*module; y++ {
		for x := 0; x < mw*module; x++ {
			if bits[(y/module)*mw+x/module] == 1 {
				o := 3 * ((y+quiet)*img.W + x + quiet)
				img.Pix[o], img.Pix[o+1], img.Pix[o+2] = 0, 0, 0
			}
		}
	}
	return img, nil
}

// enlargeTo is the longer side small pictures are enlarged to.
const enlargeTo = 1300

// upscale doubles the image (nearest neighbour keeps module edges sharp).
func upscale(g *raster.Gray) *raster.Gray {
	out := &raster.Gray{W: 2 * g.W, H: 2 * g.H, Pix: make([]uint8, 4*g.W*g.H)}
	for y := 0; y < out.H; y++ {
		row := g.Pix[(y/2)*g.W:]
		for x := 0; x < out.W; x++ {
			out.Pix[y*out.W+x] = row[x/2]
		}
	}
	return out
}

// smooth applies a 3×3 box blur (separable running sums), which steadies
// the binarisation of noisy or JPEG-blocky photos.
func smooth(g *raster.Gray) *raster.Gray {
	tmp := make([]uint16, len(g.Pix))
	for y := 0; y < g.H; y++ {
		for x := 0; x < g.W; x++ {
			s := uint16(g.Pix[y*g.W+x])
			n := uint16(1)
			if x > 0 {
				s += uint16(g.Pix[y*g.W+x-1])
				n++
			}
			if x+1 < g.W {
				s += uint16(g.Pix[y*g.W+x+1])
				n++
			}
			tmp[y*g.W+x] = s * 3 / n // scaled to three taps
		}
	}
	out := &raster.Gray{W: g.W, H: g.H, Pix: make([]uint8, len(g.Pix))}
	for y := 0; y < g.H; y++ {
		for x := 0; x < g.W; x++ {
			s := uint32(tmp[y*g.W+x])
			n := uint32(1)
			if y > 0 {
				s += uint32(tmp[(y-1)*g.W+x])
				n++
			}
			if y+1 < g.H {
				s += uint32(tmp[(y+1)*g.W+x])
				n++
			}
			out.Pix[y*g.W+x] = uint8(s / (3 * n))
		}
	}
	return out
}
