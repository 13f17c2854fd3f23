package docgen

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/kycd/kycd/internal/pdf417"
	"github.com/kycd/kycd/internal/raster"
)

// OCRBFont is where Debian's fonts-ocr-b puts the OCR-B style that draws
// every MRZ character.
const OCRBFont = "/usr/share/fonts/opentype/ocr-b/OCRBS.otf"

var (
	fontsOnce           sync.Once
	ocrb, regular, bold *opentype.Font
	fontsErr            error
)

func loadFonts() error {
	fontsOnce.Do(func() {
		b, err := os.ReadFile(OCRBFont)
		if err != nil {
			fontsErr = fmt.Errorf("docgen: the OCR-B font is missing (install fonts-ocr-b): %w", err)
			return
		}
		if ocrb, err = opentype.Parse(b); err != nil {
			fontsErr = err
			return
		}
		regular, _ = opentype.Parse(goregular.TTF)
		bold, _ = opentype.Parse(gobold.TTF)
	})
	return fontsErr
}

// canvas draws in millimetres on a card of a given size.
type canvas struct {
	img *image.RGBA
	ppm float64 // pixels per millimetre
}

func newCanvas(wmm, hmm, ppm float64, bg color.RGBA, r *rand.Rand) *canvas {
	c := &canvas{img: image.NewRGBA(image.Rect(0, 0, int(wmm*ppm), int(hmm*ppm))), ppm: ppm}
	draw.Draw(c.img, c.img.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	// A security print of fine waves, which a reader must see through.
	b := c.img.Bounds()
	phase := r.Float64() * 6
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			xm, ym := float64(x)/ppm, float64(y)/ppm
			v := math.Sin(xm*0.9+3*math.Sin(ym*0.35+phase)) * math.Sin(ym*1.1+2*math.Sin(xm*0.2))
			if v > 0.92 {
				o := c.img.PixOffset(x, y)
				c.img.Pix[o] -= 25
				c.img.Pix[o+1] -= 18
				c.img.Pix[o+2] -= 8
			}
		}
	}
	return c
}

func (c *canvas) face(f *opentype.Font, sizeMM float64) font.Face {
	ff, _ := opentype.NewFace(f, &opentype.FaceOptions{Size: sizeMM * c.ppm, DPI: 72, Hinting: font.HintingNone})
	return ff
}

// text draws s with its baseline at (x, y) mm.
func (c *canvas) text(f *opentype.Font, sizeMM, x, y float64, col color.Color, s string) {
	d := font.Drawer{Dst: c.img, Src: image.NewUniform(col), Face: c.face(f, sizeMM), Dot: fixed.P(int(x*c.ppm), int(y*c.ppm))}
	d.DrawString(s)
}

// field draws a small label and its value below it.
func (c *canvas) field(x, y float64, label, value string) {
	c.text(regular, 1.6, x, y, color.RGBA{70, 70, 110, 255}, label)
	c.text(bold, 2.6, x, y+3.2, color.Black, value)
}

// mrz draws lines of OCR-B at the ICAO pitch of 2.54 mm, the last baseline
// at bottom mm.
func (c *canvas) mrz(lines []string, x, bottom, lineGap float64) {
	// OCR-B advances 0.723 em: 2.54 mm pitch is an em of 3.51 mm.
	face := c.face(ocrb, 2.54/0.723)
	for i, l := range lines {
		y := bottom - float64(len(lines)-1-i)*lineGap
		for j, ch := range l {
			d := font.Drawer{Dst: c.img, Src: image.NewUniform(color.Black), Face: face,
				Dot: fixed.P(int((x+float64(j)*2.54)*c.ppm), int(y*c.ppm))}
			d.DrawString(string(ch))
		}
	}
}

