package testenv

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"sync"
	"testing"

	xdraw "golang.org/x/image/draw"

	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/raster"
)

// Photos from the face_recognition test set used to build camera frames of
// one person: a frontal photo (yaw −3°), a turned one (yaw −20°; mirrored,
// +20°), and another person.
const (
	FrontalPhoto = "examples__obama.jpg"
	TurnedPhoto  = "examples__knn_examples__test__obama1.jpg"
	OtherPhoto   = "examples__biden.jpg"
)

// CameraFrame makes a 640×480 JPEG camera frame from a test photograph:
// the face (mirrored if asked) scaled to faceShare of the frame's width and
// centred, as a webcam shows it.
func CameraFrame(t testing.TB, e *face.Engine, photo string, mirror bool, faceShare float64) []byte {
	t.Helper()
	img := Photo(t, photo)
	if mirror {
		img = img.Mirror()
	}
	fs, err := e.Detect(context.Background(), img, 0)
	if err != nil || len(fs) == 0 {
		t.Fatalf("no face in %s: %v", photo, err)
	}
	b := face.Largest(fs).Box
	sw := b.W / faceShare
	sh := sw * 480 / 640
	cx, cy := b.X+b.W/2, b.Y+b.H/2
	src := image.Rect(int(cx-sw/2), int(cy-sh/2), int(cx+sw/2), int(cy+sh/2))
	dst := image.NewRGBA(image.Rect(0, 0, 640, 480))
	xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), img.ToRGBA(), src, xdraw.Src, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// MJPEG concatenates frames, each repeated n times, into the motion-JPEG
// file Chromium plays as a fake camera (at 30 frames a second).
func MJPEG(frames [][]byte, n int) []byte {
	var b bytes.Buffer
	for _, f := range frames {
		for range n {
			b.Write(f)
		}
	}
	return b.Bytes()
}

var (
	faceOnce sync.Once
	faceEng  *face.Engine
	faceErr  error
)

// FaceEngine is one face engine (two workers) for the whole test process:
// loading the models takes a moment and they are read-only.
func FaceEngine(t testing.TB) *face.Engine {
	t.Helper()
	dir := ModelsDir(t)
	faceOnce.Do(func() { faceEng, faceErr = face.New(dir, face.Options{Workers: 2}) })
	if faceErr != nil {
		t.Fatal(faceErr)
	}
	return faceEng
}

// Photo decodes a test photograph of faces/face_recognition.
func Photo(t testing.TB, name string) *raster.Image {
	t.Helper()
	return Image(t, "faces", "face_recognition", name)
}

// Image decodes a test image, its path given inside the shared test data.
func Image(t testing.TB, path ...string) *raster.Image {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(append([]string{TestData(t)}, path...)...))
	if err != nil {
		t.Fatal(err)
	}
	img, err := raster.Decode(data, raster.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return img
}
