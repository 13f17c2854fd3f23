package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/api"
	"github.com/kycd/kycd/internal/tracing"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace/noop"
)

// BenchmarkHotPaths measures, side by side in one run on one machine, the
// requests a load balancer and an integrator's polling send most: a bare
// net/http hello-world (the ceiling), /healthz, and an authenticated
// GET /v1/me (an access token's check and the account's read), over real
// TCP with 50 clients at once. Each reports requests a second; compare
// the ratios, not the absolute figures (scripts/bench.sh -bench HotPaths
// ./internal/api/). Access logging is as configured in production's
// default (every request) and off, and with every request traced and
// exported over OTLP (to a collector in the same process).
func BenchmarkHotPaths(b *testing.B) {
	hello := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"ok"}`)
	}))
	defer hello.Close()
	// An OTLP collector that takes the spans and drops them.
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	defer collector.Close()
	for _, mode := range []string{api.AccessLogAll, api.AccessLogOff, "traced"} {
		logMode := mode
		if mode == "traced" {
			// Every request traced (sample 1) and exported; the log as default.
			shutdown, err := tracing.Setup(context.Background(), collector.URL, "kycd", "bench", 1)
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				shutdown(context.Background())
				otel.SetTracerProvider(noop.NewTracerProvider())
			}()
			logMode = api.AccessLogAll
		}
		e := newEnv(b, envOptions{accessLog: logMode})
		u := e.newUser("hot-" + mode + "@example.com")
		for _, tt := range []struct {
			name, url, token string
		}{
			{"hello-world", hello.URL + "/", ""},
			{"healthz", e.srv.URL + "/healthz", ""},
			{"me", e.srv.URL + "/v1/me", u.access},
		} {
			if mode != api.AccessLogAll && tt.name == "hello-world" {
				continue
			}
			b.Run(tt.name+"/log-"+mode, func(b *testing.B) {
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
				var failed atomic.Int64
				procs := runtime.GOMAXPROCS(0)
				b.SetParallelism((50 + procs - 1) / procs) // 50 clients
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						req, _ := http.NewRequest("GET", tt.url, nil)
						if tt.token != "" {
							req.Header.Set("Authorization", "Bearer "+tt.token)
						}
						res, err := client.Do(req)
						if err != nil {
							failed.Add(1)
							continue
						}
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
						if res.StatusCode != 200 {
							failed.Add(1)
						}
					}
				})
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
				if n := failed.Load(); n > 0 {
					b.Fatalf("%d requests failed", n)
				}
			})
		}
	}
}
