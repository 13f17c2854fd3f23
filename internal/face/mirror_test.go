package face_test

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/headgen"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/testenv"
)

// TestMirrorOnTurns measures what the mirror embedding buys on turned
// faces (docs/accuracy.md, "The extra passes"): each identity's frontal
// photo rendered as a 3-D head, turned and lifted, against its frontal
// frame, with the mirror pass always on and off. A measurement, not a
// check: run with KYCD_MEASURE=1.
func TestMirrorOnTurns(t *testing.T) {
	if os.Getenv("KYCD_MEASURE") == "" {
		t.Skip("a measurement: KYCD_MEASURE=1 runs it")
	}
	dir := testenv.ModelsDir(t)
	with, err := face.New(dir, face.Options{Workers: 1, Mirror: face.MirrorAlways})
	if err != nil {
		t.Fatal(err)
	}
	without, err := face.New(dir, face.Options{Workers: 1, Mirror: face.MirrorOff})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(filepath.Join(testenv.TestData(t), "faces", "labels.tsv"))
	sc := bufio.NewScanner(f)
	seen := map[string]bool{}
	poses := []headgen.Pose{{Yaw: 20}, {Yaw: -20}, {Yaw: 26}, {Yaw: -26}, {Yaw: 32}, {Yaw: -32}, {Pitch: 15}, {Pitch: 18}, {Distance: 2.9}}
	var below [2]int
	var sums [2]float64
	var mins = [2]float64{1, 1}
	n := 0
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 2 || strings.HasPrefix(fs[0], "#") || seen[fs[1]] {
			continue
		}
		seen[fs[1]] = true
		data, _ := os.ReadFile(filepath.Join(testenv.TestData(t), "faces", fs[0]))
		img, err := raster.Decode(data, raster.Limits{})
		if err != nil {
			continue
		}
		ff, _ := with.Detect(t.Context(), img, face.AttrPose)
		if len(ff) == 0 {
			continue
		}
		lf := face.Largest(ff)
		if lf.Pose == nil || math.Abs(lf.Pose.Yaw) > 15 {
			continue
		}
		h := headgen.Build(img, lf.Landmarks, headgen.Solid)
		ref := h.Render(headgen.Pose{}, 640, 480)
		for i, e := range []*face.Engine{with, without} {
			rf, _ := e.Detect(t.Context(), ref, face.AttrEmbedding)
			if len(rf) == 0 {
				continue
			}
			r := face.Largest(rf).Embedding
			for _, p := range poses {
				fr, _ := e.Detect(t.Context(), h.Render(p, 640, 480), face.AttrEmbedding)
				if len(fr) == 0 {
					continue
				}
				c := cos(r, face.Largest(fr).Embedding)
				sums[i] += c
				mins[i] = math.Min(mins[i], c)
				if c < 0.5 {
					below[i]++
				}
				if i == 0 {
					n++
				}
			}
		}
	}
	fmt.Printf("frames %d\nmirror: mean %.3f min %.3f below0.5 %d\nsingle: mean %.3f min %.3f below0.5 %d\n", n, sums[0]/float64(n), mins[0], below[0], sums[1]/float64(n), mins[1], below[1])
}

func cos(a, b []float32) float64 {
	var d, na, nb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return d / math.Sqrt(na*nb)
}
