package app_test

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/image/draw"

	"github.com/kycd/kycd/internal/testenv"
)

// BenchmarkImageBurst sends bursts of 12 concurrent face detections of a
// 24-megapixel photo to one kycd process and reports its peak resident
// memory (peak-MiB, from the kernel's VmHWM) and the share of requests
// refused with 503. "bounded" is kycd's default admission (one image at a
// time per CPU, twice that waiting); "unbounded" admits all 12 at once, as
// kycd did before.
func BenchmarkImageBurst(b *testing.B) {
	photo := bigPhoto(b, 6000, 4000)
	for _, c := range []struct {
		name string
		env  []string
	}{
		{"bounded", nil},
		{"unbounded", []string{"KYCD_FACE_WORKERS=12", "KYCD_ANALYSIS_QUEUE=100"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			env := append([]string{"KYCD_DATA_DIR=" + b.TempDir(), "KYCD_ANALYSIS_RATE_LIMIT=100000"}, c.env...)
			p := startKycd(b, env...)
			token := adminToken(b, p.url, env)
			var sent, refused int
			for b.Loop() {
				var wg sync.WaitGroup
				var mu sync.Mutex
				for range 12 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						status := postImage(b, p.url+"/v1/faces/detect", token, photo)
						mu.Lock()
						sent++
						if status == http.StatusServiceUnavailable {
							refused++
						} else if status != http.StatusOK {
							b.Errorf("detect = %d", status)
						}
						mu.Unlock()
					}()
				}
				wg.Wait()
			}
			b.ReportMetric(peakRSS(b, p.cmd.Process.Pid), "peak-MiB")
			b.ReportMetric(100*float64(refused)/float64(max(sent, 1)), "%503")
		})
	}
}

// bigPhoto is a real face photo scaled up to w×h, as a JPEG.
func bigPhoto(b testing.TB, w, h int) []byte {
	raw, err := os.ReadFile(filepath.Join(testenv.TestData(b), "faces", "face_recognition", "examples__obama-1080p.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	src, err := jpeg.Decode(bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	var out bytes.Buffer
	jpeg.Encode(&out, dst, &jpeg.Options{Quality: 85})
	return out.Bytes()
}

func postImage(b testing.TB, url, token string, img []byte) int {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("image", "photo.jpg")
	part.Write(img)
	mw.Close()
	req, _ := http.NewRequest("POST", url, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Error(err)
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// peakRSS is a process's peak resident memory in MiB.
func peakRSS(b testing.TB, pid int) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmHWM")
	return 0
}
