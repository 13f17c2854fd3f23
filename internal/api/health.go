package api

import (
	"context"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// HealthOutput answers /healthz.
type HealthOutput struct {
	Body struct {
		Status  string `json:"status" example:"ok"`
		Version string `json:"version"`
	}
}

// ReadyOutput answers /readyz.
type ReadyOutput struct {
	Status int
	Body   struct {
		Status string            `json:"status" enum:"ready,unavailable"`
		Checks map[string]string `json:"checks" doc:"each dependency: ok, or what is wrong"`
	}
}

// The health routes.
func (s *Server) registerHealth() {
	s.register(
		handle(anyone, huma.Operation{Method: http.MethodGet, Path: "/healthz", OperationID: "healthz", Tags: []string{"Operations"},
			Summary:     "Liveness: the process is up",
			Description: "Always 200 while the process serves requests. Use /readyz to decide whether to send traffic."}, s.healthz),
		handle(anyone, huma.Operation{Method: http.MethodGet, Path: "/readyz", OperationID: "readyz", Tags: []string{"Operations"},
			Summary:     "Readiness: the database, blob store and models are usable",
			Description: "200 when every dependency answers within 3 seconds, 503 with the failing checks otherwise.",
			Responses:   map[string]*huma.Response{"503": {Description: "a dependency is not ready"}}}, s.readyz),
	)
}

func (s *Server) healthz(ctx context.Context, _ *struct{}) (*HealthOutput, error) {
	out := &HealthOutput{}
	out.Body.Status, out.Body.Version = "ok", s.opts.Version
	return out, nil
}

func (s *Server) readyz(ctx context.Context, _ *struct{}) (*ReadyOutput, error) {
	out := &ReadyOutput{Status: http.StatusOK}
	out.Body.Status = "ready"
	out.Body.Checks = s.runChecks(ctx)
	for _, result := range out.Body.Checks {
		if result != "ok" {
			out.Status, out.Body.Status = http.StatusServiceUnavailable, "unavailable"
		}
	}
	return out, nil
}

// runChecks pings every dependency at once, each with its own timeout.
func (s *Server) runChecks(ctx context.Context) map[string]string {
	names := make([]string, 0, len(s.opts.Checks))
	for name := range s.opts.Checks {
		names = append(names, name)
	}
	sort.Strings(names)
	results := make([]string, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			results[i] = "ok"
			if err := s.opts.Checks[name].Ping(cctx); err != nil {
				results[i] = err.Error()
			}
		})
	}
	wg.Wait()
	out := make(map[string]string, len(names))
	for i, name := range names {
		out[name] = results[i]
	}
	return out
}
