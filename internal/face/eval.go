package face

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kycd/kycd/internal/raster"
)

// Sample is one labelled photograph of an evaluation set.
type Sample struct {
	Path     string
	Identity string
}

// Pair is two photographs and whether they show the same person.
type Pair struct {
	A, B    string
	Genuine bool
}

// ReadPairs reads an evaluation list. A file of "path identity [source]"
// lines (labels.tsv) yields every pair its labels allow; a file of
// "pathA pathB 1|0" lines is taken as it is. Paths are relative to the file.
// Lines starting with # are comments.
func ReadPairs(path string) ([]Pair, []Sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	dir := filepath.Dir(path)
	var samples []Sample
	var pairs []Pair
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		switch {
		case len(fields) == 3 && (fields[2] == "0" || fields[2] == "1"):
			pairs = append(pairs, Pair{A: filepath.Join(dir, fields[0]), B: filepath.Join(dir, fields[1]), Genuine: fields[2] == "1"})
		case len(fields) >= 2:
			samples = append(samples, Sample{Path: filepath.Join(dir, fields[0]), Identity: fields[1]})
		default:
			return nil, nil, fmt.Errorf("%s:%d: want \"path identity\" or \"pathA pathB 1|0\"", path, n)
		}
	}
	if err := s.Err(); err != nil {
		return nil, nil, err
	}
	for i := range samples {
		for j := i + 1; j < len(samples); j++ {
			pairs = append(pairs, Pair{A: samples[i].Path, B: samples[j].Path, Genuine: samples[i].Identity == samples[j].Identity})
		}
	}
	return pairs, samples, nil
}

// Metrics summarise a verification experiment.
type Metrics struct {
	Genuine, Impostor int
	EER, EERCosine    float64
	TAR1, Cos1        float64 // TAR at FAR 1%, and the cosine threshold there
	TAR01, Cos01      float64 // TAR at FAR 0.1%
	// At the default threshold (DefaultThreshold, via Calibration).
	TARDefault, FARDefault float64
}

// Score computes the metrics from the cosines of genuine and impostor pairs.
func Score(genuine, impostor []float64) Metrics {
	g, im := sortedCopy(genuine), sortedCopy(impostor)
	m := Metrics{Genuine: len(g), Impostor: len(im)}
	far := func(t float64) float64 { return float64(len(im)-sort.SearchFloat64s(im, t)) / float64(max(len(im), 1)) }
	tar := func(t float64) float64 { return float64(len(g)-sort.SearchFloat64s(g, t)) / float64(max(len(g), 1)) }
	// Candidate thresholds: every observed score.
	cands := append(append([]float64{}, g...), im...)
	sort.Float64s(cands)
	best := math.Inf(1)
	for _, t := range cands {
		fa, fr := far(t), 1-tar(t)
		if d := math.Abs(fa - fr); d < best {
			best, m.EER, m.EERCosine = d, (fa+fr)/2, t
		}
	}
	atFAR := func(limit float64) (float64, float64) {
		// The lowest threshold whose FAR is within the limit.
		for _, t := range cands {
			if far(t) <= limit {
				return tar(t), t
			}
		}
		return 0, math.Inf(1)
	}
	m.TAR1, m.Cos1 = atFAR(0.01)
	m.TAR01, m.Cos01 = atFAR(0.001)
	dt := cosineFor(DefaultThreshold)
	m.TARDefault, m.FARDefault = tar(dt), far(dt)
	return m
}

// cosineFor inverts Similarity on the calibration's rising part.
func cosineFor(sim float64) float64 {
	k := Calibration
	for i := 1; i < len(k); i++ {
		if sim <= k[i][1] {
			t := (sim - k[i-1][1]) / (k[i][1] - k[i-1][1])
			return k[i-1][0] + t*(k[i][0]-k[i-1][0])
		}
	}
	return k[len(k)-1][0]
}

func sortedCopy(v []float64) []float64 {
	out := append([]float64{}, v...)
	sort.Float64s(out)
	return out
}

// Portrait makes what an ID card's photo looks like: the face cut out with
// room around it, scaled so the cut-out is width pixels wide, and JPEG
// re-encoded at quality. It returns nil when the photo has no face.
func (e *Engine) Portrait(ctx context.Context, img *raster.Image, width, quality int) (*raster.Image, error) {
	faces, err := e.Detect(ctx, img, 0)
	if err != nil || len(faces) == 0 {
		return nil, err
	}
	b := Largest(faces).Box
	// An ID portrait shows the head and the top of the shoulders: about
	// 1.6 face widths across and 2 down, the face a little above centre.
	cw, ch := 1.6*b.W, 2.0*b.W
	x0, y0 := b.X+b.W/2-cw/2, b.Y+b.H/2-0.45*ch
	h := int(math.Round(float64(width) * ch / cw))
	small := &raster.Image{W: width, H: h, Pix: make([]uint8, 3*width*h)}
	buf := make([]float32, 3*width*h)
	sampleInto(buf, img, cropAffine(x0, y0, cw, ch, width, h), width, h, layout{order: [3]int{0, 1, 2}, std: [3]float32{1, 1, 1}, scale: 1, fill: 255})
	plane := width * h
	for i := 0; i < plane; i++ {
		for c := 0; c < 3; c++ {
			small.Pix[3*i+c] = uint8(math.Max(0, math.Min(255, math.Round(float64(buf[c*plane+i])))))
		}
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, small.ToRGBA(), &jpeg.Options{Quality: quality}); err != nil {
		return nil, err
	}
	return raster.Decode(out.Bytes(), raster.Limits{MinSide: 16})
}

