// Package headgen renders a head made from one photograph in 3-D, as a
// camera in front of a screen would see it: turned, nodded, brought closer,
// lit by the screen's colours. It makes the liveness check's test and
// evaluation sequences: a solid head (a person: a face-shaped surface with
// a nose, brows, lips and eye sockets, fitted to the photograph's
// landmarks) for the genuine ones, and the same photograph as a flat print
// or a print bent around a vertical or a horizontal axis for the attacks. It is software
// rendering with a z-buffer and perspective, nothing more.
package headgen

import (
	"math"

	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/raster"
)

// Shape is what the photograph is drawn on.
type Shape int

// The shapes.
const (
	Solid          Shape = iota // a person's head
	Flat                        // a print held in front of the camera
	Cylinder                    // a print bent around a vertical axis
	CylinderAcross              // a print bent around a horizontal axis through the nose tip: its row stands forward
)

// Head is a textured surface ready to render.
type Head struct {
	tex    *raster.Image
	bg     *raster.Image // the photograph without the head, behind a solid head
	shape  Shape
	cx, cy float64 // the head's centre in the photograph
	unit   float64 // the face's width in the photograph, px
	grid   int
	verts  []vertex // grid×grid, row by row
	inside []bool
}

type vertex struct {
	x, y, z    float64 // model coordinates, face widths, origin at the head's centre, y down, z towards the camera
	u, v       float64 // texture coordinates, photograph pixels
	nx, ny, nz float64 // surface normal
}

// Build makes a head from a photograph and the landmarks of its face.
func Build(photo *raster.Image, lm [68]face.Point, shape Shape) *Head {
	eyeL, eyeR := meanPt(lm[36:42]), meanPt(lm[42:48])
	mouth := meanPt(lm[48:68])
	unit := math.Hypot(lm[16].X-lm[0].X, lm[16].Y-lm[0].Y)
	h := &Head{tex: photo, shape: shape, unit: unit, grid: 72,
		cx: (eyeL.X + eyeR.X + 2*mouth.X) / 4, cy: (eyeL.Y + eyeR.Y + 2*mouth.Y) / 4}
	// Features in model coordinates.
	m := func(p face.Point) (float64, float64) { return (p.X - h.cx) / unit, (p.Y - h.cy) / unit }
	nx0, ny0 := m(lm[27]) // nasion
	nx1, ny1 := m(lm[30]) // nose tip
	bx, by := m(meanPt(lm[17:27]))
	lx, ly := m(mouth)
	exL, eyL := m(eyeL)
	exR, eyR := m(eyeR)
	depth := func(x, y float64) (float64, bool) {
		switch shape {
		case Flat:
			return 0, true
		case Cylinder:
			const r = 0.7 // a print bent to hug a head: radius in face widths
			if math.Abs(x) >= r {
				return 0, false
			}
			return math.Sqrt(r*r-x*x) - r, true
		case CylinderAcross:
			const r = 0.7
			if d := y - ny1; math.Abs(d) < r {
				return math.Sqrt(r*r-d*d) - r, true
			}
			return 0, false
		}
		// An ellipsoid head, then the features on it.
		a, b, c := 0.56, 0.78, 0.55
		e := 1 - (x/a)*(x/a) - ((y+0.12)/b)*((y+0.12)/b)
		if e <= 0 {
			return 0, false
		}
		z := c*math.Sqrt(e) - c
		// The nose: a ridge from the nasion to the tip, highest at the tip.
		t := clamp01(((x-nx0)*(nx1-nx0) + (y-ny0)*(ny1-ny0)) / ((nx1-nx0)*(nx1-nx0) + (ny1-ny0)*(ny1-ny0)))
		px, py := nx0+t*(nx1-nx0), ny0+t*(ny1-ny0)
		d2 := (x-px)*(x-px) + (y-py)*(y-py)
		w := 0.045 + 0.04*t
		z += (0.06 + 0.17*t) * math.Exp(-d2/(2*w*w))
		z += 0.03 * math.Exp(-((x-bx)*(x-bx)/0.08 + (y-by)*(y-by)/0.004)) // brows
		z -= 0.035 * math.Exp(-((x-exL)*(x-exL)+(y-eyL)*(y-eyL))/0.004)
		z -= 0.035 * math.Exp(-((x-exR)*(x-exR)+(y-eyR)*(y-eyR))/0.004)
		z += 0.035 * math.Exp(-((x-lx)*(x-lx)/0.012 + (y-ly)*(y-ly)/0.003)) // lips
		return z, true
	}
	// The grid covers the head (or the whole print).
	x0, x1, y0, y1 := -0.62, 0.62, -0.95, 0.72
	if shape != Solid {
		x0, x1 = -h.cx/unit, (float64(photo.W)-h.cx)/unit
		y0, y1 = -h.cy/unit, (float64(photo.H)-h.cy)/unit
	}
	n := h.grid
	h.verts, h.inside = make([]vertex, n*n), make([]bool, n*n)
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			x := x0 + (x1-x0)*float64(i)/float64(n-1)
			y := y0 + (y1-y0)*float64(j)/float64(n-1)
			z, ok := depth(x, y)
			k := j*n + i
			h.inside[k] = ok
			h.verts[k] = vertex{x: x, y: y, z: z, u: h.cx + x*unit, v: h.cy + y*unit}
		}
	}
	// Normals from the neighbours' depths.
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			k := j*n + i
			dzdx := h.slope(i-1, j, i+1, j, true)
			dzdy := h.slope(i, j-1, i, j+1, false)
			l := math.Sqrt(dzdx*dzdx + dzdy*dzdy + 1)
			h.verts[k].nx, h.verts[k].ny, h.verts[k].nz = -dzdx/l, -dzdy/l, 1/l
		}
	}
	if shape == Solid {
		h.bg = blurOut(photo, h.cx, h.cy-0.1*unit, 0.62*unit, 0.92*unit)
	}
	return h
}

