package api

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"text/template"

	"github.com/kycd/kycd/docs"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

//go:embed static
var static embed.FS

// registerDocs serves the API documentation page, rendered in the browser
// from /openapi.json by a small script embedded in the binary (no CDN), the
// landing page, and JSON 404s for every unknown path.
func (s *Server) registerDocs() {
	// The OpenAPI document, as written (3.1) and for generators that read
	// 3.0 only (huma's downgrade, then what it leaves of 3.1: a file part's
	// contentMediaType, which 3.0 says with format binary alone).
	s.mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		b, err := json.Marshal(s.api.OpenAPI())
		serveSpec(w, r, b, err)
	})
	s.mux.HandleFunc("GET /openapi-3.0.json", func(w http.ResponseWriter, r *http.Request) {
		b, err := s.api.OpenAPI().Downgrade()
		if err == nil {
			b, err = stripKey(b, "contentMediaType")
		}
		if err == nil {
			b, err = dropTop(b, "webhooks") // 3.1's: 3.0 has no place for them
		}
		serveSpec(w, r, b, err)
	})
	files := http.FileServerFS(static)
	s.mux.HandleFunc("GET /docs", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, static, "static/docs.html")
	})
	s.mux.Handle("GET /static/", files)
	guide, err := renderGuide(docs.Integrating, "Getting started")
	s.mux.HandleFunc("GET /docs/getting-started", func(w http.ResponseWriter, r *http.Request) {
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(guide)
	})
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && r.Method == http.MethodGet && !wantsJSON(r) {
			http.ServeFileFS(w, r, static, "static/index.html")
			return
		}
		// A browser that asks for a page gets one; API clients get the
		// JSON error.
		if r.Method == http.MethodGet && !wantsJSON(r) && !strings.HasPrefix(r.URL.Path, "/v1/") {
			b, _ := static.ReadFile("static/404.html")
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			w.Write(b)
			return
		}
		writeError(w, r, kyc.Errorf(kyc.NotFound, "no route for %s %s", r.Method, r.URL.Path))
	})
}

// renderGuide renders a Markdown guide as a page of the documentation
// (GitHub's tables). Links to the repository's files ("../examples/…")
// lead nowhere on a server: they become their text.
func renderGuide(md []byte, title string) ([]byte, error) {
	var body bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert(md, &body); err != nil {
		return nil, fmt.Errorf("render %s: %w", title, err)
	}
	html := repoLink.ReplaceAll(body.Bytes(), []byte("$1"))
	var page bytes.Buffer
	page.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8">` +
		`<meta name="viewport" content="width=device-width, initial-scale=1"><title>` + template.HTMLEscapeString(title) +
		` · kycd</title><link rel="stylesheet" href="/static/docs.css"></head><body><header><p><a href="/docs">API reference</a></p></header><main class="guide">`)
	page.Write(html)
	page.WriteString(`</main></body></html>`)
	return page.Bytes(), nil
}

var repoLink = regexp.MustCompile(`<a href="\.\./[^"]*">(.*?)</a>`)

func serveSpec(w http.ResponseWriter, r *http.Request, b []byte, err error) {
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/openapi+json")
	w.Write(b)
}

// dropTop removes a top-level member of a JSON document.
func dropTop(doc []byte, key string) ([]byte, error) {
	var v map[string]json.RawMessage
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	delete(v, key)
	return json.Marshal(v)
}

// stripKey removes every member named key from a JSON document.
func stripKey(doc []byte, key string) ([]byte, error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			delete(v, key)
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(v)
	return json.Marshal(v)
}
