package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// FaceTemplate is a verified face's embedding, sealed by the caller, kept
// for the duplicate search until the case's data is erased.
type FaceTemplate struct {
	VerificationID string
	UserID         string
	Embedding      []byte
	CreatedAt      time.Time
	// Read with the template: its case's API key and reference, so that a
	// customer's earlier case is known as theirs.
	APIKeyID  string
	Reference string
}

// PutFaceTemplate stores (or replaces) a verification's face template.
func (c conn) PutFaceTemplate(ctx context.Context, t *FaceTemplate) error {
	if _, err := c.exec(ctx, `DELETE FROM face_templates WHERE verification_id = $1`, t.VerificationID); err != nil {
		return fmt.Errorf("put face template: %w", err)
	}
	_, err := c.exec(ctx, `INSERT INTO face_templates (verification_id, user_id, embedding, created_at) VALUES ($1, $2, $3, $4)`,
		t.VerificationID, t.UserID, t.Embedding, c.timestamp())
	if err != nil {
		return fmt.Errorf("put face template: %w", err)
	}
	return nil
}

// FaceTemplates returns every stored template but those of one verification.
func (c conn) FaceTemplates(ctx context.Context, exceptVerification string) ([]*FaceTemplate, error) {
	rows, err := c.query(ctx, `SELECT t.verification_id, t.user_id, t.embedding, t.created_at,
		COALESCE(v.api_key_id, ''), COALESCE(v.reference, '')
		FROM face_templates t LEFT JOIN verifications v ON v.id = t.verification_id
		WHERE t.verification_id <> $1 ORDER BY t.created_at`, exceptVerification)
	if err != nil {
		return nil, fmt.Errorf("face templates: %w", err)
	}
	defer rows.Close()
	var out []*FaceTemplate
	for rows.Next() {
		var t FaceTemplate
		if err := rows.Scan(&t.VerificationID, &t.UserID, &t.Embedding, &t.CreatedAt, &t.APIKeyID, &t.Reference); err != nil {
			return nil, err
		}
		out = append(out, &t)
	}
	return out, rows.Err()
}

// DeleteFaceTemplate removes a verification's template.
func (c conn) DeleteFaceTemplate(ctx context.Context, verificationID string) error {
	_, err := c.exec(ctx, `DELETE FROM face_templates WHERE verification_id = $1`, verificationID)
	return err
}

// DeleteLivenessSessions removes a verification's liveness sessions (their
// sealed state holds a face embedding).
func (c conn) DeleteLivenessSessions(ctx context.Context, verificationID string) error {
	_, err := c.exec(ctx, `DELETE FROM liveness_sessions WHERE verification_id = $1`, verificationID)
	return err
}

// Webhook is an integrator's endpoint. Secret and Target are sealed by the
// caller.
type Webhook struct {
	ID         string
	URL        string // the endpoint without credentials or query, to show
	Target     []byte // the whole endpoint URL, sealed (it may carry credentials); nil on webhooks made before it existed
	Events     []string
	Secret     []byte
	CreatedBy  string
	CreatedAt  time.Time
	DisabledAt time.Time
}

