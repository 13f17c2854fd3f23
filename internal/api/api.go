// Package api is kycd's HTTP interface: the REST API (huma, OpenAPI 3.1) on
// the standard ServeMux, its documentation, health checks, and the
// middleware every request passes through.
package api

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// Checker is one dependency that readiness depends on.
type Checker interface {
	Ping(ctx context.Context) error
}

// Options configure a Server.
type Options struct {
	Logger       *slog.Logger
	Version      string
	MaxBodyBytes int64
	HSTS         bool               // send Strict-Transport-Security (the public URL is https)
	Checks       map[string]Checker // readiness checks by name: database, blobs, models
}

// Server routes kycd's HTTP requests.
type Server struct {
	mux  *http.ServeMux
	api  huma.API
	opts Options
}

// New returns a server with the foundation routes registered; features add
// theirs through API and Mux.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	cfg := huma.DefaultConfig("kycd", opts.Version)
	cfg.Info.Description = "Self-hosted identity verification: accounts, liveness, face match, document analysis. " +
		"Every error is `{\"error\": {\"code\", \"message\", \"request_id\"}}` with a stable code."
	cfg.Info.License = &huma.License{Name: "see the repository"}
	cfg.DocsPath = "" // huma's docs page loads from a CDN; /docs is served from the binary instead
	cfg.CreateHooks = nil
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "an access token or an API key"},
		"cookie": {Type: "apiKey", In: "cookie", Name: "__Host-kycd_session", Description: "the web UI's session"},
	}
	s := &Server{mux: mux, api: humago.New(mux, cfg), opts: opts}
	s.registerHealth()
	s.registerDocs()
	return s
}

// API is the huma API that features register operations on.
func (s *Server) API() huma.API { return s.api }

// Mux is the router, for handlers outside the REST API (pages, WebSockets).
func (s *Server) Mux() *http.ServeMux { return s.mux }

// Handler is the complete handler: middleware around the router.
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.mux
	h = withBodyLimit(s.opts.MaxBodyBytes, h)
	h = withSecurityHeaders(s.opts.HSTS, h)
	return withRequest(s.opts.Logger, h)
}
