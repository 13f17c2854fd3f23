package face

import (
	"context"
	"sort"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/raster"
)

// Calibration maps cosine similarity of embeddings to the 0–100 similarity
// kycd reports, piecewise linearly through these knots (cosine, similarity).
// Measured on the evaluation pairs (docs/accuracy.md): genuine pairs score
// cosine 0.45–0.9, impostors below 0.3.
var Calibration = [][2]float64{{0.10, 0}, {0.40, 80}, {0.70, 100}}

// DefaultThreshold is the similarity at or above which two faces match: the
// cosine where impostor pairs stay at or under 0.1% false matches on the
// evaluation set, mapped through Calibration (docs/accuracy.md).
const DefaultThreshold = 80.0

// Similarity maps a cosine to 0–100.
func Similarity(cos float64) float64 {
	k := Calibration
	if cos <= k[0][0] {
		return 0
	}
	for i := 1; i < len(k); i++ {
		if cos <= k[i][0] {
			t := (cos - k[i-1][0]) / (k[i][0] - k[i-1][0])
			return k[i-1][1] + t*(k[i][1]-k[i-1][1])
		}
	}
	return 100
}

// Match is one target face compared with the source face.
type Match struct {
	Face       *Face
	Cosine     float64
	Similarity float64
}

// Comparison is the answer of Compare, like CompareFaces.
type Comparison struct {
	Source    *Face
	Threshold float64
	Matches   []Match // at or above the threshold, most similar first
	Unmatched []Match // below it, most similar first
}

// Best is the most similar target face, matched or not; nil when the target
// has no face.
func (c *Comparison) Best() *Match {
	if len(c.Matches) > 0 {
		return &c.Matches[0]
	}
	if len(c.Unmatched) > 0 {
		return &c.Unmatched[0]
	}
	return nil
}

// Compare compares the largest face of source with every face of target. An
// image without a face is a no_face error.
func (e *Engine) Compare(ctx context.Context, source, target *raster.Image, threshold float64) (*Comparison, error) {
	var c *Comparison
	err := e.with(ctx, func(w *worker) error {
		srcFaces, err := w.detectFaces(source)
		if err != nil {
			return err
		}
		src := Largest(srcFaces)
		if src == nil {
			return kyc.Errorf(kyc.NoFace, "no face was found in the source image")
		}
		tgtFaces, err := w.detectFaces(target)
		if err != nil {
			return err
		}
		if len(tgtFaces) == 0 {
			return kyc.Errorf(kyc.NoFace, "no face was found in the target image")
		}
		if err := w.describe(source, src, AttrEmbedding|AttrQuality|AttrPose); err != nil {
			return err
		}
		c = &Comparison{Source: src, Threshold: threshold}
		for _, f := range tgtFaces {
			if err := w.describe(target, f, AttrEmbedding|AttrQuality|AttrPose); err != nil {
				return err
			}
			cos := Cosine(src.Embedding, f.Embedding)
			m := Match{Face: f, Cosine: cos, Similarity: Similarity(cos)}
			if m.Similarity >= threshold {
				c.Matches = append(c.Matches, m)
			} else {
				c.Unmatched = append(c.Unmatched, m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, l := range [][]Match{c.Matches, c.Unmatched} {
		sort.Slice(l, func(i, j int) bool { return l[i].Similarity > l[j].Similarity })
	}
	return c, nil
}
