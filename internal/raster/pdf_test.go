package raster

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image/jpeg"
	"testing"

	"github.com/kycd/kycd/internal/kyc"
)

// onePagePDF writes a PDF of one page showing an image stream with the
// given dictionary entries and data (none: a page of text only).
func onePagePDF(imageDict string, data []byte) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string, stream []byte) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s", len(offsets), body)
		if stream != nil {
			b.WriteString("\nstream\n")
			b.Write(stream)
			b.WriteString("\nendstream")
		}
		b.WriteString("\nendobj\n")
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	content := []byte("BT /F1 12 Tf 72 712 Td (Scan) Tj ET")
	resources := "<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
	if data != nil {
		content = []byte("q 612 0 0 792 0 0 cm /Im0 Do Q")
		resources = "<< /XObject << /Im0 5 0 R >> >>"
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>", nil)
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>", nil)
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources "+resources+" /Contents 4 0 R >>", nil)
	obj(fmt.Sprintf("<< /Length %d >>", len(content)), content)
	if data != nil {
		obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image %s /Length %d >>", imageDict, len(data)), data)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

func deflate(p []byte) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(p)
	w.Close()
	return b.Bytes()
}

// TestPDF: a scanner's PDF decodes to the image on its first page (an
// embedded JPEG as it is; a deflated one through PNG, the same pixels); the
// image's declared size is checked against the limits before it is
// decoded (a deflate bomb is too_large); a PDF of text, a corrupt one, and
// a truncated one get stable codes, never a panic.
func TestPDF(t *testing.T) {
	m := testImage(64, 48)
	var j bytes.Buffer
	if err := jpeg.Encode(&j, m.ToRGBA(), &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	scan := onePagePDF("/Width 64 /Height 48 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode", j.Bytes())
	if Sniff(scan) != PDF {
		t.Fatalf("Sniff = %q", Sniff(scan))
	}
	got, err := Decode(scan, Limits{})
	if err != nil {
		t.Fatalf("a scanned page: %v", err)
	}
	want, _ := Decode(j.Bytes(), Limits{})
	if got.W != 64 || got.H != 48 || !bytes.Equal(got.Pix, want.Pix) {
		t.Errorf("a scanned page: %dx%d, not the embedded JPEG's pixels", got.W, got.H)
	}

	flate := onePagePDF("/Width 64 /Height 48 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode", deflate(m.Pix))
	if got, err := Decode(flate, Limits{}); err != nil || got.W != 64 || got.H != 48 || !bytes.Equal(got.Pix, m.Pix) {
		t.Errorf("a deflated page: %v, %v", got, err)
	}

	// 30000×30000 declared, a few kilobytes of zeros deflated.
	bomb := onePagePDF("/Width 30000 /Height 30000 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode", deflate(make([]byte, 1<<20)))
	for name, c := range map[string]struct {
		data []byte
		code kyc.Code
	}{
		"deflate bomb": {bomb, kyc.TooLarge},
		"text only":    {onePagePDF("", nil), kyc.UnsupportedMedia},
		"corrupt":      {[]byte("%PDF-1.4\nnot a pdf at all\n%%EOF\n"), kyc.Invalid},
		"truncated":    {scan[:len(scan)/2], kyc.Invalid},
	} {
		if _, err := Decode(c.data, Limits{}); kyc.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
}
