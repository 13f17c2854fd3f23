package app_test

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/testenv"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// collector is an OTLP/HTTP trace receiver: it decodes what an exporter
// posts to /v1/traces as the protocol defines it.
type collector struct {
	mu      sync.Mutex
	service string
	spans   []*tracepb.Span
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != "POST" || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want a protobuf POST to /v1/traces", 400)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		z, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		body = z
	}
	b, err := io.ReadAll(body)
	var req coltracepb.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(b, &req)
	}
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	c.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.Key == "service.name" {
				c.service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
	c.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

// find returns the spans that match.
func (c *collector) find(match func(*tracepb.Span) bool) []*tracepb.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*tracepb.Span
	for _, s := range c.spans {
		if match(s) {
			out = append(out, s)
		}
	}
	return out
}

// waitFor waits until a span that matches has arrived: spans come in
// batches, so one request's span can arrive after a later one's.
func (c *collector) waitFor(t *testing.T, what string, match func(*tracepb.Span) bool) []*tracepb.Span {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if s := c.find(match); len(s) > 0 {
			return s
		}
		if time.Now().After(deadline) {
			c.mu.Lock()
			var names []string
			for _, s := range c.spans {
				names = append(names, s.Name)
			}
			c.mu.Unlock()
			t.Fatalf("no span %s among %d: %s", what, len(names), strings.Join(names, ", "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wait waits until a span named name has arrived.
func (c *collector) wait(t *testing.T, name string) []*tracepb.Span {
	t.Helper()
	return c.waitFor(t, fmt.Sprintf("%q", name), func(s *tracepb.Span) bool { return s.Name == name })
}

// byID waits for the span with the given id.
func (c *collector) byID(t *testing.T, id []byte) *tracepb.Span {
	t.Helper()
	return c.waitFor(t, "with id "+hex.EncodeToString(id), func(s *tracepb.Span) bool { return bytes.Equal(s.SpanId, id) })[0]
}

// TestTracing (issue 17): with --otlp-endpoint, kycd exports a span for
// each request, named by its route pattern, and for each job a request
// causes as that request's child (the context goes through the queue in
// the job's metadata), with the analysis stages inside; a caller's
// traceparent is honoured; no span holds an id or a person's data.
func TestTracing(t *testing.T) {
	eng := testenv.FaceEngine(t)
	col := &collector{}
	otlp := httptest.NewServer(col)
	defer otlp.Close()
	env := []string{"KYCD_DATA_DIR=" + t.TempDir(), "OMP_THREAD_LIMIT=1", "KYCD_OTLP_ENDPOINT=" + otlp.URL,
		"OTEL_BSP_SCHEDULE_DELAY=200", "KYCD_LIVENESS_CHALLENGES=turn_left,look_up,light"}
	p := startKycd(t, env...)
	admin := api{t: t, base: p.url, token: adminToken(t, p.url, env)}
	key := admin.json("POST", "/v1/api-keys", map[string]any{"name": "crm", "roles": []string{"integrator"}}, 201)["key"].(string)
	a := api{t: t, base: p.url, token: key}
	vid, _ := a.completeCase(eng, "t-1")

	// A caller that traces its own requests sees kycd's span in its trace.
	const caller = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest("GET", p.url+"/v1/verifications/"+vid, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("traceparent", "00-"+caller+"-00f067aa0ba902b7-01")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()

	// A job's span is the child of the request that enqueued it.
	childOf := func(job, request string) {
		t.Helper()
		for _, j := range col.wait(t, "job "+job) {
			if len(j.ParentSpanId) == 0 {
				continue
			}
			parent := col.byID(t, j.ParentSpanId)
			if parent.Name == request && bytes.Equal(parent.TraceId, j.TraceId) {
				if parent.Kind != tracepb.Span_SPAN_KIND_SERVER || j.Kind != tracepb.Span_SPAN_KIND_CONSUMER {
					t.Errorf("kinds: request %v, job %v", parent.Kind, j.Kind)
				}
				return
			}
		}
		t.Errorf("no %q job span whose parent is a %q request", job, request)
	}
	childOf("document_analyze", "POST /v1/verifications/{id}/documents")
	childOf("verification_process", "POST /v1/verifications/{id}/submit")
	// A stage's span is inside its job's.
	for stage, job := range map[string]string{"document_read": "job document_analyze", "duplicate_search": "job verification_process"} {
		s := col.wait(t, stage)[0]
		if parent := col.byID(t, s.ParentSpanId); parent.Name != job {
			t.Errorf("%s's parent is %v, want %s", stage, parent, job)
		}
	}
	frame := col.wait(t, "liveness_frame")[0]
	if parent := col.byID(t, frame.ParentSpanId); parent.Name != "POST /v1/liveness/{session_id}/frames" {
		t.Errorf("liveness_frame's parent is %v", parent)
	}
	continued := col.waitFor(t, "in the caller's trace", func(s *tracepb.Span) bool { return hex.EncodeToString(s.TraceId) == caller })
	for _, s := range continued {
		attrs := map[string]string{}
		for _, kv := range s.Attributes {
			attrs[kv.Key] = kv.Value.String()
		}
		if s.Name != "GET /v1/verifications/{id}" || !strings.Contains(attrs["http.route"], "/v1/verifications/{id}") || !strings.Contains(attrs["http.response.status_code"], "200") {
			t.Errorf("the caller's span: %q %v", s.Name, attrs)
		}
	}
	if col.service != "kycd" {
		t.Errorf("service.name %q", col.service)
	}

	// No ids, no people, no paths: names and attributes are patterns,
	// kinds, stages and codes.
	col.mu.Lock()
	defer col.mu.Unlock()
	leak := regexp.MustCompile(`ver_[a-z0-9]+|liv_[a-z0-9]+|@example\.com|t-1\b`)
	for _, s := range col.spans {
		text := s.Name
		for _, kv := range s.Attributes {
			text += " " + kv.Key + "=" + kv.Value.String()
		}
		if m := leak.FindString(text); m != "" {
			t.Errorf("span %q holds %q", s.Name, m)
		}
	}
}
