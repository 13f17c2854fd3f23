package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kycd/kycd/internal/headgen"
	"github.com/kycd/kycd/internal/testenv"
)

// axeSource is axe-core's script (scripts/setup.sh --test installs it
// under KYCD_TOOLS_DIR); the test fails in CI without it, and skips
// elsewhere.
func axeSource(t *testing.T) string {
	t.Helper()
	p := filepath.Join(os.Getenv("KYCD_TOOLS_DIR"), "axe-core", "node_modules", "axe-core", "axe.min.js")
	b, err := os.ReadFile(p)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("axe-core is missing (%v): scripts/setup.sh --test installs it", err)
		}
		t.Skipf("axe-core is not installed at %s: scripts/setup.sh --test installs it", p)
	}
	return string(b)
}

// axeViolation is one rule a page breaks, with the elements that break it.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// axeCheck runs axe-core on the page ctx shows: the violations of serious
// or critical impact (WCAG 2.1 A and AA rules and best practices).
func axeCheck(ctx context.Context, src string) ([]axeViolation, error) {
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](src+";true")); err != nil {
		return nil, fmt.Errorf("inject axe-core: %w", err)
	}
	return chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {resultTypes: ["violations"]}).then(r =>
		r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
			id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(" ")).slice(0, 5)})))`,
		chromedp.EvalAwaitPromise))
}

// TestAccessibility (issue 16): every page an applicant meets, at phone
// size, in English and German, and the reviewers' console at desktop
// size, have no accessibility violation of serious or critical impact by
// axe-core; the 404 page and the hosted flow's pages included. With
// KYCD_SCREENSHOTS=DIR it saves a picture of each (scripts/screenshots.sh).
func TestAccessibility(t *testing.T) {
	src := axeSource(t)
	env := []string{"KYCD_DATA_DIR=" + t.TempDir(), "OMP_THREAD_LIMIT=1", "KYCD_LIVENESS_CHALLENGES=turn_left,look_up,light"}
	p := startKycd(t, env...)
	const pw = "correct-horse-battery"
	signedUpUser(t, p.url, "ada@example.com", pw)
	admin := api{t: t, base: p.url, token: adminToken(t, p.url, env)}
	key := admin.json("POST", "/v1/api-keys", map[string]any{"name": "shop", "roles": []string{"integrator"}}, 201)["key"].(string)
	link := api{t: t, base: p.url, token: key}.json("POST", "/v1/verification-sessions", map[string]any{"reference": "r"}, 201)["url"].(string)

	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	shots := os.Getenv("KYCD_SCREENSHOTS") // scripts/screenshots.sh: a picture of every page checked
	check := func(ctx context.Context, what string) {
		t.Helper()
		if shots != "" {
			if jpg, err := chromedp.Run(ctx, chromedp.FullScreenshot(70)); err == nil {
				name := strings.Trim(strings.NewReplacer(" ", "-", "/", "-", "?", "-", "=", "-", "&", "-", ",", "", "'", "").Replace(what), "-")
				os.WriteFile(filepath.Join(shots, strings.ReplaceAll(name, "--", "-")+".jpg"), jpg, 0o644)
			}
		}
		vs, err := axeCheck(ctx, src)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			return
		}
		for _, v := range vs {
			t.Errorf("%s: %s (%s): %s at %v", what, v.ID, v.Impact, v.Help, v.Targets)
		}
	}
	for _, lang := range []string{"en", "de"} {
		ctx := newBrowser(t) // a phone's window
		visit := func(path string, then ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			if err := chromedp.Do(ctx, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(p.url + path + sep + "lang=" + lang)}, then...)...); err != nil {
				t.Fatalf("%s %s: %v", lang, path, err)
			}
			check(ctx, lang+" "+path)
		}
		visit("/")
		visit("/signup")
		visit("/signin")
		visit("/forgot")
		visit("/no/such/page")
		if err := chromedp.Do(ctx, signIn(p.url, "ada@example.com", pw)...); err != nil {
			t.Fatal(err)
		}
		visit("/account")
		visit("/verify")
		if lang == "en" {
			if err := chromedp.Do(ctx, chromedp.Click(css("#verify-start")), chromedp.WaitVisible(css("#go-liveness"))); err != nil {
				t.Fatal(err)
			}
		}
		visit("/verify", chromedp.WaitVisible(css("#go-liveness")))
		visit("/liveness?next=/verify")
		// The hosted flow: a session's link, in a browser of its own.
		if lang == "en" {
			hosted := newBrowser(t)
			if err := chromedp.Do(hosted, chromedp.Navigate(link), chromedp.WaitVisible(css("#go-liveness")),
				chromedp.Click(css("#handoff-start")), chromedp.WaitVisible(css("#handoff-qr"))); err != nil {
				t.Fatal(err)
			}
			check(hosted, "hosted /verify with the hand-off")
			if err := chromedp.Do(hosted, chromedp.Navigate(link)); err != nil {
				t.Fatal(err)
			}
			check(hosted, "a used link's page")
		}
	}

	// The document's steps, on a case the API drives to each state (the
	// browser's own selfie check is TestBrowserJourney's), each seen in
	// both languages: the upload, the check of what was read with the
	// form to say a field is wrong, the result.
	eng := testenv.FaceEngine(t)
	ada := api{t: t, base: p.url, token: api{t: t, base: p.url}.json("POST", "/v1/auth/signin",
		map[string]string{"email": "ada@example.com", "password": pw}, 200)["access_token"].(string)}
	vid := ada.json("POST", "/v1/verifications", nil, 201)["id"].(string)
	ada.liveness(vid, testenv.NewPerson(t, eng, headgen.Solid, 1))
	phone := newBrowser(t)
	if err := chromedp.Do(phone, signIn(p.url, "ada@example.com", pw)...); err != nil {
		t.Fatal(err)
	}
	both := func(what string, then ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		for _, lang := range []string{"en", "de"} {
			if err := chromedp.Do(phone, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(p.url + "/verify?lang=" + lang)}, then...)...); err != nil {
				t.Fatalf("%s %s: %v", lang, what, err)
			}
			check(phone, lang+" /verify "+what)
		}
	}
	both("document step", chromedp.WaitVisible(css("#upload-form")))
	ada.parts("/v1/verifications/"+vid+"/documents", 202, "front", passport(t, eng, "face_recognition/examples__obama-480p.jpg", 1))
	ada.waitRead(vid, 90*time.Second)
	both("check step", chromedp.WaitVisible(css("#fields")), chromedp.Click(css("#dispute summary")), chromedp.WaitVisible(css("#dispute-send")))
	if err := chromedp.Do(phone, chromedp.Navigate(p.url+"/verify?lang=en"), chromedp.Click(css("#dispute summary")),
		chromedp.Click(css(`input[name="field"][value="LAST_NAME"]`)), chromedp.Click(css("#dispute-send")),
		chromedp.WaitVisible(css("#dispute-recorded"))); err != nil {
		t.Fatal(err)
	}
	check(phone, "en /verify a field said to be wrong")
	if err := chromedp.Do(phone, chromedp.Click(css("#submit-case")), chromedp.WaitVisible(css(`#outcome[data-status="needs_review"]`))); err != nil {
		t.Fatal(err)
	}
	both("result", chromedp.WaitVisible(css(`#outcome[data-status="needs_review"]`)))

	// The reviewers' console, on a desktop, by a reviewer (a reviewer does
	// not review their own case).
	signedUpUser(t, p.url, "rex@example.com", pw)
	admin.json("POST", "/v1/admin/users/"+userID(t, admin, "rex@example.com")+"/roles", map[string]any{"roles": []string{"reviewer"}}, 200)
	desk := newBrowser(t, chromedp.WindowSize(1280, 900))
	if err := chromedp.Do(desk, signIn(p.url, "rex@example.com", pw)...); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/review?status=all", "/review"} {
		if err := chromedp.Do(desk, chromedp.Navigate(p.url+path)); err != nil {
			t.Fatal(err)
		}
		check(desk, path)
	}
	steps := []struct {
		what    string
		actions []chromedp.Action[chromedp.Void]
	}{
		{"a case", []chromedp.Action[chromedp.Void]{chromedp.Click(css("#cases a")), chromedp.WaitVisible(css("#case-disputed"))}},
		{"a claimed case", []chromedp.Action[chromedp.Void]{chromedp.Click(css("#claim")), chromedp.WaitVisible(css("#release"))}},
		{"a case, the reject and request forms open", []chromedp.Action[chromedp.Void]{chromedp.Click(css("#reject-details summary")),
			chromedp.Click(css("#request-details summary")), chromedp.WaitVisible(css("#request-document"))}},
		{"a case, zoomed by its key", []chromedp.Action[chromedp.Void]{chromedp.KeyEvent("z"), chromedp.WaitVisible(css("figure.viewer.zoomed"))}},
	}
	for _, s := range steps {
		if err := chromedp.Do(desk, s.actions...); err != nil {
			t.Fatalf("%s: %v", s.what, err)
		}
		check(desk, s.what)
	}
}

// userID finds an account's id by its e-mail address (admin).
func userID(t *testing.T, admin api, email string) string {
	t.Helper()
	status, out := admin.call("GET", "/v1/admin/users", "", nil)
	var users []struct {
		ID    string `json:"user_id"`
		Email string
	}
	raw, _ := out["raw"].(string)
	if err := json.Unmarshal([]byte(raw), &users); status != 200 || err != nil {
		t.Fatalf("list users: %d %v %v", status, err, out)
	}
	for _, u := range users {
		if u.Email == email {
			return u.ID
		}
	}
	t.Fatalf("no account %s", email)
	return ""
}