// paste scales img into the rectangle (x, y, w, h) mm.
func (c *canvas) paste(img *raster.Image, x, y, w, h float64) {
	x0, y0, pw, ph := int(x*c.ppm), int(y*c.ppm), int(w*c.ppm), int(h*c.ppm)
	for yy := 0; yy < ph; yy++ {
		for xx := 0; xx < pw; xx++ {
			sx := min(img.W-1, xx*img.W/pw)
			sy := min(img.H-1, yy*img.H/ph)
			o := c.img.PixOffset(x0+xx, y0+yy)
			copy(c.img.Pix[o:o+3], img.Pix[3*(sy*img.W+sx):3*(sy*img.W+sx)+3])
		}
	}
}

var countryNames = map[string]string{"UTO": "UTOPIA", "D": "BUNDESREPUBLIK DEUTSCHLAND", "FRA": "REPUBLIQUE FRANCAISE",
	"NLD": "KONINKRIJK DER NEDERLANDEN", "ESP": "REINO DE ESPANA", "ITA": "REPUBBLICA ITALIANA", "SWE": "KONUNGARIKET SVERIGE",
	"POL": "RZECZPOSPOLITA POLSKA", "CAN": "CANADA", "PRT": "REPUBLICA PORTUGUESA", "USA": "UNITED STATES"}

