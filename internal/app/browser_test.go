package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kycd/kycd/internal/totp"
)

// newBrowser starts Debian's headless Chromium for the test, with extra
// options (a fake camera, say).
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run ./scripts/test.sh, which installs it")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(390, 844), // a phone
	)
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute) // a bound, not a measure: the suite's other packages share the CPU
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

var mailCode = regexp.MustCompile(`code is (\d{6})`)

// mailboxCode reads the newest code mailed to an address from the dev mailbox.
func mailboxCode(t *testing.T, base, to string) string {
	t.Helper()
	res, err := http.Get(base + "/v1/dev/mailbox?to=" + to)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var msgs []struct{ Body string }
	json.NewDecoder(res.Body).Decode(&msgs)
	if len(msgs) == 0 {
		t.Fatalf("no mail to %s", to)
	}
	m := mailCode.FindStringSubmatch(msgs[0].Body)
	if m == nil {
		t.Fatalf("no code in %q", msgs[0].Body)
	}
	return m[1]
}

// TestBrowserSignUpAndMFA walks the account pages in a real browser against
// a real kycd: sign up, confirm with the mailed code, sign in, turn on TOTP,
// sign out, and sign in again with a code.
func TestBrowserSignUpAndMFA(t *testing.T) {
	p := startKycd(t, "KYCD_DATA_DIR="+t.TempDir())
	// Pages that need a session send anonymous visitors to sign in.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/account"} {
		res, err := noFollow.Get(p.url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/signin") {
			t.Errorf("anonymous GET %s = %d to %q, want 303 to /signin", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	ctx := newBrowser(t)
	const email, pw = "browser.user@example.com", "correct-horse-battery"
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	fail := func(what string, err error) {
		t.Helper()
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(css("main")))
		t.Fatalf("%s: %v\npage main: %s", what, err, html)
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			fail(what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			fail("read "+sel, err)
		}
		return strings.TrimSpace(v)
	}
	location := func() string {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		return strings.TrimPrefix(loc, p.url)
	}

	do("sign up",
		chromedp.Navigate(p.url+"/signup"),
		chromedp.SendKeys(css("#email"), email),
		chromedp.SendKeys(css("#password"), pw),
		chromedp.Submit(css("#password")),
		chromedp.WaitVisible(css("#code")),
	)
	if path := location(); !strings.HasPrefix(path, "/confirm") {
		t.Fatalf("after sign-up at %s, want /confirm", path)
	}
	do("confirm",
		chromedp.SendKeys(css("#code"), mailboxCode(t, p.url, email)),
		chromedp.Submit(css("#code")),
		chromedp.WaitVisible(css(`input[name="password"]`)),
	)
	if n := text(".notice"); !strings.Contains(n, "confirmed") {
		t.Errorf("sign-in page notice = %q", n)
	}
	do("sign in",
		chromedp.SendKeys(css("#password"), pw),
		chromedp.Submit(css("#password")),
		chromedp.WaitVisible(css("#account-email")),
	)
	if got := text("#account-email"); got != email {
		t.Errorf("account page shows %q", got)
	}
	do("set up MFA",
		chromedp.Click(css("#mfa-setup")),
		chromedp.WaitVisible(css("#totp-secret")),
	)
	secret := text("#totp-secret")
	raw, err := totp.Decode(secret)
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	do("verify MFA",
		chromedp.SendKeys(css("#code"), totp.Code(raw, totp.StepAt(time.Now()))),
		chromedp.Submit(css("#code")),
		chromedp.WaitVisible(css("#recovery-codes")),
	)
	codes, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#recovery-codes code")].map(e => e.textContent)`))
	if err != nil || len(codes) != 10 {
		t.Errorf("%d recovery codes shown (%v), want 10", len(codes), err)
	}
	if dir := os.Getenv("KYCD_SCREENSHOTS"); dir != "" {
		png, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		os.WriteFile(dir+"/recovery.png", png, 0o644)
	}
	do("sign out",
		chromedp.Click(css(`nav button[type="submit"]`)),
		chromedp.WaitVisible(css(`input[name="password"]`)),
	)
	do("sign in without a code",
		chromedp.SendKeys(css("#email"), email),
		chromedp.SendKeys(css("#password"), pw),
		chromedp.Submit(css("#password")),
		chromedp.WaitVisible(css("#totp_code")),
	)
	if msg := text("#error"); !strings.Contains(msg, "authenticator") {
		t.Errorf("error without a code = %q", msg)
	}
	// The enrolment used this step's code; the next step's is accepted too
	// (one step of clock skew) and has not been used.
	do("sign in with a code",
		chromedp.SendKeys(css("#password"), pw),
		chromedp.SendKeys(css("#totp_code"), totp.Code(raw, totp.StepAt(time.Now())+1)),
		chromedp.Submit(css("#totp_code")),
		chromedp.WaitVisible(css("#mfa-status")),
	)
	if got := text("#mfa-status"); got != "on" {
		t.Errorf("MFA status = %q, want on", got)
	}
}
