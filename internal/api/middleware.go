package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/metrics"
	"github.com/kycd/kycd/internal/tracing"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

type requestIDKey struct{}

// routeKey holds where the router writes the matched pattern, for the access
// log: middleware below withRequest may replace the *http.Request.
type routeKey struct{}

// recordRoute notes the pattern the router matched.
func recordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if p, ok := r.Context().Value(routeKey{}).(*string); ok {
			*p = r.Pattern
		}
	})
}

// RequestID is the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// validRequestID accepts a caller's id only when it is short and plain, so
// it cannot inject anything into logs.
func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers what a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer (flush, hijack
// for WebSockets, deadlines).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// loggedPath is the path for the access log: the route's pattern instead
// where the path is a credential (a verification link, a hand-off code).
func loggedPath(route, path string) string {
	if strings.Contains(route, "{credential}") || strings.Contains(route, "{code}") {
		_, pattern, _ := strings.Cut(route, " ")
		return pattern
	}
	return path
}

// Access-log modes (Options.AccessLog).
const (
	AccessLogAll    = "all"
	AccessLogErrors = "errors" // status 400 and above, and requests slower than slowRequest
	AccessLogOff    = "off"
)

// slowRequest is how long a request takes to be logged as slow.
const slowRequest = time.Second

// withRequest gives each request an id (the caller's X-Request-Id when it is
// plain, a new one otherwise), a logger, an access-log line, and recovery
// from panics. The log line holds the method, route, status, size and time:
// no query strings, bodies, addresses or headers, which may carry personal
// data or secrets.
func withRequest(log *slog.Logger, mode string, m *metrics.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		ctx = context.WithValue(ctx, loggerKey{}, log)
		route := new(string)
		ctx = context.WithValue(ctx, routeKey{}, route)
		ctx, span := tracing.Tracer().Start(tracing.Extract(ctx, propagation.HeaderCarrier(r.Header)), r.Method,
			trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attribute.String("http.request.method", r.Method)))
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic", "request_id", id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeError(rec, r, kyc.Errorf(kyc.Internal, "internal error"))
				}
			}
			if *route == "" {
				*route = "unmatched"
			}
			took := time.Since(start)
			m.Request(*route, rec.status, took)
			endSpan(span, *route, rec.status)
			switch {
			case mode == AccessLogOff:
				return
			case mode == AccessLogErrors && rec.status < 400 && took < slowRequest:
				return
			}
			attrs := []any{"request_id", id, "method", r.Method, "route", *route, "path", loggedPath(*route, r.URL.Path),
				"status", rec.status, "bytes", rec.bytes, "duration_ms", took.Milliseconds()}
			if sc := span.SpanContext(); sc.IsSampled() {
				attrs = append(attrs, "trace_id", sc.TraceID().String())
			}
			log.Info("request", attrs...)
		}()
		next.ServeHTTP(rec, r)
	})
}

// endSpan names a request's span by its route pattern (never its path,
// which holds ids) and records the status.
func endSpan(span trace.Span, route string, status int) {
	defer span.End()
	if !span.IsRecording() {
		return
	}
	span.SetName(route)
	if _, pattern, ok := strings.Cut(route, " "); ok {
		span.SetAttributes(attribute.String("http.route", pattern))
	}
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, "")
	}
}

// withSecurityHeaders sets the headers every response should carry.
func withSecurityHeaders(hsts bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "+
			"connect-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "+
			"frame-ancestors 'none'; form-action 'self'")
		h.Set("Cache-Control", "no-store")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// withBodyLimit refuses bodies over max bytes: at once when Content-Length
// says so, and while reading otherwise.
func withBodyLimit(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeError(w, r, kyc.Errorf(kyc.TooLarge, "request body is %d bytes, more than the limit of %d", r.ContentLength, max))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}