// Render draws the document at ppm pixels per millimetre (12 ≈ 300 dpi).
// The portrait is a face photo already cut as an ID portrait (see
// face.Engine.Portrait). Passports have no back; ID cards carry the MRZ on
// the back, licences the PDF417.
func Render(d Doc, portrait *raster.Image, ppm float64, r *rand.Rand) (front, back *raster.Image, err error) {
	if err := loadFonts(); err != nil {
		return nil, nil, err
	}
	if portrait == nil {
		return nil, nil, errors.New("docgen: a portrait is needed")
	}
	tints := []color.RGBA{{236, 240, 246, 255}, {244, 238, 228, 255}, {232, 244, 236, 255}, {246, 236, 240, 255}}
	tint := tints[r.IntN(len(tints))]
	given := d.GivenNames
	switch d.Kind {
	case Passport:
		c := newCanvas(125, 88, ppm, tint, r)
		c.text(bold, 3.2, 6, 8, color.RGBA{20, 40, 90, 255}, "PASSPORT / PASSEPORT")
		c.text(regular, 2.2, 70, 8, color.RGBA{20, 40, 90, 255}, countryNames[d.Country])
		c.paste(portrait, 6, 14, 32, 41)
		c.field(44, 15, "Type / Type", "P")
		c.field(60, 15, "Code / Code", pad(d.Country, 3))
		c.field(84, 15, "Passport No. / No. du passeport", d.Number)
		c.field(44, 23, "Surname / Nom", d.Surname)
		c.field(44, 31, "Given names / Prénoms", given)
		c.field(44, 39, "Nationality / Nationalité", d.Nationality)
		c.field(44, 47, "Date of birth / Date de naissance", human(d.BirthDate))
		c.field(100, 47, "Sex / Sexe", d.Sex)
		c.field(44, 55, "Place of birth / Lieu de naissance", d.PlaceOfBirth)
		c.field(44, 63, "Date of issue / Date de délivrance", human(d.IssueDate))
		c.field(90, 63, "Date of expiry / Date d'expiration", human(d.ExpiryDate))
		c.mrz(d.MRZ(), 6.5, 83, 5.2)
		return raster.FromImage(c.img), nil, nil
	case IDCard:
		c := newCanvas(85.6, 54, ppm, tint, r)
		c.text(bold, 2.6, 4, 5.5, color.RGBA{20, 40, 90, 255}, "IDENTITY CARD")
		c.text(regular, 1.8, 40, 5.5, color.RGBA{20, 40, 90, 255}, countryNames[d.Country])
		c.paste(portrait, 4, 9, 24, 31)
		c.field(31, 10, "Surname", d.Surname)
		c.field(31, 17, "Given names", given)
		c.field(31, 24, "Date of birth", human(d.BirthDate))
		c.field(62, 24, "Sex", d.Sex)
		c.field(31, 31, "Nationality", d.Nationality)
		c.field(55, 31, "Document No.", d.Number)
		c.field(31, 38, "Date of expiry", human(d.ExpiryDate))
		bc := newCanvas(85.6, 54, ppm, tint, r)
		bc.field(4, 5, "Address", d.Street+", "+d.City)
		bc.field(4, 12, "Place of birth", d.PlaceOfBirth)
		bc.field(50, 12, "Date of issue", human(d.IssueDate))
		bc.mrz(d.MRZ(), 5, 50, 4.6)
		return raster.FromImage(c.img), raster.FromImage(bc.img), nil
	case DriversLicense:
		c := newCanvas(85.6, 54, ppm, tint, r)
		c.text(bold, 2.8, 4, 5.5, color.RGBA{120, 20, 20, 255}, stateName(d.State))
		c.text(bold, 2.2, 48, 5.5, color.RGBA{20, 40, 90, 255}, "DRIVER LICENSE")
		c.paste(portrait, 4, 9, 24, 31)
		c.field(31, 9, "DL", d.Number)
		c.field(60, 9, "EXP", d.ExpiryDate.Format("01/02/2006"))
		c.field(31, 16, "LN", d.Surname)
		c.field(31, 23, "FN", given)
		c.field(31, 30, "ADDRESS", d.Street)
		c.text(bold, 2.6, 31, 36.4, color.Black, d.City+", "+d.State+" "+d.PostalCode)
		c.field(31, 39, "DOB", d.BirthDate.Format("01/02/2006"))
		c.field(58, 39, "SEX", d.Sex)
		c.field(66, 39, "ISS", d.IssueDate.Format("01/02/2006"))
		bc := newCanvas(85.6, 54, ppm, color.RGBA{248, 248, 248, 255}, r)
		sym, err := pdf417.Encode([]byte(d.AAMVA()), 1)
		if err != nil {
			return nil, nil, err
		}
		// Fit the symbol into 78 mm with whole-pixel modules.
		module := max(1, int(78*ppm)/sym.W)
		sym, _ = pdf417.Encode([]byte(d.AAMVA()), module)
		ox, oy := int(3.8*ppm), int(12*ppm)
		for y := 0; y < sym.H && oy+y < bc.img.Bounds().Dy(); y++ {
			for x := 0; x < sym.W && ox+x < bc.img.Bounds().Dx(); x++ {
				o := bc.img.PixOffset(ox+x, oy+y)
				copy(bc.img.Pix[o:o+3], sym.Pix[3*(y*sym.W+x):3*(y*sym.W+x)+3])
			}
		}
		bc.text(regular, 1.6, 4, 8, color.Black, "This card is the property of the issuing jurisdiction.")
		return raster.FromImage(c.img), raster.FromImage(bc.img), nil
	}
	return nil, nil, fmt.Errorf("docgen: unknown kind %q", d.Kind)
}

// ZoneCard renders a plain card of w×h mm carrying only the given MRZ
// lines near its bottom edge, centred: the layouts the generator does not
// make whole documents of (the older French identity card, 105 × 74 mm).
func ZoneCard(lines []string, wmm, hmm, ppm float64, r *rand.Rand) (*raster.Image, error) {
	if err := loadFonts(); err != nil {
		return nil, err
	}
	if len(lines) == 0 || float64(len(lines[0]))*2.54 > wmm-4 {
		return nil, errors.New("docgen: the zone does not fit the card")
	}
	c := newCanvas(wmm, hmm, ppm, color.RGBA{240, 238, 232, 255}, r)
	c.text(bold, 3, 6, 8, color.RGBA{20, 40, 90, 255}, "IDENTITY CARD")
	c.mrz(lines, (wmm-float64(len(lines[0]))*2.54)/2, hmm-6, 5)
	return raster.FromImage(c.img), nil
}

func stateName(code string) string {
	n := map[string]string{"CA": "CALIFORNIA", "NY": "NEW YORK", "TX": "TEXAS", "FL": "FLORIDA", "WA": "WASHINGTON",
		"ON": "ONTARIO", "BC": "BRITISH COLUMBIA"}[code]
	return strings.ToUpper(n)
}
