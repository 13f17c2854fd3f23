package mrzscan

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"strings"
	"sync"
)

// The OCR-B reference, rendered from Debian's fonts-ocr-b by genatlas.
//
//go:generate go run ./genatlas -out .
var (
	//go:embed glyphs.png
	atlasPNG []byte
	//go:embed geometry.json
	geometryJSON []byte
)

// A patch is a character cell sampled to patchW×patchH: one pitch wide and
// spanV cap heights tall, centred on the cell.
const (
	patchW = 16
	patchH = 24
	spanV  = 1.5
	spanU  = 1.0
)

// templates are the reference patches, each zero-mean and unit-norm, with
// the character they show. Every character has several: two font styles,
// each at three stroke weights, because printers and scanners thicken or
// thin the strokes.
type templates struct {
	vecs  [][patchW * patchH]float32
	chars []byte
}

var (
	refOnce sync.Once
	ref     *templates
)

func reference() *templates {
	refOnce.Do(func() { ref = buildTemplates() })
	return ref
}

// geometry says where the glyphs are in glyphs.png (see genatlas).
type geometry struct {
	Alphabet  string  `json:"alphabet"`
	Styles    int     `json:"styles"`
	CellWidth int     `json:"cell_width"`
	RowHeight int     `json:"row_height"`
	OriginX   int     `json:"origin_x"`
	Baseline  int     `json:"baseline"`
	Advance   float64 `json:"advance"`
	CapHeight float64 `json:"cap_height"`
}

// embeddedAtlas decodes the embedded glyphs and their geometry.
func embeddedAtlas() (geometry, *gray) {
	var geo geometry
	if err := json.Unmarshal(geometryJSON, &geo); err != nil {
		panic("mrzscan: geometry.json: " + err.Error())
	}
	m, err := png.Decode(bytes.NewReader(atlasPNG))
	if err != nil {
		panic("mrzscan: glyphs.png: " + err.Error())
	}
	return geo, toGray(m)
}

func buildTemplates() *templates {
	geo, g := embeddedAtlas()
	t := &templates{}
	for i := 0; i < len(geo.Alphabet); i++ {
		for s := 0; s < geo.Styles; s++ {
			x0, y0 := s*geo.CellWidth, i*geo.RowHeight
			cell := g.crop(x0, y0, geo.CellWidth, geo.RowHeight)
			if cell.ink() == 0 {
				continue // this style lacks the glyph
			}
			c := point{float64(geo.OriginX) + geo.Advance/2, float64(geo.Baseline) - geo.CapHeight/2}
			for _, weight := range []int{0, 3, -3} {
				v := cell.morph(weight)
				var p [patchW * patchH]float32
				v.samplePatch(p[:], c, point{1, 0}, point{0, 1}, geo.Advance, geo.CapHeight)
				if normalize(p[:]) {
					t.vecs = append(t.vecs, p)
					t.chars = append(t.chars, geo.Alphabet[i])
				}
			}
		}
	}
	return t
}

// score returns, for each character of allowed, the best correlation of
// any of its templates with patch (already normalized).
func (t *templates) score(patch []float32, allowed string, out map[byte]float32) {
	for i := range t.vecs {
		c := t.chars[i]
		if !strings.ContainsRune(allowed, rune(c)) {
			continue
		}
		v := &t.vecs[i]
		var s float32
		for j, x := range patch {
			s += x * v[j]
		}
		if prev, ok := out[c]; !ok || s > prev {
			out[c] = s
		}
	}
}

// normalize makes v zero-mean and unit-norm; false when v is flat.
func normalize(v []float32) bool {
	var mean float64
	for _, x := range v {
		mean += float64(x)
	}
	mean /= float64(len(v))
	var ss float64
	for i := range v {
		v[i] -= float32(mean)
		ss += float64(v[i]) * float64(v[i])
	}
	if ss < 1e-6 {
		return false
	}
	inv := float32(1 / math.Sqrt(ss))
	for i := range v {
		v[i] *= inv
	}
	return true
}

// gray is a luminance image, 0 black … 255 white.
type gray struct {
	w, h int
	pix  []float32
}

