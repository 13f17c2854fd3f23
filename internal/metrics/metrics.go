// Package metrics is kycd's Prometheus instrumentation: what a process
// serves and works on, by low-cardinality labels only (routes by their
// pattern, job kinds, outcomes and reason codes: never an id or a person's
// data). A nil *Metrics records nothing, so that every part of kycd can
// take one without caring whether metrics are on.
package metrics

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/kycd/kycd/internal/blob"
	"github.com/kycd/kycd/internal/tracing"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Metrics holds the families kycd records.
type Metrics struct {
	reg          *prometheus.Registry
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	jobs         *prometheus.CounterVec
	jobDuration  *prometheus.HistogramVec
	stages       *prometheus.HistogramVec
	liveness     *prometheus.CounterVec
	decisions    *prometheus.CounterVec
	webhooks     *prometheus.CounterVec
	blobs        *prometheus.HistogramVec
}

// seconds are latency buckets from 5 ms to 30 s.
var seconds = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// New returns the metrics of one process, registered with the Go runtime's
// and the process's own collectors and build information. version is
// kycd's; db, when set, adds its connection pool's statistics and the
// job queue's depth.
func New(version string, db *sql.DB) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kycd_http_requests_total",
		Help: "HTTP requests by route pattern, method and status."}, []string{"route", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kycd_http_request_duration_seconds",
		Help: "HTTP request latency by route pattern.", Buckets: seconds}, []string{"route"})
	m.jobs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kycd_jobs_total",
		Help: "Jobs worked by kind and outcome (ok, error, snoozed, cancelled)."}, []string{"kind", "outcome"})
	m.jobDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kycd_job_duration_seconds",
		Help: "Job run time by kind.", Buckets: seconds}, []string{"kind"})
	m.stages = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kycd_analysis_duration_seconds",
		Help: "Face and document analysis latency by stage.", Buckets: seconds}, []string{"stage"})
	m.liveness = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kycd_liveness_sessions_total",
		Help: "Finished liveness sessions by outcome and first reason."}, []string{"outcome", "reason"})
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kycd_decisions_total",
		Help: "Case decisions by status and reason code (a decision with several reasons counts under each; by: auto or reviewer)."},
		[]string{"status", "reason", "by"})
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kycd_webhook_deliveries_total",
		Help: "Webhook delivery attempts by outcome (delivered, failed, refused)."}, []string{"outcome"})
	m.blobs = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kycd_blob_duration_seconds",
		Help: "Blob store call latency by operation and outcome.", Buckets: seconds}, []string{"op", "outcome"})
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.jobs, m.jobDuration, m.stages, m.liveness, m.decisions, m.webhooks, m.blobs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kycd_build_info", Help: "kycd's version (always 1).",
			ConstLabels: prometheus.Labels{"version": version}}, func() float64 { return 1 }))
	if db != nil {
		m.reg.MustRegister(collectors.NewDBStatsCollector(db, "kycd"), &queueCollector{db: db})
	}
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Request records one HTTP request by its route pattern.
func (m *Metrics) Request(route string, status int, took time.Duration) {
	if m == nil {
		return
	}
	m.httpRequests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route).Observe(took.Seconds())
}

// Stage records the time of one analysis stage: document_read,
// portrait, face_compare, duplicate_search, liveness_frame.
func (m *Metrics) Stage(stage string, took time.Duration) {
	if m == nil {
		return
	}
	m.stages.WithLabelValues(stage).Observe(took.Seconds())
}

// Since records a stage that started at start.
func (m *Metrics) Since(stage string, start time.Time) { m.Stage(stage, time.Since(start)) }

// Begin starts an analysis stage: a span in ctx's trace and, at end, the
// stage's latency.
func (m *Metrics) Begin(ctx context.Context, stage string) (context.Context, func()) {
	start := time.Now()
	ctx, span := tracing.Start(ctx, stage)
	return ctx, func() {
		span.End()
		m.Since(stage, start)
	}
}

// Liveness records a finished liveness session.
func (m *Metrics) Liveness(outcome string, reasons []string) {
	if m == nil {
		return
	}
	reason := "none"
	if len(reasons) > 0 {
		reason = reasons[0]
	}
	m.liveness.WithLabelValues(outcome, reason).Inc()
}

// Decision records a case's decision under each of its reasons.
func (m *Metrics) Decision(status string, reasons []string, by string) {
	if m == nil {
		return
	}
	if by != "auto" {
		by = "reviewer"
	}
	if len(reasons) == 0 {
		m.decisions.WithLabelValues(status, "none", by).Inc()
	}
	for _, r := range reasons {
		m.decisions.WithLabelValues(status, r, by).Inc()
	}
}

