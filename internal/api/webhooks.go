package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kycd/kycd/internal/egress"
	"github.com/kycd/kycd/internal/store"
)

// WebhookBody describes a webhook.
type WebhookBody struct {
	ID        string    `json:"id"`
	URL       string    `json:"url" doc:"the endpoint, without credentials or query (kept sealed)"`
	Events    []string  `json:"events"`
	Secret    string    `json:"secret,omitempty" doc:"shown once, at creation: verify X-Kycd-Signature with it"`
	CreatedAt time.Time `json:"created_at"`
	Disabled  bool      `json:"disabled"`
}

// DeliveryBody describes one delivery.
type DeliveryBody struct {
	ID             string    `json:"id"`
	Event          string    `json:"event"`
	VerificationID string    `json:"verification_id"`
	Status         string    `json:"status" enum:"pending,delivered,failed"`
	Attempts       int       `json:"attempts"`
	LastStatus     int       `json:"last_status" doc:"the endpoint's last HTTP status, 0 when it could not be reached"`
	LastError      string    `json:"last_error,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	DeliveredAt    time.Time `json:"delivered_at,omitzero"`
}

func webhookBody(w *store.Webhook) WebhookBody {
	return WebhookBody{ID: w.ID, URL: egress.Redact(w.URL), Events: w.Events, CreatedAt: w.CreatedAt, Disabled: !w.DisabledAt.IsZero()}
}

func deliveryBody(d *store.Delivery) DeliveryBody {
	return DeliveryBody{ID: d.ID, Event: d.Event, VerificationID: d.VerificationID, Status: d.Status, Attempts: d.Attempts,
		LastStatus: d.LastStatus, LastError: d.LastError, CreatedAt: d.CreatedAt, DeliveredAt: d.DeliveredAt}
}

var tagWebhooks = []string{"Webhooks"}

func (s *Server) registerWebhooks() {
	j := s.opts.Webhooks
	huma.Register(s.api, huma.Operation{OperationID: "create-webhook", Method: http.MethodPost, Path: "/v1/webhooks",
		Tags: tagWebhooks, Summary: "Register a webhook (admin)", DefaultStatus: http.StatusCreated, Security: secured,
		Description: "Events: verification.created, verification.completed, verification.needs_review (all when omitted). " +
			"Each delivery is a JSON POST signed `X-Kycd-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + \".\" + body)>`, " +
			"retried with exponential backoff (10 s doubling to 6 h) for 3 days until the endpoint answers 2xx."},
		func(ctx context.Context, in *struct {
			Body struct {
				URL    string   `json:"url" maxLength:"2000"`
				Events []string `json:"events,omitempty" maxItems:"10"`
			}
		}) (*struct{ Body WebhookBody }, error) {
			p, err := RequireUser(ctx)
			if err != nil {
				return nil, err
			}
			w, secret, err := j.Create(ctx, p, in.Body.URL, in.Body.Events)
			if err != nil {
				return nil, err
			}
			b := webhookBody(w)
			b.Secret = secret
			return &struct{ Body WebhookBody }{b}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "list-webhooks", Method: http.MethodGet, Path: "/v1/webhooks",
		Tags: tagWebhooks, Summary: "The webhooks (admin)", Security: secured},
		func(ctx context.Context, in *struct{}) (*struct{ Body []WebhookBody }, error) {
			p, err := RequireUser(ctx)
			if err != nil {
				return nil, err
			}
			ws, err := j.List(ctx, p)
			if err != nil {
				return nil, err
			}
			out := []WebhookBody{}
			for _, w := range ws {
				out = append(out, webhookBody(w))
			}
			return &struct{ Body []WebhookBody }{out}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "list-deliveries", Method: http.MethodGet, Path: "/v1/webhooks/{id}/deliveries",
		Tags: tagWebhooks, Summary: "A webhook's deliveries, newest first (admin)", Security: secured},
		func(ctx context.Context, in *idInput) (*struct{ Body []DeliveryBody }, error) {
			p, err := RequireUser(ctx)
			if err != nil {
				return nil, err
			}
			ds, err := j.Deliveries(ctx, p, in.ID)
			if err != nil {
				return nil, err
			}
			out := []DeliveryBody{}
			for _, d := range ds {
				out = append(out, deliveryBody(d))
			}
			return &struct{ Body []DeliveryBody }{out}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "replay-delivery", Method: http.MethodPost, Path: "/v1/webhooks/deliveries/{id}/replay",
		Tags: tagWebhooks, Summary: "Send a delivery again (admin)", DefaultStatus: http.StatusAccepted, Security: secured},
		func(ctx context.Context, in *idInput) (*struct{ Body DeliveryBody }, error) {
			p, err := RequireUser(ctx)
			if err != nil {
				return nil, err
			}
			d, err := j.Replay(ctx, p, in.ID)
			if err != nil {
				return nil, err
			}
			return &struct{ Body DeliveryBody }{deliveryBody(d)}, nil
		})
}
