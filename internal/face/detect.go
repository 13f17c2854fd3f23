package face

import (
	"fmt"
	"math"
	"sort"

	"github.com/kycd/kycd/internal/raster"
)

// The detector's input size; the image is resized to it without keeping the
// aspect ratio, as the model was trained.
const (
	detW, detH     = 320, 240
	detThreshold   = 0.65
	nmsIoU         = 0.4
	padRetryMargin = 0.25
	minFaceSide    = 20.0
)

type candidate struct {
	x1, y1, x2, y2, score float64
}

// detectFaces finds faces, sorted largest first, with their landmarks. When
// nothing is found it tries again with the image padded by 25% on each
// side: the detector misses faces that fill the whole frame (tight crops,
// ID portraits).
func (w *worker) detectFaces(img *raster.Image) ([]*Face, error) {
	cands, err := w.runDetector(img, 0)
	if err != nil {
		return nil, err
	}
	if len(cands) == 0 {
		if cands, err = w.runDetector(img, padRetryMargin); err != nil {
			return nil, err
		}
	}
	faces := make([]*Face, 0, len(cands))
	for _, c := range cands {
		// Square the box on its centre, side = its height.
		side := c.y2 - c.y1
		if side < minFaceSide {
			continue
		}
		cx := (c.x1 + c.x2) / 2
		f := &Face{Box: Box{X: cx - side/2, Y: c.y1, W: side, H: side}, Confidence: c.score}
		// The landmark model is sensitive to where the face sits in its box:
		// fit once in the detector's box, then re-centre the box on the
		// points and fit again.
		passes := refinePasses + 1
		if w.noRefine {
			passes = 1
		}
		for pass := range passes {
			if pass > 0 {
				f.Box = recentre(f)
			}
			if err := w.landmarks(img, f); err != nil {
				return nil, err
			}
		}
		faces = append(faces, f)
	}
	sort.SliceStable(faces, func(i, j int) bool { return faces[i].Box.W > faces[j].Box.W })
	return faces, nil
}

// refinePasses is how often the box is re-centred on the landmarks: two
// passes took the evaluation's EER from 0.78% to 0.03% (docs/accuracy.md).
const refinePasses = 2

// recentre moves a face's box, keeping its size, onto the centre of its
// landmarks' bounding box.
func recentre(f *Face) Box {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range f.Landmarks {
		minX, minY = math.Min(minX, p.X), math.Min(minY, p.Y)
		maxX, maxY = math.Max(maxX, p.X), math.Max(maxY, p.Y)
	}
	b := f.Box
	b.X, b.Y = (minX+maxX)/2-b.W/2, (minY+maxY)/2-b.H/2
	return b
}

// runDetector runs the detector on the image padded by pad (a fraction of
// each side) and returns the boxes that pass the threshold after non-maximum
// suppression, in image pixels.
func (w *worker) runDetector(img *raster.Image, pad float64) ([]candidate, error) {
	px, py := pad*float64(img.W), pad*float64(img.H)
	fullW, fullH := float64(img.W)+2*px, float64(img.H)+2*py
	l := layout{order: [3]int{0, 1, 2}, mean: [3]float32{127, 127, 127}, std: [3]float32{128, 128, 128}, scale: 1, fill: -1}
	if pad > 0 {
		l.fill = 127
	}
	sampleInto(w.detect.input(), img, cropAffine(-px, -py, fullW, fullH, detW, detH), detW, detH, l)
	if err := w.detect.run(); err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	scores, boxes := w.detect.output(0), w.detect.output(1)
	var cands []candidate
	for i := 0; i < len(scores)/2; i++ {
		s := float64(scores[2*i+1])
		if s < detThreshold {
			continue
		}
		b := boxes[4*i : 4*i+4]
		cands = append(cands, candidate{
			x1: float64(b[0])*fullW - px, y1: float64(b[1])*fullH - py,
			x2: float64(b[2])*fullW - px, y2: float64(b[3])*fullH - py, score: s,
		})
	}
	return nms(cands, nmsIoU), nil
}

// nms keeps the best-scoring box of each overlapping group.
func nms(c []candidate, iou float64) []candidate {
	sort.Slice(c, func(i, j int) bool { return c[i].score > c[j].score })
	var keep []candidate
	for _, a := range c {
		ok := true
		for _, k := range keep {
			if overlap(a, k) > iou {
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, a)
		}
	}
	return keep
}

func overlap(a, b candidate) float64 {
	iw := math.Min(a.x2, b.x2) - math.Max(a.x1, b.x1)
	ih := math.Min(a.y2, b.y2) - math.Max(a.y1, b.y1)
	if iw <= 0 || ih <= 0 {
		return 0
	}
	inter := iw * ih
	return inter / ((a.x2-a.x1)*(a.y2-a.y1) + (b.x2-b.x1)*(b.y2-b.y1) - inter)
}
