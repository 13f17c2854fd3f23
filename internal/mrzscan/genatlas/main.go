// Command genatlas renders the 37 MRZ characters of the OCR-B font (Debian's
// fonts-ocr-b) into glyphs.png, the reference the MRZ reader matches
// against, so that kycd does not need the font at run time. Each character
// gets one cell per font style in a row; geometry.json says where the
// baseline is and how tall the capitals are.
//
//	go run ./internal/mrzscan/genatlas -out internal/mrzscan
package main

import (
	"encoding/json"
	"flag"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

const (
	alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
	size     = 64 // px per em
)

func main() {
	out := flag.String("out", ".", "directory for glyphs.png and geometry.json")
	dir := flag.String("fonts", "/usr/share/fonts/opentype/ocr-b", "where fonts-ocr-b put its OTF files")
	flag.Parse()
	// OCRBS (sharp corners) draws all 37; the regular OCRB lacks 8 and < in
	// golang.org/x/image's CFF reader, so it adds a second style for the rest.
	styles := []string{"OCRBS.otf", "OCRB.otf"}
	var faces []font.Face
	for _, s := range styles {
		b, err := os.ReadFile(filepath.Join(*dir, s))
		if err != nil {
			log.Fatalf("%v (install fonts-ocr-b)", err)
		}
		f, err := opentype.Parse(b)
		if err != nil {
			log.Fatal(err)
		}
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
		if err != nil {
			log.Fatal(err)
		}
		faces = append(faces, face)
	}
	adv, _ := faces[0].GlyphAdvance('A')
	cell := adv.Ceil() + 8
	rowH := size + 16
	baseline := size - 4
	img := image.NewGray(image.Rect(0, 0, cell*len(styles), rowH*len(alphabet)))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for i, r := range alphabet {
		for s, face := range faces {
			d := font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: face,
				Dot: fixed.P(s*cell+4, i*rowH+baseline)}
			d.DrawString(string(r))
		}
	}
	b, _, _ := faces[0].GlyphBounds('H')
	geo := map[string]any{
		"alphabet": alphabet, "styles": len(styles), "cell_width": cell, "row_height": rowH,
		"origin_x": 4, "baseline": baseline, "advance": float64(adv) / 64,
		"cap_height": float64(-b.Min.Y) / 64,
	}
	f, err := os.Create(filepath.Join(*out, "glyphs.png"))
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	f.Close()
	j, _ := json.MarshalIndent(geo, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "geometry.json"), append(j, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
}