// CreateWebhook stores a webhook.
func (c conn) CreateWebhook(ctx context.Context, w *Webhook) error {
	w.CreatedAt = c.timestamp()
	_, err := c.exec(ctx, `INSERT INTO webhooks (id, url, target, events, secret, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		w.ID, w.URL, w.Target, strings.Join(w.Events, ","), w.Secret, w.CreatedBy, w.CreatedAt)
	if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	return nil
}

const webhookColumns = `id, url, target, events, secret, created_by, created_at, disabled_at`

func scanWebhook(row interface{ Scan(...any) error }) (*Webhook, error) {
	var w Webhook
	var events string
	var disabled sql.NullTime
	if err := row.Scan(&w.ID, &w.URL, &w.Target, &events, &w.Secret, &w.CreatedBy, &w.CreatedAt, &disabled); err != nil {
		return nil, err
	}
	w.Events, w.CreatedAt, w.DisabledAt = splitList(events), w.CreatedAt.UTC(), utcOrZero(disabled)
	return &w, nil
}

// GetWebhook returns one webhook.
func (c conn) GetWebhook(ctx context.Context, id string) (*Webhook, error) {
	w, err := scanWebhook(c.queryRow(ctx, "SELECT "+webhookColumns+" FROM webhooks WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("webhook", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get webhook: %w", err)
	}
	return w, nil
}

// ListWebhooks returns every webhook, enabled or not.
func (c conn) ListWebhooks(ctx context.Context) ([]*Webhook, error) {
	rows, err := c.query(ctx, "SELECT "+webhookColumns+" FROM webhooks ORDER BY created_at")
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	defer rows.Close()
	var out []*Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// DisableWebhook stops deliveries to a webhook.
func (c conn) DisableWebhook(ctx context.Context, id string) (bool, error) {
	res, err := c.exec(ctx, `UPDATE webhooks SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL`, c.timestamp(), id)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Delivery is one event sent (or to be sent) to one webhook.
type Delivery struct {
	ID             string
	WebhookID      string
	Event          string
	VerificationID string
	Payload        string
	Status         string // pending, delivered, failed
	Attempts       int
	LastStatus     int
	LastError      string
	CreatedAt      time.Time
	DeliveredAt    time.Time
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// AddDelivery records a delivery to make.
func (c conn) AddDelivery(ctx context.Context, d *Delivery) error {
	d.CreatedAt = c.timestamp()
	if d.Status == "" {
		d.Status = DeliveryPending
	}
	_, err := c.exec(ctx, `INSERT INTO webhook_deliveries (id, webhook_id, event, verification_id, payload, status, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, d.ID, d.WebhookID, d.Event, d.VerificationID, d.Payload, d.Status, d.CreatedAt)
	if err != nil {
		return fmt.Errorf("add delivery: %w", err)
	}
	return nil
}

const deliveryColumns = `id, webhook_id, event, verification_id, payload, status, attempts, last_status, last_error, created_at, delivered_at`

func scanDelivery(row interface{ Scan(...any) error }) (*Delivery, error) {
	var d Delivery
	var delivered sql.NullTime
	if err := row.Scan(&d.ID, &d.WebhookID, &d.Event, &d.VerificationID, &d.Payload, &d.Status, &d.Attempts, &d.LastStatus,
		&d.LastError, &d.CreatedAt, &delivered); err != nil {
		return nil, err
	}
	d.CreatedAt, d.DeliveredAt = d.CreatedAt.UTC(), utcOrZero(delivered)
	return &d, nil
}

// GetDelivery returns one delivery.
func (c conn) GetDelivery(ctx context.Context, id string) (*Delivery, error) {
	d, err := scanDelivery(c.queryRow(ctx, "SELECT "+deliveryColumns+" FROM webhook_deliveries WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("delivery", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get delivery: %w", err)
	}
	return d, nil
}

// RecordAttempt stores the outcome of one delivery attempt.
func (c conn) RecordAttempt(ctx context.Context, id string, status int, errText string, delivered, failed bool) error {
	st := DeliveryPending
	var at sql.NullTime
	switch {
	case delivered:
		st, at = DeliveryDelivered, nullTime(c.timestamp())
	case failed:
		st = DeliveryFailed
	}
	_, err := c.exec(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $1, last_error = $2,
		status = $3, delivered_at = $4 WHERE id = $5`, status, errText, st, at, id)
	return err
}

// ResetDelivery makes a delivery pending again (a replay).
func (c conn) ResetDelivery(ctx context.Context, id string) error {
	_, err := c.exec(ctx, `UPDATE webhook_deliveries SET status = $1, delivered_at = NULL WHERE id = $2`, DeliveryPending, id)
	return err
}

// ListDeliveries returns a webhook's deliveries, newest first.
func (c conn) ListDeliveries(ctx context.Context, webhookID string, limit int) ([]*Delivery, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := c.query(ctx, "SELECT "+deliveryColumns+` FROM webhook_deliveries WHERE webhook_id = $1
		ORDER BY created_at DESC, id DESC LIMIT $2`, webhookID, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	var out []*Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