// Webhook records a delivery attempt's outcome.
func (m *Metrics) Webhook(outcome string) {
	if m == nil {
		return
	}
	m.webhooks.WithLabelValues(outcome).Inc()
}

// Blob records a blob store call.
func (m *Metrics) Blob(op string, err error, took time.Duration) {
	if m == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.blobs.WithLabelValues(op, outcome).Observe(took.Seconds())
}

// JobMiddleware is River middleware that records each job's kind, outcome
// and run time.
func (m *Metrics) JobMiddleware() rivertype.Middleware { return &jobMiddleware{m: m} }

type jobMiddleware struct {
	river.MiddlewareDefaults
	m *Metrics
}

func (j *jobMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(ctx context.Context) error) error {
	start := time.Now()
	err := doInner(ctx)
	j.m.jobs.WithLabelValues(job.Kind, tracing.JobOutcome(err)).Inc()
	j.m.jobDuration.WithLabelValues(job.Kind).Observe(time.Since(start).Seconds())
	return err
}

// queueCollector reads the job queue's depth and the age of its oldest
// waiting job at each scrape.
type queueCollector struct{ db *sql.DB }

var (
	queueDepth = prometheus.NewDesc("kycd_queue_jobs", "Jobs in the queue by kind and state (available, retryable, running, scheduled).",
		[]string{"kind", "state"}, nil)
	queueAge = prometheus.NewDesc("kycd_queue_oldest_available_seconds", "Age of the oldest job waiting to run, by kind.",
		[]string{"kind"}, nil)
	queueUp = prometheus.NewDesc("kycd_queue_scrape_ok", "Whether the queue could be read at this scrape.", nil, nil)
)

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepth
	ch <- queueAge
	ch <- queueUp
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ok := 1.0
	if err := c.collect(ctx, ch); err != nil {
		ok = 0
	}
	ch <- prometheus.MustNewConstMetric(queueUp, prometheus.GaugeValue, ok)
}

func (c *queueCollector) collect(ctx context.Context, ch chan<- prometheus.Metric) error {
	rows, err := c.db.QueryContext(ctx, `SELECT kind, state, COUNT(*) FROM river_job
		WHERE state IN ('available', 'retryable', 'running', 'scheduled') GROUP BY kind, state`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var kind, state string
		var n float64
		if err := rows.Scan(&kind, &state, &n); err != nil {
			return err
		}
		ch <- prometheus.MustNewConstMetric(queueDepth, prometheus.GaugeValue, n, kind, state)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	ages, err := c.db.QueryContext(ctx, `SELECT kind, MIN(scheduled_at) FROM river_job WHERE state = 'available' GROUP BY kind`)
	if err != nil {
		return err
	}
	defer ages.Close()
	for ages.Next() {
		var kind string
		var at any
		if err := ages.Scan(&kind, &at); err != nil {
			return err
		}
		if t, ok := timeOf(at); ok {
			ch <- prometheus.MustNewConstMetric(queueAge, prometheus.GaugeValue, max(0, time.Since(t).Seconds()), kind)
		}
	}
	return ages.Err()
}

// timeOf reads a timestamp as the drivers give it: a time, or SQLite's
// text.
func timeOf(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t, true
			}
		}
	case []byte:
		return timeOf(string(x))
	}
	return time.Time{}, false
}

// Blobs wraps a blob store so that each call's latency is recorded; with
// no metrics it is the store itself.
func (m *Metrics) Blobs(s blob.Store) blob.Store {
	if m == nil {
		return s
	}
	return &timedBlobs{Store: s, m: m}
}

type timedBlobs struct {
	blob.Store
	m *Metrics
}

func (t *timedBlobs) Put(ctx context.Context, key string, data []byte) error {
	start := time.Now()
	err := t.Store.Put(ctx, key, data)
	t.m.Blob("put", err, time.Since(start))
	return err
}

func (t *timedBlobs) Get(ctx context.Context, key string) ([]byte, error) {
	start := time.Now()
	b, err := t.Store.Get(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		t.m.Blob("get", nil, time.Since(start)) // an answer, not a failure
	} else {
		t.m.Blob("get", err, time.Since(start))
	}
	return b, err
}

func (t *timedBlobs) Delete(ctx context.Context, key string) error {
	start := time.Now()
	err := t.Store.Delete(ctx, key)
	t.m.Blob("delete", err, time.Since(start))
	return err
}

func (t *timedBlobs) List(ctx context.Context, prefix string) ([]string, error) {
	start := time.Now()
	keys, err := t.Store.List(ctx, prefix)
	t.m.Blob("list", err, time.Since(start))
	return keys, err
}
