// Package tracing is kycd's OpenTelemetry tracing: a span for each HTTP
// request, for each job it causes (the request's trace context is carried
// in the job's metadata, so a decision made a minute later on another
// process is a child of the upload that caused it) and for the analysis
// stages inside them. Spans are exported over OTLP/HTTP when an endpoint
// is configured; otherwise the global tracer is OpenTelemetry's no-op one
// and nothing is recorded or sent.
//
// Spans carry what metrics carry: route patterns, job kinds, stages,
// outcomes and status codes. Never an id of a case, a person's data, a
// query string or an address.
package tracing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// instrumentation names kycd's spans' origin.
const instrumentation = "github.com/kycd/kycd"

// propagator reads and writes W3C trace context (traceparent, tracestate).
var propagator = propagation.TraceContext{}

// Tracer is kycd's tracer: the no-op one until Setup configures an
// exporter.
func Tracer() trace.Tracer { return otel.Tracer(instrumentation) }

// Start starts a span named name as a child of ctx's span.
func Start(ctx context.Context, name string) (context.Context, trace.Span) {
	return Tracer().Start(ctx, name)
}

// Setup exports spans to the OTLP/HTTP collector at endpoint (a URL such
// as http://127.0.0.1:4318; spans are posted to its /v1/traces), sampling
// the given share of new traces (a trace begun upstream keeps its
// caller's choice). It returns the function that flushes and stops the
// exporter. Headers for the collector (authentication) come from the
// standard OTEL_EXPORTER_OTLP_HEADERS variable.
func Setup(ctx context.Context, endpoint, service, version string, sample float64) (func(context.Context) error, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("otlp endpoint %q: want an http:// or https:// URL such as http://127.0.0.1:4318", endpoint)
	}
	if sample < 0 || sample > 1 {
		return nil, fmt.Errorf("trace sample %v: want a share between 0 and 1", sample)
	}
	path := strings.TrimSuffix(u.Path, "/") + "/v1/traces"
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(u.Host), otlptracehttp.WithURLPath(path)}
	if u.Scheme == "http" {
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		attribute.String("service.name", service), attribute.String("service.version", version)))
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(sample))))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagator)
	return tp.Shutdown, nil
}

// Extract returns ctx with the trace context a request's headers carry.
func Extract(ctx context.Context, h propagation.TextMapCarrier) context.Context {
	return propagator.Extract(ctx, h)
}

// metadataKey is where a job's metadata holds the trace context of what
// enqueued it.
const metadataKey = "traceparent"

// JobMiddleware is River middleware: at insertion it writes the inserting
// context's trace context into each job's metadata (not its arguments,
// which River's uniqueness compares); at work it starts the job's span as
// that context's child.
func JobMiddleware() rivertype.Middleware { return &jobMiddleware{} }

type jobMiddleware struct{ river.MiddlewareDefaults }

func (*jobMiddleware) InsertMany(ctx context.Context, many []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	carrier := propagation.MapCarrier{}
	propagator.Inject(ctx, carrier)
	if tp := carrier.Get(metadataKey); tp != "" {
		for _, p := range many {
			meta := map[string]any{}
			if len(p.Metadata) > 0 {
				if err := json.Unmarshal(p.Metadata, &meta); err != nil {
					return nil, fmt.Errorf("job metadata: %w", err)
				}
			}
			meta[metadataKey] = tp
			b, err := json.Marshal(meta)
			if err != nil {
				return nil, err
			}
			p.Metadata = b
		}
	}
	return doInner(ctx)
}

func (*jobMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	var meta map[string]any
	if len(job.Metadata) > 0 && json.Unmarshal(job.Metadata, &meta) == nil {
		if tp, ok := meta[metadataKey].(string); ok {
			ctx = propagator.Extract(ctx, propagation.MapCarrier{metadataKey: tp})
		}
	}
	ctx, span := Tracer().Start(ctx, "job "+job.Kind, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("job.kind", job.Kind), attribute.String("job.queue", job.Queue),
			attribute.Int("job.attempt", job.Attempt)))
	err := doInner(ctx)
	outcome := JobOutcome(err)
	span.SetAttributes(attribute.String("job.outcome", outcome))
	if outcome == "error" {
		span.SetStatus(codes.Error, "")
	}
	span.End()
	return err
}

// JobOutcome names how a job's run ended: ok, snoozed, cancelled or error.
func JobOutcome(err error) string {
	var snooze *rivertype.JobSnoozeError
	var cancel *rivertype.JobCancelError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &snooze):
		return "snoozed"
	case errors.As(err, &cancel):
		return "cancelled"
	}
	return "error"
}
