// Package pdf417 reads the PDF417 barcode on the back of North American
// driver's licences and ID cards, with zxing-cpp (Debian's libzxing-dev)
// through a small cgo bridge: Go has no PDF417 reader. When the first read
// fails it retries on an upscaled and on a smoothed copy, which rescue
// small or noisy phone photos.
package pdf417

/*
#cgo CXXFLAGS: -std=c++17 -O2 -DZX_USE_UTF8
#cgo LDFLAGS: -lZXing
#include <stdlib.h>
int kycd_read_pdf417(const unsigned char* rgb, int width, int height, int try_harder, unsigned char** out, int* out_len);
int kycd_write_pdf417(const char* data, int len, unsigned char** out, int* width, int* height);
*/
import "C"

import (
	"errors"
	"math"
	"unsafe"

	"github.com/kycd/kycd/internal/face"
)

// ErrNotFound means no PDF417 barcode could be read.
var ErrNotFound = errors.New("pdf417: no barcode found")

// Read decodes the first PDF417 symbol in img, returning its bytes and the
// attempt that worked ("plain", "upscaled", "smoothed" or "deskewed").
func Read(img *face.Image) ([]byte, string, error) {
	if data, err := read(img); err == nil {
		return data, "plain", nil
	}
	if img.W*img.H <= 4_000_000 {
		if data, err := read(upscale(img)); err == nil {
			return data, "upscaled", nil
		}
	}
	if data, err := read(smooth(img)); err == nil {
		return data, "smoothed", nil
	}
	// zxing's PDF417 reader gives up beyond a few degrees of skew: turn the
	// image straight and try again.
	if a := skewAngle(img); math.Abs(a) > 1 {
		straight := rotate(img, -a)
		if data, err := read(straight); err == nil {
			return data, "deskewed", nil
		}
		if data, err := read(smooth(straight)); err == nil {
			return data, "deskewed", nil
		}
	}
	return nil, "", ErrNotFound
}

func read(img *face.Image) ([]byte, error) {
	if img.W == 0 || img.H == 0 || len(img.Pix) < 3*img.W*img.H {
		return nil, errors.New("pdf417: empty image")
	}
	var out *C.uchar
	var n C.int
	rc := C.kycd_read_pdf417((*C.uchar)(unsafe.Pointer(&img.Pix[0])), C.int(img.W), C.int(img.H), 1, &out, &n)
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
// (rows three modules tall, as the standard advises) and a quiet zone of two
// modules, black on white. Synthetic licences for tests and evaluation use it.
func Encode(data []byte, module int) (*face.Image, error) {
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
	img := &face.Image{W: mw*module + 2*quiet, H: mh*module + 2*quiet}
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

// upscale doubles the image (nearest neighbour keeps module edges sharp).
func upscale(img *face.Image) *face.Image {
	out := &face.Image{W: 2 * img.W, H: 2 * img.H, Pix: make([]uint8, 12*img.W*img.H)}
	for y := 0; y < out.H; y++ {
		for x := 0; x < out.W; x++ {
			copy(out.Pix[3*(y*out.W+x):3*(y*out.W+x)+3], img.Pix[3*((y/2)*img.W+x/2):])
		}
	}
	return out
}

// smooth applies a 3×3 box blur, which steadies the binarisation of noisy
// or JPEG-blocky photos.
func smooth(img *face.Image) *face.Image {
	out := &face.Image{W: img.W, H: img.H, Pix: make([]uint8, len(img.Pix))}
	for y := 0; y < img.H; y++ {
		for x := 0; x < img.W; x++ {
			for c := 0; c < 3; c++ {
				sum, n := 0, 0
				for yy := max(0, y-1); yy <= min(img.H-1, y+1); yy++ {
					for xx := max(0, x-1); xx <= min(img.W-1, x+1); xx++ {
						sum += int(img.Pix[3*(yy*img.W+xx)+c])
						n++
					}
				}
				out.Pix[3*(y*img.W+x)+c] = uint8(sum / n)
			}
		}
	}
	return out
}
