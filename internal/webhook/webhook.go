// Package webhook tells integrators about their cases: endpoints registered
// by admins, one signed delivery per event recorded in the transaction of
// the change that caused it, and a worker that posts deliveries (through
// egress: public addresses only, no redirects) and retries them with
// backoff for three days.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/kycd/kycd/internal/egress"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/metrics"
	"github.com/kycd/kycd/internal/seal"
	"github.com/kycd/kycd/internal/store"
)

// RetryWindow is how long a failing delivery keeps being retried.
const RetryWindow = 72 * time.Hour

// Events.
const (
	EventCreated     = "verification.created"
	EventCompleted   = "verification.completed"
	EventNeedsReview = "verification.needs_review"
)

// Events lists the events a webhook may subscribe to.
var Events = []string{EventCreated, EventCompleted, EventNeedsReview}

// Enqueuer adds a job in a transaction (queue.Queue).
type Enqueuer interface {
	Enqueue(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (int64, error)
}

// Options configure a Service.
type Options struct {
	// AllowPrivate lets webhooks reach private and loopback addresses.
	AllowPrivate bool
	// HTTPClient sends deliveries; when nil, an egress client (public
	// addresses only unless AllowPrivate, no redirects, 10 s).
	HTTPClient *http.Client
	Now        func() time.Time
	Metrics    *metrics.Metrics // delivery outcomes
}

// Service registers webhooks and records and sends deliveries.
type Service struct {
	db      *store.DB
	keyring *seal.Keyring
	queue   Enqueuer
	o       Options
}

// New returns the webhook service; deliveries are enqueued on q.
func New(db *store.DB, keyring *seal.Keyring, q Enqueuer, o Options) *Service {
	if o.HTTPClient == nil {
		o.HTTPClient = egress.Client(egress.Options{AllowPrivate: o.AllowPrivate})
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{db: db, keyring: keyring, queue: q, o: o}
}

func secretAAD(id string) []byte { return []byte("webhook secret " + id) }

func targetAAD(id string) []byte { return []byte("webhook url " + id) }

// Create registers an integrator's endpoint for events and returns it with
// its signing secret, shown this once.
func (s *Service) Create(ctx context.Context, p *kyc.Principal, rawURL string, events []string) (*store.Webhook, string, error) {
	if !p.Has(kyc.RoleAdmin) {
		return nil, "", kyc.Errorf(kyc.Forbidden, "webhooks are for admins")
	}
	u, err := egress.CheckURL(rawURL, s.o.AllowPrivate)
	if err != nil {
		return nil, "", kyc.Errorf(kyc.Invalid, "url: %s (kycd sends webhooks to public addresses only; an operator may allow private ones with --webhook-allow-private)", err)
	}
	if len(events) == 0 {
		events = Events
	}
	for _, e := range events {
		if !slices.Contains(Events, e) {
			return nil, "", kyc.Errorf(kyc.Invalid, "unknown event %q (want one of %v)", e, Events)
		}
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	secret := "whsec_" + hex.EncodeToString(raw)
	w := &store.Webhook{ID: kyc.NewID(nil, "whk"), URL: egress.Redact(u.String()), Events: events, CreatedBy: p.ID()}
	if w.Secret, err = s.keyring.Seal([]byte(secret), secretAAD(w.ID)); err != nil {
		return nil, "", err
	}
	if w.Target, err = s.keyring.Seal([]byte(u.String()), targetAAD(w.ID)); err != nil {
		return nil, "", err
	}
	err = s.db.InTx(ctx, "create webhook", func(tx *store.Tx) error {
		if err := tx.CreateWebhook(ctx, w); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: "webhook.created", ActorID: p.ID(), SubjectID: w.ID,
			Detail: map[string]string{"events": fmt.Sprint(events)}})
	})
	if err != nil {
		return nil, "", err
	}
	return w, secret, nil
}

// Payload is what a webhook receives: no personal data, only the case's
// state; the integrator reads the rest with its API key.
type Payload struct {
	ID        string    `json:"id"`
	Event     string    `json:"event"`
	CreatedAt time.Time `json:"created_at"`
	Data      Data      `json:"data"`
}

// Data is the case's state in a webhook.
type Data struct {
	VerificationID string `json:"verification_id"`
	Reference      string `json:"reference,omitempty"`
	// The hosted session that opened the case, and the integrator's metadata.
	Session    string            `json:"verification_session,omitempty"`
	Metadata   map[string]string `json:"metadata,omitempty"`
	Status     string            `json:"status"`
	Reasons    []string          `json:"reasons"`
	Similarity *float64          `json:"similarity,omitempty"`
	DecidedAt  time.Time         `json:"decided_at,omitzero"`
}

// Emit records a delivery of event for every enabled webhook that wants it
// and queues them, in the caller's transaction (the change the event is
// about).
func (s *Service) Emit(ctx context.Context, tx *store.Tx, event string, data Data) error {
	hooks, err := tx.ListWebhooks(ctx)
	if err != nil {
		return err
	}
	for _, h := range hooks {
		if !h.DisabledAt.IsZero() || !slices.Contains(h.Events, event) {
			continue
		}
		if data.Reasons == nil {
			data.Reasons = []string{}
		}
		p := Payload{ID: kyc.NewID(nil, "dlv"), Event: event, CreatedAt: s.o.Now().UTC(), Data: data}
		body, err := json.Marshal(p)
		if err != nil {
			return err
		}
		if err := tx.AddDelivery(ctx, &store.Delivery{ID: p.ID, WebhookID: h.ID, Event: event, VerificationID: data.VerificationID, Payload: string(body)}); err != nil {
			return err
		}
		if _, err := s.queue.Enqueue(ctx, tx, DeliverArgs{DeliveryID: p.ID}, nil); err != nil {
			return err
		}
	}
	return nil
}

// Sign returns the X-Kycd-Signature header for body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// DeliverArgs queues one delivery attempt.
type DeliverArgs struct {
	DeliveryID string `json:"delivery_id"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "webhook_deliver" }

// InsertOpts: enough attempts for three days of backoff.
func (DeliverArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 30} }

// DeliverWorker posts deliveries.
type DeliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	S *Service
}

// NextRetry backs off exponentially from 10 seconds, doubling up to 6
// hours between attempts.
func (w *DeliverWorker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	d := 10 * time.Second << min(job.Attempt, 12)
	return time.Now().Add(min(d, 6*time.Hour))
}

// Work implements river.Worker: a 2xx answer delivers; anything else is
// retried until WebhookRetryWindow has passed since the event.
func (w *DeliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	s := w.S
	d, err := s.db.GetDelivery(ctx, job.Args.DeliveryID)
	if err != nil {
		if kyc.ErrorCode(err) == kyc.NotFound {
			return river.JobCancel(err)
		}
		return err
	}
	if d.Status == store.DeliveryDelivered {
		return nil
	}
	h, err := s.db.GetWebhook(ctx, d.WebhookID)
	if err != nil {
		return river.JobCancel(err)
	}
	if !h.DisabledAt.IsZero() {
		s.db.RecordAttempt(ctx, d.ID, 0, "the webhook is disabled", false, true)
		return river.JobCancel(fmt.Errorf("webhook %s is disabled", h.ID))
	}
	secret, err := s.keyring.Open(h.Secret, secretAAD(h.ID))
	if err != nil {
		return river.JobCancel(err)
	}
	target := h.URL
	if h.Target != nil {
		t, err := s.keyring.Open(h.Target, targetAAD(h.ID))
		if err != nil {
			return river.JobCancel(err)
		}
		target = string(t)
	}
	status, err := s.post(ctx, target, string(secret), d)
	if err == nil && status >= 200 && status < 300 {
		s.o.Metrics.Webhook("delivered")
		return s.db.RecordAttempt(ctx, d.ID, status, "", true, false)
	}
	if errors.Is(err, egress.ErrForbidden) {
		s.o.Metrics.Webhook("refused")
	} else {
		s.o.Metrics.Webhook("failed")
	}
	msg := fmt.Sprintf("HTTP %d", status)
	switch {
	case err != nil:
		msg = egress.Describe(err)
	case status >= 300 && status < 400:
		msg += " (redirects are not followed: give the final URL)"
	}
	giveUp := s.o.Now().Sub(d.CreatedAt) >= RetryWindow || job.Attempt >= job.MaxAttempts
	if rerr := s.db.RecordAttempt(ctx, d.ID, status, msg, false, giveUp); rerr != nil {
		return rerr
	}
	if giveUp {
		return river.JobCancel(fmt.Errorf("delivery %s failed for %v: %s", d.ID, RetryWindow, msg))
	}
	return fmt.Errorf("delivery %s: %s", d.ID, msg)
}

func (s *Service) post(ctx context.Context, target, secret string, d *store.Delivery) (int, error) {
	body := []byte(d.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kycd-webhooks")
	req.Header.Set("X-Kycd-Event", d.Event)
	req.Header.Set("X-Kycd-Delivery", d.ID)
	req.Header.Set("X-Kycd-Signature", Sign(secret, s.o.Now(), body))
	resp, err := s.o.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// List returns the webhooks (admins).
func (s *Service) List(ctx context.Context, p *kyc.Principal) ([]*store.Webhook, error) {
	if !p.Has(kyc.RoleAdmin) {
		return nil, kyc.Errorf(kyc.Forbidden, "webhooks are for admins")
	}
	return s.db.ListWebhooks(ctx)
}

// Deliveries lists a webhook's deliveries (admins).
func (s *Service) Deliveries(ctx context.Context, p *kyc.Principal, webhookID string) ([]*store.Delivery, error) {
	if !p.Has(kyc.RoleAdmin) {
		return nil, kyc.Errorf(kyc.Forbidden, "webhooks are for admins")
	}
	if _, err := s.db.GetWebhook(ctx, webhookID); err != nil {
		return nil, err
	}
	return s.db.ListDeliveries(ctx, webhookID, 100)
}

// Replay sends a delivery again (admins), whatever its state.
func (s *Service) Replay(ctx context.Context, p *kyc.Principal, deliveryID string) (*store.Delivery, error) {
	if !p.Has(kyc.RoleAdmin) {
		return nil, kyc.Errorf(kyc.Forbidden, "webhooks are for admins")
	}
	d, err := s.db.GetDelivery(ctx, deliveryID)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, "replay delivery", func(tx *store.Tx) error {
		if err := tx.ResetDelivery(ctx, d.ID); err != nil {
			return err
		}
		if _, err := s.queue.Enqueue(ctx, tx, DeliverArgs{DeliveryID: d.ID}, nil); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Action: "webhook.replayed", ActorID: p.ID(), SubjectID: d.WebhookID,
			Detail: map[string]string{"delivery": d.ID}})
	})
	if err != nil {
		return nil, err
	}
	d.Status = store.DeliveryPending
	return d, nil
}
