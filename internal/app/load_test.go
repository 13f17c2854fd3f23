package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycd/kycd/internal/headgen"
	"github.com/kycd/kycd/internal/testenv"
)

// cluster is n kycd processes on one PostgreSQL and one S3 server, each
// with its metrics address, an integrator's key and an admin's token; and
// worker-only processes (no traffic is sent to them).
type cluster struct {
	procs   []*proc
	workers []*proc
	metrics []string
	common  []string
	key     string
	admin   string
	hooks   atomic.Int64 // webhook deliveries received
}

func newCluster(t *testing.T, n, workers int) *cluster {
	t.Helper()
	c := &cluster{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hooks.Add(1)
		w.WriteHeader(204)
	}))
	t.Cleanup(hook.Close)
	keyFile := filepath.Join(t.TempDir(), "master.key")
	out, _ := exec.Command(kycdBin, "keygen").Output()
	os.WriteFile(keyFile, out, 0o600)
	c.common = append(testenv.S3Env(), "KYCD_DATABASE_URL="+testenv.PostgresURL(t), "KYCD_BLOB_URL="+testenv.S3URL(t),
		"KYCD_MASTER_KEY_FILE="+keyFile, "KYCD_LIVENESS_CHALLENGES=turn_left,look_up,light", "OMP_THREAD_LIMIT=1",
		"KYCD_WEBHOOK_ALLOW_PRIVATE=true", "KYCD_ACCESS_LOG=errors", "KYCD_JOB_WORKERS=2", "KYCD_JOB_TIMEOUT=20s")
	for range workers {
		c.workers = append(c.workers, startKycd(t, append(c.common, "KYCD_DATA_DIR="+t.TempDir())...))
	}
	for range n {
		maddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
		c.procs = append(c.procs, startKycd(t, append(c.common, "KYCD_DATA_DIR="+t.TempDir(), "KYCD_METRICS_ADDR="+maddr)...))
		c.metrics = append(c.metrics, "http://"+maddr+"/metrics")
	}
	c.admin = adminToken(t, c.procs[0].url, append(c.common, "KYCD_DATA_DIR="+t.TempDir()))
	admin := api{t: t, base: c.procs[0].url, token: c.admin}
	admin.json("POST", "/v1/webhooks", map[string]any{"url": hook.URL}, 201)
	c.key = admin.json("POST", "/v1/api-keys", map[string]any{"name": "load", "roles": []string{"integrator"}}, 201)["key"].(string)
	return c
}

// loadResult is what a run measured.
type loadResult struct {
	cases  []string
	steps  map[string][]time.Duration
	errors map[string]int
	took   time.Duration
}

