package api_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/kyc"
)

// TestWebhookSSRF (issue 11, finding 4): webhooks cannot be aimed inside
// the network. Internal destinations are refused when the webhook is made
// and again when kycd connects (a name may resolve inside later: DNS
// rebinding); credentials in the URL are never shown.
func TestWebhookSSRF(t *testing.T) {
	e := newEnv(t, envOptions{strictWebhooks: true})
	admin := e.newUser("hooks-admin@example.com")
	e.withRoles(admin, kyc.RoleAdmin)
	ac := cred{bearer: admin.access}
	for _, u := range []string{
		"http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook", "http://0.0.0.0/hook",
		"http://169.254.169.254/latest/meta-data/", "http://10.0.0.7/hook", "http://192.168.1.1/", "http://172.16.0.1/",
		"http://[fd00::1]/", "http://[::ffff:127.0.0.1]/", "http://100.64.0.1/", "http://metadata.google.internal/",
		"http://kycd.local/", "http://intranet/", e.srv.URL + "/v1/auth/signout", "ftp://example.com/", "file:///etc/passwd",
	} {
		if r := e.do("POST", "/v1/webhooks", map[string]any{"url": u}, ac); r.status != 400 {
			t.Errorf("webhook to %s = %d %s, want 400", u, r.status, r.raw)
		}
	}
	// Credentials and tokens in the URL are kept sealed, never shown.
	r := e.must(e.do("POST", "/v1/webhooks", map[string]any{"url": "https://shop:s3cret@hooks.example.com/kyc?token=t0ken"}, ac), 201)
	list := e.must(e.do("GET", "/v1/webhooks", nil, ac), 200)
	for _, shown := range []string{r.raw, list.raw} {
		if strings.Contains(shown, "s3cret") || strings.Contains(shown, "t0ken") || !strings.Contains(shown, "hooks.example.com/kyc") {
			t.Errorf("the webhook as shown: %s", shown)
		}
	}
	var stored string
	e.db.SQL().QueryRow("SELECT url FROM webhooks WHERE id = ?", r.str("id")).Scan(&stored)
	if strings.Contains(stored, "s3cret") || strings.Contains(stored, "t0ken") {
		t.Errorf("the URL's credentials are stored in clear: %s", stored)
	}

	// A public name that answers with an internal address when kycd connects.
	var hits atomic.Int32
	inside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer inside.Close()
	h := e.must(e.do("POST", "/v1/webhooks", map[string]any{"url": "https://rebinding.example.com/hook"}, ac), 201)
	e.db.SQL().Exec("UPDATE webhooks SET url = ?, target = NULL WHERE id = ?", inside.URL+"/hook", h.str("id"))
	applicant := e.newUser("hooks-applicant@example.com")
	e.must(e.do("POST", "/v1/verifications", nil, cred{bearer: applicant.access}), 201)
	d := e.firstDelivery(h.str("id"), ac)
	if hits.Load() != 0 || !strings.Contains(d["last_error"].(string), "not sent") {
		t.Errorf("a delivery to an internal address: %d requests reached it, delivery %v", hits.Load(), d)
	}
}

// TestWebhookNoRedirectsNoScan: with private destinations allowed (as the
// tests' receivers need), a 307 is not followed to where it points, and a
// failure does not say whether a port is closed or filtered.
func TestWebhookNoRedirectsNoScan(t *testing.T) {
	e := newEnv(t, envOptions{})
	admin := e.newUser("redirect-admin@example.com")
	e.withRoles(admin, kyc.RoleAdmin)
	ac := cred{bearer: admin.access}
	var inner atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inner.Add(1) }))
	defer internal.Close()
	bounce := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/admin", http.StatusTemporaryRedirect)
	}))
	defer bounce.Close()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + l.Addr().String() + "/hook"
	l.Close()

	redirecting := e.must(e.do("POST", "/v1/webhooks", map[string]any{"url": bounce.URL + "/hook"}, ac), 201).str("id")
	closedHook := e.must(e.do("POST", "/v1/webhooks", map[string]any{"url": closed}, ac), 201).str("id")
	applicant := e.newUser("redirect-applicant@example.com")
	e.must(e.do("POST", "/v1/verifications", nil, cred{bearer: applicant.access}), 201)

	d := e.firstDelivery(redirecting, ac)
	if inner.Load() != 0 || d["last_status"].(float64) != 307 {
		t.Errorf("a redirect: the target got %d requests; delivery %v", inner.Load(), d)
	}
	d = e.firstDelivery(closedHook, ac)
	if msg := d["last_error"].(string); msg != "the endpoint could not be reached" {
		t.Errorf("a closed port is reported as %q, want the generic words", msg)
	}
}

// firstDelivery waits for a webhook's first delivery to be attempted.
func (e *env) firstDelivery(webhookID string, c cred) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := e.must(e.do("GET", "/v1/webhooks/"+webhookID+"/deliveries", nil, c), 200)
		var ds []map[string]any
		json.Unmarshal([]byte(r.raw), &ds)
		if len(ds) > 0 && ds[0]["attempts"].(float64) > 0 {
			return ds[0]
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no delivery attempt to %s: %s", webhookID, r.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
