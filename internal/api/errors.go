package api

import (
	"context"
	sqldriver "database/sql/driver"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kycd/kycd/internal/kyc"
)

// Status maps a stable error code to its HTTP status. It is the only place
// that does.
func Status(code kyc.Code) int {
	switch code {
	case kyc.Invalid:
		return http.StatusBadRequest
	case kyc.Unauthorized, kyc.MFARequired:
		return http.StatusUnauthorized
	case kyc.Forbidden:
		return http.StatusForbidden
	case kyc.NotFound:
		return http.StatusNotFound
	case kyc.Conflict:
		return http.StatusConflict
	case kyc.Expired:
		return http.StatusGone
	case kyc.TooLarge:
		return http.StatusRequestEntityTooLarge
	case kyc.UnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case kyc.NoFace:
		return http.StatusUnprocessableEntity
	case kyc.Locked:
		return http.StatusLocked
	case kyc.RateLimited:
		return http.StatusTooManyRequests
	case kyc.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// codeForStatus names the code of an error that did not start as a
// *kyc.Error: huma's own (validation, body too large, ...) and the router's.
func codeForStatus(status int) kyc.Code {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusMethodNotAllowed:
		return kyc.Invalid
	case http.StatusUnauthorized:
		return kyc.Unauthorized
	case http.StatusForbidden:
		return kyc.Forbidden
	case http.StatusNotFound:
		return kyc.NotFound
	case http.StatusConflict, http.StatusPreconditionFailed:
		return kyc.Conflict
	case http.StatusRequestEntityTooLarge:
		return kyc.TooLarge
	case http.StatusUnsupportedMediaType, http.StatusNotAcceptable:
		return kyc.UnsupportedMedia
	case http.StatusTooManyRequests:
		return kyc.RateLimited
	case http.StatusServiceUnavailable:
		return kyc.Unavailable
	default:
		return kyc.Internal
	}
}

// ErrorBody is the body of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong, with a stable code.
type ErrorDetail struct {
	Code      kyc.Code `json:"code" doc:"Stable machine-readable code" enum:"invalid,unauthorized,mfa_required,forbidden,not_found,conflict,too_large,unsupported_media,no_face,rate_limited,locked,expired,unavailable,internal"`
	Message   string   `json:"message" doc:"What went wrong, for people"`
	Reason    string   `json:"reason,omitempty" doc:"A finer machine-readable cause within the code, e.g. too_many_attempts for rate_limited"`
	RequestID string   `json:"request_id,omitempty" doc:"The request's id, also in the X-Request-Id header; quote it to support"`
	Details   []string `json:"details,omitempty" doc:"Field-level problems, for invalid input"`
}

// apiError is an error response on its way out: the body and its status.
type apiError struct {
	ErrorBody
	status  int
	headers http.Header
}

// GetHeaders implements huma.HeadersError: Retry-After for lockouts and
// rate limits.
func (e *apiError) GetHeaders() http.Header { return e.headers }

// Error implements error.
func (e *apiError) Error() string {
	return string(e.ErrorBody.Error.Code) + ": " + e.ErrorBody.Error.Message
}

// GetStatus implements huma.StatusError.
func (e *apiError) GetStatus() int { return e.status }

// Schema describes the error body in the OpenAPI document.
func (e *apiError) Schema(r huma.Registry) *huma.Schema {
	return r.Schema(reflect.TypeFor[ErrorBody](), true, "Error")
}

// newErrorBody builds the response for err as seen by a request with ctx.
// Unexpected errors are logged here, once, with the request id; their text
// never reaches the client.
func newErrorBody(ctx context.Context, status int, msg string, errs ...error) *apiError {
	e := &apiError{status: status}
	body := &e.ErrorBody
	body.Error.RequestID = RequestID(ctx)
	for _, err := range errs {
		var ke *kyc.Error
		if errors.As(err, &ke) {
			body.Error.Code, body.Error.Message, body.Error.Reason = ke.Code, ke.Message, ke.Reason
			e.status = Status(ke.Code)
			if ke.RetryAfter > 0 {
				e.headers = http.Header{"Retry-After": {strconv.Itoa(int(ke.RetryAfter.Seconds()))}}
			}
			return e
		}
	}
	body.Error.Code = codeForStatus(status)
	if body.Error.Code == kyc.Internal && slices.ContainsFunc(errs, unreachable) {
		// The database or the blob store cannot be reached (down,
		// restarting, a network fault): a clean 503 the client retries,
		// not an internal error. Nothing was changed half-way: each step's
		// writes are one transaction, its objects stored before it.
		loggerFrom(ctx).Warn("a dependency is unreachable", "request_id", body.Error.RequestID, "err", errors.Join(errs...))
		e.status, body.Error.Code = http.StatusServiceUnavailable, kyc.Unavailable
		body.Error.Message = "a service kycd depends on cannot be reached: try again shortly"
		e.headers = http.Header{"Retry-After": {"5"}}
		return e
	}
	if body.Error.Code == kyc.Internal {
		body.Error.Message = "internal error"
		for _, err := range errs {
			if ctx.Err() != nil {
				// The client went away: nobody reads the answer, and
				// nothing failed that an operator must look at.
				loggerFrom(ctx).Debug("client closed the request", "request_id", body.Error.RequestID)
				continue
			}
			loggerFrom(ctx).Error("request failed", "request_id", body.Error.RequestID, "err", err)
		}
		return e
	}
	body.Error.Message = msg
	for _, err := range errs {
		if err != nil {
			body.Error.Details = append(body.Error.Details, clip(err.Error()))
		}
	}
	if body.Error.Message == "" && len(body.Error.Details) > 0 {
		body.Error.Message = body.Error.Details[0]
	}
	return e
}

func init() {
	// huma makes every error it returns through these two hooks.
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		return newErrorBody(context.Background(), status, msg, errs...)
	}
	huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
		ctx := context.Background()
		if hctx != nil {
			ctx = hctx.Context()
		}
		e := newErrorBody(ctx, status, msg, errs...)
		// huma copies headers only from the handler's own error; ours are
		// set here.
		if hctx != nil {
			for k, v := range e.headers {
				hctx.SetHeader(k, v[0])
			}
		}
		return e
	}
}

// writeError writes err as an error response outside huma (router misses,
// panics, middleware refusals).
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := newErrorBody(r.Context(), http.StatusInternalServerError, "", err)
	for k, v := range e.headers {
		w.Header()[k] = v
	}
	writeJSON(w, e.status, e.ErrorBody)
}

// clip keeps an error detail short and printable: some parser errors quote
// the request body, which may hold personal data.
func clip(s string) string {
	if i := strings.Index(s, " (body:"); i >= 0 {
		s = s[:i]
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0xFFFD {
			return -1
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

type loggerKey struct{}

func loggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// wantsJSON reports whether a client prefers JSON to HTML, for pages that
// answer both.
func wantsJSON(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return !strings.Contains(accept, "text/html")
}

// unreachable reports whether err is a dependency that cannot be reached:
// a refused, reset or dropped connection (closed mid-answer: EOF), a
// pool's dead connection or one the driver had already closed, or
// PostgreSQL refusing connections or ending them while it shuts down or
// starts (SQLSTATE classes 08 and 57).
func unreachable(err error) bool {
	if err == nil {
		return false
	}
	var op *net.OpError
	var connect *pgconn.ConnectError
	var pg *pgconn.PgError
	return errors.As(err, &op) || errors.As(err, &connect) || errors.Is(err, sqldriver.ErrBadConn) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.As(err, &pg) && (strings.HasPrefix(pg.Code, "08") || strings.HasPrefix(pg.Code, "57"))
}
