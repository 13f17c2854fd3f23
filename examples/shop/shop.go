// Package shop is an example integrator of kycd: a small web shop that
// sends its customers through kycd's hosted verification and learns the
// outcome. It does what docs/integrating.md describes, with the Go client
// generated from kycd's OpenAPI document (examples/kycdclient):
//
//   - its server creates a verification session with its own reference
//     and the data it has on the customer (POST /v1/verification-sessions,
//     with an Idempotency-Key);
//   - the customer is either sent to the session's url (redirect flow) or
//     the page opens the session's client secret in kycd's modal
//     (/sdk/kycd.js, embedded flow);
//   - kycd's signed webhook tells the shop the outcome (the signature is
//     checked before anything is read), and the shop can ask for it too.
//
// Run it with cmd/shop; the end-to-end test drives it in Chromium.
package shop

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kycd/kycd/examples/kycdclient"
)

// Config is what the shop needs from its operator.
type Config struct {
	KycdURL       string // where kycd serves (its public URL)
	APIKey        string // an integrator key (kak_...) whose embed_origins include the shop
	WebhookSecret string // the secret of kycd's webhook pointing at /webhooks/kycd (whsec_...)
	PublicURL     string // where the shop serves, for the return URL
	Logger        *slog.Logger
}

// Shop is the example integrator.
type Shop struct {
	cfg    Config
	client *kycdclient.ClientWithResponses
	mu     sync.Mutex
	events []Event // webhook events received, verified, newest last
}

// Event is a webhook event the shop received (its payload's fields the
// shop uses).
type Event struct {
	ID   string `json:"id"`
	Type string `json:"event"`
	Data struct {
		VerificationID string            `json:"verification_id"`
		Session        string            `json:"verification_session"`
		Reference      string            `json:"reference"`
		Metadata       map[string]string `json:"metadata"`
		Status         string            `json:"status"`
		Reasons        []string          `json:"reasons"`
	} `json:"data"`
}

// New returns the shop.
func New(cfg Config) (*Shop, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.KycdURL = strings.TrimRight(cfg.KycdURL, "/")
	client, err := kycdclient.NewClientWithResponses(cfg.KycdURL, kycdclient.WithRequestEditorFn(
		func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+cfg.APIKey)
			return nil
		}))
	if err != nil {
		return nil, err
	}
	return &Shop{cfg: cfg, client: client}, nil
}

// Handler serves the shop's pages, its API for its page and the webhook.
func (s *Shop) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /shop.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		io.WriteString(w, shopJS)
	})
	mux.HandleFunc("POST /sessions", s.createForModal)
	mux.HandleFunc("POST /verify", s.redirectToKycd)
	mux.HandleFunc("GET /done", s.done)
	mux.HandleFunc("GET /sessions/{id}", s.sessionStatus)
	mux.HandleFunc("POST /webhooks/kycd", s.webhook)
	return mux
}

// Events returns the verified webhook events received so far.
func (s *Shop) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

//go:embed shop.js
var shopJS string

var page = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Example shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>Example shop: verify your identity</h1>
<form method="post" action="/verify" id="customer">
  <label>Customer id <input name="customer" id="customer-id" value="cust-1" required></label>
  <label>First name <input name="first_name" id="first-name"></label>
  <label>Last name <input name="last_name" id="last-name"></label>
  <label>Date of birth <input name="date_of_birth" id="dob" placeholder="YYYY-MM-DD"></label>
  <button type="button" id="verify-modal">Verify here</button>
  <button type="submit" id="verify-redirect">Verify on kycd's page</button>