func toGray(m image.Image) *gray {
	b := m.Bounds()
	g := &gray{w: b.Dx(), h: b.Dy(), pix: make([]float32, b.Dx()*b.Dy())}
	for y := 0; y < g.h; y++ {
		for x := 0; x < g.w; x++ {
			r, gg, bb, _ := m.At(b.Min.X+x, b.Min.Y+y).RGBA()
			g.pix[y*g.w+x] = float32(0.299*float64(r)+0.587*float64(gg)+0.114*float64(bb)) / 257
		}
	}
	return g
}

func (g *gray) crop(x0, y0, w, h int) *gray {
	c := &gray{w: w, h: h, pix: make([]float32, w*h)}
	for y := 0; y < h; y++ {
		copy(c.pix[y*w:(y+1)*w], g.pix[(y0+y)*g.w+x0:(y0+y)*g.w+x0+w])
	}
	return c
}

func (g *gray) ink() int {
	n := 0
	for _, v := range g.pix {
		if v < 128 {
			n++
		}
	}
	return n
}

// morph thickens (r > 0, a minimum filter) or thins (r < 0, a maximum
// filter) dark strokes by |r| pixels.
func (g *gray) morph(r int) *gray {
	if r == 0 {
		return g
	}
	dark := r > 0
	r = max(r, -r)
	out := &gray{w: g.w, h: g.h, pix: make([]float32, len(g.pix))}
	for y := 0; y < g.h; y++ {
		for x := 0; x < g.w; x++ {
			best := g.pix[y*g.w+x]
			for yy := max(0, y-r); yy <= min(g.h-1, y+r); yy++ {
				for xx := max(0, x-r); xx <= min(g.w-1, x+r); xx++ {
					v := g.pix[yy*g.w+xx]
					if dark && v < best || !dark && v > best {
						best = v
					}
				}
			}
			out.pix[y*g.w+x] = best
		}
	}
	return out
}

type point struct{ x, y float64 }

func (p point) add(q point) point     { return point{p.x + q.x, p.y + q.y} }
func (p point) scale(s float64) point { return point{p.x * s, p.y * s} }
func (p point) dot(q point) float64   { return p.x*q.x + p.y*q.y }
func (p point) perp() point           { return point{-p.y, p.x} }
func (p point) norm() point           { l := math.Hypot(p.x, p.y); return point{p.x / l, p.y / l} }

// bilinear samples g at (x, y), white outside.
func (g *gray) bilinear(x, y float64) float32 {
	x -= 0.5
	y -= 0.5
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	get := func(xx, yy int) float32 {
		if xx < 0 || yy < 0 || xx >= g.w || yy >= g.h {
			return 255
		}
		return g.pix[yy*g.w+xx]
	}
	a := get(x0, y0)*(1-fx) + get(x0+1, y0)*fx
	b := get(x0, y0+1)*(1-fx) + get(x0+1, y0+1)*fx
	return a*(1-fy) + b*fy
}

// samplePatch fills p with the cell centred at c whose reading direction is
// u and whose downward direction is v (unit vectors), pitch wide and
// capHeight·spanV tall. Each patch pixel averages k×k samples when it
// covers several source pixels, so large photos do not alias.
func (g *gray) samplePatch(p []float32, c, u, v point, pitch, capHeight float64) {
	du := pitch * spanU / patchW
	dv := capHeight * spanV / patchH
	k := int(math.Ceil(max(du, dv)))
	k = min(max(k, 1), 4)
	for py := 0; py < patchH; py++ {
		for px := 0; px < patchW; px++ {
			var sum float32
			for sy := 0; sy < k; sy++ {
				for sx := 0; sx < k; sx++ {
					a := (float64(px) - patchW/2 + (float64(sx)+0.5)/float64(k)) * du
					b := (float64(py) - patchH/2 + (float64(sy)+0.5)/float64(k)) * dv
					q := c.add(u.scale(a)).add(v.scale(b))
					sum += g.bilinear(q.x, q.y)
				}
			}
			p[py*patchW+px] = sum / float32(k*k)
		}
	}
}
