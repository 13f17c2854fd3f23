package face_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// eng is the test process's shared engine.
func eng(t testing.TB) *face.Engine { return testenv.FaceEngine(t) }

func faces(t testing.TB) string { return filepath.Join(testenv.TestData(t), "faces") }

func load(t testing.TB, path string) *raster.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := raster.Decode(data, raster.Limits{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func detect(t testing.TB, img *raster.Image, a face.Attr) []*face.Face {
	t.Helper()
	fs, err := eng(t).Detect(context.Background(), img, a)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestDetection finds a face in every labelled photograph and none in
// pictures without one (barcode photos and a blank frame).
func TestDetection(t *testing.T) {
	_, samples, err := face.ReadPairs(filepath.Join(faces(t), "labels.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	missed := 0
	for _, s := range samples {
		if len(detect(t, load(t, s.Path), 0)) == 0 {
			missed++
			t.Logf("no face in %s", s.Path)
		}
	}
	if missed > len(samples)/100 {
		t.Errorf("no face found in %d of %d photographs", missed, len(samples))
	}
	if got := len(detect(t, load(t, filepath.Join(faces(t), "deepface", "couple.jpg")), 0)); got != 2 {
		t.Errorf("couple.jpg: %d faces, want 2", got)
	}
	blank := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range blank.Pix {
		blank.Pix[i] = 200
	}
	if n := len(detect(t, raster.FromImage(blank), 0)); n != 0 {
		t.Errorf("a blank frame: %d faces", n)
	}
	barcodes, _ := filepath.Glob(filepath.Join(testenv.TestData(t), "documents", "pdf417", "*.png"))
	falsePos := 0
	for _, p := range barcodes {
		img, err := raster.Decode(mustRead(t, p), raster.Limits{})
		if err != nil {
			continue
		}
		if len(detect(t, img, 0)) > 0 {
			falsePos++
		}
	}
	if len(barcodes) == 0 || falsePos > len(barcodes)/20 {
		t.Errorf("faces found in %d of %d barcode pictures", falsePos, len(barcodes))
	}
}

func mustRead(t testing.TB, p string) []byte {
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestVerification checks the aggregate rates on every pair the labels
// allow, and on the KYC case of a small JPEG ID portrait against a photo.
func TestVerification(t *testing.T) {
	pairs, _, err := face.ReadPairs(filepath.Join(faces(t), "labels.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := eng(t).Evaluate(context.Background(), pairs, face.EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	r.Report(&b)
	t.Logf("full photos:\n%s", b.String())
	if r.Genuine < 200 || r.Impostor < 5000 {
		t.Fatalf("only %d genuine and %d impostor pairs", r.Genuine, r.Impostor)
	}
	if r.EER > 0.005 || r.TAR01 < 0.99 || r.FARDefault > 0.001 || r.TARDefault < 0.99 {
		t.Errorf("EER %.2f%%, TAR@FAR0.1%% %.2f%%, at the default threshold TAR %.2f%% FAR %.3f%%; want ≤0.5%%, ≥99%%, ≥99%%, ≤0.1%%",
			100*r.EER, 100*r.TAR01, 100*r.TARDefault, 100*r.FARDefault)
	}
	// An ID portrait whose face is 80 px wide (the portrait 128 px), JPEG 60.
	p, err := eng(t).Evaluate(context.Background(), pairs, face.EvalOptions{PortraitWidth: 128, PortraitQuality: 60})
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	p.Report(&b)
	t.Logf("ID portraits (face 80 px):\n%s", b.String())
	if p.TARDefault < 0.98 || p.FARDefault > 0.001 {
		t.Errorf("80-px portraits at the default threshold: TAR %.2f%%, FAR %.3f%%; want ≥98%%, ≤0.1%%", 100*p.TARDefault, 100*p.FARDefault)
	}
}

func TestCompare(t *testing.T) {
	ctx := context.Background()
	a := load(t, filepath.Join(faces(t), "deepface", "img1.jpg"))
	couple := load(t, filepath.Join(faces(t), "deepface", "couple.jpg"))
	other := load(t, filepath.Join(faces(t), "deepface", "img3.jpg"))
	c, err := eng(t).Compare(ctx, a, couple, face.DefaultThreshold)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Matches) != 1 || len(c.Unmatched) != 1 || c.Matches[0].Similarity < face.DefaultThreshold {
		t.Errorf("img1 vs couple: %d matches, %d unmatched", len(c.Matches), len(c.Unmatched))
	}
	c, err = eng(t).Compare(ctx, a, other, face.DefaultThreshold)
	if err != nil || len(c.Matches) != 0 || c.Best().Similarity >= face.DefaultThreshold {
		t.Errorf("img1 vs img3 (another person): %+v, %v", c, err)
	}
	blank := raster.FromImage(image.NewGray(image.Rect(0, 0, 200, 200)))
	if _, err := eng(t).Compare(ctx, blank, a, 80); kyc.ErrorCode(err) != kyc.NoFace {
		t.Errorf("Compare(no face, face) = %v, want no_face", err)
	}
	if _, err := eng(t).Compare(ctx, a, blank, 80); kyc.ErrorCode(err) != kyc.NoFace {
		t.Errorf("Compare(face, no face) = %v, want no_face", err)
	}
}

// TestPose checks that frontal photographs are near 0° yaw and that a
// turned face and its mirror image turn opposite ways.
func TestPose(t *testing.T) {
	_, samples, _ := face.ReadPairs(filepath.Join(faces(t), "labels.tsv"))
	var yaws []float64
	turned, flipped := 0, 0
	for _, s := range samples {
		img := load(t, s.Path)
		f := face.Largest(detect(t, img, face.AttrPose))
		if f == nil {
			continue
		}
		yaws = append(yaws, math.Abs(f.Pose.Yaw))
		if math.Abs(f.Pose.Yaw) >= 15 {
			turned++
			m := face.Largest(detect(t, img.Mirror(), face.AttrPose))
			if m != nil && m.Pose.Yaw*f.Pose.Yaw < 0 && math.Abs(m.Pose.Yaw) >= 8 {
				flipped++
			}
		}
	}
	sort.Float64s(yaws)
	if med := yaws[len(yaws)/2]; med > 15 {
		t.Errorf("median |yaw| of the portraits = %.1f°, want < 15°", med)
	}
	if turned == 0 || float64(flipped) < 0.9*float64(turned) {
		t.Errorf("of %d turned faces, %d turn the other way when mirrored", turned, flipped)
	}
	// A mostly frontal press photo.
	f := face.Largest(detect(t, load(t, filepath.Join(faces(t), "deepface", "img1.jpg")), face.AttrPose))
	if math.Abs(f.Pose.Yaw) >= 15 {
		t.Errorf("img1.jpg yaw = %.1f°, want |yaw| < 15°", f.Pose.Yaw)
	}
}

// TestEyes classifies the labelled open- and closed-eye faces.
func TestEyes(t *testing.T) {
	rate := func(dir string, wantOpen bool) (float64, int) {
		paths, _ := filepath.Glob(filepath.Join(faces(t), "eyes", dir, "*.jpg"))
		right, n := 0, 0
		for _, p := range paths {
			f := face.Largest(detect(t, load(t, p), face.AttrEyes))
			if f == nil {
				continue
			}
			n++
			if (f.EyesOpen >= 0.5) == wantOpen {
				right++
			}
		}
		return float64(right) / float64(max(n, 1)), n
	}
	open, nOpen := rate("open", true)
	closed, nClosed := rate("closed", false)
	t.Logf("eyes: %.1f%% of %d open and %.1f%% of %d closed faces right", 100*open, nOpen, 100*closed, nClosed)
	if nOpen < 250 || nClosed < 200 || open < 0.9 || closed < 0.9 {
		t.Errorf("open %.1f%% (%d), closed %.1f%% (%d); want ≥90%% each", 100*open, nOpen, 100*closed, nClosed)
	}
}

// TestSmile reads the labelled expression photographs.
func TestSmile(t *testing.T) {
	smile := func(name string) float64 {
		f := face.Largest(detect(t, load(t, filepath.Join(faces(t), "faceapi", name)), face.AttrSmile))
		if f == nil {
			t.Fatalf("no face in %s", name)
		}
		return f.Smile
	}
	if s := smile("happy.jpg"); s < 0.8 {
		t.Errorf("happy.jpg smile = %.2f, want ≥ 0.8", s)
	}
	for _, name := range []string{"neutral.jpg", "angry.jpg", "sad.jpg"} {
		if s := smile(name); s > 0.5 {
			t.Errorf("%s smile = %.2f, want < 0.5", name, s)
		}
	}
}

// TestDecodeRefuses checks every kind of bad image gets its code.
func TestDecodeRefuses(t *testing.T) {
	good := mustRead(t, filepath.Join(faces(t), "deepface", "img1.jpg"))
	tiny := encodeJPEG(t, image.NewRGBA(image.Rect(0, 0, 1, 1)))
	tests := []struct {
		name string
		data []byte
		want kyc.Code
	}{
		{"truncated JPEG", good[:len(good)/2], kyc.Invalid},
		{"1×1 image", tiny, kyc.Invalid},
		{"20000×20000 PNG", testenv.PNGHeader(20000, 20000), kyc.TooLarge},
		{"6000×4500 PNG (27 MP)", testenv.PNGHeader(6000, 4500), kyc.TooLarge},
		{"29999×1333 PNG", testenv.PNGHeader(29999, 1333), kyc.TooLarge},
		{"12500×2000 PNG (a side too long)", testenv.PNGHeader(12500, 2000), kyc.TooLarge},
		{"10000×400 PNG (a strip)", testenv.PNGHeader(10000, 400), kyc.Invalid},
		{"GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), kyc.UnsupportedMedia},
		{"text", []byte("hello, this is not an image"), kyc.UnsupportedMedia},
		{"empty", nil, kyc.UnsupportedMedia},
		{"corrupt header", append([]byte{0xFF, 0xD8, 0xFF, 0xC0, 0, 3}, make([]byte, 40)...), kyc.Invalid},
	}
	for _, tt := range tests {
		if _, err := raster.Decode(tt.data, raster.Limits{}); kyc.ErrorCode(err) != tt.want {
			t.Errorf("%s: raster.Decode() = %v, want %s", tt.name, err, tt.want)
		}
	}
}

// TestEXIFOrientation stores a face turned on its side with the EXIF tag
// that says so: decoding turns it upright and the face is found.
func TestEXIFOrientation(t *testing.T) {
	img := load(t, filepath.Join(faces(t), "deepface", "img2.jpg")).ToRGBA()
	b := img.Bounds()
	// Rotate 90° clockwise: a camera held sideways. Orientation 8 tells a
	// viewer to rotate it back 90° counter-clockwise... the tag for pixels
	// stored rotated 90° clockwise is 8.
	rot := image.NewRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			rot.Set(b.Dy()-1-y, x, img.At(x, y))
		}
	}
	raw := encodeJPEG(t, rot)
	sideways, _ := raster.Decode(raw, raster.Limits{})
	tagged, err := raster.Decode(withOrientation(raw, 8), raster.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if tagged.W != b.Dx() || tagged.H != b.Dy() {
		t.Errorf("decoded %s, want %d×%d upright", tagged, b.Dx(), b.Dy())
	}
	up := face.Largest(detect(t, tagged, face.AttrPose))
	if up == nil || math.Abs(up.Pose.Roll) > 20 {
		t.Errorf("upright face: %+v", up)
	}
	if f := face.Largest(detect(t, sideways, face.AttrPose)); f != nil && math.Abs(f.Pose.Roll) < 45 {
		t.Logf("note: a face was found in the sideways image with roll %.0f°", f.Pose.Roll)
	}
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withOrientation inserts an EXIF segment holding an orientation tag right
// after the JPEG's start-of-image marker.
func withOrientation(jpg []byte, o uint16) []byte {
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")
	binary.Write(&tiff, binary.BigEndian, uint32(8)) // IFD0 offset
	binary.Write(&tiff, binary.BigEndian, uint16(1)) // one entry
	binary.Write(&tiff, binary.BigEndian, []uint16{0x0112, 3})
	binary.Write(&tiff, binary.BigEndian, uint32(1))
	binary.Write(&tiff, binary.BigEndian, []uint16{o, 0})
	binary.Write(&tiff, binary.BigEndian, uint32(0)) // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	app1 := []byte{0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}
	out := append([]byte{}, jpg[:2]...)
	out = append(out, app1...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// TestConcurrentUse runs detections and comparisons from many goroutines on
// a two-worker engine: results match the sequential ones (run with -race).
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	a := load(t, filepath.Join(faces(t), "face_recognition", "examples__obama-480p.jpg"))
	b := load(t, filepath.Join(faces(t), "face_recognition", "examples__obama-720p.jpg"))
	want, err := eng(t).Compare(ctx, a, b, face.DefaultThreshold)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			if i%2 == 0 {
				c, err := eng(t).Compare(ctx, a, b, face.DefaultThreshold)
				if err == nil && math.Abs(c.Best().Cosine-want.Best().Cosine) > 1e-6 {
					err = fmt.Errorf("cosine %.6f, want %.6f", c.Best().Cosine, want.Best().Cosine)
				}
				errs <- err
				return
			}
			fs, err := eng(t).Detect(ctx, a, face.AttrLiveness)
			if err == nil && len(fs) != 1 {
				err = fmt.Errorf("%d faces", len(fs))
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
