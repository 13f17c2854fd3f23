package app_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kycd/kycd/internal/headgen"
	"github.com/kycd/kycd/internal/testenv"
)

// journeyInBrowser is an applicant's whole journey in Chromium with a fake
// camera: sign in, start, the selfie check, the document upload, the check
// of what was read, submit, and the result. It returns the outcome, the
// case's id and the reason the page tells the applicant.
func journeyInBrowser(t *testing.T, p *proc, email, pw, camera, doc string) (status, caseID, told string) {
	t.Helper()
	ctx := newBrowser(t,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", camera),
	)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	fail := func(step string, err error) {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(css("main")))
		t.Fatalf("%s: %s: %v\n%s\nkycd log:\n%s", email, step, err, html, p.stderr.String())
	}
	if err := chromedp.Do(ctx, append(signIn(p.url, email, pw),
		chromedp.Navigate(p.url+"/"),
		chromedp.Click(css("#home-verify")),
		chromedp.Click(css("#verify-start")),
		chromedp.Click(css("#go-liveness")),
	)...); err != nil {
		fail("selfie check", err)
	}
	if s, reasons, err := selfieCheck(t, ctx, 5); err != nil || s != "succeeded" { // 5: a case's cap
		fail("selfie check", fmt.Errorf("%s %v %v", s, reasons, err))
	}
	if err := chromedp.Do(ctx, chromedp.Click(css("#continue"))); err != nil {
		fail("selfie check", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(css("#front")),
		chromedp.SetUploadFiles(css("#front"), []string{doc}),
		chromedp.Click(css("#upload")),
		chromedp.WaitVisible(css("#fields")), // the page refreshes itself while the document is read
		chromedp.Click(css("#submit-case")),
	); err != nil {
		fail("document", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("outcome") || {dataset: {}}).dataset.status || ""`))
		if err == nil && s != "" && s != "processing" {
			status = s
			break
		}
		if time.Now().After(deadline) {
			fail("waiting for the decision", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	caseID, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("outcome").dataset.case`))
	told, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("advice") || {dataset: {}}).dataset.reason || ""`))
	if dir := os.Getenv("KYCD_SCREENSHOTS"); dir != "" {
		png, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		os.WriteFile(filepath.Join(dir, "journey-"+status+".png"), png, 0o644)
	}
	return status, caseID, told
}

// decided is a case's similarity and reasons, as the API tells an admin.
func decided(a api, id string) (float64, []string) {
	v := a.json("GET", "/v1/verifications/"+id, nil, 200)
	var sim float64
	if fm, ok := v["face_match"].(map[string]any); ok {
		sim = fm["similarity"].(float64)
	}
	var reasons []string
	if d, ok := v["decision"].(map[string]any); ok {
		for _, r := range d["reasons"].([]any) {
			reasons = append(reasons, r.(string))
		}
	}
	return sim, reasons
}

// TestBrowserJourney: three applicants in Chromium. The first's passport
// shows their own face: approved (the similarity, from the API). The second
// shows another person: rejected, face_mismatch, which the page tells them.
// The third is the first person on another account: needs review
// (duplicate_face, which the page does not tell them), and a reviewer signs
// in to the console and approves it.
func TestBrowserJourney(t *testing.T) {
	e := testenv.FaceEngine(t)
	dir := t.TempDir()
	camera := filepath.Join(dir, "camera.mjpeg")
	os.WriteFile(camera, recording(t, headgen.Solid), 0o644)
	docs := map[string]string{}
	for name, photo := range map[string]string{"same": "face_recognition/examples__obama-480p.jpg",
		"other": "face_recognition/examples__biden.jpg", "dup": "face_recognition/examples__obama-720p.jpg"} {
		docs[name] = filepath.Join(dir, name+".jpg")
		os.WriteFile(docs[name], passport(t, e, photo, uint64(len(name))), 0o644)
	}
	dataDir := t.TempDir()
	p := startKycd(t, "KYCD_DATA_DIR="+dataDir, "KYCD_LIVENESS_CHALLENGES=turn_left,look_up,come_closer", "OMP_THREAD_LIMIT=1")
	const pw = "correct-horse-battery"
	for _, u := range []string{"ann@example.com", "bob@example.com", "cy@example.com"} {
		signedUpUser(t, p.url, u, pw)
	}

	admin := api{t: t, base: p.url, token: adminToken(t, p.url, []string{"KYCD_DATA_DIR=" + dataDir})}
	status, id, told := journeyInBrowser(t, p, "ann@example.com", pw, camera, docs["same"])
	if sim, reasons := decided(admin, id); status != "approved" || sim < 80 || told != "" {
		t.Errorf("own passport: %s, similarity %.1f, reasons %v, told %q", status, sim, reasons, told)
	}
	status, id, told = journeyInBrowser(t, p, "bob@example.com", pw, camera, docs["other"])
	if sim, reasons := decided(admin, id); status != "rejected" || !slices.Contains(reasons, "face_mismatch") || told != "face_mismatch" {
		t.Errorf("another person's passport: %s, similarity %.1f, reasons %v, told %q", status, sim, reasons, told)
	}
	status, id, told = journeyInBrowser(t, p, "cy@example.com", pw, camera, docs["dup"])
	if _, reasons := decided(admin, id); status != "needs_review" || !slices.Contains(reasons, "duplicate_face") || told != "" {
		t.Fatalf("the same face on another account: %s, reasons %v, told %q (a fraud signal is the reviewer's)", status, reasons, told)
	}

	// The reviewer.
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte(pw+"\n"), 0o600)
	cmd := exec.Command(kycdBin, "user", "create", "--email", "rita@example.com", "--password-file", pwFile, "--role", "reviewer")
	cmd.Env = append(os.Environ(), "KYCD_DATA_DIR="+dataDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("user create: %v\n%s", err, out)
	}
	ctx := newBrowser(t)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	err := chromedp.Do(ctx, append(signIn(p.url, "rita@example.com", pw),
		chromedp.Navigate(p.url+"/review"),
		chromedp.Click(css("#cases a")),
		chromedp.WaitVisible(css("#case-fields")),
		chromedp.WaitVisible(css("#case-similarity")),
		chromedp.SendKeys(css("#note"), "Same person, new account: checked by phone."),
		chromedp.Click(css("#approve")),
		chromedp.WaitVisible(css(`#case-status[data-status="approved"]`)),
	)...)
	if err != nil {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(css("main")))
		t.Fatalf("review console: %v\n%s", err, html)
	}
	// The images load after the page: wait for them (at most 10 s).
	var imgs int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		imgs, _ = chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("main img")].filter(i => i.complete && i.naturalWidth > 0).length`))
		if imgs >= 3 || time.Now().After(deadline) {
			break
		}
	}
	if imgs < 3 {
		t.Errorf("the case page shows %d images, want the selfie, the portrait and the document", imgs)
	}
	if strings.Contains(p.stderr.String(), "level=ERROR") {
		t.Errorf("errors in the log:\n%s", p.stderr.String())
	}
}
