// Package api is kycd's HTTP interface: the REST API (huma, OpenAPI 3.1) on
// the standard ServeMux, its documentation, health checks, and the
// middleware every request passes through.
package api

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/kycd/kycd/internal/account"
	"github.com/kycd/kycd/internal/document"
	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/hosted"
	"github.com/kycd/kycd/internal/journey"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/liveness"
	"github.com/kycd/kycd/internal/metrics"
	"github.com/kycd/kycd/internal/store"
	"github.com/kycd/kycd/internal/webhook"
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

	// Accounts, when set, serves the user pool's routes and authenticates
	// requests; DB answers the dev mailbox and audit routes.
	Accounts      *account.Service
	DB            *store.DB
	Cookie        CookieConfig
	DevMailbox    bool // serve GET /v1/dev/mailbox (dev mail mode only)
	AuthRateLimit int  // state-changing /v1/auth requests per minute per address; 30 when 0

	// Faces, when set, serves /v1/faces/*; MaxImagePixels bounds images.
	// Documents, when set, serves /v1/documents/analyze (the same reader
	// the verification journey uses).
	Faces          *face.Engine
	MaxImagePixels int
	Documents      *document.Analyzer

	// Liveness, when set with Accounts, serves the verification routes'
	// liveness checks; PublicURL makes their stream and frames URLs.
	Liveness  *liveness.Service
	PublicURL string
	// StreamIdle closes a liveness stream silent this long; 15 s when 0.
	StreamIdle time.Duration

	// Image work (decoding and analysing uploads and frames): at most
	// AnalysisSlots at once (one per CPU when 0), AnalysisQueue more
	// waiting (twice the slots when 0; -1 for none) and the rest refused
	// with 503; each principal may send AnalysisRateLimit such requests a
	// minute (60 when 0).
	AnalysisSlots     int
	AnalysisQueue     int
	AnalysisRateLimit int

	// Journey serves the verification case routes (with Accounts and DB);
	// Webhooks, the webhook routes.
	Journey  *journey.Service
	Webhooks *webhook.Service
	// Hosted, with Journey, serves integrators' verification sessions and
	// authenticates the browsers that open their links.
	Hosted *hosted.Service

	// TrustedProxies are the reverse proxies whose forwarding headers
	// name the client (ClientAddr); with none, the peer is the client.
	TrustedProxies []netip.Prefix
	// AccessLog is which requests get an access-log line: AccessLogAll
	// (the default), AccessLogErrors (errors and slow requests), or
	// AccessLogOff.
	AccessLog string
	// Metrics records each request by route pattern and status.
	Metrics *metrics.Metrics
}

// Server routes kycd's HTTP requests.
type Server struct {
	mux      *http.ServeMux
	api      huma.API
	opts     Options
	limiter  *rateLimiter // account routes, per client address
	analysis *rateLimiter // image work, per principal
	gate     *gate        // image work, per process
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
	// Where clients send requests: the public URL, or this server's own
	// origin (a relative URL) when none is set.
	cfg.Servers = []*huma.Server{{URL: cmp.Or(strings.TrimSuffix(opts.PublicURL, "/"), "/")}}
	cfg.DocsPath = ""    // huma's docs page loads from a CDN; /docs is served from the binary instead
	cfg.OpenAPIPath = "" // served by registerDocs: the 3.0 form needs a fix huma's lacks
	cfg.CreateHooks = nil
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "an access token or an API key"},
		"cookie": {Type: "apiKey", In: "cookie", Name: "__Host-kycd_session", Description: "the web UI's session"},
	}
	s := &Server{mux: mux, api: humago.New(mux, cfg), opts: opts}
	if opts.Cookie.Name == "" {
		s.opts.Cookie = CookieConfig{Name: "__Host-kycd_session", Secure: true}
	}
	if s.opts.Cookie.Link == "" {
		s.opts.Cookie.Link = strings.Replace(s.opts.Cookie.Name, "kycd_session", "kycd_link", 1)
	}
	if opts.StreamIdle <= 0 {
		s.opts.StreamIdle = 15 * time.Second
	}
	if opts.AuthRateLimit <= 0 {
		s.opts.AuthRateLimit = 30
	}
	s.limiter = newRateLimiter(s.opts.AuthRateLimit)
	if s.opts.AnalysisSlots <= 0 {
		s.opts.AnalysisSlots = runtime.NumCPU()
	}
	switch {
	case s.opts.AnalysisQueue == 0:
		s.opts.AnalysisQueue = 2 * s.opts.AnalysisSlots
	case s.opts.AnalysisQueue < 0:
		s.opts.AnalysisQueue = 0
	}
	if s.opts.AnalysisRateLimit <= 0 {
		s.opts.AnalysisRateLimit = 60
	}
	s.gate = newGate(s.opts.AnalysisSlots, s.opts.AnalysisQueue)
	s.analysis = newRateLimiter(s.opts.AnalysisRateLimit)
	s.registerHealth()
	s.registerDocs()
	if opts.Accounts != nil {
		s.registerAccounts()
	}
	if opts.Faces != nil {
		s.registerFaces()
	}
	if opts.Documents != nil {
		s.registerDocuments()
	}
	if opts.Accounts != nil && opts.DB != nil && opts.Journey != nil {
		s.registerVerifications()
	}
	if opts.Accounts != nil {
		s.registerEntities()
	}
	return s
}

// API is the huma API that features register operations on.
func (s *Server) API() huma.API { return s.api }

// Mux is the router, for handlers outside the REST API (pages, WebSockets).
func (s *Server) Mux() *http.ServeMux { return s.mux }

// Handler is the complete handler: middleware around the router.
func (s *Server) Handler() http.Handler {
	h := withAdmission(s.gate, s.analysis, recordRoute(s.mux))
	if s.opts.Accounts != nil {
		var links LinkAuthenticator
		if s.opts.Hosted != nil {
			links = s.opts.Hosted
		}
		h = withAuth(s.opts.Accounts, links, s.opts.Cookie, h)
	}
	h = withRateLimit(s.limiter, []string{"/v1/auth/", "/signin", "/signup", "/confirm", "/resend", "/forgot", "/reset", "/account/"}, h)
	// Cookie-authenticated state changes must come from our own pages:
	// browsers say where a request comes from (Sec-Fetch-Site, Origin), and
	// cross-origin POSTs are refused. API clients send neither header.
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, kyc.Errorf(kyc.Forbidden, "cross-origin request refused"))
	}))
	h = csrf.Handler(h)
	h = withBodyLimit(s.opts.MaxBodyBytes, h)
	h = withSecurityHeaders(s.opts.HSTS, h)
	h = withClientAddr(s.opts.TrustedProxies, h)
	return withRequest(s.opts.Logger, s.opts.AccessLog, s.opts.Metrics, h)
}
