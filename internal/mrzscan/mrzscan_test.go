package mrzscan

import (
	"bytes"
	"encoding/json"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/docgen"
	"github.com/kycd/kycd/internal/mrz"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/testenv"
)

type specimenLabel struct {
	File string  `json:"file"`
	Type string  `json:"document_type_from_name"`
	MRZ  *string `json:"mrz"`
}

func specimens(t testing.TB) []specimenLabel {
	dir := filepath.Join(testenv.TestData(t), "documents", "specimens")
	b, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []specimenLabel
	if err := json.Unmarshal(b, &labels); err != nil {
		t.Fatal(err)
	}
	return labels
}

func loadImage(t testing.TB, path string) *raster.Image {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := raster.Decode(b, raster.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestSpecimens reads the hand-labelled real specimens.
func TestSpecimens(t *testing.T) {
	dir := filepath.Join(testenv.TestData(t), "documents", "specimens")
	exact, total := 0, 0
	for _, l := range specimens(t) {
		if l.MRZ == nil {
			continue
		}
		total++
		r, err := Read(loadImage(t, filepath.Join(dir, l.File)), Options{})
		if err != nil {
			t.Logf("%s: %v", l.File, err)
			continue
		}
		got := strings.Join(r.MRZ.Lines, "\n")
		if got == *l.MRZ {
			exact++
			continue
		}
		t.Logf("%s: read (conf %.0f, angle %.0f)\n%s\nwant\n%s", l.File, r.Confidence, r.Angle, got, *l.MRZ)
	}
	t.Logf("%d of %d exact", exact, total)
	if exact < 22 {
		t.Errorf("%d of %d exact; measured 24 (docs/accuracy.md)", exact, total)
	}
}

// TestTurnsAndSkew reads a generated passport and ID card back at each
// right-angle turn and at a skew either way.
func TestTurnsAndSkew(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(11, 12))
	for _, kind := range []docgen.Kind{docgen.Passport, docgen.IDCard} {
		d, side := renderedZoneSide(t, r, kind, 12, now)
		want := strings.Join(d.MRZ(), "\n")
		for _, turn := range []int{0, 90, 180, 270} {
			for _, skew := range []float64{-7, 4} {
				img := photographed(t, side, docgen.Shot{Width: 1400, Skew: skew, Turn: turn, Quality: 80, Margin: 0.08}, r)
				res, err := Read(img, Options{Now: now})
				if err != nil {
					t.Errorf("%s turned %d, skew %.0f: %v", kind, turn, skew, err)
					continue
				}
				if got := strings.Join(res.MRZ.Lines, "\n"); got != want || !res.MRZ.Valid {
					t.Errorf("%s turned %d, skew %.0f: read\n%s\nwant\n%s", kind, turn, skew, got, want)
				}
				// A photo turned clockwise shows text reading that way.
				diff := math.Mod(math.Abs(res.Angle-float64(turn))+360, 360)
				if diff > 15 && diff < 345 {
					t.Errorf("%s turned %d, skew %.0f: angle %.1f", kind, turn, skew, res.Angle)
				}
				// The zone's top edge runs the way the text reads, and
				// painted over it leaves no zone to read.
				z := res.Zone
				if a := math.Atan2(float64(z[1].Y-z[0].Y), float64(z[1].X-z[0].X)) * 180 / math.Pi; math.Abs(math.Remainder(a-res.Angle, 360)) > 3 {
					t.Errorf("%s turned %d, skew %.0f: the zone's top edge runs at %.1f°, the text at %.1f°", kind, turn, skew, a, res.Angle)
				}
				blank := img.Gray()
				blank.Fill(z, 255)
				if res, err := ReadGray(blank, Options{Now: now}); err == nil {
					t.Errorf("%s turned %d, skew %.0f: with its zone %v painted over, read\n%s", kind, turn, skew, z, strings.Join(res.MRZ.Lines, "\n"))
				}
			}
		}
	}
}

// TestFrenchIDCard: the older French identity card's zone (2×36, not TD2)
// is read by its own layout, at any turn.
func TestFrenchIDCard(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(5, 6))
	lines := []string{"IDFRAPETE<<<<<<<<<<<<<<<<<<<<<952042", "0509952018746NICOLAS<<PAUL<8206152M3"} // mrz-java's test vector
	card, err := docgen.ZoneCard(lines, 105, 74, 12, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, turn := range []int{0, 90, 180} {
		img := photographed(t, card, docgen.Shot{Width: 1400, Skew: 3, Turn: turn, Quality: 85, Margin: 0.08}, r)
		res, err := Read(img, Options{Now: now})
		if err != nil {
			t.Fatalf("turned %d: %v", turn, err)
		}
		if got := strings.Join(res.MRZ.Lines, "\n"); got != strings.Join(lines, "\n") || !res.MRZ.Valid || res.MRZ.Format != mrz.FRID {
			t.Errorf("turned %d: %s %v valid %v", turn, got, res.MRZ.Format, res.MRZ.Valid)
		}
	}
}

// TestNoMRZ: a page without a zone is not found, not invented.
func TestNoMRZ(t *testing.T) {
	for _, f := range []string{"face_recognition/examples__obama-480p.jpg", "deepface/couple.jpg"} {
		if r, err := Read(loadImage(t, filepath.Join(testenv.TestData(t), "faces", f)), Options{}); err == nil {
			t.Errorf("%s: read an MRZ %q", f, r.Text)
		}
	}
}

// photographed is side photographed as shot, decoded as an upload is.
func photographed(t *testing.T, side *raster.Image, shot docgen.Shot, r *rand.Rand) *raster.Image {
	t.Helper()
	jpg, err := docgen.Photograph(side, shot, r)
	if err != nil {
		t.Fatal(err)
	}
	img, err := raster.Decode(jpg, raster.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestHEICPassport reads a generated passport saved as HEIC.
func TestHEICPassport(t *testing.T) {
	r, err := Read(loadImage(t, filepath.Join("..", "raster", "testdata", "passport.heic")), Options{Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	want := "P<ESPGARCIA<<MARIA<<<<<<<<<<<<<<<<<<<<<<<<<<\nZEJ59145<2ESP4910143F3212057<<<<<<<<<<<<<<<6"
	if got := strings.Join(r.MRZ.Lines, "\n"); got != want || !r.MRZ.Valid {
		t.Errorf("read\n%s\nwant\n%s", got, want)
	}
}

// TestBentPage: the zone of a page that bows and is seen from the side (a
// passport photographed open on a table) curves and its pitch grows along
// the line; its cells follow the print, not a straight, even layout.
func TestBentPage(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(21, 22))
	for i := range 4 {
		d, front := renderedZoneSide(t, r, docgen.Passport, 12, now)
		want := strings.Join(d.MRZ(), "\n")
		shot := docgen.Shot{Width: 1000, Skew: 2, Quality: 85, Margin: 0.06, Bend: 0.012, Lean: 0.06}
		if i%2 == 1 {
			shot.Bend, shot.Lean = -0.012, -0.06
		}
		img := photographed(t, front, shot, r)
		res, err := Read(img, Options{Now: now})
		if err != nil {
			t.Errorf("passport %d: %v", i, err)
			continue
		}
		if got := strings.Join(res.MRZ.Lines, "\n"); got != want {
			t.Errorf("passport %d: read\n%s\nwant\n%s", i, got, want)
		}
		// The zone holds the sagging middle of the lines too: painted
		// over, no character-sized mark is left along them.
		g := img.Gray()
		g.Fill(res.Zone, 255)
		if left := marksAlong(g, res.Zone); left > 0 {
			t.Errorf("passport %d: %d marks of the zone left beside it once painted over", i, left)
		}
	}
}

// marksAlong counts the character-sized marks of a picture that lie along
// a zone, within an eighth of its height beyond it across the lines: what
// painting it over would have left of its print.
func marksAlong(img *raster.Gray, z [4]image.Point) int {
	g := workImage(img)
	if g.w != img.W {
		panic("marksAlong: the picture must be read at its own scale")
	}
	pt := func(p image.Point) point { return point{float64(p.X), float64(p.Y)} }
	o := pt(z[0])
	along, across := pt(z[1]).add(o.scale(-1)), pt(z[3]).add(o.scale(-1))
	length, height := math.Hypot(along.x, along.y), math.Hypot(across.x, across.y)
	u, v := along.norm(), across.norm()
	n := 0
	for _, c := range components(binarize(g, integral(g), darkPrint), g.w, g.h, 5, height) {
		d := c.center().add(o.scale(-1))
		if a, b := d.dot(u), d.dot(v); a >= 0 && a <= length && b >= -height/8 && b <= height*9/8 {
			n++
		}
	}
	return n
}

// TestPatternAfterLine: a mark of the background chained onto the end of
// one line (a template's ruled line) is not taken for its last cell, which
// would stretch the line's pitch and shift every cell after the first few.
func TestPatternAfterLine(t *testing.T) {
	line := func(y float64, extra bool) *chain {
		ch := &chain{}
		for i := range 44 {
			x := 100 + 32.5*float64(i)
			ch.comps = append(ch.comps, comp{x - 12, y - 15, x + 12, y + 15})
		}
		if extra {
			x := 100 + 32.5*44.4
			ch.comps = append(ch.comps, comp{x - 8, y + 8, x + 8, y + 11})
		}
		ch.fit()
		return ch
	}
	c := place([]*chain{line(100, true), line(180, false)}, false, false)
	if c == nil {
		t.Fatal("not placed")
	}
	for li, g := range c.geoms {
		if last := g.cellCenter(43); math.Abs(last.x-(100+32.5*43)) > 3 {
			t.Errorf("line %d: last cell at x %.1f, printed at %.1f", li, last.x, 100+32.5*43)
		}
	}
}

// TestShortNameLine: a TD3 names line of a short name is mostly fillers,
// lower and narrower than capitals; it still pairs with the line below it
// as one zone of 44 cells.
func TestShortNameLine(t *testing.T) {
	line := func(y float64, capitals int) *chain {
		ch := &chain{}
		for i := range 44 {
			x := 100 + 32.5*float64(i)
			h, w := 17.0, 12.0 // a capital's half height and width
			if i >= capitals {
				h, w = 12.5, 12.0 // a filler
			}
			ch.comps = append(ch.comps, comp{x - w, y - h, x + w, y + h})
		}
		ch.fit()
		return ch
	}
	zs := zones([]*chain{line(100, 8), line(185, 44)})
	if len(zs) != 1 {
		t.Fatalf("%d zones, want 1", len(zs))
	}
	if c := place(zs[0], false, false); c == nil || c.n != 44 {
		t.Fatalf("placed %+v, want 44 cells", c)
	}
}

// TestHarvest: a zone read right gives every cell's placements labelled
// with the printed characters; a text that does not match what the page
// shows (another document's zone, or another number of lines) gives
// nothing, so no glyph is ever trained under a wrong label.
func TestHarvest(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(21, 22))
	d, front := renderedZoneSide(t, r, docgen.Passport, 12, now)
	img := photographed(t, front, docgen.Shot{Width: 1400, Skew: 3, Quality: 85, Margin: 0.08}, r).Gray()
	lines := d.MRZ()
	gs := Harvest(img, strings.Join(lines, "\n"))
	if len(gs) == 0 {
		t.Fatal("no glyphs from a passport read right")
	}
	cells := len(lines) * len(lines[0])
	if len(gs)%cells != 0 {
		t.Errorf("%d glyphs: not a whole number of placements of %d cells", len(gs), cells)
	}
	per := len(gs) / cells
	for i, g := range gs {
		li, ci := i/per/len(lines[0]), i/per%len(lines[0])
		if g.Char != lines[li][ci] {
			t.Fatalf("glyph %d labelled %q, the page prints %q", i, g.Char, lines[li][ci])
		}
		if len(g.Patch) == 0 {
			t.Fatalf("glyph %d has no patch", i)
		}
	}
	if a := Accuracy(gs); a < 0.9 {
		t.Errorf("the classifier reads %.2f of a clean passport's glyphs", a)
	}

	other := docgen.Random(r, docgen.Passport, now)
	if gs := Harvest(img, strings.Join(other.MRZ(), "\n")); gs != nil {
		t.Errorf("another passport's zone gave %d glyphs", len(gs))
	}
	if gs := Harvest(img, lines[1]); gs != nil {
		t.Errorf("one line of a two-line zone gave %d glyphs", len(gs))
	}
}

// TestZoneAtAnyScale: the zone is given in the picture's own pixels, which
// the reader enlarges when small and shrinks when large.
func TestZoneAtAnyScale(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(31, 32))
	d, front := renderedZoneSide(t, r, docgen.Passport, 12, now)
	for _, width := range []int{800, 1400, 2600} {
		img := photographed(t, front, docgen.Shot{Width: width, Skew: 5, Quality: 85, Margin: 0.08}, r).Gray()
		res, err := ReadGray(img, Options{Now: now})
		if err != nil {
			t.Errorf("%d px: %v", width, err)
			continue
		}
		if got, want := strings.Join(res.MRZ.Lines, "\n"), strings.Join(d.MRZ(), "\n"); got != want {
			t.Errorf("%d px: read\n%s\nwant\n%s", width, got, want)
		}
		z := res.Zone
		for _, p := range z {
			if p.X < 0 || p.Y < 0 || p.X > img.W || p.Y > img.H {
				t.Errorf("%d px: zone %v reaches outside the %dx%d picture", width, z, img.W, img.H)
			}
		}
		// The zone spans nearly the page's width (a passport page's 125 mm
		// hold 44 cells of 2.54 mm), the page the photo's width less its
		// margins: about 94% of it, whatever the reader's working scale.
		top := math.Hypot(float64(z[1].X-z[0].X), float64(z[1].Y-z[0].Y))
		if page := float64(width) * 0.84; top < 0.85*page || top > 1.02*page {
			t.Errorf("%d px: the zone's top edge is %.0f px long, the page about %.0f", width, top, page)
		}
		img.Fill(z, 255)
		if res, err := ReadGray(img, Options{Now: now}); err == nil {
			t.Errorf("%d px: with its zone %v painted over, read\n%s", width, z, strings.Join(res.MRZ.Lines, "\n"))
		}
	}
}

// TestColouredGuilloche: fine blue lines waving through the zone (as on
// Romania's 2024 passport) are darker than the paper around them and join
// the characters of a zone found by its print into shapes no character
// has; the zone is then found by its black ink alone.
func TestColouredGuilloche(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(41, 42))
	for i := range 2 {
		d, front := renderedZoneSide(t, r, docgen.Passport, 12, now)
		// Lines 0.5 mm apart, 0.15 mm wide, over the page's lowest
		// quarter, where the zone is.
		for y0 := front.H * 3 / 4; y0 < front.H; y0 += 6 {
			for x := range front.W {
				y := y0 + int(math.Round(3*math.Sin(float64(x)/40+float64(y0)/30)))
				for dy := range 2 {
					if yy := y + dy; yy >= 0 && yy < front.H {
						p := front.Pix[3*(yy*front.W+x):]
						p[0], p[1], p[2] = min(p[0], 90), min(p[1], 150), min(p[2], 210)
					}
				}
			}
		}
		img := photographed(t, front, docgen.Shot{Width: 1400, Skew: 2, Quality: 90, Margin: 0.06}, r).Gray()
		g := workImage(img)
		if c := readAt(g, integral(g), Options{Now: now}, darkPrint); c.passes() {
			t.Errorf("passport %d: the lines do not hide the zone from the usual threshold: the test shows nothing", i)
		}
		res, err := ReadGray(img, Options{Now: now})
		if err != nil {
			t.Errorf("passport %d: %v", i, err)
			continue
		}
		if got, want := strings.Join(res.MRZ.Lines, "\n"), strings.Join(d.MRZ(), "\n"); got != want || !res.MRZ.Valid {
			t.Errorf("passport %d: read\n%s\nwant\n%s", i, got, want)
		}
	}
}

// renderedZoneSide renders a random document of the kind, with a real
// face as its portrait, at ppm pixels per millimetre, and returns the side
// that carries its MRZ: a passport's data page, a card's back.
func renderedZoneSide(t *testing.T, r *rand.Rand, kind docgen.Kind, ppm float64, now time.Time) (docgen.Doc, *raster.Image) {
	t.Helper()
	portrait := loadImage(t, filepath.Join(testenv.TestData(t), "faces", "deepface", "img1.jpg"))
	d := docgen.Random(r, kind, now)
	front, back, err := docgen.Render(d, portrait, ppm, r)
	if err != nil {
		t.Fatal(err)
	}
	if back != nil {
		return d, back
	}
	return d, front
}

// TestShrink checks the working image's shrink is the mean of the picture
// under each pixel, partly covered pixels weighed by the part covered.
func TestShrink(t *testing.T) {
	img := &raster.Gray{W: 5, H: 4, Pix: []uint8{
		10, 20, 30, 40, 50,
		10, 20, 30, 40, 50,
		90, 90, 90, 90, 90,
		90, 90, 90, 90, 90,
	}}
	g := shrink(img, 0.4) // 2×1: each pixel covers 2.5 columns and 2.5 rows
	if g.w != 2 || g.h != 1 {
		t.Fatalf("shrunk to %d×%d, want 2×1", g.w, g.h)
	}
	// Left: columns 10, 20 and half of 30 (mean 18), rows 2 of the first
	// kind and half of the 90s.
	want := []float32{(18*2 + 90*0.5) / 2.5, (42*2 + 90*0.5) / 2.5}
	for i, v := range g.pix {
		if math.Abs(float64(v-want[i])) > 1e-3 {
			t.Errorf("pixel %d = %.3f, want %.3f", i, v, want[i])
		}
	}
	// Any size and scale: each pixel is the mean of the square of the
	// picture under it, each source pixel weighed by its area inside.
	r := rand.New(rand.NewPCG(71, 72))
	overlap := func(a0, a1 float64, i int) float64 {
		return max(0, min(a1, float64(i+1))-max(a0, float64(i)))
	}
	for range 20 {
		img := &raster.Gray{W: 5 + r.IntN(60), H: 5 + r.IntN(60)}
		img.Pix = make([]uint8, img.W*img.H)
		for i := range img.Pix {
			img.Pix[i] = uint8(r.IntN(256))
		}
		scale := 0.1 + 0.85*r.Float64()
		g := shrink(img, scale)
		for y := range g.h {
			for x := range g.w {
				x0, x1 := float64(x)/scale, min(float64(x+1)/scale, float64(img.W))
				y0, y1 := float64(y)/scale, min(float64(y+1)/scale, float64(img.H))
				var sum float64
				for sy := range img.H {
					for sx := range img.W {
						sum += float64(img.Pix[sy*img.W+sx]) * overlap(x0, x1, sx) * overlap(y0, y1, sy)
					}
				}
				if want := sum / ((x1 - x0) * (y1 - y0)); math.Abs(float64(g.pix[y*g.w+x])-want) > 0.01 {
					t.Fatalf("%dx%d at %.3f: pixel (%d, %d) = %.3f, the picture under it %.3f", img.W, img.H, scale, x, y, g.pix[y*g.w+x], want)
				}
			}
		}
	}
	flat := &raster.Gray{W: 997, H: 613, Pix: bytes.Repeat([]byte{137}, 997*613)}
	for _, v := range shrink(flat, 0.37).pix {
		if math.Abs(float64(v)-137) > 1e-3 {
			t.Fatalf("a flat picture shrinks to %.3f, want 137", v)
		}
	}
}

// TestPage: the page given for a read zone holds the whole document, a
// passport's data page or a card's back, and not much more, at any turn;
// every format has a page size.
func TestPage(t *testing.T) {
	for _, f := range []mrz.Format{mrz.TD1, mrz.TD2, mrz.TD3, mrz.MRVA, mrz.MRVB, mrz.FRID} {
		if s, ok := pageSize[f]; !ok || s[0] < s[1] {
			t.Errorf("%s: page size %v", f, s)
		}
	}
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(61, 62))
	for _, kind := range []docgen.Kind{docgen.Passport, docgen.IDCard} {
		_, doc := renderedZoneSide(t, r, kind, 10, now)
		// The document on a grey table twice its size.
		table := &raster.Image{W: 2 * doc.W, H: 2 * doc.H, Pix: bytes.Repeat([]byte{120}, 12*doc.W*doc.H)}
		at := image.Pt(doc.W/3, doc.H/2)
		for y := range doc.H {
			copy(table.Pix[3*((at.Y+y)*table.W+at.X):], doc.Pix[3*y*doc.W:3*(y+1)*doc.W])
		}
		pitch := 2.54 * 10 // pixels per character at 10 px/mm
		for _, turn := range []int{0, 90, 180, 270} {
			g := table.Gray().Turn(turn)
			res, err := ReadGray(g, Options{Now: now})
			if err != nil {
				t.Fatalf("%s turned %d: %v", kind, turn, err)
			}
			got := raster.Bounds(res.Page)
			want := turnRect(image.Rectangle{at, at.Add(image.Pt(doc.W, doc.H))}, table.W, table.H, turn)
			if !want.In(got) {
				t.Errorf("%s turned %d: page %v does not hold the document at %v", kind, turn, got, want)
			}
			// Three characters of margin, and one for the rest.
			if slack := 4 * pitch; float64(want.Min.X-got.Min.X) > slack || float64(want.Min.Y-got.Min.Y) > slack ||
				float64(got.Max.X-want.Max.X) > slack || float64(got.Max.Y-want.Max.Y) > slack {
				t.Errorf("%s turned %d: page %v reaches far beyond the document at %v", kind, turn, got, want)
			}
		}
	}
}

