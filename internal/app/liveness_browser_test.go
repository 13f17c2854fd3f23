package app_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/testenv"
)

// signedUpUser creates and confirms an account on a running kycd.
func signedUpUser(t *testing.T, base, email, pw string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": pw})
	res, err := http.Post(base+"/v1/auth/signup", "application/json", bytes.NewReader(body))
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("signup: %v %v", res.StatusCode, err)
	}
	res.Body.Close()
	body, _ = json.Marshal(map[string]string{"email": email, "code": mailboxCode(t, base, email)})
	res, err = http.Post(base+"/v1/auth/confirm", "application/json", bytes.NewReader(body))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("confirm: %v %v", res.StatusCode, err)
	}
	res.Body.Close()
}

// signIn is the browser steps of signing in at the /signin page.
func signIn(base, email, pw string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/signin"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#account-email")),
	}
}

// livenessInBrowser signs in and runs the liveness page with a fake camera
// playing mjpeg, returning the result's status.
func livenessInBrowser(t *testing.T, p *proc, email, pw string, mjpeg []byte) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "camera.mjpeg")
	if err := os.WriteFile(file, mjpeg, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", file),
	)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	err := chromedp.Do(ctx, append(signIn(p.url, email, pw),
		chromedp.Navigate(p.url+"/liveness"),
		chromedp.WaitVisible(css("#start")),
		chromedp.Click(css("#start")),
		chromedp.WaitVisible(css("#result")),
	)...)
	if err != nil {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(css("main")))
		t.Fatalf("liveness page: %v\n%s\nkycd log:\n%s", err, html, p.stderr.String())
	}
	status, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("result").dataset.status`))
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("KYCD_SCREENSHOTS"); dir != "" {
		png, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		os.WriteFile(filepath.Join(dir, "liveness-"+status+".png"), png, 0o644)
	}
	return status
}

// TestBrowserLiveness runs the capture page in headless Chromium with a fake
// camera against a real kycd: a recording of one person meeting the
// challenges passes, a still photo fails.
func TestBrowserLiveness(t *testing.T) {
	e, err := face.New(testenv.ModelsDir(t), face.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	sequence := testenv.LivenessSequence(t, e)
	still := testenv.CameraFrame(t, e, testenv.FrontalPhoto, false, 0.3)
	e.Close()

	p := startKycd(t, "KYCD_DATA_DIR="+t.TempDir(), "KYCD_LIVENESS_CHALLENGES=turn_left,come_closer,turn_right")
	const pw = "correct-horse-battery"
	signedUpUser(t, p.url, "live.one@example.com", pw)
	signedUpUser(t, p.url, "live.two@example.com", pw)

	start := time.Now()
	if got := livenessInBrowser(t, p, "live.one@example.com", pw, testenv.MJPEG(sequence, 30)); got != "succeeded" {
		t.Errorf("the challenge sequence: %q, want succeeded\n%s", got, p.stderr.String())
	}
	t.Logf("sequence decided in %v", time.Since(start).Round(time.Second))
	if got := livenessInBrowser(t, p, "live.two@example.com", pw, testenv.MJPEG([][]byte{still}, 30)); got != "failed" {
		t.Errorf("a still photo: %q, want failed", got)
	}
	if strings.Contains(p.stderr.String(), "level=ERROR") {
		t.Errorf("errors in the log:\n%s", p.stderr.String())
	}
}