// EvalOptions tune Evaluate.
type EvalOptions struct {
	// PortraitWidth, when set, turns the first photo of every pair into an
	// ID-style portrait of that width (JPEG PortraitQuality) before
	// comparing: the hard case of a small printed photo against a selfie.
	PortraitWidth, PortraitQuality int
	Progress                       io.Writer
}

// EvalResult is what Evaluate measured.
type EvalResult struct {
	Metrics
	Images, NoFace int
}

// Evaluate embeds every photo of the pairs once and scores each pair as
// Compare does: the largest face of the first photo against the best
// matching face of the second. A photo without a face scores −1 in each of
// its pairs: a false reject for a genuine pair, as in production.
func (e *Engine) Evaluate(ctx context.Context, pairs []Pair, o EvalOptions) (*EvalResult, error) {
	if o.PortraitQuality == 0 {
		o.PortraitQuality = 60
	}
	res := &EvalResult{}
	// Each photo's faces, embedded: the first photo of a pair contributes its
	// largest face, the second all of its faces, as CompareFaces does.
	embed := func(path string, portrait bool) ([][]float32, error) {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		img, err := raster.Decode(data, raster.Limits{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if portrait {
			if img, err = e.Portrait(ctx, img, o.PortraitWidth, o.PortraitQuality); err != nil || img == nil {
				return nil, err
			}
		}
		faces, err := e.Detect(ctx, img, AttrEmbedding)
		if err != nil || len(faces) == 0 {
			return nil, err
		}
		out := make([][]float32, len(faces)) // largest first
		for i, f := range faces {
			out[i] = f.Embedding
		}
		return out, nil
	}
	type key struct {
		path     string
		portrait bool
	}
	cache := map[key][][]float32{}
	get := func(k key) ([][]float32, error) {
		if v, ok := cache[k]; ok {
			return v, nil
		}
		v, err := embed(k.path, k.portrait)
		if err != nil {
			return nil, err
		}
		cache[k] = v
		res.Images++
		if v == nil {
			res.NoFace++
		}
		if o.Progress != nil && res.Images%20 == 0 {
			fmt.Fprintf(o.Progress, "  %d photos embedded\n", res.Images)
		}
		return v, nil
	}
	var genuine, impostor []float64
	for _, p := range pairs {
		a, err := get(key{p.A, o.PortraitWidth > 0})
		if err != nil {
			return nil, err
		}
		b, err := get(key{p.B, false})
		if err != nil {
			return nil, err
		}
		score := -1.0
		if a != nil {
			for _, fb := range b {
				score = math.Max(score, Cosine(a[0], fb))
			}
		}
		if p.Genuine {
			genuine = append(genuine, score)
		} else {
			impostor = append(impostor, score)
		}
	}
	res.Metrics = Score(genuine, impostor)
	return res, nil
}

// Report writes the result as the eval command prints it.
func (r *EvalResult) Report(w io.Writer) {
	fmt.Fprintf(w, "photos:               %d (%d without a detected face)\n", r.Images, r.NoFace)
	fmt.Fprintf(w, "genuine pairs:        %d\n", r.Genuine)
	fmt.Fprintf(w, "impostor pairs:       %d\n", r.Impostor)
	fmt.Fprintf(w, "EER:                  %.2f%% (at cosine %.3f)\n", 100*r.EER, r.EERCosine)
	fmt.Fprintf(w, "TAR at FAR 1%%:        %.2f%% (cosine ≥ %.3f, similarity %.1f)\n", 100*r.TAR1, r.Cos1, Similarity(r.Cos1))
	fmt.Fprintf(w, "TAR at FAR 0.1%%:      %.2f%% (cosine ≥ %.3f, similarity %.1f)\n", 100*r.TAR01, r.Cos01, Similarity(r.Cos01))
	fmt.Fprintf(w, "chosen threshold:     similarity %.1f (cosine %.3f), the FAR 0.1%% point\n", Similarity(r.Cos01), r.Cos01)
	fmt.Fprintf(w, "at the default %.0f:   TAR %.2f%%, FAR %.3f%%\n", DefaultThreshold, 100*r.TARDefault, 100*r.FARDefault)
}
