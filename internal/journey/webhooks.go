package journey

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/kycd/kycd/internal/egress"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/store"
)

// WebhookRetryWindow is how long a failing delivery keeps being retried.
const WebhookRetryWindow = 72 * time.Hour

func secretAAD(id string) []byte { return []byte("webhook secret " + id) }

func targetAAD(id string) []byte { return []byte("webhook url " + id) }

// CreateWebhook registers an integrator's endpoint for events and returns
// it with its signing secret, shown this once.
func (s *Service) CreateWebhook(ctx context.Context, p *kyc.Principal, rawURL string, events []string) (*store.Webhook, string, error) {
	if !p.Has(kyc.RoleAdmin) {
		return nil, "", kyc.Errorf(kyc.Forbidden, "webhooks are for admins")
	}
	u, err := egress.CheckURL(rawURL, s.o.AllowPrivateWebhooks)
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
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
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
	ID        string      `json:"id"`
	Event     string      `json:"event"`
	CreatedAt time.Time   `json:"created_at"`
	Data      PayloadData `json:"data"`
}

// PayloadData is the case's state in a webhook.
type PayloadData struct {
	VerificationID string    `json:"verification_id"`
	Reference      string    `json:"reference,omitempty"`
	Status         string    `json:"status"`
	Reasons        []string  `json:"reasons"`
	Similarity     *float64  `json:"similarity,omitempty"`
	DecidedAt      time.Time `json:"decided_at,omitzero"`
}

// emit records a delivery of event for every enabled webhook that wants it
// and queues them, in the caller's transaction.
func (s *Service) emit(ctx context.Context, tx *store.Tx, event string, v *kyc.Verification) error {
	hooks, err := tx.ListWebhooks(ctx)
	if err != nil {
		return err
	}
	for _, h := range hooks {
		if !h.DisabledAt.IsZero() || !slices.Contains(h.Events, event) {
			continue
		}
		p := Payload{ID: kyc.NewID(nil, "dlv"), Event: event, CreatedAt: s.o.Now().UTC(), Data: PayloadData{
			VerificationID: v.ID, Reference: v.Reference, Status: string(v.Status), Reasons: append([]string{}, v.Reasons...),
			Similarity: v.Similarity, DecidedAt: v.DecidedAt}}
		body, err := json.Marshal(p)
		if err != nil {
			return err
		}
		if err := tx.AddDelivery(ctx, &store.Delivery{ID: p.ID, WebhookID: h.ID, Event: event, VerificationID: v.ID, Payload: string(body)}); err != nil {
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
		return s.db.RecordAttempt(ctx, d.ID, status, "", true, false)
	}
	msg := fmt.Sprintf("HTTP %d", status)
	switch {
	case err != nil:
		msg = egress.Describe(err)
	case status >= 300 && status < 400:
		msg += " (redirects are not followed: give the final URL)"
	}
	giveUp := s.o.Now().Sub(d.CreatedAt) >= WebhookRetryWindow || job.Attempt >= job.MaxAttempts
	if rerr := s.db.RecordAttempt(ctx, d.ID, status, msg, false, giveUp); rerr != nil {
		return rerr
	}
	if giveUp {
		return river.JobCancel(fmt.Errorf("delivery %s failed for %v: %s", d.ID, WebhookRetryWindow, msg))
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

// Webhooks lists the webhooks (admins).
func (s *Service) Webhooks(ctx context.Context, p *kyc.Principal) ([]*store.Webhook, error) {
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
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
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
