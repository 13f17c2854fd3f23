package onnx_test

import (
	"os"
	"path/filepath"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/kycd/kycd/internal/models"
	"github.com/kycd/kycd/internal/onnx"
	"github.com/kycd/kycd/internal/testenv"
)

// TestRunDetector loads the real runtime and runs the real face detector on a
// blank frame: the runtime/library pair works and the model's shapes are the
// ones the face engine is written for.
func TestRunDetector(t *testing.T) {
	dir := testenv.ModelsDir(t)
	if err := onnx.Init(filepath.Join(dir, models.RuntimeLibrary)); err != nil {
		t.Fatal(err)
	}
	if v := onnx.Version(); v != "1.30.0" {
		t.Errorf("Version() = %q, want 1.30.0", v)
	}
	in, _ := ort.NewTensor(ort.NewShape(1, 3, 240, 320), make([]float32, 3*240*320))
	defer in.Destroy()
	scores, _ := ort.NewEmptyTensor[float32](ort.NewShape(1, 4420, 2))
	defer scores.Destroy()
	boxes, _ := ort.NewEmptyTensor[float32](ort.NewShape(1, 4420, 4))
	defer boxes.Destroy()
	inputs, outputs, err := ort.GetInputOutputInfo(filepath.Join(dir, "fr_detect.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ort.NewAdvancedSession(filepath.Join(dir, "fr_detect.onnx"),
		[]string{inputs[0].Name}, []string{outputs[0].Name, outputs[1].Name},
		[]ort.Value{in}, []ort.Value{scores, boxes}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	// A blank frame holds no face: no prior may score as one.
	data := scores.GetData()
	for i := 1; i < len(data); i += 2 {
		if data[i] > 0.65 {
			t.Fatalf("prior %d scores %.2f as a face on a blank frame", i/2, data[i])
		}
	}
	if err := onnx.Init(filepath.Join(os.TempDir(), "other.so")); err == nil {
		t.Error("Init with another library = nil error")
	}
}