// turnRect is where r of a w×h picture is once the picture is turned deg
// degrees clockwise, as raster.Gray.Turn turns it.
func turnRect(r image.Rectangle, w, h, deg int) image.Rectangle {
	switch deg {
	case 90:
		return image.Rect(h-r.Max.Y, r.Min.X, h-r.Min.Y, r.Max.X)
	case 180:
		return image.Rect(w-r.Max.X, h-r.Max.Y, w-r.Min.X, h-r.Min.Y)
	case 270:
		return image.Rect(r.Min.Y, w-r.Max.X, r.Max.Y, w-r.Min.X)
	}
	return r
}

// TestAnyAngle: a card photographed at any angle, not only near a right
// angle, is read exactly, and its reading direction is the angle it lies
// at (the corners and turn the document reader uses depend on it).
func TestAnyAngle(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	portrait := &raster.Image{W: 300, H: 400, Pix: make([]uint8, 300*400*3)}
	for _, kind := range []docgen.Kind{docgen.Passport, docgen.IDCard} {
		r := rand.New(rand.NewPCG(3, 3))
		d := docgen.Random(r, kind, now)
		f, b, err := docgen.Render(d, portrait, 8, r)
		if err != nil {
			t.Fatal(err)
		}
		if b != nil {
			f = b
		}
		g := f.Gray()
		want := strings.Join(d.MRZ(), "\n")
		for a := 0; a < 360; a += 25 {
			pic := g.Rotate(float64(a))
			res, err := ReadGray(pic, Options{Now: now})
			if err != nil {
				t.Errorf("%s at %d°: %v", kind, a, err)
				continue
			}
			if got := strings.Join(res.MRZ.Lines, "\n"); got != want {
				t.Errorf("%s at %d°: %q, want %q", kind, a, got, want)
			}
			if off := math.Abs(math.Remainder(res.Angle-float64(a), 360)); off > 8 {
				t.Errorf("%s at %d°: reading direction %.1f°", kind, a, res.Angle)
			}
			for _, p := range res.Zone {
				if p.X < -pic.W/10 || p.Y < -pic.H/10 || p.X > pic.W*11/10 || p.Y > pic.H*11/10 {
					t.Errorf("%s at %d°: zone corner %v outside the %d×%d picture", kind, a, p, pic.W, pic.H)
				}
			}
		}
	}
}

// TestStrongPerspective: a passport photographed small and from its side
// (a phone held at an angle: the pitch grows a third along the line) is
// read exactly. The even layout and its smoothed offsets leave cells half
// a pitch off their characters there; a line that holds one shape per
// cell is laid on its shapes (oneEach).
func TestStrongPerspective(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(31, 32))
	right := 0
	for i := range 6 {
		d, front := renderedZoneSide(t, r, docgen.Passport, 12, now)
		want := strings.Join(d.MRZ(), "\n")
		lean := 0.16
		if i%2 == 1 {
			lean = -0.16
		}
		img := photographed(t, front, docgen.Shot{Width: 700, Skew: 2, Quality: 85, Margin: 0.04, Lean: lean}, r)
		res, err := Read(img, Options{Now: now})
		if err == nil && strings.Join(res.MRZ.Lines, "\n") == want {
			right++
		} else if err == nil {
			t.Logf("passport %d (lean %.2f): read\n%s\nwant\n%s", i, lean, strings.Join(res.MRZ.Lines, "\n"), want)
		} else {
			t.Logf("passport %d (lean %.2f): %v", i, lean, err)
		}
	}
	if right < 5 {
		t.Errorf("%d of 6 read exactly", right)
	}
}
