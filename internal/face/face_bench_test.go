package face_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/testenv"
)

// benchFrame is a 640×480 camera-sized frame with one face.
func benchFrame(b *testing.B) (*raster.Image, []byte) {
	b.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.TestData(b), "faces", "face_recognition", "examples__obama-480p.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	img, err := raster.Decode(data, raster.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	return img, data
}

// engines loads an engine per ONNX Runtime thread count benchmarked.
func engines(b *testing.B) map[int]*face.Engine {
	b.Helper()
	out := map[int]*face.Engine{1: eng(b)}
	e2, err := face.New(testenv.ModelsDir(b), face.Options{Workers: 1, Threads: 2})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(e2.Close)
	out[2] = e2
	return out
}

// BenchmarkStages times each model on its own, on one 854×480 frame, with
// ONNX Runtime on 1 and on 2 threads. Run with -cpu 1 for one core.
func BenchmarkStages(b *testing.B) {
	img, data := benchFrame(b)
	ctx := context.Background()
	b.Run("decode", func(b *testing.B) {
		testenv.Measure(b, func() { raster.Decode(data, raster.Limits{}) })
	})
	for threads, e := range engines(b) {
		name := fmt.Sprintf("threads=%d/", threads)
		b.Run(name+"detect+landmarks", func(b *testing.B) {
			testenv.Measure(b, func() { e.Detect(ctx, img, 0) })
		})
		faces, _ := e.Detect(ctx, img, 0)
		if len(faces) == 0 {
			b.Fatal("no face in the benchmark frame")
		}
		for _, st := range []struct {
			name string
			a    face.Attr
		}{{"pose", face.AttrPose}, {"eyes", face.AttrEyes}, {"expression", face.AttrSmile}, {"anti-spoof", face.AttrSpoof},
			{"age+gender", face.AttrAgeGender}, {"quality", face.AttrQuality}, {"embed", face.AttrEmbedding}} {
			b.Run(name+st.name, func(b *testing.B) {
				testenv.Measure(b, func() {
					f := *faces[0]
					f.Embedding = nil
					e.Describe(ctx, img, &f, st.a)
				})
			})
		}
	}
}

// BenchmarkLivenessFrame is the per-frame analysis of the liveness check:
// detection, landmarks, pose, eyes, anti-spoofing and quality; "+smile" adds
// the expression model, which runs only during a smile challenge.
func BenchmarkLivenessFrame(b *testing.B) {
	img, _ := benchFrame(b)
	ctx := context.Background()
	for threads, e := range engines(b) {
		for _, v := range []struct {
			name string
			a    face.Attr
		}{{"", face.AttrLiveness}, {"+smile", face.AttrLiveness | face.AttrSmile}} {
			b.Run(fmt.Sprintf("threads=%d%s", threads, v.name), func(b *testing.B) {
				testenv.Measure(b, func() {
					if fs, err := e.Detect(ctx, img, v.a); err != nil || len(fs) != 1 {
						b.Fatal(err)
					}
				})
			})
		}
	}
}

// BenchmarkCompare compares two photographs (both detected and embedded).
func BenchmarkCompare(b *testing.B) {
	ctx := context.Background()
	src := load(b, filepath.Join(testenv.TestData(b), "faces", "face_recognition", "examples__obama-480p.jpg"))
	dst := load(b, filepath.Join(testenv.TestData(b), "faces", "face_recognition", "examples__obama-720p.jpg"))
	for threads, e := range engines(b) {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			testenv.Measure(b, func() {
				if _, err := e.Compare(ctx, src, dst, face.DefaultThreshold); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkComparePasses is BenchmarkCompare with the extra passes as
// they were (the mirror embedding for every face), as they are (for faces
// under 80 px only: none in these photos), and with none at all (no
// mirror, one landmark fit): what each pass costs, side by side
// (docs/benchmarks.md; what each buys: docs/accuracy.md).
func BenchmarkComparePasses(b *testing.B) {
	ctx := context.Background()
	src := load(b, filepath.Join(testenv.TestData(b), "faces", "face_recognition", "examples__obama-480p.jpg"))
	dst := load(b, filepath.Join(testenv.TestData(b), "faces", "face_recognition", "examples__obama-720p.jpg"))
	for _, v := range []struct {
		name string
		opts face.Options
	}{{"mirror=always", face.Options{Mirror: face.MirrorAlways}}, {"mirror=small", face.Options{}},
		{"mirror=off,refine=off", face.Options{Mirror: face.MirrorOff, NoRefine: true}}} {
		v.opts.Workers = 1
		e, err := face.New(testenv.ModelsDir(b), v.opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(e.Close)
		b.Run(v.name, func(b *testing.B) {
			testenv.Measure(b, func() {
				if _, err := e.Compare(ctx, src, dst, face.DefaultThreshold); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
