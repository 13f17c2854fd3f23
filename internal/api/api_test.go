package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kycd/kycd/internal/api"
	"github.com/kycd/kycd/internal/kyc"
)

type fakeCheck struct{ err error }

func (c fakeCheck) Ping(context.Context) error { return c.err }

type echoInput struct {
	Body struct {
		Name string `json:"name" minLength:"1" maxLength:"10"`
	}
}

type echoOutput struct {
	Body struct {
		Name string `json:"name"`
	}
}

// newServer returns a test server with the foundation routes plus a few
// routes that fail in each way a handler can.
func newServer(t *testing.T, checks map[string]api.Checker, logs io.Writer) *httptest.Server {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	s := api.New(api.Options{Version: "test", MaxBodyBytes: 1 << 20, Checks: checks, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	huma.Post(s.API(), "/test/echo", func(ctx context.Context, in *echoInput) (*echoOutput, error) {
		out := &echoOutput{}
		out.Body.Name = in.Body.Name
		return out, nil
	})
	huma.Get(s.API(), "/test/conflict", func(ctx context.Context, _ *struct{}) (*echoOutput, error) {
		return nil, fmt.Errorf("update: %w", kyc.Errorf(kyc.Conflict, "verification changed meanwhile"))
	})
	huma.Get(s.API(), "/test/internal", func(ctx context.Context, _ *struct{}) (*echoOutput, error) {
		return nil, errors.New("pq: password authentication failed for user kycd at 10.0.0.5")
	})
	s.Mux().HandleFunc("GET /test/panic", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

type errorBody struct {
	Error struct {
		Code      string   `json:"code"`
		Message   string   `json:"message"`
		RequestID string   `json:"request_id"`
		Details   []string `json:"details"`
	} `json:"error"`
}

func TestErrors(t *testing.T) {
	var logs strings.Builder
	srv := newServer(t, nil, &logs)
	tests := []struct {
		name, method, path, body string
		status                   int
		code, message            string
	}{
		{"unknown route", "GET", "/v1/nothing", "", 404, "not_found", "no route for GET /v1/nothing"},
		{"domain error", "GET", "/test/conflict", "", 409, "conflict", "verification changed meanwhile"},
		{"unexpected error", "GET", "/test/internal", "", 500, "internal", "internal error"},
		{"panic", "GET", "/test/panic", "", 500, "internal", "internal error"},
		{"malformed JSON", "POST", "/test/echo", `{"name":`, 400, "invalid", ""},
		{"invalid field", "POST", "/test/echo", `{"name":"far too long a name"}`, 422, "invalid", ""},
		{"wrong content type", "POST", "/test/echo", `name=x`, 415, "unsupported_media", ""},
		{"body over the limit", "POST", "/test/echo", `{"name":"` + strings.Repeat("x", 2<<20) + `"}`, 413, "too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tt.name == "wrong content type" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body errorBody
			raw, _ := io.ReadAll(res.Body)
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("body %q is not the error JSON: %v", raw, err)
			}
			if res.StatusCode != tt.status || body.Error.Code != tt.code {
				t.Errorf("%s %s = %d %s, want %d %s", tt.method, tt.path, res.StatusCode, raw, tt.status, tt.code)
			}
			if tt.message != "" && body.Error.Message != tt.message {
				t.Errorf("message = %q, want %q", body.Error.Message, tt.message)
			}
			if body.Error.Message == "" {
				t.Errorf("empty message in %s", raw)
			}
			if body.Error.RequestID == "" || body.Error.RequestID != res.Header.Get("X-Request-Id") {
				t.Errorf("request_id %q, header %q", body.Error.RequestID, res.Header.Get("X-Request-Id"))
			}
			if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "json") {
				t.Errorf("Content-Type = %q", ct)
			}
			if strings.Contains(string(raw), "10.0.0.5") || strings.Contains(string(raw), "boom") {
				t.Errorf("the error leaks internals: %s", raw)
			}
		})
	}
	// The internal failure and the panic are logged once each, with details.
	if !strings.Contains(logs.String(), "password authentication failed") || !strings.Contains(logs.String(), "panic=boom") {
		t.Errorf("internal errors not logged:\n%s", logs.String())
	}
}

func TestRequestID(t *testing.T) {
	srv := newServer(t, nil, nil)
	for _, tt := range []struct{ sent, want string }{
		{"abc-123", "abc-123"},
		{"bad id; level=ERROR", ""},
		{strings.Repeat("x", 65), ""},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/healthz", nil)
		req.Header.Set("X-Request-Id", tt.sent)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		got := res.Header.Get("X-Request-Id")
		if tt.want != "" && got != tt.want || tt.want == "" && (got == "" || got == tt.sent) {
			t.Errorf("sent %q, got request id %q", tt.sent, got)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	srv := newServer(t, nil, nil)
	for _, path := range []string{"/healthz", "/docs", "/v1/nothing"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		for h, want := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"X-Frame-Options":         "DENY",
			"Referrer-Policy":         "no-referrer",
			"Content-Security-Policy": "frame-ancestors 'none'",
			"Cache-Control":           "no-store",
		} {
			if !strings.Contains(res.Header.Get(h), want) {
				t.Errorf("GET %s: %s = %q, want %q", path, h, res.Header.Get(h), want)
			}
		}
	}
}

func TestReadiness(t *testing.T) {
	tests := []struct {
		name   string
		checks map[string]api.Checker
		status int
	}{
		{"all ok", map[string]api.Checker{"database": fakeCheck{}, "blobs": fakeCheck{}}, 200},
		{"blob store down", map[string]api.Checker{"database": fakeCheck{}, "blobs": fakeCheck{errors.New("bucket kycd: connection refused")}}, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.checks, nil)
			res, err := http.Get(srv.URL + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body struct {
				Status string            `json:"status"`
				Checks map[string]string `json:"checks"`
			}
			json.NewDecoder(res.Body).Decode(&body)
			if res.StatusCode != tt.status {
				t.Errorf("readyz = %d %+v, want %d", res.StatusCode, body, tt.status)
			}
			if tt.status == 503 && !strings.Contains(body.Checks["blobs"], "connection refused") {
				t.Errorf("readyz does not say what failed: %+v", body)
			}
		})
	}
}

func TestOpenAPIAndDocs(t *testing.T) {
	srv := newServer(t, nil, nil)
	res, err := http.Get(srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	json.NewDecoder(res.Body).Decode(&doc)
	res.Body.Close()
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if doc.Paths[p]["get"] == nil {
			t.Errorf("OpenAPI lacks GET %s", p)
		}
	}
	// The docs page and its assets come from the binary, not from a CDN.
	for _, path := range []string{"/docs", "/static/docs.js", "/static/docs.css", "/"} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Accept", "text/html")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || len(body) == 0 {
			t.Errorf("GET %s = %d", path, res.StatusCode)
		}
		for _, external := range []string{"http://", "https://", "//cdn", "unpkg", "jsdelivr"} {
			if strings.Contains(string(body), external) {
				t.Errorf("GET %s refers to an external resource (%q)", path, external)
			}
		}
	}
	// A browser asking for a page that does not exist gets a page (404),
	// not the API's JSON; an API client still gets the JSON error.
	req, _ := http.NewRequest("GET", srv.URL+"/no/such/page", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page), "<h1>Page not found</h1>") {
		t.Errorf("a browser's 404 = %d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), page)
	}
	res, err = http.Get(srv.URL + "/no/such/page")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Errorf("an API client's 404 = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// The integrators' guide (docs/integrating.md), rendered: its tables
	// and code, no links into the repository (they lead nowhere here), and
	// no resource from elsewhere (its URLs are examples in text).
	res, err = http.Get(srv.URL + "/docs/getting-started")
	if err != nil {
		t.Fatal(err)
	}
	guide, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"<table>", "Kycd.open", "POST /v1/verification-sessions", `href="/static/docs.css"`} {
		if res.StatusCode != 200 || !strings.Contains(string(guide), want) {
			t.Errorf("GET /docs/getting-started = %d, lacks %q", res.StatusCode, want)
		}
	}
	for _, bad := range []string{`href="../`, "<script", `src="http`} {
		if strings.Contains(string(guide), bad) {
			t.Errorf("the guide has %q", bad)
		}
	}
}

func TestStatusCoversEveryCode(t *testing.T) {
	for _, code := range kyc.Codes {
		if status := api.Status(code); status == 500 && code != kyc.Internal {
			t.Errorf("Status(%s) = 500: the code has no status of its own", code)
		}
	}
}