// drive runs clients that each do complete verifications, one after
// another, for d, spread over the cluster's processes (each step on the
// next process, as a load balancer would), and an account's reads between
// them.
func (c *cluster) drive(t *testing.T, clients int, d time.Duration) *loadResult {
	eng := testenv.FaceEngine(t)
	doc := passport(t, eng, "face_recognition/examples__obama-480p.jpg", 1)
	r := &loadResult{steps: map[string][]time.Duration{}, errors: map[string]int{}}
	var mu sync.Mutex
	record := func(step string, start time.Time) {
		mu.Lock()
		r.steps[step] = append(r.steps[step], time.Since(start))
		mu.Unlock()
	}
	fail := func(step string) {
		mu.Lock()
		r.errors[step]++
		mu.Unlock()
	}
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	var people atomic.Uint64
	for i := range clients {
		wg.Go(func() {
			n := i
			on := func() api {
				n++
				return api{t: t, base: c.procs[n%len(c.procs)].url, token: c.key}
			}
			for time.Now().Before(deadline) {
				t0 := time.Now()
				status, v := on().call("POST", "/v1/verifications", "application/json", strings.NewReader(`{"reference":"load"}`))
				if status != 201 {
					fail("create")
					time.Sleep(time.Second)
					continue
				}
				record("create", t0)
				vid := v["id"].(string)
				// Each case is a new person: one rendered person reused for
				// case after case drifts (its sway and its camera's noise go
				// on): at its 15th check in a row it failed the continuity
				// check even on an idle server (issue 13).
				person := testenv.NewPerson(t, eng, headgen.Solid, people.Add(1))
				t0 = time.Now()
				if err := on().tryLiveness(vid, person); err != nil {
					t.Logf("a genuine check failed under load: %.300v", err)
					fail("liveness")
					continue
				}
				record("liveness", t0)
				t0 = time.Now()
				on().parts("/v1/verifications/"+vid+"/documents", 202, "front", doc)
				record("upload", t0)
				t0 = time.Now()
				on().waitRead(vid, 3*time.Minute)
				record("read", t0)
				t0 = time.Now()
				if status, _ := on().call("POST", "/v1/verifications/"+vid+"/submit", "", nil); status != 202 {
					fail("submit")
					continue
				}
				record("submit", t0)
				t0 = time.Now()
				on().waitStatus(vid, 3*time.Minute, "approved", "rejected", "needs_review")
				record("decide", t0)
				mu.Lock()
				r.cases = append(r.cases, vid)
				mu.Unlock()
				// An applicant-facing read between cases: the account path.
				t0 = time.Now()
				mu.Lock()
				token := c.admin
				mu.Unlock()
				switch status, _ := (api{t: t, base: c.procs[n%len(c.procs)].url, token: token}).call("GET", "/v1/me", "", nil); status {
				case 200:
					record("me", t0)
				case 401: // the access token lapsed (15 minutes): sign in again, as a client would
					fresh := api{t: t, base: c.procs[0].url}.json("POST", "/v1/auth/signin",
						map[string]string{"email": "ops@example.com", "password": "correct-horse-battery"}, 200)["access_token"].(string)
					mu.Lock()
					c.admin = fresh
					mu.Unlock()
				default:
					fail("me")
				}
			}
		})
	}
	wg.Wait()
	r.took = time.Since(start)
	return r
}

// checkOnce: every case has one decision, one submission and one reading
// in its audit trail, and the webhook heard of each.
func (c *cluster) checkOnce(t *testing.T, r *loadResult) {
	t.Helper()
	// A fresh sign-in: a long run outlives an access token.
	token := api{t: t, base: c.procs[0].url}.json("POST", "/v1/auth/signin",
		map[string]string{"email": "ops@example.com", "password": "correct-horse-battery"}, 200)["access_token"].(string)
	admin := api{t: t, base: c.procs[0].url, token: token}
	for _, vid := range r.cases {
		counts := map[string]int{}
		for _, ev := range admin.json("GET", "/v1/verifications/"+vid+"/audit", nil, 200)["events"].([]any) {
			counts[ev.(map[string]any)["action"].(string)]++
		}
		if counts["verification.decided"] != 1 || counts["verification.submitted"] != 1 {
			t.Errorf("%s: %v, want one decision and one submission", vid, counts)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for c.hooks.Load() < int64(2*len(r.cases)) && time.Now().Before(deadline) { // created and completed
		time.Sleep(200 * time.Millisecond)
	}
	if got := c.hooks.Load(); got < int64(2*len(r.cases)) {
		t.Errorf("%d webhook deliveries for %d cases, want at least %d", got, len(r.cases), 2*len(r.cases))
	}
}

// health is a process's goroutines, open files and resident memory, from
// its metrics.
func health(t *testing.T, url string) (goroutines, fds, rssMiB float64) {
	page := scrape(t, url)
	return sample(page, "go_goroutines "), sample(page, "process_open_fds "), sample(page, "process_resident_memory_bytes ") / (1 << 20)
}

func pct(ds []time.Duration, p float64) string {
	if len(ds) == 0 {
		return "–"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return fmt.Sprintf("%.2f", s[min(len(s)-1, int(p*float64(len(s))))].Seconds())
}

// report prints a run as the rows of docs/benchmarks.md.
func (r *loadResult) report(t *testing.T, c *cluster, name string) {
	t.Logf("%s: %d verifications in %v: %.1f a minute; errors %v", name, len(r.cases), r.took.Round(time.Second),
		float64(len(r.cases))/r.took.Minutes(), r.errors)
	var b strings.Builder
	fmt.Fprintf(&b, "| step | n | p50 s | p95 s | p99 s |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, step := range []string{"create", "liveness", "upload", "read", "submit", "decide", "me"} {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s |\n", step, len(r.steps[step]), pct(r.steps[step], .5), pct(r.steps[step], .95), pct(r.steps[step], .99))
	}
	for i, m := range c.metrics {
		g, f, rss := health(t, m)
		peak := peakRSS(t, c.procs[i].cmd.Process.Pid)
		fmt.Fprintf(&b, "process %d: %.0f goroutines, %.0f open files, %.0f MiB resident (peak %.0f MiB)\n", i+1, g, f, rss, peak)
	}
	t.Logf("%s\n%s", name, b.String())
}

// TestLoad (issue 17) drives complete verifications against 1, 2 and 3
// kycd processes on one PostgreSQL and one S3 server, and reports
// verifications a minute, each step's latency, errors and each process's
// memory. It is a measurement, run by scripts/load.sh (KYCD_LOAD=1,
// KYCD_LOAD_DURATION, KYCD_LOAD_CLIENTS); the suite runs TestSoakShort.
func TestLoad(t *testing.T) {
	if os.Getenv("KYCD_LOAD") == "" {
		t.Skip("a measurement: scripts/load.sh runs it (KYCD_LOAD=1)")
	}
	d, err := time.ParseDuration(os.Getenv("KYCD_LOAD_DURATION"))
	if err != nil {
		d = 2 * time.Minute
	}
	clients, _ := strconv.Atoi(os.Getenv("KYCD_LOAD_CLIENTS"))
	clients = max(clients, 4)
	var per []float64
	for _, n := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(n, "-processes"), func(t *testing.T) {
			c := newCluster(t, n, 0)
			r := c.drive(t, clients, d)
			c.checkOnce(t, r)
			r.report(t, c, fmt.Sprintf("%d processes, %d clients", n, clients))
			per = append(per, float64(len(r.cases))/r.took.Minutes())
			for _, p := range c.procs {
				p.stop(t)
			}
		})
	}
	if len(per) == 3 && per[0] > 0 {
		t.Logf("scaling: 1 → 2 processes %.2f×, 1 → 3 processes %.2f×", per[1]/per[0], per[2]/per[0])
	}
}

