package testenv

import (
	"slices"
	"testing"
	"time"
)

// Measure runs op b.N times, timing each call, and reports the median and
// 95th percentile per call (p50-µs, p95-µs) beside Go's mean ns/op.
func Measure(b *testing.B, op func()) {
	b.Helper()
	durations := make([]time.Duration, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		op()
		durations = append(durations, time.Since(start))
	}
	if len(durations) == 0 {
		return
	}
	slices.Sort(durations)
	at := func(q float64) float64 {
		return float64(durations[int(q*float64(len(durations)-1))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.95), "p95-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}
