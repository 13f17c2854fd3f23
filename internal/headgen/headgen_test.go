package headgen_test

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/headgen"
	"github.com/kycd/kycd/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// TestRenderedPose: the face engine finds the rendered head and measures
// the pose it was rendered at (the sign and roughly the size).
func TestRenderedPose(t *testing.T) {
	e := testenv.FaceEngine(t)
	h := testenv.Head(t, e, testenv.FrontalPhoto, headgen.Solid)
	var last float64
	for i, yaw := range []float64{-30, -15, 0, 15, 30} {
		img := h.Render(headgen.Pose{Yaw: yaw, Distance: 4}, 640, 480)
		if dir := os.Getenv("KYCD_HEADGEN_OUT"); dir != "" {
			f, _ := os.Create(filepath.Join(dir, "yaw"+string(rune('a'+i))+".png"))
			png.Encode(f, img.ToRGBA())
			f.Close()
		}
		fs, err := e.Detect(t.Context(), img, face.AttrPose)
		if err != nil || len(fs) != 1 {
			t.Fatalf("yaw %v: %d faces, %v", yaw, len(fs), err)
		}
		got := fs[0].Pose.Yaw
		t.Logf("rendered yaw %v: measured %.1f", yaw, got)
		if i > 0 && got >= last {
			t.Errorf("rendered yaw %v measured %.1f, not below the previous %.1f (the engine's yaw falls as the face turns right)", yaw, got, last)
		}
		last = got
	}
}