// TestSoakShort (issue 17) is the soak's short version: two processes
// under steady load for a minute with a third that only works jobs,
// killed (SIGKILL) halfway and started again (its running jobs run again
// elsewhere once their timeout passes): every case is decided exactly
// once, the webhook hears of each, and the first process's goroutines and
// open files are where they were once the load stops (no leak).
// KYCD_SOAK=30m runs it for that long.
func TestSoakShort(t *testing.T) {
	d := time.Minute
	if s, err := time.ParseDuration(os.Getenv("KYCD_SOAK")); err == nil {
		d = s
	}
	c := newCluster(t, 2, 1)
	g0, f0, _ := health(t, c.metrics[0])
	done := make(chan *loadResult)
	go func() { done <- c.drive(t, 2, d) }()
	// Each process's resident memory, ten times over the run.
	rss := make([][]float64, len(c.metrics))
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for range 10 {
			time.Sleep(d / 10)
			for i, m := range c.metrics {
				_, _, r := health(t, m)
				rss[i] = append(rss[i], r)
			}
		}
	}()
	time.Sleep(d / 2)
	victim := c.workers[0]
	victim.cmd.Process.Kill()
	<-victim.done
	c.workers[0] = startKycd(t, append(c.common, "KYCD_DATA_DIR="+t.TempDir())...)
	r := <-done
	if len(r.cases) == 0 {
		t.Fatal("no case was decided under load")
	}
	c.checkOnce(t, r)
	r.report(t, c, "soak")
	<-sampled
	for i, series := range rss {
		t.Logf("process %d resident MiB at each tenth of the run: %.0f", i+1, series)
		// Flat memory: the last third of a long run stays within a fifth of
		// the largest before it (the first minutes are the warm-up).
		if d >= 10*time.Minute && len(series) == 10 && slices.Max(series[7:]) > 1.2*slices.Max(series[3:7]) {
			t.Errorf("process %d's memory grew in the last third: %.0f", i+1, series)
		}
	}
	time.Sleep(3 * time.Second) // idle connections and finished jobs wind down
	g1, f1, _ := health(t, c.metrics[0])
	if g1 > g0+20 || f1 > f0+20 {
		t.Errorf("after the load: %v goroutines and %v open files, %v and %v before", g1, f1, g0, f0)
	}
}