</form>
<p id="status" role="status"></p>
<script src="{{.Kycd}}/sdk/kycd.js"></script>
<script src="/shop.js"></script>
</body></html>`))

func (s *Shop) home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	page.Execute(w, map[string]string{"Kycd": s.cfg.KycdURL})
}

// create asks kycd for a session for the customer of the form, with what
// the shop knows of them. The idempotency key makes a retried request (a
// double click, a timeout) return the same session.
func (s *Shop) create(r *http.Request, returnURL string) (*kycdclient.VerificationSessionBody, error) {
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	customer := r.Form.Get("customer")
	body := kycdclient.CreateVerificationSessionJSONRequestBody{
		Reference: &customer,
		Metadata:  &map[string]string{"flow": r.Form.Get("flow")},
	}
	if returnURL != "" {
		body.ReturnUrl = &returnURL
	}
	exp := kycdclient.Expected{}
	for name, p := range map[string]**string{"first_name": &exp.FirstName, "last_name": &exp.LastName, "date_of_birth": &exp.DateOfBirth} {
		if v := strings.TrimSpace(r.Form.Get(name)); v != "" {
			*p = &v
		}
	}
	if exp != (kycdclient.Expected{}) {
		body.Expected = &exp
	}
	idem := customer + "-" + r.Form.Get("attempt")
	res, err := s.client.CreateVerificationSessionWithResponse(r.Context(), &kycdclient.CreateVerificationSessionParams{IdempotencyKey: &idem}, body)
	if err != nil {
		return nil, err
	}
	if res.JSON201 == nil {
		return nil, fmt.Errorf("kycd: %s: %s", res.Status(), res.Body)
	}
	return res.JSON201, nil
}

// createForModal gives the shop's page a session's client secret, for
// Kycd.open. The secret goes to this customer's browser only.
func (s *Shop) createForModal(w http.ResponseWriter, r *http.Request) {
	sess, err := s.create(r, "")
	if err != nil {
		s.cfg.Logger.Error("create session", "err", err)
		http.Error(w, "could not start the verification", http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"id": sess.Id, "client_secret": deref(sess.ClientSecret)})
}

// redirectToKycd sends the customer to kycd's hosted flow; kycd sends them
// back to /done.
func (s *Shop) redirectToKycd(w http.ResponseWriter, r *http.Request) {
	sess, err := s.create(r, s.cfg.PublicURL+"/done")
	if err != nil {
		s.cfg.Logger.Error("create session", "err", err)
		http.Error(w, "could not start the verification", http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, deref(sess.Url), http.StatusSeeOther)
}

// done is where kycd sends the customer back: the shop asks kycd for the
// session (never trusting the query string for the outcome).
func (s *Shop) done(w http.ResponseWriter, r *http.Request) {
	st, err := s.status(r.Context(), r.URL.Query().Get("verification_session"))
	if err != nil {
		http.Error(w, "unknown verification", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	template.Must(template.New("done").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Thanks</title></head>
<body><h1>Thanks</h1><p id="status" data-status="{{.Outcome}}">Verification {{.Outcome}}</p></body></html>`)).Execute(w, st)
}

// SessionStatus is what the shop's page learns of a session.
type SessionStatus struct {
	Session string   `json:"session"`
	Status  string   `json:"status"`
	Outcome string   `json:"outcome"` // the decision, or the session's status before one
	Reasons []string `json:"reasons"`
}

func (s *Shop) status(ctx context.Context, id string) (*SessionStatus, error) {
	res, err := s.client.GetVerificationSessionWithResponse(ctx, id)
	if err != nil {
		return nil, err
	}
	if res.JSON200 == nil {
		return nil, fmt.Errorf("kycd: %s", res.Status())
	}
	out := &SessionStatus{Session: id, Status: string(res.JSON200.Status), Outcome: string(res.JSON200.Status)}
	if d := res.JSON200.Decision; d != nil {
		out.Outcome = string(d.Outcome)
		if d.Reasons != nil {
			out.Reasons = *d.Reasons
		}
	}
	return out, nil
}

func (s *Shop) sessionStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.status(r.Context(), r.PathValue("id"))
	if err != nil {
		http.Error(w, "unknown verification", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(st)
}

// webhook receives kycd's events: the signature (HMAC-SHA256 of
// "<t>.<body>" with the webhook's secret) is checked, and the timestamp
// must be recent, before the body is believed.
func (s *Shop) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || !VerifySignature(s.cfg.WebhookSecret, r.Header.Get("X-Kycd-Signature"), body, time.Now(), 5*time.Minute) {
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, seen := range s.events {
		if seen.ID == ev.ID {
			w.WriteHeader(http.StatusNoContent) // a retry of one already handled
			return
		}
	}
	s.events = append(s.events, ev)
	w.WriteHeader(http.StatusNoContent)
}

// VerifySignature checks kycd's X-Kycd-Signature header ("t=<unix>,v1=<hex
// HMAC-SHA256(secret, t + "." + body)>") and that t is within tolerance of
// now (an old, replayed delivery is refused).
func VerifySignature(secret, header string, body []byte, now time.Time, tolerance time.Duration) bool {
	var ts, sig string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || secret == "" || sig == "" {
		return false
	}
	if d := now.Sub(time.Unix(t, 0)); d > tolerance || d < -tolerance {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	return hmac.Equal([]byte(sig), []byte(hex.EncodeToString(m.Sum(nil))))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
