package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kycd/kycd/internal/headgen"
	"github.com/kycd/kycd/internal/liveness"
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
// playing mjpeg, pressing Start again (as the page offers) until the check
// passes or it was tried tries times. It returns the last result's status
// and the reasons of every failed try.
func livenessInBrowser(t *testing.T, p *proc, email, pw string, mjpeg []byte, tries int) (string, []string) {
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
	err := chromedp.Do(ctx, append(signIn(p.url, email, pw),
		chromedp.Navigate(p.url+"/liveness"),
		chromedp.WaitVisible(chromedp.CSS("#start")),
	)...)
	if err != nil {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		t.Fatalf("liveness page: %v\n%s\nkycd log:\n%s", err, html, p.stderr.String())
	}
	logAt := len(p.stderr.String())
	status, reasons, err := selfieCheck(t, ctx, tries)
	if err != nil {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		t.Fatalf("liveness page: %v\n%s\nkycd log:\n%s", err, html, p.stderr.String())
	}
	if len(reasons) > 0 { // what the server measured on the failed tries
		for _, line := range strings.Split(p.stderr.String()[logAt:], "\n") {
			if strings.Contains(line, `msg="liveness decided"`) && strings.Contains(line, "status=failed") {
				t.Log(line[strings.Index(line, "status="):])
			}
		}
	}
	if dir := os.Getenv("KYCD_SCREENSHOTS"); dir != "" {
		png, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		os.WriteFile(filepath.Join(dir, "liveness-"+status+".png"), png, 0o644)
	}
	return status, reasons
}

// selfieCheck presses the liveness page's Start until the check passes or
// it was tried tries times, as an applicant does when the page says "Try
// again" (a loaded machine's fake camera can stall long enough to break a
// movement: the check's own error rates are measured by kycd eval
// liveness, not here). It returns the last status and the reasons of every
// failed try.
func selfieCheck(t *testing.T, ctx context.Context, tries int) (status string, reasons []string, err error) {
	t.Helper()
	for try := 1; try <= tries; try++ {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#start")), chromedp.WaitVisible(chromedp.CSS("#result"))); err != nil {
			return "", reasons, err
		}
		status, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("result").dataset.status`))
		if err != nil || status == "succeeded" {
			return status, reasons, err
		}
		why, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("result").dataset.reasons`))
		reasons = append(reasons, strings.Fields(why)...)
		t.Logf("selfie check try %d: %s %s", try, status, why)
	}
	return status, reasons, nil
}

// browserChallenges is the order the browser tests fix: the light
// challenge cannot be met by a recorded camera (the colours are drawn when
// it is asked), so it runs on its own.
var browserChallenges = []liveness.Challenge{liveness.TurnLeft, liveness.LookUp, liveness.ComeCloser}

// recording is a person (or a print of one) meeting browserChallenges, as
// Chromium's fake camera plays it: 30 frames a second, a new picture every
// third one. (15 pictures a second was tried: the journey's applicant then
// failed 5 tries of 5 on an idle machine, where 10 pass on the first.)
func recording(t *testing.T, shape headgen.Shape) []byte {
	frames := testenv.NewPerson(t, testenv.FaceEngine(t), shape, 1).Choreography(liveness.Fixed(browserChallenges), 10, 2500*time.Millisecond)
	return testenv.MJPEG(frames, 3)
}

// TestBrowserLiveness runs the capture page in headless Chromium with a fake
// camera against a real kycd: a recording of one person meeting the
// challenges passes; the same moves made by a print of the person, and a
// still photo, fail. With the light challenge, the page shows the colours
// and says when (a recording does not echo them: it fails on the light, not
// on a timeout).
func TestBrowserLiveness(t *testing.T) {
	person, print := recording(t, headgen.Solid), recording(t, headgen.Flat)
	still := testenv.CameraFrame(t, testenv.FaceEngine(t), testenv.FrontalPhoto, false, 0.3)

	order := []string{}
	for _, c := range browserChallenges {
		order = append(order, string(c))
	}
	p := startKycd(t, "KYCD_DATA_DIR="+t.TempDir(), "KYCD_LIVENESS_CHALLENGES="+strings.Join(order, ","))
	const pw = "correct-horse-battery"
	for _, u := range []string{"live.one", "live.two", "live.three"} {
		signedUpUser(t, p.url, u+"@example.com", pw)
	}

	start := time.Now()
	// Five tries, as an applicant would: the rendered person is falsely
	// rejected in some sessions (issue 13's BPCER), and one recording
	// replayed under a loaded CI runner with the race detector failed three
	// tries in a row at one step (an identity spike at look_up).
	if got, reasons := livenessInBrowser(t, p, "live.one@example.com", pw, person, 5); got != "succeeded" {
		t.Errorf("a person meeting the challenges: %q %v, want succeeded\n%s", got, reasons, p.stderr.String())
	}
	t.Logf("a person decided in %v", time.Since(start).Round(time.Second))
	if got, reasons := livenessInBrowser(t, p, "live.two@example.com", pw, print, 2); got != "failed" {
		t.Errorf("a print moved as asked, tried twice: %q %v, want failed", got, reasons)
	} else {
		t.Logf("a print moved as asked: %v", reasons)
	}
	if got, reasons := livenessInBrowser(t, p, "live.three@example.com", pw, testenv.MJPEG([][]byte{still}, 30), 1); got != "failed" {
		t.Errorf("a still photo: %q %v, want failed", got, reasons)
	}
	if strings.Contains(p.stderr.String(), "level=ERROR") {
		t.Errorf("errors in the log:\n%s", p.stderr.String())
	}

	l := startKycd(t, "KYCD_DATA_DIR="+t.TempDir(), "KYCD_LIVENESS_CHALLENGES=light")
	signedUpUser(t, l.url, "live.four@example.com", pw)
	got, reasons := livenessInBrowser(t, l, "live.four@example.com", pw, person, 1)
	if got != "failed" || !(slices.Contains(reasons, liveness.ReasonTooBright) || slices.Contains(reasons, liveness.ReasonLight)) {
		t.Errorf("the light challenge with a recording: %q %v, want failed on the light (a timeout: the page did not show the colours)", got, reasons)
	}
}
