package api

import (
	"embed"
	"net/http"

	"github.com/kycd/kycd/internal/kyc"
)

//go:embed static
var static embed.FS

// registerDocs serves the API documentation page, rendered in the browser
// from /openapi.json by a small script embedded in the binary (no CDN), the
// landing page, and JSON 404s for every unknown path.
func (s *Server) registerDocs() {
	files := http.FileServerFS(static)
	s.mux.HandleFunc("GET /docs", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, static, "static/docs.html")
	})
	s.mux.Handle("GET /static/", files)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && r.Method == http.MethodGet && !wantsJSON(r) {
			http.ServeFileFS(w, r, static, "static/index.html")
			return
		}
		writeError(w, r, kyc.Errorf(kyc.NotFound, "no route for %s %s", r.Method, r.URL.Path))
	})
}