// slope is the depth's derivative between two grid points (clamped to the
// grid and to the surface).
func (h *Head) slope(i0, j0, i1, j1 int, alongX bool) float64 {
	n := h.grid
	c := func(v int) int { return max(0, min(n-1, v)) }
	a, b := h.verts[c(j0)*n+c(i0)], h.verts[c(j1)*n+c(i1)]
	if !h.inside[c(j0)*n+c(i0)] || !h.inside[c(j1)*n+c(i1)] {
		return 0
	}
	if alongX {
		if b.x == a.x {
			return 0
		}
		return (b.z - a.z) / (b.x - a.x)
	}
	if b.y == a.y {
		return 0
	}
	return (b.z - a.z) / (b.y - a.y)
}

// Pose is how the head stands before the camera in one frame.
type Pose struct {
	Yaw, Pitch, Roll float64 // degrees; positive yaw turns the face towards the image's right, positive pitch up
	// Distance from the camera in face widths: 4 is a face at arm's
	// length filling about a third of the frame's width.
	Distance float64
	// OffsetX, OffsetY move the head in the frame, in face widths.
	OffsetX, OffsetY float64
	// Light is the screen's colour (0–1 per channel) and Strength how much
	// it adds to a surface facing it (0.3: a phone at arm's length in a
	// dim room).
	Light    [3]float64
	Strength float64
}

// Render draws the head in a w×h frame: perspective (a webcam's 60° field
// of view), the surface shaded by the screen's light as its normal faces
// the camera, over the background (the photograph's own with the head
// blurred away for a solid head, a grey room for a print).
func (h *Head) Render(p Pose, w, hgt int) *raster.Image {
	if p.Distance == 0 {
		p.Distance = 4
	}
	out := &raster.Image{W: w, H: hgt, Pix: make([]uint8, 3*w*hgt)}
	f := float64(w) / (2 * math.Tan(30*math.Pi/180)) // focal length, px
	h.background(out, p, f)
	cy, sy := math.Cos(p.Yaw*math.Pi/180), math.Sin(p.Yaw*math.Pi/180)
	cp, sp := math.Cos(p.Pitch*math.Pi/180), math.Sin(p.Pitch*math.Pi/180)
	cr, sr := math.Cos(p.Roll*math.Pi/180), math.Sin(p.Roll*math.Pi/180)
	type proj struct {
		sx, sy, depth, shade float64
	}
	n := h.grid
	ps := make([]proj, n*n)
	for k, v := range h.verts {
		if !h.inside[k] {
			continue
		}
		// Rotate: yaw about the vertical axis, pitch about the horizontal
		// one, roll in the image plane. Model z points at the camera.
		x, y, z := v.x, v.y, v.z+0.35 // rotate about a point inside the head, not its surface
		x, z = x*cy+z*sy, -x*sy+z*cy
		y, z = y*cp-z*sp, y*sp+z*cp
		x, y = x*cr-y*sr, x*sr+y*cr
		z -= 0.35
		nx, ny, nz := v.nx*cy+v.nz*sy, v.ny, -v.nx*sy+v.nz*cy
		ny, nz = ny*cp-nz*sp, ny*sp+nz*cp
		dist := p.Distance - z // the camera looks down −z from Distance
		px, py := x+p.OffsetX, y+p.OffsetY
		// Light from the screen, beside the camera: how much the surface
		// faces it.
		l := math.Sqrt(px*px + py*py + dist*dist)
		facing := math.Max(0, (-nx*px-ny*py+nz*dist)/l)
		ps[k] = proj{sx: float64(w)/2 + f*px/dist, sy: float64(hgt)/2 + f*py/dist, depth: dist, shade: facing}
	}
	zbuf := make([]float64, w*hgt)
	for i := range zbuf {
		zbuf[i] = math.Inf(1)
	}
	for j := 0; j+1 < n; j++ {
		for i := 0; i+1 < n; i++ {
			a, b, c, d := j*n+i, j*n+i+1, (j+1)*n+i, (j+1)*n+i+1
			for _, t := range [2][3]int{{a, b, c}, {b, d, c}} {
				if !h.inside[t[0]] || !h.inside[t[1]] || !h.inside[t[2]] {
					continue
				}
				p0, p1, p2 := ps[t[0]], ps[t[1]], ps[t[2]]
				h.fill(out, zbuf, p,
					[3][2]float64{{p0.sx, p0.sy}, {p1.sx, p1.sy}, {p2.sx, p2.sy}},
					[3]float64{p0.depth, p1.depth, p2.depth},
					[3]float64{p0.shade, p1.shade, p2.shade},
					[3]vertex{h.verts[t[0]], h.verts[t[1]], h.verts[t[2]]})
			}
		}
	}
	return out
}

