package api

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kycd/kycd/internal/kyc"
)

// gate bounds the image work a process does at once: slots requests decode
// and analyse images, up to queue more wait for a slot, and the rest are
// refused at once with 503 and Retry-After. A burst of large images then
// costs the memory of slots decodes, not of every request in flight, and a
// saturated node says so instead of answering ever later.
type gate struct {
	slots   chan struct{}
	queue   int64
	waiting atomic.Int64 // requests holding or waiting for a slot
}

func newGate(slots, queue int) *gate {
	return &gate{slots: make(chan struct{}, max(slots, 1)), queue: int64(max(queue, 0))}
}

// busy is the error of a full gate.
func busy() error {
	return &kyc.Error{Code: kyc.Unavailable, RetryAfter: 5 * time.Second,
		Message: "kycd is busy analysing other images: try again in a few seconds"}
}

// enter takes a slot, waiting for one if the queue has room; release it
// when done.
func (g *gate) enter(ctx context.Context) (release func(), err error) {
	if g.waiting.Add(1) > int64(cap(g.slots))+g.queue {
		g.waiting.Add(-1)
		return nil, busy()
	}
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots; g.waiting.Add(-1) }, nil
	case <-ctx.Done():
		g.waiting.Add(-1)
		return nil, ctx.Err()
	}
}

// imageWork reports whether a request decodes and analyses images: the
// building blocks, a case's document upload and liveness frames over HTTP.
// (The liveness stream takes the gate frame by frame.)
func imageWork(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	p := r.URL.Path
	return strings.HasPrefix(p, "/v1/faces/") || p == "/v1/documents/analyze" ||
		strings.HasPrefix(p, "/v1/verifications/") && strings.HasSuffix(p, "/documents") ||
		strings.HasPrefix(p, "/v1/liveness/") && strings.HasSuffix(p, "/frames")
}

// withAdmission limits image work: per principal, a token bucket of
// perMinute requests (429 rate_limited with Retry-After; liveness frames
// are bounded by their session instead), and per process, the gate (503
// unavailable with Retry-After). Anonymous requests pass on to be refused
// by the route.
func withAdmission(g *gate, perPrincipal *rateLimiter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := PrincipalFrom(r.Context())
		if p == nil || !imageWork(r) {
			next.ServeHTTP(w, r)
			return
		}
		// Frames neither count against nor are refused by the principal's
		// limit (their session bounds them): an integrator's key that
		// relays a selfie check's frames must still upload the document.
		if frames := strings.HasSuffix(r.URL.Path, "/frames"); !frames {
			if ok, wait := perPrincipal.allow(p.ID()); !ok {
				writeError(w, r, &kyc.Error{Code: kyc.RateLimited, Message: "too many images analysed in the last minute: slow down",
					RetryAfter: max(wait.Round(time.Second), time.Second)})
				return
			}
		}
		release, err := g.enter(r.Context())
		if err != nil {
			writeError(w, r, err)
			return
		}
		defer release()
		next.ServeHTTP(w, r)
	})
}
