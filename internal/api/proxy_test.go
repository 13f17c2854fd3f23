package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kycd/kycd/internal/api"
)

// forgot sends one rate-limited request with forwarding headers.
func (e *env) forgot(headers map[string]string) int {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/auth/forgot-password", strings.NewReader(`{"email":"x@example.com"}`))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return e.send(req, cred{}).status
}

// TestForwardedForFromUntrustedHopIgnored (issue 17): without trusted
// proxies a client that writes its own X-Forwarded-For or Forwarded header
// is still itself: a new made-up address per request does not escape the
// per-address limit.
func TestForwardedForFromUntrustedHopIgnored(t *testing.T) {
	e := newEnv(t, envOptions{rateLimit: 3})
	for i := range 3 {
		if s := e.forgot(map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i)}); s != 202 {
			t.Fatalf("request %d: %d", i, s)
		}
	}
	for _, h := range []map[string]string{{"X-Forwarded-For": "198.51.100.7"}, {"Forwarded": "for=198.51.100.8"}} {
		if s := e.forgot(h); s != 429 {
			t.Errorf("a made-up forwarding header %v escapes the limit: %d", h, s)
		}
	}
}

// TestTrustedProxy (issue 17): behind a trusted proxy (here the test's
// loopback peer) the client is the nearest untrusted address of the chain:
// two clients are limited apart, and what a client wrote to the left of
// what the proxy appended does not make it someone else.
func TestTrustedProxy(t *testing.T) {
	trusted, err := api.ParseTrustedProxies("127.0.0.0/8, ::1")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{rateLimit: 3, trustedProxies: trusted})
	for i := range 3 {
		if s := e.forgot(map[string]string{"X-Forwarded-For": "203.0.113.5"}); s != 202 {
			t.Fatalf("request %d: %d", i, s)
		}
	}
	for _, h := range []map[string]string{
		{"X-Forwarded-For": "203.0.113.5"},
		{"X-Forwarded-For": "198.51.100.1, 203.0.113.5"},           // the client's own header, then the proxy's entry
		{"X-Forwarded-For": "198.51.100.2, 203.0.113.5, 10.9.9.9"}, // an untrusted hop nearer than the client: it is the client
		{"Forwarded": `for="198.51.100.3", for=203.0.113.5`},
	} {
		want := 429
		if strings.HasSuffix(h["X-Forwarded-For"], "10.9.9.9") {
			want = 202
		}
		if s := e.forgot(h); s != want {
			t.Errorf("%v = %d, want %d", h, s, want)
		}
	}
	if s := e.forgot(map[string]string{"X-Forwarded-For": "203.0.113.6"}); s != 202 {
		t.Errorf("another client behind the proxy is limited with the first: %d", s)
	}
	if s := e.forgot(map[string]string{"Forwarded": "for=[2001:db8::1]:4711"}); s != 202 {
		t.Errorf("an IPv6 client in Forwarded: %d", s)
	}
	for _, bad := range []string{"10.0.0.0/33", "not-an-address"} {
		if _, err := api.ParseTrustedProxies(bad); err == nil {
			t.Errorf("trusted proxies %q accepted", bad)
		}
	}
}

// TestAccessLogErrorsOnly (issue 17): access-log errors logs failed (and
// slow) requests only; off logs none.
func TestAccessLogErrorsOnly(t *testing.T) {
	e := newEnv(t, envOptions{accessLog: api.AccessLogErrors})
	e.must(e.do("GET", "/healthz", nil, cred{}), 200)
	e.do("GET", "/v1/no-such-route", nil, cred{})
	logs := e.logs.String()
	if strings.Contains(logs, "route=\"GET /healthz\"") || !strings.Contains(logs, "status=404") {
		t.Errorf("access log in errors mode:\n%s", logs)
	}
	e = newEnv(t, envOptions{accessLog: api.AccessLogOff})
	e.do("GET", "/v1/no-such-route", nil, cred{})
	if strings.Contains(e.logs.String(), "msg=request") {
		t.Errorf("access log off:\n%s", e.logs.String())
	}
}
