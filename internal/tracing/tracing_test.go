package tracing

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// TestJobMiddleware: the inserting context's trace goes into the job's
// metadata beside what is there, and the job's span is its child, with
// the outcome; no trace, no metadata written.
func TestJobMiddleware(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	otel.SetTracerProvider(tp)
	defer otel.SetTracerProvider(noop.NewTracerProvider())
	m := JobMiddleware().(rivertype.JobInsertMiddleware)

	ctx, parent := Start(context.Background(), "POST /v1/verifications/{id}/submit")
	params := []*rivertype.JobInsertParams{{Kind: "verification_process", Metadata: []byte(`{"output":"kept"}`)}, {Kind: "blob_delete"}}
	if _, err := m.InsertMany(ctx, params, func(context.Context) ([]*rivertype.JobInsertResult, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	parent.End()
	var meta map[string]string
	if err := json.Unmarshal(params[0].Metadata, &meta); err != nil || meta["output"] != "kept" || meta[metadataKey] == "" {
		t.Fatalf("metadata %s: %v", params[0].Metadata, err)
	}

	w := JobMiddleware().(rivertype.WorkerMiddleware)
	job := &rivertype.JobRow{Kind: "verification_process", Queue: "analysis", Attempt: 1, Metadata: params[0].Metadata}
	want := errors.New("boom")
	if err := w.Work(context.Background(), job, func(ctx context.Context) error {
		if !trace.SpanContextFromContext(ctx).IsValid() {
			t.Error("the job's context has no span")
		}
		return want
	}); err != want {
		t.Fatalf("Work returned %v", err)
	}
	snooze := &rivertype.JobRow{Kind: "verification_process", Queue: "analysis", Attempt: 1}
	w.Work(context.Background(), snooze, func(context.Context) error { return river.JobSnooze(1) })

	spans := rec.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans", len(spans))
	}
	job1, job2 := spans[1], spans[2]
	if job1.Parent().SpanID() != parent.SpanContext().SpanID() || job1.SpanContext().TraceID() != parent.SpanContext().TraceID() {
		t.Errorf("the job's span is not the request's child")
	}
	if job1.Status().Code.String() != "Error" || job2.Status().Code.String() == "Error" {
		t.Errorf("statuses: failed %v, snoozed %v", job1.Status(), job2.Status())
	}
	if job2.Parent().IsValid() {
		t.Error("a job inserted outside any trace has a parent")
	}
	for _, kv := range job2.Attributes() {
		if kv.Key == "job.outcome" && kv.Value.AsString() != "snoozed" {
			t.Errorf("outcome %s", kv.Value.AsString())
		}
	}

	// Outside a trace nothing is written.
	plain := []*rivertype.JobInsertParams{{Kind: "blob_delete"}}
	m.InsertMany(context.Background(), plain, func(context.Context) ([]*rivertype.JobInsertResult, error) { return nil, nil })
	if plain[0].Metadata != nil {
		t.Errorf("metadata %s outside a trace", plain[0].Metadata)
	}
}

// TestSetupRefuses endpoints and shares that cannot work, with the fix.
func TestSetupRefuses(t *testing.T) {
	for _, c := range []struct {
		endpoint string
		sample   float64
	}{{"127.0.0.1:4318", 1}, {"grpc://collector:4317", 1}, {"http://", 1}, {"http://collector:4318", 1.5}, {"http://collector:4318", -0.1}} {
		if _, err := Setup(context.Background(), c.endpoint, "kycd", "test", c.sample); err == nil {
			t.Errorf("Setup(%q, %v) = nil error", c.endpoint, c.sample)
		}
	}
}
