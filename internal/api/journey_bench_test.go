package api_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/docgen"
)

// BenchmarkJourney measures the decision of a case, from submit to a
// decided status, with the document read in the background after its
// upload (uploaded and submitted at once, so the time includes reading it):
// one case at a time (p50/p95 of the submit-to-decision time), then 8 at
// once on the env's 2 job workers (cases decided per minute). The liveness
// checks are done before the timer starts.
func BenchmarkJourney(b *testing.B) {
	e := newEnv(b, envOptions{challenges: performableOrder})
	u := e.newUser("bench-journey@example.com")
	e.withRoles(u, "admin")
	e.signIn(u, "")
	key := e.must(e.do("POST", "/v1/api-keys", map[string]any{"name": "bench", "roles": []string{"integrator"}}, cred{bearer: u.access}), 201)
	c := cred{bearer: key.str("key")}
	front, _ := generatedDocOf(b, "face_recognition/examples__obama-480p.jpg", docgen.Passport, 3, 0)
	prepare := func(n int) []string {
		var ids []string
		for i := range n {
			v := e.must(e.do("POST", "/v1/verifications", map[string]string{"reference": fmt.Sprint("bench-", i)}, c), 201)
			e.passLiveness(v.str("id"), c)
			ids = append(ids, v.str("id"))
		}
		return ids
	}
	decide := func(vid string) time.Duration {
		e.must(e.multipartDo("/v1/verifications/"+vid+"/documents", c, part{"front", "p.jpg", "image/jpeg", front}), 202)
		start := time.Now()
		for {
			if r := e.do("POST", "/v1/verifications/"+vid+"/submit", nil, c); r.status == 202 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		e.waitFor(vid, c, "a decision", func(r res) bool {
			s := r.str("status")
			return s == "approved" || s == "rejected" || s == "needs_review"
		})
		return time.Since(start)
	}
	b.Run("one-at-a-time", func(b *testing.B) {
		var times []time.Duration
		for b.Loop() {
			b.StopTimer()
			vid := prepare(1)[0]
			b.StartTimer()
			times = append(times, decide(vid))
		}
		slices.Sort(times)
		b.ReportMetric(float64(times[len(times)/2].Milliseconds()), "p50-ms")
		b.ReportMetric(float64(times[(len(times)-1)*95/100].Milliseconds()), "p95-ms")
	})
	b.Run("8-at-once", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			ids := prepare(8)
			b.StartTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for _, vid := range ids {
				wg.Go(func() { decide(vid) })
			}
			wg.Wait()
			b.ReportMetric(8/time.Since(start).Minutes(), "cases/min")
		}
	})
}
