package raster

import (
	"bytes"
	"fmt"
	"io"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/kycd/kycd/internal/kyc"
)

// The PDF library keeps a configuration directory in the user's home unless
// told not to: a server has no business writing there.
func init() { model.ConfigPath = "disable" }

// PDFPages returns the pictures a scanner put on a PDF's first n pages (at
// most; fewer when it has fewer): on each, the largest image drawn there, as
// the JPEG, PNG or TIFF bytes Decode reads. Each image's declared size is
// checked against lim before anything of it is decoded (a scanner embeds a
// JPEG, passed on as it is; other encodings are decoded by the PDF library
// into PNG). A page with no image (a PDF made from text, not a scan) is
// refused.
func PDFPages(data []byte, lim Limits, n int) (pages [][]byte, err error) {
	defer recoverAs(&err)
	lim = lim.withDefaults()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	conf.Cmd = model.EXTRACTIMAGES
	// The library's own bounds, from ours: a stream may not decode into
	// more than the largest image's bytes (a decompression bomb).
	conf.Limits.MaxStreamBytes = int64(len(data))
	conf.Limits.MaxDecodeBytes = 4*int64(lim.MaxPixels) + 1<<20
	conf.Limits.MaxImagePixels = int64(lim.MaxPixels)
	conf.Limits.MaxImageBytes = 4*int64(lim.MaxPixels) + 1<<20
	conf.Limits.MaxObjectCount = 100_000
	conf.Limits.MaxXRefEntries = 100_000
	ctx, err := api.ReadValidateAndOptimize(bytes.NewReader(data), conf)
	if err != nil {
		return nil, kyc.Errorf(kyc.Invalid, "the PDF is corrupt: it cannot be read")
	}
	if ctx.PageCount < 1 {
		return nil, kyc.Errorf(kyc.Invalid, "the PDF has no page")
	}
	for page := 1; page <= min(n, ctx.PageCount); page++ {
		img, err := pdfPage(ctx, page, lim)
		if err != nil {
			return nil, err
		}
		pages = append(pages, img)
	}
	return pages, nil
}

// pdfPage returns the largest image on a page of a read PDF.
func pdfPage(ctx *model.Context, page int, lim Limits) ([]byte, error) {
	stubs, err := pdfcpu.ExtractPageImages(ctx, page, true)
	if err != nil {
		return nil, kyc.Errorf(kyc.Invalid, "the PDF's page %d cannot be read: %v", page, err)
	}
	best, area := 0, 0
	for objNr, s := range stubs {
		if s.IsImgMask || s.Thumb || s.Width*s.Height <= area {
			continue
		}
		best, area = objNr, s.Width*s.Height
	}
	if area == 0 {
		return nil, kyc.Errorf(kyc.UnsupportedMedia, "the PDF's page %d holds no scanned image: upload a scan or a photo", page)
	}
	s := stubs[best]
	if err := lim.checkSize("the PDF's image", s.Width, s.Height); err != nil {
		return nil, err
	}
	obj := ctx.Optimize.ImageObjects[best]
	img, err := pdfcpu.ExtractImage(ctx, obj.ImageDict, false, obj.ResourceNames[page-1], best, false)
	if err != nil || img == nil {
		return nil, kyc.Errorf(kyc.UnsupportedMedia, "the PDF's image is in an encoding kycd does not read (%s)", s.Filter)
	}
	// A decoded image is at most its pixels in PNG: more is not an image.
	out, err := io.ReadAll(io.LimitReader(img, int64(8*lim.MaxPixels)+1<<20))
	if err != nil {
		return nil, fmt.Errorf("read the PDF's image: %w", err)
	}
	if Sniff(out) == "" || Sniff(out) == PDF {
		return nil, kyc.Errorf(kyc.UnsupportedMedia, "the PDF's image is in an encoding kycd does not read (%s)", s.Filter)
	}
	return out, nil
}
