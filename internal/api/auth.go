package api

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kycd/kycd/internal/account"
	"github.com/kycd/kycd/internal/kyc"
)

type principalKey struct{}

// authResult is what authentication found for a request.
type authResult struct {
	principal *kyc.Principal
	err       error // credentials were sent but are not valid
}

// PrincipalFrom returns who made the request, or nil for an anonymous one.
func PrincipalFrom(ctx context.Context) *kyc.Principal {
	r, _ := ctx.Value(principalKey{}).(*authResult)
	if r == nil {
		return nil
	}
	return r.principal
}

// RequireUser returns the signed-in user or API key making the request, or
// an unauthorized error saying why there is none. The holder of a
// verification link is neither: it drives its case (RequireDriver) and
// nothing else.
func RequireUser(ctx context.Context) (*kyc.Principal, error) {
	p, err := RequireDriver(ctx)
	if err == nil && p.CaseID != "" {
		return nil, kyc.Errorf(kyc.Forbidden, "a verification link drives its own case and nothing else")
	}
	return p, err
}

// RequireDriver is RequireUser that also lets the holder of a verification
// link through, for the routes that drive a case (whose handlers check
// that it is the link's case).
func RequireDriver(ctx context.Context) (*kyc.Principal, error) {
	r, _ := ctx.Value(principalKey{}).(*authResult)
	if r != nil && r.err != nil {
		return nil, r.err
	}
	if r == nil || r.principal == nil {
		return nil, kyc.Errorf(kyc.Unauthorized, "sign in first: send a session cookie or an Authorization: Bearer token")
	}
	return r.principal, nil
}

// RequireRole returns the principal if it holds one of roles, and an
// unauthorized or forbidden error otherwise.
func RequireRole(ctx context.Context, roles ...kyc.Role) (*kyc.Principal, error) {
	p, err := RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if !p.Has(roles...) {
		return nil, kyc.Errorf(kyc.Forbidden, "this needs the %s role", strings.Join(roleNames(roles), " or "))
	}
	return p, nil
}

// RequirePerson is RequireUser for routes that act on a person's own
// account, which an API key does not have.
func RequirePerson(ctx context.Context) (*kyc.Principal, error) {
	p, err := RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if p.UserID == "" {
		return nil, kyc.Errorf(kyc.Forbidden, "an API key has no account of its own")
	}
	return p, nil
}

// CookieConfig names the web session cookie and the cookie of a browser
// that opened a verification link. Browsers accept the __Host- prefix
// (Secure, Path=/, no Domain) on HTTPS and on http://localhost; the plain
// names are for dev mode on another plain-HTTP host.
type CookieConfig struct {
	Name   string
	Link   string
	Secure bool
}

// LinkAuthenticator resolves a verification link's browser cookie
// (hosted.Service).
type LinkAuthenticator interface {
	Authenticate(ctx context.Context, cookie string) (*kyc.Principal, error)
}

// withAuth resolves the session cookie, bearer token or verification
// link's cookie, when sent, into a principal in the request's context.
// Routes decide what they require.
func withAuth(accounts *account.Service, links LinkAuthenticator, cookie CookieConfig, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res := &authResult{}
		if h := r.Header.Get("Authorization"); h != "" {
			token, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				res.err = kyc.Errorf(kyc.Unauthorized, "the Authorization header must be: Bearer <token>")
			} else {
				res.principal, res.err = accounts.AuthenticateBearer(r.Context(), strings.TrimSpace(token))
			}
		} else if c, err := r.Cookie(cookie.Name); err == nil && c.Value != "" {
			res.principal, res.err = accounts.AuthenticateSession(r.Context(), c.Value)
		} else if c, err := r.Cookie(cookie.Link); err == nil && c.Value != "" && links != nil {
			res.principal, res.err = links.Authenticate(r.Context(), c.Value)
		}
		if res.err != nil && kyc.ErrorCode(res.err) == kyc.Internal {
			writeError(w, r, res.err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, res)))
	})
}

// rateLimiter is a token bucket per client address: burst requests at once,
// refilled at perMinute. It is per process; behind several kycd nodes the
// effective limit is per node.
type rateLimiter struct {
	perMinute float64
	burst     float64
	mu        sync.Mutex
	buckets   map[string]*bucket
	now       func() time.Time
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(perMinute int) *rateLimiter {
	return &rateLimiter{perMinute: float64(perMinute), burst: float64(perMinute), buckets: map[string]*bucket{}, now: time.Now}
}

// allow takes a token for key, or says how long until one is free.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastSweep) > 10*time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.at) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.lastSweep = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Minutes()*l.perMinute)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.perMinute * float64(time.Minute))
	return false, wait
}

// withRateLimit limits the requests whose path starts with one of prefixes,
// per client address.
func withRateLimit(l *rateLimiter, prefixes []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limited := false
		for _, p := range prefixes {
			if strings.HasPrefix(r.URL.Path, p) && r.Method != http.MethodGet {
				limited = true
			}
		}
		if limited {
			if ok, wait := l.allow(ClientAddr(r.Context())); !ok {
				writeError(w, r, &kyc.Error{Code: kyc.RateLimited, Message: "too many requests: slow down",
					RetryAfter: max(wait.Round(time.Second), time.Second)})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
