package api

import (
	"context"
	"net/http"
	"reflect"
	"strings"
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

// The webhook routes (admins).
func (s *Server) registerWebhooks() {
	s.documentWebhooks()
	post, get := http.MethodPost, http.MethodGet
	s.register(
		handle(adminOnly, huma.Operation{Method: post, Path: "/v1/webhooks", OperationID: "create-webhook", Tags: tagWebhooks,
			Summary: "Register a webhook (admin)", DefaultStatus: http.StatusCreated, Errors: []int{400},
			Description: "Events: verification.created, verification.completed, verification.needs_review (all when omitted). " +
				"Each delivery is a JSON POST signed `X-Kycd-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + \".\" + body)>`, " +
				"retried with exponential backoff (10 s doubling to 6 h) for 3 days until the endpoint answers 2xx. Destinations " +
				"must be public addresses (unless kycd runs with --webhook-allow-private); redirects are not followed."}, s.createWebhook),
		handle(adminOnly, huma.Operation{Method: get, Path: "/v1/webhooks", OperationID: "list-webhooks", Tags: tagWebhooks,
			Summary: "The webhooks (admin)"}, s.listWebhooks),
		handle(adminOnly, huma.Operation{Method: get, Path: "/v1/webhooks/{id}/deliveries", OperationID: "list-deliveries", Tags: tagWebhooks,
			Summary: "A webhook's deliveries, newest first (admin)", Errors: []int{404}}, s.listDeliveries),
		handle(adminOnly, huma.Operation{Method: post, Path: "/v1/webhooks/deliveries/{id}/replay", OperationID: "replay-delivery", Tags: tagWebhooks,
			Summary: "Send a delivery again (admin)", DefaultStatus: http.StatusAccepted, Errors: []int{404}}, s.replayDelivery),
	)
}

// CreateWebhookInput registers an endpoint.
type CreateWebhookInput struct {
	Body struct {
		URL    string   `json:"url" maxLength:"2000"`
		Events []string `json:"events,omitempty" maxItems:"10"`
	}
}

// WebhookOutput is one webhook.
type WebhookOutput struct{ Body WebhookBody }

func (s *Server) createWebhook(ctx context.Context, in *CreateWebhookInput) (*WebhookOutput, error) {
	w, secret, err := s.opts.Webhooks.Create(ctx, caller(ctx), in.Body.URL, in.Body.Events)
	if err != nil {
		return nil, err
	}
	b := webhookBody(w)
	b.Secret = secret
	return &WebhookOutput{b}, nil
}

// WebhooksOutput lists webhooks.
type WebhooksOutput struct{ Body []WebhookBody }

func (s *Server) listWebhooks(ctx context.Context, _ *struct{}) (*WebhooksOutput, error) {
	ws, err := s.opts.Webhooks.List(ctx, caller(ctx))
	if err != nil {
		return nil, err
	}
	out := &WebhooksOutput{Body: []WebhookBody{}}
	for _, w := range ws {
		out.Body = append(out.Body, webhookBody(w))
	}
	return out, nil
}

// WebhookIDInput names a webhook or a delivery.
type WebhookIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

// DeliveriesOutput lists deliveries.
type DeliveriesOutput struct{ Body []DeliveryBody }

func (s *Server) listDeliveries(ctx context.Context, in *WebhookIDInput) (*DeliveriesOutput, error) {
	ds, err := s.opts.Webhooks.Deliveries(ctx, caller(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	out := &DeliveriesOutput{Body: []DeliveryBody{}}
	for _, d := range ds {
		out.Body = append(out.Body, deliveryBody(d))
	}
	return out, nil
}

// DeliveryOutput is one delivery.
type DeliveryOutput struct{ Body DeliveryBody }

func (s *Server) replayDelivery(ctx context.Context, in *WebhookIDInput) (*DeliveryOutput, error) {
	d, err := s.opts.Webhooks.Replay(ctx, caller(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &DeliveryOutput{deliveryBody(d)}, nil
}

// WebhookEvent is the body of every webhook delivery (the OpenAPI
// document's webhooks section describes one per event). It carries no
// personal data: fetch the case with the API key for the rest.
type WebhookEvent struct {
	ID        string           `json:"id" doc:"the delivery's id: a retry repeats it, so handle each id once"`
	Event     string           `json:"event" enum:"verification.created,verification.completed,verification.needs_review"`
	CreatedAt time.Time        `json:"created_at"`
	Data      WebhookEventData `json:"data"`
}

// WebhookEventData is the case's state in a webhook event.
type WebhookEventData struct {
	VerificationID string            `json:"verification_id"`
	Reference      string            `json:"reference,omitempty" doc:"the integrator's own id for the case"`
	Session        string            `json:"verification_session,omitempty" doc:"the verification session that opened the case, if one did"`
	Metadata       map[string]string `json:"metadata,omitempty" doc:"the session's metadata, as the integrator sent it"`
	Status         string            `json:"status" enum:"created,liveness_passed,document_submitted,processing,approved,rejected,needs_review,expired,erased"`
	Reasons        []string          `json:"reasons" doc:"the decision's reason codes"`
	Similarity     *float64          `json:"similarity,omitempty" doc:"the face match, 0–100, once computed"`
	DecidedAt      time.Time         `json:"decided_at,omitzero"`
}

// webhookEvents says what each event means, for the OpenAPI document.
var webhookEvents = map[string]string{
	"verification.created":      "A case was started (by an applicant, an API key or a verification session).",
	"verification.completed":    "A case was decided: approved or rejected (automatically, or by a reviewer).",
	"verification.needs_review": "A case waits for a reviewer; verification.completed follows their decision.",
}

// documentWebhooks describes every event kycd sends in the OpenAPI
// document's webhooks section: the body, the signature header, and what
// kycd expects back.
func (s *Server) documentWebhooks() {
	oapi := s.api.OpenAPI()
	ref := oapi.Components.Schemas.Schema(reflect.TypeFor[WebhookEvent](), true, "")
	oapi.Webhooks = map[string]*huma.PathItem{}
	for event, what := range webhookEvents {
		body := &huma.Schema{AllOf: []*huma.Schema{ref, {Type: huma.TypeObject,
			Properties: map[string]*huma.Schema{"event": {Type: huma.TypeString, Enum: []any{event}}}}}}
		oapi.Webhooks[event] = &huma.PathItem{Post: &huma.Operation{
			OperationID: "webhook-" + strings.ReplaceAll(event, ".", "-"), Summary: event, Tags: tagWebhooks,
			Security: public, // kycd signs what it sends (below): the receiver checks that
			Description: what + " A JSON POST to each webhook that subscribed to the event. Check the signature before " +
				"reading the body: `X-Kycd-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + \".\" + body)>`, and refuse " +
				"a t more than 5 minutes away. Answer 2xx within 10 s; anything else is retried with backoff for 3 days.",
			Parameters: []*huma.Param{
				{Name: "X-Kycd-Signature", In: "header", Required: true, Schema: &huma.Schema{Type: huma.TypeString},
					Description: "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + \".\" + body)>"},
				{Name: "X-Kycd-Event", In: "header", Required: true, Schema: &huma.Schema{Type: huma.TypeString}, Description: "the event"},
				{Name: "X-Kycd-Delivery", In: "header", Required: true, Schema: &huma.Schema{Type: huma.TypeString},
					Description: "the delivery's id (one per webhook and event)"},
			},
			RequestBody: &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{"application/json": {Schema: body}}},
			Responses: map[string]*huma.Response{
				"204": {Description: "received (any 2xx will do)"},
				"400": {Description: "refused (a bad signature, say): retried, then given up after 3 days"},
			},
		}}
	}
}