// fill rasterizes one triangle with its texture and shading.
func (h *Head) fill(out *raster.Image, zbuf []float64, p Pose, s [3][2]float64, depth, shade [3]float64, v [3]vertex) {
	minX := int(math.Floor(math.Min(s[0][0], math.Min(s[1][0], s[2][0]))))
	maxX := int(math.Ceil(math.Max(s[0][0], math.Max(s[1][0], s[2][0]))))
	minY := int(math.Floor(math.Min(s[0][1], math.Min(s[1][1], s[2][1]))))
	maxY := int(math.Ceil(math.Max(s[0][1], math.Max(s[1][1], s[2][1]))))
	minX, minY = max(minX, 0), max(minY, 0)
	maxX, maxY = min(maxX, out.W-1), min(maxY, out.H-1)
	area := (s[1][0]-s[0][0])*(s[2][1]-s[0][1]) - (s[2][0]-s[0][0])*(s[1][1]-s[0][1])
	if math.Abs(area) < 1e-9 {
		return
	}
	for y := minY; y <= maxY; y++ {
		for x := minX; x <= maxX; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			w0 := ((s[1][0]-fx)*(s[2][1]-fy) - (s[2][0]-fx)*(s[1][1]-fy)) / area
			w1 := ((s[2][0]-fx)*(s[0][1]-fy) - (s[0][0]-fx)*(s[2][1]-fy)) / area
			w2 := 1 - w0 - w1
			if w0 < -1e-6 || w1 < -1e-6 || w2 < -1e-6 {
				continue
			}
			d := w0*depth[0] + w1*depth[1] + w2*depth[2]
			k := y*out.W + x
			if d >= zbuf[k] {
				continue
			}
			zbuf[k] = d
			u := w0*v[0].u + w1*v[1].u + w2*v[2].u
			vv := w0*v[0].v + w1*v[1].v + w2*v[2].v
			r, g, b := h.tex.Bilinear(u, vv, -1)
			lit := w0*shade[0] + w1*shade[1] + w2*shade[2]
			c := [3]float32{r, g, b}
			for ch := 0; ch < 3; ch++ {
				// The camera's exposure is set so that the brightest
				// surface facing the screen's white does not clip.
				val := float64(c[ch]) * (1 + p.Strength*p.Light[ch]*lit) / (1 + p.Strength)
				out.Pix[3*k+ch] = uint8(math.Min(255, math.Max(0, val)))
			}
		}
	}
}

// background paints what is behind the head.
func (h *Head) background(out *raster.Image, p Pose, f float64) {
	if h.bg == nil {
		for i := 0; i < len(out.Pix); i += 3 {
			out.Pix[i], out.Pix[i+1], out.Pix[i+2] = 92, 88, 84 // a grey wall
		}
		return
	}
	// The photograph's surroundings, at the depth of a wall behind the head.
	wall := p.Distance + 1.5
	scale := wall / f * h.unit
	for y := 0; y < out.H; y++ {
		for x := 0; x < out.W; x++ {
			u := h.cx + (float64(x)-float64(out.W)/2)*scale
			v := h.cy + (float64(y)-float64(out.H)/2)*scale
			r, g, b := h.bg.Bilinear(u, v, -1)
			k := 3 * (y*out.W + x)
			out.Pix[k], out.Pix[k+1], out.Pix[k+2] = uint8(r), uint8(g), uint8(b)
		}
	}
}

// blurOut returns the photograph with an ellipse around the head replaced
// by the colours at its rim, so no second face shows behind the head.
func blurOut(img *raster.Image, cx, cy, rx, ry float64) *raster.Image {
	out := &raster.Image{W: img.W, H: img.H, Pix: append([]uint8(nil), img.Pix...)}
	for y := 0; y < img.H; y++ {
		for x := 0; x < img.W; x++ {
			dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
			e := dx*dx + dy*dy
			if e >= 1.3*1.3 {
				continue
			}
			// The colour where the ray from the centre leaves the ellipse.
			s := 1.35 / math.Max(math.Sqrt(e), 1e-3)
			r, g, b := img.Bilinear(cx+dx*s*rx, cy+dy*s*ry, -1)
			k := 3 * (y*img.W + x)
			out.Pix[k], out.Pix[k+1], out.Pix[k+2] = uint8(r), uint8(g), uint8(b)
		}
	}
	return out
}

func meanPt(ps []face.Point) face.Point {
	var out face.Point
	for _, p := range ps {
		out.X += p.X
		out.Y += p.Y
	}
	out.X /= float64(len(ps))
	out.Y /= float64(len(ps))
	return out
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }
