package egress

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true, "93.184.216.34": true,
		"127.0.0.1": false, "127.8.9.10": false, "::1": false, "0.0.0.0": false, "::": false, "10.1.2.3": false,
		"172.31.255.255": false, "192.168.0.1": false, "169.254.169.254": false, "fe80::1": false, "fd12:3456::1": false,
		"100.64.0.1": false, "224.0.0.1": false, "255.255.255.255": false, "::ffff:127.0.0.1": false,
		"64:ff9b::7f00:1": false, "2002:7f00:1::": false, "64:ff9b::808:808": true, "198.18.0.1": false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://hooks.example.com/kyc": true, "http://93.184.216.34:8443/x": true,
		"http://127.0.0.1/": false, "http://localhost:9/": false, "http://LOCALHOST./": false, "http://a.localhost/": false,
		"http://[::1]:80/": false, "http://printer/": false, "https://svc.internal/": false, "gopher://example.com/": false,
		"https:///nohost": false, "mailto:a@example.com": false,
	} {
		if _, err := CheckURL(raw, false); (err == nil) != ok {
			t.Errorf("CheckURL(%q) = %v, want ok=%v", raw, err, ok)
		}
	}
	if _, err := CheckURL("http://127.0.0.1/", true); err != nil {
		t.Errorf("CheckURL allowing private = %v", err)
	}
}

// TestClientRefusesAtDial: a name that resolves to loopback (as a rebinding
// name would) is refused when the connection is made; allowed explicitly,
// it goes through; redirects are never followed.
func TestClientRefusesAtDial(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.URL.Path == "/bounce" {
			http.Redirect(w, r, "/final", http.StatusFound)
		}
	}))
	defer srv.Close()
	byName := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	_, err := Client(Options{}).Get(byName + "/")
	if !errors.Is(err, ErrForbidden) || hits != 0 {
		t.Errorf("GET %s = %v (%d hits), want ErrForbidden", byName, err, hits)
	}
	if Describe(err) != "not sent: "+ErrForbidden.Error() {
		t.Errorf("Describe = %q", Describe(err))
	}
	resp, err := Client(Options{AllowPrivate: true}).Get(srv.URL + "/bounce")
	if err != nil || resp.StatusCode != http.StatusFound || hits != 1 {
		t.Errorf("a redirect: %v %v, %d hits; want the 302 itself", resp, err, hits)
	}
}

func TestRedact(t *testing.T) {
	got := Redact("https://user:pa55@hooks.example.com/kyc?token=abc#frag")
	if strings.Contains(got, "pa55") || strings.Contains(got, "abc") || !strings.Contains(got, "hooks.example.com/kyc") {
		t.Errorf("Redact = %q", got)
	}
}
